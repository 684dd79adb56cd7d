"""DICOMweb client: QIDO-RS, WADO-RS and STOW-RS (PS3.18), on httpx.

Needs ``httpx`` (the ``web`` extra). Method names follow dicomweb-client::

    from dcmfast.web import Client
    with Client("http://127.0.0.1:8042/dicom-web") as c:
        c.store_instances(paths_or_datasets)              # StoreResult (a Dataset)
        c.search_for_studies(search_filters={"PatientID": "X"}, limit=10, fields=["all"])
        for ds in c.retrieve_series(study, series):        # Datasets, parsed as they arrive
            ...
        c.save_instances("out/", study)                    # straight to files
        volume, datasets = c.retrieve_series_volume(study, series)
        c.retrieve_series_metadata(study, series)          # DICOM JSON -> Datasets
        c.retrieve_instance_frames(study, series, sop, [1, 2])   # numpy arrays

Errors: :class:`HTTPError` (``.status_code``, ``.message``), :class:`TransportError`,
:class:`MultipartError` (also a :class:`dcmfast.InvalidDicomError`), :class:`StoreError`
(``.result``); all are :class:`DICOMwebError`. :func:`from_json` / :func:`to_json`
convert DICOM JSON; :class:`MultipartParser` is the streaming multipart parser.
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
