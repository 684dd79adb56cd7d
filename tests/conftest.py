"""Shared pytest configuration: hypothesis profiles and the report header."""
from __future__ import annotations

import os
import warnings

# hypothesis' failure report imports libcst, which imports mypy_extensions, which
# warns on import; under filterwarnings=error that turns a failing example into an
# INTERNALERROR. Import it once, quietly, first.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    try:
        import hypothesis.extra._patching  # noqa: F401  (libcst, mypy_extensions)
    except Exception:  # pragma: no cover - older hypothesis, or libcst missing
        pass

try:
    from hypothesis import HealthCheck, settings

    settings.register_profile("dev", max_examples=50, deadline=None)
    # ci: reproducible (fixed examples), so a red run can be rerun and bisected;
    # dev: random, to keep exploring. Findings become deterministic regression tests.
    settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
except ImportError:  # pragma: no cover
    pass


import pytest

#: (files compared with pydicom, corpus files) from tests/differential/test_elements.py
DIFFERENTIAL_COUNT = pytest.StashKey[list]()
#: per-outcome counts from tests/differential/test_pixels.py
PIXEL_COUNT = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for compared, total in config.stash.get(DIFFERENTIAL_COUNT, []):
        terminalreporter.write_line(
            f"differential: compared {compared} of {total} corpus files with pydicom, element by element")
    for r in config.stash.get(PIXEL_COUNT, []):
        terminalreporter.write_line(
            f"differential pixels: of {r['total']} corpus files, {r['identical']} decode identically "
            f"to pydicom; lossy JPEG identical to pydicom with the same decoder and, against its "
            f"default GDCM, {r['within1']} within 1 and {r['upsampling']} chroma-subsampled within "
            f"{r['max_other_decoder']}; {r['pydicom_fails']} pydicom cannot decode, "
            f"{r['no_pixels']} have no pixels")


def pytest_report_header(config):
    import dcmfast

    lines = [f"dcmfast {dcmfast.__version__}: {dcmfast.build_info()['modules']}"]
    for name in ("pydicom", "numpy", "hypothesis"):
        try:
            mod = __import__(name)
            lines.append(f"{name} {getattr(mod, '__version__', '?')}")
        except ImportError:
            lines.append(f"{name} not installed")
    return lines
