//! One module per vector layer. Each exposes `run(op, input) -> Result<Outcome, String>`:
//! `Ok(outcome)` is what the Rust stack did; `Err` means the case itself is unusable
//! (unknown op, missing or malformed input field), which the runner counts as a failure.

use serde_json::{Map, Value};

use crate::Outcome;

mod boxstream;
mod crypto;
pub(crate) mod ebt;
mod feed;
mod handshake;
mod legacy_json;
mod muxrpc;
mod private_box;
mod session;

pub(crate) fn run(layer: &str, op: &str, input: &Value) -> Result<Outcome, String> {
    match layer {
        "crypto" => crypto::run(op, input),
        "legacy-json" => legacy_json::run(op, input),
        "handshake" => handshake::run(op, input),
        "boxstream" => boxstream::run(op, input),
        "feed" => feed::run(op, input),
        "session" => session::run(op, input),
        "muxrpc" => muxrpc::run(op, input),
        "private-box" => private_box::run(op, input),
        _ => Err(format!("unsupported layer `{layer}`")),
    }
}

/// A string input field.
pub(crate) fn str_field<'a>(input: &'a Value, name: &str) -> Result<&'a str, String> {
    input
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("input has no string field `{name}`"))
}

/// A hex input field, decoded.
pub(crate) fn hex_field(input: &Value, name: &str) -> Result<Vec<u8>, String> {
    let s = str_field(input, name)?;
    hex_decode(s).ok_or_else(|| format!("input field `{name}` is not hex"))
}

/// A hex input field that must be exactly `N` bytes.
pub(crate) fn hex_array<const N: usize>(input: &Value, name: &str) -> Result<[u8; N], String> {
    let s = str_field(input, name)?;
    ssb_crypto::hex::decode_array(s).map_err(|e| format!("input field `{name}`: {e}"))
}

/// Hex of any (even) length, decoded with the workspace's one hex implementation.
pub(crate) fn hex_decode(s: &str) -> Option<Vec<u8>> {
    ssb_crypto::hex::decode_vec(s).ok()
}

/// Lowercase hex.
pub(crate) use ssb_crypto::hex::encode as hex;

/// Builds an `Outcome::Ok` from pairs.
pub(crate) fn ok<const N: usize>(fields: [(&str, Value); N]) -> Outcome {
    let mut m = Map::new();
    for (k, v) in fields {
        m.insert(k.to_owned(), v);
    }
    Outcome::Ok(m)
}
