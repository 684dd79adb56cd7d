/* SPDX-License-Identifier: MIT
 *
 * rescale.c - Rescale Slope / Intercept on 16-bit stored values.
 *
 * Implements: PS3.3 C.11.1.1.2 (Modality LUT: Rescale Slope / Intercept).
 *
 * Bounds policy: reads and writes exactly n samples; no allocation.
 * The loops are branch-free so that compilers vectorise them.
 */
#include "rescale.h"

int dcf_rescale_add16(uint16_t *buf, size_t n, int is_signed, int32_t intercept,
                      int32_t *lo, int32_t *hi)
{
    int32_t mn = INT32_MAX, mx = INT32_MIN;
    const uint16_t add = (uint16_t)((uint32_t)intercept & 0xFFFFu); /* modulo 2**16 */
    size_t i;
    if (is_signed) {
        const int16_t *s = (const int16_t *)(const void *)buf;
        int16_t smn = INT16_MAX, smx = INT16_MIN;
        for (i = 0; i < n; i++) {
            const int16_t v = s[i];
            smn = v < smn ? v : smn;
            smx = v > smx ? v : smx;
        }
        if (n) {
            mn = (int32_t)smn + intercept;
            mx = (int32_t)smx + intercept;
        }
    } else {
        uint16_t umn = UINT16_MAX, umx = 0;
        for (i = 0; i < n; i++) {
            const uint16_t v = buf[i];
            umn = v < umn ? v : umn;
            umx = v > umx ? v : umx;
        }
        if (n) {
            mn = (int32_t)umn + intercept;
            mx = (int32_t)umx + intercept;
        }
    }
    *lo = mn;
    *hi = mx;
    if (n && (mn < INT16_MIN || mx > INT16_MAX)) return 0; /* left untouched */
    if (add) {
        for (i = 0; i < n; i++) buf[i] = (uint16_t)(buf[i] + add);
    }
    return 1;
}

void dcf_rescale_f32_16(const uint16_t *src, size_t n, int is_signed, double slope,
                        double intercept, float *dst)
{
    size_t i;
    if (is_signed) {
        const int16_t *s = (const int16_t *)(const void *)src;
        for (i = 0; i < n; i++) dst[i] = (float)((double)s[i] * slope + intercept);
    } else {
        for (i = 0; i < n; i++) dst[i] = (float)((double)src[i] * slope + intercept);
    }
}
