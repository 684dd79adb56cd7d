# cython: language_level=3
"""Declarations mirroring csrc/*.h, one block per header, in the same order."""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t


cdef extern from "dcf.h" nogil:
    ctypedef struct dcf_error_t:
        int code
        uint32_t tag
        uint64_t offset
    enum:
        DCF_OK
        DCF_TOKENS_FULL
        DCF_E_TRUNCATED
        DCF_E_LENGTH
        DCF_E_NESTING
        DCF_E_ITEM
        DCF_E_DELIMITER
        DCF_E_ARG
        DCF_E_OUTPUT_TOO_SMALL
        DCF_E_SHORT_INPUT
        DCF_E_CORRUPT
        DCF_E_UNSUPPORTED
    uint32_t DCF_NO_TAG
    const char *dcf_status_name(int code)
    const char *dcf_status_text(int code)


cdef extern from "tokenizer.h" nogil:
    enum:
        DCF_MAX_DEPTH
        DCF_TOK_ELEMENT
        DCF_TOK_ITEM
        DCF_TOK_FRAGMENT
        DCF_FR_DATASET
        DCF_FR_SEQUENCE
        DCF_FR_FRAGMENTS
        DCF_TF_UNDEFINED
        DCF_TF_IMPLICIT
        DCF_TF_SEQUENCE
        DCF_TF_FRAGMENTS
        DCF_TF_TRUNCATED
        DCF_TF_SEARCHED
        DCF_TF_BADVR
        DCF_W_TRUNCATED_VALUE
        DCF_W_TRAILING_BYTES
        DCF_W_VR_SWITCH
        DCF_W_UNKNOWN_VR
        DCF_W_TOP_DELIMITER
        DCF_W_SEQ_DELIM_IN_DEFINED
        DCF_STOP_AT_PIXELS
        DCF_STOP_AFTER_META
        DCF_STOP_AFTER_COMMAND

    ctypedef struct dcf_token_t:
        uint64_t offset
        uint64_t value_offset
        uint64_t length
        uint32_t tag
        uint32_t next
        uint16_t vr
        uint8_t kind
        uint8_t flags

    ctypedef struct dcf_tokenizer_t:
        const uint32_t *sq_tags
        size_t n_sq_tags
        const uint32_t *known_tags
        size_t n_known_tags
        uint64_t base
        int little_endian
        int stop
        uint64_t pos
        uint32_t ntok
        int depth
        int done
        unsigned warnings
        uint64_t warn_offset

    void dcf_tokenizer_init(dcf_tokenizer_t *t, int little_endian, int implicit, int top_kind)
    int dcf_tokenize(dcf_tokenizer_t *t, const uint8_t *src, size_t srcsize,
                     dcf_token_t *tokens, uint32_t capacity, dcf_error_t *err)
    int dcf_vr_long_form(uint16_t vr)
