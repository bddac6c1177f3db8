//! muxrpc (docs/PROTOCOL.md §4): the packet-stream codec and, above it, a Sans-IO endpoint state machine
//! for SSB's RPC protocol. `no_std` + `alloc`; no I/O, no clock, no threads: bytes go in with
//! [`Endpoint::handle_input`], events come out of [`Endpoint::poll_event`] and bytes to send
//! out of [`Endpoint::poll_transmit`].
//!
//! Two endpoints in memory, one calling the other (an async call and a source stream), then
//! the goodbye both ways:
//!
//! ```
//! use serde_json::json;
//! use ssb_muxrpc::{Body, CallType, Endpoint, Event, RemoteError, StreamItem};
//!
//! /// Moves what `from` wants to send into `to`. With a real transport this is a write to the
//! /// socket (or box stream) and, on the other side, a read.
//! fn pump(from: &mut Endpoint, to: &mut Endpoint) -> Result<(), ssb_muxrpc::DecodeError> {
//!     let mut buf = [0u8; 1024];
//!     loop {
//!         let n = from.poll_transmit(&mut buf);
//!         if n == 0 {
//!             return Ok(());
//!         }
//!         // `handle_input` takes everything unless flow control stops it
//!         // (`input_blocked()` then says what to drain); this example stays far below the limits.
//!         assert_eq!(to.handle_input(&buf[..n])?, n);
//!     }
//! }
//!
//! let mut client = Endpoint::default();
//! let mut server = Endpoint::default();
//!
//! let whoami = client.call(CallType::Async, &["whoami"], vec![])?;
//! let count = client.call(CallType::Source, &["count"], vec![json!(3)])?;
//! pump(&mut client, &mut server)?;
//!
//! // The server's application: answer what it knows, refuse the rest with JS's own text.
//! while let Some(event) = server.poll_event() {
//!     if let Event::Request { id, request } = event {
//!         match (request.kind, request.name.join(".").as_str()) {
//!             (CallType::Async, "whoami") => {
//!                 server.respond(id, Ok(Body::json(json!({ "id": "@server" }))))?
//!             }
//!             (CallType::Source, "count") => {
//!                 for i in 0..request.args[0].as_u64().unwrap_or(0) {
//!                     server.send(id, Body::json(i))?;
//!                 }
//!                 server.end(id)?;
//!             }
//!             (kind, _) => server.reject(id, RemoteError::no_such_method(kind, &request.name))?,
//!         }
//!     }
//! }
//! pump(&mut server, &mut client)?;
//!
//! let (mut answer, mut items) = (None, Vec::new());
//! while let Some(event) = client.poll_event() {
//!     match event {
//!         Event::Response { id, result } if id == whoami => answer = Some(result?),
//!         Event::Readable(id) if id == count => {
//!             while let Some(item) = client.read(id) {
//!                 items.push(item);
//!             }
//!         }
//!         _ => {}
//!     }
//! }
//! assert_eq!(answer, Some(Body::json(json!({ "id": "@server" }))));
//! assert_eq!(
//!     items,
//!     [
//!         StreamItem::Data(Body::json(0)),
//!         StreamItem::Data(Body::json(1)),
//!         StreamItem::Data(Body::json(2)),
//!         StreamItem::End(Ok(())),
//!     ]
//! );
//!
//! // Goodbye is a two-way handshake: the server answers the client's.
//! client.goodbye();
//! pump(&mut client, &mut server)?;
//! pump(&mut server, &mut client)?;
//! assert!(client.is_closed() && server.is_closed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The run loop
//!
//! After anything that changes an endpoint (`handle_input`, `handle_eof`, `call`, `respond`,
//! `send`, `end`, `read`, …): drain [`Endpoint::poll_event`], read every stream an
//! [`Event::Readable`] names until [`Endpoint::read`] returns `None`, and write out what
//! [`Endpoint::poll_transmit`] gives until it returns 0. When `handle_input` takes fewer bytes
//! than offered, keep the rest, do what [`Endpoint::input_blocked`] says, and offer it again.
//! After [`Endpoint::is_closed`] (and the transmit queue is empty) close the transport; at
//! transport EOF call [`Endpoint::handle_eof`].
//!
//! # Rules
//!
//! * Any panic on input is a bug; the fuzz targets `muxrpc_decode` and `muxrpc_endpoint`
//!   check it.
//! * Codec errors ([`DecodeError`]: a body over the limit, body type 3) are fatal and
//!   sticky. Every other peer misbehaviour — an end twice, an unknown request number, a
//!   malformed request, invalid JSON, data from the wrong side — fails at most the request it
//!   concerns (answered with an error) or is counted in [`Stats`] and ignored.
//! * Nothing the peer sends makes state grow without bound: every table and queue has a named
//!   limit in [`Config`]; past it requests are refused with an error, or input stops until the
//!   application drains ([`Blocked`]).
//! * The JS behaviours the network depends on, and where this crate differs on purpose, are
//!   listed in [`quirks`], with links to the JS sources.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

extern crate alloc;

mod body;
pub mod codec;
mod endpoint;
pub mod quirks;
mod request;

pub use body::{Body, BodyError, RemoteError, parse_json, utf8_lossy};
pub use codec::{
    BodyType, DEFAULT_MAX_BODY_LEN, DecodeError, EncodeError, Flags, GOODBYE, HEADER_LEN, Header,
    Item, Packet, PacketDecoder, decode_packet, encode_goodbye, encode_packet,
    encode_packet_to_vec, encoded_len,
};
pub use endpoint::{
    Blocked, CallError, Config, DEFAULT_CLOSED_IDS, DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_CALLS,
    DEFAULT_MAX_EVENTS, DEFAULT_MAX_STREAMS, DEFAULT_MAX_TRANSMIT_BYTES,
    DEFAULT_STREAM_QUEUE_BYTES, DEFAULT_STREAM_QUEUE_PACKETS, Endpoint, Event, LocalError,
    RequestId, Stats, StreamItem,
};
pub use request::{
    CallType, MAX_QUOTED_REQUEST, Request, RequestError, parse_request, request_body,
};
pub use ssb_sansio::{BufferTooSmall, Decoded, Progress};
