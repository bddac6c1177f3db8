//! SHA-256 (`crypto_hash_sha256`) and libsodium `crypto_auth` (HMAC-SHA-512-256).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// SHA-256 over the concatenation of `parts`, without concatenating them.
pub fn sha256_parts(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// libsodium `crypto_auth`: HMAC-SHA-512 keyed with 32 bytes, truncated to its first 32 bytes.
/// (Not HMAC-SHA-256, and not SHA-512/256.)
pub fn auth(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let full = mac(key, message).finalize().into_bytes();
    out.copy_from_slice(&full[..32]);
    out
}

/// Verifies a `crypto_auth` tag in constant time.
pub fn auth_verify(key: &[u8; 32], message: &[u8], tag: &[u8; 32]) -> bool {
    mac(key, message).verify_truncated_left(tag).is_ok()
}

fn mac(key: &[u8; 32], message: &[u8]) -> Hmac<Sha512> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = match <Hmac<Sha512> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    m.update(message);
    m
}
