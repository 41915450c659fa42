'use strict'
// The async helpers: withRetry, a fetch wrapper and a Pacer. They own the clock and the sleeping
// (the engine never reads a clock): real time by default (Date.now and timers), an injected
// clock `{ now(), sleep(ms, signal) }` for tests, and AbortSignal throughout.
// Hardened against hostile servers: every wait is capped and slept in chunks (no timer
// overflow), a server value never becomes a thrown error, bodies are read bounded in size and
// time and only when needed, `timeoutMs` aborts the request, and whatever they attach to errors
// and events is a redacted copy (no credentials).

const { RetryError, TimeoutError, typeError, codedError } = require('./errors')
const C = require('./convert')
const { realSleep, setLongTimeout, abortReason } = require('./sleep')
const { readBodyPrefix, discardBody, BODY_HINT_BYTES, DEFAULT_BODY_MS } = require('./body')
const R = require('./redact')

const DEFAULT_MAX_WAIT_MS = 6 * 60 * 60 * 1000
const MAX_BODY_TEXT = 16 * 1024

module.exports = function createHelpers (engine) {
  // The engine's error codes (the core's ErrorCode::ALL): a coded error came from the engine.
  const CODED = new Set(engine.errorCodes())
  const { parseHeaders, Limiter, Backoff, newRetryState } = engine

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
      if (!(left > 0)) return
      await clock.sleep(left, signal)
    }
  }

  function isCoded (e) { return !!e && typeof e === 'object' && typeof e.code === 'string' && CODED.has(e.code) }

  // --- reading whatever a call returned or threw -----------------------------------------------

  function bodyText (b) {
    if (b === undefined || b === null) return null
    let s
    if (typeof b === 'string') s = b
    else if (typeof Buffer !== 'undefined' && Buffer.isBuffer(b)) s = b.subarray(0, MAX_BODY_TEXT).toString('utf8')
    else if (typeof b === 'object') { try { s = JSON.stringify(b) } catch { return null } } else s = String(b)
    if (typeof s !== 'string') return null
    return s.length > MAX_BODY_TEXT ? s.slice(0, MAX_BODY_TEXT) : s
  }

  function validStatus (s) { return typeof s === 'number' && Number.isInteger(s) && s >= 100 && s <= 599 }

  // A body is read only for the statuses whose wait it may carry (Genesys' "Retry the request
  // in [N] seconds"), and only when no Retry-After says it already.
  function wantsBodyHint (status, headers) {
    if (status !== 429 && status !== 503) return false
    try { return !headers.get('retry-after') } catch { return false }
  }

  /**
   * `{status, headers, body}` from a fetch `Response`, an axios response or error, a superagent
   * response or error, a Genesys SDK rejection of every shape (extended `{status, headers, body}`,
   * body-only `{message, code, status}`, SDK 12's `{status, headers, body, text, error}`), Node's
   * `IncomingMessage`, or null when it carries no HTTP status (a network error). Of a fetch
   * Response, at most 4 KB of a 429/503 body without Retry-After is read, from a clone, within
   * `options.timeoutMs` (default 5 s); any other body is left untouched.
   */
  async function readResponse (x, options) {
    if (x === null || x === undefined || typeof x !== 'object') return null
    // fetch Response
    if (typeof x.status === 'number' && x.headers && typeof x.headers.get === 'function' && typeof x.clone === 'function') {
      let body = null
      if (wantsBodyHint(x.status, x.headers) && !x.bodyUsed) {
        const ms = options && typeof options.timeoutMs === 'number' ? options.timeoutMs : DEFAULT_BODY_MS
        body = await readBodyPrefix(x, BODY_HINT_BYTES, ms)
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
    else if (typeof x.text === 'string') body = bodyText(x.text)
    else if (x.data !== undefined) body = bodyText(x.data)
    else if (typeof x.message === 'string' && !(x instanceof Error)) body = bodyText(JSON.stringify({ message: x.message, code: x.code, status })) // body-only rejection
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

  // --- server values never throw --------------------------------------------------------------

  /**
   * The Reading of a response. A field the engine refuses (an absurd window, a number past
   * 2^53, a header map that cannot be read) comes from the server, not from the caller: the
   * reading falls back to the bare status, and the loop goes on.
   */
  function safeReading (response, parseOptions, now) {
    try {
      return parseHeaders(response, { ...parseOptions, now })
    } catch {
      // The caller's options were checked up front: whatever failed here came with the response.
      try {
        const st = typeof response.status === 'number' && Number.isInteger(response.status) && response.status >= 0 ? response.status : 0
        return parseHeaders({ status: st, headers: {}, body: null }, { now })
      } catch { return null }
    }
  }

  function safeObserve (limiter, key, reading, now) {
    try { limiter.observe(key, reading, now) } catch (e) { if (!isCoded(e)) throw e }
  }

  function safeDecide (backoff, state, reading, now, budget) {
    try {
      return backoff.decide(state, reading, now, budget)
    } catch (e) {
      if (!isCoded(e) || reading === null) throw e
      let bare = null
      try { bare = parseHeaders({ status: reading.status, headers: {}, body: null }, { now }) } catch { /* a network error then */ }
      return backoff.decide(state, bare, now, budget)
    }
  }

  function capOf (backoff) {
    try {
      const p = backoff.policy
      if (p && typeof p.maxWaitMs === 'number' && p.maxWaitMs >= 0) return p.maxWaitMs
    } catch { /* default */ }
    return DEFAULT_MAX_WAIT_MS
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

  /** Races `p` against `ms` (chunked real timers); rejects with a TimeoutError. */
  function withTimeout (p, ms) {
    if (!ms) return p
    let cancel
    const t = new Promise((resolve, reject) => {
      cancel = setLongTimeout(() => reject(new TimeoutError(`no response within ${ms} ms`, ms)), ms)
    })
    return Promise.race([p, t]).finally(() => cancel())
  }

  /**
   * One attempt's AbortController: aborted by the caller's signal and, after `timeoutMs`, with a
   * TimeoutError, so the request itself is cancelled (the server does not complete it).
   */
  function attemptScope (signal, timeoutMs) {
    if (!timeoutMs) return { signal, timedOut: null, done () {}, keep () {} }
    const ac = new AbortController()
    let onAbort = null
    if (signal) {
      if (signal.aborted) ac.abort(signal.reason)
      else { onAbort = () => ac.abort(signal.reason); signal.addEventListener('abort', onAbort, { once: true }) }
    }
    let reject
    const timedOut = new Promise((resolve, rej) => { reject = rej })
    timedOut.catch(() => {})
    const cancel = setLongTimeout(() => {
      const e = new TimeoutError(`no response within ${timeoutMs} ms`, timeoutMs)
      ac.abort(e)
      reject(e)
    }, timeoutMs)
    const deadline = Date.now() + timeoutMs
    return {
      signal: ac.signal,
      timedOut,
      left: () => Math.max(0, deadline - Date.now()),
      // the attempt's response is handed back: stop the timer and unlink (a long-lived caller
      // signal must not collect one listener per call)
      keep () { cancel(); if (onAbort) signal.removeEventListener('abort', onAbort) },
      // the attempt is over: stop the timer and unlink
      done () { cancel(); if (onAbort) signal.removeEventListener('abort', onAbort) }
    }
  }

  class WaitTooLong extends Error {
    constructor (waitMs, capMs) { super(`the next slot is ${waitMs} ms away, over the cap of ${capMs} ms`); this.waitMs = waitMs; this.capMs = capMs }
  }

  function giveUpTooLong (e, attempts, response, reading) {
    return new RetryError(`gave up after ${attempts} attempt(s): wait_too_long (${e.message})`, {
      attempts, reason: 'wait_too_long', decision: { decision: 'give_up', reason: 'wait_too_long', attempts }, lastResponse: R.redactResponse(response) || null, lastReading: reading || null
    })
  }

  /**
   * Runs `fn({attempt, signal})` until the engine says done or give up. Reads status and headers
   * from whatever it returns or throws; honours the server's hints (never earlier), paces through
   * `limiter`/`key` when given (a slot before each attempt), and gives up with a `RetryError`
   * carrying the attempts and the last response (redacted copies). A non-retryable outcome is
   * handed back as it came: the value is returned, the error rethrown.
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
    // The caller's parse options are checked once here: later parse errors are the server's.
    parseHeaders({ status: 200, headers: {}, body: null }, { ...parseOptions, now: clock.now() })
    const state = newRetryState(clock.now(), o.seed)
    const timeoutMs = o.timeoutMs === undefined ? 0 : C.int(o.timeoutMs, 'timeoutMs')
    const cap = capOf(backoff)
    let lastResponse = null
    let lastReading = null
    for (let attempt = 1; ; attempt++) {
      if (signal && signal.aborted) throw abortReason(signal)
      if (limiter) {
        try { await acquireSlot(limiter, key, cost, clock, signal, cap) } catch (e) {
          if (e instanceof WaitTooLong) throw giveUpTooLong(e, attempt - 1, lastResponse, lastReading)
          throw e
        }
      }
      const scope = attemptScope(signal, timeoutMs)
      let result; let error; let threw = false
      try {
        const p = Promise.resolve().then(() => fn({ attempt, signal: scope.signal }))
        result = await (scope.timedOut ? Promise.race([p, scope.timedOut]) : p)
      } catch (e) { error = e; threw = true }
      if (threw && signal && signal.aborted) { scope.done(); throw error }
      let response
      try {
        const x = threw ? error : result
        response = await read(x, { timeoutMs: scope.timedOut ? scope.left() : DEFAULT_BODY_MS })
      } catch (e) {
        if (o.readResponse) { scope.done(); throw e }
        response = null // a hostile object: no status read
      }
      const now = clock.now()
      let reading = null
      if (response) {
        reading = safeReading(response, parseOptions, now)
        if (limiter && reading) safeObserve(limiter, key, reading, now)
      } else if (threw && !isNet(error)) {
        scope.done()
        throw error // a bug or a refusal, not an HTTP or network failure: not ours to retry
      } else if (!threw) {
        scope.keep()
        return result // a value without a status: success
      }
      lastResponse = response
      lastReading = reading
      let decision = safeDecide(backoff, state, reading, now, o.budget)
      if (decision.decision === 'retry' && decision.at - now > cap) {
        decision = { ...decision, decision: 'give_up', reason: 'wait_too_long' }
      }
      if (decision.decision === 'done' || (decision.decision === 'give_up' && decision.reason === 'not_retryable')) {
        if (threw) { scope.done(); throw error }
        scope.keep()
        return result
      }
      scope.done()
      if (decision.decision === 'give_up') {
        throw new RetryError(`gave up after ${decision.attempts} attempt(s): ${decision.reason}` +
          (response ? ` (last status ${response.status})` : ' (network error)'), {
          attempts: decision.attempts,
          reason: decision.reason,
          decision,
          lastResponse: R.redactResponse(response),
          lastReading: reading,
          lastResult: threw ? undefined : R.redactValue(result),
          cause: threw ? R.redactValue(error) : undefined
        })
      }
      if (!threw) discardBody(result)
      if (typeof o.onRetry === 'function') {
        o.onRetry({ attempt, decision, response: R.redactResponse(response), reading, error: threw ? R.redactValue(error) : undefined })
      }
      await sleepUntil(clock, decision.at, signal)
    }
  }

  // --- pacing -------------------------------------------------------------------------------------

  // Waiters of one key, first come first served: only the head holds a place with the limiter,
  // so an aborted waiter leaves nothing booked behind it.
  const queues = new WeakMap()

  function queueOf (limiter, key) {
    let m = queues.get(limiter)
    if (!m) { m = new Map(); queues.set(limiter, m) }
    let q = m.get(key)
    if (!q) { q = []; m.set(key, q) }
    return { m, q }
  }

  function waitTurn (me, signal) {
    return new Promise((resolve, reject) => {
      if (signal && signal.aborted) { reject(abortReason(signal)); return }
      let onAbort = null
      me.wake = () => { if (signal) signal.removeEventListener('abort', onAbort); resolve() }
      if (signal) {
        onAbort = () => { me.wake = null; reject(abortReason(signal)) }
        signal.addEventListener('abort', onAbort, { once: true })
      }
    })
  }

  /**
   * Waits for a slot for `key` and takes it (first come, first served); returns the time it
   * was taken. Throws for a cost that never fits, and WaitTooLong for a wait over `cap`.
   */
  async function acquireSlot (limiter, key, cost, clock, signal, cap = DEFAULT_MAX_WAIT_MS) {
    const { m, q } = queueOf(limiter, key)
    const me = { wake: null }
    q.push(me)
    try {
      if (q[0] !== me) await waitTurn(me, signal)
      return await takeSlot(limiter, key, cost, clock, signal, cap)
    } finally {
      const i = q.indexOf(me)
      if (i >= 0) q.splice(i, 1)
      if (q.length === 0) { if (m.get(key) === q) m.delete(key) } else if (i === 0 && q[0].wake) q[0].wake()
    }
  }

  async function takeSlot (limiter, key, cost, clock, signal, cap) {
    let now = clock.now()
    for (let i = 0; i < 1000; i++) {
      if (signal && signal.aborted) throw abortReason(signal)
      now = clock.now()
      const hold = limiter[engine.HOLD] ? limiter[engine.HOLD](key) : 0
      if (hold > now) {
        if (hold - now > cap) throw new WaitTooLong(hold - now, cap)
        await sleepUntil(clock, hold, signal)
        continue
      }
      const v = limiter.check(key, cost, now)
      if (v.decision === 'allow') return now
      if (v.decision === 'never') {
        throw codedError('invalid_cost', `cost ${v.cost} can never fit the capacity ${v.capacity} of ${JSON.stringify(key)}`)
      }
      if (!(v.until > now)) continue
      if (v.until - now > cap) throw new WaitTooLong(v.until - now, cap)
      await sleepUntil(clock, v.until, signal)
    }
    return now
  }

  const PACER_OPTIONS = new Set(['limiter', 'limits', 'learn', 'clock', 'signal', 'maxWaitMs'])

  /**
   * Paces calls ahead of time from a limiter: `await pacer.acquire(key)` waits for the next slot
   * for `key` (first come, first served) and takes it, so concurrent senders are staggered at the
   * server's pace instead of bouncing off it. An aborted `acquire` leaves no slot taken.
   * `pacer.observe(key, response)` re-syncs from a response's headers. A wait longer than
   * `maxWaitMs` (default 6 h) rejects with a RetryError (`reason: 'wait_too_long'`).
   */
  class Pacer {
    constructor (options) {
      const o = C.optObj(options, 'options')
      checkOptions(o, PACER_OPTIONS, 'Pacer')
      if (o.limiter !== undefined && !(o.limiter instanceof Limiter)) throw typeError('limiter must be a Limiter')
      this.limiter = o.limiter || new Limiter({ limits: o.limits, learn: o.learn })
      this.clock = clockOf(o.clock)
      this.signal = o.signal
      this.maxWaitMs = o.maxWaitMs === undefined ? DEFAULT_MAX_WAIT_MS : C.int(o.maxWaitMs, 'maxWaitMs')
    }

    /** Resolves at the time (epoch ms) the slot for `key` was taken. */
    async acquire (key = 'default', cost = 1, options) {
      const o = C.optObj(options, 'options')
      C.str(key, 'key')
      try {
        return await acquireSlot(this.limiter, key, C.int(cost, 'cost'), this.clock, o.signal || this.signal, this.maxWaitMs)
      } catch (e) {
        if (e instanceof WaitTooLong) throw giveUpTooLong(e, 0, null, null)
        throw e
      }
    }

    /** Re-syncs `key` from a response (any shape `readResponse` reads); returns the reading or null. */
    async observe (key, response) {
      let r
      try { r = await readResponse(response) } catch { r = null }
      if (!r) return null
      const now = this.clock.now()
      const reading = safeReading(r, {}, now)
      if (reading) safeObserve(this.limiter, key, reading, now)
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

  function isRequest (x) {
    return x !== null && typeof x === 'object' && typeof x.url === 'string' && typeof x.clone === 'function' && 'bodyUsed' in x && typeof x.method === 'string'
  }

  function isWebStream (b) { return b !== null && typeof b === 'object' && typeof b.getReader === 'function' && typeof b.tee === 'function' }

  function isOneShot (b) {
    return b !== null && typeof b === 'object' && !isWebStream(b) && (typeof b[Symbol.asyncIterator] === 'function' || typeof b.pipe === 'function')
  }

  /**
   * A sender that can run the same request again: a `Request` is cloned for every attempt (the
   * original stays unread), a ReadableStream body is teed (one branch sent, the other kept for
   * the next attempt), an async-iterable / Node stream body is turned into a ReadableStream and
   * teed; strings, buffers, Blobs, FormData and URLSearchParams are replayable as they are.
   */
  function replayable (f, input, init) {
    if (isRequest(input) && input.bodyUsed) {
      throw typeError('wrapFetch: the Request\'s body has already been read, so it can be neither sent nor retried; pass a fresh Request (or the URL and init)')
    }
    let body = init && init.body
    if (isOneShot(body)) {
      const RS = globalThis.ReadableStream
      if (RS && typeof RS.from === 'function') body = RS.from(body)
      else {
        let sent = false
        return {
          send: (signal) => {
            if (sent) throw typeError('wrapFetch cannot retry this request: its body is a one-shot stream and this runtime has no ReadableStream.from to replay it; pass a string, Buffer, Blob or ReadableStream body')
            sent = true
            return f(input, signal ? { ...init, signal } : init)
          },
          close () {}
        }
      }
    }
    let spare = isWebStream(body) ? body : null
    return {
      send: (signal) => {
        let i = init
        if (spare) {
          if (spare.locked) throw typeError('wrapFetch cannot retry this request: its body stream is locked (read elsewhere)')
          const [a, b] = spare.tee()
          spare = b
          i = { ...init, body: a }
        }
        if (signal) i = { ...i, signal }
        return f(isRequest(input) ? input.clone() : input, i)
      },
      close () { if (spare && !spare.locked) spare.cancel().catch(() => {}) }
    }
  }

  /**
   * A `fetch` with pacing and retries: `const f = wrapFetch(fetch, {limits, backoff})`, then
   * `await f(url, init)` or `await f(request)`. Keys by host unless `key` (a string or
   * `(url, init) => string`) is given. Resolves with the final Response (a non-retryable one
   * included); rejects with a RetryError when it gives up. `timeoutMs` aborts each attempt.
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
      const signal = (init && init.signal) || (isRequest(input) && input.signal) || retry.signal
      const sender = replayable(f, input, init)
      try {
        return await withRetry(({ signal: s }) => sender.send(s), { ...retry, backoff, limiter, key: k, signal })
      } finally { sender.close() }
    }
    wrapped.limiter = limiter
    return wrapped
  }

  return { withRetry, wrapFetch, Pacer, readResponse, isNetworkError, sleepUntil, realClock, RetryError, TimeoutError, withTimeout }
}
