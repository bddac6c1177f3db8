//! `ssb-feed` validation on arbitrary bytes: never a panic; what validates out of order has
//! the id of its own signing encoding, and validates again from that encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssb_feed::{SignCap, Validator, validate_message, verify_message};

fuzz_target!(|data: &[u8]| {
    let _ = validate_message(None, data, &SignCap::None);
    if let Ok(m) = verify_message(data, &SignCap::None) {
        let wire = m.to_signing_string();
        let again = verify_message(wire.as_bytes(), &SignCap::None).expect("re-encoded message validates");
        assert_eq!(again.id(), m.id());
    }
    let mut v = Validator::new(SignCap::None);
    let _ = v.append(data);
});
