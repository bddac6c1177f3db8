//! Box-stream decryption under the real key, so authenticated frames, authenticated hostile
//! lengths and every failure after them are reached.
//!
//! The input is a program: a wire stream is built from it (honest frames, goodbyes, headers
//! that authenticate but announce any length, garbage, bit flips, truncation), sealed here
//! with `ssb_crypto::secretbox` and a nonce counter of this module's own (independent of the
//! crate's), together with the exact frames and error the decryptor must give. Then the
//! stream is fed to `Decryptor::open` in pieces of an input-chosen size, or accumulated for
//! `Decryptor::open_in_place`, and the output must match the model exactly.

use ssb_boxstream::{Decoded, Decryptor, Frame, HEADER_LEN, MAX_BODY_LEN, OpenError, Progress};
use ssb_crypto::secretbox::seal_in_place;

const KEY: [u8; 32] = [0x42; 32];
const NONCE: [u8; 24] = [0xff; 24]; // all ones: the first frame already carries into byte 0

/// What the decryptor must produce for one segment of the stream.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Data(Vec<u8>),
    Goodbye,
    /// The segment fails when complete (or, for garbage, as soon as 34 bytes are in).
    Fail(OpenError),
    /// Garbage: fails as a header once 34 bytes (its own or the following ones) are in.
    Garbage,
}

struct Segment {
    wire: Vec<u8>,
    /// What the segment was built to give, before any flip or cut.
    expect: Expect,
    /// The wire as built, before any flip or cut.
    built: Vec<u8>,
}

impl Segment {
    fn new(wire: Vec<u8>, expect: Expect) -> Segment {
        Segment {
            built: wire.clone(),
            wire,
            expect,
        }
    }

    /// What the decryptor must give for the segment as it is now (flipped and cut).
    fn outcome(&self) -> Expect {
        if matches!(self.expect, Expect::Garbage) {
            return Expect::Garbage;
        }
        let cut = self.wire.len() < self.built.len();
        let diff = self.wire.iter().zip(&self.built).position(|(a, b)| a != b);
        match diff {
            Some(_) if cut && self.wire.len() < HEADER_LEN => Expect::Fail(OpenError::Truncated),
            Some(d) if d < HEADER_LEN => Expect::Fail(OpenError::HeaderUnauthentic),
            _ if cut => Expect::Fail(OpenError::Truncated),
            Some(_) => match self.expect {
                Expect::Data(_) => Expect::Fail(OpenError::BodyUnauthentic),
                ref other => other.clone(),
            },
            None => self.expect.clone(),
        }
    }
}

/// Big-endian add of `n` to a 24-byte nonce (wrapping), written independently of the crate.
fn nonce_plus(nonce: &[u8; 24], n: u64) -> [u8; 24] {
    let mut out = *nonce;
    let mut carry = u128::from(n);
    for b in out.iter_mut().rev() {
        let sum = u128::from(*b) + (carry & 0xff);
        *b = (sum & 0xff) as u8;
        carry = (carry >> 8) + (sum >> 8);
    }
    out
}

/// A frame whose header authenticates and announces `len`, with `body` (whose MAC is in the
/// header, correct unless `bad_body_mac`) sealed under `counter + 1`.
fn frame(counter: u64, len: u16, body: &[u8], bad_body_mac: bool) -> Vec<u8> {
    let mut sealed_body = body.to_vec();
    let mut body_mac = seal_in_place(&KEY, &nonce_plus(&NONCE, counter + 1), &mut sealed_body);
    if bad_body_mac {
        body_mac[0] ^= 1;
    }
    let mut header = [0u8; HEADER_LEN];
    header[16..18].copy_from_slice(&len.to_be_bytes());
    header[18..].copy_from_slice(&body_mac);
    let mac = seal_in_place(&KEY, &nonce_plus(&NONCE, counter), &mut header[16..]);
    header[..16].copy_from_slice(&mac);
    let mut wire = header.to_vec();
    wire.extend_from_slice(&sealed_body);
    wire
}

fn goodbye(counter: u64) -> Vec<u8> {
    let mut header = [0u8; HEADER_LEN];
    let mac = seal_in_place(&KEY, &nonce_plus(&NONCE, counter), &mut header[16..]);
    header[..16].copy_from_slice(&mac);
    header.to_vec()
}

/// Reads the program into segments (a cut ends the program).
fn build(mut prog: &[u8]) -> Vec<Segment> {
    let mut take = |n: usize| -> &[u8] {
        let (a, b) = prog.split_at(n.min(prog.len()));
        prog = b;
        a
    };
    let mut segments: Vec<Segment> = Vec::new();
    let mut counter = 0u64;
    while let [op] = *take(1) {
        let len_bytes = take(2);
        let len = u16::from_be_bytes([
            len_bytes.first().copied().unwrap_or(0),
            len_bytes.get(1).copied().unwrap_or(0),
        ]);
        match op % 7 {
            // An honest frame of 1..=4096 bytes (content from the program).
            0 | 1 => {
                let n = usize::from(len) % MAX_BODY_LEN + 1;
                let body = take(n).to_vec();
                if body.is_empty() {
                    break;
                }
                let n16 = u16::try_from(body.len()).unwrap_or(u16::MAX);
                segments.push(Segment::new(
                    frame(counter, n16, &body, false),
                    Expect::Data(body),
                ));
                counter += 2;
            }
            // A goodbye.
            2 => {
                segments.push(Segment::new(goodbye(counter), Expect::Goodbye));
                counter += 1;
            }
            // An authenticated header announcing any length; the body is as long as the
            // announced length (capped by what the program has left) with a correct MAC, or
            // its MAC is wrong when the low bit of the next byte says so.
            3 => {
                let bad = take(1).first().is_some_and(|b| b & 1 == 1);
                let n = usize::from(len).min(MAX_BODY_LEN);
                let body = vec![0x5a; n];
                let expect = if usize::from(len) > MAX_BODY_LEN {
                    Expect::Fail(OpenError::BodyTooLong {
                        len: usize::from(len),
                    })
                } else if bad {
                    Expect::Fail(OpenError::BodyUnauthentic)
                } else {
                    Expect::Data(body.clone())
                };
                let body = if usize::from(len) > MAX_BODY_LEN {
                    Vec::new()
                } else {
                    body
                };
                segments.push(Segment::new(frame(counter, len, &body, bad), expect));
                counter += 2;
            }
            // Garbage of 1..=64 bytes.
            4 => {
                let n = usize::from(len % 64) + 1;
                let bytes = take(n).to_vec();
                if bytes.is_empty() {
                    break;
                }
                segments.push(Segment::new(bytes, Expect::Garbage));
            }
            // Flip one bit of the last segment.
            5 => {
                if let Some(last) = segments.last_mut() {
                    let pos = usize::from(len) % last.wire.len();
                    let bit = take(1).first().copied().unwrap_or(0) % 8;
                    last.wire[pos] ^= 1 << bit;
                }
            }
            // Cut the last honest frame or goodbye short and end the stream.
            _ => {
                if let Some(last) = segments.last_mut()
                    && matches!(last.expect, Expect::Data(_) | Expect::Goodbye)
                {
                    let keep = usize::from(len) % last.wire.len();
                    last.wire.truncate(keep);
                    break;
                }
            }
        }
    }
    segments
}

/// The decryptor's observable output: frames, then how it ended.
#[derive(Debug, PartialEq)]
enum Seen {
    Data(Vec<u8>),
    Goodbye,
    Error(OpenError),
}

/// What the model says the decryptor must output for the whole stream, `finish()` included.
fn model(segments: &[Segment]) -> Vec<Seen> {
    let mut seen = Vec::new();
    for (i, s) in segments.iter().enumerate() {
        match &s.outcome() {
            Expect::Data(b) => seen.push(Seen::Data(b.clone())),
            Expect::Goodbye => {
                seen.push(Seen::Goodbye);
                return seen; // everything after a goodbye is ignored, and finish is Ok
            }
            Expect::Fail(e) => {
                seen.push(Seen::Error(*e));
                return seen;
            }
            Expect::Garbage => {
                let rest: usize = segments[i..].iter().map(|s| s.wire.len()).sum();
                seen.push(Seen::Error(if rest >= HEADER_LEN {
                    OpenError::HeaderUnauthentic
                } else {
                    OpenError::Truncated
                }));
                return seen;
            }
        }
    }
    seen.push(Seen::Error(OpenError::Truncated)); // no goodbye: finish() fails
    seen
}

fn run_open(wire: &[u8], step: usize) -> Vec<Seen> {
    let mut d = Decryptor::new(KEY, NONCE);
    let mut seen = Vec::new();
    for mut piece in wire.chunks(step) {
        while !piece.is_empty() {
            match d.open(piece) {
                Ok(o) => {
                    let consumed = o.consumed;
                    assert!(consumed <= piece.len());
                    match o.progress {
                        Progress::Frame(Frame::Data(b)) => seen.push(Seen::Data(b.to_vec())),
                        Progress::Frame(Frame::Goodbye) => seen.push(Seen::Goodbye),
                        Progress::NeedMore(n) => {
                            assert_eq!(consumed, piece.len(), "stalled without a frame");
                            assert!(n > 0 && n == d.bytes_needed(), "NeedMore({n})");
                        }
                        Progress::Ended => assert_eq!(consumed, piece.len(), "after the goodbye"),
                    }
                    piece = &piece[consumed..];
                }
                Err(e) => {
                    seen.push(Seen::Error(e));
                    // Sticky: the same error again, whatever comes next.
                    assert_eq!(d.open(b"more").err(), Some(e));
                    assert_eq!(d.finish(), Err(e));
                    return seen;
                }
            }
        }
    }
    if let Err(e) = d.finish() {
        seen.push(Seen::Error(e));
    }
    seen
}

fn run_in_place(wire: &[u8], step: usize) -> Vec<Seen> {
    let mut d = Decryptor::new(KEY, NONCE);
    let mut seen = Vec::new();
    let mut buf = wire.to_vec();
    // `wanted`: where the buffer must end, from the last NeedMore.
    let (mut start, mut avail, mut wanted) = (0usize, 0usize, 0usize);
    while start < buf.len() {
        // A caller waits for what NeedMore asked (offering less again re-authenticates the
        // header for nothing), but takes input in pieces of `step` when it has it.
        avail = (avail + step).max(wanted).min(buf.len());
        loop {
            match d.open_in_place(&mut buf[start..avail]) {
                Ok(Decoded {
                    consumed,
                    progress: Progress::NeedMore(n),
                }) => {
                    assert!(n > 0 && consumed == 0, "NeedMore({n}), {consumed} consumed");
                    // `n` more bytes beyond the buffer given.
                    wanted = avail + n;
                    break;
                }
                Ok(Decoded {
                    consumed,
                    progress: Progress::Frame(frame),
                }) => {
                    assert!(consumed <= avail - start);
                    match frame {
                        Frame::Data(b) => seen.push(Seen::Data(b.to_vec())),
                        Frame::Goodbye => seen.push(Seen::Goodbye),
                    }
                    start += consumed;
                }
                Ok(Decoded {
                    consumed,
                    progress: Progress::Ended,
                }) => {
                    assert_eq!(consumed, avail - start);
                    return seen;
                }
                Err(e) => {
                    seen.push(Seen::Error(e));
                    return seen;
                }
            }
        }
        if avail == buf.len() {
            break;
        }
    }
    if let Err(e) = d.finish() {
        seen.push(Seen::Error(e));
    }
    seen
}

/// Box-stream decryption of a stream built from the input (see the module docs): the frames
/// and the error must be exactly the model's, through `open` in pieces and through
/// `open_in_place`. The first byte picks the piece size and the API.
pub fn boxstream_open(data: &[u8]) {
    let Some((&ctl, prog)) = data.split_first() else {
        return;
    };
    let segments = build(prog);
    let wire: Vec<u8> = segments
        .iter()
        .flat_map(|s| s.wire.iter().copied())
        .collect();
    let expected = model(&segments);
    let step = usize::from(ctl >> 1).max(1);
    let seen = if ctl & 1 == 0 {
        run_open(&wire, step)
    } else {
        run_in_place(&wire, step)
    };
    assert_eq!(seen, expected);
}
