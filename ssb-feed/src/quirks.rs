//! The oddities of classic SSB validation this crate reproduces, with the JavaScript that
//! defines each (all from `ssb-validate` 4.1 and `ssb-keys` 8.5).
//!
//! * **Two field orders.** `isValidOrder` accepts `previous, author, sequence, …` and
//!   `previous, sequence, author, …`; the order is part of the signed text, so it is kept.
//! * **Latin1 message id.** `'%' + sha256(Buffer.from(JSON.stringify(msg, null, 2),
//!   'binary'))`: the hash input is the low byte of every UTF-16 unit, not UTF-8.
//! * **Size in UTF-16 units.** `JSON.stringify(msg, null, 2).length > 8192` counts UTF-16
//!   code units of the whole message, signature included.
//! * **`content.type` length** is `type.length`, again UTF-16 units (3..=52).
//! * **Loose link checks.** `msg.sequence != state.sequence + 1` and `msg.previous !=
//!   state.id` use `!=`: a `previous` of `["%…"]` equals the id (`String(["%x"]) === "%x"`),
//!   and a string sequence such as `"2"` passes the sequence test (then fails `~~n === n`).
//! * **int32 sequences.** `~~n === n`: sequences of 2^31 and more are refused.
//! * **Encrypted content.** `^<canonical base64>\.box.*$`: `.box`, `.box2` and any suffix
//!   pass, even an empty base64 part (`".box"`); a line terminator after `.box` does not.
//! * **Author regex.** `ssb-ref`'s feed regex writes the dot before the suffix unescaped
//!   and allows `.sha256`: such authors pass the first check and fail later (at the
//!   signature's curve or its verification), with the error JS gives.
//! * **Timestamps** are only required to be numbers on a feed's first message (and out of
//!   order); `1e400` is a number (`Infinity`) that signs as `null`.
//! * **Long signatures.** The signature's 88 base64 characters may encode 64, 65 or 66
//!   bytes; `sodium-native`'s `crypto_sign_verify_detached` only requires at least 64 and
//!   verifies the first 64, so the extra bytes are ignored (and still part of the id).
//! * **HMAC networks** sign `crypto_auth(key, json)` instead of the JSON.
