"""Exceptions raised by dcmfast.

Every error from malformed input is an :class:`InvalidDicomError` (a
:class:`ValueError`), carrying where parsing stopped: ``.offset`` (byte offset
in the encoded data, or ``None``) and ``.tag`` (the element's tag as an int,
or ``None``).
"""
from __future__ import annotations

__all__ = ["InvalidDicomError", "UnknownVRError", "PixelDataError", "DicomWarning", "PDUError"]


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


class PixelDataError(InvalidDicomError):
    """Pixel data that cannot be decoded as its Image Pixel module describes:
    too few bytes for Rows x Columns x frames, a corrupt RLE segment or offset
    table, a codestream the decoder rejects. ``.frame`` is the frame index
    (``None`` when not frame-specific); ``.offset`` is a byte offset into the
    frame's encoded bytes where the kernel stopped, when known."""

    def __init__(self, message: str, offset: int | None = None, tag: int | None = 0x7FE00010,
                 frame: int | None = None):
        super().__init__(message, offset=offset, tag=tag)
        self.frame = frame


class DicomWarning(UserWarning):
    """A value oddity tolerated while reading (the data is kept as found)."""


class PDUError(ValueError):
    """A DICOM Upper Layer PDU that is malformed (PS3.8 9.3): an unknown PDU
    type, a length impossible for its type or above the maximum accepted, an
    item or sub-item whose length runs past its container. ``.offset`` is the
    byte offset in the PDU where the codec stopped; ``.code`` the C status name."""

    def __init__(self, message: str, offset: int | None = None, code: str | None = None):
        super().__init__(message)
        self.offset = offset
        self.code = code
