'use strict'
// PacerCore in shared mode (the `shared` option): the consult step, the store's replies, the
// fire-and-forget outbox and the events, as the Redis shells use them. Store replies here are the
// script's six integers written by hand: [code, wait_us, lease, reason, now_us, expire_ms], code
// 0 allow, 1 reserved, 2 wait, 3 never, 4 done; reason 0 none, 1..3 limit, 4 lockout.
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const path = require('node:path')
const { pk, impl, root } = require('./impl.cjs')

const NOW = 1_700_000_000_000
const limits = [{ amount: 10, periodMs: 1000, burst: 1 }]

// The WebAssembly engine paces in memory only (the core's `store` feature is off there).
if (impl === 'wasm') {
  test('the WebAssembly engine refuses a shared store', () => {
    // The engine's `pacerConfig` has no `shared.*` slots there: an unknown option.
    assert.throws(() => new pk.PacerCore({ shared: true }), (e) => e instanceof TypeError && e.code === 'invalid_argument')
    assert.throws(() => new pk.PacerCore({ shared: { policy: 'deny' } }), (e) => e instanceof TypeError && e.code === 'invalid_argument')
  })
  return
}

// The engine level (what the Redis shells use): `require('./engine')(native)`.
const native = require(path.join(root, 'bindings-node', 'native.js'))
const engine = require(path.join(root, 'js', 'engine.js'))(native)

test('the engine exports the script and its SHA1', () => {
  const script = engine.sharedScript()
  assert.match(script, /redis\.call/)
  assert.equal(engine.sharedScriptSha1(), crypto.createHash('sha1').update(script).digest('hex'))
})

test('a go becomes a consult carrying the EVALSHA keys and args; allow goes', () => {
  const p = new pk.PacerCore({ limits, shared: { heartbeatMs: 0 } })
  const s = p.begin('tenant-a', 1, NOW)
  assert.deepEqual(Object.keys(s), ['action', 'ticket', 'keys', 'args'])
  assert.equal(s.action, 'consult')
  assert.deepEqual(s.keys, ['pk:{tenant-a}:s', 'pk:{tenant-a}:l'])
  // layout 1, acquire, server clock (0), idle 600 s, cost 1, lease 30 s, no cap, reserve 10 s, one limit.
  assert.deepEqual(s.args, ['1', 'a', '0', '600000000', '1', '30000000', '0', '10000000', '1', '100000', '1'])
  assert.deepEqual(p.consulted(s.ticket, [0, 0, 7, 0, NOW * 1000, 700000], NOW), { action: 'go', ticket: s.ticket })
  assert.equal(p.inFlight('tenant-a'), 1)
  assert.equal(p.pollStore(), null)
  assert.deepEqual(p.finish(s.ticket, { status: 200, headers: {} }, NOW + 5), { action: 'done' })
  // The lease goes back.
  const c = p.pollStore()
  assert.deepEqual(c.keys, ['pk:{tenant-a}:s', 'pk:{tenant-a}:l'])
  assert.deepEqual(c.args.slice(0, 6), ['1', 'r', '0', '600000000', '0', '7'])
  assert.equal(p.pollStore(), null)
  p.storeDone([4, 0, 1, 0, NOW * 1000, 0], NOW + 6)
  assert.equal(p.pollEvent(), null)
})

test('keys of any text cross intact', () => {
  for (const key of ['a{b}c', 'x\u0000y', 'üñí😀,:;', '1:2', '%7B']) {
    const p = new pk.PacerCore({ shared: true })
    const s = p.begin(key, 1, NOW)
    assert.equal(s.action, 'consult')
    const tag = key.replaceAll('%', '%25').replaceAll('{', '%7B').replaceAll('}', '%7D')
    assert.deepEqual(s.keys, [`pk:{${tag}}:s`, `pk:{${tag}}:l`], JSON.stringify(key))
    assert.equal(s.args.length, 9)
  }
})

test('reserved waits and then goes without asking again; wait asks again', () => {
  const p = new pk.PacerCore({ limits, shared: { callerClock: true } })
  const s = p.begin('k', 1, NOW)
  assert.equal(s.args[2], String(NOW * 1000))
  assert.deepEqual(p.consulted(s.ticket, [1, 250_000, 3, 1, NOW * 1000, 1000], NOW), { action: 'wait', ticket: s.ticket, until: NOW + 250 })
  assert.deepEqual(p.resume(s.ticket, NOW + 250), { action: 'go', ticket: s.ticket })
  const s2 = p.begin('k', 1, NOW + 300)
  assert.equal(s2.action, 'consult')
  assert.deepEqual(p.consulted(s2.ticket, [2, 2_000_000, 0, 4, 1, 0], NOW + 300), { action: 'wait', ticket: s2.ticket, until: NOW + 2300 })
  const again = p.resume(s2.ticket, NOW + 2300)
  assert.equal(again.action, 'consult')
  assert.equal(again.ticket, s2.ticket)
})

test('store errors degrade, deny or allow, with events', () => {
  const d = new pk.PacerCore({ limits, shared: { peers: 2 } })
  const s = d.begin('k', 1, NOW)
  // A store error is never a denial: the degraded share (a half: 5/s) decides. It starts empty
  // (the shared burst may be spent), so the first token is one share interval away.
  assert.deepEqual(d.consulted(s.ticket, 'store_timeout', NOW), { action: 'wait', ticket: s.ticket, until: NOW + 200 })
  assert.deepEqual(d.resume(s.ticket, NOW + 200), { action: 'go', ticket: s.ticket })
  assert.deepEqual(d.pollEvent(), { event: 'store_down', policy: 'degrade', peers: 2 })
  assert.equal(d.pollEvent(), null)
  // Degraded: decided locally (no consult) until the probe interval.
  const w = d.begin('k', 1, NOW + 210)
  assert.equal(w.action, 'wait')
  d.cancel(w.ticket)
  const probe = d.begin('k', 1, NOW + 1000)
  assert.equal(probe.action, 'consult')
  assert.equal(d.consulted(probe.ticket, [0, 0, 1, 0, 5, 1], NOW + 1000).action, 'go')
  assert.deepEqual(d.pollEvent(), { event: 'store_up', downForUs: 1_000_000 })

  const n = new pk.PacerCore({ limits, shared: { policy: 'deny' } })
  const t = n.begin('k', 1, NOW)
  assert.deepEqual(n.consulted(t.ticket, 'store_unavailable', NOW), { action: 'never', reason: 'store_denied', capacity: 0 })
  const a = new pk.PacerCore({ limits, shared: { policy: 'allow' } })
  const u = a.begin('k', 1, NOW)
  assert.deepEqual(a.consulted(u.ticket, 'store_server', NOW), { action: 'go', ticket: u.ticket })
  // A reply of the wrong shape is the server's fault: a store error, never a throw.
  const b = new pk.PacerCore({ limits, shared: { policy: 'deny' } })
  const v = b.begin('k', 1, NOW)
  assert.equal(b.consulted(v.ticket, ['0', null, 1, 0, 5, 1], NOW).reason, 'store_denied')
  assert.deepEqual(b.pollEvent(), { event: 'store_down', policy: 'deny', peers: 1 })
})

test('a 429 queues a lockout for every host', () => {
  const p = new pk.PacerCore({ limits, shared: { leaseTtlMs: 0, heartbeatMs: 0 } })
  const s = p.begin('k', 1, NOW)
  p.consulted(s.ticket, [0, 0, 0, 0, 1, 1], NOW)
  const r = p.finish(s.ticket, { status: 429, headers: { 'retry-after': '3' } }, NOW + 10)
  assert.equal(r.action, 'retry')
  const c = p.pollStore()
  assert.deepEqual(c.args.slice(0, 8), ['1', 'l', '0', '600000000', '0', '0', '0', '3000000'])
  assert.equal(p.pollStore(), null)
  p.storeDone('store_unavailable', NOW + 11)
  assert.equal(p.pollEvent().event, 'store_down')
})

test('heartbeats count the peers a degraded process shares with', () => {
  const p = new pk.PacerCore({ limits, shared: { heartbeatMs: 2000 } })
  const s = p.begin('k', 1, NOW)
  // Sent without waiting: member 0 (a new id), presence 3 × 2 s.
  assert.deepEqual(p.pollStore(), { keys: ['pk:{k}:s', 'pk:{k}:l'], args: ['1', 'h', '0', '600000000', '0', '0', '0', '6000000', '0'] })
  assert.equal(p.pollStore(), null)
  // The reply: code done, 3 alive, member 9, reason presence (6).
  p.storeDone([4, 3, 9, 6, NOW * 1000, 600000], NOW)
  p.consulted(s.ticket, [0, 0, 1, 0, NOW * 1000, 1], NOW)
  // Not due again before 2 s; then with its id.
  const soon = p.begin('k', 1, NOW + 100)
  assert.equal(soon.action, 'consult')
  assert.equal(p.pollStore(), null)
  p.cancel(soon.ticket)
  const t = p.begin('k', 1, NOW + 2500)
  assert.equal(t.action, 'consult')
  assert.equal(p.pollStore().args[5], '9')
  // A third of the budget (10/s: one per 300 ms), starting empty.
  assert.deepEqual(p.consulted(t.ticket, 'store_unavailable', NOW + 2500), { action: 'wait', ticket: t.ticket, until: NOW + 2800 })
  assert.deepEqual(p.pollEvent(), { event: 'store_down', policy: 'degrade', peers: 3 })
})

test('bad shared options and answers are coded errors', () => {
  const codeOf = (f) => { try { f(); return null } catch (e) { return [e.constructor.name, e.code] } }
  assert.deepEqual(codeOf(() => new pk.PacerCore({ shared: { nope: 1 } })), ['TypeError', 'invalid_argument'])
  assert.deepEqual(codeOf(() => new pk.PacerCore({ shared: { policy: 'maybe' } })), ['RangeError', 'invalid_option'])
  assert.deepEqual(codeOf(() => new pk.PacerCore({ shared: { idleTtlMs: 0 } })), ['RangeError', 'invalid_option'])
  assert.deepEqual(codeOf(() => new pk.PacerCore({ shared: { probeIntervalMs: -1 } }))[1], 'invalid_number')
  const p = new pk.PacerCore({ shared: true })
  const s = p.begin('k', 1, NOW)
  assert.deepEqual(codeOf(() => p.consulted(s.ticket, 'oops', NOW)), ['RangeError', 'invalid_option'])
  assert.deepEqual(codeOf(() => p.consulted(s.ticket, { a: 1 }, NOW)), ['TypeError', 'invalid_argument'])
  assert.deepEqual(codeOf(() => p.resume(s.ticket, NOW)), ['RangeError', 'ticket_state'])
  assert.deepEqual(codeOf(() => p.consulted(99, 'store_timeout', NOW)), ['RangeError', 'unknown_ticket'])
  // Without `shared`, nothing changes: go, and no outbox.
  const plain = new pk.PacerCore({ limits })
  assert.equal(plain.begin('k', 1, NOW).action, 'go')
  assert.equal(plain.pollStore(), null)
  assert.equal(plain.pollEvent(), null)
})
