"""Series benchmarks (issue 4): a 300-slice CT series to one sorted 3D array.

How to run (from the repository root)::

    python -m pytest benchmarks/bench_series.py --benchmark-only      # timings + ratio table
    python -m pytest benchmarks/bench_series.py --benchmark-disable   # smoke mode (CI)

Data: ``gen_series.py`` (300 slices of 512x512 int16, shuffled file names,
as native Explicit VR LE, RLE, JPEG 2000 Lossless and JPEG Lossless SV1;
generated on first use, cached).  Every implementation must return the
stored values in geometric order (sorted along the slice normal, here +z),
which is checked once, untimed, before timing ("assert before you time").

Groups (tests ``test_<group>_<impl>``; the ratio table is peer / dcmfast):

``series_native``
    dcmfast ``read_series(folder, rescale=False)``.  ``pydicom``: a loop of
    ``dcmread`` + ``pixel_array``, sorted by position along the normal,
    ``np.stack``.  ``dicomsdl``: the same loop with ``dicomsdl.open`` and
    ``pixelData(storedvalue=True)``.  ``simpleitk``: ``ImageSeriesReader``
    on ``GetGDCMSeriesFileNames`` (GDCM's own sort).  ``raw_read``: reading
    the bytes of every file (``open().read()``): no parsing, the floor.
    Targets: >= 10x pydicom, >= 3x dicomsdl, within 3x of raw_read (its
    ratio >= 0.33).
``series_native_hu``
    The same to Hounsfield units: dcmfast ``read_series(folder)`` (int16 HU,
    since slope 1 / intercept -1024 cannot overflow); pydicom loop with
    ``apply_modality_lut`` per slice, stacked.
``series_rle`` / ``series_j2k`` / ``series_jpegll``
    The compressed series.  dcmfast uses both cores (``threads=2``);
    ``dcmfast_1thread`` is the same with ``threads=1``; peers as above
    (SimpleITK decodes through GDCM).  Targets: RLE faster
    than dicomsdl; JPEG 2000 and JPEG Lossless >= 1.7x the fastest peer.
``series_nifti``
    Series folder to an uncompressed NIfTI file: dcmfast ``read_series`` +
    ``Volume.to_nifti``; ``dcm2niix -z n -b n`` (Debian's dcm2niix, skipped
    when missing).  Target: faster than dcm2niix.

The peak-RSS check (not timed) reads the native series in a fresh
interpreter: peak <= 1.2 x the volume's bytes + 100 MB.
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

import gen_series
from bench_pixels import run_checked

MB = 1 << 20
SERIES_TARGETS = {"pydicom": 10.0, "dicomsdl": 3.0, "raw_read": 1 / 3}
CODEC_TARGET = 1.7


@pytest.fixture(scope="session")
def series_dirs() -> dict[str, Path]:
    return gen_series.generate()


@functools.lru_cache(maxsize=1)
def expected_volume() -> np.ndarray:
    vol = gen_series.volume()
    vol.flags.writeable = False
    return vol


def folder(series_dirs, variant: str) -> str:
    if variant not in series_dirs:
        pytest.skip(f"series {variant} was not generated (encoder missing)")
    return str(series_dirs[variant])


def files_of(path: str) -> list[str]:
    return sorted(os.path.join(path, n) for n in os.listdir(path) if n.endswith(".dcm"))


def check_stored(result: Any) -> None:
    arr = np.asarray(result)
    expected = expected_volume()
    assert arr.shape == expected.shape, arr.shape
    assert np.array_equal(arr, expected), "values or slice order differ"


def check_hu(result: Any) -> None:
    arr = np.asarray(result)
    assert arr.shape == expected_volume().shape
    assert np.array_equal(arr, expected_volume().astype(np.float32) - 1024)


def _normal_key(iop, ipp) -> float:
    row = np.asarray(iop[:3], float)
    col = np.asarray(iop[3:], float)
    return float(np.dot(np.cross(row, col), np.asarray(ipp, float)))


# --- implementations -------------------------------------------------------
def dcmfast_series(path: str, **kw) -> Callable[[], np.ndarray]:
    import dcmfast

    return lambda: dcmfast.read_series(path, **kw).array


def pydicom_series(path: str, hu: bool = False) -> Callable[[], np.ndarray]:
    import pydicom
    from pydicom.pixels import apply_modality_lut

    def run() -> np.ndarray:
        slices = []
        for p in files_of(path):
            ds = pydicom.dcmread(p)
            arr = ds.pixel_array
            if hu:
                arr = apply_modality_lut(arr, ds).astype(np.float32)
            slices.append((_normal_key(ds.ImageOrientationPatient, ds.ImagePositionPatient), arr))
        slices.sort(key=lambda s: s[0])
        return np.stack([a for _, a in slices])

    return run


def dicomsdl_series(path: str) -> Callable[[], np.ndarray]:
    import dicomsdl

    def run() -> np.ndarray:
        slices = []
        for p in files_of(path):
            ds = dicomsdl.open(p)
            key = _normal_key(ds.ImageOrientationPatient, ds.ImagePositionPatient)
            slices.append((key, ds.pixelData(storedvalue=True)))
        slices.sort(key=lambda s: s[0])
        return np.stack([a for _, a in slices])

    return run


def simpleitk_series(path: str) -> Callable[[], np.ndarray]:
    import SimpleITK as sitk

    def run() -> np.ndarray:
        reader = sitk.ImageSeriesReader()
        reader.SetFileNames(reader.GetGDCMSeriesFileNames(path))
        # SimpleITK applies the rescale (HU, as float or int16 by GDCM's rule)
        return sitk.GetArrayFromImage(reader.Execute())

    return run


def check_simpleitk(result: Any) -> None:
    arr = np.asarray(result)
    expected = expected_volume()
    assert arr.shape == expected.shape
    assert np.array_equal(arr.astype(np.int32), expected.astype(np.int32) - 1024)


def raw_read(path: str) -> Callable[[], int]:
    def run() -> int:
        total = 0
        for p in files_of(path):
            with open(p, "rb") as fp:
                total += len(fp.read())
        return total

    return run


def _require(module: str) -> None:
    pytest.importorskip(module)


# --- series_native ---------------------------------------------------------
def test_series_native_dcmfast(benchmark, series_dirs):
    run_checked(benchmark, "series_native",
                dcmfast_series(folder(series_dirs, "native"), rescale=False), check_stored)


def _native_peer(impl: str):
    def test(benchmark, series_dirs):
        path = folder(series_dirs, "native")
        if impl in SERIES_TARGETS:
            benchmark.extra_info["ratio_target"] = SERIES_TARGETS[impl]
        if impl == "pydicom":
            run_checked(benchmark, "series_native", pydicom_series(path), check_stored, slow=True)
        elif impl == "dicomsdl":
            _require("dicomsdl")
            run_checked(benchmark, "series_native", dicomsdl_series(path), check_stored)
        elif impl == "simpleitk":
            _require("SimpleITK")
            run_checked(benchmark, "series_native", simpleitk_series(path), check_simpleitk,
                        slow=True)
        else:
            expected_bytes = sum(os.path.getsize(p) for p in files_of(path))
            run_checked(benchmark, "series_native", raw_read(path),
                        lambda n: (n == expected_bytes) or pytest.fail("short read"))

    test.__name__ = f"test_series_native_{impl}"
    return test


# one named test per peer: the ratio table reads the impl from the test name
for _impl in ("pydicom", "dicomsdl", "simpleitk", "raw_read"):
    globals()[f"test_series_native_{_impl}"] = _native_peer(_impl)


# --- series_native_hu -------------------------------------------------------
def test_series_native_hu_dcmfast(benchmark, series_dirs):
    run_checked(benchmark, "series_native_hu", dcmfast_series(folder(series_dirs, "native")),
                check_hu)


def test_series_native_hu_pydicom(benchmark, series_dirs):
    run_checked(benchmark, "series_native_hu",
                pydicom_series(folder(series_dirs, "native"), hu=True), check_hu, slow=True)


# --- compressed series ------------------------------------------------------
def _codec(variant: str, impl: str):
    def test(benchmark, series_dirs):
        path = folder(series_dirs, variant)
        if impl == "dcmfast":
            fn = dcmfast_series(path, rescale=False, threads=2)
        elif impl == "dcmfast_1thread":
            fn = dcmfast_series(path, rescale=False, threads=1)
        elif impl == "pydicom":
            fn = pydicom_series(path)
        elif impl == "simpleitk":
            _require("SimpleITK")
            fn = simpleitk_series(path)
        else:
            _require("dicomsdl")
            fn = dicomsdl_series(path)
        if variant == "rle" and impl == "dicomsdl":
            benchmark.extra_info["ratio_target"] = 1.0
        elif variant != "rle" and impl in ("pydicom", "dicomsdl", "simpleitk"):
            benchmark.extra_info["ratio_target"] = CODEC_TARGET
        run_checked(benchmark, f"series_{variant}", fn,
                    check_simpleitk if impl == "simpleitk" else check_stored,
                    slow=variant != "rle" or impl in ("pydicom", "simpleitk"))

    test.__name__ = f"test_series_{variant}_{impl}"
    return test


for _variant in ("rle", "j2k", "jpegll"):
    for _impl in ("dcmfast", "dcmfast_1thread", "pydicom", "dicomsdl", "simpleitk"):
        globals()[f"test_series_{_variant}_{_impl}"] = _codec(_variant, _impl)


# --- series_nifti -----------------------------------------------------------
def _check_nifti(path: Path) -> None:
    nib = pytest.importorskip("nibabel")
    img = nib.load(str(path))
    data = np.asarray(img.dataobj)
    assert data.shape == (gen_series.COLS, gen_series.ROWS, gen_series.SLICES), data.shape


def test_series_nifti_dcmfast(benchmark, series_dirs, tmp_path):
    pytest.importorskip("nibabel")
    import dcmfast

    src = folder(series_dirs, "native")
    out = tmp_path / "vol.nii"

    def run() -> Path:
        dcmfast.read_series(src).to_nifti(out)
        return out

    run_checked(benchmark, "series_nifti", run, _check_nifti)


def test_series_nifti_dcm2niix(benchmark, series_dirs, tmp_path):
    exe = shutil.which("dcm2niix")
    if exe is None:
        pytest.skip("dcm2niix is not installed (Debian package dcm2niix)")
    src = folder(series_dirs, "native")
    benchmark.extra_info["ratio_target"] = 1.0

    def run() -> Path:
        out = Path(tempfile.mkdtemp(dir=tmp_path))
        subprocess.run([exe, "-z", "n", "-b", "n", "-f", "vol", "-o", str(out), src],
                       check=True, capture_output=True)
        return out / "vol.nii"

    run_checked(benchmark, "series_nifti", run, _check_nifti, slow=True)


# --- memory (not timed) -------------------------------------------------------
_RSS_CHILD = r"""
import json, sys
import numpy, dcmfast
def hwm():
    with open("/proc/self/status") as fp:
        for line in fp:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
baseline = hwm()
vol = dcmfast.read_series(sys.argv[1], rescale=sys.argv[2] == "hu")
print(json.dumps({"baseline": baseline, "peak": hwm(), "nbytes": vol.array.nbytes}))
"""


@pytest.mark.parametrize("mode", ["stored", "hu"])
def test_peak_rss_series_dcmfast(series_dirs, bench_checks, mode):
    """Peak RSS of read_series on the native series: <= 1.2 x volume + 100 MB."""
    if not os.path.exists("/proc/self/status"):
        pytest.skip("needs /proc/self/status (Linux)")
    proc = subprocess.run([sys.executable, "-c", _RSS_CHILD, folder(series_dirs, "native"), mode],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    limit = 1.2 * result["nbytes"] + 100 * MB
    numbers = {k: round(result[k] / MB, 1) for k in ("baseline", "peak", "nbytes")}
    numbers["limit"] = round(limit / MB, 1)
    bench_checks[f"peak_rss_series_{mode}_MB"] = numbers
    assert result["peak"] <= limit, f"peak RSS too high: {numbers}"
