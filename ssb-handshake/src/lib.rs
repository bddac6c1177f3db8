//! Secret Handshake (SHS v1), the authenticated key exchange every SSB connection starts with,
//! as Sans-IO client and server state machines (`no_std` + `alloc`; no I/O, no clock, no RNG).
//!
//! The whole job in memory: a client and a server shake hands, then talk over box streams
//! ([`ssb-boxstream`](https://docs.rs/ssb-boxstream)).
//!
//! ```
//! use ssb_boxstream::{Decryptor, Encryptor, Frame, Progress};
//! use ssb_crypto::{CurveSecretKey, Keypair, NetworkKey};
//! use ssb_handshake::{Event, Handshake, MAX_MESSAGE_LEN};
//!
//! let alice = Keypair::from_seed(&[1; 32]);
//! let bob = Keypair::from_seed(&[2; 32]);
//! // Ephemeral keys are fixed here for a deterministic example; use `client_with_rng` and
//! // `server_with_rng` for real connections.
//! let mut client = Handshake::client(NetworkKey::MAIN_NET, &alice, bob.public(),
//!     CurveSecretKey::from_bytes([3; 32]));
//! let mut server = Handshake::server(NetworkKey::MAIN_NET, &bob,
//!     CurveSecretKey::from_bytes([4; 32]));
//!
//! // The run loop: drain transmits, feed the other side, react to events, until complete.
//! let mut buf = [0u8; MAX_MESSAGE_LEN];
//! while !(client.is_complete() && server.is_complete()) {
//!     while let Some(n) = client.poll_transmit(&mut buf)? {
//!         server.handle_input(&buf[..n])?;
//!     }
//!     if let Some(Event::ClientAuthenticated(peer)) = server.poll_event() {
//!         assert_eq!(peer, alice.public()); // the authorization hook
//!         server.accept()?;
//!     }
//!     while let Some(n) = server.poll_transmit(&mut buf)? {
//!         client.handle_input(&buf[..n])?;
//!     }
//! }
//! let (client, server) = (client.into_outcome()?, server.into_outcome()?);
//! assert_eq!(server.peer, alice.public());
//! assert_eq!(client.send, server.recv);
//!
//! // Box streams, one per direction.
//! let mut enc = Encryptor::new(client.send.key, client.send.nonce);
//! let mut dec = Decryptor::new(server.recv.key, server.recv.nonce);
//! let mut wire = vec![0u8; ssb_boxstream::sealed_len(5) + ssb_boxstream::GOODBYE_LEN];
//! let mut n = enc.seal(b"hello", &mut wire)?;
//! n += enc.seal_goodbye(&mut wire[n..])?;
//! let mut input = &wire[..n];
//! let mut got = Vec::new();
//! while !input.is_empty() {
//!     let opened = dec.open(input)?;
//!     input = &input[opened.consumed..];
//!     match opened.progress {
//!         Progress::Frame(Frame::Data(body)) => got.extend_from_slice(body),
//!         Progress::Frame(Frame::Goodbye) | Progress::Ended => break,
//!         Progress::NeedMore(_) => {}
//!     }
//! }
//! dec.finish()?; // a stream that ends without a goodbye is an error (truncation)
//! assert_eq!(got, b"hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it checks (docs/PROTOCOL.md §2.5)
//!
//! * msg1/msg2: the HMAC with the network key, in constant time; a Diffie-Hellman with the
//!   peer's ephemeral key that gives all zeros (a low-order point) is refused, as libsodium does.
//! * msg3/msg4: the box opens and the signature verifies with libsodium's rules; the client's
//!   key must convert to X25519.
//! * A server never replies to an invalid message, and neither side writes anything after a
//!   failure: the machine drops what it had queued, reports a [`HandshakeError`] naming the
//!   [`Step`], and stays failed.
//! * The server surfaces the client's key ([`Event::ClientAuthenticated`]) and sends msg4 only
//!   after [`Handshake::accept`]; [`Handshake::reject`] hangs up silently, as the JS
//!   `authorize` hook does.
//!
//! # Guarantees
//!
//! * Any panic on input is a bug. Input may arrive in pieces of any size; the machine consumes
//!   only handshake bytes and leaves whatever follows the last message (the start of the box
//!   stream) to the caller.
//! * Secrets (ephemeral key, shared secrets, box keys, [`BoxKeys`]) are zeroized on drop and
//!   never printed by `Debug`.
//! * Buffers are fixed: [`MAX_MESSAGE_LEN`] bytes in and out; no allocation. A short output
//!   buffer is [`LocalError::BufferTooSmall`] (the workspace's one [`BufferTooSmall`], from
//!   `ssb-sansio`), and [`Handshake::bytes_needed`] counts as every decoder's `NeedMore`
//!   does: the bytes still to come.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod error;
mod machine;
mod outcome;

pub use error::{AuthFailure, HandshakeError, LocalError, RemoteError, Step};
pub use machine::{Event, Handshake, Role};
pub use outcome::{BoxKeys, HandshakeOutcome};
pub use ssb_sansio::BufferTooSmall;

/// Length of msg1 and msg2, the hellos: `HMAC(K, eph_pk) (32) || eph_pk (32)`.
pub const HELLO_LEN: usize = 64;
/// Length of msg3, the client authentication: `MAC (16) || box(sig_A (64) || A_pk (32))`.
pub const CLIENT_AUTH_LEN: usize = 112;
/// Length of msg4, the server accept: `MAC (16) || box(sig_B (64))`.
pub const SERVER_ACCEPT_LEN: usize = 80;
/// The longest handshake message; an output buffer of this size always suffices for
/// [`Handshake::poll_transmit`].
pub const MAX_MESSAGE_LEN: usize = CLIENT_AUTH_LEN;
/// Bytes a client sends in a whole handshake (msg1 + msg3).
pub const CLIENT_BYTES: usize = HELLO_LEN + CLIENT_AUTH_LEN;
/// Bytes a server sends in a whole handshake (msg2 + msg4).
pub const SERVER_BYTES: usize = HELLO_LEN + SERVER_ACCEPT_LEN;
