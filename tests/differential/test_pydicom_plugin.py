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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        big = str(pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID) \
            == "1.2.840.10008.1.2.2"
    # big endian data stays with pydicom (it returns a '>' view of the source)
    assert bool(calls) != big, "dcmfast's kernels were not used" if not big else calls
    assert ours.shape == ref.shape
    assert ours.dtype == ref.dtype
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


def _pydicom_tests(tmp_root) -> str:
    """pydicom's own test suite, from its source distribution (same version)."""
    import subprocess
    import sys
    import tarfile

    version = pydicom.__version__
    where = tmp_root / f"pydicom-{version}"
    if not where.exists():
        got = subprocess.run([sys.executable, "-m", "pip", "download", f"pydicom=={version}",
                              "--no-deps", "--no-binary", ":all:", "-d", str(tmp_root), "-q"],
                             capture_output=True, text=True, timeout=300)
        if got.returncode != 0:
            pytest.skip(f"cannot download pydicom's sdist: {got.stderr[-300:]}")
        with tarfile.open(tmp_root / f"pydicom-{version}.tar.gz") as tar:
            tar.extractall(tmp_root, filter="data")
    return str(where)


def _run_pixel_tests(root: str, backend: bool) -> tuple[set[str], str]:
    import os
    import subprocess
    import sys

    conftest = os.path.join(root, "tests", "pixels", "conftest.py")
    with open(conftest, "w") as f:
        # files pydicom-data would download (with retries and back-off) fail at once
        f.write("import pydicom.data.download as _d\n\n\n"
                "def _offline(url, fpath):\n"
                "    raise OSError('no downloads in this run')\n\n\n"
                "_d.download_with_progress = _offline\n")
        if backend:
            f.write("import dcmfast.pydicom  # noqa: E402,F401\n")
    files = [f"tests/pixels/{n}" for n in ("test_decoder_native.py", "test_decoder_rle.py",
                                          "test_decoder_base.py")]
    got = subprocess.run([sys.executable, "-m", "pytest", *files, "-q", "-p", "no:cacheprovider",
                          "-W", "ignore", "-o", "addopts="], cwd=root, capture_output=True,
                         text=True, timeout=600)
    failed = {line.split()[1] for line in got.stdout.splitlines() if line.startswith("FAILED")}
    return failed, got.stdout.splitlines()[-1] if got.stdout else got.stderr[-500:]


def test_pydicoms_own_decoder_tests_pass_with_the_backend(tmp_path_factory):
    """pydicom's tests/pixels decoder tests, run with and without dcmfast
    installed as the backend: the same tests pass (some fail in both runs when
    pydicom-data cannot download a file)."""
    root = _pydicom_tests(tmp_path_factory.mktemp("pydicom-sdist"))
    without, summary_without = _run_pixel_tests(root, backend=False)
    with_backend, summary_with = _run_pixel_tests(root, backend=True)
    assert " passed" in summary_with, summary_with
    assert int(summary_with.split(" passed")[0].split()[-1]) >= 400, summary_with
    assert with_backend == without, (summary_with, summary_without, with_backend ^ without)
