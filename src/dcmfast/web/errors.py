"""Errors raised by :mod:`dcmfast.web`.

- :class:`DICOMwebError`: the base class of every error raised by the client.
- :class:`HTTPError`: the server answered with an HTTP error status;
  ``.status_code``, ``.message`` (the server's own words when it gave any),
  ``.method``, ``.url`` and ``.body`` (the start of the response body).
- :class:`TransportError`: no HTTP answer at all (connection refused, timeout,
  connection dropped mid-body); ``__cause__`` is httpx's exception.
- :class:`MultipartError`: a malformed or truncated multipart/related body. It
  is also a :class:`dcmfast.InvalidDicomError` (a ``ValueError``), with
  ``.offset`` the byte offset in the body where parsing stopped.
- :class:`StoreError`: STOW-RS did not store every instance; ``.result`` is
  the :class:`~dcmfast.web.StoreResult` listing what was stored and what failed.
"""
from __future__ import annotations

from typing import Any

from dcmfast.errors import InvalidDicomError

__all__ = ["DICOMwebError", "HTTPError", "TransportError", "MultipartError", "StoreError"]


class DICOMwebError(Exception):
    """Base class of the errors raised by :mod:`dcmfast.web`."""


class HTTPError(DICOMwebError):
    """An HTTP error status from the server (4xx, 5xx)."""

    def __init__(self, status_code: int, message: str, *, method: str = "", url: str = "",
                 body: bytes = b"", reason: str = "") -> None:
        self.status_code = status_code
        self.message = message
        self.method = method
        self.url = url
        self.body = body
        self.reason = reason
        text = f"{method} {url}: HTTP {status_code}"
        if reason:
            text += f" {reason}"
        if message:
            text += f": {message}"
        super().__init__(text)


class TransportError(DICOMwebError):
    """The request got no (complete) HTTP answer: connection, timeout, protocol."""


class MultipartError(InvalidDicomError, DICOMwebError):
    """A multipart/related body that is malformed or truncated."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message, offset=offset)


class StoreError(DICOMwebError):
    """STOW-RS: some instances were not stored (``.result`` lists them)."""

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message)
        self.result = result
