#!/usr/bin/env bash
# Checks the packed npm packages ($NPM_OUT/tarballs, from npm-pack.sh); writes $DIST/report-npm.txt.
#  - each addon: size; gnu: highest GLIBC symbol version <= 2.17; musl: links libc.musl only;
#    darwin: Mach-O of the right arch;
#  - x64: the tarballs install OFFLINE into a fresh project (main + linux-x64-gnu + wasm); CJS and
#    ESM load the native addon (no fallback warning) and the shared vectors replay through it;
#  - fallback: a project without any platform package (and one with PACEKEEPER_FORCE_WASM=1) gets the
#    WASM engine with exactly one warning line, replays the vectors, from CJS and ESM;
#  - arm64: main + linux-arm64-gnu installed offline (npm --cpu=arm64), run by the arm64 Node 20
#    under qemu-aarch64-static: CJS + ESM smoke and the vectors, native (no warning).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tb=$NPM_OUT/tarballs report=$DIST/report-npm.txt work=$DIST/check-npm
: > "$report" && rm -rf "$work" && mkdir -p "$work"
row() { printf '%-44s %s\n' "$@" | tee -a "$report" >&2; }
tgz() { ls "$tb/$1-$VERSION.tgz"; }

n=0
for built in "$NPM_OUT"/build/*/; do
  plat=$(basename "$built") node=$built/pacekeeper.$(basename "$built").node
  size=$(du -k "$node" | cut -f1) n=$((n + 1))
  tgz "pacekeeper-$plat" >/dev/null || die "no tarball for $plat"
  case $plat in
    linux-*-gnu)
      glibc=$(readelf -W --version-info "$node" | { grep -o 'GLIBC_[0-9.]*' || true; } | sort -uV | tail -n 1)
      [ "$(printf '%s\n' "$glibc" GLIBC_2.17 | sort -V | tail -n 1)" = GLIBC_2.17 ] || die "$plat needs $glibc"
      row "pacekeeper-$plat" "${size}K $(file -b "$node" | cut -d, -f1-2) max=$glibc" ;;
    linux-*-musl)
      needed=$(readelf -d "$node" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
      ! readelf -W --version-info "$node" | grep -q GLIBC_ || die "$plat needs glibc symbols"
      for lib in $needed; do case $lib in libc.so|libc.musl-*|libgcc_s.so.1) ;; *) die "$plat: NEEDED $lib" ;; esac; done
      row "pacekeeper-$plat" "${size}K $(file -b "$node" | cut -d, -f1-2) needed=[${needed% }] no GLIBC symbols" ;;
    darwin-*)
      row "pacekeeper-$plat" "${size}K $(file -b "$node")" ;;
  esac
done
[ $n -ge 6 ] || die "expected >= 6 platform packages, found $n"

# A fresh project with the given tarballs installed offline (--offline: the registry is never asked).
project() {
  local dir=$work/$1; shift
  mkdir -p "$dir" && (cd "$dir" && npm init -y >/dev/null && npm install --offline --no-audit --no-fund --silent "$@" >&2)
  # The shared vectors, through the INSTALLED package (tests/js/vectors.test.cjs with its impl.cjs swapped).
  cp "$ROOT/tests/js/vectors.test.cjs" "$dir/"
  printf '%s\n' "'use strict'" "module.exports = { pk: require('pacekeeper'), impl: 'installed', root: '$ROOT', vectorsDir: '$ROOT/tests/vectors' }" > "$dir/impl.cjs"
  cat > "$dir/smoke.cjs" <<'JS'
const assert = require('node:assert/strict')
const { Limiter, version } = require('pacekeeper')
const l = new Limiter({ limits: [{ amount: 1, periodMs: 1000, burst: 2 }] })
const now = 1700000000000
assert.equal(l.check('k', 1, now).decision, 'allow')
assert.equal(l.check('k', 1, now).decision, 'allow')
assert.equal(l.check('k', 1, now).decision, 'wait')
assert.throws(() => new Limiter().check('k', NaN), (e) => (e instanceof TypeError || e instanceof RangeError) && typeof e.code === 'string')
console.log(`cjs ok ${version()} ${process.arch}`)
JS
  cat > "$dir/smoke.mjs" <<'JS'
import assert from 'node:assert/strict'
import pk, { Limiter } from 'pacekeeper'
assert.equal(pk.Limiter, Limiter)
assert.equal(new Limiter({ limits: [{ amount: 1, periodMs: 1000 }] }).check('k', 1, 0).decision, 'allow')
console.log(`esm ok ${process.arch}`)
JS
}
# run DIR NODE... : smoke (CJS, ESM) + vectors; prints "cjs | esm | vectors | warnings=N"
# The vectors run in-process (node FILE, not node --test: its child processes would start the arm64
# node without qemu).
run() {
  local dir=$1; shift
  (cd "$dir" && "$@" smoke.cjs >out.txt 2>err-cjs.txt && "$@" smoke.mjs >>out.txt 2>err-esm.txt \
    && "$@" --test-reporter=spec vectors.test.cjs >vec.txt 2>err-vec.txt) \
    || { cat "$dir"/out.txt "$dir"/err-*.txt "$dir"/vec.txt >&2 2>/dev/null; die "$dir failed"; }
  local w; w="cjs=$(grep -c 'WebAssembly engine' "$dir/err-cjs.txt") esm=$(grep -c 'WebAssembly engine' "$dir/err-esm.txt")"
  echo "$(tr '\n' ' ' < "$dir/out.txt")| vectors: $(grep -E '^ℹ (pass|fail) ' "$dir/vec.txt" | tr '\n' ' ')| warning lines: $w"
}

log "x64 native"
project x64 "$(tgz pacekeeper)" "$(tgz pacekeeper-linux-x64-gnu)" "$(tgz pacekeeper-wasm)"
ls "$work/x64/node_modules" | grep -q '^pacekeeper-linux-x64-gnu$' || die "x64: platform package not installed"
res=$(run "$work/x64" node); grep -q 'warning lines: cjs=0 esm=0' <<<"$res" || die "x64 fell back: $res"
grep -q 'fail 0' <<<"$res" || die "x64 vectors: $res"
row "x64 native (CJS+ESM, offline install)" "$res"

log "fallback (no platform package)"
project nowheel "$(tgz pacekeeper)" "$(tgz pacekeeper-wasm)"
res=$(run "$work/nowheel" node); grep -q 'warning lines: cjs=1 esm=1' <<<"$res" || die "fallback: $res"
grep -q 'fail 0' <<<"$res" || die "fallback vectors: $res"
grep -q "no native binary for linux-x64; using the WebAssembly engine" "$work/nowheel/err-cjs.txt" || die "fallback warning text"
row "fallback, no platform package" "$res"
res=$(PACEKEEPER_FORCE_WASM=1 run "$work/x64" node); grep -q 'warning lines: cjs=1 esm=1' <<<"$res" || die "forced: $res"
row "fallback, PACEKEEPER_FORCE_WASM=1" "$res"

log "arm64 under qemu"
node64=$("$HERE/arm64-node.sh") root=$("$HERE/arm64-python.sh")
# --force: npm refuses an arm64-only package on this x64 host even with --cpu=arm64 (EBADPLATFORM).
project arm64 --force --cpu=arm64 --os=linux --libc=glibc "$(tgz pacekeeper)" "$(tgz pacekeeper-linux-arm64-gnu)" "$(tgz pacekeeper-wasm)"
ls "$work/arm64/node_modules" | grep -q '^pacekeeper-linux-arm64-gnu$' || die "arm64: platform package not installed"
res=$(run "$work/arm64" qemu-aarch64-static -L "$root" "$node64"); grep -q 'warning lines: cjs=0 esm=0' <<<"$res" || die "arm64 fell back: $res"
grep -q 'arm64' <<<"$res" && grep -q 'fail 0' <<<"$res" || die "arm64: $res"
row "arm64 gnu under qemu (Node $("$node64" --version 2>/dev/null || qemu-aarch64-static -L "$root" "$node64" --version))" "$res"
log "npm artifacts OK"
