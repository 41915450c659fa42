'use strict'
// Smoke test of the WebAssembly build: pkg-node loads through require() and import (resolved through
// package.json "exports", by self-reference), pkg-web initializes from bytes, both are wired to the
// core, and every shipped module is optimized and small.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const root = path.resolve(__dirname, '..', '..')
const pkgDirs = ['pkg-node', 'pkg-web', 'pkg-bundler']
const MAX_WASM_BYTES = 100 * 1024

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
}

test('package.json version matches Cargo.toml', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'))
  assert.equal(pkg.name, 'pacekeeper-wasm')
  assert.equal(pkg.version, cargoVersion())
})

test('pkg-node loads with require()', () => {
  checkBinding(require('pacekeeper-wasm'))
})

test('pkg-node loads with import', async () => {
  checkBinding(await import('pacekeeper-wasm'))
})

test('pkg-web initializes from bytes', async () => {
  const web = await import('pacekeeper-wasm/web')
  const bytes = fs.readFileSync(path.join(__dirname, '..', 'pkg-web', 'pacekeeper_wasm_bg.wasm'))
  web.initSync({ module: bytes })
  checkBinding(web)
})

for (const dir of pkgDirs) {
  test(`${dir} ships a stripped module under ${MAX_WASM_BYTES} bytes`, () => {
    const wasm = fs.readFileSync(path.join(__dirname, '..', dir, 'pacekeeper_wasm_bg.wasm'))
    assert.ok(WebAssembly.validate(wasm), `${dir}: not a valid module`)
    assert.ok(wasm.length < MAX_WASM_BYTES, `${dir}: ${wasm.length} bytes`)
    const sections = WebAssembly.Module.customSections(new WebAssembly.Module(wasm), 'name')
    assert.equal(sections.length, 0, `${dir}: the name section was not removed`)
    for (const file of ['pacekeeper_wasm.js', 'pacekeeper_wasm.d.ts']) {
      assert.ok(fs.existsSync(path.join(__dirname, '..', dir, file)), `${dir}/${file} missing`)
    }
  })
}
