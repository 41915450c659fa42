// An AppFoundry-style job with the Genesys Cloud SDK and pacekeeper: for three tenants at once,
// start an outbound campaign and sync 10,000 contacts in batches of 500, against the loopback
// test server (tests/server) — nothing leaves 127.0.0.1.
//
//   node examples/node/campaign.mjs        (run by `make test`: make test-node-examples)
import { createRequire } from 'node:module'
import { startServer } from '../../tests/server/server.mjs'

const require = createRequire(new URL('../../bindings-node/package.json', import.meta.url))
const platformClient = require('genesys-sdk-latest') // purecloud-platform-client-v2, newest
const { installGenesys, plan, Limiter } = require('pacekeeper')

const srv = await startServer({ profile: 'genesys', burst: 5, ratePerSec: 50 })
const limiter = new Limiter({ limits: [{ amount: 40, periodMs: 1000, burst: 4 }] }) // a little under the server
const t0 = Date.now()

async function tenant (name) {
  const client = new platformClient.ApiClientClass()
  client.config.basePath = srv.url // setEnvironment() would point at the real cloud
  client.setAccessToken(`token-${name}`)
  installGenesys(client, { limiter }) // the two-line change
  const outbound = new platformClient.OutboundApi(client)

  const started = await outbound.postOutboundCampaignStart(`campaign-${name}`)
  const { batches } = plan({ records: 10_000, maxBatchRecords: 500 })
  await Promise.all(batches.map((b) => outbound.postOutboundContactlistContacts(`list-${name}`,
    Array.from({ length: b.end - b.start }, (_, i) => ({ id: `${name}-${b.start + i}`, data: {} })))))
  return started.campaignStatus
}

const statuses = await Promise.all(['acme', 'globex', 'initech'].map(tenant))
const s = srv.stats()
await srv.close()
const lists = Object.entries(s.contacts).map(([id, c]) => `${id}: ${c.unique} unique, ${c.duplicates} duplicates`)
console.log(`campaigns: ${statuses.join(', ')}`)
console.log(lists.join('\n'))
console.log(`requests ${s.requests}, throttled ${s.throttled}, early retries ${s.earlyRetries}, in ${Date.now() - t0} ms`)
const ok = statuses.every((x) => x === 'on') && Object.values(s.contacts).every((c) => c.unique === 10_000 && c.duplicates === 0) &&
  s.earlyRetries === 0 && Object.keys(s.contacts).length === 3
console.log(ok ? 'contacts covered exactly once: 30000 of 30000, zero early retries' : 'FAILED')
process.exit(ok ? 0 : 1)
