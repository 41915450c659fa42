// The pacekeeper playground: a static page over the WebAssembly package (pkg-web). Every plotted
// number is the engine's own output: schedules, verdicts, plans and decisions; this file only
// drives the engine and draws. No network access beyond loading the page's own files.
import init, * as pk from '../../bindings-wasm/pkg-web/index.js'

const $ = (id) => document.getElementById(id)
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])
const fmtMs = (ms) => (ms >= 60_000 ? `${(ms / 60_000).toFixed(ms % 60_000 ? 1 : 0)} min` : ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s` : `${ms} ms`)

function showError (id, e) {
  const box = $(id)
  if (!e) { box.hidden = true; box.textContent = ''; return }
  box.hidden = false
  box.textContent = e.code ? `${e.constructor.name} [${e.code}]: ${e.message}` : String(e)
}

// --- tiny SVG charts -----------------------------------------------------------------------

function niceMax (v) {
  if (v <= 0) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

/** A chart frame: x in [0, xMax], y in [0, yMax]; returns scales and the axes' SVG. */
function frame ({ w = 760, h = 260, xMax, yMax, xLabel, yLabel, xFmt = String, yFmt = String, ml = 62, mr = 52, mt = 12, mb = 36 }) {
  const X = (x) => ml + (x / xMax) * (w - ml - mr)
  const Y = (y) => h - mb - (y / yMax) * (h - mt - mb)
  let s = ''
  for (let i = 0; i <= 5; i++) {
    const yv = (yMax * i) / 5
    s += `<line class="grid-line" x1="${ml}" x2="${w - mr}" y1="${Y(yv)}" y2="${Y(yv)}"/>`
    s += `<text x="${ml - 6}" y="${Y(yv) + 4}" text-anchor="end">${esc(yFmt(yv))}</text>`
  }
  for (let i = 0; i <= 5; i++) {
    const xv = (xMax * i) / 5
    s += `<text x="${X(xv)}" y="${h - mb + 15}" text-anchor="middle">${esc(xFmt(xv))}</text>`
  }
  s += `<line class="axis" x1="${ml}" x2="${w - mr}" y1="${h - mb}" y2="${h - mb}"/><line class="axis" x1="${ml}" x2="${ml}" y1="${mt}" y2="${h - mb}"/>`
  s += `<text x="${(ml + w - mr) / 2}" y="${h - 4}" text-anchor="middle">${esc(xLabel)}</text>`
  s += `<text x="12" y="${(mt + h - mb) / 2}" transform="rotate(-90 12 ${(mt + h - mb) / 2})" text-anchor="middle">${esc(yLabel)}</text>`
  return { X, Y, w, h, ml, mr, mt, mb, axes: s }
}

const svg = (f, body, extra = '') => `<svg viewBox="0 0 ${f.w} ${f.h}" ${extra}>${f.axes}${body}</svg>`
const path = (pts) => pts.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join('')

// --- headers → reading ---------------------------------------------------------------------

function readHeaders () {
  const lines = $('headers').value.split(/\r?\n/)
  let status = Number($('status').value)
  const headers = []
  for (const line of lines) {
    const m = /^HTTP\/[\d.]+\s+(\d{3})/.exec(line.trim())
    if (m) { status = Number(m[1]); $('status').value = m[1]; continue }
    const i = line.indexOf(':')
    if (i > 0) headers.push([line.slice(0, i).trim(), line.slice(i + 1).trim()])
  }
  return { status, headers, body: $('body').value || null }
}

function renderReading () {
  const tbody = $('reading').tBodies[0]
  try {
    const r = pk.parseHeaders(readHeaders(), { now: Number($('now').value) })
    showError('reading-error', null)
    const rows = []
    for (const [k, v] of Object.entries(r)) {
      let shown
      if (Array.isArray(v)) shown = v.length ? v.map((x) => JSON.stringify(x)).join('<br>') : '[]'
      else shown = esc(v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : v)
      const hint = (k === 'waitMs' || k === 'retryAfterMs' || k === 'resetMs' || k === 'windowMs') && typeof v === 'number' ? ` <span class="note">(${fmtMs(v)})</span>` : ''
      rows.push(`<tr data-field="${k}"><th>${k}</th><td><span class="v">${Array.isArray(v) ? shown : shown}</span>${hint}</td></tr>`)
    }
    tbody.innerHTML = rows.join('')
  } catch (e) {
    tbody.innerHTML = ''
    showError('reading-error', e)
  }
}

// --- backoff -------------------------------------------------------------------------------

function seedValue () {
  const s = $('seed').value.trim()
  if (!/^\d+$/.test(s)) throw Object.assign(new TypeError(`seed must be a decimal integer, got ${JSON.stringify(s)}`), { code: 'invalid_argument' })
  const b = BigInt(s)
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b
}

function policyValue () {
  return {
    baseMs: Number($('baseMs').value),
    multiplier: Number($('multiplier').value),
    capMs: Number($('capMs').value),
    jitter: $('jitter').value,
    maxAttempts: Number($('maxAttempts').value),
    hintSpreadPercent: Number($('hintSpreadPercent').value)
  }
}

/** The band every retry's delay must fall in, from the engine's un-jittered schedule. */
function bandOf (policy, expo, delays, i) {
  const d = expo[i]
  switch (policy.jitter) {
    case 'none': return [d, d]
    case 'full': return [0, d]
    case 'equal': return [Math.floor(d / 2), d]
    default: { // decorrelated: uniform[base, 3·previous], capped
      const prev = i === 0 ? 0 : delays[i - 1]
      const hi = Math.max(Math.max(prev, policy.baseMs) * 3, policy.baseMs)
      return [Math.min(policy.baseMs, policy.capMs), Math.min(hi, policy.capMs)]
    }
  }
}

function renderBackoff () {
  const plot = $('backoff-plot')
  try {
    const policy = policyValue()
    const seed = seedValue()
    const backoff = new pk.Backoff(policy)
    const plain = new pk.Backoff({ ...policy, jitter: 'none' })
    const n = Math.max(1, Math.min(policy.maxAttempts - 1, 30)) // retries after the first attempt
    const delays = backoff.schedule(seed, n)
    const expo = plain.schedule(seed, n)
    const bands = delays.map((_, i) => bandOf(policy, expo, delays, i))
    // 60 other seeds show the spread the jitter gives many clients.
    const cloud = []
    for (let k = 1; k <= 60; k++) {
      const s = typeof seed === 'bigint' ? BigInt.asUintN(64, seed + BigInt(k) * 7919n) : seed + k * 7919
      backoff.schedule(s, n).forEach((d, i) => cloud.push([i + 1, d]))
    }
    const yMax = niceMax(Math.max(...expo, ...delays, ...bands.map((b) => b[1])) * 1.05)
    const f = frame({ xMax: n + 1, yMax, xLabel: 'retry number', yLabel: 'delay', xFmt: (x) => Number.isInteger(x) ? x : '', yFmt: fmtMs })
    let body = ''
    const bw = (f.X(1) - f.X(0)) * 0.36
    bands.forEach(([lo, hi], i) => {
      body += `<rect class="band" x="${f.X(i + 1) - bw}" width="${2 * bw}" y="${f.Y(hi)}" height="${Math.max(1.5, f.Y(lo) - f.Y(hi))}"/>`
    })
    for (const [x, d] of cloud) body += `<circle class="cloud" cx="${f.X(x) + ((d * 7) % 9) - 4}" cy="${f.Y(d)}" r="1.6"/>`
    body += `<path class="expo" d="${path(expo.map((d, i) => [f.X(i + 1), f.Y(d)]))}"/>`
    body += `<path class="sched" d="${path(delays.map((d, i) => [f.X(i + 1), f.Y(d)]))}"/>`
    delays.forEach((d, i) => {
      body += `<circle class="pt" data-n="${i + 1}" data-delay="${d}" data-lo="${bands[i][0]}" data-hi="${bands[i][1]}" cx="${f.X(i + 1)}" cy="${f.Y(d)}" r="3.5"><title>retry ${i + 1}: ${d} ms (band ${bands[i][0]}–${bands[i][1]})</title></circle>`
    })
    plot.innerHTML = svg(f, body, `data-points="${delays.length}"`) +
      '<div class="legend"><span><i class="sw" style="background:var(--band)"></i>jitter band</span>' +
      '<span><i class="sw" style="background:var(--accent)"></i>schedule for this seed</span>' +
      '<span><i class="sw" style="background:#8aa4c8"></i>60 other seeds</span><span>- - - un-jittered</span></div>'
    const total = delays.reduce((a, b) => a + b, 0)
    $('backoff-summary').textContent = `${delays.length} retries, ${policy.jitter} jitter; waits add up to ${fmtMs(total)} for seed ${seed}.`
    showError('policy-error', null)
  } catch (e) {
    plot.innerHTML = ''
    $('backoff-summary').textContent = ''
    showError('policy-error', e)
  }
}

// --- scenarios -----------------------------------------------------------------------------

const T0 = 1_700_000_000_000
const WIDE = { w: 1200, h: 300 }

/** 40 messages as fast as the limiter allows: 15 at once, then 1 per second. */
function burstScenario () {
  const burst = Number($('burst').value)
  const perSecond = Number($('perSecond').value)
  const limits = [{ amount: perSecond, periodMs: 1000, burst }]
  const limiter = new pk.Limiter({ limits })
  const total = Math.min(Number($('messages').value), 1000)
  const step = 100
  const end = Math.max(10_000, Math.min(600_000, Math.ceil(((total - burst) / perSecond) * 1000 * 1.2 / 5000) * 5000))
  const level = []
  const admitted = []
  let sent = 0
  for (let t = 0; t <= end; t += step) {
    while (sent < total) {
      const v = limiter.check('tenant-a', 1, T0 + t)
      if (v.decision !== 'allow') break
      sent++
      admitted.push(t)
    }
    const p = limiter.peek('tenant-a', 1, T0 + t)
    level.push([t, p.decision === 'allow' ? p.remaining + 1 : 0])
  }
  const firstSecond = admitted.filter((t) => t < 1000).length
  const f = frame({ ...WIDE, xMax: end, yMax: niceMax(Math.max(total, burst)), xLabel: 'time since the first send', yLabel: 'messages / tokens', xFmt: fmtMs })
  let body = `<path class="level" d="${path(level.flatMap(([t, l], i) => (i ? [[f.X(t), f.Y(level[i - 1][1])], [f.X(t), f.Y(l)]] : [[f.X(t), f.Y(l)]])))}"/>`
  const cum = admitted.map((t, i) => [f.X(t), f.Y(i + 1)])
  body += `<path class="admitted" d="${path(cum)}"/>`
  for (const t of admitted) body += `<line class="tick-admit" data-admit="${t}" x1="${f.X(t)}" x2="${f.X(t)}" y1="${f.Y(0)}" y2="${f.Y(0) - 8}"/>`
  const last = admitted[admitted.length - 1]
  return {
    params: `Limit: ${perSecond} per second, burst ${burst}; ${total} messages queued at 0 s.`,
    summary: `Admitted in the first second: ${firstSecond}; all ${admitted.length} admitted by ${fmtMs(last)}.`,
    html: svg(f, body, `data-scenario="burst" data-admitted="${admitted.length}" data-first-second="${firstSecond}"`) +
      '<div class="legend"><span><i class="sw" style="background:var(--ok)"></i>bucket level (tokens)</span>' +
      '<span><i class="sw" style="background:var(--accent)"></i>admitted requests (cumulative), ticks at each send</span></div>'
  }
}

/** 10,000 contacts in batches of 500 under 300 requests/min with a burst of 15. */
function bulkScenario () {
  const perMinute = Number($('perMinute').value)
  const burst = Number($('burst').value)
  const request = { records: Number($('records').value), maxBatchRecords: Number($('batchSize').value), limits: [{ amount: perMinute, periodMs: 60_000, burst }] }
  const p = pk.plan(request, T0)
  const xMax = niceMax(Math.max(p.durationMs, 1000) * 1.1)
  const f = frame({ ...WIDE, xMax, yMax: p.batches.length, xLabel: 'send time', yLabel: 'batch', xFmt: fmtMs, yFmt: (y) => Math.round(y) })
  const rowH = (f.Y(0) - f.Y(1)) * 0.7
  let body = ''
  for (const b of p.batches) {
    const x = f.X(b.sendAt - p.start)
    body += `<rect class="batch" data-index="${b.index}" data-send-at="${b.sendAt - p.start}" x="${x - 3}" width="6" y="${f.Y(b.index + 1) + ((f.Y(0) - f.Y(1)) - rowH) / 2}" height="${rowH}"><title>batch ${b.index}: contacts ${b.start}–${b.end - 1}, send at +${fmtMs(b.sendAt - p.start)}</title></rect>`
  }
  const covered = p.batches.reduce((n, b) => n + (b.end - b.start), 0)
  return {
    params: `Plan: ${request.records} records, at most ${request.maxBatchRecords} per batch, ${perMinute} requests/min with a burst of ${burst}, one request per batch.`,
    summary: `${p.batches.length} batches covering ${covered} contacts; the last is sent at +${fmtMs(p.durationMs)}.`,
    html: svg(f, body, `data-scenario="bulk" data-batches="${p.batches.length}" data-duration="${p.durationMs}"`) +
      '<div class="legend"><span><i class="sw" style="background:var(--accent)"></i>a batch at its earliest send time</span></div>'
  }
}

/** Five tenants get 429 with Retry-After: 10 at the same moment, and twice more after that. */
function tenantsScenario () {
  const policy = policyValue()
  const seed = seedValue()
  const backoff = new pk.Backoff(policy)
  const tenants = 5
  const failures = 3
  const rows = []
  let maxT = 0
  for (let i = 0; i < tenants; i++) {
    const s = typeof seed === 'bigint' ? BigInt.asUintN(64, seed + BigInt(i)) : seed + i
    const state = pk.newRetryState(T0, s)
    const attempts = [{ t: 0, status: 429 }]
    let now = T0
    for (let k = 0; k < 20; k++) {
      const status = attempts.length <= failures ? 429 : 200
      attempts[attempts.length - 1].status = status
      const reading = pk.parseHeaders({ status, headers: status === 429 ? [['Retry-After', '10']] : [] }, { now })
      const d = backoff.decide(state, reading, now)
      if (d.decision !== 'retry') { attempts[attempts.length - 1].decision = d.decision; break }
      now = d.at
      attempts.push({ t: now - T0, status: 0, reason: d.reason })
      maxT = Math.max(maxT, now - T0)
    }
    rows.push(attempts)
  }
  const f = frame({ ...WIDE, xMax: niceMax(maxT * 1.08), yMax: tenants, xLabel: 'time since the first 429', yLabel: 'tenant', xFmt: fmtMs, yFmt: () => '' })
  let body = ''
  body += `<line class="hint" x1="${f.X(10_000)}" x2="${f.X(10_000)}" y1="${f.Y(tenants)}" y2="${f.Y(0)}"/>`
  const firstRetries = []
  rows.forEach((attempts, i) => {
    const y = f.Y(i + 0.5)
    body += `<text x="${f.ml - 6}" y="${y + 4}" text-anchor="end">#${i + 1}</text>`
    body += `<line class="grid-line" x1="${f.X(0)}" x2="${f.X(maxT)}" y1="${y}" y2="${y}"/>`
    attempts.forEach((a, j) => {
      if (j === 1) firstRetries.push(a.t)
      body += `<circle class="${a.status === 429 ? 'attempt429' : 'attempt200'}" data-tenant="${i}" data-t="${a.t}" cx="${f.X(a.t)}" cy="${y}" r="5"><title>tenant #${i + 1}, attempt ${j + 1} at +${fmtMs(a.t)}: ${a.status}${a.reason ? ` (${a.reason})` : ''}</title></circle>`
    })
  })
  const distinct = new Set(firstRetries).size
  const spread = Math.max(...firstRetries) - Math.min(...firstRetries)
  return {
    params: `${tenants} tenants, each told "429, Retry-After: 10" ${failures} times, with the backoff policy above (seeds ${seed}…).`,
    summary: `First retries: ${distinct} distinct times spread over ${fmtMs(spread)}, none before the server's 10 s.`,
    html: svg(f, body, `data-scenario="tenants" data-distinct="${distinct}" data-first-retry-min="${Math.min(...firstRetries)}"`) +
      '<div class="legend"><span><i class="sw" style="background:var(--warn)"></i>429</span>' +
      '<span><i class="sw" style="background:var(--ok)"></i>200</span><span>- - - 10 s after the first 429 (its Retry-After)</span></div>'
  }
}

const SCENARIOS = { burst: burstScenario, bulk: bulkScenario, tenants: tenantsScenario }

function renderScenario () {
  const plot = $('scenario-plot')
  try {
    const s = SCENARIOS[$('scenario').value]()
    $('scenario-params').textContent = s.params
    $('scenario-summary').textContent = s.summary
    plot.innerHTML = s.html
    showError('scenario-error', null)
  } catch (e) {
    plot.innerHTML = ''
    $('scenario-summary').textContent = ''
    showError('scenario-error', e)
  }
}

function renderAll () {
  renderReading()
  renderBackoff()
  renderScenario()
}

async function main () {
  await init()
  $('engine-version').textContent = `Engine ${pk.version()}.`
  for (const id of ['status', 'now', 'headers', 'body']) $(id).addEventListener('input', renderReading)
  for (const id of ['baseMs', 'multiplier', 'capMs', 'jitter', 'maxAttempts', 'seed', 'hintSpreadPercent']) {
    $(id).addEventListener('input', () => { renderBackoff(); if ($('scenario').value === 'tenants') renderScenario() })
  }
  $('scenario').addEventListener('change', renderScenario)
  for (const id of ['burst', 'perSecond', 'messages', 'perMinute', 'records', 'batchSize']) $(id).addEventListener('input', renderScenario)
  renderAll()
  document.body.dataset.ready = 'true'
}

main().catch((e) => {
  document.body.dataset.ready = 'error'
  document.body.insertAdjacentHTML('afterbegin', `<div class="error">${esc(e.stack || e)}</div>`)
})
