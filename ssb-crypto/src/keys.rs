//! Ed25519 identities: [`Keypair`], [`PublicKey`], [`Signature`] (docs/PROTOCOL.md §0, §1.1).
//!
//! Verification follows libsodium's `crypto_sign_verify_detached` (what every JS peer runs)
//! rather than plain RFC 8032; see [`PublicKey::verify`].
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use core::fmt;

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::{Signer as _, SigningKey};
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, Zeroizing};

use crate::backend::{Backend, imp};
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
    for (i, (&b, &p)) in bytes.iter().zip(P_LE.iter()).enumerate().rev() {
        let b = if i == 31 { b & 0x7f } else { b };
        if b != p {
            return b < p;
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

    /// Checks the key the way libsodium does before any verification (canonical encoding, a
    /// point on the curve, not of small order) and decodes it once, for fast repeated
    /// verification (see [`VerifyKey`]). Uses the [active backend](crate::backend::active).
    pub fn prepare(&self) -> Result<VerifyKey, SignatureError> {
        self.prepare_with(crate::backend::active())
    }

    /// [`prepare`](Self::prepare) on a chosen backend. [`Backend::Graviola`] where it is not
    /// available gives the dalek path; [`VerifyKey::backend`] says which one a key uses. The
    /// verdicts are the same on both (the differential tests hold them to it).
    pub fn prepare_with(&self, backend: Backend) -> Result<VerifyKey, SignatureError> {
        if !is_canonical_y(&self.0) {
            return Err(SignatureError::NonCanonicalPublicKey);
        }
        if has_small_order(&self.0) {
            return Err(SignatureError::WeakPublicKey);
        }
        let inner = if backend == Backend::Graviola && imp::available() {
            Inner::Fast(imp::key(&self.0).ok_or(SignatureError::InvalidPublicKey)?)
        } else {
            let a = CompressedEdwardsY(self.0)
                .decompress()
                .ok_or(SignatureError::InvalidPublicKey)?;
            Inner::Dalek(core::ops::Neg::neg(a))
        };
        Ok(VerifyKey {
            bytes: self.0,
            inner,
        })
    }

    /// Verifies a detached signature with libsodium's acceptance rules
    /// (`crypto_sign_verify_detached` as JS peers run it); see [`VerifyKey::verify`].
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), SignatureError> {
        self.prepare()?.verify(message, signature)
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

/// A public key checked and decoded once ([`PublicKey::prepare`]), for verifying many
/// signatures by the same author.
#[derive(Clone)]
pub struct VerifyKey {
    bytes: [u8; 32],
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    /// `-A`, for `[S]B + [k](-A)`.
    Dalek(EdwardsPoint),
    /// graviola's decoded key.
    Fast(imp::Key),
}

impl VerifyKey {
    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.bytes)
    }

    /// The backend this key verifies with.
    pub fn backend(&self) -> Backend {
        match self.inner {
            Inner::Dalek(_) => Backend::Dalek,
            Inner::Fast(_) => Backend::Graviola,
        }
    }

    /// Verifies a detached signature exactly as libsodium's `crypto_sign_verify_detached`
    /// (the `sodium-native` build JS peers run) decides, step for step:
    ///
    /// 1. `S` must be reduced (`S < L`);
    /// 2. `R` must not be one of the small-order encodings libsodium blocks
    ///    ([`has_small_order`], compared on the bytes, sign bit ignored);
    /// 3. the key was checked by [`PublicKey::prepare`] (canonical, not small order, on the
    ///    curve);
    /// 4. `k = SHA-512(R || A || M) mod L`, `R' = [S]B - [k]A`, and the canonical encoding of
    ///    `R'` must equal the 32 bytes of `R` (cofactorless; a non-canonical `R` never
    ///    matches).
    ///
    /// This is the same computation `ed25519-dalek`'s `verify_strict` makes, minus its
    /// decompression of `R` (libsodium never decompresses `R`; its small-order test is on the
    /// bytes), so it is also faster. On the graviola path steps 1 to 3 are ours and step 4 is
    /// graviola's, the same equation compared on the same bytes.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), SignatureError> {
        let (r, s) = signature.0.split_at(32);
        let s: [u8; 32] = s
            .try_into()
            .map_err(|_| SignatureError::NonCanonicalScalar)?;
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s))
            .ok_or(SignatureError::NonCanonicalScalar)?;
        let r: [u8; 32] = r.try_into().map_err(|_| SignatureError::Mismatch)?;
        if has_small_order(&r) {
            return Err(SignatureError::WeakR);
        }
        let minus_a = match &self.inner {
            Inner::Fast(key) => {
                return if imp::verify(key, &signature.0, message) {
                    Ok(())
                } else {
                    Err(SignatureError::Mismatch)
                };
            }
            Inner::Dalek(minus_a) => minus_a,
        };
        let mut h = Sha512::new();
        h.update(r);
        h.update(self.bytes);
        h.update(message);
        let k = Scalar::from_hash(h);
        let expected = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, minus_a, &s);
        if expected.compress().to_bytes() == r {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

impl fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyKey({})", crate::FeedId(PublicKey(self.bytes)))
    }
}

/// The encodings of the points of small order that libsodium refuses as `A` or `R`
/// (`ge25519_has_small_order`): y = 0, 1, the two order-8 values, p - 1, and the
/// non-canonical p and p + 1. The sign bit is not part of the comparison. The unit test
/// `small_order_blocklist_is_the_8_torsion` derives this set from the curve.
const SMALL_ORDER_BLOCKLIST: [[u8; 32]; 7] = [
    [0; 32],
    {
        let mut b = [0u8; 32];
        b[0] = 1;
        b
    },
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    {
        let mut b = P_LE;
        b[0] = 0xec;
        b
    },
    P_LE,
    {
        let mut b = P_LE;
        b[0] = 0xee;
        b
    },
];

/// libsodium's `ge25519_has_small_order`: the encoding (sign bit ignored) is that of a point
/// of small order: y = 0, 1, p - 1, the two order-8 values, or the non-canonical p and p + 1.
pub fn has_small_order(encoding: &[u8; 32]) -> bool {
    let mut masked = *encoding;
    masked[31] &= 0x7f;
    SMALL_ORDER_BLOCKLIST.contains(&masked)
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
    fn small_order_blocklist_is_the_8_torsion() {
        // An order-8 point, and its multiples: all 8 small-order points.
        let t8 = CompressedEdwardsY(SMALL_ORDER_BLOCKLIST[3])
            .decompress()
            .unwrap();
        assert!(t8.is_small_order());
        let mut p = EdwardsPoint::default();
        let mut canonical: alloc::vec::Vec<[u8; 32]> = alloc::vec::Vec::new();
        for _ in 0..8 {
            let mut y = p.compress().to_bytes();
            y[31] &= 0x7f;
            if !canonical.contains(&y) {
                canonical.push(y);
            }
            assert!(has_small_order(&p.compress().to_bytes()));
            p += t8;
        }
        assert_eq!(p, EdwardsPoint::default(), "t8 has order 8");
        // 5 distinct y values; plus the non-canonical y = p and p + 1 (0 and 1 again).
        assert_eq!(canonical.len(), 5);
        for b in &SMALL_ORDER_BLOCKLIST {
            let reduced = CompressedEdwardsY(*b).decompress().unwrap();
            assert!(reduced.is_small_order());
            assert!(canonical.contains(b) || !is_canonical_y(b));
        }
        // No other encoding is blocked: a real key is not.
        assert!(!has_small_order(
            Keypair::from_seed(&[9; 32]).public().as_bytes()
        ));
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
        // A small-order R is refused before any arithmetic.
        let mut weak = sig;
        weak.0[..32].copy_from_slice(&SMALL_ORDER_BLOCKLIST[1]);
        assert_eq!(
            kp.public().verify(b"hello", &weak),
            Err(SignatureError::WeakR)
        );
    }
}
