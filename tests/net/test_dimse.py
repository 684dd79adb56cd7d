"""DIMSE command sets (implicit VR LE through dcmfast's writer and reader) and
status codes."""
from __future__ import annotations

import struct

import pytest

from dcmfast.net import dimse
from dcmfast.net.dimse import Command, Status, decode_command, encode_command


def test_command_round_trip_through_dataset_and_fast_reader():
    raw = encode_command(AffectedSOPClassUID="1.2.840.10008.5.1.4.1.1.2", CommandField=1,
                         MessageID=65535, Priority=2, CommandDataSetType=0,
                         AffectedSOPInstanceUID="1.2.3.4", MoveOriginatorApplicationEntityTitle="AE1",
                         MoveOriginatorMessageID=7)
    ds = decode_command(raw)
    assert ds[0x00000000].value == len(raw) - 12
    cmd = Command(raw)
    assert cmd == {0x0000: len(raw) - 12, 0x0002: "1.2.840.10008.5.1.4.1.1.2", 0x0100: 1,
                   0x0110: 65535, 0x0700: 2, 0x0800: 0, 0x1000: "1.2.3.4", 0x1030: "AE1",
                   0x1031: 7}
    assert cmd.dataset[0x00001000].value == "1.2.3.4"
    # elements ascending, group length first, even lengths
    pos, tags = 0, []
    while pos < len(raw):
        g, e, n = struct.unpack_from("<HHL", raw, pos)
        assert g == 0 and n % 2 == 0
        tags.append(e)
        pos += 8 + n
    assert tags == sorted(tags) and tags[0] == 0


def test_message_id_patching_matches_a_fresh_encoding():
    for mid in (1, 2, 255, 256, 65535):
        fast = encode_command(AffectedSOPClassUID="1.2.840.10008.1.1", CommandField=0x30,
                              MessageID=mid, CommandDataSetType=0x0101)
        fresh = dimse._encode((("AffectedSOPClassUID", "1.2.840.10008.1.1"), ("CommandField", 0x30),
                               ("MessageID", mid), ("CommandDataSetType", 0x0101)))
        assert fast == fresh
        rsp = encode_command(AffectedSOPClassUID="1.2", CommandField=0x8001,
                             MessageIDBeingRespondedTo=mid, CommandDataSetType=0x0101, Status=0,
                             AffectedSOPInstanceUID="1.2.3")
        assert Command(rsp)[0x0120] == mid


def test_odd_uids_are_read_without_warnings():
    raw = encode_command(AffectedSOPClassUID="1.2.840.10008.1.1", CommandField=0x30, MessageID=1,
                         CommandDataSetType=0x0101)
    odd = raw.replace(b"1.2.840.10008.1.1\x00", b"1.02.X/../..\x00\x00\x00\x00\x00\x00")
    assert Command(odd)[0x0002] == "1.02.X/../.."


@pytest.mark.parametrize("raw", [
    b"\x00\x00\x00\x01",                                   # header cut
    struct.pack("<HHL", 0, 0x100, 10) + b"\x01\x00",       # value runs past
    struct.pack("<HHL", 8, 0x16, 2) + b"ab",               # not group 0000
    struct.pack("<HHL", 0, 0x100, 4) + b"\x01\x00\x00\x00",  # US of 4 bytes
])
def test_malformed_commands(raw):
    with pytest.raises(ValueError):
        Command(raw)


@pytest.mark.parametrize("code,category,text", [
    (0x0000, "Success", "Success"), (0xFF00, "Pending", "Pending"), (0xFE00, "Cancel", "Cancel"),
    (0xB000, "Warning", "Warning"), (0x0107, "Warning", "attribute list"),
    (0xA700, "Failure", "out of resources"), (0xA7FF, "Failure", "out of resources"),
    (0xA900, "Failure", "does not match"), (0xC123, "Failure", "cannot understand"),
    (0x0122, "Failure", "SOP class not supported"), (0x0211, "Failure", "unrecognized operation"),
    (0xA801, "Failure", "move destination unknown"), (0x1234, "Failure", "0x1234"),
])
def test_status_meanings(code, category, text):
    st = Status(code)
    assert st.category == category and text in st.meaning and st == code
    assert st.is_success == (code == 0)


from hypothesis import given, strategies as st  # noqa: E402


@given(st.binary(max_size=200))
def test_property_random_commands_only_raise_value_error(raw):
    try:
        Command(raw)
    except ValueError:
        pass


@given(st.sampled_from(["1.2.3", "1.2.34", "1.2.840.10008.5.1.4.1.1.2.12345678901234567890"]),
       st.integers(0, 65535), st.sampled_from([0, 0x0122, 0xA700]), st.booleans())
def test_property_appended_instance_uid_matches_a_fresh_encoding(uid, mid, status, request):
    if request:
        kw = dict(AffectedSOPClassUID="1.2.840.10008.5.1.4.1.1.2", CommandField=1, MessageID=mid,
                  Priority=0, CommandDataSetType=0, AffectedSOPInstanceUID=uid)
    else:
        kw = dict(AffectedSOPClassUID="1.2.840.10008.5.1.4.1.1.2", CommandField=0x8001,
                  MessageIDBeingRespondedTo=mid, CommandDataSetType=0x0101, Status=status,
                  AffectedSOPInstanceUID=uid)
    fresh = dimse._encode(tuple((k, kw[k]) for k in sorted(kw, key=dimse.KEYWORDS.__getitem__)))
    assert encode_command(**kw) == fresh
    # with elements after (0000,1000): the general path
    kw2 = dict(kw, MoveOriginatorApplicationEntityTitle="AE", MoveOriginatorMessageID=3)
    fresh2 = dimse._encode(tuple((k, kw2[k]) for k in sorted(kw2, key=dimse.KEYWORDS.__getitem__)))
    assert encode_command(**kw2) == fresh2
