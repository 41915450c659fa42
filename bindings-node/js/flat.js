'use strict'
// Flat values for the engine (bindings-common's codec): a camelCase object → numbers in the
// order of a layout the engine names (`vocabulary('limiterConfig')` & co.; NaN: the core's
// default), readings → numbers + NUL-joined strings, and the core's limiter-state JSON. Nothing
// here knows a layout's order, an enum's order or a default: they come from the engine.

const { codedError, typeError } = require('./errors')
const C = require('./convert')

module.exports = function createFlat (native) {
  const vocab = (name) => native.vocabulary(name).split(',')
  const LISTS = {}

  /**
   * A layout: `path[:kind]` per slot; kind: none a safe integer, `float`, `bool`, else a
   * vocabulary (an unknown name: the error `unknown(message)` makes).
   */
  function layout (name, unknown = (m) => codedError('invalid_option', m)) {
    return vocab(name).map((s) => {
      const [slot, kind = ''] = s.split(':')
      if (kind && kind !== 'bool' && kind !== 'float' && !LISTS[kind]) LISTS[kind] = vocab(kind)
      return { name: slot, path: slot.split('.'), kind, unknown }
    })
  }

  /** A safe integer >= 0 inside a value (a bigint too, as the core's JSON had it). */
  function int (v, name) {
    if (typeof v !== 'bigint') return C.int(v, name)
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw codedError('invalid_number', `${name} must be 0..2^53 - 1, got ${v}n`)
    return Number(v)
  }

  function slotValue (v, { name, kind, unknown }) {
    if (v === undefined || v === null) return NaN
    if (kind === 'bool') {
      if (typeof v === 'object') return 1 // a group given (adaptive: {...})
      return C.bool(v, name) ? 1 : 0
    }
    if (kind === 'float') {
      if (typeof v !== 'number') throw typeError(`${name} must be a number, got ${C.describe(v)}`)
      if (!Number.isFinite(v)) throw codedError('invalid_number', `${name} must be finite, got ${v}`)
      return v
    }
    return kind ? index(v, LISTS[kind], name, unknown) : int(v, name)
  }

  /** The index of the name `v` in `list` (a vocabulary); another name: the error `unknown` makes. */
  function index (v, list, name, unknown = (m) => codedError('invalid_option', m)) {
    const i = list.indexOf(C.str(v, name))
    if (i < 0) throw unknown(`${name} must be one of ${list.join(', ')}, got ${JSON.stringify(v)}`)
    return i
  }

  /** The names each level of `slots` accepts, plus `extra` (lists written after the slots). */
  function keysOf (slots, extra) {
    const keys = { '': new Set(extra) }
    for (const { path } of slots) {
      keys[''].add(path[0])
      if (path.length > 1) (keys[path[0]] = keys[path[0]] || new Set()).add(path[1])
    }
    return keys
  }

  function checkKeys (o, keys, what) {
    for (const level of Object.keys(keys)) {
      const v = level ? o[level] : o
      if (v === undefined || v === null || typeof v !== 'object') continue
      C.obj(v, level || what)
      for (const k of Object.keys(v)) {
        if (v[k] !== undefined && !keys[level].has(k)) throw typeError(`unknown ${level || what} option ${JSON.stringify(k)}`)
      }
    }
  }

  /** `o`'s scalar slots in `slots` order into `out`. */
  function scalars (o, slots, out) {
    for (const s of slots) {
      let v = o
      for (const p of s.path) v = v === undefined || v === null || typeof v !== 'object' ? undefined : v[p]
      out.push(slotValue(v, s))
    }
    return out
  }

  /** `count, items...` of an optional list of integers; NaN when left out (the core's default). */
  function ints (list, name, out, int = C.int) {
    if (list === undefined || list === null) { out.push(NaN); return out }
    if (!Array.isArray(list)) throw typeError(`${name} must be an array of numbers`)
    out.push(list.length, ...list.map((x, i) => int(x, `${name}[${i}]`)))
    return out
  }

  /** `count, (amount, periodMs, burst)...`; a left-out burst is NaN (the core's default). */
  function limits (list, name, out, u32 = int) {
    if (list === undefined || list === null) list = []
    if (!Array.isArray(list)) throw typeError(`${name} must be an array of {amount, periodMs, burst?}, got ${C.describe(list)}`)
    out.push(list.length)
    list.forEach((l, i) => {
      const w = `${name}[${i}]`
      C.obj(l, w)
      for (const k of Object.keys(l)) if (k !== 'amount' && k !== 'periodMs' && k !== 'burst') throw typeError(`${w}: unknown field ${JSON.stringify(k)}`)
      if (l.amount === undefined) throw typeError(`${w}.amount is missing`)
      if (l.periodMs === undefined) throw typeError(`${w}.periodMs is missing`)
      out.push(u32(l.amount, `${w}.amount`), int(l.periodMs, `${w}.periodMs`),
        l.burst === undefined || l.burst === null ? NaN : u32(l.burst, `${w}.burst`))
    })
    return out
  }

  /** The named slots of a flat value back into a camelCase object (NaN: null). */
  function unflat (n, slots) {
    const o = {}
    const groups = new Set(slots.filter((s) => s.path.length > 1).map((s) => s.path[0]))
    slots.forEach(({ path, kind }, i) => {
      let v = n[i]
      if (v !== v) v = null // eslint-disable-line no-self-compare
      else if (kind === 'bool') v = groups.has(path[0]) ? (v === 1 ? {} : null) : v === 1
      else if (kind && kind !== 'float') v = LISTS[kind][v]
      if (path.length === 1) o[path[0]] = v
      else if (o[path[0]]) o[path[0]][path[1]] = v
    })
    return o
  }

  function limitsOf (n, at) {
    const list = []
    for (let i = 0; i < n[at]; i++) list.push({ amount: n[at + 1 + 3 * i], periodMs: n[at + 2 + 3 * i], burst: n[at + 3 + 3 * i] })
    return list
  }

  // --- readings ------------------------------------------------------------------------------

  const SOURCES = vocab('sources')
  const WAIT_SOURCES = vocab('waitSources')
  const REASONS = vocab('rejectReasons')

  /** One item of a NUL-joined list: NUL as `\x01\x03`, `\x01` as `\x01\x02` (the codec's `split`). */
  function clean (s) {
    return s.indexOf('\0') < 0 && s.indexOf('\x01') < 0 ? s : s.replace(/\x01/g, '\x01\x02').replace(/\0/g, '\x01\x03')
  }
  function unclean (s) { return s.indexOf('\x01') < 0 ? s : s.replace(/\x01\x03/g, '\0').replace(/\x01\x02/g, '\x01') }

  const optInt = (v, name) => (v === undefined || v === null ? NaN : C.int(v, name))
  const flag = (v, name) => +C.bool(v, name)
  function optEnum (v, list, name) {
    if (v === undefined || v === null) return NaN
    const i = list.indexOf(C.str(v, name))
    if (i < 0) throw typeError(`${name}: unknown variant ${JSON.stringify(v)}`)
    return i
  }
  function seq (v, name) {
    if (!Array.isArray(v)) throw typeError(`${name} must be an array, got ${C.describe(v)}`)
    return v
  }

  /** A Reading (camelCase, as parseHeaders returns it) → [numbers, NUL-joined strings]. */
  function reading (r, name = 'reading') {
    C.obj(r, name)
    if (typeof r.status !== 'number') throw typeError(`${name}.status must be a number, got ${C.describe(r.status)}`)
    let skew = NaN
    if (r.dateSkewMs !== undefined && r.dateSkewMs !== null) {
      const v = r.dateSkewMs
      if (typeof v !== 'number') throw typeError(`${name}.dateSkewMs must be a number, got ${C.describe(v)}`)
      if (!Number.isSafeInteger(v)) throw codedError('invalid_number', `${name}.dateSkewMs must be a safe integer, got ${v}`)
      skew = v
    }
    const policies = seq(r.policies, `${name}.policies`)
    const states = seq(r.states, `${name}.states`)
    const rejected = seq(r.rejected, `${name}.rejected`)
    const n = [
      C.int(r.status, `${name}.status`), flag(r.throttled, `${name}.throttled`), optInt(r.retryAfterMs, `${name}.retryAfterMs`),
      flag(r.retryAfterLenient, `${name}.retryAfterLenient`), optInt(r.limit, `${name}.limit`), optInt(r.remaining, `${name}.remaining`),
      optInt(r.resetMs, `${name}.resetMs`), optInt(r.windowMs, `${name}.windowMs`), optEnum(r.source, SOURCES, `${name}.source`),
      optInt(r.waitMs, `${name}.waitMs`), optEnum(r.waitSource, WAIT_SOURCES, `${name}.waitSource`), skew,
      flag(r.capped, `${name}.capped`), policies.length, states.length, rejected.length
    ]
    const s = []
    const pk = (v, w) => {
      if (v === undefined || v === null) return 0
      s.push(clean(C.str(v, w)))
      return 1
    }
    policies.forEach((p, i) => {
      const w = `${name}.policies[${i}]`
      C.obj(p, w)
      s.push(clean(C.str(p.name, `${w}.name`)), clean(C.str(p.quotaUnit, `${w}.quotaUnit`)))
      n.push(C.int(p.quota, `${w}.quota`), optInt(p.windowS, `${w}.windowS`), pk(p.partitionKey, `${w}.partitionKey`))
    })
    states.forEach((x, i) => {
      const w = `${name}.states[${i}]`
      C.obj(x, w)
      s.push(clean(C.str(x.name, `${w}.name`)))
      n.push(C.int(x.remaining, `${w}.remaining`), optInt(x.resetS, `${w}.resetS`), pk(x.partitionKey, `${w}.partitionKey`))
    })
    rejected.forEach((x, i) => {
      const w = `${name}.rejected[${i}]`
      C.obj(x, w)
      s.push(clean(C.str(x.header, `${w}.header`)), clean(C.str(x.value, `${w}.value`)))
      n.push(optEnum(x.reason, REASONS, `${w}.reason`))
    })
    return [Float64Array.from(n), s.join('\0')]
  }

  /**
   * A reading's lists from the engine (`parseHeaders`: the numbers after the 13 scalar slots,
   * comma-joined, NUL, then the strings, in the layout `reading` writes) → {policies, states, rejected}.
   */
  function lists (text) {
    if (text == null) return null
    const cut = text.indexOf('\0')
    const n = text.slice(0, cut).split(',').map(Number)
    const s = text.slice(cut + 1).split('\0').map(unclean)
    let i = 3
    let j = 0
    const pk = (has) => (has === 1 ? s[j++] : null)
    const policies = []
    const states = []
    const rejected = []
    for (let k = 0; k < n[0]; k++, i += 3) {
      const [name, quotaUnit] = [s[j++], s[j++]]
      policies.push({ name, quota: n[i], quotaUnit, windowS: C.nn(n[i + 1]), partitionKey: pk(n[i + 2]) })
    }
    for (let k = 0; k < n[1]; k++, i += 3) {
      const name = s[j++]
      states.push({ name, remaining: n[i], resetS: C.nn(n[i + 1]), partitionKey: pk(n[i + 2]) })
    }
    for (let k = 0; k < n[2]; k++, i++) rejected.push({ header: s[j++], value: s[j++], reason: REASONS[n[i]] })
    return { policies, states, rejected }
  }

  // --- limiter state: the core's JSON; its u64s cross as a BigUint64Array (exact beyond 2^53) --

  const STATE = vocab('limiterState') // `tat[0]`, ..., the core's KeyState fields
  const base = (f) => f.replace(/\[\d+\]$/, '')
  const FIELDS = [...new Set(STATE.map(base))]
  const ARRAYS = {} // field → length, for the array fields (`tat`)
  for (const f of STATE) if (f !== base(f)) ARRAYS[base(f)] = (ARRAYS[base(f)] || 0) + 1
  const NUMBER = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g
  const MARK = '\u0001'

  /** The core's state JSON from the engine's keys (NUL-joined) and numbers (BigUint64Array). */
  function stateJson (keysText, v, size) {
    const keys = keysText === '' && size === 0 ? [] : keysText.split('\0').map(unclean)
    const parts = keys.map((k, i) => {
      const vals = {}
      STATE.forEach((f, j) => { (vals[base(f)] = vals[base(f)] || []).push(v[i * STATE.length + j]) })
      const fields = FIELDS.map((f) => `"${f}":${ARRAYS[f] ? `[${vals[f].join(',')}]` : vals[f][0]}`)
      return `${JSON.stringify(k)}:{${fields.join(',')}}`
    })
    return `{${parts.join(',')}}`
  }

  /** The core's state JSON → [keys (NUL-joined), numbers (BigUint64Array)] for the engine. */
  function stateFlat (text, what = 'limiter state') {
    let o
    try {
      o = JSON.parse(text.replace(NUMBER, (m) => (m[0] === '"' ? m : JSON.stringify(MARK + m))))
    } catch (e) { throw typeError(`${what}: ${e.message}`) }
    C.obj(o, what)
    const keys = Object.keys(o)
    const nums = []
    const int = (x, w) => {
      if (typeof x !== 'string' || x[0] !== MARK) throw typeError(`${w} must be an integer, got ${C.describe(x)}`)
      if (!/^\d+$/.test(x.slice(1)) || BigInt(x.slice(1)) >= 2n ** 64n) throw codedError('invalid_number', `${w} must be an unsigned 64-bit integer, got ${x.slice(1)}`)
      return BigInt(x.slice(1))
    }
    for (const k of keys) {
      const w = `${what}.${k}`
      const s = C.obj(o[k], w)
      for (const f of Object.keys(s)) if (!FIELDS.includes(f)) throw typeError(`${w}: unknown field ${JSON.stringify(f)}`)
      for (const f of FIELDS) {
        if (s[f] === undefined) throw typeError(`${w}: missing field ${JSON.stringify(f)}`)
        if (!ARRAYS[f]) { nums.push(int(s[f], `${w}.${f}`)); continue }
        if (!Array.isArray(s[f]) || s[f].length !== ARRAYS[f]) throw typeError(`${w}.${f} must be an array of ${ARRAYS[f]} integers`)
        s[f].forEach((x, j) => nums.push(int(x, `${w}.${f}[${j}]`)))
      }
    }
    return [keys.map(clean).join('\0'), BigUint64Array.from(nums)]
  }

  return { layout, keysOf, checkKeys, scalars, ints, limits, unflat, limitsOf, reading, lists, stateJson, stateFlat, vocab, int, index }
}
