# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Cython wrapper of csrc/tokenizer.c: encoded bytes -> a table of tokens.

One call tokenizes a whole data set (the GIL is released while the C code
runs); Python sees the table through :class:`TokenTable`, whose methods answer
per token and never create an object per element up front.
"""
from cpython.buffer cimport PyBUF_SIMPLE, PyObject_GetBuffer, PyBuffer_Release
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stdint cimport int16_t, int32_t, uint8_t, uint16_t, uint32_t, uint64_t, uintptr_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy
from posix.mman cimport madvise, MADV_DONTNEED

# values at least this large are copied out of a file mapping in chunks, each
# chunk's pages released after the copy: RSS stays near one copy of the value
DEF _CHUNK = 8 * 1024 * 1024
DEF _PAGE = 4096

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
    cdef public bint mapped  # buffer is a file mapping (pages may be released)
    cdef public int base_depth  # containers enclosing this table (values re-tokenized)

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
        """The value bytes of token i (one copy).

        From a file mapping, large values are copied in chunks and the mapped
        pages of each chunk released, so reading a 400 MB Pixel Data does not
        hold the mapping and the copy in memory at once.
        """
        self._check(i)
        cdef dcf_token_t *k = &self.tok[i]
        cdef Py_ssize_t n = <Py_ssize_t>k.length
        cdef const uint8_t *src = self.data + k.value_offset
        cdef object out
        cdef char *dst
        cdef Py_ssize_t done = 0, step
        cdef uintptr_t lo, hi
        if not self.mapped or n < 2 * _CHUNK:
            return PyBytes_FromStringAndSize(<const char *>src, n)
        out = PyBytes_FromStringAndSize(NULL, n)
        dst = PyBytes_AS_STRING(out)
        with nogil:
            while done < n:
                step = n - done if n - done < _CHUNK else _CHUNK
                memcpy(dst + done, src + done, <size_t>step)
                # release whole pages inside the copied range (never beyond it)
                lo = (<uintptr_t>(src + done) + _PAGE - 1) & ~(<uintptr_t>_PAGE - 1)
                hi = (<uintptr_t>(src + done + step)) & ~(<uintptr_t>_PAGE - 1)
                if hi > lo:
                    madvise(<void *>lo, hi - lo, MADV_DONTNEED)
                done += step
        return out

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

    def depth_of(self, Py_ssize_t i):
        """Number of containers (sequences, items) enclosing token i in this table."""
        self._check(i)
        cdef uint32_t j = 0, end = self.n, target = <uint32_t>i
        cdef int depth = 0
        while j < end:
            if j == target:
                return depth
            if self.tok[j].next > target:  # target is inside j's subtree
                depth += 1
                end = self.tok[j].next
                j += 1
            else:
                j = self.tok[j].next
        return depth

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

    def top_values(self, const uint32_t[::1] tags):
        """(values, vrs) of the top-level elements with the given tags (sorted
        ascending): lists aligned with ``tags``, each entry the value bytes and
        VR name (None when implicit), or None where the tag is absent. One pass
        over the top level; later duplicates win, as in :meth:`children`."""
        cdef uint32_t j = 0, end = self.n, prev = 0, tag
        cdef Py_ssize_t w = 0, m = tags.shape[0]
        cdef dcf_token_t *k
        cdef list values = [None] * m
        cdef list vrs = [None] * m
        while j < end:
            k = &self.tok[j]
            tag = k.tag
            if tag < prev:  # out of order (tolerated on reading): search from the start
                w = 0
            prev = tag
            while w < m and tags[w] < tag:
                w += 1
            if w < m and tags[w] == tag:
                if k.flags & DCF_TF_UNDEFINED or k.value_offset > <uint64_t>self.size:
                    values[w] = b""  # present (a sequence of undefined length)
                elif k.value_offset + k.length > <uint64_t>self.size:
                    values[w] = PyBytes_FromStringAndSize(
                        <const char *>(self.data + k.value_offset),
                        <Py_ssize_t>(<uint64_t>self.size - k.value_offset))
                else:
                    values[w] = PyBytes_FromStringAndSize(
                        <const char *>(self.data + k.value_offset), <Py_ssize_t>k.length)
                vrs[w] = _vr_name(k.vr)
            j = k.next
        return values, vrs

    def find_child(self, Py_ssize_t i, uint32_t tag):
        """Token index of the last child of i with `tag`, or -1."""
        if i >= 0:
            self._check(i)
        return _find_child(self, i, tag)


def tokenize(object buffer, *, bint little_endian=True, bint implicit=False,
             int stop=0, const uint32_t[::1] sq_tags=None,
             const uint32_t[::1] known_tags=None, Py_ssize_t start=0,
             Py_ssize_t end=-1, bint sequence=False, bint mapped=False):
    """Tokenize ``buffer[start:end]`` as a data set (or a sequence body).

    Returns a :class:`TokenTable` whose offsets are absolute in ``buffer``, and
    which keeps ``buffer`` alive. Raises InvalidDicomError on malformed data.
    """
    return _tokenize(buffer, little_endian, implicit, stop, sq_tags, known_tags, start, end,
                     sequence, mapped)


cdef TokenTable _tokenize(object buffer, bint little_endian, bint implicit, int stop,
                          const uint32_t[::1] sq_tags, const uint32_t[::1] known_tags,
                          Py_ssize_t start, Py_ssize_t end, bint sequence, bint mapped):
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
    table.mapped = mapped
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


_KNOWN_VRS = frozenset(
    "AE AS AT CS DA DS DT FL FD IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN "
    "UR US UT UV".split())


def read_part10(object buf, bint force, bint stop_before_pixels,
                const uint32_t[::1] sq_tags, const uint32_t[::1] known_tags, bint mapped):
    """Frame a DICOM file (PS3.10 §7.1): preamble, meta, command group, data set.

    Returns (preamble, meta table or None, transfer syntax or None, command
    table or None, data set table or None (None: deflated, inflate from pos),
    pos, implicit, little_endian).
    """
    cdef const uint8_t[::1] view = buf
    cdef Py_ssize_t n = view.shape[0]
    cdef Py_ssize_t pos = 0, idx
    cdef const uint8_t *p = &view[0] if n else NULL
    cdef TokenTable meta = None, command = None, table = None
    cdef object preamble = None, ts = None
    cdef bint implicit = True, little = True
    if n >= 132 and p[128] == b'D' and p[129] == b'I' and p[130] == b'C' and p[131] == b'M':
        preamble = PyBytes_FromStringAndSize(<const char *>p, 128)
        pos = 132
    elif not force:
        raise InvalidDicomError(
            "File is missing DICOM File Meta Information header or the 'DICM' prefix is "
            "missing from the header. Use force=True to force reading.",
            offset=128 if n >= 132 else n)
    if n - pos >= 8 and p[pos] == 0x02 and p[pos + 1] == 0x00:  # group 0002, explicit VR LE
        meta = _tokenize(buf, True, False, DCF_STOP_AFTER_META, sq_tags, known_tags, pos, -1,
                         False, False)
        pos = <Py_ssize_t>meta.stop_offset
        idx = _find_child(meta, -1, 0x00020010)
        if idx >= 0:  # Transfer Syntax UID straight from its bytes
            ts = PyUnicode_DecodeLatin1(<const char *>(p + meta.tok[idx].value_offset),
                                        <Py_ssize_t>meta.tok[idx].length, NULL).rstrip("\x00 ")
    if n - pos >= 8 and p[pos] == 0 and p[pos + 1] == 0:  # command group: implicit VR LE
        command = _tokenize(buf, True, True, DCF_STOP_AFTER_COMMAND, sq_tags, known_tags, pos, -1,
                            False, False)
        pos = <Py_ssize_t>command.stop_offset
    if pos >= n:
        pass
    elif ts is None:  # no Transfer Syntax UID: guess from the first element, as pydicom
        if n - pos >= 6:
            if PyUnicode_DecodeLatin1(<const char *>(p + pos + 4), 2, NULL) in _KNOWN_VRS:
                implicit = False
                if (p[pos] | (p[pos + 1] << 8)) >= 1024:
                    little = False
    elif ts == "1.2.840.10008.1.2":
        pass
    elif ts == "1.2.840.10008.1.2.2":
        implicit, little = False, False
    elif ts == "1.2.840.10008.1.2.1.99":  # deflated: the caller inflates
        return preamble, meta, ts, command, None, pos, False, True
    else:  # explicit VR LE and every encapsulated syntax (PS3.5 A.4)
        implicit = False
    table = _tokenize(buf, little, implicit, DCF_STOP_AT_PIXELS if stop_before_pixels else 0,
                      sq_tags, known_tags, pos, -1, False, mapped)
    return preamble, meta, ts, command, table, pos, implicit, little


# ---------------------------------------------------------------------------
# Fast path for the facade: look up and decode the commonest elements without
# a Python frame per step. Everything it declines (text with a character set,
# private and implicit-VR elements, ambiguous VRs, empty or damaged values)
# goes to Dataset._decode, the reference implementation in Python.
# ---------------------------------------------------------------------------
from cpython.unicode cimport PyUnicode_DecodeLatin1

cdef object _BaseTag = None
cdef object _DSfloat = None
cdef object _IS = None
cdef object _UID = None
cdef object _MultiValue = None
cdef object _Dataset = None
cdef object _float_new = float.__new__
cdef object _list_new = list.__new__
cdef object _list_extend = list.extend
cdef object _DataElement = None
cdef object _Sequence = None
cdef object _int_new = int.__new__
cdef object _object_new = object.__new__


def register_facade(data_element_cls, base_tag, dsfloat, is_, uid, multivalue,
                    sequence_cls, dataset_cls, person_name):
    """Give the fast path the facade's classes (called once by dcmfast.dataset)."""
    global _DataElement, _BaseTag, _DSfloat, _IS, _UID, _MultiValue
    global _Sequence, _Dataset, _PersonName
    _PersonName = person_name
    _DataElement = data_element_cls
    _BaseTag = base_tag
    _DSfloat = dsfloat
    _IS = is_
    _UID = uid
    _MultiValue = multivalue
    _Sequence = sequence_cls
    _Dataset = dataset_cls


cdef object _new_element(uint32_t tag, object vr, object value, uint64_t value_offset, bint undefined):
    """A DataElement without running Python code (its slots set directly)."""
    elem = _object_new(_DataElement)
    elem.tag = _BaseTag(tag)
    elem.VR = vr
    elem._value = value
    elem.file_tell = value_offset
    elem.is_undefined_length = undefined
    elem.private_creator = None
    return elem


cdef inline uint16_t _vr2(char a, char b):
    return <uint16_t>((<uint8_t>a << 8) | <uint8_t>b)


cdef inline Py_ssize_t _find_child(TokenTable t, Py_ssize_t parent, uint32_t tag):
    cdef uint32_t j, end
    cdef Py_ssize_t found = -1
    if parent < 0:
        j = 0
        end = t.n
    else:
        j = <uint32_t>parent + 1
        end = t.tok[parent].next
    while j < end:
        if t.tok[j].tag == tag:
            found = j
        j = t.tok[j].next
    return found


cdef object _split_text(const uint8_t *p, uint64_t n):
    """Latin-1 text, trailing spaces/NULs stripped, split on backslash."""
    cdef str text = PyUnicode_DecodeLatin1(<const char *>p, <Py_ssize_t>n, NULL)
    return text.rstrip(" \x00").split("\\")


cdef object _numbers(const uint8_t *p, uint64_t n, uint16_t vr, bint little):
    cdef Py_ssize_t size, count, i, b
    cdef uint8_t tmp[8]
    cdef uint64_t u
    cdef float f32
    cdef double f64
    cdef list out
    if vr == _vr2(b'U', b'S') or vr == _vr2(b'S', b'S'):
        size = 2
    elif vr == _vr2(b'F', b'D'):
        size = 8
    else:
        size = 4
    if n % size:
        return None  # Python path raises the documented error
    count = <Py_ssize_t>(n // size)
    out = []
    for i in range(count):
        for b in range(size):
            tmp[b] = p[i * size + (b if little else size - 1 - b)]
        u = 0
        for b in range(size):
            u |= (<uint64_t>tmp[b]) << (8 * b)
        if vr == _vr2(b'U', b'S'):
            out.append(<uint16_t>u)
        elif vr == _vr2(b'S', b'S'):
            out.append(<int16_t>(<uint16_t>u))
        elif vr == _vr2(b'U', b'L'):
            out.append(<uint32_t>u)
        elif vr == _vr2(b'S', b'L'):
            out.append(<int32_t>(<uint32_t>u))
        elif vr == _vr2(b'F', b'L'):
            memcpy(&f32, tmp, 4)
            out.append(<double>f32)
        else:
            memcpy(&f64, tmp, 8)
            out.append(f64)
    if count == 1:
        return out[0]
    return _MultiValue(out)


cdef object _PersonName = None


cdef inline bint _plain_ascii(const uint8_t *p, uint64_t n) noexcept nogil:
    """No byte >= 0x80 and no ESC: every DICOM character set decodes it as ASCII."""
    cdef uint64_t i
    for i in range(n):
        if p[i] >= 0x80 or p[i] == 0x1B:
            return False
    return True


cdef object _text_value(const uint8_t *p, uint64_t n, uint16_t vr):
    """LO/SH/UC/LT/ST/UT/PN/AE/UR values in plain ASCII (else None: Python path)."""
    cdef str text
    cdef list items
    if not _plain_ascii(p, n):
        return None
    text = PyUnicode_DecodeLatin1(<const char *>p, <Py_ssize_t>n, NULL)
    if vr == _vr2(b'L', b'T') or vr == _vr2(b'S', b'T') or vr == _vr2(b'U', b'T'):
        return text.rstrip("\x00 ")
    if vr == _vr2(b'U', b'R'):
        return text.rstrip()
    if vr == _vr2(b'P', b'N'):
        items = text.rstrip("\x00 ").split("\\")
        if len(items) == 1:
            return _PersonName(items[0])
        return _MultiValue([_PersonName(x) for x in items])
    items = text.split("\\")
    if vr == _vr2(b'A', b'E'):
        items = [(<str>x).strip() for x in items]
    else:
        items = [(<str>x).rstrip("\x00 ") for x in items]
    return items[0] if len(items) == 1 else _MultiValue(items)


cdef object _number_strings(list items, object new, object cls):
    """DS or IS values (float/int subclasses keeping their text); None: Python path."""
    cdef list out = []
    cdef str s
    for item in items:
        s = (<str>item).strip()
        if not s:
            return None  # empty item: pydicom's retry rules, in Python
        try:
            v = new(cls, s)
        except ValueError:
            return None  # e.g. IS "1.0": Python's IS handles it
        v.original_string = s
        out.append(v)
    return out[0] if len(out) == 1 else _MultiValue(out)


cdef object _decode_fast(TokenTable t, Py_ssize_t idx, object ds):
    """A DataElement for the common explicit-VR cases, or None to decline."""
    cdef dcf_token_t *k = &t.tok[idx]
    cdef uint16_t vr = k.vr
    cdef const uint8_t *p
    cdef object value
    cdef list items
    if vr == 0 or (k.flags & (DCF_TF_FRAGMENTS | DCF_TF_SEARCHED | DCF_TF_BADVR | DCF_TF_TRUNCATED)):
        return None
    if (k.tag >> 16) & 1:
        return None  # private: creator and dictionary handling in Python
    if k.flags & DCF_TF_SEQUENCE:
        value = _make_items(t, idx, ds)
        return _new_element(k.tag, "SQ", value, k.value_offset, k.flags & DCF_TF_UNDEFINED)
    if k.length == 0:
        return None
    p = t.data + k.value_offset
    if vr == _vr2(b'D', b'S'):
        value = _number_strings(_split_text(p, k.length), _float_new, _DSfloat)
    elif vr == _vr2(b'I', b'S'):
        value = _number_strings(_split_text(p, k.length), _int_new, _IS)
    elif (vr == _vr2(b'U', b'S') or vr == _vr2(b'U', b'L') or vr == _vr2(b'S', b'S')
          or vr == _vr2(b'S', b'L') or vr == _vr2(b'F', b'L') or vr == _vr2(b'F', b'D')):
        if k.tag == 0x00281101 or k.tag == 0x00281102 or k.tag == 0x00281103 or k.tag == 0x00283002:
            return None  # LUT descriptors: first value unsigned, in Python
        value = _numbers(p, k.length, vr, t.little_endian)
    elif (vr == _vr2(b'C', b'S') or vr == _vr2(b'D', b'A') or vr == _vr2(b'T', b'M')
          or vr == _vr2(b'D', b'T') or vr == _vr2(b'A', b'S')):
        items = _split_text(p, k.length)
        value = items[0] if len(items) == 1 else _MultiValue(items)
    elif vr == _vr2(b'U', b'I'):
        items = _split_text(p, k.length)
        value = _UID(items[0]) if len(items) == 1 else _MultiValue([_UID(x) for x in items])
    elif (vr == _vr2(b'L', b'O') or vr == _vr2(b'S', b'H') or vr == _vr2(b'P', b'N')
          or vr == _vr2(b'L', b'T') or vr == _vr2(b'S', b'T') or vr == _vr2(b'U', b'T')
          or vr == _vr2(b'U', b'C') or vr == _vr2(b'A', b'E') or vr == _vr2(b'U', b'R')):
        value = _text_value(p, k.length, vr)
    else:
        return None
    if value is None:
        return None
    return _new_element(k.tag, _vr_name(vr), value, k.value_offset, False)


def make_items(TokenTable t, Py_ssize_t idx, object parent):
    """The Sequence of items of token idx (-1: a table holding a sequence body)."""
    if idx >= 0:
        t._check(idx)
    return _make_items(t, idx, parent)


cdef object _make_items(TokenTable t, Py_ssize_t idx, object parent):
    """The items of sequence token idx (-1: the table's top level) as Datasets
    over the same table; the one place sequence items are built."""
    cdef uint32_t j = 0 if idx < 0 else <uint32_t>idx + 1
    cdef uint32_t end = t.n if idx < 0 else t.tok[idx].next
    cdef list items = []
    cdef dict d
    # inherited by every item as a snapshot (no reference back to the parent)
    encoding = parent._character_set
    pixel_rep = parent._pixel_rep_for_items()
    while j < end:
        item = _object_new(_Dataset)
        d = item.__dict__
        d["_dict"] = None
        d["_decoded"] = {}
        d["_table"] = t
        d["_tok"] = j
        d["_parent_encoding"] = encoding
        d["_pixel_rep"] = pixel_rep
        d["_charset"] = None
        d["_read_little"] = t.little_endian
        d["_read_implicit"] = None
        d["is_undefined_length_sequence_item"] = bool(t.tok[j].flags & DCF_TF_UNDEFINED)
        items.append(item)
        j = t.tok[j].next
    seq = _list_new(_Sequence)
    _list_extend(seq, items)
    seq.is_undefined_length = idx >= 0 and bool(t.tok[idx].flags & DCF_TF_UNDEFINED)
    return seq


def lookup(object ds, uint32_t tag):
    """ds's DataElement for tag (decoded and cached), or None if absent."""
    cdef dict d = ds.__dict__
    cdef object elems = d["_dict"]
    cdef object elem
    cdef Py_ssize_t idx
    cdef TokenTable t
    if elems is not None:
        elem = (<dict>elems).get(tag)
        if elem is None or type(elem) is not int:
            return elem
        idx = elem
    else:
        elem = (<dict>d["_decoded"]).get(tag)
        if elem is not None:
            return elem
        t = <TokenTable>d["_table"]
        idx = _find_child(t, d["_tok"], tag)
        if idx < 0:
            return None
    t = <TokenTable>d["_table"]
    elem = _decode_fast(t, idx, ds)
    if elem is None:
        return ds._decode(tag, idx)
    if elems is not None:
        (<dict>elems)[tag] = elem
    else:
        (<dict>d["_decoded"])[tag] = elem
    return elem
