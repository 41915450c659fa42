// The command line: node tests/server/server.mjs [flags] prints {"url","port"} and serves until told to stop.

import fs from 'node:fs';
import { PROFILES, SETTABLE_KEYS } from './config.mjs';
import { startServer } from './start-server.mjs';

const CLI_USAGE = `usage: node tests/server/server.mjs [--profile NAME] [--port N] [--max-seconds S]
  [--burst N] [--rate-per-min N | --rate-per-sec N] [--latency-ms N] [--skew-ms N]
  [--window-ms N] [--record-times] [--ietf-retry-after] [--short-by-sec N]
  [--strict-max-lock-ms N] [--max-contacts N] [--body429 auto|genesys|generic]
profiles: ${PROFILES.join(', ')}`;

export function parseCliArgs(argv) {
  const booleans = new Set(['recordTimes', 'ietfRetryAfter']);
  const strings = new Set(['profile', 'body429']);
  const out = { maxSeconds: 600 };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (arg === '-h' || arg === '--help') return { help: true };
    if (!arg.startsWith('--')) throw new TypeError(`unexpected argument ${arg}`);
    let value;
    const eq = arg.indexOf('=');
    if (eq >= 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const key = arg.slice(2).replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
    if (key !== 'port' && key !== 'maxSeconds' && !SETTABLE_KEYS.has(key)) {
      throw new TypeError(`unknown flag ${arg}`);
    }
    if (booleans.has(key)) {
      out[key] = value === undefined ? true : !['0', 'false', 'no'].includes(value);
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new TypeError(`flag ${arg} needs a value`);
    }
    if (strings.has(key)) {
      out[key] = value;
    } else {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new TypeError(`flag ${arg} needs a number, got ${value}`);
      out[key] = n;
    }
  }
  return out;
}

export async function main() {
  let args;
  try {
    args = parseCliArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n${CLI_USAGE}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${CLI_USAGE}\n`);
    return;
  }
  const { maxSeconds, ...options } = args;
  let srv;
  try {
    srv = await startServer(options);
  } catch (e) {
    process.stderr.write(`server.mjs: ${e.message}\n`);
    process.exit(2);
  }
  let exiting = false;
  const shutdown = (reason) => {
    if (exiting) return;
    exiting = true;
    setTimeout(() => process.exit(0), 2000).unref();
    srv.close().then(() => process.exit(0));
    if (process.env.PACEKEEPER_SERVER_DEBUG) process.stderr.write(`server.mjs: exiting (${reason})\n`);
  };
  srv.closed.then(() => shutdown('closed'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (maxSeconds > 0) setTimeout(() => shutdown('max-seconds'), maxSeconds * 1000);
  try {
    const st = fs.fstatSync(0);
    if (st.isFIFO() || st.isSocket()) {
      process.stdin.on('data', () => {});
      process.stdin.on('end', () => shutdown('stdin end'));
      process.stdin.on('close', () => shutdown('stdin close'));
      process.stdin.on('error', () => shutdown('stdin error'));
      process.stdin.resume();
    }
  } catch {
    // no usable stdin: rely on max-seconds / signals
  }
  process.stdout.write(`${JSON.stringify({ url: srv.url, port: srv.port })}\n`);
}
