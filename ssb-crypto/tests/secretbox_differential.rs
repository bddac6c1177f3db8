//! Our XSalsa20-Poly1305 against the `xsalsa20poly1305` crate (RustCrypto) on random keys,
//! nonces and lengths: same ciphertext, same tag, same verdict on tampering. libsodium's own
//! outputs are checked by the JS vectors (`test-vectors`, layer `crypto`).
//!
//! `PROPTEST_CASES` raises the count for a long run (SECURITY.md records one).

use proptest::prelude::*;
use ssb_crypto::secretbox;
use xsalsa20poly1305::aead::{AeadInPlace, KeyInit};
use xsalsa20poly1305::{Tag, XSalsa20Poly1305};

fn reference_seal(key: &[u8; 32], nonce: &[u8; 24], msg: &[u8]) -> (Vec<u8>, [u8; 16]) {
    let mut buf = msg.to_vec();
    let tag = XSalsa20Poly1305::new(key.into())
        .encrypt_in_place_detached(nonce.into(), b"", &mut buf)
        .expect("reference seal");
    (buf, tag.into())
}

/// Lengths around every boundary the kernels have: 16-byte MAC blocks, the 32 bytes left in
/// block 0, 64-byte blocks and the 256-byte four-block batches.
fn length() -> impl Strategy<Value = usize> {
    prop_oneof![
        0usize..600,
        (0usize..40).prop_map(|k| k * 16),
        (0usize..20).prop_map(|k| 32 + k * 64),
        (1usize..20).prop_flat_map(|k| (k * 256 - 2)..(k * 256 + 34)),
        4000usize..4200,
        60_000usize..70_000,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn seal_matches_xsalsa20poly1305(key in any::<[u8; 32]>(), nonce in any::<[u8; 24]>(), len in length(), fill in any::<u64>()) {
        let msg: Vec<u8> = (0..len).map(|i| (fill.wrapping_mul(i as u64 + 1) >> 13) as u8).collect();
        let (want, want_tag) = reference_seal(&key, &nonce, &msg);
        let mut ours = msg.clone();
        let tag = secretbox::seal_in_place(&key, &nonce, &mut ours);
        prop_assert_eq!(&ours, &want);
        prop_assert_eq!(tag, want_tag);
        // Easy layout too.
        let boxed = secretbox::seal(&key, &nonce, &msg);
        prop_assert_eq!(&boxed[..16], &want_tag[..]);
        prop_assert_eq!(&boxed[16..], &want[..]);
        // And back.
        let opened = secretbox::open(&key, &nonce, &boxed);
        prop_assert_eq!(opened.as_deref(), Ok(&msg[..]));
    }

    #[test]
    fn open_agrees_on_tampering(key in any::<[u8; 32]>(), nonce in any::<[u8; 24]>(), len in 0usize..700, flip in any::<prop::sample::Index>(), bit in 0u8..8) {
        let msg = vec![0xa5u8; len];
        let (ct, tag) = reference_seal(&key, &nonce, &msg);
        let mut boxed = tag.to_vec();
        boxed.extend_from_slice(&ct);
        let i = flip.index(boxed.len());
        boxed[i] ^= 1 << bit;
        let (t, c) = boxed.split_at(16);
        let mut reference = c.to_vec();
        let reference_ok = XSalsa20Poly1305::new((&key).into())
            .decrypt_in_place_detached((&nonce).into(), b"", &mut reference, Tag::from_slice(t))
            .is_ok();
        let mut ours = c.to_vec();
        let tag: [u8; 16] = t.try_into().expect("16 bytes");
        let ours_ok = secretbox::open_in_place(&key, &nonce, &mut ours, &tag).is_ok();
        prop_assert!(!reference_ok);
        prop_assert_eq!(ours_ok, reference_ok);
        // Unchanged on failure.
        prop_assert_eq!(&ours[..], c);
    }
}
