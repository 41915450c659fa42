'use strict'
// Every ```js block of README.md runs, and prints what its comments say.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8')
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1])

test('the README has examples', () => assert.ok(blocks.length >= 7))

blocks.forEach((code, i) => {
  test(`README example ${i + 1}`, () => {
    const needsSdk = code.includes("require('purecloud-platform-client-v2')")
    // Packages are resolved as an app would: pacekeeper itself, and the SDK (the newest, aliased).
    const src = code
      .replaceAll("require('pacekeeper')", `require(${JSON.stringify(path.join(__dirname, '..'))})`)
      .replaceAll("require('purecloud-platform-client-v2')", "require('genesys-sdk-latest')")
    const file = path.join(__dirname, `.readme-${i}.cjs`)
    fs.writeFileSync(file, `(async () => {\n${src}\n})().catch((e) => { console.error(e); process.exit(1) })\n`)
    try {
      const out = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 20000 })
      const expected = [...code.matchAll(/console\.log\(.*\) \/\/ (.*)$/gm)].map((m) => m[1].trim())
      const lines = out.trim() === '' ? [] : out.trim().split('\n')
      assert.equal(lines.length, expected.length, `output:\n${out}`)
      lines.forEach((line, j) => {
        const got = line.replace(/\s+/g, ' ').trim()
        assert.equal(got, expected[j].replace(/\s+/g, ' '), `line ${j + 1}`)
      })
      if (needsSdk) assert.ok(src.includes("require('genesys-sdk-latest')") && !src.includes("require('purecloud-platform-client-v2')"), 'the example ran against the real SDK')
    } finally { fs.rmSync(file, { force: true }) }
  })
})
