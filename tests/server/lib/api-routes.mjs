// The rate-limited API endpoints (Genesys-like): ping, contacts, campaigns, messages, WFM schedules.

import { randomUUID } from 'node:crypto';
import { HttpError, dec, parseJson } from './http-util.mjs';

// [method(s), regex, handler(engine, match, req, bodyText) -> {status, body}]
export const ROUTES = [
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
