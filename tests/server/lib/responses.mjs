// What each profile tells a client: the rate-limit headers of accepted requests and the 429 responses.
// Times `t` are relative to `origin` (epoch ms of the engine's start); `cfg` is from resolveConfig.

import { EPS, ININ_PROFILES, GENESYS_BODY_PROFILES, ceilSec } from './config.mjs';

export function genesysError(status, code, message) {
  return { message, code, status };
}

export function genesys429Body(n) {
  return {
    message: `Rate limit exceeded the maximum. Retry the request in [${n}] seconds`,
    code: 'too.many.requests.retry.after',
    status: 429,
  };
}

export const GENERIC_429_BODY = Object.freeze({
  message: 'Rate limit exceeded',
  code: 'too.many.requests',
  status: 429,
});

/** Headers describing the bucket after an accepted request. */
export function okHeaders(cfg, origin, st, t) {
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
    headers['RateLimit-Policy'] = ietfPolicy(cfg);
    headers.RateLimit = `"burst";r=${remaining};t=${resetSec}`;
  }
  return headers;
}

export function ietfPolicy(cfg) {
  const burstWindow = Math.max(1, ceilSec(cfg.toleranceMs));
  const perMin = Math.max(1, Math.round(cfg.ratePerMin));
  return `"burst";q=${cfg.burst};w=${burstWindow}, "sustained";q=${perMin};w=60`;
}

/**
 * 429 response for a request at relative time t that must wait `waitMs`.
 * Returns { headers, body, deadline } where deadline is the relative time the
 * client is told it may retry.
 */
export function throttleResponse(cfg, origin, t, waitMs) {
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
      headers['RateLimit-Policy'] = ietfPolicy(cfg);
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

/** Headers every API response of the active profile carries (e.g. the skewed Date). */
export function commonHeaders(cfg, origin, t) {
  if (cfg.profile === 'http-date') {
    return { Date: new Date(Math.floor((origin + t + cfg.skewMs) / 1000) * 1000).toUTCString() };
  }
  return {};
}
