"""CT / MR series to 3-D volumes with honest geometry.

:func:`list_series` scans files once and summarises every series (one
:class:`SeriesInfo` per stack); :func:`read_series` loads one stack as a
:class:`Volume`: the pixels sorted along the slice normal in one
preallocated array, its spacing, origin, direction cosines and affine in
patient LPS, and a :class:`GeometryReport` saying what is odd about it.

How it reads
------------
Every file's header is read once: the first few KB with ``os.pread`` are
tokenized up to Pixel Data, and the scan keeps the geometry, the Image Pixel
module, the rescale values and where the Pixel Data value lies in the file.
The volume is then allocated once and every slice's bytes go straight into
their place: native little-endian data with ``os.preadv`` (GIL released),
bit correction / byte swapping / rescaling per slice in the same worker
thread while the slice is cache-hot; RLE frames through the C decoder on
threads; JPEG / JPEG-LS / JPEG 2000 on worker processes (the pylibjpeg
plugins hold the GIL).

Rules
-----
Grouping
    Files are grouped by SeriesInstanceUID. A series is split into parts
    ("stacks") when its images differ in orientation (ImageOrientationPatient,
    to 1e-4), size (Rows, Columns), pixel spacing or pixel format; and, when
    some positions repeat, by AcquisitionNumber, EchoNumbers and
    TemporalPositionIdentifier (for enhanced multi-frame: StackID,
    TemporalPositionIndex, EffectiveEchoTime) if that removes the repeats
    (``split=False`` turns this second kind off). Parts are numbered 0, 1,
    ... in the order of their smallest InstanceNumber; :func:`list_series`
    returns one :class:`SeriesInfo` per part (``.part``, ``.parts``,
    ``.split_reason``) and ``read_series(..., part=i)`` picks one. A file
    whose position or orientation is missing or unusable stays in its
    series (``SeriesInfo.geometry_problem`` names it) and reading that part
    raises :class:`GeometryError` naming the file.
Several series
    ``read_series`` on files holding several series (or parts) and no
    ``series_uid`` / ``part`` raises :class:`SeriesSelectionError` (a
    ValueError) listing them; nothing is picked silently. Non-DICOM files and
    files without pixel data are skipped (``list_series(...).skipped`` lists
    them with the reason; ``read_series`` on an explicit list of paths warns).
Order
    Slices are sorted by ``dot(IPP, row x column)`` (the position along the
    slice normal), ascending; ties by InstanceNumber then path. Never by
    InstanceNumber or file name alone.
Duplicates
    Slices whose positions along the normal agree within 1e-3 mm (0.1 % of
    the median spacing, if larger) are duplicates: the one with the lowest
    InstanceNumber (then path) is kept, the others are listed in the report.
Spacing
    ``spacing[0]`` is the median distance between consecutive positions
    along the normal (divided by cos(tilt) for a tilted gantry: the
    distance between slice origins); gaps (> 1.5x the median) are reported
    with an estimate of the missing slices, and the affine assumes the
    median everywhere.
Gantry tilt
    When the slice origins do not move along the normal (CT with gantry
    tilt), the affine's slice axis is the true step between slices, so it is
    sheared: ``affine @ (k, j, i, 1)`` is exactly IPP(k) + j * dy * column
    cosine + i * dx * row cosine. No resampling is done. (dcm2niix 1.0.2022
    writes a resampled ``_Tilt_1`` file, and for the untouched voxels -
    which are in the same order as :meth:`Volume.to_nifti`'s - an affine
    that is only approximate: off by ~2.5 mm for 15 degrees.) The report
    gives the tilt angle; ``report.spacing_*`` are distances along the
    normal, ``Volume.spacing[0]`` the distance between slice origins.
Rescale
    ``rescale=True`` applies RescaleSlope / RescaleIntercept per slice
    (enhanced: per frame, PixelValueTransformationSequence). The result is
    int16 when every slope is 1, every intercept integral and no value
    overflows int16 - proven from BitsStored / PixelRepresentation, or else
    checked on the actual values of each slice as it is read - and float32
    otherwise. ``dtype=`` overrides; ``rescale=False`` keeps stored values.
NIfTI
    :meth:`Volume.to_nifti` writes dcm2niix's voxel order (x = column,
    y = rows flipped, z = slices ascending along the normal) and RAS affine;
    tests compare with Debian's dcm2niix (axial, coronal, sagittal, oblique,
    descending slices, float rescale) to 1e-4 mm.

References
----------
PS3.3 C.7.6.2 (Image Plane module), C.7.6.3 (Image Pixel), C.11.1 (Modality
LUT), C.7.6.16 (Multi-frame Functional Groups), C.7.6.16.2.1-3 (Pixel
Measures, Plane Position, Plane Orientation).
"""
from __future__ import annotations

import functools
import math
import mmap
import os
import statistics
import struct
import threading
import time
import warnings
from array import array
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from dcmfast import _parse, _pixels, filereader
from dcmfast.errors import DicomWarning, InvalidDicomError, PixelDataError
from dcmfast.pixels import get_frame_fragments

__all__ = ["read_series", "list_series", "Volume", "GeometryReport", "GeometryError",
           "GeometryWarning", "SeriesInfo", "SeriesList", "SeriesSelectionError"]

_O_RDONLY = os.O_RDONLY | getattr(os, "O_BINARY", 0)
_PREFIX = 16384  # first read of each file; grows (x8) when the header is longer
_MAP_AT = 8 << 20  # headers longer than this are parsed from a mapping of the file
_PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)
_LONG_VRS = frozenset([b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR",
                       b"UT", b"UV"])
_EXPLICIT_LE = "1.2.840.10008.1.2.1"
_IMPLICIT_LE = "1.2.840.10008.1.2"
_EXPLICIT_BE = "1.2.840.10008.1.2.2"
_DEFLATED = "1.2.840.10008.1.2.1.99"
_RLE = "1.2.840.10008.1.2.5"
_NATIVE = frozenset([_EXPLICIT_LE, _IMPLICIT_LE, _EXPLICIT_BE, _DEFLATED])
_LJPEG = frozenset(["1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"])  # pixels._LJPEG

_DUP_TOL = 1e-3  # mm
_ORIENT_DECIMALS = 4


class GeometryError(InvalidDicomError):
    """The files cannot form a volume (missing or invalid ImagePositionPatient /
    ImageOrientationPatient, zero-length cosines), or ``on_geometry="raise"``
    and the report lists a problem. ``.report`` is the report when there is
    one; ``.path`` the file concerned when there is one."""

    def __init__(self, message: str, report: "GeometryReport | None" = None,
                 path: str | None = None):
        super().__init__(message)
        self.report = report
        self.path = path


class GeometryWarning(DicomWarning):
    """One summary of what a volume's :class:`GeometryReport` found."""


class SeriesSelectionError(ValueError):
    """The files hold several series (or parts of one) and none was chosen.
    ``.series`` lists the :class:`SeriesInfo` of each."""

    def __init__(self, message: str, series: list):
        super().__init__(message)
        self.series = series


# -- header scan -----------------------------------------------------------------

class _File:
    """What the scan keeps of one file (never the file's bytes). Unset fields
    read as the class defaults (None)."""

    path = ts = little = implicit = size = series_uid = study_uid = patient_id = None
    modality = description = charset = series_number = sop_uid = sop_class = None
    frame_of_reference = image_type = rows = columns = samples = bits_allocated = None
    bits_stored = high_bit = pixel_representation = photometric = planar = frames = None
    pixel_tag = value_offset = value_length = slices = slice_thickness = None
    spacing_between = gantry_tilt = window = rescale_type = enhanced = error = None
    details = False

    def __init__(self, path: str) -> None:
        self.path = path


class _Slice:
    """One image plane: a single-frame file, or one frame of a multi-frame file."""

    __slots__ = ("file", "frame", "ipp", "iop", "pixel_spacing", "slope", "intercept",
                 "instance", "keys", "geometry_error", "d")

    def __init__(self, file: _File, frame: int | None) -> None:
        self.file = file
        self.frame = frame
        self.ipp = self.iop = self.pixel_spacing = None
        self.slope, self.intercept = 1.0, 0.0
        self.instance = None
        self.keys: tuple = ()
        self.geometry_error: str | None = None
        self.d = 0.0


def _text(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    return raw.decode("latin-1").strip(" \x00")


def _floats(raw: bytes | None) -> tuple | None:
    """A DS (or IS) multi-value as floats; ValueError when unparsable."""
    if not raw:
        return None
    text = raw.decode("latin-1").strip(" \x00")
    if not text:
        return None
    return tuple(map(float, text.split("\\")))


def _int(raw: bytes | None) -> int | None:
    text = _text(raw)
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return int(float(text))
        except ValueError:
            return None


#: every top-level tag the scan reads (sorted: TokenTable.top_values merges)
_SCAN_TAGS = array("I", sorted([
    0x00080005, 0x00080008, 0x00080016, 0x00080018, 0x00080060, 0x0008103E, 0x00100020,
    0x00180050, 0x00180086, 0x00180088, 0x00181120, 0x0020000D, 0x0020000E, 0x00200011,
    0x00200012, 0x00200013, 0x00200032, 0x00200037, 0x00200052, 0x00200100, 0x00280002,
    0x00280004, 0x00280006, 0x00280008, 0x00280010, 0x00280011, 0x00280030, 0x00280100,
    0x00280101, 0x00280102, 0x00280103, 0x00281050, 0x00281051, 0x00281052, 0x00281053,
    0x00281054, 0x52009229, 0x52009230]))
_SCAN_INDEX = {tag: i for i, tag in enumerate(_SCAN_TAGS)}
_BINARY_VRS = frozenset([None, "US", "SS", "UN", "OB", "OW", "US or SS"])


class _Header:
    """Values of :data:`_SCAN_TAGS` straight from a token table's bytes, found
    in one pass over its top level."""

    def __init__(self, table: Any) -> None:
        self.fmt = "<H" if table.little_endian else ">H"
        self.values, self.vrs = table.top_values(_SCAN_TAGS)

    def has(self, tag: int) -> bool:
        return self.values[_SCAN_INDEX[tag]] is not None

    def raw(self, tag: int) -> bytes | None:
        return self.values[_SCAN_INDEX[tag]]

    def us(self, tag: int) -> int | None:
        i = _SCAN_INDEX[tag]
        raw = self.values[i]
        if raw is None or not raw:
            return None
        if len(raw) >= 2 and self.vrs[i] in _BINARY_VRS:
            return struct.unpack(self.fmt, raw[:2])[0]
        return _int(raw)


def _pixel_header(buf: bytes, pos: int, little: bool, implicit: bool) -> tuple[int, int, int] | None:
    """(tag, value offset, value length or -1 for undefined) of the element at ``pos``."""
    if pos + 8 > len(buf):
        return None
    end = "<" if little else ">"
    group, elem = struct.unpack_from(end + "HH", buf, pos)
    tag = group << 16 | elem
    if implicit:
        (length,) = struct.unpack_from(end + "L", buf, pos + 4)
        voff = pos + 8
    else:
        vr = bytes(buf[pos + 4:pos + 6])
        if vr in _LONG_VRS:
            if pos + 12 > len(buf):
                return None
            (length,) = struct.unpack_from(end + "L", buf, pos + 8)
            voff = pos + 12
        else:
            (length,) = struct.unpack_from(end + "H", buf, pos + 6)
            voff = pos + 8
    return tag, voff, (-1 if length == 0xFFFFFFFF else length)


def _read_prefix(fd: int, size: int, want: int) -> bytes:
    n = min(size, want)
    data = os.pread(fd, n, 0)
    while len(data) < n:  # short reads (network file systems)
        more = os.pread(fd, n - len(data), len(data))
        if not more:
            break
        data += more
    return data


def _scan_file(path: str, details: bool = False) -> _File:
    """Scan one file's header; on failure ``.error`` says why (never raises)."""
    f = _File(path)
    try:
        fd = os.open(path, _O_RDONLY)
    except OSError as exc:
        f.error = f"cannot open: {exc.strerror or exc}"
        return f
    try:
        size = os.fstat(fd).st_size
        f.size = size
        want = _PREFIX
        sq, known = filereader._dictionary_arrays()
        while True:
            if want >= _MAP_AT and size > want:  # a huge header: map, do not copy
                buf = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
            else:
                buf = _read_prefix(fd, size, want)
            whole = len(buf) >= size
            if len(buf) < 132 or buf[128:132] != b"DICM":
                f.error = "not DICOM: no 'DICM' prefix at byte 128 (PS3.10 7.1)"
                return f
            try:
                # read_part10 only flags oddities on the table (dcmread warns about them)
                (_pre, meta, ts, _cmd, table, pos, implicit,
                 little) = _parse.read_part10(buf, False, True, sq, known, False)
            except InvalidDicomError as exc:
                if whole:
                    f.error = f"not DICOM or unreadable: {exc}"
                    return f
                want *= 8
                continue
            if table is None:  # deflated: the slow path reads it all
                f.ts = ts
                return _scan_dataset(f)
            stop = table.stop_offset
            ph = _pixel_header(buf, stop, little, implicit) if stop < len(buf) else None
            if ph is not None and ph[0] in _PIXEL_TAGS:
                break
            if whole:  # no pixel data in the file
                ph = None
                break
            want *= 8
        f.ts = ts or (_IMPLICIT_LE if implicit else (_EXPLICIT_LE if little else _EXPLICIT_BE))
        f.little, f.implicit = little, implicit
        if ph is not None:
            f.pixel_tag, voff, length = ph
            f.value_offset = voff
            f.value_length = length if length >= 0 else size - voff
            if length < 0:
                f.value_length = -(size - voff)  # negative: undefined length (encapsulated)
        h = _Header(table)
        _fill_common(f, h)
        if details:
            _fill_details(f, h)
        if h.has(0x52009230) or h.has(0x52009229):
            return _scan_dataset(f)  # enhanced multi-frame: functional groups
        s = _Slice(f, None)
        _plane_from_header(s, h)
        s.keys = (_int(h.raw(0x00200012)), _int(h.raw(0x00180086)), _int(h.raw(0x00200100)))
        f.slices = [s]
        return f
    except Exception as exc:  # noqa: BLE001 - a scan reports, a read raises
        f.error = f"{type(exc).__name__}: {exc}"
        return f
    finally:
        os.close(fd)


def _fill_common(f: _File, h: _Header) -> None:
    f.series_uid = _text(h.raw(0x0020000E))
    f.study_uid = _text(h.raw(0x0020000D))
    f.patient_id = _text(h.raw(0x00100020))
    f.modality = _text(h.raw(0x00080060))
    f.charset = _text(h.raw(0x00080005))
    f.description = h.raw(0x0008103E)
    f.series_number = _int(h.raw(0x00200011))
    f.rows = h.us(0x00280010)
    f.columns = h.us(0x00280011)
    f.samples = h.us(0x00280002)
    f.bits_allocated = h.us(0x00280100)
    f.bits_stored = h.us(0x00280101)
    f.high_bit = h.us(0x00280102)
    f.pixel_representation = h.us(0x00280103)
    f.photometric = _text(h.raw(0x00280004))
    f.planar = h.us(0x00280006)
    f.frames = _int(h.raw(0x00280008)) or 1


_DETAILS = ("sop_uid", "sop_class", "frame_of_reference", "image_type", "rescale_type",
            "slice_thickness", "spacing_between", "gantry_tilt", "window")


def _fill_details(f: _File, h: _Header) -> None:
    """Values only the first file of a series needs (read again for it alone)."""
    f.sop_uid = _text(h.raw(0x00080018))
    f.sop_class = _text(h.raw(0x00080016))
    f.frame_of_reference = _text(h.raw(0x00200052))
    it = _text(h.raw(0x00080008))
    f.image_type = tuple(it.split("\\")) if it else ()
    f.rescale_type = _text(h.raw(0x00281054))

    def first(tag: int) -> float | None:
        try:
            v = _floats(h.raw(tag))
        except ValueError:
            return None
        return v[0] if v and math.isfinite(v[0]) else None
    f.slice_thickness = first(0x00180050)
    f.spacing_between = first(0x00180088)
    f.gantry_tilt = first(0x00181120)
    wc, ww = first(0x00281050), first(0x00281051)
    f.window = (wc, ww) if wc is not None and ww is not None else None
    f.details = True


def _details(f: _File) -> _File:
    """``f`` with :data:`_DETAILS` filled (one more header read, once)."""
    if not f.details:
        g = _scan_file(f.path, details=True)
        for name in _DETAILS:
            setattr(f, name, getattr(g, name))
        f.details = True
    return f


def _check_vector(name: str, values: tuple | None, n: int) -> str | None:
    if values is None:
        return f"no {name}"
    if len(values) != n:
        return f"{name} has {len(values)} values, {n} expected"
    if not math.isfinite(sum(values)):  # NaN and inf propagate (huge values: inf too)
        return f"{name} {list(values)} is not finite"
    return None


def _plane_from_header(s: _Slice, h: _Header) -> None:
    try:
        s.ipp = _floats(h.raw(0x00200032))
    except ValueError:
        s.geometry_error = f"invalid ImagePositionPatient {_text(h.raw(0x00200032))!r}"
    try:
        s.iop = _floats(h.raw(0x00200037))
    except ValueError:
        s.geometry_error = s.geometry_error or \
            f"invalid ImageOrientationPatient {_text(h.raw(0x00200037))!r}"
    try:
        s.pixel_spacing = _floats(h.raw(0x00280030))
    except ValueError:
        s.pixel_spacing = None
    try:
        slope = _floats(h.raw(0x00281053))
        inter = _floats(h.raw(0x00281052))
        s.slope = slope[0] if slope else 1.0
        s.intercept = inter[0] if inter else 0.0
    except ValueError:
        s.geometry_error = s.geometry_error or "invalid RescaleSlope / RescaleIntercept"
    s.instance = _int(h.raw(0x00200013))
    _validate_plane(s)


def _cross(a: Any, b: Any) -> tuple:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _norm(a: Any) -> float:
    return math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])


def _validate_plane(s: _Slice) -> None:
    if s.geometry_error is None:
        s.geometry_error = (_check_vector("ImagePositionPatient", s.ipp, 3)
                            or _check_vector("ImageOrientationPatient", s.iop, 6))
    if s.geometry_error is None:
        r, c = s.iop[:3], s.iop[3:]
        n = _cross(r, c)
        if _norm(r) < 1e-6 or _norm(c) < 1e-6 or _norm(n) < 1e-6:
            s.geometry_error = f"ImageOrientationPatient {list(s.iop)} has a zero-length or " \
                               "degenerate direction"
    if s.pixel_spacing is not None and (
            len(s.pixel_spacing) < 2 or not all(math.isfinite(v) and v > 0
                                                for v in s.pixel_spacing[:2])):
        s.pixel_spacing = None
    if not (math.isfinite(s.slope) and math.isfinite(s.intercept)):
        s.geometry_error = s.geometry_error or \
            f"RescaleSlope {s.slope} / RescaleIntercept {s.intercept} not finite"


def _scan_dataset(f: _File) -> _File:
    """The slow path: the full reader (deflated files, enhanced multi-frame)."""
    from dcmfast.filereader import dcmread

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = dcmread(f.path, stop_before_pixels=True)
    meta = ds.file_meta
    f.ts = str(meta.get("TransferSyntaxUID") or f.ts or _EXPLICIT_LE)
    f.little = f.ts != _EXPLICIT_BE
    f.implicit = f.ts == _IMPLICIT_LE
    g = ds.get

    def txt(kw: str) -> str | None:
        v = g(kw)
        return None if v is None else str(v)

    if f.series_uid is None:
        f.series_uid = txt("SeriesInstanceUID")
        f.study_uid = txt("StudyInstanceUID")
        f.patient_id = txt("PatientID")
        f.modality = txt("Modality")
        f.description = txt("SeriesDescription")
        f.series_number = _maybe_int(g("SeriesNumber"))
        f.sop_uid = txt("SOPInstanceUID")
        f.sop_class = txt("SOPClassUID")
        f.frame_of_reference = txt("FrameOfReferenceUID")
        it = g("ImageType")
        f.image_type = tuple(it) if isinstance(it, (list, tuple)) or \
            type(it).__name__ == "MultiValue" else ((str(it),) if it else ())
        for kw, attr in (("Rows", "rows"), ("Columns", "columns"), ("SamplesPerPixel", "samples"),
                         ("BitsAllocated", "bits_allocated"), ("BitsStored", "bits_stored"),
                         ("HighBit", "high_bit"), ("PixelRepresentation", "pixel_representation"),
                         ("PlanarConfiguration", "planar")):
            setattr(f, attr, _maybe_int(g(kw)))
        f.photometric = txt("PhotometricInterpretation")
        f.frames = _maybe_int(g("NumberOfFrames")) or 1
    else:
        f.description = txt("SeriesDescription")
    f.details = True
    if f.sop_uid is None:
        f.sop_uid = txt("SOPInstanceUID")
        f.sop_class = txt("SOPClassUID")
        f.frame_of_reference = txt("FrameOfReferenceUID")
        it = g("ImageType")
        f.image_type = tuple(str(v) for v in it) if isinstance(it, (list, tuple)) or \
            type(it).__name__ == "MultiValue" else ((str(it),) if it else ())
        f.rescale_type = txt("RescaleType")
        f.slice_thickness = _maybe_float(g("SliceThickness"))
        f.spacing_between = _maybe_float(g("SpacingBetweenSlices"))
        f.gantry_tilt = _maybe_float(g("GantryDetectorTilt"))
        wc, ww = _maybe_float(g("WindowCenter")), _maybe_float(g("WindowWidth"))
        f.window = (wc, ww) if wc is not None and ww is not None else None
    shared = _first_item(g("SharedFunctionalGroupsSequence"))
    per_frame = g("PerFrameFunctionalGroupsSequence")
    if per_frame is None and shared is None:  # e.g. deflated single-frame
        s = _Slice(f, None)
        _plane_from_dataset(s, ds, None)
        s.keys = (_maybe_int(g("AcquisitionNumber")), _maybe_int(g("EchoNumbers")),
                  _maybe_int(g("TemporalPositionIdentifier")))
        f.slices = [s]
        return f
    f.enhanced = True
    slices = []
    nframes = f.frames or 1
    per_frame = list(per_frame or [])
    for i in range(nframes):
        s = _Slice(f, i)
        item = per_frame[i] if i < len(per_frame) else None
        _plane_from_dataset(s, ds, (item, shared))
        fc = _first_item(_get(item, "FrameContentSequence"))
        stack = _get(fc, "StackID")
        temporal = _maybe_int(_get(fc, "TemporalPositionIndex"))
        echo = _first_item(_get(item, "MREchoSequence"))
        echo_t = _maybe_float(_get(echo, "EffectiveEchoTime"))
        s.keys = (None if stack is None else str(stack), temporal, echo_t)
        s.instance = i
        slices.append(s)
    f.slices = slices
    return f


def _get(item: Any, keyword: str) -> Any:
    return None if item is None else item.get(keyword)


def _first_item(seq: Any) -> Any:
    if seq is None:
        return None
    try:
        return seq[0] if len(seq) else None
    except (TypeError, IndexError):
        return None


def _maybe_int(v: Any) -> int | None:
    if isinstance(v, (list, tuple)) or type(v).__name__ == "MultiValue":
        v = v[0] if len(v) else None
    if v is None or v == "":
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        try:
            return int(float(v))
        except (TypeError, ValueError):
            return None


def _maybe_float(v: Any) -> float | None:
    if isinstance(v, (list, tuple)) or type(v).__name__ == "MultiValue":
        v = v[0] if len(v) else None
    try:
        return None if v is None or v == "" else float(v)
    except (TypeError, ValueError):
        return None


def _fg(groups: tuple | None, ds: Any, seq: str, keyword: str) -> Any:
    """``keyword`` from functional group ``seq``: per-frame first, then shared."""
    if groups is None:
        return ds.get(keyword)
    for item in groups:
        inner = _first_item(_get(item, seq))
        if inner is not None and keyword in inner:
            return inner.get(keyword)
    return None


def _floats_of(v: Any, name: str) -> tuple | None:
    if v is None or v == "":
        return None
    if not isinstance(v, (list, tuple)) and type(v).__name__ != "MultiValue":
        v = [v]
    try:
        return tuple(float(x) for x in v)
    except (TypeError, ValueError):
        raise ValueError(f"invalid {name} {v!r}") from None


def _plane_from_dataset(s: _Slice, ds: Any, groups: tuple | None) -> None:
    try:
        s.ipp = _floats_of(_fg(groups, ds, "PlanePositionSequence", "ImagePositionPatient"),
                           "ImagePositionPatient")
        s.iop = _floats_of(_fg(groups, ds, "PlaneOrientationSequence", "ImageOrientationPatient"),
                           "ImageOrientationPatient")
    except ValueError as exc:
        s.geometry_error = str(exc)
    try:
        s.pixel_spacing = _floats_of(_fg(groups, ds, "PixelMeasuresSequence", "PixelSpacing"),
                                     "PixelSpacing")
    except ValueError:
        s.pixel_spacing = None
    slope = _maybe_float(_fg(groups, ds, "PixelValueTransformationSequence", "RescaleSlope"))
    inter = _maybe_float(_fg(groups, ds, "PixelValueTransformationSequence", "RescaleIntercept"))
    s.slope = 1.0 if slope is None else slope
    s.intercept = 0.0 if inter is None else inter
    if groups is None:
        s.instance = _maybe_int(ds.get("InstanceNumber"))
    if s.file.slice_thickness is None:
        s.file.slice_thickness = _maybe_float(
            _fg(groups, ds, "PixelMeasuresSequence", "SliceThickness"))
        s.file.spacing_between = _maybe_float(
            _fg(groups, ds, "PixelMeasuresSequence", "SpacingBetweenSlices"))
    _validate_plane(s)


# -- finding files ---------------------------------------------------------------

def _paths(src: Any) -> list[str]:
    if isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        if os.path.isdir(path):
            out = []
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    out.append(os.path.join(root, name))
            return out
        if os.path.exists(path):
            return [path]
        raise FileNotFoundError(f"no such file or folder: {path}")
    out = []
    for p in src:
        if isinstance(p, (str, os.PathLike)):
            out.append(os.fspath(p))
        else:
            raise TypeError(f"expected paths, got {type(p).__name__}")
    return out


def _default_threads(threads: int | None, kind: str) -> int:
    cpus = os.cpu_count() or 1
    if threads is not None:
        return max(1, int(threads))
    if kind == "io":
        return max(2, min(4, 2 * cpus))
    return max(1, cpus)


def _progress(total: int, desc: str, enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    return tqdm(total=total, desc=desc, unit="slice" if desc == "reading" else "file",
                leave=False)


def _scan_all(paths: list[str], threads: int | None, progress: bool,
              watch: Any = None) -> list[_File]:
    """Scan every path; ``watch(file)`` is called for each file with pixel
    data as it is scanned (the reader uses it to prepare memory)."""
    bar = _progress(len(paths), "scanning", progress)
    n = int(threads) if threads is not None and len(paths) > 32 else 1
    try:
        out = []
        if n > 1:
            with ThreadPoolExecutor(n) as pool:
                results: Iterable = pool.map(_scan_file, paths)
                for f in results:
                    out.append(f)
                    if watch is not None and f.error is None and f.pixel_tag is not None:
                        watch(f)
                    if bar is not None:
                        bar.update(1)
            return out
        for p in paths:
            f = _scan_file(p)
            out.append(f)
            if watch is not None and f.error is None and f.pixel_tag is not None:
                watch(f)
            if bar is not None:
                bar.update(1)
        return out
    finally:
        if bar is not None:
            bar.close()


@functools.lru_cache(maxsize=1)
def _huge_pages() -> bool:
    """Whether numpy's large arrays get transparent huge pages (Linux)."""
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray  # type: ignore[no-redef]
    try:
        if not multiarray._get_madvise_hugepage():
            return False
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as fh:
            mode = fh.read()
        return "[always]" in mode or "[madvise]" in mode
    except (OSError, AttributeError):
        return False


class _Prefault:
    """The output volume allocated early, on a guess from the first file, its
    pages touched by a background thread while the other headers are
    scanned: page faults and the kernel's zeroing of a fresh array cost about
    as much as reading the pixels, and this way they run on another core,
    with the GIL released, in parallel with the (GIL-bound) header scan.

    The array has room for one slice per file given, but the thread touches
    only as many slices as files of the first file's series and size have
    been scanned so far, so a folder holding other series costs no extra
    resident memory. The reader takes the array if the guess holds (same
    slice shape and item size, about as many slices), stopping the thread."""

    _CHUNK = 1 << 21

    def __init__(self, nfiles: int, rescale: bool, dtype: Any) -> None:
        self.nfiles = nfiles
        self.rescale = rescale
        self.dtype = dtype
        self.array: np.ndarray | None = None
        self.thread: threading.Thread | None = None
        self.stop = False
        self.scanned = False
        self.key: tuple | None = None
        self.matching = 0
        self.slice_bytes = 0

    def __call__(self, f: _File) -> None:
        """Called by the scan for every file with pixel data."""
        if self.key is not None:
            if (f.series_uid, f.rows, f.columns) == self.key:
                self.matching += 1
            return
        if self.nfiles < 16 or self.array is not None or self.stop:
            return
        self.key = (f.series_uid, f.rows, f.columns)
        self.matching = 1
        if f.enhanced or (f.frames or 1) > 1 or f.samples != 1 \
                or f.bits_allocated not in (8, 16, 32) or not f.rows or not f.columns:
            self.stop = True
            return
        first = f.slices[0] if f.slices else None
        if self.dtype is not None:
            dt = np.dtype(self.dtype)
        elif not self.rescale:
            dt = _stored_dtype(f)
        elif first is not None and (first.slope != 1.0 or not float(first.intercept).is_integer()):
            dt = np.dtype(np.float32)
        elif f.bits_allocated != 16:
            dt = _stored_dtype(f) if first is not None and first.intercept == 0 else \
                np.dtype(np.int16)
        else:
            dt = np.dtype(np.int16)  # the common CT case
        shape = (self.nfiles, int(f.rows), int(f.columns))
        if np.prod(shape, dtype=np.float64) * dt.itemsize > 16 << 30:
            self.stop = True
            return
        self.array = np.empty(shape, dtype=dt)
        self.slice_bytes = int(f.rows) * int(f.columns) * dt.itemsize
        self.thread = threading.Thread(target=self._touch, name="dcmfast-prefault", daemon=True)
        self.thread.start()

    def _touch(self) -> None:
        # Reads from /dev/zero: the kernel faults the pages in with the GIL
        # released. With transparent huge pages one byte per 2 MB faults a
        # whole (zeroed) huge page; otherwise every byte is read.
        try:
            fd = os.open("/dev/zero", _O_RDONLY)
        except OSError:
            return
        try:
            flat = memoryview(self.array.reshape(-1).view(np.uint8))
            step = self._CHUNK
            one = _huge_pages()
            for start in range(0, len(flat), step):
                while start + step > self.matching * self.slice_bytes:
                    if self.stop or self.scanned:
                        return
                    time.sleep(0.0005)  # ahead of the scan: wait for it
                if self.stop:
                    return
                os.preadv(fd, [flat[start:start + 1 if one else start + step]], 0)
        finally:
            os.close(fd)

    def take(self, shape: tuple, dtype: np.dtype) -> np.ndarray | None:
        """The array (a view of its first slices) if it fits; stops the thread."""
        arr = self.array
        self.stop = True
        if arr is None:
            return None
        if self.thread is not None:
            self.thread.join()
        self.array = None
        if arr.shape[1:] != tuple(shape[1:]) or arr.dtype.itemsize != dtype.itemsize \
                or not (0.75 * arr.shape[0] <= shape[0] <= arr.shape[0]):
            return None
        if arr.dtype.kind not in "iuf" or (arr.dtype.kind == "f") != (dtype.kind == "f"):
            return None
        return arr[:shape[0]].view(dtype)


# -- grouping --------------------------------------------------------------------

def _orientation_key(s: _Slice) -> tuple:
    if s.iop is None or s.geometry_error:
        return ()
    return _iop_key(s.iop)


@functools.lru_cache(maxsize=4096)
def _iop_key(iop: tuple) -> tuple:
    """Unit row and column cosines rounded to 1e-4 (slices of a series share
    one IOP tuple, so this is computed once per orientation)."""
    r, c = iop[:3], iop[3:]
    nr, nc = _norm(r) or 1.0, _norm(c) or 1.0
    return tuple(round(v, _ORIENT_DECIMALS) + 0.0
                 for v in (r[0] / nr, r[1] / nr, r[2] / nr, c[0] / nc, c[1] / nc, c[2] / nc))


def _hard_key(s: _Slice) -> tuple:
    f = s.file
    ps = s.pixel_spacing
    ps = (round(ps[0], 4), round(ps[1], 4)) if ps else None
    return (_orientation_key(s), f.rows, f.columns, ps, f.samples, f.bits_allocated,
            f.pixel_representation, f.ts)


def _has_repeats(slices: list[_Slice]) -> bool:
    seen = set()
    for s in slices:
        if s.ipp is None or s.geometry_error:
            continue
        key = tuple(round(v / _DUP_TOL) for v in s.ipp)
        if key in seen:
            return True
        seen.add(key)
    return False


def _split(slices: list[_Slice], soft: bool = True) -> tuple[list[list[_Slice]], list[str]]:
    """Parts of one series, and why it was split (empty: not split)."""
    groups: dict = {}
    # a slice without usable geometry joins the commonest orientation, so that
    # reading the series names it (GeometryError) instead of splitting it off
    counts: dict = {}
    keys = [_hard_key(s) for s in slices]
    for s, key in zip(slices, keys):
        if not s.geometry_error:
            counts[key] = counts.get(key, 0) + 1
    common = max(counts, key=counts.get) if counts else None
    for s, key in zip(slices, keys):
        if s.geometry_error and common is not None:
            key = common
        groups.setdefault(key, []).append(s)
    reasons = []
    if len(groups) > 1:
        keys = list(groups)
        names = ("orientation", "image size", "image size", "pixel spacing", "samples per pixel",
                 "bits allocated", "pixel representation", "transfer syntax")
        differ = sorted({names[i] for i in range(len(names))
                         if len({k[i] for k in keys}) > 1}, key=names.index)
        reasons.append(f"mixes {', '.join(differ)} ({len(groups)} kinds)")
    parts: list[list[_Slice]] = []
    soft_split = False
    for group in groups.values():
        if soft and _has_repeats(group):
            for idx in range(3):  # acquisition / echo / temporal (or stack / temporal / echo)
                vals = {s.keys[idx] if len(s.keys) > idx else None for s in group}
                if len(vals) <= 1:
                    continue
                sub: dict = {}
                for s in group:
                    sub.setdefault(s.keys[idx], []).append(s)
                if not any(_has_repeats(g) for g in sub.values()):
                    parts.extend(sub.values())
                    soft_split = True
                    label = ("stack / acquisition", "temporal position", "echo")[idx] \
                        if group[0].file.enhanced else \
                        ("acquisition", "echo", "temporal position")[idx]
                    reasons.append(f"repeats positions across {len(sub)} values of {label}")
                    break
            else:
                parts.append(group)
        else:
            parts.append(group)
    del soft_split

    def order(part: list[_Slice]) -> tuple:
        inst = [s.instance for s in part if s.instance is not None]
        return (min(inst) if inst else 1 << 62, min(s.file.path for s in part))
    parts.sort(key=order)
    return parts, reasons


# -- public summaries --------------------------------------------------------------

@dataclass
class SeriesInfo:
    """One stack of images from a scan: a series, or one part of a series that
    had to be split (``part`` of ``parts``; ``split_reason`` says why).

    Pass it to :func:`read_series` to load it without scanning again."""

    series_uid: str | None
    study_uid: str | None
    patient_id: str | None
    modality: str | None
    description: str | None
    series_number: int | None
    rows: int | None
    columns: int | None
    num_files: int
    num_slices: int
    files: list = field(repr=False)
    part: int = 0
    parts: int = 1
    split_reason: str = ""
    orientation: tuple | None = None
    pixel_spacing: tuple | None = None
    transfer_syntax: str | None = None
    frame_of_reference: str | None = None
    sop_class: str | None = None
    enhanced: bool = False
    #: every orientation (row + column cosines, rounded) found in the whole series
    orientations: list = field(default_factory=list)
    #: why the part cannot become a volume (a file without usable position /
    #: orientation, named), or None; read_series raises GeometryError for it
    geometry_problem: str | None = None
    _slices: list = field(default_factory=list, repr=False, compare=False)

    def __str__(self) -> str:
        part = f" part {self.part + 1}/{self.parts}" if self.parts > 1 else ""
        return (f"{self.series_uid}{part}: {self.modality or '?'} {self.description or ''!s} "
                f"{self.num_slices} x {self.rows} x {self.columns} "
                f"({self.num_files} file{'s' if self.num_files != 1 else ''})")


class SeriesList(list):
    """A list of :class:`SeriesInfo`, with ``.skipped``: (path, reason) of
    every file that is not DICOM, unreadable, or has no pixel data."""

    skipped: list

    def __init__(self, items: Iterable = (), skipped: list | None = None) -> None:
        super().__init__(items)
        self.skipped = list(skipped or [])


def _description(f: _File) -> str | None:
    d = f.description
    if d is None or isinstance(d, str):
        return d
    cs = (f.charset or "").upper()
    if not cs or cs in ("ISO_IR 100", "ISO_IR 6", "ISO 2022 IR 6", "ISO 2022 IR 100"):
        return d.decode("latin-1").strip(" \x00")
    if cs == "ISO_IR 192":
        return d.decode("utf-8", "replace").strip(" \x00")
    try:
        from dcmfast.filereader import dcmread
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return str(dcmread(f.path, stop_before_pixels=True,
                               specific_tags=["SeriesDescription"]).get("SeriesDescription", ""))
    except Exception:  # noqa: BLE001 - a description is informational
        return d.decode("latin-1", "replace").strip(" \x00")


def _summaries(files: list[_File], split: bool = True) -> SeriesList:
    skipped = []
    by_series: dict = {}
    for f in files:
        if f.error is not None:
            skipped.append((f.path, f.error))
            continue
        if f.pixel_tag is None:
            skipped.append((f.path, "no pixel data"))
            continue
        by_series.setdefault(f.series_uid, []).append(f)
    out = []
    for uid, group in by_series.items():
        slices = [s for f in group for s in f.slices]
        parts, reasons = _split(slices, split)
        orients: list = []
        for s in slices:
            key = _orientation_key(s)
            if key and key not in orients:
                orients.append(key)
        for i, part in enumerate(parts):
            info = _info(uid, part, i, len(parts), "; ".join(reasons))
            info.orientations = orients
            out.append(info)
    out.sort(key=lambda s: (s.patient_id or "", s.study_uid or "", s.series_number or 0,
                            s.series_uid or "", s.part))
    return SeriesList(out, skipped)


def _info(uid: str | None, part: list[_Slice], index: int, nparts: int, reason: str) -> SeriesInfo:
    first = _details(part[0].file)
    files = []
    seen = set()
    for s in part:
        if s.file.path not in seen:
            seen.add(s.file.path)
            files.append(s.file.path)
    return SeriesInfo(
        series_uid=uid, study_uid=first.study_uid, patient_id=first.patient_id,
        modality=first.modality, description=_description(first),
        series_number=first.series_number, rows=first.rows, columns=first.columns,
        num_files=len(files), num_slices=len(part), files=files, part=index, parts=nparts,
        split_reason=reason, orientation=part[0].iop, pixel_spacing=part[0].pixel_spacing,
        transfer_syntax=first.ts, frame_of_reference=first.frame_of_reference,
        sop_class=first.sop_class, enhanced=bool(first.enhanced), _slices=part,
        geometry_problem=next((f"{s.file.path}: {s.geometry_error}" for s in part
                               if s.geometry_error), None))


def list_series(src: Any, *, threads: int | None = None, progress: bool = False,
                split: bool = True) -> SeriesList:
    """Scan ``src`` (a folder, searched recursively, or an iterable of paths)
    and summarise every series found.

    Each file's header is read once (only its first KB, up to Pixel Data).
    ``threads`` > 1 scans on that many threads: it helps on slow (network)
    disks only, as parsing holds the GIL.
    A series mixing orientations, image sizes or acquisitions gives one
    :class:`SeriesInfo` per part (see the module's rules).

    Returns
    -------
    SeriesList
        A list of :class:`SeriesInfo` sorted by patient, study, SeriesNumber;
        ``.skipped`` lists (path, reason) of each file left out.
    """
    files = _scan_all(_paths(src), threads, progress)
    return _summaries(files, split)


# -- geometry --------------------------------------------------------------------

@dataclass
class GeometryReport:
    """What a volume's slice positions say about it.

    Distances are along the slice normal, in mm, between consecutive kept
    slices (after sorting and dropping duplicates).
    """

    num_slices: int = 0
    spacing_min: float = float("nan")
    spacing_max: float = float("nan")
    spacing_median: float = float("nan")
    spacing_mean: float = float("nan")
    spacing_std: float = float("nan")
    #: (index of the slice before the gap, distance, estimated missing slices)
    gaps: list = field(default_factory=list)
    #: (position along the normal, kept file, [dropped files])
    duplicates: list = field(default_factory=list)
    nonuniform: bool = False
    tilt_deg: float = 0.0
    #: orientations found in the series the volume comes from (more than one: mixed)
    orientations: list = field(default_factory=list)
    split_reason: str = ""
    parts: int = 1
    notes: list = field(default_factory=list)

    @property
    def mixed_orientations(self) -> bool:
        return len(self.orientations) > 1

    @property
    def issues(self) -> list[str]:
        """One line per problem (empty when the geometry is clean)."""
        out = []
        if self.gaps:
            missing = sum(g[2] for g in self.gaps)
            where = ", ".join(f"after slice {g[0]} ({g[1]:.3g} mm)" for g in self.gaps[:5])
            more = f" and {len(self.gaps) - 5} more" if len(self.gaps) > 5 else ""
            out.append(f"{len(self.gaps)} gap(s), ~{missing} missing slice(s): {where}{more}")
        if self.duplicates:
            n = sum(len(d[2]) for d in self.duplicates)
            out.append(f"{n} duplicate slice(s) at {len(self.duplicates)} position(s) dropped "
                       "(kept the lowest InstanceNumber)")
        if self.nonuniform:
            out.append(f"non-uniform slice spacing {self.spacing_min:.4g}..{self.spacing_max:.4g} "
                       f"mm (median {self.spacing_median:.4g}, std {self.spacing_std:.3g})")
        if abs(self.tilt_deg) > 0:
            out.append(f"gantry tilt {self.tilt_deg:.3g} deg: the affine is sheared")
        if self.parts > 1:
            out.append(f"series split into {self.parts} parts: {self.split_reason}")
        out.extend(self.notes)
        return out

    @property
    def ok(self) -> bool:
        return not self.issues

    def __str__(self) -> str:
        head = (f"{self.num_slices} slices, spacing median {self.spacing_median:.4g} mm "
                f"(min {self.spacing_min:.4g}, max {self.spacing_max:.4g})")
        issues = self.issues
        return head + ("; " + "; ".join(issues) if issues else "; no issues")


@dataclass
class _Geometry:
    order: list  # kept slices, sorted
    spacing: tuple
    origin: np.ndarray
    direction: np.ndarray
    affine: np.ndarray
    report: GeometryReport


def _median(values: Any) -> float:
    """The median (np.median's first call imports numpy.ma: ~30 ms)."""
    return statistics.median(np.asarray(values, dtype=np.float64).tolist())


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _geometry(slices: list[_Slice], report: GeometryReport) -> _Geometry:
    for s in slices:
        if s.geometry_error:
            where = f" frame {s.frame}" if s.frame is not None else ""
            raise GeometryError(f"{s.file.path}{where}: {s.geometry_error}; cannot place it in "
                                "a volume", path=s.file.path)
    first = slices[0]
    row = _unit(np.asarray(first.iop[:3], dtype=np.float64))
    col = _unit(np.asarray(first.iop[3:], dtype=np.float64))
    normal = _unit(np.cross(row, col))
    for s in slices:
        s.d = float(np.dot(np.asarray(s.ipp, dtype=np.float64), normal))
    ordered = sorted(slices, key=lambda s: (s.d, s.instance if s.instance is not None else 1 << 62,
                                            s.file.path, s.frame or 0))
    ds_all = np.array([s.d for s in ordered])
    diffs_all = np.diff(ds_all)
    med_all = float(_median(diffs_all[diffs_all > _DUP_TOL])) if np.any(diffs_all > _DUP_TOL) \
        else 0.0
    tol = max(_DUP_TOL, 1e-3 * med_all)
    kept: list[_Slice] = []
    dups: list = []
    for s in ordered:
        if kept and s.d - kept[-1].d <= tol:
            if dups and dups[-1][1] == kept[-1].file.path and abs(dups[-1][0] - kept[-1].d) < tol:
                dups[-1][2].append(s.file.path)
            else:
                dups.append((kept[-1].d, kept[-1].file.path, [s.file.path]))
            continue
        kept.append(s)
    report.duplicates = dups
    report.num_slices = len(kept)
    pos = np.array([s.ipp for s in kept], dtype=np.float64)
    d = np.array([s.d for s in kept])
    diffs = np.diff(d)
    ps = first.pixel_spacing
    if ps is None:
        ps = (1.0, 1.0)
        report.notes.append("no PixelSpacing: 1 mm assumed")
    dy, dx = float(ps[0]), float(ps[1])
    if len(kept) > 1:
        med = float(_median(diffs))
        report.spacing_min = float(diffs.min())
        report.spacing_max = float(diffs.max())
        report.spacing_median = med
        report.spacing_mean = float(diffs.mean())
        report.spacing_std = float(diffs.std())
        report.gaps = [(int(i), float(diffs[i]), max(1, int(round(diffs[i] / med)) - 1))
                       for i in np.nonzero(diffs > 1.5 * med)[0]]
        utol = max(0.005, 0.01 * med)
        report.nonuniform = bool(np.any(np.abs(diffs - med) > utol))
        # gantry tilt: the slice origins step along u, not along the normal
        u = pos[-1] - pos[0]
        u = u / np.linalg.norm(u)
        cos_t = float(np.clip(np.dot(u, normal), -1.0, 1.0))
        tilt = math.degrees(math.acos(cos_t))
        # below 1e-4 mm of in-plane drift per slice the stack counts as untilted
        if tilt > 0 and med * math.tan(math.radians(tilt)) > 1e-4:
            report.tilt_deg = tilt
            step = u * (med / cos_t)
        else:
            step = normal * med
    else:
        f = _details(first.file)
        med = f.spacing_between or f.slice_thickness or 1.0
        if not (isinstance(med, float) and math.isfinite(med) and med > 0):
            med = 1.0
        step = normal * med
        report.spacing_median = med
    dz = float(np.linalg.norm(step))
    direction = np.column_stack([row, col, step / dz])
    affine = np.eye(4)
    affine[:3, 0] = step
    affine[:3, 1] = col * dy
    affine[:3, 2] = row * dx
    affine[:3, 3] = pos[0]
    return _Geometry(order=kept, spacing=(dz, dy, dx), origin=pos[0].copy(),
                     direction=direction, affine=affine, report=report)


# -- pixels ----------------------------------------------------------------------

def _stored_dtype(f: _File) -> np.dtype:
    if f.pixel_tag == 0x7FE00008:
        return np.dtype("<f4")
    if f.pixel_tag == 0x7FE00009:
        return np.dtype("<f8")
    size = max((f.bits_allocated or 8) // 8, 1)
    return np.dtype(f"{'i' if f.pixel_representation else 'u'}{size}")


def _pixel_info(f: _File) -> Any:
    from dcmfast.pixels import PixelInfo

    class _Stub:  # PixelInfo reads only these from the data set
        def __contains__(self, tag: int) -> bool:
            return tag == f.pixel_tag

        file_meta = {"TransferSyntaxUID": f.ts}

    values = {"Rows": f.rows, "Columns": f.columns, "SamplesPerPixel": f.samples,
              "BitsAllocated": f.bits_allocated, "BitsStored": f.bits_stored,
              "HighBit": f.high_bit, "PixelRepresentation": f.pixel_representation,
              "PhotometricInterpretation": f.photometric, "PlanarConfiguration": f.planar,
              "NumberOfFrames": f.frames}
    try:
        return PixelInfo(_Stub(), transfer_syntax=f.ts, values=values)
    except AttributeError as exc:
        raise PixelDataError(f"{f.path}: {exc}") from None
    except PixelDataError as exc:
        raise PixelDataError(f"{f.path}: {exc}") from None


def _out_dtype(slices: list[_Slice], info: Any, rescale: bool, dtype: Any) -> tuple[np.dtype, str]:
    """The output dtype, and how to get there: 'raw' (stored values), 'int16'
    (integer rescale into int16, range proven), 'int16?' (integer rescale if
    the values allow: checked per slice), 'float'."""
    stored = info.dtype
    if dtype is not None:
        return np.dtype(dtype), ("float" if rescale and _needs_rescale(slices) else "cast")
    if not rescale or not _needs_rescale(slices) or info.keyword != "PixelData":
        return stored, "raw"
    slopes = {s.slope for s in slices}
    inters = [s.intercept for s in slices]
    if slopes == {1.0} and all(float(b).is_integer() for b in inters) and stored.itemsize <= 2 \
            and info.samples == 1:
        bs = info.bits_stored
        lo = -(1 << (bs - 1)) if info.pixel_representation else 0
        hi = (1 << (bs - 1)) - 1 if info.pixel_representation else (1 << bs) - 1
        if lo + min(inters) >= -32768 and hi + max(inters) <= 32767:
            return np.dtype(np.int16), "int16"
        return np.dtype(np.int16), "int16?"
    return np.dtype(np.float32), "float"


def _needs_rescale(slices: list[_Slice]) -> bool:
    return any(s.slope != 1.0 or s.intercept != 0.0 for s in slices)


class _Reader:
    """Reads and decodes slices into one preallocated array."""

    def __init__(self, order: list[_Slice], info: Any, out: np.ndarray, mode: str,
                 rescale: bool) -> None:
        self.order = order
        self.info = info
        self.out = out
        self.mode = mode
        self.rescale = rescale
        self.local = threading.local()
        f = order[0].file
        self.ts = f.ts
        self.stored = info.dtype
        info_ = info
        self.correct = info_.keyword == "PixelData" and (
            info_.bits_stored < info_.bits_allocated or info_.high_bit != info_.bits_stored - 1)
        self.frame_bytes = info_.frame_units
        self.direct = (not info_.encapsulated and not info_.big_endian
                       and info_.bits_allocated in (8, 16, 32, 64) and info_.samples == 1
                       and self.ts != _DEFLATED)
        self.fits = np.ones(len(order), dtype=bool)  # int16?: slice k was rescaled in place
        self.bar: Any = None  # a tqdm bar while reading with progress=True
        self.lock = threading.Lock()
        self.cache: dict = {}  # path -> frames' fragments of multi-frame encapsulated files

    # scratch buffers per thread, for conversions that cannot happen in place
    def _scratch(self) -> np.ndarray:
        buf = getattr(self.local, "buf", None)
        shape = self.out.shape[1:]
        if buf is None or buf.shape != shape:
            buf = np.empty(shape, dtype=self.stored)
            self.local.buf = buf
        return buf

    def _target(self, k: int) -> np.ndarray:
        """Where slice k's stored values go: straight into the output when its
        dtype has the stored layout (or int16 stands in for a 16-bit type)."""
        out = self.out
        if self.mode == "raw" or (self.mode in ("int16", "int16?")
                                  and self.stored.itemsize == 2):
            return out[k].view(self.stored) if out.dtype != self.stored else out[k]
        return self._scratch()

    def read(self, k: int) -> None:
        s = self.order[k]
        dst = self._target(k)
        if self.direct:
            self._read_native(s, dst)
        else:
            self._decode_other(s, dst)
        self._finish(k, s, dst)
        if self.bar is not None:
            self.bar.update(1)

    def _read_native(self, s: _Slice, dst: np.ndarray) -> None:
        f = s.file
        nbytes = self.frame_bytes
        start = f.value_offset + (s.frame or 0) * nbytes
        view = memoryview(dst).cast("B")
        fd = os.open(f.path, _O_RDONLY)
        try:
            got = os.preadv(fd, [view], start)
            while got < nbytes:  # short reads
                more = os.preadv(fd, [view[got:]], start + got)
                if more <= 0:
                    break
                got += more
        finally:
            os.close(fd)
        if got < nbytes:
            raise PixelDataError(
                f"{f.path}: the file ends {nbytes - got} bytes short of the pixel data "
                f"(frame {s.frame or 0} needs {nbytes} bytes at byte {start})", offset=start)
        if self.correct:
            info = self.info
            _pixels.native_unpack(dst, 0, dst, info.frame_pixels, 1, info.bits_allocated,
                                  info.bits_stored, info.high_bit,
                                  bool(info.pixel_representation), correct_bits=True)

    def _value(self, f: _File, start: int = 0, length: int | None = None) -> bytes:
        """Bytes of ``f``'s Pixel Data value: all of it, or ``length`` from ``start``."""
        total = abs(f.value_length)
        if length is None or start + length > total:
            length = max(total - start, 0)
        fd = os.open(f.path, _O_RDONLY)
        try:
            data = os.pread(fd, length, f.value_offset + start)
        finally:
            os.close(fd)
        return data

    def _fragments(self, f: _File, frame: int) -> list:
        """Frame ``frame``'s fragments; a multi-frame file's value is read and
        indexed once (kept until the read ends), not once per frame."""
        nframes = f.frames or 1
        if nframes == 1:
            frames = get_frame_fragments(self._value(f), 1)
        else:
            with self.lock:
                frames = self.cache.get(f.path)
                if frames is None:
                    frames = get_frame_fragments(self._value(f), nframes)
                    self.cache[f.path] = frames
        return frames[frame]

    def _decode_other(self, s: _Slice, dst: np.ndarray) -> None:
        f = s.file
        info = self.info
        frame = s.frame or 0
        if f.ts == _RLE or f.ts in _LJPEG:
            from dcmfast.pixels import _ljpeg_frame
            try:
                frags = self._fragments(f, frame)
            except IndexError:
                raise PixelDataError(f"{f.path}: frame {frame} not found in the pixel data",
                                     frame=frame) from None
            except PixelDataError as exc:
                raise PixelDataError(f"{f.path}: {exc}", frame=frame) from None
            src = frags[0] if len(frags) == 1 else b"".join(frags)
            try:
                if f.ts == _RLE:
                    _pixels.rle_decode_frame(src, dst, info.rows, info.columns, info.samples,
                                             info.dtype.itemsize, frame=frame)
                    return
                if _ljpeg_frame(info, src, dst, frame):
                    return
            except PixelDataError as exc:
                raise PixelDataError(f"{f.path}: {exc}", frame=frame) from None
        if not info.encapsulated and f.ts != _DEFLATED and info.photometric != "YBR_FULL_422":
            # big endian, several samples, 1-bit: this frame's bytes only
            if info.bits_allocated == 1:
                buf, start = self._value(f), frame * info.frame_units
            else:
                buf, start = self._value(f, frame * info.frame_units, info.frame_units), 0
            try:
                _pixels.native_unpack(
                    buf, start, dst, info.frame_pixels, info.samples,
                    info.bits_allocated, info.bits_stored, info.high_bit,
                    bool(info.pixel_representation), is_float=info.keyword != "PixelData",
                    big_endian=info.big_endian, planar=bool(info.planar),
                    frame_pixels=info.frame_pixels, correct_bits=self.correct, frame=frame)
            except PixelDataError as exc:
                raise PixelDataError(f"{f.path}: {exc}", frame=frame) from None
            return
        from dcmfast.filereader import dcmread
        from dcmfast.pixels import _plan_for
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DicomWarning)
            ds = dcmread(f.path)
            plan = _plan_for(ds)
            plan.as_rgb = False
            plan.decode_frame(frame, dst)

    def _finish(self, k: int, s: _Slice, src: np.ndarray) -> None:
        """Rescale slice k (its stored values are in ``src``) into out[k]."""
        out = self.out[k]
        mode = self.mode
        if mode == "raw":
            return
        if mode == "cast":
            np.copyto(out, src, casting="unsafe")
            return
        slope, inter = s.slope, s.intercept
        if mode in ("int16", "int16?"):
            if src.dtype.itemsize == 2:  # src is out[k] viewed as the stored type
                if inter or mode == "int16?":
                    fits, _lo, _hi = _pixels.rescale_add16(src, src.dtype.kind == "i", int(inter))
                    if not fits:  # left as stored; _to_float redoes the volume
                        self.fits[k] = False
                return
            if mode == "int16?":
                lo, hi = int(src.min()), int(src.max())
                if lo + inter < -32768 or hi + inter > 32767:
                    self.fits[k] = False
                    return
            np.add(src, np.int32(int(inter)), out=out, casting="unsafe")
            return
        if out.dtype == np.float32 and src.dtype.itemsize == 2 and src.dtype.kind in "iu":
            _pixels.rescale_f32_16(src, src.dtype.kind == "i", slope, inter, out)
            return
        # float (or dtype=): out = src * slope + intercept
        if out.dtype == np.float32 or out.dtype == np.float64:
            np.multiply(src, slope, out=out, casting="unsafe")
            if inter:
                np.add(out, inter, out=out, casting="unsafe")
        else:
            tmp = src.astype(np.float64) * slope + inter
            np.copyto(out, tmp, casting="unsafe")

    def run(self, threads: int) -> None:
        n = len(self.order)
        workers = min(threads, n)
        if workers <= 1:
            for k in range(n):
                self.read(k)
            return
        # one task per thread, each taking every workers-th slice: few futures,
        # and the threads move through the files side by side
        def stripe(t: int) -> None:
            for k in range(t, n, workers):
                self.read(k)

        with ThreadPoolExecutor(workers) as pool:
            for _ in pool.map(stripe, range(workers)):
                pass


def _plugin_ts(ts: str, samples: int = 1) -> bool:
    """Whether slices in ``ts`` need the pylibjpeg plugins (worker processes).
    Single-component JPEG lossless has dcmfast's own decoder (threads)."""
    from dcmfast import pixels
    if ts in pixels._LJPEG and samples == 1:
        return False
    return ts in pixels._LIBJPEG or ts in pixels._OPENJPEG


def _check_sizes(order: list[_Slice], info: Any) -> None:
    """Refuse before allocating: every native slice's bytes must be in its file."""
    nbytes = info.frame_units
    if info.bits_allocated == 1:
        return
    for s in order:
        f = s.file
        if f.rows != info.rows or f.columns != info.columns:
            raise PixelDataError(f"{f.path}: image size {f.rows} x {f.columns} differs from "
                                 f"{info.rows} x {info.columns}")
        if f.value_offset is None:
            raise PixelDataError(f"{f.path}: no pixel data")
        if info.encapsulated:
            continue
        need = ((s.frame or 0) + 1) * nbytes
        have = min(f.value_length, f.size - f.value_offset) if f.value_length >= 0 else 0
        if have < need:
            raise PixelDataError(
                f"{f.path}: Pixel Data holds {have} bytes but Rows x Columns x "
                f"{'frames x ' if f.frames and f.frames > 1 else ''}BitsAllocated needs {need} "
                "(truncated file, or Rows / Columns / BitsAllocated lie)", offset=have)


# -- the volume ------------------------------------------------------------------

class Volume:
    """A 3-D image from one stack of slices.

    Attributes
    ----------
    array : numpy.ndarray
        (slices, rows, cols) - (slices, rows, cols, samples) for colour -
        sorted along the slice normal.
    spacing : tuple of float
        (dz, dy, dx) in mm: distance between slice origins, between rows
        (PixelSpacing[0]) and between columns (PixelSpacing[1]).
    origin : numpy.ndarray
        (x, y, z) of voxel [0, 0, 0]'s centre, patient LPS mm (its IPP).
    direction : numpy.ndarray
        3x3; its columns are the unit vectors of the array's x (along a row,
        index i: the row cosine), y (down the columns, index j: the column
        cosine) and z (slice index k: the slice step) axes, in LPS. z is the
        normal unless the gantry is tilted.
    affine : numpy.ndarray
        4x4, maps (k, j, i, 1) - numpy index order - to LPS mm:
        columns (step, col * dy, row * dx, origin).
    report : GeometryReport
    positions : numpy.ndarray
        (slices, 3) ImagePositionPatient of each slice, in array order.
    files : list of str
        The file of each slice, in array order.
    frames : list
        The frame index of each slice in its file (None for single-frame files).
    slopes, intercepts : numpy.ndarray
        Rescale values of each slice (applied when read with ``rescale=True``).
    meta : dict
        Key metadata of the series (UIDs, patient, modality, description,
        pixel module, window, ...).
    """

    def __init__(self, array: np.ndarray, geometry: _Geometry, meta: dict,
                 rescaled: bool) -> None:
        self.array = array
        self.spacing = geometry.spacing
        self.origin = geometry.origin
        self.direction = geometry.direction
        self.affine = geometry.affine
        self.report = geometry.report
        order = geometry.order
        self.positions = np.array([s.ipp for s in order], dtype=np.float64)
        self.files = [s.file.path for s in order]
        self.frames = [s.frame for s in order]
        self.slopes = np.array([s.slope for s in order])
        self.intercepts = np.array([s.intercept for s in order])
        self.meta = meta
        self.rescaled = rescaled

    @property
    def shape(self) -> tuple:
        return self.array.shape

    def __repr__(self) -> str:
        sp = ", ".join(f"{v:.4g}" for v in self.spacing)
        return (f"<Volume {self.array.shape} {self.array.dtype} spacing ({sp}) mm, "
                f"{len(self.report.issues)} geometry issue(s)>")

    def nifti_affine(self) -> np.ndarray:
        """The RAS affine of :meth:`to_nifti`'s data: NIfTI axes (x, y, z) =
        (column i, flipped row rows-1-j, slice k), as dcm2niix writes them."""
        lps_to_ras = np.diag([-1.0, -1.0, 1.0, 1.0])
        rows = self.array.shape[1]
        perm = np.zeros((4, 4))
        perm[0, 2] = 1.0          # k <- z
        perm[1, 1] = -1.0         # j <- rows-1-y
        perm[1, 3] = rows - 1
        perm[2, 0] = 1.0          # i <- x
        perm[3, 3] = 1.0
        return lps_to_ras @ self.affine @ perm

    def nifti_data(self) -> np.ndarray:
        """The array in NIfTI order (x=i, y=rows-1-j, z=k) - a view, no copy."""
        arr = self.array[:, ::-1]
        return arr.transpose(2, 1, 0) if arr.ndim == 3 else arr.transpose(2, 1, 0, 3)

    def to_nifti(self, path: str | os.PathLike) -> Any:
        """Write a NIfTI-1 file (``.nii`` or ``.nii.gz``) with nibabel (extra
        "nifti"); the voxel order and affine are dcm2niix's (rows flipped,
        slices along the normal; RAS). Returns the nibabel image."""
        try:
            import nibabel as nib
        except ImportError:
            raise ImportError("Volume.to_nifti needs nibabel: pip install nibabel "
                              "(or pip install 'dcmfast[nifti]')") from None
        data = self.nifti_data()
        affine = self.nifti_affine()
        img = nib.Nifti1Image(data, affine)
        img.header.set_xyzt_units("mm", "sec")
        img.header.set_qform(affine, code=1)
        img.header.set_sform(affine, code=1)
        img.header["descrip"] = b"dcmfast"
        path = os.fspath(path)
        tmp = f"{path}.tmp{os.getpid()}" + (".nii.gz" if path.endswith(".gz") else ".nii")
        try:
            nib.save(img, tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return img

    def to_npy(self, path: str | os.PathLike) -> None:
        """Write the array as .npy (numpy's format; load with numpy.load). The
        geometry is not stored: use :attr:`affine` / :meth:`to_nifti` for it."""
        path = os.fspath(path)
        tmp = f"{path}.tmp{os.getpid()}.npy"
        try:
            np.save(tmp, self.array)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


# -- read_series -----------------------------------------------------------------

def _choose(infos: list[SeriesInfo], series_uid: str | None, part: int | None,
            nfiles: int) -> SeriesInfo:
    if series_uid is not None:
        infos = [i for i in infos if i.series_uid == series_uid]
        if not infos:
            raise ValueError(f"no series with SeriesInstanceUID {series_uid} among {nfiles} file(s)")
    if not infos:
        raise ValueError(f"no images with pixel data among {nfiles} file(s)")
    uids = {i.series_uid for i in infos}
    if len(uids) > 1:
        listing = "\n".join(f"  {i}" for i in infos)
        raise SeriesSelectionError(
            f"{len(uids)} series found; pass series_uid= (or a SeriesInfo from list_series):\n"
            f"{listing}", infos)
    if len(infos) > 1:
        if part is None:
            listing = "\n".join(f"  part={i.part}: {i}" for i in infos)
            raise SeriesSelectionError(
                f"series {infos[0].series_uid} {infos[0].split_reason}; it was split into "
                f"{len(infos)} parts, pass part=:\n{listing}", infos)
        for i in infos:
            if i.part == part:
                return i
        raise ValueError(f"part={part} does not exist: the series has {len(infos)} parts")
    if part not in (None, 0):
        raise ValueError(f"part={part} does not exist: the series has 1 part")
    return infos[0]


def read_series(src: Any, *, series_uid: str | None = None, rescale: bool = True,
                dtype: Any = None, threads: int | None = None, progress: bool = False,
                on_geometry: str = "warn", part: int | None = None, split: bool = True) -> Volume:
    """Read one series (one stack) into a :class:`Volume`.

    Parameters
    ----------
    src : folder, iterable of paths, or SeriesInfo
        A folder is searched recursively. Only the given files are read (no
        other file is scanned); a :class:`SeriesInfo` from
        :func:`list_series` is read without scanning headers again.
    series_uid : str, optional
        The series to read when ``src`` holds several; otherwise
        :class:`SeriesSelectionError` lists them.
    rescale : bool
        Apply RescaleSlope / RescaleIntercept (per slice): int16 when every
        slope is 1, every intercept integral and no value overflows int16,
        else float32.
    dtype : numpy dtype, optional
        The output dtype (values cast unsafely, after rescaling).
    threads : int, optional
        Threads reading / decoding slices (processes for JPEG and JPEG 2000);
        default: 2-4 for uncompressed data, one per CPU for decoding.
    progress : bool
        Show progress bars (tqdm).
    on_geometry : {"warn", "raise", "keep"}
        What to do when the :class:`GeometryReport` lists issues: one
        :class:`GeometryWarning` summarising them, :class:`GeometryError`, or
        nothing. (Missing / invalid positions or orientations always raise.)
    part : int, optional
        Which part of a series that was split (see :class:`SeriesInfo`).
    split : bool
        Split a series whose positions repeat across AcquisitionNumber /
        EchoNumbers / TemporalPositionIdentifier (default). False keeps it
        one stack: repeated positions are duplicates (the lowest
        InstanceNumber kept, reported). Orientation, size, spacing and pixel
        format always split: they cannot share a volume.

    Raises
    ------
    SeriesSelectionError
        Several series or parts and no choice.
    GeometryError
        A slice without usable ImagePositionPatient / ImageOrientationPatient
        (the message names the file), or ``on_geometry="raise"`` and issues.
    PixelDataError
        A file whose pixel data is short or cannot be decoded (named).
    """
    prefault = _Prefault(0, rescale, dtype)
    try:
        return _read_series(src, series_uid, rescale, dtype, threads, progress, on_geometry, part,
                            split, prefault)
    finally:
        prefault.stop = True  # an error after the scan: let the page-touching thread go


def _read_series(src: Any, series_uid: str | None, rescale: bool, dtype: Any,
                 threads: int | None, progress: bool, on_geometry: str, part: int | None,
                 split: bool, prefault: "_Prefault") -> Volume:
    if on_geometry not in ("warn", "raise", "keep"):
        raise ValueError(f"on_geometry must be 'warn', 'raise' or 'keep', not {on_geometry!r}")
    use_prefault = False
    if isinstance(src, SeriesInfo):
        info_ = src
        if series_uid is not None and series_uid != info_.series_uid:
            raise ValueError(f"the SeriesInfo is series {info_.series_uid}, not {series_uid}")
        slices = info_._slices
        if not slices:  # e.g. a SeriesInfo that crossed a process boundary without slices
            files = _scan_all(list(info_.files), None, progress)
            infos = _summaries(files, split)
            info_ = _choose(infos, info_.series_uid, info_.part if info_.parts > 1 else part,
                            len(info_.files))
            slices = info_._slices
    else:
        paths = _paths(src)
        prefault.nfiles = len(paths)
        use_prefault = True
        # one thread: parsing holds the GIL (``threads`` is for the pixels)
        files = _scan_all(paths, None, progress, watch=prefault)
        prefault.scanned = True
        infos = _summaries(files, split)
        if not infos and infos.skipped:
            path, reason = infos.skipped[0]
            raise InvalidDicomError(f"no readable images: {path}: {reason}"
                                    + (f" (and {len(infos.skipped) - 1} more)"
                                       if len(infos.skipped) > 1 else ""))
        if infos.skipped and not (isinstance(src, (str, os.PathLike))
                                  and os.path.isdir(os.fspath(src))):
            path, reason = infos.skipped[0]
            more = f" (and {len(infos.skipped) - 1} more)" if len(infos.skipped) > 1 else ""
            warnings.warn(f"{len(infos.skipped)} of the {len(paths)} given file(s) skipped: "
                          f"{path}: {reason}{more}", DicomWarning, stacklevel=2)
        info_ = _choose(infos, series_uid, part, len(paths))
        slices = info_._slices
    report = GeometryReport(parts=info_.parts, split_reason=info_.split_reason)
    report.orientations = list(info_.orientations) or \
        list(dict.fromkeys(k for k in map(_orientation_key, slices) if k))
    geo = _geometry(slices, report)
    issues = report.issues
    if issues and on_geometry == "raise":
        raise GeometryError(f"series {info_.series_uid}: " + "; ".join(issues), report=report)
    if issues and on_geometry == "warn":
        warnings.warn(f"series {info_.series_uid}: " + "; ".join(issues), GeometryWarning,
                      stacklevel=2)
    order = geo.order
    first = _details(order[0].file)
    info = _pixel_info(first)
    _check_sizes(order, info)
    out_dtype, mode = _out_dtype(order, info, rescale, dtype)
    shape = (len(order),) + info.frame_shape()
    out = prefault.take(shape, out_dtype) if use_prefault else None
    if out is None:
        out = np.empty(shape, dtype=out_dtype)
    reader = _Reader(order, info, out, mode, rescale)
    reader.bar = _progress(len(order), "reading", progress)
    try:
        if info.encapsulated and _plugin_ts(first.ts, info.samples):
            _read_plugin(reader, threads, progress)
        else:
            kind = "io" if reader.direct else "cpu"
            reader.run(_default_threads(threads, kind))
    finally:
        if reader.bar is not None:
            reader.bar.close()
    if mode == "int16?" and not reader.fits.all():
        out = _to_float(reader, out)
    meta = {
        "series_uid": info_.series_uid, "study_uid": first.study_uid,
        "patient_id": first.patient_id, "modality": first.modality,
        "description": info_.description, "series_number": first.series_number,
        "frame_of_reference_uid": first.frame_of_reference, "sop_class_uid": first.sop_class,
        "transfer_syntax": first.ts, "rows": info.rows, "columns": info.columns,
        "bits_allocated": info.bits_allocated, "bits_stored": info.bits_stored,
        "pixel_representation": info.pixel_representation,
        "photometric": info.photometric, "rescale_type": first.rescale_type,
        "slice_thickness": first.slice_thickness, "window": first.window,
        "image_type": first.image_type, "image_orientation": order[0].iop,
        "pixel_spacing": order[0].pixel_spacing, "enhanced": bool(first.enhanced),
    }
    return Volume(out, geo, meta, rescaled=rescale and mode != "raw")


def _to_float(reader: _Reader, out: np.ndarray) -> np.ndarray:
    """Some slice overflows int16 after rescaling: redo as float32."""
    res = np.empty(out.shape, dtype=np.float32)
    stored = reader.stored
    for k, s in enumerate(reader.order):
        if reader.fits[k]:
            res[k] = out[k]  # already rescaled in int16
        else:
            raw = out[k].view(stored) if stored.itemsize == 2 else out[k]
            np.multiply(raw, s.slope, out=res[k], casting="unsafe")
            res[k] += s.intercept
    return res


def _read_plugin(reader: _Reader, threads: int | None, progress: bool) -> None:
    """JPEG / JPEG-LS / JPEG 2000 slices on worker processes, then rescale."""
    from dcmfast import _workers

    n = _default_threads(threads, "cpu")
    order = reader.order
    jobs = [(k, s.file.path, s.file.value_offset, abs(s.file.value_length),
             s.frame or 0, s.file.frames or 1) for k, s in enumerate(order)]
    info = reader.info

    def done(slots: list[int], frames: np.ndarray) -> None:
        for slot, frame in zip(slots, frames):
            dst = reader._target(slot)
            np.copyto(dst, frame, casting="unsafe")
            reader._finish(slot, order[slot], dst)
            if reader.bar is not None:
                reader.bar.update(1)

    multi = [job for job in jobs if job[5] > 1]
    single = [job for job in jobs if job[5] <= 1]
    if multi:
        _read_plugin_multiframe(reader, multi, n, done)
    if not single:
        return
    if n <= 1 or len(single) <= 1:
        buf = np.empty(info.frame_shape(), dtype=info.dtype)
        for job in single:
            _workers.decode_file_frame(info, job[1:], buf)
            done([job[0]], buf[None])
        return
    _workers.decode_file_frames(info, single, n, done)


def _read_plugin_multiframe(reader: _Reader, jobs: list, n: int, done: Any) -> None:
    """Frames of multi-frame JPEG / JPEG 2000 files: each file is read and its
    frames located once; chunks of frames go to the worker processes."""
    from dcmfast import _workers
    from dcmfast.filereader import dcmread
    from dcmfast.pixels import _plan_for

    info = reader.info
    by_file: dict = {}
    for job in jobs:
        by_file.setdefault(job[1], []).append(job)
    chunk = max(4 * n, 8)
    for path, file_jobs in by_file.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DicomWarning)
            plan = _plan_for(dcmread(path))
        plan.as_rgb = False
        for i in range(0, len(file_jobs), chunk):
            part = file_jobs[i:i + chunk]
            frames = np.empty((len(part),) + tuple(info.frame_shape()), dtype=info.dtype)
            indices = [job[4] for job in part]
            try:
                if n > 1 and len(part) > 1:
                    _workers.decode_frames(plan, indices, frames, n)
                else:
                    for slot, index in enumerate(indices):
                        plan.decode_frame(index, frames[slot])
            except PixelDataError as exc:
                raise PixelDataError(f"{path}: {exc}", frame=exc.frame) from None
            done([job[0] for job in part], frames)
