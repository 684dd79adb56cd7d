"""Modality Worklist as a service provider: C-FIND over a folder of worklist
files, like DCMTK's wlmscpfs (PS3.4 Annex K; matching per PS3.4 C.2.2.2).

The folder holds ``*.wl`` files (DICOM files whose data sets are worklist
items). When it has a sub-folder named after the called AE title, that
sub-folder is used (wlmscpfs's ``-dfp DIR`` layout: ``DIR/<AE>/*.wl``);
otherwise the folder itself. Files are read when a query arrives (kept
while their modification time is unchanged), so editing the folder needs no
restart.

Matching of each key of the identifier against an item:

* an empty value is universal matching: the attribute is returned;
* UI: single value or a backslash-separated list of UIDs;
* DA, TM, DT: single value, or a range ``a-b``, ``a-`` or ``-b``;
* other VRs: single value, with ``*`` and ``?`` wildcards; trailing spaces
  are not significant; a multi-valued attribute matches if any value does;
* a sequence key with one item: the item's keys must all match some item of
  the worklist's sequence (only matching items are returned); an empty item
  returns the whole sequence.

A key whose attribute the worklist item lacks matches only if universal.
The response holds the requested attributes (empty when the item lacks
them) and the item's Specific Character Set.
"""
from __future__ import annotations

import glob
import os
import re
import threading
from functools import lru_cache
from typing import Any, Iterator

__all__ = ["Worklist", "match"]

_CHARSET = 0x00080005


class Worklist:
    """The worklist files of a folder (see the module documentation)."""

    def __init__(self, folder: str) -> None:
        self.folder = os.path.abspath(folder)
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def _files(self, called_ae: str | None) -> list[str]:
        folder = self.folder
        if called_ae:
            sub = os.path.join(folder, called_ae.strip())
            if os.path.isdir(sub) and os.path.dirname(os.path.abspath(sub)) == folder:
                folder = sub
        return sorted(glob.glob(os.path.join(glob.escape(folder), "*.wl")))

    def items(self, called_ae: str | None = None) -> Iterator[Any]:
        """Every readable worklist item (unreadable files are skipped)."""
        from dcmfast.errors import InvalidDicomError
        from dcmfast.filereader import dcmread

        for path in self._files(called_ae):
            try:
                mtime = os.stat(path).st_mtime
            except OSError:
                continue
            with self._lock:
                cached = self._cache.get(path)
            if cached is None or cached[0] != mtime:
                try:
                    ds = dcmread(path, force=True)
                except (InvalidDicomError, OSError, ValueError):
                    continue
                cached = (mtime, ds)
                with self._lock:
                    self._cache[path] = cached
            yield cached[1]

    def find(self, query: Any, called_ae: str | None = None) -> Iterator[Any]:
        """The response identifiers of the items matching ``query``."""
        for item in self.items(called_ae):
            response = match(query, item)
            if response is not None:
                yield response


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, (bytes, str)):
        return len(value.strip(b"\x00 " if isinstance(value, bytes) else "\x00 ")) == 0
    try:
        return len(value) == 0
    except TypeError:
        return False


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, int, float)):
        values = [value]
    else:
        try:
            values = list(value)
        except TypeError:
            values = [value]
    return [(v.decode("latin-1") if isinstance(v, bytes) else str(v)).rstrip("\x00 ")
            for v in values]


@lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> re.Pattern:
    parts = ("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in pattern)
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def _in_range(vr: str, key: str, value: str) -> bool:
    low, _, high = key.partition("-")
    if vr == "TM":  # HHMMSS.frac: compare on a common width
        low, high, value = (_tm(low, "0"), _tm(high, "9"), _tm(value, "0"))
    if low and value < low:
        return False
    if high and value > high:
        return False
    return True


def _tm(text: str, fill: str) -> str:
    text = text.replace(":", "").strip()
    if not text:
        return ""
    whole, _, frac = text.partition(".")
    return whole.ljust(6, fill) + "." + frac.ljust(6, fill)


def _value_matches(vr: str, key: str, values: list[str]) -> bool:
    key = key.rstrip("\x00 ")
    if vr == "UI":
        wanted = {k.strip("\x00 ") for k in key.split("\\")}
        return any(v in wanted for v in values)
    if vr in ("DA", "TM", "DT") and "-" in key:
        return any(_in_range(vr, key, v) for v in values)
    if "*" in key or "?" in key:
        rx = _wildcard(key)
        return any(rx.match(v) for v in values)
    return key in values


def _has_constraints(item: Any) -> bool:
    for elem in item:
        if elem.VR == "SQ":
            if elem.value and _has_constraints(elem.value[0]):
                return True
        elif elem.tag != _CHARSET and not _is_empty(elem.value):
            return True
    return False


def match(query: Any, item: Any) -> Any:
    """The response identifier if ``item`` matches ``query`` (both Datasets),
    else None."""
    from dcmfast.dataset import Dataset
    from dcmfast.sequence import Sequence

    out = Dataset()
    for elem in query:
        tag = elem.tag
        if tag == _CHARSET or (tag >> 16) in (0x0000, 0x0002):
            continue
        have = item[tag] if tag in item else None
        if elem.VR == "SQ":
            q_items = elem.value
            r_items = list(have.value) if have is not None and have.VR == "SQ" else []
            if not q_items or len(q_items[0]) == 0:  # universal: the whole sequence
                out.add_new(tag, "SQ", Sequence(list(r_items)))
                continue
            matched = [m for m in (match(q_items[0], r) for r in r_items) if m is not None]
            if not matched and _has_constraints(q_items[0]):
                return None
            out.add_new(tag, "SQ", Sequence(matched))
            continue
        if not _is_empty(elem.value):
            keys = _strings(elem.value)
            key = "\\".join(keys) if elem.VR == "UI" else keys[0]
            if have is None or not _value_matches(elem.VR, key, _strings(have.value)):
                return None
        if have is not None:
            out.add_new(tag, have.VR, have.value)
        else:
            out.add_new(tag, elem.VR, None)
    if _CHARSET in item and _CHARSET not in out:
        out.add_new(_CHARSET, "CS", item[_CHARSET].value)
    return out
