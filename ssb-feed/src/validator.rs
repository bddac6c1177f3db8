//! The multi-author validator: one [`FeedState`] per author, as `ssb-validate` keeps.

use std::collections::HashMap;

use ssb_crypto::FeedId;
use ssb_legacy_json::Value;

use std::sync::Arc;

use ssb_crypto::PublicKey;

use crate::validate::{KeyMap, KeyResult, Order, Scratch, check};
use crate::{FeedError, FeedState, Kvt, Message, SignCap};

/// Validates messages of any number of interleaved authors, keeping the state of each
/// author's feed. Memory grows with the number of authors, not of messages. An invalid
/// message does not change any state, as in JS.
///
/// ```
/// use ssb_crypto::Keypair;
/// use ssb_feed::{SignCap, Validator, create_message};
/// use ssb_legacy_json::Value;
///
/// let keys = Keypair::from_seed(&[1; 32]);
/// let content = ssb_legacy_json::parse(br#"{"type":"post","text":"hi"}"#).unwrap();
/// let m1 = create_message(&keys, None, content.clone(), 1.0, &SignCap::None).unwrap();
/// let m2 = create_message(&keys, Some(&m1.state()), content, 2.0, &SignCap::None).unwrap();
///
/// let mut v = Validator::new(SignCap::None);
/// assert_eq!(v.append(m1.to_signing_string().as_bytes()).unwrap().id(), m1.id());
/// assert_eq!(v.append(m2.to_signing_string().as_bytes()).unwrap().sequence(), 2);
/// // Appending the same message again is a sequence error; the state is unchanged.
/// let err = v.append(m2.to_signing_string().as_bytes()).unwrap_err();
/// assert_eq!(err.code(), "sequence_mismatch");
/// assert_eq!(v.state(&keys.feed_id()).unwrap().sequence, 2);
/// ```
pub struct Validator {
    cap: SignCap,
    feeds: HashMap<FeedId, FeedState>,
    scratch: Scratch,
    /// Author keys decoded by [`validate_feeds`](crate::validate_feeds), so that a later
    /// batch does not decode them again (at most [`MAX_KNOWN_KEYS`]).
    keys: Arc<KeyMap>,
}

/// Decoded author keys a [`Validator`] keeps between batches of
/// [`validate_feeds`](crate::validate_feeds) (about 200 bytes each); when full it starts
/// over. Decoding a key costs about a third of a signature check, so a batch of
/// interleaved authors (messages as a peer sends them) decodes each author once, not once
/// per message.
pub const MAX_KNOWN_KEYS: usize = 4096;

impl Validator {
    /// The keys decoded so far, shared with a batch's workers.
    pub(crate) fn known_keys(&self) -> Arc<KeyMap> {
        Arc::clone(&self.keys)
    }

    /// Keeps a key a batch decoded (the batch's workers no longer hold the map).
    pub(crate) fn remember_key(&mut self, pk: PublicKey, vk: KeyResult) {
        let keys = Arc::make_mut(&mut self.keys);
        if keys.len() >= MAX_KNOWN_KEYS {
            keys.clear();
        }
        keys.insert(pk, vk);
    }

    /// A validator with no known feeds.
    pub fn new(cap: SignCap) -> Self {
        Self {
            cap,
            feeds: HashMap::new(),
            scratch: Scratch::default(),
            keys: Arc::default(),
        }
    }

    /// The signing capability in use.
    pub fn sign_cap(&self) -> &SignCap {
        &self.cap
    }

    /// The state of an author's feed, if any of its messages was accepted.
    pub fn state(&self, author: &FeedId) -> Option<&FeedState> {
        self.feeds.get(author)
    }

    /// Sets (or replaces) an author's state, e.g. from storage.
    pub fn set_state(&mut self, author: FeedId, state: FeedState) {
        self.feeds.insert(author, state);
    }

    /// Number of authors with a state.
    pub fn authors(&self) -> usize {
        self.feeds.len()
    }

    /// `ssb-validate`'s `append`: the message must follow its author's last message, or be
    /// sequence 1 of a new feed.
    pub fn append(&mut self, raw: &[u8]) -> Result<Message, FeedError> {
        let value = ssb_legacy_json::parse(raw)?;
        self.append_value(value)
    }

    /// [`append`](Self::append) for a parsed value.
    pub fn append_value(&mut self, value: Value) -> Result<Message, FeedError> {
        let state = self.lookup(&value);
        let c = check(
            Order::InOrder(state.as_ref()),
            &value,
            &self.cap,
            &mut self.scratch,
        )?;
        let m = Message::from_checked(value, c);
        self.feeds.insert(m.author(), m.state());
        Ok(m)
    }

    /// `ssb-validate`'s `appendOOO`: checks the message on its own; it becomes its author's
    /// state only if the author had none.
    pub fn append_ooo(&mut self, raw: &[u8]) -> Result<Message, FeedError> {
        let value = ssb_legacy_json::parse(raw)?;
        self.append_ooo_value(value)
    }

    /// [`append_ooo`](Self::append_ooo) for a parsed value.
    pub fn append_ooo_value(&mut self, value: Value) -> Result<Message, FeedError> {
        let c = check(Order::OutOfOrder, &value, &self.cap, &mut self.scratch)?;
        let m = Message::from_checked(value, c);
        self.feeds.entry(m.author()).or_insert_with(|| m.state());
        Ok(m)
    }

    /// For partial feeds: an author's first message seen is checked on its own (out of order)
    /// and becomes its state; later ones are appended in order.
    pub fn append_partial_value(&mut self, value: Value) -> Result<Message, FeedError> {
        if self.lookup(&value).is_some() {
            self.append_value(value)
        } else {
            self.append_ooo_value(value)
        }
    }

    /// Validates a KVT: its value as [`append_value`](Self::append_value) (or, with
    /// `partial`, [`append_partial_value`](Self::append_partial_value)) and its key against
    /// the computed id. The state advances only if both hold.
    pub fn append_kvt(&mut self, kvt: Kvt, partial: bool) -> Result<Message, FeedError> {
        let state = self.lookup(&kvt.value);
        let order = match (partial, state.as_ref()) {
            (true, None) => Order::OutOfOrder,
            (_, s) => Order::InOrder(s),
        };
        let c = check(order, &kvt.value, &self.cap, &mut self.scratch)?;
        let m = Message::from_checked(kvt.value, c);
        let computed = m.id().to_string();
        if kvt.key.as_str() != Some(computed.as_str()) {
            return Err(FeedError::KeyMismatch {
                claimed: kvt
                    .key
                    .as_str()
                    .map_or_else(|| kvt.key.to_compact_string(), str::to_owned),
                computed,
            });
        }
        self.feeds.insert(m.author(), m.state());
        Ok(m)
    }

    /// JS looks the state up by `msg.author` as given; only a valid feed id can have one.
    fn lookup(&self, value: &Value) -> Option<FeedState> {
        let author: FeedId = value.get("author")?.as_str()?.parse().ok()?;
        self.feeds.get(&author).copied()
    }
}
