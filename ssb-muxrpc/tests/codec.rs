//! The packet codec on its own: round trips at arbitrary split points, limits, errors.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

#[path = "../../ssb-sansio/tests/contract/mod.rs"]
mod contract;

use proptest::prelude::*;
use serde_json::json;
use ssb_muxrpc::{
    Body, BodyError, BodyType, BufferTooSmall, CallType, DecodeError, Decoded, EncodeError, Flags,
    HEADER_LEN, Header, Item, PacketDecoder, Progress, RemoteError, RequestError, decode_packet,
    encode_goodbye, encode_packet, encode_packet_to_vec, encoded_len, parse_request,
};

fn flags(stream: bool, end: bool, t: u8) -> Flags {
    Flags {
        stream,
        end,
        body_type: BodyType::from_bits(t % 3).unwrap(),
    }
}

type Owned = (Header, Vec<u8>);

/// Decodes `wire` delivered in the given pieces; returns packets and whether a goodbye came.
fn decode_in_pieces(
    wire: &[u8],
    cuts: &[usize],
    max: u32,
) -> Result<(Vec<Owned>, bool), DecodeError> {
    let mut dec = PacketDecoder::with_max_body_len(max);
    let mut out = Vec::new();
    let mut bye = false;
    let mut at = 0;
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
    bounds.sort_unstable();
    bounds.push(wire.len());
    for end in bounds {
        let mut piece = &wire[at..end.max(at)];
        at = end.max(at);
        loop {
            let Decoded { consumed, progress } = dec.decode(piece)?;
            match progress {
                Progress::Frame(Item::Packet(p)) => out.push((p.header, p.body.to_vec())),
                Progress::Frame(Item::Goodbye(_)) => bye = true,
                Progress::NeedMore(n) => assert!(n > 0 && consumed == piece.len()),
                Progress::Ended => {}
            }
            assert!(dec.buffered_len() <= HEADER_LEN + max as usize);
            piece = &piece[consumed..];
            if piece.is_empty() {
                break;
            }
        }
    }
    if bye {
        dec.finish()?;
    }
    Ok((out, bye))
}

proptest! {
    #[test]
    fn round_trip_at_any_split(
        packets in prop::collection::vec(
            (any::<bool>(), any::<bool>(), 0u8..3, any::<i32>(), prop::collection::vec(any::<u8>(), 1..300)),
            0..12),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let mut wire = Vec::new();
        let mut want = Vec::new();
        for (s, e, t, req, body) in &packets {
            let f = flags(*s, *e, *t);
            let start = wire.len();
            wire.resize(start + encoded_len(body.len()), 0);
            let n = encode_packet(f, *req, body, &mut wire[start..]).unwrap();
            prop_assert_eq!(n, HEADER_LEN + body.len());
            want.push((Header { flags: f, body_len: body.len() as u32, request: *req }, body.clone()));
        }
        let start = wire.len();
        wire.resize(start + HEADER_LEN, 0xee);
        prop_assert_eq!(encode_goodbye(&mut wire[start..]).unwrap(), HEADER_LEN);
        let (got, bye) = decode_in_pieces(&wire, &cuts, u32::MAX).unwrap();
        prop_assert!(bye);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn arbitrary_bytes_never_panic_or_overbuffer(
        wire in prop::collection::vec(any::<u8>(), 0..600),
        cuts in prop::collection::vec(any::<usize>(), 0..30),
        max in 0u32..200,
    ) {
        match decode_in_pieces(&wire, &cuts, max) {
            Ok(_) | Err(DecodeError::BodyTooLong { .. } | DecodeError::UnknownBodyType { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
    }

    #[test]
    fn zero_copy_decode_agrees_with_streaming(
        s in any::<bool>(), e in any::<bool>(), t in 0u8..3, req in any::<i32>(),
        body in prop::collection::vec(any::<u8>(), 1..100),
    ) {
        let mut wire = vec![0u8; encoded_len(body.len())];
        encode_packet(flags(s, e, t), req, &body, &mut wire).unwrap();
        for cut in 0..wire.len() {
            let d = decode_packet(&wire[..cut], 1000).unwrap();
            prop_assert_eq!(d.consumed, 0);
            prop_assert_eq!(d.progress, Progress::NeedMore(if cut < HEADER_LEN { HEADER_LEN - cut } else { wire.len() - cut }));
        }
        let d = decode_packet(&wire, 1000).unwrap();
        prop_assert_eq!(d.consumed, wire.len());
        let Progress::Frame(Item::Packet(p)) = d.progress else { panic!() };
        prop_assert_eq!(p.body, &body[..]);
        prop_assert_eq!(p.header.request, req);
    }
}

/// A decode step with owned output: `Frame(Some(packet))`, `Frame(None)` for the goodbye.
fn owned(d: Decoded<Item<'_>>) -> contract::Step<Option<Owned>> {
    let item = |i| match i {
        Item::Packet(p) => Some((p.header, p.body.to_vec())),
        Item::Goodbye(_) => None,
    };
    (d.consumed, d.progress.map(item))
}

/// `NeedMore(n)` is the number of bytes still to come, beyond those given, for the streaming
/// decoder and the zero-copy one, at every position in every packet (the check all codecs
/// share): exactly `n` more complete what was missing (the packet, or a header that then asks
/// for its whole body), `n - 1` more do not.
#[test]
fn need_more_counts_the_bytes_beyond_those_given() {
    let bodies: [&[u8]; 3] = [b"a", b"hello", &[9u8; 300]];
    let mut wire = Vec::new();
    let mut frames = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let header = Header {
            flags: flags(i % 2 == 0, false, 0),
            body_len: body.len() as u32,
            request: i as i32 + 1,
        };
        encode_packet_to_vec(header.flags, header.request, body, &mut wire).unwrap();
        frames.push((body.len(), Some((header, body.to_vec()))));
    }
    frames.push((0, None)); // the goodbye: a header alone
    wire.extend_from_slice(&[0; HEADER_LEN]);
    contract::check_need_more(
        &wire,
        HEADER_LEN,
        &frames,
        PacketDecoder::new,
        |dec, input| owned(dec.decode(input).unwrap()),
        |_, buf| owned(decode_packet(buf, u32::MAX).unwrap()),
    );
}

#[test]
fn a_long_body_is_refused_from_its_header_alone() {
    let mut head = vec![0x02];
    head.extend_from_slice(&u32::MAX.to_be_bytes());
    head.extend_from_slice(&1i32.to_be_bytes());
    let mut dec = PacketDecoder::new();
    // Header in pieces: still refused before a single body byte.
    assert!(matches!(
        dec.decode(&head[..5]).unwrap().progress,
        Progress::NeedMore(4)
    ));
    assert_eq!(
        dec.decode(&head[5..]).unwrap_err(),
        DecodeError::BodyTooLong {
            len: u32::MAX,
            max: ssb_muxrpc::DEFAULT_MAX_BODY_LEN
        }
    );
    assert_eq!(dec.buffered_len(), 0);
    // Sticky.
    assert!(dec.decode(b"more").is_err());
    assert!(dec.finish().is_err());
    // Without a limit, an announced 4 GiB body buffers only what arrived.
    let mut dec = PacketDecoder::with_max_body_len(u32::MAX);
    let _ = dec.decode(&head).unwrap();
    let _ = dec.decode(&[7u8; 1000]).unwrap();
    assert_eq!(dec.buffered_len(), HEADER_LEN + 1000);
    assert_eq!(
        dec.finish(),
        Err(DecodeError::Truncated {
            needed: u32::MAX as usize - 1000
        })
    );
}

#[test]
fn body_type_3_fails_after_its_body() {
    let wire = [0x03, 0, 0, 0, 2, 0, 0, 0, 9, b'a', b'b'];
    let mut dec = PacketDecoder::new();
    assert!(matches!(
        dec.decode(&wire[..10]).unwrap().progress,
        Progress::NeedMore(1)
    ));
    assert_eq!(
        dec.decode(&wire[10..]).unwrap_err(),
        DecodeError::UnknownBodyType { request: 9 }
    );
    // Length 0 wins over type 3, as in JS.
    let mut dec = PacketDecoder::new();
    let d = dec.decode(&[0x03, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2]).unwrap();
    assert_eq!(d.consumed, HEADER_LEN);
    assert!(matches!(d.progress, Progress::Frame(Item::Goodbye(_))));
    assert!(dec.is_ended());
    assert_eq!(
        dec.decode(&[1, 2]).unwrap(),
        Decoded {
            consumed: 2,
            progress: Progress::Ended
        }
    );
    assert_eq!(dec.finish(), Ok(()));
}

#[test]
fn end_of_input_between_packets_or_inside_one() {
    let mut dec = PacketDecoder::new();
    assert_eq!(dec.finish(), Err(DecodeError::NoGoodbye));
    let mut dec = PacketDecoder::new();
    let _ = dec.decode(&[0x02, 0, 0, 0, 5, 0, 0, 0, 1, b'[']).unwrap();
    assert_eq!(dec.finish(), Err(DecodeError::Truncated { needed: 4 }));
    let mut dec = PacketDecoder::new();
    let _ = dec.decode(&[0x02, 0, 0]).unwrap();
    assert_eq!(dec.finish(), Err(DecodeError::Truncated { needed: 6 }));
}

#[test]
fn encoder_errors() {
    let f = flags(true, false, 2);
    let mut small = [0u8; 10];
    assert_eq!(
        encode_packet(f, 1, b"ab", &mut small),
        Err(EncodeError::BufferTooSmall(BufferTooSmall { required: 11 }))
    );
    assert_eq!(
        encode_packet(f, 1, b"", &mut small),
        Err(EncodeError::EmptyBody)
    );
    assert_eq!(
        encode_goodbye(&mut small[..8]),
        Err(EncodeError::BufferTooSmall(BufferTooSmall { required: 9 }))
    );
    assert_eq!(
        encode_goodbye(&mut small[..8]).unwrap_err().code(),
        "buffer_too_small"
    );
    assert_eq!(EncodeError::EmptyBody.code(), "muxrpc_empty_body");
    assert_eq!(f.to_byte(), 0x0a);
    assert_eq!(flags(true, true, 2).to_byte(), 0x0e);
    assert_eq!(flags(false, true, 2).to_byte(), 0x06);
}

#[test]
fn bodies_go_out_as_js_sends_them() {
    let enc = |b: Body| {
        let (t, bytes) = b.encode().map(|(t, b)| (t, b.into_owned())).unwrap();
        (t, String::from_utf8(bytes).unwrap())
    };
    assert_eq!(enc(Body::Text("hi".into())), (BodyType::Utf8, "hi".into()));
    assert_eq!(enc(Body::json("hi")), (BodyType::Utf8, "hi".into()));
    assert_eq!(
        enc(Body::Text(String::new())),
        (BodyType::Json, "\"\"".into())
    );
    assert_eq!(enc(Body::json("")), (BodyType::Json, "\"\"".into()));
    assert_eq!(enc(Body::undefined()), (BodyType::Json, "false".into()));
    assert_eq!(
        enc(Body::json(json!({"b": 1, "a": [null]}))),
        (BodyType::Json, r#"{"b":1,"a":[null]}"#.into())
    );
    assert_eq!(Body::Binary(vec![]).encode(), Err(BodyError::EmptyBinary));
    // Lenient reading.
    assert_eq!(
        Body::decode(BodyType::Utf8, b"a\xffb").unwrap(),
        Body::Text("a\u{fffd}b".into())
    );
    assert_eq!(
        Body::decode(BodyType::Json, b"{\"s\":\"\xff\"}").unwrap(),
        Body::json(json!({"s": "\u{fffd}"}))
    );
    assert!(matches!(
        Body::decode(BodyType::Json, b"{"),
        Err(BodyError::InvalidJson { .. })
    ));
}

#[test]
fn error_objects() {
    let e = RemoteError::from_body(&Body::json(
        json!({"message": "m", "name": "TypeError", "stack": "s", "x": 1}),
    ));
    assert_eq!(
        (e.name.as_str(), e.message.as_str(), e.stack.as_deref()),
        ("TypeError", "m", Some("s"))
    );
    assert_eq!(e.to_string(), "TypeError: m");
    let e = RemoteError::from_body(&Body::json(json!({})));
    assert_eq!(
        (e.name.as_str(), e.message.as_str(), e.stack),
        ("", "", None)
    );
    assert_eq!(RemoteError::from_body(&Body::json(5)).message, "5");
    assert_eq!(
        RemoteError::from_body(&Body::Text("oops".into())).message,
        "oops"
    );
    assert_eq!(
        RemoteError::new("x").to_json().to_string(),
        r#"{"message":"x","name":"Error","stack":null}"#
    );
    let path = ["blobs".to_owned(), "has".to_owned()];
    assert_eq!(
        RemoteError::no_such_method(CallType::Async, &path).message,
        "no async:blobs,has"
    );
    assert_eq!(
        RemoteError::no_such_method(CallType::Duplex, &path[..1]).message,
        "no duplex:blobs"
    );
    assert_eq!(
        RemoteError::disallowed(&path).message,
        "method:blobs,has is on list of disallowed methods"
    );
}

#[test]
fn request_parsing() {
    let r = parse_request(false, &Body::json(json!({"name": "manifest", "args": []}))).unwrap();
    assert_eq!(
        (r.name, r.kind),
        (vec!["manifest".to_owned()], CallType::Async)
    );
    let r = parse_request(
        false,
        &Body::json(json!({"name": ["a", "b"], "args": [1], "type": "duplex"})),
    )
    .unwrap();
    assert_eq!(
        (r.name.len(), r.kind, r.args),
        (2, CallType::Async, vec![json!(1)])
    );
    let r = parse_request(true, &Body::json(json!({"name": ["s"], "type": "sink"}))).unwrap();
    assert_eq!((r.kind, r.args.len()), (CallType::Sink, 0));
    let err = |stream, v| parse_request(stream, &Body::json(v)).unwrap_err().0;
    assert_eq!(
        err(false, json!({"name": ["a"]})),
        RequestError::ArgsNotArray
    );
    assert_eq!(
        err(true, json!({"name": ["a"], "args": 1, "type": "source"})),
        RequestError::ArgsNotArray
    );
    assert_eq!(
        err(false, json!({"name": ["a", 1], "args": []})),
        RequestError::BadName
    );
    assert_eq!(err(false, json!({"args": []})), RequestError::BadName);
    assert_eq!(
        err(true, json!({"name": ["a"], "args": [], "type": 5})),
        RequestError::UnsupportedStreamType("5".into())
    );
    assert_eq!(err(false, json!(null)), RequestError::NotAnObject);
    assert_eq!(
        parse_request(false, &Body::Binary(vec![1])).unwrap_err().0,
        RequestError::NotJson
    );
}
