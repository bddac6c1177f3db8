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

// The EBT targets, from the event logs in vectors/ebt/: every value a peer wrote and every
// clock (ebt_notes), and every log as the ebt_engine op bytes (4-byte ops, see
// fuzz/harness/src/ebt.rs), the log's ids mapped onto the harness's keys.
function ebtSeeds () {
  const ebtDir = path.join(vecDir, 'ebt')
  if (!fs.existsSync(ebtDir)) return
  // The harness's keys: feed(i) = @ + base64 of 32 bytes (i*37+1) + .ed25519, i = 0..7.
  const harnessFeed = (i) => '@' + Buffer.alloc(32, (i * 37 + 1) & 255).toString('base64') + '.ed25519'
  const write = (target, buf) => {
    const dir = path.join(__dirname, 'corpus', target)
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, crypto.createHash('sha1').update(buf).digest('hex')), buf)
  }
  let notes = 0
  let logs = 0
  for (const f of fs.readdirSync(ebtDir).filter((f) => f.endsWith('.json')).sort()) {
    for (const c of JSON.parse(fs.readFileSync(path.join(ebtDir, f), 'utf8')).cases) {
      // Ids by first appearance: the node is key 0, its peers keys 1-4, other feeds 5-7.
      const index = new Map([[c.input.id, 0]])
      let nextPeer = 1
      let nextFeed = 5
      const keyOf = (id) => {
        if (!index.has(id)) index.set(id, nextFeed < 8 ? nextFeed++ : 5 + (index.size % 3))
        return index.get(id)
      }
      const peerOf = (id) => {
        if (!index.has(id)) index.set(id, nextPeer <= 4 ? nextPeer++ : 1 + (index.size % 4))
        return (index.get(id) + 3) % 4 // peer(x) is key 1 + x % 4
      }
      const rename = (text) => {
        for (const [id, i] of index) text = text.split(id).join(harnessFeed(i))
        return text
      }
      const ops = []
      for (const ev of c.input.events) {
        if (ev.t === 'recv') {
          const text = JSON.stringify(ev.data)
          write('ebt_notes', Buffer.from(text === undefined ? 'null' : text))
          notes++
        }
        if (ev.t === 'clock' || ev.t === 'peer_clock') {
          write('ebt_notes', Buffer.from(JSON.stringify(ev.clock)))
          notes++
        }
        const mask = (clock) => Object.keys(clock).reduce((m, k) => m | (1 << (keyOf(k) % 8)), 0)
        const first = (clock) => Math.min(255, Object.values(clock).find(Number.isInteger) || 0)
        switch (ev.t) {
          case 'clock': ops.push([15, 0, mask(ev.clock), first(ev.clock)]); break
          case 'follow': ops.push([10, 0, keyOf(ev.feed), ev.value === false ? 1 : 0]); break
          case 'block': ops.push([11, ev.value ? 0 : 1, keyOf(ev.from), keyOf(ev.to)]); break
          case 'connect': ops.push([0, peerOf(ev.peer), ev.client ? 0 : 1, 0]); break
          case 'peer_clock': ops.push([1, peerOf(ev.peer), mask(ev.clock), Math.min(63, first(ev.clock)) * 4]); break
          case 'disconnect': ops.push([12, peerOf(ev.peer), 0, 0]); break
          case 'recv': {
            const d = ev.data
            const p = peerOf(ev.peer)
            if (d && typeof d === 'object' && typeof d.author === 'string' && Number.isInteger(d.sequence) && d.sequence > 0 && d.content) {
              ops.push([3, p, keyOf(d.author), d.sequence % 32])
            } else {
              if (d && typeof d === 'object') for (const k of Object.keys(d)) if (k.startsWith('@')) keyOf(k)
              const text = Buffer.from(rename(JSON.stringify(d === undefined ? null : d)))
              if (text.length <= 255) ops.push([13, p, text.length, 0], [...text])
            }
            break
          }
          case 'append': ops.push([4, 0, keyOf(ev.msg.author), 0]); break
          case 'retrieved': ops.push([5, 0, 0, 0]); break
          case 'timeout': ops.push([6, 255, 0, 40]); break
          case 'get': ops.push([7, 0, 0, 0]); break
          case 'validate': ops.push([8, 0, 0, 0]); break
          case 'send': ops.push([9, peerOf(ev.peer), 0, 0]); break
        }
      }
      write('ebt_engine', Buffer.from(ops.flat()))
      logs++
    }
  }
  console.log('ebt_notes: ' + notes + ' seeds')
  console.log('ebt_engine: ' + logs + ' seeds')
}
ebtSeeds()
