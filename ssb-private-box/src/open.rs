//! Opening a box (JS `private-box` `multibox_open_key`, `multibox_open_body`, `multibox_open`).
//!
//! Every slot a reader may try is tried, with the same work whichever one (if any) is ours,
//! and the match is selected with `subtle`: all slots share one key (the reader's X25519
//! result with the box's one-time key) and one nonce, so they share one keystream. It is
//! computed once; then for each slot the candidate plaintext is `slot ⊕ keystream`, and
//! re-sealing the candidate yields the slot's own ciphertext and the Poly1305 tag of that
//! ciphertext, which is compared with the slot's tag in constant time. Nothing branches on
//! a tag or on which slot matched until the loop is over.
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use alloc::vec::Vec;

use ssb_crypto::secretbox::{open_in_place, seal_in_place};
use ssb_crypto::{CurvePublicKey, CurveSecretKey};
use ssb_sansio::BufferTooSmall;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::{
    HEADER_LEN, KEY_LEN, MAC_LEN, MIN_BOX_LEN, MaxRecipients, NONCE_LEN, SLOT_LEN, UnboxKey,
};

/// Why a box could not be opened. Never "not for me": that is `Ok(None)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Shorter than the smallest box ([`MIN_BOX_LEN`], one recipient and an empty body).
    /// (JS reads such input as a box for no one, or throws below 56 bytes.)
    #[error("{len} bytes is shorter than the smallest private box ({MIN_BOX_LEN})")]
    TooShort {
        /// The input's length.
        len: usize,
    },
    /// The box's one-time key is of low order: the X25519 result is all zero for every
    /// reader. Only a forger makes such a box (JS throws `failed to derive shared secret`).
    #[error("the box's one-time key is of low order")]
    LowOrderOneTimeKey,
    /// Our slot opened, but its count byte puts the body past the end of the box (JS throws
    /// a `RangeError`).
    #[error("the count byte {count} puts the body past the end of the {len}-byte box")]
    CountPastEnd {
        /// The count byte.
        count: u8,
        /// The box's length.
        len: usize,
    },
    /// Our slot opened, but the body does not authenticate under its key (tampered or
    /// truncated; JS returns `undefined`).
    #[error("the box's body does not authenticate")]
    BodyUnauthentic,
    /// The output buffer is shorter than the plaintext; `required` is the plaintext's length.
    #[error(transparent)]
    BufferTooSmall(#[from] BufferTooSmall),
}

impl OpenError {
    /// A stable, machine-readable name.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::LowOrderOneTimeKey => "low_order_onetime_key",
            Self::CountPastEnd { .. } => "count_past_end",
            Self::BodyUnauthentic => "body_unauthentic",
            Self::BufferTooSmall(e) => e.code(),
        }
    }
}

/// The nonce and one-time key of a box of at least [`MIN_BOX_LEN`] bytes.
fn header(boxed: &[u8]) -> Result<(&[u8; NONCE_LEN], CurvePublicKey), OpenError> {
    if boxed.len() < MIN_BOX_LEN {
        return Err(OpenError::TooShort { len: boxed.len() });
    }
    let too_short = OpenError::TooShort { len: boxed.len() };
    let (nonce, rest) = boxed.split_first_chunk::<NONCE_LEN>().ok_or(too_short)?;
    let (onetime, _) = rest.split_first_chunk::<32>().ok_or(too_short)?;
    Ok((nonce, CurvePublicKey(*onetime)))
}

/// How many slots a reader with `max` tries in a box of `len >= MIN_BOX_LEN` bytes: JS's
/// loop `for i in 0..=max`, stopping at the first slot that does not end at least 16 bytes
/// before the end of the box.
fn slots_to_try(len: usize, max: MaxRecipients) -> usize {
    let room = len.saturating_sub(HEADER_LEN + MAC_LEN) / SLOT_LEN;
    room.min(max.slots_tried())
}

/// Finds our slot with the default reader limit ([`MaxRecipients::DEFAULT`]: 8 slots, as JS
/// readers try). See [`open_key_with_max`].
pub fn open_key(boxed: &[u8], secret: &CurveSecretKey) -> Result<Option<UnboxKey>, OpenError> {
    open_key_with_max(boxed, secret, MaxRecipients::DEFAULT)
}

/// Finds our slot (JS `multibox_open_key(boxed, secret, max)`): `Ok(Some(key))` when one of
/// the first `max + 1` slots opens under `secret` (the reader's X25519 secret:
/// `Keypair::to_curve_secret`), `Ok(None)` when none does (the box is not for us).
///
/// Constant work per slot: every slot up to the limit is tried whichever one matches (see
/// the module docs); the number tried depends only on the box's length and `max`.
pub fn open_key_with_max(
    boxed: &[u8],
    secret: &CurveSecretKey,
    max: MaxRecipients,
) -> Result<Option<UnboxKey>, OpenError> {
    let (nonce, onetime) = header(boxed)?;
    let shared = secret
        .diffie_hellman(&onetime)
        .map_err(|_| OpenError::LowOrderOneTimeKey)?;
    let key = shared.as_bytes();
    // The keystream every slot was encrypted with (sealing zeros yields it).
    let mut keystream = Zeroizing::new([0u8; 1 + KEY_LEN]);
    let _ = seal_in_place(key, nonce, keystream.as_mut());

    let slots = boxed.get(HEADER_LEN..).unwrap_or_default();
    let mut found = Choice::from(0);
    let mut selected = Zeroizing::new([0u8; 1 + KEY_LEN]);
    let mut candidate = Zeroizing::new([0u8; 1 + KEY_LEN]);
    for slot in slots
        .chunks_exact(SLOT_LEN)
        .take(slots_to_try(boxed.len(), max))
    {
        let Some((tag, sealed)) = slot.split_first_chunk::<MAC_LEN>() else {
            continue; // unreachable: chunks are SLOT_LEN bytes
        };
        for ((c, s), k) in candidate.iter_mut().zip(sealed).zip(keystream.iter()) {
            *c = s ^ k;
        }
        // Re-sealing the candidate gives back `sealed` and the tag of `sealed`.
        let mut resealed = candidate.clone();
        let expected = seal_in_place(key, nonce, resealed.as_mut());
        let matches = expected.ct_eq(tag);
        let take = matches & !found;
        for (s, c) in selected.iter_mut().zip(candidate.iter()) {
            s.conditional_assign(c, take);
        }
        found |= matches;
    }
    Ok(bool::from(found).then(|| UnboxKey::from_bytes(*selected)))
}

/// A box's body, located by a key's count byte.
struct Body<'a> {
    nonce: &'a [u8; NONCE_LEN],
    tag: &'a [u8; MAC_LEN],
    ciphertext: &'a [u8],
}

fn body<'a>(boxed: &'a [u8], key: &UnboxKey) -> Result<Body<'a>, OpenError> {
    let (nonce, _) = header(boxed)?;
    let count = key.count();
    let past_end = OpenError::CountPastEnd {
        count,
        len: boxed.len(),
    };
    // At most 56 + 49 × 255: no overflow.
    let start = HEADER_LEN.saturating_add(SLOT_LEN.saturating_mul(usize::from(count)));
    let (tag, ciphertext) = boxed
        .get(start..)
        .and_then(|b| b.split_first_chunk::<MAC_LEN>())
        .ok_or(past_end)?;
    Ok(Body {
        nonce,
        tag,
        ciphertext,
    })
}

/// The plaintext length of `boxed` for `key` (where its count byte puts the body).
pub fn plaintext_len(boxed: &[u8], key: &UnboxKey) -> Result<usize, OpenError> {
    body(boxed, key).map(|b| b.ciphertext.len())
}

/// Opens the body with a key from [`open_key`] (JS `multibox_open_body` /
/// `ssb-keys.unboxBody`) into `out`, returning the plaintext's length.
pub fn open_body_into(boxed: &[u8], key: &UnboxKey, out: &mut [u8]) -> Result<usize, OpenError> {
    let Body {
        nonce,
        tag,
        ciphertext,
    } = body(boxed, key)?;
    let required = ciphertext.len();
    let out = out.get_mut(..required).ok_or(BufferTooSmall { required })?;
    out.copy_from_slice(ciphertext);
    open_in_place(&key.msg_key(), nonce, out, tag).map_err(|_| OpenError::BodyUnauthentic)?;
    Ok(required)
}

/// [`open_body_into`] a new `Vec`.
pub fn open_body(boxed: &[u8], key: &UnboxKey) -> Result<Vec<u8>, OpenError> {
    let mut out = alloc::vec![0u8; plaintext_len(boxed, key)?];
    let n = open_body_into(boxed, key, &mut out)?;
    out.truncate(n);
    Ok(out)
}

/// Opens a box with the default reader limit (8 slots, as JS readers try):
/// `Ok(Some(plaintext))`, `Ok(None)` when it is not for us, an error only for malformed
/// input. See [`open_with_max`].
pub fn open(boxed: &[u8], secret: &CurveSecretKey) -> Result<Option<Vec<u8>>, OpenError> {
    open_with_max(boxed, secret, MaxRecipients::DEFAULT)
}

/// Opens a box (JS `multibox_open(boxed, secret, max)`), trying `max + 1` slots:
/// [`open_key_with_max`], then [`open_body`].
pub fn open_with_max(
    boxed: &[u8],
    secret: &CurveSecretKey,
    max: MaxRecipients,
) -> Result<Option<Vec<u8>>, OpenError> {
    match open_key_with_max(boxed, secret, max)? {
        Some(key) => open_body(boxed, &key).map(Some),
        None => Ok(None),
    }
}
