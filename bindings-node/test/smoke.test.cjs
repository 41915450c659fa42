'use strict'
// Smoke test of the build plumbing: the addon loads through both the CommonJS and the ES-module
// entry points (resolved through package.json "exports", by self-reference) and is wired to the core.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const root = path.resolve(__dirname, '..', '..')

function cargoVersion() {
  const manifest = fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8')
  const section = manifest.split(/^\[workspace\.package\]\s*$/m)[1]
  assert.ok(section, 'Cargo.toml has no [workspace.package] table')
  const match = section.match(/^version\s*=\s*"([^"]+)"/m)
  assert.ok(match, 'no version in [workspace.package]')
  return match[1]
}

function checkBinding(binding) {
  assert.equal(typeof binding.version, 'function')
  assert.equal(binding.version(), cargoVersion())
  const codes = binding.errorCodes()
  assert.ok(Array.isArray(codes))
  assert.ok(codes.includes('invalid_limit'), `errorCodes() = ${JSON.stringify(codes)}`)
  assert.equal(new Set(codes).size, codes.length, 'error codes are unique')
  for (const code of codes) assert.match(code, /^[a-z][a-z_]*$/)
}

test('package.json version matches Cargo.toml', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'))
  assert.equal(pkg.version, cargoVersion())
})

test('loads with require()', () => {
  checkBinding(require('pacekeeper'))
})

test('loads with import', async () => {
  const esm = await import('pacekeeper')
  checkBinding(esm)
  checkBinding(esm.default)
})

test('the generated TypeScript declarations name every export', () => {
  // The package's index.d.ts re-exports the shared layer's declarations (js/index.d.ts).
  const own = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  assert.match(own, /export \* from 'pacekeeper-js-api'/)
  assert.match(own, /export \{ default \} from 'pacekeeper-js-api'/)
  const shared = require.resolve('pacekeeper-js-api/index.d.ts', { paths: [path.join(__dirname, '..')] })
  const dts = fs.readFileSync(shared, 'utf8')
  const api = require('..')
  const names = Object.keys(api).filter((n) => n !== 'default')
  assert.ok(names.length >= 15, names.join(', '))
  for (const name of names) {
    const declared = new RegExp(`export (declare )?(function|class|const|let|var|namespace) ${name}\\b`).test(dts) ||
      new RegExp(`export \\{[^}]*\\b${name}\\b[^}]*\\}`).test(dts)
    assert.ok(declared, `index.d.ts declares ${name}`)
  }
  assert.match(dts, /export declare function version\(\): string/)
})
