# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Cython wrappers of the pixel kernels in csrc/ (native unpacking, RLE,
colour, LUTs). Every wrapper validates buffer sizes in Python terms, then runs
its kernel with the GIL released so frames can be decoded on several threads.

Each kernel family lives in its own include file:

* ``_native.pxi`` - csrc/native.c (PS3.5 section 8: native pixel encoding)
* ``_rle.pxi``    - csrc/rle.c (PS3.5 Annex G: RLE Lossless)
* ``_color.pxi``  - csrc/color.c and csrc/lut.c (PS3.3 C.7.6.3, C.11)
"""
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset

from dcmfast._csrc cimport dcf_error_t, dcf_status_text, DCF_OK, DCF_NO_TAG, DCF_E_UNSUPPORTED

from dcmfast.errors import PixelDataError

COMPILED = True  # what dcmfast.build_info() reports


cdef int _check(int code, const dcf_error_t *err, str what, object frame=None) except -1:
    """Raise PixelDataError for a failed kernel call (code < 0)."""
    if code >= 0:
        return 0
    text = dcf_status_text(code).decode()
    off = err.offset if err != NULL else None
    where = f" at byte {off}" if off is not None else ""
    fr = f" in frame {frame}" if frame is not None else ""
    raise PixelDataError(f"{what}: {text}{fr}{where}", offset=off, frame=frame)


include "_native.pxi"
include "_rle.pxi"
include "_color.pxi"
include "_ljpeg.pxi"
