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

function leb(b, i) {
  let r = 0
  let s = 0
  for (;;) {
    const x = b[i++]
    r += (x & 0x7f) * 2 ** s
    s += 7
    if (x < 0x80) return [r, i]
  }
}
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

// Sections: [id, start of payload, end].
const sections = []
for (let i = 8; i < buf.length; ) {
  const id = buf[i++]
  const [size, p] = leb(buf, i)
  sections.push({ id, start: p, end: p + size, head: i - 1 })
  i = p + size
}
const section = (id, name) =>
  sections.find((s) => {
    if (s.id !== id) return false
    if (name === undefined) return true
    const [len, p] = leb(buf, s.start)
    return buf.toString('utf8', p, p + len) === name
  })

// Number of imported functions, and each function's type.
let importedFns = 0
const imp = section(2)
if (imp) {
  let [n, i] = leb(buf, imp.start)
  for (; n > 0; n--) {
    let len
    ;[len, i] = leb(buf, i)
    i += len
    ;[len, i] = leb(buf, i)
    i += len
    const kind = buf[i++]
    if (kind === 0) {
      importedFns++
      ;[, i] = leb(buf, i)
    } else if (kind === 1) {
      i++ // reftype
      let flags
      ;[flags, i] = leb(buf, i)
      ;[, i] = leb(buf, i)
      if (flags & 1) [, i] = leb(buf, i)
    } else if (kind === 2) {
      let flags
      ;[flags, i] = leb(buf, i)
      ;[, i] = leb(buf, i)
      if (flags & 1) [, i] = leb(buf, i)
    } else if (kind === 3) {
      i += 2
    } else if (kind === 4) {
      i++
      ;[, i] = leb(buf, i)
    } else throw new Error(`unknown import kind ${kind}`)
  }
}
// Function names.
const names = new Map()
{
  const s = section(0, 'name')
  if (!s) throw new Error('no name section: run wasm-bindgen without --remove-name-section')
  let [len, i] = leb(buf, s.start)
  i += len
  while (i < s.end) {
    const sub = buf[i++]
    let size
    ;[size, i] = leb(buf, i)
    const end = i + size
    if (sub === 1) {
      let [n, j] = leb(buf, i)
      for (; n > 0; n--) {
        let idx, l
        ;[idx, j] = leb(buf, j)
        ;[l, j] = leb(buf, j)
        names.set(idx, buf.toString('utf8', j, j + l))
        j += l
      }
    }
    i = end
  }
}

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
