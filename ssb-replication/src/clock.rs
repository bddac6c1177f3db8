//! Vector clocks: what a peer has of each feed, as stored between sessions.
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::JsSeq;

/// A peer's clock (feed id → the sequence we know the peer has, `-1` for a feed it does not
/// replicate), as the engine hands it out when a session ends and takes it back when the
/// next session with that peer starts ([`Engine::load_peer_clock`](crate::Engine::load_peer_clock)).
///
/// JS keeps this object in memory between sessions and writes it as JSON to
/// `config.path/ebt/<peer>`; entries can be `NaN` in memory (a quirk, see `quirks`), which
/// JSON writes as `null`. [`PeerClock::to_json`] and [`PeerClock::from_json`] are that file
/// format. Only feed ids (`ssb-ref`'s `isFeedId`) are kept, as `ssb-ebt` cleans every clock
/// it loads or stores.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeerClock {
    pub(crate) entries: Vec<(Arc<str>, JsSeq)>,
}

impl PeerClock {
    /// An empty clock (what `ssb-ebt` uses for a peer it has no file for).
    pub fn new() -> Self {
        Self::default()
    }

    /// A clock from `(feed, sequence)` pairs; entries whose key is not a feed id are dropped.
    pub fn from_entries<K: AsRef<str>>(entries: impl IntoIterator<Item = (K, JsSeq)>) -> Self {
        let mut c = Self::new();
        for (k, v) in entries {
            c.set(k.as_ref(), v);
        }
        c
    }

    /// Sets one entry (ignored unless `feed` is a feed id); a later value for the same feed
    /// replaces the earlier one in place.
    pub fn set(&mut self, feed: &str, value: JsSeq) {
        if !ssb_feed::is_ref_feed_id(feed) {
            return;
        }
        match self.entries.iter_mut().find(|(k, _)| &**k == feed) {
            Some((_, v)) => *v = value,
            None => self.entries.push((Arc::from(feed), value)),
        }
    }

    /// Reads the stored JSON form: an object of feed ids to numbers (`null` for a value
    /// that was `NaN`). Keys that are not feed ids and values that are neither numbers nor
    /// `null` (which no engine writes) are skipped; anything but an object is an empty
    /// clock.
    pub fn from_json(value: &serde_json::Value) -> Self {
        let mut c = Self::new();
        if let Some(o) = value.as_object() {
            for (k, v) in o {
                match v {
                    serde_json::Value::Number(n) => {
                        c.set(k, JsSeq::Number(n.as_f64().unwrap_or(f64::NAN)));
                    }
                    serde_json::Value::Null => c.set(k, JsSeq::Null),
                    _ => {}
                }
            }
        }
        c
    }

    /// The JSON form `JSON.stringify` writes: `NaN` and the infinities as `null`, integers
    /// without a fraction, `undefined` entries left out.
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for (k, v) in &self.entries {
            let j = match *v {
                JsSeq::Undefined => continue,
                JsSeq::Null => serde_json::Value::Null,
                JsSeq::Number(n) => number_to_json(n),
            };
            m.insert(String::from(&**k), j);
        }
        serde_json::Value::Object(m)
    }

    /// The entries, in the order they were set.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, JsSeq)> + '_ {
        self.entries.iter().map(|(k, v)| (&**k, *v))
    }

    /// The entry for `feed`.
    pub fn get(&self, feed: &str) -> Option<JsSeq> {
        self.entries
            .iter()
            .find(|(k, _)| &**k == feed)
            .map(|(_, v)| *v)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A JS number as `JSON.stringify` writes it, as a `serde_json` value: integers as
/// integers, other finite numbers as floats, `NaN` and the infinities as `null`.
pub(crate) fn number_to_json(n: f64) -> serde_json::Value {
    if !n.is_finite() {
        serde_json::Value::Null
    } else if n.fract() == 0.0 && n.abs() < 9.2e18 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

/// A peer's clock at the end of a session: store it and give it back to
/// [`Engine::load_peer_clock`](crate::Engine::load_peer_clock) when the peer next connects.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredClock {
    /// The peer.
    pub peer: Arc<str>,
    /// Its clock as far as we learned it, or `None` if the session ended before its stored
    /// clock was loaded (JS stores `null`, which reads back as an empty clock).
    pub clock: Option<PeerClock>,
}
