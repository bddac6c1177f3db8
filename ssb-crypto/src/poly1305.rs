//! Poly1305 (Bernstein, 2005; RFC 8439 §2.5) in the "donna-64" layout: the accumulator and `r`
//! in three limbs of 44, 44 and 42 bits, products in `u128`. Safe Rust.
//!
//! Constant time: no branch or memory index depends on the key or the message; the final
//! reduction selects between `h` and `h - p` with a mask. Only the message length (public)
//! decides the work done.

use zeroize::Zeroize;

const M44: u64 = (1 << 44) - 1;
const M42: u64 = (1 << 42) - 1;

fn le64(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(b);
    u64::from_le_bytes(w)
}

/// A one-time authenticator over a message given in one piece.
pub(crate) fn mac(key: &[u8; 32], msg: &[u8]) -> [u8; 16] {
    let mut st = State::new(key);
    let tail = if msg.len() >= 64 {
        // Two blocks per step, `h = (h + m1) r^2 + m2 r`: one carry chain per 32 bytes.
        let (r2, s2) = st.square();
        let mut pairs = msg.chunks_exact(32);
        for p in &mut pairs {
            let (m1, m2) = p.split_at(16);
            st.pair(m1, m2, &r2, &s2);
        }
        pairs.remainder()
    } else {
        msg
    };
    let mut blocks = tail.chunks_exact(16);
    for b in &mut blocks {
        st.block(b, 1 << 40);
    }
    let rest = blocks.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 16];
        last[..rest.len()].copy_from_slice(rest);
        last[rest.len()] = 1;
        st.block(&last, 0);
        last.zeroize();
    }
    st.finish()
}

/// The three limbs of a 16-byte block, with `hibit` (2^128) in the top one.
#[inline(always)]
fn limbs(m: &[u8], hibit: u64) -> [u64; 3] {
    let t0 = le64(&m[0..8]);
    let t1 = le64(&m[8..16]);
    [
        t0 & M44,
        ((t0 >> 44) | (t1 << 20)) & M44,
        ((t1 >> 24) & M42) | hibit,
    ]
}

#[inline(always)]
fn mul(a: u64, b: u64) -> u128 {
    u128::from(a) * u128::from(b)
}

/// `h * r` as three unreduced 128-bit limbs (`s` = `r1 * 20`, `r2 * 20`).
#[inline(always)]
fn product(h: [u64; 3], r: &[u64; 3], s: &[u64; 2]) -> [u128; 3] {
    [
        mul(h[0], r[0]) + mul(h[1], s[1]) + mul(h[2], s[0]),
        mul(h[0], r[1]) + mul(h[1], r[0]) + mul(h[2], s[1]),
        mul(h[0], r[2]) + mul(h[1], r[1]) + mul(h[2], r[0]),
    ]
}

/// Carries three 128-bit limbs back to 44/44/42 bits (the top limb may keep a small carry).
#[inline(always)]
fn carry(d: [u128; 3]) -> [u64; 3] {
    let [d0, mut d1, mut d2] = d;
    let c = (d0 >> 44) as u64;
    let h0 = d0 as u64 & M44;
    d1 += u128::from(c);
    let c = (d1 >> 44) as u64;
    let h1 = d1 as u64 & M44;
    d2 += u128::from(c);
    let c = (d2 >> 42) as u64;
    let h2 = d2 as u64 & M42;
    let h0 = h0 + c * 5;
    let c = h0 >> 44;
    [h0 & M44, h1 + c, h2]
}

struct State {
    r: [u64; 3],
    /// `r1 * 20`, `r2 * 20`: the factor folds the limbs above 2^130 back in (2^130 = 5 mod p,
    /// times 4 for the limb offsets).
    s: [u64; 2],
    h: [u64; 3],
    pad: [u64; 2],
}

impl Drop for State {
    fn drop(&mut self) {
        self.r.zeroize();
        self.s.zeroize();
        self.h.zeroize();
        self.pad.zeroize();
    }
}

impl State {
    fn new(key: &[u8; 32]) -> Self {
        let t0 = le64(&key[0..8]);
        let t1 = le64(&key[8..16]);
        // r is clamped (RFC 8439: r &= 0x0ffffffc0ffffffc0ffffffc0fffffff) while splitting.
        let r0 = t0 & 0xffc_0fff_ffff;
        let r1 = ((t0 >> 44) | (t1 << 20)) & 0xfff_ffc0_ffff;
        let r2 = (t1 >> 24) & 0x00f_ffff_fc0f;
        Self {
            r: [r0, r1, r2],
            s: [r1 * 20, r2 * 20],
            h: [0; 3],
            pad: [le64(&key[16..24]), le64(&key[24..32])],
        }
    }

    /// `r^2 mod p` (limbs carried) and its `s` factors.
    fn square(&self) -> ([u64; 3], [u64; 2]) {
        let [a, b, c] = carry(product(self.r, &self.r, &self.s));
        let r2 = [a, b & M44, c + (b >> 44)];
        (r2, [r2[1] * 20, r2[2] * 20])
    }

    /// `h = (h + m) * r mod p` for one 16-byte block; `hibit` is 2^128 (as bit 40 of the top
    /// limb) for full blocks, 0 for the padded final block.
    #[inline(always)]
    fn block(&mut self, m: &[u8], hibit: u64) {
        let m = limbs(m, hibit);
        let h = [self.h[0] + m[0], self.h[1] + m[1], self.h[2] + m[2]];
        self.h = carry(product(h, &self.r, &self.s));
    }

    /// Two full blocks: `h = (h + m1) r^2 + m2 r`.
    #[inline(always)]
    fn pair(&mut self, m1: &[u8], m2: &[u8], r2: &[u64; 3], s2: &[u64; 2]) {
        let a = limbs(m1, 1 << 40);
        let b = limbs(m2, 1 << 40);
        let h = [self.h[0] + a[0], self.h[1] + a[1], self.h[2] + a[2]];
        let x = product(h, r2, s2);
        let y = product(b, &self.r, &self.s);
        self.h = carry([x[0] + y[0], x[1] + y[1], x[2] + y[2]]);
    }

    fn finish(mut self) -> [u8; 16] {
        let [mut h0, mut h1, mut h2] = self.h;
        // Fully carry h (two rounds, as donna-64 does).
        let mut c;
        for _ in 0..2 {
            c = h1 >> 44;
            h1 &= M44;
            h2 += c;
            c = h2 >> 42;
            h2 &= M42;
            h0 += c * 5;
            c = h0 >> 44;
            h0 &= M44;
            h1 += c;
        }

        // g = h + 5 - 2^130; take g when it did not go negative (h >= p).
        let mut g0 = h0 + 5;
        c = g0 >> 44;
        g0 &= M44;
        let mut g1 = h1 + c;
        c = g1 >> 44;
        g1 &= M44;
        let g2 = (h2 + c).wrapping_sub(1 << 42);
        let take_g = (g2 >> 63).wrapping_sub(1); // all ones when g2 >= 0
        h0 = (h0 & !take_g) | (g0 & take_g);
        h1 = (h1 & !take_g) | (g1 & take_g);
        h2 = (h2 & !take_g) | (g2 & M42 & take_g);

        // h + pad mod 2^128.
        let [t0, t1] = self.pad;
        h0 += t0 & M44;
        c = h0 >> 44;
        h0 &= M44;
        h1 += (((t0 >> 44) | (t1 << 20)) & M44) + c;
        c = h1 >> 44;
        h1 &= M44;
        h2 += ((t1 >> 24) & M42) + c;
        h2 &= M42;

        let lo = h0 | (h1 << 44);
        let hi = (h1 >> 20) | (h2 << 24);
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&lo.to_le_bytes());
        out[8..].copy_from_slice(&hi.to_le_bytes());
        self.h = [0; 3];
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8439 §2.5.2's worked example (a published vector, not our arithmetic).
    #[test]
    fn rfc8439_example() {
        let key: [u8; 32] = [
            0x85, 0xd6, 0xbe, 0x78, 0x57, 0x55, 0x6d, 0x33, 0x7f, 0x44, 0x52, 0xfe, 0x42, 0xd5,
            0x06, 0xa8, 0x01, 0x03, 0x80, 0x8a, 0xfb, 0x0d, 0xb2, 0xfd, 0x4a, 0xbf, 0xf6, 0xaf,
            0x41, 0x49, 0xf5, 0x1b,
        ];
        let tag = [
            0xa8, 0x06, 0x1d, 0xc1, 0x30, 0x51, 0x36, 0xc6, 0xc2, 0x2b, 0x8b, 0xaf, 0x0c, 0x01,
            0x27, 0xa9,
        ];
        assert_eq!(mac(&key, b"Cryptographic Forum Research Group"), tag);
    }
}
