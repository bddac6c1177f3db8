//! Hex helpers (keys on command lines and in test vectors).

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
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes `text` into exactly `out.len()` bytes.
pub fn decode_into(text: &str, out: &mut [u8]) -> Result<(), HexError> {
    let t = text.as_bytes();
    if t.len() != out.len() * 2 {
        return Err(HexError::WrongLength {
            expected: out.len() * 2,
            found: t.len(),
        });
    }
    for (i, (o, pair)) in out.iter_mut().zip(t.chunks_exact(2)).enumerate() {
        let hi = nibble(pair[0]).ok_or(HexError::InvalidCharacter(2 * i))?;
        let lo = nibble(pair[1]).ok_or(HexError::InvalidCharacter(2 * i + 1))?;
        *o = (hi << 4) | lo;
    }
    Ok(())
}

/// Decodes exactly `N` bytes.
pub fn decode_array<const N: usize>(text: &str) -> Result<[u8; N], HexError> {
    let mut out = [0u8; N];
    decode_into(text, &mut out)?;
    Ok(out)
}

/// Lowercase hex.
pub fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}
