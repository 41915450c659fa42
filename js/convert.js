'use strict'
// Argument checks and header normalisation.
// Engine-agnostic: shared by the napi package and the WASM package.

const { typeError, numberError } = require('./errors')

const MAX_SAFE = Number.MAX_SAFE_INTEGER
const U64_MAX = (1n << 64n) - 1n

function describe (v) {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'number') return String(v)
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)
  return typeof v
}

/** A safe integer >= 0 (times, durations, counts). */
function int (v, name) {
  if (typeof v !== 'number') throw typeError(`${name} must be a number, got ${describe(v)}`)
  if (!Number.isFinite(v)) throw numberError(`${name} must be finite, got ${v}`)
  if (v < 0) throw numberError(`${name} must be >= 0, got ${v}`)
  if (!Number.isInteger(v)) throw numberError(`${name} must be an integer, got ${v}`)
  if (v > MAX_SAFE) throw numberError(`${name} must be at most 2^53 - 1, got ${v}`)
  return v
}

/** A time: `int`, or the clock when undefined. */
function now (v) { return v === undefined ? Date.now() : int(v, 'now') }

/** An engine's number, NaN as null. */
function nn (x) { return x !== x ? null : x } // eslint-disable-line no-self-compare

/** `int`, or `dflt` when undefined. */
function optInt (v, name, dflt) { return v === undefined ? dflt : int(v, name) }

/** An integer for a u32 slot: checked as `int`, then saturated so the engine's range check speaks. */
function u32 (v, name) { const n = int(v, name); return n > 0xffffffff ? 0xffffffff : n }

/** A u64 seed: a safe-integer number or a bigint; returned as a decimal string. */
function seed (v, name = 'seed') {
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) throw numberError(`${name} must be 0..2^64 - 1, got ${v}n`)
    return v.toString()
  }
  return String(int(v, name))
}

/** A check that a value is of the type `t` (a string, a boolean). */
const typed = (t) => (v, name) => {
  if (typeof v !== t) throw typeError(`${name} must be a ${t}, got ${describe(v)}`)
  return v
}
const str = typed('string')
const bool = typed('boolean')

function obj (v, name) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw typeError(`${name} must be an object, got ${describe(v)}`)
  return v
}

function optObj (v, name) { return v === undefined || v === null ? {} : obj(v, name) }

/** A response body: a string, or null when left out. */
function body (v, name) {
  if (v === undefined || v === null) return null
  if (typeof v !== 'string') throw typeError(`${name} must be a string or null, got ${describe(v)}`)
  return v
}

// --- headers -------------------------------------------------------------------------------

function pushValue (flat, name, value) {
  if (value === undefined || value === null) return
  if (typeof value === 'string') { flat.push(name, value); return }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') { flat.push(name, String(value)); return }
  if (Array.isArray(value)) { for (const v of value) pushValue(flat, name, v); return }
  throw typeError(`header ${JSON.stringify(name)} must be a string, number or array of strings, got ${describe(value)}`)
}

/**
 * Any header shape → a flat `[name, value, name, value, ...]` list of strings: a list of
 * `[name, value]` pairs, a flat raw list (Node's `rawHeaders`), a plain object (values may be
 * arrays, as in `IncomingHttpHeaders`), a fetch `Headers`, a `Map`, axios' `AxiosHeaders`,
 * superagent's header object, or anything iterable over `[name, value]` entries.
 */
function flattenHeaders (h) {
  const flat = []
  if (h === undefined || h === null) return flat
  if (typeof h !== 'object') throw typeError(`headers must be a list of [name, value] pairs or a headers object, got ${describe(h)}`)
  if (Array.isArray(h) && typeof h[0] === 'string') { // flat raw list
    if (h.length % 2 !== 0) throw typeError('a flat header list must have an even length')
    for (let i = 0; i < h.length; i += 2) {
      if (typeof h[i] !== 'string') throw typeError(`header name at ${i} must be a string, got ${describe(h[i])}`)
      pushValue(flat, h[i], h[i + 1])
    }
    return flat
  }
  const proto = Object.getPrototypeOf(h)
  const plain = proto === Object.prototype || proto === null
  if (typeof h.toJSON === 'function' && typeof h.getSetCookie !== 'function' && !(h instanceof Map) &&
      typeof h.normalize === 'function') {
    // AxiosHeaders: toJSON() gives a plain object (arrays kept).
    return flattenHeaders(h.toJSON())
  }
  if (!plain && typeof h[Symbol.iterator] === 'function') { // pairs, a Map, fetch Headers, ...
    for (const p of h) {
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string') throw typeError(`headers must be [name, value] pairs, got ${describe(p)}`)
      pushValue(flat, p[0], p[1])
    }
    // fetch Headers join repeated values except set-cookie; that is fine for rate-limit fields.
    return flat
  }
  for (const name of Object.keys(h)) pushValue(flat, name, h[name])
  return flat
}

/** A flat header list as one string, `name\nvalue\n...` (line breaks inside become spaces). */
function joinHeaders (flat) {
  for (let i = 0; i < flat.length; i++) {
    if (flat[i].indexOf('\n') !== -1) flat[i] = flat[i].replace(/[\r\n]/g, ' ')
  }
  return flat.join('\n')
}

module.exports = { int, now, nn, optInt, u32, seed, str, bool, obj, optObj, body, describe, flattenHeaders, joinHeaders }
