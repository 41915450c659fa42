'use strict'
// `pacekeeper`: the engine (native addon, loaded by the generated native.js) behind the
// idiomatic JavaScript API of the shared layer `pacekeeper-js-api` (the repository's js/, bundled
// into this package and the WASM one). load.js falls back to the `pacekeeper-wasm` package (same
// API) when no native binary loads.
const loaded = require('./load.js').load()
module.exports = loaded.api || require('pacekeeper-js-api')(loaded.native)
