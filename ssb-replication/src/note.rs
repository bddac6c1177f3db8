//! EBT notes (the v3 encoding of `epidemic-broadcast-trees`' `v3.js`) and the notes objects
//! peers exchange.
//!
//! A note is one JSON number per feed: `-1` "I do not replicate this feed", otherwise
//! `sequence << 1 | !receive` in JavaScript's 32-bit integer arithmetic, so an even note asks
//! the peer to send the feed after `sequence` and an odd one says "I have `sequence`, do not
//! send". Decoding follows JS on *any* JSON value: a value that is not an integer has
//! sequence `-1` and still means "replicate"; its receive bit is the low bit of
//! `ToInt32(ToNumber(value))`.
//!
//! ```
//! use ssb_replication::note::{self, Note};
//!
//! assert_eq!(note::encode(5, true), 10);
//! assert_eq!(note::encode(5, false), 11);
//! assert_eq!(note::encode(-1, true), note::DO_NOT_REPLICATE);
//! // Sequences from 2^30 on wrap, as in JS.
//! assert_eq!(note::encode(1 << 30, true), i32::MIN);
//! assert_eq!(note::encode(1 << 31, true), 0);
//!
//! assert_eq!(Note::from_number(11.0), Note { sequence: 5, receive: false, replicate: true });
//! assert_eq!(Note::from_number(-1.0), Note { sequence: -1, receive: false, replicate: false });
//! // Not an integer: sequence -1, yet "replicate".
//! assert_eq!(Note::from_number(4.5), Note { sequence: -1, receive: true, replicate: true });
//! assert_eq!(Note::from_number(4_294_967_300.0).sequence, 2);
//! ```
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use ssb_legacy_json::{JsString, Value};

use crate::js::{is_integer, to_int32};

/// The note that says "I do not replicate this feed".
pub const DO_NOT_REPLICATE: i32 = -1;

/// The most entries one received notes object may hold (131 072). A notes object this large
/// is about 8 MiB of JSON, the most one RPC message may carry by default
/// (`ssb_muxrpc::DEFAULT_MAX_BODY_LEN`); a larger one is refused whole, before anything is
/// allocated for its entries.
pub const MAX_NOTES_ENTRIES: usize = 1 << 17;

/// JS `note(seq, rx)`: `-1` for `-1`, else `seq << 1 | !rx` on 32-bit integers, so sequences
/// of 2^30 and more wrap exactly as JS sends them.
pub fn encode(sequence: i64, receive: bool) -> i32 {
    encode_js(crate::JsSeq::Number(sequence as f64), receive)
}

/// `note()` on a JS value (`undefined` and `NaN` encode as sequence 0).
pub(crate) fn encode_js(sequence: crate::JsSeq, receive: bool) -> i32 {
    if sequence.strict_eq(-1.0) {
        return DO_NOT_REPLICATE;
    }
    to_int32(sequence.to_number()).wrapping_shl(1) | i32::from(!receive)
}

/// A decoded note: what `getSequence`, `getReceive` and `getReplicate` of `v3.js` read from
/// one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Note {
    /// `getSequence`: `value >> 1` for an integer (wrapping as `ToInt32` does), else `-1`.
    pub sequence: i32,
    /// `getReceive`: the peer asks us to send (the low bit of `ToInt32(value)` is 0).
    pub receive: bool,
    /// `getReplicate`: the value is not exactly `-1`.
    pub replicate: bool,
}

impl Note {
    /// Decodes a note that is a JSON number.
    pub fn from_number(n: f64) -> Self {
        let int = to_int32(n);
        Self {
            sequence: if is_integer(n) { int >> 1 } else { -1 },
            receive: int & 1 == 0,
            replicate: n != -1.0,
        }
    }

    /// Decodes any JSON value as `v3.js` does (strings, booleans, `null`, arrays and objects
    /// are not integers: sequence `-1`, "replicate", receive bit from `ToNumber`).
    pub fn from_value(value: &Value) -> Self {
        match value {
            Value::Number(n) => Self::from_number(*n),
            other => Self::from_to_number(ssb_feed::to_number(other)),
        }
    }

    /// A value that is not a number, whose `ToNumber` is `n`.
    fn from_to_number(n: f64) -> Self {
        Self {
            sequence: -1,
            receive: to_int32(n) & 1 == 0,
            replicate: true,
        }
    }
}

/// Why a received value could not be read as notes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum NotesError {
    /// The value is `null` (JS throws a `TypeError` reading `null.clock`).
    #[error("the notes are null")]
    Null,
    /// More entries than [`MAX_NOTES_ENTRIES`].
    #[error("{found} note entries, more than the {max} allowed")]
    TooManyEntries {
        /// Entries in the value.
        found: usize,
        /// The limit.
        max: usize,
    },
    /// The text is not JSON.
    #[error("notes are not JSON: {0}")]
    Json(#[from] ssb_legacy_json::ParseError),
}

impl NotesError {
    /// A stable, machine-readable name for the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Null => "notes_null",
            Self::TooManyEntries { .. } => "notes_too_large",
            Self::Json(_) => "notes_json",
        }
    }
}

/// A received notes object, its entries in the order JavaScript's `for…in` visits them
/// (array-index keys first in numeric order, then the others as they came; a repeated key
/// keeps its first place and its last value, as `JSON.parse` leaves it).
///
/// Keys are kept whatever they are: `events.js` answers a key that is not a followed feed
/// (a non-feed string, an array index of an array or string "notes") with `-1` and records
/// it. Keys holding an unpaired UTF-16 surrogate cannot be feeds or be written back by this
/// crate; they are dropped and counted ([`Notes::skipped`]; a labelled policy, see
/// `quirks`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notes {
    entries: Vec<(String, Note)>,
    skipped: usize,
}

impl Notes {
    /// Notes from entries in the order given (e.g. for tests and tools).
    pub fn from_entries<K: Into<String>>(entries: impl IntoIterator<Item = (K, Note)>) -> Self {
        Self {
            entries: entries.into_iter().map(|(k, n)| (k.into(), n)).collect(),
            skipped: 0,
        }
    }

    /// Parses JSON text (as `JSON.parse` would) and reads it as notes
    /// ([`Notes::from_value`]).
    pub fn parse(json: &[u8]) -> Result<Self, NotesError> {
        Self::from_value(&ssb_legacy_json::parse(json)?)
    }

    /// Reads a received value as notes, as `events.js` `notes()` iterates it:
    ///
    /// * an object whose `clock` is an object or array stands for that value (the other
    ///   properties are ignored); any other `clock` is an ordinary key;
    /// * an object's keys with their values; an array's indices with its elements; a
    ///   string's UTF-16 code unit indices with each unit (a one-unit string);
    /// * a number or boolean has no entries; `null` is [`NotesError::Null`].
    pub fn from_value(value: &Value) -> Result<Self, NotesError> {
        let value = match value {
            Value::Null => return Err(NotesError::Null),
            Value::Object(o) => match o.get("clock") {
                Some(inner @ (Value::Object(_) | Value::Array(_))) => inner,
                _ => value,
            },
            other => other,
        };
        let check = |found: usize| {
            if found > MAX_NOTES_ENTRIES {
                Err(NotesError::TooManyEntries {
                    found,
                    max: MAX_NOTES_ENTRIES,
                })
            } else {
                Ok(found)
            }
        };
        let mut notes = Self::default();
        match value {
            Value::Object(o) => {
                notes.entries.reserve_exact(check(o.len())?);
                for (k, v) in o.iter() {
                    match k.as_str() {
                        Some(k) => notes.entries.push((k.to_string(), Note::from_value(v))),
                        None => notes.skipped = notes.skipped.saturating_add(1),
                    }
                }
            }
            Value::Array(a) => {
                notes.entries.reserve_exact(check(a.len())?);
                for (i, v) in a.iter().enumerate() {
                    notes.entries.push((i.to_string(), Note::from_value(v)));
                }
            }
            Value::String(s) => {
                notes.entries.reserve_exact(check(s.utf16_len())?);
                for (i, unit) in s.encode_utf16().enumerate() {
                    let one = JsString::from_utf16(&[unit]);
                    let n = Note::from_to_number(ssb_feed::to_number(&Value::String(one)));
                    notes.entries.push((i.to_string(), n));
                }
            }
            _ => {}
        }
        Ok(notes)
    }

    /// The entries in iteration order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, Note)> + '_ {
        self.entries.iter().map(|(k, n)| (k.as_str(), *n))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keys dropped because they held an unpaired surrogate.
    pub fn skipped(&self) -> usize {
        self.skipped
    }
}

/// What a peer wrote on an EBT stream, told apart as `ssb-ebt`'s classic `isMsg` does.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Incoming<'a> {
    /// A message: an object whose `author` is a feed id (`ssb-ref`), whose `sequence` is an
    /// integer above 0 and whose `content` is truthy. Hand it to
    /// [`Engine::handle_message`](crate::Engine::handle_message).
    Message {
        /// Its author.
        author: &'a str,
        /// Its sequence.
        sequence: u64,
    },
    /// Anything else: notes ([`Engine::handle_notes`](crate::Engine::handle_notes)).
    Notes(Notes),
    /// A message whose sequence is beyond `Number.MAX_SAFE_INTEGER` ([`crate::MAX_SEQUENCE`]).
    /// JS takes it (it is an integer), raises the peer's claim to it and asks the database
    /// to validate it, which refuses it (not the next message). Policy: we drop it.
    OutOfRange {
        /// Its author.
        author: &'a str,
    },
}

/// JS truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0 && !n.is_nan(),
        Value::String(s) => !s.as_wtf8().is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Tells a received value apart: a message, or notes (see [`Incoming`]).
///
/// ```
/// use ssb_replication::note::{Incoming, classify};
/// let msg = ssb_legacy_json::parse(br#"{"author":"@FCX/tsDLpubCPKKfIrw4gc+SQkHcaD17s7GI6i/ziWY=.ed25519","sequence":2,"content":{"type":"x"}}"#).unwrap();
/// assert!(matches!(classify(&msg), Ok(Incoming::Message { sequence: 2, .. })));
/// // `content: null` makes it notes (three odd keys), as in JS.
/// let odd = ssb_legacy_json::parse(br#"{"author":"@FCX/tsDLpubCPKKfIrw4gc+SQkHcaD17s7GI6i/ziWY=.ed25519","sequence":2,"content":null}"#).unwrap();
/// assert!(matches!(classify(&odd), Ok(Incoming::Notes(n)) if n.len() == 3));
/// ```
pub fn classify(value: &Value) -> Result<Incoming<'_>, NotesError> {
    if let Value::Object(o) = value {
        let author = o
            .get("author")
            .and_then(Value::as_str)
            .filter(|a| ssb_feed::is_ref_feed_id(a));
        let sequence = o
            .get("sequence")
            .and_then(Value::as_f64)
            .filter(|s| is_integer(*s) && *s > 0.0);
        let content = o.get("content").is_some_and(truthy);
        if let (Some(author), Some(sequence), true) = (author, sequence, content) {
            return Ok(if sequence <= crate::MAX_SEQUENCE as f64 {
                Incoming::Message {
                    author,
                    sequence: sequence as u64,
                }
            } else {
                Incoming::OutOfRange { author }
            });
        }
    }
    Notes::from_value(value).map(Incoming::Notes)
}

/// Notes to send to one peer, in the order JS writes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutgoingNotes {
    pub(crate) entries: Vec<(alloc::sync::Arc<str>, i32)>,
}

impl OutgoingNotes {
    /// The entries, feed and encoded note, in insertion order (a feed noted twice keeps its
    /// first place and its last note). `JSON.stringify` puts array-index keys first; the
    /// JSON forms below do the same.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, i32)> + '_ {
        self.entries.iter().map(|(k, n)| (&**k, *n))
    }

    /// Number of entries (may be 0: the first notes of a session are sent even when empty).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn object(&self) -> ssb_legacy_json::Object {
        let mut o = ssb_legacy_json::Object::new();
        for (k, n) in &self.entries {
            o.insert(&**k, Value::Number(f64::from(*n)));
        }
        o
    }

    /// The JSON text JS writes (`JSON.stringify(notes)`).
    pub fn to_json_string(&self) -> String {
        Value::Object(self.object()).to_compact_string()
    }

    /// The notes as a `serde_json` object (in JS's order when `serde_json`'s
    /// `preserve_order` feature is on, as it is for `ssb-muxrpc`).
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (k, v) in self.object().iter() {
            let n = v.as_f64().map_or(0, |n| n as i64);
            map.insert(k.to_string_lossy().into_owned(), serde_json::Value::from(n));
        }
        serde_json::Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note_of(json: &str) -> Note {
        Note::from_value(&ssb_legacy_json::parse(json.as_bytes()).unwrap())
    }

    #[test]
    fn the_js_table() {
        // docs/EBT-NOTES.md §3, proven on JS by the notes/value vectors.
        let n = |s, r, p| Note {
            sequence: s,
            receive: r,
            replicate: p,
        };
        assert_eq!(note_of("10"), n(5, true, true));
        assert_eq!(note_of("-2"), n(-1, true, true));
        assert_eq!(note_of("-3"), n(-2, false, true));
        assert_eq!(note_of("2147483646"), n(1_073_741_823, true, true));
        assert_eq!(note_of("2147483648"), n(-1_073_741_824, true, true));
        assert_eq!(note_of("4.0"), n(2, true, true));
        assert_eq!(note_of("1e3"), n(500, true, true));
        for s in ["4.5", "\"4\"", "null", "false", "{}", "[4]"] {
            assert_eq!(note_of(s), n(-1, true, true), "{s}");
        }
        for s in ["1.5", "true", "\"5\"", "[\" 7 \"]"] {
            assert_eq!(note_of(s), n(-1, false, true), "{s}");
        }
    }

    #[test]
    fn shapes() {
        let keys = |json: &str| -> Vec<String> {
            Notes::parse(json.as_bytes())
                .unwrap()
                .iter()
                .map(|(k, _)| k.to_string())
                .collect()
        };
        assert_eq!(
            keys(r#"{"b":1,"a":2,"1":3,"0":4,"b":5}"#),
            ["0", "1", "b", "a"]
        );
        assert_eq!(keys(r#"{"clock":{"x":2},"y":4}"#), ["x"]);
        assert_eq!(keys(r#"{"clock":3,"y":4}"#), ["clock", "y"]);
        assert_eq!(keys(r#""ab""#), ["0", "1"]);
        assert_eq!(keys(r#""😀""#), ["0", "1"]);
        assert_eq!(keys("[7,8]"), ["0", "1"]);
        assert!(keys("7").is_empty() && keys("true").is_empty());
        assert_eq!(Notes::parse(b"null"), Err(NotesError::Null));
        assert_eq!(Notes::parse(br#"{"a":1,"\ud800":2}"#).unwrap().skipped(), 1);
        let big = alloc::format!("[{}0]", "0,".repeat(MAX_NOTES_ENTRIES));
        assert_eq!(
            Notes::parse(big.as_bytes()).unwrap_err().code(),
            "notes_too_large"
        );
    }

    #[test]
    fn outgoing_order_puts_indices_first() {
        let out = OutgoingNotes {
            entries: ["b", "7", "a", "2"]
                .iter()
                .map(|k| (alloc::sync::Arc::from(*k), 1))
                .collect(),
        };
        assert_eq!(out.to_json_string(), r#"{"2":1,"7":1,"b":1,"a":1}"#);
    }
}
