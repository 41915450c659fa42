'use strict'
// The engine's API in idiomatic JavaScript (API.md), over a native module that exports the
// low-level functions documented in NATIVE.md (the napi addon or the WASM module: the same
// names and shapes). Values cross flat, in layouts and vocabularies the engine names (flat.js);
// the core's defaults come from the engine too.

const { codedError, typeError, fromEngine, engineCall: call, setCodes } = require('./errors')
const C = require('./convert')
const createFlat = require('./flat')
const createPacerCore = require('./pacer-core')

const RESTORE = Symbol('restore')

module.exports = function createEngine (native) {
  // The core's vocabulary (its enums' `ALL` orders): enums cross as indexes into these lists.
  const F = createFlat(native)
  const ERROR_CODES = F.vocab('errorCodes')
  const RESET_MODES = F.vocab('resetModes')
  setCodes(ERROR_CODES)
  const [DEFAULT_MAX_WAIT_MS] = native.defaults('parseOptions')
  const [DEFAULT_COST] = native.defaults('cost')
  const STATUSES = Array.from(native.defaults('statuses'))
  const [ALLOW, WAIT, NEVER] = F.vocab('verdicts')
  const out = new Float64Array(16) // the results of parseHeaders, Backoff#decide and PacerCore's steps
  // napi's hot path passes `op, id, keyId, cost, now` through a bound buffer (an argument-free
  // call costs napi about half of one with five arguments); the WASM engine takes arguments.
  const io = new Float64Array(5)
  const hasIo = typeof native.bindIo === 'function'
  if (hasIo) native.bindIo(io)
  const { nn, now: nowOf } = C

  /** `parseHeaders({status, headers, body?}, {now?, maxWaitMs?, resetMode?})` → Reading. */
  function parseHeaders (response, options) {
    C.obj(response, 'response')
    const opts = C.optObj(options, 'options')
    if (!('status' in response)) throw typeError('response.status is missing')
    if (!('headers' in response)) throw typeError('response.headers is missing')
    const st = C.u32(response.status, 'status') // the engine's u32; the core's rule decides
    const flat = C.flattenHeaders(response.headers)
    const body = C.body(response.body, 'body')
    const now = nowOf(opts.now)
    const maxWait = C.optInt(opts.maxWaitMs, 'maxWaitMs', NaN) // NaN: the core's default
    const mode = opts.resetMode === undefined ? 0 : F.index(opts.resetMode, RESET_MODES, 'resetMode')
    let l
    try { l = native.parseHeaders(st, C.joinHeaders(flat), body, now, maxWait, mode, out) } catch (e) { throw fromEngine(e) }
    return F.readingOf(out, l)
  }

  // --- limiter -----------------------------------------------------------------------------

  const LIMITER = F.config('limiterConfig', 'Limiter', ['limits:limits'])

  // A verdict number other than "allow with remaining" (NATIVE.md), off the hot path.
  function decode (v, now, cost, lim) {
    if (v === -1) return { decision: ALLOW, remaining: null }
    if (v === -1.5) return { decision: NEVER, cost, capacity: lim.lastCapacity() }
    return { decision: WAIT, until: -v - 1, waitMs: -v - 1 - now }
  }

  class Limiter {
    #n
    #id
    #keys = new Map()

    /** Limiter options (camelCase; `adaptive: true` for the core's adaptive defaults; own fields only). */
    constructor (options, saved) {
      const restore = options === RESTORE
      const cfg = LIMITER({ ...(restore ? C.optObj(saved.config, 'config') : C.optObj(options, 'options')) })
      const [keys, nums] = restore ? F.stateFlat(saved.state) : []
      this.#n = call(() => new native.NativeLimiter(cfg, keys, nums))
      this.#id = this.#n.id
    }

    static fromJSON (saved) {
      C.obj(saved, 'saved')
      if (saved.config === undefined || typeof saved.state !== 'string') throw typeError('saved must be {config, state} from Limiter#toJSON()')
      return new Limiter(RESTORE, saved)
    }

    #key (key) {
      const k = call(() => this.#n.key(C.str(key, 'key')))
      this.#keys.set(key, k)
      return k
    }

    // The hot path: checked arguments into the io buffer (or the argument list), one call.
    #fast (op, key, cost, now) {
      let k = this.#keys.get(key)
      if (k === undefined) k = this.#key(key)
      const c = typeof cost === 'number' && cost >= 1 && cost <= 0xffffffff && Math.floor(cost) === cost
        ? cost
        : (cost === undefined ? DEFAULT_COST : C.u32(cost, 'cost'))
      const t = typeof now === 'number' && now >= 0 && now <= 9007199254740991 && Math.floor(now) === now
        ? now
        : (now === undefined ? Date.now() : C.int(now, 'now'))
      let v
      try {
        if (hasIo) {
          io[0] = op; io[1] = this.#id; io[2] = k; io[3] = c; io[4] = t
          v = native.limiterDecideIo()
        } else {
          v = native.limiterDecide(op, this.#id, k, c, t)
        }
      } catch (e) { throw fromEngine(e) }
      return v >= 0 ? { decision: ALLOW, remaining: v } : decode(v, t, c, this.#n)
    }

    /** Takes `cost` tokens for `key` if they fit now. */
    check (key, cost, now) { return this.#fast(0, key, cost, now) }
    /** Like `check`, taking nothing. */
    peek (key, cost, now) { return this.#fast(1, key, cost, now) }
    /** Books the earliest slot: `allow` now, or `wait` with the booked time. */
    reserve (key, cost, now) { return this.#fast(2, key, cost, now) }

    /** Re-syncs `key` from a Reading (`parseHeaders`). */
    observe (key, reading, now) { call(() => this.#n.observe(C.str(key, 'key'), ...F.reading(reading), nowOf(now))) }

    blockUntil (key, until) { call(() => this.#n.blockUntil(C.str(key, 'key'), C.int(until, 'until'))) }

    acquire (key) { return call(() => this.#n.acquire(C.str(key, 'key'))) }
    release (key) { return call(() => this.#n.release(C.str(key, 'key'))) }

    prune (now) {
      const n = call(() => this.#n.prune(nowOf(now)))
      this.#keys.clear() // the engine forgot every interned id
      return n
    }

    get size () { return this.#n.size }

    /** `{config, state}`: plain data for JSON.stringify; `state` is the core's JSON text (exact). */
    toJSON () {
      const n = call(() => this.#n.config())
      const config = { limits: F.limitsOf(n, LIMITER.slots.length), ...F.decode(n, [], LIMITER.slots) }
      return { config, state: F.stateJson(this.#n.stateKeys(), this.#n.stateNums(), this.#n.size) }
    }
  }

  // --- backoff -----------------------------------------------------------------------------

  const POLICY = F.config('backoffPolicy', 'policy', ['retryStatuses:ints'], { unknown: typeError }) // as serde has it
  const [STATE, BUDGET_KEYS, DECISIONS, RETRY_REASONS, GIVE_UP_REASONS] =
    ['retryState', 'retryBudget', 'decisions', 'retryReasons', 'giveUpReasons'].map(F.vocab)
  const bio = new Float64Array(STATE.length + BUDGET_KEYS.length)

  // A retry state's or budget's field `k` (`w` its name), checked by `check`; missing: a hint to `make` one.
  function need (o, k, w, make, check = C.int) {
    const v = o[k]
    if (v === undefined) throw typeError(`${w} is missing (use ${make}())`)
    return check(v, w)
  }
  const [STATE_AT, BUDGET_AT] = [STATE.map((k) => `state.${k}`), BUDGET_KEYS.map((k) => `budget.${k}`)]

  class Backoff {
    #n
    constructor (policy) {
      const p = C.optObj(policy, 'policy')
      this.#n = call(() => new native.NativeBackoff(POLICY(p)))
    }

    /** The policy with every default filled in (`retryStatuses` after `deadlineMs`). */
    get policy () {
      const n = this.#n.policy()
      const p = Object.entries(F.decode(n, [], POLICY.slots))
      p.splice(p.findIndex(([k]) => k === 'deadlineMs') + 1, 0, ['retryStatuses', Array.from(n.slice(POLICY.slots.length + 1))])
      return Object.fromEntries(p)
    }

    /**
     * One decision after an attempt: `reading` from `parseHeaders`, or null for a network error.
     * Mutates `state` (and `budget`, when given).
     */
    decide (state, reading, now, budget) {
      C.obj(state, 'state')
      STATE.forEach((k, i) => { bio[i] = k === 'lastHintMs' && state[k] == null ? NaN : need(state, k, STATE_AT[i], 'newRetryState') })
      const seed = need(state, 'seed', 'state.seed', 'newRetryState', C.seed)
      const [nums, strs] = reading === null || reading === undefined ? [null, ''] : F.reading(reading)
      const t = nowOf(now)
      const hasBudget = budget !== undefined && budget !== null
      if (hasBudget) {
        C.obj(budget, 'budget')
        BUDGET_KEYS.forEach((k, i) => { bio[STATE.length + i] = need(budget, k, BUDGET_AT[i], 'newRetryBudget') })
      }
      const kind = DECISIONS[call(() => this.#n.decide(bio, seed, nums, strs, t, hasBudget, out))]
      STATE.forEach((k, i) => { if (k !== 'startedAt') state[k] = nn(bio[i]) })
      if (hasBudget) budget.tokens = bio[STATE.length + BUDGET_KEYS.indexOf('tokens')]
      if (kind === 'retry') return { decision: kind, at: out[0], delayMs: out[1], attempt: out[2], reason: RETRY_REASONS[out[3]] }
      if (kind === 'give_up') return { decision: kind, reason: GIVE_UP_REASONS[out[3]], attempts: out[2] }
      return { decision: kind }
    }

    /** The jittered delay before retry `n` (1-based) after a previous delay `prevMs`. */
    delayMs (n, prevMs, seed) { return call(() => this.#n.delayMs(C.u32(n, 'n'), C.int(prevMs, 'prevMs'), C.seed(seed))) }

    /** The delays of retries 1..=n for `seed` (no server hints). */
    schedule (seed, n) { return Array.from(call(() => this.#n.schedule(C.seed(seed), C.u32(n, 'n')))) }
  }

  /**
   * A default seed: 53 random bits (a safe integer, so a retry state stays JSON-serialisable)
   * from the platform's `crypto.getRandomValues`; `Math.random` only where it does not exist.
   */
  function randomSeed () {
    const c = globalThis.crypto
    if (c && typeof c.getRandomValues === 'function') {
      const w = c.getRandomValues(new Uint32Array(2))
      return (w[0] & 0x1fffff) * 2 ** 32 + w[1]
    }
    return Math.floor(Math.random() * 2 ** 32) * 2 ** 21 + Math.floor(Math.random() * 2 ** 21)
  }

  /** A fresh retry state (mutated by `Backoff#decide`). */
  function newRetryState (startedAt, seed) {
    const s = seed === undefined ? randomSeed() : seed
    C.seed(s)
    return { attempts: 0, startedAt: nowOf(startedAt), seed: s, prevDelayMs: 0, lastHintMs: null, shortHints: 0 }
  }

  /** A shared retry budget (mutated by `Backoff#decide`), like the AWS SDKs' retry quota. */
  function newRetryBudget (options) {
    const o = C.optObj(options, 'options')
    for (const k of Object.keys(o)) if (!BUDGET_KEYS.includes(k)) throw typeError(`unknown retry budget option ${JSON.stringify(k)}`)
    const flat = Float64Array.from(BUDGET_KEYS, (k) => C.optInt(o[k], k, NaN)) // NaN: the core's default
    const n = call(() => native.retryBudget(flat))
    return Object.fromEntries(BUDGET_KEYS.map((k, i) => [k, n[i]])) // validated on use (invalid_policy)
  }

  // --- plans -------------------------------------------------------------------------------

  const REQUEST = F.config('planRequest', 'request', ['sizes:ints', 'limits:limits'])
  const OUTCOMES = F.vocab('batchOutcomes')

  function requestFlat (req) {
    C.obj(req, 'request')
    if (req.maxBatchRecords === undefined) throw typeError('request.maxBatchRecords is missing')
    return REQUEST(req)
  }

  function outcomesFlat (o) {
    if (!Array.isArray(o)) throw typeError(`outcomes must be an array, got ${C.describe(o)}`)
    return Float64Array.from(o.flatMap((x, i) => {
      const w = `outcomes[${i}]`
      C.obj(x, w)
      return [F.index(x.status, OUTCOMES, `${w}.status`, typeError), C.int(x.index, `${w}.index`), C.optInt(x.retryAt, `${w}.retryAt`, NaN)]
    }))
  }

  /** A batching plan: the earliest send time of each batch under the limits. */
  function plan (request, now) { return F.planOf(call(() => native.plan(requestFlat(request), nowOf(now)))) }

  /** Plans again after some batches ran (`{status: 'done'|'failed'|'throttled', index, retryAt?}`). */
  function replan (request, previous, outcomes, now) {
    return F.planOf(call(() => native.replan(requestFlat(request), F.plan(previous), outcomesFlat(outcomes), nowOf(now))))
  }

  const { PacerCore } = createPacerCore(native, F, { DEFAULT_COST, out })

  const version = () => native.version()
  const errorCodes = () => ERROR_CODES.slice()
  // The shared-budget Lua script and its SHA1 (EVALSHA, then EVAL after NOSCRIPT): the core's.
  // The WebAssembly engine paces in memory only (no `store` feature): these throw there.
  const noStore = () => codedError('invalid_option', 'this engine has no shared store (the WebAssembly engine paces in memory only)')
  function sharedScript () { if (typeof native.sharedScript !== 'function') throw noStore(); return native.sharedScript() }
  function sharedScriptSha1 () { if (typeof native.sharedScriptSha1 !== 'function') throw noStore(); return native.sharedScriptSha1() }

  return {
    version, errorCodes, parseHeaders, Limiter, Backoff, newRetryState, newRetryBudget, plan, replan,
    PacerCore, sharedScript, sharedScriptSha1, randomSeed, DEFAULT_MAX_WAIT_MS, DEFAULT_COST, STATUSES,
    /** The key of a bearer token's budget: the core's, the same in every runtime. */
    tokenKey: (token) => native.tokenKey(String(token))
  }
}
