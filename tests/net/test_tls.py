"""DICOM over TLS (PS3.15 B.1) through the ssl module: dcmfast ↔ dcmfast,
DCMTK's echoscu (+tla) against ``dcmfast serve``, dcmfast's SCU against
DCMTK's storescp +tls (client certificate required); plain TCP to a TLS
server fails cleanly and the server keeps serving."""
from __future__ import annotations

import os
import shutil
import ssl
import subprocess

import pytest

from dcmfast import net
from dcmfast.cli import main
from tests.net.conftest import (_testdata, dcmtk, dcmtk_env, free_port, received, stop,
                                wait_port)


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    root = tmp_path_factory.mktemp("tls")
    key, crt = root / "key.pem", root / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(crt), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return str(key), str(crt)


@pytest.fixture
def tls_server(cert, tmp_path):
    key, crt = cert
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(crt, key)
    server = net.AE("TLS").start_server(0, storage_dir=str(tmp_path / "in"), tls=ctx)
    try:
        yield server, tmp_path / "in"
    finally:
        server.shutdown()


def _client(crt, key=None):
    ctx = ssl.create_default_context(cafile=crt)
    if key:
        ctx.load_cert_chain(crt, key)
    return ctx


def test_echo_and_store_over_tls(cert, tls_server):
    key, crt = cert
    server, folder = tls_server
    with net.AE("SCU").associate("127.0.0.1", server.port, tls=_client(crt),
                                 server_hostname="localhost") as assoc:
        assert assoc.echo() == 0
        assert assoc.store(_testdata("CT_small.dcm")) == 0
    assert len(received(folder)) == 1
    # an untrusted certificate is refused by the client's handshake
    with pytest.raises(ssl.SSLError):
        net.AE("SCU").associate("127.0.0.1", server.port, tls=ssl.create_default_context(),
                                server_hostname="localhost")


def test_plain_tcp_to_a_tls_server_fails_cleanly(cert, tls_server):
    key, crt = cert
    server, _ = tls_server
    with pytest.raises((net.AssociationError, OSError)):
        net.AE("SCU").associate("127.0.0.1", server.port,
                                timeouts=net.Timeouts(connect=5, acse=5, dimse=5, network=5))
    with net.AE("SCU").associate("127.0.0.1", server.port, tls=_client(crt),
                                 server_hostname="localhost") as assoc:
        assert assoc.echo() == 0


def test_echoscu_tls_against_dcmfast(tls_server):
    server, _ = tls_server
    subprocess.run([dcmtk("echoscu"), "+tla", "-ic", "127.0.0.1", str(server.port)], check=True,
                   capture_output=True, env=dcmtk_env(), timeout=60)


def test_dcmfast_store_to_storescp_tls(cert, tmp_path):
    key, crt = cert
    out = tmp_path / "out"
    out.mkdir()
    port = free_port()
    proc = subprocess.Popen([dcmtk("storescp"), "+tls", key, crt, "+cf", crt, "-od", str(out),
                             str(port)], env=dcmtk_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc=proc)
        with net.AE("SCU").associate("127.0.0.1", port, tls=_client(crt, key),
                                     server_hostname="localhost") as assoc:
            assert assoc.store(_testdata("CT_small.dcm")) == 0
        # the CLI: --tls with a client certificate, the server verified by --tls-ca
        assert main(["store", "127.0.0.1", str(port), "--tls", "--tls-ca", crt, "--tls-cert", crt,
                     "--tls-key", key, "-q", _testdata("MR_small.dcm")]) == 0
        assert len(os.listdir(out)) == 2
    finally:
        stop(proc)
