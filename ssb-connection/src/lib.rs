//! A whole SSB connection as one Sans-IO state machine: the secret handshake
//! ([`ssb_handshake`]), then box-stream framing both ways ([`ssb_boxstream`]), then muxrpc
//! ([`ssb_muxrpc`]) inside it (docs/PROTOCOL.md §2–§4). `no_std` + `alloc`; no I/O, no clock,
//! no RNG: the caller moves bytes between the transport and the machine.
//!
//! # The run loop
//!
//! After creating a [`Connection`] and after every call that changes it, drain it:
//!
//! 1. [`poll_transmit`](Connection::poll_transmit) until it returns 0, writing every byte to
//!    the transport;
//! 2. [`poll_event`](Connection::poll_event) until it returns `None`, handling each
//!    [`Event`] (a server answers [`Event::Authenticate`] with
//!    [`accept`](Connection::accept) or [`reject`](Connection::reject); RPC events come
//!    through [`Event::Rpc`], and calls go out through [`endpoint`](Connection::endpoint));
//! 3. read from the transport and give the bytes to
//!    [`handle_input`](Connection::handle_input); keep the bytes it did not consume and
//!    offer them again after the next drain (it stops taking input while the application has
//!    not read what it holds: that is the flow control); at EOF call
//!    [`handle_eof`](Connection::handle_eof).
//!
//! The bytes that arrive in the same read as the last handshake message are the start of the
//! box stream: `handle_input` hands them on itself.
//!
//! ```
//! use serde_json::json;
//! use ssb_connection::{Connection, Event};
//! use ssb_crypto::{CurveSecretKey, Keypair, NetworkKey};
//! use ssb_muxrpc::{Body, CallType, Event as Rpc};
//!
//! let alice = Keypair::from_seed(&[1; 32]);
//! let bob = Keypair::from_seed(&[2; 32]);
//! // Fixed ephemeral keys make the example deterministic; real code uses `*_with_rng`.
//! let mut client = Connection::client(NetworkKey::MAIN_NET, &alice, bob.public(),
//!     CurveSecretKey::from_bytes([3; 32]), Default::default());
//! let mut server = Connection::server(NetworkKey::MAIN_NET, &bob,
//!     CurveSecretKey::from_bytes([4; 32]), Default::default());
//!
//! /// Moves everything `from` wants to send into `to` (a socket write and read).
//! fn pump(from: &mut Connection, to: &mut Connection) -> Result<(), ssb_connection::ConnectionError> {
//!     let mut buf = [0u8; 8192];
//!     loop {
//!         let n = from.poll_transmit(&mut buf)?;
//!         if n == 0 {
//!             return Ok(());
//!         }
//!         let taken = to.handle_input(&buf[..n])?;
//!         assert_eq!(taken, n); // far below the flow-control limits here
//!     }
//! }
//!
//! let mut answer = None;
//! let mut asked = None;
//! for _ in 0..10 {
//!     pump(&mut client, &mut server)?;
//!     while let Some(event) = server.poll_event() {
//!         match event {
//!             Event::Authenticate(peer) if peer == alice.public() => server.accept()?,
//!             Event::Authenticate(_) => server.reject()?,
//!             Event::Rpc(Rpc::Request { id, request }) if request.name == ["whoami"] => {
//!                 let me = json!({ "id": bob.feed_id().to_string() });
//!                 server.endpoint().expect("open").respond(id, Ok(Body::json(me)))?;
//!             }
//!             _ => {}
//!         }
//!     }
//!     pump(&mut server, &mut client)?;
//!     while let Some(event) = client.poll_event() {
//!         match event {
//!             Event::Connected { peer } => {
//!                 assert_eq!(peer, bob.public());
//!                 let rpc = client.endpoint().expect("open");
//!                 asked = Some(rpc.call(CallType::Async, &["whoami"], vec![])?);
//!             }
//!             Event::Rpc(Rpc::Response { id, result }) if Some(id) == asked => {
//!                 answer = Some(result?);
//!                 client.close(); // goodbye: muxrpc's, then the box stream's
//!             }
//!             _ => {}
//!         }
//!     }
//! }
//! assert_eq!(answer, Some(Body::json(json!({ "id": bob.feed_id().to_string() }))));
//! assert!(client.is_closed() && server.is_closed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Rules
//!
//! * Any panic on input is a bug. Every error is typed ([`ConnectionError`]) and fatal: the
//!   machine keeps it, transmits nothing more, and returns it from every later call; close
//!   the transport.
//! * Memory is bounded by the parts' limits: the handshake's fixed buffers, one box-stream
//!   frame (4 KiB) of plaintext the endpoint has not taken yet, and the endpoint's
//!   [`Config`](ssb_muxrpc::Config).
//! * What this side sends is sealed in frames of up to 4096 bytes of the endpoint's output
//!   (packets are coalesced; JS accepts any framing). A clean close is the muxrpc goodbye
//!   both ways, then this side's box-stream goodbye. A peer that ends the transport after
//!   the muxrpc goodbye without a box-stream goodbye (the JS client does exactly that) has
//!   closed cleanly too; any other EOF is [`ConnectionError::Truncated`].
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::vec::Vec;

use ssb_boxstream::{Decryptor, Encryptor, Frame, GOODBYE_LEN, HEADER_LEN, MAX_BODY_LEN, Progress};
use ssb_crypto::{CryptoRngCore, CurveSecretKey, Keypair, NetworkKey, PublicKey};
use ssb_handshake::{Handshake, HandshakeError, HandshakeOutcome, LocalError};
use ssb_muxrpc::Endpoint;

pub use ssb_handshake::Role;
pub use ssb_sansio::BufferTooSmall;

/// Both halves of a connection's box streams from a completed handshake: the encryptor for
/// what this side sends, the decryptor for what it receives.
pub fn channel(outcome: &HandshakeOutcome) -> (Encryptor, Decryptor) {
    (
        Encryptor::new(outcome.send.key, outcome.send.nonce),
        Decryptor::new(outcome.recv.key, outcome.recv.nonce),
    )
}

/// How a connection is set up.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Config {
    /// The muxrpc endpoint's limits.
    pub rpc: ssb_muxrpc::Config,
}

/// Something the application must handle, from [`Connection::poll_event`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Server only: the client proved it holds this key. Call [`Connection::accept`] or
    /// [`Connection::reject`].
    Authenticate(PublicKey),
    /// The handshake is complete: the peer is `peer` and the RPC endpoint is ready.
    Connected {
        /// The other side's long-term key.
        peer: PublicKey,
    },
    /// An event of the RPC endpoint (a request to answer, a response, a readable stream,
    /// the peer's goodbye).
    Rpc(ssb_muxrpc::Event),
    /// The connection ended cleanly both ways: close the transport.
    Closed,
}

/// Why a connection failed. All fatal and sticky but [`ConnectionError::BufferTooSmall`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The handshake failed (the peer's bytes, or our misuse, as the inner error says).
    #[error("handshake: {0}")]
    Handshake(#[from] HandshakeError),
    /// The peer's box stream is forged, broken or over-long.
    #[error("box stream: {0}")]
    BoxStream(#[from] ssb_boxstream::OpenError),
    /// The peer's packet stream inside the box stream is broken.
    #[error("muxrpc: {0}")]
    Rpc(#[from] ssb_muxrpc::DecodeError),
    /// The transport ended before the peer said goodbye.
    #[error("the connection ended without a goodbye")]
    Truncated,
    /// The server refused the client (after [`Connection::reject`]).
    #[error("the client was rejected")]
    Rejected,
    /// Local misuse: `out` must hold at least `required` bytes (a handshake message, or
    /// [`MIN_TRANSMIT_BUFFER`]). Not sticky: nothing was taken from the send queue; call
    /// again with a buffer that large.
    #[error(transparent)]
    BufferTooSmall(#[from] BufferTooSmall),
}

impl ConnectionError {
    /// A stable, machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Handshake(e) => e.code(),
            Self::BoxStream(e) => e.code(),
            Self::Rpc(e) => e.code(),
            Self::Truncated => "connection_truncated",
            Self::Rejected => "connection_rejected",
            Self::BufferTooSmall(e) => e.code(),
        }
    }
}

/// The smallest `out` that [`Connection::poll_transmit`] accepts: one frame with one byte.
pub const MIN_TRANSMIT_BUFFER: usize = HEADER_LEN + 1;

/// The open connection's parts.
struct Open {
    peer: PublicKey,
    encryptor: Encryptor,
    decryptor: Decryptor,
    endpoint: Endpoint,
    /// Plaintext of a received frame that the endpoint has not taken yet (flow control):
    /// at most one frame.
    pending: Vec<u8>,
    /// Our box-stream goodbye was sealed.
    goodbye_sent: bool,
    /// The peer's box-stream goodbye arrived, or its transport ended after its muxrpc
    /// goodbye.
    peer_done: bool,
}

impl Open {
    /// Frames in, plaintext to the endpoint; returns the input bytes used.
    fn input(&mut self, mut input: &[u8]) -> Result<usize, ConnectionError> {
        let mut used = 0usize;
        loop {
            // A frame the endpoint did not take yet comes first.
            if !self.pending.is_empty() {
                let taken = self.endpoint.handle_input(&self.pending)?;
                self.pending.drain(..taken.min(self.pending.len()));
                if !self.pending.is_empty() {
                    return Ok(used);
                }
            }
            if input.is_empty() || self.peer_done {
                return Ok(used);
            }
            let opened = self.decryptor.open(input)?;
            let consumed = opened.consumed;
            match opened.progress {
                Progress::Frame(Frame::Data(plain)) => {
                    let taken = self.endpoint.handle_input(plain)?;
                    if let Some(rest) = plain.get(taken..) {
                        self.pending.extend_from_slice(rest);
                    }
                }
                Progress::Frame(Frame::Goodbye) => {
                    // The peer closed its side: after its muxrpc goodbye that is the end.
                    self.peer_done = true;
                    self.endpoint.handle_eof()?;
                }
                // `Ended` never comes: nothing is opened after the goodbye (`peer_done`).
                Progress::NeedMore(_) | Progress::Ended => {}
            }
            used = used.saturating_add(consumed);
            input = input.get(consumed..).unwrap_or_default();
        }
    }
}

enum Phase {
    Handshake(Box<Handshake>),
    Open(Box<Open>),
    Failed(ConnectionError),
    Closed,
}

/// One SSB connection, client or server (see the crate docs for the run loop).
///
/// Flow control: when the endpoint's queues are full, the connection keeps at most one
/// decrypted frame it could not hand on and stops taking input; [`poll_event`](Self::poll_event)
/// hands it on once the application has read from the endpoint, and input flows again.
pub struct Connection {
    phase: Phase,
    config: Config,
    /// Events of our own (the endpoint's are passed through from it directly).
    connected: Option<PublicKey>,
    authenticate: Option<PublicKey>,
    closed_event: bool,
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let phase = match &self.phase {
            Phase::Handshake(_) => "handshake",
            Phase::Open(_) => "open",
            Phase::Failed(_) => "failed",
            Phase::Closed => "closed",
        };
        f.debug_struct("Connection")
            .field("phase", &phase)
            .field("peer", &self.peer())
            .finish_non_exhaustive()
    }
}

impl Connection {
    fn new(handshake: Handshake, config: Config) -> Self {
        Self {
            phase: Phase::Handshake(Box::new(handshake)),
            config,
            connected: None,
            authenticate: None,
            closed_event: false,
        }
    }

    /// A client that dials `server_pk` on the network `net_key`, with the ephemeral X25519
    /// secret `ephemeral` (use it for one handshake only).
    pub fn client(
        net_key: NetworkKey,
        keypair: &Keypair,
        server_pk: PublicKey,
        ephemeral: CurveSecretKey,
        config: Config,
    ) -> Self {
        Self::new(
            Handshake::client(net_key, keypair, server_pk, ephemeral),
            config,
        )
    }

    /// [`client`](Self::client) with an ephemeral key drawn from `rng`.
    pub fn client_with_rng(
        net_key: NetworkKey,
        keypair: &Keypair,
        server_pk: PublicKey,
        rng: &mut impl CryptoRngCore,
        config: Config,
    ) -> Self {
        Self::client(
            net_key,
            keypair,
            server_pk,
            CurveSecretKey::generate(rng),
            config,
        )
    }

    /// A server on the network `net_key` with the ephemeral X25519 secret `ephemeral`.
    pub fn server(
        net_key: NetworkKey,
        keypair: &Keypair,
        ephemeral: CurveSecretKey,
        config: Config,
    ) -> Self {
        Self::new(Handshake::server(net_key, keypair, ephemeral), config)
    }

    /// [`server`](Self::server) with an ephemeral key drawn from `rng`.
    pub fn server_with_rng(
        net_key: NetworkKey,
        keypair: &Keypair,
        rng: &mut impl CryptoRngCore,
        config: Config,
    ) -> Self {
        Self::server(net_key, keypair, CurveSecretKey::generate(rng), config)
    }

    /// A connection whose handshake was done elsewhere (by an [`ssb_handshake::Handshake`]
    /// the caller drove, or a recorded session): open from the start, with no
    /// [`Event::Connected`]. The outcome's keys must be this side's (`send` for what it writes).
    pub fn from_outcome(outcome: &HandshakeOutcome, config: Config) -> Self {
        let (encryptor, decryptor) = channel(outcome);
        let endpoint = Endpoint::new(config.rpc.clone());
        Self {
            phase: Phase::Open(Box::new(Open {
                peer: outcome.peer,
                encryptor,
                decryptor,
                endpoint,
                pending: Vec::new(),
                goodbye_sent: false,
                peer_done: false,
            })),
            config,
            connected: None,
            authenticate: None,
            closed_event: false,
        }
    }

    /// The peer's long-term key, once known (the client knows it from the start; a server
    /// after the client proved it).
    pub fn peer(&self) -> Option<PublicKey> {
        match &self.phase {
            Phase::Handshake(h) => h.peer(),
            Phase::Open(o) => Some(o.peer),
            Phase::Failed(_) | Phase::Closed => None,
        }
    }

    /// The error the connection failed with, if it did.
    pub fn error(&self) -> Option<&ConnectionError> {
        match &self.phase {
            Phase::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// True once the handshake is complete and until the connection fails or closes.
    pub fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open(_))
    }

    /// True once the connection ended cleanly both ways.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// The RPC endpoint: make calls, answer requests, read streams. `None` before the
    /// handshake completes and after the connection ended.
    pub fn endpoint(&mut self) -> Option<&mut Endpoint> {
        match &mut self.phase {
            Phase::Open(o) => Some(&mut o.endpoint),
            _ => None,
        }
    }

    fn fail(&mut self, e: ConnectionError) -> ConnectionError {
        self.phase = Phase::Failed(e.clone());
        e
    }

    fn sticky(&self) -> Result<(), ConnectionError> {
        match &self.phase {
            Phase::Failed(e) => Err(e.clone()),
            _ => Ok(()),
        }
    }

    /// Server: let the authenticated client in ([`Event::Authenticate`]).
    pub fn accept(&mut self) -> Result<(), ConnectionError> {
        self.sticky()?;
        let r = match &mut self.phase {
            Phase::Handshake(h) => h.accept(),
            _ => return Ok(()),
        };
        r.map_err(|e| self.fail(e.into()))
    }

    /// Server: refuse the authenticated client. Nothing more is sent (the connection is
    /// failed with [`ConnectionError::Rejected`] from now on); close the transport.
    pub fn reject(&mut self) -> Result<(), ConnectionError> {
        self.sticky()?;
        if let Phase::Handshake(h) = &mut self.phase {
            let _ = h.reject();
        }
        self.fail(ConnectionError::Rejected);
        Ok(())
    }

    /// Starts a clean close: the muxrpc goodbye now, the box-stream goodbye once the peer's
    /// muxrpc goodbye arrived. Finish calls and streams first. Before the handshake
    /// completes there is nothing to close gracefully: drop the connection instead.
    pub fn close(&mut self) {
        if let Phase::Open(o) = &mut self.phase {
            o.endpoint.goodbye();
        }
    }

    /// Moves to the open phase once the handshake is complete and has nothing left to send.
    fn open_if_complete(&mut self) -> Result<(), ConnectionError> {
        let complete = matches!(&self.phase, Phase::Handshake(h) if h.is_complete());
        if !complete {
            return Ok(());
        }
        let Phase::Handshake(h) = core::mem::replace(&mut self.phase, Phase::Closed) else {
            return Ok(());
        };
        let outcome = match h.into_outcome() {
            Ok(o) => o,
            Err(e) => return Err(self.fail(e.into())),
        };
        let (encryptor, decryptor) = channel(&outcome);
        self.connected = Some(outcome.peer);
        self.phase = Phase::Open(Box::new(Open {
            peer: outcome.peer,
            encryptor,
            decryptor,
            endpoint: Endpoint::new(self.config.rpc.clone()),
            pending: Vec::new(),
            goodbye_sent: false,
            peer_done: false,
        }));
        Ok(())
    }

    /// Takes bytes from the transport; returns how many it used. It uses all of them unless
    /// the application must first drain events or read streams (flow control) or, on a
    /// server, answer [`Event::Authenticate`]; offer the rest again after the next drain.
    pub fn handle_input(&mut self, input: &[u8]) -> Result<usize, ConnectionError> {
        self.sticky()?;
        let mut used = 0usize;
        if let Phase::Handshake(h) = &mut self.phase {
            let r = h.handle_input(input);
            let n = match r {
                Ok(n) => n,
                Err(e) => return Err(self.fail(e.into())),
            };
            used = n;
            if let Phase::Handshake(h) = &self.phase {
                if let Some(pk) = h.pending_authorization()
                    && self.authenticate.is_none()
                {
                    self.authenticate = Some(pk);
                }
                // The client completes on msg4 with nothing left to send; a server completes
                // on `accept` and opens once msg4 went out (`poll_transmit`).
                if h.role() == Role::Client {
                    self.open_if_complete()?;
                }
            }
        }
        let rest = input.get(used..).unwrap_or_default();
        if let Phase::Open(_) = self.phase {
            let n = self.open_input(rest)?;
            used = used.saturating_add(n);
        }
        Ok(used)
    }

    /// The open phase's input: frames in, plaintext to the endpoint.
    fn open_input(&mut self, input: &[u8]) -> Result<usize, ConnectionError> {
        let Phase::Open(o) = &mut self.phase else {
            return Ok(0);
        };
        let r = o.input(input);
        match r {
            Ok(n) => {
                self.maybe_closed();
                Ok(n)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Call when the transport reached EOF. `Ok` if the peer had said goodbye (the muxrpc
    /// goodbye is enough: JS clients never send the box-stream one); otherwise every open
    /// call fails and [`ConnectionError::Truncated`] is returned.
    pub fn handle_eof(&mut self) -> Result<(), ConnectionError> {
        self.sticky()?;
        match &mut self.phase {
            Phase::Open(o) => {
                if o.peer_done || o.endpoint.goodbye_received() {
                    o.peer_done = true;
                    let _ = o.endpoint.handle_eof();
                    // We send nothing more: the transport is gone.
                    o.goodbye_sent = true;
                    self.maybe_closed();
                    Ok(())
                } else {
                    let _ = o.endpoint.handle_eof();
                    Err(self.fail(ConnectionError::Truncated))
                }
            }
            Phase::Handshake(_) => Err(self.fail(ConnectionError::Truncated)),
            Phase::Failed(_) | Phase::Closed => Ok(()),
        }
    }

    /// Ends the connection once both box streams ended and the application has taken
    /// every event the endpoint still holds.
    fn maybe_closed(&mut self) {
        if let Phase::Open(o) = &self.phase
            && o.goodbye_sent
            && o.peer_done
            && o.endpoint.transmit_len() == 0
            && o.endpoint.queued_events() == 0
        {
            self.phase = Phase::Closed;
            self.closed_event = true;
        }
    }

    /// Writes bytes to send into `out` (at least [`MIN_TRANSMIT_BUFFER`] bytes; a handshake
    /// message is never split, so give [`ssb_handshake::MAX_MESSAGE_LEN`] or more) and
    /// returns how many; 0 when nothing is queued. Call until it returns 0.
    #[must_use = "the returned bytes must be written to the transport"]
    pub fn poll_transmit(&mut self, out: &mut [u8]) -> Result<usize, ConnectionError> {
        self.sticky()?;
        if let Phase::Handshake(h) = &mut self.phase {
            let r = h.poll_transmit(out);
            match r {
                Ok(Some(n)) => {
                    // A server's msg4 is its last message: the connection is open now.
                    if h.role() == Role::Server {
                        self.open_if_complete()?;
                    }
                    return Ok(n);
                }
                Ok(None) => {
                    self.open_if_complete()?;
                    if !self.is_open() {
                        return Ok(0);
                    }
                }
                // Local and not sticky: the handshake keeps its message queued.
                Err(HandshakeError::Local(LocalError::BufferTooSmall(e))) => return Err(e.into()),
                Err(e) => return Err(self.fail(e.into())),
            }
        }
        let Phase::Open(o) = &mut self.phase else {
            return Ok(0);
        };
        if out.len() < MIN_TRANSMIT_BUFFER {
            return Err(BufferTooSmall {
                required: MIN_TRANSMIT_BUFFER,
            }
            .into());
        }
        if o.goodbye_sent {
            return Ok(0);
        }
        let room = out.len().saturating_sub(HEADER_LEN).min(MAX_BODY_LEN);
        let mut plain = [0u8; MAX_BODY_LEN];
        let n = o
            .endpoint
            .poll_transmit(plain.get_mut(..room).unwrap_or_default());
        if n > 0 {
            let sealed = o
                .encryptor
                .seal(plain.get(..n).unwrap_or_default(), out)
                .map_err(|_| {
                    BufferTooSmall {
                        required: HEADER_LEN.saturating_add(n),
                    }
                    .into()
                });
            return sealed;
        }
        // Both muxrpc goodbyes went: end our box stream.
        if o.endpoint.is_closed() {
            let n = o.encryptor.seal_goodbye(out).map_err(|_| BufferTooSmall {
                required: GOODBYE_LEN,
            })?;
            o.goodbye_sent = true;
            self.maybe_closed();
            return Ok(n);
        }
        Ok(0)
    }

    /// The next event (see [`Event`]). Call after every change until it returns `None`.
    #[must_use = "events must be handled: a server must accept or reject, requests need answers"]
    pub fn poll_event(&mut self) -> Option<Event> {
        // Plaintext held back by flow control goes in as soon as the endpoint has room (the
        // application just read what blocked it).
        if let Phase::Open(o) = &mut self.phase
            && !o.pending.is_empty()
            && let Err(e) = o.input(&[])
        {
            self.fail(e);
        }
        if let Some(pk) = self.authenticate.take() {
            return Some(Event::Authenticate(pk));
        }
        if let Some(peer) = self.connected.take() {
            return Some(Event::Connected { peer });
        }
        if let Phase::Open(o) = &mut self.phase {
            if let Some(ev) = o.endpoint.poll_event() {
                return Some(Event::Rpc(ev));
            }
            self.maybe_closed();
        }
        if self.closed_event {
            self.closed_event = false;
            return Some(Event::Closed);
        }
        None
    }
}
