//! Request bodies: `{name, args, type}` (docs/PROTOCOL.md §4.3).
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use serde_json::{Map, Value};

use crate::body::{Body, json_bytes, utf8_lossy};

/// The four kinds of muxrpc call. JS `sync` methods are called exactly like `async` ones on
/// the wire, so there is no `Sync` here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallType {
    /// One request, one response.
    Async,
    /// The responder sends a stream of values to the requester.
    Source,
    /// The requester sends a stream of values to the responder.
    Sink,
    /// Both send streams.
    Duplex,
}

impl CallType {
    /// The name JS uses in manifests, request bodies and error texts.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Async => "async",
            Self::Source => "source",
            Self::Sink => "sink",
            Self::Duplex => "duplex",
        }
    }

    /// The stream type named in a request body's `type` (`None` for anything but
    /// `source`, `sink` and `duplex`).
    pub fn stream_from_str(s: &str) -> Option<Self> {
        match s {
            "source" => Some(Self::Source),
            "sink" => Some(Self::Sink),
            "duplex" => Some(Self::Duplex),
            _ => None,
        }
    }

    /// True for source, sink and duplex.
    pub fn is_stream(self) -> bool {
        self != Self::Async
    }
}

/// A call the peer made: what an incoming request packet asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The method path, e.g. `["blobs", "has"]`. A plain-string name (JS's bootstrap
    /// `"manifest"`) is a one-element path.
    pub name: Vec<String>,
    /// The arguments (a JSON array on the wire).
    pub args: Vec<Value>,
    /// The kind of call: [`CallType::Async`] for every packet without the stream flag (its
    /// `type`, if any, is ignored, as JS does), else the body's `type`.
    pub kind: CallType,
}

/// Why an incoming request packet could not be read as a call. Remote errors about one
/// request: the endpoint answers that request with [`RequestError::to_remote_error`] and
/// carries on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The body is not JSON (or not a JSON body at all).
    #[error("invalid request: body is not JSON")]
    NotJson,
    /// The JSON is not an object.
    #[error("invalid request: not a JSON object")]
    NotAnObject,
    /// `name` is neither a string nor an array of strings.
    #[error("invalid request: name must be a string or an array of strings")]
    BadName,
    /// `args` is not an array (JS: "invalid request, args should be array").
    #[error("invalid request: args must be an array")]
    ArgsNotArray,
    /// A stream request whose `type` is not `source`, `sink` or `duplex` (JS: "unsupported
    /// stream type").
    #[error("unsupported stream type: {0}")]
    UnsupportedStreamType(String),
}

impl RequestError {
    /// A stable machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotJson => "muxrpc_request_not_json",
            Self::NotAnObject => "muxrpc_request_not_object",
            Self::BadName => "muxrpc_request_bad_name",
            Self::ArgsNotArray => "muxrpc_request_args_not_array",
            Self::UnsupportedStreamType(_) => "muxrpc_unsupported_stream_type",
        }
    }
}

/// The most of a malformed request quoted back in the error answer (JS quotes it whole):
/// bounds the answer a peer's garbage can make us send.
pub const MAX_QUOTED_REQUEST: usize = 1024;

fn shorten(mut s: String) -> String {
    if s.len() > MAX_QUOTED_REQUEST {
        // The last char boundary at or before the limit (0 always is one).
        let cut = (0..=MAX_QUOTED_REQUEST)
            .rev()
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(0);
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// How JS prints a value inside a template string, for the request errors JS words itself.
fn js_template(v: Option<&Value>) -> String {
    match v {
        None => "undefined".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) => "null".into(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| match x {
                Value::Null => String::new(),
                x => js_template(Some(x)),
            })
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::Object(_)) => "[object Object]".into(),
        Some(v) => v.to_string(),
    }
}

/// Reads an incoming request body. `stream` is the packet's stream flag.
///
/// Accepts what JS muxrpc 8 accepts: a plain-string `name`; no `type` on async requests
/// (any `type` there is ignored); no `args` on a stream request (empty). The returned error
/// says what JS would answer, see [`RequestError::to_remote_error`].
pub fn parse_request(stream: bool, body: &Body) -> Result<Request, (RequestError, String)> {
    if let Body::RawJson(text) = body {
        return match serde_json::from_str(text) {
            Ok(v) => parse_request(stream, &Body::Json(v)),
            Err(_) => Err((RequestError::NotJson, shorten(text.clone()))),
        };
    }
    let Body::Json(v) = body else {
        let shown = match body {
            Body::Text(s) => s.clone(),
            Body::Binary(b) => utf8_lossy(b).into_owned(),
            Body::Json(_) | Body::RawJson(_) => String::new(),
        };
        return Err((RequestError::NotJson, shorten(shown)));
    };
    let shown = || shorten(utf8_lossy(&json_bytes(v)).into_owned());
    let Value::Object(o) = v else {
        return Err((RequestError::NotAnObject, shown()));
    };
    let kind = if stream {
        let t = o.get("type");
        match t
            .and_then(Value::as_str)
            .and_then(CallType::stream_from_str)
        {
            Some(k) => k,
            None => {
                let t = shorten(js_template(t));
                return Err((RequestError::UnsupportedStreamType(t), shown()));
            }
        }
    } else {
        CallType::Async
    };
    let args = match o.get("args") {
        Some(Value::Array(a)) => a.clone(),
        None if stream => Vec::new(),
        _ => return Err((RequestError::ArgsNotArray, shown())),
    };
    let name = match o.get("name") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => {
            let mut path = Vec::with_capacity(a.len());
            for part in a {
                match part {
                    Value::String(s) => path.push(s.clone()),
                    _ => return Err((RequestError::BadName, shown())),
                }
            }
            path
        }
        _ => return Err((RequestError::BadName, shown())),
    };
    Ok(Request { name, args, kind })
}

impl RequestError {
    /// The error object sent back for a request that failed to parse; `shown` is the request
    /// as compact JSON (the second half of [`parse_request`]'s error, cut after
    /// [`MAX_QUOTED_REQUEST`] bytes). Where JS words the
    /// failure itself, these are its texts: `invalid request, args should be array, was:
    /// <json>` and `unsupported stream type: <type>`.
    pub fn to_remote_error(&self, shown: &str) -> crate::RemoteError {
        crate::RemoteError::new(match self {
            Self::ArgsNotArray => {
                alloc::format!("invalid request, args should be array, was: {shown}")
            }
            Self::UnsupportedStreamType(t) => alloc::format!("unsupported stream type: {t}"),
            Self::NotJson => alloc::format!("invalid request, body is not JSON: {shown}"),
            Self::NotAnObject => alloc::format!("invalid request, not an object: {shown}"),
            Self::BadName => alloc::format!(
                "invalid request, name should be a string or an array of strings, was: {shown}"
            ),
        })
    }
}

/// The request body this crate sends, byte for byte what JS muxrpc sends:
/// `{"name":[…],"args":[…]}` for an async call and `{"name":[…],"args":[…],"type":"…"}` for
/// a stream (the whole-session vectors compare these bytes; go-muxrpc and Kuska also read a
/// missing `type` as async).
pub fn request_body(kind: CallType, name: &[String], args: Vec<Value>) -> Value {
    let mut o = Map::new();
    o.insert(
        "name".into(),
        Value::Array(name.iter().cloned().map(Value::String).collect()),
    );
    o.insert("args".into(), Value::Array(args));
    if kind != CallType::Async {
        o.insert("type".into(), Value::String(kind.as_str().into()));
    }
    Value::Object(o)
}
