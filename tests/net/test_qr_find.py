"""C-FIND as a service user (dcmfast.net.qr) against DCMTK's Modality Worklist
SCP (wlmscpfs) on DCMTK's own example worklists and queries, compared with
DCMTK's findscu on the same queries; C-CANCEL; the findscu-style key parser."""
from __future__ import annotations

import glob
import os
import subprocess

import pytest

import dcmfast
from dcmfast import net
from dcmfast.cli import main
from dcmfast.net.qr import FIND_MODELS, parse_keys
from tests.net.conftest import dcmtk, dcmtk_env, free_port, stop, wait_port

EXAMPLES = "/usr/share/doc/dcmtk/examples"
WORKLIST = FIND_MODELS["worklist"]
LE = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]


def _dump2dcm(src: str, dst: str) -> None:
    subprocess.run([dcmtk("dump2dcm"), "-q", src, dst], check=True, capture_output=True,
                   timeout=30)


@pytest.fixture(scope="module")
def wlmscpfs(tmp_path_factory):
    """wlmscpfs serving DCMTK's example worklists (AE folder OFFIS); the
    example queries as DICOM files."""
    if not os.path.isdir(os.path.join(EXAMPLES, "wlistdb", "OFFIS")):
        pytest.skip("DCMTK's example worklists are not installed (dcmtk's doc examples)")
    root = tmp_path_factory.mktemp("wl")
    db = root / "db" / "OFFIS"
    db.mkdir(parents=True)
    for dump in sorted(glob.glob(os.path.join(EXAMPLES, "wlistdb", "OFFIS", "*.dump"))):
        _dump2dcm(dump, str(db / (os.path.basename(dump)[:-5] + ".wl")))
    (db / "lockfile").touch()
    queries = []
    for dump in sorted(glob.glob(os.path.join(EXAMPLES, "wlistqry", "*.dump"))):
        out = root / (os.path.basename(dump)[:-5] + ".dcm")
        _dump2dcm(dump, str(out))
        queries.append(str(out))
    port = free_port()
    proc = subprocess.Popen([dcmtk("wlmscpfs"), "-dfp", str(root / "db"), str(port)],
                            env=dcmtk_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc=proc)
        yield port, queries, root
    finally:
        stop(proc)


def _canonical(ds) -> str:
    """The data set's text without its file meta (findscu -X writes one)."""
    if getattr(ds, "file_meta", None) is not None:
        del ds.file_meta
    return str(ds)


def _findscu(port: int, query: str, out: str) -> list[str]:
    os.makedirs(out, exist_ok=True)
    subprocess.run([dcmtk("findscu"), "-W", "-aec", "OFFIS", "-X", "-od", out, "127.0.0.1",
                    str(port), query], check=True, capture_output=True, env=dcmtk_env(),
                   timeout=60)
    answers = sorted(glob.glob(os.path.join(out, "*.dcm")))
    return sorted(_canonical(dcmfast.dcmread(p)) for p in answers)


def test_worklist_queries_answer_like_findscu(wlmscpfs, tmp_path):
    port, queries, _ = wlmscpfs
    ae = net.AE("DCMFAST")
    total = 0
    for query_file in queries:
        query = dcmfast.dcmread(query_file)
        del query.file_meta
        expected = _findscu(port, query_file, str(tmp_path / os.path.basename(query_file)))
        with ae.associate("127.0.0.1", port, ae_title="OFFIS",
                          contexts=[(WORKLIST, LE)]) as assoc:
            got = sorted(_canonical(ds) for ds in assoc.find(query, model="worklist"))
        assert got == expected, query_file
        total += len(got)
    assert total > 0  # the example queries do match something


def test_early_stop_cancels_and_the_association_stays_usable(wlmscpfs):
    port, _, _ = wlmscpfs
    query = parse_keys(["PatientName", "ScheduledProcedureStepSequence[0].Modality"])
    ae = net.AE("DCMFAST")
    with ae.associate("127.0.0.1", port, ae_title="OFFIS",
                      contexts=[(WORKLIST, LE), ("1.2.840.10008.1.1", LE)]) as assoc:
        everything = list(assoc.find(query, model="worklist"))
        assert len(everything) > 1
        for _ in assoc.find(query, model="worklist"):
            break  # the generator is closed here: C-CANCEL, then the rest is drained
        assert assoc.echo() == 0
        assert len(list(assoc.find(query, model="worklist"))) == len(everything)


def test_model_not_accepted(wlmscpfs):
    port, _, _ = wlmscpfs
    ae = net.AE("DCMFAST")
    with ae.associate("127.0.0.1", port, ae_title="OFFIS",
                      contexts=[("1.2.840.10008.1.1", LE)]) as assoc:
        with pytest.raises(net.NoPresentationContext, match="worklist"):
            list(assoc.find(parse_keys(["PatientName"]), model="worklist"))
        with pytest.raises(ValueError, match="unknown query model"):
            list(assoc.find(parse_keys(["PatientName"]), model="nonsense"))


def test_find_cli(wlmscpfs, capsys):
    port, _, _ = wlmscpfs
    code = main(["find", "127.0.0.1", str(port), "--aec", "OFFIS", "--model", "worklist",
                 "-k", "ScheduledProcedureStepSequence[0].Modality=MR", "-k", "PatientName"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "# match 1" in captured.out and "'MR'" in captured.out
    assert "matches" in captured.err or "match" in captured.err
    assert main(["find", "127.0.0.1", str(port), "--aec", "OFFIS", "--model", "worklist",
                 "-k", "NoSuchKeyword=1"]) == 1
    assert main(["find", "127.0.0.1", str(free_port()), "--timeout", "2"]) == 1


def test_parse_keys():
    ds = parse_keys(["PatientName=DOE*", "PatientID", "StudyDate=20240101-",
                     "ScheduledProcedureStepSequence[0].Modality=CT",
                     "ScheduledProcedureStepSequence[0].ScheduledStationAETitle",
                     "(0008,0050)=ACC1", "Rows=512"])
    assert ds.PatientName == "DOE*"
    assert ds[0x00100020].value in ("", None)
    assert ds.StudyDate == "20240101-"
    item = ds.ScheduledProcedureStepSequence[0]
    assert item.Modality == "CT" and 0x00400001 in item
    assert ds.AccessionNumber == "ACC1" and ds.Rows == 512
    empty = parse_keys(["ScheduledProcedureStepSequence"])
    assert len(empty.ScheduledProcedureStepSequence) == 0
    with pytest.raises(ValueError):
        parse_keys(["PatientName.Modality=CT"])
    with pytest.raises(ValueError):
        parse_keys(["NotAKeyword=1"])


# --- dcmfast as the Modality Worklist SCP ----------------------------------------------
def _values(ds, prefix: str = "") -> tuple:
    """The non-empty values of a response, flattened to (tag path, value)."""
    out = []
    for elem in ds:
        if elem.tag == 0x00080005:
            continue
        path = f"{prefix}{elem.tag:08X}"
        if elem.VR == "SQ":
            for i, item in enumerate(elem.value):
                out.extend(_values(item, f"{path}[{i}]."))
        elif elem.value not in (None, "", b"") and not (isinstance(elem.value, list)
                                                       and not elem.value):
            out.append((path, str(elem.value)))
    return tuple(sorted(out))


def _answers(folder) -> list:
    return sorted(_values(dcmfast.dcmread(p)) for p in sorted(glob.glob(str(folder / "*.dcm"))))


@pytest.fixture(scope="module")
def dcmfast_wlm(wlmscpfs, tmp_path_factory):
    _, _, root = wlmscpfs
    server = net.AE("DCMFAST").start_server(
        0, storage_dir=str(tmp_path_factory.mktemp("wl-store")), worklist_dir=str(root / "db"))
    try:
        yield server.port
    finally:
        server.shutdown()


def test_dcmfast_worklist_scp_answers_like_wlmscpfs(wlmscpfs, dcmfast_wlm, tmp_path):
    """findscu -W sends DCMTK's example queries to both SCPs over the same
    worklist folder: the same matches with the same values. Compared on the
    non-empty values: where the item lacks a requested attribute the two
    differ in form (wlmscpfs leaves out an absent sequence and fills an empty
    sequence item with its own list of return keys, zero-length; dcmfast
    returns what was asked, zero-length, and the item's Specific Character
    Set, as PS3.4 K.4.1.2 allows)."""
    port, queries, _ = wlmscpfs
    total = 0
    for query in queries:
        name = os.path.basename(query)
        _findscu(port, query, str(tmp_path / "dcmtk" / name))
        _findscu(dcmfast_wlm, query, str(tmp_path / "dcmfast" / name))
        theirs = _answers(tmp_path / "dcmtk" / name)
        ours_ = _answers(tmp_path / "dcmfast" / name)
        assert ours_ == theirs, name
        total += len(theirs)
    assert total > 0


def test_dcmfast_worklist_matching_rules(dcmfast_wlm):
    ae = net.AE("DCMFAST")
    with ae.associate("127.0.0.1", dcmfast_wlm, ae_title="OFFIS",
                      contexts=[(WORKLIST, LE)]) as assoc:
        def names(*keys):
            return sorted(str(m.PatientName) for m in
                          assoc.find(parse_keys(["PatientName", *keys]), model="worklist"))

        everyone = names()
        assert len(everyone) >= 5
        assert names("PatientName=MOZART*") == [n for n in everyone if n.startswith("MOZART")]
        assert names("PatientName=?OZART*") == names("PatientName=MOZART*")
        assert names("PatientName=NOBODY") == []
        mr = names("ScheduledProcedureStepSequence[0].Modality=MR")
        assert mr and set(mr) < set(everyone)
        # a station AE title matches any of an item's values (VIVALDI has AA32\AA33)
        assert "VIVALDI^ANTONIO" in names(
            "ScheduledProcedureStepSequence[0].ScheduledStationAETitle=AA33")
        # date ranges: open on either side, and a closed range covering everything
        dated = names("ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=-99991231")
        assert dated == names("ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=19000101-")
        assert names("ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=-19000101") == []


def test_worklist_match_unit():
    from dcmfast.net.worklist import match

    item = parse_keys(["PatientName=DOE^JOHN", "PatientID=42", "StudyInstanceUID=1.2.3",
                       "ScheduledProcedureStepSequence[0].Modality=CT",
                       "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=20240115",
                       "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime=093000"])
    assert match(parse_keys(["PatientName"]), item).PatientName == "DOE^JOHN"
    assert match(parse_keys(["PatientName=DOE*"]), item) is not None
    assert match(parse_keys(["PatientName=doe*"]), item) is None  # case-sensitive
    assert match(parse_keys(["StudyInstanceUID=9.9\\1.2.3"]), item) is not None  # UID list
    assert match(parse_keys(["StudyInstanceUID=1.2"]), item) is None
    sps = "ScheduledProcedureStepSequence[0]."
    assert match(parse_keys([sps + "ScheduledProcedureStepStartDate=20240101-20240131"]),
                 item) is not None
    assert match(parse_keys([sps + "ScheduledProcedureStepStartTime=0900-1000"]), item) is not None
    assert match(parse_keys([sps + "ScheduledProcedureStepStartTime=1000-"]), item) is None
    assert match(parse_keys([sps + "Modality=MR"]), item) is None
    # a key the item lacks: only universal matching passes
    assert match(parse_keys(["AccessionNumber=X"]), item) is None
    got = match(parse_keys(["AccessionNumber", sps + "Modality"]), item)
    assert got is not None and got.AccessionNumber in ("", None)
    assert got.ScheduledProcedureStepSequence[0].Modality == "CT"
    # an empty sequence item returns the whole sequence
    whole = match(parse_keys(["ScheduledProcedureStepSequence[0]"]), item)
    assert len(whole.ScheduledProcedureStepSequence[0]) == 3


def test_dcmfast_scp_honours_c_cancel(tmp_path):
    """Breaking off a C-FIND sends C-CANCEL; dcmfast's SCP stops its pending
    responses and ends with 0xFE00 (Cancel) instead of sending every match."""
    from dcmfast.net import dimse

    base = parse_keys(["PatientName=CANCEL^TEST", "PatientID=0",
                       "ScheduledProcedureStepSequence[0].Modality=CT"])
    folder = tmp_path / "wl"
    folder.mkdir()
    n = 1500
    for i in range(n):
        base.PatientID = str(i)
        dcmfast.dcmwrite(str(folder / f"{i}.wl"), base, implicit_vr=False, little_endian=True)
    server = net.AE("WL").start_server(0, worklist_dir=str(folder))
    try:
        with net.AE("SCU").associate("127.0.0.1", server.port,
                                     contexts=[(WORKLIST, LE)]) as assoc:
            statuses = []
            original = assoc.receive_message

            def spy(*args, **kwargs):
                got = original(*args, **kwargs)
                if got is not None and got[1].field == dimse.C_FIND_RSP:
                    statuses.append(got[1].get(0x0900))
                return got

            assoc.receive_message = spy
            for _ in assoc.find(parse_keys(["PatientID"]), model="worklist"):
                break
            assert statuses[-1] == 0xFE00, hex(statuses[-1])
            assert len(statuses) < n
            statuses.clear()
            assert len(list(assoc.find(parse_keys(["PatientID"]), model="worklist"))) == n
            assert statuses[-1] == 0x0000
    finally:
        server.shutdown()
