//! What the engine knows, for applications ([`FeedStatus`]) and for conformance and
//! debugging ([`Snapshot`], field for field the state of `events.js`).

#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::{Engine, Progress, Rep};
use crate::JsSeq;

/// Everything the engine holds, in the shape of `events.js`'s state (the `ebt-oracle.js`
/// dump of `docs/EBT-NOTES.md` §13 is this, written as JSON). Owned copies: cheap enough for
/// tests and status pages, not for every event.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// `state.clock`: our latest sequence per feed.
    pub clock: Vec<(Arc<str>, f64)>,
    /// `state.follows`, in the order feeds were first followed (`false`: unfollowed).
    pub follows: Vec<(Arc<str>, bool)>,
    /// `state.blocks`: each author and the peers it blocks.
    pub blocks: Vec<(Arc<str>, Vec<Arc<str>>)>,
    /// `state.peers`, in connection order.
    pub peers: Vec<PeerSnapshot>,
    /// `state.receive`: messages waiting for validation, `(peer, author, sequence,
    /// received_at)`.
    pub receive: Vec<(Arc<str>, Arc<str>, u64, u64)>,
    /// `progress.js` of this state.
    pub progress: Progress,
}

/// One peer of a [`Snapshot`] (events.js's PeerState, without the unread `recvNotes`).
#[derive(Debug, Clone, PartialEq)]
pub struct PeerSnapshot {
    /// The peer's id.
    pub id: Arc<str>,
    /// We block it: its session ends at the next write.
    pub blocked: bool,
    /// We dialled it.
    pub client: bool,
    /// `peer.clock`: what we know it has (`None` until its stored clock is loaded).
    pub clock: Option<Vec<(Arc<str>, JsSeq)>>,
    /// `peer.msgs`: messages queued for it, `(author, sequence)`.
    pub msgs: Vec<(Arc<str>, f64)>,
    /// `peer.notes`: the notes to write next, in insertion order (`None`: nothing pending;
    /// `Some(empty)`: the `{}` a session starts with).
    pub notes: Option<Vec<(Arc<str>, i32)>>,
    /// `peer.replicating`, in insertion order (`None`: a client still waiting for the
    /// server's notes).
    pub replicating: Option<Vec<(Arc<str>, Rep)>>,
    /// `peer.retrive`: feeds whose next message must be read for it.
    pub retrive: Vec<Arc<str>>,
    /// `peer.ts`: when it last sent something new to us or was switched to.
    pub ts: Option<u64>,
}

/// How one feed replicates with every connected peer ([`Engine::feed_status`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FeedStatus {
    /// Our latest sequence.
    pub our_sequence: Option<u64>,
    /// Whether we follow the feed.
    pub followed: bool,
    /// One entry per connected peer, in connection order.
    pub peers: Vec<PeerFeedStatus>,
}

/// One feed with one peer.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerFeedStatus {
    /// The peer.
    pub peer: Arc<str>,
    /// What the peer claims to have (`undefined`: nothing known; `-1`: it does not
    /// replicate the feed).
    pub claimed: JsSeq,
    /// What we agreed with it (`None`: nothing yet, e.g. the feed did not change since the
    /// last session).
    pub rep: Option<Rep>,
    /// Whether we receive the feed from it, and if not why.
    pub receiving: Receiving,
}

/// Whether we receive a feed from a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receiving {
    /// We asked this peer to send the feed (at most one peer at a time is asked).
    Yes {
        /// When the peer last sent a message new to us (or the feed was switched to it).
        last_progress: Option<u64>,
        /// Set when nothing new came for longer than the timeout: the time of the last
        /// progress (0 if none). [`Engine::tick`] then moves the feed to a peer that claims
        /// more, if there is one.
        stalled_since: Option<u64>,
    },
    /// We do not.
    No(NotReceiving),
}

/// Why we do not receive a feed from a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotReceiving {
    /// The peer's stored clock is not loaded yet.
    WaitingForClock,
    /// We dialled the peer and wait for its first notes.
    WaitingForServerNotes,
    /// We block the peer; its session ends at the next write.
    PeerBlocked,
    /// We do not follow the feed.
    NotFollowed,
    /// The feed's author blocks the peer (also after a fatal validation error:
    /// [`Engine::on_invalid`]).
    AuthorBlocksPeer,
    /// The peer said it does not replicate the feed (`-1`).
    PeerDoesNotReplicate,
    /// The peer claims no more than we have.
    UpToDate,
    /// Another peer sends it.
    FromOtherPeer(Arc<str>),
    /// The peer claims more, but it was not asked (yet): a timeout may switch to it.
    NotRequested,
}

impl<M> Engine<M> {
    /// A copy of the whole state, in the shape of `events.js`'s (see [`Snapshot`]).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            clock: self
                .feeds
                .iter()
                .filter_map(|(k, f)| Some((k.clone(), f.clock?)))
                .collect(),
            follows: self
                .follow_order
                .iter()
                .map(|k| (k.clone(), self.is_followed(k)))
                .collect(),
            blocks: self
                .blocks
                .iter()
                .map(|(k, s)| (k.clone(), s.iter().cloned().collect()))
                .collect(),
            peers: self
                .peers
                .iter()
                .map(|p| PeerSnapshot {
                    id: p.id.clone(),
                    blocked: p.blocked,
                    client: p.client,
                    clock: p.clock_loaded.then(|| {
                        p.feeds
                            .iter()
                            .filter_map(|(k, f)| Some((k.clone(), f.clock?)))
                            .collect()
                    }),
                    msgs: p
                        .msgs
                        .iter()
                        .map(|q| (q.author.clone(), q.sequence))
                        .collect(),
                    notes: p.notes.clone(),
                    replicating: p.replicating.then(|| {
                        p.rep_order
                            .iter()
                            .filter_map(|k| Some((k.clone(), p.rep(k)?)))
                            .collect()
                    }),
                    retrive: p.retrive.iter().cloned().collect(),
                    ts: p.ts,
                })
                .collect(),
            receive: self
                .receive
                .iter()
                .map(|r| (r.peer.clone(), r.author.clone(), r.sequence, r.ts))
                .collect(),
            progress: self.progress(),
        }
    }

    /// How `feed` replicates with each connected peer at time `now` (`ebt.peerStatus`,
    /// with the reason when a peer does not send it to us).
    pub fn feed_status(&self, feed: &str, now: u64) -> FeedStatus {
        let followed = self.is_followed(feed);
        let ours = self.local_or_zero(feed);
        let peers = self
            .peers
            .iter()
            .map(|p| {
                let claimed = p.clock_of(feed);
                let rep = p.rep(feed);
                let no = |why| Receiving::No(why);
                let receiving = if !p.clock_loaded {
                    no(NotReceiving::WaitingForClock)
                } else if !p.replicating {
                    no(NotReceiving::WaitingForServerNotes)
                } else if p.blocked {
                    no(NotReceiving::PeerBlocked)
                } else if !followed {
                    no(NotReceiving::NotFollowed)
                } else if self.is_blocked(feed, &p.id) {
                    no(NotReceiving::AuthorBlocksPeer)
                } else if claimed.strict_eq(-1.0) {
                    no(NotReceiving::PeerDoesNotReplicate)
                } else if rep.is_some_and(|r| r.rx) {
                    let since = p.ts.unwrap_or(0);
                    Receiving::Yes {
                        last_progress: p.ts,
                        stalled_since: (since.saturating_add(self.config.timeout_ms) < now)
                            .then_some(since),
                    }
                } else if claimed.or_zero() <= ours {
                    no(NotReceiving::UpToDate)
                } else if let Some(q) = self
                    .peers
                    .iter()
                    .find(|q| q.id != p.id && q.rep(feed).is_some_and(|r| r.rx))
                {
                    no(NotReceiving::FromOtherPeer(q.id.clone()))
                } else {
                    no(NotReceiving::NotRequested)
                };
                PeerFeedStatus {
                    peer: p.id.clone(),
                    claimed,
                    rep,
                    receiving,
                }
            })
            .collect();
        FeedStatus {
            our_sequence: self.our_sequence(feed),
            followed,
            peers,
        }
    }

    /// Messages queued for `peer` (`None`: no session).
    pub fn queued_messages(&self, peer: &str) -> Option<usize> {
        self.peers
            .iter()
            .find(|p| &*p.id == peer)
            .map(|p| p.msgs.len())
    }

    /// Messages waiting for validation.
    pub fn pending_validations(&self) -> usize {
        self.receive.len()
    }
}
