"""The application entity: association requests (SCU) and the server (SCP).

:meth:`AE.associate` opens an association (connect, A-ASSOCIATE-RQ, AC/RJ)
and returns an :class:`~dcmfast.net.assoc.Association`; :meth:`AE.serve` runs
a Verification and Storage SCP until stopped; :meth:`AE.start_server` runs
the same in a background thread and returns a handle with ``shutdown()``.
"""
from __future__ import annotations

import contextlib
import logging
import os
import selectors
import socket
import sqlite3
import ssl
import threading
from typing import Any, Iterable

from dcmfast.errors import PDUError
from dcmfast.net import pdu as P
from dcmfast.net.assoc import (DEFAULT_MAX_PDU, EXPLICIT_LE, IMPLICIT_LE, VERIFICATION,
                               Association, AssociationAborted, AssociationError,
                               AssociationRejected, NoPresentationContext,
                               Timeouts, Transport, _Closed)
from dcmfast.net.dimse import (C_ECHO_RQ, C_ECHO_RSP, C_FIND_RQ, C_FIND_RSP, C_GET_RQ,
                               C_GET_RSP, C_MOVE_RQ, C_MOVE_RSP, C_STORE_RQ, C_STORE_RSP, NO_DATA_SET, COMMAND_NAMES,
                               Status, encode_command)

__all__ = ["AE", "Server"]

log = logging.getLogger("dcmfast.net")

#: Transfer syntax choice of the acceptor when the requestor offers several in a
#: context: the requestor's order is kept (so a sender offering a file's own
#: syntax first need not convert it), among the syntaxes dcmfast knows, except
#: that (retired) Explicit VR Big Endian is taken only when nothing else is offered.
_BIG_ENDIAN = "1.2.840.10008.1.2.2"


def _impl_uid() -> str:
    from dcmfast.uid import IMPLEMENTATION_CLASS_UID

    return str(IMPLEMENTATION_CLASS_UID)


def _impl_version() -> str:
    from dcmfast.filewriter import implementation_version_name

    return implementation_version_name()


class AE:
    """A DICOM application entity called ``ae_title`` (1..16 characters)."""

    def __init__(self, ae_title: str = "DCMFAST", *, max_pdu: int = DEFAULT_MAX_PDU,
                 timeouts: Timeouts | None = None) -> None:
        P._ae_bytes(ae_title)
        self.ae_title = ae_title
        self.max_pdu = max_pdu
        self.timeouts = timeouts or Timeouts()

    # -- requestor ---------------------------------------------------------------------------
    def associate(self, host: str, port: int, ae_title: str = "ANY-SCP", *,
                  contexts: Iterable[tuple[str, list[str]]] | None = None,
                  for_files: Iterable[Any] | None = None,
                  timeouts: Timeouts | None = None,
                  tls: "ssl.SSLContext | None" = None,
                  server_hostname: str | None = None) -> Association:
        """Open an association with ``host:port`` (called AE ``ae_title``).

        ``contexts``: ``(abstract syntax, [transfer syntaxes])`` to propose, in
        order of preference; ``for_files``: paths or Datasets to be stored (each
        SOP class with its files' own transfer syntax plus explicit/implicit
        little endian). By default Verification, the C-FIND models (patient,
        study, worklist), the C-MOVE and C-GET models (patient, study) and the
        common storage SOP classes are proposed. When a C-GET model is
        proposed, SCP/SCU role selection items for the proposed storage SOP
        classes are added, so the peer may send the C-GET's C-STOREs (PS3.7
        D.3.3.4). ``tls``: an ``ssl.SSLContext`` (client side) to run the
        association over TLS (PS3.15 B.1); ``server_hostname`` for its
        certificate check (default ``host``). Raises AssociationRejected,
        AssociationAborted, NetworkTimeout (TimeoutError), ssl.SSLError (a
        failed handshake) or OSError (connection refused).
        """
        from dcmfast.net import storage

        t = timeouts or self.timeouts
        proposed: list[tuple[str, list[str]]] = [(VERIFICATION, [EXPLICIT_LE, IMPLICIT_LE])]
        if contexts is not None:
            proposed = [(a, list(ts)) for a, ts in contexts]
        elif for_files is not None:
            proposed += storage.contexts_for_files(list(for_files))
        else:
            from dcmfast.net.qr import FIND_MODELS, GET_MODELS, MOVE_MODELS

            proposed += [(u, [EXPLICIT_LE, IMPLICIT_LE])
                         for u in (*FIND_MODELS.values(), *MOVE_MODELS.values(),
                                   *GET_MODELS.values())]
            proposed += [(u, [EXPLICIT_LE, IMPLICIT_LE])
                         for u in storage.COMMON_STORAGE[:127 - len(proposed)]]
        if not 0 < len(proposed) <= 128:
            raise ValueError(f"{len(proposed)} presentation contexts proposed (1..128 allowed)")
        rq_contexts = [P.PresentationContextRQ(2 * i + 1, a, ts) for i, (a, ts) in enumerate(proposed)]
        from dcmfast.net.qr import GET_MODELS

        roles = []
        if any(a in GET_MODELS.values() for a, _ in proposed):
            roles = [P.RoleSelection(a, True, True) for a in dict.fromkeys(
                a for a, _ in proposed if storage.is_storage_sop_class(a))]
        rq = P.AssociateRQ(called_ae=ae_title, calling_ae=self.ae_title, contexts=rq_contexts,
                           user_info=P.UserInformation(
                               max_length=self.max_pdu, implementation_class_uid=_impl_uid(),
                               implementation_version_name=_impl_version(), roles=roles))
        assoc = Association(None, True, t, self.ae_title, ae_title)
        assoc._ev("Evt1")                                   # AE-1: connect
        try:
            sock = socket.create_connection((host, port), timeout=t.connect)
            if tls is not None:
                try:
                    sock = tls.wrap_socket(sock, server_hostname=server_hostname or (
                        host if tls.check_hostname else None))
                except BaseException:
                    sock.close()
                    raise
        except OSError:
            assoc.machine.state = "Sta1"
            raise
        assoc.transport = Transport(sock, self.max_pdu)
        assoc._ev("Evt2")                                   # AE-2: send A-ASSOCIATE-RQ
        try:
            assoc._send_pdu(rq.encode())
        except (OSError, _Closed) as exc:
            assoc.transport.close()
            raise AssociationAborted(f"sending A-ASSOCIATE-RQ failed: {exc}") from None
        pdu = assoc._recv(t.acse)
        if pdu[0] == 2:
            try:
                ac = P.decode(pdu)
            except PDUError as exc:
                assoc._ev("Evt19")
                raise assoc._provider_abort(6, f"invalid A-ASSOCIATE-AC: {exc}") from None
            assoc._ev("Evt3")                               # AE-3: accepted
            by_id = {c.context_id: c for c in rq_contexts}
            for c in ac.contexts:
                mine = by_id.get(c.context_id)
                if mine is None:
                    continue
                if c.result == 0 and c.transfer_syntax in mine.transfer_syntaxes:
                    assoc.contexts[c.context_id] = (mine.abstract_syntax, c.transfer_syntax)
                else:
                    assoc.rejected[c.context_id] = (mine.abstract_syntax, c.result)
            assoc.peer_user_info = ac.user_info
            assoc.peer_max_pdu = ac.user_info.max_length or 0
            if 0 < assoc.peer_max_pdu < 8:      # no PDV fits: unusable
                assoc.abort()
                raise AssociationAborted(f"the peer's maximum PDU length "
                                         f"{assoc.peer_max_pdu} cannot carry a PDV")
            return assoc
        if pdu[0] == 3:
            rj = P.decode(pdu)
            assoc._ev("Evt4")                               # AE-4: close
            assoc.transport.close()
            raise AssociationRejected(rj)
        raise assoc._unexpected(pdu)

    # -- acceptor ---------------------------------------------------------------------------
    def serve(self, port: int, storage_dir: str | None = None, *, worklist_dir: str | None = None,
              peers: dict | None = None, host: str = "", max_associations: int = 32,
              fsync: bool = True, require_called_ae: bool = False,
              allowed_calling: Iterable[str] | None = None,
              ready: threading.Event | None = None,
              tls: "ssl.SSLContext | None" = None) -> None:
        """Run a Verification (and, with ``storage_dir``, Storage) SCP on
        ``port`` until the process is interrupted. See :meth:`start_server`.
        ``worklist_dir``: answer Modality Worklist C-FIND from the ``*.wl``
        files there (see :mod:`dcmfast.net.worklist`). ``peers``: C-MOVE
        destinations, ``{"AE": ("host", port)}``. ``tls``: a server-side
        ``ssl.SSLContext``; every association then runs over TLS (a failed
        handshake just closes that connection)."""
        server = Server(self, port, storage_dir, host=host, max_associations=max_associations,
                        fsync=fsync, require_called_ae=require_called_ae,
                        allowed_calling=allowed_calling, worklist_dir=worklist_dir, peers=peers,
                        tls=tls)
        if ready is not None:
            ready.set()
        try:
            server.serve_forever()
        finally:
            server.shutdown(timeout=5)

    def start_server(self, port: int = 0, storage_dir: str | None = None, **kw: Any) -> "Server":
        """:meth:`serve` in a background thread; returns the running Server
        (``.port`` is the bound port, ``.shutdown()`` stops it)."""
        server = Server(self, port, storage_dir, **kw)
        server.start()
        return server


class Server:
    """A listening SCP. One thread accepts (a selector over the listening
    socket and a wake-up pipe); each association runs in its own thread, at
    most ``max_associations`` at once (more are rejected: transient,
    local-limit-exceeded)."""

    def __init__(self, ae: AE, port: int, storage_dir: str | None, *, host: str = "127.0.0.1",
                 max_associations: int = 32, fsync: bool = True,
                 require_called_ae: bool = False,
                 allowed_calling: Iterable[str] | None = None,
                 worklist_dir: str | None = None,
                 peers: dict[str, tuple[str, int]] | None = None,
                 tls: "ssl.SSLContext | None" = None) -> None:
        # what the first association needs, loaded now rather than while a peer waits
        from dcmfast.net import storage  # noqa: F401  (the UID registry, the writer)
        from dcmfast.net.dimse import encode_command as _warm

        _warm(AffectedSOPClassUID=VERIFICATION, CommandField=C_ECHO_RSP, MessageIDBeingRespondedTo=1,
              CommandDataSetType=NO_DATA_SET, Status=0)
        storage.file_meta("1.2", "1.2", "1.2.840.10008.1.2")
        self.ae = ae
        self.storage_dir = os.path.abspath(storage_dir) if storage_dir else None
        if self.storage_dir:
            os.makedirs(self.storage_dir, exist_ok=True)
        from dcmfast.net.worklist import Worklist

        from dcmfast.net.index import Index

        self.worklist = Worklist(worklist_dir) if worklist_dir else None
        #: what was stored, for Patient / Study Root C-FIND and C-MOVE
        self.index = Index(self.storage_dir) if self.storage_dir else None
        #: server-side TLS context (every association runs over TLS), or None
        self.tls = tls
        #: C-MOVE destinations: AE title -> (host, port)
        self.peers = {ae.strip(): (h, int(p)) for ae, (h, p) in (peers or {}).items()}
        self.max_associations = max_associations
        self.fsync = fsync
        self.require_called_ae = require_called_ae
        #: calling AE titles accepted (None: any); others are rejected
        #: (permanent, calling-AE-title-not-recognized)
        self.allowed_calling = frozenset(allowed_calling) if allowed_calling is not None else None
        self.listener = socket.create_server((host, port), reuse_port=False, backlog=64)
        self.port = self.listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._active: set[Association] = set()
        self._threads: set[threading.Thread] = set()
        self._thread: threading.Thread | None = None
        self.stored = 0

    @property
    def active(self) -> int:
        """Associations (and connections not yet associated) being served now."""
        with self._lock:
            return len(self._threads)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no association is being served; False on timeout."""
        import time

        deadline = time.monotonic() + timeout
        while self.active:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name=f"dcmfast-scp-{self.port}",
                                        daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self.listener, selectors.EVENT_READ, "accept")
        sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        self.listener.setblocking(False)
        try:
            while not self._stop.is_set():
                for key, _ in sel.select():
                    if key.data == "wake":
                        return
                    try:
                        conn, addr = self.listener.accept()
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        if self._stop.is_set():
                            return
                        raise
                    conn.setblocking(True)
                    th = threading.Thread(target=self._run_association, args=(conn, addr),
                                          name="dcmfast-assoc", daemon=True)
                    with self._lock:
                        self._threads.add(th)
                    th.start()
        finally:
            sel.close()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop accepting, abort the associations still open, join the threads."""
        self._stop.set()
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            active = list(self._active)
            threads = list(self._threads)
        for a in active:
            t = a.transport
            if t is not None and not t.closed:
                try:
                    t.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for th in threads:
            th.join(timeout)
        self.close()

    def close(self) -> None:
        for s in (self.listener, self._wake_r, self._wake_w):
            try:
                s.close()
            except OSError:
                pass
        if self.index is not None:
            index, self.index = self.index, None
            index.close()           # what was stored gets indexed before the end

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()

    # -- one association ---------------------------------------------------------------------
    def _find_models(self) -> tuple[str, ...]:
        models: tuple[str, ...] = ()
        if self.worklist is not None:
            models += (_WORKLIST_FIND,)
        if self.index is not None:
            models += (_PATIENT_FIND, _STUDY_FIND, _PATIENT_MOVE, _STUDY_MOVE, _PATIENT_GET,
                       _STUDY_GET)
        return models

    def _negotiate(self, rq: P.AssociateRQ) -> list[P.PresentationContextAC]:
        from dcmfast.net import storage

        out = []
        for c in rq.contexts:
            a = c.abstract_syntax
            if a == VERIFICATION or (self.storage_dir and storage.is_storage_sop_class(a)) \
                    or a in self._find_models():
                known = [ts for ts in c.transfer_syntaxes if storage.is_known_transfer_syntax(ts)]
                if a == VERIFICATION or a in self._find_models():
                    known = [ts for ts in known if ts in (IMPLICIT_LE, EXPLICIT_LE,
                                                          "1.2.840.10008.1.2.2")]
                if _BIG_ENDIAN in known:   # retired Big Endian only as a last resort
                    known = [ts for ts in known if ts != _BIG_ENDIAN] + [_BIG_ENDIAN]
                if known:
                    out.append(P.PresentationContextAC(c.context_id, P.ACCEPTANCE, known[0]))
                else:
                    out.append(P.PresentationContextAC(c.context_id,
                                                       P.TRANSFER_SYNTAXES_NOT_SUPPORTED, None))
            else:
                out.append(P.PresentationContextAC(c.context_id, P.ABSTRACT_SYNTAX_NOT_SUPPORTED,
                                                   None))
        return out

    def _run_association(self, conn: socket.socket, addr: Any) -> None:
        if self.tls is not None:
            try:
                conn.settimeout(self.ae.timeouts.acse)
                conn = self.tls.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError) as exc:   # a failed handshake: nothing to answer
                log.info("TLS handshake with %s failed: %s", addr, exc)
                conn.close()
                return
        with self._lock:
            over = len(self._active) >= self.max_associations
        assoc = Association(Transport(conn, self.ae.max_pdu), False, self.ae.timeouts,
                            self.ae.ae_title)
        with self._lock:
            self._active.add(assoc)
        try:
            self._associate(assoc, over)
            if assoc.is_established:
                self._dimse_loop(assoc)
        except AssociationError as exc:
            log.info("association from %s ended: %s", addr, exc)
        except Exception:  # a bug must not take the server down
            log.exception("association from %s failed", addr)
            assoc.abort()
        finally:
            if assoc.transport is not None:
                assoc.transport.close()
            with self._lock:
                self._active.discard(assoc)
                self._threads.discard(threading.current_thread())

    def _associate(self, assoc: Association, over_limit: bool) -> None:
        assoc._ev("Evt5")                     # AE-5: start ARTIM
        pdu = assoc._recv(assoc.timeouts.artim)
        if pdu[0] != 1:
            raise assoc._unexpected(pdu)      # AA-1 / AA-2
        try:
            rq = P.decode(pdu)
        except PDUError as exc:
            assoc._ev("Evt19")                # AA-1
            raise assoc._provider_abort(6, f"invalid A-ASSOCIATE-RQ: {exc}") from None
        # the service provider's own checks (AE-6)
        rj = None
        if rq.application_context != P.APPLICATION_CONTEXT:
            rj = P.AssociateRJ(1, 1, 2)       # application-context-name-not-supported
        elif not rq.protocol_version & 1:
            rj = P.AssociateRJ(1, 2, 2)       # protocol-version-not-supported
        if rj is not None:
            assoc._ev("Evt6", acceptable=False)   # AE-6 -> Sta13
            assoc._send_pdu(rj.encode())
            assoc._await_close()
            raise AssociationRejected(rj)
        assoc._ev("Evt6", acceptable=True)        # AE-6 -> Sta3: A-ASSOCIATE indication
        assoc.peer_ae = rq.calling_ae
        assoc.local_ae = rq.called_ae             # the title the peer called us by
        # the service user's decision
        if over_limit:
            rj = P.AssociateRJ(2, 3, 2)           # transient, local-limit-exceeded
        elif self.allowed_calling is not None and rq.calling_ae not in self.allowed_calling:
            rj = P.AssociateRJ(1, 1, 3)           # calling-AE-title-not-recognized
        elif self.require_called_ae and rq.called_ae != self.ae.ae_title:
            rj = P.AssociateRJ(1, 1, 7)           # called-AE-title-not-recognized
        elif rq.user_info.max_length is not None and 0 < rq.user_info.max_length < 8:
            rj = P.AssociateRJ(1, 1, 1)           # no PDV fits the peer's maximum length
        if rj is not None:
            assoc._ev("Evt8")                     # AE-8: send RJ, start ARTIM
            assoc._send_pdu(rj.encode())
            assoc._await_close()
            raise AssociationRejected(rj)
        results = self._negotiate(rq)
        by_id = {c.context_id: c for c in rq.contexts}
        for r in results:
            if r.result == P.ACCEPTANCE:
                assoc.contexts[r.context_id] = (by_id[r.context_id].abstract_syntax, r.transfer_syntax)
        assoc.peer_user_info = rq.user_info
        assoc.peer_max_pdu = rq.user_info.max_length or 0
        # role selection (PS3.7 D.3.3.4): the requestor may act as the Storage SCP
        # for C-GET sub-operations; we take whatever roles it proposes for storage
        from dcmfast.net import storage

        roles = [P.RoleSelection(r.sop_class_uid, r.scu_role, r.scp_role)
                 for r in rq.user_info.roles if storage.is_storage_sop_class(r.sop_class_uid)]
        assoc.reverse_storage = {r.sop_class_uid for r in roles if r.scp_role}
        ac = P.AssociateAC(called_ae=rq.called_ae, calling_ae=rq.calling_ae, contexts=results,
                           user_info=P.UserInformation(
                               max_length=self.ae.max_pdu, implementation_class_uid=_impl_uid(),
                               implementation_version_name=_impl_version(), roles=roles))
        assoc._ev("Evt7")                         # AE-7: send AC
        assoc._send_pdu(ac.encode())

    def _dimse_loop(self, assoc: Association) -> None:
        from dcmfast.net import storage

        dir_fd = None
        if self.storage_dir and self.fsync:
            dir_fd = os.open(self.storage_dir, os.O_RDONLY)
        try:
            def on_command(cid: int, cmd: Any):
                abstract, ts = assoc.contexts[cid]
                if cmd.field in (C_FIND_RQ, C_MOVE_RQ, C_GET_RQ) \
                        and abstract in self._find_models():
                    return None     # the identifier, as bytes
                if cmd.field != C_STORE_RQ:
                    return _FailedSink(0x0122, "no service for this message's data set")
                inst = cmd.get(0x1000, "")
                sop_class = cmd.get(0x0002, "")
                if not self.storage_dir or not storage.is_storage_sop_class(abstract) \
                        or (sop_class and sop_class != abstract):
                    # the data set is dropped as it arrives; the C-STORE is refused
                    return _FailedSink(0x0122, f"SOP class {sop_class or '?'} not supported on "
                                               f"presentation context {cid} ({abstract})")
                if not inst:
                    return _FailedSink(0xC000, "no Affected SOP Instance UID")
                try:
                    return storage.StorageSink(self.storage_dir, sop_class or abstract, inst, ts,
                                               assoc.peer_ae, self.fsync, dir_fd)
                except OSError as exc:
                    log.error("cannot create a file in %s: %s", self.storage_dir, exc)
                    return _FailedSink(0xA700, str(exc))

            while True:
                got = assoc.receive_message(assoc.timeouts.network, on_command)
                if got is None:
                    return          # released
                cid, cmd, data = got
                field = cmd.field
                msg_id = cmd.get(0x0110, 0)
                sop_class = cmd.get(0x0002, "")
                if field == C_ECHO_RQ:
                    assoc.send_message(cid, encode_command(
                        AffectedSOPClassUID=sop_class or VERIFICATION, CommandField=C_ECHO_RSP,
                        MessageIDBeingRespondedTo=msg_id, CommandDataSetType=NO_DATA_SET,
                        Status=0x0000))
                elif field == C_FIND_RQ and assoc.contexts[cid][0] in self._find_models():
                    self._find(assoc, cid, msg_id, data)
                elif field == C_MOVE_RQ and assoc.contexts[cid][0] in (_PATIENT_MOVE, _STUDY_MOVE) \
                        and self.index is not None:
                    self._move(assoc, cid, msg_id, cmd, data)
                elif field == C_GET_RQ and assoc.contexts[cid][0] in (_PATIENT_GET, _STUDY_GET) \
                        and self.index is not None:
                    self._move(assoc, cid, msg_id, cmd, data, get=True)
                elif field == C_STORE_RQ:
                    inst = cmd.get(0x1000, "")
                    if isinstance(data, _FailedSink.Failure):
                        status = data.status    # refused, cannot understand, out of resources
                        log.info("C-STORE %s refused: %s", inst, data.why)
                    elif isinstance(data, str):
                        status = 0x0000
                        self.stored += 1
                        self.index.add_later(data)   # in the background
                    else:                       # no data set at all
                        status = 0xC000
                    assoc.send_message(cid, encode_command(
                        AffectedSOPClassUID=sop_class, CommandField=C_STORE_RSP,
                        MessageIDBeingRespondedTo=msg_id, CommandDataSetType=NO_DATA_SET,
                        Status=status, AffectedSOPInstanceUID=inst))
                else:
                    name = COMMAND_NAMES.get(field, f"0x{field:04X}")
                    if field & 0x8000 or field not in COMMAND_NAMES:
                        raise assoc._provider_abort(2, f"unexpected DIMSE message {name}")
                    # a request of a service not offered here: refused
                    assoc.send_message(cid, encode_command(
                        AffectedSOPClassUID=sop_class, CommandField=field | 0x8000,
                        MessageIDBeingRespondedTo=msg_id, CommandDataSetType=NO_DATA_SET,
                        Status=0x0122))
        finally:
            if dir_fd is not None:
                os.close(dir_fd)


    def _find(self, assoc: Association, cid: int, msg_id: int, data: Any) -> None:
        """C-FIND (Modality Worklist over the worklist folder; Patient / Study
        Root over the storage index): a pending response per match, then
        success; an identifier that cannot be answered gets 0xA900 / 0xC000."""
        from dcmfast.net.qr import decode_identifier, encode_identifier

        abstract, ts = assoc.contexts[cid]

        def respond(status: int, identifier: Any = None, comment: str | None = None) -> None:
            fields: dict = {"AffectedSOPClassUID": abstract, "CommandField": C_FIND_RSP,
                            "MessageIDBeingRespondedTo": msg_id, "Status": status,
                            "CommandDataSetType": NO_DATA_SET if identifier is None else 0x0000}
            if comment:
                fields["ErrorComment"] = comment[:64]
            assoc.send_message(cid, encode_command(**fields),
                               None if identifier is None else encode_identifier(identifier, ts))

        try:
            query = decode_identifier(data or b"", ts)
            if abstract == _WORKLIST_FIND:
                matches = list(self.worklist.find(query, assoc.local_ae))
            else:
                matches = list(self._qr_matches(query, abstract))
        except _IdentifierError as exc:
            respond(0xA900, comment=str(exc))
            return
        except ValueError as exc:   # InvalidDicomError included
            respond(0xA900, comment=f"undecodable identifier: {exc}")
            return
        except (OSError, sqlite3.Error) as exc:
            log.error("C-FIND failed: %s", exc)
            respond(0xC000, comment=str(exc))
            return
        for identifier in matches:
            if assoc.poll_cancel(msg_id):
                assoc.cancelled.discard(msg_id)
                respond(0xFE00)           # matching terminated due to cancel
                return
            respond(0xFF00, identifier)
        assoc.cancelled.discard(msg_id)
        respond(0x0000)

    def _move(self, assoc: Association, cid: int, msg_id: int, cmd: Any, data: Any,
              get: bool = False) -> None:
        """C-MOVE: the matching instances C-STOREd to a configured destination
        over a new association; C-GET (``get``): C-STOREd over this one, on the
        storage contexts whose SCP role the requestor took. A pending response
        (with the counts) per instance, then the final status (PS3.4 C.4.2,
        C.4.3)."""
        from dcmfast.net.qr import decode_identifier, encode_identifier

        abstract, ts = assoc.contexts[cid]
        counts = {"remaining": 0, "completed": 0, "failed": 0, "warning": 0}

        def respond(status: int, comment: str | None = None, failed: list | None = None,
                    final: bool = False) -> None:
            fields: dict = {"AffectedSOPClassUID": abstract,
                            "CommandField": C_GET_RSP if get else C_MOVE_RSP,
                            "MessageIDBeingRespondedTo": msg_id, "Status": status,
                            "CommandDataSetType": 0x0000 if failed else NO_DATA_SET,
                            "NumberOfCompletedSuboperations": counts["completed"],
                            "NumberOfFailedSuboperations": counts["failed"],
                            "NumberOfWarningSuboperations": counts["warning"]}
            if not final:
                fields["NumberOfRemainingSuboperations"] = counts["remaining"]
            if comment:
                fields["ErrorComment"] = comment[:64]
            identifier = None
            if failed:
                from dcmfast.dataset import Dataset

                identifier = Dataset()
                identifier.add_new(0x00080058, "UI", failed)
            assoc.send_message(cid, encode_command(**fields),
                               None if identifier is None else encode_identifier(identifier, ts))

        destination = str(cmd.get(0x0600, "") or "").strip()
        if not get and destination not in self.peers:
            respond(0xA801, f"move destination {destination or '(none)'} unknown", final=True)
            return
        try:
            query = decode_identifier(data or b"", ts)
            level = str(query.get("QueryRetrieveLevel", "") or "").strip().upper()
            unique = _UNIQUE_TAGS.get(level)
            if unique is not None and unique not in query:
                query.add_new(unique, "LO" if unique == 0x00100020 else "UI", None)
            matches = list(self._qr_matches(query, _MODEL_OF_RETRIEVE[abstract]))
        except ValueError as exc:   # _IdentifierError, InvalidDicomError
            respond(0xA900, str(exc), final=True)
            return
        paths = self.index.paths(level, matches)
        counts["remaining"] = len(paths)
        if not paths:
            respond(0x0000, final=True)
            return
        if get:
            sub: Any = contextlib.nullcontext(assoc)
        else:
            host, port = self.peers[destination]
            try:
                sub = self.ae.associate(host, port, ae_title=destination, for_files=paths)
            except (AssociationError, OSError) as exc:
                counts["failed"], counts["remaining"] = len(paths), 0
                respond(0xA702, f"reverse association to {destination} refused: {exc}",
                        final=True)
                return
        failed_uids: list[str] = []
        reasons: list[str] = []
        cancelled = False
        with sub as target:
            for path in paths:
                if assoc.poll_cancel(msg_id):
                    cancelled = True
                    break
                try:
                    if get and self.index.sop_class_of(path) not in assoc.reverse_storage:
                        raise NoPresentationContext(
                            f"no storage context: the requestor took no SCP role for "
                            f"{self.index.sop_class_of(path)}")
                    status = target.store(path)
                except (NoPresentationContext, ValueError, OSError) as exc:
                    log.info("%s sub-operation %s failed: %s", "C-GET" if get else "C-MOVE",
                             path, exc)
                    if str(exc) not in reasons:
                        reasons.append(str(exc))
                    status = Status(0xA700)
                counts["remaining"] -= 1
                if status.category == "Success":
                    counts["completed"] += 1
                elif status.category == "Warning":
                    counts["warning"] += 1
                else:
                    counts["failed"] += 1
                    failed_uids.append(self.index.uid_of(path))
                if counts["remaining"]:
                    respond(0xFF00)
        why = f": {reasons[0]}" if reasons else ""
        assoc.cancelled.discard(msg_id)
        if cancelled:                     # sub-operations terminated due to cancel
            respond(0xFE00, None, failed_uids or None)
        elif counts["failed"] and not counts["completed"] and not counts["warning"]:
            respond(0xA702, f"no sub-operation succeeded{why}", failed_uids, final=True)
        else:
            respond(0xB000 if counts["failed"] else 0x0000, why[2:] or None, failed_uids or None,
                    final=True)

    def _qr_matches(self, query: Any, abstract: str) -> Any:
        """Patient / Study Root matches from the storage index."""
        from dcmfast.dataset import Dataset
        from dcmfast.net.worklist import match

        level = str(query.get("QueryRetrieveLevel", "") or "").strip().upper()
        allowed = ("PATIENT", "STUDY", "SERIES", "IMAGE") if abstract == _PATIENT_FIND \
            else ("STUDY", "SERIES", "IMAGE")
        if level not in allowed:
            raise _IdentifierError(f"QueryRetrieveLevel {level or '(none)'} is not one of "
                                   f"{', '.join(allowed)} for this model")
        keys = Dataset()
        narrow = {}
        for elem in query:
            if elem.tag == 0x00080052:
                continue
            keys[elem.tag] = elem
            column = {0x00100020: "patient_id", 0x0020000D: "study_uid",
                      0x0020000E: "series_uid", 0x00080018: "sop_uid"}.get(elem.tag)
            value = elem.value
            if column and isinstance(value, str) and value.strip() and \
                    not any(c in value for c in "*?\\"):
                narrow[column] = value.strip()
        for record in self.index.records(level, narrow):
            found = match(keys, record)
            if found is not None:
                found.add_new(0x00080052, "CS", level)
                yield found


class _IdentifierError(ValueError):
    """A C-FIND identifier the SCP cannot answer (status 0xA900)."""


_PATIENT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
_STUDY_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
_PATIENT_MOVE = "1.2.840.10008.5.1.4.1.2.1.2"
_STUDY_MOVE = "1.2.840.10008.5.1.4.1.2.2.2"
_PATIENT_GET = "1.2.840.10008.5.1.4.1.2.1.3"
_STUDY_GET = "1.2.840.10008.5.1.4.1.2.2.3"
_MODEL_OF_RETRIEVE = {_PATIENT_MOVE: _PATIENT_FIND, _STUDY_MOVE: _STUDY_FIND,
                      _PATIENT_GET: _PATIENT_FIND, _STUDY_GET: _STUDY_FIND}
_UNIQUE_TAGS = {"PATIENT": 0x00100020, "STUDY": 0x0020000D, "SERIES": 0x0020000E,
                "IMAGE": 0x00080018}
_WORKLIST_FIND = "1.2.840.10008.5.1.4.31"


class _FailedSink:
    """Where a data set goes when it will not be stored (service refused, file
    not creatable): dropped PDV by PDV as it arrives; the C-STORE is answered
    with ``status``."""

    class Failure:
        def __init__(self, status: int, why: str) -> None:
            self.status = status
            self.why = why

    def __init__(self, status: int, why: str) -> None:
        self.status = status
        self.why = why

    def write(self, mv: memoryview) -> None:
        pass

    def finish(self) -> "_FailedSink.Failure":
        return _FailedSink.Failure(self.status, self.why)

    def abort(self) -> None:
        pass
