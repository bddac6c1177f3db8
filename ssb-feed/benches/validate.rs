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
fn signed_parts(msgs: &[Vec<u8>]) -> (ed25519_dalek::VerifyingKey, Vec<(Vec<u8>, ed25519_dalek::Signature)>) {
    let mut vk = None;
    let parts = msgs
        .iter()
        .map(|m| {
            let v = ssb_legacy_json::parse(m).unwrap();
            let o = v.as_object().unwrap();
            let author: ssb_crypto::FeedId = o.get("author").unwrap().as_str().unwrap().parse().unwrap();
            vk.get_or_insert_with(|| author.public_key().to_verifying_key().unwrap());
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

fn measure(f: &mut dyn FnMut()) -> f64 {
    // Median of 5 timed runs, for the ratio summary.
    let mut t: Vec<Duration> = (0..5)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t[2].as_secs_f64()
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
        let items = refs.iter().map(|m| ssb_legacy_json::parse(m).map_err(Into::into)).collect();
        let r = validate_feeds(&mut v, items, false);
        assert!(r.iter().all(Result::is_ok));
    };
    g.bench_function("ed25519_dalek_verify", |b| b.iter(&mut raw));
    g.bench_function("validate_sequential", |b| b.iter(&mut sequential));
    g.bench_function("validate_batch", |b| b.iter(&mut batch));
    g.bench_function("validate_feeds", |b| b.iter(&mut feeds));
    g.finish();

    let t_raw = measure(&mut raw);
    let t_seq = measure(&mut sequential);
    let t_batch = measure(&mut batch);
    let t_feeds = measure(&mut feeds);
    let rate = |t: f64| n as f64 / t;
    println!("\nfeed of {n} messages, {} threads (medians of 5):", threads());
    println!("  raw ed25519-dalek verify_strict : {:>8.0} verifies/s", rate(t_raw));
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
