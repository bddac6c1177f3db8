//! An endpoint driven by an arbitrary sequence of peer packets (well-formed requests, ends,
//! data, garbage, raw bytes) and application actions, with small limits: never a panic, and
//! every table and queue stays within its limit.

use serde_json::{Value, json};
use ssb_muxrpc::{
    Body, BodyType, CallType, Config, Endpoint, Event, Flags, RemoteError, RequestId,
    encode_packet_to_vec,
};

const KINDS: [CallType; 4] = [
    CallType::Async,
    CallType::Source,
    CallType::Sink,
    CallType::Duplex,
];

fn body_for(sel: u8, arg: u8) -> (BodyType, Vec<u8>) {
    let kind = KINDS[usize::from(arg % 4)].as_str();
    let json = |v: Value| (BodyType::Json, v.to_string().into_bytes());
    match sel % 12 {
        0 => json(json!({"name": ["m", "x"], "args": [arg]})),
        1 => json(json!({"name": "m", "args": [], "type": kind})),
        2 => json(json!(true)),
        3 => json(json!({"message": "e", "name": "Error", "stack": null})),
        4 => json(json!(arg)),
        5 => (BodyType::Utf8, vec![b'a'; usize::from(arg) + 1]),
        6 => (BodyType::Binary, vec![arg; usize::from(arg % 40) + 1]),
        7 => (BodyType::Json, b"{not json".to_vec()),
        8 => json(json!({"name": ["m"], "args": "x", "type": kind})),
        9 => json(json!([1, 2, 3])),
        10 => (BodyType::Utf8, vec![0xff, 0xfe]),
        _ => json(json!({"name": ["m"], "type": "weird"})),
    }
}

/// The `muxrpc_endpoint` target (see the module docs).
pub fn muxrpc_endpoint(data: &[u8]) {
    let cfg = Config {
        max_body_len: 1000,
        max_streams: 4,
        max_pending_calls: 4,
        max_incoming_calls: 4,
        stream_queue_packets: 3,
        stream_queue_bytes: 200,
        max_buffered_bytes: 600,
        max_events: 8,
        max_transmit_bytes: 400,
        closed_ids: 5,
        raw_json: data.first().is_some_and(|b| b & 1 == 1),
    };
    let mut ep = Endpoint::new(cfg.clone());
    let mut inbox: Vec<u8> = Vec::new();
    let mut ours: Vec<RequestId> = Vec::new();
    let mut theirs: Vec<RequestId> = Vec::new();
    let mut out = [0u8; 64];
    let mut it = data.chunks_exact(4);
    for op in &mut it {
        let [a, b, c, d] = [op[0], op[1], op[2], op[3]];
        match a % 16 {
            // A packet from the peer.
            0..=5 => {
                let (body_type, body) = body_for(b, c);
                let req = match d % 4 {
                    0 => i32::from(d / 4) + 1,
                    1 => -(i32::from(d / 4) + 1),
                    2 => [0, i32::MIN, i32::MAX, -1][usize::from(d / 4 % 4)],
                    _ => i32::from(d / 4 % 8) + 1,
                };
                let flags = Flags {
                    stream: a & 0x10 != 0,
                    end: a & 0x20 != 0,
                    body_type,
                };
                let _ = encode_packet_to_vec(flags, req, &body, &mut inbox);
            }
            // Raw bytes from the peer (garbage, partial headers, goodbyes).
            6 => inbox.extend_from_slice(&[b, c, d]),
            7 => inbox.extend_from_slice(&[0; 9]),
            // The application.
            8 => {
                if let Ok(id) = ep.call(KINDS[usize::from(b % 4)], &["m"], vec![json!(c)]) {
                    ours.push(id);
                }
            }
            9 | 10 => {
                let pool = if a % 16 == 9 { &ours } else { &theirs };
                if let Some(&id) = pool.get(usize::from(b) % pool.len().max(1)) {
                    let _ = match c % 6 {
                        0 => ep.send(id, Body::json(d)),
                        1 => ep.end(id),
                        2 => ep.abandon(id),
                        3 => ep.respond(id, Ok(Body::Text("ok".into()))),
                        4 => ep.reject(id, RemoteError::new("no")),
                        _ => ep.end_with_error(id, RemoteError::new("bad")),
                    };
                    let _ = ep.read(id);
                }
            }
            11 => ep.goodbye(),
            12 => {
                let _ = ep.handle_eof();
            }
            _ => {}
        }
        // Offer the peer's bytes in pieces of `d` bytes.
        let step = usize::from(d % 32).max(1);
        let mut fed = 0;
        while fed < inbox.len() {
            let end = inbox.len().min(fed + step);
            match ep.handle_input(&inbox[fed..end]) {
                Ok(n) => {
                    fed += n;
                    if n < end - (fed - n) {
                        break;
                    }
                }
                Err(_) => {
                    fed = inbox.len();
                    break;
                }
            }
        }
        inbox.drain(..fed);
        if fed == 0 && inbox.is_empty() {
            let _ = ep.handle_input(&[]);
        }
        // Drain some of what the endpoint holds (not always: backpressure must hold).
        if b & 1 == 0 {
            while let Some(ev) = ep.poll_event() {
                match ev {
                    Event::Request { id, .. } => theirs.push(id),
                    Event::Readable(id) => {
                        if c & 1 == 0 {
                            while ep.read(id).is_some() {}
                        }
                    }
                    Event::Response { .. } | Event::Goodbye => {}
                }
            }
        }
        if b & 2 == 0 {
            while ep.poll_transmit(&mut out) > 0 {}
        }
        theirs.truncate(64);
        ours.truncate(64);
        // Bounded state.
        assert!(ep.open_streams() <= 2 * cfg.max_streams);
        assert!(ep.pending_calls() <= cfg.max_pending_calls);
        assert!(ep.incoming_calls() <= cfg.max_incoming_calls);
        assert!(
            ep.queued_events() <= cfg.max_events + cfg.max_pending_calls + 2 * cfg.max_streams + 2
        );
        assert!(ep.buffered_bytes() <= cfg.max_buffered_bytes + 2 * cfg.max_body_len as usize);
        assert!(
            ep.transmit_len()
                <= cfg.max_transmit_bytes
                    + 3 * (ssb_muxrpc::MAX_QUOTED_REQUEST + 200)
                    + 16 * 2 * cfg.max_streams
        );
    }
}
