"""Hostile input to the colour and LUT kernels: lying LUT descriptors,
runaway or looping segmented LUTs, wrong-size and overlapping buffers.

Every case must end in a clean ValueError (PixelDataError is one) - never a
crash, a hang or an allocation the input does not justify (under
tools/run_sanitized.sh ASan would flag any single allocation above 1 GiB and
any out-of-bounds access).
"""
from __future__ import annotations

import struct
import time

import numpy as np
import pytest

from dcmfast import processing as dp
from dcmfast.errors import PixelDataError

pydicom = pytest.importorskip("pydicom")
from pydicom.dataset import Dataset as PDataset, FileMetaDataset  # noqa: E402
from pydicom.sequence import Sequence as PSequence  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian  # noqa: E402

pytestmark = pytest.mark.hostile


def _meta(ds):
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def _palette(desc, data=None, segmented=None):
    ds = _meta(PDataset())
    for c in ("Red", "Green", "Blue"):
        setattr(ds, f"{c}PaletteColorLookupTableDescriptor", desc)
        if data is not None:
            setattr(ds, f"{c}PaletteColorLookupTableData", data)
        if segmented is not None:
            ds.add_new({"Red": 0x00281221, "Green": 0x00281222, "Blue": 0x00281223}[c], "OW",
                       segmented)
    return ds


# ---- palette descriptors that lie --------------------------------------------------------

@pytest.mark.parametrize("desc,nbytes", [
    ([4096, 0, 16], 512),    # more entries than data: 1 bit per entry
    ([0, 0, 16], 512),       # 0 = 65536 entries
    ([256, 0, 16], 3 * 256),  # 24 bits per entry
    ([100, 0, 16], 1),
])
def test_palette_descriptor_data_mismatch(desc, nbytes):
    ds = _palette(desc, data=bytes(nbytes))
    with pytest.raises(ValueError):
        dp.apply_color_lut(np.arange(10, dtype=np.uint8), ds)


@pytest.mark.parametrize("bits", [0, 1, 12, 24, -16])
def test_palette_descriptor_bits(bits):
    ds = _palette([256, 0, bits], segmented=struct.pack("<3H", 0, 1, 5))
    with pytest.raises(ValueError):
        dp.apply_color_lut(np.arange(10, dtype=np.uint8), ds)


@pytest.mark.parametrize("nominal,data_bits", [(8, 16), (16, 8)])
def test_palette_8_vs_16_bits_follows_the_data(nominal, data_bits):
    """pydicom (and the standard's OW) size entries from the data, not the descriptor."""
    lut = np.arange(256, dtype=f"u{data_bits // 8}")[::-1].copy()
    ds = _palette([256, 0, nominal], data=lut.tobytes())
    arr = np.arange(256, dtype=np.uint8)
    out = dp.apply_color_lut(arr, ds)
    assert out.dtype == lut.dtype and np.array_equal(out[:, 0], lut)
    from pydicom.pixels.processing import apply_color_lut

    assert np.array_equal(out, apply_color_lut(arr, ds))


def test_palette_channels_of_different_lengths():
    ds = _palette([256, 0, 16], data=bytes(512))
    ds.GreenPaletteColorLookupTableData = bytes(510)
    with pytest.raises(ValueError):
        dp.apply_color_lut(np.arange(10, dtype=np.uint8), ds)


def test_palette_indices_past_the_data():
    """The descriptor promises 65536 entries, the data holds 256 (but says 16
    bits), pixels index far beyond: PixelDataError, not IndexError/garbage."""
    ds = _palette([256, 0, 16], data=bytes(512))
    arr = np.array([0, 255, 256, 40000], dtype=np.uint16)
    out = dp.apply_color_lut(arr, ds)  # clipped to entry 255, like pydicom
    assert out.shape == (4, 3)
    lut = np.arange(256, dtype=np.uint16)
    ds = _palette([4096, 0, 16], data=lut.tobytes())
    ds.RedPaletteColorLookupTableData = ds.GreenPaletteColorLookupTableData = \
        ds.BluePaletteColorLookupTableData = np.arange(4096, dtype=np.uint8).tobytes()[:4096]
    # 4096 bytes / 4096 entries = 8-bit entries: index 4000 is inside, fine
    assert dp.apply_color_lut(np.array([4000], np.uint16), ds).tolist() == [[4000 % 256] * 3]


# ---- segmented LUTs -------------------------------------------------------------------------

def _seg16(*words):
    return struct.pack(f"<{len(words)}H", *words)


def _expand_quickly(raw, wb=2):
    t = time.perf_counter()
    try:
        return dp.segmented_lut_expand(raw, wb, True)
    finally:
        assert time.perf_counter() - t < 2.0


@pytest.mark.parametrize("words", [
    (1, 10, 5),                          # linear first
    (2, 1, 0, 0),                        # indirect first
    (7, 1, 0),                           # unknown opcode
    (0, 1, 9, 1, 5),                     # linear without its end value
    (0, 1, 9, 2, 1, 0),                  # indirect without its offset high word
    (0, 1, 9, 1, 0, 200),                # linear of length 0 between different values
    (0, 1, 5, 1, 2, 0, 2, 1, 3, 0),      # indirect to a linear after a 0: "no previous value"
])
def test_segmented_malformed(words):
    with pytest.raises(PixelDataError):
        _expand_quickly(_seg16(*words))


def test_segmented_indirect_self_loop():
    # discrete [100], then an indirect segment re-expanding from word 0 until
    # the end - which includes itself: pydicom recurses until RecursionError
    raw = _seg16(0, 1, 100, 2, 0, 0, 0)
    with pytest.raises(PixelDataError):
        _expand_quickly(raw)


def test_segmented_indirect_doubling_chain():
    """Each indirect segment re-expands everything before it: 2^40 entries
    from 170 words. Stopped at the 65536-entry bound."""
    words = [0, 1, 5]
    for k in range(1, 41):
        words += [2, k, 0, 0]
    with pytest.raises(PixelDataError, match="65536"):
        _expand_quickly(_seg16(*words))


def test_segmented_runaway_lengths():
    with pytest.raises(PixelDataError, match="65536"):
        _expand_quickly(_seg16(0, 1, 0, 1, 65535, 1000, 1, 65535, 2000))
    # a discrete segment claiming 65535 values but holding 2 is cut short (as pydicom)
    assert _expand_quickly(_seg16(0, 65535, 7, 8)).tolist() == [7, 8]
    # an indirect offset past the data expands nothing (pydicom: empty slice)
    assert _expand_quickly(_seg16(0, 1, 3, 2, 5, 0xFFFF, 0xFFFF)).tolist() == [3]


def test_segmented_through_apply_color_lut():
    raw = _seg16(0, 1, 100, 2, 0, 0, 0)
    ds = _palette([0, 0, 16], segmented=raw)
    with pytest.raises(PixelDataError):
        dp.apply_color_lut(np.arange(4, dtype=np.uint16), ds)
    ds = _palette([0, 0, 16], segmented=raw[:-1])  # odd length: not whole 16-bit words
    with pytest.raises(ValueError):
        dp.apply_color_lut(np.arange(4, dtype=np.uint16), ds)


def test_segmented_random_bytes_never_crash():
    rng = np.random.default_rng(2024)
    for _ in range(3000):
        n = int(rng.integers(0, 64))
        raw = rng.integers(0, 256, n, dtype=np.uint8)
        if rng.random() < 0.5:  # bias towards valid opcodes
            raw[::2] = raw[::2] % 3
        for wb in (1, 2):
            try:
                out = _expand_quickly(raw.tobytes(), wb)
            except PixelDataError:
                continue
            assert out.dtype == np.uint16 and out.size <= 65536


# ---- modality / VOI LUT sequences -------------------------------------------------------------

def _lut_seq(kind, desc, values=None, ow=None):
    ds = _meta(PDataset())
    ds.PhotometricInterpretation = "MONOCHROME2"
    item = PDataset()
    item.add_new(0x00283002, "US", desc)
    if ow is not None:
        item.add_new(0x00283006, "OW", ow)
    else:
        item.add_new(0x00283006, "US", values)
    setattr(ds, "ModalityLUTSequence" if kind == "modality" else "VOILUTSequence", PSequence([item]))
    return ds


@pytest.mark.parametrize("kind", ["modality", "voi"])
def test_lut_sequence_entries_beyond_data(kind):
    ds = _lut_seq(kind, [4096, 0, 16], values=list(range(256)))
    func = dp.apply_modality_lut if kind == "modality" else dp.apply_voi
    # within the data: fine; past it: PixelDataError (pydicom: IndexError)
    assert func(np.array([0, 255], np.uint16), ds).tolist() == [0, 255]
    with pytest.raises(PixelDataError):
        func(np.array([0, 300], np.uint16), ds)


@pytest.mark.parametrize("kind", ["modality", "voi"])
@pytest.mark.parametrize("desc,nbytes", [([256, 0, 16], 100), ([0, 0, 16], 512)])
def test_lut_sequence_short_ow_data(kind, desc, nbytes):
    ds = _lut_seq(kind, desc, ow=bytes(nbytes))
    func = dp.apply_modality_lut if kind == "modality" else dp.apply_voi
    with pytest.raises(PixelDataError):
        func(np.arange(4, dtype=np.uint16), ds)


def test_lut_sequence_bad_bits():
    with pytest.raises(ValueError):
        dp.apply_modality_lut(np.arange(4, dtype=np.uint16),
                              _lut_seq("modality", [4, 0, 12], values=[0, 1, 2, 3]))
    with pytest.raises(NotImplementedError):  # as pydicom
        dp.apply_voi(np.arange(4, dtype=np.uint16), _lut_seq("voi", [4, 0, 7], values=[0, 1, 2, 3]))


# ---- buffers of the wrong size, shape or kind ----------------------------------------------------

def test_ybr422_wrong_buffers():
    dst = np.empty((4, 4, 3), np.uint8)
    with pytest.raises(PixelDataError):
        dp.ybr422_expand(b"\0" * 31, dst, 1)                # short input
    with pytest.raises(ValueError):
        dp.ybr422_expand(b"\0" * 64, np.empty(47, np.uint8), 1)  # not whole pixels
    with pytest.raises(ValueError):
        dp.ybr422_expand(b"\0" * 64, dst, 3)                # bad sample size
    with pytest.raises(ValueError):
        dp.ybr422_expand(b"\0" * 128, np.empty((4, 4, 3), np.uint16), 2, ybr_to_rgb=True)
    with pytest.raises(ValueError):
        dp.ybr422_expand(b"\0" * 64, dst[:, ::2], 1)        # non-contiguous output
    ro = np.empty((4, 4, 3), np.uint8)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        dp.ybr422_expand(b"\0" * 64, ro, 1)
    buf = np.zeros(200, np.uint8)
    with pytest.raises(ValueError, match="overlap"):
        dp.ybr422_expand(buf[1:65], buf[:48], 1)            # overlapping, not aliased
    with pytest.raises(TypeError):
        dp.ybr422_expand(12345, dst, 1)


def test_ybr_rgb_wrong_buffers():
    with pytest.raises(ValueError):
        dp.ybr_full_to_rgb(np.zeros(10, np.uint8))          # not whole pixels
    with pytest.raises(ValueError):
        dp.ybr_full_to_rgb(np.zeros(12, np.uint8), np.zeros(9, np.uint8))
    with pytest.raises(ValueError):
        dp.ybr_full_to_rgb_inplace(np.zeros(12, np.uint16))
    with pytest.raises(ValueError):
        dp.ybr_full_to_rgb_inplace(np.zeros((4, 6), np.uint8)[:, ::2])


def test_mct_wrong_buffers():
    rgb = np.zeros((4, 3), np.uint8)
    with pytest.raises(ValueError):
        dp.rct_inverse(np.zeros((3, 3), np.int32), rgb)      # size mismatch
    with pytest.raises(ValueError):
        dp.rct_forward(rgb, out=np.zeros((4, 3), np.int64))
    with pytest.raises(ValueError):
        dp.rct_forward(np.zeros((4, 3), np.uint32))
    with pytest.raises(ValueError):
        dp.rct_forward(rgb, precision=9)
    with pytest.raises(ValueError):
        dp.ict_inverse(np.zeros((4, 3), np.float64), rgb)
    # NaN / inf components clamp instead of converting undefined floats
    comps = np.array([[np.nan, np.inf, -np.inf]] * 4, np.float32)
    out = dp.ict_inverse(comps, rgb.copy())
    assert out.dtype == np.uint8


def test_lut_apply_wrong_buffers():
    lut = np.arange(256, dtype=np.uint8)
    arr = np.arange(10, dtype=np.uint16)
    with pytest.raises(ValueError):
        dp.lut_apply(arr, [lut, lut[:100]], 0, 256)          # LUTs of different lengths
    with pytest.raises(ValueError):
        dp.lut_apply(arr, [lut] * 5, 0, 256)                 # too many LUTs
    with pytest.raises(ValueError):
        dp.lut_apply(arr, [lut.astype(np.int16)], 0, 256)
    with pytest.raises(ValueError):
        dp.lut_apply(arr.astype(np.float32), [lut], 0, 256)
    with pytest.raises(ValueError):
        dp.lut_apply(arr, [lut], 0, 256, out=np.zeros(9, np.uint8))
    with pytest.raises(ValueError):
        dp.lut_apply(arr, [lut], 1 << 50, 256)
    with pytest.raises(PixelDataError):
        dp.lut_apply(arr, [lut[:0]], 0, 256)
    with pytest.raises(PixelDataError):
        dp.lut_apply(np.array([70000], np.uint32), [lut], 0, 0)  # 65536 entries promised


def test_rescale_and_window_wrong_buffers():
    arr = np.arange(10, dtype=np.int16)
    with pytest.raises(ValueError):
        dp.rescale(arr, 1.0, 0.0, out=np.zeros(9))
    with pytest.raises(ValueError):
        dp.rescale(arr.astype(np.int64), 1.0, 0.0)
    with pytest.raises(ValueError):
        dp.window(arr, "LINEAR", 0.0, 0.5, 0.0, 255.0, 255.0)
    with pytest.raises(ValueError):
        dp.window(arr, "SIGMOID", 0.0, -1.0, 0.0, 255.0, 255.0)
    with pytest.raises(ValueError):
        dp.window(arr, "CUBIC", 0.0, 10.0, 0.0, 255.0, 255.0)
    f = np.arange(10, dtype=np.float64)
    assert dp.window(f, "LINEAR_EXACT", 5.0, 4.0, 0.0, 1.0, 1.0, out=f) is f
