# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Cython wrappers of the upper-layer codec in csrc/pdu.c (PS3.8 9.3).

Sans-IO: these functions see bytes, never sockets. The transport in
:mod:`dcmfast.net` frames what it receives with :func:`pdu_frame`, walks
association PDUs with :func:`pdu_items` and P-DATA-TF PDUs with
:func:`pdata_pdvs`, and sends DIMSE messages framed by :func:`encode_message`
(one buffer, one send).
"""
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
from cpython.bytearray cimport PyByteArray_FromStringAndSize, PyByteArray_AS_STRING
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport malloc, free

from dcmfast._csrc cimport dcf_error_t, dcf_status_text, dcf_status_name, DCF_OK, DCF_TOKENS_FULL

from dcmfast.errors import PDUError

COMPILED = True


cdef extern from "pdu.h" nogil:
    enum:
        DCF_PDU_HEADER_SIZE
        DCF_PDU_ASSOC_FIXED
        DCF_PDU_ASSOC_LIMIT
        DCF_PDU_NEED_MORE
        DCF_ITEM_F_UNKNOWN
        DCF_ITEM_F_SUB
        DCF_PDV_COMMAND
        DCF_PDV_LAST
    ctypedef struct dcf_pdu_item_t:
        uint8_t type
        uint8_t flags
        uint16_t parent
        uint32_t value
        uint32_t length
    ctypedef struct dcf_pdv_t:
        uint8_t context_id
        uint8_t control
        uint32_t value
        uint32_t length
    int dcf_pdu_frame(const uint8_t *buf, size_t len, uint32_t max_pdu, size_t *need,
                      size_t *pdu_len, dcf_error_t *err)
    int dcf_pdu_items(const uint8_t *pdu, size_t len, dcf_pdu_item_t *items, size_t cap,
                      size_t *count, dcf_error_t *err)
    int dcf_pdata_pdvs(const uint8_t *pdu, size_t len, dcf_pdv_t *pdvs, size_t cap,
                       size_t *count, dcf_error_t *err)
    size_t dcf_pdata_bound(size_t srclen, uint32_t max_pdu)
    int dcf_pdata_headers(uint8_t context_id, int command, int last, size_t srclen,
                          uint32_t max_pdu, uint8_t *dst, size_t dstcap, size_t *count,
                          dcf_error_t *err)
    int dcf_pdata_encode(uint8_t context_id, int command, int last, const uint8_t *src,
                         size_t srclen, uint32_t max_pdu, uint8_t *dst, size_t dstcap,
                         size_t *outlen, dcf_error_t *err)


HEADER_SIZE = DCF_PDU_HEADER_SIZE
ASSOC_LIMIT = DCF_PDU_ASSOC_LIMIT
ITEM_UNKNOWN = DCF_ITEM_F_UNKNOWN
ITEM_SUB = DCF_ITEM_F_SUB
PDV_COMMAND = DCF_PDV_COMMAND
PDV_LAST = DCF_PDV_LAST


cdef int _check(int code, const dcf_error_t *err, str what) except -1:
    if code >= 0:
        return 0
    name = dcf_status_name(code).decode()
    raise PDUError(f"{what}: {dcf_status_text(code).decode()} at byte {err.offset}",
                   offset=err.offset, code=name)


cdef uint32_t _max(object max_pdu) except? 0:
    if max_pdu is None:
        return 0
    if max_pdu < 0 or max_pdu > 0xFFFFFFFF:
        raise ValueError(f"max_pdu must be in [0, 2**32), not {max_pdu}")
    return <uint32_t>max_pdu


def pdu_frame(buf, max_pdu=0):
    """Frame received bytes that start at a PDU boundary.

    Returns ``(pdu_len, need)``: ``pdu_len`` is the size of the whole PDU at
    the start of ``buf`` (header included) or 0 when more bytes are needed,
    ``need`` the total bytes needed so far (6 until the header is in).
    ``max_pdu`` bounds the length field of a P-DATA-TF (0: no bound);
    association PDUs are bounded by ``ASSOC_LIMIT``. Raises PDUError for an
    unknown type or a length impossible or too large, judged from the header.
    """
    cdef Py_buffer view
    cdef dcf_error_t err
    cdef size_t need = 0, pdu_len = 0
    cdef int code
    cdef uint32_t mx = _max(max_pdu)
    PyObject_GetBuffer(buf, &view, PyBUF_SIMPLE)
    try:
        code = dcf_pdu_frame(<const uint8_t *>view.buf, <size_t>view.len, mx, &need, &pdu_len, &err)
    finally:
        PyBuffer_Release(&view)
    _check(code, &err, "PDU")
    return pdu_len, need


def pdu_items(pdu):
    """The items and sub-items of a whole A-ASSOCIATE-RQ/AC PDU, validated.

    Returns a list of ``(type, flags, parent, value_offset, length)``; parent
    is the index of the enclosing item's record (-1 at top level); flags holds
    ``ITEM_SUB`` and ``ITEM_UNKNOWN`` bits. Raises PDUError.
    """
    cdef Py_buffer view
    cdef dcf_error_t err
    cdef size_t count = 0, cap, i
    cdef dcf_pdu_item_t *items = NULL
    cdef int code
    PyObject_GetBuffer(pdu, &view, PyBUF_SIMPLE)
    try:
        cap = <size_t>view.len // 4 + 1
        items = <dcf_pdu_item_t *>malloc(cap * sizeof(dcf_pdu_item_t))
        if items == NULL:
            raise MemoryError()
        with nogil:
            code = dcf_pdu_items(<const uint8_t *>view.buf, <size_t>view.len, items, cap, &count, &err)
        _check(code, &err, "A-ASSOCIATE PDU")
        out = []
        for i in range(count):
            out.append((items[i].type, items[i].flags,
                        -1 if items[i].parent == 0xFFFF else items[i].parent,
                        items[i].value, items[i].length))
        return out
    finally:
        free(items)
        PyBuffer_Release(&view)


def pdata_pdvs(pdu):
    """The PDVs of a whole P-DATA-TF PDU: a list of ``(context_id, control,
    value_offset, length)``. Raises PDUError."""
    cdef Py_buffer view
    cdef dcf_error_t err
    cdef size_t count = 0, cap, i
    cdef dcf_pdv_t small[8]
    cdef dcf_pdv_t *pdvs = small
    cdef int code
    PyObject_GetBuffer(pdu, &view, PyBUF_SIMPLE)
    try:
        code = dcf_pdata_pdvs(<const uint8_t *>view.buf, <size_t>view.len, pdvs, 8, &count, &err)
        if code == DCF_TOKENS_FULL:
            cap = <size_t>view.len // 6 + 1
            pdvs = <dcf_pdv_t *>malloc(cap * sizeof(dcf_pdv_t))
            if pdvs == NULL:
                raise MemoryError()
            code = dcf_pdata_pdvs(<const uint8_t *>view.buf, <size_t>view.len, pdvs, cap, &count, &err)
        _check(code, &err, "P-DATA-TF PDU")
        return [(pdvs[i].context_id, pdvs[i].control, pdvs[i].value, pdvs[i].length)
                for i in range(count)]
    finally:
        if pdvs != small:
            free(pdvs)
        PyBuffer_Release(&view)


def pdata_bound(size_t srclen, max_pdu=0):
    """Bytes :func:`pdata_encode` writes for ``srclen`` bytes (0: invalid max_pdu)."""
    return dcf_pdata_bound(srclen, _max(max_pdu))


cdef size_t _encode_into(uint8_t ctx, int command, int last, object src, uint32_t mx,
                         uint8_t *dst, size_t cap) except? 0:
    cdef Py_buffer view
    cdef dcf_error_t err
    cdef size_t outlen = 0
    cdef int code
    PyObject_GetBuffer(src, &view, PyBUF_SIMPLE)
    try:
        with nogil:
            code = dcf_pdata_encode(ctx, command, last, <const uint8_t *>view.buf,
                                    <size_t>view.len, mx, dst, cap, &outlen, &err)
    finally:
        PyBuffer_Release(&view)
    _check(code, &err, "P-DATA-TF encode")
    return outlen


def pdata_encode(int context_id, bint command, bint last, src, max_pdu=0):
    """``src`` cut into P-DATA-TF PDUs of one PDV each (bytearray)."""
    if context_id < 1 or context_id > 255:
        raise ValueError(f"presentation context id must be 1..255, not {context_id}")
    cdef uint32_t mx = _max(max_pdu)
    cdef size_t n = len(memoryview(src).cast("B"))
    cdef size_t bound = dcf_pdata_bound(n, mx)
    if bound == 0:
        raise ValueError(f"max_pdu {max_pdu} is below 8 or the message too large")
    out = PyByteArray_FromStringAndSize(NULL, <Py_ssize_t>bound)
    cdef size_t written = _encode_into(<uint8_t>context_id, command, last, src, mx,
                                       <uint8_t *>PyByteArray_AS_STRING(out), bound)
    del out[written:]
    return out


def encode_message(int context_id, command, data=None, max_pdu=0):
    """A whole DIMSE message framed for sending in one buffer: the command set's
    PDUs (command bit, last bit on the final one), then, if ``data`` is not
    None, the data set's. Each PDU no longer than ``max_pdu`` (the peer's
    maximum length; 0 = unlimited)."""
    if context_id < 1 or context_id > 255:
        raise ValueError(f"presentation context id must be 1..255, not {context_id}")
    cdef uint32_t mx = _max(max_pdu)
    cdef size_t nc = len(memoryview(command).cast("B"))
    cdef size_t nd = 0 if data is None else len(memoryview(data).cast("B"))
    cdef size_t bc = dcf_pdata_bound(nc, mx)
    cdef size_t bd = 0 if data is None else dcf_pdata_bound(nd, mx)
    if bc == 0 or (data is not None and bd == 0):
        raise ValueError(f"max_pdu {max_pdu} is below 8 or the message too large")
    out = PyByteArray_FromStringAndSize(NULL, <Py_ssize_t>(bc + bd))
    cdef uint8_t *p = <uint8_t *>PyByteArray_AS_STRING(out)
    cdef size_t w = _encode_into(<uint8_t>context_id, 1, 1, command, mx, p, bc)
    if data is not None:
        w += _encode_into(<uint8_t>context_id, 0, 1, data, mx, p + w, bc + bd - w)
    del out[w:]
    return out


cdef int _frame_iov(list parts, uint8_t ctx, int command, object src, uint32_t mx) except -1:
    cdef dcf_error_t err
    cdef size_t n = len(src), count = 0, bound, per, i, start
    cdef int code
    bound = dcf_pdata_bound(n, mx)
    if bound == 0:
        raise ValueError(f"max_pdu {mx} is below 8 or the message too large")
    hdrs = PyByteArray_FromStringAndSize(NULL, <Py_ssize_t>(bound - n))
    code = dcf_pdata_headers(ctx, command, 1, n, mx, <uint8_t *>PyByteArray_AS_STRING(hdrs),
                             bound - n, &count, &err)
    _check(code, &err, "P-DATA-TF headers")
    hv = memoryview(hdrs)
    per = n if mx == 0 else mx - 6
    for i in range(count):
        start = i * per
        parts.append(hv[12 * i:12 * i + 12])
        if n:
            parts.append(src[start:start + per if start + per < n else n])
    return 0


def frame_message_iov(int context_id, command, data=None, max_pdu=0):
    """The same PDUs as :func:`encode_message`, as a list of buffers for one
    ``socket.sendmsg``: headers framed in C, interleaved with slices of the
    command and data set in place (no copy of the data set)."""
    if context_id < 1 or context_id > 255:
        raise ValueError(f"presentation context id must be 1..255, not {context_id}")
    cdef uint32_t mx = _max(max_pdu)
    parts = []
    _frame_iov(parts, <uint8_t>context_id, 1, memoryview(command).cast("B"), mx)
    if data is not None:
        _frame_iov(parts, <uint8_t>context_id, 0, memoryview(data).cast("B"), mx)
    return parts
