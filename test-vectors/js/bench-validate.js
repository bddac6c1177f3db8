'use strict'
// JS reference speed on the benchmark feed: ssb-validate append (sodium-native), msgs/s.
// Usage: node bench-validate.js [FILE]   (default ../../target/bench/feed-10k.jsonl)
const fs = require('fs')
const path = require('path')
const validate = require('ssb-validate')
const file = process.argv[2] || path.join(__dirname, '..', '..', 'target', 'bench', 'feed-10k.jsonl')
const texts = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)
const rates = []
for (let run = 0; run < 3; run++) {
  const t = process.hrtime.bigint()
  let state = validate.initial()
  for (const text of texts) state = validate.append(state, null, JSON.parse(text))
  const s = Number(process.hrtime.bigint() - t) / 1e9
  if (state.validated !== texts.length) throw new Error('not all valid')
  rates.push(texts.length / s)
}
rates.sort((a, b) => a - b)
console.log('ssb-validate ' + require('ssb-validate/package.json').version + ' (sodium-native): median ' + Math.round(rates[1]) + ' msgs/s over ' + texts.length + ' messages (runs: ' + rates.map(Math.round).join(', ') + ')')
