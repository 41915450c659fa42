// withRetry, the fetch wrapper and the Pacer against the loopback server in every 429 profile,
// plus the injected clock and AbortSignal.
import test from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { startServer } from '../server/server.mjs'

const require = createRequire(import.meta.url)
const { pk } = require('./impl.cjs')

const PROFILES = ['genesys', 'genesys-body-only', 'xratelimit-epoch-s', 'xratelimit-epoch-ms', 'http-date', 'ietf', 'short-retry-after', 'strict']

function contacts (prefix, n) { return Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, data: { i } })) }

for (const profile of PROFILES) {
  test(`withRetry(fetch) honours every 429 of the ${profile} profile: nothing early, lost or duplicated`, async () => {
    const srv = await startServer({ profile, burst: 2, ratePerSec: 4 })
    try {
      // Three tenants (tokens) at once, each sending its requests one after another, with no
      // pacing (no limiter): the server's 429s are met and must be honoured.
      const f = (url, init) => pk.withRetry(() => fetch(url, init), { backoff: { maxAttempts: 20, baseMs: 50, capMs: 2000 } })
      const tenant = async (t) => {
        const out = []
        for (let i = 0; i < 4; i++) {
          out.push(await f(`${srv.url}/api/v2/outbound/contactlists/L/contacts`, {
            method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, body: JSON.stringify(contacts(`${t}-${i}`, 2))
          }))
        }
        return out
      }
      const sends = (await Promise.all(['a', 'b', 'c'].map(tenant))).flat()
      const responses = sends
      for (const r of responses) assert.equal(r.status, 200)
      const stats = srv.stats()
      assert.ok(stats.throttled > 0, `the ${profile} server throttled (${stats.throttled})`)
      assert.equal(stats.earlyRetries, 0, 'no retry before the server said')
      assert.equal(stats.contacts.L.unique, 24)
      assert.equal(sends.length, 12)
      assert.equal(stats.contacts.L.duplicates, 0)
    } finally { await srv.close() }
  })
}

for (const profile of ['genesys', 'xratelimit-epoch-ms', 'ietf']) {
  test(`wrapFetch learns the ${profile} server's limits from its 2xx headers and is never throttled`, async () => {
    const srv = await startServer({ profile, burst: 2, ratePerSec: 4 })
    try {
      const f = pk.wrapFetch(fetch, { key: 'one' })
      for (let i = 0; i < 6; i++) {
        const r = await f(`${srv.url}/api/v2/ping`, { headers: { authorization: 'Bearer x' } })
        assert.equal(r.status, 200)
      }
      assert.equal(srv.stats().throttled, 0)
      assert.equal(srv.stats().accepted, 6)
    } finally { await srv.close() }
  })
}

test('withRetry reads fetch Responses it is given back and gives up with attempts and the last response', async () => {
  const srv = await startServer({ profile: 'genesys', burst: 1, ratePerSec: 0.5 })
  try {
    const call = (t) => () => fetch(`${srv.url}/api/v2/ping`, { headers: { authorization: `Bearer ${t}` } })
    assert.equal((await pk.withRetry(call('t1'))).status, 200)
    assert.equal((await pk.withRetry(call('t2'))).status, 200)
    await assert.rejects(pk.withRetry(call('t2'), { backoff: { maxAttempts: 1 } }), (e) => {
      assert.ok(e instanceof pk.RetryError)
      assert.equal(e.attempts, 1)
      assert.equal(e.reason, 'max_attempts')
      assert.equal(e.lastResponse.status, 429)
      assert.equal(e.status, 429)
      assert.equal(e.lastReading.waitSource, 'retry_after')
      return true
    })
    // A wait longer than allowed: give up at once rather than sleep.
    assert.equal((await pk.withRetry(call('t4'))).status, 200)
    await assert.rejects(pk.withRetry(call('t4'), { backoff: { maxWaitMs: 100 } }), (e) => e.reason === 'wait_too_long')
    // Not retryable: handed back unchanged.
    const r404 = await pk.withRetry(() => fetch(`${srv.url}/api/v2/nothing-here`, { headers: { authorization: 'Bearer t3' } }))
    assert.equal(r404.status, 404)
    assert.equal(srv.stats().earlyRetries, 0)
  } finally { await srv.close() }
})

test('Pacer paces ahead of time: 20 concurrent sends at the server\'s pace, zero 429s', async () => {
  const srv = await startServer({ profile: 'genesys', burst: 3, ratePerSec: 20 })
  try {
    // A little under the server's 20/s with a burst of 3, for network jitter.
    const pacer = new pk.Pacer({ limits: [{ amount: 16, periodMs: 1000, burst: 2 }] })
    const t0 = Date.now()
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pacer.run('t', () =>
      fetch(`${srv.url}/api/v2/outbound/contactlists/P/contacts`, {
        method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: JSON.stringify(contacts(`p${i}`, 1))
      }))))
    assert.deepEqual(results.map((r) => r.status), Array(20).fill(200))
    const s = srv.stats()
    assert.equal(s.throttled, 0)
    assert.equal(s.contacts.P.unique, 20)
    assert.ok(Date.now() - t0 >= 800, 'paced, not sent at once')
  } finally { await srv.close() }
})

test('withRetry with an injected clock: waits exactly as decided, without real sleeping', async () => {
  let now = 1_700_000_000_000
  const slept = []
  const clock = { now: () => now, sleep: async (ms) => { slept.push(ms); now += ms } }
  let n = 0
  const reasons = []
  const result = await pk.withRetry(async () => {
    n++
    if (n < 3) throw { status: 429, headers: { 'retry-after': '30' }, body: null } // eslint-disable-line no-throw-literal
    return { status: 200, headers: {}, body: 'ok' }
  }, { clock, seed: 7, backoff: { hintSpreadPercent: 0 }, onRetry: ({ decision }) => reasons.push(decision.reason) })
  assert.equal(result.body, 'ok')
  // The server's word is a floor; a 429 right after honouring it escalates.
  assert.equal(slept[0], 30_000)
  assert.ok(slept[1] > 30_000)
  assert.deepEqual(reasons, ['server_hint', 'escalated'])
  // Body-only Genesys rejection (SDK 137..210 style): the wait comes from the message.
  n = 0
  slept.length = 0
  await pk.withRetry(async () => {
    if (++n === 1) throw { message: 'Rate limit exceeded the maximum. Retry the request in [4] seconds', code: 'too.many.requests.retry.after', status: 429 } // eslint-disable-line no-throw-literal
    return 'done'
  }, { clock, backoff: { hintSpreadPercent: 0 } })
  assert.deepEqual(slept, [4000])
  // axios-style error
  n = 0
  slept.length = 0
  await pk.withRetry(async () => {
    if (++n === 1) { const e = new Error('Request failed with status code 503'); e.response = { status: 503, headers: { 'retry-after': '2' }, data: {} }; throw e }
    return 'done'
  }, { clock, backoff: { hintSpreadPercent: 0 } })
  assert.deepEqual(slept, [2000])
  // A plain bug is not retried.
  await assert.rejects(pk.withRetry(() => { throw new SyntaxError('oops') }, { clock }), SyntaxError)
})

test('withRetry honours AbortSignal while waiting', async () => {
  const ac = new AbortController()
  const t0 = Date.now()
  const p = pk.withRetry(async () => ({ status: 429, headers: { 'retry-after': '60' }, body: null }), { signal: ac.signal })
  setTimeout(() => ac.abort(new Error('stop')), 50)
  await assert.rejects(p, /stop/)
  assert.ok(Date.now() - t0 < 5000)
  await assert.rejects(pk.withRetry(async () => 1, { signal: AbortSignal.abort() }), (e) => e.name === 'AbortError')
})

test('withRetry retries network errors (connection refused) and gives up with the cause', async () => {
  const srv = await startServer({ profile: 'genesys' })
  const url = srv.url
  await srv.close()
  await assert.rejects(pk.withRetry(() => fetch(`${url}/api/v2/ping`), { backoff: { maxAttempts: 3, baseMs: 10, capMs: 20 } }), (e) => {
    assert.ok(e instanceof pk.RetryError)
    assert.equal(e.attempts, 3)
    assert.equal(e.lastResponse, null)
    assert.ok(e.cause)
    return true
  })
})

test('Pacer: a slot booked before a 429 arrived waits for the server\'s time (no early send)', async () => {
  // A clock whose sleeps end only when the test moves time on.
  let now = 1_700_000_000_000
  let timers = []
  const clock = { now: () => now, sleep: (ms) => new Promise((resolve) => { timers.push({ at: now + ms, resolve }) }) }
  const tick = () => new Promise((resolve) => setImmediate(resolve))
  async function advance (to) {
    for (;;) {
      await tick()
      const due = timers.filter((x) => x.at <= to).sort((a, b) => a.at - b.at)[0]
      if (!due) break
      timers = timers.filter((x) => x !== due)
      now = Math.max(now, due.at)
      due.resolve()
    }
    now = Math.max(now, to)
  }
  const pacer = new pk.Pacer({ limits: [{ amount: 1, periodMs: 1000, burst: 1 }], clock })
  const t0 = now
  // The first request is in flight when a second caller books the next slot (+1 s)...
  let answer
  const first = pacer.run('t', () => new Promise((resolve) => { answer = resolve }))
  await tick()
  let sentAt = null
  const pending = pacer.acquire('t').then((at) => { sentAt = now; return at })
  await tick()
  // ...then the first one's answer says 429, Retry-After 10.
  answer({ status: 429, headers: { 'Retry-After': '10' }, body: null })
  assert.equal((await first).status, 429)
  await advance(t0 + 9_999)
  assert.equal(sentAt, null, `the booked slot went at +${sentAt - t0} ms, before the server's 10 s`)
  await advance(t0 + 20_000)
  const at = await pending
  assert.ok(sentAt >= t0 + 10_000 && at >= t0 + 10_000, `sent at +${sentAt - t0} ms`)
})
