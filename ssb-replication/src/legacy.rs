//! Starting an EBT session, and falling back to `createHistoryStream` when the peer has no
//! EBT.
//!
//! `ssb-ebt` 9 has no fallback of its own (it only logs, `ssb-ebt/index.js:190-202`); the
//! old `ssb-replicate` plugin pulled each feed with `createHistoryStream`. These pure
//! functions give what such a fallback needs: the arguments of the calls and a test of the
//! error a peer without EBT answers with.
//!
//! ```
//! use ssb_replication::legacy::{self, Unsupported};
//!
//! assert_eq!(legacy::REPLICATE_METHOD, ["ebt", "replicate"]);
//! assert_eq!(legacy::replicate_args().to_string(), r#"{"version":3,"format":"classic"}"#);
//!
//! assert_eq!(
//!     legacy::ebt_unsupported("method:ebt,replicate is not in list of allowed methods"),
//!     Some(Unsupported::NotAllowed)
//! );
//! assert_eq!(legacy::ebt_unsupported("no duplex:ebt,replicate"), Some(Unsupported::NoSuchMethod));
//! assert_eq!(legacy::ebt_unsupported("reconnected to peer"), None);
//!
//! // We have messages 1..=4 of the feed: ask for 5 onwards, then stay live.
//! let args = legacy::history_stream_args("@FCX/tsDLpubCPKKfIrw4gc+SQkHcaD17s7GI6i/ziWY=.ed25519", 5, true, false);
//! assert_eq!(args["seq"], 5);
//! assert_eq!(args["sequence"], 5);
//! ```

use serde_json::{Value, json};

/// The duplex method that starts a classic EBT session (`ssb-ebt` calls `replicate` for
/// the classic format, `replicateFormat` for the others).
pub const REPLICATE_METHOD: [&str; 2] = ["ebt", "replicate"];

/// The source method of the legacy fallback (`ssb-db`'s `createHistoryStream`).
pub const HISTORY_STREAM_METHOD: [&str; 1] = ["createHistoryStream"];

/// The one argument of `ebt.replicate`: `{version: 3, format: "classic"}`
/// (`ssb-ebt/index.js:180`). A JS server refuses any other version with
/// `expected ebt.replicate({version: 3})`.
pub fn replicate_args() -> Value {
    json!({"version": 3, "format": "classic"})
}

/// How a peer said it has no `ebt.replicate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unsupported {
    /// A JS peer's permissions refused it: `method:ebt,replicate is not in list of allowed
    /// methods` (muxrpc 8 `permissions.js`; what a JS peer without ssb-ebt answers an
    /// anonymous caller). `ssb-ebt` recognises this text.
    NotAllowed,
    /// A JS peer that lets us call anything has no such method: `no duplex:ebt,replicate`
    /// (muxrpc 8 `local-api.js`, the path joined with a comma). `ssb-ebt` does not recognise
    /// it; we do.
    NoSuchMethod,
    /// A Go peer (go-muxrpc): `muxrpc: no such command: ebt.replicate`. `ssb-ebt`
    /// recognises this text.
    GoNoSuchCommand,
    /// A JS peer's deny list: `method:ebt,replicate is on list of disallowed methods`
    /// (muxrpc 8 `permissions.js`). Not recognised by `ssb-ebt`; the peer will not do EBT
    /// with us, so a fallback is what is left.
    Denied,
}

/// Whether the error `message` a peer ended our `ebt.replicate` call with means it has no
/// EBT (compare exactly, as `ssb-ebt`'s `isMuxrpcMissingError` does). Anything else
/// (`reconnected to peer`, network errors) is not a reason to fall back.
pub fn ebt_unsupported(message: &str) -> Option<Unsupported> {
    match message {
        "method:ebt,replicate is not in list of allowed methods" => Some(Unsupported::NotAllowed),
        "no duplex:ebt,replicate" => Some(Unsupported::NoSuchMethod),
        "muxrpc: no such command: ebt.replicate" => Some(Unsupported::GoNoSuchCommand),
        "method:ebt,replicate is on list of disallowed methods" => Some(Unsupported::Denied),
        _ => None,
    }
}

/// The argument of a `createHistoryStream` call for `feed` from sequence `from`
/// (inclusive): `{id, seq, sequence, live, keys}`.
///
/// `seq` and `sequence` are both set (to the same value) because servers read either:
/// `ssb-db` 20 takes `opts.sequence || opts.seq` as the first sequence to send (inclusive,
/// `gte`), go-ssb takes `seq`. With `keys: false` the stream carries bare message values,
/// as EBT does; `live: true` keeps it open for new messages.
pub fn history_stream_args(feed: &str, from: u64, live: bool, keys: bool) -> Value {
    json!({"id": feed, "seq": from, "sequence": from, "live": live, "keys": keys})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_the_ones_muxrpc_sends() {
        // ssb-muxrpc builds JS's texts for a peer without the method; recognise exactly those.
        use ssb_muxrpc::{CallType, RemoteError};
        let name = ["ebt".to_string(), "replicate".to_string()];
        let no_such = RemoteError::no_such_method(CallType::Duplex, &name);
        assert_eq!(
            ebt_unsupported(&no_such.message),
            Some(Unsupported::NoSuchMethod)
        );
        let refused = RemoteError::not_allowed(&name);
        assert_eq!(
            ebt_unsupported(&refused.message),
            Some(Unsupported::NotAllowed)
        );
        let denied = RemoteError::disallowed(&name);
        assert_eq!(ebt_unsupported(&denied.message), Some(Unsupported::Denied));
        assert_eq!(ebt_unsupported("no duplex:ebt.replicate"), None);
        assert_eq!(ebt_unsupported("reconnected to peer"), None);
    }

    #[test]
    fn history_stream_args_fields() {
        assert_eq!(
            history_stream_args("@a", 1, false, true),
            json!({"id": "@a", "seq": 1, "sequence": 1, "live": false, "keys": true})
        );
        assert_eq!(replicate_args()["version"], 3);
    }
}
