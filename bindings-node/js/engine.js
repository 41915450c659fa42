'use strict'
// The engine's API in idiomatic JavaScript (API.md), over a native module that exports the
// low-level functions documented in NATIVE.md (the napi addon or the WASM module).

const { codedError, typeError, fromEngine, setCodes } = require('./errors')
const C = require('./convert')
const createPacerCore = require('./pacer-core')

const RESTORE = Symbol('restore')
const DEFAULT_MAX_WAIT_MS = 6 * 60 * 60 * 1000

module.exports = function createEngine (native) {
  // The core's vocabulary (its enums' `ALL` orders): enums cross as indexes into these lists.
  const ERROR_CODES = native.vocabulary('errorCodes').split(',')
  const SOURCES = native.vocabulary('sources').split(',')
  const WAIT_SOURCES = native.vocabulary('waitSources').split(',')
  const RESET_MODES = native.vocabulary('resetModes').split(',')
  setCodes(ERROR_CODES)
  const slots = new Float64Array(16)
  // The hot path passes its numbers through a bound buffer when the engine supports it.
  const io = new Float64Array(4)
  const hasIo = typeof native.bindIo === 'function' && typeof native.limiterCheckIo === 'function'
  if (hasIo) native.bindIo(io)
  const CHECK_IO = hasIo ? native.limiterCheckIo : null
  const PEEK_IO = hasIo ? native.limiterPeekIo : null
  const RESERVE_IO = hasIo ? native.limiterReserveIo : null
  const nn = (x) => (x !== x ? null : x) // eslint-disable-line no-self-compare

  function call (f) {
    try { return f() } catch (e) { throw fromEngine(e) }
  }

  function nowOf (now) { return now === undefined ? Date.now() : C.int(now, 'now') }

  function status (v) {
    if (typeof v !== 'number') throw typeError(`status must be a number, got ${C.describe(v)}`)
    const s = C.int(v, 'status')
    return s > 65535 ? 0 : s
  }

  function resetModeOf (m) {
    if (m === undefined) return 0
    C.str(m, 'resetMode')
    const code = RESET_MODES.indexOf(m)
    if (code < 0) throw codedError('invalid_option', `resetMode must be one of ${RESET_MODES.join(', ')}, got ${JSON.stringify(m)}`)
    return code
  }

  function bodyOf (b) {
    if (b === undefined || b === null) return null
    if (typeof b === 'string') return b
    throw typeError(`body must be a string or null, got ${C.describe(b)}`)
  }

  /** `parseHeaders({status, headers, body?}, {now?, maxWaitMs?, resetMode?})` → Reading. */
  function parseHeaders (response, options) {
    C.obj(response, 'response')
    const opts = C.optObj(options, 'options')
    if (!('status' in response)) throw typeError('response.status is missing')
    if (!('headers' in response)) throw typeError('response.headers is missing')
    const st = status(response.status)
    const flat = C.flattenHeaders(response.headers)
    const body = bodyOf(response.body)
    const now = nowOf(opts.now)
    const maxWait = C.optInt(opts.maxWaitMs, 'maxWaitMs', DEFAULT_MAX_WAIT_MS)
    const mode = resetModeOf(opts.resetMode)
    const s = slots
    let lists
    try {
      lists = native.parseHeadersJoined(st, C.joinHeaders(flat), body, now, maxWait, mode, s)
    } catch (e) { throw fromEngine(e) }
    const l = lists == null ? null : JSON.parse(lists)
    return {
      status: s[0],
      throttled: s[1] === 1,
      retryAfterMs: nn(s[2]),
      retryAfterLenient: s[3] === 1,
      limit: nn(s[4]),
      remaining: nn(s[5]),
      resetMs: nn(s[6]),
      windowMs: nn(s[7]),
      source: s[8] !== s[8] ? null : SOURCES[s[8]], // eslint-disable-line no-self-compare
      policies: l ? toCamelList(l.policies) : [],
      states: l ? toCamelList(l.states) : [],
      waitMs: nn(s[9]),
      waitSource: s[10] !== s[10] ? null : WAIT_SOURCES[s[10]], // eslint-disable-line no-self-compare
      dateSkewMs: nn(s[11]),
      capped: s[12] === 1,
      rejected: l ? l.rejected : []
    }
  }

  function toCamelList (list) { return list.map(C.toCamel) }

  /** A Reading (camelCase) → the core's Reading JSON. */
  function readingJson (r, name = 'reading') {
    C.obj(r, name)
    if (typeof r.status !== 'number') throw typeError(`${name}.status must be a number, got ${C.describe(r.status)}`)
    return C.toCoreJson(r, name)
  }

  // --- limiter -----------------------------------------------------------------------------

  function limitsOf (limits, name) {
    if (limits === undefined) return undefined
    if (!Array.isArray(limits)) throw typeError(`${name} must be an array of {amount, periodMs, burst?}, got ${C.describe(limits)}`)
    return limits.map((l, i) => {
      C.obj(l, `${name}[${i}]`)
      const out = {}
      for (const k of Object.keys(l)) out[k] = l[k]
      if (!('amount' in l)) throw typeError(`${name}[${i}].amount is missing`)
      if (!('periodMs' in l)) throw typeError(`${name}[${i}].periodMs is missing`)
      C.u32(l.amount, `${name}[${i}].amount`)
      C.int(l.periodMs, `${name}[${i}].periodMs`)
      if (l.burst !== undefined) C.u32(l.burst, `${name}[${i}].burst`) // left out: the core's default
      return out
    })
  }

  function limiterConfig (opts) {
    const o = C.optObj(opts, 'options')
    const cfg = {}
    for (const k of Object.keys(o)) cfg[k] = o[k]
    if (o.limits !== undefined) cfg.limits = limitsOf(o.limits, 'limits')
    if (o.learn !== undefined) C.bool(o.learn, 'learn')
    if (o.maxInFlight !== undefined && o.maxInFlight !== null) C.u32(o.maxInFlight, 'maxInFlight')
    if (o.adaptive === true) cfg.adaptive = {}
    if (o.adaptive === false) cfg.adaptive = null
    return cfg
  }

  function decode (v, now, cost, lim) {
    if (v >= 0) return { decision: 'allow', remaining: v }
    if (v === -1) return { decision: 'allow', remaining: null }
    if (v === -1.5) return { decision: 'never', cost, capacity: lim.lastCapacity() }
    const until = -v - 1
    return { decision: 'wait', until, waitMs: until - now }
  }

  class Limiter {
    #n
    #id
    #keys = new Map()
    #config

    constructor (options, saved) {
      if (options === RESTORE) { this.#init(saved); return }
      const cfg = limiterConfig(options)
      this.#config = cfg
      this.#n = call(() => new native.NativeLimiter(C.toCoreJson(cfg, 'options')))
      this.#id = this.#n.id
    }

    static fromJSON (saved) {
      C.obj(saved, 'saved')
      if (saved.config === undefined || typeof saved.state !== 'string') throw typeError('saved must be {config, state} from Limiter#toJSON()')
      return new Limiter(RESTORE, saved)
    }

    #init (saved) {
      const cfg = limiterConfig(saved.config)
      this.#config = cfg
      this.#keys = new Map()
      this.#n = call(() => new native.NativeLimiter(C.toCoreJson(cfg, 'config'), saved.state))
      this.#id = this.#n.id
    }

    #key (key) {
      let k = this.#keys.get(key)
      if (k === undefined) {
        if (typeof key !== 'string') throw typeError(`key must be a string, got ${C.describe(key)}`)
        k = call(() => this.#n.key(key))
        this.#keys.set(key, k)
      }
      return k
    }

    // The hot path: checked arguments into the io buffer (or the argument list), one call.
    #fast (op, f, key, cost, now) {
      let k = this.#keys.get(key)
      if (k === undefined) k = this.#key(key)
      const c = typeof cost === 'number' && cost >= 1 && cost <= 0xffffffff && Math.floor(cost) === cost
        ? cost
        : (cost === undefined ? 1 : C.u32(cost, 'cost'))
      const t = typeof now === 'number' && now >= 0 && now <= 9007199254740991 && Math.floor(now) === now
        ? now
        : (now === undefined ? Date.now() : C.int(now, 'now'))
      let v
      try {
        if (op !== null) {
          io[0] = this.#id; io[1] = k; io[2] = c; io[3] = t
          v = op()
        } else {
          v = f(this.#id, k, c, t)
        }
      } catch (e) { throw fromEngine(e) }
      if (v >= 0) return { decision: 'allow', remaining: v }
      return decode(v, t, c, this.#n)
    }

    /** Takes `cost` tokens for `key` if they fit now. */
    check (key, cost, now) { return this.#fast(CHECK_IO, native.limiterCheck, key, cost, now) }
    /** Like `check`, taking nothing. */
    peek (key, cost, now) { return this.#fast(PEEK_IO, native.limiterPeek, key, cost, now) }
    /** Books the earliest slot: `allow` now, or `wait` with the booked time. */
    reserve (key, cost, now) { return this.#fast(RESERVE_IO, native.limiterReserve, key, cost, now) }

    /** Re-syncs `key` from a Reading (`parseHeaders`). */
    observe (key, reading, now) {
      C.str(key, 'key')
      const json = readingJson(reading)
      const t = nowOf(now)
      call(() => this.#n.observe(key, json, t))
    }

    blockUntil (key, until) {
      C.str(key, 'key')
      const u = C.int(until, 'until')
      call(() => this.#n.blockUntil(key, u))
    }

    acquire (key) { C.str(key, 'key'); return call(() => this.#n.acquire(key)) }
    release (key) { C.str(key, 'key'); return call(() => this.#n.release(key)) }

    prune (now) {
      const t = nowOf(now)
      const n = call(() => this.#n.prune(t))
      this.#keys.clear() // the engine forgot every interned id
      return n
    }

    get size () { return this.#n.size }

    /** `{config, state}`: plain data for JSON.stringify; `state` is the core's JSON text (exact). */
    toJSON () {
      return { config: C.toCamel(JSON.parse(call(() => this.#n.configJson()))), state: call(() => this.#n.stateJson()) }
    }
  }

  // --- backoff -----------------------------------------------------------------------------

  function policyJson (policy) {
    const p = C.optObj(policy, 'policy')
    if (p.retryStatuses !== undefined && !Array.isArray(p.retryStatuses)) throw typeError('retryStatuses must be an array of numbers')
    if (p.retryStatuses) p.retryStatuses.forEach((s, i) => C.int(s, `retryStatuses[${i}]`))
    for (const k of ['baseMs', 'capMs', 'maxAttempts', 'hintSpreadPercent', 'maxWaitMs']) if (p[k] !== undefined) C.int(p[k], k)
    if (p.deadlineMs !== undefined && p.deadlineMs !== null) C.int(p.deadlineMs, 'deadlineMs')
    if (p.multiplier !== undefined) {
      if (typeof p.multiplier !== 'number') throw typeError(`multiplier must be a number, got ${C.describe(p.multiplier)}`)
      if (!Number.isFinite(p.multiplier) || p.multiplier < 0) throw codedError('invalid_number', `multiplier must be a finite number >= 1, got ${p.multiplier}`)
    }
    if (p.jitter !== undefined) C.str(p.jitter, 'jitter')
    if (p.retryNetworkErrors !== undefined) C.bool(p.retryNetworkErrors, 'retryNetworkErrors')
    return C.toCoreJson(p, 'policy')
  }

  function stateJson (s) {
    C.obj(s, 'state')
    for (const k of ['attempts', 'startedAt', 'prevDelayMs', 'shortHints']) {
      if (s[k] === undefined) throw typeError(`state.${k} is missing (use newRetryState())`)
      C.int(s[k], `state.${k}`)
    }
    if (s.seed === undefined) throw typeError('state.seed is missing (use newRetryState())')
    const seed = C.seed(s.seed, 'state.seed')
    if (s.lastHintMs !== null && s.lastHintMs !== undefined) C.int(s.lastHintMs, 'state.lastHintMs')
    return `{"attempts":${s.attempts},"started_at":${s.startedAt},"seed":${seed},"prev_delay_ms":${s.prevDelayMs},` +
      `"last_hint_ms":${s.lastHintMs == null ? 'null' : s.lastHintMs},"short_hints":${s.shortHints}}`
  }

  const BUDGET_KEYS = ['capacity', 'tokens', 'retryCost', 'networkCost', 'successRefund']
  function budgetJson (b) {
    C.obj(b, 'budget')
    for (const k of BUDGET_KEYS) {
      if (b[k] === undefined) throw typeError(`budget.${k} is missing (use newRetryBudget())`)
      C.int(b[k], `budget.${k}`)
    }
    return C.toCoreJson({ capacity: b.capacity, tokens: b.tokens, retryCost: b.retryCost, networkCost: b.networkCost, successRefund: b.successRefund }, 'budget')
  }

  class Backoff {
    #n
    constructor (policy) {
      const json = policyJson(policy)
      this.#n = call(() => new native.NativeBackoff(json))
    }

    /** The policy with every default filled in. */
    get policy () { return C.toCamel(JSON.parse(call(() => this.#n.policyJson()))) }

    /**
     * One decision after an attempt: `reading` from `parseHeaders`, or null for a network error.
     * Mutates `state` (and `budget`, when given).
     */
    decide (state, reading, now, budget) {
      const sj = stateJson(state)
      const rj = reading === null || reading === undefined ? null : readingJson(reading)
      const t = nowOf(now)
      const bj = budget === undefined || budget === null ? null : budgetJson(budget)
      const out = JSON.parse(call(() => this.#n.decide(sj, rj, t, bj)))
      const ns = out.state
      state.attempts = ns.attempts
      state.prevDelayMs = ns.prev_delay_ms
      state.lastHintMs = ns.last_hint_ms
      state.shortHints = ns.short_hints
      if (bj !== null && out.budget) budget.tokens = out.budget.tokens
      return C.toCamel(out.decision)
    }

    /** The jittered delay before retry `n` (1-based) after a previous delay `prevMs`. */
    delayMs (n, prevMs, seed) {
      const a = C.u32(n, 'n')
      const p = C.int(prevMs, 'prevMs')
      const s = C.seed(seed)
      return call(() => this.#n.delayMs(a, p, s))
    }

    /** The delays of retries 1..=n for `seed` (no server hints). */
    schedule (seed, n) {
      const s = C.seed(seed)
      const a = C.u32(n, 'n')
      return call(() => this.#n.schedule(s, a))
    }
  }

  /**
   * A default seed: 53 random bits (a safe integer, so a retry state stays JSON-serialisable)
   * from the module's `getrandom` (WASM: `crypto.getRandomValues`) when it has one, else from
   * the platform's `crypto.getRandomValues`; `Math.random` only where neither exists.
   */
  function randomSeed () {
    if (typeof native.randomSeed === 'function') {
      return Number(BigInt.asUintN(53, BigInt(native.randomSeed())))
    }
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
    const capacity = C.optInt(o.capacity, 'capacity', 500)
    const b = {
      capacity,
      tokens: C.optInt(o.tokens, 'tokens', capacity),
      retryCost: C.optInt(o.retryCost, 'retryCost', 5),
      networkCost: C.optInt(o.networkCost, 'networkCost', 10),
      successRefund: C.optInt(o.successRefund, 'successRefund', 1)
    }
    return b // validated by the engine on use (invalid_policy)
  }

  // --- plans -------------------------------------------------------------------------------

  function requestJson (req) {
    C.obj(req, 'request')
    const r = {}
    for (const k of Object.keys(req)) r[k] = req[k]
    if (req.maxBatchRecords === undefined) throw typeError('request.maxBatchRecords is missing')
    C.u32(req.maxBatchRecords, 'request.maxBatchRecords')
    if (req.records !== undefined) C.int(req.records, 'request.records')
    if (req.sizes !== undefined && req.sizes !== null) {
      if (!Array.isArray(req.sizes)) throw typeError('request.sizes must be an array of numbers')
      req.sizes.forEach((s, i) => C.int(s, `request.sizes[${i}]`))
    }
    if (req.limits !== undefined) r.limits = limitsOf(req.limits, 'request.limits')
    if (req.costPerBatch !== undefined) C.u32(req.costPerBatch, 'request.costPerBatch')
    return C.toCoreJson(r, 'request')
  }

  function planJson (p) {
    C.obj(p, 'previous')
    if (!Array.isArray(p.batches)) throw typeError('previous.batches must be an array (a Plan from plan())')
    return C.toCoreJson(p, 'previous')
  }

  function outcomesJson (o) {
    if (!Array.isArray(o)) throw typeError(`outcomes must be an array, got ${C.describe(o)}`)
    o.forEach((x, i) => {
      C.obj(x, `outcomes[${i}]`)
      C.str(x.status, `outcomes[${i}].status`)
      C.int(x.index, `outcomes[${i}].index`)
      if (x.retryAt !== undefined) C.int(x.retryAt, `outcomes[${i}].retryAt`)
    })
    return C.toCoreJson(o, 'outcomes')
  }

  /** A batching plan: the earliest send time of each batch under the limits. */
  function plan (request, now) {
    const rj = requestJson(request)
    const t = nowOf(now)
    return C.toCamel(JSON.parse(call(() => native.plan(rj, t))))
  }

  /** Plans again after some batches ran (`{status: 'done'|'failed'|'throttled', index, retryAt?}`). */
  function replan (request, previous, outcomes, now) {
    const rj = requestJson(request)
    const pj = planJson(previous)
    const oj = outcomesJson(outcomes)
    const t = nowOf(now)
    return C.toCamel(JSON.parse(call(() => native.replan(rj, pj, oj, t))))
  }

  const { PacerCore } = createPacerCore(native)

  function version () { return native.version() }
  function errorCodes () { return ERROR_CODES.slice() }
  // The shared-budget Lua script and its SHA1 (EVALSHA, then EVAL after NOSCRIPT): the core's.
  // The WebAssembly engine paces in memory only (no `store` feature): these throw there.
  const noStore = () => codedError('invalid_option', 'this engine has no shared store (the WebAssembly engine paces in memory only)')
  function sharedScript () { if (typeof native.sharedScript !== 'function') throw noStore(); return native.sharedScript() }
  function sharedScriptSha1 () { if (typeof native.sharedScriptSha1 !== 'function') throw noStore(); return native.sharedScriptSha1() }

  return {
    version,
    errorCodes,
    parseHeaders,
    Limiter,
    Backoff,
    newRetryState,
    newRetryBudget,
    plan,
    replan,
    PacerCore,
    sharedScript,
    sharedScriptSha1,
    randomSeed,
    DEFAULT_MAX_WAIT_MS
  }
}
