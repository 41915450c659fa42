// Early retries, the strict lockout, and the http-date profile's skewed server clock.
// node --test tests/server/
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { T0, fakeClock, start, ping, genesysBody } from './helpers.mjs';

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
