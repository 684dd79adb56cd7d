"""dcmfast's JPEG lossless decoder (csrc/ljpeg.c, ITU-T T.81 Annex H).

Three oracles: the original samples (streams made by a small encoder written
here, which covers what DCMTK cannot make: restart intervals, long Huffman
codes, category 16), pylibjpeg-libjpeg (pydicom's decoder for these transfer
syntaxes) on the same streams, and DCMTK's dcmcjpeg for every predictor and
point transform on real images.
"""
from __future__ import annotations

import shutil
import subprocess
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dcmfast
from dcmfast import _pixels
from dcmfast.errors import PixelDataError

libjpeg = pytest.importorskip("libjpeg")

# Huffman tables as (BITS, HUFFVAL): 17 categories, short codes; and a skewed
# table whose codes run to 16 bits (the decoder's slow path)
SHORT = ([0, 0, 0, 0, 17] + [0] * 11, list(range(17)))
LONG = ([0] + [1] * 14 + [3], list(range(17)))


def _codes(table):
    bits, vals = table
    codes, code, k = {}, 0, 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            codes[vals[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


def _predict(rec, y, x, sv, first_line, initial):
    if first_line:
        return initial if x == 0 else int(rec[y, x - 1])
    if x == 0:
        return int(rec[y - 1, 0])
    ra, rb, rc = int(rec[y, x - 1]), int(rec[y - 1, x]), int(rec[y - 1, x - 1])
    return {1: ra, 2: rb, 3: rc, 4: ra + rb - rc, 5: ra + ((rb - rc) >> 1),
            6: rb + ((ra - rc) >> 1), 7: (ra + rb) >> 1}[sv]


def encode(img, precision, sv=1, pt=0, restart_lines=0, table=SHORT):
    """A JPEG lossless (SOF3, Huffman) codestream of the 2-D array ``img``."""
    rows, cols = img.shape
    codes = _codes(table)
    x_all = (img.astype(np.int64) >> pt).astype(np.int64)
    initial = 1 << (precision - pt - 1)
    out = bytearray(b"\xff\xd8")
    bits, vals = table
    dht = bytes([0x00]) + bytes(bits) + bytes(vals)
    out += b"\xff\xc4" + (len(dht) + 2).to_bytes(2, "big") + dht
    sof = bytes([precision]) + rows.to_bytes(2, "big") + cols.to_bytes(2, "big") + b"\x01\x01\x11\x00"
    out += b"\xff\xc3" + (len(sof) + 2).to_bytes(2, "big") + sof
    if restart_lines:
        out += b"\xff\xdd\x00\x04" + (restart_lines * cols).to_bytes(2, "big")
    out += b"\xff\xda\x00\x08\x01\x01\x00" + bytes([sv, 0, pt])
    acc, nacc = 0, 0
    data = bytearray()

    def put(value, n):
        nonlocal acc, nacc
        acc = (acc << n) | value
        nacc += n
        while nacc >= 8:
            nacc -= 8
            byte = (acc >> nacc) & 0xFF
            data.append(byte)
            if byte == 0xFF:
                data.append(0)
        acc &= (1 << nacc) - 1

    def flush():
        if nacc:
            put((1 << (8 - nacc)) - 1, 8 - nacc)

    interval = 0
    for y in range(rows):
        first_line = y == 0
        if restart_lines and y and y % restart_lines == 0:
            flush()
            data.extend(b"\xff" + bytes([0xD0 + interval % 8]))
            interval += 1
            first_line = True
        for x in range(cols):
            px = _predict(x_all, y, x, sv, first_line, initial)
            d = (int(x_all[y, x]) - px) & 0xFFFF
            if d >= 32768:
                d -= 65536
            if d == -32768:
                code, length = codes[16]
                put(code, length)
                continue
            s = abs(d).bit_length()
            code, length = codes[s]
            put(code, length)
            if s:
                put(d if d > 0 else d + (1 << s) - 1, s)
    flush()
    return bytes(out + data + b"\xff\xd9")


def ours(stream, shape):
    out = np.zeros(shape, np.uint16)
    hdr = _pixels.ljpeg_decode(stream, out)
    assert hdr is not None
    return out, hdr


def theirs(stream, shape, precision):
    data = libjpeg.decode_pixel_data(stream, version=2)
    dtype = np.uint16 if precision > 8 else np.uint8
    return np.frombuffer(data, dtype)[:shape[0] * shape[1]].reshape(shape).astype(np.uint16)


def _image(seed, shape, precision, smooth):
    rng = np.random.default_rng(seed)
    if smooth:
        yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
        base = (np.sin(yy / 5.0) + np.cos(xx / 7.0) + 2) * (2 ** precision - 1) / 4
        img = base + rng.normal(0, 3, shape)
    else:
        img = rng.integers(0, 2 ** precision, shape)
    return np.clip(np.round(img), 0, 2 ** precision - 1).astype(np.uint16)


@pytest.mark.parametrize("precision", [8, 12, 16])
@pytest.mark.parametrize("sv", range(1, 8))
@pytest.mark.parametrize("pt,restart,table", [(0, 0, SHORT), (2, 0, LONG), (0, 3, LONG),
                                              (1, 1, SHORT)])
def test_every_predictor_matches_the_original_and_libjpeg(precision, sv, pt, restart, table):
    for smooth in (True, False):
        img = _image(precision * 10 + sv, (23, 37), precision, smooth)
        stream = encode(img, precision, sv, pt, restart, table)
        got, hdr = ours(stream, img.shape)
        assert (hdr["predictor"], hdr["point_transform"], hdr["precision"]) == (sv, pt, precision)
        np.testing.assert_array_equal(got, (img >> pt) << pt)
        if pt == 0:
            # libjpeg's decode_pixel_data called directly returns saturated samples for
            # any point transform (DCMTK's streams too), while pydicom's call of it does
            # not: point transforms are checked against pydicom on DCMTK streams below
            np.testing.assert_array_equal(got, theirs(stream, img.shape, precision))


def test_category_16_and_wraparound():
    # alternating 0 / 32768 forces difference 32768 (category 16, no extra bits)
    img = np.zeros((4, 16), np.uint16)
    img[:, 1::2] = 32768
    img[2] = 65535
    stream = encode(img, 16, 1, 0, 0, LONG)
    np.testing.assert_array_equal(ours(stream, img.shape)[0], img)
    np.testing.assert_array_equal(theirs(stream, img.shape, 16), img)


def _dcmtk_sources():
    from pydicom.data import get_testdata_file

    for name in ("CT_small.dcm", "MR_small.dcm", "OBXXXX1A.dcm"):
        path = get_testdata_file(name)
        if path is not None:
            yield name, path


@pytest.mark.skipif(shutil.which("dcmcjpeg") is None, reason="DCMTK's dcmcjpeg is not installed")
@pytest.mark.parametrize("options", [["+e1"]] + [["+el", "+sv", str(sv)] for sv in range(1, 8)]
                         + [["+el", "+sv", "4", "+pt", "2"], ["+el", "+sv", "7", "+pt", "1"]])
def test_dcmtk_streams_decode_like_libjpeg_and_pydicom(options, tmp_path):
    pydicom = pytest.importorskip("pydicom")
    for name, path in _dcmtk_sources():
        dst = tmp_path / f"{name}.jpg.dcm"
        subprocess.run(["dcmcjpeg", *options, path, str(dst)], check=True, capture_output=True,
                       timeout=60)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = pydicom.dcmread(dst).pixel_array
            original = dcmfast.dcmread(path).pixel_array
        got = dcmfast.dcmread(str(dst)).pixel_array
        np.testing.assert_array_equal(got, expected)
        if "+pt" not in options:
            np.testing.assert_array_equal(got, original)


def test_unsupported_streams_are_left_to_libjpeg():
    img = _image(1, (8, 8), 8, True)
    stream = bytearray(encode(img, 8))
    sof = stream.index(b"\xff\xc3")
    length = int.from_bytes(stream[sof + 2:sof + 4], "big")
    three = stream[:sof] + b"\xff\xc3\x00\x11\x08\x00\x08\x00\x08\x03" \
        + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00" + stream[sof + 2 + length:]
    assert _pixels.ljpeg_header(bytes(three)) is None  # three components: not ours
    baseline = bytearray(stream)
    baseline[sof + 1] = 0xC0  # a lossy process
    assert _pixels.ljpeg_header(bytes(baseline)) is None
    assert _pixels.ljpeg_decode(bytes(baseline), np.zeros(64, np.uint16)) is None


def test_restart_inside_a_line_is_unsupported():
    img = _image(2, (6, 10), 12, True)
    stream = bytearray(encode(img, 12, restart_lines=1))
    dri = stream.index(b"\xff\xdd")
    stream[dri + 4:dri + 6] = (5).to_bytes(2, "big")
    assert _pixels.ljpeg_decode(bytes(stream), np.zeros(60, np.uint16)) is None


# --- hostile input -------------------------------------------------------------
STREAM_IMG = _image(3, (16, 20), 12, True)
STREAM = encode(STREAM_IMG, 12, 1, 0, 4, LONG)


def test_every_truncation_raises_or_decodes_correctly():
    for cut in range(len(STREAM)):
        out = np.zeros(STREAM_IMG.shape, np.uint16)
        try:
            hdr = _pixels.ljpeg_decode(STREAM[:cut], out)
        except PixelDataError:
            continue
        # only a cut inside the final EOI marker (or fill bits) may still decode
        assert hdr is not None and cut >= len(STREAM) - 3, cut
        np.testing.assert_array_equal(out, STREAM_IMG)


def test_output_too_small_and_lying_dimensions():
    with pytest.raises(PixelDataError, match="output"):
        _pixels.ljpeg_decode(STREAM, np.zeros(10, np.uint16))
    lying = bytearray(STREAM)
    sof = lying.index(b"\xff\xc3")
    lying[sof + 5:sof + 7] = (60000).to_bytes(2, "big")  # rows
    with pytest.raises(PixelDataError):
        _pixels.ljpeg_decode(bytes(lying), np.zeros(60000 * 20, np.uint16))


def test_missing_table_and_bad_segments():
    no_dht = bytearray(STREAM)
    start = no_dht.index(b"\xff\xc4")
    length = int.from_bytes(no_dht[start + 2:start + 4], "big")
    del no_dht[start:start + 2 + length]
    with pytest.raises(PixelDataError):
        _pixels.ljpeg_decode(bytes(no_dht), np.zeros(STREAM_IMG.size, np.uint16))
    for junk in (b"", b"\xff", b"\xff\xd8", b"\xff\xd8\xff\xc3\x00", b"\xff\xd8\xff\xd9",
                 b"\x00" * 20):
        with pytest.raises(PixelDataError):
            _pixels.ljpeg_decode(junk, np.zeros(16, np.uint16))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(STREAM) - 1), st.integers(0, 255)),
                min_size=1, max_size=6))
def test_corrupted_streams_never_crash(flips):
    data = bytearray(STREAM)
    for pos, value in flips:
        data[pos] = value
    out = np.zeros(STREAM_IMG.size, np.uint16)
    try:
        _pixels.ljpeg_decode(bytes(data), out)
    except PixelDataError:
        pass
