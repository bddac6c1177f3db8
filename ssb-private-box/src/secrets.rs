//! The random values of one box, the key a recipient recovers from its slot, and the
//! recipient limit.

use core::fmt;
use core::num::NonZeroU8;

use rand_core::CryptoRngCore;
use ssb_crypto::{CurvePublicKey, CurveSecretKey};
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{KEY_LEN, NONCE_LEN};

/// How many recipients a box may have when sealing, and how many slots a reader tries when
/// opening (`max + 1`, as JS does). Between 1 and 255; the network uses
/// [`MaxRecipients::DEFAULT`] (7).
///
/// JS `private-box` takes the same number as its optional `max` argument (`setMax`); a JS
/// `max` of 0 or `undefined` means 7, which this type spells [`MaxRecipients::DEFAULT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MaxRecipients(NonZeroU8);

impl MaxRecipients {
    /// 7: what `private-box` uses when no `max` is given, and what the network (`ssb-keys`
    /// `box`, `ssb-db`) uses.
    pub const DEFAULT: Self = match NonZeroU8::new(crate::DEFAULT_MAX_RECIPIENTS) {
        Some(n) => Self(n),
        None => unreachable!(),
    };
    /// 255: the largest `max` `private-box` accepts (the count byte is one byte).
    pub const LIMIT: Self = Self(NonZeroU8::MAX);

    /// `Some` for 1..=255; `None` for 0 (JS would silently read 0 as 7; say
    /// [`MaxRecipients::DEFAULT`] instead).
    pub const fn new(max: u8) -> Option<Self> {
        match NonZeroU8::new(max) {
            Some(n) => Some(Self(n)),
            None => None,
        }
    }

    /// The number.
    pub const fn get(self) -> u8 {
        self.0.get()
    }

    /// How many slots a reader with this `max` tries: `max + 1` (JS loops `i = 0..=max`).
    pub const fn slots_tried(self) -> usize {
        self.0.get() as usize + 1
    }
}

impl Default for MaxRecipients {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The three random values of one box: the one-time X25519 key pair's secret, the body key
/// (`msg_key`) and the nonce. Use fresh ones for every box ([`BoxSecrets::generate`], or the
/// `*_with_rng` functions); the deterministic constructor exists for test vectors.
/// Zeroized on drop, never printed; deliberately not `Clone` (a reused nonce and key pair
/// would let readers of one box read the other).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct BoxSecrets {
    onetime: CurveSecretKey,
    msg_key: [u8; KEY_LEN],
    nonce: [u8; NONCE_LEN],
}

impl BoxSecrets {
    /// The values as given. `onetime` is used like libsodium's `crypto_box_keypair` secret
    /// (X25519 clamps it at use).
    pub fn new(onetime: CurveSecretKey, msg_key: [u8; KEY_LEN], nonce: [u8; NONCE_LEN]) -> Self {
        Self {
            onetime,
            msg_key,
            nonce,
        }
    }

    /// Fresh values from a caller-supplied RNG, drawn in the order JS `multibox` draws them
    /// (nonce, body key, one-time key).
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut msg_key = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill_bytes(msg_key.as_mut());
        let onetime = CurveSecretKey::generate(rng);
        Self::new(onetime, *msg_key, nonce)
    }

    /// The nonce (public: it is the first 24 bytes of the box).
    pub fn nonce(&self) -> &[u8; NONCE_LEN] {
        &self.nonce
    }

    /// The one-time public key (public: bytes 24..56 of the box).
    pub fn onetime_public(&self) -> CurvePublicKey {
        self.onetime.public_key()
    }

    pub(crate) fn onetime(&self) -> &CurveSecretKey {
        &self.onetime
    }

    pub(crate) fn msg_key(&self) -> &[u8; KEY_LEN] {
        &self.msg_key
    }
}

impl fmt::Debug for BoxSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoxSecrets(..)")
    }
}

/// What a recipient's slot holds: the recipient count and the body key, 33 bytes in JS's
/// layout `count || key` (the value JS `multibox_open_key` / `ssb-keys.unboxKey` return and
/// `multibox_open_body` / `unboxBody` take, e.g. to reveal one message without the reader's
/// secret key). Zeroized on drop, never printed, compared in constant time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct UnboxKey([u8; 1 + KEY_LEN]);

impl UnboxKey {
    /// From JS's 33-byte `count || key`.
    pub fn from_bytes(bytes: [u8; 1 + KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// JS's 33-byte `count || key`.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 1 + KEY_LEN]> {
        Zeroizing::new(self.0)
    }

    /// The recipient count the sender wrote (it locates the body; nothing checks it).
    pub fn count(&self) -> u8 {
        let [count, ..] = self.0;
        count
    }

    /// The body key.
    pub fn msg_key(&self) -> Zeroizing<[u8; KEY_LEN]> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        let [_, rest @ ..] = &self.0;
        key.copy_from_slice(rest);
        key
    }
}

impl ConstantTimeEq for UnboxKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for UnboxKey {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for UnboxKey {}

impl fmt::Debug for UnboxKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UnboxKey(..)")
    }
}
