//! The receiving side (docs/PROTOCOL.md §3.4, §3.5).
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use core::fmt;

use ssb_crypto::secretbox::open_in_place;
use ssb_sansio::{Decoded, Progress};
use zeroize::Zeroize;

use crate::nonce::{increment_be, next};
use crate::{HEADER_LEN, MAX_BODY_LEN, MAX_FRAME_LEN};

/// Why the decryptor stopped. All but [`OpenError::NotAtFrameBoundary`] are remote errors
/// (the stream is broken or forged) and fatal: the decryptor returns the same error from every
/// later call. Close the transport without sending anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// A header did not authenticate (JS: "invalid header").
    #[error("box-stream header does not authenticate")]
    HeaderUnauthentic,
    /// A body did not authenticate (JS: "invalid packet").
    #[error("box-stream body does not authenticate")]
    BodyUnauthentic,
    /// An authenticated header announced a body longer than [`MAX_BODY_LEN`].
    #[error("box-stream body of {len} bytes exceeds 4096")]
    BodyTooLong {
        /// The announced length.
        len: usize,
    },
    /// The input ended before a goodbye (possibly a truncation attack; JS: "unexpected hangup").
    #[error("box stream ended without a goodbye")]
    Truncated,
    /// Local misuse: [`Decryptor::open_in_place`] while [`Decryptor::open`] holds part of a
    /// frame. Not sticky.
    #[error("open_in_place called in the middle of a buffered frame")]
    NotAtFrameBoundary,
}

impl OpenError {
    /// A stable machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::HeaderUnauthentic => "boxstream_invalid_header",
            Self::BodyUnauthentic => "boxstream_invalid_body",
            Self::BodyTooLong { .. } => "boxstream_body_too_long",
            Self::Truncated => "boxstream_truncated",
            Self::NotAtFrameBoundary => "boxstream_not_at_frame_boundary",
        }
    }

    /// True for errors caused by the bytes received (everything but local misuse).
    pub fn is_remote(&self) -> bool {
        !matches!(self, Self::NotAtFrameBoundary)
    }
}

/// One authenticated frame: what [`Progress::Frame`] carries from [`Decryptor::open`] and
/// [`Decryptor::open_in_place`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A body (1..=4096 bytes from correct senders; possibly empty, see the crate docs),
    /// decrypted in place.
    Data(&'a [u8]),
    /// The goodbye: the peer ended this direction cleanly.
    Goodbye,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Collecting a header into `buf[..HEADER_LEN]`.
    Header,
    /// Header authenticated; collecting `len` body bytes into `buf[..len]`.
    Body { len: usize, mac: [u8; 16] },
    /// Goodbye received.
    Ended,
    /// Sticky failure.
    Failed(OpenError),
}

/// Opens one direction of a box stream.
pub struct Decryptor {
    key: [u8; 32],
    nonce: [u8; 24],
    state: State,
    filled: usize,
    buf: [u8; MAX_FRAME_LEN],
}

impl fmt::Debug for Decryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decryptor")
            .field("state", &self.state)
            .field("filled", &self.filled)
            .finish_non_exhaustive()
    }
}

impl Drop for Decryptor {
    fn drop(&mut self) {
        self.key.zeroize();
        self.buf.zeroize();
    }
}

/// What an authenticated header says.
enum Header {
    Goodbye,
    Body { len: usize, mac: [u8; 16] },
}

impl Decryptor {
    /// A decryptor with this key and starting nonce (the handshake's `recv` keys).
    pub fn new(key: [u8; 32], nonce: [u8; 24]) -> Self {
        Self {
            key,
            nonce,
            state: State::Header,
            filled: 0,
            buf: [0; MAX_FRAME_LEN],
        }
    }

    /// Authenticates and decrypts a header in place (`header` is the 34 wire bytes) with the
    /// current nonce. Does not advance the nonce.
    fn open_header(&self, header: &mut [u8; HEADER_LEN]) -> Result<Header, OpenError> {
        let (mac, plain) = header.split_at_mut(16);
        let mut tag = [0u8; 16];
        tag.copy_from_slice(mac);
        open_in_place(&self.key, &self.nonce, plain, &tag)
            .map_err(|_| OpenError::HeaderUnauthentic)?;
        if plain.iter().all(|&b| b == 0) {
            return Ok(Header::Goodbye);
        }
        let Some(([hi, lo], mac)) = plain.split_first_chunk::<2>() else {
            return Err(OpenError::HeaderUnauthentic); // unreachable: the plaintext is 18 bytes
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if len > MAX_BODY_LEN {
            return Err(OpenError::BodyTooLong { len });
        }
        let mac: [u8; 16] = mac.try_into().map_err(|_| OpenError::HeaderUnauthentic)?;
        Ok(Header::Body { len, mac })
    }

    /// Authenticates and decrypts a body in place with `nonce + 1`; advances the nonce by two
    /// on success only.
    fn open_body(&mut self, body: &mut [u8], mac: &[u8; 16]) -> Result<(), OpenError> {
        open_in_place(&self.key, &next(&self.nonce), body, mac)
            .map_err(|_| OpenError::BodyUnauthentic)?;
        increment_be(&mut self.nonce);
        increment_be(&mut self.nonce);
        Ok(())
    }

    fn fail(&mut self, e: OpenError) -> OpenError {
        self.state = State::Failed(e);
        self.filled = 0;
        self.buf.zeroize();
        e
    }

    /// Takes the next piece of ciphertext (any size, including empty) and returns how much of
    /// it was used and what it completed. At most one frame per call: call again with
    /// `&input[consumed..]` until the input is used up. Until a frame completes every byte is
    /// taken (the decryptor keeps the partial frame) and [`Progress::NeedMore`] says how many
    /// more bytes the current header or body still needs ([`bytes_needed`](Self::bytes_needed)).
    /// After the goodbye the input is consumed and ignored ([`Progress::Ended`]). Errors are
    /// fatal and sticky.
    pub fn open<'a>(&'a mut self, input: &[u8]) -> Result<Decoded<Frame<'a>>, OpenError> {
        let mut consumed = 0usize;
        loop {
            match self.state {
                State::Failed(e) => return Err(e),
                State::Ended => {
                    return Ok(Decoded {
                        consumed: input.len(),
                        progress: Progress::Ended,
                    });
                }
                State::Header => {
                    consumed = consumed.saturating_add(
                        self.fill(HEADER_LEN, input.get(consumed..).unwrap_or(&[])),
                    );
                    if self.filled < HEADER_LEN {
                        return Ok(self.need_more(consumed));
                    }
                    self.filled = 0;
                    let mut header = [0u8; HEADER_LEN];
                    header.copy_from_slice(&self.buf[..HEADER_LEN]);
                    match self.open_header(&mut header) {
                        Err(e) => return Err(self.fail(e)),
                        Ok(Header::Goodbye) => {
                            self.state = State::Ended;
                            self.nonce_after_goodbye();
                            return Ok(Decoded {
                                consumed,
                                progress: Progress::Frame(Frame::Goodbye),
                            });
                        }
                        Ok(Header::Body { len, mac }) => self.state = State::Body { len, mac },
                    }
                }
                State::Body { len, mac } => {
                    consumed = consumed
                        .saturating_add(self.fill(len, input.get(consumed..).unwrap_or(&[])));
                    if self.filled < len {
                        return Ok(self.need_more(consumed));
                    }
                    self.filled = 0;
                    let key = self.key;
                    let nonce = next(&self.nonce);
                    // `len <= MAX_BODY_LEN`, checked with the header; the buffer holds more.
                    let authentic = match self.buf.get_mut(..len) {
                        Some(body) => open_in_place(&key, &nonce, body, &mac).is_ok(),
                        None => false,
                    };
                    if !authentic {
                        return Err(self.fail(OpenError::BodyUnauthentic));
                    }
                    increment_be(&mut self.nonce);
                    increment_be(&mut self.nonce);
                    self.state = State::Header;
                    return Ok(Decoded {
                        consumed,
                        progress: Progress::Frame(Frame::Data(self.buf.get(..len).unwrap_or(&[]))),
                    });
                }
            }
        }
    }

    /// `open` took all its input without completing a frame: what the frame still misses.
    fn need_more<'a>(&self, consumed: usize) -> Decoded<Frame<'a>> {
        Decoded {
            consumed,
            progress: Progress::NeedMore(self.bytes_needed()),
        }
    }

    /// Copies input into `buf[filled..want]`; returns the bytes taken.
    fn fill(&mut self, want: usize, input: &[u8]) -> usize {
        let take = want.saturating_sub(self.filled).min(input.len());
        let start = self.filled;
        let end = start.saturating_add(take);
        if let (Some(dst), Some(src)) = (self.buf.get_mut(start..end), input.get(..take)) {
            dst.copy_from_slice(src);
            self.filled = end;
            take
        } else {
            0
        }
    }

    /// The goodbye consumed one nonce (docs/PROTOCOL.md §3.2); nothing follows, but keep the count exact.
    fn nonce_after_goodbye(&mut self) {
        increment_be(&mut self.nonce);
    }

    /// Zero-copy variant of [`open`](Self::open): `buf` starts at a frame boundary (the
    /// caller accumulates ciphertext and discards `consumed` bytes after each frame). The
    /// frame's body is decrypted in place inside `buf`. If the frame is incomplete, nothing in
    /// `buf` changes, nothing is consumed and [`Progress::NeedMore`] says how many more bytes
    /// `buf` must hold (beyond its current length). After the goodbye the whole buffer is
    /// consumed and ignored ([`Progress::Ended`]). Do not mix with `open` in the middle of a
    /// frame ([`OpenError::NotAtFrameBoundary`]).
    pub fn open_in_place<'a>(
        &mut self,
        buf: &'a mut [u8],
    ) -> Result<Decoded<Frame<'a>>, OpenError> {
        match self.state {
            State::Failed(e) => return Err(e),
            State::Ended => {
                return Ok(Decoded {
                    consumed: buf.len(),
                    progress: Progress::Ended,
                });
            }
            State::Body { .. } => return Err(OpenError::NotAtFrameBoundary),
            State::Header if self.filled != 0 => return Err(OpenError::NotAtFrameBoundary),
            State::Header => {}
        }
        let have = buf.len();
        let Some((wire_header, rest)) = buf.split_first_chunk_mut::<HEADER_LEN>() else {
            return Ok(Decoded {
                consumed: 0,
                progress: Progress::NeedMore(HEADER_LEN.saturating_sub(have)),
            });
        };
        // The header is opened on a copy, so an incomplete frame leaves `buf` untouched.
        let mut header = *wire_header;
        match self.open_header(&mut header) {
            Err(e) => Err(self.fail(e)),
            Ok(Header::Goodbye) => {
                self.state = State::Ended;
                self.nonce_after_goodbye();
                Ok(Decoded {
                    consumed: HEADER_LEN,
                    progress: Progress::Frame(Frame::Goodbye),
                })
            }
            Ok(Header::Body { len, mac }) => {
                let missing = len.saturating_sub(rest.len());
                let Some(body) = rest.get_mut(..len) else {
                    return Ok(Decoded {
                        consumed: 0,
                        progress: Progress::NeedMore(missing),
                    });
                };
                if let Err(e) = self.open_body(body, &mac) {
                    return Err(self.fail(e));
                }
                Ok(Decoded {
                    consumed: HEADER_LEN.saturating_add(len),
                    progress: Progress::Frame(Frame::Data(body)),
                })
            }
        }
    }

    /// Bytes still needed to complete the current header or body (0 after the goodbye or a
    /// failure): the number [`open`](Self::open) last gave as [`Progress::NeedMore`].
    pub fn bytes_needed(&self) -> usize {
        match self.state {
            State::Header => HEADER_LEN.saturating_sub(self.filled),
            State::Body { len, .. } => len.saturating_sub(self.filled),
            State::Ended | State::Failed(_) => 0,
        }
    }

    /// True once the goodbye arrived.
    pub fn is_finished(&self) -> bool {
        self.state == State::Ended
    }

    /// Call at transport EOF: `Ok` only if the goodbye arrived. Otherwise the stream was cut
    /// (even exactly at a frame boundary) and the decryptor fails with
    /// [`OpenError::Truncated`] (or keeps its earlier error).
    pub fn finish(&mut self) -> Result<(), OpenError> {
        match self.state {
            State::Ended => Ok(()),
            State::Failed(e) => Err(e),
            State::Header | State::Body { .. } => Err(self.fail(OpenError::Truncated)),
        }
    }
}
