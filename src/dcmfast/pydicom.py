"""dcmfast as pydicom 3's pixel backend: ``import dcmfast.pydicom``.

After the import, pydicom's own ``ds.pixel_array`` (and
``pydicom.pixels.pixel_array`` / ``iter_pixels``) decode

* native little-endian Pixel Data with dcmfast's C kernel: bit unpacking,
  planar configuration and YBR_FULL_422 upsampling in one pass with the GIL
  released (pydicom has no plugin hook for native data, so the native
  decoding step of :class:`pydicom.pixels.decoders.base.Decoder` is replaced).
  File-like sources, ``view_only=True`` and big endian data - which pydicom
  returns as read-only or '>'-ordered views of the source - keep pydicom's
  own code, so its results stay exactly pydicom's;
* RLE Lossless with dcmfast's C decoder, registered as the "dcmfast" plugin of
  pydicom's RLE Lossless decoder and put first in its preference order.

Everything else - validation, reshaping, unused-bit correction, colour
conversion - stays pydicom's. pydicom's own decoder tests (tests/pixels of
its source distribution) pass with the backend installed; see
tests/differential/test_pydicom_plugin.py.
:func:`uninstall` restores pydicom's behaviour.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dcmfast import _pixels
from dcmfast.pixels import _ybr422_expand

__all__ = ["install", "uninstall", "is_available", "DECODER_DEPENDENCIES"]

_RLE_UID = "1.2.840.10008.1.2.5"
DECODER_DEPENDENCIES = {_RLE_UID: ("numpy",)}
_state: dict[str, Any] = {}


def is_available(uid: str) -> bool:
    """pydicom plugin protocol: dcmfast decodes RLE Lossless."""
    return uid == _RLE_UID


def _decode_rle_frame(src: bytes, runner: Any) -> bytearray:
    """pydicom plugin protocol: one RLE frame -> interleaved little-endian bytes."""
    rows, cols = runner.rows, runner.columns
    spp = runner.samples_per_pixel
    size = max(runner.bits_allocated // 8, 1)
    out = bytearray(rows * cols * spp * size)
    if spp == 1:
        _pixels.rle_decode_frame(src, out, rows, cols, spp, size)
        return out
    # the kernel writes pixel-interleaved samples; pydicom's RLE decoders give
    # one plane per sample (as_buffer() callers rely on it), so reorder
    pixels = np.empty((rows * cols, spp), dtype=f"u{size}")
    _pixels.rle_decode_frame(src, pixels, rows, cols, spp, size)
    np.copyto(np.frombuffer(out, dtype=f"u{size}").reshape(spp, rows * cols), pixels.T)
    runner.set_option("planar_configuration", 1)
    return out


def _as_array_native(runner: Any, index: int | None) -> np.ndarray:
    """Replacement of pydicom's Decoder._as_array_native (same contract: a 1-D
    array of the frame(s), before pydicom's reshape and processing)."""
    if (not (runner.is_dataset or runner.is_buffer) or runner.get_option("view_only", False)
            or not runner.transfer_syntax.is_little_endian):
        # file-like sources, read-only views of the source, and big endian data
        # (which pydicom returns as a '>' view) stay with pydicom's own code
        return _state["native"](runner, index)
    src = runner.src
    ba = runner.bits_allocated
    keyword = runner.pixel_keyword
    spp = runner.samples_per_pixel
    frames = 1 if index is not None else runner.number_of_frames
    first = index or 0
    pixels = runner.rows * runner.columns
    dtype = runner.pixel_dtype.newbyteorder("=")
    big = not runner.transfer_syntax.is_little_endian
    swap_ow8 = big and ba == 8 and keyword == "PixelData" and runner.get_option("pixel_vr") == "OW"
    planar = spp > 1 and runner.planar_configuration == 1
    bs = runner.bits_stored if keyword == "PixelData" else ba

    if runner.photometric_interpretation == "YBR_FULL_422":
        frame_units = pixels * 2 * (ba // 8)
        count = frame_units * frames // (ba // 8)
        raw = np.empty(count, dtype=dtype)
        _check_length(src, frame_units * (first + frames), first + frames)
        _pixels.native_unpack(src, first * frame_units, raw, count, 1, ba, bs, bs - 1,
                              bool(runner.pixel_representation), big_endian=big,
                              swap_ow8=swap_ow8, correct_bits=False)
        out = np.empty(count // 2 * 3, dtype=dtype)
        _ybr422_expand(raw, out, False)
        runner.set_option("photometric_interpretation", "YBR_FULL")
        return out

    if ba == 1:
        start = first * pixels
        out = np.empty(pixels * frames, dtype=np.uint8)
        _check_length(src, -(-(start + pixels * frames) // 8), first + frames)
    else:
        start = first * pixels * spp * (ba // 8)
        out = np.empty(pixels * frames * spp, dtype=dtype)
        _check_length(src, start + out.nbytes, first + frames)
    _pixels.native_unpack(
        src, start, out, pixels * frames, spp, ba, bs, bs - 1, bool(runner.pixel_representation),
        is_float=keyword != "PixelData", big_endian=big, swap_ow8=swap_ow8, planar=planar,
        frame_pixels=pixels, correct_bits=False)
    if planar:
        runner.set_option("planar_configuration", 0)
    return out


def _check_length(src: Any, needed: int, frames: int) -> None:
    if len(memoryview(src).cast("B")) < needed:
        raise ValueError(f"There is insufficient pixel data to contain {frames} frames")


def install() -> None:
    """Make pydicom decode native and RLE pixel data with dcmfast."""
    from pydicom.pixels.decoders import base
    from pydicom.pixels.decoders import RLELosslessDecoder

    if _state:
        return
    _state["native"] = base.Decoder._as_array_native
    base.Decoder._as_array_native = staticmethod(_as_array_native)  # type: ignore[method-assign]
    if "dcmfast" not in RLELosslessDecoder._available:
        RLELosslessDecoder.add_plugin("dcmfast", ("dcmfast.pydicom", "_decode_rle_frame"))
    # dcmfast first in the preference order
    available = RLELosslessDecoder._available
    _state["rle_order"] = list(available)
    RLELosslessDecoder._available = {"dcmfast": available["dcmfast"],
                                     **{k: v for k, v in available.items() if k != "dcmfast"}}


def uninstall() -> None:
    """Restore pydicom's own decoding."""
    from pydicom.pixels.decoders import base
    from pydicom.pixels.decoders import RLELosslessDecoder

    if not _state:
        return
    base.Decoder._as_array_native = staticmethod(_state.pop("native"))  # type: ignore[method-assign]
    _state.pop("rle_order", None)
    RLELosslessDecoder.remove_plugin("dcmfast")
    _state.clear()


install()
