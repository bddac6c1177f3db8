//! The EBT state machine: `epidemic-broadcast-trees` 9.0.4 `events.js`, with the parts of
//! its driver (`index.js`, `stream.js`) and of `ssb-ebt` 9.1.2 that decide what is written
//! and read, and none of the I/O.
//!
//! Every method below names the JS function it reproduces; `docs/EBT-NOTES.md` §6-§8 walks
//! through them step by step.
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::sync::Arc;
use alloc::vec::Vec;

use ssb_feed::is_ref_feed_id;

use crate::clock::{PeerClock, StoredClock};
use crate::js::{JsSeq, js_max};
use crate::note::{Notes, OutgoingNotes};
mod peer;
mod status;

use peer::{FeedEntry, Peer, PeerFeed, Pending, Queued, put_note, put_read, put_rep, slot};
pub use status::{FeedStatus, NotReceiving, PeerFeedStatus, PeerSnapshot, Receiving, Snapshot};

use crate::{
    DEFAULT_MAX_PENDING_VALIDATIONS, DEFAULT_MAX_QUEUED_MESSAGES, DEFAULT_MAX_UNFOLLOWED_PER_PEER,
    DEFAULT_TIMEOUT_MS, MAX_SEQUENCE,
};

/// The engine's settings. `Config::default()` is what `ssb-ebt` runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Milliseconds without a new message from a peer after which the feeds we receive from
    /// it may be switched to another peer that claims more ([`Engine::tick`]). JS: the
    /// `EBT({timeout})` option, 3000 by default (and the period of its timer).
    pub timeout_ms: u64,
    /// Messages queued for one peer before reading more for it waits (backpressure; JS has
    /// no bound). See [`DEFAULT_MAX_QUEUED_MESSAGES`].
    pub max_queued_messages: usize,
    /// Received messages waiting for validation, over all peers; more are dropped and
    /// counted. See [`DEFAULT_MAX_PENDING_VALIDATIONS`].
    pub max_pending_validations: usize,
    /// Per peer, entries kept for keys we do not follow, beyond one per followed feed.
    /// See [`DEFAULT_MAX_UNFOLLOWED_PER_PEER`].
    pub max_unfollowed_per_peer: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            timeout_ms: DEFAULT_TIMEOUT_MS,
            max_queued_messages: DEFAULT_MAX_QUEUED_MESSAGES,
            max_pending_validations: DEFAULT_MAX_PENDING_VALIDATIONS,
            max_unfollowed_per_peer: DEFAULT_MAX_UNFOLLOWED_PER_PEER,
        }
    }
}

/// Which side of the `ebt.replicate` call we are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// We called the peer's `ebt.replicate`: we write nothing until its first notes arrive.
    Client,
    /// The peer called ours: we write our notes as soon as its stored clock is loaded.
    Server,
}

/// What we and a peer agreed about one feed (events.js's "Rep").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rep {
    /// The peer asked us to send this feed (its last note was even).
    pub tx: bool,
    /// We asked the peer to send it (our last note was even).
    pub rx: bool,
    /// What the peer has as far as we know: its claim or what we sent, whichever is later;
    /// `null` before anything is known, `-1` when it does not replicate the feed.
    pub sent: JsSeq,
    /// The sequence of our last note for this feed.
    pub requested: JsSeq,
}

/// A database read the engine needs: the message of `feed` at `sequence`, to be given back
/// with [`Engine::on_read`] (JS `getAt`). A failed read needs no call (JS only logs it).
#[derive(Debug, Clone, PartialEq)]
pub struct ReadRequest {
    /// The peer whose queue asked for it (the result goes to every peer that needs it).
    pub peer: Arc<str>,
    /// The feed.
    pub feed: Arc<str>,
    /// `rep.sent + 1` as JS computes it. A positive integer for every read a database can
    /// answer; `0` or less, or `NaN`, after a peer sent a negative or otherwise odd claim
    /// (JS issues such reads too and they fail). [`ReadRequest::sequence_u64`] filters them.
    pub sequence: f64,
}

impl ReadRequest {
    /// The sequence, if it is one a database can hold (an integer from 1 to
    /// [`MAX_SEQUENCE`]).
    pub fn sequence_u64(&self) -> Option<u64> {
        JsSeq::Number(self.sequence).as_u64().filter(|s| *s >= 1)
    }
}

/// A received message to validate and, if valid, append to the database (JS `opts.append`).
/// When the database has written it, call [`Engine::on_append`]; if it was refused as a
/// fork or a bad signature (`ssb-validate`'s fatal errors), call [`Engine::on_invalid`];
/// other refusals need no call.
#[derive(Debug, Clone, PartialEq)]
pub struct Validate<M> {
    /// The peer it came from.
    pub peer: Arc<str>,
    /// Its author.
    pub author: Arc<str>,
    /// Its sequence.
    pub sequence: u64,
    /// The time it was received.
    pub received_at: u64,
    /// The message as received.
    pub msg: M,
}

/// One thing to write to a peer ([`Engine::poll_transmit`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Transmit<M> {
    /// A message, exactly as stored (its signature covers its key order).
    Message(M),
    /// Notes. The first notes of a session are written even when empty (`{}`).
    Notes(OutgoingNotes),
    /// We block this peer: end the stream instead of writing (JS ends it at the first
    /// write after the block). The session is over; store the clock.
    End(StoredClock),
}

/// What [`Engine::handle_message`] did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// New to us: queued for validation ([`Engine::poll_validate`]).
    Queued,
    /// We never asked this peer for that feed: ignored, as JS does.
    NotRequested,
    /// We already have it (if we were asking the peer for the feed, we now tell it to stop).
    AlreadyHave,
    /// New, but the author blocks this peer (or we stopped following): not taken.
    NotShared,
    /// New, but [`Config::max_pending_validations`] messages wait already: dropped
    /// (counted in [`Stats::messages_dropped`]). Stop reading input while
    /// [`Engine::validation_queue_full`] says so.
    Dropped,
    /// Its sequence is beyond [`MAX_SEQUENCE`]: dropped (policy; JS would ask to
    /// validate it, and validation refuses it).
    OutOfRange,
}

/// What [`Engine::on_append`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Append {
    /// Our clock moved to this message; peers that need it get it.
    Applied,
    /// Not the next message of a feed we know (JS ignores it too).
    OutOfOrder,
    /// The author is not a feed id (`ssb-ebt` filters it out).
    NotAFeed,
    /// The sequence is beyond [`MAX_SEQUENCE`] (never valid).
    OutOfRange,
}

/// A call the engine cannot apply. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// No session with this peer.
    #[error("not connected to {0}")]
    NotConnected(Arc<str>),
    /// Notes arrived before [`Engine::load_peer_clock`] (JS does not read the stream
    /// before the stored clock is in).
    #[error("notes from {0} before its stored clock was loaded")]
    ClockNotLoaded(Arc<str>),
    /// A message from a server before its first notes: JS dereferences the still-null
    /// `replicating` and throws a `TypeError`.
    #[error("message from {0} before its first notes")]
    MessageBeforeNotes(Arc<str>),
}

impl EngineError {
    /// A stable, machine-readable name for the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotConnected(_) => "not_connected",
            Self::ClockNotLoaded(_) => "clock_not_loaded",
            Self::MessageBeforeNotes(_) => "message_before_notes",
        }
    }
}

/// Counters of what the engine's bounds dropped or deferred.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Received messages dropped because the validation queue was full.
    pub messages_dropped: u64,
    /// Note entries from peers not recorded because the peer's entries for feeds we do not
    /// follow reached [`Config::max_unfollowed_per_peer`].
    pub note_entries_dropped: u64,
    /// Messages not queued for a peer whose queue was full; they are read again later.
    pub sends_deferred: u64,
}

/// `progress.js`: a rough measure of how far replication has come, as `ssb-ebt` reports it
/// under `sbot.progress().ebt`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Always 0.
    pub start: f64,
    /// Done so far.
    pub current: f64,
    /// The goal.
    pub target: f64,
}

/// The EBT replication engine for one local feed id: every peer session, what we and each
/// peer have and want, and the queues of what to read, validate and write.
///
/// Inputs are method calls (`connect`, `handle_notes`, `on_append`, `tick`, …), each the
/// JS event function of the same job; outputs are taken with the three `poll_*` methods.
/// After every input, drain them as `ssb-ebt` does after every event: every
/// [`poll_read`](Self::poll_read), one [`poll_validate`](Self::poll_validate), then
/// [`poll_transmit`](Self::poll_transmit) for each peer whose stream is writable. When a
/// read or a write happens changes what later notes say (see `quirks`), so the engine never
/// drains anything by itself.
///
/// `M` is the application's message type (raw JSON, a parsed value, an `Arc`): the engine
/// only queues it and hands it back; it reads a message's author and sequence from the
/// arguments that come with it.
#[derive(Debug)]
pub struct Engine<M> {
    id: Arc<str>,
    config: Config,
    feeds: BTreeMap<Arc<str>, FeedEntry>,
    /// `state.follows` keys in insertion order (follows are never deleted).
    follow_order: Vec<Arc<str>>,
    blocks: BTreeMap<Arc<str>, BTreeSet<Arc<str>>>,
    /// In connection order (a reconnected peer goes last).
    peers: Vec<Peer<M>>,
    receive: VecDeque<Pending<M>>,
    stats: Stats,
}

/// JS `fixSeq(local, remote)`: the peer's new known sequence after it claimed `remote`.
fn fix_seq(local: JsSeq, remote: f64) -> JsSeq {
    if local.is_nullish() || local.strict_eq(-1.0) || remote == -1.0 {
        return JsSeq::Number(remote);
    }
    if remote == 0.0 {
        return JsSeq::Number(0.0);
    }
    let l = local.to_number();
    if remote > 0.0 && l > 0.0 && remote < l {
        return JsSeq::Number(remote);
    }
    JsSeq::Number(js_max(l, remote))
}

/// JS `isAhead(ours, theirs)`.
fn is_ahead(ours: f64, theirs: JsSeq) -> bool {
    if theirs.strict_eq(-1.0) {
        return false;
    }
    theirs.is_nullish() || ours > theirs.to_number()
}

impl<M> Engine<M> {
    /// An engine for our feed `id`, with no peers, follows or clock: `EBT({id, timeout})`
    /// and `state.clock = {}`.
    pub fn new(id: &str, config: Config) -> Self {
        Self {
            id: Arc::from(id),
            config,
            feeds: BTreeMap::new(),
            follow_order: Vec::new(),
            blocks: BTreeMap::new(),
            peers: Vec::new(),
            receive: VecDeque::new(),
            stats: Stats::default(),
        }
    }

    /// Our feed id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What the bounds dropped or deferred so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    fn intern(&self, s: &str) -> Arc<str> {
        if let Some((k, _)) = self.feeds.get_key_value(s) {
            return k.clone();
        }
        if let Some(p) = self.peers.iter().find(|p| &*p.id == s) {
            return p.id.clone();
        }
        Arc::from(s)
    }

    fn peer_index(&self, peer: &str) -> Option<usize> {
        self.peers.iter().position(|p| &*p.id == peer)
    }

    fn peer(&self, i: usize) -> Option<&Peer<M>> {
        self.peers.get(i)
    }

    fn local(&self, feed: &str) -> JsSeq {
        self.feeds
            .get(feed)
            .and_then(|f| f.clock)
            .map_or(JsSeq::Undefined, JsSeq::Number)
    }

    fn local_or_zero(&self, feed: &str) -> f64 {
        self.local(feed).or_zero()
    }

    /// One lookup of `feed` in our state: its interned key, whether we follow it, and
    /// `state.clock[feed]`.
    fn feed_info(&self, feed: &str) -> (Option<Arc<str>>, bool, JsSeq) {
        match self.feeds.get_key_value(feed) {
            Some((k, f)) => (
                Some(k.clone()),
                f.follow == Some(true),
                f.clock.map_or(JsSeq::Undefined, JsSeq::Number),
            ),
            None => (None, false, JsSeq::Undefined),
        }
    }

    fn is_followed(&self, feed: &str) -> bool {
        self.feeds.get(feed).and_then(|f| f.follow) == Some(true)
    }

    fn is_blocked(&self, from: &str, to: &str) -> bool {
        self.blocks.get(from).is_some_and(|s| s.contains(to))
    }

    /// events.js `isShared`: we follow `feed` and its author does not block `peer`.
    fn is_shared(&self, feed: &str, peer: &str) -> bool {
        self.is_followed(feed) && !self.is_blocked(feed, peer)
    }

    /// events.js `isAlreadyReplicating(feed, except)`: the first other peer that has
    /// pending notes not marking its *own* feed odd, or whose Rep for `feed` has `rx` while
    /// its own feed's Rep has `sent !== -1` (both quirks reproduced as written).
    fn already_replicating(&self, feed: &str, except: usize) -> Option<usize> {
        self.peers.iter().enumerate().find_map(|(i, p)| {
            if i == except {
                return None;
            }
            if p.notes.is_some() && p.note_of(&p.id).is_none_or(|n| n & 1 == 0) {
                return Some(i);
            }
            let id_has_sent = p.rep(&p.id).is_some_and(|r| !r.sent.strict_eq(-1.0));
            (p.replicating && p.rep(feed).is_some_and(|r| r.rx) && id_has_sent).then_some(i)
        })
    }

    /// events.js `isAvailable(feed, except)`: another peer claims more of `feed` than we
    /// have and the feed is shared with it.
    fn is_available(&self, feed: &str, except: usize) -> bool {
        let ours = self.local_or_zero(feed);
        self.peers.iter().enumerate().any(|(i, p)| {
            i != except && p.clock_of(feed).or_zero() > ours && self.is_shared(feed, &p.id)
        })
    }

    /// Our vector clock from the database (`ssb-ebt`'s start: `getVectorClock`, keys that are
    /// not feed ids dropped). Replaces the whole clock, as JS does. Sequences above
    /// [`MAX_SEQUENCE`] are dropped (no database holds one).
    pub fn set_local_clock<K: AsRef<str>>(&mut self, clock: impl IntoIterator<Item = (K, u64)>) {
        for f in self.feeds.values_mut() {
            f.clock = None;
        }
        for (k, seq) in clock {
            let k = k.as_ref();
            if !is_ref_feed_id(k) || seq > MAX_SEQUENCE {
                continue;
            }
            let key = self.intern(k);
            self.feeds.entry(key).or_default().clock = Some(seq as f64);
        }
        self.feeds
            .retain(|_, f| f.clock.is_some() || f.follow.is_some());
    }

    /// Replicate `feed` or stop (`ebt.request(feed, follow)`, events.js `follow`). Returns
    /// `false` if `feed` is not a feed id (ignored, as `ssb-ebt` does).
    ///
    /// A follow asks the first connected peer whose clock differs from ours to send, and
    /// tells the others what we have. An unfollow writes nothing (JS: the feed is no longer
    /// "shared" with anyone by the time it looks); we just stop taking it.
    pub fn follow(&mut self, feed: &str, follow: bool) -> bool {
        if !is_ref_feed_id(feed) {
            return false;
        }
        let current = self.is_followed(feed);
        if current == follow {
            return true;
        }
        let id = self.intern(feed);
        let entry = self.feeds.entry(id.clone()).or_default();
        if entry.follow.is_none() {
            self.follow_order.push(id.clone());
        }
        entry.follow = Some(follow);
        let mut asked = false;
        for i in 0..self.peers.len() {
            let Some(p) = self.peer(i) else { break };
            if !p.clock_loaded || !p.replicating || !self.is_shared(&id, &p.id) {
                continue;
            }
            let seq = p.clock_of(&id).or_zero();
            let lseq = self.local_or_zero(&id);
            let differs = !self.local(&id).strict_eq(seq);
            let Some(p) = self.peers.get_mut(i) else {
                break;
            };
            if seq == -1.0 {
                // The peer does not replicate this feed: do not ask.
            } else if !follow {
                p.set_notes(&id, JsSeq::Number(-1.0), false);
            } else if differs {
                p.set_rep(
                    &id,
                    Rep {
                        rx: true,
                        tx: false,
                        sent: JsSeq::Number(-1.0),
                        requested: JsSeq::Number(lseq),
                    },
                );
                p.set_notes(&id, JsSeq::Number(lseq), !asked);
                asked = true;
            }
        }
        true
    }

    /// Whether we follow `feed`.
    pub fn is_following(&self, feed: &str) -> bool {
        self.is_followed(feed)
    }

    /// `ebt.forget(feed)`: unfollow and drop our clock entry for it. (`ssb-ebt` also
    /// deletes the stored clock *of the peer* whose id is `feed`: that store is yours.)
    pub fn forget(&mut self, feed: &str) {
        self.follow(feed, false);
        if let Some(f) = self.feeds.get_mut(feed) {
            f.clock = None;
        }
    }

    /// `ebt.block(from, to, block)`: `from` does not want its feed given to or taken from
    /// `to`; if `from` is us, the session with `to` ends at its next write. Returns `false`
    /// when ignored: either id is not a feed id, or an unblock of a block never recorded
    /// (as `ssb-ebt` does). An unblock only deletes the record.
    pub fn block(&mut self, from: &str, to: &str, block: bool) -> bool {
        if !is_ref_feed_id(from) || !is_ref_feed_id(to) {
            return false;
        }
        if !block && !self.is_blocked(from, to) {
            return false;
        }
        self.apply_block(from, to, block);
        true
    }

    /// The validation of a message `author` sent through `peer` failed fatally (a fork, a
    /// bad signature): the author's feed is no longer taken from or given to that peer
    /// (`index.js` blocks `author → peer`).
    pub fn on_invalid(&mut self, peer: &str, author: &str) {
        self.apply_block(author, peer, true);
    }

    /// events.js `block`.
    fn apply_block(&mut self, from: &str, to: &str, block: bool) {
        if !block {
            if let Some(set) = self.blocks.get_mut(from) {
                set.remove(to);
                if set.is_empty() {
                    self.blocks.remove(from);
                }
            }
            return;
        }
        let from_key = self.intern(from);
        let to_key = self.intern(to);
        self.blocks
            .entry(from_key.clone())
            .or_default()
            .insert(to_key);
        let ours = *self.id == *from;
        for p in &mut self.peers {
            if &*p.id != to {
                continue;
            }
            if ours {
                p.blocked = true;
            }
            if p.replicating && p.rep(from).is_some() {
                p.set_notes(&from_key, JsSeq::Number(-1.0), false);
            }
        }
    }

    /// A session with `peer` starts (`createStream(peer, 3, client)`); call
    /// [`load_peer_clock`](Self::load_peer_clock) when its stored clock is read. A session
    /// already open with that peer ends first: its clock is returned, to be stored (JS ends
    /// it with `reconnected to peer`).
    pub fn connect(&mut self, peer: &str, role: Role) -> Option<StoredClock> {
        let replaced = self.disconnect(peer);
        let id = self.intern(peer);
        let blocked = self.is_blocked(&self.id, peer);
        self.peers.push(Peer::new(id, role, blocked));
        replaced
    }

    /// Whether a session with `peer` is open.
    pub fn is_connected(&self, peer: &str) -> bool {
        self.peer_index(peer).is_some()
    }

    /// The peers with an open session, in connection order.
    pub fn peers(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.peers.iter().map(|p| &*p.id)
    }

    /// The session with `peer` ended: returns its clock to store, or `None` if there was no
    /// session.
    pub fn disconnect(&mut self, peer: &str) -> Option<StoredClock> {
        let i = self.peer_index(peer)?;
        Some(self.remove_peer(i))
    }

    fn remove_peer(&mut self, i: usize) -> StoredClock {
        let p = self.peers.remove(i);
        p.stored_clock()
    }

    /// The peer's stored clock was read (events.js `peerClock`; an empty clock if there is
    /// none). A server then prepares its first notes: for every followed feed shared with
    /// the peer whose stored sequence differs from ours, a request (or, if another peer
    /// already sends it, an "I have n"). Feeds that did not change since the last session
    /// are skipped (request skipping). A client waits for the server's notes.
    pub fn load_peer_clock(&mut self, peer: &str, clock: &PeerClock) -> Result<(), EngineError> {
        let i = self
            .peer_index(peer)
            .ok_or_else(|| EngineError::NotConnected(Arc::from(peer)))?;
        let cap = self.entry_cap();
        let keys: Vec<(Arc<str>, bool, JsSeq)> = clock
            .iter()
            .filter(|(k, _)| is_ref_feed_id(k))
            .map(|(k, v)| (self.intern(k), self.is_followed(k), v))
            .collect();
        let Some(p) = self.peers.get_mut(i) else {
            return Ok(());
        };
        for f in p.feeds.values_mut() {
            f.clock = None;
        }
        p.feeds
            .retain(|_, f| f.rep.is_some() || f.note.is_some() || f.queued_read);
        for (k, followed, v) in keys {
            if !p.feeds.contains_key(&k) && !followed && p.feeds.len() >= cap {
                self.stats.note_entries_dropped = self.stats.note_entries_dropped.saturating_add(1);
                continue;
            }
            p.feeds.entry(k).or_default().clock = Some(v);
        }
        p.clock_loaded = true;
        self.start_replication(i);
        Ok(())
    }

    /// The most entries a peer may hold: one per feed in `follows`, plus the allowance for
    /// keys we do not follow.
    fn entry_cap(&self) -> usize {
        self.follow_order
            .len()
            .saturating_add(self.config.max_unfollowed_per_peer)
    }

    /// The rest of events.js `peerClock`, once `replicating` is set.
    fn start_replication(&mut self, i: usize) {
        let Some(p) = self.peers.get_mut(i) else {
            return;
        };
        if !p.replicating {
            return;
        }
        p.notes.get_or_insert_with(Vec::new);
        for k in 0..self.follow_order.len() {
            let (Some(id), Some(p)) = (self.follow_order.get(k), self.peer(i)) else {
                break;
            };
            let (_, followed, local) = self.feed_info(id);
            let seq = p.clock_of(id).or_zero();
            if !followed || self.is_blocked(id, &p.id) || seq == -1.0 || local.strict_eq(seq) {
                continue;
            }
            let id = id.clone();
            let lseq = local.or_zero();
            let other = self.already_replicating(&id, i).is_some();
            let Some(p) = self.peers.get_mut(i) else {
                break;
            };
            let pf = p.feeds.entry(id.clone()).or_default();
            let rep = Rep {
                tx: false,
                rx: !other,
                sent: JsSeq::Null,
                requested: JsSeq::Number(lseq),
            };
            put_rep(&mut p.rep_order, pf, &id, rep);
            put_note(&mut p.notes, pf, &id, JsSeq::Number(lseq), !other);
        }
    }

    /// Notes from `peer` (events.js `notes`): what it has and wants of each feed. For each
    /// entry: its claim is recorded; a feed we do not share is answered `-1` once; a new
    /// feed becomes a Rep and is answered with what we have (asking for it if the peer is
    /// ahead and no other peer sends it); a feed the peer is further ahead on than the peer
    /// we receive it from moves to this peer; if we are ahead, its next message is queued
    /// for reading (the peer asked) or the peer is told what we have.
    ///
    /// A client's first notes from the server also start its side (as `load_peer_clock`
    /// does for a server).
    pub fn handle_notes(&mut self, peer: &str, notes: &Notes, now: u64) -> Result<(), EngineError> {
        let i = self
            .peer_index(peer)
            .ok_or_else(|| EngineError::NotConnected(Arc::from(peer)))?;
        let Some(p) = self.peers.get_mut(i) else {
            return Ok(());
        };
        if !p.clock_loaded {
            return Err(EngineError::ClockNotLoaded(p.id.clone()));
        }
        if !p.replicating {
            p.replicating = true;
            self.start_replication(i);
        }
        let cap = self.entry_cap();
        for (key, note) in notes.iter() {
            let (global, followed, local) = self.feed_info(key);
            let lseq = local.or_zero();
            let shared = followed && !self.is_blocked(key, peer);
            // `isAlreadyReplicating` reads only the other peers, which this entry leaves
            // alone until its very end: ask it first.
            let other = if shared {
                self.already_replicating(key, i)
            } else {
                None
            };
            let other_seq = other
                .and_then(|o| self.peer(o))
                .map(|q| q.clock_of(key).or_zero());
            let Some(p) = self.peers.get_mut(i) else {
                break;
            };
            if !p.feeds.contains_key(key) {
                if !followed && p.feeds.len() >= cap {
                    self.stats.note_entries_dropped =
                        self.stats.note_entries_dropped.saturating_add(1);
                    continue;
                }
                p.feeds.insert(
                    global.unwrap_or_else(|| Arc::from(key)),
                    PeerFeed::default(),
                );
            }
            let Peer {
                feeds,
                notes: pending,
                rep_order,
                retrive,
                ts,
                ..
            } = p;
            let Some((id, pf)) = slot(feeds, key) else {
                continue;
            };
            let id = id.clone();
            let seq = fix_seq(
                pf.clock.unwrap_or(JsSeq::Undefined),
                f64::from(note.sequence),
            );
            pf.clock = Some(seq);
            let seq_n = seq.to_number();
            if !shared {
                if pf.rep.is_none() {
                    put_note(pending, pf, &id, JsSeq::Number(-1.0), false);
                }
                let unshared = Rep {
                    tx: false,
                    rx: false,
                    sent: JsSeq::Number(-1.0),
                    requested: JsSeq::Number(-1.0),
                };
                put_rep(rep_order, pf, &id, unshared);
                continue;
            }
            let mut deactivate = None;
            match pf.rep {
                None => {
                    let rep = Rep {
                        tx: true,
                        rx: true,
                        sent: seq,
                        requested: JsSeq::Number(lseq),
                    };
                    put_rep(rep_order, pf, &id, rep);
                    let rx = lseq < seq_n && other.is_none();
                    put_note(pending, pf, &id, JsSeq::Number(lseq), rx);
                }
                Some(rep) if !rep.rx && seq_n > lseq => match (other, other_seq) {
                    (None, _) => {
                        *ts = Some(now);
                        put_note(pending, pf, &id, JsSeq::Number(lseq), true);
                    }
                    (Some(o), Some(other_seq)) if seq_n > other_seq => {
                        // Move the feed to the peer that is further ahead.
                        *ts = Some(now);
                        put_note(pending, pf, &id, JsSeq::Number(lseq), true);
                        deactivate = Some(o);
                    }
                    _ => {}
                },
                Some(_) => {}
            }
            let rx = match pf.rep.as_mut() {
                Some(rep) => {
                    rep.tx = note.receive;
                    rep.sent = seq;
                    rep.rx
                }
                None => false,
            };
            if lseq > seq_n {
                if note.receive {
                    put_read(retrive, pf, &id);
                } else if note.replicate {
                    put_note(pending, pf, &id, JsSeq::Number(lseq), rx);
                }
            }
            if let Some(q) = deactivate.and_then(|o| self.peers.get_mut(o)) {
                q.set_notes(&id, JsSeq::Number(lseq), false);
            }
        }
        Ok(())
    }

    /// A message from `peer` (events.js `receive`), with its author and sequence as read by
    /// [`classify`](crate::classify). The peer's claim rises to it; if it is new to us and
    /// shared, it is queued for validation ([`poll_validate`](Self::poll_validate)).
    /// Messages for feeds we never asked this peer for are dropped.
    pub fn handle_message(
        &mut self,
        peer: &str,
        author: &str,
        sequence: u64,
        msg: M,
        now: u64,
    ) -> Result<Received, EngineError> {
        let i = self
            .peer_index(peer)
            .ok_or_else(|| EngineError::NotConnected(Arc::from(peer)))?;
        let local = self.local(author);
        let shared = self.is_shared(author, peer);
        let pending_full = self.receive.len() >= self.config.max_pending_validations;
        let author_key = self.intern(author);
        let Some(p) = self.peers.get_mut(i) else {
            return Ok(Received::NotRequested);
        };
        if !p.replicating {
            return Err(EngineError::MessageBeforeNotes(p.id.clone()));
        }
        if sequence > MAX_SEQUENCE {
            return Ok(Received::OutOfRange);
        }
        let seq = sequence as f64;
        let Some(pf) = p.feeds.get_mut(author) else {
            return Ok(Received::NotRequested);
        };
        let Some(rep) = pf.rep.as_mut() else {
            return Ok(Received::NotRequested);
        };
        pf.clock = Some(JsSeq::Number(js_max(
            pf.clock.unwrap_or(JsSeq::Undefined).to_number(),
            seq,
        )));
        rep.sent = JsSeq::Number(js_max(rep.sent.to_number(), seq));
        if local.to_number() >= seq {
            if rep.rx {
                p.set_notes(&author_key, local, false);
            }
            return Ok(Received::AlreadyHave);
        }
        p.ts = Some(now);
        let peer_key = p.id.clone();
        if !shared {
            return Ok(Received::NotShared);
        }
        if pending_full {
            self.stats.messages_dropped = self.stats.messages_dropped.saturating_add(1);
            return Ok(Received::Dropped);
        }
        self.receive.push_back(Pending {
            peer: peer_key,
            author: author_key,
            sequence,
            ts: now,
            msg,
        });
        Ok(Received::Queued)
    }

    /// True while [`Config::max_pending_validations`] messages wait: stop reading peers'
    /// input until [`poll_validate`](Self::poll_validate) made room.
    pub fn validation_queue_full(&self) -> bool {
        self.receive.len() >= self.config.max_pending_validations
    }

    /// The database wrote `msg`, ours or received (events.js `append`, from `ssb-ebt`'s
    /// database hook). Only the next message of a feed moves our clock. Every peer we send
    /// that feed to and that is exactly one behind gets it now (live forwarding); peers
    /// that do not ask for it are told we have more.
    pub fn on_append(&mut self, author: &str, sequence: u64, msg: M) -> Append
    where
        M: Clone,
    {
        if !is_ref_feed_id(author) {
            return Append::NotAFeed;
        }
        if sequence > MAX_SEQUENCE {
            return Append::OutOfRange;
        }
        let seq = sequence as f64;
        if let Some(c) = self.feeds.get(author).and_then(|f| f.clock)
            && c != seq - 1.0
        {
            return Append::OutOfOrder;
        }
        let key = self.intern(author);
        self.feeds.entry(key.clone()).or_default().clock = Some(seq);
        let max = self.config.max_queued_messages;
        for i in 0..self.peers.len() {
            let Some(p) = self.peer(i) else { break };
            if !p.clock_loaded || !p.replicating || !self.is_shared(&key, &p.id) {
                continue;
            }
            let theirs = p.clock_of(&key);
            let rep = p.rep(&key);
            let forward = rep.is_some_and(|r| r.tx && r.sent.strict_eq(seq - 1.0))
                && seq > theirs.to_number();
            let Some(p) = self.peers.get_mut(i) else {
                break;
            };
            if forward {
                if p.msgs.len() >= max {
                    p.queue_read(&key);
                    self.stats.sends_deferred = self.stats.sends_deferred.saturating_add(1);
                } else {
                    p.msgs.push_back(Queued {
                        author: key.clone(),
                        sequence: seq,
                        msg: msg.clone(),
                    });
                    if let Some(r) = p.rep_mut(&key) {
                        r.sent = JsSeq::Number(seq);
                    }
                }
            } else if is_ahead(seq, theirs) && rep.is_none_or(|r| !r.tx && !r.sent.is_nullish()) {
                p.set_notes(&key, JsSeq::Number(seq), false);
            }
        }
        Append::Applied
    }

    /// A read asked for by [`poll_read`](Self::poll_read) answered (events.js `retrive`):
    /// every peer we send `author`'s feed to whose `sent` is one behind gets it, and the
    /// next read is queued while it is still behind us. A peer whose `sent` moved meanwhile
    /// gets nothing (a JS quirk: see `quirks`).
    pub fn on_read(&mut self, author: &str, sequence: u64, msg: M)
    where
        M: Clone,
    {
        let seq = sequence as f64;
        let local = self.local(author).to_number();
        let key = self.intern(author);
        let max = self.config.max_queued_messages;
        for p in &mut self.peers {
            if !p.replicating {
                continue;
            }
            let Some(rep) = p.rep(author) else { continue };
            if !(rep.tx && rep.sent.strict_eq(seq - 1.0)) {
                continue;
            }
            if p.msgs.len() >= max {
                p.queue_read(&key);
                self.stats.sends_deferred = self.stats.sends_deferred.saturating_add(1);
                continue;
            }
            if let Some(r) = p.rep_mut(author) {
                r.sent = JsSeq::Number(seq);
            }
            p.msgs.push_back(Queued {
                author: key.clone(),
                sequence: seq,
                msg: msg.clone(),
            });
            if seq < local {
                p.queue_read(&key);
            }
        }
    }

    /// The timer fired (events.js `timeout`; JS runs it every `timeout` ms). For every peer
    /// that has sent nothing new for longer than [`Config::timeout_ms`], each feed we asked
    /// it for that another peer claims more of is switched: the stalled peer is told to
    /// stop, and the next peer in connection order (wrapping round) that has any claim on
    /// the feed is asked to send it.
    pub fn tick(&mut self, now: u64) {
        let mut want: BTreeMap<Arc<str>, usize> = BTreeMap::new();
        let mut order: Vec<Arc<str>> = Vec::new();
        for pi in 0..self.peers.len() {
            let Some(p) = self.peer(pi) else { break };
            if p.ts.unwrap_or(0).saturating_add(self.config.timeout_ms) >= now {
                continue;
            }
            for k in 0..p.rep_order.len() {
                let Some(p) = self.peer(pi) else { break };
                let Some(id) = p.rep_order.get(k).cloned() else {
                    break;
                };
                if !p.rep(&id).is_some_and(|r| r.rx) || !self.is_available(&id, pi) {
                    continue;
                }
                if want.insert(id.clone(), pi).is_none() {
                    order.push(id.clone());
                }
                let local = self.local(&id);
                if let Some(p) = self.peers.get_mut(pi) {
                    p.set_notes(&id, local, false);
                }
            }
        }
        let n = self.peers.len();
        for id in order {
            let Some(&from) = want.get(&id) else { continue };
            let local = self.local(&id);
            for j in 1..n {
                let next = from.checked_add(j).and_then(|k| k.checked_rem(n));
                let Some(q) = next.and_then(|k| self.peers.get_mut(k)) else {
                    break;
                };
                // `(peer.clock && peer.clock[feed]) || state.clock[feed] < 0`
                let claims = q.clock_of(&id).or_zero() != 0.0 || local.to_number() < 0.0;
                if !claims {
                    continue;
                }
                q.replicating = true;
                if q.rep(&id).is_none() {
                    q.set_rep(
                        &id,
                        Rep {
                            tx: false,
                            rx: true,
                            sent: JsSeq::Number(-1.0),
                            requested: local,
                        },
                    );
                }
                q.set_notes(&id, local, true);
                q.ts = Some(now);
                break;
            }
        }
    }

    /// The next database read to issue (`update()` step 1: every peer's `retrive` queue,
    /// peers in connection order). Reads for a peer whose outgoing queue is full wait.
    #[must_use]
    pub fn poll_read(&mut self) -> Option<ReadRequest> {
        let max = self.config.max_queued_messages;
        for p in &mut self.peers {
            if p.msgs.len() >= max {
                continue;
            }
            while let Some(feed) = p.retrive.pop_front() {
                let Some(pf) = p.feeds.get_mut(&feed) else {
                    continue;
                };
                pf.queued_read = false;
                if let Some(rep) = pf.rep {
                    return Some(ReadRequest {
                        peer: p.id.clone(),
                        feed,
                        sequence: rep.sent.to_number() + 1.0,
                    });
                }
            }
        }
        None
    }

    /// The next received message to validate (`update()` step 2 takes one per event).
    #[must_use]
    pub fn poll_validate(&mut self) -> Option<Validate<M>> {
        let r = self.receive.pop_front()?;
        Some(Validate {
            peer: r.peer,
            author: r.author,
            sequence: r.sequence,
            received_at: r.ts,
            msg: r.msg,
        })
    }

    /// The next thing to write to `peer` while its stream is writable (`stream.js`
    /// `resume`): queued messages in order, then the pending notes; or, if we block the
    /// peer, the end of the session. `None`: nothing to write (or no session).
    #[must_use]
    pub fn poll_transmit(&mut self, peer: &str) -> Option<Transmit<M>> {
        let i = self.peer_index(peer)?;
        let p = self.peers.get_mut(i)?;
        if p.blocked {
            return Some(Transmit::End(self.remove_peer(i)));
        }
        if let Some(q) = p.msgs.pop_front() {
            return Some(Transmit::Message(q.msg));
        }
        p.take_notes().map(Transmit::Notes)
    }

    /// Our latest sequence of `feed`.
    pub fn our_sequence(&self, feed: &str) -> Option<u64> {
        self.local(feed).as_u64()
    }

    /// `progress.js`.
    pub fn progress(&self) -> Progress {
        let mut pr = Progress {
            start: 0.0,
            current: 0.0,
            target: 0.0,
        };
        for p in &self.peers {
            for (id, pf) in &p.feeds {
                let Some(rep) = pf.rep else { continue };
                pr.target += 1.0;
                if !rep.sent.is_nullish() {
                    pr.current += 1.0;
                }
                pr.target += 1.0;
                if !rep.requested.is_nullish() {
                    pr.current += 1.0;
                }
                let seq = p.clock_of(id).to_number();
                let lseq = self.local_or_zero(id);
                let requested = rep.requested.to_number();
                if rep.rx && !rep.requested.is_nullish() && requested > -1.0 && lseq < seq {
                    pr.current += lseq - requested;
                    pr.target += seq - requested;
                }
                if rep.tx && seq > -1.0 && seq < lseq {
                    pr.current += rep.sent.to_number() - seq;
                    pr.target += lseq - seq;
                }
            }
        }
        pr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fix_seq_is_js() {
        let n = JsSeq::Number;
        assert_eq!(fix_seq(JsSeq::Undefined, 5.0), n(5.0));
        assert_eq!(fix_seq(n(-1.0), 5.0), n(5.0));
        assert_eq!(fix_seq(n(5.0), -1.0), n(-1.0));
        assert_eq!(fix_seq(n(5.0), 0.0), n(0.0));
        assert_eq!(fix_seq(n(5.0), 3.0), n(3.0));
        assert_eq!(fix_seq(n(5.0), 7.0), n(7.0));
        assert_eq!(fix_seq(n(5.0), -3.0), n(5.0));
        assert!(fix_seq(n(f64::NAN), 7.0).to_number().is_nan());
        assert_eq!(fix_seq(n(f64::NAN), 0.0), n(0.0));
        assert!(is_ahead(3.0, JsSeq::Undefined));
        assert!(!is_ahead(3.0, n(-1.0)));
        assert!(!is_ahead(3.0, n(f64::NAN)));
    }
}
