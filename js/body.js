'use strict'
// Bounded reading of response bodies: at most `maxBytes`, within `ms`, never the caller's own
// stream (a clone's branch is read and cancelled). Engine-agnostic.

const BODY_HINT_BYTES = 4096
const DEFAULT_BODY_MS = 5000

/**
 * Up to `maxBytes` of a fetch Response's body as text, read from a clone within `ms`
 * (real timers); null when there is none, it fails or time runs out. The original body is left
 * unread.
 */
async function readBodyPrefix (response, maxBytes = BODY_HINT_BYTES, ms = DEFAULT_BODY_MS) {
  let clone
  try { clone = response.clone() } catch { return null }
  const stream = clone.body
  if (!stream) return null
  if (typeof stream.getReader !== 'function') {
    try { return (await withDeadline(clone.text(), ms)).slice(0, maxBytes) } catch { return null }
  }
  const reader = stream.getReader()
  const chunks = []
  let n = 0
  let timer
  const deadline = new Promise((resolve) => { timer = setTimeout(() => resolve(TIMEOUT), Math.max(0, ms)) })
  try {
    while (n < maxBytes) {
      const r = await Promise.race([reader.read(), deadline])
      if (r === TIMEOUT || r.done) break
      const c = r.value
      if (!c || !c.byteLength) continue
      chunks.push(c.byteLength > maxBytes - n ? c.subarray(0, maxBytes - n) : c)
      n += Math.min(c.byteLength, maxBytes - n)
    }
  } catch {
    // an aborted or broken body: what was read so far
  } finally {
    clearTimeout(timer)
    reader.cancel().catch(() => {})
  }
  if (n === 0) return null
  const all = new Uint8Array(n)
  let off = 0
  for (const c of chunks) { all.set(c, off); off += c.byteLength }
  return new TextDecoder('utf-8', { fatal: false }).decode(all)
}

const TIMEOUT = Symbol('timeout')

function withDeadline (p, ms) {
  let timer
  return Promise.race([p, new Promise((resolve, reject) => { timer = setTimeout(() => reject(new Error('body timeout')), Math.max(0, ms)) })])
    .finally(() => clearTimeout(timer))
}

/** Drops a fetch Response's unread body (frees the connection); never throws. */
function discardBody (response) {
  try {
    if (response && response.body && typeof response.body.cancel === 'function' && !response.bodyUsed && !response.body.locked) {
      response.body.cancel().catch(() => {})
    }
  } catch { /* ignore */ }
}

module.exports = { BODY_HINT_BYTES, DEFAULT_BODY_MS, readBodyPrefix, discardBody }
