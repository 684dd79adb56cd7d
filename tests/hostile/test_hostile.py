"""Hostile input: the reader must fail cleanly or warn, never crash, hang or balloon.

The contract (issue): corpus files truncated at many offsets, random byte
flips, lying length fields and absurd nesting give :class:`InvalidDicomError`
(with the byte offset, and the tag when known) or a documented
:class:`DicomWarning` - never a crash, a hang, or an allocation larger than the
input justifies.

``dcmread`` is lazy, so every case here also walks the whole result: every
element's value recursively (``iterall``), ``str(ds)`` and the file meta.

Checks per case (:func:`read_and_walk`):

- the only exception that may escape is InvalidDicomError, and its ``offset``
  is an int inside the data (the tag, when given, is named in the message);
- every warning is a :data:`ALLOWED_WARNINGS` (DicomWarning);
- the case takes less than :data:`CASE_SECONDS` of wall-clock time.

Memory is checked in child processes (``/proc/self/status`` VmHWM, reset per
case), because the token table is malloc'd in C where tracemalloc cannot see
it. Under AddressSanitizer (tools/run_sanitized.sh sets DCMFAST_SANITIZED=1)
the RSS bounds are not asserted (shadow memory and the quarantine inflate RSS);
ASAN_OPTIONS=max_allocation_size_mb there fails any single huge allocation.

A crash shows as the pytest process dying; :func:`test_subprocess_fuzz_smoke`
runs a few hundred mutations in a child so that a segfault is reported as a
failing test with the child's traceback (faulthandler) instead.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import time
import warnings
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dcmfast
from dcmfast import DicomWarning, InvalidDicomError, filereader
from tests.corpus import corpus_files, corpus_id
from tests.hostile.dicombytes import HOSTILE_CASES, PN, hostile_case, length_fields, walk

pytestmark = pytest.mark.hostile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SANITIZED = os.environ.get("DCMFAST_SANITIZED") == "1"
SLOWDOWN = 10 if SANITIZED else 1
#: wall-clock limit of one read + walk
CASE_SECONDS = 2.0 * SLOWDOWN
#: the only warning categories a hostile read may emit
ALLOWED_WARNINGS: tuple[type[Warning], ...] = (DicomWarning,)
#: a hostile read may hold this many times its input in memory, plus MEMORY_SLACK
#: (per-element Python objects: 100,000 empty items are 800 KB of input and
#: ~45 MB peak RSS once walked, ~42 MB of it Python objects)
MEMORY_FACTOR = 128
MEMORY_SLACK = 48 << 20

FILES = corpus_files()
needs_corpus = pytest.mark.skipif(not FILES, reason="pydicom test files are not installed")

# length values a lying header may carry
LIES = [0, 1, 2, 3, 7, 9, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF, 0x10000, 0x7FFFFFFF,
        0x80000000, 0xFFFFFFF0, 0xFFFFFFFE, 0xFFFFFFFF]
DEFLATED = b"1.2.840.10008.1.2.1.99"


# -- the check every case goes through ------------------------------------------------

class Outcome:
    __slots__ = ("error", "warnings", "elements", "seconds")

    def __init__(self, error, warnings_, elements, seconds):
        self.error = error
        self.warnings = warnings_
        self.elements = elements
        self.seconds = seconds


def read_and_walk(data: bytes, label: str = "", *, stop_before_pixels: bool = False,
                  check_offset: bool = True) -> Outcome:
    """dcmread(force=True) + walk, asserting the hostile-input contract."""
    error = None
    elements = 0
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = dcmfast.dcmread(data, force=True, stop_before_pixels=stop_before_pixels)
            elements = walk(ds)
        except InvalidDicomError as exc:
            error = exc
        except Exception as exc:  # the contract allows InvalidDicomError only
            raise AssertionError(
                f"{label}: {type(exc).__name__} escaped (only InvalidDicomError may): {exc!s:.300}"
            ) from exc
    seconds = time.perf_counter() - t0
    if error is not None:
        offset, tag = error.offset, error.tag
        assert isinstance(offset, int) and offset >= 0, f"{label}: {error!r} has no byte offset"
        assert str(offset) in str(error), f"{label}: message does not say where: {error}"
        if check_offset and isinstance(data, bytes) and DEFLATED not in data[:4096]:
            assert offset <= len(data), f"{label}: offset {offset} past the end ({len(data)}): {error}"
        if tag is not None:
            assert isinstance(tag, int) and 0 <= tag <= 0xFFFFFFFF, f"{label}: bad tag {tag!r}"
            assert f"{tag >> 16:04X},{tag & 0xFFFF:04X}" in str(error), f"{label}: tag not named: {error}"
    bad = sorted({f"{w.category.__name__} from {os.path.basename(w.filename)}:{w.lineno}: "
                  f"{str(w.message)[:160]!r}" for w in caught
                  if not issubclass(w.category, ALLOWED_WARNINGS)})
    assert not bad, (f"{label}: {len(bad)} warnings that are not DicomWarning:\n  "
                     + "\n  ".join(bad[:6]) + ("\n  ..." if len(bad) > 6 else ""))
    assert seconds < CASE_SECONDS, f"{label}: took {seconds:.2f} s (limit {CASE_SECONDS} s)"
    return Outcome(error, [w for w in caught], elements, seconds)


@lru_cache(maxsize=None)
def file_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


@lru_cache(maxsize=None)
def file_fields(path: str):
    """(all length fields, deflated) of a corpus file; see dicombytes.length_fields."""
    meta, fields, deflated = length_fields(file_bytes(path))
    return meta + fields, deflated


# -- truncation ---------------------------------------------------------------------------

#: files this small are cut at every offset (smallest first, up to the budget)
EVERY_OFFSET_BUDGET = 4000
SPREAD = 64


def _every_offset_files(budget: int) -> frozenset[str]:
    chosen, used = set(), 0
    for path in sorted(FILES, key=os.path.getsize):
        size = os.path.getsize(path) + 1
        if used + size > budget:
            break
        chosen.add(path)
        used += size
    return frozenset(chosen)


def truncation_offsets(path: str, spread: int = SPREAD, every: bool = False) -> list[int]:
    """Where to cut a file: everywhere (small files), or a spread plus the structure.

    Always inside the preamble, inside the meta (each meta header, the middle
    of each meta value), inside the first data set element header (every byte
    of it), in the middle of the last element, and one byte short of the end.
    """
    data = file_bytes(path)
    n = len(data)
    if every:
        return list(range(n + 1))
    offs = {0, 1, 2, 3, 4, 7, 8, 64, 127, 128, 129, 131, 132, 133, 136, 140, n - 1, n}
    offs.update(n * i // spread for i in range(spread))
    fields, _ = file_fields(path)
    meta = [f for f in fields if f.tag >> 16 == 2]
    rest = [f for f in fields if f.tag >> 16 != 2]
    for f in meta:
        offs.update((f.offset + 2, f.offset + 5, f.pos + 1, f.value_offset,
                     f.value_offset + f.length // 2))
    if rest:
        first = rest[0]
        offs.update(range(first.offset, first.value_offset + 1))
        last = max(rest, key=lambda f: f.offset)
        offs.update((last.offset + 3, last.value_offset + last.length // 2))
        # the largest value (pixel data, usually): its header and its middle
        big = max(rest, key=lambda f: f.length)
        offs.update((big.offset + 1, big.pos + 1, big.value_offset + big.length // 2))
    return sorted(o for o in offs if 0 <= o <= n)


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("path", FILES, ids=[corpus_id(f) for f in FILES])
def test_truncated_corpus_file(path: str) -> None:
    data = file_bytes(path)
    every = path in _every_offset_files(EVERY_OFFSET_BUDGET)
    structural = set(truncation_offsets(path)) if not every else set()
    for cut in truncation_offsets(path, every=every):
        piece = data[:cut]
        read_and_walk(piece, f"{corpus_id(path)}[:{cut}]")
        if cut in structural:
            read_and_walk(piece, f"{corpus_id(path)}[:{cut}] stop_before_pixels",
                          stop_before_pixels=True)


@needs_corpus
@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=[corpus_id(f) for f in FILES])
def test_truncated_corpus_file_dense(path: str) -> None:
    """Every offset for files up to 16 KB, 1024 spread offsets for the others."""
    data = file_bytes(path)
    every = len(data) <= 16384
    for cut in truncation_offsets(path, spread=1024, every=every):
        read_and_walk(data[:cut], f"{corpus_id(path)}[:{cut}]")


@needs_corpus
@pytest.mark.corpus
def test_truncated_big_files_from_disk(tmp_path) -> None:
    """Paths of 64 KB and more are memory-mapped: cut ones must read the same way."""
    big = sorted((f for f in FILES if os.path.getsize(f) >= 65536), key=os.path.getsize)[:3]
    for path in big:
        data = file_bytes(path)
        for cut in (65536, len(data) // 2 + 1, len(data) - 1):
            target = tmp_path / "cut.dcm"
            target.write_bytes(data[:cut])
            read_and_walk(str(target), f"{corpus_id(path)}[:{cut}] from disk", check_offset=False)


# -- random byte flips and lying lengths (hypothesis) -------------------------------------

_EXAMPLES = settings.default.max_examples  # 50 with the dev profile, 200 with ci


@needs_corpus
@settings(max_examples=4 * _EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_byte_flips(data) -> None:
    path = data.draw(st.sampled_from(FILES), label="file")
    buf = bytearray(file_bytes(path))
    if not buf:
        return
    fields, _ = file_fields(path)
    for _ in range(data.draw(st.integers(1, 8), label="flips")):
        if fields and data.draw(st.booleans(), label="in a header"):
            f = data.draw(st.sampled_from(fields), label="header")
            pos = f.offset + data.draw(st.integers(0, f.value_offset - f.offset - 1), label="byte")
        else:
            pos = data.draw(st.integers(0, len(buf) - 1), label="pos")
        if data.draw(st.booleans(), label="bit flip"):
            buf[pos] ^= 1 << data.draw(st.integers(0, 7), label="bit")
        else:
            buf[pos] = data.draw(st.integers(0, 255), label="byte value")
    read_and_walk(bytes(buf), f"{corpus_id(path)} with flipped bytes",
                  stop_before_pixels=data.draw(st.booleans(), label="stop_before_pixels"))


_lie = st.one_of(st.sampled_from(LIES), st.integers(0, 0xFFFFFFFF))


@needs_corpus
@settings(max_examples=4 * _EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_lying_length_fields(data) -> None:
    candidates = [f for f in FILES if file_fields(f)[0]]
    path = data.draw(st.sampled_from(candidates), label="file")
    fields, _ = file_fields(path)
    buf = bytearray(file_bytes(path))
    for _ in range(data.draw(st.integers(1, 3), label="lies")):
        f = data.draw(st.sampled_from(fields), label="header")
        if data.draw(st.booleans(), label="off by a little"):
            value = f.length + data.draw(st.integers(-9, 9), label="delta")
        else:
            value = data.draw(_lie, label="length")
        f.write(buf, value)
    read_and_walk(bytes(buf), f"{corpus_id(path)} with a lying length",
                  stop_before_pixels=data.draw(st.booleans(), label="stop_before_pixels"))


@needs_corpus
@pytest.mark.slow
@settings(max_examples=50 * _EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_byte_flips_long(data) -> None:
    test_random_byte_flips.hypothesis.inner_test(data=data)


@needs_corpus
@pytest.mark.slow
@settings(max_examples=50 * _EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_lying_length_fields_long(data) -> None:
    test_lying_length_fields.hypothesis.inner_test(data=data)


@needs_corpus
@pytest.mark.parametrize("lie", [0, 1, 3, 0xFFFF, 0xFFFFFFF0, 0xFFFFFFFE, 0xFFFFFFFF])
def test_every_header_of_small_files_lies(lie: int) -> None:
    """Deterministic sweep: each header of the 12 smallest files, one at a time."""
    small = sorted((f for f in FILES if file_fields(f)[0]), key=os.path.getsize)[:12]
    for path in small:
        fields, _ = file_fields(path)
        for f in fields:
            buf = bytearray(file_bytes(path))
            f.write(buf, lie)
            read_and_walk(bytes(buf), f"{corpus_id(path)}: {f} := {lie:#x}")


@needs_corpus
@pytest.mark.parametrize("vr", [b"\x00\x00", b"\xff\xff", b"ZZ", b"zz", b"QQ", b"  ", b"S\x00"])
def test_explicit_file_with_garbage_vrs(vr: bytes) -> None:
    """Every top-level VR of an explicit VR file replaced by garbage."""
    path = next(f for f in FILES if f.endswith("CT_small.dcm"))
    fields, _ = file_fields(path)
    buf = bytearray(file_bytes(path))
    for f in fields:
        if f.value_offset - f.offset in (8, 12) and f.tag >> 16 != 0xFFFE and buf[f.offset + 4:f.offset + 6].isalpha():
            buf[f.offset + 4:f.offset + 6] = vr
    read_and_walk(bytes(buf), f"CT_small.dcm with VRs {vr!r}")
    # one element at a time, too
    for f in fields[:40]:
        one = bytearray(file_bytes(path))
        one[f.offset + 4:f.offset + 6] = vr
        read_and_walk(bytes(one), f"CT_small.dcm with {f} VR {vr!r}")


# -- hand-built absurd input --------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(HOSTILE_CASES))
def test_hand_built(name: str) -> None:
    data = hostile_case(name)
    expected = HOSTILE_CASES[name][1]
    for stop in (False, True):
        outcome = read_and_walk(data, name, stop_before_pixels=stop)
        if expected == "error":
            assert outcome.error is not None, f"{name}: read without an error"
        elif expected == "ok":
            assert outcome.error is None, f"{name}: {outcome.error}"


def test_nesting_10k_names_the_nesting() -> None:
    """10,000 nested undefined-length SQ/items: DCF_E_NESTING at the 129th frame, fast."""
    from dcmfast import _parse

    data = hostile_case("nest_10k_undefined")
    t0 = time.perf_counter()
    with pytest.raises(InvalidDicomError, match="nested too deeply") as info:
        dcmfast.dcmread(data, force=True)
    assert time.perf_counter() - t0 < 0.5 * SLOWDOWN
    # frame 0 is the data set; SQ i is frame 2i+1 and its item frame 2i+2, so
    # the item of SQ 63 would be frame 128 = DCF_MAX_DEPTH
    assert _parse.MAX_DEPTH == 128
    assert info.value.offset == len(PN) + 63 * 20 + 12
    assert info.value.tag == 0xFFFEE000


def test_nesting_just_below_the_limit_reads() -> None:
    """63 SQ/item levels use 127 frames: read and walked completely."""
    from tests.hostile.dicombytes import nested_undefined

    outcome = read_and_walk(nested_undefined(63), "63 levels")
    assert outcome.error is None
    assert outcome.elements == 2 + 63
    outcome = read_and_walk(nested_undefined(64), "64 levels")
    assert outcome.error is not None


def test_100k_empty_items() -> None:
    data = hostile_case("empty_items_100k")
    outcome = read_and_walk(data, "100k empty items")
    assert outcome.error is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = dcmfast.dcmread(data, force=True)
        seq = ds.ReferencedSeriesSequence
        assert len(seq) == 100_000
        assert all(len(item) == 0 for item in seq)
        assert seq.is_undefined_length


def test_huge_claims_are_clamped_with_a_warning() -> None:
    for name in ("sq_claims_4gb", "item_claims_fffffff0", "ob_claims_fffffff0",
                 "un_undefined_items_no_delimiter", "fragment_length_past_end"):
        outcome = read_and_walk(hostile_case(name), name)
        assert outcome.error is None, name
        assert any(issubclass(w.category, DicomWarning) and "shorter than its length" in str(w.message)
                   for w in outcome.warnings), f"{name}: no truncation warning"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DicomWarning)
        ds = dcmfast.dcmread(hostile_case("sq_claims_4gb"), force=True)
        assert ds.ReferencedSeriesSequence[0].PatientName == "Doe^John"
        ds = dcmfast.dcmread(hostile_case("ob_claims_fffffff0"), force=True)
        assert ds[0x00091010].value == b"abcd"


def test_deflate_bomb_is_bounded() -> None:
    """A few KB of deflate can expand ~1030x at most (zlib's ceiling), which is
    under filereader's 1100x limit: the bomb reads, bounded by that ratio."""
    for name in ("deflate_bomb_zeros", "deflate_bomb_one_element"):
        data = hostile_case(name)
        assert len(data) < 16 << 10
        read_and_walk(data, name)
        inflated = filereader._inflate(data, data.index(DEFLATED) + len(DEFLATED))
        assert 512 * len(data) < len(inflated) <= filereader._MAX_INFLATE_RATIO * len(data)


def test_deflate_limit_raises(monkeypatch) -> None:
    """Past the inflate limit: InvalidDicomError at the start of the deflated data."""
    data = hostile_case("deflate_bomb_zeros")
    monkeypatch.setattr(filereader, "_MAX_INFLATE_RATIO", 10)
    start = data.index(DEFLATED) + len(DEFLATED)
    with pytest.raises(InvalidDicomError, match="expands beyond") as info:
        dcmfast.dcmread(data)
    assert info.value.offset == start


# -- memory, in child processes --------------------------------------------------------------

_MEMORY_CHILD = textwrap.dedent(r'''
    import gc, json, re, sys, warnings, logging
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    import dcmfast
    from tests.hostile.dicombytes import hostile_case, length_fields, walk

    def status(key):
        return int(re.search(key + r":\s+(\d+)", open("/proc/self/status").read()).group(1)) * 1024

    def measure(label, data):
        gc.collect()
        open("/proc/self/clear_refs", "w").write("5")   # reset VmHWM to the current RSS
        before = status("VmRSS")
        try:
            walk(dcmfast.dcmread(data, force=True))
            outcome = "ok"
        except dcmfast.InvalidDicomError:
            outcome = "InvalidDicomError"
        except Exception as exc:
            outcome = type(exc).__name__
        peak = status("VmHWM") - before
        print(json.dumps({"case": label, "size": len(data), "peak": peak, "outcome": outcome}), flush=True)

    # warm up the dictionary and codecs so they do not count
    walk(dcmfast.dcmread(hostile_case("nest_60_defined"), force=True))
    gc.collect()
    gc.freeze()
    for name in sys.argv[1].split(","):
        if name:
            measure(name, hostile_case(name))
    for path in sys.argv[2].split(","):
        if not path:
            continue
        raw = open(path, "rb").read()
        meta, fields, _ = length_fields(raw)
        for f in (meta + fields)[:16]:
            for lie in (0xFFFFFFF0, 0xFFFF):
                buf = bytearray(raw)
                f.write(buf, lie)
                measure(f"{path.rsplit('/', 1)[-1]} {f} := {lie:#x}", bytes(buf))
''')


def _run_child(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.run([sys.executable, "-X", "faulthandler", "-c", code, *args], env=env,
                          capture_output=True, text=True, timeout=timeout * SLOWDOWN)


def _child_failed(proc: subprocess.CompletedProcess) -> str:
    how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit {proc.returncode}"
    return f"child process died ({how}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"


def _memory_bound(size: int, name: str = "") -> int:
    if name.startswith("deflate"):
        # justified by the inflated size (<= _MAX_INFLATE_RATIO x), which is
        # held as bytes and tokenized: up to 40 bytes of token per 8 bytes
        return size * filereader._MAX_INFLATE_RATIO * 8 + MEMORY_SLACK
    return size * MEMORY_FACTOR + MEMORY_SLACK


def test_memory_of_hand_built_and_huge_claims() -> None:
    """Peak RSS of each case, in a child: the C token table counts too."""
    small = sorted((f for f in FILES if os.path.getsize(f) < 65536 and file_fields(f)[0]),
                   key=os.path.getsize)[:3]
    proc = _run_child(_MEMORY_CHILD, ",".join(sorted(HOSTILE_CASES)), ",".join(small))
    assert proc.returncode == 0, _child_failed(proc)
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(rows) >= len(HOSTILE_CASES)
    if SANITIZED:  # RSS means little under ASan; max_allocation_size_mb guards there
        return
    too_big = [r for r in rows if r["peak"] > _memory_bound(r["size"], r["case"])]
    assert not too_big, "cases using more memory than their input justifies:\n" + "\n".join(
        f"  {r['case']}: {r['peak'] >> 10} KiB for {r['size']} bytes of input" for r in too_big)
    claims = [r for r in rows if ":=" in r["case"] or "claims" in r["case"]]
    assert claims and all(r["peak"] < (32 << 20) for r in claims), \
        max(claims, key=lambda r: r["peak"])


# -- crash smoke, in a child process -------------------------------------------------------

_FUZZ_CHILD = textwrap.dedent(r'''
    import json, os, random, re, sys, warnings, logging
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    import dcmfast
    from tests.corpus import corpus_files
    from tests.hostile.dicombytes import length_fields, walk

    seed, count = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    files = [f for f in corpus_files() if os.path.getsize(f) <= 1 << 20]
    lies = [0, 1, 3, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFF0, 0xFFFFFFFE, 0xFFFFFFFF]
    outcomes = {}
    for i in range(count):
        path = rng.choice(files)
        raw = open(path, "rb").read()
        buf = bytearray(raw)
        how = rng.choice(("truncate", "flip", "lie", "lie+truncate"))
        if "lie" in how:
            meta, fields, _ = length_fields(raw)
            fields = meta + fields
            for _ in range(rng.randint(1, 3)):
                if fields:
                    rng.choice(fields).write(buf, rng.choice(lies + [rng.getrandbits(32)]))
        if how == "flip" and buf:
            for _ in range(rng.randint(1, 16)):
                buf[rng.randrange(len(buf))] = rng.getrandbits(8)
        if "truncate" in how:
            del buf[rng.randint(0, len(buf)):]
        print(f"{i} {how} {path}", file=sys.stderr, flush=True)   # the last line names a crash
        try:
            walk(dcmfast.dcmread(bytes(buf), force=True, stop_before_pixels=rng.random() < 0.2))
            key = "ok"
        except Exception as exc:
            key = type(exc).__name__
        outcomes[key] = outcomes.get(key, 0) + 1
    print(json.dumps(outcomes))
''')


@needs_corpus
def test_subprocess_fuzz_smoke() -> None:
    """A few hundred random mutations in a child: a segfault fails this test, not pytest."""
    count = 300 if not SANITIZED else 200
    proc = _run_child(_FUZZ_CHILD, str(random.randrange(1 << 30)), str(count))
    assert proc.returncode == 0, _child_failed(proc)
    outcomes = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sum(outcomes.values()) == count


@needs_corpus
@pytest.mark.slow
def test_subprocess_fuzz_smoke_long() -> None:
    proc = _run_child(_FUZZ_CHILD, str(random.randrange(1 << 30)), "20000", timeout=1800)
    assert proc.returncode == 0, _child_failed(proc)
