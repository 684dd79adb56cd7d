"""dcmfast.series on hostile input: missing or garbage geometry, lying sizes,
truncated files. Oracle: a documented error naming the file, or success;
never a crash, a hang or an allocation sized by a lie."""
from __future__ import annotations

import os
import time
import tracemalloc

import numpy as np
import pytest

import dcmfast
from dcmfast import series as S
from dcmfast.errors import InvalidDicomError, PixelDataError
from tests import series_gen as gen

pytestmark = pytest.mark.hostile

OK_ERRORS = (InvalidDicomError, S.SeriesSelectionError, ValueError)


def _read(path):
    with open(path, "rb") as fh:
        return fh.read()


def _write(path, data):
    with open(path, "wb") as fh:
        fh.write(data)


def read(src, **kw):
    kw.setdefault("on_geometry", "keep")
    return dcmfast.read_series(src, **kw)


def _one_bad(tmp_path, fn, n=4, bad=1, **kw):
    def extra(k, ds):
        if k == bad:
            fn(ds)
    s = gen.write_series(str(tmp_path), n=n, extra=extra, **kw)
    return s, s.files[bad]


@pytest.mark.parametrize("keyword", ["ImageOrientationPatient", "ImagePositionPatient"])
def test_missing_plane_names_the_file(tmp_path, keyword):
    _, bad = _one_bad(tmp_path, lambda ds: delattr(ds, keyword))
    info, = dcmfast.list_series(str(tmp_path))
    assert bad in info.geometry_problem and keyword in info.geometry_problem
    with pytest.raises(dcmfast.GeometryError, match=keyword) as exc:
        read(str(tmp_path))
    assert bad in str(exc.value) and exc.value.path == bad


@pytest.mark.parametrize("keyword,value,patch", [
    ("ImagePositionPatient", ["nan", "0", "0"], None),
    ("ImagePositionPatient", ["1", "inf", "0"], None),
    ("ImagePositionPatient", ["12345", "0", "0"], b"abc.e"),
    ("ImagePositionPatient", ["1", "2"], None),
    ("ImageOrientationPatient", ["1", "0", "0", "0", "nan", "0"], None),
    ("ImageOrientationPatient", ["0", "0", "0", "0", "1", "0"], None),  # zero-length row
    ("ImageOrientationPatient", ["1", "0", "0", "1", "0", "0"], None),  # parallel cosines
    ("ImageOrientationPatient", ["12345", "0", "0", "0", "1", "0"], b"x\\yzw"),
])
def test_garbage_plane_values(tmp_path, keyword, value, patch):
    def bad(ds):
        setattr(ds, keyword, value)
    _, path = _one_bad(tmp_path, bad)
    if patch is not None:  # values the writer refuses: change the file's bytes
        data = _read(path)
        assert data.count(b"12345") == 1
        _write(path, data.replace(b"12345", patch))
    with pytest.raises(dcmfast.GeometryError) as exc:
        read(str(tmp_path))
    assert path in str(exc.value)


def test_garbage_rescale_and_spacing(tmp_path):
    def bad(ds):
        ds.RescaleSlope = "nan"
        ds.PixelSpacing = ["-1", "0"]
    _, path = _one_bad(tmp_path, bad)
    with pytest.raises(dcmfast.GeometryError, match="Rescale"):
        read(str(tmp_path))


def test_rows_differ_is_split_not_mixed(tmp_path):
    uid = gen.uid(8, 1)
    gen.write_series(str(tmp_path), n=3, series_uid=uid, prefix="a")
    gen.write_series(str(tmp_path), n=1, series_uid=uid, prefix="b", rows=7,
                     origin=(-12.5, 30.25, 120.0))
    with pytest.raises(S.SeriesSelectionError, match="image size"):
        read(str(tmp_path))
    assert read(str(tmp_path), part=0).array.shape[1:] in ((12, 10), (7, 10))


def _truncate(path, keep):
    with open(path, "r+b") as fh:
        fh.truncate(keep)


def test_truncated_pixel_data_names_the_file(tmp_path):
    s = gen.write_series(str(tmp_path), n=3)
    size = os.path.getsize(s.files[1])
    _truncate(s.files[1], size - 50)
    with pytest.raises(PixelDataError) as exc:
        read(str(tmp_path))
    assert s.files[1] in str(exc.value)


@pytest.mark.parametrize("rows,cols", [(60000, 60000), (65535, 1), (13, 10)])
def test_lying_rows_columns_no_giant_allocation(tmp_path, rows, cols):
    def bad(ds):
        ds.Rows = rows
        ds.Columns = cols
    uid = gen.uid(8, 2)
    s = gen.write_series(str(tmp_path), n=3, series_uid=uid, extra=lambda k, ds: bad(ds))
    tracemalloc.start()
    try:
        with pytest.raises(PixelDataError) as exc:
            read(str(tmp_path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 << 20
    assert any(f in str(exc.value) for f in s.files)


def test_not_dicom_only(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"hello" * 100)
    (tmp_path / "b.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\xff" * 10)
    infos = dcmfast.list_series(str(tmp_path))
    assert len(infos) == 0 and len(infos.skipped) == 2
    with pytest.raises(InvalidDicomError, match="no readable images"):
        read(str(tmp_path))


def test_rle_garbage_names_the_file(tmp_path):
    s = gen.write_series(str(tmp_path), n=3, compress="rle")
    data = bytearray(_read(s.files[2]))
    data[-200:] = b"\x81" * 200  # replicate runs past the end of the segment
    _write(s.files[2], bytes(data))
    try:
        vol = read(str(tmp_path), threads=1)
    except PixelDataError as exc:
        assert s.files[2] in str(exc)
    else:
        assert vol.array.shape == (3, 12, 10)


def test_every_truncation_of_one_file(tmp_path):
    """Cut one file of a series at many offsets: the rest still reads, or a
    documented error says which file."""
    s = gen.write_series(str(tmp_path / "src"), n=3, rows=6, cols=5, shuffle=False)
    blob = _read(s.files[1])
    deadline = time.monotonic() + 60
    for cut in list(range(0, len(blob), 7)) + [len(blob) - 1]:
        target = tmp_path / f"cut{cut}"
        target.mkdir()
        for p in (s.files[0], s.files[2]):
            (target / os.path.basename(p)).write_bytes(_read(p))
        (target / "bad.dcm").write_bytes(blob[:cut])
        try:
            vol = read(str(target))
        except OK_ERRORS as exc:
            msg = str(exc)
            assert "bad.dcm" in msg or "no readable" in msg or "series" in msg, msg
        else:
            assert vol.array.shape[0] in (2, 3)
        assert time.monotonic() < deadline


def test_bit_flips_in_headers(tmp_path):
    s = gen.write_series(str(tmp_path / "src"), n=3, rows=6, cols=5, shuffle=False)
    blob = bytearray(_read(s.files[1]))
    header = len(blob) - 6 * 5 * 2 - 12
    rng = np.random.default_rng(1)
    for trial in range(150):
        data = bytearray(blob)
        for pos in rng.integers(132, header, size=3):
            data[pos] ^= 1 << int(rng.integers(0, 8))
        target = tmp_path / f"flip{trial}"
        target.mkdir()
        for p in (s.files[0], s.files[2]):
            (target / os.path.basename(p)).write_bytes(_read(p))
        (target / "bad.dcm").write_bytes(bytes(data))
        try:
            read(str(target))
        except OK_ERRORS:
            pass


def test_big_non_dicom_file_is_not_read_whole(tmp_path, monkeypatch):
    big = tmp_path / "video.bin"
    with open(big, "wb") as fh:
        fh.truncate(64 << 20)  # sparse
    reads = []
    real = S._read_prefix
    monkeypatch.setattr(S, "_read_prefix", lambda fd, size, want: reads.append(want) or
                        real(fd, size, want))
    infos = dcmfast.list_series([str(big)])
    assert infos.skipped and "DICM" in infos.skipped[0][1]
    assert reads == [S._PREFIX]


def test_long_header_grows_the_prefix(tmp_path):
    def long_header(k, ds):
        ds.ImageComments = "x" * 60_000  # the header outgrows the first read
    s = gen.write_series(str(tmp_path), n=3, extra=long_header)
    np.testing.assert_array_equal(read(str(tmp_path)).array, s.hu())


def test_huge_header_is_mapped(tmp_path, monkeypatch):
    monkeypatch.setattr(S, "_MAP_AT", 1 << 17)  # map from 128 KB on (16 KB, then 128 KB)

    def long_header(k, ds):
        ds.ImageComments = "y" * 60_000
        ds.StudyComments = "z" * 60_000
        ds.AdditionalPatientHistory = "w" * 60_000
    s = gen.write_series(str(tmp_path), n=2, extra=long_header)
    np.testing.assert_array_equal(read(str(tmp_path)).array, s.hu())
