"""The C tokenizer through dcmfast._parse.tokenize, on hand-built byte vectors.

Each test states the expected token table (kind, tag, VR, flags, offsets,
lengths, subtree ends) worked out from PS3.5 §7 and tokenizer.c's policy, not
from a previous run.
"""
from __future__ import annotations

import struct
from array import array

import pytest

from dcmfast import InvalidDicomError, _parse
from tests.hostile.dicombytes import (
    LONG_VRS, PN, elem, item, item_delim, item_undef, nested_undefined, seq_delim, sq_undef,
)

pytestmark = pytest.mark.hostile

E, I, F = _parse.TOK_ELEMENT, _parse.TOK_ITEM, _parse.TOK_FRAGMENT
UNDEF, IMPL, SEQ, FRAGS = _parse.TF_UNDEFINED, _parse.TF_IMPLICIT, _parse.TF_SEQUENCE, _parse.TF_FRAGMENTS
TRUNC, SEARCHED, BADVR = _parse.TF_TRUNCATED, _parse.TF_SEARCHED, _parse.TF_BADVR

SQ_TAG = 0x00081115       # Referenced Series Sequence (SQ in the dictionary)
SQ_TAGS = array("I", [SQ_TAG, 0x00089215])
KNOWN_TAGS = array("I", sorted([0x00100010, 0x00100020, 0x00280010, 0x7FE00010]))

SHORT_VRS = "AE AS AT CS DA DS DT FL FD IS LO LT PN SH SL SS ST TM UI UL US".split()


def rows(table) -> list[tuple]:
    """(kind, tag, vr, flags, offset, value_offset, length, next) of every token."""
    return [(table.kind(i), table.tag(i), table.vr(i), table.flags(i), table.offset(i),
             table.value_offset(i), table.length(i), table.next(i)) for i in range(len(table))]


def tok(buf: bytes, **kw):
    kw.setdefault("sq_tags", SQ_TAGS)
    kw.setdefault("known_tags", KNOWN_TAGS)
    return _parse.tokenize(buf, **kw)


# -- headers --------------------------------------------------------------------------

def test_explicit_le_short_header() -> None:
    t = tok(PN)
    assert rows(t) == [(E, 0x00100010, "PN", 0, 0, 8, 8, 1)]
    assert t.value(0) == b"Doe^John" and t.raw(0) == PN
    assert t.warnings == 0 and t.stop_offset == 16 and t.little_endian


@pytest.mark.parametrize("vr", SHORT_VRS)
def test_explicit_short_forms(vr: str) -> None:
    data = elem(0x00091010, vr, b"abcd") + PN
    assert rows(tok(data))[0] == (E, 0x00091010, vr, 0, 0, 8, 4, 1)


@pytest.mark.parametrize("vr", sorted(LONG_VRS - {"SQ"}))
def test_explicit_12_byte_forms(vr: str) -> None:
    data = elem(0x00091010, vr, b"abcdef") + PN
    assert len(elem(0x00091010, vr, b"")) == 12
    t = tok(data)
    assert rows(t) == [(E, 0x00091010, vr, 0, 0, 12, 6, 1), (E, 0x00100010, "PN", 0, 18, 26, 8, 2)]
    assert t.value(0) == b"abcdef"


def test_vr_long_form_agrees_with_the_builders() -> None:
    # a 2-byte length that would be read as the start of a 4-byte one gives
    # a different table: each VR's header form is pinned by the tests above
    # (short: value at +8, long: value at +12); here the 16/32-bit split
    # of the length field itself: 0x0102 vs 0x00000102
    t = tok(elem(0x00091010, "OB", b"\0" * 0x102) + PN)
    assert t.length(0) == 0x102 and t.offset(1) == 12 + 0x102


def test_implicit_le() -> None:
    data = elem(0x00100010, None, b"Doe^John") + elem(0x00100020, None, b"ID")
    t = tok(data, implicit=True)
    assert rows(t) == [(E, 0x00100010, None, IMPL, 0, 8, 8, 1), (E, 0x00100020, None, IMPL, 16, 24, 2, 2)]
    assert t.warnings == 0


def test_explicit_big_endian() -> None:
    value = bytes(range(256)) + b"\1\2\3\4"   # 260 = 0x0104: byte-swapped it would be 0x0401
    data = (elem(0x00100010, "PN", b"Doe^John", little=False)
            + elem(0x00091010, "OB", value, little=False)
            + elem(0x00280010, "US", b"\x01\x00", little=False))
    assert data[:4] == b"\x00\x10\x00\x10"
    t = tok(data, little_endian=False)
    assert rows(t) == [(E, 0x00100010, "PN", 0, 0, 8, 8, 1),
                       (E, 0x00091010, "OB", 0, 16, 28, 260, 2),
                       (E, 0x00280010, "US", 0, 288, 296, 2, 3)]
    assert not t.little_endian and t.value(1) == value


def test_implicit_big_endian() -> None:
    data = elem(0x00100010, None, b"Doe^John", little=False) + elem(0x00100020, None, b"ID", little=False)
    t = tok(data, little_endian=False, implicit=True)
    assert rows(t) == [(E, 0x00100010, None, IMPL, 0, 8, 8, 1), (E, 0x00100020, None, IMPL, 16, 24, 2, 2)]


def test_big_endian_sequence_and_delimiters() -> None:
    lo = elem(0x00100020, "LO", b"ID", little=False)
    data = (sq_undef(little=False) + item_undef(little=False) + lo + item_delim(little=False)
            + seq_delim(little=False))
    t = tok(data, little_endian=False)
    assert rows(t) == [(E, SQ_TAG, "SQ", UNDEF | SEQ, 0, 12, 38 - 12, 3),
                       (I, 0xFFFEE000, None, UNDEF, 12, 20, 10, 3),
                       (E, 0x00100020, "LO", 0, 20, 28, 2, 3)]
    assert t.stop_offset == len(data)


# -- sequences and items --------------------------------------------------------------

def test_undefined_length_sequence_with_delimiters() -> None:
    lo = elem(0x00100020, "LO", b"ID")            # 10 bytes
    pn2 = elem(0x00100030, "DA", b"20240101")     # 16 bytes
    data = (PN                                    # 0..16
            + sq_undef()                          # 16..28
            + item_undef() + lo + item_delim()    # item 28..36, lo 36..46, delim 46..54
            + item(lo)                            # item 54..62, lo 62..72
            + seq_delim()                         # 72..80
            + pn2)                                # 80..96
    t = tok(data)
    assert rows(t) == [
        (E, 0x00100010, "PN", 0, 0, 8, 8, 1),
        (E, SQ_TAG, "SQ", UNDEF | SEQ, 16, 28, 72 - 28, 6),
        (I, 0xFFFEE000, None, UNDEF, 28, 36, 46 - 36, 4),
        (E, 0x00100020, "LO", 0, 36, 44, 2, 4),
        (I, 0xFFFEE000, None, 0, 54, 62, 10, 6),
        (E, 0x00100020, "LO", 0, 62, 70, 2, 6),
        (E, 0x00100030, "DA", 0, 80, 88, 8, 7),
    ]
    assert t.children(-1) == {0x00100010: 0, SQ_TAG: 1, 0x00100030: 6}
    assert t.child_list(1) == [2, 4] and t.child_list(2) == [3]
    assert t.find_child(-1, 0x00100030) == 6 and t.find_child(1, 0x1234) == -1
    assert t.raw(1) == data[16:80]  # the header, the items and the closing delimiter
    assert t.warnings == 0 and t.stop_offset == len(data)


def test_defined_length_sequence() -> None:
    body = item(PN) + item(b"")
    data = elem(SQ_TAG, "SQ", body) + PN
    t = tok(data)
    assert rows(t) == [
        (E, SQ_TAG, "SQ", SEQ, 0, 12, len(body), 4),
        (I, 0xFFFEE000, None, 0, 12, 20, 16, 3),
        (E, 0x00100010, "PN", 0, 20, 28, 8, 3),
        (I, 0xFFFEE000, None, 0, 36, 44, 0, 4),
        (E, 0x00100010, "PN", 0, 44, 52, 8, 5),
    ]


def test_item_length_is_a_soft_end() -> None:
    """An element may run past its item's declared length (pydicom reads it so)."""
    data = sq_undef() + item(PN, length=4) + seq_delim()
    t = tok(data)
    assert rows(t) == [(E, SQ_TAG, "SQ", UNDEF | SEQ, 0, 12, 24, 3),
                       (I, 0xFFFEE000, None, 0, 12, 20, 4, 3),
                       (E, 0x00100010, "PN", 0, 20, 28, 8, 3)]
    assert t.warnings == 0


def test_defined_sequence_is_a_hard_bound() -> None:
    """A defined-length SQ claiming 4 GB is clamped to the data and flagged."""
    data = PN + elem(SQ_TAG, "SQ", item(PN), length=0xFFFFFFF0)
    t = tok(data)
    assert rows(t) == [(E, 0x00100010, "PN", 0, 0, 8, 8, 1),
                       (E, SQ_TAG, "SQ", SEQ | TRUNC, 16, 28, 24, 4),
                       (I, 0xFFFEE000, None, 0, 28, 36, 16, 4),
                       (E, 0x00100010, "PN", 0, 36, 44, 8, 4)]
    assert t.warnings == _parse.W_TRUNCATED_VALUE and t.warn_offset == 16


def test_item_claiming_fffffff0() -> None:
    data = sq_undef() + item(PN, length=0xFFFFFFF0) + seq_delim()
    t = tok(data)
    # the item is kept (flagged) and its content read up to the data's end,
    # where the sequence delimiter is read as an element of the item
    assert t.kind(1) == I and t.flags(1) == TRUNC and t.length(1) == 0xFFFFFFF0
    assert t.tag(2) == 0x00100010
    assert t.warnings & _parse.W_TRUNCATED_VALUE


def test_sequence_delimiter_in_defined_sequence() -> None:
    data = elem(SQ_TAG, "SQ", item(PN) + seq_delim() + item(PN)) + PN
    t = tok(data)
    assert t.warnings == _parse.W_SEQ_DELIM_IN_DEFINED
    assert [t.kind(i) for i in range(3)] == [E, I, E] and t.next(0) == 3
    # what followed the delimiter is read at top level, as pydicom does
    assert t.tag(3) == 0xFFFEE000


def test_implicit_sequences_by_dictionary_and_by_lookahead() -> None:
    lo = elem(0x00100020, None, b"ID")
    body = item_undef() + lo + item_delim() + seq_delim()
    # a dictionary SQ tag
    t = tok(elem(SQ_TAG, None, length=0xFFFFFFFF) + body, implicit=True)
    assert t.flags(0) == UNDEF | IMPL | SEQ and t.kind(1) == I and t.next(0) == 3
    # an unknown (private) tag followed by an item: a sequence
    t = tok(elem(0x00091010, None, length=0xFFFFFFFF) + body, implicit=True)
    assert t.flags(0) == UNDEF | IMPL | SEQ and t.next(0) == 3
    # a known non-SQ tag of undefined length: encapsulated fragments
    frag = item(b"") + item(b"abcd") + seq_delim()
    t = tok(elem(0x7FE00010, None, length=0xFFFFFFFF) + frag, implicit=True)
    assert rows(t) == [(E, 0x7FE00010, None, UNDEF | IMPL | FRAGS, 0, 8, 20, 3),
                       (F, 0xFFFEE000, None, 0, 8, 16, 0, 2),
                       (F, 0xFFFEE000, None, 0, 16, 24, 4, 3)]


def test_un_of_undefined_length_holds_implicit_items() -> None:
    """PS3.5 6.2.2: UN of undefined length is a sequence in implicit VR LE."""
    lo = elem(0x00100020, None, b"ID")
    data = elem(0x00091010, "UN", length=0xFFFFFFFF) + item_undef() + lo + item_delim() + seq_delim() + PN
    t = tok(data)
    assert rows(t)[:3] == [(E, 0x00091010, "UN", UNDEF | SEQ, 0, 12, 38 - 12, 3),
                           (I, 0xFFFEE000, None, UNDEF, 12, 20, 10, 3),
                           (E, 0x00100020, None, IMPL, 20, 28, 2, 3)]
    assert t.tag(3) == 0x00100010 and t.flags(3) == 0  # back to explicit at top level


# -- encapsulated pixel data ---------------------------------------------------------------

def test_encapsulated_fragments() -> None:
    data = PN + elem(0x7FE00010, "OB", length=0xFFFFFFFF) + item(b"") + item(b"abcd") + item(b"efghij") + seq_delim()
    t = tok(data)
    assert rows(t) == [
        (E, 0x00100010, "PN", 0, 0, 8, 8, 1),
        (E, 0x7FE00010, "OB", UNDEF | FRAGS, 16, 28, 8 + 12 + 14, 5),
        (F, 0xFFFEE000, None, 0, 28, 36, 0, 3),
        (F, 0xFFFEE000, None, 0, 36, 44, 4, 4),
        (F, 0xFFFEE000, None, 0, 48, 56, 6, 5),
    ]
    assert t.value(3) == b"abcd" and t.value(4) == b"efghij"
    assert bytes(t.view_of(4)) == b"efghij"


def test_fragment_length_past_the_end_is_searched() -> None:
    """Not a clean fragment list: fragments dropped, delimiter searched (pydicom)."""
    data = elem(0x7FE00010, "OB", length=0xFFFFFFFF) + item(b"") + item(b"abcd", length=0xFFFFFFF0) + seq_delim() + PN
    t = tok(data)
    assert rows(t) == [(E, 0x7FE00010, "OB", UNDEF | SEARCHED, 0, 12, 16 + 4, 1),
                       (E, 0x00100010, "PN", 0, 40, 48, 8, 2)]
    assert t.warnings == 0


def test_fragments_without_delimiter() -> None:
    data = elem(0x7FE00010, "OB", length=0xFFFFFFFF) + item(b"") + item(b"abcd", length=0x7FFFFFFF)
    t = tok(data)
    assert rows(t) == [(E, 0x7FE00010, "OB", UNDEF | SEARCHED | TRUNC, 0, 12, len(data) - 12, 1)]
    assert t.warnings == _parse.W_TRUNCATED_VALUE


# -- growing the token array ---------------------------------------------------------------

def _many_elements(n: int) -> bytes:
    return b"".join(struct.pack("<HH2sHI", 0x0011 + 2 * (i >> 16), i & 0xFFFF, b"UL", 4, i)
                    for i in range(n))


def test_tokens_full_growth_150k_elements() -> None:
    """150,000 elements: the table starts at 1,024 tokens and doubles 8 times."""
    n = 150_000
    data = _many_elements(n)
    t = tok(data)
    assert len(t) == n and t.stop_offset == len(data)
    for i in (0, 1, 1023, 1024, 1025, 65535, 65536, 131072, n - 1):
        assert t.tag(i) == (0x0011 + 2 * (i >> 16)) << 16 | (i & 0xFFFF)
        assert t.offset(i) == 12 * i and t.next(i) == i + 1
        assert t.value(i) == struct.pack("<I", i)
    assert len(t.children(-1)) == n


def test_tokens_full_growth_inside_nested_sequences() -> None:
    """A small buffer (first capacity 64) whose table fills up inside sequences:
    the saved state (depth, frames, open containers) must resume exactly."""
    lo = elem(0x00100020, "LO", b"ID")
    inner = sq_undef(0x00089215) + (item_undef() + lo + lo + item_delim()) * 3 + seq_delim()
    data = PN + sq_undef() + (item_undef() + lo + inner + item_delim()) * 12 + seq_delim() + PN
    assert len(data) < 4096
    t = tok(data)
    per_outer = 1 + 1 + 1 + 3 * 3   # item, lo, inner SQ, 3 x (item, lo, lo)
    assert len(t) == 1 + 1 + 12 * per_outer + 1
    assert t.next(1) == len(t) - 1 and t.child_list(1) == [2 + k * per_outer for k in range(12)]
    for k in range(12):
        it = 2 + k * per_outer
        assert t.kind(it) == I and t.next(it) == it + per_outer
        assert t.child_list(it + 2) == [it + 3, it + 6, it + 9]
    assert t.tag(len(t) - 1) == 0x00100010 and t.warnings == 0


def test_tokens_full_growth_fragments() -> None:
    n = 5000
    data = elem(0x7FE00010, "OB", length=0xFFFFFFFF) + item(b"ab") * n + seq_delim()
    t = tok(data)
    assert len(t) == n + 1 and t.next(0) == n + 1
    assert all(t.kind(i) == F for i in (1, 64, 65, 1024, n))


# -- stop conditions -----------------------------------------------------------------------

@pytest.mark.parametrize("pixel_tag", [0x7FE00010, 0x7FE00008, 0x7FE00009])
def test_stop_at_pixels(pixel_tag: int) -> None:
    data = PN + elem(pixel_tag, "OB", b"\0" * 8) + PN
    t = tok(data, stop=_parse.STOP_AT_PIXELS)
    assert len(t) == 1 and t.stop_offset == 16
    assert len(tok(data)) == 3


def test_stop_at_pixels_is_top_level_only() -> None:
    data = sq_undef() + item_undef() + elem(0x7FE00010, "OB", b"ab") + item_delim() + seq_delim() + PN
    t = tok(data, stop=_parse.STOP_AT_PIXELS)
    assert len(t) == 4 and t.tag(2) == 0x7FE00010


def test_stop_after_meta_and_command() -> None:
    meta = elem(0x00020001, "OB", b"\0\1") + elem(0x00020010, "UI", b"1.2.840.10008.1.2\0")
    t = tok(meta + PN, stop=_parse.STOP_AFTER_META)
    assert [t.tag(i) for i in range(len(t))] == [0x00020001, 0x00020010] and t.stop_offset == len(meta)
    cmd = elem(0x00000002, None, b"1.2\0") + elem(0x00000100, None, b"\1\0")
    t = tok(cmd + elem(0x00100010, None, b"Doe^John"), implicit=True, stop=_parse.STOP_AFTER_COMMAND)
    assert len(t) == 2 and t.stop_offset == len(cmd)


def test_start_offsets_are_absolute() -> None:
    prefix = b"\xAA" * 132
    t = tok(prefix + PN + PN, start=132)
    assert [t.offset(i) for i in range(len(t))] == [132, 148]
    assert t.value(1) == b"Doe^John" and t.stop_offset == 164


def test_end_bounds_the_data() -> None:
    data = PN + PN + PN
    t = tok(data, end=32)
    assert len(t) == 2 and t.stop_offset == 32
    t = tok(data, end=10_000)  # clamped to the buffer
    assert len(t) == 3


# -- sequence=True: a sequence body on its own ----------------------------------------------

def test_sequence_mode_with_start_and_end() -> None:
    body = item(PN) + item_undef() + PN + item_delim() + item(b"")
    junk = b"\xFF" * 20
    data = junk + body + junk
    t = tok(data, sequence=True, start=20, end=20 + len(body))
    assert rows(t) == [(I, 0xFFFEE000, None, 0, 20, 28, 16, 2),
                       (E, 0x00100010, "PN", 0, 28, 36, 8, 2),
                       (I, 0xFFFEE000, None, UNDEF, 44, 52, 16, 4),
                       (E, 0x00100010, "PN", 0, 52, 60, 8, 4),
                       (I, 0xFFFEE000, None, 0, 76, 84, 0, 5)]
    assert t.child_list(-1) == [0, 2, 4] and t.stop_offset == 20 + len(body)


def test_sequence_mode_implicit() -> None:
    body = item(elem(0x00100010, None, b"Doe^John"))
    t = tok(body, sequence=True, implicit=True)
    assert rows(t) == [(I, 0xFFFEE000, None, 0, 0, 8, 16, 2), (E, 0x00100010, None, IMPL, 8, 16, 8, 2)]


def test_sequence_mode_non_item_error_offset() -> None:
    body = item(PN) + PN
    with pytest.raises(InvalidDicomError) as info:
        tok(b"\0" * 10 + body, sequence=True, start=10)
    assert info.value.offset == 10 + 24 and info.value.tag == 0x00100010
    assert "(0010,0010)" in str(info.value) and "at byte 34" in str(info.value)


def test_sequence_mode_empty() -> None:
    t = tok(b"abcdefgh", sequence=True, start=4, end=4)
    assert len(t) == 0 and t.warnings == 0


# -- errors: where and what -------------------------------------------------------------------

def test_non_item_inside_a_sequence() -> None:
    lo = elem(0x00100020, "LO", b"ABCD")
    data = PN + sq_undef() + item(PN) + lo + seq_delim()
    bad_at = 16 + 12 + 24
    with pytest.raises(InvalidDicomError) as info:
        tok(data)
    exc = info.value
    assert exc.offset == bad_at and exc.tag == 0x00100020
    assert str(exc) == ("invalid data set: expected an item or a sequence delimiter "
                        f"in element (0010,0020) at byte {bad_at}")
    # the same data after a 132-byte prefix: the offset moves with it
    with pytest.raises(InvalidDicomError) as info:
        tok(b"\0" * 132 + data, start=132)
    assert info.value.offset == 132 + bad_at and info.value.tag == 0x00100020


def test_non_item_inside_a_defined_sequence() -> None:
    data = PN + elem(SQ_TAG, "SQ", PN)
    with pytest.raises(InvalidDicomError) as info:
        tok(data)
    assert info.value.offset == 28 and info.value.tag == 0x00100010


def test_un_undefined_length_with_garbage() -> None:
    data = PN + elem(0x00091010, "UN", length=0xFFFFFFFF) + b"garbage!garbage!"
    with pytest.raises(InvalidDicomError) as info:
        tok(data)
    assert info.value.offset == 28
    assert info.value.tag == struct.unpack("<HH", b"garb")[0] << 16 | struct.unpack("<HH", b"garb")[1]


@pytest.mark.parametrize("implicit", [False, True])
def test_nesting_limit_exact(implicit: bool) -> None:
    """Frame 0 is the data set; SQ k (0-based) is frame 2k+1, its item 2k+2:
    63 levels fit in DCF_MAX_DEPTH = 128 frames, the 64th item does not."""
    assert _parse.MAX_DEPTH == 128
    t = tok(nested_undefined(63, implicit=implicit), implicit=implicit)
    assert len(t) == 1 + 2 * 63 + 1 and t.warnings == 0
    level = (8 if implicit else 12) + 8
    with pytest.raises(InvalidDicomError, match="nested too deeply") as info:
        tok(nested_undefined(64, implicit=implicit), implicit=implicit)
    assert info.value.offset == len(PN) + 63 * level + (8 if implicit else 12)
    assert info.value.tag == 0xFFFEE000


def test_nesting_10k_fails_fast_without_recursion() -> None:
    import time

    data = nested_undefined(10_000)
    t0 = time.perf_counter()
    with pytest.raises(InvalidDicomError, match="nested too deeply"):
        tok(data)
    assert time.perf_counter() - t0 < 0.5


def test_100k_empty_items() -> None:
    data = sq_undef() + item() * 100_000 + seq_delim()
    t = tok(data)
    assert len(t) == 100_001 and t.next(0) == 100_001 and len(t.child_list(0)) == 100_000
    assert t.warnings == 0


# -- tolerated oddities: flags and warnings ----------------------------------------------------

def test_truncated_value() -> None:
    data = PN + elem(0x00091010, "OB", b"abcdef", length=0xFFFFFFF0)
    t = tok(data)
    assert rows(t)[1] == (E, 0x00091010, "OB", TRUNC, 16, 28, 6, 2)
    assert t.warnings == _parse.W_TRUNCATED_VALUE and t.warn_offset == 16


def test_truncated_short_value() -> None:
    data = PN + elem(0x00100020, "LO", b"abc", length=0xFFFF)
    t = tok(data)
    assert rows(t)[1] == (E, 0x00100020, "LO", TRUNC, 16, 24, 3, 2)


@pytest.mark.parametrize("cut", range(1, 12))
def test_header_cut_short(cut: int) -> None:
    """Fewer than 8 (12 for a long VR) bytes of header left: trailing bytes."""
    ob = elem(0x00091010, "OB", b"abcd")
    t = tok(PN + ob[:cut])
    assert len(t) == 1 and t.warnings == _parse.W_TRAILING_BYTES and t.warn_offset == 16
    assert t.stop_offset == 16


def test_header_cut_short_inside_a_sequence() -> None:
    data = PN + sq_undef() + item_undef() + PN[:5]
    t = tok(data)
    assert len(t) == 3 and t.flags(1) == UNDEF | SEQ | TRUNC and t.flags(2) == UNDEF | TRUNC
    # the item and the SQ are closed as truncated; the top level then sees
    # the same 5 bytes as trailing bytes
    assert t.warnings == _parse.W_TRUNCATED_VALUE | _parse.W_TRAILING_BYTES
    assert t.warn_offset == 16 + 12 + 8 and t.stop_offset == 36


def test_vr_switch_is_detected_and_warned() -> None:
    data = elem(0x00100010, None, b"Doe^John") + elem(0x00100020, None, b"ID")
    t = tok(data, implicit=False)
    assert [t.flags(i) for i in range(2)] == [IMPL, IMPL] and t.length(1) == 2
    assert t.warnings == _parse.W_VR_SWITCH


def test_unknown_letters_vr() -> None:
    data = PN + elem(0x00100020, b"QQ", b"12345678") + PN
    t = tok(data)
    assert rows(t)[1] == (E, 0x00100020, "QQ", BADVR, 16, 24, 8, 2)
    assert t.warnings == _parse.W_UNKNOWN_VR and t.warn_offset == 16


def test_binary_vr_is_read_as_implicit() -> None:
    value = b"12345678"
    data = PN + elem(0x00100020, b"\x08\x00", b"\0\0" + value, long_form=False)
    # bytes 4..8 of the header are 08 00 0a 00: an implicit 32-bit length 0x000a0008
    t = tok(data)
    assert t.flags(1) == IMPL | BADVR | TRUNC and t.vr(1) is None
    assert t.warnings == _parse.W_TRUNCATED_VALUE


def test_item_delimiter_at_top_ends_the_data_set() -> None:
    data = PN + item_delim() + PN
    t = tok(data)
    assert len(t) == 1 and t.stop_offset == 24 and t.warnings == _parse.W_TOP_DELIMITER


def test_empty_input() -> None:
    t = tok(b"")
    assert len(t) == 0 and t.warnings == 0 and t.stop_offset == 0
    t = tok(b"1234567")
    assert len(t) == 0 and t.warnings == _parse.W_TRAILING_BYTES


# -- the Python side of the wrapper -------------------------------------------------------------

def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        tok(PN, start=-1)
    with pytest.raises(ValueError):
        tok(PN, start=17)
    with pytest.raises(ValueError):
        tok(PN, start=10, end=5)
    t = tok(PN)
    for i in (-1, 1, 2**31):
        with pytest.raises(IndexError):
            t.tag(i)
        with pytest.raises(IndexError):
            t.value(i)


def test_buffer_types_and_lifetime() -> None:
    import gc

    for buf in (bytearray(PN), memoryview(PN), memoryview(b"xx" + PN)[2:]):
        t = tok(buf)
        assert t.value(0) == b"Doe^John"
    t = tok(bytes(PN))
    gc.collect()
    assert t.value(0) == b"Doe^John" and t.buffer == PN
