//! `legacy-json` vectors: JS `JSON.parse` then `JSON.stringify(v, null, 2)` / `JSON.stringify(v)`,
//! the UTF-16 length and the latin1 SHA-256, through `ssb-legacy-json`.

use serde_json::Value;

use super::{hex, hex_field, ok, str_field};
use crate::Outcome;

pub(crate) fn run(op: &str, input: &Value) -> Result<Outcome, String> {
    match op {
        "stringify" => {
            let bytes = if input.get("json").is_some() {
                str_field(input, "json")?.as_bytes().to_vec()
            } else {
                hex_field(input, "json_hex")?
            };
            let value = match ssb_legacy_json::parse(&bytes) {
                Ok(v) => v,
                // `ParseError::code()` is already the coarse class: JS-mode parsing fails
                // only with `syntax` (what `JSON.parse` throwing maps to) or `limit` (ours).
                Err(e) => return Ok(Outcome::error(e.code(), e)),
            };
            let summary = value.signing().legacy_summary();
            Ok(ok([
                ("signing", Value::String(value.to_signing_string())),
                ("compact", Value::String(value.to_compact_string())),
                ("utf16_len", Value::from(summary.utf16_len)),
                ("legacy_sha256", Value::String(hex(&summary.legacy_sha256))),
            ]))
        }
        _ => Err(format!("unknown legacy-json op `{op}`")),
    }
}
