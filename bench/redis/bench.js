'use strict';
// Node: one decision through Redis on loopback, sequentially from one process.
// pacekeeper's script (EVALSHA over ioredis; the arguments from the core's codec, encoded once)
// beside bottleneck 2.19.5's Redis clustering (datastore 'ioredis'), against the same server.
// Usage: node bench.js <port> <n> <keys-json> <args-json> <sha1>
const Redis = require('ioredis');
const Bottleneck = require('bottleneck');

const [port, n, keysJson, argsJson, sha] = process.argv.slice(2);
const N = Number(n);

function report(label, lat, totalMs) {
  lat.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const us = (ns) => (Number(ns) / 1000).toFixed(1);
  console.log(
    `${label.padEnd(46)} n=${String(N).padStart(6)}  p50 ${us(lat[N >> 1]).padStart(7)} µs  p99 ${us(lat[Math.floor(N * 0.99)]).padStart(7)} µs  ${(N / (totalMs / 1000)).toFixed(0).padStart(7)} decisions/s`,
  );
}

async function timed(label, fn) {
  for (let i = 0; i < 500; i++) await fn(i); // warm-up
  const lat = new Array(N);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    lat[i] = process.hrtime.bigint() - t;
  }
  report(label, lat, Number(process.hrtime.bigint() - t0) / 1e6);
}

(async () => {
  const keys = JSON.parse(keysJson);
  const args = JSON.parse(argsJson);
  const client = new Redis({ port: Number(port), host: '127.0.0.1' });
  await timed('node  pacekeeper script, 1 limit (ioredis)', () => client.evalsha(sha, 2, ...keys, ...args));
  client.disconnect();
  const limiter = new Bottleneck({
    id: 'bench',
    datastore: 'ioredis',
    clearDatastore: true,
    clientOptions: { host: '127.0.0.1', port: Number(port) },
    maxConcurrent: null,
    minTime: 0,
    reservoir: null,
  });
  await limiter.ready();
  await timed('node  bottleneck 2.19.5 clustering (ioredis)', () => limiter.schedule(() => Promise.resolve()));
  await limiter.disconnect();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
