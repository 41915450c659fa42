'use strict'
// The I/O shell over the core pacer (`PacerCore`, core/src/pacer.rs): it reads the clock,
// sleeps (chunked, AbortSignal-aware) and reports responses. Every rule (slots, FIFO order,
// requests in flight, probing, learning, retries, the retry budget) is the core's.
//
// Shared pacing: one `PacerCore` per `Pacer`. A `Limiter` passed to `Pacer`, `withRetry`,
// `wrapFetch` or `installGenesys` names a shared core: its configured `limits` and `learn` are
// used, and every caller passing the same limiter with the same policy shares one core.

const { typeError, codedError, RetryError } = require('./errors')
const C = require('./convert')
const { realSleep, abortReason } = require('./sleep')
const R = require('./redact')
const { storeCode } = require('./store-redis')

module.exports = function createPacing (engine, response) {
  const { PacerCore, Limiter, Backoff, parseHeaders, DEFAULT_COST } = engine
  const { readResponse, isNetworkError, validStatus } = response
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

  // Wake-ups: a finish or a cancel can move booked slots earlier (a count that says more is
  // left, a window that widened, a place given up); sleepers on real timers wake and ask the
  // core again instead of sleeping to the slot they were first given. The core rebooks only the
  // key that finished, so only that key's sleepers wake (a herd of tenants on one core would
  // otherwise wake every sleeper on every answer): tickets are mapped to their keys at `begin`.
  const wakers = new WeakMap() // core -> Map(key -> Set(wake))
  const keysOf = new WeakMap() // core -> Map(ticket -> key)
  function beginOn (core, key, cost, now) {
    const step = core.begin(key, cost, now)
    if (step && typeof step.ticket === 'number') {
      let m = keysOf.get(core)
      if (!m) { m = new Map(); keysOf.set(core, m) }
      m.set(step.ticket, key)
    }
    return step
  }
  function keyOf (core, ticket) {
    const m = keysOf.get(core)
    return m && m.get(ticket)
  }
  function forget (core, ticket) {
    const m = keysOf.get(core)
    if (m) m.delete(ticket)
  }
  function wake (core, key) {
    const w = wakers.get(core)
    if (!w) return
    const sets = key === undefined ? [...w.values()] : [w.get(key)]
    for (const set of sets) {
      if (!set || set.size === 0) continue
      const fs = [...set]
      set.clear()
      for (const f of fs) f()
    }
  }
  function finishOn (core, ticket, response, now) {
    const key = keyOf(core, ticket)
    const after = core.finish(ticket, response, now)
    if (after.action !== 'retry') forget(core, ticket)
    wake(core, key)
    return after
  }
  function cancelOn (core, ticket) {
    const key = keyOf(core, ticket)
    core.cancel(ticket)
    forget(core, ticket)
    wake(core, key)
  }

  /** `sleepUntil`, woken early (without error) when the slots of `ticket`'s key may have moved. */
  async function napUntil (core, clock, at, signal, ticket) {
    if (clock.sleep !== realSleep || (signal && typeof AbortSignal.any !== 'function')) return sleepUntil(clock, at, signal)
    const ctl = new AbortController()
    let w = wakers.get(core)
    if (!w) { w = new Map(); wakers.set(core, w) }
    const key = keyOf(core, ticket)
    let set = w.get(key)
    if (!set) { set = new Set(); w.set(key, set) }
    const f = () => ctl.abort()
    set.add(f)
    try {
      await sleepUntil(clock, at, signal ? AbortSignal.any([signal, ctl.signal]) : ctl.signal)
    } catch (e) {
      if (!ctl.signal.aborted || (signal && signal.aborted)) throw e
    } finally {
      set.delete(f)
    }
  }

  class WaitTooLong extends Error {
    constructor (waitMs, capMs) { super(`the next slot is ${waitMs} ms away, over the cap of ${capMs} ms`); this.waitMs = waitMs; this.capMs = capMs }
  }

  function giveUpTooLong (e, attempts, lastResponse) {
    const decision = { decision: 'give_up', reason: 'wait_too_long', attempts }
    return new RetryError(`gave up after ${attempts} attempt(s): wait_too_long (${e.message})`, {
      attempts, reason: 'wait_too_long', decision, lastResponse: R.redactResponse(lastResponse) || null, lastReading: null
    })
  }

  /**
   * Drives `step` (from `begin`) to `go`: sleeps until each `until` and resumes. Returns the
   * ticket. A ticket it does not return is cancelled (abort, a wait past `cap` counted from
   * `since`, a cost that never fits), so nothing stays booked.
   */
  async function untilGo (core, step, clock, signal, cap, since, io) {
    for (;;) {
      if (step.action === 'go') return step.ticket
      if (step.action === 'consult') { step = await consult(core, step, clock, io); continue }
      if (step.action === 'never') {
        if (step.reason === 'store_denied') throw codedError('store_denied', 'the shared store is unreachable and its policy is deny: nothing is sent')
        throw codedError('invalid_cost', `a cost above the capacity ${step.capacity} can never be sent`)
      }
      const ticket = step.ticket
      try {
        await null // a caller aborting right after the call is seen before any sleep
        if (step.until - since > cap) throw new WaitTooLong(step.until - clock.now(), cap)
        await napUntil(core, clock, step.until, signal, ticket)
        if (signal && signal.aborted) throw abortReason(signal)
      } catch (e) {
        cancelOn(core, ticket)
        drain(core, clock, io)
        throw e
      }
      step = core.resume(ticket, clock.now())
    }
  }

  // --- shared budgets: the store's I/O ---------------------------------------------------------

  /**
   * A call's store I/O: `{store, emit}` (`store.send(keys, args)` → the raw reply; `emit(event)`
   * the caller's `onStoreEvent`), or null without a store.
   */
  function storeIo (store, onStoreEvent) {
    if (store === undefined || store === null) {
      if (onStoreEvent !== undefined) throw typeError('onStoreEvent needs a store')
      return null
    }
    if (typeof store !== 'object' || typeof store.send !== 'function') throw typeError('store must be a store (createRedisStore(client)) with send(keys, args)')
    if (onStoreEvent !== undefined && typeof onStoreEvent !== 'function') throw typeError('onStoreEvent must be a function')
    return { store, emit: onStoreEvent || null, pending: new Set() }
  }

  /** One round trip for a `consult` step; the store's reply (or its failure's code) goes back to the core. */
  async function consult (core, step, clock, io) {
    if (!io) { cancelOn(core, step.ticket); throw codedError('invalid_state', 'the pacer consults a store but none was given') }
    let answer
    try { answer = await io.store.send(step.keys, step.args) } catch (e) { answer = storeCode(e) }
    const next = core.consulted(step.ticket, answer, clock.now())
    drain(core, clock, io)
    return next
  }

  /**
   * Sends the core's fire-and-forget store calls (lease releases, refunds, lockouts, probes),
   * each outcome reported with `storeDone`, and hands the core's store events to `emit`.
   */
  function drain (core, clock, io) {
    if (!io) return
    for (let i = 0; i < 256; i++) {
      const c = core.pollStore()
      if (!c) break
      const p = Promise.resolve().then(() => io.store.send(c.keys, c.args)).then((r) => r, (e) => storeCode(e)).then((answer) => {
        try { core.storeDone(answer, clock.now()) } catch { /* the core refused the answer: nothing to report */ }
        events(core, io)
      })
      io.pending.add(p)
      p.finally(() => io.pending.delete(p))
    }
    events(core, io)
  }

  function events (core, io) {
    for (let i = 0; i < 64; i++) {
      const e = core.pollEvent()
      if (!e) return
      if (io.emit) { try { io.emit(e) } catch { /* a listener's error is not the pacer's */ } }
    }
  }

  /**
   * Reports one attempt to the core: the response `r` (`{status, headers, body}`), or null for
   * a network error. Headers that cannot be read and a body that is not text came from the
   * server: left out (the codec likewise reads a value it refuses as the bare status), never a
   * thrown error; a response without a valid status counts as no response.
   */
  function finish (core, ticket, r, now) {
    const st = r && r.status
    if (!validStatus(st)) return finishOn(core, ticket, null, now)
    let headers
    try { headers = C.flattenHeaders(r.headers) } catch { headers = [] }
    return finishOn(core, ticket, { status: st, headers, body: typeof r.body === 'string' ? r.body : null }, now)
  }

  /** The Reading of a response for the caller's eyes (errors, onRetry), or null. */
  function readingOf (r, parseOptions, now) {
    if (!r) return null
    try { return parseHeaders(r, { ...parseOptions, now }) } catch {
      try { return parseHeaders({ status: r.status, headers: {}, body: null }, { now }) } catch { return null }
    }
  }

  // --- shared cores --------------------------------------------------------------------------

  const shared = new WeakMap() // Limiter | RetryBudget → Map(config key → PacerCore)
  const limiterConfigs = new WeakMap() // Limiter → its configuration (plain data)

  function policyOf (b) {
    if (b instanceof Backoff) return b.policy
    return new Backoff(b === undefined ? undefined : b).policy
  }

  function budgetOf (b) {
    if (b === undefined || b === null) return undefined
    C.obj(b, 'budget')
    const { capacity, tokens, retryCost, networkCost, successRefund } = b
    return { capacity, tokens, retryCost, networkCost, successRefund }
  }

  /**
   * The core pacer's configuration for a shell: `limits`/`learn` (or a `limiter`'s), `preset`,
   * the backoff policy, the retry budget, parse options and the seed.
   */
  function coreConfig ({ limiter, limits, learn, preset, backoff, budget, parseOptions, seed, maxWaitMs, store, shared }) {
    const c = { backoff: policyOf(backoff) }
    // A store puts the core in shared mode (`shared`: its options, the core's defaults if left out).
    if (store !== undefined && store !== null) c.shared = shared === undefined || shared === null ? true : shared
    else if (shared !== undefined && shared !== null) throw typeError('shared needs a store (createRedisStore(client))')
    if (limiter !== undefined) {
      if (!(limiter instanceof Limiter)) throw typeError('limiter must be a Limiter')
      let lc = limiterConfigs.get(limiter)
      if (!lc) { lc = limiter.toJSON().config; limiterConfigs.set(limiter, lc) } // a limiter's config never changes
      c.limits = lc.limits
      c.learn = lc.learn
    } else {
      if (limits !== undefined) c.limits = limits
      if (learn !== undefined) c.learn = learn
    }
    if (preset !== undefined) c.preset = preset
    const b = budgetOf(budget)
    if (b !== undefined) c.retryBudget = b
    const p = parseOptions ? C.optObj(parseOptions, 'parseOptions') : {}
    // The Pacer's `maxWaitMs` is the core's cap too (on waits it learnt: see Pacer).
    c.parse = { maxWaitMs: maxWaitMs !== undefined ? maxWaitMs : p.maxWaitMs, resetMode: p.resetMode }
    c.seed = seed === undefined ? engine.randomSeed() : seed
    return c
  }

  /**
   * The core shared by `owner` (a Limiter or a RetryBudget) for `config`, made on first use.
   * `join`: the caller has no policy of its own (no backoff, budget, preset or parse options),
   * so it joins the owner's first core, whatever its policy.
   */
  function sharedCore (owner, config, join, store) {
    const { seed, ...rest } = config
    // A core consults one store: cores of different stores (or none) are never shared.
    const tag = `${storeTag(store)}|`
    const key = tag + JSON.stringify(rest)
    let m = shared.get(owner)
    if (!m) { m = new Map(); shared.set(owner, m) }
    if (join) for (const [k, c] of m) if (k.startsWith(tag)) return c
    let core = m.get(key)
    if (!core) { core = new PacerCore(config); m.set(key, core) }
    return core
  }

  const storeTags = new WeakMap()
  let nextStoreTag = 1
  /** 0 without a store, else a number naming the store object. */
  function storeTag (store) {
    if (store === undefined || store === null) return 0
    let t = storeTags.get(store)
    if (!t) { t = nextStoreTag++; storeTags.set(store, t) }
    return t
  }

  /** True when options carry no policy of their own (see `sharedCore`). */
  function noPolicy (o) {
    return o.backoff === undefined && o.budget === undefined && o.preset === undefined && o.parseOptions === undefined && o.maxWaitMs === undefined &&
      o.store === undefined && o.shared === undefined
  }

  // --- Pacer -----------------------------------------------------------------------------------

  const PACER_OPTIONS = new Set(['limiter', 'limits', 'learn', 'preset', 'backoff', 'budget', 'seed', 'clock', 'signal', 'maxWaitMs', 'parseOptions',
    'store', 'shared', 'onStoreEvent'])

  /**
   * One core pacer and the I/O around it. `acquire(key)` waits for the next slot for `key`
   * (first come, first served) and takes it; `run(key, fn)` sends through it and reports the
   * outcome (no retry: `withRetry({pacer})` retries); every `withRetry`/`wrapFetch` given this
   * pacer shares its slots, its requests in flight and what it learnt. `maxWaitMs` (default: the
   * policy's, 6 h) bounds every wait: on what the server said or what was learnt, the core holds
   * a request at most that long and then lets it go as is; a configured limit's slot further
   * away than that rejects with a RetryError (`wait_too_long`), the caller's own bound.
   */
  class Pacer {
    constructor (options) {
      const o = C.optObj(options, 'options')
      for (const k of Object.keys(o)) if (!PACER_OPTIONS.has(k)) throw typeError(`unknown Pacer option ${JSON.stringify(k)}`)
      if (o.limiter !== undefined && !(o.limiter instanceof Limiter)) throw typeError('limiter must be a Limiter')
      this.limiter = o.limiter || new Limiter({ limits: o.limits, learn: o.learn })
      this.io = storeIo(o.store, o.onStoreEvent)
      this.store = this.io ? this.io.store : null
      const config = coreConfig({ ...o, limiter: this.limiter })
      this.core = sharedCore(this.limiter, config, noPolicy(o), this.store)
      this.policy = config.backoff
      this.parseOptions = o.parseOptions || {}
      this.clock = clockOf(o.clock)
      this.signal = o.signal
      this.maxWaitMs = o.maxWaitMs === undefined ? this.policy.maxWaitMs : C.int(o.maxWaitMs, 'maxWaitMs')
    }

    /**
     * Resolves when the store calls sent without waiting (lease releases, refunds, lockouts)
     * have been answered: await it before a process exits. Immediate without a store.
     */
    async flush () {
      const io = this.io
      for (let i = 0; io && io.pending.size > 0 && i < 100; i++) await Promise.all([...io.pending])
    }

    /** Resolves at the time (epoch ms) the slot for `key` was taken. */
    async acquire (key = 'default', cost = DEFAULT_COST, options) {
      const o = C.optObj(options, 'options')
      C.str(key, 'key')
      const clock = this.clock
      const since = clock.now()
      const step = beginOn(this.core, key, C.int(cost, 'cost'), since)
      let ticket
      try {
        ticket = await untilGo(this.core, step, clock, o.signal || this.signal, this.maxWaitMs, since, this.io)
      } catch (e) {
        if (e instanceof WaitTooLong) throw giveUpTooLong(e, 0, null)
        throw e
      }
      cancelOn(this.core, ticket) // the slot is taken; nothing will be reported
      drain(this.core, clock, this.io)
      return clock.now()
    }

    /**
     * Takes a slot for `key`, calls `fn()` and reports what it returned or threw to the core
     * (a 429 sets the key's floor, a 2xx teaches its rate); returns or rethrows it as it came.
     */
    async run (key, fn, options) {
      const o = C.optObj(options, 'options')
      C.str(key, 'key')
      const clock = this.clock
      const since = clock.now()
      let ticket
      try {
        ticket = await untilGo(this.core, beginOn(this.core, key, 1, since), clock, o.signal || this.signal, this.maxWaitMs, since, this.io)
      } catch (e) {
        if (e instanceof WaitTooLong) throw giveUpTooLong(e, 0, null)
        throw e
      }
      let value; let error; let threw = false
      try { value = await fn() } catch (e) { error = e; threw = true }
      let r = null
      try { r = await readResponse(threw ? error : value) } catch { r = null }
      if (r === null && !(threw && isNetworkError(error))) {
        // No response: a value is a success, anything else is not ours to judge.
        if (threw) cancelOn(this.core, ticket)
        else finishOn(this.core, ticket, { status: 200, headers: [] }, clock.now())
      } else {
        const after = finish(this.core, ticket, r, clock.now())
        if (after.action === 'retry') cancelOn(this.core, ticket)
      }
      drain(this.core, clock, this.io)
      if (threw) throw error
      return value
    }
  }

  return {
    Pacer, PacerCore, realClock, clockOf, sleepUntil, untilGo, beginOn, finish, finishOn, cancelOn, readingOf, WaitTooLong, giveUpTooLong,
    storeIo, drain, coreConfig, sharedCore, noPolicy, policyOf, DEFAULT_MAX_WAIT_MS: engine.DEFAULT_MAX_WAIT_MS
  }
}
