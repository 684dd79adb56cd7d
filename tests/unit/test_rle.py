"""RLE Lossless (PS3.5 Annex G): csrc/rle.c through dcmfast._pixels.

Oracles: pydicom 3's own decoder and encoder (pure Python), pylibjpeg-rle
(Rust), and DCMTK's dcmdrle/dcmcrle when they are on PATH.

Layout conventions: our decoder writes pixel-interleaved (Planar
Configuration 0) little-endian samples; pydicom's ``_rle_decode_frame`` and
pylibjpeg-rle's ``decode_frame`` return Planar Configuration 1, so their
output is reordered (:func:`planar_to_interleaved`) before comparing.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import struct
import subprocess
import threading
import warnings
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dcmfast import InvalidDicomError
from dcmfast._pixels import RLE_W_EXCESS, rle_decode_frame, rle_encode_bound, rle_encode_frame
from dcmfast.errors import PixelDataError

pydicom = pytest.importorskip("pydicom")
from pydicom.pixels.decoders.rle import _rle_decode_frame as pydicom_rle_decode  # noqa: E402

try:
    from rle.rle import decode_frame as pylibjpeg_decode, encode_frame as pylibjpeg_encode
except ImportError:  # pragma: no cover
    pylibjpeg_decode = pylibjpeg_encode = None

needs_pylibjpeg_rle = pytest.mark.skipif(pylibjpeg_decode is None, reason="pylibjpeg-rle not installed")

#: every supported (bytes_per_sample, samples): at most 15 segments
COMBOS = [(1, 1), (2, 1), (4, 1), (8, 1), (1, 3), (2, 3), (4, 3)]
SHAPES = [(1, 1), (1, 2), (2, 1), (1, 7), (7, 1), (3, 5), (5, 129), (2, 257), (17, 130), (64, 64)]


# -- helpers (also used by tests/hostile/test_rle_hostile.py) ---------------------------


def planar_to_interleaved(data: bytes, rows: int, cols: int, samples: int, bps: int) -> bytes:
    """Planar Configuration 1 bytes (plane per sample) to pixel-interleaved bytes."""
    arr = np.frombuffer(bytes(data), np.uint8).reshape(samples, rows * cols, bps)
    return arr.transpose(1, 0, 2).tobytes()


def ours(src, rows: int, cols: int, samples: int, bps: int) -> tuple[bytes, int]:
    """Decode with dcmfast: (interleaved bytes, warning bits)."""
    dst = np.empty(rows * cols * samples * bps, np.uint8)
    warn = rle_decode_frame(src, dst, rows, cols, samples, bps)
    return dst.tobytes(), warn


def pydicom_oracle(src, rows: int, cols: int, samples: int, bps: int):
    """pydicom's decoder: (interleaved bytes, warned about excess) or the exception it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = pydicom_rle_decode(bytes(src), rows, cols, samples, bps * 8)
        except Exception as exc:  # noqa: BLE001 - any failure is "pydicom refuses"
            return exc
    excess = any("non-conformant padding" in str(w.message) for w in caught)
    return planar_to_interleaved(out, rows, cols, samples, bps), excess


def used_offsets(src: bytes, nseg: int) -> list[int]:
    return list(struct.unpack_from(f"<{nseg}L", src, 4)) if len(src) >= 64 else []


def assert_matches_pydicom(src, rows: int, cols: int, samples: int, bps: int):
    """Our decoder succeeds exactly when pydicom's does, with the same bytes and
    the same "excess data" verdict; on failure ours raises PixelDataError with
    an offset inside the frame. Returns our result or the error."""
    src = bytes(src)
    expected = pydicom_oracle(src, rows, cols, samples, bps)
    try:
        got = ours(src, rows, cols, samples, bps)
    except PixelDataError as exc:
        assert isinstance(exc.offset, int) and 0 <= exc.offset <= len(src), exc.offset
        nseg = samples * bps
        inside_header = (rows * cols and len(src) >= 64
                         and struct.unpack_from("<L", src)[0] == nseg
                         and any(o < 64 for o in used_offsets(src, nseg)))
        if not inside_header:
            # deliberate difference (see csrc/rle.c): pydicom decodes an offset that
            # points inside the 64-byte header from the header's own bytes; we refuse.
            assert isinstance(expected, Exception), f"pydicom decodes it, we raise {exc}"
        return exc
    assert not isinstance(expected, Exception), f"pydicom raises {expected!r}, we decode"
    data, excess = expected
    assert got[0] == data
    if rows * cols:
        # (an empty image: we do not look at the segments at all, so we cannot
        # say whether they hold data; pydicom decodes them and warns if they do)
        assert bool(got[1] & RLE_W_EXCESS) == excess
    return got


def build_frame(segments, count=None, offsets=None) -> bytes:
    """An RLE frame from raw segment bytes; count/offsets override the header."""
    if offsets is None:
        offsets, pos = [], 64
        for seg in segments:
            offsets.append(pos)
            pos += len(seg)
    count = len(segments) if count is None else count
    header = struct.pack("<L", count) + b"".join(struct.pack("<L", o) for o in offsets)
    header = header[:64] + b"\0" * (64 - len(header[:64]))
    return header + b"".join(segments)


def sample_data(rows: int, cols: int, samples: int, bps: int, kind: str, seed: int = 0) -> np.ndarray:
    """rows*cols*samples*bps bytes: random, constant, runs, or a mixture."""
    n = rows * cols * samples * bps
    rng = np.random.default_rng(seed)
    if kind == "random":
        return rng.integers(0, 256, n, dtype=np.uint8)
    if kind == "constant":
        return np.full(n, 0xA5, np.uint8)
    if kind == "runs":  # runs of 1..300 equal bytes: crosses the 128 limit and rows
        out = np.empty(n, np.uint8)
        pos = 0
        while pos < n:
            k = int(rng.integers(1, 300))
            out[pos:pos + k] = rng.integers(0, 256)
            pos += k
        return out
    # mixture: small values (long runs in the high bytes) plus noise
    vals = rng.integers(0, 40, n // max(bps, 1) + 1, dtype=np.uint8)
    out = np.zeros(n, np.uint8)
    out[::bps] = vals[: len(out[::bps])]
    out[: n // 3] = rng.integers(0, 256, n // 3, dtype=np.uint8)
    return out


def to_planar(data: np.ndarray, rows: int, cols: int, samples: int, bps: int) -> np.ndarray:
    return np.ascontiguousarray(data.reshape(rows * cols, samples, bps).transpose(1, 0, 2)).ravel()


def parse_segment_ops(seg: bytes):
    """Yield (kind, n_out, start, end) for each op of an encoded segment."""
    pos = 0
    while pos < len(seg):
        h = seg[pos]
        if h < 128:
            yield "literal", h + 1, pos, pos + 2 + h
            pos += 2 + h
        elif h > 128:
            yield "replicate", 257 - h, pos, pos + 2
            pos += 2
        else:
            yield "noop", 0, pos, pos + 1
            pos += 1


def segments_of(frame: bytes) -> list[bytes]:
    nseg = struct.unpack_from("<L", frame)[0]
    offs = list(struct.unpack_from(f"<{nseg}L", frame, 4)) + [len(frame)]
    return [frame[offs[i]:offs[i + 1]] for i in range(nseg)]


# -- round trips -----------------------------------------------------------------------


@pytest.mark.parametrize("bps,samples", COMBOS)
@pytest.mark.parametrize("rows,cols", SHAPES)
@pytest.mark.parametrize("kind", ["random", "constant", "runs", "mixture"])
def test_round_trip(bps, samples, rows, cols, kind):
    data = sample_data(rows, cols, samples, bps, kind, seed=rows * 1000 + cols)
    enc = rle_encode_frame(data, rows, cols, samples, bps)
    assert isinstance(enc, bytes) and len(enc) % 2 == 0
    assert len(enc) <= rle_encode_bound(rows, cols, samples, bps)
    got, warn = ours(enc, rows, cols, samples, bps)
    assert got == data.tobytes() and warn == 0


@pytest.mark.parametrize("bps,samples", [c for c in COMBOS if c[1] == 3])
@pytest.mark.parametrize("rows,cols", [(1, 1), (3, 5), (17, 130)])
def test_planar_1_encodes_like_interleaved(bps, samples, rows, cols):
    data = sample_data(rows, cols, samples, bps, "runs", seed=cols)
    planar = to_planar(data, rows, cols, samples, bps)
    assert rle_encode_frame(planar, rows, cols, samples, bps, planar=1) == \
        rle_encode_frame(data, rows, cols, samples, bps, planar=0)


def test_decode_into_typed_arrays_and_slices():
    """dst may be any writable C-contiguous buffer: a uint16 image, a frame of a stack."""
    rng = np.random.default_rng(1)
    img = rng.integers(0, 4096, (3, 31, 17), dtype=np.uint16)   # three frames
    out = np.zeros_like(img)
    for i in range(3):
        enc = rle_encode_frame(img[i], 31, 17, 1, 2)
        assert rle_decode_frame(enc, out[i], 31, 17, 1, 2, frame=i) == 0
    np.testing.assert_array_equal(out, img)
    rgb = rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    dst = bytearray(9 * 11 * 3)
    rle_decode_frame(memoryview(rle_encode_frame(rgb, 9, 11, 3, 1)), dst, 9, 11, 3, 1)
    assert bytes(dst) == rgb.tobytes()
    signed = rng.integers(-2**31, 2**31 - 1, (5, 7), dtype=np.int32)
    out32 = np.empty_like(signed)
    rle_decode_frame(rle_encode_frame(signed, 5, 7, 1, 4), out32, 5, 7, 1, 4)
    np.testing.assert_array_equal(out32, signed)
    f64 = rng.standard_normal((4, 6))
    out64 = np.empty_like(f64)
    rle_decode_frame(rle_encode_frame(f64, 4, 6, 1, 8), out64, 4, 6, 1, 8)
    np.testing.assert_array_equal(out64, f64)


def _run_lengths():
    """Byte strings built from runs (long and short) and literal noise."""
    run = st.tuples(st.integers(0, 255), st.integers(1, 300)).map(lambda t: bytes([t[0]]) * t[1])
    noise = st.binary(min_size=1, max_size=40)
    return st.lists(st.one_of(run, noise, st.sampled_from([b"\x01\x01", b"\x02\x02\x03"])),
                    min_size=1, max_size=12).map(b"".join)


@given(data=st.data())
def test_round_trip_hypothesis(data):
    bps, samples = data.draw(st.sampled_from(COMBOS))
    rows = data.draw(st.integers(1, 9))
    cols = data.draw(st.integers(1, 140))
    n = rows * cols * samples * bps
    raw = (data.draw(_run_lengths()) * n)[:n] if data.draw(st.booleans()) else \
        data.draw(st.binary(min_size=n, max_size=n))
    enc = rle_encode_frame(raw, rows, cols, samples, bps)
    assert len(enc) <= rle_encode_bound(rows, cols, samples, bps)
    assert ours(enc, rows, cols, samples, bps) == (raw, 0)
    if bps * samples <= 4:   # pydicom's pure-Python decoder is slow; small frames only
        assert pydicom_oracle(enc, rows, cols, samples, bps) == (raw, False)


# -- what the encoder writes (PS3.5 G.3.1, G.5) ------------------------------------------


@pytest.mark.parametrize("bps,samples", COMBOS)
@pytest.mark.parametrize("rows,cols", [(1, 1), (3, 5), (17, 130), (2, 257)])
def test_encoder_output_is_conformant(bps, samples, rows, cols):
    data = sample_data(rows, cols, samples, bps, "runs", seed=3)
    enc = rle_encode_frame(data, rows, cols, samples, bps)
    nseg = samples * bps
    header = struct.unpack_from("<16L", enc)
    assert header[0] == nseg
    assert header[1] == 64
    assert all(o == 0 for o in header[1 + nseg:]), "unused offsets are zero"
    assert list(header[1:1 + nseg]) == sorted(set(header[1:1 + nseg]))
    for seg in segments_of(enc):
        assert len(seg) % 2 == 0, "segments are even length (G.3.1)"
        produced = 0
        ops = list(parse_segment_ops(seg))
        for i, (kind, n, start, end) in enumerate(ops):
            assert end <= len(seg) or (i == len(ops) - 1 and seg[start:] == b"\0"), "op cut short"
            if end > len(seg):   # the 0x00 pad byte: a literal header with no data
                break
            assert kind != "noop"
            # runs never cross a row: the row boundary is a multiple of cols
            assert produced // cols == (produced + n - 1) // cols, "run crosses a row"
            produced += n
        assert produced == rows * cols


def test_encoder_run_choices():
    """Runs of >= 3 are replicate runs, a pair after a literal joins it, 128 is the limit."""
    enc = rle_encode_frame(b"\x07" * 3, 1, 3, 1, 1)
    assert segments_of(enc) == [b"\xfe\x07"]
    enc = rle_encode_frame(b"\x01\x02\x02\x03", 1, 4, 1, 1)
    assert segments_of(enc) == [b"\x03\x01\x02\x02\x03"  + b"\0"]
    enc = rle_encode_frame(b"\x05" * 130, 1, 130, 1, 1)
    assert segments_of(enc) == [b"\x81\x05\xff\x05"]
    enc = rle_encode_frame(b"\x05" * 129, 1, 129, 1, 1)
    assert segments_of(enc) == [b"\x81\x05\x00\x05"]
    enc = rle_encode_frame(bytes(range(200)), 1, 200, 1, 1)
    assert segments_of(enc) == [b"\x7f" + bytes(range(128)) + b"\x47" + bytes(range(128, 200))]
    # two rows of the same byte: one replicate run each, never one across both
    enc = rle_encode_frame(b"\x09" * 8, 2, 4, 1, 1)
    assert segments_of(enc) == [b"\xfd\x09\xfd\x09"]


@given(raw=_run_lengths(), cols=st.integers(1, 300))
def test_encoder_never_larger_than_pydicoms(raw, cols):
    from pydicom.pixels.encoders.native import _encode_segment

    raw = raw[: (len(raw) // cols) * cols] or raw[:1] * cols
    rows = len(raw) // cols
    ours_seg = segments_of(rle_encode_frame(raw, rows, cols, 1, 1))[0]
    assert len(ours_seg) <= len(_encode_segment(raw, cols))


@pytest.mark.parametrize("cols", [1, 2, 3, 127, 128, 129, 255, 256, 1000])
def test_encode_bound_holds_for_worst_patterns(cols):
    rows = 3
    patterns = [
        bytes(range(256)) * (cols // 256 + 1),              # all literal
        b"\x01\x02\x02" * cols,                             # single, pair, ...
        b"\x01\x01\x02" * cols,                             # pair, single, ...
        b"\x01\x02\x03\x03\x03" * cols,                     # short literal, short run
        (bytes(range(127)) + b"\x09\x09") * cols,           # a pair when the literal is full
        (bytes(range(1, 128)) + b"\x00\x00\x00") * cols,
    ]
    bound = rle_encode_bound(rows, cols, 1, 1)
    for p in patterns:
        raw = (p * (rows * cols // len(p) + 1))[: rows * cols]
        enc = rle_encode_frame(raw, rows, cols, 1, 1)
        assert len(enc) <= bound
        assert ours(enc, rows, cols, 1, 1) == (raw, 0)


def test_encode_bound_values():
    assert rle_encode_bound(1, 1, 1, 1) >= 64 + 2
    assert rle_encode_bound(512, 512, 1, 2) >= 64 + 2 * 512 * 512
    assert rle_encode_bound(1, 1, 3, 8) == 0      # 24 segments: unsupported
    assert rle_encode_bound(1, 1, 1, 3) == 0


# -- interoperability: pydicom, pylibjpeg-rle ---------------------------------------------


class _Runner:
    """The few EncodeRunner attributes pydicom's native RLE frame encoder reads."""

    def __init__(self, rows, cols, samples, bps):
        self.rows, self.columns, self.samples_per_pixel, self.bits_allocated = rows, cols, samples, 8 * bps

    def get_option(self, name, default=None):
        return default


def pydicom_encode(arr: np.ndarray, rows, cols, samples, bps) -> bytes:
    """pydicom's RLE encoder: the public API where it allows the parameters (8 and
    16 bits), else its frame encoder (pydicom.pixels.encoders.native) directly."""
    from pydicom.pixels.encoders import RLELosslessEncoder
    from pydicom.pixels.encoders.native import _encode_frame

    if bps > 2:
        return _encode_frame(arr.tobytes(), _Runner(rows, cols, samples, bps))
    return RLELosslessEncoder.encode(
        arr, encoding_plugin="pydicom", rows=rows, columns=cols, samples_per_pixel=samples,
        bits_allocated=8 * bps, bits_stored=8 * bps, pixel_representation=0,
        photometric_interpretation="RGB" if samples == 3 else "MONOCHROME2",
        planar_configuration=0, number_of_frames=1)


def as_array(data: np.ndarray, rows, cols, samples, bps) -> np.ndarray:
    dtype = np.dtype(f"<u{bps}")
    shape = (rows, cols, samples) if samples > 1 else (rows, cols)
    return np.frombuffer(data.tobytes(), dtype).reshape(shape)


@pytest.mark.parametrize("bps,samples", COMBOS)
@pytest.mark.parametrize("rows,cols", [(1, 1), (3, 5), (17, 130)])
@pytest.mark.parametrize("kind", ["random", "runs", "mixture"])
def test_decodes_pydicom_encoder_output(bps, samples, rows, cols, kind):
    data = sample_data(rows, cols, samples, bps, kind, seed=7)
    enc = pydicom_encode(as_array(data, rows, cols, samples, bps), rows, cols, samples, bps)
    assert ours(enc, rows, cols, samples, bps) == (data.tobytes(), 0)


@needs_pylibjpeg_rle
@pytest.mark.parametrize("bps,samples", COMBOS)
@pytest.mark.parametrize("rows,cols", [(1, 2), (3, 5), (17, 130), (64, 64)])
@pytest.mark.parametrize("kind", ["random", "runs", "mixture"])
def test_decodes_pylibjpeg_rle_encoder_output(bps, samples, rows, cols, kind):
    data = sample_data(rows, cols, samples, bps, kind, seed=11)
    enc = pylibjpeg_encode(data.tobytes(), rows, cols, samples, 8 * bps, "<")
    assert ours(enc, rows, cols, samples, bps) == (data.tobytes(), 0)


@pytest.mark.parametrize("bps,samples", COMBOS)
@pytest.mark.parametrize("rows,cols", [(1, 1), (3, 5), (17, 130)])
@pytest.mark.parametrize("kind", ["random", "runs", "mixture"])
def test_our_encoder_output_decodes_in_pydicom_and_pylibjpeg(bps, samples, rows, cols, kind):
    data = sample_data(rows, cols, samples, bps, kind, seed=13)
    enc = rle_encode_frame(data, rows, cols, samples, bps)
    assert pydicom_oracle(enc, rows, cols, samples, bps) == (data.tobytes(), False)
    if pylibjpeg_decode is not None:
        planar = pylibjpeg_decode(enc, rows * cols, 8 * bps, "<")
        assert planar_to_interleaved(planar, rows, cols, samples, bps) == data.tobytes()


def test_decodes_the_way_pydicom_does_for_odd_segments():
    """Hand-made segments: no-ops, odd lengths, pads, cut runs, excess data."""
    r, c = 2, 3     # 6 bytes per segment
    six = bytes(range(1, 7))
    cases = {
        "literal": [b"\x05" + six],
        "replicate": [b"\xfb\x09"],
        "noops everywhere": [b"\x80\x80\x02\x01\x02\x03\x80\xfe\x07\x80"],
        "even pad 0x00": [b"\x05" + six + b"\x00"],
        "pad 0x80": [b"\x05" + six + b"\x80"],
        "odd, unpadded": [b"\x02\x01\x02\x03\xfe\x09"],
        "literal cut by the segment end, enough bytes": [b"\x03\x01\x02\x03\x04\x0a\x05\x06"],
        "literal cut by the segment end, too few bytes": [b"\x03\x01\x02\x03\x04\x0a\x05"],
        "replicate header is the last byte": [b"\xfb\x09\xfe"],
        "replicate header last, too few": [b"\xfc\x09\xfe"],
        "excess: one more literal": [b"\x05" + six + b"\x00\x63"],
        "excess: run longer than the image": [b"\x81\x07"],
        "excess: literal longer than the image": [b"\x09" + bytes(10)],
        "two segments, first decodes into the second's bytes": [b"\x0b" + six, six + b"\x00"],
        "too short": [b"\x04" + six[:5]],
        "empty literal only": [b"\x00"],
    }
    for name, segs in cases.items():
        nseg = len(segs)
        bps = nseg
        frame = build_frame(segs)
        res = assert_matches_pydicom(frame, r, c, 1, bps)
        if "excess" in name:
            assert not isinstance(res, Exception) and res[1] == RLE_W_EXCESS, name
        if "too few" in name or "too short" in name or "empty literal" in name:
            assert isinstance(res, PixelDataError), name


def test_zero_sized_frame():
    """rows*cols == 0: nothing to decode; the header is still checked (as pydicom does)."""
    frame = build_frame([b""])
    assert ours(frame, 0, 5, 1, 1) == (b"", 0)
    assert pydicom_oracle(frame, 0, 5, 1, 1) == (b"", False)
    with pytest.raises(PixelDataError):
        ours(build_frame([b"", b""]), 0, 5, 1, 1)
    enc = rle_encode_frame(b"", 0, 5, 3, 2)
    assert ours(enc, 0, 5, 3, 2) == (b"", 0)


# -- the corpus: pydicom's test files and pydicom-data ------------------------------------


@lru_cache(maxsize=1)
def rle_corpus() -> tuple[str, ...]:
    """RLE Lossless files of pydicom's test data and pydicom-data (no downloads)."""
    from pydicom.data.data_manager import DATA_ROOT, external_data_sources
    from pydicom.filereader import read_file_meta_info
    from pydicom.uid import RLELossless

    roots = [pathlib.Path(DATA_ROOT) / "test_files"]
    roots += [pathlib.Path(s.data_path) for s in external_data_sources().values()]
    found = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.suffix in (".py", ".pyc", ".json", ".txt", ".md"):
                continue
            with open(path, "rb") as f:
                if f.read(132)[128:] != b"DICM":
                    continue
            try:   # the file meta only: a whole dcmread(force=True) of junk may allocate GBs
                meta = read_file_meta_info(path)
            except Exception:  # noqa: BLE001
                continue
            if meta.get("TransferSyntaxUID") == RLELossless:
                found.append(str(path))
    return tuple(found)


@pytest.mark.corpus
@pytest.mark.parametrize("path", rle_corpus() or ["<none>"], ids=lambda p: os.path.basename(p))
def test_corpus_file_decodes_like_pydicom(path):
    if path == "<none>":
        pytest.skip("no RLE files in pydicom's test data")
    from pydicom.encaps import generate_frames

    ds = pydicom.dcmread(path)
    rows, cols, samples = ds.Rows, ds.Columns, ds.get("SamplesPerPixel", 1)
    bps = ds.BitsAllocated // 8
    nframes = int(ds.get("NumberOfFrames", 1) or 1)
    frames = list(generate_frames(ds.PixelData, number_of_frames=nframes))
    assert len(frames) == nframes
    out = np.empty((nframes, rows * cols * samples * bps), np.uint8)
    for i, frame in enumerate(frames):
        assert rle_decode_frame(frame, out[i], rows, cols, samples, bps, frame=i) == 0
        assert out[i].tobytes() == pydicom_oracle(frame, rows, cols, samples, bps)[0]
    arr = ds.pixel_array      # pydicom's full pipeline
    expected = arr.astype(arr.dtype.newbyteorder("<"), copy=False).reshape(nframes, -1)
    got = out.view(expected.dtype)
    if ds.BitsStored < ds.BitsAllocated:  # pydicom may mask/sign-extend the unused bits
        mask = (1 << ds.BitsStored) - 1
        got, expected = got & mask, expected & mask
    np.testing.assert_array_equal(got, expected)


# -- DCMTK --------------------------------------------------------------------------------

DCMTK_CASES = [  # rows, cols, samples, bps, frames
    (7, 9, 1, 1, 1),
    (16, 33, 1, 2, 2),
    (5, 131, 3, 1, 1),
    (4, 6, 3, 2, 1),
    (3, 5, 1, 4, 1),
]


def write_dicom(path, frames: list[bytes], rows, cols, samples, bps, rle: bool):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate
    from pydicom.uid import ExplicitVRLittleEndian, RLELossless, SecondaryCaptureImageStorage, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = RLELossless if rle else ExplicitVRLittleEndian
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality = "OT"
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, cols, samples
    ds.BitsAllocated = ds.BitsStored = 8 * bps
    ds.HighBit = 8 * bps - 1
    ds.PixelRepresentation = 0
    ds.PhotometricInterpretation = "RGB" if samples == 3 else "MONOCHROME2"
    if samples == 3:
        ds.PlanarConfiguration = 0
    if len(frames) > 1:
        ds.NumberOfFrames = len(frames)
    if rle:
        ds.PixelData = encapsulate(frames)
        ds["PixelData"].VR = "OB"
    else:
        ds.PixelData = b"".join(frames)
        ds["PixelData"].VR = "OB" if bps == 1 else "OW"
    ds.save_as(path, enforce_file_format=True)


def _dcmtk(tool: str):
    exe = shutil.which(tool)
    return pytest.mark.skipif(exe is None, reason=f"DCMTK {tool} is not on PATH")


@pytest.mark.interop
@_dcmtk("dcmdrle")
@pytest.mark.parametrize("rows,cols,samples,bps,nframes", DCMTK_CASES)
def test_dcmdrle_decodes_our_encoder_output(tmp_path, rows, cols, samples, bps, nframes):
    raws = [sample_data(rows, cols, samples, bps, "mixture", seed=i) for i in range(nframes)]
    frames = [rle_encode_frame(r, rows, cols, samples, bps) for r in raws]
    src, dst = tmp_path / "rle.dcm", tmp_path / "native.dcm"
    write_dicom(src, frames, rows, cols, samples, bps, rle=True)
    proc = subprocess.run(["dcmdrle", str(src), str(dst)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    ds = pydicom.dcmread(dst)
    assert ds.file_meta.TransferSyntaxUID != pydicom.uid.RLELossless
    expected = np.stack([as_array(r, rows, cols, samples, bps) for r in raws])
    # pixel_array honours whatever Planar Configuration dcmdrle wrote
    np.testing.assert_array_equal(ds.pixel_array.reshape(expected.shape), expected)


@pytest.mark.interop
@_dcmtk("dcmcrle")
@pytest.mark.parametrize("rows,cols,samples,bps,nframes", DCMTK_CASES)
def test_decodes_dcmcrle_output(tmp_path, rows, cols, samples, bps, nframes):
    from pydicom.encaps import generate_frames

    raws = [sample_data(rows, cols, samples, bps, "runs", seed=i) for i in range(nframes)]
    src, dst = tmp_path / "native.dcm", tmp_path / "rle.dcm"
    write_dicom(src, [r.tobytes() for r in raws], rows, cols, samples, bps, rle=False)
    proc = subprocess.run(["dcmcrle", str(src), str(dst)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    ds = pydicom.dcmread(dst)
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.RLELossless
    for i, frame in enumerate(generate_frames(ds.PixelData, number_of_frames=nframes)):
        assert ours(frame, rows, cols, samples, bps) == (raws[i].tobytes(), 0)


# -- the wrapper's contract ------------------------------------------------------------------


def test_wrong_dst_is_valueerror():
    enc = rle_encode_frame(bytes(12), 3, 4, 1, 1)
    for dst in (np.empty(11, np.uint8), np.empty(13, np.uint8), np.empty((3, 4), np.uint16)):
        with pytest.raises(ValueError, match="needs 12"):
            rle_decode_frame(enc, dst, 3, 4, 1, 1)
    with pytest.raises(ValueError, match="writable"):
        rle_decode_frame(enc, bytes(12), 3, 4, 1, 1)
    ro = np.empty(12, np.uint8)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        rle_decode_frame(enc, ro, 3, 4, 1, 1)
    with pytest.raises(ValueError):
        rle_decode_frame(enc, np.empty((3, 8), np.uint8)[:, ::2], 3, 4, 1, 1)
    with pytest.raises(ValueError):
        rle_decode_frame(enc, np.empty(12, np.uint8), -3, -4, 1, 1)
    with pytest.raises(TypeError):
        rle_decode_frame("not bytes", np.empty(12, np.uint8), 3, 4, 1, 1)


def test_errors_are_pixeldataerror_with_offset_and_frame():
    enc = rle_encode_frame(bytes(range(12)), 3, 4, 1, 1)
    with pytest.raises(PixelDataError) as info:
        rle_decode_frame(enc[:-4], np.empty(12, np.uint8), 3, 4, 1, 1, frame=5)
    exc = info.value
    assert isinstance(exc, InvalidDicomError) and isinstance(exc, ValueError)
    assert exc.frame == 5 and exc.offset == len(enc) - 4
    assert "RLE frame" in str(exc) and "frame 5" in str(exc)


@pytest.mark.parametrize("samples,bps", [(3, 8), (1, 3), (0, 1), (16, 1), (1, 16)])
def test_unsupported_parameters(samples, bps):
    with pytest.raises(PixelDataError, match="unsupported"):
        rle_decode_frame(bytes(64), np.empty(2 * samples * bps, np.uint8), 1, 2, samples, bps)
    with pytest.raises(PixelDataError, match="unsupported"):
        rle_encode_frame(bytes(2 * samples * bps), 1, 2, samples, bps)


def test_encode_argument_errors():
    with pytest.raises(ValueError, match="needs 12"):
        rle_encode_frame(bytes(11), 3, 4, 1, 1)
    with pytest.raises(ValueError, match="planar"):
        rle_encode_frame(bytes(36), 3, 4, 3, 1, planar=2)
    with pytest.raises(ValueError):
        rle_encode_frame(np.empty((3, 8), np.uint8)[:, ::2], 3, 4, 1, 1)


def test_decoding_releases_the_gil_and_is_thread_safe():
    rng = np.random.default_rng(5)
    imgs = [rng.integers(0, 1000, (64, 80), dtype=np.uint16) for _ in range(4)]
    encs = [rle_encode_frame(i, 64, 80, 1, 2) for i in imgs]
    failures = []

    def work(k):
        out = np.empty((64, 80), np.uint16)
        for _ in range(50):
            rle_decode_frame(encs[k], out, 64, 80, 1, 2)
            if not np.array_equal(out, imgs[k]):
                failures.append(k)
            if rle_encode_frame(imgs[k], 64, 80, 1, 2) != encs[k]:
                failures.append(-k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
