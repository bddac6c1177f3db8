//! The per-peer state of `events.js` (`state.peers[id]`) and the per-feed entries of ours.
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::Arc;
use alloc::vec::Vec;

use ssb_feed::is_ref_feed_id;

use super::{Rep, Role};
use crate::clock::{PeerClock, StoredClock};
use crate::js::JsSeq;
use crate::note::{OutgoingNotes, encode_js};

#[derive(Debug, Default)]
pub(super) struct FeedEntry {
    /// `state.clock[feed]`.
    pub(super) clock: Option<f64>,
    /// `state.follows[feed]`.
    pub(super) follow: Option<bool>,
}

#[derive(Debug, Default)]
pub(super) struct PeerFeed {
    /// `peer.clock[feed]` (absent: `None`).
    pub(super) clock: Option<JsSeq>,
    /// `peer.replicating[feed]`.
    pub(super) rep: Option<Rep>,
    /// Index of this feed's entry in `peer.notes`.
    pub(super) note: Option<usize>,
    /// The feed is in `peer.retrive`.
    pub(super) queued_read: bool,
}

#[derive(Debug)]
pub(super) struct Queued<M> {
    pub(super) author: Arc<str>,
    pub(super) sequence: f64,
    pub(super) msg: M,
}

#[derive(Debug)]
pub(super) struct Pending<M> {
    pub(super) peer: Arc<str>,
    pub(super) author: Arc<str>,
    pub(super) sequence: u64,
    pub(super) ts: u64,
    pub(super) msg: M,
}

#[derive(Debug)]
pub(super) struct Peer<M> {
    pub(super) id: Arc<str>,
    pub(super) blocked: bool,
    pub(super) client: bool,
    /// `peer.clock !== null`.
    pub(super) clock_loaded: bool,
    /// `peer.replicating !== null`.
    pub(super) replicating: bool,
    pub(super) feeds: BTreeMap<Arc<str>, PeerFeed>,
    /// The keys of `peer.replicating` in insertion order (Reps are never deleted).
    pub(super) rep_order: Vec<Arc<str>>,
    pub(super) msgs: VecDeque<Queued<M>>,
    pub(super) retrive: VecDeque<Arc<str>>,
    pub(super) notes: Option<Vec<(Arc<str>, i32)>>,
    pub(super) ts: Option<u64>,
}

impl<M> Peer<M> {
    pub(super) fn new(id: Arc<str>, role: Role, blocked: bool) -> Self {
        Self {
            id,
            blocked,
            client: role == Role::Client,
            clock_loaded: false,
            replicating: role == Role::Server,
            feeds: BTreeMap::new(),
            rep_order: Vec::new(),
            msgs: VecDeque::new(),
            retrive: VecDeque::new(),
            notes: None,
            ts: None,
        }
    }

    /// `peer.clock[feed]` (`undefined` when absent or when no clock is loaded).
    pub(super) fn clock_of(&self, feed: &str) -> JsSeq {
        self.feeds
            .get(feed)
            .and_then(|f| f.clock)
            .unwrap_or(JsSeq::Undefined)
    }

    pub(super) fn rep(&self, feed: &str) -> Option<Rep> {
        self.feeds.get(feed).and_then(|f| f.rep)
    }

    pub(super) fn rep_mut(&mut self, feed: &str) -> Option<&mut Rep> {
        self.feeds.get_mut(feed).and_then(|f| f.rep.as_mut())
    }

    pub(super) fn set_rep(&mut self, feed: &Arc<str>, rep: Rep) {
        let pf = self.feeds.entry(feed.clone()).or_default();
        put_rep(&mut self.rep_order, pf, feed, rep);
    }

    /// events.js `setNotes`.
    pub(super) fn set_notes(&mut self, feed: &Arc<str>, seq: JsSeq, rx: bool) {
        let pf = self.feeds.entry(feed.clone()).or_default();
        put_note(&mut self.notes, pf, feed, seq, rx);
    }

    pub(super) fn note_of(&self, feed: &str) -> Option<i32> {
        let i = self.feeds.get(feed)?.note?;
        self.notes.as_ref()?.get(i).map(|(_, n)| *n)
    }

    pub(super) fn queue_read(&mut self, feed: &Arc<str>) {
        let pf = self.feeds.entry(feed.clone()).or_default();
        put_read(&mut self.retrive, pf, feed);
    }

    pub(super) fn take_notes(&mut self) -> Option<OutgoingNotes> {
        let entries = self.notes.take()?;
        for (k, _) in &entries {
            if let Some(pf) = self.feeds.get_mut(k) {
                pf.note = None;
            }
        }
        Some(OutgoingNotes { entries })
    }

    pub(super) fn stored_clock(&self) -> StoredClock {
        StoredClock {
            peer: self.id.clone(),
            clock: self.clock_loaded.then(|| PeerClock {
                entries: self
                    .feeds
                    .iter()
                    .filter(|(k, _)| is_ref_feed_id(k))
                    .filter_map(|(k, f)| Some((k.clone(), f.clock?)))
                    .collect(),
            }),
        }
    }
}

/// Sets the Rep of `feed` (`pf` is its entry), recording a new one in `order`.
pub(super) fn put_rep(order: &mut Vec<Arc<str>>, pf: &mut PeerFeed, feed: &Arc<str>, rep: Rep) {
    if pf.rep.is_none() {
        order.push(feed.clone());
    }
    pf.rep = Some(rep);
}

/// events.js `setNotes` on the entry `pf` of `feed`: the pending note (a feed keeps its
/// first place), and the Rep's `rx` and `requested`.
pub(super) fn put_note(
    notes: &mut Option<Vec<(Arc<str>, i32)>>,
    pf: &mut PeerFeed,
    feed: &Arc<str>,
    seq: JsSeq,
    rx: bool,
) {
    let note = encode_js(seq, rx);
    let notes = notes.get_or_insert_with(Vec::new);
    match pf.note.and_then(|i| notes.get_mut(i)) {
        Some((_, n)) => *n = note,
        None => {
            pf.note = Some(notes.len());
            notes.push((feed.clone(), note));
        }
    }
    if let Some(rep) = pf.rep.as_mut() {
        rep.rx = rx;
        rep.requested = seq;
    }
}

/// Pushes `feed` on `peer.retrive` unless it is there already (policy: JS's `notes()`
/// pushes duplicates; the second read can only be dropped).
pub(super) fn put_read(retrive: &mut VecDeque<Arc<str>>, pf: &mut PeerFeed, feed: &Arc<str>) {
    if !pf.queued_read {
        pf.queued_read = true;
        retrive.push_back(feed.clone());
    }
}

/// The entry of `feed` in a peer's `feeds`, with its key (one lookup).
pub(super) fn slot<'a>(
    feeds: &'a mut BTreeMap<Arc<str>, PeerFeed>,
    feed: &str,
) -> Option<(&'a Arc<str>, &'a mut PeerFeed)> {
    use core::ops::Bound::Included;
    feeds
        .range_mut::<str, _>((Included(feed), Included(feed)))
        .next()
}
