"""csrc/native.c through _pixels.native_unpack, and the pixel pipeline on
hand-built data sets: every Bits Allocated, byte order, Bits Stored / High
Bit, signedness, planar configuration and bit-packed frame boundary."""
from __future__ import annotations

import io

import numpy as np
import pytest

import dcmfast
from dcmfast import _pixels

pydicom = pytest.importorskip("pydicom")
from pydicom.dataset import Dataset as PDataset, FileMetaDataset  # noqa: E402
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, generate_uid  # noqa: E402


def reference(raw: np.ndarray, bits_stored: int, high_bit: int, signed: bool) -> np.ndarray:
    """PS3.5 8.1.1 in numpy: the stored bits HighBit-BitsStored+1..HighBit,
    sign-extended when signed."""
    ba = raw.dtype.itemsize * 8
    u = raw.view(f"u{raw.dtype.itemsize}").astype(np.uint64)
    shift = high_bit + 1 - bits_stored
    v = (u >> np.uint64(shift)) & np.uint64((1 << bits_stored) - 1 if bits_stored < 64 else 2**64 - 1)
    if signed:
        sign = np.uint64(1 << (bits_stored - 1))
        ext = np.uint64((2**64 - 1) ^ ((1 << bits_stored) - 1 if bits_stored < 64 else 2**64 - 1))
        v = np.where(v & sign, v | ext, v)
    return v.astype(np.uint64).astype(f"u{ba // 8}").view(f"{'i' if signed else 'u'}{ba // 8}")


CASES = [(ba, bs, hb) for ba in (8, 16, 32, 64)
         for bs, hb in {(ba, ba - 1), (ba - 4, ba - 5), (ba - 4, ba - 1), (1, 0), (ba // 2, ba - 3)}
         if 1 <= bs <= ba and bs - 1 <= hb < ba]


@pytest.mark.parametrize("ba,bs,hb", CASES)
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("big", [False, True])
def test_unpack_masks_and_sign_extends(ba, bs, hb, signed, big):
    rng = np.random.default_rng(ba * 1000 + bs * 10 + hb)
    n = 257
    raw = rng.integers(0, 2**63, n, dtype=np.uint64).astype(f"u{ba // 8}")
    src = raw.astype(f"{'>' if big else '<'}u{ba // 8}").tobytes()
    out = np.empty(n, dtype=f"{'i' if signed else 'u'}{ba // 8}")
    _pixels.native_unpack(src, 0, out, n, 1, ba, bs, hb, signed, big_endian=big,
                          correct_bits=True)
    np.testing.assert_array_equal(out, reference(raw, bs, hb, signed))


@pytest.mark.parametrize("ba", [8, 16, 32])
@pytest.mark.parametrize("big", [False, True])
def test_planar_configuration_1_is_interleaved(ba, big):
    rows, cols, frames = 3, 5, 2
    rng = np.random.default_rng(ba)
    planes = rng.integers(0, 2**(ba - 1), (frames, 3, rows, cols)).astype(f"u{ba // 8}")
    src = planes.astype(f"{'>' if big else '<'}u{ba // 8}").tobytes()
    out = np.empty((frames, rows, cols, 3), dtype=f"u{ba // 8}")
    _pixels.native_unpack(src, 0, out, frames * rows * cols, 3, ba, ba, ba - 1, False,
                          big_endian=big, planar=True, frame_pixels=rows * cols)
    np.testing.assert_array_equal(out, planes.transpose(0, 2, 3, 1))


@pytest.mark.parametrize("start", [0, 1, 3, 7, 8, 13])
@pytest.mark.parametrize("count", [1, 7, 8, 9, 64, 100])
def test_bit_unpacking_from_any_bit(start, count):
    rng = np.random.default_rng(start * 100 + count)
    packed = rng.integers(0, 256, 32, dtype=np.uint8)
    out = np.empty(count, dtype=np.uint8)
    _pixels.native_unpack(packed.tobytes(), start, out, count, 1, 1, 1, 0, False)
    np.testing.assert_array_equal(out, np.unpackbits(packed, bitorder="little")[start:start + count])


def test_big_endian_ow_with_8_bit_samples():
    # PS3.5 7.3: OW words are swapped as a whole, so 8-bit samples come in pairs
    samples = np.arange(1, 8, dtype=np.uint8)  # odd count: a pad byte follows
    value = samples.tobytes() + b"\x00"
    swapped = np.frombuffer(value, ">u2").astype("<u2").tobytes()
    out = np.empty(7, np.uint8)
    _pixels.native_unpack(swapped, 0, out, 7, 1, 8, 8, 7, False, big_endian=True, swap_ow8=True)
    np.testing.assert_array_equal(out, samples)
    out = np.empty(3, np.uint8)  # a frame starting at an odd byte
    _pixels.native_unpack(swapped, 3, out, 3, 1, 8, 8, 7, False, big_endian=True, swap_ow8=True)
    np.testing.assert_array_equal(out, samples[3:6])


@pytest.mark.parametrize("ba", [32, 64])
def test_float_data_is_only_byte_swapped(ba):
    values = np.array([1.5, -2.25, np.inf, 1e-30], dtype=f"f{ba // 8}")
    out = np.empty(4, dtype=f"f{ba // 8}")
    _pixels.native_unpack(values.astype(f">f{ba // 8}").tobytes(), 0, out, 4, 1, ba, ba, ba - 1,
                          False, is_float=True, big_endian=True)
    np.testing.assert_array_equal(out, values)


def test_kernel_checks_sizes():
    out = np.empty(10, np.uint16)
    with pytest.raises(dcmfast.PixelDataError, match="shorter"):
        _pixels.native_unpack(b"\x00" * 19, 0, out, 10, 1, 16, 16, 15, False)
    with pytest.raises(dcmfast.PixelDataError):
        _pixels.native_unpack(b"\x00" * 40, 0, out, 11, 1, 16, 16, 15, False)
    with pytest.raises(dcmfast.PixelDataError):
        _pixels.native_unpack(b"\x00" * 40, 30, out, 10, 1, 16, 16, 15, False)
    with pytest.raises(dcmfast.PixelDataError):  # bits stored above bits allocated
        _pixels.native_unpack(b"\x00" * 40, 0, out, 10, 1, 16, 17, 16, False)
    with pytest.raises(dcmfast.PixelDataError):  # bit-packed input too short
        _pixels.native_unpack(b"\xff", 1, np.empty(8, np.uint8), 8, 1, 1, 1, 0, False)


# -- the pipeline on whole data sets ------------------------------------------------

def make(arr: np.ndarray, *, ba: int, bs: int | None = None, hb: int | None = None,
         signed: bool = False, photometric: str = "MONOCHROME2", planar: int = 0,
         big: bool = False, frames: int | None = None, raw: bytes | None = None) -> bytes:
    """A Part 10 file (written by pydicom) holding ``arr`` as native pixels."""
    ds = PDataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian if big else ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    shape = arr.shape
    samples = 3 if photometric in ("RGB", "YBR_FULL") else 1
    nf = frames if frames is not None else (shape[0] if arr.ndim == (4 if samples == 3 else 3) else 1)
    ds.Rows, ds.Columns = shape[-3:-1] if samples == 3 else shape[-2:]
    ds.SamplesPerPixel = samples
    if samples == 3:
        ds.PlanarConfiguration = planar
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = ba
    ds.BitsStored = bs if bs is not None else (ba if ba != 1 else 1)
    ds.HighBit = hb if hb is not None else ds.BitsStored - 1
    ds.PixelRepresentation = int(signed)
    if nf > 1 or frames is not None:
        ds.NumberOfFrames = nf
    if raw is None:
        if ba == 1:
            raw = np.packbits(arr.reshape(-1), bitorder="little").tobytes()
        else:
            a = arr
            if samples == 3 and planar:
                a = np.moveaxis(arr, -1, -3)
            raw = a.astype(a.dtype.newbyteorder(">" if big else "<")).tobytes()
    ds.PixelData = raw + (b"\x00" if len(raw) % 2 else b"")
    ds["PixelData"].VR = "OB" if ba <= 8 else "OW"
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def both(data: bytes):
    ours = dcmfast.dcmread(data).pixel_array
    theirs = pydicom.dcmread(io.BytesIO(data)).pixel_array
    return ours, theirs


@pytest.mark.parametrize("big", [False, True])
@pytest.mark.parametrize("planar", [0, 1])
def test_rgb_multiframe_matches_pydicom(big, planar):
    arr = np.random.default_rng(1).integers(0, 65535, (3, 4, 5, 3)).astype(np.uint16)
    ours, theirs = both(make(arr, ba=16, photometric="RGB", planar=planar, big=big))
    assert ours.shape == theirs.shape == arr.shape
    np.testing.assert_array_equal(ours, arr)
    np.testing.assert_array_equal(ours, theirs)


def test_bits_stored_12_signed_with_garbage_matches_pydicom():
    rng = np.random.default_rng(2)
    values = rng.integers(-2048, 2048, (8, 9)).astype(np.int16)
    garbage = (rng.integers(0, 16, (8, 9)).astype(np.uint16) << 12)
    raw = ((values.view(np.uint16) & 0x0FFF) | garbage).astype("<u2").tobytes()
    data = make(values, ba=16, bs=12, hb=11, signed=True, raw=raw)
    ours, theirs = both(data)
    np.testing.assert_array_equal(ours, values)
    np.testing.assert_array_equal(ours, theirs)


def test_high_bit_above_bits_stored_follows_the_standard():
    # Deliberate difference: pydicom keeps the LOW BitsStored bits whatever
    # HighBit says; PS3.5 8.1.1 puts the stored bits at HighBit-BitsStored+1..HighBit.
    values = np.array([[0, 1, 2047, 4095]], dtype=np.uint16)
    raw = (values << 4).astype("<u2").tobytes()
    ours = dcmfast.dcmread(make(values, ba=16, bs=12, hb=15, raw=raw)).pixel_array
    np.testing.assert_array_equal(ours, values)


@pytest.mark.parametrize("rows,cols,frames", [(3, 5, 4), (4, 4, 3), (1, 1, 9)])
def test_one_bit_frames_starting_mid_byte(rows, cols, frames):
    arr = np.random.default_rng(rows * cols).integers(0, 2, (frames, rows, cols)).astype(np.uint8)
    data = make(arr, ba=1, frames=frames)
    ds = dcmfast.dcmread(data)
    ours, theirs = both(data)
    np.testing.assert_array_equal(ours.reshape(arr.shape), arr)
    np.testing.assert_array_equal(ours, theirs)
    for i in range(frames):
        np.testing.assert_array_equal(ds.frame(i), arr[i])
    np.testing.assert_array_equal(np.stack(list(ds.iter_frames())).reshape(arr.shape), arr)


def test_frames_threads_out_and_view():
    arr = np.random.default_rng(3).integers(0, 4096, (6, 16, 16)).astype(np.uint16)
    data = make(arr, ba=16)
    ds = dcmfast.dcmread(data)
    np.testing.assert_array_equal(ds.frame(4), arr[4])
    with pytest.raises(IndexError):
        ds.frame(6)
    with pytest.raises(ValueError):
        ds.frame(-1)
    np.testing.assert_array_equal(dcmfast.pixel_array(ds, threads=2), arr)
    out = np.zeros_like(arr)
    res = dcmfast.pixel_array(ds, out=out)
    assert res is out
    np.testing.assert_array_equal(out, arr)
    with pytest.raises(ValueError, match="shape"):
        dcmfast.pixel_array(ds, out=np.zeros((6, 16, 15), np.uint16))
    view = dcmfast.pixel_array(ds, view=True)
    assert not view.flags.writeable and not view.flags.owndata
    np.testing.assert_array_equal(view, arr)
    np.testing.assert_array_equal(dcmfast.pixel_array(ds, index=2, view=True), arr[2])


def test_view_of_a_mapped_file(tmp_path):
    arr = np.random.default_rng(4).integers(0, 4096, (64, 600)).astype(np.uint16)
    path = tmp_path / "big.dcm"
    path.write_bytes(make(arr, ba=16))  # > 64 KB: memory-mapped
    view = dcmfast.pixel_array(str(path), view=True)
    assert not view.flags.writeable
    np.testing.assert_array_equal(view, arr)


def test_pixel_array_is_cached_until_pixel_data_changes():
    arr = np.arange(16, dtype=np.uint16).reshape(4, 4)
    ds = dcmfast.dcmread(make(arr, ba=16))
    first = ds.pixel_array
    assert ds.pixel_array is first
    ds.PixelData = (arr + 1).astype("<u2").tobytes()
    np.testing.assert_array_equal(ds.pixel_array, arr + 1)


def test_missing_module_elements_raise_clear_errors():
    ds = dcmfast.dcmread(make(np.zeros((2, 2), np.uint8), ba=8))
    del ds.BitsAllocated
    with pytest.raises(AttributeError, match="BitsAllocated"):
        ds.pixel_array
    ds = dcmfast.dcmread(make(np.zeros((2, 2), np.uint8), ba=8))
    del ds.PixelData
    with pytest.raises(AttributeError, match="no 'Pixel Data'"):
        ds.pixel_array


@pytest.mark.parametrize("name", ["CT_small.dcm", "mlut_18.dcm", "vlut_04.dcm", "MR_small.dcm"])
def test_rescale_and_voi_options_match_pydicom(name):
    from pydicom.data import get_testdata_file
    from pydicom.pixels import apply_modality_lut, apply_voi_lut

    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"{name} missing")
    pds = pydicom.dcmread(path)
    modality = apply_modality_lut(pds.pixel_array, pds)
    np.testing.assert_array_equal(dcmfast.pixel_array(path, rescale=True), modality)
    voi = apply_voi_lut(modality, pds)
    ours = dcmfast.pixel_array(path, voi=True)
    assert ours.dtype == voi.dtype
    np.testing.assert_array_equal(ours, voi)
