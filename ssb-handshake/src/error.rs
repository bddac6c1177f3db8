//! Errors, split the way h11 does: [`RemoteError`] when the peer sent something that fails a
//! check (docs/PROTOCOL.md §2.5), [`LocalError`] when the caller misused the API. Every handshake error is
//! fatal and sticky: the machine that reported it stays failed and never transmits again.

use ssb_crypto::SignatureError;
use ssb_sansio::BufferTooSmall;

/// The four messages of the handshake, in wire order (docs/PROTOCOL.md §2.3). Errors name the message whose
/// processing failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// msg1, client → server: `HMAC(K, a_pk) || a_pk` (64 bytes).
    ClientHello,
    /// msg2, server → client: `HMAC(K, b_pk) || b_pk` (64 bytes).
    ServerHello,
    /// msg3, client → server: the boxed client authentication (112 bytes).
    ClientAuth,
    /// msg4, server → client: the boxed server accept (80 bytes).
    ServerAccept,
}

impl Step {
    /// A stable machine-readable name: `client_hello`, `server_hello`, `client_auth`,
    /// `server_accept` (used by the test vectors).
    pub fn code(&self) -> &'static str {
        match self {
            Self::ClientHello => "client_hello",
            Self::ServerHello => "server_hello",
            Self::ClientAuth => "client_auth",
            Self::ServerAccept => "server_accept",
        }
    }

    /// The message's exact length on the wire.
    pub const fn len(&self) -> usize {
        match self {
            Self::ClientHello | Self::ServerHello => crate::HELLO_LEN,
            Self::ClientAuth => crate::CLIENT_AUTH_LEN,
            Self::ServerAccept => crate::SERVER_ACCEPT_LEN,
        }
    }

    /// Always false: no handshake message is empty (here for clippy's `len_without_is_empty`).
    pub const fn is_empty(&self) -> bool {
        false
    }
}

/// Why an authentication message (msg3 or msg4) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthFailure {
    /// The secret box did not open: wrong key (the peer does not know the secrets this side
    /// derived, e.g. it dialled a different server key) or corrupted bytes.
    #[error("the box does not open")]
    Unauthentic,
    /// The box opened but the signature inside does not verify.
    #[error("signature refused: {0}")]
    BadSignature(SignatureError),
    /// The client's long-term key cannot be converted to X25519 (libsodium refuses it too).
    #[error("long-term key cannot be converted to X25519")]
    InvalidKey,
}

/// The peer misbehaved. Nothing must be sent in reply; close the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// msg1's HMAC does not verify: the client uses another network key, or is not speaking SHS.
    #[error("bad client hello (wrong network key or not SHS)")]
    BadClientHello,
    /// msg2's HMAC does not verify: the server uses another network key, or is not speaking SHS.
    #[error("bad server hello (wrong network key or not SHS)")]
    BadServerHello,
    /// msg3 was refused: the client did not dial this server's key, or the bytes are corrupt.
    #[error("client authentication rejected: {0}")]
    ClientAuthRejected(AuthFailure),
    /// msg4 was refused: the server is not who the client dialled, or the bytes are corrupt.
    #[error("server accept rejected: {0}")]
    ServerAcceptRejected(AuthFailure),
    /// A Diffie-Hellman with a key the peer sent gave the all-zero result (a low-order point);
    /// libsodium refuses it, and so do we.
    #[error("low-order shared secret")]
    LowOrderSharedSecret,
}

/// The caller misused the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// An output buffer is shorter than the message to write; `required` is that message's
    /// length.
    #[error(transparent)]
    BufferTooSmall(#[from] BufferTooSmall),
    /// [`Handshake::handle_message`](crate::Handshake::handle_message) was given a slice that is
    /// not exactly the next message.
    #[error("expected a {expected}-byte message, got {found} bytes")]
    WrongInputSize {
        /// The length of the message the machine waits for (0 if it waits for none).
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// The server key given to the client is not a usable Ed25519 key (it cannot be converted to
    /// X25519). Reported when msg2 is processed, where JS reports it too.
    #[error("the server's public key cannot be converted to X25519")]
    InvalidServerKey,
    /// `accept` or `reject` outside the authorization step (server only, after msg3).
    #[error("no client is waiting for an authorization decision")]
    NotAwaitingAuthorization,
    /// The server refused the client with `reject`.
    #[error("the client was rejected by the authorization hook")]
    Rejected,
    /// `into_outcome` before the handshake completed (or before msg4 was taken by
    /// `poll_transmit`).
    #[error("the handshake is not complete")]
    NotComplete,
}

/// Any handshake failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The peer misbehaved (see [`RemoteError`]).
    #[error("{error} (at {})", .step.code())]
    Remote {
        /// The message being processed.
        step: Step,
        /// What was wrong with it.
        error: RemoteError,
    },
    /// The API was misused (see [`LocalError`]).
    #[error(transparent)]
    Local(#[from] LocalError),
}

impl HandshakeError {
    pub(crate) const fn remote(step: Step, error: RemoteError) -> Self {
        Self::Remote { step, error }
    }

    /// The message whose processing failed, for remote errors (and for
    /// [`LocalError::InvalidServerKey`], which surfaces at msg2).
    pub fn step(&self) -> Option<Step> {
        match self {
            Self::Remote { step, .. } => Some(*step),
            Self::Local(LocalError::InvalidServerKey) => Some(Step::ServerHello),
            Self::Local(_) => None,
        }
    }

    /// True when the peer misbehaved (as opposed to a local API misuse).
    pub fn is_remote(&self) -> bool {
        matches!(self, Self::Remote { .. })
    }

    /// A stable machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Remote { error, .. } => match error {
                RemoteError::BadClientHello => "shs_bad_client_hello",
                RemoteError::BadServerHello => "shs_bad_server_hello",
                RemoteError::ClientAuthRejected(_) => "shs_client_auth_rejected",
                RemoteError::ServerAcceptRejected(_) => "shs_server_accept_rejected",
                RemoteError::LowOrderSharedSecret => "shs_low_order_shared_secret",
            },
            Self::Local(e) => match e {
                LocalError::BufferTooSmall(e) => e.code(),
                LocalError::WrongInputSize { .. } => "shs_wrong_input_size",
                LocalError::InvalidServerKey => "shs_invalid_server_key",
                LocalError::NotAwaitingAuthorization => "shs_not_awaiting_authorization",
                LocalError::Rejected => "shs_rejected",
                LocalError::NotComplete => "shs_not_complete",
            },
        }
    }
}
