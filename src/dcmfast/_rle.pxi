# Included by _pixels.pyx.
# RLE Lossless (PS3.5 Annex G): csrc/rle.c. The declarations live here rather
# than in _csrc.pxd so that this kernel family stays in one include file.
from cpython.buffer cimport (PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE, PyBUF_WRITABLE,
                             PyBUF_C_CONTIGUOUS)
from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdlib cimport malloc, free


cdef extern from "rle.h" nogil:
    enum:
        DCF_RLE_HEADER_SIZE
        DCF_RLE_MAX_SEGMENTS
        DCF_RLE_W_EXCESS
    int dcf_rle_decode_frame(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                             uint32_t rows, uint32_t cols, uint32_t samples,
                             uint32_t bytes_per_sample, dcf_error_t *err)
    int dcf_rle_decode_frame_ex(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                                uint32_t rows, uint32_t cols, uint32_t samples,
                                uint32_t bytes_per_sample, uint32_t *warnings, dcf_error_t *err)
    size_t dcf_rle_encode_bound(uint32_t rows, uint32_t cols, uint32_t samples,
                                uint32_t bytes_per_sample)
    int dcf_rle_encode_frame(const uint8_t *src, size_t srclen, uint32_t planar,
                             uint32_t rows, uint32_t cols, uint32_t samples,
                             uint32_t bytes_per_sample, uint8_t *dst, size_t dstcap,
                             size_t *outlen, dcf_error_t *err)


#: warning bit returned by rle_decode_frame: a segment held more than
#: rows x columns bytes (pydicom warns "non-conformant padding"); the excess
#: was dropped.
RLE_W_EXCESS = DCF_RLE_W_EXCESS


cdef inline int _rle_dim(object value, str name) except -1:
    if value < 0 or value > 0xFFFFFFFF:
        raise ValueError(f"{name} must be in [0, 2**32), not {value}")
    return 0


cdef int _rle_get_buffer(object obj, Py_buffer *view, bint writable, str what) except -1:
    """Fill view with obj's bytes (C-contiguous). ValueError when obj is a buffer
    that cannot give them (read-only, strided); TypeError when it is no buffer."""
    cdef int flags = (PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) if writable else PyBUF_C_CONTIGUOUS
    try:
        PyObject_GetBuffer(obj, view, flags)
    except (BufferError, ValueError) as exc:
        need = "a writable C-contiguous buffer" if writable else "a C-contiguous buffer"
        raise ValueError(f"{what} must be {need} ({type(obj).__name__}: {exc})") from None
    return 0


def rle_decode_frame(src, dst, int rows, int cols, int samples, int bytes_per_sample, frame=None):
    """Decode one RLE Lossless frame into ``dst``.

    Parameters
    ----------
    src : buffer
        The frame's encoded bytes (its fragments concatenated): the 64-byte
        RLE header then the segments.
    dst : writable C-contiguous buffer
        Exactly ``rows * cols * samples * bytes_per_sample`` bytes (e.g. a
        numpy array of the frame's shape and dtype, or a slice of a larger
        one). Receives pixel-interleaved (Planar Configuration 0) samples,
        each little-endian.
    rows, cols, samples, bytes_per_sample : int
        The frame's geometry; ``bytes_per_sample`` is 1, 2, 4 or 8 and
        ``samples * bytes_per_sample`` at most 15.
    frame : int, optional
        Frame index, only used in error messages.

    Returns
    -------
    int
        Warning bits: 0, or ``RLE_W_EXCESS`` when a segment decoded to more
        than ``rows * cols`` bytes (the excess is dropped, as pydicom does).

    Raises
    ------
    ValueError
        ``dst`` is not writable, not contiguous or not exactly the frame's
        size; a dimension is negative or too large.
    dcmfast.errors.PixelDataError
        The encoded data is short or corrupt, or the parameters are
        unsupported (``.offset`` is the byte offset into ``src``).
    """
    cdef Py_buffer sview
    cdef Py_buffer dview
    cdef dcf_error_t err
    cdef uint32_t warnings = 0
    cdef int code
    _rle_dim(rows, "rows")
    _rle_dim(cols, "cols")
    _rle_dim(samples, "samples")
    _rle_dim(bytes_per_sample, "bytes_per_sample")
    need = (<object>rows) * (<object>cols) * (<object>samples) * (<object>bytes_per_sample)
    _rle_get_buffer(src, &sview, False, "src")
    try:
        _rle_get_buffer(dst, &dview, True, "dst")
        try:
            if dview.len != need:
                raise ValueError(f"dst holds {dview.len} bytes; a {rows}x{cols} frame of {samples} "
                                 f"sample(s) x {bytes_per_sample} byte(s) needs {need}")
            with nogil:
                code = dcf_rle_decode_frame_ex(<const uint8_t *>sview.buf, <size_t>sview.len,
                                               <uint8_t *>dview.buf, <size_t>dview.len,
                                               <uint32_t>rows, <uint32_t>cols, <uint32_t>samples,
                                               <uint32_t>bytes_per_sample, &warnings, &err)
            _check(code, &err, "RLE frame", frame)
        finally:
            PyBuffer_Release(&dview)
    finally:
        PyBuffer_Release(&sview)
    return warnings


def rle_encode_bound(int rows, int cols, int samples, int bytes_per_sample):
    """Upper bound on the encoded size of one frame (0 if unsupported)."""
    _rle_dim(rows, "rows")
    _rle_dim(cols, "cols")
    _rle_dim(samples, "samples")
    _rle_dim(bytes_per_sample, "bytes_per_sample")
    return dcf_rle_encode_bound(<uint32_t>rows, <uint32_t>cols, <uint32_t>samples,
                                <uint32_t>bytes_per_sample)


def rle_encode_frame(src, int rows, int cols, int samples, int bytes_per_sample, int planar=0):
    """Encode one frame as RLE Lossless; returns the frame's bytes (even length).

    ``src`` is a C-contiguous buffer of exactly ``rows * cols * samples *
    bytes_per_sample`` bytes of little-endian samples, pixel-interleaved
    (``planar=0``) or one plane per sample (``planar=1``). Raises ValueError
    for a wrong size or planar value, PixelDataError for unsupported
    parameters.
    """
    cdef Py_buffer sview
    cdef dcf_error_t err
    cdef size_t bound, outlen = 0
    cdef uint8_t *buf = NULL
    cdef int code
    _rle_dim(rows, "rows")
    _rle_dim(cols, "cols")
    _rle_dim(samples, "samples")
    _rle_dim(bytes_per_sample, "bytes_per_sample")
    if planar not in (0, 1):
        raise ValueError(f"planar must be 0 or 1, not {planar}")
    need = (<object>rows) * (<object>cols) * (<object>samples) * (<object>bytes_per_sample)
    _rle_get_buffer(src, &sview, False, "src")
    try:
        if sview.len != need:
            raise ValueError(f"src holds {sview.len} bytes; a {rows}x{cols} frame of {samples} "
                             f"sample(s) x {bytes_per_sample} byte(s) needs {need}")
        bound = dcf_rle_encode_bound(<uint32_t>rows, <uint32_t>cols, <uint32_t>samples,
                                     <uint32_t>bytes_per_sample)
        if bound == 0:
            # unsupported parameters: let the kernel say so
            bound = DCF_RLE_HEADER_SIZE
        buf = <uint8_t *>malloc(bound)
        if buf == NULL:
            raise MemoryError()
        with nogil:
            code = dcf_rle_encode_frame(<const uint8_t *>sview.buf, <size_t>sview.len,
                                        <uint32_t>planar, <uint32_t>rows, <uint32_t>cols,
                                        <uint32_t>samples, <uint32_t>bytes_per_sample,
                                        buf, bound, &outlen, &err)
        _check(code, &err, "RLE encode")
        return PyBytes_FromStringAndSize(<char *>buf, <Py_ssize_t>outlen)
    finally:
        free(buf)
        PyBuffer_Release(&sview)
