'use strict'
// Replays tests/vectors/errors.json through the public API (napi or WASM, see impl.cjs): the same
// bad input gives the same code as in Rust (bindings-common/tests/error_parity.rs), Python and
// the JMeter ABI. A coded error is a TypeError (invalid_argument) or RangeError with `.code`.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { pk, vectorsDir } = require('./impl.cjs')

const { cases } = JSON.parse(fs.readFileSync(path.join(vectorsDir, 'errors.json'), 'utf8'))
const NUMS = { NaN, Infinity, '-Infinity': -Infinity, '-0': -0 }
const camel = (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())

/** The vector's value as JS data: {"$num": ...} → number, snake_case keys → camelCase. */
function host (v) {
  if (Array.isArray(v)) return v.map(host)
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v)
    if (keys.length === 1 && keys[0] === '$num') return NUMS[v.$num]
    const out = {}
    for (const k of keys) out[camel(k)] = host(v[k])
    return out
  }
  return v
}

const limiter = () => new pk.Limiter({ limits: [{ amount: 5, periodMs: 1000 }] })
const CALLS = {
  check: (a) => limiter().check(a.key, a.cost, a.now),
  block_until: (a) => limiter().blockUntil(a.key, a.until),
  observe: (a) => limiter().observe(a.key, { ...pk.parseHeaders({ status: 200, headers: [] }, { now: 0 }), status: a.status }, a.now),
  limiter: (a) => new pk.Limiter(a),
  backoff: (a) => new pk.Backoff(a),
  parse: (a) => {
    const opts = { now: a.now }
    if ('maxWaitMs' in a) opts.maxWaitMs = a.maxWaitMs
    if ('resetMode' in a) opts.resetMode = a.resetMode
    return pk.parseHeaders({ status: a.status, headers: a.headers, body: a.body }, opts)
  },
  plan: (a) => pk.plan(a.request, a.now),
  delay: (a) => new pk.Backoff().delayMs(a.n, a.prevMs, a.seed),
  schedule: (a) => new pk.Backoff().schedule(a.seed, a.n)
}

test('at least 60 error vectors, every call known', () => {
  assert.ok(cases.length >= 60, `${cases.length} cases`)
  for (const c of cases) assert.ok(CALLS[c.call], `${c.name}: unknown call ${c.call}`)
})

test('every error vector gives its code, as a TypeError/RangeError', () => {
  const wrong = []
  for (const c of cases) {
    let got = null
    try { CALLS[c.call](host(c.args)) } catch (e) {
      got = e.code
      const want = e.code === 'invalid_argument' ? TypeError : RangeError
      if (!(e instanceof want)) wrong.push(`${c.name}: ${e.constructor.name} ${e.message}, want a ${want.name}`)
    }
    if (got !== c.code) wrong.push(`${c.name}: got ${got}, want ${c.code}`)
  }
  assert.deepEqual(wrong, [])
})

test('errorCodes() is the core\'s list, and the shared JS layer restates no vocabulary of the core', () => {
  const native = require('../../bindings-node/native.js')
  assert.deepEqual(pk.errorCodes(), native.vocabulary('errorCodes').split(','))
  const dir = path.join(__dirname, '..', '..', 'js')
  const lists = ['errorCodes', 'resetModes', 'sources', 'waitSources', 'rejectReasons', 'jitters', 'retryReasons', 'giveUpReasons']
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.js'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8')
    for (const list of lists) {
      const names = native.vocabulary(list).split(',')
      assert.ok(names.length >= 3, list)
      const quoted = names.filter((n) => text.includes(`'${n}'`) || text.includes(`"${n}"`))
      // A name may be used on its own (e.g. 'invalid_argument' picks TypeError); three are a list.
      assert.ok(quoted.length < 3, `js/${f} restates ${list}: ${quoted.join(', ')}`)
    }
  }
})
