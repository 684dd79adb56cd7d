/* SPDX-License-Identifier: MIT
 *
 * ljpeg.h - JPEG lossless (Huffman) decoder for single-component images.
 *
 * Implements: ITU-T T.81 (ISO/IEC 10918-1) Annex H, the lossless process
 * (SOF3, "process 14"), with Annex C/F.2.2 Huffman decoding, as used by the
 * DICOM transfer syntaxes JPEG Lossless, Non-Hierarchical (Process 14)
 * 1.2.840.10008.1.2.4.57 and its First-Order Prediction (Selection Value 1)
 * variant 1.2.840.10008.1.2.4.70 (PS3.5 section 8.2.1, A.4.1): all seven
 * predictors, point transform, precision 2..16, restart intervals that
 * hold whole lines.
 *
 * Not handled (DCF_E_UNSUPPORTED, so the caller can use another decoder):
 * more than one component, a DNL marker (zero lines in SOF3), restart
 * intervals that end inside a line, any other SOF (lossy, arithmetic,
 * hierarchical).
 *
 * No allocation, no globals; every segment length is checked against the
 * buffer; entropy-coded data that ends early is an error, not zeros.
 */
#ifndef DCF_LJPEG_H
#define DCF_LJPEG_H

#include "dcf.h"

typedef struct {
    uint32_t precision;   /* P, 2..16 */
    uint32_t rows;        /* Y */
    uint32_t cols;        /* X */
    uint32_t components;  /* Nf */
    uint32_t predictor;   /* Ss of the first scan, 1..7 (0 if no scan seen) */
    uint32_t point_transform; /* Al of the first scan */
    uint32_t restart;     /* Ri from DRI, 0 if none */
} dcf_ljpeg_header_t;

/* Parse the markers up to the first SOS (no entropy decoding).
 * DCF_OK, DCF_E_UNSUPPORTED (header still filled as far as read), or
 * DCF_E_CORRUPT / DCF_E_SHORT_INPUT with err->offset. */
int dcf_ljpeg_header(const uint8_t *src, size_t srclen, dcf_ljpeg_header_t *hdr,
                     dcf_error_t *err);

/* Decode the image into dst: rows * cols unsigned 16-bit samples in row
 * order (the reconstructed value shifted left by the point transform).
 * dstlen counts samples. */
int dcf_ljpeg_decode(const uint8_t *src, size_t srclen, uint16_t *dst, size_t dstlen,
                     dcf_ljpeg_header_t *hdr, dcf_error_t *err);

#endif
