'use strict'
// Real-timer sleeping that never returns early: Node's (and browsers') `setTimeout` takes a
// signed 32-bit delay and fires after ~1 ms for anything above 2^31 − 1 ms (24.8 days), so long
// waits are slept in chunks. Engine-agnostic: shared by the napi and WASM packages.

const MAX_TIMER_MS = 2147483647

function abortReason (signal) {
  if (signal.reason !== undefined) return signal.reason
  const e = new Error('This operation was aborted')
  e.name = 'AbortError'
  e.code = 'ABORT_ERR'
  return e
}

/**
 * Calls `fn` after `ms` (any non-negative number; NaN counts as 0), chaining timers of at most
 * 2^31 − 1 ms. Returns a function that cancels it.
 */
function setLongTimeout (fn, ms) {
  let left = typeof ms === 'number' && ms > 0 ? ms : 0
  let timer = null
  let cancelled = false
  const step = () => {
    if (cancelled) return
    if (left > MAX_TIMER_MS) {
      left -= MAX_TIMER_MS
      timer = setTimeout(step, MAX_TIMER_MS)
    } else {
      const d = left
      left = 0
      timer = setTimeout(() => { if (!cancelled) fn() }, d)
    }
  }
  step()
  return () => { cancelled = true; if (timer !== null) clearTimeout(timer) }
}

/** Sleeps `ms` on real timers (chunked); rejects with the signal's reason when it aborts. */
function realSleep (ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) { reject(abortReason(signal)); return }
    let onAbort = null
    const cancel = setLongTimeout(() => {
      if (signal) signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    if (signal) {
      onAbort = () => { cancel(); reject(abortReason(signal)) }
      signal.addEventListener('abort', onAbort, { once: true })
    }
  })
}

module.exports = { MAX_TIMER_MS, setLongTimeout, realSleep, abortReason }
