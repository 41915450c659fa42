#!/usr/bin/env bash
# Installs what `make dist` needs, idempotently: a tool venv (maturin, ziglang, cargo-zigbuild,
# twine, auditwheel; pinned), the rustup cross targets, Debian's qemu-user-static and binutils.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
TOOLS="maturin==1.16.0 ziglang==0.17.1 cargo-zigbuild==0.24.1 twine==7.0.0 auditwheel==6.8.2"
mkdir -p "$DIST" "$DIST_BIN"
stamp=$DIST_VENV/.tools-stamp
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$TOOLS" ]; then
  test -x "$DIST_VENV/bin/python" || python3 -m venv "$DIST_VENV"
  # shellcheck disable=SC2086
  "$DIST_VENV/bin/pip" install --quiet $TOOLS
  echo "$TOOLS" > "$stamp"
fi
targets="aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl aarch64-apple-darwin x86_64-apple-darwin"
installed=$(rustup target list --installed)
for t in $targets; do grep -qx "$t" <<<"$installed" || rustup target add "$t"; done
"$(dirname "${BASH_SOURCE[0]}")/../apt-install.sh" qemu-aarch64-static=qemu-user-static readelf=binutils file=file
