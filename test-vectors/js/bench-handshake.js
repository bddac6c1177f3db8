// The JS secret-handshake (secret-handshake, chloride/sodium-native) doing what the Rust
// handshake bench does: client+server pairs in one thread, in memory. The stateless steps of
// secret-handshake's crypto.js are called in protocol order, so no stream machinery is timed
// (the per-pair work is all crypto). Usage: node bench-handshake.js [seconds]
'use strict'
const crypto = require('crypto')
const shs = require('secret-handshake/crypto')
const cl = require('chloride')
const appKey = Buffer.from('1KHLiKZvAvjbY1ziZEHMXawbCEIM6qwjCDm3VYRan/s=', 'base64')
const alice = cl.crypto_sign_seed_keypair(Buffer.alloc(32, 1))
const bob = cl.crypto_sign_seed_keypair(Buffer.alloc(32, 2))

function pair () {
  let c = shs.initialize({ app_key: appKey, local: alice, remote: { publicKey: bob.publicKey }, random: crypto.randomBytes(32) })
  let s = shs.initialize({ app_key: appKey, local: bob, remote: {}, random: crypto.randomBytes(32) })
  const m1 = shs.createChallenge(c)
  if (!(s = shs.verifyChallenge(s, m1))) throw new Error('server: challenge')
  const m2 = shs.createChallenge(s)
  if (!(c = shs.clientVerifyChallenge(c, m2))) throw new Error('client: challenge')
  const m3 = shs.clientCreateAuth(c)
  if (!(s = shs.serverVerifyAuth(s, m3))) throw new Error('server: auth')
  const m4 = shs.serverCreateAccept(s)
  if (!(c = shs.clientVerifyAccept(c, m4))) throw new Error('client: accept')
  shs.clean(c); shs.clean(s)
}

const seconds = Number(process.argv[2] || 4)
let best = Infinity
const end = Date.now() + seconds * 1000
while (Date.now() < end) {
  const t = process.hrtime.bigint()
  for (let i = 0; i < 50; i++) pair()
  best = Math.min(best, Number(process.hrtime.bigint() - t) / 50)
}
console.log(`JS secret-handshake ${require('secret-handshake/package.json').version}: ${(1e9 / best).toFixed(0)} client+server pairs/s (${(best / 1000).toFixed(1)} µs per pair, best of rounds)`)
