//! Creating and signing messages (`ssb-validate`'s `create` with `ssb-keys` signing).

use ssb_crypto::Keypair;
use ssb_legacy_json::{Object, Value};

use crate::validate::{Order, Scratch, check};
use crate::{FeedError, FeedState, Message, ShapeError, SignCap};

/// Why a message could not be created.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CreateError {
    /// The timestamp is NaN (JS: `timestamp must be provided`).
    #[error("timestamp must be a number")]
    Timestamp,
    /// `content` is neither an object (or array) nor an encrypted string.
    #[error("invalid message content, must be object or encrypted string")]
    Content,
    /// The message would not be valid (too large, bad content type, ...). JS `create`
    /// checks only the unsigned message; we also check the signed one, so that nothing we
    /// create is refused by validation (JS `appendNew` refuses it there).
    #[error("the message would be invalid: {0}")]
    Invalid(#[from] FeedError),
    /// The network's HMAC key is invalid.
    #[error("invalid HMAC key")]
    HmacKey,
}

impl CreateError {
    /// A stable, machine-readable name.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Timestamp => "timestamp",
            Self::Content => "content",
            Self::Invalid(e) => e.code(),
            Self::HmacKey => "hmac_key_invalid",
        }
    }
}

/// Creates and signs the message that follows `state` (`None` for a feed's first message),
/// byte for byte as JS `ssb-validate.create` + `ssb-keys.signObj` do: fields in the order
/// `previous, sequence, author, timestamp, hash, content, signature`, the signature over
/// `JSON.stringify(msg, null, 2)` (or its HMAC on a network with a sign cap).
///
/// The timestamp is an argument: this crate reads no clock.
pub fn create_message(
    keys: &Keypair,
    state: Option<&FeedState>,
    content: Value,
    timestamp: f64,
    cap: &SignCap,
) -> Result<Message, CreateError> {
    if timestamp.is_nan() {
        return Err(CreateError::Timestamp);
    }
    let encrypted = crate::js::is_encrypted(Some(&content));
    if !(matches!(content, Value::Object(_) | Value::Array(_)) || encrypted) {
        return Err(CreateError::Content);
    }
    let hmac = match cap {
        SignCap::None => None,
        SignCap::Hmac(k) => Some(*k),
        SignCap::InvalidKey => return Err(CreateError::HmacKey),
    };
    // `state.sequence + 1` in doubles, as JS: no overflow. JS `create` refuses a sequence
    // that is not an int32 (`isInvalidShape`) before signing; so do we.
    let sequence = state.map_or(1.0, |s| crate::js::next_sequence(s.sequence));
    if crate::js::is_int32(Some(&Value::Number(sequence))).is_none() {
        return Err(CreateError::Invalid(FeedError::InvalidShape(
            ShapeError::Sequence,
        )));
    }
    let mut msg = Object::new();
    msg.insert(
        "previous",
        state.map_or(Value::Null, |s| Value::from(s.id.to_string())),
    );
    msg.insert("sequence", Value::Number(sequence));
    msg.insert("author", Value::from(keys.feed_id().to_string()));
    msg.insert("timestamp", Value::Number(timestamp));
    msg.insert("hash", Value::from("sha256"));
    msg.insert("content", content);
    let signed = msg.signing().to_vec();
    let to_sign = match hmac {
        Some(k) => ssb_crypto::hash::auth(k.as_bytes(), &signed).to_vec(),
        None => signed,
    };
    let sig = keys.sign(&to_sign);
    msg.insert("signature", Value::from(sig.to_string()));
    let value = Value::Object(msg);
    // Validate what we made, against the same state: this computes the id and size, and
    // refuses what JS's appendNew would refuse.
    let checked = check(Order::InOrder(state), &value, cap, &mut Scratch::default())?;
    Ok(Message::from_checked(value, checked))
}
