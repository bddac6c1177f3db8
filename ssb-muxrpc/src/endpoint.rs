//! The muxrpc endpoint: request numbers, async calls and streams above the codec (docs/PROTOCOL.md §4.2–4.6).
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec::Vec;

use serde_json::Value;

use crate::body::{Body, BodyError, RemoteError, parse_json};
use crate::codec::{
    BodyType, DecodeError, Flags, GOODBYE, Header, Item, PacketDecoder, encode_packet_to_vec,
};
use crate::request::{CallType, Request, parse_request, request_body};
use crate::{DEFAULT_MAX_BODY_LEN, HEADER_LEN, Progress};

/// Default for [`Config::max_streams`].
pub const DEFAULT_MAX_STREAMS: usize = 1024;
/// Default for [`Config::max_pending_calls`] and [`Config::max_incoming_calls`].
pub const DEFAULT_MAX_CALLS: usize = 1024;
/// Default for [`Config::stream_queue_packets`].
pub const DEFAULT_STREAM_QUEUE_PACKETS: usize = 256;
/// Default for [`Config::stream_queue_bytes`]: 1 MiB.
pub const DEFAULT_STREAM_QUEUE_BYTES: usize = 1024 * 1024;
/// Default for [`Config::max_buffered_bytes`]: 16 MiB.
pub const DEFAULT_MAX_BUFFERED_BYTES: usize = 16 * 1024 * 1024;
/// Default for [`Config::max_events`].
pub const DEFAULT_MAX_EVENTS: usize = 1024;
/// Default for [`Config::max_transmit_bytes`]: 1 MiB.
pub const DEFAULT_MAX_TRANSMIT_BYTES: usize = 1024 * 1024;
/// Default for [`Config::closed_ids`].
pub const DEFAULT_CLOSED_IDS: usize = 1024;

/// The limits of one endpoint. Every piece of state that the peer can make grow has one;
/// when a limit is reached the endpoint refuses the peer's request with an error, or stops
/// taking input until the application drains what is buffered (see
/// [`Endpoint::input_blocked`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The largest packet body accepted; a longer one is a fatal
    /// [`DecodeError::BodyTooLong`]. Default [`DEFAULT_MAX_BODY_LEN`].
    pub max_body_len: u32,
    /// Open streams per direction (the peer's and ours, counted apart). A stream request
    /// beyond it is ended at once with an error; [`Endpoint::call`] refuses beyond it.
    pub max_streams: usize,
    /// Our async calls awaiting an answer.
    pub max_pending_calls: usize,
    /// The peer's async calls awaiting our answer; more are answered with an error at once.
    pub max_incoming_calls: usize,
    /// Unread items one stream may hold before input stops (an item is accepted into an
    /// empty queue whatever its size).
    pub stream_queue_packets: usize,
    /// Unread body bytes one stream may hold before input stops.
    pub stream_queue_bytes: usize,
    /// Body bytes held in all stream queues and events together before input stops.
    pub max_buffered_bytes: usize,
    /// Events not yet taken with [`Endpoint::poll_event`] before input stops.
    pub max_events: usize,
    /// Bytes waiting for [`Endpoint::poll_transmit`] before input stops and sends are
    /// refused ([`LocalError::TransmitFull`]).
    pub max_transmit_bytes: usize,
    /// How many closed peer stream numbers are remembered, so that a late packet for one is
    /// ignored rather than taken for a new stream (what JS does).
    pub closed_ids: usize,
    /// Deliver the JSON bodies of stream items and of successful async answers as
    /// [`Body::RawJson`] text, unparsed, for the application to parse (error bodies, stream
    /// ends and requests are parsed as always). Default `false`.
    pub raw_json: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_body_len: DEFAULT_MAX_BODY_LEN,
            max_streams: DEFAULT_MAX_STREAMS,
            max_pending_calls: DEFAULT_MAX_CALLS,
            max_incoming_calls: DEFAULT_MAX_CALLS,
            stream_queue_packets: DEFAULT_STREAM_QUEUE_PACKETS,
            stream_queue_bytes: DEFAULT_STREAM_QUEUE_BYTES,
            max_buffered_bytes: DEFAULT_MAX_BUFFERED_BYTES,
            max_events: DEFAULT_MAX_EVENTS,
            max_transmit_bytes: DEFAULT_MAX_TRANSMIT_BYTES,
            closed_ids: DEFAULT_CLOSED_IDS,
            raw_json: false,
        }
    }
}

/// Adds one to a misbehaviour counter (saturating: whatever the peer sends, a counter
/// neither wraps nor panics).
fn count(counter: &mut u64) {
    *counter = counter.saturating_add(1);
}

/// A request, named by who made it: each side numbers the requests it makes 1, 2, 3, …
/// independently (JS starts at 1 and never reuses a number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestId {
    /// A request we made ([`Endpoint::call`]); the peer answers it with `-n`.
    Local(u32),
    /// A request the peer made ([`Event::Request`]); we answer it with `-n`.
    Remote(u32),
}

impl RequestId {
    /// The number on packets we send for this request: `+n` for ours, `-n` for theirs.
    pub fn outgoing_number(self) -> i32 {
        match self {
            // Both kinds hold 1..=i32::MAX (checked where they are made).
            Self::Local(n) => i32::try_from(n).unwrap_or(i32::MAX),
            Self::Remote(n) => i32::try_from(n).unwrap_or(i32::MAX).saturating_neg(),
        }
    }
}

/// Why a call or stream failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The peer answered with an error (an async error response, or a stream end whose body
    /// is anything but JSON `true`).
    #[error("remote error: {0}")]
    Remote(RemoteError),
    /// The peer's body for this call was not valid JSON. JS would have torn the whole
    /// connection down; this endpoint fails only this call (and tells the peer so on a
    /// stream).
    #[error("the peer sent an invalid JSON body for this call")]
    InvalidJson(BodyError),
    /// The connection ended (goodbye or end of input) before the call finished. JS reports
    /// this as "unexpected end of parent stream".
    #[error("unexpected end of parent stream")]
    ConnectionClosed,
}

impl CallError {
    /// A stable machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Remote(_) => "muxrpc_remote_error",
            Self::InvalidJson(_) => "muxrpc_invalid_json",
            Self::ConnectionClosed => "muxrpc_connection_closed",
        }
    }
}

/// What the application asked for that the endpoint cannot do. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// No open request has this id (never made, already answered or closed).
    #[error("no open request {0:?}")]
    UnknownRequest(RequestId),
    /// The operation needs an async request (`respond`) or a stream (`send`, `end`, `read`).
    #[error("request {0:?} is not of the kind this operation needs")]
    WrongKind(RequestId),
    /// This side does not write on the stream: the requester of a source and the responder
    /// of a sink only end it.
    #[error("this side does not send data on stream {0:?}")]
    NotWritable(RequestId),
    /// This side already ended the stream (or replied to the peer's end).
    #[error("stream {0:?} was already ended by this side")]
    AlreadyEnded(RequestId),
    /// A goodbye was sent or received: nothing more may be sent.
    #[error("the connection is closing (goodbye sent or received)")]
    Closed,
    /// [`Config::max_pending_calls`] async calls are awaiting answers.
    #[error("{limit} calls are already awaiting answers")]
    TooManyCalls {
        /// The limit.
        limit: usize,
    },
    /// [`Config::max_streams`] of our streams are open.
    #[error("{limit} streams are already open")]
    TooManyStreams {
        /// The limit.
        limit: usize,
    },
    /// All `i32::MAX` request numbers were used.
    #[error("request numbers exhausted")]
    RequestNumbersExhausted,
    /// [`Config::max_transmit_bytes`] bytes wait for [`Endpoint::poll_transmit`].
    #[error("{queued} bytes already wait to be transmitted")]
    TransmitFull {
        /// Bytes queued.
        queued: usize,
    },
    /// The body cannot be sent.
    #[error(transparent)]
    Body(BodyError),
}

impl LocalError {
    /// A stable machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownRequest(_) => "muxrpc_unknown_request",
            Self::WrongKind(_) => "muxrpc_wrong_kind",
            Self::NotWritable(_) => "muxrpc_not_writable",
            Self::AlreadyEnded(_) => "muxrpc_already_ended",
            Self::Closed => "muxrpc_closed",
            Self::TooManyCalls { .. } => "muxrpc_too_many_calls",
            Self::TooManyStreams { .. } => "muxrpc_too_many_streams",
            Self::RequestNumbersExhausted => "muxrpc_request_numbers_exhausted",
            Self::TransmitFull { .. } => "muxrpc_transmit_full",
            Self::Body(e) => e.code(),
        }
    }
}

/// Something that happened, from [`Endpoint::poll_event`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The peer called us. An async call must be answered once with [`Endpoint::respond`]
    /// (or [`Endpoint::reject`]); a stream is open from now on (there is no acknowledgement
    /// on the wire): [`Endpoint::send`], [`Endpoint::end`] and [`Endpoint::read`] use `id`,
    /// and an unknown method is refused with [`Endpoint::reject`] and
    /// [`RemoteError::no_such_method`].
    Request {
        /// The peer's request ([`RequestId::Remote`]).
        id: RequestId,
        /// What it asked for.
        request: Request,
    },
    /// The answer to one of our async calls.
    Response {
        /// Our request ([`RequestId::Local`]).
        id: RequestId,
        /// The value, or why there is none.
        result: Result<Body, CallError>,
    },
    /// A stream has items: call [`Endpoint::read`] with `id` until it returns `None`.
    /// Raised again when more arrive after this event was taken.
    Readable(RequestId),
    /// The peer said goodbye. Every call still open has failed with
    /// [`CallError::ConnectionClosed`]; our own goodbye has been queued if it was not sent.
    Goodbye,
}

/// One item of a stream, from [`Endpoint::read`].
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// A value the peer sent.
    Data(Body),
    /// The peer ended the stream (`Ok`: with JSON `true`), or it failed. The last item.
    End(Result<(), CallError>),
}

/// Why [`Endpoint::handle_input`] stopped taking input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// This stream's queue is full: [`Endpoint::read`] it (or [`Endpoint::abandon`] it).
    Stream(RequestId),
    /// [`Config::max_events`] events wait: call [`Endpoint::poll_event`].
    Events,
    /// [`Config::max_buffered_bytes`] are held in events and stream queues: read them.
    Buffered,
    /// [`Config::max_transmit_bytes`] wait: call [`Endpoint::poll_transmit`].
    Transmit,
}

/// Counters of peer misbehaviour that was ignored or answered with an error instead of
/// breaking the connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Packets with request number 0 (packet-stream "messages"; muxrpc ignores them).
    pub one_way_messages: u64,
    /// Answers or stream packets for a request of ours that is not open.
    pub unknown_request: u64,
    /// Packets for a peer stream we already closed (remembered in the closed-id set), and
    /// end packets for peer streams we never knew.
    pub late_packets: u64,
    /// Packets on a stream after the peer's end (a second end included).
    pub after_end: u64,
    /// A stream packet for an async call, or a non-stream packet for a stream.
    pub wrong_kind: u64,
    /// Data from the side of a source or sink that does not send.
    pub wrong_direction: u64,
    /// An async request whose number is already awaiting our answer.
    pub duplicate_requests: u64,
    /// Requests that could not be read (answered with an error).
    pub malformed_requests: u64,
    /// Requests beyond a limit (answered with an error).
    pub refused_requests: u64,
    /// Requests that arrived after our goodbye (they cannot be answered).
    pub after_goodbye: u64,
}

#[derive(Debug)]
struct Stream {
    kind: CallType,
    local_ended: bool,
    remote_ended: bool,
    queue: VecDeque<(StreamItem, usize)>,
    queued_bytes: usize,
    readable_pending: bool,
}

impl Stream {
    fn new(kind: CallType) -> Self {
        Self {
            kind,
            local_ended: false,
            remote_ended: false,
            queue: VecDeque::new(),
            queued_bytes: 0,
            readable_pending: false,
        }
    }
}

/// May the peer send data on this stream? (Ours: the responder of a source or duplex writes;
/// theirs: the requester of a sink or duplex writes.)
fn peer_writes(id: RequestId, kind: CallType) -> bool {
    match id {
        RequestId::Local(_) => matches!(kind, CallType::Source | CallType::Duplex),
        RequestId::Remote(_) => matches!(kind, CallType::Sink | CallType::Duplex),
    }
}

/// A packet held back by flow control.
#[derive(Debug)]
struct Stalled {
    header: Header,
    body: Vec<u8>,
}

/// A bounded set of recently closed peer stream numbers (oldest forgotten first).
#[derive(Debug, Default)]
struct ClosedIds {
    order: VecDeque<u32>,
    set: BTreeSet<u32>,
}

impl ClosedIds {
    fn insert(&mut self, n: u32, cap: usize) {
        if cap == 0 || !self.set.insert(n) {
            return;
        }
        self.order.push_back(n);
        while self.order.len() > cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
    }
    fn contains(&self, n: u32) -> bool {
        self.set.contains(&n)
    }
}

/// One side of a muxrpc connection (either side: muxrpc is symmetric, both may call).
///
/// Run loop (as in the crate docs): feed received bytes to [`handle_input`](Self::handle_input),
/// then drain [`poll_event`](Self::poll_event), read the streams it names and write what
/// [`poll_transmit`](Self::poll_transmit) gives to the transport; repeat after every call
/// that changes state. When `handle_input` takes fewer bytes than offered,
/// [`input_blocked`](Self::input_blocked) says what to drain before offering the rest.
#[derive(Debug)]
pub struct Endpoint {
    config: Config,
    decoder: PacketDecoder,
    next_request: u32,
    /// Our async calls awaiting answers.
    pending: BTreeSet<u32>,
    /// The peer's async calls awaiting our answers.
    incoming: BTreeSet<u32>,
    streams: BTreeMap<RequestId, Stream>,
    local_streams: usize,
    remote_streams: usize,
    closed: ClosedIds,
    events: VecDeque<(Event, usize)>,
    buffered: usize,
    tx: Vec<u8>,
    tx_pos: usize,
    stalled: Option<Stalled>,
    goodbye_sent: bool,
    goodbye_received: bool,
    eof: bool,
    stats: Stats,
}

impl Default for Endpoint {
    fn default() -> Self {
        Self::new(Config::default())
    }
}

impl Endpoint {
    /// An endpoint with these limits.
    pub fn new(config: Config) -> Self {
        Self {
            decoder: PacketDecoder::with_max_body_len(config.max_body_len),
            config,
            next_request: 1,
            pending: BTreeSet::new(),
            incoming: BTreeSet::new(),
            streams: BTreeMap::new(),
            local_streams: 0,
            remote_streams: 0,
            closed: ClosedIds::default(),
            events: VecDeque::new(),
            buffered: 0,
            tx: Vec::new(),
            tx_pos: 0,
            stalled: None,
            goodbye_sent: false,
            goodbye_received: false,
            eof: false,
            stats: Stats::default(),
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Counters of ignored or refused peer misbehaviour.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    // ---- calls ----------------------------------------------------------------------

    fn check_can_send(&self) -> Result<(), LocalError> {
        if self.goodbye_sent || self.goodbye_received || self.eof {
            return Err(LocalError::Closed);
        }
        let queued = self.transmit_len();
        if queued >= self.config.max_transmit_bytes {
            return Err(LocalError::TransmitFull { queued });
        }
        Ok(())
    }

    /// Calls a method on the peer: `name` is its path (`&["blobs", "has"]`), `args` its
    /// arguments. For [`CallType::Async`] the answer arrives as [`Event::Response`]; a stream
    /// is open at once (muxrpc has no acknowledgement: a peer without the method answers with
    /// an error end).
    pub fn call<S: AsRef<str>>(
        &mut self,
        kind: CallType,
        name: &[S],
        args: Vec<Value>,
    ) -> Result<RequestId, LocalError> {
        self.check_can_send()?;
        let n = self.next_request;
        if i32::try_from(n).is_err() {
            return Err(LocalError::RequestNumbersExhausted);
        }
        if kind.is_stream() {
            if self.local_streams >= self.config.max_streams {
                return Err(LocalError::TooManyStreams {
                    limit: self.config.max_streams,
                });
            }
        } else if self.pending.len() >= self.config.max_pending_calls {
            return Err(LocalError::TooManyCalls {
                limit: self.config.max_pending_calls,
            });
        }
        let name: Vec<_> = name.iter().map(|s| s.as_ref().into()).collect();
        let body = Body::Json(request_body(kind, &name, args));
        let id = RequestId::Local(n);
        self.queue_packet(kind.is_stream(), false, id, &body)
            .map_err(LocalError::Body)?;
        self.next_request = n.saturating_add(1);
        if kind.is_stream() {
            self.streams.insert(id, Stream::new(kind));
            self.local_streams = self.local_streams.saturating_add(1);
        } else {
            self.pending.insert(n);
        }
        Ok(id)
    }

    /// Answers the peer's async call once: `Ok` with a value, `Err` with an error object.
    /// (A JS method that calls back with no value answers JSON `false`:
    /// [`Body::undefined`].)
    pub fn respond(
        &mut self,
        id: RequestId,
        result: Result<Body, RemoteError>,
    ) -> Result<(), LocalError> {
        let RequestId::Remote(n) = id else {
            return Err(LocalError::WrongKind(id));
        };
        if !self.incoming.contains(&n) {
            return Err(if self.streams.contains_key(&id) {
                LocalError::WrongKind(id)
            } else {
                LocalError::UnknownRequest(id)
            });
        }
        self.check_can_send()?;
        match result {
            Ok(body) => self.queue_packet(false, false, id, &body),
            Err(e) => self.queue_packet(false, true, id, &Body::Json(e.to_json())),
        }
        .map_err(LocalError::Body)?;
        self.incoming.remove(&n);
        Ok(())
    }

    /// Refuses any request of the peer's: an async call gets an error answer, a stream an
    /// error end. For unknown methods use [`RemoteError::no_such_method`], for refused ones
    /// [`RemoteError::not_allowed`]: JS peers match those texts.
    pub fn reject(&mut self, id: RequestId, error: RemoteError) -> Result<(), LocalError> {
        if self.streams.contains_key(&id) {
            self.end_with_error(id, error)
        } else {
            self.respond(id, Err(error))
        }
    }

    /// The stream `id`, if it is open and we have not ended it.
    fn writable_stream(&self, id: RequestId) -> Result<&Stream, LocalError> {
        match self.streams.get(&id) {
            Some(s) if s.local_ended => Err(LocalError::AlreadyEnded(id)),
            Some(s) => Ok(s),
            None if self.is_open(id) => Err(LocalError::WrongKind(id)),
            None => Err(LocalError::UnknownRequest(id)),
        }
    }

    /// Sends one value on a stream. Only the side that writes may: the responder of a
    /// source, the requester of a sink, both sides of a duplex.
    pub fn send(&mut self, id: RequestId, body: Body) -> Result<(), LocalError> {
        let s = self.writable_stream(id)?;
        // We write where the peer does not, except on a duplex.
        if peer_writes(id, s.kind) && s.kind != CallType::Duplex {
            return Err(LocalError::NotWritable(id));
        }
        self.check_can_send()?;
        self.queue_packet(true, false, id, &body)
            .map_err(LocalError::Body)
    }

    /// Ends our side of a stream normally (END with JSON `true`). For a stream we read only
    /// (a source we called, a sink the peer called) this tells the writer to stop.
    ///
    /// The stream stays readable until the peer's end arrives. A JS peer never answers our
    /// end on a duplex (it just stops writing, see [`quirks`](crate::quirks)):
    /// [`abandon`](Self::abandon) such a stream once its data no longer matters.
    pub fn end(&mut self, id: RequestId) -> Result<(), LocalError> {
        self.end_inner(id, &Body::Json(Value::Bool(true)))
    }

    /// Ends our side of a stream with an error object.
    pub fn end_with_error(&mut self, id: RequestId, error: RemoteError) -> Result<(), LocalError> {
        self.end_inner(id, &Body::Json(error.to_json()))
    }

    fn end_inner(&mut self, id: RequestId, body: &Body) -> Result<(), LocalError> {
        self.writable_stream(id)?;
        self.check_can_send()?;
        self.queue_packet(true, true, id, body)
            .map_err(LocalError::Body)?;
        if let Some(s) = self.streams.get_mut(&id) {
            s.local_ended = true;
        }
        self.maybe_remove(id);
        Ok(())
    }

    /// Forgets a stream or one of our pending async calls: ends the stream first if we have
    /// not (unless a goodbye was sent; the end is queued even when the transmit queue is
    /// full), drops its unread items, and ignores whatever the peer still sends for it.
    pub fn abandon(&mut self, id: RequestId) -> Result<(), LocalError> {
        if let RequestId::Local(n) = id
            && self.pending.remove(&n)
        {
            return Ok(());
        }
        let Some(s) = self.streams.get(&id) else {
            return Err(LocalError::UnknownRequest(id));
        };
        if !s.local_ended {
            // Sent even over the transmit limit: one small packet per stream, and the peer
            // must learn that we are gone.
            self.queue_auto(true, true, id, &Body::Json(Value::Bool(true)));
        }
        if let Some(s) = self.streams.get_mut(&id) {
            s.local_ended = true;
            s.remote_ended = true;
            self.buffered = self.buffered.saturating_sub(s.queued_bytes);
            s.queued_bytes = 0;
            s.queue.clear();
        }
        self.maybe_remove(id);
        Ok(())
    }

    /// Takes the next item of a stream (`None`: nothing waiting, or no such stream). After
    /// the [`StreamItem::End`] of a stream we have ended too, the stream is gone.
    #[must_use = "the item is removed from the stream"]
    pub fn read(&mut self, id: RequestId) -> Option<StreamItem> {
        let s = self.streams.get_mut(&id)?;
        let (item, weight) = s.queue.pop_front()?;
        s.queued_bytes = s.queued_bytes.saturating_sub(weight);
        self.buffered = self.buffered.saturating_sub(weight);
        self.maybe_remove(id);
        Some(item)
    }

    /// Unread items of a stream.
    pub fn queued_items(&self, id: RequestId) -> usize {
        self.streams.get(&id).map_or(0, |s| s.queue.len())
    }

    /// True while the stream (ours or the peer's) is known to the endpoint.
    pub fn is_open(&self, id: RequestId) -> bool {
        self.streams.contains_key(&id)
            || matches!(id, RequestId::Local(n) if self.pending.contains(&n))
            || matches!(id, RequestId::Remote(n) if self.incoming.contains(&n))
    }

    /// Open streams (both directions).
    pub fn open_streams(&self) -> usize {
        self.streams.len()
    }

    /// Our async calls awaiting answers.
    pub fn pending_calls(&self) -> usize {
        self.pending.len()
    }

    /// The peer's async calls awaiting our answers.
    pub fn incoming_calls(&self) -> usize {
        self.incoming.len()
    }

    /// Events waiting for [`poll_event`](Self::poll_event).
    pub fn queued_events(&self) -> usize {
        self.events.len()
    }

    /// Body bytes held in events and stream queues.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered
    }

    fn maybe_remove(&mut self, id: RequestId) {
        let done = self
            .streams
            .get(&id)
            .is_some_and(|s| s.local_ended && s.remote_ended && s.queue.is_empty());
        if done {
            self.streams.remove(&id);
            match id {
                RequestId::Local(_) => {
                    self.local_streams = self.local_streams.saturating_sub(1);
                }
                RequestId::Remote(n) => {
                    self.remote_streams = self.remote_streams.saturating_sub(1);
                    self.closed.insert(n, self.config.closed_ids);
                }
            }
        }
    }

    // ---- goodbye ----------------------------------------------------------------------

    /// Queues our goodbye (nine zero bytes): we send nothing after it. JS closes its side
    /// when it receives it and answers with its own; finish streams and calls first, as JS's
    /// `close()` does. Idempotent.
    pub fn goodbye(&mut self) {
        if !self.goodbye_sent && !self.eof {
            self.goodbye_sent = true;
            self.tx.extend_from_slice(&GOODBYE);
        }
    }

    /// True once goodbyes went both ways: after [`poll_transmit`](Self::poll_transmit) is
    /// drained, close the transport.
    pub fn is_closed(&self) -> bool {
        self.goodbye_sent && self.goodbye_received
    }

    /// True once the peer's goodbye arrived.
    pub fn goodbye_received(&self) -> bool {
        self.goodbye_received
    }

    /// Fails everything still open with [`CallError::ConnectionClosed`].
    fn fail_all(&mut self) {
        for n in core::mem::take(&mut self.pending) {
            self.push_event(
                Event::Response {
                    id: RequestId::Local(n),
                    result: Err(CallError::ConnectionClosed),
                },
                0,
            );
        }
        self.incoming.clear();
        let ids: Vec<RequestId> = self.streams.keys().copied().collect();
        for id in ids {
            if let Some(s) = self.streams.get_mut(&id) {
                s.local_ended = true;
                if !s.remote_ended {
                    s.remote_ended = true;
                    s.queue
                        .push_back((StreamItem::End(Err(CallError::ConnectionClosed)), 0));
                    self.notify_readable(id);
                }
            }
            self.maybe_remove(id);
        }
    }

    /// Call at the end of the input (transport EOF). `Ok` after a goodbye; otherwise every
    /// open call fails with [`CallError::ConnectionClosed`] and the decoder's reason is
    /// returned ([`DecodeError::NoGoodbye`] or [`DecodeError::Truncated`]).
    pub fn handle_eof(&mut self) -> Result<(), DecodeError> {
        if self.goodbye_received {
            return Ok(());
        }
        let r = self.decoder.finish();
        if !self.eof {
            self.eof = true;
            self.fail_all();
        }
        r
    }

    // ---- output -----------------------------------------------------------------------

    fn queue_packet(
        &mut self,
        stream: bool,
        end: bool,
        id: RequestId,
        body: &Body,
    ) -> Result<(), BodyError> {
        let (body_type, bytes) = body.encode()?;
        let flags = Flags {
            stream,
            end,
            body_type,
        };
        encode_packet_to_vec(flags, id.outgoing_number(), &bytes, &mut self.tx)
            .map_err(|_| BodyError::TooLong { len: bytes.len() })
    }

    /// A packet the endpoint sends on its own (an answer to peer misbehaviour or to the
    /// peer's end). Dropped once a goodbye was sent.
    fn queue_auto(&mut self, stream: bool, end: bool, id: RequestId, body: &Body) {
        if !self.goodbye_sent && !self.eof {
            let _ = self.queue_packet(stream, end, id, body);
        }
    }

    /// Copies bytes to send into `out` and returns how many (0: nothing to send). A packet may
    /// be split across calls: the transport is a byte stream. Call after every change until
    /// it returns 0.
    #[must_use = "the returned bytes must be written to the transport"]
    pub fn poll_transmit(&mut self, out: &mut [u8]) -> usize {
        let pending = self.tx.get(self.tx_pos..).unwrap_or_default();
        let n = pending.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), pending.get(..n)) {
            dst.copy_from_slice(src);
        }
        // `n` is at most what was pending: `tx_pos` stays within `tx`.
        self.tx_pos = self.tx_pos.saturating_add(n);
        let left = self.transmit_len();
        if left == 0 {
            self.tx.clear();
            self.tx_pos = 0;
        } else if self.tx_pos > 64 * 1024 && self.tx_pos > left {
            // More than half of `tx` is sent: drop it.
            self.tx.drain(..self.tx_pos);
            self.tx_pos = 0;
        }
        n
    }

    /// Bytes waiting for [`poll_transmit`](Self::poll_transmit).
    pub fn transmit_len(&self) -> usize {
        self.tx.len().saturating_sub(self.tx_pos)
    }

    /// Takes the next event. Call after every [`handle_input`](Self::handle_input) (and after
    /// [`handle_eof`](Self::handle_eof)) until it returns `None`.
    #[must_use = "events must be handled: requests need answers"]
    pub fn poll_event(&mut self) -> Option<Event> {
        let (ev, weight) = self.events.pop_front()?;
        self.buffered = self.buffered.saturating_sub(weight);
        if let Event::Readable(id) = &ev
            && let Some(s) = self.streams.get_mut(id)
        {
            s.readable_pending = false;
        }
        Some(ev)
    }

    fn push_event(&mut self, ev: Event, weight: usize) {
        self.buffered = self.buffered.saturating_add(weight);
        self.events.push_back((ev, weight));
    }

    fn notify_readable(&mut self, id: RequestId) {
        if let Some(s) = self.streams.get_mut(&id)
            && !s.readable_pending
        {
            s.readable_pending = true;
            self.events.push_back((Event::Readable(id), 0));
        }
    }

    // ---- input ------------------------------------------------------------------------

    /// What input is waiting for, if anything: while `Some`, [`handle_input`](Self::handle_input)
    /// takes no bytes. `None` when input may flow.
    pub fn input_blocked(&self) -> Option<Blocked> {
        if let Some(p) = &self.stalled
            && let Some(b) = self.stream_block(&p.header)
        {
            return Some(b);
        }
        self.global_block()
    }

    fn global_block(&self) -> Option<Blocked> {
        if self.transmit_len() >= self.config.max_transmit_bytes {
            Some(Blocked::Transmit)
        } else if self.events.len() >= self.config.max_events {
            Some(Blocked::Events)
        } else if self.buffered >= self.config.max_buffered_bytes {
            Some(Blocked::Buffered)
        } else {
            None
        }
    }

    /// Is the stream this packet is for too full to take it?
    fn stream_block(&self, h: &Header) -> Option<Blocked> {
        if !h.flags.stream {
            return None;
        }
        let id = incoming_id(h.request)?;
        let s = self.streams.get(&id)?;
        let len = usize::try_from(h.body_len).unwrap_or(usize::MAX);
        let full = !s.queue.is_empty()
            && (s.queue.len() >= self.config.stream_queue_packets
                || s.queued_bytes.saturating_add(len) > self.config.stream_queue_bytes);
        full.then_some(Blocked::Stream(id))
    }

    /// Takes received bytes (any amount, in pieces of any size) and returns how many it
    /// used. All of them, unless flow control stopped it: then
    /// [`input_blocked`](Self::input_blocked) says what to drain, after which call again with
    /// the rest (possibly an empty slice, to deliver a held-back packet).
    ///
    /// Errors are the codec's ([`DecodeError`]): fatal and sticky, the connection is broken.
    /// Every other peer misbehaviour fails at most the request it concerns.
    pub fn handle_input(&mut self, input: &[u8]) -> Result<usize, DecodeError> {
        if let Some(p) = self.stalled.take() {
            if self.stream_block(&p.header).is_some() || self.global_block().is_some() {
                self.stalled = Some(p);
                return Ok(0);
            }
            self.on_packet(p.header, &p.body);
        }
        // The decoder is moved out so that packets borrowed from it can be handled.
        let mut decoder = core::mem::take(&mut self.decoder);
        let r = self.input_loop(&mut decoder, input);
        self.decoder = decoder;
        r
    }

    fn input_loop(
        &mut self,
        decoder: &mut PacketDecoder,
        input: &[u8],
    ) -> Result<usize, DecodeError> {
        let mut consumed = 0;
        while !self.eof && self.global_block().is_none() {
            // Called even with no input left, so that a failed decoder says so again.
            let rest = input.get(consumed..).unwrap_or_default();
            let d = decoder.decode(rest)?;
            // At most `rest.len()`: `consumed` stays within `input`.
            consumed = consumed.saturating_add(d.consumed);
            match d.progress {
                Progress::NeedMore(_) | Progress::Ended => break,
                Progress::Frame(Item::Goodbye(_)) => {
                    self.on_goodbye();
                    // Nothing after a goodbye is read (as in JS).
                    consumed = input.len();
                    break;
                }
                Progress::Frame(Item::Packet(p)) => {
                    if self.stream_block(&p.header).is_some() {
                        self.stalled = Some(Stalled {
                            header: p.header,
                            body: p.body.to_vec(),
                        });
                        break;
                    }
                    self.on_packet(p.header, p.body);
                }
            }
        }
        Ok(consumed)
    }

    fn on_goodbye(&mut self) {
        self.goodbye_received = true;
        if !self.goodbye_sent {
            self.goodbye_sent = true;
            self.tx.extend_from_slice(&GOODBYE);
        }
        self.fail_all();
        self.push_event(Event::Goodbye, 0);
    }

    fn on_packet(&mut self, header: Header, body: &[u8]) {
        let req = header.request;
        if req == 0 {
            count(&mut self.stats.one_way_messages);
            return;
        }
        let Some(id) = incoming_id(req) else {
            count(&mut self.stats.unknown_request); // -2^31 names no request of ours
            return;
        };
        match (id, header.flags.stream) {
            (RequestId::Remote(n), false) => self.on_async_request(n, header, body),
            (RequestId::Remote(n), true) => {
                if self.streams.contains_key(&id) {
                    self.on_stream_packet(id, header, body);
                } else if self.closed.contains(n) || header.flags.end {
                    // Never answer an end for a stream we do not know: no end ping-pong.
                    count(&mut self.stats.late_packets);
                } else {
                    self.on_stream_request(n, header, body);
                }
            }
            (RequestId::Local(n), false) => {
                if self.pending.remove(&n) {
                    let raw = self.config.raw_json && !header.flags.end;
                    let result = match Body::decode_raw(raw, header.flags.body_type, body) {
                        Err(e) => Err(CallError::InvalidJson(e)),
                        Ok(b) if header.flags.end => {
                            Err(CallError::Remote(RemoteError::from_body(&b)))
                        }
                        Ok(b) => Ok(b),
                    };
                    self.push_event(Event::Response { id, result }, body.len());
                } else if self.streams.contains_key(&id) {
                    count(&mut self.stats.wrong_kind);
                } else {
                    count(&mut self.stats.unknown_request);
                }
            }
            (RequestId::Local(n), true) => {
                if self.streams.contains_key(&id) {
                    self.on_stream_packet(id, header, body);
                } else if self.pending.contains(&n) {
                    count(&mut self.stats.wrong_kind);
                } else {
                    count(&mut self.stats.unknown_request);
                }
            }
        }
    }

    fn on_async_request(&mut self, n: u32, header: Header, body: &[u8]) {
        let id = RequestId::Remote(n);
        if self.goodbye_sent {
            count(&mut self.stats.after_goodbye);
            return;
        }
        if self.incoming.contains(&n) {
            count(&mut self.stats.duplicate_requests);
            return;
        }
        if self.incoming.len() >= self.config.max_incoming_calls {
            count(&mut self.stats.refused_requests);
            let e = RemoteError::new("too many concurrent requests");
            self.queue_auto(false, true, id, &Body::Json(e.to_json()));
            return;
        }
        match read_request(false, header.flags.body_type, body) {
            Err(e) => {
                count(&mut self.stats.malformed_requests);
                self.queue_auto(false, true, id, &Body::Json(e.to_json()));
            }
            Ok(request) => {
                self.incoming.insert(n);
                self.push_event(Event::Request { id, request }, body.len());
            }
        }
    }

    fn on_stream_request(&mut self, n: u32, header: Header, body: &[u8]) {
        let id = RequestId::Remote(n);
        if self.goodbye_sent {
            count(&mut self.stats.after_goodbye);
            return;
        }
        let refuse = |this: &mut Self, e: RemoteError| {
            this.queue_auto(true, true, id, &Body::Json(e.to_json()));
            this.closed.insert(n, this.config.closed_ids);
        };
        if self.remote_streams >= self.config.max_streams {
            count(&mut self.stats.refused_requests);
            refuse(self, RemoteError::new("too many open streams"));
            return;
        }
        match read_request(true, header.flags.body_type, body) {
            Err(e) => {
                count(&mut self.stats.malformed_requests);
                refuse(self, e);
            }
            Ok(request) => {
                self.streams.insert(id, Stream::new(request.kind));
                self.remote_streams = self.remote_streams.saturating_add(1);
                self.push_event(Event::Request { id, request }, body.len());
            }
        }
    }

    fn on_stream_packet(&mut self, id: RequestId, header: Header, body: &[u8]) {
        let Some(s) = self.streams.get_mut(&id) else {
            return;
        };
        if s.remote_ended {
            count(&mut self.stats.after_end);
            return;
        }
        let weight = body.len();
        if header.flags.end {
            s.remote_ended = true;
            let decoded = Body::decode(header.flags.body_type, body);
            // The peer has ended: answer with our end once, as JS does for sources and sinks
            // (JS stops writing a duplex the peer ended without answering; answering is
            // what lets a JS peer that ended first release the stream). Like JS, the answer
            // echoes the peer's end: `true`, or the error object's fields.
            let reply = (!s.local_ended).then(|| echo_end(&decoded));
            let result = match decoded {
                Ok(Body::Json(Value::Bool(true))) => Ok(()),
                Ok(b) => Err(CallError::Remote(RemoteError::from_body(&b))),
                Err(e) => Err(CallError::InvalidJson(e)),
            };
            s.queue.push_back((StreamItem::End(result), weight));
            s.queued_bytes = s.queued_bytes.saturating_add(weight);
            self.buffered = self.buffered.saturating_add(weight);
            if let Some(reply) = reply {
                s.local_ended = true;
                self.queue_auto(true, true, id, &reply);
            }
            self.notify_readable(id);
            return;
        }
        if !peer_writes(id, s.kind) {
            count(&mut self.stats.wrong_direction);
            return;
        }
        match Body::decode_raw(self.config.raw_json, header.flags.body_type, body) {
            Ok(b) => {
                s.queue.push_back((StreamItem::Data(b), weight));
                s.queued_bytes = s.queued_bytes.saturating_add(weight);
                self.buffered = self.buffered.saturating_add(weight);
            }
            Err(e) => {
                // Fail this stream only, and tell the peer.
                s.remote_ended = true;
                s.queue
                    .push_back((StreamItem::End(Err(CallError::InvalidJson(e))), 0));
                if !s.local_ended {
                    s.local_ended = true;
                    let err = RemoteError::new("invalid JSON body");
                    self.queue_auto(true, true, id, &Body::Json(err.to_json()));
                }
            }
        }
        self.notify_readable(id);
    }
}

/// Our answer to the peer's end, as JS muxrpc's streams give it (`pull-weird.js` ends with
/// the value it received, `packet-stream`'s `flat` keeps an error's `message`, `name` and
/// `stack`): `true` for `true`; an object's fields `message`, `name`, `stack` (those present);
/// `{}` for any other body; `true` if the body could not be read.
fn echo_end(decoded: &Result<Body, BodyError>) -> Body {
    match decoded {
        Ok(Body::Json(Value::Object(o))) => {
            let mut flat = serde_json::Map::new();
            for k in ["message", "name", "stack"] {
                if let Some(v) = o.get(k) {
                    flat.insert(k.into(), v.clone());
                }
            }
            Body::Json(Value::Object(flat))
        }
        Ok(Body::Json(Value::Bool(true))) | Err(_) => Body::Json(Value::Bool(true)),
        Ok(_) => Body::Json(Value::Object(serde_json::Map::new())),
    }
}

/// The request a packet's number names, from the receiver's side.
fn incoming_id(req: i32) -> Option<RequestId> {
    if req > 0 {
        Some(RequestId::Remote(req.unsigned_abs()))
    } else {
        req.checked_neg()
            .filter(|n| *n > 0)
            .map(|n| RequestId::Local(n.unsigned_abs()))
    }
}

/// Reads a request packet's body, or the error object to answer it with.
fn read_request(stream: bool, body_type: BodyType, body: &[u8]) -> Result<Request, RemoteError> {
    let b = match body_type {
        BodyType::Json => match parse_json(body) {
            Ok(v) => Body::Json(v),
            Err(_) => return Err(RemoteError::new("invalid request, body is not valid JSON")),
        },
        t => Body::decode(t, body).map_err(|_| RemoteError::new("invalid request"))?,
    };
    parse_request(stream, &b).map_err(|(e, shown)| e.to_remote_error(&shown))
}

const _: () = assert!(HEADER_LEN == 9);
