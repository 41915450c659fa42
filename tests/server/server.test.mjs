// node --test tests/server/
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer, createEngine, PROFILES } from './server.mjs';

const SERVER_PATH = fileURLToPath(new URL('./server.mjs', import.meta.url));
const T0 = 1_700_000_000_250; // deliberately not on a whole second

function fakeClock(start = T0) {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
    get t() {
      return t;
    },
  };
}

const open = new Set();
async function start(opts) {
  const srv = await startServer(opts);
  open.add(srv);
  return srv;
}
after(async () => {
  await Promise.all([...open].map((s) => s.close()));
});

async function call(srv, method, path, { token, body, headers = {}, raw } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] = 'application/json';
  }
  const res = await fetch(srv.url + path, { method, headers: h, body: payload, signal: AbortSignal.timeout(2500) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const ping = (srv, token) => call(srv, 'GET', '/api/v2/ping', { token });

const RATE_HEADER_NAMES = [
  'retry-after',
  'inin-ratelimit-allowed',
  'inin-ratelimit-count',
  'inin-ratelimit-reset',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'ratelimit',
  'ratelimit-policy',
];

function rateHeaders(res) {
  const out = {};
  for (const n of RATE_HEADER_NAMES) if (res.headers.has(n)) out[n] = res.headers.get(n);
  return out;
}

const genesysBody = (n) =>
  `{"message":"Rate limit exceeded the maximum. Retry the request in [${n}] seconds","code":"too.many.requests.retry.after","status":429}`;
const GENERIC_BODY = '{"message":"Rate limit exceeded","code":"too.many.requests","status":429}';

describe('binding', () => {
  test('binds 127.0.0.1 on a free port', async () => {
    const srv = await start({});
    assert.equal(srv.address().address, '127.0.0.1');
    assert.ok(srv.port > 0);
    assert.equal(srv.url, `http://127.0.0.1:${srv.port}`);
    assert.equal((await ping(srv)).status, 200);
    // Only loopback: the listening socket's address is 127.0.0.1 (no test traffic leaves loopback).
    assert.equal(srv.server.address().address, '127.0.0.1');
  });
});

describe('genesys profile', () => {
  test('burst of 15 then throttled, with inin-ratelimit headers', async () => {
    const clock = fakeClock();
    const srv = await start({ now: clock.now }); // defaults: burst 15, 300/min
    for (let i = 1; i <= 15; i++) {
      const r = await ping(srv, 'tok');
      assert.equal(r.status, 200, `request ${i}`);
      assert.equal(r.headers.get('inin-ratelimit-allowed'), '15');
      assert.equal(r.headers.get('inin-ratelimit-count'), String(i));
      assert.equal(r.headers.get('inin-ratelimit-reset'), String(Math.ceil((i * 200) / 1000)));
    }
    const r = await ping(srv, 'tok');
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.text, genesysBody(1));
    assert.deepEqual(rateHeaders(r), {
      'retry-after': '1',
      'inin-ratelimit-allowed': '15',
      'inin-ratelimit-count': '15',
      'inin-ratelimit-reset': '1',
    });
    // Other tokens have their own bucket; a missing header is "anonymous".
    assert.equal((await ping(srv, 'other')).status, 200);
    assert.equal((await ping(srv)).status, 200);
    // Sustained rate: one more request every 200 ms.
    clock.advance(200);
    assert.equal((await ping(srv, 'tok')).status, 200);
    assert.equal((await ping(srv, 'tok')).status, 429);
    const s = srv.stats();
    assert.equal(s.profile, 'genesys');
    assert.equal(s.requests, 20);
    assert.equal(s.accepted, 18);
    assert.equal(s.throttled, 2);
    // Both requests after the first 429 came before its 1 s deadline: early
    // (the first one was still accepted, because the bucket had refilled).
    assert.deepEqual(s.perToken.tok, {
      requests: 18,
      accepted: 16,
      throttled: 2,
      earlyRetries: 2,
      lockoutExtensions: 0,
      maxWindowAccepted: 16,
    });
    assert.equal(s.perToken.anonymous.accepted, 1);
    assert.equal(s.budgetViolations, 0);
  });

  test('real clock: refills in real time', async () => {
    const srv = await start({ burst: 2, ratePerSec: 20 });
    assert.equal((await ping(srv, 'a')).status, 200);
    assert.equal((await ping(srv, 'a')).status, 200);
    const r = await ping(srv, 'a');
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '1');
    await new Promise((res) => setTimeout(res, 120));
    assert.equal((await ping(srv, 'a')).status, 200);
  });
});

describe('429 profiles are exact', () => {
  // burst 2, 0.25 req/s (T = 4 s): two requests pass, the third must wait exactly 4 s.
  const base = { burst: 2, ratePerSec: 0.25 };
  const cases = {
    genesys: {
      ok: { 'inin-ratelimit-allowed': '2', 'inin-ratelimit-count': '1', 'inin-ratelimit-reset': '4' },
      h429: {
        'retry-after': '4',
        'inin-ratelimit-allowed': '2',
        'inin-ratelimit-count': '2',
        'inin-ratelimit-reset': '4',
      },
      body: genesysBody(4),
    },
    'genesys-body-only': { ok: {}, h429: {}, body: genesysBody(4) },
    'xratelimit-epoch-s': {
      ok: { 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': '1700000005' },
      h429: { 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1700000005' },
      body: GENERIC_BODY,
    },
    'xratelimit-epoch-ms': {
      ok: { 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': '1700000004250' },
      h429: { 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1700000004250' },
      body: GENERIC_BODY,
    },
    'http-date': {
      ok: {},
      // server clock = T0 + 90 s; Date floored, Retry-After ceiled to whole seconds
      h429: { 'retry-after': new Date(1_700_000_095_000).toUTCString() },
      date: new Date(1_700_000_090_000).toUTCString(),
      body: GENERIC_BODY,
    },
    ietf: {
      ok: { 'ratelimit-policy': '"burst";q=2;w=8, "sustained";q=15;w=60', ratelimit: '"burst";r=1;t=4' },
      h429: { 'ratelimit-policy': '"burst";q=2;w=8, "sustained";q=15;w=60', ratelimit: '"burst";r=0;t=4' },
      body: GENERIC_BODY,
    },
    'short-retry-after': {
      ok: { 'inin-ratelimit-allowed': '2', 'inin-ratelimit-count': '1', 'inin-ratelimit-reset': '4' },
      h429: {
        'retry-after': '2',
        'inin-ratelimit-allowed': '2',
        'inin-ratelimit-count': '2',
        'inin-ratelimit-reset': '2',
      },
      body: genesysBody(2),
    },
    strict: {
      ok: { 'inin-ratelimit-allowed': '2', 'inin-ratelimit-count': '1', 'inin-ratelimit-reset': '4' },
      h429: {
        'retry-after': '4',
        'inin-ratelimit-allowed': '2',
        'inin-ratelimit-count': '2',
        'inin-ratelimit-reset': '4',
      },
      body: genesysBody(4),
    },
  };

  test('every profile has a case', () => {
    assert.deepEqual(Object.keys(cases).sort(), [...PROFILES].sort());
  });

  for (const [profile, exp] of Object.entries(cases)) {
    test(profile, async () => {
      const clock = fakeClock();
      const srv = await start({ ...base, profile, now: clock.now });
      const first = await ping(srv, 'p');
      assert.equal(first.status, 200);
      assert.deepEqual(rateHeaders(first), exp.ok);
      assert.equal((await ping(srv, 'p')).status, 200);
      const r = await ping(srv, 'p');
      assert.equal(r.status, 429);
      assert.equal(r.headers.get('content-type'), 'application/json');
      assert.equal(r.text, exp.body);
      assert.deepEqual(rateHeaders(r), exp.h429);
      if (exp.date) {
        assert.equal(r.headers.get('date'), exp.date);
        assert.equal(first.headers.get('date'), exp.date);
      }
      assert.equal(srv.stats().profile, profile);
      assert.equal(srv.stats().throttled, 1);
    });
  }

  test('ietf with ietfRetryAfter adds Retry-After', async () => {
    const clock = fakeClock();
    const srv = await start({ ...base, profile: 'ietf', ietfRetryAfter: true, now: clock.now });
    await ping(srv, 'p');
    await ping(srv, 'p');
    const r = await ping(srv, 'p');
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '4');
    assert.equal(r.headers.get('ratelimit'), '"burst";r=0;t=4');
  });

  test('short-retry-after: shortBySec option, and trusting it gets another 429', async () => {
    const clock = fakeClock();
    const srv = await start({ ...base, profile: 'short-retry-after', shortBySec: 1, now: clock.now });
    await ping(srv, 'p');
    await ping(srv, 'p');
    const r = await ping(srv, 'p');
    assert.equal(r.headers.get('retry-after'), '3');
    assert.equal(r.text, genesysBody(3));
    clock.advance(3000); // obey the (short) header: not early, but still too soon
    const again = await ping(srv, 'p');
    assert.equal(again.status, 429);
    assert.equal(srv.stats().earlyRetries, 0);
    clock.advance(1000); // the real wait has now elapsed
    assert.equal((await ping(srv, 'p')).status, 200);
  });

  test('genesys body is used for every profile with body429=genesys', async () => {
    const clock = fakeClock();
    const srv = await start({ ...base, profile: 'xratelimit-epoch-s', body429: 'genesys', now: clock.now });
    await ping(srv, 'p');
    await ping(srv, 'p');
    const r = await ping(srv, 'p');
    // reset = 1700000005 s, T0 = ...000.250 s => told wait = 4.75 s => [5]
    assert.equal(r.text, genesysBody(5));
  });
});

describe('early retries and strict lockout', () => {
  test('early retries are counted per token in every profile', async () => {
    const clock = fakeClock();
    const srv = await start({ burst: 2, ratePerSec: 0.25, now: clock.now });
    await ping(srv, 'a');
    await ping(srv, 'a');
    await ping(srv, 'b');
    const r = await ping(srv, 'a');
    assert.equal(r.headers.get('retry-after'), '4'); // deadline T0 + 4 s
    clock.advance(1000);
    const early = await ping(srv, 'a');
    assert.equal(early.status, 429);
    assert.equal(early.headers.get('retry-after'), '3');
    assert.equal((await ping(srv, 'b')).status, 200); // b was never told to wait
    clock.advance(3000);
    assert.equal((await ping(srv, 'a')).status, 200); // exactly at the deadline: not early
    let s = srv.stats();
    assert.equal(s.earlyRetries, 1);
    assert.equal(s.perToken.a.earlyRetries, 1);
    assert.equal(s.perToken.b.earlyRetries, 0);
    assert.equal(s.perToken.a.throttled, 2);
    // 1 ms before a deadline is early.
    await ping(srv, 'a'); // 429, told 4 s
    clock.advance(3999);
    const r2 = await ping(srv, 'a');
    assert.equal(r2.status, 429); // 1 ms of real wait left -> told "1" again
    assert.equal(r2.headers.get('retry-after'), '1');
    s = srv.stats();
    assert.equal(s.perToken.a.earlyRetries, 2);
    assert.equal(s.perToken.a.throttled, 4);
    assert.equal(s.lockoutExtensions, 0);
  });

  test('xratelimit deadline is the advertised reset epoch', async () => {
    const clock = fakeClock();
    const srv = await start({ burst: 1, ratePerSec: 1, profile: 'xratelimit-epoch-s', now: clock.now });
    await ping(srv, 'a');
    const r = await ping(srv, 'a'); // real wait 1 s; reset = ceil(T0/1000 + 1) = ...002
    assert.equal(r.headers.get('x-ratelimit-reset'), '1700000002');
    clock.advance(1000); // bucket allows it, but the client was told ...002.000
    assert.equal((await ping(srv, 'a')).status, 200);
    assert.equal(srv.stats().earlyRetries, 1);
  });

  test('strict: early retries double the lockout', async () => {
    const clock = fakeClock();
    const srv = await start({ profile: 'strict', burst: 1, ratePerSec: 1, now: clock.now });
    assert.equal((await ping(srv, 's')).status, 200);
    let r = await ping(srv, 's');
    assert.equal(r.headers.get('retry-after'), '1'); // told T0+1s
    clock.advance(500); // early
    r = await ping(srv, 's');
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '2'); // lockout 1 s -> 2 s, from now
    assert.equal(r.text, genesysBody(2));
    clock.advance(1000); // still early (told T0+2.5s)
    r = await ping(srv, 's');
    assert.equal(r.headers.get('retry-after'), '4');
    clock.advance(3999); // bucket would allow this, but the lockout does not
    r = await ping(srv, 's');
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '8');
    clock.advance(8000); // obey
    assert.equal((await ping(srv, 's')).status, 200);
    const s = srv.stats();
    assert.equal(s.earlyRetries, 3);
    assert.equal(s.lockoutExtensions, 3);
    assert.equal(s.perToken.s.lockoutExtensions, 3);
    assert.equal(s.throttled, 4);
    assert.equal(s.accepted, 2);

    // Same sequence under 'genesys': no extension.
    srv.reset({ profile: 'genesys', burst: 1, ratePerSec: 1 });
    assert.equal((await ping(srv, 's')).status, 200);
    await ping(srv, 's');
    clock.advance(500);
    r = await ping(srv, 's');
    assert.equal(r.headers.get('retry-after'), '1'); // real remaining wait 0.5 s
    assert.equal(srv.stats().lockoutExtensions, 0);
    assert.equal(srv.stats().earlyRetries, 1);
  });

  test('strict lockout is capped by strictMaxLockMs', async () => {
    const clock = fakeClock();
    const srv = await start({ profile: 'strict', burst: 1, ratePerSec: 1, strictMaxLockMs: 4000, now: clock.now });
    await ping(srv, 's');
    await ping(srv, 's');
    const told = [];
    for (let i = 0; i < 4; i++) told.push((await ping(srv, 's')).headers.get('retry-after'));
    assert.deepEqual(told, ['2', '4', '4', '4']);
  });
});

describe('http-date profile with a skewed server clock', () => {
  test('positive skew: Date-relative client waits right, own-clock client waits too long', async () => {
    const clock = fakeClock();
    const srv = await start({ profile: 'http-date', burst: 1, ratePerSec: 1, now: clock.now });
    const ok = await ping(srv, 'd');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('date'), new Date(1_700_000_090_000).toUTCString()); // +90 s
    const r = await ping(srv, 'd');
    assert.equal(r.status, 429);
    const retryAt = Date.parse(r.headers.get('retry-after'));
    const serverDate = Date.parse(r.headers.get('date'));
    assert.equal(serverDate, 1_700_000_090_000);
    assert.equal(retryAt, 1_700_000_092_000);
    const correctWait = retryAt - serverDate; // 2 s >= real wait of 1 s
    const naiveWait = retryAt - clock.t; // compares with the client's own clock
    assert.equal(correctWait, 2000);
    assert.ok(naiveWait > 90_000, `naive wait ${naiveWait}`);
    clock.advance(correctWait);
    assert.equal((await ping(srv, 'd')).status, 200);
    assert.equal(srv.stats().earlyRetries, 0);
  });

  test('negative skew: own-clock client retries too early', async () => {
    const clock = fakeClock();
    const srv = await start({ profile: 'http-date', skewMs: -30_000, burst: 1, ratePerSec: 1, now: clock.now });
    await ping(srv, 'd');
    const r = await ping(srv, 'd');
    const retryAt = Date.parse(r.headers.get('retry-after'));
    assert.equal(Date.parse(r.headers.get('date')), 1_699_999_970_000);
    const naiveWait = Math.max(0, retryAt - clock.t);
    assert.equal(naiveWait, 0);
    const again = await ping(srv, 'd'); // retry immediately
    assert.equal(again.status, 429);
    assert.equal(srv.stats().earlyRetries, 1);
  });
});

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

describe('control API', () => {
  test('HTTP /__reset, /__profile, /__stats and /__shutdown', async () => {
    const clock = fakeClock();
    const srv = await startServer({ now: clock.now });
    await ping(srv, 'x');
    let r = await call(srv, 'POST', '/__reset', {
      body: { profile: 'xratelimit-epoch-s', burst: 15, ratePerSec: 1 },
    });
    assert.equal(r.status, 200);
    let s = (await call(srv, 'GET', '/__stats')).json;
    assert.equal(s.profile, 'xratelimit-epoch-s');
    assert.equal(s.config.ratePerSec, 1);
    assert.equal(s.requests, 0);
    assert.deepEqual(s.perToken, {});
    assert.equal((await ping(srv, 'x')).headers.get('x-ratelimit-limit'), '15');

    // reset without a body keeps the current configuration
    await call(srv, 'POST', '/__reset');
    assert.equal(srv.stats().profile, 'xratelimit-epoch-s');
    assert.equal(srv.stats().requests, 0);
    // reset with a body starts again from the startup options
    await call(srv, 'POST', '/__reset', { body: { profile: 'ietf' } });
    assert.equal(srv.stats().config.ratePerSec, 5);

    r = await call(srv, 'POST', '/__profile', { body: { profile: 'strict' } });
    assert.equal(r.status, 200);
    assert.equal(srv.stats().profile, 'strict');
    srv.setProfile('genesys');
    assert.equal(srv.stats().profile, 'genesys');
    assert.throws(() => srv.setProfile('nope'), /unknown profile/);
    assert.equal((await call(srv, 'POST', '/__reset', { body: { profile: 'nope' } })).status, 400);
    assert.equal((await call(srv, 'POST', '/__reset', { body: { burts: 3 } })).status, 400);
    assert.equal(srv.stats().profile, 'genesys');

    r = await call(srv, 'POST', '/__shutdown');
    assert.equal(r.status, 200);
    await srv.closed;
    await assert.rejects(fetch(`${srv.url}/__stats`, { signal: AbortSignal.timeout(1000) }));
  });

  test('maxWindowAccepted, budgetViolations and recordTimes', async () => {
    // Drive the engine directly: 1400 requests, one every 50 ms of simulated time (70 s).
    const clock = fakeClock();
    const engine = createEngine({ burst: 3, ratePerSec: 2, recordTimes: true, now: clock.now });
    for (let i = 0; i < 1400; i++) {
      engine.check('t');
      clock.advance(50);
    }
    const s = engine.stats();
    assert.equal(s.budgetViolations, 0);
    assert.deepEqual(s.budgetViolationsByWindow, { 1000: 0, 60000: 0 });
    const times = s.acceptedTimestamps.t;
    assert.equal(times.length, s.accepted);
    // Recompute the max sliding-window count independently.
    let max = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[j] < times[i] - 60_000) j++;
      max = Math.max(max, i - j + 1);
    }
    assert.equal(s.maxWindowAccepted, max);
    assert.equal(s.maxWindowAccepted, 3 + 120); // burst + rate * 60 s, reached exactly
    assert.equal(s.perToken.t.maxWindowAccepted, max);

    // Via HTTP, timestamps are only reported with recordTimes.
    const srv = await start({ now: clock.now });
    await ping(srv, 'q');
    assert.equal(srv.stats().acceptedTimestamps, undefined);
    srv.reset({ recordTimes: true, windowMs: 1000 });
    await ping(srv, 'q');
    assert.deepEqual(srv.stats().acceptedTimestamps, { q: [clock.t] });
    assert.equal(srv.stats().windowMs, 1000);
  });
});

describe('CLI', () => {
  function spawnCli(args, stdin = 'pipe') {
    const child = spawn(process.execPath, [SERVER_PATH, ...args], { stdio: [stdin, 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const firstLine = new Promise((resolve, reject) => {
      let buf = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d) => {
        buf += d;
        const nl = buf.indexOf('\n');
        if (nl >= 0) resolve(buf.slice(0, nl));
      });
      exited.then(() => reject(new Error(`exited before printing; stdout=${buf}`)));
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 2900);
    exited.then(() => clearTimeout(killer));
    return { child, exited, firstLine };
  }

  test('prints the JSON line, serves, and exits when stdin closes', async () => {
    const { child, exited, firstLine } = spawnCli(['--profile', 'genesys', '--port', '0', '--burst', '1']);
    const line = await firstLine;
    const info = JSON.parse(line);
    assert.match(line, /^\{"url":"http:\/\/127\.0\.0\.1:\d+","port":\d+\}$/);
    assert.equal(info.url, `http://127.0.0.1:${info.port}`);
    const srv = { url: info.url };
    assert.equal((await ping(srv)).status, 200);
    assert.equal((await ping(srv)).status, 429);
    child.stdin.end();
    assert.deepEqual(await exited, { code: 0, signal: null });
  });

  test('exits by itself after --max-seconds', async () => {
    const t = performance.now();
    const { exited, firstLine } = spawnCli(['--max-seconds', '0.5'], 'ignore');
    JSON.parse(await firstLine);
    assert.deepEqual(await exited, { code: 0, signal: null });
    assert.ok(performance.now() - t >= 450);
  });

  test('exits on SIGTERM and on POST /__shutdown', async () => {
    const a = spawnCli(['--profile', 'strict'], 'ignore');
    JSON.parse(await a.firstLine);
    a.child.kill('SIGTERM');
    assert.equal((await a.exited).code, 0);

    const b = spawnCli([], 'ignore');
    const info = JSON.parse(await b.firstLine);
    await call({ url: info.url }, 'POST', '/__shutdown');
    assert.equal((await b.exited).code, 0);
  });

  test('rejects unknown profile and flags', async () => {
    for (const args of [['--profile', 'bogus'], ['--bogus', '1']]) {
      const child = spawn(process.execPath, [SERVER_PATH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      const code = await new Promise((resolve) => child.on('exit', resolve));
      assert.equal(code, 2);
    }
  });
});
