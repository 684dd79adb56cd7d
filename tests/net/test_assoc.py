"""dcmfast SCU against dcmfast SCP: echo, store, negotiation, rejection,
release and abort, timeouts, the association cap, durable storage."""
from __future__ import annotations

import socket
import threading
import time

import pytest

import dcmfast
from dcmfast import net
from dcmfast.net import pdu as P
from dcmfast.net.storage import safe_filename

from tests.net.conftest import _testdata, dataset_bytes, received

VERIFICATION = "1.2.840.10008.1.1"
EXPLICIT = "1.2.840.10008.1.2.1"
IMPLICIT = "1.2.840.10008.1.2"
CT = "1.2.840.10008.5.1.4.1.1.2"


def test_echo_and_negotiated_parameters(server, scu):
    with scu.associate("127.0.0.1", server.port, ae_title="DCMFAST_SCP") as assoc:
        st = assoc.echo()
        assert st == 0 and st.is_success and st.category == "Success"
        assert assoc.peer_max_pdu == net.assoc.DEFAULT_MAX_PDU
        assert assoc.peer_user_info.implementation_class_uid
        assert (VERIFICATION, EXPLICIT) in assoc.contexts.values()
        for _ in range(50):
            assert assoc.echo() == 0
    assert assoc.machine.state == "Sta1" and assoc.transport.closed


def test_store_path_arrives_byte_identical(server, scu, tmp_path):
    src = _testdata("CT_small.dcm")
    with scu.associate("127.0.0.1", server.port, for_files=[src]) as assoc:
        assert assoc.store(src) == 0
    ds = dcmfast.dcmread(src)
    out = tmp_path / "in" / safe_filename(str(ds.SOPInstanceUID))
    assert out.exists()
    assert dataset_bytes(str(out)) == dataset_bytes(src)
    back = dcmfast.dcmread(str(out))
    assert str(back.file_meta.MediaStorageSOPInstanceUID) == str(ds.SOPInstanceUID)
    assert str(back.file_meta.SourceApplicationEntityTitle) == "TEST_SCU"
    assert not [p for p in received(tmp_path / "in") if p.endswith(".part")]


def test_store_dataset_and_repeated_uid_replaces(server, scu, tmp_path):
    ds = dcmfast.dcmread(_testdata("CT_small.dcm"))
    with scu.associate("127.0.0.1", server.port) as assoc:
        assert assoc.store(ds) == 0
        ds.PatientName = "Second^Version"
        assert assoc.store(ds) == 0
    files = received(tmp_path / "in")
    assert files == [safe_filename(str(ds.SOPInstanceUID))]
    assert str(dcmfast.dcmread(str(tmp_path / "in" / files[0])).PatientName) == "Second^Version"


@pytest.mark.filterwarnings("ignore::dcmfast.errors.DicomWarning")
def test_hostile_sop_instance_uid_stays_in_the_folder(server, scu, tmp_path):
    ds = dcmfast.dcmread(_testdata("CT_small.dcm"))
    ds.SOPInstanceUID = "../../../etc/evil"
    with scu.associate("127.0.0.1", server.port) as assoc:
        assert assoc.store(ds) == 0
    assert received(tmp_path / "in") == ["UID_.._.._.._etc_evil.dcm"]
    assert not (tmp_path.parent / "evil.dcm").exists()
    for bad in ("", ".", "..", "a/b", "x" * 300, "\x00", "-rf"):
        name = safe_filename(bad)
        assert "/" not in name and not name.startswith((".", "-")) and len(name) <= 84


def test_compressed_file_converted_when_only_native_accepted(server, scu, tmp_path):
    src = _testdata("SC_rgb_rle.dcm")
    ds = dcmfast.dcmread(src)
    sop = str(ds.SOPClassUID)
    with scu.associate("127.0.0.1", server.port, contexts=[(sop, [EXPLICIT, IMPLICIT])]) as assoc:
        assert assoc.store(src) == 0
    out = dcmfast.dcmread(str(tmp_path / "in" / safe_filename(str(ds.SOPInstanceUID))))
    assert str(out.file_meta.TransferSyntaxUID) == EXPLICIT
    assert (dcmfast.pixel_array(out) == dcmfast.pixel_array(ds)).all()


def test_compressed_file_sent_as_is_when_its_syntax_is_accepted(server, scu, tmp_path):
    src = _testdata("SC_rgb_rle.dcm")
    with scu.associate("127.0.0.1", server.port, for_files=[src]) as assoc:
        assert assoc.store(src) == 0
    out = tmp_path / "in" / safe_filename(str(dcmfast.dcmread(src).SOPInstanceUID))
    assert dataset_bytes(str(out)) == dataset_bytes(src)


def test_no_presentation_context(server, scu):
    with scu.associate("127.0.0.1", server.port,
                       contexts=[(VERIFICATION, [IMPLICIT])]) as assoc:
        with pytest.raises(net.NoPresentationContext):
            assoc.store(_testdata("CT_small.dcm"))
        assert assoc.echo() == 0


def test_context_results(server, scu):
    with scu.associate("127.0.0.1", server.port, contexts=[
            (VERIFICATION, ["1.2.3.4.5"]), ("1.2.840.10008.1.20.1", [IMPLICIT]),
            (CT, ["1.2.840.10008.1.2.4.50", EXPLICIT])]) as assoc:
        assert assoc.rejected == {1: (VERIFICATION, P.TRANSFER_SYNTAXES_NOT_SUPPORTED),
                                  3: ("1.2.840.10008.1.20.1", P.ABSTRACT_SYNTAX_NOT_SUPPORTED)}
        assert assoc.contexts == {5: (CT, "1.2.840.10008.1.2.4.50")}


def test_called_ae_rejection(tmp_path, scu):
    srv = net.AE("STRICT").start_server(0, storage_dir=str(tmp_path), require_called_ae=True)
    try:
        with pytest.raises(net.AssociationRejected) as info:
            scu.associate("127.0.0.1", srv.port, ae_title="WRONG")
        assert (info.value.rj.result, info.value.rj.source, info.value.rj.reason) == (1, 1, 7)
        with scu.associate("127.0.0.1", srv.port, ae_title="STRICT") as assoc:
            assert assoc.echo() == 0
    finally:
        srv.shutdown()


def test_association_cap_rejects_transiently(tmp_path, scu):
    srv = net.AE("CAP").start_server(0, storage_dir=str(tmp_path), max_associations=1)
    try:
        with scu.associate("127.0.0.1", srv.port) as first:
            with pytest.raises(net.AssociationRejected) as info:
                scu.associate("127.0.0.1", srv.port)
            assert (info.value.rj.result, info.value.rj.source, info.value.rj.reason) == (2, 3, 2)
            assert first.echo() == 0
        deadline = time.monotonic() + 5
        while True:   # the first association's thread may still be finishing
            try:
                with scu.associate("127.0.0.1", srv.port) as again:
                    assert again.echo() == 0
                break
            except net.AssociationRejected:
                assert time.monotonic() < deadline
                time.sleep(0.05)
    finally:
        srv.shutdown()


def test_connection_refused(scu):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(OSError):
        scu.associate("127.0.0.1", port)


def test_silent_peer_times_out_and_unwinds():
    lsock = socket.create_server(("127.0.0.1", 0))
    conns = []
    t = threading.Thread(target=lambda: conns.append(lsock.accept()[0]), daemon=True)
    t.start()
    ae = net.AE("T", timeouts=net.Timeouts(connect=2, acse=0.5, artim=0.5))
    t0 = time.monotonic()
    try:
        with pytest.raises(net.NetworkTimeout):
            ae.associate("127.0.0.1", lsock.getsockname()[1])
        assert time.monotonic() - t0 < 3
    finally:
        t.join(5)
        for c in conns:
            c.close()
        lsock.close()


def test_dimse_timeout_when_the_scp_does_not_answer():
    """A peer that accepts the association then never answers the C-ECHO."""
    lsock = socket.create_server(("127.0.0.1", 0))
    held = []

    def peer():
        c, _ = lsock.accept()
        held.append(c)
        c.settimeout(5)
        buf = c.recv(65536)
        rq = P.decode(buf)
        ac = P.AssociateAC(rq.called_ae, rq.calling_ae,
                           [P.PresentationContextAC(x.context_id, 0, x.transfer_syntaxes[0])
                            for x in rq.contexts], P.UserInformation(max_length=16384))
        c.sendall(ac.encode())
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass

    t = threading.Thread(target=peer, daemon=True)
    t.start()
    ae = net.AE("T", timeouts=net.Timeouts(dimse=0.5, artim=0.5))
    try:
        assoc = ae.associate("127.0.0.1", lsock.getsockname()[1],
                             contexts=[(VERIFICATION, [IMPLICIT])])
        t0 = time.monotonic()
        with pytest.raises(net.NetworkTimeout):
            assoc.echo()
        assert time.monotonic() - t0 < 3
        assert assoc.transport.closed
    finally:
        t.join(5)
        for c in held:
            c.close()
        lsock.close()


def test_abort_from_the_requestor(server, scu):
    assoc = scu.associate("127.0.0.1", server.port)
    assert assoc.echo() == 0
    assoc.abort()
    assert assoc.transport.closed and assoc.machine.state == "Sta1"
    with scu.associate("127.0.0.1", server.port) as again:
        assert again.echo() == 0


def test_exception_inside_with_aborts(server, scu):
    with pytest.raises(KeyError):
        with scu.associate("127.0.0.1", server.port) as assoc:
            raise KeyError("boom")
    assert assoc.transport.closed


def test_peer_abort_is_reported(scu):
    """An SCP that answers the RQ with an A-ABORT."""
    lsock = socket.create_server(("127.0.0.1", 0))

    def peer():
        c, _ = lsock.accept()
        with c:
            c.settimeout(5)
            c.recv(65536)
            c.sendall(P.Abort(2, 0).encode())
            try:
                c.recv(10)
            except OSError:
                pass

    t = threading.Thread(target=peer, daemon=True)
    t.start()
    try:
        with pytest.raises(net.AssociationAborted, match="A-ABORT"):
            scu.associate("127.0.0.1", lsock.getsockname()[1])
    finally:
        t.join(5)
        lsock.close()


def test_twenty_associations_storing_at_once(server, scu, tmp_path):
    src = dcmfast.dcmread(_testdata("CT_small.dcm"))
    errors = []
    uids = [f"1.2.826.0.1.3680043.8.498.{n}" for n in range(20 * 5)]

    def worker(k):
        try:
            with scu.associate("127.0.0.1", server.port) as assoc:
                for j in range(5):
                    ds = dcmfast.dcmread(_testdata("CT_small.dcm"))
                    ds.SOPInstanceUID = uids[k * 5 + j]
                    assert assoc.store(ds) == 0
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(received(tmp_path / "in")) == sorted(safe_filename(u) for u in uids)
    assert server.stored == 100
    del src


def _raw_acceptor(script):
    """A peer that accepts any association then runs ``script(conn)``."""
    lsock = socket.create_server(("127.0.0.1", 0))
    result = {}

    def peer():
        c, _ = lsock.accept()
        with c:
            c.settimeout(5)
            rq = P.decode(c.recv(65536))
            ac = P.AssociateAC(rq.called_ae, rq.calling_ae,
                               [P.PresentationContextAC(x.context_id, 0, x.transfer_syntaxes[0])
                                for x in rq.contexts], P.UserInformation(max_length=16384))
            c.sendall(ac.encode())
            try:
                result["value"] = script(c)
            except Exception as exc:  # pragma: no cover - shown by the assertion
                result["error"] = exc

    t = threading.Thread(target=peer, daemon=True)
    t.start()
    return lsock, t, result


def _recv_pdu(c):
    head = b""
    while len(head) < 6:
        head += c.recv(6 - len(head))
    n = int.from_bytes(head[2:6], "big")
    body = b""
    while len(body) < n:
        body += c.recv(n - len(body))
    return head + body


def test_release_collision_as_requestor(scu):
    def script(c):
        assert _recv_pdu(c)[0] == 5            # our A-RELEASE-RQ
        c.sendall(P.ReleaseRQ().encode())      # the peer releases too: collision
        got = _recv_pdu(c)                     # requestor answers first (AR-9)
        c.sendall(P.ReleaseRP().encode())      # then gets its RP (AR-3)
        return got[0]

    lsock, t, result = _raw_acceptor(script)
    try:
        assoc = scu.associate("127.0.0.1", lsock.getsockname()[1],
                              contexts=[(VERIFICATION, [IMPLICIT])])
        assoc.machine.history = []
        assoc.release()
        t.join(5)
        assert result.get("value") == 6, result
        assert [h[2] for h in assoc.machine.history] == ["AR-1", "AR-8", "AR-9", "AR-3"]
        assert assoc.machine.state == "Sta1"
    finally:
        lsock.close()


def test_application_context_and_protocol_version_rejections(server):
    for mutate, expected in ((lambda rq: setattr(rq, "application_context", "1.2.3"), (1, 1, 2)),
                             (lambda rq: setattr(rq, "protocol_version", 2), (1, 2, 2))):
        rq = P.AssociateRQ("DCMFAST_SCP", "X", [P.PresentationContextRQ(1, VERIFICATION, [IMPLICIT])],
                           P.UserInformation(max_length=0))
        mutate(rq)
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as c:
            c.sendall(rq.encode())
            rj = P.decode(_recv_pdu(c))
        assert (rj.result, rj.source, rj.reason) == expected
    assert server.wait_idle(10)


def test_store_refused_on_a_non_storage_context(server, scu, tmp_path):
    """A C-STORE-RQ sent on the Verification context, or naming another SOP class
    than its context: refused (0x0122), its data set dropped, nothing written."""
    from dcmfast.net.dimse import encode_command

    ds = dcmfast.dcmread(_testdata("CT_small.dcm"))
    with scu.associate("127.0.0.1", server.port,
                       contexts=[(VERIFICATION, [IMPLICIT]), (CT, [EXPLICIT])]) as assoc:
        for cid, sop in ((1, CT), (3, "1.2.840.10008.5.1.4.1.1.4")):
            assoc.send_message(cid, encode_command(
                AffectedSOPClassUID=sop, CommandField=1, MessageID=cid, Priority=0,
                CommandDataSetType=0, AffectedSOPInstanceUID="1.2.3.4"), b"\x08\x00\x16\x00" * 40)
            rsp = assoc._await_response(cid, 0x8001)
            assert rsp[0x0900] == 0x0122
        assert assoc.store(ds) == 0
    assert received(tmp_path / "in") == [safe_filename(str(ds.SOPInstanceUID))]


def test_peer_maximum_length_too_small_for_a_pdv(server):
    rq = P.AssociateRQ("DCMFAST_SCP", "X", [P.PresentationContextRQ(1, VERIFICATION, [IMPLICIT])],
                       P.UserInformation(max_length=7))
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as c:
        c.sendall(rq.encode())
        rj = P.decode(_recv_pdu(c))
    assert isinstance(rj, P.AssociateRJ) and (rj.result, rj.source, rj.reason) == (1, 1, 1)


def test_small_peer_maximum_length_fragments_everything(tmp_path, scu):
    srv = net.AE("TINY", max_pdu=8).start_server(0, storage_dir=str(tmp_path))
    try:
        src = _testdata("CT_small.dcm")
        with scu.associate("127.0.0.1", srv.port, for_files=[src]) as assoc:
            assert assoc.peer_max_pdu == 8       # 2 bytes of data per PDV
            assert assoc.echo() == 0
            assert assoc.store(src) == 0
    finally:
        srv.shutdown()
    got = tmp_path / safe_filename(str(dcmfast.dcmread(src).SOPInstanceUID))
    assert dataset_bytes(str(got)) == dataset_bytes(src)


def test_calling_ae_allow_list(tmp_path):
    srv = net.AE("GATE").start_server(0, storage_dir=str(tmp_path), allowed_calling=["FRIEND"])
    try:
        with pytest.raises(net.AssociationRejected) as info:
            net.AE("STRANGER").associate("127.0.0.1", srv.port)
        assert (info.value.rj.result, info.value.rj.source, info.value.rj.reason) == (1, 1, 3)
        assert "calling-AE-title-not-recognized" in str(info.value)
        with net.AE("FRIEND").associate("127.0.0.1", srv.port) as assoc:
            assert assoc.echo() == 0
    finally:
        srv.shutdown()
