"""Against real peers: DCMTK (echoscu, storescu against `dcmfast serve`;
dcmfast's SCU against storescp) and pynetdicom (echo/store both ways).
DCMTK tools run by absolute path with TCP_NODELAY=1, on free loopback ports,
every wait bounded, every process stopped."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import dcmfast
from dcmfast.net.storage import safe_filename

from tests.net.conftest import (_testdata, dataset_bytes, dcmtk, dcmtk_env, free_port, stop,
                                valid_corpus_files, wait_port)

pytestmark = pytest.mark.interop


def same_elements(a: str, b: str) -> bool:
    """The data sets of two files hold the same elements (pydicom as the
    oracle), group lengths (gggg,0000) and trailing padding (FFFC,FFFC) aside
    (DCMTK drops both when it sends)."""
    import pydicom

    def load(p):
        ds = pydicom.dcmread(p)
        for tag in [t for t in ds.keys() if t.element == 0 or t == 0xFFFCFFFC]:
            del ds[tag]
        return ds

    return load(a) == load(b)


@pytest.fixture
def serve_cli(tmp_path):
    """`dcmfast serve` as a subprocess (the CLI), stopped at the end."""
    port = free_port()
    out = tmp_path / "in"
    proc = subprocess.Popen([sys.executable, "-m", "dcmfast", "serve", "--port", str(port),
                             "--aet", "DCMFAST_SCP", "--storage", str(out), "--host", "127.0.0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_port(port, 20, proc)
        yield port, out
    finally:
        stop(proc)
        proc.communicate(timeout=5)
    assert proc.returncode in (0, -15), proc.returncode


def test_echoscu_against_dcmfast_serve(serve_cli):
    port, _ = serve_cli
    r = subprocess.run([dcmtk("echoscu"), "-aec", "DCMFAST_SCP", "--repeat", "20", "127.0.0.1",
                        str(port)], env=dcmtk_env(), capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr


def test_storescu_folder_against_dcmfast_serve(serve_cli, corpus_dir):
    port, out = serve_cli
    r = subprocess.run([dcmtk("storescu"), "-aec", "DCMFAST_SCP", "-R", "+sd", "-nh", "127.0.0.1",
                        str(port), str(corpus_dir)], env=dcmtk_env(), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    sent = sorted(os.listdir(corpus_dir))
    missing = []
    same_bytes = 0
    for name in sent:
        src = str(corpus_dir / name)
        ds = dcmfast.dcmread(src)
        got = out / safe_filename(str(ds.SOPInstanceUID))
        if not got.exists():
            missing.append(name)
            continue
        # storescu parses and re-encodes what it sends (group lengths dropped, lengths
        # recomputed, implicit converted to explicit): the same elements must arrive
        assert same_elements(src, str(got)), name
        same_bytes += dataset_bytes(src) == dataset_bytes(str(got))
    assert not missing, (missing, r.stderr[-3000:])
    assert not [p for p in os.listdir(out) if p.endswith(".part")]


def test_storescu_rle_against_dcmfast_serve(serve_cli):
    port, out = serve_cli
    src = _testdata("SC_rgb_rle.dcm")
    r = subprocess.run([dcmtk("storescu"), "-aec", "DCMFAST_SCP", "-xr", "127.0.0.1", str(port),
                        src], env=dcmtk_env(), capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    got = out / safe_filename(str(dcmfast.dcmread(src).SOPInstanceUID))
    assert dataset_bytes(str(got)) == dataset_bytes(src)


@pytest.fixture
def storescp(tmp_path):
    port = free_port()
    out = tmp_path / "scp"
    out.mkdir()
    proc = subprocess.Popen([dcmtk("storescp"), "-aet", "STORESCP", "-od", str(out), "+xa",
                             "-pdu", "16384", str(port)], env=dcmtk_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_port(port, 20, proc)
        yield port, out
    finally:
        stop(proc)
        proc.communicate(timeout=5)


def test_dcmfast_scu_against_storescp(storescp, scu):
    port, out = storescp
    extra = [_testdata("SC_rgb_rle.dcm"), _testdata("JPEG2000.dcm")]
    taken = {str(dcmfast.dcmread(f).SOPInstanceUID) for f in extra}
    files = [f for f in valid_corpus_files(limit=40)
             if str(dcmfast.dcmread(f).SOPInstanceUID) not in taken] + extra
    with scu.associate("127.0.0.1", port, ae_title="STORESCP", for_files=files) as assoc:
        assert assoc.peer_max_pdu == 16384
        assert assoc.echo() == 0
        statuses = [assoc.store(f) for f in files]
    assert all(s == 0 for s in statuses), statuses
    received = {}
    for name in os.listdir(out):
        ds = dcmfast.dcmread(str(out / name))
        received[str(ds.SOPInstanceUID)] = str(out / name)
    for f in files:
        ds = dcmfast.dcmread(f)
        got = received[str(ds.SOPInstanceUID)]
        # storescp re-encodes what it writes (group lengths, padding): same elements
        assert same_elements(got, f), f


def test_dcmfast_cli_echo_and_store_against_storescp(storescp, tmp_path):
    port, out = storescp
    r = subprocess.run([sys.executable, "-m", "dcmfast", "echo", "127.0.0.1", str(port),
                        "--aec", "STORESCP"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    src = _testdata("CT_small.dcm")
    r = subprocess.run([sys.executable, "-m", "dcmfast", "store", "127.0.0.1", str(port), src,
                        "--aec", "STORESCP"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert len(os.listdir(out)) == 1
    # a file that is not DICOM: exit 1, the reason on stderr
    junk = tmp_path / "junk.txt"
    junk.write_text("not dicom")
    r = subprocess.run([sys.executable, "-m", "dcmfast", "store", "127.0.0.1", str(port), src,
                        str(junk), "--aec", "STORESCP"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "junk.txt" in r.stderr


def test_cli_echo_exit_code_when_nothing_listens():
    port = free_port()
    r = subprocess.run([sys.executable, "-m", "dcmfast", "echo", "127.0.0.1", str(port),
                        "--timeout", "3"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "dcmfast echo" in r.stderr


# -- pynetdicom -------------------------------------------------------------------------------

def test_pynetdicom_scu_against_dcmfast(server, tmp_path):
    pynetdicom = pytest.importorskip("pynetdicom")
    import pydicom

    ae = pynetdicom.AE(ae_title="PYNETDICOM")
    ae.add_requested_context("1.2.840.10008.1.1")
    ae.add_requested_context("1.2.840.10008.5.1.4.1.1.2")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 10
    assoc = ae.associate("127.0.0.1", server.port, ae_title="DCMFAST_SCP")
    try:
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0
        ds = pydicom.dcmread(_testdata("CT_small.dcm"))
        assert assoc.send_c_store(ds).Status == 0
    finally:
        assoc.release()
    got = tmp_path / "in" / safe_filename(str(ds.SOPInstanceUID))
    back = dcmfast.dcmread(str(got))
    assert str(back.PatientName) == str(ds.PatientName)
    assert bytes(back.PixelData) == bytes(ds.PixelData)


def test_dcmfast_scu_against_pynetdicom_scp(scu, tmp_path):
    pynetdicom = pytest.importorskip("pynetdicom")
    from pynetdicom import evt

    received = []

    def on_store(event):
        received.append((event.request.AffectedSOPInstanceUID, event.context.transfer_syntax,
                         bytes(event.request.DataSet.getvalue())))
        return 0x0000

    ae = pynetdicom.AE(ae_title="PYNET_SCP")
    ae.add_supported_context("1.2.840.10008.1.1")
    ae.add_supported_context("1.2.840.10008.5.1.4.1.1.2",
                             ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"])
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 10
    port = free_port()
    scp = ae.start_server(("127.0.0.1", port), block=False,
                          evt_handlers=[(evt.EVT_C_STORE, on_store)])
    try:
        src = _testdata("CT_small.dcm")
        with scu.associate("127.0.0.1", port, ae_title="PYNET_SCP", for_files=[src]) as assoc:
            assert assoc.echo() == 0
            assert assoc.store(src) == 0
    finally:
        scp.shutdown()
    assert len(received) == 1
    uid, ts, body = received[0]
    assert uid == str(dcmfast.dcmread(src).SOPInstanceUID)
    assert (str(ts), body) == dataset_bytes(src)


def test_cli_store_folder_into_dcmfast(server, corpus_dir, tmp_path):
    r = subprocess.run([sys.executable, "-m", "dcmfast", "store", "127.0.0.1", str(server.port),
                        str(corpus_dir), "--aec", "DCMFAST_SCP"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"stored {len(os.listdir(corpus_dir))} of {len(os.listdir(corpus_dir))}" in r.stdout
    for name in os.listdir(corpus_dir):
        src = str(corpus_dir / name)
        got = tmp_path / "in" / safe_filename(str(dcmfast.dcmread(src).SOPInstanceUID))
        assert dataset_bytes(str(got)) == dataset_bytes(src), name
