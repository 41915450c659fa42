'use strict'
// Errors with a stable `.code` (API.md): TypeError for invalid_argument, RangeError otherwise.
// Engine-agnostic: shared by the napi package and the WASM package.

const CODES = [
  'invalid_limit', 'too_many_limits', 'invalid_cost', 'invalid_policy', 'invalid_batch',
  'invalid_key', 'invalid_status', 'invalid_option', 'invalid_state', 'invalid_argument',
  'invalid_number'
]
const KNOWN = new Set(CODES)

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
 * Turns an error thrown by the engine ("<code>: <message>", or a conversion error of the
 * binding layer) into a coded TypeError/RangeError. Anything else is returned unchanged.
 */
function fromEngine (e) {
  if (e && typeof e.code === 'string' && KNOWN.has(e.code) && (e instanceof TypeError || e instanceof RangeError)) return e
  const message = e && typeof e.message === 'string' ? e.message : String(e)
  const m = /^([a-z_]+): ([\s\S]*)$/.exec(message)
  if (m && KNOWN.has(m[1])) return codedError(m[1], message)
  // napi-rs / wasm-bindgen argument conversion failures: a wrong type at the boundary.
  if (/convert|expected|invalid ?arg|failed to (get|recover)|number|string|unreachable|recursive use/i.test(message)) {
    return codedError('invalid_argument', message)
  }
  return e
}

/**
 * The error `withRetry` throws when it gives up: carries the attempts made, the give-up reason,
 * the last response read (`{status, headers, body}` or null after a network error), the last
 * thrown error (`cause`) and the last returned value.
 */
class RetryError extends Error {
  constructor (message, details) {
    super(message, details && details.cause !== undefined ? { cause: details.cause } : undefined)
    this.name = 'RetryError'
    this.code = 'retry_gave_up'
    this.attempts = details.attempts
    this.reason = details.reason
    this.decision = details.decision
    this.lastResponse = details.lastResponse
    this.lastReading = details.lastReading
    this.lastResult = details.lastResult
    // The status of the last response, for code that reads `err.status` (SDK style).
    this.status = details.lastResponse ? details.lastResponse.status : undefined
  }
}

/** A call that did not settle in time (an adapter's or `fetch` wrapper's timeout). */
class TimeoutError extends Error {
  constructor (message, ms) {
    super(message)
    this.name = 'TimeoutError'
    this.code = 'ETIMEDOUT'
    this.timeoutMs = ms
  }
}

module.exports = { CODES, codedError, typeError, numberError, fromEngine, RetryError, TimeoutError }
