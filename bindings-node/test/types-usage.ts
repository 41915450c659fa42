// Compiled (not run) by types.test.cjs with `tsc --noEmit --strict`: the declarations describe
// the API as the tests use it.
import pk, { Limiter, Backoff, parseHeaders, newRetryState, newRetryBudget, plan, replan, withRetry, wrapFetch, Pacer,
  installGenesys, RetryError, createRedisStore, StoreError, type StoreEvent, type Verdict, type Reading, type Decision, type Plan } from 'pacekeeper'

const lim = new Limiter({ limits: [{ amount: 1, periodMs: 1000, burst: 15 }], maxInFlight: 4 })
const v: Verdict = lim.check('k', 1, 0)
if (v.decision === 'wait') { const until: number = v.until; void until }
const r: Reading = parseHeaders({ status: 429, headers: { 'Retry-After': '3' } }, { now: 0, resetMode: 'auto' })
lim.observe('k', r, 0)
const saved = JSON.parse(JSON.stringify(lim))
const back: Limiter = Limiter.fromJSON(saved)
void back.size
const b = new Backoff({ jitter: 'full', baseMs: 100 })
const st = newRetryState(0, 2n ** 64n - 1n)
const d: Decision = b.decide(st, r, 0, newRetryBudget({ capacity: 10 }))
void d
const p: Plan = plan({ records: 10, maxBatchRecords: 5 }, 0)
void replan({ records: 10, maxBatchRecords: 5 }, p, [{ status: 'throttled', index: 0, retryAt: 5 }], 1)
async function main (): Promise<void> {
  const x: string = await withRetry(async ({ attempt }) => `a${attempt}`, { backoff: { maxAttempts: 3 }, signal: AbortSignal.timeout(1000) })
  const f = wrapFetch(fetch, { limits: [{ amount: 5, periodMs: 1000 }] })
  const res: Response = await f('http://127.0.0.1:1/')
  const pacer = new Pacer({ limits: [{ amount: 5, periodMs: 1000 }] })
  await pacer.run('k', async () => 1)
  const h = installGenesys({}, { limits: [{ amount: 300, periodMs: 60000, burst: 15 }] })
  h.uninstall()
  try { await withRetry(() => 1) } catch (e) { if (e instanceof RetryError) console.log(e.attempts, e.lastResponse?.status) }
  void x; void res; void pk.version()
  // Shared budgets through the user's own Redis client.
  const store = createRedisStore({ evalsha () {}, eval () {} }, { timeoutMs: 200 })
  const shared = new Pacer({ store, shared: { policy: 'degrade', peers: 5 }, onStoreEvent: (e: StoreEvent) => { if (e.event === 'store_up') console.log(e.downForUs) } })
  await withRetry(() => 1, { store, key: 'tenant-a' })
  installGenesys({}, { store, key: 'tenant-a' })
  await shared.flush()
  try { await store.send(['a', 'b'], ['1']) } catch (e) { if (e instanceof StoreError) console.log(e.code) }
}
void main
