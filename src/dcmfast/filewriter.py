"""dcmwrite: a Dataset -> a DICOM Part 10 file (or the encoded data set alone).

The writer walks the data set in tag order and builds the output as a list of
byte chunks: small writes go into one growing ``bytearray``, large values
(pixel data) are kept as zero-copy views and written straight to the file.

Elements of a data set read from a file that were never accessed are still
token indices into the tokenizer's table; when the target encoding allows it
their encoded bytes are copied as they are (header and value in one copy when
the header form is the same), without decoding. Everything else is encoded
from its Python value, the way pydicom 3 does.

References
----------
PS3.10 §7.1 (preamble, 'DICM', File Meta Information), PS3.5 §7.1 (element
headers), §7.5 (sequences, items, delimiters), §6.2 (VRs, padding), §6.2.2
(UN for values too long for their VR), §7.2 (group length), annex A
(transfer syntaxes: A.1 implicit, A.2 explicit LE, A.3 explicit BE, A.4
encapsulation, A.5 deflate).
"""
from __future__ import annotations

import datetime
import os
import secrets
import stat
import warnings
import zlib
from array import array
from struct import Struct, error as StructError, pack
from typing import Any

from dcmfast import __version__, _parse, charset, datadict
from dcmfast.dataelem import DataElement
from dcmfast.dataset import Dataset
from dcmfast.errors import DicomWarning
from dcmfast.sequence import Sequence
from dcmfast.tag import BaseTag, Tag
from dcmfast._dict._uid_dict import UID_DICT
from dcmfast.uid import IMPLEMENTATION_CLASS_UID, RE_VALID_UID, UID
from dcmfast.valuerep import DSfloat, _format_ds
from dcmfast.values import convert_value, empty_value

__all__ = ["dcmwrite", "encode_dataset", "implementation_version_name"]

# --- transfer syntaxes ------------------------------------------------------------

_IMPLICIT_LE = "1.2.840.10008.1.2"
_EXPLICIT_LE = "1.2.840.10008.1.2.1"
_DEFLATED_LE = "1.2.840.10008.1.2.1.99"
_EXPLICIT_BE = "1.2.840.10008.1.2.2"
_ENCODING_TO_TS = {(True, True): _IMPLICIT_LE, (False, True): _EXPLICIT_LE,
                   (False, False): _EXPLICIT_BE}
_SEQUENCE_LENGTHS = ("original", "defined", "undefined")

# --- VR classes (PS3.5 table 6.2-1, §7.1.2) ----------------------------------------

#: VRs with the 12-byte explicit header (2 reserved bytes, 4-byte length)
_LONG_VRS = frozenset("OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())
#: every VR the writer knows
_KNOWN_VRS = frozenset(
    "AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN "
    "UR US UT UV".split())
#: text VRs padded with a space (UI is padded with NUL)
_SPACE_PAD_VRS = frozenset("AE AS CS DA DS DT IS LO LT PN SH ST TM UC UR UT".split())
#: VRs whose encoding does not depend on the byte order
_ORDER_FREE_VRS = _SPACE_PAD_VRS | {"UI", "OB"}
#: text VRs that use the Specific Character Set (PS3.5 §6.1.2.3)
_CHARSET_VRS = frozenset(["SH", "LO", "ST", "LT", "UT", "UC", "PN"])
#: single-byte text VRs: the default repertoire, read and written as Latin-1 (as pydicom)
_PLAIN_TEXT_VRS = frozenset("AE AS CS DA DS DT IS TM UI UR".split())
_NUMBER_FORMATS = {"US": "H", "SS": "h", "UL": "L", "SL": "l", "UV": "Q", "SV": "q",
                   "FL": "f", "FD": "d"}
#: word size of the "other" VRs, by which they are byte-swapped
_WORD_SIZE = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}
_BYTES_VRS = frozenset(["OB", "UN", "OW", "OF", "OL", "OD", "OV"])

_PIXEL_DATA = 0x7FE00010
_SPECIFIC_CHARSET = 0x00080005
_LUT_DESCRIPTOR_TAGS = frozenset([0x00281101, 0x00281102, 0x00281103, 0x00283002])
_DEFAULT_ENCODINGS = ["iso8859"]

# token flags that need the decoding path
_TF_UNDEFINED = _parse.TF_UNDEFINED
_TF_IMPLICIT = _parse.TF_IMPLICIT
_TF_FRAGMENTS = _parse.TF_FRAGMENTS
_TF_TRUNCATED = _parse.TF_TRUNCATED
_TF_SLOW = (_parse.TF_UNDEFINED | _parse.TF_SEQUENCE | _parse.TF_FRAGMENTS | _parse.TF_TRUNCATED
            | _parse.TF_SEARCHED | _parse.TF_BADVR)
_TF_SLOW_FORM = _TF_SLOW | _TF_IMPLICIT
_TF_SEQUENCE = _parse.TF_SEQUENCE
# a sequence is copied as it is only if nothing in it has these
_TF_NOT_RAW = _parse.TF_TRUNCATED | _parse.TF_BADVR | _parse.TF_SEARCHED | _parse.TF_FRAGMENTS

#: values at least this long are kept as separate (zero-copy) output chunks
_BIG = 1 << 16

# --- headers ------------------------------------------------------------------------

_HDR_IMPLICIT = {True: Struct("<HHL").pack, False: Struct(">HHL").pack}
_HDR_SHORT = {True: Struct("<HH2sH").pack, False: Struct(">HH2sH").pack}
_HDR_LONG = {True: Struct("<HH2s2xL").pack, False: Struct(">HH2s2xL").pack}
_UL = {True: Struct("<L"), False: Struct(">L")}
_VR_BYTES: dict[str, bytes] = {}
_UNDEFINED = 0xFFFFFFFF
_ITEM_TAG_LE = b"\xfe\xff\x00\xe0"


def _delimiters(little: bool) -> tuple[bytes, bytes, bytes]:
    """(item header prefix, item delimiter, sequence delimiter) in the byte order."""
    e = "<" if little else ">"
    return (pack(e + "HH", 0xFFFE, 0xE000), pack(e + "HHL", 0xFFFE, 0xE00D, 0),
            pack(e + "HHL", 0xFFFE, 0xE0DD, 0))


_DELIMS = {True: _delimiters(True), False: _delimiters(False)}


def _vr_bytes(vr: str) -> bytes:
    b = _VR_BYTES.get(vr)
    if b is None:
        b = _VR_BYTES[vr] = vr.encode("latin-1")
    return b


def _header(tag: int, vr: str | None, length: int, implicit: bool, little: bool) -> bytes:
    """The element header (PS3.5 §7.1.2 explicit, §7.1.3 implicit)."""
    if implicit:
        return _HDR_IMPLICIT[little](tag >> 16, tag & 0xFFFF, length)
    if vr in _LONG_VRS:
        return _HDR_LONG[little](tag >> 16, tag & 0xFFFF, _vr_bytes(vr), length)
    return _HDR_SHORT[little](tag >> 16, tag & 0xFFFF, _vr_bytes(vr), length)


def implementation_version_name() -> str:
    """(0002,0013) written by dcmfast: ``DCMFAST_`` and the version without dots (SH, ≤ 16)."""
    return ("DCMFAST_" + __version__.replace(".", ""))[:16]


# --- output ---------------------------------------------------------------------------


class _Out:
    """Output chunks: a growing bytearray plus zero-copy views of large values."""

    __slots__ = ("parts", "buf", "base")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.parts: list[Any] = [self.buf]
        self.base = 0  # bytes in the chunks before ``buf``

    def tell(self) -> int:
        return self.base + len(self.buf)

    def big(self, data: Any) -> None:
        """Append ``data`` as its own chunk (not copied); continue in a new buffer."""
        self.base += len(self.buf) + len(data)
        self.parts.append(data)
        self.buf = bytearray()
        self.parts.append(self.buf)

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


class _Ctx:
    """What one write needs to know throughout."""

    __slots__ = ("implicit", "little", "seq_mode", "src_little")

    def __init__(self, implicit: bool, little: bool, seq_mode: str, src_little: bool) -> None:
        self.implicit = implicit
        self.little = little
        self.seq_mode = seq_mode
        self.src_little = src_little  # byte order of OW/OF/... bytes held in DataElements


_META_CTX = _Ctx(False, True, "original", True)


# --- helpers over the Dataset internals ----------------------------------------------


def _elements(ds: Dataset) -> dict:
    """tag -> token index | DataElement of ``ds`` (the index is built if needed)."""
    elems = getattr(ds, "_elems", None)
    if elems is not None:
        return elems()
    return ds.__dict__["_dict"]


def _codecs(value: Any) -> list[str]:
    """Python codecs for a Specific Character Set value (warned about when read)."""
    if not value:
        key: tuple[str, ...] = ("",)
    elif isinstance(value, str):
        key = (value,)
    else:
        key = tuple(str(v) if v is not None else "" for v in value)
    cached = getattr(charset, "_convert_encodings_cached", None)
    if cached is not None:
        try:
            return list(cached(key, False)[0]) or list(_DEFAULT_ENCODINGS)
        except Exception:  # noqa: BLE001 - fall back to the public, warning, path
            pass
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return charset.convert_encodings(list(key))


def _raw_charset_value(raw: bytes) -> list[str]:
    return [v.strip(" \0") for v in raw.decode("latin-1").split("\\")]


def _dataset_encodings(ds: Dataset, elems: dict, table: Any, parent: list[str],
                       parent_orig: list[str]) -> tuple[list[str], list[str]]:
    """(current codecs, codecs the still-encoded text of ``ds`` was written with)."""
    entry = elems.get(_SPECIFIC_CHARSET)
    if entry is None:
        current = parent
    elif entry.__class__ is int:
        current = _codecs(_raw_charset_value(table.value(entry)))
    else:
        current = _codecs(entry.value)
    if table is None:
        return current, current
    orig = parent_orig
    tok = ds.__dict__.get("_tok")
    if tok is not None:
        idx = table.find_child(tok, _SPECIFIC_CHARSET)
        if idx >= 0:
            orig = _codecs(_raw_charset_value(table.value(idx)))
    elif entry is not None and entry.__class__ is int:
        orig = current
    return current, orig


# --- value encoding ---------------------------------------------------------------------


def _swap(data: Any, size: int) -> bytes:
    """``data`` with every ``size``-byte word byte-swapped (a trailing odd part kept)."""
    n = len(data)
    whole = n - n % size
    code = {2: "H", 4: "I" if array("I").itemsize == 4 else "L", 8: "Q"}[size]
    words = array(code, bytes(data[:whole]))
    words.byteswap()
    out = words.tobytes()
    return out + bytes(data[whole:]) if whole != n else out


def _is_multi(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _format_dt(value: Any, vr: str) -> str:
    original = getattr(value, "original_string", None)
    if original is not None:
        return str(original)
    if vr == "DA" and isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.strftime("%Y%m%d")
    if vr == "DT" and isinstance(value, datetime.datetime):
        fmt = "%Y%m%d%H%M%S.%f%z" if value.microsecond else "%Y%m%d%H%M%S%z"
        return value.strftime(fmt)
    if vr == "TM" and isinstance(value, datetime.time):
        return value.strftime("%H%M%S.%f" if value.microsecond else "%H%M%S")
    return str(value)


def _text_of(vr: str, value: Any) -> str:
    """One value of a default-repertoire text VR as text (no padding)."""
    if value is None:
        return ""
    if value.__class__ is str:
        return value
    if vr == "DS":
        if isinstance(value, DSfloat):
            return str(value)
        if isinstance(value, float):
            return _format_ds(value)
        return str(getattr(value, "original_string", value))
    if vr == "IS":
        original = getattr(value, "original_string", None)
        if original is not None:
            return str(original)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if vr in ("DA", "DT", "TM"):
        return _format_dt(value, vr)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return str(value)


def _encode_text(text: str, encodings: list[str]) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return charset.encode_string(text, encodings)


def _encode_plain(vr: str, value: Any, encodings: list[str]) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if _is_multi(value):
        text = "\\".join(_text_of(vr, v) for v in value)
    else:
        text = _text_of(vr, value)
    return _encode_text(text, encodings)


def _encode_charset_text(value: Any, encodings: list[str]) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if _is_multi(value):
        return b"\\".join(
            bytes(v) if isinstance(v, (bytes, bytearray))
            else charset.encode_string("" if v is None else str(v), encodings) for v in value)
    return charset.encode_string(str(value), encodings)


def _encode_pn_one(value: Any, encodings: list[str]) -> bytes:
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return charset.encode_person_name(str(value), encodings)


def _encode_pn(value: Any, encodings: list[str]) -> bytes:
    if _is_multi(value):
        return b"\\".join(_encode_pn_one(v, encodings) for v in value)
    return _encode_pn_one(value, encodings)


def _encode_numbers(tag: int, vr: str, value: Any, little: bool) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)  # kept as found (a value the reader could not convert)
    if not isinstance(value, (int, float, list, tuple)):
        tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
        if tolist is not None:
            value = tolist()
    fmt = _NUMBER_FORMATS[vr]
    e = "<" if little else ">"
    try:
        if not _is_multi(value):
            if tag in _LUT_DESCRIPTOR_TAGS and vr == "SS" and 0x8000 <= value <= 0xFFFF:
                fmt = "H"
            return pack(e + fmt, value)
        values = list(value)
        if tag in _LUT_DESCRIPTOR_TAGS and vr == "SS" and values:
            # PS3.3 C.11.1.1: the first descriptor value is unsigned even when SS
            return pack(e + "H", values[0]) + pack(f"{e}{len(values) - 1}{fmt}", *values[1:])
        return pack(f"{e}{len(values)}{fmt}", *values)
    except (StructError, TypeError) as exc:
        raise ValueError(f"cannot encode {value!r:.60} as {vr} for element {_tag_str(tag)}: {exc}") from None


def _encode_at(tag: int, value: Any, little: bool) -> bytes:
    values = value if _is_multi(value) else [value]
    e = "<" if little else ">"
    out = []
    for v in values:
        t = int(Tag(v))
        out.append(pack(e + "HH", t >> 16, t & 0xFFFF))
    return b"".join(out)


def _as_bytes(value: Any, tag: int, vr: str) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return value
    if isinstance(value, memoryview):
        return value.cast("B") if value.ndim == 1 and value.format == "B" else value.tobytes()
    tobytes = getattr(value, "tobytes", None)  # numpy arrays, array.array
    if tobytes is not None:
        return tobytes()
    if isinstance(value, str):
        return value.encode("latin-1")
    raise TypeError(f"the value of {_tag_str(tag)} ({vr}) must be bytes, not {type(value).__name__}")


def _swap_size(ds: Dataset, tag: int, vr: str) -> int:
    """The word size by which a bytes value is swapped when the byte order changes (0: none).

    OW/OF/OL/OD/OV by their word size (PS3.5 §7.3). Native Pixel Data is
    swapped by its cell size when Bits Allocated is 16, 32 or 64, whatever
    its VR, since readers (pydicom included) take the cells in the byte order
    of the transfer syntax; 8-bit pixel data only when OW.
    """
    if tag == _PIXEL_DATA:
        bits = ds.get("BitsAllocated")
        if bits in (16, 32, 64):
            return bits // 8
        return 2 if vr == "OW" else 0
    return _WORD_SIZE.get(vr, 0)


def _encode_value(ds: Dataset, tag: int, vr: str, value: Any, ctx: _Ctx,
                  encodings: list[str]) -> Any:
    """The encoded value of one non-sequence element (not padded)."""
    if value is None:
        return b""
    if vr in _PLAIN_TEXT_VRS:
        return _encode_plain(vr, value, encodings)
    if vr in _NUMBER_FORMATS:
        if value == "" or (_is_multi(value) and not value):
            return b""
        return _encode_numbers(tag, vr, value, ctx.little)
    if vr == "PN":
        return _encode_pn(value, encodings)
    if vr in _CHARSET_VRS:
        return _encode_charset_text(value, encodings)
    if vr in _BYTES_VRS:
        data = _as_bytes(value, tag, vr)
        if ctx.src_little != ctx.little and len(data) > 1:
            size = _swap_size(ds, tag, vr)
            if size > 1:
                data = _swap(data, size)
        return data
    if vr == "AT":
        if value == "" or (_is_multi(value) and not value):
            return b""
        return _encode_at(tag, value, ctx.little)
    raise ValueError(f"cannot encode element {_tag_str(tag)}: unknown VR '{vr}'")


def _tag_str(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _resolve_vr(ds: Dataset, elem: DataElement, vr: str, ctx: _Ctx) -> str:
    """A two-letter VR for an ambiguous one ('US or SS', 'OB or OW'...), as pydicom."""
    resolve = getattr(ds, "_resolve_ambiguous", None)
    if resolve is not None:
        try:
            out = resolve(int(elem.tag), vr, bool(elem.is_undefined_length), ctx.implicit)
        except Exception:  # noqa: BLE001 - fall back below
            out = None
        if out and len(out) == 2:
            return out
    return vr.split(" or ")[0]


def _check_fragments(value: Any, tag: int) -> Any:
    """Encapsulated items, with a last item cut short by truncation repaired.

    Items are kept byte for byte; an item whose length runs past the value
    (the file was truncated) is shortened to what is there, and fewer than 8
    trailing bytes are dropped, so that the written value is well formed.
    """
    n = len(value)
    if n < 8 or bytes(value[:4]) != _ITEM_TAG_LE:
        raise ValueError(
            f"the value of {_tag_str(tag)} has undefined length but does not start with an "
            "item tag (FFFE,E000): encapsulated Pixel Data must be a sequence of items (PS3.5 A.4)")
    mv = memoryview(value)
    pos = 0
    unpack = _UL[True].unpack_from
    while pos + 8 <= n:
        if bytes(mv[pos:pos + 4]) != _ITEM_TAG_LE:
            break
        length = unpack(mv, pos + 4)[0]
        if pos + 8 + length > n:
            avail = n - pos - 8
            fixed = bytearray(mv[:pos])
            fixed += _ITEM_TAG_LE + _UL[True].pack(avail + (avail & 1))
            fixed += mv[pos + 8:]
            if avail & 1:
                fixed.append(0)
            return fixed
        pos += 8 + length
    if pos != n:
        return bytes(mv[:pos])
    return value


# --- the data set walk ----------------------------------------------------------------


def _write_dataset(out: _Out, ds: Dataset, ctx: _Ctx, parent_enc: list[str],
                   parent_orig: list[str]) -> None:
    """Encode the elements of ``ds`` in tag order into ``out``."""
    elems = _elements(ds)
    table = ds.__dict__.get("_table")
    implicit = ctx.implicit
    little = ctx.little
    encodings, orig = _dataset_encodings(ds, elems, table, parent_enc, parent_orig)
    cs_same = encodings == orig
    if table is not None:
        info = table.info
        raw = table.raw
        value_of = table.value
        view_of = table.view_of
        same_order = table.little_endian == little
    else:
        same_order = True
    dict_get = datadict.DICOM_DICT.get
    hdr_impl = _HDR_IMPLICIT[little]
    # the common case: header and value copied as they are, in one piece
    raw_form = _TF_IMPLICIT if implicit else 0
    raw_ok = table is not None and same_order and cs_same
    # untouched sequences (still a token: no item was ever reached) too, if clean
    seq_raw = raw_ok and ctx.seq_mode == "original" and not table.warnings
    group_patch = None
    buf = out.buf
    for tag in sorted(elems):
        if group_patch is not None and tag >> 16 != group_patch[3]:
            _patch_length(out, group_patch, little)
            group_patch = None
        elem = elems[tag]
        if not tag & 0xFFFF:
            # group length (PS3.5 §7.2): recomputed from what is written
            buf += _header(tag, "UL", 4, implicit, little)
            group_patch = (buf, len(buf), out.tell() + 4, tag >> 16)
            buf += b"\0\0\0\0"
            continue
        if elem.__class__ is int:
            _, vr, flags, voff, length = info(elem)
            if (raw_ok and flags & _TF_SLOW_FORM == raw_form and not length & 1
                    and length < _BIG and vr != "UN"):
                buf += raw(elem)
                continue
            if (seq_raw and flags & _TF_SEQUENCE and flags & (_TF_NOT_RAW | _TF_IMPLICIT) == raw_form
                    and vr != "UN" and _subtree_clean(table, elem, raw_form)):
                if length < _BIG:
                    buf += raw(elem)
                else:
                    out.big(table.raw(elem))
                    buf = out.buf
                continue
            if not flags & _TF_SLOW:
                if vr is None:  # implicit VR: the dictionary's, when unambiguous
                    entry = dict_get(tag)
                    if entry is not None:
                        dvr = entry[0]
                        if len(dvr) == 2 and dvr != "SQ" and dvr != "UN":
                            vr = dvr
                    ok = vr is not None or (implicit and same_order and cs_same and not length & 1)
                else:
                    ok = vr != "UN"  # UN is decoded: a known tag gets its dictionary VR (pydicom)
                if ok and vr is not None:
                    if not cs_same and vr in _CHARSET_VRS:
                        ok = False
                    elif not same_order and (vr not in _ORDER_FREE_VRS or tag == _PIXEL_DATA):
                        ok = False
                    elif not implicit and length > 0xFFFF and vr not in _LONG_VRS:
                        ok = False
                if ok:
                    odd = length & 1
                    if same_order and not odd and bool(flags & _TF_IMPLICIT) == implicit \
                            and length < _BIG:
                        buf += raw(elem)  # header and value as they are
                        continue
                    if implicit:
                        buf += hdr_impl(tag >> 16, tag & 0xFFFF, length + odd)
                    else:
                        buf += _header(tag, vr, length + odd, False, little)
                    if length < _BIG:
                        buf += value_of(elem)
                    else:
                        out.big(view_of(elem))
                        buf = out.buf
                    if odd:
                        buf.append(0x20 if vr in _SPACE_PAD_VRS else 0)
                    continue
            elif (flags & _TF_FRAGMENTS and flags & _TF_UNDEFINED and not flags & _TF_TRUNCATED
                  and table.little_endian and little):
                # encapsulated value: items and all, byte for byte
                if implicit and tag == _PIXEL_DATA:
                    raise ValueError("encapsulated (compressed) Pixel Data cannot be written "
                                     "with Implicit VR Little Endian")
                vr = "OB" if tag == _PIXEL_DATA or vr is None else vr  # PS3.5 A.4: OB
                buf += _header(tag, vr, _UNDEFINED, implicit, True)
                if length < _BIG:
                    buf += value_of(elem)
                else:
                    out.big(view_of(elem))
                    buf = out.buf
                buf += _DELIMS[True][2]
                continue
            if not cs_same and not flags & _TF_SLOW:
                decoded = _decode_with(ds, tag, elem, table, vr, orig)
                if decoded is not None:
                    _write_element(out, ds, decoded, ctx, encodings, orig)
                    buf = out.buf
                    continue
            elem = _decode(ds, tag, elem, table)
        _write_element(out, ds, elem, ctx, encodings, orig)
        buf = out.buf
    if group_patch is not None:
        _patch_length(out, group_patch, little)


def _subtree_clean(table: Any, idx: int, form: int) -> bool:
    """Whether the tokens inside sequence ``idx`` can be copied as they are.

    Every element must be in the target VR form, of even length, not UN, not a
    group length, and nothing truncated, searched for, of unknown VR or
    encapsulated. (Items and their lengths are then valid as they are.)
    """
    info = table.info
    for tag, vr, flags, _, length in map(info, range(idx + 1, table.next(idx))):
        if flags & _TF_NOT_RAW:
            return False
        if tag < 0xFFFE0000 and (flags & _TF_IMPLICIT != form or vr == "UN" or not tag & 0xFFFF
                                  or (length & 1 and not flags & _TF_UNDEFINED)):
            return False  # (items, group FFFE, need no check)
    return True


def _decode(ds: Dataset, tag: int, idx: int, table: Any) -> DataElement | None:
    """``ds[tag]``; a value that cannot be decoded is kept as its bytes (as UN)."""
    try:
        return ds[tag]
    except (ValueError, TypeError, KeyError) as exc:
        _, vr, flags, _, _ = table.info(idx)
        if flags & (_parse.TF_SEQUENCE | _parse.TF_FRAGMENTS):
            raise
        warnings.warn(f"element {_tag_str(tag)} could not be decoded ({exc}); written as UN "
                      "with its value bytes", DicomWarning, stacklevel=4)
        return DataElement._make(BaseTag(tag), "UN", table.value(idx), None, False)


def _decode_with(ds: Dataset, tag: int, idx: int, table: Any, vr: str | None,
                 orig: list[str]) -> DataElement | None:
    """A text element still encoded, decoded with the character set it was written with.

    Used when the data set's Specific Character Set changed since it was read:
    decoding with the new one would garble the text. None if not such text.
    """
    if vr is None:
        try:
            vr = datadict.dictionary_VR(tag)
        except KeyError:
            private_vr = getattr(ds, "_private_vr", None)
            vr = private_vr(BaseTag(tag)) if private_vr is not None and tag >> 16 & 1 else None
    if vr not in _CHARSET_VRS:
        return None
    raw = table.value(idx)
    value = convert_value(vr, raw, table.little_endian, orig, tag) if raw else empty_value(vr)
    return DataElement._make(BaseTag(tag), vr, value, None, False)


def _patch_length(out: _Out, patch: tuple, little: bool) -> None:
    buf, offset, start, _ = patch
    _UL[little].pack_into(buf, offset, out.tell() - start)


def _write_element(out: _Out, ds: Dataset, elem: DataElement, ctx: _Ctx,
                   encodings: list[str], orig: list[str]) -> None:
    tag = int(elem.tag)
    vr = elem.VR
    value = elem._value
    implicit = ctx.implicit
    little = ctx.little
    if vr == "SQ" or isinstance(value, Sequence):
        _write_sequence(out, tag, elem, value, ctx, encodings, orig)
        return
    if vr not in _KNOWN_VRS:
        if " or " in vr:
            vr = _resolve_vr(ds, elem, vr, ctx)
        if vr not in _KNOWN_VRS:
            warnings.warn(f"element {_tag_str(tag)} has the unknown VR '{vr}'; written as UN",
                          DicomWarning, stacklevel=4)
            vr = "UN"
    if elem.is_undefined_length and value is not None:
        # an encapsulated value (items) or another undefined-length value kept as read
        if tag == _PIXEL_DATA:
            if implicit:
                raise ValueError("encapsulated (compressed) Pixel Data cannot be written "
                                 "with Implicit VR Little Endian")
            value = _check_fragments(_as_bytes(value, tag, vr), tag)
            vr = "OB"  # PS3.5 A.4
        else:
            value = _as_bytes(value, tag, vr)
        buf = out.buf
        buf += _header(tag, vr, _UNDEFINED, implicit, little)
        if len(value) >= _BIG:
            out.big(value)
        else:
            out.buf += value
        out.buf += _DELIMS[little][2]
        return
    data = _encode_value(ds, tag, vr, value, ctx, encodings)
    length = len(data)
    odd = length & 1
    pad_vr = vr
    if not implicit and length + odd > 0xFFFF and vr not in _LONG_VRS:
        # PS3.5 §6.2.2: too long for a 16-bit length; pydicom writes it as UN
        warnings.warn(
            f"The value for the data element {_tag_str(tag)} exceeds the size of 64 kByte and "
            f"cannot be written in an explicit transfer syntax. The data element VR is changed "
            f"from '{vr}' to 'UN' to allow saving the data.", DicomWarning, stacklevel=4)
        vr = "UN"
    buf = out.buf
    buf += _header(tag, vr, length + odd, implicit, little)
    if length >= _BIG:
        out.big(data)
        buf = out.buf
    else:
        buf += data
    if odd:
        buf.append(0x20 if pad_vr in _SPACE_PAD_VRS else 0)


def _write_sequence(out: _Out, tag: int, elem: DataElement, items: Any, ctx: _Ctx,
                    encodings: list[str], orig: list[str]) -> None:
    """An SQ element: its items, with defined or undefined lengths (PS3.5 §7.5)."""
    implicit = ctx.implicit
    little = ctx.little
    mode = ctx.seq_mode
    items = items if items is not None else ()
    if mode == "original":
        undefined = bool(elem.is_undefined_length or getattr(items, "is_undefined_length", False))
    else:
        undefined = mode == "undefined"
    item_prefix, item_delim, seq_delim = _DELIMS[little]
    ul = _UL[little]
    buf = out.buf
    if undefined:
        buf += _header(tag, "SQ", _UNDEFINED, implicit, little)
        seq_patch = None
    else:
        buf += _header(tag, "SQ", 0, implicit, little)
        seq_patch = (buf, len(buf) - 4, out.tell(), 0)
    for item in items:
        if not isinstance(item, Dataset):
            raise TypeError(f"the items of sequence {_tag_str(tag)} must be Datasets, "
                            f"not {type(item).__name__}")
        if mode == "original":
            item_undefined = bool(getattr(item, "is_undefined_length_sequence_item", False))
        else:
            item_undefined = undefined
        buf = out.buf
        buf += item_prefix
        if item_undefined:
            buf += ul.pack(_UNDEFINED)
            _write_dataset(out, item, ctx, encodings, orig)
            out.buf += item_delim
        else:
            offset = len(buf)
            buf += b"\0\0\0\0"
            start = out.tell()
            _write_dataset(out, item, ctx, encodings, orig)
            ul.pack_into(buf, offset, out.tell() - start)
    if undefined:
        out.buf += seq_delim
    else:
        _patch_length(out, seq_patch, little)


# --- transfer syntax and file meta ------------------------------------------------------

_TS_KEYWORDS = {entry[4]: uid for uid, entry in UID_DICT.items() if entry[1] == "Transfer Syntax"}


class _Syntax:
    """The target transfer syntax and the data set encoding it implies."""

    __slots__ = ("uid", "implicit", "little", "deflated", "encapsulated")

    def __init__(self, uid: str, implicit: bool, little: bool, deflated: bool,
                 encapsulated: bool | None) -> None:
        self.uid = uid
        self.implicit = implicit
        self.little = little
        self.deflated = deflated
        self.encapsulated = encapsulated  # None: unknown (a private syntax)

    @property
    def name(self) -> str:
        entry = UID_DICT.get(self.uid)
        return f"'{entry[0]}'" if entry else f"'{self.uid}'"


def _as_uid(value: Any) -> UID:
    """A transfer syntax given as a UID or a keyword ("ExplicitVRLittleEndian")."""
    text = str(value).strip().rstrip("\0")
    if text in _TS_KEYWORDS:
        return UID(_TS_KEYWORDS[text])
    if RE_VALID_UID.match(text) and len(text) <= 64:
        return UID(text)
    raise ValueError(f"'{value}' is neither a transfer syntax UID nor the keyword of one "
                     "(for example 'ExplicitVRLittleEndian' or '1.2.840.10008.1.2.1')")


_KNOWN_CACHE: dict[str, tuple[bool, bool, bool | None] | None] = {}


def _known_encoding(uid: str) -> tuple[bool, bool, bool | None] | None:
    """(implicit, little, encapsulated) of a public or registered private syntax."""
    key = str(uid)
    if key in _KNOWN_CACHE:
        return _KNOWN_CACHE[key]
    u = uid if isinstance(uid, UID) else UID(key)
    try:
        if not u.is_transfer_syntax:
            result = None
        else:
            encapsulated = u.is_compressed if key.startswith("1.2.840.10008.") else None
            result = (u.is_implicit_VR, u.is_little_endian, encapsulated)
    except (ValueError, AttributeError):
        result = None
    if key.startswith("1.2.840.10008."):
        _KNOWN_CACHE[key] = result  # public syntaxes only: private ones can be registered later
    return result


def _meta_syntax(ds: Dataset) -> str | None:
    meta = ds.__dict__.get("file_meta")
    if meta is None:
        return None
    try:
        value = meta.get("TransferSyntaxUID")
    except Exception:  # noqa: BLE001 - a broken value counts as absent
        return None
    if not value or not isinstance(value, str):
        return None
    return str(value).strip().rstrip("\0") or None


def _original_or_default(original: tuple) -> tuple[bool, bool]:
    """The encoding a data set was read with, else explicit VR little endian."""
    encoding = (original[0], original[1])
    if encoding in _ENCODING_TO_TS:
        return bool(encoding[0]), bool(encoding[1])
    return False, True


def _target_syntax(ds: Dataset, transfer_syntax: Any, implicit_vr: bool | None,
                   little_endian: bool | None, force_encoding: bool) -> _Syntax:
    original = ds.original_encoding if hasattr(ds, "original_encoding") else (None, None)

    def from_args() -> tuple[bool, bool] | None:
        if implicit_vr is None and little_endian is None:
            return None
        little = True if little_endian is None else bool(little_endian)
        if implicit_vr is None:
            implicit = bool(original[0]) if original[0] is not None and little else False
        else:
            implicit = bool(implicit_vr)
        if implicit and not little:
            raise ValueError("Implicit VR and big endian is not a valid encoding combination")
        return implicit, little

    if force_encoding:
        if implicit_vr is None or little_endian is None:
            raise ValueError("'implicit_vr' and 'little_endian' are required if 'force_encoding' is used")
        if transfer_syntax is None:
            enc = from_args()
            return _Syntax(_ENCODING_TO_TS[enc], enc[0], enc[1], False, False)

    if transfer_syntax is not None:
        uid: str | None = _as_uid(transfer_syntax)
    else:
        uid = _meta_syntax(ds)
        if uid is not None and not RE_VALID_UID.match(uid):
            warnings.warn(f"the file meta Transfer Syntax UID '{uid}' is not a valid UID: the data "
                          "set is written with the encoding it was read with and the matching "
                          "transfer syntax", DicomWarning, stacklevel=4)
            uid = None
    if uid is None:
        enc = from_args()
        if enc is None:
            enc = _original_or_default(original)
        return _Syntax(_ENCODING_TO_TS[enc], enc[0], enc[1], False, False)

    known = _known_encoding(uid)
    if known is None:
        # a private syntax: encoded as the arguments, or as read, or explicit VR LE
        enc = from_args()
        if enc is None:
            enc = _original_or_default(original)
        return _Syntax(str(uid), enc[0], enc[1], False, None)
    implicit, little, encapsulated = known
    name = UID_DICT.get(str(uid), (str(uid),))[0]
    if implicit_vr is not None and bool(implicit_vr) != implicit:
        raise ValueError(f"The 'implicit_vr' value is not consistent with the required VR "
                         f"encoding for the '{name}' transfer syntax")
    if little_endian is not None and bool(little_endian) != little:
        raise ValueError(f"The 'little_endian' value is not consistent with the required "
                         f"endianness for the '{name}' transfer syntax")
    return _Syntax(str(uid), implicit, little, str(uid) == _DEFLATED_LE, encapsulated)


def _source_little(ds: Dataset) -> bool:
    """The byte order of OW/OF/OD/OL/OV bytes held in the data set's elements.

    A data set holds them in the byte order of its file meta's transfer syntax
    (as pixel data is interpreted), else of the encoding it was read with;
    little endian for a data set built in memory.
    """
    uid = _meta_syntax(ds)
    if uid is not None:
        known = _known_encoding(uid)
        if known is not None:
            return known[1]
    little = ds.__dict__.get("_read_little")
    return True if little is None else bool(little)


def _meta_element(tag: int, vr: str, value: Any) -> bytes:
    """One file meta element, explicit VR little endian, padded."""
    data = _encode_value(None, tag, vr, value, _META_CTX, _DEFAULT_ENCODINGS)  # type: ignore[arg-type]
    if len(data) & 1:
        data += b" " if vr in _SPACE_PAD_VRS else b"\0"
    return _header(tag, vr, len(data), False, True) + data


def _encode_file_meta(ds: Dataset, syntax: _Syntax, enforce: bool) -> bytes:
    """The File Meta Information group (PS3.10 §7.1), explicit VR LE, with its group length.

    The data set's own ``file_meta`` is not changed. Its elements are kept
    (encoded as they were when untouched); (0002,0001) is added if missing,
    Media Storage SOP Class/Instance UID are taken from the data set if
    missing (replaced when they differ, with ``enforce``), the transfer
    syntax and dcmfast's implementation class UID and version name are set.
    """
    encoded: dict[int, bytes] = {}
    present: dict[int, Any] = {}  # tag -> value (or True: an untouched non-empty value)
    source = ds.__dict__.get("file_meta")
    if source is not None:
        table = source.__dict__.get("_table")
        for tag, elem in _elements(source).items():
            tag = int(tag)
            if tag >> 16 != 0x0002:
                raise ValueError("Only File Meta Information group (0002,eeee) elements may be "
                                 "present in 'file_meta'.")
            if tag in (0x00020000, 0x00020010, 0x00020012, 0x00020013):
                continue
            if elem.__class__ is int:
                _, vr, flags, _, length = table.info(elem)
                if (not flags & _TF_SLOW_FORM and vr is not None and vr != "UN"
                        and not length & 1 and table.little_endian):
                    encoded[tag] = table.raw(elem)
                    present[tag] = True if length else None
                    continue
                elem = source[tag]
            value = elem.value
            if value is None or value == "" or value == b"":
                present[tag] = None
            else:
                present[tag] = value
            out = _Out()
            _write_element(out, source, elem, _META_CTX, _DEFAULT_ENCODINGS, _DEFAULT_ENCODINGS)
            encoded[tag] = out.getvalue()
    if present.get(0x00020001) is None:
        encoded[0x00020001] = _meta_element(0x00020001, "OB", b"\x00\x01")
    for meta_tag, ds_tag in ((0x00020002, 0x00080016), (0x00020003, 0x00080018)):
        current = present.get(meta_tag)
        if current is None or enforce:
            try:
                elem = ds.get(ds_tag)
                ds_value = elem.value if elem is not None else None
            except Exception:  # noqa: BLE001 - an undecodable value counts as absent
                ds_value = None
            if isinstance(ds_value, (list, tuple)):
                ds_value = ds_value[0] if ds_value else None
            if ds_value:
                if current is True:
                    current = source[meta_tag].value
                if current is None or str(current) != str(ds_value):
                    encoded[meta_tag] = _meta_element(meta_tag, "UI", str(ds_value))
                    current = ds_value
            if enforce and current is None:
                raise ValueError(
                    "Required File Meta Information elements are either missing or have an "
                    f"empty value: {_tag_str(meta_tag)} {datadict.dictionary_description(meta_tag)}"
                    f" (and the data set has no {datadict.dictionary_keyword(ds_tag)} to take it from)")
    encoded[0x00020010] = _meta_element(0x00020010, "UI", syntax.uid)
    encoded[0x00020012] = _meta_element(0x00020012, "UI", IMPLEMENTATION_CLASS_UID)
    encoded[0x00020013] = _meta_element(0x00020013, "SH", implementation_version_name())
    body = b"".join([encoded[t] for t in sorted(encoded)])
    return _meta_element(0x00020000, "UL", len(body)) + body


# --- the public functions ------------------------------------------------------------------


def _check_pixel_data(ds: Dataset, elems: dict, syntax: _Syntax) -> None:
    """Encapsulated pixel data only in encapsulated syntaxes, native only in native ones."""
    entry = elems.get(_PIXEL_DATA)
    if entry is None or syntax.encapsulated is None:
        return
    if entry.__class__ is int:
        encapsulated = bool(ds.__dict__["_table"].flags(entry) & _TF_UNDEFINED)
    else:
        encapsulated = bool(entry.is_undefined_length)
    source = _meta_syntax(ds)
    source_name = f" (the data set's transfer syntax is {_Syntax(source, False, True, False, None).name})" \
        if source else ""
    if encapsulated and not syntax.encapsulated:
        raise ValueError(
            f"cannot write encapsulated (compressed) Pixel Data in the native transfer syntax "
            f"{syntax.name}{source_name}: decompress the pixel data first, or write with an "
            "encapsulated transfer syntax")
    if not encapsulated and syntax.encapsulated:
        raise ValueError(
            f"cannot write native (uncompressed) Pixel Data in the encapsulated transfer syntax "
            f"{syntax.name}{source_name}: compress the pixel data first, or write with a "
            "native transfer syntax (e.g. 'ExplicitVRLittleEndian')")


def _encode_body(ds: Dataset, syntax: _Syntax, seq_mode: str, check_groups: bool) -> list[Any]:
    """The encoded data set as chunks (deflated if the syntax says so)."""
    if seq_mode not in _SEQUENCE_LENGTHS:
        raise ValueError(f"sequence_lengths must be one of {', '.join(_SEQUENCE_LENGTHS)}, "
                         f"not {seq_mode!r}")
    elems = _elements(ds)
    if check_groups and elems and min(elems) < 0x00030000:
        groups = {t >> 16 for t in elems if t < 0x00030000}
        if 0 in groups:
            raise ValueError("Command Set elements (0000,eeee) are not allowed in a DICOM file: "
                             "remove them before writing")
        if 2 in groups:
            raise ValueError("File Meta Information Group elements (0002,eeee) must be in a "
                             f"FileMetaDataset in the '{type(ds).__name__}.file_meta' attribute")
    _check_pixel_data(ds, elems, syntax)
    ctx = _Ctx(syntax.implicit, syntax.little, seq_mode, _source_little(ds))
    out = _Out()
    _write_dataset(out, ds, ctx, _DEFAULT_ENCODINGS, _DEFAULT_ENCODINGS)
    parts = [p for p in out.parts if len(p)]
    if not syntax.deflated:
        return parts
    # PS3.5 A.5: the whole data set after the file meta, deflated (RFC 1951, no zlib header)
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = [compressor.compress(p) for p in parts]
    deflated.append(compressor.flush())
    deflated = [p for p in deflated if p]
    if sum(len(p) for p in deflated) & 1:
        deflated.append(b"\0")
    return deflated


def encode_dataset(dataset: Dataset, *, transfer_syntax: Any = None, implicit_vr: bool | None = None,
                   little_endian: bool | None = None, sequence_lengths: str = "original") -> bytes:
    """The encoded data set alone (no preamble, no file meta), e.g. for the network.

    The syntax is chosen as in :func:`dcmwrite`; a deflated syntax gives the
    deflated bytes. Group 0000 (command) elements are allowed here.
    """
    syntax = _target_syntax(dataset, transfer_syntax, implicit_vr, little_endian, False)
    return b"".join(_encode_body(dataset, syntax, sequence_lengths, False))


def dcmwrite(filename: Any, dataset: Dataset, /, *, transfer_syntax: Any = None,
             implicit_vr: bool | None = None, little_endian: bool | None = None,
             enforce_file_format: bool = False, force_encoding: bool = False,
             overwrite: bool = True, sequence_lengths: str = "original", **kwargs: Any) -> None:
    """Write ``dataset`` as a DICOM Part 10 file.

    Parameters
    ----------
    filename : str, PathLike or binary file object
        A path is written atomically: to a temporary file in the same folder,
        renamed over ``filename`` when complete (an interrupted write leaves
        no partial file). A file object is written from its current position.
    dataset : Dataset
        What to write; it is not modified.
    transfer_syntax : str, optional
        The transfer syntax, as a UID or a keyword ("ExplicitVRBigEndian",
        "DeflatedExplicitVRLittleEndian"...). Default: the file meta's
        Transfer Syntax UID, else the encoding the data set was read with
        (``implicit_vr``/``little_endian`` when given), else Explicit VR Little
        Endian. Encapsulated (compressed) syntaxes write the data set in
        explicit VR little endian with the encapsulated Pixel Data kept byte
        for byte; converting between native and encapsulated pixel data is
        not done here (``ValueError``).
    implicit_vr, little_endian : bool, optional
        The encoding, as in pydicom 3: used when no transfer syntax is set,
        checked against it otherwise (``ValueError`` if inconsistent).
    enforce_file_format : bool
        Also replace Media Storage SOP Class/Instance UID by the data set's
        SOP Class/Instance UID when they differ, and raise ``ValueError`` if
        either is missing. Without it a valid Part 10 file is written all
        the same: preamble (the data set's, or 128 zero bytes), 'DICM' and
        the file meta group with its group length, version, transfer syntax,
        dcmfast's implementation class UID and version name; missing Media
        Storage SOP Class/Instance UIDs are taken from the data set if it
        has them.
    force_encoding : bool
        Encode with ``implicit_vr`` and ``little_endian`` (both required)
        and write the matching transfer syntax, whatever the file meta says.
    overwrite : bool
        If False, raise ``FileExistsError`` rather than replace a file.
    sequence_lengths : {"original", "defined", "undefined"}
        "original" (default): sequences and items keep the length form they
        were read with (``Sequence.is_undefined_length``, the element's
        ``is_undefined_length``, ``Dataset.is_undefined_length_sequence_item``);
        new ones have defined lengths. "defined"/"undefined": all of them.
    write_like_original : bool, optional
        pydicom's deprecated spelling: ``write_like_original=False`` is
        ``enforce_file_format=True``.

    Notes
    -----
    Elements never accessed since the data set was read (sequences too, if
    none of their items was reached) are copied as encoded when the target
    encoding allows it; the rest is encoded from the Python values. So an
    untouched data set written in its own syntax is reproduced byte for
    byte, except for: group length elements (gggg,0000), whose value is
    recomputed; explicit UN elements of known tags, written with their
    dictionary VR (as pydicom); encapsulated Pixel Data, always OB (PS3.5
    A.4); odd-length values, padded; values cut short by a truncated file.

    Values too long for a 16-bit length in an explicit VR syntax are written
    as UN (PS3.5 §6.2.2), with a warning, as pydicom does. When the byte
    order changes, OW/OF/OD/OL/OV values are byte-swapped by their word size
    and native Pixel Data by its cell size (Bits Allocated 16, 32 or 64,
    whatever its VR; 8-bit only when OW); they are taken to be in the byte
    order of the data set's transfer syntax (little endian for a data set
    built in memory). A sequence has undefined length if either its
    element's or its Sequence's ``is_undefined_length`` is set.
    """
    if "write_like_original" in kwargs:
        write_like_original = kwargs.pop("write_like_original")
        if write_like_original is not None:
            enforce_file_format = not write_like_original
    if kwargs:
        raise TypeError(f"Invalid keyword argument(s) for dcmwrite(): {', '.join(kwargs)}")
    if force_encoding and enforce_file_format:
        raise ValueError("'force_encoding' cannot be used with 'enforce_file_format'")
    if not isinstance(dataset, Dataset):
        raise TypeError(f"dcmwrite() needs a dcmfast Dataset, not {type(dataset).__name__}")

    syntax = _target_syntax(dataset, transfer_syntax, implicit_vr, little_endian, force_encoding)
    preamble = dataset.__dict__.get("preamble")
    if preamble is None:
        preamble = b"\0" * 128
    elif len(preamble) != 128:
        raise ValueError(f"'{type(dataset).__name__}.preamble' must be 128-bytes long")

    body = _encode_body(dataset, syntax, sequence_lengths, True)
    head = preamble + b"DICM" + _encode_file_meta(dataset, syntax, enforce_file_format)
    parts = [head] + body
    _emit(filename, parts, overwrite)


def _emit(filename: Any, parts: list[Any], overwrite: bool) -> None:
    if isinstance(filename, (str, os.PathLike)):
        _write_path(os.fspath(filename), parts, overwrite)
        return
    write = getattr(filename, "write", None)
    if write is None:
        raise TypeError("dcmwrite: expected a file path or a writeable binary file object, but got "
                        f"{type(filename).__name__}")
    for part in parts:
        written = write(part)
        if isinstance(written, int) and 0 <= written < len(part):
            view = memoryview(part).cast("B")[written:]  # a raw file: write the rest
            while view:
                written = write(view)
                if not written:
                    raise OSError("dcmwrite: the file object wrote nothing")
                view = view[written:]


_O_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _write_path(path: str, parts: list[Any], overwrite: bool) -> None:
    """Write to a temporary file next to ``path``, then rename it into place."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if os.path.islink(path):
        path = os.path.realpath(path)  # write through a symbolic link, as open() would
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(f"'{path}' already exists")
    folder, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, _O_FLAGS, 0o666)
    try:
        with open(fd, "wb") as f:
            for part in parts:
                f.write(part)
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            pass
        else:
            os.chmod(tmp, mode)  # replacing a file keeps its permissions
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if the file appeared meanwhile
            except FileExistsError:
                raise
            except OSError:
                if os.path.lexists(path):
                    raise FileExistsError(f"'{path}' already exists") from None
                os.replace(tmp, path)
            else:
                os.unlink(tmp)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
