//! Handshakes per second for a client+server pair in memory, against the primitives a
//! handshake is made of, measured in the same run.
//!
//! Per handshake (both sides together) the protocol needs: 2 X25519 base-point multiplications
//! (ephemeral public keys), 6 X25519 DHs, 2 Ed25519 signatures, 2 Ed25519 verifications
//! (libsodium rules), 2 Ed25519→X25519 public-key conversions, 2 secret-key conversions,
//! 4 HMAC-SHA-512-256 (2 computed, 2 verified), 12 SHA-256 of at most 128 bytes, 2 secretbox
//! seals and 2 opens (96 and 64 bytes). After criterion's runs, the bench prints
//! `ratio = (sum of primitive costs) / (cost of one handshake)`, both measured interleaved in
//! the same process (best of several rounds), i.e. handshakes/s ÷ (1 / Σ primitives). Goal ≥ 0.90.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use ssb_crypto::hash::{auth, auth_verify, sha256};
use ssb_crypto::secretbox::{open_in_place, seal_in_place};
use ssb_crypto::{CurvePublicKey, CurveSecretKey, Keypair, NetworkKey, PublicKey};
use ssb_handshake::{Handshake, MAX_MESSAGE_LEN};

fn handshake(alice: &Keypair, bob: &Keypair, bob_pk: PublicKey, e: &[[u8; 32]; 2]) -> [u8; 32] {
    let mut c = Handshake::client(
        NetworkKey::MAIN_NET,
        alice,
        bob_pk,
        CurveSecretKey::from_bytes(e[0]),
    );
    let mut s = Handshake::server(NetworkKey::MAIN_NET, bob, CurveSecretKey::from_bytes(e[1]));
    let mut buf = [0u8; MAX_MESSAGE_LEN];
    for _ in 0..2 {
        while let Some(n) = c.poll_transmit(&mut buf).unwrap() {
            s.handle_input(&buf[..n]).unwrap();
        }
        if s.poll_event().is_some() {
            s.accept().unwrap();
        }
        while let Some(n) = s.poll_transmit(&mut buf).unwrap() {
            c.handle_input(&buf[..n]).unwrap();
        }
    }
    let o = c.into_outcome().unwrap();
    let _ = s.into_outcome().unwrap();
    o.send.key
}

struct Fixture {
    alice: Keypair,
    bob: Keypair,
    bob_pk: PublicKey,
    eph: [[u8; 32]; 2],
    sk: CurveSecretKey,
    peer: CurvePublicKey,
    msg: [u8; 96],
    sig: ssb_crypto::Signature,
    boxed96: ([u8; 96], [u8; 16]),
    boxed64: ([u8; 64], [u8; 16]),
    key: [u8; 32],
    tag: [u8; 32],
}

fn fixture() -> Fixture {
    let alice = Keypair::from_seed(&[1; 32]);
    let bob = Keypair::from_seed(&[2; 32]);
    let key = [9u8; 32];
    let msg = [5u8; 96];
    let mut b96 = [5u8; 96];
    let t96 = seal_in_place(&key, &[0; 24], &mut b96);
    let mut b64 = [5u8; 64];
    let t64 = seal_in_place(&key, &[0; 24], &mut b64);
    Fixture {
        bob_pk: bob.public(),
        sig: alice.sign(&msg),
        alice,
        bob,
        eph: [[3; 32], [4; 32]],
        sk: CurveSecretKey::from_bytes([3; 32]),
        peer: CurveSecretKey::from_bytes([4; 32]).public_key(),
        msg,
        boxed96: (b96, t96),
        boxed64: (b64, t64),
        key,
        tag: auth(&key, &[1; 32]),
    }
}

/// The primitives and how many of each one handshake (both sides) performs.
type Op<'a> = (&'static str, u32, Box<dyn Fn() + 'a>);

fn primitives(f: &Fixture) -> Vec<Op<'_>> {
    vec![
        (
            "x25519 base-point mult",
            2,
            Box::new(|| {
                black_box(black_box(&f.sk).public_key());
            }),
        ),
        (
            "x25519 DH",
            6,
            Box::new(|| {
                black_box(black_box(&f.sk).diffie_hellman(&f.peer).unwrap());
            }),
        ),
        (
            "ed25519 sign (96-160 B)",
            2,
            Box::new(|| {
                black_box(black_box(&f.alice).sign(&f.msg));
            }),
        ),
        (
            "ed25519 verify (libsodium rules)",
            2,
            Box::new(|| {
                black_box(f.alice.public().verify(black_box(&f.msg), &f.sig)).unwrap();
            }),
        ),
        (
            "ed25519 pk -> x25519",
            2,
            Box::new(|| {
                black_box(black_box(f.bob_pk).to_curve().unwrap());
            }),
        ),
        (
            "ed25519 sk -> x25519",
            2,
            Box::new(|| {
                black_box(black_box(&f.bob).to_curve_secret());
            }),
        ),
        (
            "hmac-sha512-256 (32 B)",
            4,
            Box::new(|| {
                black_box(auth_verify(black_box(&f.key), &[1; 32], &f.tag));
            }),
        ),
        (
            "sha256 (<=128 B)",
            12,
            Box::new(|| {
                black_box(sha256(black_box(&f.msg)));
            }),
        ),
        (
            "secretbox seal 96 B",
            1,
            Box::new(|| {
                let mut b = f.msg;
                black_box(seal_in_place(&f.key, &[0; 24], black_box(&mut b)));
            }),
        ),
        (
            "secretbox open 96 B",
            1,
            Box::new(|| {
                let mut b = f.boxed96.0;
                open_in_place(&f.key, &[0; 24], black_box(&mut b), &f.boxed96.1).unwrap();
            }),
        ),
        (
            "secretbox seal 64 B",
            1,
            Box::new(|| {
                let mut b = [5u8; 64];
                black_box(seal_in_place(&f.key, &[0; 24], black_box(&mut b)));
            }),
        ),
        (
            "secretbox open 64 B",
            1,
            Box::new(|| {
                let mut b = f.boxed64.0;
                open_in_place(&f.key, &[0; 24], black_box(&mut b), &f.boxed64.1).unwrap();
            }),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    c.bench_function("handshake/client+server pair", |b| {
        b.iter(|| handshake(&f.alice, &f.bob, f.bob_pk, black_box(&f.eph)))
    });
    let mut g = c.benchmark_group("primitive");
    for (name, _, op) in primitives(&f) {
        g.bench_function(name, |b| b.iter(&op));
    }
    g.finish();
}

/// Nanoseconds per call of `op`: best of `rounds` batches of `n` calls.
fn best(op: &dyn Fn(), n: u32) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        op();
    }
    t.elapsed().as_nanos() as f64 / f64::from(n)
}

fn ratio() {
    let f = fixture();
    let hs = || {
        black_box(handshake(&f.alice, &f.bob, f.bob_pk, black_box(&f.eph)));
    };
    let ops = primitives(&f);
    let mut best_hs = f64::MAX;
    let mut best_ops = vec![f64::MAX; ops.len()];
    let deadline = Instant::now() + Duration::from_secs(4);
    // Interleaved rounds, so both sides see the same machine load; keep each best.
    while Instant::now() < deadline {
        best_hs = best_hs.min(best(&hs, 50));
        for (i, (_, _, op)) in ops.iter().enumerate() {
            best_ops[i] = best_ops[i].min(best(op.as_ref(), 200));
        }
    }
    println!("\nsame-run comparison (best of interleaved rounds):");
    let mut sum = 0.0;
    for ((name, count, _), ns) in ops.iter().zip(&best_ops) {
        println!(
            "  {count:>2} x {name:<34} {ns:>9.0} ns  = {:>9.0} ns",
            f64::from(*count) * ns
        );
        sum += f64::from(*count) * ns;
    }
    println!("  sum of primitives per handshake          {sum:>9.0} ns");
    println!(
        "  client+server handshake                  {best_hs:>9.0} ns  ({:.0} handshakes/s)",
        1e9 / best_hs
    );
    println!(
        "  ratio (goal >= 0.90)                     {:>9.3}",
        sum / best_hs
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if !std::env::args().any(|a| a == "--list" || a == "--test") {
        ratio();
    }
}
