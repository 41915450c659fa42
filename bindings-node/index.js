'use strict'
// `pacekeeper`: the engine (native addon, loaded by the generated native.js) behind the
// idiomatic JavaScript API in js/ (shared with the WASM package). js/load.js falls back to the
// `pacekeeper-wasm` package (same API) when no native binary loads.
const loaded = require('./js/load.js').load()
module.exports = loaded.api || require('./js/index.js')(loaded.native)
