//! `Body::RawJson` and `Config::raw_json`: JSON text sent as given and received unparsed, for
//! values a `serde_json::Value` cannot hold (lone surrogates) or would re-format (numbers).
#![allow(clippy::unwrap_used)]

use serde_json::json;
use ssb_muxrpc::{
    Body, BodyError, BodyType, CallError, CallType, Config, Endpoint, Event, Flags, Item,
    LocalError, Progress, RemoteError, RequestId, StreamItem, decode_packet, encode_packet_to_vec,
};

/// Texts serde_json would refuse or re-spell: a lone surrogate, JS number spellings, key order.
const TEXTS: [&str; 4] = [
    r#"{"text":"\ud83d lone"}"#,
    r#"{"n":1e21,"m":1.25e-7,"k":-0}"#,
    r#"{"b":1,"a":2,"1":3}"#,
    "[ 1 ,\n 2 ]",
];

fn raw() -> Config {
    Config {
        raw_json: true,
        ..Config::default()
    }
}

/// Moves everything `from` sends into `to`.
fn pump(from: &mut Endpoint, to: &mut Endpoint) {
    let mut buf = [0u8; 4096];
    loop {
        let n = from.poll_transmit(&mut buf);
        if n == 0 {
            return;
        }
        assert_eq!(to.handle_input(&buf[..n]).unwrap(), n);
    }
}

#[test]
fn raw_json_goes_out_as_type_2_byte_for_byte() {
    for text in TEXTS {
        let body = Body::RawJson(text.into());
        let (t, bytes) = body.encode().unwrap();
        assert_eq!(t, BodyType::Json);
        assert_eq!(&*bytes, text.as_bytes());
    }
    assert_eq!(
        Body::RawJson(String::new()).encode(),
        Err(BodyError::EmptyRawJson)
    );
    assert_eq!(BodyError::EmptyRawJson.code(), "muxrpc_empty_body");
}

#[test]
fn decode_raw_keeps_json_text_and_leaves_other_types_alone() {
    assert_eq!(
        Body::decode_raw(true, BodyType::Json, b"{\"a\":1e21}").unwrap(),
        Body::RawJson("{\"a\":1e21}".into())
    );
    // Invalid JSON is not checked in raw mode; invalid UTF-8 is read as JS reads it.
    assert_eq!(
        Body::decode_raw(true, BodyType::Json, b"{\xff").unwrap(),
        Body::RawJson("{\u{fffd}".into())
    );
    assert_eq!(
        Body::decode_raw(false, BodyType::Json, b"{\"a\":1}").unwrap(),
        Body::Json(json!({"a": 1}))
    );
    assert_eq!(
        Body::decode_raw(true, BodyType::Utf8, b"hi").unwrap(),
        Body::Text("hi".into())
    );
    assert_eq!(
        Body::decode_raw(true, BodyType::Binary, b"hi").unwrap(),
        Body::Binary(b"hi".to_vec())
    );
}

#[test]
fn a_source_of_raw_items_arrives_as_the_same_text() {
    let mut client = Endpoint::new(raw());
    let mut server = Endpoint::default();
    let id = client
        .call(CallType::Source, &["createHistoryStream"], vec![json!({})])
        .unwrap();
    pump(&mut client, &mut server);
    let Some(Event::Request { id: sid, .. }) = server.poll_event() else {
        panic!("no request")
    };
    for text in TEXTS {
        server.send(sid, Body::RawJson(text.into())).unwrap();
    }
    server.end(sid).unwrap();
    pump(&mut server, &mut client);
    let mut items = Vec::new();
    while let Some(ev) = client.poll_event() {
        if ev == Event::Readable(id) {
            while let Some(item) = client.read(id) {
                items.push(item);
            }
        }
    }
    let mut want: Vec<StreamItem> = TEXTS
        .iter()
        .map(|t| StreamItem::Data(Body::RawJson((*t).into())))
        .collect();
    // The end is parsed as always (JSON `true`).
    want.push(StreamItem::End(Ok(())));
    assert_eq!(items, want);
}

#[test]
fn async_answers_are_raw_but_errors_are_parsed() {
    let mut client = Endpoint::new(raw());
    let mut server = Endpoint::default();
    let ok = client.call(CallType::Async, &["whoami"], vec![]).unwrap();
    let bad = client.call(CallType::Async, &["nope"], vec![]).unwrap();
    pump(&mut client, &mut server);
    while let Some(ev) = server.poll_event() {
        if let Event::Request { id, request } = ev {
            if request.name == ["whoami"] {
                server
                    .respond(id, Ok(Body::json(json!({"id": "@x"}))))
                    .unwrap();
            } else {
                server
                    .reject(id, RemoteError::no_such_method(request.kind, &request.name))
                    .unwrap();
            }
        }
    }
    pump(&mut server, &mut client);
    let mut answers = Vec::new();
    while let Some(ev) = client.poll_event() {
        if let Event::Response { id, result } = ev {
            answers.push((id, result));
        }
    }
    assert_eq!(
        answers,
        [
            (ok, Ok(Body::RawJson(r#"{"id":"@x"}"#.into()))),
            (
                bad,
                Err(CallError::Remote(RemoteError {
                    name: "Error".into(),
                    message: "no async:nope".into(),
                    stack: None,
                }))
            ),
        ]
    );
}

#[test]
fn raw_json_on_the_wire_is_the_given_bytes_and_empty_is_refused() {
    let mut server = Endpoint::default();
    // A peer's source request, then our raw answer: the packet body is the text itself.
    let mut req = Vec::new();
    encode_packet_to_vec(
        Flags {
            stream: true,
            end: false,
            body_type: BodyType::Json,
        },
        1,
        br#"{"name":["s"],"args":[],"type":"source"}"#,
        &mut req,
    )
    .unwrap();
    server.handle_input(&req).unwrap();
    let Some(Event::Request { id, .. }) = server.poll_event() else {
        panic!("no request")
    };
    assert_eq!(id, RequestId::Remote(1));
    assert_eq!(
        server.send(id, Body::RawJson(String::new())),
        Err(LocalError::Body(BodyError::EmptyRawJson))
    );
    server.send(id, Body::RawJson(TEXTS[0].into())).unwrap();
    let mut buf = [0u8; 256];
    let n = server.poll_transmit(&mut buf);
    let d = decode_packet(&buf[..n], ssb_muxrpc::DEFAULT_MAX_BODY_LEN).unwrap();
    let Progress::Frame(Item::Packet(p)) = d.progress else {
        panic!("no packet")
    };
    assert_eq!(p.header.request, -1);
    assert!(p.header.flags.stream && !p.header.flags.end);
    assert_eq!(p.header.flags.body_type, BodyType::Json);
    assert_eq!(p.body, TEXTS[0].as_bytes());
}

#[test]
fn parse_request_reads_a_raw_request_body() {
    let body = Body::RawJson(r#"{"name":["a","b"],"args":[1e21]}"#.into());
    let r = ssb_muxrpc::parse_request(false, &body).unwrap();
    assert_eq!(r.name, ["a", "b"]);
    assert_eq!(r.args, [json!(1e21)]);
    let bad = Body::RawJson("{".into());
    let e = ssb_muxrpc::parse_request(false, &bad).unwrap_err();
    assert_eq!(e.0, ssb_muxrpc::RequestError::NotJson);
}
