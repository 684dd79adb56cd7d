"""Pixel data: from a Dataset's Pixel Data to a numpy array.

The contract is pydicom 3's ``ds.pixel_array``: the same shape, dtype and
values. The work is done by C kernels (``_pixels``) with the GIL released:

* native data (PS3.5 8): byte order, bit unpacking, unused-bit masking and
  sign extension, planar configuration - ``csrc/native.c``;
* RLE Lossless (PS3.5 Annex G) - ``csrc/rle.c``;
* YBR_FULL / YBR_FULL_422 to RGB (PS3.3 C.7.6.3.1.2) - ``csrc/color.c``;
* JPEG, JPEG-LS and JPEG 2000 through the pylibjpeg plugins (the ``jpeg``
  extra), whose frames are located here through the Basic or Extended Offset
  Table, or by scanning the fragments.

Frames are decoded straight into one preallocated array (``out=`` may be the
caller's); ``threads=N`` decodes frames in parallel: threads for the C
kernels, worker processes for the plugins (which hold the GIL).
"""
from __future__ import annotations

import math
import os
import struct
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import numpy as np

from dcmfast import _parse, _pixels
from dcmfast.errors import DicomWarning, PixelDataError

__all__ = ["pixel_array", "iter_frames", "PixelInfo", "get_frame_fragments"]

# Transfer syntaxes (PS3.5 Annex A, PS3.6 Annex A)
_IMPLICIT_LE = "1.2.840.10008.1.2"
_EXPLICIT_LE = "1.2.840.10008.1.2.1"
_DEFLATED = "1.2.840.10008.1.2.1.99"
_EXPLICIT_BE = "1.2.840.10008.1.2.2"
_NATIVE = frozenset([_IMPLICIT_LE, _EXPLICIT_LE, _DEFLATED, _EXPLICIT_BE,
                     "1.2.840.10008.1.2.1.98"])  # Encapsulated Uncompressed is not native
_RLE = "1.2.840.10008.1.2.5"
_JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
_LIBJPEG = frozenset([
    _JPEG_BASELINE,
    "1.2.840.10008.1.2.4.51",  # JPEG Extended (Process 2 & 4)
    "1.2.840.10008.1.2.4.57",  # JPEG Lossless
    "1.2.840.10008.1.2.4.70",  # JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81",  # JPEG-LS Near Lossless
])
#: JPEG lossless (process 14, and its SV1 subset): dcmfast's own decoder
#: (csrc/ljpeg.c, GIL released) for one component; libjpeg otherwise
_LJPEG = frozenset(["1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"])
_JPEGLS = frozenset(["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"])
_OPENJPEG = frozenset([
    "1.2.840.10008.1.2.4.90",  # JPEG 2000 Lossless
    "1.2.840.10008.1.2.4.91",  # JPEG 2000
    "1.2.840.10008.1.2.4.201",  # HTJ2K Lossless
    "1.2.840.10008.1.2.4.202",  # HTJ2K Lossless RPCL
    "1.2.840.10008.1.2.4.203",  # HTJ2K
])
_PIXEL_KEYWORDS = {
    0x7FE00010: "PixelData",
    0x7FE00008: "FloatPixelData",
    0x7FE00009: "DoubleFloatPixelData",
}
_YBR = ("YBR_FULL", "YBR_FULL_422")

# PS3.5 G.3.1: a replicate run is 2 bytes for at most 128 output bytes
_RLE_MAX_RATIO = 64


def _first(value: Any, default: Any = None) -> Any:
    if value is None:
        return default
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return value[0] if len(value) else default
    return value


#: the Image Pixel module values decoding depends on (PS3.3 C.7.6.3)
MODULE_KEYWORDS = ("Rows", "Columns", "SamplesPerPixel", "BitsAllocated", "BitsStored", "HighBit",
                   "PixelRepresentation", "PhotometricInterpretation", "PlanarConfiguration",
                   "NumberOfFrames")


_MODULE_TAGS = tuple(zip(MODULE_KEYWORDS, (0x00280010, 0x00280011, 0x00280002, 0x00280100,
                                            0x00280101, 0x00280102, 0x00280103, 0x00280004,
                                            0x00280006, 0x00280008)))


def module_values(ds: Any) -> dict:
    """keyword -> value (or None) of each of MODULE_KEYWORDS."""
    lookup = getattr(ds, "_lookup", None)
    if lookup is None:  # a pydicom Dataset
        get = ds.get
        return {k: get(k) for k in MODULE_KEYWORDS}
    out = {}
    for keyword, tag in _MODULE_TAGS:
        elem = lookup(tag)
        out[keyword] = elem.value if elem is not None else None
    return out


class PixelInfo:
    """The Image Pixel module values that describe one data set's pixels,
    validated (PS3.3 C.7.6.3)."""

    __slots__ = ("rows", "columns", "samples", "frames", "bits_allocated", "bits_stored",
                 "high_bit", "pixel_representation", "photometric", "planar", "tag",
                 "keyword", "transfer_syntax", "encapsulated", "big_endian", "dtype",
                 "frame_pixels", "frame_units")

    def __init__(self, ds: Any, transfer_syntax: str | None = None,
                 values: dict | None = None) -> None:
        if values is None:
            values = module_values(ds)
        tag = next((t for t in _PIXEL_KEYWORDS if t in ds), None)
        if tag is None:
            raise AttributeError(
                "The dataset has no 'Pixel Data', 'Float Pixel Data' or 'Double Float "
                "Pixel Data' element, no pixel data to decode")
        self.tag = tag
        self.keyword = _PIXEL_KEYWORDS[tag]
        if transfer_syntax is None:
            meta = getattr(ds, "file_meta", None)
            transfer_syntax = meta.get("TransferSyntaxUID") if meta is not None else None
            if transfer_syntax is None:
                little, implicit = _original_encoding(ds)
                if little is None:
                    raise AttributeError(
                        "Unable to decode the pixel data as the dataset has no (0002,0010) "
                        "'Transfer Syntax UID' and its encoding is unknown")
                transfer_syntax = (_IMPLICIT_LE if implicit else _EXPLICIT_LE) if little \
                    else _EXPLICIT_BE
        self.transfer_syntax = str(transfer_syntax)
        ts = self.transfer_syntax
        self.encapsulated = ts not in _NATIVE
        self.big_endian = ts == _EXPLICIT_BE

        def need(keyword: str) -> int:
            value = _first(values[keyword])
            if value is None:
                raise AttributeError(
                    f"Unable to decode the pixel data as the dataset has no "
                    f"'{keyword}' element (PS3.3 C.7.6.3)")
            try:
                return int(value)
            except (TypeError, ValueError):
                raise PixelDataError(f"invalid {keyword} value {value!r}") from None

        self.rows = need("Rows")
        self.columns = need("Columns")
        self.samples = need("SamplesPerPixel")
        self.bits_allocated = need("BitsAllocated")
        self.photometric = str(_first(values["PhotometricInterpretation"], "") or "").strip()
        if not self.photometric:
            raise AttributeError(
                "Unable to decode the pixel data as the dataset has no "
                "'PhotometricInterpretation' element (PS3.3 C.7.6.3)")
        nf = _first(values["NumberOfFrames"], 1)
        try:
            self.frames = int(nf) if nf not in (None, "") else 1
        except (TypeError, ValueError):
            raise PixelDataError(f"invalid NumberOfFrames value {nf!r}") from None
        self.frames = self.frames or 1
        if tag == 0x7FE00010:
            self.bits_stored = need("BitsStored")
            self.pixel_representation = need("PixelRepresentation")
            hb = _first(values["HighBit"])
            self.high_bit = int(hb) if hb is not None else self.bits_stored - 1
        else:
            self.bits_stored = self.bits_allocated
            self.high_bit = self.bits_allocated - 1
            self.pixel_representation = 0
        self.planar = int(_first(values["PlanarConfiguration"], 0) or 0) if self.samples > 1 else 0
        self._validate()
        self.frame_pixels = self.rows * self.columns
        if self.encapsulated or self.bits_allocated != 1:
            self.frame_units = self.frame_pixels * self.samples * (self.bits_allocated // 8)
            if not self.encapsulated and self.photometric == "YBR_FULL_422":
                self.frame_units = self.frame_units // 3 * 2
        else:  # bits
            self.frame_units = self.frame_pixels * self.samples
        self.dtype = self._dtype()

    def _validate(self) -> None:
        ba, bs, hb = self.bits_allocated, self.bits_stored, self.high_bit
        if self.rows < 1 or self.columns < 1 or self.rows > 0xFFFF or self.columns > 0xFFFF:
            raise PixelDataError(f"invalid image size {self.rows} x {self.columns}")
        if self.samples not in (1, 3, 4):
            raise PixelDataError(f"invalid SamplesPerPixel {self.samples}")
        if self.frames < 0 or self.frames > 0x7FFFFFFF:
            raise PixelDataError(f"invalid NumberOfFrames {self.frames}")
        if self.keyword == "PixelData":
            if ba not in (1, 8, 16, 32, 64):
                raise PixelDataError(
                    f"BitsAllocated {ba} is not supported (1, 8, 16, 32 or 64; PS3.5 8.1.1)")
            if not 1 <= bs <= ba:
                raise PixelDataError(f"BitsStored {bs} is not between 1 and BitsAllocated {ba}")
            if not bs - 1 <= hb < ba:
                raise PixelDataError(
                    f"HighBit {hb} is not between BitsStored - 1 ({bs - 1}) and "
                    f"BitsAllocated - 1 ({ba - 1})")
            if self.pixel_representation not in (0, 1):
                raise PixelDataError(f"invalid PixelRepresentation {self.pixel_representation}")
        elif ba != (32 if self.keyword == "FloatPixelData" else 64):
            raise PixelDataError(f"BitsAllocated {ba} does not match {self.keyword}")
        if self.planar not in (0, 1):
            raise PixelDataError(f"invalid PlanarConfiguration {self.planar}")
        if ba == 1 and self.samples != 1:
            raise PixelDataError("BitsAllocated 1 needs SamplesPerPixel 1")

    def _dtype(self) -> np.dtype:
        if self.keyword == "FloatPixelData":
            return np.dtype("<f4")
        if self.keyword == "DoubleFloatPixelData":
            return np.dtype("<f8")
        size = max(self.bits_allocated // 8, 1)
        return np.dtype(f"{'i' if self.pixel_representation else 'u'}{size}")

    def frame_shape(self) -> tuple[int, ...]:
        if self.samples > 1:
            return (self.rows, self.columns, self.samples)
        return (self.rows, self.columns)

    def shape(self, frames: int) -> tuple[int, ...]:
        return ((frames,) if frames > 1 else ()) + self.frame_shape()

    @property
    def is_ybr(self) -> bool:
        return self.photometric in _YBR


def _original_encoding(ds: Any) -> tuple[Any, Any]:
    enc = getattr(ds, "original_encoding", None)
    if callable(enc):  # dcmfast
        implicit, little = enc()
        return little, implicit
    return getattr(ds, "_read_little", None), getattr(ds, "_read_implicit", None)


# -- where the encoded bytes are -------------------------------------------------

def _raw_value(ds: Any, tag: int) -> tuple[Any, str | None]:
    """(buffer, VR) of the pixel element: a zero-copy view of the file when the
    element was never decoded, else its value."""
    entry = ds._entry(tag) if hasattr(ds, "_entry") else None
    if entry.__class__ is int:
        table = ds.__dict__["_table"]
        _, vr, flags, _voff, _length = table.info(entry)
        return table.view_of(entry), ("OB" if flags & _FRAGMENTS_OR_SEARCHED else vr)
    elem = ds[tag]
    value = elem.value
    if value is None:
        value = b""
    return value, elem.VR


_FRAGMENTS_OR_SEARCHED = _parse.TF_FRAGMENTS | _parse.TF_SEARCHED


# -- encapsulated pixel data (PS3.5 A.4) -------------------------------------------

def _parse_items(buf: memoryview, little: bool = True) -> tuple[list[int], list[tuple[int, int]]]:
    """Basic Offset Table offsets and (offset, length) of each fragment."""
    n = len(buf)
    fmt = "<HHL" if little else ">HHL"
    pos = 0
    items: list[tuple[int, int]] = []
    while pos + 8 <= n:
        group, elem, length = struct.unpack_from(fmt, buf, pos)
        tag = group << 16 | elem
        if tag == 0xFFFEE0DD:
            break
        if tag != 0xFFFEE000:
            raise PixelDataError(
                f"encapsulated Pixel Data: expected an item tag (FFFE,E000) at byte {pos}, "
                f"found ({group:04X},{elem:04X}) (PS3.5 A.4)", offset=pos)
        if length == 0xFFFFFFFF:
            raise PixelDataError(
                f"encapsulated Pixel Data: fragment at byte {pos} has undefined length "
                "(PS3.5 A.4)", offset=pos)
        start = pos + 8
        if length > n - start:
            warnings.warn(
                f"encapsulated Pixel Data: fragment at byte {pos} claims {length} bytes "
                f"but {n - start} remain; the fragment is truncated", DicomWarning, stacklevel=4)
            length = n - start
        items.append((start, length))
        pos = start + length
    if not items:
        raise PixelDataError("encapsulated Pixel Data has no Basic Offset Table item (PS3.5 A.4)",
                             offset=0)
    bot_start, bot_len = items[0]
    if bot_len % 4:
        raise PixelDataError(
            f"the Basic Offset Table's length {bot_len} is not a multiple of 4", offset=bot_start)
    offsets = list(struct.unpack_from(f"{'<' if little else '>'}{bot_len // 4}L", buf, bot_start))
    return offsets, items[1:]


def _eot(ds: Any) -> tuple[list[int], list[int]] | None:
    eot = ds.get("ExtendedOffsetTable")
    eotl = ds.get("ExtendedOffsetTableLengths")
    if eot is None or eotl is None:
        return None
    if isinstance(eot, (bytes, bytearray)) and isinstance(eotl, (bytes, bytearray)):
        if len(eot) % 8 or len(eotl) % 8:
            raise PixelDataError("Extended Offset Table lengths are not multiples of 8")
        offs = list(struct.unpack(f"<{len(eot) // 8}Q", eot))
        lens = list(struct.unpack(f"<{len(eotl) // 8}Q", eotl))
    else:
        offs, lens = list(eot), list(eotl)
    if len(offs) != len(lens):
        warnings.warn(
            "The number of items in (7FE0,0001) 'Extended Offset Table' and (7FE0,0002) "
            "'Extended Offset Table Lengths' don't match - the extended offset table will "
            "be ignored", DicomWarning, stacklevel=4)
        return None
    return offs, lens


def get_frame_fragments(buf: Any, frames: int, eot: Any = None) -> list[list[memoryview]]:
    """Each frame's fragments (views of ``buf``), located as PS3.5 A.4 allows:
    the Extended Offset Table, the Basic Offset Table, one fragment per frame,
    all fragments for one frame, or by JPEG end-of-image markers."""
    view = memoryview(buf).cast("B") if not isinstance(buf, memoryview) else buf.cast("B")
    offsets, items = _parse_items(view)
    if not items:
        raise PixelDataError("encapsulated Pixel Data holds no fragments")
    first = items[0][0] - 8  # offsets count from the first fragment's item tag
    if eot:
        out = []
        for off, length in zip(*eot):
            start = first + off + 8
            if off < 0 or length < 0 or start + length > len(view):
                raise PixelDataError(
                    f"Extended Offset Table entry ({off}, {length}) points past the end of the "
                    f"Pixel Data ({len(view)} bytes)", offset=start)
            out.append([view[start:start + length]])
        return out
    if offsets:
        starts = {s - 8 - first: i for i, (s, _) in enumerate(items)}
        bounds = []
        for off in offsets:
            if off not in starts:
                raise PixelDataError(
                    f"Basic Offset Table offset {off} does not point at a fragment", offset=off)
            bounds.append(starts[off])
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise PixelDataError("Basic Offset Table offsets are not increasing")
        bounds.append(len(items))
        return [[view[s:s + n] for s, n in items[a:b]] for a, b in zip(bounds, bounds[1:])]
    if len(items) == 1:
        return [[view[items[0][0]:items[0][0] + items[0][1]]]]
    if len(items) == frames:
        return [[view[s:s + n]] for s, n in items]
    if frames == 1:
        return [[view[s:s + n] for s, n in items]]
    if len(items) > frames:
        out, cur = [], []
        for s, n in items:
            frag = view[s:s + n]
            cur.append(frag)
            if b"\xff\xd9" in bytes(frag[-10:]):  # JPEG EOI (or J2K EOC) ends a frame
                out.append(cur)
                cur = []
        if cur:
            warnings.warn(
                "The end of the encapsulated pixel data has been reached but no JPEG EOI/EOC "
                "marker was found, the final frame may be invalid" if len(out) >= frames else
                "The end of the encapsulated pixel data has been reached but fewer frames "
                "than expected have been found", DicomWarning, stacklevel=3)
            out.append(cur)
        elif len(out) < frames:
            warnings.warn("The end of the encapsulated pixel data has been reached but fewer "
                          "frames than expected have been found", DicomWarning, stacklevel=3)
        return out
    raise PixelDataError(
        f"cannot locate {frames} frames in {len(items)} fragments: there is no offset table "
        "and there are fewer fragments than frames")


# -- codestream parameters (ISO/IEC 10918-1 B.2, 14495-1, 15444-1 A.5.1) ------------

def _jpeg_params(src: bytes) -> dict:
    """Precision, component ids and APPn markers of a JPEG / JPEG-LS stream."""
    out: dict = {"app": {}}
    n = len(src)
    if n < 4 or src[0] != 0xFF or src[1] != 0xD8:
        return out
    pos = 2
    while pos + 4 <= n:
        if src[pos] != 0xFF:
            return out
        marker = src[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        length = src[pos + 2] << 8 | src[pos + 3]
        seg = src[pos + 4:pos + 2 + length]
        if 0xE0 <= marker <= 0xEF:
            out["app"][marker] = bytes(seg)
        elif marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD,
                        0xCE, 0xCF, 0xF7):
            if len(seg) >= 6:
                out["precision"] = seg[0]
                nc = seg[5]
                out["component_ids"] = [seg[6 + 3 * i] for i in range(nc) if 6 + 3 * i < len(seg)]
            return out
        elif marker == 0xDA:
            return out
        pos += 2 + length
    return out


def _j2k_params(src: bytes) -> dict:
    """Precision and signedness of the first component (the SIZ marker)."""
    i = bytes(src[:2048]).find(b"\xff\x4f\xff\x51")
    if i < 0:
        return {}
    siz = i + 4
    # Lsiz(2) Rsiz(2) Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz (8 x 4) Csiz(2) Ssiz..
    ssiz_at = siz + 2 + 2 + 32 + 2
    if ssiz_at >= len(src):
        return {}
    ssiz = src[ssiz_at]
    return {"precision": (ssiz & 0x7F) + 1, "is_signed": bool(ssiz & 0x80)}


def _check_plausible(info: PixelInfo, frags: list[memoryview], index: int) -> None:
    """Refuse, before allocating the output, a frame whose encoded bytes cannot
    hold Rows x Columns: an RLE frame too short for its size even if every
    byte pair were a maximal run, a JPEG / JPEG 2000 codestream whose own
    dimensions differ from Rows and Columns."""
    ts = info.transfer_syntax
    size = sum(len(f) for f in frags)
    if ts == _RLE:
        per_segment = info.frame_pixels
        if per_segment > _RLE_MAX_RATIO * size + 128:
            raise PixelDataError(
                f"frame {index}: {size} bytes of RLE data cannot hold {info.rows} x "
                f"{info.columns} pixels (PS3.5 G.3.1)", frame=index)
        return
    if not frags or ts not in _LIBJPEG and ts not in _OPENJPEG:
        return
    head = bytes(frags[0][:4096])
    dims = _j2k_dims(head) if ts in _OPENJPEG else _jpeg_dims(head)
    if dims is None:
        return
    rows, cols = dims
    if (rows and rows != info.rows) or cols != info.columns:
        raise PixelDataError(
            f"frame {index}: the codestream is {cols} x {rows} pixels but Columns x Rows is "
            f"{info.columns} x {info.rows}", frame=index)


def _jpeg_dims(src: bytes) -> tuple[int, int] | None:
    """(lines, samples per line) of a JPEG / JPEG-LS SOF segment (lines may be 0: DNL)."""
    n = len(src)
    if n < 4 or src[:2] != b"\xff\xd8":
        return None
    pos = 2
    while pos + 4 <= n:
        if src[pos] != 0xFF:
            return None
        marker = src[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        length = src[pos + 2] << 8 | src[pos + 3]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD,
                      0xCE, 0xCF, 0xF7):
            if pos + 9 > n:
                return None
            return (src[pos + 5] << 8 | src[pos + 6], src[pos + 7] << 8 | src[pos + 8])
        if marker == 0xDA:
            return None
        pos += 2 + length
    return None


def _j2k_dims(src: bytes) -> tuple[int, int] | None:
    """(height, width) of the image area from a J2K SIZ segment (ISO 15444-1 A.5.1)."""
    i = src.find(b"\xff\x4f\xff\x51")
    if i < 0 or i + 24 > len(src):
        return None
    xsiz, ysiz, xo, yo = struct.unpack_from(">LLLL", src, i + 8)
    return (ysiz - yo, xsiz - xo)


# -- decoding --------------------------------------------------------------------

class _Plan:
    """Everything needed to decode frames of one data set into an array."""

    def __init__(self, ds: Any, info: PixelInfo, buf: Any, vr: str | None) -> None:
        self.info = info
        self.buf = buf
        self.vr = vr
        self.photometric = info.photometric
        self.as_rgb = True  # YBR_FULL_422 native 8-bit: upsample and convert in one pass
        self.fragments: list[list[memoryview]] | None = None
        self.frames = info.frames
        if info.encapsulated:
            eot = _eot(ds)
            self.fragments = get_frame_fragments(buf, info.frames, eot)
            if len(self.fragments) < info.frames:
                raise PixelDataError(
                    f"{len(self.fragments)} frames found in the encapsulated Pixel Data but "
                    f"NumberOfFrames is {info.frames}")
            for i in range(info.frames):
                _check_plausible(info, self.fragments[i], i)
        else:
            self._check_native_length()

    def _check_native_length(self) -> None:
        info = self.info
        actual = len(self.buf) if not isinstance(self.buf, memoryview) else self.buf.nbytes
        if info.bits_allocated == 1:
            expected = math.ceil(info.frame_units * info.frames / 8)
        else:
            expected = info.frame_units * info.frames
        padded = expected + expected % 2
        if actual < padded and actual != expected:
            raise PixelDataError(
                f"The number of bytes of pixel data is less than expected ({actual} vs "
                f"{padded} bytes) - the dataset may be corrupted, have an invalid group 0028 "
                "element value, or the transfer syntax may be incorrect", offset=actual)
        if actual > padded:
            if info.photometric == "YBR_FULL_422":
                ybr_length = expected // 2 * 3
                if actual >= ybr_length + ybr_length % 2:
                    raise PixelDataError(
                        f"The number of bytes of pixel data is a third larger than expected "
                        f"({actual} vs {expected} bytes) which indicates the set (0028,0004) "
                        "'Photometric Interpretation' value of 'YBR_FULL_422' is incorrect "
                        "and may need to be changed to either 'RGB' or 'YBR_FULL'")
            else:
                if info.bits_allocated == 1:
                    whole = actual * 8 // info.frame_units
                else:
                    whole = actual // info.frame_units
                if whole > info.frames:
                    warnings.warn(
                        f"The number of bytes of pixel data is sufficient to contain {whole} "
                        f"frames which is larger than the given (0028,0008) 'Number of "
                        f"Frames' value of {info.frames}. The returned data will include "
                        "these extra frames and if it's correct then you should update "
                        "'Number of Frames' accordingly", DicomWarning, stacklevel=4)
                    self.frames = whole
                    return
            warnings.warn(
                f"The pixel data is {actual} bytes long, which indicates it contains "
                f"{actual - expected} bytes of excess padding to be removed",
                DicomWarning, stacklevel=4)

    def decode_frame(self, index: int, out: np.ndarray) -> str:
        """Decode frame ``index`` into ``out`` (one frame, final dtype, C order).
        Returns the photometric interpretation of what was written."""
        info = self.info
        if not info.encapsulated:
            return self._native_frame(index, out)
        frags = self.fragments[index]  # type: ignore[index]
        ts = info.transfer_syntax
        if ts == _RLE:
            src = frags[0] if len(frags) == 1 else b"".join(frags)
            flags = _pixels.rle_decode_frame(src, out, info.rows, info.columns, info.samples,
                                             info.dtype.itemsize, frame=index)
            if flags & _pixels.RLE_W_EXCESS:
                warnings.warn(
                    f"RLE frame {index}: a segment decodes to more than Rows x Columns bytes; "
                    "the excess is ignored (PS3.5 G.3.2)", DicomWarning, stacklevel=3)
            return self.photometric
        if ts in _LJPEG and info.samples == 1:
            data = frags[0] if len(frags) == 1 else b"".join(frags)
            if _ljpeg_frame(info, data, out, index):
                return self.photometric
        src = bytes(frags[0]) if len(frags) == 1 else b"".join(frags)
        return _decode_plugin(info, src, out, index)

    def decode_native_range(self, first: int, count: int, out: np.ndarray) -> None:
        """Frames first..first+count-1 of native (not YBR_FULL_422) data in one
        kernel call: ``out`` holds exactly those frames."""
        info = self.info
        correct = info.keyword == "PixelData" and (
            info.bits_stored < info.bits_allocated or info.high_bit != info.bits_stored - 1)
        _pixels.native_unpack(
            self.buf, first * info.frame_units, out, info.frame_pixels * count, info.samples,
            info.bits_allocated, info.bits_stored, info.high_bit, bool(info.pixel_representation),
            is_float=info.keyword != "PixelData", big_endian=info.big_endian,
            swap_ow8=self._swap_ow8(), planar=bool(info.planar), frame_pixels=info.frame_pixels,
            correct_bits=correct, frame=first if count == 1 else None)

    def _native_frame(self, index: int, out: np.ndarray) -> str:
        info = self.info
        start = index * info.frame_units
        correct = info.keyword == "PixelData" and (
            info.bits_stored < info.bits_allocated or info.high_bit != info.bits_stored - 1)
        if info.photometric == "YBR_FULL_422":
            to_rgb = self.as_rgb and info.bits_allocated == 8
            if info.bits_allocated == 8 and not self._swap_ow8():
                raw: Any = memoryview(self.buf).cast("B")[start:start + info.frame_units]
                if len(raw) < info.frame_units:
                    raise PixelDataError(f"frame {index} is cut short", frame=index)
            else:
                raw = np.empty(info.frame_units // info.dtype.itemsize, dtype=info.dtype)
                _pixels.native_unpack(self.buf, start, raw, raw.size, 1, info.bits_allocated,
                                      info.bits_stored, info.high_bit,
                                      bool(info.pixel_representation),
                                      big_endian=info.big_endian, swap_ow8=self._swap_ow8(),
                                      correct_bits=correct, frame=index)
            _ybr422_expand(raw, out, to_rgb)
            return "RGB" if to_rgb else "YBR_FULL"
        _pixels.native_unpack(
            self.buf, start, out, info.frame_pixels, info.samples, info.bits_allocated,
            info.bits_stored, info.high_bit, bool(info.pixel_representation),
            is_float=info.keyword != "PixelData", big_endian=info.big_endian,
            swap_ow8=self._swap_ow8(), planar=bool(info.planar), frame_pixels=info.frame_pixels,
            correct_bits=correct, frame=index)
        return self.photometric

    def _swap_ow8(self) -> bool:
        return self.info.big_endian and self.info.bits_allocated == 8 and self.vr == "OW"


def _ybr422_expand(raw: Any, out: np.ndarray, to_rgb: bool = False) -> None:
    """PS3.3 C.7.6.3.1.2: Y1 Y2 Cb Cr -> Y1 Cb Cr Y2 Cb Cr (and, for 8-bit data
    when ``to_rgb``, YBR_FULL -> RGB in the same pass)."""
    _pixels.ybr422_expand(raw, out, out.dtype.itemsize, to_rgb)


def _ybr_to_rgb(arr: np.ndarray) -> None:
    """YBR_FULL -> RGB in place, pydicom's rounding (PS3.3 C.7.6.3.1.2)."""
    if arr.dtype == np.uint8 and arr.flags.c_contiguous:
        _pixels.ybr_full_to_rgb_inplace(arr)
        return
    from dcmfast import processing
    arr[...] = processing.convert_color_space(arr, "YBR_FULL", "RGB")


def _ljpeg_frame(info: PixelInfo, src: Any, out: np.ndarray, index: int) -> bool:
    """A single-component JPEG lossless frame through dcmfast's decoder, the
    same samples libjpeg gives. False (nothing promised about ``out``) when
    the stream or the sample size is one to leave to libjpeg."""
    size = info.dtype.itemsize
    flat = out.reshape(-1)
    if size == 2:
        hdr = _pixels.ljpeg_decode(src, flat.view(np.uint16), frame=index)
        return hdr is not None and hdr["precision"] > 8
    if size == 1:
        tmp = np.empty(flat.size, np.uint16)
        hdr = _pixels.ljpeg_decode(src, tmp, frame=index)
        if hdr is None or hdr["precision"] > 8:
            return False
        flat[...] = tmp.astype(np.uint8).view(flat.dtype)
        return True
    return False


def _plugin(module: str, package: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(
            f"decoding this transfer syntax needs the '{package}' package: "
            f"pip install {package} (or pip install 'dcmfast[jpeg]')") from None


def _decode_plugin(info: PixelInfo, src: bytes, out: np.ndarray, index: int) -> str:
    """One JPEG / JPEG-LS / JPEG 2000 frame through pylibjpeg's plugins, with
    pydicom's bookkeeping of the codestream's colour space and precision."""
    ts = info.transfer_syntax
    pi = info.photometric
    container = info.dtype
    if ts in _LIBJPEG:
        libjpeg = _plugin("libjpeg", "pylibjpeg-libjpeg")
        params = _jpeg_params(src)
        if info.samples == 3:
            pi = _conform_jpeg_colorspace(ts, pi, params)
        try:
            data = libjpeg.decode_pixel_data(src, version=2)
        except Exception as exc:
            raise PixelDataError(f"frame {index}: {exc}", frame=index) from None
        if ts in _JPEGLS:
            precision = params.get("precision", info.bits_stored)
            container = _container(precision, info.pixel_representation, container)
    elif ts in _OPENJPEG:
        openjpeg = _plugin("openjpeg", "pylibjpeg-openjpeg")
        params = _j2k_params(src)
        try:
            data = openjpeg.decode_pixel_data(src, version=2)
        except Exception as exc:
            raise PixelDataError(f"frame {index}: {exc}", frame=index) from None
        if pi in ("YBR_ICT", "YBR_RCT"):
            pi = "RGB"  # openjpeg applies the inverse component transform
        precision = params.get("precision", info.bits_stored)
        container = _container(precision, info.pixel_representation, container)
    else:
        raise NotImplementedError(
            f"dcmfast cannot decode pixel data in transfer syntax {ts}")
    flat = out.reshape(-1)
    arr = np.frombuffer(data, dtype=container)
    if arr.size < flat.size:
        raise PixelDataError(
            f"frame {index} decoded to {arr.size} samples, {flat.size} expected", frame=index)
    if arr.size > flat.size:
        arr = arr[:flat.size]
    flat[...] = arr  # converts a narrower container (e.g. 8-bit precision) to the dtype
    _sign_correction(info, ts, params, flat)
    return pi


def _container(precision: int, signed: int, default: np.dtype) -> np.dtype:
    kind = "i" if signed else "u"
    if 0 < precision <= 8:
        return np.dtype(f"{kind}1")
    if 8 < precision <= 16:
        return np.dtype(f"{kind}2")
    if 16 < precision <= 32:
        return np.dtype(f"{kind}4")
    return default


def _sign_correction(info: PixelInfo, ts: str, params: dict, flat: np.ndarray) -> None:
    """pydicom's correction of JPEG 2000 / JPEG-LS signedness (see its
    _apply_sign_correction): shift up and back down through the precision."""
    if ts in _OPENJPEG:
        if info.photometric not in ("MONOCHROME1", "MONOCHROME2"):
            return
        signed = params.get("is_signed", bool(info.pixel_representation))
        precision = params.get("precision", info.bits_stored)
        shift = 8 * flat.dtype.itemsize - precision
        if shift > 0 and signed != bool(info.pixel_representation):
            np.left_shift(flat, shift, out=flat)
            np.right_shift(flat, shift, out=flat)
    elif ts in _JPEGLS and info.pixel_representation == 1:
        precision = params.get("precision", info.bits_stored)
        shift = 8 * flat.dtype.itemsize - precision
        if shift > 0:
            np.left_shift(flat, shift, out=flat)
            np.right_shift(flat, shift, out=flat)


def _conform_jpeg_colorspace(ts: str, pi: str, params: dict) -> str:
    ids = params.get("component_ids")
    if ids in ([82, 71, 66], [114, 103, 98]) and pi != "RGB":
        warnings.warn(
            f"The (0028,0004) 'Photometric Interpretation' value is '{pi}' however the "
            "encoded image's codestream uses component IDs that indicate it should be 'RGB'",
            DicomWarning, stacklevel=5)
        return "RGB"
    cs = "YBR_FULL_422" if ts == _JPEG_BASELINE else "YBR_FULL"
    for marker in params.get("app", {}).values():
        if marker.startswith(b"JFIF") and "YBR" not in pi:
            warnings.warn(
                f"The (0028,0004) 'Photometric Interpretation' value is '{pi}' however the "
                f"encoded image's codestream contains a JFIF APP marker which indicates it "
                f"should be '{cs}'", DicomWarning, stacklevel=5)
            return cs
    return pi


# -- public API --------------------------------------------------------------------

def _dataset(src: Any) -> Any:
    if hasattr(src, "__dict__") and hasattr(src, "file_meta") or hasattr(src, "_dict"):
        return src
    from dcmfast.filereader import dcmread
    return dcmread(src)


def _plan_for(ds: Any, values: dict | None = None) -> _Plan:
    info = PixelInfo(ds, values=values)
    buf, vr = _raw_value(ds, info.tag)
    return _Plan(ds, info, buf, vr)


def _threads(threads: int | None, frames: int) -> int:
    if threads is None or threads <= 1 or frames <= 1:
        return 1
    return min(int(threads), frames, os.cpu_count() or 1) if threads > 0 else 1


def decode(ds: Any, *, index: int | None = None, as_rgb: bool = True, threads: int | None = None,
           out: np.ndarray | None = None, view: bool = False,
           values: dict | None = None) -> np.ndarray:
    """Decode ``ds``'s pixels: all frames, or frame ``index``."""
    plan = _plan_for(ds, values)
    plan.as_rgb = as_rgb
    info = plan.info
    nframes = plan.frames
    if index is not None:
        index = int(index)
        if index < 0:
            raise ValueError("'index' must be greater than or equal to 0")
        if index >= nframes:
            raise IndexError(
                f"There is insufficient pixel data to contain {index + 1} frames "
                f"(NumberOfFrames is {nframes})")
        indices = [index]
        shape = info.frame_shape()
    else:
        indices = list(range(nframes))
        shape = info.shape(nframes)

    if view and out is None:
        arr = _zero_copy(plan, indices, shape)
        if arr is not None:
            return arr

    if out is None:
        out = np.empty(shape, dtype=info.dtype)
    else:
        if not isinstance(out, np.ndarray) or out.shape != shape or out.dtype != info.dtype:
            raise ValueError(
                f"'out' must be a numpy array of shape {shape} and dtype {info.dtype}, "
                f"got {getattr(out, 'shape', None)} {getattr(out, 'dtype', type(out).__name__)}")
        if not out.flags.c_contiguous or not out.flags.writeable:
            raise ValueError("'out' must be C-contiguous and writeable")
    frames_out = out.reshape((len(indices),) + info.frame_shape())

    def one(k: int) -> str:
        return plan.decode_frame(indices[k], frames_out[k])

    n = _threads(threads, len(indices))
    if not info.encapsulated and info.photometric != "YBR_FULL_422":
        # native: contiguous runs of frames, one kernel call each (one per thread)
        k = len(indices)
        bounds = [k * t // n for t in range(n + 1)]
        runs = [(bounds[t], bounds[t + 1] - bounds[t]) for t in range(n) if bounds[t + 1] > bounds[t]]

        def run(r: tuple[int, int]) -> None:
            plan.decode_native_range(indices[0] + r[0], r[1], frames_out[r[0]:r[0] + r[1]])

        if len(runs) > 1:
            with ThreadPoolExecutor(len(runs)) as pool:
                list(pool.map(run, runs))
        else:
            run(runs[0])
        spaces = [info.photometric] * k
    elif n > 1 and info.encapsulated and info.transfer_syntax != _RLE and not (
            info.transfer_syntax in _LJPEG and info.samples == 1):
        # the plugins hold the GIL: worker processes
        from dcmfast import _workers
        spaces = _workers.decode_frames(plan, indices, frames_out, n)
    elif n > 1:
        with ThreadPoolExecutor(n) as pool:
            spaces = list(pool.map(one, range(len(indices))))
    else:
        spaces = [one(k) for k in range(len(indices))]

    if as_rgb and info.samples == 3:
        for k, space in enumerate(spaces):
            if space in _YBR:
                _ybr_to_rgb(frames_out[k])
    return out


def _zero_copy(plan: _Plan, indices: list[int], shape: tuple[int, ...]) -> np.ndarray | None:
    """A read-only view of little-endian native data needing no conversion."""
    info = plan.info
    if (info.encapsulated or info.big_endian or info.bits_allocated == 1
            or info.photometric == "YBR_FULL_422" or (info.samples > 1 and info.planar)
            or (info.keyword == "PixelData" and (info.bits_stored != info.bits_allocated))
            or info.is_ybr):
        return None
    start = indices[0] * info.frame_units
    count = len(indices) * info.frame_units // info.dtype.itemsize
    arr = np.frombuffer(plan.buf, dtype=info.dtype.newbyteorder("<"), count=count, offset=start)
    arr = arr.reshape(shape)
    if arr.flags.writeable:
        arr.flags.writeable = False
    return arr


def pixel_array(src: Any, *, index: int | None = None, as_rgb: bool = True,
                rescale: bool = False, voi: bool = False, threads: int | None = None,
                out: np.ndarray | None = None, view: bool = False) -> np.ndarray:
    """Decode pixel data to a numpy array (pydicom 3's shape, dtype and values).

    Parameters
    ----------
    src : path, bytes, file object or Dataset
    index : int, optional
        Decode only this frame (0-based).
    as_rgb : bool
        Convert YBR_FULL / YBR_FULL_422 data to RGB (as pydicom does by default).
    rescale : bool
        Apply the Modality LUT (Rescale Slope / Intercept or the LUT sequence).
    voi : bool
        Also apply the VOI LUT / windowing (implies ``rescale``).
    threads : int, optional
        Decode frames in parallel on this many threads (worker processes for
        the JPEG and JPEG 2000 plugins, which hold the GIL).
    out : numpy.ndarray, optional
        Decode into this array (the exact shape and dtype of the result).
    view : bool
        For little-endian native data that needs no conversion, return a
        read-only zero-copy view of the file's bytes.
    """
    ds = _dataset(src)
    arr = decode(ds, index=index, as_rgb=as_rgb, threads=threads, out=out, view=view)
    if rescale or voi:
        from dcmfast import processing
        arr = processing.apply_modality_lut(arr, ds)
        if voi:
            arr = processing.apply_voi_lut(arr, ds)
    return arr


def iter_frames(src: Any, *, as_rgb: bool = True) -> Iterator[np.ndarray]:
    """Yield one decoded frame at a time (each a new array)."""
    ds = _dataset(src)
    plan = _plan_for(ds)
    plan.as_rgb = as_rgb
    info = plan.info
    for i in range(plan.frames):
        frame = np.empty(info.frame_shape(), dtype=info.dtype)
        space = plan.decode_frame(i, frame)
        if as_rgb and space in _YBR and info.samples == 3:
            _ybr_to_rgb(frame)
        yield frame
