//! What JS `private-box` 0.3.1 and `ssb-keys` 8.5 actually do, where it is easy to get
//! wrong, and where this crate deliberately differs (each difference is marked *Policy*).
//! Items 1–11, 13–15 and 17–19 are pinned by cases in `test-vectors/vectors/private-box.json`
//! (generated and re-checked on JS by `test-vectors/js/layers/private-box.js`; group names in
//! `test-vectors/README.md`). Item 12's `max` of 0 and item 16's leniency are read from the
//! sources (`private-box/index.js` `setMax`, `ssb-keys/util.js` `toBuffer`) and are not in the
//! vectors, because our API refuses those inputs.
//!
//! # The layout, as the code (not the README) has it
//!
//! 1. **The count byte comes first.** Each slot seals `count || body_key` (33 bytes), the
//!    count being the number of recipients. The `private-box` README's pseudo-code puts the
//!    length after the key; the code, and every box on the network, put it first.
//! 2. **Slots are 49 bytes**: the 33 sealed bytes plus their 16-byte Poly1305 tag
//!    (`crypto_secretbox_easy`, tag first). The README's "33-byte" slot forgets the tag.
//! 3. **The slot key is the raw X25519 output** `crypto_scalarmult(onetime_sk, R_i)`, used
//!    directly as a `crypto_secretbox` key: no hashing, no `crypto_box`
//!    (whose `crypto_box_beforenm` would hash it with HSalsa20).
//! 4. **One nonce for everything**: the 24 random bytes at the start serve every slot and the
//!    body (the keys differ).
//! 5. Recipients are Ed25519 feed keys converted with libsodium's
//!    `crypto_sign_ed25519_pk_to_curve25519`; a reader's secret is
//!    `crypto_sign_ed25519_sk_to_curve25519` of its Ed25519 secret
//!    ([`ssb_crypto::Keypair::to_curve_secret`]).
//!
//! # Reading
//!
//! 6. **JS readers try `max + 1` slots**: `for (i = 0; i <= max; i++)`, so a default reader
//!    (`max` 7) tries 8 slots and reads the 8th recipient of a box sealed with `max` ≥ 8,
//!    but never the 9th. [`open`](crate::open) tries the same 8;
//!    [`open_with_max`](crate::open_with_max) takes the `max` both sides agreed on. Trying
//!    only 7 would fail to read boxes JS readers read.
//! 7. **The `len − 16` bound**: slot `i` is tried only if it ends at least 16 bytes (an empty
//!    body's tag) before the end of the box; the loop stops at the first slot that does
//!    not. So a non-recipient tries `min(max + 1, (len − 72) / 49)` slots, and may try bytes
//!    of the body as slots (they never authenticate).
//! 8. **The count byte is not checked**: the body is taken to start at `56 + 49 × count`,
//!    whatever slot matched. A count that puts the body less than 16 bytes from the end makes
//!    JS throw a `RangeError` (a negative `Buffer` size); one that puts it elsewhere just
//!    fails to authenticate. We locate the body the same way and bounds-check it
//!    ([`OpenError::CountPastEnd`](crate::OpenError::CountPastEnd),
//!    [`OpenError::BodyUnauthentic`](crate::OpenError::BodyUnauthentic)).
//! 9. **A low-order one-time key** (any u whose X25519 result is all zero: 0, 1, the order-8
//!    points, p − 1, p, p + 1, with or without bit 255) makes libsodium's
//!    `crypto_scalarmult` fail and `sodium-native` throw `failed to derive shared secret`,
//!    for every reader. We return
//!    [`OpenError::LowOrderOneTimeKey`](crate::OpenError::LowOrderOneTimeKey).
//! 10. **Bit 255 of the one-time key is ignored** (X25519 masks it, in libsodium and
//!     `x25519-dalek` alike): flipping it leaves the box readable. Non-canonical u ≥ p are
//!     reduced, as in libsodium.
//!
//! # Sealing
//!
//! 11. **JS seals to zero recipients**: `multibox(msg, [])` returns nonce, one-time key and
//!     body, a box no one can ever open. *Policy*: we refuse
//!     ([`SealError::NoRecipients`](crate::SealError::NoRecipients)).
//! 12. **`max`**: JS `setMax(m)` is `m || 7`, so 0 (or no argument) means 7, and anything
//!     outside 1..=255 throws; more recipients than `max` throws.
//!     [`MaxRecipients`](crate::MaxRecipients) has no 0 (say `DEFAULT`) and cannot exceed
//!     255.
//! 13. **Low-order recipient keys**: JS throws (`failed to derive shared secret`) while
//!     sealing; so do we
//!     ([`SealError::LowOrderRecipient`](crate::SealError::LowOrderRecipient)). A
//!     recipient key with bit 255 set is used with the bit masked, like libsodium.
//!
//! # Feed content (`ssb-keys`)
//!
//! 14. **The plaintext is compact `JSON.stringify(content)`** (no indentation, unlike the
//!     signing form), as UTF-8; lone surrogates are written as `\udXXX` escapes
//!     (well-formed `JSON.stringify`). We serialize with [`ssb_legacy_json`], which is
//!     checked byte for byte against node.
//! 15. **`box` converts every recipient feed id**; an id whose key libsodium will not convert
//!     (small order, not on the curve, torsion of order 4 or 8) becomes `null` and the
//!     following `crypto_scalarmult` throws a `TypeError`. We return
//!     [`SealError::InvalidRecipient`](crate::SealError::InvalidRecipient).
//! 16. **`unbox` is lenient and silent**: it strips everything from the first `.`
//!     (so `.box2`, `.boxjunk` or no suffix all pass), decodes the rest with node's lenient
//!     base64 (skipping junk characters, padding optional), and returns `undefined` for a
//!     box not for us, a malformed box, a plaintext that is not JSON, and anything thrown.
//!     *Policy*: [`unbox_content`](crate::unbox_content) wants exactly
//!     `<canonical base64>.box` (what every JS writer emits, and what `ssb-validate`'s
//!     `isEncrypted` requires of message content) and tells the three failures apart
//!     ([`UnboxError`](crate::UnboxError)); only "not for us" is `Ok(None)`.
//! 17. **A plaintext of `null`** is valid JSON: JS `unbox` returns `null`, which callers
//!     that test `if (content)` mistake for failure. We return `Ok(Some(Value::Null))`.
//! 18. **Invalid UTF-8 in the plaintext** is decoded by node as U+FFFD before `JSON.parse`;
//!     [`ssb_legacy_json::parse`] does the same.
//!
//! # Our one stricter read
//!
//! 19. *Policy*: input shorter than [`MIN_BOX_LEN`](crate::MIN_BOX_LEN) (121 bytes: one slot
//!     and an empty body) is [`OpenError::TooShort`](crate::OpenError::TooShort). JS
//!     throws below 56 bytes (its X25519 wants 32 bytes of key) and between 56 and 120 reads
//!     it as a box for no one (or throws if the "key" is of low order). No sealer makes such
//!     a box.
