'use strict'
// `pacekeeper`: the engine (native addon, loaded by the generated native.js) behind the
// idiomatic JavaScript API in js/ (shared with the WASM package).
module.exports = require('./js/index.js')(require('./native.js'))
