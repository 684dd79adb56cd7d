"""Deterministic 300-slice CT series for the series benchmarks (issue 4).

Four folders under ``<data_dir>/series/`` (``gen_data.data_dir``: the
``$DCMFAST_BENCH_DATA`` folder or ``benchmarks/.data``), each holding the same
300 axial CT slices of 512x512 signed 16-bit (stored = HU + 1024, Rescale
Intercept -1024) as one file per slice, ~158 MB of pixels per series:

``native``   Explicit VR Little Endian (~525 KB a file)
``rle``      RLE Lossless (pylibjpeg-rle, or pydicom's encoder)
``j2k``      JPEG 2000 Lossless (pylibjpeg-openjpeg)
``jpegll``   JPEG Lossless SV1 (DCMTK ``dcmcjpeg +e1``; skipped with a note
             when DCMTK is missing)

File names are shuffled on purpose (a hash of the slice index), so nothing
can sort by name: the geometry must decide.  Slices are 1.0 mm apart along
z, starting at z = -300; pixel spacing 0.7 mm; instance numbers run from 1
(the top, z = -1) to 300 (z = -300), the order scanners use for feet-first
numbering, so sorting by InstanceNumber and by position disagree in
direction.

Regeneration: a folder is complete when its ``manifest.json`` carries the
current :data:`SERIES_VERSION` and every listed file has its recorded size.
``python benchmarks/gen_series.py [--force]`` (re)writes them by hand.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import gen_data  # noqa: E402

SERIES_VERSION = 1
SLICES = 300
ROWS = COLS = 512
SPACING_Z = 1.0
PIXEL_SPACING = 0.7
Z0 = -300.0
VARIANTS = ("native", "rle", "j2k", "jpegll")


def slice_z(k: int) -> float:
    """z (mm) of slice *k* in geometric order (k = 0 is the lowest z)."""
    return Z0 + k * SPACING_Z


def file_name(k: int) -> str:
    """The shuffled file name of slice *k* (geometric index)."""
    return hashlib.sha1(f"dcmfast-series-{k}".encode()).hexdigest()[:16] + ".dcm"


def _grid() -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:ROWS, 0:COLS].astype(np.float64)
    return yy, xx


def slice_pixels(k: int, grid=None) -> np.ndarray:
    """Stored int16 values of slice *k* (geometric order); deterministic."""
    s = k / (SLICES - 1)
    rng = np.random.default_rng(1_000_000 + k)
    hu = gen_data.phantom_hu(s, 232.0 - 20.0 * abs(s - 0.5), rng, grid, kidneys=False)
    return np.round(hu + 1024.0).astype("<i2")


def volume() -> np.ndarray:
    """The stored values of the whole series in geometric order (300, 512, 512)."""
    grid = _grid()
    return np.stack([slice_pixels(k, grid) for k in range(SLICES)])


def _slice_dataset(k: int, pixels: np.ndarray):
    ds = gen_data.build_ct()
    sop = gen_data._uid(f"series300/{k}")
    ds.file_meta.MediaStorageSOPInstanceUID = sop
    ds.SOPInstanceUID = sop
    ds.SeriesInstanceUID = gen_data._uid("series300")
    ds.SeriesDescription = "Benchmark 300 x 1.0 mm"
    ds.InstanceNumber = str(SLICES - k)
    ds.ImagePositionPatient = [f"{-PIXEL_SPACING * 255.5:.4f}", f"{-PIXEL_SPACING * 255.5:.4f}",
                               f"{slice_z(k):.4f}"]
    ds.SliceLocation = f"{slice_z(k):.4f}"
    ds.SliceThickness = "1.0"
    ds.PixelSpacing = [str(PIXEL_SPACING), str(PIXEL_SPACING)]
    ds[0x00280106].value = int(pixels.min())
    ds[0x00280107].value = int(pixels.max())
    del ds.ReferencedImageSequence
    ds.PixelData = pixels.tobytes()
    return ds


def series_dir(out=None) -> Path:
    return gen_data.data_dir(out).resolve() / "series"


def _complete(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    if manifest.get("version") != SERIES_VERSION:
        return False
    sizes = manifest.get("sizes", {})
    if len(sizes) != SLICES:
        return False
    try:
        return all((folder / name).stat().st_size == size for name, size in sizes.items())
    except OSError:
        return False


def _finish(tmp: Path, final: Path) -> None:
    sizes = {p.name: p.stat().st_size for p in sorted(tmp.glob("*.dcm"))}
    (tmp / "manifest.json").write_text(json.dumps({"version": SERIES_VERSION, "sizes": sizes},
                                                  indent=1, sort_keys=True) + "\n")
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)


def generate(out=None, *, force: bool = False, verbose: bool = False) -> dict[str, Path]:
    """Write the missing series folders; return variant -> folder.

    A variant whose encoder is missing (``jpegll`` without DCMTK) is left out
    of the result, with a note on stderr.
    """
    from pydicom import dcmwrite
    from pydicom.uid import JPEG2000Lossless, RLELossless

    root = series_dir(out)
    root.mkdir(parents=True, exist_ok=True)
    todo = [v for v in VARIANTS if force or not _complete(root / v)]
    if todo:
        t0 = time.perf_counter()
        tmps = {v: root / f".{v}.tmp" for v in todo}
        for tmp in tmps.values():
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
        dcmcjpeg = shutil.which("dcmcjpeg")
        grid = _grid()
        # jpegll is encoded from native files: write those to its tmp when native is done
        native_src = root / "native" if "native" not in todo else tmps["native"]
        for k in range(SLICES):
            pixels = slice_pixels(k, grid)
            name = file_name(k)
            for v, uid in (("native", None), ("rle", RLELossless), ("j2k", JPEG2000Lossless)):
                if v not in todo:
                    continue
                ds = _slice_dataset(k, pixels)
                if uid is not None:
                    gen_data._compress(ds, uid)
                dcmwrite(tmps[v] / name, ds, enforce_file_format=True)
            if "jpegll" in todo and dcmcjpeg:
                src = native_src / name
                scratch = None
                if not src.is_file():
                    scratch = tmps["jpegll"] / (name + ".native")
                    dcmwrite(scratch, _slice_dataset(k, pixels), enforce_file_format=True)
                    src = scratch
                subprocess.run([dcmcjpeg, "+e1", "+un", str(src), str(tmps["jpegll"] / name)],
                               check=True, capture_output=True)
                if scratch is not None:
                    scratch.unlink()
        for v, tmp in tmps.items():
            if v == "jpegll" and not dcmcjpeg:
                shutil.rmtree(tmp)
                print("note: series/jpegll not generated: dcmcjpeg (DCMTK) is not on PATH",
                      file=sys.stderr)
                continue
            _finish(tmp, root / v)
        if verbose:
            print(f"series {', '.join(todo)}: generated in {time.perf_counter() - t0:.1f} s")
    return {v: root / v for v in VARIANTS if _complete(root / v)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="data folder (default: $DCMFAST_BENCH_DATA or benchmarks/.data)")
    parser.add_argument("--force", action="store_true", help="regenerate even if complete")
    args = parser.parse_args(argv)
    for variant, folder in generate(args.out, force=args.force, verbose=True).items():
        print(f"{variant}: {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
