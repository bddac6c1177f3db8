//! No secret reaches `Debug` output: the secret's bytes (not a word like "seed") are searched
//! for in the forms a careless `Debug` would print them: lower- and upper-case hex, standard
//! and url-safe base64 (padded or not), and the decimal and hex array forms of `{:?}` and
//! `{:x?}`; whole, and in 8-byte pieces (6-byte pieces for base64, which only line up at
//! multiples of 3), so a partial leak is caught too; whitespace is ignored, so `{:#?}`'s
//! one element per line is no hiding place.

use ssb_crypto::{CurveSecretKey, Keypair};

/// The text forms of `bytes` that a leaking `Debug` could contain.
fn forms(bytes: &[u8]) -> Vec<String> {
    let hex = ssb_crypto::hex::encode(bytes);
    let b64 = ssb_crypto::base64::encode(bytes);
    let url = b64.replace('+', "-").replace('/', "_");
    let dec = |sep: &str| {
        bytes
            .iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(sep)
    };
    let hexlist: Vec<String> = bytes.iter().map(|b| format!("{b:x}")).collect();
    vec![
        hex.clone(),
        hex.to_uppercase(),
        b64.clone(),
        b64.trim_end_matches('=').to_owned(),
        url.trim_end_matches('=').to_owned(),
        dec(", "),
        dec(","),
        hexlist.join(", "),
    ]
}

/// Fails if any form of `secret`, or of any 8-byte piece of it, appears in `debug`.
fn assert_redacted(what: &str, debug: &str, secret: &[u8]) {
    assert!(secret.len() >= 16, "{what}: test a real secret");
    let mut needles = forms(secret);
    for piece in secret.chunks(8).filter(|p| p.len() == 8) {
        let f = forms(piece);
        // Base64 of a piece only appears inside the whole's base64 at 3-byte alignment.
        needles.extend(
            f.into_iter()
                .enumerate()
                .filter(|(i, _)| !(2..5).contains(i))
                .map(|(_, s)| s),
        );
    }
    for piece in secret.chunks(6).filter(|p| p.len() == 6) {
        needles.push(ssb_crypto::base64::encode(piece));
    }
    // Pretty `{:#?}` puts one array element per line: search a copy without whitespace too.
    let squeezed: String = debug.chars().filter(|c| !c.is_whitespace()).collect();
    for n in &needles {
        let n_squeezed: String = n.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            !debug.contains(n.as_str()) && !squeezed.contains(&n_squeezed),
            "{what}: Debug {debug:?} contains {n:?}"
        );
    }
}

/// A seed with 32 distinct bytes, so that no form of it is a run of one character.
fn seed() -> [u8; 32] {
    core::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11))
}

#[test]
fn the_forms_catch_a_leak() {
    // The check itself must be able to fail: each form of a secret is found in a Debug that
    // prints it that way.
    let s = seed();
    for f in forms(&s) {
        let leaky = format!("Keypair {{ secret: {f} }}");
        let r = std::panic::catch_unwind(|| assert_redacted("leaky", &leaky, &s));
        assert!(r.is_err(), "form {f:?} not caught");
    }
    let r = std::panic::catch_unwind(|| assert_redacted("leaky", &format!("{s:?}"), &s));
    assert!(r.is_err());
    let r = std::panic::catch_unwind(|| assert_redacted("leaky", &format!("{:#?}", &s[8..16]), &s));
    assert!(r.is_err(), "an 8-byte piece, pretty-printed");
}

#[test]
fn keypair_debug_holds_no_secret_bytes() {
    let kp = Keypair::from_seed(&seed());
    let debug = format!("{kp:?}");
    let pretty = format!("{kp:#?}");
    for d in [&debug, &pretty] {
        assert_redacted("Keypair seed", d, &seed());
        assert_redacted("Keypair curve secret", d, &*kp.to_curve_secret().to_bytes());
    }
    // What it does show: the public key, so a key pair can still be told apart.
    assert!(debug.contains(&kp.feed_id().to_string()), "{debug}");
}

#[test]
fn curve_secrets_debug_hold_no_secret_bytes() {
    let ours = CurveSecretKey::from_bytes(seed());
    assert_redacted("CurveSecretKey", &format!("{ours:?} {ours:#?}"), &seed());
    let theirs = Keypair::from_seed(&[7; 32]).to_curve_secret().public_key();
    let shared = ours.diffie_hellman(&theirs).expect("a contributory DH");
    assert_redacted(
        "SharedSecret",
        &format!("{shared:?} {shared:#?}"),
        shared.as_bytes(),
    );
}
