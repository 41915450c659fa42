// Per-decision cost through the package, beside the pure-JavaScript `limiter` and `bottleneck`
// packages in the same run (tinybench). `make bench-node` (not part of `make test`).
//
//   node bindings-node/bench/bench.mjs [--time 500]
import { createRequire } from 'node:module'
import { Bench } from 'tinybench'

const require = createRequire(import.meta.url)
const pk = require('../index.js')
const native = require('../native.js')
const { RateLimiter, TokenBucket } = require('limiter')
const Bottleneck = require('bottleneck')

const time = Number(process.argv[process.argv.indexOf('--time') + 1]) || 500
const bench = new Bench({ time, warmup: true, warmupTime: 200 })

// Always-allow configurations, so every call is one full decision.
const pkLimiter = new pk.Limiter({ limits: [{ amount: 1_000_000, periodMs: 1, burst: 1_000_000 }] })
const keys = Array.from({ length: 16 }, (_, i) => `tenant-${i}`)
let i = 0
let t = 1_700_000_000_000
const rl = new RateLimiter({ tokensPerInterval: 1e9, interval: 'second' })
const tb = new TokenBucket({ bucketSize: 1e9, tokensPerInterval: 1e9, interval: 'second' })
const bn = new Bottleneck({ reservoir: 1e12 })
const pacer = new pk.Pacer({ limits: [{ amount: 1_000_000, periodMs: 1, burst: 1_000_000 }] })
const headers = [['Retry-After', '30'], ['inin-ratelimit-allowed', '300'], ['inin-ratelimit-count', '300'], ['inin-ratelimit-reset', '30']]
const headerObj = Object.fromEntries(headers)
const response = { status: 429, headers, body: null }
const responseObj = { status: 429, headers: headerObj, body: null }
const jsNoop = () => 0
// One step of the client policy: the core pacer's begin + finish (a 200 with headers, parsed
// inside finish) beside what the helpers did before it: Limiter.check + parseHeaders + Backoff.decide.
const core = new pk.PacerCore({ limits: [{ amount: 1_000_000, periodMs: 1, burst: 1_000_000 }] })
const ok = { status: 200, headers: [['X-RateLimit-Remaining', '100']], body: null }
const backoff = new pk.Backoff()
let sink = 0

bench
  .add('napi call overhead: native noop()', () => { native.noop() })
  .add('JS no-op function (baseline)', () => { sink += jsNoop() })
  .add('pacekeeper Limiter.check(key, 1, now)', () => { sink += pkLimiter.check(keys[i++ & 15], 1, t++).remaining })
  .add('pacekeeper Limiter.check(key) (Date.now)', () => { sink += pkLimiter.check(keys[i++ & 15]).remaining })
  .add('limiter TokenBucket.tryRemoveTokens(1)', () => { sink += tb.tryRemoveTokens(1) ? 1 : 0 })
  .add('limiter RateLimiter.tryRemoveTokens(1)', () => { sink += rl.tryRemoveTokens(1) ? 1 : 0 })
  .add('pacekeeper Pacer.acquire(key) (async)', async () => { sink += await pacer.acquire(keys[i++ & 15]) })
  .add('limiter RateLimiter.removeTokens(1) (async)', async () => { sink += await rl.removeTokens(1) })
  .add('bottleneck check() (async)', async () => { sink += (await bn.check()) ? 1 : 0 })
  .add('bottleneck schedule(job) (async)', async () => { sink += await bn.schedule(jsNoop) })
  .add('pacekeeper PacerCore begin + finish(200)', () => { const st = core.begin(keys[i++ & 15], 1, t); sink += core.finish(st.ticket, ok, t++).action.length })
  .add('pacekeeper check + parseHeaders + Backoff.decide', () => {
    sink += pkLimiter.check(keys[i++ & 15], 1, t).remaining
    sink += backoff.decide(pk.newRetryState(t, 1), pk.parseHeaders(ok, { now: t }), t++).decision.length
  })
  .add('pacekeeper parseHeaders (4 pairs)', () => { sink += pk.parseHeaders(response, { now: t }).waitMs })
  .add('pacekeeper parseHeaders (object headers)', () => { sink += pk.parseHeaders(responseObj, { now: t }).waitMs })

await bench.run()

const rows = bench.tasks.map((task) => {
  const r = task.result
  const mean = (r.latency ? r.latency.mean : r.mean) * 1e6 // ms → ns
  return { name: task.name, ns: mean, samples: r.latency ? r.latency.samplesCount : r.samples?.length }
})
const ns = (name) => rows.find((r) => r.name.startsWith(name)).ns
console.log(`node ${process.version}, ${process.platform}-${process.arch}, tinybench, ${time} ms per task\n`)
console.log('| task | mean ns/op |')
console.log('|---|---:|')
for (const r of rows) console.log(`| ${r.name} | ${r.ns.toFixed(1)} |`)
const check = ns('pacekeeper Limiter.check(key, 1, now)')
const checkNow = ns('pacekeeper Limiter.check(key) (Date.now)')
console.log('\nratios (higher = pacekeeper faster):')
console.log(`- sync: limiter TokenBucket / pacekeeper check(now)      = ${(ns('limiter TokenBucket') / check).toFixed(2)}x`)
console.log(`- sync: limiter RateLimiter / pacekeeper check(Date.now) = ${(ns('limiter RateLimiter.tryRemoveTokens') / checkNow).toFixed(2)}x`)
console.log(`- sync: bottleneck check() / pacekeeper check(Date.now)  = ${(ns('bottleneck check') / checkNow).toFixed(2)}x`)
const acq = ns('pacekeeper Pacer.acquire')
console.log(`- async: limiter removeTokens / pacekeeper Pacer.acquire = ${(ns('limiter RateLimiter.removeTokens') / acq).toFixed(2)}x`)
console.log(`- async: bottleneck schedule / pacekeeper Pacer.acquire  = ${(ns('bottleneck schedule') / acq).toFixed(2)}x`)
console.log(`- napi call overhead (noop - JS no-op): ${(ns('napi call overhead') - ns('JS no-op')).toFixed(1)} ns`)

// The same sync decisions timed in a tight loop (no per-iteration harness overhead): the
// per-decision cost an application loop sees. Median of 7 rounds of 1e6 calls.
function loop (f, n = 1_000_000) {
  for (let j = 0; j < 100_000; j++) f()
  const rounds = []
  for (let r = 0; r < 7; r++) {
    const t0 = process.hrtime.bigint()
    for (let j = 0; j < n; j++) f()
    rounds.push(Number(process.hrtime.bigint() - t0) / n)
  }
  return rounds.sort((a, b) => a - b)[3]
}
const L = {
  noop: loop(() => native.noop()),
  js: loop(() => { sink += jsNoop() }),
  check: loop(() => { sink += pkLimiter.check(keys[i++ & 15], 1, t++).remaining }),
  checkNow: loop(() => { sink += pkLimiter.check(keys[i++ & 15]).remaining }),
  tb: loop(() => { sink += tb.tryRemoveTokens(1) ? 1 : 0 }),
  rl: loop(() => { sink += rl.tryRemoveTokens(1) ? 1 : 0 }),
  parse: loop(() => { sink += pk.parseHeaders(response, { now: t }).waitMs }, 200_000)
}
console.log('\ntight loop, median of 7 x 1e6 calls (ns per call):')
console.log('| task | ns/call |')
console.log('|---|---:|')
console.log(`| napi noop() | ${L.noop.toFixed(1)} |`)
console.log(`| JS no-op | ${L.js.toFixed(1)} |`)
console.log(`| pacekeeper Limiter.check(key, 1, now) | ${L.check.toFixed(1)} |`)
console.log(`| pacekeeper Limiter.check(key) (Date.now) | ${L.checkNow.toFixed(1)} |`)
console.log(`| limiter TokenBucket.tryRemoveTokens(1) | ${L.tb.toFixed(1)} |`)
console.log(`| limiter RateLimiter.tryRemoveTokens(1) | ${L.rl.toFixed(1)} |`)
console.log(`| pacekeeper parseHeaders (4 pairs) | ${L.parse.toFixed(1)} |`)
console.log(`\n- napi call overhead (noop - JS no-op): ${(L.noop - L.js).toFixed(1)} ns (target <= 300 ns)`)
console.log(`- limiter TokenBucket / pacekeeper check(now): ${(L.tb / L.check).toFixed(2)}x; limiter RateLimiter / pacekeeper check(Date.now): ${(L.rl / L.checkNow).toFixed(2)}x (target >= 5x)`)
if (sink === 42) console.log('')
