"""DICOMweb benchmarks: dcmfast.web against dicomweb-client + pydicom and the
bare HTTP transfer, on the same Orthanc (+ DICOMweb plugin) in the same run.

How to run (from the repository root)::

    python -m pytest benchmarks/bench_web.py --benchmark-only      # timings + ratio table
    python -m pytest benchmarks/bench_web.py --benchmark-disable   # smoke mode (CI)

Data: a CT series of 300 slices of 512x512 int16 (``ct_slice.dcm`` of
``gen_data.py``, each slice with its own SOP Instance UID, position and
pixels: the phantom plus the slice index), ~157 MB, generated in a temporary
folder. With ``--benchmark-disable`` a 30-slice series is used, so the smoke
run stays quick. Orthanc is started as in tests/web (loopback, TCP_NODELAY=1)
and stopped by PID at the end; the series is uploaded once (dcmfast STOW-RS).

Every client sends ``Accept-Encoding: identity`` (dicomweb-client too: its
requests session offers gzip by default, and Orthanc then gzips the pixel
data, ~15x slower; see ../shared/PEERS.md): the comparison is between
clients at their best.

"Assert before you time": each result is checked once, untimed, against the
generated pixels (volume in slice order) or the server's content.

Groups (``benchmark.group``; tests ``test_<group>_<impl>``):

``web_retrieve_volume``
    WADO-RS of the whole series into a (slices, 512, 512) int16 volume sorted
    along the slice normal. dcmfast: ``Client.retrieve_series_volume``
    (streaming multipart parse, dcmread of each part, decode into the volume).
    ``dicomweb_client``: ``DICOMwebClient.retrieve_series`` (pydicom Datasets)
    + sort + ``np.stack([ds.pixel_array ...])``. ``httpx_bare``: the same
    request with httpx, the multipart body read and discarded (no parsing): the
    transfer floor; target: dcmfast within 1.5x of it (ratio >= 0.67).
``web_store_series``
    STOW-RS of the series from its files (the study is deleted from Orthanc
    before each round, through its REST API, untimed). dcmfast:
    ``Client.store_instances(paths)`` (file bytes as they are, batches of 50, two
    requests in parallel);
    ``dicomweb_client``: ``pydicom.dcmread`` of each file +
    ``DICOMwebClient.store_instances`` (one request). Target: dcmfast at least
    as fast (ratio >= 1.0). Orthanc's ingest dominates both.
"""
from __future__ import annotations

import hashlib
import json
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

httpx = pytest.importorskip("httpx")

from tests.web.orthanc import start_orthanc  # noqa: E402

FULL_SLICES = 300
SMOKE_SLICES = 30
ACCEPT_DICOM = 'multipart/related; type="application/dicom"; transfer-syntax=*'


def _uid(name: str) -> str:
    digest = hashlib.sha256(f"dcmfast-bench-web:{name}".encode()).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


@pytest.fixture(scope="session")
def web_series(request, tmp_path_factory):
    """(folder, paths, study, series, expected volume) of the generated series."""
    import gen_data

    import dcmfast
    from dcmfast.interop import from_pydicom

    disabled = request.config.getoption("benchmark_disable", False)
    n = SMOKE_SLICES if disabled else FULL_SLICES
    folder = tmp_path_factory.mktemp("web_series")
    base = from_pydicom(gen_data.build_ct())
    pixels = gen_data.ct_pixels()
    study, series = _uid(f"study/{n}"), _uid(f"series/{n}")
    base.StudyInstanceUID = study
    base.SeriesInstanceUID = series
    z0 = -300.0
    paths, expected = [], np.empty((n,) + pixels.shape, dtype=np.int16)
    order = np.random.default_rng(7).permutation(n)  # files (and uploads) not in slice order
    for i in order:
        sop = _uid(f"instance/{n}/{i}")
        base.SOPInstanceUID = sop
        base.file_meta.MediaStorageSOPInstanceUID = sop
        base.InstanceNumber = str(i + 1)
        base.ImagePositionPatient = ["-249.51171875", "-407.51171875", f"{z0 + 1.25 * i:.2f}"]
        base.SliceLocation = f"{z0 + 1.25 * i:.2f}"
        expected[i] = pixels + (i % 64)
        base.PixelData = expected[i].tobytes()
        path = folder / f"slice_{i:04d}.dcm"
        dcmfast.dcmwrite(path, base)
        paths.append(str(path))
    return folder, paths, study, series, expected


@pytest.fixture(scope="session")
def web_server(tmp_path_factory, web_series):
    from dcmfast.web import Client

    server = start_orthanc(str(tmp_path_factory.mktemp("bench_orthanc")))
    try:
        with Client(server.url) as c:
            result = c.store_instances(web_series[1])
        assert len(result.stored) == len(web_series[1])
        yield server
    finally:
        server.stop()


def _delete_study(server, study: str) -> None:
    """Remove the study from Orthanc (REST API), so the next STOW stores it anew."""
    req = urllib.request.Request(server.root + "/tools/lookup", data=study.encode(), method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        found = json.loads(r.read())
    for item in found:
        if item.get("Type") == "Study":
            req = urllib.request.Request(server.root + item["Path"], method="DELETE")
            urllib.request.urlopen(req, timeout=60).close()


def _dicomweb_client(server):
    from dicomweb_client.api import DICOMwebClient

    client = DICOMwebClient(url=server.url)
    client._session.headers["Accept-Encoding"] = "identity"
    return client


def _sort_key(ds):
    return float(ds.ImagePositionPatient[2])


# ---------------------------------------------------------------------------------------
# WADO-RS: series -> volume
# ---------------------------------------------------------------------------------------
def test_web_retrieve_volume_dcmfast(benchmark, web_server, web_series):
    from dcmfast.web import Client

    _, paths, study, series, expected = web_series
    benchmark.group = "web_retrieve_volume"
    with Client(web_server.url) as c:
        volume, datasets = c.retrieve_series_volume(study, series, transfer_syntax="*")
        assert volume.dtype == expected.dtype and np.array_equal(volume, expected)
        assert len(datasets) == len(paths)
        benchmark(c.retrieve_series_volume, study, series, transfer_syntax="*")


def test_web_retrieve_volume_dicomweb_client(benchmark, web_server, web_series):
    pytest.importorskip("dicomweb_client")
    _, paths, study, series, expected = web_series
    benchmark.group = "web_retrieve_volume"
    benchmark.extra_info["ratio_target"] = 1.0
    client = _dicomweb_client(web_server)

    def run():
        datasets = client.retrieve_series(study, series,
                                          media_types=(("application/dicom", "*"),))
        datasets.sort(key=_sort_key)
        return np.stack([ds.pixel_array for ds in datasets])

    assert np.array_equal(run(), expected)
    benchmark(run)


def test_web_retrieve_volume_httpx_bare(benchmark, web_server, web_series):
    _, paths, study, series, expected = web_series
    benchmark.group = "web_retrieve_volume"
    benchmark.extra_info["ratio_target"] = 1 / 1.5
    url = f"{web_server.url}/studies/{study}/series/{series}"
    headers = {"Accept": ACCEPT_DICOM, "Accept-Encoding": "identity"}
    with httpx.Client(timeout=120) as http:
        def run():
            total = 0
            with http.stream("GET", url, headers=headers) as r:
                r.raise_for_status()
                for chunk in r.iter_raw():
                    total += len(chunk)
            return total

        assert run() >= expected.nbytes
        benchmark(run)


# ---------------------------------------------------------------------------------------
# STOW-RS: files -> server
# ---------------------------------------------------------------------------------------
def _store_rounds(benchmark, server, study, fn):
    rounds = 1 if benchmark.disabled else 3
    benchmark.pedantic(fn, setup=lambda: _delete_study(server, study), rounds=rounds,
                       iterations=1, warmup_rounds=0)


def test_web_store_series_dcmfast(benchmark, web_server, web_series):
    from dcmfast.web import Client

    _, paths, study, series, _ = web_series
    benchmark.group = "web_store_series"
    with Client(web_server.url) as c:
        def run():
            result = c.store_instances(paths)
            assert len(result.stored) == len(paths)

        _store_rounds(benchmark, web_server, study, run)
        assert len(c.search_for_instances(study, series)) == len(paths)


def test_web_store_series_dicomweb_client(benchmark, web_server, web_series):
    pytest.importorskip("dicomweb_client")
    import pydicom

    _, paths, study, series, _ = web_series
    benchmark.group = "web_store_series"
    benchmark.extra_info["ratio_target"] = 1.0
    client = _dicomweb_client(web_server)

    def run():
        response = client.store_instances([pydicom.dcmread(p) for p in paths])
        assert len(response.ReferencedSOPSequence) == len(paths)

    _store_rounds(benchmark, web_server, study, run)
