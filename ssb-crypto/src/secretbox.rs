//! NaCl `crypto_secretbox` (XSalsa20-Poly1305) in libsodium's "easy" layout: the 16-byte
//! Poly1305 tag first, then the ciphertext (docs/PROTOCOL.md §0). In-place detached variants serve
//! box-stream, which carries the tag and the ciphertext apart.

use alloc::vec::Vec;

use xsalsa20poly1305::aead::{AeadInPlace, KeyInit};
use xsalsa20poly1305::{Tag, XSalsa20Poly1305};

/// Bytes of the Poly1305 tag.
pub const MAC_LEN: usize = 16;
/// Bytes of a key.
pub const KEY_LEN: usize = 32;
/// Bytes of a nonce.
pub const NONCE_LEN: usize = 24;

/// The box did not authenticate (wrong key, nonce or tampered bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The tag does not match.
    #[error("secretbox authentication failed")]
    Unauthentic,
    /// Shorter than a tag.
    #[error("secretbox is {0} bytes, shorter than its 16-byte tag")]
    TooShort(usize),
}

impl OpenError {
    /// A stable, machine-readable name for the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthentic => "secretbox_unauthentic",
            Self::TooShort(_) => "secretbox_too_short",
        }
    }
}

fn cipher(key: &[u8; 32]) -> XSalsa20Poly1305 {
    XSalsa20Poly1305::new(key.into())
}

/// Encrypts `buf` in place and returns the tag.
pub fn seal_in_place(key: &[u8; 32], nonce: &[u8; 24], buf: &mut [u8]) -> [u8; MAC_LEN] {
    match cipher(key).encrypt_in_place_detached(nonce.into(), b"", buf) {
        Ok(tag) => tag.into(),
        // Only fails for inputs longer than the cipher's 2^38-byte limit.
        Err(_) => unreachable!("secretbox input beyond 256 GiB"),
    }
}

/// Authenticates and decrypts `buf` in place; `buf` is unchanged on failure.
pub fn open_in_place(
    key: &[u8; 32],
    nonce: &[u8; 24],
    buf: &mut [u8],
    tag: &[u8; MAC_LEN],
) -> Result<(), OpenError> {
    cipher(key)
        .decrypt_in_place_detached(nonce.into(), b"", buf, Tag::from_slice(tag))
        .map_err(|_| OpenError::Unauthentic)
}

/// `crypto_secretbox_easy`: returns `tag || ciphertext`.
pub fn seal(key: &[u8; 32], nonce: &[u8; 24], plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAC_LEN + plaintext.len());
    out.extend_from_slice(&[0; MAC_LEN]);
    out.extend_from_slice(plaintext);
    let tag = seal_in_place(key, nonce, &mut out[MAC_LEN..]);
    out[..MAC_LEN].copy_from_slice(&tag);
    out
}

/// `crypto_secretbox_open_easy`: `boxed` is `tag || ciphertext`.
pub fn open(key: &[u8; 32], nonce: &[u8; 24], boxed: &[u8]) -> Result<Vec<u8>, OpenError> {
    let (tag, ct) = boxed
        .split_first_chunk::<MAC_LEN>()
        .ok_or(OpenError::TooShort(boxed.len()))?;
    let mut out = ct.to_vec();
    open_in_place(key, nonce, &mut out, tag)?;
    Ok(out)
}
