"""The DICOMweb client: QIDO-RS search, WADO-RS retrieve, STOW-RS store (PS3.18).

One :class:`httpx.Client` per :class:`Client` (connections are reused).
``Accept-Encoding: identity`` is sent unless the caller's headers say
otherwise: some servers (Orthanc) gzip answers when offered, which costs far
more CPU than the transfer saves on a fast link, and DICOM pixel data hardly
compresses with gzip anyway.

Method names and arguments follow dicomweb-client's ``DICOMwebClient``, with
dcmfast Datasets instead of JSON dicts / pydicom Datasets.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import uuid
import warnings
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence as SequenceT

from dcmfast.dataelem import DataElement
from dcmfast.dataset import Dataset, FileMetaDataset
from dcmfast.errors import InvalidDicomError
from dcmfast.sequence import Sequence
from dcmfast.web.dicomjson import from_json
from dcmfast.web.errors import DICOMwebError, HTTPError, MultipartError, StoreError, TransportError
from dcmfast.web.multipart import BytesSink, MultipartParser, Part, encode_multipart, parse_content_type

__all__ = ["Client", "StoreResult", "StoredInstance", "FailedInstance", "ResponseIterator",
           "TRANSFER_SYNTAX_MEDIA_TYPES"]

_DICOM = "application/dicom"
_JSON = "application/dicom+json"
_OCTET = "application/octet-stream"
_EXPLICIT_LE = "1.2.840.10008.1.2.1"

#: frame/bulk media types -> the transfer syntax they stand for when the part
#: carries no transfer-syntax parameter (PS3.18 table 8.7.3-2)
TRANSFER_SYNTAX_MEDIA_TYPES = {
    "application/octet-stream": _EXPLICIT_LE,
    "image/jpeg": "1.2.840.10008.1.2.4.50",
    "image/jls": "1.2.840.10008.1.2.4.80",
    "image/x-jls": "1.2.840.10008.1.2.4.80",
    "image/jp2": "1.2.840.10008.1.2.4.90",
    "image/jpx": "1.2.840.10008.1.2.4.92",
    "image/jphc": "1.2.840.10008.1.2.4.201",
    "image/dicom-rle": "1.2.840.10008.1.2.5",
    "image/x-dicom-rle": "1.2.840.10008.1.2.5",
}
_NATIVE_SYNTAXES = frozenset(["1.2.840.10008.1.2", _EXPLICIT_LE, "1.2.840.10008.1.2.2",
                              "1.2.840.10008.1.2.1.99"])
#: the Image Pixel module elements a frame is decoded with (PS3.3 C.7.6.3)
_PIXEL_MODULE_TAGS = (0x00280002, 0x00280004, 0x00280006, 0x00280010, 0x00280011, 0x00280100,
                      0x00280101, 0x00280102, 0x00280103)
#: STOW-RS failure reasons (PS3.18 table I.2-1, PS3.4 B.2.3)
FAILURE_REASONS = {
    0x0110: "Processing failure", 0x0112: "No such SOP instance", 0x0122: "SOP class not supported",
    0x0124: "Not authorized", 0x0210: "Duplicate invocation", 0x0211: "Unrecognized operation",
    0x0212: "Mistyped argument", 0xA700: "Out of resources", 0xA770: "Out of resources",
    0xA900: "Data set does not match SOP class", 0xC000: "Cannot understand",
    0xC122: "Referenced transfer syntax not supported",
}
WARNING_REASONS = {0xB000: "Coercion of data elements", 0xB006: "Elements discarded",
                   0xB007: "Data set does not match SOP class"}


def _httpx() -> Any:
    try:
        import httpx
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("dcmfast.web needs httpx: pip install 'dcmfast[web]' (or httpx)") from exc
    return httpx


def _server_message(body: bytes, content_type: str) -> str:
    """The server's own words from an error body (JSON fields, else text)."""
    text = body[:8192].decode("utf-8", "replace").strip()
    if not text:
        return ""
    try:
        obj = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:500]
    if isinstance(obj, dict):
        parts = []
        for key in ("Message", "message", "error", "Error", "Details", "details", "detail",
                    "errorMessage"):
            val = obj.get(key)
            if isinstance(val, str) and val and val not in parts:
                parts.append(val)
        if parts:
            return ": ".join(parts)[:500]
    return " ".join(text.split())[:500]


def _query_string(params: list[tuple[str, str]]) -> str:
    """``?k=v&...`` with wildcards (``*``, ``?``), ``^`` and ``,`` left as they are:
    some servers (Orthanc) do not decode ``%2A`` in a query, so ``1CT*`` must
    stay literal; ``&``, ``=``, ``+``, ``%``, ``#`` and spaces are escaped."""
    if not params:
        return ""
    from urllib.parse import quote

    return "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='*?^,-._~:/')}" for k, v in params)


def _uid_path(*uids: str | None) -> str:
    path = ""
    for name, uid in zip(("studies", "series", "instances"), uids):
        if uid is None:
            break
        uid = str(uid).strip()
        if not uid or "/" in uid or "?" in uid or "#" in uid:
            raise ValueError(f"invalid UID {uid!r}")
        path += f"/{name}/{uid}"
    return path


def _frame_syntax(part: Part) -> str:
    media, params = parse_content_type(part.content_type)
    ts = params.get("transfer-syntax")
    if ts and ts != "*":
        return ts
    return TRANSFER_SYNTAX_MEDIA_TYPES.get(media or _OCTET, _EXPLICIT_LE)


def _sort_key(ds: Dataset, normal: Any) -> tuple:
    pos = ds.get("ImagePositionPatient")
    if normal is not None and pos is not None and len(pos) == 3:
        return (0, sum(float(p) * n for p, n in zip(pos, normal)), ds.get("InstanceNumber") or 0)
    return (1, ds.get("InstanceNumber") or 0, str(ds.get("SOPInstanceUID", "")))


def _slice_normal(ds: Dataset) -> Any:
    iop = ds.get("ImageOrientationPatient")
    if iop is None or len(iop) != 6:
        return None
    r, c = [float(v) for v in iop[:3]], [float(v) for v in iop[3:]]
    return (r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0])


# ---------------------------------------------------------------------------------------
# response streaming
# ---------------------------------------------------------------------------------------
class ResponseIterator:
    """Iterator over the parts of one (multipart) response, read as they arrive.

    The request has been sent and its status checked when this is returned;
    the body is read chunk by chunk while iterating. ``close()`` (or leaving a
    ``with`` block, or exhausting it) releases the connection; a part being
    written to a file is then removed.
    """

    def __init__(self, response: Any, convert: Callable[[Any], Any],
                 sink_factory: Callable[..., Any] | None = None) -> None:
        self._response = response
        self._convert = convert
        self._pending: deque = deque()
        self._parser: MultipartParser | None = None
        self._done = False
        self.content_type = response.headers.get("content-type", "")
        media, _ = parse_content_type(self.content_type)
        # iter_bytes: raw chunks as they come when the answer is not encoded (a
        # server ignoring Accept-Encoding: identity is decoded)
        self._chunks = response.iter_bytes()
        self._received = 0
        if media.startswith("multipart/"):
            from dcmfast.web.multipart import boundary_of

            self._parser = MultipartParser(boundary_of(self.content_type), sink_factory)
        else:  # a single, bare part (a server answering without multipart)
            self._single = (sink_factory or BytesSink)({"content-type": self.content_type}, None)

    def __iter__(self) -> "ResponseIterator":
        return self

    def __enter__(self) -> "ResponseIterator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def _read_more(self) -> bool:
        httpx = _httpx()
        try:
            chunk = next(self._chunks, None)
        except httpx.TransportError as exc:
            raise MultipartError(
                f"truncated response body: the connection failed after {self._received} bytes "
                f"({type(exc).__name__}: {exc})", offset=self._received) from exc
        if chunk is None:
            return False
        self._received += len(chunk)
        if self._parser is not None:
            self._pending.extend(self._parser.feed(chunk))
        else:
            self._single.write(chunk)
        return True

    def __next__(self) -> Any:
        try:
            while not self._pending:
                if self._done:
                    raise StopIteration
                if not self._read_more():
                    self._done = True
                    if self._parser is not None:
                        self._pending.extend(self._parser.close())
                    else:
                        self._pending.append(self._single.finish())
                    self._response.close()
            return self._convert(self._pending.popleft())
        except StopIteration:
            raise
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._parser is not None:
            self._parser.abort()
        elif not self._done and getattr(self, "_single", None) is not None:
            self._single.abort()
        for part in self._pending:  # parsed but never handed out (files): drop them
            content = getattr(part, "content", None)
            if isinstance(content, str) and content.endswith(".tmp"):
                _unlink(content)
        self._pending.clear()
        self._done = True
        self._response.close()


#: bytes asked of the socket per read for streamed bodies (httpcore's default is 64 KiB)
READ_SIZE = 256 * 1024


def _tune_read_size(response: Any) -> None:
    """Best effort: let httpcore read a streamed body in READ_SIZE pieces.

    Fewer, larger reads cut the per-chunk work of httpcore/h11 and of the
    multipart parser by ~4x on a fast link. This reaches into httpcore's
    connection object (HTTP11Connection.READ_NUM_BYTES, a class attribute set
    here on the instance, so only this client's connections change); if the
    layout differs (another httpx/httpcore version, HTTP/2, a mock
    transport) nothing is changed.
    """
    try:
        conn = response.stream._stream._httpcore_stream._stream._connection
        if isinstance(getattr(type(conn), "READ_NUM_BYTES", None), int):
            conn.READ_NUM_BYTES = READ_SIZE
    except AttributeError:
        pass


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class _FileSink:
    """Writes a part to a temporary file in ``folder`` (renamed by the caller)."""

    def __init__(self, folder: str, headers: dict[str, str], length: int | None) -> None:
        self.headers = headers
        fd, self.path = tempfile.mkstemp(dir=folder, prefix=".dcmfast-", suffix=".tmp")
        self.file = os.fdopen(fd, "wb", buffering=0)

    def write(self, data: Any) -> None:
        view = memoryview(data)
        while view.nbytes:
            n = self.file.write(view)
            view = view[n:]

    def finish(self) -> Part:
        self.file.close()
        return Part(self.headers, self.path)

    def abort(self) -> None:
        if self.file is not None:
            self.file.close()
        _unlink(self.path)


# ---------------------------------------------------------------------------------------
# STOW results
# ---------------------------------------------------------------------------------------
@dataclass
class StoredInstance:
    """An instance the server stored (from its ReferencedSOPSequence)."""
    sop_instance_uid: str
    sop_class_uid: str | None = None
    retrieve_url: str | None = None
    warning_reason: int | None = None
    source: Any = None


@dataclass
class FailedInstance:
    """An instance that was not stored: the server's FailureReason, or why not."""
    sop_instance_uid: str | None
    sop_class_uid: str | None = None
    failure_reason: int | None = None
    message: str = ""
    status_code: int | None = None
    source: Any = None

    def __str__(self) -> str:
        what = self.source if self.source is not None else self.sop_instance_uid
        reason = f"FailureReason 0x{self.failure_reason:04X} " if self.failure_reason is not None else ""
        return f"{what}: {reason}{self.message}".strip()


class StoreResult(Dataset):
    """The STOW-RS response as a Dataset (the batches' responses merged:
    RetrieveURL of the first, ReferencedSOPSequence and FailedSOPSequence of
    all), with the outcome per instance: ``stored``, ``failed``, ``warnings``
    (stored with a WarningReason), ``responses`` (one Dataset per batch) and
    ``status_codes``. ``ok`` is True when nothing failed."""

    def __init__(self) -> None:
        super().__init__()
        object.__setattr__(self, "stored", [])
        object.__setattr__(self, "failed", [])
        object.__setattr__(self, "responses", [])
        object.__setattr__(self, "status_codes", [])

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def warnings(self) -> list:
        return [s for s in self.stored if s.warning_reason is not None]

    def _merge(self, response: Dataset) -> None:
        self.responses.append(response)
        for keyword in ("ReferencedSOPSequence", "FailedSOPSequence"):
            items = response.get(keyword)
            if items:
                if keyword not in self:
                    setattr(self, keyword, Sequence())
                getattr(self, keyword).extend(items)
        for elem in response:
            if elem.tag not in self:
                self[elem.tag] = elem


# ---------------------------------------------------------------------------------------
# the client
# ---------------------------------------------------------------------------------------
class Client:
    """A DICOMweb client.

    Parameters
    ----------
    url : str
        The service root, e.g. ``"http://127.0.0.1:8042/dicom-web"``.
    auth : optional
        Anything httpx takes as ``auth`` (a ``(user, password)`` tuple,
        ``httpx.Auth``...).
    headers : dict, optional
        Headers sent with every request (they override the defaults, e.g.
        ``{"Accept-Encoding": "gzip"}``).
    timeout : float or httpx.Timeout
        Seconds (connect, read, write, pool).
    verify : bool, str or ssl.SSLContext
        TLS verification, as httpx.
    qido_url_prefix, wado_url_prefix, stow_url_prefix : str, optional
        Path prefixes of the services, when they differ (dicomweb-client's
        arguments of the same name).
    max_workers : int
        Threads for parallel frame retrieval (``workers=`` of
        :meth:`retrieve_instance_frames`).
    max_part_bytes : int, optional
        Refuse response parts larger than this (bounded memory).
    transport : httpx.BaseTransport, optional
        For tests (e.g. ``httpx.MockTransport``).
    """

    def __init__(self, url: str, *, auth: Any = None, headers: dict | None = None,
                 timeout: Any = 60.0, verify: Any = True, qido_url_prefix: str | None = None,
                 wado_url_prefix: str | None = None, stow_url_prefix: str | None = None,
                 max_workers: int = 4, max_part_bytes: int | None = None,
                 transport: Any = None, **httpx_kwargs: Any) -> None:
        httpx = _httpx()
        self.base_url = url.rstrip("/")
        default = {"Accept-Encoding": "identity", "User-Agent": "dcmfast.web"}
        default.update(headers or {})
        kwargs = dict(auth=auth, headers=default, timeout=timeout, verify=verify,
                      follow_redirects=True, **httpx_kwargs)
        if transport is not None:
            kwargs["transport"] = transport
        self._http = httpx.Client(**kwargs)
        self.qido_url = self._join(qido_url_prefix)
        self.wado_url = self._join(wado_url_prefix)
        self.stow_url = self._join(stow_url_prefix)
        self.max_workers = max(1, int(max_workers))
        self.max_part_bytes = max_part_bytes
        self._metadata_cache: dict[str, Dataset] = {}

    def _join(self, prefix: str | None) -> str:
        return self.base_url + ("/" + prefix.strip("/") if prefix else "")

    # -- plumbing ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<dcmfast.web.Client {self.base_url}>"

    def _check(self, response: Any) -> None:
        if response.status_code < 400:
            return
        try:
            body = response.read()
        except Exception:  # noqa: BLE001 - the status is what matters
            body = b""
        response.close()
        request = response.request
        raise HTTPError(response.status_code,
                        _server_message(body, response.headers.get("content-type", "")),
                        method=request.method, url=str(request.url), body=body[:4096],
                        reason=response.reason_phrase)

    def _request(self, method: str, url: str, *, headers: dict | None = None, params: Any = None,
                 content: Any = None, check: bool = True) -> Any:
        httpx = _httpx()
        try:
            response = self._http.request(method, url, headers=headers, params=params, content=content)
        except httpx.TransportError as exc:
            raise TransportError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
        if check:
            self._check(response)
        return response

    def _stream(self, url: str, accept: str, *, params: Any = None,
                convert: Callable[[Any], Any] = lambda p: p,
                sink_factory: Callable[..., Any] | None = None,
                headers: dict | None = None) -> ResponseIterator:
        httpx = _httpx()
        request = self._http.build_request("GET", url, headers={"Accept": accept, **(headers or {})},
                                           params=params)
        try:
            response = self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise TransportError(f"GET {url}: {type(exc).__name__}: {exc}") from exc
        self._check(response)
        _tune_read_size(response)
        if sink_factory is None:
            max_part = self.max_part_bytes
            total = response.headers.get("content-length")
            cap = int(total) if total and total.isdigit() else 1 << 30

            def sink_factory(headers: dict, length: int | None) -> BytesSink:
                if max_part is not None and length is not None and length > max_part:
                    raise MultipartError(f"response part of {length} bytes exceeds max_part_bytes")
                return BytesSink(headers, length, max_prealloc=min(cap, 1 << 30))
        try:
            return ResponseIterator(response, convert, sink_factory)
        except BaseException:
            response.close()
            raise

    def _get_json(self, url: str, params: Any = None) -> Any:
        response = self._request("GET", url, headers={"Accept": _JSON}, params=params)
        if response.status_code == 204 or not response.content.strip():
            return []
        try:
            return response.json()
        except ValueError as exc:
            raise DICOMwebError(f"GET {url}: the answer is not JSON: {exc}") from None

    def _bulk_loader(self, uri: str) -> bytes:
        parts = self.retrieve_bulkdata(uri)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _datasets_from_json(self, obj: Any) -> list[Dataset]:
        if isinstance(obj, dict):
            obj = [obj]
        if not isinstance(obj, list):
            raise InvalidDicomError("DICOM JSON answer is not a list of data sets")
        return [from_json(item, self._bulk_loader) for item in obj]

    @staticmethod
    def _accept_dicom(transfer_syntax: str | None, media_types: Any) -> str:
        return Client._accept(media_types, _DICOM, transfer_syntax)

    @staticmethod
    def _accept(media_types: Any, default: str, transfer_syntax: str | None = None) -> str:
        """An Accept header for multipart/related answers.

        ``media_types``: None, a media type, or a sequence of media types or
        ``(media_type, transfer_syntax_uid)`` tuples (dicomweb-client's form).
        """
        if media_types is None:
            media_types = [(default, transfer_syntax)] if transfer_syntax else [default]
        elif isinstance(media_types, str):
            media_types = [(media_types, transfer_syntax)] if transfer_syntax else [media_types]
        ranges = []
        for item in media_types:
            media, ts = (item, None) if isinstance(item, str) else (item[0], item[1] if len(item) > 1 else None)
            text = f'multipart/related; type="{media}"'
            if ts:
                text += f"; transfer-syntax={ts}"
            ranges.append(text)
        return ", ".join(ranges)

    # -- QIDO-RS ----------------------------------------------------------------------------
    @staticmethod
    def _query_params(search_filters: dict | None, fields: Iterable[str] | None, limit: int | None,
                      offset: int | None, fuzzymatching: bool | None) -> list[tuple[str, str]]:
        params: list[tuple[str, str]] = []
        for key, value in (search_filters or {}).items():
            if isinstance(key, int):
                key = f"{key:08X}"
            if isinstance(value, (list, tuple)):
                value = ",".join(str(v) for v in value)
            params.append((str(key), str(value)))
        for field in fields or ():
            params.append(("includefield", f"{field:08X}" if isinstance(field, int) else str(field)))
        if limit is not None:
            params.append(("limit", str(int(limit))))
        if offset is not None:
            params.append(("offset", str(int(offset))))
        if fuzzymatching is not None:
            params.append(("fuzzymatching", "true" if fuzzymatching else "false"))
        return params

    def iter_search(self, url_path: str = "/studies", *, search_filters: dict | None = None,
                    fields: Iterable[str] | None = None, limit: int | None = None,
                    offset: int | None = None, fuzzymatching: bool | None = None,
                    get_remaining: bool = False) -> Iterator[Dataset]:
        """QIDO-RS at ``qido_url + url_path``, yielding each match as a Dataset.

        With ``get_remaining`` pages are requested (``offset`` advanced by the
        matches received) until the server returns none.
        """
        url = self.qido_url + url_path
        fields = list(fields) if fields is not None else None
        start = int(offset or 0)
        previous_first: Any = None
        while True:
            params = self._query_params(search_filters, fields, limit, start if (offset is not None or start) else None,
                                        fuzzymatching)
            page = self._get_json(url + _query_string(params))
            if not isinstance(page, list):
                raise DICOMwebError(f"GET {url}: QIDO-RS answer is not a JSON array")
            if not page:
                return
            first = json.dumps(page[0], sort_keys=True)
            if first == previous_first:  # a server that ignores offset
                return
            previous_first = first
            yield from self._datasets_from_json(page)
            if not get_remaining or (limit is not None and len(page) < limit):
                return
            start += len(page)

    def search_for_studies(self, *, search_filters: dict | None = None, limit: int | None = None,
                           offset: int | None = None, fields: Iterable[str] | None = None,
                           fuzzymatching: bool | None = None,
                           get_remaining: bool = False) -> list[Dataset]:
        """QIDO-RS: the matching studies (study-level attributes) as Datasets."""
        return list(self.iter_search("/studies", search_filters=search_filters, fields=fields,
                                     limit=limit, offset=offset, fuzzymatching=fuzzymatching,
                                     get_remaining=get_remaining))

    def search_for_series(self, study_instance_uid: str | None = None, *,
                          search_filters: dict | None = None, limit: int | None = None,
                          offset: int | None = None, fields: Iterable[str] | None = None,
                          fuzzymatching: bool | None = None,
                          get_remaining: bool = False) -> list[Dataset]:
        """QIDO-RS: the matching series (of one study, or all) as Datasets."""
        path = (_uid_path(study_instance_uid) if study_instance_uid else "") + "/series"
        return list(self.iter_search(path, search_filters=search_filters, fields=fields, limit=limit,
                                     offset=offset, fuzzymatching=fuzzymatching,
                                     get_remaining=get_remaining))

    def search_for_instances(self, study_instance_uid: str | None = None,
                             series_instance_uid: str | None = None, *,
                             search_filters: dict | None = None, limit: int | None = None,
                             offset: int | None = None, fields: Iterable[str] | None = None,
                             fuzzymatching: bool | None = None,
                             get_remaining: bool = False) -> list[Dataset]:
        """QIDO-RS: the matching instances (of a study / series, or all) as Datasets."""
        if series_instance_uid is not None and study_instance_uid is None:
            raise ValueError("series_instance_uid needs study_instance_uid")
        path = (_uid_path(study_instance_uid, series_instance_uid) if study_instance_uid else "")
        path += "/instances"
        return list(self.iter_search(path, search_filters=search_filters, fields=fields, limit=limit,
                                     offset=offset, fuzzymatching=fuzzymatching,
                                     get_remaining=get_remaining))

    # -- WADO-RS: instances -------------------------------------------------------------------
    @staticmethod
    def _part_dataset(part: Part) -> Dataset:
        from dcmfast.filereader import dcmread

        media = part.media_type
        if media and media not in (_DICOM, "application/octet-stream"):
            raise DICOMwebError(f"expected an application/dicom part, got {part.content_type!r}")
        try:
            return dcmread(part.content)
        except InvalidDicomError as exc:
            raise type(exc)(f"a retrieved part is not a valid DICOM instance: {exc}",
                            offset=exc.offset, tag=exc.tag) from None

    def _retrieve(self, path: str, transfer_syntax: str | None, media_types: Any) -> ResponseIterator:
        return self._stream(self.wado_url + path, self._accept_dicom(transfer_syntax, media_types),
                            convert=self._part_dataset)

    def retrieve_study(self, study_instance_uid: str, *, media_types: Any = None,
                       transfer_syntax: str | None = None) -> ResponseIterator:
        """WADO-RS: the instances of a study, as an iterator of Datasets read as they arrive.

        ``transfer_syntax`` asks the server for that syntax (``"*"``: any, the
        stored one); ``media_types`` is dicomweb-client's form of the same.
        """
        return self._retrieve(_uid_path(study_instance_uid), transfer_syntax, media_types)

    def retrieve_series(self, study_instance_uid: str, series_instance_uid: str, *,
                        media_types: Any = None, transfer_syntax: str | None = None) -> ResponseIterator:
        """WADO-RS: the instances of a series, as an iterator of Datasets."""
        return self._retrieve(_uid_path(study_instance_uid, series_instance_uid), transfer_syntax,
                              media_types)

    def retrieve_instance(self, study_instance_uid: str, series_instance_uid: str,
                          sop_instance_uid: str, *, media_types: Any = None,
                          transfer_syntax: str | None = None) -> Dataset:
        """WADO-RS: one instance as a Dataset."""
        with self._retrieve(_uid_path(study_instance_uid, series_instance_uid, sop_instance_uid),
                            transfer_syntax, media_types) as parts:
            items = list(parts)
        if len(items) != 1:
            raise DICOMwebError(f"expected one instance, the server sent {len(items)}")
        return items[0]

    def iter_study(self, study_instance_uid: str, **kwargs: Any) -> ResponseIterator:
        """dicomweb-client's name for :meth:`retrieve_study` (already an iterator here)."""
        return self.retrieve_study(study_instance_uid, **kwargs)

    def iter_series(self, study_instance_uid: str, series_instance_uid: str,
                    **kwargs: Any) -> ResponseIterator:
        """dicomweb-client's name for :meth:`retrieve_series` (already an iterator here)."""
        return self.retrieve_series(study_instance_uid, series_instance_uid, **kwargs)

    def save_instances(self, directory: str | os.PathLike, study_instance_uid: str,
                       series_instance_uid: str | None = None, sop_instance_uid: str | None = None, *,
                       media_types: Any = None, transfer_syntax: str | None = None,
                       overwrite: bool = True) -> list[str]:
        """WADO-RS straight to files: each instance of the study / series /
        instance is written to ``directory/<SOPInstanceUID>.dcm`` as it arrives,
        without holding more than one chunk in memory. Returns the paths written
        (:meth:`iter_save_instances` yields each one as soon as it is complete).

        Each file is written under a temporary name and renamed when its part
        is complete, so an interrupted or malformed response leaves no partial
        file (the error is raised: MultipartError, HTTPError...). The files are
        the server's Part 10 files as sent; ``transfer_syntax="*"`` asks for
        them as stored (the default, per PS3.18, is Explicit VR Little Endian,
        which a server may have to transcode to).
        """
        return list(self.iter_save_instances(directory, study_instance_uid, series_instance_uid,
                                             sop_instance_uid, media_types=media_types,
                                             transfer_syntax=transfer_syntax, overwrite=overwrite))

    def iter_save_instances(self, directory: str | os.PathLike, study_instance_uid: str,
                            series_instance_uid: str | None = None,
                            sop_instance_uid: str | None = None, *, media_types: Any = None,
                            transfer_syntax: str | None = None,
                            overwrite: bool = True) -> Iterator[str]:
        """:meth:`save_instances`, yielding each path as its file is complete
        (the request is sent when iteration starts)."""
        from dcmfast.filereader import dcmread, read_file_meta_info

        folder = os.fspath(directory)
        os.makedirs(folder, exist_ok=True)
        path = _uid_path(study_instance_uid, series_instance_uid, sop_instance_uid)

        def place(part: Part) -> str:
            tmp = part.content
            try:
                try:
                    meta = read_file_meta_info(tmp)
                    sop = meta.get("MediaStorageSOPInstanceUID")
                    if not sop:
                        sop = dcmread(tmp, stop_before_pixels=True).get("SOPInstanceUID")
                except InvalidDicomError as exc:
                    raise type(exc)(f"a retrieved part is not a valid DICOM file: {exc}",
                                    offset=exc.offset, tag=exc.tag) from None
                name = str(sop).strip() if sop else uuid.uuid4().hex
                if not name or "/" in name or name.startswith("."):
                    name = uuid.uuid4().hex
                target = os.path.join(folder, name + ".dcm")
                if not overwrite and os.path.exists(target):
                    raise FileExistsError(target)
                os.replace(tmp, target)
                return target
            except BaseException:
                _unlink(tmp)
                raise

        stream = self._stream(self.wado_url + path, self._accept_dicom(transfer_syntax, media_types),
                              convert=place,
                              sink_factory=lambda headers, length: _FileSink(folder, headers, length))
        with stream:
            yield from stream

    def retrieve_series_volume(self, study_instance_uid: str, series_instance_uid: str, *,
                               transfer_syntax: str | None = "*",
                               rescale: bool = False) -> tuple[Any, list[Dataset]]:
        """WADO-RS a series of single-frame images into one array, as it downloads.

        Returns ``(volume, datasets)``: the pixels of every instance stacked
        along the slice normal (Image Position / Orientation Patient; else by
        Instance Number), shape ``(slices, rows, columns[, samples])`` with
        dcmfast's (pydicom's) dtype, and the instances in the same order
        without their Pixel Data (the values are in the volume). Native pixel
        data go from the network straight into their slice (see
        :mod:`dcmfast.web.volume`); compressed ones are decoded into it.
        ``transfer_syntax`` defaults to ``"*"`` (as stored: no transcoding by
        the server). ``rescale=True`` applies the first instance's Modality LUT.
        """
        from dcmfast.web.volume import VolumeAssembler

        assembler = VolumeAssembler()
        stream = self._stream(self.wado_url + _uid_path(study_instance_uid, series_instance_uid),
                              self._accept_dicom(transfer_syntax, None), sink_factory=assembler)
        total = stream._response.headers.get("content-length")
        assembler.total = int(total) if total and total.isdigit() else None
        with stream:
            for _ in stream:
                pass
        if not assembler.count:
            raise DICOMwebError("the series has no instances")
        volume, datasets = assembler.finish()
        if rescale:
            from dcmfast import processing

            volume = processing.apply_modality_lut(volume, datasets[0])
        return volume, datasets

    # -- WADO-RS: metadata -----------------------------------------------------------------------
    def retrieve_study_metadata(self, study_instance_uid: str) -> list[Dataset]:
        """WADO-RS: the metadata (DICOM JSON) of every instance of a study.

        BulkDataURI elements are fetched when first read.
        """
        return self._datasets_from_json(
            self._get_json(self.wado_url + _uid_path(study_instance_uid) + "/metadata"))

    def retrieve_series_metadata(self, study_instance_uid: str, series_instance_uid: str) -> list[Dataset]:
        """WADO-RS: the metadata of every instance of a series (list of Datasets)."""
        return self._datasets_from_json(self._get_json(
            self.wado_url + _uid_path(study_instance_uid, series_instance_uid) + "/metadata"))

    def retrieve_instance_metadata(self, study_instance_uid: str, series_instance_uid: str,
                                   sop_instance_uid: str) -> Dataset:
        """WADO-RS: the metadata of one instance as a Dataset."""
        items = self._datasets_from_json(self._get_json(
            self.wado_url + _uid_path(study_instance_uid, series_instance_uid, sop_instance_uid)
            + "/metadata"))
        if len(items) != 1:
            raise DICOMwebError(f"expected the metadata of one instance, got {len(items)}")
        return items[0]

    # -- WADO-RS: bulk data, frames, rendered --------------------------------------------------
    def retrieve_bulkdata(self, url: str, *, media_types: Any = None,
                          byte_range: tuple[int, int] | None = None) -> list[bytes]:
        """WADO-RS: the bulk data at ``url`` (a BulkDataURI), one bytes per part."""
        if not url.startswith(("http://", "https://")):
            url = self.wado_url + "/" + url.lstrip("/")
        extra = {"Range": f"bytes={byte_range[0]}-{byte_range[1]}"} if byte_range else None
        stream = self._stream(url, self._accept(media_types, _OCTET), headers=extra)
        with stream:
            return [bytes(part.content) for part in stream]

    def _frame_dataset(self, meta: Dataset, part: Part) -> Dataset:
        from dcmfast.transcode import encapsulate

        ds = Dataset()
        for tag in _PIXEL_MODULE_TAGS:
            elem = meta._lookup(tag) if hasattr(meta, "_lookup") else None
            if elem is not None and elem.value is not None and elem.value != "":
                ds[tag] = DataElement(tag, elem.VR, elem.value)
        ds.NumberOfFrames = 1
        ts = _frame_syntax(part)
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ts
        data = part.content
        if ts in _NATIVE_SYNTAXES:
            bits = ds.get("BitsAllocated") or 16
            ds[0x7FE00010] = DataElement(0x7FE00010, "OW" if bits > 8 else "OB", bytes(data))
        else:
            ds[0x7FE00010] = DataElement(0x7FE00010, "OB", encapsulate([bytes(data)]),
                                         is_undefined_length=True)
        return ds

    def _decode_frame(self, meta: Dataset, part: Part, as_rgb: bool) -> Any:
        from dcmfast import pixels

        ds = self._frame_dataset(meta, part)
        return pixels.decode(ds, as_rgb=as_rgb)

    def _instance_metadata_cached(self, study: str, series: str, sop: str) -> Dataset:
        key = f"{study}/{series}/{sop}"
        meta = self._metadata_cache.get(key)
        if meta is None:
            meta = self.retrieve_instance_metadata(study, series, sop)
            if len(self._metadata_cache) > 256:
                self._metadata_cache.clear()
            self._metadata_cache[key] = meta
        return meta

    def retrieve_instance_frames(self, study_instance_uid: str, series_instance_uid: str,
                                 sop_instance_uid: str, frame_numbers: SequenceT[int], *,
                                 media_types: Any = None, transfer_syntax: str | None = None,
                                 metadata: Dataset | None = None, decode: bool = True,
                                 as_rgb: bool = True, workers: int | None = None) -> list:
        """WADO-RS: frames (1-based numbers) of one instance.

        With ``decode`` (default) each frame is a numpy array decoded through
        dcmfast's pixel pipeline, with the Image Pixel module of the
        instance's metadata (``metadata``, else fetched once and cached) and
        the transfer syntax of each returned part (its ``transfer-syntax``
        parameter, else its media type). Without, the bytes of each frame.
        ``media_types`` / ``transfer_syntax`` choose what to ask for (default:
        ``application/octet-stream`` in any transfer syntax the server likes,
        ``transfer-syntax=*``). ``workers`` > 1 fetches the frames in that many
        parallel requests.
        """
        frame_numbers = [int(f) for f in frame_numbers]
        if not frame_numbers or min(frame_numbers) < 1:
            raise ValueError("frame numbers start at 1")
        if media_types is None and transfer_syntax is None:
            transfer_syntax = "*"
        accept = self._accept(media_types, _OCTET, transfer_syntax)
        base = self.wado_url + _uid_path(study_instance_uid, series_instance_uid, sop_instance_uid)
        if decode and metadata is None:
            metadata = self._instance_metadata_cached(study_instance_uid, series_instance_uid,
                                                      sop_instance_uid)

        def fetch(numbers: list[int]) -> list:
            url = base + "/frames/" + ",".join(str(n) for n in numbers)
            with self._stream(url, accept) as stream:
                parts = list(stream)
            if len(parts) != len(numbers):
                raise DICOMwebError(f"asked for {len(numbers)} frames, the server sent {len(parts)}")
            if not decode:
                return [bytes(p.content) for p in parts]
            return [self._decode_frame(metadata, p, as_rgb) for p in parts]

        n = min(int(workers or 1), self.max_workers if workers is None else int(workers),
                len(frame_numbers))
        if n <= 1:
            return fetch(frame_numbers)
        size = -(-len(frame_numbers) // n)
        groups = [frame_numbers[i:i + size] for i in range(0, len(frame_numbers), size)]
        with ThreadPoolExecutor(len(groups)) as pool:
            results = list(pool.map(fetch, groups))
        return [frame for group in results for frame in group]

    def _rendered(self, path: str, media_types: Any, params: dict | None) -> bytes:
        if media_types is None:
            accept = "image/png"
        elif isinstance(media_types, str):
            accept = media_types
        else:
            accept = ", ".join(m if isinstance(m, str) else m[0] for m in media_types)
        response = self._request("GET", self.wado_url + path + "/rendered",
                                 headers={"Accept": accept}, params=params)
        return response.content

    def retrieve_study_rendered(self, study_instance_uid: str, *, media_types: Any = None,
                                params: dict | None = None) -> bytes:
        """WADO-RS: the rendered study (server-defined)."""
        return self._rendered(_uid_path(study_instance_uid), media_types, params)

    def retrieve_series_rendered(self, study_instance_uid: str, series_instance_uid: str, *,
                                 media_types: Any = None, params: dict | None = None) -> bytes:
        """WADO-RS: the rendered series (server-defined)."""
        return self._rendered(_uid_path(study_instance_uid, series_instance_uid), media_types, params)

    def retrieve_instance_rendered(self, study_instance_uid: str, series_instance_uid: str,
                                   sop_instance_uid: str, *, media_types: Any = None,
                                   params: dict | None = None) -> bytes:
        """WADO-RS: the instance rendered as an image (PNG by default); ``params``
        are the rendering query parameters (``window``, ``viewport``, ``quality``...)."""
        return self._rendered(_uid_path(study_instance_uid, series_instance_uid, sop_instance_uid),
                              media_types, params)

    def retrieve_instance_frames_rendered(self, study_instance_uid: str, series_instance_uid: str,
                                          sop_instance_uid: str, frame_numbers: SequenceT[int], *,
                                          media_types: Any = None, params: dict | None = None) -> bytes:
        """WADO-RS: frames rendered as an image."""
        path = _uid_path(study_instance_uid, series_instance_uid, sop_instance_uid)
        path += "/frames/" + ",".join(str(int(f)) for f in frame_numbers)
        return self._rendered(path, media_types, params)

    # -- STOW-RS --------------------------------------------------------------------------------
    @staticmethod
    def _encode_instance(item: Any) -> tuple[Any, str | None, str | None, Any]:
        """(bytes, SOP Instance UID, SOP Class UID, source) of something to store."""
        from dcmfast.filereader import dcmread
        from dcmfast.filewriter import dcmwrite

        if isinstance(item, (str, os.PathLike)):
            source: Any = os.fspath(item)
            with open(source, "rb") as f:
                data: Any = f.read()
        elif isinstance(item, (bytes, bytearray, memoryview)):
            source, data = None, item
        elif isinstance(item, Dataset):
            buf = io.BytesIO()
            dcmwrite(buf, item)
            data = buf.getbuffer()
            return data, item.get("SOPInstanceUID"), item.get("SOPClassUID"), None
        elif hasattr(item, "to_json_dict") and hasattr(item, "save_as"):  # a pydicom Dataset
            buf = io.BytesIO()
            item.save_as(buf, enforce_file_format=True)
            data = buf.getbuffer()
            return data, item.get("SOPInstanceUID"), item.get("SOPClassUID"), None
        else:
            raise TypeError(f"cannot store a {type(item).__name__}: give paths, bytes or Datasets")
        sop = cls = None
        try:  # the data set's UIDs (what the server reports), else the file meta's
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = dcmread(data, stop_before_pixels=True)
                sop, cls = ds.get("SOPInstanceUID"), ds.get("SOPClassUID")
                if not sop:
                    meta = ds.file_meta
                    sop = meta.get("MediaStorageSOPInstanceUID")
                    cls = meta.get("MediaStorageSOPClassUID")
        except (InvalidDicomError, ValueError, OSError, KeyError, TypeError):
            pass  # the server decides; its answer is reported
        return data, (str(sop) if sop else None), (str(cls) if cls else None), source

    def _iter_instances(self, items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            if isinstance(item, (str, os.PathLike)) and os.path.isdir(item):
                for root, dirs, files in os.walk(item):
                    dirs.sort()
                    for name in sorted(files):
                        yield os.path.join(root, name)
            else:
                yield item

    def store_instances(self, datasets: Iterable[Any], study_instance_uid: str | None = None, *,
                        batch_size: int = 50, batch_bytes: int = 64 << 20, workers: int = 2,
                        raise_on_failure: bool = True) -> StoreResult:
        """STOW-RS: upload instances in multipart batches.

        ``datasets``: paths (folders are walked), bytes of Part 10 files,
        dcmfast Datasets (written with dcmfast's writer) or pydicom Datasets;
        a single one is accepted too. Batches hold at most ``batch_size``
        instances and about ``batch_bytes`` bytes; ``workers`` batches are
        sent in parallel (a server stores them faster than one after the
        other), at most ``workers + 1`` batches being held in memory.

        Returns a :class:`StoreResult` (the merged response Dataset, and
        ``stored`` / ``failed`` / ``warnings`` per instance, in input order). An
        instance that is in the server's FailedSOPSequence, or in neither of its
        sequences (e.g. not DICOM, or a batch the server rejected as a whole),
        is a failure: :class:`StoreError` is raised (its ``.result`` lists them)
        unless ``raise_on_failure=False``. A batch the server answers with an
        HTTP error and no STOW response data set raises :class:`HTTPError`
        unless ``raise_on_failure=False`` (its instances are then failures).
        """
        if isinstance(datasets, (str, os.PathLike, bytes, bytearray, memoryview, Dataset)) or (
                hasattr(datasets, "to_json_dict") and hasattr(datasets, "save_as")):
            datasets = [datasets]
        result = StoreResult()
        url = self.stow_url + (_uid_path(study_instance_uid) if study_instance_uid else "/studies")
        workers = max(1, int(workers))
        pending: deque = deque()
        pool = ThreadPoolExecutor(workers) if workers > 1 else None

        def submit(batch: list) -> None:
            if pool is None:
                self._merge_batch(result, self._store_batch(url, batch, raise_on_failure))
                return
            pending.append(pool.submit(self._store_batch, url, batch, raise_on_failure))
            while len(pending) > workers:
                self._merge_batch(result, pending.popleft().result())

        try:
            batch: list = []
            size = 0
            for item in self._iter_instances(datasets):
                entry = self._encode_instance(item)
                if batch and (len(batch) >= batch_size or size + len(entry[0]) > batch_bytes):
                    submit(batch)
                    batch, size = [], 0
                batch.append(entry)
                size += len(entry[0])
            if batch:
                submit(batch)
            while pending:
                self._merge_batch(result, pending.popleft().result())
        finally:
            for future in pending:
                future.cancel()
            if pool is not None:
                pool.shutdown(wait=True)
        if result.failed and raise_on_failure:
            shown = "; ".join(str(f) for f in result.failed[:5])
            more = f" (and {len(result.failed) - 5} more)" if len(result.failed) > 5 else ""
            raise StoreError(f"STOW-RS: {len(result.failed)} of "
                             f"{len(result.failed) + len(result.stored)} instances not stored: "
                             f"{shown}{more}", result)
        return result

    @staticmethod
    def _merge_batch(result: StoreResult, outcome: tuple) -> None:
        answer, stored, failed, status = outcome
        result.status_codes.append(status)
        if answer is not None:
            result._merge(answer)
        result.stored.extend(stored)
        result.failed.extend(failed)

    def _store_batch(self, url: str, batch: list, raise_on_failure: bool) -> tuple:
        """POST one batch; (response Dataset or None, stored, failed, HTTP status)."""
        stored: list = []
        failed: list = []
        boundary = uuid.uuid4().hex
        chunks, total = encode_multipart(((data, _DICOM) for data, _, _, _ in batch), boundary)
        headers = {"Content-Type": f'multipart/related; type="{_DICOM}"; boundary={boundary}',
                   "Accept": _JSON}
        response = self._request("POST", url, headers=headers, content=b"".join(chunks), check=False)
        body = response.content
        status = response.status_code
        answer: Dataset | None = None
        if body.strip():
            try:
                obj = json.loads(body)
                if isinstance(obj, list) and len(obj) == 1:
                    obj = obj[0]
                if isinstance(obj, dict) and all(len(k) == 8 for k in obj):
                    answer = from_json(obj)
            except (ValueError, InvalidDicomError):
                answer = None
        if answer is None and status >= 400:
            message = _server_message(body, response.headers.get("content-type", ""))
            if raise_on_failure:
                raise HTTPError(status, message, method="POST", url=url, body=body[:4096],
                                reason=response.reason_phrase)
            for _, sop, cls, source in batch:
                failed.append(FailedInstance(sop, cls, None, f"HTTP {status}: {message}",
                                             status, source))
            return None, stored, failed, status
        answer = answer if answer is not None else Dataset()
        by_uid: dict[str, list] = {}
        for entry in batch:
            if entry[1]:
                by_uid.setdefault(entry[1], []).append(entry)
        seen: set = set()
        for item in answer.get("ReferencedSOPSequence") or []:
            sop = str(item.get("ReferencedSOPInstanceUID", ""))
            src = by_uid.get(sop, [(None, None, None, None)])[0][3]
            warn = item.get("WarningReason")
            stored.append(StoredInstance(sop, item.get("ReferencedSOPClassUID"),
                                         item.get("RetrieveURL"), warn, src))
            seen.add(sop)
        for item in answer.get("FailedSOPSequence") or []:
            sop = str(item.get("ReferencedSOPInstanceUID", "")) or None
            reason = item.get("FailureReason")
            src = by_uid.get(sop or "", [(None, None, None, None)])[0][3]
            text = FAILURE_REASONS.get(reason, "") if reason is not None else ""
            failed.append(FailedInstance(sop, item.get("ReferencedSOPClassUID"), reason,
                                         text or "rejected by the server", status, src))
            if sop:
                seen.add(sop)
        for _, sop, cls, source in batch:
            if sop is None or sop not in seen:
                why = ("not a DICOM file (no SOP Instance UID found)" if sop is None
                       else "missing from the server's response")
                failed.append(FailedInstance(sop, cls, None, f"{why} (HTTP {status})",
                                             status, source))
        return answer, stored, failed, status
