/* SPDX-License-Identifier: MIT
 *
 * rescale.h - the Modality LUT's linear transform applied to one decoded
 * slice of 16-bit stored values, fused with the range check that decides
 * whether a volume of Hounsfield units fits int16.
 *
 * Implements: PS3.3 C.11.1.1.2 (output = stored * Rescale Slope + Rescale
 * Intercept).
 *
 * Bounds policy: every kernel reads and writes exactly n samples of the
 * buffers it is given; the caller sizes them.
 */
#ifndef DCF_RESCALE_H
#define DCF_RESCALE_H

#include "dcf.h"

/* Add the integer intercept to n 16-bit stored values in place, wrapping
 * modulo 2**16 (so that the words read as int16 are exact whenever the true
 * result fits int16). *lo and *hi receive the true minimum and maximum of
 * stored + intercept. Returns 1 when every result fits int16; else 0 and
 * the buffer is left untouched. */
int dcf_rescale_add16(uint16_t *buf, size_t n, int is_signed, int32_t intercept,
                      int32_t *lo, int32_t *hi);

/* dst[i] = (float)(src[i] * slope + intercept) for n 16-bit stored values,
 * computed in double precision. */
void dcf_rescale_f32_16(const uint16_t *src, size_t n, int is_signed, double slope,
                        double intercept, float *dst);

#endif
