'use strict';
// A Node worker for the cross-runtime herd test: hammers one budget through store-redis.js
// (ioredis) for a bounded time, sleeping as told, and prints the server times of its admissions.
// Usage: node worker.js <port> <budget> <ms> <request-json> <codec-exe>
const path = require('node:path');
const { spawn } = require('node:child_process');
const readline = require('node:readline');
const Redis = require('ioredis');
const { createRedisStore } = require(path.resolve(__dirname, '../../../js/store-redis.js'));

const [port, budget, ms, requestJson, exe] = process.argv.slice(2);
const child = spawn(exe, [], { stdio: ['pipe', 'pipe', 'inherit'] });
const waiting = [];
readline.createInterface({ input: child.stdout }).on('line', (l) => waiting.shift()(JSON.parse(l)));
const ask = (msg) => new Promise((resolve, reject) => {
  waiting.push((a) => ('error' in a ? reject(new Error(a.message)) : resolve(a.ok)));
  child.stdin.write(`${JSON.stringify(msg)}\n`);
});

(async () => {
  const { script, sha1 } = await ask({ fn: 'script' });
  const codec = {
    script, scriptSha1: sha1,
    keys: (id) => ask({ fn: 'keys', id }),
    encode: (request, now) => ask({ fn: 'encode', request, now }),
    decode: (values) => ask({ fn: 'decode', values }),
  };
  const client = new Redis({ port: Number(port), host: '127.0.0.1', maxRetriesPerRequest: 0 });
  const store = createRedisStore(client, codec, { timeoutMs: 1000 });
  const request = JSON.parse(requestJson);
  const admitted = [];
  const end = Date.now() + Number(ms);
  for (let calls = 0; Date.now() < end && calls < 100000; calls++) {
    const r = await store.call(budget, request);
    if (r.kind === 'allow') admitted.push(r.now_us);
    else await new Promise((res) => setTimeout(res, Math.min(r.wait_us / 1000, 100)));
  }
  process.stdout.write(`${JSON.stringify(admitted)}\n`);
  client.disconnect();
  child.kill();
})().catch((e) => { console.error(e); process.exit(1); });
