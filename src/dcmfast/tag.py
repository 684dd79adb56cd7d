"""DICOM data element tags.

A tag is the 32-bit ``(group, element)`` identifier of a data element. It is
held as a plain :class:`int` subclass, :class:`BaseTag`, so that it hashes and
compares like the integer ``0xGGGGEEEE`` and can be used directly as a key of
the dictionaries in :mod:`dcmfast.datadict`.

The behaviour (accepted inputs, exceptions raised, string forms and the
comparison rules) follows :mod:`pydicom.tag`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "BaseTag",
    "ItemDelimiterTag",
    "ItemTag",
    "SequenceDelimiterTag",
    "TAG_CHARSET",
    "TAG_PIXREP",
    "Tag",
    "TagListType",
    "TagType",
    "TupleTag",
    "tag_in_exception",
]

_MAX_TAG = 0xFFFFFFFF
_MAX_HALF = 0xFFFF


_keyword_lookup: Callable[[str], int | None] | None = None


def _keyword_to_tag(keyword: str) -> int | None:
    """Look `keyword` up in the data dictionary.

    :mod:`dcmfast.datadict` imports this module, so its lookup function is
    imported on first use and then kept.
    """
    global _keyword_lookup
    if _keyword_lookup is None:
        from dcmfast.datadict import tag_for_keyword

        _keyword_lookup = tag_for_keyword
    return _keyword_lookup(keyword)


def Tag(arg: TagType, arg2: int | None = None) -> BaseTag:
    """Create a :class:`BaseTag` from any of the usual tag notations.

    Accepted forms::

        Tag(0x00100010)          # combined group and element
        Tag(0x0010, 0x0010)      # group, element
        Tag((0x0010, 0x0010))    # (group, element) tuple or list
        Tag(("0010", "0010"))    # hex strings pair
        Tag("PatientName")       # data dictionary keyword
        Tag("0x00100010")        # hex string, "0x" optional

    Parameters
    ----------
    arg : int or str or tuple of (int, int) or BaseTag
        The combined tag, the group number (when `arg2` is given), a
        ``(group, element)`` pair of ints or of hex strings, a keyword or a
        hex string. A :class:`BaseTag` is returned unchanged (and `arg2` is
        then ignored, as pydicom does).
    arg2 : int, optional
        The element number when `arg` is the group number.

    Returns
    -------
    BaseTag
        The tag.

    Raises
    ------
    ValueError
        If a pair does not have two items, a string is neither a hex number
        nor a known keyword, or the resulting value is negative.
    TypeError
        If the items of a pair are not both int or both str, or `arg` has an
        unsupported type.
    OverflowError
        If the group or element exceeds 16 bits, or the combined value
        exceeds 32 bits.
    """
    if isinstance(arg, BaseTag):
        return arg

    if arg2 is not None:
        arg = (arg, arg2)  # type: ignore[assignment]

    value: Any
    if isinstance(arg, (tuple, list)):
        if len(arg) != 2:
            raise ValueError("Tag must be an int or a 2-tuple")
        group, elem = arg
        if isinstance(group, str) and isinstance(elem, str):
            group, elem = int(group, 16), int(elem, 16)
        elif not (isinstance(group, int) and isinstance(elem, int)):
            raise TypeError(
                f"Unable to create an element tag from '{arg}': both "
                "arguments must be the same type and str or int"
            )
        if group > _MAX_HALF or elem > _MAX_HALF:
            raise OverflowError(
                f"Unable to create an element tag from '{arg}': the group "
                "and element values are limited to a maximum of 2-bytes each"
            )
        value = (group << 16) | elem

    elif isinstance(arg, str):
        try:
            value = int(arg, 16)
        except ValueError:
            value = _keyword_to_tag(arg)
            if value is None:
                raise ValueError(
                    f"Unable to create an element tag from '{arg}': "
                    "unknown DICOM element keyword or an invalid int"
                ) from None
        else:
            if value > _MAX_TAG:
                raise OverflowError(
                    f"Unable to create an element tag from '{value}': the "
                    "combined group and element values are limited to a "
                    "maximum of 4-bytes"
                )

    else:
        # Any other object is used as is: ints, but also anything that
        # compares with ints and converts with int() (pydicom does the same,
        # e.g. Tag(1.5) == Tag(1)).
        value = arg
        if value > _MAX_TAG:
            raise OverflowError(
                f"Unable to create an element tag from '{value}': the "
                "combined group and element values are limited to a maximum "
                "of 4-bytes"
            )

    if value < 0:
        raise ValueError(
            f"Unable to create an element tag from '{value}': tags must "
            "be positive"
        )

    return BaseTag(value)


def _as_tag_int(other: Any) -> int:
    """Return `other` as a tag int for comparisons (raises on failure)."""
    if isinstance(other, int):
        return other
    return int(Tag(other))


class BaseTag(int):
    """A DICOM data element tag, stored as the int ``0xGGGGEEEE``.

    Comparisons accept anything :func:`Tag` accepts, so
    ``BaseTag(0x00100010) == "PatientName"`` and
    ``BaseTag(0x00100010) == (0x10, 0x10)`` are both ``True``. Equality with a
    value that cannot be converted is ``False``; ordering against such a value
    raises :class:`TypeError`.
    """

    __slots__ = ()

    def __eq__(self, other: Any) -> bool:
        """Return ``True`` if `self` equals `other` (converted by :func:`Tag`)."""
        if isinstance(other, int):
            return int(self) == int(other)  # faster than int.__eq__(self, ...)
        try:
            other = Tag(other)
        except Exception:
            return False
        return int(self) == int(other)

    def __ne__(self, other: Any) -> bool:
        """Return ``True`` if `self` does not equal `other`."""
        return not self.__eq__(other)

    def __lt__(self, other: Any) -> bool:
        """Return ``True`` if `self` is less than `other`."""
        try:
            value = _as_tag_int(other)
        except Exception:
            raise TypeError("Cannot compare Tag with non-Tag item") from None
        return int(self) < value

    def __le__(self, other: Any) -> bool:
        """Return ``True`` if `self` is less than or equal to `other`."""
        return self.__eq__(other) or self.__lt__(other)

    def __gt__(self, other: Any) -> bool:
        """Return ``True`` if `self` is greater than `other`."""
        return not (self.__eq__(other) or self.__lt__(other))

    def __ge__(self, other: Any) -> bool:
        """Return ``True`` if `self` is greater than or equal to `other`."""
        return self.__eq__(other) or not self.__lt__(other)

    # Overriding __eq__ would otherwise disable hashing.
    __hash__ = int.__hash__

    def __str__(self) -> str:
        """Return the tag as ``'(GGGG,EEEE)'`` with uppercase hex digits."""
        return f"({self >> 16:04X},{self & 0xFFFF:04X})"

    __repr__ = __str__

    @property
    def json_key(self) -> str:
        """Return the DICOM JSON key ``'GGGGEEEE'`` (uppercase hex)."""
        return f"{self >> 16:04X}{self & 0xFFFF:04X}"

    @property
    def group(self) -> int:
        """Return the group number."""
        return self >> 16

    @property
    def element(self) -> int:
        """Return the element number."""
        return self & 0xFFFF

    elem = element

    @property
    def is_private(self) -> bool:
        """Return ``True`` for a private tag (odd group number)."""
        return (self >> 16) % 2 == 1

    @property
    def is_private_creator(self) -> bool:
        """Return ``True`` for a private creator tag (odd group, element
        ``0x0010`` to ``0x00FF``)."""
        return (self >> 16) % 2 == 1 and 0x0010 <= (self & 0xFFFF) < 0x0100

    @property
    def private_creator(self) -> BaseTag:
        """Return the private creator tag reserving this private tag's block.

        For ``(gggg,xxee)`` this is ``(gggg,00xx)``. The result is
        meaningless for non-private tags.
        """
        return BaseTag((self & 0xFFFF0000) | ((self & 0xFFFF) >> 8))


#: Anything :func:`Tag` accepts: an int, a keyword or hex string, a
#: ``(group, element)`` pair or a :class:`BaseTag`.
TagType = int | str | tuple[int, int] | BaseTag
#: A list of values accepted by :func:`Tag`.
TagListType = list[int] | list[str] | list[tuple[int, int]] | list[BaseTag]


def TupleTag(group_elem: tuple[int, int]) -> BaseTag:
    """Return a :class:`BaseTag` from a ``(group, element)`` pair, unchecked.

    Parameters
    ----------
    group_elem : tuple of (int, int)
        The group and element numbers, assumed to be valid 16-bit values.

    Returns
    -------
    BaseTag
        The tag.
    """
    return BaseTag(group_elem[0] << 16 | group_elem[1])


@contextmanager
def tag_in_exception(tag: BaseTag) -> Iterator[None]:
    """Add `tag` to the message of any exception raised in the context.

    The exception is re-raised as the same type with the message
    ``"With tag (gggg,eeee) got exception: <message>"`` followed by the
    original traceback text, chained to the original exception.

    Parameters
    ----------
    tag : BaseTag
        The tag being processed.
    """
    try:
        yield
    except Exception as exc:
        import traceback

        stack_trace = traceback.format_exc()
        msg = f"With tag {tag} got exception: {exc}\n{stack_trace}"
        raise type(exc)(msg) from exc


#: (FFFE,E000) Item
ItemTag = BaseTag(0xFFFEE000)
#: (FFFE,E00D) Item Delimitation Item
ItemDelimiterTag = BaseTag(0xFFFEE00D)
#: (FFFE,E0DD) Sequence Delimitation Item
SequenceDelimiterTag = BaseTag(0xFFFEE0DD)
#: (0028,0103) Pixel Representation
TAG_PIXREP = BaseTag(0x00280103)
#: (0008,0005) Specific Character Set
TAG_CHARSET = BaseTag(0x00080005)
