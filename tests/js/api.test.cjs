'use strict'
// The API's shape (API.md): names, classes, plain objects in and out, camelCase, ms numbers.
const test = require('node:test')
const assert = require('node:assert/strict')
const { pk } = require('./impl.cjs')

const NOW = 1_700_000_000_000

test('every name of API.md is exported', () => {
  for (const name of ['version', 'errorCodes', 'parseHeaders', 'Limiter', 'Backoff', 'newRetryState', 'newRetryBudget',
    'plan', 'replan', 'PacerCore', 'withRetry', 'wrapFetch', 'Pacer', 'RetryError']) {
    assert.equal(typeof pk[name], 'function', name)
  }
  assert.match(pk.version(), /^\d+\.\d+\.\d+/)
  // The codes API.md lists in its "Errors" bullet, exactly (so the document stays true).
  const api = require('node:fs').readFileSync(require('node:path').join(__dirname, '..', '..', 'API.md'), 'utf8')
  const bullet = api.slice(api.indexOf('- **Errors**'), api.indexOf('JavaScript throws'))
  const documented = [...bullet.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).filter((c) => c !== 'code')
  assert.ok(documented.length >= 11, `API.md's Errors bullet lists the codes (${documented})`)
  assert.deepEqual([...pk.errorCodes()].sort(), [...new Set(documented)].sort())
})

test('parseHeaders returns a plain camelCase Reading from every header shape', () => {
  const pairs = [['Retry-After', '30'], ['inin-ratelimit-allowed', '300'], ['inin-ratelimit-count', '300'], ['inin-ratelimit-reset', '30']]
  const want = pk.parseHeaders({ status: 429, headers: pairs }, { now: NOW })
  assert.equal(Object.getPrototypeOf(want), Object.prototype)
  assert.deepEqual(Object.keys(want).sort(), ['capped', 'dateSkewMs', 'limit', 'policies', 'rejected', 'remaining', 'resetMs',
    'retryAfterLenient', 'retryAfterMs', 'source', 'states', 'status', 'throttled', 'waitMs', 'waitSource', 'windowMs'])
  assert.equal(want.waitMs, 30000)
  assert.equal(want.source, 'genesys')
  const obj = Object.fromEntries(pairs)
  const shapes = {
    object: obj,
    map: new Map(pairs),
    headers: new Headers(pairs),
    flat: pairs.flat(),
    incoming: { 'retry-after': ['30'], 'inin-ratelimit-allowed': '300', 'inin-ratelimit-count': 300, 'inin-ratelimit-reset': '30' },
    axiosLike: { toJSON: () => obj, normalize () {}, [Symbol.iterator]: () => Object.entries(obj)[Symbol.iterator]() }
  }
  for (const [name, headers] of Object.entries(shapes)) {
    assert.deepEqual(pk.parseHeaders({ status: 429, headers }, { now: NOW }), want, name)
  }
  const body = pk.parseHeaders({ status: 429, headers: [], body: '{"message":"Rate limit exceeded the maximum. Retry the request in [7] seconds"}' }, { now: NOW })
  assert.equal(body.waitMs, 7000)
  assert.equal(body.waitSource, 'body')
  const ietf = pk.parseHeaders({ status: 200, headers: { 'RateLimit-Policy': '"burst";q=15;w=3', RateLimit: '"burst";r=4;t=2' } }, { now: NOW })
  assert.deepEqual(ietf.policies, [{ name: 'burst', quota: 15, quotaUnit: 'requests', windowS: 3, partitionKey: null }])
  assert.deepEqual(ietf.states, [{ name: 'burst', remaining: 4, resetS: 2, partitionKey: null }])
  const bad = pk.parseHeaders({ status: 429, headers: { 'Retry-After': 'soon' } }, { now: NOW })
  assert.deepEqual(bad.rejected, [{ header: 'retry-after', value: 'soon', reason: 'bad_date' }])
})

test('Limiter: verdicts as plain objects, state round-trips through JSON text', () => {
  const lim = new pk.Limiter({ limits: [{ amount: 1, periodMs: 1000, burst: 2 }], maxInFlight: 1 })
  assert.deepEqual(lim.check('a', 1, NOW), { decision: 'allow', remaining: 1 })
  assert.deepEqual(lim.peek('a', 1, NOW), { decision: 'allow', remaining: 0 })
  assert.deepEqual(lim.check('a', undefined, NOW), { decision: 'allow', remaining: 0 })
  assert.deepEqual(lim.check('a', 1, NOW + 10), { decision: 'wait', until: NOW + 1000, waitMs: 990 })
  assert.deepEqual(lim.reserve('a', 1, NOW + 10), { decision: 'wait', until: NOW + 1000, waitMs: 990 })
  assert.deepEqual(lim.reserve('a', 1, NOW + 10), { decision: 'wait', until: NOW + 2000, waitMs: 1990 })
  assert.deepEqual(lim.check('a', 3, NOW), { decision: 'never', cost: 3, capacity: 2 })
  assert.equal(lim.acquire('a'), true)
  assert.equal(lim.acquire('a'), false)
  assert.equal(lim.release('a'), 0)
  lim.blockUntil('b', NOW + 5000)
  assert.equal(lim.check('b', 1, NOW).until, NOW + 5000)
  lim.observe('c', pk.parseHeaders({ status: 429, headers: { 'Retry-After': '30' } }, { now: NOW }), NOW)
  assert.deepEqual(lim.check('c', 1, NOW), { decision: 'wait', until: NOW + 30000, waitMs: 30000 })
  assert.equal(lim.size, 3)
  const saved = JSON.parse(JSON.stringify(lim))
  assert.equal(typeof saved.state, 'string')
  assert.deepEqual(saved.config.limits, [{ amount: 1, periodMs: 1000, burst: 2 }])
  const back = pk.Limiter.fromJSON(saved)
  assert.equal(back.size, 3)
  assert.deepEqual(back.check('c', 1, NOW + 1), lim.check('c', 1, NOW + 1))
  assert.equal(back.prune(NOW + 10 * 60_000), 3)
  assert.equal(back.size, 0)
  assert.deepEqual(back.check('a', 1, NOW + 10 * 60_000), { decision: 'allow', remaining: 1 })
  const t0 = Date.now()
  const v = new pk.Limiter({ limits: [{ amount: 1, periodMs: 60_000 }] })
  v.check('x')
  const w = v.check('x')
  assert.equal(w.decision, 'wait')
  assert.ok(w.until >= t0 + 59_000 && w.until <= Date.now() + 60_000, 'now defaults to Date.now()')
})

test('Backoff, retry state and budget: plain mutable objects; seeds as numbers or bigints', () => {
  const b = new pk.Backoff({ baseMs: 100, capMs: 1000, jitter: 'none' })
  assert.equal(b.policy.baseMs, 100)
  assert.deepEqual(b.policy.retryStatuses, [429, 502, 503, 504])
  assert.deepEqual(b.schedule(42, 5), [100, 200, 400, 800, 1000])
  assert.equal(b.delayMs(2, 0, 42n), 200)
  const state = pk.newRetryState(NOW, 2n ** 64n - 1n)
  const budget = pk.newRetryBudget({ capacity: 10 })
  assert.deepEqual(budget, { capacity: 10, tokens: 10, retryCost: 5, networkCost: 10, successRefund: 1 })
  const r = pk.parseHeaders({ status: 429, headers: { 'Retry-After': '2' } }, { now: NOW })
  const d = b.decide(state, r, NOW, budget)
  assert.equal(d.decision, 'retry')
  assert.equal(d.reason, 'server_hint')
  assert.ok(d.at >= NOW + 2000 && d.delayMs === d.at - NOW)
  assert.equal(state.attempts, 1)
  assert.equal(state.seed, 2n ** 64n - 1n)
  assert.equal(budget.tokens, 5)
  const net = b.decide(state, null, NOW + 3000, budget)
  assert.deepEqual(net, { decision: 'give_up', reason: 'retry_budget', attempts: 2 })
  const ok = b.decide(pk.newRetryState(NOW, 1), pk.parseHeaders({ status: 200, headers: [] }, { now: NOW }), NOW)
  assert.deepEqual(ok, { decision: 'done' })
  const s = pk.newRetryState()
  assert.ok(Math.abs(s.startedAt - Date.now()) < 5000)
  assert.ok(Number.isSafeInteger(s.seed))
})

test('default seeds come from a cryptographic source, not Math.random', () => {
  const real = Math.random
  Math.random = () => 0.5
  try {
    const seeds = new Set(Array.from({ length: 20 }, () => pk.newRetryState(NOW).seed))
    assert.ok(seeds.size >= 19, `20 default seeds gave only ${seeds.size} distinct values`)
    for (const seed of seeds) assert.ok(Number.isSafeInteger(seed) && seed >= 0, String(seed))
  } finally {
    Math.random = real
  }
  // A default-seeded state survives JSON (a safe-integer seed, never a bigint).
  const s = pk.newRetryState(NOW)
  assert.deepEqual(JSON.parse(JSON.stringify(s)), s)
})

test('plan and replan: camelCase plans with send times', () => {
  const req = { records: 1500, maxBatchRecords: 500, limits: [{ amount: 1, periodMs: 1000 }] }
  const p = pk.plan(req, NOW)
  assert.deepEqual(p.batches.map((b) => [b.index, b.start, b.end, b.sendAt]), [[0, 0, 500, NOW], [1, 500, 1000, NOW + 1000], [2, 1000, 1500, NOW + 2000]])
  assert.equal(p.durationMs, 2000)
  const q = pk.replan(req, p, [{ status: 'done', index: 0 }, { status: 'throttled', index: 1, retryAt: NOW + 5000 }], NOW + 1000)
  assert.deepEqual(q.batches.map((b) => b.index), [1, 2])
  assert.ok(q.batches[0].sendAt >= NOW + 5000)
})
