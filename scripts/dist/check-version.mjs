#!/usr/bin/env node
// One version everywhere: the workspace version in Cargo.toml is the release version; every crate
// takes it (`version.workspace = true`), and the package.json files (main, wasm, the shared js/, every
// npm/<platform>), the package-lock.json roots, pyproject.toml (dynamic from Cargo) and the top
// CHANGELOG.md entry must all say the same. Usage: check-version.mjs [ROOT] (prints the version).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export function checkVersions (root) {
  const read = (f) => fs.readFileSync(path.join(root, f), 'utf8')
  const problems = []
  const ws = read('Cargo.toml').split('[workspace.package]')[1]
  const version = ws && /^version\s*=\s*"([^"]+)"/m.exec(ws)?.[1]
  if (!version) return { version: null, problems: ['Cargo.toml: no [workspace.package] version'] }
  const members = JSON.parse('[' + /members\s*=\s*\[([^\]]*)\]/.exec(read('Cargo.toml'))[1].replace(/,\s*$/, '') + ']')
  for (const m of members) {
    const pkg = read(`${m}/Cargo.toml`).split('[package]')[1].split(/^\[/m)[0]
    const own = /^version\s*=\s*"([^"]+)"/m.exec(pkg)?.[1]
    if (!/^version\.workspace\s*=\s*true/m.test(pkg) && own !== version) {
      problems.push(`${m}/Cargo.toml: version ${own} (want version.workspace = true or ${version})`)
    }
  }
  const json = (f) => JSON.parse(read(f))
  const pkgs = ['bindings-node/package.json', 'bindings-wasm/package.json', 'js/package.json']
  for (const d of fs.readdirSync(path.join(root, 'bindings-node/npm'))) pkgs.push(`bindings-node/npm/${d}/package.json`)
  for (const f of pkgs) if (json(f).version !== version) problems.push(`${f}: version ${json(f).version}, want ${version}`)
  for (const f of ['bindings-node/package-lock.json', 'bindings-wasm/package-lock.json']) {
    const l = json(f)
    if (l.version !== version || l.packages?.['']?.version !== version) problems.push(`${f}: root version ${l.version}, want ${version}`)
  }
  const py = read('bindings-python/pyproject.toml')
  const pyv = /^version\s*=\s*"([^"]+)"/m.exec(py)?.[1]
  if (pyv ? pyv !== version : !/^dynamic\s*=\s*\[[^\]]*"version"/m.test(py)) {
    problems.push(`bindings-python/pyproject.toml: version ${pyv ?? '(not dynamic)'}, want ${version} or dynamic (from Cargo.toml)`)
  }
  const top = /^## \[?([0-9][^\]\s]*)\]?/m.exec(read('CHANGELOG.md'))?.[1]
  if (top !== version) problems.push(`CHANGELOG.md: newest entry ${top}, want ${version}`)
  const nodeTargets = json('bindings-node/package.json').napi?.targets ?? []
  for (const d of fs.readdirSync(path.join(root, 'bindings-node/npm'))) {
    if (json(`bindings-node/npm/${d}/package.json`).name !== `pacekeeper-${d}`) problems.push(`bindings-node/npm/${d}: wrong name`)
  }
  if (nodeTargets.length !== fs.readdirSync(path.join(root, 'bindings-node/npm')).length) {
    problems.push(`bindings-node/npm: ${fs.readdirSync(path.join(root, 'bindings-node/npm')).length} platform dirs for ${nodeTargets.length} napi.targets`)
  }
  return { version, problems }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..'))
  const { version, problems } = checkVersions(root)
  if (problems.length) {
    for (const p of problems) console.error(`check-version: ${p}`)
    process.exit(1)
  }
  console.log(version)
}
