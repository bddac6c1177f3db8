//! Behaviour of the public API: strict-mode rejections with offsets, limits, the object
//! model, encoders into caller buffers.

use ssb_legacy_json::{
    EncodeError, JsString, MAX_DEPTH, MAX_INPUT_LEN, Mode, Object, ParseError, ParseOptions, Style,
    Value, legacy_hash_bytes, legacy_sha256, parse, parse_strict, parse_with, signing_string,
    utf16_len,
};

fn sign(json: &str) -> String {
    signing_string(json.as_bytes()).expect("valid JSON")
}

#[test]
fn worked_example_of_the_digest() {
    // docs/PROTOCOL.md §5.7.3, at top level (indent 0 instead of 4).
    let input = r#"{"type":"test","b":[],"a":{},"10":"ten","2":"two","x":[1,{"y":null}],"s":"\u00df\u20ac\ud83d\ude00\n\t\"\\\u0001","n":[1e21,1e20,1e-7,0.000001,100,1.5,123.456e5]}"#;
    let want = "{\n  \"2\": \"two\",\n  \"10\": \"ten\",\n  \"type\": \"test\",\n  \"b\": [],\n  \"a\": {},\n  \"x\": [\n    1,\n    {\n      \"y\": null\n    }\n  ],\n  \"s\": \"ß€😀\\n\\t\\\"\\\\\\u0001\",\n  \"n\": [\n    1e+21,\n    100000000000000000000,\n    1e-7,\n    0.000001,\n    100,\n    1.5,\n    12345600\n  ]\n}";
    assert_eq!(sign(input), want);
}

#[test]
fn key_order_of_the_digest() {
    let v = parse(br#"{"b":1,"a":2,"10":3,"2":4,"4294967294":5,"4294967295":6,"-1":7,"01":8}"#)
        .expect("valid");
    let keys: Vec<String> = v
        .as_object()
        .expect("object")
        .keys()
        .map(|k| k.to_string())
        .collect();
    assert_eq!(
        keys,
        ["2", "10", "4294967294", "b", "a", "4294967295", "-1", "01"]
    );
}

#[test]
fn duplicates_js_and_strict() {
    assert_eq!(
        sign(r#"{"a":1,"b":2,"a":3}"#),
        "{\n  \"a\": 3,\n  \"b\": 2\n}"
    );
    assert_eq!(
        parse_strict(br#"{"a":1,"b":2,"a":3}"#),
        Err(ParseError::DuplicateKey { offset: 13 })
    );
    // Large objects take the sorting path; same semantics.
    let mut text = String::from("{");
    for i in 0..40 {
        text.push_str(&format!("\"k{i}\":{i},"));
    }
    text.push_str("\"k3\":\"last\",\"k39\":true}");
    let v = parse(text.as_bytes()).expect("valid");
    let o = v.as_object().expect("object");
    assert_eq!(o.len(), 40);
    assert_eq!(o.position("k3"), Some(3));
    assert_eq!(o.get("k3").and_then(Value::as_str), Some("last"));
    assert_eq!(o.get("k39"), Some(&Value::Bool(true)));
    let dup_at = text.find("\"k3\":\"last\"").expect("present");
    assert_eq!(
        parse_strict(text.as_bytes()),
        Err(ParseError::DuplicateKey { offset: dup_at })
    );
}

#[test]
fn strict_rejections_with_offsets() {
    let cases: &[(&[u8], ParseError)] = &[
        (b"[1,-0]", ParseError::NegativeZero { offset: 3 }),
        (b"[-1e-400]", ParseError::NegativeZero { offset: 1 }),
        (b"[1e400]", ParseError::NumberOutOfRange { offset: 1 }),
        (b"[-1e400]", ParseError::NumberOutOfRange { offset: 1 }),
        (br#"["a\ud800"]"#, ParseError::LoneSurrogate { offset: 3 }),
        (br#"["\udc00"]"#, ParseError::LoneSurrogate { offset: 2 }),
        (b"[\"a\xff\"]", ParseError::InvalidUtf8 { offset: 3 }),
        (b"[\"\xed\xa0\x80\"]", ParseError::InvalidUtf8 { offset: 2 }),
    ];
    for (input, err) in cases {
        assert_eq!(
            parse_strict(input).as_ref(),
            Err(err),
            "{:?}",
            String::from_utf8_lossy(input)
        );
        // JS mode accepts all of them.
        assert!(parse(input).is_ok());
    }
    assert_eq!(
        parse_strict(b"[6e-486]"),
        Ok(Value::Array(vec![Value::Number(0.0)]))
    );
    assert_eq!(
        parse_strict(br#""\ud83d\ude00""#)
            .ok()
            .as_ref()
            .and_then(Value::as_str),
        Some("😀")
    );
}

#[test]
fn js_mode_values() {
    let v = parse(b"[-0,1e400,-1e400,6e-486]").expect("valid");
    let a = v.as_array().expect("array");
    assert!(
        a[0].as_f64()
            .is_some_and(|n| n == 0.0 && n.is_sign_negative())
    );
    assert_eq!(a[1].as_f64(), Some(f64::INFINITY));
    assert_eq!(v.to_compact_string(), "[0,null,null,0]");
    let s = parse(br#""a\ud800b""#).expect("valid");
    let js = s.as_js_string().expect("string");
    assert!(js.has_lone_surrogates() && js.as_str().is_none());
    assert_eq!(js.encode_utf16().collect::<Vec<_>>(), [0x61, 0xd800, 0x62]);
    assert_eq!(js.utf16_len(), 3);
    assert_eq!(js.to_string_lossy(), "a\u{fffd}b");
    assert_eq!(s.to_compact_string(), r#""a\ud800b""#);
    // Invalid UTF-8 becomes U+FFFD per maximal subpart, like node's decoder.
    let v = parse(b"\"\xe0\xa0|\xed\xa0\x80|\xf0\x9f\x98\"").expect("valid");
    assert_eq!(
        v.as_str(),
        Some("\u{fffd}|\u{fffd}\u{fffd}\u{fffd}|\u{fffd}")
    );
}

#[test]
fn syntax_errors_with_offsets() {
    let cases: &[(&[u8], ParseError)] = &[
        (b"", ParseError::UnexpectedEnd { offset: 0 }),
        (
            b"[1,]",
            ParseError::UnexpectedByte {
                offset: 3,
                byte: b']',
            },
        ),
        (
            b"{\"a\" 1}",
            ParseError::UnexpectedByte {
                offset: 5,
                byte: b'1',
            },
        ),
        (
            b"[01]",
            ParseError::UnexpectedByte {
                offset: 2,
                byte: b'1',
            },
        ),
        (b"[1.]", ParseError::InvalidNumber { offset: 3 }),
        (
            b"[.5]",
            ParseError::UnexpectedByte {
                offset: 1,
                byte: b'.',
            },
        ),
        (b"\"\\x\"", ParseError::InvalidEscape { offset: 1 }),
        (b"\"\\u12\"", ParseError::InvalidEscape { offset: 1 }),
        (
            b"\"a\nb\"",
            ParseError::ControlCharacter {
                offset: 2,
                byte: b'\n',
            },
        ),
        (b"{} x", ParseError::TrailingCharacters { offset: 3 }),
        (
            b"\xef\xbb\xbf{}",
            ParseError::UnexpectedByte {
                offset: 0,
                byte: 0xef,
            },
        ),
        (
            b"[tru]",
            ParseError::UnexpectedByte {
                offset: 4,
                byte: b']',
            },
        ),
        (b"\"abc", ParseError::UnexpectedEnd { offset: 4 }),
    ];
    for (input, err) in cases {
        let got = parse(input);
        assert_eq!(
            got.as_ref(),
            Err(err),
            "{:?}",
            String::from_utf8_lossy(input)
        );
        assert_eq!(got.err().map(|e| e.code()), Some("syntax"));
        assert_eq!(err.offset(), err.offset());
    }
}

#[test]
fn limits() {
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse(ok.as_bytes()).is_ok());
    let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert_eq!(
        parse(deep.as_bytes()),
        Err(ParseError::TooDeep {
            offset: MAX_DEPTH,
            limit: MAX_DEPTH
        })
    );
    let opts = ParseOptions::new(Mode::Js).max_depth(2);
    assert!(parse_with(b"[[1]]", opts).is_ok());
    assert_eq!(
        parse_with(b"[{\"a\":[]}]", opts),
        Err(ParseError::TooDeep {
            offset: 6,
            limit: 2
        })
    );
    // Raising is clamped.
    let opts = ParseOptions::new(Mode::Js)
        .max_depth(usize::MAX)
        .max_input_len(usize::MAX);
    assert_eq!(
        parse_with(deep.as_bytes(), opts).map_err(|e| e.code()),
        Err("limit")
    );
    let big = vec![b' '; MAX_INPUT_LEN + 1];
    assert_eq!(
        parse(&big),
        Err(ParseError::InputTooLarge {
            len: MAX_INPUT_LEN + 1,
            limit: MAX_INPUT_LEN
        })
    );
    assert_eq!(
        parse_with(b"[1, 2]", ParseOptions::default().max_input_len(5)),
        Err(ParseError::InputTooLarge { len: 6, limit: 5 })
    );
}

#[test]
fn object_model_follows_js_assignment() {
    let mut o = Object::new();
    assert_eq!(o.insert("b", 1), None);
    o.insert("a", 2);
    o.insert("10", 3);
    o.insert("2", 4);
    assert_eq!(o.insert("b", "x"), Some(Value::Number(1.0)));
    let keys: Vec<String> = o.keys().map(ToString::to_string).collect();
    assert_eq!(keys, ["2", "10", "b", "a"]);
    assert_eq!(o.remove("2"), Some(Value::Number(4.0)));
    assert!(!o.contains_key("2"));
    assert_eq!(o.get_index(0).map(|(k, _)| k == "10"), Some(true));
    let collected: Object = [("z", Value::Null), ("1", Value::Bool(true))]
        .into_iter()
        .collect();
    assert_eq!(
        Value::from(collected).to_compact_string(),
        r#"{"1":true,"z":null}"#
    );
    let back: Vec<(JsString, Value)> = o.clone().into_iter().collect();
    assert_eq!(back.len(), 3);
    if let Some(v) = o.get_mut("a") {
        *v = Value::Array(vec![]);
    }
    assert_eq!(
        Value::Object(o).to_compact_string(),
        r#"{"10":3,"b":"x","a":[]}"#
    );
}

#[test]
fn without_key_and_caller_buffers() {
    let v =
        parse(br#"{"previous":null,"content":{"signature":1},"signature":"s"}"#).expect("valid");
    let unsigned = v.signing().without_key("signature");
    let want = "{\n  \"previous\": null,\n  \"content\": {\n    \"signature\": 1\n  }\n}";
    assert_eq!(unsigned.into_string(), want);
    assert_eq!(unsigned.utf8_len(), want.len());
    assert_eq!(unsigned.to_string(), want); // Display
    let mut buf = vec![0u8; want.len()];
    assert_eq!(unsigned.write_to_slice(&mut buf), Ok(want.len()));
    assert_eq!(buf, want.as_bytes());
    let mut short = vec![0u8; want.len() - 1];
    assert_eq!(
        unsigned.write_to_slice(&mut short),
        Err(EncodeError::BufferTooSmall {
            required: want.len()
        })
    );
    let mut out = b"prefix:".to_vec();
    unsigned.with_style(Style::Compact).append_to(&mut out);
    assert_eq!(
        out,
        br#"prefix:{"previous":null,"content":{"signature":1}}"#
    );
    // Only key of an object omitted: `{}` like JS after `delete`.
    let one = parse(br#"{"signature":1}"#).expect("valid");
    assert_eq!(one.signing().without_key("signature").into_string(), "{}");
    // Not an object: no effect.
    assert_eq!(Value::Null.signing().without_key("x").into_string(), "null");
}

#[test]
fn utf16_and_latin1_hash() {
    let s = "aß€😀\u{2028}";
    assert_eq!(utf16_len(s), s.encode_utf16().count());
    let expect: Vec<u8> = s.encode_utf16().map(|u| u as u8).collect();
    assert_eq!(legacy_hash_bytes(s).collect::<Vec<_>>(), expect);
    let v = Value::from(s);
    let summary = v.signing().legacy_summary();
    let text = v.to_signing_string();
    assert_eq!(summary.utf16_len, utf16_len(&text));
    assert_eq!(summary.utf8_len, text.len());
    assert_eq!(summary.legacy_sha256, legacy_sha256(&text));
    assert_eq!(v.signing().legacy_sha256(), legacy_sha256(&text));
}

#[test]
fn digest_message_2_id_and_lengths() {
    // docs/PROTOCOL.md §9.3, message 2: non-ASCII, so the latin1 hash differs from UTF-8's.
    let author = "@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.ed25519";
    let content = r#"{"type":"test","b":[],"a":{},"10":"ten","2":"two","x":[1,{"y":null}],"s":"\u00df\u20ac\ud83d\ude00\n\t\"\\\u0001","n":[1e21,1e20,1e-7,0.000001,100,1.5,123.456e5]}"#;
    let msg = format!(
        r#"{{"previous":"%mFeoIDeddAIGwvGNuchZtlNbyVbkc5stlbHtOPfu0d0=.sha256","author":"{author}","sequence":2,"timestamp":1514517078157.5,"hash":"sha256","content":{content},"signature":"KVB0VbFMupirNmBqDCXBQK2Nie0nxMBU6mG/mnH8QEAlirLzLBehEYKHazkPObGQeDTU8nAmTqPYrZV8cfOSDg==.sig.ed25519"}}"#
    );
    let v = parse_strict(msg.as_bytes()).expect("valid");
    let s = v.signing().legacy_summary();
    assert_eq!((s.utf16_len, s.utf8_len), (644, 649));
    // %Yw3JqwuZ1zcxcbxJyZo7uHvtnZVGyveRoft37ckm8I0=.sha256
    assert_eq!(s.legacy_sha256[..6], [0x63, 0x0d, 0xc9, 0xab, 0x0b, 0x99]);
    let o = v.as_object().expect("object");
    assert_eq!(o.signing().without_key("signature").utf8_len(), 530);
}

#[test]
fn js_string_utf16_round_trip() {
    for units in [
        &[][..],
        &[0x61],
        &[0xd800],
        &[0xdc00, 0xd800],
        &[0xd83d, 0xde00],
        &[0xd800, 0xd800, 0xdc00],
    ] {
        let s = JsString::from_utf16(units);
        assert_eq!(s.encode_utf16().collect::<Vec<_>>(), units);
        assert_eq!(s.utf16_len(), units.len());
        let json = Value::String(s.clone()).to_compact_string();
        assert_eq!(parse(json.as_bytes()).ok(), Some(Value::String(s)));
    }
}
