#!/usr/bin/env bash
# Rust target triple -> napi platform name (the npm/<platform> package dir).
case $1 in
  x86_64-unknown-linux-gnu) echo linux-x64-gnu ;;
  aarch64-unknown-linux-gnu) echo linux-arm64-gnu ;;
  x86_64-unknown-linux-musl) echo linux-x64-musl ;;
  aarch64-unknown-linux-musl) echo linux-arm64-musl ;;
  x86_64-apple-darwin) echo darwin-x64 ;;
  aarch64-apple-darwin) echo darwin-arm64 ;;
  x86_64-pc-windows-msvc) echo win32-x64-msvc ;;
  *) echo "platform.sh: unknown target $1" >&2; exit 1 ;;
esac
