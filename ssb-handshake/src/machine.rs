//! The client and server state machines (docs/PROTOCOL.md §2.5, §2.7).
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use ssb_crypto::hash::{auth, auth_verify, sha256, sha256_parts};
use ssb_crypto::secretbox::{open_in_place, seal_in_place};
use ssb_crypto::{CryptoRngCore, CurveSecretKey, Keypair, NetworkKey, PublicKey, Signature};
use ssb_sansio::BufferTooSmall;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{AuthFailure, HandshakeError, LocalError, RemoteError, Step};
use crate::outcome::{BoxKeys, HandshakeOutcome};
use crate::{CLIENT_AUTH_LEN, HELLO_LEN, MAX_MESSAGE_LEN, SERVER_ACCEPT_LEN};

/// The all-zero nonce of the msg3 and msg4 boxes (each key boxes exactly one message).
const ZERO_NONCE: [u8; 24] = [0; 24];

/// Which side of the handshake a machine plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The side that dialled ("Alice"); it knows the server's key in advance and speaks first.
    Client,
    /// The side that accepted ("Bob"); it learns the client's key from msg3.
    Server,
}

/// Something the application must react to (see [`Handshake::poll_event`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Server only: msg3 verified, the client proved this long-term key. Call
    /// [`Handshake::accept`] (sends msg4) or [`Handshake::reject`] (sends nothing).
    ClientAuthenticated(PublicKey),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Client: msg1 queued, waiting for msg2.
    AwaitServerHello,
    /// Client: msg3 queued, waiting for msg4.
    AwaitServerAccept,
    /// Server: waiting for msg1.
    AwaitClientHello,
    /// Server: msg2 queued, waiting for msg3.
    AwaitClientAuth,
    /// Server: msg3 verified, waiting for `accept`/`reject`.
    AwaitDecision,
    /// Done (the last message may still be queued).
    Complete,
    /// Failed; sticky.
    Failed(HandshakeError),
}

/// Every secret the handshake holds, zeroized together on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
struct Secrets {
    /// `ab = DH(a, b)` (either side's view).
    ab: [u8; 32],
    /// `aB`: client ephemeral with server long-term.
    a_bl: [u8; 32],
    /// `SHA-256(ab)`.
    ab_hash: [u8; 32],
    /// `SHA-256(K || ab || aB)`: the msg3 box key.
    key3: [u8; 32],
    /// `SHA-256(K || ab || aB || Ab)`: the msg4 box key.
    key4: [u8; 32],
    /// msg3's plaintext, `sig_A || A_pk` (signed again inside msg4).
    client_auth: [u8; 96],
    /// Incoming message accumulator.
    inbuf: [u8; MAX_MESSAGE_LEN],
    /// Outgoing message (one at a time).
    outbuf: [u8; MAX_MESSAGE_LEN],
}

/// A Secret Handshake (SHS v1) in progress, client or server. No I/O, no clock, no RNG.
///
/// The run loop, for either role:
///
/// 1. drain [`poll_transmit`](Self::poll_transmit) and write what it gives to the transport;
/// 2. server only: drain [`poll_event`](Self::poll_event); on
///    [`Event::ClientAuthenticated`] call [`accept`](Self::accept) or [`reject`](Self::reject),
///    then go to 1;
/// 3. if [`is_complete`](Self::is_complete), take [`into_outcome`](Self::into_outcome);
///    the bytes you read but [`handle_input`](Self::handle_input) did not consume are the
///    start of the peer's box stream;
/// 4. otherwise read from the transport (at most [`bytes_needed`](Self::bytes_needed) bytes if
///    you want no leftovers) and pass them to `handle_input`; go to 1.
///
/// On any error, close the transport without writing anything else: the machine has already
/// dropped anything it had queued and will never transmit again.
pub struct Handshake {
    role: Role,
    state: State,
    /// Zeroized on drop (`NetworkKey` is `ZeroizeOnDrop`).
    net_key: NetworkKey,
    keypair: Keypair,
    ephemeral: CurveSecretKey,
    /// Client: the server key it dials. Server: the client key, once msg3 proved it.
    remote_pk: PublicKey,
    /// Our hello HMAC (the first 32 bytes of the hello we send).
    local_mac: [u8; 32],
    /// The peer's hello HMAC.
    remote_mac: [u8; 32],
    /// The peer's ephemeral public key.
    remote_eph: [u8; 32],
    /// Bytes of the current incoming message received so far.
    in_filled: usize,
    /// Length of the queued outgoing message (0: none).
    out_len: usize,
    event: Option<Event>,
    secrets: Secrets,
}

impl core::fmt::Debug for Handshake {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Handshake")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("remote_pk", &self.remote_pk)
            .finish_non_exhaustive()
    }
}

impl Handshake {
    fn new(
        role: Role,
        net_key: NetworkKey,
        keypair: &Keypair,
        remote_pk: PublicKey,
        ephemeral: CurveSecretKey,
    ) -> Self {
        let eph_pk = ephemeral.public_key();
        let local_mac = auth(net_key.as_bytes(), eph_pk.as_bytes());
        let mut secrets = Secrets {
            ab: [0; 32],
            a_bl: [0; 32],
            ab_hash: [0; 32],
            key3: [0; 32],
            key4: [0; 32],
            client_auth: [0; 96],
            inbuf: [0; MAX_MESSAGE_LEN],
            outbuf: [0; MAX_MESSAGE_LEN],
        };
        // Our hello, `HMAC(K, eph_pk) || eph_pk`, sits in the output buffer from the start;
        // the client queues it now, the server only once msg1 verified.
        secrets.outbuf[..32].copy_from_slice(&local_mac);
        secrets.outbuf[32..64].copy_from_slice(eph_pk.as_bytes());
        let (state, out_len) = match role {
            Role::Client => (State::AwaitServerHello, HELLO_LEN),
            Role::Server => (State::AwaitClientHello, 0),
        };
        Self {
            role,
            state,
            net_key,
            keypair: keypair.clone(),
            ephemeral,
            remote_pk,
            local_mac,
            remote_mac: [0; 32],
            remote_eph: [0; 32],
            in_filled: 0,
            out_len,
            event: None,
            secrets,
        }
    }

    /// A client that dials `server_pk` on the network `net_key`, with the ephemeral X25519
    /// secret `ephemeral` (fresh per connection: use [`client_with_rng`](Self::client_with_rng)
    /// unless you need a deterministic run). msg1 is queued at once.
    pub fn client(
        net_key: NetworkKey,
        keypair: &Keypair,
        server_pk: PublicKey,
        ephemeral: CurveSecretKey,
    ) -> Self {
        Self::new(Role::Client, net_key, keypair, server_pk, ephemeral)
    }

    /// [`client`](Self::client) with an ephemeral key drawn from `rng`.
    pub fn client_with_rng(
        net_key: NetworkKey,
        keypair: &Keypair,
        server_pk: PublicKey,
        rng: &mut impl CryptoRngCore,
    ) -> Self {
        Self::client(net_key, keypair, server_pk, CurveSecretKey::generate(rng))
    }

    /// A server for the network `net_key` with the ephemeral X25519 secret `ephemeral`. It
    /// sends nothing before a valid msg1.
    pub fn server(net_key: NetworkKey, keypair: &Keypair, ephemeral: CurveSecretKey) -> Self {
        // The client's key is unknown until msg3; the placeholder is never used before that.
        Self::new(
            Role::Server,
            net_key,
            keypair,
            PublicKey([0; 32]),
            ephemeral,
        )
    }

    /// [`server`](Self::server) with an ephemeral key drawn from `rng`.
    pub fn server_with_rng(
        net_key: NetworkKey,
        keypair: &Keypair,
        rng: &mut impl CryptoRngCore,
    ) -> Self {
        Self::server(net_key, keypair, CurveSecretKey::generate(rng))
    }

    /// Client or server.
    pub fn role(&self) -> Role {
        self.role
    }

    /// How many more bytes the machine needs to finish the message it waits for; 0 when it
    /// waits for none (a message to send is queued, an authorization decision is pending, the
    /// handshake is complete or failed).
    #[must_use]
    pub fn bytes_needed(&self) -> usize {
        match self.expected() {
            Some(step) => step.len().saturating_sub(self.in_filled),
            None => 0,
        }
    }

    /// The message the machine waits for, if any.
    fn expected(&self) -> Option<Step> {
        match self.state {
            State::AwaitServerHello => Some(Step::ServerHello),
            State::AwaitServerAccept => Some(Step::ServerAccept),
            State::AwaitClientHello => Some(Step::ClientHello),
            State::AwaitClientAuth => Some(Step::ClientAuth),
            State::AwaitDecision | State::Complete | State::Failed(_) => None,
        }
    }

    /// Takes bytes from the peer, in pieces of any size, and returns how many it consumed.
    ///
    /// It consumes only handshake bytes: once the last message it waits for is complete (or
    /// while the server waits for `accept`/`reject`) the rest of `input` is left to the caller;
    /// those bytes are the beginning of the peer's box stream. Call it again with the
    /// unconsumed rest after `accept`; a complete machine consumes nothing.
    ///
    /// On a failed check the machine fails for good: the error is returned now and from every
    /// later call, and nothing is ever transmitted again.
    pub fn handle_input(&mut self, mut input: &[u8]) -> Result<usize, HandshakeError> {
        if let State::Failed(e) = self.state {
            return Err(e);
        }
        let mut consumed = 0usize;
        while let Some(step) = self.expected() {
            let want = step.len().saturating_sub(self.in_filled);
            let take = want.min(input.len());
            if take == 0 {
                break;
            }
            let (now, rest) = input.split_at(take);
            // `in_filled + take <= step.len() <= MAX_MESSAGE_LEN` and `consumed <= input.len()`.
            let start = self.in_filled;
            let end = start.saturating_add(take);
            if let Some(dst) = self.secrets.inbuf.get_mut(start..end) {
                dst.copy_from_slice(now);
            }
            self.in_filled = end;
            consumed = consumed.saturating_add(take);
            input = rest;
            if self.in_filled == step.len() {
                self.in_filled = 0;
                if let Err(e) = self.process(step) {
                    return Err(self.fail(e));
                }
            }
        }
        Ok(consumed)
    }

    /// Processes one whole message (exactly [`bytes_needed`](Self::bytes_needed) bytes, with
    /// nothing buffered before it). A convenience for message-oriented transports and test
    /// vectors; a slice of any other length is refused with
    /// [`LocalError::WrongInputSize`] and leaves the machine unchanged.
    pub fn handle_message(&mut self, message: &[u8]) -> Result<(), HandshakeError> {
        if let State::Failed(e) = self.state {
            return Err(e);
        }
        let expected = self.bytes_needed();
        if self.in_filled != 0 || expected == 0 || message.len() != expected {
            return Err(LocalError::WrongInputSize {
                expected,
                found: message.len(),
            }
            .into());
        }
        self.handle_input(message).map(|_| ())
    }

    /// Writes the next message to send into `out` and returns its length, or `None` when
    /// nothing is queued. Call it after construction and after every `handle_input` and
    /// `accept`. A message is never split: `out` must hold [`MAX_MESSAGE_LEN`] bytes (or the
    /// message's length, see [`LocalError::BufferTooSmall`]); on that error the message stays
    /// queued.
    #[must_use = "the returned bytes must be sent to the peer"]
    pub fn poll_transmit(&mut self, out: &mut [u8]) -> Result<Option<usize>, HandshakeError> {
        if let State::Failed(e) = self.state {
            return Err(e);
        }
        if self.out_len == 0 {
            return Ok(None);
        }
        let n = self.out_len;
        let (Some(dst), Some(src)) = (out.get_mut(..n), self.secrets.outbuf.get(..n)) else {
            return Err(LocalError::from(BufferTooSmall { required: n }).into());
        };
        dst.copy_from_slice(src);
        self.out_len = 0;
        Ok(Some(n))
    }

    /// The next event for the application, if any (server only: [`Event::ClientAuthenticated`]
    /// once msg3 verified).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.event.take()
    }

    /// Server: the client key waiting for an authorization decision, if any.
    pub fn pending_authorization(&self) -> Option<PublicKey> {
        (self.state == State::AwaitDecision).then_some(self.remote_pk)
    }

    /// Server: let the authenticated client in. Queues msg4 and completes the handshake.
    pub fn accept(&mut self) -> Result<(), HandshakeError> {
        if let State::Failed(e) = self.state {
            return Err(e);
        }
        if self.state != State::AwaitDecision {
            return Err(LocalError::NotAwaitingAuthorization.into());
        }
        self.event = None;
        // sig_B = Sign(B_sk, K || sig_A || A_pk || H(ab)); msg4 = SecretBox(key4, 0, sig_B).
        let sig_b = self.sign_parts(&[
            self.net_key.as_bytes(),
            &self.secrets.client_auth,
            &self.secrets.ab_hash,
        ]);
        let out = &mut self.secrets.outbuf;
        out[16..80].copy_from_slice(&sig_b.0);
        let tag = seal_in_place(&self.secrets.key4, &ZERO_NONCE, &mut out[16..80]);
        out[..16].copy_from_slice(&tag);
        self.out_len = SERVER_ACCEPT_LEN;
        self.state = State::Complete;
        Ok(())
    }

    /// Server: refuse the authenticated client. Nothing is sent; the machine fails with
    /// [`LocalError::Rejected`]; close the transport.
    pub fn reject(&mut self) -> Result<(), HandshakeError> {
        if let State::Failed(e) = self.state {
            return Err(e);
        }
        if self.state != State::AwaitDecision {
            return Err(LocalError::NotAwaitingAuthorization.into());
        }
        self.fail(LocalError::Rejected.into());
        Ok(())
    }

    /// True once the handshake succeeded and its last message was taken by `poll_transmit`.
    pub fn is_complete(&self) -> bool {
        self.state == State::Complete && self.out_len == 0
    }

    /// The error the machine failed with, if it failed.
    pub fn error(&self) -> Option<HandshakeError> {
        match self.state {
            State::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// The peer's long-term key: for a client the key it dials; for a server the client's key
    /// once msg3 verified, `None` before.
    pub fn peer(&self) -> Option<PublicKey> {
        match (self.role, self.state) {
            (Role::Client, _) => Some(self.remote_pk),
            (Role::Server, State::AwaitDecision | State::Complete) => Some(self.remote_pk),
            (Role::Server, _) => None,
        }
    }

    /// The outcome of a complete handshake: the peer and both directions' box-stream keys.
    /// The machine's secrets are zeroized when it is dropped here.
    pub fn into_outcome(self) -> Result<HandshakeOutcome, HandshakeError> {
        if let State::Failed(e) = self.state {
            return Err(e);
        }
        if !self.is_complete() {
            return Err(LocalError::NotComplete.into());
        }
        // S = H(key4); we encrypt with H(S || remote pk) and the first 24 bytes of the remote
        // hello HMAC, and decrypt with H(S || own pk) and our own hello HMAC (docs/PROTOCOL.md §2.6).
        let mut session = sha256(&self.secrets.key4);
        let local_pk = self.keypair.public();
        let send = BoxKeys {
            key: sha256_parts(&[&session, self.remote_pk.as_bytes()]),
            nonce: nonce_of(&self.remote_mac),
        };
        let recv = BoxKeys {
            key: sha256_parts(&[&session, local_pk.as_bytes()]),
            nonce: nonce_of(&self.local_mac),
        };
        session.zeroize();
        Ok(HandshakeOutcome {
            peer: self.remote_pk,
            send,
            recv,
        })
    }

    fn fail(&mut self, e: HandshakeError) -> HandshakeError {
        self.state = State::Failed(e);
        self.out_len = 0;
        self.event = None;
        self.secrets.zeroize();
        e
    }

    fn sign_parts(&self, parts: &[&[u8]]) -> Signature {
        let mut msg = [0u8; 160];
        let mut n = 0usize;
        for p in parts {
            let end = n.saturating_add(p.len());
            if let Some(dst) = msg.get_mut(n..end) {
                dst.copy_from_slice(p);
                n = end;
            }
        }
        let sig = self.keypair.sign(msg.get(..n).unwrap_or(&[]));
        msg.zeroize();
        sig
    }

    fn process(&mut self, step: Step) -> Result<(), HandshakeError> {
        match step {
            Step::ClientHello => self.server_on_hello(),
            Step::ServerHello => self.client_on_hello(),
            Step::ClientAuth => self.server_on_auth(),
            Step::ServerAccept => self.client_on_accept(),
        }
    }

    /// Checks a hello in `inbuf` and records the peer's ephemeral key and MAC, then computes
    /// `ab` and `H(ab)`.
    fn take_hello(&mut self, step: Step, bad: RemoteError) -> Result<(), HandshakeError> {
        let (mac, rest) = split::<32>(&self.secrets.inbuf);
        let (eph, _) = split::<32>(rest);
        if !auth_verify(self.net_key.as_bytes(), eph, mac) {
            return Err(HandshakeError::remote(step, bad));
        }
        self.remote_mac = *mac;
        self.remote_eph = *eph;
        let ab = self
            .ephemeral
            .diffie_hellman(&ssb_crypto::CurvePublicKey(self.remote_eph))
            .map_err(|_| HandshakeError::remote(step, RemoteError::LowOrderSharedSecret))?;
        self.secrets.ab = *ab.as_bytes();
        self.secrets.ab_hash = sha256(&self.secrets.ab);
        Ok(())
    }

    /// key3 = H(K || ab || aB).
    fn derive_key3(&mut self) {
        self.secrets.key3 = sha256_parts(&[
            self.net_key.as_bytes(),
            &self.secrets.ab,
            &self.secrets.a_bl,
        ]);
    }

    /// key4 = H(K || ab || aB || Ab).
    fn derive_key4(&mut self, a_lb: &[u8; 32]) {
        self.secrets.key4 = sha256_parts(&[
            self.net_key.as_bytes(),
            &self.secrets.ab,
            &self.secrets.a_bl,
            a_lb,
        ]);
    }

    /// Client, msg2 received.
    fn client_on_hello(&mut self) -> Result<(), HandshakeError> {
        let step = Step::ServerHello;
        self.take_hello(step, RemoteError::BadServerHello)?;
        let server_curve = self
            .remote_pk
            .to_curve()
            .map_err(|_| HandshakeError::Local(LocalError::InvalidServerKey))?;
        let a_bl = self
            .ephemeral
            .diffie_hellman(&server_curve)
            .map_err(|_| HandshakeError::remote(step, RemoteError::LowOrderSharedSecret))?;
        self.secrets.a_bl = *a_bl.as_bytes();
        self.derive_key3();
        // sig_A = Sign(A_sk, K || B_pk || H(ab)); msg3 = SecretBox(key3, 0, sig_A || A_pk).
        let sig_a = self.sign_parts(&[
            self.net_key.as_bytes(),
            self.remote_pk.as_bytes(),
            &self.secrets.ab_hash,
        ]);
        let local_pk = self.keypair.public();
        self.secrets.client_auth[..64].copy_from_slice(&sig_a.0);
        self.secrets.client_auth[64..].copy_from_slice(local_pk.as_bytes());
        let out = &mut self.secrets.outbuf;
        out[16..CLIENT_AUTH_LEN].copy_from_slice(&self.secrets.client_auth);
        let tag = seal_in_place(
            &self.secrets.key3,
            &ZERO_NONCE,
            &mut out[16..CLIENT_AUTH_LEN],
        );
        out[..16].copy_from_slice(&tag);
        self.out_len = CLIENT_AUTH_LEN;
        self.state = State::AwaitServerAccept;
        Ok(())
    }

    /// Client, msg4 received.
    fn client_on_accept(&mut self) -> Result<(), HandshakeError> {
        let step = Step::ServerAccept;
        let reject = |f| HandshakeError::remote(step, RemoteError::ServerAcceptRejected(f));
        let a_lb = self
            .keypair
            .to_curve_secret()
            .diffie_hellman(&ssb_crypto::CurvePublicKey(self.remote_eph))
            .map_err(|_| HandshakeError::remote(step, RemoteError::LowOrderSharedSecret))?;
        self.derive_key4(a_lb.as_bytes());
        let (tag, rest) = split_mut::<16>(&mut self.secrets.inbuf);
        let tag = *tag;
        let (body, _) = split_mut::<64>(rest);
        open_in_place(&self.secrets.key4, &ZERO_NONCE, body, &tag)
            .map_err(|_| reject(AuthFailure::Unauthentic))?;
        let mut sig = [0u8; 64];
        sig.copy_from_slice(body);
        let mut signed = [0u8; 160];
        signed[..32].copy_from_slice(self.net_key.as_bytes());
        signed[32..128].copy_from_slice(&self.secrets.client_auth);
        signed[128..].copy_from_slice(&self.secrets.ab_hash);
        let verified = self.remote_pk.verify(&signed, &Signature(sig));
        signed.zeroize();
        verified.map_err(|e| reject(AuthFailure::BadSignature(e)))?;
        self.state = State::Complete;
        Ok(())
    }

    /// Server, msg1 received.
    fn server_on_hello(&mut self) -> Result<(), HandshakeError> {
        let step = Step::ClientHello;
        self.take_hello(step, RemoteError::BadClientHello)?;
        let a_bl = self
            .keypair
            .to_curve_secret()
            .diffie_hellman(&ssb_crypto::CurvePublicKey(self.remote_eph))
            .map_err(|_| HandshakeError::remote(step, RemoteError::LowOrderSharedSecret))?;
        self.secrets.a_bl = *a_bl.as_bytes();
        self.derive_key3();
        // msg2 was written into outbuf at construction.
        self.out_len = HELLO_LEN;
        self.state = State::AwaitClientAuth;
        Ok(())
    }

    /// Server, msg3 received.
    fn server_on_auth(&mut self) -> Result<(), HandshakeError> {
        let step = Step::ClientAuth;
        let reject = |f| HandshakeError::remote(step, RemoteError::ClientAuthRejected(f));
        let (tag, rest) = split_mut::<16>(&mut self.secrets.inbuf);
        let tag = *tag;
        let (body, _) = split_mut::<96>(rest);
        open_in_place(&self.secrets.key3, &ZERO_NONCE, body, &tag)
            .map_err(|_| reject(AuthFailure::Unauthentic))?;
        self.secrets.client_auth.copy_from_slice(body);
        let mut sig = [0u8; 64];
        sig.copy_from_slice(&self.secrets.client_auth[..64]);
        let mut client_pk = [0u8; 32];
        client_pk.copy_from_slice(&self.secrets.client_auth[64..]);
        let client_pk = PublicKey(client_pk);
        let mut signed = [0u8; 96];
        signed[..32].copy_from_slice(self.net_key.as_bytes());
        signed[32..64].copy_from_slice(self.keypair.public().as_bytes());
        signed[64..].copy_from_slice(&self.secrets.ab_hash);
        client_pk
            .verify(&signed, &Signature(sig))
            .map_err(|e| reject(AuthFailure::BadSignature(e)))?;
        let client_curve = client_pk
            .to_curve()
            .map_err(|_| reject(AuthFailure::InvalidKey))?;
        let a_lb = self
            .ephemeral
            .diffie_hellman(&client_curve)
            .map_err(|_| HandshakeError::remote(step, RemoteError::LowOrderSharedSecret))?;
        self.derive_key4(a_lb.as_bytes());
        self.remote_pk = client_pk;
        self.state = State::AwaitDecision;
        self.event = Some(Event::ClientAuthenticated(client_pk));
        Ok(())
    }
}

/// The first 24 bytes of a hello MAC: a box-stream starting nonce.
fn nonce_of(mac: &[u8; 32]) -> [u8; 24] {
    let mut n = [0u8; 24];
    n.copy_from_slice(&mac[..24]);
    n
}

/// Splits a fixed buffer into a leading array and the rest (buffers are long enough by
/// construction; the fallback is unreachable).
fn split<const N: usize>(buf: &[u8]) -> (&[u8; N], &[u8]) {
    match buf.split_first_chunk::<N>() {
        Some(pair) => pair,
        None => unreachable!("buffer shorter than {N}"),
    }
}

fn split_mut<const N: usize>(buf: &mut [u8]) -> (&mut [u8; N], &mut [u8]) {
    match buf.split_first_chunk_mut::<N>() {
        Some(pair) => pair,
        None => unreachable!("buffer shorter than {N}"),
    }
}
