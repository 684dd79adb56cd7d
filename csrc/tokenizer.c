/* SPDX-License-Identifier: MIT
 *
 * tokenizer.c - the element tokenizer: one scan of an encoded data set into a
 * flat table of dcf_token_t records (see tokenizer.h).
 *
 * Implements: PS3.5 section 7.1 (element headers: 7.1.2 explicit VR with the
 * 8- and 12-byte forms of table 7.1-1/7.1-2, 7.1.3 implicit VR), 7.5
 * (sequences and items, defined and undefined lengths, delimitation items),
 * 6.2.2 (UN of undefined length is a sequence in implicit VR) and A.4
 * (encapsulated values: a sequence of fragments closed by a sequence
 * delimiter).
 *
 * Bounds policy: every header is read only after dcf_have() has confirmed its
 * bytes against the enclosing container's end (or srcsize); every value length
 * is compared with what is left before the position moves past it. The
 * tokenizer never allocates; it stops with DCF_TOKENS_FULL before writing past
 * `capacity` and resumes from its saved state.
 *
 * Bounds: each frame has a hard `limit`, the end of the innermost
 * defined-length sequence (pydicom parses such a value from its own bytes) or
 * of the data; an item's own length is a soft end, as in pydicom, where an
 * element may run past it. Nothing is ever read at or beyond `limit`.
 *
 * Tolerances, chosen to read what pydicom reads (each reported via warnings):
 * the VR form (explicit/implicit) is detected at the start of each data set;
 * an explicit header whose VR bytes are not letters is read as implicit; a
 * value or container cut short by its limit is kept short and flagged
 * DCF_TF_TRUNCATED (pydicom keeps the short read too); an item delimiter at
 * top level ends the data set. Structural errors inside the data (a sequence
 * holding something other than items, nesting beyond DCF_MAX_DEPTH) fail.
 */
#include "tokenizer.h"

#include "dcf_bytes.h"

#define VR2(a, b) ((uint16_t)(((a) << 8) | (b)))

#define TAG_ITEM 0xFFFEE000u
#define TAG_ITEM_DELIM 0xFFFEE00Du
#define TAG_SEQ_DELIM 0xFFFEE0DDu

int dcf_vr_long_form(uint16_t vr) {
    switch (vr) {
    /* PS3.5 table 7.1-1: reserved 2 bytes + 32-bit length */
    case VR2('O', 'B'): case VR2('O', 'D'): case VR2('O', 'F'): case VR2('O', 'L'):
    case VR2('O', 'V'): case VR2('O', 'W'): case VR2('S', 'Q'): case VR2('S', 'V'):
    case VR2('U', 'C'): case VR2('U', 'N'): case VR2('U', 'R'): case VR2('U', 'T'):
    case VR2('U', 'V'):
        return 1;
    /* table 7.1-2: 16-bit length */
    case VR2('A', 'E'): case VR2('A', 'S'): case VR2('A', 'T'): case VR2('C', 'S'):
    case VR2('D', 'A'): case VR2('D', 'S'): case VR2('D', 'T'): case VR2('F', 'L'):
    case VR2('F', 'D'): case VR2('I', 'S'): case VR2('L', 'O'): case VR2('L', 'T'):
    case VR2('P', 'N'): case VR2('S', 'H'): case VR2('S', 'L'): case VR2('S', 'S'):
    case VR2('S', 'T'): case VR2('T', 'M'): case VR2('U', 'I'): case VR2('U', 'L'):
    case VR2('U', 'S'):
        return 0;
    default:
        return -1;
    }
}

static int in_sorted(const uint32_t *a, size_t n, uint32_t v) {
    size_t lo = 0, hi = n;
    if (a == NULL) return 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < v) lo = mid + 1;
        else if (a[mid] > v) hi = mid;
        else return 1;
    }
    return 0;
}

void dcf_tokenizer_init(dcf_tokenizer_t *t, int little_endian, int implicit, int top_kind) {
    t->sq_tags = NULL;
    t->n_sq_tags = 0;
    t->known_tags = NULL;
    t->n_known_tags = 0;
    t->base = 0;
    t->little_endian = little_endian ? 1 : 0;
    t->stop = 0;
    t->pos = 0;
    t->ntok = 0;
    t->depth = 0;
    t->done = 0;
    t->warnings = 0;
    t->warn_offset = 0;
    t->stack[0].end = DCF_UNDEF_END;
    t->stack[0].limit = DCF_UNDEF_END; /* set to srcsize on the first call */
    t->stack[0].tok = UINT32_MAX;
    t->stack[0].kind = (uint8_t)(top_kind == DCF_FR_SEQUENCE ? DCF_FR_SEQUENCE : DCF_FR_DATASET);
    t->stack[0].implicit = (uint8_t)(implicit ? 1 : 0);
    t->stack[0].checked = 0;
    t->stack[0].pad = 0;
}

static void warn(dcf_tokenizer_t *t, unsigned w, uint64_t at) {
    if (!t->warnings) t->warn_offset = t->base + at;
    t->warnings |= w;
}

static int fail(dcf_tokenizer_t *t, dcf_error_t *err, int code, uint64_t at, uint32_t tag) {
    err->code = code;
    err->offset = t->base + at;
    err->tag = tag;
    return code;
}

/* Close the innermost container: fix up its token and pop the frame.
 * content_end is where its content stopped (the delimiter, or the bound). */
static void pop(dcf_tokenizer_t *t, dcf_token_t *tokens, uint64_t content_end) {
    dcf_frame_t *f = &t->stack[t->depth];
    if (f->tok != UINT32_MAX) {
        dcf_token_t *c = &tokens[f->tok];
        c->next = t->ntok;
        if (c->flags & DCF_TF_UNDEFINED) c->length = content_end - (c->value_offset - t->base);
    }
    if (t->depth == 0) t->done = 1;
    else t->depth--;
}

/* Close the innermost container because its data ended before it did. */
static void pop_truncated(dcf_tokenizer_t *t, dcf_token_t *tokens, uint64_t at) {
    dcf_frame_t *f = &t->stack[t->depth];
    if (f->tok != UINT32_MAX) tokens[f->tok].flags |= DCF_TF_TRUNCATED;
    warn(t, DCF_W_TRUNCATED_VALUE, at);
    pop(t, tokens, at);
}

static int push(dcf_tokenizer_t *t, dcf_error_t *err, uint8_t kind, uint64_t end, uint64_t limit,
                uint32_t tok, uint8_t implicit, uint64_t at, uint32_t tag) {
    dcf_frame_t *f;
    if (t->depth + 1 >= DCF_MAX_DEPTH) return fail(t, err, DCF_E_NESTING, at, tag);
    t->depth++;
    f = &t->stack[t->depth];
    f->end = end;
    f->limit = limit;
    f->tok = tok;
    f->kind = kind;
    f->implicit = implicit;
    f->checked = 0;
    f->pad = 0;
    return DCF_OK;
}

static void emit(dcf_tokenizer_t *t, dcf_token_t *tokens, uint32_t tag, uint16_t vr, uint8_t kind,
                 uint8_t flags, uint64_t offset, uint64_t value_offset, uint64_t length) {
    dcf_token_t *k = &tokens[t->ntok];
    k->offset = t->base + offset;
    k->value_offset = t->base + value_offset;
    k->length = length;
    k->tag = tag;
    k->vr = vr;
    k->kind = kind;
    k->flags = flags;
    k->reserved = 0;
    t->ntok++;
    k->next = t->ntok; /* a leaf until pop() says otherwise */
}

/* Search for a sequence delimiter (FFFE,E0DD) in [pos, limit), as pydicom
 * does for undefined-length values that are not a clean list of fragments. */
static uint64_t find_seq_delim(const uint8_t *src, uint64_t pos, uint64_t limit, int little) {
    while (dcf_have(pos, limit, 8)) {
        if (dcf_rd_tag(src + pos, little) == TAG_SEQ_DELIM) return pos;
        pos++;
    }
    return DCF_UNDEF_END;
}

static int step_dataset(dcf_tokenizer_t *t, const uint8_t *src, dcf_token_t *tokens,
                        dcf_error_t *err) {
    dcf_frame_t *f = &t->stack[t->depth];
    const int little = t->little_endian;
    const int top = (t->depth == 0);
    const uint64_t pos = t->pos, limit = f->limit;
    uint64_t vlen, voff, hlen, sublimit;
    uint32_t tag, len32;
    uint16_t vr = 0;
    uint8_t flags = 0;
    int is_sq, implicit;

    if (f->end != DCF_UNDEF_END && pos >= f->end) { /* defined-length item done */
        pop(t, tokens, pos);
        return DCF_OK;
    }
    if (!dcf_have(pos, limit, 8)) {
        if (top) { /* end of data: fewer than 8 bytes cannot start an element */
            if (pos < limit) warn(t, DCF_W_TRAILING_BYTES, pos);
            pop(t, tokens, pos);
        } else {
            pop_truncated(t, tokens, pos);
        }
        return DCF_OK;
    }
    tag = dcf_rd_tag(src + pos, little);
    if (tag == TAG_ITEM_DELIM) {
        t->pos = pos + 8;
        if (top) warn(t, DCF_W_TOP_DELIMITER, pos);
        pop(t, tokens, pos);
        return DCF_OK;
    }
    if (top && t->stop) {
        if ((t->stop & DCF_STOP_AT_PIXELS) &&
            (tag == 0x7FE00010u || tag == 0x7FE00008u || tag == 0x7FE00009u)) {
            t->done = 1;
            return DCF_OK;
        }
        if ((t->stop & DCF_STOP_AFTER_META) && (tag >> 16) != 0x0002u) {
            t->done = 1;
            return DCF_OK;
        }
        if ((t->stop & DCF_STOP_AFTER_COMMAND) && (tag >> 16) != 0x0000u) {
            t->done = 1;
            return DCF_OK;
        }
    }
    if (!f->checked) { /* PS3.5 7.1: detect the VR form of this data set */
        uint8_t b0 = src[pos + 4], b1 = src[pos + 5];
        int found = !(b0 > 0x40 && b0 < 0x5B && b1 > 0x40 && b1 < 0x5B);
        f->checked = 1;
        if (!(t->depth > 0 && f->implicit) && found != f->implicit) {
            /* pydicom switches silently when an item in explicit VR is implicit */
            if (!(t->depth > 0 && found)) warn(t, DCF_W_VR_SWITCH, pos);
            f->implicit = (uint8_t)found;
        }
    }

    implicit = f->implicit;
    if (!implicit) {
        uint8_t b0 = src[pos + 4], b1 = src[pos + 5];
        int form;
        vr = VR2(b0, b1);
        form = dcf_vr_long_form(vr);
        if (form == 1) {
            if (!dcf_have(pos, limit, 12)) {
                if (top) {
                    warn(t, DCF_W_TRAILING_BYTES, pos);
                    pop(t, tokens, pos);
                } else {
                    pop_truncated(t, tokens, pos);
                }
                return DCF_OK;
            }
            len32 = dcf_rd_u32(src + pos + 8, little);
            hlen = 12;
        } else if (form == 0) {
            len32 = dcf_rd_u16(src + pos + 6, little);
            hlen = 8;
        } else if (!(b0 > 'A' || (b0 == 'A' && b1 >= 'A')) || !(b0 < 'Z' || (b0 == 'Z' && b1 <= 'Z'))) {
            /* not "AA" <= vr <= "ZZ": an implicit VR header in an explicit data set */
            implicit = 1;
            vr = 0;
            flags |= DCF_TF_BADVR;
            len32 = dcf_rd_u32(src + pos + 4, little);
            hlen = 8;
        } else { /* letters but unknown: explicit with a 16-bit length */
            warn(t, DCF_W_UNKNOWN_VR, pos);
            flags |= DCF_TF_BADVR;
            len32 = dcf_rd_u16(src + pos + 6, little);
            hlen = 8;
        }
    } else {
        len32 = dcf_rd_u32(src + pos + 4, little);
        hlen = 8;
    }
    if (implicit) flags |= DCF_TF_IMPLICIT;
    voff = pos + hlen;

    if (len32 == DCF_UNDEFINED_LENGTH) {
        flags |= DCF_TF_UNDEFINED;
        if (!implicit) {
            /* SQ, and UN of undefined length (PS3.5 6.2.2), hold items */
            is_sq = (vr == VR2('S', 'Q') || vr == VR2('U', 'N'));
        } else if (in_sorted(t->sq_tags, t->n_sq_tags, tag)) {
            is_sq = 1;
        } else if (in_sorted(t->known_tags, t->n_known_tags, tag)) {
            is_sq = 0;
        } else { /* unknown tag: a sequence if an item follows */
            is_sq = dcf_have(voff, limit, 4) && dcf_rd_tag(src + voff, little) == TAG_ITEM;
        }
        flags |= (uint8_t)(is_sq ? DCF_TF_SEQUENCE : DCF_TF_FRAGMENTS);
        emit(t, tokens, tag, vr, DCF_TOK_ELEMENT, flags, pos, voff, 0);
        t->pos = voff;
        return push(t, err, (uint8_t)(is_sq ? DCF_FR_SEQUENCE : DCF_FR_FRAGMENTS), DCF_UNDEF_END,
                    limit, t->ntok - 1, f->implicit, pos, tag);
    }

    vlen = len32;
    if (!dcf_have(voff, limit, vlen)) {
        /* cut short by the end of its data: kept short, as pydicom does */
        warn(t, DCF_W_TRUNCATED_VALUE, pos);
        flags |= DCF_TF_TRUNCATED;
        if (voff > limit) voff = limit;
        vlen = limit - voff;
    }
    is_sq = implicit ? in_sorted(t->sq_tags, t->n_sq_tags, tag) : (vr == VR2('S', 'Q'));
    if (is_sq && !(flags & DCF_TF_BADVR)) {
        emit(t, tokens, tag, vr, DCF_TOK_ELEMENT, (uint8_t)(flags | DCF_TF_SEQUENCE), pos, voff, vlen);
        t->pos = voff;
        sublimit = voff + vlen; /* a defined-length sequence is a hard bound */
        return push(t, err, DCF_FR_SEQUENCE, sublimit, sublimit, t->ntok - 1, f->implicit, pos, tag);
    }
    emit(t, tokens, tag, vr, DCF_TOK_ELEMENT, flags, pos, voff, vlen);
    t->pos = voff + vlen;
    return DCF_OK;
}

static int step_sequence(dcf_tokenizer_t *t, const uint8_t *src, dcf_token_t *tokens,
                         dcf_error_t *err) {
    dcf_frame_t *f = &t->stack[t->depth];
    const int little = t->little_endian;
    const uint64_t pos = t->pos, limit = f->limit;
    uint64_t voff;
    uint32_t tag, len32;
    uint8_t flags = 0;

    if (f->end != DCF_UNDEF_END && pos >= f->end) {
        pop(t, tokens, pos);
        return DCF_OK;
    }
    if (!dcf_have(pos, limit, 8)) { /* the data ends before the sequence does */
        pop_truncated(t, tokens, pos);
        return DCF_OK;
    }
    tag = dcf_rd_tag(src + pos, little);
    len32 = dcf_rd_u32(src + pos + 4, little);
    if (tag == TAG_SEQ_DELIM) {
        /* in a defined-length sequence pydicom also stops here */
        if (f->end != DCF_UNDEF_END) warn(t, DCF_W_SEQ_DELIM_IN_DEFINED, pos);
        t->pos = pos + 8;
        pop(t, tokens, pos);
        return DCF_OK;
    }
    if (tag != TAG_ITEM) return fail(t, err, DCF_E_ITEM, pos, tag);
    voff = pos + 8;
    if (len32 == DCF_UNDEFINED_LENGTH) {
        emit(t, tokens, tag, 0, DCF_TOK_ITEM, DCF_TF_UNDEFINED, pos, voff, 0);
        t->pos = voff;
        return push(t, err, DCF_FR_DATASET, DCF_UNDEF_END, limit, t->ntok - 1, f->implicit, pos, tag);
    }
    if (!dcf_have(voff, limit, len32)) {
        warn(t, DCF_W_TRUNCATED_VALUE, pos);
        flags |= DCF_TF_TRUNCATED;
    }
    emit(t, tokens, tag, 0, DCF_TOK_ITEM, flags, pos, voff, len32);
    t->pos = voff;
    if (len32 == 0) return DCF_OK;
    /* the item's length is a soft end: elements may run past it (pydicom) */
    return push(t, err, DCF_FR_DATASET, voff + len32, limit, t->ntok - 1, f->implicit, pos, tag);
}

static int step_fragments(dcf_tokenizer_t *t, const uint8_t *src, dcf_token_t *tokens) {
    dcf_frame_t *f = &t->stack[t->depth];
    const int little = t->little_endian;
    const uint64_t pos = t->pos, limit = f->limit;
    uint64_t voff, found;
    uint32_t tag, len32;
    dcf_token_t *owner = &tokens[f->tok];

    if (dcf_have(pos, limit, 8)) {
        tag = dcf_rd_tag(src + pos, little);
        len32 = dcf_rd_u32(src + pos + 4, little);
        if (tag == TAG_SEQ_DELIM) {
            t->pos = pos + 8;
            pop(t, tokens, pos);
            return DCF_OK;
        }
        voff = pos + 8;
        if (tag == TAG_ITEM && len32 != DCF_UNDEFINED_LENGTH && dcf_have(voff, limit, len32)) {
            emit(t, tokens, tag, 0, DCF_TOK_FRAGMENT, 0, pos, voff, len32);
            t->pos = voff + len32;
            return DCF_OK;
        }
    }
    /* Not a clean fragment list: drop the fragments and search for the
     * delimiter, as pydicom's read_undefined_length_value does. */
    t->ntok = f->tok + 1;
    owner->flags = (uint8_t)((owner->flags & ~DCF_TF_FRAGMENTS) | DCF_TF_SEARCHED);
    voff = owner->value_offset - t->base;
    found = find_seq_delim(src, voff, limit, little);
    if (found == DCF_UNDEF_END) { /* no delimiter before the end: keep what is there */
        t->pos = limit;
        pop_truncated(t, tokens, limit);
        return DCF_OK;
    }
    t->pos = found + 8;
    pop(t, tokens, found);
    return DCF_OK;
}

int dcf_tokenize(dcf_tokenizer_t *t, const uint8_t *src, size_t srcsize,
                 dcf_token_t *tokens, uint32_t capacity, dcf_error_t *err) {
    int rc;
    err->code = DCF_OK;
    err->offset = 0;
    err->tag = DCF_NO_TAG;
    if (t == NULL || (src == NULL && srcsize) || (tokens == NULL && capacity))
        return DCF_E_ARG;
    if (t->depth == 0 && t->stack[0].limit == DCF_UNDEF_END) {
        t->stack[0].limit = srcsize;
        /* a sequence body given on its own ends with the buffer */
        if (t->stack[0].kind == DCF_FR_SEQUENCE) t->stack[0].end = srcsize;
    }
    while (!t->done) {
        uint8_t kind = t->stack[t->depth].kind;
        /* one step emits at most one token: make room before taking it */
        if (t->ntok >= capacity) return DCF_TOKENS_FULL;
        if (kind == DCF_FR_DATASET) rc = step_dataset(t, src, tokens, err);
        else if (kind == DCF_FR_SEQUENCE) rc = step_sequence(t, src, tokens, err);
        else rc = step_fragments(t, src, tokens);
        if (rc < 0) return rc;
    }
    return DCF_OK;
}
