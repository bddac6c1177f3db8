//! Messages, feed states, the HMAC signing capability and KVTs.

use core::fmt;
use core::str::FromStr;

use ssb_crypto::{FeedId, MsgId};
use ssb_legacy_json::{Object, Value};

use crate::validate::Checked;

/// The state of one feed after its last valid message: what the next message must link to.
/// (`ssb-validate` keeps `{id, sequence, timestamp}` per author.)
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeedState {
    /// The id of the last valid message.
    pub id: MsgId,
    /// Its sequence number.
    pub sequence: i64,
    /// Its timestamp (NaN when it was not a number).
    pub timestamp: f64,
}

/// A network's HMAC signing key (`caps.sign`; `null` on the main network): 32 bytes, given as
/// canonical base64 (JS re-encodes the string and compares).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HmacKey(pub [u8; 32]);

impl HmacKey {
    /// The raw key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl FromStr for HmacKey {
    type Err = ssb_crypto::base64::Base64Error;
    /// Canonical base64 of exactly 32 bytes, as `ssb-validate`'s `isInvalidHmacKey` requires.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ssb_crypto::base64::decode_array::<32>(s).map(HmacKey)
    }
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacKey(..)")
    }
}

/// The signing capability of a network: what, besides the JSON, is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignCap {
    /// The main network: the signing encoding itself is signed.
    #[default]
    None,
    /// A network with an HMAC key: `crypto_auth(key, encoding)` is signed.
    Hmac(HmacKey),
    /// A configured key that is not valid: JS then refuses every message that passes the
    /// cheap checks with "invalid HMAC key". Kept so such configurations replay exactly.
    InvalidKey,
}

impl SignCap {
    /// From the JS configuration value (`null`/absent, or a base64 string).
    pub fn from_js(key: Option<&str>) -> Self {
        match key {
            None => SignCap::None,
            Some(s) => s.parse().map_or(SignCap::InvalidKey, SignCap::Hmac),
        }
    }
}

/// A validated message: its value (field order preserved), id, author and sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    value: Value,
    id: MsgId,
    author: FeedId,
    sequence: i64,
    timestamp: f64,
}

impl Message {
    pub(crate) fn from_checked(value: Value, c: Checked) -> Self {
        Self {
            value,
            id: c.id,
            author: c.author,
            sequence: c.sequence,
            timestamp: c.timestamp,
        }
    }
    /// The message id (`%…=.sha256`, docs/PROTOCOL.md §5.3).
    pub fn id(&self) -> MsgId {
        self.id
    }
    /// The author.
    pub fn author(&self) -> FeedId {
        self.author
    }
    /// The sequence number.
    pub fn sequence(&self) -> i64 {
        self.sequence
    }
    /// The claimed timestamp (ms since the epoch; not checked for monotonicity, as in JS).
    pub fn timestamp(&self) -> f64 {
        self.timestamp
    }
    /// The whole message value.
    pub fn value(&self) -> &Value {
        &self.value
    }
    /// The message value as an object.
    pub fn object(&self) -> &Object {
        match &self.value {
            Value::Object(o) => o,
            // Validation only succeeds on objects.
            _ => unreachable!("a validated message is an object"),
        }
    }
    /// The `content` field.
    pub fn content(&self) -> Option<&Value> {
        self.value.get("content")
    }
    /// The feed state this message leads to.
    pub fn state(&self) -> FeedState {
        FeedState {
            id: self.id,
            sequence: self.sequence,
            timestamp: self.timestamp,
        }
    }
    /// `JSON.stringify(msg, null, 2)`: the form JS stores, hashes and relays.
    pub fn to_signing_string(&self) -> String {
        self.value.to_signing_string()
    }
    /// Consumes the message, returning its value.
    pub fn into_value(self) -> Value {
        self.value
    }
}

/// A message as `createHistoryStream` sends it and JS stores it: `{key, value, timestamp}`.
/// Exported feeds often drop `timestamp` (the local receive time, not signed).
#[derive(Debug, Clone, PartialEq)]
pub struct Kvt {
    /// The claimed message id (checked against the value's id when validating).
    pub key: Value,
    /// The message value.
    pub value: Value,
    /// The receive timestamp, if present.
    pub timestamp: Option<f64>,
}

impl Kvt {
    /// Splits a parsed item into a KVT when it looks like one (an object with `key` and an
    /// object `value`, and no `author`); otherwise `None` (a bare message value).
    pub fn from_value(item: Value) -> Result<Kvt, Value> {
        let is_kvt = match &item {
            Value::Object(o) => {
                o.contains_key("key")
                    && matches!(o.get("value"), Some(Value::Object(_)))
                    && !o.contains_key("author")
            }
            _ => false,
        };
        if !is_kvt {
            return Err(item);
        }
        let Value::Object(mut o) = item else {
            unreachable!("checked above")
        };
        let key = o.remove("key").unwrap_or_default();
        let value = o.remove("value").unwrap_or_default();
        let timestamp = o.get("timestamp").and_then(Value::as_f64);
        Ok(Kvt {
            key,
            value,
            timestamp,
        })
    }
}
