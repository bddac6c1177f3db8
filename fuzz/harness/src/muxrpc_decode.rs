//! The packet decoder fed arbitrary bytes in arbitrary pieces: never a panic, never more
//! buffered than the body limit allows, and the same packets as the one-shot zero-copy
//! decoder over the whole input. Byte 0 picks the piece size, byte 1 the body limit.

use ssb_muxrpc::{Body, DecodeError, HEADER_LEN, Item, PacketDecoder, Progress, decode_packet};

#[derive(Debug, PartialEq)]
enum Seen {
    Packet(u8, bool, bool, i32, Vec<u8>),
    Goodbye,
    Error(DecodeError),
}

fn seen(p: &Progress<Item<'_>>) -> Option<Seen> {
    match p {
        Progress::Frame(Item::Packet(p)) => {
            let h = p.header;
            assert_eq!(p.body.len(), h.body_len as usize);
            // Interpreting the body never panics either.
            let _ = Body::decode(h.flags.body_type, p.body);
            Some(Seen::Packet(
                h.flags.body_type as u8,
                h.flags.stream,
                h.flags.end,
                h.request,
                p.body.to_vec(),
            ))
        }
        Progress::Frame(Item::Goodbye(_)) => Some(Seen::Goodbye),
        Progress::NeedMore(_) | Progress::Ended => None,
    }
}

/// The `muxrpc_decode` target (see the module docs).
pub fn muxrpc_decode(data: &[u8]) {
    let [step, limit, input @ ..] = data else {
        return;
    };
    let step = usize::from(*step).max(1);
    let max = u32::from(*limit) * 16;

    // Streaming, in pieces of `step` bytes.
    let mut dec = PacketDecoder::with_max_body_len(max);
    let mut streamed = Vec::new();
    'outer: for mut piece in input.chunks(step) {
        loop {
            match dec.decode(piece) {
                Err(e) => {
                    streamed.push(Seen::Error(e));
                    break 'outer;
                }
                Ok(d) => {
                    assert!(d.consumed <= piece.len());
                    if let Progress::NeedMore(n) = d.progress {
                        assert!(n > 0 && d.consumed == piece.len(), "NeedMore({n})");
                    }
                    let done = matches!(d.progress, Progress::Frame(Item::Goodbye(_)));
                    streamed.extend(seen(&d.progress));
                    if done {
                        break 'outer;
                    }
                    piece = &piece[d.consumed..];
                    if piece.is_empty() {
                        break;
                    }
                    if d.consumed == 0 {
                        panic!("no progress on non-empty input");
                    }
                }
            }
            assert!(dec.buffered_len() <= HEADER_LEN + max as usize);
        }
    }
    let _ = dec.finish();

    // One shot over the whole buffer.
    let mut whole = Vec::new();
    let mut rest = input;
    loop {
        match decode_packet(rest, max) {
            Err(e) => {
                whole.push(Seen::Error(e));
                break;
            }
            Ok(d) if d.consumed == 0 => break,
            Ok(d) => {
                let done = matches!(d.progress, Progress::Frame(Item::Goodbye(_)));
                whole.extend(seen(&d.progress));
                rest = &rest[d.consumed..];
                if done {
                    break;
                }
            }
        }
    }
    assert_eq!(streamed, whole);
}
