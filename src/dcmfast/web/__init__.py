"""DICOMweb client: QIDO-RS, WADO-RS and STOW-RS (PS3.18), on httpx.

See :class:`dcmfast.web.Client`. Needs ``httpx`` (``pip install dcmfast[web]``).
"""
from __future__ import annotations

from dcmfast.web.dicomjson import BulkDataElement, from_json, to_json
from dcmfast.web.errors import DICOMwebError, HTTPError, MultipartError, StoreError, TransportError
from dcmfast.web.multipart import MultipartParser, Part

__all__ = ["Client", "StoreResult", "DICOMwebError", "HTTPError", "TransportError", "MultipartError",
           "StoreError", "from_json", "to_json", "BulkDataElement", "MultipartParser", "Part"]


def __getattr__(name: str):
    if name in ("Client", "StoreResult"):
        from dcmfast.web import client

        return getattr(client, name)
    raise AttributeError(f"module 'dcmfast.web' has no attribute {name!r}")
