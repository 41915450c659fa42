'use strict'
// The Genesys Node SDK adapter against the real SDK, at 12.0.0 (superagent, callApi), at 200.0.0
// (axios, body-only rejections, no setHttpClient) and at the newest version the registry serves
// (axios, setHttpClient), all pointed at the loopback server.
const test = require('node:test')
const assert = require('node:assert/strict')
const net = require('node:net')
const path = require('node:path')
const pk = require('..')

const serverUrl = path.resolve(__dirname, '..', '..', 'tests', 'server', 'server.mjs')
const startServer = async (opts) => (await import(serverUrl)).startServer(opts)

const sdk12 = require('genesys-sdk-12')
const sdk200 = require('genesys-sdk-200')
const sdkLatest = require('genesys-sdk-latest')
const latestVersion = require('genesys-sdk-latest/package.json').version

function contacts (prefix, n) { return Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, data: { n: String(i) } })) }

function client12 (url, token) {
  const c = new sdk12.ApiClient()
  c.basePath = url
  c.setAccessToken(token)
  return c
}

function clientLatest (url, token) {
  const c = new sdkLatest.ApiClientClass()
  c.config.basePath = url
  c.setAccessToken(token)
  return c
}

// Three tenants (tokens) at once, each sending its posts one after another, as an integration
// does. `genesys`: the adapter learns the pace from the inin-ratelimit headers of the 2xx
// responses; `genesys-body-only`: 429s carry only the body, whose "Retry the request in [N]
// seconds" must be honoured.
async function threeTenants (srv, makeApi, list) {
  const results = await Promise.all(['a', 'b', 'c'].map(async (t) => {
    const api = makeApi(`tok-${t}`)
    const out = []
    for (let i = 0; i < 6; i++) out.push(await api.postOutboundContactlistContacts(list, contacts(`${t}${i}`, 5)))
    return out
  }))
  for (const r of results.flat()) {
    assert.ok(Array.isArray(r), 'the SDK still resolves with the body (no extended response)')
    assert.equal(r.length, 5)
  }
  const s = srv.stats()
  assert.equal(s.earlyRetries, 0, 'no request before the server said')
  assert.equal(s.contacts[list].unique, 90)
  assert.equal(s.contacts[list].duplicates, 0)
  return s
}

for (const profile of ['genesys', 'genesys-body-only']) {
  test(`SDK 12.0.0 (superagent), ${profile}: callApi is wrapped; every 429 honoured; results unchanged`, async () => {
    const srv = await startServer({ profile, burst: 2, ratePerSec: 10 })
    try {
      const s = await threeTenants(srv, (token) => {
        const c = client12(srv.url, token)
        const h = pk.installGenesys(c, { backoff: { maxAttempts: 20 } })
        assert.equal(h.mode, 'call-api')
        return new sdk12.OutboundApi(c)
      }, 'list12')
      if (profile === 'genesys-body-only') assert.ok(s.throttled > 0, 'the server throttled')
    } finally { await srv.close() }
  })
}

test('SDK 12.0.0: a 404 rejects exactly as before (extended object with status)', async () => {
  const srv = await startServer({ profile: 'genesys' })
  try {
    const c = client12(srv.url, 'tok-404')
    pk.installGenesys(c)
    await assert.rejects(c.callApi('/api/v2/nothing', 'GET', {}, {}, {}, {}, null, ['PureCloud Auth'], ['application/json'], ['application/json']),
      (e) => { assert.equal(e.status, 404); assert.equal(e.body.code, 'not.found'); return true })
  } finally { await srv.close() }
})

test('SDK 12.0.0: a reset connection settles (no hang, no uncaught exception) and a silent server times out', async () => {
  const reset = net.createServer((s) => s.destroy()).listen(0, '127.0.0.1')
  const silent = net.createServer(() => {}).listen(0, '127.0.0.1')
  await Promise.all([new Promise((resolve) => reset.once('listening', resolve)), new Promise((resolve) => silent.once('listening', resolve))])
  const uncaught = []
  const onUncaught = (e) => uncaught.push(e)
  process.on('uncaughtException', onUncaught)
  try {
    const a = client12(`http://127.0.0.1:${reset.address().port}`, 'tok')
    const ha = pk.installGenesys(a, { backoff: { maxAttempts: 2, baseMs: 10, capMs: 20 }, timeoutMs: 2000 })
    await assert.rejects(new sdk12.OutboundApi(a).postOutboundContactlistContacts('l', contacts('x', 1)), (e) => {
      assert.ok(e.error && /ECONNRESET|socket hang up/.test(String(e.error.code || e.error.message)), `network error: ${e.error && e.error.message}`)
      assert.equal(e.pacekeeper.attempts, 2)
      return true
    })
    ha.uninstall()
    const b = client12(`http://127.0.0.1:${silent.address().port}`, 'tok')
    pk.installGenesys(b, { backoff: { maxAttempts: 2, baseMs: 10, capMs: 20 }, timeoutMs: 300 })
    const t0 = Date.now()
    await assert.rejects(new sdk12.OutboundApi(b).postOutboundContactlistContacts('l', contacts('y', 1)), (e) => {
      assert.ok(e instanceof pk.TimeoutError, `${e && e.constructor && e.constructor.name}: ${e && e.message}`)
      assert.equal(e.pacekeeper.attempts, 2)
      return true
    })
    assert.ok(Date.now() - t0 < 5000)
    assert.deepEqual(uncaught, [])
  } finally {
    process.off('uncaughtException', onUncaught)
    reset.close(); silent.close()
  }
})

test(`SDK ${latestVersion} (newest, axios): setHttpClient with an AbstractHttpClient subclass; agent and timeout kept`, async () => {
  const srv = await startServer({ profile: 'genesys-body-only', burst: 2, ratePerSec: 10 })
  try {
    const https = require('node:https')
    const agent = new https.Agent({ keepAlive: true })
    const s = await threeTenants(srv, (token) => {
      const c = clientLatest(srv.url, token)
      c.getHttpClient().setHttpsAgent(agent)
      c.getHttpClient().setTimeout(12345)
      const h = pk.installGenesys(c, { backoff: { maxAttempts: 20 } })
      assert.equal(h.mode, 'http-client')
      const hc = c.getHttpClient()
      assert.ok(hc instanceof sdkLatest.AbstractHttpClient)
      assert.equal(hc.httpsAgent, agent, 'the proxy / mTLS agent is preserved')
      assert.equal(hc.timeout, 12345)
      return new sdkLatest.OutboundApi(c)
    }, 'listN')
    assert.ok(s.throttled > 0, 'the server throttled')
    // A non-retryable error still rejects with the body alone, as the SDK always did.
    const c = clientLatest(srv.url, 'tok-z')
    pk.installGenesys(c)
    await assert.rejects(new sdkLatest.OutboundApi(c).postOutboundContactlistContacts('l', 'not-an-array'), (e) => {
      assert.equal(e.status, 400)
      assert.equal(e.code, 'bad.request')
      return true
    })
  } finally { await srv.close() }
})

test(`SDK ${latestVersion} through callApi (the 137..210 path): body-only rejections, headers read inside`, async () => {
  // Versions 137 to 210 reject a 429 with the body alone. The adapter runs each call with
  // extended responses on a private view of the client and unwraps on success.
  for (const profile of ['genesys', 'genesys-body-only']) {
    const srv = await startServer({ profile, burst: 2, ratePerSec: 10 })
    try {
      const c = clientLatest(srv.url, 'tok-137')
      const h = pk.installGenesys(c, { mode: 'call-api', backoff: { maxAttempts: 20 } })
      assert.equal(h.mode, 'call-api')
      // Without the adapter, a 429 comes back body-only: no headers at all.
      const raw = clientLatest(srv.url, 'tok-raw')
      const rawApi = new sdkLatest.OutboundApi(raw)
      const rawErrors = []
      await Promise.all(Array.from({ length: 4 }, () => rawApi.postOutboundContactlistContacts('raw', contacts('r', 1)).catch((e) => rawErrors.push(e))))
      assert.ok(rawErrors.length > 0 && rawErrors.every((e) => e.status === 429 && e.headers === undefined), 'body-only rejections')
      const api = new sdkLatest.OutboundApi(c)
      const out = []
      for (let i = 0; i < 8; i++) out.push(await api.postOutboundContactlistContacts('list137', contacts(`p${i}`, 2)))
      for (const r of out) assert.deepEqual(r.map((x) => x.id).length, 2)
      const started = await api.postOutboundCampaignStart('camp-1')
      assert.equal(started.campaignStatus, 'on')
      const s = srv.stats()
      assert.equal(s.perToken['tok-137'].earlyRetries, 0)
      if (profile === 'genesys-body-only') assert.ok(s.perToken['tok-137'].throttled > 0, `${profile}: throttled`)
      assert.equal(s.contacts.list137.unique, 16)
      assert.equal(s.contacts.list137.duplicates, 0)
      h.uninstall()
    } finally { await srv.close() }
  }
})

test('SDK 200.0.0 (axios, before setHttpClient): auto-installs through callApi; body-only rejections still honoured', async () => {
  assert.equal(require('genesys-sdk-200/package.json').version, '200.0.0')
  for (const profile of ['genesys', 'genesys-body-only']) {
    const srv = await startServer({ profile, burst: 2, ratePerSec: 10 })
    try {
      const make = (token) => {
        const c = new sdk200.ApiClientClass()
        c.config.basePath = srv.url
        c.setAccessToken(token)
        return c
      }
      const s = await threeTenants(srv, (token) => {
        const c = make(token)
        const h = pk.installGenesys(c, { backoff: { maxAttempts: 20 } })
        assert.equal(h.mode, 'call-api', 'no setHttpClient before 211: callApi is wrapped')
        return new sdk200.OutboundApi(c)
      }, 'list200')
      for (const t of ['a', 'b', 'c']) assert.equal(s.perToken[`tok-${t}`].earlyRetries, 0)
      // Without the adapter a 429 rejects with the body alone, no headers (run last: its burst would
      // count as early retries in the totals checked above).
      const rawApi = new sdk200.OutboundApi(make('tok-raw'))
      const rawErrors = []
      await Promise.all(Array.from({ length: 4 }, () => rawApi.postOutboundContactlistContacts('raw', contacts('r', 1)).catch((e) => rawErrors.push(e))))
      assert.ok(rawErrors.length > 0, `${profile}: the raw SDK was throttled`)
      assert.ok(rawErrors.every((e) => e.status === 429 && e.headers === undefined), 'body-only rejections')
      // Errors that are not rate limits keep the shape integration code already handles.
      const c = make('tok-z')
      pk.installGenesys(c)
      await assert.rejects(new sdk200.OutboundApi(c).postOutboundContactlistContacts('l', 'not-an-array'), (e) => {
        assert.equal(e.status, 400)
        assert.equal(e.code, 'bad.request')
        return true
      })
    } finally { await srv.close() }
  }
})

// A give-up on every SDK generation carries the `.pacekeeper` annotation the README promises.
for (const [name, make, mode] of [
  ['12.0.0', (url, t) => client12(url, t), 'call-api'],
  ['200.0.0', (url, t) => { const c = new sdk200.ApiClientClass(); c.config.basePath = url; c.setAccessToken(t); return c }, 'call-api'],
  [latestVersion, (url, t) => clientLatest(url, t), 'http-client'],
  [`${latestVersion} through callApi`, (url, t) => clientLatest(url, t), 'call-api']
]) {
  test(`SDK ${name}: a give-up rejects annotated with {attempts, reason, lastResponse}`, async () => {
    const srv = await startServer({ profile: 'genesys', burst: 1, ratePerSec: 0.1 })
    try {
      const c = make(srv.url, `tok-give-up-${mode}`)
      const sdk = name.startsWith('12') ? sdk12 : (name.startsWith('200') ? sdk200 : sdkLatest)
      const api = new sdk.OutboundApi(c)
      // The burst goes before the adapter is installed, so that its first call meets a 429.
      await api.postOutboundContactlistContacts('g', contacts('g0', 1))
      const h = pk.installGenesys(c, { backoff: { maxAttempts: 1 }, mode: name.includes('callApi') ? 'call-api' : undefined })
      assert.equal(h.mode, mode)
      await assert.rejects(api.postOutboundContactlistContacts('g', contacts('g1', 1)), (e) => {
        assert.equal(e.status, 429)
        assert.ok(e.pacekeeper, `annotated: ${Object.keys(e)}`)
        assert.equal(e.pacekeeper.attempts, 1)
        assert.equal(e.pacekeeper.reason, 'max_attempts')
        assert.equal(e.pacekeeper.lastResponse.status, 429)
        return true
      })
    } finally { await srv.close() }
  })
}

for (const [name, make, sdk] of [
  [latestVersion, (url, t) => clientLatest(url, t), sdkLatest],
  ['200.0.0', (url, t) => { const c = new sdk200.ApiClientClass(); c.config.basePath = url; c.setAccessToken(t); return c }, sdk200],
  ['12.0.0', (url, t) => client12(url, t), sdk12]
]) {
test(`SDK ${name}: timeoutMs aborts the request, so the server never completes a timed-out POST`, async () => {
  const stats = { requests: 0, completed: 0 }
  const srv = require('node:http').createServer((req, res) => {
    const n = ++stats.requests
    let closed = false
    res.on('close', () => { closed = true })
    req.resume()
    setTimeout(() => {
      if (closed) return
      stats.completed++
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('[]')
    }, n === 1 ? 800 : 0)
  })
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve))
  try {
    const c = make(`http://127.0.0.1:${srv.address().port}`, 'tok-timeout')
    pk.installGenesys(c, { timeoutMs: 250, backoff: { maxAttempts: 3, baseMs: 10, capMs: 20 } })
    const out = await new sdk.OutboundApi(c).postOutboundContactlistContacts('t', contacts('t', 1))
    assert.deepEqual(out, [])
    await new Promise((resolve) => setTimeout(resolve, 1000))
    assert.equal(stats.requests, 2)
    assert.equal(stats.completed, 1, 'the timed-out POST was aborted, not completed')
  } finally { srv.closeAllConnections(); srv.close() }
})
}

test('a 429 whose RateLimit-Policy window is past 2^53 ms is retried by the adapter (SDK 12 and newest), never thrown', async () => {
  let n = 0
  const srv = require('node:http').createServer((req, res) => {
    req.resume()
    if (++n % 2 === 1) {
      // The window is past 2^53 ms (the engine rejects that field and keeps going); the reset is
      // due now. (A reset past the cap would be a give-up with reason wait_too_long instead.)
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0', 'ratelimit-policy': '"d";q=1;w=9007199254741', ratelimit: '"d";r=0;t=0' })
      res.end('{"message":"slow down","code":"too.many.requests","status":429}')
    } else {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('[]')
    }
  })
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve))
  try {
    const url = `http://127.0.0.1:${srv.address().port}`
    const a = client12(url, 'tok-huge')
    pk.installGenesys(a, { backoff: { maxAttempts: 3, baseMs: 10, capMs: 20 } })
    assert.deepEqual(await new sdk12.OutboundApi(a).postOutboundContactlistContacts('h', contacts('h', 1)), [])
    const b = clientLatest(url, 'tok-huge')
    pk.installGenesys(b, { backoff: { maxAttempts: 3, baseMs: 10, capMs: 20 } })
    assert.deepEqual(await new sdkLatest.OutboundApi(b).postOutboundContactlistContacts('h', contacts('h', 1)), [])
    assert.equal(n, 4)
  } finally { srv.closeAllConnections(); srv.close() }
})
