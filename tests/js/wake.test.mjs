// Sleepers wake when a slot moves earlier (an answer frees the probe window, a waiter gives its
// place up), on real timers. Bounded: the slots moved up save seconds, far above timer noise.
import test from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { pk } = require('./impl.cjs')

test('a waiter held back by the probe window is woken by the answer, not by its poll', async () => {
  const p = new pk.Pacer({ learn: true })
  p.core = new pk.PacerCore({ probePollMs: 5000 }) // held-back waiters poll every 5 s
  let answer
  const answered = new Promise((resolve) => { answer = resolve })
  let sent = 0
  const slow = p.run('k', async () => { sent++; await answered; return { status: 200, headers: {} } })
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(sent, 1)
  const t0 = Date.now()
  const second = p.run('k', async () => { sent++; return { status: 200, headers: {} } })
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.equal(sent, 1, 'held back: one request in flight on a new key')
  answer()
  await slow
  await second
  const waited = Date.now() - t0
  assert.ok(waited < 2500, `woken by the answer, not after its 5 s poll (waited ${waited} ms)`)
  assert.equal(p.core.openTickets, 0)
})

test('an aborted waiter gives its place up and the next one moves up', async () => {
  const p = new pk.Pacer({ limits: [{ amount: 1, periodMs: 2000, burst: 1 }] })
  await p.acquire('k') // the slot at 0
  const ctl = new AbortController()
  const b = p.acquire('k', 1, { signal: ctl.signal }) // booked at +2 s
  const t0 = Date.now()
  const c = p.acquire('k') // booked at +4 s
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(p.core.openTickets, 2)
  ctl.abort()
  await assert.rejects(b, { name: 'AbortError' })
  await c
  const waited = Date.now() - t0
  assert.ok(waited > 1500 && waited < 3500, `b's slot (+2 s) went to c (waited ${waited} ms)`)
  assert.equal(p.core.openTickets, 0)
})

test('an injected clock is never woken early (its sleeps are its own)', async () => {
  let now = 1_700_000_000_000
  const slept = []
  const clock = { now: () => now, sleep: async (ms) => { slept.push(ms); now += ms } }
  const p = new pk.Pacer({ limits: [{ amount: 1, periodMs: 1000, burst: 1 }], clock })
  await p.acquire('k')
  await p.acquire('k')
  assert.deepEqual(slept, [1000])
})

test('an answer wakes only the sleepers of its own key', async () => {
  // The core rebooks only the key that finished: a herd of tenants on one core must not wake
  // every sleeper on every answer.
  const p = new pk.Pacer({ limits: [{ amount: 1, periodMs: 1500, burst: 1 }] })
  await p.acquire('b') // b's slot at 0
  const resumed = []
  const resume = p.core.resume.bind(p.core)
  p.core.resume = (ticket, now) => { resumed.push(ticket); return resume(ticket, now) }
  const b = p.acquire('b') // booked at +1.5 s: sleeps
  await new Promise((resolve) => setTimeout(resolve, 50))
  for (let i = 0; i < 3; i++) await p.run(`a${i}`, async () => ({ status: 200, headers: {} }))
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.deepEqual(resumed, [], 'answers on other keys woke b\'s sleeper')
  await b
  assert.equal(resumed.length, 1, 'b resumed once, at its slot')
  assert.equal(p.core.openTickets, 0)
})
