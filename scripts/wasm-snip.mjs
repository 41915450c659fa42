#!/usr/bin/env node
// Replaces the bodies of named functions in a WebAssembly module, so that `wasm-opt` can then drop
// everything only they reached (the idea of the rustwasm `wasm-snip` tool, in plain Node).
//
//   node scripts/wasm-snip.mjs in.wasm out.wasm
//
// The module must still carry its `name` section (run wasm-bindgen without
// --remove-name-section; wasm-opt --strip-debug removes it afterwards). What it snips: Rust's
// panic machinery (`core::panicking::*`, `rust_begin_unwind`, `unwrap_failed`, slice index
// failures, ...) becomes `unreachable`. The crate is built with panic = "abort", where a panic
// already ends in `unreachable` after formatting a message nobody can read; snipping keeps that
// behaviour and drops the formatting code. The engine and the binding never panic (the binding
// validates every input before the engine sees it), so this code is dead in practice.
// (The engine builds its error messages without `core::fmt`, so no formatting is snipped.)
//
// Prints what it snipped; exits non-zero if a required function is missing (a toolchain change
// would otherwise silently undo the saving).
import fs from 'node:fs'
import { leb, readModule } from './wasm-module.mjs'

const SNIP_TRAP = [
  /::panicking::/,
  /rust_begin_unwind$/,
  /::rust_panic$/,
  /::(option|result)::(unwrap_failed|expect_failed)$/,
  /::slice::index::slice_index_fail$/,
  /::str::slice_error_fail(_rt)?$/,
  /::copy_from_slice_impl::len_mismatch_fail$/,
  /panic_on_ord_violation/,
  /::raw_vec::(capacity_overflow|handle_error)$/,
  /::alloc::handle_alloc_error/,
]
const REQUIRED = [/core(\[[0-9a-f]+\])?::panicking::panic_fmt$/]

const [input, output] = process.argv.slice(2)
if (!input || !output) {
  console.error('usage: wasm-snip.mjs in.wasm out.wasm')
  process.exit(2)
}
const buf = fs.readFileSync(input)

function encLeb(n) {
  const out = []
  do {
    let byte = n & 0x7f
    n = Math.floor(n / 128)
    if (n) byte |= 0x80
    out.push(byte)
  } while (n)
  return Buffer.from(out)
}

const { section, importedFns, names } = readModule(buf)
if (!section(0, 'name')) throw new Error('no name section: run wasm-bindgen without --remove-name-section')

// Rewrite the code section.
const code = section(10)
let [count, i] = leb(buf, code.start)
const bodies = [encLeb(count)]
const snipped = []
const matched = new Set()
for (let k = 0; k < count; k++) {
  const [size, p] = leb(buf, i)
  const idx = importedFns + k
  const name = names.get(idx) ?? ''
  let body = null
  if (SNIP_TRAP.find((re) => re.test(name))) {
    body = Buffer.from([0x00, 0x00, 0x0b]) // no locals; unreachable; end
    for (const re of REQUIRED) if (re.test(name)) matched.add(re)
    snipped.push(`trap ${size - body.length} B  ${name}`)
  }
  bodies.push(body ? Buffer.concat([encLeb(body.length), body]) : buf.subarray(i, p + size))
  i = p + size
}
const missing = REQUIRED.filter((re) => !matched.has(re))
if (missing.length) {
  console.error(`wasm-snip: functions not found: ${missing.join(', ')}`)
  process.exit(1)
}
const payload = Buffer.concat(bodies)
const out = Buffer.concat([
  buf.subarray(0, code.head),
  Buffer.from([10]),
  encLeb(payload.length),
  payload,
  buf.subarray(code.end),
])
fs.writeFileSync(output, out)
for (const line of snipped) console.log(`wasm-snip: ${line}`)
