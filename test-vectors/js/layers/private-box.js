'use strict'
// private-box layer: private messages through private-box (multibox, multibox_open_key,
// multibox_open) and ssb-keys (box, unbox), and private feed messages made by ssb-validate.
//
// multibox draws its nonce, body key and one-time key pair at random through chloride ->
// sodium-native: randombytes_buf(24), randombytes_buf(32), crypto_box_keypair(). To make a
// box reproducible, withFixedRandomness() replaces exactly those two sodium-native functions
// for the duration of one call (restoring them afterwards) with ones that hand out the
// case's `nonce`, `key` and `onetime` secret, and checks that all three were drawn, in
// order. Everything else, every box byte and every verdict, is private-box's, ssb-keys' and
// libsodium's own. Forged boxes (a count byte that points past the end, a low-order one-time
// key) are built here from chloride's primitives; what JS makes of them is private-box's.
const na = require('sodium-native')
const cl = require('chloride')
const pb = require('private-box')
const ssbKeys = require('ssb-keys')
const validate = require('ssb-validate')
const { detBytes, Rng, hex, unhex, makeCase } = require('../common')

const description = 'private-box: multibox sealing to 1..7 recipients and larger max up to 255, opening by every recipient and by non-recipients (multibox_open_key, multibox_open), truncated, tampered and forged boxes; ssb-keys box/unbox of feed content; private feed messages made by ssb-validate'
const reference = {
  'private-box': require('private-box/package.json').version,
  'ssb-keys': require('ssb-keys/package.json').version,
  'ssb-validate': require('ssb-validate/package.json').version,
  chloride: require('chloride/package.json').version,
  'sodium-native': require('sodium-native/package.json').version
}

const MIN_BOX_LEN = 24 + 32 + 49 + 16

// ---- deterministic multibox ----------------------------------------------------------------
function withFixedRandomness (secrets, fn) {
  const pending = [unhex(secrets.nonce), unhex(secrets.key)]
  const onetime = unhex(secrets.onetime)
  let keypairs = 0
  const randombytesBuf = na.randombytes_buf
  const boxKeypair = na.crypto_box_keypair
  na.randombytes_buf = (buf) => {
    const next = pending.shift()
    if (!next || next.length !== buf.length) throw new Error('private-box drew randombytes_buf(' + buf.length + ') unexpectedly')
    next.copy(buf)
  }
  na.crypto_box_keypair = (pk, sk) => {
    keypairs++
    onetime.copy(sk) // libsodium: sk = 32 random bytes, pk = crypto_scalarmult_base(sk)
    na.crypto_scalarmult_base(pk, sk)
  }
  let result
  try {
    result = fn()
  } finally {
    na.randombytes_buf = randombytesBuf
    na.crypto_box_keypair = boxKeypair
  }
  if (pending.length !== 0 || keypairs !== 1) throw new Error('private-box did not draw nonce, key and one-time key as expected')
  return result
}

// Only these throws are expected from private-box on hostile input; anything else is a bug
// in this generator and must stop it.
const EXPECTED_THROWS = [
  /failed to derive shared secret/, // libsodium crypto_scalarmult: all-zero result
  /"p" must be crypto_scalarmult_BYTES bytes long/, // input too short for a one-time key
  /The value of "size" is out of range/ // body slice shorter than its 16-byte tag
]
function expectedThrow (e) {
  if (!EXPECTED_THROWS.some((rx) => rx.test(String(e && e.message)))) throw e
}

// ---- ops -----------------------------------------------------------------------------------
function sealErrorClass (e) {
  const m = String(e && e.message)
  if (/^max recipients is:/.test(m)) return 'too_many_recipients'
  if (/max recipients must be between/.test(m)) return 'invalid_max'
  if (/failed to derive shared secret/.test(m)) return 'low_order_recipient'
  throw e
}

function seal (input) {
  let boxed
  try {
    boxed = withFixedRandomness(input, () => pb.multibox(unhex(input.plaintext), input.recipients.map(unhex), input.max))
  } catch (e) { return { error: sealErrorClass(e) } }
  return { ok: { box: hex(boxed) } }
}

// One reader: JS's msg key (multibox_open_key) and plaintext (multibox_open), and the verdict:
// `opened` when multibox_open returned the plaintext; `malformed` when it threw or when a slot
// opened under the reader's key but the body did not; otherwise `not_for_me`.
function openOne (boxed, sk, max) {
  let threw = false
  let key = null
  try { key = pb.multibox_open_key(boxed, sk, max) || null } catch (e) { expectedThrow(e); threw = true }
  let plaintext = null
  try { plaintext = pb.multibox_open(boxed, sk, max) || null } catch (e) { expectedThrow(e); threw = true }
  let verdict = 'not_for_me'
  if (plaintext) verdict = 'opened'
  else if (threw || key) verdict = 'malformed'
  return { verdict, msg_key: key && hex(key), plaintext: plaintext && hex(plaintext) }
}

function open (input) {
  const boxed = unhex(input.box)
  return { ok: { results: input.secrets.map((sk) => openOne(boxed, unhex(sk), input.max)) } }
}

function boxContent (input) {
  const content = JSON.parse(input.content_json)
  let boxed
  try {
    boxed = withFixedRandomness(input, () => ssbKeys.box(content, input.recipients))
  } catch (e) {
    // ssb-keys.box converts every recipient first; libsodium refuses some keys, chloride
    // makes them null, and crypto_scalarmult(…, null) throws a TypeError.
    if (/must be an instance of TypedArray/.test(e.message)) return { error: 'invalid_recipient' }
    return { error: sealErrorClass(e) }
  }
  return { ok: { boxed } }
}

// One reader of boxed content: JSON.stringify of what ssb-keys.unbox returned (null when it
// returned undefined), and the verdict from private-box on the same bytes: `opened` when unbox
// returned a value; `malformed` when private-box threw, a slot opened, or the plaintext was
// not JSON; otherwise `not_for_me`.
function unboxOne (text, keys) {
  const got = ssbKeys.unbox(text, keys)
  const content = got === undefined ? null : JSON.stringify(got)
  const r = openOne(Buffer.from(text.slice(0, text.indexOf('.')), 'base64'), ssbKeys.ssbSecretKeyToPrivateBoxSecret(keys))
  let verdict = r.verdict
  if (content !== null) verdict = 'opened'
  else if (verdict === 'opened') verdict = 'malformed' // the plaintext is not JSON
  return { content, verdict }
}

function unboxContent (input) {
  return { ok: { results: input.seeds.map((s) => unboxOne(input.boxed, ssbKeys.generate('ed25519', unhex(s)))) } }
}

// A feed (in order, every message valid by ssb-validate) and, per message, its id and what
// each reader makes of its content.
function feedUnbox (input) {
  let prev = null
  const messages = input.messages.map((text) => {
    const msg = JSON.parse(text)
    const err = validate.checkInvalid(prev, null, msg)
    if (err) throw new Error('feed_unbox: a message is invalid: ' + err.message)
    const id = validate.id(msg)
    prev = { id, sequence: msg.sequence, timestamp: msg.timestamp }
    return { id, results: input.seeds.map((s) => unboxOne(msg.content, ssbKeys.generate('ed25519', unhex(s)))) }
  })
  return { ok: { messages } }
}

// ---- policies: where ssb-private-box decides more than the JS packages --------------------
const policies = {
  'no-recipients': {
    js: 'private-box multibox (and so ssb-keys box) seals to an empty recipient list: nonce, one-time key and body, a box no one can ever open (the open/js-zero-recipients case)',
    ours: 'SealError::NoRecipients (class no_recipients)',
    why: 'a message no one can read, its author included, is always a mistake; refusing it loses nothing'
  },
  'too-short': {
    js: 'multibox_open throws below 56 bytes (crypto_scalarmult wants a 32-byte key) and reads 56..120 bytes as a box for no one (no slot ends 16 bytes before the end)',
    ours: 'input shorter than the smallest box (121 bytes: one slot and an empty body) is OpenError::TooShort: verdict malformed for every reader',
    why: 'no sealer makes such a box; calling it "not for me" would hide corrupt or truncated input among the ordinary boxes for others'
  }
}

// Our verdict under `policies`, given the JS verdict `js`; null where no rule applies.
function policy (op, input, js) {
  if ((op === 'seal' || op === 'box_content') && input.recipients.length === 0) {
    return { rule: 'no-recipients', expect: { error: 'no_recipients' } }
  }
  const shortReaders = (len) => len < MIN_BOX_LEN && js.ok && {
    rule: 'too-short',
    expect: { ok: Object.assign({}, js.ok, { results: js.ok.results.map((r) => Object.assign({}, r, { verdict: r.verdict === 'not_for_me' ? 'malformed' : r.verdict })) }) }
  }
  if (op === 'open') return shortReaders(input.box.length / 2) || null
  if (op === 'unbox_content') return shortReaders(Buffer.from(input.boxed.slice(0, input.boxed.indexOf('.')), 'base64').length) || null
  return null
}

function run (op, input) {
  switch (op) {
    case 'seal': return seal(input)
    case 'open': return open(input)
    case 'box_content': return boxContent(input)
    case 'unbox_content': return unboxContent(input)
    case 'feed_unbox': return feedUnbox(input)
    default: throw new Error('unknown op ' + op)
  }
}

// ---- identities ----------------------------------------------------------------------------
const identities = []
function identity (i) {
  while (identities.length <= i) {
    const n = identities.length
    const seed = detBytes('private-box/identity/' + n, 32)
    const keys = ssbKeys.generate('ed25519', seed)
    const pk = Buffer.from(keys.public.replace(/\.ed25519$/, ''), 'base64')
    identities.push({
      seed: hex(seed),
      id: keys.id,
      curvePk: hex(cl.crypto_sign_ed25519_pk_to_curve25519(pk)),
      curveSk: hex(ssbKeys.ssbSecretKeyToPrivateBoxSecret(keys))
    })
  }
  return identities[i]
}
const range = (a, b) => Array.from({ length: b - a }, (_, i) => a + i)

function secretsFor (label) {
  return {
    onetime: hex(detBytes('private-box/onetime/' + label, 32)),
    key: hex(detBytes('private-box/key/' + label, 32)),
    nonce: hex(detBytes('private-box/nonce/' + label, 24))
  }
}

// X25519 u-coordinates of low order (their X25519 result is all zero for every scalar):
// 0, 1, the two of order 8, p - 1, p, p + 1 (little-endian), and 0 with bit 255 set.
const P = (1n << 255n) - 19n
const le32 = (n) => { const b = Buffer.alloc(32); for (let i = 0; i < 32; i++) { b[i] = Number(n & 0xffn); n >>= 8n } return b }
const LOW_ORDER = [
  ['zero', le32(0n)],
  ['one', le32(1n)],
  ['order8-a', unhex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800')],
  ['order8-b', unhex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157')],
  ['p-minus-1', le32(P - 1n)],
  ['p', le32(P)],
  ['p-plus-1', le32(P + 1n)],
  ['zero-high-bit', (() => { const b = le32(0n); b[31] |= 0x80; return b })()]
]

// A box forged from chloride's primitives: `count` in the slot sealed to `recipient`, the body
// sealed with `bodyKey` right after the slots actually present (`slots`).
function forge ({ label, recipients, count, plaintext, slotsBeforeBody }) {
  const s = secretsFor('forged/' + label)
  const nonce = unhex(s.nonce)
  const otSk = unhex(s.onetime)
  const otPk = Buffer.alloc(32); na.crypto_scalarmult_base(otPk, otSk)
  const key = unhex(s.key)
  const slot = (r) => cl.crypto_secretbox_easy(Buffer.concat([Buffer.from([count]), key]), nonce, cl.crypto_scalarmult(otSk, unhex(r)))
  const slots = recipients.map(slot)
  const body = cl.crypto_secretbox_easy(plaintext, nonce, key)
  return Buffer.concat([nonce, otPk, ...slots.slice(0, slotsBeforeBody === undefined ? slots.length : slotsBeforeBody), body])
}

// ---- generation ----------------------------------------------------------------------------
function generate () {
  const cases = []
  // Returns the case's JS verdict (what later cases are built from).
  const add = (id, op, input) => {
    const c = makeCase(module.exports, id, op, input)
    cases.push(c)
    return c.policy ? c.policy.js : c.expect
  }
  const nonRecipients = (n) => [identity(200).curveSk, identity(201).curveSk].slice(0, n)

  // -- seal: 1..7 recipients, several plaintext sizes (the recipients are identities 0..n-1).
  const sealed = {}
  for (let n = 1; n <= 7; n++) {
    for (const len of [0, 1, 33, 300]) {
      const label = 'recipients-' + n + '/len-' + len
      const input = Object.assign({ plaintext: hex(detBytes('private-box/plaintext/' + label, len)), recipients: range(0, n).map((i) => identity(i).curvePk) }, secretsFor(label))
      const e = add('seal/' + label, 'seal', input)
      sealed[label] = { box: unhex(e.ok.box), n, len, input }
      // The stub really was used: nonce and one-time key are where they belong.
      const b = sealed[label].box
      const pk = Buffer.alloc(32); na.crypto_scalarmult_base(pk, unhex(input.onetime))
      if (!b.subarray(0, 24).equals(unhex(input.nonce)) || !b.subarray(24, 56).equals(pk)) throw new Error('fixed randomness not in the box')
      if (b.length !== 72 + 49 * n + len) throw new Error('unexpected box length')
    }
  }
  // A 4 KiB plaintext and a long one, to two recipients.
  for (const len of [4096, 20000]) {
    const label = 'recipients-2/len-' + len
    const input = Object.assign({ plaintext: hex(detBytes('private-box/plaintext/' + label, len)), recipients: [identity(0).curvePk, identity(1).curvePk] }, secretsFor(label))
    add('seal/' + label, 'seal', input)
  }
  // Repeated recipient, and a recipient key with bit 255 set (libsodium masks it).
  {
    const label = 'repeated-recipient'
    add('seal/' + label, 'seal', Object.assign({ plaintext: hex(Buffer.from('twice')), recipients: [identity(0).curvePk, identity(0).curvePk] }, secretsFor(label)))
    const hi = unhex(identity(3).curvePk); hi[31] |= 0x80
    const label2 = 'recipient-high-bit'
    const e = add('seal/' + label2, 'seal', Object.assign({ plaintext: hex(Buffer.from('masked')), recipients: [hex(hi)] }, secretsFor(label2)))
    add('open/' + label2 + '/whole', 'open', { box: e.ok.box, secrets: [identity(3).curveSk, ...nonRecipients(1)] })
  }

  // -- larger max: n recipients sealed with max m; read by default readers (8 slots) and by
  // readers with the same max. Identities 0..n-1.
  const bigs = [[8, 8], [9, 9], [16, 16], [32, 20], [100, 100], [255, 255], [255, 1]]
  for (const [m, n] of bigs) {
    const label = 'max-' + m + '/recipients-' + n
    const input = Object.assign({ plaintext: hex(Buffer.from('to ' + n + ' with max ' + m)), recipients: range(0, n).map((i) => identity(i).curvePk), max: m }, secretsFor(label))
    const e = add('seal/' + label, 'seal', input)
    const readers = [...range(0, n).map((i) => identity(i).curveSk), ...nonRecipients(1)]
    add('open/' + label + '/default-reader', 'open', { box: e.ok.box, secrets: readers })
    add('open/' + label + '/reader-max-' + m, 'open', { box: e.ok.box, secrets: readers, max: m })
    if (n > 2) add('open/' + label + '/reader-max-' + (n - 2), 'open', { box: e.ok.box, secrets: readers, max: n - 2 })
  }

  // -- seal errors.
  {
    const pt = hex(Buffer.from('nobody'))
    add('seal/errors/zero-recipients', 'seal', Object.assign({ plaintext: pt, recipients: [] }, secretsFor('e0')))
    add('seal/errors/zero-recipients-max-255', 'seal', Object.assign({ plaintext: pt, recipients: [], max: 255 }, secretsFor('e1')))
    add('seal/errors/8-recipients-default-max', 'seal', Object.assign({ plaintext: pt, recipients: range(0, 8).map((i) => identity(i).curvePk) }, secretsFor('e2')))
    add('seal/errors/17-recipients-max-16', 'seal', Object.assign({ plaintext: pt, recipients: range(0, 17).map((i) => identity(i).curvePk), max: 16 }, secretsFor('e3')))
    add('seal/errors/256-recipients-max-255', 'seal', Object.assign({ plaintext: pt, recipients: range(0, 256).map((i) => identity(i % 255).curvePk), max: 255 }, secretsFor('e4')))
    add('seal/errors/max-256', 'seal', Object.assign({ plaintext: pt, recipients: [identity(0).curvePk], max: 256 }, secretsFor('e5')))
    for (const [name, u] of LOW_ORDER) {
      add('seal/errors/low-order-recipient/' + name, 'seal', Object.assign({ plaintext: pt, recipients: [identity(0).curvePk, identity(1).curvePk, hex(u)] }, secretsFor('lo/' + name)))
    }
  }
  // JS's own zero-recipient box (see the seal policy): no one can open it.
  {
    const box = withFixedRandomness(secretsFor('zero'), () => pb.multibox(detBytes('private-box/zero', 100), []))
    add('open/js-zero-recipients', 'open', { box: hex(box), secrets: [identity(0).curveSk, ...nonRecipients(1)] })
  }

  // -- open: every recipient and two non-recipients; truncated and tampered copies.
  for (let n = 1; n <= 7; n++) {
    for (const len of n === 1 || n === 7 ? [0, 33] : [33]) {
      const label = 'recipients-' + n + '/len-' + len
      const box = sealed[label].box
      const secrets = [...range(0, n).map((i) => identity(i).curveSk), ...nonRecipients(2)]
      const o = (variant, b, extra) => add('open/' + label + '/' + variant, 'open', Object.assign({ box: hex(b), secrets }, extra || {}))
      o('whole', box)
      if (len === 0 && n !== 7) continue
      o('reader-max-1', box, { max: 1 })
      o('cut-last-byte', box.subarray(0, box.length - 1))
      o('cut-to-slots-end', box.subarray(0, 56 + 49 * n))
      o('cut-to-120', box.subarray(0, 120))
      o('cut-to-56', box.subarray(0, 56))
      o('cut-to-55', box.subarray(0, 55))
      o('cut-to-0', box.subarray(0, 0))
      o('trailing-byte', Buffer.concat([box, Buffer.from([0])]))
      const flip = (at, mask) => { const b = Buffer.from(box); b[at] ^= mask; return b }
      o('flip-nonce', flip(3, 0x01))
      o('flip-onetime-key', flip(30, 0x10))
      o('flip-onetime-key-bit-255', flip(55, 0x80))
      o('flip-slot-0', flip(56 + 20, 0x04))
      o('flip-slot-0-tag', flip(56 + 1, 0x01))
      o('flip-last-slot', flip(56 + 49 * (n - 1) + 40, 0x02))
      o('flip-body-tag', flip(56 + 49 * n + 2, 0x40))
      o('flip-last-byte', flip(box.length - 1, 0x01))
      o('low-order-onetime-key', Buffer.concat([box.subarray(0, 24), LOW_ORDER[n % LOW_ORDER.length][1], box.subarray(56)]))
    }
  }
  // Every low-order one-time key on one box; and random bytes as boxes.
  for (const [name, u] of LOW_ORDER) {
    const box = sealed['recipients-2/len-33'].box
    add('open/low-order-onetime-key/' + name, 'open', { box: hex(Buffer.concat([box.subarray(0, 24), u, box.subarray(56)])), secrets: [identity(0).curveSk, ...nonRecipients(1)] })
  }
  for (const len of [121, 122, 170, 1000]) {
    add('open/random-bytes/len-' + len, 'open', { box: hex(detBytes('private-box/random/' + len, len)), secrets: [identity(0).curveSk, ...nonRecipients(1)] })
  }

  // -- forged boxes: an honest slot whose count byte lies.
  {
    const r = [identity(0).curvePk]
    const readers = [identity(0).curveSk, ...nonRecipients(1)]
    const f = (name, spec) => add('open/forged/' + name, 'open', { box: hex(forge(Object.assign({ label: name }, spec))), secrets: readers })
    f('count-past-end-2', { recipients: r, count: 2, plaintext: Buffer.from('short') })
    f('count-past-end-255', { recipients: r, count: 255, plaintext: Buffer.from('short') })
    // One slot, so a box of 121 + len bytes; a count of 2 puts the body at byte 154.
    f('count-2-body-slice-0', { recipients: r, count: 2, plaintext: Buffer.alloc(33, 6) })
    f('count-2-body-slice-15', { recipients: r, count: 2, plaintext: Buffer.alloc(48, 7) })
    f('count-2-body-slice-16', { recipients: r, count: 2, plaintext: Buffer.alloc(49, 8) })
    f('count-inside-body', { recipients: r, count: 2, plaintext: Buffer.alloc(200, 9) })
    f('count-zero', { recipients: r, count: 0, plaintext: Buffer.from('zero') })
    // A count smaller than the slots present: the body is read from inside the slots.
    f('count-1-of-3-slots', { recipients: [identity(0).curvePk, identity(1).curvePk, identity(2).curvePk], count: 1, plaintext: Buffer.from('x') })
    // The forging code's control: an honest layout (count 1, one slot) opens.
    f('control-honest-layout', { recipients: [identity(0).curvePk, identity(1).curvePk], count: 1, plaintext: Buffer.from('body after slot 1'), slotsBeforeBody: 1 })
  }

  // -- feed content: ssb-keys box / unbox.
  const contents = [
    { type: 'post', text: 'hello private world' },
    { type: 'post', text: 'ünïcödé 😀 \u2028 "quoted" \\ back', mentions: [] },
    { type: 'test', n: [0, -0, 1.5, 0.1, 1e21, 1e-7, 5e-324, 2 ** 53, -(2 ** 31)], nested: { a: { b: { c: [null, true, false, {}] } } } },
    { b: 1, a: 2, 10: 'ten', 1: 'one', '01': 'not an index' },
    'a string as content',
    [1, 'two', { three: 3 }],
    { type: 'lone', s: '\ud800 and \udfff' },
    { type: 'post', text: 'x'.repeat(3000) }
  ]
  const boxes = []
  contents.forEach((c, i) => {
    const n = 1 + (i % 7)
    const recps = range(0, n).map((j) => identity(j).id)
    const body = (typeof c === 'object' && !Array.isArray(c)) ? Object.assign({}, c, { recps }) : c
    const label = 'content-' + i + '/recipients-' + n
    const e = add('box-content/' + label, 'box_content', Object.assign({ content_json: JSON.stringify(body), recipients: recps }, secretsFor('content/' + label)))
    boxes.push({ label, boxed: e.ok.boxed, n })
  })
  for (const b of boxes) {
    add('unbox-content/' + b.label, 'unbox_content', { boxed: b.boxed, seeds: [...range(0, b.n).map((j) => identity(j).seed), identity(200).seed] })
  }
  add('box-content/recipients-7-of-7', 'box_content', Object.assign({ content_json: JSON.stringify({ type: 'post', text: 'seven' }), recipients: range(0, 7).map((j) => identity(j).id) }, secretsFor('content/7')))
  add('box-content/errors/8-recipients', 'box_content', Object.assign({ content_json: '{"type":"post"}', recipients: range(0, 8).map((j) => identity(j).id) }, secretsFor('content/8')))
  add('box-content/errors/zero-recipients', 'box_content', Object.assign({ content_json: '{"type":"post"}', recipients: [] }, secretsFor('content/0')))
  // Ed25519 keys libsodium will not convert: small order (y = 1), and not on the curve (y = 2).
  for (const [name, y] of [['small-order', 1n], ['not-a-point', 2n]]) {
    const id = '@' + le32(y).toString('base64') + '.ed25519'
    add('box-content/errors/unconvertible-recipient/' + name, 'box_content', Object.assign({ content_json: '{"type":"post"}', recipients: [identity(0).id, id] }, secretsFor('content/bad/' + name)))
  }
  // Plaintexts that are not what box() would make: not JSON, JSON null, invalid UTF-8 in a
  // string (node decodes it as U+FFFD), and a JSON text with spaces.
  const raw = [
    ['not-json', Buffer.from('not json at all')],
    ['json-null', Buffer.from('null')],
    ['invalid-utf8', Buffer.concat([Buffer.from('{"type":"post","text":"'), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from('"}')])],
    ['spaced-json', Buffer.from(' { "type" : "post" , "n" : 1.50 } ')],
    ['empty', Buffer.alloc(0)]
  ]
  for (const [name, pt] of raw) {
    const box = withFixedRandomness(secretsFor('raw/' + name), () => pb.multibox(pt, [unhex(identity(0).curvePk), unhex(identity(1).curvePk)]))
    add('unbox-content/plaintext-' + name, 'unbox_content', { boxed: box.toString('base64') + '.box', seeds: [identity(0).seed, identity(1).seed, identity(200).seed] })
  }
  // A box whose body was tampered with, as content.
  {
    const b = Buffer.from(boxes[1].boxed.slice(0, -4), 'base64'); b[b.length - 1] ^= 1
    add('unbox-content/tampered-body', 'unbox_content', { boxed: b.toString('base64') + '.box', seeds: [identity(0).seed, identity(1).seed, identity(200).seed] })
  }

  // -- private feeds: ssb-validate.create with ssb-keys.box content, by two authors.
  for (const [a, counts] of [[0, [2, 1, 7, 3]], [5, [1, 6]]]) {
    const rng = new Rng('private-box/feed/' + a)
    const author = ssbKeys.generate('ed25519', unhex(identity(a).seed))
    let state = null
    const messages = []
    counts.forEach((n, i) => {
      // The author is one of the recipients (ssb-db convention), first.
      const recps = [a, ...range(0, 7).filter((j) => j !== a)].slice(0, n).map((j) => identity(j).id)
      const content = { type: 'post', text: 'private ' + i + ' ' + hex(rng.bytes(4)), recps }
      const boxed = withFixedRandomness(secretsFor('feed/' + a + '/' + i), () => ssbKeys.box(content, recps))
      const msg = validate.create(state, author, null, boxed, 1514517067954 + i * 1000)
      state = { id: validate.id(msg), sequence: msg.sequence, timestamp: msg.timestamp, queue: [] }
      messages.push(JSON.stringify(msg, null, 2))
    })
    add('feed/author-' + a, 'feed_unbox', { messages, seeds: [...range(0, 7).map((j) => identity(j).seed), identity(200).seed] })
  }
  return cases
}

module.exports = { description, reference, policies, generate, run, policy }
