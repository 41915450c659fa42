'use strict'
// index.d.ts declares every runtime export, and type-checks a program using the API (tsc --strict).
// native.d.ts (the engine's interface, generated from the Rust source) must declare every native export.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const root = path.join(__dirname, '..')

test('index.d.ts declares every export; native.d.ts every native export', () => {
  const dts = fs.readFileSync(path.join(root, 'index.d.ts'), 'utf8')
  for (const name of Object.keys(require('..'))) {
    if (name === 'default') continue
    assert.match(dts, new RegExp(`export declare (function|class) ${name}\\b`), name)
  }
  const ndts = fs.readFileSync(path.join(root, 'native.d.ts'), 'utf8')
  for (const name of Object.keys(require('../native.js'))) {
    if (name.startsWith('__')) continue
    assert.match(ndts, new RegExp(`export declare (function|class) ${name}\\b`), name)
  }
})

test('a TypeScript program using the API type-checks (tsc --strict)', () => {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--lib', 'es2022,dom', path.join(__dirname, 'types-usage.ts')],
  { cwd: root, encoding: 'utf8', stdio: 'pipe' })
})
