"""Encoded element values -> Python values, with pydicom 3's conventions.

One converter per VR; :func:`convert_value` dispatches on the VR. Text VRs
that may use a Specific Character Set go through :mod:`dcmfast.charset`; the
others are ISO 646 (read as Latin-1, as pydicom does).

References
----------
PS3.5 §6.2 (VR definitions), §6.4 (multiplicity, backslash separator).
"""
from __future__ import annotations

import struct
from typing import Any

from dcmfast import charset
from dcmfast.errors import InvalidDicomError, UnknownVRError
from dcmfast.tag import BaseTag
from dcmfast.uid import UID
from dcmfast.valuerep import DSfloat, IS, MultiValue, PersonName, warn

__all__ = ["convert_value", "empty_value", "NUMBER_FORMATS"]

DEFAULT_ENCODING = "iso8859"

#: struct format characters of the binary number VRs
NUMBER_FORMATS = {
    "US": "H", "SS": "h", "UL": "L", "SL": "l", "UV": "Q", "SV": "q",
    "FL": "f", "FD": "d", "OF": "f", "OD": "d", "OL": "L", "OV": "Q",
}

# text VRs with the default repertoire only
_ISO646_VRS = frozenset(["AS", "CS", "DA", "DT", "TM"])
_CHARSET_MULTI_VRS = frozenset(["SH", "LO", "UC"])
_CHARSET_SINGLE_VRS = frozenset(["LT", "ST", "UT"])
_BYTES_VRS = frozenset(["OB", "OW", "OF", "OD", "OL", "OV", "UN", "OB or OW", "US or OW",
                        "US or SS or OW", "US or SS"])
_EMPTY_STR_VRS = frozenset("AE AS CS DA DT LO LT SH ST TM UC UI UR UT".split())
_UNPACKERS: dict[tuple[str, bool], struct.Struct] = {}


class WrongLengthError(InvalidDicomError):
    """A binary number value whose length is not a multiple of its size.

    pydicom raises here too (its BytesLengthException) rather than guessing.
    """


def empty_value(vr: str) -> Any:
    """The value of an element of zero length (pydicom's empty_value_for_VR)."""
    if vr == "SQ":
        return []
    if vr == "PN":
        return PersonName("")
    if vr in _EMPTY_STR_VRS:
        return ""
    return None


def _decode_default(raw: bytes) -> str:
    return raw.decode(DEFAULT_ENCODING)


def _split(text: str, factory=None):
    """pydicom's multi_string: strip trailing padding, split on backslash."""
    items = text.rstrip(" \x00").split("\\")
    if factory is None:
        return items[0] if len(items) == 1 else MultiValue(items)
    if len(items) == 1:
        return factory(items[0])
    return MultiValue(factory(v) for v in items)


def _convert_numbers(raw: bytes, vr: str, little: bool):
    fmt = NUMBER_FORMATS[vr]
    size = struct.calcsize("<" + fmt)
    if len(raw) % size:
        raise WrongLengthError(
            f"value length {len(raw)} is not a multiple of {size} bytes, as VR {vr} needs")
    count = len(raw) // size
    if count == 1:
        key = (fmt, little)
        unpack = _UNPACKERS.get(key)
        if unpack is None:
            unpack = _UNPACKERS[key] = struct.Struct(("<" if little else ">") + fmt)
        return unpack.unpack(raw)[0]
    values = struct.unpack(f"{'<' if little else '>'}{count}{fmt}", raw)
    if count == 0:
        return ""
    return MultiValue(values)


def _convert_at(raw: bytes, little: bool):
    n = len(raw) // 4
    if n == 0:
        return None
    words = struct.unpack(f"{'<' if little else '>'}{2 * n}H", raw[: 4 * n])
    tags = [BaseTag(words[2 * i] << 16 | words[2 * i + 1]) for i in range(n)]
    return tags[0] if n == 1 else MultiValue(tags)


def _convert_pn(raw: bytes, encodings: list[str]):
    """PN values as pydicom reads them (PS3.5 §6.2.1.1).

    The whole value is decoded with the text delimiters, so ``^`` and ``=``
    do not reset ISO 2022 code extensions; then values split on ``\\`` and
    component groups on ``=``.
    """
    text = charset.decode_bytes(raw.rstrip(b"\x00 "), encodings, charset.TEXT_VR_DELIMS)
    # pydicom re-encodes each name when reading; only with code extensions or
    # replacement characters can that differ from the bytes (and warn)
    reencode = len(encodings) > 1 or "\ufffd" in text
    names = []
    for value in text.split("\\"):
        name = PersonName(value, encodings)
        if reencode:
            name.original_string = charset.encode_person_name(list(name.components), encodings)
        names.append(name)
    return names[0] if len(names) == 1 else MultiValue(names)


def _convert_strict(vr: str, raw: bytes, little: bool, encodings: list[str]) -> Any:
    if vr in _CHARSET_MULTI_VRS:
        text = charset.decode_bytes(raw, encodings, charset.TEXT_VR_DELIMS)
        items = [v.rstrip("\0 ") for v in text.split("\\")]
        return items[0] if len(items) == 1 else MultiValue(items)
    if vr in _CHARSET_SINGLE_VRS:
        return charset.decode_bytes(raw, encodings, charset.TEXT_VR_DELIMS).rstrip("\0 ")
    if vr in NUMBER_FORMATS and vr not in ("OF", "OD", "OL", "OV"):
        return _convert_numbers(raw, vr, little)
    if vr in _BYTES_VRS:
        return raw
    if vr == "UI":
        return _split(_decode_default(raw).rstrip("\0 "), UID)
    if vr in _ISO646_VRS:
        return _split(_decode_default(raw))
    if vr == "DS":
        return _split(_decode_default(raw).strip(), DSfloat)
    if vr == "IS":
        return _split(_decode_default(raw), IS)
    if vr == "PN":
        return _convert_pn(raw, encodings)
    if vr == "AE":
        items = [s.strip() for s in _decode_default(raw).split("\\")]
        return items[0] if len(items) == 1 else MultiValue(items)
    if vr == "UR":
        return _decode_default(raw).rstrip()
    if vr == "AT":
        return _convert_at(raw, little)
    raise UnknownVRError(f"unknown Value Representation {vr!r}")


#: pydicom's retry order when a value does not fit its VR
_RETRY_ORDER = ["SH", "UL", "SL", "US", "SS", "FL", "FD", "OF", "OB", "UI", "DA", "TM",
                "PN", "IS", "DS", "LT", "UN", "AT", "OW", "DT", "UT"]


def convert_value(vr: str, raw: bytes, little: bool, encodings: list[str] | None, tag: int = 0) -> Any:
    """Decode ``raw`` (non-empty, not SQ) according to ``vr``.

    A value that does not fit its VR is decoded with the first VR that works
    (pydicom's ``convert_retry_VR_order``), with a warning.
    """
    encodings = encodings or [DEFAULT_ENCODING]
    try:
        return _convert_strict(vr, raw, little, encodings)
    except (UnknownVRError, WrongLengthError):
        raise
    except (ValueError, TypeError, struct.error, UnicodeError):
        pass
    for other in _RETRY_ORDER:
        if other == vr:
            continue
        try:
            value = _convert_strict(other, raw, little, encodings)
        except Exception:
            continue
        return value
    return raw
