"""dcmread: DICOM files and buffers -> a lazily decoded Dataset.

Paths are memory-mapped and file objects read once; the C tokenizer indexes
the whole data set in one call with the GIL released, and values are decoded
only when accessed.

References
----------
PS3.10 §7.1 (preamble, 'DICM', File Meta Information), PS3.5 §7 and
annex A (transfer syntaxes: implicit/explicit VR, byte order, deflate).
"""
from __future__ import annotations

import mmap
import os
import warnings
import zlib
from array import array
from typing import Any

from dcmfast import _parse, datadict
from dcmfast.dataset import Dataset, FileDataset, FileMetaDataset
from dcmfast.errors import DicomWarning, InvalidDicomError
from dcmfast.tag import Tag

__all__ = ["dcmread", "read_file_meta_info"]

_ARRAYS: tuple[array, array] | None = None
_O_RDONLY = os.O_RDONLY | getattr(os, "O_BINARY", 0)

# a deflated data set may not expand beyond this factor of its compressed size
# (zlib's own ceiling is ~1032:1); beyond it the data is treated as hostile
_MAX_INFLATE_RATIO = 1100

_WARNINGS = {
    _parse.W_TRUNCATED_VALUE: "the last element's value is shorter than its length (data truncated?)",
    _parse.W_TRAILING_BYTES: "fewer than 8 bytes after the last element were ignored",
    _parse.W_VR_SWITCH: "the data set is not encoded with the VR form its transfer syntax says",
    _parse.W_UNKNOWN_VR: "an element has an unknown VR; read with a 2-byte length",
    _parse.W_TOP_DELIMITER: "an item delimiter at top level ended the data set",
    _parse.W_SEQ_DELIM_IN_DEFINED: "a sequence delimiter inside a defined-length sequence ended it",
}


def _dictionary_arrays() -> tuple[array, array]:
    """Sorted uint32 arrays of SQ tags and other dictionary tags, for the C code."""
    global _ARRAYS
    if _ARRAYS is None:
        sq = array("I", sorted(datadict.sq_tags()))
        sq_set = set(sq)
        known = array("I", sorted(t for t in datadict.DICOM_DICT if t not in sq_set))
        _ARRAYS = (sq, known)
    return _ARRAYS


def _report(table: Any, where: str) -> None:
    flags = table.warnings
    if not flags:
        return
    reasons = [text for bit, text in _WARNINGS.items() if flags & bit]
    warnings.warn(f"{where}: {'; '.join(reasons)} (at byte {table.warn_offset})",
                  DicomWarning, stacklevel=3)


def _load(src: Any) -> tuple[Any, str | None]:
    """The bytes of ``src`` (mapped for paths) and its file name if any."""
    if isinstance(src, (bytes, bytearray, memoryview)):
        return src, None
    if isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        fd = os.open(path, _O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            if size < 65536:  # small files: one read beats setting up a mapping
                data = os.read(fd, size)
                while len(data) < size:  # short reads (pipes, network file systems)
                    more = os.read(fd, size - len(data))
                    if not more:
                        break
                    data += more
                return data, path
            return mmap.mmap(fd, 0, access=mmap.ACCESS_READ), path
        finally:
            os.close(fd)
    if hasattr(src, "read"):
        data = src.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("dcmread() needs a binary file object")
        name = getattr(src, "name", None)
        return data, name if isinstance(name, str) else None
    raise TypeError(f"dcmread() expects a path, bytes or a binary file object, not {type(src).__name__}")


def _inflate(buf: Any, pos: int) -> bytes:
    data = bytes(buf[pos:])
    limit = max(len(data) * _MAX_INFLATE_RATIO, 1 << 20)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit)
    except zlib.error as exc:
        raise InvalidDicomError(f"invalid deflated data set at byte {pos}: {exc}", offset=pos) from None
    if inflater.unconsumed_tail:
        raise InvalidDicomError(
            f"deflated data set at byte {pos} expands beyond {_MAX_INFLATE_RATIO}x its size", offset=pos)
    return out


def _read_meta(buf: Any, pos: int) -> tuple[FileMetaDataset, int, str | None]:
    """The File Meta Information at ``pos``, where it ends, and its transfer syntax."""
    if buf[pos:pos + 2] != b"\x02\x00" or len(buf) - pos < 8:
        return FileMetaDataset(), pos, None
    sq, known = _dictionary_arrays()
    table = _parse.tokenize(buf, little_endian=True, implicit=False, stop=_parse.STOP_AFTER_META,
                            sq_tags=sq, known_tags=known, start=pos)
    if table.warnings:
        _report(table, "file meta information")
    meta = FileMetaDataset._from_tokens(table)
    meta.__dict__["_read_implicit"] = False
    ts = None
    idx = table.find_child(-1, 0x00020010)
    if idx >= 0:  # Transfer Syntax UID: read straight from its bytes (UI, PS3.5 §6.2)
        ts = table.value(idx).decode("latin-1").rstrip("\0 ")
    return meta, table.stop_offset, ts


def dcmread(fp: Any, *, stop_before_pixels: bool = False, specific_tags: Any = None,
            force: bool = False, defer_size: Any = None) -> FileDataset:
    """Read a DICOM file (or buffer) into a :class:`~dcmfast.dataset.FileDataset`.

    Parameters
    ----------
    fp : str, PathLike, bytes, bytearray, memoryview or binary file object
        What to read. Paths are memory-mapped (small files are read in one
        call); a file object is read once from its current position.
    stop_before_pixels : bool
        Stop at Pixel Data (or Float/Double Float Pixel Data) at top level.
    specific_tags : list of tags or keywords, optional
        Keep only these top-level elements (plus Specific Character Set).
    force : bool
        Read data without the 128-byte preamble and 'DICM' prefix.
    defer_size : int or str, optional
        Accepted for pydicom compatibility. Every value is already read
        lazily (from the mapping or the one buffer), so it changes nothing.

    Returns
    -------
    FileDataset

    Raises
    ------
    InvalidDicomError
        No 'DICM' prefix without ``force``, or malformed data (the message and
        the exception's ``offset``/``tag`` say where).
    """
    buf, filename = _load(fp)
    sq, known = _dictionary_arrays()
    preamble, meta_table, ts, command, table, pos, implicit, little = _parse.read_part10(
        buf, force, stop_before_pixels, sq, known, buf.__class__ is mmap.mmap)
    if meta_table is not None:
        if meta_table.warnings:
            _report(meta_table, "file meta information")
        meta = FileMetaDataset._from_tokens(meta_table)
        meta.__dict__["_read_implicit"] = False
    else:
        meta = FileMetaDataset()
    if table is None:  # Deflated Explicit VR Little Endian (PS3.5 A.5)
        buf = _inflate(buf, pos)
        table = _parse.tokenize(buf, little_endian=True, implicit=False,
                                stop=_parse.STOP_AT_PIXELS if stop_before_pixels else 0,
                                sq_tags=sq, known_tags=known)
    if table.warnings:
        _report(table, filename or "data set")

    ds = FileDataset._from_tokens(table)
    d = ds.__dict__
    d["preamble"] = preamble
    d["file_meta"] = meta
    d["filename"] = filename
    d["_read_implicit"] = implicit
    d["_read_little"] = little
    d["is_little_endian"] = little
    d["is_implicit_VR"] = implicit
    if command is not None and len(command):
        commands = Dataset._from_tokens(command)
        elems = ds._elems()
        for tag in command.children(-1):
            elems[tag] = commands[tag]
    if specific_tags is not None:
        keep = {int(Tag(t)) for t in specific_tags}
        keep.add(0x00080005)
        elems = ds._elems()
        for tag in [t for t in elems if t not in keep]:
            del elems[tag]
    return ds


def read_file_meta_info(filename: Any) -> FileMetaDataset:
    """Only the File Meta Information of a file (its preamble is required)."""
    buf, _ = _load(filename)
    if len(buf) < 132 or bytes(buf[128:132]) != b"DICM":
        raise InvalidDicomError("File is missing DICOM File Meta Information header or the "
                                "'DICM' prefix is missing from the header.", offset=128)
    return _read_meta(buf, 132)[0]
