"""Deterministic generator for the dcmfast benchmark data set.

Writes three DICOM files (Explicit VR Little Endian) into a cache folder:

``ct_slice.dcm``
    A 512x512 signed 16-bit CT slice (~0.5 MB) with ~140 realistic header
    elements: patient / study / series / equipment / image plane / pixel
    modules, short sequences (ReferencedImageSequence, SourceImageSequence,
    ProcedureCodeSequence, ...), two private blocks, DS/IS multi-values, PN,
    dates and times, UIDs.  The pixels are a smooth concentric-ring phantom
    with ``RescaleIntercept = -1024``.

``seg_defined.dcm`` / ``seg_undefined.dcm``
    A Segmentation (SegmentationStorage) of 12,000 binary 512x512 frames
    (24 segments x 500 slices, BitsAllocated 1, ~393 MB of packed bits) whose
    PerFrameFunctionalGroupsSequence holds 12,000 items with the nested
    sequences of a real SEG (DerivationImageSequence -> SourceImageSequence ->
    PurposeOfReferenceCodeSequence, FrameContentSequence,
    PlanePositionSequence, SegmentIdentificationSequence).  Both files carry
    exactly the same content; ``seg_defined.dcm`` uses defined lengths for
    every sequence and item (as pydicom writes by default) and
    ``seg_undefined.dcm`` uses undefined lengths with delimitation items
    everywhere (as DCMTK-based writers do, cf. pydicom issue #1728).

Everything is deterministic: fixed seeds, UIDs derived from fixed names
(``2.25.<hash>``), no timestamps, fixed implementation UID/version in the
file meta, so every run produces the same bytes.  A file that already exists
with the right content hash is not rewritten.

Usage::

    python benchmarks/gen_data.py [--out DIR] [--force] [--only NAME ...]

The folder defaults to ``benchmarks/.data/`` and can be overridden with the
environment variable ``DCMFAST_BENCH_DATA`` (the ``--out`` option wins).
``conftest.py`` calls :func:`ensure_data`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydicom import dcmwrite
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

__all__ = [
    "CT_EXPECTED",
    "DATA_FILES",
    "SEG_EXPECTED",
    "data_dir",
    "ensure_data",
    "generate",
    "seg_frame_position",
]

#: Bump whenever the generated content changes on purpose; it invalidates
#: the manifest so cached files are regenerated.
GENERATOR_VERSION = 1

#: Names of the generated files (keys of :func:`ensure_data`'s result are
#: these names without the ``.dcm`` suffix).
DATA_FILES = ("ct_slice.dcm", "seg_defined.dcm", "seg_undefined.dcm")

#: SHA-256 of each file as produced with pydicom 3.0.2 / numpy 2.x.  Used
#: to validate a cached file without a manifest and to detect a
#: non-deterministic (or pydicom-version-dependent) output after generation.
EXPECTED_SHA256: dict[str, str] = {
    "ct_slice.dcm": "53c32c1c615bf8af7a1bc17dfc730b96a4009d6dea6f184efd1615a1aeb62300",
    "seg_defined.dcm": "af67b614f8ead30a72ed73180d129dc4f9d2f269db3442ce71a70d63e2e52874",
    "seg_undefined.dcm": "7b98ac398ed79d75cd2c1d9f8ae050e2e60464cd4015e82b0729ecfa4f3bc325",
}

MANIFEST = "manifest.json"
_DEFAULT_DIR = Path(__file__).resolve().parent / ".data"

# Fixed file-meta identification, so pydicom does not insert its own
# (version dependent) implementation UID / version name.
_IMPL_CLASS_UID = "2.25.253474598212327356318411233120950406731"
_IMPL_VERSION = "DCMFAST_BENCH_1"

_CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
_SEG_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"

# --- Segmentation geometry -------------------------------------------------
SEG_SEGMENTS = 24
SEG_SLICES = 500
SEG_FRAMES = SEG_SEGMENTS * SEG_SLICES  # 12,000
SEG_ROWS = SEG_COLS = 512
SEG_FRAME_BYTES = SEG_ROWS * SEG_COLS // 8  # 32,768 (frames are byte aligned)
SEG_PIXEL_BYTES = SEG_FRAMES * SEG_FRAME_BYTES  # 393,216,000
_SEG_ORIGIN_XY = ("-250.000", "-250.000")
_SEG_Z0 = -1000.0
_SEG_SPACING = 1.25


def _uid(name: str) -> str:
    """Return a deterministic UID (``2.25.<int>``) derived from *name*."""
    digest = hashlib.sha256(f"dcmfast-bench:{name}".encode()).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


def seg_frame_position(frame: int) -> list[str]:
    """ImagePositionPatient (as DS strings) of 0-based *frame* of the SEG.

    Frames are ordered segment-major: frame ``i`` is slice ``i % 500`` of
    segment ``i // 500 + 1``.
    """
    z = _SEG_Z0 + (frame % SEG_SLICES) * _SEG_SPACING
    return [_SEG_ORIGIN_XY[0], _SEG_ORIGIN_XY[1], f"{z:.3f}"]


#: Known values for the "assert before you time" checks on ``ct_slice.dcm``.
CT_EXPECTED = {
    "PatientName": "Doe^Jane^Q^Dr^PhD",
    "PatientID": "DCMFAST-000123",
    "Rows": 512,
    "Columns": 512,
    "SliceThickness": 1.25,
    "ImagePositionPatient": [-249.51171875, -407.51171875, -161.5],
    "RescaleIntercept": -1024.0,
    "PixelDataLength": 512 * 512 * 2,
    "SOPInstanceUID": _uid("ct/instance"),
}

#: Known values for the "assert before you time" checks on the SEG files.
SEG_EXPECTED = {
    "PatientName": "Doe^Jane^Q^Dr^PhD",
    "Rows": SEG_ROWS,
    "Columns": SEG_COLS,
    "NumberOfFrames": SEG_FRAMES,
    "NumberOfItems": SEG_FRAMES,
    "NumberOfSegments": SEG_SEGMENTS,
    "PixelDataLength": SEG_PIXEL_BYTES,
    # ImagePositionPatient of the 12,000th (last) frame.
    "LastImagePositionPatient": [float(v) for v in seg_frame_position(SEG_FRAMES - 1)],
    "FirstImagePositionPatient": [float(v) for v in seg_frame_position(0)],
    # Sum of all z coordinates: a cheap checksum of the full position list.
    "SumZ": sum(float(seg_frame_position(i)[2]) for i in range(SEG_FRAMES)),
}


# ---------------------------------------------------------------------------
# small dataset helpers
# ---------------------------------------------------------------------------
def _code(value: str, scheme: str, meaning: str) -> Dataset:
    """Return a code sequence item."""
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def _seq(*items: Dataset) -> Sequence:
    """Return a pydicom Sequence of *items*."""
    return Sequence(list(items))


def _file_meta(sop_class: str, sop_instance: str) -> FileMetaDataset:
    """Return File Meta Information with fixed implementation identifiers."""
    meta = FileMetaDataset()
    meta.FileMetaInformationVersion = b"\x00\x01"
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = _IMPL_CLASS_UID
    meta.ImplementationVersionName = _IMPL_VERSION
    meta.SourceApplicationEntityTitle = "DCMFAST_BENCH"
    return meta


def _patient_study(ds: Dataset) -> None:
    """Fill the Patient and General Study modules shared by all files."""
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName = CT_EXPECTED["PatientName"]
    ds.PatientID = CT_EXPECTED["PatientID"]
    ds.IssuerOfPatientID = "DCMFAST HOSPITAL"
    ds.PatientBirthDate = "19580923"
    ds.PatientSex = "F"
    ds.PatientAge = "066Y"
    ds.PatientSize = "1.68"
    ds.PatientWeight = "71.5"
    ds.OtherPatientIDs = ["OPID-1", "OPID-2"]
    ds.EthnicGroup = "Unknown"
    ds.PatientComments = "Synthetic patient for the dcmfast benchmark suite."
    ds.StudyInstanceUID = _uid("study")
    ds.StudyDate = "20240115"
    ds.StudyTime = "093012.123456"
    ds.ReferringPhysicianName = "Smith^John^^Dr"
    ds.StudyID = "S-4711"
    ds.AccessionNumber = "ACC2024011542"
    ds.StudyDescription = "CT CHEST ABDOMEN PELVIS W CONTRAST"
    ds.PhysiciansOfRecord = ["Brown^Alice", "Green^Bob"]
    ds.NameOfPhysiciansReadingStudy = "Miller^Carol"
    ds.AdmittingDiagnosesDescription = "Follow-up"
    ds.ProcedureCodeSequence = _seq(
        _code("CTCAP", "L", "CT Chest Abdomen Pelvis with contrast")
    )


def _equipment(ds: Dataset) -> None:
    """Fill the General / Enhanced General Equipment module."""
    ds.Manufacturer = "DCMFAST Medical Systems"
    ds.InstitutionName = "General Hospital of Synthetic Data"
    ds.InstitutionAddress = "1 Benchmark Road, Testtown"
    ds.StationName = "CTSTATION01"
    ds.InstitutionalDepartmentName = "Radiology"
    ds.ManufacturerModelName = "FastScan 128"
    ds.DeviceSerialNumber = "SN-0001234"
    ds.SoftwareVersions = ["FS_2.7.1", "RECON_5.0.3"]
    ds.DateOfLastCalibration = "20240101"
    ds.TimeOfLastCalibration = "070000"


# ---------------------------------------------------------------------------
# CT slice
# ---------------------------------------------------------------------------
def _ct_pixels() -> np.ndarray:
    """Return a smooth concentric-ring phantom as stored int16 values.

    HU values (stored = HU + 1024): air outside the body, a water body with
    a gentle radial gradient, fat / lung / soft tissue rings, a bone ring
    and a contrast-filled centre; -2000 HU outside the reconstruction circle.
    """
    rng = np.random.default_rng(20240115)
    yy, xx = np.mgrid[0:512, 0:512].astype(np.float64)
    r = np.hypot(yy - 255.5, (xx - 255.5) * 1.15)
    hu = np.full((512, 512), -1000.0)
    hu[r < 230] = 40.0 - 0.08 * r[r < 230]  # soft tissue with slow gradient
    hu[(r >= 200) & (r < 215)] = -100.0  # subcutaneous fat
    hu[(r >= 120) & (r < 170)] = -820.0 + 0.5 * (r[(r >= 120) & (r < 170)] - 120)
    hu[(r >= 95) & (r < 105)] = 1200.0  # bone ring
    hu[r < 30] = 300.0  # contrast
    hu += rng.normal(0.0, 6.0, size=hu.shape)  # mild, seeded noise
    fov = np.hypot(yy - 255.5, xx - 255.5) >= 256
    hu[fov] = -2000.0
    return np.round(hu + 1024.0).astype("<i2")


def build_ct() -> Dataset:
    """Return the CT slice dataset (with PixelData)."""
    sop_uid = CT_EXPECTED["SOPInstanceUID"]
    ds = Dataset()
    ds.file_meta = _file_meta(_CT_IMAGE_STORAGE, sop_uid)

    # SOP common
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL", "CT_SOM5 SPI"]
    ds.InstanceCreationDate = "20240115"
    ds.InstanceCreationTime = "094512.000000"
    ds.InstanceCreatorUID = _uid("creator")
    ds.SOPClassUID = _CT_IMAGE_STORAGE
    ds.SOPInstanceUID = sop_uid
    ds.TimezoneOffsetFromUTC = "+0100"
    _patient_study(ds)
    # General series
    ds.SeriesDate = "20240115"
    ds.SeriesTime = "093530.000000"
    ds.AcquisitionDate = "20240115"
    ds.AcquisitionTime = "093545.250000"
    ds.ContentDate = "20240115"
    ds.ContentTime = "093545.250000"
    ds.AcquisitionDateTime = "20240115093545.250000"
    ds.Modality = "CT"
    ds.ConversionType = ""
    ds.SeriesDescription = "Thorax 1.25mm B30f"
    ds.OperatorsName = ["Tech^Terry", "Tech^Tina"]
    ds.PerformingPhysicianName = "Jones^Peter"
    ds.ProtocolName = "CAP_CONTRAST_V3"
    ds.BodyPartExamined = "CHEST"
    ds.PatientPosition = "HFS"
    ds.SeriesInstanceUID = _uid("ct/series")
    ds.SeriesNumber = "3"
    ds.PerformedProcedureStepStartDate = "20240115"
    ds.PerformedProcedureStepStartTime = "093012"
    ds.PerformedProcedureStepID = "PPS-77"
    ds.PerformedProcedureStepDescription = "CT CAP"
    ds.RequestAttributesSequence = _seq(Dataset())
    ds.RequestAttributesSequence[0].RequestedProcedureID = "RP-0042"
    ds.RequestAttributesSequence[0].ScheduledProcedureStepID = "SPS-0042"
    ds.RequestAttributesSequence[0].ScheduledProcedureStepDescription = "CT CAP"
    _equipment(ds)
    ds.SpatialResolution = "0.35"
    # Frame of reference
    ds.FrameOfReferenceUID = _uid("frame-of-reference")
    ds.PositionReferenceIndicator = "SN"
    # General image
    ds.InstanceNumber = "137"
    ds.PatientOrientation = ["L", "P"]
    ds.AcquisitionNumber = "2"
    ds.ImageComments = "Synthetic phantom slice"
    ds.LossyImageCompression = "00"
    ds.BurnedInAnnotation = "NO"
    ds.DerivationDescription = ""
    ref1, ref2 = Dataset(), Dataset()
    ref1.ReferencedSOPClassUID = _CT_IMAGE_STORAGE
    ref1.ReferencedSOPInstanceUID = _uid("ct/ref/136")
    ref2.ReferencedSOPClassUID = _CT_IMAGE_STORAGE
    ref2.ReferencedSOPInstanceUID = _uid("ct/ref/138")
    ds.ReferencedImageSequence = _seq(ref1, ref2)
    src = Dataset()
    src.ReferencedSOPClassUID = _CT_IMAGE_STORAGE
    src.ReferencedSOPInstanceUID = _uid("ct/localizer")
    src.PurposeOfReferenceCodeSequence = _seq(
        _code("121311", "DCM", "Localizer")
    )
    ds.SourceImageSequence = _seq(src)
    ds.IrradiationEventUID = _uid("irradiation-event")
    # CT image
    ds.ScanOptions = "HELICAL_CT"
    ds.SliceThickness = "1.25"
    ds.KVP = "120"
    ds.DataCollectionDiameter = "500"
    ds.ReconstructionDiameter = "360"
    ds.DistanceSourceToDetector = "1085.6"
    ds.DistanceSourceToPatient = "595"
    ds.GantryDetectorTilt = "0"
    ds.TableHeight = "142.5"
    ds.RotationDirection = "CW"
    ds.ExposureTime = "500"
    ds.XRayTubeCurrent = "187"
    ds.Exposure = "94"
    ds.FilterType = "BODY FILTER"
    ds.GeneratorPower = "22"
    ds.FocalSpots = ["0.7", "1.2"]
    ds.ConvolutionKernel = ["B30f", "smooth"]
    ds.RevolutionTime = 0.5
    ds.SingleCollimationWidth = 0.625
    ds.TotalCollimationWidth = 40.0
    ds.TableSpeed = 78.75
    ds.TableFeedPerRotation = 39.375
    ds.SpiralPitchFactor = 0.984375
    ds.DataCollectionCenterPatient = [0.0, -157.0, -161.5]
    ds.ReconstructionTargetCenterPatient = [0.0, -227.0, -161.5]
    ds.ExposureModulationType = "XY_Z"
    ds.CTDIvol = 8.42
    ds.ContrastBolusAgent = "IOPAMIDOL 370"
    ds.ContrastBolusRoute = "IV"
    ds.ContrastBolusVolume = "90"
    ds.ContrastBolusStartTime = "093400"
    # Image plane
    ds.ImagePositionPatient = [str(v) for v in CT_EXPECTED["ImagePositionPatient"]]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.SliceLocation = "-161.5"
    ds.PixelSpacing = ["0.9765625", "0.9765625"]
    # Image pixel
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 512
    ds.Columns = 512
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    pixels = _ct_pixels()
    ds.add_new(0x00280106, "SS", int(pixels.min()))  # SmallestImagePixelValue
    ds.add_new(0x00280107, "SS", int(pixels.max()))  # LargestImagePixelValue
    ds.add_new(0x00280120, "SS", -976)  # PixelPaddingValue (stored -2000 HU)
    # VOI LUT / modality LUT
    ds.WindowCenter = ["40", "-600"]
    ds.WindowWidth = ["400", "1500"]
    ds.WindowCenterWidthExplanation = ["WINDOW1", "WINDOW2"]
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    # Private blocks
    blk = ds.private_block(0x0009, "DCMFAST BENCH", create=True)
    blk.add_new(0x01, "LO", "dcmfast synthetic")
    blk.add_new(0x02, "DS", ["1.5", "2.25", "-3.125"])
    blk.add_new(0x03, "SL", -42)
    blk.add_new(0x04, "OB", bytes(range(32)))
    blk.add_new(0x05, "US", [1, 2, 3, 4])
    gems = ds.private_block(0x0043, "GEMS_PARM_01", create=True)
    gems.add_new(0x10, "US", 0)
    gems.add_new(0x11, "US", 1)
    gems.add_new(0x27, "SH", "/0.98:1")
    gems.add_new(0x2B, "SS", [0, 0, 1, 0])
    gems.add_new(0x31, "DS", ["-0.0", "-227.0"])
    ds.PixelData = pixels.tobytes()
    return ds


def write_ct(path: Path) -> None:
    """Write ``ct_slice.dcm`` to *path*."""
    dcmwrite(path, build_ct(), enforce_file_format=True)


# ---------------------------------------------------------------------------
# Segmentation
# ---------------------------------------------------------------------------
def _segment_spheres() -> list[tuple[float, float, float, float]]:
    """Return one sphere (cx, cy, cz_slice, radius_px) per segment (seeded)."""
    rng = np.random.default_rng(1728)
    spheres = []
    for _ in range(SEG_SEGMENTS):
        cx, cy = rng.uniform(120, 392, size=2)
        cz = rng.uniform(60, SEG_SLICES - 60)
        radius = rng.uniform(20, 55)
        spheres.append((float(cx), float(cy), float(cz), float(radius)))
    return spheres


def _seg_frame_bytes() -> Callable[[int], bytes]:
    """Return ``frame -> packed bytes`` for the SEG pixel data.

    Each segment is a sphere; frame ``(segment, slice)`` holds its circular
    cross-section (plus a thin horizontal marker line every 50 slices), bit
    packed little-endian-bit-first as DICOM requires for BitsAllocated 1.
    Identical frames are computed once (cached by radius).
    """
    spheres = _segment_spheres()
    yy, xx = np.mgrid[0:SEG_ROWS, 0:SEG_COLS]
    zero = bytes(SEG_FRAME_BYTES)
    cache: dict[tuple[int, int, bool], bytes] = {}

    def frame_bytes(frame: int) -> bytes:
        seg, sl = divmod(frame, SEG_SLICES)
        cx, cy, cz, radius = spheres[seg]
        d = abs(sl - cz)
        r = int(np.sqrt(radius * radius - d * d)) if d < radius else 0
        marker = sl % 50 == 0
        if r == 0 and not marker:
            return zero
        key = (seg, r, marker)
        if key not in cache:
            mask = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
            if marker:
                mask[seg * 20 + 8, 16:496] = True
            cache[key] = np.packbits(mask, axis=None, bitorder="little").tobytes()
        return cache[key]

    return frame_bytes


def _per_frame_item(frame: int) -> Dataset:
    """Return the PerFrameFunctionalGroupsSequence item of 0-based *frame*."""
    seg, sl = divmod(frame, SEG_SLICES)

    purpose = _code("121322", "DCM", "Source image for image processing operation")
    source = Dataset()
    source.ReferencedSOPClassUID = _CT_IMAGE_STORAGE
    source.ReferencedSOPInstanceUID = _uid(f"seg/source/{sl}")
    source.PurposeOfReferenceCodeSequence = _seq(purpose)
    derivation = Dataset()
    derivation.DerivationCodeSequence = _seq(_code("113076", "DCM", "Segmentation"))
    derivation.SourceImageSequence = _seq(source)

    content = Dataset()
    content.DimensionIndexValues = [seg + 1, sl + 1]
    position = Dataset()
    position.ImagePositionPatient = seg_frame_position(frame)
    ident = Dataset()
    ident.ReferencedSegmentNumber = seg + 1

    item = Dataset()
    item.DerivationImageSequence = _seq(derivation)
    item.FrameContentSequence = _seq(content)
    item.PlanePositionSequence = _seq(position)
    item.SegmentIdentificationSequence = _seq(ident)
    return item


def build_seg_header() -> Dataset:
    """Return the SEG dataset without PixelData (appended when writing)."""
    sop_uid = _uid("seg/instance")
    ds = Dataset()
    ds.file_meta = _file_meta(_SEG_STORAGE, sop_uid)
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.InstanceCreationDate = "20240116"
    ds.InstanceCreationTime = "101500.000000"
    ds.SOPClassUID = _SEG_STORAGE
    ds.SOPInstanceUID = sop_uid
    _patient_study(ds)
    ds.SeriesDate = "20240116"
    ds.SeriesTime = "101500.000000"
    ds.ContentDate = "20240116"
    ds.ContentTime = "101500.000000"
    ds.Modality = "SEG"
    ds.SeriesDescription = "Organ segmentation (synthetic)"
    ds.SeriesInstanceUID = _uid("seg/series")
    ds.SeriesNumber = "300"
    _equipment(ds)
    ds.FrameOfReferenceUID = _uid("frame-of-reference")
    ds.PositionReferenceIndicator = ""
    ds.InstanceNumber = "1"
    ds.ContentLabel = "SEGMENTATION"
    ds.ContentDescription = "Synthetic 24-segment segmentation"
    ds.ContentCreatorName = "Algorithm^Bench"
    ds.LossyImageCompression = "00"
    ds.SegmentationType = "BINARY"
    ds.NumberOfFrames = str(SEG_FRAMES)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = SEG_ROWS
    ds.Columns = SEG_COLS
    ds.BitsAllocated = 1
    ds.BitsStored = 1
    ds.HighBit = 0
    ds.PixelRepresentation = 0

    org = Dataset()
    org.DimensionOrganizationUID = _uid("seg/dimension-organization")
    ds.DimensionOrganizationSequence = _seq(org)
    ds.DimensionOrganizationType = "3D"
    dim_seg, dim_pos = Dataset(), Dataset()
    dim_seg.DimensionOrganizationUID = org.DimensionOrganizationUID
    dim_seg.DimensionIndexPointer = 0x0062000B  # ReferencedSegmentNumber
    dim_seg.FunctionalGroupPointer = 0x0062000A  # SegmentIdentificationSequence
    dim_seg.DimensionDescriptionLabel = "ReferencedSegmentNumber"
    dim_pos.DimensionOrganizationUID = org.DimensionOrganizationUID
    dim_pos.DimensionIndexPointer = 0x00200032  # ImagePositionPatient
    dim_pos.FunctionalGroupPointer = 0x00209113  # PlanePositionSequence
    dim_pos.DimensionDescriptionLabel = "ImagePositionPatient"
    ds.DimensionIndexSequence = _seq(dim_seg, dim_pos)

    segments = []
    spheres = _segment_spheres()
    for n in range(1, SEG_SEGMENTS + 1):
        item = Dataset()
        item.SegmentNumber = n
        item.SegmentLabel = f"Structure {n:02d}"
        item.SegmentAlgorithmType = "AUTOMATIC"
        item.SegmentAlgorithmName = "SyntheticSpheres"
        item.SegmentedPropertyCategoryCodeSequence = _seq(
            _code("123037004", "SCT", "Anatomical Structure")
        )
        item.SegmentedPropertyTypeCodeSequence = _seq(
            _code(f"{10200004 + n}", "SCT", f"Synthetic organ {n:02d}")
        )
        item.RecommendedDisplayCIELabValue = [
            (n * 2731) % 65536,
            (n * 7919) % 65536,
            int(spheres[n - 1][3] * 1000) % 65536,
        ]
        segments.append(item)
    ds.SegmentSequence = Sequence(segments)

    shared = Dataset()
    orient = Dataset()
    orient.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    measures = Dataset()
    measures.PixelSpacing = ["0.9765625", "0.9765625"]
    measures.SliceThickness = f"{_SEG_SPACING}"
    measures.SpacingBetweenSlices = f"{_SEG_SPACING}"
    shared.PlaneOrientationSequence = _seq(orient)
    shared.PixelMeasuresSequence = _seq(measures)
    ds.SharedFunctionalGroupsSequence = _seq(shared)

    ref_series = Dataset()
    ref_series.SeriesInstanceUID = _uid("seg/source-series")
    refs = []
    for sl in range(SEG_SLICES):
        ref = Dataset()
        ref.ReferencedSOPClassUID = _CT_IMAGE_STORAGE
        ref.ReferencedSOPInstanceUID = _uid(f"seg/source/{sl}")
        refs.append(ref)
    ref_series.ReferencedInstanceSequence = Sequence(refs)
    ds.ReferencedSeriesSequence = _seq(ref_series)

    ds.PerFrameFunctionalGroupsSequence = Sequence(
        [_per_frame_item(i) for i in range(SEG_FRAMES)]
    )
    return ds


def _set_undefined_lengths(ds: Dataset, undefined: bool) -> None:
    """Recursively mark every sequence and item of *ds* (un)defined length."""
    for elem in ds:
        if elem.VR == "SQ":
            elem.is_undefined_length = undefined
            for item in elem.value:
                item.is_undefined_length_sequence_item = undefined
                _set_undefined_lengths(item, undefined)


def write_seg(path: Path, undefined: bool, header: Dataset | None = None) -> None:
    """Write a SEG file to *path* (undefined-length sequences if *undefined*).

    The header is written with pydicom; the 393 MB PixelData element is then
    appended frame by frame (OB, defined length) so memory stays small.
    """
    ds = header if header is not None else build_seg_header()
    _set_undefined_lengths(ds, undefined)
    frame_bytes = _seg_frame_bytes()
    with open(path, "wb") as fp:
        dcmwrite(fp, ds, enforce_file_format=True)
        # (7FE0,0010) OB, 2 reserved bytes, 32-bit length.
        fp.write(b"\xe0\x7f\x10\x00OB\x00\x00")
        fp.write(SEG_PIXEL_BYTES.to_bytes(4, "little"))
        chunk: list[bytes] = []
        for frame in range(SEG_FRAMES):
            chunk.append(frame_bytes(frame))
            if len(chunk) == 256:
                fp.write(b"".join(chunk))
                chunk.clear()
        fp.write(b"".join(chunk))


# ---------------------------------------------------------------------------
# caching
# ---------------------------------------------------------------------------
def data_dir(out: str | os.PathLike | None = None) -> Path:
    """Return the cache folder: *out*, else ``$DCMFAST_BENCH_DATA``, else
    ``benchmarks/.data``."""
    if out is not None:
        return Path(out)
    env = os.environ.get("DCMFAST_BENCH_DATA")
    return Path(env) if env else _DEFAULT_DIR


def _sha256(path: Path) -> str:
    """Return the hex SHA-256 of the file at *path*."""
    h = hashlib.sha256()
    with open(path, "rb") as fp:
        while block := fp.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def _load_manifest(folder: Path) -> dict:
    """Return the manifest of *folder* (empty if missing, stale or broken)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    if manifest.get("generator_version") != GENERATOR_VERSION:
        return {}
    return manifest.get("files", {})


def _save_manifest(folder: Path, files: dict) -> None:
    """Write the manifest of *folder*."""
    text = json.dumps(
        {"generator_version": GENERATOR_VERSION, "files": files}, indent=2, sort_keys=True
    )
    (folder / MANIFEST).write_text(text + "\n")


def _is_valid(path: Path, manifest: dict) -> bool:
    """True if *path* exists and its hash is the expected or recorded one."""
    if not path.is_file():
        return False
    known = {EXPECTED_SHA256.get(path.name), manifest.get(path.name, {}).get("sha256")}
    known.discard(None)
    known.discard("")
    return bool(known) and _sha256(path) in known


def generate(
    out: str | os.PathLike | None = None,
    *,
    force: bool = False,
    only: tuple[str, ...] | None = None,
    verbose: bool = False,
) -> dict[str, Path]:
    """Generate the missing (or stale) data files; return name -> path.

    The result maps ``"ct_slice"``, ``"seg_defined"`` and ``"seg_undefined"``
    to absolute paths.  Files whose content hash matches are skipped unless
    *force* is true.  *only* restricts generation to the given file stems.
    """
    folder = data_dir(out).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    manifest = _load_manifest(folder)
    paths = {name.removesuffix(".dcm"): folder / name for name in DATA_FILES}
    seg_header: Dataset | None = None

    for stem, path in paths.items():
        if only is not None and stem not in only:
            continue
        if not force and _is_valid(path, manifest):
            if verbose:
                print(f"{path.name}: up to date")
            continue
        tmp = path.with_name(path.name + ".tmp")
        t0 = time.perf_counter()
        try:
            if stem == "ct_slice":
                write_ct(tmp)
            else:
                if seg_header is None:  # build once, write both encodings
                    seg_header = build_seg_header()
                write_seg(tmp, undefined=(stem == "seg_undefined"), header=seg_header)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, path)
        elapsed = time.perf_counter() - t0
        digest = _sha256(path)
        manifest[path.name] = {"sha256": digest, "size": path.stat().st_size}
        _save_manifest(folder, manifest)
        expected = EXPECTED_SHA256.get(path.name)
        if expected and digest != expected:
            # Not a warning: pytest may be configured to turn warnings into errors.
            print(
                f"note: {path.name}: SHA-256 {digest} differs from the reference "
                f"{expected} (different pydicom/numpy version?); the file is "
                "still usable and recorded in the manifest.",
                file=sys.stderr,
            )
        if verbose:
            size = path.stat().st_size
            print(f"{path.name}: generated in {elapsed:.1f} s, {size:,} bytes, sha256 {digest}")
    return paths


def ensure_data() -> dict[str, Path]:
    """Make sure all benchmark files exist in :func:`data_dir`; return paths.

    Keys: ``"ct_slice"``, ``"seg_defined"``, ``"seg_undefined"``.
    """
    return generate()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="output folder (default: $DCMFAST_BENCH_DATA or benchmarks/.data)")
    parser.add_argument("--force", action="store_true", help="regenerate even if up to date")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=[n.removesuffix(".dcm") for n in DATA_FILES],
        help="generate only these files",
    )
    args = parser.parse_args(argv)
    paths = generate(args.out, force=args.force, only=tuple(args.only) if args.only else None, verbose=True)
    for stem, path in paths.items():
        print(f"{stem}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
