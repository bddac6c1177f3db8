//! Round trips, limits, errors and the constant-work slot search, checked against a plain
//! re-statement of JS `multibox_open` (first slot that opens, body after `count` slots) built
//! on `ssb_crypto::secretbox::open`.

use proptest::prelude::*;
use ssb_crypto::{CurvePublicKey, CurveSecretKey, Keypair, secretbox};
use ssb_private_box::{
    BoxSecrets, BufferTooSmall, MIN_BOX_LEN, MaxRecipients, OpenError, SealError, UnboxKey,
    boxed_len, open, open_batch, open_body, open_body_into, open_key, open_key_with_max,
    open_with_max, plaintext_len, seal, seal_into,
};

fn keys(i: u8) -> Keypair {
    Keypair::from_seed(&[i; 32])
}

fn curve(i: u8) -> CurvePublicKey {
    keys(i).public().to_curve().expect("convertible")
}

fn secrets(tag: u8) -> BoxSecrets {
    BoxSecrets::new(
        CurveSecretKey::from_bytes([tag; 32]),
        [tag.wrapping_add(1); 32],
        [tag.wrapping_add(2); 24],
    )
}

/// JS `multibox_open_key` + `multibox_open_body`, written out plainly (variable time):
/// `None` for "nothing opened" and for everything JS would throw on.
fn reference_open(boxed: &[u8], sk: &CurveSecretKey, max: usize) -> Option<(u8, Vec<u8>)> {
    let nonce: [u8; 24] = boxed.get(..24)?.try_into().ok()?;
    let epk: [u8; 32] = boxed.get(24..56)?.try_into().ok()?;
    let shared = sk.diffie_hellman(&CurvePublicKey(epk)).ok()?;
    for i in 0..=max {
        let s = 56 + 49 * i;
        if s + 49 > boxed.len().checked_sub(16)? {
            return None;
        }
        if let Ok(ck) = secretbox::open(shared.as_bytes(), &nonce, &boxed[s..s + 49]) {
            let count = ck[0];
            let key: [u8; 32] = ck[1..].try_into().ok()?;
            let body = boxed.get(56 + 49 * usize::from(count)..)?;
            return secretbox::open(&key, &nonce, body).ok().map(|p| (count, p));
        }
    }
    None
}

#[test]
fn every_recipient_opens_and_others_do_not() {
    for n in 1..=7u8 {
        let recipients: Vec<_> = (0..n).map(curve).collect();
        let boxed = seal(b"secret", &recipients, MaxRecipients::DEFAULT, &secrets(n)).unwrap();
        assert_eq!(boxed.len(), boxed_len(6, usize::from(n)));
        for i in 0..n {
            let sk = keys(i).to_curve_secret();
            assert_eq!(open(&boxed, &sk).unwrap().as_deref(), Some(&b"secret"[..]));
            let key = open_key(&boxed, &sk).unwrap().expect("a slot opens");
            assert_eq!(key.count(), n);
            assert_eq!(*key.msg_key(), [n.wrapping_add(1); 32]);
        }
        for other in [100, 101] {
            assert_eq!(open(&boxed, &keys(other).to_curve_secret()).unwrap(), None);
            assert_eq!(
                open_key(&boxed, &keys(other).to_curve_secret()).unwrap(),
                None
            );
        }
    }
}

#[test]
fn recipient_limits() {
    let r: Vec<_> = (0..=255u8).map(|i| curve(i % 200)).collect();
    assert_eq!(
        seal(b"x", &[], MaxRecipients::DEFAULT, &secrets(0)),
        Err(SealError::NoRecipients)
    );
    assert_eq!(
        seal(b"x", &r[..8], MaxRecipients::DEFAULT, &secrets(0)),
        Err(SealError::TooManyRecipients { count: 8, max: 7 })
    );
    assert_eq!(
        seal(b"x", &r, MaxRecipients::LIMIT, &secrets(0)),
        Err(SealError::TooManyRecipients {
            count: 256,
            max: 255
        })
    );
    assert_eq!(MaxRecipients::new(0), None);
    assert_eq!(MaxRecipients::default().get(), 7);
    assert_eq!(MaxRecipients::DEFAULT.slots_tried(), 8);
    // 255 recipients under max 255: a default reader reads the first 8 slots only.
    let boxed = seal(b"many", &r[..255], MaxRecipients::LIMIT, &secrets(9)).unwrap();
    for (i, expect) in [(0u8, true), (7, true), (8, false), (199, false)] {
        let sk = keys(i).to_curve_secret();
        assert_eq!(open(&boxed, &sk).unwrap().is_some(), expect, "reader {i}");
        assert_eq!(
            open_with_max(&boxed, &sk, MaxRecipients::LIMIT)
                .unwrap()
                .as_deref(),
            Some(&b"many"[..])
        );
    }
}

#[test]
fn low_order_keys_are_refused() {
    let zero = CurvePublicKey([0; 32]);
    let mut one = [0u8; 32];
    one[0] = 1;
    assert_eq!(
        seal(b"x", &[curve(1), zero], MaxRecipients::DEFAULT, &secrets(1)),
        Err(SealError::LowOrderRecipient { index: 1 })
    );
    let mut boxed = seal(b"x", &[curve(1)], MaxRecipients::DEFAULT, &secrets(1)).unwrap();
    boxed[24..56].copy_from_slice(&one);
    assert_eq!(
        open(&boxed, &keys(1).to_curve_secret()),
        Err(OpenError::LowOrderOneTimeKey)
    );
}

#[test]
fn malformed_boxes_are_errors_not_none() {
    let sk = keys(0).to_curve_secret();
    let boxed = seal(
        b"body",
        &[curve(0), curve(1)],
        MaxRecipients::DEFAULT,
        &secrets(3),
    )
    .unwrap();
    for len in 0..MIN_BOX_LEN {
        assert_eq!(
            open(&boxed[..len.min(boxed.len())], &sk),
            Err(OpenError::TooShort {
                len: len.min(boxed.len())
            })
        );
    }
    // Our slot opens but the body is cut or tampered.
    assert_eq!(
        open(&boxed[..boxed.len() - 1], &sk),
        Err(OpenError::BodyUnauthentic)
    );
    let mut t = boxed.clone();
    *t.last_mut().unwrap() ^= 1;
    assert_eq!(open(&t, &sk), Err(OpenError::BodyUnauthentic));
    // A slot whose count byte points past the end.
    let key = UnboxKey::from_bytes({
        let mut b = [0u8; 33];
        b[0] = 255;
        b
    });
    assert_eq!(
        open_body(&boxed, &key),
        Err(OpenError::CountPastEnd {
            count: 255,
            len: boxed.len()
        })
    );
}

#[test]
fn buffers_too_small_say_how_much() {
    let recipients = [curve(0), curve(1)];
    let need = boxed_len(10, 2);
    let mut out = vec![0u8; need - 1];
    assert_eq!(
        seal_into(
            &[7; 10],
            &recipients,
            MaxRecipients::DEFAULT,
            &secrets(4),
            &mut out
        ),
        Err(SealError::BufferTooSmall(BufferTooSmall { required: need }))
    );
    let mut out = vec![0u8; need + 5];
    let n = seal_into(
        &[7; 10],
        &recipients,
        MaxRecipients::DEFAULT,
        &secrets(4),
        &mut out,
    )
    .unwrap();
    assert_eq!(n, need);
    let boxed = &out[..n];
    let key = open_key(boxed, &keys(1).to_curve_secret())
        .unwrap()
        .unwrap();
    assert_eq!(plaintext_len(boxed, &key), Ok(10));
    let mut pt = [0u8; 9];
    assert_eq!(
        open_body_into(boxed, &key, &mut pt),
        Err(OpenError::BufferTooSmall(BufferTooSmall { required: 10 }))
    );
    assert_eq!(
        open_body_into(boxed, &key, &mut pt).unwrap_err().code(),
        "buffer_too_small"
    );
    let mut pt = [0u8; 10];
    assert_eq!(open_body_into(boxed, &key, &mut pt), Ok(10));
    assert_eq!(pt, [7; 10]);
}

#[test]
fn secrets_are_not_printed() {
    let k = UnboxKey::from_bytes([42; 33]);
    assert_eq!(format!("{k:?}"), "UnboxKey(..)");
    assert_eq!(format!("{:?}", secrets(1)), "BoxSecrets(..)");
    assert_eq!(*k.to_bytes(), [42; 33]);
}

#[test]
fn batch_is_open_per_box() {
    let sk = keys(2).to_curve_secret();
    let mut boxes: Vec<Vec<u8>> = (0..40u8)
        .map(|i| {
            let r = if i % 3 == 0 {
                vec![curve(2), curve(3)]
            } else {
                vec![curve(3)]
            };
            seal(&[i; 5], &r, MaxRecipients::DEFAULT, &secrets(i)).unwrap()
        })
        .collect();
    boxes.push(vec![0; 10]);
    let batch = open_batch(&boxes, &sk, MaxRecipients::DEFAULT);
    assert_eq!(batch.len(), boxes.len());
    for (b, got) in boxes.iter().zip(&batch) {
        assert_eq!(got, &open(b, &sk));
    }
    assert_eq!(
        batch.iter().filter(|r| matches!(r, Ok(Some(_)))).count(),
        14
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any box, any reader, any max: the constant-work search agrees with the plain one.
    #[test]
    fn agrees_with_the_plain_search(
        n in 1usize..12,
        me in 0usize..14,
        max in 1u8..14,
        plaintext in proptest::collection::vec(any::<u8>(), 0..200),
        cut in 0usize..400,
        flip in proptest::option::of((0usize..800, 0u8..8)),
        tag in any::<u8>(),
    ) {
        let recipients: Vec<_> = (0..n).map(|i| curve(i as u8)).collect();
        let seal_max = MaxRecipients::new(n.max(7) as u8).unwrap();
        let mut boxed = seal(&plaintext, &recipients, seal_max, &secrets(tag)).unwrap();
        if let Some((at, bit)) = flip {
            let at = at % boxed.len();
            boxed[at] ^= 1 << bit;
        }
        // A third of the cases cut nothing; the others cut up to 133 bytes off the end.
        let cut = if cut % 3 == 0 { 0 } else { cut / 3 };
        boxed.truncate(boxed.len().saturating_sub(cut));
        let sk = keys(me as u8).to_curve_secret();
        let max = MaxRecipients::new(max).unwrap();
        let ours = open_with_max(&boxed, &sk, max);
        let plain = reference_open(&boxed, &sk, usize::from(max.get()));
        match (&ours, &plain) {
            (Ok(Some(p)), Some((_, q))) => prop_assert_eq!(p, q),
            (Ok(Some(_)), None) => prop_assert!(false, "we opened what JS cannot"),
            (_, Some(_)) => prop_assert!(false, "JS opens what we did not: {:?}", ours),
            (Ok(None) | Err(_), None) => {}
        }
        // Not for us: no slot opened under our key (the plain search agrees on the key too).
        let key = open_key_with_max(&boxed, &sk, max);
        if let Ok(None) = ours {
            prop_assert_eq!(key, Ok(None));
        }
        if me < n && cut == 0 && flip.is_none() && me <= usize::from(max.get()) {
            prop_assert_eq!(ours, Ok(Some(plaintext.clone())));
        }
    }

    #[test]
    fn truncated_at_any_length_never_panics(len in 0usize..700, n in 1usize..8) {
        let recipients: Vec<_> = (0..n).map(|i| curve(i as u8)).collect();
        let boxed = seal(&[1; 300], &recipients, MaxRecipients::DEFAULT, &secrets(5)).unwrap();
        let cut = &boxed[..len.min(boxed.len())];
        for me in [0u8, 6, 50] {
            let r = open(cut, &keys(me).to_curve_secret());
            if cut.len() < MIN_BOX_LEN {
                prop_assert_eq!(r, Err(OpenError::TooShort { len: cut.len() }));
            }
        }
    }
}
