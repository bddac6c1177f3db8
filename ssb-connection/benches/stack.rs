//! The whole stack in memory: two connections (handshake done), the client calls
//! `createHistoryStream` and the server streams 10,000 messages of about 600 bytes through
//! muxrpc and the box stream; messages per second end to end, against box-stream alone
//! (seal and open of the same packet bytes in 4096-byte frames) in the same run. After
//! criterion's runs the bench prints the ratio (best of interleaved rounds). Goal ≥ 0.8.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use serde_json::{Value, json};
use ssb_boxstream::{Decryptor, Encryptor, Frame, MAX_BODY_LEN, Progress, sealed_len};
use ssb_connection::{Connection, Event};
use ssb_crypto::{CurveSecretKey, Keypair, NetworkKey};
use ssb_handshake::{Handshake, HandshakeOutcome};
use ssb_muxrpc::{Body, CallType, Event as Rpc, LocalError, StreamItem};

const MESSAGES: usize = 10_000;

fn outcomes() -> (HandshakeOutcome, HandshakeOutcome) {
    let (a, b) = (Keypair::from_seed(&[1; 32]), Keypair::from_seed(&[2; 32]));
    let mut c = Handshake::client(
        NetworkKey::MAIN_NET,
        &a,
        b.public(),
        CurveSecretKey::from_bytes([3; 32]),
    );
    let mut s = Handshake::server(
        NetworkKey::MAIN_NET,
        &b,
        CurveSecretKey::from_bytes([4; 32]),
    );
    let mut buf = [0u8; 112];
    for _ in 0..2 {
        while let Some(n) = c.poll_transmit(&mut buf).unwrap() {
            s.handle_input(&buf[..n]).unwrap();
        }
        if s.pending_authorization().is_some() {
            s.accept().unwrap();
        }
        while let Some(n) = s.poll_transmit(&mut buf).unwrap() {
            c.handle_input(&buf[..n]).unwrap();
        }
    }
    (c.into_outcome().unwrap(), s.into_outcome().unwrap())
}

/// KVTs shaped like a feed's (about 600 bytes of JSON each).
fn messages() -> Vec<Value> {
    (0..MESSAGES)
        .map(|i| {
            json!({
                "key": format!("%{:0>43}=.sha256", i),
                "value": {
                    "previous": format!("%{:0>43}=.sha256", i.saturating_sub(1)),
                    "sequence": i + 1,
                    "author": "@FCX/tsDLpubCPKKfIrw4gc+SQkHcaD17s7GI6i/ziWY=.ed25519",
                    "timestamp": 1_700_000_000_000u64 + i as u64,
                    "hash": "sha256",
                    "content": { "type": "post", "text": "x".repeat(300 + i % 50) },
                    "signature": format!("{:0>86}==.sig.ed25519", i),
                },
                "timestamp": 1_700_000_000_250u64 + i as u64,
            })
        })
        .collect()
}

/// Moves everything `from` sends into `to`.
fn pump(from: &mut Connection, to: &mut Connection, buf: &mut [u8], held: &mut Vec<u8>) {
    loop {
        if !held.is_empty() {
            let k = to.handle_input(held).unwrap();
            held.drain(..k);
            if !held.is_empty() {
                return; // flow control: the receiver must read first
            }
        }
        let n = from.poll_transmit(buf).unwrap();
        if n == 0 {
            return;
        }
        let k = to.handle_input(&buf[..n]).unwrap();
        held.extend_from_slice(&buf[k..n]);
    }
}

/// The server's items: parsed values (serialised by the endpoint, parsed by the client's), or
/// JSON texts sent as they are and delivered unparsed (`Body::RawJson` and
/// `Config::raw_json`, what `ssb serve` and `ssb call --verify` use).
enum Items {
    Values(Vec<Value>),
    Raw(Vec<String>),
}

impl Items {
    fn len(&self) -> usize {
        match self {
            Items::Values(v) => v.len(),
            Items::Raw(v) => v.len(),
        }
    }
    fn body(&self, i: usize) -> Body {
        match self {
            Items::Values(v) => Body::Json(v[i].clone()),
            Items::Raw(v) => Body::RawJson(v[i].clone()),
        }
    }
}

/// One `createHistoryStream` of every message, end to end; returns the items received.
fn stack_once(outs: &(HandshakeOutcome, HandshakeOutcome), msgs: &Items) -> usize {
    let mut config = ssb_connection::Config::default();
    config.rpc.raw_json = matches!(msgs, Items::Raw(_));
    let mut client = Connection::from_outcome(&outs.0, config);
    let mut server = Connection::from_outcome(&outs.1, Default::default());
    let stream = client
        .endpoint()
        .unwrap()
        .call(CallType::Source, &["createHistoryStream"], vec![json!({})])
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
    let mut serving = None;
    let mut next = 0usize;
    let mut got = 0usize;
    let mut ended = false;
    while !ended {
        pump(&mut client, &mut server, &mut buf, &mut to_server);
        while let Some(event) = server.poll_event() {
            if let Event::Rpc(Rpc::Request { id, .. }) = event {
                serving = Some(id);
            }
        }
        if let Some(id) = serving {
            let rpc = server.endpoint().unwrap();
            while next < msgs.len() {
                match rpc.send(id, msgs.body(next)) {
                    Ok(()) => next += 1,
                    Err(LocalError::TransmitFull { .. }) => break,
                    Err(e) => panic!("{e}"),
                }
            }
            if next == msgs.len() {
                rpc.end(id).unwrap();
                serving = None;
            }
        }
        pump(&mut server, &mut client, &mut buf, &mut to_client);
        while let Some(event) = client.poll_event() {
            if let Event::Rpc(Rpc::Readable(id)) = event {
                let rpc = client.endpoint().unwrap();
                while let Some(item) = rpc.read(id) {
                    match item {
                        StreamItem::Data(b) => {
                            black_box(b);
                            got += 1;
                        }
                        StreamItem::End(_) => ended = id == stream,
                    }
                }
            }
        }
    }
    got
}

/// The packet bytes the server's endpoint writes for the stream (to size the baseline).
fn packet_bytes(msgs: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in msgs {
        let body = serde_json::to_vec(m).unwrap();
        let flags = ssb_muxrpc::Flags {
            stream: true,
            end: false,
            body_type: ssb_muxrpc::BodyType::Json,
        };
        ssb_muxrpc::encode_packet_to_vec(flags, -1, &body, &mut out).unwrap();
    }
    out
}

/// Box stream alone: seal the packet bytes in 4096-byte frames, then open them.
fn boxstream_once(plain: &[u8], wire: &mut [u8]) -> usize {
    let mut enc = Encryptor::new([7; 32], [1; 24]);
    let mut at = 0;
    for chunk in plain.chunks(MAX_BODY_LEN) {
        at += enc.seal(chunk, &mut wire[at..]).unwrap();
    }
    let mut dec = Decryptor::new([7; 32], [1; 24]);
    let mut input = &wire[..at];
    let mut got = 0;
    while !input.is_empty() {
        let o = dec.open(input).unwrap();
        input = &input[o.consumed..];
        if let Progress::Frame(Frame::Data(d)) = o.progress {
            got += black_box(d).len();
        }
    }
    got
}

fn bench(c: &mut Criterion) {
    let outs = outcomes();
    let msgs = messages();
    let plain = packet_bytes(&msgs);
    let raw = Items::Raw(
        msgs.iter()
            .map(|m| serde_json::to_string(m).unwrap())
            .collect(),
    );
    let msgs = Items::Values(msgs);
    let mut wire = vec![0u8; sealed_len(plain.len())];
    let mut g = c.benchmark_group("stack");
    g.throughput(Throughput::Elements(MESSAGES as u64));
    g.sample_size(10);
    g.bench_function("createHistoryStream 10k msgs, whole stack", |b| {
        b.iter(|| assert_eq!(stack_once(&outs, &msgs), MESSAGES))
    });
    g.bench_function("createHistoryStream 10k msgs, whole stack, raw JSON", |b| {
        b.iter(|| assert_eq!(stack_once(&outs, &raw), MESSAGES))
    });
    g.bench_function("box stream alone, same bytes", |b| {
        b.iter(|| boxstream_once(&plain, &mut wire))
    });
    g.finish();
}

fn ratio() {
    let outs = outcomes();
    let msgs = messages();
    let plain = packet_bytes(&msgs);
    let raw = Items::Raw(
        msgs.iter()
            .map(|m| serde_json::to_string(m).unwrap())
            .collect(),
    );
    let msgs = Items::Values(msgs);
    let mut wire = vec![0u8; sealed_len(plain.len())];
    let mut best = [f64::MAX; 3];
    let deadline = Instant::now() + Duration::from_secs(9);
    while Instant::now() < deadline {
        let t = Instant::now();
        assert_eq!(stack_once(&outs, &msgs), MESSAGES);
        best[0] = best[0].min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        assert_eq!(stack_once(&outs, &raw), MESSAGES);
        best[2] = best[2].min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        black_box(boxstream_once(&plain, &mut wire));
        best[1] = best[1].min(t.elapsed().as_secs_f64());
    }
    let per_s = |s: f64| MESSAGES as f64 / s;
    println!(
        "\nsame-run comparison, {MESSAGES} messages ({} packet bytes; best of interleaved rounds):",
        plain.len()
    );
    println!("  whole stack, JSON values {:>10.0} msgs/s", per_s(best[0]));
    println!("  whole stack, raw JSON    {:>10.0} msgs/s", per_s(best[2]));
    println!("  box stream alone         {:>10.0} msgs/s", per_s(best[1]));
    println!("  ratio, JSON values       {:>10.3}", best[1] / best[0]);
    println!("  ratio, raw JSON (goal >= 0.8) {:>5.3}", best[1] / best[2]);
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratio();
}
