"""DIMSE command sets (PS3.7 section 9.3 and Annex E): encoded and decoded in
Implicit VR Little Endian through dcmfast's Dataset, tokenizer and writer;
the status codes of PS3.7 Annex C with their meanings.
"""
from __future__ import annotations

import struct
from functools import lru_cache
from typing import Any

from dcmfast import _parse
from dcmfast.dataset import Dataset
from dcmfast.filewriter import encode_dataset

__all__ = ["Status", "C_STORE_RQ", "C_STORE_RSP", "C_ECHO_RQ", "C_ECHO_RSP", "NO_DATA_SET",
           "encode_command", "decode_command", "STATUS_MEANINGS"]

C_STORE_RQ, C_STORE_RSP = 0x0001, 0x8001
C_GET_RQ, C_GET_RSP = 0x0010, 0x8010
C_FIND_RQ, C_FIND_RSP = 0x0020, 0x8020
C_MOVE_RQ, C_MOVE_RSP = 0x0021, 0x8021
C_ECHO_RQ, C_ECHO_RSP = 0x0030, 0x8030
C_CANCEL_RQ = 0x0FFF
COMMAND_NAMES = {C_STORE_RQ: "C-STORE-RQ", C_STORE_RSP: "C-STORE-RSP", C_GET_RQ: "C-GET-RQ",
                 C_GET_RSP: "C-GET-RSP", C_FIND_RQ: "C-FIND-RQ", C_FIND_RSP: "C-FIND-RSP",
                 C_MOVE_RQ: "C-MOVE-RQ", C_MOVE_RSP: "C-MOVE-RSP", C_ECHO_RQ: "C-ECHO-RQ",
                 C_ECHO_RSP: "C-ECHO-RSP", C_CANCEL_RQ: "C-CANCEL-RQ"}

#: Command Data Set Type (0000,0800): 0x0101 means no data set follows
NO_DATA_SET = 0x0101
DATA_SET_PRESENT = 0x0000

# (tag, VR) of the command elements used here (PS3.7 E.1-1)
_VR = {
    0x00000002: "UI", 0x00000003: "UI", 0x00000100: "US", 0x00000110: "US", 0x00000120: "US",
    0x00000600: "AE", 0x00000700: "US", 0x00000800: "US", 0x00000900: "US", 0x00000901: "AT",
    0x00000902: "LO", 0x00000903: "US", 0x00001000: "UI", 0x00001001: "UI", 0x00001002: "US",
    0x00001005: "AT", 0x00001008: "US", 0x00001020: "US", 0x00001021: "US", 0x00001022: "US",
    0x00001023: "US", 0x00001030: "AE", 0x00001031: "US",
}
KEYWORDS = {
    "AffectedSOPClassUID": 0x00000002, "RequestedSOPClassUID": 0x00000003,
    "CommandField": 0x00000100, "MessageID": 0x00000110,
    "MessageIDBeingRespondedTo": 0x00000120, "MoveDestination": 0x00000600,
    "Priority": 0x00000700, "CommandDataSetType": 0x00000800, "Status": 0x00000900,
    "OffendingElement": 0x00000901, "ErrorComment": 0x00000902, "ErrorID": 0x00000903,
    "AffectedSOPInstanceUID": 0x00001000, "RequestedSOPInstanceUID": 0x00001001,
    "NumberOfRemainingSuboperations": 0x00001020, "NumberOfCompletedSuboperations": 0x00001021,
    "NumberOfFailedSuboperations": 0x00001022, "NumberOfWarningSuboperations": 0x00001023,
    "MoveOriginatorApplicationEntityTitle": 0x00001030, "MoveOriginatorMessageID": 0x00001031,
}


def _encode(items: tuple) -> bytes:
    ds = Dataset()
    for key, value in items:
        tag = KEYWORDS[key]
        ds.add_new(tag, _VR[tag], value)
    body = encode_dataset(ds, implicit_vr=True, little_endian=True)
    return struct.pack("<HHLL", 0, 0, 4, len(body)) + body


_ID_TAGS = (0x00000110, 0x00000120)


@lru_cache(maxsize=512)
def _template(items: tuple) -> tuple[bytes, tuple[int, ...]]:
    """The encoded command for ``items`` (message ids as 0) and the byte
    offsets of the message id values."""
    raw = _encode(items)
    return raw, _id_offsets(raw)


def _id_offsets(raw: bytes) -> tuple[int, ...]:
    """Byte offsets of the message id values, found by walking the elements."""
    offsets = []
    pos = 0
    while pos + 8 <= len(raw):
        g, e, n = struct.unpack_from("<HHL", raw, pos)
        if (g << 16 | e) in _ID_TAGS:
            offsets.append(pos + 8)
        pos += 8 + n
    return tuple(offsets)


def encode_command(**fields: Any) -> bytes:
    """A command set (keywords of PS3.7 E.1-1 as arguments) in Implicit VR
    Little Endian, with its Command Group Length (0000,0000) first.

    Encoded by dcmfast's writer from a Dataset; repeated commands that differ
    only in their message id (C-ECHO, responses) reuse the encoding with the
    id patched in."""
    ids = []
    items = []
    for key in sorted(fields, key=KEYWORDS.__getitem__):
        value = fields[key]
        if value is None:
            continue
        if key in ("MessageID", "MessageIDBeingRespondedTo"):
            ids.append(int(value))
            value = 0
        items.append((key, value))
    inst = fields.get("AffectedSOPInstanceUID")
    if inst is not None and items[-1][0] == "AffectedSOPInstanceUID":
        # unique per instance, and the last element (0000,1000): the cached
        # encoding of the rest, the UID appended, the group length adjusted
        head, offsets = _template(tuple(items[:-1]))
        value = str(inst).encode("ascii")
        if len(value) % 2:
            value += b"\x00"
        raw = bytearray(head)
        raw += struct.pack("<HHL", 0, 0x1000, len(value))
        raw += value
        struct.pack_into("<L", raw, 8, len(raw) - 12)
        raw = bytes(raw)
    elif inst is not None:
        raw = _encode(tuple(items))      # unique per instance: not worth caching
        offsets = _id_offsets(raw) if ids else ()
    else:
        raw, offsets = _template(tuple(items))
    if not ids:
        return raw
    out = bytearray(raw)
    for off, v in zip(offsets, ids):
        struct.pack_into("<H", out, off, v)
    return bytes(out)


def decode_command(raw: Any) -> Dataset:
    """A received command set as a Dataset (Implicit VR Little Endian). Raises
    dcmfast.InvalidDicomError when it is malformed."""
    table = _parse.tokenize(bytes(raw), little_endian=True, implicit=True, stop=0,
                            sq_tags=None, known_tags=None)
    return Dataset._from_tokens(table)


_US = frozenset(t for t, vr in _VR.items() if vr == "US")
_TEXT = frozenset(t for t, vr in _VR.items() if vr in ("UI", "AE", "LO"))


class Command(dict):
    """A received command set: tag -> value (int for US/UL/AT, str for UI/AE/LO,
    bytes for anything else), read without validation (a peer's odd UID must
    not stop the service); ``.dataset`` is the same command as a dcmfast
    Dataset, decoded on first use."""

    __slots__ = ("raw", "_ds")

    def __init__(self, raw: bytes) -> None:
        super().__init__()
        self.raw = raw
        self._ds = None
        n = len(raw)
        pos = 0
        while pos < n:
            if n - pos < 8:
                raise ValueError(f"command set ends inside an element header at byte {pos}")
            g, e, ln = struct.unpack_from("<HHL", raw, pos)
            pos += 8
            if g != 0 or ln > n - pos:
                raise ValueError(f"command element ({g:04X},{e:04X}) of length {ln} at byte "
                                 f"{pos - 8} is not a group 0000 element within the command")
            tag = e
            v = raw[pos:pos + ln]
            pos += ln
            if tag in _US:
                if ln != 2:
                    raise ValueError(f"(0000,{e:04X}) US of length {ln}")
                self[tag] = v[0] | v[1] << 8
            elif tag == 0 or tag == 0x0901 or tag == 0x1005:
                self[tag] = int.from_bytes(v[:4], "little") if ln >= 4 else 0
            elif tag in _TEXT:
                self[tag] = bytes(v).decode("ascii", "replace").rstrip("\x00 ").lstrip(" ")
            else:
                self[tag] = bytes(v)

    @property
    def dataset(self) -> Dataset:
        if self._ds is None:
            self._ds = decode_command(self.raw)
        return self._ds

    @property
    def field(self) -> int:
        return self.get(0x0100, -1)


# -- status (PS3.7 Annex C; service specific codes of PS3.4) -----------------------

STATUS_MEANINGS = {
    0x0000: "Success",
    0x0001: "Warning: requested optional attributes are not supported",
    0x0107: "Warning: attribute list error",
    0x0116: "Warning: attribute value out of range",
    0xB000: "Warning: coercion of data elements / sub-operations complete, one or more failures",
    0xB006: "Warning: elements discarded",
    0xB007: "Warning: data set does not match SOP class",
    0xFE00: "Cancel: sub-operations terminated due to cancel indication",
    0xFF00: "Pending: matches are continuing",
    0xFF01: "Pending: matches are continuing, optional keys not supported",
    0x0105: "Failure: no such attribute",
    0x0106: "Failure: invalid attribute value",
    0x0110: "Failure: processing failure",
    0x0111: "Failure: duplicate SOP instance",
    0x0112: "Failure: no such SOP instance",
    0x0113: "Failure: no such event type",
    0x0114: "Failure: no such argument",
    0x0115: "Failure: invalid argument value",
    0x0117: "Failure: invalid SOP instance",
    0x0118: "Failure: no such SOP class",
    0x0119: "Failure: class-instance conflict",
    0x0120: "Failure: missing attribute",
    0x0121: "Failure: missing attribute value",
    0x0122: "Failure: refused: SOP class not supported",
    0x0123: "Failure: no such action",
    0x0124: "Failure: refused: not authorized",
    0x0210: "Failure: duplicate invocation",
    0x0211: "Failure: unrecognized operation",
    0x0212: "Failure: mistyped argument",
    0x0213: "Failure: resource limitation",
    0xA700: "Failure: refused: out of resources",
    0xA701: "Failure: refused: out of resources, unable to calculate number of matches",
    0xA702: "Failure: refused: out of resources, unable to perform sub-operations",
    0xA801: "Failure: refused: move destination unknown",
    0xA900: "Failure: data set does not match SOP class / identifier does not match SOP class",
    0xC000: "Failure: cannot understand",
}


class Status(int):
    """A DIMSE status (an int) that knows its meaning and category."""

    @property
    def category(self) -> str:
        v = int(self)
        if v == 0x0000:
            return "Success"
        if v in (0xFF00, 0xFF01):
            return "Pending"
        if v == 0xFE00:
            return "Cancel"
        if v in (0x0001, 0x0107, 0x0116) or 0xB000 <= v <= 0xBFFF:
            return "Warning"
        return "Failure"

    @property
    def meaning(self) -> str:
        v = int(self)
        if v in STATUS_MEANINGS:
            return STATUS_MEANINGS[v]
        if 0xC000 <= v <= 0xCFFF:
            return "Failure: cannot understand"
        if 0xA700 <= v <= 0xA7FF:
            return "Failure: refused: out of resources"
        if 0xA900 <= v <= 0xA9FF:
            return "Failure: data set does not match SOP class"
        return f"{self.category}: status 0x{v:04X}"

    @property
    def is_success(self) -> bool:
        return int(self) == 0

    def __repr__(self) -> str:
        return f"Status(0x{int(self):04X}: {self.meaning})"

    __str__ = __repr__
