// Property tests at the boundary (fast-check), against the napi or the WASM package (impl.cjs):
// any value into any public entry gives a result or a coded error of the right class — a
// TypeError with `.code` 'invalid_argument', or a RangeError with another code of errorCodes() —
// never an uncoded error, a crash, a call over 100 ms, an unsafe integer in a result, or memory
// that keeps growing.
//
// Run counts are fixed (1,000 runs per property, seeded by PACEKEEPER_FC_SEED or a fixed seed),
// so the suite takes about 10-15 s per engine; `PACEKEEPER_FC_RUNS=n` runs more. The numbers
// measured (calls, longest call) are printed as test diagnostics.
import test from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import path from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'

const require = createRequire(import.meta.url)
const { pk, impl, root } = require('./impl.cjs')
// fast-check is a devDependency of both packages (bindings-node, bindings-wasm).
const fc = createRequire(path.join(root, impl === 'wasm' ? 'bindings-wasm' : 'bindings-node', 'package.json'))('fast-check')

const RUNS = Number(process.env.PACEKEEPER_FC_RUNS || 1000)
const SEED = Number(process.env.PACEKEEPER_FC_SEED || 20261129)
const CALL_LIMIT_MS = 100
const CODES = new Set(pk.errorCodes())
const NOW = 1_700_000_000_000
const MAX = Number.MAX_SAFE_INTEGER

v8.setFlagsFromString('--expose-gc')
const gc = globalThis.gc || vm.runInNewContext('gc')

// --- arbitrary values ---------------------------------------------------------------------

const specialNumbers = fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.5, 2.5, 1e-300,
  Number.MIN_VALUE, Number.EPSILON, 255, 256, 599, 600, 1000, 1001, 10_001, 65_535, 65_536,
  2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 2, MAX, 2 ** 53, 2 ** 53 + 2, 2 ** 64,
  1e21, 1e300, -1e300, Number.MAX_VALUE, -MAX, NOW)
const strings = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', 'k', '\uD800', 'a\uDC00b', '\uDBFF\uDFFF', '\0', 'a\nb', 'Retry-After', 'retry-after',
    '429', '1e3', '-1', 'NaN', 'auto', 'epoch_seconds', 'full', 'none', 'done', 'throttled', 'failed',
    'k'.repeat(256), 'k'.repeat(257), 'x'.repeat(100_000), '\uD800'.repeat(1000))
)
const scalars = fc.oneof(
  specialNumbers, fc.double(), fc.integer(), fc.nat({ max: MAX }),
  fc.bigInt(), fc.constantFrom(0n, 1n, -1n, 2n ** 53n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 63n)),
  strings, fc.boolean(), fc.constantFrom(null, undefined), fc.constant(Symbol('s')),
  fc.constant(() => 1), fc.constant(new Date(0)), fc.constant(new Map([['a', 'b']]))
)
/** Any JS value: scalars, objects, arrays and fast-check's own `anything`. */
const anyValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    { arbitrary: scalars, weight: 6 },
    { arbitrary: fc.array(tie('value'), { maxLength: 4 }), weight: 1 },
    { arbitrary: fc.dictionary(strings, tie('value'), { maxKeys: 4 }), weight: 1 },
    { arbitrary: fc.anything({ maxDepth: 2, withBigInt: true, withNullPrototype: true, withBoxedValues: true, withSparseArray: true }), weight: 1 })
})).value

/** A valid value most of the time, anything otherwise (so calls get past the first check). */
const mostly = (valid) => fc.oneof({ arbitrary: valid, weight: 3 }, { arbitrary: anyValue, weight: 1 })
const time = mostly(fc.oneof(fc.integer({ min: 0, max: MAX }), fc.constantFrom(0, NOW, MAX, MAX - 1, MAX - 1000)))
const count = (max) => mostly(fc.integer({ min: 0, max }))
const optional = (arb) => fc.option(arb, { nil: undefined })

const limit = fc.record({ amount: count(1_000_001), periodMs: mostly(fc.integer({ min: 0, max: 2 ** 33 })), burst: optional(count(1_000_001)) },
  { requiredKeys: ['amount', 'periodMs'] })
const adaptive = fc.oneof(fc.boolean(), fc.constant(null), fc.record({
  initialMilliRps: optional(count(2e9)), minMilliRps: optional(count(2e9)), maxMilliRps: optional(count(2e9)),
  decreasePercent: optional(count(200)), increasePercent: optional(count(200))
}, { requiredKeys: [] }))
const limiterOptions = mostly(fc.record({
  limits: optional(mostly(fc.array(mostly(limit), { maxLength: 4 }))),
  learn: optional(mostly(fc.boolean())),
  adaptive: optional(mostly(adaptive)),
  maxInFlight: optional(mostly(fc.option(count(10))))
}, { requiredKeys: [] }))
const header = fc.tuple(mostly(fc.constantFrom('Retry-After', 'RateLimit', 'RateLimit-Policy', 'X-RateLimit-Remaining',
  'X-RateLimit-Reset', 'X-RateLimit-Limit', 'inin-ratelimit-count', 'inin-ratelimit-allowed', 'Date', 'X-Shopify-Shop-Api-Call-Limit')),
mostly(fc.oneof(fc.constantFrom('30', '0', '1e9', '9007199254740993', '"p";q=1;w=4294967', '"p";r=0;t=99999999999', '40/40',
  'Wed, 21 Oct 2015 07:28:00 GMT', '-1', ''), fc.string(), fc.nat().map(String))))
const headers = mostly(fc.oneof(fc.array(header, { maxLength: 6 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 4 })))
const response = mostly(fc.record({ status: mostly(fc.constantFrom(200, 429, 503, 404, 99, 600)), headers, body: optional(mostly(fc.string())) },
  { requiredKeys: ['status', 'headers'] }))
const parseOptions = mostly(fc.record({ now: optional(time), maxWaitMs: optional(time), resetMode: optional(mostly(fc.constantFrom('auto', 'epoch_seconds', 'epoch_millis', 'delta_seconds', 'delta_millis'))) },
  { requiredKeys: [] }))
const policy = mostly(fc.record({
  baseMs: optional(count(2 ** 33)), multiplier: optional(mostly(fc.double({ min: 0, max: 2000 }))), capMs: optional(count(2 ** 33)),
  jitter: optional(mostly(fc.constantFrom('none', 'full', 'equal', 'decorrelated'))), maxAttempts: optional(count(2000)),
  deadlineMs: optional(mostly(fc.option(count(2 ** 33)))), retryStatuses: optional(mostly(fc.array(count(700), { maxLength: 5 }))),
  retryNetworkErrors: optional(mostly(fc.boolean())), hintSpreadPercent: optional(count(200)), maxWaitMs: optional(count(2 ** 33))
}, { requiredKeys: [] }))
const seed = mostly(fc.oneof(fc.nat({ max: MAX }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })))
const planRequest = mostly(fc.record({
  records: optional(count(200_000)), sizes: optional(mostly(fc.option(fc.array(count(1e9), { maxLength: 50 })))),
  maxBatchRecords: count(2_000_000), maxBatchBytes: optional(mostly(fc.option(count(1e12)))), overheadBytes: optional(count(1e6)),
  limits: optional(mostly(fc.array(mostly(limit), { maxLength: 3 }))), costPerBatch: optional(count(2e6))
}, { requiredKeys: [] }))
const outcome = mostly(fc.record({ status: mostly(fc.constantFrom('done', 'failed', 'throttled')), index: count(100), retryAt: optional(time) },
  { requiredKeys: ['status', 'index'] }))
const key = mostly(fc.oneof(fc.constantFrom('k', 'tenant-a'), fc.string({ minLength: 1, maxLength: 8 })))
const cost = optional(count(1_000_001))

// --- the check ----------------------------------------------------------------------------

const stats = { calls: 0, errors: 0, retimed: 0, maxMs: 0, slowest: '', planMaxMs: 0, planBatches: 0, maxWallMs: 0 }

/** Every number in a result is a safe integer (no rounded time, count or duration). */
function safeNumbers (v, where, seen = new Set()) {
  if (typeof v === 'number') {
    assert.ok(Number.isSafeInteger(v), `${where}: ${v} is not a safe integer`)
    return
  }
  if (v === null || typeof v !== 'object' || seen.has(v)) return
  seen.add(v)
  for (const [k, x] of Object.entries(v)) safeNumbers(x, `${where}.${k}`, seen)
}

/** A string for any value (String() throws for symbols and objects without a primitive). */
function show (v) {
  try { return typeof v === 'string' ? JSON.stringify(v) : String(v) } catch { return '0' }
}

/**
 * The time a call may take: 100 ms, plus for a plan 20 µs per batch it returns (a plan is
 * plain data, one object per batch: 1,000,000 batches, the core's limit, take about 5 s in
 * either engine, most of it JSON.parse and the camelCase copy; see the final report).
 */
const PER_BATCH_MS = 0.02
const planLimit = (r) => CALL_LIMIT_MS + PER_BATCH_MS * ((r && r.batches && r.batches.length) || 0)

/**
 * Calls `f`: a result (checked by `check`), or a coded error of the right class, in time. The
 * time is the process's CPU time (user + system, all threads: a loop, a blow-up or the GC work
 * it causes all count), not the wall clock, which on a loaded machine also counts the time
 * the process waited for a core. The wall clock is reported beside it. A call over its limit is
 * timed once more before it fails (its first outcome is the one checked): V8's background
 * threads (a concurrent collection or compilation of earlier work) count too, and one of them
 * running during a single call went over 100 ms in 2 of 25 runs of `tests/js` on the loaded
 * 2-core machine; a loop or a blow-up is slow again.
 */
function call (label, f, check = (r) => safeNumbers(r, label), limitOf = () => CALL_LIMIT_MS) {
  const timed = () => {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    let result
    let error = null
    try { result = f() } catch (e) { error = e }
    const wall = performance.now() - t0
    const c = process.cpuUsage(c0)
    return { result, error, wall, ms: (c.user + c.system) / 1000 }
  }
  const first = timed()
  const { result, error } = first
  let { ms, wall } = first
  stats.calls++
  const limitMs = limitOf(result)
  if (ms >= limitMs) {
    stats.retimed++
    const again = timed()
    if (again.ms < ms) ({ ms, wall } = again)
  }
  if (limitMs > CALL_LIMIT_MS) {
    if (ms > stats.planMaxMs) { stats.planMaxMs = ms; stats.planBatches = Math.round((limitMs - CALL_LIMIT_MS) / PER_BATCH_MS) }
  } else {
    if (ms > stats.maxMs) { stats.maxMs = ms; stats.slowest = label }
    if (wall > stats.maxWallMs) stats.maxWallMs = wall
  }
  assert.ok(ms < limitMs, `${label} took ${ms.toFixed(1)} ms of CPU (limit ${limitMs.toFixed(0)} ms, wall ${wall.toFixed(1)} ms)`)
  if (error === null) {
    check(result)
    return { ok: true, result }
  }
  stats.errors++
  assert.ok(error instanceof Error, `${label} threw a non-Error: ${String(error)}`)
  assert.ok(CODES.has(error.code), `${label} threw an uncoded ${error.constructor.name}: ${error.message}`)
  const want = error.code === 'invalid_argument' ? TypeError : RangeError
  assert.ok(error instanceof want, `${label}: ${error.code} is a ${error.constructor.name}, want a ${want.name} (${error.message})`)
  return { ok: false, error }
}

const fcOptions = (n = RUNS) => ({ numRuns: n, seed: SEED, endOnFailure: true })

/** [JS heap + external + array buffers, RSS] after a full collection (RSS also holds the
 * addon's own allocations and the WASM linear memory). */
function memory () {
  gc(); gc()
  const m = process.memoryUsage()
  return [m.heapUsed + m.external + m.arrayBuffers, m.rss]
}

// --- properties ---------------------------------------------------------------------------

test(`${impl}: parseHeaders takes any value`, () => {
  fc.assert(fc.property(response, parseOptions, (r, o) => {
    call('parseHeaders', () => pk.parseHeaders(r, o))
  }), fcOptions())
})

test(`${impl}: new Limiter and Limiter.fromJSON take any value`, () => {
  fc.assert(fc.property(limiterOptions, (o) => {
    const made = call('new Limiter', () => new pk.Limiter(o), () => {})
    if (made.ok) {
      const saved = call('toJSON', () => made.result.toJSON(), () => {})
      if (saved.ok) call('fromJSON(toJSON)', () => pk.Limiter.fromJSON(JSON.parse(JSON.stringify(saved.result))), () => {})
    }
  }), fcOptions())
  fc.assert(fc.property(anyValue, (saved) => {
    call('fromJSON', () => pk.Limiter.fromJSON(saved), () => {})
  }), fcOptions())
  // A saved limiter with its state string edited: a number of the state replaced by anything.
  const base = new pk.Limiter({ limits: [{ amount: 5, periodMs: 1000 }] })
  base.check('k', 1, NOW)
  const saved = base.toJSON()
  fc.assert(fc.property(anyValue, fc.nat({ max: 9 }), (v, i) => {
    let n = 0
    const state = saved.state.replace(/\d+/g, (m) => (n++ === i ? show(v) : m))
    call('fromJSON(edited state)', () => pk.Limiter.fromJSON({ config: saved.config, state }), () => {})
  }), fcOptions())
})

test(`${impl}: every Limiter method takes any value, in any order`, () => {
  const op = fc.oneof(
    fc.record({ m: fc.constantFrom('check', 'peek', 'reserve'), key, cost, now: optional(time) }),
    fc.record({ m: fc.constant('observe'), key, reading: mostly(fc.tuple(response, parseOptions)), now: optional(time) }),
    fc.record({ m: fc.constant('blockUntil'), key, until: time }),
    fc.record({ m: fc.constantFrom('acquire', 'release'), key }),
    fc.record({ m: fc.constant('prune'), now: optional(time) }),
    fc.record({ m: fc.constant('roundTrip') })
  )
  fc.assert(fc.property(limiterOptions, fc.array(op, { minLength: 1, maxLength: 12 }), (o, ops) => {
    const made = call('new Limiter', () => new pk.Limiter(o), () => {})
    let l = made.ok ? made.result : new pk.Limiter({ limits: [{ amount: 3, periodMs: 1000 }], adaptive: {} })
    for (const s of ops) {
      if (s.m === 'observe') {
        // A reading from parseHeaders when the pair parses, else the raw value.
        let reading = s.reading
        if (Array.isArray(reading) && reading.length === 2) {
          const r = call('parseHeaders', () => pk.parseHeaders(reading[0], reading[1]))
          if (r.ok) reading = r.result
        }
        call('observe', () => l.observe(s.key, reading, s.now))
      } else if (s.m === 'roundTrip') {
        const saved = call('toJSON', () => l.toJSON(), () => {})
        if (saved.ok) {
          const back = call('fromJSON', () => pk.Limiter.fromJSON(saved.result), () => {})
          assert.ok(back.ok, `fromJSON(toJSON()) failed: ${back.error && back.error.message}`)
          l = back.result
        }
      } else if (s.m === 'prune') {
        call('prune', () => l.prune(s.now))
      } else if (s.m === 'blockUntil') {
        call('blockUntil', () => l.blockUntil(s.key, s.until))
      } else if (s.m === 'acquire' || s.m === 'release') {
        call(s.m, () => l[s.m](s.key))
      } else {
        const r = call(s.m, () => l[s.m](s.key, s.cost, s.now))
        if (r.ok && r.result.decision === 'wait') {
          assert.ok(r.result.until <= MAX && r.result.waitMs >= 1, `${s.m}: ${JSON.stringify(r.result)}`)
        }
      }
    }
  }), fcOptions())
})

test(`${impl}: new Backoff, decide, delayMs and schedule take any value`, () => {
  fc.assert(fc.property(policy, (p) => {
    call('new Backoff', () => new pk.Backoff(p), () => {})
  }), fcOptions())
  const b = new pk.Backoff({ multiplier: 1.5, maxAttempts: 1000 })
  fc.assert(fc.property(count(2 ** 33), time, seed, (n, prev, s) => {
    call('delayMs', () => b.delayMs(n, prev, s))
  }), fcOptions())
  fc.assert(fc.property(seed, count(20_000), (s, n) => {
    const r = call('schedule', () => b.schedule(s, n))
    if (r.ok) assert.ok(r.result.length === n && n <= 1000, `schedule(${n}) gave ${r.result.length} delays`)
    else if (Number.isSafeInteger(n) && n > 1000 && Number.isSafeInteger(s) && s >= 0) assert.equal(r.error.code, 'invalid_number')
  }), fcOptions())
  const retryState = mostly(fc.record({
    attempts: count(5000), startedAt: time, seed, prevDelayMs: time, lastHintMs: mostly(fc.option(time)), shortHints: count(100)
  }))
  const budget = optional(mostly(fc.option(fc.record({
    capacity: count(1000), tokens: count(1000), retryCost: count(100), networkCost: count(100), successRefund: count(10)
  }, { requiredKeys: [] }))))
  fc.assert(fc.property(policy, mostly(fc.tuple(time, seed)), retryState, mostly(fc.option(fc.tuple(response, parseOptions))), optional(time), budget,
    (p, fresh, st, rr, now, bud) => {
      const made = call('new Backoff', () => new pk.Backoff(p), () => {})
      const backoff = made.ok ? made.result : b
      let state = st
      if (Array.isArray(fresh) && fresh.length === 2) {
        const s = call('newRetryState', () => pk.newRetryState(fresh[0], fresh[1]), () => {})
        if (s.ok) state = s.result
      }
      let reading = rr
      if (Array.isArray(rr) && rr.length === 2) {
        const r = call('parseHeaders', () => pk.parseHeaders(rr[0], rr[1]))
        if (r.ok) reading = r.result
      }
      for (let i = 0; i < 3; i++) {
        const d = call('decide', () => backoff.decide(state, reading, now, bud))
        if (!d.ok || d.result.decision !== 'retry') break
        assert.ok(d.result.at <= MAX, JSON.stringify(d.result))
      }
    }), fcOptions())
})

test(`${impl}: plan and replan take any value`, () => {
  fc.assert(fc.property(planRequest, optional(time), (req, now) => {
    const p = call('plan', () => pk.plan(req, now), undefined, planLimit)
    if (p.ok) assert.ok(p.result.batches.length <= 1_000_000)
  }), fcOptions())
  fc.assert(fc.property(planRequest, mostly(fc.constant(null)), fc.array(outcome, { maxLength: 5 }), optional(time), (req, prev, outs, now) => {
    let previous = prev
    if (prev === null) {
      const p = call('plan', () => pk.plan(req, NOW), undefined, planLimit)
      if (!p.ok) return
      previous = p.result
    }
    // Linear in the previous plan too (it crosses the boundary as data before anything else).
    const before = (previous && Array.isArray(previous.batches) && previous.batches.length) || 0
    call('replan', () => pk.replan(req, previous, outs, now), undefined, (r) => planLimit(r) + PER_BATCH_MS * before)
  }), fcOptions())
})

test(`${impl}: the results near 2^53 are safe integers (times end at 2^53 - 1)`, () => {
  // Whatever the limit, the time or the state, no verdict or decision is rounded.
  fc.assert(fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: MAX - 100_000_000, max: MAX }),
    fc.array(fc.constantFrom('check', 'reserve', 'peek'), { minLength: 1, maxLength: 30 }),
    (amount, periodMs, now, ops) => {
      const l = new pk.Limiter({ limits: [{ amount, periodMs, burst: Math.min(amount, 3) }] })
      for (const m of ops) {
        const r = call(m, () => l[m]('k', 1, now))
        assert.ok(r.ok)
        if (r.result.decision === 'allow') continue
        if (r.result.decision === 'wait') assert.equal(r.result.until - now, r.result.waitMs)
        else assert.deepEqual(r.result, { decision: 'never', cost: 1, capacity: 0 })
      }
    }), fcOptions())
  const b = new pk.Backoff()
  const throttle = pk.parseHeaders({ status: 429, headers: [['Retry-After', '100']] }, { now: MAX })
  fc.assert(fc.property(fc.integer({ min: MAX - 1_000_000, max: MAX }), (now) => {
    const d = call('decide', () => b.decide(pk.newRetryState(now, 1), throttle, now))
    assert.ok(d.ok)
    if (d.result.decision === 'retry') assert.ok(d.result.at <= MAX && d.result.at - now === d.result.delayMs)
    else assert.equal(d.result.reason, 'deadline')
  }), fcOptions())
})

test(`${impl}: memory stays bounded over repeated hostile calls`, () => {
  // The same hostile mix twice after a warm-up: the second round must not keep what it made.
  const round = (tag) => {
    const l = new pk.Limiter({ limits: [{ amount: 10, periodMs: 1000 }] })
    const b = new pk.Backoff()
    fc.assert(fc.property(anyValue, anyValue, anyValue, (a, c, d) => {
      call('check', () => l.check(typeof a === 'string' ? a + tag : a, c, d))
      call('parseHeaders', () => pk.parseHeaders({ status: 429, headers: [['Retry-After', show(a).slice(0, 50)]] }, { now: NOW }))
      call('schedule', () => b.schedule(c, d))
      // Small plans only here (a plan's cost is linear in its batches, checked above).
      call('plan', () => pk.plan({ maxBatchRecords: c, records: typeof d === 'number' ? d % 5000 : d }, NOW), undefined, planLimit)
    }), { numRuns: RUNS, seed: SEED + tag.length })
    l.prune(NOW + 10_000_000)
  }
  round('warm')
  const [heap0, rss0] = memory()
  round('second')
  round('third-round')
  const [heap1, rss1] = memory()
  const grew = (heap1 - heap0) / 2 ** 20
  const rssGrew = (rss1 - rss0) / 2 ** 20
  stats.memory = `heap + external ${grew.toFixed(1)} MB, RSS ${rssGrew.toFixed(1)} MB over two more rounds of ${RUNS} runs`
  assert.ok(grew < 16, `heap + external grew ${grew.toFixed(1)} MB`)
  assert.ok(rssGrew < 48, `RSS grew ${rssGrew.toFixed(1)} MB`)
})

test(`${impl}: measured`, (t) => {
  t.diagnostic(`${stats.calls} calls (${stats.errors} coded errors, ${stats.retimed} timed twice), runs per property ${RUNS}, seed ${SEED}; ` +
    `longest call ${stats.maxMs.toFixed(1)} ms of CPU (${stats.slowest}); longest plan/replan ${stats.planMaxMs.toFixed(1)} ms (${stats.planBatches} batches in and out); ` +
    `longest wall time of a call other than plan/replan ${stats.maxWallMs.toFixed(1)} ms; memory: ${stats.memory}`)
  assert.ok(stats.calls > 0)
})

test(`${impl}: a policy's multiplier crosses the boundary exactly`, () => {
  // Found by tests/js/differential.test.mjs: napi read 104.28117456986473 back from its JSON as
  // 104.28117456986472 (serde_json without float_roundtrip), so its delays could differ from WASM's.
  fc.assert(fc.property(fc.double({ min: 1, max: 1000, noNaN: true }), (m) => {
    assert.equal(new pk.Backoff({ multiplier: m }).policy.multiplier, m)
  }), fcOptions())
  assert.equal(new pk.Backoff({ multiplier: 104.28117456986473 }).policy.multiplier, 104.28117456986473)
})
