"""Client behaviour on malformed or truncated answers, without a server
(httpx.MockTransport): clear errors, and nothing half-written on disk."""
from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

import dcmfast
from dcmfast.web import Client, HTTPError, MultipartError, TransportError
from dcmfast.web.multipart import encode_multipart

SAMPLES = os.path.join(os.path.dirname(dcmfast.__file__), "data", "samples")


def _instances():
    paths = [os.path.join(SAMPLES, n) for n in ("ct_explicit_le.dcm", "mr_iso2022_japanese.dcm")]
    return [Path(p).read_bytes() for p in paths]


def _client(handler):
    return Client("http://dicomweb.test/rs", transport=httpx.MockTransport(handler))


def _multipart(datas, boundary="XYZ"):
    chunks, _ = encode_multipart([(d, "application/dicom") for d in datas], boundary)
    return b"".join(chunks), {"content-type": f'multipart/related; type="application/dicom"; boundary={boundary}'}


def test_retrieve_and_save(tmp_path):
    datas = _instances()
    body, headers = _multipart(datas)
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, headers=headers, content=body)

    c = _client(handler)
    got = list(c.retrieve_series("1.2", "3.4"))
    assert [str(d.SOPInstanceUID) for d in got] == [str(dcmfast.dcmread(d).SOPInstanceUID) for d in datas]
    assert seen[0].headers["accept-encoding"] == "identity"
    assert seen[0].headers["accept"] == 'multipart/related; type="application/dicom"'
    assert seen[0].url.path == "/rs/studies/1.2/series/3.4"
    paths = c.save_instances(tmp_path, "1.2", "3.4")
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(p) for p in paths)
    assert dcmfast.dcmread(paths[0]).SOPInstanceUID == got[0].SOPInstanceUID


@pytest.mark.parametrize("cut", [30, 200, -300, -10])
def test_truncated_multipart_leaves_nothing_half_written(tmp_path, cut):
    datas = _instances()
    body, headers = _multipart(datas)
    body = body[:cut]
    c = _client(lambda request: httpx.Response(200, headers=headers, content=body))
    with pytest.raises(MultipartError, match="truncated"):
        list(c.retrieve_series("1.2", "3.4"))
    written = []
    with pytest.raises(MultipartError, match="truncated"):
        for path in c.iter_save_instances(tmp_path, "1.2", "3.4"):
            written.append(path)
    # only complete instances are there; no temporary file is left
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(p) for p in written)
    for path in written:
        dcmfast.dcmread(path)


def test_connection_dropped_mid_body(tmp_path):
    datas = _instances()
    body, headers = _multipart(datas)

    def stream():
        yield body[:len(datas[0]) + 500]
        raise httpx.ReadError("connection reset by peer")

    c = _client(lambda request: httpx.Response(200, headers=headers, content=stream()))
    with pytest.raises(MultipartError, match="truncated") as info:
        c.save_instances(tmp_path, "1.2")
    assert isinstance(info.value.__cause__, httpx.ReadError)
    assert all(not name.endswith(".tmp") for name in os.listdir(tmp_path))
    assert len(os.listdir(tmp_path)) == 1


def test_a_part_that_is_not_dicom(tmp_path):
    body, headers = _multipart([b"definitely not DICOM" * 20])
    c = _client(lambda request: httpx.Response(200, headers=headers, content=body))
    with pytest.raises(dcmfast.InvalidDicomError):
        list(c.retrieve_study("1.2"))
    with pytest.raises(dcmfast.InvalidDicomError):
        c.save_instances(tmp_path, "1.2")
    assert os.listdir(tmp_path) == []


def test_http_error_message_from_text_and_json():
    def handler(request):
        if "json" in request.url.path:
            return httpx.Response(403, json={"message": "forbidden for you", "code": 7})
        return httpx.Response(503, text="  service\n unavailable  ")

    c = _client(handler)
    with pytest.raises(HTTPError) as info:
        c.retrieve_study_metadata("json")
    assert info.value.status_code == 403 and info.value.message == "forbidden for you"
    with pytest.raises(HTTPError) as info:
        list(c.retrieve_study("text"))
    assert info.value.status_code == 503 and info.value.message == "service unavailable"
    assert "HTTP 503" in str(info.value) and info.value.method == "GET"


def test_transport_error():
    def handler(request):
        raise httpx.ConnectError("refused")

    with pytest.raises(TransportError, match="refused"):
        _client(handler).search_for_studies()


def test_not_multipart_single_part():
    data = _instances()[0]
    c = _client(lambda r: httpx.Response(200, headers={"content-type": "application/dicom"},
                                         content=data))
    (ds,) = list(c.retrieve_study("1"))
    assert ds.SOPInstanceUID == dcmfast.dcmread(data).SOPInstanceUID


def test_qido_query_string():
    urls = []

    def handler(request):
        urls.append(str(request.url))
        return httpx.Response(200, json=[])

    c = _client(handler)
    assert c.search_for_series("1.2.3", search_filters={"PatientName": "DOE^J*", 0x00080060: ["CT", "MR"],
                                                         "StudyDescription": "a&b=c d+e"},
                               fields=["all", 0x00100020], limit=5, offset=10,
                               fuzzymatching=True) == []
    assert urls == ["http://dicomweb.test/rs/studies/1.2.3/series?PatientName=DOE^J*&00080060=CT,MR"
                    "&StudyDescription=a%26b%3Dc%20d%2Be&includefield=all&includefield=00100020"
                    "&limit=5&offset=10&fuzzymatching=true"]


def test_store_batches_and_request_format():
    datas = _instances() * 3
    bodies = []

    def handler(request):
        assert request.headers["content-type"].startswith('multipart/related; type="application/dicom"; boundary=')
        assert int(request.headers["content-length"]) == len(request.content)
        bodies.append(request.content)
        from dcmfast.web.multipart import boundary_of, iter_parts

        parts = list(iter_parts([request.content], boundary_of(request.headers["content-type"])))
        items = []
        for p in parts:
            ds = dcmfast.dcmread(bytes(p.content))
            items.append({"00081150": {"vr": "UI", "Value": [str(ds.SOPClassUID)]},
                          "00081155": {"vr": "UI", "Value": [str(ds.SOPInstanceUID)]}})
        return httpx.Response(200, json={"00081199": {"vr": "SQ", "Value": items}})

    c = _client(handler)
    result = c.store_instances(datas, batch_size=4)
    assert len(bodies) == 2 and len(result.stored) == 6 and result.ok
    assert result.status_codes == [200, 200]
    assert len(result.ReferencedSOPSequence) == 6


def test_store_http_error_without_response_dataset():
    c = _client(lambda r: httpx.Response(413, text="Payload Too Large"))
    with pytest.raises(HTTPError) as info:
        c.store_instances(_instances())
    assert info.value.status_code == 413
    result = c.store_instances(_instances(), raise_on_failure=False)
    assert len(result.failed) == 2 and "413" in result.failed[0].message


def test_store_warning_and_failure_reasons():
    datas = _instances()
    uids = [str(dcmfast.dcmread(d).SOPInstanceUID) for d in datas]
    answer = {"00081199": {"vr": "SQ", "Value": [
        {"00081155": {"vr": "UI", "Value": [uids[0]]}, "00081196": {"vr": "US", "Value": [0xB000]}}]},
        "00081198": {"vr": "SQ", "Value": [
            {"00081155": {"vr": "UI", "Value": [uids[1]]}, "00081197": {"vr": "US", "Value": [0xA900]}}]}}
    c = _client(lambda r: httpx.Response(202, json=answer))
    result = c.store_instances(datas, raise_on_failure=False)
    assert [w.warning_reason for w in result.warnings] == [0xB000]
    (failure,) = result.failed
    assert failure.failure_reason == 0xA900 and "does not match" in failure.message
    assert failure.sop_instance_uid == uids[1]


def test_auth_and_headers_are_sent():
    seen = []

    def handler(request):
        seen.append(request)
        if "authorization" not in request.headers:
            return httpx.Response(401, json={"Message": "Unauthorized"})
        return httpx.Response(200, json=[])

    with Client("http://x/rs", transport=httpx.MockTransport(handler), auth=("user", "secret"),
                headers={"X-Trace": "1", "Accept-Encoding": "gzip"}) as c:
        assert c.search_for_studies() == []
    assert seen[-1].headers["authorization"].startswith("Basic ")
    assert seen[-1].headers["x-trace"] == "1" and seen[-1].headers["accept-encoding"] == "gzip"
    with pytest.raises(HTTPError) as info:
        Client("http://x/rs", transport=httpx.MockTransport(handler)).search_for_studies()
    assert info.value.status_code == 401 and info.value.message == "Unauthorized"


def test_parallel_store_keeps_input_order(tmp_path):
    import random
    import time

    from dcmfast.web.multipart import boundary_of, iter_parts

    paths = []
    for i in range(7):
        ds = dcmfast.dcmread(os.path.join(SAMPLES, "ct_explicit_le.dcm"))
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"1.2.3.{i}"
        paths.append(str(tmp_path / f"{i}.dcm"))
        ds.save_as(paths[-1])

    def handler(request):
        time.sleep(random.random() * 0.02)
        items = []
        for p in iter_parts([request.content], boundary_of(request.headers["content-type"])):
            uid = str(dcmfast.dcmread(bytes(p.content)).SOPInstanceUID)
            items.append({"00081155": {"vr": "UI", "Value": [uid]}})
        key = "00081198" if items[0]["00081155"]["Value"][0] == "1.2.3.2" else "00081199"
        return httpx.Response(200, json={key: {"vr": "SQ", "Value": items}})

    result = _client(handler).store_instances(paths, batch_size=2, workers=3,
                                              raise_on_failure=False)
    assert [s.source for s in result.stored] == paths[:2] + paths[4:]
    assert [f.source for f in result.failed] == paths[2:4]
    assert len(result.status_codes) == 4
    with pytest.raises(HTTPError):
        _client(lambda r: httpx.Response(500, text="boom")).store_instances(paths, batch_size=2,
                                                                             workers=3)
