// Loopback HTTP test server that rate-limits like the Genesys Cloud Platform API.
//
// Library:  import { startServer } from './server.mjs'
//           const srv = await startServer({ profile: 'genesys', burst: 15, ratePerMin: 300 })
// CLI:      node tests/server/server.mjs --profile genesys [--port 0] [--max-seconds 600]
//           prints {"url":"http://127.0.0.1:PORT","port":PORT} on one line when listening.
//
// Node built-ins only. See README.md in this folder for the full documentation.

import http from 'node:http';
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const HOST = '127.0.0.1';

export const PROFILES = Object.freeze([
  'genesys',
  'genesys-body-only',
  'xratelimit-epoch-s',
  'xratelimit-epoch-ms',
  'http-date',
  'ietf',
  'short-retry-after',
  'strict',
]);

// Profiles whose 2xx/429 responses carry the inin-ratelimit-* headers.
const ININ_PROFILES = new Set(['genesys', 'short-retry-after', 'strict']);
// Profiles whose 429 body is the Genesys body (when body429 is 'auto').
const GENESYS_BODY_PROFILES = new Set(['genesys', 'genesys-body-only', 'short-retry-after', 'strict']);

export const DEFAULT_OPTIONS = Object.freeze({
  profile: 'genesys',
  burst: 15,
  ratePerMin: 300, // 5 requests/second sustained; `ratePerSec` overrides it
  latencyMs: 0,
  skewMs: 90_000, // http-date profile: server clock ahead of real time
  windowMs: 60_000, // sliding window for maxWindowAccepted
  recordTimes: false,
  ietfRetryAfter: false,
  shortBySec: null, // short-retry-after: null => floor(N/2), else max(0, N - shortBySec)
  strictMaxLockMs: 3_600_000,
  maxContacts: 1000,
  body429: 'auto', // 'auto' | 'genesys' | 'generic'
  maxBodyBytes: 32 * 1024 * 1024,
});

// Option keys that may be changed through reset()/POST /__reset.
const SETTABLE_KEYS = new Set([
  'profile', 'burst', 'ratePerMin', 'ratePerSec', 'latencyMs', 'skewMs', 'windowMs',
  'recordTimes', 'ietfRetryAfter', 'shortBySec', 'strictMaxLockMs', 'maxContacts', 'body429',
  'maxBodyBytes',
]);

export const BUDGET_WINDOWS_MS = Object.freeze([1000, 60_000]);
const EPS = 1e-6; // ms; all internal times are relative to `origin`, so floats stay precise

const defaultNow = () => performance.timeOrigin + performance.now();

/** Seconds, rounded up, tolerant to float noise. */
function ceilSec(ms) {
  return Math.max(0, Math.ceil((ms - EPS) / 1000));
}

function genesysError(status, code, message) {
  return { message, code, status };
}

function genesys429Body(n) {
  return {
    message: `Rate limit exceeded the maximum. Retry the request in [${n}] seconds`,
    code: 'too.many.requests.retry.after',
    status: 429,
  };
}

const GENERIC_429_BODY = Object.freeze({
  message: 'Rate limit exceeded',
  code: 'too.many.requests',
  status: 429,
});

function mergeOptions(base, over) {
  const merged = { ...base };
  if (!over) return merged;
  for (const [k, v] of Object.entries(over)) {
    if (v !== undefined) merged[k] = v;
  }
  // The most recently specified unit of the sustained rate wins.
  if (over.ratePerSec != null && over.ratePerMin == null) delete merged.ratePerMin;
  if (over.ratePerMin != null && over.ratePerSec == null) delete merged.ratePerSec;
  return merged;
}

function checkSettableKeys(obj) {
  const bad = Object.keys(obj).filter((k) => !SETTABLE_KEYS.has(k));
  if (bad.length) throw new TypeError(`unknown option(s): ${bad.join(', ')}`);
}

/** Validate options and compute the effective configuration. Throws TypeError. */
export function resolveConfig(options = {}) {
  const o = { ...DEFAULT_OPTIONS, ...options };
  let ratePerSec;
  if (options.ratePerSec != null) ratePerSec = Number(options.ratePerSec);
  else if (options.ratePerMin != null) ratePerSec = Number(options.ratePerMin) / 60;
  else ratePerSec = DEFAULT_OPTIONS.ratePerMin / 60;
  const num = (name, v, { min = -Infinity, integer = false, minExclusive = false } = {}) => {
    const n = Number(v);
    if (!Number.isFinite(n) || (minExclusive ? n <= min : n < min) || (integer && !Number.isInteger(n))) {
      throw new TypeError(`invalid option ${name}: ${JSON.stringify(v)}`);
    }
    return n;
  };
  if (!PROFILES.includes(o.profile)) {
    throw new TypeError(`unknown profile ${JSON.stringify(o.profile)}; expected one of ${PROFILES.join(', ')}`);
  }
  if (!['auto', 'genesys', 'generic'].includes(o.body429)) {
    throw new TypeError(`invalid option body429: ${JSON.stringify(o.body429)}`);
  }
  const cfg = {
    profile: o.profile,
    burst: num('burst', o.burst, { min: 1, integer: true }),
    ratePerSec: num('ratePerSec', ratePerSec, { min: 0, minExclusive: true }),
    latencyMs: num('latencyMs', o.latencyMs, { min: 0 }),
    skewMs: num('skewMs', o.skewMs),
    windowMs: num('windowMs', o.windowMs, { min: 0, minExclusive: true }),
    recordTimes: Boolean(o.recordTimes),
    ietfRetryAfter: Boolean(o.ietfRetryAfter),
    shortBySec: o.shortBySec == null ? null : num('shortBySec', o.shortBySec, { min: 0 }),
    strictMaxLockMs: num('strictMaxLockMs', o.strictMaxLockMs, { min: 1000 }),
    maxContacts: num('maxContacts', o.maxContacts, { min: 1, integer: true }),
    body429: o.body429,
    maxBodyBytes: num('maxBodyBytes', o.maxBodyBytes, { min: 1 }),
  };
  cfg.ratePerMin = cfg.ratePerSec * 60;
  cfg.emissionMs = 1000 / cfg.ratePerSec; // GCRA emission interval T
  cfg.toleranceMs = cfg.burst * cfg.emissionMs; // burst * T
  return cfg;
}

// ---------------------------------------------------------------------------
// Engine: rate limiting + bookkeeping, independent of HTTP (exported for unit use)
// ---------------------------------------------------------------------------

export function createEngine(options = {}) {
  const startupOptions = { ...options };
  let currentOptions = { ...options };
  const now = typeof options.now === 'function' ? options.now : defaultNow;
  let cfg = resolveConfig(currentOptions);
  let origin;
  let state;

  function freshState() {
    origin = now();
    state = {
      tokens: new Map(),
      requests: 0,
      accepted: 0,
      throttled: 0,
      earlyRetries: 0,
      lockoutExtensions: 0,
      byStatus: {},
      contacts: new Map(),
      messages: { accepted: 0, duplicates: 0, ids: new Set() },
      campaignsStarted: [],
      schedules: new Map(),
      schedulesCreated: 0,
      maxWindowAccepted: 0,
      budgetViolations: Object.fromEntries(BUDGET_WINDOWS_MS.map((w) => [w, 0])),
    };
  }
  freshState();

  const nowRel = () => now() - origin;

  function windows() {
    return [...new Set([cfg.windowMs, ...BUDGET_WINDOWS_MS])];
  }

  function tokenState(token) {
    let st = state.tokens.get(token);
    if (!st) {
      st = {
        tat: -Infinity, // GCRA theoretical arrival time (relative ms)
        retryAt: -Infinity, // deadline last told to this token (relative ms)
        lockMs: 0, // strict profile: current lockout length
        requests: 0,
        accepted: 0,
        throttled: 0,
        earlyRetries: 0,
        lockoutExtensions: 0,
        maxWindowAccepted: 0,
        times: [], // accepted timestamps (relative ms), trimmed unless recordTimes
        ptr: new Map(), // window length -> index of first timestamp inside the window
      };
      state.tokens.set(token, st);
    }
    return st;
  }

  function recordAccepted(st, t) {
    st.times.push(t);
    let minPtr = Infinity;
    for (const w of windows()) {
      let p = st.ptr.get(w) ?? 0;
      while (p < st.times.length && st.times[p] < t - w) p++;
      st.ptr.set(w, p);
      minPtr = Math.min(minPtr, p);
      const count = st.times.length - p;
      if (w === cfg.windowMs) {
        if (count > st.maxWindowAccepted) st.maxWindowAccepted = count;
        if (count > state.maxWindowAccepted) state.maxWindowAccepted = count;
      }
      if (w in state.budgetViolations) {
        const budget = cfg.burst + (cfg.ratePerSec * w) / 1000;
        if (count > budget + 1e-6) state.budgetViolations[w]++;
      }
    }
    if (!cfg.recordTimes && minPtr > 4096) {
      st.times.splice(0, minPtr);
      for (const [w, p] of st.ptr) st.ptr.set(w, p - minPtr);
    }
  }

  /** Headers describing the bucket after an accepted request. */
  function okHeaders(st, t) {
    const headers = {};
    const fullMs = Math.max(0, st.tat - t);
    const used = Math.min(cfg.burst, Math.max(0, Math.ceil(fullMs / cfg.emissionMs - 1e-9)));
    const remaining = cfg.burst - used;
    const resetSec = ceilSec(fullMs);
    const p = cfg.profile;
    if (ININ_PROFILES.has(p)) {
      headers['inin-ratelimit-allowed'] = String(cfg.burst);
      headers['inin-ratelimit-count'] = String(used);
      headers['inin-ratelimit-reset'] = String(resetSec);
    } else if (p === 'xratelimit-epoch-s' || p === 'xratelimit-epoch-ms') {
      const resetEpochMs = origin + t + fullMs;
      headers['X-RateLimit-Limit'] = String(cfg.burst);
      headers['X-RateLimit-Remaining'] = String(remaining);
      headers['X-RateLimit-Reset'] = String(
        p === 'xratelimit-epoch-s' ? Math.ceil((resetEpochMs - EPS) / 1000) : Math.ceil(resetEpochMs - EPS),
      );
    } else if (p === 'ietf') {
      headers['RateLimit-Policy'] = ietfPolicy();
      headers.RateLimit = `"burst";r=${remaining};t=${resetSec}`;
    }
    return headers;
  }

  function ietfPolicy() {
    const burstWindow = Math.max(1, ceilSec(cfg.toleranceMs));
    const perMin = Math.max(1, Math.round(cfg.ratePerMin));
    return `"burst";q=${cfg.burst};w=${burstWindow}, "sustained";q=${perMin};w=60`;
  }

  /**
   * 429 response for a request at relative time t that must wait `waitMs`.
   * Returns { headers, body, deadline } where deadline is the relative time the
   * client is told it may retry.
   */
  function throttleResponse(t, waitMs) {
    const p = cfg.profile;
    const headers = {};
    const n = ceilSec(waitMs);
    let deadline;
    let toldSec;
    const inin = (sec) => {
      headers['inin-ratelimit-allowed'] = String(cfg.burst);
      headers['inin-ratelimit-count'] = String(cfg.burst);
      headers['inin-ratelimit-reset'] = String(sec);
    };
    switch (p) {
      case 'genesys':
      case 'strict':
        headers['Retry-After'] = String(n);
        inin(n);
        toldSec = n;
        break;
      case 'genesys-body-only':
        toldSec = n;
        break;
      case 'short-retry-after': {
        const s = cfg.shortBySec == null ? Math.floor(n / 2) : Math.max(0, n - Math.ceil(cfg.shortBySec));
        headers['Retry-After'] = String(s);
        inin(s);
        toldSec = s;
        break;
      }
      case 'xratelimit-epoch-s':
      case 'xratelimit-epoch-ms': {
        const resetEpochMs = origin + t + waitMs;
        headers['X-RateLimit-Limit'] = String(cfg.burst);
        headers['X-RateLimit-Remaining'] = '0';
        if (p === 'xratelimit-epoch-s') {
          const s = Math.ceil((resetEpochMs - EPS) / 1000);
          headers['X-RateLimit-Reset'] = String(s);
          deadline = s * 1000 - origin;
        } else {
          const ms = Math.ceil(resetEpochMs - EPS);
          headers['X-RateLimit-Reset'] = String(ms);
          deadline = ms - origin;
        }
        break;
      }
      case 'http-date': {
        const skewed = origin + t + cfg.skewMs;
        const dateSec = Math.floor(skewed / 1000);
        const retrySec = Math.ceil((skewed + waitMs - EPS) / 1000);
        headers['Retry-After'] = new Date(retrySec * 1000).toUTCString();
        headers.Date = new Date(dateSec * 1000).toUTCString();
        deadline = t + (retrySec - dateSec) * 1000;
        break;
      }
      case 'ietf':
        headers['RateLimit-Policy'] = ietfPolicy();
        headers.RateLimit = `"burst";r=0;t=${n}`;
        if (cfg.ietfRetryAfter) headers['Retry-After'] = String(n);
        toldSec = n;
        break;
      default:
        throw new Error(`unreachable profile ${p}`);
    }
    if (deadline === undefined) deadline = t + toldSec * 1000;
    const useGenesysBody =
      cfg.body429 === 'genesys' || (cfg.body429 === 'auto' && GENESYS_BODY_PROFILES.has(p));
    const body = useGenesysBody ? genesys429Body(toldSec ?? ceilSec(deadline - t)) : GENERIC_429_BODY;
    return { headers, body, deadline };
  }

  /**
   * Rate-limit one API request for `token`. Returns
   * { allowed: true, t, headers } or { allowed: false, t, headers, body, early, waitMs }.
   */
  function check(token, tAbs) {
    const t = tAbs === undefined ? nowRel() : tAbs - origin;
    const st = tokenState(token);
    st.requests++;
    state.requests++;
    const early = t < st.retryAt - EPS;
    if (early) {
      st.earlyRetries++;
      state.earlyRetries++;
    }
    let waitMs = 0;
    let extended = false;
    if (cfg.profile === 'strict' && early) {
      // Penalise the early retry: the lockout doubles, measured from now.
      st.lockMs = Math.min(Math.max(st.lockMs, 1000) * 2, cfg.strictMaxLockMs);
      waitMs = st.lockMs;
      extended = true;
      st.lockoutExtensions++;
      state.lockoutExtensions++;
    } else {
      const newTat = Math.max(st.tat, t) + cfg.emissionMs;
      if (newTat - t <= cfg.toleranceMs + EPS) {
        st.tat = newTat;
        st.accepted++;
        state.accepted++;
        st.lockMs = 0;
        recordAccepted(st, t);
        return { allowed: true, early, t, headers: okHeaders(st, t) };
      }
      waitMs = newTat - cfg.toleranceMs - t;
    }
    st.throttled++;
    state.throttled++;
    const r = throttleResponse(t, waitMs);
    st.retryAt = r.deadline;
    if (!extended) st.lockMs = Math.max(1000, ceilSec(r.deadline - t) * 1000);
    return { allowed: false, early, extended, t, waitMs, headers: r.headers, body: r.body };
  }

  /** Headers every API response of the active profile carries (e.g. the skewed Date). */
  function commonHeaders(t) {
    if (cfg.profile === 'http-date') {
      return { Date: new Date(Math.floor((origin + t + cfg.skewMs) / 1000) * 1000).toUTCString() };
    }
    return {};
  }

  function countStatus(status) {
    state.byStatus[status] = (state.byStatus[status] || 0) + 1;
  }

  // --- domain bookkeeping ---------------------------------------------------

  function recordContacts(listId, contacts) {
    let list = state.contacts.get(listId);
    if (!list) {
      list = { accepted: 0, duplicates: 0, ids: new Set(), duplicateIds: [] };
      state.contacts.set(listId, list);
    }
    for (const c of contacts) {
      list.accepted++;
      if (list.ids.has(c.id)) {
        list.duplicates++;
        if (list.duplicateIds.length < 100_000) list.duplicateIds.push(c.id);
      } else {
        list.ids.add(c.id);
      }
    }
  }

  function recordMessage(clientId) {
    state.messages.accepted++;
    if (clientId == null) return false;
    const key = String(clientId);
    if (state.messages.ids.has(key)) {
      state.messages.duplicates++;
      return true;
    }
    state.messages.ids.add(key);
    return false;
  }

  function recordCampaignStart(id) {
    state.campaignsStarted.push(id);
  }

  function addSchedule(buId, weekId, body) {
    const key = `${buId}/${weekId}`;
    const schedule = {
      ...(body && typeof body === 'object' && !Array.isArray(body) ? body : {}),
      id: randomUUID(),
      businessUnitId: buId,
      weekDate: weekId,
    };
    if (!state.schedules.has(key)) state.schedules.set(key, []);
    state.schedules.get(key).push(schedule);
    state.schedulesCreated++;
    return schedule;
  }

  function listSchedules(buId, weekId) {
    return state.schedules.get(`${buId}/${weekId}`) || [];
  }

  // --- reporting --------------------------------------------------------------

  function contactIds(listId) {
    const list = state.contacts.get(listId);
    return {
      listId,
      accepted: list ? list.accepted : 0,
      unique: list ? list.ids.size : 0,
      duplicates: list ? list.duplicates : 0,
      ids: list ? [...list.ids] : [],
      duplicateIds: list ? [...list.duplicateIds] : [],
    };
  }

  function messageIds() {
    return {
      accepted: state.messages.accepted,
      unique: state.messages.ids.size,
      duplicates: state.messages.duplicates,
      ids: [...state.messages.ids],
    };
  }

  function stats({ includeIds = false } = {}) {
    const perToken = {};
    const acceptedTimestamps = {};
    for (const [token, st] of state.tokens) {
      Object.defineProperty(perToken, token, {
        enumerable: true,
        configurable: true,
        writable: true,
        value: {
          requests: st.requests,
          accepted: st.accepted,
          throttled: st.throttled,
          earlyRetries: st.earlyRetries,
          lockoutExtensions: st.lockoutExtensions,
          maxWindowAccepted: st.maxWindowAccepted,
        },
      });
      if (cfg.recordTimes) {
        Object.defineProperty(acceptedTimestamps, token, {
          enumerable: true,
          configurable: true,
          writable: true,
          value: st.times.map((x) => origin + x),
        });
      }
    }
    const contacts = {};
    for (const [listId, list] of state.contacts) {
      const entry = { accepted: list.accepted, unique: list.ids.size, duplicates: list.duplicates };
      if (includeIds) entry.ids = [...list.ids];
      Object.defineProperty(contacts, listId, { enumerable: true, configurable: true, writable: true, value: entry });
    }
    const budgetViolationsByWindow = { ...state.budgetViolations };
    const out = {
      profile: cfg.profile,
      config: {
        burst: cfg.burst,
        ratePerSec: cfg.ratePerSec,
        ratePerMin: cfg.ratePerMin,
        latencyMs: cfg.latencyMs,
        skewMs: cfg.skewMs,
        windowMs: cfg.windowMs,
        recordTimes: cfg.recordTimes,
        ietfRetryAfter: cfg.ietfRetryAfter,
        shortBySec: cfg.shortBySec,
        strictMaxLockMs: cfg.strictMaxLockMs,
        maxContacts: cfg.maxContacts,
        body429: cfg.body429,
      },
      startedAt: origin,
      uptimeMs: nowRel(),
      requests: state.requests,
      accepted: state.accepted,
      throttled: state.throttled,
      earlyRetries: state.earlyRetries,
      lockoutExtensions: state.lockoutExtensions,
      byStatus: { ...state.byStatus },
      perToken,
      contacts,
      messages: {
        accepted: state.messages.accepted,
        unique: state.messages.ids.size,
        duplicates: state.messages.duplicates,
      },
      campaignsStarted: [...state.campaignsStarted],
      schedulesCreated: state.schedulesCreated,
      windowMs: cfg.windowMs,
      maxWindowAccepted: state.maxWindowAccepted,
      budgetViolations: Object.values(budgetViolationsByWindow).reduce((a, b) => a + b, 0),
      budgetViolationsByWindow,
    };
    if (cfg.recordTimes) out.acceptedTimestamps = acceptedTimestamps;
    return out;
  }

  /**
   * Clear all state. With a non-empty `newOptions`, the configuration becomes
   * startup options + newOptions; without, the current configuration is kept.
   */
  function reset(newOptions) {
    if (newOptions && typeof newOptions === 'object' && Object.keys(newOptions).length > 0) {
      checkSettableKeys(newOptions);
      const merged = mergeOptions(startupOptions, newOptions);
      const newCfg = resolveConfig(merged); // throws before anything changes
      currentOptions = merged;
      cfg = newCfg;
    }
    freshState();
  }

  function setProfile(name) {
    const merged = mergeOptions(currentOptions, { profile: name });
    cfg = resolveConfig(merged);
    currentOptions = merged;
  }

  return {
    get config() {
      return cfg;
    },
    nowRel,
    check,
    commonHeaders,
    countStatus,
    recordContacts,
    recordMessage,
    recordCampaignStart,
    addSchedule,
    listSchedules,
    contactIds,
    messageIds,
    stats,
    reset,
    setProfile,
  };
}

// ---------------------------------------------------------------------------
// HTTP layer
// ---------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c) => {
      if (tooBig) return;
      size += c.length;
      if (size > limit) {
        tooBig = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) reject(new HttpError(413, 'payload.too.large', `Request body exceeds ${limit} bytes`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function parseJson(text, { allowEmpty = false } = {}) {
  if (text.trim() === '') {
    if (allowEmpty) return undefined;
    throw new HttpError(400, 'bad.request', 'Request body is required');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad.request', 'Request body is not valid JSON');
  }
}

function tokenOf(req) {
  const auth = req.headers.authorization;
  if (!auth || !auth.trim()) return 'anonymous';
  const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
  return m ? m[1].trim() : auth.trim();
}

function send(res, status, body, headers = {}) {
  if (res.writableEnded || res.destroyed) return;
  const payload = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body !== undefined) res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(payload));
  res.writeHead(status);
  res.end(payload);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const dec = (s) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

// [method(s), regex, handler(engine, match, req, bodyText) -> {status, body}]
const ROUTES = [
  [['GET'], /^\/api\/v2\/ping\/?$/, () => ({ status: 200, body: { status: 'ok' } })],
  [
    ['POST'],
    /^\/api\/v2\/outbound\/contactlists\/([^/]+)\/contacts\/?$/,
    (engine, m, req, text) => {
      const listId = dec(m[1]);
      const contacts = parseJson(text);
      if (!Array.isArray(contacts)) {
        throw new HttpError(400, 'bad.request', 'Request body must be a JSON array of contacts');
      }
      const max = engine.config.maxContacts;
      if (contacts.length > max) {
        throw new HttpError(
          400,
          'bad.request',
          `The request contains ${contacts.length} contacts; the maximum number of contacts per request is ${max}`,
        );
      }
      contacts.forEach((c, i) => {
        if (!c || typeof c !== 'object' || typeof c.id !== 'string' || c.id === '') {
          throw new HttpError(400, 'bad.request', `Contact at index ${i} must have a non-empty string id`);
        }
      });
      engine.recordContacts(listId, contacts);
      return { status: 200, body: contacts };
    },
  ],
  [
    ['POST'],
    /^\/api\/v2\/outbound\/campaigns\/([^/]+)\/start\/?$/,
    (engine, m) => {
      const id = dec(m[1]);
      engine.recordCampaignStart(id);
      return { status: 200, body: { id, campaignStatus: 'on' } };
    },
  ],
  [
    ['PUT'],
    /^\/api\/v2\/outbound\/campaigns\/([^/]+)\/?$/,
    (engine, m, req, text) => {
      const id = dec(m[1]);
      const body = parseJson(text);
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        throw new HttpError(400, 'bad.request', 'Request body must be a JSON object');
      }
      if (body.campaignStatus === 'on') engine.recordCampaignStart(id);
      return { status: 200, body: { ...body, id } };
    },
  ],
  [
    ['POST'],
    /^\/api\/v2\/conversations\/messages\/([^/]+)\/inbound\/open\/message\/?$/,
    (engine, m, req, text) => messageRoute(engine, req, text, 202, { integrationId: dec(m[1]) }),
  ],
  [
    ['POST'],
    /^\/api\/v2\/conversations\/messages\/agentless\/?$/,
    (engine, m, req, text) => messageRoute(engine, req, text, 200, {}),
  ],
  [
    ['POST', 'GET'],
    /^\/api\/v2\/workforcemanagement\/businessunits\/([^/]+)\/weeks\/([^/]+)\/schedules\/?$/,
    (engine, m, req, text) => {
      const buId = dec(m[1]);
      const weekId = dec(m[2]);
      if (req.method === 'GET') {
        const entities = engine.listSchedules(buId, weekId);
        return { status: 200, body: { entities, total: entities.length } };
      }
      const body = parseJson(text, { allowEmpty: true });
      return { status: 200, body: engine.addSchedule(buId, weekId, body) };
    },
  ],
];

function messageRoute(engine, req, text, status, extra) {
  const body = parseJson(text, { allowEmpty: true });
  if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
    throw new HttpError(400, 'bad.request', 'Request body must be a JSON object');
  }
  const b = body || {};
  const headerId = req.headers['x-request-id'];
  const clientId = b.id ?? (headerId !== undefined && headerId !== '' ? headerId : undefined) ?? b.channel?.messageId;
  const duplicate = engine.recordMessage(clientId);
  const out = { id: randomUUID(), ...extra };
  if (clientId != null) out.clientId = String(clientId);
  if (duplicate) out.duplicate = true;
  return { status, body: out };
}

/**
 * Start the server. Options: see DEFAULT_OPTIONS, plus `port` (default 0),
 * `now` (() => epoch ms, for tests).
 */
export async function startServer(options = {}) {
  const { port: wantPort = 0, ...engineOptions } = options;
  const engine = createEngine(engineOptions);
  let closing = null;
  let resolveClosed;
  const closed = new Promise((r) => {
    resolveClosed = r;
  });

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      const status = err instanceof HttpError ? err.status : 500;
      const code = err instanceof HttpError ? err.code : 'internal.server.error';
      send(res, status, genesysError(status, code, err.message || String(err)));
    });
  });
  server.keepAliveTimeout = 5000;

  async function handle(req, res) {
    const url = new URL(req.url, `http://${HOST}`);
    const path = url.pathname;
    const text = await readBody(req, engine.config.maxBodyBytes);
    if (path.startsWith('/__')) return control(req, res, url, text);

    const cfg = engine.config;
    const decision = engine.check(tokenOf(req));
    const common = engine.commonHeaders(decision.t);
    let status;
    let body;
    let headers;
    if (!decision.allowed) {
      status = 429;
      body = decision.body;
      headers = { ...common, ...decision.headers };
    } else {
      headers = { ...common, ...decision.headers };
      const route = ROUTES.find(([methods, re]) => methods.includes(req.method) && re.test(path));
      try {
        if (!route) throw new HttpError(404, 'not.found', `Resource not found: ${req.method} ${path}`);
        ({ status, body } = route[2](engine, route[1].exec(path), req, text));
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        status = err.status;
        body = genesysError(err.status, err.code, err.message);
      }
      body = body === undefined ? {} : body;
    }
    engine.countStatus(status);
    if (cfg.latencyMs > 0) await sleep(cfg.latencyMs);
    send(res, status, body, headers);
  }

  function control(req, res, url, text) {
    const path = url.pathname;
    const m = req.method;
    if (m === 'GET' && path === '/__stats') {
      const includeIds = ['1', 'true'].includes(url.searchParams.get('ids') || '');
      return send(res, 200, engine.stats({ includeIds }));
    }
    if (m === 'GET' && path === '/__health') return send(res, 200, { ok: true });
    if (m === 'POST' && path === '/__reset') {
      const body = parseJson(text, { allowEmpty: true });
      if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
        throw new HttpError(400, 'bad.request', 'reset body must be a JSON object of options');
      }
      try {
        engine.reset(body);
      } catch (e) {
        throw new HttpError(400, 'bad.request', e.message);
      }
      return send(res, 200, { ok: true, profile: engine.config.profile, config: engine.stats().config });
    }
    if (m === 'POST' && path === '/__profile') {
      const body = parseJson(text, { allowEmpty: true }) || {};
      const name = body.profile ?? url.searchParams.get('profile');
      try {
        engine.setProfile(name);
      } catch (e) {
        throw new HttpError(400, 'bad.request', e.message);
      }
      return send(res, 200, { ok: true, profile: engine.config.profile });
    }
    if (m === 'GET' && path.startsWith('/__contacts/')) {
      return send(res, 200, engine.contactIds(dec(path.slice('/__contacts/'.length))));
    }
    if (m === 'GET' && path === '/__messages') return send(res, 200, engine.messageIds());
    if (m === 'POST' && path === '/__shutdown') {
      res.on('finish', () => close());
      return send(res, 200, { ok: true });
    }
    throw new HttpError(404, 'not.found', `Resource not found: ${m} ${path}`);
  }

  function close() {
    if (!closing) {
      closing = new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections?.();
        // Give in-flight responses a moment, then drop everything.
        setTimeout(() => server.closeAllConnections?.(), 50).unref();
      }).then(() => resolveClosed());
    }
    return closing;
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(wantPort, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address();
  return {
    url: `http://${HOST}:${port}`,
    port,
    host: HOST,
    server,
    address: () => server.address(),
    stats: (opts) => engine.stats(opts),
    reset: (opts) => engine.reset(opts),
    setProfile: (name) => engine.setProfile(name),
    contactIds: (listId) => engine.contactIds(listId),
    messageIds: () => engine.messageIds(),
    get config() {
      return engine.config;
    },
    close,
    closed,
  };
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------

const CLI_USAGE = `usage: node tests/server/server.mjs [--profile NAME] [--port N] [--max-seconds S]
  [--burst N] [--rate-per-min N | --rate-per-sec N] [--latency-ms N] [--skew-ms N]
  [--window-ms N] [--record-times] [--ietf-retry-after] [--short-by-sec N]
  [--strict-max-lock-ms N] [--max-contacts N] [--body429 auto|genesys|generic]
profiles: ${PROFILES.join(', ')}`;

export function parseCliArgs(argv) {
  const booleans = new Set(['recordTimes', 'ietfRetryAfter']);
  const strings = new Set(['profile', 'body429']);
  const out = { maxSeconds: 600 };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (arg === '-h' || arg === '--help') return { help: true };
    if (!arg.startsWith('--')) throw new TypeError(`unexpected argument ${arg}`);
    let value;
    const eq = arg.indexOf('=');
    if (eq >= 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const key = arg.slice(2).replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
    if (key !== 'port' && key !== 'maxSeconds' && !SETTABLE_KEYS.has(key)) {
      throw new TypeError(`unknown flag ${arg}`);
    }
    if (booleans.has(key)) {
      out[key] = value === undefined ? true : !['0', 'false', 'no'].includes(value);
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new TypeError(`flag ${arg} needs a value`);
    }
    if (strings.has(key)) {
      out[key] = value;
    } else {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new TypeError(`flag ${arg} needs a number, got ${value}`);
      out[key] = n;
    }
  }
  return out;
}

async function main() {
  let args;
  try {
    args = parseCliArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n${CLI_USAGE}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${CLI_USAGE}\n`);
    return;
  }
  const { maxSeconds, ...options } = args;
  let srv;
  try {
    srv = await startServer(options);
  } catch (e) {
    process.stderr.write(`server.mjs: ${e.message}\n`);
    process.exit(2);
  }
  let exiting = false;
  const shutdown = (reason) => {
    if (exiting) return;
    exiting = true;
    setTimeout(() => process.exit(0), 2000).unref();
    srv.close().then(() => process.exit(0));
    if (process.env.PACEKEEPER_SERVER_DEBUG) process.stderr.write(`server.mjs: exiting (${reason})\n`);
  };
  srv.closed.then(() => shutdown('closed'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (maxSeconds > 0) setTimeout(() => shutdown('max-seconds'), maxSeconds * 1000);
  try {
    const st = fs.fstatSync(0);
    if (st.isFIFO() || st.isSocket()) {
      process.stdin.on('data', () => {});
      process.stdin.on('end', () => shutdown('stdin end'));
      process.stdin.on('close', () => shutdown('stdin close'));
      process.stdin.on('error', () => shutdown('stdin error'));
      process.stdin.resume();
    }
  } catch {
    // no usable stdin: rely on max-seconds / signals
  }
  process.stdout.write(`${JSON.stringify({ url: srv.url, port: srv.port })}\n`);
}

const isMain = (() => {
  if (!process.argv[1]) return false;
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (isMain) main();
