'use strict'
// The napi addon's low-level interface (bindings-node/src/lib.rs, "NATIVE"), implemented over the
// WebAssembly module's flat exports (bindings-wasm/src/lib.rs). With it, the WASM package runs the
// Node package's own API layer (bindings-node/js/) unchanged:
//
//   createApi(createNative(wasm))
//
// The WASM module takes numbers and NUL-joined strings instead of JSON (serde_json alone would
// not fit the 100 KB budget), so this file reads and writes the core's JSON with serde's rules:
// a missing field, an unknown field (where the core denies them) or a wrong type is
// `invalid_argument`, a negative, fractional or out-of-range number `invalid_number` (the
// codec's rule, bindings-common). Errors carry their code in `.code`, as the addon's do.

const MAX_SAFE = Number.MAX_SAFE_INTEGER
const U64_MAX = (1n << 64n) - 1n
// The core's vocabulary (its enums' `ALL` orders), read from the module by createNative.
let JITTERS, SOURCES, WAIT_SOURCES, REASONS, RETRY_REASONS, GIVE_UP_REASONS, OUTCOMES
const KEY_NUMS = 10 // tat[3], learned_tat, quota_reset_at, learned_amount, learned_period_ms, quota_remaining, adaptive_milli_rps, in_flight
const KEY_FIELDS = ['learned_tat', 'quota_reset_at', 'learned_amount', 'learned_period_ms', 'quota_remaining', 'adaptive_milli_rps', 'in_flight']

function fail (code, message) { const e = new Error(message); e.code = code; return e }
const argErr = (m) => fail('invalid_argument', m)
const numErr = (m) => fail('invalid_number', m)

function kind (v) {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a sequence'
  if (typeof v === 'object') return 'a map'
  if (typeof v === 'number' && !Number.isInteger(v)) return `floating point \`${v}\``
  if (typeof v === 'number') return `integer \`${v}\``
  if (typeof v === 'bigint') return `integer \`${v}\``
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`
  return typeof v
}

// --- serde-like field readers --------------------------------------------------------------

function uint (v, what, max) {
  if (typeof v === 'bigint') {
    if (v < 0n || v > BigInt(max)) throw numErr(`${what}: invalid value: integer \`${v}\`, expected an integer up to ${max}`)
    return Number(v)
  }
  if (typeof v !== 'number') throw argErr(`${what}: invalid type: ${kind(v)}, expected an unsigned integer`)
  if (!Number.isInteger(v)) throw numErr(`${what}: invalid type: ${kind(v)}, expected an unsigned integer`)
  if (v < 0 || v > max) throw numErr(`${what}: invalid value: integer \`${v}\`, expected an integer 0..=${max}`)
  return v
}
const u16 = (v, what) => uint(v, what, 65535)
const u32 = (v, what) => uint(v, what, 4294967295)
const u64 = (v, what) => uint(v, what, MAX_SAFE) // the engine keeps these within 2^53
function optU64 (v, what) { return v === undefined || v === null ? NaN : u64(v, what) }
function bool (v, what) {
  if (typeof v !== 'boolean') throw argErr(`${what}: invalid type: ${kind(v)}, expected a boolean`)
  return v
}
function str (v, what) {
  if (typeof v !== 'string') throw argErr(`${what}: invalid type: ${kind(v)}, expected a string`)
  return v
}
function map (v, what) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw argErr(`${what}: invalid type: ${kind(v)}, expected a map`)
  return v
}
function seq (v, what) {
  if (!Array.isArray(v)) throw argErr(`${what}: invalid type: ${kind(v)}, expected a sequence`)
  return v
}
function fields (o, allowed, what) {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw argErr(`${what}: unknown field \`${k}\`, expected one of ${allowed.map((a) => `\`${a}\``).join(', ')}`)
  }
}
function required (o, k, what) {
  if (o[k] === undefined) throw argErr(`${what}: missing field \`${k}\``)
  return o[k]
}
function variant (v, list, what) {
  const i = list.indexOf(str(v, what))
  if (i < 0) throw argErr(`${what}: unknown variant \`${v}\`, expected one of ${list.map((a) => `\`${a}\``).join(', ')}`)
  return i
}
function parse (text, what) {
  try { return JSON.parse(text) } catch (e) { throw argErr(`${what}: ${e.message}`) }
}
/**
 * One item of a NUL-joined list for the module: NUL is written `\x01\x03` and `\x01` as
 * `\x01\x02` (src/lib.rs `split` undoes it).
 */
function clean (s) {
  return s.indexOf('\0') < 0 && s.indexOf('\x01') < 0 ? s : s.replace(/\x01/g, '\x01\x02').replace(/\0/g, '\x01\x03')
}
/** Headers as the napi addon takes them: `name\nvalue\n...` (older callers pass a flat list). */
function headerText (h) {
  if (typeof h === 'string') return h
  return h.map((x) => String(x).replace(/[\r\n]/g, ' ')).join('\n')
}
function unclean (s) { return s.indexOf('\x01') < 0 ? s : s.replace(/\x01\x03/g, '\0').replace(/\x01\x02/g, '\x01') }

// --- exact JSON (u64 beyond 2^53) ----------------------------------------------------------

/** JSON.parse, but integers beyond 2^53 − 1 become bigints (saved limiter state holds them). */
function parseExact (text, what) {
  let i = 0
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++ }
  const bad = () => argErr(`${what}: malformed JSON at ${i}`)
  function value () {
    ws()
    const c = text[i]
    if (c === '{') {
      i++; const o = {}; ws()
      if (text[i] === '}') { i++; return o }
      for (;;) {
        ws(); if (text[i] !== '"') throw bad()
        const k = string(); ws()
        if (text[i++] !== ':') throw bad()
        o[k] = value(); ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === '}') { i++; return o }
        throw bad()
      }
    }
    if (c === '[') {
      i++; const a = []; ws()
      if (text[i] === ']') { i++; return a }
      for (;;) {
        a.push(value()); ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === ']') { i++; return a }
        throw bad()
      }
    }
    if (c === '"') return string()
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?|^true|^false|^null/.exec(text.slice(i, i + 400))
    if (!m) throw bad()
    i += m[0].length
    if (m[0] === 'true') return true
    if (m[0] === 'false') return false
    if (m[0] === 'null') return null
    if (m[1] === undefined && m[2] === undefined) {
      const n = Number(m[0])
      return Number.isSafeInteger(n) ? n : BigInt(m[0])
    }
    return Number(m[0])
  }
  function string () {
    const start = i
    i++
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
    if (i >= text.length) throw bad()
    i++
    return JSON.parse(text.slice(start, i))
  }
  const v = value()
  ws()
  if (i !== text.length) throw bad()
  return v
}

function u64Exact (v, what) {
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) throw numErr(`${what}: integer \`${v}\` is out of range for u64`)
    return v
  }
  return BigInt(uint(v, what, MAX_SAFE))
}

// --- core shapes → flat --------------------------------------------------------------------

function limitsFlat (v, what, out) {
  const list = seq(v, what)
  out.push(list.length)
  list.forEach((l, i) => {
    const w = `${what}[${i}]`
    map(l, w)
    fields(l, ['amount', 'period_ms', 'burst'], w)
    const amount = u32(required(l, 'amount', w), `${w}.amount`)
    // burst left out: amount (the core's serde default; this file goes when the codec is shared)
    out.push(amount, u64(required(l, 'period_ms', w), `${w}.period_ms`), l.burst === undefined ? amount : u32(l.burst, `${w}.burst`))
  })
}

const ADAPTIVE = ['initial_milli_rps', 'min_milli_rps', 'max_milli_rps', 'decrease_percent', 'increase_percent']
function configFlat (text) {
  const what = 'limiter options'
  const c = map(parse(text, what), what)
  fields(c, ['limits', 'learn', 'adaptive', 'max_in_flight'], what)
  const out = [c.learn === undefined ? 1 : +bool(c.learn, `${what}.learn`)]
  const a = c.adaptive
  if (a === undefined || a === null) {
    out.push(0, 0, 0, 0, 0, 0)
  } else {
    map(a, `${what}.adaptive`)
    fields(a, ADAPTIVE, `${what}.adaptive`)
    const d = { initial_milli_rps: 10000, min_milli_rps: 100, max_milli_rps: 1000000, decrease_percent: 50, increase_percent: 5 }
    out.push(1, ...ADAPTIVE.map((k) => a[k] === undefined ? d[k] : u32(a[k], `${what}.adaptive.${k}`)))
  }
  const mif = c.max_in_flight
  if (mif === undefined || mif === null) out.push(0, 0)
  else out.push(1, u32(mif, `${what}.max_in_flight`))
  limitsFlat(c.limits === undefined ? [] : c.limits, `${what}.limits`, out)
  return Float64Array.from(out)
}

function configJsonOf (n) {
  const limits = []
  for (let i = 0; i < n[9]; i++) limits.push({ amount: n[10 + 3 * i], period_ms: n[11 + 3 * i], burst: n[12 + 3 * i] })
  const adaptive = n[1] ? { initial_milli_rps: n[2], min_milli_rps: n[3], max_milli_rps: n[4], decrease_percent: n[5], increase_percent: n[6] } : null
  return JSON.stringify({ limits, learn: n[0] === 1, adaptive, max_in_flight: n[7] ? n[8] : null })
}

const POLICY = ['base_ms', 'multiplier', 'cap_ms', 'jitter', 'max_attempts', 'deadline_ms', 'retry_statuses', 'retry_network_errors', 'hint_spread_percent', 'max_wait_ms']
function policyFlat (text) {
  const what = 'backoff policy'
  const p = map(parse(text, what), what)
  fields(p, POLICY, what)
  const d = (k, dflt, f) => p[k] === undefined ? dflt : f(p[k], `${what}.${k}`)
  const multiplier = d('multiplier', 2, (v, w) => {
    if (typeof v !== 'number') throw argErr(`${w}: invalid type: ${kind(v)}, expected f64`)
    return v
  })
  const statuses = d('retry_statuses', [429, 502, 503, 504], (v, w) => seq(v, w).map((s, i) => u16(s, `${w}[${i}]`)))
  return Float64Array.from([
    d('base_ms', 500, u64), multiplier, d('cap_ms', 60000, u64),
    d('jitter', 1, (v, w) => variant(v, JITTERS, w)), d('max_attempts', 8, u32),
    p.deadline_ms === undefined || p.deadline_ms === null ? NaN : u64(p.deadline_ms, `${what}.deadline_ms`),
    +d('retry_network_errors', true, bool), d('hint_spread_percent', 10, u32),
    d('max_wait_ms', 6 * 60 * 60 * 1000, u64), ...statuses
  ])
}

function policyJsonOf (n) {
  const nn = (x) => (x !== x ? null : x) // eslint-disable-line no-self-compare
  return JSON.stringify({
    base_ms: n[0],
    multiplier: n[1],
    cap_ms: n[2],
    jitter: JITTERS[n[3]],
    max_attempts: n[4],
    deadline_ms: nn(n[5]),
    retry_statuses: Array.from(n.subarray(9)),
    retry_network_errors: n[6] === 1,
    hint_spread_percent: n[7],
    max_wait_ms: n[8]
  })
}

/** A core Reading (parsed JSON) → [nums, strs] for the module. */
function readingFlat (r, what = 'reading') {
  map(r, what)
  for (const k of ['status', 'throttled', 'retry_after_lenient', 'policies', 'states', 'capped', 'rejected']) required(r, k, what)
  const opt = (k) => optU64(r[k], `${what}.${k}`)
  const optEnum = (k, list) => r[k] === undefined || r[k] === null ? NaN : variant(r[k], list, `${what}.${k}`)
  let skew = NaN
  if (r.date_skew_ms !== undefined && r.date_skew_ms !== null) {
    const v = r.date_skew_ms
    if (typeof v !== 'number' || !Number.isInteger(v)) throw argErr(`${what}.date_skew_ms: invalid type: ${kind(v)}, expected i64`)
    if (!Number.isSafeInteger(v)) throw numErr(`${what}.date_skew_ms: out of range`)
    skew = v
  }
  const policies = seq(r.policies, `${what}.policies`)
  const states = seq(r.states, `${what}.states`)
  const rejected = seq(r.rejected, `${what}.rejected`)
  const nums = [
    u16(r.status, `${what}.status`), +bool(r.throttled, `${what}.throttled`), opt('retry_after_ms'),
    +bool(r.retry_after_lenient, `${what}.retry_after_lenient`), opt('limit'), opt('remaining'), opt('reset_ms'),
    opt('window_ms'), optEnum('source', SOURCES), opt('wait_ms'), optEnum('wait_source', WAIT_SOURCES), skew,
    +bool(r.capped, `${what}.capped`), policies.length, states.length, rejected.length
  ]
  const strs = []
  const pk = (v, w) => {
    if (v === undefined || v === null) return 0
    strs.push(clean(str(v, w)))
    return 1
  }
  policies.forEach((p, i) => {
    const w = `${what}.policies[${i}]`
    map(p, w)
    strs.push(clean(str(required(p, 'name', w), `${w}.name`)))
    const quota = u64(required(p, 'quota', w), `${w}.quota`)
    strs.push(clean(str(required(p, 'quota_unit', w), `${w}.quota_unit`)))
    nums.push(quota, optU64(p.window_s, `${w}.window_s`), pk(p.partition_key, `${w}.partition_key`))
  })
  states.forEach((s, i) => {
    const w = `${what}.states[${i}]`
    map(s, w)
    strs.push(clean(str(required(s, 'name', w), `${w}.name`)))
    nums.push(u64(required(s, 'remaining', w), `${w}.remaining`), optU64(s.reset_s, `${w}.reset_s`), pk(s.partition_key, `${w}.partition_key`))
  })
  rejected.forEach((x, i) => {
    const w = `${what}.rejected[${i}]`
    map(x, w)
    strs.push(clean(str(required(x, 'header', w), `${w}.header`)), clean(str(required(x, 'value', w), `${w}.value`)))
    nums.push(variant(required(x, 'reason', w), REASONS, `${w}.reason`))
  })
  return [Float64Array.from(nums), strs.join('\0')]
}

const REQUEST = ['records', 'sizes', 'max_batch_records', 'max_batch_bytes', 'overhead_bytes', 'limits', 'cost_per_batch']
function requestFlat (text) {
  const what = 'plan request'
  const r = map(parse(text, what), what)
  fields(r, REQUEST, what)
  const out = [
    r.records === undefined ? 0 : u64(r.records, `${what}.records`),
    u32(required(r, 'max_batch_records', what), `${what}.max_batch_records`),
    optU64(r.max_batch_bytes, `${what}.max_batch_bytes`),
    r.overhead_bytes === undefined ? 0 : u64(r.overhead_bytes, `${what}.overhead_bytes`),
    r.cost_per_batch === undefined ? 1 : u32(r.cost_per_batch, `${what}.cost_per_batch`),
    r.sizes === undefined || r.sizes === null ? 0 : 1
  ]
  limitsFlat(r.limits === undefined ? [] : r.limits, `${what}.limits`, out)
  if (out[5]) seq(r.sizes, `${what}.sizes`).forEach((s, i) => out.push(u64(s, `${what}.sizes[${i}]`)))
  return Float64Array.from(out)
}

const BATCH = ['index', 'start', 'end', 'bytes', 'send_at']
function planFlat (text) {
  const what = 'previous plan'
  const p = map(parse(text, what), what)
  const batches = seq(required(p, 'batches', what), `${what}.batches`)
  const out = [u64(required(p, 'start', what), `${what}.start`), u64(required(p, 'finish_at', what), `${what}.finish_at`),
    u64(required(p, 'duration_ms', what), `${what}.duration_ms`), batches.length]
  batches.forEach((b, i) => {
    const w = `${what}.batches[${i}]`
    map(b, w)
    for (const k of BATCH) out.push(u64(required(b, k, w), `${w}.${k}`))
  })
  return Float64Array.from(out)
}

function outcomesFlat (text) {
  const what = 'outcomes'
  const out = []
  seq(parse(text, what), what).forEach((o, i) => {
    const w = `${what}[${i}]`
    map(o, w)
    const status = str(required(o, 'status', w), `${w}.status`)
    const k = OUTCOMES[status]
    if (k === undefined) throw argErr(`${w}: unknown variant \`${status}\`, expected one of \`done\`, \`failed\`, \`throttled\``)
    out.push(k, u64(required(o, 'index', w), `${w}.index`), k === 2 ? u64(required(o, 'retry_at', w), `${w}.retry_at`) : 0)
  })
  return Float64Array.from(out)
}

function planJsonOf (n) {
  const batches = []
  for (let i = 0, j = 4; i < n[3]; i++, j += 5) {
    batches.push({ index: n[j], start: n[j + 1], end: n[j + 2], bytes: n[j + 3], send_at: n[j + 4] })
  }
  return JSON.stringify({ batches, start: n[0], finish_at: n[1], duration_ms: n[2] })
}

function seedOf (s) {
  if (typeof s !== 'string' || !/^\d{1,20}$/.test(s) || BigInt(s) > U64_MAX) throw numErr(`seed must be an unsigned 64-bit integer, got ${JSON.stringify(s)}`)
  return BigInt(s)
}

// --- the native interface ------------------------------------------------------------------

module.exports = function createNative (wasm) {
  const v = (name) => wasm.vocabulary(name).split(',')
  JITTERS = v('jitters'); SOURCES = v('sources'); WAIT_SOURCES = v('waitSources'); REASONS = v('rejectReasons')
  RETRY_REASONS = v('retryReasons'); GIVE_UP_REASONS = v('giveUpReasons')
  OUTCOMES = Object.fromEntries(v('batchOutcomes').map((name, i) => [name, i]))
  const registry = [] // limiter id → { n: WasmLimiter, keys: string[], ids: Map }

  function slot (id) {
    const s = registry[id]
    if (s === undefined || s === null) throw fail('invalid_state', 'no such limiter')
    return s
  }
  const finalizer = typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry((id) => { const s = registry[id]; registry[id] = null; if (s) s.n.free() })
    : null

  /** A module limiter with flat config `c` and the core's state JSON. */
  function restore (c, state) {
    const what = 'limiter state'
    const s = map(parseExact(state, what), what)
    const keys = Object.keys(s)
    const nums = new BigUint64Array(keys.length * KEY_NUMS)
    keys.forEach((k, i) => {
      const w = `${what}.${k}`
      const ks = map(s[k], w)
      const tat = seq(required(ks, 'tat', w), `${w}.tat`)
      if (tat.length !== 3) throw argErr(`${w}.tat: invalid length ${tat.length}, expected an array of length 3`)
      tat.forEach((t, j) => { nums[i * KEY_NUMS + j] = u64Exact(t, `${w}.tat[${j}]`) })
      KEY_FIELDS.forEach((f, j) => {
        const v = u64Exact(required(ks, f, w), `${w}.${f}`)
        if (j >= 2 && v > 4294967295n) throw numErr(`${w}.${f}: invalid value: integer \`${v}\`, expected u32`)
        nums[i * KEY_NUMS + 3 + j] = v
      })
    })
    return wasm.WasmLimiter.restore(c, keys.map(clean).join('\0'), nums)
  }

  class NativeLimiter {
    /** `config` (and, to restore, `state`) as the core's JSON. */
    constructor (config, state) {
      const c = configFlat(config)
      const n = state === undefined || state === null ? new wasm.WasmLimiter(c) : restore(c, state)
      this._config = c
      let id = registry.indexOf(null)
      if (id < 0) id = registry.length
      registry[id] = { n, ids: new Map() }
      this._id = id
      if (finalizer) finalizer.register(this, id)
    }

    get id () { return this._id }

    key (key) {
      const s = slot(this._id)
      let i = s.ids.get(key)
      if (i === undefined) {
        i = s.n.intern(key)
        s.ids.set(key, i)
      }
      return i
    }

    lastCapacity () { return slot(this._id).n.lastCapacity() }

    observe (key, reading, now) {
      const [nums, strs] = readingFlat(parse(reading, 'reading'))
      slot(this._id).n.observe(key, nums, strs, now)
    }

    blockUntil (key, until) { slot(this._id).n.blockUntil(key, until) }
    acquire (key) { return slot(this._id).n.acquire(key) }
    release (key) { return slot(this._id).n.release(key) }

    prune (now) {
      const s = slot(this._id)
      const n = s.n.prune(now)
      s.ids = new Map() // the module forgot its interned keys too
      return n
    }

    get size () { return slot(this._id).n.size }
    configJson () { slot(this._id); return configJsonOf(this._config) }

    stateJson () {
      const n = slot(this._id).n
      const keysText = n.stateKeys()
      const keys = keysText === '' && n.size === 0 ? [] : keysText.split('\0').map(unclean)
      const v = n.stateNums()
      const parts = keys.map((k, i) => {
        const b = i * KEY_NUMS
        let o = `${JSON.stringify(k)}:{"tat":[${v[b]},${v[b + 1]},${v[b + 2]}]`
        KEY_FIELDS.forEach((f, j) => { o += `,"${f}":${v[b + 3 + j]}` })
        return o + '}'
      })
      return `{${parts.join(',')}}`
    }
  }

  /** The hot path, by limiter id and interned key id (`op` 0 check, 1 peek, 2 reserve). */
  function fast (op) {
    return (id, k, cost, now) => {
      const s = registry[id]
      if (s === undefined || s === null) throw fail('invalid_state', 'no such limiter')
      return s.n.fast(op, k, cost, now)
    }
  }

  class NativeBackoff {
    constructor (policy) {
      this._p = policyFlat(policy)
      this._n = new wasm.WasmBackoff(this._p)
    }

    /** The policy with its defaults (filled in by policyFlat, accepted by the engine). */
    policyJson () { return policyJsonOf(this._p) }

    decide (state, reading, now, budget) {
      const what = 'retry state'
      const s = map(parseExact(state, what), what)
      const seed = s.seed === undefined ? 0n : u64Exact(s.seed, `${what}.seed`)
      const io = new Float64Array(10)
      io[0] = s.attempts === undefined ? 0 : u32(s.attempts, `${what}.attempts`)
      io[1] = s.started_at === undefined ? 0 : u64(s.started_at, `${what}.started_at`)
      io[2] = s.prev_delay_ms === undefined ? 0 : u64(s.prev_delay_ms, `${what}.prev_delay_ms`)
      io[3] = optU64(s.last_hint_ms, `${what}.last_hint_ms`)
      io[4] = s.short_hints === undefined ? 0 : u32(s.short_hints, `${what}.short_hints`)
      const hasBudget = budget !== null && budget !== undefined
      if (hasBudget) {
        const bw = 'retry budget'
        const b = map(parse(budget, bw), bw)
        const keys = ['capacity', 'tokens', 'retry_cost', 'network_cost', 'success_refund']
        fields(b, keys, bw)
        const d = [500, 500, 5, 10, 1]
        keys.forEach((k, i) => { io[5 + i] = b[k] === undefined ? d[i] : u32(b[k], `${bw}.${k}`) })
      }
      let nums = null
      let strs = ''
      if (reading !== null && reading !== undefined) [nums, strs] = readingFlat(parse(reading, 'reading'))
      const d = this._n.decide(io, seed, nums !== null, nums || new Float64Array(0), strs, now, hasBudget)
      let decision
      if (d[0] === 0) decision = '{"decision":"done"}'
      else if (d[0] === 1) decision = `{"decision":"retry","at":${d[1]},"delay_ms":${d[2]},"attempt":${d[3]},"reason":"${RETRY_REASONS[d[4]]}"}`
      else decision = `{"decision":"give_up","reason":"${GIVE_UP_REASONS[d[4]]}","attempts":${d[3]}}`
      const last = io[3] !== io[3] ? 'null' : io[3] // eslint-disable-line no-self-compare
      const st = `{"attempts":${io[0]},"started_at":${io[1]},"seed":"${seed}","prev_delay_ms":${io[2]},"last_hint_ms":${last},"short_hints":${io[4]}}`
      const bj = hasBudget
        ? `{"capacity":${io[5]},"tokens":${io[6]},"retry_cost":${io[7]},"network_cost":${io[8]},"success_refund":${io[9]}}`
        : 'null'
      return `{"decision":${decision},"state":${st},"budget":${bj}}`
    }

    delayMs (n, prevMs, seed) { return this._n.delayMs(n, prevMs, seedOf(seed)) }
    schedule (seed, n) { return Array.from(this._n.schedule(seedOf(seed), n)) }
  }

  const native = {
    version: () => wasm.version(),
    /** The core's names of one vocabulary, in its order (see bindings-common). */
    vocabulary: (name) => wasm.vocabulary(name),
    noop: () => wasm.noop(),
    /** A u64 seed from the platform's cryptographic source (getrandom → crypto.getRandomValues). */
    randomSeed: () => wasm.randomSeed(),
    parseHeadersJoined (status, headers, body, now, maxWaitMs, resetMode, out) {
      return wasm.parseHeaders(status, headers, body == null ? undefined : body, now, maxWaitMs, resetMode, out) ?? null
    },
    limiterCheck: fast(0),
    limiterPeek: fast(1),
    limiterReserve: fast(2),
    NativeLimiter,
    NativeBackoff,
    NativePacer: wasm.NativePacer,
    plan (request, now) { return planJsonOf(wasm.plan(requestFlat(request), now)) },
    replan (request, previous, outcomes, now) {
      return planJsonOf(wasm.replan(requestFlat(request), planFlat(previous), outcomesFlat(outcomes), now))
    }
  }
  return native
}
