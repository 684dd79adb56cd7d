"""``dcmfast convert --to nifti|npy`` and :func:`dcmfast.convert`: series by
series, atomic outputs, re-runs that skip finished work, bad files listed,
and the same conversion on a Dask LocalCluster."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

import dcmfast
from dcmfast.bulk import convert
from dcmfast.cli import main
from tests import series_gen

nib = pytest.importorskip("nibabel")


@pytest.fixture
def archive(tmp_path):
    """Three series (one oblique, one mixing two orientations, one with a
    file cut short) and a non-DICOM file, in nested folders."""
    root = tmp_path / "in"
    a = series_gen.write_series(str(root / "p1" / "ax"), n=6, seed=1, series_uid="1.2.3.100")
    b = series_gen.write_series(str(root / "p1" / "obl"), n=5, seed=2, series_uid="1.2.3.200",
                                orientation=series_gen.oblique())
    # a third series whose files mix two orientations: two volumes ("parts")
    series_gen.write_series(str(root / "mixed"), n=4, seed=3, series_uid="1.2.3.300",
                            prefix="A")
    series_gen.write_series(str(root / "mixed"), n=3, seed=4, series_uid="1.2.3.300",
                            prefix="C", orientation=series_gen.CORONAL)
    (root / "README.txt").write_text("not DICOM")
    with open(a.files[2], "r+b") as fp:  # one slice of 1.2.3.100 cut short
        fp.truncate(os.path.getsize(a.files[2]) - 100)
    return root, a, b


def _outputs(out, ext):
    found = []
    for folder, _, names in os.walk(out):
        found += [os.path.join(folder, n) for n in names if n.endswith(ext)]
    return sorted(found)


def _assert_no_temp_files(out):
    for folder, _, names in os.walk(out):
        assert not [n for n in names if n.startswith(".")], f"temporary files left in {folder}"


def test_nifti_one_file_per_series_part(archive, tmp_path, capsys):
    root, a, b = archive
    out = tmp_path / "out"
    code = main(["convert", str(root), "-o", str(out), "--to", "nifti", "-q", "-j", "2"])
    report = capsys.readouterr().out
    files = _outputs(out, ".nii")
    # 1.2.3.200 and the two parts of 1.2.3.300 (1.2.3.100 has a file cut short)
    assert len(files) == 3, (files, report)
    assert sum("_part" in f for f in files) == 2
    # the cut file belongs to series 1.2.3.100: that series fails, named with its reason
    assert code == 1 and "failed: series 1.2.3.100" in report, report
    assert "ignored 1 non-image files" in report, report  # README.txt: not a failure
    _assert_no_temp_files(out)
    # the oblique series: voxels and affine equal dcmfast's own Volume's NIfTI view
    vol = dcmfast.read_series(b.files)
    (path,) = [f for f in files if _crc("1.2.3.200") in f]
    img = nib.load(path)
    np.testing.assert_allclose(img.affine, vol.nifti_affine(), atol=1e-4)
    np.testing.assert_array_equal(np.asarray(img.dataobj), vol.nifti_data())
    patient = dcmfast.dcmread(b.files[0]).PatientID
    assert os.path.basename(os.path.dirname(path)) == patient


def _crc(uid):
    import zlib

    return f"{zlib.crc32(uid.encode()):08x}"


def test_npy_with_geometry_json_and_rerun_skips(tmp_path):
    a = series_gen.write_series(str(tmp_path / "in"), n=7, seed=5, series_uid="1.2.3.400")
    out = tmp_path / "out"
    summary = convert(str(tmp_path / "in"), str(out), "npy", workers=1, progress=False)
    assert not summary.failed and len(summary.converted) == 1
    (npy,) = _outputs(out, ".npy")
    vol = dcmfast.read_series(a.folder)
    np.testing.assert_array_equal(np.load(npy), vol.array)
    with open(npy[:-4] + ".json") as fp:
        meta = json.load(fp)
    np.testing.assert_allclose(meta["affine"], vol.affine)
    np.testing.assert_allclose(meta["spacing"], vol.spacing)
    assert meta["axes"] == ["slice", "row", "column"]
    before = os.stat(npy).st_mtime_ns
    again = convert(str(tmp_path / "in"), str(out), "npy", workers=1, progress=False)
    assert again.converted == [] and len(again.skipped) == 1
    assert os.stat(npy).st_mtime_ns == before
    redo = convert(str(tmp_path / "in"), str(out), "npy", workers=1, progress=False,
                   overwrite=True)
    assert len(redo.converted) == 1
    _assert_no_temp_files(out)


def test_gzip_and_geometry_notes(tmp_path, capsys):
    positions = [(0, 0, 2.0 * k) for k in (0, 1, 2, 4, 5, 6)]  # a missing slice
    series_gen.write_series(str(tmp_path / "in"), positions=positions, seed=6,
                            series_uid="1.2.3.500")
    out = tmp_path / "out"
    code = main(["convert", str(tmp_path / "in"), "-o", str(out), "--to", "nifti", "--gzip",
                 "-q", "-j", "1"])
    report = capsys.readouterr().out
    assert code == 0, report
    (path,) = _outputs(out, ".nii.gz")
    assert nib.load(path).shape[2] == 6
    assert "note: series 1.2.3.500" in report and "gap" in report.lower(), report


def test_an_interrupted_write_leaves_no_half_file(tmp_path, monkeypatch):
    series_gen.write_series(str(tmp_path / "in"), n=4, seed=7, series_uid="1.2.3.600")
    out = tmp_path / "out"
    from dcmfast import series

    def boom(self, path, *args, **kwargs):
        with open(path, "wb") as fp:
            fp.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(series.Volume, "to_nifti", boom)
    summary = convert(str(tmp_path / "in"), str(out), "nifti", workers=1, progress=False)
    assert summary.failed and "disk full" in summary.failed[0][1]
    assert _outputs(out, ".nii") == []
    _assert_no_temp_files(out)


def test_file_formats_on_new_syntaxes(tmp_path):
    a = series_gen.write_series(str(tmp_path / "in"), n=3, seed=8, series_uid="1.2.3.700")
    for to, uid in (("implicit", "1.2.840.10008.1.2"), ("deflate", "1.2.840.10008.1.2.1.99"),
                    ("big", "1.2.840.10008.1.2.2")):
        out = tmp_path / to
        summary = convert(str(tmp_path / "in"), str(out), to, workers=1, progress=False)
        assert not summary.failed, summary.failed
        for path in a.files:
            dst = out / os.path.basename(path)
            ds = dcmfast.dcmread(str(dst))
            assert ds.file_meta.TransferSyntaxUID == uid
            np.testing.assert_array_equal(ds.pixel_array, dcmfast.dcmread(path).pixel_array)


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown format"):
        convert(str(tmp_path), str(tmp_path / "o"), "jpeg")


def test_output_names_are_sanitised(tmp_path):
    def hostile(k, ds):
        ds.PatientID = "../../etc"
        ds.SeriesDescription = "a/b\\c:*?"

    series_gen.write_series(str(tmp_path / "in"), n=3, seed=9, series_uid="1.2.3.800",
                            extra=hostile)
    out = tmp_path / "out"
    summary = convert(str(tmp_path / "in"), str(out), "npy", workers=1, progress=False)
    assert not summary.failed
    (path,) = _outputs(out, ".npy")
    assert os.path.realpath(path).startswith(os.path.realpath(out) + os.sep)
    assert "/" not in os.path.relpath(path, out).split(os.sep, 1)[1]


# --- Dask distributed ------------------------------------------------------------
@pytest.fixture(scope="module")
def dask_client():
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=40)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def test_dask_series_conversion_matches_local(archive, tmp_path, dask_client):
    root, _, _ = archive
    local = convert(str(root), str(tmp_path / "local"), "npy", workers=1, progress=False)
    remote = convert(str(root), str(tmp_path / "dask"), "npy", client=dask_client,
                     progress=False)
    assert sorted(remote.converted) == sorted(local.converted)
    assert sorted(remote.failed) == sorted(local.failed)
    for path in _outputs(tmp_path / "local", ".npy"):
        twin = os.path.join(tmp_path / "dask", os.path.relpath(path, tmp_path / "local"))
        np.testing.assert_array_equal(np.load(path), np.load(twin))
    _assert_no_temp_files(tmp_path / "dask")


def test_dask_scheduler_address_for_file_formats(tmp_path, dask_client):
    folder = tmp_path / "in"
    series_gen.write_series(str(folder), n=70, rows=4, cols=4, seed=10, series_uid="1.2.3.900")
    (folder / "junk.dcm").write_bytes(b"junk")
    out = tmp_path / "out"
    code = main(["convert", str(folder), "-o", str(out), "--to", "rle", "-q",
                 "--scheduler", dask_client.scheduler.address])
    assert code == 1
    assert len(os.listdir(out)) == 70
    ds = dcmfast.dcmread(str(out / sorted(os.listdir(out))[0]))
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.5"
