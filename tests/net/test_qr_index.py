"""Patient Root and Study Root C-FIND over what ``dcmfast serve`` stored (the
SQLite index, dcmfast.net.index): answers checked against the stored files
(read with pydicom), with dcmfast's SCU and with DCMTK's findscu; the index
survives a restart and follows a replaced instance."""
from __future__ import annotations

import glob
import os
import subprocess

import pytest

import dcmfast
from dcmfast import net
from dcmfast.net.qr import FIND_MODELS, parse_keys
from tests.net.conftest import dcmtk, dcmtk_env, valid_corpus_files

pydicom = pytest.importorskip("pydicom")
LE = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A dcmfast SCP holding ~30 corpus files, and what pydicom says of them."""
    folder = tmp_path_factory.mktemp("qr-store")
    files = valid_corpus_files(limit=30)
    ae = net.AE("SCU")
    server = ae.start_server(0, storage_dir=str(folder))
    try:
        with ae.associate("127.0.0.1", server.port, ae_title="QR", for_files=files) as assoc:
            for path in files:
                assert assoc.store(path) == 0, path
        truth = [pydicom.dcmread(p, stop_before_pixels=True) for p in files]
        yield server, folder, truth
    finally:
        server.shutdown()


def _find(port, keys, model="study"):
    with net.AE("SCU").associate("127.0.0.1", port, ae_title="QR",
                                 contexts=[(FIND_MODELS[model], LE)]) as assoc:
        return list(assoc.find(parse_keys(keys), model=model))


def _text(value) -> str:
    return str(value).strip() if value is not None else ""


def test_study_level_matches_the_files(stored):
    server, _, truth = stored
    studies = {str(ds.StudyInstanceUID) for ds in truth if "StudyInstanceUID" in ds}
    got = _find(server.port, ["QueryRetrieveLevel=STUDY", "StudyInstanceUID", "PatientID",
                              "NumberOfStudyRelatedInstances", "ModalitiesInStudy"])
    assert {str(d.StudyInstanceUID) for d in got} == studies
    for d in got:
        members = [t for t in truth if str(t.get("StudyInstanceUID", "")) == str(d.StudyInstanceUID)]
        assert int(d.NumberOfStudyRelatedInstances) == len(members)
        assert d.QueryRetrieveLevel == "STUDY"
        modalities = sorted({_text(t.get("Modality")) for t in members} - {""})
        if modalities:
            got_mods = d.ModalitiesInStudy
            got_mods = [got_mods] if isinstance(got_mods, str) else list(got_mods)
            assert sorted(got_mods) == modalities


def test_keys_wildcards_and_levels(stored):
    server, _, truth = stored
    some = next(t for t in truth if _text(t.get("PatientID")))
    pid = _text(some.PatientID)
    mine = [t for t in truth if _text(t.get("PatientID")) == pid]
    # patient root, patient level
    got = _find(server.port, ["QueryRetrieveLevel=PATIENT", f"PatientID={pid}", "PatientName",
                              "NumberOfPatientRelatedInstances"], model="patient")
    assert len(got) == 1 and int(got[0].NumberOfPatientRelatedInstances) == len(mine)
    # wildcard on the first characters of the ID
    prefix = pid[:2] + "*"
    expected = {_text(t.PatientID) for t in truth
                if _text(t.get("PatientID")).startswith(pid[:2])}
    got = _find(server.port, ["QueryRetrieveLevel=PATIENT", f"PatientID={prefix}"],
                model="patient")
    assert {_text(d.PatientID) for d in got} == expected
    # image level under one series, study root
    series = str(mine[0].SeriesInstanceUID)
    images = {str(t.SOPInstanceUID) for t in truth if str(t.SeriesInstanceUID) == series}
    got = _find(server.port, ["QueryRetrieveLevel=IMAGE", f"SeriesInstanceUID={series}",
                              "SOPInstanceUID"])
    assert {str(d.SOPInstanceUID) for d in got} == images
    # UID list matching
    uids = sorted(images)[:2]
    got = _find(server.port, ["QueryRetrieveLevel=IMAGE", "SOPInstanceUID=" + "\\".join(uids)])
    assert sorted(str(d.SOPInstanceUID) for d in got) == uids


def test_study_date_ranges(stored):
    server, _, truth = stored
    dated = sorted({_text(t.StudyDate) for t in truth if _text(t.get("StudyDate"))})
    assert dated
    pivot = dated[len(dated) // 2]
    expected = {str(t.StudyInstanceUID) for t in truth if _text(t.get("StudyDate")) >= pivot}
    got = _find(server.port, ["QueryRetrieveLevel=STUDY", f"StudyDate={pivot}-",
                              "StudyInstanceUID"])
    assert {str(d.StudyInstanceUID) for d in got} == expected


def test_bad_level_is_refused(stored):
    server, _, _ = stored
    with pytest.raises(net.qr.QueryFailed) as info:
        _find(server.port, ["QueryRetrieveLevel=PATIENT", "PatientID"], model="study")
    assert int(info.value.status) == 0xA900


def test_findscu_against_dcmfast(stored, tmp_path):
    server, _, truth = stored
    out = tmp_path / "rsp"
    out.mkdir()
    subprocess.run([dcmtk("findscu"), "-S", "-aec", "QR", "-X", "-od", str(out),
                    "-k", "QueryRetrieveLevel=SERIES", "-k", "SeriesInstanceUID",
                    "-k", "Modality", "-k", "StudyInstanceUID",
                    "127.0.0.1", str(server.port)], check=True, capture_output=True,
                   env=dcmtk_env(), timeout=60)
    got = {str(dcmfast.dcmread(p).SeriesInstanceUID) for p in glob.glob(str(out / "*.dcm"))}
    assert got == {str(t.SeriesInstanceUID) for t in truth}


def test_index_survives_restart_and_replacement(tmp_path):
    files = valid_corpus_files(limit=3)
    ae = net.AE("SCU")
    server = ae.start_server(0, storage_dir=str(tmp_path))
    try:
        with ae.associate("127.0.0.1", server.port, for_files=files) as assoc:
            for path in files:
                assert assoc.store(path) == 0
            assert assoc.store(files[0]) == 0   # the same instance again: one row
    finally:
        server.shutdown()
    # an index deleted while stopped is rebuilt from the files at start
    for leftover in glob.glob(str(tmp_path / ".dcmfast-index.sqlite*")):
        os.unlink(leftover)
    server = ae.start_server(0, storage_dir=str(tmp_path))
    try:
        got = _find(server.port, ["QueryRetrieveLevel=IMAGE", "SOPInstanceUID"])
        assert sorted(str(d.SOPInstanceUID) for d in got) == \
            sorted(str(dcmfast.dcmread(p).SOPInstanceUID) for p in files)
    finally:
        server.shutdown()


# --- the same queries against DCMTK's dcmqrscp holding the same files -----------------------
@pytest.fixture(scope="module")
def dcmqrscp(tmp_path_factory):
    """dcmqrscp holding the same corpus files as the ``stored`` fixture,
    stored by dcmfast's SCU."""
    from tests.net.conftest import start_dcmqrscp, stop

    proc, port = start_dcmqrscp(tmp_path_factory.mktemp("dcmqrscp"))
    try:
        files = valid_corpus_files(limit=30)
        with net.AE("SCU").associate("127.0.0.1", port, ae_title="QR", for_files=files) as assoc:
            for path in files:
                assert assoc.store(path) == 0, path
        yield port
    finally:
        stop(proc)


_QUERIES = [
    ("-P", ["QueryRetrieveLevel=PATIENT", "PatientID", "PatientName"]),
    ("-P", ["QueryRetrieveLevel=PATIENT", "PatientName=*^*", "PatientID"]),
    ("-S", ["QueryRetrieveLevel=STUDY", "StudyInstanceUID", "PatientID", "StudyDate",
            "AccessionNumber"]),
    ("-S", ["QueryRetrieveLevel=STUDY", "StudyDate=20000101-", "StudyInstanceUID"]),
    ("-S", ["QueryRetrieveLevel=SERIES", "Modality=MR", "SeriesInstanceUID", "SeriesNumber",
            "StudyInstanceUID"]),
    ("-S", ["QueryRetrieveLevel=SERIES", "Modality=CT", "SeriesInstanceUID",
            "StudyInstanceUID"]),
]


def _findscu_answers(port: int, model: str, keys: list[str], out) -> list[tuple]:
    out.mkdir(parents=True)
    args = [dcmtk("findscu"), model, "-aec", "QR", "-X", "-od", str(out)]
    for k in keys:
        args += ["-k", k]
    subprocess.run(args + ["127.0.0.1", str(port)], check=True, capture_output=True,
                   env=dcmtk_env(), timeout=60)
    wanted = [k.split("=")[0] for k in keys if not k.startswith("QueryRetrieveLevel")]
    answers = []
    for path in glob.glob(str(out / "*.dcm")):
        ds = dcmfast.dcmread(path)
        answers.append(tuple(_text(ds.get(k)) for k in wanted))
    return sorted(answers)


@pytest.mark.parametrize("index", range(len(_QUERIES)))
def test_same_answers_as_dcmqrscp(stored, dcmqrscp, tmp_path, index):
    server, _, _ = stored
    model, keys = _QUERIES[index]
    theirs = _findscu_answers(dcmqrscp, model, keys, tmp_path / "dcmqrscp")
    ours = _findscu_answers(server.port, model, keys, tmp_path / "dcmfast")
    assert ours == theirs
    assert theirs or "Modality=" in " ".join(keys)  # the broad queries do match something
