// The layout rules of issue 9 that a file listing can check: every Debian install goes through
// scripts/apt-install.sh, and no tracked source file outside the core passes ~500 lines (the
// generated napi loader excepted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter(Boolean);
const read = (f) => {
  try {
    return readFileSync(`${root}/${f}`, 'utf8');
  } catch {
    return ''; // deleted in the work tree
  }
};
const sources = tracked.filter((f) =>
  /\.(rs|js|cjs|mjs|ts|py|pyi|sh|mk|groovy|java)$|(^|\/)Makefile$/.test(f),
);

test('apt-get install is called from scripts/apt-install.sh only', () => {
  assert.ok(sources.includes('scripts/apt-install.sh'));
  // Code lines only: comments may name the command.
  const code = (f) => read(f).split('\n').filter((l) => !/^\s*(#|\/\/)/.test(l));
  const callers = sources.filter(
    (f) =>
      !['scripts/apt-install.sh', 'scripts/test/layout.test.mjs'].includes(f) &&
      code(f).some((l) => /apt-get(\s+-\S+)*\s+install\b/.test(l)),
  );
  assert.deepEqual(callers, []);
});

test('no source file outside the core is over 500 lines (generated native.js excepted)', () => {
  const GENERATED = new Set(['bindings-node/native.js']);
  const long = sources
    .filter((f) => !f.startsWith('core/') && !GENERATED.has(f))
    .map((f) => [f, read(f).split('\n').length - 1])
    .filter(([, n]) => n > 500);
  assert.deepEqual(long, []);
});
