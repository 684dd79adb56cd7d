"""The shipped sample data, `dcmfast demo` and `dcmfast dump`."""
from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

import dcmfast
from dcmfast.cli import main
from dcmfast.data import get_sample, sample_files


def test_samples_are_shipped():
    names = {p.name for p in sample_files()}
    assert {"ct_explicit_le.dcm", "ct_implicit_le.dcm", "ct_explicit_be.dcm", "ct_deflated.dcm",
            "seg_undefined_lengths.dcm", "mr_iso2022_japanese.dcm"} <= names


@pytest.mark.parametrize("name", ["ct_explicit_le.dcm", "ct_implicit_le.dcm", "ct_explicit_be.dcm",
                                  "ct_deflated.dcm"])
def test_ct_samples_hold_the_same_data(name):
    ds = dcmfast.dcmread(get_sample(name))
    reference = dcmfast.dcmread(get_sample("ct_explicit_le.dcm"))
    assert ds.PatientName == "Müller^Jürgen" and ds.InstitutionName == "Hôpital Exemple"
    import numpy as np

    # PixelData is the raw bytes, as in pydicom: OW words in the file's byte order
    dtype = ">i2" if name == "ct_explicit_be.dcm" else "<i2"
    assert (np.frombuffer(ds.PixelData, dtype) == np.frombuffer(reference.PixelData, "<i2")).all()
    assert [str(v) for v in ds.ImagePositionPatient] == ["-175.0", "-175.0", "-42.5"]
    assert ds[0x00091001].private_creator == "DCMFAST SAMPLE"


def test_samples_match_pydicom():
    pydicom = pytest.importorskip("pydicom")
    from tests.differential.compare import compare_datasets

    for path in sample_files():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            diffs = compare_datasets(dcmfast.dcmread(path), pydicom.dcmread(path))
        assert not diffs, (path.name, diffs[:5])


def test_iso2022_person_name():
    name = dcmfast.dcmread(get_sample("mr_iso2022_japanese.dcm")).PatientName
    assert name.family_name == "Yamada" and name.ideographic == "山田^太郎"
    assert name.phonetic == "やまだ^たろう"


def test_segmentation_sample_positions():
    ds = dcmfast.dcmread(get_sample("seg_undefined_lengths.dcm"))
    seq = ds.PerFrameFunctionalGroupsSequence
    assert seq.is_undefined_length and len(seq) == ds.NumberOfFrames == 24
    assert [float(i.PlanePositionSequence[0].ImagePositionPatient[2]) for i in seq][:2] == [-42.5, -40.0]


def test_dump_prints_every_element(capsys):
    assert main(["dump", str(get_sample("seg_undefined_lengths.dcm"))]) == 0
    out = capsys.readouterr().out
    assert "(5200,9230) SQ (Sequence with undefined length #=24)" in out
    assert out.count("ImagePositionPatient") == 24
    assert "(0010,0010) PN [Müller^Jürgen]" in out


def test_dump_invalid_input_exits_1(tmp_path, capsys):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"not dicom at all")
    assert main(["dump", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "DICM" in err[0]
    assert main(["dump", str(tmp_path / "missing.dcm")]) == 1


def test_dump_truncated_file_warns_but_dumps(tmp_path, capsys):
    data = get_sample("ct_explicit_le.dcm").read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[:-1000])
    assert main(["dump", str(cut)]) == 0
    assert "W: " in capsys.readouterr().out


def test_console_entry_points():
    for cmd in ([sys.executable, "-m", "dcmfast", "demo"], ["dcmfast", "--help"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
    assert "seg_undefined_lengths.dcm" in subprocess.run(
        [sys.executable, "-m", "dcmfast", "demo"], capture_output=True, text=True, timeout=120).stdout
