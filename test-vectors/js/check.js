'use strict'
// Proves the committed vectors on the JS reference:
//  1. every layer regenerates byte-identically to the committed file;
//  2. every committed JS-proven case, re-run through the reference packages, gives the
//     committed outcome, and no rule of this project's would decide it otherwise;
//  3. every `policy/` case: the JS verdict recorded beside it is still what the reference
//     packages give, our rule still gives the committed expectation, and the two differ.
// Exits 1 on any difference. Prints "N passed, N failed" at the end.
const fs = require('fs')
const path = require('path')
const assert = require('assert')
const { serialize, plain } = require('./common')
const { build } = require('./generate')
const layers = require('./layers')

const dir = path.join(__dirname, '..', 'vectors')
let passed = 0
let failed = 0
const fail = (msg) => { failed++; if (failed <= 50) console.error('FAIL ' + msg) }

// The per-layer files, then the EBT event-log files (vectors/ebt/*.json, one layer `ebt`).
const ebt = require('./ebt-scenarios')
const units = layers.map((name) => ({ name, file: path.join(dir, name + '.json'), text: () => serialize(build(name)), mod: require('./layers/' + name) }))
  .concat(Object.keys(ebt.FILES).map((name) => ({ name: 'ebt/' + name, file: path.join(ebt.outDir, name + '.json'), text: () => ebt.serialize(ebt.build(name)), mod: ebt })))

for (const { name, file, text, mod } of units) {
  if (!fs.existsSync(file)) { fail(name + ': ' + file + ' missing (run node generate.js)'); continue }
  const committed = fs.readFileSync(file, 'utf8')
  if (text() !== committed) fail(name + ': regenerated file differs from the committed one')
  const parsed = JSON.parse(committed)
  const counts = { js: 0, jsPassed: 0, policy: 0, policyPassed: 0 }
  for (const c of parsed.cases) {
    const kind = c.policy ? 'policy' : 'js'
    counts[kind]++
    let got
    try { got = plain(mod.run(c.op, c.input)) } catch (e) { got = { threw: String(e && e.stack || e) } }
    try {
      if (c.policy) {
        assert(mod.policies && mod.policies[c.policy.rule], 'undocumented policy rule ' + c.policy.rule)
        assert.deepStrictEqual(got, c.policy.js, 'the JS verdict recorded beside the policy')
        const p = mod.policy(c.op, c.input, got)
        assert.deepStrictEqual(p && { rule: p.rule, expect: plain(p.expect) }, { rule: c.policy.rule, expect: c.expect }, 'our verdict')
        assert.notDeepStrictEqual(got, c.expect, 'a policy case where JS agrees belongs to the JS-proven cases')
      } else {
        assert.deepStrictEqual(got, c.expect)
        const p = mod.policy ? mod.policy(c.op, c.input, got) : null
        if (p !== null) assert.deepStrictEqual(plain(p.expect), got, 'rule ' + p.rule + ' decides otherwise: not JS-proven')
      }
      passed++; counts[kind + 'Passed']++
    } catch (e) {
      fail(name + ' ' + c.id + ': ' + e.message + '\n  committed ' + JSON.stringify(c.policy ? { expect: c.expect, policy: c.policy } : c.expect) + '\n  JS gives ' + JSON.stringify(got))
    }
  }
  console.log(name + ': ' + counts.jsPassed + '/' + counts.js + ' JS-proven cases reproduced by the JS reference' +
    (counts.policy ? ', ' + counts.policyPassed + '/' + counts.policy + ' policy cases (JS verdict re-checked beside ours)' : ''))
}
console.log(passed + ' passed, ' + failed + ' failed')
process.exit(failed ? 1 : 0)
