//! Packet codec throughput for 100-byte and 4 KiB JSON bodies, with same-run baselines.
//!
//! Per iteration a batch of packets (about 1 MiB of wire bytes) is
//! * decoded with `PacketDecoder::decode` over the whole buffer (zero-copy path) and in
//!   4096-byte pieces (what a box stream delivers; packets split across pieces are copied),
//!   baseline: a `memcpy` of the same bytes;
//! * encoded with `encode_packet` into one buffer, baseline: a `memcpy` of the bodies;
//! * decoded and each body parsed as JS does (`Body::decode`: lossy UTF-8 + serde_json),
//!   baseline: `serde_json::from_slice` of the same bodies alone.
//!
//! After criterion's runs the bench prints packets/s, MB/s and each ratio (baseline time ÷
//! codec time, best of interleaved rounds; > 1 means faster than the baseline).
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use serde_json::Value;
use ssb_muxrpc::{
    Body, BodyType, Flags, HEADER_LEN, Item, PacketDecoder, Progress, encode_packet, encoded_len,
};

const FLAGS: Flags = Flags {
    stream: true,
    end: false,
    body_type: BodyType::Json,
};

/// A JSON object of exactly `len` bytes, shaped like a small SSB message value.
fn json_body(len: usize, i: usize) -> Vec<u8> {
    let head = format!(
        r#"{{"author":"@feed{i:06}.ed25519","sequence":{i},"content":{{"type":"post","text":""#
    );
    let tail = r#""}}"#;
    let pad = len - head.len() - tail.len();
    let mut s = head;
    s.extend(std::iter::repeat_n('x', pad));
    s.push_str(tail);
    assert_eq!(s.len(), len);
    s.into_bytes()
}

struct Case {
    name: &'static str,
    bodies: Vec<Vec<u8>>,
    wire: Vec<u8>,
}

fn case(name: &'static str, body_len: usize) -> Case {
    let count = (1 << 20) / (body_len + HEADER_LEN);
    let bodies: Vec<_> = (0..count).map(|i| json_body(body_len, i)).collect();
    let mut wire = vec![0u8; bodies.iter().map(|b| encoded_len(b.len())).sum()];
    encode_all(&bodies, &mut wire);
    Case { name, bodies, wire }
}

fn encode_all(bodies: &[Vec<u8>], out: &mut [u8]) -> usize {
    let mut at = 0;
    for (i, b) in bodies.iter().enumerate() {
        at += encode_packet(FLAGS, -(i as i32 + 1), b, &mut out[at..]).unwrap();
    }
    at
}

fn decode_all(wire: &[u8], piece: usize) -> usize {
    let mut dec = PacketDecoder::new();
    let mut n = 0;
    for mut chunk in wire.chunks(piece) {
        while !chunk.is_empty() {
            let d = dec.decode(chunk).unwrap();
            if let Progress::Frame(Item::Packet(p)) = d.progress {
                black_box(p.body);
                n += 1;
            }
            chunk = &chunk[d.consumed..];
        }
    }
    n
}

fn decode_and_parse(wire: &[u8]) -> usize {
    let mut dec = PacketDecoder::new();
    let mut n = 0;
    let mut rest = wire;
    while !rest.is_empty() {
        let d = dec.decode(rest).unwrap();
        if let Progress::Frame(Item::Packet(p)) = d.progress {
            black_box(Body::decode(p.header.flags.body_type, p.body).unwrap());
            n += 1;
        }
        rest = &rest[d.consumed..];
    }
    n
}

fn parse_only(bodies: &[Vec<u8>]) -> usize {
    for b in bodies {
        black_box(serde_json::from_slice::<Value>(b).unwrap());
    }
    bodies.len()
}

fn memcpy(src: &[u8], dst: &mut [u8]) {
    dst[..src.len()].copy_from_slice(src);
    black_box(&dst[..]);
}

fn memcpy_bodies(bodies: &[Vec<u8>], dst: &mut [u8]) {
    let mut at = 0;
    for b in bodies {
        dst[at..at + b.len()].copy_from_slice(b);
        at += b.len();
    }
    black_box(&dst[..]);
}

fn bench(c: &mut Criterion) {
    for case in [
        case("100-byte JSON bodies", 100),
        case("4 KiB JSON bodies", 4096),
    ] {
        let mut g = c.benchmark_group(case.name);
        g.throughput(Throughput::Bytes(case.wire.len() as u64));
        let mut out = vec![0u8; case.wire.len()];
        assert_eq!(decode_all(&case.wire, usize::MAX), case.bodies.len());
        g.bench_function("decode (whole buffer)", |b| {
            b.iter(|| decode_all(black_box(&case.wire), usize::MAX))
        });
        g.bench_function("decode (4096-byte pieces)", |b| {
            b.iter(|| decode_all(black_box(&case.wire), 4096))
        });
        g.bench_function("memcpy (baseline)", |b| {
            b.iter(|| memcpy(black_box(&case.wire), &mut out))
        });
        g.bench_function("encode", |b| {
            b.iter(|| encode_all(black_box(&case.bodies), &mut out))
        });
        g.bench_function("memcpy bodies (baseline)", |b| {
            b.iter(|| memcpy_bodies(black_box(&case.bodies), &mut out))
        });
        g.bench_function("decode + Body::decode", |b| {
            b.iter(|| decode_and_parse(black_box(&case.wire)))
        });
        g.bench_function("serde_json parse (baseline)", |b| {
            b.iter(|| parse_only(black_box(&case.bodies)))
        });
        g.finish();
    }
}

/// Best nanoseconds of each operation over interleaved rounds, and the ratios.
fn ratios() {
    println!(
        "\nsame-run comparison (best of interleaved rounds; ratio = baseline time / codec time):"
    );
    for case in [
        case("100-byte JSON bodies", 100),
        case("4 KiB JSON bodies", 4096),
    ] {
        let mut out = vec![0u8; case.wire.len()];
        let time = |f: &mut dyn FnMut()| {
            let t = Instant::now();
            f();
            t.elapsed().as_nanos() as f64
        };
        let mut best = [f64::MAX; 7];
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            let t = [
                time(&mut || {
                    black_box(decode_all(&case.wire, usize::MAX));
                }),
                time(&mut || {
                    black_box(decode_all(&case.wire, 4096));
                }),
                time(&mut || memcpy(&case.wire, &mut out)),
                time(&mut || {
                    black_box(encode_all(&case.bodies, &mut out));
                }),
                time(&mut || memcpy_bodies(&case.bodies, &mut out)),
                time(&mut || {
                    black_box(decode_and_parse(&case.wire));
                }),
                time(&mut || {
                    black_box(parse_only(&case.bodies));
                }),
            ];
            for (b, t) in best.iter_mut().zip(t) {
                *b = b.min(t);
            }
        }
        let n = case.bodies.len() as f64;
        let bytes = case.wire.len() as f64;
        println!(
            "  {} ({} packets, {} wire bytes per round):",
            case.name, n, bytes
        );
        let names = [
            "decode (whole buffer)",
            "decode (4096-byte pieces)",
            "memcpy (baseline)",
            "encode",
            "memcpy bodies (baseline)",
            "decode + Body::decode",
            "serde_json parse (baseline)",
        ];
        for (name, ns) in names.iter().zip(best) {
            println!(
                "    {name:<30} {:>12.0} packets/s {:>9.1} MB/s",
                n / ns * 1e9,
                bytes / ns * 1e3
            );
        }
        println!(
            "    ratio decode (whole) vs memcpy      {:>8.3}",
            best[2] / best[0]
        );
        println!(
            "    ratio decode (pieces) vs memcpy     {:>8.3}",
            best[2] / best[1]
        );
        println!(
            "    ratio encode vs memcpy of bodies    {:>8.3}",
            best[4] / best[3]
        );
        println!(
            "    ratio decode+parse vs parse alone   {:>8.3}",
            best[6] / best[5]
        );
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if !std::env::args().any(|a| a == "--list" || a == "--test") {
        ratios();
    }
}
