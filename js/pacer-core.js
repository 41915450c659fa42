'use strict'
// `PacerCore`: the core's sans-IO pacer (core/src/pacer.rs) over the engine's `NativePacer`
// (napi and WASM export the same class; bindings-common/src/pacer.rs is the codec). One
// crossing per step. Nothing here knows the configuration's layout or an enum's order: the
// slots come from `vocabulary('pacerConfig')`, actions and reasons from the core's vocabularies.

const { codedError, typeError, engineCall: call } = require('./errors')
const C = require('./convert')

module.exports = function createPacerCore (native, F, { DEFAULT_COST, out }) {
  const [STEPS, AFTERS, NEVER_REASONS, RETRY_REASONS, GIVE_UP_REASONS] =
    ['steps', 'afters', 'neverReasons', 'retryReasons', 'giveUpReasons'].map(F.vocab)
  // The store option exists only in engines built with it (not the WebAssembly one).
  const STORE_ERRORS = new Set(F.vocab('pacerConfig').includes('shared:bool') ? F.vocab('storeErrors') : [])
  const NO_REPLY = new Float64Array(0)
  // A PacerConfig (camelCase; anything left out is the core's default) → flat: the engine's
  // layout, then the lists (limits' amounts saturated at u32, so the core's range check speaks).
  const CONFIG = F.config('pacerConfig', 'PacerCore', ['backoff.retryStatuses:ints', 'limits:limits'], { extra: ['seed'], u32: C.u32 })

  // A store call's text `<L>:<key1><key2><arg>,<arg>,...` (L: each key's length in UTF-16
  // units, so any key text is safe) → {keys, args}; '' → null.
  function storeCall (text) {
    if (!text) return null
    const k = text.indexOf(':') + 1
    const L = Number(text.slice(0, k - 1))
    return { keys: [text.substr(k, L), text.substr(k + L, L)], args: text.slice(k + 2 * L).split(',') }
  }

  // A store's answer: the raw EVALSHA reply (an array of 6 integers) or an error code
  // (`store_unavailable|store_timeout|store_server|store_bad_reply`) → [numbers, code].
  function storeAnswer (r) {
    if (typeof r === 'string') {
      if (!STORE_ERRORS.has(r)) throw codedError('invalid_option', `a store error must be one of ${[...STORE_ERRORS].join(', ')}, got ${JSON.stringify(r)}`)
      return [NO_REPLY, r]
    }
    if (!Array.isArray(r)) throw typeError(`a store reply must be an array of integers or an error code, got ${C.describe(r)}`)
    // Anything but numbers (a string, null, ...) is the server's fault: the core reads it as store_bad_reply.
    return [Float64Array.from(r, (x) => typeof x === 'number' ? x : typeof x === 'bigint' ? Number(x) : NaN), '']
  }

  function step (action, n) {
    const a = STEPS[action]
    if (a === 'go') return { action: a, ticket: out[0] }
    if (a === 'wait') return { action: a, ticket: out[0], until: out[1] }
    if (a === 'consult') return { action: a, ticket: out[0], ...storeCall(call(() => n.storeCall(out[0]))) }
    return { action: a, reason: NEVER_REASONS[out[3]], capacity: out[2] }
  }

  function after (action) {
    const a = AFTERS[action]
    if (a === 'retry') return { action: a, at: out[1], attempt: out[2], reason: RETRY_REASONS[out[3]] }
    return a === 'give_up' ? { action: a, reason: GIVE_UP_REASONS[out[3]], attempts: out[2] } : { action: a }
  }

  const { nn, now: nowOf } = C
  const ticketOf = (t) => C.int(t, 'ticket')

  /**
   * The core's pacer: `begin(key, cost?, now?)` → `{action: 'go', ticket}` | `{action: 'wait',
   * ticket, until}` | `{action: 'never', reason, capacity}`; `resume(ticket, now?)` the same;
   * `finish(ticket, response | null, now?)` (`{status, headers, body?}`, null for a network
   * error) → `{action: 'done'}` | `{action: 'retry', at, attempt, reason}` | `{action:
   * 'give_up', reason, attempts}`; `cancel(ticket)`.
   *
   * Shared mode (`shared: {leaseTtlMs, idleTtlMs, maxReserveMs, callerClock, policy,
   * probeIntervalMs, peers}`, or `shared: true` for the defaults): where a step would be `go`,
   * it is `{action: 'consult', ticket, keys: [k1, k2], args: [...]}`: send `EVALSHA
   * sharedScriptSha1 2 k1 k2 ...args` and report with `consulted(ticket, reply | errorCode,
   * now?)` (a step again). `pollStore()` → `{keys, args}` | null: calls to send without
   * waiting (report each with `storeDone(reply | errorCode, now?)`); `pollEvent()` →
   * `{event: 'store_down', policy, peers}` | `{event: 'store_up', downForUs}` | null.
   */
  class PacerCore {
    #n
    #config
    constructor (config) {
      const c = C.optObj(config, 'config')
      const flat = CONFIG(c)
      const seed = c.seed === undefined || c.seed === null ? '' : C.seed(c.seed)
      this.#config = { ...c }
      this.#n = call(() => new native.NativePacer(flat, seed))
    }

    /** A pacer starting every key from the documented Genesys Cloud limit (300/min per token). */
    static genesys (config) { return new PacerCore({ ...C.optObj(config, 'config'), preset: 'genesys' }) }

    /** The configuration as given (the core's defaults for the rest). */
    get config () { return { ...this.#config } }

    begin (key, cost = DEFAULT_COST, now) {
      return step(call(() => this.#n.begin(C.str(key, 'key'), C.int(cost, 'cost'), nowOf(now), out)), this.#n)
    }

    resume (ticket, now) { return step(call(() => this.#n.resume(ticketOf(ticket), nowOf(now), out)), this.#n) }

    /** The store's reply to a `consult` (the raw EVALSHA array, or an error code): a step. */
    consulted (ticket, replyOrErrorCode, now) {
      return step(call(() => this.#n.consulted(ticketOf(ticket), ...storeAnswer(replyOrErrorCode), nowOf(now), out)), this.#n)
    }

    /** The next call to send without waiting for it (`{keys, args}`), or null. */
    pollStore () { return storeCall(call(() => this.#n.pollStore())) }

    /** The outcome of a polled call (the raw reply, or an error code). */
    storeDone (replyOrErrorCode, now) { call(() => this.#n.storeDone(...storeAnswer(replyOrErrorCode), nowOf(now))) }

    /** The next store event, or null. */
    pollEvent () {
      const e = this.#n.pollEvent()
      if (!e) return null
      const f = e.split(',')
      if (f[0] === 'store_down') return { event: f[0], policy: f[1], peers: Number(f[2]) }
      return { event: f[0], downForUs: Number(f[1]) }
    }

    finish (ticket, response, now) {
      const [id, t] = [ticketOf(ticket), nowOf(now)]
      if (response === null || response === undefined) return after(call(() => this.#n.finishNetworkError(id, t, out)))
      const r = C.obj(response, 'response')
      const [st, joined] = [C.u32(r.status, 'response.status'), C.joinHeaders(C.flattenHeaders(r.headers))]
      return after(call(() => this.#n.finish(id, st, joined, C.body(r.body, 'response.body'), t, out)))
    }

    cancel (ticket) { call(() => this.#n.cancel(ticketOf(ticket))) }

    /** The learnt limit of `key` (`{amount, periodMs, burst}`), or null. */
    learnt (key) {
      return call(() => this.#n.learnt(C.str(key, 'key'), out)) ? { amount: out[0], periodMs: out[1], burst: out[2] } : null
    }

    /** Requests of `key` in flight. */
    inFlight (key) { C.str(key, 'key'); return this.#n.inFlight(key) }

    /** Open tickets (waiting or in flight). */
    get openTickets () { return this.#n.openTickets }

    /** Tokens left in the shared retry budget (null: none configured). */
    get budgetTokens () { return nn(this.#n.budgetTokens) }
  }

  return { PacerCore }
}
