//! The `ssb-keys` secret file, `~/.ssb/secret` (docs/PROTOCOL.md §1.4).
//!
//! Parsing follows `ssb-keys` `reconstructKeys`: every `#` comment is removed together with
//! the rest of its line and any whitespace just before it (JS regex `\s*#[^\n]*`, global),
//! the rest is split on `\n`, empty lines are dropped, the lines are joined with nothing in
//! between and the result is parsed as JSON. That reads the commented files JS writes, the
//! older `# this is your SECRET name.` files and the compact files go-ssb writes.
//!
//! JS then trusts the `private` field alone. We also refuse files whose parts disagree: the
//! `private` key's public half must be the key its seed generates, and `public` and `id`,
//! when present, must name that same key; `curve`, when present, must be `ed25519`.
//!
//! Writing produces byte for byte what `ssb-keys` writes (`createSync`), comments included,
//! without a trailing newline. This crate does no I/O: the caller reads and writes the file
//! (JS creates it with mode `0400` and never overwrites an existing one).
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use alloc::string::String;
use alloc::vec::Vec;

use serde_json::Value;
use zeroize::Zeroizing;

use crate::base64::{self, Base64Error};
use crate::keys::Keypair;

/// Largest secret file we read (JS files are about 700 bytes).
pub const MAX_SECRET_FILE_LEN: usize = 64 * 1024;

/// Why a secret file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretFileError {
    /// Larger than [`MAX_SECRET_FILE_LEN`].
    #[error("secret file is {0} bytes, more than the {MAX_SECRET_FILE_LEN} allowed")]
    TooLarge(usize),
    /// What is left after removing comments is not JSON.
    #[error("secret file is not JSON once comments are removed: {0}")]
    Json(String),
    /// The JSON is not an object.
    #[error("secret file JSON is not an object")]
    NotAnObject,
    /// A required field is missing.
    #[error("secret file has no `{0}` field")]
    MissingField(&'static str),
    /// A field is not a string.
    #[error("secret file field `{0}` is not a string")]
    NotAString(&'static str),
    /// `curve` is something other than `ed25519`.
    #[error("unsupported curve {0:?} (only ed25519)")]
    UnsupportedCurve(String),
    /// A key field lacks its `.ed25519` suffix.
    #[error("secret file field `{0}` does not end with `.ed25519`")]
    MissingSuffix(&'static str),
    /// The base64 of `private` or `public` is invalid.
    #[error("secret file field `{field}` is not canonical base64: {error}")]
    Base64 {
        /// The field.
        field: &'static str,
        /// The base64 rule that failed.
        error: Base64Error,
    },
    /// The public half of `private` is not the key its seed generates.
    #[error("the `private` key's public half does not match its seed")]
    KeyMismatch,
    /// `public` names another key than `private`.
    #[error("`public` does not match the `private` key")]
    PublicMismatch,
    /// `id` names another key than `private`.
    #[error("`id` does not match the `private` key")]
    IdMismatch,
}

impl SecretFileError {
    /// A stable, machine-readable name for the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge(_) => "secret_too_large",
            Self::Json(_) => "secret_not_json",
            Self::NotAnObject => "secret_not_object",
            Self::MissingField(_) => "secret_missing_field",
            Self::NotAString(_) => "secret_not_string",
            Self::UnsupportedCurve(_) => "secret_unsupported_curve",
            Self::MissingSuffix(_) => "secret_missing_suffix",
            Self::Base64 { .. } => "secret_base64",
            Self::KeyMismatch => "secret_key_mismatch",
            Self::PublicMismatch => "secret_public_mismatch",
            Self::IdMismatch => "secret_id_mismatch",
        }
    }
}

/// JS `\s` (ECMAScript WhiteSpace and LineTerminator).
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Applies `text.replace(/\s*#[^\n]*/g, '').split('\n').filter(Boolean).join('')`.
fn strip_comments(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    // Length of `out` at the end of the last removed match: whitespace before a `#` can
    // only be taken from text after it.
    let mut floor = 0;
    let mut in_comment = false;
    for c in text.chars() {
        if in_comment {
            if c == '\n' {
                in_comment = false;
                out.push(c);
            }
            continue;
        }
        if c == '#' {
            while out.len() > floor && out.chars().next_back().is_some_and(is_js_space) {
                out.pop();
            }
            floor = out.len();
            in_comment = true;
            continue;
        }
        out.push(c);
    }
    let mut joined = Zeroizing::new(String::with_capacity(out.len()));
    for line in out.split('\n') {
        joined.push_str(line);
    }
    joined
}

fn get_str<'a>(
    obj: &'a serde_json::Map<String, Value>,
    field: &'static str,
) -> Result<Option<&'a str>, SecretFileError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(SecretFileError::NotAString(field)),
    }
}

/// Reads a secret file's text and returns its key pair.
pub fn parse_secret_file(text: &str) -> Result<Keypair, SecretFileError> {
    if text.len() > MAX_SECRET_FILE_LEN {
        return Err(SecretFileError::TooLarge(text.len()));
    }
    let json = strip_comments(text);
    let mut value: Value =
        serde_json::from_str(&json).map_err(|e| SecretFileError::Json(alloc::format!("{e}")))?;
    let obj = value.as_object_mut().ok_or(SecretFileError::NotAnObject)?;
    // Move the secret out of the JSON value so it is zeroized when we are done.
    let private: Zeroizing<String> = match obj.get_mut("private") {
        None => return Err(SecretFileError::MissingField("private")),
        Some(Value::String(s)) => Zeroizing::new(core::mem::take(s)),
        Some(_) => return Err(SecretFileError::NotAString("private")),
    };
    let obj = &*obj;
    if let Some(curve) = get_str(obj, "curve")?
        && curve != "ed25519"
    {
        return Err(SecretFileError::UnsupportedCurve(curve.into()));
    }
    let private_b64 = private
        .strip_suffix(".ed25519")
        .ok_or(SecretFileError::MissingSuffix("private"))?;
    let secret = Zeroizing::new(base64::decode_array::<64>(private_b64).map_err(|error| {
        SecretFileError::Base64 {
            field: "private",
            error,
        }
    })?);
    let keypair = Keypair::from_libsodium_secret(&secret)?;
    let public_text = alloc::format!("{}.ed25519", base64::encode(keypair.public().as_bytes()));
    if let Some(public) = get_str(obj, "public")? {
        // Check the base64 first so a malformed field is named as such.
        let b64 = public
            .strip_suffix(".ed25519")
            .ok_or(SecretFileError::MissingSuffix("public"))?;
        base64::decode_array::<32>(b64).map_err(|error| SecretFileError::Base64 {
            field: "public",
            error,
        })?;
        if public != public_text {
            return Err(SecretFileError::PublicMismatch);
        }
    }
    if let Some(id) = get_str(obj, "id")? {
        // JS replaces an id without a sigil by "@" + public; accept that spelling too.
        if id != alloc::format!("@{public_text}") && id != public_text {
            return Err(SecretFileError::IdMismatch);
        }
    }
    Ok(keypair)
}

/// The text `ssb-keys` writes for this key pair (no trailing newline). Secret: it holds the
/// private key, and is zeroized when dropped.
pub fn write_secret_file(keypair: &Keypair) -> Zeroizing<String> {
    let public = alloc::format!("{}.ed25519", base64::encode(keypair.public().as_bytes()));
    let mut private = Zeroizing::new(String::with_capacity(100));
    base64::encode_into(keypair.to_libsodium_secret().as_ref(), &mut private);
    private.push_str(".ed25519");
    let mut out = Zeroizing::new(String::with_capacity(900));
    let parts: Vec<&str> = alloc::vec![
        "# WARNING: Never show this to anyone.\n",
        "# WARNING: Never edit it or use it on multiple devices at once.\n",
        "#\n",
        "# This is your SECRET, it gives you magical powers. With your secret you can\n",
        "# sign your messages so that your friends can verify that the messages came\n",
        "# from you. If anyone learns your secret, they can use it to impersonate you.\n",
        "#\n",
        "# If you use this secret on more than one device you will create a fork and\n",
        "# your friends will stop replicating your content.\n",
        "#\n",
        "{\n  \"curve\": \"ed25519\",\n  \"public\": \"",
        &public,
        "\",\n  \"private\": \"",
        &private,
        "\",\n  \"id\": \"@",
        &public,
        "\"\n}\n#\n# The only part of this file that's safe to share is your public name:\n#\n#   @",
        &public,
    ];
    for p in parts {
        out.push_str(p);
    }
    out
}
