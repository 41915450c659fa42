#!/usr/bin/env node
// Per-call cost from Node.js of the public API's hot calls, WASM package beside the napi package:
// Limiter#check (always admitted), parseHeaders (a 429 with four rate-limit headers), a Limiter#check
// that is refused (wait), and a bare boundary crossing. Prints a Markdown table; `make bench-wasm`.
//   node bindings-wasm/bench/bench.mjs [--ms 400]
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const require = createRequire(import.meta.url)
const i = process.argv.indexOf('--ms')
const BUDGET_MS = i > 0 ? Number(process.argv[i + 1]) : 400

const impls = { wasm: require(path.join(root, 'bindings-wasm')) }
try { impls.napi = require(path.join(root, 'bindings-node')) } catch (e) { console.error(`napi package not built (${e.message}); WASM only`) }

const HEADERS = [['Retry-After', '30'], ['X-RateLimit-Limit', '300'], ['X-RateLimit-Remaining', '0'], ['X-RateLimit-Reset', '30']]

function cases (pk) {
  const open = new pk.Limiter({ limits: [{ amount: 1_000_000, periodMs: 1, burst: 1_000_000 }] })
  const shut = new pk.Limiter({ limits: [{ amount: 1, periodMs: 60_000, burst: 1 }] })
  shut.check('tenant-a', 1, 0)
  let now = 1_700_000_000_000
  const response = { status: 429, headers: HEADERS }
  const opts = { now }
  return {
    'Limiter#check (allow)': () => open.check('tenant-a', 1, ++now),
    'Limiter#check (wait)': () => shut.check('tenant-a', 1, 1),
    'parseHeaders (429, 4 headers)': () => pk.parseHeaders(response, opts),
    'errorCodes() (boundary + array)': () => pk.errorCodes()
  }
}

/** ns per call: the median of 7 timed runs, each at least BUDGET_MS / 7. */
function measure (fn) {
  for (let k = 0; k < 20_000; k++) fn() // warm up (JIT, caches)
  const runs = []
  const slice = BUDGET_MS / 7
  let n = 1000
  for (let r = 0; r < 7; r++) {
    let t0, dt
    for (;;) {
      t0 = process.hrtime.bigint()
      for (let k = 0; k < n; k++) fn()
      dt = Number(process.hrtime.bigint() - t0) / 1e6
      if (dt >= slice) break
      n *= 2
    }
    runs.push((dt * 1e6) / n)
  }
  runs.sort((a, b) => a - b)
  return runs[3]
}

const names = Object.keys(cases(impls.wasm))
const results = {}
for (const [impl, pk] of Object.entries(impls)) {
  const c = cases(pk)
  results[impl] = {}
  for (const name of names) results[impl][name] = measure(c[name])
}
const wasmFile = path.join(root, 'bindings-wasm', 'pkg-node', 'pacekeeper_wasm_bg.wasm')
const size = fs.statSync(wasmFile).size
console.log(`Node ${process.version}, ${process.arch}; .wasm after wasm-opt: ${size} bytes (${(size / 1024).toFixed(1)} KiB)\n`)
const cols = Object.keys(impls)
console.log(`| call | ${cols.map((c) => `${c} (ns/call)`).join(' | ')} |${cols.length > 1 ? ' wasm / napi |' : ''}`)
console.log(`|---|${cols.map(() => '---:').join('|')}|${cols.length > 1 ? '---:|' : ''}`)
for (const name of names) {
  const cells = cols.map((c) => results[c][name].toFixed(0))
  const ratio = cols.length > 1 ? ` ${(results.wasm[name] / results.napi[name]).toFixed(2)} |` : ''
  console.log(`| ${name} | ${cells.join(' | ')} |${ratio}`)
}
