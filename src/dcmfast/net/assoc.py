"""Associations over TCP: the transport that drives the upper-layer state
machine (:mod:`dcmfast.net.dul`), negotiation as requestor and acceptor, and
DIMSE messages over P-DATA-TF.

Transport: one TCP socket per association, TCP_NODELAY set, every wait bounded
by a socket timeout (the kernel's poll, not a sleep loop); every PDU, and
every DIMSE message (command set and data set together), is written with one
``sendall`` of one buffer framed in C. Received bytes land in one growing
buffer; each PDU is framed by ``_net.pdu_frame`` (its length judged from the
6-byte header before the body is read) and handed on as a memoryview, so a
data set's PDVs go from the receive buffer straight to their sink (a file for
C-STORE) without being held twice.

Every event the transport sees goes through :class:`dul.Machine`, and the
action the table names is the one performed.
"""
from __future__ import annotations

import select
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any, Callable

from dcmfast import _net
from dcmfast.errors import PDUError
from dcmfast.net import dul, pdu as P
from dcmfast.net.dimse import (C_CANCEL_RQ, C_ECHO_RQ, C_ECHO_RSP, C_STORE_RQ, C_STORE_RSP,
                               NO_DATA_SET, DATA_SET_PRESENT, Command, Status, encode_command)

__all__ = ["Timeouts", "AssociationError", "AssociationRejected", "AssociationAborted",
           "NetworkTimeout", "NoPresentationContext", "Association", "DEFAULT_MAX_PDU"]

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
DEFAULT_MAX_PDU = 262144


@dataclass
class Timeouts:
    """Seconds. connect: TCP connect; acse: waiting for A-ASSOCIATE-AC/RJ or
    A-RELEASE-RP; dimse: waiting for a DIMSE response; network: no bytes
    from the peer for this long inside a message, or (SCP) between messages;
    artim: the ARTIM timer (awaiting an A-ASSOCIATE-RQ, or the transport
    close after a reject, release or abort)."""
    connect: float = 10.0
    acse: float = 30.0
    dimse: float = 60.0
    network: float = 60.0
    artim: float = 5.0


class AssociationError(Exception):
    """Base of the association errors."""


class AssociationRejected(AssociationError):
    def __init__(self, rj: P.AssociateRJ):
        super().__init__(str(rj))
        self.rj = rj


class AssociationAborted(AssociationError):
    """The association ended abnormally: an A-ABORT from the peer, an A-P-ABORT
    (transport closed, invalid PDU), or a local abort after a timeout."""


class NetworkTimeout(AssociationAborted, TimeoutError):
    pass


class NoPresentationContext(AssociationError):
    pass


class _Closed(Exception):
    pass


class Transport:
    """A connected socket and its receive buffer. recv_pdu() returns a
    memoryview of one whole PDU, valid until the next recv_pdu()."""

    def __init__(self, sock: socket.socket, max_receive: int) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.max_receive = max_receive
        self.buf = bytearray(max(65536, min(max_receive + 6, 4 << 20)))
        self.start = 0
        self.end = 0
        self.closed = False

    def send(self, data: Any, timeout: float) -> None:
        self.sock.settimeout(timeout)
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise
        except OSError as exc:
            raise _Closed(str(exc)) from None

    def send_iov(self, parts: list, timeout: float) -> None:
        """Send buffers with sendmsg (scatter-gather, one call when the socket
        takes it all), continuing after a partial send. A TLS socket has no
        sendmsg: its buffers go out with sendall, in runs of ~1 MB."""
        sock = self.sock
        sock.settimeout(timeout)
        if isinstance(sock, ssl.SSLSocket):
            try:
                run: list = []
                size = 0
                for part in parts:
                    run.append(part)
                    size += len(part)
                    if size >= 1 << 20:
                        sock.sendall(b"".join(run))
                        run, size = [], 0
                if run:
                    sock.sendall(b"".join(run))
            except socket.timeout:
                raise
            except OSError as exc:
                raise _Closed(str(exc)) from None
            return
        i = 0
        try:
            while i < len(parts):
                batch = parts[i:i + 512]
                sent = sock.sendmsg(batch)
                total = 0
                for j, b in enumerate(batch):
                    blen = len(b)
                    if total + blen > sent:
                        # partial: keep the rest of this buffer and go on
                        parts[i + j] = b[sent - total:]
                        i += j
                        break
                    total += blen
                else:
                    i += len(batch)
        except socket.timeout:
            raise
        except OSError as exc:
            raise _Closed(str(exc)) from None

    def recv_pdu(self, timeout: float) -> memoryview:
        """One PDU; raises socket.timeout when nothing arrives for ``timeout``
        seconds, _Closed on EOF or reset, PDUError on a bad header."""
        buf = self.buf
        while True:
            have = self.end - self.start
            if have:
                mv = memoryview(buf)[self.start:self.end]
                n, need = _net.pdu_frame(mv, self.max_receive)
                mv.release()
                if n:
                    out = memoryview(buf)[self.start:self.start + n]
                    self.start += n
                    return out
            else:
                need = 6
                self.start = self.end = 0
            # room for `need` bytes from start
            if self.start + need > len(buf):
                if need > len(buf):
                    nb = bytearray(max(need, 2 * len(buf)))
                    nb[:have] = buf[self.start:self.end]
                    self.buf = buf = nb
                else:
                    buf[:have] = buf[self.start:self.end]
                self.start, self.end = 0, have
            self.sock.settimeout(timeout)
            # a large PDU is read up to its end only: no part of the next one is
            # left to move to the front of the buffer afterwards
            limit = self.start + need if need >= 65536 else len(buf)
            try:
                with memoryview(buf) as mvb:
                    got = self.sock.recv_into(mvb[self.end:limit])
            except socket.timeout:
                raise
            except OSError as exc:
                raise _Closed(str(exc)) from None
            if got == 0:
                raise _Closed("peer closed the connection")
            self.end += got

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass


class _BytesSink:
    def __init__(self) -> None:
        self.parts = bytearray()

    def write(self, mv: memoryview) -> None:
        self.parts += mv

    def finish(self) -> bytes:
        return bytes(self.parts)

    def abort(self) -> None:
        self.parts = bytearray()


class Association:
    """One association, as requestor (from :meth:`AE.associate`) or acceptor
    (inside :meth:`AE.serve`). Use as a context manager: a normal exit
    releases it, an exception aborts it."""

    def __init__(self, transport: Transport | None, requestor: bool, timeouts: Timeouts,
                 local_ae: str = "", peer_ae: str = "") -> None:
        self.transport = transport
        self.machine = dul.Machine(requestor)
        self.timeouts = timeouts
        self.local_ae = local_ae
        self.peer_ae = peer_ae
        self.requestor = requestor
        self.contexts: dict[int, tuple[str, str]] = {}   # accepted: id -> (abstract, ts)
        self.rejected: dict[int, tuple[str, int]] = {}
        #: storage SOP classes whose SCP role the requestor took (role selection):
        #: where an acceptor may send C-STOREs, for C-GET
        self.reverse_storage: set[str] = set()
        #: message IDs whose C-CANCEL-RQ arrived (an SCP stops their responses)
        self.cancelled: set[int] = set()
        self.peer_max_pdu = 0
        self.peer_user_info: P.UserInformation | None = None
        self._msg_id = 0

    # -- state machine plumbing -------------------------------------------------------
    def _ev(self, event: str, **kw: Any) -> str:
        return self.machine.event(event, **kw)

    @property
    def is_established(self) -> bool:
        return self.machine.state == "Sta6"

    def _send_pdu(self, data: bytes) -> None:
        self.transport.send(data, self.timeouts.network)

    def _provider_abort(self, reason: int, why: str, source: int = 2) -> AssociationAborted:
        """The table chose AA-8 / AA-7 (A-ABORT, service-provider source, with a
        reason) or AA-1 (service-user source): send it, then await the close."""
        try:
            self._send_pdu(P.Abort(source, reason if source == 2 else 0).encode())
        except (OSError, _Closed, socket.timeout):
            pass
        self._await_close()
        return AssociationAborted(why)

    def _await_close(self) -> None:
        """Sta13: wait (ARTIM) for the peer to close; then close."""
        t = self.transport
        if t is None or t.closed:
            if self.machine.state == "Sta13":
                self._ev("Evt17")
            return
        deadline = time.monotonic() + self.timeouts.artim
        try:
            t.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._ev("Evt18")   # AA-2: close
                break
            try:
                pdu = t.recv_pdu(left)
            except socket.timeout:
                self._ev("Evt18")   # AA-2
                break
            except (_Closed, PDUError):
                if self.machine.state == "Sta13":
                    self._ev("Evt17")   # AR-5: stop ARTIM
                break
            action = self._ev(dul.PDU_EVENTS.get(pdu[0], "Evt19"))
            if action == "AA-7":     # an A-ASSOCIATE-RQ or invalid PDU in Sta13
                try:
                    t.send(P.Abort(2, 2).encode(), 1.0)
                except (OSError, _Closed, socket.timeout):
                    pass
            elif action == "AA-2":   # an A-ABORT: close
                break
        t.close()

    def _recv(self, timeout: float) -> memoryview:
        """The next PDU; transport problems become the table's events."""
        t = self.transport
        try:
            return t.recv_pdu(timeout)
        except socket.timeout:
            if self.machine.state == "Sta2":    # ARTIM expired awaiting the RQ: AA-2
                self._ev("Evt18")
                t.close()
                raise NetworkTimeout(f"no A-ASSOCIATE-RQ within {timeout:g} s (ARTIM)") from None
            # otherwise a local A-ABORT request (Evt15): AA-1 sends the A-ABORT PDU
            try:
                action = self._ev("Evt15")
            except dul.InvalidEvent:
                action = ""
            if action == "AA-1":
                try:
                    self._send_pdu(P.Abort(0, 0).encode())
                except (OSError, _Closed, socket.timeout):
                    pass
                self._ev("Evt17")   # we close: AR-5 in Sta13
            t.close()
            raise NetworkTimeout(f"no data from the peer for {timeout:g} s; association aborted") from None
        except _Closed as exc:
            action = self._ev("Evt17")   # AA-4 / AA-5 / AR-5
            t.close()
            raise AssociationAborted(f"A-P-ABORT: transport connection closed ({exc})") from None
        except PDUError as exc:
            action = self._ev("Evt19")
            if action in ("AA-8", "AA-1", "AA-7"):
                raise self._provider_abort(1 if exc.code == "DCF_E_PDU_TYPE" else 6,
                                           f"A-P-ABORT: invalid PDU from the peer ({exc})",
                                           source=0 if action == "AA-1" else 2) from None
            t.close()
            raise AssociationAborted(f"invalid PDU ({exc})") from None

    def _unexpected(self, pdu: memoryview) -> AssociationAborted:
        """A PDU the table answers with an abort in this state (or an A-ABORT)."""
        state = self.machine.state
        action = self._ev(dul.PDU_EVENTS.get(pdu[0], "Evt19"))
        if action == "AA-3":
            self.transport.close()
            return AssociationAborted(str(P.decode(pdu)))
        if action in ("AA-8", "AA-7"):
            return self._provider_abort(2, f"A-P-ABORT: unexpected PDU type {pdu[0]} in {state}")
        if action == "AA-1":
            return self._provider_abort(0, f"unexpected PDU type {pdu[0]} in {state}: aborted",
                                        source=0)
        self.transport.close()
        return AssociationAborted(f"association ended ({action} on PDU type {pdu[0]} in {state})")

    # -- P-DATA ----------------------------------------------------------------------------
    def send_message(self, context_id: int, command: bytes, data: Any = None) -> None:
        """A DIMSE message in one buffer and one send (Evt9: DT-1 / AR-7)."""
        self._ev("Evt9")
        try:
            if data is None or len(data) < 65536:
                self.transport.send(_net.encode_message(context_id, command, data,
                                                        self.peer_max_pdu), self.timeouts.network)
            else:
                self.transport.send_iov(_net.frame_message_iov(context_id, command, data,
                                                               self.peer_max_pdu),
                                        self.timeouts.network)
        except socket.timeout:
            self.abort()
            raise NetworkTimeout("sending timed out; association aborted") from None
        except _Closed as exc:
            self._ev("Evt17")
            self.transport.close()
            raise AssociationAborted(f"A-P-ABORT: transport connection closed ({exc})") from None

    def receive_message(self, first_timeout: float,
                        on_command: Callable[[int, Any], Any] | None = None):
        """The next DIMSE message: ``(context_id, command Dataset, data)``; data
        is None, or what the sink's finish() returned (bytes by default;
        ``on_command(context_id, command)`` may return another sink with
        write/finish/abort). Returns None when the peer released (the
        A-RELEASE-RP has been sent)."""
        cmd_buf = bytearray()
        cmd = None
        sink = None
        ctx = 0
        timeout = first_timeout
        try:
            while True:
                pdu = self._recv(timeout)
                timeout = self.timeouts.network
                t = pdu[0]
                if t == 4:
                    action = self._ev("Evt10")
                    if action not in ("DT-2", "AR-6"):
                        raise self._unexpected_after(action)
                    try:
                        pdvs = _net.pdata_pdvs(pdu)
                    except PDUError as exc:
                        raise self._provider_abort(6, f"A-P-ABORT: invalid P-DATA-TF ({exc})") from None
                    for c, ctl, v, n in pdvs:
                        if c not in self.contexts:
                            raise self._provider_abort(
                                6, f"A-P-ABORT: PDV on presentation context {c}, not accepted")
                        if ctl & 1:
                            if cmd is not None:
                                raise self._provider_abort(5, "A-P-ABORT: command fragment after "
                                                              "the command was complete")
                            cmd_buf += pdu[v:v + n]
                            if len(cmd_buf) > (1 << 20):
                                raise self._provider_abort(6, "A-P-ABORT: command set over 1 MB")
                            if ctl & 2:
                                ctx = c
                                try:
                                    cmd = Command(bytes(cmd_buf))
                                except Exception as exc:
                                    raise self._provider_abort(
                                        6, f"A-P-ABORT: undecodable command set ({exc})") from None
                                dtype = cmd.get(0x00000800)
                                if dtype is None or dtype == NO_DATA_SET:
                                    return ctx, cmd, None
                                sink = on_command(ctx, cmd) if on_command else None
                                if sink is None:
                                    sink = _BytesSink()
                        else:
                            if cmd is None or c != ctx:
                                raise self._provider_abort(
                                    5, "A-P-ABORT: data set fragment before its command")
                            sink.write(pdu[v:v + n])
                            if ctl & 2:
                                s, sink = sink, None
                                return ctx, cmd, s.finish()
                elif t == 5 and self.machine.state == "Sta6":
                    self._ev("Evt12")            # AR-2: A-RELEASE indication
                    if cmd is not None or cmd_buf:
                        raise self._provider_abort(2, "A-RELEASE-RQ in the middle of a message")
                    self._ev("Evt14")            # AR-4: send A-RELEASE-RP, start ARTIM
                    try:
                        self._send_pdu(P.ReleaseRP().encode())
                    except (OSError, _Closed, socket.timeout):
                        pass
                    self._await_close()
                    return None
                else:
                    raise self._unexpected(pdu)
        except BaseException:
            if sink is not None:
                sink.abort()
            raise

    def _unexpected_after(self, action: str) -> AssociationAborted:
        if action in ("AA-8", "AA-1", "AA-7"):
            return self._provider_abort(2, "A-P-ABORT: unexpected P-DATA-TF")
        self.transport.close()
        return AssociationAborted(f"association ended ({action})")

    def _next_id(self) -> int:
        self._msg_id = self._msg_id % 0xFFFF + 1
        return self._msg_id

    # -- release and abort --------------------------------------------------------------
    def release(self) -> None:
        """A-RELEASE (release collisions handled per PS3.8 9.2)."""
        if self.machine.state != "Sta6":
            if self.transport is not None:
                self.transport.close()
            return
        self._ev("Evt11")                       # AR-1
        try:
            self._send_pdu(P.ReleaseRQ().encode())
        except (OSError, _Closed, socket.timeout):
            self._ev("Evt17")
            self.transport.close()
            return
        while True:
            pdu = self._recv(self.timeouts.acse)
            t = pdu[0]
            if t == 6:
                action = self._ev("Evt13")      # AR-3 (Sta7, Sta11) or AR-10 (Sta10)
                if action == "AR-3":
                    self.transport.close()
                    return
                if action == "AR-10":
                    self._ev("Evt14")           # AR-4
                    self._send_pdu(P.ReleaseRP().encode())
                    self._await_close()
                    return
                raise self._unexpected_after(action)
            if t == 5:
                action = self._ev("Evt12")      # AR-8: collision
                if self.machine.state == "Sta9":
                    self._ev("Evt14")           # AR-9
                    self._send_pdu(P.ReleaseRP().encode())
                continue
            if t == 4:
                action = self._ev("Evt10")      # AR-6: data still arriving, dropped
                if action == "AR-6":
                    continue
                raise self._unexpected_after(action)
            raise self._unexpected(pdu)

    def abort(self) -> None:
        """A-ABORT (service-user source)."""
        if self.transport is None or self.transport.closed:
            return
        try:
            action = self._ev("Evt15")
        except dul.InvalidEvent:
            self.transport.close()
            return
        if action == "AA-1":
            try:
                self._send_pdu(P.Abort(0, 0).encode())
            except (OSError, _Closed, socket.timeout):
                pass
            self._await_close()
        else:
            self.transport.close()

    def __enter__(self) -> "Association":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.release()
        else:
            self.abort()

    # -- DIMSE services as SCU ---------------------------------------------------------------
    def _context_for(self, abstract: str, syntaxes: list[str] | None = None) -> tuple[int, str] | None:
        for cid, (a, ts) in self.contexts.items():
            if a == abstract and (syntaxes is None or ts in syntaxes):
                return cid, ts
        return None

    def _await_response(self, msg_id: int, expected: int) -> Any:
        while True:
            got = self.receive_message(self.timeouts.dimse)
            if got is None:
                raise AssociationAborted("the peer released the association while a response was due")
            _, cmd, _ = got
            field = cmd.field
            if field == expected and cmd.get(0x0120) == msg_id:
                return cmd
            if field == C_CANCEL_RQ:    # for an operation we serve: noted, see poll_cancel
                self.cancelled.add(cmd.get(0x0120, -1))
                continue
            # anything else is a protocol error for this simple SCU
            self.abort()
            raise AssociationAborted(f"unexpected DIMSE message 0x{field:04X} while waiting for "
                                     f"0x{expected:04X}")

    def echo(self) -> Status:
        """C-ECHO; returns the status (raises if Verification was not accepted)."""
        found = self._context_for(VERIFICATION)
        if found is None:
            raise NoPresentationContext("the peer did not accept the Verification SOP Class")
        msg_id = self._next_id()
        self.send_message(found[0], encode_command(
            AffectedSOPClassUID=VERIFICATION, CommandField=C_ECHO_RQ, MessageID=msg_id,
            CommandDataSetType=NO_DATA_SET))
        rsp = self._await_response(msg_id, C_ECHO_RSP)
        return Status(rsp.get(0x0900, 0xC000))

    def poll_cancel(self, msg_id: int) -> bool:
        """Whether the peer sent a C-CANCEL-RQ for ``msg_id`` (PS3.7 9.3.2.3),
        without waiting: reads a message only when bytes are already there.
        Any other message here is a protocol error (no asynchronous
        operations are negotiated): the association is aborted."""
        if msg_id in self.cancelled:
            return True
        t = self.transport
        if t is None or t.closed:
            return False
        sock = t.sock
        ready = t.end > t.start or (isinstance(sock, ssl.SSLSocket) and sock.pending() > 0)
        if not ready:
            ready = bool(select.select([sock], [], [], 0)[0])
        if not ready:
            return False
        got = self.receive_message(self.timeouts.network)
        if got is None:
            raise AssociationAborted("the peer released the association during an operation")
        _, cmd, _ = got
        if cmd.field != C_CANCEL_RQ:
            self.abort()
            raise AssociationAborted(f"unexpected DIMSE message 0x{cmd.field:04X} while "
                                     "responding to a request")
        self.cancelled.add(cmd.get(0x0120, -1))
        return msg_id in self.cancelled

    def find(self, query: Any, model: str = "study") -> Any:
        """C-FIND: an iterator of the matching identifiers (Datasets); ``model``
        is "patient", "study" or "worklist" (see :mod:`dcmfast.net.qr`).
        Stopping early sends a C-CANCEL."""
        from dcmfast.net import qr

        return qr.find(self, query, model)

    def move(self, query: Any, destination: str, model: str = "study") -> Any:
        """C-MOVE to the AE ``destination``; a :class:`dcmfast.net.qr.MoveResult`
        (raises :class:`dcmfast.net.qr.MoveFailed` saying why it failed)."""
        from dcmfast.net import qr

        return qr.move(self, query, destination, model)

    def get(self, query: Any, model: str = "study") -> Any:
        """C-GET: an iterator of the instances the peer sends back (Datasets);
        see :func:`dcmfast.net.qr.get`."""
        from dcmfast.net import qr

        return qr.get(self, query, model)

    def store(self, ds_or_path: Any, priority: int = 0) -> Status:
        """C-STORE of a file (path) or Dataset; returns the status."""
        from dcmfast.net.storage import prepare_store

        cid, sop_class, sop_instance, data = prepare_store(self, ds_or_path)
        msg_id = self._next_id()
        self.send_message(cid, encode_command(
            AffectedSOPClassUID=sop_class, CommandField=C_STORE_RQ, MessageID=msg_id,
            Priority=priority, CommandDataSetType=DATA_SET_PRESENT,
            AffectedSOPInstanceUID=sop_instance), data)
        rsp = self._await_response(msg_id, C_STORE_RSP)
        return Status(rsp.get(0x0900, 0xC000))
