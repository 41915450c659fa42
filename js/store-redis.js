'use strict';
// Shared budgets through Redis or Valkey, over the user's own client: ioredis, or node-redis v4+.
//
// A thin I/O shell: the core owns the Lua script, its SHA1, the keys, the arguments and the
// reply (pacekeeper::shared). The shell only sends EVALSHA (EVAL after NOSCRIPT), one round trip
// per decision, bounds it with `timeoutMs`, and turns every failure into a StoreError (never a
// rate denial); the pacer hands the raw reply, or the error's code, back to the core.
//
//   const { createRedisStore } = require('pacekeeper');
//   const store = createRedisStore(redisClient, { timeoutMs: 200 });
//   const pacer = new Pacer({ store });            // or withRetry / wrapFetch / installGenesys
//   await store.send([k1, k2], args);              // low level: the raw reply, an array of integers
//
// Create the client to fail fast: ioredis `{ enableOfflineQueue: false, maxRetriesPerRequest: 0,
// commandTimeout }`; node-redis `{ disableOfflineQueue: true, socket: { connectTimeout } }`. The
// shell's own timer bounds every call anyway (a late reply is ignored).
//
// The older form `createRedisStore(client, codec, { timeoutMs })` (a codec `{ script, scriptSha1,
// keys(budget), encode(request, nowUs), decode(raw) }`, as the tests/redis harness passes) adds
// `store.call(budget, request, nowUs?)` → the decoded reply.

class StoreError extends Error {
  // code: 'store_unavailable' | 'store_timeout' | 'store_server' | 'store_bad_reply'
  constructor(code, message, cause) {
    super(`${code}: ${message}`);
    this.name = 'StoreError';
    this.code = code;
    if (cause !== undefined) this.cause = cause;
  }
}

function isNoScript(e) {
  return typeof e?.message === 'string' && e.message.startsWith('NOSCRIPT');
}

function storeError(e) {
  if (e instanceof StoreError) return e;
  const msg = String(e?.message ?? e);
  if (/timed? ?out/i.test(msg) || e?.name === 'TimeoutError') return new StoreError('store_timeout', msg, e);
  if (e?.name === 'ReplyError' || e?.name === 'ErrorReply' || /^(ERR|WRONGTYPE|BUSY|OOM|READONLY|NOSCRIPT)/.test(msg)) {
    return new StoreError('store_server', msg, e);
  }
  return new StoreError('store_unavailable', msg, e);
}

/**
 * The code of a failed store call, for the core (`consulted` / `storeDone`): a StoreError's own,
 * anything else (a custom store's failure) unavailable. The core checks the code.
 */
function storeCode(e) {
  return e instanceof StoreError ? e.code : 'store_unavailable';
}

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new StoreError('store_timeout', `no reply within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function checkClient(client) {
  const ok = client && ((typeof client.evalSha === 'function' && typeof client.eval === 'function') ||
    (typeof client.evalsha === 'function' && typeof client.eval === 'function'));
  if (!ok) throw new TypeError('createRedisStore: client must be an ioredis or node-redis (v4+) client');
}

function checkTimeout(timeoutMs) {
  if (!(typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs > 0 && timeoutMs <= 60000)) {
    throw Object.assign(new RangeError(`timeoutMs must be a number of ms in (0, 60000], got ${timeoutMs}`), { code: 'invalid_option' });
  }
}

/**
 * The low-level store over `client` for `script` (its text) and `scriptSha1`: `send(keys, args)`
 * → the raw reply (an array of integers), or a StoreError within `timeoutMs`.
 */
function redisSender(client, script, scriptSha1, timeoutMs) {
  // node-redis v4+ has evalSha(sha, { keys, arguments }); ioredis has evalsha(sha, n, ...keys, ...args).
  const nodeRedis = typeof client.evalSha === 'function';
  const evalsha = nodeRedis
    ? (keys, args) => client.evalSha(scriptSha1, { keys, arguments: args })
    : (keys, args) => client.evalsha(scriptSha1, keys.length, ...keys, ...args);
  const evalScript = nodeRedis
    ? (keys, args) => client.eval(script, { keys, arguments: args })
    : (keys, args) => client.eval(script, keys.length, ...keys, ...args);
  const store = {
    evals: 0,
    timeoutMs,
    async send(keys, args) {
      const attempt = async () => {
        try {
          return await evalsha(keys, args);
        } catch (e) {
          if (!isNoScript(e)) throw e;
          store.evals += 1;
          return evalScript(keys, args);
        }
      };
      let raw;
      try {
        raw = await withTimeout(attempt(), timeoutMs);
      } catch (e) {
        throw storeError(e);
      }
      if (!Array.isArray(raw) || !raw.every((v) => Number.isSafeInteger(v))) {
        throw new StoreError('store_bad_reply', `not an array of integers: ${JSON.stringify(raw)}`.slice(0, 200));
      }
      return raw;
    },
  };
  return store;
}

/**
 * `createRedisStore(client, { timeoutMs, script, scriptSha1 })`: the store a pacer consults (the
 * package's export fills in the engine's script). `createRedisStore(client, codec, { timeoutMs })`:
 * the same plus `call(budget, request, nowUs?)` through an explicit codec.
 */
function createRedisStore(client, codecOrOptions, maybeOptions) {
  const legacy = maybeOptions !== undefined || !!(codecOrOptions && typeof codecOrOptions.encode === 'function');
  if (!client || (legacy ? false : codecOrOptions !== undefined && (codecOrOptions === null || typeof codecOrOptions !== 'object'))) {
    throw new TypeError('createRedisStore(client, { timeoutMs }): a Redis client is required');
  }
  const options = (legacy ? maybeOptions : codecOrOptions) || {};
  const { timeoutMs = 200 } = options;
  checkTimeout(timeoutMs);
  if (!legacy) {
    checkClient(client);
    if (typeof options.script !== 'string' || typeof options.scriptSha1 !== 'string') {
      throw new TypeError('createRedisStore: the script and its SHA1 are missing (use the package export, require("pacekeeper").createRedisStore)');
    }
    return redisSender(client, options.script, options.scriptSha1, timeoutMs);
  }
  const codec = codecOrOptions;
  const store = redisSender(client, codec.script, codec.scriptSha1, timeoutMs);
  store.call = async (budget, request, nowUs = null) => {
    // The codec may be synchronous (the binding) or asynchronous (a test's out-of-process codec).
    const keys = await codec.keys(budget);
    const args = await codec.encode(request, nowUs);
    const raw = await store.send(keys, args);
    try {
      return await codec.decode(raw);
    } catch (e) {
      throw new StoreError('store_bad_reply', String(e?.message ?? e), e);
    }
  };
  return store;
}

module.exports = { createRedisStore, StoreError, storeCode };
