'use strict'
// The public API of `pacekeeper` over a native engine module (see NATIVE.md):
//   module.exports = require('./js')(require('./native.js'))
// Engine-agnostic: the WASM package builds the same surface over its own module.

const errors = require('./errors')
const createEngine = require('./engine')
const createHelpers = require('./helpers')
const createGenesys = require('./genesys')
const { flattenHeaders } = require('./convert')

module.exports = function createApi (native) {
  const engine = createEngine(native)
  const helpers = createHelpers(engine)
  const genesys = createGenesys(engine, helpers)
  const api = {
    version: engine.version,
    errorCodes: engine.errorCodes,
    parseHeaders: engine.parseHeaders,
    Limiter: engine.Limiter,
    Backoff: engine.Backoff,
    newRetryState: engine.newRetryState,
    newRetryBudget: engine.newRetryBudget,
    plan: engine.plan,
    replan: engine.replan,
    PacerCore: engine.PacerCore,
    withRetry: helpers.withRetry,
    wrapFetch: helpers.wrapFetch,
    Pacer: helpers.Pacer,
    readResponse: helpers.readResponse,
    isNetworkError: helpers.isNetworkError,
    installGenesys: genesys.installGenesys,
    flattenHeaders,
    RetryError: errors.RetryError,
    TimeoutError: errors.TimeoutError
  }
  api.default = api
  return Object.freeze(api)
}
