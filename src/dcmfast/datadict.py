"""Access to the DICOM data dictionary.

The function names and their behaviour mirror :mod:`pydicom.datadict`. The
tables themselves live in the generated modules under :mod:`dcmfast._dict`
(see ``tools/gen_dictionary.py``).

Lookups of public tags are a single ``dict`` access; tags that miss the main
dictionary are matched against the repeating-group masks (``60xx3000`` and
friends) using a small per-group-high-byte index, so no regular expressions
are used anywhere. The private dictionary is only loaded on the first private
lookup.

Hot-path objects for other modules:

* :data:`DICOM_DICT`: ``{tag: (VR, VM, name, retired, keyword)}``
* :data:`KEYWORD_TO_TAG`: ``{keyword: tag}`` for the main dictionary
* :func:`sq_tags`: sorted tags whose dictionary VR is exactly ``"SQ"``
"""

from __future__ import annotations

import warnings

from dcmfast._dict._dicom_dict import DICOM_DICT, REPEATERS
from dcmfast.tag import BaseTag, Tag, TagType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "DICOM_DICT",
    "KEYWORD_TO_TAG",
    "REPEATERS",
    "REPEATER_KEYWORDS",
    "add_dict_entries",
    "add_dict_entry",
    "add_private_dict_entries",
    "add_private_dict_entry",
    "dictionary_VM",
    "dictionary_VR",
    "dictionary_description",
    "dictionary_has_tag",
    "dictionary_is_retired",
    "dictionary_keyword",
    "get_entry",
    "get_private_entry",
    "keyword_for_tag",
    "mask_match",
    "private_dictionary_VM",
    "private_dictionary_VR",
    "private_dictionary_description",
    "repeater_has_keyword",
    "repeater_has_tag",
    "sq_tags",
    "tag_for_keyword",
]

Entry = tuple[str, str, str, str, str]
PrivateEntry = tuple[str, str, str, str]

#: pydicom-compatible alias of :data:`DICOM_DICT` (the same object).
DicomDictionary = DICOM_DICT
#: pydicom-compatible alias of :data:`REPEATERS` (the same object).
RepeatersDictionary = REPEATERS

#: ``{keyword: tag}`` for every entry of :data:`DICOM_DICT` (repeating-group
#: keywords are not included). When a keyword occurs more than once the last
#: tag in dictionary order wins; this includes the empty keyword of a few
#: retired entries, exactly as in pydicom.
KEYWORD_TO_TAG: dict[str, int] = {entry[4]: tag for tag, entry in DICOM_DICT.items()}
#: pydicom-compatible alias of :data:`KEYWORD_TO_TAG` (the same object).
keyword_dict = KEYWORD_TO_TAG

#: Keywords of the repeating-group entries.
REPEATER_KEYWORDS: list[str] = [entry[4] for entry in REPEATERS.values()]
_REPEATER_KEYWORD_SET = frozenset(REPEATER_KEYWORDS)


# --- repeating groups -------------------------------------------------------


def _compile_mask(mask: str) -> tuple[int, int]:
    """Return ``(value, care)`` for a mask such as ``'60xx3000'``.

    A tag matches when ``(tag ^ value) & care == 0``: ``value`` holds the
    fixed hex digits (``x`` read as 0) and ``care`` has ``F`` where the digit
    is fixed and ``0`` where it is ``x``.
    """
    value = int(mask.replace("x", "0"), 16)
    care = int("".join("0" if c == "x" else "F" for c in mask), 16)
    return value, care


#: mask -> (value, care); same order as REPEATERS (the first match wins).
masks: dict[str, tuple[int, int]] = {m: _compile_mask(m) for m in REPEATERS}


def _index_masks() -> tuple[tuple[int, dict[int, str]], ...] | None:
    """Group the masks by their ``care`` pattern for dict-based matching.

    A tag matches ``(value, care)`` exactly when ``tag & care == value``, so
    one dict per distinct ``care`` (there are a handful) finds the mask in a
    few lookups. That ignores the mask order, which only matters if a tag
    could match two masks; this is checked here (never the case in the
    standard) and ``None`` is returned to fall back to an ordered scan.
    """
    by_care: dict[int, dict[int, str]] = {}
    for mask, (value, care) in masks.items():
        table = by_care.setdefault(care, {})
        if value in table:
            return None
        table[value] = mask
    # Masks (va, ca) and (vb, cb) overlap iff they agree on the bits both
    # fix, i.e. iff va & cb == vb & ca (as va has no bits outside ca).
    groups = list(by_care.items())
    for i, (ca, ta) in enumerate(groups):
        for cb, tb in groups[i + 1 :]:
            if {va & cb for va in ta} & {vb & ca for vb in tb}:
                return None
    return tuple(groups)


_MASKS_BY_CARE = _index_masks()


def mask_match(tag: int) -> str | None:
    """Return the repeating-group mask matching `tag`.

    Parameters
    ----------
    tag : int
        The tag to check.

    Returns
    -------
    str or None
        The matching key of :data:`REPEATERS` (for example ``'60xx3000'``),
        or ``None``. Privacy of the tag is not considered.
    """
    if _MASKS_BY_CARE is not None:
        for care, table in _MASKS_BY_CARE:
            mask = table.get(tag & care)
            if mask is not None:
                return mask
        return None
    for mask, (value, care) in masks.items():  # pragma: no cover - fallback
        if (tag ^ value) & care == 0:
            return mask
    return None


def repeater_has_tag(tag: int) -> bool:
    """Return ``True`` if `tag` matches a repeating-group mask.

    Parameters
    ----------
    tag : int
        The tag to check. Like pydicom, odd (private) groups are not
        excluded, so ``0x60013000`` matches ``'60xx3000'``.

    Returns
    -------
    bool
        ``True`` if :func:`mask_match` finds a mask.
    """
    return mask_match(tag) is not None


def repeater_has_keyword(keyword: str) -> bool:
    """Return ``True`` if `keyword` belongs to a repeating-group entry.

    Parameters
    ----------
    keyword : str
        The keyword to check, for example ``'OverlayData'``.

    Returns
    -------
    bool
        ``True`` if `keyword` is in :data:`REPEATER_KEYWORDS`.
    """
    try:
        return keyword in _REPEATER_KEYWORD_SET
    except TypeError:  # unhashable: compare like a list would
        return keyword in REPEATER_KEYWORDS


# --- main dictionary --------------------------------------------------------


def _find(tag: int) -> Entry | None:
    """Return the entry for the int `tag` (repeaters on a miss) or ``None``."""
    entry = DICOM_DICT.get(tag)
    if entry is not None:
        return entry
    if not (tag >> 16) & 1:
        mask = mask_match(tag)
        if mask is not None:
            return REPEATERS[mask]
    return None


def _lookup(tag: int) -> Entry:
    """Return the entry for the int `tag`; raise :class:`KeyError` if none."""
    entry = _find(tag)
    if entry is None:
        raise KeyError(f"Tag {BaseTag(tag)} not found in DICOM dictionary")
    return entry


def get_entry(tag: TagType) -> Entry:
    """Return the data dictionary entry for `tag`.

    Parameters
    ----------
    tag : int or str or tuple of (int, int)
        The tag, in any form accepted by :func:`~dcmfast.tag.Tag`. Tags that
        are not in the main dictionary are matched against the repeating
        groups (private tags excepted).

    Returns
    -------
    tuple of str
        ``(VR, VM, name, retired, keyword)``.

    Raises
    ------
    KeyError
        If the tag is not in the dictionary.
    ValueError, TypeError, OverflowError
        If `tag` cannot be converted to a tag.
    """
    if type(tag) is not int or not 0 <= tag <= 0xFFFFFFFF:
        tag = Tag(tag)  # validates; returns a BaseTag unchanged
    return _lookup(tag)


def _dictionary_vr_fast(tag: int) -> str:
    """Return the dictionary VR of the int `tag` (no argument conversion).

    Raises
    ------
    KeyError
        If the tag is not in the dictionary.
    """
    entry = DICOM_DICT.get(tag)
    if entry is not None:
        return entry[0]
    return _lookup(tag)[0]


def dictionary_VR(tag: TagType) -> str:
    """Return the dictionary VR of `tag`, e.g. ``'PN'`` or ``'OB or OW'``.

    Parameters
    ----------
    tag : int or str or tuple of (int, int)
        The tag, in any form accepted by :func:`~dcmfast.tag.Tag`.

    Returns
    -------
    str
        The value representation.

    Raises
    ------
    KeyError
        If the tag is not in the dictionary.
    """
    return get_entry(tag)[0]


def dictionary_VM(tag: TagType) -> str:
    """Return the dictionary VM of `tag`, e.g. ``'1'`` or ``'1-n'``.

    Parameters
    ----------
    tag : int or str or tuple of (int, int)
        The tag, in any form accepted by :func:`~dcmfast.tag.Tag`.

    Returns
    -------
    str
        The value multiplicity.

    Raises
    ------
    KeyError
        If the tag is not in the dictionary.
    """
    return get_entry(tag)[1]


def dictionary_description(tag: TagType) -> str:
    """Return the dictionary name of `tag`, e.g. ``"Patient's Name"``.

    Parameters
    ----------
    tag : int or str or tuple of (int, int)
        The tag, in any form accepted by :func:`~dcmfast.tag.Tag`.

    Returns
    -------
    str
        The element name.

    Raises
    ------
    KeyError
        If the tag is not in the dictionary.
    """
    return get_entry(tag)[2]


def dictionary_keyword(tag: TagType) -> str:
    """Return the dictionary keyword of `tag`, e.g. ``'PatientName'``.

    Parameters
    ----------
    tag : int or str or tuple of (int, int)
        The tag, in any form accepted by :func:`~dcmfast.tag.Tag`.

    Returns
    -------
    str
        The keyword (empty for a few retired entries).

    Raises
    ------
    KeyError
        If the tag is not in the dictionary.
    """
    return get_entry(tag)[4]


def dictionary_is_retired(tag: TagType) -> bool:
    """Return ``True`` if the element for `tag` is retired.

    Parameters
    ----------
    tag : int or str or tuple of (int, int)
        The tag, in any form accepted by :func:`~dcmfast.tag.Tag`.

    Returns
    -------
    bool
        ``True`` if the retired flag of the entry contains "retired"
        (case-insensitive).

    Raises
    ------
    KeyError
        If the tag is not in the dictionary.
    """
    return "retired" in get_entry(tag)[3].lower()


def dictionary_has_tag(tag: TagType) -> bool:
    """Return ``True`` if `tag` is in the main data dictionary.

    Parameters
    ----------
    tag : int or str or tuple of (int, int)
        The tag, in any form accepted by :func:`~dcmfast.tag.Tag`.

    Returns
    -------
    bool
        ``True`` if the tag is a key of :data:`DICOM_DICT`. Repeating-group
        tags give ``False`` (see :func:`repeater_has_tag`), and so does any
        value that is not a valid tag.
    """
    try:
        return Tag(tag) in DICOM_DICT
    except Exception:
        return False


def keyword_for_tag(tag: TagType) -> str:
    """Return the keyword of `tag`, or ``''`` if it is not in the dictionary.

    Parameters
    ----------
    tag : int or str or tuple of (int, int)
        The tag, in any form accepted by :func:`~dcmfast.tag.Tag`.
        Repeating-group tags resolve (``0x60003000`` -> ``'OverlayData'``).

    Returns
    -------
    str
        The keyword, or ``''``.

    Raises
    ------
    ValueError, TypeError, OverflowError
        If `tag` cannot be converted to a tag.
    """
    if type(tag) is not int or not 0 <= tag <= 0xFFFFFFFF:
        tag = Tag(tag)
    entry = _find(tag)
    return entry[4] if entry is not None else ""


def tag_for_keyword(keyword: str) -> int | None:
    """Return the tag for `keyword`, or ``None`` if it is unknown.

    Parameters
    ----------
    keyword : str
        The keyword, e.g. ``'PatientName'``. Repeating-group keywords
        (``'OverlayData'``) are not resolved.

    Returns
    -------
    int or None
        The tag as a plain int, or ``None``.
    """
    return KEYWORD_TO_TAG.get(keyword)


_SQ_TAGS: tuple[int, ...] | None = None


def sq_tags() -> tuple[int, ...]:
    """Return the sorted tags whose main-dictionary VR is exactly ``'SQ'``.

    Used by the tokenizer to recognise sequences in implicit VR data. The
    repeating-group entries are not included. The result is cached and
    recomputed after :func:`add_dict_entries`.

    Returns
    -------
    tuple of int
        The tags in ascending order.
    """
    global _SQ_TAGS
    if _SQ_TAGS is None:
        _SQ_TAGS = tuple(sorted(t for t, e in DICOM_DICT.items() if e[0] == "SQ"))
    return _SQ_TAGS


def add_dict_entry(
    tag: int,
    VR: str,
    keyword: str,
    description: str,
    VM: str = "1",
    is_retired: str = "",
) -> None:
    """Add or replace one public entry of the data dictionary (runtime only).

    Parameters
    ----------
    tag : int
        The tag of the new entry.
    VR : str
        The value representation.
    keyword : str
        The keyword.
    description : str
        The element name.
    VM : str, optional
        The value multiplicity, default ``'1'``.
    is_retired : str, optional
        ``''`` (default) or ``'Retired'``.

    Raises
    ------
    ValueError
        If `tag` is private.
    """
    add_dict_entries({tag: (VR, VM, description, is_retired, keyword)})


def add_dict_entries(new_entries_dict: dict[int, Entry]) -> None:
    """Add or replace public entries of the data dictionary (runtime only).

    Parameters
    ----------
    new_entries_dict : dict
        ``{tag: (VR, VM, name, retired, keyword)}``.

    Raises
    ------
    ValueError
        If any of the tags is private.
    """
    global _SQ_TAGS
    if any(BaseTag(tag).is_private for tag in new_entries_dict):
        raise ValueError(
            'Private tags cannot be added using "add_dict_entries" - '
            'use "add_private_dict_entries" instead'
        )
    DICOM_DICT.update(new_entries_dict)
    KEYWORD_TO_TAG.update({val[4]: tag for tag, val in new_entries_dict.items()})
    _SQ_TAGS = None


# --- private dictionary -----------------------------------------------------

_PRIVATE_DICT: dict[str, dict[str, PrivateEntry]] | None = None


def _private_dicts() -> dict[str, dict[str, PrivateEntry]]:
    """Return the private dictionary, importing it on first use."""
    global _PRIVATE_DICT
    if _PRIVATE_DICT is None:
        from dcmfast._dict._private_dict import PRIVATE_DICT

        _PRIVATE_DICT = PRIVATE_DICT
    return _PRIVATE_DICT


def __getattr__(name: str) -> Any:
    """Load the private dictionary lazily for ``PRIVATE_DICT`` and its alias."""
    if name in ("PRIVATE_DICT", "private_dictionaries"):
        return _private_dicts()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_private_entry(tag: TagType, private_creator: str) -> PrivateEntry:
    """Return the private dictionary entry for `tag` under `private_creator`.

    The keys tried, in order, are the exact ``'GGGGEEEE'``, then
    ``'GGGGxxee'`` (any block) and ``'GGxxxxee'`` (any group sharing the
    first two digits), where ``ee`` is the low byte of the element.

    Parameters
    ----------
    tag : int or str or tuple of (int, int)
        The tag, in any form accepted by :func:`~dcmfast.tag.Tag`.
    private_creator : str
        The private creator value (exact string match).

    Returns
    -------
    tuple of str
        ``(VR, VM, name, retired)``.

    Raises
    ------
    KeyError
        If the creator or the tag is not in the private dictionary. An
        unhashable creator also emits a warning.
    """
    if not isinstance(tag, BaseTag):
        tag = Tag(tag)

    try:
        private_dict = _private_dicts()[private_creator]
    except KeyError as exc:
        raise KeyError(
            f"Private creator '{private_creator}' not in the private dictionary"
        ) from exc
    except TypeError as exc:
        msg = f"{tag.private_creator} '{private_creator}' is not a valid private creator"
        import logging

        from dcmfast.errors import DicomWarning

        logging.getLogger("dcmfast").warning(msg)
        warnings.warn(msg, DicomWarning, stacklevel=2)
        raise KeyError(msg) from exc

    group = f"{tag >> 16:04X}"
    elem = f"{tag & 0xFFFF:04X}"
    for key in (group + elem, f"{group}xx{elem[2:]}", f"{group[:2]}xxxx{elem[2:]}"):
        entry = private_dict.get(key)
        if entry is not None:
            return entry
    raise KeyError(
        f"Tag '{tag}' not in private dictionary "
        f"for private creator '{private_creator}'"
    )


def private_dictionary_VR(tag: TagType, private_creator: str) -> str:
    """Return the VR of a private element.

    Parameters
    ----------
    tag : int or str or tuple of (int, int)
        The tag, in any form accepted by :func:`~dcmfast.tag.Tag`.
    private_creator : str
        The private creator value.

    Returns
    -------
    str
        The value representation.

    Raises
    ------
    KeyError
        If the creator or tag is not in the private dictionary.
    """
    return get_private_entry(tag, private_creator)[0]


def private_dictionary_VM(tag: TagType, private_creator: str) -> str:
    """Return the VM of a private element.

    Parameters
    ----------
    tag : int or str or tuple of (int, int)
        The tag, in any form accepted by :func:`~dcmfast.tag.Tag`.
    private_creator : str
        The private creator value.

    Returns
    -------
    str
        The value multiplicity.

    Raises
    ------
    KeyError
        If the creator or tag is not in the private dictionary.
    """
    return get_private_entry(tag, private_creator)[1]


def private_dictionary_description(tag: TagType, private_creator: str) -> str:
    """Return the name of a private element.

    Parameters
    ----------
    tag : int or str or tuple of (int, int)
        The tag, in any form accepted by :func:`~dcmfast.tag.Tag`.
    private_creator : str
        The private creator value.

    Returns
    -------
    str
        The element name.

    Raises
    ------
    KeyError
        If the creator or tag is not in the private dictionary.
    """
    return get_private_entry(tag, private_creator)[2]


def add_private_dict_entry(
    private_creator: str, tag: int, VR: str, description: str, VM: str = "1"
) -> None:
    """Add or replace one private dictionary entry (runtime only).

    Parameters
    ----------
    private_creator : str
        The private creator value.
    tag : int
        The private tag; the block byte (high byte of the element) is
        ignored.
    VR : str
        The value representation.
    description : str
        The element name.
    VM : str, optional
        The value multiplicity, default ``'1'``.

    Raises
    ------
    ValueError
        If `tag` is not private.
    """
    add_private_dict_entries(private_creator, {tag: (VR, VM, description, "")})


def add_private_dict_entries(
    private_creator: str, new_entries_dict: dict[int, PrivateEntry]
) -> None:
    """Add or replace private dictionary entries (runtime only).

    Parameters
    ----------
    private_creator : str
        The private creator value for all the entries.
    new_entries_dict : dict
        ``{tag: (VR, VM, name, retired)}``; entries are stored under
        ``'GGGGxxee'`` keys.

    Raises
    ------
    ValueError
        If any of the tags is not private.
    """
    if not all(BaseTag(tag).is_private for tag in new_entries_dict):
        raise ValueError(
            "Non-private tags cannot be added using "
            "'add_private_dict_entries()' - use 'add_dict_entries()' instead"
        )
    new_entries = {
        f"{tag >> 16:04X}xx{tag & 0xFF:02X}": value
        for tag, value in new_entries_dict.items()
    }
    _private_dicts().setdefault(private_creator, {}).update(new_entries)
