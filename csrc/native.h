/* SPDX-License-Identifier: MIT
 *
 * native.h - unpacking natively encoded pixel data into machine-order arrays.
 *
 * Implements: PS3.5 section 8.1.1 (pixel cells: Bits Allocated, Bits Stored,
 * High Bit, bit packing when Bits Allocated is 1) and section 8.2 with
 * Annex A.2-A.3 / PS3.5 7.3 (little and big endian byte order of OW, OF, OD
 * and 8-bit data in OW under Explicit VR Big Endian); PS3.3 C.7.6.3.1.3
 * (Planar Configuration).
 */
#ifndef DCF_NATIVE_H
#define DCF_NATIVE_H

#include "dcf.h"

/* What one call unpacks. Output is always pixel-interleaved (Planar
 * Configuration 0), one sample per bits_allocated/8 bytes in the machine's
 * byte order (one byte per pixel, 0 or 1, when bits_allocated is 1). */
typedef struct {
    uint64_t pixels;         /* pixels to produce (rows * columns * frames) */
    uint32_t samples;        /* Samples per Pixel: 1..4 */
    uint32_t bits_allocated; /* 1, 8, 16, 32 or 64 */
    uint32_t bits_stored;    /* 1..bits_allocated; ignored for float data */
    uint32_t high_bit;       /* bits_stored - 1 .. bits_allocated - 1 */
    uint32_t is_signed;      /* Pixel Representation 1: sign-extend from bits_stored */
    uint32_t is_float;       /* Float / Double Float Pixel Data: only byte order */
    uint32_t big_endian;     /* source words are big endian */
    uint32_t swap_ow8;       /* 8-bit data in big endian OW: bytes swapped in pairs */
    uint32_t planar;         /* 1: source holds one plane per sample, per frame */
    uint32_t frame_pixels;   /* rows * columns: the plane size when planar */
    uint32_t correct_bits;   /* mask / sign-extend samples to bits_stored */
} dcf_native_t;

/* Bytes (bits_allocated >= 8) or bits (bits_allocated 1) of source the call
 * reads; 0 when the description is invalid. */
uint64_t dcf_native_source_units(const dcf_native_t *d);

/* Unpack d->pixels pixels starting at `start` - a byte offset into src, or a
 * bit offset when bits_allocated is 1 (frames of packed data may start
 * mid-byte) - into dst, which must hold exactly pixels * samples * itemsize
 * bytes. With swap_ow8, byte i of the source sits at src[i ^ 1] (offsets
 * count from the start of the element's value, so pass the whole value).
 * Errors: DCF_E_ARG (invalid description), DCF_E_SHORT_INPUT (src too short,
 * err->offset = bytes available), DCF_E_OUTPUT_TOO_SMALL. */
int dcf_native_unpack(const uint8_t *src, size_t srclen, uint64_t start, const dcf_native_t *d,
                      uint8_t *dst, size_t dstlen, dcf_error_t *err);

#endif /* DCF_NATIVE_H */
