//! Box-stream seal and open throughput at 4096-byte bodies against raw XSalsa20-Poly1305 over
//! the same bytes, in the same run: ssb-crypto's own secretbox (what box-stream sits on) and
//! the `xsalsa20poly1305` crate (what it sat on before; detached, in place).
//!
//! A stream of 256 full frames (1 MiB of plaintext) is sealed or opened per iteration. Open is
//! measured both ways: `Decryptor::open` (pieces of any size; copies into its fixed buffer)
//! and `Decryptor::open_in_place` (zero-copy). After criterion's runs the bench prints each
//! ratio (box-stream MB/s ÷ raw MB/s, best of interleaved rounds). Goal ≥ 0.90 of its own
//! primitive.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use ssb_boxstream::{Decoded, Decryptor, Encryptor, Frame, MAX_BODY_LEN, Progress, sealed_len};
use xsalsa20poly1305::aead::{AeadInPlace, KeyInit};
use xsalsa20poly1305::{Tag, XSalsa20Poly1305};

const FRAMES: usize = 256;
const PLAIN: usize = FRAMES * MAX_BODY_LEN;
const KEY: [u8; 32] = [7; 32];
const NONCE: [u8; 24] = [1; 24];

fn plaintext() -> Vec<u8> {
    (0..PLAIN).map(|i| i as u8).collect()
}

fn sealed_stream(plain: &[u8]) -> Vec<u8> {
    let mut enc = Encryptor::new(KEY, NONCE);
    let mut wire = vec![0u8; sealed_len(plain.len())];
    let n = enc.seal(plain, &mut wire).unwrap();
    assert_eq!(n, wire.len());
    wire
}

fn seal_stream(plain: &[u8], out: &mut [u8]) {
    let mut enc = Encryptor::new(KEY, NONCE);
    let mut at = 0;
    for chunk in plain.chunks(MAX_BODY_LEN) {
        at += enc.seal(chunk, &mut out[at..]).unwrap();
    }
}

fn open_stream(wire: &[u8]) -> usize {
    let mut dec = Decryptor::new(KEY, NONCE);
    let mut got = 0;
    let mut input = wire;
    while !input.is_empty() {
        let o = dec.open(input).unwrap();
        input = &input[o.consumed..];
        if let Progress::Frame(Frame::Data(d)) = o.progress {
            got += black_box(d).len();
        }
    }
    got
}

fn open_stream_in_place(wire: &mut [u8]) -> usize {
    let mut dec = Decryptor::new(KEY, NONCE);
    let mut got = 0;
    let mut at = 0;
    while at < wire.len() {
        match dec.open_in_place(&mut wire[at..]).unwrap() {
            Decoded {
                consumed,
                progress: Progress::Frame(frame),
            } => {
                if let Frame::Data(d) = frame {
                    got += black_box(d).len();
                }
                at += consumed;
            }
            other => panic!("{other:?}"),
        }
    }
    got
}

fn nonce_of(i: usize) -> [u8; 24] {
    let mut n = NONCE;
    n[16..].copy_from_slice(&(i as u64).to_be_bytes());
    n
}

fn raw_seal(cipher: &XSalsa20Poly1305, buf: &mut [u8]) {
    for (i, chunk) in buf.chunks_mut(MAX_BODY_LEN).enumerate() {
        let tag = cipher
            .encrypt_in_place_detached(&nonce_of(i).into(), b"", chunk)
            .unwrap();
        black_box(tag);
    }
}

fn raw_boxes(cipher: &XSalsa20Poly1305, plain: &[u8]) -> (Vec<u8>, Vec<Tag>) {
    let mut buf = plain.to_vec();
    let mut tags = Vec::new();
    for (i, chunk) in buf.chunks_mut(MAX_BODY_LEN).enumerate() {
        tags.push(
            cipher
                .encrypt_in_place_detached(&nonce_of(i).into(), b"", chunk)
                .unwrap(),
        );
    }
    (buf, tags)
}

fn raw_open(cipher: &XSalsa20Poly1305, buf: &mut [u8], tags: &[Tag]) {
    for (i, chunk) in buf.chunks_mut(MAX_BODY_LEN).enumerate() {
        cipher
            .decrypt_in_place_detached(&nonce_of(i).into(), b"", chunk, &tags[i])
            .unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let plain = plaintext();
    let wire = sealed_stream(&plain);
    let cipher = XSalsa20Poly1305::new(&KEY.into());
    let (raw_ct, raw_tags) = raw_boxes(&cipher, &plain);

    let mut g = c.benchmark_group("4096-byte bodies");
    g.throughput(Throughput::Bytes(PLAIN as u64));
    let mut out = vec![0u8; wire.len()];
    g.bench_function("boxstream seal", |b| {
        b.iter(|| seal_stream(black_box(&plain), &mut out))
    });
    let mut raw = plain.clone();
    g.bench_function("raw xsalsa20poly1305 seal", |b| {
        b.iter(|| raw_seal(&cipher, black_box(&mut raw)))
    });
    g.bench_function("boxstream open (buffered)", |b| {
        b.iter(|| open_stream(black_box(&wire)))
    });
    g.bench_function("boxstream open_in_place", |b| {
        b.iter_batched_ref(
            || wire.clone(),
            |w| open_stream_in_place(w),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("raw xsalsa20poly1305 open", |b| {
        b.iter_batched_ref(
            || raw_ct.clone(),
            |w| raw_open(&cipher, w, &raw_tags),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn own_boxes(plain: &[u8]) -> (Vec<u8>, Vec<[u8; 16]>) {
    let mut buf = plain.to_vec();
    let tags = buf
        .chunks_mut(MAX_BODY_LEN)
        .enumerate()
        .map(|(i, chunk)| ssb_crypto::secretbox::seal_in_place(&KEY, &nonce_of(i), chunk))
        .collect();
    (buf, tags)
}

/// Best nanoseconds per run of each operation over interleaved rounds, then the ratios:
/// box-stream against the secretbox it sits on (ssb-crypto's own XSalsa20-Poly1305; goal
/// >= 0.90) and against the `xsalsa20poly1305` crate it used to sit on (the speed-up).
fn ratio() {
    let plain = plaintext();
    let wire = sealed_stream(&plain);
    let cipher = XSalsa20Poly1305::new(&KEY.into());
    let (raw_ct, raw_tags) = raw_boxes(&cipher, &plain);
    let (own_ct, own_tags) = own_boxes(&plain);
    let mut out = vec![0u8; wire.len()];
    let mut raw = plain.clone();
    let mut own = plain.clone();
    let mut w = wire.clone();
    let mut r = raw_ct.clone();
    let mut o = own_ct.clone();
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed().as_nanos() as f64
    };
    let mut best = [f64::MAX; 7];
    let deadline = Instant::now() + Duration::from_secs(6);
    while Instant::now() < deadline {
        let t = [
            time(&mut || seal_stream(&plain, &mut out)),
            time(&mut || {
                for (i, chunk) in own.chunks_mut(MAX_BODY_LEN).enumerate() {
                    black_box(ssb_crypto::secretbox::seal_in_place(
                        &KEY,
                        &nonce_of(i),
                        chunk,
                    ));
                }
            }),
            time(&mut || raw_seal(&cipher, &mut raw)),
            time(&mut || {
                black_box(open_stream(&wire));
            }),
            {
                w.copy_from_slice(&wire);
                time(&mut || {
                    black_box(open_stream_in_place(&mut w));
                })
            },
            {
                o.copy_from_slice(&own_ct);
                time(&mut || {
                    for (i, chunk) in o.chunks_mut(MAX_BODY_LEN).enumerate() {
                        ssb_crypto::secretbox::open_in_place(
                            &KEY,
                            &nonce_of(i),
                            chunk,
                            &own_tags[i],
                        )
                        .unwrap();
                    }
                })
            },
            {
                r.copy_from_slice(&raw_ct);
                time(&mut || raw_open(&cipher, &mut r, &raw_tags))
            },
        ];
        for (b, t) in best.iter_mut().zip(t) {
            *b = b.min(t);
        }
    }
    let mbs = |ns: f64| PLAIN as f64 / ns * 1e3;
    println!("\nsame-run comparison, 4096-byte bodies (best of interleaved rounds):");
    let names = [
        "boxstream seal",
        "raw ssb-crypto secretbox seal",
        "raw xsalsa20poly1305 seal",
        "boxstream open (buffered)",
        "boxstream open_in_place",
        "raw ssb-crypto secretbox open",
        "raw xsalsa20poly1305 open",
    ];
    for (name, ns) in names.iter().zip(best) {
        println!("  {name:<32} {:>8.1} MB/s", mbs(ns));
    }
    let [seal, own_seal, old_seal, open, open_ip, own_open, old_open] = best;
    println!(
        "  seal / own secretbox (goal >= 0.90)          {:>7.3}",
        own_seal / seal
    );
    println!(
        "  open buffered / own secretbox (goal >= 0.90) {:>7.3}",
        own_open / open
    );
    println!(
        "  open in place / own secretbox (goal >= 0.90) {:>7.3}",
        own_open / open_ip
    );
    println!(
        "  seal / xsalsa20poly1305 crate (speed-up)     {:>7.3}",
        old_seal / seal
    );
    println!(
        "  open buffered / xsalsa20poly1305 crate       {:>7.3}",
        old_open / open
    );
    println!(
        "  open in place / xsalsa20poly1305 crate       {:>7.3}",
        old_open / open_ip
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
