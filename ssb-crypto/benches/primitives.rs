//! The primitives under box-stream, the handshake, private-box and feed validation, each beside
//! the crate it replaced or falls back to, in the same run:
//!
//! - secretbox (XSalsa20-Poly1305) at 4096 and 34 bytes: ours vs `xsalsa20poly1305`;
//! - X25519: the active backend vs `x25519-dalek`;
//! - Ed25519 verification with libsodium's rules: the active backend vs the dalek path vs raw
//!   `ed25519-dalek` `verify_strict`.
//!
//! After criterion's runs it prints each ratio (best of interleaved rounds).
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use ssb_crypto::backend::{self, Backend};
use ssb_crypto::{CurveSecretKey, Keypair, secretbox};
use xsalsa20poly1305::XSalsa20Poly1305;
use xsalsa20poly1305::aead::{AeadInPlace, KeyInit};

const KEY: [u8; 32] = [7; 32];
const NONCE: [u8; 24] = [1; 24];

struct Setup {
    cipher: XSalsa20Poly1305,
    sk: CurveSecretKey,
    their: ssb_crypto::CurvePublicKey,
    keys: Keypair,
    msg: Vec<u8>,
    sig: ssb_crypto::Signature,
    dalek_vk: ed25519_dalek::VerifyingKey,
}

fn setup() -> Setup {
    let keys = Keypair::from_seed(&[3; 32]);
    let msg = vec![b'x'; 630];
    let sig = keys.sign(&msg);
    Setup {
        cipher: XSalsa20Poly1305::new(&KEY.into()),
        sk: CurveSecretKey::from_bytes([5; 32]),
        their: CurveSecretKey::from_bytes([6; 32]).public_key(),
        dalek_vk: ed25519_dalek::VerifyingKey::from_bytes(keys.public().as_bytes()).unwrap(),
        keys,
        msg,
        sig,
    }
}

type Op<'a> = (&'static str, Box<dyn FnMut() + 'a>);

fn ops(s: &Setup) -> Vec<Op<'_>> {
    let mut b4096 = vec![0u8; 4096];
    let mut r4096 = vec![0u8; 4096];
    let mut b34 = [0u8; 34];
    let mut r34 = [0u8; 34];
    let fast_vk = s.keys.public().prepare_with(Backend::Graviola).unwrap();
    let dalek_vk = s.keys.public().prepare_with(Backend::Dalek).unwrap();
    vec![
        (
            "secretbox seal 4096 (ours)",
            Box::new(move || {
                black_box(secretbox::seal_in_place(&KEY, &NONCE, &mut b4096));
            }),
        ),
        (
            "secretbox seal 4096 (xsalsa20poly1305)",
            Box::new(move || {
                black_box(
                    s.cipher
                        .encrypt_in_place_detached(&NONCE.into(), b"", &mut r4096)
                        .unwrap(),
                );
            }),
        ),
        (
            "secretbox seal 34 (ours)",
            Box::new(move || {
                black_box(secretbox::seal_in_place(&KEY, &NONCE, &mut b34));
            }),
        ),
        (
            "secretbox seal 34 (xsalsa20poly1305)",
            Box::new(move || {
                black_box(
                    s.cipher
                        .encrypt_in_place_detached(&NONCE.into(), b"", &mut r34)
                        .unwrap(),
                );
            }),
        ),
        (
            "x25519 (active backend)",
            Box::new(|| {
                black_box(s.sk.diffie_hellman(&s.their).unwrap());
            }),
        ),
        (
            "x25519 (dalek)",
            Box::new(|| {
                black_box(s.sk.diffie_hellman_with(&s.their, Backend::Dalek).unwrap());
            }),
        ),
        (
            "ed25519 verify (graviola path)",
            Box::new(move || {
                fast_vk.verify(black_box(&s.msg), &s.sig).unwrap();
            }),
        ),
        (
            "ed25519 verify (dalek path)",
            Box::new(move || {
                dalek_vk.verify(black_box(&s.msg), &s.sig).unwrap();
            }),
        ),
        (
            "ed25519-dalek verify_strict",
            Box::new(|| {
                let sig = ed25519_dalek::Signature::from_bytes(s.sig.as_bytes());
                s.dalek_vk.verify_strict(black_box(&s.msg), &sig).unwrap();
            }),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let s = setup();
    let mut g = c.benchmark_group("primitives");
    for (name, mut op) in ops(&s) {
        if name.contains("4096") {
            g.throughput(Throughput::Bytes(4096));
        } else {
            g.throughput(Throughput::Elements(1));
        }
        g.bench_function(name, |b| b.iter(&mut op));
    }
    g.finish();
}

fn ratios() {
    let s = setup();
    let mut ops = ops(&s);
    let mut best = vec![f64::MAX; ops.len()];
    let deadline = Instant::now() + Duration::from_secs(6);
    while Instant::now() < deadline {
        for ((_, op), b) in ops.iter_mut().zip(best.iter_mut()) {
            let t = Instant::now();
            for _ in 0..50 {
                op();
            }
            *b = b.min(t.elapsed().as_nanos() as f64 / 50.0);
        }
    }
    println!(
        "\nsame-run comparison (best of interleaved rounds; backend {:?}):",
        backend::active()
    );
    for ((name, _), ns) in ops.iter().zip(&best) {
        println!("  {name:<40} {:>10.1} ns", ns);
    }
    println!(
        "  secretbox 4096: ours / xsalsa20poly1305 speed  {:>6.2}",
        best[1] / best[0]
    );
    println!(
        "  secretbox 34:   ours / xsalsa20poly1305 speed  {:>6.2}",
        best[3] / best[2]
    );
    println!(
        "  x25519: active / dalek speed                  {:>6.2}",
        best[5] / best[4]
    );
    println!(
        "  verify: graviola path / dalek path speed      {:>6.2}",
        best[7] / best[6]
    );
    println!(
        "  verify: graviola path / verify_strict speed   {:>6.2}",
        best[8] / best[6]
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}
