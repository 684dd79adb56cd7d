"""dcmfast.web against a real Orthanc + DICOMweb plugin (see conftest.py).

The corpus round trip: every corpus file dcmfast reads that has Study, Series
and SOP Instance UIDs (the first file of each SOP Instance UID: the corpus
holds the same instance in several encodings, and Orthanc keeps the first one
it gets) is uploaded with STOW-RS, found with QIDO-RS, retrieved with WADO-RS
and compared element by element and pixel by pixel with the original file.

Exceptions, by what Orthanc does (documented, checked):
- WADO-RS is asked for ``transfer-syntax=*`` (the stored syntax): Orthanc then
  returns the stored file and every element and pixel is the same. Without it
  PS3.18 says Explicit VR Little Endian, and Orthanc transcodes: JPEG 2000 /
  some JPEG-LS instances it cannot transcode (HTTP 500), and lossy JPEG comes
  back decompressed as RGB (Photometric Interpretation and pixel values
  differ); test_default_syntax_transcodes checks one lossless instance that way.
- Some corpus files are refused by Orthanc's STOW-RS (damaged files: bad VRs,
  bad sequences, lossy JPEG-LS it cannot parse...). STOW reports each of them
  as failed; the test checks that every uploaded file is accounted for, either
  stored or failed, and that at least 140 are stored.
"""
from __future__ import annotations

import collections
import io
import os
import warnings

import numpy as np
import pytest

import dcmfast
from dcmfast.web import Client, HTTPError, StoreError
from tests.corpus import corpus_files, corpus_id
from tests.differential.compare import compare_datasets

pytestmark = pytest.mark.corpus


def _corpus_instances() -> "collections.OrderedDict[str, tuple[str, str, str]]":
    out: collections.OrderedDict = collections.OrderedDict()
    for path in corpus_files():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = dcmfast.dcmread(path)
                sop, study, series = (ds.get("SOPInstanceUID"), ds.get("StudyInstanceUID"),
                                      ds.get("SeriesInstanceUID"))
        except Exception:  # noqa: BLE001 - not for this test
            continue
        if sop and study and series and str(sop) not in out:
            out[str(sop)] = (path, str(study), str(series))
    return out


@pytest.fixture(scope="module")
def uploaded(orthanc):
    instances = _corpus_instances()
    if not instances:
        pytest.skip("pydicom's test files are not installed")
    with Client(orthanc.url) as c:
        result = c.store_instances([v[0] for v in instances.values()], raise_on_failure=False)
    return instances, result


def test_stow_accounts_for_every_file(uploaded):
    instances, result = uploaded
    assert len(result.stored) + len(result.failed) == len(instances)
    assert len(result.stored) >= 140, [str(f) for f in result.failed]
    stored = {s.sop_instance_uid for s in result.stored}
    assert stored <= set(instances)
    for failure in result.failed:  # each failure names its file and why
        assert failure.source in {v[0] for v in instances.values()}
        assert failure.message
    # the merged response data set carries the server's sequences
    assert len(result.ReferencedSOPSequence) == len(result.stored)
    assert all(s.retrieve_url and s.retrieve_url.startswith("http") for s in result.stored)


def test_qido_finds_every_stored_instance(uploaded, client):
    instances, result = uploaded
    found = client.search_for_instances(get_remaining=True, limit=50,
                                        fields=["SOPClassUID"])
    uids = {str(ds.SOPInstanceUID) for ds in found}
    assert {s.sop_instance_uid for s in result.stored} <= uids
    # one study by UID, its series, its instances
    sop, (path, study, series) = next((k, v) for k, v in instances.items()
                                      if k in {s.sop_instance_uid for s in result.stored})
    studies = client.search_for_studies(search_filters={"StudyInstanceUID": study})
    assert [str(s.StudyInstanceUID) for s in studies] == [study]
    assert series in {str(s.SeriesInstanceUID) for s in client.search_for_series(study)}
    assert sop in {str(i.SOPInstanceUID) for i in client.search_for_instances(study, series)}


def test_qido_limit_offset_and_filters(uploaded, client):
    everything = client.search_for_studies()
    assert len(everything) >= 10
    first = client.search_for_studies(limit=3)
    second = client.search_for_studies(limit=3, offset=3)
    assert len(first) == 3 and len(second) == 3
    assert not {str(d.StudyInstanceUID) for d in first} & {str(d.StudyInstanceUID) for d in second}
    paged = client.search_for_studies(limit=4, get_remaining=True)
    assert sorted(str(d.StudyInstanceUID) for d in paged) == sorted(
        str(d.StudyInstanceUID) for d in everything)
    ct = client.search_for_studies(search_filters={"PatientID": "1CT1"}, fields=["StudyDescription"])
    assert ct and all(d.PatientID == "1CT1" for d in ct)
    assert client.search_for_studies(search_filters={"PatientID": "no-such-patient-x"}) == []
    fuzzy = client.search_for_studies(search_filters={"PatientID": "1CT*"}, fuzzymatching=True)
    assert {d.PatientID for d in fuzzy} >= {"1CT1"}


def test_wado_round_trip_element_and_pixel(uploaded, client):
    instances, result = uploaded
    stored = {s.sop_instance_uid for s in result.stored}
    compared = pixels = 0
    failures = []
    for sop, (path, study, series) in instances.items():
        if sop not in stored:
            continue
        got = client.retrieve_instance(study, series, sop, transfer_syntax="*")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            original = dcmfast.dcmread(path)
            diffs = compare_datasets(got, original)
            assert got.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
            try:
                expected = original.pixel_array
            except Exception:  # noqa: BLE001 - no pixels or not decodable: nothing to compare
                expected = None
            if expected is not None:
                actual = got.pixel_array
                if not np.array_equal(actual, expected) or actual.dtype != expected.dtype:
                    diffs.append("pixel data differ")
                pixels += 1
        if diffs:
            failures.append(f"{corpus_id(path)}: {diffs[:3]}")
        compared += 1
    assert not failures
    assert compared == len(stored) and pixels >= 80


def test_retrieve_study_series_iterators(uploaded, client):
    instances, result = uploaded
    stored = {s.sop_instance_uid for s in result.stored}
    by_study = collections.defaultdict(set)
    for sop, (_, study, _) in instances.items():
        if sop in stored:
            by_study[study].add(sop)
    study, sops = max(by_study.items(), key=lambda kv: len(kv[1]))
    stream = client.retrieve_study(study, transfer_syntax="*")
    assert iter(stream) is stream
    got = {str(ds.SOPInstanceUID) for ds in stream}
    assert sops <= got
    # a series, stopped after the first instance: the connection is released
    series = next(v[2] for k, v in instances.items() if v[1] == study and k in stored)
    with client.retrieve_series(study, series, transfer_syntax="*") as stream:
        first = next(stream)
    assert str(first.SeriesInstanceUID) == series
    assert {str(d.SOPInstanceUID) for d in client.iter_study(study, transfer_syntax="*")} == got
    assert str(next(iter(client.iter_series(study, series))).SeriesInstanceUID) == series


def test_save_instances_to_files(uploaded, client, tmp_path):
    instances, result = uploaded
    sop, (path, study, series) = next((k, v) for k, v in instances.items()
                                      if k in {s.sop_instance_uid for s in result.stored})
    written = client.save_instances(tmp_path, study, transfer_syntax="*")
    assert os.path.join(str(tmp_path), sop + ".dcm") in written
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(p) for p in written)
    with open(os.path.join(tmp_path, sop + ".dcm"), "rb") as f, open(path, "rb") as g:
        assert dcmfast.dcmread(f.read()).SOPInstanceUID == dcmfast.dcmread(g.read()).SOPInstanceUID


def test_metadata_frames_bulkdata(uploaded, client):
    instances, result = uploaded
    stored = {s.sop_instance_uid for s in result.stored}
    sop = "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322"  # CT_small.dcm
    assert sop in stored
    path, study, series = instances[sop]
    original = dcmfast.dcmread(path)
    meta = client.retrieve_instance_metadata(study, series, sop)
    assert meta.Rows == original.Rows and meta.PatientName == original.PatientName
    assert meta.ImagePositionPatient == original.ImagePositionPatient
    pixel = meta[0x7FE00010]
    assert pixel.bulk_data_uri.startswith("http") and not pixel.is_loaded
    assert "not fetched" in repr(pixel)
    assert meta.PixelData == original.PixelData  # fetched now, through retrieve_bulkdata
    assert pixel.is_loaded
    series_meta = client.retrieve_series_metadata(study, series)
    assert sop in {str(m.SOPInstanceUID) for m in series_meta}
    assert sop in {str(m.SOPInstanceUID) for m in client.retrieve_study_metadata(study)}
    # frames: native, JPEG-LS transcoded by the server, raw bytes, parallel
    expected = original.pixel_array
    (frame,) = client.retrieve_instance_frames(study, series, sop, [1])
    assert np.array_equal(frame, expected) and frame.dtype == expected.dtype
    (frame,) = client.retrieve_instance_frames(study, series, sop, [1],
                                               media_types=[("image/jls", "1.2.840.10008.1.2.4.80")])
    assert np.array_equal(frame, expected)
    (raw,) = client.retrieve_instance_frames(study, series, sop, [1], decode=False)
    assert raw == original.PixelData
    bulk = client.retrieve_bulkdata(pixel.bulk_data_uri)
    assert bulk == [original.PixelData]
    png = client.retrieve_instance_rendered(study, series, sop)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_multiframe_frames_parallel(uploaded, client):
    instances, result = uploaded
    stored = {s.sop_instance_uid for s in result.stored}
    for sop, (path, study, series) in instances.items():
        if sop not in stored or not path.endswith("emri_small.dcm"):
            continue
        original = dcmfast.dcmread(path)
        expected = original.pixel_array
        numbers = list(range(1, int(original.NumberOfFrames) + 1))
        frames = client.retrieve_instance_frames(study, series, sop, numbers, workers=3)
        assert np.array_equal(np.stack(frames), expected)
        frames = client.retrieve_instance_frames(study, series, sop, [3, 1])
        assert np.array_equal(frames[0], expected[2]) and np.array_equal(frames[1], expected[0])
        return
    pytest.fail("emri_small.dcm was not stored")


def test_default_syntax_transcodes(uploaded, client):
    instances, _ = uploaded
    sop = "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322"
    path, study, series = instances[sop]
    got = client.retrieve_instance(study, series, sop)  # Explicit VR LE by default (PS3.18)
    assert got.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert np.array_equal(got.pixel_array, dcmfast.dcmread(path).pixel_array)


def test_http_errors_carry_status_and_message(orthanc, client):
    with pytest.raises(HTTPError) as info:
        client.retrieve_instance("1.2.3", "4.5.6", "7.8.9")
    assert info.value.status_code == 404
    assert "inexistent" in info.value.message.lower() and "404" in str(info.value)
    with pytest.raises(HTTPError) as info:
        client.retrieve_study_metadata("1.2.3.4.5.6.7")
    assert info.value.status_code == 404
    bad = Client(orthanc.root + "/no-such-root")
    with pytest.raises(HTTPError) as info:
        bad.search_for_studies()
    assert info.value.status_code == 404
    bad.close()


def test_stow_failures_are_reported(orthanc, client, tmp_path):
    not_dicom = tmp_path / "not_dicom.dcm"
    not_dicom.write_bytes(b"this is not a DICOM file" * 10)
    with pytest.raises(StoreError) as info:
        client.store_instances([str(not_dicom)])
    (failure,) = info.value.result.failed
    assert failure.source == str(not_dicom) and failure.status_code == 400
    assert str(not_dicom) in str(info.value)
    # an instance posted to another study's URL: in the server's FailedSOPSequence
    from pydicom.data import get_testdata_file

    path = get_testdata_file("MR_small.dcm")
    result = client.store_instances([path], study_instance_uid="1.2.3.4.999",
                                    raise_on_failure=False)
    assert not result.ok and len(result.failed) == 1
    failure = result.failed[0]
    assert failure.sop_instance_uid == str(dcmfast.dcmread(path).SOPInstanceUID)
    assert failure.source == path
    # a mixed batch: the good one is stored, the bad one reported
    result = client.store_instances([path, str(not_dicom)], raise_on_failure=False)
    assert [s.source for s in result.stored] == [path]
    assert [f.source for f in result.failed] == [str(not_dicom)]


def test_stow_datasets_and_bytes(orthanc, client):
    from pydicom.data import get_testdata_file

    ds = dcmfast.dcmread(get_testdata_file("CT_small.dcm"))
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.8.498.111"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.PatientID = "DCMFAST-STOW-DS"
    result = client.store_instances(ds)
    assert [s.sop_instance_uid for s in result.stored] == ["1.2.826.0.1.3680043.8.498.111"]
    back = client.retrieve_instance(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID,
                                    transfer_syntax="*")
    assert back.PatientID == "DCMFAST-STOW-DS"
    assert np.array_equal(back.pixel_array, ds.pixel_array)
    buf = io.BytesIO()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.112"
    ds.save_as(buf)
    result = client.store_instances([buf.getvalue()])
    assert result.ok and result.stored[0].sop_instance_uid == "1.2.826.0.1.3680043.8.498.112"


def test_frames_of_every_stored_image(uploaded, client):
    """Every stored corpus image, its frames through WADO-RS (as stored:
    native, RLE, JPEG, JPEG-LS, JPEG 2000), decoded by dcmfast's pipeline with
    the instance's metadata: identical to the original file's pixel_array."""
    instances, result = uploaded
    stored = {s.sop_instance_uid for s in result.stored}
    checked, failures, syntaxes = 0, [], set()
    for sop, (path, study, series) in instances.items():
        if sop not in stored:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            original = dcmfast.dcmread(path)
            try:
                expected = original.pixel_array
            except Exception:  # noqa: BLE001 - no pixels, or not decodable here
                continue
        frames = int(original.get("NumberOfFrames") or 1)
        if 0x7FE00010 not in original or frames > 50:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = client.retrieve_instance_frames(study, series, sop, list(range(1, frames + 1)))
        except Exception as exc:  # noqa: BLE001 - collected below
            failures.append(f"{corpus_id(path)}: {type(exc).__name__}: {getattr(exc, 'message', exc)}")
            continue
        got = np.stack(got) if frames > 1 else got[0]
        if got.shape != expected.shape or not np.array_equal(got, expected):
            failures.append(f"{corpus_id(path)}: frames differ")
        checked += 1
        syntaxes.add(str(original.file_meta.TransferSyntaxUID))
    # Orthanc 1.10 / DICOMweb 1.7 answers HTTP 500 ("Internal error") for the frames of
    # instances it stores in Explicit VR Big Endian or Deflated Explicit VR Little Endian
    assert failures == ["ExplVR_BigEnd.dcm: HTTPError: Internal error",
                        "image_dfl.dcm: HTTPError: Internal error"]
    assert checked >= 80
    assert {"1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.90"} <= syntaxes


@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "SC_rgb_rle.dcm", "emri_small_jpeg_ls_lossless.dcm",
                                  "JPGLosslessP14SV1_1s_1f_8b.dcm", "SC_rgb_jpeg_gdcm.dcm",
                                  "MR_small_jp2klossless.dcm", "SC_rgb_dcmtk_+eb+cy+n2.dcm"])
def test_compressed_frames(orthanc, client, name):
    """Frames of compressed instances (stored under a new SOP Instance UID, since
    the corpus shares UIDs between encodings): returned as stored (image/x-dicom-rle,
    image/jls, image/jpeg, image/jp2) and decoded like the file's pixel_array."""
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name)
    ds = dcmfast.dcmread(path)
    expected = ds.pixel_array
    uid = "1.2.826.0.1.3680043.8.498.7" + str(abs(hash(name)) % 10 ** 12)
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid
    client.store_instances(ds)
    frames = int(ds.get("NumberOfFrames") or 1)
    got = client.retrieve_instance_frames(ds.StudyInstanceUID, ds.SeriesInstanceUID, uid,
                                          list(range(1, frames + 1)))
    got = np.stack(got) if frames > 1 else got[0]
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    raw = client.retrieve_instance_frames(ds.StudyInstanceUID, ds.SeriesInstanceUID, uid, [1],
                                          decode=False)
    assert isinstance(raw[0], bytes) and len(raw[0]) < expected.nbytes // frames  # as stored
