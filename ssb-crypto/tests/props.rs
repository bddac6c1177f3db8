//! Property tests: round trips, canonical uniqueness, and totality on arbitrary input.

use proptest::prelude::*;
use ssb_crypto::{
    BlobId, FeedId, Keypair, MsgId, Multiaddress, NetworkKey, PublicKey, base64, parse_secret_file,
    write_secret_file,
};

fn id_like() -> impl Strategy<Value = String> {
    // Mostly near-valid ids, so the strict rules are exercised, plus arbitrary text.
    prop_oneof![
        (any::<[u8; 32]>(), 0usize..3).prop_map(|(b, k)| {
            let s = ["@", "%", "&"][k];
            let suffix = [".ed25519", ".sha256", ".sha256"][k];
            format!("{s}{}{suffix}", base64::encode(&b))
        }),
        "[@%&][A-Za-z0-9+/=_ -]{40,46}\\.(ed25519|sha256|ED25519)",
        ".{0,60}",
    ]
}

proptest! {
    #[test]
    fn ids_round_trip(bytes in any::<[u8; 32]>()) {
        let f = FeedId(PublicKey(bytes));
        prop_assert_eq!(f.to_string().parse::<FeedId>(), Ok(f));
        let m = MsgId(bytes);
        prop_assert_eq!(m.to_string().parse::<MsgId>(), Ok(m));
        let b = BlobId(bytes);
        prop_assert_eq!(b.to_string().parse::<BlobId>(), Ok(b));
        prop_assert_eq!(f.to_string().len(), FeedId::TEXT_LEN);
        prop_assert_eq!(m.to_string().len(), MsgId::TEXT_LEN);
    }

    /// Parsing is total, and accepts exactly one spelling per id (the one we print).
    #[test]
    fn id_parsing_is_total_and_canonical(text in id_like()) {
        if let Ok(id) = text.parse::<FeedId>() {
            prop_assert_eq!(id.to_string(), text.clone());
        }
        if let Ok(id) = text.parse::<MsgId>() {
            prop_assert_eq!(id.to_string(), text.clone());
        }
        if let Ok(id) = text.parse::<BlobId>() {
            prop_assert_eq!(id.to_string(), text.clone());
        }
    }

    #[test]
    fn base64_is_canonical(text in "[A-Za-z0-9+/=_-]{0,12}") {
        if let Ok(bytes) = base64::decode_vec(&text) {
            prop_assert_eq!(base64::encode(&bytes), text);
        }
    }

    #[test]
    fn keys_sign_verify_and_secret_file_round_trip(seed in any::<[u8; 32]>(), msg in proptest::collection::vec(any::<u8>(), 0..200)) {
        let kp = Keypair::from_seed(&seed);
        let sig = kp.sign(&msg);
        prop_assert!(kp.public().verify(&msg, &sig).is_ok());
        let mut other = msg.clone();
        other.push(0);
        prop_assert!(kp.public().verify(&other, &sig).is_err());
        let text = write_secret_file(&kp);
        let back = parse_secret_file(&text).unwrap();
        prop_assert_eq!(back.public(), kp.public());
        prop_assert_eq!(&*back.seed(), &*kp.seed());
        // Converted keys agree: DH(sk_to_curve(a), pk_to_curve(B)) == DH(sk_to_curve(b), pk_to_curve(A)).
        let kp2 = Keypair::from_seed(&[seed[0] ^ 0x55; 32]);
        let ab = kp.to_curve_secret().diffie_hellman(&kp2.public().to_curve().unwrap()).unwrap();
        let ba = kp2.to_curve_secret().diffie_hellman(&kp.public().to_curve().unwrap()).unwrap();
        prop_assert_eq!(ab.as_bytes(), ba.as_bytes());
    }

    /// Any single-character change to a secret file either keeps the same key or is refused;
    /// never a panic, never another key.
    #[test]
    fn mutated_secret_files_never_yield_another_key(seed in any::<[u8; 32]>(), pos in any::<prop::sample::Index>(), c in any::<char>()) {
        let kp = Keypair::from_seed(&seed);
        let text = write_secret_file(&kp);
        let mut chars: Vec<char> = text.chars().collect();
        let i = pos.index(chars.len());
        chars[i] = c;
        let mutated: String = chars.into_iter().collect();
        if let Ok(k) = parse_secret_file(&mutated) {
            prop_assert_eq!(k.public(), kp.public());
        }
    }

    #[test]
    fn secret_file_parser_is_total(text in ".{0,300}") {
        let _ = parse_secret_file(&text);
    }

    #[test]
    fn multiaddress_round_trips(text in "[a-z]{2,4}(:[\"-9<-}!~:;]{0,8}){0,3}(~[a-z]{2,4}(:[a-zA-Z0-9+/=!:]{0,8}){0,2}){0,2}(;[a-z]{2,3}:[0-9]{1,5})?") {
        if let Ok(m) = text.parse::<Multiaddress>() {
            let printed = m.to_string();
            prop_assert_eq!(printed.parse::<Multiaddress>(), Ok(m));
        }
    }

    #[test]
    fn address_and_network_key_parsers_are_total(text in ".{0,100}") {
        if let Ok(m) = text.parse::<Multiaddress>() {
            for a in &m.addresses {
                let _ = a.net_shs();
            }
        }
        let _ = text.parse::<NetworkKey>();
    }
}

#[test]
fn net_shs_typed_view() {
    let key = "VJM7w1W19ZsKmG2KnfaoKIM66BRoreEkzaVm/J//wl8=";
    let m: Multiaddress = format!("net:fe80::1:8008~shs:{key};net:one.butt.nz:8008~shs:{key}")
        .parse()
        .unwrap();
    let a = m.addresses[0].net_shs().unwrap();
    assert_eq!(a.host.to_string(), "fe80::1");
    assert!(matches!(a.host, ssb_crypto::Host::Ipv6(_)));
    assert_eq!(a.port, 8008);
    assert_eq!(a.to_string(), format!("net:fe80::1:8008~shs:{key}"));
    let b = m.addresses[1].net_shs().unwrap();
    assert_eq!(b.host, ssb_crypto::Host::Name("one.butt.nz".into()));
}
