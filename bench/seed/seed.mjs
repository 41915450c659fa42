// The seed scenario of issue 11: 3 Node processes and 2 Python processes sync contacts for 3
// tenants through the loopback Genesys-like server (tests/server, profile `genesys`: one
// GCRA budget per access token, i.e. per tenant), first with per-process in-memory pacers
// (each process believes it owns the tenant's whole budget), then with ONE shared budget per
// tenant in Redis (pacekeeper's `store` option over ioredis / redis-py). For each run: lost and
// duplicated contacts (the server's records against the ids sent), early retries (a request
// sent before the time the server told that token), 429s, wall time, and the floor an oracle
// knowing the limit would need.
//
//   node bench/seed/seed.mjs                      the full run: 10,000 contacts per process and tenant
//   node bench/seed/seed.mjs --smoke              a bounded run with hard asserts (make test)
//   options: --contacts N --batch N --node N --python N --tenants a,b,c --latency-ms N
//            --modes memory,redis --json FILE --python-exe PATH
//
// Needs: bindings-node built (+ its node_modules), bench/seed/node_modules (ioredis), a Python
// with the pacekeeper wheel, PureCloudPlatformClientV2 and redis-py, and redis-server (Debian).
// Under CI=true a missing redis-server is a failure, never a skip.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startServer } from '../../tests/server/server.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(HERE, '../..')

function parseArgs (argv) {
  const a = { contacts: 10000, batch: 500, node: 3, python: 2, tenants: ['acme', 'globex', 'initech'], latencyMs: 50, modes: ['memory', 'redis'], json: null, smoke: false, pythonExe: process.env.PK_SEED_PYTHON || path.join(ROOT, '.venv/bin/python'), burst: 15, ratePerMin: 300, pacing: ['configured'], configuredBurst: 10 }
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]
    const v = () => { if (i + 1 >= argv.length) throw new Error(`${k} needs a value`); return argv[++i] }
    if (k === '--smoke') { a.smoke = true; a.contacts = 5000 } else if (k === '--contacts') a.contacts = Number(v())
    else if (k === '--batch') a.batch = Number(v())
    else if (k === '--node') a.node = Number(v())
    else if (k === '--python') a.python = Number(v())
    else if (k === '--tenants') a.tenants = v().split(',')
    else if (k === '--latency-ms') a.latencyMs = Number(v())
    else if (k === '--modes') a.modes = v().split(',')
    else if (k === '--json') a.json = v()
    else if (k === '--python-exe') a.pythonExe = v()
    else if (k === '--pacing') a.pacing = v().split(',')
    else if (k === '--configured-burst') a.configuredBurst = Number(v())
    else if (k === '--shared') a.shared = JSON.parse(v())
    else throw new Error(`unknown option ${k}`)
  }
  for (const m of a.modes) if (m !== 'memory' && m !== 'redis') throw new Error(`unknown mode ${m}`)
  for (const p of a.pacing) if (p !== 'configured' && p !== 'preset') throw new Error(`unknown pacing ${p}`)
  return a
}

function freePort () {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)) })
    s.on('error', reject)
  })
}

function ping (port) {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => c.write('PING\r\n'))
    c.setTimeout(500, () => { c.destroy(); resolve(false) })
    c.on('data', (d) => { c.destroy(); resolve(d.toString().startsWith('+PONG')) })
    c.on('error', () => resolve(false))
  })
}

/** redis-server on 127.0.0.1, a free port, no persistence; stopped by pid. Null when missing (not under CI). */
async function startRedis () {
  const bin = process.env.REDIS_SERVER || 'redis-server'
  if (spawnSync(bin, ['--version']).error) {
    if (process.env.CI === 'true') throw new Error(`CI=true and no ${bin}: run make redis-server`)
    return null
  }
  const port = await freePort()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pk-seed-redis-'))
  const child = spawn(bin, ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) { try { process.kill(child.pid, 'SIGKILL') } catch {} }
    fs.rmSync(dir, { recursive: true, force: true })
  }
  for (let i = 0; i < 250; i++) {
    if (await ping(port)) return { port, pid: child.pid, stop }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  stop()
  throw new Error('redis-server did not answer PING')
}

/** A worker process: `ready` resolves when it has printed `ready`; `go()` starts it; `done` its JSON line. */
function runWorker (exe, args, timeoutMs) {
  let ready
  const isReady = new Promise((resolve) => { ready = resolve })
  const child = spawn(exe, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  const done = new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => { out += d; if (/^ready$/m.test(out)) ready() })
    child.stderr.on('data', (d) => { err += d })
    const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL') } catch {} }, timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code !== 0) return reject(new Error(`${path.basename(args[0])} exited ${code ?? signal}: ${err.slice(-2000)}`))
      try { resolve(JSON.parse(out.trim().split('\n').pop())) } catch (e) { reject(new Error(`bad worker output: ${out} ${err}`)) }
    })
    child.on('error', reject)
  })
  done.catch(() => ready()) // a worker that dies before it is ready does not hold the others
  child.stdin.on('error', () => {})
  return { ready: isReady, go: () => child.stdin.end('go\n'), done }
}

async function runMode (a, mode, pacing, redis) {
  const srv = await startServer({ profile: 'genesys', burst: a.burst, ratePerMin: a.ratePerMin, latencyMs: a.latencyMs, maxContacts: 1000 })
  // `configured`: every process is told the tenant's limit (as documented); `preset`: nothing
  // configured, the Genesys preset (300/min as a fixed window) refined from inin-ratelimit-*.
  // The configured burst is a little under the server's (10 of 15 by default): the margin absorbs
  // the jitter between the moment a request is admitted (by the store's clock) and the moment it
  // reaches the server (process scheduling, the network), which a saturated bucket cannot.
  const limits = pacing === 'configured' ? [{ amount: a.ratePerMin, period_ms: 60000, burst: a.configuredBurst }] : null
  const common = { url: srv.url, tenants: a.tenants, contacts: a.contacts, batch: a.batch, store: mode, limits, shared: a.shared || null }
  const workers = []
  const t0 = Date.now()
  const bound = 600_000
  for (let i = 1; i <= a.node; i++) {
    workers.push(runWorker(process.execPath, [path.join(HERE, 'worker.js'), JSON.stringify({ ...common, worker: `n${i}`, redisPort: redis && redis.port })], bound))
  }
  for (let i = 1; i <= a.python; i++) {
    workers.push(runWorker(a.pythonExe, [path.join(HERE, 'worker.py'), JSON.stringify({ ...common, worker: `p${i}`, redis_port: redis && redis.port })], bound))
  }
  let results
  await Promise.all(workers.map((w) => w.ready))
  const t1 = Date.now()
  for (const w of workers) w.go()
  try { results = await Promise.all(workers.map((w) => w.done)) } finally { var stats = srv.stats(); var ids = Object.fromEntries(a.tenants.map((t) => [t, srv.contactIds(`list-${t}`)])); await srv.close() } // eslint-disable-line no-var
  const wallMs = Date.now() - t0
  const names = [...Array.from({ length: a.node }, (_, i) => `n${i + 1}`), ...Array.from({ length: a.python }, (_, i) => `p${i + 1}`)]
  let lost = 0; let duplicated = 0; let unexpected = 0
  for (const t of a.tenants) {
    const list = ids[t]
    const seen = new Set(list.ids)
    for (const w of names) for (let i = 0; i < a.contacts; i++) if (!seen.has(`${t}-${w}-${i}`)) lost++
    duplicated += list.duplicates
    // every id the server holds is one a worker sent: (process count x contacts) of them
    unexpected += Math.max(0, seen.size - (names.length * a.contacts - 0) + 0) + [...seen].filter((id) => !/-[np]\d+-\d+$/.test(id)).length
  }
  const perTenantRequests = Math.ceil(a.contacts / a.batch) * names.length
  // The oracle: a client knowing the server's GCRA (burst, then one request per interval).
  const oracleMs = Math.max(0, perTenantRequests - a.burst) * 60000 / a.ratePerMin
  return {
    mode,
    pacing,
    processes: names.length,
    contactsPerTenant: a.contacts * names.length,
    requests: stats.requests,
    throttled: stats.throttled,
    earlyRetries: stats.earlyRetries,
    budgetViolations: stats.budgetViolations,
    lost,
    duplicated,
    unexpected,
    wallMs,
    startupMs: t1 - t0,
    syncMs: Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start)),
    oracleMs,
    workerRetries: results.reduce((s, r) => s + r.retries, 0),
    storeEvents: results.flatMap((r) => r.storeEvents),
    perToken: Object.fromEntries(Object.entries(stats.perToken).map(([k, v]) => [k, { requests: v.requests, throttled: v.throttled, earlyRetries: v.earlyRetries }]))
  }
}

function table (rows) {
  const head = ['pacing', 'requests', '429s', 'early retries', 'lost', 'duplicated', 'sync s', 'wall s', 'oracle s']
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`]
  for (const r of rows) {
    const name = (r.mode === 'redis' ? 'one shared budget per tenant (Redis)' : 'per-process in-memory pacers') +
      (r.pacing === 'preset' ? ', Genesys preset (no limit configured)' : ', limit configured')
    lines.push(`| ${name} | ${r.requests} | ${r.throttled} | ${r.earlyRetries} | ${r.lost} | ${r.duplicated} | ${(r.syncMs / 1000).toFixed(1)} | ${(r.wallMs / 1000).toFixed(1)} | ${(r.oracleMs / 1000).toFixed(1)} |`)
  }
  return lines.join('\n')
}

async function main () {
  const a = parseArgs(process.argv.slice(2))
  const rows = []
  let redis = null
  try {
    for (const pacing of a.pacing) {
      for (const mode of a.modes) {
        if (mode === 'redis') {
          // A fresh server per shared run: no budget state carried over.
          if (redis) redis.stop()
          redis = await startRedis()
          if (!redis) { console.error('seed: no redis-server, the shared run is skipped (make redis-server installs it)'); continue }
        }
        const r = await runMode(a, mode, pacing, redis)
        rows.push(r)
        console.error(`seed: ${pacing} ${mode}: ${JSON.stringify(r)}`)
      }
    }
  } finally { if (redis) redis.stop() }
  console.log(`seed: ${a.node} Node + ${a.python} Python processes, ${a.tenants.length} tenants, ${a.contacts} contacts per process and tenant in batches of ${a.batch}; server: genesys profile, ${a.ratePerMin}/min burst ${a.burst} per tenant, ${a.latencyMs} ms latency; limit configured in every process: ${a.ratePerMin}/min burst ${a.configuredBurst}`)
  console.log(table(rows))
  if (a.json) fs.writeFileSync(a.json, JSON.stringify({ args: a, rows }, null, 2))
  const failures = []
  for (const r of rows) {
    if (r.lost) failures.push(`${r.mode}: ${r.lost} contacts lost`)
    if (r.duplicated) failures.push(`${r.mode}: ${r.duplicated} contacts duplicated`)
    if (r.unexpected) failures.push(`${r.mode}: ${r.unexpected} unexpected ids`)
    // Per-process pacers cannot know what another process was told: their early retries (one
    // process sending before the Retry-After another one got) are reported, not failed.
    // The preset starts every token at 300/min as a fixed window (the real API's), far over this
    // server's burst of 15: its first 429s race the lockout's propagation (reported, not failed).
    if (r.mode === 'redis' && r.pacing === 'configured' && r.earlyRetries) failures.push(`${r.mode}: ${r.earlyRetries} early retries`)
  }
  for (const pacing of a.pacing) {
    const mem = rows.find((r) => r.mode === 'memory' && r.pacing === pacing)
    const shared = rows.find((r) => r.mode === 'redis' && r.pacing === pacing)
    // The preset's shared run varies a lot from run to run (see BENCHMARKS.md): reported only.
    if (pacing === 'configured' && mem && shared && !(shared.throttled < mem.throttled)) failures.push(`${pacing}: shared 429s ${shared.throttled} not below per-process ${mem.throttled}`)
    if (shared && shared.storeEvents.length) failures.push(`${pacing}: store events in a healthy run: ${shared.storeEvents.join(',')}`)
    if (a.modes.includes('redis') && !shared && process.env.CI === 'true') failures.push(`${pacing}: no shared run`)
  }
  if (failures.length) { console.log(`FAILED: ${failures.join('; ')}`); process.exit(1) }
  console.log('OK')
}

main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1) })
