use ssb_feed::{SignCap, Validator, validate_message, verify_message};

/// `ssb-feed` validation on arbitrary bytes: never a panic; what validates out of order
/// validates again, with the same id, from its own signing encoding whenever that encoding
/// parses back to the same value (it does not for non-finite numbers: `1e400` re-encodes as
/// `null`, exactly as in JS).
pub fn feed_validate(data: &[u8]) {
    let _ = validate_message(None, data, &SignCap::None);
    if let Ok(m) = verify_message(data, &SignCap::None) {
        let wire = m.to_signing_string();
        if ssb_legacy_json::parse(wire.as_bytes()).ok().as_ref() == Some(m.value()) {
            let again = verify_message(wire.as_bytes(), &SignCap::None)
                .expect("re-encoded message validates");
            assert_eq!(again.id(), m.id());
        }
    }
    let mut v = Validator::new(SignCap::None);
    let _ = v.append(data);
}
