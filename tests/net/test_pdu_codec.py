"""The C PDU codec (csrc/pdu.c via dcmfast._net) and the PDU objects built on
it: round trips of every PDU type and item, and hostile input (truncated,
oversized, wrong item lengths, unknown PDU types and items)."""
from __future__ import annotations

import struct

import pytest
from hypothesis import given, strategies as st

from dcmfast import _net
from dcmfast.errors import PDUError
from dcmfast.net import pdu as P

EXPLICIT = "1.2.840.10008.1.2.1"
IMPLICIT = "1.2.840.10008.1.2"
CT = "1.2.840.10008.5.1.4.1.1.2"


def full_user_info(rq: bool = True) -> P.UserInformation:
    return P.UserInformation(
        max_length=16384, implementation_class_uid="1.2.3.4", implementation_version_name="TEST_01",
        async_ops=(3, 5),
        roles=[P.RoleSelection(CT, True, False), P.RoleSelection("1.2.3", False, True)],
        extended=[P.SOPClassExtended(CT, b"\x01\x00\x01")],
        common_extended=[P.SOPClassCommonExtended(CT, "1.2.840.10008.4.2", ["1.2.5", "1.2.6.7"]),
                         P.SOPClassCommonExtended("1.9", "1.8", [])],
        user_identity_rq=P.UserIdentityRQ(2, True, b"user", b"secret") if rq else None,
        user_identity_ac=None if rq else P.UserIdentityAC(b"token"))


def make_rq() -> P.AssociateRQ:
    return P.AssociateRQ(called_ae="CALLED", calling_ae="CALLING", contexts=[
        P.PresentationContextRQ(1, CT, [EXPLICIT, IMPLICIT]),
        P.PresentationContextRQ(3, "1.2.840.10008.1.1", [IMPLICIT]),
    ], user_info=full_user_info(True))


def make_ac() -> P.AssociateAC:
    return P.AssociateAC(called_ae="CALLED", calling_ae="CALLING", contexts=[
        P.PresentationContextAC(1, 0, EXPLICIT),
        P.PresentationContextAC(3, 3, None),
        P.PresentationContextAC(5, 4, None),
    ], user_info=full_user_info(False))


def framed(raw: bytes, max_pdu: int = 0) -> int:
    n, need = _net.pdu_frame(raw, max_pdu)
    assert n == len(raw) == need
    return n


# -- round trips -------------------------------------------------------------------

def test_associate_rq_round_trip_with_every_item():
    rq = make_rq()
    raw = rq.encode()
    framed(raw)
    back = P.decode(raw)
    assert isinstance(back, P.AssociateRQ)
    assert back.called_ae == "CALLED" and back.calling_ae == "CALLING"
    assert back.application_context == P.APPLICATION_CONTEXT
    assert back.contexts == rq.contexts
    assert back.user_info == rq.user_info
    assert back.encode() == raw


def test_associate_ac_round_trip_with_results():
    ac = make_ac()
    raw = ac.encode()
    back = P.decode(raw)
    assert isinstance(back, P.AssociateAC)
    assert [(c.context_id, c.result) for c in back.contexts] == [(1, 0), (3, 3), (5, 4)]
    assert back.contexts[0].transfer_syntax == EXPLICIT
    assert back.user_info == ac.user_info
    assert back.encode() == raw


@pytest.mark.parametrize("pdu", [P.AssociateRJ(1, 1, 7), P.AssociateRJ(2, 3, 2), P.ReleaseRQ(),
                                 P.ReleaseRP(), P.Abort(0, 0), P.Abort(2, 6)])
def test_fixed_pdus_round_trip(pdu):
    raw = pdu.encode()
    assert len(raw) == 10
    framed(raw)
    assert P.decode(raw) == pdu


def test_rj_and_abort_texts():
    assert "called-AE-title-not-recognized" in str(P.AssociateRJ(1, 1, 7))
    assert "local-limit-exceeded" in str(P.AssociateRJ(2, 3, 2))
    assert "invalid-PDU-parameter-value" in str(P.Abort(2, 6))


def test_pdata_round_trip_and_control_bits():
    raw = bytes(_net.encode_message(5, b"C" * 10, b"D" * 25, max_pdu=16))
    pos = 0
    pdvs = []
    while pos < len(raw):
        n, _ = _net.pdu_frame(raw[pos:], 16)
        assert n and n - 6 <= 16
        pd = P.decode(raw[pos:pos + n])
        pdvs.extend((c, ctl, bytes(v)) for c, ctl, v in pd.pdvs)
        pos += n
    assert all(c == 5 for c, _, _ in pdvs)
    cmd = [(ctl, v) for c, ctl, v in pdvs if ctl & 1]
    data = [(ctl, v) for c, ctl, v in pdvs if not ctl & 1]
    assert b"".join(v for _, v in cmd) == b"C" * 10
    assert b"".join(v for _, v in data) == b"D" * 25
    assert [ctl for ctl, _ in cmd] == [1] * (len(cmd) - 1) + [3]
    assert [ctl for ctl, _ in data] == [0] * (len(data) - 1) + [2]
    # the fragments use the room: every PDV but the last of each stream is max - 6
    assert all(len(v) == 10 for _, v in data[:-1])


def test_pdata_encode_without_limit_is_one_pdu():
    raw = bytes(_net.pdata_encode(1, False, True, b"x" * 1000, 0))
    assert len(raw) == 1012
    assert _net.pdata_pdvs(raw) == [(1, 2, 12, 1000)]


def test_pdata_empty_stream_gives_one_empty_pdv():
    raw = bytes(_net.pdata_encode(1, True, True, b"", 100))
    assert _net.pdata_pdvs(raw) == [(1, 3, 12, 0)]


def test_pdata_multiple_pdvs_in_one_pdu():
    pd = P.PData([(1, 1, b"abc"), (1, 3, b"de"), (3, 2, b"")])
    raw = pd.encode()
    assert [(c, ctl, bytes(v)) for c, ctl, v in P.decode(raw).pdvs] == \
        [(1, 1, b"abc"), (1, 3, b"de"), (3, 2, b"")]


@pytest.mark.parametrize("bad", [0, 2, 256, -1])
def test_pdata_encode_rejects_bad_context_ids(bad):
    with pytest.raises((ValueError, PDUError)):
        _net.pdata_encode(bad, False, True, b"x", 100)


def test_pdata_encode_rejects_tiny_max_pdu():
    with pytest.raises(ValueError):
        _net.pdata_encode(1, False, True, b"x", 7)
    assert _net.pdata_bound(10, 7) == 0
    assert _net.pdata_bound(10, 8) == 10 + 5 * 12


# -- framing ---------------------------------------------------------------------------------

def test_frame_needs_more_until_whole():
    raw = make_rq().encode()
    assert _net.pdu_frame(b"", 0) == (0, 6)
    for cut in (1, 5):
        assert _net.pdu_frame(raw[:cut], 0) == (0, 6)
    for cut in (6, 50, len(raw) - 1):
        assert _net.pdu_frame(raw[:cut], 0) == (0, len(raw))
    assert _net.pdu_frame(raw + b"\x05rest", 0) == (len(raw), len(raw))


@pytest.mark.parametrize("t", [0, 8, 0x10, 0xFF])
def test_unknown_pdu_type_is_refused_from_its_first_byte(t):
    with pytest.raises(PDUError) as info:
        _net.pdu_frame(bytes([t]), 0)
    assert info.value.offset == 0 and info.value.code == "DCF_E_PDU_TYPE"


def test_max_pdu_enforced_from_the_header_alone():
    header = struct.pack(">BBL", 4, 0, 16385)
    with pytest.raises(PDUError) as info:
        _net.pdu_frame(header, 16384)
    assert info.value.code == "DCF_E_PDU_TOO_LARGE" and info.value.offset == 2
    assert _net.pdu_frame(struct.pack(">BBL", 4, 0, 16384), 16384) == (0, 16390)
    # association PDUs: a fixed bound
    with pytest.raises(PDUError):
        _net.pdu_frame(struct.pack(">BBL", 1, 0, _net.ASSOC_LIMIT + 1), 0)
    # a 4 GB P-DATA with no limit is only "need more"
    assert _net.pdu_frame(struct.pack(">BBL", 4, 0, 0xFFFFFFFF), 0) == (0, 0xFFFFFFFF + 6)


@pytest.mark.parametrize("t,length", [(5, 3), (5, 5), (6, 0), (7, 8), (3, 2), (1, 67), (2, 10), (4, 5)])
def test_lengths_impossible_for_the_type(t, length):
    with pytest.raises(PDUError) as info:
        _net.pdu_frame(struct.pack(">BBL", t, 0, length), 0)
    assert info.value.code == "DCF_E_PDU_LENGTH"


# -- hostile items -------------------------------------------------------------------------

def _patch(raw: bytes, pos: int, value: bytes) -> bytes:
    return raw[:pos] + value + raw[pos + len(value):]


def _item_offsets(raw: bytes):
    return [(t, v - 4) for t, f, p, v, n in _net.pdu_items(raw)]


def test_every_item_length_one_too_long_is_refused():
    raw = make_rq().encode()
    for t, off in _item_offsets(raw):
        (n,) = struct.unpack(">H", raw[off + 2:off + 4])
        bad = _patch(raw, off + 2, struct.pack(">H", n + 1))
        with pytest.raises(PDUError) as info:
            P.decode(bad)
        # the error shows where parsing ran out: at the latest the next item's header
        assert info.value.offset is not None and off <= info.value.offset <= len(bad), hex(t)


def test_every_item_length_one_too_short_is_refused_or_still_bounded():
    raw = make_rq().encode()
    for t, off in _item_offsets(raw):
        (n,) = struct.unpack(">H", raw[off + 2:off + 4])
        if n == 0:
            continue
        bad = _patch(raw, off + 2, struct.pack(">H", n - 1))
        try:
            P.decode(bad)
        except PDUError:
            pass


def test_unknown_items_and_sub_items_are_skipped_by_length():
    rq = make_rq()
    raw = bytearray(rq.encode())
    extra_top = bytes([0x77, 0, 0, 3]) + b"xyz"
    raw += extra_top
    struct.pack_into(">L", raw, 2, len(raw) - 6)
    # an unknown user info sub-item: append inside the 0x50 item
    recs = _net.pdu_items(bytes(raw))
    ui = [r for r in recs if r[0] == 0x50][0]
    ui_off = ui[3] - 4
    sub = bytes([0x6F, 0, 0, 2]) + b"ab"
    raw = raw[:ui[3] + ui[4]] + sub + raw[ui[3] + ui[4]:]
    struct.pack_into(">H", raw, ui_off + 2, ui[4] + len(sub))
    struct.pack_into(">L", raw, 2, len(raw) - 6)
    back = P.decode(bytes(raw))
    assert back.contexts == rq.contexts
    assert back.unknown_items == [(0x77, b"xyz")]
    assert back.user_info.unknown == [(0x6F, b"ab")]
    flags = {r[0]: r[1] for r in _net.pdu_items(bytes(raw))}
    assert flags[0x77] & _net.ITEM_UNKNOWN and flags[0x6F] & _net.ITEM_UNKNOWN


@pytest.mark.parametrize("sub", [
    bytes([0x51, 0, 0, 3]) + b"\x00\x00\x10",                 # maximum length not 4
    bytes([0x53, 0, 0, 2]) + b"\x00\x01",                     # async ops window not 4
    bytes([0x54, 0, 0, 5]) + b"\x00\x09abc",                  # role selection uid runs out
    bytes([0x54, 0, 0, 6]) + b"\x00\x03abc\x01",              # role selection missing a role
    bytes([0x56, 0, 0, 3]) + b"\x00\x05a",                    # extended negotiation uid runs out
    bytes([0x57, 0, 0, 6]) + b"\x00\x01a\x00\x05b",           # common extended: 2nd uid runs out
    bytes([0x57, 0, 0, 11]) + b"\x00\x01a\x00\x01b\x00\x03\x00\x05c",  # related uid runs out
    bytes([0x58, 0, 0, 5]) + b"\x01\x00\x00\x04u",            # user identity primary runs out
    bytes([0x58, 0, 0, 4]) + b"\x01\x00\x00\x00",             # user identity: no secondary length
    bytes([0x59, 0, 0, 3]) + b"\x00\x02a",                    # identity AC response runs out
])
def test_malformed_user_sub_items(sub):
    rq = make_rq()
    rq.user_info = P.UserInformation(max_length=None)
    raw = bytearray(rq.encode())
    ui = [r for r in _net.pdu_items(bytes(raw)) if r[0] == 0x50][0]
    raw += b""
    raw = raw[:ui[3]] + sub + raw[ui[3]:]
    struct.pack_into(">H", raw, ui[3] - 2, len(sub))
    struct.pack_into(">L", raw, 2, len(raw) - 6)
    with pytest.raises(PDUError) as info:
        P.decode(bytes(raw))
    assert info.value.offset == ui[3]


def test_presentation_context_shorter_than_its_fixed_fields():
    raw = P.AssociateRQ("A", "B", []).encode()
    item = bytes([0x20, 0, 0, 2, 1, 0])
    raw = bytearray(raw + item)
    struct.pack_into(">L", raw, 2, len(raw) - 6)
    with pytest.raises(PDUError):
        P.decode(bytes(raw))


def test_rq_without_application_context_or_two_abstract_syntaxes():
    raw = bytearray(make_rq().encode())
    raw[74] = 0x11           # the application context item becomes an unknown item
    with pytest.raises(PDUError, match="application context"):
        P.decode(bytes(raw))
    ctx = P.PresentationContextRQ(1, CT, [EXPLICIT]).encode()
    doubled = ctx[:4] + ctx[4:8] + P._item(0x30, b"1.2") + ctx[8:]
    doubled = bytes([0x20, 0]) + struct.pack(">H", len(doubled) - 4) + doubled[4:]
    raw = bytearray(P.AssociateRQ("A", "B", []).encode() + doubled)
    struct.pack_into(">L", raw, 2, len(raw) - 6)
    with pytest.raises(PDUError, match="abstract syntax"):
        P.decode(bytes(raw))


@pytest.mark.parametrize("body", [
    struct.pack(">L", 1) + b"\x01",                  # PDV item length below 2
    struct.pack(">L", 9) + b"\x01\x02abc",           # runs past the PDU
    struct.pack(">L", 3) + b"\x01\x04x",             # control bits above 0x03
    struct.pack(">L", 3) + b"\x01\x02x" + b"\x00",   # trailing byte that is no PDV
])
def test_malformed_pdata(body):
    raw = struct.pack(">BBL", 4, 0, len(body)) + body
    with pytest.raises(PDUError):
        _net.pdata_pdvs(raw)


def test_items_of_a_pdu_whose_header_lies():
    raw = bytearray(make_rq().encode())
    struct.pack_into(">L", raw, 2, len(raw))   # 6 more than present
    with pytest.raises(PDUError):
        _net.pdu_items(bytes(raw))
    with pytest.raises(PDUError):
        _net.pdu_items(P.ReleaseRQ().encode())


def test_every_truncation_of_an_rq_is_need_more_or_refused():
    raw = make_rq().encode()
    for cut in range(len(raw)):
        n, need = _net.pdu_frame(raw[:cut], 0)
        assert n == 0 and need in (6, len(raw))
        # the item walker on a truncated PDU (header patched to match) never crashes
        if cut >= 74:
            bad = bytearray(raw[:cut])
            struct.pack_into(">L", bad, 2, cut - 6)
            try:
                P.decode(bytes(bad))
            except PDUError:
                pass


# -- property: read-write-read ------------------------------------------------------------------

uids = st.from_regex(r"\A[12](\.[1-9][0-9]{0,5}){1,6}\Z", fullmatch=True)
ae_titles = st.from_regex(r"\A[A-Z][A-Z0-9_]{0,15}\Z", fullmatch=True)


@st.composite
def user_infos(draw, rq: bool):
    return P.UserInformation(
        max_length=draw(st.integers(0, 2 ** 32 - 1)),
        implementation_class_uid=draw(uids),
        implementation_version_name=draw(st.none() | st.from_regex(r"\A[A-Z0-9_]{1,16}\Z", fullmatch=True)),
        async_ops=draw(st.none() | st.tuples(st.integers(0, 65535), st.integers(0, 65535))),
        roles=draw(st.lists(st.builds(P.RoleSelection, uids, st.booleans(), st.booleans()), max_size=3)),
        extended=draw(st.lists(st.builds(P.SOPClassExtended, uids, st.binary(max_size=8)), max_size=2)),
        common_extended=draw(st.lists(st.builds(P.SOPClassCommonExtended, uids, uids,
                                                st.lists(uids, max_size=3)), max_size=2)),
        user_identity_rq=draw(st.none() | st.builds(P.UserIdentityRQ, st.integers(1, 5), st.booleans(),
                                                     st.binary(max_size=20), st.binary(max_size=20)))
        if rq else None,
        user_identity_ac=None if rq else draw(st.none() | st.builds(P.UserIdentityAC, st.binary(max_size=20))),
    )


@st.composite
def associate_rqs(draw):
    n = draw(st.integers(0, 6))
    ctxs = [P.PresentationContextRQ(2 * i + 1, draw(uids), draw(st.lists(uids, min_size=1, max_size=4)))
            for i in range(n)]
    return P.AssociateRQ(draw(ae_titles), draw(ae_titles), ctxs, draw(user_infos(True)))


@st.composite
def associate_acs(draw):
    n = draw(st.integers(0, 6))
    ctxs = []
    for i in range(n):
        result = draw(st.sampled_from([0, 1, 2, 3, 4]))
        ctxs.append(P.PresentationContextAC(2 * i + 1, result, draw(uids) if result == 0 else None))
    return P.AssociateAC(draw(ae_titles), draw(ae_titles), ctxs, draw(user_infos(False)))


def _normal(pdu):
    # what a reader can know: a rejected context's empty transfer syntax is None or ""
    if isinstance(pdu, P.AssociateAC):
        for c in pdu.contexts:
            if c.result != 0:
                c.transfer_syntax = None
    return pdu


@given(st.one_of(associate_rqs(), associate_acs()))
def test_property_associate_read_write_read(pdu):
    raw = pdu.encode()
    assert _net.pdu_frame(raw, 0) == (len(raw), len(raw))
    once = P.decode(raw)
    raw2 = once.encode()
    assert raw2 == raw
    twice = _normal(P.decode(raw2))
    assert twice == _normal(once)
    assert twice.contexts == _normal(pdu).contexts
    assert twice.user_info == pdu.user_info


@given(st.integers(1, 127).map(lambda i: 2 * i - 1), st.binary(max_size=300), st.binary(max_size=3000),
       st.integers(8, 600))
def test_property_pdata_fragment_reassemble(cid, cmd, data, max_pdu):
    raw = bytes(_net.encode_message(cid, cmd, data, max_pdu))
    pos = 0
    got = {True: b"", False: b""}
    lasts = []
    while pos < len(raw):
        n, _ = _net.pdu_frame(raw[pos:], max_pdu)
        assert 0 < n <= max_pdu + 6
        for c, ctl, v, ln in _net.pdata_pdvs(raw[pos:pos + n]):
            assert c == cid
            got[bool(ctl & 1)] += raw[pos + v:pos + v + ln]
            lasts.append(ctl)
        pos += n
    assert got[True] == cmd and got[False] == data
    assert lasts.count(3) == 1 and lasts.count(2) == 1


@given(st.binary(max_size=400), st.integers(0, 70000))
def test_property_random_bytes_never_crash(raw, max_pdu):
    try:
        n, need = _net.pdu_frame(raw, max_pdu)
    except PDUError:
        return
    if n:
        try:
            P.decode(raw[:n])
        except PDUError:
            pass


@given(st.one_of(associate_rqs(), associate_acs()), st.data())
def test_property_mutated_associate_never_crashes(pdu, data):
    raw = bytearray(pdu.encode())
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(6, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    try:
        P.decode(bytes(raw))
    except PDUError:
        pass


@given(st.integers(1, 127).map(lambda i: 2 * i - 1), st.binary(max_size=200), st.binary(max_size=5000),
       st.sampled_from([0, 8, 9, 100, 4096]))
def test_property_scatter_gather_framing_equals_copied_framing(cid, cmd, data, max_pdu):
    copied = bytes(_net.encode_message(cid, cmd, data, max_pdu))
    parts = _net.frame_message_iov(cid, cmd, data, max_pdu)
    assert b"".join(bytes(p) for p in parts) == copied
    assert b"".join(bytes(p) for p in _net.frame_message_iov(cid, cmd, None, max_pdu)) == \
        bytes(_net.encode_message(cid, cmd, None, max_pdu))
