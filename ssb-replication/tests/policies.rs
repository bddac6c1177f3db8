//! The labelled policies (where JS is hazardous and no JS vector can prove our choice), the
//! observable status, the stored clock format, and property tests: note encoding against
//! its definition, and hostile event sequences that never panic nor grow the state past its
//! bounds.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use proptest::prelude::*;
use ssb_crypto::{FeedId, PublicKey};
use ssb_replication::{
    Config, Engine, Incoming, JsSeq, NotReceiving, Note, Notes, PeerClock, Received, Receiving,
    Role, Transmit, classify, note,
};

fn id(i: u8) -> String {
    FeedId(PublicKey([i; 32])).to_string()
}

/// An engine for us (id 1) following `feeds`, with `peer` connected as a server and its
/// (empty) stored clock loaded, first notes written.
fn session(feeds: &[&str], peer: &str) -> Engine<String> {
    let mut e = Engine::new(&id(1), Config::default());
    for f in feeds {
        e.follow(f, true);
    }
    e.connect(peer, Role::Server);
    e.load_peer_clock(peer, &PeerClock::new()).unwrap();
    while e.poll_transmit(peer).is_some() {}
    e
}

fn notes(json: &str) -> Notes {
    Notes::parse(json.as_bytes()).unwrap()
}

/// The notes written to `peer` next, as (feed, note) pairs.
fn written(e: &mut Engine<String>, peer: &str) -> Vec<(String, i32)> {
    let mut out = Vec::new();
    while let Some(t) = e.poll_transmit(peer) {
        if let Transmit::Notes(n) = t {
            out.extend(n.iter().map(|(k, v)| (k.to_string(), v)));
        }
    }
    out
}

#[test]
fn inherited_property_names_are_plain_keys() {
    // JS would find Object.prototype members for these and write onto them; here they are
    // keys like any other we do not follow: recorded, answered -1 once.
    let peer = id(2);
    let mut e = session(&[], &peer);
    e.handle_notes(
        &peer,
        &notes(r#"{"__proto__":4,"constructor":6,"toString":0,"hasOwnProperty":2}"#),
        1,
    )
    .unwrap();
    let mut w = written(&mut e, &peer);
    w.sort();
    assert_eq!(
        w,
        [
            ("__proto__".to_string(), -1),
            ("constructor".to_string(), -1),
            ("hasOwnProperty".to_string(), -1),
            ("toString".to_string(), -1)
        ]
    );
    e.handle_notes(&peer, &notes(r#"{"__proto__":8}"#), 2)
        .unwrap();
    assert!(written(&mut e, &peer).is_empty(), "-1 goes out once");
    assert!(!e.is_following("__proto__"));
    assert!(!e.follow("constructor", true), "not a feed id");
}

#[test]
fn keys_with_lone_surrogates_are_dropped_and_counted() {
    let n = notes(r#"{"\ud800":4,"a":4}"#);
    assert_eq!(n.skipped(), 1);
    assert_eq!(n.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["a"]);
}

#[test]
fn messages_beyond_the_largest_safe_sequence_are_dropped() {
    let peer = id(2);
    let text = format!(r#"{{"author":"{peer}","sequence":1e300,"content":{{}}}}"#);
    let v = ssb_replication::ssb_legacy_json::parse(text.as_bytes()).unwrap();
    assert!(matches!(classify(&v), Ok(Incoming::OutOfRange { .. })));
    let mut e = session(&[&peer], &peer);
    e.handle_notes(&peer, &notes(&format!(r#"{{"{peer}":10}}"#)), 1)
        .unwrap();
    let before = e.snapshot();
    assert_eq!(
        e.handle_message(&peer, &peer, u64::MAX, String::new(), 2),
        Ok(Received::OutOfRange)
    );
    assert_eq!(e.snapshot(), before, "nothing moved");
}

#[test]
fn stored_clocks_round_trip_as_js_writes_them() {
    let f = id(3);
    let clock = PeerClock::from_entries([
        (f.as_str(), JsSeq::Number(f64::NAN)),
        ("not a feed", JsSeq::Number(1.0)),
    ]);
    assert_eq!(clock.len(), 1, "non-feed keys are dropped");
    let json = clock.to_json();
    assert_eq!(json, serde_json::json!({ f.as_str(): null }));
    let back = PeerClock::from_json(&json);
    assert_eq!(
        back.get(&f),
        Some(JsSeq::Null),
        "NaN comes back as null, as from disk"
    );
    // Null reads as 0 when the session starts (`clock[feed] || 0`): we ask for the feed.
    let mut e = Engine::<String>::new(&id(1), Config::default());
    e.follow(&f, true);
    e.set_local_clock([(f.as_str(), 4)]);
    e.connect(&id(2), Role::Server);
    e.load_peer_clock(&id(2), &back).unwrap();
    assert_eq!(
        written(&mut e, &id(2)),
        [(f.clone(), note::encode(4, true))]
    );
}

#[test]
fn status_says_why_a_feed_is_not_received() {
    let (a, b, c, f) = (id(2), id(3), id(4), id(9));
    let mut e: Engine<String> = Engine::new(&id(1), Config::default());
    e.follow(&f, true);
    e.set_local_clock([(f.as_str(), 2)]);
    e.connect(&a, Role::Client);
    e.connect(&b, Role::Server);
    let reason = |e: &Engine<String>, peer: &str, now: u64| {
        e.feed_status(&f, now)
            .peers
            .into_iter()
            .find(|p| *p.peer == *peer)
            .map(|p| p.receiving)
            .unwrap()
    };
    assert_eq!(
        reason(&e, &a, 0),
        Receiving::No(NotReceiving::WaitingForClock)
    );
    e.load_peer_clock(&a, &PeerClock::new()).unwrap();
    assert_eq!(
        reason(&e, &a, 0),
        Receiving::No(NotReceiving::WaitingForServerNotes)
    );
    e.load_peer_clock(&b, &PeerClock::new()).unwrap();
    while e.poll_transmit(&b).is_some() {}
    // b claims 2 (what we have) and does not want it.
    e.handle_notes(&b, &notes(&format!(r#"{{"{f}":5}}"#)), 10)
        .unwrap();
    // We asked b at session start (our first notes asked for everything we follow).
    assert!(matches!(
        reason(&e, &b, 10),
        Receiving::Yes {
            stalled_since: None,
            ..
        }
    ));
    // a's server notes arrive: it does not replicate f.
    e.handle_notes(&a, &notes(&format!(r#"{{"{f}":-1}}"#)), 11)
        .unwrap();
    assert_eq!(
        reason(&e, &a, 11),
        Receiving::No(NotReceiving::PeerDoesNotReplicate)
    );
    // b never sent anything new (no progress time): long after, it counts as stalled.
    match reason(&e, &b, 100_000) {
        Receiving::Yes { stalled_since, .. } => assert_eq!(stalled_since, Some(0)),
        other => panic!("{other:?}"),
    }
    // The author blocks b: no longer taken from it.
    assert!(e.block(&f, &b, true));
    assert_eq!(
        reason(&e, &b, 11),
        Receiving::No(NotReceiving::AuthorBlocksPeer)
    );
    // We block c: its session ends at the next write.
    e.connect(&c, Role::Server);
    e.load_peer_clock(&c, &PeerClock::new()).unwrap();
    assert!(e.block(&id(1), &c, true));
    assert_eq!(reason(&e, &c, 11), Receiving::No(NotReceiving::PeerBlocked));
    assert!(matches!(e.poll_transmit(&c), Some(Transmit::End(_))));
    assert!(!e.is_connected(&c));
    // Unfollowed.
    e.follow(&f, false);
    assert_eq!(reason(&e, &a, 11), Receiving::No(NotReceiving::NotFollowed));
}

#[test]
fn a_second_session_with_a_peer_ends_the_first() {
    let peer = id(2);
    let mut e = session(&[&id(5)], &peer);
    e.handle_notes(&peer, &notes(&format!(r#"{{"{}":6}}"#, id(5))), 1)
        .unwrap();
    let old = e
        .connect(&peer, Role::Client)
        .expect("the old session's clock");
    assert_eq!(old.clock.unwrap().get(&id(5)), Some(JsSeq::Number(3.0)));
    assert_eq!(e.peers().collect::<Vec<_>>(), [peer.as_str()]);
    assert!(
        e.poll_transmit(&peer).is_none(),
        "a client waits for the server"
    );
}

proptest! {
    #[test]
    fn encoding_is_js_note(seq in -1i64..(1i64 << 33), rx: bool) {
        // note(seq, rx) = -1 for -1, else ToInt32(seq) << 1 | !rx (32-bit wrapping).
        let want = if seq == -1 { -1 } else { ((seq as u32) << 1 | u32::from(!rx)) as i32 };
        prop_assert_eq!(note::encode(seq, rx), want);
        if (0..(1 << 30)).contains(&seq) {
            let back = Note::from_number(f64::from(want));
            prop_assert_eq!(i64::from(back.sequence), seq);
            prop_assert_eq!(back.receive, rx);
            prop_assert!(back.replicate);
        }
    }

    #[test]
    fn decoding_integers_is_js(n in any::<i32>()) {
        let d = Note::from_number(f64::from(n));
        prop_assert_eq!(d.sequence, n >> 1);
        prop_assert_eq!(d.receive, n & 1 == 0);
        prop_assert_eq!(d.replicate, n != -1);
    }

    #[test]
    fn notes_parsing_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Notes::parse(&bytes);
        if let Ok(v) = ssb_replication::ssb_legacy_json::parse(&bytes) {
            let _ = classify(&v);
        }
    }

    #[test]
    fn hostile_event_sequences_stay_bounded(ops in proptest::collection::vec((0u8..12, any::<u32>(), any::<i32>()), 0..200)) {
        let limits = Config {
            timeout_ms: 10,
            max_queued_messages: 3,
            max_pending_validations: 3,
            max_unfollowed_per_peer: 5,
        };
        let peers: Vec<String> = (2..5).map(id).collect();
        let feeds: Vec<String> = (5..9).map(id).collect();
        let mut e: Engine<u32> = Engine::new(&id(1), limits.clone());
        for f in &feeds[..2] {
            e.follow(f, true);
        }
        let mut now = 0u64;
        for (op, a, b) in ops {
            now += u64::from(a % 50);
            let peer = &peers[a as usize % peers.len()];
            let feed = &feeds[(a >> 8) as usize % feeds.len()];
            let seq = u64::from(b.unsigned_abs() % 20);
            match op {
                0 => { e.connect(peer, if b & 1 == 0 { Role::Client } else { Role::Server }); }
                1 => { let _ = e.load_peer_clock(peer, &PeerClock::from_entries([(feed.as_str(), JsSeq::Number(f64::from(b)))])); }
                2 => { let junk = format!("k{}", b % 1000); let n = Notes::from_entries([(feed.clone(), Note::from_number(f64::from(b))), (junk, Note::from_number(4.0))]); let _ = e.handle_notes(peer, &n, now); }
                3 => { let _ = e.handle_message(peer, feed, seq, a, now); }
                4 => { let _ = e.on_append(feed, seq, a); }
                5 => e.on_read(feed, seq, a),
                6 => e.tick(now),
                7 => { e.follow(feed, b & 1 == 0); }
                8 => { e.block(feed, peer, b & 1 == 0); }
                9 => { e.disconnect(peer); }
                10 => { e.on_invalid(peer, feed); }
                _ => {
                    while e.poll_read().is_some() {}
                    let _ = e.poll_validate();
                    while e.poll_transmit(peer).is_some() {}
                }
            }
            prop_assert!(e.pending_validations() <= limits.max_pending_validations);
            let snap = e.snapshot();
            let follows = snap.follows.len();
            for p in &snap.peers {
                prop_assert!(p.msgs.len() <= limits.max_queued_messages);
                let entries = p.clock.as_ref().map_or(0, Vec::len)
                    .max(p.replicating.as_ref().map_or(0, Vec::len));
                prop_assert!(entries <= follows + limits.max_unfollowed_per_peer, "{} entries", entries);
                prop_assert!(p.retrive.len() <= follows + limits.max_unfollowed_per_peer);
            }
        }
    }
}
