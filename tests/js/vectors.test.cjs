'use strict'
// Every shared vector (tests/vectors/*.json) through the package's public API, compared exactly
// with `expect` after converting the camelCase results back to the core's snake_case JSON.
// Mirrors core/tests/vectors.rs step by step.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { pk, vectorsDir } = require('./impl.cjs')

const snake = (k) => k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())
function toSnake (v) {
  if (Array.isArray(v)) return v.map(toSnake)
  if (v !== null && typeof v === 'object') {
    const out = {}
    for (const k of Object.keys(v)) out[snake(k)] = toSnake(v[k])
    return out
  }
  return v
}
const camel = (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())
function toCamel (v) {
  if (Array.isArray(v)) return v.map(toCamel)
  if (v !== null && typeof v === 'object') {
    const out = {}
    for (const k of Object.keys(v)) out[camel(k)] = toCamel(v[k])
    return out
  }
  return v
}

function load (file) {
  // Seeds may be u64 max: read every integer above 2^53 as a bigint.
  const text = fs.readFileSync(path.join(vectorsDir, `${file}.json`), 'utf8')
  const quoted = text.replace(/("seed":\s*)(\d{16,})/g, '$1"bigint:$2"')
  return JSON.parse(quoted, (key, value) =>
    typeof value === 'string' && value.startsWith('bigint:') ? BigInt(value.slice(7)) : value).cases
}

function out (f) {
  try {
    const v = f()
    return v === undefined ? null : toSnake(v)
  } catch (e) {
    if (typeof e.code !== 'string') throw e
    assert.ok(e instanceof TypeError || e instanceof RangeError, `error ${e.code} is a TypeError/RangeError`)
    assert.equal(e instanceof TypeError, e.code === 'invalid_argument', `error class of ${e.code}`)
    return { error: e.code }
  }
}

const headersOf = (h) => (Array.isArray(h) ? h : [])
function parseResponse (r, now, options) {
  return pk.parseHeaders({ status: r.status, headers: headersOf(r.headers), body: r.body }, { ...options, now })
}
const optionsOf = (c) => (c.options ? toCamel(c.options) : {})

function runHeaders (c) {
  return out(() => parseResponse(c, c.now, optionsOf(c)))
}

function runBucket (c) {
  const config = toCamel(c.config)
  let limiter
  try { limiter = new pk.Limiter(config) } catch (e) { return { error: e.code } }
  const results = []
  for (const step of c.steps) {
    const key = step.key ?? ''
    const now = step.now ?? 0
    const cost = step.cost ?? 1
    let r
    switch (step.op) {
      case 'check': r = out(() => limiter.check(key, cost, now)); break
      case 'peek': r = out(() => limiter.peek(key, cost, now)); break
      case 'reserve': r = out(() => limiter.reserve(key, cost, now)); break
      case 'observe': r = out(() => limiter.observe(key, parseResponse(step.response, now, {}), now)); break
      case 'block_until': r = out(() => limiter.blockUntil(key, step.until ?? 0)); break
      case 'acquire': r = out(() => limiter.acquire(key)); break
      case 'release': r = out(() => limiter.release(key)); break
      case 'prune': r = limiter.prune(now); break
      case 'restore': {
        // Round-trip the whole state through JSON text, as a process restart would.
        limiter = pk.Limiter.fromJSON(JSON.parse(JSON.stringify(limiter)))
        r = limiter.size
        break
      }
      default: throw new Error(`unknown op ${step.op}`)
    }
    results.push(r)
  }
  return results
}

function runBackoff (c) {
  let backoff
  try { backoff = new pk.Backoff(toCamel(c.policy)) } catch (e) { return { error: e.code } }
  const seed = c.seed ?? 0
  const result = {}
  if (c.schedule !== undefined) result.schedule = backoff.schedule(seed, c.schedule)
  const budget = c.budget ? pk.newRetryBudget(toCamel(c.budget)) : undefined
  const state = pk.newRetryState(c.started_at ?? 0, seed)
  const decisions = []
  for (const step of c.steps ?? []) {
    const now = step.now ?? 0
    let v
    if (step.response === undefined || step.response === null) {
      v = out(() => backoff.decide(state, null, now, budget))
    } else {
      v = out(() => backoff.decide(state, parseResponse(step.response, now, {}), now, budget))
    }
    if (budget && v) v.budget_tokens = budget.tokens
    decisions.push(v)
  }
  result.decisions = decisions
  return result
}

function runPlan (c) {
  const req = toCamel(c.request)
  const first = out(() => pk.plan(req, c.now ?? 0))
  const results = [first]
  let prev = first && !first.error ? toCamel(first) : null
  for (const rp of c.replans ?? []) {
    assert.ok(prev, 'replan after a failed plan')
    const r = out(() => pk.replan(req, prev, toCamel(rp.outcomes), rp.now ?? 0))
    results.push(r)
    prev = r && !r.error ? toCamel(r) : null
  }
  return results
}

const runners = { headers: runHeaders, bucket: runBucket, backoff: runBackoff, plan: runPlan }
let total = 0
for (const file of Object.keys(runners)) {
  test(`shared vectors: ${file}`, () => {
    const cases = load(file)
    assert.ok(cases.length > 0)
    const failures = []
    for (const c of cases) {
      total++
      let got
      try { got = runners[file](c) } catch (e) { failures.push(`${c.name}: threw ${e.stack}`); continue }
      try { assert.deepStrictEqual(got, c.expect) } catch (e) {
        failures.push(`${c.name}:\n  expect ${JSON.stringify(c.expect)}\n  got    ${JSON.stringify(got, (k, v) => typeof v === 'bigint' ? String(v) : v)}`)
      }
    }
    assert.equal(failures.length, 0, `${failures.length} of ${cases.length} ${file} vectors failed:\n${failures.join('\n')}`)
  })
}
test('all shared vectors ran', { concurrency: false }, () => {
  assert.ok(total >= 200, `only ${total} vectors`)
})
