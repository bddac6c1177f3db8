//! Ed25519 identities: [`Keypair`], [`PublicKey`], [`Signature`] (spec §0, §1.1).
//!
//! Verification follows libsodium's `crypto_sign_verify_detached` (what every JS peer runs)
//! rather than plain RFC 8032; see [`PublicKey::verify`].

use core::fmt;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use rand_core::CryptoRngCore;
use zeroize::{Zeroize, Zeroizing};

use crate::curve::{CurvePublicKey, CurveSecretKey};

/// An Ed25519 public key: the raw 32 bytes of a feed id.
///
/// Any 32 bytes can be held; whether they are a usable point is decided when they are used
/// ([`PublicKey::verify`], [`PublicKey::to_curve`]), as in libsodium.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey(pub [u8; 32]);

/// A detached Ed25519 signature (`R || S`, 64 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

/// An Ed25519 key pair. The secret half is zeroized on drop and never printed.
#[derive(Clone)]
pub struct Keypair {
    signing: SigningKey,
}

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The public key is not the canonical encoding of a curve point.
    #[error("public key is not a canonical point encoding")]
    NonCanonicalPublicKey,
    /// The public key is a point of small order (it could sign anything).
    #[error("public key is a point of small order")]
    WeakPublicKey,
    /// The public key bytes do not decode to a curve point.
    #[error("public key is not a point on the curve")]
    InvalidPublicKey,
    /// `S` is not reduced modulo the group order.
    #[error("signature scalar S is not canonical")]
    NonCanonicalScalar,
    /// `R` is a point of small order.
    #[error("signature point R has small order")]
    WeakR,
    /// The verification equation does not hold.
    #[error("signature does not verify")]
    Mismatch,
}

impl SignatureError {
    /// A stable, machine-readable name for the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NonCanonicalPublicKey => "signature_noncanonical_key",
            Self::WeakPublicKey => "signature_weak_key",
            Self::InvalidPublicKey => "signature_invalid_key",
            Self::NonCanonicalScalar => "signature_noncanonical_s",
            Self::WeakR => "signature_weak_r",
            Self::Mismatch => "signature_mismatch",
        }
    }
}

/// The field prime `p = 2^255 - 19`, little-endian, as 32 bytes with the sign bit clear.
const P_LE: [u8; 32] = {
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

/// True when the y coordinate (sign bit ignored) is below `p`, i.e. the encoding is canonical.
/// Mirrors libsodium's `ge25519_is_canonical`.
pub(crate) fn is_canonical_y(bytes: &[u8; 32]) -> bool {
    // Compare from the most significant byte down.
    for i in (0..32).rev() {
        let b = if i == 31 { bytes[i] & 0x7f } else { bytes[i] };
        if b != P_LE[i] {
            return b < P_LE[i];
        }
    }
    false
}

impl PublicKey {
    /// Wraps raw bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key's sigil id, `@<base64>.ed25519`.
    pub fn feed_id(&self) -> crate::FeedId {
        crate::FeedId(*self)
    }

    /// Checks the key the way libsodium does before any verification: canonical encoding,
    /// a point on the curve, not of small order. Returns the decoded key.
    pub fn to_verifying_key(&self) -> Result<VerifyingKey, SignatureError> {
        if !is_canonical_y(&self.0) {
            return Err(SignatureError::NonCanonicalPublicKey);
        }
        let vk = VerifyingKey::from_bytes(&self.0).map_err(|_| SignatureError::InvalidPublicKey)?;
        if vk.is_weak() {
            return Err(SignatureError::WeakPublicKey);
        }
        Ok(vk)
    }

    /// Verifies a detached signature with libsodium's acceptance rules
    /// (`crypto_sign_verify_detached`, libsodium ≥ 1.0.16 as bundled by `sodium-native`):
    /// the public key must be a canonical encoding of a point that is not of small order;
    /// `S` must be reduced; `R` must not be of small order; and the cofactorless equation
    /// `[S]B = R + [k]A` must hold with `R` compared byte for byte (so a non-canonical `R`
    /// never verifies). `ed25519-dalek`'s `verify_strict` implements all of these except the
    /// canonical-key check, which is done here first.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), SignatureError> {
        let vk = self.to_verifying_key()?;
        verify_with(&vk, message, signature)
    }

    /// Converts to the X25519 public key used by private-box and the handshake
    /// (libsodium `crypto_sign_ed25519_pk_to_curve25519` as JS peers run it): fails for
    /// encodings that are not a point, points of small order and points whose torsion
    /// component has order 4 or 8. (libsodium's subgroup test lets an order-2 component
    /// through; so do we.)
    pub fn to_curve(&self) -> Result<CurvePublicKey, crate::curve::ConversionError> {
        crate::curve::ed25519_pk_to_curve(&self.0)
    }
}

/// Verifies against an already checked key (see [`PublicKey::to_verifying_key`]).
pub fn verify_with(
    vk: &VerifyingKey,
    message: &[u8],
    signature: &Signature,
) -> Result<(), SignatureError> {
    let s = &signature.0[32..];
    // S must be < L. ed25519-dalek reports this only as a generic error, so check it here
    // to name it (libsodium: `sc25519_is_canonical`).
    if !is_canonical_scalar(s) {
        return Err(SignatureError::NonCanonicalScalar);
    }
    let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
    // `verify_strict` decompresses R once, refuses it if it has small order, and compares
    // the recomputed R byte for byte (cofactorless). Only on failure do we look again to
    // name the reason, so the common path decompresses R once.
    vk.verify_strict(message, &sig).map_err(|_| {
        let r = curve25519_dalek::edwards::CompressedEdwardsY(
            signature.0[..32].try_into().unwrap_or([0; 32]),
        );
        match r.decompress() {
            Some(point) if point.is_small_order() => SignatureError::WeakR,
            _ => SignatureError::Mismatch,
        }
    })
}

/// The group order `L`, little-endian.
const L_LE: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn is_canonical_scalar(s: &[u8]) -> bool {
    if s.len() != 32 {
        return false;
    }
    for i in (0..32).rev() {
        if s[i] != L_LE[i] {
            return s[i] < L_LE[i];
        }
    }
    false
}

impl Signature {
    /// Wraps raw bytes.
    pub const fn from_bytes(bytes: [u8; 64]) -> Self {
        Self(bytes)
    }
    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

impl Keypair {
    /// The key pair whose secret is this 32-byte Ed25519 seed (as `ssb-keys.generate(curve, seed)`).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// A fresh key pair from a caller-supplied cryptographic RNG.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_seed(&seed)
    }

    /// From libsodium's 64-byte secret key layout `seed || public`. Fails if the public half
    /// is not the one the seed generates.
    pub fn from_libsodium_secret(secret: &[u8; 64]) -> Result<Self, crate::SecretFileError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&secret[..32]);
        let kp = Self::from_seed(&seed);
        if kp.public().0[..] != secret[32..] {
            return Err(crate::SecretFileError::KeyMismatch);
        }
        Ok(kp)
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key().to_bytes())
    }

    /// The feed id of the public key.
    pub fn feed_id(&self) -> crate::FeedId {
        crate::FeedId(self.public())
    }

    /// The 32-byte seed (secret). Handle with care.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// libsodium's 64-byte secret key, `seed || public` (secret).
    pub fn to_libsodium_secret(&self) -> Zeroizing<[u8; 64]> {
        Zeroizing::new(self.signing.to_keypair_bytes())
    }

    /// Signs `message` (pure Ed25519, as `crypto_sign_detached`).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.signing.sign(message).to_bytes())
    }

    /// The X25519 secret key for private-box and the handshake
    /// (libsodium `crypto_sign_ed25519_sk_to_curve25519`: clamped `SHA-512(seed)[..32]`).
    pub fn to_curve_secret(&self) -> CurveSecretKey {
        // `to_scalar_bytes` is SHA-512(seed)[..32], unclamped; libsodium returns it clamped.
        let mut scalar = self.signing.to_scalar_bytes();
        scalar[0] &= 248;
        scalar[31] &= 127;
        scalar[31] |= 64;
        let k = CurveSecretKey::from_bytes(scalar);
        scalar.zeroize();
        k
    }

    /// The underlying `ed25519-dalek` signing key, for callers that need its API.
    pub fn as_dalek(&self) -> &SigningKey {
        &self.signing
    }
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keypair")
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", crate::FeedId(*self))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", crate::base64::encode(&self.0))
    }
}

impl fmt::Display for Signature {
    /// The form used in messages: `<base64>.sig.ed25519`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.sig.ed25519", crate::base64::encode(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_y() {
        assert!(is_canonical_y(&[0; 32]));
        assert!(!is_canonical_y(&P_LE));
        let mut below = P_LE;
        below[0] = 0xec;
        assert!(is_canonical_y(&below));
        let mut with_sign = below;
        with_sign[31] |= 0x80;
        assert!(is_canonical_y(&with_sign));
        let mut above = P_LE;
        above[0] = 0xee;
        assert!(!is_canonical_y(&above));
    }

    #[test]
    fn sign_verify_and_reject() {
        let kp = Keypair::from_seed(&[1; 32]);
        let sig = kp.sign(b"hello");
        assert_eq!(kp.public().verify(b"hello", &sig), Ok(()));
        assert_eq!(
            kp.public().verify(b"hellO", &sig),
            Err(SignatureError::Mismatch)
        );
        let mut bad_s = sig;
        bad_s.0[63] |= 0xf0;
        assert_eq!(
            kp.public().verify(b"hello", &bad_s),
            Err(SignatureError::NonCanonicalScalar)
        );
        // The identity point (y = 1) is of small order.
        let mut id = [0u8; 32];
        id[0] = 1;
        assert_eq!(
            PublicKey(id).verify(b"hello", &sig),
            Err(SignatureError::WeakPublicKey)
        );
        assert!(!alloc::format!("{kp:?}").contains("seed"));
    }
}
