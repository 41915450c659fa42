'use strict'
// `pacekeeper-wasm` for Node.js (CommonJS): the shared JS layer `pacekeeper-js-api` (the
// repository's js/, bundled into this package and the napi one) over the WebAssembly engine
// (pkg-node, wasm-bindgen --target nodejs), which exports the napi addon's names and shapes
// (js/NATIVE.md).
module.exports = require('pacekeeper-js-api')(require('./pkg-node/pacekeeper_wasm.js'))
