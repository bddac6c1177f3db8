//! Differential test against Node itself.
//!
//! One `node` process runs `test-vectors/js/legacy-json-oracle.js`; we feed it generated
//! JSON texts (hex of the raw bytes, one per line, in batches) and compare, for each:
//! the parse verdict (`JSON.parse` throws ⇔ our JS-mode `parse` errors), the signing
//! string `JSON.stringify(v, null, 2)`, the compact string `JSON.stringify(v)`, the
//! UTF-16 length and the latin1 SHA-256.
//!
//! * `SSB_DIFF_CASES` sets the number of cases: default 100 000 in release builds (CI runs
//!   `cargo test --release`; about 20 s on 2 cores), 10 000 in unoptimised builds. A long run:
//!   `SSB_DIFF_CASES=5000000 cargo test --release -p ssb-legacy-json --test node_differential`
//!   (about 20 minutes on 2 cores; 1 000 000 cases took 233 s).
//! * `SSB_DIFF_SEED` (u64) replays a run; the seed is printed at the start.
//! * `NODE` overrides the node binary. The test FAILS if node cannot be started.
//!
//! Inputs nested deeper than `MAX_DEPTH` are not generated: that limit is the one
//! intended difference from `JSON.parse` (tested in `tests/api.rs`).

mod common;

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use ssb_crypto::hex::encode as hex;
use ssb_legacy_json::{MAX_DEPTH, legacy_sha256, parse, parse_strict, utf16_len};

const BATCH: usize = 20_000;

fn env_num(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.trim()
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number"))
    })
}

/// Compares our result for `input` with node's answer line; returns a description of any
/// difference.
fn check(input: &[u8], node: &str) -> Result<(), String> {
    let ours = parse(input);
    let mut f = node.split(' ');
    match (f.next(), ours) {
        (Some("0"), Err(_)) => Ok(()),
        (Some("0"), Ok(v)) => Err(format!(
            "node rejects, we accept as {}",
            v.to_compact_string()
        )),
        (Some("1"), Err(e)) => Err(format!("node accepts, we reject: {e}")),
        (Some("E"), r) => Err(format!("node's JSON.stringify threw ({node}); ours: {r:?}")),
        (Some("1"), Ok(v)) => {
            let signing = v.signing().to_vec();
            let compact = v.compact().to_vec();
            let summary = v.signing().legacy_summary();
            let (Some(ns), Some(nc), Some(nl), Some(nh)) = (f.next(), f.next(), f.next(), f.next())
            else {
                return Err(format!("bad oracle line {node:?}"));
            };
            if hex(&signing) != ns {
                return Err(format!(
                    "signing differs:\n ours {:?}\n node {:?}",
                    String::from_utf8_lossy(&signing),
                    String::from_utf8_lossy(&unhex(ns))
                ));
            }
            if hex(&compact) != nc {
                return Err(format!(
                    "compact differs:\n ours {:?}\n node {:?}",
                    String::from_utf8_lossy(&compact),
                    String::from_utf8_lossy(&unhex(nc))
                ));
            }
            if summary.utf16_len.to_string() != nl {
                return Err(format!(
                    "utf16 length: ours {} node {nl}",
                    summary.utf16_len
                ));
            }
            if hex(&summary.legacy_sha256) != nh {
                return Err(format!(
                    "legacy sha256: ours {} node {nh}",
                    hex(&summary.legacy_sha256)
                ));
            }
            // Internal consistency of the other entry points.
            let text = std::str::from_utf8(&signing).map_err(|e| e.to_string())?;
            if utf16_len(text) != summary.utf16_len
                || legacy_sha256(text) != summary.legacy_sha256
                || summary.utf8_len != signing.len()
                || v.signing().utf16_len() != summary.utf16_len
            {
                return Err("free functions disagree with legacy_summary".into());
            }
            let mut buf = vec![0u8; signing.len()];
            if v.signing().write_to_slice(&mut buf) != Ok(signing.len()) || buf != signing {
                return Err("write_to_slice disagrees with to_vec".into());
            }
            // Strict mode accepts a subset, with the same encoding.
            if let Ok(s) = parse_strict(input)
                && s.signing().to_vec() != signing
            {
                return Err("strict parse gives a different encoding".into());
            }
            Ok(())
        }
        (other, _) => Err(format!("bad oracle line {other:?}")),
    }
}

/// Node's hex, for messages (what is not hex shows as empty).
fn unhex(s: &str) -> Vec<u8> {
    ssb_crypto::hex::decode_vec(s).unwrap_or_default()
}

#[test]
fn matches_node() {
    let default_cases = if cfg!(debug_assertions) {
        10_000
    } else {
        100_000
    };
    let cases = env_num("SSB_DIFF_CASES").unwrap_or(default_cases) as usize;
    let seed = env_num("SSB_DIFF_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    eprintln!("node differential: {cases} cases, SSB_DIFF_SEED={seed}");

    let oracle = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../test-vectors/js/legacy-json-oracle.js"
    );
    let node = std::env::var("NODE").unwrap_or_else(|_| "node".into());
    let mut child = Command::new(&node)
        .arg(oracle)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start `{node}` ({e}): node >= 20 is required for this test")
        });
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));

    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    // Stay inside our depth limit (the only intended difference from JSON.parse).
    let strategy = common::json_text(MAX_DEPTH - 8);

    let start = Instant::now();
    let mut failures: Vec<String> = Vec::new();
    let mut failed = 0usize;
    let mut accepted = 0usize;
    let mut done = 0usize;
    let mut line = String::new();
    while done < cases {
        let n = BATCH.min(cases - done);
        let batch: Vec<Vec<u8>> = (0..n)
            .map(|_| {
                strategy
                    .new_tree(&mut runner)
                    .expect("generate a case")
                    .current()
            })
            .collect();
        std::thread::scope(|s| {
            let input = &batch;
            let writer = s.spawn({
                let stdin = &mut stdin;
                move || {
                    let mut w = BufWriter::with_capacity(1 << 16, stdin);
                    for case in input {
                        w.write_all(hex(case).as_bytes())?;
                        w.write_all(b"\n")?;
                    }
                    w.flush()
                }
            });
            for case in &batch {
                line.clear();
                let got = stdout.read_line(&mut line).expect("read oracle output");
                assert!(got > 0, "node exited early");
                let answer = line.trim_end();
                accepted += usize::from(answer.starts_with('1'));
                if let Err(why) = check(case, answer) {
                    failed += 1;
                    if failures.len() < 20 {
                        failures.push(format!(
                            "input {:?} (hex {}): {why}",
                            String::from_utf8_lossy(case),
                            hex(case)
                        ));
                    }
                }
            }
            writer
                .join()
                .expect("writer thread")
                .expect("write to node");
        });
        done += n;
    }
    drop(stdin);
    let status = child.wait().expect("wait for node");
    eprintln!(
        "node differential: {done} cases ({accepted} valid JSON) in {:.1?}, {failed} failed",
        start.elapsed()
    );
    assert!(status.success(), "node exited with {status}");
    assert!(
        failures.is_empty(),
        "{failed} of {done} cases differ from node (SSB_DIFF_SEED={seed}):\n{}",
        failures.join("\n")
    );
    // The generator must mostly produce valid JSON, or the comparison is vacuous.
    assert!(
        accepted * 3 > done,
        "only {accepted} of {done} generated cases were valid JSON"
    );
}
