"""Dataset, FileDataset and FileMetaDataset: pydicom's facade over a token table.

A Dataset read from a file holds ``_dict``: tag -> either an ``int`` (the index
of the element's token in the C tokenizer's table, not yet decoded) or a
:class:`~dcmfast.dataelem.DataElement`. An element is decoded the first time
it is accessed and cached; sequences become Datasets over the same table, so
nothing is parsed twice and nothing is copied until asked for.
"""
from __future__ import annotations

import copy
import warnings
from typing import Any, Callable, Iterator

from dcmfast import _parse, charset, datadict
from dcmfast.dataelem import DataElement
from dcmfast.errors import DicomWarning, InvalidDicomError
from dcmfast.sequence import Sequence
from dcmfast.tag import BaseTag, Tag
from dcmfast.uid import UID
from dcmfast.valuerep import IS, DSfloat, MultiValue, PersonName
from dcmfast.values import convert_value, empty_value

__all__ = ["Dataset", "FileDataset", "FileMetaDataset"]

_KEYWORD_TO_TAG = datadict.KEYWORD_TO_TAG
_TF_UNDEFINED = _parse.TF_UNDEFINED
_TF_SEQUENCE = _parse.TF_SEQUENCE
_TF_IMPLICIT = _parse.TF_IMPLICIT
_TF_RAWVALUE = _parse.TF_FRAGMENTS | _parse.TF_SEARCHED
_TF_BADVR = _parse.TF_BADVR
_osa = object.__setattr__
_new = object.__new__
_DEFAULT_ENCODING = ["iso8859"]

# PS3.3 C.11 LUT descriptors: the first value is unsigned even when SS
_LUT_DESCRIPTOR_TAGS = frozenset([0x00281101, 0x00281102, 0x00281103, 0x00283002])
_AMBIGUOUS_OB_OW_TAGS = frozenset([0x54000110, 0x54000112, 0x5400100A, 0x54001010])
_PIXEL_TAGS = frozenset([0x7FE00008, 0x7FE00009, 0x7FE00010])
# VRs whose text may use the Specific Character Set (PS3.5 §6.1.2.3)
_CHARSET_VRS = frozenset(["SH", "LO", "ST", "LT", "UT", "UC", "PN"])


def _charset_terms(value: Any) -> Any:
    """Specific Character Set terms as text, whatever VR the value was read with.

    pydicom reads (0008,0005) as a string regardless of its VR; a damaged VR
    (bytes, numbers) gives terms that convert_encodings warns about and skips.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        items = [v.strip() for v in bytes(value).decode("latin-1").split("\\")]
        return items[0] if len(items) == 1 else items
    if isinstance(value, (list, tuple)):
        return [v if isinstance(v, str) else str(_charset_terms(v)) for v in value]
    return str(value)


def _tag_of(key: Any) -> int:
    if type(key) is int or isinstance(key, int):
        return key
    try:
        return Tag(key)
    except Exception as exc:
        raise KeyError(f"'{key}'") from exc


class Dataset:
    """A collection of data elements, accessed like pydicom's Dataset.

    Elements are reached by keyword (``ds.PatientName`` gives the value), by
    tag (``ds[0x00100010]``, ``ds[(0x10, 0x10)]``, ``ds["PatientName"]`` give
    the :class:`DataElement`), iterated in tag order, edited, added and deleted.
    """

    indent_chars = "   "

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        d = self.__dict__
        d["_dict"] = {}
        d["_decoded"] = None
        d["_table"] = None
        d["_tok"] = -1
        d["_parent_encoding"] = None
        d["_pixel_rep"] = None
        d["_charset"] = None
        d["_read_little"] = None
        d["_read_implicit"] = None
        d["is_undefined_length_sequence_item"] = False
        if args:
            source = args[0]
            if isinstance(source, Dataset):
                for elem in source:
                    self[elem.tag] = elem
            else:
                for tag, elem in dict(source).items():
                    self[tag] = elem
        for keyword, value in kwargs.items():
            setattr(self, keyword, value)

    # -- construction from the token table ---------------------------------
    @classmethod
    def _from_tokens(cls, table: Any) -> "Dataset":
        """A top-level Dataset over ``table`` (sequence items: _parse.make_items).

        Items do not refer back to their parent (no reference cycle, so a tree
        is freed as soon as it is dropped); like pydicom they take a snapshot
        of what they inherit: the character set and Pixel Representation.
        """
        ds = _new(cls)
        d = ds.__dict__
        # the tag index is built on first need; lookups scan the tokens until then
        d["_dict"] = None
        d["_decoded"] = {}
        d["_table"] = table
        d["_tok"] = -1
        d["_pixel_rep"] = None
        d["_parent_encoding"] = None
        d["_charset"] = None
        d["_read_little"] = table.little_endian
        d["_read_implicit"] = None
        d["is_undefined_length_sequence_item"] = False
        return ds

    # -- element decoding ----------------------------------------------------
    def _elems(self) -> dict:
        """The full tag -> (token index | DataElement) mapping, built if needed."""
        d = self.__dict__
        elems = d["_dict"]
        if elems is None:
            elems = d["_table"].children(d["_tok"])
            decoded = d["_decoded"]
            if decoded:
                elems.update(decoded)
            d["_dict"] = elems
            d["_decoded"] = None
        return elems

    def _lookup(self, tag: int) -> DataElement | None:
        """The element for ``tag`` (decoded), or None; never builds the index."""
        d = self.__dict__
        elems = d["_dict"]
        if elems is not None:
            elem = elems.get(tag)
            if elem is None or elem.__class__ is not int:
                return elem
        return _fast_lookup(self, tag)

    @property
    def _character_set(self) -> list[str]:
        """The Python codecs for this data set's text (inherited by items)."""
        d = self.__dict__
        cs = d["_charset"]
        if cs is None:
            elem = self._lookup(0x00080005)
            if elem is not None:
                cs = charset.convert_encodings(_charset_terms(elem.value))
            else:  # items inherit their parent's (a snapshot, as in pydicom)
                cs = d["_parent_encoding"] or _DEFAULT_ENCODING
            d["_charset"] = cs
        return cs

    def _implicit_vr(self, tag: BaseTag) -> str:
        """The VR of an element encoded without one (pydicom's raw_element_vr)."""
        try:
            return datadict.dictionary_VR(tag)
        except KeyError:
            pass
        if tag.is_private:
            return self._private_vr(tag)
        if tag.element == 0:
            return "UL"
        warnings.warn(f"VR lookup failed for the raw element with tag {tag} - setting VR to 'UN'",
                      DicomWarning, stacklevel=4)
        return "UN"

    def _private_vr(self, tag: BaseTag) -> str:
        if tag.is_private_creator:
            return "LO"
        if tag.element & 0xFF00:
            elem = self._lookup(tag.group << 16 | (tag.element >> 8))
            if elem is not None:
                creator = elem.value
                if creator:
                    try:
                        return datadict.private_dictionary_VR(tag, creator)
                    except KeyError:
                        pass
        return "UN"

    def _pixel_rep_for_items(self) -> Any:
        """Pixel Representation that items of this data set inherit (pydicom's _pixel_rep)."""
        elem = self._lookup(0x00280103)
        if elem is not None and elem.value is not None:
            return elem.value
        return self.__dict__.get("_pixel_rep")

    def _resolve_ambiguous(self, tag: int, vr: str, undefined: bool, implicit: bool) -> str:
        """Pick US/SS, OB/OW for ambiguous dictionary VRs (pydicom's rules)."""
        if tag == 0x7FE00010:
            if undefined:
                return "OB"
            if implicit:
                return "OW"
            bits = self.get("BitsAllocated")
            return "OW" if bits is not None and bits > 8 else "OB"
        if tag != 0x00283006 and vr in ("US or SS", "US or SS or OW"):
            pixel_rep = self._pixel_rep_for_items()
            if pixel_rep is None:
                pixel_rep = 0 if ("PixelRepresentation" not in self and "PixelData" not in self) else 1
            return "US" if pixel_rep == 0 else "SS"
        if tag in _AMBIGUOUS_OB_OW_TAGS:
            if implicit:
                return "OW"
            bits = self.get("WaveformBitsAllocated")
            return "OW" if bits is not None and bits > 8 else "OB"
        if tag == 0x00283006:
            descriptor = self.get("LUTDescriptor")
            first = descriptor[0] if isinstance(descriptor, list) else descriptor
            return "US" if first == 1 else "OW"
        return "OW"

    def _decode(self, tag: int, idx: int) -> DataElement:
        """Turn token ``idx`` into a DataElement, cache and return it."""
        table = self.__dict__["_table"]
        _, vr, flags, voff, length = table.info(idx)
        btag = BaseTag(tag)
        undefined = bool(flags & _TF_UNDEFINED)
        if flags & _TF_SEQUENCE:
            VR = "SQ"
            value = self._sequence(table, idx, undefined)
        else:
            if vr is None:
                VR = self._implicit_vr(btag)
            elif vr == "UN":
                VR = "UN"
                if btag.is_private:
                    VR = self._private_vr(btag)
                elif length < 0xFFFF:
                    try:
                        VR = datadict.dictionary_VR(btag)
                    except KeyError:
                        pass
            else:
                VR = vr
            if " or " in VR:
                VR = self._resolve_ambiguous(tag, VR, undefined, bool(flags & _TF_IMPLICIT))
            if flags & _TF_RAWVALUE:
                value = table.value(idx)
            elif length == 0:
                value = Sequence() if VR == "SQ" else empty_value(VR)
            elif VR == "SQ":
                value = self._sequence_from_value(table, idx, flags)
            else:
                encodings = self._character_set if VR in _CHARSET_VRS and tag != 0x00080005 else None
                try:
                    value = convert_value(VR, table.value(idx), table.little_endian, encodings, tag)
                except InvalidDicomError as exc:
                    raise type(exc)(
                        f"element {btag} at byte {voff}: {exc}", offset=voff, tag=tag) from None
                if tag in _LUT_DESCRIPTOR_TAGS and isinstance(value, list) and value and value[0] < 0:
                    value[0] += 65536
        elem = DataElement._make(btag, VR, value, voff, undefined)
        if btag.group & 1:
            # like pydicom, (gggg,00xx) creators look up (gggg,0000) here
            creator_tag = btag.group << 16 | (btag.element >> 8)
            if creator_tag != tag:
                creator = self._lookup(creator_tag)
                if creator is not None:
                    elem.private_creator = creator.value
        d = self.__dict__
        if d["_dict"] is not None:
            d["_dict"][tag] = elem
        else:
            d["_decoded"][tag] = elem
        return elem

    def _sequence(self, table: Any, idx: int, undefined: bool) -> Sequence:
        seq = _parse.make_items(table, idx, self)
        seq.is_undefined_length = undefined
        return seq

    def _sequence_from_value(self, table: Any, idx: int, flags: int) -> Sequence:
        """Parse a defined-length value as a sequence (private SQ, UN -> SQ)."""
        from dcmfast.filereader import _dictionary_arrays

        sq, known = _dictionary_arrays()
        voff = table.value_offset(idx)
        depth = table.base_depth + table.depth_of(idx) + 1
        if depth >= _parse.MAX_DEPTH:  # nesting through values parsed one by one
            raise InvalidDicomError(
                f"invalid data set: sequences nested too deeply in element "
                f"{BaseTag(table.tag(idx))} at byte {table.offset(idx)}",
                offset=table.offset(idx), tag=table.tag(idx))
        sub = _parse.tokenize(table.buffer, little_endian=table.little_endian,
                              implicit=bool(flags & _TF_IMPLICIT), sq_tags=sq, known_tags=known,
                              start=voff, end=voff + table.length(idx), sequence=True)
        sub.base_depth = depth
        return self._sequence(sub, -1, False)

    # -- mapping access --------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        tag = _KEYWORD_TO_TAG.get(name)
        if tag is not None and "_decoded" in self.__dict__:
            d = self.__dict__
            elems = d["_dict"]
            if elems is not None:
                elem = elems.get(tag)
                if elem is not None and elem.__class__ is int:
                    elem = _fast_lookup(self, tag)
            else:
                elem = _fast_lookup(self, tag)
            if elem is not None:
                return elem._value
        if tag is None:
            # a property (pixel_array) that raised AttributeError lands here:
            # run it again so its own error, not a generic one, reaches the caller
            return object.__getattribute__(self, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return self._dataset_slice(key)
        tag = key if type(key) is int else _tag_of(key)
        elem = self._lookup(tag)
        if elem is None:
            raise KeyError(Tag(tag))
        return elem

    def get_item(self, key: Any) -> DataElement:
        """The element for ``key`` (same as ``ds[key]``; kept for pydicom code)."""
        return self[key]

    def __setattr__(self, name: str, value: Any) -> None:
        tag = _KEYWORD_TO_TAG.get(name)
        if tag is not None:
            elem = self._lookup(tag)
            if elem is None:
                VR = datadict.dictionary_VR(tag)
                self[tag] = DataElement(tag, VR, value)
            else:
                elem.value = value
                if tag == 0x00080005:
                    self.__dict__["_charset"] = None
            return
        if datadict.repeater_has_keyword(name):
            raise ValueError(
                f"'{name}' is a DICOM repeating group element and must be added using "
                "the add() or add_new() methods.")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        tag = _KEYWORD_TO_TAG.get(name)
        if tag is not None:
            elems = self._elems()
            if tag not in elems:
                raise AttributeError(name)
            del elems[tag]
            if tag == 0x00080005:
                self.__dict__["_charset"] = None
            return
        object.__delattr__(self, name)

    def __setitem__(self, key: Any, elem: DataElement) -> None:
        if not isinstance(elem, DataElement):
            raise TypeError("Dataset items must be 'DataElement' instances")
        tag = _tag_of(key)
        if tag != elem.tag:
            raise ValueError(f"The key '{Tag(tag)}' doesn't match the 'DataElement' tag '{elem.tag}'")
        elems = self._elems()
        if elem.tag.is_private:
            creator_tag = elem.tag.group << 16 | (elem.tag.element >> 8)
            if creator_tag in elems and creator_tag != tag:
                elem.private_creator = self[creator_tag].value
        elems[tag] = elem
        if tag == 0x00080005:
            self.__dict__["_charset"] = None

    def __delitem__(self, key: Any) -> None:
        elems = self._elems()
        if isinstance(key, slice):
            for tag in self._slice_tags(key):
                del elems[tag]
            return
        tag = _tag_of(key)
        del elems[tag]
        if tag == 0x00080005:
            self.__dict__["_charset"] = None

    def __contains__(self, name: Any) -> bool:
        try:
            tag = _tag_of(name)
        except (KeyError, ValueError, TypeError, OverflowError):
            return False
        if self.__dict__["_dict"] is None:
            return self._entry(tag) is not None
        return tag in self.__dict__["_dict"]

    def _entry(self, tag: int) -> Any:
        """The element for ``tag`` as held: a DataElement, the index of its
        not yet decoded token, or None. Decodes nothing, builds no index."""
        d = self.__dict__
        elems = d["_dict"]
        if elems is not None:
            return elems.get(tag)
        elem = d["_decoded"].get(tag)
        if elem is not None:
            return elem
        table = d["_table"]
        if table is None:
            return None
        found = table.find_child(d["_tok"], tag)
        return found if found is not None and found >= 0 else None

    def __len__(self) -> int:
        return len(self._elems())

    def __bool__(self) -> bool:
        return bool(self._elems())

    def __iter__(self) -> Iterator[DataElement]:
        for tag in sorted(self._elems()):
            yield self[tag]

    def __reversed__(self) -> Iterator[DataElement]:
        for tag in sorted(self._elems(), reverse=True):
            yield self[tag]

    def elements(self) -> Iterator[DataElement]:
        """The elements in tag order."""
        return iter(self)

    def keys(self):
        return self._elems().keys()

    def values(self) -> list[DataElement]:
        return [self[tag] for tag in self._elems()]

    def items(self) -> list[tuple[BaseTag, DataElement]]:
        return [(BaseTag(tag), self[tag]) for tag in self._elems()]

    def get(self, key: Any, default: Any = None) -> Any:
        """The value for a keyword, or the DataElement for a tag; else default."""
        if isinstance(key, str):
            try:
                return getattr(self, key)
            except AttributeError:
                return default
        try:
            return self[key]
        except KeyError:
            return default

    def data_element(self, name: str) -> DataElement | None:
        """The DataElement for keyword ``name``, or None."""
        tag = datadict.tag_for_keyword(name)
        return self._lookup(tag) if tag is not None else None

    def add(self, data_element: DataElement) -> None:
        self[data_element.tag] = data_element

    def add_new(self, tag: Any, VR: str, value: Any) -> None:
        """Create a DataElement and add it."""
        elem = DataElement(tag, VR, value)
        self[elem.tag] = elem

    def setdefault(self, key: Any, default: Any = None) -> DataElement:
        tag = _tag_of(key)
        if tag in self:
            return self[tag]
        if not isinstance(default, DataElement):
            default = DataElement(tag, datadict.dictionary_VR(tag), default)
        self[tag] = default
        return default

    def pop(self, key: Any, *args: Any) -> Any:
        try:
            tag = _tag_of(key)
        except KeyError:
            if args:
                return args[0]
            raise
        if tag in self._elems():
            elem = self[tag]
            del self._elems()[tag]
            return elem
        if args:
            return args[0]
        raise KeyError(key)

    def popitem(self) -> tuple[BaseTag, DataElement]:
        tag = next(iter(self._elems()))
        return BaseTag(tag), self.pop(tag)

    def clear(self) -> None:
        self._elems().clear()
        self.__dict__["_charset"] = None

    def update(self, other: Any) -> None:
        if isinstance(other, Dataset):
            for elem in other:
                self[elem.tag] = elem
            return
        for key, value in dict(other).items():
            if isinstance(key, str):
                setattr(self, key, value)
            else:
                self[key] = value

    def dir(self, *filters: str) -> list[str]:
        """Sorted keywords of the elements present, optionally filtered."""
        names = [datadict.keyword_for_tag(tag) for tag in self._elems()]
        names = [n for n in names if n]
        if not filters:
            return sorted(names)
        found = set()
        for f in filters:
            f = f.lower()
            found.update(n for n in names if f in n.lower())
        return sorted(found)

    def __dir__(self) -> list[str]:
        return sorted(set(object.__dir__(self)) | set(self.dir()))

    def group_dataset(self, group: int) -> "Dataset":
        return self[(group, 0x0000):(group + 1, 0x0000)]

    def _slice_tags(self, key: slice) -> list[int]:
        start = _tag_of(key.start) if key.start is not None else 0
        stop = _tag_of(key.stop) if key.stop is not None else 0x100000000
        tags = sorted(t for t in self._elems() if start <= t < stop)
        return tags[:: key.step] if key.step else tags

    def _dataset_slice(self, key: slice) -> "Dataset":
        out = Dataset()
        for tag in self._slice_tags(key):
            out[tag] = self[tag]
        out.__dict__["_parent_encoding"] = self._character_set
        return out

    def iterall(self) -> Iterator[DataElement]:
        """Every element, recursing into sequence items."""
        for elem in self:
            yield elem
            if elem.VR == "SQ":
                for item in elem.value:
                    yield from item.iterall()

    def walk(self, callback: Callable[["Dataset", DataElement], None], recursive: bool = True) -> None:
        for tag in sorted(self._elems()):
            if tag not in self._elems():
                continue
            elem = self[tag]
            callback(self, elem)
            if recursive and tag in self._elems() and elem.VR == "SQ":
                for item in elem.value:
                    item.walk(callback, recursive)

    def remove_private_tags(self) -> None:
        for tag in [t for t in self._elems() if (t >> 16) & 1]:
            del self._elems()[tag]
        for elem in self:
            if elem.VR == "SQ":
                for item in elem.value:
                    item.remove_private_tags()

    def private_creators(self, group: int) -> list[str]:
        if group % 2 == 0:
            raise ValueError("Group must be an odd number")
        return [self[t].value for t in sorted(self._elems())
                if t >> 16 == group and 0x10 <= (t & 0xFFFF) <= 0xFF]

    @property
    def original_encoding(self) -> tuple[bool | None, bool | None]:
        """(is_implicit_VR, is_little_endian) of the encoding it was read from."""
        d = self.__dict__
        return d.get("_read_implicit"), d.get("_read_little")

    @property
    def original_character_set(self) -> list[str]:
        return self._character_set

    def top(self) -> str:
        return self._pretty_str(top_level_only=True)

    def trait_names(self) -> list[str]:  # IPython completion, as pydicom
        return self.__dir__()

    # -- comparison, copying -----------------------------------------------------
    def __eq__(self, other: Any) -> Any:
        if other is self:
            return True
        if isinstance(other, Dataset):
            mine, theirs = self._elems(), other._elems()
            if mine.keys() != theirs.keys():
                return False
            return all(self[t] == other[t] for t in mine)
        return NotImplemented

    def __ne__(self, other: Any) -> Any:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]

    def copy(self) -> "Dataset":
        return copy.copy(self)

    def __copy__(self) -> "Dataset":
        new = _new(type(self))
        new.__dict__.update(self.__dict__)
        new.__dict__["_dict"] = dict(self._elems())
        new.__dict__["_decoded"] = None
        return new

    def __deepcopy__(self, memo: dict) -> "Dataset":
        new = _new(type(self))
        memo[id(self)] = new
        self._elems()
        for key, value in self.__dict__.items():
            if key == "_table":  # the table is read-only: share it
                new.__dict__[key] = value
            elif key == "_dict":
                new.__dict__[key] = {t: (e if e.__class__ is int else copy.deepcopy(e, memo))
                                     for t, e in value.items()}
            else:
                new.__dict__[key] = copy.deepcopy(value, memo)
        return new

    def __getstate__(self) -> dict:
        # decode everything so the state does not depend on the token table
        for tag in list(self._elems()):
            elem = self[tag]
            if elem.VR == "SQ":
                for item in elem.value:
                    item.__getstate__()
        state = dict(self.__dict__)
        state["_table"] = None
        state.pop("_pixel_cache", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    # -- text ---------------------------------------------------------------------
    def _pretty_str(self, indent: int = 0, top_level_only: bool = False) -> str:
        strings = []
        indent_str = self.indent_chars * indent
        nextindent_str = self.indent_chars * (indent + 1)
        file_meta = self.__dict__.get("file_meta")
        if file_meta:
            strings.append(f"{'Dataset.file_meta ':-<49}")
            for elem in file_meta:
                strings.append(indent_str + repr(elem))
            strings.append(f"{'':-<49}")
        for elem in self:
            if elem.VR == "SQ":
                strings.append(f"{indent_str}{elem.tag}  {elem.name}  {len(elem.value)} item(s) ---- ")
                if not top_level_only:
                    for item in elem.value:
                        strings.append(item._pretty_str(indent + 1))
                        strings.append(nextindent_str + "---------")
            else:
                strings.append(indent_str + repr(elem))
        return "\n".join(strings)

    def __str__(self) -> str:
        return self._pretty_str()

    def __repr__(self) -> str:
        return self._pretty_str()

    # -- pixel data ---------------------------------------------------------------
    def _pixel_key(self, values: dict) -> tuple:
        """What the decoded array depends on: the pixel element's identity, the
        transfer syntax and the Image Pixel module values (like pydicom's cache check)."""
        d = self.__dict__
        entry: Any = None
        for tag in (0x7FE00010, 0x7FE00008, 0x7FE00009):
            entry = self._entry(tag)
            if entry is not None:
                break
        ident = entry if entry.__class__ is int else id(getattr(entry, "_value", entry))
        meta = d.get("file_meta")
        ts = meta.get("TransferSyntaxUID") if meta is not None else None
        return (ident, ts, *[str(v) if v.__class__ is list else v for v in values.values()])

    @property
    def pixel_array(self) -> Any:
        """The decoded pixels as a numpy array: pydicom 3's shape, dtype and values.

        The array is cached until the pixel data or the Image Pixel module
        changes; see :func:`dcmfast.pixel_array` for options (frames, threads,
        LUTs, zero-copy views).
        """
        from dcmfast import pixels

        values = pixels.module_values(self)
        key = self._pixel_key(values)
        cached = self.__dict__.get("_pixel_cache")
        if cached is not None and cached[0] == key:
            return cached[1]
        arr = pixels.decode(self, values=values)
        self.__dict__["_pixel_cache"] = (key, arr)
        return arr

    def frame(self, index: int, *, as_rgb: bool = True) -> Any:
        """Frame ``index`` (0-based), decoded without touching the others."""
        from dcmfast import pixels

        return pixels.decode(self, index=index, as_rgb=as_rgb)

    def iter_frames(self, *, as_rgb: bool = True) -> Iterator[Any]:
        """Yield the frames one at a time, each decoded when reached."""
        from dcmfast import pixels

        return pixels.iter_frames(self, as_rgb=as_rgb)

    # -- writing and interop -----------------------------------------------------
    def save_as(self, filename: Any, *, transfer_syntax: Any = None, **kwargs: Any) -> None:
        """Write as a DICOM file; see :func:`dcmfast.dcmwrite`."""
        from dcmfast.filewriter import dcmwrite

        dcmwrite(filename, self, transfer_syntax=transfer_syntax, **kwargs)

    def to_pydicom(self) -> Any:
        """The same data set as a ``pydicom.Dataset`` (needs pydicom)."""
        from dcmfast.interop import to_pydicom

        return to_pydicom(self)


class FileMetaDataset(Dataset):
    """The File Meta Information group (0002,xxxx) of a DICOM file (PS3.10 §7.1)."""

    def __setitem__(self, key: Any, elem: DataElement) -> None:
        tag = _tag_of(key)
        if tag >> 16 != 0x0002:
            raise ValueError(
                "Only group 2 data elements are allowed in a FileMetaDataset, "
                f"but {Tag(tag)} was given")
        super().__setitem__(key, elem)


class FileDataset(Dataset):
    """A Dataset read from (or to be written to) a file, with its preamble and meta."""

    def __init__(self, filename_or_obj: Any = None, dataset: Any = None, preamble: bytes | None = None,
                 file_meta: FileMetaDataset | None = None, is_implicit_VR: bool = True,
                 is_little_endian: bool = True) -> None:
        super().__init__(dataset if dataset is not None else {})
        d = self.__dict__
        d["preamble"] = preamble
        d["file_meta"] = file_meta if file_meta is not None else FileMetaDataset()
        d["filename"] = filename_or_obj if isinstance(filename_or_obj, str) else getattr(
            filename_or_obj, "name", None)
        d["_read_implicit"] = is_implicit_VR
        d["_read_little"] = is_little_endian


_fast_lookup = _parse.lookup
_parse.register_facade(DataElement, BaseTag, DSfloat, IS, UID, MultiValue, Sequence, Dataset,
                       PersonName)
