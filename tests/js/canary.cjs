'use strict'
// The canary token the secrets tests send, and the check that it reached nothing: every view of
// an object a user or a logger may print (util.inspect, JSON.stringify, String, the stack), plus
// a walk of its own data properties. Shared by tests/js/secrets-shells.test.mjs (napi and WASM)
// and bindings-node/test/secrets-genesys.test.cjs (the Genesys SDKs).
const assert = require('node:assert/strict')
const util = require('node:util')

const CANARY = 'CANARY-7f3a9c1e'

function safe (f) { try { return f() } catch (e) { return `<${e.message}>` } }

/** The path of the first string holding the canary among `x`'s own data properties, or null. */
function walk (x, seen, path, depth) {
  if (typeof x === 'string') return x.includes(CANARY) ? path : null
  if (x === null || typeof x !== 'object' || seen.has(x) || depth > 14) return null
  seen.add(x)
  for (const k of Reflect.ownKeys(x)) {
    const d = Object.getOwnPropertyDescriptor(x, k)
    if (!d || !('value' in d) || typeof d.value === 'function') continue
    const r = walk(d.value, seen, `${path}.${String(k)}`, depth + 1)
    if (r) return r
  }
  return null
}

/** Fails when the canary appears in any printed view of `x` or anywhere in its properties. */
function assertClean (x, label) {
  const views = {
    inspect: util.inspect(x, { depth: Infinity }),
    'inspect(showHidden)': safe(() => util.inspect(x, { depth: 12, showHidden: true })),
    JSON: safe(() => JSON.stringify(x)),
    String: safe(() => String(x)),
    stack: x && x.stack
  }
  for (const [name, text] of Object.entries(views)) {
    const s = String(text)
    const i = s.indexOf(CANARY)
    assert.ok(i < 0, `${label}: the canary is in ${name}:\n…${s.slice(Math.max(0, i - 300), i + 100)}`)
  }
  const path = walk(x, new Set(), label, 0)
  assert.equal(path, null, `${label}: the canary is reachable at ${path}`)
}

module.exports = { CANARY, assertClean }
