//! What a completed handshake yields (docs/PROTOCOL.md §2.6): the peer's identity and, per direction, the
//! box-stream key and starting nonce.

use core::fmt;

use ssb_crypto::PublicKey;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The key and starting nonce of one box-stream direction. Zeroized on drop; `Debug` shows
/// neither.
/// `==` compares in constant time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct BoxKeys {
    /// The XSalsa20-Poly1305 key, `SHA-256(S || long-term pk of the receiving side)`.
    pub key: [u8; 32],
    /// The first nonce: the first 24 bytes of the receiving side's hello HMAC.
    pub nonce: [u8; 24],
}

impl PartialEq for BoxKeys {
    /// Constant time in the key and nonce bytes.
    fn eq(&self, other: &Self) -> bool {
        (self.key.ct_eq(&other.key) & self.nonce.ct_eq(&other.nonce)).into()
    }
}

impl Eq for BoxKeys {}

impl fmt::Debug for BoxKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoxKeys(..)")
    }
}

/// The result of a successful handshake.
///
/// `send` keys the box stream this side writes, `recv` the one it reads. The client's `send` is
/// the server's `recv` and vice versa.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeOutcome {
    /// The other side's long-term key (for the client, the key it dialled; for the server, the
    /// key the client proved in msg3).
    pub peer: PublicKey,
    /// Keys for the box stream this side encrypts.
    pub send: BoxKeys,
    /// Keys for the box stream this side decrypts.
    pub recv: BoxKeys,
}

impl HandshakeOutcome {
    /// The 112 bytes `shs1-test` expects on stdout after a handshake:
    /// `send.key || send.nonce || recv.key || recv.nonce` (docs/PROTOCOL.md §2.6). Secret: zeroize it.
    pub fn to_shs1_test_bytes(&self) -> zeroize::Zeroizing<[u8; 112]> {
        let mut out = zeroize::Zeroizing::new([0u8; 112]);
        out[..32].copy_from_slice(&self.send.key);
        out[32..56].copy_from_slice(&self.send.nonce);
        out[56..88].copy_from_slice(&self.recv.key);
        out[88..].copy_from_slice(&self.recv.nonce);
        out
    }
}
