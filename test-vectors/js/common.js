'use strict'
// Shared helpers for the layer generators: a deterministic byte source (no Math.random
// anywhere: every vector file must regenerate byte-identically) and stable JSON output.
const crypto = require('crypto')
const { isDeepStrictEqual } = require('util')

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

// A JSON round trip, so that verdicts compare the way they are stored (undefined fields gone).
const plain = (v) => JSON.parse(JSON.stringify(v))

// Builds one case of layer `mod` ({ run, policy? }). `mod.run` is the JS reference's own
// verdict. `mod.policy(op, input, js)`, where a layer has one, returns null or
// { rule, expect }: this project's verdict under a documented rule of `mod.policies` that
// goes beyond what the JS packages decide. When the two verdicts agree the case is
// JS-proven; when they differ it goes to the `policy/` group, expecting our verdict and
// recording JS's beside it (`policy.js`), so that no policy passes for a JS fact.
function makeCase (mod, id, op, input) {
  const js = plain(mod.run(op, input))
  const p = mod.policy ? mod.policy(op, input, js) : null
  if (p === null || isDeepStrictEqual(plain(p.expect), js)) return { id, op, input, expect: js }
  if (!mod.policies || !mod.policies[p.rule]) throw new Error(id + ': undocumented policy rule ' + p.rule)
  return { id: 'policy/' + id, op, input, expect: plain(p.expect), policy: { rule: p.rule, js } }
}

module.exports = { detBytes, Rng, hex, unhex, serialize, plain, makeCase }
