/* SPDX-License-Identifier: MIT
 *
 * dcf.h - shared types of the dcmfast C kernels: status codes and the error
 * record every kernel fills in.
 *
 * Implements: nothing of the standard by itself; the status families mirror
 * the parts they belong to (PS3.5 data encoding, PS3.5 Annex G RLE, PS3.8
 * upper layer).
 *
 * House rules for csrc/: pure C99, no Python.h, no I/O, no globals, no
 * allocation sized from input. Kernels take (src, srcsize, dst, dstsize,
 * params..., dcf_error_t *err) and return a status.
 */
#ifndef DCF_H
#define DCF_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define DCF_LIKELY(x) __builtin_expect(!!(x), 1)
#define DCF_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define DCF_LIKELY(x) (x)
#define DCF_UNLIKELY(x) (x)
#endif

typedef enum {
    /* progress, not errors */
    DCF_OK = 0,
    DCF_TOKENS_FULL = 1,   /* caller's token array is full: grow it, call again */
    DCF_PDU_NEED_MORE = 2, /* upper layer: more bytes are needed to frame a PDU */

    /* tokenizer: PS3.5 section 7 */
    DCF_E_TRUNCATED = -1,  /* the buffer ends inside a header or a value */
    DCF_E_LENGTH = -2,     /* a value length runs past its container */
    DCF_E_NESTING = -3,    /* sequences nested deeper than DCF_MAX_DEPTH */
    DCF_E_ITEM = -4,       /* a sequence holds something that is not an item */
    DCF_E_DELIMITER = -5,  /* undefined length without its delimiter */
    DCF_E_ARG = -6,        /* invalid argument from the caller */

    /* codecs (pixel kernels) */
    DCF_E_OUTPUT_TOO_SMALL = -20, /* caller's output buffer is smaller than needed */
    DCF_E_SHORT_INPUT = -21,      /* encoded data holds fewer bytes than the image needs */
    DCF_E_CORRUPT = -22,          /* encoded data contradicts itself (bad header, run past end) */
    DCF_E_UNSUPPORTED = -23,      /* a valid but unsupported parameter combination */

    /* upper layer: PS3.8 section 9.3 */
    DCF_E_PDU_TYPE = -40,         /* not a PDU type of PS3.8 9.3 (or not the one expected) */
    DCF_E_PDU_TOO_LARGE = -41,    /* PDU length above the maximum we accept */
    DCF_E_PDU_LENGTH = -42,       /* PDU length impossible for its type */
    DCF_E_PDU_ITEM = -43          /* an item or sub-item length or field is inconsistent */
} dcf_status_t;

/* Where a kernel stopped and why. offset is a byte offset into the caller's
 * buffer (plus the caller-supplied base); tag is 0xFFFFFFFF when unknown. */
typedef struct {
    int code;
    uint32_t tag;
    uint64_t offset;
} dcf_error_t;

#define DCF_NO_TAG 0xFFFFFFFFu

/* Static strings for each status; the only place messages live in C. */
const char *dcf_status_name(int code);
const char *dcf_status_text(int code);

#endif /* DCF_H */
