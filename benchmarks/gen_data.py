"""Deterministic generator for the dcmfast benchmark data set.

Writes these DICOM files into a cache folder (keys of :func:`ensure_data`
are the file names without ``.dcm``).  Header / parsing benchmarks
(``bench_read.py``), all Explicit VR Little Endian:

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

Pixel benchmarks (``bench_pixels.py``); the 1-bit segmentation case uses
``seg_defined.dcm`` above (BitsAllocated 1, 12,000 byte-aligned 512x512
frames packed contiguously: 393 MB in, 3.1 GB of uint8 out):

``ct_slice_be.dcm``
    ``ct_slice.dcm`` in Explicit VR Big Endian (same header, same pixel
    values, byte-swapped PixelData).
``ct_slice_rle.dcm``
    ``ct_slice.dcm`` in RLE Lossless (one fragment, basic offset table).
``ct_slice_bs12.dcm``
    The CT slice as BitsAllocated 16 / BitsStored 12 / HighBit 11 /
    PixelRepresentation 1, stored values in HU (RescaleIntercept 0), with
    seeded random garbage in the 4 unused high bits of every pixel: the
    correct value is the sign-extended low 12 bits
    (:func:`ct_bs12_pixels`).
``us_clip_rgb.dcm`` / ``us_clip_ybr_full.dcm`` / ``us_clip_ybr_full_422.dcm``
    An Ultrasound Multi-frame Image (cine loop) of 60 frames of 600x800,
    SamplesPerPixel 3, BitsAllocated 8, PlanarConfiguration 0, native:
    RGB (86.4 MB), YBR_FULL (86.4 MB, PS3.3 C.7.6.3.1.2 equations) and
    YBR_FULL_422 (57.6 MB: ``Y1 Y2 Cb Cr`` per pair of pixels, chroma of
    the pair averaged).  Image-like content (:func:`us_clip_rgb`): a speckled
    sector scan with a pulsating cavity, a colour-Doppler box, a grey bar,
    text blocks and a scrolling ECG trace.
``us_clip_rle.dcm``
    The RGB clip in RLE Lossless (one fragment per frame, basic offset table).
``ct_multiframe.dcm``
    Enhanced CT Image, 20 frames of 512x512 signed 16-bit (CT-like phantom
    varying along z, :func:`ct_volume`), native; the input of the two below.
``ct_multiframe_j2k.dcm``
    The same in JPEG 2000 Lossless (1.2.840.10008.1.2.4.90), encoded by
    pylibjpeg-openjpeg through pydicom's ``Dataset.compress``.
``ct_multiframe_jpegll.dcm``
    The same in JPEG Lossless SV1 (Process 14 SV1, 1.2.840.10008.1.2.4.70),
    encoded by DCMTK ``dcmcjpeg +e1 +un`` (skipped with a note when
    ``dcmcjpeg`` is not on PATH).

Every encapsulated file has one fragment per frame and a basic offset table.
The pixel files add ~290 MB and ~12 s of generation (2 cores) to the ~800 MB
and ~45 s of the SEG files; the ground truth of every pixel file is available
from this module (:func:`ct_pixels`, :func:`ct_bs12_pixels`,
:func:`us_clip_rgb`, :func:`ybr_full_from_rgb`, :func:`ct_volume`,
:func:`seg_frame_pixels`, :func:`seg_total_ones`).

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
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydicom import dcmwrite
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    RLELossless,
)

__all__ = [
    "CLIP_EXPECTED",
    "CT_EXPECTED",
    "DATA_FILES",
    "MF_EXPECTED",
    "SEG_EXPECTED",
    "ct_bs12_pixels",
    "ct_pixels",
    "ct_volume",
    "data_dir",
    "ensure_data",
    "generate",
    "seg_frame_pixels",
    "seg_frame_position",
    "seg_total_ones",
    "us_clip_rgb",
    "ybr_full_from_rgb",
]

#: Bump whenever the generated content changes on purpose; it invalidates
#: the manifest so cached files are regenerated.
GENERATOR_VERSION = 2

#: Names of the generated files (keys of :func:`ensure_data`'s result are
#: these names without the ``.dcm`` suffix), in generation order
#: (``ct_multiframe`` before the two files encoded from it).
DATA_FILES = (
    "ct_slice.dcm",
    "seg_defined.dcm",
    "seg_undefined.dcm",
    "ct_slice_be.dcm",
    "ct_slice_rle.dcm",
    "ct_slice_bs12.dcm",
    "us_clip_rgb.dcm",
    "us_clip_ybr_full.dcm",
    "us_clip_ybr_full_422.dcm",
    "us_clip_rle.dcm",
    "ct_multiframe.dcm",
    "ct_multiframe_j2k.dcm",
    "ct_multiframe_jpegll.dcm",
)

#: SHA-256 of each file as produced with pydicom 3.0.2 / numpy 2.x (and the
#: encoders noted below).  Used
#: to validate a cached file without a manifest and to detect a
#: non-deterministic (or pydicom-version-dependent) output after generation.
EXPECTED_SHA256: dict[str, str] = {
    "ct_slice.dcm": "53c32c1c615bf8af7a1bc17dfc730b96a4009d6dea6f184efd1615a1aeb62300",
    "seg_defined.dcm": "af67b614f8ead30a72ed73180d129dc4f9d2f269db3442ce71a70d63e2e52874",
    "seg_undefined.dcm": "7b98ac398ed79d75cd2c1d9f8ae050e2e60464cd4015e82b0729ecfa4f3bc325",
    "ct_slice_be.dcm": "cc426ba02806db047b554ac27e0aa27299a3dd614cb9be204ef7d36659030173",
    # RLE: pylibjpeg-rle 2.2.0; JPEG 2000: pylibjpeg-openjpeg 2.6.0 (openjpeg 2.5)
    "ct_slice_rle.dcm": "95b29aa011e7079294c4643404c28b571ff9196cadffc64365e379e7b689396f",
    "ct_slice_bs12.dcm": "5d8a48f8a7dcaa1364cc783c251cbeb103faab078a58f3333731e133e7d34be2",
    "us_clip_rgb.dcm": "cdd6eda35bae96e924bcc3e3cad7999820388695d5926191e86c6a17e2115803",
    "us_clip_ybr_full.dcm": "00bce925c301012e05d2d5c69afe56748248fe7d6916611ba65ce766a42fe31f",
    "us_clip_ybr_full_422.dcm": "4e7c08d2216674d377f89c9fae90955daf04d68b34d86f35829ffbbda85b2505",
    "us_clip_rle.dcm": "12c114a212ed64ce94f2c5c85e56c93cc870e84ec4c20fabad653d43bfd5e94c",
    "ct_multiframe.dcm": "b22f8a08a6e047770d7e95250059074df9c573a52cd89cfcfc09035682932827",
    "ct_multiframe_j2k.dcm": "89c28b050d299ad7fd02283593fe4716ed87f8711a93d9613d68993953cc4850",
    # DCMTK 3.6.7 dcmcjpeg (its implementation UID / version name are in the meta)
    "ct_multiframe_jpegll.dcm": "3d7260c8b697ae37fb75365741bc328ba2b387dd13303acf192e5b281dd570d6",
}

MANIFEST = "manifest.json"
_DEFAULT_DIR = Path(__file__).resolve().parent / ".data"

# Fixed file-meta identification, so pydicom does not insert its own
# (version dependent) implementation UID / version name.
_IMPL_CLASS_UID = "2.25.253474598212327356318411233120950406731"
_IMPL_VERSION = "DCMFAST_BENCH_1"

_CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
_ENHANCED_CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2.1"
_US_MULTIFRAME_STORAGE = "1.2.840.10008.5.1.4.1.1.3.1"
_SEG_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"

# --- Ultrasound clip geometry ----------------------------------------------
CLIP_FRAMES = 60
CLIP_ROWS = 600
CLIP_COLS = 800

# --- Multi-frame CT geometry -----------------------------------------------
MF_FRAMES = 20
MF_ROWS = MF_COLS = 512
_MF_Z0 = -150.0
_MF_SPACING = 2.5

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
    # Number of 1 pixels in all 12,000 frames (= seg_total_ones()), a cheap
    # checksum of the 3.1 GB unpacked array.
    "Ones": 5_595_488,
}

#: Known values of the ultrasound clips (``us_clip_*.dcm``).
CLIP_EXPECTED = {
    "NumberOfFrames": CLIP_FRAMES,
    "Rows": CLIP_ROWS,
    "Columns": CLIP_COLS,
    "SamplesPerPixel": 3,
    "Shape": (CLIP_FRAMES, CLIP_ROWS, CLIP_COLS, 3),
    "SOPInstanceUID": _uid("us/instance"),
}

#: Known values of the multi-frame CT (``ct_multiframe*.dcm``).
MF_EXPECTED = {
    "NumberOfFrames": MF_FRAMES,
    "Rows": MF_ROWS,
    "Columns": MF_COLS,
    "Shape": (MF_FRAMES, MF_ROWS, MF_COLS),
    "SOPInstanceUID": _uid("ct-mf/instance"),
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
# Ground truth for the pixel benchmarks
# ---------------------------------------------------------------------------
def ct_pixels() -> np.ndarray:
    """Stored values (int16, 512x512) of ``ct_slice``, ``ct_slice_be`` and
    ``ct_slice_rle``."""
    return _ct_pixels()


def _ct_bs12_words() -> tuple[np.ndarray, np.ndarray]:
    """Return (true int16 values, raw little-endian 16-bit words) of the
    BitsStored-12 slice.

    The true values are the CT phantom in HU (stored = HU, intercept 0,
    range -2000..~1230, inside 12-bit signed); each raw word holds the 12-bit
    two's complement value in bits 0-11 and 4 random (seeded) bits in 12-15.
    """
    hu = _ct_pixels().astype(np.int32) - 1024
    if hu.min() < -2048 or hu.max() > 2047:  # pragma: no cover - phantom is fixed
        raise AssertionError("CT phantom does not fit in 12 bits signed")
    rng = np.random.default_rng(4095)
    garbage = rng.integers(0, 16, size=hu.shape, dtype=np.uint16)
    raw = (hu & 0x0FFF).astype(np.uint16) | (garbage << np.uint16(12))
    return hu.astype(np.int16), raw.astype("<u2")


def ct_bs12_pixels() -> np.ndarray:
    """Correct pixel values (int16, 512x512) of ``ct_slice_bs12``: the
    sign-extended low 12 bits of each stored word."""
    return _ct_bs12_words()[0]


def phantom_hu(s: float, body: float, rng: np.random.Generator, grid=None,
               kidneys: bool = True) -> np.ndarray:
    """One 512x512 slice of the CT phantom in HU (float) at relative height
    *s* (0..1) with body radius *body*: fat / lung / bone rings, a spine, a
    contrast-filled vessel, kidneys in the lower half (if *kidneys*), seeded
    Gaussian noise from *rng*, -2000 HU outside the reconstruction circle.
    *grid*: ``np.mgrid[0:512, 0:512]`` as float64, to reuse between calls."""
    yy, xx = grid if grid is not None else np.mgrid[0:MF_ROWS, 0:MF_COLS].astype(np.float64)
    r = np.hypot(yy - 255.5, (xx - 255.5) * 1.15)
    fov = np.hypot(yy - 255.5, xx - 255.5) >= 256
    spine = np.hypot(yy - 395.0, xx - 255.5)
    hu = np.full((MF_ROWS, MF_COLS), -1000.0)
    inside = r < body
    hu[inside] = 40.0 - 0.08 * r[inside]
    hu[(r >= body - 30) & (r < body - 15)] = -100.0
    lung = (r >= 120 + 25 * s) & (r < 170)
    hu[lung] = -820.0 + 0.5 * (r[lung] - 120)
    hu[(r >= 95) & (r < 105)] = 1200.0 - 300.0 * s
    hu[spine < 26] = 700.0
    hu[spine < 18] = 250.0
    hu[np.hypot(yy - 230.0 - 20 * s, xx - 270.0) < 30 - 8 * s] = 300.0
    if kidneys and s > 0.5:
        for cx in (170.0, 341.0):
            kidney = ((yy - 330.0) / 38.0) ** 2 + ((xx - cx) / 24.0) ** 2 < (s - 0.5) * 2
            hu[kidney] = 160.0
    hu += rng.normal(0.0, 6.0, size=hu.shape)
    hu[fov] = -2000.0
    return hu


def _ct_volume_array() -> np.ndarray:
    """Return the multi-frame CT phantom (:func:`phantom_hu` narrowing along
    z), stored int16 (HU + 1024)."""
    rng = np.random.default_rng(20240116)
    grid = np.mgrid[0:MF_ROWS, 0:MF_COLS].astype(np.float64)
    vol = np.empty((MF_FRAMES, MF_ROWS, MF_COLS), "<i2")
    for k in range(MF_FRAMES):
        s = k / (MF_FRAMES - 1)  # 0 .. 1 along z
        vol[k] = np.round(phantom_hu(s, 232.0 - 12.0 * s, rng, grid) + 1024.0)
    return vol


@functools.lru_cache(maxsize=1)
def _ct_volume_cached() -> np.ndarray:
    vol = _ct_volume_array()
    vol.flags.writeable = False
    return vol


def ct_volume() -> np.ndarray:
    """Stored values (int16, 20x512x512, read-only) of ``ct_multiframe*``."""
    return _ct_volume_cached()


def _us_clip_array() -> np.ndarray:
    """Return the synthetic echo clip as uint8 RGB (60, 600, 800, 3).

    Sector scan (fan, apex above the image) with depth attenuation, layered
    texture and multiplicative Rayleigh speckle; a cavity pulsating at one
    beat per 30 frames with a bright wall and a moving valve line; a
    colour-Doppler box (red / blue flow); a yellow box outline, a vertical
    grey bar, white "text" blocks and a scrolling green ECG trace.  Black
    outside the sector, so RLE has long runs there and none in the speckle.
    """
    rng = np.random.default_rng(31415)
    yy, xx = np.mgrid[0:CLIP_ROWS, 0:CLIP_COLS].astype(np.float32)
    depth = np.hypot(yy + 30.0, xx - 400.0)
    angle = np.degrees(np.arctan2(xx - 400.0, yy + 30.0))
    sector = (np.abs(angle) < 38.0) & (depth > 70.0) & (depth < 575.0)
    base = 150.0 * np.exp(-(depth - 70.0) / 900.0) + 25.0 * np.sin(depth / 23.0) * np.exp(
        -depth / 300.0
    )
    grey_bar = np.linspace(255, 0, 400).astype(np.uint8)
    xs = np.arange(40, 760)
    yellow = np.array((230, 230, 40), np.uint8)
    clip = np.zeros((CLIP_FRAMES, CLIP_ROWS, CLIP_COLS, 3), np.uint8)
    for f in range(CLIP_FRAMES):
        t = 2.0 * np.pi * f / 30.0
        img = base.copy()
        ry, rx = 70.0 + 12.0 * np.sin(t), 95.0 + 15.0 * np.sin(t)
        e = ((yy - 300.0) / ry) ** 2 + ((xx - 400.0) / rx) ** 2
        cavity = e < 1
        img[cavity] *= 0.15
        img[(e >= 1) & (e < 1.35)] += 90.0
        valve_y = 300.0 + 40.0 * np.sin(t + 1.0)
        img[(np.abs(yy - valve_y - 0.3 * (xx - 400.0)) < 3) & cavity] = 210.0
        img *= rng.rayleigh(0.8, size=img.shape).astype(np.float32)
        grey = np.where(sector, np.clip(img, 0, 255), 0).astype(np.uint8)
        frame = clip[f]
        frame[...] = grey[..., None]
        flow = np.sin(t) * np.exp(
            -(((yy - 300.0) / 45.0) ** 2 + ((xx - 400.0 - 30.0 * np.cos(t)) / 40.0) ** 2)
        )
        box = (yy > 220) & (yy < 380) & (xx > 300) & (xx < 500) & (np.abs(flow) > 0.15) & cavity
        v = np.clip(np.abs(flow) * 255.0, 0, 255).astype(np.uint8)
        red, blue = box & (flow > 0), box & (flow < 0)
        frame[red, 0], frame[red, 1], frame[red, 2] = v[red], v[red] // 4, 0
        frame[blue, 0], frame[blue, 1], frame[blue, 2] = 0, v[blue] // 3, v[blue]
        frame[220, 300:500] = frame[379, 300:500] = yellow
        frame[220:380, 300] = frame[220:380, 499] = yellow
        frame[100:500, 760:775] = grey_bar[:, None, None]
        for k in range(5):
            frame[12 + 18 * k : 24 + 18 * k, 12 : 72 + 23 * k] = 235
        phase = (xs / 720.0 * 2.0 + f / 30.0) % 1.0
        ecg = 560.0 - (
            35.0 * np.exp(-(((phase - 0.30) / 0.012) ** 2))
            - 10.0 * np.exp(-(((phase - 0.33) / 0.010) ** 2))
            + 8.0 * np.exp(-(((phase - 0.60) / 0.050) ** 2))
        )
        ys = np.round(ecg).astype(np.intp)
        for d in (-1, 0, 1):
            frame[ys + d, xs] = (40, 220, 60)
    return clip


@functools.lru_cache(maxsize=1)
def _us_clip_cached() -> np.ndarray:
    clip = _us_clip_array()
    clip.flags.writeable = False
    return clip


def us_clip_rgb() -> np.ndarray:
    """RGB pixels (uint8, 60x600x800x3, read-only) of ``us_clip_rgb`` and
    ``us_clip_rle`` (computed once per process, ~3 s)."""
    return _us_clip_cached()


def ybr_full_from_rgb(rgb: np.ndarray) -> np.ndarray:
    """Convert uint8 RGB (..., 3) to YBR_FULL with the PS3.3 C.7.6.3.1.2
    equations (rounded to nearest, clipped to 0..255)."""
    src = rgb.astype(np.float32)
    r, g, b = src[..., 0], src[..., 1], src[..., 2]
    out = np.empty(rgb.shape, np.uint8)
    for i, (kr, kg, kb, off) in enumerate(
        (
            (0.2990, 0.5870, 0.1140, 0.0),
            (-0.1687, -0.3313, 0.5000, 128.0),
            (0.5000, -0.4187, -0.0813, 128.0),
        )
    ):
        out[..., i] = np.clip(np.rint(kr * r + kg * g + kb * b + off), 0, 255)
    return out


def _ybr_full_422_from_ybr(ybr: np.ndarray) -> np.ndarray:
    """Subsample YBR_FULL (..., C, 3) horizontally to the native YBR_FULL_422
    layout (..., C // 2, 4) = ``Y1 Y2 Cb Cr`` (chroma: rounded pair mean)."""
    out = np.empty(ybr.shape[:-2] + (ybr.shape[-2] // 2, 4), np.uint8)
    out[..., 0] = ybr[..., 0::2, 0]
    out[..., 1] = ybr[..., 1::2, 0]
    for k in (1, 2):
        pair = ybr[..., 0::2, k].astype(np.uint16) + ybr[..., 1::2, k]
        out[..., k + 1] = (pair + 1) >> 1
    return out


@functools.lru_cache(maxsize=1)
def _seg_frame_fn() -> Callable[[int], bytes]:
    return _seg_frame_bytes()


def seg_frame_pixels(frame: int) -> np.ndarray:
    """Unpacked pixels (uint8 0/1, 512x512) of 0-based *frame* of the SEG."""
    packed = np.frombuffer(_seg_frame_fn()(frame), np.uint8)
    return np.unpackbits(packed, bitorder="little").reshape(SEG_ROWS, SEG_COLS)


@functools.lru_cache(maxsize=1)
def seg_total_ones() -> int:
    """Number of 1 pixels in the whole SEG (a checksum of the 3.1 GB array)."""
    fn = _seg_frame_fn()
    counts: dict[int, int] = {}
    total = 0
    for frame in range(SEG_FRAMES):
        data = fn(frame)
        key = id(data)  # identical frames share one bytes object
        if key not in counts:
            counts[key] = int(np.unpackbits(np.frombuffer(data, np.uint8)).sum())
        total += counts[key]
    return total


# ---------------------------------------------------------------------------
# CT slice variants
# ---------------------------------------------------------------------------
class ToolUnavailable(RuntimeError):
    """An external tool needed for an optional file is missing."""


def _compress(ds: Dataset, uid: str, arr: np.ndarray | None = None) -> None:
    """``ds.compress(uid)`` with the pylibjpeg plugins, keeping the SOP
    Instance UID (one fragment per frame, basic offset table)."""
    try:
        ds.compress(uid, arr, encoding_plugin="pylibjpeg", generate_instance_uid=False)
    except (RuntimeError, ValueError):
        if uid != RLELossless:
            raise
        # pylibjpeg-rle missing: pydicom's own (slower) RLE encoder
        ds.compress(uid, arr, encoding_plugin="pydicom", generate_instance_uid=False)


def write_ct_be(path: Path) -> None:
    """Write ``ct_slice_be.dcm``: the CT slice in Explicit VR Big Endian."""
    ds = build_ct()
    ds.PixelData = _ct_pixels().astype(">i2").tobytes()
    ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
    dcmwrite(path, ds, enforce_file_format=True)


def write_ct_rle(path: Path) -> None:
    """Write ``ct_slice_rle.dcm``: the CT slice in RLE Lossless."""
    ds = build_ct()
    _compress(ds, RLELossless)
    dcmwrite(path, ds, enforce_file_format=True)


def write_ct_bs12(path: Path) -> None:
    """Write ``ct_slice_bs12.dcm``: 12 of 16 bits stored, signed, garbage
    in the unused high bits (see :func:`_ct_bs12_words`)."""
    ds = build_ct()
    true, raw = _ct_bs12_words()
    uid = _uid("ct/instance/bs12")
    ds.SOPInstanceUID = uid
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    ds.ImageComments = "Synthetic phantom slice, 12 bits stored, unused high bits not zero"
    ds.BitsStored = 12
    ds.HighBit = 11
    ds[0x00280106].value = int(true.min())  # SmallestImagePixelValue
    ds[0x00280107].value = int(true.max())  # LargestImagePixelValue
    ds[0x00280120].value = -2000  # PixelPaddingValue
    ds.RescaleIntercept = "0"
    ds.PixelData = raw.tobytes()
    dcmwrite(path, ds, enforce_file_format=True)


# ---------------------------------------------------------------------------
# Ultrasound clip
# ---------------------------------------------------------------------------
def build_us_header(photometric: str) -> Dataset:
    """Return the Ultrasound Multi-frame Image dataset without PixelData."""
    sop_uid = CLIP_EXPECTED["SOPInstanceUID"]
    ds = Dataset()
    ds.file_meta = _file_meta(_US_MULTIFRAME_STORAGE, sop_uid)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "CARDIAC", "0011"]  # 2D + colour flow
    ds.InstanceCreationDate = "20240117"
    ds.InstanceCreationTime = "111500.000000"
    ds.SOPClassUID = _US_MULTIFRAME_STORAGE
    ds.SOPInstanceUID = sop_uid
    _patient_study(ds)
    ds.SeriesDate = ds.ContentDate = ds.AcquisitionDate = "20240117"
    ds.SeriesTime = "111200.000000"
    ds.ContentTime = ds.AcquisitionTime = "111458.120000"
    ds.AcquisitionDateTime = "20240117111458.120000"
    ds.Modality = "US"
    ds.SeriesDescription = "Echo PLAX colour"
    ds.OperatorsName = "Sono^Sam"
    ds.SeriesInstanceUID = _uid("us/series")
    ds.SeriesNumber = "1"
    _equipment(ds)
    ds.StationName = "ECHO01"
    ds.ManufacturerModelName = "SonoFast 9"
    ds.SoftwareVersions = ["SF9_4.2.0"]
    ds.InstanceNumber = "12"
    ds.PatientOrientation = ""
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.HeartRate = "60"
    ds.TransducerData = ["P5-1", "", ""]
    ds.ProcessingFunction = "CARDIAC"
    ds.TransducerFrequency = 2500  # (0018,6030) UL, kHz
    ds.add_new(0x00186031, "CS", "SECTOR_PHASED")  # TransducerType
    # Cine / multi-frame
    ds.NumberOfFrames = str(CLIP_FRAMES)
    ds.FrameIncrementPointer = 0x00181063  # FrameTime
    ds.FrameTime = "33.333"
    ds.CineRate = "30"
    ds.RecommendedDisplayFrameRate = "30"
    ds.ActualFrameDuration = "33"
    ds.StartTrim = "1"
    ds.StopTrim = str(CLIP_FRAMES)
    ds.PreferredPlaybackSequencing = 0
    # US region calibration: the 2D sector and the colour-flow box
    tissue, colour = Dataset(), Dataset()
    for item, box, dtype in (
        (tissue, (40, 30, 760, 580), 1),  # tissue
        (colour, (300, 220, 499, 379), 2),  # colour flow
    ):
        item.RegionSpatialFormat = 1  # 2D
        item.RegionDataType = dtype
        item.RegionFlags = 2
        item.RegionLocationMinX0, item.RegionLocationMinY0 = box[0], box[1]
        item.RegionLocationMaxX1, item.RegionLocationMaxY1 = box[2], box[3]
        item.PhysicalUnitsXDirection = 3  # cm
        item.PhysicalUnitsYDirection = 3
        item.PhysicalDeltaX = 0.0275
        item.PhysicalDeltaY = 0.0275
        item.ReferencePixelX0 = 400 - box[0]
        item.ReferencePixelY0 = -30 - box[1]
    ds.SequenceOfUltrasoundRegions = _seq(tissue, colour)
    # Image pixel
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = photometric
    ds.PlanarConfiguration = 0
    ds.Rows = CLIP_ROWS
    ds.Columns = CLIP_COLS
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    return ds


def _write_us(path: Path, photometric: str, pixel_bytes: bytes | None,
              rle_from: np.ndarray | None = None) -> None:
    """Write a clip file with *pixel_bytes* (native) or RLE of *rle_from*."""
    ds = build_us_header(photometric)
    if rle_from is not None:
        _compress(ds, RLELossless, rle_from)
    else:
        ds.PixelData = pixel_bytes
        ds["PixelData"].VR = "OB"
    dcmwrite(path, ds, enforce_file_format=True)


def write_us_rgb(path: Path) -> None:
    """Write ``us_clip_rgb.dcm`` (native RGB)."""
    _write_us(path, "RGB", us_clip_rgb().tobytes())


def write_us_ybr_full(path: Path) -> None:
    """Write ``us_clip_ybr_full.dcm`` (native YBR_FULL)."""
    _write_us(path, "YBR_FULL", ybr_full_from_rgb(us_clip_rgb()).tobytes())


def write_us_ybr_full_422(path: Path) -> None:
    """Write ``us_clip_ybr_full_422.dcm`` (native YBR_FULL_422)."""
    ybr = ybr_full_from_rgb(us_clip_rgb())
    _write_us(path, "YBR_FULL_422", _ybr_full_422_from_ybr(ybr).tobytes())


def write_us_rle(path: Path) -> None:
    """Write ``us_clip_rle.dcm`` (RGB, RLE Lossless)."""
    _write_us(path, "RGB", None, rle_from=np.ascontiguousarray(us_clip_rgb()))


# ---------------------------------------------------------------------------
# Multi-frame (Enhanced) CT
# ---------------------------------------------------------------------------
def build_ct_multiframe() -> Dataset:
    """Return the 20-frame Enhanced CT dataset with native PixelData."""
    sop_uid = MF_EXPECTED["SOPInstanceUID"]
    vol = ct_volume()
    ds = Dataset()
    ds.file_meta = _file_meta(_ENHANCED_CT_STORAGE, sop_uid)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL", "NONE"]
    ds.InstanceCreationDate = "20240115"
    ds.InstanceCreationTime = "094700.000000"
    ds.SOPClassUID = _ENHANCED_CT_STORAGE
    ds.SOPInstanceUID = sop_uid
    _patient_study(ds)
    ds.SeriesDate = ds.ContentDate = ds.AcquisitionDate = "20240115"
    ds.SeriesTime = "093530.000000"
    ds.ContentTime = "093545.250000"
    ds.AcquisitionDateTime = "20240115093545.250000"
    ds.Modality = "CT"
    ds.SeriesDescription = "Abdomen 2.5mm enhanced"
    ds.SeriesInstanceUID = _uid("ct-mf/series")
    ds.SeriesNumber = "4"
    _equipment(ds)
    ds.FrameOfReferenceUID = _uid("frame-of-reference")
    ds.PositionReferenceIndicator = "SN"
    ds.InstanceNumber = "1"
    ds.ContentQualification = "PRODUCT"
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.PresentationLUTShape = "IDENTITY"
    ds.AcquisitionNumber = "2"
    ds.VolumetricProperties = "VOLUME"
    ds.VolumeBasedCalculationTechnique = "NONE"
    ds.PixelPresentation = "MONOCHROME"
    ds.AcquisitionContextSequence = Sequence()
    ds.NumberOfFrames = str(MF_FRAMES)

    org = Dataset()
    org.DimensionOrganizationUID = _uid("ct-mf/dimension-organization")
    ds.DimensionOrganizationSequence = _seq(org)
    ds.DimensionOrganizationType = "3D"
    dim_stack, dim_pos = Dataset(), Dataset()
    dim_stack.DimensionOrganizationUID = org.DimensionOrganizationUID
    dim_stack.DimensionIndexPointer = 0x00209056  # StackID
    dim_stack.FunctionalGroupPointer = 0x00209111  # FrameContentSequence
    dim_pos.DimensionOrganizationUID = org.DimensionOrganizationUID
    dim_pos.DimensionIndexPointer = 0x00209057  # InStackPositionNumber
    dim_pos.FunctionalGroupPointer = 0x00209111
    ds.DimensionIndexSequence = _seq(dim_stack, dim_pos)

    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = ["0.9765625", "0.9765625"]
    measures.SliceThickness = f"{_MF_SPACING}"
    orient = Dataset()
    orient.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    transform = Dataset()
    transform.RescaleIntercept = "-1024"
    transform.RescaleSlope = "1"
    transform.RescaleType = "HU"
    voi = Dataset()
    voi.WindowCenter = "40"
    voi.WindowWidth = "400"
    voi.WindowCenterWidthExplanation = "ABDOMEN"
    frame_type = Dataset()
    frame_type.FrameType = ["ORIGINAL", "PRIMARY", "AXIAL", "NONE"]
    frame_type.PixelPresentation = "MONOCHROME"
    frame_type.VolumetricProperties = "VOLUME"
    frame_type.VolumeBasedCalculationTechnique = "NONE"
    shared.PixelMeasuresSequence = _seq(measures)
    shared.PlaneOrientationSequence = _seq(orient)
    shared.PixelValueTransformationSequence = _seq(transform)
    shared.FrameVOILUTSequence = _seq(voi)
    shared.CTImageFrameTypeSequence = _seq(frame_type)
    ds.SharedFunctionalGroupsSequence = _seq(shared)

    per_frame = []
    for k in range(MF_FRAMES):
        content = Dataset()
        content.FrameAcquisitionNumber = 2
        content.StackID = "1"
        content.InStackPositionNumber = k + 1
        content.DimensionIndexValues = [1, k + 1]
        position = Dataset()
        position.ImagePositionPatient = ["-249.51171875", "-407.51171875",
                                         f"{_MF_Z0 - k * _MF_SPACING:.2f}"]
        item = Dataset()
        item.FrameContentSequence = _seq(content)
        item.PlanePositionSequence = _seq(position)
        per_frame.append(item)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)

    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = MF_ROWS
    ds.Columns = MF_COLS
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.PixelData = vol.tobytes()
    ds["PixelData"].VR = "OW"
    return ds


def write_ct_multiframe(path: Path) -> None:
    """Write ``ct_multiframe.dcm`` (native)."""
    dcmwrite(path, build_ct_multiframe(), enforce_file_format=True)


def write_ct_multiframe_j2k(path: Path) -> None:
    """Write ``ct_multiframe_j2k.dcm`` (JPEG 2000 Lossless, openjpeg)."""
    ds = build_ct_multiframe()
    _compress(ds, JPEG2000Lossless)
    dcmwrite(path, ds, enforce_file_format=True)


def write_ct_multiframe_jpegll(path: Path, native: Path | None = None) -> None:
    """Write ``ct_multiframe_jpegll.dcm`` (JPEG Lossless SV1) with DCMTK.

    ``dcmcjpeg +e1 +un``: Process 14 SV1, true lossless, one fragment per
    frame, basic offset table, keep the SOP Instance UID.  *native* is the
    ``ct_multiframe.dcm`` to encode (written next to *path* if not given).
    """
    exe = shutil.which("dcmcjpeg")
    if exe is None:
        raise ToolUnavailable("dcmcjpeg (DCMTK) is not on PATH")
    tmp_native = None
    if native is None or not native.is_file():
        tmp_native = path.with_name(path.name + ".native")
        write_ct_multiframe(tmp_native)
        native = tmp_native
    try:
        subprocess.run(
            [exe, "+e1", "+un", "+ff", "+ot", str(native), str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"dcmcjpeg failed: {exc.stderr}") from exc
    finally:
        if tmp_native is not None:
            tmp_native.unlink(missing_ok=True)


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


def _writer(stem: str, paths: dict[str, Path], cache: dict) -> Callable[[Path], None]:
    """Return the function writing the file *stem* to a given path.

    *cache* holds objects shared by several files of one run (the SEG
    header); *paths* lets ``ct_multiframe_jpegll`` reuse ``ct_multiframe``.
    """
    if stem in ("seg_defined", "seg_undefined"):
        if "seg_header" not in cache:  # build once, write both encodings
            cache["seg_header"] = build_seg_header()
        header = cache["seg_header"]
        return lambda tmp: write_seg(tmp, undefined=(stem == "seg_undefined"), header=header)
    if stem == "ct_multiframe_jpegll":
        return lambda tmp: write_ct_multiframe_jpegll(tmp, paths["ct_multiframe"])
    return {
        "ct_slice": write_ct,
        "ct_slice_be": write_ct_be,
        "ct_slice_rle": write_ct_rle,
        "ct_slice_bs12": write_ct_bs12,
        "us_clip_rgb": write_us_rgb,
        "us_clip_ybr_full": write_us_ybr_full,
        "us_clip_ybr_full_422": write_us_ybr_full_422,
        "us_clip_rle": write_us_rle,
        "ct_multiframe": write_ct_multiframe,
        "ct_multiframe_j2k": write_ct_multiframe_j2k,
    }[stem]


def generate(
    out: str | os.PathLike | None = None,
    *,
    force: bool = False,
    only: tuple[str, ...] | None = None,
    verbose: bool = False,
) -> dict[str, Path]:
    """Generate the missing (or stale) data files; return name -> path.

    The result maps every stem of :data:`DATA_FILES` (``"ct_slice"``,
    ``"seg_defined"``, ..., ``"ct_multiframe_jpegll"``) to an absolute path.
    Files whose content hash matches are skipped unless *force* is true.
    *only* restricts generation to the given file stems.  A file whose
    external tool is missing (:class:`ToolUnavailable`: ``dcmcjpeg`` for
    ``ct_multiframe_jpegll``) is not written, with a note on stderr; its
    path is still returned, so callers check ``path.is_file()``.
    """
    folder = data_dir(out).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    manifest = _load_manifest(folder)
    paths = {name.removesuffix(".dcm"): folder / name for name in DATA_FILES}
    cache: dict = {}

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
            _writer(stem, paths, cache)(tmp)
        except ToolUnavailable as exc:
            tmp.unlink(missing_ok=True)
            print(f"note: {path.name} not generated: {exc}", file=sys.stderr)
            continue
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
                f"{expected} (different pydicom/numpy/encoder version?); the file "
                "is still usable and recorded in the manifest.",
                file=sys.stderr,
            )
        if verbose:
            size = path.stat().st_size
            print(f"{path.name}: generated in {elapsed:.1f} s, {size:,} bytes, sha256 {digest}")
    return paths


def ensure_data() -> dict[str, Path]:
    """Make sure all benchmark files exist in :func:`data_dir`; return paths.

    Keys: the stems of :data:`DATA_FILES` (see the module docstring).
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
