'use strict'
// Writes ../vectors/<layer>.json for every layer in layers/index.js, and the EBT event-log
// vectors ../vectors/ebt/*.json (ebt-scenarios.js; `node generate.js ebt` for those alone).
// Deterministic: running it twice gives identical files (check.js verifies that against
// the commit).
const fs = require('fs')
const path = require('path')
const { serialize } = require('./common')
const layers = require('./layers')

function build (name) {
  const mod = require('./layers/' + name)
  const cases = mod.generate()
  const ids = new Set()
  for (const c of cases) {
    if (ids.has(c.id)) throw new Error(name + ': duplicate case id ' + c.id)
    ids.add(c.id)
  }
  const file = {
    layer: name,
    description: mod.description,
    generator: 'test-vectors/js/layers/' + name + '.js',
    reference: mod.reference
  }
  // The rules behind the `policy/` cases (what JS does, what we do, why); see common.makeCase.
  if (mod.policies) file.policies = mod.policies
  file.cases = cases
  return file
}

module.exports = { build }

if (require.main === module) {
  const only = process.argv.slice(2)
  const outDir = path.join(__dirname, '..', 'vectors')
  fs.mkdirSync(outDir, { recursive: true })
  for (const name of layers) {
    if (only.length && !only.includes(name)) continue
    const file = build(name)
    fs.writeFileSync(path.join(outDir, name + '.json'), serialize(file))
    console.log(name + ': ' + file.cases.length + ' cases')
  }
  if (!only.length || only.includes('ebt')) {
    for (const [name, n] of require('./ebt-scenarios').writeAll()) console.log('ebt/' + name + ': ' + n + ' cases')
  }
}
