//! Packet bodies as JS sees them: bytes, text or JSON (docs/PROTOCOL.md §4.1, §4.5).

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde_json::Value;

use crate::codec::BodyType;

/// A packet body, interpreted as JS `packet-stream-codec` does.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Raw bytes (body type 0; a JS `Buffer`).
    Binary(Vec<u8>),
    /// Text (body type 1; a JS string).
    Text(String),
    /// A JSON value (body type 2).
    Json(Value),
    /// A JSON text (body type 2) kept as text: sent exactly as given, and received this way
    /// instead of [`Json`](Self::Json) when [`Config::raw_json`](crate::Config::raw_json) is
    /// set. For values that a `serde_json::Value` cannot hold or would re-format: SSB
    /// messages with lone surrogates in strings, numbers whose JS spelling must be kept (a
    /// signed message is served byte for byte as JS `JSON.stringify` writes it). Not checked
    /// here: the sender must give one JSON text, the receiver parses it (with JS semantics,
    /// e.g. `ssb-legacy-json`). Received text is the body's lossy UTF-8, as JS reads it.
    RawJson(String),
}

/// Why a body could not be read. A remote error about one packet; see the endpoint for
/// what happens to the request it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// A JSON body (type 2) is not JSON (JS: `JSON.parse` throws and the connection dies).
    #[error("invalid JSON body at line {line}, column {column}")]
    InvalidJson {
        /// Where the parser stopped (1-based; 0 if unknown).
        line: usize,
        /// Column on that line (1-based; 0 if unknown).
        column: usize,
    },
    /// An empty binary body cannot be sent: a JS peer would read it as a goodbye.
    #[error("empty binary body (a JS peer reads length 0 as goodbye)")]
    EmptyBinary,
    /// An empty [`Body::RawJson`] is no JSON text (and would be read as a goodbye).
    #[error("empty raw JSON body (not a JSON text; a JS peer reads length 0 as goodbye)")]
    EmptyRawJson,
    /// A body too long for the 32-bit length field.
    #[error("body of {len} bytes does not fit the 32-bit length field")]
    TooLong {
        /// Its length.
        len: usize,
    },
}

impl BodyError {
    /// A stable machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidJson { .. } => "muxrpc_invalid_json",
            Self::EmptyBinary | Self::EmptyRawJson => "muxrpc_empty_body",
            Self::TooLong { .. } => "muxrpc_body_too_long",
        }
    }
}

/// Decodes bytes as Node's `Buffer.prototype.toString()` does: invalid UTF-8 sequences
/// become U+FFFD (maximal subparts, the WHATWG rule both Node and Rust follow).
pub fn utf8_lossy(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Parses a JSON body as JS does (`JSON.parse(buffer.toString())`): lossy UTF-8 first, then
/// JSON. See [`quirks`](crate::quirks) for the few texts JS accepts and serde_json does not.
pub fn parse_json(bytes: &[u8]) -> Result<Value, BodyError> {
    let invalid = |e: serde_json::Error| BodyError::InvalidJson {
        line: e.line(),
        column: e.column(),
    };
    // Valid UTF-8 (nearly always) parses in one pass; only input serde_json refuses is
    // checked for invalid UTF-8 and, if it has some, parsed again after the lossy decoding.
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok(v),
        Err(e) if core::str::from_utf8(bytes).is_ok() => Err(invalid(e)),
        Err(_) => serde_json::from_str(&utf8_lossy(bytes)).map_err(invalid),
    }
}

impl Body {
    /// Interprets a received body of the given type the way JS does: binary as is, text with
    /// lossy UTF-8, JSON via [`parse_json`].
    pub fn decode(body_type: BodyType, bytes: &[u8]) -> Result<Self, BodyError> {
        Ok(match body_type {
            BodyType::Binary => Self::Binary(bytes.to_vec()),
            BodyType::Utf8 => Self::Text(utf8_lossy(bytes).into_owned()),
            BodyType::Json => Self::Json(parse_json(bytes)?),
        })
    }

    /// [`decode`](Self::decode), except that with `raw` a JSON body (type 2) becomes
    /// [`Body::RawJson`] with its lossy UTF-8 text, unparsed (and so never an error).
    pub fn decode_raw(raw: bool, body_type: BodyType, bytes: &[u8]) -> Result<Self, BodyError> {
        match body_type {
            BodyType::Json if raw => Ok(Self::RawJson(utf8_lossy(bytes).into_owned())),
            t => Self::decode(t, bytes),
        }
    }

    /// JS's `undefined` as an async result: `packet-stream` sends the packet's `end` flag
    /// (`false`) in place of a missing value, so a JS method that calls back with no value
    /// reaches the peer as JSON `false`. Returns that body.
    pub fn undefined() -> Self {
        Self::Json(Value::Bool(false))
    }

    /// A JSON body.
    pub fn json(value: impl Into<Value>) -> Self {
        Self::Json(value.into())
    }

    /// The body type and bytes this body is sent as, following JS `packet-stream-codec`: a
    /// string (text, or a JSON string value) goes out as raw UTF-8 of type 1, bytes as type
    /// 0, any other JSON value as compact JSON of type 2, and raw JSON text as given with
    /// type 2 (never empty). An empty string goes out as the
    /// JSON text `""` (type 2), which a JS peer decodes to the same empty string, where the
    /// zero-length type-1 body JS itself would send reads as a goodbye. An empty binary body
    /// has no such equivalent and is refused.
    pub fn encode(&self) -> Result<(BodyType, Cow<'_, [u8]>), BodyError> {
        let (t, bytes): (BodyType, Cow<'_, [u8]>) = match self {
            Self::Binary(b) if b.is_empty() => return Err(BodyError::EmptyBinary),
            Self::Binary(b) => (BodyType::Binary, Cow::Borrowed(b)),
            Self::Text(s) | Self::Json(Value::String(s)) if s.is_empty() => {
                (BodyType::Json, Cow::Borrowed(b"\"\""))
            }
            Self::Text(s) | Self::Json(Value::String(s)) => {
                (BodyType::Utf8, Cow::Borrowed(s.as_bytes()))
            }
            Self::Json(v) => (BodyType::Json, Cow::Owned(json_bytes(v))),
            Self::RawJson(s) if s.is_empty() => return Err(BodyError::EmptyRawJson),
            Self::RawJson(s) => (BodyType::Json, Cow::Borrowed(s.as_bytes())),
        };
        if u32::try_from(bytes.len()).is_err() {
            return Err(BodyError::TooLong { len: bytes.len() });
        }
        Ok((t, bytes))
    }

    /// The JSON value, if this is a JSON body.
    pub fn as_json(&self) -> Option<&Value> {
        match self {
            Self::Json(v) => Some(v),
            _ => None,
        }
    }

    /// The text, if this is a text body or a JSON string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            Self::Json(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// The JSON text, if this is a [`Body::RawJson`].
    pub fn as_raw_json(&self) -> Option<&str> {
        match self {
            Self::RawJson(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes, if this is a binary body.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Self::Binary(b) => Some(b),
            _ => None,
        }
    }
}

impl From<Value> for Body {
    fn from(v: Value) -> Self {
        Self::Json(v)
    }
}

/// Compact JSON text of a value (what JS `JSON.stringify` writes, up to number formatting).
pub(crate) fn json_bytes(v: &Value) -> Vec<u8> {
    // Serializing a `Value` into a `Vec` cannot fail (no I/O, keys are strings).
    serde_json::to_vec(v).unwrap_or_else(|_| b"null".to_vec())
}

/// An error object as JS muxrpc sends it: `{message, name, stack}` (packet-stream's `flat`).
/// Received error bodies may lack any field or not be objects at all; they are read
/// leniently (see [`RemoteError::from_body`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteError {
    /// The JS error class name, usually `"Error"` or `"TypeError"`.
    pub name: String,
    /// The message, e.g. `"no async:blobs,has"`.
    pub message: String,
    /// The JS stack trace, if any (JS sends a string or `null`).
    pub stack: Option<String>,
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.name, self.message)
        }
    }
}

/// The JS name of a call type in error texts (`sync` calls travel as `async`).
fn type_name(kind: crate::CallType) -> &'static str {
    kind.as_str()
}

/// A method path as a JS template string prints an array: elements joined by commas.
fn js_join(name: &[String]) -> String {
    name.join(",")
}

impl RemoteError {
    /// An error with `name` `"Error"`, this message and no stack.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            name: "Error".into(),
            message: message.into(),
            stack: None,
        }
    }

    /// JS muxrpc's answer to a call of a method it does not have (`local-api.js`):
    /// `no <type>:<name>`, the path joined by commas, e.g. `no async:blobs,has`,
    /// `no duplex:ebt,replicate`. ssb-ebt recognises a peer without EBT by this exact text.
    pub fn no_such_method(kind: crate::CallType, name: &[String]) -> Self {
        Self::new(alloc::format!("no {}:{}", type_name(kind), js_join(name)))
    }

    /// JS muxrpc's answer to a call the permissions refuse (`permissions.js`):
    /// `method:<name> is not in list of allowed methods`, the path joined by commas.
    pub fn not_allowed(name: &[String]) -> Self {
        Self::new(alloc::format!(
            "method:{} is not in list of allowed methods",
            js_join(name)
        ))
    }

    /// JS muxrpc's answer to a call the permissions deny explicitly:
    /// `method:<name> is on list of disallowed methods`.
    pub fn disallowed(name: &[String]) -> Self {
        Self::new(alloc::format!(
            "method:{} is on list of disallowed methods",
            js_join(name)
        ))
    }

    /// Reads an error body leniently: an object's string `name`, `message` and `stack`
    /// fields (missing ones empty / `None`); any other JSON value, or a text body, becomes
    /// the message with an empty name.
    pub fn from_body(body: &Body) -> Self {
        match body {
            Body::Json(Value::Object(o)) => {
                let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
                Self {
                    name: s("name").unwrap_or_default(),
                    message: s("message").unwrap_or_default(),
                    stack: s("stack"),
                }
            }
            Body::Json(Value::String(s)) | Body::Text(s) | Body::RawJson(s) => Self {
                name: String::new(),
                message: s.clone(),
                stack: None,
            },
            Body::Json(v) => Self {
                name: String::new(),
                message: v.to_string(),
                stack: None,
            },
            Body::Binary(b) => Self {
                name: String::new(),
                message: utf8_lossy(b).into_owned(),
                stack: None,
            },
        }
    }

    /// The JSON object JS sends: `{"message":…,"name":…,"stack":…}` (`stack` `null` when
    /// absent, as packet-stream's own errors have it).
    pub fn to_json(&self) -> Value {
        let mut o = serde_json::Map::new();
        o.insert("message".into(), Value::String(self.message.clone()));
        o.insert("name".into(), Value::String(self.name.clone()));
        o.insert(
            "stack".into(),
            self.stack.clone().map_or(Value::Null, Value::String),
        );
        Value::Object(o)
    }
}
