// Shared by the tests in this folder (node --test tests/server/): fake clock, servers closed after
// each test file, fetch helper and the exact 429 bodies.
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.mjs';

export const SERVER_PATH = fileURLToPath(new URL('./server.mjs', import.meta.url));
export const T0 = 1_700_000_000_250; // deliberately not on a whole second

export function fakeClock(start = T0) {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
    get t() {
      return t;
    },
  };
}

// Servers started by start(), closed after the file's tests.
const open = new Set();
export async function start(opts) {
  const srv = await startServer(opts);
  open.add(srv);
  return srv;
}
after(async () => {
  await Promise.all([...open].map((s) => s.close()));
});

export async function call(srv, method, path, { token, body, headers = {}, raw } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] = 'application/json';
  }
  const res = await fetch(srv.url + path, { method, headers: h, body: payload, signal: AbortSignal.timeout(2500) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const ping = (srv, token) => call(srv, 'GET', '/api/v2/ping', { token });

export const RATE_HEADER_NAMES = [
  'retry-after',
  'inin-ratelimit-allowed',
  'inin-ratelimit-count',
  'inin-ratelimit-reset',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'ratelimit',
  'ratelimit-policy',
];

export function rateHeaders(res) {
  const out = {};
  for (const n of RATE_HEADER_NAMES) if (res.headers.has(n)) out[n] = res.headers.get(n);
  return out;
}

export const genesysBody = (n) =>
  `{"message":"Rate limit exceeded the maximum. Retry the request in [${n}] seconds","code":"too.many.requests.retry.after","status":429}`;
export const GENERIC_BODY = '{"message":"Rate limit exceeded","code":"too.many.requests","status":429}';
