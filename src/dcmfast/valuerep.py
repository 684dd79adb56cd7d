"""Value types for decoded elements, following pydicom 3's conventions.

- :class:`PersonName`: a ``str`` subclass with ``family_name``/``given_name``...
  and the three component groups of PS3.5 §6.2.1.
- :class:`DSfloat` (DS) and :class:`IS` (IS): ``float``/``int`` subclasses that
  remember the string they were read from, so writing gives the same bytes.
- :class:`MultiValue`: a ``list`` subclass for VM > 1.

References
----------
PS3.5 §6.2 (Value Representation), §6.4 (Value Multiplicity).
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Iterable

from dcmfast.errors import DicomWarning

__all__ = ["PersonName", "DSfloat", "IS", "MultiValue", "DS", "STR_VRS", "BYTES_VRS"]

#: VRs whose values are text (PS3.5 table 6.2-1)
STR_VRS = frozenset(
    "AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UR UT".split()
)
#: VRs whose values are kept as bytes
BYTES_VRS = frozenset("OB OD OF OL OV OW UN".split())
#: ambiguous VRs from the dictionary, resolved from context
AMBIGUOUS_VRS = frozenset(["US or SS", "US or OW", "US or SS or OW", "OB or OW"])


class MultiValue(list):
    """The values of an element with VM > 1: a list that prints like pydicom's."""

    __slots__ = ()

    def __str__(self) -> str:
        if not self:
            return ""
        parts = (repr(x) if isinstance(x, (str, bytes)) else str(x) for x in self)
        return f"[{', '.join(parts)}]"

    __repr__ = __str__


class DSfloat(float):
    """A Decimal String value: a float that keeps its original text.

    ``str()`` gives the text as read (so it round-trips); comparison with a
    ``str`` compares the text, with a number compares the value.
    """

    __slots__ = ("original_string",)

    def __new__(cls, val: str | float | int, auto_format: bool = False) -> "DSfloat":
        if isinstance(val, str):
            self = float.__new__(cls, val)
            self.original_string = val.strip()
            return self
        self = float.__new__(cls, val)
        if isinstance(val, DSfloat):
            self.original_string = val.original_string
        else:
            self.original_string = _format_ds(float(val))
        return self

    def __str__(self) -> str:
        return self.original_string

    def __repr__(self) -> str:
        return f"'{self.original_string}'"

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, str):
            return str(self) == other
        return float.__eq__(self, other)

    def __ne__(self, other: Any) -> bool:
        return not self == other

    __hash__ = float.__hash__

    def __reduce__(self):
        return (DSfloat, (self.original_string,))


def _format_ds(value: float) -> str:
    """Format a float within DS's 16 characters, as exactly as possible."""
    text = repr(value)
    if len(text) <= 16:
        return text
    for precision in range(16, 0, -1):
        text = f"{value:.{precision}g}"
        if len(text) <= 16:
            return text
    return text


def DS(val: Any) -> DSfloat | None | str:
    """A DS value from text or a number; empty text gives ``None``."""
    if val is None:
        return None
    if isinstance(val, str) and not val.strip():
        return None
    return val if isinstance(val, DSfloat) else DSfloat(val)


class IS(int):
    """An Integer String value: an int that keeps its original text."""

    original_string: str

    def __new__(cls, val: str | int | float) -> "IS":
        if isinstance(val, str):
            text = val.strip()
            try:
                self = int.__new__(cls, text)
            except ValueError:
                number = float(text)  # "1.0" is read as 1, as pydicom does
                if not number.is_integer():
                    raise TypeError(f"Could not convert value '{val}' to integer without loss")
                self = int.__new__(cls, int(number))
            self.original_string = text
            return self
        if isinstance(val, float) and not val.is_integer():
            raise TypeError(f"Could not convert value '{val}' to integer without loss")
        self = int.__new__(cls, int(val))
        self.original_string = getattr(val, "original_string", str(int(val)))
        return self

    def __str__(self) -> str:
        return self.original_string

    def __repr__(self) -> str:
        return f"'{self.original_string}'"

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, str):
            return str(self) == other
        return int.__eq__(self, other)

    def __ne__(self, other: Any) -> bool:
        return not self == other

    __hash__ = int.__hash__

    def __reduce__(self):
        return (IS, (self.original_string,))


def IS_or_none(val: Any) -> IS | None:
    if val is None or (isinstance(val, str) and not val.strip()):
        return None
    return val if isinstance(val, IS) else IS(val)


class PersonName(str):
    """A PN value: the decoded name, with its component groups and parts.

    The string is the whole value, component groups joined by ``=``
    (alphabetic, ideographic, phonetic); each group has up to five parts
    joined by ``^`` (family, given, middle, prefix, suffix).

    References
    ----------
    PS3.5 §6.2.1.1.
    """

    def __new__(cls, val: str | bytes | "PersonName" = "", encodings: list[str] | None = None,
                original_string: bytes | None = None) -> "PersonName":
        if isinstance(val, bytes):
            from dcmfast import charset

            encs = encodings or ["iso8859"]
            components = charset.decode_person_name(val, encs)
            self = str.__new__(cls, "=".join(components).rstrip("="))
            self.original_string = val
            self.encodings = encs
            return self
        # trailing empty component groups carry nothing (pydicom drops them too)
        self = str.__new__(cls, str.rstrip(val, "=") if isinstance(val, str) else val)
        self.original_string = original_string if original_string is not None else getattr(val, "original_string", None)
        self.encodings = encodings
        return self

    @property
    def components(self) -> tuple[str, ...]:
        """The component groups: (alphabetic[, ideographic[, phonetic]])."""
        return tuple(str.split(self, "=")) if self else ()

    def _part(self, group: int, index: int) -> str:
        comps = self.components
        if group >= len(comps):
            return ""
        parts = comps[group].split("^")
        return parts[index] if index < len(parts) else ""

    @property
    def family_name(self) -> str:
        return self._part(0, 0)

    @property
    def given_name(self) -> str:
        return self._part(0, 1)

    @property
    def middle_name(self) -> str:
        return self._part(0, 2)

    @property
    def name_prefix(self) -> str:
        return self._part(0, 3)

    @property
    def name_suffix(self) -> str:
        return self._part(0, 4)

    @property
    def alphabetic(self) -> str:
        return self.components[0]

    @property
    def ideographic(self) -> str:
        comps = self.components
        return comps[1] if len(comps) > 1 else ""

    @property
    def phonetic(self) -> str:
        comps = self.components
        return comps[2] if len(comps) > 2 else ""

    @property
    def family_comma_given(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    def formatted(self, format_str: str) -> str:
        """Format like pydicom: ``"%(family_name)s, %(given_name)s"``."""
        return format_str % {
            "family_name": self.family_name,
            "given_name": self.given_name,
            "middle_name": self.middle_name,
            "name_prefix": self.name_prefix,
            "name_suffix": self.name_suffix,
        }

    def __repr__(self) -> str:
        return str.__repr__(str(self))

    def __str__(self) -> str:
        return str.__str__(self)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __eq__(self, other: Any) -> bool:
        return str.__eq__(self, str(other)) if other is not None else False

    def __ne__(self, other: Any) -> bool:
        return not self == other

    __hash__ = str.__hash__


def warn(message: str) -> None:
    """Report a tolerated oddity in the data (pydicom's WARN mode)."""
    warnings.warn(message, DicomWarning, stacklevel=3)


def multi(values: Iterable[Any], factory: Callable[[Any], Any]) -> MultiValue:
    return MultiValue(factory(v) for v in values)
