//! Classic feed validation speed, as a ratio to the primitive it sits on.
//!
//! Input: the JS-generated benchmark feed (`node test-vectors/js/bench-feed.js` writes
//! `target/bench/feed-10k.jsonl`: one author, 10,000 messages of about 600 bytes; or set
//! `SSB_BENCH_FEED`). Measured in the same run:
//!
//! * `ed25519_dalek_verify`: raw `ed25519-dalek` single verification (`verify_strict`, the
//!   key decoded once) of the same 10,000 signatures over the same signed bytes;
//! * `validate_sequential`: end-to-end exact validation on one core (`Validator::append`:
//!   parse, every ssb-validate rule, encode, id, libsodium-exact signature check);
//! * `validate_batch` / `validate_feeds`: the batch and multi-author paths (parallel with
//!   the `rayon` feature on all cores).
//!
//! The ratios printed at the end are msgs/s of each path over raw verifies/s.

#![allow(clippy::unwrap_used)] // a benchmark: malformed input should abort it loudly

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ssb_feed::{SignCap, Validator, validate_batch, validate_feeds};

fn feed() -> Vec<Vec<u8>> {
    let path = std::env::var_os("SSB_BENCH_FEED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench/feed-10k.jsonl"),
        PathBuf::from,
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\nrun `node test-vectors/js/bench-feed.js` first",
            path.display()
        )
    });
    text.lines().map(|l| l.as_bytes().to_vec()).collect()
}

/// The signed bytes and signatures of the feed, for the raw-verify baseline.
fn signed_parts(
    msgs: &[Vec<u8>],
) -> (
    ed25519_dalek::VerifyingKey,
    Vec<(Vec<u8>, ed25519_dalek::Signature)>,
) {
    let mut vk = None;
    let parts = msgs
        .iter()
        .map(|m| {
            let v = ssb_legacy_json::parse(m).unwrap();
            let o = v.as_object().unwrap();
            let author: ssb_crypto::FeedId =
                o.get("author").unwrap().as_str().unwrap().parse().unwrap();
            vk.get_or_insert_with(|| {
                ed25519_dalek::VerifyingKey::from_bytes(author.public_key().as_bytes()).unwrap()
            });
            let sig = o.get("signature").unwrap().as_str().unwrap();
            let sig = ssb_crypto::base64::decode_array::<64>(&sig[..88]).unwrap();
            (
                o.signing().without_key("signature").to_vec(),
                ed25519_dalek::Signature::from_bytes(&sig),
            )
        })
        .collect();
    (vk.unwrap(), parts)
}

/// Interleaved timing: `rounds` rounds, each running every job once, so drift in machine
/// speed hits all jobs alike; returns each job's median seconds.
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
            t[t.len() / 2].as_secs_f64()
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let msgs = feed();
    let n = msgs.len();
    let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
    let (vk, parts) = signed_parts(&msgs);
    let mut g = c.benchmark_group("feed");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);

    let mut raw = || {
        for (m, s) in &parts {
            vk.verify_strict(m, s).unwrap();
        }
    };
    let mut sequential = || {
        let mut v = Validator::new(SignCap::None);
        for m in &refs {
            v.append(m).unwrap();
        }
    };
    let mut batch = || {
        let out = validate_batch(None, &refs, &SignCap::None);
        assert!(out.error.is_none());
    };
    let mut feeds = || {
        let mut v = Validator::new(SignCap::None);
        let items = msgs
            .iter()
            .map(|m| ssb_feed::Item::Bytes(m.clone()))
            .collect();
        let r = validate_feeds(&mut v, items, false);
        assert!(r.iter().all(Result::is_ok));
    };
    let values: Vec<ssb_legacy_json::Value> = refs
        .iter()
        .map(|m| ssb_legacy_json::parse(m).unwrap())
        .collect();
    g.bench_function("component_parse", |b| {
        b.iter(|| {
            for m in &refs {
                std::hint::black_box(ssb_legacy_json::parse(m).unwrap());
            }
        })
    });
    let mut buf = Vec::new();
    g.bench_function("component_encode_unsigned", |b| {
        b.iter(|| {
            for v in &values {
                buf.clear();
                v.as_object()
                    .unwrap()
                    .signing()
                    .without_key("signature")
                    .append_to(&mut buf);
                std::hint::black_box(&buf);
            }
        })
    });
    g.bench_function("component_legacy_summary", |b| {
        b.iter(|| {
            for v in &values {
                std::hint::black_box(v.signing().legacy_summary());
            }
        })
    });
    g.bench_function("ed25519_dalek_verify", |b| b.iter(&mut raw));
    g.bench_function("validate_sequential", |b| b.iter(&mut sequential));
    g.bench_function("validate_batch", |b| b.iter(&mut batch));
    g.bench_function("validate_feeds", |b| b.iter(&mut feeds));
    g.finish();

    let t = interleaved(&mut [&mut raw, &mut sequential, &mut batch, &mut feeds], 7);
    let (t_raw, t_seq, t_batch, t_feeds) = (t[0], t[1], t[2], t[3]);
    let rate = |t: f64| n as f64 / t;
    println!(
        "\nfeed of {n} messages, {} threads (interleaved, medians of 7):",
        threads()
    );
    println!(
        "  raw ed25519-dalek verify_strict : {:>8.0} verifies/s",
        rate(t_raw)
    );
    println!(
        "  validate, sequential (1 core)   : {:>8.0} msgs/s  ratio {:.2}",
        rate(t_seq),
        t_raw / t_seq
    );
    println!(
        "  validate_batch                  : {:>8.0} msgs/s  ratio {:.2}",
        rate(t_batch),
        t_raw / t_batch
    );
    println!(
        "  validate_feeds                  : {:>8.0} msgs/s  ratio {:.2}  ({:.2}x sequential)",
        rate(t_feeds),
        t_raw / t_feeds,
        t_seq / t_feeds
    );
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

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
