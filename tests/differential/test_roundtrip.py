"""Differential test: read -> write -> read, for every corpus file dcmfast reads.

Each file is written in Implicit VR LE, Explicit VR LE, Explicit VR BE,
Deflated Explicit VR LE and in its own transfer syntax (files with
encapsulated Pixel Data only in their own syntax: the native ones must raise
ValueError), then

- read back with dcmfast: the same elements and values as the original dcmfast
  read, at every nesting level, except for the differences listed (with their
  reasons) in INTENDED_DIFFERENCES;
- read back with pydicom: compare_datasets() finds no difference;
- written again from the read-back: the bytes are the same (the writer is
  idempotent), and writing the same read twice gives the same bytes;
- written untouched in its own syntax: the data set is the source's, byte for
  byte, but for the files in NOT_BYTE_EXACT (with their reasons);
- checked by DCMTK's dcmdump (a handful by default, all with -m slow): exit
  status 0, no "E:" line, the same top-level tags.

The same round trip is also run with every element decoded before writing, so
that the encoder from Python values (not the copy of undecoded bytes) is
exercised on the whole corpus.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import warnings
import zlib

import pytest

pydicom = pytest.importorskip("pydicom")

import dcmfast  # noqa: E402
from dcmfast import filewriter  # noqa: E402
from tests.corpus import corpus_files, corpus_id  # noqa: E402
from tests.differential.compare import compare_datasets  # noqa: E402

pytestmark = pytest.mark.corpus

SYNTAXES = {
    "implicit": "1.2.840.10008.1.2",
    "explicit": "1.2.840.10008.1.2.1",
    "big": "1.2.840.10008.1.2.2",
    "deflate": "1.2.840.10008.1.2.1.99",
    "own": None,  # the file's own transfer syntax (file meta, else as read)
}
NATIVE = frozenset(v for v in SYNTAXES.values() if v)

#: Every intended difference between the source and what dcmfast writes, and why.
#: compare_roundtrip() classifies each difference it finds as one of the first five
#: (or the test fails); NOT_BYTE_EXACT lists, per file, the ones that keep an
#: untouched write in the file's own syntax from reproducing the source bytes.
INTENDED_DIFFERENCES = {
    "group-length": (
        "Group Length elements (gggg,0000) that are present are written with their value "
        "recomputed for the encoding written (PS3.5 §7.2; DCMTK does the same): the original "
        "value can be stale (edited files: chrJapMulti.dcm, 693_*.dcm, color-p*.dcm) or count "
        "another encoding. test_group_lengths_correct checks the written values."),
    "implicit-vr": (
        "Implicit VR has no VR on disk, so the VR read back is the dictionary's: private "
        "elements get the private dictionary VR or UN (JPEG2000_UNC.dcm, OBXXXX1A*.dcm, "
        "waveform_ecg.dcm, dicomdirtests CR/CT2 files, private group lengths), ambiguous ones "
        "pydicom's choice (native Pixel Data OW, LUT Data US/OW: mlut_18.dcm, vlut_04.dcm). "
        "The encoded value bytes are the same."),
    "byte-swap": (
        "OW/OF/OD/OL/OV values and native Pixel Data are byte-swapped when the byte order "
        "changes (by word size; Pixel Data by cell size), so their bytes differ; they are "
        "compared encoded in the same byte order, and pixel arrays are compared too."),
    "padding": (
        "Odd-length values are padded to even length (PS3.5 §7.1.1); UN and OB values keep "
        "the NUL pad byte when read back (nested_priv_SQ.dcm, meta_missing_tsyntax.dcm)."),
    "encapsulated-ob": (
        "Encapsulated Pixel Data is written with VR OB (PS3.5 A.4) where the source said OW "
        "(emri_small_jpeg_*, MR_small_jp*, SC_rgb_rle_16bit*, rtdose_rle*, 693_J2KI.dcm...)."),
    "un-resolved": (
        "Explicit UN elements of tags the (private) dictionary knows are written with that VR, "
        "as pydicom does; dcmfast and pydicom read them as that VR anyway, so the values read "
        "back are the same, but the header bytes differ."),
    "truncated": (
        "A value or sequence cut short by the end of the source file is written with the "
        "length of what is there (a truncated last fragment shortened, the missing sequence "
        "delimiter added), so the file written is well formed."),
    "vr-form": (
        "A data set encoded in implicit VR although its transfer syntax says explicit "
        "(SC_rgb_jpeg.dcm) is written as the transfer syntax says."),
}

#: corpus files without the 128-byte preamble and 'DICM' that are real data sets
#: (read with force=True); the other files dcmread refuses are not DICOM
NO_PREAMBLE = frozenset(["OT-PAL-8-face.dcm", "ExplVR_BigEndNoMeta.dcm",
                         "ExplVR_LitEndNoMeta.dcm", "rtstruct.dcm"])


def _read(source, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dcmfast.dcmread(source, **kwargs)


#: files whose data set is NOT reproduced byte for byte when written untouched in its
#: own transfer syntax (test_untouched_write_is_byte_exact), with the reasons (keys of
#: INTENDED_DIFFERENCES); every other readable corpus file is.
NOT_BYTE_EXACT = {
    "693_J2KR.dcm": ("group-length",),
    "693_UNCI.dcm": ("group-length",),
    "693_UNCR.dcm": ("group-length",),
    "693_J2KI.dcm": ("group-length", "encapsulated-ob"),
    "chrJapMulti.dcm": ("group-length", "un-resolved"),
    "chrJapMultiExplicitIR6.dcm": ("group-length", "un-resolved"),
    "chrKoreanMulti.dcm": ("group-length", "un-resolved"),
    "bad_sequence.dcm": ("un-resolved",),
    "J2K_pixelrep_mismatch.dcm": ("un-resolved",),
    "UN_sequence.dcm": ("un-resolved",),  # a UN sequence written as SQ
    "explicit_VR-UN.dcm": ("un-resolved", "encapsulated-ob"),
    "rtdose_rle.dcm": ("un-resolved", "encapsulated-ob"),
    "rtdose_rle_1frame.dcm": ("un-resolved", "encapsulated-ob"),
    "emri_small_jpeg_2k_lossless.dcm": ("encapsulated-ob",),
    "emri_small_jpeg_ls_lossless.dcm": ("encapsulated-ob",),
    "MR_small_jp2klossless.dcm": ("encapsulated-ob",),
    "MR_small_jpeg_ls_lossless.dcm": ("encapsulated-ob",),
    "SC_rgb_rle_16bit.dcm": ("encapsulated-ob",),
    "SC_rgb_rle_16bit_2frame.dcm": ("encapsulated-ob",),
    "emri_small_jpeg_2k_lossless_too_short.dcm": ("truncated", "encapsulated-ob"),
    "MR_truncated.dcm": ("truncated",),
    "dicomdirtests/DICOMDIR-nooffset": ("truncated",),
    "rtplan_truncated.dcm": ("truncated", "padding"),
    "meta_missing_tsyntax.dcm": ("padding",),
    "nested_priv_SQ.dcm": ("padding",),
    "SC_rgb_jpeg.dcm": ("vr-form",),
}
assert all(k in INTENDED_DIFFERENCES for reasons in NOT_BYTE_EXACT.values() for k in reasons)


def _readable_files() -> list[tuple[str, bool]]:
    out = []
    for path in corpus_files():
        force = corpus_id(path) in NO_PREAMBLE
        try:
            _read(path, force=force)
        except Exception:  # noqa: BLE001 - not a file dcmfast reads
            continue
        out.append((path, force))
    return out


FILES = _readable_files()
FILE_IDS = [corpus_id(p) for p, _ in FILES]


def _write(ds, syntax, **kwargs) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dcmfast.dcmwrite(buf, ds, transfer_syntax=syntax, **kwargs)
    return buf.getvalue()


def _encapsulated(ds) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return 0x7FE00010 in ds and bool(ds[0x7FE00010].is_undefined_length)


def _encoded(ds, elem, little: bool, src_little: bool):
    """An element's value as the writer encodes it (padded), or None if it cannot."""
    ctx = filewriter._Ctx(False, little, "original", src_little)
    vr = elem.VR if len(elem.VR) == 2 else filewriter._resolve_vr(ds, elem, elem.VR, ctx)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = bytes(filewriter._encode_value(ds, int(elem.tag), vr, elem.value, ctx,
                                                  ds._character_set))
    except Exception:  # noqa: BLE001
        return None
    if len(data) & 1:
        data += b" " if vr in filewriter._SPACE_PAD_VRS else b"\0"
    return data


def _value_equal(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and a != a:
        return b != b
    if isinstance(a, list):
        return len(a) == len(b) and all(_value_equal(x, y) for x, y in zip(a, b))
    return a == b


def compare_roundtrip(orig, back, orig_little: bool, new_little: bool, implicit: bool,
                      path: str = "", out: list | None = None) -> list[tuple[str, str]]:
    """(where, kind) for every difference; kind is an INTENDED_DIFFERENCES key or 'unexpected'."""
    out = [] if out is None else out
    a_tags, b_tags = set(orig.keys()), set(back.keys())
    for tag in sorted(a_tags ^ b_tags):
        out.append((f"{path}({tag >> 16:04X},{tag & 0xFFFF:04X}) present in one only", "unexpected"))
    for tag in sorted(a_tags & b_tags):
        where = f"{path}({tag >> 16:04X},{tag & 0xFFFF:04X})"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                a = orig[tag]
            except Exception as exc:  # noqa: BLE001
                a = exc
            try:
                b = back[tag]
            except Exception as exc:  # noqa: BLE001
                b = exc
        if isinstance(a, Exception) or isinstance(b, Exception):
            if type(a) is not type(b):
                out.append((f"{where} {a!r:.80} / {b!r:.80}", "unexpected"))
            continue
        if not tag & 0xFFFF:
            if a.value != b.value or a.VR != b.VR:
                out.append((where, "group-length"))
            continue
        if a.VR == "SQ" or b.VR == "SQ":
            if a.VR != b.VR or len(a.value) != len(b.value):
                out.append((f"{where} {a.VR}/{b.VR} {len(a.value or [])}/{len(b.value or [])} items",
                            "unexpected"))
                continue
            for i, (x, y) in enumerate(zip(a.value, b.value)):
                compare_roundtrip(x, y, orig_little, new_little, implicit, f"{where}[{i}].", out)
            continue
        if a.VR == b.VR and _value_equal(a.value, b.value):
            continue
        if tag == 0x7FE00010 and a.is_undefined_length:
            ok = b.VR == "OB" and a.value == b.value
            out.append((where, "encapsulated-ob" if ok else "unexpected"))
            continue
        same_bytes = (_encoded(orig, a, new_little, orig_little) is not None
                      and _encoded(orig, a, new_little, orig_little)
                      == _encoded(back, b, new_little, new_little))
        if not same_bytes:
            out.append((f"{where} {a.VR} {a.value!r:.80} -> {b.VR} {b.value!r:.80}", "unexpected"))
        elif a.VR != b.VR:
            out.append((where, "implicit-vr" if implicit else "unexpected"))
        elif orig_little != new_little and a.VR in ("OW", "OF", "OD", "OL", "OV", "OB"):
            out.append((where, "byte-swap"))
        else:
            out.append((where, "padding"))
    return out


_CLASSIFIED = ("group-length", "implicit-vr", "byte-swap", "padding", "encapsulated-ob")


def _check_roundtrip(ds, data: bytes, syntax: str | None):
    back = _read(data)
    implicit = back.original_encoding[0]
    diffs = compare_roundtrip(ds, back, filewriter._source_little(ds), bool(back.original_encoding[1]),
                              bool(implicit))
    unexpected = [where for where, kind in diffs if kind not in _CLASSIFIED]
    assert not unexpected, "\n".join(unexpected[:30])
    return back


@pytest.mark.parametrize("syntax", list(SYNTAXES), ids=list(SYNTAXES))
@pytest.mark.parametrize("path,force", FILES, ids=FILE_IDS)
def test_roundtrip(path, force, syntax):
    ds = _read(path, force=force)
    uid = SYNTAXES[syntax]
    if uid in NATIVE and _encapsulated(ds):
        with pytest.raises(ValueError, match="encapsulated"):
            _write(ds, uid)
        return
    data = _write(ds, uid)
    assert _write(ds, uid) == data, "writing the same read twice gave different bytes"

    # pydicom reads the file the same as dcmfast does
    back = _read(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pydicom.dcmread(io.BytesIO(data))
        diffs = compare_datasets(back, theirs)
        diffs += compare_datasets(back.file_meta, theirs.file_meta, "meta:")
    assert not diffs, "\n".join(diffs[:30])

    # the same values as the original read (ds is decoded only now, after writing)
    _check_roundtrip(ds, data, uid)
    if uid is not None:
        assert back.file_meta.TransferSyntaxUID == uid

    # writing what was read back (untouched) gives the same bytes
    assert _write(_read(data), uid) == data, "the second generation differs from the first"


@pytest.mark.parametrize("syntax", ["implicit", "big", "own"])
@pytest.mark.parametrize("path,force", FILES, ids=FILE_IDS)
def test_roundtrip_decoded(path, force, syntax):
    """Every element decoded first: the values are encoded from Python objects."""
    ds = _read(path, force=force)
    uid = SYNTAXES[syntax]
    if uid in NATIVE and _encapsulated(ds):
        pytest.skip("encapsulated pixel data: native syntaxes are refused (test_roundtrip)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for elem in ds.iterall():
            elem.value  # noqa: B018 - decode
    data = _write(ds, uid)
    _check_roundtrip(ds, data, uid)


def _data_set_bytes(data: bytes) -> bytes:
    """The encoded data set after the file meta (inflated if deflated)."""
    ds = _read(data)
    table = ds.file_meta.__dict__.get("_table")
    end = table.stop_offset if table is not None else 132
    body = data[end:]
    if ds.file_meta.get("TransferSyntaxUID") == SYNTAXES["deflate"]:
        body = zlib.decompressobj(-zlib.MAX_WBITS).decompress(body)
    return body


@pytest.mark.parametrize("path,force", [(p, f) for p, f in FILES if not f],
                         ids=[corpus_id(p) for p, f in FILES if not f])
def test_untouched_write_is_byte_exact(path, force):
    """Written untouched in its own syntax, the data set is the source's, byte for byte."""
    with open(path, "rb") as f:
        source = f.read()
    data = _write(_read(path), None)
    exact = _data_set_bytes(data) == _data_set_bytes(source)
    reasons = NOT_BYTE_EXACT.get(corpus_id(path))
    if reasons is None:
        assert exact, "the data set bytes differ from the source's"
    else:
        assert not exact, f"now byte exact: remove it from NOT_BYTE_EXACT ({', '.join(reasons)})"


def _group_lengths_ok(data: bytes) -> list[str]:
    """(gggg,0000) values that do not match the elements that follow, at every level."""
    ds = _read(data)
    bad = []

    def check(item, table):
        tok = item.__dict__.get("_tok", -1)
        kids = table.child_list(tok)
        by_group: dict[int, list[int]] = {}
        for i in kids:
            by_group.setdefault(table.tag(i) >> 16, []).append(i)
        for group, toks in by_group.items():
            first = toks[0]
            if table.tag(first) & 0xFFFF == 0 and len(toks) >= 1:
                last = toks[-1]
                end = table.value_offset(last) + table.length(last)
                if table.flags(last) & dcmfast._parse.TF_UNDEFINED:
                    end += 8
                start = table.value_offset(first) + 4
                value = item[table.tag(first)].value
                if isinstance(value, bytes):  # a private group length read from implicit VR: UN
                    value = int.from_bytes(value, "little" if table.little_endian else "big")
                if value != end - start:
                    bad.append(f"({group:04X},0000) {value} != {end - start}")
        for elem in item:
            if elem.VR == "SQ":
                for sub in elem.value:
                    if sub.__dict__.get("_table") is table:
                        check(sub, table)

    check(ds, ds._table)
    return bad


GROUP_LENGTH_FILES = [(p, f) for p, f in FILES if corpus_id(p) in (
    "693_UNCI.dcm", "color-pl.dcm", "chrJapMulti.dcm", "chrKoreanMulti.dcm", "ExplVR_BigEnd.dcm")]


@pytest.mark.parametrize("syntax", ["implicit", "explicit", "big"])
@pytest.mark.parametrize("path,force", GROUP_LENGTH_FILES, ids=[corpus_id(p) for p, _ in GROUP_LENGTH_FILES])
def test_group_lengths_correct(path, force, syntax):
    ds = _read(path, force=force)
    data = _write(ds, SYNTAXES[syntax])
    assert _group_lengths_ok(data) == []


PIXEL_FILES = [(p, f) for p, f in FILES if corpus_id(p) in (
    "MR_small_bigendian.dcm", "SC_rgb_expb_32bit.dcm", "SC_rgb_expb_16bit_2frame.dcm",
    "OBXXXX1A_expb.dcm", "CT_small.dcm", "rtdose_expb.dcm", "SC_rgb_small_odd_big_endian.dcm",
    "liver_expb.dcm", "emri_small_big_endian.dcm")]


@pytest.mark.parametrize("syntax", ["implicit", "explicit", "big"])
@pytest.mark.parametrize("path,force", PIXEL_FILES, ids=[corpus_id(p) for p, _ in PIXEL_FILES])
def test_pixel_array_survives_byte_order_change(path, force, syntax):
    np = pytest.importorskip("numpy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pydicom.dcmread(path, force=force).pixel_array
        data = _write(_read(path, force=force), SYNTAXES[syntax])
        arr = pydicom.dcmread(io.BytesIO(data)).pixel_array
    assert arr.shape == ref.shape
    assert arr.dtype.kind == ref.dtype.kind and arr.dtype.itemsize == ref.dtype.itemsize
    assert np.array_equal(arr, ref)


# --- DCMTK ----------------------------------------------------------------------------

DCMDUMP = shutil.which("dcmdump")
_TOP_TAG = re.compile(r"^\(([0-9a-f]{4}),([0-9a-f]{4})\)")
DCMDUMP_SAMPLE = {"CT_small.dcm", "MR_small_bigendian.dcm", "rtplan.dcm", "JPEG2000.dcm",
                  "chrJapMulti.dcm", "SC_rgb_rle.dcm", "image_dfl.dcm", "waveform_ecg.dcm"}


def _dcmdump_check(path, force, syntax, tmp_path):
    ds = _read(path, force=force)
    uid = SYNTAXES[syntax]
    if uid in NATIVE and _encapsulated(ds):
        pytest.skip("encapsulated pixel data: written in its own syntax only")
    out = tmp_path / "out.dcm"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dcmfast.dcmwrite(out, ds, transfer_syntax=uid)
    run = subprocess.run([DCMDUMP, "+L", str(out)], capture_output=True, timeout=60)
    text = (run.stdout + run.stderr).decode("latin-1")
    errors = [line for line in text.splitlines() if line.startswith(("E:", "F:"))]
    assert run.returncode == 0, text[-2000:]
    assert not errors, "\n".join(errors[:10])
    tags = {int(m.group(1) + m.group(2), 16) for m in map(_TOP_TAG.match, text.splitlines()) if m}
    back = _read(out)
    assert {t for t in tags if t >> 16 not in (0x0002, 0xFFFE)} == {int(t) for t in back.keys()}
    if "PatientID" in back and back.PatientID:
        assert f"[{back.PatientID}]" in text


needs_dcmdump = pytest.mark.skipif(DCMDUMP is None, reason="DCMTK's dcmdump is not installed")
SAMPLE = [(p, f) for p, f in FILES if corpus_id(p) in DCMDUMP_SAMPLE]


@needs_dcmdump
@pytest.mark.interop
@pytest.mark.parametrize("syntax", list(SYNTAXES))
@pytest.mark.parametrize("path,force", SAMPLE, ids=[corpus_id(p) for p, _ in SAMPLE])
def test_dcmdump_reads_what_we_write(path, force, syntax, tmp_path):
    _dcmdump_check(path, force, syntax, tmp_path)


@needs_dcmdump
@pytest.mark.interop
@pytest.mark.slow
@pytest.mark.parametrize("syntax", list(SYNTAXES))
@pytest.mark.parametrize("path,force", FILES, ids=FILE_IDS)
def test_dcmdump_reads_what_we_write_all(path, force, syntax, tmp_path):
    _dcmdump_check(path, force, syntax, tmp_path)


def test_corpus_readable_count():
    assert len(FILES) >= 240, f"only {len(FILES)} corpus files read; install pydicom-data"
    assert os.path.exists(FILES[0][0])
