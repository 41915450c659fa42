'use strict'
// A/B per-call cost of two builds of the napi and WASM packages, interleaved in one process
// (ROUNDS rounds, default 7; each pair measured back to back, alternating which goes first; the
// ratio is the median of the per-round ratios), so that a loaded machine slows both alike. BASE
// is a built checkout of the other commit (`git archive <commit> | tar -x -C $BASE`, then its
// napi build and scripts/build-wasm.sh there); NEW defaults to this checkout; SCALE scales the
// call counts:
//   BASE=/tmp/base ROUNDS=31 SCALE=0.25 node bindings-wasm/bench/ab.cjs
const path = require('node:path')
const base = process.env.BASE
if (!base) throw new Error('set BASE to a built checkout of the commit to compare with')
const root = process.env.NEW || path.resolve(__dirname, '..', '..')
const rounds = Number(process.env.ROUNDS || 7)
const impls = {
  'napi base': require(path.join(base, 'bindings-node')),
  'napi new': require(path.join(root, 'bindings-node')),
  'wasm base': require(path.join(base, 'bindings-wasm')),
  'wasm new': require(path.join(root, 'bindings-wasm'))
}
const NOW = 1_700_000_000_000
const headers = [['Retry-After', '30'], ['X-RateLimit-Limit', '100'], ['X-RateLimit-Remaining', '0'], ['X-RateLimit-Reset', '30']]
function bench (f, n) {
  const t = process.hrtime.bigint()
  for (let i = 0; i < n; i++) f(i)
  return Number(process.hrtime.bigint() - t) / n
}
const tasks = {
  'Limiter#check (allow)': (pk) => { const l = new pk.Limiter({ limits: [{ amount: 1e6, periodMs: 1000 }] }); return [(i) => l.check('k' + (i & 15), 1, NOW + i), 200000] },
  'Limiter#check (wait)': (pk) => { const l = new pk.Limiter({ limits: [{ amount: 1, periodMs: 1e9 }] }); l.check('k', 1, NOW); return [() => l.check('k', 1, NOW), 200000] },
  'parseHeaders (429, 4 headers)': (pk) => [() => pk.parseHeaders({ status: 429, headers }, { now: NOW }), 20000],
  'Backoff#decide (429 reading)': (pk) => {
    const b = new pk.Backoff({ maxAttempts: 1000 }); const r = pk.parseHeaders({ status: 429, headers }, { now: NOW })
    return [(i) => { const s = pk.newRetryState(NOW, 7); b.decide(s, r, NOW + i) }, 20000]
  },
  'PacerCore begin+finish (200)': (pk) => {
    const p = new pk.PacerCore({ learn: false, limits: [{ amount: 1e6, periodMs: 1000 }] }); const res = { status: 200, headers: [['Content-Type', 'application/json']] }
    return [(i) => { const s = p.begin('k', 1, NOW + i); if (s.action !== 'go') throw new Error(s.action); p.finish(s.ticket, res, NOW + i) }, 20000]
  }
}
const results = {}
for (let round = 0; round < rounds; round++) {
  for (const [tname, mk] of Object.entries(tasks)) {
    // Alternate which build of a pair runs first (no systematic order bias).
    const order = Object.entries(impls)
    if (round % 2) order.sort(([a], [b]) => (a.split(' ')[0] === b.split(' ')[0] ? b.localeCompare(a) : a.localeCompare(b)))
    for (const [iname, pk] of order) {
      const [f, n0] = mk(pk)
      const n = Math.round(n0 * Number(process.env.SCALE || 1))
      bench(f, n / 10)
      ;((results[tname] ??= {})[iname] ??= []).push(bench(f, n))
    }
  }
}
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1]
console.log('| call | napi base | napi new | new/base | wasm base | wasm new | new/base |')
console.log('|---|---:|---:|---:|---:|---:|---:|')
// new/base: the median of the per-round ratios (each pair measured back to back).
const ratio = (r, a, b) => med(r[a].map((x, i) => x / r[b][i]))
for (const [t, r] of Object.entries(results)) {
  const m = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, med(v)]))
  console.log(`| ${t} | ${m['napi base'].toFixed(0)} | ${m['napi new'].toFixed(0)} | ${ratio(r, 'napi new', 'napi base').toFixed(2)} | ${m['wasm base'].toFixed(0)} | ${m['wasm new'].toFixed(0)} | ${ratio(r, 'wasm new', 'wasm base').toFixed(2)} |`)
}
