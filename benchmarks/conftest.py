"""pytest configuration for the dcmfast benchmarks.

* Collects ``bench_*.py`` files as test modules (no pytest config file needed).
* Session fixtures with the paths of the generated data (see ``gen_data.py``;
  the two ~400 MB SEG files are cached in ``benchmarks/.data/`` or
  ``$DCMFAST_BENCH_DATA`` and only regenerated when their hash is wrong).
* At the end of a timed run, prints per benchmark group every peer's median
  divided by dcmfast's median ("dcmfast is N x faster") and writes it, with
  the peer versions, to ``benchmarks/.results/ratios.json``.  With
  ``--benchmark-disable`` / ``--benchmark-skip`` nothing was timed, so the
  table is skipped (the benchmark bodies still run once as smoke tests).

Benchmark tests are named ``test_<op>_<impl>`` and set
``benchmark.group = "<op>"``; ``<impl>`` is one of :data:`IMPLS` (or any
suffix, e.g. ``dcmfast_1thread``: such columns follow the known ones).

A benchmark may set ``benchmark.extra_info["ratio_target"] = x``: the
summary then states whether its ratio (its median / dcmfast's median in the
same group) reached ``x`` (e.g. the 1-thread run of a 2-thread decode must be
>= 1.7x slower).  Targets are reported, never enforced.
"""

from __future__ import annotations

import fnmatch
import json
import platform
import sys
from importlib import metadata
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import gen_data  # noqa: E402  (needs the path above)

#: Implementations, reference first.  A test's impl is its name's suffix.
IMPLS = ("dcmfast", "pydicom", "dicomsdl", "gdcm")
REFERENCE = "dcmfast"
RESULTS_DIR = BENCH_DIR / ".results"
RATIOS_JSON = RESULTS_DIR / "ratios.json"

#: Filled by non-timing checks (e.g. the peak-RSS test) and reported in the
#: terminal summary and in ``ratios.json``: name -> dict of numbers.
EXTRA_RESULTS: dict[str, dict] = {}


# ---------------------------------------------------------------------------
# collection
# ---------------------------------------------------------------------------
def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    """Collect ``bench_*.py`` in this folder as ordinary test modules."""
    if file_path.suffix != ".py" or not file_path.name.startswith("bench_"):
        return None
    if parent.session.isinitpath(file_path):
        return None  # named on the command line: pytest collects it itself
    patterns = parent.config.getini("python_files")
    if any(fnmatch.fnmatch(file_path.name, pat) for pat in patterns):
        return None  # already matched by the project's python_files
    return pytest.Module.from_parent(parent, path=file_path)


# ---------------------------------------------------------------------------
# data fixtures
# ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def bench_data() -> dict[str, Path]:
    """Paths of the generated data files (generated on first use, cached).

    Keys: the data file stems of ``gen_data.DATA_FILES`` (``ct_slice``,
    ``seg_defined``, ``seg_undefined``, ``ct_slice_be``, ..., ``us_clip_rle``,
    ``ct_multiframe_jpegll``; see ``gen_data.py``).
    """
    return gen_data.ensure_data()


@pytest.fixture(scope="session")
def bench_checks() -> dict[str, dict]:
    """Dict where non-timing checks store numbers for the final summary."""
    return EXTRA_RESULTS


@pytest.fixture(scope="session")
def ct_slice(bench_data) -> str:
    """Path (str) of the 512x512 CT slice."""
    return str(bench_data["ct_slice"])


@pytest.fixture(scope="session")
def seg_defined(bench_data) -> str:
    """Path (str) of the 12,000-frame SEG with defined-length sequences."""
    return str(bench_data["seg_defined"])


@pytest.fixture(scope="session")
def seg_undefined(bench_data) -> str:
    """Path (str) of the 12,000-frame SEG with undefined-length sequences."""
    return str(bench_data["seg_undefined"])


# ---------------------------------------------------------------------------
# ratio table
# ---------------------------------------------------------------------------
def _version(dist: str, module: str | None = None) -> str | None:
    """Installed version of distribution *dist* (or ``module.__version__``)."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        pass
    try:
        mod = __import__(module or dist)
    except Exception:  # noqa: BLE001 - any import problem means "unknown"
        return None
    return getattr(mod, "__version__", None)


def peer_versions() -> dict[str, str | None]:
    """Versions of the interpreter, numpy and every implementation."""
    return {
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "dcmfast": _version("dcmfast"),
        "pydicom": _version("pydicom"),
        "dicomsdl": _version("dicomsdl"),
        "gdcm": _version("python-gdcm", "gdcm"),
        "pytest-benchmark": _version("pytest-benchmark", "pytest_benchmark"),
    }


def _impl_of(name: str, group: str) -> str | None:
    """Return the impl suffix of benchmark *name* in *group*, if any."""
    base = name.split("[", 1)[0]
    prefix = f"test_{group}_"
    if base.startswith(prefix):
        return base[len(prefix):]
    return next((impl for impl in IMPLS if base.endswith("_" + impl)), None)


def collect_ratios(benchmarks) -> dict[str, dict]:
    """Group pytest-benchmark results: op -> medians and peer/dcmfast ratios."""
    groups: dict[str, dict] = {}
    for bench in benchmarks:
        if bench.has_error or not bench.stats:
            continue
        group = bench.group or "(ungrouped)"
        impl = _impl_of(bench.name, group)
        if impl is None:
            continue
        entry = groups.setdefault(group, {"median_s": {}, "min_s": {}, "rounds": {}})
        entry["median_s"][impl] = bench.stats.median
        entry["min_s"][impl] = bench.stats.min
        entry["rounds"][impl] = bench.stats.rounds
        target = (getattr(bench, "extra_info", None) or {}).get("ratio_target")
        if target is not None:
            entry.setdefault("ratio_target", {})[impl] = float(target)
    for entry in groups.values():
        ref = entry["median_s"].get(REFERENCE)
        entry["ratio_vs_dcmfast"] = {
            impl: (median / ref if ref else None)
            for impl, median in entry["median_s"].items()
            if impl != REFERENCE
        }
    return dict(sorted(groups.items()))


def _fmt_time(seconds: float) -> str:
    """Human-readable duration."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.3f} s"


def _write_table(tr, groups: dict[str, dict]) -> None:
    """Print the median / ratio table on the terminal reporter *tr*."""
    impls = [i for i in IMPLS if any(i in g["median_s"] for g in groups.values())]
    extra = sorted({i for g in groups.values() for i in g["median_s"]} - set(impls))
    impls += extra
    tr.write_sep("-", "median per implementation (x = peer median / dcmfast median)")
    width = max(len(g) for g in groups) + 2
    tr.write_line("group".ljust(width) + "".join(i.rjust(24) for i in impls))
    for group, entry in groups.items():
        cells = []
        for impl in impls:
            median = entry["median_s"].get(impl)
            if median is None:
                cells.append("-".rjust(24))
                continue
            ratio = entry["ratio_vs_dcmfast"].get(impl)
            text = _fmt_time(median) + (f" ({ratio:.1f}x)" if ratio else "")
            cells.append(text.rjust(24))
        tr.write_line(group.ljust(width) + "".join(cells))
    if not any(REFERENCE in g["median_s"] for g in groups.values()):
        tr.write_line("(dcmfast was not benchmarked: ratios unavailable)")
    for group, entry in groups.items():
        for impl, target in entry.get("ratio_target", {}).items():
            ratio = entry["ratio_vs_dcmfast"].get(impl)
            if ratio is None:
                verdict = "not measured (no dcmfast median)"
            else:
                verdict = f"{ratio:.2f}x: " + ("met" if ratio >= target else "NOT met")
            tr.write_line(f"target {group}: {impl} / {REFERENCE} >= {target:g}x -> {verdict}")


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print the ratio table and write ``.results/ratios.json``."""
    tr = terminalreporter
    if EXTRA_RESULTS:
        tr.write_sep("-", "dcmfast benchmark checks")
        for name, numbers in EXTRA_RESULTS.items():
            tr.write_line(f"{name}: " + ", ".join(f"{k}={v}" for k, v in numbers.items()))
    bs = getattr(config, "_benchmarksession", None)
    if bs is None or bs.disabled or bs.skip or not bs.benchmarks:
        if bs is not None and (bs.disabled or bs.skip):
            tr.write_line("dcmfast ratio table skipped (benchmarks were not timed).")
        return
    groups = collect_ratios(bs.benchmarks)
    if not groups:
        return
    _write_table(tr, groups)
    payload = {
        "groups": groups,
        "versions": peer_versions(),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
        },
        "checks": EXTRA_RESULTS,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RATIOS_JSON.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    tr.write_line(f"ratios written to {RATIOS_JSON}")
