'use strict'
// Writes a JSONL feed of N signed classic messages (one message value per line, compact
// JSON.stringify) made by ssb-validate.create + ssb-keys, for server.js --feed to serve.
// Deterministic: a fixed seed, fixed timestamps and content that cycles through a fixed list
// (posts with non-ASCII and escaped text, contact, about, vote, numbers, nesting). No null in
// an array at the top of content: ssb-db's links index (ssb-msgs) throws on one, forever.
//
//   node peer/make-feed.js [--seed HEX] [--count N] [--start-timestamp MS] [--out FILE]
//
//   --seed HEX             the author's Ed25519 seed (default: DEFAULT_SEED below)
//   --count N              number of messages (default 5, at most MAX_COUNT)
//   --start-timestamp MS   timestamp of message 1; message i gets MS + (i-1)*1000
//                          (default 1700000000000)
//   --out FILE             output file (default: stdout)
//
// Also a module: makeFeed(seedHex, count, startTimestamp) -> [message value objects].
const fs = require('fs')
const ssbKeys = require('ssb-keys')
const validate = require('ssb-validate')
const { parseArgs } = require('./args')

const DEFAULT_SEED = '6d616b652d666565642e6a732064656661756c74207365656420303030303031' // 'make-feed.js default seed 000001'
const DEFAULT_START = 1700000000000
const MAX_COUNT = 100000

// The content of message i (1-based); `msgs` are the messages made so far.
function content (i, keys, msgs) {
  const prev = msgs.length ? validate.id(msgs[msgs.length - 1]) : null
  switch ((i - 1) % 8) {
    case 0: return { type: 'post', text: 'hello from message ' + i }
    case 1: return { type: 'post', text: 'héllo wörld — ünïcödé ✓ 日本語 \u{1F422} #' + i }
    case 2: return { type: 'about', about: keys.id, name: 'js peer ' + i, description: 'tab\there, "quotes", back\\slash, newline\nend' }
    case 3: return { type: 'contact', contact: '@' + Buffer.alloc(32, i & 0xff).toString('base64') + '.ed25519', following: true }
    case 4: return prev ? { type: 'vote', vote: { link: prev, value: 1, expression: 'like' } } : { type: 'post', text: 'no previous' }
    case 5: return { type: 'test', numbers: [0, -1, 0.5, 1.25e-7, 123456789012, 1e21], flags: [true, false], i }
    case 6: return { type: 'post', text: 'nested', root: prev, mentions: [{ link: keys.id, name: 'self' }], meta: { a: { b: { c: [i] } } } }
    default: return { type: 'post', text: 'ünïcödé keys', 'ключ': 'значение', '键': '值', emoji: '\u{1F600}\u{1F680}' }
  }
}

function makeFeed (seedHex, count, startTimestamp) {
  const keys = ssbKeys.generate('ed25519', Buffer.from(seedHex, 'hex'))
  const msgs = []
  let state = null
  for (let i = 1; i <= count; i++) {
    const msg = validate.create(state, keys, null, content(i, keys, msgs), startTimestamp + (i - 1) * 1000)
    msgs.push(msg)
    state = { id: validate.id(msg), sequence: msg.sequence, timestamp: msg.timestamp, queue: [] }
  }
  return msgs
}

module.exports = { makeFeed, DEFAULT_SEED, DEFAULT_START }

if (require.main === module) {
  let opts
  try {
    opts = parseArgs(process.argv.slice(2), { seed: 'string', count: 'number', 'start-timestamp': 'number', out: 'string' })
    if (opts._.length) throw new Error('unexpected argument ' + opts._[0])
    if (opts.seed !== undefined && !/^[0-9a-fA-F]{64}$/.test(opts.seed)) throw new Error('--seed must be 64 hex digits')
    if (opts.count !== undefined && (!Number.isInteger(opts.count) || opts.count > MAX_COUNT)) throw new Error('--count must be an integer of at most ' + MAX_COUNT)
  } catch (e) {
    process.stderr.write('make-feed.js: ' + e.message + '\n')
    process.exit(1)
  }
  const msgs = makeFeed(opts.seed || DEFAULT_SEED, opts.count === undefined ? 5 : opts.count,
    opts['start-timestamp'] === undefined ? DEFAULT_START : opts['start-timestamp'])
  const text = msgs.map((m) => JSON.stringify(m) + '\n').join('')
  if (opts.out) fs.writeFileSync(opts.out, text)
  else process.stdout.write(text)
}
