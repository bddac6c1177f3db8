//! A connection after its handshake, fed a script of authenticated frames (arbitrary packet
//! bytes sealed under the real key, so the muxrpc layer inside the box stream is reached),
//! raw bytes, application actions, close and EOF. Never a panic; errors are sticky and
//! nothing is sent after one; memory stays within the endpoint's limits.

use std::sync::OnceLock;

use ssb_boxstream::Encryptor;
use ssb_connection::{Config, Connection, Event};
use ssb_crypto::{CurveSecretKey, Keypair, NetworkKey};
use ssb_handshake::{Handshake, HandshakeOutcome};
use ssb_muxrpc::{Body, CallType, Event as Rpc, RemoteError};

/// The two outcomes of one real handshake (client, server), computed once.
fn outcomes() -> &'static (HandshakeOutcome, HandshakeOutcome) {
    static PAIR: OnceLock<(HandshakeOutcome, HandshakeOutcome)> = OnceLock::new();
    PAIR.get_or_init(|| {
        let (a, b) = (Keypair::from_seed(&[1; 32]), Keypair::from_seed(&[2; 32]));
        let mut c = Handshake::client(
            NetworkKey::MAIN_NET,
            &a,
            b.public(),
            CurveSecretKey::from_bytes([3; 32]),
        );
        let mut s = Handshake::server(
            NetworkKey::MAIN_NET,
            &b,
            CurveSecretKey::from_bytes([4; 32]),
        );
        let mut buf = [0u8; 112];
        for _ in 0..2 {
            while let Ok(Some(n)) = c.poll_transmit(&mut buf) {
                let _ = s.handle_input(&buf[..n]);
            }
            if s.pending_authorization().is_some() {
                let _ = s.accept();
            }
            while let Ok(Some(n)) = s.poll_transmit(&mut buf) {
                let _ = c.handle_input(&buf[..n]);
            }
        }
        match (c.into_outcome(), s.into_outcome()) {
            (Ok(c), Ok(s)) => (c, s),
            _ => unreachable!("the fixed handshake completes"),
        }
    })
}

fn small_config() -> Config {
    let mut config = Config::default();
    config.rpc.max_streams = 8;
    config.rpc.max_pending_calls = 8;
    config.rpc.max_incoming_calls = 8;
    config.rpc.stream_queue_packets = 4;
    config.rpc.stream_queue_bytes = 4096;
    config.rpc.max_buffered_bytes = 16 * 1024;
    config.rpc.max_events = 16;
    config.rpc.max_transmit_bytes = 16 * 1024;
    config.rpc.closed_ids = 8;
    config
}

/// The `connection_open` target (see the module docs).
pub fn connection_open(data: &[u8]) {
    let (client, server) = outcomes();
    let config = small_config();
    let limit = config.rpc.max_buffered_bytes;
    // We are the server; the script plays the client, whose encryptor seals its frames.
    let mut conn = Connection::from_outcome(server, config);
    let mut peer = Encryptor::new(client.send.key, client.send.nonce);
    let mut out = vec![0u8; 8192];
    let mut failed = None;
    let mut rest = data;
    let mut steps = 0;
    while let [op, hi, lo, tail @ ..] = rest {
        steps += 1;
        if steps > 256 {
            break;
        }
        let len = usize::from(u16::from_be_bytes([*hi, *lo])) % 4097;
        let (chunk, after) = tail.split_at(len.min(tail.len()));
        rest = after;
        let input = match op % 6 {
            // An authenticated frame holding arbitrary packet bytes.
            0 | 1 if !chunk.is_empty() => {
                let mut sealed = vec![0u8; ssb_boxstream::sealed_len(chunk.len())];
                match peer.seal(chunk, &mut sealed) {
                    Ok(n) => sealed[..n].to_vec(),
                    Err(_) => Vec::new(),
                }
            }
            2 => chunk.to_vec(),
            3 => {
                conn.close();
                Vec::new()
            }
            4 => {
                let r = conn.handle_eof();
                if let Err(e) = r {
                    failed.get_or_insert(e);
                }
                Vec::new()
            }
            _ => Vec::new(),
        };
        let mut offered = &input[..];
        let mut rounds = 0;
        loop {
            rounds += 1;
            if rounds > 64 {
                break;
            }
            match conn.handle_input(offered) {
                Ok(n) => offered = &offered[n.min(offered.len())..],
                Err(e) => {
                    if let Some(first) = &failed {
                        assert_eq!(&e, first, "errors are sticky");
                    }
                    failed.get_or_insert(e);
                    break;
                }
            }
            // The application: answer everything, read every stream.
            while let Some(event) = conn.poll_event() {
                let Some(rpc) = conn.endpoint() else {
                    continue;
                };
                match event {
                    Event::Rpc(Rpc::Request { id, request }) => {
                        let _ = match request.kind {
                            CallType::Async => rpc.respond(id, Ok(Body::json(request.args.len()))),
                            CallType::Source => rpc.end(id),
                            kind => {
                                rpc.reject(id, RemoteError::no_such_method(kind, &request.name))
                            }
                        };
                    }
                    Event::Rpc(Rpc::Readable(id)) => while rpc.read(id).is_some() {},
                    _ => {}
                }
                if let Some(rpc) = conn.endpoint() {
                    assert!(rpc.buffered_bytes() <= limit + 4096 + 1024);
                }
            }
            loop {
                match conn.poll_transmit(&mut out) {
                    Ok(0) => break,
                    Ok(_) => assert!(failed.is_none(), "sent after a failure"),
                    Err(_) => break,
                }
            }
            if offered.is_empty() {
                break;
            }
        }
    }
}
