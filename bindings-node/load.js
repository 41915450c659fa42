'use strict'
// Where the engine comes from: the native addon (native.js finds `pacekeeper.<platform>.node` beside
// the package or in the `pacekeeper-<platform>` optional dependency npm installed), or, when no
// native binary loads on this platform, the WebAssembly build (the `pacekeeper-wasm` package, same
// API) with a one-line warning instead of a failed `require`.
// PACEKEEPER_FORCE_WASM=1 skips the native addon (tests, or a platform whose addon misbehaves).
//
// Returns { native } (the addon, for the shared JS layer `pacekeeper-js-api` (js/) to wrap) or { api } (pacekeeper-wasm's finished API).
function load (requireNative = () => require('./native.js'), requireWasm = () => require('pacekeeper-wasm')) {
  let nativeError = null
  if (process.env.PACEKEEPER_FORCE_WASM !== '1') {
    try {
      return { native: requireNative(), engine: 'native' }
    } catch (e) {
      nativeError = e
    }
  }
  let api
  try {
    api = requireWasm()
  } catch (wasmError) {
    const err = new Error(
      `pacekeeper: no native binary for ${process.platform}-${process.arch} loaded and the ` +
      `WebAssembly fallback (pacekeeper-wasm) is not installed: ${wasmError.message}`,
      { cause: nativeError || wasmError }
    )
    err.code = 'MODULE_NOT_FOUND'
    throw err
  }
  const why = nativeError ? `no native binary for ${process.platform}-${process.arch}` : 'PACEKEEPER_FORCE_WASM=1'
  process.stderr.write(`pacekeeper: ${why}; using the WebAssembly engine (pacekeeper-wasm)\n`)
  return { api, engine: 'wasm' }
}

module.exports = { load }
