// Reading a WebAssembly module's structure, shared by scripts/wasm-snip.mjs (the build) and
// bindings-wasm/bench/wasm-size.mjs (what the module is made of): LEB128, the sections, the
// number of imported functions (function indexes count them first) and the `name` section's
// function names.

/** An unsigned LEB128 at `i`: [value, index after it]. */
export function leb (b, i) {
  let r = 0
  let s = 0
  for (;;) {
    const x = b[i++]
    r += (x & 0x7f) * 2 ** s
    s += 7
    if (x < 0x80) return [r, i]
  }
}

/**
 * The module in `buf`: `sections` ({id, name (a custom section's own name, else undefined),
 * head (its id byte), start and end of its payload}), `section(id, name?)` (the first match),
 * `importedFns` and `names` (function index → name; empty without a name section).
 */
export function readModule (buf) {
  const sections = []
  for (let i = 8; i < buf.length; ) {
    const id = buf[i++]
    const [size, p] = leb(buf, i)
    let name
    if (id === 0) {
      const [len, q] = leb(buf, p)
      name = buf.toString('utf8', q, q + len)
    }
    sections.push({ id, name, head: i - 1, start: p, end: p + size })
    i = p + size
  }
  const section = (id, name) => sections.find((s) => s.id === id && (name === undefined || s.name === name))

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

  const names = new Map()
  const ns = section(0, 'name')
  if (ns) {
    let [len, i] = leb(buf, ns.start)
    i += len
    while (i < ns.end) {
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
  return { sections, section, importedFns, names }
}
