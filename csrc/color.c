/* SPDX-License-Identifier: MIT
 *
 * color.c - colour-space kernels (see color.h).
 *
 * Implements: PS3.3 C.7.6.3.1.2 (YBR_FULL, YBR_FULL_422; the T.871 section 7
 * equations as pydicom 3 evaluates them) and ISO/IEC 15444-1 Annex G (G.2
 * RCT, G.3 ICT, with the G.1.2 DC level shift).
 *
 * How YBR_FULL <-> RGB stays bit-for-bit equal to pydicom 3
 * ---------------------------------------------------------
 * pydicom computes out = clip(floor(fl(A @ M) + c)) in float32 with numpy's
 * matmul, which hands the product to OpenBLAS sgemm. Its kernels accumulate
 * each output as fma(a2, m2, fma(a1, m1, a0 * m0)): one rounding per term, in
 * term order. An exhaustive comparison over all 2^24 inputs (tests/unit/
 * test_color.py) found that formulation alone to agree with pydicom; plain
 * float sums differ on 42 (YBR->RGB) and 859 (RGB->YBR) triples, double
 * sums on 24 and 481, each by 1.
 *
 * The exact evaluation (ybr_exact, rgb_exact) emulates fmaf() in double: the
 * operands here are an integer of at most 9 bits, a float32 constant and a
 * float32 partial sum below 2^10 whose last bit is no finer than 2^-27, so
 * a * b + c is exact in double (at most 37 significant bits) and the single
 * conversion to float is the fused operation's one rounding. No libm call.
 *
 * The fast path avoids float work per pixel. Every channel is
 * floor(Y + x + 0.5) for an integer Y (or a sum of per-input terms) and a
 * real x that depends on the chroma (resp. the inputs) only; float32
 * rounding moves the sum by at most ~2^-14, so unless x + 0.5 lies within
 * 2^-10 of an integer the result is exactly Y + floor(x + 0.5), an integer
 * offset read from a small per-call table. The rare "near" cases (about 1 in
 * 500 pixels) take the exact path. The exhaustive test covers both paths.
 *
 * The fused YBR_FULL_422 -> RGB path (the pixel_array hot path) also has an
 * SSE2 version (every x86-64) doing the same fixed-point arithmetic on 8
 * pairs at a time; groups with a "near" pair fall back to the scalar code.
 * The in-place (back to front) expansion and YBR_FULL -> RGB are scalar.
 *
 * All tables are built on the stack per call (a few KB); nothing static is
 * mutable.
 */
#include "color.h"

#include <string.h>

/* SSE2 (every x86-64) speeds up the fused YBR_FULL_422 -> RGB path; the
 * scalar code is the reference and the fallback elsewhere. */
#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define DCF_COLOR_SSE2 1
#endif

/* ---- shared helpers ------------------------------------------------------- */

static inline int set_err(dcf_error_t *err, int code, uint64_t offset) {
    if (err != NULL) {
        err->code = code;
        err->tag = DCF_NO_TAG;
        err->offset = offset;
    }
    return code;
}

/* Do [a, a + alen) and [b, b + blen) share a byte? */
static inline int overlap(const void *a, size_t alen, const void *b, size_t blen) {
    uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
    if (alen == 0 || blen == 0) {
        return 0;
    }
    return pa < pb + blen && pb < pa + alen;
}

/* floor() for |v| < 2^30 without libm. */
static inline double floor_d(double v) {
    double t = (double)(long)v;
    return t > v ? t - 1.0 : t;
}

/* The float32 matrices of pydicom's _convert_* functions, each entry the
 * double expression rounded to float as np.asarray(..., dtype=float32) does. */
#define M_R_CR ((float)1.402)
#define M_G_CB ((float)(-0.114 * 1.772 / 0.587))
#define M_G_CR ((float)(-0.299 * 1.402 / 0.587))
#define M_B_CB ((float)1.772)

/* rgb_to_ybr[in][out]: rows R, G, B; columns Y, Cb, Cr */
#define N_R_Y ((float)0.299)
#define N_R_CB ((float)(-0.299 / 1.772))
#define N_R_CR ((float)(0.701 / 1.402))
#define N_G_Y ((float)0.587)
#define N_G_CB ((float)(-0.587 / 1.772))
#define N_G_CR ((float)(-0.587 / 1.402))
#define N_B_Y ((float)0.114)
#define N_B_CB ((float)(0.886 / 1.772))
#define N_B_CR ((float)(-0.114 / 1.402))

/* fmaf(a, b, c) for the operands of this file (see the header comment). */
static inline float fma_small(float a, float b, float c) {
    return (float)((double)a * (double)b + (double)c);
}

/* clip(floor(v), 0, 255) for finite v. */
static inline uint8_t floor_clip_u8(float v) {
    if (v < 0.0f) {
        return 0;
    }
    if (v >= 255.0f) {
        return 255;
    }
    return (uint8_t)(int)v;
}

/* Fast path: clamp table and fixed point (2^-20) layout. */
#define CLAMP_OFF 256
#define CLAMP_N 768
#define FIX_SHIFT 20
#define FIX_ONE (1u << FIX_SHIFT)
#define FIX_MASK (FIX_ONE - 1u)
#define FIX_BIAS 1024u                     /* integer bias keeping sums positive */
#define NEAR_W (FIX_ONE >> 10)             /* 2^-10: the "near an integer" band */

static inline int fix_near(uint32_t s) {
    return ((s + NEAR_W) & FIX_MASK) < 2u * NEAR_W;
}

static inline int32_t fix_of(double x) {
    return (int32_t)floor_d(x * (double)FIX_ONE + 0.5);
}

static void init_clamp(uint8_t *clamp) {
    int i;
    for (i = 0; i < CLAMP_N; i++) {
        int v = i - CLAMP_OFF;
        clamp[i] = (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
    }
}

/* ---- YBR_FULL -> RGB ------------------------------------------------------- */

/* Per-call tables, one 64-bit entry per chroma value so a pixel costs two
 * table loads:
 *   cr[v]: bits 0-31 G's Cr term (fixed point, two's complement),
 *          bits 32-41 floor(x + .5) + CLAMP_OFF of R's Cr term, bit 63 "near";
 *   cb[v]: bits 0-31 G's Cb term + .5 + bias (fixed point),
 *          bits 32-41 floor(x + .5) + CLAMP_OFF of B's Cb term, bit 63 "near". */
typedef struct {
    uint64_t cr[256];
    uint64_t cb[256];
    uint8_t clamp[CLAMP_N];
} ybr_tables_t;

#define TAB_NEAR ((uint64_t)1 << 63)

static uint64_t ybr_entry(double x, int32_t gfix) {
    double f = floor_d(x);
    uint64_t e = (uint64_t)(uint32_t)gfix | ((uint64_t)(uint32_t)((int32_t)f + CLAMP_OFF) << 32);
    if (x - f < 1.0 / 1024 || x - f > 1.0 - 1.0 / 1024) {
        e |= TAB_NEAR;
    }
    return e;
}

static void ybr_tables_init(ybr_tables_t *t) {
    int i;
    for (i = 0; i < 256; i++) {
        double c = (double)(i - 128);
        t->cr[i] = ybr_entry(c * (double)M_R_CR + 0.5, fix_of(c * (double)M_G_CR));
        t->cb[i] = ybr_entry(c * (double)M_B_CB + 0.5,
                             fix_of(c * (double)M_G_CB) + (int32_t)(FIX_ONE / 2u + FIX_BIAS * FIX_ONE));
    }
    init_clamp(t->clamp);
}

static inline void ybr_exact(int y, int cb, int cr, uint8_t *out) {
    float fy = (float)y, fb = (float)(cb - 128), fr = (float)(cr - 128);
    float r = fma_small(fr, M_R_CR, fy);                        /* fma(cb, 0, y) == y */
    float g = fma_small(fr, M_G_CR, fma_small(fb, M_G_CB, fy));
    float b = fma_small(fb, M_B_CB, fy);                        /* + cr * 0 */
    out[0] = floor_clip_u8(r + 0.5f);
    out[1] = floor_clip_u8(g + 0.5f);
    out[2] = floor_clip_u8(b + 0.5f);
}

/* Chroma-dependent clamp-table offsets of one pixel (or pixel pair); returns
 * nonzero when the exact path is needed. */
static inline int ybr_offsets(const ybr_tables_t *t, int cb, int cr, int *dr, int *dg, int *db) {
    uint64_t ecr = t->cr[cr], ecb = t->cb[cb];
    uint32_t s = (uint32_t)ecr + (uint32_t)ecb;
    *dr = (int)((ecr >> 32) & 0x3FFu);
    *db = (int)((ecb >> 32) & 0x3FFu);
    *dg = (int)(s >> FIX_SHIFT) - (int)FIX_BIAS + CLAMP_OFF;
    return (int)((ecr | ecb) >> 63) | fix_near(s);
}

int dcf_ybr_full_to_rgb_u8(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                           size_t npixels, dcf_error_t *err) {
    ybr_tables_t t;
    size_t i, n;
    if (src == NULL || dst == NULL || npixels > SIZE_MAX / 3) {
        return set_err(err, DCF_E_ARG, 0);
    }
    n = npixels * 3;
    if (srclen < n) {
        return set_err(err, DCF_E_SHORT_INPUT, srclen);
    }
    if (dstlen < n) {
        return set_err(err, DCF_E_OUTPUT_TOO_SMALL, dstlen);
    }
    if (src != dst && overlap(src, n, dst, n)) {
        return set_err(err, DCF_E_ARG, 0);
    }
    ybr_tables_init(&t);
    for (i = 0; i < n; i += 3) {
        int y = src[i], cb = src[i + 1], cr = src[i + 2], dr, dg, db;
        if (DCF_UNLIKELY(ybr_offsets(&t, cb, cr, &dr, &dg, &db))) {
            ybr_exact(y, cb, cr, dst + i);
        } else {
            dst[i] = t.clamp[y + dr];
            dst[i + 1] = t.clamp[y + dg];
            dst[i + 2] = t.clamp[y + db];
        }
    }
    return set_err(err, DCF_OK, 0);
}

/* ---- RGB -> YBR_FULL ------------------------------------------------------- */

typedef struct {
    uint32_t t[3][3][256]; /* [out][in][value], fixed point; [out][0] has + c + bias */
    uint8_t clamp[CLAMP_N];
} rgb_tables_t;

static void rgb_tables_init(rgb_tables_t *t) {
    static const float m[3][3] = {
        {N_R_Y, N_G_Y, N_B_Y}, {N_R_CB, N_G_CB, N_B_CB}, {N_R_CR, N_G_CR, N_B_CR}};
    static const double add[3] = {0.5, 128.5, 128.5};
    int o, k, v;
    for (o = 0; o < 3; o++) {
        for (k = 0; k < 3; k++) {
            for (v = 0; v < 256; v++) {
                int32_t f = fix_of((double)v * (double)m[o][k]);
                if (k == 0) {
                    f += fix_of(add[o]) + (int32_t)(FIX_BIAS * FIX_ONE);
                }
                t->t[o][k][v] = (uint32_t)f;
            }
        }
    }
    init_clamp(t->clamp);
}

static inline void rgb_exact(int r, int g, int b, uint8_t *out) {
    float fr = (float)r, fg = (float)g, fb = (float)b;
    float y = fma_small(fb, N_B_Y, fma_small(fg, N_G_Y, fr * N_R_Y));
    float cb = fma_small(fb, N_B_CB, fma_small(fg, N_G_CB, fr * N_R_CB));
    float cr = fma_small(fb, N_B_CR, fma_small(fg, N_G_CR, fr * N_R_CR));
    out[0] = floor_clip_u8(y + 0.5f);
    out[1] = floor_clip_u8(cb + 128.5f);
    out[2] = floor_clip_u8(cr + 128.5f);
}

int dcf_rgb_to_ybr_full_u8(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                           size_t npixels, dcf_error_t *err) {
    rgb_tables_t t;
    size_t i, n;
    if (src == NULL || dst == NULL || npixels > SIZE_MAX / 3) {
        return set_err(err, DCF_E_ARG, 0);
    }
    n = npixels * 3;
    if (srclen < n) {
        return set_err(err, DCF_E_SHORT_INPUT, srclen);
    }
    if (dstlen < n) {
        return set_err(err, DCF_E_OUTPUT_TOO_SMALL, dstlen);
    }
    if (src != dst && overlap(src, n, dst, n)) {
        return set_err(err, DCF_E_ARG, 0);
    }
    rgb_tables_init(&t);
    for (i = 0; i < n; i += 3) {
        int r = src[i], g = src[i + 1], b = src[i + 2];
        uint32_t sy = t.t[0][0][r] + t.t[0][1][g] + t.t[0][2][b];
        uint32_t sb = t.t[1][0][r] + t.t[1][1][g] + t.t[1][2][b];
        uint32_t sr = t.t[2][0][r] + t.t[2][1][g] + t.t[2][2][b];
        if (DCF_UNLIKELY(fix_near(sy) | fix_near(sb) | fix_near(sr))) {
            rgb_exact(r, g, b, dst + i);
        } else {
            dst[i] = t.clamp[(int)(sy >> FIX_SHIFT) - (int)FIX_BIAS + CLAMP_OFF];
            dst[i + 1] = t.clamp[(int)(sb >> FIX_SHIFT) - (int)FIX_BIAS + CLAMP_OFF];
            dst[i + 2] = t.clamp[(int)(sr >> FIX_SHIFT) - (int)FIX_BIAS + CLAMP_OFF];
        }
    }
    return set_err(err, DCF_OK, 0);
}

/* ---- YBR_FULL_422 expansion ------------------------------------------------ */

/* One pair: s = Y1 Y2 Cb Cr (4 samples), d = Y1 Cb Cr Y2 Cb Cr (6 samples).
 * All of s is read before d is written (in-place safety). */
static inline void pair_u8(const uint8_t *s, uint8_t *d) {
    uint8_t y1 = s[0], y2 = s[1], cb = s[2], cr = s[3];
    d[0] = y1;
    d[1] = cb;
    d[2] = cr;
    d[3] = y2;
    d[4] = cb;
    d[5] = cr;
}

static inline void pair_u16(const uint8_t *s, uint8_t *d) {
    uint16_t y1, y2, cb, cr;
    memcpy(&y1, s, 2);
    memcpy(&y2, s + 2, 2);
    memcpy(&cb, s + 4, 2);
    memcpy(&cr, s + 6, 2);
    memcpy(d, &y1, 2);
    memcpy(d + 2, &cb, 2);
    memcpy(d + 4, &cr, 2);
    memcpy(d + 6, &y2, 2);
    memcpy(d + 8, &cb, 2);
    memcpy(d + 10, &cr, 2);
}

static inline void pair_rgb(const ybr_tables_t *t, const uint8_t *s, uint8_t *d) {
    int y1 = s[0], y2 = s[1], cb = s[2], cr = s[3], dr, dg, db;
    if (DCF_UNLIKELY(ybr_offsets(t, cb, cr, &dr, &dg, &db))) {
        ybr_exact(y1, cb, cr, d);
        ybr_exact(y2, cb, cr, d + 3);
    } else {
        const uint8_t *c = t->clamp;
        uint8_t r1 = c[y1 + dr], g1 = c[y1 + dg], b1 = c[y1 + db];
        uint8_t r2 = c[y2 + dr], g2 = c[y2 + dg], b2 = c[y2 + db];
        d[0] = r1;
        d[1] = g1;
        d[2] = b1;
        d[3] = r2;
        d[4] = g2;
        d[5] = b2;
    }
}

#ifdef DCF_COLOR_SSE2
/* The fast path of pair_rgb for 8 pairs at once, in 32-bit fixed point with
 * scale 2^22: each chroma term c * M (|c| <= 128) is computed as
 * (c * Khi << 11) + c * Klo with K = round(M * 2^22) split so that both
 * halves fit pmaddwd's int16 operands. K's rounding moves a term by at most
 * 2^-16, float32 rounding in pydicom's evaluation by at most 3 * 2^-16, so
 * outside the 2^-12 band around an integer floor(x + .5) is exact. When any
 * of the 8 pairs falls inside the band nothing is written and 0 returned: the
 * caller takes pair_rgb for the group.
 * Reads s[0..31]; writes d[0..49] (the last 2 bytes are the next group's,
 * which the caller writes afterwards). */
#define SSE_SHIFT 22
#define SSE_MASK ((1 << SSE_SHIFT) - 1)
#define SSE_W (1 << (SSE_SHIFT - 12))

static inline int32_t sse_k(float m) {
    return (int32_t)floor_d((double)m * (double)(1 << SSE_SHIFT) + 0.5);
}

static inline __m128i sse_near(__m128i x) {
    const __m128i mask = _mm_set1_epi32(SSE_MASK);
    __m128i f = _mm_and_si128(_mm_add_epi32(x, _mm_set1_epi32(SSE_W)), mask);
    return _mm_cmplt_epi32(f, _mm_set1_epi32(2 * SSE_W));
}

typedef struct {
    __m128i rh, rl, gh, gl, bh, bl; /* (Khi, 0) / (Klo, 0) int16 pairs; G: (Kcb, Kcr) */
} sse_consts_t;

static void sse_consts_init(sse_consts_t *k) {
    int32_t kr = sse_k(M_R_CR), kb = sse_k(M_B_CB), kgb = sse_k(M_G_CB), kgr = sse_k(M_G_CR);
    /* floor division by 2^11 keeps lo in 0..2047 for negative K too */
    int32_t krh = (int32_t)floor_d((double)kr / 2048.0), kbh = (int32_t)floor_d((double)kb / 2048.0);
    int32_t kgbh = (int32_t)floor_d((double)kgb / 2048.0), kgrh = (int32_t)floor_d((double)kgr / 2048.0);
    k->rh = _mm_set1_epi32(krh & 0xFFFF);
    k->rl = _mm_set1_epi32(kr - krh * 2048);
    k->bh = _mm_set1_epi32(kbh & 0xFFFF);
    k->bl = _mm_set1_epi32(kb - kbh * 2048);
    k->gh = _mm_set1_epi32((int)(((uint32_t)kgbh & 0xFFFFu) | ((uint32_t)kgrh << 16)));
    k->gl = _mm_set1_epi32((int)((uint32_t)(kgb - kgbh * 2048) | ((uint32_t)(kgr - kgrh * 2048) << 16)));
}

static inline __m128i sse_term(__m128i c, __m128i kh, __m128i kl) {
    const __m128i half = _mm_set1_epi32(1 << (SSE_SHIFT - 1));
    __m128i hi = _mm_slli_epi32(_mm_madd_epi16(c, kh), 11);
    return _mm_add_epi32(_mm_add_epi32(hi, _mm_madd_epi16(c, kl)), half);
}

static inline __m128i sse_clamp16(__m128i v) {
    return _mm_min_epi16(_mm_max_epi16(v, _mm_setzero_si128()), _mm_set1_epi16(255));
}

static inline int pairs8_rgb_sse2(const sse_consts_t *k, const uint8_t *s, uint8_t *d) {
    const __m128i m8 = _mm_set1_epi32(0xFF), m16 = _mm_set1_epi32(0xFFFF), c128 = _mm_set1_epi32(128);
    __m128i in[2], dr[2], dg[2], db[2], nearv = _mm_setzero_si128();
    __m128i y1, y2, vr, vg, vb, ab, cd, ef, lo, hi, elo, ehi, rec;
    int h;
    in[0] = _mm_loadu_si128((const __m128i *)(const void *)s);
    in[1] = _mm_loadu_si128((const __m128i *)(const void *)(s + 16));
    for (h = 0; h < 2; h++) {
        /* lanes: Y1 | Y2 << 8 | Cb << 16 | Cr << 24 (x86 is little endian) */
        __m128i cb = _mm_sub_epi32(_mm_and_si128(_mm_srli_epi32(in[h], 16), m8), c128);
        __m128i cr = _mm_sub_epi32(_mm_srli_epi32(in[h], 24), c128);
        __m128i gin = _mm_or_si128(_mm_and_si128(cb, m16), _mm_slli_epi32(cr, 16));
        __m128i xr = sse_term(cr, k->rh, k->rl);
        __m128i xg = sse_term(gin, k->gh, k->gl);
        __m128i xb = sse_term(cb, k->bh, k->bl);
        nearv = _mm_or_si128(nearv, _mm_or_si128(sse_near(xr), _mm_or_si128(sse_near(xg), sse_near(xb))));
        dr[h] = _mm_srai_epi32(xr, SSE_SHIFT);
        dg[h] = _mm_srai_epi32(xg, SSE_SHIFT);
        db[h] = _mm_srai_epi32(xb, SSE_SHIFT);
    }
    if (_mm_movemask_epi8(nearv) != 0) {
        return 0;
    }
    vr = _mm_packs_epi32(dr[0], dr[1]);
    vg = _mm_packs_epi32(dg[0], dg[1]);
    vb = _mm_packs_epi32(db[0], db[1]);
    y1 = _mm_packs_epi32(_mm_and_si128(in[0], m8), _mm_and_si128(in[1], m8));
    y2 = _mm_packs_epi32(_mm_and_si128(_mm_srli_epi32(in[0], 8), m8),
                         _mm_and_si128(_mm_srli_epi32(in[1], 8), m8));
    /* 16-bit lanes per pair: (R1 | G1 << 8), (B1 | R2 << 8), (G2 | B2 << 8) */
    ab = _mm_or_si128(sse_clamp16(_mm_add_epi16(y1, vr)),
                      _mm_slli_epi16(sse_clamp16(_mm_add_epi16(y1, vg)), 8));
    cd = _mm_or_si128(sse_clamp16(_mm_add_epi16(y1, vb)),
                      _mm_slli_epi16(sse_clamp16(_mm_add_epi16(y2, vr)), 8));
    ef = _mm_or_si128(sse_clamp16(_mm_add_epi16(y2, vg)),
                      _mm_slli_epi16(sse_clamp16(_mm_add_epi16(y2, vb)), 8));
    /* 8-byte records ab cd ef 00, stored 6 bytes apart */
    lo = _mm_unpacklo_epi16(ab, cd);
    hi = _mm_unpackhi_epi16(ab, cd);
    elo = _mm_unpacklo_epi16(ef, _mm_setzero_si128());
    ehi = _mm_unpackhi_epi16(ef, _mm_setzero_si128());
    rec = _mm_unpacklo_epi32(lo, elo);
    _mm_storel_epi64((__m128i *)(void *)d, rec);
    _mm_storel_epi64((__m128i *)(void *)(d + 6), _mm_srli_si128(rec, 8));
    rec = _mm_unpackhi_epi32(lo, elo);
    _mm_storel_epi64((__m128i *)(void *)(d + 12), rec);
    _mm_storel_epi64((__m128i *)(void *)(d + 18), _mm_srli_si128(rec, 8));
    rec = _mm_unpacklo_epi32(hi, ehi);
    _mm_storel_epi64((__m128i *)(void *)(d + 24), rec);
    _mm_storel_epi64((__m128i *)(void *)(d + 30), _mm_srli_si128(rec, 8));
    rec = _mm_unpackhi_epi32(hi, ehi);
    _mm_storel_epi64((__m128i *)(void *)(d + 36), rec);
    _mm_storel_epi64((__m128i *)(void *)(d + 42), _mm_srli_si128(rec, 8));
    return 1;
}
#endif

#ifdef DCF_COLOR_SSE2
/* The plain 8-bit expansion of 8 pairs (no colour conversion), with the
 * same record stores as pairs8_rgb_sse2: reads s[0..31], writes d[0..49]. */
static inline void pairs8_u8_sse2(const uint8_t *s, uint8_t *d) {
    const __m128i m8 = _mm_set1_epi32(0xFF);
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + 16));
    /* 32-bit lanes Y1 | Y2 << 8 | Cb << 16 | Cr << 24 -> 16-bit lanes per pair */
    __m128i y1 = _mm_packs_epi32(_mm_and_si128(a, m8), _mm_and_si128(b, m8));
    __m128i y2 = _mm_packs_epi32(_mm_and_si128(_mm_srli_epi32(a, 8), m8),
                                 _mm_and_si128(_mm_srli_epi32(b, 8), m8));
    __m128i cb = _mm_packs_epi32(_mm_srli_epi32(_mm_slli_epi32(a, 8), 24),
                                 _mm_srli_epi32(_mm_slli_epi32(b, 8), 24));
    __m128i cr = _mm_packs_epi32(_mm_srli_epi32(a, 24), _mm_srli_epi32(b, 24));
    __m128i ab = _mm_or_si128(y1, _mm_slli_epi16(cb, 8));    /* Y1 Cb */
    __m128i cd = _mm_or_si128(cr, _mm_slli_epi16(y2, 8));    /* Cr Y2 */
    __m128i ef = _mm_or_si128(cb, _mm_slli_epi16(cr, 8));    /* Cb Cr */
    __m128i lo = _mm_unpacklo_epi16(ab, cd), hi = _mm_unpackhi_epi16(ab, cd);
    __m128i elo = _mm_unpacklo_epi16(ef, _mm_setzero_si128());
    __m128i ehi = _mm_unpackhi_epi16(ef, _mm_setzero_si128());
    __m128i rec = _mm_unpacklo_epi32(lo, elo);
    _mm_storel_epi64((__m128i *)(void *)d, rec);
    _mm_storel_epi64((__m128i *)(void *)(d + 6), _mm_srli_si128(rec, 8));
    rec = _mm_unpackhi_epi32(lo, elo);
    _mm_storel_epi64((__m128i *)(void *)(d + 12), rec);
    _mm_storel_epi64((__m128i *)(void *)(d + 18), _mm_srli_si128(rec, 8));
    rec = _mm_unpacklo_epi32(hi, ehi);
    _mm_storel_epi64((__m128i *)(void *)(d + 24), rec);
    _mm_storel_epi64((__m128i *)(void *)(d + 30), _mm_srli_si128(rec, 8));
    rec = _mm_unpackhi_epi32(hi, ehi);
    _mm_storel_epi64((__m128i *)(void *)(d + 36), rec);
    _mm_storel_epi64((__m128i *)(void *)(d + 42), _mm_srli_si128(rec, 8));
}
#endif

/* Forward (non-overlapping) plain 8-bit expansion of npairs pairs. */
static void pairs_u8_forward(const uint8_t *src, uint8_t *dst, size_t npairs) {
    size_t k = 0;
#ifdef DCF_COLOR_SSE2
    for (; npairs >= 9 && k <= npairs - 9; k += 8) {
        pairs8_u8_sse2(src + 4 * k, dst + 6 * k);
    }
#endif
    for (; k < npairs; k++) {
        pair_u8(src + 4 * k, dst + 6 * k);
    }
}

/* Forward (non-overlapping) fused 422 -> RGB of npairs pairs. */
static void pairs_rgb_forward(const ybr_tables_t *t, const uint8_t *src, uint8_t *dst, size_t npairs) {
    size_t k = 0;
#ifdef DCF_COLOR_SSE2
    sse_consts_t kc;
    sse_consts_init(&kc);
    /* group k..k+7 writes dst[6k .. 6k + 49]: stay 2 bytes inside the output */
    for (; npairs >= 9 && k <= npairs - 9; k += 8) {
        if (!pairs8_rgb_sse2(&kc, src + 4 * k, dst + 6 * k)) {
            size_t j;
            for (j = k; j < k + 8; j++) {
                pair_rgb(t, src + 4 * j, dst + 6 * j);
            }
        }
    }
#endif
    for (; k < npairs; k++) {
        pair_rgb(t, src + 4 * k, dst + 6 * k);
    }
}

int dcf_ybr422_expand(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                      size_t npixels, int bytes_per_sample, int to_rgb, dcf_error_t *err) {
    size_t bps, npairs, need_src, need_dst, k;
    ybr_tables_t t;
    if (src == NULL || dst == NULL || (bytes_per_sample != 1 && bytes_per_sample != 2) ||
        (to_rgb && bytes_per_sample != 1) || npixels % 2 != 0 || npixels > SIZE_MAX / 6) {
        return set_err(err, DCF_E_ARG, 0);
    }
    bps = (size_t)bytes_per_sample;
    npairs = npixels / 2;
    need_src = npairs * 4 * bps;
    need_dst = npairs * 6 * bps;
    if (srclen < need_src) {
        return set_err(err, DCF_E_SHORT_INPUT, srclen);
    }
    if (dstlen < need_dst) {
        return set_err(err, DCF_E_OUTPUT_TOO_SMALL, dstlen);
    }
    if (src != dst && overlap(src, need_src, dst, need_dst)) {
        return set_err(err, DCF_E_ARG, 0);
    }
    if (to_rgb) {
        ybr_tables_init(&t);
    }
    if (src != dst) {
        if (to_rgb) {
            pairs_rgb_forward(&t, src, dst, npairs);
        } else if (bps == 1) {
            pairs_u8_forward(src, dst, npairs);
        } else {
            for (k = 0; k < npairs; k++) {
                pair_u16(src + 8 * k, dst + 12 * k);
            }
        }
    } else {
        /* In place, back to front: pair k's output starts at 6k >= 4k + 4 for
         * k >= 2, beyond every input of the pairs still to come (< 4k). */
        for (k = npairs; k-- > 0;) {
            if (to_rgb) {
                pair_rgb(&t, src + 4 * k, dst + 6 * k);
            } else if (bps == 1) {
                pair_u8(src + 4 * k, dst + 6 * k);
            } else {
                pair_u16(src + 8 * k, dst + 12 * k);
            }
        }
    }
    return set_err(err, DCF_OK, 0);
}

/* ---- JPEG 2000 RCT / ICT ----------------------------------------------------- */

typedef struct {
    size_t bps;
    int is_signed;
    int32_t shift; /* DC level shift: 2^(p-1) for unsigned, 0 for signed */
    int32_t lo, hi;
} sample_fmt_t;

static int sample_fmt(int bytes_per_sample, int is_signed, int precision, sample_fmt_t *f) {
    if ((bytes_per_sample != 1 && bytes_per_sample != 2) || precision < 1 ||
        precision > 8 * bytes_per_sample) {
        return 0;
    }
    f->bps = (size_t)bytes_per_sample;
    f->is_signed = is_signed != 0;
    if (f->is_signed) {
        f->shift = 0;
        f->lo = -((int32_t)1 << (precision - 1));
        f->hi = ((int32_t)1 << (precision - 1)) - 1;
    } else {
        f->shift = (int32_t)1 << (precision - 1);
        f->lo = 0;
        f->hi = ((int32_t)1 << precision) - 1;
    }
    return 1;
}

static inline int32_t rd_sample(const sample_fmt_t *f, const uint8_t *p) {
    int32_t v;
    if (f->bps == 1) {
        v = p[0];
        if (f->is_signed && v >= 128) {
            v -= 256;
        }
    } else {
        uint16_t u;
        memcpy(&u, p, 2);
        v = u;
        if (f->is_signed && v >= 32768) {
            v -= 65536;
        }
    }
    return v;
}

static inline void wr_sample(const sample_fmt_t *f, uint8_t *p, int32_t v) {
    v += f->shift;
    if (v < f->lo) {
        v = f->lo;
    } else if (v > f->hi) {
        v = f->hi;
    }
    if (f->bps == 1) {
        p[0] = (uint8_t)((uint32_t)v & 0xFFu);
    } else {
        uint16_t u = (uint16_t)((uint32_t)v & 0xFFFFu);
        memcpy(p, &u, 2);
    }
}

/* Element index of component c of pixel i. */
static inline size_t comp_at(int layout, size_t npixels, size_t i, size_t c) {
    return layout == DCF_MCT_PLANAR ? c * npixels + i : 3 * i + c;
}

/* floor(x / 4) for |x| < 2^28 without relying on signed right shifts. */
static inline int32_t floor_div4(int32_t x) {
    return (int32_t)(((uint32_t)(x + (1 << 28))) >> 2) - (1 << 26);
}

/* Argument and size checks shared by the four transforms. */
static int mct_check(const void *src, size_t srclen, size_t src_need_unit, const void *dst,
                     size_t dstlen, size_t dst_need_unit, size_t npixels, int layout,
                     sample_fmt_t *f, int bytes_per_sample, int is_signed, int precision,
                     dcf_error_t *err) {
    if (src == NULL || dst == NULL || (layout != DCF_MCT_INTERLEAVED && layout != DCF_MCT_PLANAR) ||
        !sample_fmt(bytes_per_sample, is_signed, precision, f) || npixels > SIZE_MAX / 12) {
        return set_err(err, DCF_E_ARG, 0);
    }
    if (srclen < 3 * npixels * src_need_unit) {
        return set_err(err, DCF_E_SHORT_INPUT, srclen);
    }
    if (dstlen < 3 * npixels * dst_need_unit) {
        return set_err(err, DCF_E_OUTPUT_TOO_SMALL, dstlen);
    }
    return DCF_OK;
}

int dcf_rct_forward(const uint8_t *src, size_t srclen, int32_t *dst, size_t dstlen,
                    size_t npixels, int bytes_per_sample, int is_signed, int precision,
                    int layout, dcf_error_t *err) {
    sample_fmt_t f;
    size_t i;
    int rc = mct_check(src, srclen, (size_t)(bytes_per_sample == 2 ? 2 : 1), dst, dstlen, 1,
                       npixels, layout, &f, bytes_per_sample, is_signed, precision, err);
    if (rc != DCF_OK) {
        return rc;
    }
    if (overlap(src, 3 * npixels * f.bps, dst, 3 * npixels * sizeof(int32_t))) {
        return set_err(err, DCF_E_ARG, 0);
    }
    for (i = 0; i < npixels; i++) {
        const uint8_t *p = src + 3 * i * f.bps;
        int32_t r = rd_sample(&f, p) - f.shift;
        int32_t g = rd_sample(&f, p + f.bps) - f.shift;
        int32_t b = rd_sample(&f, p + 2 * f.bps) - f.shift;
        dst[comp_at(layout, npixels, i, 0)] = floor_div4(r + 2 * g + b);
        dst[comp_at(layout, npixels, i, 1)] = b - g;
        dst[comp_at(layout, npixels, i, 2)] = r - g;
    }
    return set_err(err, DCF_OK, 0);
}

#define RCT_LIMIT (1 << 24)

int dcf_rct_inverse(const int32_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                    size_t npixels, int bytes_per_sample, int is_signed, int precision,
                    int layout, dcf_error_t *err) {
    sample_fmt_t f;
    size_t i;
    int rc = mct_check(src, srclen, 1, dst, dstlen, (size_t)(bytes_per_sample == 2 ? 2 : 1),
                       npixels, layout, &f, bytes_per_sample, is_signed, precision, err);
    if (rc != DCF_OK) {
        return rc;
    }
    if (overlap(src, 3 * npixels * sizeof(int32_t), dst, 3 * npixels * f.bps)) {
        return set_err(err, DCF_E_ARG, 0);
    }
    for (i = 0; i < npixels; i++) {
        size_t i0 = comp_at(layout, npixels, i, 0), i1 = comp_at(layout, npixels, i, 1),
               i2 = comp_at(layout, npixels, i, 2);
        int32_t y0 = src[i0], y1 = src[i1], y2 = src[i2], g;
        uint8_t *p = dst + 3 * i * f.bps;
        if (y0 <= -RCT_LIMIT || y0 >= RCT_LIMIT || y1 <= -RCT_LIMIT || y1 >= RCT_LIMIT ||
            y2 <= -RCT_LIMIT || y2 >= RCT_LIMIT) {
            return set_err(err, DCF_E_CORRUPT, (uint64_t)i0);
        }
        g = y0 - floor_div4(y2 + y1);
        wr_sample(&f, p, y2 + g);
        wr_sample(&f, p + f.bps, g);
        wr_sample(&f, p + 2 * f.bps, y1 + g);
    }
    return set_err(err, DCF_OK, 0);
}

int dcf_ict_forward(const uint8_t *src, size_t srclen, float *dst, size_t dstlen,
                    size_t npixels, int bytes_per_sample, int is_signed, int precision,
                    int layout, dcf_error_t *err) {
    sample_fmt_t f;
    size_t i;
    int rc = mct_check(src, srclen, (size_t)(bytes_per_sample == 2 ? 2 : 1), dst, dstlen, 1,
                       npixels, layout, &f, bytes_per_sample, is_signed, precision, err);
    if (rc != DCF_OK) {
        return rc;
    }
    if (overlap(src, 3 * npixels * f.bps, dst, 3 * npixels * sizeof(float))) {
        return set_err(err, DCF_E_ARG, 0);
    }
    for (i = 0; i < npixels; i++) {
        const uint8_t *p = src + 3 * i * f.bps;
        double r = (double)(rd_sample(&f, p) - f.shift);
        double g = (double)(rd_sample(&f, p + f.bps) - f.shift);
        double b = (double)(rd_sample(&f, p + 2 * f.bps) - f.shift);
        dst[comp_at(layout, npixels, i, 0)] = (float)(0.299 * r + 0.587 * g + 0.114 * b);
        dst[comp_at(layout, npixels, i, 1)] = (float)(-0.16875 * r - 0.33126 * g + 0.5 * b);
        dst[comp_at(layout, npixels, i, 2)] = (float)(0.5 * r - 0.41869 * g - 0.08131 * b);
    }
    return set_err(err, DCF_OK, 0);
}

/* round half up, then clamp into int32 range well inside the sample range
 * checks of wr_sample; NaN -> the lower bound. */
static inline int32_t round_clamp(double v, const sample_fmt_t *f) {
    double lo = (double)(f->lo - f->shift), hi = (double)(f->hi - f->shift);
    if (!(v >= lo)) {
        return f->lo - f->shift;
    }
    if (v >= hi) {
        return f->hi - f->shift;
    }
    return (int32_t)floor_d(v + 0.5);
}

int dcf_ict_inverse(const float *src, size_t srclen, uint8_t *dst, size_t dstlen,
                    size_t npixels, int bytes_per_sample, int is_signed, int precision,
                    int layout, dcf_error_t *err) {
    sample_fmt_t f;
    size_t i;
    int rc = mct_check(src, srclen, 1, dst, dstlen, (size_t)(bytes_per_sample == 2 ? 2 : 1),
                       npixels, layout, &f, bytes_per_sample, is_signed, precision, err);
    if (rc != DCF_OK) {
        return rc;
    }
    if (overlap(src, 3 * npixels * sizeof(float), dst, 3 * npixels * f.bps)) {
        return set_err(err, DCF_E_ARG, 0);
    }
    for (i = 0; i < npixels; i++) {
        double y = (double)src[comp_at(layout, npixels, i, 0)];
        double cb = (double)src[comp_at(layout, npixels, i, 1)];
        double cr = (double)src[comp_at(layout, npixels, i, 2)];
        uint8_t *p = dst + 3 * i * f.bps;
        wr_sample(&f, p, round_clamp(y + 1.402 * cr, &f));
        wr_sample(&f, p + f.bps, round_clamp(y - 0.34413 * cb - 0.71414 * cr, &f));
        wr_sample(&f, p + 2 * f.bps, round_clamp(y + 1.772 * cb, &f));
    }
    return set_err(err, DCF_OK, 0);
}
