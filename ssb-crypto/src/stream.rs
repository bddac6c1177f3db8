//! The raw stream ciphers under secretbox, as libsodium names them: Salsa20/20 with an 8-byte
//! nonce and XSalsa20 with a 24-byte one, each from a 64-bit initial block counter `ic`.
//!
//! They encrypt without authenticating: use [`secretbox`](crate::secretbox) unless a protocol
//! asks for the bare stream. They are public so the keystream can be checked against
//! libsodium's `crypto_stream_salsa20_xor_ic` directly (the `stream/` vectors cross the
//! 2^32-block boundary).
//!
//! ```
//! use ssb_crypto::stream;
//!
//! let mut buf = *b"attack at dawn";
//! stream::xsalsa20_xor_ic(&[1; 32], &[2; 24], 0, &mut buf);
//! stream::xsalsa20_xor_ic(&[1; 32], &[2; 24], 0, &mut buf);
//! assert_eq!(&buf, b"attack at dawn");
//! ```

use crate::salsa::Stream;

/// `crypto_stream_salsa20_xor_ic`: XORs the Salsa20/20 keystream from block `ic` into `buf`.
pub fn salsa20_xor_ic(key: &[u8; 32], nonce: &[u8; 8], ic: u64, buf: &mut [u8]) {
    Stream::salsa20(key, nonce, ic).xor(buf);
}

/// `crypto_stream_xsalsa20_xor_ic`: XORs the XSalsa20 keystream from block `ic` into `buf`.
pub fn xsalsa20_xor_ic(key: &[u8; 32], nonce: &[u8; 24], ic: u64, buf: &mut [u8]) {
    let mut s = Stream::xsalsa20(key, nonce);
    s.seek_block(ic);
    s.xor(buf);
}
