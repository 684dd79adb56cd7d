/* SPDX-License-Identifier: MIT
 *
 * lut.c - lookup-table kernels (see lut.h).
 *
 * Implements: PS3.3 C.7.6.3.1.5 and C.7.9 (palette colour LUTs, C.7.9.2
 * segmented LUT data), C.11.1 (modality LUT and rescale), C.11.2 (VOI LUT,
 * C.11.2.1.2 LINEAR windowing, C.11.2.1.3 LINEAR_EXACT and SIGMOID).
 *
 * Where pydicom 3 is reproduced:
 * - LUT indexing (apply_color_lut, apply_modality_lut, apply_voi): the
 *   "clipped_iv" array of numpy integers; the difference v - first_map and the
 *   assignment into the index array both wrap in their numpy types, which
 *   dcf_lut_index_t names, before np.clip.
 * - Rescale and windowing: the same IEEE double operations in the same order
 *   as the numpy expressions, each rounded on its own. numpy never fuses a
 *   multiply and an add (they are separate ufunc passes), so contraction
 *   into FMA is switched off for this file (GCC defaults to
 *   -ffp-contract=fast in gnu99 mode, which matters where the target has
 *   FMA: aarch64, or x86-64 built with -march=haswell and later).
 * - Segmented LUT linear segments: np.around(np.linspace(y0 + step, y1, n))
 *   as numpy 2 computes linspace (i * step + start, last value = stop) and
 *   rounds (half to even).
 */
#include "lut.h"

#include <string.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
/* no-trapping-math lets the windowing selects vectorize; it changes no value
 * (only whether FP exception flags may be raised speculatively). */
#pragma GCC optimize("fp-contract=off", "no-trapping-math")
#endif

static inline int set_err(dcf_error_t *err, int code, uint64_t offset) {
    if (err != NULL) {
        err->code = code;
        err->tag = DCF_NO_TAG;
        err->offset = offset;
    }
    return code;
}

size_t dcf_dtype_size(int dtype) {
    switch (dtype) {
    case DCF_DT_U8:
    case DCF_DT_I8: return 1;
    case DCF_DT_U16:
    case DCF_DT_I16: return 2;
    case DCF_DT_U32:
    case DCF_DT_I32:
    case DCF_DT_F32: return 4;
    case DCF_DT_F64: return 8;
    default: return 0;
    }
}

static inline int is_int_type(int t) {
    return t >= DCF_DT_U8 && t <= DCF_DT_I32;
}

/* Integer element i of src, widened exactly (src checked by the caller). */
static inline int64_t rd_int(const uint8_t *p, int t) {
    switch (t) {
    case DCF_DT_U8: return p[0];
    case DCF_DT_I8: return p[0] >= 128 ? (int64_t)p[0] - 256 : (int64_t)p[0];
    case DCF_DT_U16: {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case DCF_DT_I16: {
        int16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case DCF_DT_U32: {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    default: {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    }
}

/* Element of any type as double (numpy's astype(float64)). */
static inline double rd_double(const uint8_t *p, int t) {
    if (t == DCF_DT_F32) {
        float v;
        memcpy(&v, p, 4);
        return (double)v;
    }
    if (t == DCF_DT_F64) {
        double v;
        memcpy(&v, p, 8);
        return v;
    }
    return (double)rd_int(p, t);
}

/* x reduced modulo the width of integer type t and read back in t. */
static inline int64_t wrap_to(int64_t x, int t) {
    uint64_t u = (uint64_t)x;
    switch (t) {
    case DCF_DT_U8: return (int64_t)(u & 0xFFu);
    case DCF_DT_I8: u &= 0xFFu; return u >= 0x80u ? (int64_t)u - 0x100 : (int64_t)u;
    case DCF_DT_U16: return (int64_t)(u & 0xFFFFu);
    case DCF_DT_I16: u &= 0xFFFFu; return u >= 0x8000u ? (int64_t)u - 0x10000 : (int64_t)u;
    case DCF_DT_U32: return (int64_t)(u & 0xFFFFFFFFu);
    case DCF_DT_I32:
        u &= 0xFFFFFFFFu;
        return u >= 0x80000000u ? (int64_t)u - (int64_t)0x100000000 : (int64_t)u;
    default: return x;
    }
}

/* ---- LUT lookup ---------------------------------------------------------------- */

typedef struct {
    int64_t first, last; /* first mapped value, last index (nr_entries - 1) */
    int diff_type, index_type;
    int wrapping;        /* diff_type or index_type set */
    int checked;         /* last >= lut_len: every index must be checked */
    size_t lut_len;
} lut_plan_t;

/* The index of one value (PS3.3 C.7.6.3.1.5 / C.11.1.1 with pydicom's wrapping). */
static inline int64_t lut_index(const lut_plan_t *p, int64_t v) {
    int64_t idx = v - p->first;
    if (p->wrapping) {
        idx = wrap_to(wrap_to(idx, p->diff_type), p->index_type);
    }
    idx = v < p->first ? 0 : idx;
    idx = idx < 0 ? 0 : idx;
    return idx > p->last ? p->last : idx;
}

#define LUT_BAD UINT32_MAX

/* Index of every value of an 8- or 16-bit source type (LUT_BAD: past the
 * LUT data), so the per-pixel work is two loads. */
static void lut_table(const lut_plan_t *p, int src_type, uint32_t *tab) {
    int64_t v, lo = 0, n = 256;
    switch (src_type) {
    case DCF_DT_I8: lo = -128; break;
    case DCF_DT_U16: n = 65536; break;
    case DCF_DT_I16: lo = -32768; n = 65536; break;
    default: break;
    }
    for (v = lo; v < lo + n; v++) {
        int64_t idx = lut_index(p, v);
        tab[(uint64_t)v & (uint64_t)(n - 1)] = (uint64_t)idx >= p->lut_len ? LUT_BAD : (uint32_t)idx;
    }
}

/* One loop per (source type, entry size, number of LUTs): the reads, the
 * entry copies and the LUT count are compile-time constants in each copy
 * (the helpers below are inlined with literal arguments). */
static inline int lut_loop(const uint8_t *src, size_t count, int src_type, size_t esz,
                           uint8_t *dst, const uint8_t *const *luts, size_t nluts,
                           int lut_bytes, const lut_plan_t *p, const uint32_t *tab,
                           dcf_error_t *err) {
    size_t i, c;
    const uint8_t *l0 = luts[0], *l1 = nluts > 1 ? luts[1] : luts[0],
                  *l2 = nluts > 2 ? luts[2] : luts[0];
    for (i = 0; i < count; i++) {
        size_t k;
        if (tab != NULL) {
            uint64_t v = (uint64_t)rd_int(src + i * esz, src_type) & (esz == 1 ? 0xFFu : 0xFFFFu);
            uint32_t t = tab[v];
            if (p->checked && DCF_UNLIKELY(t == LUT_BAD)) {
                return set_err(err, DCF_E_SHORT_INPUT, (uint64_t)(i * esz));
            }
            k = t;
        } else {
            int64_t idx = lut_index(p, rd_int(src + i * esz, src_type));
            if (p->checked && DCF_UNLIKELY((uint64_t)idx >= p->lut_len)) {
                return set_err(err, DCF_E_SHORT_INPUT, (uint64_t)(i * esz));
            }
            k = (size_t)idx;
        }
        if (lut_bytes == 1) {
            uint8_t *o = dst + i * nluts;
            if (nluts == 1) {
                o[0] = l0[k];
            } else if (nluts == 3) {
                o[0] = l0[k];
                o[1] = l1[k];
                o[2] = l2[k];
            } else {
                for (c = 0; c < nluts; c++) {
                    o[c] = luts[c][k];
                }
            }
        } else {
            uint8_t *o = dst + 2 * i * nluts;
            if (nluts == 1) {
                memcpy(o, l0 + 2 * k, 2);
            } else if (nluts == 3) {
                memcpy(o, l0 + 2 * k, 2);
                memcpy(o + 2, l1 + 2 * k, 2);
                memcpy(o + 4, l2 + 2 * k, 2);
            } else {
                for (c = 0; c < nluts; c++) {
                    memcpy(o + 2 * c, luts[c] + 2 * k, 2);
                }
            }
        }
    }
    return DCF_OK;
}

#define LUT_CASE(TT, SZ)                                                                   \
    case TT:                                                                               \
        if (lut_bytes == 1) {                                                              \
            rc = nluts == 1 ? lut_loop(src, count, TT, SZ, dst, luts, 1, 1, &p, tab, err)  \
               : nluts == 3 ? lut_loop(src, count, TT, SZ, dst, luts, 3, 1, &p, tab, err)  \
                            : lut_loop(src, count, TT, SZ, dst, luts, nluts, 1, &p, tab, err); \
        } else {                                                                           \
            rc = nluts == 1 ? lut_loop(src, count, TT, SZ, dst, luts, 1, 2, &p, tab, err)  \
               : nluts == 3 ? lut_loop(src, count, TT, SZ, dst, luts, 3, 2, &p, tab, err)  \
                            : lut_loop(src, count, TT, SZ, dst, luts, nluts, 2, &p, tab, err); \
        }                                                                                  \
        break;

int dcf_lut_apply(const uint8_t *src, size_t srclen, int src_type, size_t count, uint8_t *dst,
                  size_t dstlen, const uint8_t *const *luts, size_t nluts, size_t lut_len,
                  int lut_bytes, const dcf_lut_index_t *ix, uint32_t *scratch, size_t scratchlen,
                  dcf_error_t *err) {
    size_t c, esz = dcf_dtype_size(src_type);
    lut_plan_t p;
    uint32_t small[256];
    const uint32_t *tab = NULL;
    int rc;
    if (src == NULL || dst == NULL || luts == NULL || ix == NULL || !is_int_type(src_type) ||
        nluts < 1 || nluts > 4 || (lut_bytes != 1 && lut_bytes != 2) ||
        (ix->diff_type != DCF_DT_NONE && !is_int_type(ix->diff_type)) ||
        (ix->index_type != DCF_DT_NONE && !is_int_type(ix->index_type)) ||
        count > SIZE_MAX / 8 || lut_len > SIZE_MAX / 2) {
        return set_err(err, DCF_E_ARG, 0);
    }
    for (c = 0; c < nluts; c++) {
        if (luts[c] == NULL) {
            return set_err(err, DCF_E_ARG, 0);
        }
    }
    if (srclen < count * esz) {
        return set_err(err, DCF_E_SHORT_INPUT, srclen);
    }
    if (dstlen < count * nluts * (size_t)lut_bytes) {
        return set_err(err, DCF_E_OUTPUT_TOO_SMALL, dstlen);
    }
    if (ix->first_map < -((int64_t)1 << 40) || ix->first_map > ((int64_t)1 << 40)) {
        return set_err(err, DCF_E_ARG, 0);
    }
    p.first = ix->first_map;
    p.last = (int64_t)(ix->nr_entries == 0 ? 65536u : ix->nr_entries) - 1;
    p.diff_type = ix->diff_type;
    p.index_type = ix->index_type;
    p.wrapping = ix->diff_type != DCF_DT_NONE || ix->index_type != DCF_DT_NONE;
    p.lut_len = lut_len;
    p.checked = (uint64_t)p.last >= lut_len;
    /* a table of every value's index when it costs less than the pixels */
    if (esz == 1 && count >= 256) {
        lut_table(&p, src_type, small);
        tab = small;
    } else if (esz == 2 && count >= 65536 && scratch != NULL && scratchlen >= 65536) {
        lut_table(&p, src_type, scratch);
        tab = scratch;
    }
    switch (src_type) {
    LUT_CASE(DCF_DT_U8, 1)
    LUT_CASE(DCF_DT_I8, 1)
    LUT_CASE(DCF_DT_U16, 2)
    LUT_CASE(DCF_DT_I16, 2)
    LUT_CASE(DCF_DT_U32, 4)
    default:
    LUT_CASE(DCF_DT_I32, 4)
    }
    if (rc != DCF_OK) {
        return rc;
    }
    return set_err(err, DCF_OK, 0);
}

/* ---- segmented LUT expansion (C.7.9.2) -------------------------------------------- */

typedef struct {
    const uint8_t *src;
    size_t nwords; /* words in src */
    int wb;        /* bytes per word */
    int little;
    uint16_t *dst;
    size_t cap;
    size_t pos;    /* entries written */
    size_t budget; /* segment visits left */
} seg_ctx_t;

static inline uint32_t seg_word(const seg_ctx_t *c, size_t w) {
    const uint8_t *p = c->src + w * (size_t)c->wb;
    if (c->wb == 1) {
        return p[0];
    }
    return c->little ? (uint32_t)(p[0] | (p[1] << 8)) : (uint32_t)((p[0] << 8) | p[1]);
}

static inline double floor_d(double v) {
    double t = (double)(long long)v;
    return t > v ? t - 1.0 : t;
}

/* np.around: round half to even (|v| < 2^52). */
static inline double round_half_even(double v) {
    double f = floor_d(v), d = v - f;
    if (d > 0.5) {
        return f + 1.0;
    }
    if (d < 0.5) {
        return f;
    }
    return (f - 2.0 * floor_d(f / 2.0)) != 0.0 ? f + 1.0 : f;
}

static int seg_emit(seg_ctx_t *c, uint32_t v, dcf_error_t *err) {
    if (c->pos >= c->cap) {
        return set_err(err, DCF_E_OUTPUT_TOO_SMALL, (uint64_t)c->cap);
    }
    c->dst[c->pos++] = (uint16_t)v;
    return DCF_OK;
}

/* pydicom's linear segment: np.around(np.linspace(y0 + step, y1, n)). */
static int seg_linear(seg_ctx_t *c, uint32_t y0, uint32_t y1, size_t n, size_t at,
                      dcf_error_t *err) {
    size_t i;
    double step, start, stop, delta, st = 0.0;
    if (n > c->cap - c->pos) {
        return set_err(err, DCF_E_OUTPUT_TOO_SMALL, (uint64_t)c->cap);
    }
    if (y0 == y1) {
        for (i = 0; i < n; i++) {
            c->dst[c->pos++] = (uint16_t)y1;
        }
        return DCF_OK;
    }
    if (n == 0) {
        return set_err(err, DCF_E_CORRUPT, (uint64_t)at); /* pydicom: ZeroDivisionError */
    }
    step = ((double)y1 - (double)y0) / (double)n;
    start = (double)y0 + step;
    stop = (double)y1;
    delta = stop - start;
    if (n > 1) {
        st = delta / (double)(n - 1);
    }
    for (i = 0; i < n; i++) {
        double y;
        if (n == 1) {
            y = 0.0 * delta + start;
        } else if (i == n - 1) {
            y = stop;
        } else if (st == 0.0) {
            double t = (double)i / (double)(n - 1);
            t = t * delta;
            y = t + start;
        } else {
            double t = (double)i * st;
            y = t + start;
        }
        y = round_half_even(y);
        /* between y0 and y1 by construction; guard the conversion anyway */
        if (!(y >= 0.0 && y <= 65535.0)) {
            return set_err(err, DCF_E_CORRUPT, (uint64_t)at);
        }
        c->dst[c->pos++] = (uint16_t)y;
    }
    return DCF_OK;
}

/* One segment list starting at word `base` (pydicom's recursive call on
 * data[base:]); nsegs = 0: until the data ends. sub_start is where this list's
 * own output begins (pydicom's fresh `lut` list); last is the caller's last
 * value (0 = none, falsy as in pydicom). */
static int seg_list(seg_ctx_t *c, size_t base, size_t nsegs, uint32_t last, int depth,
                    dcf_error_t *err) {
    size_t n = base < c->nwords ? c->nwords - base : 0;
    size_t off = 0, done = 0, sub_start = c->pos;
    int rc;
    if (depth > DCF_SEG_MAX_DEPTH) {
        return set_err(err, DCF_E_CORRUPT, (uint64_t)base * (uint64_t)c->wb);
    }
    while (off + 1 < n) {
        size_t at = (base + off) * (size_t)c->wb;
        uint32_t opcode = seg_word(c, base + off), length = seg_word(c, base + off + 1);
        if (c->budget == 0) {
            return set_err(err, DCF_E_CORRUPT, (uint64_t)at);
        }
        c->budget--;
        off += 2;
        if (opcode == 0) { /* C.7.9.2.1 discrete */
            size_t k, avail = n - off, take = length < avail ? length : avail;
            for (k = 0; k < take; k++) {
                if ((rc = seg_emit(c, seg_word(c, base + off + k), err)) != DCF_OK) {
                    return rc;
                }
            }
            off += length;
        } else if (opcode == 1) { /* C.7.9.2.2 linear */
            uint32_t y0, y1;
            if (c->pos > sub_start) {
                y0 = c->dst[c->pos - 1];
            } else if (last != 0) {
                y0 = last;
            } else {
                return set_err(err, DCF_E_CORRUPT, (uint64_t)at);
            }
            if (off >= n) {
                return set_err(err, DCF_E_CORRUPT, (uint64_t)at);
            }
            y1 = seg_word(c, base + off);
            off += 1;
            if ((rc = seg_linear(c, y0, y1, length, at, err)) != DCF_OK) {
                return rc;
            }
        } else if (opcode == 2) { /* C.7.9.2.3 indirect */
            size_t target;
            if (c->pos == sub_start) {
                return set_err(err, DCF_E_CORRUPT, (uint64_t)at);
            }
            if (c->wb == 1) {
                uint32_t d0, d1, d2, d3;
                if (off + 3 >= n) {
                    return set_err(err, DCF_E_CORRUPT, (uint64_t)at);
                }
                d0 = seg_word(c, base + off);
                d1 = seg_word(c, base + off + 1);
                d2 = seg_word(c, base + off + 2);
                d3 = seg_word(c, base + off + 3);
                /* pydicom's byte order for 8-bit entries */
                target = c->little ? ((size_t)d3 << 24 | d2 << 16 | d1 << 8 | d0)
                                   : ((size_t)d2 << 24 | d3 << 16 | d0 << 8 | d1);
                off += 4;
            } else {
                if (off + 1 >= n) {
                    return set_err(err, DCF_E_CORRUPT, (uint64_t)at);
                }
                target = (size_t)seg_word(c, base + off + 1) << 16 | seg_word(c, base + off);
                off += 2;
            }
            if (target < n) {
                rc = seg_list(c, base + target, length, c->dst[c->pos - 1], depth + 1, err);
                if (rc != DCF_OK) {
                    return rc;
                }
            }
        } else {
            return set_err(err, DCF_E_CORRUPT, (uint64_t)at);
        }
        done++;
        if (done == nsegs) {
            return DCF_OK;
        }
    }
    return DCF_OK;
}

int dcf_segmented_lut_expand(const uint8_t *src, size_t srclen, int word_bytes, int little_endian,
                             uint16_t *dst, size_t dstcap, size_t *dstcount, dcf_error_t *err) {
    seg_ctx_t c;
    int rc;
    if (dstcount != NULL) {
        *dstcount = 0;
    }
    if ((src == NULL && srclen != 0) || (dst == NULL && dstcap != 0) || dstcount == NULL ||
        (word_bytes != 1 && word_bytes != 2) || dstcap > SIZE_MAX / 4 || srclen > SIZE_MAX / 4) {
        return set_err(err, DCF_E_ARG, 0);
    }
    c.src = src;
    c.nwords = srclen / (size_t)word_bytes;
    c.wb = word_bytes;
    c.little = little_endian != 0;
    c.dst = dst;
    c.cap = dstcap;
    c.pos = 0;
    c.budget = 2 * (c.nwords + dstcap) + 16;
    rc = seg_list(&c, 0, 0, 0, 0, err);
    *dstcount = c.pos;
    if (rc != DCF_OK) {
        return rc;
    }
    return set_err(err, DCF_OK, 0);
}

/* ---- rescale and windowing -------------------------------------------------------- */

static int typed_check(const uint8_t *src, size_t srclen, int src_type, size_t count,
                       const double *dst, size_t dstlen, dcf_error_t *err) {
    size_t esz = dcf_dtype_size(src_type);
    if (src == NULL || dst == NULL || esz == 0 || count > SIZE_MAX / 8) {
        return set_err(err, DCF_E_ARG, 0);
    }
    if (srclen < count * esz) {
        return set_err(err, DCF_E_SHORT_INPUT, srclen);
    }
    if (dstlen < count) {
        return set_err(err, DCF_E_OUTPUT_TOO_SMALL, dstlen * sizeof(double));
    }
    /* only exact aliasing of a float64 source is allowed */
    if ((const void *)src != (const void *)dst) {
        uintptr_t s = (uintptr_t)src, d = (uintptr_t)dst;
        if (count != 0 && s < d + count * sizeof(double) && d < s + count * esz) {
            return set_err(err, DCF_E_ARG, 0);
        }
    } else if (src_type != DCF_DT_F64) {
        return set_err(err, DCF_E_ARG, 0);
    }
    return DCF_OK;
}

/* One loop per source type so the conversion is not a per-element switch. */
#define TYPED_LOOP(BODY)                                                     \
    switch (src_type) {                                                      \
    case DCF_DT_U8: { for (i = 0; i < count; i++) { double x = (double)src[i]; BODY } break; } \
    case DCF_DT_I16: { for (i = 0; i < count; i++) { int16_t v; double x; memcpy(&v, src + 2 * i, 2); x = (double)v; BODY } break; } \
    case DCF_DT_U16: { for (i = 0; i < count; i++) { uint16_t v; double x; memcpy(&v, src + 2 * i, 2); x = (double)v; BODY } break; } \
    case DCF_DT_F64: { for (i = 0; i < count; i++) { double x; memcpy(&x, src + 8 * i, 8); BODY } break; } \
    default: { size_t esz = dcf_dtype_size(src_type); for (i = 0; i < count; i++) { double x = rd_double(src + esz * i, src_type); BODY } break; } \
    }

int dcf_rescale(const uint8_t *src, size_t srclen, int src_type, size_t count, double *dst,
                size_t dstlen, double slope, double intercept, dcf_error_t *err) {
    size_t i;
    int rc = typed_check(src, srclen, src_type, count, dst, dstlen, err);
    if (rc != DCF_OK) {
        return rc;
    }
    /* numpy: arr.astype(float64) * slope, then += intercept: two roundings */
    TYPED_LOOP({
        double t = x * slope;
        dst[i] = t + intercept;
    })
    return set_err(err, DCF_OK, 0);
}

int dcf_window(const uint8_t *src, size_t srclen, int src_type, size_t count, double *dst,
               size_t dstlen, int func, double center, double width, double y_min, double y_max,
               double y_range, dcf_error_t *err) {
    size_t i;
    int rc = typed_check(src, srclen, src_type, count, dst, dstlen, err);
    if (rc != DCF_OK) {
        return rc;
    }
    if (func == DCF_VOI_LINEAR || func == DCF_VOI_LINEAR_EXACT) {
        double lo, hi;
        if (func == DCF_VOI_LINEAR) {
            if (!(width >= 1.0)) {
                return set_err(err, DCF_E_ARG, 0);
            }
            center -= 0.5;
            width -= 1.0;
        } else if (!(width > 0.0)) {
            return set_err(err, DCF_E_ARG, 0);
        }
        lo = center - width / 2.0;
        hi = center + width / 2.0;
        /* pydicom: below = arr <= lo; above = arr > hi; the rest (NaN too)
         * gets ((arr - c) / w + .5) * y_range + y_min, each operation rounded
         * (written as separate statements; the build targets no FMA). The
         * formula is evaluated for every value and then selected, without
         * branches (w may be 0 for LINEAR: inf/NaN there is never selected
         * except for a NaN x, which pydicom maps to NaN as well). */
        TYPED_LOOP({
            double t = x - center;
            t = t / width;
            t = t + 0.5;
            t = t * y_range;
            t = t + y_min;
            t = x > hi ? y_max : t;
            dst[i] = x <= lo ? y_min : t;
        })
    } else if (func == DCF_VOI_SIGMOID_ARG) {
        if (!(width > 0.0)) {
            return set_err(err, DCF_E_ARG, 0);
        }
        /* numpy: -4 * (arr - center) / width */
        TYPED_LOOP({
            double t = x - center;
            t = -4.0 * t;
            dst[i] = t / width;
        })
    } else {
        return set_err(err, DCF_E_ARG, 0);
    }
    return set_err(err, DCF_OK, 0);
}

int dcf_sigmoid_finish(double *buf, size_t count, double y_range, double y_min, dcf_error_t *err) {
    size_t i;
    if (buf == NULL && count != 0) {
        return set_err(err, DCF_E_ARG, 0);
    }
    for (i = 0; i < count; i++) {
        double t = 1.0 + buf[i];
        t = y_range / t;
        buf[i] = t + y_min;
    }
    return set_err(err, DCF_OK, 0);
}
