//! The `session` layer: a whole connection replayed through the Rust stack.
//!
//! The JS generator recorded two JS peers talking (secret-handshake, pull-box-stream,
//! packet-stream-codec and two muxrpc 8 instances): the client calls `whoami`, then
//! `createHistoryStream`, then closes. Here the same conversation runs on our crates: two
//! [`Handshake`] machines with the vector's keys and ephemerals, two [`Encryptor`] /
//! [`Decryptor`] pairs with the keys they derive, and two muxrpc [`Endpoint`]s, the server
//! one answering from the vector's messages as the JS stand-in for ssb-db does. Every byte
//! each side writes is recorded; then each direction is taken apart again with our
//! [`Decryptor`] and packet decoder, and the bytes and every decoded layer must equal JS's.
//!
//! What is the driver's, not the stack's, and mirrors the recorded JS peers: the
//! application's calls and answers; each packet header and each packet body is sealed as a
//! box-stream write of its own (pull-box-stream boxes each chunk muxrpc writes, so a body
//! over 4096 bytes becomes several frames); the client ends its side without a box-stream
//! goodbye (JS's `close()` stops reading at once), the server sends one after its packet
//! goodbye.

use serde_json::{Map, Value, json};
use ssb_boxstream::{
    Decryptor, Encryptor, Frame, HEADER_LEN as BOX_HEADER_LEN, Progress as BoxProgress, sealed_len,
};
use ssb_crypto::{CurveSecretKey, Keypair, NetworkKey};
use ssb_feed::{SignCap, verify_message};
use ssb_handshake::{Handshake, HandshakeOutcome, MAX_MESSAGE_LEN};
use ssb_muxrpc::{
    Body, BodyType, CallType, Endpoint, Event, HEADER_LEN, Item, Progress, RemoteError, RequestId,
    StreamItem, decode_packet,
};

use super::handshake::outcome_json;
use super::{hex, hex_array, ok};
use crate::Outcome;

/// Rounds of the in-memory network before the replay gives up (each moves whatever is queued
/// both ways; the recorded sessions need fewer than ten).
const MAX_ROUNDS: usize = 64;

pub(crate) fn run(op: &str, input: &Value) -> Result<Outcome, String> {
    match op {
        "session" => session(input),
        _ => Err(format!("unsupported session op `{op}`")),
    }
}

/// One side's writes and its box-stream sealer.
struct Side {
    endpoint: Endpoint,
    encryptor: Encryptor,
    /// Everything this side wrote: its two handshake messages, then box-stream frames.
    wire: Vec<u8>,
    handshake: Vec<String>,
    /// The peer's box stream, opened as it arrives and fed to `endpoint`.
    decryptor: Decryptor,
}

impl Side {
    /// Seals what the endpoint wants to send, one box-stream write per packet header and per
    /// packet body (as JS writes them), and returns the frames' bytes.
    fn transmit(&mut self) -> Result<Vec<u8>, String> {
        let mut plain = vec![0u8; 64 * 1024];
        let mut sealed = Vec::new();
        loop {
            let n = self.endpoint.poll_transmit(&mut plain);
            if n == 0 {
                return Ok(sealed);
            }
            let mut rest = plain.get(..n).ok_or("poll_transmit overran its buffer")?;
            while !rest.is_empty() {
                let (header, after) = rest
                    .split_first_chunk::<HEADER_LEN>()
                    .ok_or("the endpoint wrote a partial packet header")?;
                let len = usize::try_from(u32::from_be_bytes([
                    header[1], header[2], header[3], header[4],
                ]))
                .map_err(|e| e.to_string())?;
                let body = after
                    .get(..len)
                    .ok_or("the endpoint wrote a partial body")?;
                for chunk in [&header[..], body] {
                    if chunk.is_empty() {
                        continue; // the goodbye: a header alone
                    }
                    let mut out = vec![0u8; sealed_len(chunk.len())];
                    let k = self
                        .encryptor
                        .seal(chunk, &mut out)
                        .map_err(|e| e.to_string())?;
                    sealed.extend_from_slice(out.get(..k).unwrap_or(&[]));
                }
                rest = after.get(len..).unwrap_or(&[]);
            }
        }
    }

    /// Opens the peer's frames and gives their plaintext to the endpoint.
    fn receive(&mut self, mut frames: &[u8]) -> Result<(), String> {
        while !frames.is_empty() {
            let opened = self.decryptor.open(frames).map_err(|e| e.to_string())?;
            frames = frames.get(opened.consumed..).unwrap_or(&[]);
            if let BoxProgress::Frame(Frame::Data(plain)) = opened.progress {
                let plain = plain.to_vec();
                let taken = self
                    .endpoint
                    .handle_input(&plain)
                    .map_err(|e| e.to_string())?;
                if taken != plain.len() {
                    return Err("the endpoint did not take a whole frame".into());
                }
            }
        }
        Ok(())
    }
}

/// The JS stand-in for ssb-db: the messages it holds, with their ids and receive times.
struct Store {
    id: String,
    messages: Vec<(String, Value, Value)>,
}

impl Store {
    /// `createHistoryStream({id, seq, limit, keys})`: `seq` inclusive (0: from the start),
    /// at most `limit` items, `{key, value, timestamp}` unless `keys` is false.
    fn history(&self, args: &[Value]) -> Vec<Value> {
        let opts = args.first().cloned().unwrap_or(Value::Null);
        let feed = opts.get("id").and_then(Value::as_str).unwrap_or("");
        let seq = opts.get("seq").and_then(Value::as_f64).unwrap_or(0.0);
        let limit = opts
            .get("limit")
            .and_then(Value::as_u64)
            .and_then(|l| usize::try_from(l).ok())
            .unwrap_or(usize::MAX);
        let keys = opts.get("keys").and_then(Value::as_bool).unwrap_or(true);
        self.messages
            .iter()
            .filter(|(_, v, _)| v.get("author").and_then(Value::as_str) == Some(feed))
            .filter(|(_, v, _)| v.get("sequence").and_then(Value::as_f64).unwrap_or(0.0) >= seq)
            .take(limit)
            .map(|(key, value, ts)| {
                if keys {
                    json!({ "key": key, "value": value, "timestamp": ts })
                } else {
                    value.clone()
                }
            })
            .collect()
    }

    fn serve(&self, ep: &mut Endpoint, id: RequestId, kind: CallType, name: &str, args: &[Value]) {
        let done = match (kind, name) {
            (CallType::Async, "whoami") => ep.respond(id, Ok(Body::json(json!({ "id": self.id })))),
            (CallType::Source, "createHistoryStream") => self
                .history(args)
                .into_iter()
                .try_for_each(|item| ep.send(id, Body::json(item)))
                .and_then(|()| ep.end(id)),
            (kind, _) => {
                let path: Vec<String> = name.split('.').map(String::from).collect();
                ep.reject(id, RemoteError::no_such_method(kind, &path))
            }
        };
        // A refusal here would be our own misuse of the endpoint; the comparison shows it.
        let _ = done;
    }
}

fn session(input: &Value) -> Result<Outcome, String> {
    let net = || hex_array::<32>(input, "net_key").map(NetworkKey);
    let client_kp = Keypair::from_seed(&hex_array(input, "client_seed")?);
    let server_kp = Keypair::from_seed(&hex_array(input, "server_seed")?);
    let mut client_hs = Handshake::client(
        net()?,
        &client_kp,
        server_kp.public(),
        CurveSecretKey::from_bytes(hex_array(input, "client_ephemeral")?),
    );
    let mut server_hs = Handshake::server(
        net()?,
        &server_kp,
        CurveSecretKey::from_bytes(hex_array(input, "server_ephemeral")?),
    );

    // The handshake: msg1..msg4, alternating.
    let (mut c_wire, mut s_wire) = (Vec::new(), Vec::new());
    let (mut c_msgs, mut s_msgs) = (Vec::new(), Vec::new());
    let mut buf = [0u8; MAX_MESSAGE_LEN];
    for step in 0..4 {
        let (from, to, wire, msgs) = if step % 2 == 0 {
            (&mut client_hs, &mut server_hs, &mut c_wire, &mut c_msgs)
        } else {
            (&mut server_hs, &mut client_hs, &mut s_wire, &mut s_msgs)
        };
        let n = from
            .poll_transmit(&mut buf)
            .map_err(|e| e.to_string())?
            .ok_or(format!("no handshake message {}", step + 1))?;
        let msg = buf.get(..n).unwrap_or(&[]);
        wire.extend_from_slice(msg);
        msgs.push(hex(msg));
        to.handle_message(msg).map_err(|e| e.to_string())?;
        if to.pending_authorization().is_some() {
            to.accept().map_err(|e| e.to_string())?;
        }
    }
    let c_out = client_hs.into_outcome().map_err(|e| e.to_string())?;
    let s_out = server_hs.into_outcome().map_err(|e| e.to_string())?;
    let side = |o: &HandshakeOutcome, wire: Vec<u8>, handshake: Vec<String>| Side {
        endpoint: Endpoint::default(),
        encryptor: Encryptor::new(o.send.key, o.send.nonce),
        decryptor: Decryptor::new(o.recv.key, o.recv.nonce),
        wire,
        handshake,
    };
    let mut client = side(&c_out, c_wire, c_msgs);
    let mut server = side(&s_out, s_wire, s_msgs);

    let store = Store {
        id: server_kp.feed_id().to_string(),
        messages: stored_messages(input)?,
    };
    let history_args = input
        .get("history_args")
        .and_then(Value::as_array)
        .cloned()
        .ok_or("input has no array `history_args`")?;

    // The conversation.
    let whoami = client
        .endpoint
        .call(CallType::Async, &["whoami"], vec![])
        .map_err(|e| e.to_string())?;
    let mut history = None;
    let (mut whoami_result, mut items, mut history_end) = (None, Vec::new(), None);
    let (mut server_goodbye, mut client_closed) = (false, false);
    for _ in 0..MAX_ROUNDS {
        let c_frames = client.transmit()?;
        client.wire.extend_from_slice(&c_frames);
        server.receive(&c_frames)?;
        while let Some(event) = server.endpoint.poll_event() {
            if let Event::Request { id, request } = event {
                let name = request.name.join(".");
                store.serve(&mut server.endpoint, id, request.kind, &name, &request.args);
            }
        }
        let s_frames = server.transmit()?;
        server.wire.extend_from_slice(&s_frames);
        if server.endpoint.is_closed() && !server_goodbye {
            let mut out = [0u8; BOX_HEADER_LEN];
            let n = server
                .encryptor
                .seal_goodbye(&mut out)
                .map_err(|e| e.to_string())?;
            server.wire.extend_from_slice(out.get(..n).unwrap_or(&[]));
            server_goodbye = true;
        }
        client.receive(&s_frames)?;
        while let Some(event) = client.endpoint.poll_event() {
            match event {
                Event::Response { id, result } if id == whoami => {
                    whoami_result = Some(result.map_err(|e| e.to_string())?);
                    history = Some(
                        client
                            .endpoint
                            .call(
                                CallType::Source,
                                &["createHistoryStream"],
                                history_args.clone(),
                            )
                            .map_err(|e| e.to_string())?,
                    );
                }
                Event::Readable(id) if Some(id) == history => {
                    while let Some(item) = client.endpoint.read(id) {
                        match item {
                            StreamItem::Data(body) => items.push(body_value(&body)),
                            StreamItem::End(end) => history_end = Some(end),
                        }
                    }
                }
                _ => {}
            }
        }
        if history_end.is_some() && !client_closed {
            // The stream is over: JS's client closes (its end was echoed already).
            client.endpoint.goodbye();
            client_closed = true;
        }
        if server_goodbye && client.endpoint.transmit_len() == 0 {
            break;
        }
    }
    if !server_goodbye {
        return Err("the session did not end".into());
    }
    let whoami_value = whoami_result
        .as_ref()
        .map(body_value)
        .ok_or("no answer to whoami")?;
    match history_end {
        Some(Ok(())) => {}
        Some(Err(e)) => return Err(format!("createHistoryStream failed: {e}")),
        None => return Err("createHistoryStream did not end".into()),
    }

    Ok(ok([
        (
            "handshake",
            json!({ "client": outcome_json(&c_out), "server": outcome_json(&s_out) }),
        ),
        (
            "client_to_server",
            direction(&client.wire, client.handshake, &s_out)?,
        ),
        (
            "server_to_client",
            direction(&server.wire, server.handshake, &c_out)?,
        ),
        (
            "results",
            json!({
                "whoami": { "ok": whoami_value },
                "createHistoryStream": { "ok": items },
            }),
        ),
    ]))
}

/// The vector's messages as the server stores them: id, value and receive time.
fn stored_messages(input: &Value) -> Result<Vec<(String, Value, Value)>, String> {
    let texts = input
        .get("messages")
        .and_then(Value::as_array)
        .ok_or("input has no array `messages`")?;
    let received = input
        .get("received")
        .and_then(Value::as_array)
        .ok_or("input has no array `received`")?;
    texts
        .iter()
        .zip(received)
        .map(|(text, ts)| {
            let text = text.as_str().ok_or("a message is not a string")?;
            let id = verify_message(text.as_bytes(), &SignCap::None)
                .map_err(|e| format!("a stored message does not verify: {e}"))?
                .id()
                .to_string();
            let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
            Ok((id, value, ts.clone()))
        })
        .collect()
}

/// A body as the JS app sees it: JSON values as themselves, text as a string.
fn body_value(body: &Body) -> Value {
    match body {
        Body::Json(v) => v.clone(),
        Body::Text(t) => Value::String(t.clone()),
        Body::Binary(b) => Value::String(hex(b)),
        Body::RawJson(t) => serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.clone())),
    }
}

/// One direction taken apart: the frames our decryptor opens from what the side wrote after
/// its handshake messages (with the receiver's keys), the goodbye, and the packets our
/// decoder reads from the frames' plaintext.
fn direction(
    wire: &[u8],
    handshake: Vec<String>,
    receiver: &HandshakeOutcome,
) -> Result<Value, String> {
    let hs_len: usize = handshake.iter().map(|h| h.len() / 2).sum();
    let mut rest = wire
        .get(hs_len..)
        .ok_or("wire shorter than its handshake")?;
    let mut dec = Decryptor::new(receiver.recv.key, receiver.recv.nonce);
    let (mut frames, mut plain, mut owner) = (Vec::new(), Vec::new(), Vec::new());
    let mut goodbye = Value::Null;
    let mut at = 0usize;
    while !rest.is_empty() {
        let opened = dec.open(rest).map_err(|e| e.to_string())?;
        let consumed = opened.consumed;
        match opened.progress {
            BoxProgress::Frame(Frame::Data(body)) => {
                let start = wire.len() - rest.len() - at;
                let frame_wire = wire.get(start..start + at + consumed).unwrap_or(&[]);
                owner.extend(std::iter::repeat_n(frames.len(), body.len()));
                plain.extend_from_slice(body);
                frames.push(json!({
                    "wire": hex(frame_wire),
                    "length": body.len(),
                    "plaintext": hex(body),
                }));
                at = 0;
            }
            BoxProgress::Frame(Frame::Goodbye) => {
                let start = wire.len() - rest.len() - at;
                goodbye = Value::String(hex(wire.get(start..start + at + consumed).unwrap_or(&[])));
                at = 0;
            }
            // Bytes after the goodbye (`Ended`) count as an unfinished frame, an error below.
            BoxProgress::NeedMore(_) | BoxProgress::Ended => at += consumed,
        }
        rest = rest.get(consumed..).unwrap_or(&[]);
    }
    if at != 0 {
        return Err("a side ended in the middle of a frame".into());
    }

    let mut packets = Vec::new();
    let mut pos = 0usize;
    while pos < plain.len() {
        let buf = plain.get(pos..).unwrap_or(&[]);
        let d = decode_packet(buf, u32::MAX).map_err(|e| e.to_string())?;
        let span: Vec<usize> = {
            let mut s: Vec<usize> = owner
                .get(pos..pos + d.consumed.max(1))
                .unwrap_or(&[])
                .to_vec();
            s.dedup();
            s
        };
        match d.progress {
            Progress::Frame(Item::Packet(p)) => {
                let (ty, body_text) = match p.header.flags.body_type {
                    BodyType::Binary => ("buffer", hex(p.body)),
                    BodyType::Utf8 => ("string", ssb_muxrpc::utf8_lossy(p.body).into_owned()),
                    BodyType::Json => ("json", ssb_muxrpc::utf8_lossy(p.body).into_owned()),
                };
                let mut m = Map::new();
                m.insert("header".into(), json!(hex(&p.header.to_bytes())));
                m.insert("flags".into(), json!(p.header.flags.to_byte()));
                m.insert("stream".into(), json!(p.header.flags.stream));
                m.insert("end".into(), json!(p.header.flags.end));
                m.insert("type".into(), json!(ty));
                m.insert("length".into(), json!(p.header.body_len));
                m.insert("req".into(), json!(p.header.request));
                m.insert("body".into(), json!(body_text));
                if ty == "json" {
                    let v = ssb_muxrpc::parse_json(p.body).map_err(|e| e.to_string())?;
                    m.insert("value".into(), v);
                }
                m.insert("frames".into(), json!(span));
                packets.push(Value::Object(m));
            }
            Progress::Frame(Item::Goodbye(h)) => {
                packets.push(json!({ "goodbye": true, "header": hex(&h), "frames": span }));
            }
            Progress::NeedMore(_) => return Err("a side ended in the middle of a packet".into()),
            Progress::Ended => break,
        }
        if matches!(d.progress, Progress::Frame(Item::Goodbye(_))) {
            pos += d.consumed;
            if pos != plain.len() {
                return Err("bytes after the packet-stream goodbye".into());
            }
            break;
        }
        pos += d.consumed;
    }

    Ok(json!({
        "wire": hex(wire),
        "handshake": handshake,
        "frames": frames,
        "goodbye": goodbye,
        "packets": packets,
    }))
}
