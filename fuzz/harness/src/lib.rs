//! The bodies of the `cargo fuzz` targets in `fuzz/fuzz_targets/`, one function per target.
//!
//! They live here, on stable, so that the same code runs in two places: each nightly fuzz
//! binary is a one-line call into this crate, and `cargo test` (this crate's
//! `tests/regressions.rs`) replays every input checked in under `fuzz/regressions/<target>/`
//! through it, so an input that once broke something stays fixed without nightly.
//!
//! Every function takes arbitrary bytes and panics only when a property of the code under
//! test is violated (that panic is the fuzzer's finding). The list of targets, their limits
//! and their long runs is in `SECURITY.md`.
//!
//! ```
//! // Any input at all is fine; a panic would be a bug in the crates under test.
//! for target in ssb_fuzz_harness::TARGETS {
//!     (target.run)(b"\x05{\"a\":[1,2,3]}");
//! }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod boxstream;
mod connection;
mod crypto;
mod ebt;
mod feed;
mod feed_batch;
mod feed_kvt;
mod feed_reader;
mod handshake;
mod legacy_json;
mod muxrpc_decode;
mod muxrpc_endpoint;
mod private_box;

pub use boxstream::boxstream_open;
pub use connection::connection_open;
pub use crypto::crypto_parsers;
pub use ebt::{ebt_engine, ebt_notes};
pub use feed::feed_validate;
pub use feed_batch::feed_batch;
pub use feed_kvt::feed_kvt;
pub use feed_reader::feed_reader;
pub use handshake::{handshake_input, handshake_pair};
pub use legacy_json::legacy_json;
pub use muxrpc_decode::muxrpc_decode;
pub use muxrpc_endpoint::muxrpc_endpoint;
pub use private_box::{private_box_open, private_box_recipient};

/// A fuzz target: its name (the `fuzz/fuzz_targets/<name>.rs` binary and the
/// `fuzz/regressions/<name>/` folder) and its body.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// The cargo-fuzz target name.
    pub name: &'static str,
    /// The body: arbitrary bytes in, a panic only on a bug.
    pub run: fn(&[u8]),
}

/// Every target, in the order `SECURITY.md` lists them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "crypto_parsers",
        run: crypto_parsers,
    },
    Target {
        name: "legacy_json",
        run: legacy_json,
    },
    Target {
        name: "feed_validate",
        run: feed_validate,
    },
    Target {
        name: "feed_batch",
        run: feed_batch,
    },
    Target {
        name: "feed_kvt",
        run: feed_kvt,
    },
    Target {
        name: "feed_reader",
        run: feed_reader,
    },
    Target {
        name: "boxstream_open",
        run: boxstream_open,
    },
    Target {
        name: "handshake_input",
        run: handshake_input,
    },
    Target {
        name: "handshake_pair",
        run: handshake_pair,
    },
    Target {
        name: "muxrpc_decode",
        run: muxrpc_decode,
    },
    Target {
        name: "muxrpc_endpoint",
        run: muxrpc_endpoint,
    },
    Target {
        name: "private_box_open",
        run: private_box_open,
    },
    Target {
        name: "private_box_recipient",
        run: private_box_recipient,
    },
    Target {
        name: "connection_open",
        run: connection_open,
    },
    Target {
        name: "ebt_notes",
        run: ebt_notes,
    },
    Target {
        name: "ebt_engine",
        run: ebt_engine,
    },
];
