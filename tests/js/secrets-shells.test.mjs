// No credential reaches anything withRetry, wrapFetch or the Pacer create or attach: a canary
// token sent in Authorization, Cookie, X-Api-Key and the query string (and echoed back by the
// server in Set-Cookie and the body) appears in no RetryError, cause, lastResponse, lastResult
// or onRetry event, whether printed by util.inspect, JSON.stringify, String(err) or err.stack,
// or walked property by property. Runs against the napi and the WASM package.
import test from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { pk } = require('./impl.cjs')

const { CANARY, assertClean } = require('./canary.cjs')

async function echoServer () {
  // Always 429 (no Retry-After: the body is the hint), echoing what a careless server echoes.
  const srv = http.createServer((req, res) => {
    req.resume()
    res.writeHead(429, { 'set-cookie': `session=${CANARY}; HttpOnly`, 'content-type': 'application/json', 'x-echo-auth': String(req.headers.authorization) })
    res.end(JSON.stringify({ message: 'Rate limit exceeded the maximum. Retry the request in [0] seconds', code: 'too.many.requests.retry.after', status: 429, access_token: CANARY, echo: `Authorization: ${req.headers.authorization}` }))
  })
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${srv.address().port}`, close: () => new Promise((resolve) => { srv.closeAllConnections(); srv.close(resolve) }) }
}

const headers = { authorization: `Bearer ${CANARY}`, cookie: `sid=${CANARY}`, 'x-api-key': CANARY, 'proxy-authorization': `Basic ${CANARY}` }
const quick = { maxAttempts: 2, baseMs: 5, capMs: 10 }

test('withRetry(fetch): the RetryError, its lastResult, lastResponse and the onRetry events carry no credential', async () => {
  const srv = await echoServer()
  try {
    const events = []
    const url = `${srv.url}/api?access_token=${CANARY}&client_secret=${CANARY}&sig=${CANARY}&page=2`
    const err = await pk.withRetry(() => fetch(url, { headers }), { backoff: quick, onRetry: (e) => events.push(e) }).catch((e) => e)
    assert.ok(err instanceof pk.RetryError, String(err))
    assert.equal(err.status, 429)
    assert.equal(err.lastResult.status, 429)
    assert.match(err.lastResult.url, /page=2/)
    assert.ok(err.lastResult.url.includes('access_token=[REDACTED]') || err.lastResult.url.includes('access_token=%5BREDACTED%5D'), err.lastResult.url)
    assertClean(err, 'RetryError')
    // The copy's body is still the server's, readable.
    assert.match(await err.lastResult.text(), /too\.many\.requests/)
    assert.equal(events.length, 1)
    assertClean(events[0], 'onRetry event')
  } finally { await srv.close() }
})

test('withRetry: a thrown error carrying the request (config headers, a raw header block, a URL) is attached redacted', async () => {
  const make = () => {
    const e = new Error(`Request failed with status code 429 for http://user:${CANARY}@h/x?token=${CANARY}`)
    e.config = { url: `http://h/x?api_key=${CANARY}`, headers: { Authorization: `Bearer ${CANARY}`, 'X-Api-Key': CANARY, Accept: 'json' }, auth: { username: 'u', password: CANARY }, data: JSON.stringify({ client_secret: CANARY }) }
    e.request = { _header: `POST /x HTTP/1.1\r\nAuthorization: Bearer ${CANARY}\r\nCookie: a=${CANARY}\r\n\r\n`, path: `/x?access_token=${CANARY}` }
    e.response = { status: 429, headers: { 'set-cookie': [`s=${CANARY}`], 'retry-after': '0' }, data: { token: CANARY }, config: e.config, request: e.request }
    e.self = e
    return e
  }
  const original = make()
  const events = []
  const err = await pk.withRetry(() => { throw original }, { backoff: quick, onRetry: (e) => events.push(e) }).catch((e) => e)
  assert.ok(err instanceof pk.RetryError, String(err))
  assert.ok(err.cause instanceof Error)
  assert.equal(err.cause.response.status, 429)
  assert.equal(err.cause.config.headers.Accept, 'json', 'what is not a credential is kept')
  assert.equal(err.cause.config.headers.Authorization, '[REDACTED]')
  assertClean(err, 'RetryError')
  assertClean(events[0], 'onRetry event')
  // The caller's own error object is left as it was.
  assert.equal(original.config.headers.Authorization, `Bearer ${CANARY}`)
})

test('wrapFetch: a give-up after 429s (Request object, credentials in headers and URL) leaks nothing', async () => {
  const srv = await echoServer()
  try {
    const f = pk.wrapFetch(fetch, { backoff: quick })
    const err = await f(new Request(`${srv.url}/v1?key=${CANARY}&password=${CANARY}`, { method: 'POST', headers, body: '{}' })).catch((e) => e)
    assert.ok(err instanceof pk.RetryError, String(err))
    assertClean(err, 'wrapFetch RetryError')
    const err2 = await f(`${srv.url}/v1?access_token=${CANARY}`, { headers }).catch((e) => e)
    assertClean(err2, 'wrapFetch RetryError (url, init)')
  } finally { await srv.close() }
})

test('wrapFetch: a network error (connection refused) to a URL with a token gives up without it', async () => {
  const srv = await echoServer()
  const url = srv.url
  await srv.close()
  const f = pk.wrapFetch(fetch, { backoff: quick })
  const err = await f(`${url}/x?access_token=${CANARY}`, { headers }).catch((e) => e)
  assert.ok(err instanceof pk.RetryError, String(err))
  assert.ok(err.cause)
  assertClean(err, 'network give-up')
})

test('Pacer: what it creates (a wait over the cap after a reported 429) carries no credential', async () => {
  const srv = await echoServer()
  try {
    const pacer = new pk.Pacer({ limits: [{ amount: 1, periodMs: 3_600_000, burst: 1 }], maxWaitMs: 1000 })
    const r = await pacer.run('k', () => fetch(`${srv.url}/x?access_token=${CANARY}`, { headers }))
    assert.equal(r.status, 429)
    const err = await pacer.acquire('k').catch((e) => e)
    assert.ok(err instanceof pk.RetryError && err.reason === 'wait_too_long', String(err))
    assertClean(err, 'Pacer error')
  } finally { await srv.close() }
})
