'use strict'
// A/B per-call cost of two builds of the napi and WASM packages, interleaved in one process (7
// rounds, medians), so that a loaded machine slows both alike. BASE is a built checkout of the
// other commit (`git archive <commit> | tar -x -C $BASE`, then its napi build and
// scripts/build-wasm.sh there):
//   BASE=/tmp/base node bindings-wasm/bench/ab.cjs
const path = require('node:path')
const base = process.env.BASE
if (!base) throw new Error('set BASE to a built checkout of the commit to compare with')
const root = path.resolve(__dirname, '..', '..')
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
  'parseHeaders (429, 4 headers)': (pk) => [() => pk.parseHeaders({ status: 429, headers }, { now: NOW }), 20000]
}
const results = {}
for (let round = 0; round < 7; round++) {
  for (const [tname, mk] of Object.entries(tasks)) {
    for (const [iname, pk] of Object.entries(impls)) {
      const [f, n] = mk(pk)
      bench(f, n / 10) // warm
      ;((results[tname] ??= {})[iname] ??= []).push(bench(f, n))
    }
  }
}
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1]
console.log('| call | napi base | napi new | new/base | wasm base | wasm new | new/base |')
console.log('|---|---:|---:|---:|---:|---:|---:|')
for (const [t, r] of Object.entries(results)) {
  const m = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, med(v)]))
  console.log(`| ${t} | ${m['napi base'].toFixed(0)} | ${m['napi new'].toFixed(0)} | ${(m['napi new'] / m['napi base']).toFixed(2)} | ${m['wasm base'].toFixed(0)} | ${m['wasm new'].toFixed(0)} | ${(m['wasm new'] / m['wasm base']).toFixed(2)} |`)
}
