'use strict'
// Reports what the JS reference makes of boxes somebody else sealed (used by
// ssb-private-box/tests/js_reads_ours.rs, which judges the report).
//
//   node private-box-read.js IN.json   ->   JSON report on stdout
//
// IN.json: {
//   "boxes":    [{ "box": hex, "max": n?, "secrets": [X25519 secret hex] }],
//   "contents": [{ "boxed": "<base64>.box", "seeds": [Ed25519 seed hex] }],
//   "feeds":    [{ "messages": [JSON text], "seeds": [Ed25519 seed hex] }]
// }
// Report: {
//   "boxes":    [[plaintext hex | null | "threw: <message>"]]      private-box multibox_open
//   "contents": [[JSON.stringify(content) | null]]                 ssb-keys unbox
//   "feeds":    [[{ "valid": bool, "error": msg?, "id": "%…", "contents": [... as above] }]]
// }                                                                ssb-validate in order
const fs = require('fs')
const pb = require('private-box')
const ssbKeys = require('ssb-keys')
const validate = require('ssb-validate')

const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const unhex = (s) => Buffer.from(s, 'hex')

function openBox (b, sk, max) {
  try {
    const p = pb.multibox_open(b, sk, max)
    return p ? p.toString('hex') : null
  } catch (e) { return 'threw: ' + e.message }
}

function unbox (text, seed) {
  const got = ssbKeys.unbox(text, ssbKeys.generate('ed25519', unhex(seed)))
  return got === undefined ? null : JSON.stringify(got)
}

const report = {
  boxes: (input.boxes || []).map((c) => c.secrets.map((sk) => openBox(unhex(c.box), unhex(sk), c.max))),
  contents: (input.contents || []).map((c) => c.seeds.map((s) => unbox(c.boxed, s))),
  feeds: (input.feeds || []).map((f) => {
    let prev = null
    return f.messages.map((text) => {
      const msg = JSON.parse(text)
      const err = validate.checkInvalid(prev, null, msg)
      if (err) return { valid: false, error: err.message }
      const id = validate.id(msg)
      prev = { id, sequence: msg.sequence, timestamp: msg.timestamp }
      return { valid: true, id, contents: f.seeds.map((s) => unbox(msg.content, s)) }
    })
  })
}
process.stdout.write(JSON.stringify(report) + '\n')
