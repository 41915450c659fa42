'use strict'
// The async helpers: withRetry, a fetch wrapper and a Pacer. They own the clock and the sleeping
// (the engine never reads a clock): real time by default (Date.now and timers), an injected
// clock `{ now(), sleep(ms, signal) }` for tests, and AbortSignal throughout.

const { RetryError, TimeoutError, typeError } = require('./errors')
const C = require('./convert')

module.exports = function createHelpers (engine) {
  const { parseHeaders, Limiter, Backoff, newRetryState } = engine

  function abortReason (signal) {
    if (signal.reason !== undefined) return signal.reason
    const e = new Error('This operation was aborted')
    e.name = 'AbortError'
    e.code = 'ABORT_ERR'
    return e
  }

  /** Sleeps `ms` on real timers; rejects with the signal's reason when it aborts. */
  function realSleep (ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal && signal.aborted) { reject(abortReason(signal)); return }
      let onAbort = null
      const timer = setTimeout(() => {
        if (signal) signal.removeEventListener('abort', onAbort)
        resolve()
      }, Math.max(0, ms))
      if (signal) {
        onAbort = () => { clearTimeout(timer); reject(abortReason(signal)) }
        signal.addEventListener('abort', onAbort, { once: true })
      }
    })
  }

  const realClock = Object.freeze({ now: () => Date.now(), sleep: realSleep })

  function clockOf (clock) {
    if (clock === undefined || clock === null) return realClock
    if (typeof clock !== 'object' || typeof clock.now !== 'function') throw typeError('clock must be { now(): number, sleep(ms, signal): Promise }')
    return { now: () => clock.now(), sleep: typeof clock.sleep === 'function' ? (ms, s) => clock.sleep(ms, s) : realSleep }
  }

  /** Sleeps until `at` by `clock`, never returning early (timers may fire a little early). */
  async function sleepUntil (clock, at, signal) {
    for (let i = 0; i < 1000; i++) {
      if (signal && signal.aborted) throw abortReason(signal)
      const left = at - clock.now()
      if (left <= 0) return
      await clock.sleep(left, signal)
    }
  }

  // --- reading whatever a call returned or threw -----------------------------------------------

  function bodyText (b) {
    if (b === undefined || b === null) return null
    if (typeof b === 'string') return b
    if (typeof Buffer !== 'undefined' && Buffer.isBuffer(b)) return b.toString('utf8')
    if (typeof b === 'object') { try { return JSON.stringify(b) } catch { return null } }
    return String(b)
  }

  function validStatus (s) { return typeof s === 'number' && Number.isInteger(s) && s >= 100 && s <= 599 }

  /**
   * `{status, headers, body}` from a fetch `Response`, an axios response or error, a superagent
   * response or error, a Genesys SDK rejection of every shape (extended `{status, headers, body}`,
   * body-only `{message, code, status}`, SDK 12's `{status, headers, body, text, error}`), Node's
   * `IncomingMessage`, or null when it carries no HTTP status (a network error).
   */
  async function readResponse (x) {
    if (x === null || x === undefined || typeof x !== 'object') return null
    // fetch Response
    if (typeof x.status === 'number' && x.headers && typeof x.headers.get === 'function' && typeof x.clone === 'function') {
      let body = null
      if (x.status >= 400 && !x.headers.get('retry-after')) {
        try { body = await x.clone().text() } catch { body = null }
      }
      return { status: x.status, headers: x.headers, body }
    }
    // axios / superagent errors carry the response
    if (x.response && typeof x.response === 'object' && validStatus(x.response.status)) {
      const r = x.response
      return { status: r.status, headers: r.headers || r.header || {}, body: bodyText(r.data !== undefined ? r.data : (r.text !== undefined ? r.text : r.body)) }
    }
    const status = validStatus(x.status) ? x.status : (validStatus(x.statusCode) ? x.statusCode : null)
    if (status === null) return null
    const headers = x.headers || x.header || {}
    let body = null
    if (x.body !== undefined && x.body !== null) body = bodyText(x.body)
    else if (typeof x.text === 'string') body = x.text
    else if (x.data !== undefined) body = bodyText(x.data)
    else if (typeof x.message === 'string' && !(x instanceof Error)) body = JSON.stringify({ message: x.message, code: x.code, status }) // body-only rejection
    return { status, headers, body }
  }

  const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED',
    'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
    'UND_ERR_CLOSED', 'ERR_NETWORK', 'ERR_SOCKET_CONNECTION_TIMEOUT'])

  /** A thrown value that means "no response": connection reset/refused, timeouts, fetch failures. */
  function isNetworkError (e) {
    if (!e || typeof e !== 'object') return false
    if (e instanceof TimeoutError) return true
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true
    if (e.cause && e.cause !== e && isNetworkError(e.cause)) return true
    if (e.error && e.error !== e && typeof e.error === 'object' && isNetworkError(e.error)) return true
    if (e.name === 'TypeError' && /fetch failed|network/i.test(String(e.message))) return true
    if (e.name === 'TimeoutError') return true
    return false
  }

  // --- withRetry ----------------------------------------------------------------------------------

  function backoffOf (b) {
    if (b instanceof Backoff) return b
    return new Backoff(b === undefined ? undefined : b)
  }

  const RETRY_OPTIONS = new Set(['backoff', 'limiter', 'key', 'cost', 'budget', 'seed', 'clock', 'signal', 'onRetry',
    'parseOptions', 'isNetworkError', 'readResponse', 'timeoutMs'])

  function checkOptions (o, allowed, name) {
    for (const k of Object.keys(o)) if (!allowed.has(k)) throw typeError(`unknown ${name} option ${JSON.stringify(k)}`)
  }

  function withTimeout (p, ms, clock) {
    if (!ms) return p
    let timer
    const t = new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`no response within ${ms} ms`, ms)), ms)
    })
    return Promise.race([p, t]).finally(() => clearTimeout(timer))
  }

  /**
   * Runs `fn({attempt, signal})` until the engine says done or give up. Reads status and headers
   * from whatever it returns or throws; honours the server's hints (never earlier), paces through
   * `limiter`/`key` when given (a reservation before each attempt), and gives up with a
   * `RetryError` carrying the attempts and the last response. A non-retryable outcome is handed
   * back as it came: the value is returned, the error rethrown.
   */
  async function withRetry (fn, options) {
    if (typeof fn !== 'function') throw typeError(`fn must be a function, got ${C.describe(fn)}`)
    const o = C.optObj(options, 'options')
    checkOptions(o, RETRY_OPTIONS, 'withRetry')
    const backoff = backoffOf(o.backoff)
    const clock = clockOf(o.clock)
    const signal = o.signal
    if (signal !== undefined && (signal === null || typeof signal.aborted !== 'boolean')) throw typeError('signal must be an AbortSignal')
    const limiter = o.limiter
    if (limiter !== undefined && !(limiter instanceof Limiter)) throw typeError('limiter must be a Limiter')
    const key = o.key === undefined ? 'default' : C.str(o.key, 'key')
    const cost = o.cost === undefined ? 1 : C.int(o.cost, 'cost')
    const read = o.readResponse || readResponse
    const isNet = o.isNetworkError || isNetworkError
    const parseOptions = o.parseOptions || {}
    const state = newRetryState(clock.now(), o.seed)
    const timeoutMs = o.timeoutMs === undefined ? 0 : C.int(o.timeoutMs, 'timeoutMs')
    for (let attempt = 1; ; attempt++) {
      if (signal && signal.aborted) throw abortReason(signal)
      if (limiter) await acquireSlot(limiter, key, cost, clock, signal)
      let result; let error; let threw = false
      try {
        result = await withTimeout(Promise.resolve().then(() => fn({ attempt, signal })), timeoutMs, clock)
      } catch (e) { error = e; threw = true }
      if (threw && signal && signal.aborted) throw error
      const response = threw ? await read(error) : await read(result)
      const now = clock.now()
      let reading = null
      if (response) {
        reading = parseHeaders(response, { ...parseOptions, now })
        if (limiter) limiter.observe(key, reading, now)
      } else if (threw && !isNet(error)) {
        throw error // a bug or a refusal, not an HTTP or network failure: not ours to retry
      } else if (!threw) {
        return result // a value without a status: success
      }
      const decision = backoff.decide(state, reading, now, o.budget)
      if (decision.decision === 'done') { if (threw) throw error; return result }
      if (decision.decision === 'give_up') {
        if (decision.reason === 'not_retryable') { if (threw) throw error; return result }
        throw new RetryError(`gave up after ${decision.attempts} attempt(s): ${decision.reason}` +
          (response ? ` (last status ${response.status})` : ' (network error)'), {
          attempts: decision.attempts, reason: decision.reason, decision, lastResponse: response, lastReading: reading,
          lastResult: threw ? undefined : result, cause: threw ? error : undefined
        })
      }
      if (typeof o.onRetry === 'function') o.onRetry({ attempt, decision, response, reading, error: threw ? error : undefined })
      await sleepUntil(clock, decision.at, signal)
    }
  }

  // --- pacing -------------------------------------------------------------------------------------

  /** Books a slot with `limiter.reserve` and sleeps until it; throws for a cost that never fits. */
  async function acquireSlot (limiter, key, cost, clock, signal) {
    for (let i = 0; i < 1000; i++) {
      const now = clock.now()
      const hold = limiter[engine.HOLD] ? limiter[engine.HOLD](key) : 0
      if (hold > now) { await sleepUntil(clock, hold, signal); continue }
      const v = limiter.reserve(key, cost, now)
      if (v.decision === 'allow') return now
      if (v.decision === 'never') {
        const { codedError } = require('./errors')
        throw codedError('invalid_cost', `cost ${v.cost} can never fit the capacity ${v.capacity} of ${JSON.stringify(key)}`)
      }
      await sleepUntil(clock, v.until, signal)
      // The reservation booked the slot at `until`: go, unless a 429 came in the meantime
      // (sending now would be early): then wait for the server's time and book again.
      const held = limiter[engine.HOLD] ? limiter[engine.HOLD](key) : 0
      if (held > clock.now()) { await sleepUntil(clock, held, signal); continue }
      return v.until
    }
  }

  const PACER_OPTIONS = new Set(['limiter', 'limits', 'learn', 'clock', 'signal'])

  /**
   * Paces calls ahead of time from a limiter: `await pacer.acquire(key)` books the next slot and
   * resolves when it comes, so concurrent senders are staggered at the server's pace instead of
   * bouncing off it. `pacer.observe(key, response)` re-syncs from a response's headers.
   */
  class Pacer {
    constructor (options) {
      const o = C.optObj(options, 'options')
      checkOptions(o, PACER_OPTIONS, 'Pacer')
      if (o.limiter !== undefined && !(o.limiter instanceof Limiter)) throw typeError('limiter must be a Limiter')
      this.limiter = o.limiter || new Limiter({ limits: o.limits, learn: o.learn })
      this.clock = clockOf(o.clock)
      this.signal = o.signal
    }

    /** Resolves at the booked time (epoch ms) of the next slot for `key`. */
    acquire (key = 'default', cost = 1, options) {
      const o = C.optObj(options, 'options')
      C.str(key, 'key')
      return acquireSlot(this.limiter, key, C.int(cost, 'cost'), this.clock, o.signal || this.signal)
    }

    /** Re-syncs `key` from a response (any shape `readResponse` reads); returns the reading or null. */
    async observe (key, response) {
      const r = await readResponse(response)
      if (!r) return null
      const now = this.clock.now()
      const reading = parseHeaders(r, { now })
      this.limiter.observe(key, reading, now)
      return reading
    }

    /** `acquire`, then `fn()`, then `observe` of what it returned or threw. */
    async run (key, fn, options) {
      await this.acquire(key, 1, options)
      try {
        const v = await fn()
        await this.observe(key, v)
        return v
      } catch (e) {
        await this.observe(key, e)
        throw e
      }
    }
  }

  // --- fetch ---------------------------------------------------------------------------------------

  /**
   * A `fetch` with pacing and retries: `const f = wrapFetch(fetch, {limits, backoff})`, then
   * `await f(url, init)`. Keys by host unless `key` (a string or `(url, init) => string`) is
   * given. Resolves with the final Response (a non-retryable one included); rejects with a
   * RetryError when it gives up.
   */
  function wrapFetch (fetchImpl, options) {
    const f = fetchImpl === undefined || fetchImpl === null ? globalThis.fetch : fetchImpl
    if (typeof f !== 'function') throw typeError('fetchImpl must be a function')
    const o = C.optObj(options, 'options')
    const { key, limits, learn, ...retry } = o
    if (retry.limiter !== undefined && !(retry.limiter instanceof Limiter)) throw typeError('limiter must be a Limiter')
    const limiter = retry.limiter || new Limiter({ limits, learn })
    const backoff = backoffOf(retry.backoff)
    const wrapped = async function pacedFetch (input, init) {
      const url = typeof input === 'string' ? input : (input && input.url) || String(input)
      let k = 'default'
      if (typeof key === 'function') k = key(input, init)
      else if (typeof key === 'string') k = key
      else { try { k = new URL(url).host } catch { k = 'default' } }
      const signal = (init && init.signal) || retry.signal
      return withRetry(({ signal: s }) => f(input, s ? { ...init, signal: s } : init), { ...retry, backoff, limiter, key: k, signal })
    }
    wrapped.limiter = limiter
    return wrapped
  }

  return { withRetry, wrapFetch, Pacer, readResponse, isNetworkError, sleepUntil, realClock, RetryError, TimeoutError, withTimeout }
}
