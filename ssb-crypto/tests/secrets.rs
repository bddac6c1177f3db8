//! Secrets are not printed by `Debug` and compare by value (constant-time `==`).

use ssb_crypto::{InviteSeed, Multiaddress, NetShs, NetworkKey, base64};

/// Every form in which `Debug` output could reveal `secret`: lower and upper hex, base64, and
/// the decimal array `[a, b, …]` that a derived `Debug` of a byte array prints (also the
/// first eight bytes alone, which catches a truncated dump).
fn leaks(debug: &str, secret: &[u8]) -> Option<String> {
    let hex = ssb_crypto::hex::encode(secret);
    let decimal = format!("{secret:?}");
    let decimal_head = format!("{:?}", &secret[..8]);
    let decimal_head = decimal_head.trim_end_matches(']');
    [
        hex.clone(),
        hex.to_uppercase(),
        base64::encode(secret),
        decimal,
        decimal_head.to_owned(),
    ]
    .into_iter()
    .find(|form| debug.contains(form.as_str()))
}

/// A private network key whose bytes are all distinct, so every form above is recognisable.
fn private_key() -> NetworkKey {
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = 0x40 + u8::try_from(i).unwrap_or(0);
    }
    NetworkKey(k)
}

#[test]
fn network_key_debug_shows_no_key_bytes() {
    let key = private_key();
    let dbg = format!("{key:?}");
    assert_eq!(leaks(&dbg, &key.0), None, "{dbg}");
    assert_eq!(dbg, "NetworkKey(..)");
    // The main network's key is public (ssb-caps), and naming it helps debugging.
    assert_eq!(
        format!("{:?}", NetworkKey::MAIN_NET),
        "NetworkKey(MAIN_NET)"
    );
    // Display is the configuration form and does print the key.
    assert_eq!(key.to_string(), base64::encode(&key.0));
}

#[test]
fn network_key_equality_is_by_value() {
    assert_eq!(private_key(), private_key());
    assert_ne!(private_key(), NetworkKey::MAIN_NET);
    for i in 0..32 {
        let mut other = private_key();
        other.0[i] ^= 1;
        assert_ne!(private_key(), other, "byte {i}");
    }
}

#[test]
fn invite_seed_is_not_printed_by_netshs_debug() {
    let seed: [u8; 32] = core::array::from_fn(|i| 0x90 + u8::try_from(i).unwrap_or(0));
    let key = [7u8; 32];
    let text = format!(
        "net:example.org:8008~shs:{}:{}",
        base64::encode(&key),
        base64::encode(&seed)
    );
    let addr: Multiaddress = text.parse().expect("a valid invite address");
    let shs: NetShs = addr.addresses[0].net_shs().expect("net~shs with a seed");
    assert_eq!(shs.seed, Some(InviteSeed(seed)));
    for dbg in [
        format!("{shs:?}"),
        format!("{shs:#?}"),
        format!("{:?}", shs.seed),
    ] {
        assert_eq!(leaks(&dbg, &seed), None, "{dbg}");
        assert!(dbg.contains("InviteSeed(..)"), "{dbg}");
    }
    // The address form keeps the seed: an invite must round-trip.
    assert_eq!(shs.to_address().to_string(), text);
    let mut other = seed;
    other[31] ^= 0x80;
    assert_ne!(shs.seed, Some(InviteSeed(other)));
}
