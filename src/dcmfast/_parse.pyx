# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Cython wrapper of csrc/tokenizer.c: encoded bytes -> a table of tokens.

One call tokenizes a whole data set (the GIL is released while the C code
runs); Python sees the table through :class:`TokenTable`, whose methods answer
per token and never create an object per element up front.
"""
from cpython.buffer cimport PyBUF_SIMPLE, PyObject_GetBuffer, PyBuffer_Release
from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, realloc

from dcmfast._csrc cimport *

from dcmfast.errors import InvalidDicomError

# re-exported constants for the Python layer
TF_UNDEFINED = DCF_TF_UNDEFINED
TF_IMPLICIT = DCF_TF_IMPLICIT
TF_SEQUENCE = DCF_TF_SEQUENCE
TF_FRAGMENTS = DCF_TF_FRAGMENTS
TF_TRUNCATED = DCF_TF_TRUNCATED
TF_SEARCHED = DCF_TF_SEARCHED
TF_BADVR = DCF_TF_BADVR
TOK_ELEMENT = DCF_TOK_ELEMENT
TOK_ITEM = DCF_TOK_ITEM
TOK_FRAGMENT = DCF_TOK_FRAGMENT
FR_DATASET = DCF_FR_DATASET
FR_SEQUENCE = DCF_FR_SEQUENCE
STOP_AT_PIXELS = DCF_STOP_AT_PIXELS
STOP_AFTER_META = DCF_STOP_AFTER_META
STOP_AFTER_COMMAND = DCF_STOP_AFTER_COMMAND
W_TRUNCATED_VALUE = DCF_W_TRUNCATED_VALUE
W_TRAILING_BYTES = DCF_W_TRAILING_BYTES
W_VR_SWITCH = DCF_W_VR_SWITCH
W_UNKNOWN_VR = DCF_W_UNKNOWN_VR
W_TOP_DELIMITER = DCF_W_TOP_DELIMITER
W_SEQ_DELIM_IN_DEFINED = DCF_W_SEQ_DELIM_IN_DEFINED
MAX_DEPTH = DCF_MAX_DEPTH

COMPILED = True

cdef dict _VR_NAMES = {}


cdef inline object _vr_name(uint16_t code):
    """Two VR characters as an interned str; None for implicit headers."""
    if code == 0:
        return None
    name = _VR_NAMES.get(code)
    if name is None:
        name = chr(code >> 8) + chr(code & 0xFF)
        _VR_NAMES[code] = name
    return name


def format_tag(tag):
    return "(%04X,%04X)" % (tag >> 16, tag & 0xFFFF)


def raise_status(int code, offset, tag, what="data set"):
    """Turn a C status into InvalidDicomError with where and why."""
    text = dcf_status_text(code).decode()
    where = f"at byte {offset}"
    if tag is not None:
        where = f"in element {format_tag(tag)} {where}"
    raise InvalidDicomError(f"invalid {what}: {text} {where}", offset=offset, tag=tag)


cdef class TokenTable:
    """Tokens of one encoded data set, over the buffer they point into.

    Offsets are absolute in ``buffer``. Index -1 stands for the top level.
    """
    cdef dcf_token_t *tok
    cdef readonly uint32_t n
    cdef Py_buffer view
    cdef bint has_view
    cdef const uint8_t *data
    cdef readonly Py_ssize_t size
    cdef readonly object buffer
    cdef readonly bint little_endian
    cdef readonly unsigned warnings
    cdef readonly uint64_t warn_offset
    cdef readonly uint64_t stop_offset

    def __cinit__(self):
        self.tok = NULL
        self.n = 0
        self.has_view = False

    def __dealloc__(self):
        free(self.tok)
        if self.has_view:
            PyBuffer_Release(&self.view)

    def __len__(self):
        return self.n

    cdef inline void _check(self, Py_ssize_t i) except *:
        if i < 0 or i >= self.n:
            raise IndexError(f"token index {i} out of range")

    def tag(self, Py_ssize_t i):
        self._check(i)
        return self.tok[i].tag

    def vr(self, Py_ssize_t i):
        self._check(i)
        return _vr_name(self.tok[i].vr)

    def flags(self, Py_ssize_t i):
        self._check(i)
        return self.tok[i].flags

    def kind(self, Py_ssize_t i):
        self._check(i)
        return self.tok[i].kind

    def length(self, Py_ssize_t i):
        self._check(i)
        return self.tok[i].length

    def offset(self, Py_ssize_t i):
        self._check(i)
        return self.tok[i].offset

    def value_offset(self, Py_ssize_t i):
        self._check(i)
        return self.tok[i].value_offset

    def next(self, Py_ssize_t i):
        self._check(i)
        return self.tok[i].next

    def info(self, Py_ssize_t i):
        """(tag, vr or None, flags, value_offset, length) of token i."""
        self._check(i)
        cdef dcf_token_t *k = &self.tok[i]
        return (k.tag, _vr_name(k.vr), k.flags, k.value_offset, k.length)

    def value(self, Py_ssize_t i):
        """The value bytes of token i (a copy)."""
        self._check(i)
        cdef dcf_token_t *k = &self.tok[i]
        return PyBytes_FromStringAndSize(<const char *>(self.data + k.value_offset), <Py_ssize_t>k.length)

    def raw(self, Py_ssize_t i):
        """Header and value bytes of token i (its whole encoding), as a copy."""
        self._check(i)
        cdef dcf_token_t *k = &self.tok[i]
        cdef uint64_t stop = k.value_offset + k.length
        if k.flags & DCF_TF_UNDEFINED:
            stop += 8  # the delimiter closing it
            if stop > <uint64_t>self.size:
                stop = self.size
        return PyBytes_FromStringAndSize(<const char *>(self.data + k.offset), <Py_ssize_t>(stop - k.offset))

    def view_of(self, Py_ssize_t i):
        """A zero-copy memoryview of token i's value."""
        self._check(i)
        cdef dcf_token_t *k = &self.tok[i]
        return memoryview(self.buffer)[k.value_offset:k.value_offset + k.length]

    def children(self, Py_ssize_t i):
        """{tag: token index} of the direct children of token i (-1: top level).

        Later duplicates win, as in pydicom's reader.
        """
        cdef uint32_t j, end
        cdef dict out = {}
        if i < 0:
            j = 0
            end = self.n
        else:
            self._check(i)
            j = <uint32_t>i + 1
            end = self.tok[i].next
        while j < end:
            out[self.tok[j].tag] = j
            j = self.tok[j].next
        return out

    def child_list(self, Py_ssize_t i):
        """Token indices of the direct children of token i (-1: top level)."""
        cdef uint32_t j, end
        cdef list out = []
        if i < 0:
            j = 0
            end = self.n
        else:
            self._check(i)
            j = <uint32_t>i + 1
            end = self.tok[i].next
        while j < end:
            out.append(j)
            j = self.tok[j].next
        return out

    def find_child(self, Py_ssize_t i, uint32_t tag):
        """Token index of the last child of i with `tag`, or -1."""
        cdef uint32_t j, end
        cdef Py_ssize_t found = -1
        if i < 0:
            j = 0
            end = self.n
        else:
            self._check(i)
            j = <uint32_t>i + 1
            end = self.tok[i].next
        while j < end:
            if self.tok[j].tag == tag:
                found = j
            j = self.tok[j].next
        return found


def tokenize(object buffer, *, bint little_endian=True, bint implicit=False,
             int stop=0, const uint32_t[::1] sq_tags=None,
             const uint32_t[::1] known_tags=None, Py_ssize_t start=0,
             Py_ssize_t end=-1, bint sequence=False):
    """Tokenize ``buffer[start:end]`` as a data set (or a sequence body).

    Returns a :class:`TokenTable` whose offsets are absolute in ``buffer``, and
    which keeps ``buffer`` alive. Raises InvalidDicomError on malformed data.
    """
    cdef TokenTable table = TokenTable.__new__(TokenTable)
    cdef dcf_tokenizer_t state
    cdef dcf_error_t err
    cdef int rc
    cdef uint32_t cap
    cdef dcf_token_t *grown
    cdef size_t srcsize

    PyObject_GetBuffer(buffer, &table.view, PyBUF_SIMPLE)
    table.has_view = True
    table.buffer = buffer
    table.data = <const uint8_t *>table.view.buf
    table.size = table.view.len
    table.little_endian = little_endian
    if end < 0 or end > table.size:
        end = table.size
    if start < 0 or start > end:
        raise ValueError(f"invalid start {start} for a buffer of {table.size} bytes")
    srcsize = <size_t>(end - start)

    dcf_tokenizer_init(&state, little_endian, implicit, DCF_FR_SEQUENCE if sequence else DCF_FR_DATASET)
    state.base = <uint64_t>start
    state.stop = stop
    if sq_tags is not None and sq_tags.shape[0]:
        state.sq_tags = &sq_tags[0]
        state.n_sq_tags = <size_t>sq_tags.shape[0]
    if known_tags is not None and known_tags.shape[0]:
        state.known_tags = &known_tags[0]
        state.n_known_tags = <size_t>known_tags.shape[0]

    # Grow geometrically; a token is 40 bytes and at least 8 input bytes.
    cap = 64 if srcsize < 4096 else 1024
    table.tok = <dcf_token_t *>realloc(NULL, cap * sizeof(dcf_token_t))
    if table.tok == NULL:
        raise MemoryError()
    while True:
        with nogil:
            rc = dcf_tokenize(&state, table.data + start, srcsize, table.tok, cap, &err)
        if rc != DCF_TOKENS_FULL:
            break
        if cap >= 0x7FFFFFFF:
            raise InvalidDicomError("too many elements to index")
        cap = cap * 2
        grown = <dcf_token_t *>realloc(table.tok, cap * sizeof(dcf_token_t))
        if grown == NULL:
            raise MemoryError()
        table.tok = grown
    table.n = state.ntok
    if rc < 0:
        raise_status(rc, err.offset, None if err.tag == DCF_NO_TAG else err.tag)
    if state.ntok and state.ntok < cap // 2:
        grown = <dcf_token_t *>realloc(table.tok, state.ntok * sizeof(dcf_token_t))
        if grown != NULL:
            table.tok = grown
    table.warnings = state.warnings
    table.warn_offset = state.warn_offset
    table.stop_offset = state.pos + <uint64_t>start
    return table
