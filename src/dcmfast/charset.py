"""Specific Character Set handling for text values.

This module converts the defined terms of (0008,0005) *Specific Character
Set* into Python codec names and decodes / encodes the values of the text
VRs (SH, LO, UC, ST, LT, UT and PN) accordingly, including ISO 2022 code
extensions (escape sequences).

The behaviour -- decoded text, fallbacks and warning messages -- mirrors
``pydicom.charset`` (pydicom 3.0.x) so that values decoded by dcmfast compare
equal to the ones decoded by pydicom, quirks included.  The relevant parts of
the DICOM standard are PS3.3 C.12.1.1.2, PS3.5 section 6.1 and the Annexes
H (Japanese), I (Korean), J (UTF-8 / GB18030 / GBK) and K (ISO 2022 GB2312).

Notes
-----
The module is standalone (standard library only) and its common path is
cheap: for single-byte/UTF-8 character sets and values without an escape
character, :func:`decode_bytes` performs one membership test, one dictionary
lookup and one ``bytes.decode`` call using a codec name that CPython decodes
without a codec registry lookup.

Functions that can fail on invalid input take a keyword-only ``strict``
flag.  ``strict=False`` (the default) corresponds to pydicom's ``WARN`` and
``IGNORE`` validation modes (a ``UserWarning`` is issued and a fallback is
used), ``strict=True`` to its ``RAISE`` mode (the exception pydicom raises is
raised).
"""

from __future__ import annotations

import codecs
import warnings
from collections.abc import Collection, Mapping, Sequence
from functools import lru_cache
from types import MappingProxyType

__all__ = [
    "CODE_EXTENSION_TERMS",
    "CODEC_TO_ESCAPE",
    "CUSTOMIZABLE_CHARSET_VRS",
    "DEFAULT_ENCODING",
    "DEFINED_TERMS",
    "ESCAPE_TO_CODEC",
    "PN_DELIMS",
    "PYTHON_ENCODINGS",
    "STAND_ALONE_TERMS",
    "TEXT_VR_DELIMS",
    "convert_encodings",
    "decode_bytes",
    "decode_person_name",
    "decode_text",
    "delimiters_for_vr",
    "encode_person_name",
    "encode_string",
]

# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

#: Python codec used when no (or an unknown) character set is given.  DICOM's
#: default repertoire is ISO IR 6 (ASCII); like pydicom we decode it as
#: ISO 8859-1 (``"iso8859"`` is Python's alias for ``latin_1``) so that
#: non-conformant 8-bit values still decode.
DEFAULT_ENCODING = "iso8859"

#: DICOM defined term of *Specific Character Set* -> Python codec name.
#: The codec names are the ones pydicom uses (they appear in warnings and are
#: compared against the values of :data:`ESCAPE_TO_CODEC`).
PYTHON_ENCODINGS: Mapping[str, str] = MappingProxyType(
    {
        # no value: default repertoire
        "": DEFAULT_ENCODING,
        # single-byte character sets without code extensions (PS3.3 C.12-2)
        "ISO_IR 6": DEFAULT_ENCODING,
        "ISO_IR 13": "shift_jis",
        "ISO_IR 100": "latin_1",
        "ISO_IR 101": "iso8859_2",
        "ISO_IR 109": "iso8859_3",
        "ISO_IR 110": "iso8859_4",
        "ISO_IR 126": "iso_ir_126",
        "ISO_IR 127": "iso_ir_127",
        "ISO_IR 138": "iso_ir_138",
        "ISO_IR 144": "iso_ir_144",
        "ISO_IR 148": "iso_ir_148",
        "ISO_IR 166": "iso_ir_166",
        # character sets with code extensions (PS3.3 C.12-3 and C.12-4)
        "ISO 2022 IR 6": DEFAULT_ENCODING,
        "ISO 2022 IR 13": "shift_jis",
        "ISO 2022 IR 87": "iso2022_jp",
        "ISO 2022 IR 100": "latin_1",
        "ISO 2022 IR 101": "iso8859_2",
        "ISO 2022 IR 109": "iso8859_3",
        "ISO 2022 IR 110": "iso8859_4",
        "ISO 2022 IR 126": "iso_ir_126",
        "ISO 2022 IR 127": "iso_ir_127",
        "ISO 2022 IR 138": "iso_ir_138",
        "ISO 2022 IR 144": "iso_ir_144",
        "ISO 2022 IR 148": "iso_ir_148",
        "ISO 2022 IR 149": "euc_kr",
        "ISO 2022 IR 159": "iso2022_jp_2",
        "ISO 2022 IR 166": "iso_ir_166",
        "ISO 2022 IR 58": "iso_ir_58",
        # multi-byte character sets without code extensions (PS3.3 C.12-5)
        "ISO_IR 192": "UTF8",
        "GB18030": "GB18030",
        "GBK": "GBK",
        # non-standard terms accepted by pydicom (from DICOM CP 1234 drafts)
        "ISO 2022 GBK": "GBK",
        "ISO 2022 58": "GB2312",
    }
)

#: All defined terms understood by :func:`convert_encodings` (without the
#: empty value, which means "default repertoire").
DEFINED_TERMS: tuple[str, ...] = tuple(term for term in PYTHON_ENCODINGS if term)

#: Defined terms that may only be used as the single value of *Specific
#: Character Set* (PS3.3 Table C.12-5, PS3.5 6.1.2.5.4 d).
STAND_ALONE_TERMS: frozenset[str] = frozenset({"ISO_IR 192", "GBK", "GB18030"})

#: Defined terms that use ISO 2022 code extension techniques.
CODE_EXTENSION_TERMS: tuple[str, ...] = tuple(
    term for term in DEFINED_TERMS if term.startswith("ISO 2022")
)

_ESC = b"\x1b"
_ESC_INT = 0x1B

#: ISO 2022 escape sequence -> Python codec (PS3.3 Tables C.12-3 and C.12-4).
ESCAPE_TO_CODEC: Mapping[bytes, str] = MappingProxyType(
    {
        b"\x1b(B": DEFAULT_ENCODING,  # ISO-IR 6 (ASCII) invoked into G0
        b"\x1b-A": "latin_1",  # ISO-IR 100
        b"\x1b)I": "shift_jis",  # ISO-IR 13 (JIS X 0201 katakana) into G1
        b"\x1b(J": "shift_jis",  # ISO-IR 14 (JIS X 0201 romaji) into G0
        b"\x1b$B": "iso2022_jp",  # ISO-IR 87 (JIS X 0208)
        b"\x1b-B": "iso8859_2",  # ISO-IR 101
        b"\x1b-C": "iso8859_3",  # ISO-IR 109
        b"\x1b-D": "iso8859_4",  # ISO-IR 110
        b"\x1b-F": "iso_ir_126",  # ISO-IR 126 (Greek)
        b"\x1b-G": "iso_ir_127",  # ISO-IR 127 (Arabic)
        b"\x1b-H": "iso_ir_138",  # ISO-IR 138 (Hebrew)
        b"\x1b-L": "iso_ir_144",  # ISO-IR 144 (Cyrillic)
        b"\x1b-M": "iso_ir_148",  # ISO-IR 148 (Latin 5)
        b"\x1b-T": "iso_ir_166",  # ISO-IR 166 (Thai)
        b"\x1b$)C": "euc_kr",  # ISO-IR 149 (KS X 1001)
        b"\x1b$(D": "iso2022_jp_2",  # ISO-IR 159 (JIS X 0212)
        b"\x1b$)A": "iso_ir_58",  # ISO-IR 58 (GB 2312)
    }
)

#: Python codec -> escape sequence inserted when encoding with code
#: extensions.  For ``shift_jis`` the sequence depends on the encoded bytes
#: (ISO-IR 13 katakana vs ISO-IR 14 romaji), see :func:`_escape_for_codec`.
CODEC_TO_ESCAPE: Mapping[str, bytes] = MappingProxyType(
    {
        **{codec: seq for seq, codec in ESCAPE_TO_CODEC.items()},
        "shift_jis": b"\x1b)I",
    }
)

_ESC_ISO_IR_13 = b"\x1b)I"
_ESC_ISO_IR_14 = b"\x1b(J"

#: Codecs for which the escape sequence is kept in the fragment passed to
#: Python (pydicom's ``handled_encodings``).  Note that Python's ``gb2312``
#: codec (alias ``iso_ir_58``) does *not* understand ``ESC $ ) A``; pydicom
#: therefore leaves the escape sequence as text in the decoded value, and so
#: do we.
_SELF_ESCAPING_CODECS = frozenset({"iso2022_jp", "iso2022_jp_2", "iso_ir_58"})

#: Codecs whose encoded value is followed by the escape sequence of the first
#: character set (switch back from the JIS X 0208/0212 G0 sets).
_TAIL_ESCAPE_CODECS = frozenset({"iso2022_jp", "iso2022_jp_2"})

#: Byte codes that reset the active character set to the initial one inside
#: a text value (PS3.5 6.1.2.5.3): CR, LF, TAB and FF.
TEXT_VR_DELIMS: frozenset[int] = frozenset({0x0D, 0x0A, 0x09, 0x0C})

#: Byte codes resetting the character set inside a PN component group (``^``).
#: The group separator ``=`` is handled by splitting the value first.
PN_DELIMS: frozenset[int] = frozenset({0x5E})

#: VRs whose values are affected by *Specific Character Set*; all other
#: string VRs use the default repertoire.
CUSTOMIZABLE_CHARSET_VRS: frozenset[str] = frozenset(
    {"SH", "LO", "UC", "ST", "LT", "UT", "PN"}
)

# ---------------------------------------------------------------------------
# Fast codec name resolution
# ---------------------------------------------------------------------------

# CPython's bytes.decode()/str.encode() have built-in fast paths for a few
# spellings of UTF-8, Latin-1 and ASCII; every other name (e.g. pydicom's
# "iso8859") costs a codec registry lookup and a Python-level call, which is
# about 8 times slower for short values.  Codecs that are UTF-8, Latin-1 or
# ASCII are mapped to such a spelling; the results are identical.
_CPYTHON_FAST_SPELLING = {"iso8859-1": "latin_1", "utf-8": "utf_8", "ascii": "ascii"}

# Canonical names (``codecs.lookup(name).name``) of stateless codecs which
# decode every byte in 0x00-0x7F except ESC to the same ASCII character.
# For these an ASCII-only value is decoded with the (fast) ASCII codec.
_ASCII_TRANSPARENT_CODECS = frozenset(
    {
        *(f"iso8859-{n}" for n in range(2, 17) if n != 12),
        "tis-620",
        "shift_jis",
        "euc_kr",
        "gb2312",
        "gbk",
        "gb18030",
        "iso2022_jp",
        "iso2022_jp_2",
    }
)

# Memos keyed by codec name as given (e.g. by convert_encodings); filled by
# _learn_codec() the first time a name is seen.
_C_FAST_NAME: dict[str, str] = {}  # Latin-1/UTF-8/ASCII codecs -> fast name
_ASCII_SHORTCUT: set[str] = set()  # other codecs that are ASCII-transparent
_LEARNED: set[str] = set()  # names already examined


def _learn_codec(name: str) -> None:
    """Classify codec `name` for the fast paths (see the memos above).

    Parameters
    ----------
    name : str
        A Python codec name, e.g. as returned by :func:`convert_encodings`.
        Unknown names are remembered as examined and get no fast path.
    """
    _LEARNED.add(name)
    try:
        canonical = codecs.lookup(name).name
    except (LookupError, ValueError, TypeError):
        return
    if canonical in _CPYTHON_FAST_SPELLING:
        _C_FAST_NAME[name] = _CPYTHON_FAST_SPELLING[canonical]
    elif canonical in _ASCII_TRANSPARENT_CODECS:
        _ASCII_SHORTCUT.add(name)


for _codec in (*PYTHON_ENCODINGS.values(), "latin1", "utf8", "utf_8", "utf-8"):
    _learn_codec(_codec)
del _codec


def _decode_other_codec(value: bytes, codec: str) -> str:
    """Decode `value` (no ESC) with a codec that has no CPython fast path."""
    if codec not in _LEARNED:
        _learn_codec(codec)
        fast = _C_FAST_NAME.get(codec)
        if fast is not None:
            return value.decode(fast)
    if codec in _ASCII_SHORTCUT and value.isascii():
        return value.decode("ascii")
    return value.decode(codec)


def _warn(message: str, stacklevel: int = 3) -> None:
    """Issue a :class:`dcmfast.DicomWarning` (a ``UserWarning``, as pydicom's)."""
    from dcmfast.errors import DicomWarning

    warnings.warn(message, DicomWarning, stacklevel=stacklevel)


# ---------------------------------------------------------------------------
# Specific Character Set -> Python codecs
# ---------------------------------------------------------------------------


def convert_encodings(
    specific_character_set: str | Sequence[str] | None, *, strict: bool = False
) -> list[str]:
    """Convert the value of *Specific Character Set* into Python codecs.

    Mirrors ``pydicom.charset.convert_encodings``:

    * an empty value (``None``, ``""``, ``[]``, or an empty first value)
      means the default repertoire (``"iso8859"``);
    * common misspellings (``"ISO IR 100"``, ``"ISO-IR 192"``,
      ``"ISO_2022-IR 100"``...) are corrected with a warning;
    * values that are already Python codec names (``"latin_1"``, and also
      ``"ISO_IR_100"``, which Python's codec registry resolves) are
      returned unchanged, without a warning;
    * anything else is replaced by the default codec with a warning (or
      ``LookupError`` if `strict`);
    * a stand-alone character set (``ISO_IR 192``, ``GBK``, ``GB18030``)
      as first value drops all further values, as a later value it is
      dropped; both with a warning.

    Results are cached; the warnings are re-issued on every call.

    Parameters
    ----------
    specific_character_set : str, sequence of str or None
        The (possibly multi-valued) value of (0008,0005).
    strict : bool, optional
        If ``True``, raise ``LookupError`` for unknown terms instead of
        warning and using the default codec.

    Returns
    -------
    list of str
        The Python codec names, one per (retained) value.  A new list is
        returned on every call.

    Raises
    ------
    LookupError
        If `strict` is ``True`` and a term cannot be converted.
    """
    if not specific_character_set:
        key: tuple[str, ...] = ("",)
    elif isinstance(specific_character_set, str):
        key = (specific_character_set,)
    else:
        key = tuple(specific_character_set)
    result, messages, error = _convert_encodings_cached(key, strict)
    for message in messages:
        _warn(message)
    if error is not None:
        raise LookupError(error)
    return list(result)


@lru_cache(maxsize=512)
def _convert_encodings_cached(
    terms: tuple[str, ...], strict: bool
) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
    """Cached worker of :func:`convert_encodings`.

    Returns
    -------
    tuple
        ``(codecs, warning_messages, error_message)``; `error_message` is
        set if `strict` is ``True`` and an unknown term was found, in which
        case the conversion stopped at that term (as pydicom does).
    """
    if not terms[0]:
        terms = ("ISO_IR 6", *terms[1:])
    messages: list[str] = []
    result: list[str] = []
    for term in terms:
        codec = PYTHON_ENCODINGS.get(term)
        if codec is None:
            codec, error = _codec_for_invalid_term(term, strict, messages)
            if error is not None:
                return tuple(result), tuple(messages), error
        result.append(codec)

    if len(terms) > 1:
        if terms[0] in STAND_ALONE_TERMS:
            messages.append(
                f"Value '{terms[0]}' for Specific Character Set does not allow "
                f"code extensions, ignoring: {', '.join(terms[1:])}"
            )
            del result[1:]
        else:
            # pydicom reports the offending values from last to first
            for index in range(len(terms) - 1, 0, -1):
                if terms[index] in STAND_ALONE_TERMS:
                    messages.append(
                        f"Value '{terms[index]}' cannot be used as code "
                        "extension, ignoring it"
                    )
                    del result[index]

    return tuple(result), tuple(messages), None


def _patched_term(term: str) -> str | None:
    """Return the corrected spelling for a commonly misspelled term.

    Two patterns are recognized (matching pydicom):

    * ``ISO?IR...`` where ``?`` is not an underscore -> ``ISO_IR...``
      (e.g. ``"ISO IR 100"``, ``"ISO-IR 192"``);
    * ``ISO.2022.IR.`` with any non-newline separators, unless already
      spelled ``"ISO 2022 IR "`` -> ``"ISO 2022 IR " + rest``.

    Returns
    -------
    str or None
        The patched term, or ``None`` if neither pattern matches.
    """
    if not term.startswith("ISO"):
        return None
    if len(term) >= 6 and term[3] != "_" and term[4:6] == "IR":
        return "ISO_IR" + term[6:]
    if (
        len(term) >= 12
        and term[4:8] == "2022"
        and term[9:11] == "IR"
        and "\n" not in (term[3], term[8], term[11])
        and not term.startswith("ISO 2022 IR ")
    ):
        return "ISO 2022 IR " + term[12:]
    return None


def _codec_for_invalid_term(
    term: str, strict: bool, messages: list[str]
) -> tuple[str, str | None]:
    """Convert a term that is not a defined term.

    Parameters
    ----------
    term : str
        The unknown value of *Specific Character Set*.
    strict : bool
        Whether unknown terms are an error.
    messages : list of str
        Warning messages are appended to this list.

    Returns
    -------
    tuple of (str, str or None)
        The Python codec and, if `strict` and `term` is unknown, the error
        message for ``LookupError``.
    """
    patched = _patched_term(term)
    if patched is not None:
        codec = PYTHON_ENCODINGS.get(patched)
        if codec is not None:
            messages.append(
                f"Incorrect value for Specific Character Set '{term}' - "
                f"assuming '{patched}'"
            )
            return codec, None
    else:
        # maybe it is already a Python codec name
        try:
            codecs.lookup(term)
        except (LookupError, ValueError):
            # ValueError: embedded NUL (pydicom would propagate it)
            pass
        else:
            return term, None

    if strict:
        return DEFAULT_ENCODING, f"Unknown encoding '{term}'"
    messages.append(f"Unknown encoding '{term}' - using default encoding instead")
    return DEFAULT_ENCODING, None


# ---------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------


def decode_bytes(
    value: bytes,
    encodings: Sequence[str],
    delimiters: Collection[int],
    *,
    strict: bool = False,
) -> str:
    """Decode an encoded text value using ISO 2022 code extensions.

    Mirrors ``pydicom.charset.decode_bytes``.  Without an ESC byte in
    `value` the whole value is decoded with the first codec.  Otherwise the
    value is split before every ESC; a leading part without escape sequence
    is decoded with the first codec, every other part with the codec
    selected by its escape sequence (PS3.3 Tables C.12-3/4), up to the first
    delimiter, after which the first codec is active again.  ``ESC ( B``
    (ASCII) is always accepted; any other escape sequence must belong to one
    of `encodings`.

    Fallbacks (``strict=False``), each with a ``UserWarning``:

    * first codec unknown (no ESC in value): default codec is used;
    * undecodable bytes: the value (or, with escape sequences, the
      offending part including its escape sequence) is decoded with the
      first codec and ``errors="replace"``;
    * unknown escape sequence: that part, escape sequence included, is
      decoded with the first codec and ``errors="replace"``.

    Parameters
    ----------
    value : bytes
        The raw value (may contain several values separated by ``\\``).
    encodings : sequence of str
        Python codecs as returned by :func:`convert_encodings`.
    delimiters : collection of int
        Byte codes that switch back to the first codec inside a part
        introduced by a single-byte escape sequence.
    strict : bool, optional
        If ``True``, raise instead of warning and falling back.

    Returns
    -------
    str
        The decoded text.

    Raises
    ------
    UnicodeDecodeError
        If `strict` and the value cannot be decoded.
    LookupError
        If `strict` and the first codec is unknown, or (always, as in
        pydicom) if a codec needed for a value with escape sequences is
        unknown.
    ValueError
        If `strict` and an unknown escape sequence is found.
    """
    if _ESC_INT not in value:
        first = encodings[0]
        fast = _C_FAST_NAME.get(first)
        try:
            if fast is not None:
                return value.decode(fast)
            return _decode_other_codec(value, first)
        except LookupError:
            if strict:
                raise
            _warn(f"Unknown encoding '{first}' - using default encoding instead")
            return value.decode("latin_1")
        except UnicodeError:
            if strict:
                raise
            _warn(
                f"Failed to decode byte string with encoding '{first}' - using "
                "replacement characters in decoded string"
            )
            return value.decode(first, errors="replace")

    # Split before each ESC: `parts[0]` has no escape sequence (it may be
    # empty), every following part started with ESC.
    parts = value.split(_ESC)
    pieces = [_decode_fragment(parts[0], encodings, delimiters, strict)] if parts[0] else []
    for part in parts[1:]:
        pieces.append(_decode_fragment(_ESC + part, encodings, delimiters, strict))
    return "".join(pieces)


def _decode_fragment(
    fragment: bytes,
    encodings: Sequence[str],
    delimiters: Collection[int],
    strict: bool,
) -> str:
    """Decode one part of a value: either it has no escape sequence (and is
    decoded with the first codec) or it starts with ESC.

    See :func:`decode_bytes` for the parameters and fallbacks.
    """
    try:
        if fragment[:1] == _ESC:
            return _decode_escaped_fragment(fragment, encodings, delimiters, strict)
        return fragment.decode(encodings[0])
    except UnicodeError:
        if strict:
            raise
        _warn(
            f"Failed to decode byte string with encodings: {', '.join(encodings)}"
            " - using replacement characters in decoded string",
            stacklevel=4,
        )
        return fragment.decode(encodings[0], errors="replace")


def _decode_escaped_fragment(
    fragment: bytes,
    encodings: Sequence[str],
    delimiters: Collection[int],
    strict: bool,
) -> str:
    """Decode a part of a value that starts with an escape sequence."""
    # 4-byte sequences designate 94x94 sets: ESC $ ( F and ESC $ ) F
    seq_len = 4 if fragment[1:3] in (b"$(", b"$)") else 3
    codec = ESCAPE_TO_CODEC.get(fragment[:seq_len])
    if codec is not None and (codec == DEFAULT_ENCODING or codec in encodings):
        if codec in _SELF_ESCAPING_CODECS:
            # Python's ISO 2022 codecs interpret the escape sequence
            # themselves; delimiters are not checked (pydicom does the same)
            return fragment.decode(codec)
        text = fragment[seq_len:]
        cut = _first_delimiter(text, delimiters)
        if cut < 0:
            return text.decode(codec)
        # a delimiter switches back to the initial character set
        return text[:cut].decode(codec) + text[cut:].decode(encodings[0])

    message = "Found unknown escape sequence in encoded string value"
    if strict:
        raise ValueError(message)
    _warn(f"{message} - using encoding {encodings[0]}", stacklevel=5)
    return fragment.decode(encodings[0], errors="replace")


def _first_delimiter(data: bytes, delimiters: Collection[int]) -> int:
    """Return the index of the first delimiter byte in `data`, or -1."""
    first = -1
    for delimiter in delimiters:
        index = data.find(delimiter)
        if index >= 0 and (first < 0 or index < first):
            first = index
    return first


def delimiters_for_vr(vr: str) -> frozenset[int]:
    """Return the byte codes that reset code extensions in values of `vr`.

    As in pydicom's reading code all VRs affected by *Specific Character
    Set* -- PN included -- use :data:`TEXT_VR_DELIMS` (CR, LF, TAB, FF) when
    the whole value is decoded; :data:`PN_DELIMS` (``^``) only applies to
    :func:`decode_person_name`, which decodes the component groups
    separately.  The value separator ``\\`` is not a delimiter.

    Parameters
    ----------
    vr : str
        A two-letter value representation.

    Returns
    -------
    frozenset of int
        The delimiter byte codes (empty for VRs that ignore the character
        set).
    """
    return TEXT_VR_DELIMS if vr in CUSTOMIZABLE_CHARSET_VRS else frozenset()


def decode_text(
    value: bytes, encodings: Sequence[str], vr: str, *, strict: bool = False
) -> str:
    """Decode the complete raw value of a string element with VR `vr`.

    Matches what pydicom's ``dcmread`` produces before splitting the
    result into values and stripping padding:

    * SH, LO, UC, ST, LT, UT and PN are decoded with :func:`decode_bytes`
      and :data:`TEXT_VR_DELIMS` (pydicom 3 decodes a whole PN value this
      way, too -- ``^``/``=`` do *not* reset the character set here);
    * all other VRs (AE, AS, CS, DA, DS, DT, IS, TM, UI, UR) ignore
      *Specific Character Set* and are decoded as ISO 8859-1.

    For pydicom-equal values the caller then applies: SH/LO/UC -- split on
    ``"\\"``, ``rstrip("\\0 ")`` each value; ST/LT/UT -- ``rstrip("\\0 ")``;
    PN -- strip ``b"\\0 "`` from the right of the *raw* value before
    decoding, then split on ``"\\"`` and each value on ``"="`` (dropping
    trailing empty groups) -- pydicom also re-encodes each name at once
    (:func:`encode_person_name`) to set ``original_string``, which warns if
    the decoded text is not encodable (e.g. contains U+FFFD).

    Parameters
    ----------
    value : bytes
        The raw element value.
    encodings : sequence of str
        Python codecs as returned by :func:`convert_encodings`.
    vr : str
        The value representation of the element.
    strict : bool, optional
        Passed on to :func:`decode_bytes`.

    Returns
    -------
    str
        The decoded value.
    """
    if vr in CUSTOMIZABLE_CHARSET_VRS:
        return decode_bytes(value, encodings, TEXT_VR_DELIMS, strict=strict)
    return value.decode("latin_1")


def decode_person_name(
    value: bytes, encodings: Sequence[str], *, strict: bool = False
) -> list[str]:
    """Decode the component groups of a single PN value separately.

    Mirrors ``PersonName(value, encodings).components`` in pydicom: the raw
    value is split on ``b"="`` and each of the (up to three) groups --
    alphabetic, ideographic, phonetic -- is decoded with
    :func:`decode_bytes` and :data:`PN_DELIMS`, so each group starts in the
    initial character set and ``^`` switches back to it.  Trailing empty
    groups are removed.

    This is *not* how pydicom's ``dcmread`` decodes PN elements (see
    :func:`decode_text`); the two differ when a single-byte code extension
    is not switched back before ``^`` or ``=``, e.g. the bytes ``ESC - L 0xC0 ^ 0xC0``
    with ``["iso8859", "iso_ir_144"]`` is ``"Р^À"`` here, ``"Р^Р"`` there.

    Parameters
    ----------
    value : bytes
        One raw PN value (already split on ``b"\\\\"``, padding removed).
    encodings : sequence of str
        Python codecs as returned by :func:`convert_encodings`.
    strict : bool, optional
        Passed on to :func:`decode_bytes`.

    Returns
    -------
    list of str
        The decoded component groups (``"=".join(...)`` gives the name).
    """
    groups = [
        decode_bytes(group, encodings, PN_DELIMS, strict=strict)
        for group in value.split(b"=")
    ]
    while groups and not groups[-1]:
        groups.pop()
    return groups


# ---------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------


def encode_string(
    value: str, encodings: Sequence[str], *, strict: bool = False
) -> bytes:
    """Encode `value` using the first suitable codec in `encodings`.

    Mirrors ``pydicom.charset.encode_string``:

    1. The codecs are tried in order on the whole value.  A codec other
       than the first is announced by its escape sequence (except for the
       ISO 2022 codecs Python writes escape sequences for); after JIS X 0208
       / 0212 text the escape sequence of the first codec is appended.
    2. Otherwise, with several codecs, the value is split into runs, each
       encoded with the codec covering the longest run and preceded by its
       escape sequence (also for the first run).
    3. Otherwise a ``UserWarning`` is issued (``UnicodeEncodeError`` if
       `strict`, when the first codec alone fails) and the value is encoded
       with the first codec and ``errors="replace"``.

    ``shift_jis`` stands for JIS X 0201 only (ISO-IR 13 katakana or ISO-IR 14
    romaji, never mixed within one run); ``iso2022_jp`` / ``iso2022_jp_2``
    for JIS X 0208 / JIS X 0212 runs.

    Parameters
    ----------
    value : str
        The text to encode.
    encodings : sequence of str
        Python codecs as returned by :func:`convert_encodings`.
    strict : bool, optional
        If ``True``, raise ``UnicodeEncodeError`` instead of falling back.

    Returns
    -------
    bytes
        The encoded value.

    Raises
    ------
    UnicodeEncodeError
        If `strict` and `value` cannot be encoded.
    """
    first = encodings[0]
    if not value and first in _TAIL_ESCAPE_CODECS:
        # pydicom fails here with an IndexError
        return b""

    # common case: the first codec can encode the whole value (no escape
    # sequences are involved for the first codec unless it is a JIS codec)
    fast = _C_FAST_NAME.get(first)
    if fast is not None:
        try:
            return value.encode(fast)
        except UnicodeEncodeError:
            pass
    elif first in _ASCII_SHORTCUT and first not in _JIS_CODECS and value.isascii():
        return value.encode("ascii")

    for index, codec in enumerate(encodings):
        try:
            encoded = _encode_with_codec(value, codec)
        except UnicodeError:
            continue
        if index > 0 and codec not in _SELF_ESCAPING_CODECS:
            encoded = _escape_for_codec(codec, encoded) + encoded
        if codec in _TAIL_ESCAPE_CODECS:
            encoded += _escape_for_codec(encodings[0])
        return encoded

    if len(encodings) > 1:
        try:
            return _encode_in_runs(value, encodings)
        except ValueError:
            pass

    if strict:
        value.encode(encodings[0])  # raises for all but the JIS X 0201 case
    _warn(
        f"Failed to encode value with encodings: {', '.join(encodings)} - using "
        "replacement characters in encoded string"
    )
    return _encode_with_codec(value, encodings[0], errors="replace")


def encode_person_name(
    components: str | Sequence[str], encodings: Sequence[str], *, strict: bool = False
) -> bytes:
    """Encode a person name, group by group and component by component.

    Mirrors pydicom's ``PersonName.encode``: every ``^``-separated name
    component of every component group is encoded separately with
    :func:`encode_string` (so each starts in the initial character set),
    trailing empty groups are dropped and the groups are joined with ``=``.

    Parameters
    ----------
    components : str or sequence of str
        The (up to three) component groups, or the whole name as ``str``
        (split on ``"="``).
    encodings : sequence of str
        Python codecs as returned by :func:`convert_encodings`.
    strict : bool, optional
        Passed on to :func:`encode_string`.

    Returns
    -------
    bytes
        The encoded PN value.
    """
    if isinstance(components, str):
        components = components.split("=")
    encoded = [
        b"^".join(
            encode_string(part, encodings, strict=strict) for part in group.split("^")
        )
        for group in components
    ]
    while encoded and not encoded[-1]:
        encoded.pop()
    return b"=".join(encoded)


def _escape_for_codec(codec: str, encoded: bytes | None = None) -> bytes:
    """Return the escape sequence announcing text encoded with `codec`.

    For ``shift_jis`` this is ``ESC ) I`` (ISO-IR 13) if the first encoded
    byte is a katakana byte (>= 0x80), else ``ESC ( J`` (ISO-IR 14); the
    latter also if `encoded` is not given.  Unknown codecs yield ``b""``.
    """
    if codec == "shift_jis":
        if encoded and encoded[0] >= 0x80:
            return _ESC_ISO_IR_13
        return _ESC_ISO_IR_14
    return CODEC_TO_ESCAPE.get(codec, b"")


def _encode_in_runs(value: str, encodings: Sequence[str]) -> bytes:
    """Encode `value` as a sequence of runs in different codecs.

    At each position the codec that can encode the longest prefix of the
    remaining text is chosen (the first codec encoding all of it wins
    immediately).

    Raises
    ------
    ValueError
        If no codec can encode the next character.
    """
    out = bytearray()
    rest = value
    best = DEFAULT_ENCODING
    while rest:
        longest = 0
        for codec in encodings:
            try:
                _encode_with_codec(rest, codec)
            except (UnicodeEncodeError, UnicodeDecodeError) as exc:
                if exc.start > longest:
                    longest = exc.start
                    best = codec
            else:
                best = codec
                longest = len(rest)
                break
        if longest == 0:
            raise ValueError("None of the given encodings can encode the first character")
        run = _encode_with_codec(rest[:longest], best)
        if best not in _SELF_ESCAPING_CODECS:
            out += _escape_for_codec(best, run)
        out += run
        rest = rest[longest:]
    if best in _TAIL_ESCAPE_CODECS:
        out += _escape_for_codec(encodings[0])
    return bytes(out)


_JIS_CODECS = frozenset({"shift_jis", "iso2022_jp", "iso2022_jp_2"})


def _encode_with_codec(value: str, codec: str, errors: str = "strict") -> bytes:
    """Encode `value` with `codec`, using the JIS-specific encoders."""
    if codec == "shift_jis":
        return _encode_jis_x_0201(value, errors)
    if codec in _TAIL_ESCAPE_CODECS:
        return _encode_jis_x_0208_0212(value, codec, errors)
    return value.encode(_C_FAST_NAME.get(codec, codec), errors)


def _encode_jis_x_0201(value: str, errors: str = "strict") -> bytes:
    """Encode `value` as JIS X 0201 (ISO-IR 13 or ISO-IR 14, not mixed).

    Parameters
    ----------
    value : str
        The text to encode.
    errors : str
        ``"strict"`` raises ``UnicodeEncodeError`` (with ``start`` at the
        first character that cannot be encoded in the set of the first
        character); anything else replaces every character that is not a
        single ISO-IR 14 (7-bit) byte with ``?``.

    Returns
    -------
    bytes
        The encoded text.
    """
    if errors != "strict" or not value:
        out = bytearray()
        for char in value:
            try:
                code = char.encode("shift_jis")
            except UnicodeEncodeError:
                code = b"?"
            out += code if len(code) == 1 and code[0] < 0x80 else b"?"
        return bytes(out)

    # fast path: every character maps to one byte of the same half
    try:
        whole = value.encode("shift_jis")
    except UnicodeEncodeError:
        pass
    else:
        if len(whole) == len(value):
            if whole[0] & 0x80:
                if min(whole) >= 0x80:
                    return whole
            elif whole.isascii():
                return whole

    first = value[0].encode("shift_jis")
    if len(first) != 1:
        raise UnicodeEncodeError(
            "shift_jis", value, 0, len(value), "illegal multibyte sequence"
        )
    high = first[0] & 0x80
    out = bytearray(first)
    for index in range(1, len(value)):
        try:
            code = value[index].encode("shift_jis")
        except UnicodeEncodeError as exc:
            raise UnicodeEncodeError(
                "shift_jis", value, index, len(value), exc.reason
            ) from None
        if len(code) != 1 or (code[0] & 0x80) != high:
            charset = "ISO IR 13" if high else "ISO IR 14"
            raise UnicodeEncodeError(
                "shift_jis",
                value,
                index,
                len(value),
                f"Given character is out of {charset}",
            )
        out += code
    return bytes(out)


_JIS_TERMS = {"iso2022_jp": "ISO 2022 IR 87", "iso2022_jp_2": "ISO 2022 IR 159"}


def _encode_jis_x_0208_0212(value: str, codec: str, errors: str = "strict") -> bytes:
    """Encode `value` as one run of JIS X 0208 (``iso2022_jp``) or JIS X 0212
    (``iso2022_jp_2``) characters.

    With ``errors="strict"`` every character must be in the set announced by
    the first character's escape sequence (``ESC $ B`` resp. ``ESC $ ( D``);
    the result starts with that sequence and has no trailing escape
    sequence.  With other `errors` values Python's codec is used as is.
    """
    if errors != "strict":
        return value.encode(codec, errors)

    message = f"Given character is out of {_JIS_TERMS[codec]}"
    encoder = codecs.getincrementalencoder(codec)()
    out = bytearray(encoder.encode(value[0]))
    if not out.startswith(CODEC_TO_ESCAPE[codec]):
        raise UnicodeEncodeError(codec, value, 0, len(value), message)
    for index in range(1, len(value)):
        try:
            code = encoder.encode(value[index])
        except UnicodeEncodeError as exc:
            raise UnicodeEncodeError(
                codec, value, index, len(value), exc.reason
            ) from None
        if code[:1] == _ESC:
            raise UnicodeEncodeError(codec, value, index, len(value), message)
        out += code
    return bytes(out)
