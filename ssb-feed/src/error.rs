//! Validation errors, one variant per failure class of `ssb-validate`, in its order.

use ssb_legacy_json::ParseError;

/// Why a message was refused. Variants follow `ssb-validate`'s checks in the order it makes
/// them (docs/PROTOCOL.md §5.5.1); [`code`](Self::code) is a stable machine-readable name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FeedError {
    /// The bytes are not JSON (`JSON.parse` throws).
    #[error("not JSON: {0}")]
    Json(#[from] ParseError),
    /// The item could not even be cut out of its input as JSON (a caller's framing error,
    /// e.g. a truncated array or an overlong line); same class as [`FeedError::Json`].
    #[error("not JSON: {0}")]
    Unreadable(String),
    /// The item could not be cut out of a stream of items ([`FeedReader`](crate::FeedReader));
    /// same class as [`FeedError::Json`].
    #[error("not JSON: {0}")]
    Framing(#[from] crate::FramingError),
    /// The JSON is `null`, so JS fails reading `msg.author`.
    #[error("message is null, not an object")]
    NotAnObject,
    /// `author` is not a feed id (`invalid message: must have author`).
    #[error("author is not a feed id")]
    AuthorInvalid,
    /// `signature` is not canonical base64 of 88 characters followed by `.sig.<curve>`
    /// (`signature type must match author type`).
    #[error("signature is not <base64>.sig.<author curve>")]
    SignatureMalformed,
    /// `sequence` is not the previous one plus one (`expected sequence N`).
    #[error("expected sequence {expected}")]
    SequenceMismatch {
        /// The sequence the feed's state calls for (the state's plus one, saturating at
        /// `i64::MAX` for a caller-supplied state that large).
        expected: i64,
    },
    /// `previous` is not the id of the feed's last message: a fork.
    #[error("previous is not the id of the feed's last message (fork)")]
    Fork,
    /// The first message of a feed has a `previous` other than `null`.
    #[error("first message must have previous: null")]
    FirstPreviousNotNull,
    /// The first message of a feed has a `sequence` other than 1.
    #[error("first message must have sequence: 1")]
    FirstSequenceNotOne,
    /// `timestamp` is not a number (checked on a feed's first message, and on every
    /// message validated out of order).
    #[error("timestamp must be a number")]
    TimestampNotNumber,
    /// The fields are not exactly the 7 keys in one of the two allowed orders.
    #[error("message must have keys in allowed order")]
    KeyOrder,
    /// A field has the wrong type or value (`message has invalid properties`). Out of order,
    /// size and content-type failures are reported as this too, as JS does.
    #[error("message has invalid properties: {0}")]
    InvalidShape(ShapeError),
    /// `JSON.stringify(msg, null, 2)` is longer than 8192 UTF-16 code units.
    #[error("encoded message is {utf16_len} UTF-16 units, more than 8192")]
    TooLarge {
        /// The length found.
        utf16_len: usize,
    },
    /// `content.type` is not a string of 3 to 52 UTF-16 units.
    #[error("content type must be a string of 3 to 52 UTF-16 units")]
    ContentType,
    /// The network's HMAC signing key is not 32 bytes of canonical base64.
    #[error("invalid HMAC key")]
    HmacKeyInvalid,
    /// The signature does not verify (libsodium's rules).
    #[error("invalid signature")]
    SignatureInvalid,
    /// A KVT's `key` is not the message's id.
    #[error("key {claimed} is not the message id {computed}")]
    KeyMismatch {
        /// The key the KVT carries.
        claimed: String,
        /// The id computed from the value.
        computed: String,
    },
}

/// Which property check failed inside [`FeedError::InvalidShape`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShapeError {
    /// `sequence` is not an integer in the int32 range (`~~n === n`).
    Sequence,
    /// `author` is not a feed id.
    Author,
    /// `content` is neither an object nor an encrypted string.
    Content,
    /// `hash` is not `"sha256"`.
    Hash,
    /// Out of order: the message is too large.
    TooLarge,
    /// Out of order: `content.type` is invalid.
    ContentType,
}

impl core::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ShapeError::Sequence => "sequence is not an int32 integer",
            ShapeError::Author => "author is not a feed id",
            ShapeError::Content => "content is neither an object nor an encrypted string",
            ShapeError::Hash => "hash is not \"sha256\"",
            ShapeError::TooLarge => "encoded message is more than 8192 UTF-16 units",
            ShapeError::ContentType => "content type must be a string of 3 to 52 UTF-16 units",
        })
    }
}

impl FeedError {
    /// A stable, machine-readable name for the failure class (the same names the vectors
    /// and `ssb verify-feed --json` use).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Json(_) | Self::Unreadable(_) | Self::Framing(_) => "json",
            Self::NotAnObject => "not_an_object",
            Self::AuthorInvalid => "author_invalid",
            Self::SignatureMalformed => "signature_malformed",
            Self::SequenceMismatch { .. } => "sequence_mismatch",
            Self::Fork => "fork",
            Self::FirstPreviousNotNull => "first_previous_not_null",
            Self::FirstSequenceNotOne => "first_sequence_not_one",
            Self::TimestampNotNumber => "timestamp_not_number",
            Self::KeyOrder => "key_order",
            Self::InvalidShape(_) => "invalid_shape",
            Self::TooLarge { .. } => "too_large",
            Self::ContentType => "content_type",
            Self::HmacKeyInvalid => "hmac_key_invalid",
            Self::SignatureInvalid => "signature_invalid",
            Self::KeyMismatch { .. } => "key_mismatch",
        }
    }

    /// Whether `ssb-validate` marks the error fatal (`err.fatal`): everything but a bad
    /// author, a malformed signature and a sequence mismatch (which is what appending the
    /// same message twice produces).
    pub fn is_fatal(&self) -> bool {
        !matches!(
            self,
            Self::AuthorInvalid | Self::SignatureMalformed | Self::SequenceMismatch { .. }
        )
    }
}
