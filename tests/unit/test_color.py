"""Colour kernels (csrc/color.c, csrc/lut.c palette path) against pydicom 3.

* YBR_FULL <-> RGB: every one of the 2^24 input triples, bit for bit.
* YBR_FULL_422: expansion as pydicom's _as_array_native (8/16-bit, odd
  columns, multi-frame), fused with YBR -> RGB, and on the corpus file.
* RCT / ICT (ISO/IEC 15444-1 G.2/G.3): round trips.
* Palette colour: pydicom's test files with 8-bit, 16-bit and segmented
  palettes, the well-known palettes, and hypothesis-made LUTs.
"""
from __future__ import annotations

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")
from hypothesis import given, strategies as st  # noqa: E402
from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.dataset import Dataset as PDataset, FileMetaDataset  # noqa: E402
from pydicom.pixels import processing as pp  # noqa: E402
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian  # noqa: E402

import dcmfast  # noqa: E402
from dcmfast import processing as dp  # noqa: E402
from dcmfast.errors import PixelDataError  # noqa: E402


def _all_triples() -> np.ndarray:
    v = np.arange(1 << 24, dtype=np.uint32)
    return np.stack([(v >> 16) & 255, (v >> 8) & 255, v & 255], axis=-1).astype(np.uint8)


def _testfile(name: str) -> str:
    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"{name} not available")
    return path


# ---- YBR_FULL <-> RGB -------------------------------------------------------------

@pytest.fixture(scope="module")
def triples() -> np.ndarray:
    return _all_triples().reshape(4096, 4096, 3)


def test_ybr_full_to_rgb_exhaustive(triples):
    """All 2^24 (Y, Cb, Cr): identical to pydicom's float32 matmul result."""
    ours = dp.convert_color_space(triples, "YBR_FULL", "RGB")
    theirs = pp.convert_color_space(triples, "YBR_FULL", "RGB")
    diff = np.any(ours != theirs, axis=-1)
    assert not diff.any(), f"{int(diff.sum())} triples differ, e.g. {triples[diff][:5].tolist()}"


def test_rgb_to_ybr_full_exhaustive(triples):
    ours = dp.convert_color_space(triples, "RGB", "YBR_FULL")
    theirs = pp.convert_color_space(triples, "RGB", "YBR_FULL")
    diff = np.any(ours != theirs, axis=-1)
    assert not diff.any(), f"{int(diff.sum())} triples differ, e.g. {triples[diff][:5].tolist()}"


def test_ybr422_fused_exhaustive(triples):
    """The fused 422 -> RGB path (SSE2 groups of 8 pairs and the scalar tail)
    over every (Y1, Cb, Cr), with Y2 = Y1 ^ 0x55."""
    t = triples.reshape(-1, 3)
    pairs = np.empty((t.shape[0], 4), dtype=np.uint8)
    pairs[:, 0] = t[:, 0]
    pairs[:, 1] = t[:, 0] ^ 0x55
    pairs[:, 2] = t[:, 1]
    pairs[:, 3] = t[:, 2]
    out = np.empty((t.shape[0], 2, 3), dtype=np.uint8)
    dp.ybr422_expand(pairs.reshape(-1), out, 1, ybr_to_rgb=True)
    ybr = np.empty((t.shape[0], 2, 3), dtype=np.uint8)
    ybr[:, 0] = t
    ybr[:, 1, 0] = pairs[:, 1]
    ybr[:, 1, 1:] = t[:, 1:]
    expected = pp.convert_color_space(ybr.reshape(4096, 8192, 3), "YBR_FULL", "RGB")
    assert np.array_equal(out.reshape(4096, 8192, 3), expected)


@pytest.mark.parametrize("shape", [(3,), (1, 3), (1, 1, 3), (7, 5, 3), (2, 3, 4, 3), (1, 1, 1, 3)])
@pytest.mark.parametrize("conv", [("YBR_FULL", "RGB"), ("RGB", "YBR_FULL"),
                                  ("YBR_FULL_422", "RGB"), ("RGB", "YBR_FULL_422")])
def test_convert_color_space_shapes(shape, conv):
    rng = np.random.default_rng(sum(shape))
    arr = rng.integers(0, 256, shape, dtype=np.uint8)
    ours = dp.convert_color_space(arr, *conv)
    theirs = pp.convert_color_space(arr.copy(), *conv)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert np.array_equal(ours, theirs)
    assert ours is not arr


def test_convert_color_space_per_frame_and_views():
    rng = np.random.default_rng(7)
    arr = rng.integers(0, 256, (3, 6, 5, 3), dtype=np.uint8)
    expected = pp.convert_color_space(arr.copy(), "YBR_FULL", "RGB")
    work = arr.copy()
    out = dp.convert_color_space(work, "YBR_FULL", "RGB", per_frame=True)
    assert out is work and np.array_equal(out, expected)
    # non-contiguous input and per_frame on a non-contiguous view
    big = np.zeros((3, 6, 10, 3), dtype=np.uint8)
    big[:, :, ::2] = arr
    view = big[:, :, ::2]
    assert np.array_equal(dp.convert_color_space(view, "YBR_FULL", "RGB"), expected)
    out = dp.convert_color_space(view, "YBR_FULL", "RGB", per_frame=True)
    assert out is view and np.array_equal(big[:, :, ::2], expected)
    # no change returns the same object, like pydicom
    assert dp.convert_color_space(arr, "YBR_FULL_422", "YBR_FULL") is arr
    assert dp.convert_color_space(arr, "RGB", "RGB") is arr


def test_convert_color_space_errors():
    with pytest.raises(ValueError, match="uint8"):
        dp.convert_color_space(np.zeros((2, 2, 3), np.uint16), "YBR_FULL", "RGB")
    with pytest.raises(NotImplementedError):
        dp.convert_color_space(np.zeros((2, 2, 3), np.uint8), "YBR_ICT", "RGB")
    with pytest.raises(ValueError):
        dp.convert_color_space(np.zeros((2, 2, 4), np.uint8), "YBR_FULL", "RGB")
    ro = np.zeros((2, 2, 2, 3), np.uint8)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        dp.convert_color_space(ro, "YBR_FULL", "RGB", per_frame=True)


def test_inplace_helpers():
    rng = np.random.default_rng(3)
    arr = rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    expected = pp.convert_color_space(arr, "YBR_FULL", "RGB")
    work = arr.copy()
    assert dp.ybr_full_to_rgb_inplace(work) is work
    assert np.array_equal(work, expected)
    assert np.array_equal(dp.rgb_to_ybr_full_inplace(work.copy()),
                          pp.convert_color_space(expected, "RGB", "YBR_FULL"))
    flat = dp.ybr_full_to_rgb(arr.tobytes())
    assert flat.shape == (arr.size,) and np.array_equal(flat, expected.reshape(-1))


# ---- YBR_FULL_422 expansion ---------------------------------------------------------

def _pyd_422(rows, cols, frames, bits, data):
    ds = PDataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.Rows, ds.Columns, ds.NumberOfFrames = rows, cols, frames
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    ds.PlanarConfiguration = 0
    ds.PixelData = data
    return ds


@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("rows,cols,frames", [(4, 6, 1), (4, 5, 1), (3, 5, 2), (1, 2, 1), (16, 17, 4),
                                              (5, 40, 1)])
def test_ybr422_expand_matches_pydicom(bits, rows, cols, frames):
    from pydicom.pixels import pixel_array

    rng = np.random.default_rng(rows * cols * frames + bits)
    npix = rows * cols * frames
    dtype = np.dtype(f"u{bits // 8}")
    data = rng.integers(0, 2**bits, 2 * npix, dtype=dtype).tobytes()
    ds = _pyd_422(rows, cols, frames, bits, data + (b"\0" if len(data) % 2 else b""))
    expected = pixel_array(ds, as_rgb=False)
    out = np.empty(expected.shape, dtype=dtype)
    assert dp.ybr422_expand(data, out, bits // 8) is out
    assert np.array_equal(out, expected)
    if bits == 8:
        rgb = np.empty(expected.shape, dtype=dtype)
        dp.ybr422_expand(data, rgb, 1, ybr_to_rgb=True)
        assert np.array_equal(rgb, ds.pixel_array)


@pytest.mark.parametrize("bits,to_rgb", [(8, False), (8, True), (16, False)])
def test_ybr422_expand_in_place(bits, to_rgb):
    rng = np.random.default_rng(11)
    npix = 2 * 37
    dtype = np.dtype(f"u{bits // 8}")
    data = rng.integers(0, 2**bits, 2 * npix, dtype=dtype)
    expected = np.empty(3 * npix, dtype=dtype)
    dp.ybr422_expand(data.tobytes(), expected, bits // 8, ybr_to_rgb=to_rgb)
    buf = np.zeros(3 * npix, dtype=dtype)
    buf[: 2 * npix] = data
    dp.ybr422_expand(buf, buf, bits // 8, ybr_to_rgb=to_rgb)
    assert np.array_equal(buf, expected)


@pytest.mark.parametrize("npairs", list(range(1, 41)) + [1000, 12345])
def test_ybr422_expand_group_boundaries(npairs):
    """The SIMD path works on groups of 8 pairs and stays 2 bytes inside the
    output; every length up to 5 groups plus a tail, against numpy/pydicom."""
    rng = np.random.default_rng(npairs)
    src = rng.integers(0, 256, 4 * npairs, dtype=np.uint8)
    ref = np.empty(6 * npairs, np.uint8)
    ref[::6], ref[3::6] = src[::4], src[1::4]
    ref[1::6], ref[4::6] = src[2::4], src[2::4]
    ref[2::6], ref[5::6] = src[3::4], src[3::4]
    guard = np.full(6 * npairs + 16, 0xA5, np.uint8)
    out = guard[: 6 * npairs]
    dp.ybr422_expand(src, out, 1)
    assert np.array_equal(out, ref) and (guard[6 * npairs:] == 0xA5).all()
    dp.ybr422_expand(src, out, 1, ybr_to_rgb=True)
    assert np.array_equal(out, pp.convert_color_space(ref.reshape(-1, 3), "YBR_FULL", "RGB").reshape(-1))
    assert (guard[6 * npairs:] == 0xA5).all()


def test_ybr422_corpus_file():
    path = _testfile("SC_ybr_full_422_uncompressed.dcm")
    ds = pydicom.dcmread(path)
    fast = dcmfast.dcmread(path)
    out = np.empty((fast.Rows, fast.Columns, 3), dtype=np.uint8)
    dp.ybr422_expand(fast.PixelData, out, 1, ybr_to_rgb=True)
    assert np.array_equal(out, ds.pixel_array)


def test_ybr422_odd_pixel_count_is_an_error():
    with pytest.raises(ValueError, match="even number of pixels"):
        dp.ybr422_expand(b"\0" * 30, np.empty((3, 5, 3), np.uint8), 1)


# ---- RCT / ICT ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype,precision", [("u1", None), ("i1", None), ("u2", None), ("u2", 12),
                                             ("i2", None), ("i2", 10), ("u1", 5)])
@pytest.mark.parametrize("planar", [False, True])
def test_rct_round_trip_exact(dtype, precision, planar):
    rng = np.random.default_rng(5)
    dt = np.dtype(dtype)
    bits = precision or 8 * dt.itemsize
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if dt.kind == "i" else (0, (1 << bits) - 1)
    rgb = rng.integers(lo, hi + 1, (13, 7, 3)).astype(dt)
    rgb[0, 0] = lo
    rgb[0, 1] = hi
    comps = dp.rct_forward(rgb, precision=precision, planar=planar)
    assert comps.dtype == np.int32
    # G.2.1 by hand
    shift = 0 if dt.kind == "i" else 1 << (bits - 1)
    r, g, b = (rgb[..., i].astype(np.int64) - shift for i in range(3))
    want = np.stack([np.floor_divide(r + 2 * g + b, 4), b - g, r - g], axis=-1)
    got = np.moveaxis(comps, 0, -1) if planar else comps
    assert np.array_equal(got, want)
    back = dp.rct_inverse(comps, np.empty_like(rgb), precision=precision, planar=planar)
    assert np.array_equal(back, rgb)


@pytest.mark.parametrize("dtype", ["u1", "i1", "u2", "i2"])
def test_ict_round_trip_within_one(dtype):
    rng = np.random.default_rng(6)
    dt = np.dtype(dtype)
    info = np.iinfo(dt)
    rgb = rng.integers(info.min, int(info.max) + 1, (17, 9, 3)).astype(dt)
    comps = dp.ict_forward(rgb)
    assert comps.dtype == np.float32
    back = dp.ict_inverse(comps, np.empty_like(rgb))
    assert np.abs(back.astype(np.int64) - rgb).max() <= 1


def test_rct_inverse_rejects_runaway_components():
    comps = np.full((4, 3), 1 << 30, dtype=np.int32)
    with pytest.raises(PixelDataError):
        dp.rct_inverse(comps, np.empty((4, 3), np.uint8))


# ---- palette colour ---------------------------------------------------------------------

PALETTE_FILES = ["OBXXXX1A.dcm", "OBXXXX1A_rle.dcm", "OBXXXX1A_expb.dcm", "OBXXXX1A_2frame.dcm",
                 "OBXXXX1A_expb_2frame.dcm", "examples_palette.dcm", "gdcm-US-ALOKA-16.dcm",
                 "gdcm-US-ALOKA-16_big.dcm"]


@pytest.mark.parametrize("name", PALETTE_FILES)
def test_apply_color_lut_files(name):
    path = _testfile(name)
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    expected = pp.apply_color_lut(arr, ds)
    for source in (dcmfast.dcmread(path), ds):
        ours = dp.apply_color_lut(arr, source)
        assert ours.dtype == expected.dtype and ours.shape == expected.shape
        assert np.array_equal(ours, expected)


@pytest.mark.parametrize("palette", ["HOT_IRON", "PET", "HOT_METAL_BLUE", "PET_20_STEP", "SPRING",
                                     "SUMMER", "1.2.840.10008.1.5.1", "1.2.840.10008.1.5.7",
                                     "1.2.840.10008.1.5.8"])
def test_well_known_palettes(palette):
    arr = np.arange(256, dtype=np.uint8).reshape(16, 16)
    assert np.array_equal(dp.apply_color_lut(arr, palette=palette),
                          pp.apply_color_lut(arr, palette=palette))


def test_fall_and_winter_follow_the_standard():
    """PS3.6 Annex B: FALL is 1.2.840.10008.1.5.7, WINTER .8 (pydicom swaps the names)."""
    arr = np.arange(256, dtype=np.uint8)
    assert np.array_equal(dp.apply_color_lut(arr, palette="FALL"),
                          pp.apply_color_lut(arr, palette="1.2.840.10008.1.5.7"))
    assert np.array_equal(dp.apply_color_lut(arr, palette="WINTER"),
                          pp.apply_color_lut(arr, palette="1.2.840.10008.1.5.8"))
    with pytest.raises(ValueError, match="Unknown palette"):
        dp.apply_color_lut(arr, palette="AUTUMN")
    with pytest.raises(ValueError):
        dp.apply_color_lut(arr)


def _palette_ds(entries, first, bits, luts, alpha=None, big_endian=False):
    ds = PDataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian if big_endian else ExplicitVRLittleEndian
    desc = [entries, first, bits]
    ds.RedPaletteColorLookupTableDescriptor = desc
    ds.GreenPaletteColorLookupTableDescriptor = desc
    ds.BluePaletteColorLookupTableDescriptor = desc
    ds.RedPaletteColorLookupTableData = luts[0].tobytes()
    ds.GreenPaletteColorLookupTableData = luts[1].tobytes()
    ds.BluePaletteColorLookupTableData = luts[2].tobytes()
    if alpha is not None:
        ds.AlphaPaletteColorLookupTableData = alpha.tobytes()
    return ds


@given(
    data=st.data(),
    entries=st.integers(1, 600),
    first=st.integers(-300, 300),
    entry_dtype=st.sampled_from(["u1", "u2"]),
    pix_dtype=st.sampled_from(["u1", "i1", "u2", "i2", "u4", "i4", "i8", "f8"]),
    alpha=st.booleans(),
)
def test_apply_color_lut_hypothesis(data, entries, first, entry_dtype, pix_dtype, alpha):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    edt = np.dtype(entry_dtype)
    luts = [rng.integers(0, np.iinfo(edt).max + 1, entries, dtype=edt) for _ in range(4)]
    ds = _palette_ds(entries, first, 8 * edt.itemsize, luts, luts[3] if alpha else None)
    pdt = np.dtype(pix_dtype)
    lo, hi = (-1000, 70000) if pdt.kind in "if" else (0, 70000)
    if pdt.kind != "f":
        lo, hi = max(lo, int(np.iinfo(pdt).min)), min(hi, int(np.iinfo(pdt).max))
    arr = rng.integers(lo, hi + 1, data.draw(st.integers(0, 50))).astype(pdt)
    try:
        expected = pp.apply_color_lut(arr, ds)
    except IndexError:  # pydicom: an index past the LUT data
        with pytest.raises(PixelDataError):
            dp.apply_color_lut(arr, ds)
        return
    ours = dp.apply_color_lut(arr, ds)
    assert ours.dtype == expected.dtype and ours.shape == expected.shape
    assert np.array_equal(ours, expected)


# ---- segmented palette LUTs (C.7.9.2) -----------------------------------------------

@st.composite
def _segments(draw):
    """Segment lists mostly as the standard writes them, with some oddities."""
    words: list[int] = []
    starts: list[int] = []
    maxv = draw(st.sampled_from([255, 65535]))
    n = draw(st.integers(1, 8))
    for i in range(n):
        starts.append(len(words))
        kind = draw(st.sampled_from([0, 0, 1, 1, 2, 9])) if i else draw(st.sampled_from([0, 0, 1, 2]))
        if kind == 0:
            vals = draw(st.lists(st.integers(0, maxv), max_size=6))
            words += [0, len(vals) + draw(st.sampled_from([0, 0, 0, 3]))] + vals
        elif kind == 1:
            words += [1, draw(st.integers(0, 300)), draw(st.integers(0, maxv))]
        elif kind == 2:
            target = draw(st.sampled_from(starts)) if starts else 0
            count = draw(st.integers(0, 3))
            if maxv == 255:
                words += [2, count, target & 0xFF, (target >> 8) & 0xFF, 0, 0]
            else:
                words += [2, count, target & 0xFFFF, target >> 16]
        else:
            words += [kind, 1]
    if draw(st.booleans()):
        words.append(0)  # trailing null
    return maxv, words


@given(seg=_segments(), little=st.booleans())
def test_segmented_lut_matches_pydicom(seg, little):
    from struct import pack

    maxv, words = seg
    wb = 1 if maxv == 255 else 2
    fmt = f"{'><'[little]}{len(words)}{'B' if wb == 1 else 'H'}"
    words = [w & maxv for w in words]
    raw = pack(fmt, *words)
    try:
        expected = pp._expand_segmented_lut(words, fmt)
    except (ValueError, IndexError, ZeroDivisionError, RecursionError):
        with pytest.raises(PixelDataError):
            dp.segmented_lut_expand(raw, wb, little)
        return
    if len(expected) > 65536:
        with pytest.raises(PixelDataError):
            dp.segmented_lut_expand(raw, wb, little)
        return
    ours = dp.segmented_lut_expand(raw, wb, little)
    assert ours.tolist() == expected
