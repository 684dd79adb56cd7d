"""The streaming multipart/related parser: splits, padding, errors, linear time."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, strategies as st

import dcmfast
from dcmfast.web.multipart import (MultipartParser, boundary_of, encode_multipart, iter_parts,
                                   parse_content_type)
from dcmfast.web.errors import DICOMwebError, MultipartError

BOUNDARY = "b0undary-42"


def body_of(parts, boundary=BOUNDARY, *, lengths=True, preamble=b"", epilogue=b"",
            padding=b"", close=True):
    out = [preamble + (b"\r\n" if preamble else b"")]
    for content, ctype in parts:
        head = f"--{boundary}".encode() + padding + b"\r\n"
        head += f"Content-Type: {ctype}\r\n".encode()
        if lengths:
            head += f"Content-Length: {len(content)}\r\n".encode()
        out += [head, b"\r\n", content, b"\r\n"]
    if close:
        out.append(f"--{boundary}--".encode() + padding + b"\r\n" + epilogue)
    return b"".join(out)


def parse(body, chunk=None, boundary=BOUNDARY, **kwargs):
    parser = MultipartParser(boundary, **kwargs)
    out = []
    chunk = chunk or max(1, len(body))
    for i in range(0, len(body), chunk):
        out += parser.feed(body[i:i + chunk])
    out += parser.close()
    return out, parser


PARTS = [(b"first part\r\n--b0undary-4 not the boundary", "application/dicom"),
         (b"", "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"),
         (os.urandom(300), "image/jls"),
         (b"--b0undary-42", "text/plain")]  # the boundary text, without the CRLF before it


@pytest.mark.parametrize("lengths", [True, False], ids=["content-length", "scanned"])
def test_every_split_position(lengths):
    body = body_of(PARTS, lengths=lengths, preamble=b"a preamble", epilogue=b"an epilogue\r\n")
    expected = [c for c, _ in PARTS]
    for cut in range(len(body) + 1):  # two chunks, split at every byte
        parser = MultipartParser(BOUNDARY)
        got = parser.feed(body[:cut]) + parser.feed(body[cut:]) + parser.close()
        assert [bytes(p.content) for p in got] == expected, cut
    for size in (1, 2, 3, 5, 17, 64):
        got, _ = parse(body, size)
        assert [bytes(p.content) for p in got] == expected


def test_part_headers_and_media_types():
    got, _ = parse(body_of(PARTS))
    assert got[0].media_type == "application/dicom"
    assert got[1].transfer_syntax == "1.2.840.10008.1.2.1"
    assert got[2].headers["content-length"] == "300"
    assert "application/dicom" in repr(got[0])


def test_transport_padding_and_no_headers():
    body = (b"--" + BOUNDARY.encode() + b" \t \r\n\r\nno headers here\r\n--" + BOUNDARY.encode()
            + b"  \r\nContent-type: text/plain\r\n\r\nsecond\r\n--" + BOUNDARY.encode() + b"--")
    got, _ = parse(body, 3)
    assert [bytes(p.content) for p in got] == [b"no headers here", b"second"]
    assert got[0].headers == {} and got[1].media_type == "text/plain"


def test_folded_header():
    body = (b"--B\r\nContent-Type: multipart/related;\r\n type=x\r\n\r\nx\r\n--B--")
    (part,), _ = parse(body, 1, boundary="B")
    assert part.content_type == "multipart/related; type=x"


@pytest.mark.parametrize("cut", [0, 5, 20, 60, -30, -9, -3])
def test_truncated_body(cut):
    body = body_of(PARTS[:1] + [(b"x" * 50, "a/b")])
    truncated = body[:cut] if cut else b""
    with pytest.raises(MultipartError) as info:
        parse(truncated, 7)
    assert "truncated" in str(info.value)
    assert isinstance(info.value, dcmfast.InvalidDicomError)
    assert isinstance(info.value, DICOMwebError)


def test_missing_final_boundary():
    body = body_of(PARTS, close=False) + b"--" + BOUNDARY.encode() + b"\r\n"
    with pytest.raises(MultipartError, match="truncated"):
        parse(body)
    body = body_of(PARTS, close=False)[:-2]  # ends right after the last part's data
    with pytest.raises(MultipartError, match="truncated"):
        parse(body, 11)
    with pytest.raises(MultipartError, match="final boundary"):
        parse(body_of(PARTS, close=False) + b"--" + BOUNDARY.encode())


def test_malformed():
    with pytest.raises(MultipartError, match="no boundary"):
        parse(b"just some text, no boundary at all" * 10, 4)
    with pytest.raises(MultipartError, match="garbage after a boundary"):
        parse(b"--" + BOUNDARY.encode() + b"XYZ\r\n\r\ndata\r\n--" + BOUNDARY.encode() + b"--")
    with pytest.raises(MultipartError, match="malformed part header"):
        parse(b"--B\r\nno colon here\r\n\r\ndata\r\n--B--", boundary="B")
    with pytest.raises(MultipartError, match="Content-Length"):
        parse(b"--B\r\nContent-Length: 3\r\n\r\nlonger than three\r\n--B--", boundary="B")
    with pytest.raises(MultipartError, match="Content-Length"):
        parse(b"--B\r\nContent-Length: x1\r\n\r\nabc\r\n--B--", boundary="B")
    with pytest.raises(MultipartError, match="headers longer"):
        parse(b"--B\r\nX: " + b"y" * 100_000, 1000, boundary="B")
    with pytest.raises(MultipartError, match="max_part_bytes"):
        parse(body_of([(b"z" * 1000, "a/b")], lengths=False), 64, max_part_bytes=100)


def test_content_type_parsing():
    ctype = ('multipart/related; type="application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1";'
             ' boundary=abc-123')
    media, params = parse_content_type(ctype)
    assert media == "multipart/related" and params["boundary"] == "abc-123"
    assert params["type"] == "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"
    assert boundary_of('multipart/related; boundary="quoted b"') == b"quoted b"
    with pytest.raises(MultipartError, match="not a multipart"):
        boundary_of("application/dicom")
    with pytest.raises(MultipartError, match="boundary"):
        boundary_of("multipart/related; type=x")


def test_sink_abort_on_error():
    events = []

    class Sink:
        def __init__(self, headers, length):
            events.append("open")

        def write(self, data):
            events.append(len(data))

        def finish(self):
            events.append("finish")
            return "done"

        def abort(self):
            events.append("abort")

    body = body_of([(b"a" * 10, "x/y"), (b"b" * 10, "x/y")])
    parser = MultipartParser(BOUNDARY, Sink)
    assert parser.feed(body[:-25]) == ["done"]  # inside the second part's data
    with pytest.raises(MultipartError):
        parser.close()
    assert events[-1] == "abort" and events.count("finish") == 1


def test_iter_parts_and_encode_roundtrip():
    chunks, total = encode_multipart([(b"abc", "a/b"), (memoryview(b"defg"), "c/d")], "zz")
    body = b"".join(bytes(c) for c in chunks)
    assert len(body) == total
    got = list(iter_parts([body[i:i + 5] for i in range(0, len(body), 5)], "zz"))
    assert [bytes(p.content) for p in got] == [b"abc", b"defg"]


@pytest.mark.parametrize("lengths", [False, True], ids=["scanned", "content-length"])
def test_linear_time_huge_part(lengths):
    """A 50 MB part in 64 KiB chunks: the bytes searched for the delimiter stay
    ~ the body size (a parser re-scanning its buffer per chunk would search
    ~ N^2 / 2 chunk = 20 GB here); with a Content-Length nothing is scanned."""
    size, chunk = 50 * 1024 * 1024, 65536
    content = bytes(range(256)) * (size // 256)
    body = body_of([(content, "application/dicom"), (b"tail", "a/b")], lengths=lengths)
    parser = MultipartParser(BOUNDARY)
    got = []
    view = memoryview(body)
    for i in range(0, len(body), chunk):
        got += parser.feed(view[i:i + chunk])
    got += parser.close()
    assert len(got) == 2 and len(got[0].content) == size and got[0].content == content
    overlap = (len(body) // chunk + 1) * 2 * (len(BOUNDARY) + 4)  # held-back bytes + next ones
    if lengths:
        assert parser.bytes_scanned < 4096
    else:
        assert size <= parser.bytes_scanned <= len(body) + overlap


@given(st.lists(st.binary(max_size=200), max_size=5), st.lists(st.integers(1, 50), min_size=1),
       st.booleans(), st.binary(max_size=30))
def test_fuzz_roundtrip(contents, chunk_sizes, lengths, preamble):
    parts = [(c, "application/dicom") for c in contents]
    body = body_of(parts, lengths=lengths, preamble=preamble.replace(b"--", b"").replace(b"\r", b""))
    parser = MultipartParser(BOUNDARY)
    got, pos, k = [], 0, 0
    while pos < len(body):
        size = chunk_sizes[k % len(chunk_sizes)]
        got += parser.feed(body[pos:pos + size])
        pos += size
        k += 1
    got += parser.close()
    assert [bytes(p.content) for p in got] == contents


@given(st.binary(max_size=400), st.integers(1, 40))
def test_fuzz_garbage_never_crashes(data, chunk):
    """Arbitrary bytes: parts or a MultipartError, never anything else."""
    body = b"--" + BOUNDARY.encode() + data
    try:
        parse(body, chunk)
    except MultipartError:
        pass


@given(st.binary(min_size=1, max_size=300), st.integers(0, 300))
def test_fuzz_truncation_always_detected(content, cut):
    body = body_of([(content, "a/b")], lengths=False)
    cut = min(cut, len(body) - 3)  # anything shorter than the close delimiter's end
    with pytest.raises(MultipartError):
        parse(body[:cut], 7)
