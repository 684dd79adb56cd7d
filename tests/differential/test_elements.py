"""Differential test: every corpus file pydicom reads, element by element.

For each file in pydicom's test files, pydicom-data and the charset files, the
dcmfast Dataset must hold the same elements (tag, VR, value, private creator)
at every nesting level as pydicom's, file meta included. Intended differences
live in KNOWN_DIFFERENCES, each with its reason.
"""
from __future__ import annotations

import warnings

import pytest

pydicom = pytest.importorskip("pydicom")

import dcmfast  # noqa: E402
from tests.corpus import corpus_files, corpus_id  # noqa: E402
from tests.differential.compare import compare_datasets  # noqa: E402

pytestmark = pytest.mark.corpus

#: file -> (reason, predicate over the difference lines that are expected)
KNOWN_DIFFERENCES = {
    "emri_small_jpeg_2k_lossless_too_short.dcm": (
        "Pixel Data has no sequence delimiter (the file is cut short). pydicom hits EOF "
        "inside its dict comprehension and returns an EMPTY data set (every element "
        "lost); dcmfast keeps every element and the Pixel Data bytes present, and warns.",
        lambda line: "only in dcmfast" in line,
    ),
}

from tests.conftest import DIFFERENTIAL_COUNT  # noqa: E402

FILES = corpus_files()
COMPARED: list[str] = []


def _read_both(path: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        force = False
        try:
            theirs = pydicom.dcmread(path)
        except Exception:
            force = True
            theirs = pydicom.dcmread(path, force=True)
        ours = dcmfast.dcmread(path, force=force)
    return ours, theirs


def test_corpus_is_complete():
    """pydicom's test files + pydicom-data + charset files: ~250 files."""
    assert len(FILES) >= 240, f"only {len(FILES)} corpus files found; install pydicom-data"


@pytest.mark.parametrize("path", FILES, ids=[corpus_id(f) for f in FILES])
def test_same_elements_as_pydicom(path):
    ours, theirs = _read_both(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        diffs = compare_datasets(ours.file_meta, theirs.file_meta, "meta:")
        diffs += compare_datasets(ours, theirs)
    known = KNOWN_DIFFERENCES.get(corpus_id(path))
    if known is not None:
        reason, expected = known
        assert diffs, f"{corpus_id(path)} no longer differs; remove it from KNOWN_DIFFERENCES"
        diffs = [d for d in diffs if not expected(d)]
    assert not diffs, "\n".join(diffs[:40])
    assert ours.preamble == theirs.preamble
    COMPARED.append(path)


def test_report_count(request):
    """Record how many files were compared; tests/conftest.py prints it at the end."""
    request.config.stash.setdefault(DIFFERENTIAL_COUNT, []).append((len(COMPARED), len(FILES)))
