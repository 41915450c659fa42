// Compiled (not run) by smoke.test.cjs with `tsc --noEmit --strict` (bundler and nodenext resolution): the
// package's declarations, re-exported from the bundled shared layer, describe both entry points.
import pk, { Limiter, parseHeaders, type Reading } from 'pacekeeper-wasm'
import init, { Limiter as WebLimiter } from 'pacekeeper-wasm/web'

const limiter: Limiter = new Limiter({ limits: [{ amount: 1, periodMs: 1000 }] })
const reading: Reading = parseHeaders({ status: 429, headers: [['Retry-After', '1']] }, { now: 0 })
const waitMs: number | null = reading.waitMs
const api: typeof pk = await init()
const web: WebLimiter = new api.Limiter({ limits: [{ amount: 1, periodMs: 1000 }] })
export { limiter, waitMs, web }
