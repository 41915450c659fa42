'use strict'
// The public API of `pacekeeper` and `pacekeeper-wasm` over an engine module (see NATIVE.md): the
// shared JS layer (package `pacekeeper-js-api`, bundled into both), engine-agnostic:
//   module.exports = require('pacekeeper-js-api')(require('./native.js'))

const errors = require('./errors')
const createEngine = require('./engine')
const createHelpers = require('./helpers')
const createGenesys = require('./genesys')
const { flattenHeaders } = require('./convert')
const storeRedis = require('./store-redis')

module.exports = function createApi (native) {
  const engine = createEngine(native)
  const helpers = createHelpers(engine)
  const genesys = createGenesys(engine, helpers)
  let script = null
  /**
   * The store a pacer consults to share budgets through Redis or Valkey, over the user's own
   * client (ioredis, or node-redis v4+): `createRedisStore(client, { timeoutMs })` (default 200 ms).
   */
  function createRedisStore (client, options) {
    const o = options === undefined || options === null ? {} : options
    if (typeof o !== 'object') throw errors.codedError('invalid_argument', 'createRedisStore(client, { timeoutMs }): options must be an object')
    for (const k of Object.keys(o)) if (k !== 'timeoutMs') throw errors.codedError('invalid_argument', `unknown createRedisStore option ${JSON.stringify(k)}`)
    if (!script) script = { script: engine.sharedScript(), scriptSha1: engine.sharedScriptSha1() }
    try {
      return storeRedis.createRedisStore(client, { ...script, timeoutMs: o.timeoutMs === undefined ? 200 : o.timeoutMs })
    } catch (e) {
      if (e instanceof TypeError && e.code === undefined) throw errors.codedError('invalid_argument', e.message)
      throw e
    }
  }
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
    tokenKey: genesys.tokenKey,
    flattenHeaders,
    RetryError: errors.RetryError,
    TimeoutError: errors.TimeoutError
  }
  // Shared budgets through Redis: the native package (the WASM one exports the same names, but its
  // engine paces in memory only: createRedisStore and sharedScript throw `invalid_state` there).
  Object.assign(api, { createRedisStore, StoreError: storeRedis.StoreError, sharedScript: engine.sharedScript, sharedScriptSha1: engine.sharedScriptSha1 })
  api.default = api
  return Object.freeze(api)
}
