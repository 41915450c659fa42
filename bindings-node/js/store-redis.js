'use strict';
// Shared budgets through Redis or Valkey, over the user's own client: ioredis, or node-redis v4+.
//
// A thin I/O shell over the core's codec (pacekeeper::shared): the core owns the Lua script, its
// SHA1, the keys, the arguments and the reply. The shell only sends EVALSHA (EVAL after NOSCRIPT),
// one round trip per decision, bounds it with `timeoutMs`, and turns every failure into a
// StoreError (never a rate denial). The codec is passed in, so this file holds no rule of its own:
//
//   codec = { script, scriptSha1, keys(budget) -> [k1, k2], encode(request, nowUs|null) -> [str],
//             decode([int x 6]) -> reply (throws on a malformed reply) }
//   const store = createRedisStore(client, codec, { timeoutMs: 200 });
//   const reply = await store.call('client-a', request);        // the server's TIME as the clock
//   const reply = await store.call('client-a', request, nowUs); // caller-clock mode
//
// Create the client to fail fast: ioredis `{ enableOfflineQueue: false, maxRetriesPerRequest: 0,
// commandTimeout }`; node-redis `{ disableOfflineQueue: true, socket: { connectTimeout } }`. The
// shell's own timer bounds every call anyway (a late reply is ignored).

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
  if (e?.name === 'ReplyError' || e?.name === 'ErrorReply' || /^(ERR|WRONGTYPE|BUSY|OOM|READONLY)/.test(msg)) {
    return new StoreError('store_server', msg, e);
  }
  return new StoreError('store_unavailable', msg, e);
}

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new StoreError('store_timeout', `no reply within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function createRedisStore(client, codec, { timeoutMs = 200 } = {}) {
  if (!client || !codec) throw new TypeError('createRedisStore(client, codec): both are required');
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new RangeError('timeoutMs must be a positive number');
  // node-redis v4+ has evalSha(sha, { keys, arguments }); ioredis has evalsha(sha, n, ...keys, ...args).
  const nodeRedis = typeof client.evalSha === 'function';
  const evalsha = nodeRedis
    ? (keys, args) => client.evalSha(codec.scriptSha1, { keys, arguments: args })
    : (keys, args) => client.evalsha(codec.scriptSha1, keys.length, ...keys, ...args);
  const evalScript = nodeRedis
    ? (keys, args) => client.eval(codec.script, { keys, arguments: args })
    : (keys, args) => client.eval(codec.script, keys.length, ...keys, ...args);
  const store = {
    evals: 0,
    async call(budget, request, nowUs = null) {
      // The codec may be synchronous (the binding) or asynchronous (a test's out-of-process codec).
      const keys = await codec.keys(budget);
      const args = await codec.encode(request, nowUs);
      const send = async () => {
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
        raw = await withTimeout(send(), timeoutMs);
      } catch (e) {
        throw storeError(e);
      }
      if (!Array.isArray(raw) || !raw.every((v) => Number.isInteger(v))) {
        throw new StoreError('store_bad_reply', `not an array of integers: ${JSON.stringify(raw)}`);
      }
      try {
        return await codec.decode(raw);
      } catch (e) {
        throw new StoreError('store_bad_reply', String(e?.message ?? e), e);
      }
    },
  };
  return store;
}

module.exports = { createRedisStore, StoreError };
