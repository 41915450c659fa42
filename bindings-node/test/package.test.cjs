'use strict'
// The published package: the `files` whitelist ships the loader, the JS API, the declarations,
// the addon and the README, and nothing else; `engines` is set; both entry points expose the API.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const root = path.join(__dirname, '..')
const pkg = require('../package.json')

test('npm pack ships exactly the package files', () => {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  const files = JSON.parse(out)[0].files.map((f) => f.path).sort()
  for (const f of ['README.md', 'index.d.ts', 'index.js', 'index.mjs', 'native.d.ts', 'native.js', 'package.json',
    'js/index.js', 'js/engine.js', 'js/helpers.js', 'js/genesys.js', 'js/convert.js', 'js/errors.js']) {
    assert.ok(files.includes(f), `${f} is shipped`)
  }
  assert.ok(files.some((f) => f.endsWith('.node')), 'the addon is shipped')
  for (const f of files) assert.ok(!/^(test|bench|src|node_modules)\//.test(f) && f !== 'Cargo.toml', `${f} is not shipped`)
  assert.match(pkg.engines.node, />=\s*18/)
})

test('CommonJS and ES module entry points expose the same API', async () => {
  const cjs = require('pacekeeper')
  const esm = await import('pacekeeper')
  for (const name of Object.keys(cjs)) {
    if (name === 'default') continue
    assert.equal(esm[name], cjs[name], name)
  }
  assert.equal(esm.default, cjs)
})
