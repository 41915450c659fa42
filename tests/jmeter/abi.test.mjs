// The built plain module (target/jmeter/pacekeeper_abi.wasm) as any host sees it: no imports,
// the documented exports, records in linear memory, bounds-checked pointers. The Rust unit tests
// (abi/src/tests.rs) cover the same functions natively; this runs the wasm32 build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
    'pk_last_error', 'pk_pacer_begin', 'pk_pacer_cancel', 'pk_pacer_finish', 'pk_pacer_free',
    'pk_pacer_learnt', 'pk_pacer_new', 'pk_pacer_open_tickets', 'pk_pacer_resume', 'pk_parse',
    'pk_policy_default', 'pk_read', 'pk_retry', 'pk_state_init', 'pk_vocabulary',
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

// --- the pacer: tests/vectors/sessions.json replayed on the wasm32 build -------------------------

const SESSIONS = fileURLToPath(new URL('../vectors/sessions.json', import.meta.url));
const ACTION_FIELDS = 6;
const LIMIT_FIELDS = 3;

/** A vocabulary exported by the module (pk_vocabulary), as an array of names. */
function vocabulary({ x, put }, name) {
  const [p, n] = put(name);
  const out = x.pk_alloc(1024);
  const len = Number(x.pk_vocabulary(p, n, out, 1024));
  assert.ok(len > 0 && len <= 1024, `pk_vocabulary(${name}) = ${len}`);
  const text = new TextDecoder().decode(new Uint8Array(x.memory.buffer).slice(out, out + len));
  x.pk_free(out, 1024);
  x.pk_free(p, Math.max(n, 1));
  return text.split(',');
}

/** A vector's header pairs as the raw block JMeter passes; every pair must survive it. */
function headerBlock(pairs) {
  return pairs
    .map(([n, v]) => {
      assert.ok(n && !/[:\s]/.test(n) && v.trim() === v && !/[\r\n]/.test(v), `header ${n}: ${v} cannot travel in a block`);
      return `${n}: ${v}\r\n`;
    })
    .join('');
}

test('the scripted pacer sessions, step by step, through the wasm32 module', () => {
  const abi = load();
  const { x, put, longs, lastError } = abi;
  const doc = JSON.parse(readFileSync(SESSIONS, 'utf8'));
  assert.equal(doc.kind, 'sessions');
  assert.ok(doc.cases.length > 0, 'no session cases');
  const actions = vocabulary(abi, 'pacerActions');
  assert.deepEqual(actions, ['go', 'wait', 'never', 'done', 'retry', 'give_up']);
  const errors = vocabulary(abi, 'errorCodes');
  const retryReasons = vocabulary(abi, 'retryReasons');
  const giveUpReasons = vocabulary(abi, 'giveUpReasons');
  const neverReasons = vocabulary(abi, 'neverReasons');
  const out = x.pk_alloc(ACTION_FIELDS * 8);
  const errorOf = (code) => ({ error: errors[Number(-100n - code)] ?? `code ${code}` });
  const asJson = (code) => {
    if (code <= -100n) return errorOf(code);
    const r = longs(out, ACTION_FIELDS).map(Number);
    assert.equal(BigInt(r[0]), code, 'the return value is the record action');
    const action = actions[r[0]];
    switch (action) {
      case 'go': return { action, ticket: r[1] };
      case 'wait': return { action, ticket: r[1], until: r[2] };
      case 'never': return { action, reason: neverReasons[r[4]], capacity: r[5] };
      case 'done': return { action };
      case 'retry': return { action, at: r[2], attempt: r[3], reason: retryReasons[r[4]] };
      case 'give_up': return { action, reason: giveUpReasons[r[4]], attempts: r[3] };
      default: return { unexpected: code };
    }
  };
  // Frees every buffer it allocates.
  const withBytes = (text, f) => {
    const [p, n] = put(text);
    try {
      return f(p, n);
    } finally {
      x.pk_free(p, Math.max(n, 1));
    }
  };
  let steps = 0;
  const failures = [];
  for (const c of doc.cases) {
    const h = withBytes(JSON.stringify(c.config), (p, n) => x.pk_pacer_new(p, n));
    assert.ok(h >= 1n, `${c.name}: pk_pacer_new: ${lastError()}`);
    for (const [i, s] of c.steps.entries()) {
      steps++;
      const now = BigInt(s.now ?? 0);
      let got;
      switch (s.op) {
        case 'begin':
          got = asJson(withBytes(s.key, (p, n) => x.pk_pacer_begin(h, p, n, s.cost ?? 1, now, out)));
          break;
        case 'resume':
          got = asJson(x.pk_pacer_resume(h, BigInt(s.ticket), now, out));
          break;
        case 'cancel': {
          const code = x.pk_pacer_cancel(h, BigInt(s.ticket));
          got = code === 0n ? { action: 'cancelled' } : errorOf(code);
          break;
        }
        case 'finish': {
          const r = s.response;
          const status = r === null ? 0 : r.status;
          const block = r === null ? '' : headerBlock(r.headers);
          const body = r === null || r.body === null ? '' : r.body;
          got = asJson(
            withBytes(block, (hp, hn) =>
              withBytes(body, (bp, bn) => x.pk_pacer_finish(h, BigInt(s.ticket), status, hp, hn, bp, bn, now, out)),
            ),
          );
          break;
        }
        case 'learnt': {
          const code = withBytes(s.key, (p, n) => x.pk_pacer_learnt(h, p, n, out));
          if (code === -1n) got = null;
          else if (code === 0n) {
            const [amount, period_ms, burst] = longs(out, LIMIT_FIELDS).map(Number);
            got = { amount, period_ms, burst };
          } else got = errorOf(code);
          break;
        }
        default:
          got = { unknownOp: s.op };
      }
      try {
        assert.deepStrictEqual(got, s.expect);
      } catch {
        failures.push(`${c.name} step ${i} (${s.op} at ${s.now}): expected ${JSON.stringify(s.expect)}, got ${JSON.stringify(got)}`);
      }
    }
    assert.equal(x.pk_pacer_free(h), 0n);
    assert.equal(x.pk_pacer_free(h), -109n, 'a freed handle is dead');
  }
  assert.deepEqual(failures, []);
  assert.ok(steps >= 100, `only ${steps} steps replayed`);
});

test('pacer errors on wasm32 are codes, never traps', () => {
  const { x, put, lastError } = load();
  const [c, cl] = put('{"limits":[{"amount":1,"period_ms":1000}],"nope":1}');
  assert.equal(x.pk_pacer_new(c, cl), -109n);
  assert.match(lastError(), /^invalid_argument: config: unknown field `nope`/);
  const h = x.pk_pacer_new(0, 0); // the default configuration
  assert.ok(h >= 1n);
  const out = x.pk_alloc(ACTION_FIELDS * 8);
  const [k, kl] = put('tenant');
  assert.equal(x.pk_pacer_begin(h, k, kl, 1, NOW, out), 0n);
  assert.equal(x.pk_pacer_begin(h, k, kl, 1, -1n, out), -110n);
  assert.equal(x.pk_pacer_resume(h, 1n, NOW, out), -112n, 'ticket_state: in flight');
  assert.equal(x.pk_pacer_finish(h, 2n, 200, 0, 0, 0, 0, NOW, out), -111n, 'unknown_ticket');
  assert.equal(x.pk_pacer_finish(h, 1n, 200, 0, 0, 0, 0, NOW, out + 8), -109n, 'out past its buffer');
  assert.equal(x.pk_pacer_open_tickets(h), 1n, 'the ticket survived the bad call');
  assert.equal(x.pk_pacer_finish(h, 1n, 200, 0, 0, 0, 0, NOW, out), 3n);
  assert.equal(x.pk_pacer_open_tickets(h), 0n);
  assert.equal(x.pk_pacer_free(h), 0n);
  assert.equal(x.pk_pacer_begin(h, k, kl, 1, NOW, out), -109n, 'freed');
});
