'use strict'
// What only the WebAssembly build can get wrong: default seeds from crypto, schedules
// equal to the native ones bit for bit (u64 seeds included), and bad input that must come back as
// a coded TypeError/RangeError — never `RuntimeError: unreachable`, never a poisoned module.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const pk = require('pacekeeper-wasm')
const wasm = require('../pkg-node/pacekeeper_wasm.js')
const root = path.resolve(__dirname, '..', '..')
const U64_MAX = (1n << 64n) - 1n

test('default seeds come from crypto.getRandomValues: 53 bits, a safe integer', () => {
  const seeds = new Set()
  for (let i = 0; i < 64; i++) {
    const s = pk.newRetryState(0).seed
    assert.ok(Number.isSafeInteger(s) && s >= 0, String(s))
    seeds.add(s)
  }
  assert.equal(seeds.size, 64, 'random seeds repeat')
  // With crypto.getRandomValues replaced, the seed is exactly the bits it wrote.
  const out = execFileSync(process.execPath, ['-e', `
    Object.defineProperty(globalThis.crypto, 'getRandomValues', { value: (a) => { new Uint8Array(a.buffer).fill(0xab); return a }, configurable: true })
    console.log(require('.').newRetryState(0).seed.toString(16))`], { cwd: path.join(root, 'bindings-wasm'), encoding: 'utf8' })
  assert.equal(out.trim(), (((0xabababab & 0x1fffff) * 2 ** 32) + 0xabababab).toString(16))
})

test('newRetryState without a seed gets a seed a schedule can use', () => {
  const s = pk.newRetryState(0)
  const t = typeof s.seed
  assert.ok(t === 'number' || t === 'bigint', t)
  const b = new pk.Backoff({ jitter: 'full' })
  assert.equal(b.schedule(s.seed, 5).length, 5)
})

test('schedules equal the napi addon\'s bit for bit', (t) => {
  let napi
  try { napi = require(path.join(root, 'bindings-node')) } catch (e) {
    if (process.env.CI) throw e // never a silent skip in CI
    return t.skip(`bindings-node not built: ${e.message}`)
  }
  const seeds = [0, 1, 42, 2 ** 53 - 1, 2n ** 53n, 12345678901234567890n, U64_MAX]
  for (let i = 0; i < 40; i++) seeds.push(BigInt.asUintN(64, BigInt(i) * 0x9e3779b97f4a7c15n))
  for (const jitter of ['none', 'full', 'equal', 'decorrelated']) {
    const policy = { baseMs: 100, multiplier: 1.7, capMs: 30_000, jitter, maxAttempts: 20 }
    const a = new pk.Backoff(policy)
    const b = new napi.Backoff(policy)
    for (const seed of seeds) {
      assert.deepEqual(a.schedule(seed, 20), b.schedule(seed, 20), `${jitter} seed ${seed}`)
      assert.equal(a.delayMs(3, 700, seed), b.delayMs(3, 700, seed))
    }
  }
})

// Calls that must each throw a coded error. Each entry: [name, fn, expected class].
function badCalls () {
  const lim = new pk.Limiter({ limits: [{ amount: 5, periodMs: 1000 }] })
  const bo = new pk.Backoff()
  const st = pk.newRetryState(0, 1)
  const R = RangeError
  const T = TypeError
  const big = 2 ** 60
  return [
    ['parseHeaders(null)', () => pk.parseHeaders(null), T],
    ['parseHeaders status NaN', () => pk.parseHeaders({ status: NaN, headers: [] }, { now: 0 }), R],
    ['parseHeaders status 99', () => pk.parseHeaders({ status: 99, headers: [] }, { now: 0 }), R],
    ['parseHeaders status 70000', () => pk.parseHeaders({ status: 70000, headers: [] }, { now: 0 }), R],
    ['parseHeaders now -1', () => pk.parseHeaders({ status: 200, headers: [] }, { now: -1 }), R],
    ['parseHeaders now 2^60', () => pk.parseHeaders({ status: 200, headers: [] }, { now: big }), R],
    ['parseHeaders maxWaitMs 0', () => pk.parseHeaders({ status: 200, headers: [] }, { now: 0, maxWaitMs: 0 }), R],
    ['parseHeaders resetMode', () => pk.parseHeaders({ status: 200, headers: [] }, { now: 0, resetMode: 'x' }), R],
    ['parseHeaders header number name', () => pk.parseHeaders({ status: 200, headers: [[1, 'x']] }, { now: 0 }), T],
    ['Limiter amount 0', () => new pk.Limiter({ limits: [{ amount: 0, periodMs: 1000 }] }), R],
    ['Limiter amount 2^40', () => new pk.Limiter({ limits: [{ amount: 2 ** 40, periodMs: 1000 }] }), R],
    ['Limiter period 1.5', () => new pk.Limiter({ limits: [{ amount: 1, periodMs: 1.5 }] }), R],
    ['Limiter four limits', () => new pk.Limiter({ limits: [1, 2, 3, 4].map((a) => ({ amount: a, periodMs: 1000 })) }), R],
    ['Limiter unknown option', () => new pk.Limiter({ limitz: [] }), T],
    ['Limiter adaptive bad', () => new pk.Limiter({ adaptive: { minMilliRps: 0 } }), R],
    ['check cost 0', () => lim.check('k', 0, 0), R],
    ['check cost 2^33', () => lim.check('k', 2 ** 33, 0), R],
    ['check key empty', () => lim.check('', 1, 0), R],
    ['check key long', () => lim.check('k'.repeat(300), 1, 0), R],
    ['check key number', () => lim.check(5, 1, 0), T],
    ['check now NaN', () => lim.check('k', 1, NaN), R],
    ['check now Infinity', () => lim.check('k', 1, Infinity), R],
    ['reserve now -5', () => lim.reserve('k', 1, -5), R],
    ['blockUntil 2^60', () => lim.blockUntil('k', big), R],
    ['observe junk', () => lim.observe('k', { status: 'x' }, 0), T],
    ['fromJSON junk', () => pk.Limiter.fromJSON({ config: {}, state: '{"k":{"tat":"x"}}' }), T],
    ['fromJSON bad json', () => pk.Limiter.fromJSON({ config: {}, state: '{' }), T],
    ['Backoff multiplier 0.5', () => new pk.Backoff({ multiplier: 0.5 }), R],
    ['Backoff multiplier Infinity', () => new pk.Backoff({ multiplier: Infinity }), R],
    ['Backoff multiplier 1e9', () => new pk.Backoff({ multiplier: 1e9 }), R],
    ['Backoff base > cap', () => new pk.Backoff({ baseMs: 10, capMs: 5 }), R],
    ['Backoff jitter', () => new pk.Backoff({ jitter: 'lots' }), T],
    ['Backoff statuses', () => new pk.Backoff({ retryStatuses: [999] }), R],
    ['schedule seed -1', () => bo.schedule(-1, 3), R],
    ['schedule seed 2^64', () => bo.schedule(1n << 64n, 3), R],
    ['schedule seed string', () => bo.schedule('7', 3), T],
    ['delayMs prev 1.5', () => bo.delayMs(1, 1.5, 1), R],
    ['decide state junk', () => bo.decide({}, null, 0), T],
    ['decide budget bad', () => bo.decide(st, null, 0, { capacity: 0, tokens: 0, retryCost: 1, networkCost: 1, successRefund: 1 }), R],
    ['plan batch 0', () => pk.plan({ records: 10, maxBatchRecords: 0 }, 0), R],
    ['plan missing', () => pk.plan({ records: 10 }, 0), T],
    ['plan sizes bad', () => pk.plan({ sizes: [1, -1], maxBatchRecords: 2 }, 0), R],
    ['replan unknown batch', () => {
      const req = { records: 10, maxBatchRecords: 5 }
      return pk.replan(req, pk.plan(req, 0), [{ status: 'done', index: 7 }], 0)
    }, R]
  ]
}

test('bad arguments throw coded TypeError/RangeError, never a trap', () => {
  const codes = new Set(pk.errorCodes())
  for (const [name, fn, E] of badCalls()) {
    let err = null
    try { fn() } catch (e) { err = e }
    assert.ok(err, `${name}: did not throw`)
    assert.ok(!(err instanceof WebAssembly.RuntimeError), `${name}: ${err}`)
    assert.doesNotMatch(String(err.message), /unreachable/, name)
    assert.ok(err instanceof E, `${name}: ${err.constructor.name} ${err.message}`)
    assert.ok(codes.has(err.code), `${name}: code ${err.code}`)
  }
  // The module is still healthy after every error path.
  const lim = new pk.Limiter({ limits: [{ amount: 1, periodMs: 1000, burst: 15 }] })
  for (let i = 0; i < 15; i++) assert.equal(lim.check('t', 1, 0).decision, 'allow')
  assert.deepEqual(lim.check('t', 1, 0), { decision: 'wait', until: 1000, waitMs: 1000 })
})

test('random garbage never traps', () => {
  let x = 0x12345678
  const rnd = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 2 ** 32 }
  const values = [0, -1, 1.5, NaN, Infinity, 2 ** 53, 2 ** 64, '', 'x', null, undefined, {}, [], 1n, -1n, true,
    '\0', 'Retry-After', '30', [['Retry-After', '\0\x01x']], { 'x-ratelimit-reset': '1e400' }]
  const pick = () => values[Math.floor(rnd() * values.length)]
  const calls = [
    () => pk.parseHeaders({ status: 429, headers: pick(), body: pick() }, { now: pick(), maxWaitMs: pick() }),
    () => new pk.Limiter({ limits: [{ amount: pick(), periodMs: pick(), burst: pick() }], maxInFlight: pick() }).check(pick(), pick(), pick()),
    () => new pk.Backoff({ baseMs: pick(), multiplier: pick(), capMs: pick(), maxAttempts: pick() }).schedule(pick(), pick()),
    () => pk.plan({ records: pick(), maxBatchRecords: pick(), maxBatchBytes: pick(), sizes: pick() }, pick()),
    () => new pk.Backoff().decide(pk.newRetryState(0, pick()), null, pick())
  ]
  for (let i = 0; i < 3000; i++) {
    try { calls[i % calls.length]() } catch (e) {
      assert.ok(!(e instanceof WebAssembly.RuntimeError), `${e}`)
      assert.ok(e instanceof TypeError || e instanceof RangeError, `${e && e.constructor.name}: ${e && e.message}`)
      assert.equal(typeof e.code, 'string')
    }
  }
})

test('NUL and \\x01 in headers and keys survive the NUL-joined boundary', () => {
  const r = pk.parseHeaders({ status: 429, headers: [['x-a', '\x01\0\x01\x02\x01\x03'], ['Retry-After', '3\0']] }, { now: 0 })
  assert.deepEqual(r.rejected.map((x) => x.value), ['3\0'])
  const lim = new pk.Limiter({ limits: [{ amount: 2, periodMs: 1000 }] })
  const keys = ['a\0b', 'a\x01b', '\x01\x03', 'plain']
  for (const k of keys) lim.check(k, 1, 0)
  const saved = JSON.parse(JSON.stringify(lim))
  const back = pk.Limiter.fromJSON(saved)
  assert.equal(back.size, 4)
  assert.deepEqual(Object.keys(JSON.parse(back.toJSON().state)).sort(), keys.slice().sort())
  for (const k of keys) assert.deepEqual(back.check(k, 1, 0), lim.check(k, 1, 0), JSON.stringify(k))
})

test('the WASM engine exports the napi addon\'s interface, name for name, and the core\'s vocabulary', (t) => {
  let napi
  try { napi = require(path.join(root, 'bindings-node', 'native.js')) } catch (e) {
    if (process.env.CI) throw e // never a silent skip in CI
    return t.skip(`bindings-node not built: ${e.message}`)
  }
  // napi only: its bound-buffer hot path (an argument-free call costs napi half of one with four),
  // and the shared-store script (the store option is native-only: core feature `store`).
  const napiOnly = new Set(['bindIo', 'limiterDecideIo', '__napiBindingTarget', 'sharedScript', 'sharedScriptSha1'])
  const names = (m) => Object.keys(m).filter((k) => !napiOnly.has(k) && !k.startsWith('__wbg') && k !== 'default').sort()
  assert.deepEqual(names(wasm), names(napi))
  for (const cls of ['NativeLimiter', 'NativeBackoff', 'NativePacer']) {
    const storeOnly = new Set(['consulted', 'storeCall', 'pollStore', 'storeDone', 'pollEvent']) // napi's store mode
    const methods = (c) => Object.getOwnPropertyNames(c.prototype).filter((m) => m !== 'constructor' && m !== 'free' && !m.startsWith('__') && !storeOnly.has(m))
    assert.deepEqual(methods(wasm[cls]).sort(), methods(napi[cls]).sort(), cls)
  }
  for (const list of ['errorCodes', 'resetModes', 'sources', 'waitSources', 'rejectReasons', 'jitters',
    'retryReasons', 'giveUpReasons', 'batchOutcomes', 'decisions', 'limiterConfig', 'limiterState',
    'backoffPolicy', 'retryBudget', 'retryState', 'planRequest', 'batch', 'pacerConfig']) {
    // The pacer's `shared.*` slots are napi's only (the store option is native-only).
    const napiList = list === 'pacerConfig'
      ? napi.vocabulary(list).split(',').filter((s) => !s.startsWith('shared')).join(',')
      : napi.vocabulary(list)
    assert.deepEqual(wasm.vocabulary(list), napiList, list)
    assert.ok(wasm.vocabulary(list).split(',').length >= 3, list)
  }
  for (const d of ['parseOptions', 'retryBudget', 'backoffPolicy', 'limiterConfig']) {
    assert.deepEqual(Array.from(wasm.defaults(d)), Array.from(napi.defaults(d)), d)
  }
})

test('an injected trap surfaces as a WebAssembly.RuntimeError, not a coded error', () => {
  // In a child process: a trap may leave the module's shadow stack behind. The trap is real: a
  // backoff's pointer into the module's memory is bent out of bounds, so the next call faults.
  const script = `
    const wasm = require(${JSON.stringify(path.join(__dirname, '..', 'pkg-node', 'pacekeeper_wasm.js'))})
    const seen = []
    class Spy extends wasm.NativeBackoff { constructor (p) { super(p); seen.push(this) } }
    const engine = Object.assign(Object.create(wasm), { NativeBackoff: Spy })
    const api = require(${JSON.stringify(require.resolve('pacekeeper-js-api', { paths: [path.join(__dirname, '..')] }))})(engine)
    const b = new api.Backoff()
    if (b.schedule(1, 3).length !== 3 || seen.length !== 1) throw new Error('spy not in place')
    seen[0].__wbg_ptr = 0xfffffff0
    try { b.schedule(1, 3); console.log('no trap') } catch (e) {
      console.log(JSON.stringify({ runtime: e instanceof WebAssembly.RuntimeError, type: e instanceof TypeError,
        range: e instanceof RangeError, code: e.code === undefined ? null : e.code, message: e.message }))
    }`
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim())
  assert.deepEqual({ ...out, message: undefined }, { runtime: true, type: false, range: false, code: null, message: undefined }, out.message)
})
