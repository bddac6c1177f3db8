//! Property tests: sign → validate round trips, and single-byte changes.

use proptest::prelude::*;
use ssb_crypto::Keypair;
use ssb_feed::{SignCap, Validator, create_message, validate_batch, validate_message};
use ssb_legacy_json::{Object, Value};

fn content_strategy() -> impl Strategy<Value = Value> {
    (
        "[a-z]{3,12}",
        ".{0,40}",
        any::<f64>(),
        proptest::collection::vec((r"[0-9]{1,3}|[a-z]{1,4}", ".{0,8}"), 0..4),
    )
        .prop_map(|(ty, text, num, extra)| {
            let mut o = Object::new();
            o.insert("type", ty.as_str());
            o.insert("text", text.as_str());
            o.insert("n", if num.is_finite() { num } else { 0.5 });
            for (k, v) in extra {
                o.insert(k.as_str(), v.as_str());
            }
            Value::Object(o)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn created_feeds_validate(seed in any::<[u8; 32]>(), contents in proptest::collection::vec(content_strategy(), 1..6), ts in 0.0f64..2e12, hmac in any::<Option<[u8; 32]>>()) {
        let keys = Keypair::from_seed(&seed);
        let cap = hmac.map_or(SignCap::None, |k| SignCap::Hmac(ssb_feed::HmacKey(k)));
        let mut state = None;
        let mut wires = Vec::new();
        let mut ids = Vec::new();
        for (i, c) in contents.into_iter().enumerate() {
            let m = create_message(&keys, state.as_ref(), c, ts + i as f64, &cap).unwrap();
            state = Some(m.state());
            wires.push(m.to_signing_string());
            ids.push(m.id());
        }
        let mut v = Validator::new(cap);
        for (w, id) in wires.iter().zip(&ids) {
            prop_assert_eq!(v.append(w.as_bytes()).unwrap().id(), *id);
        }
        let refs: Vec<&[u8]> = wires.iter().map(|w| w.as_bytes()).collect();
        let batch = validate_batch(None, &refs, &cap);
        prop_assert!(batch.error.is_none());
        prop_assert_eq!(batch.messages.iter().map(|m| m.id()).collect::<Vec<_>>(), ids);
        // On another network (or the main one), nothing verifies.
        let other = if hmac.is_some() { SignCap::None } else { SignCap::Hmac(ssb_feed::HmacKey([7; 32])) };
        prop_assert_eq!(validate_message(None, wires[0].as_bytes(), &other).unwrap_err().code(), "signature_invalid");
    }

    /// A single-byte change either leaves the message the same value (whitespace, say: then
    /// it is the same message, valid with the same id) or is refused or gets another id.
    #[test]
    fn single_byte_changes(seed in any::<[u8; 32]>(), c in content_strategy(), pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let keys = Keypair::from_seed(&seed);
        let m = create_message(&keys, None, c, 1.0, &SignCap::None).unwrap();
        let wire = m.to_signing_string().into_bytes();
        let mut bad = wire.clone();
        let i = pos.index(bad.len());
        bad[i] = byte;
        let same_value = ssb_legacy_json::parse(&bad).ok().is_some_and(|v| v == *m.value());
        match validate_message(None, &bad, &SignCap::None) {
            Ok(v) if same_value => prop_assert_eq!(v.id(), m.id()),
            Ok(v) => prop_assert_ne!(v.id(), m.id(), "changed byte {} to {:#x} and kept the id", i, byte),
            Err(_) => {}
        }
    }

    /// Validation is total: arbitrary bytes never panic.
    #[test]
    fn validation_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = validate_message(None, &bytes, &SignCap::None);
        let mut v = Validator::new(SignCap::None);
        let _ = v.append_ooo(&bytes);
    }
}
