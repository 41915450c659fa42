'use strict'
// What a call returned or threw, read as {status, headers, body}: fetch Responses, axios and
// superagent responses and errors, every Genesys SDK rejection shape, Node's IncomingMessage;
// and which thrown values mean "no response" (network errors). Engine-agnostic.

const { TimeoutError } = require('./errors')
const { readBodyPrefix, BODY_HINT_BYTES, DEFAULT_BODY_MS } = require('./body')

const MAX_BODY_TEXT = 16 * 1024

// --- reading whatever a call returned or threw -----------------------------------------------

function bodyText (b) {
  if (b === undefined || b === null) return null
  let s
  if (typeof b === 'string') s = b
  else if (typeof Buffer !== 'undefined' && Buffer.isBuffer(b)) s = b.subarray(0, MAX_BODY_TEXT).toString('utf8')
  else if (typeof b === 'object') { try { s = JSON.stringify(b) } catch { return null } } else s = String(b)
  if (typeof s !== 'string') return null
  return s.length > MAX_BODY_TEXT ? s.slice(0, MAX_BODY_TEXT) : s
}

// The HTTP statuses the core reads (`defaults('statuses')`), set by the engine (setStatuses).
let MIN_STATUS = NaN
let MAX_STATUS = NaN
function setStatuses ([min, max]) { MIN_STATUS = min; MAX_STATUS = max }
function validStatus (s) { return typeof s === 'number' && Number.isInteger(s) && s >= MIN_STATUS && s <= MAX_STATUS }

// A body is read only for the statuses whose wait it may carry (Genesys' "Retry the request
// in [N] seconds"), and only when no Retry-After says it already.
function wantsBodyHint (status, headers) {
  if (status !== 429 && status !== 503) return false
  try { return !headers.get('retry-after') } catch { return false }
}

/**
 * `{status, headers, body}` from a fetch `Response`, an axios response or error, a superagent
 * response or error, a Genesys SDK rejection of every shape (extended `{status, headers, body}`,
 * body-only `{message, code, status}`, SDK 12's `{status, headers, body, text, error}`), Node's
 * `IncomingMessage`, or null when it carries no HTTP status (a network error). Of a fetch
 * Response, at most 4 KB of a 429/503 body without Retry-After is read, from a clone, within
 * `options.timeoutMs` (default 5 s); any other body is left untouched.
 */
async function readResponse (x, options) {
  if (x === null || x === undefined || typeof x !== 'object') return null
  // fetch Response
  if (typeof x.status === 'number' && x.headers && typeof x.headers.get === 'function' && typeof x.clone === 'function') {
    let body = null
    if (wantsBodyHint(x.status, x.headers) && !x.bodyUsed) {
      const ms = options && typeof options.timeoutMs === 'number' ? options.timeoutMs : DEFAULT_BODY_MS
      body = await readBodyPrefix(x, BODY_HINT_BYTES, ms)
    }
    return { status: x.status, headers: x.headers, body }
  }
  // axios / superagent errors carry the response
  if (x.response && typeof x.response === 'object' && validStatus(x.response.status)) {
    const r = x.response
    return { status: r.status, headers: r.headers || r.header || {}, body: bodyText(r.data !== undefined ? r.data : (r.text !== undefined ? r.text : r.body)) }
  }
  const status = validStatus(x.status) ? x.status : (validStatus(x.statusCode) ? x.statusCode : null)
  if (status === null) return null
  const headers = x.headers || x.header || {}
  let body = null
  if (x.body !== undefined && x.body !== null) body = bodyText(x.body)
  else if (typeof x.text === 'string') body = bodyText(x.text)
  else if (x.data !== undefined) body = bodyText(x.data)
  else if (typeof x.message === 'string' && !(x instanceof Error)) body = bodyText(JSON.stringify({ message: x.message, code: x.code, status })) // body-only rejection
  return { status, headers, body }
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED',
  'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED', 'ERR_NETWORK', 'ERR_SOCKET_CONNECTION_TIMEOUT'])

/** A thrown value that means "no response": connection reset/refused, timeouts, fetch failures. */
function isNetworkError (e) {
  if (!e || typeof e !== 'object') return false
  if (e instanceof TimeoutError) return true
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true
  if (e.cause && e.cause !== e && isNetworkError(e.cause)) return true
  if (e.error && e.error !== e && typeof e.error === 'object' && isNetworkError(e.error)) return true
  if (e.name === 'TypeError' && /fetch failed|network/i.test(String(e.message))) return true
  if (e.name === 'TimeoutError') return true
  return false
}

module.exports = { readResponse, isNetworkError, bodyText, validStatus, setStatuses }
