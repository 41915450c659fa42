// Binding, the genesys profile, and every profile's exact 429 headers and bodies.
// node --test tests/server/
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PROFILES } from './server.mjs';
import { T0, fakeClock, start, ping, rateHeaders, genesysBody, GENERIC_BODY } from './helpers.mjs';

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
