'use strict'
// The published package: the `files` whitelist ships the loaders, the declarations, the bundled
// shared JS API (js/), the addon and the README, and nothing else; `engines` is set; both entry
// points expose the API.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const root = path.join(__dirname, '..')
const pkg = require('../package.json')

test('npm pack ships exactly the package files', () => {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  const files = JSON.parse(out)[0].files.map((f) => f.path).sort()
  // Exactly: the entry points, the engine loader, the generated native loader, every file of the
  // shared JS layer (js/: `pacekeeper-js-api`, bundled), the addon(s), the README.
  const shared = fs.readdirSync(path.join(root, '..', 'js')).filter((f) => f.endsWith('.js') || f === 'package.json' || f === 'index.d.ts' || f === 'NATIVE.md')
  assert.ok(shared.includes('engine.js') && shared.includes('index.js'), 'the shared layer is js/')
  const expected = ['README.md', 'index.d.ts', 'index.js', 'index.mjs', 'load.js', 'native.d.ts', 'native.js', 'package.json',
    ...shared.map((f) => `node_modules/pacekeeper-js-api/${f}`),
    ...fs.readdirSync(root).filter((f) => f.endsWith('.node'))].sort()
  assert.deepEqual(files, expected)
  assert.deepEqual(pkg.bundleDependencies, ['pacekeeper-js-api'])
  assert.ok(files.some((f) => f.endsWith('.node')), 'the addon is shipped')
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
