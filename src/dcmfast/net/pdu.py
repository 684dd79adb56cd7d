"""The seven PDUs of PS3.8 9.3 as Python values, built and read around the C
codec in csrc/pdu.c.

Reading: :func:`decode` takes one whole PDU (as framed by
``_net.pdu_frame``); the C code checks every length and walks the items of an
A-ASSOCIATE-RQ/AC into records, this module only turns values into strings
and ints. Writing: :meth:`encode` of each class. The association PDUs are
rare and small, so they are built here; P-DATA-TF, the hot path, is framed
and fragmented in C (``_net.encode_message`` / ``_net.pdata_pdvs``).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from dcmfast import _net
from dcmfast.errors import PDUError

__all__ = [
    "APPLICATION_CONTEXT", "AssociateRQ", "AssociateAC", "AssociateRJ", "PData", "ReleaseRQ",
    "ReleaseRP", "Abort", "PresentationContextRQ", "PresentationContextAC", "UserInformation",
    "RoleSelection", "SOPClassExtended", "SOPClassCommonExtended", "UserIdentityRQ",
    "UserIdentityAC", "decode",
]

APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"

_H = struct.Struct(">BBL")
_ITEM = struct.Struct(">BBH")


def _ae(title: bytes) -> str:
    return title.decode("ascii", "replace").strip(" \x00")


def _ae_bytes(title: str) -> bytes:
    raw = title.encode("ascii")
    if not 0 < len(raw.strip()) <= 16:
        raise ValueError(f"AE title must be 1..16 ASCII characters, not {title!r}")
    return raw.ljust(16, b" ")


def _uid(raw: bytes) -> str:
    # trailing NUL padding is tolerated on reading (some peers send it)
    return raw.decode("ascii", "replace").rstrip("\x00 ")


def _item(type_: int, value: bytes) -> bytes:
    if len(value) > 0xFFFF:
        raise ValueError(f"item 0x{type_:02X} value of {len(value)} bytes does not fit 16 bits")
    return _ITEM.pack(type_, 0, len(value)) + value


def _lv(raw: bytes) -> bytes:
    return struct.pack(">H", len(raw)) + raw


def _pdu(type_: int, body: bytes) -> bytes:
    return _H.pack(type_, 0, len(body)) + body


# -- user information sub-items (PS3.7 Annex D.3.3) ---------------------------

@dataclass
class RoleSelection:
    sop_class_uid: str
    scu_role: bool
    scp_role: bool

    def encode(self) -> bytes:
        return _item(0x54, _lv(self.sop_class_uid.encode()) + bytes([self.scu_role, self.scp_role]))


@dataclass
class SOPClassExtended:
    sop_class_uid: str
    app_info: bytes

    def encode(self) -> bytes:
        return _item(0x56, _lv(self.sop_class_uid.encode()) + self.app_info)


@dataclass
class SOPClassCommonExtended:
    sop_class_uid: str
    service_class_uid: str
    related_general_sop_class_uids: list[str] = field(default_factory=list)

    def encode(self) -> bytes:
        rel = b"".join(_lv(u.encode()) for u in self.related_general_sop_class_uids)
        return _item(0x57, _lv(self.sop_class_uid.encode()) + _lv(self.service_class_uid.encode())
                     + _lv(rel))


@dataclass
class UserIdentityRQ:
    identity_type: int  # 1 username, 2 username+passcode, 3 Kerberos, 4 SAML, 5 JWT
    positive_response_requested: bool
    primary: bytes
    secondary: bytes = b""

    def encode(self) -> bytes:
        return _item(0x58, bytes([self.identity_type, self.positive_response_requested])
                     + _lv(self.primary) + _lv(self.secondary))


@dataclass
class UserIdentityAC:
    server_response: bytes

    def encode(self) -> bytes:
        return _item(0x59, _lv(self.server_response))


@dataclass
class UserInformation:
    max_length: int | None = 0
    implementation_class_uid: str | None = None
    implementation_version_name: str | None = None
    async_ops: tuple[int, int] | None = None   # (invoked, performed)
    roles: list[RoleSelection] = field(default_factory=list)
    extended: list[SOPClassExtended] = field(default_factory=list)
    common_extended: list[SOPClassCommonExtended] = field(default_factory=list)
    user_identity_rq: UserIdentityRQ | None = None
    user_identity_ac: UserIdentityAC | None = None
    unknown: list[tuple[int, bytes]] = field(default_factory=list)

    def encode(self) -> bytes:
        parts = []
        if self.max_length is not None:
            parts.append(_item(0x51, struct.pack(">L", self.max_length)))
        if self.implementation_class_uid:
            parts.append(_item(0x52, self.implementation_class_uid.encode()))
        if self.async_ops is not None:
            parts.append(_item(0x53, struct.pack(">HH", *self.async_ops)))
        parts.extend(r.encode() for r in self.roles)
        if self.implementation_version_name:
            parts.append(_item(0x55, self.implementation_version_name.encode()))
        parts.extend(e.encode() for e in self.extended)
        parts.extend(e.encode() for e in self.common_extended)
        if self.user_identity_rq is not None:
            parts.append(self.user_identity_rq.encode())
        if self.user_identity_ac is not None:
            parts.append(self.user_identity_ac.encode())
        return _item(0x50, b"".join(parts))


# -- presentation contexts -------------------------------------------------------

@dataclass
class PresentationContextRQ:
    context_id: int
    abstract_syntax: str
    transfer_syntaxes: list[str]

    def encode(self) -> bytes:
        body = bytes([self.context_id, 0, 0, 0]) + _item(0x30, self.abstract_syntax.encode())
        body += b"".join(_item(0x40, ts.encode()) for ts in self.transfer_syntaxes)
        return _item(0x20, body)


#: A-ASSOCIATE-AC presentation context results (PS3.8 9.3.3.2)
ACCEPTANCE = 0
USER_REJECTION = 1
NO_REASON = 2
ABSTRACT_SYNTAX_NOT_SUPPORTED = 3
TRANSFER_SYNTAXES_NOT_SUPPORTED = 4

RESULT_TEXT = {
    0: "acceptance", 1: "user-rejection", 2: "no-reason (provider rejection)",
    3: "abstract-syntax-not-supported (provider rejection)",
    4: "transfer-syntaxes-not-supported (provider rejection)",
}


@dataclass
class PresentationContextAC:
    context_id: int
    result: int
    transfer_syntax: str | None

    def encode(self) -> bytes:
        body = bytes([self.context_id, 0, self.result, 0])
        # PS3.8 9.3.3.2: the transfer syntax sub-item is always there; its value is
        # not significant unless accepted
        body += _item(0x40, (self.transfer_syntax or "").encode())
        return _item(0x21, body)


# -- the PDUs ----------------------------------------------------------------------

@dataclass
class _Associate:
    called_ae: str
    calling_ae: str
    contexts: list
    user_info: UserInformation = field(default_factory=UserInformation)
    application_context: str = APPLICATION_CONTEXT
    protocol_version: int = 1
    unknown_items: list[tuple[int, bytes]] = field(default_factory=list)

    TYPE = 0

    def encode(self) -> bytes:
        body = struct.pack(">HH", self.protocol_version, 0) + _ae_bytes(self.called_ae)
        body += _ae_bytes(self.calling_ae) + bytes(32)
        body += _item(0x10, self.application_context.encode())
        body += b"".join(c.encode() for c in self.contexts)
        body += self.user_info.encode()
        return _pdu(self.TYPE, body)


@dataclass
class AssociateRQ(_Associate):
    TYPE = 1


@dataclass
class AssociateAC(_Associate):
    TYPE = 2


#: A-ASSOCIATE-RJ result, source and reason (PS3.8 9.3.4)
RJ_PERMANENT = 1
RJ_TRANSIENT = 2
RJ_SOURCE_USER = 1
RJ_SOURCE_ACSE = 2
RJ_SOURCE_PRESENTATION = 3
RJ_REASONS = {
    (1, 1): "no-reason-given", (1, 2): "application-context-name-not-supported",
    (1, 3): "calling-AE-title-not-recognized", (1, 7): "called-AE-title-not-recognized",
    (2, 1): "no-reason-given", (2, 2): "protocol-version-not-supported",
    (3, 1): "temporary-congestion", (3, 2): "local-limit-exceeded",
}


@dataclass
class AssociateRJ:
    result: int
    source: int
    reason: int

    def encode(self) -> bytes:
        return _pdu(3, bytes([0, self.result, self.source, self.reason]))

    def __str__(self) -> str:
        kind = "permanent" if self.result == 1 else "transient"
        src = {1: "service-user", 2: "service-provider (ACSE)", 3: "service-provider (presentation)"}
        why = RJ_REASONS.get((self.source, self.reason), f"reason {self.reason}")
        return f"association rejected ({kind}) by the {src.get(self.source, self.source)}: {why}"


@dataclass
class PData:
    pdvs: list  # (context_id, control, memoryview)

    def encode(self) -> bytes:
        body = b"".join(struct.pack(">LBB", len(v) + 2, c, ctl) + bytes(v) for c, ctl, v in self.pdvs)
        return _pdu(4, body)


@dataclass
class ReleaseRQ:
    def encode(self) -> bytes:
        return _pdu(5, bytes(4))


@dataclass
class ReleaseRP:
    def encode(self) -> bytes:
        return _pdu(6, bytes(4))


ABORT_SOURCES = {0: "service-user", 1: "reserved", 2: "service-provider"}
ABORT_REASONS = {0: "reason-not-specified", 1: "unrecognized-PDU", 2: "unexpected-PDU",
                 3: "reserved", 4: "unrecognized-PDU-parameter", 5: "unexpected-PDU-parameter",
                 6: "invalid-PDU-parameter-value"}


@dataclass
class Abort:
    source: int = 0
    reason: int = 0

    def encode(self) -> bytes:
        return _pdu(7, bytes([0, 0, self.source, self.reason]))

    def __str__(self) -> str:
        src = ABORT_SOURCES.get(self.source, str(self.source))
        why = ABORT_REASONS.get(self.reason, str(self.reason)) if self.source == 2 else ""
        return f"A-ABORT from the {src}" + (f": {why}" if why else "")


# -- reading -----------------------------------------------------------------------

def _decode_user(pdu: bytes, recs: list, me: int) -> UserInformation:
    ui = UserInformation(max_length=None)
    for type_, flags, parent, v, n in recs:
        if parent != me:
            continue
        raw = pdu[v:v + n]
        if flags & _net.ITEM_UNKNOWN:
            ui.unknown.append((type_, bytes(raw)))
        elif type_ == 0x51:
            ui.max_length = struct.unpack(">L", raw)[0]
        elif type_ == 0x52:
            ui.implementation_class_uid = _uid(raw)
        elif type_ == 0x53:
            ui.async_ops = struct.unpack(">HH", raw)
        elif type_ == 0x54:
            ul = struct.unpack(">H", raw[:2])[0]
            ui.roles.append(RoleSelection(_uid(raw[2:2 + ul]), bool(raw[2 + ul]), bool(raw[3 + ul])))
        elif type_ == 0x55:
            ui.implementation_version_name = raw.decode("ascii", "replace").rstrip("\x00 ")
        elif type_ == 0x56:
            ul = struct.unpack(">H", raw[:2])[0]
            ui.extended.append(SOPClassExtended(_uid(raw[2:2 + ul]), bytes(raw[2 + ul:])))
        elif type_ == 0x57:
            p = 0
            vals = []
            for _ in range(2):
                ln = struct.unpack(">H", raw[p:p + 2])[0]
                vals.append(_uid(raw[p + 2:p + 2 + ln]))
                p += 2 + ln
            rel = []
            if p < len(raw):
                rl = struct.unpack(">H", raw[p:p + 2])[0]
                p += 2
                end = p + rl
                while p < end:
                    ln = struct.unpack(">H", raw[p:p + 2])[0]
                    rel.append(_uid(raw[p + 2:p + 2 + ln]))
                    p += 2 + ln
            ui.common_extended.append(SOPClassCommonExtended(vals[0], vals[1], rel))
        elif type_ == 0x58:
            pl = struct.unpack(">H", raw[2:4])[0]
            prim = bytes(raw[4:4 + pl])
            sl = struct.unpack(">H", raw[4 + pl:6 + pl])[0]
            ui.user_identity_rq = UserIdentityRQ(raw[0], bool(raw[1]), prim, bytes(raw[6 + pl:6 + pl + sl]))
        elif type_ == 0x59:
            sl = struct.unpack(">H", raw[:2])[0]
            ui.user_identity_ac = UserIdentityAC(bytes(raw[2:2 + sl]))
    return ui


def _decode_associate(pdu: bytes) -> _Associate:
    recs = _net.pdu_items(pdu)
    cls = AssociateRQ if pdu[0] == 1 else AssociateAC
    version = struct.unpack(">H", pdu[6:8])[0]
    out = cls(called_ae=_ae(pdu[10:26]), calling_ae=_ae(pdu[26:42]), contexts=[],
              protocol_version=version, application_context="")
    n_app = n_user = 0
    for i, (type_, flags, parent, v, n) in enumerate(recs):
        if parent != -1:
            continue
        raw = pdu[v:v + n]
        if flags & _net.ITEM_UNKNOWN:
            out.unknown_items.append((type_, bytes(raw)))
        elif type_ == 0x10:
            out.application_context = _uid(raw)
            n_app += 1
        elif type_ in (0x20, 0x21):
            subs = [(t, pdu[sv:sv + sn]) for t, f, p, sv, sn in recs if p == i and not f & _net.ITEM_UNKNOWN]
            if type_ == 0x20:
                abstract = [_uid(r) for t, r in subs if t == 0x30]
                if len(abstract) != 1:
                    raise PDUError(f"presentation context {raw[0]} has {len(abstract)} abstract "
                                   f"syntax sub-items", offset=v - 4, code="DCF_E_PDU_ITEM")
                out.contexts.append(PresentationContextRQ(raw[0], abstract[0],
                                                          [_uid(r) for t, r in subs if t == 0x40]))
            else:
                ts = [_uid(r) for t, r in subs if t == 0x40]
                out.contexts.append(PresentationContextAC(raw[0], raw[2], ts[0] if ts else None))
        elif type_ == 0x50:
            out.user_info = _decode_user(pdu, recs, i)
            n_user += 1
    if n_app != 1:
        raise PDUError(f"{n_app} application context items (one expected)", offset=74,
                       code="DCF_E_PDU_ITEM")
    if n_user > 1:
        raise PDUError("more than one user information item", offset=74, code="DCF_E_PDU_ITEM")
    return out


def decode(pdu) -> object:
    """One whole PDU (header included, as framed by ``_net.pdu_frame``) as a
    PDU object. P-DATA-TF PDVs are memoryviews into ``pdu``. Raises PDUError."""
    t = pdu[0]
    if t in (1, 2):
        return _decode_associate(bytes(pdu))
    if t == 4:
        mv = memoryview(pdu)
        return PData([(c, ctl, mv[v:v + n]) for c, ctl, v, n in _net.pdata_pdvs(pdu)])
    if len(pdu) != 10:
        raise PDUError(f"PDU type {t} of {len(pdu)} bytes", offset=2, code="DCF_E_PDU_LENGTH")
    if t == 3:
        return AssociateRJ(pdu[7], pdu[8], pdu[9])
    if t == 5:
        return ReleaseRQ()
    if t == 6:
        return ReleaseRP()
    if t == 7:
        return Abort(pdu[8], pdu[9])
    raise PDUError(f"unknown PDU type 0x{t:02X}", offset=0, code="DCF_E_PDU_TYPE")
