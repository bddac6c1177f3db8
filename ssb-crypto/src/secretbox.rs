//! NaCl `crypto_secretbox` (XSalsa20-Poly1305) in libsodium's "easy" layout: the 16-byte
//! Poly1305 tag first, then the ciphertext (docs/PROTOCOL.md §0). In-place detached variants serve
//! box-stream, which carries the tag and the ciphertext apart.
//!
//! The cipher is this crate's own XSalsa20 (a four-block SSE2 kernel on x86-64, a portable one
//! elsewhere) and a donna-64 Poly1305, both safe Rust; the tests hold them to the
//! `xsalsa20poly1305` crate on random keys, nonces and lengths and to libsodium's vectors.

use alloc::vec::Vec;

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::poly1305;
use crate::salsa::{BLOCK, Stream};

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

/// The Poly1305 key (the first 32 bytes of keystream block 0) and the stream positioned after
/// them: XSalsa20-Poly1305 as NaCl defines it.
fn begin(key: &[u8; 32], nonce: &[u8; 24]) -> (Stream, [u8; BLOCK]) {
    let mut stream = Stream::xsalsa20(key, nonce);
    let block0 = stream.block();
    (stream, block0)
}

/// XORs block 0's last 32 bytes, then the stream from block 1, into `buf`.
fn apply(stream: &mut Stream, block0: &[u8; BLOCK], buf: &mut [u8]) {
    let (head, tail) = buf.split_at_mut(buf.len().min(BLOCK - 32));
    for (b, k) in head.iter_mut().zip(block0.iter().skip(32)) {
        *b ^= k;
    }
    stream.xor(tail);
}

fn poly_key(block0: &[u8; BLOCK]) -> [u8; 32] {
    let mut k = [0u8; 32];
    k.copy_from_slice(&block0[..32]);
    k
}

/// Encrypts `buf` in place and returns the tag.
pub fn seal_in_place(key: &[u8; 32], nonce: &[u8; 24], buf: &mut [u8]) -> [u8; MAC_LEN] {
    let (mut stream, mut block0) = begin(key, nonce);
    apply(&mut stream, &block0, buf);
    let mut pk = poly_key(&block0);
    let tag = poly1305::mac(&pk, buf);
    pk.zeroize();
    block0.zeroize();
    tag
}

/// Authenticates and decrypts `buf` in place; `buf` is unchanged on failure. The tag is
/// compared in constant time.
pub fn open_in_place(
    key: &[u8; 32],
    nonce: &[u8; 24],
    buf: &mut [u8],
    tag: &[u8; MAC_LEN],
) -> Result<(), OpenError> {
    let (mut stream, mut block0) = begin(key, nonce);
    let mut pk = poly_key(&block0);
    let expected = poly1305::mac(&pk, buf);
    pk.zeroize();
    let ok: bool = expected.ct_eq(tag).into();
    if ok {
        apply(&mut stream, &block0, buf);
    }
    block0.zeroize();
    if ok {
        Ok(())
    } else {
        Err(OpenError::Unauthentic)
    }
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
