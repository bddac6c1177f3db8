//! Value parsers shared by the commands' clap definitions: a bad value is a usage error
//! (exit status 2) that names the argument, before the command runs.

use ssb_feed::HmacKey;
use zeroize::Zeroizing;

/// Exactly `N` bytes as `2 * N` hex digits; the bytes are zeroized when dropped (keys,
/// seeds and nonces all go through here).
pub(crate) fn hex<const N: usize>(text: &str) -> Result<Zeroizing<[u8; N]>, String> {
    ssb_crypto::hex::decode_array::<N>(text)
        .map(Zeroizing::new)
        .map_err(|e| e.to_string())
}

/// A network's HMAC key (`caps.sign`): canonical base64 of 32 bytes, as JS requires.
pub(crate) fn hmac_key(text: &str) -> Result<HmacKey, String> {
    text.parse::<HmacKey>()
        .map_err(|e| format!("not canonical base64 of 32 bytes: {e}"))
}

/// A message timestamp in milliseconds since the epoch: a finite JavaScript number.
pub(crate) fn timestamp(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(t) if t.is_finite() => Ok(t),
        _ => Err("expected a finite number of milliseconds since 1970".into()),
    }
}

/// A multiserver address: its first `net:HOST:PORT~shs:KEY` alternative.
pub(crate) fn multiserver_address(text: &str) -> Result<ssb_crypto::NetShs, String> {
    crate::net::parse_address(text).map_err(|e| e.to_string())
}

/// A network key (`caps.shs`): canonical base64 of 32 bytes, or 64 hex digits.
pub(crate) fn network_key(text: &str) -> Result<ssb_crypto::NetworkKey, String> {
    text.parse()
        .map_err(|e| format!("{e} (give caps.shs: base64 of 32 bytes)"))
}

/// A feed id, `@….ed25519`.
pub(crate) fn feed_id(text: &str) -> Result<ssb_crypto::FeedId, String> {
    text.parse().map_err(|e: ssb_crypto::IdError| e.to_string())
}

/// A positive number of seconds (fractions allowed), at most a year.
pub(crate) fn seconds(text: &str) -> Result<std::time::Duration, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 366.0 * 86400.0 => Ok(std::time::Duration::from_secs_f64(s)),
        _ => Err("expected a number of seconds above 0 (at most a year)".into()),
    }
}
