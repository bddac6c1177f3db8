//! What the EBT engine costs, per note and per message, as a ratio to parsing the same JSON
//! (the work every received value needs anyway), and how much memory its state takes for
//! 10 000 followed feeds (measured with a counting allocator, printed at the start).
//!
//! * `notes/parse`: `ssb_legacy_json::parse` + `Notes::from_value` of a 10 000-entry notes
//!   object (the baseline);
//! * `notes/handle`: the same parse, then `Engine::handle_notes` on a fresh session with
//!   10 000 followed feeds, the peer ahead on every one, and draining the reads and notes
//!   it queues;
//! * `message/parse`: parsing and classifying one ~300-byte message (the baseline);
//! * `message/receive`: the same, then `handle_message`, `poll_validate` and `on_append`
//!   with four other peers that are sent the message live (`poll_transmit` to each).

#![allow(clippy::unwrap_used)] // a benchmark: broken setup should abort it loudly
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, black_box};
use peak_alloc::PeakAlloc;
use ssb_crypto::{FeedId, PublicKey};
use ssb_replication::{
    Config, Engine, Incoming, Note, Notes, PeerClock, Role, Transmit, classify, note,
};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

const FEEDS: u32 = 10_000;

fn feed(i: u32) -> String {
    let mut b = [9u8; 32];
    b[..4].copy_from_slice(&i.to_le_bytes());
    FeedId(PublicKey(b)).to_string()
}

fn us() -> String {
    feed(u32::MAX)
}

/// Following every feed, we have 100 of each; `peers` are connected as servers with their
/// first notes written.
fn engine(feeds: &[String], peers: &[String]) -> Engine<std::sync::Arc<[u8]>> {
    let mut e = Engine::new(&us(), Config::default());
    e.set_local_clock(feeds.iter().map(|f| (f.as_str(), 100)));
    for f in feeds {
        e.follow(f, true);
    }
    for p in peers {
        e.connect(p, Role::Server);
        e.load_peer_clock(p, &PeerClock::new()).unwrap();
        while e.poll_transmit(p).is_some() {}
    }
    e
}

/// The notes a peer 50 messages ahead on every feed sends (asking for nothing).
fn ahead_notes(feeds: &[String]) -> Vec<u8> {
    let mut m = serde_json::Map::new();
    for f in feeds {
        m.insert(f.clone(), note::encode(150, false).into());
    }
    serde_json::Value::Object(m).to_string().into_bytes()
}

fn message(author: &str, seq: u64) -> Vec<u8> {
    format!(
        r#"{{"previous":"%dGVzdGluZyB0ZXN0aW5nIHRlc3RpbmcgdGVzdGluZyA=.sha256","author":"{author}","sequence":{seq},"timestamp":1700000000000,"hash":"sha256","content":{{"type":"post","text":"hello world"}},"signature":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==.sig.ed25519"}}"#
    )
    .into_bytes()
}

fn report_memory() {
    let feeds: Vec<String> = (0..FEEDS).map(feed).collect();
    let peers: Vec<String> = (0..4).map(|i| feed(FEEDS + i)).collect();
    let theirs = Note::from_number(f64::from(note::encode(100, false)));
    let before = ALLOC.current_usage();
    let mut e = engine(&feeds, &[]);
    let base = ALLOC.current_usage() - before;
    for p in &peers {
        e.connect(p, Role::Server);
        e.load_peer_clock(p, &PeerClock::new()).unwrap();
        while e.poll_transmit(p).is_some() {}
        let n = Notes::from_entries(feeds.iter().map(|f| (f.clone(), theirs)));
        e.handle_notes(p, &n, 1).unwrap();
        while e.poll_transmit(p).is_some() {}
    }
    let with_peers = ALLOC.current_usage() - before;
    println!(
        "state, 10 000 followed feeds: {base} bytes ({} per feed); with 4 peers replicating \
         all of them: {with_peers} bytes ({} per feed and peer)",
        base / FEEDS as usize,
        (with_peers - base) / (4 * FEEDS as usize)
    );
    drop(e);
}

fn notes(c: &mut Criterion) {
    let feeds: Vec<String> = (0..FEEDS).map(feed).collect();
    let peer = feed(FEEDS + 1);
    let text = ahead_notes(&feeds);
    let mut g = c.benchmark_group("notes");
    g.throughput(Throughput::Elements(u64::from(FEEDS)));
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("parse", |b| {
        b.iter(|| Notes::parse(black_box(&text)).unwrap().len())
    });
    g.bench_function("handle", |b| {
        b.iter_batched(
            || engine(&feeds, std::slice::from_ref(&peer)),
            |mut e| {
                let notes = Notes::parse(&text).unwrap();
                e.handle_notes(&peer, &notes, 1).unwrap();
                let mut reads = 0;
                while e.poll_read().is_some() {
                    reads += 1;
                }
                while e.poll_transmit(&peer).is_some() {}
                (reads, e)
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn messages(c: &mut Criterion) {
    // One feed we receive from `src` and forward live to four other peers.
    let author = feed(0);
    let src = feed(1);
    let sinks: Vec<String> = (2..6).map(feed).collect();
    let mut all = vec![src.clone()];
    all.extend(sinks.iter().cloned());
    let mut e = engine(std::slice::from_ref(&author), &[]);
    e.set_local_clock([(author.as_str(), 0)]);
    for p in &all {
        e.connect(p, Role::Server);
        e.load_peer_clock(p, &PeerClock::new()).unwrap();
        while e.poll_transmit(p).is_some() {}
    }
    // src is far ahead and sends; the sinks are where we are and ask.
    let ahead =
        Notes::parse(format!(r#"{{"{author}":{}}}"#, note::encode(1 << 29, true)).as_bytes())
            .unwrap();
    e.handle_notes(&src, &ahead, 1).unwrap();
    let asks = Notes::parse(format!(r#"{{"{author}":0}}"#).as_bytes()).unwrap();
    for p in &sinks {
        e.handle_notes(p, &asks, 1).unwrap();
    }
    for p in &all {
        while e.poll_transmit(p).is_some() {}
    }
    let mut seq = 0u64;
    let mut g = c.benchmark_group("message");
    g.throughput(Throughput::Elements(1));
    let sample = message(&author, 1);
    g.bench_function("parse", |b| {
        b.iter(|| {
            let v = ssb_replication::ssb_legacy_json::parse(black_box(&sample)).unwrap();
            matches!(classify(&v), Ok(Incoming::Message { .. }))
        })
    });
    g.bench_function("receive", |b| {
        b.iter_custom(|iters| {
            let wires: Vec<Vec<u8>> = (0..iters).map(|i| message(&author, seq + i + 1)).collect();
            let start = Instant::now();
            for w in wires {
                let v = ssb_replication::ssb_legacy_json::parse(&w).unwrap();
                let Ok(Incoming::Message { sequence, .. }) = classify(&v) else {
                    panic!("not a message")
                };
                let raw: std::sync::Arc<[u8]> = w.into();
                e.handle_message(&src, &author, sequence, raw, 2).unwrap();
                let val = e.poll_validate().unwrap();
                e.on_append(&val.author, val.sequence, val.msg);
                for p in &sinks {
                    while let Some(t) = e.poll_transmit(p) {
                        black_box(matches!(t, Transmit::Message(_)));
                    }
                }
            }
            seq += iters;
            start.elapsed()
        })
    });
    g.finish();
}

fn main() {
    report_memory();
    let mut c = Criterion::default().configure_from_args();
    notes(&mut c);
    messages(&mut c);
    c.final_summary();
}
