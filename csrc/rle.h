/* SPDX-License-Identifier: MIT
 *
 * rle.h - RLE Lossless (PackBits) decoding and encoding of one frame.
 *
 * Implements: PS3.5 Annex G (RLE Lossless compression): G.2 byte segments
 * (most significant byte of each sample first), G.3 the PackBits run
 * encoding (G.3.1 encoder: each row encoded separately, segments padded to
 * even length; G.3.2 decoder: literal run, replicate run, the 0x80 no-op),
 * G.4 segment order, G.5 the 64-byte RLE header (segment count and 15
 * little-endian uint32 offsets).
 *
 * Layout of the pixel side (what the decoder writes and the encoder reads):
 * rows x cols pixels, each `samples` samples of `bytes_per_sample` bytes,
 * every sample little-endian. The decoder writes Planar Configuration 0
 * (pixel-interleaved); the encoder reads Planar Configuration 0 or 1.
 *
 * Supported: bytes_per_sample 1, 2, 4 or 8; samples >= 1 with
 * samples x bytes_per_sample <= 15 (the header holds 15 offsets). Anything
 * else is DCF_E_UNSUPPORTED.
 *
 * Decoding follows pydicom 3's own decoder (pydicom.pixels.decoders.rle)
 * wherever it succeeds (see rle.c for the rules), except that an offset
 * pointing inside the 64-byte header is refused (DCF_E_CORRUPT).
 */
#ifndef DCF_RLE_H
#define DCF_RLE_H

#include "dcf.h"

#define DCF_RLE_HEADER_SIZE 64u
#define DCF_RLE_MAX_SEGMENTS 15u

/* decoder warnings (dcf_rle_decode_frame_ex): oddities tolerated, data kept */
#define DCF_RLE_W_EXCESS 0x01u  /* a segment holds more than rows x cols bytes; the excess is dropped */

/* Decode one RLE frame (the bytes of its fragment(s), concatenated) into
 * dst: rows*cols*samples*bytes_per_sample bytes, pixel-interleaved,
 * little-endian samples. dstlen may be larger; only the image is written.
 * Errors: DCF_E_ARG (size overflow), DCF_E_UNSUPPORTED (parameters),
 * DCF_E_OUTPUT_TOO_SMALL, DCF_E_SHORT_INPUT (frame shorter than its header,
 * an offset at or past the end, a segment decoding to fewer than rows*cols
 * bytes), DCF_E_CORRUPT (segment count, offsets not increasing or inside
 * the header). err->offset: byte offset into src (a header field, or where
 * a segment ran out). On error dst holds partial output. Reentrant; uses
 * about 17 KB of stack (the chunk buffer of a multi-segment frame). */
int dcf_rle_decode_frame(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                         uint32_t rows, uint32_t cols, uint32_t samples, uint32_t bytes_per_sample,
                         dcf_error_t *err);

/* As dcf_rle_decode_frame; *warnings (may be NULL) receives DCF_RLE_W_* bits. */
int dcf_rle_decode_frame_ex(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                            uint32_t rows, uint32_t cols, uint32_t samples,
                            uint32_t bytes_per_sample, uint32_t *warnings, dcf_error_t *err);

/* Upper bound on the encoded size of one frame (header included); 0 when the
 * parameters are unsupported or the bound does not fit in size_t. */
size_t dcf_rle_encode_bound(uint32_t rows, uint32_t cols, uint32_t samples, uint32_t bytes_per_sample);

/* Encode one frame. src holds rows*cols*samples*bytes_per_sample bytes of
 * little-endian samples in Planar Configuration `planar` (0 interleaved,
 * 1 one plane per sample); extra bytes are ignored. Writes the 64-byte
 * header and one segment per sample byte (most significant first), each
 * padded to even length with 0x00; sets *outlen. dstcap >=
 * dcf_rle_encode_bound() always suffices. Errors: DCF_E_ARG (planar not 0/1,
 * NULL outlen, size overflow), DCF_E_UNSUPPORTED (parameters, or an offset
 * that does not fit the header's uint32), DCF_E_SHORT_INPUT (srclen too
 * small; offset = srclen), DCF_E_OUTPUT_TOO_SMALL (offset = bytes written). */
int dcf_rle_encode_frame(const uint8_t *src, size_t srclen, uint32_t planar,
                         uint32_t rows, uint32_t cols, uint32_t samples, uint32_t bytes_per_sample,
                         uint8_t *dst, size_t dstcap, size_t *outlen, dcf_error_t *err);

#endif /* DCF_RLE_H */
