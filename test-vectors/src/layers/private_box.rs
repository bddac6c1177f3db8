//! The `private-box` layer: ssb-private-box against JS private-box, ssb-keys and
//! ssb-validate.
//!
//! Each reader's `verdict` is `opened` (`Ok(Some(_))`), `not_for_me` (`Ok(None)`) or
//! `malformed` (an error); `msg_key` is what `open_key` found (JS `multibox_open_key`).
//! Error classes (`test-vectors/README.md`) are `SealError::code()`, `invalid_max` for a
//! `max` our `MaxRecipients` cannot hold; anything else is [`UNCLASSIFIED`].

use serde_json::{Value, json};
use ssb_crypto::{CurvePublicKey, CurveSecretKey, FeedId, Keypair};
use ssb_feed::{FeedState, SignCap, validate_message};
use ssb_private_box::{
    BoxSecrets, MaxRecipients, SealError, UnboxError, box_content, open_key_with_max,
    open_with_max, seal, unbox_content,
};

use super::{hex, hex_array, hex_decode, hex_field, ok, str_field};
use crate::{Outcome, UNCLASSIFIED};

fn seal_error(e: &SealError) -> Outcome {
    let class = match e {
        SealError::BufferTooSmall(_) => UNCLASSIFIED,
        _ => e.code(),
    };
    Outcome::error(class, format!("{}: {e}", e.code()))
}

pub(crate) fn run(op: &str, input: &Value) -> Result<Outcome, String> {
    match op {
        "seal" => seal_op(input),
        "open" => open_op(input),
        "box_content" => box_content_op(input),
        "unbox_content" => unbox_content_op(input),
        "feed_unbox" => feed_unbox_op(input),
        _ => Err(format!("unknown op `{op}`")),
    }
}

fn array<'a>(input: &'a Value, name: &str) -> Result<&'a [Value], String> {
    input
        .get(name)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .ok_or_else(|| format!("input has no array `{name}`"))
}

fn hex32(v: &Value, what: &str) -> Result<[u8; 32], String> {
    v.as_str()
        .and_then(hex_decode)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("{what} is not 32 bytes of hex"))
}

/// `max` if given: `Ok(None)` when it is outside 1..=255 (which our API cannot express).
fn max_of(input: &Value) -> Result<Option<MaxRecipients>, String> {
    match input.get("max") {
        None => Ok(Some(MaxRecipients::DEFAULT)),
        Some(v) => {
            let n = v.as_u64().ok_or("`max` is not a number")?;
            Ok(u8::try_from(n).ok().and_then(MaxRecipients::new))
        }
    }
}

fn secrets_of(input: &Value) -> Result<BoxSecrets, String> {
    Ok(BoxSecrets::new(
        CurveSecretKey::from_bytes(hex_array(input, "onetime")?),
        hex_array(input, "key")?,
        hex_array(input, "nonce")?,
    ))
}

fn seal_op(input: &Value) -> Result<Outcome, String> {
    let plaintext = hex_field(input, "plaintext")?;
    let recipients = array(input, "recipients")?
        .iter()
        .map(|r| hex32(r, "a recipient").map(CurvePublicKey))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(max) = max_of(input)? else {
        return Ok(Outcome::error("invalid_max", "max is outside 1..=255"));
    };
    Ok(
        match seal(&plaintext, &recipients, max, &secrets_of(input)?) {
            Ok(b) => ok([("box", json!(hex(&b)))]),
            Err(e) => seal_error(&e),
        },
    )
}

fn open_op(input: &Value) -> Result<Outcome, String> {
    let boxed = hex_field(input, "box")?;
    let max = max_of(input)?.ok_or("a reader's max is outside 1..=255")?;
    let mut results = Vec::new();
    for s in array(input, "secrets")? {
        let secret = CurveSecretKey::from_bytes(hex32(s, "a secret")?);
        let msg_key = match open_key_with_max(&boxed, &secret, max) {
            Ok(Some(k)) => json!(hex(k.to_bytes().as_ref())),
            Ok(None) | Err(_) => Value::Null,
        };
        let (verdict, plaintext) = match open_with_max(&boxed, &secret, max) {
            Ok(Some(p)) => ("opened", json!(hex(&p))),
            Ok(None) => ("not_for_me", Value::Null),
            Err(_) => ("malformed", Value::Null),
        };
        results.push(json!({ "verdict": verdict, "msg_key": msg_key, "plaintext": plaintext }));
    }
    Ok(ok([("results", Value::Array(results))]))
}

fn feed_ids(input: &Value) -> Result<Vec<FeedId>, String> {
    array(input, "recipients")?
        .iter()
        .map(|r| {
            r.as_str()
                .and_then(|t| t.parse::<FeedId>().ok())
                .ok_or_else(|| format!("recipient {r} is not a feed id"))
        })
        .collect()
}

fn box_content_op(input: &Value) -> Result<Outcome, String> {
    let content = ssb_legacy_json::parse(str_field(input, "content_json")?.as_bytes())
        .map_err(|e| format!("content_json: {e}"))?;
    Ok(
        match box_content(&content, &feed_ids(input)?, &secrets_of(input)?) {
            Ok(text) => ok([("boxed", json!(text))]),
            Err(e) => seal_error(&e),
        },
    )
}

fn readers(input: &Value) -> Result<Vec<Keypair>, String> {
    array(input, "seeds")?
        .iter()
        .map(|s| hex32(s, "a seed").map(|seed| Keypair::from_seed(&seed)))
        .collect()
}

fn unbox_one(text: &str, keys: &Keypair) -> Value {
    let (content, verdict) = match unbox_content(text, keys) {
        Ok(Some(v)) => (json!(v.to_compact_string()), "opened"),
        Ok(None) => (Value::Null, "not_for_me"),
        Err(UnboxError::MissingSuffix | UnboxError::Base64(_)) => (Value::Null, "not_a_box"),
        Err(_) => (Value::Null, "malformed"),
    };
    json!({ "content": content, "verdict": verdict })
}

fn unbox_content_op(input: &Value) -> Result<Outcome, String> {
    let text = str_field(input, "boxed")?;
    let results = readers(input)?.iter().map(|k| unbox_one(text, k)).collect();
    Ok(ok([("results", Value::Array(results))]))
}

fn feed_unbox_op(input: &Value) -> Result<Outcome, String> {
    let readers = readers(input)?;
    let mut state: Option<FeedState> = None;
    let mut messages = Vec::new();
    for m in array(input, "messages")? {
        let text = m.as_str().ok_or("a message is not a string")?;
        let msg = match validate_message(state.as_ref(), text.as_bytes(), &SignCap::None) {
            Ok(msg) => msg,
            Err(e) => return Ok(Outcome::error(UNCLASSIFIED, format!("{}: {e}", e.code()))),
        };
        state = Some(msg.state());
        let content = msg
            .content()
            .and_then(|c| c.as_str())
            .ok_or("the message's content is not a string")?;
        let results = readers.iter().map(|k| unbox_one(content, k)).collect();
        messages.push(json!({ "id": msg.id().to_string(), "results": Value::Array(results) }));
    }
    Ok(ok([("messages", Value::Array(messages))]))
}
