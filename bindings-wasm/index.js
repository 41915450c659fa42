'use strict'
// `pacekeeper-wasm` for Node.js (CommonJS): the Node package's own API layer (copied into api/ by
// the build from bindings-node/js/) over the WebAssembly engine (pkg-node, wasm-bindgen --target
// nodejs), which exports the napi addon's names and shapes (bindings-node/js/NATIVE.md).
module.exports = require('./api/index.js')(require('./pkg-node/pacekeeper_wasm.js'))
