// The server's state and what the Genesys endpoints record in it: contacts per list (with duplicates),
// messages by client id, campaign starts and WFM schedules; and the id listings of the control API.

import { randomUUID } from 'node:crypto';
import { BUDGET_WINDOWS_MS } from './config.mjs';

/** Empty state: per-token buckets, counters and the endpoints' records. */
export function newState() {
  return {
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

export function recordContacts(state, listId, contacts) {
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

export function recordMessage(state, clientId) {
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

export function recordCampaignStart(state, id) {
  state.campaignsStarted.push(id);
}

export function addSchedule(state, buId, weekId, body) {
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

export function listSchedules(state, buId, weekId) {
  return state.schedules.get(`${buId}/${weekId}`) || [];
}

export function contactIds(state, listId) {
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

export function messageIds(state) {
  return {
    accepted: state.messages.accepted,
    unique: state.messages.ids.size,
    duplicates: state.messages.duplicates,
    ids: [...state.messages.ids],
  };
}
