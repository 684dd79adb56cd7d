"""retrieve_series_volume: the straight-to-slice path and the decode fallback,
checked against dcmfast's own pixel decoding (offline, httpx.MockTransport)."""
from __future__ import annotations

import io
import os

import httpx
import numpy as np
import pytest

import dcmfast
from dcmfast.web import Client
from dcmfast.web.multipart import encode_multipart
from dcmfast.web.volume import VolumeAssembler, _permute

SAMPLE = os.path.join(os.path.dirname(dcmfast.__file__), "data", "samples", "ct_explicit_le.dcm")


def _series(n=6, *, bits_stored=None, signed=None, syntax=None, implicit=False, shuffle=True,
            trailing=False):
    """Part 10 bytes of n slices (positions shuffled), and the expected volume in slice order."""
    rng = np.random.default_rng(3)
    out, expected = [], []
    for i in range(n):
        ds = dcmfast.dcmread(SAMPLE)
        if bits_stored is not None:
            ds.BitsStored = bits_stored
            ds.HighBit = bits_stored - 1
        if signed is not None:
            ds.PixelRepresentation = int(signed)
        rows, cols = int(ds.Rows), int(ds.Columns)
        raw = rng.integers(0, 65536, size=(rows, cols), dtype=np.uint16)  # garbage in the high bits too
        ds.PixelData = raw.tobytes()
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"1.2.3.4.{i}"
        ds.ImagePositionPatient = ["0", "0", str(10 * i)]
        ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
        if trailing:
            ds.add_new(0xFFFAFFFA, "SQ", [])  # Digital Signatures Sequence after Pixel Data
        buf = io.BytesIO()
        if implicit:
            ds.save_as(buf, transfer_syntax="1.2.840.10008.1.2")
        else:
            ds.save_as(buf)
        data = buf.getvalue()
        if syntax == "rle":
            from dcmfast.transcode import compress

            ds2 = dcmfast.dcmread(data)
            compress(ds2, "1.2.840.10008.1.2.5")
            buf = io.BytesIO()
            ds2.save_as(buf)
            data = buf.getvalue()
        out.append(data)
        expected.append(dcmfast.dcmread(data).pixel_array)
    order = rng.permutation(n) if shuffle else np.arange(n)
    return [out[i] for i in order], np.stack(expected)


def _client(datas, chunk=None):
    chunks, _ = encode_multipart([(d, "application/dicom") for d in datas], "BB")
    body = b"".join(chunks)
    headers = {"content-type": 'multipart/related; type="application/dicom"; boundary=BB'}

    def handler(request):
        if chunk:
            return httpx.Response(200, headers=headers,
                                  content=iter([body[i:i + chunk] for i in range(0, len(body), chunk)]))
        return httpx.Response(200, headers=headers, content=body)

    return Client("http://x/rs", transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("kwargs", [
    {}, {"bits_stored": 12, "signed": True}, {"bits_stored": 12, "signed": False},
    {"bits_stored": 10, "signed": True, "implicit": True}, {"trailing": True}, {"syntax": "rle"},
], ids=["int16", "bs12-signed", "bs12-unsigned", "implicit-bs10", "after-pixels", "rle"])
@pytest.mark.parametrize("chunk", [None, 1000])
def test_volume_matches_pixel_array(kwargs, chunk):
    datas, expected = _series(**kwargs)
    volume, datasets = _client(datas, chunk).retrieve_series_volume("1", "2")
    assert volume.dtype == expected.dtype and volume.shape == expected.shape
    assert np.array_equal(volume, expected)
    assert [float(d.ImagePositionPatient[2]) for d in datasets] == [10.0 * i for i in range(len(datas))]
    assert all(0x7FE00010 not in d for d in datasets)


def test_tiny_chunks():
    datas, expected = _series(3)
    volume, _ = _client(datas, 7).retrieve_series_volume("1", "2")
    assert np.array_equal(volume, expected)


def test_fast_path_is_taken_for_native_data():
    datas, expected = _series(4)
    from dcmfast.web.multipart import MultipartParser

    asm = VolumeAssembler()
    parser = MultipartParser("BB", asm)
    chunks, _ = encode_multipart([(d, "application/dicom") for d in datas], "BB")
    for c in chunks:
        parser.feed(bytes(c))
    parser.close()
    volume, _ = asm.finish()
    assert asm.fast == 4 and np.array_equal(volume, expected)
    asm = VolumeAssembler()
    parser = MultipartParser("BB", asm)
    datas, expected = _series(3, syntax="rle")
    chunks, _ = encode_multipart([(d, "application/dicom") for d in datas], "BB")
    for c in chunks:
        parser.feed(bytes(c))
    parser.close()
    assert asm.fast == 0 and np.array_equal(asm.finish()[0], expected)


def test_growth_beyond_the_estimate():
    datas, expected = _series(5, shuffle=False)
    from dcmfast.web.multipart import MultipartParser

    asm = VolumeAssembler(total_length=len(datas[0]))  # estimate: ~1-3 slices
    parser = MultipartParser("BB", asm)
    chunks, _ = encode_multipart([(d, "application/dicom") for d in datas], "BB")
    parser.feed(b"".join(bytes(c) for c in chunks))
    parser.close()
    assert np.array_equal(asm.finish()[0], expected)


@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_permute(n):
    rng = np.random.default_rng(n)
    for _ in range(5):
        order = list(rng.permutation(n))
        vol = np.arange(n * 4).reshape(n, 2, 2)
        want = vol[order].copy()
        _permute(vol, order)
        assert np.array_equal(vol, want)


def test_truncated_volume_raises():
    datas, _ = _series(2)
    chunks, _ = encode_multipart([(d, "application/dicom") for d in datas], "BB")
    body = b"".join(chunks)[:-1000]
    c = Client("http://x/rs", transport=httpx.MockTransport(lambda r: httpx.Response(
        200, headers={"content-type": 'multipart/related; type="application/dicom"; boundary=BB'},
        content=body)))
    with pytest.raises(dcmfast.InvalidDicomError, match="truncated"):
        c.retrieve_series_volume("1", "2")
