'use strict'
// The async helpers: withRetry, a fetch wrapper and a Pacer, as short I/O shells over the core
// pacer (core/src/pacer.rs through `PacerCore`): they read the clock, sleep, send, read the
// response and report it with `finish`; the core decides when to send, wait, retry or give up.
// They own the clock and the sleeping (the engine never reads a clock): real time by default
// (Date.now and timers), an injected clock `{ now(), sleep(ms, signal) }` for tests, and
// AbortSignal throughout. Hardened against hostile servers: every wait is capped and slept in
// chunks (no timer overflow), a server value never becomes a thrown error, bodies are read
// bounded in size and time and only when needed, `timeoutMs` aborts the request, and whatever
// they attach to errors and events is a redacted copy (no credentials).

const { RetryError, TimeoutError, typeError } = require('./errors')
const C = require('./convert')
const { setLongTimeout, abortReason } = require('./sleep')
const { discardBody, DEFAULT_BODY_MS } = require('./body')
const R = require('./redact')
const response = require('./response')
const createPacing = require('./pacing')

module.exports = function createHelpers (engine) {
  response.setStatuses(engine.STATUSES)
  const { parseHeaders, Limiter, PacerCore } = engine
  const { readResponse, isNetworkError } = response
  const P = createPacing(engine, response)
  const { Pacer, untilGo, beginOn, finish, finishOn, cancelOn, readingOf, WaitTooLong, giveUpTooLong, clockOf, realClock, sleepUntil, storeIo, drain } = P

  const RETRY_OPTIONS = new Set(['backoff', 'limiter', 'pacer', 'key', 'cost', 'budget', 'seed', 'clock', 'signal', 'onRetry',
    'parseOptions', 'isNetworkError', 'readResponse', 'timeoutMs', 'store', 'shared', 'onStoreEvent'])

  function checkOptions (o, allowed, name) {
    for (const k of Object.keys(o)) if (!allowed.has(k)) throw typeError(`unknown ${name} option ${JSON.stringify(k)}`)
  }

  /** The core's answer in the shape `Backoff#decide` returns (`onRetry`, `RetryError.decision`). */
  function decisionOf (after, now) {
    if (after.action === 'retry') return { decision: 'retry', at: after.at, delayMs: Math.max(0, after.at - now), attempt: after.attempt, reason: after.reason }
    if (after.action === 'give_up') return { decision: 'give_up', reason: after.reason, attempts: after.attempts }
    return { decision: 'done' }
  }

  /**
   * The core pacer a call runs on, its cap on any one wait and its store I/O. With a `store` (and
   * no pacer), every call given the same store (and limiter, policy) shares one core: its
   * fallback share and what it learnt outlive the call.
   */
  function coreOf (o, parseOptions) {
    if (o.pacer !== undefined) {
      if (!(o.pacer instanceof Pacer)) throw typeError('pacer must be a Pacer')
      if (o.store !== undefined || o.shared !== undefined) throw typeError('pass store and shared to the Pacer, not beside it')
      const io = o.onStoreEvent === undefined ? o.pacer.io : storeIo(o.pacer.store, o.onStoreEvent)
      return { core: o.pacer.core, cap: o.pacer.maxWaitMs, io }
    }
    if (o.budget !== undefined && o.budget !== null) C.obj(o.budget, 'budget')
    const io = storeIo(o.store, o.onStoreEvent)
    const config = P.coreConfig({ limiter: o.limiter, backoff: o.backoff, budget: o.budget, parseOptions, seed: o.seed, store: o.store, shared: o.shared })
    const owner = o.limiter || o.budget || (io && io.store)
    const core = owner ? P.sharedCore(owner, config, P.noPolicy(o), io && io.store) : new PacerCore(config)
    return { core, cap: config.backoff.maxWaitMs, io }
  }

  /**
   * Runs `fn({attempt, signal})` until the core pacer says done or give up. Reads status and
   * headers from whatever it returns or throws; honours the server's hints (never earlier),
   * paces through a shared `pacer` (or `limiter`) with `key` when given, and gives up with a
   * `RetryError` carrying the attempts and the last response (redacted copies). A
   * non-retryable outcome is handed back as it came: the value is returned, the error rethrown.
   */
  async function withRetry (fn, options) {
    if (typeof fn !== 'function') throw typeError(`fn must be a function, got ${C.describe(fn)}`)
    const o = C.optObj(options, 'options')
    checkOptions(o, RETRY_OPTIONS, 'withRetry')
    const clock = o.clock === undefined && o.pacer instanceof Pacer ? o.pacer.clock : clockOf(o.clock)
    const signal = o.signal
    if (signal !== undefined && (signal === null || typeof signal.aborted !== 'boolean')) throw typeError('signal must be an AbortSignal')
    if (o.limiter !== undefined && !(o.limiter instanceof Limiter)) throw typeError('limiter must be a Limiter')
    const key = o.key === undefined ? 'default' : C.str(o.key, 'key')
    const cost = o.cost === undefined ? engine.DEFAULT_COST : C.int(o.cost, 'cost')
    const read = o.readResponse || readResponse
    const isNet = o.isNetworkError || isNetworkError
    const parseOptions = o.parseOptions || {}
    // The caller's parse options are checked once here: later parse errors are the server's.
    parseHeaders({ status: 200, headers: {}, body: null }, { ...parseOptions, now: clock.now() })
    const timeoutMs = o.timeoutMs === undefined ? 0 : C.int(o.timeoutMs, 'timeoutMs')
    const { core, cap, io } = coreOf(o, parseOptions)
    if (signal && signal.aborted) throw abortReason(signal)
    if (!io) return attempts(fn, o, { core, cap, io, clock, signal, key, cost, read, isNet, parseOptions, timeoutMs })
    // With a store: what the call's end left for the store (a lease's release, a refund) is
    // sent, and the store's events are handed out, however the call ends.
    try {
      return await attempts(fn, o, { core, cap, io, clock, signal, key, cost, read, isNet, parseOptions, timeoutMs })
    } finally { drain(core, clock, io) }
  }

  async function attempts (fn, o, { core, cap, io, clock, signal, key, cost, read, isNet, parseOptions, timeoutMs }) {
    let lastResponse = null
    let since = clock.now()
    let step = beginOn(core, key, cost, since)
    for (let attempt = 1; ; attempt++) {
      let ticket
      try { ticket = await untilGo(core, step, clock, signal, cap, since, io) } catch (e) {
        if (e instanceof WaitTooLong) throw giveUpTooLong(e, attempt - 1, lastResponse)
        throw e
      }
      if (signal && signal.aborted) { cancelOn(core, ticket); throw abortReason(signal) }
      const scope = attemptScope(signal, timeoutMs)
      let result; let error; let threw = false
      try {
        const p = Promise.resolve().then(() => fn({ attempt, signal: scope.signal }))
        result = await (scope.timedOut ? Promise.race([p, scope.timedOut]) : p)
      } catch (e) { error = e; threw = true }
      if (threw && signal && signal.aborted) { scope.done(); cancelOn(core, ticket); throw error }
      let res
      try {
        res = await read(threw ? error : result, { timeoutMs: scope.timedOut ? scope.left() : DEFAULT_BODY_MS })
      } catch (e) {
        if (o.readResponse) { scope.done(); cancelOn(core, ticket); throw e }
        res = null // a hostile object: no status read
      }
      const now = clock.now()
      if (!res && !(threw && isNet(error))) {
        if (threw) { scope.done(); cancelOn(core, ticket); throw error } // a bug or a refusal: not ours to retry
        scope.keep()
        finishOn(core, ticket, { status: 200, headers: [] }, now) // a value without a status: success
        return result
      }
      lastResponse = res
      const after = finish(core, ticket, res || null, now)
      drain(core, clock, io)
      if (o.budget && core.budgetTokens !== null) o.budget.tokens = core.budgetTokens
      let decision = decisionOf(after, now)
      if (after.action === 'retry' && after.at - now > cap) {
        cancelOn(core, ticket)
        decision = { decision: 'give_up', reason: 'wait_too_long', attempts: attempt }
      }
      if (decision.decision === 'done' || (decision.decision === 'give_up' && decision.reason === 'not_retryable')) {
        if (threw) { scope.done(); throw error }
        scope.keep()
        return result
      }
      scope.done()
      if (decision.decision === 'give_up') {
        throw new RetryError(`gave up after ${decision.attempts} attempt(s): ${decision.reason}` +
          (res ? ` (last status ${res.status})` : ' (network error)'), {
          attempts: decision.attempts,
          reason: decision.reason,
          decision,
          lastResponse: R.redactResponse(res),
          lastReading: readingOf(res, parseOptions, now),
          lastResult: threw ? undefined : R.redactValue(result),
          cause: threw ? R.redactValue(error) : undefined
        })
      }
      if (!threw) discardBody(result)
      if (typeof o.onRetry === 'function') {
        try {
          o.onRetry({ attempt, decision, response: R.redactResponse(res), reading: readingOf(res, parseOptions, now), error: threw ? R.redactValue(error) : undefined })
        } catch (e) { cancelOn(core, ticket); throw e } // a waiting ticket left behind would hold the key's queue
      }
      since = now
      step = { action: 'wait', ticket, until: after.at }
    }
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
   * Every call of one wrapped fetch shares one core pacer (or the `pacer` given).
   */
  function wrapFetch (fetchImpl, options) {
    const f = fetchImpl === undefined || fetchImpl === null ? globalThis.fetch : fetchImpl
    if (typeof f !== 'function') throw typeError('fetchImpl must be a function')
    const o = C.optObj(options, 'options')
    const { key, limits, learn, ...retry } = o
    if (retry.limiter !== undefined && !(retry.limiter instanceof Limiter)) throw typeError('limiter must be a Limiter')
    if (retry.pacer !== undefined && !(retry.pacer instanceof Pacer)) throw typeError('pacer must be a Pacer')
    const limiter = retry.pacer ? retry.pacer.limiter : (retry.limiter || new Limiter({ limits, learn }))
    const pacer = retry.pacer || new Pacer({
      limiter,
      backoff: retry.backoff,
      budget: retry.budget,
      seed: retry.seed,
      clock: retry.clock,
      parseOptions: retry.parseOptions,
      store: retry.store,
      shared: retry.shared,
      onStoreEvent: retry.onStoreEvent
    })
    const rest = { ...retry }
    delete rest.limiter; delete rest.backoff; delete rest.budget; delete rest.seed; delete rest.store; delete rest.shared; delete rest.onStoreEvent
    const wrapped = async function pacedFetch (input, init) {
      const url = typeof input === 'string' ? input : (input && input.url) || String(input)
      let k = 'default'
      if (typeof key === 'function') k = key(input, init)
      else if (typeof key === 'string') k = key
      else { try { k = new URL(url).host } catch { k = 'default' } }
      const signal = (init && init.signal) || (isRequest(input) && input.signal) || retry.signal
      const sender = replayable(f, input, init)
      try {
        return await withRetry(({ signal: s }) => sender.send(s), { ...rest, pacer, key: k, signal })
      } finally { sender.close() }
    }
    wrapped.limiter = limiter
    wrapped.pacer = pacer
    return wrapped
  }

  return { withRetry, wrapFetch, Pacer, readResponse, isNetworkError, sleepUntil, realClock, RetryError, TimeoutError, withTimeout }
}
