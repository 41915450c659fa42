#!/usr/bin/env bash
# Builds the outputs of the `pacekeeper-wasm` npm package:
#   bindings-wasm/pkg-node     CommonJS glue for Node.js        (wasm-bindgen --target nodejs)
#   bindings-wasm/pkg-web      ES module for browsers, no bundler (wasm-bindgen --target web)
#   bindings-wasm/pkg-bundler  ES module for bundlers           (wasm-bindgen --target bundler)
# Each holds pacekeeper_wasm.js, pacekeeper_wasm.d.ts and an optimized pacekeeper_wasm_bg.wasm.
# wasm-pack is not used (it downloads from GitHub); call `make build-wasm`, which first runs
# `make toolchain` (wasm32 target, wasm-bindgen CLI) and `make node-deps` (binaryen's wasm-opt).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CARGO=${CARGO:-cargo}
WASM_BINDGEN=${WASM_BINDGEN:-wasm-bindgen}
WASM_OPT=${WASM_OPT:-bindings-wasm/node_modules/.bin/wasm-opt}
# -Oz, then binaryen's flatten + re-reloop (rebuilds the control flow, about 1.2 KB smaller than
# -Oz alone with the same per-call cost), then -Oz twice. A space-separated list of wasm-opt flags.
WASM_OPT_PASSES=${WASM_OPT_PASSES:--Oz --flatten --rereloop -Oz -Oz}
# Rust 1.95's wasm32-unknown-unknown target emits these features; binaryen must accept them.
WASM_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-multivalue --enable-reference-types)

want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
have=$("$WASM_BINDGEN" --version 2>/dev/null | awk '{ print $2 }') || true
if [[ "$have" != "$want" ]]; then
  echo "build-wasm: wasm-bindgen CLI is '${have:-missing}' but Cargo.lock has wasm-bindgen $want; run 'make toolchain'" >&2
  exit 1
fi
if [[ ! -x "$WASM_OPT" ]]; then
  echo "build-wasm: $WASM_OPT not found; run 'make node-deps'" >&2
  exit 1
fi

# Size (the optimized module must stay within bindings-wasm/wasm-size-budget, about 100 KB): opt-level z and panic = abort for this build
# only, crate paths shortened in panic locations, then the panic machinery and float formatting
# snipped (scripts/wasm-snip.mjs explains why that is safe) before wasm-opt -Oz drops what they
# reached. strip = "debuginfo", never "symbols": wasm-bindgen needs the `target_features` section,
# and the snip needs the function names (wasm-opt --strip-debug removes them afterwards).
registry_src="${CARGO_HOME:-$HOME/.cargo}/registry/src"
remap=""
for d in "$registry_src"/*/; do
  [[ -d "$d" ]] && remap+=" --remap-path-prefix=${d%/}=crates"
done
CARGO_PROFILE_RELEASE_STRIP=debuginfo CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_PANIC=abort \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:-}$remap" \
  "$CARGO" build --target wasm32-unknown-unknown --release -p pacekeeper-wasm
target_dir=${CARGO_TARGET_DIR:-target}
input="$target_dir/wasm32-unknown-unknown/release/pacekeeper_wasm.wasm"

stage="$target_dir/wasm-stage"
rm -rf "$stage"
mkdir -p "$stage"
for target in nodejs web bundler; do
  case "$target" in nodejs) dir=pkg-node ;; *) dir="pkg-$target" ;; esac
  "$WASM_BINDGEN" --target "$target" --out-dir "$stage/$dir" --remove-producers-section "$input"
done

# The three targets share one module; optimize it once and reuse it when the bytes agree.
optimize() {
  node scripts/wasm-snip.mjs "$1" "$stage/snipped.wasm" >"$stage/snip.log"
  # shellcheck disable=SC2086 # WASM_OPT_PASSES is a list of flags
  "$WASM_OPT" $WASM_OPT_PASSES --strip-debug --strip-producers "${WASM_FEATURES[@]}" \
    "$stage/snipped.wasm" -o "$2"
}
raw="$stage/pkg-node/pacekeeper_wasm_bg.wasm"
cp "$raw" "$stage/raw.wasm"
optimize "$stage/raw.wasm" "$stage/opt.wasm"
# WASM_NAMED=path: also write the module optimized the same way but keeping its function names
# (for bindings-wasm/bench/wasm-size.mjs, which lists what the module is made of).
if [[ -n "${WASM_NAMED:-}" ]]; then
  # shellcheck disable=SC2086
  "$WASM_OPT" $WASM_OPT_PASSES -g --strip-producers "${WASM_FEATURES[@]}" "$stage/snipped.wasm" -o "$WASM_NAMED"
fi
for dir in pkg-node pkg-web pkg-bundler; do
  wasm="$stage/$dir/pacekeeper_wasm_bg.wasm"
  if cmp -s "$wasm" "$stage/raw.wasm"; then
    cp "$stage/opt.wasm" "$wasm"
  else
    optimize "$wasm" "$wasm"
  fi
done

# pkg-web and pkg-bundler are ES modules; pkg-node is CommonJS (the package default).
printf '{\n  "type": "module"\n}\n' >"$stage/pkg-web/package.json"
printf '{\n  "type": "module",\n  "sideEffects": ["./pacekeeper_wasm.js", "./snippets/*"]\n}\n' \
  >"$stage/pkg-bundler/package.json"

for dir in pkg-node pkg-web pkg-bundler; do
  rm -rf "bindings-wasm/$dir"
  mv "$stage/$dir" "bindings-wasm/$dir"
done
rm -rf "$stage"

# The public API is the shared JS layer (js/, the package `pacekeeper-js-api` that both npm
# packages bundle) over the wasm-bindgen module (the napi addon's interface); CommonJS entry
# index.js, ES-module entries generated from js/ for pkg-web and pkg-bundler.
node scripts/wasm-esm.mjs
ls -l bindings-wasm/pkg-*/pacekeeper_wasm_bg.wasm
