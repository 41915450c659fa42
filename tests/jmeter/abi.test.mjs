// The built plain module (target/jmeter/pacekeeper_abi.wasm) as any host sees it: no imports,
// the documented exports, answers in linear memory, bounds-checked pointers. The Rust unit tests
// (abi/src/tests.rs) cover the same functions natively; this runs the wasm32 build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const WASM = process.env.PACEKEEPER_ABI_WASM;
const NOW = 1_700_000_000_000n;
const OUT_SLOTS = 4; // the codec's answer: ticket, until|at, attempt(s)|capacity, reason

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
  // The answer's slots (little-endian f64; NaN: none → null).
  const slots = (p) => Array.from({ length: OUT_SLOTS }, (_, i) => view().getFloat64(p + 8 * i, true)).map((v) => (Number.isNaN(v) ? null : v));
  const lastError = () => {
    const p = x.pk_alloc(256);
    const n = Number(x.pk_last_error(p, 256));
    const s = new TextDecoder().decode(bytes().slice(p, p + Math.min(n, 256)));
    x.pk_free(p, 256);
    return s;
  };
  return { module, x, put, slots, view, lastError };
}

test('no imports and the documented exports', () => {
  const { module, x } = load();
  assert.deepEqual(WebAssembly.Module.imports(module), []);
  const names = WebAssembly.Module.exports(module).map((e) => e.name).filter((n) => n.startsWith('pk_')).sort();
  assert.deepEqual(names, [
    'pk_abi_version', 'pk_alloc', 'pk_free', 'pk_last_error', 'pk_pacer_begin', 'pk_pacer_cancel',
    'pk_pacer_finish', 'pk_pacer_free', 'pk_pacer_learnt', 'pk_pacer_new', 'pk_pacer_open_tickets',
    'pk_pacer_resume', 'pk_vocabulary',
  ]);
  assert.equal(x.pk_abi_version(), 2);
});

test('bad pointers are errors, never traps', () => {
  const { x, put, lastError } = load();
  const pages = x.memory.buffer.byteLength;
  const voc = (p, n) => x.pk_vocabulary(p, n, 0, 0);
  assert.equal(voc(pages - 4, 100), -109n);
  assert.match(lastError(), /not inside a buffer from pk_alloc/);
  assert.equal(voc(-1, 10), -109n); // 0xffffffff
  assert.equal(voc(1024, 16), -109n); // Rust's own memory
  const [j, jl] = put('jitters');
  assert.equal(voc(j, jl), BigInt('none,full,equal,decorrelated'.length));
  const h = x.pk_pacer_new(0, 0);
  const p = x.pk_alloc(8);
  assert.equal(x.pk_pacer_begin(h, j, jl, 1n, NOW, p), -109n, 'out too small for 4 numbers');
  assert.equal(x.pk_pacer_open_tickets(h), 0n, 'nothing began');
  assert.equal(x.pk_free(p, 9), -109n);
  assert.equal(x.pk_free(p, 8), 0n);
  assert.equal(x.pk_free(p, 8), -109n, 'double free');
  assert.equal(x.pk_alloc(0), 0);
  assert.equal(x.pk_alloc(17 << 20), 0);
});

// --- the pacer: tests/vectors/sessions.json replayed on the wasm32 build -------------------------

const SESSIONS = fileURLToPath(new URL('../vectors/sessions.json', import.meta.url));

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
  const { x, put, slots, lastError } = abi;
  const doc = JSON.parse(readFileSync(SESSIONS, 'utf8'));
  assert.equal(doc.kind, 'sessions');
  assert.ok(doc.cases.length > 0, 'no session cases');
  const stepNames = vocabulary(abi, 'steps');
  const afters = vocabulary(abi, 'afters');
  assert.deepEqual([...stepNames.slice(0, 3), ...afters], ['go', 'wait', 'never', 'done', 'retry', 'give_up']);
  const errors = vocabulary(abi, 'errorCodes');
  const retryReasons = vocabulary(abi, 'retryReasons');
  const giveUpReasons = vocabulary(abi, 'giveUpReasons');
  const neverReasons = vocabulary(abi, 'neverReasons');
  const out = x.pk_alloc(OUT_SLOTS * 8);
  const errorOf = (code) => ({ error: errors[Number(-100n - code)] ?? `code ${code}` });
  /** An answer in the vectors' shape: `names` (steps or afters) name the code. */
  const asJson = (code, names) => {
    if (code <= -100n) return errorOf(code);
    const [a, b, c, d] = slots(out);
    const action = names[Number(code)];
    switch (action) {
      case 'go': return { action, ticket: a };
      case 'wait': return { action, ticket: a, until: b };
      case 'never': return { action, reason: neverReasons[d], capacity: c };
      case 'done': return { action };
      case 'retry': return { action, at: b, attempt: c, reason: retryReasons[d] };
      case 'give_up': return { action, reason: giveUpReasons[d], attempts: c };
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
          got = asJson(withBytes(s.key, (p, n) => x.pk_pacer_begin(h, p, n, BigInt(s.cost ?? 1), now, out)), stepNames);
          break;
        case 'resume':
          got = asJson(x.pk_pacer_resume(h, BigInt(s.ticket), now, out), stepNames);
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
            afters,
          );
          break;
        }
        case 'learnt': {
          const code = withBytes(s.key, (p, n) => x.pk_pacer_learnt(h, p, n, out));
          if (code === -1n) got = null;
          else if (code === 0n) {
            const [amount, period_ms, burst] = slots(out);
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
  const { x, put, slots, lastError } = load();
  const [c, cl] = put('{"limits":[{"amount":1,"period_ms":1000}],"nope":1}');
  assert.equal(x.pk_pacer_new(c, cl), -109n);
  assert.match(lastError(), /^invalid_argument: config: unknown field `nope`/);
  const [big, bl] = put('{"limits":[{"amount":1,"period_ms":9007199254740992}]}');
  assert.equal(x.pk_pacer_new(big, bl), -110n, 'beyond 2^53 - 1: invalid_number, as in every runtime');
  const h = x.pk_pacer_new(0, 0); // the default configuration
  assert.ok(h >= 1n);
  const out = x.pk_alloc(OUT_SLOTS * 8);
  const [k, kl] = put('tenant');
  assert.equal(x.pk_pacer_begin(h, k, kl, 1n, NOW, out), 0n, 'go');
  assert.deepEqual(slots(out), [1, null, null, null]);
  assert.equal(x.pk_pacer_begin(h, k, kl, 1n, -1n, out), -110n);
  assert.equal(x.pk_pacer_begin(h, k, kl, 2n ** 53n, NOW, out), -110n);
  assert.equal(x.pk_pacer_resume(h, 1n, NOW, out), -112n, 'ticket_state: in flight');
  assert.equal(x.pk_pacer_finish(h, 2n, 200, 0, 0, 0, 0, NOW, out), -111n, 'unknown_ticket');
  assert.equal(x.pk_pacer_finish(h, 1n, 200, 0, 0, 0, 0, NOW, out + 8), -109n, 'out past its buffer');
  assert.equal(x.pk_pacer_open_tickets(h), 1n, 'the ticket survived the bad call');
  assert.equal(x.pk_pacer_finish(h, 1n, 200, 0, 0, 0, 0, NOW, out), 0n, 'done');
  assert.equal(x.pk_pacer_open_tickets(h), 0n);
  assert.equal(x.pk_pacer_free(h), 0n);
  assert.equal(x.pk_pacer_begin(h, k, kl, 1n, NOW, out), -109n, 'freed');
});
