// JS private-box (private-box 0.3.1 on chloride/sodium-native, what JS peers and, through
// libsodium, Kuska run): opening a 500-byte box that is not for us (the common case while
// scanning a feed), with 1 and 7 recipients, and libsodium's X25519 alone. Best of rounds.
// Usage: node bench-private-box.js [seconds]
'use strict'
const pb = require('private-box')
const cl = require('chloride')
const sodium = require('sodium-native')
const kp = i => cl.crypto_box_seed_keypair(Buffer.alloc(32, i))
const me = kp(99)
const msg = Buffer.alloc(500, 7)
const box1 = pb.encrypt(msg, [kp(1).publicKey])
const box7 = pb.encrypt(msg, [1, 2, 3, 4, 5, 6, 7].map(i => kp(i).publicKey))
const q = Buffer.alloc(32)
const their = kp(1).publicKey
const seconds = Number(process.argv[2] || 3)
function rate (f) {
  let best = Infinity
  const end = Date.now() + seconds * 1000
  while (Date.now() < end) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < 200; i++) f()
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 200)
  }
  return (1e9 / best).toFixed(0)
}
console.log('JS private-box ' + require('private-box/package.json').version + ', 500-byte plaintext (best of rounds):')
console.log('  raw X25519 (libsodium crypto_scalarmult): ' + rate(() => sodium.crypto_scalarmult(q, me.secretKey, their)) + ' /s')
console.log('  open, not for me, 1 recipient : ' + rate(() => { if (pb.decrypt(box1, me.secretKey) !== undefined) throw new Error('opened') }) + ' /s')
console.log('  open, not for me, 7 recipients: ' + rate(() => { if (pb.decrypt(box7, me.secretKey) !== undefined) throw new Error('opened') }) + ' /s')
