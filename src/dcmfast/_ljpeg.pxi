# Included by _pixels.pyx.
# JPEG lossless, process 14 (ITU-T T.81 Annex H): csrc/ljpeg.c.

cdef extern from "ljpeg.h" nogil:
    ctypedef struct dcf_ljpeg_header_t:
        uint32_t precision
        uint32_t rows
        uint32_t cols
        uint32_t components
        uint32_t predictor
        uint32_t point_transform
        uint32_t restart
    int dcf_ljpeg_header(const uint8_t *src, size_t srclen, dcf_ljpeg_header_t *hdr,
                         dcf_error_t *err)
    int dcf_ljpeg_decode(const uint8_t *src, size_t srclen, uint16_t *dst, size_t dstlen,
                         dcf_ljpeg_header_t *hdr, dcf_error_t *err)


cdef dict _ljpeg_dict(dcf_ljpeg_header_t *hdr):
    return {"precision": hdr.precision, "rows": hdr.rows, "columns": hdr.cols,
            "components": hdr.components, "predictor": hdr.predictor,
            "point_transform": hdr.point_transform, "restart": hdr.restart}


def ljpeg_header(src):
    """The SOF3/SOS parameters of a JPEG lossless codestream as a dict, or
    None when dcmfast's decoder does not handle it (several components, DNL,
    another JPEG process). Raises PixelDataError on a malformed header."""
    cdef const uint8_t[::1] s = src
    cdef dcf_ljpeg_header_t hdr
    cdef dcf_error_t err
    cdef int rc
    with nogil:
        rc = dcf_ljpeg_header(&s[0] if s.shape[0] else NULL, s.shape[0], &hdr, &err)
    if rc == DCF_E_UNSUPPORTED:
        return None
    _check(rc, &err, "JPEG lossless header")
    return _ljpeg_dict(&hdr)


def ljpeg_decode(src, out, frame=None):
    """Decode a single-component JPEG lossless codestream (process 14, any
    predictor, point transform, whole-line restart intervals) into ``out``:
    a writable C-contiguous buffer of at least rows x columns unsigned
    16-bit samples (e.g. a uint16 or int16 array; a signed view gets the
    same bits). The GIL is released while decoding.

    Returns the header dict (see :func:`ljpeg_header`), or None when the
    stream is valid JPEG but not one this decoder handles (use another
    decoder). Raises PixelDataError on corrupt or truncated data."""
    cdef const uint8_t[::1] s = src
    cdef Py_buffer view
    cdef dcf_ljpeg_header_t hdr
    cdef dcf_error_t err
    cdef int rc
    _rle_get_buffer(out, &view, True, "out")
    try:
        with nogil:
            rc = dcf_ljpeg_decode(&s[0] if s.shape[0] else NULL, s.shape[0],
                                  <uint16_t *>view.buf, <size_t>view.len // 2, &hdr, &err)
    finally:
        PyBuffer_Release(&view)
    if rc == DCF_E_UNSUPPORTED:
        return None
    _check(rc, &err, "JPEG lossless", frame)
    return _ljpeg_dict(&hdr)
