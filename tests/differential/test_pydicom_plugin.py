"""dcmfast as pydicom's backend: ``import dcmfast.pydicom``.

Every corpus file pydicom decodes natively or as RLE Lossless is decoded by
pydicom twice - with its own code and with dcmfast installed - and the arrays
must be equal; a spy proves dcmfast's kernels did the work.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")

from tests.corpus import corpus_files, corpus_id  # noqa: E402

pytestmark = pytest.mark.corpus

_NATIVE = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2",
           "1.2.840.10008.1.2.1.99"}
_RLE = "1.2.840.10008.1.2.5"


def _candidates():
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in corpus_files():
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=False)
                ts = str(ds.file_meta.get("TransferSyntaxUID", ""))
            except Exception:
                continue
            if ts in _NATIVE | {_RLE} and any(
                    k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
                out.append(path)
    return out


FILES = _candidates()


@pytest.fixture
def plugin():
    import dcmfast.pydicom as backend

    backend.install()
    yield backend
    backend.uninstall()


def _pydicom_array(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path)
        try:
            return ds.pixel_array, None
        except Exception as exc:
            return None, exc


def test_enough_files():
    assert len(FILES) >= 100, len(FILES)


@pytest.mark.parametrize("path", FILES, ids=[corpus_id(f) for f in FILES])
def test_pydicom_with_dcmfast_backend(path, plugin, monkeypatch):
    plugin.uninstall()
    ref, ref_exc = _pydicom_array(path)
    plugin.install()
    calls = []
    from dcmfast import _pixels

    for name in ("native_unpack", "rle_decode_frame"):
        real = getattr(_pixels, name)  # both kernels exist: a missing one is a failure
        monkeypatch.setattr(_pixels, name, lambda *a, _r=real, _n=name, **k: (calls.append(_n), _r(*a, **k))[1])
    ours, our_exc = _pydicom_array(path)
    if ref is None:
        # pydicom's own code refuses it: so must the backend (same validation)
        assert our_exc is not None, f"pydicom raised {ref_exc!r}, the backend decoded it"
        return
    assert our_exc is None, our_exc
    assert calls, "dcmfast's kernels were not used"
    assert ours.shape == ref.shape
    assert ours.dtype == ref.dtype.newbyteorder("=")
    np.testing.assert_array_equal(ours, ref)


def test_uninstall_restores_pydicom(plugin):
    from pydicom.pixels.decoders import RLELosslessDecoder
    from pydicom.pixels.decoders import base

    assert "dcmfast" in RLELosslessDecoder.available_plugins
    assert list(RLELosslessDecoder._available)[0] == "dcmfast"
    plugin.uninstall()
    assert "dcmfast" not in RLELosslessDecoder.available_plugins
    assert base.Decoder._as_array_native.__module__.startswith("pydicom")
    plugin.install()
