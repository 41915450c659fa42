#!/usr/bin/env node
// What the WASM module is made of: section sizes, function bodies by size and by crate, and the
// data segments' largest strings. Reads a module that still has its `name` section, as written by
// `WASM_NAMED=target/wasm-named.wasm scripts/build-wasm.sh` (the same build optimized with
// `wasm-opt -g`, so the names survive; the code is the same as in the shipped module).
//
//   node bindings-wasm/bench/wasm-size.mjs target/wasm-named.wasm [top-N] [filter-regex]
import fs from 'node:fs'
import { leb, readModule } from '../../scripts/wasm-module.mjs'

const [file, topArg, filter] = process.argv.slice(2)
if (!file) {
  console.error('usage: wasm-size.mjs module.wasm [top-N] [filter-regex]')
  process.exit(2)
}
const top = Number(topArg ?? 40)
const buf = fs.readFileSync(file)

const SECTION = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export',
  'start', 'element', 'code', 'data', 'datacount']
const { sections: raw, importedFns, names } = readModule(buf)
const sections = raw.map((s) => ({ ...s, name: s.id === 0 ? `custom:${s.name}` : SECTION[s.id] ?? `#${s.id}`, total: s.end - s.head }))
const find = (id, name) => sections.find((s) => s.id === id && (name === undefined || s.name === name))

console.log(`module ${buf.length} bytes`)
for (const s of sections) console.log(`  ${s.name.padEnd(24)} ${String(s.total).padStart(8)}`)

const code = find(10)
const fns = []
{
  let [count, i] = leb(buf, code.start)
  for (let k = 0; k < count; k++) {
    const [size, p] = leb(buf, i)
    fns.push({ name: names.get(importedFns + k) ?? `func${importedFns + k}`, size: p + size - i })
    i = p + size
  }
}
const shown = filter ? fns.filter((f) => new RegExp(filter).test(f.name)) : fns
shown.sort((a, b) => b.size - a.size)
console.log(`\n${shown.length} functions, ${shown.reduce((a, f) => a + f.size, 0)} bytes; largest:`)
for (const f of shown.slice(0, top)) console.log(`${String(f.size).padStart(7)}  ${f.name.slice(0, 150)}`)

// By crate: the first path segment of the demangled name (generic impls `<a::B as c::D>` count
// under the type's crate); exports and glue without a path under their own name.
const crate = (n) => {
  const m = /^<?&?(?:mut )?(?:dyn )?([A-Za-z_][A-Za-z0-9_]*)::/.exec(n)
  return m ? m[1] : '(no path: exports, glue)'
}
const byCrate = new Map()
for (const f of fns) byCrate.set(crate(f.name), (byCrate.get(crate(f.name)) ?? 0) + f.size)
console.log('\nby crate:')
for (const [c, n] of [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, 20))
  console.log(`${String(n).padStart(7)}  ${c}`)

// By feature: each function body under the first area its name matches. Exports carry the core
// code inlined into them, so this attributes by entry point as much as by module.
const AREAS = [
  ['pacer (core Pacer, NativePacer, its codec)', /pacer|Pacer/],
  ['limiter (bucket, NativeLimiter, its codec)', /bucket::|nativelimiter|limiterDecide|[Ll]imiter/],
  ['headers (parse, families, HTTP dates, structured fields, readings)', /headers::|httpdate|::sf::|parseHeaders|reading|Reading|[Hh]eader/],
  ['backoff (policy, decide, ChaCha8 draw, retry budget)', /backoff|[Bb]ackoff|[Bb]udget/],
  ['plans (plan, replan)', /plan/],
  ['VecMap', /map::VecMap/],
  ['runtime (alloc, talc, core::str/slice, wasm-bindgen glue)', /^(<?core|<?alloc|talc|__|wasm_bindgen|<wasm_bindgen|func\d|<str>|<\[u8\]>|<T|<&|memcpy|memset|memmove|memcmp|dlmalloc|rust_)/],
]
const byArea = new Map()
for (const f of fns) {
  const area = AREAS.find(([, re]) => re.test(f.name))?.[0] ?? 'other exports, vocabulary, codec'
  byArea.set(area, (byArea.get(area) ?? 0) + f.size)
}
console.log('\nby area:')
for (const [a, n] of [...byArea].sort((x, y) => y[1] - x[1])) console.log(`${String(n).padStart(7)}  ${a}`)

// Data: printable runs of 6+ bytes, largest first, and the non-text remainder.
const data = find(11)
if (data) {
  const bytes = buf.subarray(data.start, data.end)
  const runs = []
  let text = 0
  for (let i = 0; i < bytes.length; ) {
    let j = i
    while (j < bytes.length && bytes[j] >= 0x20 && bytes[j] < 0x7f) j++
    if (j - i >= 6) {
      runs.push(bytes.toString('latin1', i, j))
      text += j - i
    }
    i = j + 1
  }
  console.log(`\ndata ${bytes.length} bytes, ${text} in printable runs of 6+; longest runs:`)
  runs.sort((a, b) => b.length - a.length)
  for (const r of runs.slice(0, 15)) console.log(`${String(r.length).padStart(6)}  ${r.slice(0, 140)}`)
}
