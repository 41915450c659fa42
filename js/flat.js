'use strict'
// Flat values for the engine (bindings-common's codec): a camelCase object → numbers in the
// order of a layout the engine names (`vocabulary('limiterConfig')` & co.; NaN: the core's
// default), readings and plans → numbers (+ NUL-joined strings) in NATIVE.md's layouts, and back,
// and the core's limiter-state JSON. Enum orders and defaults come from the engine.

const { codedError, typeError } = require('./errors')
const C = require('./convert')

const KINDS = ['', 'int', 'int?', 'skew', 'float', 'bool', 'flag', 'str', 'key']

module.exports = function createFlat (native) {
  const vocab = (name) => native.vocabulary(name).split(',')
  const LISTS = {}
  const RECORDS = {}
  const invalidOption = (m) => codedError('invalid_option', m)

  /**
   * Fields: `path[:kind]` each (a layout the engine names, or a record below; `dflt` the kind of
   * those without one, `prefix` the value's name in messages). Kinds: none an optional safe
   * integer (NaN: null; a bigint too), `int` a required one, `int?` an optional one, `skew` an
   * optional signed one, `float` a finite number, `bool` an optional boolean (an object for a
   * group: on), `flag` a boolean, `str` a string, `key` an optional string (0/1, then the
   * string), `[record]` a list (counts after the scalars, items after the counts), else a
   * vocabulary: the index of a name in it (another name: the error `unknown(message)` makes).
   */
  function fields (text, unknown = invalidOption, dflt = '', prefix = '') {
    const list = text.split(',').map((f) => {
      const [name, kind = dflt] = f.split(':')
      const item = kind[0] === '[' ? RECORDS[kind.slice(1, -1)] : null
      if (!item && !KINDS.includes(kind)) LISTS[kind] = LISTS[kind] || vocab(kind)
      const path = name.split('.')
      const wn = prefix ? `${prefix}.${name}` : name // its name in messages
      return { name, wn, path, a: path[0], b: path[1], kind: item ? '' : kind, item, unknown, group: false }
    })
    for (const f of list) f.group = list.some((g) => g.b !== undefined && g.a === f.name)
    return list
  }

  /** A safe integer >= 0 inside a value (a bigint too, as the core's JSON had it). */
  function int (v, name) {
    if (typeof v !== 'bigint') return C.int(v, name)
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw codedError('invalid_number', `${name} must be 0..2^53 - 1, got ${v}n`)
    return Number(v)
  }

  /** The index of the name `v` in `list` (a vocabulary); another name: the error `unknown` makes. */
  function index (v, list, name, unknown = invalidOption) {
    const i = list.indexOf(C.str(v, name))
    if (i < 0) throw unknown(`${name} must be one of ${list.join(', ')}, got ${JSON.stringify(v)}`)
    return i
  }

  /** One number of a field (see `fields`). */
  function number (v, kind, name, unknown) {
    if (kind === 'int') return C.int(v, name)
    if (kind === 'flag') return +C.bool(v, name)
    if (v === undefined || v === null) return NaN
    if (kind === 'int?') return C.int(v, name)
    if (kind === 'bool') return typeof v === 'object' ? 1 : +C.bool(v, name)
    if (kind !== 'float' && kind !== 'skew') return kind ? index(v, LISTS[kind], name, unknown) : int(v, name)
    if (typeof v !== 'number') throw typeError(`${name} must be a number, got ${C.describe(v)}`)
    if (kind === 'float' ? !Number.isFinite(v) : !Number.isSafeInteger(v)) {
      throw codedError('invalid_number', `${name} must be ${kind === 'float' ? 'finite' : 'a safe integer'}, got ${v}`)
    }
    return v
  }

  const at = (o, path) => path.reduce((v, p) => (v === undefined || v === null || typeof v !== 'object' ? undefined : v[p]), o)

  /** A value's fields: numbers into `n`, strings (escaped) into `s`; `w` names an item. */
  function encode (o, list, w, n, s = []) {
    let lists = null
    for (let k = 0; k < list.length; k++) {
      const { name, b, path, kind, item, unknown, wn: fwn } = list[k]
      const v = b === undefined ? o[name] : at(o, path)
      const wn = w ? `${w}.${name}` : fwn
      if (item && !Array.isArray(v)) throw typeError(`${wn} must be an array, got ${C.describe(v)}`)
      if (item) (lists = lists || []).push(v, item, wn)
      else if (kind === 'str') s.push(clean(C.str(v, wn)))
      else if (kind !== 'key') n.push(number(v, kind, wn, unknown))
      else if (v === undefined || v === null) n.push(0)
      else { n.push(1); s.push(clean(C.str(v, wn))) }
    }
    if (lists === null) return n
    for (let k = 0; k < lists.length; k += 3) n.push(lists[k].length)
    for (let k = 0; k < lists.length; k += 3) {
      for (let i = 0; i < lists[k].length; i++) {
        const wi = `${lists[k + 2]}[${i}]`
        encode(C.obj(lists[k][i], wi), lists[k + 1], wi, n, s)
      }
    }
    return n
  }

  /** A value back from its numbers `n` and strings `s`, read from the cursor `c` on. */
  function decode (n, s, list, c = { i: 0, j: 0 }) {
    const o = {}
    const lists = []
    for (const { a, b, kind, item, group } of list) {
      let v = kind === 'str' ? s[c.j++] : item ? [] : n[c.i++]
      if (item) lists.push([v, item])
      else if (kind === 'key') v = v === 1 ? s[c.j++] : null
      else if (v !== v) v = null // eslint-disable-line no-self-compare
      else if (kind === 'bool') v = group ? (v === 1 ? {} : null) : v === 1
      else if (LISTS[kind]) v = LISTS[kind][v]
      if (b === undefined) o[a] = v
      else if (o[a]) o[a][b] = v
    }
    const counts = lists.map(() => n[c.i++])
    lists.forEach(([l, item], k) => { for (let i = 0; i < counts[k]; i++) l.push(decode(n, s, item, c)) })
    return o
  }

  // --- configurations ------------------------------------------------------------------------

  /** `count, items...` of an optional list of integers; NaN when left out (the core's default). */
  function ints (list, name, out) {
    if (list === undefined || list === null) return out.push(NaN)
    if (!Array.isArray(list)) throw typeError(`${name} must be an array of numbers`)
    out.push(list.length, ...list.map((x, i) => int(x, `${name}[${i}]`)))
  }

  /** `count, (amount, periodMs, burst)...`; a left-out burst is NaN (the core's default). */
  function limits (list, name, out, u32) {
    if (list === undefined || list === null) list = []
    if (!Array.isArray(list)) throw typeError(`${name} must be an array of {amount, periodMs, burst?}, got ${C.describe(list)}`)
    out.push(list.length)
    list.forEach((l, i) => {
      const w = `${name}[${i}]`
      C.obj(l, w)
      for (const k of Object.keys(l)) if (k !== 'amount' && k !== 'periodMs' && k !== 'burst') throw typeError(`${w}: unknown field ${JSON.stringify(k)}`)
      for (const k of ['amount', 'periodMs']) if (l[k] === undefined) throw typeError(`${w}.${k} is missing`)
      out.push(u32(l.amount, `${w}.amount`), int(l.periodMs, `${w}.periodMs`),
        l.burst === undefined || l.burst === null ? NaN : u32(l.burst, `${w}.burst`))
    })
  }

  /**
   * A configuration's encoder (and its `slots`): the layout `name`, then the lists `lists`
   * (`path:ints` or `path:limits`, amounts through `u32`); another option than these and
   * `extra`: invalid_argument (`what` names the value).
   */
  function config (name, what, lists, { unknown, extra = [], u32 = int } = {}) {
    const slots = fields(native.vocabulary(name), unknown)
    const more = lists.map((l) => { const [n, kind] = l.split(':'); return { path: n.split('.'), kind } })
    const keys = { '': new Set(extra) } // the names each level accepts
    for (const { path: [a, b] } of [...slots, ...more]) {
      keys[''].add(a)
      if (b !== undefined) (keys[a] = keys[a] || new Set()).add(b)
    }
    const encoder = (o) => {
      for (const [level, known] of Object.entries(keys)) {
        const v = level ? o[level] : o
        if (v === undefined || v === null || typeof v !== 'object') continue
        C.obj(v, level || what)
        for (const k of Object.keys(v)) {
          if (v[k] !== undefined && !known.has(k)) throw typeError(`unknown ${level || what} option ${JSON.stringify(k)}`)
        }
      }
      const out = encode(o, slots, '', [])
      for (const { path, kind } of more) (kind === 'ints' ? ints : limits)(at(o, path), path.join('.'), out, u32)
      return Float64Array.from(out)
    }
    return Object.assign(encoder, { slots })
  }

  // --- readings, limits and plans: NATIVE.md's layouts ----------------------------------------

  RECORDS.rejection = fields('header:str,value:str,reason:rejectReasons', typeError)
  RECORDS.state = fields('name:str,remaining:int,resetS,partitionKey:key', typeError, 'int?')
  RECORDS.policy = fields('name:str,quota:int,quotaUnit:str,windowS,partitionKey:key', typeError, 'int?')
  RECORDS.limit = fields('amount,periodMs,burst')
  RECORDS.batch = fields(native.vocabulary('batch'), typeError, 'int')
  const READING_LISTS = fields('policies:[policy],states:[state],rejected:[rejection]', typeError, '', 'reading')
  const PLAN = fields('batches:[batch],start:int,finishAt:int,durationMs:int', typeError, '', 'previous')
  const LIMITS = fields('limits:[limit]')

  /** One item of a NUL-joined list: NUL as `\x01\x03`, `\x01` as `\x01\x02` (the codec's `split`). */
  function clean (s) {
    return s.indexOf('\0') < 0 && s.indexOf('\x01') < 0 ? s : s.replace(/\x01/g, '\x01\x02').replace(/\0/g, '\x01\x03')
  }
  function unclean (s) { return s.indexOf('\x01') < 0 ? s : s.replace(/\x01\x03/g, '\0').replace(/\x01\x02/g, '\x01') }

  // A reading's scalars are written out, both ways: a generic loop over their names measured
  // parseHeaders 1.8x and Backoff#decide 1.4x on napi (BENCHMARKS.md, the second pass).

  /** A Reading (camelCase, as parseHeaders returns it) → [numbers, NUL-joined strings]. */
  function reading (r) {
    const s = []
    const n = [number(C.obj(r, 'reading').status, 'int', 'reading.status'), number(r.throttled, 'flag', 'reading.throttled'),
      number(r.retryAfterMs, 'int?', 'reading.retryAfterMs'), number(r.retryAfterLenient, 'flag', 'reading.retryAfterLenient'),
      number(r.limit, 'int?', 'reading.limit'), number(r.remaining, 'int?', 'reading.remaining'),
      number(r.resetMs, 'int?', 'reading.resetMs'), number(r.windowMs, 'int?', 'reading.windowMs'),
      number(r.source, 'sources', 'reading.source', typeError), number(r.waitMs, 'int?', 'reading.waitMs'),
      number(r.waitSource, 'waitSources', 'reading.waitSource', typeError), number(r.dateSkewMs, 'skew', 'reading.dateSkewMs'),
      number(r.capped, 'flag', 'reading.capped')]
    return [Float64Array.from(encode(r, READING_LISTS, '', n, s)), s.join('\0')]
  }

  /**
   * The Reading from parseHeaders' `out` (the scalars `reading` writes; NaN: null) and its lists
   * (their numbers, comma-joined, NUL, then their strings; null: none).
   */
  function readingOf (s, text) {
    const cut = text == null ? -1 : text.indexOf('\0')
    const l = cut < 0 ? { policies: [], states: [], rejected: [] }
      : decode(text.slice(0, cut).split(',').map(Number), text.slice(cut + 1).split('\0').map(unclean), READING_LISTS)
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
      policies: l.policies,
      states: l.states,
      waitMs: nn(s[9]),
      waitSource: s[10] !== s[10] ? null : WAIT_SOURCES[s[10]], // eslint-disable-line no-self-compare
      dateSkewMs: nn(s[11]),
      capped: s[12] === 1,
      rejected: l.rejected
    }
  }

  const { nn } = C
  const SOURCES = LISTS.sources = vocab('sources')
  const WAIT_SOURCES = LISTS.waitSources = vocab('waitSources')
  const plan = (p) => Float64Array.from(encode(C.obj(p, 'previous'), PLAN, '', []))
  const planOf = (n) => decode(n, [], PLAN)
  /** The limits of a flat configuration (`count, (amount, periodMs, burst)...` from `i` on). */
  const limitsOf = (n, i) => decode(n, [], LIMITS, { i, j: 0 }).limits

  // --- limiter state: the core's JSON; its u64s cross as a BigUint64Array (exact beyond 2^53) --

  // The core's KeyState fields: [name, its slots in `vocabulary('limiterState')`, an array?].
  const STATE = vocab('limiterState') // `tat[0]`, `tat[1]`, ..., `learned_tat`, ...
  const FIELDS = []
  STATE.forEach((f, j) => {
    const name = f.replace(/\[\d+\]$/, '')
    const last = FIELDS[FIELDS.length - 1]
    if (last && last[0] === name) last[1].push(j)
    else FIELDS.push([name, [j], name !== f])
  })
  const NUMBER = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g
  const MARK = '\u0001'

  /** The core's state JSON from the engine's keys (NUL-joined) and numbers (BigUint64Array). */
  function stateJson (keysText, v, size) {
    const keys = keysText === '' && size === 0 ? [] : keysText.split('\0').map(unclean)
    const parts = keys.map((k, i) => {
      const val = (j) => v[i * STATE.length + j]
      const fields = FIELDS.map(([f, js, array]) => `"${f}":${array ? `[${js.map(val).join(',')}]` : val(js[0])}`)
      return `${JSON.stringify(k)}:{${fields.join(',')}}`
    })
    return `{${parts.join(',')}}`
  }

  /** The core's state JSON → [keys (NUL-joined), numbers (BigUint64Array)] for the engine. */
  function stateFlat (text) {
    const what = 'limiter state'
    let o
    try {
      o = JSON.parse(text.replace(NUMBER, (m) => (m[0] === '"' ? m : JSON.stringify(MARK + m))))
    } catch (e) { throw typeError(`${what}: ${e.message}`) }
    C.obj(o, what)
    const keys = Object.keys(o)
    const nums = []
    const u64 = (x, w) => {
      if (typeof x !== 'string' || x[0] !== MARK) throw typeError(`${w} must be an integer, got ${C.describe(x)}`)
      if (!/^\d+$/.test(x.slice(1)) || BigInt(x.slice(1)) >= 2n ** 64n) throw codedError('invalid_number', `${w} must be an unsigned 64-bit integer, got ${x.slice(1)}`)
      nums.push(BigInt(x.slice(1)))
    }
    for (const k of keys) {
      const w = `${what}.${k}`
      const s = C.obj(o[k], w)
      for (const f of Object.keys(s)) if (!FIELDS.some(([g]) => g === f)) throw typeError(`${w}: unknown field ${JSON.stringify(f)}`)
      for (const [f, js, array] of FIELDS) {
        if (s[f] === undefined) throw typeError(`${w}: missing field ${JSON.stringify(f)}`)
        if (!array) u64(s[f], `${w}.${f}`)
        else if (!Array.isArray(s[f]) || s[f].length !== js.length) throw typeError(`${w}.${f} must be an array of ${js.length} integers`)
        else s[f].forEach((x, j) => u64(x, `${w}.${f}[${j}]`))
      }
    }
    return [keys.map(clean).join('\0'), BigUint64Array.from(nums)]
  }

  return { vocab, index, config, decode, reading, readingOf, plan, planOf, limitsOf, stateJson, stateFlat }
}
