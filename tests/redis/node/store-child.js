'use strict';
// A second process for store-option.test.js: through withRetry with a Redis store, gets one
// 429 with `Retry-After: 2` for `key`, prints `locked <epoch ms>` once the pacer has reported it
// (the lockout sent to the store), then retries (at or after the lockout) and prints `done`.
// Usage: node store-child.js <redis-port> <key>
const path = require('node:path');
const Redis = require('ioredis');
const pk = require(path.resolve(__dirname, '../../../bindings-node'));

const [port, key] = process.argv.slice(2);
(async () => {
  const client = new Redis({ port: Number(port), host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
  client.on('error', () => {});
  await client.connect();
  const pacer = new pk.Pacer({ store: pk.createRedisStore(client, { timeoutMs: 500 }) });
  let n = 0;
  let lockedAt = 0;
  await pk.withRetry(async () => {
    n += 1;
    if (n === 1) { lockedAt = Date.now(); return { status: 429, headers: { 'retry-after': '2' } }; }
    return { status: 200, headers: {} };
  }, {
    pacer,
    key,
    onRetry: async () => {
      await pacer.flush();
      process.stdout.write(`locked ${lockedAt}\n`);
    },
  });
  await pacer.flush();
  process.stdout.write(`done ${Date.now()}\n`);
  client.disconnect();
})().catch((e) => { console.error(e); process.exit(1); });
