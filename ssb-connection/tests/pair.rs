//! Two connections in memory: whole sessions, every split point, the bytes that come with the
//! last handshake message, refusals, forged frames, EOF rules and flow control.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use serde_json::json;
use ssb_connection::{
    BufferTooSmall, Connection, ConnectionError, Event, MIN_TRANSMIT_BUFFER, channel,
};
use ssb_crypto::{CurveSecretKey, Keypair, NetworkKey};
use ssb_muxrpc::{Body, CallType, Event as Rpc, RequestId, StreamItem};

fn keys() -> (Keypair, Keypair) {
    (Keypair::from_seed(&[1; 32]), Keypair::from_seed(&[2; 32]))
}

fn pair_on(
    client_net: NetworkKey,
    dialled: Option<ssb_crypto::PublicKey>,
) -> (Connection, Connection) {
    let (alice, bob) = keys();
    let client = Connection::client(
        client_net,
        &alice,
        dialled.unwrap_or(bob.public()),
        CurveSecretKey::from_bytes([3; 32]),
        Default::default(),
    );
    let server = Connection::server(
        NetworkKey::MAIN_NET,
        &bob,
        CurveSecretKey::from_bytes([4; 32]),
        Default::default(),
    );
    (client, server)
}

fn pair() -> (Connection, Connection) {
    pair_on(NetworkKey::MAIN_NET, None)
}

/// Everything `c` wants to send, concatenated.
fn drain(c: &mut Connection) -> Result<Vec<u8>, ConnectionError> {
    let mut out = Vec::new();
    let mut buf = [0u8; 5000];
    loop {
        let n = c.poll_transmit(&mut buf)?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Gives `bytes` to `c` in pieces of `step`, each fully consumed.
fn feed(c: &mut Connection, bytes: &[u8], step: usize) -> Result<(), ConnectionError> {
    for piece in bytes.chunks(step.max(1)) {
        let n = c.handle_input(piece)?;
        assert_eq!(n, piece.len(), "input not consumed");
    }
    Ok(())
}

/// A tiny server application: accepts every client, answers `whoami`, streams `count`.
fn serve(server: &mut Connection, me: &Keypair) {
    while let Some(event) = server.poll_event() {
        match event {
            Event::Authenticate(_) => server.accept().unwrap(),
            Event::Rpc(Rpc::Request { id, request }) => {
                let rpc = server.endpoint().unwrap();
                match (request.kind, request.name.join(".").as_str()) {
                    (CallType::Async, "whoami") => rpc
                        .respond(
                            id,
                            Ok(Body::json(json!({ "id": me.feed_id().to_string() }))),
                        )
                        .unwrap(),
                    (CallType::Source, "count") => {
                        let n = request.args[0].as_u64().unwrap();
                        for i in 0..n {
                            rpc.send(id, Body::json(i)).unwrap();
                        }
                        rpc.end(id).unwrap();
                    }
                    (kind, _) => rpc
                        .reject(
                            id,
                            ssb_muxrpc::RemoteError::no_such_method(kind, &request.name),
                        )
                        .unwrap(),
                }
            }
            _ => {}
        }
    }
}

#[derive(Default)]
struct ClientSide {
    whoami: Option<RequestId>,
    count: Option<RequestId>,
    answer: Option<Body>,
    items: Vec<StreamItem>,
    closed: bool,
}

impl ClientSide {
    fn react(&mut self, client: &mut Connection, n: u64) {
        while let Some(event) = client.poll_event() {
            match event {
                Event::Connected { .. } => {
                    let rpc = client.endpoint().unwrap();
                    self.whoami = Some(rpc.call(CallType::Async, &["whoami"], vec![]).unwrap());
                    self.count = Some(
                        rpc.call(CallType::Source, &["count"], vec![json!(n)])
                            .unwrap(),
                    );
                }
                Event::Rpc(Rpc::Response { id, result }) if Some(id) == self.whoami => {
                    self.answer = Some(result.unwrap());
                }
                Event::Rpc(Rpc::Readable(id)) if Some(id) == self.count => {
                    while let Some(item) = client.endpoint().unwrap().read(id) {
                        self.items.push(item);
                    }
                }
                Event::Closed => self.closed = true,
                _ => {}
            }
        }
        let done = self.answer.is_some() && matches!(self.items.last(), Some(StreamItem::End(_)));
        if done {
            client.close();
        }
    }
}

/// `rounds` rounds of the session: client to server, the server application, server to
/// client, then `client_app` on the client.
fn rounds(
    client: &mut Connection,
    server: &mut Connection,
    n: usize,
    mut client_app: impl FnMut(&mut Connection),
) {
    let (_, bob) = keys();
    for _ in 0..n {
        let c = drain(client).unwrap();
        feed(server, &c, usize::MAX).unwrap();
        serve(server, &bob);
        let s = drain(server).unwrap();
        feed(client, &s, usize::MAX).unwrap();
        client_app(client);
    }
}

/// Runs a whole session, handing bytes over in pieces of `step`.
fn session(step: usize, n: u64) -> (ClientSide, Connection, Connection) {
    let (_, bob) = keys();
    let (mut client, mut server) = pair();
    let mut side = ClientSide::default();
    for _ in 0..50 {
        let c = drain(&mut client).unwrap();
        feed(&mut server, &c, step).unwrap();
        serve(&mut server, &bob);
        let s = drain(&mut server).unwrap();
        feed(&mut client, &s, step).unwrap();
        side.react(&mut client, n);
        while server.poll_event().is_some() {}
        if client.is_closed() && server.is_closed() {
            break;
        }
    }
    (side, client, server)
}

#[test]
fn whole_session_then_clean_close() {
    let (_, bob) = keys();
    let (side, client, server) = session(usize::MAX, 5);
    assert_eq!(
        side.answer,
        Some(Body::json(json!({ "id": bob.feed_id().to_string() })))
    );
    let mut want: Vec<StreamItem> = (0..5u64).map(|i| StreamItem::Data(Body::json(i))).collect();
    want.push(StreamItem::End(Ok(())));
    assert_eq!(side.items, want);
    assert!(side.closed, "the client saw Event::Closed");
    assert!(client.is_closed() && server.is_closed());
    assert_eq!(client.error(), None);
}

#[test]
fn every_piece_size_gives_the_same_session() {
    for step in [1, 2, 3, 7, 33, 34, 35, 64, 113, 1000] {
        let (side, client, server) = session(step, 3);
        assert_eq!(side.items.len(), 4, "step {step}");
        assert!(client.is_closed() && server.is_closed(), "step {step}");
    }
}

#[test]
fn bytes_after_msg4_are_handed_to_the_box_stream() {
    let (_, bob) = keys();
    let (mut client, mut server) = pair();
    // msg1, msg2, msg3.
    let m1 = drain(&mut client).unwrap();
    feed(&mut server, &m1, usize::MAX).unwrap();
    let m2 = drain(&mut server).unwrap();
    feed(&mut client, &m2, usize::MAX).unwrap();
    let m3 = drain(&mut client).unwrap();
    feed(&mut server, &m3, usize::MAX).unwrap();
    assert!(
        matches!(server.poll_event(), Some(Event::Authenticate(pk)) if pk == keys().0.public())
    );
    server.accept().unwrap();
    // The server's msg4, then at once a call of its own: one buffer, one read.
    let mut buf = [0u8; 5000];
    let n4 = server.poll_transmit(&mut buf).unwrap();
    assert_eq!(n4, 80, "msg4");
    assert!(matches!(server.poll_event(), Some(Event::Connected { .. })));
    let asked = server
        .endpoint()
        .expect("open after msg4")
        .call(CallType::Async, &["whoami"], vec![])
        .unwrap();
    let mut wire = buf[..n4].to_vec();
    wire.extend(drain(&mut server).unwrap());
    assert!(wire.len() > 80, "a frame follows msg4");
    assert_eq!(client.handle_input(&wire).unwrap(), wire.len());
    assert!(matches!(client.poll_event(), Some(Event::Connected { peer }) if peer == bob.public()));
    match client.poll_event() {
        Some(Event::Rpc(Rpc::Request { request, .. })) => assert_eq!(request.name, ["whoami"]),
        other => panic!("expected the server's request, got {other:?}"),
    }
    let _ = asked;
}

#[test]
fn a_short_output_buffer_is_a_local_error_that_leaves_the_connection_usable() {
    let (mut client, mut server) = pair();
    // During the handshake: msg1 (64 bytes) is never split, and stays queued.
    let short = ConnectionError::BufferTooSmall(BufferTooSmall { required: 64 });
    assert_eq!(client.poll_transmit(&mut [0u8; 63]), Err(short.clone()));
    assert_eq!(short.code(), "buffer_too_small");
    assert_eq!(client.error(), None);
    let m1 = drain(&mut client).unwrap();
    assert_eq!(m1.len(), 64);
    feed(&mut server, &m1, usize::MAX).unwrap();
    // Open: a frame needs room for a header and a byte.
    rounds(&mut client, &mut server, 2, |c| {
        while c.poll_event().is_some() {}
    });
    let rpc = client.endpoint().expect("open");
    let _ = rpc.call(CallType::Async, &["whoami"], vec![]).unwrap();
    assert_eq!(
        client.poll_transmit(&mut [0u8; MIN_TRANSMIT_BUFFER - 1]),
        Err(ConnectionError::BufferTooSmall(BufferTooSmall {
            required: MIN_TRANSMIT_BUFFER
        }))
    );
    assert_eq!(client.error(), None);
    assert!(
        !drain(&mut client).unwrap().is_empty(),
        "the call still goes out"
    );
}

#[test]
fn wrong_network_key_fails_the_server_and_sends_nothing() {
    let (mut client, mut server) = pair_on(NetworkKey([9; 32]), None);
    let m1 = drain(&mut client).unwrap();
    let e = server.handle_input(&m1).unwrap_err();
    assert!(matches!(e, ConnectionError::Handshake(_)), "{e}");
    assert_eq!(server.poll_transmit(&mut [0u8; 200]), Err(e.clone()));
    assert_eq!(server.handle_input(b"more"), Err(e));
}

#[test]
fn wrong_server_key_fails_at_msg3() {
    let other = Keypair::from_seed(&[7; 32]).public();
    let (mut client, mut server) = pair_on(NetworkKey::MAIN_NET, Some(other));
    let m1 = drain(&mut client).unwrap();
    feed(&mut server, &m1, usize::MAX).unwrap();
    let m2 = drain(&mut server).unwrap();
    feed(&mut client, &m2, usize::MAX).unwrap();
    let m3 = drain(&mut client).unwrap();
    assert!(matches!(
        server.handle_input(&m3),
        Err(ConnectionError::Handshake(_))
    ));
    assert!(
        server.poll_event().is_none(),
        "no Authenticate for a client nobody could verify"
    );
}

#[test]
fn rejected_client_sees_eof_as_truncation() {
    let (mut client, mut server) = pair();
    let m1 = drain(&mut client).unwrap();
    feed(&mut server, &m1, usize::MAX).unwrap();
    let m2 = drain(&mut server).unwrap();
    feed(&mut client, &m2, usize::MAX).unwrap();
    let m3 = drain(&mut client).unwrap();
    feed(&mut server, &m3, usize::MAX).unwrap();
    assert!(matches!(server.poll_event(), Some(Event::Authenticate(_))));
    server.reject().unwrap();
    assert_eq!(
        server.poll_transmit(&mut [0u8; 200]),
        Err(ConnectionError::Rejected)
    );
    assert_eq!(client.handle_eof(), Err(ConnectionError::Truncated));
    assert!(!client.is_open());
}

#[test]
fn forged_frame_is_fatal_and_sticky() {
    let (mut client, mut server) = pair();
    let mut side = ClientSide::default();
    // Handshake and the first calls.
    rounds(&mut client, &mut server, 3, |client| side.react(client, 2));
    let mut c = client
        .endpoint()
        .unwrap()
        .call(CallType::Async, &["whoami"], vec![])
        .map(|_| ())
        .ok();
    let _ = c.take();
    let mut wire = drain(&mut client).unwrap();
    assert!(!wire.is_empty());
    let last = wire.len() - 1;
    wire[last] ^= 1;
    let e = server.handle_input(&wire).unwrap_err();
    assert_eq!(
        e,
        ConnectionError::BoxStream(ssb_boxstream::OpenError::BodyUnauthentic)
    );
    assert_eq!(server.handle_input(&[]), Err(e.clone()));
    assert_eq!(server.poll_transmit(&mut [0u8; 100]), Err(e));
}

#[test]
fn eof_after_the_muxrpc_goodbye_is_clean_without_a_box_goodbye() {
    // The JS client's close(): its muxrpc goodbye, then it stops; no box-stream goodbye.
    let (mut client, mut server) = pair();
    rounds(&mut client, &mut server, 3, |client| {
        while client.poll_event().is_some() {}
    });
    client.close();
    let mut goodbye = drain(&mut client).unwrap();
    // Keep only the frame holding the muxrpc goodbye (34 + 9 bytes), not the box goodbye
    // (none yet anyway: the server has not answered).
    goodbye.truncate(34 + 9);
    feed(&mut server, &goodbye, usize::MAX).unwrap();
    while server.poll_event().is_some() {}
    let _ = drain(&mut server).unwrap(); // its goodbyes, which nobody reads
    assert_eq!(server.handle_eof(), Ok(()));
    while server.poll_event().is_some() {}
    assert!(server.is_closed());
}

#[test]
fn eof_in_the_middle_is_truncation_and_fails_open_calls() {
    let (mut client, mut server) = pair();
    let mut side = ClientSide::default();
    rounds(&mut client, &mut server, 2, |client| side.react(client, 3));
    let asked = client
        .endpoint()
        .unwrap()
        .call(CallType::Async, &["whoami"], vec![])
        .unwrap();
    assert_eq!(client.handle_eof(), Err(ConnectionError::Truncated));
    let _ = asked;
    assert!(client.error().is_some());
}

#[test]
fn a_slow_reader_stops_the_input_instead_of_buffering_it() {
    let (_, bob) = keys();
    let (mut client, mut server) = pair();
    let mut side = ClientSide::default();
    let n = 20_000u64;
    // Handshake; the client calls `count(20000)`.
    for _ in 0..3 {
        let c = drain(&mut client).unwrap();
        feed(&mut server, &c, usize::MAX).unwrap();
        serve(&mut server, &bob);
        let s = drain(&mut server).unwrap();
        if client.is_open() {
            // Do not read the stream: offer everything and see how much is taken.
            let taken = client.handle_input(&s).unwrap();
            assert!(taken < s.len(), "a stream nobody reads was buffered whole");
            assert!(client.endpoint().unwrap().buffered_bytes() <= 16 * 1024 * 1024);
            // Now read, and the rest goes in.
            let mut rest = &s[taken..];
            let mut rounds = 0;
            while !rest.is_empty() {
                side.react(&mut client, n);
                let k = client.handle_input(rest).unwrap();
                rest = &rest[k..];
                rounds += 1;
                assert!(rounds < 100_000);
            }
            side.react(&mut client, n);
            assert_eq!(side.items.len() as u64, n + 1);
            return;
        }
        feed(&mut client, &s, usize::MAX).unwrap();
        side.react(&mut client, n);
    }
    panic!("never opened");
}

#[test]
fn channel_pairs_the_directions() {
    use ssb_boxstream::{Frame, Progress};
    use ssb_handshake::Handshake;
    let (alice, bob) = keys();
    let mut c = Handshake::client(
        NetworkKey::MAIN_NET,
        &alice,
        bob.public(),
        CurveSecretKey::from_bytes([3; 32]),
    );
    let mut s = Handshake::server(
        NetworkKey::MAIN_NET,
        &bob,
        CurveSecretKey::from_bytes([4; 32]),
    );
    let mut buf = [0u8; 112];
    for _ in 0..2 {
        while let Some(n) = c.poll_transmit(&mut buf).unwrap() {
            s.handle_input(&buf[..n]).unwrap();
        }
        if s.poll_event().is_some() {
            s.accept().unwrap();
        }
        while let Some(n) = s.poll_transmit(&mut buf).unwrap() {
            c.handle_input(&buf[..n]).unwrap();
        }
    }
    let (co, so) = (c.into_outcome().unwrap(), s.into_outcome().unwrap());
    let (mut c_enc, mut c_dec) = channel(&co);
    let (mut s_enc, mut s_dec) = channel(&so);
    let mut wire = [0u8; 64];
    let n = c_enc.seal(b"ping", &mut wire).unwrap();
    assert_eq!(
        s_dec.open(&wire[..n]).unwrap().progress,
        Progress::Frame(Frame::Data(&b"ping"[..]))
    );
    let n = s_enc.seal(b"pong", &mut wire).unwrap();
    assert_eq!(
        c_dec.open(&wire[..n]).unwrap().progress,
        Progress::Frame(Frame::Data(&b"pong"[..]))
    );
}

#[test]
fn garbage_before_and_after_the_handshake_never_panics() {
    for len in [0usize, 1, 63, 64, 65, 200, 5000] {
        let junk: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        let (_, mut server) = pair();
        let _ = server.handle_input(&junk);
        let _ = server.poll_transmit(&mut [0u8; 200]);
        let _ = server.handle_eof();
    }
}
