//! Validating runs of messages: one feed ([`validate_batch`]) or many interleaved feeds
//! ([`validate_feeds`]), in parallel with the `rayon` feature.
//!
//! # How the batch path stays exact
//!
//! Every message is checked by the same code as [`validate_message`](crate::validate_message),
//! with the state it would have in a sequential run, and every signature is verified on its
//! own with libsodium's cofactorless equation ([`ssb_crypto::PublicKey::verify`]). What is
//! shared across a run is only work that cannot change a verdict: the author's decoded key
//! (decompressed and checked once per run of the same author) and buffers.
//!
//! We deliberately do not use a random-linear-combination batch equation (such as
//! `ed25519_dalek::verify_batch`): it accepts a set of signatures whose individual
//! verification differences are small-order points that cancel out (an author can craft
//! `R` with a torsion component, see the `crafted` vectors), so it can accept messages
//! libsodium rejects. Making it exact needs a prime-order-subgroup test for every `R`,
//! which with `curve25519-dalek`'s public API costs a full scalar multiplication, more than
//! the batch saves. The speed-up therefore comes from parallelism (the `rayon` feature):
//! within one feed, message `i`'s state is the id of message `i - 1`, which is computed
//! (parse, encode, hash) before any signature is checked, so all signatures of a run verify
//! in parallel and the first failure in feed order is reported with exactly the error a
//! sequential run gives.

use ssb_crypto::FeedId;
use ssb_legacy_json::Value;

use crate::validate::{KeyResult, Order, Precheck, Scratch, decide, precheck};
use crate::{FeedError, FeedState, Kvt, Message, SignCap, Validator};

/// The result of validating a run of one feed's messages.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutcome {
    /// The valid messages, in order: every message before the first invalid one.
    pub messages: Vec<Message>,
    /// The feed's state after the last valid message (the input state if none was valid).
    pub state: Option<FeedState>,
    /// The index and error of the first invalid message, if any.
    pub error: Option<(usize, FeedError)>,
}

/// One input item of [`validate_feeds`]: a message value or a KVT, as JSON bytes (parsed in
/// parallel), already parsed, or the reason it could not be read (reported in place).
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// JSON text of a message value or KVT.
    Bytes(Vec<u8>),
    /// A parsed message value or KVT.
    Value(Value),
    /// The item could not be read; it is reported invalid with this error.
    Error(FeedError),
}

#[cfg(feature = "rayon")]
fn map_items<T: Send, R: Send>(
    items: Vec<T>,
    init: impl Fn() -> Scratch + Sync + Send,
    f: impl Fn(T, &mut Scratch) -> R + Sync + Send,
) -> Vec<R> {
    use rayon::prelude::*;
    // Small pieces keep both cores busy without splitting below a useful grain.
    items
        .into_par_iter()
        .with_min_len(16)
        .map_init(init, |s, t| f(t, s))
        .collect()
}

#[cfg(not(feature = "rayon"))]
fn map_items<T, R>(
    items: Vec<T>,
    init: impl Fn() -> Scratch,
    f: impl Fn(T, &mut Scratch) -> R,
) -> Vec<R> {
    let mut scratch = init();
    items.into_iter().map(|t| f(t, &mut scratch)).collect()
}

/// An item with its state-independent checks done.
struct Prepared {
    value: Result<Value, FeedError>,
    key: Option<Value>,
    pre: Option<Precheck>,
    /// The author key it decoded (none known before), for the validator to keep.
    decoded: Option<(ssb_crypto::PublicKey, KeyResult)>,
}

fn prepare(item: Item, cap: &SignCap, scratch: &mut Scratch) -> Prepared {
    let item = match item {
        Item::Bytes(b) => ssb_legacy_json::parse(&b).map_err(FeedError::from),
        Item::Value(v) => Ok(v),
        Item::Error(e) => Err(e),
    };
    let (key, value) = match item {
        Ok(v) => match Kvt::from_value(v) {
            Ok(kvt) => (Some(kvt.key), Ok(kvt.value)),
            Err(v) => (None, Ok(v)),
        },
        Err(e) => (None, Err(e)),
    };
    let pre = value.as_ref().ok().map(|v| precheck(v, cap, scratch));
    let decoded = scratch.take_decoded();
    Prepared {
        value,
        key,
        pre,
        decoded,
    }
}

/// Validates a run of consecutive messages of one feed, starting after `state` (`None`: the
/// run starts at sequence 1). Stops at the first invalid message: everything before it is
/// valid, nothing after it is.
pub fn validate_batch(state: Option<&FeedState>, msgs: &[&[u8]], cap: &SignCap) -> BatchOutcome {
    let prepared = map_items(msgs.to_vec(), Scratch::default, |m, scratch| {
        let value = ssb_legacy_json::parse(m).map_err(FeedError::from);
        let pre = value.as_ref().ok().map(|v| precheck(v, cap, scratch));
        (value, pre)
    });
    let mut out = BatchOutcome {
        messages: Vec::with_capacity(prepared.len()),
        state: state.copied(),
        error: None,
    };
    for (i, (value, pre)) in prepared.into_iter().enumerate() {
        let r = value.and_then(|v| {
            let pre = pre.ok_or(FeedError::NotAnObject)?;
            let c = decide(Order::InOrder(out.state.as_ref()), &v, pre)?;
            Ok(Message::from_checked(v, c))
        });
        match r {
            Ok(m) => {
                out.state = Some(m.state());
                out.messages.push(m);
            }
            Err(e) => {
                out.error = Some((i, e));
                break;
            }
        }
    }
    out
}

/// Validates interleaved messages of many authors, in input order, exactly as a sequence of
/// `append`s on `validator` would (with `partial`, an author's messages are checked on their
/// own, out of order, until one becomes its state). Items may be message values or KVTs
/// (whose key must then be the id). Returns one result per item, in input order.
///
/// The state-independent work (shape, encoding, id, signature) is done first, in parallel
/// with the `rayon` feature; the state checks are then applied in input order. The results
/// are identical to the sequential ones.
pub fn validate_feeds(
    validator: &mut Validator,
    items: Vec<Item>,
    partial: bool,
) -> Vec<Result<Message, FeedError>> {
    let cap = *validator.sign_cap();
    let known = validator.known_keys();
    let prepared = map_items(
        items,
        || Scratch::with_known(std::sync::Arc::clone(&known)),
        |item, scratch| prepare(item, &cap, scratch),
    );
    drop(known);
    prepared
        .into_iter()
        .map(|mut p| {
            if let Some((pk, vk)) = p.decoded.take() {
                validator.remember_key(pk, vk);
            }
            let value = p.value?;
            let pre = p.pre.ok_or(FeedError::NotAnObject)?;
            // JS looks the state up by the author string; only a feed id can have one.
            let author = value
                .get("author")
                .and_then(Value::as_str)
                .and_then(|a| a.parse::<FeedId>().ok());
            let state = author.and_then(|a| validator.state(&a).copied());
            let order = match (partial, state.as_ref()) {
                (true, None) => Order::OutOfOrder,
                (_, s) => Order::InOrder(s),
            };
            let c = decide(order, &value, pre)?;
            check_key(&c, p.key.as_ref())?;
            let m = Message::from_checked(value, c);
            validator.set_state(m.author(), m.state());
            Ok(m)
        })
        .collect()
}

fn check_key(c: &crate::validate::Checked, key: Option<&Value>) -> Result<(), FeedError> {
    let Some(k) = key else { return Ok(()) };
    let computed = c.id.to_string();
    if k.as_str() == Some(computed.as_str()) {
        Ok(())
    } else {
        Err(FeedError::KeyMismatch {
            claimed: k
                .as_str()
                .map_or_else(|| k.to_compact_string(), str::to_owned),
            computed,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use ssb_crypto::Keypair;

    use super::*;
    use crate::create_message;

    /// Three authors' messages interleaved as a peer sends them, one with a broken
    /// signature and one author key that cannot verify, validated in three batches on one
    /// validator (the later batches reuse the keys the first decoded): exactly the verdicts
    /// and states of one `append` after another.
    #[test]
    fn batches_on_one_validator_keep_the_sequential_verdicts() {
        let cap = SignCap::None;
        let authors: Vec<Keypair> = (1..=3u8).map(|i| Keypair::from_seed(&[i; 32])).collect();
        let mut feeds: Vec<Vec<String>> = Vec::new();
        for keys in &authors {
            let mut state = None;
            let mut feed = Vec::new();
            for i in 0..6 {
                let content =
                    ssb_legacy_json::parse(format!("{{\"type\":\"post\",\"i\":{i}}}").as_bytes())
                        .unwrap();
                let m = create_message(keys, state.as_ref(), content, 1e12 + f64::from(i), &cap)
                    .unwrap();
                state = Some(m.state());
                feed.push(m.value().to_compact_string());
            }
            feeds.push(feed);
        }
        // Message 4 of author 2 with another signature (its own, of message 3).
        let sig = |t: &str| t[t.find("\"signature\"").unwrap()..].to_owned();
        let forged = feeds[1][3].replace(&sig(&feeds[1][3]), &sig(&feeds[1][2]));
        assert_ne!(forged, feeds[1][3]);
        feeds[1][3] = forged;
        // An author whose key is a small-order point: every message refused.
        let small = "@AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=.ed25519";
        let bad_author = feeds[2][0].replace(&authors[2].feed_id().to_string(), small);
        let mut items: Vec<String> = Vec::new();
        for i in 0..6 {
            for f in &feeds {
                items.push(f[i].clone());
            }
            items.push(bad_author.clone());
        }
        let mut sequential = Validator::new(cap);
        let want: Vec<_> = items
            .iter()
            .map(|t| sequential.append(t.as_bytes()))
            .collect();
        let mut batched = Validator::new(cap);
        let mut got = Vec::new();
        for chunk in items.chunks(9) {
            let chunk = chunk
                .iter()
                .map(|t| Item::Bytes(t.clone().into_bytes()))
                .collect();
            got.extend(validate_feeds(&mut batched, chunk, false));
        }
        assert_eq!(got, want);
        assert!(batched.known_keys().len() >= 3, "the keys are kept");
        for keys in &authors {
            assert_eq!(
                batched.state(&keys.feed_id()),
                sequential.state(&keys.feed_id())
            );
        }
        assert_eq!(want.iter().filter(|r| r.is_ok()).count(), 6 + 3 + 6);
    }
}
