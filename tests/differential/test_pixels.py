"""Differential test: every corpus file whose pixels pydicom 3 decodes.

dcmfast's ``ds.pixel_array`` must give pydicom's shape, dtype and values:

* native and lossless data: identical values;
* JPEG / JPEG-LS / JPEG 2000: pydicom is asked to use the same decoder
  (pylibjpeg) and the values must be identical. pydicom's default decoder may
  be GDCM (libjpeg-turbo inside) instead: lossy JPEG then differs because the
  two libraries' IDCT rounding (at most 1 per sample) and, for chroma-subsampled
  YCbCr streams, their chroma upsampling filters differ (libjpeg-turbo's
  "fancy" triangle filter against plain replication: up to 5 here). Those
  files are counted separately with their largest difference; the bound
  asserted is 1 for streams without subsampling and 8 with it.

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

RESULTS = {"identical": 0, "within1": 0, "upsampling": 0, "max_other_decoder": 0,
           "pydicom_fails": 0, "no_pixels": 0}


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
    assert same_plugin is not None, "pydicom could not decode it with pylibjpeg"
    diff = int(np.abs(ours.astype(np.int64) - ref.astype(np.int64)).max())
    bound = 8 if _subsampled(path) else 1
    assert diff <= bound, f"lossy data differs by {diff} from pydicom's default decoder"
    RESULTS["within1" if diff <= 1 else "upsampling"] += 1
    RESULTS["max_other_decoder"] = max(RESULTS["max_other_decoder"], diff)


def _subsampled(path: str) -> bool:
    """Whether the first JPEG frame's chroma components are subsampled (SOF
    sampling factors differ between components; ISO/IEC 10918-1 B.2.2)."""
    from dcmfast.pixels import _plan_for

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = _plan_for(dcmfast.dcmread(path))
    src = bytes(plan.fragments[0][0][:4096])
    i = 2
    while i + 4 <= len(src) and src[i] == 0xFF:
        marker, length = src[i + 1], src[i + 2] << 8 | src[i + 3]
        if marker in (0xC0, 0xC1, 0xC2):
            n = src[i + 9]
            factors = {src[i + 11 + 3 * c] for c in range(n)}
            return len(factors) > 1
        i += 2 + length
    return False
