//! Runs ssb-crypto's secret-dependent code with the secrets marked *undefined* for valgrind's
//! memcheck (the "ctgrind" method): memcheck then reports every branch and every memory
//! address that depends on them. Run as
//! `valgrind --error-exitcode=1 --suppressions=public-verdicts.supp target/release/ct-check`; a clean run means no branch and no
//! index depends on a key, a nonce, a plaintext or a secret scalar in the code it reached.
//!
//! `--self-test` branches on a secret on purpose: that run must fail, or the marking did not
//! take.
//!
//! Checked: secretbox seal (HSalsa20, both Salsa20 kernels, Poly1305 including its final
//! reduction), the raw streams across the four-block batches, X25519 (on the path valgrind's
//! CPU offers: it hides ADX, so graviola declines and dalek runs), and signing. Not checked
//! here: graviola itself (valgrind cannot run it; it has its own ctgrind runs upstream). The
//! two branches on public verdicts (a box authenticates or not; an X25519 result is all zero or
//! not) are named in `public-verdicts.supp`: run with `--suppressions=public-verdicts.supp`.
#![forbid(unsafe_code)]

use crabgrind::memcheck::{MemState, mark_mem};
use crabgrind::{RunMode, run_mode};
use std::hint::black_box;

use ssb_crypto::{CurvePublicKey, CurveSecretKey, Keypair, secretbox, stream};

fn secret(bytes: &[u8]) {
    // crabgrind 0.1 reads memcheck's success value (-1) as an error: the result says nothing,
    // `run_mode` above and `--self-test` below are what show the marking works.
    let _ = mark_mem(bytes.as_ptr().cast_mut().cast(), bytes.len(), MemState::Undefined);
}

/// Declares a result public (a tag, a verdict), so using it later is not reported.
fn public<T>(value: &T) {
    let p: *const T = value;
    let _ = mark_mem(p.cast_mut().cast(), size_of::<T>(), MemState::Defined);
}

fn main() {
    if !matches!(run_mode(), RunMode::Valgrind) {
        eprintln!("ct-check: run it under valgrind: valgrind --error-exitcode=1 {}", std::env::args().next().unwrap_or_default());
        std::process::exit(2);
    }
    // black_box: the compiler must not know the secrets' values (it would fold them away).
    let key = black_box([0x42u8; 32]);
    let nonce = black_box([0x24u8; 24]);
    secret(&key);
    if std::env::args().any(|a| a == "--self-test") {
        // A branch on a secret: memcheck must report it (the run must fail).
        if key[3] == 0x42 {
            println!("ct-check self-test: branched on a secret");
        }
        return;
    }
    secret(&nonce);
    let mut checked = 0usize;
    for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 95, 96, 97, 191, 192, 193, 255, 256, 257, 300, 1000, 4096] {
        let mut buf = black_box(vec![0x17u8; len]);
        secret(&buf);
        let tag = secretbox::seal_in_place(&key, &nonce, &mut buf);
        // Opening: everything up to the verdict (the verdict's branch is public and listed
        // in public-verdicts.supp).
        let opened = secretbox::open_in_place(&key, &nonce, &mut buf, &tag);
        public(&opened);
        assert!(opened.is_ok());
        let mut s = black_box(vec![0x71u8; len]);
        secret(&s);
        stream::salsa20_xor_ic(&key, &[9; 8], u64::from(u32::MAX) - 1, &mut s);
        stream::xsalsa20_xor_ic(&key, &nonce, 7, &mut s);
        checked += 1;
    }
    let their = CurveSecretKey::from_bytes([0x44; 32]).public_key();
    let raw = black_box([0x33u8; 32]);
    secret(&raw);
    let sk = CurveSecretKey::from_bytes(raw);
    // The all-zero check on the result is a public verdict (public-verdicts.supp).
    let shared = sk.diffie_hellman(&their);
    public(&shared.is_ok());
    let _pk: CurvePublicKey = black_box(sk.public_key());
    let seed = black_box([0x55u8; 32]);
    secret(&seed);
    let keys = Keypair::from_seed(&seed);
    let _sig = black_box(keys.sign(b"a message"));
    println!(
        "ct-check: {checked} secretbox/stream lengths, X25519 on {:?}, one signature",
        ssb_crypto::backend::active()
    );
}
