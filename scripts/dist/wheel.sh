#!/usr/bin/env bash
# Builds one abi3 wheel with maturin + zig:  wheel.sh RUST_TARGET COMPATIBILITY
#   wheel.sh x86_64-unknown-linux-gnu manylinux2014     -> ..._manylinux_2_17_x86_64.whl
#   wheel.sh aarch64-unknown-linux-musl musllinux_1_2   -> ..._musllinux_1_2_aarch64.whl
#   wheel.sh universal2-apple-darwin -                  -> ..._macosx_..._universal2.whl
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
target=$1 compat=$2
args=(build --release --zig --target "$target" -m "$ROOT/bindings-python/Cargo.toml" --out "$WHEELS_OUT/$target")
[ "$compat" = - ] || args+=(--compatibility "$compat")
case $target in *apple-darwin) export MACOSX_DEPLOYMENT_TARGET=11.0 ;; esac
rm -rf "$WHEELS_OUT/$target"
log "wheel $target ($compat)"
maturin "${args[@]}"
ls "$WHEELS_OUT/$target"/*.whl >/dev/null
