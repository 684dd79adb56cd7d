/* SPDX-License-Identifier: MIT
 *
 * color.h - colour-space kernels for decoded pixel data: YBR_FULL <-> RGB,
 * YBR_FULL_422 chroma upsampling (optionally fused with YBR_FULL -> RGB), and
 * the JPEG 2000 component transforms RCT (reversible) and ICT (irreversible).
 *
 * Implements: PS3.3 C.7.6.3.1.2 (YBR_FULL and YBR_FULL_422 photometric
 * interpretations, with the ITU-T T.871 section 7 equations that pydicom 3
 * uses) and ISO/IEC 15444-1 Annex G (G.2 RCT, G.3 ICT; G.1.2 DC level shift).
 *
 * Conventions (see dcf.h): every kernel takes its source and destination with
 * their lengths, then its parameters, then a dcf_error_t to fill in, and
 * returns DCF_OK or a negative status. Lengths of byte buffers are in bytes;
 * lengths of int32_t / float buffers are in elements. Multi-byte samples in
 * byte buffers are in host byte order and need no alignment. Nothing is
 * allocated; nothing is read or written outside the given lengths. A pixel
 * count of 0 is valid and does nothing. err may be NULL.
 */
#ifndef DCF_COLOR_H
#define DCF_COLOR_H

#include "dcf.h"

/* YBR_FULL -> RGB for 8-bit interleaved samples (Y Cb Cr per pixel, 3 bytes).
 * Bit-for-bit pydicom 3's _convert_YBR_FULL_to_RGB: float32 matrix product as
 * numpy/OpenBLAS evaluates it (one fused multiply-add per term, in term
 * order), + 0.5, floor, clip to 0..255. dst may be src (in place); other
 * overlap is rejected (DCF_E_ARG). Needs srclen, dstlen >= 3 * npixels. */
int dcf_ybr_full_to_rgb_u8(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                           size_t npixels, dcf_error_t *err);

/* RGB -> YBR_FULL for 8-bit interleaved samples; pydicom 3's
 * _convert_RGB_to_YBR_FULL bit for bit (same evaluation as above, + 0.5 /
 * 128.5, floor, clip). dst may be src. */
int dcf_rgb_to_ybr_full_u8(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                           size_t npixels, dcf_error_t *err);

/* YBR_FULL_422 (native encoding) -> YBR_FULL: every pixel pair is stored as
 * Y1 Y2 Cb Cr and becomes Y1 Cb Cr Y2 Cb Cr. The buffer is one flat stream of
 * pairs, as pydicom's _as_array_native expands it (a pair may straddle a row,
 * or a frame when several frames are passed at once). npixels must be even
 * (pydicom fails on an odd total too): DCF_E_ARG otherwise.
 * bytes_per_sample is 1 or 2 (samples are moved, not interpreted). With
 * to_rgb (bytes_per_sample 1 only) each pixel also goes YBR_FULL -> RGB
 * exactly as dcf_ybr_full_to_rgb_u8, in the same pass.
 * Needs srclen >= 2 * npixels * bytes_per_sample and dstlen >= 3 * npixels *
 * bytes_per_sample. dst may be src (the expansion then runs back to front;
 * the buffer must hold the larger, expanded size); other overlap: DCF_E_ARG. */
int dcf_ybr422_expand(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                      size_t npixels, int bytes_per_sample, int to_rgb, dcf_error_t *err);

/* Layout of the int32 / float component side of the JPEG 2000 transforms. */
#define DCF_MCT_INTERLEAVED 0 /* c0 c1 c2 c0 c1 c2 ...                      */
#define DCF_MCT_PLANAR 1      /* npixels of c0, then of c1, then of c2       */

/* RCT forward (ISO/IEC 15444-1 G.2.1): interleaved R G B samples
 * (bytes_per_sample 1 or 2, is_signed 0/1, precision 1..16 significant bits,
 * not more than the sample width) -> Y0 Y1 Y2 as int32, after the G.1.2 DC
 * level shift for unsigned samples (subtract 2^(precision-1)). Samples are
 * read as their full width (no masking of unused high bits).
 * Y0 = floor((R + 2G + B) / 4), Y1 = B - G, Y2 = R - G.
 * dstlen (elements) >= 3 * npixels. */
int dcf_rct_forward(const uint8_t *src, size_t srclen, int32_t *dst, size_t dstlen,
                    size_t npixels, int bytes_per_sample, int is_signed, int precision,
                    int layout, dcf_error_t *err);

/* RCT inverse (G.2.2): Y0 Y1 Y2 int32 -> R G B samples.
 * G = Y0 - floor((Y2 + Y1) / 4), R = Y2 + G, B = Y1 + G, then the inverse
 * DC level shift, clamped to the precision's range (0..2^p-1 or
 * -2^(p-1)..2^(p-1)-1). |components| must stay below 2^24 (DCF_E_CORRUPT,
 * offset = element index, otherwise). Exact inverse of dcf_rct_forward. */
int dcf_rct_inverse(const int32_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                    size_t npixels, int bytes_per_sample, int is_signed, int precision,
                    int layout, dcf_error_t *err);

/* ICT forward (G.3.1): samples (after the DC level shift) -> Y Cb Cr float32,
 * Y = .299R + .587G + .114B, Cb = -.16875R - .33126G + .5B,
 * Cr = .5R - .41869G - .08131B (computed in double, stored as float). */
int dcf_ict_forward(const uint8_t *src, size_t srclen, float *dst, size_t dstlen,
                    size_t npixels, int bytes_per_sample, int is_signed, int precision,
                    int layout, dcf_error_t *err);

/* ICT inverse (G.3.2): Y Cb Cr float32 -> samples: R = Y + 1.402Cr,
 * G = Y - .34413Cb - .71414Cr, B = Y + 1.772Cb, rounded to nearest (halves
 * up), inverse DC level shift, clamped to the precision's range. NaN -> the
 * range's lower end. */
int dcf_ict_inverse(const float *src, size_t srclen, uint8_t *dst, size_t dstlen,
                    size_t npixels, int bytes_per_sample, int is_signed, int precision,
                    int layout, dcf_error_t *err);

#endif /* DCF_COLOR_H */
