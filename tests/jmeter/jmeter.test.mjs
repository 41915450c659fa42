// JMeter, for real: non-GUI JMeter runs tests/jmeter/pacekeeper.jmx (the Groovy JSR223 pace and
// retry scripts, thin shells over the engine's pacer in the plain pacekeeper_abi.wasm, through
// Chicory) against loopback rate-limiting servers, and the servers' own counts are checked.
//
// Run by `make test-jmeter`, which builds the module and the JMeter home and sets
// PACEKEEPER_ABI_WASM and JMETER_HOME.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../server/server.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const WASM = process.env.PACEKEEPER_ABI_WASM;
const JMETER_HOME = process.env.JMETER_HOME;
const JMETER_TIMEOUT_MS = 120_000;

// The main group: 20 threads x 10 loops share one client bucket (a burst of 5, then 40/s) in
// front of a server allowing a burst of 15 and 50/s for their token.
const THREADS = 20;
const LOOPS = 10;
const CLIENT = { amount: 40, periodMs: 1000, burst: 5 };
const SERVER = { profile: 'genesys', burst: 15, ratePerSec: 50, recordTimes: true };
// The solo group: one thread whose bucket is configured far above the server (1000/s) against
// a server that says nothing on a 2xx and tells the wait only in a 429's Genesys body (a burst
// of 3, then 2/s): it meets 429s, and every retry must wait for the time the body told.
const SOLO_LOOPS = 12;
const SOLO_SERVER = { profile: 'genesys-body-only', burst: 3, ratePerSec: 2 };
// The strict group: one thread whose pacer is configured with nothing (it learns from the
// inin-ratelimit-* headers, probing one request at a time) against a strict server (a burst of
// 3, then 2/s; an early request is punished with a doubled lockout): the headers are enough to
// meet no 429 at all.
const STRICT_LOOPS = 12;
const STRICT_SERVER = { profile: 'strict', burst: 3, ratePerSec: 2 };

const work = mkdtempSync(join(tmpdir(), 'pacekeeper-jmeter-'));
const servers = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(work, { recursive: true, force: true });
});

/** Runs JMeter non-GUI; resolves with its exit code and output (bounded in time). */
function runJmeter(args) {
  return runJava(['-jar', join(JMETER_HOME, 'bin', 'ApacheJMeter.jar'), ...args]);
}

/** Runs java; resolves with its exit code and output (bounded in time). */
function runJava(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('java', args, {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`java ${args[1]} did not finish in ${JMETER_TIMEOUT_MS} ms:\n${output}`));
    }, JMETER_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** A JMeter CSV results file (fields with commas or quotes are quoted, quotes doubled). */
function readJtl(path) {
  const rows = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const fields = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
        else if (c === '"') quoted = false;
        else cur += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') fields.push(cur), (cur = '');
      else cur += c;
    }
    fields.push(cur);
    rows.push(fields);
  }
  const [header, ...data] = rows;
  return data.map((f) => Object.fromEntries(header.map((h, i) => [h, f[i]])));
}

/** The most accepted timestamps in any window of `w` ms. */
function maxInWindow(times, w) {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i] - t[j] >= w) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

test('JMeter with 20 threads paces, obeys every 429 and loses nothing', async (t) => {
  assert.ok(WASM && existsSync(WASM), `PACEKEEPER_ABI_WASM must name the built module (run: make test-jmeter), got ${WASM}`);
  assert.ok(JMETER_HOME && existsSync(join(JMETER_HOME, 'bin', 'ApacheJMeter.jar')), `JMETER_HOME must hold a JMeter home (run: make jmeter-home), got ${JMETER_HOME}`);
  const main = await startServer(SERVER);
  servers.push(main);
  const solo = await startServer(SOLO_SERVER);
  servers.push(solo);
  const strict = await startServer(STRICT_SERVER);
  servers.push(strict);

  const jtl = join(work, 'results.jtl');
  const started = Date.now();
  const { code, output } = await runJmeter([
    '-n',
    '-t', join(HERE, 'pacekeeper.jmx'),
    '-l', jtl,
    '-j', join(work, 'jmeter.log'),
    `-Jpacekeeper.wasm=${WASM}`,
    `-Jpacekeeper.scripts=${join(HERE, 'scripts')}`,
    `-Jpacekeeper.port=${main.port}`,
    `-Jpacekeeper.threads=${THREADS}`,
    `-Jpacekeeper.loops=${LOOPS}`,
    `-Jpacekeeper.amount=${CLIENT.amount}`,
    `-Jpacekeeper.period_ms=${CLIENT.periodMs}`,
    `-Jpacekeeper.burst=${CLIENT.burst}`,
    '-Jpacekeeper.solo_threads=1',
    `-Jpacekeeper.solo_loops=${SOLO_LOOPS}`,
    `-Jpacekeeper.solo_port=${solo.port}`,
    '-Jpacekeeper.solo.amount=1000',
    '-Jpacekeeper.strict_threads=1',
    `-Jpacekeeper.strict_loops=${STRICT_LOOPS}`,
    `-Jpacekeeper.strict_port=${strict.port}`,
    '-Jpacekeeper.strict.config={"learn":true}',
    '-Jsample_variables=pacekeeper_attempts',
    '-Jjmeter.save.saveservice.output_format=csv',
    '-Jsummariser.interval=5',
  ]);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const log = existsSync(join(work, 'jmeter.log')) ? readFileSync(join(work, 'jmeter.log'), 'utf8') : '';
  assert.equal(code, 0, `JMeter exited with ${code}:\n${output}\n${log}`);
  assert.doesNotMatch(log, /ERROR/, `JMeter logged errors:\n${log}`);

  // JMeter's own view: every sample ended in success (after its retries).
  const rows = readJtl(jtl);
  const mainRows = rows.filter((r) => r.threadName.startsWith('contacts '));
  const soloRows = rows.filter((r) => r.threadName.startsWith('solo '));
  const strictRows = rows.filter((r) => r.threadName.startsWith('strict '));
  assert.equal(mainRows.length, THREADS * LOOPS);
  assert.equal(soloRows.length, SOLO_LOOPS);
  assert.equal(strictRows.length, STRICT_LOOPS);
  const failed = rows.filter((r) => r.success !== 'true' || r.responseCode !== '200');
  assert.deepEqual(failed, [], 'every sample succeeds in the end');
  const retriesOf = (rs) => rs.reduce((n, r) => n + Number(r.pacekeeper_attempts) - 1, 0);

  // The servers' view.
  const s = main.stats();
  const m = s.perToken.jmeter;
  assert.equal(m.accepted, THREADS * LOOPS, 'every main request accepted exactly once');
  assert.equal(s.contacts.jmeter.unique, THREADS * LOOPS);
  assert.equal(s.contacts.jmeter.duplicates, 0);
  assert.equal(s.earlyRetries, 0, 'no request before the time a 429 told');
  assert.equal(s.budgetViolations, 0, 'the server budget held in every window');
  assert.equal(retriesOf(mainRows), m.throttled, 'each 429 retried once, no other retry');
  // The client's own budget (a burst of 5, then 40/s), measured at the server: requests arrive
  // up to a few ms after their slot, so windows of a second or more carry an allowance of 5.
  const times = s.acceptedTimestamps.jmeter;
  for (const w of [1000, 2000, 4000]) {
    const most = maxInWindow(times, w);
    const budget = CLIENT.burst + (CLIENT.amount * w) / CLIENT.periodMs;
    assert.ok(most <= budget + 5, `${most} requests in ${w} ms; the client budget is ${budget}`);
  }
  // 200 requests at 40/s after a burst of 5 take 4.875 s (less the arrival jitter of the first).
  const span = Math.max(...times) - Math.min(...times);
  assert.ok(span >= 4000, `paced over ${span} ms`);

  const o = solo.stats();
  assert.equal(o.accepted, SOLO_LOOPS, 'every solo request accepted exactly once');
  assert.equal(o.contacts.solo.unique, SOLO_LOOPS);
  assert.equal(o.contacts.solo.duplicates, 0);
  assert.ok(o.throttled >= 2, `the solo thread met 429s (${o.throttled})`);
  assert.equal(o.earlyRetries, 0, 'every 429 obeyed: no retry before the time the body told');
  assert.equal(retriesOf(soloRows), o.throttled, 'each 429 retried once');

  const x = strict.stats();
  assert.equal(x.accepted, STRICT_LOOPS, 'every strict request accepted exactly once');
  assert.equal(x.contacts.strict.unique, STRICT_LOOPS);
  assert.equal(x.contacts.strict.duplicates, 0);
  assert.equal(x.earlyRetries, 0, 'no request while locked out');
  assert.equal(x.lockoutExtensions, 0);
  assert.equal(x.throttled, 0, 'learning from inin-ratelimit-* meets no 429');
  assert.equal(retriesOf(strictRows), 0);

  // The tearDown report (scripts/pacekeeper-report.groovy): every ticket closed, no give-up, and
  // the shells' retry count is the servers' 429 count.
  const report = log.match(/pacekeeper: retries (\d+), gave up (\d+), open tickets: (.*)$/m);
  assert.ok(report, `no pacekeeper report in the JMeter log:\n${log}`);
  assert.equal(Number(report[1]), m.throttled + o.throttled + x.throttled, report[0]);
  assert.equal(report[2], '0', report[0]);
  const open = Object.fromEntries(report[3].split(', ').map((kv) => kv.split('=')));
  assert.deepEqual(open, { default: '0', solo: '0', strict: '0', 'warm-up': '0' }, report[0]);

  t.diagnostic(
    `JMeter ran ${rows.length} samples in ${seconds} s; main: ${m.requests} requests, ` +
      `${m.throttled} throttled, paced over ${(span / 1000).toFixed(2)} s; solo: ${o.requests} requests, ` +
      `${o.throttled} throttled and retried, 0 early; strict (learning): ${x.requests} requests, ` +
      `${x.throttled} throttled; ${report[0]}`,
  );
});

test('the scripted pacer sessions through the JMeter shell under Chicory (interpreter and compiler)', async (t) => {
  assert.ok(WASM && existsSync(WASM), `PACEKEEPER_ABI_WASM must name the built module (run: make test-jmeter), got ${WASM}`);
  assert.ok(JMETER_HOME && existsSync(join(JMETER_HOME, 'lib')), `JMETER_HOME must hold a JMeter home (run: make jmeter-home), got ${JMETER_HOME}`);
  const lib = `${join(JMETER_HOME, 'lib')}/*:${join(JMETER_HOME, 'lib', 'ext')}/*`;
  const sessions = fileURLToPath(new URL('../vectors/sessions.json', import.meta.url));
  const { code, output } = await runJava([
    '-cp', lib, 'groovy.ui.GroovyMain', join(HERE, 'sessions.groovy'), WASM, join(HERE, 'scripts'), sessions,
  ]);
  assert.equal(code, 0, output);
  for (const engine of ['interpreter', 'compiler']) {
    const m = output.match(new RegExp(`^${engine}: (\\d+) sessions, (\\d+) steps, (\\d+) failures$`, 'm'));
    assert.ok(m, `no summary for ${engine}:\n${output}`);
    assert.ok(Number(m[1]) > 0 && Number(m[2]) >= 100, m[0]);
    assert.equal(m[3], '0', output);
  }
  t.diagnostic(output.trim().split('\n').join('; '));
});
