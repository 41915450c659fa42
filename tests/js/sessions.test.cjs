'use strict'
// The scripted pacer sessions (tests/vectors/sessions.json) through the package's `PacerCore`
// (the engine's NativePacer: napi or WASM, see impl.cjs): every step's answer must equal its
// hand-derived `expect` exactly. Mirrors core/tests/sessions.rs and the Python replay. A missing
// file or an empty one fails (never a skip, under CI or not).
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { pk, impl, vectorsDir } = require('./impl.cjs')

const file = path.join(vectorsDir, 'sessions.json')
const snake = (k) => k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())
const camel = (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())
function rekey (v, f) {
  if (Array.isArray(v)) return v.map((x) => rekey(x, f))
  if (v !== null && typeof v === 'object') {
    const out = {}
    for (const k of Object.keys(v)) out[f(k)] = rekey(v[k], f)
    return out
  }
  return v
}

function load () {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'))
  assert.equal(doc.kind, 'sessions')
  return doc.cases
}

function answer (f) {
  try {
    const v = f()
    return v === undefined ? null : rekey(v, snake)
  } catch (e) {
    if (typeof e.code !== 'string') throw e
    assert.equal(e instanceof TypeError, e.code === 'invalid_argument', `error class of ${e.code}`)
    assert.ok(e instanceof TypeError || e instanceof RangeError)
    return { error: e.code }
  }
}

function runStep (p, s) {
  switch (s.op) {
    case 'begin': return answer(() => p.begin(s.key, s.cost === undefined ? 1 : s.cost, s.now))
    case 'resume': return answer(() => p.resume(s.ticket, s.now))
    case 'cancel': return answer(() => { p.cancel(s.ticket); return { action: 'cancelled' } })
    case 'finish': {
      const r = s.response
      const response = r === null || r === undefined ? null : { status: r.status, headers: r.headers || [], body: r.body }
      return answer(() => p.finish(s.ticket, response, s.now))
    }
    case 'learnt': return answer(() => p.learnt(s.key))
    default: throw new Error(`unknown op ${s.op}`)
  }
}

/** Every mismatch of one case, as text. */
function mismatches (c) {
  const p = new pk.PacerCore(rekey(c.config, camel))
  const out = []
  c.steps.forEach((s, i) => {
    const got = runStep(p, s)
    try { assert.deepStrictEqual(got, s.expect) } catch {
      out.push(`${c.name} step ${i} (${s.op} @${s.now}): expected ${JSON.stringify(s.expect)}, got ${JSON.stringify(got)} — ${s.why}`)
    }
  })
  return out
}

test(`sessions.json exists and holds the cases (${impl})`, () => {
  assert.ok(fs.existsSync(file), `${file} is missing`)
  const cases = load()
  assert.ok(Array.isArray(cases) && cases.length >= 20, `only ${cases && cases.length} cases`)
  assert.ok(cases.reduce((n, c) => n + c.steps.length, 0) >= 100)
})

test(`every session step matches its hand-derived expectation (${impl})`, () => {
  const cases = load()
  let steps = 0
  const failures = []
  for (const c of cases) {
    steps += c.steps.length
    failures.push(...mismatches(c))
  }
  assert.ok(steps >= 100, `only ${steps} steps`)
  assert.equal(failures.length, 0, `${failures.length} of ${steps} steps differ:\n${failures.join('\n')}`)
})

test('a wrong expectation is caught', () => {
  const c = JSON.parse(JSON.stringify(load()[0]))
  c.steps[0].expect = { action: 'go', ticket: 99 }
  assert.equal(mismatches(c).length, 1)
})

test('PacerCore: steps, errors and configuration', () => {
  const p = new pk.PacerCore({ limits: [{ amount: 5, periodMs: 1000, burst: 1 }] })
  assert.deepEqual(p.begin('k', 1, 0), { action: 'go', ticket: 1 })
  assert.deepEqual(p.begin('k', 1, 0), { action: 'wait', ticket: 2, until: 200 })
  assert.equal(p.inFlight('k'), 1)
  assert.equal(p.openTickets, 2)
  const a = p.finish(1, { status: 429, headers: { 'Retry-After': '2' } }, 100)
  assert.equal(a.action, 'retry')
  assert.ok(a.at >= 2100 && a.attempt === 2 && a.reason === 'server_hint')
  assert.deepEqual(new pk.PacerCore({ limits: [{ amount: 5, periodMs: 1000 }] }).begin('k', 6, 0),
    { action: 'never', reason: 'cost_above_burst', capacity: 5 })
  const g = pk.PacerCore.genesys()
  assert.equal(g.learnt('t'), null)
  assert.equal(g.begin('t', 1, 0).action, 'go')
  assert.deepEqual(g.learnt('t'), { amount: 300, periodMs: 60000, burst: 300 })
  const b = new pk.PacerCore({ retryBudget: { capacity: 10 } })
  assert.equal(b.budgetTokens, 10)
  assert.equal(new pk.PacerCore().budgetTokens, null)
  // A header the core refuses came from the server: the bare status, not a thrown error.
  const h = new pk.PacerCore()
  h.begin('k', 1, 0)
  assert.deepEqual(h.finish(1, { status: 200, headers: { 'X-RateLimit-Remaining': '1e999999' } }, 1), { action: 'done' })
  const code = (f) => { try { f(); return null } catch (e) { return e.code } }
  assert.deepEqual(p.begin('j', 1, 0), { action: 'go', ticket: 3 })
  for (const [f, c] of [
    [() => p.finish(99, null, 0), 'unknown_ticket'],
    [() => p.cancel(99), 'unknown_ticket'],
    [() => p.resume(3, 0), 'ticket_state'],
    [() => p.finish(2, null, 0), 'ticket_state'],
    [() => p.begin('', 1, 0), 'invalid_key'],
    [() => p.begin('k', 0, 0), 'invalid_cost'],
    [() => p.begin('k', 1, -1), 'invalid_number'],
    [() => p.begin('k', 1.5, 0), 'invalid_number'],
    [() => p.begin(7, 1, 0), 'invalid_argument'],
    [() => p.finish(1, { status: 700, headers: {} }, 0), 'invalid_status'],
    [() => p.finish(1, 'x', 0), 'invalid_argument'],
    [() => new pk.PacerCore({ maxWindow: 0 }), 'invalid_option'],
    [() => new pk.PacerCore({ nope: 1 }), 'invalid_argument'],
    [() => new pk.PacerCore({ backoff: { nope: 1 } }), 'invalid_argument'],
    [() => new pk.PacerCore({ preset: 'nope' }), 'invalid_option'],
    [() => new pk.PacerCore({ backoff: { jitter: 'nope' } }), 'invalid_option'],
    [() => new pk.PacerCore({ backoff: { multiplier: NaN } }), 'invalid_number'],
    [() => new pk.PacerCore({ backoff: { baseMs: 0 } }), 'invalid_policy'],
    [() => new pk.PacerCore({ probePollMs: 0.5 }), 'invalid_number'],
    [() => new pk.PacerCore({ learn: 1 }), 'invalid_argument'],
    [() => new pk.PacerCore({ limits: [{ amount: 1 }] }), 'invalid_argument'],
    [() => new pk.PacerCore({ limits: [{ amount: 0, periodMs: 1 }] }), 'invalid_limit'],
    [() => new pk.PacerCore({ seed: -1 }), 'invalid_number'],
    [() => new pk.PacerCore({ retryBudget: { capacity: 1, tokens: 2 } }), 'invalid_policy']
  ]) assert.equal(code(f), c, String(f))
})

test('the configuration slots come from the engine, not from this package', () => {
  // A seed above 2^53 crosses exactly (as text); every field named by the codec is accepted.
  const p = new pk.PacerCore({
    seed: 18446744073709551615n,
    learn: false,
    preset: 'genesys',
    probePollMs: 50,
    maxWindow: 8,
    parse: { maxWaitMs: 1000, resetMode: 'delta_seconds' },
    retryBudget: { capacity: 50, tokens: 40, retryCost: 5, networkCost: 10, successRefund: 1 },
    backoff: { baseMs: 100, multiplier: 1.5, capMs: 1000, jitter: 'none', maxAttempts: 3, deadlineMs: null, retryNetworkErrors: false, hintSpreadPercent: 0, maxWaitMs: 5000, retryStatuses: [429] }
  })
  assert.equal(p.budgetTokens, 40)
  assert.equal(p.begin('k', 1, 0).action, 'go')
  assert.deepEqual(p.finish(1, null, 1), { action: 'give_up', reason: 'not_retryable', attempts: 1 })
})
