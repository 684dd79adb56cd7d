"""The compiled modules are what runs, and csrc/ follows the house rules."""
from __future__ import annotations

import pathlib
import re

import dcmfast
from dcmfast import _parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
CSRC = ROOT / "csrc"


def test_build_info_lists_compiled_modules():
    info = dcmfast.build_info()
    for name in ("_parse", "_pixels"):
        module = info["modules"][name]
        assert module["compiled"] is True, name
        assert module["file"].endswith((".so", ".pyd")), module["file"]


def test_dcmread_uses_the_compiled_tokenizer(monkeypatch):
    """dcmread frames and tokenizes in compiled code, and the Dataset indexes its table."""
    calls = []
    real = _parse.read_part10

    def spy(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(result)
        return result

    assert type(real).__name__ in ("cython_function_or_method", "builtin_function_or_method")
    monkeypatch.setattr(_parse, "read_part10", spy)
    from pydicom.data import get_testdata_file

    ds = dcmfast.dcmread(get_testdata_file("CT_small.dcm"))
    assert len(calls) == 1
    meta_table, table = calls[0][1], calls[0][4]
    assert type(meta_table) is _parse.TokenTable and type(table) is _parse.TokenTable
    assert ds.__dict__["_table"] is table
    assert _parse.__file__.endswith((".so", ".pyd"))


def _c_files():
    return sorted(CSRC.glob("*.[ch]"))


def test_csrc_has_no_python_h():
    for path in _c_files():
        assert not re.search(r'#\s*include\s*[<"]Python\.h', path.read_text()), path.name


def test_every_c_file_cites_the_standard_or_says_why_not():
    for path in sorted(CSRC.glob("*.c")) + sorted(CSRC.glob("*.h")):
        head = path.read_text()[:1500]
        assert "Implements:" in head, f"{path.name} lacks an 'Implements:' header line"
        assert "SPDX-License-Identifier" in head, path.name


def test_no_static_mutable_state():
    pattern = re.compile(r"^\s*static\s+(?!inline|const|int\s+\w+\(|void\s+\w+\(|uint64_t\s+\w+\(|"
                         r"dcf_\w+\s+\*?\w+\()[^;(]*[;=]", re.M)
    for path in _c_files():
        text = path.read_text()
        for match in pattern.finditer(text):
            raise AssertionError(f"{path.name}: static mutable state: {match.group(0).strip()}")
