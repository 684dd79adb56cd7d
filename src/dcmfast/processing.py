"""Pixel data processing: colour spaces, palettes, modality and VOI LUTs.

The public functions have the signatures, output dtypes and values of pydicom
3's :mod:`pydicom.pixels.processing` functions of the same names, and take a
dcmfast :class:`~dcmfast.Dataset` or a pydicom ``Dataset`` (anything with
pydicom's attribute/`get`/`[...]` access). numpy does the glue; the per-pixel
work runs in C (csrc/color.c, csrc/lut.c) without the GIL.

pydicom-compatible functions
----------------------------
* :func:`convert_color_space` (RGB, YBR_FULL, YBR_FULL_422; bit-for-bit)
* :func:`apply_color_lut` (palette colour, incl. segmented LUTs and the
  well-known palettes)
* :func:`apply_modality_lut` (:func:`apply_rescale` is an alias)
* :func:`apply_voi_lut`, :func:`apply_voi`, :func:`apply_windowing`

Helpers for the pixel pipeline (all from :mod:`dcmfast._pixels`)
------------------------------------------------------------------
* ``ybr_full_to_rgb_inplace(arr_uint8) -> arr``: YBR_FULL -> RGB in place
  (C-contiguous uint8, 3 samples per pixel), pydicom's values exactly.
* ``rgb_to_ybr_full_inplace(arr_uint8) -> arr``: the reverse.
* ``ybr_full_to_rgb(src, out=None)`` / ``rgb_to_ybr_full(src, out=None)``:
  the same from any C-contiguous buffer into a new (or given) array.
* ``ybr422_expand(src_bytes, dst_array, bytes_per_sample, ybr_to_rgb=False)
  -> dst_array``: native YBR_FULL_422 (Y1 Y2 Cb Cr per pixel pair, one flat
  stream like pydicom's) into ``dst_array`` (3 samples per pixel; its byte
  size sets the pixel count, which must be even). With ``ybr_to_rgb=True``
  (8-bit only) the YBR_FULL -> RGB conversion happens in the same pass: the
  fast path for ``pixel_array`` of native YBR_FULL_422 data. ``dst_array``
  may share ``src``'s start address (in-place expansion, back to front).
* ``rct_forward(samples, out=None, precision=None, planar=False)``,
  ``rct_inverse(components_int32, out_samples, precision=None, planar=False)``,
  ``ict_forward(...)``, ``ict_inverse(components_float32, out_samples, ...)``:
  ISO/IEC 15444-1 G.2/G.3 component transforms (with the DC level shift for
  unsigned samples).
* ``lut_apply(arr, luts, first_map, nr_entries, diff_dtype=None,
  index_dtype=None, out=None)``: generic LUT lookup (1 to 4 LUTs).
* ``segmented_lut_expand(data, word_bytes, little_endian, max_entries=65536)``.
* ``rescale(arr, slope, intercept, out=None)``,
  ``window(arr, func, center, width, y_min, y_max, y_range, out=None)``.

Deliberate differences from pydicom 3 (all where pydicom's result is a crash
or a mistake): malformed LUT data raises :class:`~dcmfast.errors.PixelDataError`
(a ValueError) where pydicom raises IndexError, TypeError, struct.error,
ZeroDivisionError or RecursionError; a segmented LUT may expand to at most
65536 entries; the palette name ``"FALL"`` selects the FALL palette
(1.2.840.10008.1.5.7) and ``"WINTER"`` the WINTER one, which pydicom swaps.
"""
from __future__ import annotations

import warnings
from struct import unpack, unpack_from
from typing import Any

import numpy as np

from dcmfast import _pixels
from dcmfast._pixels import (  # noqa: F401  (re-exported pipeline helpers)
    ict_forward,
    ict_inverse,
    lut_apply,
    rct_forward,
    rct_inverse,
    rescale,
    rgb_to_ybr_full,
    rgb_to_ybr_full_inplace,
    segmented_lut_expand,
    window,
    ybr422_expand,
    ybr_full_to_rgb,
    ybr_full_to_rgb_inplace,
)
from dcmfast.errors import PixelDataError

__all__ = [
    "apply_color_lut", "apply_modality_lut", "apply_rescale", "apply_voi", "apply_voi_lut",
    "apply_windowing", "convert_color_space",
    "ybr_full_to_rgb_inplace", "rgb_to_ybr_full_inplace", "ybr_full_to_rgb", "rgb_to_ybr_full",
    "ybr422_expand", "rct_forward", "rct_inverse", "ict_forward", "ict_inverse", "lut_apply",
    "segmented_lut_expand", "rescale", "window",
]

#: numpy dtypes the C kernels read directly (native byte order)
_C_INT = frozenset(np.dtype(t) for t in ("u1", "i1", "u2", "i2", "u4", "i4"))
_C_ANY = _C_INT | {np.dtype("f4"), np.dtype("f8")}


# ---- colour spaces ----------------------------------------------------------------

def convert_color_space(arr: np.ndarray, current: str, desired: str,
                        per_frame: bool = False) -> np.ndarray:
    """Convert the image(s) in `arr` from one colour space to another.

    As :func:`pydicom.pixels.processing.convert_color_space` (PS3.3
    C.7.6.3.1.2): `arr` is uint8 with 3 samples on its last axis; `current`
    and `desired` are ``"RGB"``, ``"YBR_FULL"`` or ``"YBR_FULL_422"``. The
    result is bit-for-bit pydicom's. Returns a new array, or with `per_frame`
    and 4 dimensions `arr` itself updated in place.
    """
    if arr.dtype != np.dtype("u1"):
        raise ValueError(
            f"Invalid ndarray.dtype '{arr.dtype}' for color space conversion, "
            "must be 'uint8' or an equivalent"
        )
    kinds = {"YBR_FULL_422": "YBR", "YBR_FULL": "YBR", "RGB": "RGB"}
    if current not in kinds or desired not in kinds:
        raise NotImplementedError(f"Conversion from {current} to {desired} is not supported.")
    if kinds[current] == kinds[desired]:
        return arr
    to_rgb = kinds[desired] == "RGB"
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(f"Color space conversion needs 3 samples per pixel, not shape {arr.shape}")

    if arr.ndim == 4 and per_frame:
        if arr.flags.c_contiguous and arr.flags.writeable:
            return _pixels.ybr_full_to_rgb_inplace(arr) if to_rgb else \
                _pixels.rgb_to_ybr_full_inplace(arr)
        for idx in range(arr.shape[0]):
            frame = np.ascontiguousarray(arr[idx])
            arr[idx] = _pixels.ybr_full_to_rgb(frame) if to_rgb else _pixels.rgb_to_ybr_full(frame)
        return arr

    src = np.ascontiguousarray(arr)
    out = np.empty(arr.shape, dtype=np.uint8)
    return _pixels.ybr_full_to_rgb(src, out) if to_rgb else _pixels.rgb_to_ybr_full(src, out)


# ---- dataset access helpers ---------------------------------------------------------

def _little_endian(ds: Any) -> bool:
    """The dataset's byte order, found as pydicom finds it (file meta's
    transfer syntax, else the encoding it was read with)."""
    if hasattr(ds, "file_meta"):
        meta = ds.file_meta
        enc = getattr(type(meta), "_tsyntax_encoding", None)
        if enc is not None:  # a pydicom FileMetaDataset
            little = meta._tsyntax_encoding[1]
        else:
            little = None
            tsyntax = meta.get("TransferSyntaxUID", None) if meta is not None else None
            if tsyntax:
                try:
                    from dcmfast.uid import UID

                    uid = UID(str(tsyntax))
                    if uid.is_transfer_syntax and not getattr(uid, "is_private", False):
                        little = uid.is_little_endian
                except (ValueError, AttributeError):
                    little = None
    else:
        little = ds.original_encoding[1]
    if little is None:
        raise AttributeError(
            "Unable to determine the endianness of the dataset, please set "
            "an appropriate Transfer Syntax UID in "
            f"'{type(ds).__name__}.file_meta'"
        )
    return bool(little)


def _vr(elem: Any) -> str:
    return str(getattr(elem, "VR", ""))


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (bytes, bytearray, str)):
        return [value]
    try:
        return list(value)
    except TypeError:
        return [value]


def _native(arr: np.ndarray) -> np.ndarray:
    """arr with native byte order and C-contiguous (a copy only when needed)."""
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return np.ascontiguousarray(arr)


def _check_overflow(arr: np.ndarray, first_map: int) -> None:
    """Raise what numpy raises for `arr - first_map` (NEP 50: a Python int
    out of range of arr's integer dtype is an OverflowError)."""
    if arr.dtype.kind in "ui":
        np.zeros(0, dtype=arr.dtype) - first_map


def _lut_lookup(arr: np.ndarray, lut: np.ndarray, first_map: int, nr_entries: int,
                diff_dtype: Any, index_dtype: Any) -> np.ndarray:
    """lut[clip(wrap(arr - first_map), 0, nr_entries - 1)] with values below
    first_map taking entry 0 (pydicom's clipped_iv), through the C kernel."""
    src = _native(arr)
    try:
        return _pixels.lut_apply(src, [np.ascontiguousarray(lut)], int(first_map),
                                 int(nr_entries), diff_dtype, index_dtype)
    except PixelDataError as exc:
        raise PixelDataError(f"LUT data too short: {exc}", offset=exc.offset) from None


def _lut_lookup_numpy(arr: np.ndarray, lut: np.ndarray, first_map: int, nr_entries: int,
                      index_dtype: Any, first_map_cast: Any = None) -> np.ndarray:
    """pydicom's own numpy code, for the dtypes the kernel does not take
    (floats, 64-bit integers, bool)."""
    clipped_iv = np.zeros(arr.shape, dtype=index_dtype)
    mapped_pixels = arr >= first_map
    fm = first_map if first_map_cast is None else first_map_cast(first_map)
    clipped_iv[mapped_pixels] = arr[mapped_pixels] - fm
    np.clip(clipped_iv, 0, nr_entries - 1, out=clipped_iv)
    if clipped_iv.size and int(clipped_iv.max()) >= len(lut):
        raise PixelDataError(
            f"LUT data too short: index {int(clipped_iv.max())} past its {len(lut)} entries")
    return lut[clipped_iv]


# ---- palette colour -----------------------------------------------------------------

_PALETTE_FILES = {
    "1.2.840.10008.1.5.1": "hotiron.dcm",
    "1.2.840.10008.1.5.2": "pet.dcm",
    "1.2.840.10008.1.5.3": "hotmetalblue.dcm",
    "1.2.840.10008.1.5.4": "pet20step.dcm",
    "1.2.840.10008.1.5.5": "spring.dcm",
    "1.2.840.10008.1.5.6": "summer.dcm",
    "1.2.840.10008.1.5.7": "fall.dcm",
    "1.2.840.10008.1.5.8": "winter.dcm",
}
_PALETTE_NAMES = {
    "HOT_IRON": "1.2.840.10008.1.5.1",
    "PET": "1.2.840.10008.1.5.2",
    "HOT_METAL_BLUE": "1.2.840.10008.1.5.3",
    "PET_20_STEP": "1.2.840.10008.1.5.4",
    "SPRING": "1.2.840.10008.1.5.5",
    "SUMMER": "1.2.840.10008.1.5.6",
    "FALL": "1.2.840.10008.1.5.7",  # PS3.6 Annex B (pydicom swaps FALL and WINTER)
    "WINTER": "1.2.840.10008.1.5.8",
}


def _palette_dataset(palette: str) -> Any:
    palette = _PALETTE_NAMES.get(str(palette), str(palette))
    try:
        fname = _PALETTE_FILES[palette]
    except KeyError:
        raise ValueError(f"Unknown palette '{palette}'") from None
    try:
        from pydicom.data import get_palette_files
    except ImportError:  # pragma: no cover - pydicom is a test dependency
        raise ValueError(f"The well-known palette '{palette}' is read from pydicom's palette "
                         "files: install pydicom, or pass a dataset") from None
    from dcmfast import dcmread

    return dcmread(get_palette_files(fname)[0])


def apply_color_lut(arr: np.ndarray, ds: Any = None, palette: str | None = None) -> np.ndarray:
    """Apply a colour palette lookup table to `arr` (PS3.3 C.7.6.3.1.5, C.7.9).

    As :func:`pydicom.pixels.processing.apply_color_lut`: the LUTs come from
    `ds` (Palette Color LUT Data or Segmented Palette Color LUT Data, and the
    optional alpha LUT) or from a well-known `palette` name or UID. Returns
    RGB(A) as uint8 or uint16 with shape ``arr.shape + (3 or 4,)``.
    """
    if not ds and not palette:
        raise ValueError("Either 'ds' or 'palette' is required")
    if palette:
        ds = _palette_dataset(palette)

    if getattr(ds, "PixelPresentation", None) in ["MIXED", "COLOR"]:
        raise ValueError(
            "Use of this function with the Supplemental Palette Color Lookup "
            "Table Module is not currently supported"
        )
    if "RedPaletteColorLookupTableDescriptor" not in ds:
        raise ValueError("No suitable Palette Color Lookup Table Module found")

    lut_desc = _as_list(ds.RedPaletteColorLookupTableDescriptor)
    if len(lut_desc) < 3:
        raise ValueError(f"Invalid Red Palette Color Lookup Table Descriptor {lut_desc}")
    nr_entries = int(lut_desc[0]) or 2**16
    first_map = int(lut_desc[1])
    nominal_depth = int(lut_desc[2])
    if nominal_depth not in (8, 16, 32, 64):  # pydicom: TypeError from np.dtype(f"uint{n}")
        raise ValueError(f"Invalid Palette Color LUT Descriptor: {nominal_depth} bits per entry")

    luts: list[np.ndarray] = []
    if "RedPaletteColorLookupTableData" in ds:
        # PS3.3 C.7.6.3.1.6: one entry per descriptor entry, 8 or 16 bits each
        r_lut = ds.RedPaletteColorLookupTableData
        g_lut = ds.GreenPaletteColorLookupTableData
        b_lut = ds.BluePaletteColorLookupTableData
        a_lut = getattr(ds, "AlphaPaletteColorLookupTableData", None)
        actual_depth = len(r_lut) / nr_entries * 8
        if actual_depth not in (8, 16):
            raise ValueError(
                f"The bit depth of the LUT data '{actual_depth:.1f}' "
                "is invalid (only 8 or 16 bits per entry allowed)"
            )
        dtype = np.dtype(f"uint{actual_depth:.0f}")
        for lut_bytes in (r_lut, g_lut, b_lut, a_lut):
            if lut_bytes:
                if len(lut_bytes) % dtype.itemsize:
                    raise ValueError("LUT data must be the same length")
                luts.append(np.frombuffer(lut_bytes, dtype=dtype))
    elif "SegmentedRedPaletteColorLookupTableData" in ds:
        # PS3.3 C.7.9.2
        r_lut = ds.SegmentedRedPaletteColorLookupTableData
        g_lut = ds.SegmentedGreenPaletteColorLookupTableData
        b_lut = ds.SegmentedBluePaletteColorLookupTableData
        a_lut = getattr(ds, "SegmentedAlphaPaletteColorLookupTableData", None)
        little = _little_endian(ds)
        if nominal_depth not in (8, 16):
            raise ValueError(
                f"The bit depth of the LUT data '{float(nominal_depth):.1f}' "
                "is invalid (only 8 or 16 bits per entry allowed)"
            )
        dtype = np.dtype(f"uint{nominal_depth}")
        byte_depth = nominal_depth // 8
        for seg in (r_lut, g_lut, b_lut, a_lut):
            if seg:
                if len(seg) % byte_depth:
                    raise ValueError(f"Segmented LUT data of {len(seg)} bytes is not a whole "
                                     f"number of {nominal_depth}-bit entries")
                lut = _pixels.segmented_lut_expand(bytes(seg), byte_depth, little)
                luts.append(lut.astype(dtype))
    else:
        raise ValueError("No suitable Palette Color Lookup Table Module found")

    lut_lengths = [len(ii) for ii in luts]
    if not all(ii == lut_lengths[0] for ii in lut_lengths[1:]):
        raise ValueError("LUT data must be the same length")

    out_shape = tuple(arr.shape) + (len(luts),)
    if arr.dtype in _C_INT or (arr.dtype.kind in "ui" and arr.dtype.itemsize <= 4):
        src = _native(arr)
        # pydicom: clipped_iv (LUT dtype)[mapped] = arr[mapped] - np.int32(first_map)
        diff = np.result_type(src.dtype, np.int32)
        diff_dtype = diff if diff.itemsize <= 4 else None
        out = np.empty(out_shape, dtype=dtype)
        try:
            return _pixels.lut_apply(src, [np.ascontiguousarray(x) for x in luts], first_map,
                                     nr_entries, diff_dtype, dtype, out)
        except PixelDataError as exc:
            raise PixelDataError(f"Palette Color LUT data too short: {exc}",
                                 offset=exc.offset) from None
    # floats, 64-bit integers, bool: pydicom's numpy code
    clipped_iv = np.zeros(arr.shape, dtype=dtype)
    mapped_pixels = arr >= first_map
    clipped_iv[mapped_pixels] = arr[mapped_pixels] - np.int32(first_map)
    np.clip(clipped_iv, 0, nr_entries - 1, out=clipped_iv)
    if clipped_iv.size and int(clipped_iv.max()) >= lut_lengths[0]:
        raise PixelDataError("Palette Color LUT data too short for the pixel values")
    out = np.empty(out_shape, dtype=dtype)
    for ii, lut in enumerate(luts):
        out[..., ii] = lut[clipped_iv]
    return out


# ---- modality LUT -------------------------------------------------------------------

def _lut_item_data(ds: Any, item: Any, nr_entries: int, dtype: Any, exact: bool) -> np.ndarray:
    """LUT Data of a Modality/VOI LUT Sequence item as pydicom reads it: OW
    data unpacked as nr_entries 16-bit words in the dataset's byte order
    (exactly that many for the modality LUT, at least for the VOI LUT), US
    data as its values."""
    elem = item["LUTData"]
    if _vr(elem) == "OW":
        little = _little_endian(ds)
        raw = item.LUTData
        raw = bytes(raw) if raw is not None else b""
        need = 2 * nr_entries
        if len(raw) < need or (exact and len(raw) != need):
            raise PixelDataError(f"LUT Data holds {len(raw)} bytes, the LUT Descriptor "
                                 f"promises {nr_entries} 16-bit entries")
        values = unpack_from(f"{'><'[little]}{nr_entries}H", raw) if not exact else \
            unpack(f"{'><'[little]}{nr_entries}H", raw)
        return np.asarray(values, dtype=dtype)
    return np.asarray(_as_list(item.LUTData), dtype=dtype)


def apply_modality_lut(arr: np.ndarray, ds: Any) -> np.ndarray:
    """Apply a modality lookup table or rescale operation to `arr` (PS3.3 C.11.1).

    As :func:`pydicom.pixels.processing.apply_modality_lut`: with a Modality
    LUT Sequence the first item's LUT (uint8/uint16 output, by the
    descriptor's bits); else with Rescale Slope and Intercept float64
    ``arr * slope + intercept``; else `arr` unchanged.
    """
    if ds.get("ModalityLUTSequence"):
        item = ds.ModalityLUTSequence[0]
        desc = _as_list(item.LUTDescriptor)
        nr_entries = int(desc[0]) or 2**16
        first_map = int(desc[1])
        nominal_depth = int(desc[2])
        try:
            dtype = np.dtype(f"uint{nominal_depth}")
        except TypeError:
            raise ValueError(f"'{nominal_depth}' bits per Modality LUT entry is not supported")
        lut_data = _lut_item_data(ds, item, nr_entries, dtype, exact=True)
        # pydicom: clipped_iv (arr's dtype)[mapped] = arr[mapped] - first_map
        if arr.dtype in _C_INT and dtype.itemsize <= 2:
            _check_overflow(arr, first_map)
            return _lut_lookup(arr, lut_data, first_map, nr_entries, arr.dtype, arr.dtype)
        return _lut_lookup_numpy(arr, lut_data, first_map, nr_entries, arr.dtype)

    if "RescaleSlope" in ds and "RescaleIntercept" in ds:
        slope, intercept = ds.RescaleSlope, ds.RescaleIntercept
        if arr.dtype in _C_ANY or not arr.dtype.isnative and arr.dtype.newbyteorder("=") in _C_ANY:
            return _pixels.rescale(_native(arr), float(slope), float(intercept)) \
                .reshape(arr.shape)
        arr = arr.astype(np.float64) * slope
        arr += intercept
    return arr


apply_rescale = apply_modality_lut


# ---- VOI LUT ------------------------------------------------------------------------

def apply_voi_lut(arr: np.ndarray, ds: Any, index: int = 0, prefer_lut: bool = True) -> np.ndarray:
    """Apply a VOI lookup table or windowing operation to `arr` (PS3.3 C.11.2).

    As :func:`pydicom.pixels.processing.apply_voi_lut`: a VOI LUT Sequence
    and/or Window Center/Width; with both, `prefer_lut` picks the LUT.
    """
    valid_voi = False
    if ds.get("VOILUTSequence"):
        item = ds.VOILUTSequence[0]
        valid_voi = None not in [item.get("LUTDescriptor", None), item.get("LUTData", None)]
    valid_windowing = None not in [ds.get("WindowCenter", None), ds.get("WindowWidth", None)]

    if valid_voi and valid_windowing:
        if prefer_lut:
            return apply_voi(arr, ds, index)
        return apply_windowing(arr, ds, index)
    if valid_voi:
        return apply_voi(arr, ds, index)
    if valid_windowing:
        return apply_windowing(arr, ds, index)
    return arr


def apply_voi(arr: np.ndarray, ds: Any, index: int = 0) -> np.ndarray:
    """Apply a VOI LUT Sequence item's LUT to `arr` (PS3.3 C.11.2.1.1).

    As :func:`pydicom.pixels.processing.apply_voi`: uint8 output for 8-bit
    entries, uint16 for 10 to 16; `arr` unchanged without the sequence.
    """
    if not ds.get("VOILUTSequence"):
        return arr
    if not np.issubdtype(arr.dtype, np.integer):
        warnings.warn("Applying a VOI LUT on a float input array may give incorrect results",
                      UserWarning, stacklevel=2)

    item = ds.VOILUTSequence[index]
    desc = _as_list(item.LUTDescriptor)
    nr_entries = int(desc[0]) or 2**16
    first_map = int(desc[1])
    nominal_depth = int(desc[2])
    if nominal_depth in range(10, 17):
        dtype = np.dtype("uint16")
    elif nominal_depth == 8:
        dtype = np.dtype("uint8")
    else:
        raise NotImplementedError(f"'{nominal_depth}' bits per LUT entry is not supported")
    lut_data = _lut_item_data(ds, item, nr_entries, dtype, exact=False)
    # pydicom: clipped_iv (LUT dtype)[mapped] = arr[mapped] - first_map
    if arr.dtype in _C_INT:
        _check_overflow(arr, first_map)
        return _lut_lookup(arr, lut_data, first_map, nr_entries, arr.dtype, dtype)
    return _lut_lookup_numpy(arr, lut_data, first_map, nr_entries, dtype)


def apply_windowing(arr: np.ndarray, ds: Any, index: int = 0) -> np.ndarray:
    """Apply Window Center/Width to `arr` (PS3.3 C.11.2.1.2, C.11.2.1.3).

    As :func:`pydicom.pixels.processing.apply_windowing`: LINEAR (default),
    LINEAR_EXACT or SIGMOID into float64, over the output range given by the
    Bits Stored / Pixel Representation (or the Modality LUT's bits) and any
    rescale; `arr` unchanged without a window.
    """
    if "WindowWidth" not in ds and "WindowCenter" not in ds:
        return arr
    if ds.PhotometricInterpretation not in ["MONOCHROME1", "MONOCHROME2"]:
        raise ValueError(
            "When performing a windowing operation only 'MONOCHROME1' and "
            "'MONOCHROME2' are allowed for (0028,0004) Photometric "
            "Interpretation"
        )
    voi_func = getattr(ds, "VOILUTFunction", "LINEAR").upper()
    elem = ds["WindowCenter"]
    center = elem.value[index] if elem.VM > 1 else elem.value
    elem = ds["WindowWidth"]
    width = elem.value[index] if elem.VM > 1 else elem.value

    bits_stored = ds.BitsStored
    if ds.get("ModalityLUTSequence"):
        y_min = 0
        item = ds.ModalityLUTSequence[0]
        y_max = 2 ** _as_list(item.LUTDescriptor)[2] - 1
    elif ds.PixelRepresentation == 0:
        y_min = 0
        y_max = 2**bits_stored - 1
    else:
        y_min = -(2 ** (bits_stored - 1))
        y_max = 2 ** (bits_stored - 1) - 1

    slope = ds.get("RescaleSlope", None)
    intercept = ds.get("RescaleIntercept", None)
    if slope is not None and intercept is not None:
        y_min = y_min * ds.RescaleSlope + ds.RescaleIntercept
        y_max = y_max * ds.RescaleSlope + ds.RescaleIntercept
    y_range = y_max - y_min

    if voi_func in ["LINEAR", "LINEAR_EXACT"]:
        if voi_func == "LINEAR":
            if width < 1:
                raise ValueError(
                    "The (0028,1051) Window Width must be greater than or "
                    "equal to 1 for a 'LINEAR' windowing operation"
                )
        elif width <= 0:
            raise ValueError(
                "The (0028,1051) Window Width must be greater than 0 "
                "for a 'LINEAR_EXACT' windowing operation"
            )
    elif voi_func == "SIGMOID":
        if width <= 0:
            raise ValueError(
                "The (0028,1051) Window Width must be greater than 0 "
                "for a 'SIGMOID' windowing operation"
            )
    else:
        raise ValueError(f"Unsupported (0028,1056) VOI LUT Function value '{voi_func}'")

    src = arr
    if not src.dtype.isnative:
        src = src.astype(src.dtype.newbyteorder("="))
    if src.dtype in _C_ANY:
        out = _pixels.window(np.ascontiguousarray(src), voi_func, float(center), float(width),
                             float(y_min), float(y_max), float(y_range))
        return out.reshape(arr.shape)
    return _windowing_numpy(arr, voi_func, center, width, y_min, y_max, y_range)


def _windowing_numpy(arr: np.ndarray, voi_func: str, center: Any, width: Any, y_min: Any,
                     y_max: Any, y_range: Any) -> np.ndarray:
    """pydicom's own numpy code, for dtypes the kernel does not read."""
    arr = arr.astype("float64")
    if voi_func in ["LINEAR", "LINEAR_EXACT"]:
        if voi_func == "LINEAR":
            center -= 0.5
            width -= 1
        below = arr <= (center - width / 2)
        above = arr > (center + width / 2)
        between = np.logical_and(~below, ~above)
        arr[below] = y_min
        arr[above] = y_max
        if between.any():
            arr[between] = ((arr[between] - center) / width + 0.5) * y_range + y_min
        return arr
    return y_range / (1 + np.exp(-4 * (arr - center) / width)) + y_min
