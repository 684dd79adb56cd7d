"""C-MOVE as user and provider: dcmfast → dcmfast, DCMTK's movescu against
``dcmfast serve`` (destination: DCMTK's storescp), dcmfast's SCU against
DCMTK's dcmqrscp (destination: a dcmfast storage SCP), and the failures
saying why (unknown destination, refused reverse association, no storage
context at the destination)."""
from __future__ import annotations

import os
import subprocess

import pytest

import dcmfast
from dcmfast import net
from dcmfast.net.qr import MoveFailed, parse_keys
from tests.net.conftest import (dcmtk, dcmtk_env, free_port, received, start_dcmqrscp, stop,
                                valid_corpus_files, wait_port)

FILES = 12


def _uids(paths) -> set[str]:
    return {str(dcmfast.dcmread(p, stop_before_pixels=True).SOPInstanceUID) for p in paths}


def _arrived(folder) -> set[str]:
    return _uids(os.path.join(folder, n) for n in received(folder))


@pytest.fixture
def archive(tmp_path):
    """A dcmfast destination SCP, and a dcmfast Q/R SCP holding corpus files
    that knows it (DEST), an AE on a closed port (GONE) and an SCP without
    storage (NOSTORE)."""
    files = valid_corpus_files(limit=FILES)
    dest = net.AE("DEST").start_server(0, storage_dir=str(tmp_path / "dest"))
    nostore = net.AE("NOSTORE").start_server(0)
    peers = {"DEST": ("127.0.0.1", dest.port), "GONE": ("127.0.0.1", free_port()),
             "NOSTORE": ("127.0.0.1", nostore.port)}
    qr = net.AE("QR").start_server(0, storage_dir=str(tmp_path / "qr"), peers=peers)
    try:
        with net.AE("SCU").associate("127.0.0.1", qr.port, for_files=files) as assoc:
            for path in files:
                assert assoc.store(path) == 0
        yield qr, tmp_path / "dest", files
    finally:
        for server in (qr, dest, nostore):
            server.shutdown()


def test_move_study_and_series(archive):
    qr, dest, files = archive
    truth = [dcmfast.dcmread(p, stop_before_pixels=True) for p in files]
    study = str(truth[0].StudyInstanceUID)
    in_study = {str(t.SOPInstanceUID) for t in truth if str(t.StudyInstanceUID) == study}
    with net.AE("SCU").associate("127.0.0.1", qr.port, ae_title="QR") as assoc:
        result = assoc.move(parse_keys(["QueryRetrieveLevel=STUDY",
                                        f"StudyInstanceUID={study}"]), "DEST")
        assert (result.completed, result.failed, int(result.status)) == (len(in_study), 0, 0)
        assert _arrived(dest) == in_study
        series = str(truth[-1].SeriesInstanceUID)
        result = assoc.move(parse_keys(["QueryRetrieveLevel=SERIES",
                                        f"StudyInstanceUID={truth[-1].StudyInstanceUID}",
                                        f"SeriesInstanceUID={series}"]), "DEST")
        assert result.completed >= 1
        everything = assoc.move(parse_keys(["QueryRetrieveLevel=PATIENT"]), "DEST",
                                model="patient")
        assert everything.completed == len(_uids(files))
    assert _arrived(dest) == _uids(files)


def test_move_failures_say_why(archive):
    qr, _, _ = archive
    query = parse_keys(["QueryRetrieveLevel=STUDY"])
    with net.AE("SCU").associate("127.0.0.1", qr.port, ae_title="QR") as assoc:
        with pytest.raises(MoveFailed, match="destination unknown") as info:
            assoc.move(query, "NOBODY")
        assert int(info.value.status) == 0xA801
        with pytest.raises(MoveFailed, match="reverse association to GONE refused") as info:
            assoc.move(query, "GONE")
        assert int(info.value.status) == 0xA702
        with pytest.raises(MoveFailed, match="no sub-operation succeeded") as info:
            assoc.move(query, "NOSTORE")
        assert info.value.result.failed == len(_uids(valid_corpus_files(limit=FILES)))
        assert info.value.result.failed_uids
        assert assoc.echo() == 0  # still usable


def test_movescu_against_dcmfast_into_storescp(archive, tmp_path):
    qr, _, files = archive
    out = tmp_path / "storescp"
    out.mkdir()
    port = free_port()
    scp = subprocess.Popen([dcmtk("storescp"), "-aet", "STORESCP", "-od", str(out), str(port)],
                           env=dcmtk_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # a Q/R SCP over the same storage that knows storescp as a destination
    mover = net.AE("QR").start_server(0, storage_dir=str(qr.storage_dir),
                                     peers={"STORESCP": ("127.0.0.1", port)})
    try:
        wait_port(port, proc=scp)
        study = str(dcmfast.dcmread(files[0], stop_before_pixels=True).StudyInstanceUID)
        subprocess.run([dcmtk("movescu"), "-S", "-aec", "QR", "-aem", "STORESCP",
                        "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}",
                        "127.0.0.1", str(mover.port)], check=True, capture_output=True,
                       env=dcmtk_env(), timeout=60)
        expected = {str(dcmfast.dcmread(p, stop_before_pixels=True).SOPInstanceUID)
                    for p in files
                    if str(dcmfast.dcmread(p, stop_before_pixels=True).StudyInstanceUID) == study}
        assert _uids(str(out / n) for n in os.listdir(out)) == expected
    finally:
        mover.shutdown()
        stop(scp)


def test_dcmfast_move_from_dcmqrscp(tmp_path):
    files = valid_corpus_files(limit=FILES)
    dest = net.AE("DEST").start_server(0, storage_dir=str(tmp_path / "dest"))
    proc, port = start_dcmqrscp(tmp_path, hosts={"dest": ("DEST", "127.0.0.1", dest.port)})
    try:
        with net.AE("SCU").associate("127.0.0.1", port, ae_title="QR", for_files=files) as assoc:
            for path in files:
                assert assoc.store(path) == 0
        with net.AE("SCU").associate("127.0.0.1", port, ae_title="QR") as assoc:
            result = assoc.move(parse_keys(["QueryRetrieveLevel=PATIENT", "PatientID"]), "DEST",
                                model="patient")
            assert result.failed == 0
            with pytest.raises(MoveFailed) as info:
                assoc.move(parse_keys(["QueryRetrieveLevel=STUDY"]), "NOBODY")
            assert int(info.value.status) in (0xA801, 0xA702)
        assert _arrived(tmp_path / "dest") == _uids(files)
    finally:
        stop(proc)
        dest.shutdown()


def test_move_and_serve_cli(archive, tmp_path, capsys):
    from dcmfast.cli import main

    qr, dest, files = archive
    assert main(["move", "127.0.0.1", str(qr.port), "--aec", "QR", "--dest", "DEST",
                 "--level", "PATIENT", "--model", "patient"]) == 0
    assert "moved " in capsys.readouterr().out
    assert _arrived(dest) == _uids(files)
    assert main(["move", "127.0.0.1", str(qr.port), "--dest", "NOBODY"]) == 1
    assert "destination unknown" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="AE=HOST:PORT"):
        main(["serve", "--port", "0", "--storage", str(tmp_path / "s"), "--peer", "bad"])
