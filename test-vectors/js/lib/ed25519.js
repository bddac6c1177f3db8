'use strict'
// Minimal Ed25519 point arithmetic with BigInt, used only to *craft* inputs (keys and
// signatures with torsion components, non-canonical encodings). Verdicts always come from
// libsodium (chloride -> sodium-native), never from this file.
const crypto = require('crypto')

const P = (1n << 255n) - 19n
const L = (1n << 252n) + 27742317777372353535851937790883648493n
const mod = (a, m = P) => ((a % m) + m) % m
function pow (b, e, m = P) { let r = 1n; b = mod(b, m); while (e > 0n) { if (e & 1n) r = r * b % m; b = b * b % m; e >>= 1n } return r }
function inv (a) { return pow(a, P - 2n) }
const D = mod(-121665n * inv(121666n))
const SQRT_M1 = pow(2n, (P - 1n) / 4n)

// Extended coordinates (X, Y, Z, T).
const O = [0n, 1n, 1n, 0n]
function add ([X1, Y1, Z1, T1], [X2, Y2, Z2, T2]) {
  const A = mod((Y1 - X1) * (Y2 - X2)); const B = mod((Y1 + X1) * (Y2 + X2))
  const C = mod(2n * D * T1 * T2); const Dd = mod(2n * Z1 * Z2)
  const E = B - A; const F = Dd - C; const G = Dd + C; const H = B + A
  return [mod(E * F), mod(G * H), mod(F * G), mod(E * H)]
}
function neg ([X, Y, Z, T]) { return [mod(-X), Y, Z, mod(-T)] }
function mul (k, Pt) { let R = O; let Q = Pt; k = mod(k, 8n * L); while (k > 0n) { if (k & 1n) R = add(R, Q); Q = add(Q, Q); k >>= 1n } return R }
function eq (a, b) { return mod(a[0] * b[2] - b[0] * a[2]) === 0n && mod(a[1] * b[2] - b[1] * a[2]) === 0n }
function encode ([X, Y, Z]) {
  const zi = inv(Z); const x = mod(X * zi); const y = mod(Y * zi)
  const b = Buffer.from(y.toString(16).padStart(64, '0'), 'hex').reverse()
  if (x & 1n) b[31] |= 0x80
  return b
}
function decode (buf, allowNonCanonical) {
  const b = Buffer.from(buf); const sign = b[31] >> 7; b[31] &= 0x7f
  let y = BigInt('0x' + Buffer.from(b).reverse().toString('hex'))
  if (y >= P) { if (!allowNonCanonical) return null; y -= P }
  const u = mod(y * y - 1n); const v = mod(D * y * y + 1n)
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n))
  if (mod(v * x * x - u) !== 0n) { if (mod(v * x * x + u) !== 0n) return null; x = mod(x * SQRT_M1) }
  if ((x & 1n) !== BigInt(sign)) x = mod(-x)
  return [x, y, 1n, mod(x * y)]
}
const leToBig = (b) => BigInt('0x' + Buffer.from(b).reverse().toString('hex'))
const bigToLe = (n, len = 32) => Buffer.from(n.toString(16).padStart(len * 2, '0'), 'hex').reverse()
const B = decode(Buffer.from('5866666666666666666666666666666666666666666666666666666666666666', 'hex'))
// A point of order 8 (generates the torsion subgroup).
const T8 = decode(Buffer.from('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', 'hex'))
if (!eq(mul(8n, T8), O) || eq(mul(4n, T8), O)) throw new Error('T8 is not of order 8')
if (!eq(mul(L, B), O)) throw new Error('B is not of order L')

function hram (R, A, M) { return mod(leToBig(crypto.createHash('sha512').update(R).update(A).update(M).digest()), L) }
function expand (seed) {
  const h = crypto.createHash('sha512').update(seed).digest()
  const a = Buffer.from(h.subarray(0, 32)); a[0] &= 248; a[31] &= 127; a[31] |= 64
  return { a: leToBig(a), prefix: h.subarray(32) }
}

module.exports = { P, L, O, B, T8, add, neg, mul, eq, encode, decode, leToBig, bigToLe, hram, expand, mod }
