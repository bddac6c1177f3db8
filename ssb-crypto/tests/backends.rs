//! The graviola path against the dalek path, case by case: the same verdict and the same error
//! for Ed25519 verification (random, mutated and crafted-torsion signatures; random and
//! mutated keys) and the same output or refusal for X25519 (random, high-bit, non-canonical
//! and small-order public keys).
//!
//! `SSB_BACKEND_CASES` sets the number of cases per property (default 4000; SECURITY.md
//! records a long run). With the feature `force-portable` both sides are dalek, so the file is
//! left out of that run.
#![cfg(all(feature = "fast", not(feature = "force-portable")))]
#![allow(clippy::unwrap_used)]

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};
use ssb_crypto::backend::{self, Backend};
use ssb_crypto::{CurvePublicKey, CurveSecretKey, Keypair, PublicKey, Signature};

fn cases() -> u64 {
    std::env::var("SSB_BACKEND_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000)
}

/// SplitMix64: a fixed, seedable stream of test inputs.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        for c in b.chunks_mut(8) {
            let w = self.next().to_le_bytes();
            c.copy_from_slice(&w[..c.len()]);
        }
        b
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn verdict(
    pk: &PublicKey,
    msg: &[u8],
    sig: &Signature,
    b: Backend,
) -> Result<(), ssb_crypto::SignatureError> {
    let key = pk.prepare_with(b)?;
    assert_eq!(key.backend(), b, "prepare_with({b:?}) used another backend");
    key.verify(msg, sig)
}

fn same_verdict(pk: &PublicKey, msg: &[u8], sig: &Signature) -> bool {
    let d = verdict(pk, msg, sig, Backend::Dalek);
    let g = verdict(pk, msg, sig, Backend::Graviola);
    assert_eq!(
        g, d,
        "backends disagree: key {:02x?} sig {:02x?} msg {:02x?}",
        pk.0, sig.0, msg
    );
    d.is_ok()
}

#[test]
fn the_fast_path_is_available_here() {
    // CI machines are x86-64 with AVX2 and ADX; if this fails the rest compares dalek with
    // itself, so say so loudly.
    assert!(
        backend::fast_available() || std::env::var("SSB_ALLOW_NO_FAST").is_ok_and(|v| v == "1"),
        "graviola is not available on this CPU/build (set SSB_ALLOW_NO_FAST=1 to accept)"
    );
    assert_eq!(backend::active(), Backend::Graviola);
}

#[test]
fn verification_random_and_mutated() {
    let mut rng = Rng(1);
    let mut accepted = 0u64;
    for i in 0..cases() {
        let keys = Keypair::from_seed(&rng.bytes::<32>());
        let len = rng.below(700) as usize;
        let mut msg: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let mut sig = keys.sign(&msg);
        let mut pk = keys.public();
        match i % 8 {
            0 => {} // valid
            1 => sig.0[rng.below(64) as usize] ^= 1 << rng.below(8),
            2 if !msg.is_empty() => {
                let at = rng.below(msg.len() as u64) as usize;
                msg[at] ^= 1 << rng.below(8);
            }
            3 => pk.0[rng.below(32) as usize] ^= 1 << rng.below(8),
            4 => pk = PublicKey(rng.bytes::<32>()), // half are not points
            5 => {
                // S + L: the same point equation, a non-canonical scalar.
                let s = Scalar::from_canonical_bytes(sig.0[32..].try_into().unwrap()).unwrap();
                // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
                const L: [u8; 32] = [
                    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde,
                    0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
                ];
                let mut wide = [0u8; 33];
                let mut carry = 0u16;
                for (j, w) in wide.iter_mut().take(32).enumerate() {
                    let v = s.as_bytes()[j] as u16 + L[j] as u16 + carry;
                    *w = v as u8;
                    carry = v >> 8;
                }
                if carry == 0 {
                    sig.0[32..].copy_from_slice(&wide[..32]);
                }
            }
            6 => {
                // R replaced by a small-order point's encoding (sign bit random).
                let t = EIGHT_TORSION[rng.below(8) as usize].compress().to_bytes();
                sig.0[..32].copy_from_slice(&t);
                sig.0[31] ^= (rng.below(2) as u8) << 7;
            }
            _ => sig = Signature(rng.bytes::<64>()),
        }
        accepted += u64::from(same_verdict(&pk, &msg, &sig));
    }
    // Valid cases (one in eight) must be accepted, mutations almost never.
    assert!(accepted >= cases() / 8, "{accepted} accepted");
}

#[test]
fn verification_crafted_torsion() {
    // A = aB + T1 and R = rB + T2 with S = r + k a: libsodium's cofactorless equation holds
    // exactly when T2 = -[k]T1, so some of these verify and most do not; both paths must agree
    // on each.
    let mut rng = Rng(2);
    let (mut yes, mut no) = (0u64, 0u64);
    for _ in 0..cases() / 4 {
        let a = Scalar::from_bytes_mod_order(rng.bytes::<32>());
        let r = Scalar::from_bytes_mod_order(rng.bytes::<32>());
        let t1 = EIGHT_TORSION[rng.below(8) as usize];
        let t2 = EIGHT_TORSION[rng.below(8) as usize];
        let big_a = (ED25519_BASEPOINT_POINT * a + t1).compress().to_bytes();
        let big_r = (ED25519_BASEPOINT_POINT * r + t2).compress().to_bytes();
        let msg = rng.bytes::<40>();
        let mut h = Sha512::new();
        h.update(big_r);
        h.update(big_a);
        h.update(msg);
        let k = Scalar::from_hash(h);
        let s = r + k * a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&big_r);
        sig[32..].copy_from_slice(s.as_bytes());
        if same_verdict(&PublicKey(big_a), &msg, &Signature(sig)) {
            yes += 1;
        } else {
            no += 1;
        }
    }
    assert!(yes > 0 && no > 0, "{yes} accepted, {no} refused");
}

const P: [u8; 32] = {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

#[test]
fn x25519_random_high_bit_non_canonical_and_small_order() {
    let mut rng = Rng(3);
    let mut refused = 0u64;
    for i in 0..cases() {
        let sk = CurveSecretKey::from_bytes(rng.bytes::<32>());
        let mut u = rng.bytes::<32>();
        match i % 6 {
            0 => u[31] &= 0x7f,
            1 => u[31] |= 0x80, // the high bit is ignored, as RFC 7748 and libsodium do
            2 => {
                // p .. 2^255 - 1 and the same with the high bit: non-canonical u.
                u = P;
                u[0] = u[0].wrapping_add(rng.below(19) as u8);
                u[31] |= (rng.below(2) as u8) << 7;
            }
            3 => {
                // Small order: 0, 1, p - 1 and the order-8 points (and their non-canonical
                // spellings via + p where they fit).
                let pts = [
                    [0u8; 32],
                    {
                        let mut b = [0u8; 32];
                        b[0] = 1;
                        b
                    },
                    {
                        let mut b = P;
                        b[0] = 0xec;
                        b
                    },
                    curve25519_dalek::constants::EIGHT_TORSION[1]
                        .to_montgomery()
                        .to_bytes(),
                    curve25519_dalek::constants::EIGHT_TORSION[3]
                        .to_montgomery()
                        .to_bytes(),
                    P,
                    {
                        let mut b = P;
                        b[0] = 0xee;
                        b
                    },
                ];
                u = pts[rng.below(pts.len() as u64) as usize];
                u[31] |= (rng.below(2) as u8) << 7;
            }
            _ => {
                u = CurveSecretKey::from_bytes(rng.bytes::<32>())
                    .public_key_with(Backend::Dalek)
                    .as_bytes()
                    .to_owned()
            }
        }
        let their = CurvePublicKey(u);
        let d = sk.diffie_hellman_with(&their, Backend::Dalek);
        let g = sk.diffie_hellman_with(&their, Backend::Graviola);
        match (&d, &g) {
            (Ok(x), Ok(y)) => assert_eq!(x.as_bytes(), y.as_bytes(), "u {u:02x?}"),
            (Err(_), Err(_)) => refused += 1,
            _ => panic!("backends disagree on u {u:02x?}: dalek ok {}", d.is_ok()),
        }
        assert_eq!(
            sk.public_key_with(Backend::Dalek).as_bytes(),
            sk.public_key_with(Backend::Graviola).as_bytes()
        );
    }
    assert!(refused > 0, "no small-order case was refused");
}
