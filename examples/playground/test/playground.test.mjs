// The playground in headless Chromium (Debian's `chromium`, driven by playwright-core): the page
// loads the WebAssembly package from a static server on 127.0.0.1 and shows the engine's output.
// Asserts on what the page shows, and keeps a screenshot in artifacts/playground.png.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { startServer } from '../serve.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..', '..', '..')
const require = createRequire(path.join(root, 'bindings-wasm', 'package.json'))
const { chromium } = require('playwright-core')
const pk = require(path.join(root, 'bindings-wasm'))

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

let server, context, page
const consoleErrors = []
const foreignRequests = []

test.before(async () => {
  server = await startServer()
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pk-chromium-'))
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 1100 }, timeout: 60_000
  })
  page = context.pages()[0] || await context.newPage()
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()) })
  page.on('pageerror', (e) => consoleErrors.push(String(e)))
  page.on('request', (r) => { if (!r.url().startsWith(server.url.replace(/\/examples\/playground\/$/, '/'))) foreignRequests.push(r.url()) })
  await page.goto(server.url, { waitUntil: 'load', timeout: 30_000 })
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 })
})

test.after(async () => {
  if (context) await context.close()
  if (server) await server.close()
})

async function shot (name, selector) {
  fs.mkdirSync(path.join(root, 'artifacts'), { recursive: true })
  await page.locator(selector).screenshot({ path: path.join(root, 'artifacts', name) })
}

const field = (name) => page.locator(`#reading tr[data-field="${name}"] .v`).textContent()

test('the page loads the engine and names its version', async () => {
  assert.equal(await page.locator('#engine-version').textContent(), `Engine ${pk.version()}.`)
})

test('pasted headers give the parsed reading', async () => {
  await page.fill('#headers', 'HTTP/1.1 429 Too Many Requests\nRetry-After: 30\nX-RateLimit-Limit: 300\nX-RateLimit-Remaining: 0')
  assert.equal(await page.inputValue('#status'), '429')
  assert.equal(await field('waitMs'), '30000')
  assert.equal(await field('waitSource'), 'retry_after')
  assert.equal(await field('throttled'), 'true')
  assert.equal(await field('limit'), '300')
  assert.equal(await field('remaining'), '0')
  // The page shows exactly what the package's parseHeaders returns.
  const want = pk.parseHeaders({ status: 429, headers: [['Retry-After', '30'], ['X-RateLimit-Limit', '300'], ['X-RateLimit-Remaining', '0']] }, { now: 1_700_000_000_000 })
  assert.equal(await field('source'), String(want.source))
  // A Genesys 429 body with no headers.
  await page.fill('#headers', '')
  await page.fill('#body', 'Rate limit exceeded the maximum. Retry the request in [17] seconds')
  assert.equal(await field('waitMs'), '17000')
  assert.equal(await field('waitSource'), 'body')
  await page.fill('#body', '')
  // Bad input is shown as the engine's coded error, not a crash.
  await page.fill('#status', '42')
  await page.fill('#headers', 'Retry-After: 5')
  assert.match(await page.locator('#reading-error').textContent(), /RangeError \[invalid_status\]/)
  await page.fill('#status', '429')
  await page.fill('#headers', 'Retry-After: 30\ninin-ratelimit-allowed: 300\ninin-ratelimit-count: 300\ninin-ratelimit-reset: 30')
  assert.equal(await field('waitMs'), '30000')
})

async function backoffPoints () {
  return page.$$eval('#backoff-plot circle.pt', (els) => els.map((e) => ({
    n: Number(e.dataset.n), delay: Number(e.dataset.delay), lo: Number(e.dataset.lo), hi: Number(e.dataset.hi)
  })))
}

test('the backoff plot is the engine\'s schedule, every point within its jitter band', async () => {
  const pts = await backoffPoints()
  assert.equal(pts.length, 9) // maxAttempts 10 → 9 retries
  const want = new pk.Backoff({ baseMs: 500, multiplier: 2, capMs: 60000, jitter: 'full', maxAttempts: 10 }).schedule(42, 9)
  assert.deepEqual(pts.map((p) => p.delay), want)
  for (const p of pts) assert.ok(p.lo <= p.delay && p.delay <= p.hi, JSON.stringify(p))
  // Changing the policy re-renders from the engine.
  for (const jitter of ['equal', 'decorrelated', 'none']) {
    await page.selectOption('#jitter', jitter)
    const q = await backoffPoints()
    assert.equal(q.length, 9)
    for (const p of q) assert.ok(p.lo <= p.delay && p.delay <= p.hi, `${jitter}: ${JSON.stringify(p)}`)
    if (jitter === 'none') assert.deepEqual(q.map((p) => p.delay), [500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000])
  }
  await page.fill('#seed', '18446744073709551615')
  await page.selectOption('#jitter', 'full')
  const u = await backoffPoints()
  assert.deepEqual(u.map((p) => p.delay), new pk.Backoff({ jitter: 'full', maxAttempts: 10 }).schedule(18446744073709551615n, 9))
  await page.fill('#multiplier', '0.5')
  assert.match(await page.locator('#policy-error').textContent(), /RangeError \[invalid_policy\]/)
  await page.fill('#multiplier', '2')
  await page.fill('#seed', '42')
  assert.equal((await backoffPoints()).length, 9)
})

test('messaging burst: 15 at once, then one per second', async () => {
  await page.selectOption('#scenario', 'burst')
  const s = page.locator('#scenario-plot svg')
  assert.equal(await s.getAttribute('data-first-second'), '15')
  assert.equal(await s.getAttribute('data-admitted'), '40')
  const ticks = await page.$$eval('#scenario-plot line.tick-admit', (els) => els.map((e) => Number(e.dataset.admit)))
  assert.deepEqual(ticks.slice(0, 15), new Array(15).fill(0))
  assert.deepEqual(ticks.slice(15, 18), [1000, 2000, 3000])
  assert.match(await page.locator('#scenario-summary').textContent(), /Admitted in the first second: 15; all 40 admitted by 25 s/)
  // Changing the limit re-plans from the engine: a burst of 5, then 2 per second.
  await page.fill('#burst', '5')
  await page.fill('#perSecond', '2')
  assert.equal(await s.getAttribute('data-first-second'), '6') // 5 at once, one more at 500 ms
  const t2 = await page.$$eval('#scenario-plot line.tick-admit', (els) => els.map((e) => Number(e.dataset.admit)))
  assert.deepEqual(t2.slice(4, 8), [0, 500, 1000, 1500])
  await page.fill('#burst', '15')
  await page.fill('#perSecond', '1')
  assert.equal(await s.getAttribute('data-first-second'), '15')
})

test('bulk plan: 10,000 contacts in 20 batches under 300/min', async () => {
  await page.selectOption('#scenario', 'bulk')
  const s = page.locator('#scenario-plot svg')
  assert.equal(await s.getAttribute('data-batches'), '20')
  const sendAt = await page.$$eval('#scenario-plot rect.batch', (els) => els.map((e) => Number(e.dataset.sendAt)))
  const want = pk.plan({ records: 10_000, maxBatchRecords: 500, limits: [{ amount: 300, periodMs: 60_000, burst: 15 }] }, 1_700_000_000_000)
  assert.deepEqual(sendAt, want.batches.map((b) => b.sendAt - want.start))
  assert.match(await page.locator('#scenario-summary').textContent(), /^20 batches covering 10000 contacts/)
  await shot('playground-bulk.png', '#scenario-panel')
  await page.fill('#batchSize', '1000')
  assert.equal(await s.getAttribute('data-batches'), '10')
  await page.fill('#batchSize', '500')
  assert.equal(await s.getAttribute('data-batches'), '20')
})

test('tenants retrying at once: spread out, never before the server\'s hint', async () => {
  await page.selectOption('#scenario', 'tenants')
  const s = page.locator('#scenario-plot svg')
  assert.equal(await s.getAttribute('data-distinct'), '5')
  assert.ok(Number(await s.getAttribute('data-first-retry-min')) >= 10_000)
  const attempts = await page.$$eval('#scenario-plot circle', (els) => els.map((e) => ({ tenant: Number(e.dataset.tenant), t: Number(e.dataset.t), ok: e.classList.contains('attempt200') })))
  for (let i = 0; i < 5; i++) {
    const mine = attempts.filter((a) => a.tenant === i)
    assert.equal(mine.length, 4, `tenant ${i}`)
    assert.deepEqual(mine.map((a) => a.ok), [false, false, false, true])
    for (let k = 1; k < 4; k++) assert.ok(mine[k].t - mine[k - 1].t >= 10_000, `tenant ${i} retried early`)
  }
  await shot('playground-tenants.png', '#scenario-panel')
})

test('screenshot, no console errors, no traffic beyond the local server', async () => {
  await page.selectOption('#scenario', 'burst')
  fs.mkdirSync(path.join(root, 'artifacts'), { recursive: true })
  const file = path.join(root, 'artifacts', 'playground.png')
  await page.screenshot({ path: file, fullPage: true })
  assert.ok(fs.statSync(file).size > 10_000)
  assert.deepEqual(consoleErrors, [])
  assert.deepEqual(foreignRequests, [])
})
