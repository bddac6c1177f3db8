//! XSalsa20 (Bernstein, "Extending the Salsa20 nonce", 2008): HSalsa20 for the subkey, then
//! Salsa20/20 with a 64-bit block counter, as libsodium's `crypto_stream_xsalsa20` runs it.
//!
//! Two kernels compute the same keystream: a portable one-block kernel, and on x86-64 a
//! four-block SSE2 kernel (SSE2 is part of the x86-64 baseline, so it is chosen at compile time
//! through `safe_arch`, with no `unsafe` here). Both take the 64-bit counter whole: the high
//! word is carried per block, so a stream crossing the 2^32-block boundary stays correct (the
//! bug that removed the `salsa20` crate's SSE2 backend was a 32-bit counter).
//!
//! Constant time: the rounds are additions, rotations by fixed amounts and XORs; no branch and
//! no memory index depends on the key, the nonce or the data. Lengths and counters are public.

use zeroize::Zeroize;

/// Bytes of one Salsa20 block.
pub(crate) const BLOCK: usize = 64;

const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// One 32-bit lane of the state: a plain word, or four blocks' words side by side.
trait Lane: Copy {
    fn add(self, other: Self) -> Self;
    fn xor(self, other: Self) -> Self;
    fn rotl7(self) -> Self;
    fn rotl9(self) -> Self;
    fn rotl13(self) -> Self;
    fn rotl18(self) -> Self;
}

impl Lane for u32 {
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        self.wrapping_add(other)
    }
    #[inline(always)]
    fn xor(self, other: Self) -> Self {
        self ^ other
    }
    #[inline(always)]
    fn rotl7(self) -> Self {
        self.rotate_left(7)
    }
    #[inline(always)]
    fn rotl9(self) -> Self {
        self.rotate_left(9)
    }
    #[inline(always)]
    fn rotl13(self) -> Self {
        self.rotate_left(13)
    }
    #[inline(always)]
    fn rotl18(self) -> Self {
        self.rotate_left(18)
    }
}

/// `x[b] ^= rotl(x[a] + x[d], 7)` and so on: one Salsa20 quarter round on words a, b, c, d.
macro_rules! quarter {
    ($x:ident, $a:literal, $b:literal, $c:literal, $d:literal) => {
        $x[$b] = $x[$b].xor($x[$a].add($x[$d]).rotl7());
        $x[$c] = $x[$c].xor($x[$b].add($x[$a]).rotl9());
        $x[$d] = $x[$d].xor($x[$c].add($x[$b]).rotl13());
        $x[$a] = $x[$a].xor($x[$d].add($x[$c]).rotl18());
    };
}

/// The 20 rounds (ten column rounds, each followed by a row round).
#[inline(always)]
fn rounds<L: Lane>(x: &mut [L; 16]) {
    for _ in 0..10 {
        quarter!(x, 0, 4, 8, 12);
        quarter!(x, 5, 9, 13, 1);
        quarter!(x, 10, 14, 2, 6);
        quarter!(x, 15, 3, 7, 11);
        quarter!(x, 0, 1, 2, 3);
        quarter!(x, 5, 6, 7, 4);
        quarter!(x, 10, 11, 8, 9);
        quarter!(x, 15, 12, 13, 14);
    }
}

fn words<const N: usize>(bytes: &[u8]) -> [u32; N] {
    let mut out = [0u32; N];
    for (w, c) in out.iter_mut().zip(bytes.chunks_exact(4)) {
        let mut b = [0u8; 4];
        b.copy_from_slice(c);
        *w = u32::from_le_bytes(b);
    }
    out
}

/// The Salsa20 input state for `key` (eight words), `nonce` (two words) and block `counter`.
fn state(key: &[u32; 8], nonce: [u32; 2], counter: u64) -> [u32; 16] {
    [
        SIGMA[0],
        key[0],
        key[1],
        key[2],
        key[3],
        SIGMA[1],
        nonce[0],
        nonce[1],
        counter as u32,
        (counter >> 32) as u32,
        SIGMA[2],
        key[4],
        key[5],
        key[6],
        key[7],
        SIGMA[3],
    ]
}

/// HSalsa20: the XSalsa20 subkey from `key` and the first 16 bytes of the nonce.
pub(crate) fn hsalsa20(key: &[u8; 32], input: &[u8; 16]) -> [u32; 8] {
    let k = words::<8>(key);
    let n = words::<4>(input);
    let mut x = [
        SIGMA[0], k[0], k[1], k[2], k[3], SIGMA[1], n[0], n[1], n[2], n[3], SIGMA[2], k[4], k[5],
        k[6], k[7], SIGMA[3],
    ];
    rounds(&mut x);
    let out = [x[0], x[5], x[10], x[15], x[6], x[7], x[8], x[9]];
    x.zeroize();
    out
}

/// A Salsa20/20 keystream position: subkey, 8-byte nonce and the next block's counter.
pub(crate) struct Stream {
    key: [u32; 8],
    nonce: [u32; 2],
    counter: u64,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl Stream {
    /// XSalsa20 for `key` and a 24-byte `nonce`, at block 0.
    pub(crate) fn xsalsa20(key: &[u8; 32], nonce: &[u8; 24]) -> Self {
        let (head, tail) = nonce.split_at(16);
        let mut h = [0u8; 16];
        h.copy_from_slice(head);
        Self {
            key: hsalsa20(key, &h),
            nonce: words::<2>(tail),
            counter: 0,
        }
    }

    /// Salsa20/20 for `key` and an 8-byte `nonce`, at block `counter`.
    pub(crate) fn salsa20(key: &[u8; 32], nonce: &[u8; 8], counter: u64) -> Self {
        Self {
            key: words::<8>(key),
            nonce: words::<2>(nonce),
            counter,
        }
    }

    /// Moves to block `counter`.
    pub(crate) fn seek_block(&mut self, counter: u64) {
        self.counter = counter;
    }

    /// The next keystream block, portable kernel.
    pub(crate) fn block(&mut self) -> [u8; BLOCK] {
        let out = block_portable(&self.key, self.nonce, self.counter);
        self.counter = self.counter.wrapping_add(1);
        out
    }

    /// XORs the keystream from the current block into `buf`, which is consumed in whole blocks
    /// (the last block's unused bytes are discarded).
    pub(crate) fn xor(&mut self, buf: &mut [u8]) {
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        let buf = {
            let mut chunks = buf.chunks_exact_mut(4 * BLOCK);
            for chunk in &mut chunks {
                if let Ok(chunk) = <&mut [u8; 4 * BLOCK]>::try_from(chunk) {
                    sse2::xor_blocks4(&self.key, self.nonce, self.counter, chunk);
                }
                self.counter = self.counter.wrapping_add(4);
            }
            let rest = chunks.into_remainder();
            if rest.len() > 2 * BLOCK {
                // Three or four blocks' worth: one four-block pass beats three single ones.
                let mut tmp = [0u8; 4 * BLOCK];
                let (head, _) = tmp.split_at_mut(rest.len());
                head.copy_from_slice(rest);
                sse2::xor_blocks4(&self.key, self.nonce, self.counter, &mut tmp);
                let (head, _) = tmp.split_at(rest.len());
                rest.copy_from_slice(head);
                tmp.zeroize();
                self.counter = self.counter.wrapping_add(rest.len().div_ceil(BLOCK) as u64);
                return;
            }
            rest
        };
        self.xor_portable(buf);
    }

    /// [`xor`](Self::xor) with the portable kernel only (the reference the SIMD kernel is
    /// tested against, and the path on other targets).
    pub(crate) fn xor_portable(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(BLOCK) {
            let mut ks = block_words(&self.key, self.nonce, self.counter);
            self.counter = self.counter.wrapping_add(1);
            for (c, w) in chunk.chunks_mut(4).zip(ks.iter()) {
                for (b, k) in c.iter_mut().zip(w.to_le_bytes()) {
                    *b ^= k;
                }
            }
            ks.zeroize();
        }
    }
}

/// One keystream block as sixteen words (input added).
fn block_words(key: &[u32; 8], nonce: [u32; 2], counter: u64) -> [u32; 16] {
    let input = state(key, nonce, counter);
    let mut x = input;
    rounds(&mut x);
    for (w, i) in x.iter_mut().zip(input.iter()) {
        *w = w.wrapping_add(*i);
    }
    x
}

fn block_portable(key: &[u32; 8], nonce: [u32; 2], counter: u64) -> [u8; BLOCK] {
    let mut x = block_words(key, nonce, counter);
    let mut out = [0u8; BLOCK];
    for (o, w) in out.chunks_exact_mut(4).zip(x.iter()) {
        o.copy_from_slice(&w.to_le_bytes());
    }
    x.zeroize();
    out
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    //! Four consecutive blocks at once: lane `i` of vector `w` is word `w` of block
    //! `counter + i`.

    use safe_arch::{
        add_i32_m128i, bitor_m128i, bitxor_m128i, load_unaligned_m128i, m128i, set_splat_i32_m128i,
        shl_imm_u32_m128i, shr_imm_u32_m128i, store_unaligned_m128i, unpack_high_i32_m128i,
        unpack_high_i64_m128i, unpack_low_i32_m128i, unpack_low_i64_m128i,
    };

    use super::{BLOCK, Lane, rounds, state};

    #[derive(Clone, Copy)]
    struct V(m128i);

    macro_rules! rotl {
        ($v:expr, $n:literal, $m:literal) => {
            V(bitor_m128i(
                shl_imm_u32_m128i::<$n>($v.0),
                shr_imm_u32_m128i::<$m>($v.0),
            ))
        };
    }

    impl Lane for V {
        #[inline(always)]
        fn add(self, other: Self) -> Self {
            V(add_i32_m128i(self.0, other.0))
        }
        #[inline(always)]
        fn xor(self, other: Self) -> Self {
            V(bitxor_m128i(self.0, other.0))
        }
        #[inline(always)]
        fn rotl7(self) -> Self {
            rotl!(self, 7, 25)
        }
        #[inline(always)]
        fn rotl9(self) -> Self {
            rotl!(self, 9, 23)
        }
        #[inline(always)]
        fn rotl13(self) -> Self {
            rotl!(self, 13, 19)
        }
        #[inline(always)]
        fn rotl18(self) -> Self {
            rotl!(self, 18, 14)
        }
    }

    /// XORs the keystream of blocks `counter .. counter + 4` into `buf`. The keystream only
    /// ever lives in registers.
    pub(super) fn xor_blocks4(
        key: &[u32; 8],
        nonce: [u32; 2],
        counter: u64,
        buf: &mut [u8; 4 * BLOCK],
    ) {
        let base = state(key, nonce, 0);
        let mut input = base.map(|w| V(set_splat_i32_m128i(w as i32)));
        let mut lo = [0i32; 4];
        let mut hi = [0i32; 4];
        for (i, (l, h)) in (0u64..).zip(lo.iter_mut().zip(hi.iter_mut())) {
            let c = counter.wrapping_add(i);
            *l = c as u32 as i32;
            *h = (c >> 32) as u32 as i32;
        }
        input[8] = V(m128i::from(lo));
        input[9] = V(m128i::from(hi));
        let mut x = input;
        rounds(&mut x);
        for (w, i) in x.iter_mut().zip(input.iter()) {
            *w = w.add(*i);
        }
        // Transpose each group of four words, from "word w of four blocks" to "four words of
        // block b", and XOR them into block b's 16 bytes of that group.
        for (g, quad) in x.chunks_exact(4).enumerate() {
            let [v0, v1, v2, v3] = [quad[0].0, quad[1].0, quad[2].0, quad[3].0];
            let a = unpack_low_i32_m128i(v0, v1);
            let b = unpack_low_i32_m128i(v2, v3);
            let c = unpack_high_i32_m128i(v0, v1);
            let d = unpack_high_i32_m128i(v2, v3);
            let rows = [
                unpack_low_i64_m128i(a, b),
                unpack_high_i64_m128i(a, b),
                unpack_low_i64_m128i(c, d),
                unpack_high_i64_m128i(c, d),
            ];
            for (blk, row) in rows.into_iter().enumerate() {
                let at = blk * BLOCK + g * 16;
                if let Some(bytes) = buf
                    .get_mut(at..at + 16)
                    .and_then(|b| <&mut [u8; 16]>::try_from(b).ok())
                {
                    let data = load_unaligned_m128i(bytes);
                    store_unaligned_m128i(bytes, bitxor_m128i(data, row));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    fn keystream(key: &[u8; 32], nonce: &[u8; 24], block: u64, len: usize, simd: bool) -> Vec<u8> {
        let mut s = Stream::xsalsa20(key, nonce);
        s.seek_block(block);
        let mut out = vec![0u8; len];
        if simd {
            s.xor(&mut out);
        } else {
            s.xor_portable(&mut out);
        }
        out
    }

    #[test]
    fn kernels_agree_across_the_32_bit_counter_boundary() {
        let key = [7u8; 32];
        let nonce = [9u8; 24];
        for start in [0u64, 1, (1 << 32) - 5, (1 << 32) - 1, u64::MAX - 2] {
            for len in [0, 1, 63, 64, 65, 191, 192, 193, 255, 256, 257, 1000, 4096] {
                assert_eq!(
                    keystream(&key, &nonce, start, len, true),
                    keystream(&key, &nonce, start, len, false),
                    "start {start} len {len}"
                );
            }
        }
    }

    #[test]
    fn counter_high_word_changes_the_block() {
        let key = [1u8; 32];
        let nonce = [2u8; 24];
        // Block 2^32 must differ from block 0 (a 32-bit counter would repeat it).
        assert_ne!(
            keystream(&key, &nonce, 1 << 32, 64, false),
            keystream(&key, &nonce, 0, 64, false)
        );
    }
}
