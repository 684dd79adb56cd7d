#!/usr/bin/env python
"""Write the small sample data set shipped in src/dcmfast/data/samples/.

Made by dcmfast itself (Dataset + dcmwrite), deterministic (fixed UIDs and
pixel values), small (a few hundred KB in all). Rerun after changing the
writer: ``python tools/make_samples.py``; the test suite checks the committed
files still read back with the values below.
"""
from __future__ import annotations

import pathlib

import numpy as np

import dcmfast
from dcmfast import Dataset, Sequence
from dcmfast.dataset import FileMetaDataset

OUT = pathlib.Path(__file__).resolve().parents[1] / "src" / "dcmfast" / "data" / "samples"
ROOT = "2.25.3303034040506060"  # fixed UID stem: the files are identical on every run


def _uid(n: int) -> str:
    return f"{ROOT}.{n}"


def ct_slice(rows: int = 128, cols: int = 128) -> Dataset:
    """A CT slice with a realistic header and a concentric-circle phantom."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = _uid(1)
    ds.StudyDate, ds.SeriesDate, ds.ContentDate = "20260101", "20260101", "20260101"
    ds.StudyTime, ds.SeriesTime, ds.ContentTime = "101010", "101011", "101012.5"
    ds.AccessionNumber = "A0001"
    ds.Modality = "CT"
    ds.Manufacturer = "dcmfast samples"
    ds.InstitutionName = "Hôpital Exemple"
    ds.ReferringPhysicianName = "Référent^Anne"
    ds.StudyDescription = "CHEST W/O CONTRAST"
    ds.SeriesDescription = "AXIAL 5mm"
    ref = Dataset()
    ref.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ref.ReferencedSOPInstanceUID = _uid(9)
    ds.ReferencedImageSequence = [ref]
    ds.PatientName = "Müller^Jürgen"
    ds.PatientID = "PID-0001"
    ds.PatientBirthDate = "19600101"
    ds.PatientSex = "M"
    ds.PatientAge = "066Y"
    ds.SliceThickness = "5.0"
    ds.KVP = "120"
    ds.ReconstructionDiameter = "350.0"
    ds.GantryDetectorTilt = "0.0"
    ds.StudyInstanceUID = _uid(2)
    ds.SeriesInstanceUID = _uid(3)
    ds.StudyID = "1"
    ds.SeriesNumber = 2
    ds.InstanceNumber = 7
    ds.ImagePositionPatient = ["-175.0", "-175.0", "-42.5"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.FrameOfReferenceUID = _uid(4)
    ds.SliceLocation = "-42.5"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = rows, cols
    ds.PixelSpacing = ["2.734375", "2.734375"]
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelRepresentation = 1
    ds.WindowCenter, ds.WindowWidth = ["40", "400"], ["400", "1500"]
    ds.RescaleIntercept, ds.RescaleSlope = "-1024", "1"
    ds.add_new(0x00090010, "LO", "DCMFAST SAMPLE")  # private creator of block (0009,10xx)
    ds.add_new(0x00091001, "LO", "private text")
    ds.add_new(0x00091002, "UL", 123456)
    y, x = np.mgrid[:rows, :cols]
    r = np.hypot(y - rows / 2, x - cols / 2)
    image = np.where(r < rows * 0.45, 1024 + 40, 0) + np.where(r < rows * 0.2, 300, 0)
    ds.PixelData = image.astype("<i2").tobytes()
    return ds


def segmentation(frames: int = 24, size: int = 64) -> Dataset:
    """A SEG-like multi-frame file: 1-bit frames, nested undefined-length sequences."""
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.66.4"
    ds.SOPInstanceUID = _uid(20)
    ds.Modality = "SEG"
    ds.PatientName = "Müller^Jürgen"
    ds.PatientID = "PID-0001"
    ds.StudyInstanceUID = _uid(2)
    ds.SeriesInstanceUID = _uid(21)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = size
    ds.NumberOfFrames = frames
    ds.BitsAllocated = ds.BitsStored = 1
    ds.HighBit = 0
    ds.PixelRepresentation = 0
    items = []
    for i in range(frames):
        item = Dataset()
        content = Dataset()
        content.DimensionIndexValues = [1, i + 1]
        position = Dataset()
        position.ImagePositionPatient = ["-175.0", "-175.0", f"{-42.5 + 2.5 * i:.1f}"]
        segment = Dataset()
        segment.ReferencedSegmentNumber = 1
        for name, value in (("FrameContentSequence", content), ("PlanePositionSequence", position),
                            ("SegmentIdentificationSequence", segment)):
            seq = Sequence([value])
            seq.is_undefined_length = True
            value.is_undefined_length_sequence_item = True
            setattr(item, name, seq)
        item.is_undefined_length_sequence_item = True
        items.append(item)
    per_frame = Sequence(items)
    per_frame.is_undefined_length = True
    ds.PerFrameFunctionalGroupsSequence = per_frame
    y, x = np.mgrid[:size, :size]
    masks = [(np.hypot(y - size / 2, x - size / 2) < (4 + i)) for i in range(frames)]
    ds.PixelData = np.packbits(np.stack(masks).ravel(), bitorder="little").tobytes()
    return ds


def japanese_mr() -> Dataset:
    """PN with ISO 2022 code extensions (PS3.5 Annex H example)."""
    ds = Dataset()
    ds.SpecificCharacterSet = ["", "ISO 2022 IR 87"]
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    ds.SOPInstanceUID = _uid(30)
    ds.Modality = "MR"
    ds.PatientName = "Yamada^Tarou=山田^太郎=やまだ^たろう"
    ds.PatientID = "PID-0002"
    ds.StudyInstanceUID = _uid(31)
    ds.SeriesInstanceUID = _uid(32)
    return ds


def _meta(ds: Dataset) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta = meta


SAMPLES = {
    "ct_explicit_le.dcm": (ct_slice, "ExplicitVRLittleEndian"),
    "ct_implicit_le.dcm": (ct_slice, "ImplicitVRLittleEndian"),
    "ct_explicit_be.dcm": (ct_slice, "ExplicitVRBigEndian"),
    "ct_deflated.dcm": (ct_slice, "DeflatedExplicitVRLittleEndian"),
    "seg_undefined_lengths.dcm": (segmentation, "ExplicitVRLittleEndian"),
    "mr_iso2022_japanese.dcm": (japanese_mr, "ExplicitVRLittleEndian"),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (make, syntax) in SAMPLES.items():
        ds = make()
        _meta(ds)
        ds.preamble = b"\0" * 128
        dcmfast.dcmwrite(OUT / name, ds, transfer_syntax=syntax)
        print(f"{name}: {(OUT / name).stat().st_size} bytes ({syntax})")


if __name__ == "__main__":
    main()
