/* SPDX-License-Identifier: MIT
 *
 * lut.h - lookup-table kernels for decoded pixel data: palette colour and
 * other LUT lookups, segmented palette LUT expansion, the modality rescale
 * and VOI windowing.
 *
 * Implements: PS3.3 C.7.6.3.1.5 (Palette Color Lookup Table Descriptor) and
 * C.7.9 (Palette Color Lookup Table Module; C.7.9.2 segmented LUT data:
 * discrete, linear and indirect segments), PS3.3 C.11.1 (Modality LUT:
 * Rescale Slope/Intercept and the Modality LUT Sequence), C.11.2 (VOI LUT
 * Sequence) with C.11.2.1.2 (Window Center/Width, LINEAR) and C.11.2.1.3
 * (LINEAR_EXACT, SIGMOID) - each as pydicom 3's pixels.processing computes it
 * (see lut.c for where pydicom's arithmetic is reproduced).
 *
 * Conventions as in color.h: (src, srclen, ..., dst, dstlen, params, err) ->
 * status; byte lengths for byte buffers, element counts for typed ones; host
 * byte order; no allocation; err may be NULL.
 */
#ifndef DCF_LUT_H
#define DCF_LUT_H

#include "dcf.h"

/* Element types of pixel buffers (numpy's u1 i1 u2 i2 u4 i4 f4 f8). */
typedef enum {
    DCF_DT_NONE = 0, /* "no wrapping" where a type says how a value wraps */
    DCF_DT_U8 = 1,
    DCF_DT_I8 = 2,
    DCF_DT_U16 = 3,
    DCF_DT_I16 = 4,
    DCF_DT_U32 = 5,
    DCF_DT_I32 = 6,
    DCF_DT_F32 = 7,
    DCF_DT_F64 = 8
} dcf_dtype_t;

/* Size in bytes of one element of a dcf_dtype_t, 0 for an unknown type. */
size_t dcf_dtype_size(int dtype);

/* How a stored value v becomes a LUT index (PS3.3 C.7.6.3.1.5, C.11.1.1):
 * values below first_map map to entry 0; otherwise the index is v - first_map,
 * clipped to 0 .. nr_entries - 1. pydicom computes that difference in numpy
 * types that can wrap; diff_type is the type the difference is computed in
 * (wraps modulo its width; DCF_DT_NONE: exact) and index_type the type the
 * index array has before clipping (same; numpy's unsafe cast on assignment).
 * The C.7.6.3.1.5 meaning is diff_type = index_type = DCF_DT_NONE. */
typedef struct {
    int64_t first_map;   /* descriptor value 2 (may be negative) */
    uint32_t nr_entries; /* descriptor value 1; 0 means 65536 */
    int diff_type;       /* DCF_DT_NONE or an integer dcf_dtype_t */
    int index_type;      /* DCF_DT_NONE or an integer dcf_dtype_t */
} dcf_lut_index_t;

/* Look every value of src (count elements of integer type src_type) up in
 * nluts LUTs of lut_len entries of lut_bytes (1 or 2) each, and write the
 * results interleaved: dst gets count * nluts entries of lut_bytes
 * (nluts = 1: grey, 3: RGB, 4: RGBA). An index at or past lut_len (a
 * descriptor that promises more entries than the data holds) stops with
 * DCF_E_SHORT_INPUT, offset = the byte offset of the value in src.
 * scratch (optional, may be NULL): at least 65536 entries let a 16-bit source
 * be mapped through a table of every value's index (worth it from 65536
 * pixels on); 8-bit sources use a 256-entry table on the stack. */
int dcf_lut_apply(const uint8_t *src, size_t srclen, int src_type, size_t count, uint8_t *dst,
                  size_t dstlen, const uint8_t *const *luts, size_t nluts, size_t lut_len,
                  int lut_bytes, const dcf_lut_index_t *ix, uint32_t *scratch, size_t scratchlen,
                  dcf_error_t *err);

/* Expand segmented palette LUT data (C.7.9.2) into dst (at most dstcap
 * entries; *dstcount gets the number written). src holds srclen / word_bytes
 * words of word_bytes (1 or 2, the descriptor's bits / 8) in the byte order
 * given by little_endian. Follows pydicom's _expand_segmented_lut: an
 * indirect segment's offset counts words from the start of the segment list
 * it occurs in; a discrete segment that runs past the data is cut short; a
 * trailing single word is ignored. Errors (DCF_E_CORRUPT): unknown opcode, a
 * linear segment first or after an empty list with no previous value (or
 * previous value 0, as pydicom), a linear segment of length 0 between
 * different values, an indirect segment first, an operand past the end,
 * indirect nesting deeper than DCF_SEG_MAX_DEPTH, or more segments visited
 * than 2 * (words + dstcap) + 16 (indirect loops). More than dstcap entries:
 * DCF_E_OUTPUT_TOO_SMALL. */
#define DCF_SEG_MAX_DEPTH 32
int dcf_segmented_lut_expand(const uint8_t *src, size_t srclen, int word_bytes, int little_endian,
                             uint16_t *dst, size_t dstcap, size_t *dstcount, dcf_error_t *err);

/* Modality rescale (C.11.1.1.2): dst[i] = (double)src[i] * slope + intercept
 * (one rounding per operation, as numpy's astype/multiply/add). src may be
 * any dcf_dtype_t; with DCF_DT_F64, dst may be src. */
int dcf_rescale(const uint8_t *src, size_t srclen, int src_type, size_t count, double *dst,
                size_t dstlen, double slope, double intercept, dcf_error_t *err);

/* VOI windowing (C.11.2.1.2, C.11.2.1.3) into float64, pydicom's formulas:
 * DCF_VOI_LINEAR (width >= 1): c = center - .5, w = width - 1;
 * DCF_VOI_LINEAR_EXACT (width > 0): c = center, w = width; then
 *   x <= c - w/2 -> y_min; x > c + w/2 -> y_max;
 *   else ((x - c) / w + .5) * y_range + y_min.
 * DCF_VOI_SIGMOID_ARG (width > 0): dst = -4 * (x - center) / width, the
 *   exponent of SIGMOID; the caller applies exp (numpy's, to stay bit-equal
 *   to pydicom) and then dcf_sigmoid_finish.
 * y_range is passed (pydicom's y_max - y_min, computed by the caller). A
 * width out of range: DCF_E_ARG. With DCF_DT_F64, dst may be src. */
#define DCF_VOI_LINEAR 0
#define DCF_VOI_LINEAR_EXACT 1
#define DCF_VOI_SIGMOID_ARG 2
int dcf_window(const uint8_t *src, size_t srclen, int src_type, size_t count, double *dst,
               size_t dstlen, int func, double center, double width, double y_min, double y_max,
               double y_range, dcf_error_t *err);

/* buf[i] = y_range / (1 + buf[i]) + y_min (the rest of SIGMOID). */
int dcf_sigmoid_finish(double *buf, size_t count, double y_range, double y_min, dcf_error_t *err);

#endif /* DCF_LUT_H */
