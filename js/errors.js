'use strict'
// Errors with a stable `.code` (API.md): TypeError for invalid_argument, RangeError otherwise.
// Engine-agnostic: shared by the napi package and the WASM package.

// The codes come from the engine (`vocabulary('errorCodes')`, the core's `ErrorCode::ALL`).
let KNOWN = new Set()
function setCodes (codes) { KNOWN = new Set(codes) }

/** A TypeError (invalid_argument) or RangeError (every other code) carrying `.code`. */
function codedError (code, message) {
  const E = code === 'invalid_argument' ? TypeError : RangeError
  const err = new E(message)
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true })
  return err
}

function typeError (message) { return codedError('invalid_argument', message) }
function numberError (message) { return codedError('invalid_number', message) }

/**
 * An error thrown by the engine carries its core code in `.code` (napi sets it; the WASM module
 * sets it): it becomes a TypeError (invalid_argument) or RangeError (every other code) with
 * that code. Anything else (a trap, a panic, "recursive use", a bug) is returned unchanged.
 */
function fromEngine (e) {
  if (e === null || typeof e !== 'object' || typeof e.code !== 'string' || !KNOWN.has(e.code)) return e
  if (e instanceof (e.code === 'invalid_argument' ? TypeError : RangeError)) return e
  return codedError(e.code, e.message)
}

/** `f()`, with an engine's coded error converted by `fromEngine`. */
function engineCall (f) {
  try { return f() } catch (e) { throw fromEngine(e) }
}

/**
 * The error `withRetry` throws when it gives up: carries the attempts made, the give-up reason,
 * the last response read (`{status, headers, body}` or null after a network error), the last
 * thrown error (`cause`) and the last returned value.
 */
class RetryError extends Error {
  constructor (message, details) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined)
    const { attempts, reason, decision, lastResponse, lastReading, lastResult } = details
    Object.assign(this, { name: 'RetryError', code: 'retry_gave_up', attempts, reason, decision, lastResponse, lastReading, lastResult })
    // The status of the last response, for code that reads `err.status` (SDK style).
    this.status = lastResponse ? lastResponse.status : undefined
  }
}

/** A call that did not settle in time (an adapter's or `fetch` wrapper's timeout). */
class TimeoutError extends Error {
  constructor (message, ms) {
    super(message)
    Object.assign(this, { name: 'TimeoutError', code: 'ETIMEDOUT', timeoutMs: ms })
  }
}

module.exports = { setCodes, codedError, typeError, numberError, fromEngine, engineCall, RetryError, TimeoutError }
