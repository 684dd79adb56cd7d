/* SPDX-License-Identifier: MIT
 *
 * pdu.c - sans-IO codec of the DICOM Upper Layer PDUs (see pdu.h).
 *
 * Implements: PS3.8 section 9.3 (PDU structure: 9.3.1 header, 9.3.2
 * A-ASSOCIATE-RQ, 9.3.3 A-ASSOCIATE-AC, 9.3.4 A-ASSOCIATE-RJ, 9.3.5
 * P-DATA-TF, 9.3.6 A-RELEASE-RQ, 9.3.7 A-RELEASE-RP, 9.3.8 A-ABORT), PS3.8
 * Annex E (PDV message control header), PS3.7 Annex D.3.3 (user information
 * sub-items 0x51..0x59).
 *
 * Rules:
 *  - every length is checked against its container before anything is read
 *    through it; lengths are widened to 64 bits before adding;
 *  - the PDU length is judged from the 6-byte header alone (type known,
 *    length possible for the type, P-DATA-TF within max_pdu, association
 *    PDUs within DCF_PDU_ASSOC_LIMIT), so a caller never buffers a body it
 *    would refuse;
 *  - unknown items and sub-items are skipped by their length (PS3.8 9.3.1:
 *    "items of unrecognised type shall be ignored") and flagged;
 *  - nothing here decides what a well-formed association means (one
 *    application context, at least one presentation context, a maximum
 *    length sub-item): that is the caller's negotiation, which can answer
 *    with an A-ASSOCIATE-RJ or A-ABORT of the right reason.
 */
#include "pdu.h"
#include "dcf_bytes.h"

#include <string.h>

static int pdu_fail(dcf_error_t *err, int code, uint64_t offset) {
    if (err != NULL) {
        err->code = code;
        err->offset = offset;
        err->tag = DCF_NO_TAG;
    }
    return code;
}

static int pdu_ok(dcf_error_t *err) {
    if (err != NULL) {
        err->code = DCF_OK;
        err->offset = 0;
        err->tag = DCF_NO_TAG;
    }
    return DCF_OK;
}

static void pdu_wr_u32be(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int dcf_pdu_frame(const uint8_t *buf, size_t len, uint32_t max_pdu, size_t *need,
                  size_t *pdu_len, dcf_error_t *err) {
    uint8_t type;
    uint32_t length;
    uint64_t total;
    if (need == NULL || pdu_len == NULL || (buf == NULL && len > 0)) {
        return pdu_fail(err, DCF_E_ARG, 0);
    }
    *pdu_len = 0;
    if (len < 1) {
        *need = DCF_PDU_HEADER_SIZE;
        pdu_ok(err);
        return DCF_PDU_NEED_MORE;
    }
    type = buf[0];
    if (type < DCF_PDU_ASSOCIATE_RQ || type > DCF_PDU_ABORT) {
        return pdu_fail(err, DCF_E_PDU_TYPE, 0);
    }
    if (len < DCF_PDU_HEADER_SIZE) {
        *need = DCF_PDU_HEADER_SIZE;
        pdu_ok(err);
        return DCF_PDU_NEED_MORE;
    }
    length = dcf_rd_u32be(buf + 2);
    switch (type) {
    case DCF_PDU_ASSOCIATE_RQ:
    case DCF_PDU_ASSOCIATE_AC:
        if (length < DCF_PDU_ASSOC_FIXED) return pdu_fail(err, DCF_E_PDU_LENGTH, 2);
        if (length > DCF_PDU_ASSOC_LIMIT) return pdu_fail(err, DCF_E_PDU_TOO_LARGE, 2);
        break;
    case DCF_PDU_P_DATA_TF:
        /* at least one PDV: 4-byte item length, context id, control header */
        if (length < 6) return pdu_fail(err, DCF_E_PDU_LENGTH, 2);
        if (max_pdu != 0 && length > max_pdu) return pdu_fail(err, DCF_E_PDU_TOO_LARGE, 2);
        break;
    default: /* RJ, release RQ/RP, abort: 4 bytes of fields */
        if (length != 4) return pdu_fail(err, DCF_E_PDU_LENGTH, 2);
        break;
    }
    total = (uint64_t)DCF_PDU_HEADER_SIZE + length;
    if (total > (uint64_t)SIZE_MAX) return pdu_fail(err, DCF_E_PDU_TOO_LARGE, 2);
    if ((uint64_t)len < total) {
        *need = (size_t)total;
        pdu_ok(err);
        return DCF_PDU_NEED_MORE;
    }
    *need = (size_t)total;
    *pdu_len = (size_t)total;
    return pdu_ok(err);
}

/* Emit one record; DCF_TOKENS_FULL when out of room. */
static int pdu_emit(dcf_pdu_item_t *items, size_t cap, size_t *n, uint8_t type, uint8_t flags,
                    uint16_t parent, size_t value, size_t length) {
    if (*n >= cap) return DCF_TOKENS_FULL;
    items[*n].type = type;
    items[*n].flags = flags;
    items[*n].parent = parent;
    items[*n].value = (uint32_t)value;
    items[*n].length = (uint32_t)length;
    (*n)++;
    return DCF_OK;
}

/* A 2-byte big-endian length then that many bytes, inside [pos, end). */
static int pdu_lv16(const uint8_t *p, size_t *pos, size_t end) {
    size_t l;
    if (end - *pos < 2) return 0;
    l = dcf_rd_u16be(p + *pos);
    *pos += 2;
    if (end - *pos < l) return 0;
    *pos += l;
    return 1;
}

/* Internal structure of a user information sub-item's value p[v:v+l]. */
static int pdu_check_user_sub(const uint8_t *p, uint8_t type, size_t v, size_t l) {
    size_t pos = v, end = v + l;
    switch (type) {
    case DCF_ITEM_MAXIMUM_LENGTH:
    case DCF_ITEM_ASYNC_OPS_WINDOW:
        return l == 4;
    case DCF_ITEM_ROLE_SELECTION: /* uid-length, uid, scu-role, scp-role */
        if (!pdu_lv16(p, &pos, end)) return 0;
        return end - pos == 2;
    case DCF_ITEM_SOP_EXTENDED: /* uid-length, uid, service class application information */
        return pdu_lv16(p, &pos, end);
    case DCF_ITEM_SOP_COMMON_EXTENDED:
        /* sop class uid, service class uid, related general sop class ids */
        if (!pdu_lv16(p, &pos, end)) return 0;
        if (!pdu_lv16(p, &pos, end)) return 0;
        if (pos == end) return 1; /* the related list may be absent entirely */
        {
            size_t rel_end, rl;
            if (end - pos < 2) return 0;
            rl = dcf_rd_u16be(p + pos);
            pos += 2;
            if (end - pos < rl) return 0;
            rel_end = pos + rl;
            while (pos < rel_end) {
                if (!pdu_lv16(p, &pos, rel_end)) return 0;
            }
            return pos == end; /* nothing follows the list */
        }
    case DCF_ITEM_USER_IDENTITY_RQ: /* type, positive-response-requested, primary, secondary */
        if (l < 2) return 0;
        pos += 2;
        if (!pdu_lv16(p, &pos, end)) return 0;
        if (!pdu_lv16(p, &pos, end)) return 0;
        return pos == end;
    case DCF_ITEM_USER_IDENTITY_AC: /* server response */
        if (!pdu_lv16(p, &pos, end)) return 0;
        return pos == end;
    default:
        return 1;
    }
}

int dcf_pdu_items(const uint8_t *pdu, size_t len, dcf_pdu_item_t *items, size_t cap,
                  size_t *count, dcf_error_t *err) {
    size_t pos, end, n = 0;
    uint8_t pdu_type;
    int rc;
    if (pdu == NULL || count == NULL || (items == NULL && cap > 0)) {
        return pdu_fail(err, DCF_E_ARG, 0);
    }
    *count = 0;
    if (len < DCF_PDU_HEADER_SIZE + DCF_PDU_ASSOC_FIXED) return pdu_fail(err, DCF_E_PDU_LENGTH, 0);
    pdu_type = pdu[0];
    if (pdu_type != DCF_PDU_ASSOCIATE_RQ && pdu_type != DCF_PDU_ASSOCIATE_AC) {
        return pdu_fail(err, DCF_E_PDU_TYPE, 0);
    }
    if ((uint64_t)dcf_rd_u32be(pdu + 2) + DCF_PDU_HEADER_SIZE != (uint64_t)len) {
        return pdu_fail(err, DCF_E_PDU_LENGTH, 2);
    }
    if (len > 0xFFFFFFFFu) return pdu_fail(err, DCF_E_PDU_TOO_LARGE, 2);
    pos = DCF_PDU_HEADER_SIZE + DCF_PDU_ASSOC_FIXED;
    end = len;
    while (pos < end) {
        uint8_t type;
        size_t l, v, vend;
        uint16_t me;
        int known, sub_start;
        if (end - pos < 4) return pdu_fail(err, DCF_E_PDU_ITEM, pos);
        type = pdu[pos];
        l = dcf_rd_u16be(pdu + pos + 2);
        v = pos + 4;
        if (end - v < l) return pdu_fail(err, DCF_E_PDU_ITEM, pos);
        vend = v + l;
        known = type == DCF_ITEM_APPLICATION_CONTEXT || type == DCF_ITEM_USER_INFORMATION ||
                (pdu_type == DCF_PDU_ASSOCIATE_RQ && type == DCF_ITEM_PRESENTATION_CONTEXT_RQ) ||
                (pdu_type == DCF_PDU_ASSOCIATE_AC && type == DCF_ITEM_PRESENTATION_CONTEXT_AC);
        if (n > 0xFFFEu) return pdu_fail(err, DCF_TOKENS_FULL, pos);
        me = (uint16_t)n;
        rc = pdu_emit(items, cap, &n, type, (uint8_t)(known ? 0u : DCF_ITEM_F_UNKNOWN), 0xFFFFu, v, l);
        if (rc != DCF_OK) return pdu_fail(err, rc, pos);
        sub_start = -1;
        if (type == DCF_ITEM_PRESENTATION_CONTEXT_RQ || type == DCF_ITEM_PRESENTATION_CONTEXT_AC) {
            if (known) {
                /* context id, reserved, reserved or result/reason, reserved */
                if (l < 4) return pdu_fail(err, DCF_E_PDU_ITEM, pos);
                sub_start = 4;
            }
        } else if (type == DCF_ITEM_USER_INFORMATION) {
            sub_start = 0;
        }
        if (sub_start >= 0) {
            size_t sp = v + (size_t)sub_start;
            while (sp < vend) {
                uint8_t st;
                size_t sl, sv;
                int sknown;
                if (vend - sp < 4) return pdu_fail(err, DCF_E_PDU_ITEM, sp);
                st = pdu[sp];
                sl = dcf_rd_u16be(pdu + sp + 2);
                sv = sp + 4;
                if (vend - sv < sl) return pdu_fail(err, DCF_E_PDU_ITEM, sp);
                if (type == DCF_ITEM_USER_INFORMATION) {
                    sknown = st >= DCF_ITEM_MAXIMUM_LENGTH && st <= DCF_ITEM_USER_IDENTITY_AC;
                    if (sknown && !pdu_check_user_sub(pdu, st, sv, sl)) {
                        return pdu_fail(err, DCF_E_PDU_ITEM, sp);
                    }
                } else if (type == DCF_ITEM_PRESENTATION_CONTEXT_RQ) {
                    sknown = st == DCF_ITEM_ABSTRACT_SYNTAX || st == DCF_ITEM_TRANSFER_SYNTAX;
                } else {
                    sknown = st == DCF_ITEM_TRANSFER_SYNTAX;
                }
                rc = pdu_emit(items, cap, &n, st,
                              (uint8_t)(DCF_ITEM_F_SUB | (sknown ? 0 : DCF_ITEM_F_UNKNOWN)), me,
                              sv, sl);
                if (rc != DCF_OK) return pdu_fail(err, rc, sp);
                sp = sv + sl;
            }
        }
        pos = vend;
    }
    *count = n;
    return pdu_ok(err);
}

int dcf_pdata_pdvs(const uint8_t *pdu, size_t len, dcf_pdv_t *pdvs, size_t cap, size_t *count,
                   dcf_error_t *err) {
    size_t pos, n = 0;
    if (pdu == NULL || count == NULL || (pdvs == NULL && cap > 0)) {
        return pdu_fail(err, DCF_E_ARG, 0);
    }
    *count = 0;
    if (len < DCF_PDU_HEADER_SIZE + 6) return pdu_fail(err, DCF_E_PDU_LENGTH, 0);
    if (pdu[0] != DCF_PDU_P_DATA_TF) return pdu_fail(err, DCF_E_PDU_TYPE, 0);
    if ((uint64_t)dcf_rd_u32be(pdu + 2) + DCF_PDU_HEADER_SIZE != (uint64_t)len) {
        return pdu_fail(err, DCF_E_PDU_LENGTH, 2);
    }
    pos = DCF_PDU_HEADER_SIZE;
    while (pos < len) {
        uint32_t il;
        if (len - pos < 6) return pdu_fail(err, DCF_E_PDU_ITEM, pos);
        il = dcf_rd_u32be(pdu + pos);
        if (il < 2 || (uint64_t)il > (uint64_t)(len - pos - 4)) {
            return pdu_fail(err, DCF_E_PDU_ITEM, pos);
        }
        if (pdu[pos + 5] & 0xFCu) return pdu_fail(err, DCF_E_PDU_ITEM, pos + 5);
        if (n >= cap) return pdu_fail(err, DCF_TOKENS_FULL, pos);
        pdvs[n].context_id = pdu[pos + 4];
        pdvs[n].control = pdu[pos + 5];
        pdvs[n].value = (uint32_t)(pos + 6);
        pdvs[n].length = il - 2u;
        n++;
        pos += 4 + (size_t)il;
    }
    *count = n;
    return pdu_ok(err);
}

size_t dcf_pdata_bound(size_t srclen, uint32_t max_pdu) {
    size_t per, npdu;
    if (max_pdu != 0 && max_pdu < 8) return 0;
    if (max_pdu == 0) {
        if (srclen > (size_t)0xFFFFFFFFu - 6u) return 0; /* one PDU must fit a uint32 length */
        return srclen + 12u;
    }
    per = (size_t)max_pdu - 6u; /* PDV item length field + context id + control */
    npdu = srclen == 0 ? 1 : (srclen - 1) / per + 1;
    if (npdu > (SIZE_MAX - srclen) / 12u) return 0;
    return srclen + npdu * 12u;
}

int dcf_pdata_encode(uint8_t context_id, int command, int last, const uint8_t *src,
                     size_t srclen, uint32_t max_pdu, uint8_t *dst, size_t dstcap,
                     size_t *outlen, dcf_error_t *err) {
    size_t per, pos = 0, out = 0, bound;
    uint8_t control_base;
    if (outlen == NULL || (src == NULL && srclen > 0) || (dst == NULL && dstcap > 0)) {
        return pdu_fail(err, DCF_E_ARG, 0);
    }
    *outlen = 0;
    if ((max_pdu != 0 && max_pdu < 8) || context_id == 0 || (context_id & 1u) == 0) {
        return pdu_fail(err, DCF_E_ARG, 0);
    }
    bound = dcf_pdata_bound(srclen, max_pdu);
    if (bound == 0) return pdu_fail(err, DCF_E_ARG, 0);
    if (dstcap < bound) return pdu_fail(err, DCF_E_OUTPUT_TOO_SMALL, 0);
    per = max_pdu == 0 ? srclen : (size_t)max_pdu - 6u;
    control_base = command ? (uint8_t)DCF_PDV_COMMAND : (uint8_t)0;
    do {
        size_t chunk = srclen - pos < per ? srclen - pos : per;
        int final = pos + chunk == srclen;
        uint8_t *p = dst + out;
        p[0] = DCF_PDU_P_DATA_TF;
        p[1] = 0;
        pdu_wr_u32be(p + 2, (uint32_t)(chunk + 6u));
        pdu_wr_u32be(p + 6, (uint32_t)(chunk + 2u));
        p[10] = context_id;
        p[11] = (uint8_t)(control_base | ((final && last) ? DCF_PDV_LAST : 0u));
        if (chunk > 0) memcpy(p + 12, src + pos, chunk);
        out += 12u + chunk;
        pos += chunk;
    } while (pos < srclen);
    *outlen = out;
    return pdu_ok(err);
}

int dcf_pdata_headers(uint8_t context_id, int command, int last, size_t srclen, uint32_t max_pdu,
                      uint8_t *dst, size_t dstcap, size_t *count, dcf_error_t *err) {
    size_t per, pos = 0, n = 0, bound;
    uint8_t control_base;
    if (count == NULL || (dst == NULL && dstcap > 0)) return pdu_fail(err, DCF_E_ARG, 0);
    *count = 0;
    if ((max_pdu != 0 && max_pdu < 8) || context_id == 0 || (context_id & 1u) == 0) {
        return pdu_fail(err, DCF_E_ARG, 0);
    }
    bound = dcf_pdata_bound(srclen, max_pdu);
    if (bound == 0) return pdu_fail(err, DCF_E_ARG, 0);
    if (dstcap / 12u < (bound - srclen) / 12u) return pdu_fail(err, DCF_E_OUTPUT_TOO_SMALL, 0);
    per = max_pdu == 0 ? srclen : (size_t)max_pdu - 6u;
    control_base = command ? (uint8_t)DCF_PDV_COMMAND : (uint8_t)0;
    do {
        size_t chunk = srclen - pos < per ? srclen - pos : per;
        int final = pos + chunk == srclen;
        uint8_t *p = dst + 12u * n;
        p[0] = DCF_PDU_P_DATA_TF;
        p[1] = 0;
        pdu_wr_u32be(p + 2, (uint32_t)(chunk + 6u));
        pdu_wr_u32be(p + 6, (uint32_t)(chunk + 2u));
        p[10] = context_id;
        p[11] = (uint8_t)(control_base | ((final && last) ? DCF_PDV_LAST : 0u));
        pos += chunk;
        n++;
    } while (pos < srclen);
    *count = n;
    return pdu_ok(err);
}
