"""Exceptions raised by dcmfast.

Every error from malformed input is an :class:`InvalidDicomError` (a
:class:`ValueError`), carrying where parsing stopped: ``.offset`` (byte offset
in the encoded data, or ``None``) and ``.tag`` (the element's tag as an int,
or ``None``).
"""
from __future__ import annotations

__all__ = ["InvalidDicomError", "UnknownVRError", "DicomWarning"]


class InvalidDicomError(ValueError):
    """Malformed or truncated DICOM data.

    Parameters
    ----------
    message : str
        What went wrong, already including where.
    offset : int, optional
        Byte offset where parsing stopped.
    tag : int, optional
        Tag of the element being parsed, when known.
    """

    def __init__(self, message: str, offset: int | None = None, tag: int | None = None):
        super().__init__(message)
        self.offset = offset
        self.tag = tag


class UnknownVRError(InvalidDicomError, NotImplementedError):
    """An element whose VR is not one of PS3.5 table 6.2-1 (e.g. after a lying
    length put the next header on text). Also a NotImplementedError, which is
    what pydicom raises here."""


class DicomWarning(UserWarning):
    """A value oddity tolerated while reading (the data is kept as found)."""
