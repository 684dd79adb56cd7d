"""Dataset / DataElement / Sequence behave as pydicom's for the operations in API.md."""
from __future__ import annotations

import copy
import io
import pathlib
import pickle
import warnings

import pytest

import dcmfast
from dcmfast import DataElement, Dataset, Sequence

pydicom = pytest.importorskip("pydicom")
from pydicom.data import get_testdata_file  # noqa: E402

CT = get_testdata_file("CT_small.dcm")
RTPLAN = get_testdata_file("rtplan.dcm")  # implicit VR, nested sequences


@pytest.fixture
def ct():
    return dcmfast.dcmread(CT)


@pytest.fixture
def ct_pd():
    return pydicom.dcmread(CT)


class TestAccess:
    def test_keyword_and_tag_access(self, ct, ct_pd):
        assert ct.PatientName == ct_pd.PatientName == "CompressedSamples^CT1"
        assert ct.PatientName.family_name == "CompressedSamples"
        assert ct.PatientName.given_name == "CT1"
        elem = ct[0x00100010]
        assert elem is ct[(0x0010, 0x0010)] is ct["PatientName"]
        assert (elem.tag, elem.VR, elem.keyword, elem.name, elem.VM) == (
            0x00100010, "PN", "PatientName", "Patient's Name", 1)
        assert str(elem.tag) == "(0010,0010)"
        assert elem.value == ct.PatientName

    def test_value_types_follow_pydicom(self, ct, ct_pd):
        assert isinstance(ct.Rows, int) and ct.Rows == ct_pd.Rows
        assert isinstance(ct.SOPInstanceUID, str) and ct.SOPInstanceUID == ct_pd.SOPInstanceUID
        assert ct.SOPClassUID.name == ct_pd.SOPClassUID.name == "CT Image Storage"
        ipp = ct.ImagePositionPatient
        assert isinstance(ipp, list) and len(ipp) == 3
        assert [float(x) for x in ipp] == [float(x) for x in ct_pd.ImagePositionPatient]
        assert [str(x) for x in ipp] == [str(x) for x in ct_pd.ImagePositionPatient]
        assert isinstance(ct.SliceThickness, float) and ct.SliceThickness == 5.0
        assert isinstance(ct.PixelData, bytes) and ct.PixelData == ct_pd.PixelData

    def test_contains_get_dir_len(self, ct, ct_pd):
        assert "PatientName" in ct and 0x00100010 in ct and (0x10, 0x10) in ct
        assert "NotAKeyword" not in ct and "PatientAddress" not in ct
        assert ct.get("PatientID") == ct_pd.get("PatientID")
        assert ct.get("PatientAddress", "none") == "none"
        assert ct.get(0x00100020).value == ct_pd.get(0x00100020).value
        assert ct.get(0x00101040) is None
        assert ct.dir() == ct_pd.dir()
        assert ct.dir("pat") == ct_pd.dir("pat")
        assert len(ct) == len(ct_pd)
        assert ct.data_element("PatientID").value == "1CT1"
        assert ct.data_element("PatientAddress") is None

    def test_iteration_in_tag_order(self, ct, ct_pd):
        assert [e.tag for e in ct] == [e.tag for e in ct_pd]
        tags = [e.tag for e in ct]
        assert tags == sorted(tags)

    def test_missing_attribute(self, ct):
        with pytest.raises(AttributeError, match="PatientAddress"):
            ct.PatientAddress
        with pytest.raises(KeyError):
            ct[0x00101040]

    def test_file_meta_and_preamble(self, ct, ct_pd):
        assert ct.file_meta.TransferSyntaxUID == ct_pd.file_meta.TransferSyntaxUID
        assert ct.preamble == ct_pd.preamble
        assert ct.filename == CT

    def test_str_matches_pydicom(self, ct, ct_pd):
        assert str(ct) == str(ct_pd)

    def test_sequences(self):
        ours, theirs = dcmfast.dcmread(RTPLAN), pydicom.dcmread(RTPLAN)
        seq = ours.BeamSequence
        assert isinstance(seq, Sequence) and len(seq) == len(theirs.BeamSequence)
        item = seq[0]
        assert isinstance(item, Dataset)
        cps = item.ControlPointSequence
        assert cps[0].GantryAngle == theirs.BeamSequence[0].ControlPointSequence[0].GantryAngle
        assert str(ours) == str(theirs)


class TestEditing:
    def test_set_existing_and_new(self, ct):
        ct.PatientID = "X"
        assert ct.PatientID == "X" and ct[0x00100020].value == "X"
        ct.PatientAddress = "Somewhere"
        assert ct[0x00101040].VR == "LO" and ct.PatientAddress == "Somewhere"
        ct.ImagePositionPatient = [1, 2.5, "3"]
        assert [float(v) for v in ct.ImagePositionPatient] == [1.0, 2.5, 3.0]
        ct.WindowCenter = "40\\400"
        assert ct[0x00281050].VM == 2

    def test_delete(self, ct):
        del ct.PatientID
        assert "PatientID" not in ct
        with pytest.raises(AttributeError):
            del ct.PatientID
        del ct[0x00100010]
        assert 0x00100010 not in ct

    def test_add_new_and_add(self, ct):
        ct.add_new(0x00091099, "LO", "private value")
        assert ct[0x00091099].value == "private value"
        ct.add(DataElement(0x00100021, "LO", "Issuer"))
        assert ct.IssuerOfPatientID == "Issuer"

    def test_setitem_checks(self, ct):
        with pytest.raises(TypeError):
            ct[0x00100010] = "not an element"
        with pytest.raises(ValueError):
            ct[0x00100010] = DataElement(0x00100020, "LO", "x")

    def test_new_dataset_like_pydicom(self):
        ours, theirs = Dataset(), pydicom.Dataset()
        for ds in (ours, theirs):
            ds.PatientName = "Doe^John"
            ds.Rows = 512
            ds.PixelSpacing = [0.5, 0.5]
            ds.BeamSequence = [type(ds)()]
            ds.BeamSequence[0].BeamNumber = 1
        assert str(ours) == str(theirs)
        assert ours.PatientName.family_name == "Doe"

    def test_sequence_items_must_be_datasets(self):
        seq = Sequence()
        with pytest.raises(TypeError):
            seq.append("x")


class TestCopying:
    def test_deepcopy_and_pickle(self, ct):
        clone = copy.deepcopy(ct)
        clone.PatientID = "changed"
        assert ct.PatientID == "1CT1"
        again = pickle.loads(pickle.dumps(ct))
        assert again.PatientName == ct.PatientName and again == ct

    def test_equality(self):
        a, b = dcmfast.dcmread(CT), dcmfast.dcmread(CT)
        assert a == b
        b.PatientID = "other"
        assert a != b


class TestReadOptions:
    def test_sources(self):
        data = pathlib.Path(CT).read_bytes()
        for src in (CT, data, bytearray(data), memoryview(data), io.BytesIO(data)):
            assert dcmfast.dcmread(src).PatientName == "CompressedSamples^CT1"

    def test_stop_before_pixels(self):
        ds = dcmfast.dcmread(CT, stop_before_pixels=True)
        assert "PixelData" not in ds and "Rows" in ds
        assert ds.dir() == pydicom.dcmread(CT, stop_before_pixels=True).dir()

    def test_specific_tags(self):
        ours = dcmfast.dcmread(CT, specific_tags=["PatientName", 0x00280010])
        theirs = pydicom.dcmread(CT, specific_tags=["PatientName", 0x00280010])
        assert sorted(ours.keys()) == sorted(theirs.keys())

    def test_defer_size_accepted(self):
        assert dcmfast.dcmread(CT, defer_size="1 KB").PixelData == dcmfast.dcmread(CT).PixelData

    def test_force(self):
        no_preamble = pathlib.Path(CT).read_bytes()[128 + 4:]
        with pytest.raises(dcmfast.InvalidDicomError, match="DICM"):
            dcmfast.dcmread(no_preamble)
        ds = dcmfast.dcmread(no_preamble, force=True)
        assert ds.preamble is None and ds.PatientName == "CompressedSamples^CT1"

    def test_private_creator_known(self, ct, ct_pd):
        assert ct[0x00091001].private_creator == ct_pd[0x00091001].private_creator == "GEMS_IDEN_01"
        assert ct[0x00091001].name == ct_pd[0x00091001].name

    def test_unknown_private_keeps_raw_bytes(self):
        ds = Dataset()
        ds.add_new(0x00290010, "LO", "UNKNOWN CREATOR")
        raw = b"\x01\x02\x03\x04"
        ds.add_new(0x00291001, "UN", raw)
        assert ds[0x00291001].value == raw and ds[0x00291001].private_creator == "UNKNOWN CREATOR"


class TestPydicomInterop:
    @pytest.mark.parametrize("name", ["CT_small.dcm", "rtplan.dcm", "chrH31.dcm", "MR_small_bigendian.dcm"])
    def test_to_pydicom_and_back(self, name):
        from pydicom.data import get_charset_files

        from tests.differential.compare import compare_datasets

        path = get_testdata_file(name) or get_charset_files(name)[0]
        ours = dcmfast.dcmread(path)
        theirs = ours.to_pydicom()
        assert isinstance(theirs, pydicom.Dataset)
        assert not compare_datasets(ours, theirs)
        back = dcmfast.from_pydicom(theirs)
        assert not compare_datasets(back, theirs)

    def test_from_pydicom_without_file_meta(self):
        pds = pydicom.Dataset()
        pds.PatientName = "Doe^Jane"
        pds.ReferencedImageSequence = [pydicom.Dataset()]
        pds.ReferencedImageSequence[0].ReferencedSOPInstanceUID = "1.2.3"
        ours = dcmfast.from_pydicom(pds)
        assert ours.PatientName == "Doe^Jane"
        assert ours.ReferencedImageSequence[0].ReferencedSOPInstanceUID == "1.2.3"
