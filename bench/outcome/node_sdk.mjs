// The outcome benchmark's Node client: the real Genesys Cloud Node SDK (purecloud-platform-client-v2,
// the `genesys-sdk-latest` alias of bindings-node/package.json) with pacekeeper installed the
// documented way, `installGenesys(client, { pacer })`: the Genesys preset (300 requests/min per
// token, refined from inin-ratelimit-*), no limits configured, one ApiClient per token sharing
// one Pacer. Runs one workload of bench/outcome/workloads.py (the same jobs, bodies and
// concurrency, as async workers) and prints {"wall_s", "failed", "failed_polls", "faults_before",
// "faults_after"} as JSON. Driven by clients.py (NodeSdk); the server's records give lost and
// duplicated, as for every other client.
//
//   node bench/outcome/node_sdk.mjs '{"url":"http://127.0.0.1:PORT","workload":"messaging",
//     "messages":100,"deadline_ms":40000,"faults":"...."}'
//
// faults: one character per request in send order, drawn by the Python transport from the cell's
// seeded sequence ('.' none, 'b' a connection reset before the request leaves, 'a' after the
// server answered), injected in an HTTP client below pacekeeper's.
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'

const require = createRequire(new URL('../../bindings-node/package.json', import.meta.url))
const platformClient = require('genesys-sdk-latest')
const { installGenesys, Pacer, Limiter, Backoff } = require('pacekeeper')

const args = JSON.parse(process.argv[2])
const deadline = performance.now() + args.deadline_ms
const faults = args.faults || ''
let nextFault = 0
let faultsBefore = 0
let faultsAfter = 0

class Stop extends Error {}

const pacer = new Pacer({
  limiter: new Limiter({ learn: true }),
  backoff: new Backoff({ maxAttempts: 30 }),
  preset: 'genesys'
})

const clients = new Map()
function apiFor (token) {
  let api = clients.get(token)
  if (!api) {
    const client = new platformClient.ApiClientClass()
    client.config.basePath = args.url
    client.setAccessToken(token)
    const inner = client.getHttpClient()
    class Faulty extends platformClient.AbstractHttpClient {
      constructor () {
        super()
        this.timeout = inner.timeout
        this.httpsAgent = inner.httpsAgent
      }

      async request (options) {
        if (performance.now() > deadline) throw new Stop('deadline')
        const f = faults[nextFault++] || '.'
        const reset = () => Object.assign(new Error('injected: connection reset'), { code: 'ECONNRESET' })
        if (f === 'b') { faultsBefore++; throw reset() }
        const r = await inner.request(options)
        if (f === 'a') { faultsAfter++; throw reset() }
        return r
      }
    }
    client.setHttpClient(new Faulty())
    installGenesys(client, { pacer })
    api = {
      outbound: new platformClient.OutboundApi(client),
      conversations: new platformClient.ConversationsApi(client),
      wfm: new platformClient.WorkforceManagementApi(client)
    }
    clients.set(token, api)
  }
  return api
}

async function ok (fn) {
  if (performance.now() > deadline) return false
  try {
    await fn()
    return true
  } catch (e) {
    return false
  }
}

// Each group is a queue served by `workers` async workers; returns the failed jobs.
async function runGroups (groups, workers) {
  let failed = 0
  const all = []
  for (const jobs of groups) {
    let i = 0
    for (let w = 0; w < workers; w++) {
      all.push((async () => {
        while (i < jobs.length) {
          const job = jobs[i++]
          if (!(await job())) failed++
        }
      })())
    }
  }
  await Promise.all(all)
  return failed
}

const message = (token, i) => ({ id: `${token}-${String(i).padStart(3, '0')}`, to: { id: '+15550100' }, text: `message ${i}` })

async function main () {
  const wl = args.workload
  let failedPolls = 0
  let groups
  let workers
  if (wl === 'bulk') {
    groups = [0, 1, 2].map((t) => Array.from({ length: 20 }, (_, b) => () => ok(() =>
      apiFor(`bulk-${t}`).outbound.postOutboundContactlistContacts(`list-${t}`,
        Array.from({ length: 500 }, (_, k) => {
          const i = b * 500 + k
          return { id: `c-${t}-${String(i).padStart(5, '0')}`, data: { n: i } }
        })))))
    workers = 2
  } else if (wl === 'messaging' || wl === 'herd') {
    const plan = wl === 'messaging' ? [['messaging-app', args.messages]] : Array.from({ length: 20 }, (_, t) => [`herd-${String(t).padStart(2, '0')}`, 20])
    groups = plan.map(([token, n]) => Array.from({ length: n }, (_, i) => () => ok(() =>
      apiFor(token).conversations.postConversationsMessagesAgentless(message(token, i)))))
    workers = wl === 'messaging' ? 15 : 3
  } else if (wl === 'wfm') {
    groups = [0, 1, 2, 3, 4].map((bu) => [async () => {
      const api = apiFor('wfm-app').wfm
      const created = await ok(() => api.postWorkforcemanagementBusinessunitWeekSchedules(`bu-${bu}`, '2026-11-30', { description: `bu ${bu}` }))
      for (let p = 0; p < 12; p++) {
        if (!(await ok(() => api.getWorkforcemanagementBusinessunitWeekSchedules(`bu-${bu}`, '2026-11-30')))) failedPolls++
      }
      return created
    }])
    workers = 1
  } else if (wl === 'warmup') {
    groups = [Array.from({ length: 30 }, (_, i) => () => ok(() =>
      apiFor(`warmup-${i % 3}`).conversations.postConversationsMessagesAgentless(message(`warmup-${i % 3}`, i))))]
    workers = 3
  } else {
    throw new Error(`unknown workload ${wl}`)
  }
  const t0 = performance.now()
  const failed = await runGroups(groups, workers)
  const wall = (performance.now() - t0) / 1000
  process.stdout.write(JSON.stringify({ wall_s: wall, failed, failed_polls: failedPolls, faults_before: faultsBefore, faults_after: faultsAfter }) + '\n')
  process.exit(0)
}

// A cell never outlives its deadline (+1 s to report): what is unfinished counts as lost.
setTimeout(() => {
  process.stdout.write(JSON.stringify({ wall_s: args.deadline_ms / 1000, failed: -1, failed_polls: 0, faults_before: faultsBefore, faults_after: faultsAfter, timed_out: true }) + '\n')
  process.exit(0)
}, args.deadline_ms + 1000).unref()

main().catch((e) => {
  process.stderr.write(`node_sdk: ${e && e.stack ? e.stack : e}\n`)
  process.exit(1)
})
