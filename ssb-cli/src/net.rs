//! The blocking `std::net` driver of an [`ssb_connection::Connection`]: dial a
//! `net:HOST:PORT~shs:KEY` address with a timeout, run the connection over a `TcpStream`,
//! and a small blocking RPC client on top.
//!
//! Every wait is bounded: connecting by the caller's deadline, each read by the wait the
//! caller gives ([`Link::next_event`] reads at most once per call, with a socket read
//! timeout), each write by [`WRITE_TIMEOUT`]; the [`Client`] methods take a deadline and fail
//! with [`NetError::Timeout`] past it. Memory per connection is bounded by the connection's
//! own limits plus [`READ_BUF`] of unconsumed input and one [`TRANSMIT_BUF`].
//!
//! This file uses nothing of the `ssb` binary (only the library crates and `std`), so the
//! integration tests include it as it is to drive many clients from one process.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use ssb_connection::{Connection, ConnectionError, Event};
use ssb_crypto::multiserver::{Host, Multiaddress, NetShs};
use ssb_crypto::{Keypair, NetworkKey, PublicKey};
use ssb_muxrpc::{
    Body, CallError, CallType, Endpoint, Event as Rpc, RemoteError, RequestId, StreamItem,
};

/// The longest a single socket write may block (the peer not reading); then the connection
/// fails with [`NetError::Io`].
pub(crate) const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes read from the socket at a time (and the most input held back by flow control).
pub(crate) const READ_BUF: usize = 64 * 1024;
/// The transmit buffer: one box-stream frame with its header, or any handshake message.
pub(crate) const TRANSMIT_BUF: usize = 4096 + 34;
/// The longest [`Client`] waits for one read before it checks its deadline again.
pub(crate) const POLL: Duration = Duration::from_millis(200);

/// Why a connection could not be made or failed.
#[derive(Debug)]
pub(crate) enum NetError {
    /// The address is not a usable `net:HOST:PORT~shs:KEY` address.
    Address(String),
    /// No address of the host could be connected to.
    Connect(String),
    /// A socket read or write failed.
    Io(io::Error),
    /// The connection failed (handshake, box stream, muxrpc framing, or an EOF without a
    /// goodbye).
    Connection(ConnectionError),
    /// A deadline passed; the text says while doing what.
    Timeout(&'static str),
    /// The connection ended before what was asked for arrived.
    Closed,
    /// A local misuse of the endpoint (e.g. a call after the goodbye).
    Local(ssb_muxrpc::LocalError),
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Address(e) => write!(f, "bad address: {e}"),
            Self::Connect(e) => write!(f, "cannot connect: {e}"),
            Self::Io(e) => write!(f, "socket: {e}"),
            Self::Connection(ConnectionError::Truncated) => f.write_str(
                "the peer closed the connection without a goodbye (during the handshake: \
                 a wrong network key or server key?)",
            ),
            Self::Connection(e) => write!(f, "connection: {e}"),
            Self::Timeout(what) => write!(f, "timed out {what}"),
            Self::Closed => f.write_str("the connection ended first"),
            Self::Local(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for NetError {}

impl From<ConnectionError> for NetError {
    fn from(e: ConnectionError) -> Self {
        Self::Connection(e)
    }
}

impl From<io::Error> for NetError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<ssb_muxrpc::LocalError> for NetError {
    fn from(e: ssb_muxrpc::LocalError) -> Self {
        Self::Local(e)
    }
}

/// Reads a multiserver address and returns its first `net:…~shs:…` alternative.
pub(crate) fn parse_address(text: &str) -> Result<NetShs, NetError> {
    let multi: Multiaddress = text
        .trim()
        .parse()
        .map_err(|e: ssb_crypto::multiserver::AddressError| NetError::Address(e.to_string()))?;
    let mut last = None;
    for a in &multi.addresses {
        match a.net_shs() {
            Ok(n) => return Ok(n),
            Err(e) => last = Some(e),
        }
    }
    Err(NetError::Address(
        last.map_or_else(|| "no address".into(), |e| e.to_string()),
    ))
}

/// The multiserver address of a listening socket with this key.
pub(crate) fn address_of(addr: SocketAddr, key: PublicKey) -> String {
    let host = match addr.ip() {
        std::net::IpAddr::V4(ip) => Host::Ipv4(ip),
        std::net::IpAddr::V6(ip) => Host::Ipv6(ip),
    };
    NetShs {
        host,
        port: addr.port(),
        key,
        seed: None,
    }
    .to_string()
}

/// Connects to the address's host and port, trying each resolved address until `deadline`.
pub(crate) fn dial(addr: &NetShs, deadline: Instant) -> Result<TcpStream, NetError> {
    let targets: Vec<SocketAddr> = match &addr.host {
        Host::Ipv4(ip) => vec![SocketAddr::new((*ip).into(), addr.port)],
        Host::Ipv6(ip) => vec![SocketAddr::new((*ip).into(), addr.port)],
        Host::Name(name) => (name.as_str(), addr.port)
            .to_socket_addrs()
            .map_err(|e| NetError::Connect(format!("{name}: {e}")))?
            .collect(),
    };
    let mut last = None;
    for target in targets {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(NetError::Timeout("connecting"));
        }
        match TcpStream::connect_timeout(&target, left) {
            Ok(sock) => {
                sock.set_nodelay(true)?;
                return Ok(sock);
            }
            Err(e) => last = Some(format!("{target}: {e}")),
        }
    }
    Err(NetError::Connect(last.unwrap_or_else(|| {
        format!("{} resolves to nothing", addr.host)
    })))
}

/// What [`Link::next_event`] found.
#[derive(Debug)]
pub(crate) enum Next {
    /// An event to handle.
    Event(Event),
    /// Nothing happened within the wait.
    Idle,
    /// The connection ended cleanly (both goodbyes, or the peer's goodbye and EOF).
    Ended,
}

/// A connection over a TCP socket: the run loop of `ssb-connection`'s docs, one step at a
/// time.
pub(crate) struct Link {
    conn: Connection,
    sock: TcpStream,
    out: Box<[u8]>,
    inbuf: Box<[u8]>,
    /// Input the connection did not take yet (flow control).
    held: Vec<u8>,
    eof: bool,
    last_input: Instant,
}

impl Link {
    /// Runs `conn` over `sock`.
    pub(crate) fn new(conn: Connection, sock: TcpStream) -> Result<Self, NetError> {
        sock.set_write_timeout(Some(WRITE_TIMEOUT))?;
        Ok(Self {
            conn,
            sock,
            out: vec![0; TRANSMIT_BUF].into_boxed_slice(),
            inbuf: vec![0; READ_BUF].into_boxed_slice(),
            held: Vec::new(),
            eof: false,
            last_input: Instant::now(),
        })
    }

    /// The connection (make calls through its endpoint, accept a client, close).
    pub(crate) fn conn(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// When bytes last arrived (or the link was made).
    pub(crate) fn last_input(&self) -> Instant {
        self.last_input
    }

    /// Writes everything the connection has to send.
    pub(crate) fn flush(&mut self) -> Result<(), NetError> {
        loop {
            let n = self.conn.poll_transmit(&mut self.out)?;
            if n == 0 {
                return Ok(());
            }
            if self.eof {
                // The peer is gone: there is no one to send to.
                continue;
            }
            let bytes = self.out.get(..n).unwrap_or_default();
            if let Err(e) = self.sock.write_all(bytes) {
                let gone = matches!(
                    e.kind(),
                    ErrorKind::BrokenPipe
                        | ErrorKind::ConnectionReset
                        | ErrorKind::ConnectionAborted
                );
                // A peer that said goodbye may close its socket at once (the JS client does):
                // our answering goodbyes then have no one to go to, and that is a clean end.
                if gone && self.conn.endpoint().is_some_and(|e| e.goodbye_received()) {
                    self.eof = true;
                    self.conn.handle_eof()?;
                    continue;
                }
                return Err(e.into());
            }
        }
    }

    /// One read of at most `wait` (`ZERO`: only what is already there). `Ok(None)` when
    /// nothing came.
    fn read(&mut self, wait: Duration) -> Result<Option<usize>, NetError> {
        let r = if wait.is_zero() {
            self.sock.set_nonblocking(true)?;
            let r = self.sock.read(&mut self.inbuf);
            self.sock.set_nonblocking(false)?;
            r
        } else {
            self.sock.set_read_timeout(Some(wait))?;
            self.sock.read(&mut self.inbuf)
        };
        match r {
            Ok(n) => Ok(Some(n)),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Sends what is queued, then returns the next event, reading from the socket at most
    /// once and for at most `wait` if none is ready. Call again after handling the event (the
    /// application's reaction is sent by the next call).
    pub(crate) fn next_event(&mut self, wait: Duration) -> Result<Next, NetError> {
        let mut read_once = false;
        loop {
            self.flush()?;
            if let Some(ev) = self.conn.poll_event() {
                return Ok(Next::Event(ev));
            }
            if self.conn.is_closed() {
                return Ok(Next::Ended);
            }
            if let Some(e) = self.conn.error() {
                return Err(e.clone().into());
            }
            if !self.held.is_empty() {
                let k = self.conn.handle_input(&self.held)?;
                self.held.drain(..k.min(self.held.len()));
                if k > 0 {
                    continue;
                }
            }
            if self.eof {
                // The peer's goodbye and EOF came, and every event was taken.
                return Ok(Next::Ended);
            }
            if read_once {
                return Ok(Next::Idle);
            }
            read_once = true;
            if !self.held.is_empty() {
                // Flow control: the application must read before more input is taken.
                std::thread::sleep(wait.min(Duration::from_millis(5)));
                return Ok(Next::Idle);
            }
            match self.read(wait)? {
                None => {}
                Some(0) => {
                    self.eof = true;
                    self.conn.handle_eof()?;
                }
                Some(n) => {
                    self.last_input = Instant::now();
                    let input = self.inbuf.get(..n).unwrap_or_default();
                    let k = self.conn.handle_input(input)?;
                    self.held
                        .extend_from_slice(self.inbuf.get(k..n).unwrap_or_default());
                }
            }
        }
    }
}

/// A blocking RPC client over one connection, for one request at a time (what `ssb call`
/// and `ssb conformance --peer` do). Requests the peer makes are refused with JS's
/// `no <type>:<name>` error.
pub(crate) struct Client {
    link: Link,
    peer: PublicKey,
    /// Answers to our async calls that arrived while waiting for something else.
    answers: HashMap<RequestId, Result<Body, CallError>>,
}

/// Steps `link` until `done` says so or `deadline` passes. The closure sees each event.
fn step_until(
    link: &mut Link,
    deadline: Instant,
    what: &'static str,
    mut on_event: impl FnMut(&mut Connection, Event) -> bool,
) -> Result<(), NetError> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(NetError::Timeout(what));
        }
        match link.next_event(left.min(POLL))? {
            Next::Event(ev) => {
                if on_event(&mut link.conn, ev) {
                    return Ok(());
                }
            }
            Next::Idle => {}
            Next::Ended => return Err(NetError::Closed),
        }
    }
}

/// A request from the peer that a client does not serve: refused as JS refuses an unknown
/// method.
fn refuse(conn: &mut Connection, id: RequestId, kind: CallType, name: &[String]) {
    if let Some(rpc) = conn.endpoint() {
        let _ = rpc.reject(id, RemoteError::no_such_method(kind, name));
    }
}

impl Client {
    /// Dials `addr` and completes the handshake as `keys` on network `net`, before
    /// `deadline`. With `raw_json`, JSON results arrive as [`Body::RawJson`] text.
    pub(crate) fn connect(
        addr: &NetShs,
        keys: &Keypair,
        net: &NetworkKey,
        raw_json: bool,
        deadline: Instant,
    ) -> Result<Self, NetError> {
        let sock = dial(addr, deadline)?;
        let mut config = ssb_connection::Config::default();
        config.rpc.raw_json = raw_json;
        let conn =
            Connection::client_with_rng(net.clone(), keys, addr.key, &mut rand_core::OsRng, config);
        let mut link = Link::new(conn, sock)?;
        let mut peer = None;
        step_until(&mut link, deadline, "during the handshake", |_, ev| {
            if let Event::Connected { peer: p } = ev {
                peer = Some(p);
                return true;
            }
            false
        })?;
        Ok(Self {
            link,
            peer: peer.ok_or(NetError::Closed)?,
            answers: HashMap::new(),
        })
    }

    /// The server's long-term key.
    pub(crate) fn peer(&self) -> PublicKey {
        self.peer
    }

    /// The endpoint (for calls this client does not wrap).
    pub(crate) fn endpoint(&mut self) -> Result<&mut Endpoint, NetError> {
        self.link.conn.endpoint().ok_or(NetError::Closed)
    }

    fn on_other(&mut self, ev: Event) {
        match ev {
            Event::Rpc(Rpc::Request { id, request }) => {
                refuse(&mut self.link.conn, id, request.kind, &request.name);
            }
            Event::Rpc(Rpc::Response { id, result }) => {
                self.answers.insert(id, result);
            }
            // Items stay in the endpoint until their stream is read.
            _ => {}
        }
    }

    /// One step of the connection: sends what is queued and returns the next event (reading
    /// for at most `wait`). Requests the peer makes are refused here (and reported as
    /// [`Next::Idle`]); answers to our async calls are kept for [`call_async`](Self::call_async).
    pub(crate) fn step(&mut self, wait: Duration) -> Result<Next, NetError> {
        match self.link.next_event(wait)? {
            Next::Event(Event::Rpc(Rpc::Request { id, request })) => {
                refuse(&mut self.link.conn, id, request.kind, &request.name);
                Ok(Next::Idle)
            }
            other => Ok(other),
        }
    }

    /// Calls an async method and waits for its answer.
    pub(crate) fn call_async(
        &mut self,
        name: &[&str],
        args: Vec<serde_json::Value>,
        deadline: Instant,
    ) -> Result<Result<Body, CallError>, NetError> {
        let id = self.endpoint()?.call(CallType::Async, name, args)?;
        loop {
            if let Some(r) = self.answers.remove(&id) {
                return Ok(r);
            }
            let mut got = None;
            let mut others = Vec::new();
            step_until(
                &mut self.link,
                deadline,
                "waiting for the answer",
                |_, ev| {
                    match ev {
                        Event::Rpc(Rpc::Response { id: rid, result }) if rid == id => {
                            got = Some(result);
                            return true;
                        }
                        other => others.push(other),
                    }
                    !others.is_empty()
                },
            )?;
            for ev in others {
                self.on_other(ev);
            }
            if let Some(r) = got {
                return Ok(r);
            }
        }
    }

    /// Opens a stream of `kind` (a source, usually); read it with [`next_item`](Self::next_item).
    pub(crate) fn open(
        &mut self,
        kind: CallType,
        name: &[&str],
        args: Vec<serde_json::Value>,
    ) -> Result<RequestId, NetError> {
        Ok(self.endpoint()?.call(kind, name, args)?)
    }

    /// The next item of stream `id`, waiting for it until `deadline`.
    pub(crate) fn next_item(
        &mut self,
        id: RequestId,
        deadline: Instant,
    ) -> Result<StreamItem, NetError> {
        loop {
            if let Some(item) = self.link.conn.endpoint().and_then(|e| e.read(id)) {
                return Ok(item);
            }
            let mut others = Vec::new();
            step_until(
                &mut self.link,
                deadline,
                "waiting for a stream item",
                |_, ev| {
                    match ev {
                        Event::Rpc(Rpc::Readable(r)) if r == id => return true,
                        Event::Rpc(Rpc::Goodbye) => return true,
                        other => others.push(other),
                    }
                    !others.is_empty()
                },
            )?;
            for ev in others {
                self.on_other(ev);
            }
            if !self.link.conn.is_open() {
                return Err(NetError::Closed);
            }
        }
    }

    /// Reads stream `id` to its end: the items and how it ended.
    pub(crate) fn collect(
        &mut self,
        id: RequestId,
        max_items: usize,
        deadline: Instant,
    ) -> Result<(Vec<Body>, Result<(), CallError>), NetError> {
        let mut items = Vec::new();
        loop {
            match self.next_item(id, deadline)? {
                StreamItem::Data(b) => {
                    if items.len() >= max_items {
                        let _ = self.endpoint()?.abandon(id);
                        return Err(NetError::Timeout("reading a stream longer than expected"));
                    }
                    items.push(b);
                }
                StreamItem::End(r) => return Ok((items, r)),
            }
        }
    }

    /// Says goodbye and waits for the connection to end cleanly.
    pub(crate) fn close(mut self, deadline: Instant) -> Result<(), NetError> {
        self.link.conn.close();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(NetError::Timeout("waiting for the goodbye"));
            }
            match self.link.next_event(left.min(POLL))? {
                Next::Ended => return Ok(()),
                Next::Event(Event::Rpc(Rpc::Request { id, request })) => {
                    refuse(&mut self.link.conn, id, request.kind, &request.name);
                }
                Next::Event(_) | Next::Idle => {}
            }
        }
    }
}
