"""Element-by-element comparison of a dcmfast Dataset with a pydicom Dataset."""
from __future__ import annotations

import math
import warnings
from typing import Any


def _num_equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            fa, fb = float(a), float(b)
        except (TypeError, ValueError):
            return False
        return fa == fb or (math.isnan(fa) and math.isnan(fb))
    return a == b


def values_equal(ours: Any, theirs: Any, vr: str) -> bool:
    """Same value, in pydicom's sense, for one element."""
    import pydicom
    from pydicom.multival import MultiValue as PdMultiValue
    from pydicom.valuerep import PersonName as PdPersonName

    if isinstance(theirs, (list, tuple, PdMultiValue)) and not isinstance(theirs, (str, bytes)):
        if not isinstance(ours, (list, tuple)) or isinstance(ours, (str, bytes)):
            return False
        return len(ours) == len(theirs) and all(values_equal(a, b, vr) for a, b in zip(ours, theirs))
    if isinstance(theirs, PdPersonName):
        return str(ours) == str(theirs) and tuple(ours.components) == tuple(theirs.components)
    if vr in ("DS", "IS") and theirs is not None and isinstance(theirs, (int, float)):
        return type(ours) is not str and str(ours) == str(theirs) and _num_equal(ours, theirs)
    if isinstance(theirs, float) or isinstance(ours, float):
        return _num_equal(ours, theirs)
    if isinstance(theirs, pydicom.uid.UID):
        return isinstance(ours, str) and str(ours) == str(theirs)
    if type(theirs) is str:
        return type(ours) is str and ours == theirs
    if isinstance(theirs, int) and not isinstance(theirs, bool):
        return isinstance(ours, int) and ours == theirs
    if isinstance(theirs, bytes):
        return isinstance(ours, bytes) and ours == theirs
    return ours == theirs


def _get(ds: Any, tag: int):
    """(element, None) or (None, exception) with warnings recorded, not raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ds[tag], None
        except Exception as exc:  # noqa: BLE001 - recorded and compared
            return None, exc


def compare_datasets(ours: Any, theirs: Any, path: str = "", out: list[str] | None = None,
                     counter: list[int] | None = None) -> list[str]:
    """Differences between two data sets, as readable lines (empty if none)."""
    out = [] if out is None else out
    our_tags = set(ours.keys())
    their_tags = set(theirs.keys())
    for tag in sorted(their_tags - our_tags):
        out.append(f"{path}({tag >> 16:04X},{tag & 0xFFFF:04X}) missing in dcmfast")
    for tag in sorted(our_tags - their_tags):
        out.append(f"{path}({tag >> 16:04X},{tag & 0xFFFF:04X}) only in dcmfast")
    for tag in sorted(our_tags & their_tags):
        where = f"{path}({tag >> 16:04X},{tag & 0xFFFF:04X})"
        b, berr = _get(theirs, tag)
        a, aerr = _get(ours, tag)
        if berr is not None:
            if aerr is None:
                out.append(f"{where} pydicom raises {type(berr).__name__}: {berr}; dcmfast gives {a.value!r:.80}")
            continue
        if aerr is not None:
            out.append(f"{where} dcmfast raises {type(aerr).__name__}: {aerr}")
            continue
        if counter is not None:
            counter[0] += 1
        if a.VR != b.VR:
            out.append(f"{where} VR {a.VR} != pydicom {b.VR}")
            continue
        if b.VR == "SQ":
            if len(a.value) != len(b.value):
                out.append(f"{where} {len(a.value)} items != pydicom {len(b.value)}")
                continue
            for i, (ia, ib) in enumerate(zip(a.value, b.value)):
                compare_datasets(ia, ib, f"{where}[{i}].", out, counter)
            continue
        if not values_equal(a.value, b.value, b.VR):
            out.append(f"{where} {b.VR} value {a.value!r:.100} != pydicom {b.value!r:.100}")
        elif b.tag.is_private and (a.private_creator or None) != (b.private_creator or None):
            out.append(f"{where} private creator {a.private_creator!r} != pydicom {b.private_creator!r}")
    return out
