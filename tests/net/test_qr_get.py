"""C-GET as user and provider: dcmfast ↔ dcmfast, DCMTK's getscu against
``dcmfast serve``, dcmfast's SCU against DCMTK's dcmqrscp, and a storage
class the requestor took no SCP role for ("no storage context")."""
from __future__ import annotations

import os
import subprocess

import pytest

import dcmfast
from dcmfast import net
from dcmfast.net.qr import GET_MODELS, MoveFailed, parse_keys
from tests.net.conftest import dcmtk, dcmtk_env, start_dcmqrscp, stop, valid_corpus_files

FILES = 12
LE = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]


def _uids(paths) -> set[str]:
    return {str(dcmfast.dcmread(p, stop_before_pixels=True).SOPInstanceUID) for p in paths}


@pytest.fixture
def archive(tmp_path):
    files = valid_corpus_files(limit=FILES)
    server = net.AE("QR").start_server(0, storage_dir=str(tmp_path / "qr"))
    try:
        with net.AE("SCU").associate("127.0.0.1", server.port, for_files=files) as assoc:
            for path in files:
                assert assoc.store(path) == 0
        yield server, files
    finally:
        server.shutdown()


def test_get_returns_the_instances(archive):
    server, files = archive
    truth = {str(dcmfast.dcmread(p).SOPInstanceUID): dcmfast.dcmread(p) for p in files}
    with net.AE("SCU").associate("127.0.0.1", server.port, ae_title="QR") as assoc:
        got = list(assoc.get(parse_keys(["QueryRetrieveLevel=PATIENT"]), model="patient"))
        assert {str(ds.SOPInstanceUID) for ds in got} == set(truth)
        for ds in got:
            original = truth[str(ds.SOPInstanceUID)]
            assert ds.SOPClassUID == original.SOPClassUID
            if "PixelData" in original and "PixelData" in ds:
                assert len(ds.PixelData) >= 1
        study = str(next(iter(truth.values())).StudyInstanceUID)
        in_study = {u for u, d in truth.items() if str(d.StudyInstanceUID) == study}
        got = list(assoc.get(parse_keys(["QueryRetrieveLevel=STUDY",
                                         f"StudyInstanceUID={study}"])))
        assert {str(ds.SOPInstanceUID) for ds in got} == in_study
        assert assoc.echo() == 0


def test_no_storage_context_is_reported(archive):
    server, files = archive
    # propose the GET model and Verification only: no storage context, no role
    with net.AE("SCU").associate("127.0.0.1", server.port, ae_title="QR",
                                 contexts=[(GET_MODELS["study"], LE),
                                           ("1.2.840.10008.1.1", LE)]) as assoc:
        with pytest.raises(MoveFailed, match="no storage context") as info:
            list(assoc.get(parse_keys(["QueryRetrieveLevel=STUDY"])))
        assert int(info.value.status) == 0xA702
        assert info.value.result.failed == len(_uids(files))


def test_getscu_against_dcmfast(archive, tmp_path):
    server, files = archive
    out = tmp_path / "got"
    out.mkdir()
    subprocess.run([dcmtk("getscu"), "-S", "-aec", "QR", "-od", str(out),
                    "-k", "QueryRetrieveLevel=STUDY", "127.0.0.1", str(server.port)],
                   capture_output=True, env=dcmtk_env(), timeout=120)
    # getscu proposes its own list of storage classes: what it can take arrives
    arrived = _uids(str(out / n) for n in os.listdir(out))
    assert arrived and arrived <= _uids(files)
    ct_like = {str(dcmfast.dcmread(p, stop_before_pixels=True).SOPInstanceUID) for p in files
               if str(dcmfast.dcmread(p, stop_before_pixels=True).SOPClassUID) in
               ("1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4")}
    assert ct_like <= arrived


def test_dcmfast_get_from_dcmqrscp(tmp_path):
    files = valid_corpus_files(limit=FILES)
    proc, port = start_dcmqrscp(tmp_path)
    try:
        with net.AE("SCU").associate("127.0.0.1", port, ae_title="QR", for_files=files) as assoc:
            for path in files:
                assert assoc.store(path) == 0
        with net.AE("SCU").associate("127.0.0.1", port, ae_title="QR") as assoc:
            got = list(assoc.get(parse_keys(["QueryRetrieveLevel=PATIENT", "PatientID"]),
                                 model="patient"))
        assert {str(ds.SOPInstanceUID) for ds in got} == _uids(files)
    finally:
        stop(proc)


def test_get_cli(archive, tmp_path, capsys):
    from dcmfast.cli import main

    server, files = archive
    out = tmp_path / "cli"
    assert main(["get", "127.0.0.1", str(server.port), "--aec", "QR", "-o", str(out)]) == 0
    assert "received" in capsys.readouterr().out
    names = os.listdir(out)
    assert not [n for n in names if n.startswith(".")], "temporary files left"
    assert _uids(str(out / n) for n in names) == _uids(files)
    import pydicom

    for n in names:  # complete Part 10 files that pydicom reads
        assert pydicom.dcmread(out / n).SOPInstanceUID
