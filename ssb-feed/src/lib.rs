//! Classic Secure Scuttlebutt feed messages: create, sign, compute ids and validate, with
//! the same verdict as the JavaScript network (`ssb-validate` with `ssb-keys` and libsodium)
//! on every input.
//!
//! ```
//! use ssb_crypto::Keypair;
//! use ssb_feed::{SignCap, create_message, validate_message};
//!
//! let keys = Keypair::from_seed(&[1; 32]);
//! let content = ssb_legacy_json::parse(br#"{"type":"post","text":"hello"}"#).unwrap();
//!
//! // Create and sign the first message of a feed; the timestamp is passed in (no clock).
//! let msg = create_message(&keys, None, content, 1514517067954.0, &SignCap::None).unwrap();
//! let wire = msg.to_signing_string();
//!
//! // Anyone can validate it: shape, size, signature; the id is the latin1-hash quirk.
//! let checked = validate_message(None, wire.as_bytes(), &SignCap::None).unwrap();
//! assert_eq!(checked.id(), msg.id());
//! assert_eq!(checked.sequence(), 1);
//!
//! // Any change to the signed text is refused.
//! let forged = wire.replace("hello", "hellO");
//! let err = validate_message(None, forged.as_bytes(), &SignCap::None).unwrap_err();
//! assert_eq!(err.code(), "signature_invalid");
//! ```
//!
//! # What is checked, in order
//!
//! Exactly `ssb-validate`'s `append` (docs/PROTOCOL.md §5.5.1), each failure a [`FeedError`] with a
//! stable [`code`](FeedError::code): the author is a feed id (`ssb-ref`'s regex); the
//! signature is canonical base64 + `.sig.` + the author's curve; with a state, `sequence`
//! is the next one and `previous` the last id (JavaScript loose `!=`, quirks included), and
//! without, `previous: null`, `sequence: 1` and a numeric `timestamp`; the 7 keys in one of
//! the two orders; `sequence` an int32, `content` an object or `<base64>.box…`, `hash`
//! `sha256`; at most 8192 UTF-16 units of `JSON.stringify(msg, null, 2)`; `content.type` of
//! 3 to 52 UTF-16 units; a valid HMAC key; the signature, with libsodium's rules
//! ([`ssb_crypto::PublicKey::verify`]). Out of order ([`verify_message`],
//! [`Validator::append_ooo`]) follows `appendOOO`. The quirks are in [`quirks`].
//!
//! # Streams and limits
//!
//! [`FeedReader`] cuts a JSON array or JSON lines of messages and KVTs, pushed in pieces of
//! any size, into items of at most [`MAX_ITEM_BYTES`] (Sans-IO: it reads nothing itself);
//! [`validate_feeds`] validates them in input order. Validating a message costs what
//! parsing it costs plus a constant: its signing encoding, which nesting can make hundreds
//! of times longer than its text, is written only up to [`MAX_SIGNED_BYTES`] (past that it
//! is too large whatever it holds) and measured without being written.
//!
//! Any panic on input is a bug.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod batch;
mod create;
mod error;
mod js;
pub mod quirks;
pub mod reader;
mod types;
mod validate;
mod validator;

pub use batch::{BatchOutcome, Item, validate_batch, validate_feeds};
pub use create::{CreateError, create_message};
pub use error::{FeedError, ShapeError};
pub use js::{is_ref_feed_id, to_number};
pub use reader::{FeedReader, Framing, FramingError, MAX_ITEM_BYTES, ReadItem};
pub use types::{FeedState, HmacKey, Kvt, Message, SignCap};
pub use validate::{
    MAX_MESSAGE_UTF16, MAX_SIGNED_BYTES, validate_message, validate_next, validate_value,
    verify_message,
};
pub use validator::{MAX_KNOWN_KEYS, Validator};
