// The JS helpers in learning mode under concurrency against the loopback server (burst 10,
// 5 requests/s per token; its own process on a free port, stopped by pid): 6 workers x 60
// messages through one shared pacer, then a herd of 5 tenants x 15 requests at once. Prints
// 429s, early requests (the server's count), wall time and lost messages per profile.
//
//   node bindings-node/bench/concurrency.mjs [profile...]
//   # side by side with an earlier JS layer (e.g. before the core pacer, commit edc4d76):
//   git archive edc4d76 bindings-node/js | tar -x -C /tmp/old
//   OLD_JS=/tmp/old/bindings-node/js node bindings-node/bench/concurrency.mjs
// (the old layer runs over today's addon; it used `withRetry({limiter})`, the new `{pacer}`).
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
const require = createRequire(import.meta.url)
const here = path.dirname(fileURLToPath(import.meta.url))
const native = require(path.join(here, '..', 'native.js'))
const NEW = require(path.join(here, '..', '..', 'js'))(native)
const OLD = process.env.OLD_JS ? require(path.resolve(process.env.OLD_JS))(native) : null
const SERVER = path.join(here, '..', '..', 'tests', 'server', 'server.mjs')
function start (profile) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [SERVER, '--profile', profile, '--port', '0', '--burst', '10', '--rate-per-sec', '5', '--max-seconds', '300'], { stdio: ['pipe', 'pipe', 'inherit'] })
    let out = ''
    c.stdout.on('data', (d) => { out += d; const nl = out.indexOf('\n'); if (nl >= 0) resolve({ url: JSON.parse(out.slice(0, nl)).url, stop: () => new Promise((r) => { c.once('exit', r); process.kill(c.pid, 'SIGTERM') }) }) })
    c.once('error', reject)
  })
}
const stats = async (url) => (await fetch(`${url}/__stats`)).json()
const send = (url, token, id, signal) => fetch(`${url}/api/v2/conversations/messages/agentless`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ id }), signal })
async function run (name, pk, profile) {
  const srv = await start(profile)
  try {
    const shared = () => name === 'new' ? { pacer: new pk.Pacer({ backoff: { maxAttempts: 30 } }) } : { limiter: new pk.Pacer({ learn: true }).limiter, backoff: { maxAttempts: 30 } }
    const a = shared()
    const q = Array.from({ length: 60 }, (_, i) => `m-${i}`)
    let t0 = Date.now()
    await Promise.all(Array.from({ length: 6 }, async () => { for (let id = q.shift(); id; id = q.shift()) { const r = await pk.withRetry(({ signal }) => send(srv.url, 'app', id, signal), { ...a, key: 'app' }); await r.arrayBuffer() } }))
    const mMs = Date.now() - t0
    const s1 = await stats(srv.url)
    const b = shared()
    t0 = Date.now()
    await Promise.all(Array.from({ length: 5 }, (_, tn) => Array.from({ length: 15 }, async (_, i) => { const r = await pk.withRetry(({ signal }) => send(srv.url, `t${tn}`, `h-${tn}-${i}`, signal), { ...b, key: `t${tn}` }); await r.arrayBuffer() })).flat())
    const hMs = Date.now() - t0
    const s2 = await stats(srv.url)
    console.log(`${name} ${profile.padEnd(20)} messaging ${String(s1.throttled).padStart(3)} x429 ${String(s1.earlyRetries).padStart(3)} early ${(mMs / 1000).toFixed(1).padStart(5)} s lost ${60 - s1.messages.unique} | herd ${String(s2.throttled - s1.throttled).padStart(3)} x429 ${String(s2.earlyRetries - s1.earlyRetries).padStart(3)} early ${(hMs / 1000).toFixed(2).padStart(5)} s lost ${135 - s2.messages.unique}`)
  } finally { await srv.stop() }
}
const profiles = process.argv.slice(2).length ? process.argv.slice(2) : ['genesys', 'genesys-body-only', 'xratelimit-epoch-s', 'xratelimit-epoch-ms', 'http-date', 'ietf', 'short-retry-after', 'strict']
for (const p of profiles) {
  if (OLD) await run('old', OLD, p)
  await run('new', NEW, p)
}
