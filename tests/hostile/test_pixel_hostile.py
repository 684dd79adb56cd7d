"""Hostile pixel data: lying Image Pixel modules, short or corrupt native and
encapsulated data, lying offset tables, codestreams that disagree with the
header. Every case raises dcmfast.PixelDataError (an InvalidDicomError) or a
documented ValueError/AttributeError - never a crash, a hang, or an
allocation sized from a lie."""
from __future__ import annotations

import struct
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import dcmfast
from dcmfast.errors import InvalidDicomError, PixelDataError
from tests.hostile.dicombytes import elem, item, part10, seq_delim

EXPLICIT_LE = "1.2.840.10008.1.2.1"
RLE = "1.2.840.10008.1.2.5"
J2K = "1.2.840.10008.1.2.4.90"


def us(tag: int, value: int) -> bytes:
    return elem(tag, "US", struct.pack("<H", value))


def image(rows=4, cols=4, *, ba=16, bs=None, hb=None, spp=1, pr=0, frames=None,
          photometric=b"MONOCHROME2 ", planar=None) -> bytes:
    bs = ba if bs is None else bs
    hb = bs - 1 if hb is None else hb
    out = us(0x00280002, spp) + elem(0x00280004, "CS", photometric)
    if planar is not None:
        out += us(0x00280006, planar)
    if frames is not None:
        text = str(frames).encode()
        out += elem(0x00280008, "IS", text + b" " * (len(text) % 2))
    out += (us(0x00280010, rows) + us(0x00280011, cols) + us(0x00280100, ba)
            + us(0x00280101, bs) + us(0x00280102, hb) + us(0x00280103, pr))
    return out


def native(header: bytes, pixels: bytes) -> bytes:
    return part10(header + elem(0x7FE00010, "OW", pixels + b"\0" * (len(pixels) % 2)))


def encapsulated(header: bytes, fragments: list[bytes], bot: bytes = b"",
                 ts: str = RLE) -> bytes:
    body = item(bot) + b"".join(item(f) for f in fragments) + seq_delim()
    return part10(header + elem(0x7FE00010, "OB", body, length=0xFFFFFFFF), ts)


def decode(data: bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dcmfast.dcmread(data).pixel_array


@pytest.mark.parametrize("header,nbytes", [
    (image(512, 512), 100),                         # rows x cols beyond the data
    (image(4, 4, frames=2**31 - 1), 32),            # a lying NumberOfFrames
    (image(65535, 65535, ba=64, spp=3, planar=0, photometric=b"RGB "), 64),
    (image(4, 4, ba=1, frames=1000), 2),            # bit-packed, too few bits
])
def test_native_data_shorter_than_the_header_says(header, nbytes):
    tracemalloc.start()
    try:
        with pytest.raises(PixelDataError, match="less than expected"):
            decode(native(header, b"\x01" * nbytes))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"allocated {peak} bytes for a lie"


@pytest.mark.parametrize("header,match", [
    (image(ba=12), "BitsAllocated 12"),
    (image(bs=17), "BitsStored 17"),
    (image(bs=0, hb=0), "BitsStored 0"),
    (image(bs=12, hb=16), "HighBit 16"),
    (image(bs=12, hb=5), "HighBit 5"),
    (image(spp=2), "SamplesPerPixel 2"),
    (image(pr=2), "PixelRepresentation 2"),
    (image(0, 4), "image size"),
    (image(ba=1, spp=3, photometric=b"RGB ", planar=0), "BitsAllocated 1"),
    (image(spp=3, photometric=b"RGB ", planar=2), "PlanarConfiguration 2"),
])
def test_invalid_image_pixel_module(header, match):
    with pytest.raises(PixelDataError, match=match):
        decode(native(header, b"\0" * 64))


def test_invalid_number_of_frames_text():
    header = image()
    at = header.index(struct.pack("<HH", 0x0028, 0x0010))  # NumberOfFrames sorts before Rows
    data = part10(header[:at] + elem(0x00280008, "IS", b"x ") + header[at:] +
                  elem(0x7FE00010, "OW", b"\0" * 32))
    with pytest.raises((PixelDataError, InvalidDicomError)):
        decode(data)


def test_rle_frame_that_cannot_hold_the_image_is_refused_before_allocating():
    header = image(60000, 60000, ba=8)
    rle = struct.pack("<16L", 1, 64, *([0] * 14)) + b"\x81\x00"  # 2 bytes of run
    tracemalloc.start()
    try:
        with pytest.raises(PixelDataError, match="cannot hold"):
            decode(encapsulated(header, [rle]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


@pytest.mark.parametrize("bot,fragments,match", [
    (struct.pack("<2L", 0, 3), [b"ab", b"cd"], "does not point at a fragment"),
    (struct.pack("<2L", 10, 0), [b"ab", b"cd"], "does not point|not increasing"),
    (b"\0\0\0", [b"ab"], "multiple of 4"),
    (b"", [], "no fragments"),
    (b"", [b"ab"], "1 frames found"),  # one fragment for two frames
])
def test_lying_offset_tables(bot, fragments, match):
    data = encapsulated(image(2, 2, ba=8, frames=2), fragments, bot)
    with pytest.raises(PixelDataError, match=match):
        decode(data)


def test_fragment_length_past_the_end():
    header = image(2, 2, ba=8)
    body = item(b"") + item(b"xx", length=1000)
    data = part10(header + elem(0x7FE00010, "OB", body, length=0xFFFFFFFF), RLE)
    with pytest.raises(InvalidDicomError):
        decode(data)


def test_j2k_codestream_dimensions_must_match_rows_and_columns():
    openjpeg = pytest.importorskip("openjpeg")
    arr = (np.arange(64 * 64) % 251).astype(np.uint8).reshape(64, 64)
    stream = openjpeg.encode(arr, use_mct=False)
    ok = encapsulated(image(64, 64, ba=8), [stream], ts=J2K)
    np.testing.assert_array_equal(decode(ok), arr)
    tracemalloc.start()
    try:
        with pytest.raises(PixelDataError, match="codestream is 64 x 64"):
            decode(encapsulated(image(30000, 30000, ba=8), [stream], ts=J2K))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def test_corrupt_codestream_raises_pixel_data_error():
    pytest.importorskip("openjpeg")
    stream = b"\xff\x4f\xff\x51" + b"\x00" * 60
    with pytest.raises(PixelDataError):
        decode(encapsulated(image(8, 8, ba=8), [stream], ts=J2K))


@settings(max_examples=150)
@given(st.data())
def test_flipped_bytes_in_native_file(data):
    arr = np.arange(48, dtype=np.uint16)
    blob = bytearray(native(image(4, 4, spp=3, photometric=b"RGB ", planar=1), arr.tobytes()))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(132, len(blob) - 1))
        blob[pos] = data.draw(st.integers(0, 255))
    try:
        decode(bytes(blob))
    except (InvalidDicomError, AttributeError, NotImplementedError, ValueError):
        pass


@settings(max_examples=100)
@given(cut=st.integers(0, 400))
def test_truncated_encapsulated_file(cut):
    rle = struct.pack("<16L", 1, 64, *([0] * 14)) + b"\xfd\x07" * 4
    data = encapsulated(image(4, 4, ba=8, frames=2), [rle, rle])
    try:
        decode(data[:132 + cut])
    except (InvalidDicomError, AttributeError, NotImplementedError, ValueError):
        pass
