"""Fixtures for the networking tests: a dcmfast SCP on a free loopback port,
DCMTK peers (absolute paths, TCP_NODELAY=1, bounded waits, killed at the
end), and a small folder of valid test files."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import warnings

import pytest

import dcmfast
from dcmfast import net

DCMTK = "/usr/bin"
NATIVE = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"}


def dcmtk(tool: str) -> str:
    path = os.path.join(DCMTK, tool)
    if not os.access(path, os.X_OK):
        pytest.skip(f"DCMTK {tool} not installed")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


def received(folder) -> list[str]:
    """The storage folder's entries, less the SCP's own index (SQLite files
    named ``.dcmfast-index.sqlite*``)."""
    return [n for n in os.listdir(folder) if not n.startswith(".dcmfast-index.sqlite")]


_DCMQRSCP_CFG = """NetworkTCPPort  = {port}
MaxPDUSize      = 16384
MaxAssociations = 16

HostTable BEGIN
{hosts}
HostTable END

VendorTable BEGIN
VendorTable END

AETable BEGIN
{ae}   {db}   RW (400, 1024mb) ANY
AETable END
"""


def start_dcmqrscp(root, ae: str = "QR", hosts: dict | None = None) -> tuple:
    """DCMTK's dcmqrscp (default forking mode: ``-s`` segfaults here, see
    PEERS.md) serving ``ae`` from ``root/db``, with C-MOVE destinations
    ``hosts`` ({name: (AE, host, port)}); returns (process, port) once it
    listens. Stop it with :func:`stop`."""
    import pathlib

    root = pathlib.Path(root)
    (root / "db").mkdir(exist_ok=True)
    port = free_port()
    lines = "\n".join(f"{name} = ({a}, {h}, {p})" for name, (a, h, p) in (hosts or {}).items())
    cfg = root / "dcmqrscp.cfg"
    cfg.write_text(_DCMQRSCP_CFG.format(port=port, hosts=lines, ae=ae, db=root / "db"))
    proc = subprocess.Popen([dcmtk("dcmqrscp"), "-c", str(cfg)], cwd=root, env=dcmtk_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc=proc)
    except BaseException:
        stop(proc)
        raise
    return proc, port


def dcmtk_env() -> dict:
    env = dict(os.environ)
    env["TCP_NODELAY"] = "1"
    return env


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


try:
    from pydicom._uid_dict import UID_dictionary as _PYDICOM_UIDS
except ImportError:  # pragma: no cover
    _PYDICOM_UIDS = None
_PYDICOM_UIDS_BEFORE = dict(_PYDICOM_UIDS) if _PYDICOM_UIDS is not None else None


@pytest.fixture(scope="package", autouse=True)
def _restore_pydicom_uid_registry():
    """Importing pynetdicom adds UIDs to pydicom's registry (JPEG XL ...), which
    tests/unit compares dcmfast's generated table with: put it back afterwards."""
    yield
    if _PYDICOM_UIDS is not None and len(_PYDICOM_UIDS) != len(_PYDICOM_UIDS_BEFORE):
        _PYDICOM_UIDS.clear()
        _PYDICOM_UIDS.update(_PYDICOM_UIDS_BEFORE)


@pytest.fixture
def server(tmp_path):
    """A dcmfast SCP storing into tmp_path/'in'; yields the Server."""
    ae = net.AE("DCMFAST_SCP", timeouts=net.Timeouts(network=20, artim=2))
    srv = ae.start_server(0, storage_dir=str(tmp_path / "in"))
    try:
        yield srv
    finally:
        srv.shutdown(timeout=10)


@pytest.fixture
def scu():
    return net.AE("TEST_SCU", timeouts=net.Timeouts(connect=5, acse=10, dimse=20, network=20,
                                                     artim=2))


def _testdata(name: str) -> str:
    from pydicom.data import get_testdata_file

    return get_testdata_file(name)


def valid_corpus_files(native_only: bool = True, limit: int | None = None) -> list[str]:
    """Corpus files that are proper Part 10 files dcmfast reads, with SOP
    Class/Instance UIDs, distinct SOP instances (native little endian by default)."""
    from tests.corpus import corpus_files

    out = []
    seen = set()
    for f in corpus_files():
        try:
            with open(f, "rb") as fh:
                head = fh.read(132)
            if len(head) < 132 or head[128:132] != b"DICM":
                continue
            if os.path.getsize(f) > 4 << 20:
                continue
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                ds = dcmfast.dcmread(f)
            if caught:
                continue
            ts = str(ds.file_meta[0x00020010].value)
            sop_class = str(ds[0x00080016].value)
            inst = str(ds[0x00080018].value)
        except Exception:
            continue
        if native_only and ts not in NATIVE:
            continue
        if not sop_class.startswith("1.2.840.10008.5.1.4.1.1") or inst in seen:
            continue
        seen.add(inst)
        out.append(f)
        if limit and len(out) >= limit:
            break
    return out


def dataset_bytes(path: str) -> tuple[str, bytes]:
    """(transfer syntax, the bytes after the file meta) of a Part 10 file."""
    from dcmfast.net.storage import _meta_walk, _uid_of

    with open(path, "rb") as f:
        raw = f.read()
    meta, start = _meta_walk(memoryview(raw))
    return _uid_of(meta[0x00020010]), raw[start:]


@pytest.fixture
def corpus_dir(tmp_path):
    files = valid_corpus_files()
    if len(files) < 5:
        pytest.skip("pydicom test files not available")
    d = tmp_path / "src"
    d.mkdir()
    for i, f in enumerate(files):
        shutil.copy(f, d / f"{i:03d}_{os.path.basename(f)}")
    return d
