'use strict'
// What ssb-validate (pinned here) says of each case of ssb-validation-dataset's data.json, so
// that ssb-feed/tests/validation_dataset.rs can compare error classes as well as verdicts.
// The dataset's own `error` texts name one fault per case in its author's words; several
// cases hold more than one fault, and which one a validator reports depends on the order of
// its checks, so the class to compare with is the one ssb-validate reports.
//
// Usage: node validation-dataset-oracle.js DATA.json
// Writes one JSON array: per case {"valid": true, "id": "%…"} or {"valid": false, "error": code}
// (codes as in the feed layer: layers/feed.js CODES and thrownCode).
const fs = require('fs')
const { checkOne } = require('./layers/feed')

const file = process.argv[2]
if (!file) { console.error('usage: node validation-dataset-oracle.js DATA.json'); process.exit(2) }
const cases = JSON.parse(fs.readFileSync(file, 'utf8'))
const out = cases.map((c) => {
  const flat = c.state ? { id: c.state.id, sequence: c.state.sequence, timestamp: c.state.timestamp } : null
  return checkOne(flat, c.hmacKey, c.message)
})
process.stdout.write(JSON.stringify(out) + '\n')
