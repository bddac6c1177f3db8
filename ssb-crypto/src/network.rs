//! The SHS network key (docs/PROTOCOL.md §2.1, §7.1): `caps.shs` in `ssb-caps`.

use core::fmt;
use core::str::FromStr;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::base64::{self, Base64Error};

/// The 32-byte network key (`caps.shs`, a.k.a. `appKey`). Peers with different keys cannot
/// complete a handshake; the key is never sent on the wire.
///
/// On a private network the key is what keeps outsiders out, so it is handled as a secret:
/// zeroized on drop, compared in constant time, and `Debug` shows only whether it is
/// [`MAIN_NET`](Self::MAIN_NET). [`Display`](fmt::Display) prints it (base64, the `caps.json`
/// form): use it only to write configuration.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct NetworkKey(pub [u8; 32]);

impl PartialEq for NetworkKey {
    /// Constant time in the key bytes.
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for NetworkKey {}

/// Why a network key text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkKeyError {
    /// 64 characters but not all hex digits.
    #[error("network key is 64 characters but not hex")]
    InvalidHex,
    /// Not 64 hex digits, and not canonical base64 of 32 bytes.
    #[error("network key is neither 64 hex digits nor base64 of 32 bytes: {0}")]
    Base64(#[from] Base64Error),
}

impl NetworkKeyError {
    /// A stable, machine-readable name for the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidHex => "network_key_invalid_hex",
            Self::Base64(_) => "network_key_invalid_base64",
        }
    }
}

impl NetworkKey {
    /// The main SSB network (`ssb-caps` `shs`: `1KHLiKZvAvjbY1ziZEHMXawbCEIM6qwjCDm3VYRan/s=`).
    pub const MAIN_NET: NetworkKey = NetworkKey([
        0xd4, 0xa1, 0xcb, 0x88, 0xa6, 0x6f, 0x02, 0xf8, 0xdb, 0x63, 0x5c, 0xe2, 0x64, 0x41, 0xcc,
        0x5d, 0xac, 0x1b, 0x08, 0x42, 0x0c, 0xea, 0xac, 0x23, 0x08, 0x39, 0xb7, 0x55, 0x84, 0x5a,
        0x9f, 0xfb,
    ]);

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// From 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Result<Self, NetworkKeyError> {
        let mut out = [0u8; 32];
        crate::hex::decode_into(text, &mut out).map_err(|_| NetworkKeyError::InvalidHex)?;
        Ok(Self(out))
    }

    /// From canonical base64 (as in `caps.json`).
    pub fn from_base64(text: &str) -> Result<Self, NetworkKeyError> {
        Ok(Self(base64::decode_array::<32>(text)?))
    }
}

impl FromStr for NetworkKey {
    type Err = NetworkKeyError;
    /// 64 hex digits, or canonical base64 of 32 bytes.
    fn from_str(text: &str) -> Result<Self, NetworkKeyError> {
        if text.len() == 64 {
            Self::from_hex(text)
        } else {
            Self::from_base64(text)
        }
    }
}

impl fmt::Display for NetworkKey {
    /// Base64, as in `caps.json`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&base64::encode(&self.0))
    }
}

impl fmt::Debug for NetworkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::MAIN_NET {
            f.write_str("NetworkKey(MAIN_NET)")
        } else {
            f.write_str("NetworkKey(..)")
        }
    }
}
