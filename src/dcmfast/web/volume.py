"""Assemble a series of single-frame images into one volume while it downloads.

:class:`VolumeAssembler` gives the multipart parser one sink per instance.
For the common case - native little-endian pixel data, one sample per pixel,
8/16/32 bits allocated, Pixel Data the last element of the part - the sink
reads the instance's header as it arrives, and once it has found where the
Pixel Data value starts it writes the rest of the part straight into the
instance's slice of the volume: the pixel bytes are copied once, from the
network chunk to their final place, and no per-instance buffer is allocated.
Unused high bits are then masked / sign-extended in place, as dcmfast's (and
pydicom's) native decoding does. Anything else (compressed, big endian,
multi-sample, an element after Pixel Data...) is collected whole and decoded
into its slice through :func:`dcmfast.pixels.decode`.

Slices are filled in arrival order and put in order (along the slice normal,
else by Instance Number) in place at the end.
"""
from __future__ import annotations

import struct
import warnings
from typing import Any

import numpy as np

from dcmfast.dataset import Dataset
from dcmfast.errors import InvalidDicomError
from dcmfast.web.errors import MultipartError

__all__ = ["VolumeAssembler"]

_PIXEL_TAG = b"\xe0\x7f\x10\x00"
_NATIVE_LE = {"1.2.840.10008.1.2": True, "1.2.840.10008.1.2.1": False}  # UID -> implicit
_MAX_HEAD = 1 << 20
_DTYPES = {(8, 0): "u1", (8, 1): "i1", (16, 0): "<u2", (16, 1): "<i2", (32, 0): "<u4", (32, 1): "<i4"}


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _locate_pixels(head: bytearray) -> Any:
    """(value offset, value length, header Dataset) of a native little-endian
    Pixel Data element at the top level of the Part 10 bytes in ``head``;
    None if more bytes are needed; False if this is not the simple case."""
    from dcmfast.filereader import dcmread

    start = 132 if len(head) >= 132 and head[128:132] == b"DICM" else None
    if start is None:
        return None if len(head) < 132 else False
    pos = head.find(_PIXEL_TAG, start)
    while pos >= 0:
        end = pos + 12
        if len(head) < end:
            return None
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                ds = dcmread(bytes(head[:pos]))
        except (InvalidDicomError, ValueError, TypeError):
            ds = None
            caught = [None]
        table = ds.__dict__.get("_table") if ds is not None else None
        # the candidate is the real element only if everything before it parses whole
        if ds is not None and not caught and table is not None and table.stop_offset == pos:
            ts = str(ds.file_meta.get("TransferSyntaxUID", ""))
            implicit = _NATIVE_LE.get(ts)
            if implicit is None:
                return False
            if implicit:
                (length,) = struct.unpack_from("<L", head, pos + 4)
                voff = pos + 8
            else:
                vr = bytes(head[pos + 4:pos + 6])
                if vr not in (b"OW", b"OB") or head[pos + 6:pos + 8] != b"\0\0":
                    return False
                (length,) = struct.unpack_from("<L", head, pos + 8)
                voff = pos + 12
            if length == 0xFFFFFFFF:
                return False
            return voff, length, ds
        pos = head.find(_PIXEL_TAG, pos + 1)
    return None if len(head) < _MAX_HEAD else False


def _layout(ds: Dataset) -> Any:
    """(frame shape, dtype, bits stored, signed) when the raw bytes are the
    pixel values (up to the unused high bits), else None."""
    try:
        rows, cols = int(ds.Rows), int(ds.Columns)
        spp = int(ds.get("SamplesPerPixel") or 1)
        ba, bs = int(ds.BitsAllocated), int(ds.BitsStored)
        hb = int(ds.get("HighBit", bs - 1))
        pr = int(ds.get("PixelRepresentation") or 0)
        frames = _first(ds.get("NumberOfFrames"))
        frames = int(frames) if frames not in (None, "") else 1
    except (AttributeError, TypeError, ValueError, KeyError):
        return None
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    if spp != 1 or frames != 1 or (ba, pr) not in _DTYPES or not 1 <= bs <= ba or hb != bs - 1:
        return None
    if photometric not in ("MONOCHROME1", "MONOCHROME2", "PALETTE COLOR"):
        return None
    return (rows, cols), np.dtype(_DTYPES[(ba, pr)]), bs, bool(pr)


class VolumeAssembler:
    """Sink factory for :class:`~dcmfast.web.multipart.MultipartParser` that
    builds ``volume`` (arrival order) and ``datasets`` (headers, no Pixel Data)."""

    def __init__(self, total_length: int | None = None) -> None:
        self.total = total_length
        self.volume: np.ndarray | None = None
        self.shape: tuple | None = None
        self.dtype: np.dtype | None = None
        self.count = 0
        self.datasets: list[Dataset] = []
        self.fast = 0

    # -- slots -----------------------------------------------------------------------------
    def _allocate(self, shape: tuple, dtype: np.dtype, part_length: int | None) -> None:
        self.shape, self.dtype = shape, dtype
        if self.total and part_length:
            cap = -(-self.total // part_length) + 2
        else:
            cap = 64
        self.volume = np.empty((cap,) + shape, dtype=dtype)

    def _slot(self, shape: tuple, dtype: np.dtype, part_length: int | None) -> int:
        if self.volume is None:
            self._allocate(shape, dtype, part_length)
        elif shape != self.shape or dtype != self.dtype:
            raise ValueError(f"instances of different pixel layouts: {shape} {dtype} after "
                             f"{self.shape} {self.dtype}")
        if self.count == len(self.volume):
            bigger = np.empty((2 * len(self.volume),) + shape, dtype=dtype)
            bigger[:self.count] = self.volume[:self.count]
            self.volume = bigger
        k = self.count
        self.count += 1
        self.datasets.append(None)  # type: ignore[arg-type]
        return k

    def __call__(self, headers: dict, length: int | None) -> "_SliceSink":
        return _SliceSink(self, headers, length)

    # -- completion -------------------------------------------------------------------------
    def _place_whole(self, data: Any) -> None:
        from dcmfast import pixels
        from dcmfast.filereader import dcmread

        ds = dcmread(data)
        info = pixels.PixelInfo(ds)
        if info.frames != 1:
            raise ValueError("a volume needs single-frame instances")
        k = self._slot(info.frame_shape(), info.dtype, len(data))
        pixels.decode(ds, out=self.volume[k])
        del ds[info.tag]
        self.datasets[k] = ds

    def finish(self, *, sort: bool = True) -> tuple[np.ndarray, list[Dataset]]:
        """(volume, datasets) in slice order."""
        from dcmfast.web.client import _slice_normal, _sort_key

        if self.volume is None or not self.count:
            raise ValueError("no instances were received")
        n = self.count
        volume = self.volume[:n]
        datasets = self.datasets
        if sort and n > 1:
            normal = _slice_normal(datasets[0])
            order = sorted(range(n), key=lambda i: _sort_key(datasets[i], normal))
            _permute(volume, order)
            datasets = [datasets[i] for i in order]
        return volume, datasets


def _permute(volume: np.ndarray, order: list[int]) -> None:
    """volume[j] = old volume[order[j]] for all j, in place (cycle by cycle)."""
    done = [False] * len(order)
    tmp = np.empty_like(volume[0])
    for i in range(len(order)):
        if done[i] or order[i] == i:
            done[i] = True
            continue
        tmp[...] = volume[i]
        j = i
        while True:
            done[j] = True
            k = order[j]
            if k == i:
                volume[j] = tmp
                break
            volume[j] = volume[k]
            j = k


class _SliceSink:
    __slots__ = ("asm", "headers", "length", "head", "whole", "slot", "pos", "k", "need", "layout",
                 "tried")

    def __init__(self, asm: VolumeAssembler, headers: dict, length: int | None) -> None:
        self.asm = asm
        self.headers = headers
        self.length = length
        self.head: bytearray | None = bytearray()
        self.whole: bytearray | None = None
        self.slot: memoryview | None = None
        self.pos = 0
        self.need = 0
        self.k = -1
        self.layout: Any = None
        self.tried = 0

    def write(self, data: Any) -> None:
        slot = self.slot
        if slot is not None:
            n = len(data)
            end = self.pos + n
            if end > self.need:
                raise MultipartError("instance data beyond its Pixel Data value")
            slot[self.pos:end] = data
            self.pos = end
            return
        if self.whole is not None:
            self.whole += data
            return
        head = self.head
        head += data
        complete = self.length is not None and len(head) >= self.length
        if not complete and len(head) < max(2 * self.tried, 2048):
            return  # retry as the header doubles: linear work however small the chunks
        self.tried = len(head)
        found = _locate_pixels(head)
        if found is None:
            return
        if found is False:
            self._to_whole()
            return
        voff, vlen, ds = found
        layout = _layout(ds)
        if (layout is None or self.length is None or voff + vlen != self.length
                or vlen != layout[0][0] * layout[0][1] * layout[1].itemsize):
            self._to_whole()
            return
        asm = self.asm
        k = asm._slot(layout[0], layout[1], self.length)
        self.k, self.layout = k, layout
        asm.datasets[k] = ds
        self.slot = memoryview(asm.volume[k]).cast("B")
        self.need = vlen
        tail = memoryview(head)[voff:]
        if len(tail) > vlen:
            raise MultipartError("instance data beyond its Pixel Data value")
        self.slot[:len(tail)] = tail
        self.pos = len(tail)
        self.head = None

    def _to_whole(self) -> None:
        self.whole, self.head = self.head, None

    def finish(self) -> Any:
        asm = self.asm
        if self.slot is not None:
            if self.pos != self.need:
                raise MultipartError("instance shorter than its Pixel Data length")
            self.slot = None
            _, dtype, bits_stored, signed = self.layout
            bits = dtype.itemsize * 8
            if bits_stored < bits:  # the unused high bits: masked, or sign-extended
                arr = asm.volume[self.k]
                if signed:
                    shift = bits - bits_stored
                    np.left_shift(arr, shift, out=arr)
                    np.right_shift(arr, shift, out=arr)
                else:
                    np.bitwise_and(arr, (1 << bits_stored) - 1, out=arr)
            asm.fast += 1
            return self.k
        data = self.whole if self.whole is not None else self.head
        self.whole = self.head = None
        asm._place_whole(data if data is not None else b"")
        return asm.count - 1

    def abort(self) -> None:
        self.slot = None
        self.whole = self.head = None
