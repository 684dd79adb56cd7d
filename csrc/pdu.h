/* SPDX-License-Identifier: MIT
 *
 * pdu.h - sans-IO codec of the DICOM Upper Layer protocol data units.
 *
 * Implements: PS3.8 section 9.3 (DICOM Upper Layer protocol for TCP/IP data
 * units): 9.3.1 the PDU header (type, reserved, 32-bit big-endian length),
 * 9.3.2 A-ASSOCIATE-RQ and its items (9.3.2.1 application context, 9.3.2.2
 * presentation context, 9.3.2.2.1 abstract syntax, 9.3.2.2.2 transfer
 * syntax, 9.3.2.3 user information), 9.3.3 A-ASSOCIATE-AC (9.3.3.2
 * presentation context with result/reason), 9.3.4 A-ASSOCIATE-RJ, 9.3.5
 * P-DATA-TF and its presentation data value items (9.3.5.1, with the message
 * control header of Annex E.2), 9.3.6/9.3.7 A-RELEASE-RQ/RP, 9.3.8 A-ABORT;
 * PS3.7 Annex D user information sub-items: D.1 maximum length (0x51), D.3.3.2
 * implementation class UID (0x52), D.3.3.3 asynchronous operations window
 * (0x53), D.3.3.4 SCP/SCU role selection (0x54), D.3.3.2 implementation
 * version name (0x55), D.3.3.5 SOP class extended negotiation (0x56),
 * D.3.3.6 SOP class common extended negotiation (0x57), D.3.3.7 user
 * identity negotiation RQ (0x58) and AC (0x59).
 *
 * The codec never reads a socket. dcf_pdu_frame() looks at the bytes received
 * so far and answers "need more", "one PDU of n bytes" or "invalid, why, at
 * which offset"; the PDU length is checked against the caller's maximum from
 * the 6-byte header alone, before any body is read. dcf_pdu_items() then
 * walks the variable items of an A-ASSOCIATE-RQ/AC (every length checked,
 * unknown items and sub-items skipped by their length and reported as such)
 * into a flat array of item records that the caller interprets;
 * dcf_pdata_pdvs() does the same for the PDVs of a P-DATA-TF. On the sending
 * side dcf_pdata_encode() cuts a command or data set byte stream into
 * P-DATA-TF PDUs of one PDV each, no larger than the peer's maximum length,
 * with the message control header's command and last-fragment bits set.
 */
#ifndef DCF_PDU_H
#define DCF_PDU_H

#include "dcf.h"

#define DCF_PDU_HEADER_SIZE 6u
#define DCF_PDU_ASSOC_FIXED 68u   /* protocol version .. reserved, after the header */
/* largest A-ASSOCIATE-RQ/AC accepted (max_pdu bounds P-DATA-TF only; this
 * bounds the rest: 128 contexts of 30 transfer syntaxes fit many times) */
#define DCF_PDU_ASSOC_LIMIT 1048576u

/* PDU types (PS3.8 9.3.1) */
#define DCF_PDU_ASSOCIATE_RQ 0x01u
#define DCF_PDU_ASSOCIATE_AC 0x02u
#define DCF_PDU_ASSOCIATE_RJ 0x03u
#define DCF_PDU_P_DATA_TF 0x04u
#define DCF_PDU_RELEASE_RQ 0x05u
#define DCF_PDU_RELEASE_RP 0x06u
#define DCF_PDU_ABORT 0x07u

/* item types */
#define DCF_ITEM_APPLICATION_CONTEXT 0x10u
#define DCF_ITEM_PRESENTATION_CONTEXT_RQ 0x20u
#define DCF_ITEM_PRESENTATION_CONTEXT_AC 0x21u
#define DCF_ITEM_ABSTRACT_SYNTAX 0x30u
#define DCF_ITEM_TRANSFER_SYNTAX 0x40u
#define DCF_ITEM_USER_INFORMATION 0x50u
#define DCF_ITEM_MAXIMUM_LENGTH 0x51u
#define DCF_ITEM_IMPLEMENTATION_CLASS_UID 0x52u
#define DCF_ITEM_ASYNC_OPS_WINDOW 0x53u
#define DCF_ITEM_ROLE_SELECTION 0x54u
#define DCF_ITEM_IMPLEMENTATION_VERSION_NAME 0x55u
#define DCF_ITEM_SOP_EXTENDED 0x56u
#define DCF_ITEM_SOP_COMMON_EXTENDED 0x57u
#define DCF_ITEM_USER_IDENTITY_RQ 0x58u
#define DCF_ITEM_USER_IDENTITY_AC 0x59u

/* message control header bits (PS3.8 Annex E.2) */
#define DCF_PDV_COMMAND 0x01u
#define DCF_PDV_LAST 0x02u

/* dcf_pdu_item_t.flags */
#define DCF_ITEM_F_UNKNOWN 0x01u   /* not a type this context defines: skipped by its length */
#define DCF_ITEM_F_SUB 0x02u       /* a sub-item (of the record at .parent) */

/* One item or sub-item of an association PDU. value/length: the item's value
 * (after its 4-byte header) as a byte offset into the PDU and a length. */
typedef struct {
    uint8_t type;
    uint8_t flags;
    uint16_t parent;   /* index of the enclosing item's record; 0xFFFF at top level */
    uint32_t value;
    uint32_t length;
} dcf_pdu_item_t;

/* One presentation data value of a P-DATA-TF: its data as an offset into the
 * PDU and a length (the 2 header bytes excluded). */
typedef struct {
    uint8_t context_id;
    uint8_t control;
    uint32_t value;
    uint32_t length;
} dcf_pdv_t;

/* Frame the bytes received so far (buf[0:len], starting at a PDU boundary).
 * max_pdu: the largest P-DATA-TF length field accepted (0: no limit beyond
 * 2^32-1); association PDUs are bounded by DCF_PDU_ASSOC_LIMIT.
 * Returns DCF_PDU_NEED_MORE with *need set to the total bytes needed (6 for
 * the header, then 6 + length once the header has arrived and passed its
 * checks), DCF_OK with *pdu_len = 6 + length when a whole PDU is there, or
 * an error: DCF_E_PDU_TYPE (offset 0: not one of the seven types),
 * DCF_E_PDU_TOO_LARGE (offset 2: length above max_pdu), DCF_E_PDU_LENGTH
 * (offset 2: a length impossible for the type, e.g. an A-RELEASE-RQ not 4,
 * an A-ASSOCIATE-RQ shorter than its fixed fields). */
int dcf_pdu_frame(const uint8_t *buf, size_t len, uint32_t max_pdu, size_t *need,
                  size_t *pdu_len, dcf_error_t *err);

/* Walk the variable items of a whole A-ASSOCIATE-RQ or -AC PDU (pdu[0:len],
 * header included) into items[0:cap]; *count receives the number of
 * records. Checks every item and sub-item length against its container,
 * the fixed fields of presentation context items (4 bytes before the
 * sub-items), the lengths of fixed-size sub-items (maximum length 4,
 * asynchronous operations window 4) and the internal lengths of role
 * selection, extended negotiation, common extended negotiation and user
 * identity sub-items. Unknown items are recorded with DCF_ITEM_F_UNKNOWN.
 * Errors: DCF_E_PDU_ITEM (offset: the item header whose length is wrong),
 * DCF_E_PDU_TYPE (not an RQ/AC), DCF_E_PDU_LENGTH (len disagrees with the
 * header), DCF_TOKENS_FULL (cap too small; len / 4 + 1 always suffices). */
int dcf_pdu_items(const uint8_t *pdu, size_t len, dcf_pdu_item_t *items, size_t cap,
                  size_t *count, dcf_error_t *err);

/* Split a whole P-DATA-TF PDU into its PDVs (pdvs[0:cap], *count). Each PDV
 * item length must be at least 2 (context id and control header) and fit the
 * PDU; the PDVs must fill the PDU exactly; there must be at least one;
 * control bits above 0x03 are an error (DCF_E_PDU_ITEM at the PDV's offset).
 * DCF_TOKENS_FULL when cap is too small (len / 6 + 1 always suffices). */
int dcf_pdata_pdvs(const uint8_t *pdu, size_t len, dcf_pdv_t *pdvs, size_t cap, size_t *count,
                   dcf_error_t *err);

/* Bytes dcf_pdata_encode() writes for srclen bytes of a stream with the
 * peer's max_pdu (0: no limit, one PDU per call); 0 if max_pdu is below 8 or
 * the size overflows. srclen 0 gives one empty PDV. */
size_t dcf_pdata_bound(size_t srclen, uint32_t max_pdu);

/* Fragment src[0:srclen] (a command set if `command`, else data set bytes)
 * into P-DATA-TF PDUs of one PDV each, on presentation context context_id,
 * each PDU's length field at most max_pdu. The last PDV carries the
 * last-fragment bit when `last` is set (a data set streamed in chunks passes
 * last=0 until its final chunk). *outlen = bytes written. Errors: DCF_E_ARG
 * (max_pdu 1..7, context id even or 0), DCF_E_OUTPUT_TOO_SMALL. */
int dcf_pdata_encode(uint8_t context_id, int command, int last, const uint8_t *src,
                     size_t srclen, uint32_t max_pdu, uint8_t *dst, size_t dstcap,
                     size_t *outlen, dcf_error_t *err);

/* The 12-byte headers (PDU header, PDV item length, context id, message
 * control header) of the PDUs dcf_pdata_encode() would write for srclen
 * bytes, one after the other in dst (12 x *count bytes), so that a caller
 * can send them interleaved with slices of the data in place (scatter-gather)
 * instead of copying it: PDU i carries bytes [i*per, min((i+1)*per, srclen))
 * with per = max_pdu - 6 (srclen when max_pdu is 0). Errors as
 * dcf_pdata_encode(). */
int dcf_pdata_headers(uint8_t context_id, int command, int last, size_t srclen, uint32_t max_pdu,
                      uint8_t *dst, size_t dstcap, size_t *count, dcf_error_t *err);

#endif /* DCF_PDU_H */
