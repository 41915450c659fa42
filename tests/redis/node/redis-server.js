'use strict';
// A redis-server of a test's own: 127.0.0.1, a free port, no persistence, waited for with PING,
// stopped by pid when the test ends (SIGCONT first: a test may have paused it). Without the
// binary the test skips, except under CI=true, where that is a failure.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer(t) {
  const bin = process.env.REDIS_SERVER || 'redis-server';
  if (spawnSync(bin, ['--version']).error) {
    if (process.env.CI === 'true') throw new Error(`CI=true and no ${bin}`);
    t.skip(`no ${bin}`);
    return null;
  }
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pk-redis-'));
  const child = spawn(bin, ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGCONT');
        process.kill(child.pid, 'SIGKILL');
      } catch {}
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  t.after(stop);
  for (let i = 0; i < 250; i++) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => c.write('PING\r\n'));
      c.on('data', (d) => { c.destroy(); resolve(d.toString().startsWith('+PONG')); });
      c.on('error', () => resolve(false));
    });
    if (ok) return { port, pid: child.pid, stop };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('redis-server did not answer PING');
}

module.exports = { freePort, startServer };
