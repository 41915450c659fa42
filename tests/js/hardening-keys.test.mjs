// Keys of rejected calls must not be kept: a loop of `check(longKey + i)` that the engine
// rejects (a key over the length limit, a cost that never fits) must not grow memory without
// bound, and `prune` must reclaim what it can. Runs against the napi and the WASM package.
//
// Known leak (not in the JS shells; measured: 40 rejected 1 MB keys keep +82 MB of RSS in WASM,
// 40 × 5 MB keep +602 MB in napi; 100,000 refused 245-byte keys keep +74 MB (WASM) / +108 MB
// (napi) after prune). `Limiter#check` interns every new key before the engine sees it: the JS
// layer caches it (`#keys` in bindings-node/js/engine.js), the napi slot keeps two copies
// (`Slot.keys` and `Slot.ids` in bindings-node/src/lib.rs), the WASM limiter one
// (`WasmLimiter.keys` in bindings-wasm/src/lib.rs). A rejected key never gets core state, so
// `prune` returns 0 and clears none of them. The fix belongs to the engine layer: validate the
// key length (1..=MAX_KEY_LEN bytes) before interning, and on `prune` drop every interned key
// the core limiter no longer holds (whatever `n` is), clearing `#keys` in step. Marked `todo`
// until then.
import test from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { pk, impl } = require('./impl.cjs')

const MB = 1024 * 1024

function heapAndExternal () {
  if (global.gc) { global.gc(); global.gc() }
  const m = process.memoryUsage()
  return m.heapUsed + m.external + m.arrayBuffers
}

function rssAfterGc () {
  if (global.gc) { global.gc(); global.gc() }
  return process.memoryUsage().rss
}

test(`${impl}: 40 rejected 1 MB keys (over the key length limit) do not stay in memory`, { todo: 'the engine layer interns the key before validating it (engine.js #keys, napi Slot.keys/ids, WasmLimiter.keys); see the file header' }, () => {
  const limiter = new pk.Limiter({ limits: [{ amount: 10, periodMs: 1000 }] })
  const long = 'k'.repeat(MB)
  const rss0 = rssAfterGc()
  for (let i = 0; i < 40; i++) {
    assert.throws(() => limiter.check(long + i, 1, 1_700_000_000_000), (e) => e.code === 'invalid_key')
  }
  limiter.prune(1_700_000_000_000)
  const grew = (rssAfterGc() - rss0) / MB
  assert.ok(grew < 30, `rss grew by ${grew.toFixed(0)} MB for 40 rejected keys`)
})

test(`${impl}: keys refused with "never" (cost over capacity) are reclaimed by prune`, { todo: 'prune only forgets interned keys when the core dropped some; keys without core state are never dropped' }, () => {
  const limiter = new pk.Limiter({ limits: [{ amount: 10, periodMs: 1000 }] })
  const key = 'n'.repeat(240)
  const rss0 = rssAfterGc()
  for (let i = 0; i < 100_000; i++) assert.equal(limiter.check(key + i, 1000, 1_700_000_000_000).decision, 'never')
  assert.equal(limiter.size, 0, 'no core state for refused keys')
  limiter.prune(1_700_000_000_000)
  const grew = (rssAfterGc() - rss0) / MB
  assert.ok(grew < 20, `after prune, rss +${grew.toFixed(0)} MB for 100,000 refused 245-byte keys (24 MB of keys)`)
})
