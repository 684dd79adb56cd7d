/* SPDX-License-Identifier: MIT
 *
 * tokenizer.h - one pass over an encoded data set, writing a flat token table.
 *
 * Implements: PS3.5 section 7 (data elements, 7.1.1-7.1.3 explicit and implicit
 * VR headers, 7.5 nesting of data sets, undefined lengths and delimitation
 * items), section 6.2.2 (UN of undefined length holds implicit VR LE) and
 * annex A.4 (encapsulated pixel data: fragments as items).
 *
 * The table is in document order. Every container (a sequence element, an
 * item, an encapsulated value) is followed by its children; token.next is the
 * index one past its subtree, so siblings are a linked walk and any subtree is
 * skipped in O(1).
 */
#ifndef DCF_TOKENIZER_H
#define DCF_TOKENIZER_H

#include "dcf.h"

#define DCF_MAX_DEPTH 128     /* container frames: sequence + item per level */
#define DCF_UNDEFINED_LENGTH 0xFFFFFFFFu
#define DCF_UNDEF_END UINT64_MAX

/* token kinds */
enum { DCF_TOK_ELEMENT = 0, DCF_TOK_ITEM = 1, DCF_TOK_FRAGMENT = 2 };

/* token flags */
#define DCF_TF_UNDEFINED 0x01  /* undefined length in the encoding */
#define DCF_TF_IMPLICIT 0x02   /* header had no VR (implicit VR encoding) */
#define DCF_TF_SEQUENCE 0x04   /* children are items holding data sets */
#define DCF_TF_FRAGMENTS 0x08  /* children are fragments (encapsulated value) */
#define DCF_TF_TRUNCATED 0x10  /* value cut short by the end of the data */
#define DCF_TF_SEARCHED 0x20   /* undefined-length value found by delimiter search */
#define DCF_TF_BADVR 0x40      /* explicit VR bytes that are not a known VR */

/* warnings: value oddities the caller reports (structural errors raise) */
#define DCF_W_TRUNCATED_VALUE 0x01  /* a value or container cut short by the end of its data */
#define DCF_W_TRAILING_BYTES 0x02   /* fewer than 8 bytes left after the last element */
#define DCF_W_VR_SWITCH 0x04        /* data set not encoded with the expected VR form */
#define DCF_W_UNKNOWN_VR 0x08       /* explicit VR that is not in PS3.5 table 6.2-1 */
#define DCF_W_TOP_DELIMITER 0x10    /* item delimiter at top level ended the data set */
#define DCF_W_SEQ_DELIM_IN_DEFINED 0x20 /* sequence delimiter inside a defined-length sequence */

/* stop conditions (top level only) */
#define DCF_STOP_AT_PIXELS 0x01   /* stop before (7FE0,0008/0009/0010) */
#define DCF_STOP_AFTER_META 0x02  /* stop at the first element not in group 0002 */
#define DCF_STOP_AFTER_COMMAND 0x04 /* stop at the first element not in group 0000 */

typedef struct {
    uint64_t offset;        /* first byte of the header */
    uint64_t value_offset;  /* first byte of the value */
    uint64_t length;        /* value bytes; for undefined length, up to the delimiter */
    uint32_t tag;
    uint32_t next;          /* index one past this token's subtree */
    uint16_t vr;            /* the two VR characters (c0 << 8 | c1); 0 if implicit */
    uint8_t kind;           /* DCF_TOK_* */
    uint8_t flags;          /* DCF_TF_* */
    uint32_t reserved;
} dcf_token_t;

enum { DCF_FR_DATASET = 0, DCF_FR_SEQUENCE = 1, DCF_FR_FRAGMENTS = 2 };

typedef struct {
    uint64_t end;       /* declared end of a defined-length container, else DCF_UNDEF_END */
    uint64_t limit;     /* hard bound: end of the innermost defined-length sequence or data */
    uint32_t tok;       /* token of the container, UINT32_MAX at top level */
    uint8_t kind;       /* DCF_FR_* */
    uint8_t implicit;   /* data set: elements use implicit VR */
    uint8_t checked;    /* data set: VR form already detected */
    uint8_t pad;
} dcf_frame_t;

typedef struct {
    /* configuration, set before the first call */
    const uint32_t *sq_tags;     /* sorted: dictionary VR is SQ */
    size_t n_sq_tags;
    const uint32_t *known_tags;  /* sorted: in the dictionary, VR is not SQ */
    size_t n_known_tags;
    uint64_t base;               /* added to every offset reported */
    int little_endian;
    int stop;                    /* DCF_STOP_* */
    /* progress */
    uint64_t pos;
    uint32_t ntok;
    int depth;
    int done;
    unsigned warnings;           /* DCF_W_* */
    uint64_t warn_offset;        /* where the first warning arose */
    dcf_frame_t stack[DCF_MAX_DEPTH];
} dcf_tokenizer_t;

/* Prepare to read a data set (top_kind DCF_FR_DATASET) or the body of a
 * sequence (DCF_FR_SEQUENCE) in the given byte order; implicit is the VR form
 * assumed for the first data set (detected per data set as pydicom does). */
void dcf_tokenizer_init(dcf_tokenizer_t *t, int little_endian, int implicit, int top_kind);

/* Tokenize src[0:srcsize]. Returns DCF_OK when finished (t->ntok tokens,
 * t->pos where it stopped), DCF_TOKENS_FULL when `capacity` tokens are written
 * (grow the array, keep its contents, call again with the same arguments), or
 * a negative dcf_status_t with err filled in. */
int dcf_tokenize(dcf_tokenizer_t *t, const uint8_t *src, size_t srcsize,
                 dcf_token_t *tokens, uint32_t capacity, dcf_error_t *err);

/* Two VR characters packed as in dcf_token_t.vr; 1 for VRs with the 12-byte
 * explicit header (4-byte length), 0 for the 8-byte header, -1 if unknown. */
int dcf_vr_long_form(uint16_t vr);

#endif /* DCF_TOKENIZER_H */
