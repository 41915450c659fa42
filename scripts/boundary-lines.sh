#!/usr/bin/env bash
# Lines of boundary code at a commit (default HEAD): the bindings' Rust (napi, pyo3, wasm-bindgen,
# the JMeter ABI without its tests), the shared codec (bindings-common/src) and the JavaScript
# engine/convert layer over the native engines (js/ — bindings-node/js/ before stop 15 — engine,
# convert, errors, flat, pacer-core; bindings-wasm/js). Generated files (native.js, pkg-*) are not
# counted.
#   scripts/boundary-lines.sh [REV]      e.g. scripts/boundary-lines.sh 8f7e3ec
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rev=${1:-HEAD}
git ls-tree -r --name-only "$rev" |
  grep -E '^(bindings-(node|python|wasm|common)/src/.*\.rs|abi/src/.*\.rs|(bindings-node/)?js/(engine|convert|errors|flat|pacer-core)\.js|bindings-wasm/js/.*\.js)$' |
  grep -vE '^abi/src/tests(\.rs|/)' |
  while read -r f; do printf '%6d %s\n' "$(git show "$rev:$f" | wc -l)" "$f"; done |
  awk '{ print; n += $1; split($2, p, "/"); g[p[1]] += $1 } END { for (k in g) printf "%6d %s/\n", g[k], k; printf "%6d total\n", n }'
