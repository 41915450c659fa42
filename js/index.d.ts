// Type declarations of the shared JS layer (`pacekeeper-js-api`), the API of both `pacekeeper` and
// `pacekeeper-wasm` (each package's index.d.ts re-exports these). The engine's low-level interface
// (bindings-node/native.d.ts) is generated from the Rust source by napi-rs and checked in CI
// (`make check-generated`); this file declares the idiomatic API built on it here in js/ (API.md).

/** The version of the engine (the crate version). */
export declare function version(): string
/** Every stable error code an error's `.code` can take. */
export declare function errorCodes(): Array<string>

export type ErrorCode =
  | 'invalid_limit' | 'too_many_limits' | 'invalid_cost' | 'invalid_policy' | 'invalid_batch'
  | 'invalid_key' | 'invalid_status' | 'invalid_option' | 'invalid_state' | 'invalid_argument' | 'invalid_number'
  | 'unknown_ticket' | 'ticket_state'

/** Any header shape: `[name, value]` pairs, a flat raw list, a plain object, `Headers`, `Map`, axios headers. */
export type HeadersInput =
  | Array<[string, string | number | Array<string>]>
  | Array<string>
  | Record<string, string | number | Array<string> | undefined>
  | Iterable<[string, string]>
  | Map<string, string | Array<string>>

export interface ResponseInput { status: number; headers: HeadersInput; body?: string | null }
export interface ParseOptions { now?: number; maxWaitMs?: number; resetMode?: 'auto' | 'epoch_seconds' | 'epoch_millis' | 'delta_seconds' | 'delta_millis' }

export interface Reading {
  status: number
  throttled: boolean
  retryAfterMs: number | null
  retryAfterLenient: boolean
  limit: number | null
  remaining: number | null
  resetMs: number | null
  windowMs: number | null
  source: 'ietf' | 'ietf_draft07' | 'ratelimit_trio' | 'x_ratelimit' | 'genesys' | 'shopify' | null
  policies: Array<{ name: string; quota: number; quotaUnit: string; windowS: number | null; partitionKey: string | null }>
  states: Array<{ name: string; remaining: number; resetS: number | null; partitionKey: string | null }>
  waitMs: number | null
  waitSource: 'retry_after' | 'reset' | 'body' | null
  dateSkewMs: number | null
  capped: boolean
  rejected: Array<{ header: string; value: string; reason: string }>
}

/** Parses a response's rate-limit headers (and a Genesys 429 body) into one Reading. */
export declare function parseHeaders(response: ResponseInput, options?: ParseOptions): Reading

export interface Limit { amount: number; periodMs: number; burst?: number }
export interface AdaptiveConfig { initialMilliRps?: number; minMilliRps?: number; maxMilliRps?: number; decreasePercent?: number; increasePercent?: number }
export interface LimiterOptions { limits?: Array<Limit>; learn?: boolean; adaptive?: AdaptiveConfig | boolean | null; maxInFlight?: number | null }

export type Verdict =
  | { decision: 'allow'; remaining: number | null }
  | { decision: 'wait'; until: number; waitMs: number }
  | { decision: 'never'; cost: number; capacity: number }

export interface SavedLimiter { config: LimiterOptions; state: string }

/** Keyed GCRA token buckets (up to three limits at once per key). */
export declare class Limiter {
  constructor(options?: LimiterOptions)
  static fromJSON(saved: SavedLimiter): Limiter
  check(key: string, cost?: number, now?: number): Verdict
  peek(key: string, cost?: number, now?: number): Verdict
  reserve(key: string, cost?: number, now?: number): Verdict
  observe(key: string, reading: Reading, now?: number): void
  blockUntil(key: string, until: number): void
  acquire(key: string): boolean
  release(key: string): number
  prune(now?: number): number
  readonly size: number
  toJSON(): SavedLimiter
}

export interface BackoffPolicy {
  baseMs?: number; multiplier?: number; capMs?: number; jitter?: 'none' | 'full' | 'equal' | 'decorrelated'
  maxAttempts?: number; deadlineMs?: number | null; retryStatuses?: Array<number>; retryNetworkErrors?: boolean
  hintSpreadPercent?: number; maxWaitMs?: number
}
export type Seed = number | bigint
export interface RetryState { attempts: number; startedAt: number; seed: Seed; prevDelayMs: number; lastHintMs: number | null; shortHints: number }
export interface RetryBudget { capacity: number; tokens: number; retryCost: number; networkCost: number; successRefund: number }
export type Decision =
  | { decision: 'done' }
  | { decision: 'retry'; at: number; delayMs: number; attempt: number; reason: 'backoff' | 'server_hint' | 'escalated' }
  | { decision: 'give_up'; reason: 'not_retryable' | 'max_attempts' | 'deadline' | 'retry_budget' | 'wait_too_long'; attempts: number }

/** Jittered backoff with the server's word as a floor. */
export declare class Backoff {
  constructor(policy?: BackoffPolicy)
  readonly policy: Required<BackoffPolicy>
  /** One decision; mutates `state` (and `budget`). `reading` null means a network error. */
  decide(state: RetryState, reading: Reading | null, now?: number, budget?: RetryBudget | null): Decision
  delayMs(n: number, prevMs: number, seed: Seed): number
  schedule(seed: Seed, n: number): Array<number>
}
export declare function newRetryState(startedAt?: number, seed?: Seed): RetryState
export declare function newRetryBudget(options?: Partial<RetryBudget>): RetryBudget

export interface PlanRequest {
  records?: number; sizes?: Array<number> | null; maxBatchRecords: number; maxBatchBytes?: number | null
  overheadBytes?: number; limits?: Array<Limit>; costPerBatch?: number
}
export interface Batch { index: number; start: number; end: number; bytes: number; sendAt: number }
export interface Plan { batches: Array<Batch>; start: number; finishAt: number; durationMs: number }
export type BatchOutcome =
  | { status: 'done'; index: number }
  | { status: 'failed'; index: number }
  | { status: 'throttled'; index: number; retryAt: number }
export declare function plan(request: PlanRequest, now?: number): Plan
export declare function replan(request: PlanRequest, previous: Plan, outcomes: Array<BatchOutcome>, now?: number): Plan

// --- the core pacer --------------------------------------------------------------------------

export interface PacerConfig {
  limits?: Array<Limit>
  preset?: 'genesys' | null
  learn?: boolean
  backoff?: BackoffPolicy
  retryBudget?: Partial<RetryBudget> | null
  seed?: Seed
  probePollMs?: number
  maxWindow?: number
  parse?: { maxWaitMs?: number; resetMode?: ParseOptions['resetMode'] }
  /** Pace through a store shared by many processes (native engine only; see API.md). */
  shared?: SharedPacing | boolean
}
/** The store option (`pacer::SharedPacing`); anything left out is the core's default. */
export interface SharedPacing {
  leaseTtlMs?: number
  idleTtlMs?: number
  maxReserveMs?: number
  callerClock?: boolean
  policy?: 'degrade' | 'deny' | 'allow'
  probeIntervalMs?: number
  peers?: number
  heartbeatMs?: number
}
export type Step =
  | { action: 'go'; ticket: number }
  | { action: 'wait'; ticket: number; until: number }
  | { action: 'never'; reason: 'cost_above_burst' | 'store_denied'; capacity: number }
  /** Shared mode: send `EVALSHA sharedScriptSha1 2 ...keys ...args`, then `consulted`. */
  | { action: 'consult'; ticket: number; keys: [string, string]; args: Array<string> }
/** A store's answer: the script's raw reply (6 integers) or why the call failed. */
export type StoreAnswer = Array<number> | 'store_unavailable' | 'store_timeout' | 'store_server' | 'store_bad_reply'
export type StoreEvent =
  | { event: 'store_down'; policy: 'degrade' | 'deny' | 'allow'; peers: number }
  | { event: 'store_up'; downForUs: number }
export type After =
  | { action: 'done' }
  | { action: 'retry'; at: number; attempt: number; reason: 'backoff' | 'server_hint' | 'escalated' }
  | { action: 'give_up'; reason: 'not_retryable' | 'max_attempts' | 'deadline' | 'retry_budget' | 'wait_too_long'; attempts: number }

/** The core's sans-IO client policy (core/src/pacer.rs): when to send, wait, retry or give up. */
export declare class PacerCore {
  constructor(config?: PacerConfig)
  static genesys(config?: PacerConfig): PacerCore
  readonly config: PacerConfig
  begin(key: string, cost?: number, now?: number): Step
  resume(ticket: number, now?: number): Step
  /** `response` null: a network error. */
  finish(ticket: number, response: { status: number; headers: HeadersInput; body?: string | null } | null, now?: number): After
  cancel(ticket: number): void
  learnt(key: string): Limit | null
  inFlight(key: string): number
  readonly openTickets: number
  readonly budgetTokens: number | null
  /** Shared mode: the store's answer to a `consult` step. */
  consulted(ticket: number, reply: StoreAnswer, now?: number): Step
  /** Shared mode: the next call to send without waiting (a release, a lockout, a learnt limit, a heartbeat). */
  pollStore(): { keys: [string, string]; args: Array<string> } | null
  /** Shared mode: the outcome of a polled call. */
  storeDone(reply: StoreAnswer, now?: number): void
  /** Shared mode: the next `store_down` / `store_up` event. */
  pollEvent(): StoreEvent | null
}

// --- shared budgets (Redis / Valkey) -------------------------------------------------------

/** The shared-budget options of a pacer with a `store` (the core's `SharedPacing`, see API.md). */
export type SharedOptions = SharedPacing
/** What a pacer consults: `send(keys, args)` → the raw reply (integers), or a StoreError. */
export interface Store { send(keys: Array<string>, args: Array<string>): Promise<Array<number>> }
export interface RedisStore extends Store { readonly evals: number; readonly timeoutMs: number }
export declare class StoreError extends Error {
  readonly code: 'store_unavailable' | 'store_timeout' | 'store_server' | 'store_bad_reply'
}
/** The store over the user's own ioredis or node-redis (v4+) client: EVALSHA (EVAL after NOSCRIPT), each call bounded by `timeoutMs` (default 200). */
export declare function createRedisStore(client: unknown, options?: { timeoutMs?: number }): RedisStore
/** The core's Lua script (what `createRedisStore` sends) and its SHA1. */
export declare function sharedScript(): string
export declare function sharedScriptSha1(): string
/** The options every helper takes to share its budgets through a store. */
export interface StoreOptions {
  /** One budget per key shared by every process using this store; none: in-memory, per process. */
  store?: Store
  shared?: SharedOptions
  /** `store_down` (the fallback policy took over) and `store_up` (back to the shared budget). */
  onStoreEvent?(event: StoreEvent): void
}

// --- helpers -------------------------------------------------------------------------------

export interface Clock { now(): number; sleep?(ms: number, signal?: AbortSignal): Promise<void> }
export interface ReadResponse { status: number; headers: HeadersInput; body: string | null }

export interface RetryOptions extends StoreOptions {
  backoff?: BackoffPolicy | Backoff
  /** A shared Pacer: its core paces and retries the call (its backoff and cap apply). */
  pacer?: Pacer
  limiter?: Limiter
  key?: string
  cost?: number
  budget?: RetryBudget
  seed?: Seed
  clock?: Clock
  signal?: AbortSignal
  timeoutMs?: number
  parseOptions?: Omit<ParseOptions, 'now'>
  onRetry?(info: { attempt: number; decision: Decision; response: ReadResponse | null; reading: Reading | null; error?: unknown }): void
  readResponse?(x: unknown, options?: { timeoutMs?: number }): Promise<ReadResponse | null>
  isNetworkError?(e: unknown): boolean
}

export declare class RetryError extends Error {
  readonly code: 'retry_gave_up'
  readonly attempts: number
  readonly reason: string
  readonly decision: Decision
  readonly lastResponse: ReadResponse | null
  readonly lastReading: Reading | null
  readonly lastResult: unknown
  readonly status: number | undefined
}
export declare class TimeoutError extends Error {
  readonly code: 'ETIMEDOUT'
  readonly timeoutMs: number
}

export declare function withRetry<T>(fn: (ctx: { attempt: number; signal?: AbortSignal }) => Promise<T> | T, options?: RetryOptions): Promise<T>

export interface FetchOptions extends Omit<RetryOptions, 'key'> {
  key?: string | ((input: unknown, init?: unknown) => string)
  limits?: Array<Limit>
  learn?: boolean
}
export declare function wrapFetch<F extends (input: any, init?: any) => Promise<any>>(fetchImpl?: F, options?: FetchOptions): F & { limiter: Limiter; pacer: Pacer }

export interface PacerOptions extends StoreOptions {
  limiter?: Limiter; limits?: Array<Limit>; learn?: boolean; preset?: 'genesys' | null
  backoff?: BackoffPolicy | Backoff; budget?: RetryBudget; seed?: Seed; parseOptions?: Omit<ParseOptions, 'now'>
  clock?: Clock; signal?: AbortSignal
  /** Longest wait for a slot (default: the policy's, 6 h); longer rejects with a RetryError `wait_too_long`. */ maxWaitMs?: number
}
export declare class Pacer {
  constructor(options?: PacerOptions)
  readonly limiter: Limiter
  readonly core: PacerCore
  readonly maxWaitMs: number
  readonly store: Store | null
  /** Resolves when the store calls sent without waiting have been answered (await before exit). */
  flush(): Promise<void>
  acquire(key?: string, cost?: number, options?: { signal?: AbortSignal }): Promise<number>
  run<T>(key: string, fn: () => Promise<T> | T, options?: { signal?: AbortSignal }): Promise<T>
}

export declare function readResponse(x: unknown, options?: { timeoutMs?: number }): Promise<ReadResponse | null>
export declare function isNetworkError(e: unknown): boolean
/** The budget key of a bearer token (the Genesys adapter's default key): `token:` and a 64-bit FNV-1a hash, never the token; the same in every runtime (Python's `token_key`). */
export declare function tokenKey(token: string): string
export declare function flattenHeaders(headers: HeadersInput | null | undefined): Array<string>

export interface GenesysOptions extends StoreOptions {
  pacer?: Pacer
  /** Default 'genesys': every token starts from 300 requests/min; null: from nothing. */
  preset?: 'genesys' | null
  limiter?: Limiter
  limits?: Array<Limit>
  learn?: boolean
  backoff?: BackoffPolicy | Backoff
  budget?: RetryBudget
  key?: string | ((client: unknown) => string)
  timeoutMs?: number
  clock?: Clock
  seed?: Seed
  mode?: 'http-client' | 'call-api'
  onRetry?: RetryOptions['onRetry']
}
/** Installs pacing and retries into a `purecloud-platform-client-v2` client (the module or an ApiClient). */
export declare function installGenesys(platformClientOrApiClient: unknown, options?: GenesysOptions): {
  mode: 'http-client' | 'call-api'; pacer: Pacer; limiter: Limiter; backoff: Backoff; uninstall(): void
}

declare const pacekeeper: {
  version: typeof version; errorCodes: typeof errorCodes; parseHeaders: typeof parseHeaders; Limiter: typeof Limiter
  Backoff: typeof Backoff; newRetryState: typeof newRetryState; newRetryBudget: typeof newRetryBudget; plan: typeof plan
  replan: typeof replan; PacerCore: typeof PacerCore; withRetry: typeof withRetry; wrapFetch: typeof wrapFetch; Pacer: typeof Pacer
  readResponse: typeof readResponse; isNetworkError: typeof isNetworkError; installGenesys: typeof installGenesys
  tokenKey: typeof tokenKey; flattenHeaders: typeof flattenHeaders; RetryError: typeof RetryError; TimeoutError: typeof TimeoutError
  createRedisStore: typeof createRedisStore; StoreError: typeof StoreError; sharedScript: typeof sharedScript
  sharedScriptSha1: typeof sharedScriptSha1
}
export default pacekeeper
