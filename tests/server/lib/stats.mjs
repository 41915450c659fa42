// The statistics report (GET /__stats, srv.stats()): totals, per-token counts, budget checks.

/** Stats of `state`; `uptimeMs` is the time since `origin`. */
export function stats(cfg, origin, state, uptimeMs, { includeIds = false } = {}) {
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
    uptimeMs,
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
