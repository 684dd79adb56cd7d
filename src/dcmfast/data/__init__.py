"""The sample data set shipped with dcmfast (made by tools/make_samples.py).

``dcmfast demo`` reads every sample, times the reads, and shows a dump.
"""
from __future__ import annotations

import pathlib
import statistics
import sys
import time
from typing import TextIO

__all__ = ["SAMPLES_DIR", "sample_files", "get_sample", "demo"]

SAMPLES_DIR = pathlib.Path(__file__).resolve().parent / "samples"


def sample_files() -> list[pathlib.Path]:
    """Paths of the shipped sample files, sorted by name."""
    return sorted(SAMPLES_DIR.glob("*.dcm"))


def get_sample(name: str) -> pathlib.Path:
    """Path of one sample, e.g. ``get_sample("ct_explicit_le.dcm")``."""
    path = SAMPLES_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"no sample named {name!r}; have {[p.name for p in sample_files()]}")
    return path


def _median_us(func, repeat: int = 200) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def demo(out: TextIO = sys.stdout) -> int:
    """Read every sample, print what it holds and how long reading took."""
    import dcmfast
    from dcmfast.cli import dump

    files = sample_files()
    out.write(f"dcmfast {dcmfast.__version__}: {len(files)} sample files in {SAMPLES_DIR}\n")
    out.write(f"compiled modules: {', '.join(dcmfast.build_info()['modules'])}\n\n")
    out.write(f"{'file':<28} {'syntax':<35} {'patient':<28} {'read (median)':>14} "
              f"{'+ pixels':>12}  pixel array\n")
    for path in files:
        ds = dcmfast.dcmread(path)
        syntax = ds.file_meta.TransferSyntaxUID.name
        us = _median_us(lambda: dcmfast.dcmread(path, stop_before_pixels=True).PatientName)
        if "PixelData" in ds:
            arr = ds.pixel_array
            px = f"{_median_us(lambda: dcmfast.dcmread(path).pixel_array):>9.1f} us"
            shape = f"{arr.shape} {arr.dtype}"
        else:
            px, shape = f"{'-':>12}", "no Pixel Data"
        out.write(f"{path.name:<28} {syntax:<35} {str(ds.PatientName):<28} {us:>11.1f} us "
                  f"{px}  {shape}\n")
    seg = dcmfast.dcmread(get_sample("seg_undefined_lengths.dcm"))
    z = [float(item.PlanePositionSequence[0].ImagePositionPatient[2])
         for item in seg.PerFrameFunctionalGroupsSequence]
    out.write(f"\nsegmentation: {len(z)} frames, slice positions {z[0]} .. {z[-1]} mm\n")
    mr = dcmfast.dcmread(get_sample("mr_iso2022_japanese.dcm"))
    name = mr.PatientName
    out.write(f"ISO 2022 person name: {name} (family {name.family_name!r}, "
              f"ideographic {name.ideographic!r}, phonetic {name.phonetic!r})\n")
    out.write("\n$ dcmfast dump ct_explicit_le.dcm --stop-before-pixels\n")
    dump(get_sample("ct_explicit_le.dcm"), out, stop_before_pixels=True)
    return 0
