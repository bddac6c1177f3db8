// The JS reference doing what `ssb verify-feed FILE` does, as one whole process: read a JSON
// lines feed of message values, validate each with ssb-validate (sodium-native) in order,
// print the counts. For whole-process timing beside ours: time node verify-feed.js FILE
'use strict'
const fs = require('fs')
const validate = require('ssb-validate')
const texts = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean)
let state = validate.initial()
let valid = 0
for (const t of texts) {
  state = validate.append(state, null, JSON.parse(t))
  if (state.error) break
  valid++
}
console.log(`${texts.length} items, ${valid} valid${state.error ? ', first invalid: ' + state.error.message : ''}`)
