/* SPDX-License-Identifier: MIT
 *
 * rle.c - RLE Lossless decoding and encoding of one frame (see rle.h).
 *
 * Implements: PS3.5 Annex G (RLE Lossless compression): G.2 byte segments,
 * G.3.1 the encoder (rows encoded separately, runs of at most 128 bytes,
 * segments padded to even length), G.3.2 the decoder (0..127 literal run of
 * n+1 bytes, 129..255 replicate run of 257-n copies, 128 no-op), G.4 segment
 * order (each sample's bytes from most to least significant), G.5 the RLE
 * header (64 bytes: segment count, 15 little-endian uint32 offsets).
 *
 * Decoder rules (those of pydicom 3, pydicom/pixels/decoders/rle.py, where
 * it succeeds):
 *  - the header must be present (64 bytes) and its segment count equal
 *    samples x bytes_per_sample; unused offsets are not looked at;
 *  - segment k is src[off[k] : off[k+1]] (the last ends at srclen), so the
 *    used offsets must increase strictly and stay below srclen;
 *  - a literal run cut short by the end of its segment copies the bytes that
 *    are there; a replicate header that is the segment's last byte does
 *    nothing (that is how the 0x00 pad byte of an odd-length segment is
 *    read); 0x80 is a no-op;
 *  - a segment decoding to fewer than rows x cols bytes is an error; one
 *    decoding to more keeps the first rows x cols (DCF_RLE_W_EXCESS).
 * Difference: an offset below 64 (inside the header) is DCF_E_CORRUPT;
 * pydicom would decode the header's own bytes as pixels.
 *
 * Speed: a single-segment frame is decoded straight into dst. Otherwise the
 * segments are decoded in lockstep, a chunk of pixels at a time, into
 * contiguous planes in a 16 KB stack buffer (rle_cursor keeps a run cut by a
 * chunk's end), then interleaved into dst by loops the compiler vectorises
 * (2, 4 and 8 planes) or that store whole words (3 planes). The hot loop runs
 * without clamps while a whole run (at most 129 input, 128 output bytes)
 * fits, and writes fixed-size blocks (16-byte literal copies, a 128-byte
 * replicate fill) that later runs overwrite, so short runs cost no
 * mispredicted loop exits.
 */
#include "rle.h"
#include "dcf_bytes.h"

#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define RLE_INLINE static inline __attribute__((always_inline))
#else
#define RLE_INLINE static inline
#endif

static int rle_fail(dcf_error_t *err, int code, uint64_t offset) {
    if (err != NULL) {
        err->code = code;
        err->offset = offset;
        err->tag = DCF_NO_TAG;
    }
    return code;
}

static int rle_ok(dcf_error_t *err) {
    if (err != NULL) {
        err->code = DCF_OK;
        err->offset = 0;
        err->tag = DCF_NO_TAG;
    }
    return DCF_OK;
}

/* Number of segments for the parameters, 0 when unsupported. */
static uint32_t rle_segments(uint32_t samples, uint32_t bytes_per_sample) {
    if (bytes_per_sample != 1 && bytes_per_sample != 2 && bytes_per_sample != 4 &&
        bytes_per_sample != 8)
        return 0;
    if (samples == 0 || samples > DCF_RLE_MAX_SEGMENTS / bytes_per_sample)
        return 0;
    return samples * bytes_per_sample;
}

/* ---------------------------------------------------------------- decoding */

/* Where decoding of one segment stands: the next header byte at seg[pos],
 * and the rest of a run that did not fit the previous output chunk. */
typedef struct {
    const uint8_t *seg;
    size_t len, pos;
    size_t run;         /* bytes of a cut run still to produce */
    const uint8_t *lit; /* source of a cut literal run; NULL: replicate val */
    uint8_t val;
} rle_cursor;

/* Copy n (1..112) bytes in 16-byte blocks: up to 15 bytes past n are
 * read and written, which the caller must allow. */
RLE_INLINE void copy_blocks(uint8_t *d, const uint8_t *s, size_t n) {
    size_t k;
    for (k = 0; k < n; k += 16u)
        memcpy(d + k, s + k, 16);
}

/* Decode the next `want` bytes of the segment into out[0..want), stopping
 * early only at the end of the segment; returns the bytes produced. */
static size_t rle_fill(rle_cursor *c, uint8_t *out, size_t want) {
    const uint8_t *const seg = c->seg;
    const size_t len = c->len;
    size_t pos = c->pos, o = 0;

    if (c->run != 0) {
        size_t n = c->run < want ? c->run : want;
        if (c->lit != NULL) {
            memcpy(out, c->lit, n);
            c->lit += n;
        } else {
            memset(out, c->val, n);
        }
        c->run -= n;
        o = n;
    }

    /* Hot loop: a whole run (header + <= 128 bytes in, <= 128 bytes out,
     * rounded up to 16-byte blocks) fits in both buffers: no clamping. */
    if (len >= 129u && want >= 128u) {
        const size_t pend = len - 129u, oend = want - 128u;
        while (pos <= pend && o <= oend) {
            const unsigned h = seg[pos];
            if (h < 128u) {
                const size_t n = (size_t)h + 1u;
                /* one unconditional block covers most literals */
                memcpy(out + o, seg + pos + 1u, 16);
                if (n > 16u)
                    copy_blocks(out + o + 16u, seg + pos + 17u, n - 16u);
                pos += n + 1u;
                o += n;
            } else if (h > 128u) {
                const size_t n = 257u - (size_t)h;
                /* a fixed-size fill: no loop whose exit mispredicts */
                memset(out + o, seg[pos + 1u], 128);
                pos += 2u;
                o += n;
            } else {
                pos++;
            }
        }
    }

    /* Tail: clamp to the end of the segment and of the chunk. */
    while (o < want && pos < len) {
        const unsigned h = seg[pos++];
        const size_t room = want - o;
        if (h < 128u) {
            size_t n = (size_t)h + 1u, take;
            const size_t avail = len - pos;
            if (n > avail)
                n = avail; /* cut by the segment's end: copy what is there */
            take = n < room ? n : room;
            memcpy(out + o, seg + pos, take);
            if (take < n) {
                c->run = n - take;
                c->lit = seg + pos + take;
            }
            pos += n;
            o += take;
        } else if (h > 128u) {
            size_t n = 257u - (size_t)h, take;
            uint8_t v;
            if (pos >= len)
                break; /* replicate header without its byte: nothing */
            v = seg[pos++];
            take = n < room ? n : room;
            memset(out + o, v, take);
            if (take < n) {
                c->run = n - take;
                c->lit = NULL;
                c->val = v;
            }
            o += take;
        }
    }
    c->pos = pos;
    return o;
}

/* After the image: would the rest of the segment still decode to a byte? */
static int rle_has_excess(const rle_cursor *c) {
    size_t pos = c->pos;
    if (c->run != 0)
        return 1;
    while (pos < c->len && c->seg[pos] == 128u)
        pos++;
    return pos + 1u < c->len; /* a header with at least one byte after it */
}

/* Interleave m pixels of n single-byte planes p[0..n) into d
 * (d[i*n+j] = p[j][i]); pixel-major with the plane pointers in locals, which
 * GCC vectorises for n = 8. */
RLE_INLINE void interleave_n(uint8_t *restrict d, const uint8_t *const *pp, size_t n, size_t m) {
    const uint8_t *p[DCF_RLE_MAX_SEGMENTS];
    size_t i, j;
    for (j = 0; j < n; j++)
        p[j] = pp[j];
    for (i = 0; i < m; i++)
        for (j = 0; j < n; j++)
            d[i * n + j] = p[j][i];
}

static void interleave2(uint8_t *restrict d, const uint8_t *restrict a, const uint8_t *restrict b,
                        size_t m) {
    size_t i;
    for (i = 0; i < m; i++) {
        d[2 * i] = a[i];
        d[2 * i + 1] = b[i];
    }
}

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Bytes 0, 1, 2 of x at bytes 0, 3, 6. */
static inline uint64_t spread3(uint64_t x) {
    return (x & 0xFFu) | ((x & 0xFF00u) << 16) | ((x & 0xFF0000u) << 32);
}
#define RLE_LE_WORDS 1
#endif

static void interleave3(uint8_t *restrict d, const uint8_t *restrict a, const uint8_t *restrict b,
                        const uint8_t *restrict c, size_t m) {
    size_t i = 0;
#ifdef RLE_LE_WORDS
    /* 8 pixels at a time: three 8-byte loads, three 8-byte stores
     * (a0 b0 c0 a1 b1 c1 a2 b2 | c2 a3 b3 c3 a4 b4 c4 a5 | b5 c5 a6 b6 c6 a7 b7 c7).
     * (A one-colour fast path for 8-pixel blocks was no faster even on
     * mostly-background frames: its branch mispredicts at every run edge.) */
    for (; i + 8u <= m; i += 8u) {
        uint64_t x, y, z, w0, w1, w2;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        memcpy(&z, c + i, 8);
        w0 = spread3(x) | (spread3(y) << 8) | (spread3(z) << 16);
        w1 = (spread3(x >> 24) << 8) | (spread3(y >> 24) << 16) | spread3(z >> 16);
        w2 = (spread3(x >> 48) << 16) | spread3(y >> 40) | (spread3(z >> 40) << 8);
        memcpy(d + 3u * i, &w0, 8);
        memcpy(d + 3u * i + 8u, &w1, 8);
        memcpy(d + 3u * i + 16u, &w2, 8);
    }
#endif
    for (; i < m; i++) {
        d[3 * i] = a[i];
        d[3 * i + 1] = b[i];
        d[3 * i + 2] = c[i];
    }
}

static void interleave4(uint8_t *restrict d, const uint8_t *restrict a, const uint8_t *restrict b,
                        const uint8_t *restrict c, const uint8_t *restrict e, size_t m) {
    size_t i;
    for (i = 0; i < m; i++) {
        d[4 * i] = a[i];
        d[4 * i + 1] = b[i];
        d[4 * i + 2] = c[i];
        d[4 * i + 3] = e[i];
    }
}

static void interleave(uint8_t *d, const uint8_t *const *p, size_t n, size_t m) {
    switch (n) {
    case 2: interleave2(d, p[0], p[1], m); break;
    case 3: interleave3(d, p[0], p[1], p[2], m); break;
    case 4: interleave4(d, p[0], p[1], p[2], p[3], m); break;
    case 6: interleave_n(d, p, 6, m); break;
    case 8: interleave_n(d, p, 8, m); break;
    case 12: interleave_n(d, p, 12, m); break;
    default: interleave_n(d, p, n, m); break;
    }
}

/* Bytes of stack for the per-segment chunks of a multi-segment frame. */
#define RLE_CHUNK_BYTES 16384u

int dcf_rle_decode_frame_ex(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                            uint32_t rows, uint32_t cols, uint32_t samples,
                            uint32_t bytes_per_sample, uint32_t *warnings, dcf_error_t *err) {
    const uint32_t nseg = rle_segments(samples, bytes_per_sample);
    uint64_t npix64, need64;
    size_t npix, offs[DCF_RLE_MAX_SEGMENTS + 1];
    rle_cursor cur[DCF_RLE_MAX_SEGMENTS];
    const uint8_t *plane[DCF_RLE_MAX_SEGMENTS];
    uint8_t buf[RLE_CHUNK_BYTES];
    uint32_t count, j, k;
    uint32_t warn = 0;

    if (warnings != NULL)
        *warnings = 0;
    if (nseg == 0)
        return rle_fail(err, DCF_E_UNSUPPORTED, 0);
    npix64 = (uint64_t)rows * (uint64_t)cols;
    if (npix64 > (uint64_t)SIZE_MAX / nseg)
        return rle_fail(err, DCF_E_ARG, 0);
    npix = (size_t)npix64;
    need64 = npix64 * nseg;
    if ((src == NULL && srclen != 0) || (dst == NULL && need64 != 0))
        return rle_fail(err, DCF_E_ARG, 0);
    if (dstlen < need64)
        return rle_fail(err, DCF_E_OUTPUT_TOO_SMALL, 0);

    /* G.5 header */
    if (srclen < DCF_RLE_HEADER_SIZE)
        return rle_fail(err, DCF_E_SHORT_INPUT, srclen);
    count = dcf_rd_u32le(src);
    if (count != nseg) /* also catches count > 15 */
        return rle_fail(err, DCF_E_CORRUPT, 0);
    if (npix == 0)
        return rle_ok(err);
    for (k = 0; k < nseg; k++) {
        const size_t field = 4u + 4u * (size_t)k;
        const uint32_t off = dcf_rd_u32le(src + field);
        if (off < DCF_RLE_HEADER_SIZE)
            return rle_fail(err, DCF_E_CORRUPT, field);
        if (k > 0 && off <= offs[k - 1])
            return rle_fail(err, DCF_E_CORRUPT, field);
        if (off >= srclen)
            return rle_fail(err, DCF_E_SHORT_INPUT, field);
        offs[k] = off;
    }
    offs[nseg] = srclen;

    /* G.2/G.4: segment s*bps + b holds byte b (0 = most significant) of
     * sample s, i.e. byte (bps-1-b) of that little-endian sample: byte j of
     * a pixel comes from segment (j/bps)*bps + bps-1 - j%bps. */
    for (k = 0; k < nseg; k++) {
        cur[k].seg = src + offs[k];
        cur[k].len = offs[k + 1] - offs[k];
        cur[k].pos = 0;
        cur[k].run = 0;
        cur[k].lit = NULL;
        cur[k].val = 0;
    }
    if (nseg == 1) {
        if (rle_fill(&cur[0], dst, npix) < npix)
            return rle_fail(err, DCF_E_SHORT_INPUT, (uint64_t)offs[1]);
    } else {
        const size_t chunk = (RLE_CHUNK_BYTES / nseg) & ~(size_t)15u;
        size_t done = 0;
        for (j = 0; j < nseg; j++) {
            const uint32_t s = j / bytes_per_sample, byte = j % bytes_per_sample;
            plane[j] = buf + (size_t)(s * bytes_per_sample + bytes_per_sample - 1u - byte) * chunk;
        }
        while (done < npix) {
            const size_t m = npix - done < chunk ? npix - done : chunk;
            for (k = 0; k < nseg; k++) {
                if (rle_fill(&cur[k], buf + (size_t)k * chunk, m) < m)
                    return rle_fail(err, DCF_E_SHORT_INPUT, (uint64_t)offs[k + 1]);
            }
            interleave(dst + done * nseg, plane, nseg, m);
            done += m;
        }
    }
    for (k = 0; k < nseg; k++) {
        if (rle_has_excess(&cur[k]))
            warn |= DCF_RLE_W_EXCESS;
    }
    if (warnings != NULL)
        *warnings = warn;
    return rle_ok(err);
}

int dcf_rle_decode_frame(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                         uint32_t rows, uint32_t cols, uint32_t samples, uint32_t bytes_per_sample,
                         dcf_error_t *err) {
    return dcf_rle_decode_frame_ex(src, srclen, dst, dstlen, rows, cols, samples,
                                   bytes_per_sample, NULL, err);
}

/* ---------------------------------------------------------------- encoding */

/* Worst case of one encoded row of n bytes: every literal either holds at
 * least 127 bytes, is followed by a replicate run of >= 3 bytes (2 output
 * bytes, so the literal's header is paid for) or ends the row; replicate
 * runs never expand. Hence n + n/127 + 1. */
static uint64_t rle_row_bound(uint64_t n) {
    return n + n / 127u + 1u;
}

size_t dcf_rle_encode_bound(uint32_t rows, uint32_t cols, uint32_t samples, uint32_t bytes_per_sample) {
    const uint32_t nseg = rle_segments(samples, bytes_per_sample);
    uint64_t seg;
    if (nseg == 0)
        return 0;
    if (rows != 0 && rle_row_bound(cols) > (UINT64_MAX - 1u) / rows)
        return 0;
    seg = (uint64_t)rows * rle_row_bound(cols) + 1u; /* + even-length pad */
    if (seg > (UINT64_MAX - DCF_RLE_HEADER_SIZE) / nseg)
        return 0;
    seg = seg * nseg + DCF_RLE_HEADER_SIZE;
    if (seg > (uint64_t)SIZE_MAX)
        return 0;
    return (size_t)seg;
}

/* Write a literal run of len (1..128) bytes read at stride. */
RLE_INLINE int put_literal_run(const uint8_t *s, size_t stride, size_t len, uint8_t *dst, size_t cap,
                               size_t *pos) {
    size_t p = *pos, i;
    if (cap - p < len + 1u)
        return DCF_E_OUTPUT_TOO_SMALL;
    dst[p++] = (uint8_t)(len - 1u);
    if (stride == 1) {
        memcpy(dst + p, s, len);
        p += len;
    } else {
        for (i = 0; i < len; i++)
            dst[p++] = s[i * stride];
    }
    *pos = p;
    return DCF_OK;
}

/* Encode one row of n bytes read at stride (G.3.1): runs of >= 3 equal
 * bytes are replicate runs; a pair is a replicate run unless a literal run
 * is open (and has room), in which case it joins the literal (G.3.1's
 * advice for two-byte repeats between literals; never larger); everything
 * else is literal. Runs stop at 128 bytes and never cross the row. */
RLE_INLINE int encode_row(const uint8_t *s, size_t stride, size_t n, uint8_t *dst, size_t cap,
                          size_t *pos) {
    size_t i = 0, lit_start = 0, lit_len = 0;
    int rc;
    while (i < n) {
        const uint8_t v = s[i * stride];
        size_t r = 1;
        while (i + r < n && r < 128u && s[(i + r) * stride] == v)
            r++;
        if (r >= 3u || (r == 2u && (lit_len == 0 || lit_len + 2u > 128u))) {
            if (lit_len != 0) {
                rc = put_literal_run(s + lit_start * stride, stride, lit_len, dst, cap, pos);
                if (rc != DCF_OK)
                    return rc;
                lit_len = 0;
            }
            if (cap - *pos < 2u)
                return DCF_E_OUTPUT_TOO_SMALL;
            dst[*pos] = (uint8_t)(257u - r);
            dst[*pos + 1u] = v;
            *pos += 2u;
        } else {
            if (lit_len + r > 128u) { /* r == 1 and the literal is full */
                rc = put_literal_run(s + lit_start * stride, stride, lit_len, dst, cap, pos);
                if (rc != DCF_OK)
                    return rc;
                lit_len = 0;
            }
            if (lit_len == 0)
                lit_start = i;
            lit_len += r;
        }
        i += r;
    }
    if (lit_len != 0)
        return put_literal_run(s + lit_start * stride, stride, lit_len, dst, cap, pos);
    return DCF_OK;
}

/* Encode one segment: rows rows of cols bytes, rows rowstep bytes apart,
 * bytes stride apart within a row. */
RLE_INLINE int encode_segment(const uint8_t *base, size_t stride, size_t rowstep, size_t rows,
                              size_t cols, uint8_t *dst, size_t cap, size_t *pos) {
    size_t r;
    int rc;
    for (r = 0; r < rows; r++) {
        rc = encode_row(base + r * rowstep, stride, cols, dst, cap, pos);
        if (rc != DCF_OK)
            return rc;
    }
    return DCF_OK;
}

static int encode_segment_any(const uint8_t *base, size_t stride, size_t rowstep, size_t rows,
                              size_t cols, uint8_t *dst, size_t cap, size_t *pos) {
    switch (stride) {
    case 1: return encode_segment(base, 1, rowstep, rows, cols, dst, cap, pos);
    case 2: return encode_segment(base, 2, rowstep, rows, cols, dst, cap, pos);
    case 3: return encode_segment(base, 3, rowstep, rows, cols, dst, cap, pos);
    case 4: return encode_segment(base, 4, rowstep, rows, cols, dst, cap, pos);
    case 8: return encode_segment(base, 8, rowstep, rows, cols, dst, cap, pos);
    default: return encode_segment(base, stride, rowstep, rows, cols, dst, cap, pos);
    }
}

int dcf_rle_encode_frame(const uint8_t *src, size_t srclen, uint32_t planar,
                         uint32_t rows, uint32_t cols, uint32_t samples, uint32_t bytes_per_sample,
                         uint8_t *dst, size_t dstcap, size_t *outlen, dcf_error_t *err) {
    const uint32_t nseg = rle_segments(samples, bytes_per_sample);
    uint64_t npix64;
    size_t npix, pos, stride, rowstep, plane;
    uint32_t s, b, k;
    int rc;

    if (outlen != NULL)
        *outlen = 0;
    if (nseg == 0)
        return rle_fail(err, DCF_E_UNSUPPORTED, 0);
    if (planar > 1u || outlen == NULL)
        return rle_fail(err, DCF_E_ARG, 0);
    npix64 = (uint64_t)rows * (uint64_t)cols;
    if (npix64 > (uint64_t)SIZE_MAX / nseg)
        return rle_fail(err, DCF_E_ARG, 0);
    npix = (size_t)npix64;
    if ((src == NULL && srclen != 0) || (dst == NULL && dstcap != 0))
        return rle_fail(err, DCF_E_ARG, 0);
    if (srclen < npix * nseg)
        return rle_fail(err, DCF_E_SHORT_INPUT, srclen);
    if (dstcap < DCF_RLE_HEADER_SIZE)
        return rle_fail(err, DCF_E_OUTPUT_TOO_SMALL, 0);

    memset(dst, 0, DCF_RLE_HEADER_SIZE);
    dst[0] = (uint8_t)nseg;
    pos = DCF_RLE_HEADER_SIZE;
    if (planar == 0) {
        stride = (size_t)nseg;
        rowstep = (size_t)cols * nseg;
        plane = 0;
    } else {
        stride = bytes_per_sample;
        rowstep = (size_t)cols * bytes_per_sample;
        plane = npix * bytes_per_sample;
    }
    for (s = 0; s < samples; s++) {
        for (b = 0; b < bytes_per_sample; b++) {
            const size_t start = pos;
            const size_t byte = bytes_per_sample - 1u - b; /* most significant first */
            const uint8_t *base =
                src + (planar == 0 ? (size_t)s * bytes_per_sample : (size_t)s * plane) + byte;
            k = s * bytes_per_sample + b;
            if ((uint64_t)start > UINT32_MAX)
                return rle_fail(err, DCF_E_UNSUPPORTED, start);
            dst[4u + 4u * k] = (uint8_t)(start & 0xFFu);
            dst[5u + 4u * k] = (uint8_t)((start >> 8) & 0xFFu);
            dst[6u + 4u * k] = (uint8_t)((start >> 16) & 0xFFu);
            dst[7u + 4u * k] = (uint8_t)((start >> 24) & 0xFFu);
            rc = encode_segment_any(base, stride, rowstep, rows, cols, dst, dstcap, &pos);
            if (rc != DCF_OK)
                return rle_fail(err, rc, pos);
            if ((pos - start) & 1u) { /* G.3.1: pad to even length */
                if (pos >= dstcap)
                    return rle_fail(err, DCF_E_OUTPUT_TOO_SMALL, pos);
                dst[pos++] = 0;
            }
        }
    }
    *outlen = pos;
    return rle_ok(err);
}
