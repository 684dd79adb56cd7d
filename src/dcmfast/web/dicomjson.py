"""DICOM JSON (PS3.18 Annex F.2) <-> dcmfast Dataset.

:func:`from_json` builds a :class:`~dcmfast.Dataset` from the DICOM JSON
model, :func:`to_json` does the reverse, with pydicom's conventions
(``Dataset.from_json`` / ``Dataset.to_json_dict``) as the reference:

- the key is the tag as 8 upper-case hex digits, ``"vr"`` the VR;
- ``"Value"`` is a list: strings for the text VRs, numbers for the binary
  number VRs and for IS and DS (F.2.3.1), objects with ``Alphabetic``,
  ``Ideographic`` and ``Phonetic`` component groups for PN (F.2.2), 8-digit
  hex strings for AT, objects (items) for SQ;
- OB, OD, OF, OL, OV, OW and UN values are ``"InlineBinary"`` (base64) or a
  ``"BulkDataURI"``; a BulkDataURI becomes a :class:`BulkDataElement` whose
  value is fetched (once) the first time it is used, through the handler
  given (the client's ``retrieve_bulkdata``), or is empty without a handler;
- an element without a value has only ``"vr"``.
"""
from __future__ import annotations

import base64
import json
from typing import Any, Callable

from dcmfast import datadict
from dcmfast.dataelem import DataElement
from dcmfast.dataset import Dataset
from dcmfast.errors import InvalidDicomError
from dcmfast.sequence import Sequence
from dcmfast.tag import BaseTag
from dcmfast.valuerep import IS, DSfloat, MultiValue, PersonName
from dcmfast.values import empty_value

__all__ = ["from_json", "to_json", "BulkDataElement", "JSON_BINARY_VRS"]

#: VRs whose value is InlineBinary or BulkDataURI in DICOM JSON
JSON_BINARY_VRS = frozenset(["OB", "OD", "OF", "OL", "OV", "OW", "UN", "OB or OW", "US or OW",
                             "US or SS or OW"])
_INT_VRS = frozenset(["US", "SS", "UL", "SL", "UV", "SV", "US or SS"])
_FLOAT_VRS = frozenset(["FL", "FD"])
_PN_GROUPS = ("Alphabetic", "Ideographic", "Phonetic")
_UNSET = object()


class BulkDataElement(DataElement):
    """A DataElement whose value sits behind a BulkDataURI (PS3.18 F.2.6).

    The value is fetched through ``loader(uri)`` the first time it is read
    (``elem.value``, ``ds.PixelData``, writing the data set...) and kept.
    ``is_loaded`` says whether that happened; ``bulk_data_uri`` is the URI.
    """

    __slots__ = ("bulk_data_uri", "_bulk", "_loader")

    def __init__(self, tag: Any, VR: str, uri: str, loader: Callable[[str], bytes] | None) -> None:
        super().__init__(tag, VR, None, already_converted=True)
        self.bulk_data_uri = uri
        self._loader = loader
        self._bulk = _UNSET

    @property
    def _value(self) -> Any:  # type: ignore[override]
        value = self._bulk
        if value is _UNSET:
            loader = self._loader
            value = loader(self.bulk_data_uri) if loader is not None else None
            self._bulk = value
        return value

    @_value.setter
    def _value(self, value: Any) -> None:
        self._bulk = value

    @property
    def is_loaded(self) -> bool:
        return self._bulk is not _UNSET

    @property
    def repval(self) -> str:
        if self._bulk is _UNSET:
            return f"BulkDataURI {self.bulk_data_uri!r} (not fetched)"
        return super().repval

    def __reduce_ex__(self, protocol: Any) -> Any:
        # pickled/copied as a plain element with the value (fetched if needed)
        return (DataElement, (self.tag, self.VR, self._value, None, self.is_undefined_length, True))


# ---------------------------------------------------------------------------------------
# JSON -> Dataset
# ---------------------------------------------------------------------------------------
def _pn(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):  # not PS3.18 conformant, but seen: keep the text
        return value
    if not isinstance(value, dict):
        raise InvalidDicomError(f"invalid DICOM JSON PN value {value!r:.80}")
    groups = [value.get(g) or "" for g in _PN_GROUPS]
    return "=".join(groups).rstrip("=")


def _ds(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidDicomError(f"invalid DICOM JSON DS value {value!r}")
    if isinstance(value, int):
        return DSfloat(str(value))
    if isinstance(value, float):
        return DSfloat(value)
    return DSfloat(str(value)) if str(value).strip() else None


def _is(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return IS(value) if value.strip() else None
    return IS(value)


def _at(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, int):
        return BaseTag(value)
    try:
        return BaseTag(int(str(value), 16))
    except ValueError:
        raise InvalidDicomError(f"invalid DICOM JSON AT value {value!r:.80}") from None


def _number(value: Any, kind: type) -> Any:
    if value is None:
        return None
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise InvalidDicomError(f"invalid DICOM JSON number {value!r:.80}") from None


def _element(tag: int, obj: Any, handler: Callable[[str], bytes] | None) -> DataElement:
    if not isinstance(obj, dict):
        raise InvalidDicomError(f"DICOM JSON element {tag:08X} is not an object", tag=tag)
    vr = obj.get("vr")
    if not isinstance(vr, str) or not vr:
        if datadict.dictionary_has_tag(tag):
            vr = datadict.dictionary_VR(tag)
        else:
            raise InvalidDicomError(f"DICOM JSON element {tag:08X} has no 'vr'", tag=tag)
    if "BulkDataURI" in obj:
        uri = obj["BulkDataURI"]
        if isinstance(uri, list):
            uri = uri[0] if uri else ""
        if not isinstance(uri, str):
            raise InvalidDicomError(f"element {tag:08X}: BulkDataURI must be a string", tag=tag)
        return BulkDataElement(tag, vr, uri, handler)
    if "InlineBinary" in obj:
        data = obj["InlineBinary"]
        if isinstance(data, list):
            data = data[0] if data else ""
        if not isinstance(data, str):
            raise InvalidDicomError(f"element {tag:08X}: InlineBinary must be a string", tag=tag)
        try:
            raw = base64.b64decode(data, validate=False)
        except ValueError as exc:
            raise InvalidDicomError(f"element {tag:08X}: invalid base64 InlineBinary: {exc}",
                                    tag=tag) from None
        return DataElement._make(BaseTag(tag), vr, raw, None, False)
    values = obj.get("Value")
    if values is None or (isinstance(values, list) and not values):
        value: Any = Sequence() if vr == "SQ" else empty_value(vr)
        return DataElement._make(BaseTag(tag), vr, value, None, False)
    if not isinstance(values, list):
        raise InvalidDicomError(f"element {tag:08X}: 'Value' must be a list", tag=tag)
    if vr == "SQ":
        items = [_dataset(item if item is not None else {}, handler) for item in values]
        return DataElement._make(BaseTag(tag), vr, Sequence._from_items(items, False), None, False)
    if vr == "PN":
        conv: Any = [PersonName(_pn(v)) for v in values]
    elif vr == "DS":
        conv = [_ds(v) for v in values]
    elif vr == "IS":
        conv = [_is(v) for v in values]
    elif vr == "AT":
        conv = [_at(v) for v in values]
    elif vr in _INT_VRS:
        conv = [_number(v, int) for v in values]
    elif vr in _FLOAT_VRS:
        conv = [_number(v, float) for v in values]
    elif vr in JSON_BINARY_VRS:  # numbers or bytes given as Value: kept as given
        return DataElement(tag, vr, values if len(values) > 1 else values[0])
    else:
        conv = ["" if v is None else str(v) for v in values]
        if vr == "UI":
            from dcmfast.uid import IGNORE, UID

            # what the server sent, unjudged (reading a file warns; a response is not ours to fix)
            conv = [UID(v, validation_mode=IGNORE) for v in conv]
    value = conv[0] if len(conv) == 1 else MultiValue(conv)
    return DataElement._make(BaseTag(tag), vr, value, None, False)


def _dataset(obj: Any, handler: Callable[[str], bytes] | None) -> Dataset:
    if not isinstance(obj, dict):
        raise InvalidDicomError(f"a DICOM JSON data set must be an object, not {type(obj).__name__}")
    ds = Dataset()
    elems = ds._elems()
    for key, value in obj.items():
        try:
            tag = int(key, 16)
            if len(key) != 8 or tag < 0:
                raise ValueError
        except (TypeError, ValueError):
            raise InvalidDicomError(f"invalid DICOM JSON tag key {key!r:.40}") from None
        elem = _element(tag, value, handler)
        elems[tag] = elem
    for tag, elem in elems.items():  # private creators, as Dataset.__setitem__ would
        if (tag >> 16) & 1 and tag & 0xFF00:
            creator = elems.get((tag & 0xFFFF0000) | ((tag & 0xFF00) >> 8))
            if creator is not None and creator is not elem:
                elem.private_creator = creator.value
    return ds


def from_json(obj: Any, bulk_data_uri_handler: Callable[[str], bytes] | None = None) -> Dataset:
    """A Dataset from DICOM JSON: a dict, or its text (str/bytes).

    ``bulk_data_uri_handler(uri) -> bytes`` fetches BulkDataURI values, on
    first use; without one such elements read as empty (None).
    Malformed JSON raises :class:`~dcmfast.InvalidDicomError`.
    """
    if isinstance(obj, (str, bytes, bytearray)):
        try:
            obj = json.loads(obj)
        except ValueError as exc:
            raise InvalidDicomError(f"invalid DICOM JSON: {exc}") from None
    return _dataset(obj, bulk_data_uri_handler)


# ---------------------------------------------------------------------------------------
# Dataset -> JSON
# ---------------------------------------------------------------------------------------
def _pn_json(value: Any) -> Any:
    comps = list(value.components) if isinstance(value, PersonName) else str(value).split("=")
    if not comps:
        comps = [""]
    out = {"Alphabetic": comps[0]}
    if len(comps) > 1:
        out["Ideographic"] = comps[1]
    if len(comps) > 2:
        out["Phonetic"] = comps[2]
    return out


def _scalar_json(vr: str, v: Any) -> Any:
    if v is None:
        return None
    if vr in ("IS",) or vr in _INT_VRS:
        return int(v)
    if vr in ("DS",) or vr in _FLOAT_VRS:
        return float(v)
    if vr == "PN":
        return _pn_json(v)
    if vr == "AT":
        return format(int(v), "08X")
    return v if isinstance(v, (str, int, float)) else str(v)


def element_to_json(elem: DataElement, bulk_data_element_handler: Callable[[DataElement], str] | None = None,
                    bulk_data_threshold: int = 1024) -> dict:
    """One element as its DICOM JSON object (pydicom's DataElement.to_json_dict)."""
    vr = elem.VR
    out: dict[str, Any] = {"vr": vr}
    if vr in JSON_BINARY_VRS:
        if isinstance(elem, BulkDataElement) and not elem.is_loaded:
            out["BulkDataURI"] = elem.bulk_data_uri
            return out
        value = elem.value
        if value is None or (hasattr(value, "__len__") and len(value) == 0):
            return out
        if not isinstance(value, (bytes, bytearray, memoryview)):
            out["Value"] = list(value) if isinstance(value, (list, tuple)) else [value]
            return out
        if bulk_data_element_handler is not None and len(value) > (bulk_data_threshold // 4) * 3:
            out["BulkDataURI"] = bulk_data_element_handler(elem)
        else:
            out["InlineBinary"] = base64.b64encode(value).decode("ascii")
        return out
    value = elem.value
    if vr == "SQ":
        out["Value"] = [to_json(item, bulk_data_element_handler, bulk_data_threshold)
                        for item in (value or [])]
        return out
    if elem.is_empty:
        return out
    values = value if isinstance(value, list) else [value]
    out["Value"] = [_scalar_json(vr, v) for v in values]
    return out


def to_json(ds: Dataset, bulk_data_element_handler: Callable[[DataElement], str] | None = None,
            bulk_data_threshold: int = 1024) -> dict:
    """The DICOM JSON model of ``ds`` as a dict (``json.dumps`` it for text).

    Binary values are InlineBinary, or a BulkDataURI from
    ``bulk_data_element_handler(elem)`` when longer than ``bulk_data_threshold``
    base64 characters (pydicom's convention); unfetched BulkDataURI elements
    keep their URI. File meta elements are not included.
    """
    out: dict[str, Any] = {}
    for elem in ds:
        out[f"{int(elem.tag):08X}"] = element_to_json(elem, bulk_data_element_handler,
                                                      bulk_data_threshold)
    return out
