/* SPDX-License-Identifier: MIT
 *
 * dcf_bytes.h - bounded little/big endian loads.
 *
 * Implements: PS3.5 section 7.3 (byte ordering). Callers check that the bytes
 * exist before loading; helpers here only assemble values, so they never read
 * past what the caller verified.
 */
#ifndef DCF_BYTES_H
#define DCF_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t dcf_rd_u16le(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint16_t dcf_rd_u16be(const uint8_t *p) {
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t dcf_rd_u32le(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint32_t dcf_rd_u32be(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline uint16_t dcf_rd_u16(const uint8_t *p, int little) {
    return little ? dcf_rd_u16le(p) : dcf_rd_u16be(p);
}
static inline uint32_t dcf_rd_u32(const uint8_t *p, int little) {
    return little ? dcf_rd_u32le(p) : dcf_rd_u32be(p);
}
/* A tag is two 16-bit words (group, element), each in the data's byte order. */
static inline uint32_t dcf_rd_tag(const uint8_t *p, int little) {
    return ((uint32_t)dcf_rd_u16(p, little) << 16) | dcf_rd_u16(p + 2, little);
}
/* "Are n bytes left at pos before end?" written so it cannot overflow. */
static inline int dcf_have(uint64_t pos, uint64_t end, uint64_t n) {
    return pos <= end && end - pos >= n;
}

#endif /* DCF_BYTES_H */
