/* SPDX-License-Identifier: MIT
 *
 * native.c - natively encoded pixel data to machine-order sample arrays.
 *
 * Implements: PS3.5 section 8.1.1 (Bits Allocated / Bits Stored / High Bit;
 * bit-packed cells for Bits Allocated 1, least significant bit first),
 * PS3.5 section 8.2 and 7.3 (byte order of OB/OW/OL/OV/OF/OD words under
 * little and big endian transfer syntaxes, including 8-bit samples in OW under
 * Explicit VR Big Endian), PS3.3 C.7.6.3.1.3 (Planar Configuration).
 *
 * The unused bits of a cell (outside HighBit-BitsStored+1..HighBit) are
 * masked off and, for Pixel Representation 1, the stored value is
 * sign-extended; PS3.5 8.1.1 says their content cannot be relied on.
 */
#include <string.h>

#include "dcf_bytes.h"
#include "native.h"

static int fail(dcf_error_t *err, int code, uint64_t offset) {
    if (err) {
        err->code = code;
        err->tag = DCF_NO_TAG;
        err->offset = offset;
    }
    return code;
}

uint64_t dcf_native_source_units(const dcf_native_t *d) {
    if (!d || d->samples < 1 || d->samples > 4) return 0;
    if (d->pixels > (UINT64_MAX / 64u) / d->samples) return 0;
    uint64_t n = d->pixels * d->samples;
    switch (d->bits_allocated) {
    case 1: return n;
    case 8: case 16: case 32: case 64: return n * (d->bits_allocated / 8u);
    default: return 0;
    }
}

static uint64_t load_word(const uint8_t *p, unsigned size, int big) {
    uint64_t v = 0;
    unsigned i;
    if (big) {
        for (i = 0; i < size; i++) v = (v << 8) | p[i];
    } else {
        for (i = size; i-- > 0;) v = (v << 8) | p[i];
    }
    return v;
}

static void store_word(uint8_t *p, uint64_t v, unsigned size) {
    /* machine order: the Cython layer checks the host is little endian */
    unsigned i;
    for (i = 0; i < size; i++) {
        p[i] = (uint8_t)(v & 0xFFu);
        v >>= 8;
    }
}

/* Fast paths for the common 16-bit cases (contiguous, interleaved): one
 * branch-free loop per (byte order, correction) so the compiler vectorizes. */
static inline uint16_t ld16(const uint8_t *p, int big) {
    uint16_t w;
    memcpy(&w, p, 2);
    return big ? (uint16_t)((w >> 8) | (w << 8)) : w;
}

#define DCF_LOOP16(BIG, SHIFT, EXPR)                                 \
    for (i = 0; i < n; i++) {                                        \
        const uint16_t v = (uint16_t)(ld16(s + 2 * i, BIG) >> (SHIFT)); \
        o[i] = (EXPR);                                               \
    }

static void unpack16(const uint8_t *s, uint16_t *o, uint64_t n, int big, int correct, unsigned shift,
                     unsigned bits, int is_signed) {
    uint64_t i;
    const uint16_t mask = (uint16_t)(bits >= 16 ? 0xFFFFu : ((1u << bits) - 1u));
    const uint16_t sign = (uint16_t)(1u << (bits - 1u));
    /* sign extension as (v & mask) ^ sign - sign: vectorizes, unlike variable shifts */
#define DCF_SEXT (uint16_t)((uint16_t)((v & mask) ^ sign) - sign)
    if (!correct) {
        if (!big) {
            memcpy(o, s, (size_t)n * 2u);
        } else {
            DCF_LOOP16(1, 0, v)
        }
    } else if (shift == 0) { /* High Bit = Bits Stored - 1: the usual layout */
        if (is_signed) {
            if (big) {
                DCF_LOOP16(1, 0, DCF_SEXT)
            } else {
                DCF_LOOP16(0, 0, DCF_SEXT)
            }
        } else if (big) {
            DCF_LOOP16(1, 0, (uint16_t)(v & mask))
        } else {
            DCF_LOOP16(0, 0, (uint16_t)(v & mask))
        }
    } else if (is_signed) {
        DCF_LOOP16(big, shift, DCF_SEXT)
    } else {
        DCF_LOOP16(big, shift, (uint16_t)(v & mask))
    }
#undef DCF_SEXT
}
#undef DCF_LOOP16

/* 8 packed bits (least significant first, PS3.5 8.1.1) -> 8 bytes of 0/1:
 * replicate the byte, keep bit k in byte k, then turn each non-zero byte into 1. */
static inline uint64_t spread8(unsigned b) {
    uint64_t x = ((uint64_t)b * UINT64_C(0x0101010101010101)) & UINT64_C(0x8040201008040201);
    return ((x + UINT64_C(0x7F7F7F7F7F7F7F7F)) & UINT64_C(0x8080808080808080)) >> 7;
}

static void unpack_bits(const uint8_t *src, uint64_t startbit, uint64_t n, uint8_t *dst) {
    uint64_t i = 0, bit = startbit;
    /* leading bits up to a byte boundary */
    while (i < n && (bit & 7u)) {
        dst[i++] = (uint8_t)((src[bit >> 3] >> (bit & 7u)) & 1u);
        bit++;
    }
    /* whole bytes (the output is little endian byte order by construction) */
    const uint8_t *p = src + (bit >> 3);
    while (i + 8 <= n) {
        const uint64_t v = spread8(*p++);
        memcpy(dst + i, &v, 8);
        i += 8;
        bit += 8;
    }
    while (i < n) {
        dst[i++] = (uint8_t)((src[bit >> 3] >> (bit & 7u)) & 1u);
        bit++;
    }
}

int dcf_native_unpack(const uint8_t *src, size_t srclen, uint64_t start, const dcf_native_t *d,
                      uint8_t *dst, size_t dstlen, dcf_error_t *err) {
    const uint64_t units = dcf_native_source_units(d);
    if (!src || !dst || units == 0) return d && d->pixels == 0 ? DCF_OK : fail(err, DCF_E_ARG, 0);
    const unsigned ba = d->bits_allocated;
    const unsigned size = ba >= 8 ? ba / 8u : 1u;
    const uint64_t nsamp = d->pixels * d->samples;

    if (dstlen != nsamp * size) return fail(err, DCF_E_OUTPUT_TOO_SMALL, 0);
    if (ba == 1) {
        if (d->samples != 1 || d->swap_ow8) return fail(err, DCF_E_UNSUPPORTED, 0);
        /* need bits [start, start + units) */
        if (start > (uint64_t)srclen * 8u || units > (uint64_t)srclen * 8u - start)
            return fail(err, DCF_E_SHORT_INPUT, srclen);
        unpack_bits(src, start, units, dst);
        return DCF_OK;
    }
    if (start > srclen || units > srclen - start) return fail(err, DCF_E_SHORT_INPUT, srclen);
    if (d->swap_ow8) {
        /* the pair-swapped byte of the last wanted byte may be one past the end
         * when the value has odd length (PS3.5 7.3: padded to even length) */
        if (ba != 8) return fail(err, DCF_E_UNSUPPORTED, 0);
        if (((start + units - 1u) ^ 1u) >= srclen && units) return fail(err, DCF_E_SHORT_INPUT, srclen);
    }

    int correct = 0;
    unsigned shift = 0, bits = ba;
    if (d->correct_bits && !d->is_float) {
        if (d->bits_stored < 1 || d->bits_stored > ba || d->high_bit >= ba ||
            d->high_bit + 1u < d->bits_stored)
            return fail(err, DCF_E_ARG, 0);
        bits = d->bits_stored;
        shift = d->high_bit + 1u - d->bits_stored;
        correct = bits < ba || shift != 0;
    }
    if (d->is_float && ba != 32 && ba != 64) return fail(err, DCF_E_ARG, 0);

    const uint8_t *s = src + start;
    const int big = d->big_endian && ba > 8;
    const unsigned spp = d->samples;

    if (!d->planar || spp == 1) {
        if (ba == 16) {
            /* dst is writable memory from numpy: 2-byte aligned by construction */
            unpack16(s, (uint16_t *)(void *)dst, nsamp, big, correct, shift, bits, (int)d->is_signed);
            return DCF_OK;
        }
        if (ba == 8 && !d->swap_ow8 && !correct) {
            memcpy(dst, s, (size_t)nsamp);
            return DCF_OK;
        }
        if (!big && !correct && !d->swap_ow8) {
            memcpy(dst, s, (size_t)(nsamp * size));
            return DCF_OK;
        }
    }

    /* general path: any size, byte order, planar layout, correction */
    const uint64_t plane = d->frame_pixels ? d->frame_pixels : d->pixels;
    if (d->planar && spp > 1 && (plane == 0 || d->pixels % plane != 0)) return fail(err, DCF_E_ARG, 0);
    const uint64_t mask = bits >= 64 ? UINT64_MAX : ((UINT64_C(1) << bits) - 1u);
    const uint64_t sign = UINT64_C(1) << (bits - 1u);
    uint64_t i;
    for (i = 0; i < nsamp; i++) {
        uint64_t srcidx;
        if (d->planar && spp > 1) {
            const uint64_t pix = i / spp, smp = i % spp;
            const uint64_t frame = pix / plane, inframe = pix % plane;
            srcidx = (frame * spp + smp) * plane + inframe;
        } else {
            srcidx = i;
        }
        uint64_t v;
        if (d->swap_ow8) {
            v = src[(start + srcidx) ^ 1u];
        } else {
            v = load_word(s + srcidx * size, size, big);
        }
        if (correct) {
            v = (v >> shift) & mask;
            if (d->is_signed && (v & sign)) v |= ~mask;
        }
        store_word(dst + i * size, v, size);
    }
    return DCF_OK;
}
