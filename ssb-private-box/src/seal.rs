//! Sealing a box to 1..=max recipients (JS `private-box` `multibox`).

use alloc::vec::Vec;

use rand_core::CryptoRngCore;
use ssb_crypto::secretbox::seal_in_place;
use ssb_crypto::{ConversionError, CurvePublicKey};
use ssb_sansio::BufferTooSmall;
use zeroize::Zeroizing;

use crate::{BoxSecrets, HEADER_LEN, KEY_LEN, MAC_LEN, MaxRecipients, NONCE_LEN, SLOT_LEN};

/// Why a box was not sealed. Nothing is ever sealed that no one could open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// No recipients. (JS `multibox` seals such a box anyway; no one can ever open it.)
    #[error("a private box needs at least one recipient")]
    NoRecipients,
    /// More recipients than the `max` in use (JS throws `max recipients is:…`).
    #[error("{count} recipients, but at most {max} are allowed")]
    TooManyRecipients {
        /// Recipients given.
        count: usize,
        /// The limit in use.
        max: u8,
    },
    /// The X25519 result with this recipient's key is all zero: the key is of low order (or
    /// an encoding of one), so its slot would be readable by anyone. JS (libsodium
    /// `crypto_scalarmult`) throws `failed to derive shared secret`.
    #[error("recipient {index} has a low-order X25519 key")]
    LowOrderRecipient {
        /// Its position in the recipient list.
        index: usize,
    },
    /// A recipient's feed id is not a usable Ed25519 key (libsodium's
    /// `crypto_sign_ed25519_pk_to_curve25519` refuses it; JS `ssb-keys.box` then throws).
    #[error("recipient {index} cannot receive private boxes: {reason}")]
    InvalidRecipient {
        /// Its position in the recipient list.
        index: usize,
        /// Why the key does not convert.
        reason: ConversionError,
    },
    /// The output buffer is shorter than the box; `required` is the box's length
    /// ([`boxed_len`]).
    #[error(transparent)]
    BufferTooSmall(#[from] BufferTooSmall),
}

impl SealError {
    /// A stable, machine-readable name.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoRecipients => "no_recipients",
            Self::TooManyRecipients { .. } => "too_many_recipients",
            Self::LowOrderRecipient { .. } => "low_order_recipient",
            Self::InvalidRecipient { .. } => "invalid_recipient",
            Self::BufferTooSmall(e) => e.code(),
        }
    }
}

/// The length of a box of `plaintext_len` bytes to `recipients` recipients:
/// `24 + 32 + 49 × recipients + 16 + plaintext_len` (saturating at `usize::MAX`).
pub const fn boxed_len(plaintext_len: usize, recipients: usize) -> usize {
    HEADER_LEN
        .saturating_add(SLOT_LEN.saturating_mul(recipients))
        .saturating_add(MAC_LEN)
        .saturating_add(plaintext_len)
}

fn check_count(recipients: usize, max: MaxRecipients) -> Result<u8, SealError> {
    if recipients == 0 {
        return Err(SealError::NoRecipients);
    }
    match u8::try_from(recipients) {
        Ok(n) if n <= max.get() => Ok(n),
        _ => Err(SealError::TooManyRecipients {
            count: recipients,
            max: max.get(),
        }),
    }
}

/// Seals `plaintext` to `recipients` (X25519 keys: `PublicKey::to_curve` of their feed ids)
/// into `out`, returning the bytes written ([`boxed_len`]). Byte for byte what JS
/// `multibox(plaintext, recipients, max)` makes when it draws these `secrets`.
///
/// `out`'s contents are unspecified after an error.
pub fn seal_into(
    plaintext: &[u8],
    recipients: &[CurvePublicKey],
    max: MaxRecipients,
    secrets: &BoxSecrets,
    out: &mut [u8],
) -> Result<usize, SealError> {
    let count = check_count(recipients.len(), max)?;
    let required = boxed_len(plaintext.len(), recipients.len());
    let out = out.get_mut(..required).ok_or(BufferTooSmall { required })?;
    let nonce = secrets.nonce();
    let (header, rest) = out.split_at_mut(HEADER_LEN);
    let (nonce_out, onetime_out) = header.split_at_mut(NONCE_LEN);
    nonce_out.copy_from_slice(nonce);
    onetime_out.copy_from_slice(secrets.onetime_public().as_bytes());

    // Each slot: secretbox(count || msg_key) under the raw X25519 output with that recipient.
    let mut count_and_key = Zeroizing::new([0u8; 1 + KEY_LEN]);
    if let Some((c, k)) = count_and_key.split_first_mut() {
        *c = count;
        k.copy_from_slice(secrets.msg_key());
    }
    let (slots, body) = rest.split_at_mut(SLOT_LEN * recipients.len());
    for (index, (slot, recipient)) in slots.chunks_exact_mut(SLOT_LEN).zip(recipients).enumerate() {
        let shared = secrets
            .onetime()
            .diffie_hellman(recipient)
            .map_err(|_| SealError::LowOrderRecipient { index })?;
        let (tag, sealed) = slot.split_at_mut(MAC_LEN);
        sealed.copy_from_slice(count_and_key.as_ref());
        tag.copy_from_slice(&seal_in_place(shared.as_bytes(), nonce, sealed));
    }
    let (tag, sealed) = body.split_at_mut(MAC_LEN);
    sealed.copy_from_slice(plaintext);
    tag.copy_from_slice(&seal_in_place(secrets.msg_key(), nonce, sealed));
    Ok(required)
}

/// [`seal_into`] a new `Vec`.
pub fn seal(
    plaintext: &[u8],
    recipients: &[CurvePublicKey],
    max: MaxRecipients,
    secrets: &BoxSecrets,
) -> Result<Vec<u8>, SealError> {
    check_count(recipients.len(), max)?;
    let mut out = alloc::vec![0u8; boxed_len(plaintext.len(), recipients.len())];
    let n = seal_into(plaintext, recipients, max, secrets, &mut out)?;
    out.truncate(n);
    Ok(out)
}

/// [`seal`] with fresh secrets drawn from `rng` ([`BoxSecrets::generate`]).
pub fn seal_with_rng(
    plaintext: &[u8],
    recipients: &[CurvePublicKey],
    max: MaxRecipients,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, SealError> {
    seal(plaintext, recipients, max, &BoxSecrets::generate(rng))
}
