"""A small generator of DICOM series with known geometry, for tests of
dcmfast.series (and quick speed measurements).

Every series is written with dcmfast's own writer. Pixel values encode the
slice, row and column (``value(k, j, i)``), so the order of a loaded volume
is checked by comparing arrays. Geometry is given in patient LPS mm:

* ``row``/``col``: ImageOrientationPatient's row and column cosines;
* ``origin``: ImagePositionPatient of slice 0;
* ``step``: the vector between consecutive slices (defaults to the slice
  normal times ``spacing``; a tilted gantry steps along z while the image
  plane is tilted), or ``positions`` to give every slice's IPP;
* files are written under shuffled names unless ``shuffle=False``.

:func:`write_series` returns a :class:`Series` describing what was written
(files in true slice order, the expected array and affine).
"""
from __future__ import annotations

import os
import zlib
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from dcmfast import Dataset, FileMetaDataset, dcmwrite
from dcmfast.sequence import Sequence as DicomSequence

CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2.1"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
RLE = "1.2.840.10008.1.2.5"
_ROOT = "1.2.826.0.1.3680043.10.1104"  # a test-only UID root

AXIAL = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0))
CORONAL = ((1.0, 0.0, 0.0), (0.0, 0.0, -1.0))
SAGITTAL = ((0.0, 1.0, 0.0), (0.0, 0.0, -1.0))


def oblique(deg_a: float = 20.0, deg_b: float = 10.0):
    """Row/column cosines of an orientation rotated about z then x."""
    a, b = np.radians(deg_a), np.radians(deg_b)
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    m = rx @ rz
    return tuple(m[:, 0]), tuple(m[:, 1])


def tilted(deg: float):
    """An axial orientation tilted by ``deg`` about the x axis (gantry tilt)."""
    t = np.radians(deg)
    return (1.0, 0.0, 0.0), (0.0, float(np.cos(t)), float(np.sin(t)))


def value(k: Any, j: Any, i: Any) -> Any:
    """The stored value of voxel (k, j, i) in true slice order."""
    return (np.asarray(k) * 101 + np.asarray(j) * 7 + np.asarray(i) * 3) % 3000


def uid(*parts: Any) -> str:
    return ".".join([_ROOT] + [str(p) for p in parts])


@dataclass
class Series:
    folder: str
    files: list  # in true slice order
    stored: np.ndarray  # stored values, (slices, rows, cols), true order
    positions: np.ndarray  # IPP per slice, true order
    row: np.ndarray
    col: np.ndarray
    pixel_spacing: tuple  # (row spacing dy, column spacing dx)
    series_uid: str
    slopes: list = field(default_factory=list)
    intercepts: list = field(default_factory=list)

    @property
    def normal(self) -> np.ndarray:
        n = np.cross(self.row, self.col)
        return n / np.linalg.norm(n)

    def hu(self) -> np.ndarray:
        s = np.asarray(self.slopes, dtype=np.float64)[:, None, None]
        b = np.asarray(self.intercepts, dtype=np.float64)[:, None, None]
        return self.stored * s + b


def _fmt(x: float) -> str:
    s = f"{x:.10g}"
    if len(s) > 16:
        s = f"{x:.8g}"
    return s


def make_dataset(*, rows: int, cols: int, row, col, ipp, pixel_spacing, pixels: np.ndarray,
                 series_uid: str, sop_uid: str, instance: int, slope: float = 1.0,
                 intercept: float = -1024.0, bits_stored: int = 12, signed: bool = False,
                 study_uid: str | None = None, modality: str = "CT", acquisition: int = 1,
                 transfer_syntax: str = EXPLICIT_LE, extra: Callable | None = None) -> Dataset:
    ds = Dataset()
    meta = FileMetaDataset()
    meta.FileMetaInformationVersion = b"\x00\x01"
    meta.MediaStorageSOPClassUID = CT_STORAGE
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = uid(0)
    ds.file_meta = meta
    ds.SOPClassUID = CT_STORAGE
    ds.SOPInstanceUID = sop_uid
    ds.PatientName = "Series^Test"
    ds.PatientID = "SERIES-1"
    ds.StudyInstanceUID = study_uid or uid(1)
    ds.SeriesInstanceUID = series_uid
    ds.Modality = modality
    ds.SeriesDescription = "generated"
    ds.SeriesNumber = 1
    ds.AcquisitionNumber = acquisition
    ds.InstanceNumber = instance
    ds.FrameOfReferenceUID = uid(2)
    ds.ImagePositionPatient = [_fmt(v) for v in ipp]
    ds.ImageOrientationPatient = [_fmt(v) for v in (*row, *col)]
    ds.PixelSpacing = [_fmt(v) for v in pixel_spacing]
    ds.SliceThickness = "1"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.RescaleSlope = _fmt(slope)
    ds.RescaleIntercept = _fmt(intercept)
    ds.RescaleType = "HU"
    dt = ("<i2" if signed else "<u2") if transfer_syntax != EXPLICIT_BE else \
        (">i2" if signed else ">u2")  # the writer keeps a bytes value's bytes as given
    ds.PixelData = np.ascontiguousarray(pixels.astype(dt)).tobytes()
    if extra is not None:
        extra(ds)
    return ds


def write_series(folder: str, *, n: int = 8, rows: int = 12, cols: int = 10,
                 orientation=AXIAL, pixel_spacing=(0.8, 0.6), origin=(-12.5, 30.25, 100.0),
                 spacing: float = 2.5, step=None, positions: Sequence | None = None,
                 shuffle: bool = True, seed: int = 0, series_uid: str | None = None,
                 slopes: Sequence | float = 1.0, intercepts: Sequence | float = -1024.0,
                 signed: bool = False, bits_stored: int = 12, transfer_syntax: str = EXPLICIT_LE,
                 compress: str | None = None, prefix: str = "", pixels: np.ndarray | None = None,
                 acquisitions: Sequence | None = None,
                 extra: Callable[[int, Dataset], None] | None = None) -> Series:
    """Write one series of ``n`` single-frame CT images to ``folder``."""
    os.makedirs(folder, exist_ok=True)
    row = np.asarray(orientation[0], dtype=np.float64)
    col = np.asarray(orientation[1], dtype=np.float64)
    normal = np.cross(row, col)
    if positions is None:
        step_v = normal * spacing if step is None else np.asarray(step, dtype=np.float64)
        positions = [np.asarray(origin, dtype=np.float64) + k * step_v for k in range(n)]
    positions = np.asarray(positions, dtype=np.float64)
    n = len(positions)
    series_uid = series_uid or uid(3, random.Random(seed).randrange(10 ** 9))
    if pixels is None:
        k, j, i = np.meshgrid(np.arange(n), np.arange(rows), np.arange(cols), indexing="ij")
        pixels = value(k, j, i)
        if signed:
            pixels = pixels - 1000
    slopes_l = list(slopes) if isinstance(slopes, (list, tuple)) else [slopes] * n
    inter_l = list(intercepts) if isinstance(intercepts, (list, tuple)) else [intercepts] * n
    order = list(range(n))
    names = [f"{prefix}IM{k:04d}.dcm" for k in range(n)]
    if shuffle:
        random.Random(seed + 1).shuffle(names)
    files = []
    for k in order:
        ds = make_dataset(rows=rows, cols=cols, row=row, col=col, ipp=positions[k],
                          pixel_spacing=pixel_spacing, pixels=pixels[k], series_uid=series_uid,
                          sop_uid=uid(4, zlib.crc32(series_uid.encode()), k + 1),
                          instance=n - k, slope=slopes_l[k], intercept=inter_l[k],
                          bits_stored=bits_stored, signed=signed,
                          acquisition=(acquisitions[k] if acquisitions else 1),
                          transfer_syntax=EXPLICIT_LE if compress else transfer_syntax)
        if extra is not None:
            extra(k, ds)
        if compress:
            from dcmfast import transcode
            transcode.compress(ds, compress)
        path = os.path.join(folder, names[k])
        dcmwrite(path, ds, transfer_syntax=None if compress else transfer_syntax)
        files.append(path)
    return Series(folder=folder, files=files, stored=np.asarray(pixels), positions=positions,
                  row=row, col=col, pixel_spacing=tuple(pixel_spacing), series_uid=series_uid,
                  slopes=slopes_l, intercepts=inter_l)


def write_enhanced(path: str, *, n: int = 6, rows: int = 10, cols: int = 8, orientation=AXIAL,
                   pixel_spacing=(0.9, 0.7), origin=(5.0, -20.0, -40.0), spacing: float = 3.0,
                   frame_order: Sequence | None = None, slope: float = 1.0,
                   intercept: float = -1024.0, per_frame_rescale: bool = False,
                   positions: Sequence | None = None, orientations: Sequence | None = None,
                   series_uid: str | None = None) -> Series:
    """Write one Enhanced CT multi-frame file; frames are stored in
    ``frame_order`` (a permutation of slice indices; reversed by default)."""
    row = np.asarray(orientation[0], dtype=np.float64)
    col = np.asarray(orientation[1], dtype=np.float64)
    normal = np.cross(row, col)
    if positions is None:
        positions = [np.asarray(origin) + k * spacing * normal for k in range(n)]
    positions = np.asarray(positions, dtype=np.float64)
    n = len(positions)
    order = list(frame_order) if frame_order is not None else list(range(n))[::-1]
    k, j, i = np.meshgrid(np.arange(n), np.arange(rows), np.arange(cols), indexing="ij")
    stored = value(k, j, i)
    series_uid = series_uid or uid(5, n)
    ds = Dataset()
    meta = FileMetaDataset()
    meta.FileMetaInformationVersion = b"\x00\x01"
    meta.MediaStorageSOPClassUID = ENHANCED_CT_STORAGE
    meta.MediaStorageSOPInstanceUID = uid(6, n)
    meta.TransferSyntaxUID = EXPLICIT_LE
    meta.ImplementationClassUID = uid(0)
    ds.file_meta = meta
    ds.SOPClassUID = ENHANCED_CT_STORAGE
    ds.SOPInstanceUID = uid(6, n)
    ds.PatientID = "SERIES-1"
    ds.StudyInstanceUID = uid(1)
    ds.SeriesInstanceUID = series_uid
    ds.Modality = "CT"
    ds.InstanceNumber = 1
    ds.FrameOfReferenceUID = uid(2)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = n
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    shared = Dataset()
    pm = Dataset()
    pm.PixelSpacing = [_fmt(v) for v in pixel_spacing]
    pm.SliceThickness = "1"
    shared.PixelMeasuresSequence = DicomSequence([pm])
    if orientations is None:
        po = Dataset()
        po.ImageOrientationPatient = [_fmt(v) for v in (*row, *col)]
        shared.PlaneOrientationSequence = DicomSequence([po])
    slopes, inters = [], []
    if not per_frame_rescale:
        pvt = Dataset()
        pvt.RescaleSlope = _fmt(slope)
        pvt.RescaleIntercept = _fmt(intercept)
        pvt.RescaleType = "HU"
        shared.PixelValueTransformationSequence = DicomSequence([pvt])
    ds.SharedFunctionalGroupsSequence = DicomSequence([shared])
    frames = []
    for f, kk in enumerate(order):
        item = Dataset()
        pp = Dataset()
        pp.ImagePositionPatient = [_fmt(v) for v in positions[kk]]
        item.PlanePositionSequence = DicomSequence([pp])
        if orientations is not None:
            po = Dataset()
            po.ImageOrientationPatient = [_fmt(v) for v in orientations[kk]]
            item.PlaneOrientationSequence = DicomSequence([po])
        if per_frame_rescale:
            pvt = Dataset()
            pvt.RescaleSlope = _fmt(1.0 + 0.5 * (kk % 2))
            pvt.RescaleIntercept = _fmt(-1000.0 - kk)
            item.PixelValueTransformationSequence = DicomSequence([pvt])
        fc = Dataset()
        fc.InStackPositionNumber = kk + 1
        fc.StackID = "1"
        item.FrameContentSequence = DicomSequence([fc])
        frames.append(item)
    ds.PerFrameFunctionalGroupsSequence = DicomSequence(frames)
    ds.PixelData = np.ascontiguousarray(stored[order].astype("<u2")).tobytes()
    for kk in range(n):
        slopes.append(1.0 + 0.5 * (kk % 2) if per_frame_rescale else slope)
        inters.append(-1000.0 - kk if per_frame_rescale else intercept)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    dcmwrite(path, ds)
    return Series(folder=os.path.dirname(path), files=[path], stored=stored, positions=positions,
                  row=row, col=col, pixel_spacing=tuple(pixel_spacing), series_uid=series_uid,
                  slopes=slopes, intercepts=inters)


def write_big(folder: str, n: int = 300, size: int = 512, compress: str | None = None) -> Series:
    """A benchmark-like series: ``n`` slices of ``size`` x ``size`` int16 CT."""
    rng = np.random.default_rng(0)
    base = rng.integers(-1024, 2000, size=(size, size), dtype=np.int16)
    pix = np.empty((n, size, size), dtype=np.int16)
    for k in range(n):
        pix[k] = np.roll(base, k, axis=1)

    def extra(k: int, ds: Dataset) -> None:
        ds.ConvolutionKernel = "B30f"
        ds.KVP = "120"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    return write_series(folder, n=n, rows=size, cols=size, pixels=pix, signed=True,
                        bits_stored=16, spacing=1.25, pixel_spacing=(0.7, 0.7),
                        compress=compress, extra=extra, origin=(-179.3, -179.3, -50.0))
