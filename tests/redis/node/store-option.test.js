'use strict';
// The `store` option of the Node helpers (js/pacing.js, helpers.js) against a real
// redis-server: a lockout learnt in one process holds back another through withRetry, and a
// store paused then stopped mid-run keeps every call bounded, says `store_down`, and says
// `store_up` once it is back — through ioredis 6 and node-redis 4.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { startServer } = require('./redis-server');

const ROOT = path.resolve(__dirname, '../../..');
const pk = require(path.join(ROOT, 'bindings-node'));


const clients = {
  'ioredis 6': async (port) => {
    const Redis = require('ioredis');
    const c = new Redis({ port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => 50 });
    c.on('error', () => {});
    await c.connect();
    return { client: c, close: () => c.disconnect() };
  },
  'node-redis 4': async (port) => {
    const { createClient } = require('redis');
    const c = createClient({ socket: { port, host: '127.0.0.1', connectTimeout: 200, reconnectStrategy: () => 50 }, disableOfflineQueue: true });
    c.on('error', () => {});
    await c.connect();
    return { client: c, close: () => c.disconnect().catch(() => {}) };
  },
};

test('exports: createRedisStore, StoreError, the script; bad arguments are coded errors', () => {
  assert.equal(typeof pk.createRedisStore, 'function');
  assert.match(pk.sharedScriptSha1(), /^[0-9a-f]{40}$/);
  assert.ok(pk.sharedScript().length > 100);
  assert.throws(() => pk.createRedisStore(null), (e) => e instanceof TypeError && e.code === 'invalid_argument');
  assert.throws(() => pk.createRedisStore({}), (e) => e instanceof TypeError && e.code === 'invalid_argument');
  assert.throws(() => pk.createRedisStore({ evalsha () {}, eval () {} }, { timeoutMs: 0 }), (e) => e instanceof RangeError && e.code === 'invalid_option');
  assert.throws(() => pk.createRedisStore({ evalsha () {}, eval () {} }, { timeout: 5 }), (e) => e.code === 'invalid_argument');
  assert.throws(() => new pk.Pacer({ store: {} }), (e) => e instanceof TypeError);
  assert.throws(() => new pk.Pacer({ shared: { policy: 'deny' } }), (e) => e instanceof TypeError);
  assert.throws(() => new pk.Pacer({ onStoreEvent: () => {} }), (e) => e instanceof TypeError);
  const fake = { send: async () => [0, 0, 0, 0, 0, 0] };
  assert.throws(() => new pk.Pacer({ store: fake, shared: { policy: 'sometimes' } }), (e) => e instanceof RangeError);
  // A limiter shared by a pacer with a store and a call without one: two cores, the call in memory.
  return (async () => {
    const limiter = new pk.Limiter({ limits: [{ amount: 100, periodMs: 1000 }] });
    let sends = 0;
    const down = { send: async () => { sends++; throw new pk.StoreError('store_unavailable', 'down'); } };
    const withStore = new pk.Pacer({ limiter, store: down });
    await withStore.run('k', () => ({ status: 200, headers: {} }));
    const before = sends;
    assert.ok(before >= 1);
    assert.equal(await pk.withRetry(() => 'ok', { limiter, key: 'k' }), 'ok');
    assert.equal(sends, before, 'the call without a store consulted none');
    const other = new pk.Pacer({ limiter });
    assert.notEqual(other.core, withStore.core);
    // No store: today's in-memory pacer, nothing consulted.
    const p = new pk.Pacer({ limits: [{ amount: 5, periodMs: 1000 }] });
    assert.equal(p.store, null);
  })();
});

test('a lockout learnt in another process holds back withRetry here (one Redis budget)', async (t) => {
  const server = await startServer(t);
  if (!server) return;
  const child = spawn(process.execPath, [path.join(__dirname, 'store-child.js'), String(server.port), 'tenant-x'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const lines = readline.createInterface({ input: child.stdout });
  const next = () => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the child said nothing within 10 s')), 10000);
    lines.once('line', (l) => { clearTimeout(timer); resolve(l); });
  });
  const locked = await next();
  assert.match(locked, /^locked \d+$/);
  const lockedAt = Number(locked.split(' ')[1]);
  const { client, close } = await clients['ioredis 6'](server.port);
  t.after(close);
  const store = pk.createRedisStore(client, { timeoutMs: 500 });
  const events = [];
  let sentAt = 0;
  // Another key is not held back; the locked one is held until the Retry-After (2 s) is over.
  const t0 = Date.now();
  await pk.withRetry(() => ({ status: 200, headers: {} }), { store, key: 'tenant-y', onStoreEvent: (e) => events.push(e) });
  assert.ok(Date.now() - t0 < 1000, `an unrelated key waited ${Date.now() - t0} ms`);
  await pk.withRetry(() => { sentAt = Date.now(); return { status: 200, headers: {} }; }, { store, key: 'tenant-x', onStoreEvent: (e) => events.push(e) });
  assert.ok(sentAt >= lockedAt + 2000 - 20, `sent ${sentAt - lockedAt} ms after the other process's 429 (Retry-After: 2)`);
  assert.ok(sentAt < lockedAt + 4000, `held ${sentAt - lockedAt} ms`);
  assert.match(await next(), /^done \d+$/);
  assert.deepEqual(events, []);
});

for (const [name, make] of Object.entries(clients)) {
  test(`${name}: the store paused then stopped mid-run: bounded calls, store_down, then store_up`, async (t) => {
    const server = await startServer(t);
    if (!server) return;
    const { client, close } = await make(server.port);
    t.after(close);
    const events = [];
    const timeoutMs = 150;
    const pacer = new pk.Pacer({
      limits: [{ amount: 100, periodMs: 1000, burst: 10 }],
      store: pk.createRedisStore(client, { timeoutMs }),
      shared: { policy: 'degrade', peers: 2, probeIntervalMs: 200 },
      onStoreEvent: (e) => events.push({ ...e, at: Date.now() }),
    });
    const ok = () => ({ status: 200, headers: {} });
    let calls = 0;
    const run = async () => {
      const t0 = Date.now();
      await pk.withRetry(ok, { pacer, key: 'budget' });
      calls++;
      return Date.now() - t0;
    };
    for (let i = 0; i < 10; i++) assert.ok(await run() < timeoutMs, 'a healthy store answers quickly');
    assert.deepEqual(events, []);
    // Paused: each call returns within the store's timeout plus the local (degraded) pacing.
    process.kill(server.pid, 'SIGSTOP');
    const worst = [];
    for (let i = 0; i < 8; i++) worst.push(await run());
    assert.ok(Math.max(...worst) < timeoutMs + 300, `calls took ${worst.join(', ')} ms with the store paused`);
    const down = events.find((e) => e.event === 'store_down');
    assert.ok(down, `events: ${JSON.stringify(events)}`);
    assert.equal(down.policy, 'degrade');
    // Back: within a few probe intervals the pacer is shared again.
    process.kill(server.pid, 'SIGCONT');
    const back = Date.now();
    for (let i = 0; i < 100 && !events.some((e) => e.event === 'store_up'); i++) {
      await run();
      await new Promise((r) => setTimeout(r, 20));
    }
    const up = events.find((e) => e.event === 'store_up');
    assert.ok(up, `no store_up: ${JSON.stringify(events)}`);
    assert.ok(up.at - back < 2000, `store_up ${up.at - back} ms after the store came back`);
    assert.ok(up.downForUs > 0);
    // Stopped for good: still bounded.
    server.stop();
    const after = [];
    for (let i = 0; i < 5; i++) after.push(await run());
    assert.ok(Math.max(...after) < timeoutMs + 300, `calls took ${after.join(', ')} ms with the store gone`);
    assert.ok(calls >= 24, `${calls} calls`);
  });
}

test('policy deny: a down store refuses with store_denied, never a rate denial', async (t) => {
  const server = await startServer(t);
  if (!server) return;
  const { client, close } = await clients['ioredis 6'](server.port);
  t.after(close);
  const pacer = new pk.Pacer({ store: pk.createRedisStore(client, { timeoutMs: 100 }), shared: { policy: 'deny' } });
  let sent = 0;
  await pacer.run('k', () => { sent++; return { status: 200, headers: {} }; });
  server.stop();
  const t0 = Date.now();
  await assert.rejects(pacer.run('k', () => { sent++; return { status: 200, headers: {} }; }), (e) => e.code === 'store_denied');
  assert.ok(Date.now() - t0 < 500);
  assert.equal(sent, 1);
});

test('wrapFetch and Pacer given stores over two clients share one budget per key', async (t) => {
  const server = await startServer(t);
  if (!server) return;
  const a = await clients['ioredis 6'](server.port);
  const b = await clients['node-redis 4'](server.port);
  t.after(() => { a.close(); b.close(); });
  const limits = [{ amount: 20, periodMs: 1000, burst: 2 }];
  const sent = [];
  const fetchImpl = async (url) => { sent.push(Date.now()); return new Response('ok', { status: 200 }); };
  const f = pk.wrapFetch(fetchImpl, { limits, store: pk.createRedisStore(a.client), key: 'api' });
  const pacer = new pk.Pacer({ limits, store: pk.createRedisStore(b.client) });
  assert.equal(f.pacer.store !== null, true);
  const t0 = Date.now();
  for (let i = 0; i < 3; i++) {
    assert.equal((await f('http://127.0.0.1:9/x')).status, 200);
    await pacer.run('api', () => { sent.push(Date.now()); return { status: 200, headers: {} }; });
  }
  // 6 requests on one budget of burst 2, then one per 50 ms: at least 4 intervals.
  assert.ok(Date.now() - t0 >= 190, `${Date.now() - t0} ms for 6 requests`);
  assert.equal(sent.length, 6);
});

test('the README\'s Node store example runs against a real server', async (t) => {
  const server = await startServer(t);
  if (!server) return;
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```javascript\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes('createRedisStore'));
  assert.ok(block, 'the README has the example');
  const http = require('node:http');
  const api = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{}'); });
  await new Promise((r) => api.listen(0, '127.0.0.1', r));
  t.after(() => api.close());
  const sdk = require.resolve('genesys-sdk-latest', { paths: [path.join(ROOT, 'bindings-node')] });
  const src = block.replaceAll("require('pacekeeper')", `require(${JSON.stringify(path.join(ROOT, 'bindings-node'))})`);
  const file = path.join(__dirname, '.readme-store.cjs');
  fs.writeFileSync(file, `(async () => {
const url = 'http://127.0.0.1:${api.address().port}/'
const apiClient = new (require(${JSON.stringify(sdk)}).ApiClientClass)()
${src}
if (res.status !== 200) throw new Error('status ' + res.status)
if (!apiClient.__pacekeeper || !apiClient.__pacekeeper.pacer.store) throw new Error('not installed with a store')
redis.disconnect()
console.log('ok')
})().catch((e) => { console.error(e); process.exit(1) })
`);
  t.after(() => fs.rmSync(file, { force: true }));
  const out = await new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [file], { env: { ...process.env, REDIS_URL: `redis://127.0.0.1:${server.port}` }, stdio: ['ignore', 'pipe', 'inherit'] });
    let o = '';
    c.stdout.on('data', (d) => { o += d; });
    const timer = setTimeout(() => c.kill('SIGKILL'), 20000);
    c.on('close', (code) => { clearTimeout(timer); code === 0 ? resolve(o) : reject(new Error(`exit ${code}: ${o}`)); });
  });
  assert.equal(out.trim(), 'ok');
});
