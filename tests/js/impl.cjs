'use strict'
// The implementation under test: PACEKEEPER_IMPL=napi (default, bindings-node) or wasm
// (bindings-wasm). Both expose the same API (API.md); every test in tests/js runs against either.
const path = require('node:path')

const impl = process.env.PACEKEEPER_IMPL || 'napi'
const dirs = { napi: 'bindings-node', wasm: 'bindings-wasm' }
if (!dirs[impl]) throw new Error(`PACEKEEPER_IMPL must be napi or wasm, got ${impl}`)
const root = path.resolve(__dirname, '..', '..')
const pk = require(path.join(root, dirs[impl]))

module.exports = { pk, impl, root, vectorsDir: path.join(root, 'tests', 'vectors') }
