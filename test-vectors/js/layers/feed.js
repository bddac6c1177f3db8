'use strict'
// feed layer: classic messages created by ssb-validate + ssb-keys, validated by
// ssb-validate (append and appendOOO) with libsodium signatures. Expected ids, verdicts and
// error classes all come from those packages; lib/ed25519.js only crafts odd inputs.
const ssbKeys = require('ssb-keys')
const validate = require('ssb-validate')
const cl = require('chloride')
const ed = require('../lib/ed25519')
const { detBytes, Rng, hex, unhex } = require('../common')

const description = 'classic feed messages: create (ssb-validate.create + ssb-keys), validate in order (append) and out of order (appendOOO), with and without an HMAC key'
const reference = {
  'ssb-validate': require('ssb-validate/package.json').version,
  'ssb-keys': require('ssb-keys/package.json').version,
  chloride: require('chloride/package.json').version,
  'sodium-native': require('sodium-native/package.json').version
}

// ssb-validate's error messages -> the stable codes ssb-feed uses.
const CODES = [
  [/must have author/, 'author_invalid'],
  [/signature type must match/, 'signature_malformed'],
  [/expected sequence/, 'sequence_mismatch'],
  [/expected different previous/, 'fork'],
  [/initial message must have previous/, 'first_previous_not_null'],
  [/initial message must have sequence/, 'first_sequence_not_one'],
  [/must have timestamp/, 'timestamp_not_number'],
  [/keys in allowed order/, 'key_order'],
  [/invalid properties|invalid shape/, 'invalid_shape'],
  [/must not be larger than 8192/, 'too_large'],
  [/type must be a string/, 'content_type'],
  [/invalid HMAC key/, 'hmac_key_invalid'],
  [/invalid signature/, 'signature_invalid']
]
function codeOf (err) {
  for (const [rx, code] of CODES) if (rx.test(err.message)) return code
  return null
}
// What ssb-validate throws (rather than returns) during a check: a TypeError from
// isInvalidHmacKey when the HMAC key is not a string (Buffer.from refuses it) ->
// hmac_key_invalid; anything else comes from the signature check (sodium-native refusing a
// signature of another length, ssb-keys having no curve named like the author's suffix) ->
// signature_invalid.
function thrownCode (e) {
  if (/\bat isInvalidHmacKey\b/.test(String(e && e.stack))) return 'hmac_key_invalid'
  return codeOf(e) || 'signature_invalid'
}
// What ssb-validate.create throws -> code: its own two checks, then those of isInvalidShape.
const CREATE_CODES = [
  [/^timestamp must be provided$/, 'timestamp'],
  [/^invalid message content, must be object or encrypted string$/, 'content']
]
function createCode (e) {
  for (const [rx, code] of CREATE_CODES) if (rx.test(e.message)) return code
  return codeOf(e) || unknown(e)
}

// One parsed message against a flat state ({id, sequence, timestamp} or null), as
// ssb-validate's append checks it; used by validation-dataset-oracle.js.
function checkOne (flat, hmac, msg) {
  if (msg === null) return { valid: false, error: 'not_an_object' } // JS: TypeError reading msg.author
  const cheap = validate.checkInvalidCheap(flat, msg)
  if (cheap) return { valid: false, error: codeOf(cheap) || unknown(cheap) }
  let err
  try { err = validate.checkInvalid(flat, hmac, msg) } catch (e) { return { valid: false, error: thrownCode(e) } }
  if (err) return { valid: false, error: codeOf(err) || unknown(err) }
  return { valid: true, id: validate.id(msg) }
}

// One message through ssb-validate. `feeds` is ssb-validate's state object.
function runOne (state, hmac, mode, text) {
  let msg
  try { msg = JSON.parse(text) } catch (e) { return { valid: false, error: 'json' } }
  if (msg === null) return { valid: false, error: 'not_an_object' } // JS: TypeError reading msg.author
  if (mode === 'ooo') {
    try {
      validate.appendOOO(state, hmac, msg)
    } catch (e) {
      return { valid: false, error: thrownCode(e) }
    }
    if (state.error) return { valid: false, error: codeOf(state.error) || unknown(state.error) }
    return { valid: true, id: state.queue[state.queue.length - 1].key }
  }
  // The cheap checks never throw on an object; see thrownCode for what append throws.
  const f = state.feeds[msg.author]
  const flat = f ? { id: f.id, sequence: f.sequence, timestamp: f.timestamp } : null
  const cheap = validate.checkInvalidCheap(flat, msg)
  if (cheap) return { valid: false, error: codeOf(cheap) || unknown(cheap) }
  try {
    validate.append(state, hmac, msg)
  } catch (e) {
    return { valid: false, error: thrownCode(e) }
  }
  return { valid: true, id: state.queue[state.queue.length - 1].key }
}
function unknown (e) { throw new Error('unmapped ssb-validate error: ' + e.message) }

function run (op, input) {
  switch (op) {
    case 'validate': {
      const state = validate.initial()
      const results = input.messages.map((text) => runOne(state, input.hmac_key, input.mode, text))
      return { ok: { results } }
    }
    case 'create': {
      const keys = ssbKeys.generate('ed25519', unhex(input.seed))
      const content = JSON.parse(input.content_json)
      const st = input.state ? { id: input.state.id, sequence: input.state.sequence, timestamp: input.state.timestamp, queue: [] } : null
      let msg
      try {
        msg = validate.create(st, keys, input.hmac_key, content, input.timestamp)
      } catch (e) { return { error: createCode(e) } }
      // ssb-validate.appendNew = create + append: what append refuses is not created.
      const err = validate.checkInvalid(st && { id: st.id, sequence: st.sequence, timestamp: st.timestamp }, input.hmac_key, msg)
      if (err) return { error: codeOf(err) || unknown(err) }
      return { ok: { message: JSON.stringify(msg, null, 2), id: validate.id(msg) } }
    }
  }
  throw new Error('unknown op ' + op)
}

// ---- content generation ----------------------------------------------------------------
const WORDS = ['hello', 'scuttlebutt', 'pub', 'gossip', 'feed', 'ß', 'é', '€', '中文', '😀', 'naïve', 'Ωmega', '\u2028', 'tab\t', 'quote"', 'back\\slash', 'nul\u0000', '\u001f', '/slash', 'ünïcödé', 'אבג', 'ش', '🏳️‍🌈']
function text (rng, maxWords) {
  const n = 1 + rng.below(maxWords)
  const out = []
  for (let i = 0; i < n; i++) out.push(rng.pick(WORDS))
  return out.join(' ')
}
function number (rng) {
  return rng.pick([0, 1, -1, 1.5, 0.1, 1e21, 1e-7, 123456789.125, 2 ** 53, -(2 ** 31), 5e-324, 1.7976931348623157e308, rng.u32() / 7, rng.u32() * 1000 + 0.25])
}
function content (rng, i) {
  switch (rng.below(8)) {
    case 0: return { type: 'post', text: text(rng, 60) }
    case 1: return { type: 'post', text: text(rng, 20), mentions: [{ link: '@' + detBytes('m' + i, 32).toString('base64') + '.ed25519', name: text(rng, 2) }], root: '%' + detBytes('r' + i, 32).toString('base64') + '.sha256' }
    case 2: return { type: 'contact', contact: '@' + detBytes('c' + i, 32).toString('base64') + '.ed25519', following: rng.below(2) === 0 }
    case 3: return { type: 'vote', vote: { link: '%' + detBytes('v' + i, 32).toString('base64') + '.sha256', value: rng.pick([1, 0, -1]), expression: rng.pick(['Like', 'Unlike', '❤️']) } }
    case 4: { const o = { type: 'test' }; o[String(rng.below(20))] = number(rng); o['10'] = text(rng, 3); o.z = [number(rng), number(rng), { y: null, x: [] }]; o['4294967295'] = 'not an index'; o['01'] = 'nor this'; return o }
    case 5: return detBytes('box' + i, 50 + rng.below(300)).toString('base64') + '.box'
    case 6: return detBytes('box2' + i, 40 + rng.below(200)).toString('base64') + '.box2'
    default: return { type: 'about', about: '@' + detBytes('a' + i, 32).toString('base64') + '.ed25519', name: text(rng, 3), description: text(rng, 30) }
  }
}

// Builds a feed with ssb-validate.create (order B); every `orderAEvery`-th message is
// re-signed in order A (previous, author, sequence, ...), as older clients wrote them.
function makeFeed (seed, n, hmac, label) {
  const keys = ssbKeys.generate('ed25519', seed)
  const rng = new Rng('feed/' + label)
  const msgs = []
  let st = null
  for (let i = 0; i < n; i++) {
    const ts = 1514517067954 + i * 1000 + (rng.below(4) === 0 ? 0.5 : 0)
    let msg = validate.create(st, keys, hmac, content(rng, label + i), ts)
    if (i % 5 === 3) {
      const a = { previous: msg.previous, author: msg.author, sequence: msg.sequence, timestamp: msg.timestamp, hash: msg.hash, content: msg.content }
      msg = ssbKeys.signObj(keys, hmac, a)
    }
    msgs.push(msg)
    st = { id: validate.id(msg), sequence: msg.sequence, timestamp: msg.timestamp, queue: [] }
  }
  return { keys, msgs }
}
const wire = (m) => JSON.stringify(m, null, 2)
const compact = (m) => JSON.stringify(m)

function interleave (feeds, rng) {
  const idx = feeds.map(() => 0)
  const out = []
  for (;;) {
    const live = feeds.map((f, i) => i).filter((i) => idx[i] < feeds[i].msgs.length)
    if (!live.length) return out
    const i = rng.pick(live)
    out.push(feeds[i].msgs[idx[i]++])
  }
}

// Re-sign an object (keeping its key order) as its author would.
function resign (keys, hmac, obj) {
  const o = Object.assign({}, obj)
  delete o.signature
  return ssbKeys.signObj(keys, hmac, o)
}

// A signature crafted with explicit R (torsion allowed): s = r + k*a, k = H(R || A || M).
function craftedSign (a, A, M, r, T) {
  const R = ed.encode(ed.add(ed.mul(r, ed.B), T))
  const k = ed.hram(R, A, M)
  const s = ed.mod(r + k * a, ed.L)
  return { sig: Buffer.concat([R, ed.bigToLe(s)]), k }
}

function generate () {
  const cases = []
  const add = (id, op, input) => cases.push({ id, op, input, expect: run(op, input) })
  const pad = (n) => String(n).padStart(3, '0')
  const seeds = [0, 1, 2, 3, 4, 5].map((i) => detBytes('feed/author/' + i, 32))
  const hmacKey = detBytes('feed/hmac', 32).toString('base64')

  // Whole feeds, interleaved, main network and an HMAC network.
  const main = seeds.slice(0, 5).map((s, i) => makeFeed(s, 400, null, 'main' + i))
  add('feeds/main-net/interleaved', 'validate', { hmac_key: null, mode: 'append', messages: interleave(main, new Rng('feed/il')).map((m, i) => i % 3 ? wire(m) : compact(m)) })
  const net = seeds.slice(0, 3).map((s, i) => makeFeed(s, 200, hmacKey, 'hmac' + i))
  add('feeds/hmac-net/interleaved', 'validate', { hmac_key: hmacKey, mode: 'append', messages: interleave(net, new Rng('feed/il2')).map(wire) })
  add('feeds/hmac-net/on-main-net', 'validate', { hmac_key: null, mode: 'append', messages: net[0].msgs.slice(0, 3).map(wire) })
  add('feeds/main-net/on-hmac-net', 'validate', { hmac_key: hmacKey, mode: 'append', messages: main[0].msgs.slice(0, 3).map(wire) })
  {
    // Out of order: a shuffled selection.
    const rng = new Rng('feed/ooo')
    const pool = main.flatMap((f) => f.msgs.slice(0, 60))
    for (let i = pool.length - 1; i > 0; i--) { const j = rng.below(i + 1); [pool[i], pool[j]] = [pool[j], pool[i]] }
    add('feeds/main-net/out-of-order', 'validate', { hmac_key: null, mode: 'ooo', messages: pool.map(wire) })
  }
  for (const bad of ['', 'AAAA', detBytes('short', 31).toString('base64'), hmacKey.replace('=', ''), hmacKey.slice(0, 42) + 'B=']) {
    add('feeds/invalid-hmac-key/' + pad(cases.length), 'validate', { hmac_key: bad, mode: 'append', messages: net[1].msgs.slice(0, 2).map(wire).concat(['{"author": 1}']) })
  }

  // Mutations of single messages. Each case: the author's messages before the mutated one,
  // then the mutated message (as wire text), so the state is exact.
  const mutations = []
  const M = (name, fn) => mutations.push([name, fn])
  const setField = (o, k, v) => { const r = {}; for (const key of Object.keys(o)) r[key] = key === k ? v : o[key]; return r }
  M('flip-content-char', (m) => wire(m).replace(/("type": ")(.)/, (x, a, c) => a + (c === 'x' ? 'y' : 'x')))
  M('sequence-plus-one', (m) => wire(setField(m, 'sequence', m.sequence + 1)))
  M('sequence-string', (m) => wire(setField(m, 'sequence', String(m.sequence))))
  M('sequence-string-resigned', (m, k) => wire(resign(k, null, setField(m, 'sequence', String(m.sequence)))))
  M('sequence-float', (m) => wire(setField(m, 'sequence', m.sequence + 0.5)))
  M('sequence-array', (m) => wire(setField(m, 'sequence', [m.sequence])))
  M('sequence-spelled-2.0', (m) => wire(m).replace(/"sequence": (\d+)/, '"sequence": $1.0'))
  M('previous-other', (m) => wire(setField(m, 'previous', '%' + detBytes('other', 32).toString('base64') + '.sha256')))
  M('previous-array-resigned', (m, k) => wire(resign(k, null, setField(m, 'previous', m.previous === null ? null : [m.previous]))))
  M('previous-null', (m) => wire(setField(m, 'previous', null)))
  M('author-other', (m) => wire(setField(m, 'author', ssbKeys.generate('ed25519', detBytes('x', 32)).id)))
  M('author-sha256-suffix', (m) => wire(setField(m, 'author', m.author.replace('.ed25519', '.sha256'))))
  M('author-sha256-suffix-sig', (m) => wire(setField(setField(m, 'author', m.author.replace('.ed25519', '.sha256')), 'signature', m.signature.replace('.sig.ed25519', '.sig.sha256'))))
  M('author-dot-wildcard', (m) => wire(setField(m, 'author', m.author.replace('.ed25519', 'Xed25519'))))
  M('author-noncanonical', (m) => wire(setField(m, 'author', m.author.slice(0, 43) + 'B' + m.author.slice(44))))
  M('author-missing-sigil', (m) => wire(setField(m, 'author', m.author.slice(1))))
  M('signature-removed', (m) => { const o = Object.assign({}, m); delete o.signature; return wire(o) })
  M('signature-noncanonical', (m) => wire(setField(m, 'signature', m.signature.slice(0, 86) + 'B=' + m.signature.slice(88))))
  M('signature-suffix', (m) => wire(setField(m, 'signature', m.signature.replace('.sig.ed25519', '.sig.ed25518'))))
  M('signature-dot-wildcard', (m) => wire(setField(m, 'signature', m.signature.replace('.sig.ed25519', '.sigXed25519'))))
  M('signature-url-safe', (m) => wire(setField(m, 'signature', '-' + m.signature.slice(1))))
  M('signature-65-bytes', (m) => wire(setField(m, 'signature', Buffer.concat([Buffer.from(m.signature.slice(0, 88), 'base64'), Buffer.from([0])]).toString('base64') + '.sig.ed25519')))
  M('signature-66-bytes', (m) => wire(setField(m, 'signature', Buffer.concat([Buffer.from(m.signature.slice(0, 88), 'base64'), Buffer.from([0, 0])]).toString('base64') + '.sig.ed25519')))
  M('signature-s-plus-l', (m) => { const b = Buffer.from(m.signature.slice(0, 88), 'base64'); const s = ed.leToBig(b.subarray(32)) + ed.L; ed.bigToLe(s).copy(b, 32); return wire(setField(m, 'signature', b.toString('base64') + '.sig.ed25519')) })
  M('hash-sha512', (m) => wire(setField(m, 'hash', 'sha512')))
  M('hash-sha512-resigned', (m, k) => wire(resign(k, null, setField(m, 'hash', 'sha512'))))
  M('extra-key', (m) => { const o = Object.assign({}, m); delete o.signature; o.extra = 1; o.signature = m.signature; return wire(o) })
  M('swap-hash-timestamp', (m) => { const o = {}; for (const k of Object.keys(m)) { if (k === 'timestamp') continue; o[k] = m[k]; if (k === 'hash') o.timestamp = m.timestamp } return wire(o) })
  M('order-a-resigned', (m, k) => wire(resign(k, null, { previous: m.previous, author: m.author, sequence: m.sequence, timestamp: m.timestamp, hash: m.hash, content: m.content })))
  M('order-b-resigned', (m, k) => wire(resign(k, null, { previous: m.previous, sequence: m.sequence, author: m.author, timestamp: m.timestamp, hash: m.hash, content: m.content })))
  M('type-2-units', (m, k) => wire(resign(k, null, setField(m, 'content', { type: 'ab' }))))
  M('type-3-units', (m, k) => wire(resign(k, null, setField(m, 'content', { type: 'abc' }))))
  M('type-52-units', (m, k) => wire(resign(k, null, setField(m, 'content', { type: 'x'.repeat(52) }))))
  M('type-53-units', (m, k) => wire(resign(k, null, setField(m, 'content', { type: 'x'.repeat(53) }))))
  M('type-emoji-52-units', (m, k) => wire(resign(k, null, setField(m, 'content', { type: '😀'.repeat(26) }))))
  M('type-emoji-54-units', (m, k) => wire(resign(k, null, setField(m, 'content', { type: '😀'.repeat(27) }))))
  M('type-number', (m, k) => wire(resign(k, null, setField(m, 'content', { type: 12345 }))))
  M('type-missing', (m, k) => wire(resign(k, null, setField(m, 'content', { text: 'no type' }))))
  M('content-array', (m, k) => wire(resign(k, null, setField(m, 'content', ['post']))))
  M('content-null', (m, k) => wire(resign(k, null, setField(m, 'content', null))))
  M('content-plain-string', (m, k) => wire(resign(k, null, setField(m, 'content', 'hello world'))))
  M('content-empty-string', (m, k) => wire(resign(k, null, setField(m, 'content', ''))))
  M('content-box', (m, k) => wire(resign(k, null, setField(m, 'content', detBytes('b', 100).toString('base64') + '.box'))))
  M('content-box2', (m, k) => wire(resign(k, null, setField(m, 'content', detBytes('b', 101).toString('base64') + '.box2'))))
  M('content-box-empty-base64', (m, k) => wire(resign(k, null, setField(m, 'content', '.box'))))
  M('content-box-suffix-junk', (m, k) => wire(resign(k, null, setField(m, 'content', 'AAAA.boxanything at all'))))
  M('content-box-newline', (m, k) => wire(resign(k, null, setField(m, 'content', 'AAAA.box\nx'))))
  M('content-box-noncanonical', (m, k) => wire(resign(k, null, setField(m, 'content', 'AB==.box'))))
  M('content-box-unpadded', (m, k) => wire(resign(k, null, setField(m, 'content', 'AAA.box'))))
  M('timestamp-string-resigned', (m, k) => wire(resign(k, null, setField(m, 'timestamp', String(m.timestamp)))))
  M('timestamp-1e400-resigned', (m, k) => wire(resign(k, null, setField(m, 'timestamp', Infinity))).replace('"timestamp": null', '"timestamp": 1e400'))
  M('timestamp-float-resigned', (m, k) => wire(resign(k, null, setField(m, 'timestamp', m.timestamp + 0.125))))
  M('timestamp-negative-zero-resigned', (m, k) => wire(resign(k, null, setField(m, 'timestamp', 0))).replace('"timestamp": 0', '"timestamp": -0'))
  M('duplicate-key-same-value', (m) => wire(m).replace('"hash": "sha256",', '"hash": "sha512",\n  "hash": "sha256",'))
  M('duplicate-key-other-value', (m) => wire(m).replace('"hash": "sha256",', '"hash": "sha256",\n  "hash": "sha512",'))
  M('compact-spelling', (m) => compact(m))
  M('escaped-spelling', (m) => wire(m).replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')))
  M('exponent-timestamp', (m) => wire(m).replace(/"timestamp": (\d)(\d+)(,|\n)/, (x, a, b, e) => '"timestamp": ' + a + '.' + b + 'E+' + b.length + e))
  M('size-8192-units', (m, k) => sized(m, k, 8192))
  M('size-8193-units', (m, k) => sized(m, k, 8193))
  M('size-8192-units-non-ascii', (m, k) => sized(m, k, 8192, 'é'))
  M('size-8193-units-non-ascii', (m, k) => sized(m, k, 8193, '😀'))
  M('not-json', (m) => wire(m).slice(0, -1))
  M('json-null', () => 'null')
  M('json-array', () => '[]')
  M('json-string', () => '"@abc"')
  M('json-number', () => '42')
  M('lone-surrogate-key', (m) => wire(m).replace('"hash"', '"h\\udc80sh"'))
  function sized (m, k, target, ch) {
    ch = ch || 'a'
    const base = setField(m, 'content', { type: 'post', text: '' })
    let lo = 0
    let msg = resign(k, null, base)
    const len = (x) => JSON.stringify(x, null, 2).length
    const unit = ch.length
    lo = Math.floor((target - len(msg)) / unit)
    msg = resign(k, null, setField(m, 'content', { type: 'post', text: ch.repeat(lo) }))
    while (len(msg) < target) msg = resign(k, null, setField(m, 'content', { type: 'post', text: ch.repeat(lo) + 'a'.repeat(target - len(msg)) }))
    if (len(msg) !== target) throw new Error('sizing failed ' + len(msg) + ' ' + target)
    return wire(msg)
  }

  const victims = [main[0], main[1], main[2]]
  mutations.forEach(([name, fn]) => {
    victims.forEach((f, vi) => {
      // A first message, and a later one (index 4, so the state matters).
      for (const at of vi === 2 ? [0] : [0, 4]) {
        const before = f.msgs.slice(0, at).map(wire)
        const text = fn(f.msgs[at], f.keys)
        add('mutated/' + name + '/' + vi + '-' + at, 'validate', { hmac_key: null, mode: 'append', messages: before.concat([text]) })
        if (vi === 0 && at === 4) add('mutated-ooo/' + name, 'validate', { hmac_key: null, mode: 'ooo', messages: [text] })
      }
    })
  })
  // Appending twice, forks, a message after an invalid one.
  {
    const f = main[3]
    const w = f.msgs.map(wire)
    add('sequence/duplicate-append', 'validate', { hmac_key: null, mode: 'append', messages: [w[0], w[1], w[1], w[2]] })
    add('sequence/skip', 'validate', { hmac_key: null, mode: 'append', messages: [w[0], w[2], w[1], w[2]] })
    add('sequence/missing-first', 'validate', { hmac_key: null, mode: 'append', messages: [w[1], w[2]] })
    const fork = validate.create({ id: validate.id(f.msgs[0]), sequence: 1, timestamp: 1, queue: [] }, f.keys, null, { type: 'post', text: 'fork' }, 1514517067954)
    add('sequence/fork', 'validate', { hmac_key: null, mode: 'append', messages: [w[0], w[1], wire(fork), w[2]] })
    add('sequence/fork-first', 'validate', { hmac_key: null, mode: 'append', messages: [w[0], wire(fork), w[1], w[2]] })
    const bad = w[1].replace('"sha256"', '"sha512"')
    add('sequence/after-invalid', 'validate', { hmac_key: null, mode: 'append', messages: [w[0], bad, w[1], w[2], w[3]] })
  }

  // Crafted signatures: an author whose key has a torsion component, signing with R that
  // carries torsion too. libsodium (cofactorless, exact R bytes) accepts exactly those
  // where the torsion parts cancel; batch equations could disagree.
  {
    const seed = detBytes('feed/crafted', 32)
    const { a } = ed.expand(seed)
    for (const tA of [1n, 2n, 4n]) {
      const Apt = ed.add(ed.mul(a, ed.B), ed.mul(tA, ed.T8))
      const A = ed.encode(Apt)
      const author = '@' + A.toString('base64') + '.ed25519'
      const rng = new Rng('feed/crafted/' + tA)
      const msgs = []
      let st = null
      for (let i = 0; i < 6; i++) {
        const msg = { previous: st ? st.id : null, sequence: i + 1, author, timestamp: 1514517067954 + i, hash: 'sha256', content: { type: 'post', text: 'crafted ' + i } }
        const M = Buffer.from(JSON.stringify(msg, null, 2))
        // i even: torsion in R chosen to cancel (libsodium accepts); i odd: not cancelling.
        let sig
        for (let tries = 0; tries < 1000 && !sig; tries++) {
          const r = ed.mod(ed.leToBig(rng.bytes(64)), ed.L)
          for (let j = 1n; j < 8n && !sig; j++) {
            const c = craftedSign(a, A, M, r, ed.mul(j, ed.T8))
            const cancels = ed.mod(j + c.k * tA, 8n) === 0n
            if (cancels === (i % 2 === 0)) sig = c.sig
          }
        }
        const signed = Object.assign({}, msg, { signature: sig.toString('base64') + '.sig.ed25519' })
        const ok = cl.crypto_sign_verify_detached(sig, M, A)
        msgs.push(wire(signed))
        if (ok) st = { id: validate.id(signed) }
      }
      add('crafted/torsion-key-' + tA, 'validate', { hmac_key: null, mode: 'append', messages: msgs })
      add('crafted/torsion-key-' + tA + '-ooo', 'validate', { hmac_key: null, mode: 'ooo', messages: msgs })
    }
  }

  // create: ssb-validate.create + ssb-keys signing, byte for byte.
  {
    const rng = new Rng('feed/create')
    let st = null
    const seed = hex(seeds[5])
    for (let i = 0; i < 40; i++) {
      const c = content(rng, 'create' + i)
      const ts = [1514517067954, 1514517078157.5, 0, -1, 1e21, 1.5e-7, 2 ** 53 + 2][i % 7] + (i % 7 < 2 ? i : 0)
      const input = { seed, state: st, content_json: JSON.stringify(c), timestamp: ts, hmac_key: i % 4 === 3 ? hmacKey : null }
      add('create/' + pad(i), 'create', input)
      const out = run('create', input)
      if (out.ok && input.hmac_key === null) {
        const m = JSON.parse(out.ok.message)
        st = { id: out.ok.id, sequence: m.sequence, timestamp: m.timestamp }
      }
    }
    add('create/type-too-short', 'create', { seed, state: null, content_json: '{"type":"ab"}', timestamp: 1, hmac_key: null })
    add('create/plain-string', 'create', { seed, state: null, content_json: '"hello"', timestamp: 1, hmac_key: null })
    add('create/array-content', 'create', { seed, state: null, content_json: '["post"]', timestamp: 1, hmac_key: null })
    // The content of the protocol notes' message 1 (docs/PROTOCOL.md §9.3), by its author (seed 01 x 32): what
    // ssb-validate.create writes for it (field order B, so not the protocol notes' order-A text).
    add('create/spec-9.3-message-1', 'create', { seed: '01'.repeat(32), state: null, content_json: '{"type":"post","text":"hello"}', timestamp: 1514517067954, hmac_key: null })
    add('create/too-large-after-signing', 'create', { seed, state: null, content_json: JSON.stringify({ type: 'post', text: 'a'.repeat(8192 - 230) }), timestamp: 1, hmac_key: null })
    add('create/order-of-index-keys', 'create', { seed, state: null, content_json: '{"type":"test","b":1,"10":2,"2":3,"a":{"1":1,"0":0}}', timestamp: 1, hmac_key: null })
  }
  return cases
}

module.exports = { description, reference, generate, run, checkOne }
