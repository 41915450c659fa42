'use strict'
// One call installs pacekeeper into an existing `purecloud-platform-client-v2` client:
//   const pk = installGenesys(platformClient, { limits: [{ amount: 300, periodMs: 60000, burst: 15 }] })
// - SDK 211 and later: `setHttpClient` with a subclass of the SDK's AbstractHttpClient that wraps
//   the SDK's own client (its proxy / mTLS agent, timeout and hooks are kept).
// - SDK 137 to 210 (axios inside callApi, body-only rejections) and SDK 12 (superagent): wraps
//   `ApiClient.callApi`; each call runs with extended responses on a private view of the client
//   (so headers are seen), and what the caller gets back is unwrapped to exactly what the SDK
//   would have returned or rejected with. SDK 12 never settles on a network error (it throws
//   from superagent's callback): the adapter turns that into a network error and adds a timeout.
// When a 429 carries no headers, the body's `Retry the request in [N] seconds` is used.

const { typeError, RetryError, TimeoutError } = require('./errors')
const C = require('./convert')
const R = require('./redact')

module.exports = function createGenesys (engine, helpers) {
  const { Limiter, Backoff } = engine
  const { withRetry, Pacer } = helpers

  /** The limiter key of a bearer token: the core's hash (the same in Python), never the token. */
  function tokenKey (token) { return engine.tokenKey(token ? String(token) : '') }

  function tokenOfClient (client) {
    if (client.authData && client.authData.accessToken) return client.authData.accessToken
    const a = client.authentications && client.authentications['PureCloud Auth']
    return a && a.accessToken
  }

  function tokenOfHeaders (headers) {
    if (!headers) return undefined
    for (const k of Object.keys(headers)) {
      if (k.toLowerCase() === 'authorization') return String(headers[k]).replace(/^Bearer\s+/i, '')
    }
    return undefined
  }

  function resolveClient (target) {
    if (target && typeof target.callApi === 'function') return target
    if (target && target.ApiClient && target.ApiClient.instance && typeof target.ApiClient.instance.callApi === 'function') return target.ApiClient.instance
    if (target && target.default) return resolveClient(target.default)
    throw typeError('installGenesys needs the platformClient module or an ApiClient instance')
  }

  function findAbstract (target, client, inner) {
    if (target && typeof target.AbstractHttpClient === 'function') return target.AbstractHttpClient
    if (target && target.default && typeof target.default.AbstractHttpClient === 'function') return target.default.AbstractHttpClient
    for (let p = inner && Object.getPrototypeOf(inner); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      if (p.constructor && p.constructor.name === 'AbstractHttpClient') return p.constructor
    }
    return null
  }

  // SDK 12: superagent 1.x calls back with no response on a network error, and the SDK then
  // throws reading `response.status`. Give it an empty response instead, so it rejects.
  function patchSuperagent () {
    if (typeof require === 'undefined' || !require.cache) return 0
    let n = 0
    for (const file of Object.keys(require.cache)) {
      if (!/[\\/]superagent[\\/]lib[\\/]node[\\/]index\.js$/.test(file)) continue
      const sa = require.cache[file].exports
      const Request = sa && sa.Request
      if (!Request || !Request.prototype || Request.prototype.__pacekeeper) continue
      const end = Request.prototype.end
      Request.prototype.end = function (fn) {
        if (typeof fn !== 'function') return end.call(this, fn)
        return end.call(this, function (err, res) {
          if (err && !res) {
            const empty = { status: undefined, statusText: undefined, headers: undefined, body: undefined, text: undefined }
            return fn.call(this, err, empty)
          }
          return fn.call(this, err, res)
        })
      }
      Object.defineProperty(Request.prototype, '__pacekeeper', { value: true })
      n++
    }
    return n
  }

  const OPTIONS = new Set(['pacer', 'preset', 'limiter', 'limits', 'learn', 'backoff', 'budget', 'key', 'timeoutMs', 'clock', 'onRetry', 'seed', 'mode', 'store', 'shared', 'onStoreEvent'])

  /**
   * Installs pacing and retries into a Genesys Cloud SDK client. Returns
   * `{ mode, pacer, limiter, backoff, uninstall() }`. Options: `limits` (or a shared `pacer` or
   * `limiter`), `learn`, `preset` (default `'genesys'`: 300 requests/min per token to start),
   * `backoff` (policy), `budget`, `key` (a string or `(client) => string`; by default a hash of the
   * access token, so each tenant has its own budget), `timeoutMs` (default: the client's timeout
   * + 5 s on the callApi path), `clock`, `onRetry`; `store` (`createRedisStore(client)`: one
   * budget per key shared by every process using the store), `shared` (its options) and
   * `onStoreEvent` (`store_down` / `store_up`).
   */
  function installGenesys (target, options) {
    const client = resolveClient(target)
    const o = C.optObj(options, 'options')
    for (const k of Object.keys(o)) if (!OPTIONS.has(k)) throw typeError(`unknown installGenesys option ${JSON.stringify(k)}`)
    if (client.__pacekeeper) client.__pacekeeper.uninstall()
    if (o.pacer !== undefined && !(o.pacer instanceof Pacer)) throw typeError('pacer must be a Pacer')
    const backoff = o.backoff instanceof Backoff ? o.backoff : new Backoff({ maxAttempts: 10, ...(o.backoff || {}) })
    // One core pacer for every call through this client (or the one given): every token starts
    // from the documented Genesys limit (300/min) unless limits are configured, and learns from
    // `inin-ratelimit-*`; `preset: null` starts from nothing (probing) instead.
    const pacer = o.pacer || new Pacer({
      limiter: o.limiter || new Limiter({ limits: o.limits, learn: o.learn }),
      backoff,
      budget: o.budget,
      clock: o.clock,
      seed: o.seed,
      preset: o.preset === undefined ? 'genesys' : o.preset,
      store: o.store,
      shared: o.shared,
      onStoreEvent: o.onStoreEvent
    })
    const limiter = pacer.limiter
    const base = { pacer, budget: o.budget, clock: o.clock, onRetry: o.onRetry }
    const keyOf = (fallbackToken) => {
      if (typeof o.key === 'string') return o.key
      if (typeof o.key === 'function') return o.key(client)
      return tokenKey(fallbackToken)
    }
    let mode = o.mode
    if (!mode) mode = typeof client.setHttpClient === 'function' && typeof client.getHttpClient === 'function' ? 'http-client' : 'call-api'
    let uninstall

    if (mode === 'http-client') {
      const inner = client.getHttpClient()
      const Abstract = findAbstract(target, client, inner)
      if (!Abstract) throw typeError('cannot find the SDK\'s AbstractHttpClient: pass the platformClient module')
      class PacekeeperHttpClient extends Abstract {
        constructor () {
          super()
          this.inner = inner
          this.timeout = inner.timeout
          this.httpsAgent = inner.httpsAgent
        }

        setTimeout (t) { super.setTimeout(t); inner.setTimeout(t) }
        setHttpsAgent (a) { super.setHttpsAgent(a); inner.setHttpsAgent(a) }
        setPreHook (h) { inner.setPreHook(h) }
        setPostHook (h) { inner.setPostHook(h) }
        enableHooks () { inner.enableHooks() }

        request (requestOptions) {
          const key = keyOf(tokenOfHeaders(requestOptions && requestOptions.headers) || tokenOfClient(client))
          return withRetry(({ signal }) => sendInner(inner, requestOptions, signal), { ...base, key, timeoutMs: o.timeoutMs })
            .catch((e) => {
              const err = unwrapGiveUp(e)
              // The SDK rejects with `error.response.data` (or an extended object around it):
              // the annotation goes there too.
              if (err !== e && err && err.response && err.response.data && typeof err.response.data === 'object') annotate(err.response.data, e)
              throw err
            })
        }
      }
      const paced = new PacekeeperHttpClient()
      client.setHttpClient(paced)
      uninstall = () => { client.setHttpClient(inner); delete client.__pacekeeper }
    } else if (mode === 'call-api') {
      const orig = client.callApi
      const superagent = /superagent/.test(Function.prototype.toString.call(orig))
      if (superagent) patchSuperagent()
      const timeoutMs = o.timeoutMs !== undefined ? C.int(o.timeoutMs, 'timeoutMs') : (Number(client.timeout) || 16000) + 5000
      client.callApi = function pacekeeperCallApi (...args) {
        const self = this
        const userExtended = self.returnExtended === true
        const view = Object.create(self)
        view.returnExtended = true
        const key = keyOf(tokenOfClient(self))
        return withRetry(({ signal }) => orig.apply(signal ? abortableView(view, self, signal) : view, args), { ...base, key, timeoutMs })
          .then((ext) => (userExtended ? ext : plain(ext)), (e) => {
            const err = unwrapGiveUp(e)
            // SDK 12 always rejects with the extended object; later SDKs with the body alone.
            if (userExtended || superagent || !isExtended(err)) throw err
            const body = plain(err)
            if (err !== e && body && typeof body === 'object') annotate(body, e)
            throw body
          })
      }
      uninstall = () => { client.callApi = orig; delete client.__pacekeeper }
    } else {
      throw typeError(`mode must be 'http-client' or 'call-api', got ${JSON.stringify(mode)}`)
    }
    const handle = { mode, pacer, limiter, backoff, uninstall }
    Object.defineProperty(client, '__pacekeeper', { value: handle, configurable: true, enumerable: false })
    return handle
  }

  function isExtended (x) {
    return x !== null && typeof x === 'object' && 'status' in x && 'headers' in x && 'body' in x && 'error' in x
  }

  /** What the SDK returns without extended responses: the body, else the text. */
  function plain (ext) {
    if (!isExtended(ext)) return ext
    return ext.body ? ext.body : ext.text
  }

  /** Adds the non-enumerable `.pacekeeper` `{attempts, reason, lastResponse}` of a give-up. */
  function annotate (x, e) {
    try {
      Object.defineProperty(x, 'pacekeeper', { value: { attempts: e.attempts, reason: e.reason, lastResponse: e.lastResponse }, configurable: true })
    } catch { /* frozen */ }
    return x
  }

  /**
   * On give-up, the SDK's own last rejection (so existing catch blocks keep working) as a
   * redacted copy (no bearer token in its config, request or headers), annotated. A give-up
   * without a rejection (the last attempt resolved with a retryable status) is the
   * RetryError itself, annotated the same way.
   */
  function unwrapGiveUp (e) {
    if (!(e instanceof RetryError)) return e
    let last = e.cause !== undefined ? e.cause : e
    if (last !== e && last && typeof last === 'object') last = R.redactDeep(last)
    if (last && typeof last === 'object') annotate(last, e)
    return last
  }

  /**
   * A view of the client whose `applyAuthToRequest` (called by every SDK generation's callApi
   * with the request it is building) also ties the request to the attempt's signal: axios
   * configs (SDK 137–210) get `signal`, superagent requests (SDK 12) are aborted. A timed-out
   * attempt is then cancelled instead of left running.
   */
  function abortableView (view, self, signal) {
    const apply = self.applyAuthToRequest
    if (typeof apply !== 'function') return view
    const v = Object.create(view)
    v.applyAuthToRequest = function (request, authNames) {
      const out = apply.call(this, request, authNames)
      try {
        if (request && typeof request.abort === 'function' && typeof request.end === 'function') {
          if (signal.aborted) request.abort()
          else signal.addEventListener('abort', () => { try { request.abort() } catch { /* already done */ } }, { once: true })
        } else if (request && typeof request === 'object' && !('signal' in request)) {
          request.signal = signal
        }
      } catch { /* a request shape we do not know: left as it is */ }
      return out
    }
    return v
  }

  /**
   * One request through the SDK's own client. The SDK's DefaultHttpClient (axios) gets the
   * attempt's AbortSignal, so a timeout cancels the request instead of leaving it running;
   * a custom client gets the options as they are.
   */
  function sendInner (inner, requestOptions, signal) {
    if (signal && isDefaultAxiosClient(inner)) {
      const config = inner.toAxiosConfig(requestOptions)
      return inner._axiosInstance.request({ ...config, signal })
    }
    return inner.request(requestOptions)
  }

  function isDefaultAxiosClient (inner) {
    const proto = inner && Object.getPrototypeOf(inner)
    return !!proto && proto.constructor && proto.constructor.name === 'DefaultHttpClient' &&
      Object.prototype.hasOwnProperty.call(proto, 'request') && inner.request === proto.request &&
      typeof inner.toAxiosConfig === 'function' && inner._axiosInstance && typeof inner._axiosInstance.request === 'function'
  }

  return { installGenesys, tokenKey, TimeoutError }
}
