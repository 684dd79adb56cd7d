"""dcmwrite / Dataset.save_as: the Part 10 file, element encoding, options, destinations."""
from __future__ import annotations

import io
import os
import struct
import warnings
import zlib

import pytest

import dcmfast
from dcmfast import DataElement, Dataset, FileDataset, FileMetaDataset, Sequence
from dcmfast import filewriter
from dcmfast.uid import IMPLEMENTATION_CLASS_UID
from tests.differential.compare import compare_datasets, values_equal

pydicom = pytest.importorskip("pydicom")
from pydicom.data import get_charset_files, get_testdata_file  # noqa: E402

CT = get_testdata_file("CT_small.dcm")  # explicit VR LE
RTPLAN = get_testdata_file("rtplan.dcm")  # implicit VR LE, nested sequences
MR_BE = get_testdata_file("MR_small_bigendian.dcm")
JPEG2K = get_testdata_file("JPEG2000.dcm")
DEFLATED = get_testdata_file("image_dfl.dcm")

IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
DEFLATE = "1.2.840.10008.1.2.1.99"
BIG = "1.2.840.10008.1.2.2"


def write(ds, **kwargs) -> bytes:
    buf = io.BytesIO()
    dcmfast.dcmwrite(buf, ds, **kwargs)
    return buf.getvalue()


def read(data, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dcmfast.dcmread(data if not isinstance(data, bytes) else io.BytesIO(data), **kwargs)


def file_bytes(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def meta_elements(data: bytes) -> dict[int, tuple[str, bytes]]:
    """tag -> (VR, value) of the file meta group, parsed by hand (explicit VR LE)."""
    assert data[128:132] == b"DICM"
    pos, out = 132, {}
    while pos + 8 <= len(data) and data[pos:pos + 2] == b"\x02\x00":
        group, elem, vr = struct.unpack_from("<HH2s", data, pos)
        vr = vr.decode()
        if vr in ("OB", "OW", "OF", "SQ", "UT", "UN"):
            (length,) = struct.unpack_from("<L", data, pos + 8)
            start = pos + 12
        else:
            (length,) = struct.unpack_from("<H", data, pos + 6)
            start = pos + 8
        out[group << 16 | elem] = (vr, data[start:start + length])
        pos = start + length
    out["end"] = pos  # type: ignore[index]
    return out


def small_dataset() -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4.5"
    ds.PatientName = "Doe^John"
    ds.PatientID = "ODD"  # odd length: padded
    return ds


# --- the Part 10 file --------------------------------------------------------------------


class TestFileMeta:
    def test_preamble_prefix_and_group_length(self):
        data = write(read(CT))
        assert data[:128] == read(CT).preamble
        meta = meta_elements(data)
        (length,) = struct.unpack("<L", meta[0x00020000][1])
        assert 132 + 12 + length == meta["end"]  # (0002,0000) counts the rest of group 2
        assert data[meta["end"]:meta["end"] + 2] == b"\x08\x00"

    def test_required_elements(self):
        ds = small_dataset()
        meta = meta_elements(write(ds))
        assert meta[0x00020001] == ("OB", b"\x00\x01")
        assert meta[0x00020002] == ("UI", b"1.2.840.10008.5.1.4.1.1.7\x00")
        assert meta[0x00020003] == ("UI", b"1.2.3.4.5\x00")
        assert meta[0x00020010] == ("UI", b"1.2.840.10008.1.2.1\x00")  # nothing known: explicit LE
        assert meta[0x00020012][1].rstrip(b"\x00").decode() == IMPLEMENTATION_CLASS_UID
        name = meta[0x00020013][1].rstrip(b" ").decode()
        assert name == "DCMFAST_" + dcmfast.__version__.replace(".", "")
        assert len(name) <= 16
        assert name == filewriter.implementation_version_name()

    def test_no_preamble_gives_zeros(self):
        ds = small_dataset()
        assert write(ds)[:132] == b"\x00" * 128 + b"DICM"

    def test_bad_preamble_length(self):
        ds = read(CT)
        ds.preamble = b"\x00" * 10
        with pytest.raises(ValueError, match="128"):
            write(ds)

    def test_other_meta_elements_kept_and_implementation_replaced(self):
        ds = read(CT)
        ds.file_meta.SourceApplicationEntityTitle = "MY_AE"
        ds.file_meta.ImplementationVersionName = "OTHER"
        back = read(write(ds))
        assert back.file_meta.SourceApplicationEntityTitle == "MY_AE"
        assert back.file_meta.ImplementationClassUID == IMPLEMENTATION_CLASS_UID
        assert back.file_meta.ImplementationVersionName == filewriter.implementation_version_name()
        assert back.file_meta.MediaStorageSOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID

    def test_dataset_not_modified(self):
        ds = read(CT)
        before = ds.file_meta.TransferSyntaxUID
        write(ds, transfer_syntax=BIG)
        assert ds.file_meta.TransferSyntaxUID == before
        assert "ImplementationVersionName" in ds.file_meta
        assert ds.file_meta.ImplementationVersionName != filewriter.implementation_version_name()

    def test_missing_sop_uids_still_written(self):
        ds = Dataset()
        ds.PatientName = "X"
        meta = meta_elements(write(ds))
        assert 0x00020002 not in meta and 0x00020003 not in meta
        assert read(write(ds)).PatientName == "X"

    def test_enforce_file_format(self):
        ds = Dataset()
        ds.PatientName = "X"
        with pytest.raises(ValueError, match="Media Storage SOP Class UID"):
            write(ds, enforce_file_format=True)
        with pytest.raises(ValueError, match="Media Storage"):
            write(ds, write_like_original=False)  # pydicom's older spelling
        # with enforce, the meta follows the data set's SOP Instance UID
        ds = read(CT)
        ds.SOPInstanceUID = "1.2.3"
        assert read(write(ds)).file_meta.MediaStorageSOPInstanceUID != "1.2.3"
        assert read(write(ds, enforce_file_format=True)).file_meta.MediaStorageSOPInstanceUID == "1.2.3"

    def test_meta_group_elements_in_dataset_refused(self):
        ds = small_dataset()
        ds.add_new(0x00020010, "UI", EXPLICIT)
        with pytest.raises(ValueError, match="file_meta"):
            write(ds)
        ds = small_dataset()
        ds.add_new(0x00000100, "US", 1)
        with pytest.raises(ValueError, match="Command"):
            write(ds)
        # encode_dataset (for the network) allows the command group
        assert filewriter.encode_dataset(ds, transfer_syntax=IMPLICIT)[:4] == b"\x00\x00\x00\x01"

    def test_file_meta_with_other_group(self):
        ds = small_dataset()
        ds.file_meta = Dataset()
        ds.file_meta.PatientID = "x"
        with pytest.raises(ValueError, match="group"):
            write(ds)

    def test_pydicom_reads_meta(self):
        data = write(read(RTPLAN))
        theirs = pydicom.dcmread(io.BytesIO(data))
        assert theirs.file_meta.TransferSyntaxUID == IMPLICIT
        assert theirs.file_meta.ImplementationClassUID == IMPLEMENTATION_CLASS_UID
        length = theirs.file_meta.FileMetaInformationGroupLength
        assert length == meta_elements(data)["end"] - 132 - 12


# --- transfer syntax choice ------------------------------------------------------------------


class TestSyntax:
    @pytest.mark.parametrize("given,expected", [
        ("ImplicitVRLittleEndian", IMPLICIT), ("ExplicitVRLittleEndian", EXPLICIT),
        ("ExplicitVRBigEndian", BIG), ("DeflatedExplicitVRLittleEndian", DEFLATE),
        (IMPLICIT, IMPLICIT), (BIG, BIG)])
    def test_keyword_or_uid(self, given, expected):
        back = read(write(read(CT), transfer_syntax=given))
        assert back.file_meta.TransferSyntaxUID == expected
        assert back.PatientName == "CompressedSamples^CT1"

    def test_default_is_file_meta_then_original(self):
        assert read(write(read(RTPLAN))).file_meta.TransferSyntaxUID == IMPLICIT
        assert read(write(read(MR_BE))).file_meta.TransferSyntaxUID == BIG
        ds = read(CT)
        del ds.file_meta.TransferSyntaxUID
        assert read(write(ds)).file_meta.TransferSyntaxUID == EXPLICIT  # as read
        ds = read(RTPLAN)
        ds.file_meta = FileMetaDataset()
        assert read(write(ds)).file_meta.TransferSyntaxUID == IMPLICIT  # as read

    def test_implicit_vr_little_endian_arguments(self):
        ds = small_dataset()
        assert read(write(ds, implicit_vr=True)).file_meta.TransferSyntaxUID == IMPLICIT
        assert read(write(ds, implicit_vr=False, little_endian=False)).file_meta.TransferSyntaxUID == BIG
        with pytest.raises(ValueError, match="Implicit VR and big endian"):
            write(ds, implicit_vr=True, little_endian=False)
        with pytest.raises(ValueError, match="implicit_vr"):
            write(read(CT), implicit_vr=True)  # the file meta says explicit
        with pytest.raises(ValueError, match="little_endian"):
            write(ds, transfer_syntax=EXPLICIT, little_endian=False)
        # force_encoding: the arguments win and the meta follows
        back = read(write(read(CT), implicit_vr=True, little_endian=True, force_encoding=True))
        assert back.file_meta.TransferSyntaxUID == IMPLICIT

    def test_unknown_syntax_name(self):
        with pytest.raises(ValueError, match="transfer syntax"):
            write(small_dataset(), transfer_syntax="ExplicitVRLittleEndain")

    def test_private_syntax_uid_kept(self):
        ds = read(CT)
        back = read(write(ds, transfer_syntax="1.2.3.4.5.6"))
        assert back.file_meta.TransferSyntaxUID == "1.2.3.4.5.6"
        assert back.PatientName == ds.PatientName  # encoded as read: explicit VR LE

    def test_unknown_keyword_argument(self):
        with pytest.raises(TypeError, match="bogus"):
            write(small_dataset(), bogus=1)


# --- encapsulated pixel data --------------------------------------------------------------------


class TestEncapsulated:
    def test_kept_byte_for_byte(self):
        ds = read(JPEG2K)
        data = write(ds)
        back = read(data)
        assert back.file_meta.TransferSyntaxUID == ds.file_meta.TransferSyntaxUID
        assert back.PixelData == ds.PixelData
        assert back[0x7FE00010].is_undefined_length and back[0x7FE00010].VR == "OB"
        # the items and the sequence delimiter, as in the source file
        raw = file_bytes(JPEG2K)
        value = ds.PixelData
        assert value in raw and value + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00" in data
        assert data.endswith(b"\xfe\xff\xdd\xe0\x00\x00\x00\x00")

    def test_decoded_value_kept_too(self):
        ds = read(JPEG2K)
        ds.PixelData  # noqa: B018 - a DataElement now
        assert read(write(ds)).PixelData == ds.PixelData

    @pytest.mark.parametrize("syntax", [IMPLICIT, EXPLICIT, BIG, DEFLATE])
    def test_native_syntax_refused(self, syntax):
        with pytest.raises(ValueError, match="encapsulated.*JPEG 2000"):
            write(read(JPEG2K), transfer_syntax=syntax)

    def test_native_pixels_in_encapsulated_syntax_refused(self):
        with pytest.raises(ValueError, match="native"):
            write(read(CT), transfer_syntax="JPEGBaseline8Bit")

    def test_not_items_refused(self):
        ds = small_dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.50"
        elem = DataElement(0x7FE00010, "OB", b"\x01\x02\x03\x04\x05\x06\x07\x08",
                           is_undefined_length=True)
        ds[0x7FE00010] = elem
        with pytest.raises(ValueError, match="item"):
            write(ds)

    def test_truncated_fragment_repaired(self):
        path = get_testdata_file("emri_small_jpeg_2k_lossless_too_short.dcm")
        ds = read(path)
        data = write(ds)
        back = read(data)
        value = back.PixelData
        pos = 0
        while pos < len(value):  # every item complete, in the value
            tag, length = struct.unpack_from("<LL", value, pos)
            assert tag == 0xE000FFFE
            pos += 8 + length
        assert pos == len(value)
        assert pydicom.dcmread(io.BytesIO(data)).PixelData == value


# --- element encoding ----------------------------------------------------------------------------


def every_vr_dataset() -> Dataset:
    """One element (or more) of every VR, single and multi-valued, odd and even lengths."""
    ds = small_dataset()
    ds.add_new(0x00080005, "CS", "ISO_IR 100")
    ds.add_new(0x00080054, "AE", "AE_TITLE")
    ds.add_new(0x00101010, "AS", "042Y")
    ds.add_new(0x00209165, "AT", [0x00100010, 0x7FE00010])
    ds.add_new(0x00280009, "AT", 0x00181063)
    ds.add_new(0x00080060, "CS", "CT")
    ds.add_new(0x00080020, "DA", "20240101")
    ds.add_new(0x00080012, "DA", "")
    ds.add_new(0x00280030, "DS", ["0.5", "1.25"])
    ds.add_new(0x00181063, "DS", 12.5)
    ds.add_new(0x00181060, "DS", "")
    ds.add_new(0x0040A30A, "DS", ["1", "2.5", "-3e2"])
    ds.add_new(0x0008002A, "DT", "20240101120000.5")
    ds.add_new(0x00089459, "FL", 0.5)
    ds.add_new(0x00186028, "FD", 3.5)
    ds.add_new(0x00189306, "FD", [1.0, -2.5])
    ds.add_new(0x00200013, "IS", 7)
    ds.add_new(0x00081030, "LO", "Étude tête")
    ds.add_new(0x00100020, "LO", ["ID1", "ID2"])
    ds.add_new(0x00204000, "LT", "line one\r\nline two\\not a separator")
    ds.add_new(0x00282000, "OB", b"\x01\x02\x03")
    ds.add_new(0x003A032E, "OD", struct.pack("<2d", 2.25, -1.0))
    ds.add_new(0x00181638, "OF", struct.pack("<2f", 1.5, -2.0))
    ds.add_new(0x00660040, "OL", struct.pack("<3L", 1, 2, 3))
    ds.add_new(0x00720081, "OV", struct.pack("<Q", 2 ** 40))
    ds.add_new(0x00281201, "OW", struct.pack("<3H", 1, 2, 0xABCD))
    ds.add_new(0x00081070, "PN", ["Müller^Hans", "Smith^Jo"])
    ds.add_new(0x0040A123, "PN", "")
    ds.add_new(0x00081010, "SH", "STATION")
    ds.add_new(0x00186020, "SL", -5)
    ds.add_new(0x00189219, "SS", -3)
    ds.add_new(0x00080081, "ST", "Address")
    ds.add_new(0x00720082, "SV", [-(2 ** 40), 5])
    ds.add_new(0x00080030, "TM", "120000.25")
    ds.add_new(0x00080119, "UC", "unlimited characters")
    ds.add_new(0x00880140, "UI", "1.2.3")
    ds.add_new(0x00209057, "UL", 4294967295)
    ds.add_new(0x00090010, "LO", "MY CREATOR")
    ds.add_new(0x00091001, "UN", b"\x01\x02\x03\x04")
    ds.add_new(0x00081190, "UR", "http://example.com/x")
    ds.add_new(0x00280010, "US", 512)
    ds.add_new(0x00280100, "US", 16)
    ds.add_new(0x00280103, "US", 0)
    ds.add_new(0x0040A160, "UT", "unlimited text ")
    ds.add_new(0x0008040C, "UV", 2 ** 63)
    ds.add_new(0x00400275, "SQ", Sequence([Dataset(), Dataset()]))
    ds[0x00400275].value[0].PatientID = "IN_ITEM"
    ds[0x00400275].value[1].add_new(0x00400009, "SH", "S1")
    ds.add_new(0x0040A168, "SQ", [])
    ds.add_new(0x7FE00010, "OW", struct.pack("<4H", 1, 2, 3, 0xFFFF))
    return ds


def _strip(ds):
    return {int(e.tag): e for e in ds}


class TestElements:
    @pytest.mark.parametrize("syntax", [IMPLICIT, EXPLICIT, BIG, DEFLATE])
    def test_values_round_trip(self, syntax):
        ds = every_vr_dataset()
        data = write(ds, transfer_syntax=syntax)
        back = read(data)
        theirs = pydicom.dcmread(io.BytesIO(data))
        assert compare_datasets(back, theirs) == []
        for tag, elem in _strip(ds).items():
            got = back[tag]
            if elem.VR == "SQ":
                assert len(got.value) == len(elem.value)
                continue
            if syntax == BIG and elem.VR in ("OD", "OF", "OL", "OV", "OW"):
                assert got.value != elem.value or len(set(elem.value)) == 1  # swapped on disk
                continue
            if elem.value in (None, "") or elem.VR == "PN" and not elem.value:
                assert not got.value, tag
                continue
            expected = elem.value
            if elem.VR in ("UT", "LT", "ST"):
                expected = expected.rstrip(" ")
            elif elem.VR in ("OB", "UN") and len(expected) % 2:
                expected += b"\0"  # the pad byte is part of the value read back
            assert got.value == expected, f"{tag:08X}"
        assert back[0x00400275].value[0].PatientID == "IN_ITEM"
        assert back.StudyDescription == "Étude tête"

    def test_even_length_padding(self):
        ds = small_dataset()
        ds.add_new(0x00880140, "UI", "1.2.3")
        ds.add_new(0x00282000, "OB", b"\x01\x02\x03")
        data = write(ds)
        assert b"\x10\x00\x20\x00LO\x04\x00ODD " in data  # text: space
        assert b"\x88\x00\x40\x01UI\x06\x001.2.3\x00" in data  # UI: NUL
        assert b"\x28\x00\x00\x20OB\x00\x00\x04\x00\x00\x00\x01\x02\x03\x00" in data  # OB: NUL
        back = read(data)
        assert back.PatientID == "ODD"
        assert back[0x00880140].value == "1.2.3"

    def test_odd_untouched_value_padded(self):
        # an odd-length value copied from a file gets its pad byte too
        ds = small_dataset()
        ds.add_new(0x00080080, "LO", "ABC")
        data = bytearray(write(ds))
        i = data.index(b"ABC ")
        data[i - 2:i + 4] = b"\x03\x00ABC"  # make the value odd on disk (3 bytes)
        data = bytes(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            odd = dcmfast.dcmread(io.BytesIO(data))
        out = write(odd)
        assert b"\x08\x00\x80\x00LO\x04\x00ABC " in out

    def test_big_endian_numbers(self):
        ds = small_dataset()
        ds.add_new(0x00280010, "US", 0x0102)
        ds.add_new(0x00209165, "AT", 0x00100020)
        ds.add_new(0x00186020, "SL", -2)
        data = write(ds, transfer_syntax=BIG)
        assert b"\x00\x28\x00\x10US\x00\x02\x01\x02" in data
        assert b"\x00\x20\x91\x65AT\x00\x04\x00\x10\x00\x20" in data
        assert b"\x00\x18\x60\x20SL\x00\x04\xff\xff\xff\xfe" in data
        back = read(data)
        assert (back.Rows, back[0x00209165].value, back[0x00186020].value) == (0x0102, 0x00100020, -2)

    def test_ow_swapped_by_word(self):
        ds = small_dataset()
        ds.add_new(0x00281201, "OW", b"\x01\x02\x03\x04")
        ds.add_new(0x00660023, "OF", b"\x01\x02\x03\x04")
        data = write(ds, transfer_syntax=BIG)
        assert b"\x00\x28\x12\x01OW\x00\x00\x00\x00\x00\x04\x02\x01\x04\x03" in data
        assert b"\x00\x66\x00\x23OF\x00\x00\x00\x00\x00\x04\x04\x03\x02\x01" in data

    def test_ambiguous_vr_resolved(self):
        ds = small_dataset()
        ds.add_new(0x00280103, "US", 1)
        ds.add_new(0x00280100, "US", 16)
        ds.add_new(0x00280106, "US or SS", -5)  # SmallestImagePixelValue
        ds.add_new(0x7FE00010, "OB or OW", b"\x00\x01\x02\x03")
        data = write(ds)
        back = read(data)
        assert back[0x00280106].VR == "SS" and back[0x00280106].value == -5
        assert back[0x7FE00010].VR == "OW"
        assert b"\x28\x00\x06\x01SS" in data

    def test_lut_descriptor_first_value_unsigned(self):
        ds = small_dataset()
        ds.add_new(0x00280103, "US", 1)
        ds.add_new(0x00281101, "SS", [40000, -2, 16])
        back = read(write(ds, transfer_syntax=BIG))
        assert list(back[0x00281101].value) == [40000, -2, 16]

    def test_long_value_written_as_un(self):
        ds = small_dataset()
        ds.add_new(0x00081030, "LO", "x" * 70000)
        with pytest.warns(UserWarning, match="64 kByte"):
            data = write(ds)
        assert b"\x08\x00\x30\x10UN\x00\x00\x70\x11\x01\x00" in data
        theirs = pydicom.dcmread(io.BytesIO(data))
        assert theirs[0x00081030].value.rstrip(b" ") in (b"x" * 70000, "x" * 70000)
        # implicit VR has a 4-byte length: no change needed
        assert read(write(ds, transfer_syntax=IMPLICIT)).StudyDescription == "x" * 70000

    def test_numbers_that_do_not_fit(self):
        ds = small_dataset()
        ds.add_new(0x00280010, "US", 70000)
        with pytest.raises(ValueError, match=r"\(0028,0010\)"):
            write(ds)

    def test_modified_added_deleted(self):
        ds = read(CT)
        ds.PatientName = "New^Name"
        del ds.PatientID
        ds.add_new(0x00081030, "LO", "added")
        ds.PixelData = b"\x00\x01" * (len(ds.PixelData) // 2)
        back = read(write(ds))
        assert back.PatientName == "New^Name"
        assert "PatientID" not in back
        assert back.StudyDescription == "added"
        assert back.PixelData == ds.PixelData

    def test_group_length_recomputed(self):
        ds = small_dataset()
        ds.add_new(0x00100000, "UL", 1234)
        data = write(ds)
        back = read(data)
        # (0010,0000) counts PatientName and PatientID as encoded
        expected = (8 + 8) + (8 + 4)
        assert back[0x00100000].value == expected
        assert read(write(ds, transfer_syntax=IMPLICIT))[0x00100000].value == expected


# --- character sets ---------------------------------------------------------------------------------


class TestCharset:
    def test_encoded_with_specific_character_set(self):
        ds = small_dataset()
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.PatientName = "Müller^Jürgen"
        data = write(ds)
        assert "Müller^Jürgen".encode("utf-8") in data
        ds.SpecificCharacterSet = "ISO_IR 100"
        data = write(ds)
        assert "Müller^Jürgen".encode("latin-1") in data
        assert read(data).PatientName == "Müller^Jürgen"
        assert pydicom.dcmread(io.BytesIO(data)).PatientName == "Müller^Jürgen"

    def test_items_inherit_character_set(self):
        ds = small_dataset()
        ds.SpecificCharacterSet = "ISO_IR 192"
        item = Dataset()
        item.PatientName = "Ωmega"
        ds.add_new(0x00101002, "SQ", [item])
        data = write(ds)
        assert "Ωmega".encode("utf-8") in data
        assert read(data)[0x00101002].value[0].PatientName == "Ωmega"

    def test_changed_character_set_reencodes_untouched_text(self):
        path = get_charset_files("chrFren.dcm")[0]
        ds = read(path)
        name = read(path).PatientName
        ds.SpecificCharacterSet = "ISO_IR 192"  # the names were never decoded
        data = write(ds)
        assert str(name).encode("utf-8") in data
        back = read(data)
        assert back.PatientName == name
        assert pydicom.dcmread(io.BytesIO(data)).PatientName == name

    @pytest.mark.parametrize("name", ["chrJapMulti.dcm", "chrH32.dcm", "chrX2.dcm", "chrRuss.dcm"])
    def test_multibyte_decoded_then_written(self, name):
        path = get_charset_files(name)[0]
        ds = read(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = {int(e.tag): e.value for e in ds.iterall() if e.VR in ("PN", "LO", "SH", "LT", "ST")}
            data = write(ds)
            theirs = pydicom.dcmread(io.BytesIO(data))
        back = read(data)
        for tag, value in values.items():
            if tag in back:
                assert back[tag].value == value
                assert values_equal(value, theirs[tag].value, back[tag].VR)


# --- sequences -------------------------------------------------------------------------------------


def seq_dataset() -> Dataset:
    ds = small_dataset()
    inner = Dataset()
    inner.CodeValue = "1"
    item = Dataset()
    item.add_new(0x00080100, "SH", "X")
    item.add_new(0x00400008, "SQ", [inner])
    ds.add_new(0x00400275, "SQ", [item, Dataset()])
    return ds


class TestSequences:
    SEQ_DELIM = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    ITEM_DELIM = b"\xfe\xff\x0d\xe0\x00\x00\x00\x00"

    def test_defined_by_default_for_new(self):
        data = write(seq_dataset())
        assert self.SEQ_DELIM not in data and self.ITEM_DELIM not in data
        back = read(data)
        assert back[0x00400275].value[0][0x00400008].value[0].CodeValue == "1"
        assert len(back[0x00400275].value[1]) == 0

    @pytest.mark.parametrize("mode", ["defined", "undefined"])
    @pytest.mark.parametrize("syntax", [IMPLICIT, EXPLICIT, BIG])
    def test_forced_lengths(self, mode, syntax):
        data = write(seq_dataset(), transfer_syntax=syntax, sequence_lengths=mode)
        delim = self.SEQ_DELIM if syntax != BIG else b"\xff\xfe\xe0\xdd\x00\x00\x00\x00"
        assert (delim in data) == (mode == "undefined")
        back = read(data)
        assert back[0x00400275].value[0][0x00400008].value[0].CodeValue == "1"
        assert back[0x00400275].is_undefined_length == (mode == "undefined")
        theirs = pydicom.dcmread(io.BytesIO(data))
        assert theirs[0x00400275][0][0x00400008][0].CodeValue == "1"

    def test_like_original(self):
        ds = seq_dataset()
        ds[0x00400275].value.is_undefined_length = True
        ds[0x00400275].value[0].is_undefined_length_sequence_item = True
        data = write(ds)
        assert data.count(self.SEQ_DELIM) == 1 and data.count(self.ITEM_DELIM) == 1
        back = read(data)
        assert back[0x00400275].is_undefined_length
        assert back[0x00400275].value[0].is_undefined_length_sequence_item
        assert not back[0x00400275].value[1].is_undefined_length_sequence_item
        assert write(back) == data

    def test_bad_sequence_lengths_value(self):
        with pytest.raises(ValueError, match="sequence_lengths"):
            write(seq_dataset(), sequence_lengths="sometimes")

    def test_read_sequences_keep_their_form(self):
        ds = read(RTPLAN)
        data = write(ds)
        raw = file_bytes(RTPLAN)
        assert data.count(self.SEQ_DELIM) == raw.count(self.SEQ_DELIM)
        assert data.count(self.ITEM_DELIM) == raw.count(self.ITEM_DELIM)


# --- whole files ------------------------------------------------------------------------------------


class TestFiles:
    def test_untouched_same_syntax_identical_data_set(self):
        # CT_small has no group lengths, UN or odd values: the data set bytes are the source's
        raw = file_bytes(CT)
        data = write(read(CT))
        start_raw = meta_elements(raw)["end"]
        start = meta_elements(data)["end"]
        assert data[start:] == raw[start_raw:]

    def test_deterministic(self):
        ds = read(RTPLAN)
        assert write(ds) == write(ds) == write(read(RTPLAN))

    def test_deflate_is_raw_deflate(self):
        data = write(read(CT), transfer_syntax=DEFLATE)
        start = meta_elements(data)["end"]
        body = zlib.decompress(data[start:], -zlib.MAX_WBITS)
        plain = write(read(CT), transfer_syntax=EXPLICIT)
        assert body == plain[meta_elements(plain)["end"]:]
        assert len(data) % 2 == 0

    def test_deflated_source(self):
        ds = read(DEFLATED)
        back = read(write(ds))
        assert back.file_meta.TransferSyntaxUID == DEFLATE
        assert back.PixelData == ds.PixelData

    def test_big_endian_source_pixels(self):
        np = pytest.importorskip("numpy")
        data = write(read(MR_BE), transfer_syntax=EXPLICIT)
        ours = pydicom.dcmread(io.BytesIO(data)).pixel_array
        assert np.array_equal(ours, pydicom.dcmread(MR_BE).pixel_array)

    def test_save_as(self, tmp_path):
        ds = read(CT)
        out = tmp_path / "ct.dcm"
        ds.save_as(out, transfer_syntax="ExplicitVRBigEndian")
        assert read(out).file_meta.TransferSyntaxUID == BIG
        ds.save_as(str(out))
        assert read(out).file_meta.TransferSyntaxUID == EXPLICIT
        assert dcmfast.dcmwrite is not filewriter.dcmwrite  # the package forwards
        dcmfast.dcmwrite(out, ds, transfer_syntax=IMPLICIT)
        assert read(out).file_meta.TransferSyntaxUID == IMPLICIT

    def test_file_object_position(self):
        buf = io.BytesIO()
        buf.write(b"HEAD")
        dcmfast.dcmwrite(buf, read(CT))
        data = buf.getvalue()
        assert data[:4] == b"HEAD" and data[4 + 128:4 + 132] == b"DICM"

    def test_not_a_destination(self):
        with pytest.raises(TypeError, match="file"):
            dcmfast.dcmwrite(12, read(CT))

    def test_atomic_path_write(self, tmp_path):
        out = tmp_path / "x.dcm"
        out.write_bytes(b"previous")
        os.chmod(out, 0o640)
        ds = small_dataset()
        ds.add_new(0x00280010, "US", 70000)  # cannot be encoded
        with pytest.raises(ValueError):
            dcmfast.dcmwrite(out, ds)
        assert out.read_bytes() == b"previous"
        assert os.listdir(tmp_path) == ["x.dcm"]
        dcmfast.dcmwrite(out, small_dataset())
        assert read(out).PatientID == "ODD"
        assert os.listdir(tmp_path) == ["x.dcm"]
        assert os.stat(out).st_mode & 0o777 == 0o640  # replacing keeps the permissions

    def test_interrupted_write_leaves_no_file(self, tmp_path, monkeypatch):
        out = tmp_path / "x.dcm"

        class Boom(Exception):
            pass

        real_open = open

        def failing_open(fd, mode="r", *args, **kwargs):
            f = real_open(fd, mode, *args, **kwargs)
            if isinstance(fd, int) and "w" in mode:
                def write(_data):
                    raise Boom()
                f.write = write  # type: ignore[method-assign]
            return f

        monkeypatch.setattr("builtins.open", failing_open)
        with pytest.raises((Boom, AttributeError)):
            dcmfast.dcmwrite(out, small_dataset())
        monkeypatch.undo()
        assert os.listdir(tmp_path) == []

    def test_overwrite_false(self, tmp_path):
        out = tmp_path / "x.dcm"
        dcmfast.dcmwrite(out, small_dataset(), overwrite=False)
        with pytest.raises(FileExistsError):
            dcmfast.dcmwrite(out, small_dataset(), overwrite=False)
        assert sorted(os.listdir(tmp_path)) == ["x.dcm"]

    def test_write_over_the_file_read(self, tmp_path):
        out = tmp_path / "x.dcm"
        out.write_bytes(file_bytes(RTPLAN))
        ds = read(out)
        dcmfast.dcmwrite(out, ds, transfer_syntax=EXPLICIT)
        assert read(out).file_meta.TransferSyntaxUID == EXPLICIT
        assert read(out).BeamSequence[0].BeamName == read(RTPLAN).BeamSequence[0].BeamName

    def test_write_over_the_mapped_file_read(self, tmp_path):
        # a file over 64 KB is memory-mapped: the new file replaces it, the mapping stays valid
        ds = small_dataset()
        ds.add_new(0x00280100, "US", 16)
        ds.add_new(0x7FE00010, "OW", bytes(range(256)) * 800)
        out = tmp_path / "big.dcm"
        dcmfast.dcmwrite(out, ds)
        mapped = read(out)
        dcmfast.dcmwrite(out, mapped, transfer_syntax=BIG)
        dcmfast.dcmwrite(out, read(out), transfer_syntax=EXPLICIT)
        assert read(out).PixelData == ds.PixelData
        assert mapped.PatientID == "ODD"

    def test_encode_dataset(self):
        ds = read(CT)
        body = filewriter.encode_dataset(ds, transfer_syntax=IMPLICIT)
        assert body[:2] == b"\x08\x00"  # the data set itself: no preamble, no meta
        back = dcmfast.dcmread(body, force=True)
        assert back.original_encoding == (True, True)
        assert back.PatientName == ds.PatientName
        assert filewriter.encode_dataset(ds) == write(ds)[meta_elements(write(ds))["end"]:]

    def test_file_dataset_from_scratch(self, tmp_path):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        meta.MediaStorageSOPInstanceUID = "1.2.3"
        meta.TransferSyntaxUID = EXPLICIT
        ds = FileDataset(str(tmp_path / "new.dcm"), {}, file_meta=meta, preamble=b"\x01" * 128)
        ds.PatientName = "New"
        ds.save_as(tmp_path / "new.dcm", enforce_file_format=True)
        data = (tmp_path / "new.dcm").read_bytes()
        assert data[:128] == b"\x01" * 128
        theirs = pydicom.dcmread(tmp_path / "new.dcm")
        assert theirs.PatientName == "New"
        assert theirs.file_meta.MediaStorageSOPInstanceUID == "1.2.3"


# --- properties -------------------------------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, strategies as st  # noqa: E402

_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\\"),
                max_size=40).map(str.strip)


@given(
    lo=st.lists(_text.filter(lambda t: len(t) <= 64), min_size=1, max_size=3),
    us=st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=4),
    sl=st.integers(-(2 ** 31), 2 ** 31 - 1),
    fd=st.lists(st.floats(allow_nan=False), min_size=1, max_size=3),
    ob=st.binary(max_size=33),
    nested=st.integers(0, 3),
    syntax=st.sampled_from([IMPLICIT, EXPLICIT, BIG, DEFLATE]),
    lengths=st.sampled_from(["original", "defined", "undefined"]),
)
def test_property_round_trip(lo, us, sl, fd, ob, nested, syntax, lengths):
    ds = small_dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.add_new(0x00081030, "LO", lo if len(lo) > 1 else lo[0])
    ds.add_new(0x00280010, "US", us if len(us) > 1 else us[0])
    ds.add_new(0x00186020, "SL", sl)
    ds.add_new(0x00189306, "FD", fd if len(fd) > 1 else fd[0])
    ds.add_new(0x00282000, "OB", ob)
    item = ds
    for _ in range(nested):
        child = Dataset()
        child.add_new(0x00081030, "LO", lo[0])
        item.add_new(0x00400275, "SQ", [child])
        item = child
    data = write(ds, transfer_syntax=syntax, sequence_lengths=lengths)
    back = read(data)
    assert back[0x00081030].value == (lo if len(lo) > 1 else lo[0])
    assert back[0x00280010].value == (us if len(us) > 1 else us[0])
    assert back[0x00186020].value == sl
    assert back[0x00189306].value == (fd if len(fd) > 1 else fd[0])
    assert (back[0x00282000].value or b"") == ob + b"\0" * (len(ob) % 2)
    depth, item = 0, back
    while 0x00400275 in item:
        item = item[0x00400275].value[0]
        depth += 1
        assert item[0x00081030].value == lo[0]
    assert depth == nested
    assert compare_datasets(back, pydicom.dcmread(io.BytesIO(data))) == []
    assert write(read(data), transfer_syntax=syntax, sequence_lengths=lengths) == data
