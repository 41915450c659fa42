'use strict'
// Invalid arguments throw TypeError (invalid_argument) or RangeError (every other code) with a
// stable `.code`; nothing panics across the boundary and the process lives on.
const test = require('node:test')
const assert = require('node:assert/strict')
const { pk } = require('./impl.cjs')

function throwsCode (f, code, label) {
  let caught
  try { f() } catch (e) { caught = e }
  assert.ok(caught, `${label}: did not throw`)
  assert.equal(caught.code, code, `${label}: code ${caught.code} (${caught.message})`)
  const Cls = code === 'invalid_argument' ? TypeError : RangeError
  assert.ok(caught instanceof Cls, `${label}: ${caught.constructor.name}, want ${Cls.name}`)
  assert.ok(pk.errorCodes().includes(code), `${code} is listed by errorCodes()`)
}

const NOW = 1_700_000_000_000
const badNumbers = [
  [NaN, 'invalid_number'], [Infinity, 'invalid_number'], [-Infinity, 'invalid_number'], [-1, 'invalid_number'],
  [2.5, 'invalid_number'], [2 ** 53, 'invalid_number'], ['1', 'invalid_argument'], [{}, 'invalid_argument'],
  [null, 'invalid_argument'], [true, 'invalid_argument'], [10n, 'invalid_argument']
]

test('times: NaN, Infinity, negatives, fractions, unsafe integers, wrong types', () => {
  const lim = new pk.Limiter({ limits: [{ amount: 1, periodMs: 1000 }] })
  const b = new pk.Backoff()
  for (const [v, code] of badNumbers) {
    throwsCode(() => lim.check('k', 1, v), code, `check now=${String(v)}`)
    throwsCode(() => lim.reserve('k', 1, v), code, `reserve now=${String(v)}`)
    throwsCode(() => lim.blockUntil('k', v), code, `blockUntil ${String(v)}`)
    throwsCode(() => pk.parseHeaders({ status: 429, headers: [] }, { now: v }), code, `parseHeaders now=${String(v)}`)
    throwsCode(() => pk.plan({ records: 10, maxBatchRecords: 5 }, v), code, `plan now=${String(v)}`)
    throwsCode(() => b.decide(pk.newRetryState(NOW, 1), null, v), code, `decide now=${String(v)}`)
    throwsCode(() => b.delayMs(1, v, 1), code, `delayMs prev=${String(v)}`)
  }
})

test('costs, statuses, seeds and options', () => {
  const lim = new pk.Limiter({ limits: [{ amount: 1, periodMs: 1000 }] })
  for (const [v, code] of badNumbers) throwsCode(() => lim.check('k', v, NOW), code, `cost ${String(v)}`)
  throwsCode(() => lim.check('k', 0, NOW), 'invalid_cost', 'cost 0')
  throwsCode(() => lim.check('k', 2 ** 40, NOW), 'invalid_cost', 'cost 2^40')
  throwsCode(() => lim.check('', 1, NOW), 'invalid_key', 'empty key')
  throwsCode(() => lim.check('k'.repeat(300), 1, NOW), 'invalid_key', 'long key')
  throwsCode(() => lim.check(42, 1, NOW), 'invalid_argument', 'numeric key')
  throwsCode(() => lim.check(undefined, 1, NOW), 'invalid_argument', 'missing key')
  throwsCode(() => pk.parseHeaders({ status: 42, headers: [] }, { now: NOW }), 'invalid_status', 'status 42')
  throwsCode(() => pk.parseHeaders({ status: 70000, headers: [] }, { now: NOW }), 'invalid_status', 'status 70000')
  throwsCode(() => pk.parseHeaders({ status: NaN, headers: [] }, { now: NOW }), 'invalid_number', 'status NaN')
  throwsCode(() => pk.parseHeaders({ status: '429', headers: [] }, { now: NOW }), 'invalid_argument', 'status string')
  throwsCode(() => pk.parseHeaders({ headers: [] }, { now: NOW }), 'invalid_argument', 'status missing')
  throwsCode(() => pk.parseHeaders({ status: 429 }, { now: NOW }), 'invalid_argument', 'headers missing')
  throwsCode(() => pk.parseHeaders(null), 'invalid_argument', 'response null')
  throwsCode(() => pk.parseHeaders({ status: 429, headers: 'Retry-After: 3' }, { now: NOW }), 'invalid_argument', 'headers string')
  throwsCode(() => pk.parseHeaders({ status: 429, headers: [['Retry-After']] }, { now: NOW }), 'invalid_argument', 'half pair')
  throwsCode(() => pk.parseHeaders({ status: 429, headers: [['Retry-After', {}]] }, { now: NOW }), 'invalid_argument', 'object value')
  throwsCode(() => pk.parseHeaders({ status: 429, headers: [], body: 5 }, { now: NOW }), 'invalid_argument', 'numeric body')
  throwsCode(() => pk.parseHeaders({ status: 429, headers: [] }, { now: NOW, maxWaitMs: 0 }), 'invalid_option', 'maxWaitMs 0')
  throwsCode(() => pk.parseHeaders({ status: 429, headers: [] }, { now: NOW, resetMode: 'weekly' }), 'invalid_option', 'resetMode')
  throwsCode(() => pk.parseHeaders({ status: 429, headers: [] }, { now: NOW, resetMode: 3 }), 'invalid_argument', 'resetMode number')
  const b = new pk.Backoff()
  throwsCode(() => b.schedule(-1n, 3), 'invalid_number', 'negative bigint seed')
  throwsCode(() => b.schedule(2n ** 64n, 3), 'invalid_number', 'seed 2^64')
  throwsCode(() => b.schedule(1.5, 3), 'invalid_number', 'fractional seed')
  throwsCode(() => b.schedule('7', 3), 'invalid_argument', 'string seed')
  assert.equal(b.schedule(2n ** 64n - 1n, 3).length, 3)
})

test('configurations: limits, policies, plans', () => {
  throwsCode(() => new pk.Limiter({ limits: [{ amount: 0, periodMs: 1000 }] }), 'invalid_limit', 'amount 0')
  throwsCode(() => new pk.Limiter({ limits: [{ amount: 1, periodMs: 0 }] }), 'invalid_limit', 'period 0')
  throwsCode(() => new pk.Limiter({ limits: [{ amount: NaN, periodMs: 1000 }] }), 'invalid_number', 'amount NaN')
  throwsCode(() => new pk.Limiter({ limits: [{ amount: 1 }] }), 'invalid_argument', 'periodMs missing')
  throwsCode(() => new pk.Limiter({ limits: [{ periodMs: 1000 }] }), 'invalid_argument', 'amount missing')
  throwsCode(() => new pk.Limiter({ limits: {} }), 'invalid_argument', 'limits object')
  throwsCode(() => new pk.Limiter({ limits: [1, 2, 3, 4].map(() => ({ amount: 1, periodMs: 1 })) }), 'too_many_limits', '4 limits')
  throwsCode(() => new pk.Limiter({ nope: 1 }), 'invalid_argument', 'unknown option')
  throwsCode(() => new pk.Limiter({ learn: 'yes' }), 'invalid_argument', 'learn string')
  throwsCode(() => new pk.Limiter({ maxInFlight: 0 }), 'invalid_limit', 'maxInFlight 0')
  throwsCode(() => new pk.Limiter('x'), 'invalid_argument', 'options string')
  throwsCode(() => new pk.Backoff({ multiplier: 0.5 }), 'invalid_policy', 'multiplier < 1')
  throwsCode(() => new pk.Backoff({ multiplier: NaN }), 'invalid_number', 'multiplier NaN')
  throwsCode(() => new pk.Backoff({ baseMs: -5 }), 'invalid_number', 'baseMs -5')
  throwsCode(() => new pk.Backoff({ baseMs: 10_000, capMs: 10 }), 'invalid_policy', 'base above cap')
  throwsCode(() => new pk.Backoff({ jitter: 'sometimes' }), 'invalid_argument', 'unknown jitter')
  throwsCode(() => new pk.Backoff({ baseMs: '5' }), 'invalid_argument', 'baseMs string')
  throwsCode(() => new pk.Backoff().decide({}, null, NOW), 'invalid_argument', 'empty state')
  throwsCode(() => new pk.Backoff().decide(pk.newRetryState(NOW, 1), { status: 429 }, NOW), 'invalid_argument', 'partial reading')
  throwsCode(() => pk.plan({ records: 10 }, NOW), 'invalid_argument', 'maxBatchRecords missing')
  throwsCode(() => pk.plan({ records: 10, maxBatchRecords: 0 }, NOW), 'invalid_batch', 'maxBatchRecords 0')
  throwsCode(() => pk.plan({ records: -1, maxBatchRecords: 5 }, NOW), 'invalid_number', 'records -1')
  throwsCode(() => pk.replan({ records: 10, maxBatchRecords: 5 }, { batches: [], start: NOW, finishAt: NOW, durationMs: 0 }, [{ status: 'done', index: 9 }], NOW), 'invalid_state', 'unknown index')
  throwsCode(() => pk.replan({ records: 10, maxBatchRecords: 5 }, null, [], NOW), 'invalid_argument', 'previous null')
  throwsCode(() => pk.Limiter.fromJSON({ config: {}, state: '{"k": 5}' }), 'invalid_argument', 'bad state')
})

test('the process survives a storm of bad calls and the engine still answers', () => {
  const lim = new pk.Limiter({ limits: [{ amount: 10, periodMs: 1000 }] })
  const junk = [undefined, null, NaN, -0.5, 'x', {}, [], () => 1, Symbol('s'), 2n ** 70n, 1e308]
  let thrown = 0
  for (const a of junk) {
    for (const b of junk) {
      for (const f of [() => lim.check(a, b, NOW), () => lim.reserve('k', a, b), () => pk.parseHeaders(a, b),
        () => new pk.Backoff(a).decide(b, a, NOW), () => pk.plan(a, b), () => lim.observe('k', a, b)]) {
        try { f() } catch (e) {
          thrown++
          assert.ok(e instanceof TypeError || e instanceof RangeError, `${e.constructor.name}: ${e.message}`)
          assert.equal(typeof e.code, 'string', e.message)
        }
      }
    }
  }
  assert.ok(thrown > 500)
  assert.deepEqual(lim.check('fresh', 1, NOW), { decision: 'allow', remaining: 9 })
})
