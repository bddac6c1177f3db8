//! The JS behaviour the SSB network depends on, and what this crate does about each point.
//!
//! The reference is the JS stack every SSB peer in the wild talks to:
//! [`packet-stream-codec` 1.2.0][psc] (the wire format), [`packet-stream` 2.0.6][ps] (request
//! numbers, substreams) and [`muxrpc` 8.0.0][mux] (`stream.js`, `pull-weird.js`,
//! `local-api.js`, `permissions.js`), with [`pull-goodbye` 0.0.3][bye]. Points marked
//! *vector* are checked against those packages by `test-vectors/vectors/muxrpc.json`
//! (`packet_*` cases run `packet-stream-codec`, `session/*` cases drive a JS muxrpc
//! endpoint); points marked *policy* are where this crate deliberately differs.
//!
//! [psc]: https://github.com/ssbc/packet-stream-codec/blob/f5f44f419c1accb7d6e8c5d75f8788d1b0d75f75/index.js
//! [ps]: https://github.com/ssbc/packet-stream/blob/bb0493dd0eb6454ac675df78dfed20e994a4881f/index.js
//! [pss]: https://github.com/ssbc/packet-stream/blob/bb0493dd0eb6454ac675df78dfed20e994a4881f/substream.js
//! [mux]: https://github.com/ssbc/muxrpc/tree/45e3d3574aa3093d80b44e05ebf714477e59094c
//! [stream]: https://github.com/ssbc/muxrpc/blob/45e3d3574aa3093d80b44e05ebf714477e59094c/stream.js
//! [weird]: https://github.com/ssbc/muxrpc/blob/45e3d3574aa3093d80b44e05ebf714477e59094c/pull-weird.js
//! [local]: https://github.com/ssbc/muxrpc/blob/45e3d3574aa3093d80b44e05ebf714477e59094c/local-api.js
//! [remote]: https://github.com/ssbc/muxrpc/blob/45e3d3574aa3093d80b44e05ebf714477e59094c/remote-api.js
//! [perms]: https://github.com/ssbc/muxrpc/blob/45e3d3574aa3093d80b44e05ebf714477e59094c/permissions.js
//! [bye]: https://github.com/dominictarr/pull-goodbye
//! [ebt]: https://github.com/ssbc/ssb-ebt/blob/546932f36c08e050ed772f2c39a8a4463968a512/index.js
//!
//! # The codec
//!
//! 1. **Any header with length 0 is a goodbye**, whatever its flags and request number: the
//!    [decoder][psc] checks `msg.length === 0` before anything else and ends the stream. So a
//!    packet with an empty body — an empty string, an empty `Buffer` — silently ends a JS
//!    peer's reading of the connection. JS itself writes one when a method answers `""`
//!    (`encodePair` sends `Buffer.from('')`). *Vector* (`decode/zero-length/*`,
//!    `encode-empty/*`). We decode such headers as [`Item::Goodbye`] too, and never send
//!    one: [`encode_packet`] refuses an empty body, [`Body::encode`] sends an empty string as
//!    the JSON text `""` (the JS peer gets the same empty string) and refuses an empty binary
//!    body.
//! 2. **Goodbye is nine zero bytes** (`encodePair('GOODBYE')`); nothing after it is read.
//!    *Vector* (`goodbye/encode`, `decode/session/*after-goodbye`).
//! 3. **Body type 3 is an error** ("unknown message type"), raised once the body has been
//!    read; the JS connection dies. *Vector* (`decode/type-3/*`). Ours:
//!    [`DecodeError::UnknownBodyType`], fatal likewise.
//! 4. **The upper four flag bits are ignored** (the decoder masks 8, 4 and 3). *Vector*.
//! 5. **Bodies are decoded leniently**: text with `Buffer.toString()` (invalid UTF-8 becomes
//!    U+FFFD), JSON with `JSON.parse(buffer.toString())`, so invalid UTF-8 inside a JSON
//!    string becomes U+FFFD as well. *Vector* (`decode/utf8/*`, `decode/json/*`). Ours:
//!    [`utf8_lossy`], [`parse_json`]. Where serde_json is stricter than `JSON.parse` — a
//!    number outside the `f64` range (JS: `Infinity`), an escaped lone surrogate (`"\ud800"`),
//!    nesting deeper than 128 — the body counts as invalid JSON (see 6). JS also moves
//!    integer-like object keys first; we keep the order they came in.
//! 6. **A JSON body that fails to parse tears a JS connection down** (the decoder's read
//!    fails, `packet-stream` is destroyed). *Vector* (`decode/invalid-json/*`). *Policy*: the
//!    [`Endpoint`] fails only the call it belongs to ([`CallError::InvalidJson`]); a request
//!    is answered with an error, a stream is ended with the error `invalid JSON body`, and the
//!    connection stays up.
//! 7. **No body limit**: JS buffers whatever length a header announces. *Policy*:
//!    [`DEFAULT_MAX_BODY_LEN`], checked from the header before any body byte is buffered.
//! 8. **Strings go out as type-1 raw UTF-8, `Buffer`s as type 0, anything else as compact
//!    JSON** (`encodePair`). *Vector* (`encode/*`). [`Body::encode`] does the same, also
//!    for a JSON string value.
//! 9. **A packet without a value carries its `end` flag as the JSON body**: `encodePair` sends
//!    `msg.value !== undefined ? msg.value : msg.end`. So an async method that calls back with
//!    no value answers JSON `false` ([`Body::undefined`]), and a stream's normal end is JSON
//!    `true`. *Vector* (`encode/undefined-value/*`, `session/async/undefined-answer-is-false`).
//!
//! # Requests
//!
//! 10. **Async requests are `{name, args}` without `type`** ([`stream.js`][stream]
//!     `ps.request({ name, args })`); stream requests are `{name, args, type}` with the stream
//!     flag set. A packet without the stream flag is an async request whatever its `type`
//!     says. *Vector*. We accept both, and send what JS sends: no `type` on async
//!     requests (go-muxrpc also reads a missing one as async).
//! 11. **The bootstrap `manifest` call sends `name` as a plain string**
//!     ([`remote-api.js`][remote] `remoteCall('async', 'manifest', …)`); JS looks a string
//!     name up as one key. *Vector* (`session/async/name-as-plain-string`). We read a string
//!     name as a one-element path ([`Request::name`]).
//! 12. **`args` must be an array** for an async request, answered otherwise with
//!     `invalid request, args should be array, was: <the request as JSON>`; JS does not check
//!     a stream request's `args` (missing means none). A stream `type` other than `source`,
//!     `sink`, `duplex` is answered `unsupported stream type: <type>` (`undefined` if
//!     missing). *Vector*. We answer with the same texts.
//! 13. **Packets with request number 0** are packet-stream "messages"; muxrpc ignores them.
//!     *Vector*. Counted in [`Stats::one_way_messages`].
//!
//! # Answers and streams
//!
//! 14. **Every packet answering request `n` carries `-n`** ([`packet-stream`][ps]
//!     `msg.req * -1`; substreams are created with `rid * -1`). An async success has
//!     `end = false`, an async error `end = true`, neither the stream flag. *Vector*.
//! 15. **Errors are `{message, name, stack}`** (`flat(err)` in `packet-stream`'s `utils.js`),
//!     `stack` being a JS stack trace; `packet-stream`'s own errors send `stack: null`, as we
//!     do ([`RemoteError::to_json`]). The vectors compare errors without `stack`.
//! 16. **Every stream packet carries the stream flag**, the request included
//!     ([`substream.js`][pss]); a stream ends with `end = true` and body `true`, or an error
//!     object. *Vector*.
//! 17. **There is no acknowledgement when a stream opens**: a peer without the method answers
//!     with an error end (stream flag copied). JS's texts ([`local-api.js`][local],
//!     [`permissions.js`][perms]) are `no <type>:<name>` and
//!     `method:<name> is not in list of allowed methods`, a path printed by a JS template
//!     string, i.e. joined with commas (`no async:blobs,has`), `sync` methods named `async`;
//!     behind an allow list an unknown method gets the permissions text. *Vector*
//!     (`session/*unknown*`, `session/perms/*`). [ssb-ebt][ebt] decides a peer lacks EBT by
//!     comparing the error message with exactly `method:ebt,<name> is not in list of allowed
//!     methods` (or go-muxrpc's `muxrpc: no such command: ebt.<name>`), so use
//!     [`RemoteError::no_such_method`] and [`RemoteError::not_allowed`].
//! 18. **When the peer ends a source or sink, JS answers with its own end, echoing the value
//!     it got** (`true`, or the error's `message`/`name`/`stack`) ([`pull-weird.js`][weird]
//!     `uniplex`). *Vector* (`session/source/requester-aborts*`, `session/calls/source`).
//!     The [`Endpoint`] does that for every stream, exactly once, and stops writing it.
//! 19. **When the peer ends a duplex, JS stops writing it but never sends its end**: the
//!     duplex's `done` drops the substream before the sink's end handler could write, so the
//!     JS side keeps the substream open until the connection closes (two JS peers: neither's
//!     `close()` completes). *Policy*: we answer that end anyway (it is what lets a JS peer
//!     that ended first release its substream). When *we* end a duplex first, a JS peer will
//!     send nothing more and never its end: [`Endpoint::abandon`] the stream.
//! 20. **An end packet for an unknown positive number makes JS open a new stream and answer
//!     it with an end**; a data packet with an unknown positive number is a new stream
//!     request. *Policy*: we never answer an end for a stream we do not know (no end
//!     ping-pong), and ignore packets for the peer's streams we closed recently
//!     ([`Config::closed_ids`], [`Stats::late_packets`]).
//! 21. **Answers for unknown negative numbers are dropped** (`packet-stream` logs "no stream
//!     for incoming msg"). *Vector*. Counted in [`Stats::unknown_request`].
//! 22. **Data from the side of a source or sink that does not write** is buffered by JS
//!     forever (no one reads that half). We drop and count it ([`Stats::wrong_direction`]).
//!
//! # Flow control and shutdown
//!
//! 23. **JS has no flow control at all**: `packet-stream` and `pull-weird` queue whatever
//!     arrives; go-muxrpc stops reading the whole connection while one stream is not drained.
//!     *Policy*: each stream has a bounded queue; when one is full the endpoint stops taking
//!     input and [`Endpoint::input_blocked`] names the stream to read (or abandon), so a slow
//!     consumer makes the transport wait instead of memory grow, and the application can see
//!     why.
//! 24. **Goodbye is a two-way handshake** ([`pull-goodbye`][bye]): the JS side sends its
//!     goodbye when its packet stream closes and keeps the transport open until the peer's
//!     goodbye arrives. On receiving a goodbye, JS fails every open call with "unexpected end
//!     of parent stream" and sends its own. *Vector* (`session/goodbye/*`). Same here
//!     ([`Event::Goodbye`], [`CallError::ConnectionClosed`], [`Endpoint::is_closed`]). JS's
//!     `close()` waits for open calls to finish before its goodbye; [`Endpoint::goodbye`]
//!     sends at once, so finish streams first.

#[allow(unused_imports)] // for the intra-doc links
use crate::{
    Body, CallError, Config, DEFAULT_MAX_BODY_LEN, DecodeError, Endpoint, Event, Item, RemoteError,
    Request, Stats, encode_packet, parse_json, utf8_lossy,
};
