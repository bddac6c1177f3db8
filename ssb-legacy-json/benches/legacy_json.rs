//! Parse and signing-encode throughput on a ~600-byte classic SSB message, with
//! serde_json parsing/serializing the same text in the same run as the baseline.
//!
//! Quick run: `cargo bench -p ssb-legacy-json -- --warm-up-time 1 --measurement-time 3`

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};

/// A realistic message (KVT value): post with mentions, a non-ASCII text and a float
/// timestamp; about 600 bytes of compact transport JSON.
const MESSAGE: &str = r#"{"previous":"%mFeoIDeddAIGwvGNuchZtlNbyVbkc5stlbHtOPfu0d0=.sha256","author":"@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.ed25519","sequence":42,"timestamp":1514517078157.5,"hash":"sha256","content":{"type":"post","text":"Grüße aus dem Café! Meeting notes for \"ssb-rs\": parsing, signing, ids.\nSee [@bob](@gTl3Dqh9F19Wo1Rmw0x+zMuNipG07jeiXfYPW4/Js5Q=.ed25519) 😀","root":"%Yw3JqwuZ1zcxcbxJyZo7uHvtnZVGyveRoft37ckm8I0=.sha256","channel":"rust","mentions":[{"link":"@gTl3Dqh9F19Wo1Rmw0x+zMuNipG07jeiXfYPW4/Js5Q=.ed25519","name":"bob"}]},"signature":"KVB0VbFMupirNmBqDCXBQK2Nie0nxMBU6mG/mnH8QEAlirLzLBehEYKHazkPObGQeDTU8nAmTqPYrZV8cfOSDg==.sig.ed25519"}"#;

fn bench(c: &mut Criterion) {
    let input = MESSAGE.as_bytes();
    let value = ssb_legacy_json::parse(input).expect("parse");
    let signing_len = value.signing().utf8_len();
    let serde_value: serde_json::Value = serde_json::from_slice(input).expect("serde parse");

    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.bench_function("ssb-legacy-json", |b| {
        b.iter(|| ssb_legacy_json::parse(black_box(input)))
    });
    g.bench_function("serde_json", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(input)))
    });
    g.finish();

    let mut g = c.benchmark_group("encode-signing");
    g.throughput(Throughput::Bytes(signing_len as u64));
    let mut buf = vec![0u8; 4096];
    g.bench_function("ssb-legacy-json/slice", |b| {
        b.iter(|| black_box(&value).signing().write_to_slice(&mut buf))
    });
    g.bench_function("ssb-legacy-json/vec", |b| {
        b.iter(|| black_box(&value).signing().to_vec())
    });
    g.bench_function("ssb-legacy-json/without-signature", |b| {
        b.iter(|| {
            black_box(&value).as_object().map(|o| {
                o.signing()
                    .without_key("signature")
                    .write_to_slice(&mut buf)
            })
        })
    });
    g.bench_function("ssb-legacy-json/legacy_summary", |b| {
        b.iter(|| black_box(&value).signing().legacy_summary())
    });
    g.bench_function("serde_json/to_vec_pretty", |b| {
        b.iter(|| serde_json::to_vec_pretty(black_box(&serde_value)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
