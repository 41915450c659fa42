// The rate limiter: GCRA (token bucket) per token, early-retry and strict-lockout accounting, and the
// sliding-window counts behind maxWindowAccepted and budgetViolations. Times are relative to `origin`.

import { BUDGET_WINDOWS_MS, EPS, ceilSec } from './config.mjs';
import { okHeaders, throttleResponse } from './responses.mjs';

function windows(cfg) {
  return [...new Set([cfg.windowMs, ...BUDGET_WINDOWS_MS])];
}

function tokenState(state, token) {
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

function recordAccepted(cfg, state, st, t) {
  st.times.push(t);
  let minPtr = Infinity;
  for (const w of windows(cfg)) {
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

/**
 * Rate-limit one API request for `token` at relative time `t`; updates `state`. Returns
 * { allowed: true, t, headers } or { allowed: false, t, headers, body, early, waitMs }.
 */
export function check(cfg, origin, state, token, t) {
  const st = tokenState(state, token);
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
      recordAccepted(cfg, state, st, t);
      return { allowed: true, early, t, headers: okHeaders(cfg, origin, st, t) };
    }
    waitMs = newTat - cfg.toleranceMs - t;
  }
  st.throttled++;
  state.throttled++;
  const r = throttleResponse(cfg, origin, t, waitMs);
  st.retryAt = r.deadline;
  if (!extended) st.lockMs = Math.max(1000, ceilSec(r.deadline - t) * 1000);
  return { allowed: false, early, extended, t, waitMs, headers: r.headers, body: r.body };
}
