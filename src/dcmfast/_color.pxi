# Included by _pixels.pyx.
#
# Wrappers of csrc/color.c and csrc/lut.c (PS3.3 C.7.6.3.1.2, C.7.9, C.11;
# ISO/IEC 15444-1 Annex G). Each checks types, contiguity and sizes in Python
# terms, then runs its kernel with the GIL released. Public entry points are
# documented in dcmfast.processing (which re-exports the pipeline helpers).

import numpy as _np

from dcmfast._csrc cimport DCF_E_ARG, DCF_E_OUTPUT_TOO_SMALL, DCF_E_SHORT_INPUT


cdef extern from "color.h" nogil:
    int DCF_MCT_INTERLEAVED
    int DCF_MCT_PLANAR
    int dcf_ybr_full_to_rgb_u8(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                               size_t npixels, dcf_error_t *err)
    int dcf_rgb_to_ybr_full_u8(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                               size_t npixels, dcf_error_t *err)
    int dcf_ybr422_expand(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                          size_t npixels, int bytes_per_sample, int to_rgb, dcf_error_t *err)
    int dcf_rct_forward(const uint8_t *src, size_t srclen, int32_t *dst, size_t dstlen,
                        size_t npixels, int bytes_per_sample, int is_signed, int precision,
                        int layout, dcf_error_t *err)
    int dcf_rct_inverse(const int32_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                        size_t npixels, int bytes_per_sample, int is_signed, int precision,
                        int layout, dcf_error_t *err)
    int dcf_ict_forward(const uint8_t *src, size_t srclen, float *dst, size_t dstlen,
                        size_t npixels, int bytes_per_sample, int is_signed, int precision,
                        int layout, dcf_error_t *err)
    int dcf_ict_inverse(const float *src, size_t srclen, uint8_t *dst, size_t dstlen,
                        size_t npixels, int bytes_per_sample, int is_signed, int precision,
                        int layout, dcf_error_t *err)


cdef extern from "lut.h" nogil:
    ctypedef struct dcf_lut_index_t:
        int64_t first_map
        uint32_t nr_entries
        int diff_type
        int index_type
    int DCF_SEG_MAX_DEPTH
    int DCF_VOI_LINEAR
    int DCF_VOI_LINEAR_EXACT
    int DCF_VOI_SIGMOID_ARG
    size_t dcf_dtype_size(int dtype)
    int dcf_lut_apply(const uint8_t *src, size_t srclen, int src_type, size_t count, uint8_t *dst,
                      size_t dstlen, const uint8_t *const *luts, size_t nluts, size_t lut_len,
                      int lut_bytes, const dcf_lut_index_t *ix, uint32_t *scratch,
                      size_t scratchlen, dcf_error_t *err)
    int dcf_segmented_lut_expand(const uint8_t *src, size_t srclen, int word_bytes,
                                 int little_endian, uint16_t *dst, size_t dstcap,
                                 size_t *dstcount, dcf_error_t *err)
    int dcf_rescale(const uint8_t *src, size_t srclen, int src_type, size_t count, double *dst,
                    size_t dstlen, double slope, double intercept, dcf_error_t *err)
    int dcf_window(const uint8_t *src, size_t srclen, int src_type, size_t count, double *dst,
                   size_t dstlen, int func, double center, double width, double y_min,
                   double y_max, double y_range, dcf_error_t *err)
    int dcf_sigmoid_finish(double *buf, size_t count, double y_range, double y_min,
                           dcf_error_t *err)


# numpy dtype (native byte order) -> dcf_dtype_t
_DCF_DTYPES = {
    _np.dtype("u1"): 1, _np.dtype("i1"): 2, _np.dtype("u2"): 3, _np.dtype("i2"): 4,
    _np.dtype("u4"): 5, _np.dtype("i4"): 6, _np.dtype("f4"): 7, _np.dtype("f8"): 8,
}
_INT_DTYPES = frozenset(dt for dt, code in _DCF_DTYPES.items() if code <= 6)


def dcf_dtype_code(dtype):
    """The dcf_dtype_t of a numpy dtype, or 0 when the kernels do not take it
    (non-native byte order, 64-bit integers, complex, object...)."""
    return _DCF_DTYPES.get(_np.dtype(dtype), 0)


cdef const uint8_t[::1] _ro_bytes(object obj, str what):
    """A flat read-only byte view of a C-contiguous array or buffer."""
    if isinstance(obj, _np.ndarray):
        if not obj.flags.c_contiguous:
            raise ValueError(f"{what}: the array must be C-contiguous")
        return obj.reshape(-1).view(_np.uint8)
    try:
        mv = memoryview(obj)
    except TypeError:
        raise TypeError(f"{what}: expected a bytes-like object or an ndarray, "
                        f"not {type(obj).__name__}") from None
    if not mv.c_contiguous:
        raise ValueError(f"{what}: the buffer must be C-contiguous")
    return mv.cast("B")


cdef uint8_t[::1] _rw_bytes(object arr, str what):
    """A flat writable byte view of a C-contiguous writable ndarray."""
    if not isinstance(arr, _np.ndarray):
        raise TypeError(f"{what}: expected a numpy.ndarray, not {type(arr).__name__}")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{what}: the array must be C-contiguous")
    if not arr.flags.writeable:
        raise ValueError(f"{what}: the array is read-only")
    return arr.reshape(-1).view(_np.uint8)


cdef object _u8_array(object arr, str what):
    if not isinstance(arr, _np.ndarray) or arr.dtype != _np.uint8:
        raise ValueError(f"{what}: expected a numpy.ndarray of uint8, "
                         f"not {getattr(arr, 'dtype', type(arr).__name__)}")
    return arr


# ---- YBR_FULL <-> RGB -----------------------------------------------------------

def ybr_full_to_rgb(src, out=None):
    """YBR_FULL -> RGB for 8-bit interleaved samples (last axis 3, or a flat
    buffer of 3 samples per pixel), bit-for-bit pydicom 3's conversion.
    `out` (a writable uint8 array of the same size) may be `src` itself for an
    in-place conversion; by default a new array shaped like `src` is returned."""
    return _ybr_rgb(src, out, True)


def rgb_to_ybr_full(src, out=None):
    """RGB -> YBR_FULL for 8-bit interleaved samples; see ybr_full_to_rgb."""
    return _ybr_rgb(src, out, False)


def ybr_full_to_rgb_inplace(arr):
    """Convert a C-contiguous uint8 YBR_FULL array (3 samples per pixel) to
    RGB in place and return it."""
    return _ybr_rgb(_u8_array(arr, "ybr_full_to_rgb_inplace"), arr, True)


def rgb_to_ybr_full_inplace(arr):
    """Convert a C-contiguous uint8 RGB array to YBR_FULL in place and return it."""
    return _ybr_rgb(_u8_array(arr, "rgb_to_ybr_full_inplace"), arr, False)


cdef object _ybr_rgb(object src, object out, bint to_rgb):
    cdef const uint8_t[::1] s
    cdef uint8_t[::1] d
    cdef dcf_error_t err
    cdef int rc
    cdef size_t npix
    what = "ybr_full_to_rgb" if to_rgb else "rgb_to_ybr_full"
    if isinstance(src, _np.ndarray) and src.dtype != _np.uint8:
        raise ValueError(f"{what}: expected uint8 samples, not {src.dtype}")
    if out is None:
        if isinstance(src, _np.ndarray):
            out = _np.empty(src.shape, dtype=_np.uint8)
        else:
            out = _np.empty(len(memoryview(src).cast("B")), dtype=_np.uint8)
    _u8_array(out, what)
    if out is src:
        d = _rw_bytes(out, what)
        if d.shape[0] % 3:
            raise ValueError(f"{what}: {d.shape[0]} samples is not a whole number of pixels")
        npix = <size_t>d.shape[0] // 3
        if npix == 0:
            return out
        with nogil:
            if to_rgb:
                rc = dcf_ybr_full_to_rgb_u8(&d[0], <size_t>d.shape[0], &d[0], <size_t>d.shape[0],
                                            npix, &err)
            else:
                rc = dcf_rgb_to_ybr_full_u8(&d[0], <size_t>d.shape[0], &d[0], <size_t>d.shape[0],
                                            npix, &err)
        _check(rc, &err, what)
        return out
    s = _ro_bytes(src, what)
    d = _rw_bytes(out, what)
    if s.shape[0] % 3:
        raise ValueError(f"{what}: {s.shape[0]} samples is not a whole number of pixels")
    if d.shape[0] != s.shape[0]:
        raise ValueError(f"{what}: output holds {d.shape[0]} samples, input {s.shape[0]}")
    npix = <size_t>s.shape[0] // 3
    if npix == 0:
        return out
    with nogil:
        if to_rgb:
            rc = dcf_ybr_full_to_rgb_u8(&s[0], <size_t>s.shape[0], &d[0], <size_t>d.shape[0],
                                        npix, &err)
        else:
            rc = dcf_rgb_to_ybr_full_u8(&s[0], <size_t>s.shape[0], &d[0], <size_t>d.shape[0],
                                        npix, &err)
    _check(rc, &err, what)
    return out


# ---- YBR_FULL_422 -----------------------------------------------------------------

def ybr422_expand(src, dst, int bytes_per_sample, bint ybr_to_rgb=False):
    """Expand native YBR_FULL_422 samples (Y1 Y2 Cb Cr per pixel pair) into
    `dst` as Y1 Cb Cr Y2 Cb Cr (pydicom's _as_array_native expansion).

    src : bytes-like or C-contiguous ndarray; at least 2 samples per pixel of
        `dst` (extra trailing bytes, e.g. an odd-length pad, are ignored).
    dst : writable C-contiguous ndarray of 3 * npixels samples (any shape, its
        itemsize need not match: its size in bytes decides npixels). dst may
        be a view of the same memory as src starting at the same address (the
        expansion then runs back to front).
    bytes_per_sample : 1 or 2.
    ybr_to_rgb : also convert YBR_FULL -> RGB in the same pass (8-bit only),
        bit-for-bit pydicom's convert_color_space.

    Returns dst. An odd total pixel count raises ValueError (pydicom fails
    there too); a short src raises PixelDataError.
    """
    cdef const uint8_t[::1] s
    cdef uint8_t[::1] d
    cdef dcf_error_t err
    cdef int rc
    cdef size_t npix, bps
    if bytes_per_sample not in (1, 2):
        raise ValueError(f"ybr422_expand: bytes_per_sample must be 1 or 2, not {bytes_per_sample}")
    if ybr_to_rgb and bytes_per_sample != 1:
        raise ValueError("ybr422_expand: ybr_to_rgb needs 8-bit samples")
    bps = <size_t>bytes_per_sample
    d = _rw_bytes(dst, "ybr422_expand")
    s = _ro_bytes(src, "ybr422_expand")
    if d.shape[0] % (3 * bps):
        raise ValueError(f"ybr422_expand: output of {d.shape[0]} bytes is not a whole number "
                         f"of {3 * bps}-byte pixels")
    npix = <size_t>d.shape[0] // (3 * bps)
    if npix % 2:
        raise ValueError(f"ybr422_expand: YBR_FULL_422 needs an even number of pixels, not {npix}")
    if <size_t>s.shape[0] < 2 * npix * bps:
        raise PixelDataError(f"ybr422_expand: {s.shape[0]} bytes of YBR_FULL_422 data, "
                             f"{2 * npix * bps} needed for {npix} pixels")
    if npix == 0:
        return dst
    with nogil:
        rc = dcf_ybr422_expand(&s[0], <size_t>s.shape[0], &d[0], <size_t>d.shape[0], npix,
                               bytes_per_sample, 1 if ybr_to_rgb else 0, &err)
    if rc == DCF_E_ARG:
        raise ValueError("ybr422_expand: output overlaps the input (only dst starting at "
                         "src's address is allowed)")
    _check(rc, &err, "ybr422_expand")
    return dst


# ---- JPEG 2000 RCT / ICT ------------------------------------------------------------

cdef tuple _sample_fmt(object arr, object precision, str what):
    dt = arr.dtype
    if dt.kind not in "ui" or dt.itemsize not in (1, 2) or not dt.isnative:
        raise ValueError(f"{what}: samples must be 8- or 16-bit integers, not {dt}")
    p = 8 * dt.itemsize if precision is None else int(precision)
    if not 1 <= p <= 8 * dt.itemsize:
        raise ValueError(f"{what}: precision {p} does not fit {dt}")
    return dt.itemsize, 1 if dt.kind == "i" else 0, p


cdef size_t _mct_pixels(object samples, object comps, bint planar, str what) except? 0:
    n = samples.size
    if n % 3 or comps.size != n:
        raise ValueError(f"{what}: samples ({samples.size}) and components ({comps.size}) "
                         "must both hold 3 values per pixel")
    return <size_t>(n // 3)


def rct_forward(samples, out=None, precision=None, bint planar=False):
    """ISO/IEC 15444-1 G.2.1 RCT of interleaved R G B samples (8/16-bit,
    signed or unsigned; unsigned ones are DC level shifted by 2^(precision-1))
    into int32 components Y0 Y1 Y2 (interleaved, or planar: 3 x npixels).
    Returns the int32 array (`out` if given)."""
    return _mct(samples, out, precision, planar, True, False)


def rct_inverse(components, out, precision=None, bint planar=False):
    """G.2.2 inverse RCT: int32 components -> samples written into `out`
    (uint8/int8/uint16/int16, 3 per pixel), clamped to the precision's range.
    Exact inverse of rct_forward. Returns out."""
    return _mct(out, components, precision, planar, True, True)


def ict_forward(samples, out=None, precision=None, bint planar=False):
    """G.3.1 ICT of R G B samples into float32 Y Cb Cr."""
    return _mct(samples, out, precision, planar, False, False)


def ict_inverse(components, out, precision=None, bint planar=False):
    """G.3.2 inverse ICT: float32 Y Cb Cr -> samples in `out`, rounded and clamped."""
    return _mct(out, components, precision, planar, False, True)


cdef object _mct(object samples, object comps, object precision, bint planar, bint rct,
                 bint inverse):
    cdef const uint8_t[::1] s
    cdef uint8_t[::1] sw
    cdef const int32_t[::1] ci
    cdef int32_t[::1] cw
    cdef const float[::1] cf
    cdef float[::1] cfw
    cdef dcf_error_t err
    cdef int rc, bps, signed, prec, layout
    cdef size_t npix
    what = ("rct" if rct else "ict") + ("_inverse" if inverse else "_forward")
    if not isinstance(samples, _np.ndarray):
        raise TypeError(f"{what}: samples must be a numpy.ndarray")
    bps, signed, prec = _sample_fmt(samples, precision, what)
    ctype = _np.int32 if rct else _np.float32
    if comps is None:
        comps = _np.empty(samples.shape if not planar else (3,) + samples.shape[:-1], dtype=ctype)
    if not isinstance(comps, _np.ndarray) or comps.dtype != ctype or not comps.flags.c_contiguous:
        raise ValueError(f"{what}: components must be a C-contiguous {_np.dtype(ctype)} array")
    npix = _mct_pixels(samples, comps, planar, what)
    layout = DCF_MCT_PLANAR if planar else DCF_MCT_INTERLEAVED
    if npix == 0:
        return samples if inverse else comps
    if inverse:
        sw = _rw_bytes(samples, what)
        if rct:
            ci = comps.reshape(-1)
            with nogil:
                rc = dcf_rct_inverse(&ci[0], <size_t>ci.shape[0], &sw[0], <size_t>sw.shape[0],
                                     npix, bps, signed, prec, layout, &err)
        else:
            cf = comps.reshape(-1)
            with nogil:
                rc = dcf_ict_inverse(&cf[0], <size_t>cf.shape[0], &sw[0], <size_t>sw.shape[0],
                                     npix, bps, signed, prec, layout, &err)
        _check(rc, &err, what)
        return samples
    s = _ro_bytes(samples, what)
    if not comps.flags.writeable:
        raise ValueError(f"{what}: the output array is read-only")
    if rct:
        cw = comps.reshape(-1)
        with nogil:
            rc = dcf_rct_forward(&s[0], <size_t>s.shape[0], &cw[0], <size_t>cw.shape[0],
                                 npix, bps, signed, prec, layout, &err)
    else:
        cfw = comps.reshape(-1)
        with nogil:
            rc = dcf_ict_forward(&s[0], <size_t>s.shape[0], &cfw[0], <size_t>cfw.shape[0],
                                 npix, bps, signed, prec, layout, &err)
    _check(rc, &err, what)
    return comps


# ---- LUTs ---------------------------------------------------------------------------

def lut_apply(arr, luts, first_map, nr_entries, diff_dtype=None, index_dtype=None, out=None):
    """Look every value of the integer array `arr` up in one to four LUTs.

    luts : sequence of 1-D C-contiguous uint8 or uint16 arrays of one length
        (the LUT data actually present).
    first_map, nr_entries : the descriptor's 2nd and 1st values (0 -> 65536).
        Values below first_map take entry 0; others v - first_map, clipped to
        nr_entries - 1.
    diff_dtype, index_dtype : numpy integer dtypes the difference and the
        index wrap to before clipping (pydicom's numpy arithmetic), or None.
    out : optional output, shape arr.shape (+ (len(luts),) when more than one
        LUT), dtype of the LUTs.

    An index past the LUT data raises PixelDataError.
    """
    cdef const uint8_t[::1] s
    cdef uint8_t[::1] d
    cdef const uint8_t[::1] lv0, lv1, lv2, lv3
    cdef const uint8_t *lp[4]
    cdef uint32_t[::1] scratch
    cdef uint32_t *sp = NULL
    cdef size_t slen = 0
    cdef dcf_lut_index_t ix
    cdef dcf_error_t err
    cdef int rc, src_type, lut_bytes
    cdef size_t count, nl, lut_len
    if not isinstance(arr, _np.ndarray):
        raise TypeError("lut_apply: arr must be a numpy.ndarray")
    src_type = dcf_dtype_code(arr.dtype)
    if src_type == 0 or src_type > 6:
        raise ValueError(f"lut_apply: unsupported pixel dtype {arr.dtype}")
    luts = list(luts)
    nl = len(luts)
    if not 1 <= nl <= 4:
        raise ValueError(f"lut_apply: 1 to 4 LUTs, not {nl}")
    ldt = _np.dtype(luts[0].dtype)
    if ldt not in (_np.dtype("u1"), _np.dtype("u2")):
        raise ValueError(f"lut_apply: LUT entries must be uint8 or uint16, not {ldt}")
    lut_len = <size_t>len(luts[0])
    for lut in luts:
        if lut.dtype != ldt or len(lut) != lut_len or lut.ndim != 1 or not lut.flags.c_contiguous:
            raise ValueError("lut_apply: LUTs must be 1-D C-contiguous arrays of one dtype and length")
    lut_bytes = ldt.itemsize
    if not isinstance(nr_entries, int) or not 0 <= nr_entries <= 0xFFFFFFFF:
        raise ValueError(f"lut_apply: invalid number of LUT entries {nr_entries!r}")
    if not isinstance(first_map, int) or not -(1 << 40) <= first_map <= (1 << 40):
        raise ValueError(f"lut_apply: invalid first mapped value {first_map!r}")
    ix.first_map = first_map
    ix.nr_entries = nr_entries
    ix.diff_type = 0 if diff_dtype is None else dcf_dtype_code(diff_dtype)
    ix.index_type = 0 if index_dtype is None else dcf_dtype_code(index_dtype)
    if (diff_dtype is not None and not 1 <= ix.diff_type <= 6) or \
            (index_dtype is not None and not 1 <= ix.index_type <= 6):
        raise ValueError("lut_apply: diff_dtype/index_dtype must be 8- to 32-bit integer dtypes")
    shape = arr.shape if nl == 1 else arr.shape + (nl,)
    if out is None:
        out = _np.empty(shape, dtype=ldt)
    elif out.dtype != ldt or out.size != arr.size * nl:
        raise ValueError("lut_apply: out must have the LUT dtype and size arr.size * len(luts)")
    if not arr.flags.c_contiguous:
        arr = _np.ascontiguousarray(arr)
    count = <size_t>arr.size
    if count == 0:
        return out
    if lut_len == 0:
        raise PixelDataError("lut_apply: the LUT data is empty")
    s = _ro_bytes(arr, "lut_apply")
    d = _rw_bytes(out, "lut_apply")
    lv0 = _ro_bytes(luts[0], "lut_apply")
    lv1 = _ro_bytes(luts[1], "lut_apply") if nl > 1 else lv0
    lv2 = _ro_bytes(luts[2], "lut_apply") if nl > 2 else lv0
    lv3 = _ro_bytes(luts[3], "lut_apply") if nl > 3 else lv0
    lp[0] = &lv0[0]
    lp[1] = &lv1[0]
    lp[2] = &lv2[0]
    lp[3] = &lv3[0]
    if arr.itemsize == 2 and count >= 65536:
        scratch = _np.empty(65536, dtype=_np.uint32)  # index of every 16-bit value
        sp = &scratch[0]
        slen = 65536
    with nogil:
        rc = dcf_lut_apply(&s[0], <size_t>s.shape[0], src_type, count, &d[0], <size_t>d.shape[0],
                           lp, nl, lut_len, lut_bytes, &ix, sp, slen, &err)
    if rc == DCF_E_SHORT_INPUT and err.offset < <uint64_t>s.shape[0]:
        i = err.offset // arr.itemsize
        raise PixelDataError(
            f"lut_apply: pixel value {arr.reshape(-1)[i]} (element {i}) indexes past the "
            f"{lut_len} entries of LUT data (descriptor: {nr_entries} entries from {first_map})",
            offset=err.offset)
    _check(rc, &err, "lut_apply")
    return out


def segmented_lut_expand(data, int word_bytes, bint little_endian, size_t max_entries=65536):
    """Expand Segmented Palette Color LUT data (PS3.3 C.7.9.2) as pydicom's
    _expand_segmented_lut does; returns a uint16 array of the entries.
    Raises PixelDataError for corrupt data (unknown opcodes, operands past the
    end, indirect loops) or when the LUT would exceed max_entries."""
    cdef const uint8_t[::1] s = _ro_bytes(data, "segmented_lut_expand")
    cdef uint16_t[::1] d
    cdef size_t count = 0
    cdef dcf_error_t err
    cdef int rc
    if word_bytes not in (1, 2):
        raise ValueError(f"segmented_lut_expand: word_bytes must be 1 or 2, not {word_bytes}")
    cdef const uint8_t *sp = NULL
    out = _np.empty(max_entries if max_entries else 1, dtype=_np.uint16)
    d = out
    if s.shape[0]:
        sp = &s[0]
    with nogil:
        rc = dcf_segmented_lut_expand(sp, <size_t>s.shape[0],
                                      word_bytes, little_endian, &d[0], max_entries, &count, &err)
    if rc == DCF_E_OUTPUT_TOO_SMALL:
        raise PixelDataError(f"segmented_lut_expand: the segmented LUT expands past "
                             f"{max_entries} entries")
    _check(rc, &err, "segmented_lut_expand")
    return out[:count].copy()


cdef object _f64_out(object arr, object out, str what):
    if out is None:
        return _np.empty(arr.shape, dtype=_np.float64)
    if not isinstance(out, _np.ndarray) or out.dtype != _np.float64 or out.size != arr.size \
            or not out.flags.c_contiguous:
        raise ValueError(f"{what}: out must be a C-contiguous float64 array of arr's size")
    return out


def rescale(arr, double slope, double intercept, out=None):
    """float64 arr * slope + intercept (PS3.3 C.11.1.1.2), as numpy computes
    arr.astype(float64) * slope + intercept. out may be arr when arr is a
    C-contiguous float64 array."""
    cdef const uint8_t[::1] s
    cdef double[::1] d
    cdef dcf_error_t err
    cdef int rc, src_type
    if not isinstance(arr, _np.ndarray):
        raise TypeError("rescale: arr must be a numpy.ndarray")
    src_type = dcf_dtype_code(arr.dtype)
    if src_type == 0:
        raise ValueError(f"rescale: unsupported dtype {arr.dtype}")
    if not arr.flags.c_contiguous:
        arr = _np.ascontiguousarray(arr)
    out = _f64_out(arr, out, "rescale")
    if arr.size == 0:
        return out
    d = out.reshape(-1)
    s = _ro_bytes(arr, "rescale") if out is not arr else out.reshape(-1).view(_np.uint8)
    with nogil:
        rc = dcf_rescale(&s[0], <size_t>s.shape[0], src_type, <size_t>d.shape[0], &d[0],
                         <size_t>d.shape[0], slope, intercept, &err)
    _check(rc, &err, "rescale")
    return out


_VOI_FUNCS = {"LINEAR": 0, "LINEAR_EXACT": 1, "SIGMOID": 2}


def window(arr, str func, double center, double width, double y_min, double y_max,
           double y_range, out=None):
    """VOI windowing (PS3.3 C.11.2.1.2/C.11.2.1.3) into float64 with
    pydicom's formulas; func is "LINEAR", "LINEAR_EXACT" or "SIGMOID".
    SIGMOID uses numpy's exp so the result is bit-equal to pydicom's."""
    cdef const uint8_t[::1] s
    cdef double[::1] d
    cdef dcf_error_t err
    cdef int rc, src_type, f
    if func not in _VOI_FUNCS:
        raise ValueError(f"window: unsupported VOI LUT function {func!r}")
    f = _VOI_FUNCS[func]
    if not isinstance(arr, _np.ndarray):
        raise TypeError("window: arr must be a numpy.ndarray")
    src_type = dcf_dtype_code(arr.dtype)
    if src_type == 0:
        raise ValueError(f"window: unsupported dtype {arr.dtype}")
    if not arr.flags.c_contiguous:
        arr = _np.ascontiguousarray(arr)
    out = _f64_out(arr, out, "window")
    if arr.size == 0:
        return out
    d = out.reshape(-1)
    s = _ro_bytes(arr, "window") if out is not arr else out.reshape(-1).view(_np.uint8)
    with nogil:
        rc = dcf_window(&s[0], <size_t>s.shape[0], src_type, <size_t>d.shape[0], &d[0],
                        <size_t>d.shape[0], f, center, width, y_min, y_max, y_range, &err)
    if rc == DCF_E_ARG:
        raise ValueError(f"window: invalid window width {width} for {func}")
    _check(rc, &err, "window")
    if f == DCF_VOI_SIGMOID_ARG:
        _np.exp(out, out=out)
        with nogil:
            rc = dcf_sigmoid_finish(&d[0], <size_t>d.shape[0], y_range, y_min, &err)
        _check(rc, &err, "window")
    return out
