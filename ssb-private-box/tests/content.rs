//! The feed-content layer: `box_content` / `unbox_content` inside messages signed by
//! `ssb-feed`, and our stricter reading of the box text (a labelled policy: see `quirks`).

use rand_core::OsRng;
use ssb_crypto::{ConversionError, CurveSecretKey, FeedId, Keypair, PublicKey};
use ssb_feed::{SignCap, create_message, validate_message};
use ssb_legacy_json::{Value, parse};
use ssb_private_box::{
    BOX_SUFFIX, BoxSecrets, MaxRecipients, OpenError, SealError, UnboxError, box_content,
    box_content_with_rng, decode_box_text, encode_box_text, seal, unbox_content,
};

fn keys(i: u8) -> Keypair {
    Keypair::from_seed(&[i; 32])
}

#[test]
fn private_messages_in_a_signed_feed() {
    let author = keys(1);
    let friends = [author.feed_id(), keys(2).feed_id(), keys(3).feed_id()];
    let mut state = None;
    for i in 0..3 {
        let content = parse(
            format!(
                r#"{{"type":"post","text":"secret {i} ü😀","recps":["{}","{}"]}}"#,
                friends[0], friends[1]
            )
            .as_bytes(),
        )
        .unwrap();
        let text = box_content_with_rng(&content, &friends[..2 + i % 2], &mut OsRng).unwrap();
        let msg = create_message(
            &author,
            state.as_ref(),
            Value::from(text.as_str()),
            1_600_000_000_000.0 + f64::from(i as u32),
            &SignCap::None,
        )
        .unwrap();
        let raw = msg.value().to_signing_string();
        let valid = validate_message(state.as_ref(), raw.as_bytes(), &SignCap::None).unwrap();
        state = Some(valid.state());
        let boxed = valid.content().and_then(Value::as_str).unwrap();
        assert_eq!(boxed, text);
        assert_eq!(
            unbox_content(boxed, &keys(2)).unwrap(),
            Some(content.clone())
        );
        assert_eq!(
            unbox_content(boxed, &author).unwrap(),
            Some(content.clone())
        );
        let third = unbox_content(boxed, &keys(3)).unwrap();
        assert_eq!(third.is_some(), i % 2 == 1);
        assert_eq!(unbox_content(boxed, &keys(9)).unwrap(), None);
    }
}

#[test]
fn the_plaintext_is_compact_json() {
    let content = parse(br#"{ "b" : 1.50, "a" : [ ], "1": "x" }"#).unwrap();
    let secrets = BoxSecrets::new(CurveSecretKey::from_bytes([1; 32]), [2; 32], [3; 24]);
    let text = box_content(&content, &[keys(4).feed_id()], &secrets).unwrap();
    let boxed = decode_box_text(&text).unwrap();
    let pt = ssb_private_box::open(&boxed, &keys(4).to_curve_secret())
        .unwrap()
        .unwrap();
    assert_eq!(pt, br#"{"1":"x","b":1.5,"a":[]}"#);
    assert_eq!(encode_box_text(&boxed), text);
}

#[test]
fn recipients_must_convert() {
    // y = 1: the identity point, of small order.
    let mut small = [0u8; 32];
    small[0] = 1;
    let bad = FeedId::from(PublicKey(small));
    assert_eq!(
        box_content_with_rng(&Value::Null, &[keys(1).feed_id(), bad], &mut OsRng),
        Err(SealError::InvalidRecipient {
            index: 1,
            reason: ConversionError::SmallOrder
        })
    );
    assert_eq!(
        box_content_with_rng(&Value::Null, &[], &mut OsRng),
        Err(SealError::NoRecipients)
    );
    let eight: Vec<_> = (0..8).map(|i| keys(i).feed_id()).collect();
    assert_eq!(
        box_content_with_rng(&Value::Null, &eight, &mut OsRng),
        Err(SealError::TooManyRecipients { count: 8, max: 7 })
    );
}

#[test]
fn box_text_is_read_strictly() {
    let me = keys(5);
    let text = box_content_with_rng(&Value::from(1.0), &[me.feed_id()], &mut OsRng).unwrap();
    let b64 = text.strip_suffix(BOX_SUFFIX).unwrap();
    // JS strips everything from the first `.`; we want exactly `.box`.
    assert_eq!(unbox_content(b64, &me), Err(UnboxError::MissingSuffix));
    assert_eq!(
        unbox_content(&format!("{b64}.box2"), &me),
        Err(UnboxError::MissingSuffix)
    );
    // JS decodes leniently; we want canonical base64.
    assert!(matches!(
        unbox_content(&format!("{}.box", b64.trim_end_matches('=')), &me),
        Err(UnboxError::Base64(_))
    ));
    assert!(matches!(
        unbox_content(&format!(" {b64}.box"), &me),
        Err(UnboxError::Base64(_))
    ));
    assert_eq!(unbox_content(&text, &me), Ok(Some(Value::from(1.0))));
    // A box that opens to something that is not JSON, and one too short to be a box.
    let boxed = seal(
        b"not json",
        &[me.public().to_curve().unwrap()],
        MaxRecipients::DEFAULT,
        &BoxSecrets::generate(&mut OsRng),
    )
    .unwrap();
    let e = unbox_content(&encode_box_text(&boxed), &me).unwrap_err();
    assert!(matches!(e, UnboxError::Json(_)));
    assert_eq!(e.code(), "json");
    assert_eq!(
        unbox_content(&encode_box_text(&boxed[..100]), &me),
        Err(UnboxError::Open(OpenError::TooShort { len: 100 }))
    );
}
