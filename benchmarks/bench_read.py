"""Read benchmarks: dcmfast against pydicom, dicomsdl and (optionally) GDCM.

How to run (from the repository root)::

    python -m pytest benchmarks/ --benchmark-only          # timings + ratio table
    python -m pytest benchmarks/ --benchmark-disable       # smoke mode (CI): each body once
    python -m pytest benchmarks/ --benchmark-only -k "not dcmfast"   # peers only

The first run generates the data (~1 min, ~1.1 GB with the pixel benchmarks' files, in ``benchmarks/.data`` or
``$DCMFAST_BENCH_DATA``; see ``gen_data.py``).  Results: the terminal table
and ``benchmarks/.results/ratios.json`` (peer median / dcmfast median).
``--benchmark-only`` skips the non-timing peak-RSS check; it runs in the
other two modes.

Groups (``benchmark.group``), each with ``test_<group>_<impl>``:

``read_ct_header``
    Parse the CT slice without its pixel data and access PatientName, Rows
    and ImagePositionPatient.
``read_ct_full``
    Parse the whole CT slice (pixel data read, not decoded) and get the
    length of the PixelData bytes.
``read_seg_undefined``
    Parse the whole 12,000-frame SEG with undefined-length sequences/items
    (pixel data read, not decoded) and get the number of per-frame items.
``read_seg_positions_undefined`` / ``read_seg_positions_defined``
    Parse the SEG and collect ImagePositionPatient of each of the 12,000
    PerFrameFunctionalGroupsSequence items into a list.

"Assert before you time": each implementation's result is checked once
against the known values (from ``gen_data``) outside the timed region; with
``--benchmark-disable`` the single smoke run is checked instead.

Notes on what each peer actually does:

* pydicom (``dcmread``): reads the file into Python objects; elements are
  converted lazily on access, but undefined-length sequences must be parsed
  item by item at read time (that is why ``seg_undefined`` is slow).  Its SEG
  benchmarks run as ``pedantic(rounds=3, iterations=1)`` (~5 s per call).
* dicomsdl (``open_file(path, load_until=...)``): reads the file with
  ``read()`` calls into its own buffers and parses up to ``load_until``;
  elements past that are loaded on demand later.  Full open (default
  ``load_until``) reads all ~400 MB of the SEG; ``load_until=0x7FE0000F``
  (just before PixelData) is its "stop before pixels".  Defined-length
  sequences are parsed lazily on first access, undefined-length ones at open.
  Values come back as Python str / int / list[float].
* GDCM (``python-gdcm``, optional peer, skipped when not installed):
  ``gdcm.Reader`` parses everything into C++ objects (``ReadUpToTag`` for
  header-only); values are read as strings (``StringFilter`` / raw DS
  bytes parsed with ``float``), which is the natural way with its bindings.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gen_data import CT_EXPECTED, SEG_EXPECTED

BEFORE_PIXEL_DATA = 0x7FE0000F  # dicomsdl load_until for "stop before pixels"
MB = 1024 * 1024


# ---------------------------------------------------------------------------
# harness
# ---------------------------------------------------------------------------
def run_checked(
    benchmark,
    group: str,
    fn: Callable[[], Any],
    check: Callable[[Any], None],
    *,
    slow: bool = False,
) -> None:
    """Check ``fn()``'s result once, untimed, then benchmark ``fn``.

    With benchmarks disabled (``--benchmark-disable``) ``fn`` runs exactly
    once through the fixture and that result is checked.  *slow* selects
    ``pedantic(rounds=3, iterations=1)`` for multi-second peers.
    """
    benchmark.group = group
    if benchmark.disabled:
        check(benchmark(fn))
        return
    check(fn())
    if slow:
        benchmark.pedantic(fn, rounds=3, iterations=1, warmup_rounds=0)
    else:
        benchmark(fn)


def _floats(values) -> list[float]:
    """Convert a DS multi-value of any implementation to a list of floats."""
    if isinstance(values, (str, bytes)):
        text = values.decode() if isinstance(values, bytes) else values
        return [float(v) for v in text.strip("\0 ").split("\\")]
    return [float(v) for v in values]


def _require_dcmfast():
    """Import dcmfast or skip the test (peers keep running without it)."""
    return pytest.importorskip("dcmfast")


def _gdcm():
    """Import gdcm or skip the test (optional peer)."""
    return pytest.importorskip("gdcm")


# ---------------------------------------------------------------------------
# checks ("assert before you time")
# ---------------------------------------------------------------------------
def check_ct_header(result) -> None:
    """Result = (name, rows, ipp) from the CT header read."""
    name, rows, ipp = result
    assert str(name).strip() == CT_EXPECTED["PatientName"]
    assert int(rows) == CT_EXPECTED["Rows"]
    assert _floats(ipp) == CT_EXPECTED["ImagePositionPatient"]


def check_ct_full(result) -> None:
    """Result = length of PixelData in bytes."""
    assert result == CT_EXPECTED["PixelDataLength"]


def check_seg_items(result) -> None:
    """Result = number of PerFrameFunctionalGroupsSequence items."""
    assert result == SEG_EXPECTED["NumberOfItems"]


def check_seg_positions(positions) -> None:
    """Result = list of 12,000 ImagePositionPatient values."""
    assert len(positions) == SEG_EXPECTED["NumberOfItems"]
    assert _floats(positions[0]) == SEG_EXPECTED["FirstImagePositionPatient"]
    assert _floats(positions[-1]) == SEG_EXPECTED["LastImagePositionPatient"]
    total = math.fsum(_floats(p)[2] for p in positions)
    assert math.isclose(total, SEG_EXPECTED["SumZ"], rel_tol=1e-12)


# ---------------------------------------------------------------------------
# read_ct_header
# ---------------------------------------------------------------------------
def test_read_ct_header_dcmfast(benchmark, ct_slice):
    dcmfast = _require_dcmfast()

    def run():
        ds = dcmfast.dcmread(ct_slice, stop_before_pixels=True)
        return ds.PatientName, ds.Rows, ds.ImagePositionPatient

    run_checked(benchmark, "read_ct_header", run, check_ct_header)


def test_read_ct_header_pydicom(benchmark, ct_slice):
    import pydicom

    def run():
        ds = pydicom.dcmread(ct_slice, stop_before_pixels=True)
        return ds.PatientName, ds.Rows, ds.ImagePositionPatient

    run_checked(benchmark, "read_ct_header", run, check_ct_header)


def test_read_ct_header_dicomsdl(benchmark, ct_slice):
    import dicomsdl

    def run():
        # load_until just before PixelData: dicomsdl's "stop before pixels"
        # (it still reads in read() blocks, i.e. the whole 0.5 MB here).
        ds = dicomsdl.open_file(ct_slice, BEFORE_PIXEL_DATA)
        return ds.PatientName, ds.Rows, ds.ImagePositionPatient

    run_checked(benchmark, "read_ct_header", run, check_ct_header)


def test_read_ct_header_gdcm(benchmark, ct_slice):
    gdcm = _gdcm()
    tags = (gdcm.Tag(0x0010, 0x0010), gdcm.Tag(0x0028, 0x0010), gdcm.Tag(0x0020, 0x0032))
    stop = gdcm.Tag(0x7FE0, 0x0010)

    def run():
        reader = gdcm.Reader()
        reader.SetFileName(ct_slice)
        if not reader.ReadUpToTag(stop):
            raise RuntimeError("gdcm could not read the file")
        sf = gdcm.StringFilter()
        sf.SetFile(reader.GetFile())
        return tuple(sf.ToString(t) for t in tags)

    run_checked(benchmark, "read_ct_header", run, check_ct_header)


# ---------------------------------------------------------------------------
# read_ct_full
# ---------------------------------------------------------------------------
def test_read_ct_full_dcmfast(benchmark, ct_slice):
    dcmfast = _require_dcmfast()
    run_checked(
        benchmark, "read_ct_full", lambda: len(dcmfast.dcmread(ct_slice).PixelData), check_ct_full
    )


def test_read_ct_full_pydicom(benchmark, ct_slice):
    import pydicom

    run_checked(
        benchmark, "read_ct_full", lambda: len(pydicom.dcmread(ct_slice).PixelData), check_ct_full
    )


def test_read_ct_full_dicomsdl(benchmark, ct_slice):
    import dicomsdl

    # ds.PixelData returns a bytes copy of the pixel data element.
    run_checked(
        benchmark, "read_ct_full", lambda: len(dicomsdl.open_file(ct_slice).PixelData), check_ct_full
    )


def test_read_ct_full_gdcm(benchmark, ct_slice):
    gdcm = _gdcm()
    pixel_tag = gdcm.Tag(0x7FE0, 0x0010)

    def run():
        reader = gdcm.Reader()
        reader.SetFileName(ct_slice)
        if not reader.Read():
            raise RuntimeError("gdcm could not read the file")
        # The bytes are already in memory; GetBuffer() would copy them into
        # a str, so take the length (a gdcm.VL, whose str() is the number).
        elem = reader.GetFile().GetDataSet().GetDataElement(pixel_tag)
        return int(str(elem.GetByteValue().GetLength()))

    run_checked(benchmark, "read_ct_full", run, check_ct_full)


# ---------------------------------------------------------------------------
# read_seg_undefined: whole file, undefined-length sequences
# ---------------------------------------------------------------------------
def test_read_seg_undefined_dcmfast(benchmark, seg_undefined):
    dcmfast = _require_dcmfast()
    run_checked(
        benchmark,
        "read_seg_undefined",
        lambda: len(dcmfast.dcmread(seg_undefined).PerFrameFunctionalGroupsSequence),
        check_seg_items,
    )


def test_read_seg_undefined_pydicom(benchmark, seg_undefined):
    import pydicom

    run_checked(
        benchmark,
        "read_seg_undefined",
        lambda: len(pydicom.dcmread(seg_undefined).PerFrameFunctionalGroupsSequence),
        check_seg_items,
        slow=True,
    )


def test_read_seg_undefined_dicomsdl(benchmark, seg_undefined):
    import dicomsdl

    run_checked(
        benchmark,
        "read_seg_undefined",
        lambda: len(dicomsdl.open_file(seg_undefined).PerFrameFunctionalGroupsSequence),
        check_seg_items,
    )


def test_read_seg_undefined_gdcm(benchmark, seg_undefined):
    gdcm = _gdcm()
    perframe = gdcm.Tag(0x5200, 0x9230)

    def run():
        reader = gdcm.Reader()
        reader.SetFileName(seg_undefined)
        if not reader.Read():
            raise RuntimeError("gdcm could not read the file")
        elem = reader.GetFile().GetDataSet().GetDataElement(perframe)
        return elem.GetValueAsSQ().GetNumberOfItems()

    run_checked(benchmark, "read_seg_undefined", run, check_seg_items)


# ---------------------------------------------------------------------------
# read_seg_positions_{undefined,defined}: every item's ImagePositionPatient
# ---------------------------------------------------------------------------
def positions_dcmfast(path: str) -> list:
    """dcmfast: ImagePositionPatient of every per-frame item."""
    import dcmfast

    ds = dcmfast.dcmread(path)
    return [
        item.PlanePositionSequence[0].ImagePositionPatient
        for item in ds.PerFrameFunctionalGroupsSequence
    ]


def positions_pydicom(path: str) -> list:
    """pydicom: ImagePositionPatient of every per-frame item."""
    import pydicom

    ds = pydicom.dcmread(path)
    return [
        item.PlanePositionSequence[0].ImagePositionPatient
        for item in ds.PerFrameFunctionalGroupsSequence
    ]


def positions_dicomsdl(path: str) -> list:
    """dicomsdl: ImagePositionPatient of every per-frame item."""
    import dicomsdl

    ds = dicomsdl.open_file(path)
    return [
        item.PlanePositionSequence[0].ImagePositionPatient
        for item in ds.PerFrameFunctionalGroupsSequence
    ]


def positions_gdcm(path: str) -> list:
    """GDCM: ImagePositionPatient (raw DS text) of every per-frame item."""
    import gdcm

    reader = gdcm.Reader()
    reader.SetFileName(path)
    if not reader.Read():
        raise RuntimeError("gdcm could not read the file")
    perframe = reader.GetFile().GetDataSet().GetDataElement(gdcm.Tag(0x5200, 0x9230))
    seq = perframe.GetValueAsSQ()
    plane_tag, ipp_tag = gdcm.Tag(0x0020, 0x9113), gdcm.Tag(0x0020, 0x0032)
    out = []
    for i in range(1, seq.GetNumberOfItems() + 1):  # GDCM items are 1-based
        item = seq.GetItem(i).GetNestedDataSet()
        plane = item.GetDataElement(plane_tag).GetValueAsSQ().GetItem(1).GetNestedDataSet()
        out.append(plane.GetDataElement(ipp_tag).GetByteValue().GetBuffer())
    return out


def _positions(benchmark, impl: str, path: str, group: str) -> None:
    """Benchmark ``positions_<impl>(path)`` in *group* (pydicom: pedantic)."""
    fn = globals()[f"positions_{impl}"]
    run_checked(benchmark, group, lambda: fn(path), check_seg_positions, slow=impl == "pydicom")


def test_read_seg_positions_undefined_dcmfast(benchmark, seg_undefined):
    _require_dcmfast()
    _positions(benchmark, "dcmfast", seg_undefined, "read_seg_positions_undefined")


def test_read_seg_positions_undefined_pydicom(benchmark, seg_undefined):
    _positions(benchmark, "pydicom", seg_undefined, "read_seg_positions_undefined")


def test_read_seg_positions_undefined_dicomsdl(benchmark, seg_undefined):
    _positions(benchmark, "dicomsdl", seg_undefined, "read_seg_positions_undefined")


def test_read_seg_positions_undefined_gdcm(benchmark, seg_undefined):
    _gdcm()
    _positions(benchmark, "gdcm", seg_undefined, "read_seg_positions_undefined")


def test_read_seg_positions_defined_dcmfast(benchmark, seg_defined):
    _require_dcmfast()
    _positions(benchmark, "dcmfast", seg_defined, "read_seg_positions_defined")


def test_read_seg_positions_defined_pydicom(benchmark, seg_defined):
    _positions(benchmark, "pydicom", seg_defined, "read_seg_positions_defined")


def test_read_seg_positions_defined_dicomsdl(benchmark, seg_defined):
    _positions(benchmark, "dicomsdl", seg_defined, "read_seg_positions_defined")


def test_read_seg_positions_defined_gdcm(benchmark, seg_defined):
    _gdcm()
    _positions(benchmark, "gdcm", seg_defined, "read_seg_positions_defined")


# ---------------------------------------------------------------------------
# memory: peak RSS of a full dcmfast read of seg_undefined (not a timing)
# ---------------------------------------------------------------------------
#: Child script: prints JSON with the baseline (after importing the reader
#: and numpy) and the peak RSS after a full read, both in bytes.
#:
#: The peak is VmHWM from /proc/self/status, i.e. the high-water mark of the
#: child's own address space.  ru_maxrss is *not* usable here: Linux carries
#: the pre-exec high-water mark over exec(), so a child forked from a pytest
#: process that holds a 400 MB dataset would report that as its "baseline".
#: ru_maxrss is only the fallback where /proc is missing.
_RSS_CHILD = r"""
import json, resource, sys
impl, path, touch_pixels = sys.argv[1], sys.argv[2], sys.argv[3] == "pixels"
def peak_rss():
    try:
        with open("/proc/self/status") as fp:
            for line in fp:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
import numpy
if impl == "dcmfast":
    import dcmfast
    read = dcmfast.dcmread
elif impl == "pydicom":
    import pydicom
    read = pydicom.dcmread
else:
    import dicomsdl
    read = dicomsdl.open_file
baseline = peak_rss()
ds = read(path)
positions = [[float(v) for v in item.PlanePositionSequence[0].ImagePositionPatient]
             for item in ds.PerFrameFunctionalGroupsSequence]
pixel_len = len(ds.PixelData) if touch_pixels else None
print(json.dumps({"baseline": baseline, "peak": peak_rss(), "items": len(positions),
                  "last": positions[-1], "pixel_len": pixel_len}))
"""


def measure_peak_rss(impl: str, path: str, touch_pixels: bool = False) -> dict:
    """Run a full read of *path* with *impl* in a fresh interpreter.

    The child reads the file (``dcmread(path)`` / ``open_file(path)``),
    collects the ImagePositionPatient of all per-frame items as floats and,
    if *touch_pixels*, takes ``len(ds.PixelData)``.  Returns its JSON:
    ``baseline`` (peak RSS after importing the reader and numpy), ``peak``
    (peak RSS at the end), ``items``, ``last``, ``pixel_len``; RSS in bytes.
    """
    proc = subprocess.run(
        [sys.executable, "-c", _RSS_CHILD, impl, path, "pixels" if touch_pixels else "header"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise AssertionError(f"{impl} child failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _check_peak_rss(path: str, touch_pixels: bool, bench_checks: dict, key: str) -> None:
    """Assert dcmfast's peak RSS reading *path* <= file + 50 MB + baseline."""
    _require_dcmfast()
    size = Path(path).stat().st_size
    result = measure_peak_rss("dcmfast", path, touch_pixels)
    assert result["items"] == SEG_EXPECTED["NumberOfItems"]
    assert result["last"] == SEG_EXPECTED["LastImagePositionPatient"]
    if touch_pixels:
        assert result["pixel_len"] == SEG_EXPECTED["PixelDataLength"]
    limit = size + 50 * MB + result["baseline"]
    numbers = {
        "file_MB": round(size / MB, 1),
        "baseline_MB": round(result["baseline"] / MB, 1),
        "peak_MB": round(result["peak"] / MB, 1),
        "over_baseline_MB": round((result["peak"] - result["baseline"]) / MB, 1),
        "limit_MB": round(limit / MB, 1),
    }
    bench_checks[key] = numbers
    print(f"{key}: {numbers}")
    assert result["peak"] <= limit, f"peak RSS too high: {numbers}"


def test_peak_rss_seg_undefined_dcmfast(seg_undefined, bench_checks):
    """Read seg_undefined + all 12,000 positions: peak RSS within bounds."""
    _check_peak_rss(seg_undefined, False, bench_checks, "peak_rss_seg_undefined_dcmfast")


def test_peak_rss_seg_undefined_pixeldata_dcmfast(seg_undefined, bench_checks):
    """Same, plus ``len(ds.PixelData)`` (the 393 MB value as bytes)."""
    _check_peak_rss(
        seg_undefined, True, bench_checks, "peak_rss_seg_undefined_pixeldata_dcmfast"
    )
