// The cheap release checks (make test-release): one version everywhere, and the checker itself
// catches a mismatch (run on a copy of the tree with one file changed).
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkVersions } from '../check-version.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const FILES = ['Cargo.toml', 'CHANGELOG.md', 'bindings-node/package.json', 'bindings-node/package-lock.json',
  'bindings-wasm/package.json', 'bindings-wasm/package-lock.json', 'bindings-python/pyproject.toml', 'js/package.json']

function copyTree () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pk-version-'))
  // Every workspace member Cargo.toml names (the checker reads the same list).
  const members = JSON.parse('[' + /members\s*=\s*\[([^\]]*)\]/.exec(fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8'))[1].replace(/,\s*$/, '') + ']')
  for (const f of [...FILES, ...members.map((m) => `${m}/Cargo.toml`)]) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true })
    fs.copyFileSync(path.join(root, f), path.join(dir, f))
  }
  fs.cpSync(path.join(root, 'bindings-node/npm'), path.join(dir, 'bindings-node/npm'), { recursive: true })
  return dir
}
const edit = (dir, f, fn) => fs.writeFileSync(path.join(dir, f), fn(fs.readFileSync(path.join(dir, f), 'utf8')))

test('one version across crates, package.json files, lockfiles, pyproject.toml and CHANGELOG.md', () => {
  const { version, problems } = checkVersions(root)
  assert.deepEqual(problems, [])
  assert.match(version, /^\d+\.\d+\.\d+/)
})

test('the checker reports each kind of mismatch', (t) => {
  const { version } = checkVersions(root)
  const cases = [
    ['bindings-wasm/package.json', (s) => s.replace(`"version": "${version}"`, '"version": "9.9.9"'), /bindings-wasm\/package.json/],
    ['js/package.json', (s) => s.replace(`"version": "${version}"`, '"version": "9.9.9"'), /js\/package.json/],
    ['bindings-node/npm/linux-arm64-musl/package.json', (s) => s.replace(`"version": "${version}"`, '"version": "9.9.9"'), /linux-arm64-musl/],
    ['CHANGELOG.md', (s) => s.replace(`## [${version}]`, '## [9.9.9]'), /CHANGELOG/],
    ['core/Cargo.toml', (s) => s.replace('version.workspace = true', 'version = "9.9.9"'), /core\/Cargo.toml/],
    ['bindings-python/pyproject.toml', (s) => s.replace(/^dynamic = .*$/m, 'version = "9.9.9"'), /pyproject/],
    ['bindings-node/package-lock.json', (s) => s.replace(`"version": "${version}"`, '"version": "9.9.9"'), /package-lock/]
  ]
  for (const [file, change, want] of cases) {
    const dir = copyTree()
    try {
      edit(dir, file, change)
      const { problems } = checkVersions(dir)
      assert.equal(problems.length, 1, `${file}: ${problems}`)
      assert.match(problems[0], want)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
})

test('every napi target has its npm/<platform> package, named pacekeeper-<platform>', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'bindings-node/package.json'), 'utf8'))
  const dirs = fs.readdirSync(path.join(root, 'bindings-node/npm')).sort()
  assert.equal(dirs.length, pkg.napi.targets.length)
  assert.ok(dirs.length >= 7)
  for (const d of dirs) {
    const p = JSON.parse(fs.readFileSync(path.join(root, 'bindings-node/npm', d, 'package.json'), 'utf8'))
    assert.equal(p.name, `pacekeeper-${d}`)
    assert.deepEqual(p.files, [p.main])
    assert.ok(p.os.length === 1 && p.cpu.length === 1, d)
  }
})
