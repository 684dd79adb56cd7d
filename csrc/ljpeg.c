/* SPDX-License-Identifier: MIT
 *
 * ljpeg.c - JPEG lossless (Huffman) decoder.
 *
 * Implements: ITU-T T.81 Annex H (the lossless process 14), Annex C
 * (Huffman table specification), F.2.2 (decoding categories and their
 * extra bits), Annex B (marker syntax); DICOM PS3.5 8.2.1 / A.4.1.
 * See ljpeg.h for what is and is not handled.
 */
#include "ljpeg.h"

#include <string.h>

#define LOOKAHEAD 10
#define FUSED 12

typedef struct {
    /* fused table on the next FUSED bits: (difference mod 2^16) << 16 | bits
     * used, for a code and its extra bits that fit in FUSED bits; 0 = slow */
    uint32_t fused[1 << FUSED];
    /* fast table: (length << 8) | value for codes of <= LOOKAHEAD bits; 0 = slow path */
    uint16_t fast[1 << LOOKAHEAD];
    int32_t maxcode[18];   /* largest code of each length, -1 if none */
    int32_t valoffset[17]; /* huffval index of a length's first code minus that code */
    uint8_t huffval[256];
    int defined;
    int bad; /* defined but unusable for lossless (a category above 16) */
} htable_t;

typedef struct {
    const uint8_t *p, *end;
    uint64_t buf;   /* valid bits are the low `bits` bits, next bit first */
    int bits;
    int stopped;    /* a marker (or the end) was reached: zeros are being fed */
    int pad;        /* zero bytes fed after the data ended */
} bitreader_t;

static uint32_t be16(const uint8_t *p) { return ((uint32_t)p[0] << 8) | p[1]; }

static void fill(bitreader_t *br) {
    /* four bytes at once while none of them is 0xFF (no stuffing, no marker) */
    while (br->bits <= 32 && !br->stopped && br->end - br->p >= 4) {
        uint32_t w = ((uint32_t)br->p[0] << 24) | ((uint32_t)br->p[1] << 16) |
                     ((uint32_t)br->p[2] << 8) | br->p[3];
        uint32_t inv = ~w;
        if ((inv - 0x01010101u) & ~inv & 0x80808080u) break; /* some byte is 0xFF */
        br->buf = (br->buf << 32) | w;
        br->bits += 32;
        br->p += 4;
    }
    while (br->bits <= 56) {
        uint32_t c = 0;
        if (!br->stopped) {
            if (br->p < br->end) {
                c = *br->p;
                if (c == 0xFF) {
                    if (br->p + 1 < br->end && br->p[1] == 0x00) {
                        br->p += 2; /* stuffed zero byte: the data byte 0xFF */
                    } else {
                        br->stopped = 1; /* a marker: leave p on it */
                        c = 0;
                        br->pad++;
                    }
                } else {
                    br->p++;
                }
            } else {
                br->stopped = 1;
                br->pad++;
            }
        } else {
            br->pad++;
        }
        br->buf = (br->buf << 8) | c;
        br->bits += 8;
    }
}

/* Bits consumed beyond the real data (the stream was cut short). */
static int overrun(const bitreader_t *br) {
    return br->pad * 8 > br->bits;
}

static int build_table(htable_t *t, const uint8_t counts[16], const uint8_t *vals, int nvals) {
    int code = 0, k = 0;
    memset(t->fast, 0, sizeof t->fast);
    memcpy(t->huffval, vals, (size_t)nvals);
    t->bad = 0;
    for (int i = 0; i < nvals; i++)
        if (vals[i] > 16) t->bad = 1;
    for (int len = 1; len <= 16; len++) {
        int n = counts[len - 1];
        t->valoffset[len] = k - code;
        if (n) {
            if (code + n > (1 << len)) return -1; /* more codes than the length allows */
            for (int i = 0; i < n; i++, code++, k++) {
                if (len <= LOOKAHEAD) {
                    int shift = LOOKAHEAD - len;
                    int first = code << shift, count = 1 << shift;
                    uint16_t entry = (uint16_t)((len << 8) | vals[k]);
                    for (int j = 0; j < count; j++) t->fast[first + j] = entry;
                }
            }
            t->maxcode[len] = code - 1;
        } else {
            t->maxcode[len] = -1;
        }
        code <<= 1;
    }
    t->maxcode[17] = 0x7FFFFFFF;
    /* the fused table: every (code, extra bits) pair of <= FUSED bits */
    memset(t->fused, 0, sizeof t->fused);
    code = 0;
    k = 0;
    for (int len = 1; len <= 16; len++) {
        for (int i = 0; i < counts[len - 1]; i++, code++, k++) {
            int ssss = vals[k];
            int extra = ssss == 16 ? 0 : ssss;
            if (ssss > 16 || len + extra > FUSED) continue;
            for (int v = 0; v < (1 << extra); v++) {
                int32_t d = extra == 0 ? (ssss == 16 ? 32768 : 0)
                          : (v < (1 << (extra - 1)) ? v - (1 << extra) + 1 : v);
                int used = len + extra;
                int first = ((code << extra) | v) << (FUSED - used);
                uint32_t entry = ((uint32_t)(d & 0xFFFF) << 16) | (uint32_t)used;
                for (int j = 0; j < (1 << (FUSED - used)); j++) t->fused[first + j] = entry;
            }
        }
        code <<= 1;
    }
    t->defined = 1;
    return 0;
}

/* Decode one category (SSSS); -1 on an invalid code. br must hold >= 16 bits. */
static inline int decode_ssss(bitreader_t *br, const htable_t *t) {
    uint32_t peek = (uint32_t)(br->buf >> (br->bits - LOOKAHEAD)) & ((1u << LOOKAHEAD) - 1);
    uint16_t e = t->fast[peek];
    if (DCF_LIKELY(e)) {
        br->bits -= e >> 8;
        return e & 0xFF;
    }
    for (int len = LOOKAHEAD + 1; len <= 16; len++) {
        int32_t code = (int32_t)((br->buf >> (br->bits - len)) & ((1u << len) - 1));
        if (code <= t->maxcode[len]) {
            br->bits -= len;
            return t->huffval[t->valoffset[len] + code];
        }
    }
    return -1;
}

/* The difference for category s (F.2.2.1 EXTEND; 16 means 32768, no bits). */
static inline int32_t diff_of(bitreader_t *br, int s) {
    if (s == 0) return 0;
    if (s == 16) return 32768;
    br->bits -= s;
    int32_t v = (int32_t)((br->buf >> br->bits) & ((1u << s) - 1));
    return v < (1 << (s - 1)) ? v - (1 << s) + 1 : v;
}

/* The next difference (mod 2^16), or -1 on an invalid code. br holds >= 32 bits. */
static inline int32_t next_diff(bitreader_t *br, const htable_t *t) {
    uint32_t e = t->fused[(uint32_t)(br->buf >> (br->bits - FUSED)) & ((1u << FUSED) - 1)];
    if (DCF_LIKELY(e)) {
        br->bits -= (int)(e & 0xFF);
        return (int32_t)(e >> 16);
    }
    int s = decode_ssss(br, t);
    if (s < 0) return -1;
    return diff_of(br, s) & 0xFFFF;
}

typedef struct {
    htable_t tables[4];
    dcf_ljpeg_header_t hdr;
    uint32_t comp_id;
    int table;          /* Td of the scan */
    size_t scan_start;  /* offset of the entropy-coded data */
} parse_t;

static int fail(dcf_error_t *err, int code, size_t offset) {
    if (err) {
        err->code = code;
        err->tag = DCF_NO_TAG;
        err->offset = offset;
    }
    return code;
}

/* Markers up to and including the first SOS. */
static int parse(const uint8_t *src, size_t n, parse_t *ps, dcf_error_t *err) {
    size_t pos = 2;
    int have_sof = 0;
    memset(&ps->hdr, 0, sizeof ps->hdr);
    for (int i = 0; i < 4; i++) ps->tables[i].defined = 0;
    if (n < 2 || src[0] != 0xFF || src[1] != 0xD8) return fail(err, DCF_E_CORRUPT, 0);
    for (;;) {
        if (pos + 2 > n) return fail(err, DCF_E_SHORT_INPUT, pos);
        if (src[pos] != 0xFF) return fail(err, DCF_E_CORRUPT, pos);
        while (pos + 1 < n && src[pos + 1] == 0xFF) pos++; /* fill bytes */
        if (pos + 2 > n) return fail(err, DCF_E_SHORT_INPUT, pos);
        uint32_t m = src[pos + 1];
        size_t at = pos;
        pos += 2;
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) continue; /* no length */
        if (m == 0xD9) return fail(err, DCF_E_CORRUPT, at); /* EOI before any scan */
        if (pos + 2 > n) return fail(err, DCF_E_SHORT_INPUT, pos);
        size_t len = be16(src + pos);
        if (len < 2) return fail(err, DCF_E_CORRUPT, pos);
        if (pos + len > n) return fail(err, DCF_E_SHORT_INPUT, pos);
        const uint8_t *seg = src + pos + 2;
        size_t slen = len - 2;
        if (m == 0xC3) { /* SOF3: lossless, Huffman */
            if (slen < 6) return fail(err, DCF_E_CORRUPT, at);
            ps->hdr.precision = seg[0];
            ps->hdr.rows = be16(seg + 1);
            ps->hdr.cols = be16(seg + 3);
            ps->hdr.components = seg[5];
            if (slen < 6 + 3 * (size_t)seg[5] || seg[5] == 0) return fail(err, DCF_E_CORRUPT, at);
            if (ps->hdr.precision < 2 || ps->hdr.precision > 16) return fail(err, DCF_E_CORRUPT, at);
            if (ps->hdr.components != 1) return fail(err, DCF_E_UNSUPPORTED, at);
            if (ps->hdr.rows == 0) return fail(err, DCF_E_UNSUPPORTED, at); /* DNL */
            if (ps->hdr.cols == 0) return fail(err, DCF_E_CORRUPT, at);
            ps->comp_id = seg[6]; /* one component: its sampling factors do not matter */
            have_sof = 1;
        } else if ((m >= 0xC0 && m <= 0xCF) && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            return fail(err, DCF_E_UNSUPPORTED, at); /* another process */
        } else if (m == 0xC4) { /* DHT */
            size_t q = 0;
            while (q < slen) {
                if (q + 17 > slen) return fail(err, DCF_E_CORRUPT, pos + 2 + q);
                uint32_t tc = seg[q] >> 4, th = seg[q] & 15;
                int total = 0;
                for (int i = 0; i < 16; i++) total += seg[q + 1 + i];
                if (total > 256 || q + 17 + (size_t)total > slen || th > 3)
                    return fail(err, DCF_E_CORRUPT, pos + 2 + q);
                if (tc == 0 && build_table(&ps->tables[th], seg + q + 1, seg + q + 17, total) < 0)
                    return fail(err, DCF_E_CORRUPT, pos + 2 + q);
                q += 17 + (size_t)total;
            }
        } else if (m == 0xDD) { /* DRI */
            if (slen < 2) return fail(err, DCF_E_CORRUPT, at);
            ps->hdr.restart = be16(seg);
        } else if (m == 0xDC) { /* DNL */
            return fail(err, DCF_E_UNSUPPORTED, at);
        } else if (m == 0xDA) { /* SOS */
            if (!have_sof) return fail(err, DCF_E_CORRUPT, at);
            if (slen < 1 || slen < 1 + 2 * (size_t)seg[0] + 3) return fail(err, DCF_E_CORRUPT, at);
            if (seg[0] != 1) return fail(err, DCF_E_UNSUPPORTED, at);
            if (seg[1] != ps->comp_id) return fail(err, DCF_E_CORRUPT, at);
            ps->table = seg[2] >> 4;
            if (ps->table > 3) return fail(err, DCF_E_CORRUPT, at);
            ps->hdr.predictor = seg[3];
            ps->hdr.point_transform = seg[5] & 15;
            if (ps->hdr.predictor < 1 || ps->hdr.predictor > 7) return fail(err, DCF_E_CORRUPT, at);
            if (ps->hdr.point_transform >= ps->hdr.precision) return fail(err, DCF_E_CORRUPT, at);
            ps->scan_start = pos + len;
            return DCF_OK;
        }
        /* APPn, COM, DQT, DAC..., and anything else with a length: skipped */
        pos += len;
    }
}

int dcf_ljpeg_header(const uint8_t *src, size_t srclen, dcf_ljpeg_header_t *hdr,
                     dcf_error_t *err) {
    parse_t ps;
    int rc = parse(src, srclen, &ps, err);
    if (hdr) *hdr = ps.hdr;
    return rc;
}

/* Move past the RSTn marker that must follow a restart interval. */
static int restart(bitreader_t *br, const uint8_t *src, dcf_error_t *err) {
    const uint8_t *p = br->p;
    while (p + 1 < br->end && !(p[0] == 0xFF && p[1] != 0x00 && p[1] != 0xFF)) p++;
    while (p + 1 < br->end && p[0] == 0xFF && p[1] == 0xFF) p++;
    if (p + 1 >= br->end || p[1] < 0xD0 || p[1] > 0xD7)
        return fail(err, DCF_E_CORRUPT, (size_t)(p - src));
    br->p = p + 2;
    br->buf = 0;
    br->bits = 0;
    br->stopped = 0;
    br->pad = 0;
    return DCF_OK;
}

int dcf_ljpeg_decode(const uint8_t *src, size_t srclen, uint16_t *dst, size_t dstlen,
                     dcf_ljpeg_header_t *hdr, dcf_error_t *err) {
    parse_t ps;
    int rc = parse(src, srclen, &ps, err);
    if (hdr) *hdr = ps.hdr;
    if (rc != DCF_OK) return rc;
    const uint32_t rows = ps.hdr.rows, cols = ps.hdr.cols;
    if ((size_t)rows * cols > dstlen) return fail(err, DCF_E_OUTPUT_TOO_SMALL, 0);
    const htable_t *t = &ps.tables[ps.table];
    if (!t->defined || t->bad) return fail(err, DCF_E_CORRUPT, ps.scan_start);
    uint32_t rlines = 0; /* lines per restart interval, 0 = none */
    if (ps.hdr.restart) {
        if (ps.hdr.restart % cols) return fail(err, DCF_E_UNSUPPORTED, 0);
        rlines = ps.hdr.restart / cols;
    }
    const int pred = (int)ps.hdr.predictor;
    const uint32_t pt = ps.hdr.point_transform;
    const int32_t initial = 1 << (ps.hdr.precision - pt - 1);
    bitreader_t br = {src + ps.scan_start, src + srclen, 0, 0, 0, 0};
    uint32_t left_in_interval = rlines;
    int first_line = 1;
    for (uint32_t y = 0; y < rows; y++) {
        if (rlines) {
            if (left_in_interval == 0) {
                if (overrun(&br)) return fail(err, DCF_E_SHORT_INPUT, srclen);
                rc = restart(&br, src, err);
                if (rc != DCF_OK) return rc;
                left_in_interval = rlines;
                first_line = 1;
            }
            left_in_interval--;
        }
        uint16_t *row = dst + (size_t)y * cols;
        const uint16_t *up = row - cols;
        for (uint32_t x = 0; x < cols; x++) {
            if (br.bits < 32) {
                fill(&br);
                if (DCF_UNLIKELY(br.pad > 8)) return fail(err, DCF_E_SHORT_INPUT, srclen);
            }
            int32_t d = next_diff(&br, t);
            if (DCF_UNLIKELY(d < 0)) return fail(err, DCF_E_CORRUPT, (size_t)(br.p - src));
            int32_t px;
            if (first_line) {
                px = x == 0 ? initial : row[x - 1];
            } else if (x == 0) {
                px = up[0];
            } else if (pred == 1) {
                px = row[x - 1];
            } else {
                int32_t ra = row[x - 1], rb = up[x], rc2 = up[x - 1];
                switch (pred) {
                case 2: px = rb; break;
                case 3: px = rc2; break;
                case 4: px = ra + rb - rc2; break;
                case 5: px = ra + ((rb - rc2) >> 1); break;
                case 6: px = rb + ((ra - rc2) >> 1); break;
                default: px = (ra + rb) >> 1; break;
                }
            }
            row[x] = (uint16_t)((px + d) & 0xFFFF);
        }
        first_line = 0;
    }
    if (overrun(&br)) return fail(err, DCF_E_SHORT_INPUT, srclen);
    if (pt) {
        size_t total = (size_t)rows * cols;
        for (size_t i = 0; i < total; i++) dst[i] = (uint16_t)(dst[i] << pt);
    }
    return DCF_OK;
}
