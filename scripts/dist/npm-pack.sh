#!/usr/bin/env bash
# Packs the npm packages into $NPM_OUT/tarballs/ from staged copies (the source tree stays clean):
#  - one `pacekeeper-<platform>` package per addon built by addon.sh (bindings-node/npm/<platform>/
#    package.json + README + the .node);
#  - the main `pacekeeper` package: bindings-node's published files WITHOUT any .node, with every
#    platform package of package.json `napi.targets` as an optionalDependency and `pacekeeper-wasm`
#    (the fallback engine) as a dependency, all at the one version;
#  - `pacekeeper-wasm` from bindings-wasm (needs `make build-wasm`).
# Then `npm publish --dry-run` on each staged package.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
stage=$NPM_OUT/stage tarballs=$NPM_OUT/tarballs
rm -rf "$stage" "$tarballs" && mkdir -p "$stage" "$tarballs"
publish_report=$DIST/report-npm-publish.txt && : > "$publish_report"
pack() {
  local name; name=$(basename "$1")
  (cd "$1" && npm pack --silent --pack-destination "$tarballs" >/dev/null \
    && npm publish --dry-run >"$stage/$name.publish.log" 2>&1) || { cat "$stage/$name.publish.log" >&2; exit 1; }
  echo "npm publish --dry-run: $(grep -E '^\+ ' "$stage/$name.publish.log" || tail -n 1 "$stage/$name.publish.log")" | tee -a "$publish_report" >&2
}

for built in "$NPM_OUT"/build/*/; do
  plat=$(basename "$built")
  d=$stage/$plat && cp -r "$ROOT/bindings-node/npm/$plat" "$d" && cp "$built/pacekeeper.$plat.node" "$d/"
  log "pack pacekeeper-$plat"
  pack "$d"
done

log "pack pacekeeper (main)"
d=$stage/pacekeeper && mkdir -p "$d"
(cd "$ROOT/bindings-node" && cp -r index.js index.mjs index.d.ts native.js native.d.ts load.js README.md package.json "$d/")
# The shared JS layer (js/, `pacekeeper-js-api`), bundled (package.json `bundleDependencies`).
mkdir -p "$d/node_modules" && cp -r "$ROOT/js" "$d/node_modules/pacekeeper-js-api"
node - "$d/package.json" "$VERSION" <<'JS'
const fs = require('fs')
const [file, version] = process.argv.slice(2)
const p = JSON.parse(fs.readFileSync(file, 'utf8'))
const plat = {
  'x86_64-unknown-linux-gnu': 'linux-x64-gnu', 'aarch64-unknown-linux-gnu': 'linux-arm64-gnu',
  'x86_64-unknown-linux-musl': 'linux-x64-musl', 'aarch64-unknown-linux-musl': 'linux-arm64-musl',
  'x86_64-apple-darwin': 'darwin-x64', 'aarch64-apple-darwin': 'darwin-arm64', 'x86_64-pc-windows-msvc': 'win32-x64-msvc'
}
p.optionalDependencies = {}
for (const t of p.napi.targets) {
  if (!plat[t]) throw new Error(`npm-pack: no platform name for ${t}`)
  p.optionalDependencies[`${p.napi.packageName}-${plat[t]}`] = version
}
// The bundled shared layer by its version (the `file:` spec is the repository's, for development).
p.dependencies = { 'pacekeeper-js-api': version, 'pacekeeper-wasm': version }
p.files = p.files.filter((f) => f !== '*.node')
delete p.devDependencies
delete p.scripts
fs.writeFileSync(file, JSON.stringify(p, null, 2) + '\n')
JS
pack "$d"

log "pack pacekeeper-wasm"
test -f "$ROOT/bindings-wasm/pkg-node/pacekeeper_wasm.js" || die "bindings-wasm is not built (make build-wasm)"
d=$stage/pacekeeper-wasm && mkdir -p "$d"
(cd "$ROOT/bindings-wasm" && npm pack --silent --pack-destination "$d" >/dev/null) && tar xzf "$d"/*.tgz -C "$d" && rm "$d"/*.tgz
node -e 'const fs = require("fs"), [f, v] = process.argv.slice(1), p = JSON.parse(fs.readFileSync(f, "utf8"))
p.dependencies["pacekeeper-js-api"] = v; fs.writeFileSync(f, JSON.stringify(p, null, 2) + "\n")' "$d/package/package.json" "$VERSION"
pack "$d/package"
ls -l "$tarballs" >&2
