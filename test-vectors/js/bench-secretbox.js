// libsodium (sodium-native, what JS peers run; Kuska links the same library) on the work of
// the box-stream bench: 256 bodies of 4096 bytes sealed or opened in place per round, each
// with its own nonce, plus the 34-byte header box per frame as box-stream does. Best of
// rounds. Usage: node bench-secretbox.js [seconds]
'use strict'
const sodium = require('sodium-native')
const FRAMES = 256
const BODY = 4096
const key = Buffer.alloc(32, 7)
const nonces = Array.from({ length: FRAMES }, (_, i) => {
  const n = Buffer.alloc(24, 1)
  n.writeBigUInt64BE(BigInt(i), 16)
  return n
})
const plain = Buffer.alloc(FRAMES * BODY)
for (let i = 0; i < plain.length; i++) plain[i] = i & 0xff
const bodies = Array.from({ length: FRAMES }, (_, i) => plain.subarray(i * BODY, (i + 1) * BODY))
const macs = Array.from({ length: FRAMES }, () => Buffer.alloc(16))
const head = Buffer.alloc(18)
const headMac = Buffer.alloc(16)

function seal (withHeader) {
  for (let i = 0; i < FRAMES; i++) {
    sodium.crypto_secretbox_detached(bodies[i], macs[i], bodies[i], nonces[i], key)
    if (withHeader) sodium.crypto_secretbox_detached(head, headMac, head, nonces[i], key)
  }
}
function open () {
  for (let i = 0; i < FRAMES; i++) {
    if (!sodium.crypto_secretbox_open_detached(bodies[i], bodies[i], macs[i], nonces[i], key)) throw new Error('open')
  }
}
const seconds = Number(process.argv[2] || 4)
let best = { seal: Infinity, sealHeader: Infinity, open: Infinity }
const end = Date.now() + seconds * 1000
while (Date.now() < end) {
  // Each seal is followed by the open of the same bodies, so the buffers go round.
  let t = process.hrtime.bigint(); seal(false); best.seal = Math.min(best.seal, Number(process.hrtime.bigint() - t))
  t = process.hrtime.bigint(); open(); best.open = Math.min(best.open, Number(process.hrtime.bigint() - t))
  t = process.hrtime.bigint(); seal(true); best.sealHeader = Math.min(best.sealHeader, Number(process.hrtime.bigint() - t))
  open()
}
const mbs = ns => (FRAMES * BODY / ns * 1e3).toFixed(1)
console.log(`libsodium ${sodium.sodium_version_string ? sodium.sodium_version_string() : ''} secretbox, 4096-byte bodies (best of rounds):`)
console.log(`  seal (body only)           ${mbs(best.seal)} MB/s`)
console.log(`  seal (body + header box)   ${mbs(best.sealHeader)} MB/s`)
console.log(`  open (body only)           ${mbs(best.open)} MB/s`)
