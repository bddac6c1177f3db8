//! The engine's memory, measured with a counting global allocator (live heap bytes), for
//! 10 000 followed feeds: without peers, and with peers that replicate all of them.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::sync::Mutex;

use peak_alloc::PeakAlloc;
use ssb_crypto::{FeedId, PublicKey};
use ssb_replication::{Config, Engine, Note, Notes, PeerClock, Role, note};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// Measurements must not overlap (tests run on several threads).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const FEEDS: u32 = 10_000;

fn feed(i: u32) -> String {
    let mut b = [7u8; 32];
    b[..4].copy_from_slice(&i.to_le_bytes());
    FeedId(PublicKey(b)).to_string()
}

/// An engine following `feeds` (we have 100 messages of each), with `peers` connected as
/// servers that claim the same and have exchanged their first notes with us.
fn engine_with(feeds: &[String], peers: &[String]) -> Engine<()> {
    let mut e = Engine::new(&feed(u32::MAX), Config::default());
    e.set_local_clock(feeds.iter().map(|f| (f.as_str(), 100)));
    for f in feeds {
        e.follow(f, true);
    }
    let theirs = Note::from_number(f64::from(note::encode(100, false)));
    for p in peers {
        e.connect(p, Role::Server);
        e.load_peer_clock(p, &PeerClock::new()).unwrap();
        while e.poll_transmit(p).is_some() {}
        let notes = Notes::from_entries(feeds.iter().map(|f| (f.clone(), theirs)));
        e.handle_notes(p, &notes, 1).unwrap();
        while e.poll_transmit(p).is_some() {}
    }
    e
}

/// Live heap bytes held by what `f` returns.
fn retained<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = ALLOC.current_usage();
    let r = f();
    (r, ALLOC.current_usage().saturating_sub(before))
}

#[test]
fn state_for_ten_thousand_feeds() {
    let _one = ONE_AT_A_TIME.lock().unwrap();
    let feeds: Vec<String> = (0..FEEDS).map(feed).collect();
    let peers: Vec<String> = (0..4).map(|i| feed(FEEDS + i)).collect();
    let per_feed = |bytes: usize| bytes / FEEDS as usize;

    let (e0, base) = retained(|| engine_with(&feeds, &[]));
    let (e1, one) = retained(|| engine_with(&feeds, &peers[..1]));
    let (e4, four) = retained(|| engine_with(&feeds, &peers));
    println!(
        "10 000 followed feeds: {base} bytes without peers ({} per feed), {one} with one peer, \
         {four} with four ({} per feed and peer)",
        per_feed(base),
        per_feed(four.saturating_sub(base)) / 4
    );
    assert_eq!(e4.snapshot().peers.len(), 4);
    assert!(e1.snapshot().peers[0].replicating.as_ref().unwrap().len() == FEEDS as usize);
    // Our own per-feed state: the id once, its clock entry, its follow entry.
    assert!(per_feed(base) < 256, "{} bytes per feed", per_feed(base));
    // Each peer: one entry per feed (its claim, the Rep), sharing the feed id's text.
    let per_peer_feed = per_feed(four.saturating_sub(base)) / 4;
    assert!(
        per_peer_feed < 256,
        "{per_peer_feed} bytes per feed and peer"
    );
    // Linear in peers: four cost four times one (within 10%).
    let one_peer = one.saturating_sub(base);
    let four_peers = four.saturating_sub(base);
    assert!(four_peers * 10 <= one_peer * 44 && four_peers * 10 >= one_peer * 36);
    drop((e0, e1, e4));
}

#[test]
fn a_peer_naming_many_unfollowed_keys_costs_a_bounded_amount() {
    // A hostile peer sends notes naming 50 000 feeds we do not follow, five times over
    // (different ones each time): only Config::max_unfollowed_per_peer are kept.
    let _one = ONE_AT_A_TIME.lock().unwrap();
    let config = Config::default();
    let mut e: Engine<()> = Engine::new(&feed(u32::MAX), config.clone());
    let peer = feed(u32::MAX - 1);
    e.connect(&peer, Role::Server);
    e.load_peer_clock(&peer, &PeerClock::new()).unwrap();
    let before = ALLOC.current_usage();
    let mut last = 0;
    for round in 0..5u32 {
        let notes = Notes::from_entries(
            (0..50_000).map(|i| (feed(round * 50_000 + i), Note::from_number(4.0))),
        );
        e.handle_notes(&peer, &notes, 1).unwrap();
        drop(notes);
        while e.poll_transmit(&peer).is_some() {}
        let held = ALLOC.current_usage().saturating_sub(before);
        if round > 0 {
            assert!(
                held <= last + last / 10,
                "round {round}: {held} bytes, was {last}"
            );
        }
        last = held;
    }
    let kept = e.snapshot().peers[0].clock.as_ref().unwrap().len();
    assert_eq!(kept, config.max_unfollowed_per_peer);
    assert_eq!(
        e.stats().note_entries_dropped,
        250_000 - config.max_unfollowed_per_peer as u64
    );
    println!("a peer naming 250 000 unfollowed feeds: {last} bytes kept for {kept} entries");
    assert!(last < 2 * 1024 * 1024, "{last} bytes");
}
