"""Bulk conversion: ``dcmfast convert SRC... -o OUT --to FORMAT`` and
:func:`dcmfast.convert`.

Two kinds of work:

* **File by file** (``explicit``, ``implicit``, ``deflate``, ``big``, ``rle``,
  ``j2k``): every DICOM file under the sources is transcoded and written under
  OUT with the same relative path.
* **Series by series** (``nifti``, ``npy``): the sources are scanned once
  (:func:`dcmfast.list_series`), every series (or every part of a series that
  had to be split: mixed orientations, sizes or acquisitions) becomes one
  volume file, ``OUT/<PatientID>/<SeriesNumber>_<SeriesDescription>_<uid>``
  plus ``.nii`` (``.nii.gz`` with ``gzip=True``) or ``.npy``; the NIfTI
  geometry is :meth:`Volume.to_nifti`'s, the ``.npy`` holds ``Volume.array``
  (slices, rows, cols) and a ``.json`` beside it the spacing, origin,
  direction and affine.

Every output is written atomically (a temporary name in the same folder,
then rename), so an interrupted run leaves no half files and a re-run skips
outputs that already exist (``overwrite=True`` redoes them). A file or series
that cannot be converted is listed with its reason and never stops the batch.

The work runs on local worker processes (``workers``), or on a Dask
distributed cluster (``client=`` a ``distributed.Client``, or ``scheduler=``
its address): each file or series is one task, so the cluster's workers must
see the sources and OUT at the same paths (a shared filesystem).
"""
from __future__ import annotations

import json
import os
import re
import sys
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, TextIO

__all__ = ["convert", "convert_files", "ConvertSummary", "iter_inputs", "FORMATS",
           "VOLUME_FORMATS"]

#: formats written series by series
VOLUME_FORMATS = ("nifti", "npy")


FORMATS = ("explicit", "implicit", "deflate", "big", "rle", "j2k") + VOLUME_FORMATS


@dataclass
class ConvertSummary:
    """What a conversion did: ``converted`` and ``skipped`` (already done)
    sources (files, or series labels), ``failed`` (source, reason) pairs,
    ``ignored`` (path, reason) for files that are not DICOM images (series
    formats only: they are not failures), ``outputs`` (the files written or
    found done) and ``notes`` (series label, geometry issue: gaps,
    duplicates, tilt... from the volume's GeometryReport)."""

    converted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)

    def report(self, out: TextIO) -> None:
        for label, issue in self.notes:
            out.write(f"note: {label}: {issue}\n")
        for path, reason in self.failed:
            out.write(f"failed: {path}: {reason}\n")
        ignored = f", ignored {len(self.ignored)} non-image files" if self.ignored else ""
        out.write(f"converted {len(self.converted)}, skipped {len(self.skipped)} already done, "
                  f"failed {len(self.failed)}{ignored}\n")


def iter_inputs(sources: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(path, path relative to its source root) of every file, sorted per folder."""
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    for src in sources:
        src = os.fspath(src)
        if os.path.isdir(src):
            for root, dirs, files in os.walk(src):
                dirs.sort()
                for name in sorted(files):
                    path = os.path.join(root, name)
                    yield path, os.path.relpath(path, src)
        else:
            yield src, os.path.basename(src)


def _reason(exc: BaseException) -> str:
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


_EXPECTED = (ValueError, NotImplementedError, AttributeError, ImportError, OSError, KeyError,
             IndexError, TypeError)  # InvalidDicomError, PixelDataError, GeometryError: ValueError


def _one_file(job: tuple[str, str, str]) -> tuple[str, str | None]:
    """Worker task: transcode one file. Returns (source, error or None)."""
    src, dst, to = job
    from dcmfast.transcode import transcode_file

    try:
        transcode_file(src, dst, to)
        return src, None
    except _EXPECTED as exc:
        return src, _reason(exc)


def _temp_name(dst: str, suffix: str) -> str:
    folder, name = os.path.split(dst)
    return os.path.join(folder, f".{name}.{os.getpid()}.tmp{suffix}")


def _one_series(job: tuple) -> tuple:
    """Worker task: read one series (one stack) and write it as a volume file.
    Returns (label, error or None, the GeometryReport's issues)."""
    info, dst, to, threads, label = job
    import numpy as np

    from dcmfast.series import read_series

    suffix = ".nii.gz" if dst.endswith(".nii.gz") else os.path.splitext(dst)[1]
    tmp = _temp_name(dst, suffix)
    tmp_json = _temp_name(dst, ".json")
    try:
        vol = read_series(info, threads=threads, on_geometry="keep")
        os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
        if to == "nifti":
            vol.to_nifti(tmp)
        else:
            np.save(tmp, vol.array)
            meta = {"spacing": list(map(float, vol.spacing)),
                    "origin": list(map(float, vol.origin)),
                    "direction": np.asarray(vol.direction, float).tolist(),
                    "affine": np.asarray(vol.affine, float).tolist(),
                    "axes": ["slice", "row", "column"], "dtype": str(vol.array.dtype),
                    "series_uid": info.series_uid, "files": len(info.files),
                    "geometry_issues": list(vol.report.issues)}
            with open(tmp_json, "w") as fp:
                json.dump(meta, fp, indent=1)
            os.replace(tmp_json, dst[: -len(".npy")] + ".json")
        os.replace(tmp, dst)
        return label, None, list(vol.report.issues)
    except _EXPECTED as exc:
        return label, _reason(exc), []
    finally:
        for path in (tmp, tmp_json):
            if os.path.exists(path):
                os.unlink(path)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe(text: Any, default: str, limit: int = 48) -> str:
    """A file-name component made of [A-Za-z0-9._-] only, never '.' or '..'."""
    cleaned = _UNSAFE.sub("_", str(text or "")).strip("._-")[:limit]
    return cleaned or default


def _series_name(info: Any, ext: str) -> str:
    uid = str(info.series_uid)
    number = info.series_number
    stem = f"{int(number) if number is not None else 0:03d}_" \
           f"{_safe(info.description, 'series')}_{zlib.crc32(uid.encode()):08x}"
    if info.parts > 1:
        stem += f"_part{info.part + 1}"
    return os.path.join(_safe(info.patient_id, "unknown_patient"), stem + ext)


def _series_jobs(sources: list[str], out_dir: str, to: str, gzip: bool, summary: ConvertSummary,
                 overwrite: bool, progress: bool, threads: int | None) -> list[tuple]:
    from dcmfast.series import list_series

    paths = [p for p, _ in iter_inputs(sources)]
    found = list_series(paths, progress=progress)
    summary.ignored.extend(found.skipped)
    ext = ".npy" if to == "npy" else (".nii.gz" if gzip else ".nii")
    jobs = []
    for info in found:
        dst = os.path.join(out_dir, _series_name(info, ext))
        label = f"series {info.series_uid}" + (
            f" part {info.part + 1} of {info.parts}" if info.parts > 1 else "")
        if not overwrite and os.path.exists(dst):
            summary.skipped.append(label)
            summary.outputs.append(dst)
            continue
        jobs.append((info, dst, to, threads, label))
    return jobs


def convert(sources: Any, out_dir: str, to: str, *, workers: int | None = None,
            overwrite: bool = False, progress: bool = True, gzip: bool = False,
            client: Any = None, scheduler: str | None = None) -> ConvertSummary:
    """Convert every file (or, for ``nifti``/``npy``, every series) under
    ``sources`` into ``out_dir``; see the module documentation.

    ``to``: one of :data:`FORMATS`. ``workers``: local worker processes
    (default: the CPU count; 1 runs in this process). ``client``: a
    ``distributed.Client`` to run the tasks on a Dask cluster instead;
    ``scheduler``: the address of one (``tcp://host:8786``).
    """
    if to not in FORMATS:
        raise ValueError(f"unknown format {to!r}: expected one of {', '.join(FORMATS)}")
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    sources = [os.fspath(s) for s in sources]
    summary = ConvertSummary()
    remote = client is not None or scheduler is not None
    if to in VOLUME_FORMATS:
        local = 1 if remote else (workers or os.cpu_count() or 1)
        jobs = _series_jobs(sources, out_dir, to, gzip, summary, overwrite, progress,
                            threads=None if local == 1 else 1)
        task: Callable = _one_series
        unit = "series"
    else:
        jobs = []
        for path, rel in iter_inputs(sources):
            dst = os.path.join(out_dir, rel)
            if not overwrite and os.path.exists(dst):
                summary.skipped.append(path)
                summary.outputs.append(dst)
                continue
            jobs.append((path, dst, to))
        task = _one_file
        unit = "file"
    bar = _bar(progress, len(jobs), unit, to)
    if task is _one_file:  # (src, dst, to)
        outputs = {job[0]: job[1] for job in jobs}
    else:  # (info, dst, to, threads, label)
        outputs = {job[-1]: job[1] for job in jobs}
    try:
        for result in _run(task, jobs, workers, client, scheduler):
            src, error = result[0], result[1]
            if len(result) > 2:
                summary.notes.extend((src, issue) for issue in result[2])
            if error is None:
                summary.converted.append(src)
                summary.outputs.append(outputs[src])
            else:
                summary.failed.append((src, error))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return summary


def convert_files(sources: Iterable[str], out_dir: str, to: str, *, workers: int | None = None,
                  overwrite: bool = False, progress: bool = True, **kwargs: Any) -> ConvertSummary:
    """The same as :func:`convert` (kept for the name used before series formats)."""
    return convert(list(sources), out_dir, to, workers=workers, overwrite=overwrite,
                   progress=progress, **kwargs)


def _bar(progress: bool, total: int, unit: str, to: str) -> Any:
    if not progress or not total:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, desc=f"convert to {to}", file=sys.stderr)


def _run(task: Callable, jobs: list, workers: int | None, client: Any,
         scheduler: str | None) -> Iterator[tuple]:
    """Run ``task`` over ``jobs``, yielding results as they complete."""
    if not jobs:
        return
    if client is not None or scheduler is not None:
        yield from _run_dask(task, jobs, client, scheduler)
        return
    n = workers if workers is not None else min(len(jobs), os.cpu_count() or 1)
    if n <= 1 or len(jobs) == 1:
        for job in jobs:
            yield task(job)
        return
    chunk = 1 if task is _one_series else max(1, len(jobs) // (8 * n))
    with ProcessPoolExecutor(n) as pool:
        yield from pool.map(task, jobs, chunksize=chunk)


def _run_dask(task: Callable, jobs: list, client: Any,
              scheduler: str | None) -> Iterator[tuple]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise ImportError("running on a Dask cluster needs the 'distributed' package "
                          "(pip install 'dcmfast[dask]')") from exc
    own = None
    if client is None:
        client = own = Client(scheduler)
    try:
        # one task per series; files in batches, so tiny files do not drown the scheduler
        if task is _one_file and len(jobs) > 64:
            size = max(1, len(jobs) // 256)
            batches = [jobs[i:i + size] for i in range(0, len(jobs), size)]
            futures = client.map(_file_batch, batches, pure=False)
            for future in as_completed(futures):
                yield from future.result()
        else:
            futures = client.map(task, jobs, pure=False)
            for future in as_completed(futures):
                yield future.result()
    finally:
        if own is not None:
            own.close()


def _file_batch(jobs: list) -> list[tuple[str, str | None]]:
    return [_one_file(job) for job in jobs]
