'use strict'
// Writes the benchmark feed: one author, 10,000 messages of about 600 bytes each, created by
// ssb-validate + ssb-keys (deterministic), one JSON message value per line.
// Usage: node bench-feed.js [OUT] [N]   (default ../../target/bench/feed-10k.jsonl, 10000)
const fs = require('fs')
const path = require('path')
const ssbKeys = require('ssb-keys')
const validate = require('ssb-validate')
const { detBytes, Rng } = require('./common')

const out = process.argv[2] || path.join(__dirname, '..', '..', 'target', 'bench', 'feed-10k.jsonl')
const n = +(process.argv[3] || 10000)
const keys = ssbKeys.generate('ed25519', detBytes('bench/author', 32))
const rng = new Rng('bench')
const words = ['scuttlebutt', 'gossip', 'pub', 'feed', 'message', 'hello', 'world', 'café', 'ünïcode', 'peer', 'replicate', 'offline']
let st = null
const lines = []
let bytes = 0
for (let i = 0; i < n; i++) {
  const text = []
  while (text.join(' ').length < 170 + rng.below(40)) text.push(rng.pick(words))
  const content = { type: 'post', text: text.join(' '), root: '%' + detBytes('root' + (i >> 4), 32).toString('base64') + '.sha256', channel: 'bench' }
  const msg = validate.create(st, keys, null, content, 1514517067954 + i * 1000)
  st = { id: validate.id(msg), sequence: msg.sequence, timestamp: msg.timestamp, queue: [] }
  const line = JSON.stringify(msg, null, 2)
  bytes += Buffer.byteLength(line)
  lines.push(JSON.stringify(msg))
}
fs.mkdirSync(path.dirname(out), { recursive: true })
fs.writeFileSync(out, lines.join('\n') + '\n')
console.log(out + ': ' + n + ' messages, mean signing encoding ' + Math.round(bytes / n) + ' bytes')
