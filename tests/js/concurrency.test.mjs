// Concurrency against the project's loopback server (tests/server/server.mjs, its own process on a
// free port, stopped by pid), in learning mode (no limits configured), one shared Pacer:
// - messaging: 6 concurrent workers sending 60 messages through withRetry;
// - a herd: 5 tenants x 15 requests, all fired at once.
// Asserts zero early requests (the server counts any request inside a lockout it announced) and
// zero lost or duplicated messages in every profile (see SPARSE for the two without 2xx headers);
// prints the 429 counts and wall times (issue 10 quotes 23-53 x 429 and 9-18 early retries per
// messaging run, 25 x 429 and 20 early per herd, for the JS helpers before the core pacer).
// PACEKEEPER_CONCURRENCY_PROFILES=all runs every profile (default: a representative four).
import test from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { pk, impl, root } = require('./impl.cjs')

const SERVER = path.join(root, 'tests', 'server', 'server.mjs')
const ALL = ['genesys', 'genesys-body-only', 'xratelimit-epoch-s', 'xratelimit-epoch-ms', 'http-date', 'ietf', 'short-retry-after', 'strict']
const PROFILES = process.env.PACEKEEPER_CONCURRENCY_PROFILES === 'all' ? ALL : ['genesys', 'http-date', 'strict']
// Profiles whose 2xx responses carry no rate-limit header at all (and whose 429 carries only the
// wait): with nothing configured there is no rate to learn before the first 429, so each key meets
// one (measured: 2 per messaging run, 5 per 5-tenant herd). The core keeps such a key to one
// request in flight, always, so nothing else is in flight when the 429 comes: 0 early requests there too (issue 10 measured 16-18 per messaging run
// before). The test holds them to at most one 429 per key per throttle cycle.
const SPARSE = new Set(['genesys-body-only', 'http-date'])
// The server of issue 10: burst 10, 5 requests/s per token.
const BURST = 10
const RATE = 5

/** Starts the loopback server as its own process; resolves with {url, pid, stop()}. */
function startServerProcess (profile) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER, '--profile', profile, '--port', '0', '--burst', String(BURST),
      '--rate-per-sec', String(RATE), '--max-seconds', '300'], { stdio: ['pipe', 'pipe', 'inherit'] })
    let out = ''
    const fail = (e) => { try { process.kill(child.pid, 'SIGKILL') } catch {} reject(e) }
    const timer = setTimeout(() => fail(new Error('the loopback server did not start within 10 s')), 10_000)
    child.once('error', fail)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the loopback server exited (${code}) before listening`)) })
    child.stdout.on('data', (d) => {
      out += d
      const nl = out.indexOf('\n')
      if (nl < 0) return
      clearTimeout(timer)
      const { url } = JSON.parse(out.slice(0, nl))
      const stop = () => new Promise((resolve) => {
        if (child.exitCode !== null) { resolve(); return }
        child.removeAllListeners('exit')
        child.once('exit', () => resolve())
        process.kill(child.pid, 'SIGTERM')
      })
      resolve({ url, pid: child.pid, stop })
    })
  })
}

async function stats (url) { return (await fetch(`${url}/__stats`)).json() }

function send (url, token, id, signal) {
  return fetch(`${url}/api/v2/conversations/messages/agentless`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id }),
    signal
  })
}

const results = []

for (const profile of PROFILES) {
  test(`learning, one shared Pacer (${profile}, ${impl}): 6 workers x 60 messages and a 5 x 15 herd, no early request, nothing lost`, { timeout: 120_000 }, async (t) => {
    const srv = await startServerProcess(profile)
    try {
      // Messaging: one token, 60 messages, 6 workers.
      const pacer = new pk.Pacer({ backoff: { maxAttempts: 30 } })
      const queue = Array.from({ length: 60 }, (_, i) => `m-${i}`)
      const statuses = []
      let t0 = Date.now()
      await Promise.all(Array.from({ length: 6 }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          const r = await pk.withRetry(({ signal }) => send(srv.url, 'app', id, signal), { pacer, key: 'app' })
          statuses.push(r.status)
          await r.arrayBuffer()
        }
      }))
      const messagingMs = Date.now() - t0
      const s1 = await stats(srv.url)
      assert.equal(statuses.length, 60)
      assert.ok(statuses.every((s) => s >= 200 && s < 300), `statuses ${statuses}`)
      assert.equal(s1.messages.unique, 60, 'no message lost')
      assert.equal(s1.messages.duplicates, 0, 'no message sent twice')
      const messaging429 = s1.throttled
      const messagingEarly = s1.earlyRetries

      // A herd: 5 tenants x 15 requests, all at once, through one shared Pacer.
      const herd = new pk.Pacer({ backoff: { maxAttempts: 30 } })
      t0 = Date.now()
      const herdStatuses = await Promise.all(Array.from({ length: 5 }, (_, tn) => Array.from({ length: 15 }, async (_, i) => {
        const token = `tenant-${tn}`
        const r = await pk.withRetry(({ signal }) => send(srv.url, token, `h-${tn}-${i}`, signal), { pacer: herd, key: token })
        await r.arrayBuffer()
        return r.status
      })).flat())
      const herdMs = Date.now() - t0
      const s2 = await stats(srv.url)
      assert.ok(herdStatuses.every((s) => s >= 200 && s < 300))
      assert.equal(s2.messages.unique, 60 + 75, 'no herd request lost')
      assert.equal(s2.messages.duplicates, 0)
      const herd429 = s2.throttled - messaging429
      const row = { profile, messaging429, messagingEarly, messagingMs, herd429, herdEarly: s2.earlyRetries - messagingEarly, herdMs }
      results.push(row)
      t.diagnostic(JSON.stringify(row))
      assert.equal(row.messagingEarly, 0, 'no request before the server said (messaging)')
      assert.equal(row.herdEarly, 0, 'no request before the server said (herd)')
      if (SPARSE.has(profile)) assert.ok(row.herd429 <= 2 * 5, 'at most two throttle cycles per herd tenant')
    } finally {
      await srv.stop()
    }
  })
}

test('concurrency summary', () => {
  assert.equal(results.length, PROFILES.length, 'every profile ran')
  for (const r of results) {
    console.log(`${impl} ${r.profile.padEnd(20)} messaging: ${String(r.messaging429).padStart(3)} x 429, ${r.messagingEarly} early, ${(r.messagingMs / 1000).toFixed(1)} s; ` +
      `herd: ${String(r.herd429).padStart(3)} x 429, ${r.herdEarly} early, ${(r.herdMs / 1000).toFixed(2)} s`)
  }
})
