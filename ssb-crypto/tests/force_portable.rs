//! In the CI run with the feature `force-portable`, every curve operation must take the dalek
//! path, so that run really checks the fallback.
#![cfg(feature = "force-portable")]
#![allow(clippy::unwrap_used)]

use ssb_crypto::backend::{self, Backend};
use ssb_crypto::{CurveSecretKey, Keypair};

#[test]
fn the_dalek_path_is_in_use() {
    assert_eq!(backend::active(), Backend::Dalek);
    assert!(!backend::fast_available());
    let keys = Keypair::from_seed(&[1; 32]);
    // Asking for graviola gives dalek here.
    let vk = keys.public().prepare_with(Backend::Graviola).unwrap();
    assert_eq!(vk.backend(), Backend::Dalek);
    assert!(vk.verify(b"m", &keys.sign(b"m")).is_ok());
    let sk = CurveSecretKey::from_bytes([2; 32]);
    assert_eq!(
        sk.public_key_with(Backend::Graviola).as_bytes(),
        sk.public_key_with(Backend::Dalek).as_bytes()
    );
}
