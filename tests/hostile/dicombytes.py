"""Hand-built DICOM byte strings for the hostile and tokenizer tests.

The builders are plain ``struct`` packing, no dcmfast and no pydicom, so what
the tests feed the reader is exactly what is written here. PS3.5 §7.1
(headers), §7.5 (items and delimiters), A.4 (encapsulation), PS3.10 §7.1
(file meta). :func:`length_fields` (the one user of dcmfast here) finds where
the length fields of an existing file are, through the tokenizer.
"""
from __future__ import annotations

import struct
import zlib

__all__ = [
    "LONG_VRS", "elem", "item", "item_undef", "item_delim", "seq_delim", "sq_undef",
    "file_meta", "part10", "nested_undefined", "nested_defined", "nested_un",
    "HOSTILE_CASES", "hostile_case", "Field", "length_fields", "walk",
]

#: VRs with the 12-byte explicit header (PS3.5 table 7.1-1)
LONG_VRS = frozenset("OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())

TAG_ITEM = 0xFFFEE000
TAG_ITEM_DELIM = 0xFFFEE00D
TAG_SEQ_DELIM = 0xFFFEE0DD
UNDEFINED = 0xFFFFFFFF


def _tag(tag: int, little: bool) -> bytes:
    return struct.pack("<HH" if little else ">HH", tag >> 16, tag & 0xFFFF)


def elem(tag: int, vr: str | bytes | None, value: bytes = b"", *, length: int | None = None,
         little: bool = True, implicit: bool = False, long_form: bool | None = None) -> bytes:
    """One element: header (explicit, or implicit when ``implicit``) + value.

    ``length`` overrides the length field (a lie, or 0xFFFFFFFF for undefined);
    ``vr`` may be raw bytes (garbage VRs); ``long_form`` forces the 12-byte
    (True) or 8-byte (False) explicit header whatever the VR.
    """
    n = len(value) if length is None else length
    e = "<" if little else ">"
    if implicit or vr is None:
        return _tag(tag, little) + struct.pack(e + "I", n) + value
    vrb = vr.encode("latin-1") if isinstance(vr, str) else vr
    if long_form is None:
        long_form = isinstance(vr, str) and vr in LONG_VRS
    if long_form:
        return _tag(tag, little) + vrb + struct.pack(e + "HI", 0, n) + value
    return _tag(tag, little) + vrb + struct.pack(e + "H", n & 0xFFFF) + value


def item(body: bytes = b"", *, length: int | None = None, little: bool = True) -> bytes:
    """An item (FFFE,E000) with a defined length (or the given lie)."""
    n = len(body) if length is None else length
    return _tag(TAG_ITEM, little) + struct.pack("<I" if little else ">I", n) + body


def item_undef(little: bool = True) -> bytes:
    return _tag(TAG_ITEM, little) + struct.pack("<I" if little else ">I", UNDEFINED)


def item_delim(little: bool = True) -> bytes:
    return _tag(TAG_ITEM_DELIM, little) + b"\0\0\0\0"


def seq_delim(little: bool = True) -> bytes:
    return _tag(TAG_SEQ_DELIM, little) + b"\0\0\0\0"


def sq_undef(tag: int = 0x00081115, *, little: bool = True, implicit: bool = False) -> bytes:
    """The header of an undefined-length SQ (Referenced Series Sequence by default)."""
    return elem(tag, "SQ", length=UNDEFINED, little=little, implicit=implicit)


def file_meta(transfer_syntax: str, *, sop_class: str = "1.2.840.10008.5.1.4.1.1.7",
              sop_instance: str = "1.2.3.4") -> bytes:
    """Preamble, 'DICM' and a group 0002 with its group length (explicit VR LE)."""
    def ui(value: str) -> bytes:
        raw = value.encode("ascii")
        return raw + b"\0" if len(raw) % 2 else raw

    body = (elem(0x00020001, "OB", b"\0\1")
            + elem(0x00020002, "UI", ui(sop_class))
            + elem(0x00020003, "UI", ui(sop_instance))
            + elem(0x00020010, "UI", ui(transfer_syntax)))
    return b"\0" * 128 + b"DICM" + elem(0x00020000, "UL", struct.pack("<I", len(body))) + body


def part10(dataset: bytes, transfer_syntax: str = "1.2.840.10008.1.2.1") -> bytes:
    return file_meta(transfer_syntax) + dataset


PN = elem(0x00100010, "PN", b"Doe^John")


def nested_undefined(depth: int, *, implicit: bool = False) -> bytes:
    """``depth`` undefined-length SQs, each holding one undefined-length item."""
    level = sq_undef(implicit=implicit) + item_undef()
    pn = elem(0x00100010, None, b"Doe^John") if implicit else PN
    return pn + level * depth + pn + (item_delim() + seq_delim()) * depth


def nested_defined(depth: int) -> bytes:
    """``depth`` defined-length SQs with defined-length items, lengths all true.

    Built from the lengths (not by wrapping bytes ``depth`` times, which is
    quadratic).
    """
    core = PN
    headers = []
    inner = len(core)
    for _ in range(depth):  # innermost first
        item_len = inner
        sq_len = 8 + item_len
        headers.append(elem(0x00081115, "SQ", length=sq_len) + item(length=item_len))
        inner = 12 + sq_len
    return PN + b"".join(reversed(headers)) + core


def nested_un(depth: int) -> bytes:
    """``depth`` defined-length UN elements whose tag is an SQ in the dictionary.

    The tokenizer sees each as a leaf; the facade parses its value as a
    sequence (pydicom's UN -> SQ) when it is accessed, one tokenizer call per
    level.
    """
    core = PN
    headers = []
    inner = len(core)
    for _ in range(depth):
        item_len = inner
        un_len = 8 + item_len
        headers.append(elem(0x00081115, "UN", length=un_len) + item(length=item_len))
        inner = 12 + un_len
    return PN + b"".join(reversed(headers)) + core


def _deflated(dataset: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return file_meta("1.2.840.10008.1.2.1.99") + c.compress(dataset) + c.flush()


def _zeros_deflated(n: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    chunk = b"\0" * (1 << 20)
    parts = [c.compress(chunk) for _ in range(n >> 20)]
    parts.append(c.compress(b"\0" * (n & ((1 << 20) - 1))))
    parts.append(c.flush())
    return b"".join(parts)


def _bomb_zeros() -> bytes:
    """~8 KB of deflate expanding to 8 MiB of zero bytes (8-byte empty elements)."""
    return file_meta("1.2.840.10008.1.2.1.99") + _zeros_deflated(8 << 20)


def _bomb_one_element() -> bytes:
    """~8 KB of deflate expanding to one 8 MiB OB element."""
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    n = 8 << 20
    head = elem(0x00091010, "OB", length=n)
    out = [c.compress(head)]
    chunk = b"\0" * (1 << 20)
    out += [c.compress(chunk) for _ in range(n >> 20)]
    out.append(c.flush())
    return file_meta("1.2.840.10008.1.2.1.99") + b"".join(out)


def _fragments(*frags: bytes, delimiter: bool = True, first_len: int | None = None) -> bytes:
    out = elem(0x7FE00010, "OB", length=UNDEFINED)
    for i, f in enumerate(frags):
        out += item(f, length=first_len if i == len(frags) - 1 and first_len is not None else None)
    return out + (seq_delim() if delimiter else b"")


def _lie_group_length(meta: bytes) -> bytes:
    at = meta.index(b"UL\x04\x00") + 4
    return meta[:at] + b"\xff\xff\xff\x7f" + meta[at + 4:]


# name -> (builder, expected): "ok" must read and walk (warnings allowed),
# "error" must raise InvalidDicomError, "either" may do both.
HOSTILE_CASES: dict[str, tuple] = {
    # absurd nesting
    "nest_10k_undefined": (lambda: nested_undefined(10_000), "error"),
    "nest_10k_undefined_implicit": (lambda: nested_undefined(10_000, implicit=True), "error"),
    "nest_10k_defined": (lambda: nested_defined(10_000), "error"),
    # values of 0xFFFF bytes or more stay UN, so 3,000 levels (60 KB) is the deep end
    "nest_3k_un_as_sq": (lambda: nested_un(3_000), "error"),
    "nest_60_undefined": (lambda: nested_undefined(60), "ok"),
    "nest_60_defined": (lambda: nested_defined(60), "ok"),
    "empty_items_100k": (lambda: PN + sq_undef() + item() * 100_000 + seq_delim(), "ok"),
    # lying lengths
    "sq_claims_4gb": (lambda: PN + elem(0x00081115, "SQ", item(PN), length=0xFFFFFFF0), "ok"),
    "sq_claims_fffffffe": (lambda: PN + elem(0x00081115, "SQ", item(PN), length=0xFFFFFFFE), "ok"),
    "item_claims_fffffff0": (lambda: PN + sq_undef() + item(PN, length=0xFFFFFFF0) + seq_delim(), "ok"),
    "item_claims_fffffff0_in_defined_sq":
        (lambda: PN + elem(0x00081115, "SQ", item(PN, length=0xFFFFFFF0)) + PN, "ok"),
    "ob_claims_fffffff0": (lambda: PN + elem(0x00091010, "OB", b"abcd", length=0xFFFFFFF0), "ok"),
    "ut_claims_fffffffe": (lambda: PN + elem(0x00080119, "UC", b"abcd", length=0xFFFFFFFE), "ok"),
    "implicit_claims_fffffff0": (lambda: elem(0x00100010, None, b"Doe^John", length=0xFFFFFFF0), "either"),
    "un_undefined_items_no_delimiter":
        (lambda: PN + elem(0x00091010, "UN", length=UNDEFINED) + item(PN) + item(PN), "ok"),
    "un_undefined_garbage_no_delimiter":
        (lambda: PN + elem(0x00091010, "UN", length=UNDEFINED) + b"garbage, not an item at all", "error"),
    "sq_undefined_never_closed": (lambda: PN + sq_undef() + item_undef() + PN * 4, "ok"),
    # encapsulated pixel data
    "fragment_length_past_end": (lambda: PN + _fragments(b"", b"abcd", first_len=0x7FFFFFFF,
                                                          delimiter=False), "ok"),
    "fragment_length_past_end_then_delimiter":
        (lambda: PN + _fragments(b"", b"abcd", first_len=0xFFFFFFF0), "ok"),
    "fragments_no_delimiter": (lambda: PN + _fragments(b"", b"abcd", delimiter=False), "ok"),
    "fragment_undefined_length": (lambda: PN + _fragments(b"", b"abcd", first_len=UNDEFINED), "ok"),
    # deflate
    "deflate_bomb_zeros": (_bomb_zeros, "either"),
    "deflate_bomb_one_element": (_bomb_one_element, "either"),
    "deflate_garbage": (lambda: file_meta("1.2.840.10008.1.2.1.99") + b"\xff" * 64, "either"),
    "deflate_truncated": (lambda: _deflated(PN * 100)[:-40], "either"),
    # garbage VRs in explicit VR data
    "vr_unknown_letters": (lambda: PN + elem(0x00100020, b"QQ", b"12345678"), "either"),
    "vr_binary": (lambda: PN + elem(0x00100020, b"\x01\x02", b"12345678"), "either"),
    "vr_ff": (lambda: PN + elem(0x00100020, b"\xff\xff", b"12345678", length=0xFFFF), "either"),
    "vr_lowercase": (lambda: PN + elem(0x00100020, b"lo", b"12345678"), "either"),
    "vr_garbage_in_meta": (lambda: file_meta("1.2.840.10008.1.2.1").replace(b"UI", b"\x00\x01", 1) + PN,
                           "either"),
    # delimiters where they do not belong
    "item_delimiter_at_top": (lambda: PN + item_delim() + PN, "ok"),
    "seq_delimiter_at_top": (lambda: PN + seq_delim() + PN, "either"),
    "item_at_top": (lambda: PN + item(PN) + PN, "either"),
    # (what follows the delimiter is read at top level: an item there)
    "seq_delimiter_in_defined_sq": (lambda: PN + elem(0x00081115, "SQ", item(PN) + seq_delim() + item(PN)),
                                    "either"),
    "empty": (lambda: b"", "either"),
    "dicm_only": (lambda: b"\0" * 128 + b"DICM", "either"),
    "meta_group_length_lie": (lambda: _lie_group_length(file_meta("1.2.840.10008.1.2")) + PN, "either"),
    "meta_only_lying_uid_length": (lambda: file_meta("1.2.840.10008.1.2.1")[:-30] + b"UI\xff\xff", "either"),
}


def hostile_case(name: str) -> bytes:
    return HOSTILE_CASES[name][0]()


# -- reading everything ---------------------------------------------------------------

def walk(ds) -> int:
    """Decode everything a (lazy) dcmfast Dataset holds; the number of elements.

    Every element's value recursively (``iterall``), ``str(ds)``, and the file
    meta the same way.
    """
    n = 0
    for e in ds.iterall():
        e.value
        n += 1
    str(ds)
    meta = ds.__dict__.get("file_meta")
    if meta is not None:
        for e in meta.iterall():
            e.value
            n += 1
        str(meta)
    return n


# -- where the headers of a real file are -------------------------------------------

class Field:
    """One element/item header of an encoded file and its length field."""

    __slots__ = ("offset", "value_offset", "length", "pos", "size", "little", "tag")

    def __init__(self, offset: int, value_offset: int, length: int, pos: int, size: int,
                 little: bool, tag: int) -> None:
        self.offset = offset              # first byte of the header
        self.value_offset = value_offset  # first byte of the value
        self.length = length              # value length as tokenized
        self.pos = pos                    # first byte of the length field
        self.size = size                  # 2 or 4
        self.little = little
        self.tag = tag

    def __repr__(self) -> str:
        return (f"Field(tag={self.tag:08X}, offset={self.offset}, length field at {self.pos} "
                f"({self.size} bytes {'LE' if self.little else 'BE'}))")

    def write(self, buf: bytearray, value: int) -> None:
        """Overwrite the length field with ``value`` (cut to the field's width)."""
        value &= (1 << (8 * self.size)) - 1
        buf[self.pos:self.pos + self.size] = value.to_bytes(self.size, "little" if self.little else "big")


def _table_fields(table) -> list[Field]:
    from dcmfast import _parse

    out = []
    little = table.little_endian
    for i in range(len(table)):
        off, voff, flags, kind = table.offset(i), table.value_offset(i), table.flags(i), table.kind(i)
        hlen = voff - off
        if kind != _parse.TOK_ELEMENT:
            pos, size = off + 4, 4
        elif hlen == 12:
            pos, size = off + 8, 4
        elif hlen == 8 and flags & _parse.TF_IMPLICIT:
            pos, size = off + 4, 4
        elif hlen == 8:
            pos, size = off + 6, 2
        else:  # header cut short by the end of the data
            continue
        out.append(Field(off, voff, table.length(i), pos, size, little, table.tag(i)))
    return out


def length_fields(data: bytes) -> tuple[list[Field], list[Field], bool]:
    """(file meta fields, data set fields, deflated) of a file, as dcmread reads it.

    Mirrors filereader.dcmread's calls of the tokenizer (preamble, group 0002
    in explicit VR LE, an optional command set, then the data set in the
    transfer syntax dcmread chose). Fields of a deflated data set are not
    listed (they are in the inflated bytes, not in ``data``).
    """
    import warnings

    import dcmfast
    from dcmfast import _parse, filereader

    sq, known = filereader._dictionary_arrays()
    n = len(data)
    pos = 132 if n >= 132 and data[128:132] == b"DICM" else 0
    meta_fields: list[Field] = []
    fields: list[Field] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = dcmfast.dcmread(data, force=True)
        if data[pos:pos + 2] == b"\x02\x00" and n - pos >= 8:
            meta = _parse.tokenize(data, little_endian=True, implicit=False,
                                   stop=_parse.STOP_AFTER_META, sq_tags=sq, known_tags=known, start=pos)
            meta_fields = _table_fields(meta)
            pos = meta.stop_offset
        ts = ds.file_meta.get("TransferSyntaxUID")
        if ts == "1.2.840.10008.1.2.1.99":
            return meta_fields, fields, True
        if data[pos:pos + 2] == b"\x00\x00" and n - pos >= 8:
            command = _parse.tokenize(data, little_endian=True, implicit=True,
                                      stop=_parse.STOP_AFTER_COMMAND, sq_tags=sq, known_tags=known,
                                      start=pos)
            fields += _table_fields(command)
            pos = command.stop_offset
        if pos < n:
            table = _parse.tokenize(data, little_endian=ds.is_little_endian,
                                    implicit=ds.is_implicit_VR, sq_tags=sq, known_tags=known,
                                    start=pos)
            fields += _table_fields(table)
    return meta_fields, fields, False
