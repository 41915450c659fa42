// Engine: rate limiting + bookkeeping, independent of HTTP (exported for unit use).
// It holds the configuration, the clock origin and the state; the work is done by limiter.mjs,
// responses.mjs, records.mjs and stats.mjs.

import { checkSettableKeys, defaultNow, mergeOptions, resolveConfig } from './config.mjs';
import { check as limit } from './limiter.mjs';
import { commonHeaders as profileCommonHeaders } from './responses.mjs';
import * as records from './records.mjs';
import { stats as report } from './stats.mjs';

export function createEngine(options = {}) {
  const startupOptions = { ...options };
  let currentOptions = { ...options };
  const now = typeof options.now === 'function' ? options.now : defaultNow;
  let cfg = resolveConfig(currentOptions);
  let origin;
  let state;

  function freshState() {
    origin = now();
    state = records.newState();
  }
  freshState();

  const nowRel = () => now() - origin;

  /**
   * Rate-limit one API request for `token` (at epoch ms `tAbs`, default now). Returns
   * { allowed: true, t, headers } or { allowed: false, t, headers, body, early, waitMs }.
   */
  function check(token, tAbs) {
    const t = tAbs === undefined ? nowRel() : tAbs - origin;
    return limit(cfg, origin, state, token, t);
  }

  /** Headers every API response of the active profile carries (e.g. the skewed Date). */
  function commonHeaders(t) {
    return profileCommonHeaders(cfg, origin, t);
  }

  function countStatus(status) {
    state.byStatus[status] = (state.byStatus[status] || 0) + 1;
  }

  function stats(opts) {
    return report(cfg, origin, state, nowRel(), opts);
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
    recordContacts: (listId, contacts) => records.recordContacts(state, listId, contacts),
    recordMessage: (clientId) => records.recordMessage(state, clientId),
    recordCampaignStart: (id) => records.recordCampaignStart(state, id),
    addSchedule: (buId, weekId, body) => records.addSchedule(state, buId, weekId, body),
    listSchedules: (buId, weekId) => records.listSchedules(state, buId, weekId),
    contactIds: (listId) => records.contactIds(state, listId),
    messageIds: () => records.messageIds(state),
    stats,
    reset,
    setProfile,
  };
}
