//! Sans-IO replication for Secure Scuttlebutt: Epidemic Broadcast Trees (EBT) as the
//! JavaScript network runs it (`epidemic-broadcast-trees` 9.0.4 driven by `ssb-ebt` 9.1.2),
//! and the pieces of a `createHistoryStream` fallback for peers without EBT.
//!
//! No I/O, no clock, no randomness: the [`Engine`] is told what happened (a session
//! started, a peer wrote notes or a message, the database appended or read a message, time
//! passed) and hands out what to do (database reads, messages to validate, values to write
//! to each peer, peer clocks to store). Time is an argument (milliseconds, any epoch).
//!
//! Two engines replicating a feed in memory; alice has three messages of her feed, bob
//! dials her and ends up with all three:
//!
//! ```
//! use ssb_replication::{Config, Engine, Incoming, PeerClock, Role, Transmit, classify};
//!
//! const ALICE: &str = "@FCX/tsDLpubCPKKfIrw4gc+SQkHcaD17s7GI6i/ziWY=.ed25519";
//! const BOB: &str = "@vGndP82K56rGseBW+i5ChaaFYdKQ2+iDsyW1iXGhwrs=.ed25519";
//!
//! /// A node: the engine and a database holding alice's feed (messages as JSON text).
//! struct Node { ebt: Engine<String>, db: Vec<String> }
//!
//! fn msg(seq: usize) -> String {
//!     format!(r#"{{"author":"{ALICE}","sequence":{seq},"content":{{"type":"post"}}}}"#)
//! }
//!
//! /// The run loop's invariant: after every input, drain reads, one validation per pass and
//! /// the writes to the peer, until nothing is left. Returns what was written to `peer`.
//! fn drain(node: &mut Node, peer: &str) -> Vec<String> {
//!     let mut wire = Vec::new();
//!     loop {
//!         let mut busy = false;
//!         while let Some(read) = node.ebt.poll_read() {
//!             busy = true;
//!             let Some(seq) = read.sequence_u64() else { continue };
//!             if let Some(m) = node.db.get(seq as usize - 1).cloned() {
//!                 node.ebt.on_read(&read.feed, seq, m);
//!             }
//!         }
//!         if let Some(v) = node.ebt.poll_validate() {
//!             busy = true;
//!             // A real node validates the signature and chain here (ssb-feed), then appends.
//!             if v.sequence == node.db.len() as u64 + 1 {
//!                 node.db.push(v.msg.clone());
//!                 node.ebt.on_append(&v.author, v.sequence, v.msg);
//!             }
//!         }
//!         while let Some(out) = node.ebt.poll_transmit(peer) {
//!             busy = true;
//!             match out {
//!                 Transmit::Message(m) => wire.push(m),
//!                 Transmit::Notes(notes) => wire.push(notes.to_json_string()),
//!                 Transmit::End(_clock) => break,
//!             }
//!         }
//!         if !busy {
//!             return wire;
//!         }
//!     }
//! }
//!
//! /// `peer` wrote these values on the EBT stream.
//! fn deliver(node: &mut Node, peer: &str, wire: Vec<String>, now: u64) -> Result<(), Box<dyn std::error::Error>> {
//!     for text in wire {
//!         let value = ssb_replication::ssb_legacy_json::parse(text.as_bytes())?;
//!         match classify(&value)? {
//!             Incoming::Message { author, sequence } => {
//!                 node.ebt.handle_message(peer, author, sequence, text.clone(), now)?;
//!             }
//!             Incoming::Notes(notes) => node.ebt.handle_notes(peer, &notes, now)?,
//!             _ => {}
//!         }
//!     }
//!     Ok(())
//! }
//!
//! let mut alice = Node { ebt: Engine::new(ALICE, Config::default()), db: (1..=3).map(msg).collect() };
//! let mut bob = Node { ebt: Engine::new(BOB, Config::default()), db: Vec::new() };
//! alice.ebt.set_local_clock([(ALICE, 3)]);
//! for node in [&mut alice, &mut bob] {
//!     node.ebt.follow(ALICE, true);
//! }
//!
//! // Bob dials alice and calls her `ebt.replicate` (args: `legacy::replicate_args()`).
//! bob.ebt.connect(ALICE, Role::Client);
//! alice.ebt.connect(BOB, Role::Server);
//! // Neither has a stored clock of the other yet.
//! alice.ebt.load_peer_clock(BOB, &PeerClock::new())?;
//! bob.ebt.load_peer_clock(ALICE, &PeerClock::new())?;
//!
//! let mut now = 1_700_000_000_000;
//! loop {
//!     now += 10;
//!     let to_bob = drain(&mut alice, BOB);
//!     let to_alice = drain(&mut bob, ALICE);
//!     if to_bob.is_empty() && to_alice.is_empty() {
//!         break;
//!     }
//!     deliver(&mut bob, ALICE, to_bob, now)?;
//!     deliver(&mut alice, BOB, to_alice, now)?;
//! }
//! assert_eq!(bob.db, alice.db);
//! assert_eq!(bob.ebt.our_sequence(ALICE), Some(3));
//!
//! // The session ends: store bob's clock of alice and hand it back next time, so that the
//! // next session only mentions feeds that changed.
//! let stored = bob.ebt.disconnect(ALICE).expect("was connected");
//! assert_eq!(stored.clock.expect("loaded").to_json()[ALICE], 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What the engine reproduces
//!
//! The state machine is `events.js` field for field; `docs/EBT-NOTES.md` describes it step
//! by step, and the differential vectors (`test-vectors/vectors/ebt/`, 162 event logs made
//! by the JS packages) check it after every event: notes written, messages read and sent,
//! messages handed to validation and the whole state. In short:
//!
//! * **Notes** ([`note`]): `-1`, or `sequence << 1 | !receive` in 32-bit arithmetic; any
//!   JSON value decodes as JS decodes it; a notes object is bounded by
//!   [`MAX_NOTES_ENTRIES`].
//! * **One source per feed.** We ask one peer at a time to send a feed; the others are
//!   told what we have. A peer that sent nothing new for [`Config::timeout_ms`] (3 s by
//!   default) loses the feeds another peer claims more of, at the next [`Engine::tick`].
//! * **Sessions**: the server writes its notes first (at least `{}`), a client waits for
//!   them; a new session with a peer ends the old one; a peer's clock is handed out when a
//!   session ends ([`StoredClock`]) and taken back when the next starts, and feeds that did
//!   not change since are not mentioned again (request skipping).
//! * **Messages**: those for feeds never asked for are dropped; new ones go to validation
//!   one per drain; a fatal validation error blocks the feed from that peer
//!   ([`Engine::on_invalid`]); we never send a feed to a peer its author blocks.
//! * **Observable state**: [`Engine::feed_status`] (our sequence, each peer's claim,
//!   whether we receive from it and why not: blocked, waiting, up to date, stalled since
//!   when), [`Engine::progress`], and [`Engine::snapshot`], the whole JS-shaped state.
//!
//! The JS quirks the network depends on are reproduced, and the places where we chose a
//! safer behaviour are labelled policies; both are listed in [`quirks`].
//!
//! # Bounds
//!
//! Per peer the state is O(feeds replicated): one entry per followed feed plus at most
//! [`Config::max_unfollowed_per_peer`] for keys a peer mentions that we do not follow.
//! Queues are bounded by [`Config`]: [`Config::max_queued_messages`] per peer (reads for a
//! full peer wait, nothing is lost) and [`Config::max_pending_validations`] in all (stop
//! reading input while [`Engine::validation_queue_full`]; more are dropped and counted).
//!
//! Any panic on input is a bug; the `ebt_notes` and `ebt_engine` fuzz targets check that.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

extern crate alloc;

mod clock;
mod engine;
pub mod js;
pub mod legacy;
pub mod note;
pub mod quirks;

pub use clock::{PeerClock, StoredClock};
pub use engine::{
    Append, Config, Engine, EngineError, FeedStatus, NotReceiving, PeerFeedStatus, PeerSnapshot,
    Progress, ReadRequest, Received, Receiving, Rep, Role, Snapshot, Stats, Transmit, Validate,
};
pub use js::JsSeq;
pub use note::{Incoming, MAX_NOTES_ENTRIES, Note, Notes, NotesError, OutgoingNotes, classify};
/// The JSON model notes and messages are read with (JS `JSON.parse` semantics).
pub use ssb_legacy_json;

/// Default [`Config::timeout_ms`]: `epidemic-broadcast-trees`' default (`opts.timeout ||
/// 3000`), which `ssb-ebt` keeps.
pub const DEFAULT_TIMEOUT_MS: u64 = 3000;

/// Default [`Config::max_queued_messages`]: messages queued for one peer before reading
/// more for it waits (256 messages of at most 8 KiB: 2 MiB per peer).
pub const DEFAULT_MAX_QUEUED_MESSAGES: usize = 256;

/// Default [`Config::max_pending_validations`]: received messages waiting for validation.
pub const DEFAULT_MAX_PENDING_VALIDATIONS: usize = 1024;

/// Default [`Config::max_unfollowed_per_peer`]: entries kept per peer for keys it mentions
/// that we do not follow (JS keeps every one). Beyond it they are not recorded or answered.
pub const DEFAULT_MAX_UNFOLLOWED_PER_PEER: usize = 4096;

/// The largest sequence the engine takes (`Number.MAX_SAFE_INTEGER`, 2^53 − 1): above it JS
/// numbers are no longer exact. No valid message has a sequence beyond 2^31 − 1.
pub const MAX_SEQUENCE: u64 = (1 << 53) - 1;
