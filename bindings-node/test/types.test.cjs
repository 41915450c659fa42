'use strict'
// index.d.ts declares every runtime export, type-checks a program using the API (tsc --strict), and
// lists exactly the members of every object the runtime returns.
// native.d.ts (the engine's interface, generated from the Rust source) must declare every native export.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const root = path.join(__dirname, '..')

// The declarations live in the shared layer (js/index.d.ts, `pacekeeper-js-api`), which the
// package's index.d.ts re-exports.
const SHARED_DTS = require.resolve('pacekeeper-js-api/index.d.ts', { paths: [root] })

test('index.d.ts declares every export; native.d.ts every native export', () => {
  const dts = fs.readFileSync(SHARED_DTS, 'utf8')
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

// index.d.ts is written over the generated native.d.ts; this keeps it from drifting from what the
// runtime returns: every object the engine hands out has exactly the members its declared type
// lists, and the string unions list exactly the engine's codes.
const ts = require('typescript')
const pk = require('..')

function declarations () {
  const file = SHARED_DTS
  const src = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true)
  const shapes = new Map() // name -> array of variants, each a sorted member list
  const literals = new Map() // name -> sorted string literals of a union alias
  const membersOf = (node) => node.members.filter((m) => m.name).map((m) => m.name.getText(src)).sort()
  ts.forEachChild(src, (node) => {
    if (ts.isInterfaceDeclaration(node)) shapes.set(node.name.text, [membersOf(node)])
    if (ts.isTypeAliasDeclaration(node)) {
      const parts = ts.isUnionTypeNode(node.type) ? node.type.types : [node.type]
      if (parts.every(ts.isTypeLiteralNode)) shapes.set(node.name.text, parts.map(membersOf))
      if (parts.every((p) => ts.isLiteralTypeNode(p) && ts.isStringLiteral(p.literal))) {
        literals.set(node.name.text, parts.map((p) => p.literal.text).sort())
      }
    }
  })
  // Inline element types, e.g. Reading.policies: Array<{ ... }>.
  const inline = (iface, member) => {
    let found = null
    ts.forEachChild(src, (node) => {
      if (!ts.isInterfaceDeclaration(node) || node.name.text !== iface) return
      const m = node.members.find((x) => x.name && x.name.getText(src) === member)
      const arg = m.type.typeArguments && m.type.typeArguments[0]
      if (arg && ts.isTypeLiteralNode(arg)) found = membersOf(arg)
    })
    assert.ok(found, `${iface}.${member} is an Array<{...}> in index.d.ts`)
    return found
  }
  return { shapes, literals, inline }
}

test('index.d.ts matches the objects the runtime returns, member for member', () => {
  const { shapes, literals, inline } = declarations()
  const keys = (o) => Object.keys(o).sort()
  const isVariant = (name, obj) => {
    const variants = shapes.get(name)
    assert.ok(variants, `index.d.ts declares ${name}`)
    assert.ok(variants.some((v) => JSON.stringify(v) === JSON.stringify(keys(obj))),
      `${name}: runtime members ${keys(obj)} are not one of the declared ${JSON.stringify(variants)}`)
  }
  const NOW = 1_700_000_000_000
  const reading = pk.parseHeaders({
    status: 429,
    headers: [['RateLimit-Policy', '"m";q=300;w=60;pk=:AQI=:'], ['RateLimit', '"m";r=0;t=30;pk=:AQI=:'], ['Retry-After', 'soon']]
  }, { now: NOW })
  isVariant('Reading', reading)
  assert.deepEqual(keys(reading.policies[0]), inline('Reading', 'policies'))
  assert.deepEqual(keys(reading.states[0]), inline('Reading', 'states'))
  assert.deepEqual(keys(reading.rejected[0]), inline('Reading', 'rejected'))

  const limiter = new pk.Limiter({ limits: [{ amount: 1, periodMs: 1000, burst: 1 }] })
  isVariant('Verdict', limiter.check('k', 1, NOW))
  isVariant('Verdict', limiter.check('k', 1, NOW))
  isVariant('Verdict', limiter.check('k', 5, NOW))
  assert.deepEqual(new Set([limiter.check('k', 1, NOW), limiter.check('k', 5, NOW), limiter.check('j', 1, NOW)].map((v) => v.decision)).size, 3)
  isVariant('SavedLimiter', limiter.toJSON())

  const backoff = new pk.Backoff({ maxAttempts: 2 })
  const state = pk.newRetryState(NOW, 7)
  const budget = pk.newRetryBudget()
  isVariant('RetryState', state)
  isVariant('RetryBudget', budget)
  const decisions = [
    backoff.decide(state, reading, NOW, budget),
    backoff.decide(state, reading, NOW + 60_000, budget),
    backoff.decide(pk.newRetryState(NOW, 7), pk.parseHeaders({ status: 200, headers: [] }, { now: NOW }), NOW)
  ]
  assert.deepEqual(decisions.map((d) => d.decision), ['retry', 'give_up', 'done'])
  for (const d of decisions) isVariant('Decision', d)

  const p = pk.plan({ records: 1000, maxBatchRecords: 500, limits: [{ amount: 1, periodMs: 1000 }] }, NOW)
  isVariant('Plan', p)
  isVariant('Batch', p.batches[0])
  const outcomes = [{ status: 'done', index: 0 }, { status: 'throttled', index: 1, retryAt: NOW + 5000 }]
  for (const o of outcomes) isVariant('BatchOutcome', o)
  isVariant('Plan', pk.replan({ records: 1000, maxBatchRecords: 500 }, p, outcomes, NOW))

  // The string unions are exactly the engine's lists.
  assert.deepEqual(literals.get('ErrorCode'), [...pk.errorCodes()].sort())
})
