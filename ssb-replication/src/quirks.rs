//! The JavaScript behaviours this crate reproduces, and where it deliberately does
//! something safer.
//!
//! References are to `epidemic-broadcast-trees` 9.0.4 (`ebt/…`) and `ssb-ebt` 9.1.2
//! (`ssb-ebt/…`), as pinned in `test-vectors/js/package-lock.json`; `docs/EBT-NOTES.md` §12
//! explains each one. *Vector* names the differential vectors that prove the JS behaviour
//! (`test-vectors/vectors/ebt/`); *Policy* marks a choice of ours where JS is hazardous,
//! which no JS-made vector can prove.
//!
//! # Reproduced
//!
//! 1. **Pending notes count as replicating** (`ebt/events.js:35`). "Is another peer already
//!    sending us this feed?" is true for any other peer that has notes waiting to be written
//!    unless those notes mark *that peer's own feed* odd, and for a peer that has `rx` on
//!    the feed while its own feed's `sent` is not `-1`. So whether a new feed is requested
//!    from a peer depends on whether other peers' notes were written yet: the engine never
//!    writes by itself ([`Engine::poll_transmit`](crate::Engine::poll_transmit) is yours to
//!    call). *Vector* `unit/quirk/pending-notes-count-as-replicating`,
//!    `unit/multiple/one-source-per-feed`.
//! 2. **A message crossing a read stops a transmission** (`ebt/events.js:239-247`). If the
//!    peer we send feed F to receives F's next message from elsewhere and tells us so
//!    while our read of it is under way, the read's result no longer matches and nothing
//!    re-queues F; later appends neither send nor note. *Vector*
//!    `unit/quirk/crossing-message-stops-tx`, `many-peers/live-stall-stuck/eager/*`.
//! 3. **`NaN` peer clocks** (`ebt/events.js:309`): a message for a feed the peer's clock
//!    has no entry for makes the entry `NaN` (`Math.max(undefined, n)`), which then sticks
//!    ([`JsSeq::Number`](crate::JsSeq)`(NaN)`) until the peer claims `-1` or `0`, and is
//!    stored as such (`null` in the JSON file). *Vector* `two-peers/fork/random/bob`,
//!    `three-peers/three/random/*`.
//! 4. **An unfollow sends nothing** (`ebt/events.js:212`): by the time the loop runs the feed
//!    is no longer "shared". *Vector* `unit/index/unfollow`.
//! 5. **Negative even notes ask to receive** (`-2`: sequence -1, receive), and the next read
//!    is for sequence 0, which no database holds ([`ReadRequest::sequence_u64`](crate::ReadRequest::sequence_u64)
//!    is `None`). *Vector* `notes/value/minus-two`.
//! 6. **Sequences from 2^30 on wrap** in both directions (32-bit `<<` and `>>`). *Vector*
//!    `notes/value/*`, `notes/local-seq/*`.
//! 7. **A timeout may ask a peer that is behind, blocked or not sharing** (`ebt/events.js:438`):
//!    the feed goes to the next peer in connection order with any claim on it. *Vector*
//!    `timeout/*`.
//! 8. **One received message goes to validation per drain** (`ebt/index.js:95`).
//! 9. **A blocked peer's session ends only at its next write** (`ebt/stream.js:95`); until
//!    then what it sends is still processed. *Vector* `unit/block/own-block-ends-stream`.
//! 10. **Notes that are not objects** iterate as JS iterates them: a string's UTF-16 units,
//!     an array's elements, nothing for a number or boolean; `null` is an error
//!     ([`NotesError::Null`](crate::NotesError::Null)). An object whose `clock` is an object
//!     stands for it. *Vector* `notes/shape/*`.
//! 11. **Keys that are not feeds** in a peer's notes are answered `-1` once and remembered,
//!     and the peer's claim on them is kept, as JS does. *Vector* `unit/adapter/message-or-notes`,
//!     `notes/shape/non-object-notes`.
//! 12. **`ssb-ebt`'s lenient feed ids** (`ssb-ref`'s `isFeedId`: a `.sha256` suffix, any
//!     character for the dot) are feeds; other ids are ignored by `follow`, `block`, the
//!     clocks and `on_append`. *Vector* `unit/adapter/lenient-feed-ids`, `unit/adapter/non-feed-ids`.
//!
//! # Policies
//!
//! 1. **Inherited property names are plain keys.** JS looks feed ids up in plain objects, so
//!    a peer's note for `__proto__`, `constructor` or `toString` finds `Object.prototype`
//!    members, reads as followed and writes onto shared prototype objects. Here such keys are
//!    strings like any other key that is not a followed feed (answered `-1`).
//! 2. **Bounded per-peer entries.** JS records every key a peer mentions. We record at most
//!    [`Config::max_unfollowed_per_peer`](crate::Config::max_unfollowed_per_peer) keys we do
//!    not follow per peer (beyond one per followed feed); later ones are neither recorded nor
//!    answered ([`Stats::note_entries_dropped`](crate::Stats::note_entries_dropped)). A notes
//!    object of more than [`MAX_NOTES_ENTRIES`](crate::MAX_NOTES_ENTRIES) entries is refused
//!    whole.
//! 3. **No duplicate reads.** JS's `notes()` queues a feed's next read again even when it is
//!    queued already; the second read can only be dropped. We queue it once per peer.
//! 4. **Backpressure.** JS queues messages for a peer without limit. Here, once
//!    [`Config::max_queued_messages`](crate::Config::max_queued_messages) wait, reads for that
//!    peer wait and a live message that would be queued is read again later instead; the
//!    peer gets the same messages in the same order. Received messages beyond
//!    [`Config::max_pending_validations`](crate::Config::max_pending_validations) are dropped
//!    and counted.
//! 5. **Sequences beyond 2^53 − 1** ([`MAX_SEQUENCE`](crate::MAX_SEQUENCE)) are not
//!    taken: a message with such a sequence is dropped before it moves any claim
//!    ([`Incoming::OutOfRange`](crate::Incoming::OutOfRange)); JS would raise the peer's claim
//!    to it and ask to validate it, which always fails.
//! 6. **Keys with unpaired surrogates** in received notes are dropped
//!    ([`Notes::skipped`](crate::Notes::skipped)): they cannot be feeds, and JS would echo
//!    them back in its `-1` answer.
//! 7. **A note value that is an object** has the receive bit of `"[object Object]"` (NaN:
//!    receive). JS throws a `TypeError` midway through the notes when such an object's own
//!    `toString` and `valueOf` are both non-functions (`{"toString": 1}`), leaving the
//!    entries before it applied.
//! 8. **No `pause`.** `index.js`'s `pause()` calls a function `events.js` does not have (it
//!    throws); there is no pause here.
