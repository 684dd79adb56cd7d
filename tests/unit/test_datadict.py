"""Differential tests of dcmfast.tag, dcmfast.datadict and dcmfast.uid.

pydicom is the oracle: every public tag, every repeating-group mask (sampled
over its ``x`` digits), every keyword, every private dictionary entry and
every UID of the registry is looked up in both and the answers compared,
including the exception type when there is no answer.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import random
import os
import subprocess
import sys
import types
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pydicom = pytest.importorskip("pydicom")
import pydicom.datadict as pdd  # noqa: E402
import pydicom.tag as ptag  # noqa: E402
import pydicom.uid as puid  # noqa: E402
from pydicom import config as pconfig  # noqa: E402
from pydicom._dicom_dict import DicomDictionary, RepeatersDictionary  # noqa: E402
from pydicom._private_dict import private_dictionaries  # noqa: E402
from pydicom._uid_dict import UID_dictionary  # noqa: E402

SRC = Path(__file__).resolve().parents[2] / "src"


def _import_standalone(name: str) -> types.ModuleType:
    """Import ``dcmfast.<name>``; if the package ``__init__`` cannot be
    imported (e.g. compiled parts not built yet), bypass it with a bare
    package module so these pure-Python modules can still be tested."""
    try:
        return importlib.import_module(f"dcmfast.{name}")
    except Exception:  # noqa: BLE001 - any failure of the package __init__
        if "dcmfast" in sys.modules and getattr(sys.modules["dcmfast"], "__file__", 0):
            raise
        for mod in [m for m in sys.modules if m.startswith("dcmfast.")]:
            del sys.modules[mod]  # leftovers of the failed package import
        spec = importlib.machinery.PathFinder.find_spec("dcmfast")
        pkg = types.ModuleType("dcmfast")
        pkg.__path__ = list(spec.submodule_search_locations) if spec else [str(SRC / "dcmfast")]
        sys.modules["dcmfast"] = pkg
        return importlib.import_module(f"dcmfast.{name}")


ftag = _import_standalone("tag")
fdd = _import_standalone("datadict")
fuid = _import_standalone("uid")

_header = Path(fdd.__file__).with_name("_dict").joinpath("_dicom_dict.py")
SAME_VERSION = f"(pydicom {pydicom.__version__})" in _header.read_text()[:400]
needs_same_version = pytest.mark.skipif(
    not SAME_VERSION,
    reason="tables generated from another pydicom release; rerun tools/gen_dictionary.py",
)

def outcome(func: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    """Return ``("ok", result)`` or ``("raise", exception type name)``."""
    try:
        return "ok", func(*args)
    except Exception as exc:  # noqa: BLE001 - the type is what we compare
        return "raise", type(exc).__name__


def compare(
    ours: Callable[..., Any],
    theirs: Callable[..., Any],
    cases: Iterator[tuple[Any, ...]] | list[tuple[Any, ...]],
    convert: Callable[[Any], Any] = lambda v: v,
) -> None:
    """Assert ``ours(*case)`` and ``theirs(*case)`` agree for every case."""
    bad = []
    for case in cases:
        a = outcome(ours, *case)
        b = outcome(theirs, *case)
        if a[0] == "ok" and b[0] == "ok":
            a = ("ok", convert(a[1]))
            b = ("ok", convert(b[1]))
        if a != b:
            bad.append((case, a, b))
            if len(bad) >= 20:
                break
    assert not bad, "\n".join(f"{c!r}: ours={a!r} pydicom={b!r}" for c, a, b in bad)


# --- generated tables ------------------------------------------------------


@needs_same_version
class TestGeneratedTables:
    def test_dicom_dict_identical(self) -> None:
        assert fdd.DICOM_DICT == DicomDictionary
        assert list(fdd.DICOM_DICT) == list(DicomDictionary)  # order too
        assert all(type(k) is int for k in fdd.DICOM_DICT)

    def test_command_group_present(self) -> None:
        assert fdd.DICOM_DICT[0x00000000][4] == "CommandGroupLength"
        assert fdd.DICOM_DICT[0x00000100][4] == "CommandField"

    def test_repeaters_identical(self) -> None:
        assert fdd.REPEATERS == RepeatersDictionary
        assert list(fdd.REPEATERS) == list(RepeatersDictionary)
        assert fdd.masks == pdd.masks

    def test_private_dict_identical(self) -> None:
        assert fdd.PRIVATE_DICT == private_dictionaries
        assert fdd.private_dictionaries is fdd.PRIVATE_DICT

    def test_uid_dict_identical(self) -> None:
        from dcmfast._dict._uid_dict import UID_DICT

        assert UID_DICT == UID_dictionary

    def test_keyword_to_tag_identical(self) -> None:
        assert fdd.KEYWORD_TO_TAG == pdd.keyword_dict
        assert fdd.keyword_dict is fdd.KEYWORD_TO_TAG
        assert fdd.REPEATER_KEYWORDS == pdd.REPEATER_KEYWORDS

    def test_generator_output_is_current(self) -> None:
        gen = SRC.parent / "tools" / "gen_dictionary.py"
        proc = subprocess.run(
            [sys.executable, str(gen), "--check"], capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pydicom_not_imported_at_runtime() -> None:
    pkg_dir = str(Path(ftag.__file__).parent)
    code = (
        "import sys, types\n"
        "try:\n"
        "    import dcmfast\n"
        "except Exception:  # package __init__ not importable: bypass it\n"
        "    for m in [m for m in sys.modules if m.startswith('dcmfast')]:\n"
        "        del sys.modules[m]\n"
        "    pkg = types.ModuleType('dcmfast')\n"
        f"    pkg.__path__ = [{pkg_dir!r}]\n"
        "    sys.modules['dcmfast'] = pkg\n"
        "import dcmfast.tag, dcmfast.datadict, dcmfast.uid\n"
        "dcmfast.datadict.get_private_entry(0x0019100C, 'SIEMENS MR HEADER')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'pydicom']\n"
        "assert not bad, bad\n"
    )
    env = {"PYTHONPATH": str(Path(pkg_dir).parent), "PATH": ""}
    # a sanitized build needs its runtime preloaded in the child too
    for name in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS", "PYTHONMALLOC"):
        if name in os.environ:
            env[name] = os.environ[name]
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr


# --- public dictionary -------------------------------------------------------

LOOKUPS = [
    ("get_entry", fdd.get_entry, pdd.get_entry),
    ("dictionary_VR", fdd.dictionary_VR, pdd.dictionary_VR),
    ("dictionary_VM", fdd.dictionary_VM, pdd.dictionary_VM),
    ("dictionary_description", fdd.dictionary_description, pdd.dictionary_description),
    ("dictionary_keyword", fdd.dictionary_keyword, pdd.dictionary_keyword),
    ("dictionary_is_retired", fdd.dictionary_is_retired, pdd.dictionary_is_retired),
    ("dictionary_has_tag", fdd.dictionary_has_tag, pdd.dictionary_has_tag),
    ("keyword_for_tag", fdd.keyword_for_tag, pdd.keyword_for_tag),
    ("mask_match", fdd.mask_match, pdd.mask_match),
    ("repeater_has_tag", fdd.repeater_has_tag, pdd.repeater_has_tag),
]
LOOKUP_IDS = [name for name, _, _ in LOOKUPS]


def _mask_samples() -> list[int]:
    """Concrete tags for every repeater mask, plus near misses."""
    rng = random.Random(1234)
    out: list[int] = []
    for mask in RepeatersDictionary:
        n_x = mask.count("x")
        if n_x <= 2:
            fills = [f"{i:0{n_x}X}" for i in range(16**n_x)]
        else:
            fills = {"0" * n_x, "F" * n_x, "1" * n_x}
            fills |= {f"{rng.randrange(16**n_x):0{n_x}X}" for _ in range(300)}
            fills = sorted(fills)
        for fill in fills:
            it = iter(fill)
            out.append(int("".join(next(it) if c == "x" else c for c in mask), 16))
        # near misses: change one fixed digit
        base = int(mask.replace("x", "0"), 16)
        for pos, c in enumerate(mask):
            if c != "x":
                out.append(base ^ (1 << (4 * (7 - pos))))
    return out


def _random_tags(n: int = 20000) -> list[int]:
    rng = random.Random(99)
    tags = [rng.getrandbits(32) for _ in range(n)]
    tags += [rng.getrandbits(16) << 16 | rng.choice((0, 0x10, 0x1010, 0xFF)) for _ in range(500)]
    tags += [g << 16 for g in range(0, 0x40)]  # group lengths
    return tags


@needs_same_version
@pytest.mark.parametrize(("name", "ours", "theirs"), LOOKUPS, ids=LOOKUP_IDS)
def test_every_public_tag(name: str, ours: Callable, theirs: Callable) -> None:
    compare(ours, theirs, [(t,) for t in DicomDictionary])
    # the same through BaseTag, (group, elem) and hex string arguments
    sample = list(DicomDictionary)[::7]
    compare(ours, theirs, [(ftag.BaseTag(t),) for t in sample])
    compare(ours, theirs, [((t >> 16, t & 0xFFFF),) for t in sample])
    compare(ours, theirs, [(f"{t:08X}",) for t in sample])


@needs_same_version
@pytest.mark.parametrize(("name", "ours", "theirs"), LOOKUPS, ids=LOOKUP_IDS)
def test_repeater_masks(name: str, ours: Callable, theirs: Callable) -> None:
    compare(ours, theirs, [(t,) for t in _mask_samples()])


@needs_same_version
@pytest.mark.parametrize(("name", "ours", "theirs"), LOOKUPS, ids=LOOKUP_IDS)
def test_random_tags(name: str, ours: Callable, theirs: Callable) -> None:
    compare(ours, theirs, [(t,) for t in _random_tags()])


BAD_TAG_ARGS = [
    -1,
    0x100000000,
    "NotAKeyword",
    "OverlayData",  # repeater keywords are not Tag() keywords
    "",
    "PatientName",
    "0x00100010",
    (0x10, 0x10),
    (0x10,),
    ("10", 5),
    None,
    1.5,
    b"0010",
]


@pytest.mark.parametrize(("name", "ours", "theirs"), LOOKUPS, ids=LOOKUP_IDS)
def test_lookup_odd_arguments(name: str, ours: Callable, theirs: Callable) -> None:
    compare(ours, theirs, [(a,) for a in BAD_TAG_ARGS])


def test_documented_examples() -> None:
    assert fdd.dictionary_VR(0x60023000) == "OB or OW"
    assert fdd.keyword_for_tag(0x60003000) == "OverlayData"
    assert fdd.keyword_for_tag(0x60013000) == ""  # odd group: private
    assert fdd.repeater_has_tag(0x60013000)  # ...but the mask matches
    assert not fdd.dictionary_has_tag(0x60003000)  # repeaters excluded
    assert fdd.mask_match(0x7F000010) == "7Fxx0010"
    assert fdd.dictionary_VR("PatientName") == "PN"
    assert fdd.keyword_for_tag(0x00080000) == ""  # no generic group length
    with pytest.raises(KeyError, match=r"\(0009,1000\)"):
        fdd.get_entry(0x00091000)
    assert fdd._dictionary_vr_fast(0x50003000) == "OB or OW"
    with pytest.raises(KeyError):
        fdd._dictionary_vr_fast(0x00090010)


@needs_same_version
def test_mask_fast_path_matches_ordered_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    assert fdd._MASKS_BY_CARE is not None  # the standard's masks are disjoint
    samples = _mask_samples() + _random_tags(5000)
    fast = [fdd.mask_match(t) for t in samples]
    monkeypatch.setattr(fdd, "_MASKS_BY_CARE", None)
    assert [fdd.mask_match(t) for t in samples] == fast
    compare(fdd.mask_match, pdd.mask_match, [(t,) for t in samples])


def test_mask_overlap_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    overlapping = {m: fdd._compile_mask(m) for m in ("60xx3000", "6000xx00")}
    monkeypatch.setattr(fdd, "masks", overlapping)
    assert fdd._index_masks() is None
    disjoint = {m: fdd._compile_mask(m) for m in ("60xx3000", "6000xx01")}
    monkeypatch.setattr(fdd, "masks", disjoint)
    assert fdd._index_masks() is not None


@needs_same_version
def test_every_keyword() -> None:
    keywords = list(pdd.keyword_dict) + pdd.REPEATER_KEYWORDS
    keywords += ["", "NotAKeyword", "patientname", "PatientName ", "GroupLength"]
    compare(fdd.tag_for_keyword, pdd.tag_for_keyword, [(k,) for k in keywords])
    compare(fdd.repeater_has_keyword, pdd.repeater_has_keyword, [(k,) for k in keywords])
    assert fdd.repeater_has_keyword(["x"]) is pdd.repeater_has_keyword(["x"])
    for kw, tag in pdd.keyword_dict.items():
        assert fdd.KEYWORD_TO_TAG[kw] == tag
    assert fdd.tag_for_keyword("PatientName") == 0x00100010
    assert type(fdd.tag_for_keyword("PatientName")) is int


@needs_same_version
def test_sq_tags() -> None:
    sq = fdd.sq_tags()
    assert isinstance(sq, tuple)
    assert list(sq) == sorted(t for t, e in DicomDictionary.items() if e[0] == "SQ")
    assert all(type(t) is int for t in sq)
    assert 0x00081140 in sq  # ReferencedImageSequence
    assert 0x00100010 not in sq
    assert fdd.sq_tags() is sq  # cached


@pytest.fixture
def restore_tables() -> Iterator[None]:
    """Undo runtime additions to the dcmfast and pydicom tables."""
    saved = (
        dict(fdd.DICOM_DICT),
        dict(fdd.KEYWORD_TO_TAG),
        {k: dict(v) for k, v in fdd.PRIVATE_DICT.items()},
        dict(pdd.DicomDictionary),
        dict(pdd.keyword_dict),
        {k: dict(v) for k, v in pdd.private_dictionaries.items()},
    )
    yield
    for live, old in zip(
        (
            fdd.DICOM_DICT,
            fdd.KEYWORD_TO_TAG,
            fdd.PRIVATE_DICT,
            pdd.DicomDictionary,
            pdd.keyword_dict,
            pdd.private_dictionaries,
        ),
        saved,
        strict=True,
    ):
        live.clear()
        live.update(old)
    fdd._SQ_TAGS = None


def test_add_dict_entries(restore_tables: None) -> None:
    new = {
        0x10021001: ("SQ", "1", "Test One", "", "TestOne"),
        0x10021002: ("DS", "3", "Test Two", "Retired", "TestTwo"),
    }
    before = fdd.sq_tags()
    fdd.add_dict_entries(new)
    pdd.add_dict_entries(new)
    fdd.add_dict_entry(0x10021003, "UL", "TestThree", "Test Three", VM="2")
    pdd.add_dict_entry(0x10021003, "UL", "TestThree", "Test Three", VM="2")
    for tag in (0x10021001, 0x10021002, 0x10021003):
        assert fdd.get_entry(tag) == pdd.get_entry(tag)
        assert fdd.dictionary_is_retired(tag) == pdd.dictionary_is_retired(tag)
    assert fdd.tag_for_keyword("TestTwo") == 0x10021002
    assert 0x10021001 in fdd.sq_tags() and 0x10021001 not in before
    with pytest.raises(ValueError):
        fdd.add_dict_entry(0x10011001, "UL", "Priv", "Priv")


def test_add_private_dict_entries(restore_tables: None) -> None:
    new = {0x00410001: ("UL", "1", "Test One", ""), 0x00411002: ("DS", "3", "Test Two", "")}
    fdd.add_private_dict_entries("ACME 1.2", new)
    pdd.add_private_dict_entries("ACME 1.2", new)
    fdd.add_private_dict_entry("ACME 1.3", 0x00410001, "US", "Test Three")
    pdd.add_private_dict_entry("ACME 1.3", 0x00410001, "US", "Test Three")
    for creator in ("ACME 1.2", "ACME 1.3"):
        for tag in (0x00411001, 0x00412002, 0x00410001, 0x00410002):
            compare(fdd.get_private_entry, pdd.get_private_entry, [(tag, creator)])
    with pytest.raises(ValueError):
        fdd.add_private_dict_entries("ACME", {0x00100010: ("PN", "1", "x", "")})


# --- private dictionary --------------------------------------------------------


def _private_cases() -> list[tuple[int, str]]:
    """Concrete (tag, creator) pairs for every private dictionary key."""
    cases = []
    for creator, entries in private_dictionaries.items():
        for key in entries:
            grp, elem = key[:4], key[4:]
            if grp[2:] == "xx":
                grps = [grp[:2] + "01", grp[:2] + "FF"]
            else:
                grps = [grp]
            if elem[:2] == "xx":
                elems = ["10" + elem[2:], "FF" + elem[2:]]
            elif elem[2:] == "xx":
                elems = [elem[:2] + "00", elem[:2] + "10"]
            else:
                elems = [elem]
            cases += [(int(g + e, 16), creator) for g in grps for e in elems]
    return cases


PRIVATE_LOOKUPS = [
    (fdd.get_private_entry, pdd.get_private_entry),
    (fdd.private_dictionary_VR, pdd.private_dictionary_VR),
    (fdd.private_dictionary_VM, pdd.private_dictionary_VM),
    (fdd.private_dictionary_description, pdd.private_dictionary_description),
]


@needs_same_version
@pytest.mark.parametrize(("ours", "theirs"), PRIVATE_LOOKUPS, ids=lambda f: f.__name__)
def test_private_dictionary(ours: Callable, theirs: Callable) -> None:
    cases = _private_cases()
    assert len(cases) >= sum(len(d) for d in private_dictionaries.values())
    compare(ours, theirs, cases)
    extra = [
        (0x00191010, "NOT A CREATOR"),
        (0x00191010, None),
        (0x00299999, "SIEMENS CSA HEADER"),
        ("PatientName", "SIEMENS CSA HEADER"),
        ((0x29, 0x1010), "SIEMENS CSA HEADER"),
        (ftag.BaseTag(0x00291010), "SIEMENS CSA HEADER"),
        ("junk", "SIEMENS CSA HEADER"),
    ]
    compare(ours, theirs, extra)


def test_private_examples() -> None:
    assert fdd.private_dictionary_VR(0x0019100C, "SIEMENS MR HEADER") == "IS"
    assert fdd.private_dictionary_VR(0x00191A0C, "SIEMENS MR HEADER") == "IS"
    with pytest.raises(KeyError, match="not in the private dictionary"):
        fdd.get_private_entry(0x00191010, "NO SUCH CREATOR")
    with pytest.raises(KeyError, match="not in private dictionary"):
        fdd.get_private_entry(0x00199999, "SIEMENS MR HEADER")


def test_private_unhashable_creator_warns() -> None:
    with pytest.warns(UserWarning, match=r"\(0019,0010\) .* is not a valid private creator"):
        with pytest.raises(KeyError):
            fdd.get_private_entry(0x00191010, ["x"])  # type: ignore[arg-type]


# --- Tag -----------------------------------------------------------------------

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None

TAG_CASES: list[tuple[Any, ...]] = [
    (0,),
    (0x00100010,),
    (0xFFFFFFFF,),
    (0x100000000,),
    (-1,),
    (True,),
    (1.5,),
    (float("nan"),),
    (float("inf"),),
    (-0.5,),
    (None,),
    (b"00100010",),
    (object(),),
    ({},),
    ((0x10, 0x10),),
    ([0x10, 0x10],),
    ((0xFFFF, 0xFFFF),),
    ((0x10000, 0),),
    ((0, 0x10000),),
    ((-1, 0),),
    ((0x10, -1),),
    ((0x10,),),
    ((1, 2, 3),),
    ((),),
    (("10", "10"),),
    (("0x10", "0x0010"),),
    (("0010", "zz"),),
    (("10", 0x10),),
    ((0x10, "10"),),
    ((1.0, 2.0),),
    ((True, False),),
    ("PatientName",),
    ("0x00100010",),
    ("00100010",),
    ("0X00100010",),
    ("10",),
    (" 10 ",),
    ("1_0",),
    ("100000000",),
    ("-10",),
    ("NotAKeyword",),
    ("OverlayData",),
    ("patientname",),
    ("",),
    ("CommandGroupLength",),
    (0x10, 0x10),
    (0x10, 0x10000),
    ("10", "20"),
    ("PatientName", 5),
    (0x00100010, None),
    ((0x10, 0x10), 5),
]
if np is not None:
    TAG_CASES += [
        (np.int64(0x00100010),),
        (np.uint32(0xFFFFFFFF),),
        ((np.int64(0x10), np.int64(0x10)),),
    ]


def _tag_view(tag: Any) -> tuple[Any, ...]:
    return (
        int(tag),
        str(tag),
        repr(tag),
        tag.json_key,
        tag.group,
        tag.element,
        tag.elem,
        tag.is_private,
        tag.is_private_creator,
        int(tag.private_creator),
        hash(tag),
    )


def test_tag_constructor() -> None:
    compare(ftag.Tag, ptag.Tag, TAG_CASES, convert=_tag_view)
    assert type(ftag.Tag(0x00100010)) is ftag.BaseTag
    t = ftag.Tag(0x00100010)
    assert ftag.Tag(t) is t
    assert ftag.Tag(t, 5) is t  # pydicom ignores arg2 for a BaseTag


def test_tag_error_messages() -> None:
    with pytest.raises(ValueError, match="unknown DICOM element keyword"):
        ftag.Tag("NotAKeyword")
    with pytest.raises(OverflowError, match="maximum of 4-bytes"):
        ftag.Tag(0x100000000)
    with pytest.raises(OverflowError, match="maximum of 2-bytes"):
        ftag.Tag(0x10000, 0)
    with pytest.raises(TypeError, match="same type and str or int"):
        ftag.Tag(("10", 5))
    with pytest.raises(ValueError, match="must be positive"):
        ftag.Tag(-1)
    with pytest.raises(ValueError, match="2-tuple"):
        ftag.Tag((1, 2, 3))


def test_tag_properties_sweep() -> None:
    rng = random.Random(7)
    tags = list(range(0, 0x40)) + [rng.getrandbits(32) for _ in range(5000)]
    tags += [0x00090010, 0x000900FF, 0x00090100, 0x0009000F, 0xFFFEE000, 0x00191A0C]
    compare(ftag.BaseTag, ptag.BaseTag, [(t,) for t in tags], convert=_tag_view)
    assert str(ftag.Tag(0x7FE00010)) == "(7FE0,0010)"
    assert ftag.Tag(0x00191A0C).private_creator == 0x0019001A
    assert ftag.Tag(0x7FE00010).json_key == "7FE00010"


COMPARANDS: list[Any] = [
    0x00100010,
    0x00100011,
    0x0010000F,
    (0x10, 0x10),
    (0x10, 0x11),
    [0x10, 0x10],
    "PatientName",
    "PatientID",
    "00100010",
    "junk",
    None,
    1048592.0,
    1.5,
    object(),
    (1, 2, 3),
]


@pytest.mark.parametrize("op", ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"])
def test_tag_comparisons(op: str) -> None:
    ours = ftag.Tag(0x00100010)
    theirs = ptag.Tag(0x00100010)
    compare(
        lambda o: getattr(ours, op)(o),
        lambda o: getattr(theirs, op)(o),
        [(c,) for c in COMPARANDS],
    )


def test_tag_operators_and_hashing() -> None:
    t = ftag.Tag(0x00100010)
    assert t == "PatientName" and t == (0x10, 0x10) and t != "junk"
    assert t < 0x00100011 and t <= "PatientName" and t > (0x10, 0x0F) and t >= 0x00100010
    with pytest.raises(TypeError):
        t < "junk"  # noqa: B015
    assert {t: 1}[0x00100010] == 1 and {0x00100010: 1}[t] == 1
    assert fdd.DICOM_DICT[t][4] == "PatientName"
    assert sorted([ftag.Tag(3), ftag.Tag(1), ftag.Tag(2)]) == [1, 2, 3]


def test_special_tags() -> None:
    assert ftag.ItemTag == ptag.ItemTag == 0xFFFEE000
    assert ftag.ItemDelimiterTag == ptag.ItemDelimiterTag == 0xFFFEE00D
    assert ftag.SequenceDelimiterTag == ptag.SequenceDelimiterTag == 0xFFFEE0DD
    assert ftag.TAG_PIXREP == 0x00280103 and ftag.TAG_CHARSET == 0x00080005
    assert ftag.TupleTag((0x10, 0x20)) == 0x00100020
    assert isinstance(ftag.ItemTag, ftag.BaseTag)


def test_tag_in_exception() -> None:
    with pytest.raises(ValueError, match=r"With tag \(0010,0010\) got exception: boom"):
        with ftag.tag_in_exception(ftag.Tag(0x00100010)):
            raise ValueError("boom")


# --- UID -------------------------------------------------------------------------

UID_PROPS = [
    "name",
    "type",
    "info",
    "is_retired",
    "keyword",
    "is_private",
    "is_valid",
    "is_transfer_syntax",
    "is_implicit_VR",
    "is_little_endian",
    "is_deflated",
    "is_compressed",
    "is_encapsulated",
]

EXTRA_UIDS = [
    "1.2.3.4",
    "1.2.840.10008.1.2.99",
    "1.2.840.10008.",
    "",
    "1.2.840.113619.2.55",
    "2.25.1234",
    "1.2.840.10008.1.2.1 ",
    " 1.2.840.10008.1.2",
    "1" * 65,
]


@needs_same_version
@pytest.mark.parametrize("prop", UID_PROPS)
def test_every_registry_uid(prop: str) -> None:
    uids = list(UID_dictionary) + EXTRA_UIDS
    with pconfig.disable_value_validation():
        cases = [(fuid.UID(u, fuid.IGNORE), puid.UID(u)) for u in uids]
    bad = []
    for ours, theirs in cases:
        a, b = outcome(getattr, ours, prop), outcome(getattr, theirs, prop)
        if a != b:
            bad.append((str(ours), a, b))
    assert not bad, bad[:20]


@pytest.mark.parametrize("prop", UID_PROPS)
@pytest.mark.parametrize("encoding", [(True, True), (False, True), (False, False), (True, False)])
def test_private_transfer_syntax(prop: str, encoding: tuple[bool, bool]) -> None:
    ours, theirs = fuid.UID("1.2.3.4"), puid.UID("1.2.3.4")
    assert outcome(getattr, ours, prop) == outcome(getattr, theirs, prop)
    ours.set_private_encoding(*encoding)
    theirs.set_private_encoding(*encoding)
    assert outcome(getattr, ours, prop) == outcome(getattr, theirs, prop)
    copy = fuid.UID(ours)  # the encoding travels with the value
    assert outcome(getattr, copy, prop) == outcome(getattr, theirs, prop)


def test_transfer_syntax_examples() -> None:
    assert fuid.ImplicitVRLittleEndian.is_implicit_VR
    assert not fuid.ExplicitVRBigEndian.is_little_endian
    assert fuid.DeflatedExplicitVRLittleEndian.is_deflated
    assert not fuid.DeflatedExplicitVRLittleEndian.is_compressed
    assert fuid.JPEG2000Lossless.is_compressed and fuid.RLELossless.is_encapsulated
    assert fuid.HTJ2K.is_transfer_syntax
    with pytest.raises(ValueError, match="not a transfer syntax"):
        fuid.CTImageStorage.is_implicit_VR  # noqa: B018
    assert fuid.UID("1.9.9").name == "1.9.9"
    assert fuid.JPEGBaseline8Bit.keyword == "JPEGBaseline8Bit"


@needs_same_version
def test_uid_constants() -> None:
    for name in dir(puid):
        value = getattr(puid, name)
        if isinstance(value, puid.UID) and name != "PYDICOM_IMPLEMENTATION_UID":
            ours = getattr(fuid, name)
            assert isinstance(ours, fuid.UID) and ours == value, name
    for uid, entry in UID_dictionary.items():
        if entry[4]:
            assert getattr(fuid, entry[4]) == uid
            assert entry[4] in fuid.__all__
    for group in (
        "AllTransferSyntaxes",
        "JPEGTransferSyntaxes",
        "JPEGLSTransferSyntaxes",
        "JPEG2000TransferSyntaxes",
        "MPEGTransferSyntaxes",
        "RLETransferSyntaxes",
        "UncompressedTransferSyntaxes",
    ):
        assert getattr(fuid, group) == getattr(puid, group), group
    for name in ("CTImageStorage", "MRImageStorage", "SegmentationStorage",
                 "SecondaryCaptureImageStorage"):
        assert getattr(fuid, name) == getattr(puid, name)


def test_uid_is_str() -> None:
    u = fuid.UID("1.2.840.10008.1.2.1")
    assert u == "1.2.840.10008.1.2.1" and "1.2.840.10008.1.2.1" == u
    assert hash(u) == hash("1.2.840.10008.1.2.1")
    assert {"1.2.840.10008.1.2.1": 1}[u] == 1
    assert repr(u) == repr(puid.UID("1.2.840.10008.1.2.1"))
    assert str(fuid.UID("  1.2.3  ", fuid.IGNORE)) == "1.2.3"
    with pytest.raises(TypeError, match="must be created from a string"):
        fuid.UID(123)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fuid.UID(b"1.2")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["1.02", "1.2.a", "1" * 65, "1.2\n", " 1.2"])
def test_uid_validation(value: str) -> None:
    with pytest.warns(UserWarning, match="VR UI"):
        fuid.UID(value)
    with pytest.warns(UserWarning):
        puid.UID(value)
    with pytest.raises(ValueError):
        fuid.UID(value, fuid.RAISE)
    with pytest.raises(ValueError):
        puid.UID(value, pconfig.RAISE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fuid.UID(value, fuid.IGNORE)
        fuid.UID("1.2.3", fuid.RAISE)
        fuid.UID("", fuid.RAISE)


def test_register_transfer_syntax() -> None:
    saved = list(fuid.PrivateTransferSyntaxes)
    try:
        with pytest.raises(ValueError):
            fuid.register_transfer_syntax("1.2.3.4.5")
        u = fuid.register_transfer_syntax("1.2.3.4.5", False, True)
        assert u in fuid.PrivateTransferSyntaxes and u.is_transfer_syntax
        assert not u.is_implicit_VR and u.is_little_endian and u.is_compressed
        pre = fuid.UID("1.2.3.4.6")
        pre.set_private_encoding(True, True)
        assert fuid.register_transfer_syntax(pre).is_implicit_VR
    finally:
        fuid.PrivateTransferSyntaxes[:] = saved


def test_generate_uid_default() -> None:
    uids = {fuid.generate_uid() for _ in range(200)}
    assert len(uids) == 200
    for u in uids:
        assert isinstance(u, fuid.UID)
        assert u.startswith("2.25.") and u.is_valid and len(u) <= 64
        assert int(u[5:]) < 2**128
    assert fuid.generate_uid(None).startswith("2.25.")
    assert fuid.generate_uid("2.25.").startswith("2.25.")


def test_generate_uid_entropy() -> None:
    a = fuid.generate_uid(entropy_srcs=["lorem", "ipsum"])
    assert a == fuid.generate_uid(entropy_srcs=["lorem", "ipsum"])
    assert a != fuid.generate_uid(entropy_srcs=["lorem", "ipsun"])
    assert a.startswith("2.25.") and a.is_valid
    # with an explicit root the result is pydicom's, digit for digit
    for prefix in ("1.2.3.", "1.2.826.0.1.3680043.8.498."):
        assert fuid.generate_uid(prefix, ["lorem", "ipsum"]) == puid.generate_uid(
            prefix, ["lorem", "ipsum"]
        )
        r = fuid.generate_uid(prefix)
        assert r.startswith(prefix) and r.is_valid and len(r) <= 64


@pytest.mark.parametrize("prefix", ["1.2.3", "1.02.", "a.", "1." * 28, "", "1.2..", ".1."])
def test_generate_uid_bad_prefix(prefix: str) -> None:
    assert outcome(fuid.generate_uid, prefix) == outcome(puid.generate_uid, prefix)
    assert outcome(fuid.generate_uid, prefix)[0] == "raise"


def test_implementation_identity() -> None:
    u = fuid.IMPLEMENTATION_CLASS_UID
    assert isinstance(u, fuid.UID) and u.is_valid and u.startswith("2.25.")
    assert len(fuid.IMPLEMENTATION_VERSION_NAME) <= 16
    assert fuid.IMPLEMENTATION_VERSION_NAME.startswith("DCMFAST_")


def test_pickle_and_copy() -> None:
    import copy
    import pickle

    t = ftag.Tag(0x00100010)
    u = fuid.UID("1.2.3.4")
    u.set_private_encoding(True, False)
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        t2 = pickle.loads(pickle.dumps(t, proto))
        assert type(t2) is ftag.BaseTag and t2 == t
        u2 = pickle.loads(pickle.dumps(u, proto))
        assert type(u2) is fuid.UID and u2 == u and u2.is_implicit_VR
        assert not u2.is_little_endian
    assert type(copy.deepcopy(t)) is ftag.BaseTag
    assert copy.deepcopy(u)._PRIVATE_TS_ENCODING == (True, False)
