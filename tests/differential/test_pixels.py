"""Differential test: every corpus file whose pixels pydicom 3 decodes.

dcmfast's ``ds.pixel_array`` must give pydicom's shape, dtype and values:

* native and lossless data: identical values;
* JPEG / JPEG-LS / JPEG 2000: pydicom is asked to use the same decoder
  (pylibjpeg) and the values must be identical; pydicom's default choice may be
  GDCM, whose lossy JPEG IDCT rounds differently, so against pydicom's default
  lossy colour data may differ by at most 1 per sample.

Intended differences:

* big endian data: pydicom returns a view of the file's bytes with a
  big-endian dtype ('>u2'); dcmfast byte-swaps while unpacking and returns the
  machine's byte order ('<u2'): same values, kind and item size.

Files pydicom cannot decode must not crash dcmfast: either an array or a
clean error (PixelDataError / InvalidDicomError / NotImplementedError).
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")

import dcmfast  # noqa: E402
from tests.conftest import PIXEL_COUNT  # noqa: E402
from tests.corpus import corpus_files, corpus_id  # noqa: E402

pytestmark = pytest.mark.corpus

FILES = corpus_files()
_LOSSY = {
    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.203",
}
_PYLIBJPEG = _LOSSY | {
    "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202",
}

#: file -> reason: pydicom decodes it but dcmfast deliberately does otherwise
KNOWN_PIXEL_DIFFERENCES: dict[str, str] = {}

RESULTS = {"identical": 0, "within1": 0, "pydicom_fails": 0, "no_pixels": 0}


def _reference(path: str):
    """pydicom's array (or None with the reason), pydicom's default plugins
    and, for JPEG-family syntaxes, pylibjpeg's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(path)
        except Exception:
            return None, None, None, "unreadable"
        if not any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
            return None, None, None, "no pixels"
        ts = str(ds.file_meta.get("TransferSyntaxUID", ""))
        try:
            default = ds.pixel_array
        except Exception as exc:
            return None, None, ts, f"pydicom: {exc!r}"[:200]
        same_plugin = None
        if ts in _PYLIBJPEG:
            try:
                ds2 = pydicom.dcmread(path)
                ds2.pixel_array_options(decoding_plugin="pylibjpeg")
                same_plugin = ds2.pixel_array
            except Exception:
                same_plugin = None
    return default, same_plugin, ts, None


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    request.config.stash.setdefault(PIXEL_COUNT, []).append(dict(RESULTS, total=len(FILES)))


@pytest.mark.parametrize("path", FILES, ids=[corpus_id(f) for f in FILES])
def test_pixel_array_matches_pydicom(path):
    name = os.path.basename(path)
    ref, same_plugin, ts, why = _reference(path)
    if ref is None:
        if why in ("no pixels", "unreadable"):
            RESULTS["no_pixels"] += 1
            return
        RESULTS["pydicom_fails"] += 1
        # pydicom cannot decode it: dcmfast must not crash, and fail cleanly if at all
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = dcmfast.dcmread(path, force=True)
                dcmfast.pixel_array(ds)
            except (dcmfast.InvalidDicomError, NotImplementedError, ValueError, AttributeError,
                    ImportError):
                pass
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = dcmfast.dcmread(path).pixel_array
    if name in KNOWN_PIXEL_DIFFERENCES:
        pytest.skip(KNOWN_PIXEL_DIFFERENCES[name])
    assert ours.shape == ref.shape
    # byte order: see the module docstring
    assert ours.dtype == ref.dtype.newbyteorder("="), (ours.dtype, ref.dtype)
    assert ours.dtype.isnative
    if np.array_equal(ours, ref):
        RESULTS["identical"] += 1
        return
    if same_plugin is not None:
        # the same decoder must give the same values, lossy or not
        np.testing.assert_array_equal(ours, same_plugin)
    assert ts in _LOSSY, f"lossless data differs from pydicom ({ts})"
    diff = np.abs(ours.astype(np.int64) - ref.astype(np.int64)).max()
    assert diff <= 1, f"lossy data differs by {diff} from pydicom's default decoder"
    RESULTS["within1"] += 1
