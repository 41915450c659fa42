'use strict'
// `pacekeeper-wasm` for Node.js (CommonJS): the Node package's own API layer (copied into api/ by
// the build from bindings-node/js/) over the WebAssembly engine (pkg-node, wasm-bindgen --target
// nodejs) through js/native.js, which gives it the napi addon's low-level interface.
const wasm = require('./pkg-node/pacekeeper_wasm.js')
module.exports = require('./api/index.js')(require('./js/native.js')(wasm))
