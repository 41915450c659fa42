'use strict'
// The Genesys adapter's default key of a bearer token is the core's `token_key`: the shared
// vectors' keys (tests/vectors/token_keys.json, computed by an independent reference), the same
// as Python's, so Node and Python processes pacing one OAuth client share its budget.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { pk, root } = require('./impl.cjs')

const { cases } = JSON.parse(fs.readFileSync(path.join(root, 'tests', 'vectors', 'token_keys.json'), 'utf8'))

test('tokenKey gives every shared token key', () => {
  assert.ok(cases.length >= 5)
  for (const c of cases) assert.equal(pk.tokenKey(c.token), c.expect, c.name)
})
