//! Box stream (docs/PROTOCOL.md §3): the encrypted, authenticated framing both directions of an SSB
//! connection use after the secret handshake. Sans-IO and `no_std`: an [`Encryptor`] seals into
//! caller buffers, a [`Decryptor`] takes ciphertext in pieces of any size and decrypts in place.
//!
//! ```
//! use ssb_boxstream::{Decryptor, Encryptor, Frame, GOODBYE_LEN, Progress, sealed_len};
//!
//! let (key, nonce) = ([7u8; 32], [0u8; 24]); // from the handshake's outcome
//! let mut enc = Encryptor::new(key, nonce);
//! let mut dec = Decryptor::new(key, nonce);
//!
//! let message = vec![42u8; 10_000]; // sealed as frames of 4096, 4096 and 1808 bytes
//! let mut wire = vec![0u8; sealed_len(message.len()) + GOODBYE_LEN];
//! let mut n = enc.seal(&message, &mut wire)?;
//! n += enc.seal_goodbye(&mut wire[n..])?;
//!
//! // The receiver may get the bytes in any pieces; here 1000 at a time.
//! let mut received = Vec::new();
//! for mut piece in wire[..n].chunks(1000) {
//!     while !piece.is_empty() {
//!         let opened = dec.open(piece)?;
//!         piece = &piece[opened.consumed..];
//!         if let Progress::Frame(Frame::Data(body)) = opened.progress {
//!             received.extend_from_slice(body);
//!         }
//!     }
//! }
//! dec.finish()?; // Ok only after a goodbye: EOF without one may be a truncation attack
//! assert_eq!(received, message);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Both decrypt APIs return the decode-step result every codec of this workspace shares
//! ([`Decoded`] `{ consumed, progress }`, re-exported from `ssb-sansio`): a
//! [`Progress::Frame`] with the [`Frame`], [`Progress::NeedMore`]`(n)` when at least `n` more
//! bytes (beyond those given) are needed, or [`Progress::Ended`] after the goodbye.
//! [`Decryptor::open`] takes input in pieces of any size and keeps a partial frame itself;
//! [`Decryptor::open_in_place`] decrypts a whole frame inside the caller's buffer.
//!
//! The codec knows nothing of the handshake: keys and nonces come in as arguments (the
//! `send` and `recv` halves of a handshake's outcome; `ssb-connection`'s `channel` pairs them
//! and composes the whole connection).
//!
//! # Rules (docs/PROTOCOL.md §3.5)
//!
//! * Any panic on input is a bug. The decryptor never delivers unauthenticated or partial
//!   plaintext; nonces advance only after a frame authenticated.
//! * A MAC failure (header or body) and a body length above [`MAX_BODY_LEN`] are fatal and
//!   sticky: every later call returns the same error. (JS accepts any `u16` length; correct
//!   senders never exceed 4096, so refusing bounds memory. go-secretstream refuses too.)
//! * An authenticated header with length 0 and a non-zero body MAC carries an empty body: it
//!   is delivered as an empty [`Frame::Data`], as JS and Go do. Only an all-zero header is a
//!   goodbye; bytes after the goodbye are ignored.
//! * EOF before a goodbye is an error ([`OpenError::Truncated`] from [`Decryptor::finish`]).
//! * No allocation at all: the decryptor's buffer is a fixed [`MAX_FRAME_LEN`]-byte array and
//!   the encryptor writes into the caller's buffer.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod decrypt;
mod encrypt;
mod nonce;

pub use decrypt::{Decryptor, Frame, OpenError};
pub use encrypt::{Encryptor, SealError, sealed_len};
pub use nonce::increment_be;
pub use ssb_sansio::{BufferTooSmall, Decoded, Progress};

/// The largest body a frame carries; longer writes are split. Received headers announcing more
/// are refused.
pub const MAX_BODY_LEN: usize = 4096;
/// A frame header on the wire: `MAC (16) || box(body_len u16 BE (2) || body MAC (16))`.
pub const HEADER_LEN: usize = 34;
/// The goodbye frame: a header whose 18 plaintext bytes are all zero.
pub const GOODBYE_LEN: usize = HEADER_LEN;
/// The largest frame on the wire, header included.
pub const MAX_FRAME_LEN: usize = HEADER_LEN + MAX_BODY_LEN;
