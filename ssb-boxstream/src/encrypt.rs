//! The sending side (docs/PROTOCOL.md §3.3).
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use core::fmt;

use ssb_crypto::secretbox::seal_in_place;
use ssb_sansio::BufferTooSmall;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::nonce::{increment_be, next};
use crate::{GOODBYE_LEN, HEADER_LEN, MAX_BODY_LEN};

/// Why sealing failed. Both are local errors (API misuse); the encryptor is unchanged by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The output buffer is shorter than the frames to write; `required` is [`sealed_len`]
    /// (or [`GOODBYE_LEN`] for the goodbye).
    #[error(transparent)]
    BufferTooSmall(#[from] BufferTooSmall),
    /// The goodbye was already sealed; a stream carries nothing after it.
    #[error("the stream already ended with a goodbye")]
    Finished,
}

impl SealError {
    /// A stable machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BufferTooSmall(e) => e.code(),
            Self::Finished => "boxstream_finished",
        }
    }
}

/// Bytes on the wire for `plain_len` bytes of plaintext: one [`HEADER_LEN`]-byte header per
/// started [`MAX_BODY_LEN`] bytes, plus the bytes themselves (0 for empty input: no frame).
pub const fn sealed_len(plain_len: usize) -> usize {
    // Saturates instead of wrapping for absurd lengths (no buffer is that large anyway).
    plain_len.saturating_add(plain_len.div_ceil(MAX_BODY_LEN).saturating_mul(HEADER_LEN))
}

/// Seals one direction of a box stream.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Encryptor {
    key: [u8; 32],
    nonce: [u8; 24],
    finished: bool,
}

impl fmt::Debug for Encryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encryptor")
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl Encryptor {
    /// An encryptor with this key and starting nonce (the handshake's `send` keys).
    pub fn new(key: [u8; 32], nonce: [u8; 24]) -> Self {
        Self {
            key,
            nonce,
            finished: false,
        }
    }

    /// Seals `plain` as frames of at most [`MAX_BODY_LEN`] bytes into `out` and returns the
    /// bytes written ([`sealed_len`]`(plain.len())`). Empty input writes nothing (an empty frame
    /// is never sent). Fails without writing if `out` is too short.
    pub fn seal(&mut self, plain: &[u8], out: &mut [u8]) -> Result<usize, SealError> {
        if self.finished {
            return Err(SealError::Finished);
        }
        let required = sealed_len(plain.len());
        if out.len() < required {
            return Err(BufferTooSmall { required }.into());
        }
        let mut written = 0usize;
        for chunk in plain.chunks(MAX_BODY_LEN) {
            let end = written
                .saturating_add(HEADER_LEN)
                .saturating_add(chunk.len());
            let Some(frame) = out.get_mut(written..end) else {
                return Err(BufferTooSmall { required }.into());
            };
            self.seal_frame(chunk, frame);
            written = end;
        }
        Ok(written)
    }

    /// Seals one chunk (1..=4096 bytes) into `frame` (exactly `HEADER_LEN + chunk.len()`).
    fn seal_frame(&mut self, chunk: &[u8], frame: &mut [u8]) {
        let (header, body) = frame.split_at_mut(HEADER_LEN);
        body.copy_from_slice(chunk);
        let body_mac = seal_in_place(&self.key, &next(&self.nonce), body);
        // Header plaintext: body_len (u16 BE) || body MAC, boxed with N; MAC first.
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        let (mac, plain) = header.split_at_mut(16);
        if let Some((len_be, mac_part)) = plain.split_first_chunk_mut::<2>() {
            *len_be = len.to_be_bytes();
            mac_part.copy_from_slice(&body_mac);
        }
        mac.copy_from_slice(&seal_in_place(&self.key, &self.nonce, plain));
        increment_be(&mut self.nonce);
        increment_be(&mut self.nonce);
    }

    /// Seals the goodbye frame ([`GOODBYE_LEN`] bytes) that ends the stream cleanly. Nothing
    /// can be sealed after it.
    pub fn seal_goodbye(&mut self, out: &mut [u8]) -> Result<usize, SealError> {
        if self.finished {
            return Err(SealError::Finished);
        }
        let Some(frame) = out.get_mut(..GOODBYE_LEN) else {
            return Err(BufferTooSmall {
                required: GOODBYE_LEN,
            }
            .into());
        };
        let (mac, plain) = frame.split_at_mut(16);
        plain.fill(0);
        mac.copy_from_slice(&seal_in_place(&self.key, &self.nonce, plain));
        increment_be(&mut self.nonce);
        self.finished = true;
        Ok(GOODBYE_LEN)
    }

    /// True once the goodbye was sealed.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The nonce the next frame's header will use.
    pub fn nonce(&self) -> &[u8; 24] {
        &self.nonce
    }
}
