//! The `NeedMore` contract of the crate docs, checked at every position of a stream of
//! header-and-body frames, for a streaming and a zero-copy decoder of the same codec.
//!
//! Shared test support, written once: `ssb-sansio`'s own tests run it on a toy codec, and
//! `ssb-boxstream` and `ssb-muxrpc` include this file (`#[path]`) to run it on theirs.

use core::fmt::Debug;

use ssb_sansio::Progress;

/// A decode step with owned output: `(consumed, progress)`.
pub(crate) type Step<T> = (usize, Progress<T>);

/// Checks that `NeedMore(n)` is the count of bytes still to come, beyond those given.
///
/// `wire` is the stream: `frames` in order, each a `header_len`-byte header and a body of the
/// given length (a goodbye is a frame with an empty body) and the owned frame a decoder must
/// yield. `new` makes a decoder at the stream's start; `streaming` is one step of its
/// streaming API on some input; `zero_copy` one step of its zero-copy API on a buffer that
/// starts at a frame boundary, with the decoder there.
///
/// At every position `p` of every frame, where `n` is the number of bytes to the end of the
/// frame's header (or, once the header is whole, of its body): a streaming decoder that took
/// `wire[..p]`, and a zero-copy decoder given the frame's bytes before `p`, both ask for
/// exactly `n` more; given `n - 1` more they ask for 1 more (the streaming one taking them, the
/// zero-copy one taking nothing); given exactly `n` more they yield the frame or, for a header
/// that announces a body, ask for the whole body.
pub(crate) fn check_need_more<D, T: Clone + Debug + PartialEq>(
    wire: &[u8],
    header_len: usize,
    frames: &[(usize, T)],
    new: impl Fn() -> D,
    streaming: impl Fn(&mut D, &[u8]) -> Step<T>,
    zero_copy: impl Fn(&mut D, &mut [u8]) -> Step<T>,
) {
    // A decoder that took `wire[..p]` through its streaming API.
    let up_to = |p: usize| {
        let mut decoder = new();
        let mut rest = &wire[..p];
        while !rest.is_empty() {
            let (consumed, _) = streaming(&mut decoder, rest);
            assert!(consumed > 0, "no progress at {}", p - rest.len());
            rest = &rest[consumed..];
        }
        decoder
    };
    let mut start = 0;
    for (body, frame) in frames {
        let (header_end, end) = (start + header_len, start + header_len + body);
        for p in start..end {
            let n = if p < header_end {
                header_end - p
            } else {
                end - p
            };
            let stream = |extra: usize| streaming(&mut up_to(p), &wire[p..p + extra]);
            let in_buffer = |extra: usize| {
                let mut buf = wire[start..p + extra].to_vec();
                zero_copy(&mut up_to(start), &mut buf)
            };
            let complete = p + n == end;
            let done = if complete {
                Progress::Frame(frame.clone())
            } else {
                Progress::NeedMore(*body) // the header is whole: now the whole body
            };
            assert_eq!(stream(0), (0, Progress::NeedMore(n)), "streaming at {p}");
            assert_eq!(in_buffer(0), (0, Progress::NeedMore(n)), "zero-copy at {p}");
            if n > 1 {
                let one_short = Progress::NeedMore(1);
                assert_eq!(
                    stream(n - 1),
                    (n - 1, one_short.clone()),
                    "streaming at {p}"
                );
                assert_eq!(in_buffer(n - 1), (0, one_short), "zero-copy at {p}");
            }
            assert_eq!(stream(n), (n, done.clone()), "streaming at {p}");
            let taken = if complete { end - start } else { 0 };
            assert_eq!(in_buffer(n), (taken, done), "zero-copy at {p}");
        }
        start = end;
    }
    assert_eq!(start, wire.len(), "the frames cover the stream");
}
