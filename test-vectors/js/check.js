'use strict'
// Proves the committed vectors on the JS reference:
//  1. every layer regenerates byte-identically to the committed file;
//  2. every committed case, re-run through the reference packages, gives the committed outcome.
// Exits 1 on any difference. Prints "N passed, N failed" at the end.
const fs = require('fs')
const path = require('path')
const assert = require('assert')
const { serialize } = require('./common')
const { build } = require('./generate')
const layers = require('./layers')

const dir = path.join(__dirname, '..', 'vectors')
let passed = 0
let failed = 0
const fail = (msg) => { failed++; if (failed <= 50) console.error('FAIL ' + msg) }

for (const name of layers) {
  const file = path.join(dir, name + '.json')
  if (!fs.existsSync(file)) { fail(name + ': ' + file + ' missing (run node generate.js)'); continue }
  const committed = fs.readFileSync(file, 'utf8')
  if (serialize(build(name)) !== committed) fail(name + ': regenerated file differs from the committed one')
  const mod = require('./layers/' + name)
  const parsed = JSON.parse(committed)
  let layerPassed = 0
  for (const c of parsed.cases) {
    let got
    try { got = mod.run(c.op, c.input) } catch (e) { got = { threw: String(e && e.stack || e) } }
    try {
      assert.deepStrictEqual(got, c.expect)
      passed++; layerPassed++
    } catch (e) {
      fail(name + ' ' + c.id + ': expected ' + JSON.stringify(c.expect) + ' got ' + JSON.stringify(got))
    }
  }
  console.log(name + ': ' + layerPassed + '/' + parsed.cases.length + ' cases reproduced by the JS reference')
}
console.log(passed + ' passed, ' + failed + ' failed')
process.exit(failed ? 1 : 0)
