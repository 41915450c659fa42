#!/usr/bin/env bash
# Builds one napi addon with zig (`napi build -x`) into $NPM_OUT/build/<platform>/:  addon.sh RUST_TARGET
# glibc targets get napi's `.2.17` suffix (cargo-zigbuild links against glibc 2.17 symbols);
# darwin targets are built for macOS 11.0 (napi's default would be 15.0).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
target=$1
plat=$("$(dirname "${BASH_SOURCE[0]}")/platform.sh" "$target")
out=$NPM_OUT/build/$plat
napi_target=$target
case $target in
  *-linux-gnu) napi_target=$target.2.17 ;;
  *-apple-darwin) export MACOSX_DEPLOYMENT_TARGET=11.0 ;;
esac
test -x "$ROOT/bindings-node/node_modules/.bin/napi" || (cd "$ROOT/bindings-node" && npm install --no-audit --no-fund)
rm -rf "$out" && mkdir -p "$out"
log "addon $target -> $plat"
cd "$ROOT/bindings-node"
node_modules/.bin/napi build --platform --release -x --target "$napi_target" --no-js --output-dir "$out"
test -f "$out/pacekeeper.$plat.node" || die "no $out/pacekeeper.$plat.node"
