# Included by _pixels.pyx: csrc/native.c (PS3.5 8.1.1, 8.2: native pixel data).
from cpython.buffer cimport PyBUF_SIMPLE, PyBUF_WRITABLE, PyBUF_ANY_CONTIGUOUS, PyObject_GetBuffer, PyBuffer_Release

cdef extern from "native.h" nogil:
    ctypedef struct dcf_native_t:
        uint64_t pixels
        uint32_t samples
        uint32_t bits_allocated
        uint32_t bits_stored
        uint32_t high_bit
        uint32_t is_signed
        uint32_t is_float
        uint32_t big_endian
        uint32_t swap_ow8
        uint32_t planar
        uint32_t frame_pixels
        uint32_t correct_bits
    uint64_t dcf_native_source_units(const dcf_native_t *d)
    int dcf_native_unpack(const uint8_t *src, size_t srclen, uint64_t start, const dcf_native_t *d,
                          uint8_t *dst, size_t dstlen, dcf_error_t *err)

import sys as _sys
if _sys.byteorder != "little":  # the kernels write little-endian samples
    raise ImportError("dcmfast's pixel kernels need a little-endian host")


def native_unpack(object src, uint64_t start, object out, uint64_t pixels, int samples,
                  int bits_allocated, int bits_stored, int high_bit, bint is_signed,
                  bint is_float=False, bint big_endian=False, bint swap_ow8=False,
                  bint planar=False, uint64_t frame_pixels=0, bint correct_bits=True,
                  object frame=None):
    """Unpack ``pixels`` native pixels of ``src`` from byte (bit, for Bits
    Allocated 1) offset ``start`` into the C-contiguous writable ``out``,
    interleaved, in machine order. The GIL is released while it runs."""
    cdef dcf_native_t d
    cdef dcf_error_t err
    cdef Py_buffer sb, ob
    cdef int code
    d.pixels = pixels
    d.samples = <uint32_t>samples
    d.bits_allocated = <uint32_t>bits_allocated
    d.bits_stored = <uint32_t>bits_stored
    d.high_bit = <uint32_t>high_bit
    d.is_signed = is_signed
    d.is_float = is_float
    d.big_endian = big_endian
    d.swap_ow8 = swap_ow8
    d.planar = planar
    d.frame_pixels = <uint32_t>frame_pixels
    d.correct_bits = correct_bits
    err.code = 0
    err.offset = 0
    PyObject_GetBuffer(src, &sb, PyBUF_SIMPLE)
    try:
        PyObject_GetBuffer(out, &ob, PyBUF_WRITABLE | PyBUF_ANY_CONTIGUOUS)
        try:
            with nogil:
                code = dcf_native_unpack(<const uint8_t *>sb.buf, <size_t>sb.len, start, &d,
                                         <uint8_t *>ob.buf, <size_t>ob.len, &err)
        finally:
            PyBuffer_Release(&ob)
    finally:
        PyBuffer_Release(&sb)
    _check(code, &err, "native pixel data", frame)


cdef extern from "rescale.h" nogil:
    int dcf_rescale_add16(uint16_t *buf, size_t n, int is_signed, int32_t intercept,
                          int32_t *lo, int32_t *hi)
    void dcf_rescale_f32_16(const uint16_t *src, size_t n, int is_signed, double slope,
                            double intercept, float *dst)


def rescale_add16(object buf, bint is_signed, int32_t intercept):
    """Add ``intercept`` in place to the 16-bit stored values in ``buf`` (a
    writable C-contiguous buffer of 2-byte items) when every result fits
    int16; the words then read as int16 results. Returns (fits, lo, hi): the
    true range of stored + intercept; when ``fits`` is False ``buf`` is left
    as it was. The GIL is released while it runs."""
    cdef Py_buffer b
    cdef int32_t lo = 0, hi = 0
    cdef int ok
    PyObject_GetBuffer(buf, &b, PyBUF_WRITABLE | PyBUF_ANY_CONTIGUOUS)
    try:
        if b.len % 2:
            raise ValueError("rescale_add16 needs 2-byte samples")
        with nogil:
            ok = dcf_rescale_add16(<uint16_t *>b.buf, <size_t>(b.len // 2), is_signed, intercept,
                                   &lo, &hi)
    finally:
        PyBuffer_Release(&b)
    return bool(ok), lo, hi


def rescale_f32_16(object src, bint is_signed, double slope, double intercept, object dst):
    """dst = src * slope + intercept: 16-bit stored values to float32, with the
    GIL released. ``dst`` holds as many float32 items as ``src`` 2-byte ones."""
    cdef Py_buffer s, d
    PyObject_GetBuffer(src, &s, PyBUF_SIMPLE)
    try:
        PyObject_GetBuffer(dst, &d, PyBUF_WRITABLE | PyBUF_ANY_CONTIGUOUS)
        try:
            if s.len % 2 or d.len != s.len * 2:
                raise ValueError(f"rescale_f32_16: {s.len} source bytes need {s.len * 2} "
                                 f"destination bytes, got {d.len}")
            with nogil:
                dcf_rescale_f32_16(<const uint16_t *>s.buf, <size_t>(s.len // 2), is_signed,
                                   slope, intercept, <float *>d.buf)
        finally:
            PyBuffer_Release(&d)
    finally:
        PyBuffer_Release(&s)
