// The JS shells (withRetry, wrapFetch, Pacer) against hostile servers and hostile timing:
// long sleeps without timer overflow, server values that never throw, capped waits, bounded
// bodies, timeouts that abort, replayable POST bodies and aborted Pacer waiters. Runs against
// the napi and the WASM package (PACEKEEPER_IMPL).
import test from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { createRequire } from 'node:module'
import { startServer } from '../server/server.mjs'

const require = createRequire(import.meta.url)
const { pk } = require('./impl.cjs')

const MAX_TIMER = 2 ** 31 - 1
const DAY = 86_400_000

/** A tiny loopback server: `handler(req, res, n)` for request number n; counts requests. */
async function loopback (handler) {
  const sockets = new Set()
  const stats = { requests: 0, completed: 0, bytesSent: 0 }
  const srv = http.createServer((req, res) => { stats.requests++; handler(req, res, stats.requests, stats) })
  srv.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${srv.address().port}`,
    stats,
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); srv.close(resolve) })
  }
}

/**
 * Replaces the global setTimeout for one test with a virtual one: records every delay, moves
 * the virtual clock by it, and fires at once. A delay over 2^31 − 1 ms behaves as Node's does
 * (fires after 1 ms), so an overflowing sleep shows as an early return.
 */
function virtualTimers (start) {
  const real = globalThis.setTimeout
  const state = { now: start, delays: [] }
  globalThis.setTimeout = (fn, d, ...args) => {
    const ms = typeof d === 'number' && d > 0 ? d : 0
    state.delays.push(ms)
    state.now += ms > MAX_TIMER ? 1 : ms
    return real(fn, 0, ...args)
  }
  state.restore = () => { globalThis.setTimeout = real }
  return state
}

test('a sleep longer than 2^31 − 1 ms (28 days) does not return early: slept in chunks, no timer overflows', async () => {
  const t = virtualTimers(1_700_000_000_000)
  try {
    const clock = { now: () => t.now } // real (chunked) sleeping on the virtual timers
    const sent = []
    const wait = 28 * DAY
    const out = await pk.withRetry(async () => {
      sent.push(t.now)
      return sent.length === 1 ? { status: 429, headers: { 'retry-after': String(wait / 1000) }, body: null } : { status: 200, headers: {}, body: 'ok' }
    }, { clock, backoff: { hintSpreadPercent: 0, maxWaitMs: 29 * DAY }, parseOptions: { maxWaitMs: 29 * DAY } })
    assert.equal(out.body, 'ok')
    assert.ok(sent[1] - sent[0] >= wait, `the retry went out after ${sent[1] - sent[0]} ms, before the server's ${wait} ms`)
    assert.ok(t.delays.every((d) => d <= MAX_TIMER), `timer delays ${t.delays.filter((d) => d > MAX_TIMER)}`)
  } finally { t.restore() }
})

test('Pacer: a 28-day slot is waited in full, never early (chunked sleeping)', async () => {
  const t = virtualTimers(1_700_000_000_000)
  try {
    const pacer = new pk.Pacer({ limits: [{ amount: 1, periodMs: 28 * DAY, burst: 1 }], clock: { now: () => t.now }, maxWaitMs: 29 * DAY })
    const t0 = await pacer.acquire('k')
    const t1 = await pacer.acquire('k')
    assert.ok(t1 - t0 >= 28 * DAY, `second slot after ${t1 - t0} ms`)
    assert.ok(t.now - t0 >= 28 * DAY)
    assert.ok(t.delays.every((d) => d <= MAX_TIMER))
  } finally { t.restore() }
})

function fakeClock () {
  const c = { now: 1_700_000_000_000, slept: [] }
  c.clock = { now: () => c.now, sleep: async (ms) => { c.slept.push(ms); c.now += ms } }
  return c
}

// Each a 429 whose headers the engine cannot take as they are, and what must come of it: a
// retry, or (a wait past the cap) a RetryError — never a RangeError or TypeError.
const HOSTILE_429 = [
  // The window is rejected by the engine (listed in `rejected`); the reset is due now.
  ['a RateLimit-Policy window past 2^53 ms', { 'ratelimit-policy': '"default";q=1;w=9007199254741', ratelimit: '"default";r=0;t=0' }, 'retry'],
  // A reset that far is capped (6 h by default), which is past what a call may wait: a give-up.
  ['a RateLimit reset past 2^53 ms', { 'ratelimit-policy': '"default";q=1;w=60', ratelimit: '"default";r=0;t=9007199254741' }, 'either'],
  ['a window of 2^63 seconds', { 'ratelimit-policy': '"d";q=1;w=9223372036854775807', ratelimit: '"d";r=0;t=9223372036854775807' }, 'retry'],
  ['X-RateLimit-Reset far past 2^53', { 'x-ratelimit-limit': '1', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '99999999999999999999999' }, 'either'],
  ['a Retry-After past 2^53 seconds', { 'retry-after': '9007199254740993' }, 'either'],
  ['header values that are not strings', { 'retry-after': { x: 1 }, 'x-ratelimit-reset': [1, 2], ratelimit: null }, 'retry'],
  ['a headers object that throws', new Proxy({}, { ownKeys () { throw new RangeError('hostile') } }), 'retry']
]

for (const [name, headers, expected] of HOSTILE_429) {
  test(`withRetry: a 429 with ${name} is retried or given up on, never a thrown RangeError; every wait ≤ the cap`, async () => {
    const c = fakeClock()
    let n = 0
    const out = await pk.withRetry(async () => (++n === 1 ? { status: 429, headers, body: null } : { status: 200, headers: {}, body: 'ok' }),
      { clock: c.clock, backoff: { maxAttempts: 5 } }).catch((e) => e)
    if (out instanceof Error) {
      assert.ok(expected === 'either' && out instanceof pk.RetryError && out.reason === 'wait_too_long', `${out.name} ${out.code}: ${out.message}`)
      assert.equal(n, 1)
    } else {
      assert.equal(out.body, 'ok')
      assert.equal(n, 2)
    }
    const cap = new pk.Backoff().policy.maxWaitMs
    assert.ok(c.slept.every((ms) => ms <= cap), `slept ${c.slept}`)
  })
}

test('withRetry with a learning limiter: a 2xx teaching a 49-day window never makes it sleep past the cap', async () => {
  const c = fakeClock()
  const limiter = new pk.Limiter({ learn: true })
  let n = 0
  const call = () => pk.withRetry(async () => { n++; return { status: 200, headers: { 'ratelimit-policy': '"d";q=1;w=4294967', ratelimit: '"d";r=0;t=4294967' }, body: 'ok' } },
    { clock: c.clock, limiter, key: 'k', backoff: { maxWaitMs: 60_000 } })
  assert.equal((await call()).body, 'ok')
  // The core holds the next request at most the cap, then lets it go as is (the server decides):
  // the same rule in every runtime (tests/vectors/sessions.json, "every wait is capped").
  const t0 = c.now
  assert.equal((await call()).body, 'ok')
  assert.equal(n, 2)
  assert.ok(c.now - t0 <= 60_000 && c.now - t0 > 0, `held ${c.now - t0} ms`)
  assert.ok(c.slept.every((ms) => ms <= 60_000), `slept ${c.slept}`)
  // The Pacer obeys its own cap the same way.
  const pacer = new pk.Pacer({ limiter, clock: c.clock, maxWaitMs: 30_000 })
  const t1 = c.now
  await pacer.acquire('k')
  assert.ok(c.now - t1 <= 30_000, `acquire held ${c.now - t1} ms`)
  assert.ok(c.slept.every((ms) => ms <= 60_000))
})

test('wrapFetch against a server whose 429 carries a window past 2^53 ms: retried, not thrown', async () => {
  const srv = await loopback((req, res, n) => {
    if (n === 1) {
      res.writeHead(429, { 'ratelimit-policy': '"default";q=1;w=9007199254741', ratelimit: '"default";r=0;t=0', 'retry-after': '0' })
      res.end('{}')
    } else { res.writeHead(200); res.end('ok') }
  })
  try {
    const f = pk.wrapFetch(fetch, { backoff: { maxAttempts: 3, baseMs: 10, capMs: 20 } })
    const r = await f(`${srv.url}/x`)
    assert.equal(r.status, 200)
    assert.equal(await r.text(), 'ok')
  } finally { await srv.close() }
})

test('a trickled 429 body is read only under the request\'s timeout: the give-up comes in bounded time', { timeout: 20_000 }, async () => {
  const timers = []
  const srv = await loopback((req, res) => {
    res.writeHead(429, { 'content-type': 'application/json' })
    res.write('{"message":"Rate limit exceeded the maximum. Retry the request in [')
    timers.push(setInterval(() => res.write(' '), 100))
    res.on('close', () => {})
  })
  try {
    const f = pk.wrapFetch(fetch, { timeoutMs: 800, backoff: { maxAttempts: 2, baseMs: 10, capMs: 20 } })
    const t0 = Date.now()
    await assert.rejects(f(`${srv.url}/trickle`), (e) => e instanceof pk.RetryError && e.status === 429)
    const ms = Date.now() - t0
    assert.ok(ms < 4000, `gave up after ${ms} ms`)
  } finally { for (const t of timers) clearInterval(t); await srv.close() }
})

test('an endless 429 body: a few KB read, bounded time and memory; an endless 200 body is left untouched', { timeout: 30_000 }, async () => {
  const chunk = Buffer.alloc(64 * 1024, 'x')
  const srv = await loopback((req, res, n, stats) => {
    const status = req.url === '/ok' ? 200 : (req.url === '/500' ? 500 : 429)
    res.writeHead(status, { 'content-type': 'text/plain' })
    let open = true
    res.on('close', () => { open = false })
    const pump = () => {
      while (open && stats.bytesSent < 4 * 1024 ** 3) {
        stats.bytesSent += chunk.length
        if (!res.write(chunk)) { res.once('drain', pump); return }
      }
    }
    pump()
  })
  try {
    global.gc && global.gc()
    const rss0 = process.memoryUsage().rss
    const t0 = Date.now()
    const f = pk.wrapFetch(fetch, { backoff: { maxAttempts: 2, baseMs: 10, capMs: 20 } })
    await assert.rejects(f(`${srv.url}/endless`), (e) => e instanceof pk.RetryError && e.status === 429)
    const r500 = await f(`${srv.url}/500`)
    assert.equal(r500.status, 500)
    await r500.body.cancel()
    const ok = await f(`${srv.url}/ok`)
    assert.equal(ok.status, 200)
    assert.equal(ok.bodyUsed, false, 'a successful body is the caller\'s, unread')
    const reader = ok.body.getReader()
    const first = await reader.read()
    assert.ok(first.value.byteLength > 0)
    await reader.cancel()
    const ms = Date.now() - t0
    const grew = (process.memoryUsage().rss - rss0) / 1024 ** 2
    assert.ok(ms < 10_000, `took ${ms} ms`)
    assert.ok(grew < 200, `rss grew by ${grew.toFixed(0)} MB`)
    assert.ok(srv.stats.bytesSent < 256 * 1024 ** 2, `the server sent ${(srv.stats.bytesSent / 1024 ** 2).toFixed(0)} MB`)
  } finally { await srv.close() }
})

test('timeoutMs aborts the request: the server never completes a timed-out POST, so it does not run twice', { timeout: 20_000 }, async () => {
  const srv = await loopback((req, res, n, stats) => {
    let closed = false
    res.on('close', () => { closed = true })
    req.resume()
    const delay = n === 1 ? 700 : 0
    setTimeout(() => {
      if (closed || res.destroyed) return
      stats.completed++
      res.writeHead(200); res.end('done')
    }, delay)
  })
  try {
    const f = pk.wrapFetch(fetch, { timeoutMs: 250, backoff: { maxAttempts: 3, baseMs: 10, capMs: 20 } })
    const r = await f(`${srv.url}/post`, { method: 'POST', body: 'once' })
    assert.equal(r.status, 200)
    await new Promise((resolve) => setTimeout(resolve, 900))
    assert.equal(srv.stats.requests, 2)
    assert.equal(srv.stats.completed, 1, 'the timed-out attempt was aborted, not completed by the server')
    // withRetry hands the attempt's signal to fn, and aborts it on timeout.
    let seen = null
    await assert.rejects(pk.withRetry(({ signal }) => { seen = signal; return new Promise(() => {}) }, { timeoutMs: 50, backoff: { maxAttempts: 1 } }),
      (e) => e instanceof pk.RetryError)
    assert.ok(seen && seen.aborted, 'the attempt\'s signal was aborted')
    assert.ok(seen.reason instanceof pk.TimeoutError)
  } finally { await srv.close() }
})

test('wrapFetch retries a POST given as a Request object, with a ReadableStream body, or an async iterable body', { timeout: 30_000 }, async () => {
  const srv = await startServer({ profile: 'genesys', burst: 1, ratePerSec: 5 })
  try {
    // A fresh wrapper (a limiter that knows nothing yet) for each send, so the sends meet the
    // server's 429s instead of being paced around them.
    const f = (...args) => pk.wrapFetch(fetch, { backoff: { maxAttempts: 10 } })(...args)
    const url = `${srv.url}/api/v2/outbound/contactlists/R/contacts`
    const headers = { authorization: 'Bearer req', 'content-type': 'application/json' }
    const body = (id) => JSON.stringify([{ id, data: {} }])
    const enc = new TextEncoder()
    const sends = [
      () => f(new Request(url, { method: 'POST', headers, body: body('r1') })),
      () => f(new Request(url, { method: 'POST', headers, body: body('r2') })),
      () => f(url, { method: 'POST', headers, duplex: 'half', body: new ReadableStream({ start (c) { c.enqueue(enc.encode(body('s1'))); c.close() } }) }),
      () => f(url, { method: 'POST', headers, duplex: 'half', body: (async function * () { yield enc.encode(body('g1')) })() })
    ]
    // Back to back: each one after the first meets a 429 and must be resent whole.
    for (const s of sends) assert.equal((await s()).status, 200)
    const st = srv.stats()
    assert.ok(st.throttled >= 3, `throttled ${st.throttled}`)
    assert.equal(st.contacts.R.unique, 4)
    assert.equal(st.contacts.R.duplicates, 0)
    assert.equal(st.earlyRetries, 0)
    // A Request whose body was read cannot be sent: a clear coded TypeError, before any request.
    const used = new Request(url, { method: 'POST', headers, body: body('u') })
    await used.text()
    await assert.rejects(f(used), (e) => e instanceof TypeError && e.code === 'invalid_argument' && /already been read/.test(e.message))
  } finally { await srv.close() }
})

test('Pacer: aborted acquire calls release their places (after 100 aborts the next caller waits one slot)', async () => {
  const c = fakeClock()
  const pacer = new pk.Pacer({ limits: [{ amount: 1, periodMs: 1000, burst: 1 }], clock: c.clock })
  const t0 = await pacer.acquire('k')
  const aborted = []
  for (let i = 0; i < 100; i++) {
    const ac = new AbortController()
    const p = pacer.acquire('k', 1, { signal: ac.signal })
    ac.abort(new Error('gone'))
    aborted.push(p.then(() => 'resolved', (e) => e.message))
  }
  const results = await Promise.all(aborted)
  assert.ok(results.every((r) => r === 'gone'), 'every aborted acquire rejects with its reason')
  const t1 = await pacer.acquire('k')
  assert.ok(t1 - t0 <= 1000, `the next caller waited ${t1 - t0} ms`)
  // Waiters of one key are served in order.
  const order = []
  await Promise.all([1, 2, 3, 4].map((i) => pacer.acquire('k').then(() => order.push(i))))
  assert.deepEqual(order, [1, 2, 3, 4])
})

test('withRetry with timeoutMs and a long-lived caller signal leaves no listener behind per call', async () => {
  const ac = new AbortController()
  let added = 0
  let removed = 0
  const add = ac.signal.addEventListener.bind(ac.signal)
  const remove = ac.signal.removeEventListener.bind(ac.signal)
  ac.signal.addEventListener = (...a) => { added++; return add(...a) }
  ac.signal.removeEventListener = (...a) => { removed++; return remove(...a) }
  for (let i = 0; i < 50; i++) assert.equal(await pk.withRetry(async () => 'ok', { signal: ac.signal, timeoutMs: 1000 }), 'ok')
  assert.equal(added - removed, 0)
})

test('a call that ends outside the loop (onRetry throws, an abort, a bug) leaves no ticket holding the shared pacer', async () => {
  const c = fakeClock()
  const pacer = new pk.Pacer({ clock: c.clock })
  const r429 = { status: 429, headers: { 'retry-after': '1' }, body: null }
  await assert.rejects(pk.withRetry(async () => r429, { pacer, key: 'k', onRetry () { throw new Error('boom') } }), /boom/)
  await assert.rejects(pk.withRetry(async () => { throw new SyntaxError('bug') }, { pacer, key: 'k' }), SyntaxError)
  await assert.rejects(pk.withRetry(async () => 1, { pacer, key: 'k', signal: AbortSignal.abort() }), (e) => e.name === 'AbortError')
  assert.equal(pacer.core.openTickets, 0)
  assert.equal(pacer.core.inFlight('k'), 0)
  assert.equal(await pk.withRetry(async () => ({ status: 200, headers: {}, body: 'ok' }), { pacer, key: 'k' }).then((r) => r.body), 'ok')
})
