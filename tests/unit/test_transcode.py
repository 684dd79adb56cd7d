"""Transcoding: decompress to native Explicit/Implicit VR Little Endian, Deflated
or Explicit Big Endian, compress to RLE Lossless and JPEG 2000 Lossless; outputs decode pixel-identically in
pydicom, and RLE output in DCMTK's dcmdrle; ``dcmfast convert`` on folders."""
from __future__ import annotations

import os
import shutil
import subprocess
import warnings

import numpy as np
import pytest

import dcmfast
from dcmfast.cli import main
from dcmfast.transcode import transcode_file

pydicom = pytest.importorskip("pydicom")
from pydicom.data import get_testdata_file  # noqa: E402

pytest.importorskip("openjpeg")

#: lossless sources of every kind: native LE/BE, 1-32 bit, RGB planar, RLE, J2K, JPEG lossless
SOURCES = [
    "CT_small.dcm", "MR_small_bigendian.dcm", "SC_rgb.dcm", "SC_rgb_16bit.dcm",
    "SC_rgb_32bit_2frame.dcm", "SC_rgb_expb_16bit_2frame.dcm", "rtdose.dcm", "emri_small.dcm",
    "MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm", "emri_small_jpeg_2k_lossless.dcm",
    "MR_small_jp2klossless.dcm", "JPGLosslessP14SV1_1s_1f_8b.dcm", "SC_rgb_jpeg_lossy_gdcm.dcm",
    "liver.dcm", "OBXXXX1A.dcm",
]


def _pydicom_pixels(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path).pixel_array


def _source(name):
    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"{name} is not in this pydicom's test data")
    return path


@pytest.mark.parametrize("name", SOURCES)
@pytest.mark.parametrize("to", ["explicit", "implicit", "deflate", "big", "rle", "j2k"])
def test_transcoded_pixels_are_identical_in_pydicom(name, to, tmp_path):
    src = _source(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = dcmfast.dcmread(src).pixel_array
    dst = str(tmp_path / "out.dcm")
    if to in ("rle", "j2k") and dcmfast.dcmread(src).BitsAllocated == 1:
        with pytest.raises(NotImplementedError):
            transcode_file(src, dst, to)
        return
    if to == "j2k" and dcmfast.dcmread(src).BitsAllocated > 16:
        # openjpeg encodes at most 24-bit precision; 32-bit samples are refused cleanly
        with pytest.raises(dcmfast.PixelDataError):
            transcode_file(src, dst, to)
        assert not os.path.exists(dst)
        return
    uid = transcode_file(src, dst, to)
    assert str(pydicom.dcmread(dst).file_meta.TransferSyntaxUID) == uid
    theirs = _pydicom_pixels(dst)
    np.testing.assert_array_equal(theirs, expected)
    np.testing.assert_array_equal(dcmfast.dcmread(dst).pixel_array, expected)
    # the rest of the data set comes through too (pydicom reads the same values)
    before, after = pydicom.dcmread(src), pydicom.dcmread(dst)
    for keyword in ("PatientName", "SOPInstanceUID", "Rows", "Columns", "SamplesPerPixel"):
        if keyword in before:
            assert after[keyword].value == before[keyword].value, keyword


@pytest.mark.skipif(shutil.which("dcmdrle") is None, reason="DCMTK's dcmdrle is not installed")
@pytest.mark.parametrize("name", ["CT_small.dcm", "SC_rgb.dcm", "SC_rgb_16bit.dcm",
                                  "SC_rgb_32bit_2frame.dcm", "emri_small.dcm", "OBXXXX1A.dcm"])
def test_rle_output_decodes_in_dcmtk(name, tmp_path):
    src = _source(name)
    rle = str(tmp_path / "rle.dcm")
    plain = str(tmp_path / "plain.dcm")
    transcode_file(src, rle, "rle")
    subprocess.run(["dcmdrle", rle, plain], check=True, capture_output=True, timeout=60)
    np.testing.assert_array_equal(_pydicom_pixels(plain), dcmfast.dcmread(src).pixel_array)


def test_convert_cli_on_a_folder(tmp_path, capsys):
    src = tmp_path / "in"
    (src / "a" / "b").mkdir(parents=True)
    shutil.copy(_source("CT_small.dcm"), src / "a" / "ct.dcm")
    shutil.copy(_source("SC_rgb.dcm"), src / "a" / "b" / "rgb.dcm")
    (src / "notes.txt").write_text("not DICOM")
    out = tmp_path / "out"
    assert main(["convert", str(src), "-o", str(out), "--to", "rle", "-q", "-j", "1"]) == 1
    report = capsys.readouterr().out
    assert "failed: " in report and "notes.txt" in report
    assert "converted 2, skipped 0 already done, failed 1" in report
    assert sorted(os.listdir(out / "a")) == ["b", "ct.dcm"]
    ds = dcmfast.dcmread(str(out / "a" / "b" / "rgb.dcm"))
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.5"
    assert not [n for n in os.listdir(out / "a") if n.startswith(".")], "temporary files left"
    # a re-run skips what is done
    assert main(["convert", str(src), "-o", str(out), "--to", "rle", "-q", "-j", "2"]) == 1
    assert "converted 0, skipped 2 already done, failed 1" in capsys.readouterr().out


def test_compress_refuses_what_it_cannot_encode():
    from dcmfast.transcode import compress

    ds = dcmfast.dcmread(_source("CT_small.dcm"))
    with pytest.raises(NotImplementedError, match="RLE Lossless"):
        compress(ds, "1.2.840.10008.1.2.4.50")


def test_transcode_file_creates_the_output_folder(tmp_path):
    dst = tmp_path / "new" / "deeper" / "ct.dcm"
    transcode_file(_source("CT_small.dcm"), str(dst), "rle")
    np.testing.assert_array_equal(dcmfast.dcmread(str(dst)).pixel_array,
                                  dcmfast.dcmread(_source("CT_small.dcm")).pixel_array)
