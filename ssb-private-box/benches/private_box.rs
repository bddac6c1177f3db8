//! private-box speed as a ratio to its primitive, raw X25519 (`x25519-dalek`
//! `StaticSecret::diffie_hellman`), measured in the same run.
//!
//! * `open/not-for-me/N`: opening a box with N recipients and a 500-byte plaintext as a
//!   non-recipient, the common case when scanning a feed: one X25519 plus a MAC check on
//!   each of the 8 slots a default reader tries (with 500 bytes of body, 8 slots fit even for
//!   one recipient, so both sizes do the same work: the count is hidden);
//! * `open/recipient/N`: the same box opened by its last recipient (plus the body);
//! * `seal/N`: sealing it (one X25519 per recipient plus the one-time public key);
//! * `open_batch`: 10,000 boxes (1..7 recipients, one in ten for us), on rayon's pool with
//!   the `rayon` feature (all cores), against the same boxes opened one by one.
//!
//! After criterion's runs the bench prints, from interleaved rounds (best of), each
//! operation per second ÷ X25519 per second, and `time ÷ X25519 time` (goal for a
//! non-recipient open: ≤ 1.3).
//!
//! `cargo bench -p ssb-private-box --features rayon --bench private_box -- --warm-up-time 1 --measurement-time 3`
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ssb_crypto::{CurvePublicKey, CurveSecretKey, Keypair};
use ssb_private_box::{BoxSecrets, MaxRecipients, open, open_batch, seal};

const PLAINTEXT_LEN: usize = 500;
const BATCH: usize = 10_000;
/// Operations per timed job in the interleaved comparison (µs-scale work needs repeats).
const REPEAT: usize = 200;

fn keys(i: u32) -> Keypair {
    let mut seed = [0x33u8; 32];
    seed[..4].copy_from_slice(&i.to_le_bytes());
    Keypair::from_seed(&seed)
}

fn secrets(i: u32) -> BoxSecrets {
    let mut b = [0u8; 32];
    b[..4].copy_from_slice(&i.to_le_bytes());
    BoxSecrets::new(CurveSecretKey::from_bytes(b), [i as u8; 32], [7; 24])
}

fn recipients(n: u32) -> Vec<CurvePublicKey> {
    (0..n)
        .map(|i| keys(i).public().to_curve().unwrap())
        .collect()
}

/// Interleaved timing: `rounds` rounds, each running every job once, so drift in machine
/// speed hits all jobs alike; returns each job's best seconds (on a shared machine the
/// fastest round is the one least disturbed by others).
fn interleaved(jobs: &mut [&mut dyn FnMut()], rounds: usize) -> Vec<f64> {
    let mut times = vec![Vec::with_capacity(rounds); jobs.len()];
    for _ in 0..rounds {
        for (j, f) in jobs.iter_mut().enumerate() {
            let s = Instant::now();
            f();
            times[j].push(s.elapsed());
        }
    }
    times
        .into_iter()
        .map(|mut t: Vec<Duration>| {
            t.sort();
            t[0].as_secs_f64()
        })
        .collect()
}

fn threads() -> usize {
    #[cfg(feature = "rayon")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "rayon"))]
    {
        1
    }
}

fn benches(c: &mut Criterion) {
    let plaintext = vec![0x61u8; PLAINTEXT_LEN];
    let outsider = keys(1000).to_curve_secret();
    let box1 = seal(
        &plaintext,
        &recipients(1),
        MaxRecipients::DEFAULT,
        &secrets(1),
    )
    .unwrap();
    let box7 = seal(
        &plaintext,
        &recipients(7),
        MaxRecipients::DEFAULT,
        &secrets(7),
    )
    .unwrap();
    let last1 = keys(0).to_curve_secret();
    let last7 = keys(6).to_curve_secret();
    assert_eq!(open(&box1, &outsider).unwrap(), None);
    assert_eq!(open(&box7, &last7).unwrap().unwrap(), plaintext);

    // Raw X25519 with the same kind of inputs.
    let dh_secret = x25519_dalek::StaticSecret::from(*keys(1000).to_curve_secret().to_bytes());
    let dh_public = x25519_dalek::PublicKey::from(*box1[24..56].first_chunk::<32>().unwrap());

    let mut g = c.benchmark_group("private-box");
    g.bench_function("x25519", |b| {
        b.iter(|| black_box(dh_secret.diffie_hellman(black_box(&dh_public))))
    });
    for (n, boxed, last) in [(1, &box1, &last1), (7, &box7, &last7)] {
        g.bench_function(format!("open/not-for-me/{n}"), |b| {
            b.iter(|| black_box(open(black_box(boxed), &outsider).unwrap()))
        });
        g.bench_function(format!("open/recipient/{n}"), |b| {
            b.iter(|| black_box(open(black_box(boxed), last).unwrap()))
        });
        let r = recipients(n);
        let s = secrets(n);
        g.bench_function(format!("seal/{n}"), |b| {
            b.iter(|| black_box(seal(black_box(&plaintext), &r, MaxRecipients::DEFAULT, &s)))
        });
    }
    g.finish();

    // A feed's worth of boxes: 1..7 recipients, one in ten for `me`.
    let me = keys(5000);
    let me_secret = me.to_curve_secret();
    let me_pk = me.public().to_curve().unwrap();
    let boxes: Vec<Vec<u8>> = (0..BATCH as u32)
        .map(|i| {
            let mut r = recipients(1 + i % 7);
            if i % 10 == 0 {
                r[0] = me_pk;
            }
            seal(&plaintext, &r, MaxRecipients::DEFAULT, &secrets(i)).unwrap()
        })
        .collect();
    let mut g = c.benchmark_group("private-box batch");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(10);
    g.bench_function(format!("open_batch/{BATCH}/{}-threads", threads()), |b| {
        b.iter(|| black_box(open_batch(&boxes, &me_secret, MaxRecipients::DEFAULT)))
    });
    g.bench_function(format!("open-one-by-one/{BATCH}"), |b| {
        b.iter(|| {
            for bx in &boxes {
                black_box(open(bx, &me_secret).unwrap());
            }
        })
    });
    g.finish();
    let found = open_batch(&boxes, &me_secret, MaxRecipients::DEFAULT)
        .into_iter()
        .filter(|r| matches!(r, Ok(Some(_))))
        .count();
    assert_eq!(found, BATCH / 10);

    // Same-run ratios.
    let r1 = recipients(1);
    let r7 = recipients(7);
    let (s1, s7) = (secrets(1), secrets(7));
    let mut dh = || {
        for _ in 0..REPEAT {
            black_box(dh_secret.diffie_hellman(black_box(&dh_public)));
        }
    };
    let mut open1 = || {
        for _ in 0..REPEAT {
            black_box(open(black_box(&box1), &outsider).unwrap());
        }
    };
    let mut open7 = || {
        for _ in 0..REPEAT {
            black_box(open(black_box(&box7), &outsider).unwrap());
        }
    };
    let mut mine1 = || {
        for _ in 0..REPEAT {
            black_box(open(black_box(&box1), &last1).unwrap());
        }
    };
    let mut mine7 = || {
        for _ in 0..REPEAT {
            black_box(open(black_box(&box7), &last7).unwrap());
        }
    };
    let mut seal1 = || {
        for _ in 0..REPEAT {
            black_box(seal(&plaintext, &r1, MaxRecipients::DEFAULT, &s1).unwrap());
        }
    };
    let mut seal7 = || {
        for _ in 0..REPEAT / 7 {
            black_box(seal(&plaintext, &r7, MaxRecipients::DEFAULT, &s7).unwrap());
        }
    };
    let t = interleaved(
        &mut [
            &mut dh, &mut open1, &mut open7, &mut mine1, &mut mine7, &mut seal1, &mut seal7,
        ],
        41,
    );
    let per = |t: f64, n: usize| t / n as f64;
    let t_dh = per(t[0], REPEAT);
    println!("\nprivate-box, {PLAINTEXT_LEN}-byte plaintext (interleaved, best of 41 rounds):");
    println!("  raw X25519 (x25519-dalek)   : {:>8.0} /s", 1.0 / t_dh);
    let rows = [
        ("open, not for me, 1 recipient", per(t[1], REPEAT)),
        ("open, not for me, 7 recipients", per(t[2], REPEAT)),
        ("open, recipient, 1 recipient", per(t[3], REPEAT)),
        ("open, recipient, 7 recipients", per(t[4], REPEAT)),
        ("seal, 1 recipient", per(t[5], REPEAT)),
        ("seal, 7 recipients", per(t[6], REPEAT / 7)),
    ];
    for (name, t_op) in rows {
        println!(
            "  {name:<30}: {:>8.0} /s  ratio {:.3} ({:.2}x the X25519 time)",
            1.0 / t_op,
            t_dh / t_op,
            t_op / t_dh
        );
    }
    let mut batch = || {
        black_box(open_batch(&boxes, &me_secret, MaxRecipients::DEFAULT));
    };
    let mut one_by_one = || {
        for bx in &boxes {
            black_box(open(bx, &me_secret).unwrap());
        }
    };
    let t = interleaved(&mut [&mut batch, &mut one_by_one], 7);
    println!(
        "  open_batch of {BATCH}, {} threads : {:>8.0} boxes/s ({:.2}x one by one: {:.0} boxes/s; ratio to X25519 {:.2})",
        threads(),
        BATCH as f64 / t[0],
        t[1] / t[0],
        BATCH as f64 / t[1],
        (BATCH as f64 / t[0]) * t_dh
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
