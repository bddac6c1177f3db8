use std::sync::OnceLock;

use ssb_crypto::Keypair;
use ssb_feed::{
    FeedError, FeedState, Item, Kvt, Message, SignCap, Validator, create_message, validate_batch,
    validate_feeds, validate_message,
};

/// Messages per author: more than the parallel path's grain (16), so runs of them split
/// across threads.
const PER_AUTHOR: usize = 24;
/// Items per feed at most (each is validated four times per input).
const MAX_ITEMS: usize = 48;

struct Base {
    /// Signing encodings of each author's feed, in order.
    texts: [Vec<String>; 2],
    ids: [Vec<String>; 2],
    states: [Vec<FeedState>; 2],
    authors: [Keypair; 2],
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let authors = [Keypair::from_seed(&[1; 32]), Keypair::from_seed(&[2; 32])];
        let mut texts = [Vec::new(), Vec::new()];
        let mut ids = [Vec::new(), Vec::new()];
        let mut states = [Vec::new(), Vec::new()];
        for (a, keys) in authors.iter().enumerate() {
            let mut state: Option<FeedState> = None;
            for i in 0..PER_AUTHOR {
                let content = ssb_legacy_json::parse(
                    format!(r#"{{"type":"post","text":"m{i} \"é\" [{a}]","n":{i}}}"#).as_bytes(),
                )
                .expect("content");
                let m = create_message(
                    keys,
                    state.as_ref(),
                    content,
                    1.5e12 + i as f64,
                    &SignCap::None,
                )
                .expect("create");
                texts[a].push(m.to_signing_string());
                ids[a].push(m.id().to_string());
                state = Some(m.state());
                states[a].push(m.state());
            }
        }
        Base {
            texts,
            ids,
            states,
            authors,
        }
    })
}

/// What must agree between two results (`Message`'s `PartialEq` compares a NaN timestamp
/// unequal to itself).
fn view(r: &Result<Message, FeedError>) -> Result<(String, String, i64, u64, String), FeedError> {
    r.clone().map(|m| {
        (
            m.id().to_string(),
            m.author().to_string(),
            m.sequence(),
            m.timestamp().to_bits(),
            m.value().to_compact_string(),
        )
    })
}

fn state_view(s: Option<&FeedState>) -> Option<(String, i64, u64)> {
    s.map(|s| (s.id.to_string(), s.sequence, s.timestamp.to_bits()))
}

/// Builds the feed the input describes: after a byte of flags, one operation per byte (low
/// four bits: what; high four: an argument), some taking the next byte too.
fn script(data: &[u8]) -> (Vec<Vec<u8>>, u8) {
    let b = base();
    let Some((&flags, mut rest)) = data.split_first() else {
        return (Vec::new(), 0);
    };
    let mut items: Vec<Vec<u8>> = Vec::new();
    let mut next = [0usize; 2];
    let take = |next: &mut [usize; 2], a: usize| {
        let i = next[a] % PER_AUTHOR;
        next[a] += 1;
        i
    };
    while let [byte, tail @ ..] = rest {
        rest = tail;
        if items.len() >= MAX_ITEMS {
            break;
        }
        let (op, arg) = (byte & 0xf, byte >> 4);
        let a = usize::from(arg & 1);
        match op {
            // A run of the author's next 2 to 16 messages in order.
            4 => {
                for _ in 0..2 * (arg >> 1) + 2 {
                    let i = take(&mut next, a);
                    items.push(b.texts[a][i].clone().into_bytes());
                }
            }
            // Any message of either author (index in the next byte).
            5 => {
                if let [i, tail @ ..] = rest {
                    rest = tail;
                    items.push(
                        b.texts[a][usize::from(*i) % PER_AUTHOR]
                            .clone()
                            .into_bytes(),
                    );
                }
            }
            // Flip a bit of one byte of the last item (position in the next byte).
            6 => {
                if let ([at, tail @ ..], [.., last]) = (rest, &mut items[..]) {
                    rest = tail;
                    if !last.is_empty() {
                        let at = usize::from(*at) * 31 % last.len();
                        last[at] ^= 1 << (arg % 8);
                    }
                }
            }
            // The next `arg` input bytes as an item.
            7 => {
                let n = usize::from(arg).min(rest.len());
                items.push(rest[..n].to_vec());
                rest = &rest[n..];
            }
            // The author's next message in a KVT, with its key or a wrong one.
            8 => {
                let i = take(&mut next, a);
                let key = if arg & 2 == 0 {
                    &b.ids[a][i]
                } else {
                    &b.ids[1 - a][i]
                };
                items.push(
                    format!(
                        r#"{{"key":"{key}","value":{},"timestamp":1}}"#,
                        b.texts[a][i]
                    )
                    .into_bytes(),
                );
            }
            // Drop the last item, or skip a message of the author (a gap).
            9 => {
                if arg & 2 == 0 {
                    items.pop();
                } else {
                    next[a] += 1;
                }
            }
            // Duplicate the last item.
            10 => {
                if let Some(last) = items.last().cloned() {
                    items.push(last);
                }
            }
            // The author's next message in order (the common case: long valid runs).
            _ => {
                let i = take(&mut next, a);
                items.push(b.texts[a][i].clone().into_bytes());
            }
        }
    }
    (items, flags)
}

/// `ssb-feed` batch and parallel validation (built here with the `rayon` feature) against
/// the sequential path, on feeds the input scripts from a fixed set of validly signed
/// messages of two authors: in order, shuffled, repeated, byte-mutated, replaced by raw
/// input bytes, wrapped in KVTs with right or wrong keys. `validate_batch` must give
/// exactly the messages, final state and first bad index (with its error) of a loop of
/// `validate_message`, and `validate_feeds` exactly the results and final states of a loop
/// of `Validator` appends.
pub fn feed_batch(data: &[u8]) {
    let b = base();
    let (items, flags) = script(data);
    let partial = flags & 1 != 0;
    let cap = if flags & 2 != 0 {
        SignCap::Hmac(ssb_feed::HmacKey([7; 32]))
    } else {
        SignCap::None
    };
    // validate_batch from no state, or after one of author 0's messages.
    let start = (flags & 0x40 != 0).then(|| b.states[0][usize::from((flags >> 2) & 0xf)]);

    let msgs: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
    let batch = validate_batch(start.as_ref(), &msgs, &cap);
    let mut state = start;
    let mut messages = Vec::new();
    let mut error = None;
    for (i, m) in msgs.iter().enumerate() {
        match validate_message(state.as_ref(), m, &cap) {
            Ok(m) => {
                state = Some(m.state());
                messages.push(m);
            }
            Err(e) => {
                error = Some((i, e));
                break;
            }
        }
    }
    assert_eq!(batch.error, error, "first bad index and error");
    assert_eq!(state_view(batch.state.as_ref()), state_view(state.as_ref()));
    assert_eq!(
        batch
            .messages
            .iter()
            .map(|m| view(&Ok(m.clone())))
            .collect::<Vec<_>>(),
        messages
            .iter()
            .map(|m| view(&Ok(m.clone())))
            .collect::<Vec<_>>()
    );

    let mut parallel = Validator::new(cap);
    let mut sequential = Validator::new(cap);
    if flags & 0x80 != 0 {
        // A known state for author 1, as from storage.
        for v in [&mut parallel, &mut sequential] {
            v.set_state(b.authors[1].feed_id(), b.states[1][3]);
        }
    }
    let feed_items: Vec<Item> = items
        .iter()
        .enumerate()
        .map(|(i, t)| match (i + usize::from(flags)) % 3 {
            0 => Item::Bytes(t.clone()),
            _ => match ssb_legacy_json::parse(t) {
                Ok(v) => Item::Value(v),
                Err(e) => Item::Error(e.into()),
            },
        })
        .collect();
    // In two batches on the same validator (the split point from the input's length): the
    // second reuses the author keys the first decoded.
    let mut feed_items = feed_items;
    let rest = feed_items.split_off(data.len() % (feed_items.len() + 1));
    let mut results = validate_feeds(&mut parallel, feed_items, partial);
    results.extend(validate_feeds(&mut parallel, rest, partial));
    assert_eq!(results.len(), items.len());
    for (i, (t, r)) in items.iter().zip(&results).enumerate() {
        let want = ssb_legacy_json::parse(t)
            .map_err(FeedError::from)
            .and_then(|v| match Kvt::from_value(v) {
                Ok(kvt) => sequential.append_kvt(kvt, partial),
                Err(v) if partial => sequential.append_partial_value(v),
                Err(v) => sequential.append_value(v),
            });
        assert_eq!(view(r), view(&want), "item {i}");
    }
    assert_eq!(parallel.authors(), sequential.authors());
    for keys in &b.authors {
        let id = keys.feed_id();
        assert_eq!(
            state_view(parallel.state(&id)),
            state_view(sequential.state(&id))
        );
    }
}
