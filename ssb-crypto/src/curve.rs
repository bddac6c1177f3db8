//! X25519 keys and Diffie-Hellman (docs/PROTOCOL.md §1.5), for the handshake and private-box.

use core::fmt;

use curve25519_dalek::edwards::CompressedEdwardsY;
use rand_core::CryptoRngCore;
use x25519_dalek::{PublicKey as XPublicKey, StaticSecret};

use crate::backend::{Backend, imp};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// An X25519 (Montgomery u-coordinate) public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurvePublicKey(pub [u8; 32]);

/// An X25519 secret scalar. Zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct CurveSecretKey([u8; 32]);

/// The raw 32-byte output of an X25519 Diffie-Hellman. Zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SharedSecret([u8; 32]);

/// Why an Ed25519 public key could not be converted to X25519.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConversionError {
    /// The bytes do not decode to a point on the curve.
    #[error("ed25519 public key is not a point on the curve")]
    NotAPoint,
    /// The point has small order.
    #[error("ed25519 public key is a point of small order")]
    SmallOrder,
    /// The point has a torsion component of order 4 or 8 (libsodium's subgroup test).
    #[error("ed25519 public key is not in the prime-order subgroup")]
    NotInSubgroup,
}

impl ConversionError {
    /// A stable, machine-readable name for the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAPoint => "curve_not_a_point",
            Self::SmallOrder => "curve_small_order",
            Self::NotInSubgroup => "curve_not_in_subgroup",
        }
    }
}

/// A Diffie-Hellman whose result is all zero: the peer's key was of low order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("X25519 result is all zero (low-order public key)")]
pub struct LowOrderError;

pub(crate) fn ed25519_pk_to_curve(bytes: &[u8; 32]) -> Result<CurvePublicKey, ConversionError> {
    let point = CompressedEdwardsY(*bytes)
        .decompress()
        .ok_or(ConversionError::NotAPoint)?;
    if point.is_small_order() {
        return Err(ConversionError::SmallOrder);
    }
    // libsodium's subgroup test (`ge25519_is_on_main_subgroup`) multiplies by the group
    // order L and checks that the x coordinate is zero. That holds for the identity *and* for
    // the order-2 point (0, -1), so a key whose torsion component has order 2 is converted
    // while orders 4 and 8 are refused. We reproduce that exactly: [L]P has x = 0 iff
    // [L](2P) is the identity, i.e. iff 2P is torsion-free. (JS peers run this libsodium; the
    // `pk-to-curve/torsion` and `noncanonical-y` vectors pin it down.)
    if !(point + point).is_torsion_free() {
        return Err(ConversionError::NotInSubgroup);
    }
    Ok(CurvePublicKey(point.to_montgomery().to_bytes()))
}

impl CurvePublicKey {
    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl CurveSecretKey {
    /// Wraps 32 secret bytes. They are used as given (X25519 clamps them at use, like
    /// libsodium's `crypto_scalarmult`).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A fresh secret from a caller-supplied RNG.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut b);
        let k = Self(b);
        b.zeroize();
        k
    }

    /// The secret bytes.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0)
    }

    /// The matching public key (`crypto_scalarmult_base`), on the
    /// [active backend](crate::backend::active).
    pub fn public_key(&self) -> CurvePublicKey {
        self.public_key_with(crate::backend::active())
    }

    /// [`public_key`](Self::public_key) on a chosen backend ([`Backend::Graviola`] where it
    /// is not available gives the dalek path).
    pub fn public_key_with(&self, backend: Backend) -> CurvePublicKey {
        if backend == Backend::Graviola
            && let Some(p) = imp::x25519_base(&self.0)
        {
            return CurvePublicKey(p);
        }
        let s = StaticSecret::from(self.0);
        CurvePublicKey(XPublicKey::from(&s).to_bytes())
    }

    /// X25519 with `their` public key, on the [active backend](crate::backend::active);
    /// fails like libsodium when the result is all zero.
    pub fn diffie_hellman(&self, their: &CurvePublicKey) -> Result<SharedSecret, LowOrderError> {
        self.diffie_hellman_with(their, crate::backend::active())
    }

    /// [`diffie_hellman`](Self::diffie_hellman) on a chosen backend ([`Backend::Graviola`]
    /// where it is not available gives the dalek path).
    pub fn diffie_hellman_with(
        &self,
        their: &CurvePublicKey,
        backend: Backend,
    ) -> Result<SharedSecret, LowOrderError> {
        if backend == Backend::Graviola
            && let Some(shared) = imp::x25519(&self.0, &their.0)
        {
            return shared.map(SharedSecret).ok_or(LowOrderError);
        }
        let s = StaticSecret::from(self.0);
        let shared = s.diffie_hellman(&XPublicKey::from(their.0));
        if !shared.was_contributory() {
            return Err(LowOrderError);
        }
        Ok(SharedSecret(shared.to_bytes()))
    }
}

impl SharedSecret {
    /// The raw shared secret.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for CurvePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurvePublicKey({})", crate::base64::encode(&self.0))
    }
}

impl fmt::Debug for CurveSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CurveSecretKey(..)")
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}
