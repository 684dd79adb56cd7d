"""Encapsulated pixel data: frames located through the Extended or Basic
Offset Table or by scanning; JPEG / JPEG 2000 through pylibjpeg, one frame at
a time or on worker processes; a clear error when a plugin is missing."""
from __future__ import annotations

import builtins
import struct
import warnings

import numpy as np
import pytest

import dcmfast
from dcmfast.pixels import get_frame_fragments
from dcmfast.transcode import encapsulate

pydicom = pytest.importorskip("pydicom")
from pydicom.data import get_testdata_file  # noqa: E402

pytest.importorskip("openjpeg")
pytest.importorskip("libjpeg")


def frames_of(value, n, eot=None):
    return [b"".join(bytes(f) for f in frame) for frame in get_frame_fragments(value, n, eot)]


def raw_items(bot: bytes, fragments: list[bytes]) -> bytes:
    out = struct.pack("<HHL", 0xFFFE, 0xE000, len(bot)) + bot
    for f in fragments:
        out += struct.pack("<HHL", 0xFFFE, 0xE000, len(f)) + f
    return out


def test_basic_offset_table_groups_fragments():
    frags = [b"a1", b"a2", b"b1", b"c1"]
    bot = struct.pack("<3L", 0, 20, 30)
    assert frames_of(raw_items(bot, frags), 3) == [b"a1a2", b"b1", b"c1"]


def test_extended_offset_table():
    frags = [b"aa", b"bb", b"cc"]
    eot = ([0, 10, 20], [2, 2, 2])
    assert frames_of(raw_items(b"", frags), 3, eot) == [b"aa", b"bb", b"cc"]
    with pytest.raises(dcmfast.PixelDataError, match="past the end"):
        frames_of(raw_items(b"", frags), 3, ([0, 10, 200], [2, 2, 2]))


def test_no_table_one_fragment_per_frame_or_all_for_one_frame():
    frags = [b"aa", b"bb", b"cc"]
    assert frames_of(raw_items(b"", frags), 3) == [b"aa", b"bb", b"cc"]
    assert frames_of(raw_items(b"", frags), 1) == [b"aabbcc"]


def test_no_table_frames_found_by_jpeg_end_of_image():
    frags = [b"\xff\xd8xx", b"yy\xff\xd9", b"\xff\xd8zz\xff\xd9"]
    assert frames_of(raw_items(b"", frags), 2) == [b"\xff\xd8xxyy\xff\xd9", b"\xff\xd8zz\xff\xd9"]
    with pytest.warns(dcmfast.DicomWarning, match="fewer frames"):
        assert len(frames_of(raw_items(b"", frags[:2] + [b"no", b"end"]), 3)) == 2


def test_encapsulate_round_trip():
    frames = [b"abc", b"defg", b""]
    assert frames_of(encapsulate(frames), 3) == [b"abc\0", b"defg", b""]


@pytest.mark.parametrize("name", ["emri_small_jpeg_2k_lossless.dcm", "emri_small_jpeg_ls_lossless.dcm",
                                  "JPEG2000.dcm", "SC_rgb_jpeg_gdcm.dcm"])
def test_frames_and_worker_processes_match_the_whole_array(name):
    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"{name} missing")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = dcmfast.dcmread(path)
        whole = dcmfast.pixel_array(ds, threads=1)
        parallel = dcmfast.pixel_array(ds, threads=2)
        frames = list(ds.iter_frames())
    np.testing.assert_array_equal(parallel, whole)
    nframes = int(ds.get("NumberOfFrames", 1) or 1)
    if nframes > 1:
        np.testing.assert_array_equal(np.stack(frames), whole)
        np.testing.assert_array_equal(ds.frame(nframes - 1), whole[-1])
    else:
        np.testing.assert_array_equal(frames[0], whole)


def test_missing_plugin_names_the_package(monkeypatch):
    path = get_testdata_file("JPEG2000.dcm")
    real_import = builtins.__import__

    def no_openjpeg(name, *args, **kwargs):
        if name == "openjpeg":
            raise ImportError("No module named 'openjpeg'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_openjpeg)
    with pytest.raises(ImportError, match="pip install pylibjpeg-openjpeg"):
        dcmfast.dcmread(path).pixel_array
