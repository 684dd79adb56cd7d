"""Bulk conversion: ``dcmfast convert SRC... -o OUT --to explicit|rle|j2k``.

Walks files and folders, converts every DICOM file's pixel encoding and
writes it under OUT with the same relative path. Each output is written
atomically (temporary file, then rename), so an interrupted run leaves no
half files and a re-run skips outputs that already exist. A file that cannot
be read or converted is listed with its reason and never stops the batch.
"""
from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable, Iterator, TextIO

__all__ = ["convert_files", "ConvertSummary", "iter_inputs"]


@dataclass
class ConvertSummary:
    converted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def report(self, out: TextIO) -> None:
        for path, reason in self.failed:
            out.write(f"failed: {path}: {reason}\n")
        out.write(f"converted {len(self.converted)}, skipped {len(self.skipped)} already done, "
                  f"failed {len(self.failed)}\n")


def iter_inputs(sources: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(path, path relative to its source root) of every file, sorted per folder."""
    for src in sources:
        if os.path.isdir(src):
            for root, dirs, files in os.walk(src):
                dirs.sort()
                for name in sorted(files):
                    path = os.path.join(root, name)
                    yield path, os.path.relpath(path, src)
        else:
            yield src, os.path.basename(src)


def _one(job: tuple[str, str, str]) -> tuple[str, str | None]:
    src, dst, to = job
    from dcmfast.errors import InvalidDicomError
    from dcmfast.transcode import transcode_file

    try:
        os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
        transcode_file(src, dst, to)
        return src, None
    except (InvalidDicomError, ValueError, NotImplementedError, AttributeError, ImportError,
            OSError, KeyError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return src, f"{type(exc).__name__}: {message}"


def convert_files(sources: Iterable[str], out_dir: str, to: str, *, workers: int | None = None,
                  overwrite: bool = False, progress: bool = True) -> ConvertSummary:
    """Convert every file under ``sources`` into ``out_dir``; see the module doc."""
    summary = ConvertSummary()
    jobs = []
    for path, rel in iter_inputs(sources):
        dst = os.path.join(out_dir, rel)
        if not overwrite and os.path.exists(dst):
            summary.skipped.append(path)
            continue
        jobs.append((path, dst, to))
    bar = None
    if progress and jobs:
        try:
            from tqdm import tqdm

            bar = tqdm(total=len(jobs), unit="file", desc=f"convert to {to}", file=sys.stderr)
        except ImportError:  # pragma: no cover - tqdm is a dependency
            bar = None
    n = workers if workers is not None else min(len(jobs), os.cpu_count() or 1)
    try:
        if n > 1 and len(jobs) > 1:
            with ProcessPoolExecutor(n) as pool:
                results = pool.map(_one, jobs, chunksize=max(1, len(jobs) // (8 * n)))
                for src, error in results:
                    _record(summary, src, error, bar)
        else:
            for job in jobs:
                src, error = _one(job)
                _record(summary, src, error, bar)
    finally:
        if bar is not None:
            bar.close()
    return summary


def _record(summary: ConvertSummary, src: str, error: str | None, bar: object) -> None:
    if error is None:
        summary.converted.append(src)
    else:
        summary.failed.append((src, error))
    if bar is not None:
        bar.update(1)  # type: ignore[attr-defined]
