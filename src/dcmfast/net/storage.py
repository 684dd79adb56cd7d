"""Storage service class (PS3.4 Annex B): what a C-STORE SCU sends, and how
the SCP writes what it receives durably into a folder.

SCP: a received data set streams PDV by PDV into a temporary file in the
storage folder (after a File Meta Information header built from the command
and the presentation context); on its last fragment the file is fsynced and
renamed over ``<SOP Instance UID>.dcm`` (the name sanitised, contained in the
folder), the folder fsynced, and only then is success answered. A repeated
SOP Instance UID replaces the old file atomically (rename). An association
that ends mid-transfer leaves no file behind.
"""
from __future__ import annotations

import os
import re
import struct
import itertools
from typing import Any

from dcmfast._dict._uid_dict import UID_DICT
from dcmfast.net.assoc import EXPLICIT_LE, IMPLICIT_LE, NoPresentationContext

__all__ = ["STORAGE_SOP_CLASSES", "KNOWN_TRANSFER_SYNTAXES", "is_storage_sop_class",
           "safe_filename", "StorageSink", "prepare_store", "contexts_for_files"]

#: Every storage SOP class of the UID registry (PS3.6 Annex A)
STORAGE_SOP_CLASSES = tuple(
    uid for uid, (name, kind, _info, _ret, kw) in UID_DICT.items()
    if kind == "SOP Class" and (kw.endswith("Storage") or kw.endswith("StorageRetired")
                                or uid.startswith("1.2.840.10008.5.1.4.1.1."))
    and "StorageCommitment" not in kw and kw != "MediaStorageDirectoryStorage")

#: Every transfer syntax of the registry (dcmfast reads and writes them all as bytes)
KNOWN_TRANSFER_SYNTAXES = tuple(uid for uid, v in UID_DICT.items() if v[1] == "Transfer Syntax")
_STORAGE = frozenset(STORAGE_SOP_CLASSES)
_KNOWN_TS = frozenset(KNOWN_TRANSFER_SYNTAXES)
_NATIVE_LE = (EXPLICIT_LE, IMPLICIT_LE)
_MMAP_FROM = 8 << 20
_UID_CHARS = re.compile(r"[^0-9A-Za-z.\-]")

#: The most used storage classes, proposed by default (with Verification) when
#: the files to send are not known in advance (<= 127 contexts)
COMMON_STORAGE = tuple(u for u in STORAGE_SOP_CLASSES if not UID_DICT[u][3])[:126]


def is_storage_sop_class(uid: str) -> bool:
    """A known storage SOP class, or a private (non-DICOM-root) SOP class UID."""
    return uid in _STORAGE or not uid.startswith("1.2.840.10008.")


def is_known_transfer_syntax(uid: str) -> bool:
    return uid in _KNOWN_TS


def safe_filename(uid: str) -> str:
    """A file name for a SOP Instance UID that cannot leave the folder: only
    [0-9A-Za-z.-] kept (others become '_'), at most 64 characters plus a
    hash when longer, never starting with '.'."""
    name = _UID_CHARS.sub("_", uid.strip("\x00 "))
    if len(name) > 64:
        import hashlib

        name = name[:48] + "_" + hashlib.sha1(uid.encode("utf-8", "replace")).hexdigest()[:15]
    if not name or name.startswith(".") or name.startswith("-"):
        name = "UID_" + name
    return name + ".dcm"


def _meta_elem(tag: int, vr: str, value: bytes) -> bytes:
    if vr in ("OB",):
        return struct.pack("<HH2sHL", tag >> 16, tag & 0xFFFF, vr.encode(), 0, len(value)) + value
    return struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), len(value)) + value


def _ui(v: str) -> bytes:
    b = v.encode("ascii", "replace")
    return b + b"\x00" if len(b) % 2 else b


def _sh(v: str) -> bytes:
    b = v.encode("ascii", "replace")
    return b + b" " if len(b) % 2 else b


def file_meta(sop_class: str, sop_instance: str, ts: str, source_ae: str = "") -> bytes:
    """Preamble, 'DICM' and the File Meta Information group (PS3.10 7.1)."""
    from dcmfast.filewriter import implementation_version_name
    from dcmfast.uid import IMPLEMENTATION_CLASS_UID

    body = b"".join([
        _meta_elem(0x00020001, "OB", b"\x00\x01"),
        _meta_elem(0x00020002, "UI", _ui(sop_class)),
        _meta_elem(0x00020003, "UI", _ui(sop_instance)),
        _meta_elem(0x00020010, "UI", _ui(ts)),
        _meta_elem(0x00020012, "UI", _ui(str(IMPLEMENTATION_CLASS_UID))),
        _meta_elem(0x00020013, "SH", _sh(implementation_version_name())),
    ] + ([_meta_elem(0x00020016, "AE", _sh(source_ae.strip()))] if source_ae.strip() else []))
    return bytes(128) + b"DICM" + _meta_elem(0x00020000, "UL", struct.pack("<L", len(body))) + body


_TEMP_COUNTER = itertools.count()
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | \
    getattr(os, "O_CLOEXEC", 0)


def _create_temp(folder: str) -> tuple[int, str]:
    """A new file ``.incoming-<pid>-<n>.part`` in ``folder`` (O_EXCL; 0600),
    like tempfile.mkstemp without its random names (a per-process counter
    is unique, and ~40 us cheaper per received instance)."""
    while True:
        path = os.path.join(folder, f".incoming-{os.getpid()}-{next(_TEMP_COUNTER)}.part")
        try:
            return os.open(path, _TEMP_FLAGS, 0o600), path
        except FileExistsError:  # left over by an earlier process with the same pid
            continue


class StorageSink:
    """Receives one data set's PDVs into a temporary file; finish() makes it
    durable under its final name and returns the path; abort() removes it."""

    def __init__(self, folder: str, sop_class: str, sop_instance: str, ts: str,
                 source_ae: str = "", fsync: bool = True, dir_fd: int | None = None) -> None:
        self.folder = folder
        self.final = os.path.join(folder, safe_filename(sop_instance))
        self.fsync = fsync
        self.dir_fd = dir_fd
        fd, self.tmp = _create_temp(folder)
        # unbuffered: each PDV goes from the receive buffer to the kernel in one write
        self.f = open(fd, "wb", buffering=0)
        self.f.write(file_meta(sop_class, sop_instance, ts, source_ae))

    def write(self, mv: memoryview) -> None:
        f = self.f
        n = f.write(mv)
        while n is not None and n < len(mv):   # a short write (rare): the rest
            mv = mv[n:]
            n = f.write(mv)

    def finish(self) -> str:
        try:
            self.f.flush()
            if self.fsync:
                os.fsync(self.f.fileno())
            self.f.close()
            os.replace(self.tmp, self.final)
        except BaseException:
            self.abort()
            raise
        if self.fsync:
            fd = self.dir_fd if self.dir_fd is not None else os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                if self.dir_fd is None:
                    os.close(fd)
        return self.final

    def abort(self) -> None:
        try:
            self.f.close()
        except OSError:
            pass
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass


# -- SCU side ---------------------------------------------------------------------------

def _meta_walk(buf: memoryview) -> tuple[dict[int, bytes], int] | None:
    """File meta elements and where the data set starts, for a Part 10 file
    (preamble + DICM); None when the file is not one."""
    if len(buf) < 144 or bytes(buf[128:132]) != b"DICM":
        return None
    pos = 132
    out: dict[int, bytes] = {}
    while pos + 8 <= len(buf):
        g, e = struct.unpack_from("<HH", buf, pos)
        if g != 2:
            break
        vr = bytes(buf[pos + 4:pos + 6])
        if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"UC", b"UR", b"OD", b"OL", b"OV"):
            if pos + 12 > len(buf):
                return None
            n = struct.unpack_from("<L", buf, pos + 8)[0]
            v = pos + 12
        else:
            n = struct.unpack_from("<H", buf, pos + 6)[0]
            v = pos + 8
        if v + n > len(buf):
            return None
        out[(g << 16) | e] = bytes(buf[v:v + n])
        pos = v + n
    return out, pos


def _uid_of(raw: bytes | None) -> str:
    return raw.decode("ascii", "replace").rstrip("\x00 ") if raw else ""


def describe(ds_or_path: Any) -> tuple[str, str, str]:
    """(SOP class, SOP instance, transfer syntax) of a path or Dataset: the
    data set's own UIDs (what :func:`prepare_store` sends), the file meta's
    when the data set lacks them."""
    if isinstance(ds_or_path, (str, os.PathLike)):
        from dcmfast.filereader import dcmread

        ds_or_path = dcmread(ds_or_path, force=True, stop_before_pixels=True)
    ds = ds_or_path
    meta = getattr(ds, "file_meta", None)

    def meta_uid(tag: int) -> str:
        return str(meta[tag].value) if meta is not None and tag in meta else ""

    ts = meta_uid(0x00020010) or (IMPLICIT_LE if getattr(ds, "is_implicit_VR", True) else EXPLICIT_LE)
    sop_class = str(ds[0x00080016].value) if 0x00080016 in ds else meta_uid(0x00020002)
    sop_inst = str(ds[0x00080018].value) if 0x00080018 in ds else meta_uid(0x00020003)
    return sop_class, sop_inst, ts


def contexts_for_files(items: list) -> list[tuple[str, list[str]]]:
    """Presentation contexts to propose for these files or Datasets: per SOP
    class, one context for each transfer syntax its files have (so each is sent
    as it is), plus one of Explicit and Implicit VR Little Endian (to convert
    to, should the peer refuse a file's own syntax) unless both are there."""
    return contexts_for([describe(item)[::2] for item in items])


def contexts_for(pairs: list) -> list[tuple[str, list[str]]]:
    """As :func:`contexts_for_files`, from ``(SOP class, transfer syntax)`` pairs."""
    wanted: dict[str, set[str]] = {}
    for sop_class, ts in pairs:
        if sop_class:
            wanted.setdefault(sop_class, set()).add(ts)
    out = []
    for sop_class, syntaxes in wanted.items():
        for ts in sorted(syntaxes):
            out.append((sop_class, [ts]))
        if not set(_NATIVE_LE) <= syntaxes:
            out.append((sop_class, [EXPLICIT_LE, IMPLICIT_LE]))
    return out


def prepare_store(assoc: Any, ds_or_path: Any) -> tuple[int, str, str, Any]:
    """(context id, SOP class, SOP instance, data set bytes) for a C-STORE:
    the file's own bytes when its transfer syntax was accepted, else the data
    set re-encoded in Explicit/Implicit VR Little Endian (decompressed with
    dcmfast.transcode if it was compressed)."""
    from dcmfast.filereader import dcmread
    from dcmfast.filewriter import encode_dataset

    raw = None
    if isinstance(ds_or_path, (str, os.PathLike)):
        with open(ds_or_path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size >= _MMAP_FROM:
                # large files are sent from the page cache (memory stays bounded);
                # the mapping goes away with the last view of it
                import mmap

                raw = memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
            else:
                raw = f.read()
        walked = _meta_walk(memoryview(raw))
        if walked is not None and 0x00020002 in walked[0] and 0x00020010 in walked[0]:
            m, start = walked
            ts = _uid_of(m[0x00020010])
            # the data set's own UIDs (what a peer checks the command against, as DCMTK
            # does), the file meta's when the data set lacks them
            ds = dcmread(raw, force=True, stop_before_pixels=True)
            sop_class = str(ds[0x00080016].value) if 0x00080016 in ds else _uid_of(m[0x00020002])
            sop_inst = str(ds[0x00080018].value) if 0x00080018 in ds else _uid_of(m.get(0x00020003))
            found = assoc._context_for(sop_class, [ts])
            if found is not None and sop_inst:
                return found[0], sop_class, sop_inst, memoryview(raw)[start:]
        ds = dcmread(raw, force=True)
    else:
        ds = ds_or_path
    sop_class, sop_inst, ts = describe(ds)
    if not sop_class or not sop_inst:
        raise ValueError("the data set has no SOP Class UID or SOP Instance UID")
    found = assoc._context_for(sop_class, [ts])
    if found is None:
        found = assoc._context_for(sop_class, list(_NATIVE_LE))
        if found is None:
            raise NoPresentationContext(f"no accepted presentation context for {sop_class} "
                                        f"in {ts} or native little endian")
        from dcmfast.uid import UID

        if UID(ts).is_compressed:
            from dcmfast.transcode import decompress

            decompress(ds)
    cid, target = found
    data = encode_dataset(ds, transfer_syntax=target)
    return cid, sop_class, sop_inst, data
