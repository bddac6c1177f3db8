//! The `muxrpc` layer: ssb-muxrpc's packet codec against what packet-stream-codec encoded and
//! decoded.

use serde_json::{Map, Number, Value, json};
use ssb_muxrpc::{
    Body, BodyError, BodyType, CallType, DecodeError, EncodeError, Endpoint, Event, Flags, Header,
    Item, PacketDecoder, Progress, RemoteError, RequestId, encode_goodbye, encode_packet,
    encoded_len,
};

use super::{hex, hex_decode, hex_field, ok};
use crate::Outcome;

pub(crate) fn run(op: &str, input: &Value) -> Result<Outcome, String> {
    match op {
        "packet_encode" => encode(input),
        "packet_encode_empty" => encode_empty(input),
        "goodbye_encode" => {
            let mut out = [0u8; 9];
            let n = encode_goodbye(&mut out).map_err(|e| e.to_string())?;
            Ok(ok([("wire", json!(hex(out.get(..n).unwrap_or_default())))]))
        }
        "packet_decode" => decode(input),
        "muxrpc_session" => session(input),
        _ => Err(format!("unknown op `{op}`")),
    }
}

fn bool_field(input: &Value, name: &str) -> Result<bool, String> {
    input
        .get(name)
        .and_then(Value::as_bool)
        .ok_or_else(|| format!("input has no boolean field `{name}`"))
}

fn req_field(input: &Value) -> Result<i32, String> {
    input
        .get("req")
        .and_then(Value::as_i64)
        .and_then(|r| i32::try_from(r).ok())
        .ok_or_else(|| "input has no i32 field `req`".to_owned())
}

/// The vector body: `{hex}` bytes, `{text}` a string, `{json}` another value, `{undefined}`
/// no value (packet-stream-codec then sends the `end` flag as the JSON body).
fn body_field(input: &Value, end: bool) -> Result<Body, String> {
    let b = input.get("body").ok_or("input has no `body`")?;
    if let Some(h) = b.get("hex") {
        let bytes = hex_decode(h.as_str().unwrap_or("?")).ok_or("body `hex` is not hex")?;
        Ok(Body::Binary(bytes))
    } else if let Some(t) = b.get("text").and_then(Value::as_str) {
        Ok(Body::Text(t.to_owned()))
    } else if let Some(v) = b.get("json") {
        Ok(Body::Json(v.clone()))
    } else if b.get("undefined") == Some(&Value::Bool(true)) {
        Ok(if end {
            Body::Json(Value::Bool(true))
        } else {
            Body::undefined()
        })
    } else {
        Err("unknown body form".into())
    }
}

fn encode(input: &Value) -> Result<Outcome, String> {
    let (stream, end) = (bool_field(input, "stream")?, bool_field(input, "end")?);
    let body = body_field(input, end)?;
    let (body_type, bytes) = body.encode().map_err(|e| e.to_string())?;
    let flags = Flags {
        stream,
        end,
        body_type,
    };
    let mut wire = vec![0u8; encoded_len(bytes.len())];
    let n =
        encode_packet(flags, req_field(input)?, &bytes, &mut wire).map_err(|e| e.to_string())?;
    wire.truncate(n);
    Ok(ok([("wire", json!(hex(&wire)))]))
}

/// JS writes a zero-length body as a header with length 0, which its own decoder reads as a
/// goodbye. We refuse to encode it (policy); the header JS writes and what our decoder makes of
/// it are checked against JS.
fn encode_empty(input: &Value) -> Result<Outcome, String> {
    let (stream, end) = (bool_field(input, "stream")?, bool_field(input, "end")?);
    let body_type = match body_field(input, end)? {
        Body::Binary(b) if b.is_empty() => BodyType::Binary,
        Body::Text(t) if t.is_empty() => BodyType::Utf8,
        _ => return Err("packet_encode_empty needs an empty body".into()),
    };
    let flags = Flags {
        stream,
        end,
        body_type,
    };
    let req = req_field(input)?;
    match encode_packet(flags, req, &[], &mut [0u8; 64]) {
        Err(EncodeError::EmptyBody) => {}
        other => return Err(format!("empty body not refused: {other:?}")),
    }
    let wire = Header {
        flags,
        body_len: 0,
        request: req,
    }
    .to_bytes();
    let mut dec = PacketDecoder::new();
    let decodes_as = match dec.decode(&wire).map_err(|e| e.to_string())?.progress {
        Progress::Frame(Item::Goodbye(_)) => "goodbye",
        _ => "packet",
    };
    Ok(ok([
        ("wire", json!(hex(&wire))),
        ("decodes_as", json!(decodes_as)),
    ]))
}

/// A JSON value as a JS double would print: every number through `f64`, integral ones
/// (within the 64-bit integer range) as integers. JSON.parse gives JS the same doubles.
fn js_numbers(v: Value) -> Value {
    match v {
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            let int = f.fract() == 0.0;
            if int && (0.0..18_446_744_073_709_551_616.0).contains(&f) {
                Value::Number(Number::from(f as u64))
            } else if int && (-9_223_372_036_854_775_808.0..0.0).contains(&f) {
                Value::Number(Number::from(f as i64))
            } else {
                Number::from_f64(f).map_or(Value::Null, Value::Number)
            }
        }
        Value::Array(a) => Value::Array(a.into_iter().map(js_numbers).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, js_numbers(v))).collect()),
        v => v,
    }
}

fn packet_json(header: &Header, body: Body) -> Value {
    let body = match body {
        Body::Binary(b) => json!({ "hex": hex(&b) }),
        Body::Text(t) => json!({ "text": t }),
        Body::Json(v) => json!({ "json": js_numbers(v) }),
        Body::RawJson(t) => json!({ "raw": t }),
    };
    let mut m = Map::new();
    m.insert("req".into(), json!(header.request));
    m.insert("stream".into(), json!(header.flags.stream));
    m.insert("end".into(), json!(header.flags.end));
    m.insert("type".into(), json!(header.flags.body_type as u8));
    m.insert("body".into(), body);
    Value::Object(m)
}

fn class(e: DecodeError) -> &'static str {
    match e {
        DecodeError::UnknownBodyType { .. } => "unknown_type",
        DecodeError::Truncated { .. } | DecodeError::NoGoodbye => "truncated",
        _ => e.code(),
    }
}

/// Decodes wire bytes into the vector's packet list and end.
fn decode_wire(
    wire: &[u8],
    sizes: Option<&Vec<Value>>,
) -> Result<(Vec<Value>, &'static str), String> {
    // JS has no body limit; ours is lifted to the whole u32 range to replay it (the decoder
    // still buffers only the bytes that arrive).
    let mut dec = PacketDecoder::with_max_body_len(u32::MAX);
    let mut pieces: Vec<&[u8]> = Vec::new();
    let mut at = 0usize;
    if let Some(sizes) = sizes {
        for s in sizes {
            let n = usize::try_from(s.as_u64().ok_or("piece size is not a number")?)
                .map_err(|e| e.to_string())?;
            let end = (at + n).min(wire.len());
            pieces.push(wire.get(at..end).unwrap_or_default());
            at = end;
        }
    }
    if at < wire.len() || pieces.is_empty() {
        pieces.push(wire.get(at..).unwrap_or_default());
    }
    let mut packets = Vec::new();
    let mut end = None;
    'pieces: for mut piece in pieces {
        loop {
            let d = match dec.decode(piece) {
                Ok(d) => d,
                Err(e) => {
                    end = Some(class(e));
                    break 'pieces;
                }
            };
            match d.progress {
                Progress::Frame(Item::Packet(p)) => {
                    match Body::decode(p.header.flags.body_type, p.body) {
                        Ok(body) => packets.push(packet_json(&p.header, body)),
                        Err(BodyError::InvalidJson { .. }) => {
                            end = Some("invalid_json");
                            break 'pieces;
                        }
                        Err(e) => return Err(e.to_string()),
                    }
                }
                Progress::Frame(Item::Goodbye(_)) | Progress::Ended => {
                    end = Some("goodbye");
                    break 'pieces;
                }
                Progress::NeedMore(_) => {}
            }
            piece = piece.get(d.consumed..).unwrap_or_default();
            if piece.is_empty() {
                break;
            }
        }
    }
    let end = match end {
        Some(e) => e,
        None => match dec.finish() {
            Ok(()) => "goodbye",
            Err(e) => class(e),
        },
    };
    Ok((packets, end))
}

fn decode(input: &Value) -> Result<Outcome, String> {
    let wire = hex_field(input, "wire")?;
    let (packets, end) = decode_wire(&wire, input.get("pieces").and_then(Value::as_array))?;
    Ok(ok([
        ("packets", Value::Array(packets)),
        ("end", json!(end)),
    ]))
}

// ---- muxrpc sessions ------------------------------------------------------------------

/// The JS generator's test service (`SERVICE_MANIFEST` in `js/layers/muxrpc.js`): the type of
/// each method (`sync` methods are called as async).
fn service_type(name: &[String]) -> Option<&'static str> {
    let name: Vec<&str> = name.iter().map(String::as_str).collect();
    Some(match name.as_slice() {
        ["hello" | "nothing" | "fail" | "bytes" | "secret"] | ["ns", "deep"] => "async",
        ["add"] => "sync",
        ["count" | "live"] => "source",
        ["collect"] => "sink",
        ["pair"] => "duplex",
        _ => return None,
    })
}

/// The generator's allow list (`PERMS`): a path is allowed when its first element is listed.
const ALLOWED: [&str; 10] = [
    "hello", "add", "nothing", "fail", "bytes", "count", "live", "collect", "pair", "ns",
];

/// Answers one request as the generator's JS service does, using the endpoint's API.
fn serve(
    ep: &mut Endpoint,
    perms: bool,
    id: RequestId,
    req: &ssb_muxrpc::Request,
) -> Result<(), String> {
    let e = |x: ssb_muxrpc::LocalError| x.to_string();
    if perms
        && !req
            .name
            .first()
            .is_some_and(|n| ALLOWED.contains(&n.as_str()))
    {
        return ep
            .reject(id, RemoteError::not_allowed(&req.name))
            .map_err(e);
    }
    let has = match (req.kind, service_type(&req.name)) {
        (CallType::Async, Some("async" | "sync")) => true,
        (k, Some(t)) => k.as_str() == t,
        (_, None) => false,
    };
    if !has {
        return ep
            .reject(id, RemoteError::no_such_method(req.kind, &req.name))
            .map_err(e);
    }
    let arg = |i: usize| req.args.get(i).cloned().unwrap_or(Value::Null);
    match req.name.join(".").as_str() {
        "hello" => {
            let who = arg(0).as_str().unwrap_or_default().to_owned();
            ep.respond(id, Ok(Body::Text(format!("hello, {who}"))))
                .map_err(e)
        }
        "add" => {
            let sum = arg(0).as_i64().unwrap_or(0) + arg(1).as_i64().unwrap_or(0);
            ep.respond(id, Ok(Body::json(sum))).map_err(e)
        }
        "nothing" => ep.respond(id, Ok(Body::undefined())).map_err(e),
        "fail" => ep.respond(id, Err(RemoteError::new("boom"))).map_err(e),
        "bytes" => ep.respond(id, Ok(Body::Binary(b"abc".to_vec()))).map_err(e),
        "secret" => ep
            .respond(id, Ok(Body::Text("the secret".into())))
            .map_err(e),
        "ns.deep" => ep.respond(id, Ok(Body::Text("deep".into()))).map_err(e),
        "count" => {
            for i in 0..arg(0).as_u64().unwrap_or(0) {
                ep.send(id, Body::json(i)).map_err(e)?;
            }
            ep.end(id).map_err(e)
        }
        "pair" => {
            ep.send(id, Body::Text("a".into())).map_err(e)?;
            ep.send(id, Body::Text("b".into())).map_err(e)?;
            ep.end(id).map_err(e)
        }
        // `live` never produces; `collect` drains.
        _ => Ok(()),
    }
}

/// A value the JS app writes: strings as text, anything else as JSON.
fn app_body(v: &Value) -> Body {
    match v {
        Value::String(s) => Body::Text(s.clone()),
        v => Body::Json(v.clone()),
    }
}

/// What the comparison ignores: an error object's `stack` (JS's names files of the machine
/// that generated it).
fn normalise(mut p: Value) -> Value {
    let end = p.get("end") == Some(&Value::Bool(true));
    if let Some(Value::Object(o)) = p.pointer_mut("/body/json")
        && end
    {
        o.remove("stack");
    }
    p
}

fn session(input: &Value) -> Result<Outcome, String> {
    let perms = input.get("perms").and_then(Value::as_bool).unwrap_or(false);
    let steps = input
        .get("steps")
        .and_then(Value::as_array)
        .ok_or("input has no array `steps`")?;
    let mut ep = Endpoint::default();
    let mut out = Vec::new();
    let mut buf = vec![0u8; 4096];
    for step in steps {
        if let Some(h) = step.get("in") {
            let bytes = hex_decode(h.as_str().unwrap_or("?")).ok_or("step `in` is not hex")?;
            let n = ep.handle_input(&bytes).map_err(|e| e.to_string())?;
            if n != bytes.len() {
                return Err("the endpoint did not take the whole step".into());
            }
        } else if let Some(c) = step.get("call") {
            let kind = match c.get("type").and_then(Value::as_str) {
                Some("async") => CallType::Async,
                Some("source") => CallType::Source,
                Some("sink") => CallType::Sink,
                Some("duplex") => CallType::Duplex,
                _ => return Err("bad call type".into()),
            };
            let name: Vec<String> = c
                .get("name")
                .and_then(Value::as_array)
                .ok_or("call has no name")?
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect();
            let args = c
                .get("args")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let id = ep.call(kind, &name, args).map_err(|e| e.to_string())?;
            if matches!(kind, CallType::Sink | CallType::Duplex) {
                for d in c
                    .get("data")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    ep.send(id, app_body(d)).map_err(|e| e.to_string())?;
                }
                ep.end(id).map_err(|e| e.to_string())?;
            }
        } else {
            return Err("unknown step".into());
        }
        // The application: answer requests, read every stream.
        while let Some(ev) = ep.poll_event() {
            match ev {
                Event::Request { id, request } => serve(&mut ep, perms, id, &request)?,
                Event::Readable(id) => while ep.read(id).is_some() {},
                Event::Response { .. } | Event::Goodbye => {}
            }
        }
        let mut wire = Vec::new();
        loop {
            let n = ep.poll_transmit(&mut buf);
            if n == 0 {
                break;
            }
            wire.extend_from_slice(buf.get(..n).unwrap_or_default());
        }
        let (packets, end) = decode_wire(&wire, None)?;
        let mut packets: Vec<Value> = packets.into_iter().map(normalise).collect();
        if end == "goodbye" {
            packets.push(json!("goodbye"));
        }
        out.push(Value::Array(packets));
    }
    Ok(ok([("out", Value::Array(out))]))
}
