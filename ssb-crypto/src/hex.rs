//! Hex helpers (keys on command lines and in test vectors).
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use alloc::string::String;

/// Not hex, or not the expected length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HexError {
    /// Wrong number of digits.
    #[error("expected {expected} hex digits, found {found}")]
    WrongLength {
        /// Digits expected.
        expected: usize,
        /// Digits found.
        found: usize,
    },
    /// A character that is not a hex digit.
    #[error("invalid hex character at offset {0}")]
    InvalidCharacter(usize),
}

fn nibble(c: u8) -> Option<u8> {
    char::from(c)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Decodes `text` into exactly `out.len()` bytes.
pub fn decode_into(text: &str, out: &mut [u8]) -> Result<(), HexError> {
    let t = text.as_bytes();
    let expected = out.len().saturating_mul(2);
    if t.len() != expected {
        return Err(HexError::WrongLength {
            expected,
            found: t.len(),
        });
    }
    for ((o, pair), at) in out.iter_mut().zip(t.chunks_exact(2)).zip((0..).step_by(2)) {
        let &[hi, lo] = pair else {
            return Err(HexError::WrongLength {
                expected,
                found: t.len(),
            });
        };
        let hi = nibble(hi).ok_or(HexError::InvalidCharacter(at))?;
        let lo = nibble(lo).ok_or(HexError::InvalidCharacter(at.saturating_add(1)))?;
        *o = (hi << 4) | lo;
    }
    Ok(())
}

/// Decodes hex of any even length.
pub fn decode_vec(text: &str) -> Result<alloc::vec::Vec<u8>, HexError> {
    if !text.len().is_multiple_of(2) {
        return Err(HexError::WrongLength {
            expected: text.len().saturating_add(1),
            found: text.len(),
        });
    }
    let mut out = alloc::vec![0u8; text.len() / 2];
    decode_into(text, &mut out)?;
    Ok(out)
}

/// Decodes exactly `N` bytes.
pub fn decode_array<const N: usize>(text: &str) -> Result<[u8; N], HexError> {
    let mut out = [0u8; N];
    decode_into(text, &mut out)?;
    Ok(out)
}

/// Lowercase hex.
pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len().saturating_mul(2));
    for &b in bytes {
        for d in [b >> 4, b & 15] {
            s.push(char::from_digit(u32::from(d), 16).unwrap_or('0'));
        }
    }
    s
}
