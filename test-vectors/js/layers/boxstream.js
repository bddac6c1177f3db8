'use strict'
// boxstream layer: box-stream framing through pull-box-stream (the module secret-handshake
// wraps every connection in). `boxstream_seal` pushes chunks through createBoxStream with a
// fixed key and nonce and records the bytes on the wire (a clean end appends the goodbye);
// `boxstream_open` pulls wire bytes, delivered in the given pieces, through createUnboxStream
// and records every chunk it yields and how the stream ended.
const pull = require('pull-stream')
const boxes = require('pull-box-stream')
const { detBytes, Rng, hex, unhex } = require('../common')

const description = 'box stream: sealing (frames of at most 4096 bytes, big-endian nonce schedule, goodbye) and opening (goodbye, truncation, tampering) through pull-box-stream'
const reference = {
  'pull-box-stream': require('pull-box-stream/package.json').version,
  'pull-stream': require('pull-stream/package.json').version,
  chloride: require('chloride/package.json').version
}

// pull-stream pipelines of in-memory sources run synchronously; insist on it.
function sync (pipeline) {
  let result = null
  pipeline((err, values) => { result = { err, values } })
  if (!result) throw new Error('pull pipeline did not complete synchronously')
  return result
}

function seal (input) {
  const chunks = input.chunks.map(unhex)
  const r = sync((cb) => pull(pull.values(chunks), boxes.createBoxStream(unhex(input.key), unhex(input.nonce)), pull.collect(cb)))
  if (r.err) throw r.err
  let wire = Buffer.concat(r.values)
  // A stream cut without its goodbye: what JS wrote before its goodbye (the last 34 bytes).
  if (input.goodbye === false) wire = wire.subarray(0, wire.length - 34)
  return { wire: hex(wire) }
}

// How pull-box-stream ended a stream (its error messages -> the `end` classes):
//   "invalid header"                                    -> invalid_header
//   "invalid packet"                                    -> invalid_body
//   "unexpected hangup" or pull-reader's
//   "stream ended with:N but wanted:M"                  -> truncated
// Any other error is a generator bug and stops generation.
function classify (err) {
  const m = String(err && err.message)
  if (/invalid header/.test(m)) return 'invalid_header'
  if (/invalid packet/.test(m)) return 'invalid_body'
  if (/unexpected hangup|stream ended with:\d+ but wanted:\d+/.test(m)) return 'truncated'
  throw new Error('unmapped pull-box-stream error: ' + m)
}

function open (input) {
  const wire = unhex(input.wire)
  const pieces = []
  let at = 0
  for (const n of input.pieces || []) { pieces.push(wire.subarray(at, at + n)); at += n }
  if (at < wire.length || pieces.length === 0) pieces.push(wire.subarray(at))
  const r = sync((cb) => pull(pull.values(pieces), boxes.createUnboxStream(unhex(input.key), unhex(input.nonce)), pull.collect(cb)))
  return { chunks: r.values.map(hex), end: r.err ? classify(r.err) : 'goodbye' }
}

function run (op, input) {
  switch (op) {
    case 'boxstream_seal': return { ok: seal(input) }
    case 'boxstream_open': return { ok: open(input) }
    default: throw new Error('unknown op ' + op)
  }
}

// ---- generation ---------------------------------------------------------------------
function nonceEndingWith (tailHex) {
  const n = Buffer.alloc(24)
  unhex(tailHex).copy(n, 24 - tailHex.length / 2)
  return n
}

function generate () {
  const cases = []
  const pad = (i) => String(i).padStart(4, '0')
  const seals = []
  const addSeal = (id, input) => {
    const expect = run('boxstream_seal', input)
    cases.push({ id: 'seal/' + id, op: 'boxstream_seal', input, expect })
    seals.push({ id, input, wire: unhex(expect.ok.wire) })
  }
  const addOpen = (id, input) => cases.push({ id: 'open/' + id, op: 'boxstream_open', input, expect: run('boxstream_open', input) })

  // The docs/PROTOCOL.md §9.2 key and nonce.
  addSeal('spec-9.2', {
    key: '1b09decc219671538c81bddc7761450c6f75a083ba2a9febb65212c2068c7f83',
    nonce: 'c1bea72b1b06c117aba5ab1ab0cf41f6af08b4426fe0c1ae',
    chunks: [hex(Buffer.from('hello'))],
    goodbye: true
  })
  // One chunk of each interesting size; nonces that carry across bytes and wrap.
  const sizes = [0, 1, 2, 17, 4095, 4096, 4097, 8192, 8193, 100000]
  const nonces = [
    ['zero', Buffer.alloc(24)],
    ['carry-1', nonceEndingWith('00fe')],
    ['carry-3', nonceEndingWith('00fffffffe')],
    ['wrap', Buffer.alloc(24, 0xff)],
    ['random', detBytes('boxstream/nonce', 24)]
  ]
  sizes.forEach((size, i) => {
    const [nname, nonce] = nonces[i % nonces.length]
    addSeal('size-' + size + '/nonce-' + nname, {
      key: hex(detBytes('boxstream/key/' + i, 32)),
      nonce: hex(nonce),
      chunks: [hex(detBytes('boxstream/data/' + size, size))],
      goodbye: true
    })
  })
  // Many chunks of mixed sizes (empty writes produce no frame), every nonce shape.
  const rng = new Rng('boxstream/mixed')
  nonces.forEach(([nname, nonce], i) => {
    const chunks = []
    const n = 3 + rng.below(6)
    for (let j = 0; j < n; j++) {
      const size = rng.pick([0, 1, 3, 34, 100, 4095, 4096, 4097, rng.below(3000)])
      chunks.push(hex(detBytes('boxstream/mixed/' + i + '/' + j, size)))
    }
    addSeal('mixed/' + pad(i) + '/nonce-' + nname, { key: hex(detBytes('boxstream/mixed-key/' + i, 32)), nonce: hex(nonce), chunks, goodbye: true })
  })
  // Three 10-byte frames (each frame takes two nonces) from nonces just below a carry into
  // the next byte, into four bytes, and below the wrap of all 24 bytes to zero.
  for (const [name, tail] of [['1-byte', '00fe'], ['3-bytes', '00fffffffd'], ['wrap', 'ff'.repeat(24)]]) {
    addSeal('nonce-carry/' + name, { key: hex(detBytes('boxstream/carry-key', 32)), nonce: hex(nonceEndingWith(tail)), chunks: [0, 1, 2].map((j) => hex(Buffer.alloc(10, 5 + j))), goodbye: true })
  }
  addSeal('empty-session', { key: hex(detBytes('boxstream/empty', 32)), nonce: hex(Buffer.alloc(24)), chunks: [], goodbye: true })
  addSeal('no-goodbye', { key: hex(detBytes('boxstream/nobye', 32)), nonce: hex(nonceEndingWith('ff')), chunks: [hex(Buffer.from('cut short'))], goodbye: false })

  // Opening what JS sealed: whole, in pieces, truncated, tampered.
  for (const s of seals) {
    const base = { key: s.input.key, nonce: s.input.nonce, wire: hex(s.wire) }
    // Big streams are opened once, in pieces; small ones also whole, truncated and tampered.
    const big = s.wire.length > 9000
    if (!big) addOpen(s.id + '/whole', base)
    if (s.wire.length <= 200) {
      addOpen(s.id + '/bytewise', Object.assign({}, base, { pieces: Array(s.wire.length).fill(1) }))
    } else {
      const r = new Rng('boxstream/pieces/' + s.id)
      const pieces = []
      for (let left = s.wire.length; left > 0;) { const k = Math.min(left, 1 + r.below(5000)); pieces.push(k); left -= k }
      addOpen(s.id + '/pieces', Object.assign({}, base, { pieces }))
    }
    if (big || s.input.goodbye === false || s.wire.length < 34) continue
    const cut = (n, tag) => addOpen(s.id + '/truncated-' + tag, Object.assign({}, base, { wire: hex(s.wire.subarray(0, n)) }))
    cut(s.wire.length - 34, 'no-goodbye')
    cut(s.wire.length - 1, 'in-goodbye')
    if (s.wire.length > 34) {
      cut(20, 'in-first-header')
      if (s.wire.length > 68) cut(40, 'in-first-body')
    }
    cut(0, 'empty')
    const flip = (at, tag) => {
      const w = Buffer.from(s.wire); w[at] ^= 0x20
      addOpen(s.id + '/tampered-' + tag, Object.assign({}, base, { wire: hex(w) }))
    }
    flip(0, 'header-mac')
    flip(20, 'header-body')
    if (s.wire.length > 68) flip(40, 'body')
    flip(s.wire.length - 1, 'goodbye')
  }
  // Trailing bytes after the goodbye are never read.
  {
    const s = seals[0]
    addOpen('spec-9.2/trailing-bytes', { key: s.input.key, nonce: s.input.nonce, wire: hex(Buffer.concat([s.wire, Buffer.from('junk after goodbye')])) })
    const wrong = Buffer.from(unhex(s.input.nonce)); wrong[23] ^= 1
    addOpen('spec-9.2/wrong-nonce', { key: s.input.key, nonce: hex(wrong), wire: hex(s.wire) })
  }
  return cases
}

module.exports = { description, reference, generate, run }
