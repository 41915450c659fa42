// The Genesys-like API endpoints: contacts, messages, campaigns, WFM schedules, 404, latency.
// node --test tests/server/
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { start, call, ping } from './helpers.mjs';

describe('Genesys endpoints', () => {
  const contacts = (n, prefix = 'c') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, data: { i } }));

  test('contacts: 1000 accepted, 1001 rejected with a Genesys 400', async () => {
    const srv = await start({});
    const ok = await call(srv, 'POST', '/api/v2/outbound/contactlists/L1/contacts', { body: contacts(1000) });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.length, 1000);
    assert.deepEqual(ok.json[999], { id: 'c999', data: { i: 999 } });
    assert.equal(ok.headers.get('inin-ratelimit-allowed'), '15');
    const bad = await call(srv, 'POST', '/api/v2/outbound/contactlists/L1/contacts', {
      body: contacts(1001, 'x'),
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('content-type'), 'application/json');
    assert.equal(bad.json.code, 'bad.request');
    assert.equal(bad.json.status, 400);
    assert.equal(typeof bad.json.message, 'string');
    assert.deepEqual(Object.keys(bad.json), ['message', 'code', 'status']);
    for (const b of [{ id: 'x' }, [{ data: {} }], [{ id: 7 }]]) {
      const r = await call(srv, 'POST', '/api/v2/outbound/contactlists/L1/contacts', { body: b });
      assert.equal(r.status, 400);
    }
    const invalid = await call(srv, 'POST', '/api/v2/outbound/contactlists/L1/contacts', { raw: '[{' });
    assert.equal(invalid.status, 400);
    const s = srv.stats();
    assert.deepEqual(s.contacts, { L1: { accepted: 1000, unique: 1000, duplicates: 0 } });
    assert.equal(s.byStatus['400'], 5);
  });

  test('contacts: duplicate detection and /__contacts listing', async () => {
    const srv = await start({});
    const path = '/api/v2/outbound/contactlists/list%201/contacts';
    await call(srv, 'POST', path, { body: contacts(3) });
    await call(srv, 'POST', path, { body: [{ id: 'c2' }, { id: 'c3' }, { id: 'c3' }] });
    await call(srv, 'POST', '/api/v2/outbound/contactlists/L2/contacts', { body: [{ id: 'c0' }] });
    const s = srv.stats();
    assert.deepEqual(s.contacts['list 1'], { accepted: 6, unique: 4, duplicates: 2 });
    assert.deepEqual(s.contacts.L2, { accepted: 1, unique: 1, duplicates: 0 });
    const listing = await call(srv, 'GET', '/__contacts/list%201');
    assert.deepEqual(listing.json, {
      listId: 'list 1',
      accepted: 6,
      unique: 4,
      duplicates: 2,
      ids: ['c0', 'c1', 'c2', 'c3'],
      duplicateIds: ['c2', 'c3'],
    });
    assert.deepEqual(srv.contactIds('L2').ids, ['c0']);
    assert.deepEqual((await call(srv, 'GET', '/__contacts/none')).json.ids, []);
    const withIds = await call(srv, 'GET', '/__stats?ids=1');
    assert.deepEqual(withIds.json.contacts.L2.ids, ['c0']);
    assert.equal(s.contacts.L2.ids, undefined);
  });

  test('messages: duplicates by body.id or x-request-id', async () => {
    const srv = await start({});
    const inbound = '/api/v2/conversations/messages/integ-1/inbound/open/message';
    const r1 = await call(srv, 'POST', inbound, { body: { id: 'm1', text: 'hi' } });
    assert.equal(r1.status, 202);
    assert.equal(typeof r1.json.id, 'string');
    assert.equal(r1.json.clientId, 'm1');
    assert.equal((await call(srv, 'POST', inbound, { body: { id: 'm1', text: 'again' } })).json.duplicate, true);
    const a1 = await call(srv, 'POST', '/api/v2/conversations/messages/agentless', {
      body: { toAddress: '+1555' },
      headers: { 'x-request-id': 'r-9' },
    });
    assert.equal(a1.status, 200);
    assert.notEqual(a1.json.id, r1.json.id);
    await call(srv, 'POST', '/api/v2/conversations/messages/agentless', {
      body: {},
      headers: { 'x-request-id': 'r-9' },
    });
    await call(srv, 'POST', '/api/v2/conversations/messages/agentless', { body: { text: 'no id' } });
    assert.deepEqual(srv.stats().messages, { accepted: 5, unique: 2, duplicates: 2 });
    assert.deepEqual((await call(srv, 'GET', '/__messages')).json.ids, ['m1', 'r-9']);
  });

  test('campaigns, WFM schedules, ping and 404', async () => {
    const srv = await start({});
    const st = await call(srv, 'POST', '/api/v2/outbound/campaigns/camp-1/start');
    assert.deepEqual([st.status, st.json], [200, { id: 'camp-1', campaignStatus: 'on' }]);
    const put = await call(srv, 'PUT', '/api/v2/outbound/campaigns/camp-2', { body: { campaignStatus: 'on' } });
    assert.deepEqual([put.status, put.json], [200, { campaignStatus: 'on', id: 'camp-2' }]);
    await call(srv, 'PUT', '/api/v2/outbound/campaigns/camp-3', { body: { campaignStatus: 'off' } });
    assert.deepEqual(srv.stats().campaignsStarted, ['camp-1', 'camp-2']);

    const wfm = '/api/v2/workforcemanagement/businessunits/bu1/weeks/2024-01-01/schedules';
    const created = await call(srv, 'POST', wfm, { body: { description: 'w1' } });
    assert.equal(created.status, 200);
    assert.equal(created.json.description, 'w1');
    assert.equal(created.json.weekDate, '2024-01-01');
    const listed = await call(srv, 'GET', wfm);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.json.entities, [created.json]);

    const p = await ping(srv);
    assert.deepEqual([p.status, p.json], [200, { status: 'ok' }]);
    const nf = await call(srv, 'GET', '/api/v2/nope');
    assert.equal(nf.status, 404);
    assert.equal(nf.json.code, 'not.found');
    assert.equal(nf.json.status, 404);
    assert.equal((await call(srv, 'DELETE', '/api/v2/ping')).status, 404);
    assert.equal(srv.stats().schedulesCreated, 1);
  });

  test('latencyMs delays responses', async () => {
    const srv = await start({ latencyMs: 150 });
    const t = performance.now();
    assert.equal((await ping(srv)).status, 200);
    assert.ok(performance.now() - t >= 140);
  });
});
