// The built plain module (target/jmeter/pacekeeper_abi.wasm) as any host sees it: no imports,
// the documented exports, records in linear memory, bounds-checked pointers. The Rust unit tests
// (abi/src/tests.rs) cover the same functions natively; this runs the wasm32 build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';

const WASM = process.env.PACEKEEPER_ABI_WASM;
const NOW = 1_700_000_000_000n;

function load() {
  assert.ok(WASM && existsSync(WASM), `PACEKEEPER_ABI_WASM must name the built module, got ${WASM}`);
  const module = new WebAssembly.Module(readFileSync(WASM));
  const instance = new WebAssembly.Instance(module, {});
  const x = instance.exports;
  const bytes = () => new Uint8Array(x.memory.buffer);
  const view = () => new DataView(x.memory.buffer);
  const put = (text) => {
    const b = new TextEncoder().encode(text);
    const p = x.pk_alloc(Math.max(b.length, 1));
    bytes().set(b, p);
    return [p, b.length];
  };
  const longs = (p, n) => Array.from({ length: n }, (_, i) => view().getBigInt64(p + 8 * i, true));
  const lastError = () => {
    const p = x.pk_alloc(256);
    const n = Number(x.pk_last_error(p, 256));
    const s = new TextDecoder().decode(bytes().slice(p, p + Math.min(n, 256)));
    x.pk_free(p, 256);
    return s;
  };
  return { module, x, put, longs, view, lastError };
}

test('no imports and the documented exports', () => {
  const { module, x } = load();
  assert.deepEqual(WebAssembly.Module.imports(module), []);
  const names = WebAssembly.Module.exports(module).map((e) => e.name).filter((n) => n.startsWith('pk_')).sort();
  assert.deepEqual(names, [
    'pk_abi_version', 'pk_alloc', 'pk_bucket_observe', 'pk_bucket_step', 'pk_decide', 'pk_free',
    'pk_last_error', 'pk_parse', 'pk_policy_default', 'pk_read', 'pk_retry', 'pk_state_init',
  ]);
  assert.equal(x.pk_abi_version(), 1);
});

test('parse, read, decide and step on wasm32', () => {
  const { x, put, longs, lastError } = load();
  const [h, hl] = put('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\ninin-ratelimit-allowed: 15\r\ninin-ratelimit-count: 15\r\ninin-ratelimit-reset: 30\r\n');
  assert.equal(x.pk_parse(429, h, hl, 0, 0, NOW), 30_000n);
  const out = x.pk_alloc(13 * 8);
  assert.equal(x.pk_read(429, h, hl, 0, 0, NOW, 0n, out), 30_000n);
  assert.deepEqual(longs(out, 13), [429n, 1n, 30000n, 0n, 30000n, 15n, 0n, 30000n, -1n, -(2n ** 63n), 0n, 0n, 4n]);
  const [b, bl] = put('{"message":"Retry the request in [7] seconds"}');
  assert.equal(x.pk_parse(429, 0, 0, b, bl, NOW), 7_000n);
  assert.equal(x.pk_parse(200, 0, 0, 0, 0, NOW), -1n);
  assert.equal(x.pk_parse(99, 0, 0, 0, 0, NOW), -106n);
  assert.match(lastError(), /^invalid_status: /);

  // Backoff: the default policy, jitter none with base 100 → 100, 200, then give up (3 attempts).
  const policy = x.pk_alloc(16 * 8);
  assert.equal(x.pk_policy_default(policy), 0n);
  const dv = new DataView(x.memory.buffer);
  dv.setBigInt64(policy + 0, 100n, true);
  dv.setBigInt64(policy + 3 * 8, 0n, true);
  dv.setBigInt64(policy + 4 * 8, 3n, true);
  const state = x.pk_alloc(8 * 8);
  assert.equal(x.pk_state_init(state, NOW, -1n), 0n); // seed u64::MAX, as its bits
  assert.equal(x.pk_decide(policy, state, 503, -1n, NOW), 100n);
  const hinted = x.pk_retry(policy, state, 429, h, hl, 0, 0, NOW); // the hint and up to 10% spread
  assert.ok(hinted >= 30_000n && hinted <= 33_000n, `${hinted}`);
  assert.equal(longs(state, 8)[6], 1n, 'reason server_hint');
  assert.equal(x.pk_decide(policy, state, 503, -1n, NOW), -3n);
  assert.deepEqual(longs(state, 3), [3n, NOW, -1n]);
  assert.equal(x.pk_decide(0, state, 200, -1n, NOW), -1n);

  // Bucket: a burst of 15 then 1/s; the state is the TAT alone.
  const o = x.pk_alloc(3 * 8);
  let tat = 0n;
  for (let i = 0; i < 15; i++) {
    assert.equal(x.pk_bucket_step(tat, 1, 1000n, 15, 1, NOW, 1, o), 0n);
    tat = longs(o, 1)[0];
  }
  assert.equal(x.pk_bucket_step(tat, 1, 1000n, 15, 1, NOW, 1, o), 1000n);
  assert.equal(longs(o, 2)[1], NOW + 1000n);
  assert.equal(x.pk_bucket_step(0n, 1, 1000n, 15, 16, NOW, 0, o), -2n);
  assert.equal(x.pk_bucket_observe(0n, 20, 1000n, 15, 429, h, hl, 0, 0, NOW, o), 30_000n);
  assert.equal(longs(o, 2)[1], NOW + 30_000n);
});

test('bad pointers are errors, never traps', () => {
  const { x, lastError } = load();
  const pages = x.memory.buffer.byteLength;
  assert.equal(x.pk_parse(200, pages - 4, 100, 0, 0, NOW), -109n);
  assert.match(lastError(), /not inside a buffer from pk_alloc/);
  assert.equal(x.pk_parse(200, -1, 10, 0, 0, NOW), -109n); // 0xffffffff
  assert.equal(x.pk_parse(200, 1024, 16, 0, 0, NOW), -109n); // Rust's own memory
  const p = x.pk_alloc(8);
  assert.equal(x.pk_read(200, 0, 0, 0, 0, NOW, 0n, p), -109n, 'out too small');
  assert.equal(x.pk_free(p, 9), -109n);
  assert.equal(x.pk_free(p, 8), 0n);
  assert.equal(x.pk_free(p, 8), -109n, 'double free');
  assert.equal(x.pk_alloc(0), 0);
  assert.equal(x.pk_alloc(17 << 20), 0);
});
