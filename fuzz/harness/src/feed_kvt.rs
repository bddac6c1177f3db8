use ssb_feed::{FeedError, Item, Kvt, Message, SignCap, Validator, validate_feeds};
use ssb_legacy_json::Value;

/// What must agree between two results (a NaN timestamp is unequal to itself).
fn view(r: &Result<Message, FeedError>) -> Result<(String, i64, u64, String), FeedError> {
    r.clone().map(|m| {
        (
            m.id().to_string(),
            m.sequence(),
            m.timestamp().to_bits(),
            m.value().to_compact_string(),
        )
    })
}

/// `ssb-feed` KVT handling on arbitrary bytes: `Kvt::from_value` never panics, splits off
/// exactly the `key`, `value` and `timestamp` of what it accepts and hands back unchanged
/// what it refuses; validating the KVT (in order or partial) never panics and gives the
/// same result from bytes, from a parsed value and through `Validator::append_kvt`.
pub fn feed_kvt(data: &[u8]) {
    let Some((&flags, json)) = data.split_first() else {
        return;
    };
    let partial = flags & 1 != 0;
    let Ok(v) = ssb_legacy_json::parse(json) else {
        return;
    };
    let direct = match Kvt::from_value(v.clone()) {
        Ok(kvt) => {
            let Value::Object(o) = &v else {
                panic!("a KVT from a non-object");
            };
            assert!(!o.contains_key("author"));
            assert_eq!(Some(&kvt.key), o.get("key"));
            assert_eq!(Some(&kvt.value), o.get("value"));
            assert!(matches!(kvt.value, Value::Object(_)));
            assert_eq!(
                kvt.timestamp.map(f64::to_bits),
                o.get("timestamp").and_then(Value::as_f64).map(f64::to_bits)
            );
            Validator::new(SignCap::None).append_kvt(kvt, partial)
        }
        Err(back) => {
            assert_eq!(back, v, "a refused item comes back unchanged");
            let mut validator = Validator::new(SignCap::None);
            if partial {
                validator.append_partial_value(back)
            } else {
                validator.append_value(back)
            }
        }
    };
    let from_bytes = validate_feeds(
        &mut Validator::new(SignCap::None),
        vec![Item::Bytes(json.to_vec())],
        partial,
    );
    let from_value = validate_feeds(
        &mut Validator::new(SignCap::None),
        vec![Item::Value(v)],
        partial,
    );
    assert_eq!(from_bytes.len(), 1);
    assert_eq!(view(&from_bytes[0]), view(&direct));
    assert_eq!(view(&from_value[0]), view(&direct));
}
