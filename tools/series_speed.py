"""Quick speed check of dcmfast.read_series against its peers (not a benchmark
suite: benchmarks/ holds those). Runs every implementation in turn, round
after round, so that a busy machine slows them alike; prints medians.

    python tools/series_speed.py FOLDER [raw,dcmfast,dcmfast_info,pydicom,dicomsdl] [ROUNDS]
    python tools/series_speed.py --make FOLDER [rle|j2k]   # 300 x 512 x 512 CT series

The peers: pydicom (dcmread each file, sort by IPP z, stack rescaled arrays),
dicomsdl (open + pixelData, sort, stack), and reading every file's bytes
(``raw``, the floor). ``dcmfast_info`` times read_series on a SeriesInfo
from list_series (the header scan excluded).
"""
from __future__ import annotations

import gc
import glob
import os
import resource
import sys
import time
import warnings

import numpy as np


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--make":
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
        from tests import series_gen

        series_gen.write_big(argv[1], compress=argv[2] if len(argv) > 2 else None)
        return
    folder = argv[0]
    names = (argv[1] if len(argv) > 1 else "raw,dcmfast,dcmfast_info,pydicom,dicomsdl").split(",")
    rounds = int(argv[2]) if len(argv) > 2 else 5
    files = sorted(glob.glob(os.path.join(folder, "*.dcm")))
    import dcmfast

    info = dcmfast.list_series(folder)[0]

    def raw():
        for p in files:
            with open(p, "rb") as fh:
                fh.read()

    def dcf():
        return dcmfast.read_series(folder, on_geometry="keep").array

    def dcf_info():
        return dcmfast.read_series(info, on_geometry="keep").array

    def pyd():
        import pydicom
        dss = [pydicom.dcmread(p) for p in files]
        dss.sort(key=lambda d: float(d.ImagePositionPatient[2]))
        return np.stack([d.pixel_array * float(d.get("RescaleSlope", 1))
                         + float(d.get("RescaleIntercept", 0)) for d in dss])

    def sdl():
        import dicomsdl
        items = []
        for p in files:
            d = dicomsdl.open(p)
            items.append((d.ImagePositionPatient[2], d.pixelData()))
        items.sort(key=lambda t: t[0])
        return np.stack([a for _, a in items])

    fns = {"raw": raw, "dcmfast": dcf, "dcmfast_info": dcf_info, "pydicom": pyd, "dicomsdl": sdl}
    times: dict = {n: [] for n in names}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in names:
            fns[n]()  # warm up (imports, page cache)
        for _ in range(rounds):
            for n in names:
                gc.collect()
                t = time.perf_counter()
                x = fns[n]()
                times[n].append(time.perf_counter() - t)
                del x
    base = np.median(times["dcmfast"]) if "dcmfast" in times else None
    for n in names:
        med = np.median(times[n])
        ratio = f"  {med / base:6.2f} x dcmfast" if base else ""
        print(f"{n:14s} median {med * 1e3:8.1f} ms  min {min(times[n]) * 1e3:8.1f} ms{ratio}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          f"(volume {info.num_slices * info.rows * info.columns * 2 / 2**20:.0f} MB as int16)")


if __name__ == "__main__":
    main(sys.argv[1:])
