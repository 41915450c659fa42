// The command line: the JSON line, and exits on stdin close, --max-seconds, SIGTERM, /__shutdown, bad flags.
// node --test tests/server/
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { SERVER_PATH, call, ping } from './helpers.mjs';

describe('CLI', () => {
  function spawnCli(args, stdin = 'pipe') {
    const child = spawn(process.execPath, [SERVER_PATH, ...args], { stdio: [stdin, 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const firstLine = new Promise((resolve, reject) => {
      let buf = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d) => {
        buf += d;
        const nl = buf.indexOf('\n');
        if (nl >= 0) resolve(buf.slice(0, nl));
      });
      exited.then(() => reject(new Error(`exited before printing; stdout=${buf}`)));
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 2900);
    exited.then(() => clearTimeout(killer));
    return { child, exited, firstLine };
  }

  test('prints the JSON line, serves, and exits when stdin closes', async () => {
    const { child, exited, firstLine } = spawnCli(['--profile', 'genesys', '--port', '0', '--burst', '1']);
    const line = await firstLine;
    const info = JSON.parse(line);
    assert.match(line, /^\{"url":"http:\/\/127\.0\.0\.1:\d+","port":\d+\}$/);
    assert.equal(info.url, `http://127.0.0.1:${info.port}`);
    const srv = { url: info.url };
    assert.equal((await ping(srv)).status, 200);
    assert.equal((await ping(srv)).status, 429);
    child.stdin.end();
    assert.deepEqual(await exited, { code: 0, signal: null });
  });

  test('exits by itself after --max-seconds', async () => {
    const t = performance.now();
    const { exited, firstLine } = spawnCli(['--max-seconds', '0.5'], 'ignore');
    JSON.parse(await firstLine);
    assert.deepEqual(await exited, { code: 0, signal: null });
    assert.ok(performance.now() - t >= 450);
  });

  test('exits on SIGTERM and on POST /__shutdown', async () => {
    const a = spawnCli(['--profile', 'strict'], 'ignore');
    JSON.parse(await a.firstLine);
    a.child.kill('SIGTERM');
    assert.equal((await a.exited).code, 0);

    const b = spawnCli([], 'ignore');
    const info = JSON.parse(await b.firstLine);
    await call({ url: info.url }, 'POST', '/__shutdown');
    assert.equal((await b.exited).code, 0);
  });

  test('rejects unknown profile and flags', async () => {
    for (const args of [['--profile', 'bogus'], ['--bogus', '1']]) {
      const child = spawn(process.execPath, [SERVER_PATH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      const code = await new Promise((resolve) => child.on('exit', resolve));
      assert.equal(code, 2);
    }
  });
});
