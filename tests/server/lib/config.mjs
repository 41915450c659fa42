// Options of the test server: profiles, defaults, validation and the effective configuration.

import { performance } from 'node:perf_hooks';

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
export const ININ_PROFILES = new Set(['genesys', 'short-retry-after', 'strict']);
// Profiles whose 429 body is the Genesys body (when body429 is 'auto').
export const GENESYS_BODY_PROFILES = new Set(['genesys', 'genesys-body-only', 'short-retry-after', 'strict']);

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
export const SETTABLE_KEYS = new Set([
  'profile', 'burst', 'ratePerMin', 'ratePerSec', 'latencyMs', 'skewMs', 'windowMs',
  'recordTimes', 'ietfRetryAfter', 'shortBySec', 'strictMaxLockMs', 'maxContacts', 'body429',
  'maxBodyBytes',
]);

export const BUDGET_WINDOWS_MS = Object.freeze([1000, 60_000]);
export const EPS = 1e-6; // ms; all internal times are relative to `origin`, so floats stay precise

export const defaultNow = () => performance.timeOrigin + performance.now();

/** Seconds, rounded up, tolerant to float noise. */
export function ceilSec(ms) {
  return Math.max(0, Math.ceil((ms - EPS) / 1000));
}


export function mergeOptions(base, over) {
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

export function checkSettableKeys(obj) {
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
