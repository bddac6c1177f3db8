//! What the commands that take messages from peers or files share: the wall clock, receive
//! times that always increase, and which validation errors mean "the sender sent an invalid
//! message".

use std::time::{SystemTime, UNIX_EPOCH};

use ssb_feed::FeedError;

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Receive times (ms since the epoch, as ssb-db gives its KVTs' `timestamp`): the wall clock,
/// but always at least 1 ms after the last one given, so that they order messages.
#[derive(Debug, Default)]
pub(crate) struct ReceiveClock {
    last: f64,
}

impl ReceiveClock {
    /// The next receive time.
    pub(crate) fn next(&mut self) -> f64 {
        self.last = (now_ms() as f64).max(self.last + 1.0);
        self.last
    }
}

/// The error code to name when `e` means the message itself is invalid (a bad signature, a
/// fork, not JSON, …): the sender is then blamed, and over EBT the feed is blocked from it.
/// `None` for errors that only say the message is not the next one (a duplicate, a gap).
pub(crate) fn refusal_code(e: &FeedError) -> Option<&'static str> {
    if matches!(e, FeedError::Json(_)) {
        Some("invalid_json")
    } else if e.is_fatal() {
        Some(e.code())
    } else {
        None
    }
}
