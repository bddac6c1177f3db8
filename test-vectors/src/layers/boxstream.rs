//! The `boxstream` layer: ssb-boxstream against what pull-box-stream sealed and opened.

use serde_json::{Value, json};
use ssb_boxstream::{Decryptor, Encryptor, Frame, GOODBYE_LEN, OpenError, Progress, sealed_len};

use super::{hex, hex_array, hex_field, ok};
use crate::Outcome;

pub(crate) fn run(op: &str, input: &Value) -> Result<Outcome, String> {
    match op {
        "boxstream_seal" => seal(input),
        "boxstream_open" => open(input),
        _ => Err(format!("unknown op `{op}`")),
    }
}

fn seal(input: &Value) -> Result<Outcome, String> {
    let mut enc = Encryptor::new(hex_array(input, "key")?, hex_array(input, "nonce")?);
    let chunks = input
        .get("chunks")
        .and_then(Value::as_array)
        .ok_or("input has no array `chunks`")?;
    let mut wire = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        let chunk = super::hex_decode(c.as_str().unwrap_or("?"))
            .ok_or_else(|| format!("chunk {i} is not hex"))?;
        let start = wire.len();
        wire.resize(start + sealed_len(chunk.len()), 0);
        let n = enc
            .seal(&chunk, wire.get_mut(start..).unwrap_or_default())
            .map_err(|e| e.to_string())?;
        wire.truncate(start + n);
    }
    if input.get("goodbye").and_then(Value::as_bool) != Some(false) {
        let start = wire.len();
        wire.resize(start + GOODBYE_LEN, 0);
        enc.seal_goodbye(wire.get_mut(start..).unwrap_or_default())
            .map_err(|e| e.to_string())?;
    }
    Ok(ok([("wire", json!(hex(&wire)))]))
}

fn class(e: OpenError) -> &'static str {
    match e {
        OpenError::HeaderUnauthentic => "invalid_header",
        OpenError::BodyUnauthentic => "invalid_body",
        OpenError::Truncated => "truncated",
        _ => e.code(),
    }
}

fn open(input: &Value) -> Result<Outcome, String> {
    let wire = hex_field(input, "wire")?;
    let mut dec = Decryptor::new(hex_array(input, "key")?, hex_array(input, "nonce")?);
    // The same delivery as the JS side: the listed piece sizes, then any rest.
    let mut pieces: Vec<&[u8]> = Vec::new();
    let mut at = 0usize;
    if let Some(sizes) = input.get("pieces").and_then(Value::as_array) {
        for s in sizes {
            let n = usize::try_from(s.as_u64().ok_or("piece size is not a number")?)
                .map_err(|e| e.to_string())?;
            let end = (at + n).min(wire.len());
            pieces.push(wire.get(at..end).unwrap_or_default());
            at = end;
        }
    }
    if at < wire.len() || pieces.is_empty() {
        pieces.push(wire.get(at..).unwrap_or_default());
    }
    let mut chunks = Vec::new();
    let mut end = None;
    'pieces: for mut piece in pieces {
        loop {
            match dec.open(piece) {
                Err(e) => {
                    end = Some(class(e));
                    break 'pieces;
                }
                Ok(o) => {
                    match o.progress {
                        Progress::Frame(Frame::Data(d)) => chunks.push(json!(hex(d))),
                        Progress::Frame(Frame::Goodbye) | Progress::Ended => {
                            end = Some("goodbye");
                            break 'pieces;
                        }
                        Progress::NeedMore(_) => {}
                    }
                    piece = piece.get(o.consumed..).unwrap_or_default();
                    if piece.is_empty() {
                        break;
                    }
                }
            }
        }
    }
    let end = match end {
        Some(e) => e,
        None => match dec.finish() {
            Ok(()) => "goodbye",
            Err(e) => class(e),
        },
    };
    Ok(ok([("chunks", Value::Array(chunks)), ("end", json!(end))]))
}
