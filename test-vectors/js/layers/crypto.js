'use strict'
// crypto layer: keys, sigil ids, signatures, secretbox, crypto_auth, hashes, key conversion,
// the ssb-keys secret file, network keys and multiserver addresses.
// `run` gives what the JS reference packages decide (ssb-keys, ssb-ref, chloride ->
// sodium-native/libsodium, multiserver-address); where this project decides more, `policy`
// gives our verdict under a rule of `policies`, and common.makeCase files a case whose two
// verdicts differ in the `policy/` group with both.
//
// Error classes (JS observation -> class; JS gives nothing finer than these):
//   ssb-ref isFeed / isMsg / isBlob is false                          -> invalid
//   chloride crypto_secretbox_open_easy returns undefined             -> unauthentic
//   chloride crypto_sign_ed25519_pk_to_curve25519 returns null
//     (it catches sodium-native refusing the point)                   -> invalid_key
//   ssb-keys loadSync returns undefined (reconstructKeys caught an
//     exception: JSON.parse threw, or the value has no properties)    -> invalid
//   sodium-native crypto_auth refuses the decoded network key
//     ("k" must be crypto_auth_KEYBYTES bytes long)                   -> invalid
//   multiserver-address decode throws ("unexpected end" or nearley's
//     "Syntax error at line ...")                                     -> syntax
// Anything else thrown is a generator bug and stops generation.
const fs = require('fs')
const os = require('os')
const path = require('path')
const cl = require('chloride')
const sodium = require('sodium-native')
const ssbKeys = require('ssb-keys')
const ref = require('ssb-ref')
const isCanonicalBase64 = require('is-canonical-base64')
const msa = require('multiserver-address')
const caps = require('ssb-caps')
const { detBytes, Rng, hex, unhex, makeCase } = require('../common')

const description = 'keys, sigil ids, ed25519, secretbox, crypto_auth, sha256, ed25519->x25519, secret file, network key, multiserver addresses'
const reference = {
  'ssb-keys': require('ssb-keys/package.json').version,
  'ssb-ref': require('ssb-ref/package.json').version,
  'ssb-caps': require('ssb-caps/package.json').version,
  chloride: require('chloride/package.json').version,
  'sodium-native': require('sodium-native/package.json').version,
  'multiserver-address': require('multiserver-address/package.json').version,
  'is-canonical-base64': require('is-canonical-base64/package.json').version
}

const b64_32 = isCanonicalBase64('', '', 32)

function keysFromSeed (seedHex) { return ssbKeys.generate('ed25519', unhex(seedHex)) }

// ---- policies: where this project decides more than the JS packages -------------------
const policies = {
  'sigil-dot': {
    js: "ssb-ref's id regexes (is-canonical-base64 with the suffix '.ed25519' / '.sha256' pasted into the pattern) let any character stand for the '.' before the suffix",
    ours: 'exactly the sigil, 44 characters of canonical base64 and the suffix with its dot (ssb-crypto FeedId / MsgId / BlobId)',
    why: "no JS writer produces such an id and no two spellings of one id may exist: ids are compared as text (ssb-validate's previous check, database keys)"
  },
  'feed-id-ed25519': {
    js: "ssb-ref isFeed also accepts the suffix '.sha256'",
    ours: "a feed id ends with '.ed25519'",
    why: 'ssb-keys verifies only ed25519 keys, so a message by such an author can never validate'
  },
  'secret-file-consistent': {
    js: "ssb-keys loadSync returns whatever JSON value the file holds once comments are removed (adding id = '@' + public when id has no sigil) and checks none of its fields; signing then uses `private` alone",
    ours: "`private` must be canonical base64 of seed || public key with '.ed25519', its public half the key the seed generates; `public` and `id` must name that key and `curve` must be 'ed25519' (class `inconsistent` otherwise)",
    why: 'a file whose parts disagree signs as one key while naming another, so every message it writes fails validation'
  },
  'network-key-text': {
    js: "ssb-caps documents Buffer.from(caps.shs, 'base64'): node's lenient decoder (url-safe letters, missing padding and stray characters pass); secret-handshake hands the bytes to crypto_auth, which sodium-native refuses unless they are 32 bytes",
    ours: '64 hex digits (either case), or canonical standard base64 of 32 bytes (ssb-crypto NetworkKey)',
    why: 'a mistyped key that node still decodes to 32 bytes silently puts a peer on another network; hex is this project\'s addition for command lines'
  },
  'multiserver-net-shs': {
    js: 'multiserver-address decodes only the grammar; ssb-ref toLegacyAddress (parseMultiServerAddress) takes the first net|ws|wss|onion~shs* address and refuses it unless the host is an IP, a domain or localhost, the port at most 65536 and the key a feed id; it reads a seed from the third shs field',
    ours: 'per address, exactly net:HOST:PORT~shs:KEY[:SEED]: PORT decimal 0..=65535, KEY and SEED canonical base64 of 32 bytes, any HOST (empty = localhost); otherwise the class not_net_shs, port or key (ssb-crypto Address::net_shs)',
    why: 'what ssb-crypto can dial; no JS package defines a per-address view, so none of these cases is JS-proven'
  }
}

// ssb-ref toLegacyAddress is deprecated and console.trace()s on first use.
function ssbRefLegacyAddress (text) {
  const trace = console.trace
  try {
    console.trace = () => {}
    return ref.toLegacyAddress(text)
  } finally { console.trace = trace }
}

function msaDecode (text) {
  try { return { decoded: msa.decode(text) } } catch (e) {
    if (/^unexpected end$|^Syntax error at line /.test(e.message)) return { error: 'syntax' }
    throw e
  }
}

// Our rules on top of the JS verdict `js` (see `policies`); null where no rule applies.
function policy (op, input, js) {
  switch (op) {
    case 'feed_id': case 'msg_id': case 'blob_id': {
      if (!js.ok) return null
      const t = input.text
      const suffix = op === 'feed_id' ? '.ed25519' : '.sha256'
      if (t[45] !== '.') return { rule: 'sigil-dot', expect: { error: 'invalid' } }
      if (!t.endsWith(suffix)) return { rule: 'feed-id-ed25519', expect: { error: 'invalid' } }
      return null
    }
    case 'secret_file_parse': return { rule: 'secret-file-consistent', expect: strictSecretFile(input.text) }
    case 'network_key': {
      const t = input.text
      let expect = { error: 'invalid' }
      if (/^[0-9a-fA-F]{64}$/.test(t)) expect = { ok: { key: Buffer.from(t, 'hex').toString('hex') } }
      else if (b64_32.test(t)) expect = { ok: { key: hex(Buffer.from(t, 'base64')) } }
      return { rule: 'network-key-text', expect }
    }
    case 'multiserver_net_shs': return { rule: 'multiserver-net-shs', expect: netShsView(input.text) }
  }
  return null
}

function strictSecretFile (text) {
  const keys = loadSecretFile(text)
  if (keys === undefined) return { error: 'invalid' } // what JS says
  const refuse = { error: 'inconsistent' }
  if (keys === null || typeof keys !== 'object' || typeof keys.private !== 'string') return refuse
  if (keys.curve !== undefined && keys.curve !== 'ed25519') return refuse
  if (!/\.ed25519$/.test(keys.private)) return refuse
  const privB64 = keys.private.replace(/\.ed25519$/, '')
  if (!isCanonicalBase64('', '', 64).test(privB64)) return refuse
  const sk = Buffer.from(privB64, 'base64')
  const pk = cl.crypto_sign_seed_keypair(sk.subarray(0, 32)).publicKey
  if (!pk.equals(sk.subarray(32))) return refuse
  const pub = pk.toString('base64') + '.ed25519'
  if (keys.public !== undefined && keys.public !== pub) return refuse
  if (keys.id !== '@' + pub && keys.id !== pub) return refuse
  return { ok: { public: hex(pk), feed_id: '@' + pub } }
}

function netShsView (text) {
  const d = msaDecode(text)
  if (d.error) return { error: d.error }
  const net_shs = d.decoded.map((addr) => {
    if (addr.length !== 2 || addr[0].name !== 'net' || addr[1].name !== 'shs') return { error: 'not_net_shs' }
    const net = addr[0].data
    const port = net[net.length - 1]
    if (net.length < 2 || !/^[0-9]+$/.test(port) || +port > 65535) return { error: 'port' }
    if (addr[1].data.length > 2) return { error: 'not_net_shs' }
    const [key, seed] = addr[1].data
    if (!b64_32.test(key) || (seed !== undefined && !b64_32.test(seed))) return { error: 'key' }
    const host = net.slice(0, -1).join(':')
    const out = { host: host === '' ? 'localhost' : host, port: +port, key: hex(Buffer.from(key, 'base64')) }
    if (seed !== undefined) out.seed = hex(Buffer.from(seed, 'base64'))
    return out
  })
  return { ok: { net_shs } }
}

// ---- the secret file, through ssb-keys' own storage code -------------------------------
const storage = require('ssb-keys/storage')
function writeSecretFile (seedHex) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssb-vectors-'))
  const file = path.join(dir, 'secret')
  try {
    storage(() => keysFromSeed(seedHex)).createSync(file)
    return fs.readFileSync(file, 'utf8')
  } finally { fs.rmSync(dir, { recursive: true, force: true }) }
}
function loadSecretFile (text) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssb-vectors-'))
  const file = path.join(dir, 'secret')
  const quiet = console.error
  try {
    fs.writeFileSync(file, text)
    console.error = () => {} // reconstructKeys logs its JSON error
    return storage(ssbKeys.generate).loadSync(file)
  } finally {
    console.error = quiet
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

// ---- reference runner ---------------------------------------------------------------
function run (op, input) {
  switch (op) {
    case 'keypair_from_seed': {
      const k = keysFromSeed(input.seed)
      return { ok: { public: hex(Buffer.from(k.public.replace(/\.ed25519$/, ''), 'base64')), feed_id: k.id, secret_public: k.public, secret_private: k.private } }
    }
    case 'feed_id': case 'msg_id': case 'blob_id': {
      const t = input.text
      const valid = op === 'feed_id' ? ref.isFeed(t) : op === 'msg_id' ? ref.isMsg(t) : ref.isBlob(t)
      if (!valid) return { error: 'invalid' }
      return { ok: { bytes: hex(Buffer.from(t.slice(1, 45), 'base64')), canonical: t } }
    }
    case 'sign': {
      const k = cl.crypto_sign_seed_keypair(unhex(input.seed))
      return { ok: { signature: hex(cl.crypto_sign_detached(unhex(input.message), k.secretKey)) } }
    }
    case 'verify':
      return { ok: { valid: !!cl.crypto_sign_verify_detached(unhex(input.signature), unhex(input.message), unhex(input.public)) } }
    case 'salsa20_xor_ic': {
      // libsodium's own keystream from a 64-bit block counter (sodium-native takes ic as a
      // uint32; the stream itself runs on past 2^32 blocks with the counter's high word).
      const m = unhex(input.message)
      const c = Buffer.alloc(m.length)
      sodium.crypto_stream_salsa20_xor_ic(c, m, unhex(input.nonce), input.ic, unhex(input.key))
      return { ok: { ciphertext: hex(c) } }
    }
    case 'secretbox':
      return { ok: { boxed: hex(cl.crypto_secretbox_easy(unhex(input.plaintext), unhex(input.nonce), unhex(input.key))) } }
    case 'secretbox_open': {
      const pt = cl.crypto_secretbox_open_easy(unhex(input.boxed), unhex(input.nonce), unhex(input.key))
      if (pt === undefined) return { error: 'unauthentic' }
      return { ok: { plaintext: hex(pt) } }
    }
    case 'auth':
      return { ok: { tag: hex(cl.crypto_auth(unhex(input.message), unhex(input.key))) } }
    case 'sha256':
      return { ok: { hash: hex(cl.crypto_hash_sha256(unhex(input.message))) } }
    case 'pk_to_curve': {
      const curve = cl.crypto_sign_ed25519_pk_to_curve25519(unhex(input.public))
      if (curve === null) return { error: 'invalid_key' }
      return { ok: { curve: hex(curve) } }
    }
    case 'sk_to_curve': {
      const k = cl.crypto_sign_seed_keypair(unhex(input.seed))
      return { ok: { curve: hex(cl.crypto_sign_ed25519_sk_to_curve25519(k.secretKey)) } }
    }
    case 'secret_file_write':
      return { ok: { text: writeSecretFile(input.seed) } }
    case 'secret_file_parse': {
      // What ssb-keys itself hands to its caller: the file's `id` and `public` as they are.
      const keys = loadSecretFile(input.text)
      if (keys === undefined) return { error: 'invalid' }
      const pub = keys !== null && typeof keys.public === 'string' ? hex(Buffer.from(keys.public.replace(/\.ed25519$/, ''), 'base64')) : null
      return { ok: { public: pub, feed_id: keys !== null && typeof keys.id === 'string' ? keys.id : null } }
    }
    case 'network_key': {
      // caps.shs as ssb-caps says to read it, checked the way secret-handshake uses it.
      const key = Buffer.from(input.text, 'base64')
      try { cl.crypto_auth(Buffer.alloc(0), key) } catch (e) {
        if (/crypto_auth_KEYBYTES/.test(e.message)) return { error: 'invalid' }
        throw e
      }
      return { ok: { key: hex(key) } }
    }
    case 'multiserver': {
      const d = msaDecode(input.text)
      if (d.error) return { error: d.error }
      return { ok: { addresses: d.decoded.map((addr) => ({ protocols: addr.map((p) => ({ name: p.name, data: p.data })) })) } }
    }
    case 'multiserver_net_shs': {
      // JS has no per-address view; the nearest JS decision is ssb-ref's, recorded beside ours.
      if (msaDecode(input.text).error) return { error: 'syntax' }
      return { ok: { ssb_ref_to_legacy_address: ssbRefLegacyAddress(input.text) } }
    }
  }
  throw new Error('unknown op ' + op)
}

// ---- generation -----------------------------------------------------------------------
const leToBig = (b) => BigInt('0x' + Buffer.from(b).reverse().toString('hex'))
const bigToLe = (n) => Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse()

function generate () {
  const cases = []
  const add = (id, op, input) => cases.push(makeCase(module.exports, id, op, input))
  const seeds = ['01'.repeat(32), '02'.repeat(32), '00'.repeat(32), 'ff'.repeat(32)]
  for (let i = 0; i < 16; i++) seeds.push(hex(detBytes('crypto/seed/' + i, 32)))
  const pad = (n) => String(n).padStart(3, '0')

  seeds.forEach((s, i) => add('keypair/' + pad(i), 'keypair_from_seed', { seed: s }))
  seeds.forEach((s, i) => add('sk-to-curve/' + pad(i), 'sk_to_curve', { seed: s }))
  seeds.forEach((s, i) => add('pk-to-curve/' + pad(i), 'pk_to_curve', { public: hex(cl.crypto_sign_seed_keypair(unhex(s)).publicKey) }))

  // Sigil ids, valid and mutated.
  const mutate = (t, kind) => {
    const body = t.slice(1, 45)
    const last = body[42]
    switch (kind) {
      case 'trailing-bits': { // a last character with non-zero unused bits
        const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
        const j = alpha.indexOf(last)
        return t.slice(0, 43) + alpha[(j & ~3) | 1] + t.slice(44)
      }
      case 'no-padding': return t.slice(0, 44) + t.slice(45)
      case 'double-padding': return t.slice(0, 45) + '=' + t.slice(45)
      case 'url-safe': return t[0] + '-' + t.slice(2)
      case 'url-safe-underscore': return t[0] + '_' + t.slice(2)
      case 'wrong-sigil': return (t[0] === '@' ? '%' : '@') + t.slice(1)
      case 'no-sigil': return t.slice(1)
      case 'space': return t[0] + ' ' + t.slice(2)
      case 'truncated': return t.slice(0, 40) + t.slice(44)
      case 'suffix-case': return t.replace(/\.(ed25519|sha256)$/, (m) => m.toUpperCase())
      case 'no-suffix': return t.replace(/\.(ed25519|sha256)$/, '')
      case 'trailing-space': return t + ' '
      case 'query': return t + '?unbox=abc'
    }
  }
  const kinds = ['trailing-bits', 'no-padding', 'double-padding', 'url-safe', 'url-safe-underscore', 'wrong-sigil', 'no-sigil', 'space', 'truncated', 'suffix-case', 'no-suffix', 'trailing-space', 'query']
  for (let i = 0; i < 8; i++) {
    const k = keysFromSeed(seeds[i])
    add('feed-id/valid/' + pad(i), 'feed_id', { text: k.id })
    const h = cl.crypto_hash_sha256(detBytes('crypto/msg/' + i, 100)).toString('base64')
    add('msg-id/valid/' + pad(i), 'msg_id', { text: '%' + h + '.sha256' })
    add('blob-id/valid/' + pad(i), 'blob_id', { text: '&' + h + '.sha256' })
    for (const kind of kinds) {
      add('feed-id/' + kind + '/' + pad(i), 'feed_id', { text: mutate(k.id, kind) })
      if (i < 3) {
        add('msg-id/' + kind + '/' + pad(i), 'msg_id', { text: mutate('%' + h + '.sha256', kind) })
        add('blob-id/' + kind + '/' + pad(i), 'blob_id', { text: mutate('&' + h + '.sha256', kind) })
      }
    }
    // ssb-ref quirks: `.sha256` on a feed id, any character instead of the dot.
    add('feed-id/sha256-suffix/' + pad(i), 'feed_id', { text: k.id.replace(/\.ed25519$/, '.sha256') })
    add('feed-id/dot-wildcard/' + pad(i), 'feed_id', { text: k.id.replace(/\.ed25519$/, 'Xed25519') })
    if (i < 3) {
      add('msg-id/dot-wildcard/' + pad(i), 'msg_id', { text: '%' + h + 'Xsha256' })
      add('blob-id/dot-wildcard/' + pad(i), 'blob_id', { text: '&' + h + '.sha256'.replace('.', '/') })
    }
    add('feed-id/as-msg-id/' + pad(i), 'msg_id', { text: k.id })
    add('msg-id/as-feed-id/' + pad(i), 'feed_id', { text: '%' + h + '.sha256' })
  }

  // Signatures.
  const L = BigInt('0x1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed')
  for (let i = 0; i < 12; i++) {
    const seed = seeds[i]
    const msg = hex(detBytes('crypto/signmsg/' + i, i * 7))
    add('sign/' + pad(i), 'sign', { seed, message: msg })
    const k = cl.crypto_sign_seed_keypair(unhex(seed))
    const sig = cl.crypto_sign_detached(unhex(msg), k.secretKey)
    const pub = hex(k.publicKey)
    add('verify/valid/' + pad(i), 'verify', { public: pub, message: msg, signature: hex(sig) })
    const badMsg = Buffer.concat([unhex(msg), Buffer.from([i])])
    add('verify/other-message/' + pad(i), 'verify', { public: pub, message: hex(badMsg), signature: hex(sig) })
    const flipped = Buffer.from(sig); flipped[i % 64] ^= 0x10
    add('verify/flipped-bit/' + pad(i), 'verify', { public: pub, message: msg, signature: hex(flipped) })
    const highS = Buffer.from(sig); bigToLe(leToBig(sig.subarray(32)) + L).copy(highS, 32)
    add('verify/s-plus-l/' + pad(i), 'verify', { public: pub, message: msg, signature: hex(highS) })
    const other = hex(cl.crypto_sign_seed_keypair(unhex(seeds[(i + 1) % seeds.length])).publicKey)
    add('verify/other-key/' + pad(i), 'verify', { public: other, message: msg, signature: hex(sig) })
  }
  // Small-order keys and R (the identity, and the order-2 point y = -1).
  const identity = '01' + '00'.repeat(31)
  const order2 = 'ec' + 'ff'.repeat(30) + '7f'
  add('verify/identity-key-zero-sig/000', 'verify', { public: identity, message: '00', signature: identity + '00'.repeat(32) })
  add('verify/identity-key/000', 'verify', { public: identity, message: '', signature: identity + '00'.repeat(32) })
  add('verify/order2-key/000', 'verify', { public: order2, message: '61', signature: identity + '00'.repeat(32) })
  add('verify/noncanonical-key/000', 'verify', { public: 'ee' + 'ff'.repeat(30) + '7f', message: '61', signature: identity + '00'.repeat(32) })
  {
    // Crafted by a key's owner (lib/ed25519.js crafts; libsodium judges). The equation
    // [s]B = R + [k]A holds in each case; libsodium still refuses small-order or
    // non-canonical A and small-order R, while a lax verifier would accept.
    const ed = require('../lib/ed25519')
    const seed = detBytes('crypto/crafted', 32)
    const { a } = ed.expand(seed)
    const msgs = ['', '61', hex(detBytes('crypto/crafted/msg', 100))]
    msgs.forEach((m, i) => {
      // A = the non-canonical encoding of the identity (y = p + 1), R = identity, s = 0.
      add('verify/crafted-noncanonical-identity-key/' + pad(i), 'verify', { public: 'ee' + 'ff'.repeat(30) + '7f', message: m, signature: identity + '00'.repeat(32) })
      // A = aB + T (torsion), R a small-order point chosen so that R = -[k]T, s = k*a.
      const A = ed.encode(ed.add(ed.mul(a, ed.B), ed.T8))
      let found = null
      for (let j = 0n; j < 8n && !found; j++) {
        const R = ed.encode(ed.mul(j, ed.T8))
        const k = ed.hram(R, A, unhex(m))
        if (ed.mod(j + k, 8n) === 0n) found = { R, s: ed.mod(k * a, ed.L) }
      }
      if (found) add('verify/crafted-small-order-r/' + pad(i), 'verify', { public: hex(A), message: m, signature: hex(Buffer.concat([found.R, ed.bigToLe(found.s)])) })
      // A mixed-order key signing honestly with a torsion-free R: [s]B - [k]A = R - [k]T,
      // so libsodium accepts exactly when k is a multiple of 8.
      const r = ed.mod(ed.leToBig(detBytes('crypto/crafted/r' + i, 64)), ed.L)
      const R = ed.encode(ed.mul(r, ed.B))
      const k = ed.hram(R, A, unhex(m))
      add('verify/crafted-torsion-key-honest-r/' + pad(i), 'verify', { public: hex(A), message: m, signature: hex(Buffer.concat([R, ed.bigToLe(ed.mod(r + k * a, ed.L))])) })
    })
  }

  // The raw Salsa20 keystream, from block counters just below and across 2^32 (a 32-bit
  // counter would repeat block 0 there) and at the lengths around the four-block batches.
  ;[0, 1, 4294967291, 4294967293, 4294967294, 4294967295].forEach((ic, i) => {
    ;[1, 64, 100, 256, 300, 600].forEach((len, j) => {
      const key = hex(detBytes('crypto/stream/key/' + i + '/' + j, 32))
      const nonce = hex(detBytes('crypto/stream/nonce/' + i + '/' + j, 8))
      const message = hex(detBytes('crypto/stream/m/' + i + '/' + j, len))
      add('stream/salsa20-ic-' + ic + '/' + len, 'salsa20_xor_ic', { key, nonce, ic, message })
    })
  })

  // secretbox, crypto_auth, sha256.
  for (let i = 0; i < 12; i++) {
    const key = hex(detBytes('crypto/box/key/' + i, 32))
    const nonce = hex(detBytes('crypto/box/nonce/' + i, 24))
    const plaintext = hex(detBytes('crypto/box/pt/' + i, [0, 1, 15, 16, 17, 63, 64, 65, 100, 255, 1000, 4096][i]))
    add('secretbox/' + pad(i), 'secretbox', { key, nonce, plaintext })
    const boxed = cl.crypto_secretbox_easy(unhex(plaintext), unhex(nonce), unhex(key))
    add('secretbox-open/valid/' + pad(i), 'secretbox_open', { key, nonce, boxed: hex(boxed) })
    const t = Buffer.from(boxed); t[i % t.length] ^= 1
    add('secretbox-open/tampered/' + pad(i), 'secretbox_open', { key, nonce, boxed: hex(t) })
    const n2 = unhex(nonce); n2[23] ^= 1
    add('secretbox-open/wrong-nonce/' + pad(i), 'secretbox_open', { key, nonce: hex(n2), boxed: hex(boxed) })
    add('auth/' + pad(i), 'auth', { key, message: plaintext })
    add('sha256/' + pad(i), 'sha256', { message: plaintext })
  }

  // ed25519 -> x25519 conversion failures.
  add('pk-to-curve/identity/000', 'pk_to_curve', { public: identity })
  add('pk-to-curve/order2/000', 'pk_to_curve', { public: order2 })
  add('pk-to-curve/not-on-curve/000', 'pk_to_curve', { public: '02' + '00'.repeat(31) })
  {
    // A point with a torsion component: an honest key plus the order-2 point (0, -1),
    // i.e. (x, y) -> (-x, -y). libsodium (as bundled by sodium-native) converts these.
    const P = (1n << 255n) - 19n
    for (let i = 0; i < 4; i++) {
      const k = cl.crypto_sign_seed_keypair(unhex(seeds[i])).publicKey
      const y = leToBig(k) & ((1n << 255n) - 1n)
      const t = bigToLe((P - y) % P); t[31] |= ((k[31] >> 7) ^ 1) << 7
      add('pk-to-curve/torsion/' + pad(i), 'pk_to_curve', { public: hex(t) })
    }
    // Non-canonical y (y >= p), both signs.
    for (let j = 0; j < 19; j++) {
      for (const sgn of [0, 1]) {
        const t = bigToLe(P + BigInt(j)); t[31] |= sgn << 7
        add('pk-to-curve/noncanonical-y/' + pad(j) + '-' + sgn, 'pk_to_curve', { public: hex(t) })
      }
    }
    const rng = new Rng('crypto/torsion')
    for (let j = 0; j < 40 && cases.filter(c => c.id.startsWith('pk-to-curve/random/')).length < 6; j++) {
      const cand = hex(rng.bytes(32))
      add('pk-to-curve/random/' + pad(j), 'pk_to_curve', { public: cand })
    }
  }

  // Secret files.
  seeds.slice(0, 8).forEach((s, i) => add('secret-file-write/' + pad(i), 'secret_file_write', { seed: s }))
  seeds.slice(0, 6).forEach((s, i) => {
    const text = writeSecretFile(s)
    add('secret-file-parse/js/' + pad(i), 'secret_file_parse', { text })
    const k = keysFromSeed(s)
    const compact = JSON.stringify({ curve: 'ed25519', public: k.public, private: k.private, id: k.id })
    add('secret-file-parse/compact/' + pad(i), 'secret_file_parse', { text: compact })
    add('secret-file-parse/old-header/' + pad(i), 'secret_file_parse', { text: '# this is your SECRET name.\n# this name gives you magical powers.\n#\n# NEVER show this to anyone!!!\n\n' + JSON.stringify(k, null, 2) + '\n\n# WARNING! It\'s vital that you DO NOT edit OR share your secret name\n# instead, share your public name\n# your public name: ' + k.id + '\n' })
    add('secret-file-parse/crlf/' + pad(i), 'secret_file_parse', { text: text.replace(/\n/g, '\r\n') })
    add('secret-file-parse/id-without-sigil/' + pad(i), 'secret_file_parse', { text: JSON.stringify({ curve: 'ed25519', public: k.public, private: k.private, id: k.public }) })
    const other = keysFromSeed(seeds[(i + 1) % seeds.length])
    add('secret-file-parse/public-mismatch/' + pad(i), 'secret_file_parse', { text: JSON.stringify({ curve: 'ed25519', public: other.public, private: k.private, id: k.id }) })
    add('secret-file-parse/id-mismatch/' + pad(i), 'secret_file_parse', { text: JSON.stringify({ curve: 'ed25519', public: k.public, private: k.private, id: other.id }) })
    const sk = Buffer.from(k.private.replace(/\.ed25519$/, ''), 'base64')
    const spliced = Buffer.concat([sk.subarray(0, 32), Buffer.from(other.public.replace(/\.ed25519$/, ''), 'base64')])
    add('secret-file-parse/private-halves-disagree/' + pad(i), 'secret_file_parse', { text: JSON.stringify({ curve: 'ed25519', public: other.public, private: spliced.toString('base64') + '.ed25519', id: other.id }) })
    add('secret-file-parse/wrong-curve/' + pad(i), 'secret_file_parse', { text: JSON.stringify({ curve: 'k256', public: k.public, private: k.private, id: k.id }) })
    add('secret-file-parse/no-private/' + pad(i), 'secret_file_parse', { text: JSON.stringify({ curve: 'ed25519', public: k.public, id: k.id }) })
    add('secret-file-parse/broken-json/' + pad(i), 'secret_file_parse', { text: text.replace('"curve"', 'curve') })
    add('secret-file-parse/truncated/' + pad(i), 'secret_file_parse', { text: text.slice(0, 300) })
  })

  // Network keys.
  add('network-key/main-net-base64/000', 'network_key', { text: caps.shs })
  add('network-key/main-net-hex/000', 'network_key', { text: Buffer.from(caps.shs, 'base64').toString('hex') })
  add('network-key/main-net-hex-upper/000', 'network_key', { text: Buffer.from(caps.shs, 'base64').toString('hex').toUpperCase() })
  for (let i = 0; i < 4; i++) {
    const k = detBytes('crypto/netkey/' + i, 32)
    add('network-key/base64/' + pad(i), 'network_key', { text: k.toString('base64') })
    add('network-key/hex/' + pad(i), 'network_key', { text: k.toString('hex') })
    add('network-key/short-hex/' + pad(i), 'network_key', { text: k.toString('hex').slice(2) })
    add('network-key/url-safe/' + pad(i), 'network_key', { text: k.toString('base64url') + '=' })
    add('network-key/no-padding/' + pad(i), 'network_key', { text: k.toString('base64').replace('=', '') })
  }

  // Multiserver addresses.
  const pk = (i) => cl.crypto_sign_seed_keypair(unhex(seeds[i])).publicKey.toString('base64')
  const addrs = [
    'net:192.168.1.123:8008~shs:' + pk(0),
    'net:one.butt.nz:8008~shs:' + pk(1),
    'net:fe80::1:8008~shs:' + pk(2),
    'net:::1:8008~shs:' + pk(3),
    'net:2001:db8::ff00:42:8329:65535~shs:' + pk(4),
    'net::8008~shs:' + pk(5),
    'net:localhost:0~shs:' + pk(6),
    'net:127.0.0.1:8008~shs:' + pk(0) + ';ws://127.0.0.1:8989~shs:' + pk(0),
    'net:10.0.0.1:8008~shs:' + pk(1) + ';net:example.com:8009~shs:' + pk(2),
    'net:pub.example.org:8008~shs:' + pk(3) + ':' + detBytes('crypto/invite', 32).toString('base64'),
    'onion:abcdefghijklmnop.onion:8008~shs:' + pk(4),
    'net:h!:x:8008~shs:' + pk(5),
    'net:1.2.3.4:65536~shs:' + pk(0),
    'net:1.2.3.4:80a~shs:' + pk(0),
    'net:1.2.3.4:8008~shs:' + pk(0).slice(0, 43),
    'net:1.2.3.4:8008~shs:' + pk(0) + '~noauth',
    'net:1.2.3.4:8008',
    'net:1.2.3.4:8008~',
    'net:1.2.3.4:8008~shs:' + pk(0) + ';',
    'NET:1.2.3.4:8008~shs:' + pk(0),
    'n:1.2.3.4:8008~shs:' + pk(0),
    'net:1.2.3.4:8008 ~shs:' + pk(0),
    'net:a!b:8008~shs:' + pk(0),
    'net:a!!b!;c:8008~shs:' + pk(0),
    '',
    'net:1.2.3.4:8008~shs:' + pk(0) + ':' + pk(1) + ':' + pk(2)
  ]
  addrs.forEach((a, i) => {
    add('multiserver/' + pad(i), 'multiserver', { text: a })
    if (!msaDecode(a).error) add('multiserver-net-shs/' + pad(i), 'multiserver_net_shs', { text: a })
  })
  return cases
}

module.exports = { description, reference, policies, generate, run, policy }
