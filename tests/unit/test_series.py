"""dcmfast.series: list_series / read_series on generated series with known
geometry, against dcm2niix, and on pydicom's test files."""
from __future__ import annotations

import glob
import math
import os
import shutil
import subprocess
import warnings

import numpy as np
import pytest

import dcmfast
from dcmfast import series as S
from tests import series_gen as gen


def read(src, **kw):
    kw.setdefault("on_geometry", "keep")
    return dcmfast.read_series(src, **kw)


def expected_affine(s: gen.Series, order=None) -> np.ndarray:
    pos = s.positions if order is None else s.positions[order]
    row = s.row / np.linalg.norm(s.row)
    col = s.col / np.linalg.norm(s.col)
    aff = np.eye(4)
    aff[:3, 0] = pos[1] - pos[0] if len(pos) > 1 else np.cross(row, col)
    aff[:3, 1] = col * s.pixel_spacing[0]
    aff[:3, 2] = row * s.pixel_spacing[1]
    aff[:3, 3] = pos[0]
    return aff


def check_voxels(vol, s: gen.Series, order=None):
    """Every voxel's centre maps where the DICOM says it is."""
    order = np.arange(len(s.positions)) if order is None else np.asarray(order)
    pos = s.positions[order]
    dy, dx = s.pixel_spacing
    for k in range(len(order)):
        for j, i in ((0, 0), (vol.array.shape[1] - 1, 0), (3, vol.array.shape[2] - 1)):
            want = pos[k] + j * dy * s.col + i * dx * s.row
            got = (vol.affine @ np.array([k, j, i, 1.0]))[:3]
            np.testing.assert_allclose(got, want, atol=1e-6)


# -- geometry of generated series ------------------------------------------------

ORIENTATIONS = {
    "axial": gen.AXIAL,
    "coronal": gen.CORONAL,
    "sagittal": gen.SAGITTAL,
    "oblique": gen.oblique(20, 10),
}


@pytest.mark.parametrize("name", list(ORIENTATIONS))
def test_orientations(tmp_path, name):
    s = gen.write_series(str(tmp_path), orientation=ORIENTATIONS[name], n=7, spacing=1.5)
    vol = read(str(tmp_path))
    assert vol.array.shape == (7, 12, 10)
    assert vol.array.dtype == np.int16
    np.testing.assert_array_equal(vol.array, s.hu())
    assert vol.files == s.files
    np.testing.assert_allclose(vol.spacing, (1.5, 0.8, 0.6), atol=1e-9)
    np.testing.assert_allclose(vol.origin, s.positions[0], atol=1e-9)
    np.testing.assert_allclose(vol.direction[:, 0], s.row, atol=1e-9)
    np.testing.assert_allclose(vol.direction[:, 1], s.col, atol=1e-9)
    np.testing.assert_allclose(vol.direction[:, 2], s.normal, atol=1e-9)
    np.testing.assert_allclose(vol.affine, expected_affine(s), atol=1e-9)
    np.testing.assert_allclose(vol.positions, s.positions, atol=1e-9)
    check_voxels(vol, s)
    assert vol.report.ok, vol.report.issues
    assert vol.report.spacing_median == pytest.approx(1.5)
    assert vol.report.tilt_deg == 0


def test_sorted_by_position_not_instance_or_name(tmp_path):
    # InstanceNumber runs backwards and names are shuffled; slices descend in z
    s = gen.write_series(str(tmp_path), n=9, spacing=-2.0)
    vol = read(str(tmp_path))
    order = np.arange(9)[::-1]  # ascending along the normal = reversed generation order
    np.testing.assert_array_equal(vol.array, s.hu()[order])
    assert vol.files == [s.files[k] for k in order]
    np.testing.assert_allclose(vol.affine, expected_affine(s, order), atol=1e-9)
    assert vol.spacing[0] == pytest.approx(2.0)


def test_list_then_read_info_and_paths(tmp_path):
    s = gen.write_series(str(tmp_path / "a"), n=5)
    (tmp_path / "a" / "notes.txt").write_text("not dicom")
    infos = dcmfast.list_series(str(tmp_path))
    assert len(infos) == 1
    info = infos[0]
    assert info.series_uid == s.series_uid
    assert (info.rows, info.columns, info.num_files, info.num_slices) == (12, 10, 5, 5)
    assert info.modality == "CT" and info.patient_id == "SERIES-1"
    assert info.description == "generated"
    assert sorted(info.files) == sorted(s.files)
    assert [os.path.basename(p) for p, _ in infos.skipped] == ["notes.txt"]
    v1 = read(info)
    v2 = read(info.files, series_uid=info.series_uid)
    np.testing.assert_array_equal(v1.array, v2.array)
    np.testing.assert_array_equal(v1.affine, v2.affine)


def test_two_series_need_a_choice(tmp_path):
    a = gen.write_series(str(tmp_path), n=4, series_uid=gen.uid(9, 1), prefix="a")
    b = gen.write_series(str(tmp_path), n=3, series_uid=gen.uid(9, 2), prefix="b",
                         orientation=gen.CORONAL)
    with pytest.raises(S.SeriesSelectionError, match="2 series found") as exc:
        read(str(tmp_path))
    assert {i.series_uid for i in exc.value.series} == {a.series_uid, b.series_uid}
    vol = read(str(tmp_path), series_uid=b.series_uid)
    np.testing.assert_array_equal(vol.array, b.hu())
    assert len(dcmfast.list_series(str(tmp_path))) == 2
    with pytest.raises(ValueError, match="no series"):
        read(str(tmp_path), series_uid="1.2.3")


def test_gap(tmp_path):
    pos = [(0.0, 0.0, 2.0 * k) for k in (0, 1, 2, 5, 6, 7)]
    s = gen.write_series(str(tmp_path), positions=pos)
    with pytest.warns(dcmfast.GeometryWarning, match="gap") as rec:
        vol = dcmfast.read_series(str(tmp_path))
    assert len(rec) == 1
    r = vol.report
    assert r.gaps == [(2, pytest.approx(6.0), 2)]
    assert r.spacing_median == pytest.approx(2.0)
    assert r.spacing_max == pytest.approx(6.0) and r.spacing_min == pytest.approx(2.0)
    np.testing.assert_array_equal(vol.array, s.hu())
    assert vol.spacing[0] == pytest.approx(2.0)
    with pytest.raises(dcmfast.GeometryError, match="gap") as exc:
        dcmfast.read_series(str(tmp_path), on_geometry="raise")
    assert exc.value.report.gaps
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dcmfast.read_series(str(tmp_path), on_geometry="keep")


def test_duplicate_keeps_lowest_instance(tmp_path):
    pos = [(0.0, 0.0, 3.0 * k) for k in range(5)] + [(0.0, 0.0, 6.0)]
    s = gen.write_series(str(tmp_path), positions=pos)
    # slice 5 duplicates slice 2; InstanceNumber = n - k, so slice 5 (instance 1) wins
    vol = read(str(tmp_path))
    assert vol.array.shape[0] == 5
    np.testing.assert_array_equal(vol.array[2], s.hu()[5])
    assert vol.files[2] == s.files[5]
    (d, kept, dropped), = vol.report.duplicates
    assert d == pytest.approx(6.0) and kept == s.files[5] and dropped == [s.files[2]]
    assert any("duplicate" in i for i in vol.report.issues)
    assert not vol.report.gaps and not vol.report.nonuniform


def test_nonuniform(tmp_path):
    z = [0.0, 2.0, 4.0, 5.5, 7.5, 9.5, 12.0]
    gen.write_series(str(tmp_path), positions=[(1.0, 2.0, v) for v in z])
    vol = read(str(tmp_path))
    r = vol.report
    assert r.nonuniform and not r.gaps
    assert r.spacing_min == pytest.approx(1.5) and r.spacing_max == pytest.approx(2.5)
    assert r.spacing_median == pytest.approx(2.0)
    assert r.spacing_std == pytest.approx(np.std(np.diff(z)))
    with pytest.warns(dcmfast.GeometryWarning, match="non-uniform"):
        dcmfast.read_series(str(tmp_path))


@pytest.mark.parametrize("deg", [15.0, -7.5])
def test_gantry_tilt_sheared_affine(tmp_path, deg):
    s = gen.write_series(str(tmp_path), orientation=gen.tilted(deg), step=(0.0, 0.0, 2.5), n=6)
    vol = read(str(tmp_path))
    assert vol.report.tilt_deg == pytest.approx(abs(deg))
    np.testing.assert_array_equal(vol.array, s.hu())
    np.testing.assert_allclose(vol.affine[:3, 0], (0.0, 0.0, 2.5), atol=1e-9)
    assert vol.spacing[0] == pytest.approx(2.5)
    assert vol.report.spacing_median == pytest.approx(2.5 * math.cos(math.radians(deg)))
    check_voxels(vol, s)
    assert any("tilt" in i for i in vol.report.issues)


def test_mixed_orientations_split(tmp_path):
    uid = gen.uid(9, 3)
    a = gen.write_series(str(tmp_path), n=4, series_uid=uid, prefix="a")
    b = gen.write_series(str(tmp_path), n=3, series_uid=uid, prefix="b", orientation=gen.SAGITTAL)
    infos = dcmfast.list_series(str(tmp_path))
    assert [i.parts for i in infos] == [2, 2]
    assert "orientation" in infos[0].split_reason
    with pytest.raises(S.SeriesSelectionError, match="part="):
        read(str(tmp_path))
    vols = [read(str(tmp_path), part=i) for i in (0, 1)]
    shapes = sorted(v.array.shape[0] for v in vols)
    assert shapes == [3, 4]
    for v in vols:
        assert v.report.mixed_orientations and v.report.parts == 2
        want = a if v.array.shape[0] == 4 else b
        np.testing.assert_array_equal(v.array, want.hu())
    # a SeriesInfo per part reads its own part
    for info in infos:
        assert read(info).array.shape[0] == info.num_slices


def test_mixed_sizes_split(tmp_path):
    uid = gen.uid(9, 4)
    gen.write_series(str(tmp_path), n=4, series_uid=uid, prefix="a")
    gen.write_series(str(tmp_path), n=4, series_uid=uid, prefix="b", rows=8, cols=8,
                     origin=(0, 0, 50))
    infos = dcmfast.list_series(str(tmp_path))
    assert len(infos) == 2 and "image size" in infos[0].split_reason
    assert {(i.rows, i.columns) for i in infos} == {(12, 10), (8, 8)}


def test_acquisitions_split_when_positions_repeat(tmp_path):
    uid = gen.uid(9, 5)
    a = gen.write_series(str(tmp_path), n=4, series_uid=uid, prefix="a", acquisitions=[1] * 4)
    b = gen.write_series(str(tmp_path), n=4, series_uid=uid, prefix="b", acquisitions=[2] * 4,
                         intercepts=-1000.0)
    infos = dcmfast.list_series(str(tmp_path))
    assert len(infos) == 2 and "acquisition" in infos[0].split_reason
    got = sorted((read(i).array for i in infos), key=lambda x: int(x.min()))
    np.testing.assert_array_equal(got[0], a.hu())
    np.testing.assert_array_equal(got[1], b.hu())
    # acquisition numbers that change without repeating positions do not split
    d2 = tmp_path / "one"
    gen.write_series(str(d2), n=4, acquisitions=[1, 2, 3, 4])
    assert len(dcmfast.list_series(str(d2))) == 1


# -- rescale ---------------------------------------------------------------------

def test_rescale_int16_proven(tmp_path):
    s = gen.write_series(str(tmp_path), intercepts=-1024.0)
    vol = read(str(tmp_path))
    assert vol.array.dtype == np.int16
    np.testing.assert_array_equal(vol.array, s.hu())
    raw = read(str(tmp_path), rescale=False)
    assert raw.array.dtype == np.uint16
    np.testing.assert_array_equal(raw.array, s.stored)


def test_rescale_per_slice_intercepts(tmp_path):
    inters = [-1024.0, -1000.0, 0.0, 10.0, -3.0]
    s = gen.write_series(str(tmp_path), n=5, intercepts=inters)
    vol = read(str(tmp_path))
    assert vol.array.dtype == np.int16
    np.testing.assert_array_equal(vol.array, s.hu())
    np.testing.assert_array_equal(vol.intercepts, inters)


def test_rescale_float_for_slopes(tmp_path):
    s = gen.write_series(str(tmp_path), n=4, slopes=[1.0, 0.5, 2.0, 1.0], intercepts=-1024.5)
    vol = read(str(tmp_path))
    assert vol.array.dtype == np.float32
    np.testing.assert_allclose(vol.array, s.hu(), rtol=1e-6)


def test_rescale_int16_by_actual_range(tmp_path):
    # 16-bit signed stored values could overflow with the intercept in theory; these do not
    s = gen.write_series(str(tmp_path), n=4, signed=True, bits_stored=16, intercepts=-1024.0)
    vol = read(str(tmp_path))
    assert vol.array.dtype == np.int16
    np.testing.assert_array_equal(vol.array, s.hu())


def test_rescale_overflow_becomes_float(tmp_path):
    pix = np.zeros((3, 4, 4), dtype=np.int64)
    pix[1, 0, 0] = 60000  # + intercept -1024 = 58976: beyond int16
    pix[2] = 100
    s = gen.write_series(str(tmp_path), n=3, rows=4, cols=4, pixels=pix, bits_stored=16,
                         intercepts=-1024.0)
    vol = read(str(tmp_path))
    assert vol.array.dtype == np.float32
    np.testing.assert_array_equal(vol.array, s.hu())


def test_dtype_override(tmp_path):
    s = gen.write_series(str(tmp_path), n=3)
    vol = read(str(tmp_path), dtype=np.float64)
    assert vol.array.dtype == np.float64
    np.testing.assert_array_equal(vol.array, s.hu())
    vol = read(str(tmp_path), rescale=False, dtype=np.int32)
    np.testing.assert_array_equal(vol.array, s.stored)


def test_bits_stored_masking(tmp_path):
    # garbage above BitsStored 12 is masked as pydicom / dcmfast.pixel_array do
    pix = gen.value(*np.meshgrid(np.arange(3), np.arange(5), np.arange(6), indexing="ij"))
    dirty = pix | 0xF000
    gen.write_series(str(tmp_path), n=3, rows=5, cols=6, pixels=dirty, bits_stored=12,
                     shuffle=False)
    vol = read(str(tmp_path), rescale=False)
    np.testing.assert_array_equal(vol.array, pix)


@pytest.mark.parametrize("ts", [gen.IMPLICIT_LE, gen.EXPLICIT_BE])
def test_other_native_syntaxes(tmp_path, ts):
    s = gen.write_series(str(tmp_path), n=4, transfer_syntax=ts, signed=True)
    vol = read(str(tmp_path))
    np.testing.assert_array_equal(vol.array, s.hu())


def test_rle(tmp_path):
    s = gen.write_series(str(tmp_path), n=5, compress="rle", signed=True)
    assert "1.2.840.10008.1.2.5" == dcmfast.list_series(str(tmp_path))[0].transfer_syntax
    for threads in (1, 2):
        vol = read(str(tmp_path), threads=threads)
        np.testing.assert_array_equal(vol.array, s.hu())


def test_j2k(tmp_path):
    pytest.importorskip("openjpeg")
    s = gen.write_series(str(tmp_path), n=5, compress="j2k", rows=64, cols=48)
    for threads in (1, 2):
        vol = read(str(tmp_path), threads=threads)
        np.testing.assert_array_equal(vol.array, s.hu())


def test_single_slice(tmp_path):
    s = gen.write_series(str(tmp_path), n=1)
    vol = read(str(tmp_path))
    assert vol.array.shape == (1, 12, 10)
    assert vol.spacing[0] == pytest.approx(1.0)  # SliceThickness
    np.testing.assert_allclose(vol.affine[:3, 0], s.normal)


# -- enhanced multi-frame --------------------------------------------------------

def test_enhanced_multiframe(tmp_path):
    s = gen.write_enhanced(str(tmp_path / "mf.dcm"), frame_order=[2, 0, 5, 1, 4, 3])
    vol = read(str(tmp_path / "mf.dcm"))
    assert vol.array.shape == (6, 10, 8)
    np.testing.assert_array_equal(vol.array, s.hu())
    assert vol.frames == [1, 3, 0, 5, 4, 2]
    np.testing.assert_allclose(vol.affine, expected_affine(s), atol=1e-9)
    assert vol.meta["enhanced"]
    assert dcmfast.list_series(str(tmp_path))[0].enhanced


def test_enhanced_per_frame_rescale(tmp_path):
    s = gen.write_enhanced(str(tmp_path / "mf.dcm"), per_frame_rescale=True,
                           orientation=gen.oblique(30, 5))
    vol = read(str(tmp_path / "mf.dcm"))
    assert vol.array.dtype == np.float32
    np.testing.assert_allclose(vol.array, s.hu())
    check_voxels(vol, s)


def test_enhanced_two_stacks_split(tmp_path):
    n = 4
    pos = [(0.0, 0.0, 2.0 * k) for k in range(n)] + [(0.0, 2.0 * k, 0.0) for k in range(n)]
    orients = [(1, 0, 0, 0, 1, 0)] * n + [(1, 0, 0, 0, 0, -1)] * n
    gen.write_enhanced(str(tmp_path / "mf.dcm"), positions=pos, orientations=orients,
                       frame_order=list(range(2 * n)))
    infos = dcmfast.list_series(str(tmp_path))
    assert len(infos) == 2 and all(i.num_slices == n for i in infos)
    assert all(read(i).array.shape == (n, 10, 8) for i in infos)


# -- output ----------------------------------------------------------------------

def test_to_npy_and_nifti(tmp_path):
    nib = pytest.importorskip("nibabel")
    s = gen.write_series(str(tmp_path / "s"), orientation=gen.oblique(10, 25))
    vol = read(str(tmp_path / "s"))
    vol.to_npy(str(tmp_path / "v.npy"))
    np.testing.assert_array_equal(np.load(str(tmp_path / "v.npy")), vol.array)
    vol.to_nifti(str(tmp_path / "v.nii.gz"))
    img = nib.load(str(tmp_path / "v.nii.gz"))
    data = np.asanyarray(img.dataobj)
    np.testing.assert_array_equal(data, vol.array[:, ::-1].transpose(2, 1, 0))
    # nifti voxel (x, y, z) = array (k=z, j=rows-1-y, i=x); RAS = LPS with x, y negated
    x, y, z = 3, 2, 4
    ras = img.affine @ np.array([x, y, z, 1.0])
    lps = vol.affine @ np.array([z, vol.array.shape[1] - 1 - y, x, 1.0])
    np.testing.assert_allclose(ras[:3], lps[:3] * np.array([-1, -1, 1]), atol=1e-4)
    assert not [p for p in os.listdir(tmp_path) if ".tmp" in p]
    del s


# -- dcm2niix --------------------------------------------------------------------

DCM2NIIX = shutil.which("dcm2niix") or ("/usr/bin/dcm2niix" if os.path.exists("/usr/bin/dcm2niix")
                                        else None)


@pytest.mark.skipif(DCM2NIIX is None, reason="dcm2niix is not installed")
@pytest.mark.parametrize("name,kw", [
    ("axial", dict(orientation=gen.AXIAL)),
    ("axial_descending", dict(orientation=gen.AXIAL, spacing=-1.25)),
    ("coronal", dict(orientation=gen.CORONAL)),
    ("sagittal", dict(orientation=gen.SAGITTAL, spacing=3.0)),
    ("oblique", dict(orientation=gen.oblique(20, 10))),
    ("oblique2", dict(orientation=gen.oblique(-35, 60), spacing=0.9)),
    ("float", dict(slopes=0.5, intercepts=-100.25)),
])
def test_same_as_dcm2niix(tmp_path, name, kw):
    nib = pytest.importorskip("nibabel")
    src = tmp_path / "dicom"
    gen.write_series(str(src), n=6, rows=9, cols=7, **kw)
    out = tmp_path / "d2n"
    out.mkdir()
    subprocess.run([DCM2NIIX, "-z", "n", "-b", "n", "-f", "out", "-o", str(out), str(src)],
                   check=True, capture_output=True, timeout=120)
    theirs = nib.load(str(out / "out.nii"))
    vol = read(str(src))
    vol.to_nifti(str(tmp_path / "ours.nii"))
    ours = nib.load(str(tmp_path / "ours.nii"))
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours.affine, theirs.affine, atol=1e-4)
    np.testing.assert_allclose(np.asanyarray(ours.dataobj), np.asanyarray(theirs.dataobj),
                               rtol=1e-6, atol=1e-4)


# -- pydicom's test files ----------------------------------------------------------

def _pydicom_files():
    try:
        from pydicom.data import get_testdata_file  # noqa: F401
        import pydicom.data
    except ImportError:
        return []
    roots = [os.path.dirname(pydicom.data.__file__)]
    try:
        import data_store  # pydicom-data's package
        roots.append(os.path.dirname(data_store.__file__))
    except ImportError:
        pass
    out = []
    for root in roots:
        out.extend(p for p in glob.glob(os.path.join(root, "**", "*"), recursive=True)
                   if os.path.isfile(p))
    return out


def _pydicom_enhanced():
    import pydicom

    found = []
    for p in _pydicom_files():
        if not p.lower().endswith(".dcm"):
            continue
        try:
            ds = pydicom.dcmread(p, stop_before_pixels=True)
        except Exception:
            continue
        if "PerFrameFunctionalGroupsSequence" not in ds or "NumberOfFrames" not in ds:
            continue
        try:
            item = ds.PerFrameFunctionalGroupsSequence[0]
            item.PlanePositionSequence[0].ImagePositionPatient  # noqa: B018
        except (AttributeError, IndexError):
            continue
        found.append(p)
    return sorted(found)


@pytest.mark.corpus
def test_pydicom_enhanced_files():
    pydicom = pytest.importorskip("pydicom")
    files = _pydicom_enhanced()
    if not files:
        pytest.skip("no enhanced multi-frame files with plane positions in pydicom's data")
    checked = 0
    for path in files:
        ds = pydicom.dcmread(path)
        try:
            arr = ds.pixel_array
        except Exception:
            continue
        try:
            infos = dcmfast.list_series([path])
        except Exception as exc:  # pragma: no cover
            raise AssertionError(f"{path}: {exc}") from exc
        if len(infos) != 1:
            continue  # several stacks: covered by the generated tests
        vol = read(infos[0], rescale=False)
        frames = ds.PerFrameFunctionalGroupsSequence
        shared = ds.get("SharedFunctionalGroupsSequence")
        iop = None
        if shared and "PlaneOrientationSequence" in shared[0]:
            iop = shared[0].PlaneOrientationSequence[0].ImageOrientationPatient
        if "PlaneOrientationSequence" in frames[0]:
            iop = frames[0].PlaneOrientationSequence[0].ImageOrientationPatient
        normal = np.cross(np.array(iop[:3], float), np.array(iop[3:], float))
        pos = np.array([f.PlanePositionSequence[0].ImagePositionPatient for f in frames], float)
        d = pos @ normal
        order = np.argsort(d, kind="stable")
        if len(np.unique(np.round(d, 3))) != len(d):
            continue  # duplicate positions (several temporal positions)
        arr = arr.reshape((len(frames),) + arr.shape[-2:])
        np.testing.assert_array_equal(vol.array, arr[order], err_msg=path)
        np.testing.assert_allclose(vol.positions, pos[order], atol=1e-6, err_msg=path)
        checked += 1
    assert checked, f"none of {files} could be compared"


def _pydicom_ct_mr_series():
    """Folders of pydicom's data holding several single-frame CT/MR images of one series."""
    import pydicom

    groups: dict = {}
    for p in _pydicom_files():
        try:
            ds = pydicom.dcmread(p, stop_before_pixels=True)
        except Exception:
            continue
        if ds.get("Modality") not in ("CT", "MR") or "ImagePositionPatient" not in ds \
                or "PerFrameFunctionalGroupsSequence" in ds or int(ds.get("NumberOfFrames", 1) or 1) > 1:
            continue
        key = (os.path.dirname(p), ds.get("SeriesInstanceUID"))
        groups.setdefault(key, []).append(p)
    return {k: sorted(v) for k, v in groups.items() if len(v) >= 2}


@pytest.mark.corpus
def test_pydicom_multislice_series():
    pydicom = pytest.importorskip("pydicom")
    groups = _pydicom_ct_mr_series()
    if not groups:
        pytest.skip("no multi-slice CT/MR series in pydicom's data")
    checked = 0
    for (folder, uid), paths in groups.items():
        dss = []
        for p in paths:
            ds = pydicom.dcmread(p)
            try:
                ds.pixel_array  # noqa: B018
            except Exception:
                break
            dss.append((p, ds))
        else:
            infos = [i for i in dcmfast.list_series(paths) if i.series_uid == uid]
            for info in infos:
                vol = read(info, rescale=False)
                members = [(p, ds) for p, ds in dss if p in set(info.files)]
                iop = np.array(members[0][1].ImageOrientationPatient, float)
                normal = np.cross(iop[:3], iop[3:])
                members.sort(key=lambda t: float(np.dot(np.array(t[1].ImagePositionPatient,
                                                                 float), normal)))
                d = [float(np.dot(np.array(ds.ImagePositionPatient, float), normal))
                     for _, ds in members]
                if len(set(np.round(d, 3))) != len(d):
                    continue
                want = np.stack([ds.pixel_array for _, ds in members])
                np.testing.assert_array_equal(vol.array, want, err_msg=folder)
                np.testing.assert_allclose(
                    vol.positions, [np.array(ds.ImagePositionPatient, float) for _, ds in members],
                    atol=1e-6)
                assert vol.files == [p for p, _ in members]
                checked += 1
    assert checked, f"no pydicom series could be compared: {list(groups)}"


def test_enhanced_rle(tmp_path):
    from dcmfast import transcode
    s = gen.write_enhanced(str(tmp_path / "mf.dcm"), frame_order=[3, 1, 0, 2, 5, 4])
    ds = dcmfast.dcmread(str(tmp_path / "mf.dcm"))
    transcode.compress(ds, "rle")
    dcmfast.dcmwrite(str(tmp_path / "rle.dcm"), ds)
    os.unlink(str(tmp_path / "mf.dcm"))
    vol = read(str(tmp_path / "rle.dcm"), threads=2)
    np.testing.assert_array_equal(vol.array, s.hu())


def test_series_info_pickles_and_reads_in_another_process(tmp_path):
    import pickle
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing as mp

    s = gen.write_series(str(tmp_path), n=5)
    info = dcmfast.list_series(str(tmp_path))[0]
    again = pickle.loads(pickle.dumps(info))
    np.testing.assert_array_equal(read(again).array, s.hu())
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        shape = pool.submit(_shape_of, info).result(timeout=120)
    assert shape == (5, 12, 10)


def _shape_of(info):
    return dcmfast.read_series(info, on_geometry="keep").array.shape


def test_progress_bars(tmp_path, capsys):
    gen.write_series(str(tmp_path), n=3)
    vol = read(str(tmp_path), progress=True)
    assert vol.array.shape[0] == 3
    dcmfast.list_series(str(tmp_path), progress=True)


def test_lazy_exports():
    for name in ("read_series", "list_series", "Volume", "GeometryReport", "GeometryError",
                 "GeometryWarning", "SeriesInfo"):
        assert getattr(dcmfast, name) is getattr(S, name)
        assert name in dcmfast.__all__
    with pytest.raises(AttributeError):
        dcmfast.no_such_name  # noqa: B018


@pytest.mark.parametrize("intercept,dtype", [(-100.0, np.int16), (0.5, np.float32), (0.0, np.uint8)])
def test_8bit(tmp_path, intercept, dtype):
    def eight(k, ds):
        ds.BitsAllocated = 8
        ds.BitsStored = 8
        ds.HighBit = 7
        ds.PixelRepresentation = 0
        ds.PixelData = (gen.value(k, *np.meshgrid(np.arange(12), np.arange(10), indexing="ij"))
                        % 256).astype(np.uint8).tobytes()
    gen.write_series(str(tmp_path), n=4, intercepts=intercept, extra=eight)
    vol = read(str(tmp_path))
    k, j, i = np.meshgrid(np.arange(4), np.arange(12), np.arange(10), indexing="ij")
    assert vol.array.dtype == dtype
    np.testing.assert_array_equal(vol.array, (gen.value(k, j, i) % 256) + intercept)


@pytest.mark.parametrize("name", ["JPEG-LL.dcm", "MR_small_jp2klossless.dcm",
                                  "JPEGLSNearLossless_16.dcm", "MR_small_RLE.dcm"])
def test_compressed_corpus_file_as_series(tmp_path, name):
    """A pydicom test file copied into a 3-slice series (positions set, pixels
    untouched): every slice equals pydicom's decoding of it."""
    pydicom = pytest.importorskip("pydicom")
    from pydicom.data import get_testdata_file
    if name != "MR_small_RLE.dcm":
        pytest.importorskip("libjpeg" if "JPEG" in name else "openjpeg")
    src = get_testdata_file(name)
    if src is None:
        pytest.skip(f"{name} not available")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = pydicom.dcmread(src).pixel_array
        for k in (2, 0, 1):
            ds = dcmfast.dcmread(src)
            ds.SeriesInstanceUID = gen.uid(7, 1)
            ds.SOPInstanceUID = gen.uid(7, 2, k)
            ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
            ds.ImagePositionPatient = ["0", "0", str(3 * k)]
            if "RescaleSlope" in ds:
                del ds.RescaleSlope
            if "RescaleIntercept" in ds:
                del ds.RescaleIntercept
            dcmfast.dcmwrite(str(tmp_path / f"{k}.dcm"), ds)
    for threads in (1, 2):
        vol = read(str(tmp_path), rescale=False, threads=threads)
        assert vol.array.shape == (3,) + want.shape
        for k in range(3):
            np.testing.assert_array_equal(vol.array[k], want)


@pytest.mark.skipif(DCM2NIIX is None, reason="dcm2niix is not installed")
def test_tilt_voxel_order_as_dcm2niix(tmp_path):
    """With gantry tilt dcm2niix writes a resampled ``_Tilt_1`` file and an
    untouched one whose affine is only approximate; dcmfast keeps the
    untouched voxels (same order as dcm2niix's) with the exact sheared affine."""
    nib = pytest.importorskip("nibabel")
    src = tmp_path / "dicom"
    s = gen.write_series(str(src), n=6, rows=9, cols=7, orientation=gen.tilted(12.0),
                         step=(0.0, 0.0, 2.0))
    out = tmp_path / "d2n"
    out.mkdir()
    subprocess.run([DCM2NIIX, "-z", "n", "-b", "n", "-f", "out", "-o", str(out), str(src)],
                   check=True, capture_output=True, timeout=120)
    theirs = nib.load(str(out / "out.nii"))
    vol = read(str(src))
    ours = vol.to_nifti(str(tmp_path / "ours.nii"))
    np.testing.assert_array_equal(np.asanyarray(ours.dataobj), np.asanyarray(theirs.dataobj))
    # every voxel centre of ours is where the DICOM puts it
    check_voxels(vol, s)
    for x, y, z in ((0, 0, 0), (6, 8, 5), (3, 2, 4)):
        ras = ours.affine @ np.array([x, y, z, 1.0])
        j = 8 - y
        lps = s.positions[z] + j * s.pixel_spacing[0] * s.col + x * s.pixel_spacing[1] * s.row
        np.testing.assert_allclose(ras[:3], lps * np.array([-1, -1, 1]), atol=1e-4)


def test_top_values_matches_children():
    from dcmfast import _parse, filereader
    from array import array
    src = gen.make_dataset(rows=2, cols=2, row=(1, 0, 0), col=(0, 1, 0), ipp=(0, 0, 0),
                           pixel_spacing=(1, 1), pixels=np.zeros((2, 2)), series_uid="1.2",
                           sop_uid="1.2.3", instance=1)
    import io
    buf = io.BytesIO()
    dcmfast.dcmwrite(buf, src)
    data = buf.getvalue()
    sq, known = filereader._dictionary_arrays()
    table = _parse.read_part10(data, False, True, sq, known, False)[4]
    tags = array("I", sorted([0x00080016, 0x00200032, 0x00280010, 0x00281053, 0x7FE00010,
                              0x12345678]))
    values, vrs = table.top_values(tags)
    children = table.children(-1)
    for tag, value, vr in zip(tags, values, vrs):
        if tag in children:
            assert value == table.value(children[tag]) and vr == table.vr(children[tag])
        else:
            assert value is None and vr is None


def test_split_false_keeps_one_stack(tmp_path):
    uid = gen.uid(9, 6)
    a = gen.write_series(str(tmp_path), n=4, series_uid=uid, prefix="a", acquisitions=[1] * 4)
    gen.write_series(str(tmp_path), n=4, series_uid=uid, prefix="b", acquisitions=[2] * 4)
    assert len(dcmfast.list_series(str(tmp_path), split=False)) == 1
    vol = read(str(tmp_path), split=False)
    assert vol.array.shape[0] == 4 and len(vol.report.duplicates) == 4
    assert vol.files == a.files  # same InstanceNumbers: the lower path wins


@pytest.mark.parametrize("kw,read_kw", [
    ({}, {}),
    ({}, {"rescale": False}),
    ({"slopes": 0.5}, {}),
    ({"signed": True, "bits_stored": 16}, {}),
    ({}, {"dtype": np.float64}),
])
def test_prefaulted_output(tmp_path, kw, read_kw):
    """20+ files: the output is allocated (and touched) while headers are scanned."""
    s = gen.write_series(str(tmp_path), n=24, rows=40, cols=30, **kw)
    taken = []
    real = S._Prefault.take

    def take(self, shape, dtype):
        out = real(self, shape, dtype)
        taken.append(out is not None)
        return out
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(S._Prefault, "take", take)
        vol = read(str(tmp_path), **read_kw)
    assert taken == [True]
    want = s.hu() if read_kw.get("rescale", True) else s.stored
    np.testing.assert_allclose(vol.array, want)


def test_prefault_with_other_series_in_the_folder(tmp_path):
    a = gen.write_series(str(tmp_path), n=20, rows=16, cols=16, series_uid=gen.uid(9, 7),
                         prefix="a")
    gen.write_series(str(tmp_path), n=20, rows=16, cols=16, series_uid=gen.uid(9, 8),
                     prefix="b")
    vol = read(str(tmp_path), series_uid=a.series_uid)
    np.testing.assert_array_equal(vol.array, a.hu())


@pytest.mark.parametrize("codec", ["rle", "j2k"])
def test_enhanced_compressed_many_frames(tmp_path, codec):
    if codec == "j2k":
        pytest.importorskip("openjpeg")
    from dcmfast import transcode
    order = list(np.random.default_rng(3).permutation(20))
    s = gen.write_enhanced(str(tmp_path / "mf.dcm"), n=20, rows=32, cols=32, frame_order=order)
    ds = dcmfast.dcmread(str(tmp_path / "mf.dcm"))
    transcode.compress(ds, codec)
    dcmfast.dcmwrite(str(tmp_path / "c.dcm"), ds)
    os.unlink(str(tmp_path / "mf.dcm"))
    reads = []
    real = S._Reader._value

    def counting(self, f, start=0, length=None):
        reads.append(f.path)
        return real(self, f, start, length)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(S._Reader, "_value", counting)
        for threads in (1, 2):
            vol = read(str(tmp_path / "c.dcm"), threads=threads)
            np.testing.assert_array_equal(vol.array, s.hu())
    if codec == "rle":
        assert len(reads) == 2  # the value is read once per read_series, not per frame


def test_big_endian_multiframe_reads_frames_only(tmp_path):
    s = gen.write_enhanced(str(tmp_path / "mf.dcm"), n=5)
    ds = dcmfast.dcmread(str(tmp_path / "mf.dcm"))
    dcmfast.dcmwrite(str(tmp_path / "be.dcm"), ds, transfer_syntax=gen.EXPLICIT_BE)
    os.unlink(str(tmp_path / "mf.dcm"))
    pydicom = pytest.importorskip("pydicom")
    order = list(range(5))[::-1]  # write_enhanced stores the frames reversed
    np.testing.assert_array_equal(pydicom.dcmread(str(tmp_path / "be.dcm")).pixel_array,
                                  s.stored[order])
    vol = read(str(tmp_path / "be.dcm"))
    np.testing.assert_array_equal(vol.array, s.hu())
