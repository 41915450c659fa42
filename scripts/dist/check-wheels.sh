#!/usr/bin/env bash
# Checks every wheel in $WHEELS_OUT/*/ and the sdist; writes a table to $DIST/report-python.txt.
#  - platform tag (from the file name and the WHEEL metadata), abi3, size;
#  - linux: highest GLIBC_x.y symbol version the extension needs (must be <= 2.17 for manylinux_2_17),
#    its NEEDED libraries (musl wheels: libc.musl only, no glibc), `auditwheel show`;
#  - macOS: both slices in the universal2 Mach-O, one (the right one) in the arm64/x86_64 wheels;
#  - x86_64 manylinux wheel: the FULL Python suite in a fresh venv;
#  - aarch64 manylinux wheel: the shared vectors and a smoke test in arm64 CPython under qemu;
#  - sdist: builds from source in a clean venv (pip, isolated build) and replays the vectors;
#  - `twine check` on everything.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
report=$DIST/report-python.txt
: > "$report"
row() { printf '%-78s %s\n' "$@" | tee -a "$report" >&2; }
work=$DIST/check-wheels && rm -rf "$work" && mkdir -p "$work"

mapfile -t wheels < <(ls "$WHEELS_OUT"/*/pacekeeper-"$VERSION"-*.whl)
[ ${#wheels[@]} -ge 7 ] || die "expected >= 7 wheels, found ${#wheels[@]}"
sdist=$(ls "$WHEELS_OUT"/sdist/pacekeeper-"$VERSION".tar.gz)

for whl in "${wheels[@]}"; do
  name=$(basename "$whl") size=$(du -k "$whl" | cut -f1)
  [[ $name == *-cp39-abi3-* ]] || die "$name: not an abi3 wheel"
  d=$work/${name%.whl} && mkdir -p "$d" && (cd "$d" && python3 -m zipfile -e "$whl" .)
  tags=$(grep '^Tag:' "$d"/pacekeeper-*.dist-info/WHEEL | cut -d' ' -f2 | tr '\n' ' ')
  so=$(ls "$d"/pacekeeper/_native*.so)
  case $name in
    *manylinux*|*musllinux*)
      glibc=$(readelf -W --version-info "$so" | { grep -o 'GLIBC_[0-9.]*' || true; } | sort -uV | tail -n 1)
      needed=$(readelf -d "$so" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
      case $name in
        *manylinux_2_17*)
          [ -n "$glibc" ] || die "$name: no GLIBC symbol versions"
          [ "$(printf '%s\n' "$glibc" GLIBC_2.17 | sort -V | tail -n 1)" = GLIBC_2.17 ] \
            || die "$name: needs $glibc > GLIBC_2.17"
          aw=$(auditwheel show "$whl" 2>&1 | tr '\n' ' ')
          grep -q 'manylinux_2_17' <<<"$aw" || die "$name: auditwheel: $aw"
          aw="auditwheel: consistent with manylinux_2_17" ;;
        *musllinux*)
          [ -z "$glibc" ] || die "$name: a musl wheel needing $glibc"
          # musl's libc is one library (libc.so, or libc.musl-<arch>.so.1 on Alpine); nothing of glibc's.
          for lib in $needed; do
            case $lib in libc.so|libc.musl-*|libgcc_s.so.1) ;; *) die "$name: NEEDED $lib" ;; esac
          done
          aw="auditwheel: n/a on a glibc host (musl policy needs a musl interpreter)" ;;
      esac
      row "$name" "${size}K tags=[${tags% }] max=${glibc:-none(musl)} needed=[${needed% }] $aw" ;;
    *macosx*)
      arch=$(file -b "$so")
      case $name in
        *universal2*) grep -q x86_64 <<<"$arch" && grep -q arm64 <<<"$arch" || die "$name: not universal2: $arch" ;;
        *_arm64.whl) grep -q 'Mach-O 64-bit.*arm64' <<<"$arch" && ! grep -q x86_64 <<<"$arch" || die "$name: $arch" ;;
        *_x86_64.whl) grep -q 'Mach-O 64-bit.*x86_64' <<<"$arch" && ! grep -q arm64 <<<"$arch" || die "$name: $arch" ;;
      esac
      row "$name" "${size}K tags=[${tags% }] $arch" ;;
  esac
done
row "$(basename "$sdist")" "$(du -k "$sdist" | cut -f1)K sdist"

log "twine check"
twine check --strict "${wheels[@]}" "$sdist" >&2
row "twine check --strict" "PASSED (${#wheels[@]} wheels + sdist)"

# CHECKS selects sections (default all): x64 = full suite, arm64 = qemu, sdist = build from source.
CHECKS=${CHECKS:-x64 arm64 sdist}

# x86_64 manylinux wheel: the full suite, from a fresh venv holding only the wheel + test deps.
if [[ " $CHECKS " == *" x64 "* ]]; then
x64=$(printf '%s\n' "${wheels[@]}" | grep manylinux_2_17_x86_64)
venv=$work/venv-x64 && python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/bindings-python/requirements-dev.txt"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-index "$x64"
mkdir -p "$work/ct/wheels" && cp "$x64" "$work/ct/wheels/"
log "full Python suite against $(basename "$x64")"
pytest_args=(-q -o "cache_dir=$work/pytest-cache" bindings-python/tests)
if (cd "$ROOT" && CARGO_TARGET_DIR=$work/ct "$venv/bin/python" -m pytest "${pytest_args[@]}" >"$work/pytest-x64.log" 2>&1); then
  res=$(tail -n 1 "$work/pytest-x64.log")
else
  # A few suite tests time a loopback server (bursts of 1 at 50/s): on a loaded machine they can
  # miss their 429. Failures get ONE rerun, and the report says which they were.
  first=$(tail -n 1 "$work/pytest-x64.log")
  failed=$(grep '^FAILED' "$work/pytest-x64.log" | cut -d' ' -f2 | tr '\n' ' ')
  log "first run: $first; rerunning the failures: $failed"
  (cd "$ROOT" && CARGO_TARGET_DIR=$work/ct "$venv/bin/python" -m pytest "${pytest_args[@]}" --lf >"$work/pytest-x64-rerun.log" 2>&1) \
    || { tail -n 20 "$work/pytest-x64-rerun.log" >&2; die "x86_64 suite: $(tail -n 1 "$work/pytest-x64-rerun.log")"; }
  res="$first; rerun of [${failed% }]: $(tail -n 1 "$work/pytest-x64-rerun.log")"
fi
row "$(basename "$x64")" "full suite in a fresh venv: $res"

fi

# aarch64 manylinux wheel under qemu: vectors + smoke (unzipped onto PYTHONPATH; no pip needed).
if [[ " $CHECKS " == *" arm64 "* ]]; then
a64=$(printf '%s\n' "${wheels[@]}" | grep manylinux_2_17_aarch64)
root=$("$HERE/arm64-python.sh")
site=$work/site-a64 && mkdir -p "$site" && (cd "$site" && python3 -m zipfile -e "$a64" .)
qpy() { PYTHONPATH=$site qemu-aarch64-static -L "$root" "$root/usr/bin/python3.11" "$@"; }
log "arm64 vectors under qemu"
out=$(cd "$work" && qpy "$ROOT/bindings-python/tests/vector_runner.py" | tail -n 1)
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["cases"]>=200 and not s["mismatches"], s' "$out" \
  || die "arm64 vectors: $out"
smoke=$(cd "$work" && qpy -c '
import platform, pacekeeper
lim = pacekeeper.Limiter([{"amount": 2, "period_ms": 1000}])
assert platform.machine() == "aarch64"
print(platform.machine(), pacekeeper.__version__, "smoke ok")')
row "$(basename "$a64")" "qemu-aarch64 CPython 3.11: vectors $out; $smoke"

fi

# sdist: pip builds it from source (maturin from PyPI) in a clean venv; then the vectors.
if [[ " $CHECKS " == *" sdist "* ]]; then
venv=$work/venv-sdist && python3 -m venv "$venv"
log "sdist build from source"
# The dev profile (no LTO) keeps this check short: it proves the sdist is complete, not fast.
MATURIN_PEP517_ARGS="--profile dev" "$venv/bin/pip" install --quiet --disable-pip-version-check "$sdist" >&2
out=$(cd "$work" && "$venv/bin/python" "$ROOT/bindings-python/tests/vector_runner.py" | tail -n 1)
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["cases"]>=200 and not s["mismatches"], s' "$out" \
  || die "sdist vectors: $out"
row "$(basename "$sdist")" "built from source in a clean venv: vectors $out"
fi
log "python artifacts OK"
