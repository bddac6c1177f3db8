//! The EBT peer of `ssb serve --store`: ONE replication engine for the whole process, shared
//! by every connection, so that a message one peer sends, once validated and stored, goes
//! on live to every other peer that asks for its feed (the engine's `on_append`).
//!
//! # Locks
//!
//! * the *node* lock guards the engine and which connection owns each peer's session. It is
//!   held only for engine calls and for queueing into the connection's own muxrpc endpoint
//!   (memory, no socket I/O); store reads and writes happen outside it;
//! * the *sink* lock guards the validator (resumed from the store's feed states). Whoever
//!   holds it takes every message waiting for validation from the engine, validates them as
//!   one batch (`ssb_feed::validate_feeds`), stores the valid ones in one transaction and
//!   reports the verdicts to the engine, so batches are validated and stored in the order
//!   the engine received them. It is taken before the node lock, never while holding it.
//!
//! # Waking the other connections
//!
//! A connection thread waits for its socket, not for the engine. Whenever the engine may
//! have new output for other peers (a message stored, a read served, notes taken, the
//! timer), the thread that caused it bumps an epoch counter; a connection with an EBT
//! session waits at most [`EBT_POLL`] for input and drains the engine for its own peer
//! whenever the epoch moved.
//!
//! # Stored clocks
//!
//! When a session starts, the peer's clock stored in the store's `peer_clocks` table (an
//! empty clock if none) is loaded, so that feeds that did not change since the last session
//! are not mentioned again (request skipping, as `ssb-ebt` 9 does with its `ebt/<peer>`
//! files). When the session ends (the stream ends, the connection closes, a new session of
//! the same peer replaces it, shutdown), the engine's clock of the peer is stored there.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use ssb_crypto::FeedId;
use ssb_feed::{FeedState, Item, SignCap, Validator, validate_feeds};
use ssb_muxrpc::{Body, Endpoint, LocalError, RequestId};
use ssb_replication::{
    Config, Engine, Incoming, PeerClock, Role, StoredClock, Transmit, Validate, classify,
};

use crate::received::{ReceiveClock, now_ms, refusal_code};
use crate::store::{FeedStore, NewMessage, Prepared, StoreError};

/// The longest a connection with an EBT session waits for input before it looks for output
/// other connections queued for its peer (the delay of live forwarding, at most).
pub(crate) const EBT_POLL: Duration = Duration::from_millis(20);
/// How often the engine's timer runs (`Engine::tick`: switching feeds away from peers that
/// stalled for `Config::timeout_ms`, 3 s).
pub(crate) const TICK_MS: u64 = 1000;
/// Store reads served for the engine per pass of a drain.
const READS_PER_PASS: usize = 64;
/// Validation batches one call validates at most before it lets its connection go on (new
/// messages keep arriving from other peers meanwhile).
const VALIDATE_PASSES: usize = 4;
/// Passes of one drain at most (each serves reads, validates and writes to the peer up to
/// the watermark): the connection then looks at its socket again.
const DRAIN_PASSES: usize = 64;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks; if something did, the state is still
    // consistent enough to go on serving (every engine call is atomic).
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The engine and who owns each session.
struct Node {
    engine: Engine<String>,
    /// Peer id → the session (connection) that owns it.
    sessions: HashMap<String, u64>,
}

impl Node {
    fn owns(&self, s: &Session) -> bool {
        self.sessions.get(&s.peer) == Some(&s.id)
    }
}

/// The validator, resumed from the store.
struct Sink {
    validator: Validator,
    /// Receive times of the messages stored (strictly increasing).
    received: ReceiveClock,
}

/// What the validation did with one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Taken {
    /// Valid and stored.
    Valid,
    /// Refused with a fatal error (fork, bad signature, not JSON): the author's feed is
    /// blocked from that peer.
    Invalid,
    /// Refused for another reason (not the next message, a duplicate), or not stored.
    Ignored,
}

/// One EBT session, owned by one connection.
pub(crate) struct Session {
    /// The peer's feed id.
    peer: String,
    id: u64,
}

/// What a [`EbtPeer::drain`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Drained {
    /// Something was written to the peer.
    pub(crate) sent: bool,
    /// The session is over (we ended the stream, or a newer session of the peer replaced
    /// it, or the stream was gone): forget it.
    pub(crate) ended: bool,
}

/// The server's EBT peer (see the [module docs](self)).
pub(crate) struct EbtPeer {
    node: Mutex<Node>,
    sink: Mutex<Sink>,
    epoch: AtomicU64,
    next_session: AtomicU64,
    last_tick: AtomicU64,
}

impl EbtPeer {
    /// An engine as `me`, following every feed of `store` and every feed of `follow`, with
    /// our clock and the validator's states from the store.
    pub(crate) fn new(
        me: &str,
        store: &FeedStore,
        cap: SignCap,
        follow: &[FeedId],
    ) -> Result<Self, StoreError> {
        let feeds = store.feeds()?;
        let mut engine = Engine::new(me, Config::default());
        let names: Vec<(String, u64)> = feeds
            .iter()
            .map(|(f, st)| (f.to_string(), u64::try_from(st.sequence).unwrap_or(0)))
            .collect();
        engine.set_local_clock(names.iter().map(|(n, q)| (n.as_str(), *q)));
        for (n, _) in &names {
            engine.follow(n, true);
        }
        for f in follow {
            engine.follow(&f.to_string(), true);
        }
        Ok(Self {
            node: Mutex::new(Node {
                engine,
                sessions: HashMap::new(),
            }),
            sink: Mutex::new(Sink {
                validator: validator_of(cap, &feeds),
                received: ReceiveClock::default(),
            }),
            epoch: AtomicU64::new(0),
            next_session: AtomicU64::new(1),
            last_tick: AtomicU64::new(0),
        })
    }

    /// Changes whenever the engine may hold new output for some peer.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Runs the engine's timer if [`TICK_MS`] passed since it last ran (by any connection).
    pub(crate) fn maybe_tick(&self) {
        let now = now_ms();
        let last = self.last_tick.load(Ordering::Acquire);
        if now.saturating_sub(last) < TICK_MS
            || self
                .last_tick
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return;
        }
        lock(&self.node).engine.tick(now);
        self.bump();
    }

    /// `peer` opened `ebt.replicate`: a session in the server role, its stored clock loaded
    /// (our notes are then ready to go). A session of the same peer still open elsewhere
    /// ends (the engine's rule) and its clock, fresher than the stored one, is used and
    /// stored.
    pub(crate) fn open(&self, store: &FeedStore, peer: FeedId) -> Session {
        let name = peer.to_string();
        let stored = match store.peer_clock(&peer) {
            Ok(Some(json)) => PeerClock::from_json(&json),
            Ok(None) => PeerClock::new(),
            Err(e) => {
                eprintln!("ssb serve: the stored clock of {name}: {e}; starting from none");
                PeerClock::new()
            }
        };
        let id = self.next_session.fetch_add(1, Ordering::AcqRel);
        let (replaced, loaded) = {
            let mut n = lock(&self.node);
            let replaced = n.engine.connect(&name, Role::Server);
            n.sessions.insert(name.clone(), id);
            let clock = replaced
                .as_ref()
                .and_then(|r| r.clock.clone())
                .unwrap_or(stored);
            // Cannot fail: the session was just connected.
            let _ = n.engine.load_peer_clock(&name, &clock);
            (replaced, clock.len())
        };
        eprintln!("ssb serve: EBT session with {name}: loaded a stored clock of {loaded} feeds");
        if let Some(r) = replaced {
            keep_clock(store, &r);
        }
        self.bump();
        Session { peer: name, id }
    }

    /// Takes what the peer wrote on the EBT stream (notes or a message). When the engine's
    /// validation queue is full, validates before returning, so that nothing is dropped.
    pub(crate) fn input(&self, s: &Session, store: &FeedStore, text: String) {
        let Ok(value) = ssb_legacy_json::parse(text.as_bytes()) else {
            eprintln!("ssb serve: {}: an EBT item that is not JSON", s.peer);
            return;
        };
        let now = now_ms();
        let full = {
            let mut n = lock(&self.node);
            if !n.owns(s) {
                return;
            }
            match classify(&value) {
                Ok(Incoming::Notes(notes)) => {
                    let _ = n.engine.handle_notes(&s.peer, &notes, now);
                    self.bump();
                }
                Ok(Incoming::Message { author, sequence }) => {
                    let _ = n
                        .engine
                        .handle_message(&s.peer, author, sequence, text, now);
                }
                Ok(_) => {}
                Err(e) => eprintln!("ssb serve: {}: notes: {e}", s.peer),
            }
            n.engine.validation_queue_full()
        };
        if full {
            self.validate(store, true);
        }
    }

    /// Validates and stores the messages waiting (see the module docs). With `wait`, waits
    /// for another connection's validation to finish first; without, leaves it to that one.
    /// True if it validated anything.
    fn validate(&self, store: &FeedStore, wait: bool) -> bool {
        let mut sink = if wait {
            lock(&self.sink)
        } else {
            match self.sink.try_lock() {
                Ok(g) => g,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => return false,
            }
        };
        let mut any = false;
        for _ in 0..VALIDATE_PASSES {
            let batch: Vec<Validate<String>> = {
                let mut n = lock(&self.node);
                std::iter::from_fn(|| n.engine.poll_validate()).collect()
            };
            if batch.is_empty() {
                break;
            }
            any = true;
            let verdicts = sink.run(store, &batch);
            {
                let mut n = lock(&self.node);
                for (v, t) in batch.into_iter().zip(verdicts) {
                    match t {
                        Taken::Valid => {
                            n.engine.on_append(&v.author, v.sequence, v.msg);
                        }
                        Taken::Invalid => n.engine.on_invalid(&v.peer, &v.author),
                        Taken::Ignored => {}
                    }
                }
            }
            self.bump();
        }
        any
    }

    /// Drains the engine for session `s`: serves its store reads (any peer's), validates
    /// what waits, and writes the session's output to `rpc` (stream `id`) until `watermark`
    /// bytes are queued there.
    pub(crate) fn drain(
        &self,
        s: &Session,
        store: &FeedStore,
        rpc: &mut Endpoint,
        id: RequestId,
        watermark: usize,
    ) -> Result<Drained, LocalError> {
        let mut out = Drained::default();
        for _ in 0..DRAIN_PASSES {
            let mut busy = false;
            let (reads, pending) = {
                let mut n = lock(&self.node);
                let reads: Vec<_> = std::iter::from_fn(|| n.engine.poll_read())
                    .take(READS_PER_PASS)
                    .collect();
                (reads, n.engine.pending_validations())
            };
            if !reads.is_empty() {
                busy = true;
                let got: Vec<(std::sync::Arc<str>, u64, String)> = reads
                    .into_iter()
                    .filter_map(|r| {
                        let seq = r.sequence_u64()?;
                        let feed = r.feed.parse::<FeedId>().ok()?;
                        match store.get(&feed, seq) {
                            Ok(m) => m.map(|m| (r.feed, seq, m.value_json())),
                            Err(e) => {
                                eprintln!("ssb serve: {e}");
                                None
                            }
                        }
                    })
                    .collect();
                let mut n = lock(&self.node);
                for (feed, seq, json) in got {
                    n.engine.on_read(&feed, seq, json);
                }
                drop(n);
                self.bump();
            }
            if pending > 0 && self.validate(store, false) {
                busy = true;
            }
            let mut ended: Option<Option<StoredClock>> = None;
            let mut failed = None;
            {
                let mut n = lock(&self.node);
                if !n.owns(s) {
                    // A newer session of this peer took over.
                    ended = Some(None);
                }
                while ended.is_none() && rpc.transmit_len() < watermark {
                    let Some(t) = n.engine.poll_transmit(&s.peer) else {
                        break;
                    };
                    busy = true;
                    out.sent = true;
                    let r = match t {
                        Transmit::Message(m) => rpc.send(id, Body::RawJson(m)),
                        Transmit::Notes(notes) => {
                            rpc.send(id, Body::RawJson(notes.to_json_string()))
                        }
                        Transmit::End(clock) => {
                            // We block this peer: the session is over.
                            n.sessions.remove(&s.peer);
                            ended = Some(Some(clock));
                            rpc.end(id)
                        }
                    };
                    if let Err(e) = r {
                        failed = Some(e);
                        break;
                    }
                }
            }
            if let Some(clock) = ended {
                if let Some(c) = clock {
                    keep_clock(store, &c);
                }
                out.ended = true;
                return Ok(out);
            }
            if let Some(e) = failed {
                // The stream (or connection) is gone or broken: the session is over.
                self.close(s, store);
                out.ended = true;
                return if super::is_gone(&e) { Ok(out) } else { Err(e) };
            }
            if !busy || rpc.transmit_len() >= watermark {
                break;
            }
        }
        Ok(out)
    }

    /// The session ended (the stream ended, the connection closed): if it is still the
    /// peer's session, it is disconnected and the peer's clock stored.
    pub(crate) fn close(&self, s: &Session, store: &FeedStore) {
        let stored = {
            let mut n = lock(&self.node);
            if n.owns(s) {
                n.sessions.remove(&s.peer);
                n.engine.disconnect(&s.peer)
            } else {
                None
            }
        };
        if let Some(c) = stored {
            keep_clock(store, &c);
        }
        self.bump();
    }

    /// Shutdown: every session still open is disconnected and its clock stored.
    pub(crate) fn shutdown(&self, store: &FeedStore) {
        let clocks: Vec<StoredClock> = {
            let mut n = lock(&self.node);
            n.sessions.clear();
            let peers: Vec<String> = n.engine.peers().map(str::to_owned).collect();
            peers
                .iter()
                .filter_map(|p| n.engine.disconnect(p))
                .collect()
        };
        for c in &clocks {
            keep_clock(store, c);
        }
    }

    /// Our latest sequence of `feed` as the engine knows it (tests).
    #[cfg(test)]
    fn our_sequence(&self, feed: &str) -> Option<u64> {
        lock(&self.node).engine.our_sequence(feed)
    }
}

/// Stores a peer's clock at the end of its session (a session that ended before its clock
/// was loaded leaves the stored one as it was).
fn keep_clock(store: &FeedStore, c: &StoredClock) {
    let (Some(clock), Ok(peer)) = (&c.clock, c.peer.parse::<FeedId>()) else {
        return;
    };
    match store.set_peer_clock(&peer, &clock.to_json()) {
        Ok(()) => eprintln!(
            "ssb serve: EBT session with {peer} ended; its clock of {} feeds stored",
            clock.len()
        ),
        Err(e) => eprintln!("ssb serve: storing the clock of {peer}: {e}"),
    }
}

/// A validator resumed from the stored feed states.
fn validator_of(cap: SignCap, feeds: &[(FeedId, FeedState)]) -> Validator {
    let mut v = Validator::new(cap);
    for (f, st) in feeds {
        v.set_state(*f, *st);
    }
    v
}

impl Sink {
    /// Validates `batch` (in order, as successive appends would) and stores the valid
    /// messages in one transaction; one verdict per message.
    fn run(&mut self, store: &FeedStore, batch: &[Validate<String>]) -> Vec<Taken> {
        let items = batch
            .iter()
            .map(|v| Item::Bytes(v.msg.as_bytes().to_vec()))
            .collect();
        let results = validate_feeds(&mut self.validator, items, false);
        let mut taken = Vec::with_capacity(batch.len());
        let mut prepared = Vec::new();
        // Authors whose validated messages could not all be stored: the validator is then
        // ahead of the store for them, and their later messages cannot be stored either.
        let mut broken: HashSet<FeedId> = HashSet::new();
        for (v, r) in batch.iter().zip(results) {
            let t = match r {
                Ok(m) if broken.contains(&m.author()) => Taken::Ignored,
                Ok(m) if *m.author().to_string() != *v.author => {
                    eprintln!(
                        "ssb serve: {} sent an invalid message: {} sequence {}: wrong_author",
                        v.peer, v.author, v.sequence
                    );
                    broken.insert(m.author());
                    Taken::Invalid
                }
                Ok(m) => {
                    let new = NewMessage {
                        message: &m,
                        bytes: v.msg.as_bytes(),
                        received: self.received.next(),
                    };
                    match Prepared::new(&new) {
                        Ok(p) => {
                            prepared.push(p);
                            Taken::Valid
                        }
                        Err(e) => {
                            eprintln!("ssb serve: {} sent {}: {e}", v.peer, m.id());
                            broken.insert(m.author());
                            Taken::Ignored
                        }
                    }
                }
                Err(e) => match refusal_code(&e) {
                    Some(code) => {
                        eprintln!(
                            "ssb serve: {} sent an invalid message: {} sequence {}: {code} ({e})",
                            v.peer, v.author, v.sequence
                        );
                        Taken::Invalid
                    }
                    None => Taken::Ignored,
                },
            };
            taken.push(t);
        }
        let stored = store.append_prepared(&prepared);
        if let Err(e) = &stored {
            eprintln!(
                "ssb serve: storing {} received messages: {e}",
                prepared.len()
            );
            for t in &mut taken {
                if *t == Taken::Valid {
                    *t = Taken::Ignored;
                }
            }
        }
        if stored.is_err() || !broken.is_empty() {
            // The validator went past what was stored: resume it from the store again.
            match store.feeds() {
                Ok(feeds) => {
                    self.validator = validator_of(*self.validator.sign_cap(), &feeds);
                }
                Err(e) => eprintln!("ssb serve: reading the store's feeds: {e}"),
            }
        }
        taken
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::store::tests::feed;
    use ssb_crypto::Keypair;
    use ssb_feed::Message;
    use ssb_replication::JsSeq;

    fn tmp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ssb-serve-ebt-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn store_with(dir: &std::path::Path, feeds: &[&[Message]]) -> FeedStore {
        let store = FeedStore::open(dir, &SignCap::None).unwrap();
        for f in feeds {
            let bytes: Vec<String> = f.iter().map(|m| m.value().to_compact_string()).collect();
            let batch: Vec<NewMessage> = f
                .iter()
                .zip(&bytes)
                .map(|(m, b)| NewMessage {
                    message: m,
                    bytes: b.as_bytes(),
                    received: 1.0,
                })
                .collect();
            store.append(&batch).unwrap();
        }
        store
    }

    /// Drains everything for `s` into a fresh stream of an endpoint; the values written.
    fn written(ebt: &EbtPeer, s: &Session, store: &FeedStore) -> Vec<serde_json::Value> {
        let (mut rpc, mut peer) = endpoints();
        let id = peer
            .call(ssb_muxrpc::CallType::Duplex, &["ebt", "replicate"], vec![])
            .unwrap();
        pump(&mut peer, &mut rpc);
        let ours = match rpc.poll_event() {
            Some(ssb_muxrpc::Event::Request { id, .. }) => id,
            e => panic!("{e:?}"),
        };
        let d = ebt.drain(s, store, &mut rpc, ours, usize::MAX).unwrap();
        assert!(!d.ended);
        pump(&mut rpc, &mut peer);
        let mut out = Vec::new();
        while let Some(ssb_muxrpc::StreamItem::Data(b)) = peer.read(id) {
            let text = match b {
                Body::RawJson(t) | Body::Text(t) => t,
                Body::Json(v) => v.to_string(),
                Body::Binary(_) => panic!("binary"),
            };
            out.push(serde_json::from_str(&text).unwrap());
        }
        out
    }

    fn endpoints() -> (Endpoint, Endpoint) {
        let cfg = ssb_muxrpc::Config::default();
        (Endpoint::new(cfg.clone()), Endpoint::new(cfg))
    }

    fn pump(from: &mut Endpoint, to: &mut Endpoint) {
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = from.poll_transmit(&mut buf);
            if n == 0 {
                return;
            }
            to.handle_input(&buf[..n]).unwrap();
        }
    }

    /// A session stores the peer's clock when it ends; the next session of that peer loads
    /// it and its first notes leave out the feeds that did not change since (request
    /// skipping), mentioning only the one that grew.
    #[test]
    fn stored_clocks_skip_unchanged_feeds_in_the_next_session() {
        let dir = tmp("clocks");
        let a = feed(1, 3);
        let b = feed(2, 2);
        let store = store_with(&dir, &[&a[..2], &b]);
        let me = Keypair::from_seed(&[9; 32]).feed_id().to_string();
        let peer = Keypair::from_seed(&[10; 32]).feed_id();
        let ebt = EbtPeer::new(&me, &store, SignCap::None, &[]).unwrap();
        let (fa, fb) = (a[0].author().to_string(), b[0].author().to_string());

        // First session: no stored clock, so both feeds are in our notes.
        let s = ebt.open(&store, peer);
        let first = written(&ebt, &s, &store);
        assert_eq!(first.len(), 1, "{first:?}");
        let notes = first[0].as_object().unwrap();
        assert!(
            notes.contains_key(&fa) && notes.contains_key(&fb),
            "{notes:?}"
        );
        // The peer has exactly what we have.
        let theirs = format!(r#"{{"{fa}":{},"{fb}":{}}}"#, 2 << 1, 2 << 1);
        ebt.input(&s, &store, theirs);
        ebt.close(&s, &store);
        let stored = PeerClock::from_json(&store.peer_clock(&peer).unwrap().unwrap());
        assert_eq!(stored.get(&fa), Some(JsSeq::Number(2.0)));
        assert_eq!(stored.get(&fb), Some(JsSeq::Number(2.0)));

        // a grows to 3 (stored by another connection's session, say).
        drop(ebt);
        let bytes = a[2].value().to_compact_string();
        store
            .append(&[NewMessage {
                message: &a[2],
                bytes: bytes.as_bytes(),
                received: 2.0,
            }])
            .unwrap();
        let ebt = EbtPeer::new(&me, &store, SignCap::None, &[]).unwrap();
        assert_eq!(ebt.our_sequence(&fa), Some(3));
        let s = ebt.open(&store, peer);
        let second = written(&ebt, &s, &store);
        assert_eq!(second.len(), 1, "{second:?}");
        let notes = second[0].as_object().unwrap();
        assert!(notes.contains_key(&fa), "{notes:?}");
        assert!(!notes.contains_key(&fb), "b did not change: {notes:?}");
        drop((ebt, store));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A message with a bad signature is not stored, and the feed is then blocked from that
    /// peer: we tell it `-1` and take nothing more of the feed from it.
    #[test]
    fn an_invalid_message_blocks_its_feed_from_the_peer() {
        let dir = tmp("invalid");
        let a = feed(5, 2);
        let store = FeedStore::open(&dir, &SignCap::None).unwrap();
        let me = Keypair::from_seed(&[9; 32]).feed_id().to_string();
        let peer = Keypair::from_seed(&[14; 32]).feed_id();
        let fa = a[0].author().to_string();
        let ebt = EbtPeer::new(&me, &store, SignCap::None, &[a[0].author()]).unwrap();
        let s = ebt.open(&store, peer);
        let _ = written(&ebt, &s, &store);
        ebt.input(&s, &store, format!(r#"{{"{fa}":{}}}"#, 2 << 1));
        let _ = written(&ebt, &s, &store);
        let good = a[0].value().to_compact_string();
        let forged = good.replace("message 0", "message X");
        assert_ne!(forged, good);
        ebt.input(&s, &store, forged);
        let after = written(&ebt, &s, &store);
        assert_eq!(store.latest(&a[0].author()).unwrap(), None);
        assert_eq!(after, [serde_json::json!({ fa.clone(): -1 })], "{after:?}");
        ebt.input(&s, &store, good);
        let _ = written(&ebt, &s, &store);
        assert_eq!(store.latest(&a[0].author()).unwrap(), None, "blocked");
        drop((ebt, store));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A second session of the same peer replaces the first: the first's drain says it
    /// ended, its input is ignored, and closing it leaves the new session alone.
    #[test]
    fn a_new_session_of_a_peer_replaces_the_old_one() {
        let dir = tmp("replace");
        let a = feed(4, 2);
        let store = store_with(&dir, &[&a]);
        let me = Keypair::from_seed(&[9; 32]).feed_id().to_string();
        let peer = Keypair::from_seed(&[13; 32]).feed_id();
        let ebt = EbtPeer::new(&me, &store, SignCap::None, &[]).unwrap();
        let old = ebt.open(&store, peer);
        let new = ebt.open(&store, peer);
        let (mut rpc, _) = endpoints();
        let d = ebt
            .drain(&old, &store, &mut rpc, RequestId::Remote(1), usize::MAX)
            .unwrap();
        assert_eq!(
            d,
            Drained {
                sent: false,
                ended: true
            }
        );
        ebt.input(&old, &store, r#"{"x":1}"#.to_owned());
        ebt.close(&old, &store);
        assert!(lock(&ebt.node).engine.is_connected(&peer.to_string()));
        // The new session still starts with our notes (the feed, which the peer lacks).
        let first = written(&ebt, &new, &store);
        assert_eq!(first.len(), 1, "{first:?}");
        assert!(
            first[0].get(a[0].author().to_string()).is_some(),
            "{first:?}"
        );
        ebt.close(&new, &store);
        assert!(!lock(&ebt.node).engine.is_connected(&peer.to_string()));
        drop((ebt, store));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Messages a peer pushes for a followed feed are validated, stored and forwarded live
    /// to another session that wants the feed; an invalid one is not stored.
    #[test]
    fn received_messages_are_stored_and_forwarded_live() {
        let dir = tmp("forward");
        let a = feed(3, 3);
        let store = FeedStore::open(&dir, &SignCap::None).unwrap();
        let me = Keypair::from_seed(&[9; 32]).feed_id().to_string();
        let (p1, p2) = (
            Keypair::from_seed(&[11; 32]).feed_id(),
            Keypair::from_seed(&[12; 32]).feed_id(),
        );
        let fa = a[0].author().to_string();
        let ebt = EbtPeer::new(&me, &store, SignCap::None, &[a[0].author()]).unwrap();
        let s1 = ebt.open(&store, p1);
        let s2 = ebt.open(&store, p2);
        let _ = written(&ebt, &s1, &store);
        let _ = written(&ebt, &s2, &store);
        // p2 wants a from 0 and has nothing; p1 has 3.
        ebt.input(&s2, &store, format!(r#"{{"{fa}":0}}"#));
        ebt.input(&s1, &store, format!(r#"{{"{fa}":{}}}"#, 3 << 1));
        let _ = written(&ebt, &s1, &store);
        for m in &a {
            ebt.input(&s1, &store, m.value().to_compact_string());
        }
        // s1's drain validates and stores; s2 then has the messages queued.
        let _ = written(&ebt, &s1, &store);
        assert_eq!(store.latest(&a[0].author()).unwrap(), Some(a[2].state()));
        let to_p2 = written(&ebt, &s2, &store);
        let seqs: Vec<u64> = to_p2
            .iter()
            .filter_map(|v| v.get("sequence").and_then(serde_json::Value::as_u64))
            .collect();
        assert_eq!(seqs, [1, 2, 3], "{to_p2:?}");
        ebt.shutdown(&store);
        assert!(store.peer_clock(&p1).unwrap().is_some());
        assert!(store.peer_clock(&p2).unwrap().is_some());
        drop((ebt, store));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
