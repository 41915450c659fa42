'use strict'
// bindings-node/load.js: native first; the WASM package with ONE warning line when no native
// binary loads (or PACEKEEPER_FORCE_WASM=1); a clear error when neither is there. (The packed
// packages are checked for real by scripts/dist/check-npm.sh, part of `make dist`.)
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { load } = require(path.join(__dirname, '..', '..', '..', 'bindings-node', 'load.js'))

function capture (fn) {
  const write = process.stderr.write
  const lines = []
  process.stderr.write = (s) => { lines.push(String(s)); return true }
  try { return { result: fn(), lines } } finally { process.stderr.write = write }
}
const native = { kind: 'native' }
const wasm = { kind: 'wasm-api' }
const missing = (name) => () => { const e = new Error(`Cannot find module '${name}'`); e.code = 'MODULE_NOT_FOUND'; throw e }

test('the native addon when it loads, silently', () => {
  const { result, lines } = capture(() => load(() => native, missing('pacekeeper-wasm')))
  assert.deepEqual(result, { native, engine: 'native' })
  assert.deepEqual(lines, [])
})

test('no native binary: the WASM API with exactly one warning line', () => {
  const { result, lines } = capture(() => load(missing('./native.js'), () => wasm))
  assert.deepEqual(result, { api: wasm, engine: 'wasm' })
  assert.equal(lines.length, 1)
  assert.match(lines[0], /^pacekeeper: no native binary for \S+; using the WebAssembly engine \(pacekeeper-wasm\)\n$/)
})

test('PACEKEEPER_FORCE_WASM=1 skips the native addon', () => {
  process.env.PACEKEEPER_FORCE_WASM = '1'
  try {
    let asked = false
    const { result, lines } = capture(() => load(() => { asked = true; return native }, () => wasm))
    assert.equal(result.api, wasm)
    assert.equal(asked, false)
    assert.match(lines[0], /PACEKEEPER_FORCE_WASM=1/)
  } finally {
    delete process.env.PACEKEEPER_FORCE_WASM
  }
})

test('neither: an Error naming both, with the native failure as cause', () => {
  assert.throws(() => load(missing('./native.js'), missing('pacekeeper-wasm')), (e) =>
    /no native binary/.test(e.message) && /pacekeeper-wasm/.test(e.message) && e.code === 'MODULE_NOT_FOUND' &&
    /native\.js/.test(e.cause.message))
})
