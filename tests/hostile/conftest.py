"""tests/hostile: the slow variants run only when asked for.

``pytest -m slow`` (or any -m expression naming ``slow``), or
DCMFAST_RUN_SLOW=1, runs the tests marked ``slow`` here; otherwise they are
skipped so that the default run of tests/hostile stays around a minute.
"""
from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config, items):
    if os.environ.get("DCMFAST_RUN_SLOW") == "1" or "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow or DCMFAST_RUN_SLOW=1")
    here = os.path.dirname(os.path.abspath(__file__))
    for item in items:
        if "slow" in item.keywords and str(item.fspath).startswith(here):
            item.add_marker(skip)
