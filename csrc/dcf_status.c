/* SPDX-License-Identifier: MIT
 *
 * dcf_status.c - names and messages of dcf_status_t codes.
 *
 * Implements: no part of the standard; the one table of C-side messages
 * (see dcf.h). Returns static strings only.
 */
#include "dcf.h"

const char *dcf_status_name(int code) {
    switch (code) {
    case DCF_OK: return "DCF_OK";
    case DCF_TOKENS_FULL: return "DCF_TOKENS_FULL";
    case DCF_E_TRUNCATED: return "DCF_E_TRUNCATED";
    case DCF_E_LENGTH: return "DCF_E_LENGTH";
    case DCF_E_NESTING: return "DCF_E_NESTING";
    case DCF_E_ITEM: return "DCF_E_ITEM";
    case DCF_E_DELIMITER: return "DCF_E_DELIMITER";
    case DCF_E_ARG: return "DCF_E_ARG";
    case DCF_E_OUTPUT_TOO_SMALL: return "DCF_E_OUTPUT_TOO_SMALL";
    case DCF_E_SHORT_INPUT: return "DCF_E_SHORT_INPUT";
    case DCF_E_CORRUPT: return "DCF_E_CORRUPT";
    case DCF_E_UNSUPPORTED: return "DCF_E_UNSUPPORTED";
    case DCF_PDU_NEED_MORE: return "DCF_PDU_NEED_MORE";
    case DCF_E_PDU_TYPE: return "DCF_E_PDU_TYPE";
    case DCF_E_PDU_TOO_LARGE: return "DCF_E_PDU_TOO_LARGE";
    case DCF_E_PDU_LENGTH: return "DCF_E_PDU_LENGTH";
    case DCF_E_PDU_ITEM: return "DCF_E_PDU_ITEM";
    default: return "DCF_E_UNKNOWN";
    }
}

const char *dcf_status_text(int code) {
    switch (code) {
    case DCF_OK: return "success";
    case DCF_TOKENS_FULL: return "token array full";
    case DCF_E_TRUNCATED: return "data ends inside an element header or value";
    case DCF_E_LENGTH: return "value length runs past the end of its container";
    case DCF_E_NESTING: return "sequences nested too deeply";
    case DCF_E_ITEM: return "expected an item or a sequence delimiter";
    case DCF_E_DELIMITER: return "undefined length value has no sequence delimiter";
    case DCF_E_ARG: return "invalid argument";
    case DCF_E_OUTPUT_TOO_SMALL: return "output buffer too small";
    case DCF_E_SHORT_INPUT: return "encoded data is shorter than the image it describes";
    case DCF_E_CORRUPT: return "encoded data is corrupt";
    case DCF_E_UNSUPPORTED: return "unsupported pixel data parameters";
    case DCF_PDU_NEED_MORE: return "more bytes needed for a whole PDU";
    case DCF_E_PDU_TYPE: return "unknown or unexpected PDU type";
    case DCF_E_PDU_TOO_LARGE: return "PDU longer than the maximum length accepted";
    case DCF_E_PDU_LENGTH: return "PDU length impossible for its type";
    case DCF_E_PDU_ITEM: return "PDU item length or field inconsistent";
    default: return "unknown error";
    }
}
