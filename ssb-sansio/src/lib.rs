//! The vocabulary every Sans-IO codec of this workspace shares, defined once: the result of a
//! decode step ([`Decoded`], [`Progress`]), the one meaning of "need more"
//! ([`Progress::NeedMore`]) and the error for a short output buffer ([`BufferTooSmall`]).
//! `ssb-handshake`, `ssb-boxstream`, `ssb-muxrpc`, `ssb-connection` and `ssb-private-box`
//! re-export what they use, so their users need no import from here.
//!
//! A toy codec (records of one length byte and that many bytes) written with it:
//!
//! ```
//! use ssb_sansio::{BufferTooSmall, Decoded, Progress};
//!
//! /// Decodes one record from the start of `buf` without copying.
//! fn decode(buf: &[u8]) -> Decoded<&[u8]> {
//!     let Some((&len, rest)) = buf.split_first() else {
//!         return Decoded { consumed: 0, progress: Progress::NeedMore(1) };
//!     };
//!     let len = usize::from(len);
//!     match rest.get(..len) {
//!         Some(record) => Decoded { consumed: 1 + len, progress: Progress::Frame(record) },
//!         None => Decoded { consumed: 0, progress: Progress::NeedMore(len - rest.len()) },
//!     }
//! }
//!
//! /// Writes one record into `out`, or says how long `out` must be.
//! fn encode(record: &[u8], out: &mut [u8]) -> Result<usize, BufferTooSmall> {
//!     let required = 1 + record.len();
//!     let (len, body) = out
//!         .get_mut(..required)
//!         .and_then(|dst| dst.split_first_mut())
//!         .ok_or(BufferTooSmall { required })?;
//!     *len = u8::try_from(record.len()).map_err(|_| BufferTooSmall { required })?;
//!     body.copy_from_slice(record);
//!     Ok(required)
//! }
//!
//! let mut wire = [0u8; 6];
//! assert_eq!(encode(b"hello", &mut wire[..4]), Err(BufferTooSmall { required: 6 }));
//! assert_eq!(encode(b"hello", &mut wire)?, 6);
//!
//! // Three bytes given: three more are needed, beyond those three.
//! assert_eq!(decode(&wire[..3]).progress, Progress::NeedMore(3));
//! assert_eq!(decode(&wire[..5]).progress, Progress::NeedMore(1));
//! // Exactly that many more complete the record.
//! assert_eq!(
//!     decode(&wire[..3 + 3]),
//!     Decoded { consumed: 6, progress: Progress::Frame(&b"hello"[..]) }
//! );
//! # Ok::<(), BufferTooSmall>(())
//! ```
//!
//! # The decode step
//!
//! A decoder takes a piece of input and returns a [`Decoded`]: how many of the bytes it
//! took (`consumed`, never more than it was given) and what came of them, at most one
//! frame per call. The caller drops `consumed` bytes from the front of its input and calls
//! again with the rest until the input is used up or the decoder asks for more. Two kinds of
//! decoder share the shape:
//!
//! * streaming decoders (`ssb_boxstream::Decryptor::open`, `ssb_muxrpc::PacketDecoder`)
//!   keep a partial frame themselves, so they consume everything they are given until a frame
//!   completes;
//! * zero-copy decoders (`ssb_boxstream::Decryptor::open_in_place`,
//!   `ssb_muxrpc::decode_packet`) read a frame from the start of the caller's buffer and
//!   consume nothing until the whole frame is there; the caller keeps the bytes and offers
//!   them again, with more, at the next call.
//!
//! # "Need more"
//!
//! [`Progress::NeedMore`]`(n)` always means: **at least `n` more input bytes are needed,
//! beyond the bytes given to this call**, to complete the frame. `n` is never 0. For a
//! streaming decoder that is what it still misses of the frame it holds; for a zero-copy
//! decoder the buffer must grow by `n` bytes (to `buf.len() + n`). Feeding exactly `n` more
//! bytes completes the frame (unless the frame then turns out to be longer, as when a header
//! completes and announces its body, in which case the decoder asks again); `n - 1` never
//! does. The handshake's `bytes_needed()` and the box-stream decryptor's `bytes_needed()`
//! count the same way: bytes still to come.
//!
//! # Output buffers
//!
//! Encoders write into a caller's `&mut [u8]` and return the bytes written; when the buffer is
//! short they write nothing (or nothing the caller may rely on, as each function says) and
//! return [`BufferTooSmall`] with the total length that would have sufficed.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

/// An output buffer was shorter than what had to be written into it. A local error (the
/// caller chose the buffer); nothing changed in the state machine that reported it, so the
/// call may be repeated with a buffer of `required` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("output buffer too small: {required} bytes required")]
pub struct BufferTooSmall {
    /// The total output buffer length that would have sufficed.
    pub required: usize,
}

impl BufferTooSmall {
    /// The stable machine-readable name of the failure: `buffer_too_small`.
    pub const fn code(&self) -> &'static str {
        "buffer_too_small"
    }
}

/// What one decode step did: how many input bytes it took and what came of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use = "drop `consumed` bytes from the input and handle the progress"]
pub struct Decoded<T> {
    /// Input bytes used (at most the input's length). Pass the rest to the next call.
    pub consumed: usize,
    /// The frame, the need for more input, or the end.
    pub progress: Progress<T>,
}

/// What a decode step produced. `T` is the codec's frame (for example a box-stream frame or a
/// muxrpc packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum Progress<T> {
    /// No complete frame yet: at least this many more bytes are needed beyond the input given
    /// to this call (never 0; see the [crate docs](crate#need-more)).
    NeedMore(usize),
    /// A complete frame.
    Frame(T),
    /// The stream ended earlier (its goodbye was decoded): the input was consumed and
    /// ignored, and nothing will be decoded again.
    Ended,
}

impl<T> Progress<T> {
    /// Applies `f` to the frame, keeping `NeedMore` and `Ended`: for example to copy a frame
    /// borrowed from the decoder or its input out before the next call.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Progress<U> {
        match self {
            Self::NeedMore(n) => Progress::NeedMore(n),
            Self::Frame(frame) => Progress::Frame(f(frame)),
            Self::Ended => Progress::Ended,
        }
    }
}
