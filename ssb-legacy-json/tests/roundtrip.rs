//! Property tests: round trips through both encodings, idempotence, and totality of the
//! parser on arbitrary bytes.

mod common;

use proptest::prelude::*;
use ssb_legacy_json::{MAX_DEPTH, Value, parse, parse_strict};

/// Replaces what JSON cannot carry (∞ → null, as JS does) so values can be compared.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Number(n) if !n.is_finite() => Value::Null,
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        other => other.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn signing_and_compact_round_trip(text in common::json_text(MAX_DEPTH - 8)) {
        if let Ok(v) = parse(&text) {
            let want = normalize(&v);
            let signing = v.to_signing_string();
            let compact = v.to_compact_string();
            let from_signing = parse(signing.as_bytes()).expect("signing form parses");
            let from_compact = parse(compact.as_bytes()).expect("compact form parses");
            prop_assert_eq!(&from_signing, &want);
            prop_assert_eq!(&from_compact, &want);
            prop_assert_eq!(from_signing.to_signing_string(), signing);
            prop_assert_eq!(from_compact.to_compact_string(), compact);
        }
    }

    #[test]
    fn strict_round_trip_is_exact(text in common::json_text(MAX_DEPTH - 8)) {
        if let Ok(v) = parse_strict(&text) {
            let signing = v.to_signing_string();
            let again = parse_strict(signing.as_bytes());
            prop_assert_eq!(again.as_ref(), Ok(&v));
            let compact = parse_strict(v.to_compact_string().as_bytes());
            prop_assert_eq!(compact.as_ref(), Ok(&v));
            let js = parse(&text);
            prop_assert_eq!(js.as_ref(), Ok(&v));
        }
    }

    /// The entry points that count or stop early agree with the full encoding: lengths are
    /// its lengths, a bounded write is the encoding or nothing (exactly when it fits), a
    /// short slice reports the full size.
    #[test]
    fn bounded_and_counted_encodings_agree_with_the_full_one(
        text in common::json_text(MAX_DEPTH - 8),
        cut in 0.0..1.2f64,
        prefix in prop::collection::vec(any::<u8>(), 0..4),
    ) {
        if let Ok(v) = parse(&text) {
            for enc in [v.signing(), v.compact()] {
                let full = enc.to_vec();
                prop_assert_eq!(enc.utf8_len(), full.len());
                let units = std::str::from_utf8(&full).expect("UTF-8").encode_utf16().count();
                prop_assert_eq!(enc.utf16_len(), units);
                let limit = (full.len() as f64 * cut) as usize;
                let mut out = prefix.clone();
                let r = enc.append_bounded(&mut out, limit);
                if full.len() <= limit {
                    prop_assert_eq!(r, Ok(full.len()));
                    prop_assert_eq!(&out[prefix.len()..], &full[..]);
                } else {
                    prop_assert_eq!(r, Err(ssb_legacy_json::EncodeError::LimitExceeded { limit }));
                    prop_assert_eq!(&out, &prefix);
                }
                prop_assert_eq!(&out[..prefix.len()], &prefix[..]);
                let mut buf = vec![0u8; limit];
                let r = enc.write_to_slice(&mut buf);
                if full.len() <= limit {
                    prop_assert_eq!(r, Ok(full.len()));
                    prop_assert_eq!(&buf[..full.len()], &full[..]);
                } else {
                    prop_assert_eq!(
                        r,
                        Err(ssb_legacy_json::EncodeError::BufferTooSmall { required: full.len() })
                    );
                }
            }
        }
    }

    #[test]
    fn parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse(&bytes);
        let _ = parse_strict(&bytes);
    }

    #[test]
    fn parse_never_panics_on_json_like_bytes(
        bytes in prop::collection::vec(prop::sample::select(&b"{}[]\",:\\u0123456789abcdefABCDEF.eE+-tn \t\n\xc3\xa9\xed\xa0\x80\xf0\x9f\x98\x80\x00"[..]), 0..128)
    ) {
        let _ = parse(&bytes);
        let _ = parse_strict(&bytes);
    }
}
