"""A Specific Character Set whose VR was damaged must not break decoding.

Found by test_random_byte_flips (hypothesis, ci profile): a flipped header made
(0008,0005) decode as bytes or numbers, and deriving the character set raised
AttributeError. pydicom reads (0008,0005) as text whatever its VR; so do we.
"""
from __future__ import annotations

import struct
import warnings

import pytest

import dcmfast
from dcmfast import DicomWarning


def _explicit(tag: int, vr: bytes, value: bytes) -> bytes:
    group, elem = tag >> 16, tag & 0xFFFF
    if vr in (b"OB", b"UN"):
        return struct.pack("<HH2sHI", group, elem, vr, 0, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr, len(value)) + value


@pytest.mark.hostile
@pytest.mark.parametrize("vr,value", [
    (b"OB", b"ISO_IR 192"),
    (b"UN", b"ISO_IR 100\\ISO 2022 IR 87"),
    (b"US", b"\x05\x00"),
    (b"UL", b"\x01\x00\x00\x00\x02\x00\x00\x00"),
    (b"FD", b"\x00" * 8),
])
def test_damaged_charset_vr(vr, value):
    data = (_explicit(0x00080005, vr, value)
            + _explicit(0x00100010, b"PN", b"Doe^John")
            + _explicit(0x00100020, b"LO", b"ID\xe9"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = dcmfast.dcmread(data, force=True)
        for elem in ds.iterall():
            elem.value
        str(ds)
    assert ds.PatientName == "Doe^John"
    assert all(issubclass(w.category, DicomWarning) for w in caught), [str(w.message) for w in caught]
