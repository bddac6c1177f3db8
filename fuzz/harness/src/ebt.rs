//! `ssb-replication`: the notes parser (`ebt_notes`) and the EBT engine driven by a hostile
//! peer and an arbitrary schedule (`ebt_engine`).

use ssb_crypto::{FeedId, PublicKey};
use ssb_replication::{
    Config, Engine, Incoming, JsSeq, Note, Notes, PeerClock, ReadRequest, Role, Transmit, classify,
    note,
};

fn feed(i: u8) -> String {
    FeedId(PublicKey([i.wrapping_mul(37).wrapping_add(1); 32])).to_string()
}

/// JS `ToInt32` of an integer-valued double.
fn int32(n: f64) -> i32 {
    ssb_replication::js::to_int32(n)
}

/// The `ebt_notes` target: any bytes as a received EBT value. Parsing never panics; a
/// value is a message or notes, never both; an accepted notes object is within
/// [`ssb_replication::MAX_NOTES_ENTRIES`] and parses the same from text and from a value;
/// every integer note decodes and re-encodes to its 32-bit value (`-2`, which decodes to
/// sequence `-1`, aside); an engine handles the notes without panicking; the stored-clock
/// JSON form reads back what it wrote.
pub fn ebt_notes(data: &[u8]) {
    let parsed = Notes::parse(data);
    let Ok(value) = ssb_replication::ssb_legacy_json::parse(data) else {
        assert!(parsed.is_err());
        return;
    };
    assert_eq!(parsed, Notes::from_value(&value));
    if let Ok(notes) = &parsed {
        assert!(notes.len() <= ssb_replication::MAX_NOTES_ENTRIES);
        // Round trip of the integer notes of an object.
        if let Some(o) = value.as_object().filter(|o| !o.contains_key("clock")) {
            for (k, v) in o.iter() {
                let (Some(k), Some(n)) = (k.as_str(), v.as_f64()) else {
                    continue;
                };
                let Some((_, decoded)) = notes.iter().find(|(key, _)| *key == k) else {
                    panic!("key {k:?} lost");
                };
                if n.is_finite() && n.fract() == 0.0 && int32(n) != -2 {
                    let x = int32(n);
                    assert_eq!(decoded.sequence, x >> 1);
                    assert_eq!(decoded.receive, x & 1 == 0);
                    assert_eq!(note::encode(decoded.sequence.into(), decoded.receive), x);
                }
            }
        }
        // An engine that follows two of the feeds, with the peer connected.
        let us = feed(0);
        let peer = feed(1);
        let mut e: Engine<()> = Engine::new(&us, Config::default());
        e.follow(&us, true);
        e.follow(&peer, true);
        for (k, _) in notes.iter().take(3) {
            e.follow(k, true);
        }
        e.set_local_clock([(us.as_str(), 3)]);
        e.connect(&peer, Role::Server);
        e.load_peer_clock(&peer, &PeerClock::new()).unwrap_or(());
        e.handle_notes(&peer, notes, 5).unwrap_or(());
        while e.poll_read().is_some() {}
        while let Some(t) = e.poll_transmit(&peer) {
            if let Transmit::Notes(n) = t {
                // What we write parses back to the same notes.
                let back = Notes::parse(n.to_json_string().as_bytes()).expect("our own notes");
                assert_eq!(back.len(), n.len());
            }
        }
    }
    match classify(&value) {
        Ok(Incoming::Message { author, sequence }) => {
            assert!(ssb_feed::is_ref_feed_id(author) && sequence >= 1);
        }
        Ok(Incoming::Notes(n)) => assert_eq!(Ok(n), parsed),
        Ok(_) | Err(_) => {}
    }
    // The stored clock's JSON form.
    if let Ok(j) = serde_json::from_slice::<serde_json::Value>(data) {
        let c = PeerClock::from_json(&j);
        let again = PeerClock::from_json(&c.to_json());
        assert_eq!(again.len(), c.len());
        for (k, v) in c.iter() {
            let w = again.get(k).expect("kept");
            match v {
                JsSeq::Number(n) if n.is_finite() => assert_eq!(w, JsSeq::Number(n)),
                _ => assert_eq!(w, JsSeq::Null),
            }
        }
    }
}

/// Small limits, so that the fuzzer reaches them.
fn limits() -> Config {
    Config {
        timeout_ms: 100,
        max_queued_messages: 4,
        max_pending_validations: 4,
        max_unfollowed_per_peer: 6,
    }
}

/// Note values of every JSON kind, by index.
const ODD_NOTES: &[&str] = &[
    "-1",
    "-2",
    "0",
    "1",
    "2147483648",
    "4294967300",
    "1e300",
    "4.5",
    "\"4\"",
    "null",
    "true",
    "false",
    "[]",
    "[3]",
    "{}",
    "\"\"",
    "-0",
    "9007199254740993",
];

/// The `ebt_engine` target: an engine (us = key 0) with four peers (keys 1-4) and
/// further feeds, driven by arbitrary events in 4-byte ops: sessions opened and
/// closed in either role, stored clocks, notes (structured, odd values, or raw bytes as JSON)
/// and messages from peers, appends, read results (some for reads never asked), timeouts,
/// follows, blocks, fatal validation errors and every drain. Never a panic; after every op
/// the queues and per-peer entries are within the configured bounds.
pub fn ebt_engine(data: &[u8]) {
    const PEERS: u8 = 4;
    let keys: Vec<String> = {
        let mut k: Vec<String> = (0..8).map(feed).collect();
        let lenient = feed(8).replace(".ed25519", ".sha256");
        k.extend([lenient, "__proto__".into(), "0".into(), "not a feed".into()]);
        k
    };
    let key = |i: u8| -> &str { &keys[usize::from(i) % keys.len()] };
    let peer = |i: u8| -> &str { &keys[1 + usize::from(i % PEERS)] };
    let cfg = limits();
    let mut e: Engine<(String, u64)> = Engine::new(&keys[0], cfg.clone());
    for i in 0..4 {
        e.follow(key(i), true);
    }
    let mut now = 1_700_000_000_000u64;
    let mut reads: Vec<ReadRequest> = Vec::new();
    let mut db: Vec<u64> = vec![0; keys.len()];
    let mut ops = data;
    while let [op, x, y, z, rest @ ..] = ops {
        ops = rest;
        now += u64::from(*x) * 7;
        let (x, y, z) = (*x, *y, *z);
        match op % 16 {
            0 => {
                let role = if y & 1 == 0 {
                    Role::Client
                } else {
                    Role::Server
                };
                e.connect(peer(x), role);
            }
            1 => {
                let entries = (0..keys.len() as u8)
                    .filter(|i| y & (1 << (i % 8)) != 0)
                    .map(|i| {
                        let v = match z % 4 {
                            0 => JsSeq::Number(f64::from(z / 4)),
                            1 => JsSeq::Null,
                            2 => JsSeq::Number(f64::NAN),
                            _ => JsSeq::Number(-1.0),
                        };
                        (key(i), v)
                    });
                let _ = e.load_peer_clock(peer(x), &PeerClock::from_entries(entries));
            }
            2 => {
                let odd = ODD_NOTES[usize::from(z) % ODD_NOTES.len()];
                let odd =
                    ssb_replication::ssb_legacy_json::parse(odd.as_bytes()).unwrap_or_default();
                let notes = Notes::from_entries([
                    (key(y).to_string(), Note::from_number(f64::from(z as i8))),
                    (key(y >> 4).to_string(), Note::from_value(&odd)),
                ]);
                let _ = e.handle_notes(peer(x), &notes, now);
            }
            3 => {
                let author = key(y);
                let seq = if z == 255 {
                    u64::MAX
                } else {
                    u64::from(z % 32)
                };
                let _ = e.handle_message(peer(x), author, seq, (author.to_string(), seq), now);
            }
            4 => {
                let i = usize::from(y) % keys.len();
                let seq = if z & 1 == 0 { db[i] + 1 } else { u64::from(z) };
                if e.on_append(&keys[i], seq, (keys[i].clone(), seq))
                    == ssb_replication::Append::Applied
                {
                    db[i] = seq;
                }
            }
            5 => {
                if let Some(r) =
                    (!reads.is_empty()).then(|| reads.swap_remove(usize::from(y) % reads.len()))
                {
                    if let Some(seq) = r.sequence_u64() {
                        e.on_read(&r.feed, seq, (r.feed.to_string(), seq));
                    }
                } else {
                    e.on_read(key(y), u64::from(z), (key(y).to_string(), u64::from(z)));
                }
            }
            6 => e.tick(now + u64::from(z) * 50),
            7 => {
                while let Some(r) = e.poll_read() {
                    if reads.len() < 64 {
                        reads.push(r);
                    }
                }
            }
            8 => {
                if let Some(v) = e.poll_validate() {
                    match z % 3 {
                        0 => {
                            let i = keys.iter().position(|k| **k == *v.author).unwrap_or(0);
                            if e.on_append(&v.author, v.sequence, v.msg)
                                == ssb_replication::Append::Applied
                            {
                                db[i] = v.sequence;
                            }
                        }
                        1 => e.on_invalid(&v.peer, &v.author),
                        _ => {}
                    }
                }
            }
            9 => {
                let limit = if y == 0 { usize::MAX } else { usize::from(y) };
                let mut n = 0;
                while n < limit {
                    match e.poll_transmit(peer(x)) {
                        Some(Transmit::Notes(notes)) => {
                            let back = Notes::parse(notes.to_json_string().as_bytes())
                                .expect("our notes are JSON");
                            assert_eq!(back.len(), notes.len());
                        }
                        Some(_) => {}
                        None => break,
                    }
                    n += 1;
                }
            }
            10 => {
                e.follow(key(y), z & 1 == 0);
            }
            11 => {
                e.block(key(y), key(z), x & 1 == 0);
            }
            12 => {
                e.disconnect(peer(x));
            }
            13 => {
                // Raw bytes from the peer: the next `y` bytes of input as JSON.
                let n = usize::from(y).min(ops.len());
                let (text, rest) = ops.split_at(n);
                ops = rest;
                if let Ok(v) = ssb_replication::ssb_legacy_json::parse(text) {
                    match classify(&v) {
                        Ok(Incoming::Message { author, sequence }) => {
                            let _ = e.handle_message(
                                peer(x),
                                author,
                                sequence,
                                (author.to_string(), sequence),
                                now,
                            );
                        }
                        Ok(Incoming::Notes(n)) => {
                            let _ = e.handle_notes(peer(x), &n, now);
                        }
                        _ => {}
                    }
                }
            }
            14 => e.on_invalid(peer(x), key(y)),
            _ => e.set_local_clock(
                (0..keys.len())
                    .filter(|i| y & (1 << (i % 8)) != 0)
                    .map(|i| (keys[i].as_str(), u64::from(z))),
            ),
        }
        // Bounded state.
        assert!(e.pending_validations() <= cfg.max_pending_validations);
        let snap = e.snapshot();
        let cap = snap.follows.len() + cfg.max_unfollowed_per_peer;
        assert!(snap.peers.len() <= usize::from(PEERS));
        for p in &snap.peers {
            assert!(p.msgs.len() <= cfg.max_queued_messages);
            let clock = p.clock.as_ref().map_or(0, Vec::len);
            let reps = p.replicating.as_ref().map_or(0, Vec::len);
            assert!(
                clock <= cap && reps <= cap,
                "{clock} / {reps} entries, cap {cap}"
            );
            assert!(p.retrive.len() <= cap);
            assert!(p.notes.as_ref().map_or(0, Vec::len) <= cap);
        }
    }
}
