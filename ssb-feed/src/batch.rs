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

use std::collections::HashMap;

use ssb_crypto::FeedId;
use ssb_legacy_json::Value;

use crate::validate::{Order, Scratch, check};
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

/// The state a value would leave behind if valid: its legacy id and sequence (no signature
/// work).
fn link_state(v: &Value) -> Option<FeedState> {
    let seq = v.get("sequence")?.as_f64()?;
    let summary = v.signing().legacy_summary();
    Some(FeedState {
        id: ssb_crypto::MsgId(summary.legacy_sha256),
        sequence: seq as i64,
        timestamp: v
            .get("timestamp")
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN),
    })
}

/// One author's items of a chunk: input positions, values and KVT keys.
#[derive(Default)]
struct AuthorItems {
    indices: Vec<usize>,
    values: Vec<Item>,
    keys: Vec<Option<Value>>,
}

/// One input item: a message value (or KVT), already parsed, or the parse error.
pub type Item = Result<Value, FeedError>;

#[cfg(feature = "rayon")]
fn map_items<T: Send, R: Send>(
    items: Vec<T>,
    f: impl Fn(T, &mut Scratch) -> R + Sync + Send,
) -> Vec<R> {
    use rayon::prelude::*;
    items
        .into_par_iter()
        .map_init(Scratch::default, |s, t| f(t, s))
        .collect()
}

#[cfg(not(feature = "rayon"))]
fn map_items<T, R>(items: Vec<T>, f: impl Fn(T, &mut Scratch) -> R) -> Vec<R> {
    let mut scratch = Scratch::default();
    items.into_iter().map(|t| f(t, &mut scratch)).collect()
}

/// Checks `vals[..]` of one author as if each one's predecessor in the slice were valid
/// (message `j` sees the link state of message `j - 1`, the first one sees `state`). Up to
/// and including the first error, the results are exactly the sequential ones.
fn check_window(
    state: Option<&FeedState>,
    vals: &[Item],
    keys: &[Option<Value>],
    cap: &SignCap,
    partial: bool,
) -> Vec<Result<crate::validate::Checked, FeedError>> {
    let mut prev = state.copied();
    let mut jobs = Vec::with_capacity(vals.len());
    for (v, k) in vals.iter().zip(keys) {
        jobs.push((v, k, prev));
        prev = v.as_ref().ok().and_then(link_state);
    }
    map_items(jobs, |(v, key, s), scratch| {
        let v = v.as_ref().map_err(Clone::clone)?;
        let order = match (partial, s.as_ref()) {
            (true, None) => Order::OutOfOrder,
            (_, s) => Order::InOrder(s),
        };
        let c = check(order, v, cap, scratch)?;
        check_key(&c, key.as_ref())?;
        Ok(c)
    })
}

/// One author's items in input order, with exact sequential semantics (an invalid message
/// leaves the state unchanged and the next ones are judged against it). Runs are checked a
/// window at a time: the whole rest optimistically, and after an error a window that starts
/// at one message and doubles after every clean window, so the work wasted on messages
/// checked against a state that turned out wrong is at most about the useful work.
fn run_author(
    mut state: Option<FeedState>,
    mut vals: Vec<Item>,
    keys: Vec<Option<Value>>,
    cap: &SignCap,
    partial: bool,
) -> (Vec<Result<Message, FeedError>>, Option<FeedState>) {
    let n = vals.len();
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    let mut window = n.max(1);
    while i < n {
        let end = n.min(i + window);
        let results = check_window(state.as_ref(), &vals[i..end], &keys[i..end], cap, partial);
        let mut clean = true;
        for (j, r) in results.into_iter().enumerate() {
            let at = i + j;
            match r {
                Ok(c) => {
                    let v = core::mem::take(vals[at].as_mut().unwrap_or(&mut Value::Null));
                    let m = Message::from_checked(v, c);
                    state = Some(m.state());
                    out.push(Ok(m));
                }
                Err(e) => {
                    out.push(Err(e));
                    clean = false;
                    break;
                }
            }
        }
        i = out.len();
        window = if clean { window.saturating_mul(2) } else { 1 };
    }
    (out, state)
}

fn parse_all(msgs: &[&[u8]]) -> Vec<Item> {
    map_items(msgs.to_vec(), |m, _| {
        ssb_legacy_json::parse(m).map_err(FeedError::from)
    })
}

/// Validates a run of consecutive messages of one feed, starting after `state` (`None`: the
/// run starts at sequence 1). Stops at the first invalid message: everything before it is
/// valid, nothing after it is.
pub fn validate_batch(state: Option<&FeedState>, msgs: &[&[u8]], cap: &SignCap) -> BatchOutcome {
    let mut vals = parse_all(msgs);
    let keys = vec![None; vals.len()];
    let results = check_window(state, &vals, &keys, cap, false);
    let mut out = BatchOutcome {
        messages: Vec::with_capacity(results.len()),
        state: state.copied(),
        error: None,
    };
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(c) => {
                let v = core::mem::take(vals[i].as_mut().unwrap_or(&mut Value::Null));
                let m = Message::from_checked(v, c);
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
/// Work is grouped by author; with the `rayon` feature, authors, and the messages within a
/// feed, are checked in parallel. The results are identical to the sequential ones.
pub fn validate_feeds(
    validator: &mut Validator,
    items: Vec<Item>,
    partial: bool,
) -> Vec<Result<Message, FeedError>> {
    let n = items.len();
    let mut groups: HashMap<FeedId, AuthorItems> = HashMap::new();
    let mut results: Vec<Option<Result<Message, FeedError>>> = (0..n).map(|_| None).collect();
    let mut loners = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let (key, value) = match item {
            Ok(v) => match Kvt::from_value(v) {
                Ok(kvt) => (Some(kvt.key), Ok(kvt.value)),
                Err(v) => (None, Ok(v)),
            },
            Err(e) => (None, Err(e)),
        };
        // JS looks states up by the author string; only a feed id can have one.
        let author = value
            .as_ref()
            .ok()
            .and_then(|v| v.get("author")?.as_str()?.parse::<FeedId>().ok());
        match author {
            Some(a) => {
                let g = groups.entry(a).or_default();
                g.indices.push(i);
                g.values.push(value);
                g.keys.push(key);
            }
            None => loners.push((i, value, key)),
        }
    }
    let cap = *validator.sign_cap();
    // Items that name no feed fail on their own: no state can apply to them.
    let loner_results = map_items(loners, |(i, v, key), scratch| {
        let r = v.and_then(|v| {
            let order = if partial {
                Order::OutOfOrder
            } else {
                Order::InOrder(None)
            };
            let c = check(order, &v, &cap, scratch)?;
            check_key(&c, key.as_ref())?;
            Ok(Message::from_checked(v, c))
        });
        (i, r)
    });
    for (i, r) in loner_results {
        results[i] = Some(r);
    }
    let jobs: Vec<_> = groups
        .into_iter()
        .map(|(author, g)| (author, g, validator.state(&author).copied()))
        .collect();
    let run = |(author, g, st): (FeedId, AuthorItems, Option<FeedState>)| {
        let (out, state) = run_author(st, g.values, g.keys, &cap, partial);
        (author, g.indices, out, state)
    };
    #[cfg(feature = "rayon")]
    let done: Vec<_> = {
        use rayon::prelude::*;
        jobs.into_par_iter().map(run).collect()
    };
    #[cfg(not(feature = "rayon"))]
    let done: Vec<_> = jobs.into_iter().map(run).collect();
    for (author, idx, out, state) in done {
        if let Some(s) = state {
            validator.set_state(author, s);
        }
        for (i, r) in idx.into_iter().zip(out) {
            results[i] = Some(r);
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or(Err(FeedError::NotAnObject)))
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
