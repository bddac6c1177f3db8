'use strict'
// muxrpc layer: the packet-stream wire format through packet-stream-codec (the codec muxrpc
// wraps every connection in). `packet_encode` runs encodePair on one message and records the
// bytes; `packet_decode` pulls wire bytes, delivered in the given pieces, through the codec's
// decoder and records every packet it yields and how the stream ended.
const pull = require('pull-stream')
const psc = require('packet-stream-codec')
const muxrpc = require('muxrpc')
const { detBytes, Rng, hex, unhex } = require('../common')

const description = 'packet-stream: the 9-byte header (flags, u32 BE length, i32 BE request number), binary / UTF-8 / JSON bodies, goodbye, zero-length headers, unknown body type, invalid JSON, input split at arbitrary points, through packet-stream-codec'
const reference = {
  muxrpc: require('muxrpc/package.json').version,
  'packet-stream': require('packet-stream/package.json').version,
  'packet-stream-codec': require('packet-stream-codec/package.json').version,
  'pull-stream': require('pull-stream/package.json').version
}

// ---- the reference runner ------------------------------------------------------------

// A vector body -> the value encodePair is given: {hex} a Buffer, {text} a string,
// {json} any other JSON value, {undefined: true} no value at all.
function toValue (body) {
  if ('hex' in body) return unhex(body.hex)
  if ('text' in body) return body.text
  if ('json' in body) return body.json
  if (body.undefined === true) return undefined
  throw new Error('bad body ' + JSON.stringify(body))
}

// A decoded message -> its vector form (a JSON value as the vector file holds it, so -0 is 0).
function fromMessage (m) {
  const body = m.type === 0 ? { hex: hex(m.value) } : m.type === 1 ? { text: m.value } : { json: JSON.parse(JSON.stringify(m.value)) }
  return { req: m.req, stream: m.stream, end: m.end, type: m.type, body }
}

function encode (input) {
  const msg = { req: input.req, stream: input.stream, end: input.end }
  const value = toValue(input.body)
  if (value !== undefined) msg.value = value
  const [head, body] = psc.encodePair(msg)
  return hex(Buffer.concat(body ? [head, body] : [head]))
}

// pull-stream pipelines of in-memory sources run synchronously; insist on it.
function sync (pipeline) {
  let result = null
  pipeline((err, values) => { result = { err, values } })
  if (!result) throw new Error('pull pipeline did not complete synchronously')
  return result
}

function classify (err) {
  const m = String(err && err.message)
  if (/^stream ended with:\d+ but wanted:\d+$/.test(m)) return 'truncated'
  if (m === 'unknown message type') return 'unknown_type'
  if (err instanceof SyntaxError) return 'invalid_json'
  throw new Error('unexpected decoder error: ' + m)
}

function decode (input) {
  const wire = unhex(input.wire)
  const pieces = []
  let at = 0
  for (const n of input.pieces || []) { pieces.push(wire.subarray(at, at + n)); at += n }
  if (at < wire.length || pieces.length === 0) pieces.push(wire.subarray(at))
  const r = sync((cb) => pull(pull.values(pieces), psc.decode(), pull.collect(cb)))
  const packets = []
  let end = r.err ? classify(r.err) : 'truncated'
  for (const v of r.values) {
    if (v === 'GOODBYE') { end = 'goodbye'; break }
    packets.push(fromMessage(v))
  }
  return { packets, end }
}

// ---- muxrpc sessions ------------------------------------------------------------------
// A JS muxrpc endpoint serving SERVICE (optionally behind PERMS) is driven packet by packet;
// after each step every packet it wrote is recorded. Error objects are recorded without
// their `stack` (a JS stack trace names files on the generating machine).
const SERVICE_MANIFEST = {
  hello: 'async', add: 'sync', nothing: 'async', fail: 'async', bytes: 'async', secret: 'async',
  count: 'source', live: 'source', collect: 'sink', pair: 'duplex', ns: { deep: 'async' }
}
const PERMS = { allow: ['hello', 'add', 'nothing', 'fail', 'bytes', 'count', 'live', 'collect', 'pair', 'ns'] }
// What the peer offers, for the calls the JS endpoint makes itself.
const PEER_MANIFEST = { whoami: 'async', feed: 'source', upload: 'sink', chat: 'duplex' }
function service () {
  return {
    hello (name, cb) { cb(null, 'hello, ' + name) },
    add (a, b) { return a + b },
    nothing (cb) { cb() },
    fail (cb) { cb(new Error('boom')) },
    bytes (cb) { cb(null, Buffer.from('abc')) },
    secret (cb) { cb(null, 'the secret') },
    count (n) { const v = []; for (let i = 0; i < n; i++) v.push(i); return pull.values(v) },
    live () { return function never (abort, cb) { if (abort) cb(abort) } },
    collect () { return pull.drain(() => {}, () => {}) },
    pair () { return { source: pull.values(['a', 'b']), sink: pull.drain(() => {}, () => {}) } },
    ns: { deep (cb) { cb(null, 'deep') } }
  }
}

function stripStack (m) {
  const v = m.body.json
  if (m.end && v && typeof v === 'object' && !Array.isArray(v)) delete v.stack
  return m
}

function session (input) {
  // packet-stream logs the packets it drops ("no stream for incoming msg"); keep that quiet.
  const log = console.error
  console.error = () => {}
  try { return runSession(input) } finally { console.error = log }
}

function runSession (input) {
  const rpc = muxrpc(PEER_MANIFEST, SERVICE_MANIFEST, service(), input.perms ? PERMS : null)
  const queue = []
  let waiting = null
  const src = (abort, cb) => {
    if (abort) return cb(abort)
    if (queue.length) return cb(null, queue.shift())
    waiting = cb
  }
  pull(src, rpc.stream.sink)
  let wire = Buffer.alloc(0)
  pull(rpc.stream.source, pull.drain((b) => { wire = Buffer.concat([wire, b]) }, () => {}))
  const push = (b) => { if (waiting) { const w = waiting; waiting = null; w(null, b) } else queue.push(b) }
  const out = []
  for (const step of input.steps) {
    if ('in' in step) push(unhex(step.in))
    else if ('call' in step) {
      const c = step.call
      const fn = c.name.reduce((o, k) => o[k], rpc)
      if (c.type === 'async') fn(...c.args, () => {})
      else if (c.type === 'source') pull(fn(...c.args), pull.drain(() => {}, () => {}))
      else if (c.type === 'sink') pull(pull.values(c.data), fn(...c.args, () => {}))
      else { const d = fn(...c.args); pull(pull.values(c.data), d.sink); pull(d.source, pull.drain(() => {}, () => {})) }
    } else throw new Error('bad step')
    const d = decode({ wire: hex(wire) })
    const packets = d.packets.map(stripStack)
    // The JS endpoint's goodbye (which its own decoder reports as the end) is a step output.
    if (d.end === 'goodbye') packets.push('goodbye')
    out.push(packets)
    wire = Buffer.alloc(0)
  }
  return { out }
}

function run (op, input) {
  switch (op) {
    case 'muxrpc_session': return { ok: session(input) }
    case 'packet_encode': return { ok: { wire: encode(input) } }
    case 'packet_encode_empty': {
      const wire = encode(input)
      const d = decode({ wire })
      return { ok: { wire, decodes_as: d.end === 'goodbye' && d.packets.length === 0 ? 'goodbye' : 'packet' } }
    }
    case 'goodbye_encode': {
      const [head, body] = psc.encodePair('GOODBYE')
      if (body !== null) throw new Error('goodbye has a body')
      return { ok: { wire: hex(head) } }
    }
    case 'packet_decode': return { ok: decode(input) }
    default: throw new Error('unknown op ' + op)
  }
}

// ---- generation ---------------------------------------------------------------------

// A header from its parts, for inputs JS would never encode itself.
function header (flags, length, req) {
  const h = Buffer.alloc(9)
  h[0] = flags
  h.writeUInt32BE(length, 1)
  h.writeInt32BE(req, 5)
  return h
}

function generate () {
  const cases = []
  const pad = (i) => String(i).padStart(4, '0')
  const add = (id, op, input) => cases.push({ id, op, input, expect: run(op, input) })

  // ---- encode: every body type, flag combination and interesting request number ----
  const reqs = [1, 2, 255, 256, 65536, 2147483647, -1, -2, -256, -2147483647, -2147483648, 0]
  const flagCombos = [[false, false], [false, true], [true, false], [true, true]]
  const bodies = [
    ['binary-1', { hex: '00' }],
    ['binary-ff', { hex: 'ff' }],
    ['binary-random', { hex: hex(detBytes('muxrpc/bin', 37)) }],
    ['text-ascii', { text: 'hello' }],
    ['text-unicode', { text: 'héllo ☃ 𝄞 \u2028 end' }],
    ['text-controls', { text: 'a\u0000b\nc"d\\e' }],
    ['json-true', { json: true }],
    ['json-false', { json: false }],
    ['json-null', { json: null }],
    ['json-int', { json: 42 }],
    ['json-negative', { json: -7 }],
    ['json-float', { json: 1.5 }],
    ['json-small-float', { json: 1e-7 }],
    ['json-big-int', { json: 9007199254740991 }],
    ['json-array', { json: [1, 'two', [3], { four: 4 }, null, true] }],
    ['json-empty-array', { json: [] }],
    ['json-empty-object', { json: {} }],
    ['json-request', { json: { name: ['blobs', 'has'], args: ['&abc=.sha256'] } }],
    ['json-stream-request', { json: { name: ['createHistoryStream'], args: [{ id: '@abc=.ed25519', seq: 1, live: true, keys: false }], type: 'source' } }],
    ['json-error', { json: { message: 'no async:foo', name: 'Error', stack: null } }],
    ['json-escapes', { json: { s: 'tab\tnl\nquote"back\\slash/\u0001\u001f\u007f é ☃ 𝄞' } }],
    ['json-nested', { json: { a: { b: { c: { d: [[[[]]]] } } } } }],
    ['undefined-value', { undefined: true }]
  ]
  let n = 0
  for (const [bname, body] of bodies) {
    // Each body with a few request numbers and all four flag combinations (cycled).
    for (let k = 0; k < 4; k++) {
      const req = reqs[(n + k * 5) % reqs.length]
      const [stream, end] = flagCombos[(n + k) % 4]
      add('encode/' + bname + '/' + pad(k), 'packet_encode', { req, stream, end, body })
    }
    n++
  }
  // Every request number once, with a plain JSON body.
  reqs.forEach((req, i) => add('encode/req/' + pad(i), 'packet_encode', { req, stream: i % 2 === 0, end: false, body: { json: { i } } }))
  // Large bodies: the length field past one and two bytes.
  for (const size of [255, 256, 65536, 70000]) {
    add('encode/large/binary-' + size, 'packet_encode', { req: 3, stream: true, end: false, body: { hex: hex(detBytes('muxrpc/large/' + size, size)) } })
  }
  add('encode/large/text-4096', 'packet_encode', { req: -9, stream: true, end: false, body: { text: 'x'.repeat(4096) } })

  // ---- zero-length bodies: JS writes them, and its own decoder reads them as goodbye ----
  flagCombos.forEach(([stream, end], i) => {
    add('encode-empty/text/' + pad(i), 'packet_encode_empty', { req: i + 1, stream, end, body: { text: '' } })
    add('encode-empty/binary/' + pad(i), 'packet_encode_empty', { req: -(i + 1), stream, end, body: { hex: '' } })
  })
  add('goodbye/encode', 'goodbye_encode', {})

  // ---- decode ----
  const encoded = (m) => unhex(encode(m))
  const addDecode = (id, wire, pieces) => {
    const input = { wire: hex(wire) }
    if (pieces) input.pieces = pieces
    add('decode/' + id, 'packet_decode', input)
  }
  // A session of mixed packets, whole, bytewise and in random pieces, with and without
  // goodbye.
  const rng = new Rng('muxrpc/session')
  const session = []
  for (let i = 0; i < 24; i++) {
    const [bname, body] = bodies[rng.below(bodies.length)]
    if ('undefined' in body) continue
    const [stream, end] = rng.pick(flagCombos)
    session.push({ name: bname, msg: { req: rng.pick(reqs), stream, end, body } })
  }
  const sessionWire = Buffer.concat(session.map((s) => encoded(s.msg)))
  const withBye = Buffer.concat([sessionWire, Buffer.alloc(9)])
  addDecode('session/whole', withBye)
  addDecode('session/bytewise', withBye, Array(withBye.length).fill(1))
  for (let k = 0; k < 6; k++) {
    const r = new Rng('muxrpc/pieces/' + k)
    const pieces = []
    for (let left = withBye.length; left > 0;) { const m = Math.min(left, 1 + r.below(k < 3 ? 12 : 200)); pieces.push(m); left -= m }
    addDecode('session/pieces-' + pad(k), withBye, pieces)
  }
  addDecode('session/no-goodbye', sessionWire)
  addDecode('session/trailing-bytes-after-goodbye', Buffer.concat([withBye, Buffer.from('ignored after goodbye')]))
  addDecode('session/packets-after-goodbye', Buffer.concat([withBye, encoded({ req: 5, stream: false, end: false, body: { json: 1 } }), Buffer.alloc(9)]))
  // Every body type and flag combination alone, each split at every byte boundary once.
  session.slice(0, 10).forEach((s, i) => {
    const w = Buffer.concat([encoded(s.msg), Buffer.alloc(9)])
    addDecode('single/' + pad(i) + '-' + s.name + '/whole', w)
    const cut = 1 + (i * 7) % (w.length - 1)
    addDecode('single/' + pad(i) + '-' + s.name + '/split-' + cut, w, [cut])
  })
  // Large bodies in pieces.
  for (const size of [70000]) {
    const w = Buffer.concat([encoded({ req: -3, stream: true, end: false, body: { hex: hex(detBytes('muxrpc/large/' + size, size)) } }), Buffer.alloc(9)])
    const r = new Rng('muxrpc/large-pieces/' + size)
    const pieces = []
    for (let left = w.length; left > 0;) { const m = Math.min(left, 1 + r.below(9000)); pieces.push(m); left -= m }
    addDecode('large/' + size + '/pieces', w, pieces)
  }
  // Headers JS would not write itself.
  const bye = Buffer.alloc(9)
  const oneJson = encoded({ req: 1, stream: false, end: false, body: { json: 1 } })
  addDecode('goodbye/only', bye)
  addDecode('goodbye/bytewise', bye, Array(9).fill(1))
  // Any header with length 0 is a goodbye, whatever the flags and request number.
  const zeroLen = [[0x01, 1], [0x02, 1], [0x08, -1], [0x0e, 7], [0x0f, -2147483648], [0xff, 2147483647], [0x03, 0], [0x00, 5]]
  zeroLen.forEach(([flags, req], i) => {
    addDecode('zero-length/' + pad(i) + '-flags-' + flags.toString(16), Buffer.concat([oneJson, header(flags, 0, req), oneJson, bye]))
  })
  // Upper flag bits are ignored.
  for (const flags of [0x10, 0x20, 0x40, 0x80, 0xf2, 0xfa, 0xfe, 0x79]) {
    addDecode('flags/high-bits-' + flags.toString(16), Buffer.concat([header(flags, 4, 9), Buffer.from('true'), bye]))
  }
  // Body type 3: an error once the body is read; length 0 still a goodbye.
  addDecode('type-3/with-body', Buffer.concat([oneJson, header(0x03, 3, 1), Buffer.from('abc'), bye]))
  addDecode('type-3/stream-end', Buffer.concat([header(0x0f, 1, -4), Buffer.from('x'), bye]))
  addDecode('type-3/truncated-body', Buffer.concat([header(0x03, 10, 1), Buffer.from('abc')]))
  // Request numbers at the edges of i32.
  for (const req of [0, 1, -1, 2147483647, -2147483648, 0x01020304, -0x01020304]) {
    addDecode('req/' + req, Buffer.concat([header(0x02, 2, req), Buffer.from('[]'), bye]))
  }
  // Large announced lengths with little data: JS waits for the body, so the stream is
  // truncated (it never allocates the announced size either: pull-reader buffers what came).
  for (const len of [0x00010000, 0x01000000, 0x7fffffff, 0x80000000, 0xffffffff]) {
    addDecode('large-length/' + len.toString(16), Buffer.concat([oneJson, header(0x02, len, 1), Buffer.from('{"a":')]))
  }
  // Truncation at every kind of place.
  const two = Buffer.concat([oneJson, encoded({ req: -1, stream: true, end: true, body: { json: true } })])
  for (const cut of [0, 1, 8, 9, oneJson.length, oneJson.length + 4, oneJson.length + 9, two.length - 1, two.length, two.length + 5]) {
    addDecode('truncated/at-' + cut, Buffer.concat([two, bye]).subarray(0, cut))
  }
  // What JS makes of bodies: lossy UTF-8, JSON.parse.
  const text = (s) => Buffer.concat([header(0x09, Buffer.byteLength(s), 2), Buffer.from(s)])
  const rawText = (b) => Buffer.concat([header(0x01, b.length, 2), b])
  const rawJson = (b) => Buffer.concat([header(0x02, b.length, 3), b])
  const badUtf8 = ['ff', 'c0af', 'e28228', 'f09f98', 'eda080', 'edbfbf', '61ff62', 'f4908080', 'c3', 'e282ac', 'f09f9880ff']
  badUtf8.forEach((h, i) => {
    addDecode('utf8/text-' + pad(i) + '-' + h, Buffer.concat([rawText(unhex(h)), bye]))
    addDecode('utf8/json-string-' + pad(i) + '-' + h, Buffer.concat([rawJson(Buffer.concat([Buffer.from('{"s":"'), unhex(h), Buffer.from('"}')])), bye]))
  })
  addDecode('utf8/text-valid', Buffer.concat([text('ünïcödé ☃ 𝄞'), bye]))
  const jsonTexts = [
    ['whitespace', ' \t\n\r{ "a" : [ 1 , 2 ] }\r\n '],
    ['escapes', '"\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t\\ud83d\\ude00"'],
    ['duplicate-keys', '{"a":1,"b":2,"a":3}'],
    ['proto-key', '{"__proto__":{"x":1},"y":2}'],
    ['numbers', '[0,-0,1.0,1e2,1E-2,-12.5e+3,123456789012345678,0.1]'],
    ['string-value', '"a JSON string"'],
    ['nested', '[[[[[[[[[[{"deep":[[[[[[[[[[1]]]]]]]]]]}]]]]]]]]]]'],
    ['true', 'true'],
    ['null', 'null']
  ]
  jsonTexts.forEach(([name, s]) => addDecode('json/' + name, Buffer.concat([rawJson(Buffer.from(s)), bye])))
  const badJson = [
    ['garbage', 'z'],
    ['truncated', '{"a":'],
    ['trailing-comma', '[1,2,]'],
    ['single-quotes', "{'a':1}"],
    ['nan', 'NaN'],
    ['two-values', '1 2'],
    ['bom', '\ufeff{}'],
    ['unescaped-control', '"a\u0001b"'],
    ['leading-zero', '01'],
    ['undefined', 'undefined']
  ]
  badJson.forEach(([name, s]) => addDecode('invalid-json/' + name, Buffer.concat([oneJson, rawJson(Buffer.from(s)), oneJson, bye])))

  // ---- muxrpc sessions ----
  // A packet the peer sends: strings as text, `{hex}` as bytes, anything else as JSON.
  const asBody = (v) => typeof v === 'string' ? { text: v } : v && typeof v === 'object' && Object.keys(v).length === 1 && 'hex' in v ? v : { json: v }
  const P = (req, value, o) => ({ in: encode(Object.assign({ req, stream: false, end: false, body: asBody(value) }, o)) })
  const ask = (req, name, args) => P(req, { name, args })
  const open = (req, name, args, type) => P(req, { name, args, type }, { stream: true })
  const data = (req, value) => P(req, value, { stream: true })
  const end = (req, value = true) => P(req, value, { stream: true, end: true })
  const goodbye = { in: '000000000000000000' }
  const call = (type, name, args, dataIn) => ({ call: { type, name, args, data: dataIn || [] } })
  const sessions = [
    ['async/string-answer-is-type-1', [ask(1, ['hello'], ['jim'])]],
    ['async/sync-method', [ask(1, ['add'], [2, 3])]],
    ['async/undefined-answer-is-false', [ask(1, ['nothing'], [])]],
    ['async/error-answer', [ask(1, ['fail'], [])]],
    ['async/buffer-answer-is-type-0', [ask(1, ['bytes'], [])]],
    ['async/name-as-plain-string', [ask(1, 'hello', ['str'])]],
    ['async/nested-name', [ask(1, ['ns', 'deep'], [])]],
    ['async/type-field-ignored', [P(1, { name: ['hello'], args: ['t'], type: 'source' })]],
    ['async/unknown-method', [ask(1, ['nope'], []), ask(2, ['nope', 'x'], []), ask(3, 'manifest', []), ask(4, ['hello', 'x'], [])]],
    ['async/stream-method-called-async', [ask(1, ['count'], [2]), ask(2, ['pair'], [])]],
    ['async/args-not-array', [P(1, { name: ['hello'], args: 'x' }), P(2, { name: ['hello'] }), P(3, { name: ['hello'], args: { 0: 'a' } })]],
    ['async/many-in-flight', [ask(1, ['hello'], ['a']), ask(3, ['add'], [1, 1]), ask(2, ['fail'], []), ask(7, ['nothing'], [])]],
    ['source/values-then-end', [open(1, ['count'], [3], 'source'), end(1)]],
    ['source/empty', [open(1, ['count'], [0], 'source'), end(1)]],
    ['source/requester-aborts', [open(1, ['live'], [], 'source'), end(1)]],
    ['source/requester-aborts-with-error', [open(1, ['live'], [], 'source'), end(1, { message: 'stop', name: 'Error' })]],
    ['source/unknown', [open(1, ['nope'], [], 'source'), end(1)]],
    ['source/async-method-as-source', [open(1, ['hello'], [], 'source'), end(1)]],
    ['source/sync-method-as-source', [open(1, ['add'], [], 'source'), end(1)]],
    ['source/no-args', [P(1, { name: ['count'], type: 'source' }, { stream: true }), end(1)]],
    ['sink/data-then-end', [open(1, ['collect'], [], 'sink'), data(1, 1), data(1, 'two'), data(1, { hex: '03' }), end(1)]],
    ['sink/end-at-once', [open(1, ['collect'], [], 'sink'), end(1)]],
    ['sink/unknown', [open(1, ['nothere'], [], 'sink'), end(1)]],
    ['duplex/responder-ends-first', [open(1, ['pair'], [], 'duplex'), data(1, 'x'), end(1)]],
    ['duplex/unknown', [open(1, ['chat'], [], 'duplex'), end(1)]],
    ['stream/unsupported-type', [open(1, ['count'], [], 'async'), open(2, ['count'], [], 'weird'), P(3, { name: ['count'], args: [] }, { stream: true })]],
    ['stream/several-open-at-once', [open(1, ['collect'], [], 'sink'), open(2, ['count'], [2], 'source'), ask(3, ['hello'], ['c']), data(1, 'x'), open(4, ['live'], [], 'source'), end(2), end(4), end(1)]],
    ['ignored/unknown-response-numbers', [P(-1, 5), P(-9, 'x', { stream: true }), P(-9, true, { stream: true, end: true }), P(-2147483648, 1)]],
    ['ignored/one-way-message', [P(0, { name: ['hello'], args: ['m'] })]],
    ['calls/async', [call('async', ['whoami'], []), P(-1, { id: '@peer' }), call('async', ['whoami'], []), P(-2, { message: 'nope', name: 'Error' }, { end: true })]],
    ['calls/source', [call('source', ['feed'], [{ live: false }]), data(-1, 1), data(-1, { text: 'two' }), end(-1)]],
    ['calls/sink', [call('sink', ['upload'], [], [1, 2, 'three']), end(-1)]],
    ['calls/duplex', [call('duplex', ['chat'], [{ v: 1 }], ['hi']), data(-1, 'hey'), end(-1)]],
    ['calls/both-directions-same-numbers', [call('async', ['whoami'], []), ask(1, ['hello'], ['both']), call('source', ['feed'], []), open(2, ['count'], [1], 'source'), P(-1, 'me'), data(-2, 7), end(-2), end(2)]],
    ['goodbye/idle', [goodbye]],
    ['goodbye/with-open-streams', [open(1, ['live'], [], 'source'), call('source', ['feed'], []), goodbye]],
    ['goodbye/after-traffic', [ask(1, ['hello'], ['x']), open(2, ['count'], [1], 'source'), end(2), goodbye]]
  ]
  for (const [name, steps] of sessions) {
    add('session/' + name, 'muxrpc_session', { perms: false, steps })
  }
  // Behind an allow list (what anonymous peers of an ssb-server get).
  const permSessions = [
    ['allowed', [ask(1, ['hello'], ['p']), ask(2, ['ns', 'deep'], [])]],
    ['not-allowed', [ask(1, ['secret'], []), ask(2, ['nope', 'x'], []), open(3, ['ebt', 'replicate'], [{ version: 3 }], 'duplex'), end(3)]],
    ['allowed-but-missing', [ask(1, ['hello', 'x'], []), open(2, ['count', 'x'], [], 'source'), end(2)]]
  ]
  for (const [name, steps] of permSessions) {
    add('session/perms/' + name, 'muxrpc_session', { perms: true, steps })
  }
  return cases
}

module.exports = { description, reference, generate, run }
