'use strict'
// No bearer token reaches what the Genesys adapter (SDK 12 superagent, SDK 200 and 262 axios)
// or withRetry over real axios attach to a give-up: RetryError.cause.config.headers
// .Authorization, an AxiosError in JSON.stringify, SDK 12's err.error.response.request.header
// .Authorization, extended responses; printed by util.inspect, JSON.stringify, String(err) and
// err.stack, or walked property by property.
const test = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const pk = require('..')

const sdk12 = require('genesys-sdk-12')
const sdk200 = require('genesys-sdk-200')
const sdkLatest = require('genesys-sdk-latest')
const axios = require('axios')

const { CANARY, assertClean } = require('../../tests/js/canary.cjs')

async function echoServer () {
  const srv = http.createServer((req, res) => {
    req.resume()
    res.writeHead(429, { 'set-cookie': `session=${CANARY}`, 'content-type': 'application/json', 'retry-after': '0' })
    res.end(JSON.stringify({ message: 'Rate limit exceeded the maximum. Retry the request in [0] seconds', code: 'too.many.requests.retry.after', status: 429 }))
  })
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${srv.address().port}`, close: () => new Promise((resolve) => { srv.closeAllConnections(); srv.close(resolve) }) }
}

const backoff = { maxAttempts: 2, baseMs: 5, capMs: 10 }
const contacts = [{ id: 'c1', data: {} }]

test('withRetry over real axios: RetryError.cause (an AxiosError) is a redacted copy, JSON.stringify included', async () => {
  const srv = await echoServer()
  try {
    const err = await pk.withRetry(() => axios.get(`${srv.url}/x?access_token=${CANARY}`, { headers: { Authorization: `Bearer ${CANARY}`, 'X-Api-Key': CANARY } }), { backoff }).catch((e) => e)
    assert.ok(err instanceof pk.RetryError, String(err))
    assert.ok(err.cause instanceof axios.AxiosError, 'still an AxiosError')
    assert.equal(err.cause.response.status, 429)
    assert.equal(err.cause.config.headers.Authorization, '[REDACTED]')
    assertClean(err, 'RetryError')
    assertClean(err.cause, 'AxiosError')
    assertClean(JSON.parse(JSON.stringify(err.cause)), 'AxiosError JSON')
  } finally { await srv.close() }
})

test('SDK 12.0.0 (superagent): the give-up rejection has no token (err.error.response.request.header)', async () => {
  const srv = await echoServer()
  try {
    const c = new sdk12.ApiClient()
    c.basePath = srv.url
    c.setAccessToken(CANARY)
    pk.installGenesys(c, { backoff })
    const err = await new sdk12.OutboundApi(c).postOutboundContactlistContacts('l', contacts).catch((e) => e)
    assert.equal(err.status, 429)
    assert.equal(err.pacekeeper.attempts, 2)
    assert.ok(err.error, 'the SDK 12 shape is kept')
    assertClean(err, 'SDK 12 rejection')
    assertClean(err.pacekeeper, 'annotation')
  } finally { await srv.close() }
})

for (const [name, sdk, extended] of [['200.0.0', sdk200, false], ['262.0.0', sdkLatest, false], ['262.0.0 (extended responses)', sdkLatest, true]]) {
  test(`SDK ${name} (axios): the give-up rejection has no token`, async () => {
    const srv = await echoServer()
    try {
      const c = new sdk.ApiClientClass()
      c.config.basePath = srv.url
      c.setAccessToken(CANARY)
      if (extended) c.setReturnExtendedResponses(true)
      pk.installGenesys(c, { backoff })
      const err = await new sdk.OutboundApi(c).postOutboundContactlistContacts('l', contacts).catch((e) => e)
      assert.equal(err.status, 429)
      if (!extended) {
        assert.equal(err.code, 'too.many.requests.retry.after')
        assert.ok(err.pacekeeper, 'annotated')
        assert.equal(err.pacekeeper.attempts, 2)
      }
      assertClean(err, `SDK ${name} rejection`)
    } finally { await srv.close() }
  })
}
