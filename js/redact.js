'use strict'
// Redacted copies of whatever pacekeeper attaches to its errors and events (lastResponse,
// lastResult, cause, onRetry payloads, the Genesys adapter's give-ups): credentials in headers,
// URLs, header blocks and bodies become "[REDACTED]", so that `console.error(err)`,
// `util.inspect`, `JSON.stringify`, `String(err)` and `err.stack` never print a token.
// The originals are never modified. Engine-agnostic: shared by the napi and WASM packages.

const REDACTED = '[REDACTED]'

// Header names whose values are credentials.
const SECRET_HEADER = /^(?:authorization|proxy-authorization|cookie|set-cookie|set-cookie2|x-api-key|api-key|apikey|x-apikey|x-auth-token|x-access-token|x-csrf-token|x-xsrf-token|x-amz-security-token|x-goog-api-key|ocp-apim-subscription-key|private-token|x-shopify-access-token|x-[a-z0-9-]*(?:token|secret|api-?key|password|signature|session|credential)s?|[a-z0-9-]*-(?:token|secret|api-?key|password|auth))$/i

// Query parameter / object property names whose values are credentials.
const SECRET_PARAMS = ['access_token', 'refresh_token', 'id_token', 'token', 'api_key', 'apikey', 'api-key', 'key',
  'client_secret', 'secret', 'password', 'passwd', 'pwd', 'sig', 'signature', 'auth', 'authorization', 'code',
  'session', 'sessionid', 'session_id', 'x-amz-signature', 'x-amz-credential', 'x-amz-security-token', 'x-goog-signature',
  'accesstoken', 'refreshtoken', 'clientsecret', 'private_token', 'assertion', 'client_assertion']
const SECRET_PARAM = new RegExp('^(?:' + SECRET_PARAMS.map(esc).join('|') + ')$', 'i')
// Property names (objects: configs, bodies, auth data) that hold credentials.
const SECRET_PROP = /^(?:access_?token|refresh_?token|id_?token|token|api_?key|apikey|client_?secret|secret|password|passwd|pwd|authorization|proxy-authorization|cookie|set-cookie|auth|private_?key|passphrase|pfx|bearer|x-api-key|credentials?)$/i

function esc (s) { return s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&') }

const PARAM_RE = new RegExp('([?&;#](?:' + SECRET_PARAMS.map(esc).join('|') + ')=)[^&;#\\s"\'<>]*', 'gi')
const HEADER_LINE_RE = /\b((?:proxy-)?authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token|x-access-token|x-amz-security-token|private-token)(\s*[:=]\s*)[^\r\n"]*/gi
const SCHEME_RE = /\b(Bearer|Basic|Digest|Token|Negotiate|NTLM|OAuth)\s+[A-Za-z0-9._~+/=:-]{4,}/g
const USERINFO_RE = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:"'<>]+(?::[^\s/@"'<>]*)?@/gi
const JSON_PROP_RE = /("(?:access_?token|refresh_?token|id_?token|token|api_?key|apikey|client_?secret|secret|password|authorization)"\s*:\s*")(?:[^"\\]|\\.)*"/gi

/** A string with credentials masked: header lines, auth schemes, URL credentials and userinfo, JSON fields. */
function redactString (s) {
  if (typeof s !== 'string' || s.length === 0) return s
  return s
    .replace(HEADER_LINE_RE, (m, name, sep) => name + sep + REDACTED)
    .replace(SCHEME_RE, (m, scheme) => scheme + ' ' + REDACTED)
    .replace(PARAM_RE, (m, pre) => pre + REDACTED)
    .replace(USERINFO_RE, (m, scheme) => scheme + REDACTED + '@')
    .replace(JSON_PROP_RE, (m, pre) => pre + REDACTED + '"')
}

/** A URL (string or URL) with credential query parameters and userinfo masked (a string). */
function redactUrl (u) {
  if (u === undefined || u === null) return u
  const s = typeof u === 'string' ? u : String(u)
  try {
    const url = new URL(s)
    let changed = false
    if (url.username || url.password) { url.username = REDACTED; url.password = ''; changed = true }
    for (const name of [...new Set(url.searchParams.keys())]) {
      if (SECRET_PARAM.test(name)) { url.searchParams.set(name, REDACTED); changed = true }
    }
    if (url.hash && PARAM_RE.test(url.hash)) { url.hash = url.hash.replace(PARAM_RE, (m, pre) => pre + REDACTED); changed = true }
    PARAM_RE.lastIndex = 0
    return changed ? redactString(url.toString()) : redactString(s)
  } catch {
    return redactString(s)
  }
}

function isSecretHeader (name) { return SECRET_HEADER.test(String(name)) }

/**
 * A plain-object copy of any headers shape (fetch Headers, axios AxiosHeaders, plain objects,
 * arrays of pairs, Node's raw arrays) with credential headers masked.
 */
function redactHeaders (h) {
  if (h === undefined || h === null || typeof h !== 'object') return h
  const out = {}
  const put = (k, v) => {
    const name = String(k)
    if (isSecretHeader(name)) out[name] = REDACTED
    else if (Array.isArray(v)) out[name] = v.map((x) => redactString(String(x)))
    else out[name] = typeof v === 'string' ? redactString(v) : (v === undefined || v === null || typeof v === 'number' || typeof v === 'boolean' ? v : redactString(String(v)))
  }
  try {
    if (typeof h.forEach === 'function' && typeof h.get === 'function' && typeof h.has === 'function' && !(h instanceof Map)) {
      h.forEach((v, k) => put(k, v)) // fetch Headers
      return out
    }
    if (Array.isArray(h)) {
      if (h.length > 0 && Array.isArray(h[0])) for (const [k, v] of h) put(k, v)
      else for (let i = 0; i + 1 < h.length; i += 2) put(h[i], h[i + 1])
      return out
    }
    if (h instanceof Map) { for (const [k, v] of h) put(k, v); return out }
    for (const k of Object.keys(h)) {
      const v = h[k]
      if (typeof v === 'function') continue
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) { out[k] = redactHeaders(v); continue } // axios per-method headers
      put(k, v)
    }
  } catch { /* a hostile headers object: what was read so far */ }
  return out
}

const MAX_DEPTH = 8
const MAX_STRING = 64 * 1024

function ctorName (x) {
  try { const p = Object.getPrototypeOf(x); return p && p.constructor && typeof p.constructor.name === 'string' ? p.constructor.name : '' } catch { return '' }
}

function isPlainish (x) {
  const p = Object.getPrototypeOf(x)
  return p === null || p === Object.prototype || p === Array.prototype
}

function looksLikeHeaders (x) {
  const n = ctorName(x)
  return n === 'Headers' || n === 'AxiosHeaders' || n === 'HeadersList'
}

/**
 * A redacted deep copy of an error, response or value pacekeeper attaches: errors keep their
 * prototype (so `instanceof` and `toJSON` still work), name, message, code and stack (masked);
 * plain data is copied with credential fields masked; sockets, agents, Node requests and
 * responses become short summaries; cycles become "[Circular]". Depth-limited.
 */
function redactDeep (value) {
  const seen = new Map()
  return copy(value, 0, '')

  function copy (v, depth, prop) {
    if (v === null || v === undefined) return v
    const t = typeof v
    if (t === 'string') {
      if (prop && SECRET_PROP.test(prop)) return REDACTED
      if (prop && /^(?:url|href|path|baseURL|basePath|location|referer|referrer|uri)$/i.test(prop)) return redactUrl(v)
      return redactString(v.length > MAX_STRING ? v.slice(0, MAX_STRING) + '…' : v)
    }
    if (t === 'number' || t === 'boolean' || t === 'bigint' || t === 'symbol') return v
    if (t === 'function') return v
    if (prop && SECRET_PROP.test(prop)) return REDACTED
    if (seen.has(v)) return seen.get(v) === undefined ? '[Circular]' : seen.get(v)
    if (depth >= MAX_DEPTH) return '[' + (ctorName(v) || 'Object') + ']'
    try {
      if (typeof Buffer !== 'undefined' && Buffer.isBuffer(v)) return redactString(v.subarray(0, 4096).toString('utf8'))
      if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return `[${ctorName(v)} ${v.byteLength} bytes]`
      if (v instanceof URL) return redactUrl(v.href)
      if (v instanceof Date || v instanceof RegExp) return v
      if (looksLikeHeaders(v)) return redactHeaders(v)
      if (v instanceof Error) return copyError(v, depth)
      if (isFetchResponse(v)) return responseSummary(v)
      const n = ctorName(v)
      if (n === 'ClientRequest' || n === 'Request' && typeof v.setHeader === 'function') {
        return { method: v.method, host: v.host, path: redactUrl(v.path), headers: safe(() => redactHeaders(v.getHeaders())) }
      }
      if (n === 'IncomingMessage' || n === 'ServerResponse') {
        return { statusCode: v.statusCode, statusMessage: v.statusMessage, url: v.url ? redactUrl(v.url) : undefined, headers: redactHeaders(v.headers) }
      }
      if (typeof v.then === 'function') return '[Promise]'
      if (!isPlainish(v) && (typeof v.pipe === 'function' || typeof v.on === 'function' || /Socket|Agent|Stream|Emitter|Request|Response/.test(n))) {
        // superagent's Request / Response and friends: only their data fields
        if (n === 'Request' || n === 'Response') return copyObject(v, depth, n, ['method', 'url', 'status', 'statusCode', 'header', 'headers', '_header', 'text', 'body', 'req', 'request', 'res', 'response', 'error'])
        return `[${n || 'Object'}]`
      }
      if (v instanceof Map) { const out = {}; seen.set(v, out); for (const [k, x] of v) out[String(k)] = copy(x, depth + 1, String(k)); return out }
      if (v instanceof Set) return [...v].slice(0, 100).map((x) => copy(x, depth + 1, ''))
      if (Array.isArray(v)) {
        const out = []
        seen.set(v, out)
        const n2 = Math.min(v.length, 1000)
        for (let i = 0; i < n2; i++) out.push(copy(v[i], depth + 1, ''))
        return out
      }
      return copyObject(v, depth, null, null)
    } catch {
      return '[unreadable]'
    }
  }

  function safe (f) { try { return f() } catch { return undefined } }

  function copyObject (v, depth, name, only) {
    const out = name && !isPlainish(v) ? {} : Object.create(isPlainish(v) ? Object.getPrototypeOf(v) : Object.prototype)
    seen.set(v, out)
    const keys = only ? only.filter((k) => safe(() => v[k]) !== undefined) : Object.keys(v)
    for (const k of keys.slice(0, 500)) {
      let x
      try { x = v[k] } catch { continue }
      if (isHeaderMap(k)) out[k] = x && typeof x === 'object' ? redactHeaders(x) : copy(x, depth + 1, k)
      else out[k] = copy(x, depth + 1, k)
    }
    return out
  }

  function copyError (e, depth) {
    let out
    try { out = Object.create(Object.getPrototypeOf(e)) } catch { out = new Error() }
    seen.set(e, out)
    const def = (k, val, enumerable) => { try { Object.defineProperty(out, k, { value: val, enumerable, writable: true, configurable: true }) } catch { /* ignore */ } }
    const read = (k) => { try { return e[k] } catch { return undefined } }
    def('message', redactString(String(read('message') ?? '')), false)
    if (typeof read('stack') === 'string') def('stack', redactString(read('stack')), false)
    const own = safe(() => Object.getOwnPropertyNames(e)) || []
    if (!own.includes('name') && typeof read('name') === 'string' && read('name') !== out.name) def('name', read('name'), false)
    for (const k of own) {
      if (k === 'message' || k === 'stack') continue
      const d = safe(() => Object.getOwnPropertyDescriptor(e, k))
      if (!d) continue
      const x = 'value' in d ? d.value : read(k)
      def(k, isHeaderMap(k) && x && typeof x === 'object' ? redactHeaders(x) : copy(x, depth + 1, k), d.enumerable)
    }
    return out
  }
}

function isHeaderMap (k) { return k === 'headers' || k === 'header' || k === '_headers' }

function isFetchResponse (x) {
  return typeof x.status === 'number' && x.headers && typeof x.headers.get === 'function' && typeof x.clone === 'function' && typeof x.arrayBuffer === 'function'
}

function responseSummary (r) {
  return { status: r.status, statusText: r.statusText, url: redactUrl(r.url), headers: redactHeaders(r.headers) }
}

/**
 * A copy of the fetch Response a give-up attaches as `lastResult`: same status and body
 * (moved over, still readable), redacted headers and `url`. The caller never received the
 * original, whose internals (URL list, header list) are left behind.
 */
function redactFetchResponse (r) {
  const h = redactHeaders(r.headers)
  const url = redactUrl(r.url)
  let copy = null
  try {
    if (typeof Response === 'function' && typeof Headers === 'function') {
      copy = new Response(r.bodyUsed ? null : r.body, { status: r.status, statusText: r.statusText, headers: new Headers(h) })
    }
  } catch { copy = null }
  if (copy === null) return responseSummary(r)
  try {
    Object.defineProperty(copy, 'url', { value: url, enumerable: false, configurable: true })
    if (r.redirected) Object.defineProperty(copy, 'redirected', { value: true, enumerable: false, configurable: true })
  } catch { /* ignore */ }
  return copy
}

/** `{status, headers, body}` (the shape readResponse returns), redacted. */
function redactResponse (r) {
  if (!r || typeof r !== 'object') return r
  return { status: r.status, headers: redactHeaders(r.headers), body: typeof r.body === 'string' ? redactString(r.body) : (r.body === undefined || r.body === null ? r.body : redactDeep(r.body)) }
}

/** A redacted copy of any value (a fetch Response is redacted in place: see redactFetchResponse). */
function redactValue (v) {
  if (v === null || v === undefined || typeof v !== 'object') return typeof v === 'string' ? redactString(v) : v
  if (isFetchResponse(v)) return redactFetchResponse(v)
  return redactDeep(v)
}

module.exports = { REDACTED, redactString, redactUrl, redactHeaders, redactDeep, redactResponse, redactValue, redactFetchResponse, isSecretHeader }
