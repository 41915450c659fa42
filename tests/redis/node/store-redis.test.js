'use strict';
// js/store-redis.js against a real redis-server, through ioredis 6, node-redis 4 and
// node-redis 6, with the core's codec out of process (target/*/pk-codec) until the binding has it.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { startServer } = require('./redis-server');

const ROOT = path.resolve(__dirname, '../../..');
const { createRedisStore, StoreError } = require(path.join(ROOT, 'js/store-redis.js'));
const vectors = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/vectors/shared.json'), 'utf8')).cases;

function codecProcess() {
  const target = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
  const exe = ['release', 'debug'].map((p) => path.join(target, p, 'pk-codec')).find((p) => fs.existsSync(p));
  assert.ok(exe, 'build it first: cargo build -p pacekeeper-redis-tests --bin pk-codec');
  const child = spawn(exe, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()(JSON.parse(line)));
  const ask = (msg) =>
    new Promise((resolve, reject) => {
      waiting.push((a) => ('error' in a ? reject(Object.assign(new Error(a.message), { code: a.error })) : resolve(a.ok)));
      child.stdin.write(`${JSON.stringify(msg)}\n`);
    });
  return {
    child,
    ask,
    keys: (id) => ask({ fn: 'keys', id }),
    encode: (request, now) => ask({ fn: 'encode', request, now }),
    decode: (values) => ask({ fn: 'decode', values }),
  };
}


const clients = {
  'ioredis 6': async (port, timeout) => {
    const Redis = require('ioredis');
    const c = new Redis({ port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: timeout, lazyConnect: true, retryStrategy: () => null });
    c.on('error', () => {});
    await c.connect();
    return { client: c, flush: () => c.script('FLUSH'), close: () => c.disconnect() };
  },
  'node-redis 4': async (port) => {
    const { createClient } = require('redis');
    const c = createClient({ socket: { port, host: '127.0.0.1', reconnectStrategy: false, connectTimeout: 200 }, disableOfflineQueue: true });
    c.on('error', () => {});
    await c.connect();
    return { client: c, flush: () => c.scriptFlush(), close: () => c.disconnect().catch(() => {}) };
  },
  'node-redis 6': async (port) => {
    const { createClient } = require('redis-current');
    const c = createClient({ socket: { port, host: '127.0.0.1', reconnectStrategy: false, connectTimeout: 200 }, disableOfflineQueue: true });
    c.on('error', () => {});
    await c.connect();
    return { client: c, flush: () => c.scriptFlush(), close: () => c.disconnect().catch(() => {}) };
  },
};

const acquire = { op: 'acquire', cost: 1, limits: [{ interval_us: 100000, burst: 2 }], idle_ttl_us: 10000000 };

for (const [name, make] of Object.entries(clients)) {
  test(`${name}: every shared vector's reply, SCRIPT FLUSH, lockout across clients, bounded failures`, async (t) => {
    const server = await startServer(t);
    if (!server) return;
    const codec = codecProcess();
    t.after(() => codec.child.kill());
    const { script, sha1 } = await codec.ask({ fn: 'script' });
    Object.assign(codec, { script, scriptSha1: sha1 });
    const a = await make(server.port, 200);
    const b = await make(server.port, 200);
    t.after(() => { a.close(); b.close(); });
    const store = createRedisStore(a.client, codec, { timeoutMs: 200 });
    let n = 0;
    for (const c of vectors) {
      c.steps.forEach((s, i) => { s.expect = c.expect.replies[i]; });
      for (const s of c.steps) {
        if ('error' in s.expect) continue;
        assert.deepEqual(await store.call(c.budget, s.request, s.now), s.expect, c.name);
        n++;
      }
    }
    assert.ok(n >= 40);
    assert.equal(store.evals, 1);
    await a.flush();
    assert.equal((await store.call('flush', acquire)).kind, 'allow');
    assert.equal(store.evals, 2);
    // A lockout learnt through one client stops the other.
    const other = createRedisStore(b.client, codec, { timeoutMs: 200 });
    await store.call('lock', { op: 'lockout', for_us: 300000, idle_ttl_us: 1000000 });
    const r = await other.call('lock', acquire);
    assert.equal(r.kind, 'wait');
    assert.equal(r.reason, 'lockout');
    // Paused, then stopped: every call a StoreError within the timeout (plus scheduling slack).
    process.kill(server.pid, 'SIGSTOP');
    let t0 = Date.now();
    await assert.rejects(store.call('down', acquire), (e) => e instanceof StoreError && e.code === 'store_timeout');
    assert.ok(Date.now() - t0 < 500, `${Date.now() - t0} ms`);
    server.stop();
    for (let i = 0; i < 2; i++) {
      t0 = Date.now();
      await assert.rejects(store.call('down', acquire), (e) => e instanceof StoreError && e.code !== 'store_bad_reply');
      assert.ok(Date.now() - t0 < 500, `${Date.now() - t0} ms`);
    }
  });
}

test('bad arguments are TypeError/RangeError', () => {
  assert.throws(() => createRedisStore(null, {}), TypeError);
  assert.throws(() => createRedisStore({}, {}, { timeoutMs: -1 }), RangeError);
});
