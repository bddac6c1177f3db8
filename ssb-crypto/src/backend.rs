//! Which implementation computes X25519 and Ed25519 verification.
//!
//! Two paths give the same answers: [`graviola`](https://crates.io/crates/graviola), whose
//! curve arithmetic is formally verified s2n-bignum assembly, on x86-64 and aarch64 CPUs it
//! supports (feature `fast`, on by default; it needs `std` to detect the CPU), and
//! `x25519-dalek` / `curve25519-dalek` everywhere else. The choice is made once, at the first
//! use, from graviola's own CPU check; graviola is never called on a CPU it does not support.
//!
//! The acceptance rules do not depend on the path: both sit behind the same libsodium
//! prechecks ([`PublicKey::prepare`](crate::PublicKey::prepare),
//! [`VerifyKey::verify`](crate::VerifyKey::verify)) and compute the same cofactorless equation
//! on the same bytes. The test suite runs every vector on both paths, and CI runs the whole
//! workspace once more with the feature `force-portable`, which keeps the dalek path in use
//! even where graviola is available.
//!
//! ```
//! use ssb_crypto::backend::{self, Backend};
//!
//! // One of the two, fixed for the life of the process.
//! let b = backend::active();
//! assert!(b == Backend::Graviola || b == Backend::Dalek);
//! assert_eq!(backend::active(), b);
//! ```

/// An implementation of the curve operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// `graviola`'s verified assembly.
    Graviola,
    /// `x25519-dalek` and `curve25519-dalek` (portable Rust).
    Dalek,
}

/// The implementation this process uses.
pub fn active() -> Backend {
    if imp::available() {
        Backend::Graviola
    } else {
        Backend::Dalek
    }
}

/// True when [`Backend::Graviola`] can run here: the feature is compiled in, this CPU has
/// what graviola needs, and `force-portable` is off.
pub fn fast_available() -> bool {
    imp::available()
}

#[cfg(all(
    feature = "fast",
    not(feature = "force-portable"),
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub(crate) mod imp {
    use graviola::key_agreement::x25519;
    use graviola::signing::eddsa::Ed25519VerifyingKey;

    pub(crate) fn available() -> bool {
        static SUPPORTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *SUPPORTED.get_or_init(graviola::util::is_cpu_supported)
    }

    /// A decoded Ed25519 public key (shared: graviola's type is not `Clone`).
    #[derive(Clone)]
    pub(crate) struct Key(std::sync::Arc<Ed25519VerifyingKey>);

    /// Decodes a key that passed the libsodium prechecks; `None` if it is not a point.
    /// Callers check [`available`] first (`PublicKey::prepare_with` does).
    pub(crate) fn key(bytes: &[u8; 32]) -> Option<Key> {
        Ed25519VerifyingKey::from_bytes(bytes)
            .ok()
            .map(|k| Key(std::sync::Arc::new(k)))
    }

    /// `[S]B - [k]A` encoded equals `R`'s bytes (graviola checks `S < L` again).
    pub(crate) fn verify(key: &Key, signature: &[u8; 64], message: &[u8]) -> bool {
        key.0.verify(signature, message).is_ok()
    }

    /// X25519: `None` when this path is not available, `Some(None)` when the result is all
    /// zero (libsodium refuses it too).
    pub(crate) fn x25519(secret: &[u8; 32], public: &[u8; 32]) -> Option<Option<[u8; 32]>> {
        if !available() {
            return None;
        }
        let sk = x25519::StaticPrivateKey::from_array(secret);
        let pk = x25519::PublicKey::from_array(public);
        Some(sk.diffie_hellman(&pk).ok().map(|s| s.as_bytes()))
    }

    /// X25519 with the base point; `None` when this path is not available.
    pub(crate) fn x25519_base(secret: &[u8; 32]) -> Option<[u8; 32]> {
        if !available() {
            return None;
        }
        Some(
            x25519::StaticPrivateKey::from_array(secret)
                .public_key()
                .as_bytes(),
        )
    }
}

#[cfg(not(all(
    feature = "fast",
    not(feature = "force-portable"),
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
pub(crate) mod imp {
    /// Never constructed: this build has no fast path.
    #[derive(Clone)]
    pub(crate) enum Key {}

    pub(crate) fn available() -> bool {
        false
    }

    pub(crate) fn key(_bytes: &[u8; 32]) -> Option<Key> {
        None
    }

    pub(crate) fn verify(key: &Key, _signature: &[u8; 64], _message: &[u8]) -> bool {
        match *key {}
    }

    pub(crate) fn x25519(_secret: &[u8; 32], _public: &[u8; 32]) -> Option<Option<[u8; 32]>> {
        None
    }

    pub(crate) fn x25519_base(_secret: &[u8; 32]) -> Option<[u8; 32]> {
        None
    }
}
