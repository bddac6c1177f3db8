//! Validation of one message, `ssb-validate`'s `append` (in order) and `appendOOO` (out of
//! order), check for check and in the same order (docs/PROTOCOL.md §5.5.1).

use std::collections::HashMap;
use std::sync::Arc;

use ssb_crypto::{FeedId, MsgId, PublicKey, Signature, VerifyKey};
use ssb_legacy_json::{LegacyHasher, Object, Value};

use crate::error::{FeedError, ShapeError};
use crate::js;
use crate::{FeedState, Message, SignCap};

/// The largest signing encoding a valid message can have, in UTF-16 code units.
pub const MAX_MESSAGE_UTF16: usize = 8192;

/// The most UTF-8 bytes the signed text of a valid message can take: a UTF-16 code unit is
/// at most 3 bytes of UTF-8 (a surrogate pair, 2 units, is 4 bytes), and the signed text is
/// shorter than the whole message. Validation encodes at most this much of any message
/// (see [`ssb_legacy_json::Stringify::append_bounded`]) and so is never asked to hold the
/// signing encoding of a hostile message, which can be hundreds of times its input; this is
/// also the most a [`Validator`](crate::Validator)'s reused buffer ever holds.
pub const MAX_SIGNED_BYTES: usize = 3 * MAX_MESSAGE_UTF16;

/// Bytes of the text `,\n  "signature": "` that joins the unsigned encoding and the signature.
const SIG_PREFIX: &str = ",\n  \"signature\": \"";
const SIG_SUFFIX: &str = "\"\n}";

/// In order (`append`: the state is the author's last message, or none for a new feed) or
/// out of order (`appendOOO`: no state, the message is checked on its own).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Order<'s> {
    InOrder(Option<&'s FeedState>),
    OutOfOrder,
}

/// What a successful check learned, besides the value.
pub(crate) struct Checked {
    pub(crate) id: MsgId,
    pub(crate) author: FeedId,
    pub(crate) sequence: i64,
    pub(crate) timestamp: f64,
}

/// Reusable buffers and a one-entry key cache, so a run of messages allocates little. The
/// buffer never holds more than [`MAX_SIGNED_BYTES`] (its capacity stays below twice that).
/// A batch's scratch may also read the keys its validator decoded before ([`KeyMap`]).
#[derive(Default)]
pub(crate) struct Scratch {
    pub(crate) signed: Vec<u8>,
    key: KeyCache,
    /// Keys decoded by earlier batches (read only).
    known: Option<Arc<KeyMap>>,
    /// The key in `key` was decoded here (not found in `known`): worth remembering.
    pub(crate) decoded: bool,
}

impl Scratch {
    /// A scratch that looks keys up in `known` before decoding them.
    pub(crate) fn with_known(known: Arc<KeyMap>) -> Self {
        Self {
            known: Some(known),
            ..Self::default()
        }
    }

    /// The key last looked up, if it was decoded here.
    pub(crate) fn take_decoded(&mut self) -> Option<(PublicKey, KeyResult)> {
        if !std::mem::take(&mut self.decoded) {
            return None;
        }
        self.key.clone()
    }
}

/// A decoded author key, or why it cannot verify anything.
pub(crate) type KeyResult = Result<VerifyKey, ssb_crypto::SignatureError>;

type KeyCache = Option<(PublicKey, KeyResult)>;

/// Decoded author keys kept by a [`Validator`](crate::Validator) across batches.
pub(crate) type KeyMap = HashMap<PublicKey, KeyResult>;

/// The decoded key of `pk`: from the one-entry cache, else the known keys, else decoded
/// (then `decoded` is set).
fn verifying_key<'a>(
    cache: &'a mut KeyCache,
    known: Option<&KeyMap>,
    decoded: &mut bool,
    pk: PublicKey,
) -> Result<&'a VerifyKey, ssb_crypto::SignatureError> {
    if !matches!(cache, Some((k, _)) if *k == pk) {
        let found = known.and_then(|m| m.get(&pk)).cloned();
        *decoded = found.is_none();
        *cache = Some((pk, found.unwrap_or_else(|| pk.prepare())));
    }
    match cache {
        Some((_, vk)) => vk.as_ref().map_err(|e| *e),
        // Filled just above.
        None => Err(ssb_crypto::SignatureError::InvalidPublicKey),
    }
}

const ORDER_A: [&str; 7] = [
    "previous",
    "author",
    "sequence",
    "timestamp",
    "hash",
    "content",
    "signature",
];
const ORDER_B: [&str; 7] = [
    "previous",
    "sequence",
    "author",
    "timestamp",
    "hash",
    "content",
    "signature",
];

/// `isValidOrder(msg, true)`.
fn is_valid_order(obj: &Object) -> bool {
    obj.len() == 7
        && [ORDER_A, ORDER_B]
            .iter()
            .any(|order| obj.keys().zip(order).all(|(k, want)| k == want))
}

/// `isInvalidContent` for non-encrypted content: `content.type` is a string of 3..=52
/// UTF-16 units.
fn content_type_ok(content: Option<&Value>) -> bool {
    let ty = match content {
        Some(Value::Object(o)) => o.get("type"),
        // Arrays have no `type` property.
        _ => None,
    };
    js::non_empty_string(ty).is_some_and(|t| (3..=52).contains(&t.utf16_len()))
}

/// Everything about a message that does not depend on its feed's state: the results of
/// checks 1–2 (author, signature shape) and 4–7 (key order, shape, size, content type,
/// HMAC key, signature), and the id. Signature verification, the expensive part, is
/// state-independent, so prechecks of a whole run can be computed in parallel and the
/// state-dependent check 3 applied afterwards in feed order ([`decide`]), giving exactly
/// the sequential verdicts.
pub(crate) struct Precheck {
    /// Checks 1–2 failed (these come before the state checks).
    early: Option<FeedError>,
    /// Checks 4–7 failed (after the state checks), named as `append` names them.
    late: Option<FeedError>,
    checked: Option<Checked>,
}

/// Computes the [`Precheck`] of a value. The signature is verified only when every other
/// state-independent check passed.
pub(crate) fn precheck(value: &Value, cap: &SignCap, scratch: &mut Scratch) -> Precheck {
    let mut out = Precheck {
        early: None,
        late: None,
        checked: None,
    };
    match precheck_inner(value, cap, scratch) {
        Ok(c) => out.checked = Some(c),
        Err(Stage::Early(e)) => out.early = Some(e),
        Err(Stage::Late(e)) => out.late = Some(e),
    }
    out
}

enum Stage {
    Early(FeedError),
    Late(FeedError),
}

fn precheck_inner(value: &Value, cap: &SignCap, scratch: &mut Scratch) -> Result<Checked, Stage> {
    let early = Stage::Early;
    let late = Stage::Late;
    let obj = match value {
        Value::Null => return Err(early(FeedError::NotAnObject)),
        Value::Object(o) => Some(o),
        _ => None,
    };
    let field = |k: &str| obj.and_then(|o| o.get(k));

    // 1. author is a feed id; 2. the signature's shape matches the author's curve.
    let author = js::is_feed_id_js(field("author")).ok_or(early(FeedError::AuthorInvalid))?;
    let (curve, sig_b64_len) = js::signature_curve(field("signature"), author)
        .ok_or(early(FeedError::SignatureMalformed))?;
    // Past the author check, `msg` is an object (strings and arrays have no `author`).
    let obj = obj.ok_or(early(FeedError::AuthorInvalid))?;

    // (3. the state checks: see `decide`.)
    // 4. exactly the 7 keys in order A or B.
    if !is_valid_order(obj) {
        return Err(late(FeedError::KeyOrder));
    }
    let shape = |e: ShapeError| late(FeedError::InvalidShape(e));
    // 5. isInvalidShape: sequence int32, content object or encrypted, hash.
    let Some(sequence) = js::is_int32(field("sequence")) else {
        return Err(shape(ShapeError::Sequence));
    };
    let content = field("content");
    let encrypted = js::is_encrypted(content);
    if !(matches!(content, Some(Value::Object(_) | Value::Array(_))) || encrypted) {
        return Err(shape(ShapeError::Content));
    }
    if !matches!(field("hash"), Some(Value::String(h)) if h == "sha256") {
        return Err(shape(ShapeError::Hash));
    }
    // The signing encoding without the signature (what is signed), and from it the size
    // and id of the whole message: the signature is the last key, so the full encoding is
    // this text minus its closing "\n}", then `,\n  "signature": "<sig>"\n}`.
    let Some(Value::String(sig_text)) = field("signature") else {
        return Err(early(FeedError::SignatureMalformed));
    };
    let sig_text = sig_text
        .as_str()
        .ok_or(early(FeedError::SignatureMalformed))?;
    scratch.signed.clear();
    let unsigned = obj.signing().without_key("signature");
    if unsigned
        .append_bounded(&mut scratch.signed, MAX_SIGNED_BYTES)
        .is_err()
    {
        // More than 3 × 8192 bytes, so more than 8192 units: too large whatever the
        // signature. The exact length (JS reports it) is counted without encoding: the
        // signature is the last of the 7 keys, so this is `JSON.stringify(msg, null, 2)`.
        return Err(late(FeedError::TooLarge {
            utf16_len: obj.signing().utf16_len(),
        }));
    }
    let head = core::str::from_utf8(&scratch.signed)
        .ok()
        .and_then(|u| u.strip_suffix("\n}"))
        .ok_or(late(FeedError::KeyOrder))?;
    let mut hasher = LegacyHasher::new();
    hasher.update(head);
    hasher.update(SIG_PREFIX);
    hasher.update(sig_text);
    hasher.update(SIG_SUFFIX);
    let utf16_len = hasher.utf16_len();
    if utf16_len > MAX_MESSAGE_UTF16 {
        return Err(late(FeedError::TooLarge { utf16_len }));
    }
    if !encrypted && !content_type_ok(content) {
        return Err(late(FeedError::ContentType));
    }
    // 6. the network's HMAC key.
    let hmac = match cap {
        SignCap::None => None,
        SignCap::Hmac(k) => Some(k),
        SignCap::InvalidKey => return Err(late(FeedError::HmacKeyInvalid)),
    };
    // 7. the signature, with libsodium's rules. Only ed25519 authors can verify (JS throws
    // for any other curve the author regex lets through).
    if curve != "ed25519" {
        return Err(late(FeedError::SignatureInvalid));
    }
    let author_id: FeedId = author
        .parse()
        .map_err(|_| late(FeedError::SignatureInvalid))?;
    // 88 canonical base64 characters are 64, 65 or 66 bytes (`==`, `=` or no padding).
    // sodium-native only requires *at least* 64 bytes and verifies the first 64, so JS
    // accepts the longer spellings; so do we (the `signature-65-bytes` vectors).
    let sig_bytes = ssb_crypto::base64::decode_vec(sig_text.get(..sig_b64_len).unwrap_or(""))
        .map_err(|_| late(FeedError::SignatureInvalid))?;
    let sig: [u8; 64] = sig_bytes
        .get(..64)
        .and_then(|s| s.try_into().ok())
        .ok_or(late(FeedError::SignatureInvalid))?;
    let vk = verifying_key(
        &mut scratch.key,
        scratch.known.as_deref(),
        &mut scratch.decoded,
        author_id.public_key(),
    )
    .map_err(|_| late(FeedError::SignatureInvalid))?;
    let tag;
    let signed: &[u8] = match hmac {
        Some(k) => {
            tag = ssb_crypto::hash::auth(k.as_bytes(), &scratch.signed);
            &tag
        }
        None => &scratch.signed,
    };
    vk.verify(signed, &Signature(sig))
        .map_err(|_| late(FeedError::SignatureInvalid))?;

    let timestamp = match field("timestamp") {
        Some(Value::Number(t)) => *t,
        _ => f64::NAN,
    };
    Ok(Checked {
        id: MsgId(hasher.finalize()),
        author: author_id,
        sequence: i64::from(sequence),
        timestamp,
    })
}

/// Applies check 3 (the state checks, or out of order the timestamp check) between the
/// prechecked early and late results: the verdict a sequential `append` / `appendOOO` gives.
pub(crate) fn decide(order: Order<'_>, value: &Value, pre: Precheck) -> Result<Checked, FeedError> {
    if let Some(e) = pre.early {
        return Err(e);
    }
    let field = |k: &str| value.get(k);
    match order {
        Order::InOrder(Some(state)) => {
            // sequence == state.sequence + 1 (loose), then previous == state.id (loose).
            // JS adds in doubles: a caller's state near the i64 range gives the JS rounding,
            // never an overflow (see `js::next_sequence`).
            if !js::loose_eq_number(field("sequence"), js::next_sequence(state.sequence)) {
                return Err(FeedError::SequenceMismatch {
                    expected: state.sequence.saturating_add(1),
                });
            }
            if !js::loose_eq_id(field("previous"), &state.id.to_string()) {
                return Err(FeedError::Fork);
            }
        }
        Order::InOrder(None) => {
            if !matches!(field("previous"), Some(Value::Null)) {
                return Err(FeedError::FirstPreviousNotNull);
            }
            if !matches!(field("sequence"), Some(Value::Number(n)) if *n == 1.0) {
                return Err(FeedError::FirstSequenceNotOne);
            }
            if !matches!(field("timestamp"), Some(Value::Number(_))) {
                return Err(FeedError::TimestampNotNumber);
            }
        }
        Order::OutOfOrder => {
            if !matches!(field("timestamp"), Some(Value::Number(_))) {
                return Err(FeedError::TimestampNotNumber);
            }
        }
    }
    if let Some(e) = pre.late {
        // Out of order, JS reports size and content-type failures as a shape failure.
        return Err(match (order, e) {
            (Order::OutOfOrder, FeedError::TooLarge { .. }) => {
                FeedError::InvalidShape(ShapeError::TooLarge)
            }
            (Order::OutOfOrder, FeedError::ContentType) => {
                FeedError::InvalidShape(ShapeError::ContentType)
            }
            (_, e) => e,
        });
    }
    pre.checked.ok_or(FeedError::SignatureInvalid)
}

/// Runs every check of `ssb-validate` on a parsed value, in its order.
pub(crate) fn check(
    order: Order<'_>,
    value: &Value,
    cap: &SignCap,
    scratch: &mut Scratch,
) -> Result<Checked, FeedError> {
    let pre = precheck(value, cap, scratch);
    decide(order, value, pre)
}

/// Validates one message as `ssb-validate`'s `append` would, given the author's state
/// (`None` for a feed's first message). `raw` is the message value's JSON.
pub fn validate_message(
    state: Option<&FeedState>,
    raw: &[u8],
    cap: &SignCap,
) -> Result<Message, FeedError> {
    let value = ssb_legacy_json::parse(raw)?;
    validate_value(state, value, cap)
}

/// [`validate_message`] for an already parsed value.
pub fn validate_value(
    state: Option<&FeedState>,
    value: Value,
    cap: &SignCap,
) -> Result<Message, FeedError> {
    let c = check(Order::InOrder(state), &value, cap, &mut Scratch::default())?;
    Ok(Message::from_checked(value, c))
}

/// Validates one message on its own, as `ssb-validate`'s `appendOOO` would: everything but
/// the link to the previous message (and the timestamp must be a number).
pub fn verify_message(raw: &[u8], cap: &SignCap) -> Result<Message, FeedError> {
    let value = ssb_legacy_json::parse(raw)?;
    let c = check(Order::OutOfOrder, &value, cap, &mut Scratch::default())?;
    Ok(Message::from_checked(value, c))
}

/// The next state of a feed after `msg` (which must have been validated against `state`).
pub fn validate_next(
    state: Option<&FeedState>,
    raw: &[u8],
    cap: &SignCap,
) -> Result<FeedState, FeedError> {
    validate_message(state, raw, cap).map(|m| m.state())
}
