'use strict'
// The WebAssembly package as shipped: every entry point loads (require, import, web init from
// bytes, bundler entry), it has the napi package's API name for name, every module is optimized
// and within the size budget, and the TypeScript declarations ship. Behaviour (the API and the
// shared vectors) is tested by tests/js/ with PACEKEEPER_IMPL=wasm.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const pkgRoot = path.resolve(__dirname, '..')
const root = path.resolve(pkgRoot, '..')
const pkgDirs = ['pkg-node', 'pkg-web', 'pkg-bundler']
// The budget of the optimized module; BENCHMARKS.md (WASM section) records the size and why it is what it is.
const MAX_WASM_BYTES = Number(fs.readFileSync(path.join(pkgRoot, 'wasm-size-budget'), 'utf8').trim())

function cargoVersion () {
  const manifest = fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8')
  const section = manifest.split(/^\[workspace\.package\]\s*$/m)[1]
  assert.ok(section, 'Cargo.toml has no [workspace.package] table')
  const match = section.match(/^version\s*=\s*"([^"]+)"/m)
  assert.ok(match, 'no version in [workspace.package]')
  return match[1]
}

function checkApi (pk) {
  assert.equal(pk.version(), cargoVersion())
  const codes = pk.errorCodes()
  assert.ok(codes.includes('invalid_limit') && codes.includes('invalid_number'), JSON.stringify(codes))
  assert.equal(new Set(codes).size, codes.length, 'error codes are unique')
  const r = pk.parseHeaders({ status: 429, headers: [['Retry-After', '30']] }, { now: 1_700_000_000_000 })
  assert.equal(r.waitMs, 30_000)
  assert.equal(r.waitSource, 'retry_after')
}

test('package.json names the package and matches Cargo.toml', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgRoot, 'package.json'), 'utf8'))
  assert.equal(pkg.name, 'pacekeeper-wasm')
  assert.equal(pkg.version, cargoVersion())
  for (const f of pkg.files) assert.ok(fs.existsSync(path.join(pkgRoot, f)), `files: ${f} missing`)
})

test('npm pack bundles the shared JS layer (js/) and no copy of it', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgRoot, 'package.json'), 'utf8'))
  assert.deepEqual(pkg.bundleDependencies, ['pacekeeper-js-api'])
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const out = require('node:child_process').execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'],
    { cwd: pkgRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  const files = JSON.parse(out)[0].files.map((f) => f.path)
  const shared = fs.readdirSync(path.join(pkgRoot, '..', 'js')).filter((f) => f.endsWith('.js') || f === 'index.d.ts')
  assert.ok(shared.includes('engine.js'))
  for (const f of shared) assert.ok(files.includes(`node_modules/pacekeeper-js-api/${f}`), `${f} is not bundled`)
  assert.deepEqual(files.filter((f) => f.startsWith('api/')), [])
})

test('require() loads the Node.js build', () => {
  checkApi(require('pacekeeper-wasm'))
})

test('import gives named exports', async () => {
  const m = await import('pacekeeper-wasm')
  checkApi(m)
  checkApi(m.default)
  assert.equal(m.Limiter, m.default.Limiter)
})

test('the web build initializes from bytes (initSync) and from a promise (init)', async () => {
  const web = await import('pacekeeper-wasm/web')
  const bytes = fs.readFileSync(path.join(pkgRoot, 'pkg-web', 'pacekeeper_wasm_bg.wasm'))
  const api = await web.default(WebAssembly.compile(bytes))
  checkApi(api)
  checkApi(web)
  assert.equal(typeof web.initSync, 'function')
})

test('the bundler build works where .wasm imports are supported', () => {
  const out = execFileSync(process.execPath, ['--experimental-wasm-modules', '--no-warnings', '--input-type=module', '-e',
    "import * as pk from './pkg-bundler/index.js'; const r = pk.parseHeaders({status: 429, headers: {'retry-after': '7'}}, {now: 0}); console.log(pk.version(), r.waitMs)"],
  { cwd: pkgRoot, encoding: 'utf8' })
  assert.equal(out.trim(), `${cargoVersion()} 7000`)
})

test('the API is the napi package\'s, name for name', (t) => {
  const wasm = require('pacekeeper-wasm')
  let napi
  try { napi = require(path.join(root, 'bindings-node')) } catch (e) {
    // make test-wasm runs after build-node; outside it the napi addon may be unbuilt (never in CI).
    if (process.env.CI) throw e
    return t.skip(`bindings-node not built: ${e.message}`)
  }
  assert.deepEqual(Object.keys(wasm).sort(), Object.keys(napi).sort())
  for (const k of Object.keys(napi)) assert.equal(typeof wasm[k], typeof napi[k], k)
})

for (const [mod, resolution] of [['esnext', 'bundler'], ['nodenext', 'nodenext']]) {
  test(`a TypeScript program over both entry points type-checks (tsc --strict, ${resolution} resolution)`, () => {
    // typescript is the napi package's dev dependency (the same declarations, re-exported by both).
    // Under nodenext, `./web` needs ESM declarations (web.d.mts): a .d.ts in this CommonJS package
    // would make `import init from 'pacekeeper-wasm/web'` the module object, not the function.
    const tsc = require.resolve('typescript/bin/tsc', { paths: [path.join(pkgRoot, '..', 'bindings-node')] })
    require('node:child_process').execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022',
      '--module', mod, '--moduleResolution', resolution, '--lib', 'es2022,dom', path.join(__dirname, 'types-usage.mts')],
    { cwd: pkgRoot, encoding: 'utf8', stdio: 'pipe' })
  })
}

test('TypeScript declarations ship for every entry point', () => {
  // The package's index.d.ts re-exports the shared layer's declarations (js/index.d.ts), bundled.
  assert.match(fs.readFileSync(path.join(pkgRoot, 'index.d.ts'), 'utf8'), /export \* from 'pacekeeper-js-api'/)
  const dts = fs.readFileSync(require.resolve('pacekeeper-js-api/index.d.ts', { paths: [pkgRoot] }), 'utf8')
  for (const name of ['parseHeaders', 'Limiter', 'Backoff', 'newRetryState', 'plan', 'replan']) {
    assert.match(dts, new RegExp(`export declare (function|class) ${name}\\b`))
  }
  const web = fs.readFileSync(path.join(pkgRoot, 'web.d.mts'), 'utf8')
  assert.match(web, /export \* from '\.\/index\.js'/)
  assert.match(web, /export default function init/)
  for (const dir of pkgDirs) assert.ok(fs.existsSync(path.join(pkgRoot, dir, 'pacekeeper_wasm.d.ts')), dir)
})

for (const dir of pkgDirs) {
  test(`${dir} ships an optimized module within ${MAX_WASM_BYTES} bytes`, () => {
    const wasm = fs.readFileSync(path.join(pkgRoot, dir, 'pacekeeper_wasm_bg.wasm'))
    assert.ok(WebAssembly.validate(wasm), `${dir}: not a valid module`)
    assert.ok(wasm.length <= MAX_WASM_BYTES, `${dir}: ${wasm.length} bytes > ${MAX_WASM_BYTES}`)
    const mod = new WebAssembly.Module(wasm)
    assert.equal(WebAssembly.Module.customSections(mod, 'name').length, 0, `${dir}: the name section was not removed`)
    assert.equal(WebAssembly.Module.customSections(mod, 'producers').length, 0, `${dir}: producers section left`)
  })
}
