//! Byte-exact JavaScript JSON semantics for Secure Scuttlebutt's classic feed format.
//!
//! Every classic SSB signature, message id and size check depends on reproducing, byte
//! for byte, what Node does with a message: `JSON.stringify(JSON.parse(wire), null, 2)`.
//! This crate is that computation and nothing else: a parser with `JSON.parse` semantics
//! (plus a [`Mode::Strict`] for producers), a value model that can hold everything
//! `JSON.parse` can return, and encoders for the signing form, the compact form, its
//! UTF-16 length and its "latin1" message-id hash. The oddities involved are explained,
//! with the JavaScript that defines them, in [`quirks`].
//!
//! ```
//! use ssb_legacy_json::{parse, Style};
//!
//! // A message as it arrives on the wire (any whitespace, any number spelling).
//! let wire = br#"{"previous":null,"author":"@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.ed25519",
//!   "sequence":1,"timestamp":1514517067954,"hash":"sha256",
//!   "content":{"type":"post","text":"hello"},
//!   "signature":"5WbjMArOht8EvV87s3mkZ9yLLqA7NVTx+DD6iQ7jCIJ6q6rEZ7y2fi7MyKenImnuY5HCWUug93KHcwQWeuJlCQ==.sig.ed25519"}"#;
//! let msg = parse(wire)?;
//! let obj = msg.as_object().expect("a message is an object");
//! assert_eq!(obj.get("sequence").and_then(|v| v.as_f64()), Some(1.0));
//!
//! // The bytes the author signed: the signing form without `signature`.
//! let signed = obj.signing().without_key("signature").to_vec();
//! assert_eq!(signed.len(), 218);
//! assert!(signed.ends_with(b"\"text\": \"hello\"\n  }\n}"));
//!
//! // Write into a caller-provided buffer instead of allocating.
//! let mut buf = [0u8; 1024];
//! let n = obj.signing().without_key("signature").write_to_slice(&mut buf)?;
//! assert_eq!(&buf[..n], &signed[..]);
//!
//! // Size limit (UTF-16 units) and message id hash of the whole signed message, in one pass.
//! let summary = msg.signing().legacy_summary();
//! assert_eq!(summary.utf16_len, 337);
//! assert!(summary.utf16_len <= 8192);
//! assert_eq!(
//!     summary.legacy_sha256[..4],
//!     [0x98, 0x57, 0xa8, 0x20], // %mFeoID…=.sha256
//! );
//! assert_eq!(msg.compact().with_style(Style::Signing).utf16_len(), 337);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Which functions to use
//!
//! | job | call |
//! |---|---|
//! | parse received JSON as JavaScript would | [`parse`] |
//! | parse with the stricter SSB data model (refuse duplicates, lone surrogates, `-0`, overflow, bad UTF-8) | [`parse_strict`], [`parse_with`] |
//! | signed bytes of a message | `obj.signing().without_key("signature")` then [`Stringify::to_vec`] / [`Stringify::write_to_slice`] / [`Stringify::append_to`] |
//! | message id hash and 8192-unit size | `value.signing().legacy_summary()` ([`Stringify::legacy_summary`]) |
//! | `JSON.stringify(v)` | [`Value::to_compact_string`] or `value.compact()` |
//! | transport text straight to signing text | [`signing_string`] |
//! | UTF-16 length / latin1 hash of any text | [`utf16_len`], [`legacy_hash_bytes`], [`legacy_sha256`], [`LegacyHasher`] |
//! | a JavaScript number's text | [`NumberBuffer`] |
//!
//! # Guarantees
//!
//! * **Any panic on input is a bug.** Parsing is total on arbitrary bytes: no indexing,
//!   `unwrap` or unchecked arithmetic on untrusted data. Input size is capped by
//!   [`MAX_INPUT_LEN`] and nesting by [`MAX_DEPTH`] (so recursion is bounded); work is
//!   `O(n log n)` in the input length.
//! * In [`Mode::Js`], for every input up to those limits, [`parse`] fails exactly when
//!   `JSON.parse(buffer.toString('utf8'))` throws, and the signing/compact encodings, UTF-16
//!   length and latin1 hash equal Node's. This is checked against Node itself by the
//!   differential test `tests/node_differential.rs` (100 000 generated cases per run by
//!   default) and by the vectors in `test-vectors/vectors/legacy-json.json`.
//! * `no_std` + `alloc`, no `unsafe`, no dependency on `serde`.
//!
//! A `Value` built by hand is not depth-checked: serializing or dropping a value nested
//! hundreds of thousands of levels deep can overflow the stack, as with any recursive
//! Rust data structure.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

extern crate alloc;

mod legacy;
mod number;
mod parse;
pub mod quirks;
mod ser;
mod value;

pub use legacy::{LegacyBytes, LegacyHasher, legacy_hash_bytes, legacy_sha256, utf16_len};
pub use number::{MAX_NUMBER_LEN, NumberBuffer};
pub use parse::{
    MAX_DEPTH, MAX_INPUT_LEN, Mode, ParseError, ParseOptions, parse, parse_strict, parse_with,
};
pub use ser::{EncodeError, LegacySummary, Stringify, Style};
pub use value::{Iter, JsString, Object, Value, array_index};

/// `JSON.stringify(JSON.parse(json), null, 2)` in one call, with [`Mode::Js`] parsing.
///
/// ```
/// assert_eq!(
///     ssb_legacy_json::signing_string(br#"{"b":1E3,"a":[],"1":"\u00e9"}"#).unwrap(),
///     "{\n  \"1\": \"é\",\n  \"b\": 1000,\n  \"a\": []\n}"
/// );
/// ```
pub fn signing_string(json: &[u8]) -> Result<alloc::string::String, ParseError> {
    Ok(parse(json)?.to_signing_string())
}

/// `JSON.stringify(JSON.parse(json))` in one call, with [`Mode::Js`] parsing.
pub fn compact_string(json: &[u8]) -> Result<alloc::string::String, ParseError> {
    Ok(parse(json)?.to_compact_string())
}
