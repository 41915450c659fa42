// Keys of rejected calls must not be kept: a loop of `check(longKey + i)` that the engine
// rejects (a key over the length limit, a cost that never fits) must not grow memory without
// bound, and `prune` must reclaim what it can. Runs against the napi and the WASM package.
//
// Measured before the fix: 40 rejected 1 MB keys kept +82 MB of RSS in WASM, 40 × 5 MB kept
// +602 MB in napi; 100,000 refused 245-byte keys kept +74 MB (WASM) / +108 MB (napi) after prune.
// The engine layer now checks a key with the core's own rule (`bucket::check_key`) before it
// interns it, and `prune` forgets every interned id (JS cache, napi slot, WASM limiter), so keys
// without core state are reclaimed too.
import test from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import v8 from 'node:v8'
import vm from 'node:vm'

const require = createRequire(import.meta.url)
const { pk, impl } = require('./impl.cjs')

const MB = 1024 * 1024

// A real collection before each measure (the test runner starts node without --expose-gc).
v8.setFlagsFromString('--expose-gc')
const gc = globalThis.gc || vm.runInNewContext('gc')

function heapAndExternal () {
  gc(); gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.external + m.arrayBuffers
}

function rssAfterGc () {
  gc(); gc()
  return process.memoryUsage().rss
}

test(`${impl}: 40 rejected 1 MB keys (over the key length limit) do not stay in memory`, () => {
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

test(`${impl}: keys refused with "never" (cost over capacity) are reclaimed by prune`, () => {
  // RSS does not shrink when an allocator keeps freed pages, so the check is that memory is
  // reused: a second round of 100,000 new refused keys after prune must not grow it again.
  const limiter = new pk.Limiter({ limits: [{ amount: 10, periodMs: 1000 }] })
  const key = 'n'.repeat(240)
  const round = (tag) => {
    for (let i = 0; i < 100_000; i++) assert.equal(limiter.check(key + tag + i, 1000, 1_700_000_000_000).decision, 'never')
    assert.equal(limiter.size, 0, 'no core state for refused keys')
    limiter.prune(1_700_000_000_000)
  }
  round('a')
  const rss1 = rssAfterGc()
  round('b')
  round('c')
  const grew = (rssAfterGc() - rss1) / MB
  assert.ok(grew < 20, `two more rounds after prune grew rss by ${grew.toFixed(0)} MB (100,000 refused 245-byte keys each, 24 MB of keys)`)
})
