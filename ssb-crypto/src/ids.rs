//! Sigil ids (docs/PROTOCOL.md §1.2): `@<base64 key>.ed25519`, `%<base64 hash>.sha256`, `&<base64 hash>.sha256`.
//!
//! Parsing is strict: exactly the sigil, exactly 44 characters of canonical base64 and exactly
//! the suffix. (The JS `ssb-ref` regexes also let any character stand for the `.` before the
//! suffix and accept `.sha256` on a feed id; such ids can never verify, so we refuse them.)
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use core::fmt;
use core::str::FromStr;

use crate::base64::{self, Base64Error};
use crate::keys::PublicKey;

/// Why a sigil id was refused. Each variant names the rule that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The first character is not the expected sigil.
    #[error("expected sigil `{expected}`")]
    WrongSigil {
        /// The sigil this kind of id starts with.
        expected: char,
    },
    /// The text does not end with the expected suffix.
    #[error("expected suffix `{expected}`")]
    WrongSuffix {
        /// The suffix this kind of id ends with.
        expected: &'static str,
    },
    /// The text has the wrong total length.
    #[error("expected {expected} characters, found {found}")]
    WrongLength {
        /// The exact length of this kind of id.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// The base64 body is not canonical base64 of 32 bytes.
    #[error("invalid base64 body: {0}")]
    Base64(#[from] Base64Error),
}

impl IdError {
    /// A stable, machine-readable name for the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongSigil { .. } => "id_wrong_sigil",
            Self::WrongSuffix { .. } => "id_wrong_suffix",
            Self::WrongLength { .. } => "id_wrong_length",
            Self::Base64(e) => e.code(),
        }
    }
}

fn parse_sigil(text: &str, sigil: char, suffix: &'static str) -> Result<[u8; 32], IdError> {
    let expected = base64::LEN_32
        .saturating_add(suffix.len())
        .saturating_add(1);
    let body = text
        .strip_prefix(sigil)
        .ok_or(IdError::WrongSigil { expected: sigil })?;
    let body = body
        .strip_suffix(suffix)
        .ok_or(IdError::WrongSuffix { expected: suffix })?;
    if text.len() != expected {
        return Err(IdError::WrongLength {
            expected,
            found: text.len(),
        });
    }
    Ok(base64::decode_array::<32>(body)?)
}

macro_rules! sigil_id {
    ($(#[$doc:meta])* $name:ident, $inner:ty, $sigil:expr, $suffix:expr, $wrap:expr, $unwrap:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $inner);

        impl $name {
            /// The sigil this id starts with.
            pub const SIGIL: char = $sigil;
            /// The suffix this id ends with.
            pub const SUFFIX: &'static str = $suffix;
            /// The exact length of the text form.
            pub const TEXT_LEN: usize = 1 + base64::LEN_32 + $suffix.len();

            /// The 32 raw bytes.
            pub fn to_bytes(&self) -> [u8; 32] {
                #[allow(clippy::redundant_closure_call)]
                ($unwrap)(self)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, IdError> {
                #[allow(clippy::redundant_closure_call)]
                parse_sigil(text, $sigil, $suffix).map($wrap)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(text: &str) -> Result<Self, IdError> {
                text.parse()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut buf = [0u8; 44];
                let n = ::base64::Engine::encode_slice(
                    &::base64::engine::general_purpose::STANDARD,
                    self.to_bytes(),
                    &mut buf,
                )
                .map_err(|_| fmt::Error)?;
                let b64 = core::str::from_utf8(buf.get(..n).ok_or(fmt::Error)?)
                    .map_err(|_| fmt::Error)?;
                write!(f, "{}{}{}", $sigil, b64, $suffix)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }
    };
}

sigil_id!(
    /// A feed id, `@<base64 ed25519 public key>.ed25519` (53 characters).
    FeedId, PublicKey, '@', ".ed25519", |b| FeedId(PublicKey(b)), |s: &FeedId| s.0.0
);
sigil_id!(
    /// A message id, `%<base64 sha256>.sha256` (52 characters).
    MsgId, [u8; 32], '%', ".sha256", MsgId, |s: &MsgId| s.0
);
sigil_id!(
    /// A blob id, `&<base64 sha256>.sha256` (52 characters).
    BlobId, [u8; 32], '&', ".sha256", BlobId, |s: &BlobId| s.0
);

impl FeedId {
    /// The author's public key.
    pub fn public_key(&self) -> PublicKey {
        self.0
    }
}

impl From<PublicKey> for FeedId {
    fn from(pk: PublicKey) -> Self {
        FeedId(pk)
    }
}

impl MsgId {
    /// The id of a message whose legacy hash input (docs/PROTOCOL.md §5.3) is `bytes`.
    pub fn from_hash_input(bytes: &[u8]) -> Self {
        MsgId(crate::hash::sha256(bytes))
    }
}

impl BlobId {
    /// The id of a blob with these contents.
    pub fn of_blob(contents: &[u8]) -> Self {
        BlobId(crate::hash::sha256(contents))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn feed_id_round_trip_and_rules() {
        let s = "@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.ed25519";
        let id: FeedId = s.parse().unwrap();
        assert_eq!(id.to_string(), s);
        assert_eq!(
            "%iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.ed25519".parse::<FeedId>(),
            Err(IdError::WrongSigil { expected: '@' })
        );
        assert_eq!(
            "@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.sha256".parse::<FeedId>(),
            Err(IdError::WrongSuffix {
                expected: ".ed25519"
            })
        );
        assert_eq!(
            "@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=x.ed25519".parse::<FeedId>(),
            Err(IdError::WrongLength {
                expected: 53,
                found: 54
            })
        );
        assert_eq!(
            "@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1x=.ed25519".parse::<FeedId>(),
            Err(IdError::Base64(Base64Error::NonCanonicalTrailingBits))
        );
        let m = "%mFeoIDeddAIGwvGNuchZtlNbyVbkc5stlbHtOPfu0d0=.sha256";
        assert_eq!(m.parse::<MsgId>().unwrap().to_string(), m);
        assert!(m.parse::<BlobId>().is_err());
    }
}
