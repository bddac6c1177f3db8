//! The `feed` layer: ssb-feed against ssb-validate, ssb-keys and libsodium.

use serde_json::{Value, json};
use ssb_crypto::{Keypair, MsgId};
use ssb_feed::{FeedState, SignCap, Validator, create_message};

use super::{hex_array, ok, str_field};
use crate::Outcome;

fn cap_of(input: &Value) -> SignCap {
    SignCap::from_js(input.get("hmac_key").and_then(Value::as_str))
}

pub(crate) fn run(op: &str, input: &Value) -> Result<Outcome, String> {
    Ok(match op {
        "validate" => {
            let mode = str_field(input, "mode")?;
            let msgs = input
                .get("messages")
                .and_then(Value::as_array)
                .ok_or("input has no array `messages`")?;
            let mut v = Validator::new(cap_of(input));
            let mut results = Vec::with_capacity(msgs.len());
            for m in msgs {
                let text = m.as_str().ok_or("a message is not a string")?;
                let r = match mode {
                    "append" => v.append(text.as_bytes()),
                    "ooo" => v.append_ooo(text.as_bytes()),
                    other => return Err(format!("unknown mode `{other}`")),
                };
                results.push(match r {
                    Ok(m) => json!({ "valid": true, "id": m.id().to_string() }),
                    Err(e) => json!({ "valid": false, "error": e.code() }),
                });
            }
            ok([("results", Value::Array(results))])
        }
        "create" => {
            let keys = Keypair::from_seed(&hex_array(input, "seed")?);
            let state = match input.get("state") {
                None | Some(Value::Null) => None,
                Some(s) => Some(FeedState {
                    id: s
                        .get("id")
                        .and_then(Value::as_str)
                        .and_then(|t| t.parse::<MsgId>().ok())
                        .ok_or("state.id is not a message id")?,
                    sequence: s
                        .get("sequence")
                        .and_then(Value::as_i64)
                        .ok_or("state.sequence is not an integer")?,
                    timestamp: s
                        .get("timestamp")
                        .and_then(Value::as_f64)
                        .unwrap_or(f64::NAN),
                }),
            };
            let content = ssb_legacy_json::parse(str_field(input, "content_json")?.as_bytes())
                .map_err(|e| format!("content_json: {e}"))?;
            let ts = input
                .get("timestamp")
                .and_then(Value::as_f64)
                .ok_or("input has no number `timestamp`")?;
            match create_message(&keys, state.as_ref(), content, ts, &cap_of(input)) {
                Ok(m) => ok([
                    ("message", json!(m.to_signing_string())),
                    ("id", json!(m.id().to_string())),
                ]),
                // `CreateError::code()` is the class: `timestamp` and `content` (what
                // ssb-validate.create throws for them) or the code of the validation failure.
                Err(e) => Outcome::error(e.code(), format!("{}: {e}", e.code())),
            }
        }
        _ => return Err(format!("unknown op `{op}`")),
    })
}
