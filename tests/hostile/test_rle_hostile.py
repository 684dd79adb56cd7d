"""Hostile RLE Lossless frames: the kernel fails cleanly, never crashes.

Contract (csrc/rle.h, dcmfast._pixels.rle_decode_frame):

- a frame that is truncated, corrupt or has a lying header raises
  :class:`dcmfast.errors.PixelDataError` (a subclass of InvalidDicomError and
  ValueError) whose ``offset`` is a byte offset inside the frame;
- a ``dst`` of the wrong size, read-only or strided raises ValueError before
  the kernel runs;
- wherever pydicom 3's own decoder succeeds we succeed with the same bytes,
  and wherever it raises we raise (:func:`assert_matches_pydicom`). The one
  deliberate difference: a used segment offset below 64 (inside the RLE
  header) is refused, where pydicom would decode the header's own bytes as
  pixel data.

Memory safety is the sanitizer run's job (tools/run_sanitized.sh runs these
tests under ASan + UBSan); :func:`test_subprocess_fuzz_smoke` reports a crash
as a failing test instead of a dead pytest.
"""
from __future__ import annotations

import os
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dcmfast import InvalidDicomError
from dcmfast._pixels import RLE_W_EXCESS, rle_decode_frame, rle_encode_frame
from dcmfast.errors import PixelDataError

pytest.importorskip("pydicom")
from tests.unit.test_rle import (  # noqa: E402
    COMBOS,
    assert_matches_pydicom,
    build_frame,
    ours,
    pydicom_oracle,
    sample_data,
)

pytestmark = pytest.mark.hostile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_EXAMPLES = settings.default.max_examples  # 50 with the dev profile, 200 with ci

#: small frames (rows, cols, samples, bytes_per_sample, kind) for cuts and flips
SMALL = [
    (5, 7, 3, 2, "mixture"),   # 6 segments, mixed runs
    (4, 9, 1, 1, "runs"),      # 1 segment, replicate runs
    (3, 11, 1, 2, "random"),   # 2 segments, literals
    (2, 5, 1, 8, "mixture"),   # 8 segments
    (1, 130, 3, 1, "runs"),    # 3 segments, runs crossing the 128 limit
]


def encoded(rows, cols, samples, bps, kind):
    return rle_encode_frame(sample_data(rows, cols, samples, bps, kind, seed=rows + cols), rows, cols,
                            samples, bps)


def set_u32(frame: bytes, at: int, value: int) -> bytes:
    return frame[:at] + struct.pack("<L", value) + frame[at + 4:]


# -- truncation ------------------------------------------------------------------------------


@pytest.mark.parametrize("rows,cols,samples,bps,kind", SMALL)
def test_truncated_at_every_cut(rows, cols, samples, bps, kind):
    frame = encoded(rows, cols, samples, bps, kind)
    for cut in range(len(frame)):
        res = assert_matches_pydicom(frame[:cut], rows, cols, samples, bps)
        if cut < 64:
            assert isinstance(res, PixelDataError) and res.offset == cut
        elif cut < len(frame) - 1:
            # only the last segment's 0x00 pad byte can go without losing data
            assert isinstance(res, PixelDataError), cut


# -- lying headers ------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1, 5, 7, 15, 16, 0x80000000, 0xFFFFFFFF])
def test_lying_segment_count(count):
    frame = encoded(5, 7, 3, 2, "mixture")   # 6 segments
    res = assert_matches_pydicom(set_u32(frame, 0, count), 5, 7, 3, 2)
    assert isinstance(res, PixelDataError) and res.offset == 0


def _offsets(frame, nseg):
    return list(struct.unpack_from(f"<{nseg}L", frame, 4))


def _with_offsets(frame, offs):
    for k, o in enumerate(offs):
        frame = set_u32(frame, 4 + 4 * k, o)
    return frame


LIES = {
    # name: (function of (offsets, frame length) -> offsets, index of the field we blame)
    "last past the end": (lambda o, n: o[:-1] + [n + 10], 5),
    "last at the end": (lambda o, n: o[:-1] + [n], 5),
    "middle past the end": (lambda o, n: o[:2] + [n + 1] + o[3:], 2),
    "huge": (lambda o, n: o[:1] + [0xFFFFFFFF] + o[2:], 1),
    "decreasing": (lambda o, n: [o[0], o[2], o[1]] + o[3:], 2),
    "equal": (lambda o, n: [o[0], o[1], o[1]] + o[3:], 2),
    "zero": (lambda o, n: [o[0], 0] + o[2:], 1),
    "first zero": (lambda o, n: [0] + o[1:], 0),
    "first inside the header": (lambda o, n: [32] + o[1:], 0),
    "first at 63": (lambda o, n: [63] + o[1:], 0),
    "middle inside the header": (lambda o, n: [o[0], 40] + o[2:], 1),
}


@pytest.mark.parametrize("lie", sorted(LIES))
def test_lying_offsets(lie):
    rows, cols, samples, bps = 5, 7, 3, 2
    frame = encoded(rows, cols, samples, bps, "mixture")
    make, field = LIES[lie]
    bad = _with_offsets(frame, make(_offsets(frame, 6), len(frame)))
    res = assert_matches_pydicom(bad, rows, cols, samples, bps)
    assert isinstance(res, PixelDataError), lie
    assert res.offset == 4 + 4 * field, (lie, res.offset)


def test_first_offset_inside_header_is_refused_even_where_pydicom_decodes_it():
    """Deliberate difference from pydicom (see csrc/rle.c): segment data read from
    the RLE header itself is garbage, never what a conformant encoder wrote."""
    # offset 0: the header (01 00 00 00, then zeros) reads as literal runs of
    # zeros, enough for the 8 pixels, so pydicom returns zeros.
    segment = b"\xf9\x05"                      # replicate 8 x 0x05
    frame = build_frame([segment], offsets=[0])
    expected = pydicom_oracle(frame, 2, 4, 1, 1)
    assert not isinstance(expected, Exception), "pydicom decodes the header as pixels"
    with pytest.raises(PixelDataError, match="corrupt") as info:
        ours(frame, 2, 4, 1, 1)
    assert info.value.offset == 4


def test_unused_offsets_are_ignored_like_pydicom():
    frame = encoded(5, 7, 3, 2, "mixture")
    for k in range(6, 15):
        frame = set_u32(frame, 4 + 4 * k, 0xDEAD0000 + k)
    res = assert_matches_pydicom(frame, 5, 7, 3, 2)
    assert not isinstance(res, Exception)


def test_first_offset_past_64_skips_bytes_like_pydicom():
    seg = b"\x80\x80\xf9\x05"   # two bytes skipped by the offset are no-ops anyway
    for first in (64, 65, 66):
        res = assert_matches_pydicom(build_frame([seg], offsets=[first]), 2, 4, 1, 1)
        assert not isinstance(res, Exception)


# -- runs that cross the end of their segment -------------------------------------------------


def test_literal_crossing_segment_end_stops_at_the_segment():
    """A literal in segment 0 claims 128 bytes but the segment ends: the bytes
    after it belong to segment 1 and are not read into segment 0."""
    seg0 = b"\x7f\x01\x02\x03"          # literal of 128, only 3 present
    seg1 = b"\x02\x0a\x0b\x0c\x00"      # LSBs
    res = assert_matches_pydicom(build_frame([seg0, seg1]), 1, 3, 1, 2)
    assert res == (bytes([0x0a, 1, 0x0b, 2, 0x0c, 3]), 0)
    # one byte short in segment 0: an error, at the end of segment 0
    res = assert_matches_pydicom(build_frame([b"\x7f\x01\x02", seg1]), 1, 3, 1, 2)
    assert isinstance(res, PixelDataError) and res.offset == 64 + 3


def test_replicate_without_its_byte_at_segment_end():
    res = assert_matches_pydicom(build_frame([b"\xfe\x01\xfe", b"\xfe\x02\x81"]), 1, 3, 1, 2)
    assert res == (bytes([2, 1]) * 3, 0)
    res = assert_matches_pydicom(build_frame([b"\xff\x01\xfe", b"\xfe\x02\x81"]), 1, 3, 1, 2)
    assert isinstance(res, PixelDataError)


def test_runs_longer_than_the_image_keep_the_first_rows_x_cols():
    # pydicom keeps the first rows*cols bytes and warns; we do the same and say so
    res = assert_matches_pydicom(build_frame([b"\x81\x07", b"\x7f" + bytes(range(128))]), 2, 3, 1, 2)
    assert res == (bytes([0, 7, 1, 7, 2, 7, 3, 7, 4, 7, 5, 7]), RLE_W_EXCESS)


def test_empty_and_noop_only_segments():
    for seg in (b"\x80", b"\x80" * 9, b"\x00", b"\xff"):
        res = assert_matches_pydicom(build_frame([seg]), 1, 1, 1, 1)
        assert isinstance(res, PixelDataError)


def test_big_image_tiny_frame_fails_fast():
    """A lying Rows x Columns with a few bytes of data: short input, no huge work."""
    rows = cols = 1024
    frame = build_frame([b"\x81\x00", b"\x81\x00"])
    dst = np.empty((rows, cols), np.uint16)
    with pytest.raises(PixelDataError, match="shorter") as info:
        rle_decode_frame(frame, dst, rows, cols, 1, 2)
    assert info.value.offset == 66


# -- wrong destination ---------------------------------------------------------------------------


@pytest.mark.parametrize("delta", [-2, -1, 1, 64])
def test_dst_wrong_size_is_valueerror(delta):
    frame = encoded(5, 7, 3, 2, "mixture")
    with pytest.raises(ValueError, match="needs 210") as info:
        rle_decode_frame(frame, np.empty(5 * 7 * 3 * 2 + delta, np.uint8), 5, 7, 3, 2)
    assert not isinstance(info.value, InvalidDicomError), "a caller error, not bad data"


# -- random damage (hypothesis) --------------------------------------------------------------------


def _flip(frame: bytes, data) -> bytes:
    buf = bytearray(frame)
    for _ in range(data.draw(st.integers(1, 4))):
        where = data.draw(st.one_of(st.integers(0, 63), st.integers(0, len(buf) - 1)))
        buf[where] = data.draw(st.one_of(st.sampled_from([0x00, 0x7F, 0x80, 0x81, 0xFF]),
                                         st.integers(0, 255)))
    if data.draw(st.booleans()):
        buf = buf[: data.draw(st.integers(0, len(buf)))]
    return bytes(buf)


@settings(max_examples=4 * _EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_byte_flips_match_pydicom(data):
    rows, cols, samples, bps, kind = data.draw(st.sampled_from(SMALL))
    frame = _flip(encoded(rows, cols, samples, bps, kind), data)
    assert_matches_pydicom(frame, rows, cols, samples, bps)


@settings(max_examples=4 * _EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_frames_match_pydicom(data):
    """A header with the right count and arbitrary offsets over arbitrary bytes."""
    bps, samples = data.draw(st.sampled_from(COMBOS))
    nseg = bps * samples
    rows, cols = data.draw(st.integers(0, 4)), data.draw(st.integers(0, 9))
    body = data.draw(st.binary(max_size=300))
    n = 64 + len(body)
    offs = data.draw(st.lists(st.one_of(st.integers(60, n + 2), st.integers(0, 0xFFFFFFFF)),
                              min_size=nseg, max_size=nseg))
    if data.draw(st.booleans()):
        offs.sort()
    frame = build_frame([body], count=nseg, offsets=offs)
    assert_matches_pydicom(frame, rows, cols, samples, bps)


# -- slow: exhaustive and long runs ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("rows,cols,samples,bps,kind", SMALL)
def test_every_byte_set_to_interesting_values(rows, cols, samples, bps, kind):
    frame = encoded(rows, cols, samples, bps, kind)
    for pos in range(len(frame)):
        for value in {0x00, 0x01, 0x7F, 0x80, 0x81, 0xFE, 0xFF, frame[pos] ^ 0x01}:
            bad = frame[:pos] + bytes([value]) + frame[pos + 1:]
            assert_matches_pydicom(bad, rows, cols, samples, bps)


@pytest.mark.slow
@settings(max_examples=50 * _EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_byte_flips_match_pydicom_long(data):
    test_byte_flips_match_pydicom.hypothesis.inner_test(data=data)


@pytest.mark.slow
@settings(max_examples=50 * _EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_frames_match_pydicom_long(data):
    test_random_frames_match_pydicom.hypothesis.inner_test(data=data)


def test_subprocess_fuzz_smoke():
    """A few thousand mutations in a child process: a crash fails this test."""
    code = textwrap.dedent("""
        import faulthandler, random, sys
        import numpy as np
        faulthandler.enable()
        from dcmfast._pixels import rle_decode_frame, rle_encode_frame
        from dcmfast.errors import PixelDataError
        rng = random.Random(1234)
        cases = [(5, 7, 3, 2), (4, 9, 1, 1), (3, 131, 1, 2), (2, 5, 1, 8), (9, 40, 3, 1)]
        n_err = n_ok = 0
        for rows, cols, spp, bps in cases:
            raw = bytes(rng.choice([0, 0, 0, 1, 7, 255, rng.randrange(256)])
                        for _ in range(rows * cols * spp * bps))
            frame = rle_encode_frame(raw, rows, cols, spp, bps)
            dst = np.empty(len(raw), np.uint8)
            for _ in range(800):
                buf = bytearray(frame)
                for _ in range(rng.randrange(1, 6)):
                    buf[rng.randrange(len(buf))] = rng.randrange(256)
                if rng.random() < 0.3:
                    buf = buf[:rng.randrange(len(buf) + 1)]
                try:
                    rle_decode_frame(bytes(buf), dst, rows, cols, spp, bps)
                    n_ok += 1
                except PixelDataError as exc:
                    assert 0 <= exc.offset <= len(buf), exc.offset
                    n_err += 1
        print(n_ok, n_err)
    """)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ok, err = map(int, proc.stdout.split())
    assert ok + err == 5 * 800 and err > 0
