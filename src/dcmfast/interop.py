"""Conversion between dcmfast and pydicom data sets (pydicom is optional).

Both directions go through the encoded bytes: each library then parses with
its own rules, so nothing is mapped by hand and nothing is lost (private
elements, sequences, undefined lengths, character sets).
"""
from __future__ import annotations

import io
from typing import Any

__all__ = ["to_pydicom", "from_pydicom"]


def _pydicom() -> Any:
    try:
        import pydicom
    except ImportError as exc:  # pragma: no cover - exercised without pydicom
        raise ImportError("to_pydicom()/from_pydicom() need pydicom: pip install pydicom") from exc
    return pydicom


def to_pydicom(ds: Any) -> Any:
    """A ``pydicom.FileDataset`` with the same elements as dcmfast's ``ds``."""
    pydicom = _pydicom()
    from dcmfast.filewriter import dcmwrite

    buf = io.BytesIO()
    dcmwrite(buf, ds)
    return pydicom.dcmread(io.BytesIO(buf.getvalue()))


def from_pydicom(pds: Any) -> Any:
    """A dcmfast Dataset with the same elements as the pydicom Dataset ``pds``."""
    pydicom = _pydicom()
    import dcmfast

    buf = io.BytesIO()
    meta = getattr(pds, "file_meta", None)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    if ts is not None:
        pydicom.dcmwrite(buf, pds, enforce_file_format=False)
        return dcmfast.dcmread(buf.getvalue(), force=True)
    implicit, little = getattr(pds, "original_encoding", (None, None))
    implicit = False if implicit is None else implicit
    little = True if little is None else little
    pydicom.dcmwrite(buf, pds, implicit_vr=implicit, little_endian=little)
    return dcmfast.dcmread(buf.getvalue(), force=True)
