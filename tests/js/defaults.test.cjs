'use strict'
// The core's defaults reach JavaScript from the engine (`defaults(name)`, bindings-common), never
// restated in the shared JS layer: the public API's defaults equal what the core reports, and the
// layer's sources carry none of the numbers.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { pk, impl, root } = require('./impl.cjs')

const native = impl === 'wasm'
  ? require(path.join(root, 'bindings-wasm', 'pkg-node', 'pacekeeper_wasm.js'))
  : require(path.join(root, 'bindings-node', 'native.js'))
const named = (layout) => {
  const names = native.vocabulary(layout).split(',').map((s) => s.split(':')[0])
  const values = Array.from(native.defaults(layout))
  return Object.fromEntries(names.map((n, i) => [n, values[i]]))
}

test('newRetryBudget() is the core\'s RetryBudget::default(), tokens following capacity', () => {
  const core = named('retryBudget')
  assert.deepEqual(pk.newRetryBudget(), core)
  assert.ok(core.capacity > 0 && core.tokens === core.capacity, JSON.stringify(core))
  const b = pk.newRetryBudget({ capacity: core.capacity + 7 })
  assert.equal(b.tokens, core.capacity + 7)
  assert.equal(b.retryCost, core.retryCost)
})

test('new Backoff().policy is the core\'s BackoffPolicy::default()', () => {
  const core = named('backoffPolicy')
  const p = new pk.Backoff().policy
  for (const [k, v] of Object.entries(core)) {
    if (k === 'jitter') assert.equal(p.jitter, native.vocabulary('jitters').split(',')[v])
    else if (k === 'retryNetworkErrors') assert.equal(p[k], v === 1)
    else assert.equal(p[k], v !== v ? null : v, k) // eslint-disable-line no-self-compare
  }
})

test('parseHeaders caps waits at the core\'s default maxWaitMs', () => {
  const [maxWaitMs] = native.defaults('parseOptions')
  assert.ok(maxWaitMs > 60_000)
  const huge = String(Math.ceil(maxWaitMs / 1000) + 3600)
  const r = pk.parseHeaders({ status: 429, headers: [['Retry-After', huge]] }, { now: 0 })
  assert.equal(r.waitMs, maxWaitMs)
  assert.equal(r.capped, true)
})

test('the shared JS layer restates no default of the core', () => {
  const dir = path.join(root, 'js')
  const budget = named('retryBudget')
  const [maxWaitMs] = native.defaults('parseOptions')
  for (const f of ['engine.js', 'flat.js', 'convert.js']) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8')
    assert.ok(!/6 \* 60 \* 60 \* 1000/.test(text) && !text.includes(String(maxWaitMs)), `${f} restates maxWaitMs`)
    assert.ok(!new RegExp(`\\b${budget.capacity}\\b`).test(text), `${f} restates the budget's capacity`)
  }
})

test('a request\'s cost defaults to the core\'s DEFAULT_COST (defaults("cost"))', () => {
  const [cost] = native.defaults('cost')
  assert.ok(Number.isInteger(cost) && cost >= 1)
  const lim = new pk.Limiter({ limits: [{ amount: 10, periodMs: 1000 }] })
  assert.equal(lim.check('k', undefined, 0).remaining, 10 - cost)
  assert.equal(lim.check('k', cost, 0).remaining, 10 - 2 * cost)
  const core = new pk.PacerCore({ limits: [{ amount: cost, periodMs: 1000 }] })
  assert.equal(core.begin('k', undefined, 0).action, 'go')
  assert.equal(core.begin('k', undefined, 0).action, 'wait')
})

test('verdict and decision names are the core\'s vocabularies', () => {
  const verdicts = native.vocabulary('verdicts').split(',')
  const decisions = native.vocabulary('decisions').split(',')
  const lim = new pk.Limiter({ limits: [{ amount: 1, periodMs: 1000 }] })
  assert.deepEqual([lim.check('k', 1, 0).decision, lim.check('k', 1, 0).decision, lim.check('k', 5, 0).decision], verdicts)
  const b = new pk.Backoff({ maxAttempts: 2 })
  const st = pk.newRetryState(0, 7)
  const r503 = pk.parseHeaders({ status: 503, headers: [] }, { now: 0 })
  const got = [
    b.decide(pk.newRetryState(0, 7), pk.parseHeaders({ status: 200, headers: [] }, { now: 0 }), 0).decision,
    b.decide(st, r503, 0).decision,
    b.decide(st, r503, 0).decision
  ]
  assert.deepEqual(got, decisions)
})

test('the shared JS layer restates no cost default or verdict name', () => {
  const dir = path.join(root, 'js')
  for (const f of ['engine.js', 'pacer-core.js', 'helpers.js', 'pacing.js']) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8')
    assert.ok(!/cost = 1\b|cost === undefined \? 1\b/.test(text), `${f} restates the default cost`)
    assert.ok(!/decision: '(allow|wait|never)'/.test(text), `${f} restates a verdict name`)
  }
})

test('a response\'s status is told by the core\'s bounds (defaults("statuses"))', async () => {
  const [min, max] = native.defaults('statuses')
  assert.ok(min >= 100 && max > min, `${min}..${max}`)
  for (const s of [min, max]) assert.equal((await pk.readResponse({ status: s, headers: {} })).status, s)
  for (const s of [min - 1, max + 1]) assert.equal(await pk.readResponse({ status: s, headers: {} }), null)
  for (const s of [min - 1, max + 1]) {
    assert.throws(() => pk.parseHeaders({ status: s, headers: [] }), (e) => e.code === 'invalid_status')
  }
  const dir = path.join(root, 'js')
  for (const f of ['response.js', 'pacing.js', 'engine.js']) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8')
    assert.ok(!new RegExp(`\\b${max}\\b`).test(text), `${f} restates the highest status`)
  }
})
