//! The packet-stream codec and the muxrpc endpoint state machine. Filled by the muxrpc issue.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

extern crate alloc;

mod body;
pub mod codec;
mod request;

pub use body::{Body, BodyError, RemoteError, parse_json, utf8_lossy};
pub use codec::{
    BodyType, DEFAULT_MAX_BODY_LEN, DecodeError, Decoded, EncodeError, Flags, GOODBYE, HEADER_LEN,
    Header, Packet, PacketDecoder, Progress, decode_packet, encode_goodbye, encode_packet,
    encode_packet_to_vec, encoded_len,
};
pub use request::{CallType, Request, RequestError, parse_request, request_body};
mod endpoint;
pub use endpoint::{
    Blocked, CallError, Config, DEFAULT_CLOSED_IDS, DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_CALLS,
    DEFAULT_MAX_EVENTS, DEFAULT_MAX_STREAMS, DEFAULT_MAX_TRANSMIT_BYTES,
    DEFAULT_STREAM_QUEUE_BYTES, DEFAULT_STREAM_QUEUE_PACKETS, Endpoint, Event, LocalError,
    RequestId, Stats, StreamItem,
};
