//! Strict, canonical base64 as SSB uses it (docs/PROTOCOL.md §1.3).
//!
//! The alphabet is standard RFC 4648 (`+` and `/`, never the url-safe `-` and `_`), padding
//! is always present, and the unused low bits of the last character must be zero, so every
//! byte string has exactly one accepted spelling. This is what the JS `is-canonical-base64`
//! regexes in `ssb-ref` accept; `Buffer.from(s, 'base64')` alone would be lenient.
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Characters of canonical base64 for 32 bytes (a key or a hash).
pub const LEN_32: usize = 44;
/// Characters of canonical base64 for 64 bytes (a signature or a secret key).
pub const LEN_64: usize = 88;

/// Why a base64 string was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Base64Error {
    /// The text has the wrong number of characters for the expected byte length.
    #[error("expected {expected} base64 characters, found {found}")]
    WrongLength {
        /// Characters the canonical encoding has.
        expected: usize,
        /// Characters found.
        found: usize,
    },
    /// A `-` or `_`: the url-safe alphabet, which SSB never uses.
    #[error("url-safe base64 character {:?} at offset {offset} (SSB uses the standard alphabet)", *byte as char)]
    UrlSafeAlphabet {
        /// Offset of the character in the base64 text.
        offset: usize,
        /// The character.
        byte: u8,
    },
    /// A byte outside the base64 alphabet.
    #[error("invalid base64 byte 0x{byte:02x} at offset {offset}")]
    InvalidByte {
        /// Offset of the byte in the base64 text.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// The `=` padding the canonical form ends with is missing.
    #[error("missing `=` padding")]
    MissingPadding,
    /// `=` where it does not belong, or too much of it.
    #[error("misplaced or superfluous `=` padding")]
    InvalidPadding,
    /// The last character carries non-zero bits that decoding would drop.
    #[error("non-zero unused bits in the last base64 character (not canonical)")]
    NonCanonicalTrailingBits,
}

impl Base64Error {
    /// A stable, machine-readable name for the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongLength { .. } => "base64_wrong_length",
            Self::UrlSafeAlphabet { .. } => "base64_url_safe_alphabet",
            Self::InvalidByte { .. } => "base64_invalid_byte",
            Self::MissingPadding => "base64_missing_padding",
            Self::InvalidPadding => "base64_invalid_padding",
            Self::NonCanonicalTrailingBits => "base64_non_canonical",
        }
    }
}

/// Number of canonical base64 characters for `n` bytes.
pub const fn encoded_len(n: usize) -> usize {
    n.div_ceil(3).saturating_mul(4)
}

/// Standard padded base64.
pub fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Appends standard padded base64 of `bytes` to `out`.
pub fn encode_into(bytes: &[u8], out: &mut String) {
    STANDARD.encode_string(bytes, out);
}

/// Decodes the canonical base64 of exactly `N` bytes.
pub fn decode_array<const N: usize>(text: &str) -> Result<[u8; N], Base64Error> {
    let expected = encoded_len(N);
    if text.len() != expected {
        return Err(Base64Error::WrongLength {
            expected,
            found: text.len(),
        });
    }
    let padding = match N % 3 {
        0 => 0,
        1 => 2,
        _ => 1,
    };
    precheck(text.as_bytes(), padding)?;
    let mut out = [0u8; N];
    match STANDARD.decode_slice(text, &mut out) {
        Ok(n) if n == N => Ok(out),
        Ok(_) => Err(Base64Error::WrongLength {
            expected,
            found: text.len(),
        }),
        Err(e) => Err(map_slice_error(e)),
    }
}

/// Decodes canonical base64 of any length (for `.box` contents and similar).
pub fn decode_vec(text: &str) -> Result<Vec<u8>, Base64Error> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        // Say "missing padding" when that is the obvious cause.
        let has_pad = bytes.contains(&b'=');
        return Err(if has_pad {
            Base64Error::InvalidPadding
        } else {
            Base64Error::MissingPadding
        });
    }
    let pad = bytes.iter().rev().take_while(|&&b| b == b'=').count();
    if pad > 2 {
        return Err(Base64Error::InvalidPadding);
    }
    precheck(bytes, pad)?;
    STANDARD.decode(text).map_err(map_error)
}

/// Checks the alphabet and padding placement so errors name the rule that failed.
fn precheck(bytes: &[u8], pad: usize) -> Result<(), Base64Error> {
    let body = bytes.len().saturating_sub(pad);
    for (offset, &byte) in bytes.iter().enumerate() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' if offset < body => {}
            b'=' if offset >= body => {}
            b'=' => return Err(Base64Error::InvalidPadding),
            b'-' | b'_' => return Err(Base64Error::UrlSafeAlphabet { offset, byte }),
            _ if offset >= body => return Err(Base64Error::MissingPadding),
            _ => return Err(Base64Error::InvalidByte { offset, byte }),
        }
    }
    Ok(())
}

fn map_error(e: base64::DecodeError) -> Base64Error {
    match e {
        base64::DecodeError::InvalidByte(offset, b'=') => {
            let _ = offset;
            Base64Error::InvalidPadding
        }
        base64::DecodeError::InvalidByte(offset, byte) => Base64Error::InvalidByte { offset, byte },
        base64::DecodeError::InvalidLength(_) => Base64Error::InvalidPadding,
        base64::DecodeError::InvalidLastSymbol(_, _) => Base64Error::NonCanonicalTrailingBits,
        base64::DecodeError::InvalidPadding => Base64Error::InvalidPadding,
    }
}

fn map_slice_error(e: base64::DecodeSliceError) -> Base64Error {
    match e {
        base64::DecodeSliceError::DecodeError(e) => map_error(e),
        base64::DecodeSliceError::OutputSliceTooSmall => Base64Error::InvalidPadding,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_named() {
        let good = "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=";
        assert!(decode_array::<32>(good).is_ok());
        assert_eq!(
            decode_array::<32>("iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1x="),
            Err(Base64Error::NonCanonicalTrailingBits)
        );
        assert_eq!(
            decode_array::<32>("iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w"),
            Err(Base64Error::WrongLength {
                expected: 44,
                found: 43
            })
        );
        assert_eq!(
            decode_array::<32>("iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1wA"),
            Err(Base64Error::MissingPadding)
        );
        assert_eq!(
            decode_array::<32>("iojj3XQJ8ZX9Utst_LpdcspnCb8dlBIb83SIAbQPb1w="),
            Err(Base64Error::UrlSafeAlphabet {
                offset: 16,
                byte: b'_'
            })
        );
        assert_eq!(
            decode_array::<32>("iojj3XQJ8ZX9Utst LpdcspnCb8dlBIb83SIAbQPb1w="),
            Err(Base64Error::InvalidByte {
                offset: 16,
                byte: b' '
            })
        );
        assert_eq!(
            decode_array::<32>("iojj3XQJ8ZX9Utst=LpdcspnCb8dlBIb83SIAbQPb1w="),
            Err(Base64Error::InvalidPadding)
        );
        assert_eq!(decode_vec("").as_deref(), Ok(&[][..]));
        assert_eq!(decode_vec("AA=="), Ok(alloc::vec![0]));
        assert_eq!(
            decode_vec("AB=="),
            Err(Base64Error::NonCanonicalTrailingBits)
        );
        assert_eq!(decode_vec("AA="), Err(Base64Error::InvalidPadding));
        assert_eq!(decode_vec("AA"), Err(Base64Error::MissingPadding));
        assert_eq!(decode_vec("A==="), Err(Base64Error::InvalidPadding));
    }
}
