//! Private feed content: `ssb-keys` `box` / `unbox` (spec: the protocol guide's "Private
//! messages"). The plaintext is the compact `JSON.stringify(content)`, the message's
//! `content` is `base64(box) + ".box"`.
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use alloc::string::String;
use alloc::vec::Vec;

use rand_core::CryptoRngCore;
use ssb_crypto::base64::{self, Base64Error};
use ssb_crypto::{CurvePublicKey, FeedId, Keypair};
use ssb_legacy_json::{ParseError, Value};

use crate::{BoxSecrets, MaxRecipients, OpenError, SealError};

/// What follows the base64 of a box in a message's `content`.
pub const BOX_SUFFIX: &str = ".box";

/// Why boxed content could not be read. Never "not for me": that is `Ok(None)`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum UnboxError {
    /// The text does not end with [`BOX_SUFFIX`].
    #[error("boxed content must end with `.box`")]
    MissingSuffix,
    /// The part before `.box` is not canonical base64.
    #[error("boxed content is not canonical base64: {0}")]
    Base64(#[from] Base64Error),
    /// The box is malformed (see [`OpenError`]).
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The box opened, but its plaintext is not JSON (JS `ssb-keys.unbox` returns
    /// `undefined`).
    #[error("the opened content is not JSON: {0}")]
    Json(ParseError),
}

impl UnboxError {
    /// A stable, machine-readable name.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingSuffix => "missing_suffix",
            Self::Base64(_) => "base64",
            Self::Open(e) => e.code(),
            Self::Json(_) => "json",
        }
    }
}

fn curve_keys(recipients: &[FeedId]) -> Result<Vec<CurvePublicKey>, SealError> {
    recipients
        .iter()
        .enumerate()
        .map(|(index, id)| {
            id.public_key()
                .to_curve()
                .map_err(|reason| SealError::InvalidRecipient { index, reason })
        })
        .collect()
}

/// Boxes feed content to `recipients` as JS `ssb-keys.box(content, recipients)` does with
/// these `secrets`: `base64(multibox(JSON.stringify(content), pks)) + ".box"`, at most 7
/// recipients. By convention (`ssb-db`) the content has a `recps` array of the recipients'
/// ids, and the author is one of the recipients, so that it can read its own message.
pub fn box_content(
    content: &Value,
    recipients: &[FeedId],
    secrets: &BoxSecrets,
) -> Result<String, SealError> {
    if recipients.is_empty() {
        return Err(SealError::NoRecipients);
    }
    let keys = curve_keys(recipients)?;
    let plaintext = content.compact().to_vec();
    let boxed = crate::seal(&plaintext, &keys, MaxRecipients::DEFAULT, secrets)?;
    Ok(encode_box_text(&boxed))
}

/// [`box_content`] with fresh secrets drawn from `rng`.
pub fn box_content_with_rng(
    content: &Value,
    recipients: &[FeedId],
    rng: &mut impl CryptoRngCore,
) -> Result<String, SealError> {
    box_content(content, recipients, &BoxSecrets::generate(rng))
}

/// `base64(boxed) + ".box"`.
pub fn encode_box_text(boxed: &[u8]) -> String {
    let mut s =
        String::with_capacity(base64::encoded_len(boxed.len()).saturating_add(BOX_SUFFIX.len()));
    base64::encode_into(boxed, &mut s);
    s.push_str(BOX_SUFFIX);
    s
}

/// The box bytes of `"<canonical base64>.box"`. Stricter than JS, which decodes everything
/// before the first `.` leniently (see [`crate::quirks`]).
pub fn decode_box_text(text: &str) -> Result<Vec<u8>, UnboxError> {
    let b64 = text
        .strip_suffix(BOX_SUFFIX)
        .ok_or(UnboxError::MissingSuffix)?;
    Ok(base64::decode_vec(b64)?)
}

/// Reads boxed feed content as JS `ssb-keys.unbox(text, keys)` does: `Ok(Some(value))` with
/// the parsed JSON (JS `JSON.parse` semantics, [`ssb_legacy_json::parse`]), `Ok(None)` when
/// the box is not for `keys`, an error when the text or the box is malformed or the
/// plaintext is not JSON (JS returns `undefined` for all three).
pub fn unbox_content(text: &str, keys: &Keypair) -> Result<Option<Value>, UnboxError> {
    let boxed = decode_box_text(text)?;
    match crate::open(&boxed, &keys.to_curve_secret())? {
        Some(plaintext) => ssb_legacy_json::parse(&plaintext)
            .map(Some)
            .map_err(UnboxError::Json),
        None => Ok(None),
    }
}
