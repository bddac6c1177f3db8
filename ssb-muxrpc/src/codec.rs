//! The packet-stream codec: the 9-byte header, the body types, goodbye (docs/PROTOCOL.md §4.1).
//!
//! ```text
//!  byte 0   bytes 1..=4              bytes 5..=8
//! +-------+------------------------+----------------------------+---------------+
//! | flags | body length (u32 BE)   | request number (i32 BE)    | body ...      |
//! +-------+------------------------+----------------------------+---------------+
//! flags = stream << 3 | end << 2 | body type   (bits 7..4 ignored on receipt)
//! ```
//!
//! The decoder follows `packet-stream-codec` 1.2.0 exactly, including its oddities (see
//! [`quirks`](crate::quirks)): any header with length 0 is a goodbye, whatever its other
//! bytes; a body of type 3 is an error once the body has been read. It adds one limit JS does
//! not have: a body longer than the configured maximum is refused as soon as its header
//! arrives, before any of it is buffered.
//!
//! Both decoders ([`PacketDecoder::decode`], streaming, and [`decode_packet`], zero-copy)
//! return the decode-step result every codec of this workspace shares ([`Decoded`], from
//! `ssb-sansio`): [`Progress::Frame`] with an [`Item`] (a packet or the goodbye),
//! [`Progress::NeedMore`]`(n)` when at least `n` more bytes beyond those given are needed, or
//! [`Progress::Ended`] after the goodbye.
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use alloc::vec::Vec;

use ssb_sansio::{BufferTooSmall, Decoded, Progress};

/// Bytes in a packet header.
pub const HEADER_LEN: usize = 9;

/// The goodbye packet: nine zero bytes, no body. The sender will send no more packets.
pub const GOODBYE: [u8; HEADER_LEN] = [0; HEADER_LEN];

/// The default maximum body length the decoder accepts: 8 MiB.
///
/// JS (`packet-stream-codec`, `pull-reader`) and go-muxrpc impose no limit at all, so any
/// `u32` length (up to 4 GiB) is "JS-compatible". Real traffic is far smaller: classic
/// messages are at most 8192 UTF-16 code units (under 32 KiB of UTF-8 even with the KVT
/// wrapper), blobs travel as many chunks, and the largest single packets seen are EBT vector
/// clocks, which for tens of thousands of feeds stay in the low megabytes. 8 MiB leaves room
/// for that while bounding what one header can make a peer buffer.
/// [`PacketDecoder::with_max_body_len`] changes it.
pub const DEFAULT_MAX_BODY_LEN: u32 = 8 * 1024 * 1024;

/// How the body of a packet is encoded (the low two bits of the flags byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum BodyType {
    /// Raw bytes (a JS `Buffer`).
    Binary = 0,
    /// UTF-8 text (a JS string).
    Utf8 = 1,
    /// A JSON text (any other JS value).
    Json = 2,
}

impl BodyType {
    /// The type of the two low flag bits, or `None` for the invalid value 3.
    pub fn from_bits(bits: u8) -> Option<Self> {
        match bits & 3 {
            0 => Some(Self::Binary),
            1 => Some(Self::Utf8),
            2 => Some(Self::Json),
            _ => None,
        }
    }
}

/// The flags byte of a header: stream, end/error and body type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flags {
    /// The packet belongs to a stream (source, sink or duplex), including the request that
    /// opens it.
    pub stream: bool,
    /// The last packet of a stream, or an error (an async error response, a stream's error
    /// end).
    pub end: bool,
    /// How the body is encoded.
    pub body_type: BodyType,
}

impl Flags {
    /// The flags byte: `stream << 3 | end << 2 | body type`.
    pub fn to_byte(self) -> u8 {
        (u8::from(self.stream) << 3) | (u8::from(self.end) << 2) | self.body_type as u8
    }
}

/// A decoded packet header (never a goodbye: see [`Item::Goodbye`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Stream, end and body type.
    pub flags: Flags,
    /// The body length in bytes (never 0 in a decoded header: length 0 is a goodbye).
    pub body_len: u32,
    /// The request number: positive from the side that made the request, negated in every
    /// packet the other side sends for it, 0 for one-way messages (unused by muxrpc).
    pub request: i32,
}

impl Header {
    /// The nine header bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0] = self.flags.to_byte();
        h[1..5].copy_from_slice(&self.body_len.to_be_bytes());
        h[5..9].copy_from_slice(&self.request.to_be_bytes());
        h
    }
}

/// One packet: its header and its body bytes (borrowed from the input or the decoder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// The header.
    pub header: Header,
    /// The body, exactly `header.body_len` bytes. Not interpreted: see
    /// [`Body::decode`](crate::Body::decode) for what JS makes of it.
    pub body: &'a [u8],
}

/// What a decode step yields ([`Progress::Frame`] of [`PacketDecoder::decode`] and
/// [`decode_packet`]): a packet, or the peer's goodbye.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    /// A complete packet.
    Packet(Packet<'a>),
    /// A header with body length 0: the peer's goodbye (JS reads *any* such header as
    /// goodbye, whatever its flags and request number; the bytes are given for diagnosis).
    /// Nothing after it is decoded: later calls give [`Progress::Ended`].
    Goodbye([u8; HEADER_LEN]),
}

/// Why the decoder refused the byte stream. All are remote errors (the peer sent them) and
/// fatal: the decoder returns the same error from every later call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A header announced a body longer than the decoder's maximum (JS has no maximum).
    #[error("packet body of {len} bytes exceeds the maximum of {max}")]
    BodyTooLong {
        /// The announced length.
        len: u32,
        /// The decoder's maximum.
        max: u32,
    },
    /// The body type bits were 3 (JS: "unknown message type", which ends the connection).
    /// Reported once the body has been read, as JS does.
    #[error("packet of request {request} has the unknown body type 3")]
    UnknownBodyType {
        /// The packet's request number.
        request: i32,
    },
    /// The input ended in the middle of a packet ([`PacketDecoder::finish`]).
    #[error("input ended inside a packet, {needed} more bytes were expected")]
    Truncated {
        /// Bytes still missing from that packet.
        needed: usize,
    },
    /// The input ended cleanly between packets but without a goodbye
    /// ([`PacketDecoder::finish`]). JS reports open requests as "unexpected end of parent
    /// stream".
    #[error("input ended without a goodbye")]
    NoGoodbye,
}

impl DecodeError {
    /// A stable machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BodyTooLong { .. } => "muxrpc_body_too_long",
            Self::UnknownBodyType { .. } => "muxrpc_unknown_body_type",
            Self::Truncated { .. } => "muxrpc_truncated",
            Self::NoGoodbye => "muxrpc_no_goodbye",
        }
    }
}

/// Parses the nine header bytes: `Ok(None)` for a goodbye (length 0), otherwise the header and
/// the raw body-type bits (3 is checked after the body, as JS does).
fn parse_header(h: &[u8; HEADER_LEN], max: u32) -> Result<Option<(Header, u8)>, DecodeError> {
    let [flags, l0, l1, l2, l3, r0, r1, r2, r3] = *h;
    let body_len = u32::from_be_bytes([l0, l1, l2, l3]);
    let request = i32::from_be_bytes([r0, r1, r2, r3]);
    if body_len == 0 {
        return Ok(None);
    }
    if body_len > max {
        return Err(DecodeError::BodyTooLong { len: body_len, max });
    }
    let bits = flags & 3;
    let header = Header {
        flags: Flags {
            stream: flags & 8 != 0,
            end: flags & 4 != 0,
            // Placeholder for type 3: replaced by an error once the body is complete.
            body_type: BodyType::from_bits(bits).unwrap_or(BodyType::Binary),
        },
        body_len,
        request,
    };
    Ok(Some((header, bits)))
}

fn checked_type(header: Header, bits: u8) -> Result<Header, DecodeError> {
    if bits == 3 {
        Err(DecodeError::UnknownBodyType {
            request: header.request,
        })
    } else {
        Ok(header)
    }
}

/// Decodes one packet from the start of a contiguous buffer, without copying: the
/// zero-copy path for callers that accumulate input themselves. If the buffer holds less
/// than a whole packet, nothing is consumed and [`Progress::NeedMore`] says how many more
/// bytes `buf` must hold beyond its current length (the rest of the header, or of the body
/// once the header is there). Bodies longer than `max_body_len` are refused from the header
/// alone.
pub fn decode_packet(buf: &[u8], max_body_len: u32) -> Result<Decoded<Item<'_>>, DecodeError> {
    let Some((head, rest)) = buf.split_first_chunk::<HEADER_LEN>() else {
        return Ok(Decoded {
            consumed: 0,
            progress: Progress::NeedMore(HEADER_LEN.saturating_sub(buf.len())),
        });
    };
    let Some((header, bits)) = parse_header(head, max_body_len)? else {
        return Ok(Decoded {
            consumed: HEADER_LEN,
            progress: Progress::Frame(Item::Goodbye(*head)),
        });
    };
    // body_len <= max_body_len <= u32::MAX fits usize on every supported target (>= 32 bits).
    let len = usize::try_from(header.body_len).unwrap_or(usize::MAX);
    match rest.get(..len) {
        None => Ok(Decoded {
            consumed: 0,
            progress: Progress::NeedMore(len.saturating_sub(rest.len())),
        }),
        Some(body) => Ok(Decoded {
            // The whole packet lies within `buf`: this cannot saturate.
            consumed: HEADER_LEN.saturating_add(len),
            progress: Progress::Frame(Item::Packet(Packet {
                header: checked_type(header, bits)?,
                body,
            })),
        }),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Collecting a header; `buf` holds its first bytes.
    Header,
    /// Collecting `header.body_len` body bytes after the header in `buf`.
    Body { header: Header, bits: u8 },
    /// A packet borrowed from `buf` was returned; clear `buf` before the next call.
    Delivered,
    /// Goodbye received.
    Ended,
    /// Sticky failure.
    Failed(DecodeError),
}

/// The streaming decoder: takes input in pieces of any size (one byte at a time, or many
/// packets at once) and yields one packet per call.
///
/// A packet that lies wholly within one input piece is returned borrowed from it, with no
/// copy; only a packet split across pieces is assembled in an internal buffer, which grows
/// with the bytes actually received and never beyond the maximum body length plus nine.
#[derive(Debug, Clone)]
pub struct PacketDecoder {
    max_body_len: u32,
    state: State,
    buf: Vec<u8>,
}

impl Default for PacketDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl PacketDecoder {
    /// A decoder refusing bodies over [`DEFAULT_MAX_BODY_LEN`].
    pub fn new() -> Self {
        Self::with_max_body_len(DEFAULT_MAX_BODY_LEN)
    }

    /// A decoder refusing bodies over `max_body_len` bytes (`u32::MAX`: no limit, as JS).
    pub fn with_max_body_len(max_body_len: u32) -> Self {
        Self {
            max_body_len,
            state: State::Header,
            buf: Vec::new(),
        }
    }

    /// The maximum body length this decoder accepts.
    pub fn max_body_len(&self) -> u32 {
        self.max_body_len
    }

    /// True once the goodbye was decoded.
    pub fn is_ended(&self) -> bool {
        self.state == State::Ended
    }

    /// True when no partial packet is buffered (the decoder is between packets).
    pub fn at_packet_boundary(&self) -> bool {
        matches!(self.state, State::Header | State::Delivered) && self.buffered_len() == 0
    }

    /// Bytes of a partial packet held in the internal buffer.
    pub fn buffered_len(&self) -> usize {
        match self.state {
            State::Header | State::Body { .. } => self.buf.len(),
            _ => 0,
        }
    }

    fn fail(&mut self, e: DecodeError) -> DecodeError {
        self.state = State::Failed(e);
        self.buf = Vec::new();
        e
    }

    /// Takes the next piece of input (any size, including empty) and returns how much of it
    /// was used and what it completed. At most one packet per call: call again with
    /// `&input[consumed..]` until the input is used up (`consumed == input.len()` and the
    /// progress is [`Progress::NeedMore`], which then says how many more bytes the partial
    /// packet still needs). The returned packet borrows the input or the decoder until the
    /// next call. After the goodbye the input is consumed and ignored ([`Progress::Ended`]).
    /// Errors are fatal and sticky.
    pub fn decode<'a>(&'a mut self, input: &'a [u8]) -> Result<Decoded<Item<'a>>, DecodeError> {
        match self.state {
            State::Failed(e) => return Err(e),
            State::Ended => {
                return Ok(Decoded {
                    consumed: input.len(),
                    progress: Progress::Ended,
                });
            }
            State::Delivered => {
                self.buf.clear();
                self.state = State::Header;
            }
            State::Header | State::Body { .. } => {}
        }
        if self.buf.is_empty() {
            // Fast path: the next packet (or its absence) is judged from the input alone.
            match decode_packet(input, self.max_body_len) {
                Err(e) => return Err(self.fail(e)),
                Ok(d @ Decoded { consumed, .. }) if consumed > 0 => {
                    if matches!(d.progress, Progress::Frame(Item::Goodbye(_))) {
                        self.state = State::Ended;
                    }
                    return Ok(d);
                }
                Ok(_) => {} // incomplete: buffer it below
            }
        }
        self.buffer(input)
    }

    /// The slow path: append input to the partial packet in `buf`.
    fn buffer<'a>(&'a mut self, input: &'a [u8]) -> Result<Decoded<Item<'a>>, DecodeError> {
        let mut consumed = 0;
        if self.state == State::Header {
            let take = HEADER_LEN.saturating_sub(self.buf.len()).min(input.len());
            self.buf
                .extend_from_slice(input.get(..take).unwrap_or_default());
            consumed = take;
            let Some(head) = self.buf.first_chunk::<HEADER_LEN>() else {
                return Ok(Decoded {
                    consumed,
                    progress: Progress::NeedMore(HEADER_LEN.saturating_sub(self.buf.len())),
                });
            };
            let head = *head;
            match parse_header(&head, self.max_body_len) {
                Err(e) => return Err(self.fail(e)),
                Ok(None) => {
                    self.state = State::Ended;
                    self.buf = Vec::new();
                    return Ok(Decoded {
                        consumed,
                        progress: Progress::Frame(Item::Goodbye(head)),
                    });
                }
                Ok(Some((header, bits))) => self.state = State::Body { header, bits },
            }
        }
        let State::Body { header, bits } = self.state else {
            // Unreachable: `decode` only calls this in the Header or Body state.
            return Ok(Decoded {
                consumed,
                progress: Progress::NeedMore(HEADER_LEN),
            });
        };
        let len = usize::try_from(header.body_len).unwrap_or(usize::MAX);
        let have = self.buf.len().saturating_sub(HEADER_LEN);
        let rest = input.get(consumed..).unwrap_or_default();
        // `have` never exceeds `len`, and `consumed + take` never exceeds `input.len()`:
        // none of the saturating operations below ever saturates.
        let take = len.saturating_sub(have).min(rest.len());
        // Grow by what arrived, never by what the header announced.
        self.buf.reserve_exact(take);
        self.buf
            .extend_from_slice(rest.get(..take).unwrap_or_default());
        consumed = consumed.saturating_add(take);
        let have = have.saturating_add(take);
        if have < len {
            return Ok(Decoded {
                consumed,
                progress: Progress::NeedMore(len.saturating_sub(have)),
            });
        }
        let header = match checked_type(header, bits) {
            Ok(h) => h,
            Err(e) => return Err(self.fail(e)),
        };
        self.state = State::Delivered;
        Ok(Decoded {
            consumed,
            progress: Progress::Frame(Item::Packet(Packet {
                header,
                body: self.buf.get(HEADER_LEN..).unwrap_or_default(),
            })),
        })
    }

    /// Call at the end of the input (transport EOF): `Ok` only after a goodbye. Otherwise
    /// [`DecodeError::Truncated`] (inside a packet) or [`DecodeError::NoGoodbye`] (between
    /// packets); an earlier error is returned again.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        match self.state {
            State::Ended => Ok(()),
            State::Failed(e) => Err(e),
            State::Delivered => Err(self.fail(DecodeError::NoGoodbye)),
            State::Header if self.buf.is_empty() => Err(self.fail(DecodeError::NoGoodbye)),
            State::Header => {
                let needed = HEADER_LEN.saturating_sub(self.buf.len());
                Err(self.fail(DecodeError::Truncated { needed }))
            }
            State::Body { header, .. } => {
                let len = usize::try_from(header.body_len).unwrap_or(usize::MAX);
                let needed = len.saturating_sub(self.buf.len().saturating_sub(HEADER_LEN));
                Err(self.fail(DecodeError::Truncated { needed }))
            }
        }
    }
}

/// Why a packet could not be encoded. Local errors: nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The output buffer is shorter than the packet; `required` is [`encoded_len`] (9 for
    /// the goodbye).
    #[error(transparent)]
    BufferTooSmall(#[from] BufferTooSmall),
    /// The body is empty. A JS peer would read the header (length 0) as a goodbye and stop
    /// reading the connection, so it is never sent (see [`quirks`](crate::quirks)).
    #[error("empty packet body (a JS peer reads length 0 as goodbye)")]
    EmptyBody,
    /// The body is longer than a `u32` length can say.
    #[error("packet body of {len} bytes does not fit the 32-bit length field")]
    BodyTooLong {
        /// The body length.
        len: usize,
    },
}

impl EncodeError {
    /// A stable machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BufferTooSmall(e) => e.code(),
            Self::EmptyBody => "muxrpc_empty_body",
            Self::BodyTooLong { .. } => "muxrpc_body_too_long",
        }
    }
}

/// The wire length of a packet with a body of `body_len` bytes.
pub fn encoded_len(body_len: usize) -> usize {
    HEADER_LEN.saturating_add(body_len)
}

/// Encodes a packet (header, then body) into the front of `out` and returns its length.
/// Refuses an empty body ([`EncodeError::EmptyBody`]).
pub fn encode_packet(
    flags: Flags,
    request: i32,
    body: &[u8],
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    let header = packet_header(flags, request, body)?;
    let required = encoded_len(body.len());
    let Some(dst) = out.get_mut(..required) else {
        return Err(BufferTooSmall { required }.into());
    };
    let (h, b) = dst.split_at_mut(HEADER_LEN);
    h.copy_from_slice(&header.to_bytes());
    b.copy_from_slice(body);
    Ok(required)
}

/// Appends a packet to `out` (the allocating variant of [`encode_packet`]).
pub fn encode_packet_to_vec(
    flags: Flags,
    request: i32,
    body: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let header = packet_header(flags, request, body)?;
    out.reserve(encoded_len(body.len()));
    out.extend_from_slice(&header.to_bytes());
    out.extend_from_slice(body);
    Ok(())
}

fn packet_header(flags: Flags, request: i32, body: &[u8]) -> Result<Header, EncodeError> {
    if body.is_empty() {
        return Err(EncodeError::EmptyBody);
    }
    let body_len =
        u32::try_from(body.len()).map_err(|_| EncodeError::BodyTooLong { len: body.len() })?;
    Ok(Header {
        flags,
        body_len,
        request,
    })
}

/// Writes the goodbye (nine zero bytes) into the front of `out`; returns 9.
pub fn encode_goodbye(out: &mut [u8]) -> Result<usize, EncodeError> {
    let Some(dst) = out.get_mut(..HEADER_LEN) else {
        return Err(BufferTooSmall {
            required: HEADER_LEN,
        }
        .into());
    };
    dst.copy_from_slice(&GOODBYE);
    Ok(HEADER_LEN)
}
