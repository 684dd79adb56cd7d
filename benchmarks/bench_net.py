"""DICOM networking benchmarks on loopback (issue 5): dcmfast against DCMTK 3.6.7
and pynetdicom, same data, same run.

How to run (from the repository root)::

    python -m pytest benchmarks/bench_net.py --benchmark-only      # timings + ratio table
    python -m pytest benchmarks/bench_net.py --benchmark-disable   # smoke mode (CI)

Every SCP runs in its own process: ``dcmfast serve`` (``--no-fsync`` unless the
test says ``fsync``: storescp does not fsync), DCMTK's ``storescp`` (started
with ``TCP_NODELAY=1``, so DCMTK is compared at its best; see
../shared/PEERS.md), or a pynetdicom 3 storage SCP script (as shipped: it has
no TCP_NODELAY option). dcmfast and pynetdicom SCUs are timed in-process,
from associate to release; DCMTK SCUs (``echoscu``, ``storescu``) are timed as
a process, so their times include starting the tool (a few ms). Each stored
instance is checked to have arrived, untimed.

Groups (tests ``test_<group>_<impl>``; ratio = peer median / dcmfast median):

``net_echo``
    2,000 C-ECHOs in one association. dcmfast → dcmfast; ``dcmtk``: echoscu
    --repeat → storescp; ``pynetdicom`` → pynetdicom. Target: ≥ DCMTK.
``net_assoc_echo``
    100 × (associate, C-ECHO, release). dcmfast → dcmfast; pynetdicom →
    pynetdicom. Target: ≥ 3× pynetdicom.
``net_store_ct``
    The 300-slice CT series (512×512 int16, explicit LE, ~525 KB a file; the
    ``native`` series of gen_series.py) in one association. dcmfast →
    dcmfast (no fsync); ``dcmtk``: storescu → storescp; cross pairs
    ``dcmfast_to_storescp`` and ``storescu_to_dcmfast``; ``dcmfast_fsync``:
    dcmfast → dcmfast with its durable default; ``pynetdicom`` → pynetdicom.
    Targets: ≥ 1.2× DCMTK, ≥ 5× pynetdicom; cross pairs ≥ DCMTK → DCMTK.
``net_store_small``
    1,000 small instances (64×64 16-bit) in one association, dcmfast →
    dcmfast vs storescu → storescp. Target: ≥ DCMTK.
``net_get_ct``
    C-GET of the 300-slice CT series into a folder: ``dcmfast get`` (the CLI,
    in-process) from ``dcmfast serve`` vs ``getscu`` from dcmqrscp. Target:
    ≥ DCMTK.
``net_find_worklist``
    A Modality Worklist C-FIND matching all of 1,000 worklist files (DCMTK's
    example ``wklist1`` with 1,000 patient IDs): dcmfast ``find`` → ``dcmfast
    serve --worklist``; ``dcmtk``: findscu -W → wlmscpfs. Target: ≥ DCMTK.

The SCP-memory check (not timed) stores the CT series into ``dcmfast serve``
and reads the server's peak RSS (VmHWM): bounded by a few PDUs, not by what
it received.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import gen_series  # noqa: E402
from bench_pixels import run_checked  # noqa: E402

DCMTK = {name: f"/usr/bin/{name}" for name in ("echoscu", "storescu", "storescp")}
ENV = dict(os.environ, TCP_NODELAY="1")
ECHOES = 2000
ASSOCS = 100
SMALL = 1000
VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT = "1.2.840.10008.1.2"

_PYNETDICOM_SCP = r"""
import os, sys
from pynetdicom import AE, evt, AllStoragePresentationContexts
from pynetdicom.sop_class import Verification
out, port = sys.argv[1], int(sys.argv[2])
def on_store(event):
    path = os.path.join(out, event.request.AffectedSOPInstanceUID + ".dcm")
    with open(path, "wb") as fp:
        fp.write(event.encoded_dataset())
    return 0x0000
ae = AE(ae_title="SCP")
ae.supported_contexts = AllStoragePresentationContexts
ae.add_supported_context(Verification)
ae.maximum_associations = 32
ae.start_server(("127.0.0.1", port), block=True, evt_handlers=[(evt.EVT_C_STORE, on_store)])
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Peer:
    """An SCP in its own process on a free loopback port; stopped by PID."""

    def __init__(self, kind: str, out: Path, fsync: bool = False,
                 worklist: Path | None = None) -> None:
        self.kind, self.out, self.port = kind, out, _free_port()
        out.mkdir(parents=True, exist_ok=True)
        if kind == "storescp":
            cmd = [DCMTK["storescp"], "-aet", "SCP", "-od", str(out), "-pdu", "16384",
                   str(self.port)]
        elif kind == "wlmscpfs":
            cmd = ["/usr/bin/wlmscpfs", "-dfp", str(worklist), str(self.port)]
        elif kind == "pynetdicom":
            cmd = [sys.executable, "-c", _PYNETDICOM_SCP, str(out), str(self.port)]
        else:
            cmd = [sys.executable, "-m", "dcmfast", "serve", "--port", str(self.port), "--aet",
                   "SCP", "--storage", str(out), "--host", "127.0.0.1"]
            cmd += [] if fsync else ["--no-fsync"]
            cmd += ["--worklist", str(worklist)] if worklist is not None else []
        self.proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{kind} exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(f"{kind} did not listen on {self.port}")
                time.sleep(0.02)

    def files(self) -> int:
        """Received files (not hidden ones: dcmfast's index, temporary files)."""
        return sum(len([n for n in names if not n.startswith(".")])
                   for _, _, names in os.walk(self.out))

    def clear(self) -> None:
        for entry in self.out.iterdir():
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    def peak_rss(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as fp:
            for line in fp:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return 0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    """Started on first use, one of each kind per module; all stopped at the end."""
    started: dict = {}

    def get(kind: str, fsync: bool = False) -> Peer:
        key = (kind, fsync)
        if key not in started:
            if kind == "storescp" and not os.path.exists(DCMTK["storescp"]):
                pytest.skip("DCMTK is not installed (apt-get install dcmtk)")
            if kind == "pynetdicom":
                pytest.importorskip("pynetdicom")
            started[key] = Peer(kind, tmp_path_factory.mktemp(f"{kind}{'-fsync' if fsync else ''}"),
                                fsync)
        peer = started[key]
        peer.clear()
        return peer

    yield get
    for peer in started.values():
        peer.stop()


@pytest.fixture(scope="module")
def ct_files() -> list[str]:
    folder = gen_series.generate()["native"]
    return sorted(str(p) for p in folder.glob("*.dcm"))


@pytest.fixture(scope="module")
def small_files(tmp_path_factory) -> list[str]:
    import numpy as np

    from tests import series_gen

    folder = tmp_path_factory.mktemp("small")
    pixels = np.arange(SMALL * 64 * 64, dtype=np.uint16).reshape(SMALL, 64, 64) % 4096
    series = series_gen.write_series(str(folder), n=SMALL, rows=64, cols=64, pixels=pixels,
                                     seed=11, shuffle=False)
    return [str(p) for p in series.files]


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, env=ENV, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=600)


def _arrived(peer: Peer, n: int):
    def check(_result) -> None:
        deadline = time.monotonic() + 10  # DCMTK's storescp may still be closing the last file
        while peer.files() < n and time.monotonic() < deadline:
            time.sleep(0.01)
        assert peer.files() == n, f"{peer.kind}: {peer.files()} of {n} instances arrived"
        peer.clear()
    return check


def _no_check(_result) -> None:
    return None


# --- SCUs --------------------------------------------------------------------------
def dcmfast_echo(port: int, n: int):
    from dcmfast.net import AE

    ae = AE("BENCH")

    def run() -> None:
        with ae.associate("127.0.0.1", port, ae_title="SCP",
                          contexts=[(VERIFICATION, [IMPLICIT])]) as assoc:
            for _ in range(n):
                assert assoc.echo() == 0
    return run


def dcmfast_assoc_echo(port: int, n: int):
    from dcmfast.net import AE

    ae = AE("BENCH")

    def run() -> None:
        for _ in range(n):
            with ae.associate("127.0.0.1", port, ae_title="SCP",
                              contexts=[(VERIFICATION, [IMPLICIT])]) as assoc:
                assert assoc.echo() == 0
    return run


def dcmfast_store(port: int, files: list[str]):
    from dcmfast.net import AE

    ae = AE("BENCH")

    def run() -> None:
        with ae.associate("127.0.0.1", port, ae_title="SCP", for_files=files[:1]) as assoc:
            for path in files:
                status = assoc.store(path)
                assert status == 0, (path, status)
    return run


def pynetdicom_echo(port: int, n: int, per_association: bool = False):
    from pynetdicom import AE

    ae = AE(ae_title="BENCH")
    ae.add_requested_context(VERIFICATION)

    def one(count: int) -> None:
        assoc = ae.associate("127.0.0.1", port, ae_title="SCP")
        assert assoc.is_established
        try:
            for _ in range(count):
                assert assoc.send_c_echo().Status == 0
        finally:
            assoc.release()

    def run() -> None:
        if per_association:
            for _ in range(n):
                one(1)
        else:
            one(n)
    return run


def pynetdicom_store(port: int, files: list[str]):
    import pydicom
    from pynetdicom import AE

    ae = AE(ae_title="BENCH")
    first = pydicom.dcmread(files[0], stop_before_pixels=True)
    ae.add_requested_context(first.SOPClassUID, [str(first.file_meta.TransferSyntaxUID)])

    def run() -> None:
        assoc = ae.associate("127.0.0.1", port, ae_title="SCP")
        assert assoc.is_established
        try:
            for path in files:
                assert assoc.send_c_store(pydicom.dcmread(path)).Status == 0
        finally:
            assoc.release()
    return run


def storescu(port: int, files: list[str]):
    return lambda: _run([DCMTK["storescu"], "-aec", "SCP", "127.0.0.1", str(port)] + files)


# --- net_echo / net_assoc_echo ---------------------------------------------------------
def test_net_echo_dcmfast(benchmark, peers):
    peer = peers("dcmfast")
    run_checked(benchmark, "net_echo", dcmfast_echo(peer.port, ECHOES), _no_check)


def test_net_echo_dcmtk(benchmark, peers):
    peer = peers("storescp")
    benchmark.extra_info["ratio_target"] = 1.0
    run_checked(benchmark, "net_echo", lambda: _run(
        [DCMTK["echoscu"], "-aec", "SCP", "--repeat", str(ECHOES), "127.0.0.1", str(peer.port)]),
        _no_check)


def test_net_echo_pynetdicom(benchmark, peers):
    peer = peers("pynetdicom")
    run_checked(benchmark, "net_echo", pynetdicom_echo(peer.port, ECHOES), _no_check, slow=True)


def test_net_assoc_echo_dcmfast(benchmark, peers):
    peer = peers("dcmfast")
    run_checked(benchmark, "net_assoc_echo", dcmfast_assoc_echo(peer.port, ASSOCS), _no_check)


def test_net_assoc_echo_pynetdicom(benchmark, peers):
    peer = peers("pynetdicom")
    benchmark.extra_info["ratio_target"] = 3.0
    run_checked(benchmark, "net_assoc_echo", pynetdicom_echo(peer.port, ASSOCS, True), _no_check,
                slow=True)


# --- net_store_ct ------------------------------------------------------------------------
_CT_PAIRS = {  # impl: (SCP kind, fsync, SCU, ratio target)
    "dcmfast": ("dcmfast", False, "dcmfast", None),
    "dcmtk": ("storescp", False, "storescu", 1.2),
    "dcmfast_to_storescp": ("storescp", False, "dcmfast", None),
    "storescu_to_dcmfast": ("dcmfast", False, "storescu", None),
    "dcmfast_fsync": ("dcmfast", True, "dcmfast", None),
    "pynetdicom": ("pynetdicom", False, "pynetdicom", 5.0),
}


def _store_ct(impl: str):
    def test(benchmark, peers, ct_files):
        kind, fsync, scu, target = _CT_PAIRS[impl]
        peer = peers(kind, fsync)
        if target is not None:
            benchmark.extra_info["ratio_target"] = target
        make = {"dcmfast": dcmfast_store, "storescu": storescu,
                "pynetdicom": pynetdicom_store}[scu]
        run_checked(benchmark, "net_store_ct", make(peer.port, ct_files),
                    _arrived(peer, len(ct_files)), slow=True)
        peer.clear()

    test.__name__ = f"test_net_store_ct_{impl}"
    return test


# one named test per pair: the ratio table reads the impl from the test name
for _impl in _CT_PAIRS:
    globals()[f"test_net_store_ct_{_impl}"] = _store_ct(_impl)


# --- net_store_small ----------------------------------------------------------------------
def test_net_store_small_dcmfast(benchmark, peers, small_files):
    peer = peers("dcmfast")
    run_checked(benchmark, "net_store_small", dcmfast_store(peer.port, small_files),
                _arrived(peer, len(small_files)), slow=True)


def test_net_store_small_dcmtk(benchmark, peers, small_files):
    peer = peers("storescp")
    benchmark.extra_info["ratio_target"] = 1.0
    run_checked(benchmark, "net_store_small", storescu(peer.port, small_files),
                _arrived(peer, len(small_files)), slow=True)


# --- SCP memory (not timed) ----------------------------------------------------------------
def test_scp_peak_rss_dcmfast(tmp_path, ct_files, bench_checks):
    """Receiving 300 CT slices (158 MB) keeps dcmfast serve's RSS near its start."""
    if not os.path.exists("/proc/self/status"):
        pytest.skip("needs /proc (Linux)")
    peer = Peer("dcmfast", tmp_path / "in", fsync=False)
    try:
        baseline = peer.peak_rss()
        dcmfast_store(peer.port, ct_files)()
        assert peer.files() == len(ct_files)
        peak = peer.peak_rss()
    finally:
        peer.stop()
    mb = 1 << 20
    numbers = {"baseline_MB": round(baseline / mb, 1), "peak_MB": round(peak / mb, 1),
               "received_MB": round(sum(os.path.getsize(p) for p in ct_files) / mb, 1)}
    bench_checks["scp_peak_rss_store_ct"] = numbers
    assert peak - baseline < 64 * mb, numbers


# --- net_find_worklist -------------------------------------------------------------------
WORKLIST_ITEMS = 1000


@pytest.fixture(scope="module")
def worklist_db(tmp_path_factory):
    """(folder with BENCH/<n>.wl x 1,000, the query file)."""
    example = "/usr/share/doc/dcmtk/examples/wlistdb/OFFIS/wklist1.dump"
    if not os.path.exists(example) or not os.path.exists("/usr/bin/wlmscpfs"):
        pytest.skip("DCMTK's wlmscpfs and example worklists are needed")
    import dcmfast

    root = tmp_path_factory.mktemp("wlbench")
    db = root / "db" / "BENCH"
    db.mkdir(parents=True)
    base = root / "base.wl"
    subprocess.run(["/usr/bin/dump2dcm", "-q", example, str(base)], check=True, timeout=30)
    ds = dcmfast.dcmread(str(base))
    for i in range(WORKLIST_ITEMS):
        ds.PatientID = f"P{i:05d}"
        ds.AccessionNumber = f"A{i:05d}"
        ds.save_as(str(db / f"{i:05d}.wl"))
    (db / "lockfile").touch()
    query_dump = root / "query.dump"
    query_dump.write_text("(0010,0010) PN []\n(0010,0020) LO []\n(0008,0050) SH []\n"
                          "(0040,0100) SQ\n(fffe,e000) na\n(0008,0060) CS []\n"
                          "(0040,0002) DA []\n(fffe,e00d) na\n(fffe,e0dd) na\n")
    query = root / "query.dcm"
    subprocess.run(["/usr/bin/dump2dcm", "-q", str(query_dump), str(query)], check=True,
                   timeout=30)
    return root / "db", query


def test_net_find_worklist_dcmfast(benchmark, worklist_db, tmp_path):
    import dcmfast
    from dcmfast.net import AE

    db, query_file = worklist_db
    query = dcmfast.dcmread(str(query_file))
    del query.file_meta
    peer = Peer("dcmfast", tmp_path / "store", worklist=db)
    ae = AE("BENCH")
    try:
        def run() -> int:
            with ae.associate("127.0.0.1", peer.port, ae_title="BENCH",
                              contexts=[("1.2.840.10008.5.1.4.31", [IMPLICIT])]) as assoc:
                return sum(1 for _ in assoc.find(query, model="worklist"))

        run_checked(benchmark, "net_find_worklist", run,
                    lambda n: (n == WORKLIST_ITEMS) or pytest.fail(f"{n} matches"))
    finally:
        peer.stop()


def test_net_find_worklist_dcmtk(benchmark, worklist_db, tmp_path):
    db, query_file = worklist_db
    peer = Peer("wlmscpfs", tmp_path / "unused", worklist=db)
    benchmark.extra_info["ratio_target"] = 1.0
    try:
        def run() -> int:
            out = subprocess.run(["/usr/bin/findscu", "-W", "-v", "-aec", "BENCH", "127.0.0.1",
                                  str(peer.port), str(query_file)], env=ENV, check=True,
                                 capture_output=True, text=True, timeout=600)
            return (out.stdout + out.stderr).count("Find Response:")

        run_checked(benchmark, "net_find_worklist", run,
                    lambda n: (n >= WORKLIST_ITEMS) or pytest.fail(f"{n} responses"))
    finally:
        peer.stop()


# --- net_get_ct ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def qr_servers(tmp_path_factory, ct_files):
    """(dcmfast serve port, dcmqrscp port), both holding the CT series."""
    if not os.path.exists("/usr/bin/dcmqrscp"):
        pytest.skip("DCMTK's dcmqrscp is needed")
    from tests.net.conftest import start_dcmqrscp, stop

    root = tmp_path_factory.mktemp("qr")
    ours = Peer("dcmfast", root / "ours")
    theirs, port = start_dcmqrscp(root, ae="SCP")
    try:
        for target in (ours.port, port):
            dcmfast_store(target, ct_files)()
        yield ours.port, port
    finally:
        ours.stop()
        stop(theirs)


def test_net_get_ct_dcmfast(benchmark, qr_servers, tmp_path):
    from dcmfast.cli import main

    port = qr_servers[0]

    def run() -> int:
        out = Path(tempfile.mkdtemp(dir=tmp_path))
        assert main(["get", "127.0.0.1", str(port), "--aec", "SCP", "-o", str(out)]) == 0
        n = len(os.listdir(out))
        shutil.rmtree(out)
        return n

    run_checked(benchmark, "net_get_ct", run,
                lambda n: (n == gen_series.SLICES) or pytest.fail(f"{n} instances"), slow=True)


def test_net_get_ct_dcmtk(benchmark, qr_servers, tmp_path):
    port = qr_servers[1]
    benchmark.extra_info["ratio_target"] = 1.0

    def run() -> int:
        out = Path(tempfile.mkdtemp(dir=tmp_path))
        _run(["/usr/bin/getscu", "-S", "-aec", "SCP", "-od", str(out),
              "-k", "QueryRetrieveLevel=STUDY", "127.0.0.1", str(port)])
        n = len(os.listdir(out))
        shutil.rmtree(out)
        return n

    run_checked(benchmark, "net_get_ct", run,
                lambda n: (n == gen_series.SLICES) or pytest.fail(f"{n} instances"), slow=True)
