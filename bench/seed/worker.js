'use strict'
// One Node process of the seed scenario (bench/seed/seed.mjs): for every tenant at once, syncs
// `contacts` contacts into the tenant's contact list in batches of `batch`, through the Genesys
// Cloud SDK (purecloud-platform-client-v2, newest) with pacekeeper installed (`installGenesys`).
// `--store redis` shares one budget per tenant through Redis (ioredis); otherwise the process
// paces with its own in-memory pacer. Prints one JSON line: what it sent and saw.
//
//   node worker.js '{"url":..., "tenants":[...], "worker":"n1", "contacts":10000, "batch":500,
//                    "store":"memory"|"redis", "redisPort":PORT}'
const path = require('node:path')
const { createRequire } = require('node:module')

const ROOT = path.resolve(__dirname, '../..')
const nodeRequire = createRequire(path.join(ROOT, 'bindings-node/package.json'))
const platformClient = nodeRequire('genesys-sdk-latest')
const pk = require(path.join(ROOT, 'bindings-node'))

const cfg = JSON.parse(process.argv[2])

async function main () {
  let store = null
  let redis = null
  const events = []
  if (cfg.store === 'redis') {
    const Redis = require('ioredis')
    redis = new Redis({ port: cfg.redisPort, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500, lazyConnect: true })
    redis.on('error', () => {})
    await redis.connect()
    store = pk.createRedisStore(redis, { timeoutMs: 500 })
  }
  let retries = 0
  // Ready (imports done, store connected): wait for the orchestrator's go, so that every
  // process starts syncing at once.
  process.stdout.write('ready\n')
  await new Promise((resolve) => process.stdin.once('data', resolve))
  process.stdin.pause()
  const t0 = Date.now()
  const perTenant = {}
  const handles = []
  await Promise.all(cfg.tenants.map(async (tenant) => {
    const client = new platformClient.ApiClientClass()
    client.config.basePath = cfg.url
    client.setAccessToken(`token-${tenant}`)
    const options = { key: `tenant:${tenant}`, onRetry: () => { retries++ } }
    // The tenant's documented limit, configured (else the Genesys preset, refined from inin-ratelimit-*).
    if (cfg.limits) options.limits = cfg.limits.map((l) => ({ amount: l.amount, periodMs: l.period_ms, burst: l.burst }))
    if (store) Object.assign(options, { store, onStoreEvent: (e) => events.push(e) })
    if (store && cfg.shared) options.shared = cfg.shared
    handles.push(installGenesys(client, options))
    const outbound = new platformClient.OutboundApi(client)
    const { batches } = pk.plan({ records: cfg.contacts, maxBatchRecords: cfg.batch })
    let sent = 0
    // Batches one after another per tenant (the usual sync loop); tenants side by side.
    for (const b of batches) {
      const body = []
      for (let i = b.start; i < b.end; i++) body.push({ id: `${tenant}-${cfg.worker}-${i}`, data: { n: String(i) } })
      await outbound.postOutboundContactlistContacts(`list-${tenant}`, body)
      sent += body.length
    }
    perTenant[tenant] = sent
  }))
  const out = { worker: cfg.worker, runtime: 'node', start: t0, end: Date.now(), retries, perTenant, storeEvents: events.map((e) => e.event) }
  for (const h of handles) await h.pacer.flush() // the last lease releases reach Redis
  if (redis) redis.disconnect()
  process.stdout.write(JSON.stringify(out) + '\n')
}

function installGenesys (client, options) { return pk.installGenesys(client, options) }

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1) })
