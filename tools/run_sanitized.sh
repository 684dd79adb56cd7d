#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run_sanitized.sh - build dcmfast with AddressSanitizer + UBSan into its own
# virtual environment and run tests/unit, tests/hostile and the socket-level
# network tests (PDU codec, DUL, DIMSE, transport, associations, robustness;
# not tests/net/test_interop.py, which runs DCMTK's binaries) against that build.
#
# The dev install (pip install -e .) is not touched: the sanitized package is a
# regular (non-editable) install into $VENV, built in build/asan.
#
# Why the venv does not use --system-site-packages: the editable install puts
# an import hook on sys.meta_path (via a .pth file in the base site-packages)
# that maps `dcmfast` to src/dcmfast and the dev build, ahead of any sys.path
# entry. A .pth *path line* in the venv makes the base site-packages importable
# (pytest, hypothesis, numpy, pydicom, pydicom-data, Cython,
# scikit-build-core) without executing the .pth hooks that live there.
#
# Every sanitizer report makes the run fail with exit status 3: ASan aborts
# (abort_on_error=1) and logs to files under $LOGDIR; UBSan halts
# (halt_on_error=1, exit code 77; the code is built with
# -fno-sanitize-recover=undefined) and reports on stderr, which pytest does not
# capture (--capture=sys) and this script keeps in $LOGDIR/pytest.log. Both
# are checked at the end, so a report from a child process (the subprocess
# fuzz smoke test) fails the run too. Otherwise the exit status is pytest's.
# ASAN_OPTIONS=max_allocation_size_mb (default 1024) makes any single
# allocation larger than that an ASan error ("no allocation larger than the
# input justifies"; the largest test input is a few MB).
#
# Usage: tools/run_sanitized.sh [extra pytest args...]
# Environment:
#   PYTHON               interpreter to build the venv from (default: python on PATH)
#   DCMFAST_ASAN_VENV    venv directory (default: /tmp/dcmfast-asan)
#   DCMFAST_ASAN_SKIP_BUILD=1   reuse the last sanitized install
#   HYPOTHESIS_PROFILE   passed through (default: ci)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-$(command -v python || command -v python3)}
VENV=${DCMFAST_ASAN_VENV:-/tmp/dcmfast-asan}
LOGDIR=${DCMFAST_ASAN_LOGDIR:-$VENV/sanitizer-logs}
RUNDIR=$VENV/run   # pytest's working directory: no dcmfast/ next to it
START=$(date +%s)

# -- 1. the venv ---------------------------------------------------------------
if [[ ! -x $VENV/bin/python ]]; then
    "$PYTHON" -m venv "$VENV"
fi
venv_site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
base_paths=$("$PYTHON" -c '
import sysconfig
p = sysconfig.get_paths()
print(p["purelib"]); print(p["platlib"]) if p["platlib"] != p["purelib"] else None')
printf '%s\n' "$base_paths" > "$venv_site/zz_base_site_packages.pth"

# -- 2. the sanitized build ------------------------------------------------------
if [[ ${DCMFAST_ASAN_SKIP_BUILD:-0} != 1 ]]; then
    echo "== building dcmfast with ASan + UBSan into $VENV (build dir build/asan)"
    # --ignore-installed: never uninstall the dev (editable) install that is
    # visible through the base site-packages; --no-deps: dependencies come from there.
    DCMFAST_SANITIZE=1 "$VENV/bin/python" -m pip install --quiet --no-build-isolation \
        --no-deps --ignore-installed -Cbuild-dir="$REPO/build/asan" "$REPO"
fi

# -- 3. the installed package must be the sanitized one --------------------------
libasan=$(gcc -print-file-name=libasan.so)
mkdir -p "$RUNDIR"
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"
cd "$RUNDIR"
# (pytest puts $REPO on sys.path for the tests package; so does this check)
so=$(LD_PRELOAD="$libasan" ASAN_OPTIONS=detect_leaks=0 PYTHONPATH="$REPO" \
     "$VENV/bin/python" - "$VENV" <<'EOF'
import sys
venv = sys.argv[1]
import dcmfast, dcmfast._parse as p
for mod in (dcmfast, p):
    if not mod.__file__.startswith(venv):
        sys.exit(f"run_sanitized: {mod.__name__} resolves to {mod.__file__}, not the sanitized install in {venv}")
print(p.__file__)
EOF
)
libs=$(ldd "$so")   # (not piped into grep -q: with pipefail, SIGPIPE would fail the check)
for lib in libasan libubsan; do
    if [[ $libs != *"$lib"* ]]; then
        echo "run_sanitized: $so does not link $lib" >&2
        exit 2
    fi
done
echo "== sanitized module: $so"

# -- 4. the tests ------------------------------------------------------------------
# --capture=sys: sanitizer reports are written by C code to fd 2; with pytest's
# default fd capture they would vanish with a process that halts mid-test.
# ASan aborts and logs to files; UBSan (whose GCC runtime ignores log_path when
# ASan is loaded) halts with exit code 77 and reports on stderr, which is kept
# in $LOGDIR/pytest.log. Child processes started by the tests inherit all this.
set +e
env LD_PRELOAD="$libasan" PYTHONMALLOC=malloc \
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:max_allocation_size_mb=${DCMFAST_ASAN_MAX_ALLOC_MB:-1024}:log_path=$LOGDIR/asan" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=77" \
    HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}" \
    DCMFAST_SANITIZED=1 \
    "$VENV/bin/python" -m pytest -p no:cacheprovider --capture=sys --rootdir="$REPO" \
    -c "$REPO/pyproject.toml" -q "$REPO/tests/unit" "$REPO/tests/hostile" \
    "$REPO/tests/net/test_pdu_codec.py" "$REPO/tests/net/test_dul.py" \
    "$REPO/tests/net/test_dimse.py" "$REPO/tests/net/test_transport.py" \
    "$REPO/tests/net/test_assoc.py" "$REPO/tests/net/test_robustness.py" "$@" 2>&1 \
    | tee "$LOGDIR/pytest.log"
rc=${PIPESTATUS[0]}
set -e

# -- 5. verdict ----------------------------------------------------------------------
asan_logs=$(find "$LOGDIR" -type f -name 'asan*' -size +0 | sort)
pattern='runtime error:|ERROR: AddressSanitizer|SUMMARY: (Address|UndefinedBehavior)Sanitizer'
in_output=$(grep -a -c -E "$pattern" "$LOGDIR/pytest.log" || true)
n_logs=$(printf '%s' "$asan_logs" | grep -c . || true)
if [[ -n $asan_logs ]]; then
    echo "== AddressSanitizer reports:" >&2
    for f in $asan_logs; do
        echo "--- $f" >&2
        cat "$f" >&2
    done
fi
if (( in_output > 0 )); then
    echo "== sanitizer report lines in the test output ($LOGDIR/pytest.log):" >&2
    grep -a -n -E -A12 "$pattern" "$LOGDIR/pytest.log" | head -200 >&2
fi
verdict=clean
if [[ -n $asan_logs ]] || (( in_output > 0 )) || [[ $rc == 77 || $rc == 134 ]]; then
    verdict="SANITIZER ERROR"
    rc=3
fi
echo "== run_sanitized: $verdict; pytest exit $rc; $n_logs ASan log file(s), $in_output sanitizer line(s) in the output; $(( $(date +%s) - START )) s"
exit $rc
