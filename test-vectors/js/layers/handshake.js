'use strict'
// handshake layer: Secret Handshake (SHS v1) transcripts. Every case drives the reference
// `secret-handshake/crypto.js` (the stateless functions protocol.js calls, in the same order)
// for both a client and a server with fixed long-term and ephemeral seeds, optionally
// corrupting or replacing one message in transit, and records every byte each side sent, the
// step at which a side refused a message, and both outcomes (keys and nonces as protocol.js
// hands them to pull-box-stream).
//
// JS makes its ephemeral key as an Ed25519 key pair from a 32-byte seed and converts both
// halves to X25519 (crypto.js `initialize`). The vector carries the seed (for JS) and the
// converted X25519 secret (for implementations that take an X25519 ephemeral key); run()
// checks that they agree.
const cl = require('chloride')
const shs = require('secret-handshake/crypto')
const caps = require('ssb-caps')
const { detBytes, hex, unhex } = require('../common')

const description = 'secret handshake v1: transcripts (msg1..msg4, both outcomes) from secret-handshake/crypto.js with fixed ephemeral seeds; negative cases name the step that fails'
const reference = {
  'secret-handshake': require('secret-handshake/package.json').version,
  chloride: require('chloride/package.json').version,
  'sodium-native': require('sodium-native/package.json').version,
  'ssb-caps': require('ssb-caps/package.json').version
}

const MAIN = Buffer.from(caps.shs, 'base64')

// Applies the case's in-transit fault to message n (1..4) on its way to the peer.
function deliver (input, n, msg) {
  const f = input.fault
  if (!f || f.msg !== n) return msg
  if (f.replace !== undefined) return unhex(f.replace)
  const out = Buffer.from(msg)
  out[f.offset] ^= f.xor
  return out
}

// Runs a verification step; a null result or a throw (libsodium refusing a low-order DH)
// both mean the side refused the message.
function attempt (fn) {
  try { return fn() } catch (e) { return null }
}

function outcome (state) {
  return {
    peer: hex(state.remote.publicKey),
    send_key: hex(state.encryptKey),
    send_nonce: hex(state.remote.app_mac.subarray(0, 24)),
    recv_key: hex(state.decryptKey),
    recv_nonce: hex(state.local.app_mac.subarray(0, 24))
  }
}

function transcript (input) {
  const K = unhex(input.net_key)
  const clientK = input.client_net_key ? unhex(input.client_net_key) : K
  const clientKeys = cl.crypto_sign_seed_keypair(unhex(input.client_seed))
  const serverKeys = cl.crypto_sign_seed_keypair(unhex(input.server_seed))
  const dialled = input.server_pk ? unhex(input.server_pk) : serverKeys.publicKey
  let client = shs.initialize({ app_key: clientK, local: clientKeys, remote: { publicKey: dialled }, random: unhex(input.client_ephemeral_seed) })
  let server = shs.initialize({ app_key: K, local: serverKeys, random: unhex(input.server_ephemeral_seed) })
  if (hex(client.local.kx_sk) !== input.client_ephemeral || hex(server.local.kx_sk) !== input.server_ephemeral) {
    throw new Error('ephemeral secret does not match its seed')
  }
  const out = { msg1: null, msg2: null, msg3: null, msg4: null, fails: null, client: null, server: null }

  const msg1 = shs.createChallenge(client)
  out.msg1 = hex(msg1)
  server = attempt(() => shs.verifyChallenge(server, deliver(input, 1, msg1)))
  if (!server) { out.fails = 'client_hello'; return out }

  const msg2 = shs.createChallenge(server)
  out.msg2 = hex(msg2)
  client = attempt(() => shs.clientVerifyChallenge(client, deliver(input, 2, msg2)))
  if (!client) { out.fails = 'server_hello'; return out }

  const msg3 = shs.clientCreateAuth(client)
  out.msg3 = hex(msg3)
  server = attempt(() => shs.serverVerifyAuth(server, deliver(input, 3, msg3)))
  if (!server) { out.fails = 'client_auth'; return out }

  const msg4 = shs.serverCreateAccept(server)
  out.msg4 = hex(msg4)
  out.server = outcome(shs.clean(server))
  client = attempt(() => shs.clientVerifyAccept(client, deliver(input, 4, msg4)))
  if (!client) { out.fails = 'server_accept'; return out }
  out.client = outcome(shs.clean(client))
  return out
}

function run (op, input) {
  switch (op) {
    case 'handshake': return { ok: transcript(input) }
    default: throw new Error('unknown op ' + op)
  }
}

// ---- generation ---------------------------------------------------------------------
function ephemeral (seed) {
  return hex(cl.crypto_sign_ed25519_sk_to_curve25519(cl.crypto_sign_seed_keypair(seed).secretKey))
}

function baseInput (label, netKey) {
  const cs = detBytes(label + '/client', 32)
  const ss = detBytes(label + '/server', 32)
  const ce = detBytes(label + '/client-ephemeral', 32)
  const se = detBytes(label + '/server-ephemeral', 32)
  return {
    net_key: hex(netKey),
    client_seed: hex(cs),
    server_seed: hex(ss),
    client_ephemeral_seed: hex(ce),
    client_ephemeral: ephemeral(ce),
    server_ephemeral_seed: hex(se),
    server_ephemeral: ephemeral(se)
  }
}

function generate () {
  const cases = []
  const add = (id, input) => cases.push({ id, op: 'handshake', input, expect: run('handshake', input) })

  // The docs/PROTOCOL.md §9.1 keys: long-term seeds 01.., 02.., ephemeral seeds 03.., 04...
  const fill = (b) => Buffer.alloc(32, b)
  add('main-net/spec-9.1', {
    net_key: hex(MAIN),
    client_seed: hex(fill(1)),
    server_seed: hex(fill(2)),
    client_ephemeral_seed: hex(fill(3)),
    client_ephemeral: ephemeral(fill(3)),
    server_ephemeral_seed: hex(fill(4)),
    server_ephemeral: ephemeral(fill(4))
  })
  for (let i = 1; i < 16; i++) add('main-net/' + String(i).padStart(4, '0'), baseInput('handshake/main/' + i, MAIN))
  for (let i = 0; i < 10; i++) {
    add('other-net/' + String(i).padStart(4, '0'), baseInput('handshake/other/' + i, detBytes('handshake/other-net-key/' + i, 32)))
  }
  // The app key of test-secret-handshake's data.json.
  add('other-net/test-secret-handshake-key', baseInput('handshake/tsh', unhex('291356d28154da68e8a9ee4fed71497c0a67d121a41b544d7a6157e76e0df5bc')))

  // Client on another network: the server refuses msg1 and says nothing.
  for (let i = 0; i < 3; i++) {
    const input = baseInput('handshake/wrong-net/' + i, MAIN)
    input.client_net_key = hex(detBytes('handshake/wrong-net-key/' + i, 32))
    add('wrong-network-key/' + String(i).padStart(4, '0'), input)
  }
  // Client dials a different (valid) server key: the server cannot open msg3.
  for (let i = 0; i < 3; i++) {
    const input = baseInput('handshake/wrong-server/' + i, MAIN)
    input.server_pk = hex(cl.crypto_sign_seed_keypair(detBytes('handshake/wrong-server-key/' + i, 32)).publicKey)
    add('wrong-server-key/' + String(i).padStart(4, '0'), input)
  }
  // Client dials a key that is no usable Ed25519 point (the identity): fails on msg2.
  {
    const input = baseInput('handshake/unusable-server', MAIN)
    input.server_pk = '01' + '00'.repeat(31)
    add('unusable-server-key/identity', input)
  }
  // One bit or byte changed in transit, in every message, at several offsets.
  const lens = { 1: 64, 2: 64, 3: 112, 4: 80 }
  for (const msg of [1, 2, 3, 4]) {
    const offsets = [0, 15, 16, 31, 32, lens[msg] - 1]
    for (const offset of offsets) {
      const input = baseInput('handshake/corrupt/' + msg + '/' + offset, MAIN)
      input.fault = { msg, offset, xor: offset % 2 ? 0x80 : 0x01 }
      add('corrupt/msg' + msg + '/offset-' + offset, input)
    }
  }
  // Low-order ephemeral keys with a valid HMAC: libsodium refuses the all-zero DH result.
  const lowOrder = ['00'.repeat(32), '01' + '00'.repeat(31), 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800']
  lowOrder.forEach((p, i) => {
    for (const msg of [1, 2]) {
      const input = baseInput('handshake/low-order/' + msg + '/' + i, MAIN)
      input.fault = { msg, replace: hex(Buffer.concat([cl.crypto_auth(unhex(p), MAIN), unhex(p)])) }
      add('low-order/msg' + msg + '/' + i, input)
    }
  })
  // Whole messages replaced with unrelated bytes.
  for (const msg of [1, 2, 3, 4]) {
    const input = baseInput('handshake/random/' + msg, MAIN)
    input.fault = { msg, replace: hex(detBytes('handshake/random-msg/' + msg, lens[msg])) }
    add('random-message/msg' + msg, input)
  }
  return cases
}

module.exports = { description, reference, generate, run }
