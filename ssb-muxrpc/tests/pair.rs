//! Two endpoints in memory (the `Pair` driver): every call type in both directions, input
//! split at every byte, misbehaving peers, flow control and goodbye.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use serde_json::{Value, json};
use ssb_muxrpc::{
    Blocked, Body, BodyType, CallError, CallType, Config, DecodeError, Endpoint, Event, Flags,
    GOODBYE, LocalError, RemoteError, RequestId, StreamItem, encode_packet_to_vec,
};

/// Two endpoints joined by in-memory pipes. Bytes travel in pieces of `piece` bytes; bytes an
/// endpoint does not take (flow control) wait in its inbox.
struct Pair {
    a: Endpoint,
    b: Endpoint,
    to_a: Vec<u8>,
    to_b: Vec<u8>,
    piece: usize,
}

#[derive(Debug, Default)]
struct Seen {
    a: Vec<Event>,
    b: Vec<Event>,
}

impl Pair {
    fn new() -> Self {
        Self::with(Config::default(), Config::default(), usize::MAX)
    }

    fn with(a: Config, b: Config, piece: usize) -> Self {
        Self {
            a: Endpoint::new(a),
            b: Endpoint::new(b),
            to_a: Vec::new(),
            to_b: Vec::new(),
            piece,
        }
    }

    /// Moves bytes both ways until neither side has anything more to send or take; returns
    /// the events each side raised.
    fn drive(&mut self) -> Seen {
        let mut seen = Seen::default();
        let mut buf = vec![0u8; 997];
        for _ in 0..100_000 {
            let mut progress = false;
            loop {
                let n = self.a.poll_transmit(&mut buf);
                if n == 0 {
                    break;
                }
                self.to_b.extend_from_slice(&buf[..n]);
                progress = true;
            }
            loop {
                let n = self.b.poll_transmit(&mut buf);
                if n == 0 {
                    break;
                }
                self.to_a.extend_from_slice(&buf[..n]);
                progress = true;
            }
            progress |= feed(&mut self.a, &mut self.to_a, self.piece);
            progress |= feed(&mut self.b, &mut self.to_b, self.piece);
            while let Some(e) = self.a.poll_event() {
                seen.a.push(e);
                progress = true;
            }
            while let Some(e) = self.b.poll_event() {
                seen.b.push(e);
                progress = true;
            }
            if !progress {
                return seen;
            }
        }
        panic!("pair did not settle");
    }
}

/// Offers `inbox` to `ep` in pieces; removes what it took. True if it took anything.
fn feed(ep: &mut Endpoint, inbox: &mut Vec<u8>, piece: usize) -> bool {
    let mut taken = 0;
    while taken < inbox.len() {
        let end = inbox.len().min(taken.saturating_add(piece));
        let n = ep.handle_input(&inbox[taken..end]).expect("valid input");
        let offered = end - taken;
        taken += n;
        if n < offered {
            break; // flow control stopped it
        }
    }
    // Deliver a held-back packet once room was made.
    if taken == 0 && ep.input_blocked().is_none() {
        let _ = ep.handle_input(&[]).expect("valid input");
    }
    inbox.drain(..taken);
    taken > 0
}

fn read_all(ep: &mut Endpoint, id: RequestId) -> Vec<StreamItem> {
    let mut v = Vec::new();
    while let Some(i) = ep.read(id) {
        v.push(i);
    }
    v
}

fn data(items: &[StreamItem]) -> Vec<Body> {
    items
        .iter()
        .filter_map(|i| match i {
            StreamItem::Data(b) => Some(b.clone()),
            StreamItem::End(_) => None,
        })
        .collect()
}

fn requests(events: &[Event]) -> Vec<(RequestId, ssb_muxrpc::Request)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Request { id, request } => Some((*id, request.clone())),
            _ => None,
        })
        .collect()
}

fn responses(events: &[Event]) -> Vec<(RequestId, Result<Body, CallError>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Response { id, result } => Some((*id, result.clone())),
            _ => None,
        })
        .collect()
}

/// Bytes of one packet, for hand-made peer input.
fn packet(stream: bool, end: bool, body_type: BodyType, req: i32, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    let flags = Flags {
        stream,
        end,
        body_type,
    };
    encode_packet_to_vec(flags, req, body, &mut v).unwrap();
    v
}

fn json_packet(stream: bool, end: bool, req: i32, v: Value) -> Vec<u8> {
    packet(stream, end, BodyType::Json, req, v.to_string().as_bytes())
}

/// Everything `ep` wants to send, as decoded packets `(stream, end, type, req, body)`.
fn sent(ep: &mut Endpoint) -> Vec<(bool, bool, u8, i32, Vec<u8>)> {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = ep.poll_transmit(&mut buf);
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    let mut dec = ssb_muxrpc::PacketDecoder::new();
    let mut out = Vec::new();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let d = dec.decode(rest).unwrap();
        match d.progress {
            ssb_muxrpc::Progress::Frame(ssb_muxrpc::Item::Packet(p)) => out.push((
                p.header.flags.stream,
                p.header.flags.end,
                p.header.flags.body_type as u8,
                p.header.request,
                p.body.to_vec(),
            )),
            ssb_muxrpc::Progress::Frame(ssb_muxrpc::Item::Goodbye(_)) => {
                out.push((false, false, 0, 0, vec![]))
            }
            _ => {}
        }
        rest = &rest[d.consumed..];
    }
    out
}

fn err_message(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap();
    v["message"].as_str().unwrap().to_owned()
}

// ---- every call type, both directions ------------------------------------------------

/// One full session exercising every call type in both directions at once. Returns a
/// transcript of what each side observed, to compare across delivery piece sizes.
fn full_session(piece: usize) -> Vec<String> {
    let mut p = Pair::with(Config::default(), Config::default(), piece);
    let mut log = Vec::new();
    // Async calls both ways, same numbers on both sides.
    let a1 =
        p.a.call(CallType::Async, &["hello"], vec![json!("bob")])
            .unwrap();
    let b1 = p.b.call(CallType::Async, &["whoami"], vec![]).unwrap();
    assert_eq!((a1, b1), (RequestId::Local(1), RequestId::Local(1)));
    // Streams of every kind, both ways.
    let a_src =
        p.a.call(CallType::Source, &["count"], vec![json!(3)])
            .unwrap();
    let b_src =
        p.b.call(CallType::Source, &["count"], vec![json!(2)])
            .unwrap();
    let a_sink = p.a.call(CallType::Sink, &["collect"], vec![]).unwrap();
    let a_dup = p.a.call(CallType::Duplex, &["echo"], vec![]).unwrap();
    let b_dup = p.b.call(CallType::Duplex, &["echo"], vec![]).unwrap();
    for i in 0..3 {
        p.a.send(a_sink, Body::json(i)).unwrap();
    }
    p.a.end(a_sink).unwrap();
    p.a.send(a_dup, Body::Text("ping".into())).unwrap();
    p.b.send(b_dup, Body::Binary(vec![1, 2, 3])).unwrap();
    let seen = p.drive();
    let ra = requests(&seen.a);
    let rb = requests(&seen.b);
    log.push(format!("a got requests {ra:?}"));
    log.push(format!("b got requests {rb:?}"));
    assert_eq!(rb.len(), 4);
    assert_eq!(ra.len(), 3);
    // b answers a's calls.
    for (id, req) in &rb {
        match (req.kind, req.name[0].as_str()) {
            (CallType::Async, "hello") => {
                let who = req.args[0].as_str().unwrap();
                p.b.respond(*id, Ok(Body::Text(format!("hello, {who}"))))
                    .unwrap();
            }
            (CallType::Source, "count") => {
                for i in 0..req.args[0].as_u64().unwrap() {
                    p.b.send(*id, Body::json(i)).unwrap();
                }
                p.b.end(*id).unwrap();
            }
            (CallType::Sink, "collect") | (CallType::Duplex, "echo") => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    // a answers b's calls.
    for (id, req) in &ra {
        match (req.kind, req.name[0].as_str()) {
            (CallType::Async, "whoami") => {
                p.a.respond(*id, Ok(Body::json(json!({"id": "@a"}))))
                    .unwrap()
            }
            (CallType::Source, "count") => {
                for i in 0..req.args[0].as_u64().unwrap() {
                    p.a.send(*id, Body::json(i * 10)).unwrap();
                }
                p.a.end(*id).unwrap();
            }
            (CallType::Duplex, "echo") => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    let seen = p.drive();
    log.push(format!("a responses {:?}", responses(&seen.a)));
    log.push(format!("b responses {:?}", responses(&seen.b)));
    assert_eq!(
        responses(&seen.a),
        vec![(a1, Ok(Body::Text("hello, bob".into())))]
    );
    assert_eq!(
        responses(&seen.b),
        vec![(b1, Ok(Body::json(json!({"id": "@a"}))))]
    );
    // Sources: data then a normal end, on both sides.
    let items = read_all(&mut p.a, a_src);
    assert_eq!(
        data(&items),
        vec![Body::json(0), Body::json(1), Body::json(2)]
    );
    assert_eq!(items.last(), Some(&StreamItem::End(Ok(()))));
    let items = read_all(&mut p.b, b_src);
    assert_eq!(data(&items), vec![Body::json(0), Body::json(10)]);
    assert_eq!(items.last(), Some(&StreamItem::End(Ok(()))));
    // Sink: b read a's data and end; a got b's answering end.
    let b_sink = rb.iter().find(|(_, r)| r.kind == CallType::Sink).unwrap().0;
    let items = read_all(&mut p.b, b_sink);
    assert_eq!(
        data(&items),
        vec![Body::json(0), Body::json(1), Body::json(2)]
    );
    assert_eq!(items.last(), Some(&StreamItem::End(Ok(()))));
    assert_eq!(read_all(&mut p.a, a_sink), vec![StreamItem::End(Ok(()))]);
    // Duplexes: each side echoes what it got, then a ends its duplex first.
    let b_side_of_a_dup = rb
        .iter()
        .find(|(_, r)| r.kind == CallType::Duplex)
        .unwrap()
        .0;
    let a_side_of_b_dup = ra
        .iter()
        .find(|(_, r)| r.kind == CallType::Duplex)
        .unwrap()
        .0;
    let got = read_all(&mut p.b, b_side_of_a_dup);
    assert_eq!(got, vec![StreamItem::Data(Body::Text("ping".into()))]);
    p.b.send(b_side_of_a_dup, Body::Text("pong".into()))
        .unwrap();
    let got = read_all(&mut p.a, a_side_of_b_dup);
    assert_eq!(got, vec![StreamItem::Data(Body::Binary(vec![1, 2, 3]))]);
    p.a.send(a_side_of_b_dup, Body::Binary(vec![3, 2, 1]))
        .unwrap();
    p.a.end(a_dup).unwrap();
    p.b.end(b_dup).unwrap();
    let _ = p.drive();
    let got = read_all(&mut p.a, a_dup);
    assert_eq!(
        got,
        vec![
            StreamItem::Data(Body::Text("pong".into())),
            StreamItem::End(Ok(()))
        ]
    );
    let got = read_all(&mut p.b, b_side_of_a_dup);
    assert_eq!(got, vec![StreamItem::End(Ok(()))]);
    let got = read_all(&mut p.b, b_dup);
    assert_eq!(
        got,
        vec![
            StreamItem::Data(Body::Binary(vec![3, 2, 1])),
            StreamItem::End(Ok(()))
        ]
    );
    let got = read_all(&mut p.a, a_side_of_b_dup);
    assert_eq!(got, vec![StreamItem::End(Ok(()))]);
    // The writers of the sources read the requesters' answering ends.
    let b_count = rb
        .iter()
        .find(|(_, r)| r.kind == CallType::Source)
        .unwrap()
        .0;
    assert_eq!(read_all(&mut p.b, b_count), vec![StreamItem::End(Ok(()))]);
    let a_count = ra
        .iter()
        .find(|(_, r)| r.kind == CallType::Source)
        .unwrap()
        .0;
    assert_eq!(read_all(&mut p.a, a_count), vec![StreamItem::End(Ok(()))]);
    // Everything is closed on both sides: no state left.
    for s in [&p.a, &p.b] {
        assert_eq!(s.open_streams(), 0);
        assert_eq!(s.pending_calls(), 0);
        assert_eq!(s.incoming_calls(), 0);
        assert_eq!(s.buffered_bytes(), 0);
        assert_eq!(*s.stats(), ssb_muxrpc::Stats::default());
    }
    // Goodbye both ways.
    p.a.goodbye();
    let seen = p.drive();
    assert_eq!(seen.b, vec![Event::Goodbye]);
    assert_eq!(seen.a, vec![Event::Goodbye]);
    assert!(p.a.is_closed() && p.b.is_closed());
    log
}

#[test]
fn every_call_type_in_both_directions() {
    full_session(usize::MAX);
}

#[test]
fn input_split_at_every_byte_changes_nothing() {
    let whole = full_session(usize::MAX);
    for piece in [1, 2, 3, 5, 8, 9, 10, 13, 64, 100] {
        assert_eq!(full_session(piece), whole, "piece size {piece}");
    }
}

#[test]
fn every_split_point_of_one_exchange() {
    // One endpoint's whole output, cut at every byte into two pieces, gives the same events.
    let mut a = Endpoint::default();
    let id = a
        .call(CallType::Source, &["stuff"], vec![json!({"live": true})])
        .unwrap();
    a.call(CallType::Async, &["x", "y"], vec![json!(null)])
        .unwrap();
    a.end(id).unwrap();
    a.goodbye();
    let wire: Vec<u8> = {
        let mut v = vec![0u8; 4096];
        let n = a.poll_transmit(&mut v);
        v.truncate(n);
        v
    };
    let reference = {
        let mut b = Endpoint::default();
        assert_eq!(b.handle_input(&wire).unwrap(), wire.len());
        let mut ev = Vec::new();
        while let Some(e) = b.poll_event() {
            ev.push(e);
        }
        (ev, sent(&mut b))
    };
    assert_eq!(reference.0.len(), 4); // source request, async request, readable (end), goodbye
    for cut in 0..=wire.len() {
        let mut b = Endpoint::default();
        let n1 = b.handle_input(&wire[..cut]).unwrap();
        let n2 = b.handle_input(&wire[cut..]).unwrap();
        assert_eq!(n1 + n2, wire.len());
        let mut ev = Vec::new();
        while let Some(e) = b.poll_event() {
            ev.push(e);
        }
        assert_eq!((ev, sent(&mut b)), reference, "cut at {cut}");
    }
}

// ---- JS wire behaviour ----------------------------------------------------------------

#[test]
fn async_request_shape_and_answers_on_the_wire() {
    let mut a = Endpoint::default();
    let id = a
        .call(CallType::Async, &["blobs", "has"], vec![json!("&x")])
        .unwrap();
    let out = sent(&mut a);
    assert_eq!(out.len(), 1);
    let (stream, end, t, req, body) = &out[0];
    assert_eq!((*stream, *end, *t, *req), (false, false, 2, 1));
    assert_eq!(
        std::str::from_utf8(body).unwrap(),
        r#"{"name":["blobs","has"],"args":["&x"]}"#
    );
    // A JS peer's request: no type, string name.
    let mut b = Endpoint::default();
    b.handle_input(&json_packet(
        false,
        false,
        7,
        json!({"name": "manifest", "args": []}),
    ))
    .unwrap();
    let ev = b.poll_event().unwrap();
    let Event::Request { id: rid, request } = ev else {
        panic!()
    };
    assert_eq!(rid, RequestId::Remote(7));
    assert_eq!(request.name, vec!["manifest"]);
    assert_eq!(request.kind, CallType::Async);
    // Success: -n, no flags; strings as type 1; JS undefined as false; error with END.
    b.respond(rid, Ok(Body::Text("hi".into()))).unwrap();
    assert_eq!(sent(&mut b), vec![(false, false, 1, -7, b"hi".to_vec())]);
    b.handle_input(&json_packet(
        false,
        false,
        8,
        json!({"name": ["x"], "args": []}),
    ))
    .unwrap();
    b.handle_input(&json_packet(
        false,
        false,
        9,
        json!({"name": ["y"], "args": []}),
    ))
    .unwrap();
    b.handle_input(&json_packet(
        false,
        false,
        10,
        json!({"name": ["z"], "args": []}),
    ))
    .unwrap();
    b.respond(RequestId::Remote(8), Ok(Body::undefined()))
        .unwrap();
    b.reject(
        RequestId::Remote(9),
        RemoteError::no_such_method(CallType::Async, &["z".into(), "w".into()]),
    )
    .unwrap();
    b.respond(RequestId::Remote(10), Ok(Body::Text(String::new())))
        .unwrap();
    let out = sent(&mut b);
    assert_eq!(out[0], (false, false, 2, -8, b"false".to_vec()));
    assert_eq!(
        (out[1].0, out[1].1, out[1].2, out[1].3),
        (false, true, 2, -9)
    );
    assert_eq!(
        std::str::from_utf8(&out[1].4).unwrap(),
        r#"{"message":"no async:z,w","name":"Error","stack":null}"#
    );
    // An empty string never goes out as a zero-length body.
    assert_eq!(out[2], (false, false, 2, -10, b"\"\"".to_vec()));
    // The answer reaches a as its response.
    a.handle_input(&packet(false, false, BodyType::Utf8, -1, b"yes"))
        .unwrap();
    assert_eq!(
        a.poll_event(),
        Some(Event::Response {
            id,
            result: Ok(Body::Text("yes".into()))
        })
    );
    // An empty binary body cannot be sent at all.
    b.handle_input(&json_packet(
        false,
        false,
        11,
        json!({"name": ["q"], "args": []}),
    ))
    .unwrap();
    while b.poll_event().is_some() {}
    assert!(matches!(
        b.respond(RequestId::Remote(11), Ok(Body::Binary(vec![]))),
        Err(LocalError::Body(_))
    ));
    assert!(b.is_open(RequestId::Remote(11)));
}

#[test]
fn stream_packets_carry_the_stream_flag_and_end_once() {
    let mut a = Endpoint::default();
    let id = a
        .call(
            CallType::Duplex,
            &["ebt", "replicate"],
            vec![json!({"version": 3})],
        )
        .unwrap();
    a.send(id, Body::json(json!({"@feed": 2}))).unwrap();
    a.end(id).unwrap();
    assert_eq!(a.end(id), Err(LocalError::AlreadyEnded(id)));
    assert_eq!(a.send(id, Body::json(1)), Err(LocalError::AlreadyEnded(id)));
    let out = sent(&mut a);
    assert_eq!(out.len(), 3);
    assert!(
        out.iter().all(|p| p.0),
        "every stream packet has the stream flag"
    );
    assert_eq!(
        std::str::from_utf8(&out[0].4).unwrap(),
        r#"{"name":["ebt","replicate"],"args":[{"version":3}],"type":"duplex"}"#
    );
    assert_eq!(out[2], (true, true, 2, 1, b"true".to_vec()));
    // The peer's end arrives: no second end from us; the stream closes once read.
    a.handle_input(&json_packet(true, true, -1, json!(true)))
        .unwrap();
    assert!(sent(&mut a).is_empty());
    assert_eq!(read_all(&mut a, id), vec![StreamItem::End(Ok(()))]);
    assert_eq!(a.open_streams(), 0);
}

#[test]
fn the_peer_ending_first_gets_exactly_one_end_back() {
    // JS requester of a source: we (responder) get its abort; we answer once and stop.
    let mut b = Endpoint::default();
    b.handle_input(&json_packet(
        true,
        false,
        3,
        json!({"name": ["stuff"], "args": [], "type": "source"}),
    ))
    .unwrap();
    let Some(Event::Request { id, .. }) = b.poll_event() else {
        panic!()
    };
    b.send(id, Body::json(1)).unwrap();
    b.handle_input(&json_packet(true, true, 3, json!(true)))
        .unwrap();
    let out = sent(&mut b);
    assert_eq!(out[1], (true, true, 2, -3, b"true".to_vec()));
    assert_eq!(out.len(), 2);
    // We stop writing, as JS does.
    assert_eq!(b.send(id, Body::json(2)), Err(LocalError::AlreadyEnded(id)));
    assert_eq!(b.end(id), Err(LocalError::AlreadyEnded(id)));
    // A second end from the peer is counted and ignored; no reply.
    b.handle_input(&json_packet(true, true, 3, json!(true)))
        .unwrap();
    assert_eq!(b.stats().after_end, 1);
    assert!(sent(&mut b).is_empty());
    while b.poll_event().is_some() {}
    assert_eq!(read_all(&mut b, id), vec![StreamItem::End(Ok(()))]);
    assert_eq!(b.open_streams(), 0);
    // Once closed, a third end (a late packet) is still ignored, not taken for a new stream.
    b.handle_input(&json_packet(true, true, 3, json!(true)))
        .unwrap();
    b.handle_input(&json_packet(true, false, 3, json!("late data")))
        .unwrap();
    assert_eq!(b.stats().late_packets, 2);
    assert!(sent(&mut b).is_empty());
    assert!(b.poll_event().is_none());
}

#[test]
fn stream_errors_and_unknown_methods() {
    let mut p = Pair::new();
    let id = p.a.call(CallType::Source, &["nope"], vec![]).unwrap();
    let seen = p.drive();
    let (rid, req) = requests(&seen.b).pop().unwrap();
    p.b.reject(rid, RemoteError::no_such_method(req.kind, &req.name))
        .unwrap();
    let _ = p.drive();
    let items = read_all(&mut p.a, id);
    let [StreamItem::End(Err(CallError::Remote(e)))] = &items[..] else {
        panic!("{items:?}")
    };
    assert_eq!(e.message, "no source:nope");
    assert_eq!(e.name, "Error");
    // a answered the error end with its own end, echoing the error as JS does; b's side
    // closes when read.
    let items = read_all(&mut p.b, rid);
    let [StreamItem::End(Err(CallError::Remote(echo)))] = &items[..] else {
        panic!("{items:?}")
    };
    assert_eq!(echo, e);
    assert_eq!((p.a.open_streams(), p.b.open_streams()), (0, 0));
    // Not-allowed text.
    assert_eq!(
        RemoteError::not_allowed(&["ebt".into(), "replicate".into()]).message,
        "method:ebt,replicate is not in list of allowed methods"
    );
}

// ---- misbehaving peers ------------------------------------------------------------------

#[test]
fn malformed_requests_are_answered_and_the_connection_stays_up() {
    let mut b = Endpoint::default();
    let bad: Vec<(Vec<u8>, &str)> = vec![
        (
            packet(false, false, BodyType::Json, 1, b"{not json"),
            "invalid request, body is not valid JSON",
        ),
        (
            json_packet(false, false, 2, json!({"name": ["x"], "args": "x"})),
            r#"invalid request, args should be array, was: {"name":["x"],"args":"x"}"#,
        ),
        (
            json_packet(false, false, 3, json!({"name": ["x"]})),
            r#"invalid request, args should be array, was: {"name":["x"]}"#,
        ),
        (
            json_packet(false, false, 4, json!([1, 2])),
            "invalid request, not an object: [1,2]",
        ),
        (
            json_packet(false, false, 5, json!({"name": 5, "args": []})),
            r#"invalid request, name should be a string or an array of strings, was: {"name":5,"args":[]}"#,
        ),
        (
            packet(false, false, BodyType::Binary, 6, b"\x01\x02"),
            "invalid request, body is not JSON: \u{1}\u{2}",
        ),
        (
            json_packet(
                true,
                false,
                7,
                json!({"name": ["x"], "args": [], "type": "async"}),
            ),
            "unsupported stream type: async",
        ),
        (
            json_packet(true, false, 8, json!({"name": ["x"], "args": []})),
            "unsupported stream type: undefined",
        ),
        (
            packet(true, false, BodyType::Json, 9, b"\"unterminated"),
            "invalid request, body is not valid JSON",
        ),
    ];
    for (bytes, _) in &bad {
        assert_eq!(b.handle_input(bytes).unwrap(), bytes.len());
    }
    let out = sent(&mut b);
    assert_eq!(out.len(), bad.len());
    for (i, ((stream, end, _, req, body), (input, want))) in out.iter().zip(&bad).enumerate() {
        assert!(*end, "case {i} is an error");
        assert_eq!(*stream, input[0] & 8 != 0, "case {i}: stream flag copied");
        assert_eq!(*req, -(i as i32 + 1));
        assert_eq!(err_message(body), *want, "case {i}");
    }
    assert_eq!(b.stats().malformed_requests, bad.len() as u64);
    assert!(b.poll_event().is_none());
    // Late packets for the refused streams are ignored, not taken for new streams.
    b.handle_input(&json_packet(true, true, 7, json!(true)))
        .unwrap();
    b.handle_input(&json_packet(true, false, 8, json!(1)))
        .unwrap();
    assert!(sent(&mut b).is_empty());
    // Still up: a good request works.
    b.handle_input(&json_packet(
        false,
        false,
        20,
        json!({"name": ["ok"], "args": []}),
    ))
    .unwrap();
    assert!(matches!(b.poll_event(), Some(Event::Request { .. })));
}

#[test]
fn invalid_json_in_answers_fails_only_that_call() {
    let mut a = Endpoint::default();
    let c1 = a.call(CallType::Async, &["x"], vec![]).unwrap();
    let s1 = a.call(CallType::Source, &["s"], vec![]).unwrap();
    let c2 = a.call(CallType::Async, &["y"], vec![]).unwrap();
    let _ = sent(&mut a);
    a.handle_input(&packet(false, false, BodyType::Json, -1, b"{oops"))
        .unwrap();
    a.handle_input(&packet(true, false, BodyType::Json, -2, b"[1,"))
        .unwrap();
    a.handle_input(&json_packet(false, false, -3, json!(42)))
        .unwrap();
    let ev: Vec<_> = std::iter::from_fn(|| a.poll_event()).collect();
    let r = responses(&ev);
    assert!(matches!(r[0], (id, Err(CallError::InvalidJson(_))) if id == c1));
    assert_eq!(r[1], (c2, Ok(Body::json(42))));
    let items = read_all(&mut a, s1);
    assert!(matches!(
        items[..],
        [StreamItem::End(Err(CallError::InvalidJson(_)))]
    ));
    // We told the peer that stream failed, once.
    let out = sent(&mut a);
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].0, out[0].1, out[0].3), (true, true, 2));
    assert_eq!(err_message(&out[0].4), "invalid JSON body");
    // Its further packets are ignored.
    a.handle_input(&json_packet(true, false, -2, json!(1)))
        .unwrap();
    a.handle_input(&json_packet(true, true, -2, json!(true)))
        .unwrap();
    assert_eq!(a.stats().after_end + a.stats().unknown_request, 2);
}

#[test]
fn unknown_numbers_wrong_kinds_and_directions_are_counted() {
    let mut a = Endpoint::default();
    let call = a.call(CallType::Async, &["x"], vec![]).unwrap();
    let src = a.call(CallType::Source, &["s"], vec![]).unwrap();
    let sink = a.call(CallType::Sink, &["k"], vec![]).unwrap();
    let _ = sent(&mut a);
    let inputs = [
        json_packet(false, false, -99, json!(1)), // unknown request
        json_packet(true, false, -99, json!(1)),  // unknown stream
        json_packet(false, false, i32::MIN, json!(1)), // -2^31
        json_packet(true, false, -1, json!(1)),   // stream packet for an async call
        json_packet(false, false, -2, json!(1)),  // async answer for a stream
        json_packet(true, false, -3, json!(1)),   // data from a sink's responder
        json_packet(false, false, 0, json!("message")), // one-way message
    ];
    for i in &inputs {
        a.handle_input(i).unwrap();
    }
    let s = *a.stats();
    assert_eq!(s.unknown_request, 3);
    assert_eq!(s.wrong_kind, 2);
    assert_eq!(s.wrong_direction, 1);
    assert_eq!(s.one_way_messages, 1);
    assert!(a.poll_event().is_none());
    assert!(sent(&mut a).is_empty());
    assert!(a.is_open(call) && a.is_open(src) && a.is_open(sink));
    // Our own misuse is a local error.
    assert_eq!(
        a.send(src, Body::json(1)),
        Err(LocalError::NotWritable(src))
    );
    assert_eq!(
        a.send(call, Body::json(1)),
        Err(LocalError::WrongKind(call))
    );
    assert_eq!(
        a.respond(call, Ok(Body::json(1))),
        Err(LocalError::WrongKind(call))
    );
    assert_eq!(
        a.respond(RequestId::Remote(5), Ok(Body::json(1))),
        Err(LocalError::UnknownRequest(RequestId::Remote(5)))
    );
}

#[test]
fn codec_errors_are_fatal_and_sticky() {
    let mut a = Endpoint::new(Config {
        max_body_len: 100,
        ..Config::default()
    });
    let mut h = vec![0x02u8];
    h.extend_from_slice(&101u32.to_be_bytes());
    h.extend_from_slice(&1i32.to_be_bytes());
    let e = a.handle_input(&h).unwrap_err();
    assert_eq!(e, DecodeError::BodyTooLong { len: 101, max: 100 });
    assert_eq!(a.handle_input(&[]).unwrap_err(), e);
    let mut b = Endpoint::default();
    let e = b.handle_input(&packet_type3()).unwrap_err();
    assert_eq!(e, DecodeError::UnknownBodyType { request: 1 });
}

fn packet_type3() -> Vec<u8> {
    let mut v = packet(false, false, BodyType::Json, 1, b"abc");
    v[0] |= 3;
    v
}

#[test]
fn request_floods_are_refused_and_state_stays_bounded() {
    let cfg = Config {
        max_streams: 4,
        max_incoming_calls: 3,
        closed_ids: 8,
        ..Config::default()
    };
    let mut b = Endpoint::new(cfg);
    for n in 1..=50 {
        b.handle_input(&json_packet(
            false,
            false,
            n,
            json!({"name": ["a"], "args": []}),
        ))
        .unwrap();
        b.handle_input(&json_packet(
            true,
            false,
            1000 + n,
            json!({"name": ["s"], "args": [], "type": "source"}),
        ))
        .unwrap();
        // And ends for streams that never existed.
        b.handle_input(&json_packet(true, true, 5000 + n, json!(true)))
            .unwrap();
    }
    assert_eq!(b.incoming_calls(), 3);
    assert_eq!(b.open_streams(), 4);
    assert_eq!(b.stats().refused_requests, 47 + 46);
    let out = sent(&mut b);
    assert_eq!(out.len(), 47 + 46);
    assert!(out.iter().all(|p| p.1));
    // Refused streams are remembered only up to the closed-id limit.
    for n in 1..=50 {
        b.handle_input(&json_packet(true, true, 1000 + n, json!(true)))
            .unwrap();
    }
    let events: Vec<_> = std::iter::from_fn(|| b.poll_event()).collect();
    assert_eq!(requests(&events).len(), 3 + 4);
}

#[test]
fn request_numbers_count_up_and_run_out() {
    let mut a = Endpoint::default();
    for n in 1..=5 {
        assert_eq!(
            a.call(CallType::Async, &["x"], vec![]).unwrap(),
            RequestId::Local(n)
        );
        let _ = sent(&mut a);
        a.handle_input(&json_packet(false, false, -(n as i32), json!(true)))
            .unwrap();
    }
    assert_eq!(a.pending_calls(), 0);
    let mut a = Endpoint::new(Config {
        max_pending_calls: 2,
        ..Config::default()
    });
    a.call(CallType::Async, &["x"], vec![]).unwrap();
    a.call(CallType::Async, &["x"], vec![]).unwrap();
    assert_eq!(
        a.call(CallType::Async, &["x"], vec![]),
        Err(LocalError::TooManyCalls { limit: 2 })
    );
}

// ---- flow control ----------------------------------------------------------------------

#[test]
fn a_slow_reader_stops_input_without_unbounded_buffering() {
    let cfg = Config {
        stream_queue_packets: 16,
        stream_queue_bytes: 4096,
        ..Config::default()
    };
    let mut p = Pair::with(cfg, Config::default(), 1000);
    let src = p.a.call(CallType::Source, &["many"], vec![]).unwrap();
    let seen = p.drive();
    let (rid, _) = requests(&seen.b)[0].clone();
    // A fast writer: 2000 items of 100 bytes.
    let item = "x".repeat(100);
    for i in 0..2000 {
        p.b.send(rid, Body::Text(format!("{i:04}{item}"))).unwrap();
        if p.b.transmit_len() > 64 * 1024 {
            let _ = p.drive();
        }
    }
    p.b.end(rid).unwrap();
    // a does not read: its input stops at the stream's limit.
    let _ = p.drive();
    assert_eq!(p.a.input_blocked(), Some(Blocked::Stream(src)));
    assert!(p.a.queued_items(src) <= 16);
    assert!(p.a.buffered_bytes() <= 4096 + 200);
    assert!(!p.to_a.is_empty(), "the rest waits outside the endpoint");
    // Reading releases it; everything arrives in order.
    let mut got = Vec::new();
    loop {
        let batch = read_all(&mut p.a, src);
        if batch.is_empty() {
            break;
        }
        assert!(p.a.buffered_bytes() <= 4096 + 200);
        got.extend(batch);
        let _ = p.drive();
    }
    assert_eq!(got.len(), 2001);
    for (i, item) in got.iter().take(2000).enumerate() {
        let StreamItem::Data(Body::Text(t)) = item else {
            panic!()
        };
        assert!(t.starts_with(&format!("{i:04}")));
    }
    assert_eq!(got.last(), Some(&StreamItem::End(Ok(()))));
}

#[test]
fn one_full_stream_does_not_hide_which_one_blocks() {
    // Two sources: reading only the second still makes progress up to the first's limit,
    // and input_blocked names the stream to drain.
    let cfg = Config {
        stream_queue_packets: 4,
        ..Config::default()
    };
    let mut p = Pair::with(cfg, Config::default(), usize::MAX);
    let s1 = p.a.call(CallType::Source, &["one"], vec![]).unwrap();
    let s2 = p.a.call(CallType::Source, &["two"], vec![]).unwrap();
    let seen = p.drive();
    let r = requests(&seen.b);
    for i in 0..10 {
        p.b.send(r[0].0, Body::json(i)).unwrap();
        p.b.send(r[1].0, Body::json(i)).unwrap();
    }
    let _ = p.drive();
    assert_eq!(p.a.input_blocked(), Some(Blocked::Stream(s1)));
    assert_eq!(p.a.queued_items(s1), 4);
    // abandon drops the stream and its queue; input resumes for the other stream.
    p.a.abandon(s1).unwrap();
    let mut got = Vec::new();
    loop {
        let _ = p.drive();
        let batch = read_all(&mut p.a, s2);
        if batch.is_empty() {
            break;
        }
        got.extend(batch);
    }
    assert_eq!(p.a.input_blocked(), None);
    assert_eq!(data(&got).len(), 10);
    // s1's six packets still in flight are dropped, and so is b's end answering our abandon.
    assert_eq!(p.a.stats().unknown_request, 7);
}

#[test]
fn undrained_events_and_transmit_stop_input() {
    let mut b = Endpoint::new(Config {
        max_events: 5,
        max_transmit_bytes: 200,
        ..Config::default()
    });
    let mut wire = Vec::new();
    for n in 1..=20 {
        wire.extend(json_packet(
            false,
            false,
            n,
            json!({"name": ["a"], "args": []}),
        ));
    }
    let n = b.handle_input(&wire).unwrap();
    assert!(n < wire.len());
    assert_eq!(b.input_blocked(), Some(Blocked::Events));
    let mut answered = 0;
    let mut offset = n;
    while offset < wire.len() || b.input_blocked().is_some() {
        while let Some(Event::Request { id, .. }) = b.poll_event() {
            match b.respond(id, Ok(Body::Text("y".repeat(40)))) {
                Ok(()) => answered += 1,
                Err(LocalError::TransmitFull { .. }) => {
                    assert_eq!(b.input_blocked(), Some(Blocked::Transmit));
                    let _ = sent(&mut b);
                    b.respond(id, Ok(Body::Text("y".repeat(40)))).unwrap();
                    answered += 1;
                }
                Err(e) => panic!("{e}"),
            }
        }
        let _ = sent(&mut b);
        offset += b.handle_input(&wire[offset..]).unwrap();
    }
    assert_eq!(answered, 20);
}

// ---- goodbye --------------------------------------------------------------------------

#[test]
fn goodbye_is_a_two_way_handshake_and_fails_what_is_open() {
    let mut p = Pair::new();
    let call = p.a.call(CallType::Async, &["slow"], vec![]).unwrap();
    let src = p.a.call(CallType::Source, &["live"], vec![]).unwrap();
    let _ = p.drive();
    p.b.goodbye();
    assert_eq!(
        p.b.call(CallType::Async, &["x"], vec![]),
        Err(LocalError::Closed)
    );
    assert!(!p.b.is_closed());
    let seen = p.drive();
    assert!(p.a.is_closed() && p.b.is_closed());
    assert_eq!(
        responses(&seen.a),
        vec![(call, Err(CallError::ConnectionClosed))]
    );
    assert!(seen.a.contains(&Event::Goodbye) && seen.b.contains(&Event::Goodbye));
    assert_eq!(
        read_all(&mut p.a, src),
        vec![StreamItem::End(Err(CallError::ConnectionClosed))]
    );
    assert_eq!(p.a.open_streams(), 0);
    // Exactly one goodbye each way: nine zero bytes.
    let mut a = Endpoint::default();
    a.goodbye();
    a.goodbye();
    assert_eq!(sent(&mut a), vec![(false, false, 0, 0, vec![])]);
    a.handle_input(&GOODBYE).unwrap();
    assert!(sent(&mut a).is_empty());
    assert!(a.is_closed());
    // Bytes after the goodbye are not read.
    assert_eq!(a.handle_input(b"junk").unwrap(), 4);
    assert_eq!(a.handle_eof(), Ok(()));
}

#[test]
fn any_zero_length_header_is_a_goodbye() {
    let mut a = Endpoint::default();
    let id = a.call(CallType::Async, &["x"], vec![]).unwrap();
    let _ = sent(&mut a);
    // An empty string answer from a JS peer: flags 1, length 0.
    let mut h = vec![0x01u8, 0, 0, 0, 0];
    h.extend_from_slice(&(-1i32).to_be_bytes());
    a.handle_input(&h).unwrap();
    assert!(a.goodbye_received());
    assert_eq!(
        a.poll_event(),
        Some(Event::Response {
            id,
            result: Err(CallError::ConnectionClosed)
        })
    );
    assert_eq!(a.poll_event(), Some(Event::Goodbye));
}

#[test]
fn end_of_input_without_goodbye() {
    let mut a = Endpoint::default();
    let id = a.call(CallType::Async, &["x"], vec![]).unwrap();
    a.handle_input(&json_packet(false, false, 5, json!({"name": ["y"], "args": []}))[..4])
        .unwrap();
    assert_eq!(a.handle_eof(), Err(DecodeError::Truncated { needed: 5 }));
    let _ = a.poll_event();
    let mut a = Endpoint::default();
    let id2 = a.call(CallType::Async, &["x"], vec![]).unwrap();
    assert_eq!(a.handle_eof(), Err(DecodeError::NoGoodbye));
    assert_eq!(
        a.poll_event(),
        Some(Event::Response {
            id: id2,
            result: Err(CallError::ConnectionClosed)
        })
    );
    assert_eq!(
        a.call(CallType::Async, &["x"], vec![]),
        Err(LocalError::Closed)
    );
    let _ = id;
}
