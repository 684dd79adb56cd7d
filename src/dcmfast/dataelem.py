"""DataElement: one element of a data set, as pydicom presents it."""
from __future__ import annotations

from typing import Any

from dcmfast import datadict
from dcmfast.tag import BaseTag, Tag
from dcmfast.uid import UID
from dcmfast.valuerep import DS, IS_or_none, MultiValue, PersonName

__all__ = ["DataElement"]

# VRs whose single values may hold a backslash (pydicom's ALLOW_BACKSLASH)
_NO_SPLIT_VRS = frozenset(["LT", "ST", "UT", "UR", "OB", "OD", "OF", "OL", "OV", "OW", "UN",
                           "OB or OW", "US or OW", "US or SS or OW"])
_LONG_VALUE_VRS = frozenset(["OB", "OD", "OF", "OL", "OV", "OW", "UN", "LT", "UT", "UC", "UR",
                             "OB or OW", "US or OW", "US or SS or OW"])
_TEXT_VRS = frozenset("AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UR UT".split())


def _convert_one(vr: str, val: Any) -> Any:
    """A user-given single value in the type pydicom would hold for ``vr``."""
    if isinstance(val, bytes) and vr in ("AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI", "UR"):
        val = val.decode()
    if vr == "IS":
        return IS_or_none(val)
    if vr == "DS":
        return DS(val)
    if vr == "UI":
        return UID(val) if val is not None else None
    if vr == "PN":
        return val if isinstance(val, PersonName) or val is None else PersonName(val)
    if vr == "AT" and (val == 0 or val):
        return val if isinstance(val, BaseTag) else Tag(val)
    return val


class DataElement:
    """A DICOM data element: ``tag``, ``VR``, ``value`` and dictionary facts.

    Parameters
    ----------
    tag : int, tuple or str
        Anything :func:`dcmfast.tag.Tag` accepts.
    VR : str
        Value Representation.
    value : Any
        The value; converted like pydicom does (``"1\\\\2"`` for a DS becomes a
        two-item :class:`MultiValue` of DSfloat, a list becomes a MultiValue).
    """

    __slots__ = ("tag", "VR", "_value", "is_undefined_length", "private_creator", "file_tell")

    def __init__(self, tag: Any, VR: str, value: Any, file_value_tell: int | None = None,
                 is_undefined_length: bool = False, already_converted: bool = False) -> None:
        self.tag = tag if isinstance(tag, BaseTag) else Tag(tag)
        if VR == "UN" and not self.tag.is_private and (
            is_undefined_length or value is None or len(value) < 0xFFFF
        ):
            # a known tag only keeps UN when its value is too long for its VR
            VR = datadict.dictionary_VR(self.tag) if datadict.dictionary_has_tag(self.tag) else VR
        self.VR = VR
        self.file_tell = file_value_tell
        self.is_undefined_length = is_undefined_length
        self.private_creator = None
        if already_converted:
            self._value = value
        else:
            self.value = value

    @classmethod
    def _make(cls, tag: BaseTag, VR: str, value: Any, file_tell: int | None,
              undefined: bool) -> "DataElement":
        """Fast constructor for values already decoded by the reader."""
        elem = cls.__new__(cls)
        elem.tag = tag
        elem.VR = VR
        elem._value = value
        elem.file_tell = file_tell
        elem.is_undefined_length = undefined
        elem.private_creator = None
        return elem

    @property
    def value(self) -> Any:
        """The element's value."""
        return self._value

    @value.setter
    def value(self, val: Any) -> None:
        self._value = self._convert_value(val)

    def _convert_value(self, val: Any) -> Any:
        vr = self.VR
        if vr == "SQ":
            from dcmfast.sequence import Sequence

            if isinstance(val, Sequence):
                return val
            return Sequence(val if val is not None else [])
        if isinstance(val, str) and "\\" in val and vr not in _NO_SPLIT_VRS:
            val = val.split("\\")
        elif isinstance(val, bytes) and b"\\" in val and vr in ("AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI"):
            val = val.decode().split("\\")
        if isinstance(val, (list, tuple)) and not isinstance(val, (str, bytes)):
            return MultiValue(_convert_one(vr, v) for v in val)
        if vr in ("US", "SS", "UL", "SL", "UV", "SV", "FL", "FD") and isinstance(val, (list, tuple)):
            return MultiValue(val)
        try:
            import numpy

            if isinstance(val, numpy.ndarray) and vr not in _NO_SPLIT_VRS:
                return MultiValue(_convert_one(vr, v.item()) for v in val)
        except ImportError:  # pragma: no cover
            pass
        return _convert_one(vr, val)

    @property
    def VM(self) -> int:
        """Value Multiplicity: 0 if empty, the number of values otherwise."""
        value = self._value
        if value is None:
            return 0
        if isinstance(value, (str, bytes, bytearray, PersonName)):
            return 1 if value else 0
        if self.VR == "SQ":
            return 1
        try:
            return len(value)
        except TypeError:
            return 1

    @property
    def is_empty(self) -> bool:
        if self.VR == "SQ":
            return not self._value
        return self.VM == 0

    @property
    def empty_value(self) -> Any:
        from dcmfast.values import empty_value

        return empty_value(self.VR)

    def clear(self) -> None:
        """Set the value to the empty value of its VR."""
        from dcmfast.sequence import Sequence
        from dcmfast.values import empty_value

        self._value = Sequence() if self.VR == "SQ" else empty_value(self.VR)

    @property
    def keyword(self) -> str:
        """The dictionary keyword, '' for private and unknown elements."""
        if datadict.dictionary_has_tag(self.tag):
            return datadict.dictionary_keyword(self.tag)
        return ""

    @property
    def name(self) -> str:
        """The dictionary name ('[name]' for known private tags)."""
        tag = self.tag
        if tag.is_private:
            if self.private_creator:
                try:
                    return f"[{datadict.private_dictionary_description(tag, self.private_creator)}]"
                except KeyError:
                    pass
            elif tag.element >> 8 == 0:
                return "Private Creator"
            return "Private tag data"
        if datadict.dictionary_has_tag(tag) or datadict.repeater_has_tag(tag):
            return datadict.dictionary_description(tag)
        if tag.element == 0:
            return "Group Length"
        return ""

    @property
    def is_private(self) -> bool:
        return self.tag.is_private

    @property
    def is_retired(self) -> bool:
        if datadict.dictionary_has_tag(self.tag):
            return datadict.dictionary_is_retired(self.tag)
        return False

    @property
    def is_buffered(self) -> bool:
        return False

    @property
    def repval(self) -> str:
        """A short text form of the value, as str(ds) shows it."""
        value = self._value
        if self.VR in _LONG_VALUE_VRS:
            try:
                length = len(value)
            except TypeError:
                pass
            else:
                if length > 16:
                    return f"Array of {length} elements"
        if self.VM > 16:
            return f"Array of {self.VM} elements"
        if isinstance(value, UID):
            return value.name
        return repr(value)

    def __getitem__(self, key: int) -> Any:
        try:
            return self._value[key]
        except TypeError:
            raise TypeError("DataElement value is unscriptable (not a Sequence)")

    def __eq__(self, other: Any) -> Any:
        if other is self:
            return True
        if isinstance(other, DataElement):
            return self.tag == other.tag and self.VR == other.VR and self._value == other._value
        return NotImplemented

    def __ne__(self, other: Any) -> Any:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        name = f"{self.name[:35]:<35}"
        return f"{self.tag} {name} {self.VR}: {self.repval or ''}"

    __repr__ = __str__
