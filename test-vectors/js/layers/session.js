'use strict'
// session layer: whole connections, stitched. Every byte each side of one SSB connection
// sends, from the first handshake message to the box-stream goodbye, produced by the JS stack
// in memory and recorded with its decoding at every layer:
//
//   secret handshake   secret-handshake/crypto.js with fixed ephemeral seeds (the handshake
//                      layer's transcript: msg1..msg4, keys and nonces)
//   box stream         pull-box-stream createBoxStream / createUnboxStream with those keys
//                      and nonces, wired as secret-handshake/protocol.js wires them
//   packets            packet-stream-codec, inside muxrpc
//   RPC                two real muxrpc instances: the client with the manifest of
//                      secret-stack + ssb-db as its remote manifest (what secret-stack's
//                      connect() does), the server with that manifest as its local one
//
// The client calls `whoami` (async; a sync method in the manifest) and, once that has
// answered, `createHistoryStream` (source); when the stream has ended it closes its muxrpc.
// What JS then does, recorded as it happens: the client sends its packet-stream goodbye and
// stops reading at once (muxrpc aborts its input; over TCP stream-to-pull-stream destroys
// the socket), so it never sends a box-stream goodbye; the server, on reading that goodbye,
// sends its own and its box-stream goodbye, which the client no longer reads.
//
// The server's API is a deterministic stand-in for ssb-db: `whoami` returns {id} and
// `createHistoryStream` serves the case's messages as ssb-db does ({key, value, timestamp}
// unless keys is false, then the value; `seq` inclusive; `limit`), with fixed receive
// timestamps (ssb-db's come from its clock). The client holds master permissions on the
// server (as an ssb-master id would); anonymous peers may not call whoami.
//
// Everything is synchronous pull-streams: run() insists the session completes within the
// call, so the recorded order of bytes is exactly the order JS produced them, every run.
const pull = require('pull-stream')
const boxes = require('pull-box-stream')
const psc = require('packet-stream-codec')
const Muxrpc = require('muxrpc')
const SecretStack = require('secret-stack')
const ssbDb = require('ssb-db')
const ssbKeys = require('ssb-keys')
const validate = require('ssb-validate')
const caps = require('ssb-caps')
const cl = require('chloride')
const handshake = require('./handshake')
const { makeFeed } = require('../peer/make-feed')
const { detBytes, hex, unhex } = require('../common')

const description = 'whole connections: handshake, box stream, packet-stream-codec packets of real muxrpc instances (whoami, createHistoryStream, goodbye), every byte each way in the order JS produced them, with the decoded view of each layer'
const reference = {
  muxrpc: require('muxrpc/package.json').version,
  'packet-stream': require('packet-stream/package.json').version,
  'packet-stream-codec': require('packet-stream-codec/package.json').version,
  'pull-goodbye': require('pull-goodbye/package.json').version,
  'pull-box-stream': require('pull-box-stream/package.json').version,
  'pull-stream': require('pull-stream/package.json').version,
  'secret-handshake': require('secret-handshake/package.json').version,
  // secret-stack's package.json is not among its exports.
  'secret-stack': JSON.parse(require('fs').readFileSync(require('path').join(require.resolve('secret-stack'), '..', '..', 'package.json'), 'utf8')).version,
  'ssb-db': require('ssb-db/package.json').version,
  'ssb-validate': require('ssb-validate/package.json').version,
  chloride: require('chloride/package.json').version
}

const MAIN = Buffer.from(caps.shs, 'base64')
const BOX_HEADER_LEN = 34
const PSC_HEADER_LEN = 9
const PSC_TYPES = ['buffer', 'string', 'json']

// The manifest a secret-stack + ssb-db peer has (and, connecting out, assumes its peer has).
const MANIFEST = SecretStack({ caps: { shs: caps.shs } }).use(ssbDb).manifest

// An in-memory one-way wire: a pull sink on one end, a pull source on the other, calling
// onChunk(bytes) for every chunk as it is written and onAbort() when the reading end aborts
// (over TCP, stream-to-pull-stream then destroys the socket).
function wire (onChunk, onAbort) {
  const queue = []
  let ended = null
  let waiting = null
  return {
    sink (read) {
      pull.drain((data) => {
        onChunk(data)
        if (waiting) { const cb = waiting; waiting = null; cb(null, data) } else queue.push(data)
      }, (end) => {
        ended = end || true
        if (waiting && !queue.length) { const cb = waiting; waiting = null; cb(ended) }
      })(read)
    },
    source (abort, cb) {
      if (abort) { queue.length = 0; ended = ended || abort; onAbort(); return cb(abort) }
      if (queue.length) return cb(null, queue.shift())
      if (ended) return cb(ended)
      waiting = cb
    }
  }
}

// The server's API: deterministic stand-ins for ssb-db's whoami and createHistoryStream.
function serverApi (serverId, kvts) {
  return {
    manifest: () => MANIFEST,
    whoami: () => ({ id: serverId }),
    createHistoryStream (opts) {
      const seq = opts.sequence || opts.seq || 0
      let items = kvts.filter((k) => k.value.author === opts.id && k.value.sequence >= seq)
      if (typeof opts.limit === 'number' && opts.limit >= 0) items = items.slice(0, opts.limit)
      return pull.values(items.map((k) => opts.keys === false ? k.value : k))
    }
  }
}

// Decodes one direction's plaintext (the box-stream frames, concatenated) into
// packet-stream-codec packets, naming the frames each packet's bytes came from.
function packets (frames) {
  const plain = Buffer.concat(frames.map((f) => unhex(f.plaintext)))
  const frameAt = []
  frames.forEach((f, i) => { for (let j = 0; j < f.plaintext.length / 2; j++) frameAt.push(i) })
  const out = []
  let at = 0
  while (at < plain.length) {
    if (at + PSC_HEADER_LEN > plain.length) throw new Error('plaintext ends inside a packet header')
    const head = plain.subarray(at, at + PSC_HEADER_LEN)
    const h = psc.decodeHead(head)
    if (h.length === 0) {
      if (!head.equals(Buffer.alloc(PSC_HEADER_LEN))) throw new Error('goodbye header is not all zeros')
      out.push({ goodbye: true, header: hex(head), frames: [frameAt[at]] })
      at += PSC_HEADER_LEN
      continue
    }
    const body = plain.subarray(at + PSC_HEADER_LEN, at + PSC_HEADER_LEN + h.length)
    if (body.length !== h.length) throw new Error('plaintext ends inside a packet body')
    const msg = psc.decodeBody(body, Object.assign({}, h))
    const frameIds = [...new Set(frameAt.slice(at, at + PSC_HEADER_LEN + h.length))]
    const p = {
      header: hex(head),
      flags: head[0],
      stream: h.stream,
      end: h.end,
      type: PSC_TYPES[h.type],
      length: h.length,
      req: h.req,
      body: h.type === 0 ? hex(body) : body.toString('utf8'),
      frames: frameIds
    }
    if (h.type === 2) p.value = msg.value
    out.push(p)
    at += PSC_HEADER_LEN + h.length
  }
  return out
}

function session (input) {
  const hs = handshake.run('handshake', input).ok
  if (hs.fails) throw new Error('session handshake failed at ' + hs.fails)
  const serverId = ssbKeys.generate('ed25519', unhex(input.server_seed)).id
  const kvts = input.messages.map((text, i) => {
    const value = JSON.parse(text)
    return { key: validate.id(value), value, timestamp: input.received[i] }
  })

  // What each side wrote, in the global order it was written: {from, kind, offset, length}
  // (and where a reader stopped reading).
  const writes = []
  const written = { client: 0, server: 0 }
  const write = (from, kind) => (bytes) => {
    writes.push({ from, kind, offset: written[from], length: bytes.length })
    written[from] += bytes.length
    chunks[from].push(Buffer.from(bytes))
  }
  const chunks = { client: [], server: [] }
  // What each side's unbox stream delivered (one plaintext per frame) and how it ended.
  const received = { client: [], server: [] }
  const ends = { client: null, server: null }
  const tap = (sender) => (read) => (abort, cb) => read(abort, (end, data) => {
    if (abort) ends[sender] = ends[sender] || 'stopped_reading'
    else if (end) ends[sender] = end === true ? 'goodbye' : String(end.message || end)
    else received[sender].push(Buffer.from(data))
    cb(end, data)
  })

  // The handshake, in protocol order (each side writes its message, then reads the next).
  write('client', 'handshake')(unhex(hs.msg1))
  write('server', 'handshake')(unhex(hs.msg2))
  write('client', 'handshake')(unhex(hs.msg3))
  write('server', 'handshake')(unhex(hs.msg4))

  // Then, as protocol.js's secure(): box stream out, unbox stream in, muxrpc between.
  const server = Muxrpc(MANIFEST, MANIFEST, serverApi(serverId, kvts), { allow: null, deny: null })
  const client = Muxrpc(MANIFEST, MANIFEST, {}, { allow: ['manifest'] })
  const stopped = (reader) => () => writes.push({ from: reader, kind: 'stops-reading' })
  const c2s = wire(write('client', 'box'), stopped('server'))
  const s2c = wire(write('server', 'box'), stopped('client'))
  pull(c2s.source, boxes.createUnboxStream(unhex(hs.server.recv_key), unhex(hs.server.recv_nonce)), tap('client'), server.stream.sink)
  pull(server.stream.source, boxes.createBoxStream(unhex(hs.server.send_key), unhex(hs.server.send_nonce)), s2c.sink)
  pull(s2c.source, boxes.createUnboxStream(unhex(hs.client.recv_key), unhex(hs.client.recv_nonce)), tap('server'), client.stream.sink)
  pull(client.stream.source, boxes.createBoxStream(unhex(hs.client.send_key), unhex(hs.client.send_nonce)), c2s.sink)

  const results = {}
  const outcome = (err, value) => err ? { error: { name: err.name, message: err.message } } : { ok: value }
  let closed = false
  client.whoami((err, value) => {
    results.whoami = outcome(err, value)
    pull(client.createHistoryStream(...input.history_args), pull.collect((err, items) => {
      results.createHistoryStream = outcome(err, items)
      client.close((err) => {
        if (err && err !== true) throw err
        closed = true
      })
    }))
  })
  if (!closed || !client.closed || !server.closed) throw new Error('session did not complete synchronously')
  return { hs, writes, chunks, received, ends, results }
}

// One direction: its bytes, cut into handshake messages, box frames (their wire bytes and
// plaintext) and the box goodbye, and the plaintext decoded into packets. The frames are
// what pull-box-stream opens from everything the sender wrote; `received_frames` is how many
// of them the receiver's own unbox stream delivered before it stopped reading.
function direction (from, s) {
  const all = Buffer.concat(s.chunks[from])
  const handshakeMsgs = from === 'client' ? [s.hs.msg1, s.hs.msg3] : [s.hs.msg2, s.hs.msg4]
  const receiverKeys = from === 'client' ? s.hs.server : s.hs.client
  let at = handshakeMsgs.reduce((n, m) => n + m.length / 2, 0)
  let opened = null
  pull(pull.values([all.subarray(at)]), boxes.createUnboxStream(unhex(receiverKeys.recv_key), unhex(receiverKeys.recv_nonce)),
    pull.collect((err, plaintexts) => { opened = { err, plaintexts } }))
  if (!opened) throw new Error('unbox did not complete synchronously')
  const frameStart = new Map()
  const frames = opened.plaintexts.map((pt, i) => {
    frameStart.set(at, i)
    const frame = { wire: hex(all.subarray(at, at + BOX_HEADER_LEN + pt.length)), length: pt.length, plaintext: hex(pt) }
    at += BOX_HEADER_LEN + pt.length
    return frame
  })
  const goodbyeAt = at
  const rest = all.length - goodbyeAt
  // Either the stream ends in a goodbye, or the sender stopped writing at a frame boundary.
  if (opened.err ? rest !== 0 : rest !== BOX_HEADER_LEN) throw new Error(from + ': ' + rest + ' bytes after the last frame (' + opened.err + ')')
  s.received[from].forEach((pt, i) => {
    if (!frames[i] || frames[i].plaintext !== hex(pt)) throw new Error(from + ': the receiver got a frame the wire does not hold')
  })
  return {
    frameStart,
    goodbyeAt,
    out: {
      wire: hex(all),
      handshake: handshakeMsgs,
      frames,
      goodbye: rest ? hex(all.subarray(goodbyeAt)) : null,
      packets: packets(frames)
    },
    // How the JS receiver treated this direction: informative, not compared.
    js: { received_frames: s.received[from].length, receiver_end: s.ends[from] }
  }
}

function view (input) {
  const s = session(input)
  const dirs = { client: direction('client', s), server: direction('server', s) }
  // The global order: every handshake message, frame and goodbye by the write that began it.
  // The box stream writes a frame as two chunks, header then body; a body is no event.
  const order = []
  const hsIndex = { client: 0, server: 0 }
  for (const w of s.writes) {
    const d = dirs[w.from]
    if (w.kind === 'stops-reading') order.push(w.from + ':stops-reading')
    else if (w.kind === 'handshake') order.push(w.from + ':handshake:' + hsIndex[w.from]++)
    else if (d.frameStart.has(w.offset)) order.push(w.from + ':frame:' + d.frameStart.get(w.offset))
    else if (w.offset === d.goodbyeAt) order.push(w.from + ':goodbye')
    else if (!d.frameStart.has(w.offset - BOX_HEADER_LEN)) throw new Error(w.from + ': a write at ' + w.offset + ' is neither a frame header nor its body')
  }
  return {
    // What every implementation must reproduce: the bytes of each layer and the results.
    ok: {
      handshake: { client: s.hs.client, server: s.hs.server },
      client_to_server: dirs.client.out,
      server_to_client: dirs.server.out,
      results: s.results
    },
    // What the JS stack's scheduling did (write order, how far each receiver read): a record
    // of JS behaviour, compared by check.js on JS but not by conformance runners.
    js: { order, client_to_server: dirs.client.js, server_to_client: dirs.server.js }
  }
}

function run (op, input) {
  switch (op) {
    case 'session': return { ok: view(input).ok }
    default: throw new Error('unknown op ' + op)
  }
}

// ---- generation ---------------------------------------------------------------------
function ephemeral (seed) {
  return hex(cl.crypto_sign_ed25519_sk_to_curve25519(cl.crypto_sign_seed_keypair(seed).secretKey))
}

function keysInput (label, netKey) {
  const ce = detBytes('session/' + label + '/client-ephemeral', 32)
  const se = detBytes('session/' + label + '/server-ephemeral', 32)
  return {
    net_key: hex(netKey),
    client_seed: hex(detBytes('session/' + label + '/client', 32)),
    server_seed: hex(detBytes('session/' + label + '/server', 32)),
    client_ephemeral_seed: hex(ce),
    client_ephemeral: ephemeral(ce),
    server_ephemeral_seed: hex(se),
    server_ephemeral: ephemeral(se)
  }
}

// ssb-db's receive timestamps are its clock's (monotonic-timestamp, which adds fractions
// when two messages arrive in the same millisecond); these are fixed, one with a fraction.
function receivedTimes (msgs) {
  return msgs.map((m, i) => i === 1 ? m.timestamp + 250.001 : m.timestamp + 250)
}

function generate () {
  const cases = []
  const add = (id, input) => {
    // The server serves only messages ssb-validate accepts, in order.
    const state = validate.initial()
    for (const text of input.messages) {
      validate.append(state, null, JSON.parse(text))
      if (state.error) throw new Error(id + ': ' + state.error.message)
    }
    cases.push({ id, op: 'session', input, expect: run('session', input), js: view(input).js })
  }
  const idOf = (seedHex) => ssbKeys.generate('ed25519', unhex(seedHex)).id

  // The server serves its own feed: four messages (ASCII, non-ASCII, escapes, a contact).
  {
    const input = keysInput('whoami-history', MAIN)
    const msgs = makeFeed(input.server_seed, 4, 1700000000000)
    Object.assign(input, {
      messages: msgs.map((m) => JSON.stringify(m)),
      received: receivedTimes(msgs),
      history_args: [{ id: idOf(input.server_seed), keys: true }]
    })
    add('main-net/whoami-history', input)
  }
  // A message whose packet body is longer than a box-stream frame (4096 bytes): the packet
  // goes out as three frames, its header, 4096 bytes of body and the rest.
  {
    const input = keysInput('large-message', MAIN)
    const keys = ssbKeys.generate('ed25519', unhex(input.server_seed))
    const msgs = makeFeed(input.server_seed, 2, 1700000100000)
    const last = msgs[msgs.length - 1]
    msgs.push(validate.create({ id: validate.id(last), sequence: last.sequence, timestamp: last.timestamp, queue: [] }, keys, null,
      { type: 'post', text: 'ü'.repeat(2500) + ' ' + 'x'.repeat(2500) }, last.timestamp + 1000))
    Object.assign(input, {
      messages: msgs.map((m) => JSON.stringify(m)),
      received: receivedTimes(msgs),
      history_args: [{ id: keys.id, keys: true }]
    })
    add('main-net/large-message', input)
  }
  // seq (inclusive) and limit, values only, of another author's feed the server holds.
  {
    const input = keysInput('seq-limit-values', MAIN)
    const msgs = makeFeed(hex(detBytes('session/seq-limit-values/author', 32)), 6, 1700000200000)
    Object.assign(input, {
      messages: msgs.map((m) => JSON.stringify(m)),
      received: receivedTimes(msgs),
      history_args: [{ id: msgs[0].author, seq: 3, limit: 2, keys: false }]
    })
    add('main-net/seq-limit-values', input)
  }
  // Another network key; a feed the server does not have: an empty stream.
  {
    const input = keysInput('other-net-empty', detBytes('session/other-net-empty/net-key', 32))
    Object.assign(input, {
      messages: [],
      received: [],
      history_args: [{ id: idOf(hex(detBytes('session/other-net-empty/unknown', 32))), keys: true }]
    })
    add('other-net/unknown-feed', input)
  }
  return cases
}

module.exports = { description, reference, generate, run }
