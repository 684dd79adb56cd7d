"""Changing a data set's pixel encoding: decompress to native, compress to RLE
Lossless (dcmfast's C encoder, PS3.5 Annex G) or JPEG 2000 Lossless
(pylibjpeg-openjpeg), encapsulated per PS3.5 A.4 with a Basic Offset Table.

:func:`decompress` and :func:`compress` change the data set in place (as
pydicom 3's ``Dataset.decompress`` / ``Dataset.compress``);
:func:`transcode_file` reads, converts and writes one file atomically.
"""
from __future__ import annotations

import os
import struct
from typing import Any

import numpy as np

from dcmfast.dataelem import DataElement
from dcmfast.errors import PixelDataError

__all__ = ["decompress", "compress", "transcode_file", "SYNTAXES", "encapsulate"]

EXPLICIT_LE = "1.2.840.10008.1.2.1"
RLE_LOSSLESS = "1.2.840.10008.1.2.5"
J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"
_NATIVE = {"1.2.840.10008.1.2", EXPLICIT_LE, "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"}
_LITTLE_NATIVE = _NATIVE - {"1.2.840.10008.1.2.2"}

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"

#: names accepted by ``dcmfast convert --to`` and :func:`transcode_file`
SYNTAXES = {"explicit": EXPLICIT_LE, "implicit": IMPLICIT_LE, "deflate": DEFLATED_LE,
            "big": EXPLICIT_BE, "rle": RLE_LOSSLESS, "j2k": J2K_LOSSLESS}


def _syntax_of(ds: Any) -> str:
    meta = getattr(ds, "file_meta", None)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    return str(ts) if ts else EXPLICIT_LE


def encapsulate(frames: list[bytes]) -> bytes:
    """Items of a Basic Offset Table and one fragment per frame (PS3.5 A.4),
    each fragment padded to even length. Raises ValueError past 4 GB of
    offsets (the Extended Offset Table is then needed)."""
    offsets, parts, pos = [], [], 0
    for frame in frames:
        if pos > 0xFFFFFFFF:
            raise ValueError("encapsulated frames exceed the Basic Offset Table's 4 GB range")
        offsets.append(pos)
        pad = b"\0" if len(frame) % 2 else b""
        parts.append(struct.pack("<HHL", 0xFFFE, 0xE000, len(frame) + len(pad)))
        parts.append(frame)
        parts.append(pad)
        pos += 8 + len(frame) + len(pad)
    bot = struct.pack(f"<{len(offsets)}L", *offsets)
    return struct.pack("<HHL", 0xFFFE, 0xE000, len(bot)) + bot + b"".join(parts)


def _set_native(ds: Any, arr: np.ndarray, photometric: str) -> None:
    """Replace the pixel element by ``arr`` as native little-endian data."""
    for tag in (0x7FE00001, 0x7FE00002):  # Extended Offset Table (+ lengths)
        if tag in ds:
            del ds[tag]
    keyword_tag = next(t for t in (0x7FE00010, 0x7FE00008, 0x7FE00009) if t in ds)
    data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
    if arr.dtype.itemsize == 1 and len(data) % 2:
        data += b"\0"
    vr = "OB" if arr.dtype.itemsize == 1 else ("OW" if keyword_tag == 0x7FE00010 else
                                                "OF" if keyword_tag == 0x7FE00008 else "OD")
    ds[keyword_tag] = DataElement(keyword_tag, vr, data)
    ds.PhotometricInterpretation = photometric
    if int(ds.get("SamplesPerPixel", 1) or 1) > 1:
        ds.PlanarConfiguration = 0


def decompress(ds: Any, *, as_rgb: bool = True) -> Any:
    """Decode the pixels and store them native; the transfer syntax becomes
    Explicit VR Little Endian. YBR data converted to RGB (``as_rgb``, as in
    pydicom) is relabelled RGB; JPEG 2000 with a component transform comes
    back RGB. Returns ``ds``."""
    from dcmfast import pixels

    ts = _syntax_of(ds)
    plan = pixels._plan_for(ds)
    plan.as_rgb = as_rgb
    info = plan.info
    arr = np.empty(info.shape(plan.frames), dtype=info.dtype)
    frames = arr.reshape((plan.frames,) + info.frame_shape())
    spaces = [plan.decode_frame(i, frames[i]) for i in range(plan.frames)]
    photometric = spaces[0] if spaces else info.photometric
    if as_rgb and info.samples == 3 and photometric in ("YBR_FULL", "YBR_FULL_422"):
        for i, space in enumerate(spaces):
            if space in ("YBR_FULL", "YBR_FULL_422"):
                pixels._ybr_to_rgb(frames[i])
        photometric = "RGB"
    _set_native(ds, arr, photometric)
    if ts not in _NATIVE or ts == "1.2.840.10008.1.2.2":
        _set_syntax(ds, EXPLICIT_LE)
    if "_pixel_cache" in ds.__dict__:
        del ds.__dict__["_pixel_cache"]
    return ds


def _native_frames(ds: Any) -> tuple[Any, np.ndarray]:
    """(PixelInfo, array of shape (frames, rows, cols[, samples])) of native data,
    without RGB conversion (the encoded colour space is kept)."""
    from dcmfast import pixels

    plan = pixels._plan_for(ds)
    plan.as_rgb = False
    info = plan.info
    if info.photometric == "YBR_FULL_422" and not info.encapsulated:
        raise ValueError("native YBR_FULL_422 data must be decompressed to RGB before compressing "
                         "(dcmfast.transcode.decompress)")
    arr = np.empty((plan.frames,) + info.frame_shape(), dtype=info.dtype)
    for i in range(plan.frames):
        plan.decode_frame(i, arr[i])
    return info, arr


def compress(ds: Any, transfer_syntax: str, *, threads: int | None = None) -> Any:
    """Encode native pixels as RLE Lossless or JPEG 2000 Lossless, in place.
    Compressed data is decompressed first. Returns ``ds``."""
    from dcmfast import _pixels

    target = SYNTAXES.get(transfer_syntax, transfer_syntax)
    if target not in (RLE_LOSSLESS, J2K_LOSSLESS):
        raise NotImplementedError(
            f"dcmfast compresses to RLE Lossless ({RLE_LOSSLESS}) and JPEG 2000 Lossless "
            f"({J2K_LOSSLESS}), not {transfer_syntax}")
    if 0x7FE00010 not in ds:
        raise AttributeError("the data set has no Pixel Data to compress")
    if _syntax_of(ds) not in _NATIVE:
        decompress(ds, as_rgb=False)
    info, arr = _native_frames(ds)
    if info.bits_allocated == 1:
        raise NotImplementedError("bit-packed (BitsAllocated 1) pixel data cannot be compressed "
                                  "to RLE or JPEG 2000 by dcmfast")
    photometric = info.photometric
    if target == RLE_LOSSLESS:
        size = info.dtype.itemsize
        frames = [_pixels.rle_encode_frame(np.ascontiguousarray(f), info.rows, info.columns,
                                           info.samples, size) for f in arr]
    else:
        openjpeg = _openjpeg()
        frames = []
        for f in arr:
            try:
                frames.append(bytes(openjpeg.encode(
                    np.ascontiguousarray(f), bits_stored=info.bits_stored,
                    photometric_interpretation=_J2K_COLOURSPACE.get(photometric, 0),
                    use_mct=False)))
            except Exception as exc:
                raise PixelDataError(f"JPEG 2000 encoding failed: {exc}") from None
        if photometric == "YBR_FULL_422":
            photometric = "YBR_FULL"
    value = encapsulate(frames)
    ds[0x7FE00010] = DataElement(0x7FE00010, "OB", value, is_undefined_length=True)
    ds.PhotometricInterpretation = photometric
    if info.samples > 1:
        ds.PlanarConfiguration = 0
    _set_syntax(ds, target)
    if "_pixel_cache" in ds.__dict__:
        del ds.__dict__["_pixel_cache"]
    return ds


# pylibjpeg-openjpeg's PhotometricInterpretation enum: the colour space field of
# the codestream (no component transform: use_mct=False keeps samples as given)
_J2K_COLOURSPACE = {"MONOCHROME1": 2, "MONOCHROME2": 2, "PALETTE COLOR": 2, "RGB": 1, "YBR_FULL": 3}


def _set_syntax(ds: Any, uid: str) -> None:
    from dcmfast.dataset import FileMetaDataset

    if getattr(ds, "file_meta", None) is None:
        ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = uid


def _pixels_to_big_endian(ds: Any) -> None:
    """Byte-swap native little-endian pixel words for Explicit VR Big Endian
    (PS3.5 §7.3: OW/OF/OD values are swapped per word; OB is not). The
    writer writes values as they are, as pydicom does."""
    tag = next(t for t in (0x7FE00010, 0x7FE00008, 0x7FE00009) if t in ds)
    elem = ds[tag]
    size = {0x7FE00008: 4, 0x7FE00009: 8}.get(tag)
    if size is None:
        bits = int(ds.get("BitsAllocated", 8) or 8)
        if elem.VR == "OB" or bits <= 8 and elem.VR != "OW":
            return
        size = max(2, bits // 8)
    data = bytes(elem.value)
    usable = len(data) - len(data) % size
    swapped = np.frombuffer(data, f"<u{size}", usable // size).astype(f">u{size}").tobytes()
    ds[tag] = DataElement(tag, elem.VR, swapped + data[usable:])


def _openjpeg() -> Any:
    try:
        import openjpeg
    except ImportError:
        raise ImportError("JPEG 2000 encoding needs the 'pylibjpeg-openjpeg' package: "
                          "pip install pylibjpeg-openjpeg (or pip install 'dcmfast[jpeg]')") from None
    return openjpeg


def transcode_file(src: Any, dst: Any, to: str) -> str:
    """Read ``src``, convert it to ``to`` (a name of :data:`SYNTAXES` or a
    UID) and write ``dst`` atomically, creating its folder if needed. Native
    targets (explicit, implicit, deflate, big) decompress encapsulated pixels
    first. Returns the written syntax UID."""
    from dcmfast.filereader import dcmread
    from dcmfast.filewriter import dcmwrite

    target = SYNTAXES.get(to, to)
    ds = dcmread(src)
    has_pixels = any(t in ds for t in (0x7FE00010, 0x7FE00008, 0x7FE00009))
    if target in _NATIVE:
        if has_pixels and _syntax_of(ds) not in _LITTLE_NATIVE:
            decompress(ds)
        if has_pixels and target == EXPLICIT_BE:
            _pixels_to_big_endian(ds)
        _set_syntax(ds, target)
    elif has_pixels:
        compress(ds, target)
    else:
        raise ValueError("no Pixel Data to compress")
    if isinstance(dst, (str, os.PathLike)):
        os.makedirs(os.path.dirname(os.fspath(dst)) or ".", exist_ok=True)
    dcmwrite(dst, ds, transfer_syntax=target)
    return target
