'use strict'
// An AppFoundry-style campaign start and a bulk sync of 10,000 contacts in batches of 500 across
// three tenants at once, through the real (newest) Genesys SDK with pacekeeper installed:
// zero records lost or duplicated, zero early retries.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const pk = require('..')
const sdk = require('genesys-sdk-latest')

const serverUrl = path.resolve(__dirname, '..', '..', 'tests', 'server', 'server.mjs')

const CONTACTS = 10_000
const BATCH = 500

async function syncTenant (url, tenant, pacer) {
  const client = new sdk.ApiClientClass()
  client.config.basePath = url
  client.setAccessToken(`token-${tenant}`)
  // Retries and header reading inside the SDK's HTTP client; pacing ahead of time below.
  pk.installGenesys(client, { limiter: pacer.limiter, backoff: { maxAttempts: 30 } })
  const outbound = new sdk.OutboundApi(client)
  await outbound.postOutboundCampaignStart(`campaign-${tenant}`)
  const plan = pk.plan({ records: CONTACTS, maxBatchRecords: BATCH })
  assert.equal(plan.batches.length, CONTACTS / BATCH)
  // All batches of a tenant concurrently: the shared limiter staggers them at the server's pace.
  await Promise.all(plan.batches.map(async (b) => {
    const body = []
    for (let i = b.start; i < b.end; i++) body.push({ id: `${tenant}-${i}`, data: { i: String(i) } })
    const accepted = await outbound.postOutboundContactlistContacts(`list-${tenant}`, body)
    assert.equal(accepted.length, b.end - b.start)
  }))
}

test('campaign start + 10,000 contacts in batches of 500 across three tenants: nothing lost, duplicated or early', async () => {
  const { startServer } = await import(serverUrl)
  const srv = await startServer({ profile: 'genesys', burst: 5, ratePerSec: 50 })
  try {
    // One limiter for the app, keyed by token: the installed adapter reserves a slot for each
    // request before sending it, learns from the inin-ratelimit headers, and honours any 429.
    const pacer = new pk.Pacer({ limits: [{ amount: 40, periodMs: 1000, burst: 4 }] })
    const t0 = Date.now()
    await Promise.all(['a', 'b', 'c'].map((t) => syncTenant(srv.url, t, pacer)))
    const elapsed = Date.now() - t0
    const s = srv.stats()
    assert.equal(s.earlyRetries, 0, 'zero early retries')
    assert.deepEqual([...s.campaignsStarted].sort(), ['campaign-a', 'campaign-b', 'campaign-c'])
    for (const t of ['a', 'b', 'c']) {
      const list = s.contacts[`list-${t}`]
      assert.equal(list.unique, CONTACTS, `tenant ${t}: every contact`)
      assert.equal(list.duplicates, 0, `tenant ${t}: no duplicate`)
      assert.equal(list.accepted, CONTACTS)
    }
    assert.equal(s.budgetViolations, 0)
    assert.ok(elapsed < 20_000, `took ${elapsed} ms`)
  } finally { await srv.close() }
})
