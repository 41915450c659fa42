#!/usr/bin/env bash
# Prints the path of an arm64 CPython (Debian's python3.11 .debs unpacked into $DIST/arm64-root),
# run through qemu-aarch64-static with that root as its sysroot. Installs it on first use.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
root=$DIST/arm64-root
if [ ! -x "$root/usr/bin/python3.11" ]; then
  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  apt-get update -qq
  debs=$DIST/arm64-debs
  rm -rf "$debs" "$root" && mkdir -p "$debs" "$root"
  (cd "$debs" && apt-get download -qq python3.11-minimal:arm64 libpython3.11-minimal:arm64 \
    libpython3.11-stdlib:arm64 libc6:arm64 zlib1g:arm64 libexpat1:arm64 libffi8:arm64 libssl3:arm64 \
    libgcc-s1:arm64 libbz2-1.0:arm64 liblzma5:arm64 libsqlite3-0:arm64 libuuid1:arm64 libncursesw6:arm64 \
    libtinfo6:arm64 libreadline8:arm64 libcrypt1:arm64 libnsl2:arm64 libtirpc3:arm64 \
    media-types tzdata >&2)
  for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$root"; done
fi
echo "$root"
