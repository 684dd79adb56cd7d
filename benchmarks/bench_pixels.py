"""Pixel-data benchmarks: dcmfast against pydicom 3, dicomsdl, pylibjpeg-rle
and plain numpy, on identical data in the same run.

How to run (from the repository root)::

    python -m pytest benchmarks/bench_pixels.py --benchmark-only      # timings + ratio table
    python -m pytest benchmarks/bench_pixels.py --benchmark-disable   # smoke mode (CI)
    python -m pytest benchmarks/bench_pixels.py --benchmark-only -k "not dcmfast"  # peers only

Data: ``gen_data.py`` (generated on first use, cached).  The ratio table
(peer median / dcmfast median) is printed by ``conftest.py``.

"Assert before you time": every result is compared once, untimed, with the
ground truth from ``gen_data`` (for the YBR clips: with pydicom 3's RGB
output, the reference behaviour).  dcmfast must match (values, shape and
dtype; the byte order of the dtype is not compared: pydicom returns ``>i2``
for Big Endian files).  A peer that differs is *flagged*, not failed: the
difference is printed and listed under "dcmfast benchmark checks" in the
summary (``peer_differs:<group>:<impl>``).  With ``--benchmark-disable``
the single smoke run is checked instead.

The dcmfast side calls the pixel API (``ds.pixel_array``,
``dcmfast.pixel_array(src, *, index, threads, out)``, ``ds.frame(i)``)
directly: while that API is missing the dcmfast tests fail (AttributeError),
they are never skipped.

Groups (``benchmark.group``; tests ``test_<group>_<impl>``):

``pixels_ct_le`` / ``pixels_ct_be`` / ``pixels_ct_bs12``
    Read + decode the 512x512 CT slice (``ct_slice``, ``ct_slice_be``,
    ``ct_slice_bs12``).  dcmfast ``dcmread(p).pixel_array``; pydicom
    ``dcmread(p).pixel_array``; dicomsdl ``open(p).pixelData(storedvalue=True)``
    (its default applies the rescale and returns float32 HU, not the stored
    values the others return).  Known peer issue: dicomsdl returns the raw
    16-bit words of ``ct_slice_bs12`` (the garbage high bits are kept, values
    not sign-extended from 12 bits): flagged.
``pixels_ct_rle`` / ``pixels_clip_rle``
    Read + decode RLE Lossless: the CT slice (16-bit, 1 frame) and the
    60-frame 600x800 RGB clip.  pydicom uses its own RLE decoder
    (``pydicom.pixels.pixel_array(p, decoding_plugin="pydicom")``); dicomsdl
    decodes each frame into a preallocated array (``copyFrameData``).
``pixels_ct_rle_decode`` / ``pixels_clip_rle_decode``
    Decode only, the file already open (not timed): dcmfast
    ``dcmfast.pixel_array(ds)`` on a dataset from ``dcmfast.dcmread`` (not
    ``ds.pixel_array``, which caches its result); pydicom's own RLE
    decoder on an open dataset (``get_decoder(RLELossless).as_array(ds,
    decoding_plugin="pydicom")``); ``pylibjpeg_rle``: ``rle.decode_pixel_data``
    called directly on the frame bytes (extracted beforehand), the planar
    output of the clip interleaved into a preallocated (60, 600, 800, 3)
    array - the same output the others return.
``pixels_clip_rgb`` / ``pixels_clip_ybr_full`` / ``pixels_clip_ybr_full_422``
    Read + decode the 60-frame clip to RGB (pydicom 3 converts YBR to RGB by
    default; so does dcmfast with ``as_rgb=True``).  dicomsdl does no colour
    conversion (its YBR_FULL result is YBR: flagged) and is not run on
    YBR_FULL_422: it reads that native data as 3 bytes per pixel (wrong
    values, and it reads past the end of the pixel data for the last frames).
``pixels_seg_all``
    The 1-bit 12,000-frame SEG (``seg_defined``, 393 MB packed) to a
    (12000, 512, 512) uint8 array: 3.1 GB out.  dcmfast
    ``dcmfast.pixel_array(p)`` (read + unpack); ``numpy_copy``: ``.copy()`` of
    a preallocated 3.1 GB uint8 array (allocate + copy the output size: the
    memory-bandwidth floor); pydicom ``pydicom.pixels.pixel_array(p)``.
``pixels_seg_all_out``
    The same into a preallocated, already touched output: dcmfast
    ``pixel_array(p, out=buf)`` vs ``numpy_copyto`` (``np.copyto(buf, src)``).
``pixels_seg_frame``
    One frame (index 1246) of the SEG.  dcmfast: ``ds.frame(i)`` on a dataset
    opened beforehand; ``dcmfast_path``: ``dcmfast.pixel_array(p, index=i)``
    (open + one frame); pydicom: ``pydicom.pixels.pixel_array(p, index=i)``
    (open + one frame); ``pydicom_open``: pydicom's decoder on a dataset
    opened beforehand.  dicomsdl is not run: on BitsAllocated 1 it returns
    the packed bytes as pixels and reads past the end of the data for frame
    indices >= 1/8 of the frames (segfault).
``pixels_j2k_mf`` / ``pixels_jpegll_mf``
    Read + decode the 20-frame 512x512 16-bit CT in JPEG 2000 Lossless and
    JPEG Lossless SV1.  dcmfast is ``dcmfast.pixel_array(p, threads=2)``;
    ``dcmfast_1thread`` the same with ``threads=1``: its ratio in the table is
    the speed-up of 2 workers (target >= 1.7x, reported in the summary).
    pydicom ``dcmread(p).pixel_array`` with its default plugin (the first
    available of GDCM, pylibjpeg); dicomsdl frame by frame (``copyFrameData``).

The SEG groups move 3.1 GB per call: they run as ``pedantic(rounds=3)``
(the previous result is freed between rounds, outside the timing), are
skipped when ``MemAvailable`` is too small, and are skipped under
``--benchmark-disable`` (frame-level correctness of the SEG is still smoke
tested by ``pixels_seg_frame``).  Other peers slower than ~0.5 s per call
also use ``pedantic(rounds=3)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import gen_data
from gen_data import CLIP_EXPECTED, MF_EXPECTED, SEG_EXPECTED

# A dcmfast test that fails before timing (pixel API not there yet) would get
# a second report at teardown, pytest-benchmark's "fixture was not used"
# warning turned into an error by the project's filterwarnings = error.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Benchmark fixture was not used:pytest_benchmark.logger.PytestBenchmarkWarning"
)

GB = 1 << 30
#: Frame of the SEG used by ``pixels_seg_frame``: segment 3, slice 246,
#: the largest cross-section (8,499 pixels set).
SEG_FRAME_INDEX = 1246
SEG_SHAPE = (SEG_EXPECTED["NumberOfFrames"], SEG_EXPECTED["Rows"], SEG_EXPECTED["Columns"])
SEG_OUT_BYTES = int(np.prod(SEG_SHAPE))  # 3,145,728,000
#: SEG frames compared one by one after a whole-array decode.
SEG_SAMPLE_FRAMES = (0, SEG_FRAME_INDEX, 5_123, SEG_EXPECTED["NumberOfFrames"] - 1)


# ---------------------------------------------------------------------------
# fixtures and helpers
# ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def pixel_files(bench_data) -> dict[str, str]:
    """Paths (str) of the generated data, by key (see ``gen_data``)."""
    return {key: str(path) for key, path in bench_data.items()}


def data_path(pixel_files: dict[str, str], key: str) -> str:
    """Path of data file *key*, or skip if it could not be generated."""
    path = pixel_files[key]
    if not Path(path).is_file():
        pytest.skip(f"{key}.dcm was not generated (missing tool, see gen_data's notes)")
    return path


def _dcmfast():
    """Import dcmfast; any failure (or a missing pixel API later) is loud."""
    import dcmfast

    return dcmfast


def _mem_available() -> int | None:
    """MemAvailable from /proc/meminfo in bytes (None if unknown)."""
    try:
        with open("/proc/meminfo") as fp:
            for line in fp:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def need_ram(nbytes: int, what: str) -> None:
    """Skip unless at least *nbytes* of RAM are available."""
    avail = _mem_available()
    if avail is not None and avail < nbytes:
        pytest.skip(
            f"{what} needs ~{nbytes / GB:.1f} GiB of free RAM, {avail / GB:.1f} GiB available"
        )


def skip_heavy_if_disabled(benchmark) -> None:
    """The 3 GB SEG cases are timed runs only."""
    if benchmark.disabled:
        pytest.skip(
            "3.1 GB output: runs only when timing (--benchmark-disable smoke runs skip it; "
            "the SEG unpacking is smoke-tested frame by frame by pixels_seg_frame)"
        )


@functools.cache
def reference(key: str, path: str) -> np.ndarray:
    """The array every implementation must return for data file *key*."""
    if key in ("ct_slice", "ct_slice_be", "ct_slice_rle"):
        return gen_data.ct_pixels()
    if key == "ct_slice_bs12":
        return gen_data.ct_bs12_pixels()
    if key in ("us_clip_rgb", "us_clip_rle"):
        return gen_data.us_clip_rgb()
    if key in ("us_clip_ybr_full", "us_clip_ybr_full_422"):
        # The contract is "same values as pydicom 3" (YBR -> RGB rounding is
        # implementation defined); sanity-check pydicom against the source RGB.
        from pydicom.pixels import pixel_array

        arr = pixel_array(path)
        diff = np.abs(arr.astype(np.int16) - gen_data.us_clip_rgb())
        limit = 1 if key == "us_clip_ybr_full" else 255  # 4:2:2 loses chroma at edges
        assert diff.max() <= limit and diff.mean() < 0.5, "pydicom's YBR -> RGB is off"
        arr.flags.writeable = False
        return arr
    if key.startswith("ct_multiframe"):
        return gen_data.ct_volume()
    raise KeyError(key)


def compare(result: Any, expected: np.ndarray) -> dict | None:
    """Return a description of how *result* differs from *expected*, or None."""
    if isinstance(result, (list, tuple)):
        result = np.stack(result) if len(result) > 1 else np.asarray(result[0])
    if not isinstance(result, np.ndarray):
        return {"type": type(result).__name__}
    if result.shape != expected.shape:
        return {"shape": result.shape, "expected_shape": expected.shape}
    problems = {}
    if (result.dtype.kind, result.dtype.itemsize) != (expected.dtype.kind, expected.dtype.itemsize):
        problems["dtype"] = str(result.dtype)
        problems["expected_dtype"] = str(expected.dtype)
    if not np.array_equal(result, expected):
        differ = result != expected
        problems["differing_values"] = int(np.count_nonzero(differ))
        problems["of"] = int(differ.size)
        delta = np.abs(result[differ].astype(np.float64) - expected[differ].astype(np.float64))
        problems["max_abs_diff"] = float(delta.max())
    return problems or None


def flag_or_fail(impl: str, group: str, problems: dict | None, bench_checks: dict) -> None:
    """dcmfast must be right; a peer that is not gets flagged in the summary."""
    if problems is None:
        return
    if impl.startswith("dcmfast"):
        raise AssertionError(f"dcmfast result differs in {group}: {problems}")
    bench_checks[f"peer_differs:{group}:{impl}"] = problems
    print(f"peer {impl} differs in {group}: {problems}")


def checker(key: str, path: str, impl: str, group: str, bench_checks: dict):
    """Check function comparing a result with :func:`reference`."""

    def check(result) -> None:
        flag_or_fail(impl, group, compare(result, reference(key, path)), bench_checks)

    return check


def run_checked(
    benchmark,
    group: str,
    fn: Callable[[], Any],
    check: Callable[[Any], None],
    *,
    slow: bool = False,
    heavy: bool = False,
) -> None:
    """Check ``fn()``'s result once, untimed, then benchmark ``fn``.

    With benchmarks disabled ``fn`` runs once through the fixture and that
    result is checked.  *slow*: ``pedantic(rounds=3)`` for peers slower than
    ~0.5 s.  *heavy*: the same, keeping at most one result alive (a round's
    result is dropped in the teardown, outside the timing) for 3 GB outputs.
    """
    benchmark.group = group
    if benchmark.disabled:
        check(benchmark(fn))
        return
    check(fn())
    if heavy:
        holder: list = []
        benchmark.pedantic(
            lambda: holder.append(fn()), teardown=holder.clear, rounds=3, iterations=1
        )
    elif slow:
        benchmark.pedantic(fn, rounds=3, iterations=1, warmup_rounds=0)
    else:
        benchmark(fn)


@pytest.fixture
def bench(benchmark, pixel_files, bench_checks):
    """``bench(group, key, impl, make, **kw)``: benchmark ``make(path)()``
    on data file *key* as implementation *impl* of *group*, checked against
    :func:`reference` (``**kw`` as for :func:`run_checked`)."""

    def run(group: str, key: str, impl: str, make: Callable[[str], Callable], **kw) -> None:
        path = data_path(pixel_files, key)
        fn = make(path)
        run_checked(benchmark, group, fn, checker(key, path, impl, group, bench_checks), **kw)

    return run


# --- per-implementation "read + decode" functions --------------------------
def dcmfast_read_decode(path: str) -> Callable[[], np.ndarray]:
    dcmfast = _dcmfast()
    return lambda: dcmfast.dcmread(path).pixel_array


def pydicom_read_decode(path: str) -> Callable[[], np.ndarray]:
    import pydicom

    return lambda: pydicom.dcmread(path).pixel_array


def pydicom_own_rle(path: str) -> Callable[[], np.ndarray]:
    """pydicom with its own (numpy / pure Python) RLE decoder."""
    from pydicom.pixels import pixel_array

    return lambda: pixel_array(path, decoding_plugin="pydicom")


def dicomsdl_single(path: str) -> Callable[[], np.ndarray]:
    """dicomsdl, one frame, stored values (pixelData() would rescale to HU)."""
    import dicomsdl

    return lambda: dicomsdl.open(path).pixelData(storedvalue=True)


def dicomsdl_all_frames(path: str) -> Callable[[], np.ndarray]:
    """dicomsdl: every frame decoded into one preallocated array."""
    import dicomsdl

    def run() -> np.ndarray:
        ds = dicomsdl.open(path)
        info = ds.getPixelDataInfo()
        shape = (int(info["NumberOfFrames"]), info["Rows"], info["Cols"])
        if info["SamplesPerPixel"] > 1:
            shape += (info["SamplesPerPixel"],)
        out = np.empty(shape, info["dtype"])
        for i in range(shape[0]):
            ds.copyFrameData(i, out[i])
        return out

    return run


# ---------------------------------------------------------------------------
# pixels_ct_le / pixels_ct_be / pixels_ct_bs12: read + decode one CT slice
# ---------------------------------------------------------------------------
def test_pixels_ct_le_dcmfast(bench):
    bench("pixels_ct_le", "ct_slice", "dcmfast", dcmfast_read_decode)


def test_pixels_ct_le_pydicom(bench):
    bench("pixels_ct_le", "ct_slice", "pydicom", pydicom_read_decode)


def test_pixels_ct_le_dicomsdl(bench):
    bench("pixels_ct_le", "ct_slice", "dicomsdl", dicomsdl_single)


def test_pixels_ct_be_dcmfast(bench):
    bench("pixels_ct_be", "ct_slice_be", "dcmfast", dcmfast_read_decode)


def test_pixels_ct_be_pydicom(bench):
    # pydicom returns a big-endian '>i2' array (a view of the file bytes).
    bench("pixels_ct_be", "ct_slice_be", "pydicom", pydicom_read_decode)


def test_pixels_ct_be_dicomsdl(bench):
    bench("pixels_ct_be", "ct_slice_be", "dicomsdl", dicomsdl_single)


def test_pixels_ct_bs12_dcmfast(bench):
    bench("pixels_ct_bs12", "ct_slice_bs12", "dcmfast", dcmfast_read_decode)


def test_pixels_ct_bs12_pydicom(bench):
    # pydicom sign-extends from bit 11 (correct_unused_bits, on by default).
    bench("pixels_ct_bs12", "ct_slice_bs12", "pydicom", pydicom_read_decode)


def test_pixels_ct_bs12_dicomsdl(bench):
    # WRONG VALUES (dicomsdl 0.109.4): returns the raw 16-bit words, i.e. the
    # garbage in bits 12-15 is kept and nothing is sign-extended from bit 11.
    # Flagged as peer_differs, still timed.
    bench("pixels_ct_bs12", "ct_slice_bs12", "dicomsdl", dicomsdl_single)


# ---------------------------------------------------------------------------
# RLE Lossless: read + decode
# ---------------------------------------------------------------------------
def test_pixels_ct_rle_dcmfast(bench):
    bench("pixels_ct_rle", "ct_slice_rle", "dcmfast", dcmfast_read_decode)


def test_pixels_ct_rle_pydicom(bench):
    bench("pixels_ct_rle", "ct_slice_rle", "pydicom", pydicom_own_rle)


def test_pixels_ct_rle_dicomsdl(bench):
    bench("pixels_ct_rle", "ct_slice_rle", "dicomsdl", dicomsdl_single)


def test_pixels_clip_rle_dcmfast(bench):
    bench("pixels_clip_rle", "us_clip_rle", "dcmfast", dcmfast_read_decode)


def test_pixels_clip_rle_pydicom(bench):
    bench("pixels_clip_rle", "us_clip_rle", "pydicom", pydicom_own_rle, slow=True)


def test_pixels_clip_rle_dicomsdl(bench):
    bench("pixels_clip_rle", "us_clip_rle", "dicomsdl", dicomsdl_all_frames)


# ---------------------------------------------------------------------------
# RLE Lossless: decode only (file opened / frames extracted beforehand)
# ---------------------------------------------------------------------------
def dcmfast_decode_open(path: str) -> Callable[[], np.ndarray]:
    """dcmfast: ``dcmfast.pixel_array(ds)`` on an already open dataset
    (``ds.pixel_array`` would return its cached array after the first call)."""
    dcmfast = _dcmfast()
    ds = dcmfast.dcmread(path)
    return lambda: dcmfast.pixel_array(ds)


def pydicom_own_rle_open(path: str) -> Callable[[], np.ndarray]:
    """pydicom's own RLE decoder on an already open dataset."""
    import pydicom
    from pydicom.pixels import get_decoder
    from pydicom.uid import RLELossless

    ds = pydicom.dcmread(path)
    decoder = get_decoder(RLELossless)
    return lambda: decoder.as_array(ds, decoding_plugin="pydicom")[0]


def pylibjpeg_rle_frames(path: str) -> Callable[[], np.ndarray]:
    """pylibjpeg-rle on the frame bytes; planar output interleaved."""
    rle = pytest.importorskip("rle")
    import pydicom
    from pydicom.encaps import generate_frames

    ds = pydicom.dcmread(path)
    count = int(ds.get("NumberOfFrames", 1) or 1)
    frames = list(generate_frames(ds.PixelData, number_of_frames=count))
    rows, cols, spp, bits = ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.BitsAllocated
    dtype = np.dtype(f"<{'i' if ds.PixelRepresentation else 'u'}{bits // 8}")
    opts = {"rows": rows, "columns": cols, "samples_per_pixel": spp, "bits_allocated": bits}

    if count == 1 and spp == 1:
        return lambda: np.frombuffer(
            rle.decode_pixel_data(frames[0], version=2, byteorder="<", **opts), dtype
        ).reshape(rows, cols)

    def run() -> np.ndarray:
        out = np.empty((count, rows, cols, spp), dtype)
        for i, frame in enumerate(frames):
            planar = rle.decode_pixel_data(frame, version=2, byteorder="<", **opts)
            out[i] = np.frombuffer(planar, dtype).reshape(spp, rows, cols).transpose(1, 2, 0)
        return out if spp > 1 else out[..., 0]

    return run


def test_pixels_ct_rle_decode_dcmfast(bench):
    bench("pixels_ct_rle_decode", "ct_slice_rle", "dcmfast", dcmfast_decode_open)


def test_pixels_ct_rle_decode_pydicom(bench):
    bench("pixels_ct_rle_decode", "ct_slice_rle", "pydicom", pydicom_own_rle_open)


def test_pixels_ct_rle_decode_pylibjpeg_rle(bench):
    bench("pixels_ct_rle_decode", "ct_slice_rle", "pylibjpeg_rle", pylibjpeg_rle_frames)


def test_pixels_clip_rle_decode_dcmfast(bench):
    bench("pixels_clip_rle_decode", "us_clip_rle", "dcmfast", dcmfast_decode_open)


def test_pixels_clip_rle_decode_pydicom(bench):
    bench("pixels_clip_rle_decode", "us_clip_rle", "pydicom", pydicom_own_rle_open, slow=True)


def test_pixels_clip_rle_decode_pylibjpeg_rle(bench):
    bench("pixels_clip_rle_decode", "us_clip_rle", "pylibjpeg_rle", pylibjpeg_rle_frames)


# ---------------------------------------------------------------------------
# colour: the 60-frame clip (RGB, YBR_FULL, YBR_FULL_422) -> RGB
# ---------------------------------------------------------------------------
def test_pixels_clip_rgb_dcmfast(bench):
    bench("pixels_clip_rgb", "us_clip_rgb", "dcmfast", dcmfast_read_decode)


def test_pixels_clip_rgb_pydicom(bench):
    bench("pixels_clip_rgb", "us_clip_rgb", "pydicom", pydicom_read_decode)


def test_pixels_clip_rgb_dicomsdl(bench):
    bench("pixels_clip_rgb", "us_clip_rgb", "dicomsdl", dicomsdl_all_frames)


def test_pixels_clip_ybr_full_dcmfast(bench):
    bench("pixels_clip_ybr_full", "us_clip_ybr_full", "dcmfast", dcmfast_read_decode)


def test_pixels_clip_ybr_full_pydicom(bench):
    bench("pixels_clip_ybr_full", "us_clip_ybr_full", "pydicom", pydicom_read_decode, slow=True)


def test_pixels_clip_ybr_full_dicomsdl(bench):
    # NOT RGB: dicomsdl returns the YBR_FULL samples unconverted (flagged).
    bench("pixels_clip_ybr_full", "us_clip_ybr_full", "dicomsdl", dicomsdl_all_frames)


def test_pixels_clip_ybr_full_422_dcmfast(bench):
    bench("pixels_clip_ybr_full_422", "us_clip_ybr_full_422", "dcmfast", dcmfast_read_decode)


def test_pixels_clip_ybr_full_422_pydicom(bench):
    bench(
        "pixels_clip_ybr_full_422", "us_clip_ybr_full_422", "pydicom", pydicom_read_decode,
        slow=True,
    )


# (no dicomsdl on YBR_FULL_422: see the module docstring)


# ---------------------------------------------------------------------------
# 1-bit SEG: 12,000 frames of 512x512, 3.1 GB unpacked
# ---------------------------------------------------------------------------
def check_seg_all(impl: str, group: str, bench_checks: dict):
    """Check a whole unpacked SEG cheaply: shape, dtype, number of ones and
    a few frames against the generator's packed frames."""

    def check(result) -> None:
        if not isinstance(result, np.ndarray) or result.shape != SEG_SHAPE:
            problems = {"shape": getattr(result, "shape", type(result).__name__)}
        else:
            problems = {}
            if result.dtype != np.uint8:
                problems["dtype"] = str(result.dtype)
            ones = int(np.count_nonzero(result))
            if ones != SEG_EXPECTED["Ones"]:
                problems["ones"] = ones
                problems["expected_ones"] = SEG_EXPECTED["Ones"]
            for i in SEG_SAMPLE_FRAMES:
                if not np.array_equal(result[i], gen_data.seg_frame_pixels(i)):
                    problems[f"frame_{i}"] = "differs"
        flag_or_fail(impl, group, problems or None, bench_checks)

    return check


def test_pixels_seg_all_dcmfast(benchmark, pixel_files, bench_checks):
    skip_heavy_if_disabled(benchmark)
    need_ram(SEG_OUT_BYTES + GB + GB // 2, "the 1-bit SEG -> uint8 decode")
    dcmfast = _dcmfast()
    path = data_path(pixel_files, "seg_defined")
    run_checked(
        benchmark,
        "pixels_seg_all",
        lambda: dcmfast.pixel_array(path),
        check_seg_all("dcmfast", "pixels_seg_all", bench_checks),
        heavy=True,
    )


def test_pixels_seg_all_numpy_copy(benchmark, pixel_files, bench_checks):
    skip_heavy_if_disabled(benchmark)
    need_ram(2 * SEG_OUT_BYTES + GB, "a 3.1 GB numpy copy")
    src = np.ones(SEG_SHAPE, np.uint8)  # touched: every page is resident
    benchmark.group = "pixels_seg_all"
    holder: list = []
    benchmark.pedantic(
        lambda: holder.append(src.copy()), teardown=holder.clear, rounds=3, iterations=1
    )


def test_pixels_seg_all_pydicom(benchmark, pixel_files, bench_checks):
    skip_heavy_if_disabled(benchmark)
    need_ram(SEG_OUT_BYTES + GB + GB // 2, "the 1-bit SEG -> uint8 decode")
    from pydicom.pixels import pixel_array

    path = data_path(pixel_files, "seg_defined")
    run_checked(
        benchmark,
        "pixels_seg_all",
        lambda: pixel_array(path),
        check_seg_all("pydicom", "pixels_seg_all", bench_checks),
        heavy=True,
    )


def test_pixels_seg_all_out_dcmfast(benchmark, pixel_files, bench_checks):
    skip_heavy_if_disabled(benchmark)
    need_ram(SEG_OUT_BYTES + GB + GB // 2, "the 1-bit SEG -> uint8 decode")
    dcmfast = _dcmfast()
    path = data_path(pixel_files, "seg_defined")
    buf = np.full(SEG_SHAPE, 2, np.uint8)  # touched; 2 is neither 0 nor 1

    def run() -> np.ndarray:
        dcmfast.pixel_array(path, out=buf)
        return buf

    check = check_seg_all("dcmfast", "pixels_seg_all_out", bench_checks)
    run_checked(benchmark, "pixels_seg_all_out", run, check, slow=True)


def test_pixels_seg_all_out_numpy_copyto(benchmark, pixel_files, bench_checks):
    skip_heavy_if_disabled(benchmark)
    need_ram(2 * SEG_OUT_BYTES + GB, "a 3.1 GB numpy copy")
    src = np.ones(SEG_SHAPE, np.uint8)
    buf = np.zeros(SEG_SHAPE, np.uint8)
    buf.fill(2)  # make every page resident before timing
    benchmark.group = "pixels_seg_all_out"
    benchmark.pedantic(np.copyto, args=(buf, src), rounds=3, iterations=1)


def _seg_frame_check(impl: str, bench_checks: dict):
    def check(result) -> None:
        problems = compare(result, gen_data.seg_frame_pixels(SEG_FRAME_INDEX))
        flag_or_fail(impl, "pixels_seg_frame", problems, bench_checks)

    return check


def test_pixels_seg_frame_dcmfast(benchmark, pixel_files, bench_checks):
    dcmfast = _dcmfast()
    ds = dcmfast.dcmread(data_path(pixel_files, "seg_defined"))
    run_checked(
        benchmark,
        "pixels_seg_frame",
        lambda: ds.frame(SEG_FRAME_INDEX),
        _seg_frame_check("dcmfast", bench_checks),
    )


def test_pixels_seg_frame_dcmfast_path(benchmark, pixel_files, bench_checks):
    dcmfast = _dcmfast()
    path = data_path(pixel_files, "seg_defined")
    run_checked(
        benchmark,
        "pixels_seg_frame",
        lambda: dcmfast.pixel_array(path, index=SEG_FRAME_INDEX),
        _seg_frame_check("dcmfast_path", bench_checks),
    )


def test_pixels_seg_frame_pydicom(benchmark, pixel_files, bench_checks):
    from pydicom.pixels import pixel_array

    path = data_path(pixel_files, "seg_defined")
    run_checked(
        benchmark,
        "pixels_seg_frame",
        lambda: pixel_array(path, index=SEG_FRAME_INDEX),
        _seg_frame_check("pydicom", bench_checks),
    )


def test_pixels_seg_frame_pydicom_open(benchmark, pixel_files, bench_checks):
    import pydicom
    from pydicom.pixels import get_decoder

    ds = pydicom.dcmread(data_path(pixel_files, "seg_defined"))
    decoder = get_decoder(ds.file_meta.TransferSyntaxUID)
    run_checked(
        benchmark,
        "pixels_seg_frame",
        lambda: decoder.as_array(ds, index=SEG_FRAME_INDEX)[0],
        _seg_frame_check("pydicom_open", bench_checks),
    )


# (no dicomsdl on the SEG: see the module docstring)


# ---------------------------------------------------------------------------
# multi-frame JPEG 2000 Lossless / JPEG Lossless SV1: threads
# ---------------------------------------------------------------------------
def dcmfast_threads(threads: int):
    def make(path: str) -> Callable[[], np.ndarray]:
        dcmfast = _dcmfast()
        return lambda: dcmfast.pixel_array(path, threads=threads)

    return make


#: 2 workers must be at least this much faster than 1 (reported, not enforced).
THREADS_TARGET = 1.7


def test_pixels_j2k_mf_dcmfast(bench):
    bench("pixels_j2k_mf", "ct_multiframe_j2k", "dcmfast", dcmfast_threads(2))


def test_pixels_j2k_mf_dcmfast_1thread(benchmark, bench):
    benchmark.extra_info["ratio_target"] = THREADS_TARGET
    bench("pixels_j2k_mf", "ct_multiframe_j2k", "dcmfast_1thread", dcmfast_threads(1))


def test_pixels_j2k_mf_pydicom(bench):
    bench("pixels_j2k_mf", "ct_multiframe_j2k", "pydicom", pydicom_read_decode, slow=True)


def test_pixels_j2k_mf_dicomsdl(bench):
    bench("pixels_j2k_mf", "ct_multiframe_j2k", "dicomsdl", dicomsdl_all_frames, slow=True)


def test_pixels_jpegll_mf_dcmfast(bench):
    bench("pixels_jpegll_mf", "ct_multiframe_jpegll", "dcmfast", dcmfast_threads(2)
    )


def test_pixels_jpegll_mf_dcmfast_1thread(benchmark, bench):
    benchmark.extra_info["ratio_target"] = THREADS_TARGET
    bench("pixels_jpegll_mf", "ct_multiframe_jpegll", "dcmfast_1thread", dcmfast_threads(1))


def test_pixels_jpegll_mf_pydicom(bench):
    bench("pixels_jpegll_mf", "ct_multiframe_jpegll", "pydicom", pydicom_read_decode)


def test_pixels_jpegll_mf_dicomsdl(bench):
    bench("pixels_jpegll_mf", "ct_multiframe_jpegll", "dicomsdl", dicomsdl_all_frames)


# ---------------------------------------------------------------------------
# generator sanity (not a benchmark): the data match their ground truth
# ---------------------------------------------------------------------------
def test_data_headers(pixel_files):
    """The pixel files carry the geometry the benchmarks assume."""
    import pydicom

    for key, expected in (
        ("us_clip_rgb", CLIP_EXPECTED),
        ("us_clip_ybr_full_422", CLIP_EXPECTED),
        ("us_clip_rle", CLIP_EXPECTED),
        ("ct_multiframe_j2k", MF_EXPECTED),
        ("ct_multiframe_jpegll", MF_EXPECTED),
    ):
        if not Path(pixel_files[key]).is_file():
            continue
        ds = pydicom.dcmread(pixel_files[key], stop_before_pixels=True)
        assert int(ds.NumberOfFrames) == expected["NumberOfFrames"], key
        assert (ds.Rows, ds.Columns) == (expected["Rows"], expected["Columns"]), key
        assert ds.SOPInstanceUID == expected["SOPInstanceUID"], key
