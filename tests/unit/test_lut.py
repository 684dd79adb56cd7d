"""Modality LUT, rescale, windowing and VOI LUT (csrc/lut.c) against pydicom 3.

Outputs are compared exactly: integer LUT outputs element for element and
float64 outputs bit for bit (NaN == NaN). The kernels evaluate pydicom's
numpy expressions operation by operation in IEEE double, and SIGMOID's exp is
numpy's own, so there is no rounding difference to allow for.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")
from hypothesis import assume, given, strategies as st  # noqa: E402
from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.dataset import Dataset as PDataset, FileMetaDataset  # noqa: E402
from pydicom.pixels import processing as pp  # noqa: E402
from pydicom.sequence import Sequence as PSequence  # noqa: E402
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian  # noqa: E402

import dcmfast  # noqa: E402
from dcmfast import processing as dp  # noqa: E402
from dcmfast.errors import PixelDataError  # noqa: E402


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        # bit-for-bit, NaN payloads aside
        return bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))) and
                    np.array_equal(np.signbit(a), np.signbit(b)))
    return bool(np.array_equal(a, b))


def _testfile(name):
    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"{name} not available")
    return path


def _both(func, arr, path, **kwargs):
    """func from pydicom and from dcmfast on (pydicom ds, dcmfast ds)."""
    pds = pydicom.dcmread(path)
    fds = dcmfast.dcmread(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = getattr(pp, func)(arr, pds, **kwargs)
        got_fast = getattr(dp, func)(arr, fds, **kwargs)
        got_pyd = getattr(dp, func)(arr, pds, **kwargs)
    return expected, got_fast, got_pyd


FILES = ["mlut_18.dcm", "vlut_04.dcm", "CT_small.dcm", "MR_small.dcm", "RG1_UNCR.dcm",
         "RG1_J2KI.dcm", "MR2_UNCR.dcm", "JPGExtended.dcm", "SC_rgb_small_odd.dcm"]


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("func", ["apply_modality_lut", "apply_rescale", "apply_voi_lut",
                                  "apply_voi", "apply_windowing"])
def test_files_match_pydicom(name, func):
    path = _testfile(name)
    pds = pydicom.dcmread(path)
    try:
        arr = pds.pixel_array
    except Exception as exc:  # pragma: no cover - a decoder plugin missing
        pytest.skip(f"pydicom cannot decode {name}: {exc}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            getattr(pp, func)(arr, pydicom.dcmread(path))
    except Exception as exc:
        with pytest.raises(type(exc)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                getattr(dp, func)(arr, dcmfast.dcmread(path))
        return
    expected, got_fast, got_pyd = _both(func, arr, path)
    assert _same(got_fast, expected)
    assert _same(got_pyd, expected)


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "mlut_18.dcm"])
def test_modality_then_voi_pipeline(name):
    path = _testfile(name)
    pds, fds = pydicom.dcmread(path), dcmfast.dcmread(path)
    arr = pds.pixel_array
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = pp.apply_voi_lut(pp.apply_modality_lut(arr, pds), pds)
        got = dp.apply_voi_lut(dp.apply_modality_lut(arr, fds), fds)
    assert _same(got, expected)


def test_voi_on_float_input_warns_like_pydicom():
    path = _testfile("vlut_04.dcm")
    arr = pydicom.dcmread(path).pixel_array.astype(np.float64)
    with pytest.warns(UserWarning, match="float input array"):
        dp.apply_voi(arr, dcmfast.dcmread(path))


# ---- synthetic datasets -------------------------------------------------------------------

DTYPES = ["u1", "i1", "u2", "i2", "u4", "i4", "i8", "f4", "f8", ">u2", ">i2"]


def _array(draw, dtype, size):
    dt = np.dtype(dtype)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if dt.kind == "f":
        arr = rng.normal(0, draw(st.sampled_from([1.0, 100.0, 5000.0, 1e6])), size)
        if size and draw(st.booleans()):
            arr[0] = np.nan
        if size > 2 and draw(st.booleans()):
            arr[1], arr[2] = np.inf, -np.inf
        return arr.astype(dt)
    info = np.iinfo(dt)
    span = draw(st.sampled_from([255, 4096, 70000, 2**31]))
    lo, hi = max(int(info.min), -span), min(int(info.max), span)
    return rng.integers(lo, hi + 1, size, dtype=np.int64).astype(dt)


def _windowing_ds(pi, center, width, func, bits_stored, pixel_rep, rescale, mlut_bits):
    ds = PDataset()
    ds.PhotometricInterpretation = pi
    ds.BitsStored = bits_stored
    ds.PixelRepresentation = pixel_rep
    ds.WindowCenter = center
    ds.WindowWidth = width
    if func is not None:
        ds.VOILUTFunction = func
    if rescale is not None:
        ds.RescaleSlope, ds.RescaleIntercept = rescale
    if mlut_bits is not None:
        item = PDataset()
        item.LUTDescriptor = [4, 0, mlut_bits]
        item.add_new(0x00283006, "US", [0, 1, 2, 3])
        ds.ModalityLUTSequence = PSequence([item])
    return ds


def _fast(ds):
    """The same dataset as a dcmfast Dataset."""
    return dcmfast.from_pydicom(ds)


_num = st.one_of(st.integers(-70000, 70000), st.floats(-1e5, 1e5, allow_nan=False, width=64),
                 st.sampled_from([0.5, 1, 1.5, 2, 0.25, 4095.5]))


@given(
    data=st.data(),
    dtype=st.sampled_from(DTYPES),
    func=st.sampled_from([None, "LINEAR", "LINEAR_EXACT", "SIGMOID"]),
    center=_num,
    width=_num,
    bits_stored=st.integers(1, 32),
    pixel_rep=st.integers(0, 1),
    rescale=st.one_of(st.none(), st.tuples(st.sampled_from([1, 0.5, 2.5, -1]),
                                           st.sampled_from([0, -1024, 3.25]))),
    mlut_bits=st.one_of(st.none(), st.sampled_from([8, 16])),
    multi=st.booleans(),
)
def test_apply_windowing_hypothesis(data, dtype, func, center, width, bits_stored, pixel_rep,
                                    rescale, mlut_bits, multi):
    arr = _array(data.draw, dtype, data.draw(st.integers(0, 64))).reshape(-1)
    if data.draw(st.booleans()) and arr.size % 4 == 0:
        arr = arr.reshape(4, -1)
    index = 0
    if multi:
        center, width = [center, 40], [width, 400]
        index = data.draw(st.integers(0, 1))
    ds = _windowing_ds("MONOCHROME2", center, width, func, bits_stored, pixel_rep, rescale,
                       mlut_bits)
    with np.errstate(over="ignore", invalid="ignore"):  # SIGMOID's exp, as in pydicom
        try:
            expected = pp.apply_windowing(arr, ds, index)
        except ValueError as exc:
            with pytest.raises(ValueError, match=re.escape(str(exc)[:30])):
                dp.apply_windowing(arr, ds, index)
            return
        for source in (ds, _fast(ds)):
            got = dp.apply_windowing(arr, source, index)
            assert _same(got, expected), (arr, got, expected)


def _lut_seq_ds(kind, entries, first, bits, values, vr, big_endian, extra=None):
    ds = PDataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian if big_endian else ExplicitVRLittleEndian
    item = PDataset()
    # US or SS (PS3.3 C.11.1.1.1): SS when the first mapped value is negative
    item.add_new(0x00283002, "SS" if first < 0 else "US", [entries, first, bits])
    if vr == "OW":
        fmt = ">u2" if big_endian else "<u2"
        item.add_new(0x00283006, "OW", np.asarray(values, dtype=fmt).tobytes())
    else:
        item.add_new(0x00283006, "US", list(values))
    seq = PSequence([item])
    if kind == "modality":
        ds.ModalityLUTSequence = seq
    else:
        ds.VOILUTSequence = seq
        ds.PhotometricInterpretation = "MONOCHROME2"
        if extra:
            ds.WindowCenter, ds.WindowWidth = extra
            ds.BitsStored, ds.PixelRepresentation = 16, 1
    return ds


@given(
    data=st.data(),
    kind=st.sampled_from(["modality", "voi"]),
    dtype=st.sampled_from(DTYPES),
    entries=st.integers(2, 300),  # (1 US entry is an int: pydicom fails on a 0-d LUT)
    first=st.integers(-2048, 2048),
    bits=st.sampled_from([8, 12, 16]),
    vr=st.sampled_from(["US", "OW"]),
    big_endian=st.booleans(),
)
def test_lut_sequences_hypothesis(data, kind, dtype, entries, first, bits, vr, big_endian):
    assume(not (kind == "modality" and bits == 12))  # pydicom: np.dtype("uint12") TypeError
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    maxv = 255 if bits == 8 and vr == "US" else 2**bits - 1
    values = rng.integers(0, maxv + 1, entries)
    ds = _lut_seq_ds(kind, entries, first, bits, values, vr, big_endian)
    arr = _array(data.draw, dtype, data.draw(st.integers(0, 40)))
    func = "apply_modality_lut" if kind == "modality" else "apply_voi"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = getattr(pp, func)(arr, ds)
        except (OverflowError, IndexError) as exc:
            err = (OverflowError,) if isinstance(exc, OverflowError) else (IndexError, PixelDataError)
            for source in (ds, _fast(ds)):
                with pytest.raises(err):
                    getattr(dp, func)(arr, source)
            return
        for source in (ds, _fast(ds)):
            got = getattr(dp, func)(arr, source)
            assert _same(got, expected), (arr, got, expected)


@given(data=st.data(), dtype=st.sampled_from(DTYPES),
       slope=st.one_of(st.floats(-1e3, 1e3, allow_nan=False), st.sampled_from([1, 0.5, 2])),
       intercept=st.one_of(st.floats(-1e5, 1e5, allow_nan=False), st.sampled_from([0, -1024])))
def test_rescale_hypothesis(data, dtype, slope, intercept):
    arr = _array(data.draw, dtype, data.draw(st.integers(0, 64)))
    ds = PDataset()
    ds.RescaleSlope = slope
    ds.RescaleIntercept = intercept
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 warns in numpy only
        expected = pp.apply_modality_lut(arr, ds)
    for source in (ds, _fast(ds)):
        assert _same(dp.apply_modality_lut(arr, source), expected)
        assert _same(dp.apply_rescale(arr, source), expected)


@given(data=st.data(), prefer=st.booleans(), have_lut=st.booleans(), have_window=st.booleans())
def test_apply_voi_lut_dispatch(data, prefer, have_lut, have_window):
    arr = _array(data.draw, "i2", 32)
    ds = _lut_seq_ds("voi", 256, -100, 16, range(0, 256 * 200, 200), "US", False,
                     extra=(10, 300) if have_window else None)
    if not have_lut:
        del ds.VOILUTSequence
    expected = pp.apply_voi_lut(arr, ds, prefer_lut=prefer)
    for source in (ds, _fast(ds)):
        got = dp.apply_voi_lut(arr, source, prefer_lut=prefer)
        assert _same(got, expected)
        if not have_lut and not have_window:
            assert got is arr


def test_nothing_to_apply_returns_the_input():
    arr = np.arange(6, dtype=np.int16)
    ds = PDataset()
    assert dp.apply_modality_lut(arr, ds) is arr
    assert dp.apply_voi(arr, ds) is arr
    assert dp.apply_windowing(arr, ds) is arr
    assert dp.apply_voi_lut(arr, ds) is arr


def test_windowing_errors_as_pydicom():
    arr = np.arange(6, dtype=np.int16)
    ds = _windowing_ds("RGB", 10, 20, None, 16, 0, None, None)
    with pytest.raises(ValueError, match="MONOCHROME"):
        dp.apply_windowing(arr, ds)
    ds = _windowing_ds("MONOCHROME1", 10, 0.5, "LINEAR", 16, 0, None, None)
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        dp.apply_windowing(arr, ds)
    ds = _windowing_ds("MONOCHROME1", 10, 0, "SIGMOID", 16, 0, None, None)
    with pytest.raises(ValueError, match="greater than 0"):
        dp.apply_windowing(arr, ds)
    ds = _windowing_ds("MONOCHROME1", 10, 10, "CUBIC", 16, 0, None, None)
    with pytest.raises(ValueError, match="Unsupported"):
        dp.apply_windowing(arr, ds)


@pytest.mark.parametrize("src_dtype", ["u1", "i1", "u2", "i2"])
@pytest.mark.parametrize("first,entries,diff_dtype,index_dtype", [
    (0, 256, None, None), (-2048, 4096, "i2", "i2"), (100, 300, "i4", "u1"),
    (-30000, 0, "i2", "u2"), (5, 65535, None, "i1"), (40000, 10, "u2", "u2")])
def test_lut_apply_table_path_matches_per_pixel_path(src_dtype, first, entries, diff_dtype,
                                                     index_dtype):
    """Large 8/16-bit inputs go through a table of every value's index; small
    ones compute each index. Both must agree with numpy's wrapping arithmetic."""
    dt = np.dtype(src_dtype)
    info = np.iinfo(dt)
    values = np.arange(int(info.min), int(info.max) + 1).astype(dt)
    arr = np.tile(values, max(1, 70000 // values.size))
    lut = (np.arange(65536, dtype=np.uint32) * 7 % 65521).astype(np.uint16)
    big = dp.lut_apply(arr, [lut, lut[::-1].copy(), lut], first, entries, diff_dtype, index_dtype)
    small = np.concatenate([dp.lut_apply(arr[i:min(i + 100, values.size)],
                                         [lut, lut[::-1].copy(), lut], first,
                                         entries, diff_dtype, index_dtype)
                            for i in range(0, values.size, 100)])
    assert np.array_equal(big[: values.size], small)
    # numpy reference: wrap the difference, then the index, then clip
    d = arr.astype(np.int64) - first
    if diff_dtype:
        d = d.astype(diff_dtype).astype(np.int64)
    if index_dtype:
        d = d.astype(index_dtype).astype(np.int64)
    idx = np.where(arr.astype(np.int64) >= first, d, 0)
    idx = np.clip(idx, 0, (entries or 65536) - 1)
    assert np.array_equal(big[:, 0], lut[idx]) and np.array_equal(big[:, 1], lut[::-1][idx])
    # LUT data shorter than the descriptor: the same error from both paths
    short = lut[:50].copy()
    reaches = bool((idx >= 50).any())
    for a in (arr, arr[:100]):
        if reaches and bool((idx[: a.size] >= 50).any()):
            with pytest.raises(PixelDataError):
                dp.lut_apply(a, [short], first, entries, diff_dtype, index_dtype)
        else:
            dp.lut_apply(a, [short], first, entries, diff_dtype, index_dtype)
