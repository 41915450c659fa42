#!/usr/bin/env bash
# The one place the build installs Debian packages (mk/apt.mk, scripts/dist/setup.sh call it).
#   scripts/apt-install.sh COMMAND=PACKAGE ... [PACKAGE ...]
# Installs PACKAGE for each COMMAND not on PATH (a bare PACKAGE: the caller's own check found it
# missing), in one `apt-get install` after one `apt-get update`; does nothing when nothing is
# missing (idempotent, no network).
set -euo pipefail
need=()
for pair in "$@"; do
  cmd=${pair%%=*} pkg=${pair#*=}
  if [ -z "$cmd" ] || [ -z "$pkg" ]; then
    echo "apt-install: expected COMMAND=PACKAGE or PACKAGE, got '$pair'" >&2
    exit 2
  fi
  if [ "$cmd" = "$pair" ] || ! command -v "$cmd" >/dev/null; then need+=("$pkg"); fi
done
[ ${#need[@]} -eq 0 ] && exit 0
echo "apt-install: installing ${need[*]} from Debian"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
