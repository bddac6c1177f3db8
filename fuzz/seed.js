'use strict'
// Builds fuzz/corpus/<target>/ from the committed vectors: every string input of the layers a
// target covers becomes one seed file. Usage: node fuzz/seed.js
const fs = require('fs')
const path = require('path')
const crypto = require('crypto')

const targets = {
  crypto_parsers: { layers: ['crypto'], field: (c) => c.input.text },
  legacy_json: { layers: ['legacy-json'], field: (c) => c.input.json_hex ? Buffer.from(c.input.json_hex, 'hex') : c.input.json },
  feed_validate: { layers: ['feed'], field: (c) => c.input.messages },
  private_box_open: { layers: ['private-box'], field: (c) => c.input.box ? Buffer.from(c.input.box, 'hex') : c.input.boxed },
  // A client fed a server's messages, and a server fed a client's (roles in the first byte).
  // Wires the codec vectors decode, in pieces of 7 bytes, body limit 4080.
  muxrpc_decode: { layers: ['muxrpc'], field: (c) => c.input.wire ? Buffer.concat([Buffer.from([7, 255]), Buffer.from(c.input.wire, 'hex')]) : undefined },
  handshake_input: { layers: ['handshake'], field: (c) => c.expect.ok && c.expect.ok.msg2 ? [Buffer.concat([Buffer.from([64]), Buffer.from(c.expect.ok.msg2 + (c.expect.ok.msg4 || ''), 'hex')]), Buffer.concat([Buffer.from([65]), Buffer.from(c.expect.ok.msg1 + (c.expect.ok.msg3 || ''), 'hex')])] : undefined }
}
const vecDir = path.join(__dirname, '..', 'test-vectors', 'vectors')
for (const [target, spec] of Object.entries(targets)) {
  const dir = path.join(__dirname, 'corpus', target)
  fs.mkdirSync(dir, { recursive: true })
  let n = 0
  for (const layer of spec.layers) {
    const file = path.join(vecDir, layer + '.json')
    if (!fs.existsSync(file)) continue
    for (const c of JSON.parse(fs.readFileSync(file, 'utf8')).cases) {
      const got = spec.field(c)
      for (const v of Array.isArray(got) ? got : [got]) {
        if (v === undefined || v === null) continue
        const buf = Buffer.isBuffer(v) ? v : Buffer.from(String(v))
        fs.writeFileSync(path.join(dir, crypto.createHash('sha1').update(buf).digest('hex')), buf)
        n++
      }
    }
  }
  console.log(target + ': ' + n + ' seeds')
}
