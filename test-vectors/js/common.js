'use strict'
// Shared helpers for the layer generators: a deterministic byte source (no Math.random
// anywhere: every vector file must regenerate byte-identically) and stable JSON output.
const crypto = require('crypto')

// Deterministic pseudo-random bytes: SHA-256 in counter mode over a label.
function detBytes (label, n) {
  const out = []
  let len = 0
  for (let i = 0; len < n; i++) {
    const h = crypto.createHash('sha256').update(label + '/' + i).digest()
    out.push(h)
    len += h.length
  }
  return Buffer.concat(out).subarray(0, n)
}

// A small deterministic PRNG (for choosing shapes, lengths, ...).
class Rng {
  constructor (label) { this.label = label; this.n = 0 }
  bytes (n) { return detBytes(this.label + '#' + (this.n++), n) }
  u32 () { return this.bytes(4).readUInt32BE(0) }
  below (n) { return this.u32() % n }
  pick (arr) { return arr[this.below(arr.length)] }
}

const hex = (b) => Buffer.from(b).toString('hex')
const unhex = (s) => Buffer.from(s, 'hex')

// The serialized form of a vector file: 2-space JSON plus a final newline.
function serialize (file) { return JSON.stringify(file, null, 2) + '\n' }

module.exports = { detBytes, Rng, hex, unhex, serialize }
