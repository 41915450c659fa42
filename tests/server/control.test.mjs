// The control API (/__reset, /__profile, /__stats, /__shutdown) and the window/budget statistics.
// node --test tests/server/
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createEngine } from './server.mjs';
import { fakeClock, start, call, ping } from './helpers.mjs';

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
