"""``dcmfast web search|retrieve|store`` against the test Orthanc."""
from __future__ import annotations

import os

import pytest

import dcmfast
from dcmfast.cli import main

SAMPLES = os.path.join(os.path.dirname(dcmfast.__file__), "data", "samples")


def test_store_search_retrieve(orthanc, tmp_path, capsys):
    path = os.path.join(SAMPLES, "ct_explicit_le.dcm")
    ds = dcmfast.dcmread(path)
    assert main(["web", "store", orthanc.url, path]) == 0
    out = capsys.readouterr()
    assert "1 of 1 instance(s) stored" in out.err
    assert main(["web", "search", orthanc.url, "-k", f"StudyInstanceUID={ds.StudyInstanceUID}"]) == 0
    out = capsys.readouterr()
    assert str(ds.StudyInstanceUID) in out.out and "1 match(es)" in out.err
    assert main(["web", "search", orthanc.url, "--level", "instances", "--study",
                 str(ds.StudyInstanceUID), "--json", "--limit", "5"]) == 0
    assert str(ds.SOPInstanceUID) in capsys.readouterr().out
    target = tmp_path / "out"
    assert main(["web", "retrieve", orthanc.url, str(ds.StudyInstanceUID),
                 str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID), "-o", str(target)]) == 0
    (name,) = os.listdir(target)
    assert dcmfast.dcmread(target / name).SOPInstanceUID == ds.SOPInstanceUID


def test_failures_exit_1(orthanc, tmp_path, capsys):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"no DICOM here" * 20)
    good = os.path.join(SAMPLES, "ct_implicit_le.dcm")
    assert main(["web", "store", orthanc.url, good, str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"FAILED {bad}" in err and "1 of 2 instance(s) stored" in err
    assert main(["web", "retrieve", orthanc.url, "1.2.3.4.5", "-o", str(tmp_path / "x")]) == 1
    assert "HTTP 404" in capsys.readouterr().err
    assert main(["web", "search", "http://127.0.0.1:1/dicom-web", "--timeout", "2"]) == 1
    assert "ConnectError" in capsys.readouterr().err


def test_help_lists_web(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "web" in capsys.readouterr().out
