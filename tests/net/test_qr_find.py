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
