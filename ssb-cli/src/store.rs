//! The feed store: validated classic feeds in an embedded database (redb), for `ssb import`,
//! `ssb export` and `ssb serve --store`.
//!
//! # What it promises
//!
//! * **Whole batches or nothing.** [`FeedStore::append`] writes a batch of validated messages
//!   in one ACID transaction: a crash (a SIGKILL, or power loss mid-commit) leaves the store
//!   as it was before the batch or after it, never a torn message or a gap.
//! * **No gap, no duplicate.** A message is stored only right after its predecessor:
//!   `append` itself refuses a message whose sequence is not its feed's latest plus one,
//!   whatever the caller validated. That `previous` is the latest's id (no fork) is for
//!   the caller to have validated, with `ssb-feed` resumed from [`FeedStore::latest`]
//!   (JS compares it loosely: an array holding the id passes).
//! * **Bytes as received.** Each message's value is kept as the exact bytes it arrived in
//!   (never re-serialized), with its id; `append` refuses bytes that do not parse to the
//!   validated message. What goes out to peers and to `ssb export` is `JSON.stringify(value)`,
//!   as a JS peer sends it: the stored bytes themselves when they are in that form (every
//!   message that came from a JS peer or a JS export), else that form computed from them
//!   with `ssb-legacy-json` (JS's own parse and stringify: same signing text, same id).
//! * **Resumable validation.** The latest message of each feed is kept as an
//!   [`ssb_feed::FeedState`] (`{id, sequence, timestamp}`, what `ssb-validate` keeps per
//!   author), so a [`ssb_feed::Validator`] resumes where the store ends.
//! * **Bounded memory.** Feeds are read as streams ([`FeedStore::read_feed`]); the page cache
//!   is at most [`CACHE_BYTES`].
//!
//! # Files and schema
//!
//! A store is a directory (default `~/.ssb/ssb-rs`, beside and apart from JS's own files in
//! `~/.ssb`) holding one redb file, [`DB_FILE`]. Its tables (integers big-endian, so that
//! keys sort in sequence order):
//!
//! | table | key | value |
//! |---|---|---|
//! | `meta` | `"format"` / `"sign_cap"` | `[FORMAT]` / the network's HMAC key (32 bytes), or empty for the main network |
//! | `messages` | author key (32) ‖ sequence (u64) | record: format (1), flags (1), id hash (32), receive timestamp (f64 bits, 8), value bytes as received |
//! | `ids` | message id hash (32) | its `messages` key (40) |
//! | `id_runs` | run number (u64) | the ids of one large batch not merged into `ids` yet: entries of id hash (32) ‖ `messages` key (40), sorted by hash ([`MIN_ID_RUN`], [`MAX_ID_RUNS`]) |
//! | `feeds` | author key (32) | latest: sequence (u64), id hash (32), claimed timestamp (f64 bits) |
//! | `peer_clocks` | peer key (32) | the peer's EBT clock at the end of its last session, as JSON (`ssb-ebt`'s `ebt/<peer>` file: feed id → sequence) |
//!
//! `peer_clocks` is written by `ssb serve --store` only; a store made before it existed gets
//! the table at its next writable open (the format is still [`FORMAT`]), and reading a store
//! without it finds no clock.
//!
//! Record flag bit 0 ([`FLAG_CANONICAL`]): the bytes are exactly `JSON.stringify(value)`.
//!
//! # Processes
//!
//! One process writes at a time ([`FeedStore::open`] takes the file's exclusive lock); any
//! number may read at once ([`FeedStore::open_read`], a shared lock), but not while one
//! writes: the other gets [`StoreError::InUse`]. Write commits use redb's quick repair, so a
//! store left by a crashed writer opens at once (read-only opens repair it first).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::thread::JoinHandle;

use redb::{
    Database, ReadOnlyDatabase, ReadOnlyTable, ReadableDatabase, ReadableTable,
    ReadableTableMetadata, TableDefinition,
};
use ssb_crypto::{FeedId, MsgId, PublicKey};
use ssb_feed::{FeedState, Message, SignCap};
use ssb_legacy_json::Value;

/// The database file inside a store directory.
pub(crate) const DB_FILE: &str = "feeds.redb";
/// The layout version of the tables and records, kept in `meta` and in every record.
pub(crate) const FORMAT: u8 = 1;
/// redb's page cache (reads and writes together): what a store may hold in memory beyond
/// the messages being read or written.
pub(crate) const CACHE_BYTES: usize = 32 * 1024 * 1024;
/// The largest value a record holds: the largest item `ssb-feed`'s reader hands on.
pub(crate) const MAX_VALUE_BYTES: usize = ssb_feed::MAX_ITEM_BYTES;
/// Record flag: the value bytes are exactly `JSON.stringify(value)`.
pub(crate) const FLAG_CANONICAL: u8 = 1;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const MESSAGES: TableDefinition<&[u8; 40], &[u8]> = TableDefinition::new("messages");
const IDS: TableDefinition<&[u8; 32], &[u8; 40]> = TableDefinition::new("ids");
const FEEDS: TableDefinition<&[u8; 32], &[u8; 48]> = TableDefinition::new("feeds");
const PEER_CLOCKS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("peer_clocks");
const ID_RUNS: TableDefinition<u64, &[u8]> = TableDefinition::new("id_runs");

/// Bytes of one entry of an id run: the id's hash (32) and its `messages` key (40).
const ID_ENTRY: usize = 32 + 40;
/// A batch with at least this many messages writes its ids as one sorted run (`id_runs`)
/// instead of inserting them into `ids` one by one: random keys make every insert touch
/// another page of `ids`, and every page touched is rewritten at the commit.
pub(crate) const MIN_ID_RUN: usize = 256;
/// At most this many runs wait in `id_runs`; the commit that would add one more merges them
/// all (and its own) into `ids` in one pass, so each page of `ids` is rewritten once per
/// `MAX_ID_RUNS` batches instead of once per batch. A lookup by id reads `ids`, then each
/// run (newest first, a binary search in it).
pub(crate) const MAX_ID_RUNS: u64 = 8;

/// The largest stored peer clock read back (JSON bytes): far above what an engine writes
/// for the feeds it follows plus its allowance of others (`ssb-replication`'s defaults:
/// about 4 100 entries of at most ~70 bytes).
pub(crate) const MAX_PEER_CLOCK_BYTES: usize = 16 * 1024 * 1024;

/// Bytes of a record before the value.
const RECORD_HEAD: usize = 1 + 1 + 32 + 8;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum StoreError {
    /// The store directory could not be created.
    #[error("cannot create the store {path}: {source}")]
    Create {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A read-only open found no store.
    #[error("no store at {0} (`ssb import` creates one)")]
    Missing(PathBuf),
    /// Another process has the store open for writing (or, for a writer, at all).
    #[error("the store {0} is in use by another process")]
    InUse(PathBuf),
    /// The database failed (I/O, corruption).
    #[error("the store {path}: {source}")]
    Db {
        /// The database file.
        path: PathBuf,
        /// redb's error.
        source: Box<redb::Error>,
    },
    /// The store was written by a newer (or older, incompatible) layout.
    #[error("the store {path} has format {found}; this ssb reads format {FORMAT}")]
    Format {
        /// The database file.
        path: PathBuf,
        /// The format found.
        found: String,
    },
    /// The store holds messages of another network (HMAC signing key).
    #[error("the store holds messages of {stored}, not of {given} (give the same --hmac-key)")]
    OtherNetwork {
        /// The store's network.
        stored: String,
        /// The one asked for.
        given: String,
    },
    /// A network whose HMAC key is not valid cannot have a store (JS refuses every message).
    #[error("an invalid HMAC key has no store")]
    InvalidCap,
    /// A record or feed entry is not in the layout this code writes.
    #[error("the store {path} is corrupt: {what}")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What was wrong.
        what: String,
    },
    /// A message appended is not the next of its feed (a gap, a fork or a duplicate).
    #[error("{author} sequence {sequence} is not the next message after the stored {latest}")]
    NotNext {
        /// The feed.
        author: FeedId,
        /// The message's sequence.
        sequence: i64,
        /// The feed's latest stored sequence (0: none).
        latest: u64,
    },
    /// The value bytes given with a message do not parse to it.
    #[error("the bytes given for {0} are not that message")]
    BytesMismatch(MsgId),
    /// The value bytes are longer than [`MAX_VALUE_BYTES`].
    #[error("the value of {0} is longer than {MAX_VALUE_BYTES} bytes")]
    TooLarge(MsgId),
    /// The [`Writer`]'s thread could not be started, or it stopped.
    #[error("the store's writer thread: {0}")]
    Writer(String),
}

/// A message to append: validated by `ssb-feed`, with the bytes of its value as received.
pub(crate) struct NewMessage<'a> {
    /// The validated message.
    pub(crate) message: &'a Message,
    /// Its value exactly as it arrived (must parse to `message`'s value).
    pub(crate) bytes: &'a [u8],
    /// When it was received (ms since the epoch): the `timestamp` of its KVT.
    pub(crate) received: f64,
}

/// Batches handed to a [`Writer`] that may wait while it commits one: memory stays within
/// `(WRITER_QUEUE + 1)` batches.
pub(crate) const WRITER_QUEUE: usize = 1;

/// Appends batches on a thread of its own, so that the caller validates the next batch
/// while a transaction commits. Batches are appended in the order given, each in one
/// transaction ([`FeedStore::append`]); after the first failure nothing more is written and
/// every later call returns that failure.
pub(crate) struct Writer {
    tx: Option<SyncSender<Vec<Prepared>>>,
    done: Receiver<Result<u64, StoreError>>,
    thread: Option<JoinHandle<()>>,
    /// Batches handed over and not yet reported.
    in_flight: usize,
    /// Messages stored (reported) so far.
    stored: u64,
    /// The failure that stopped it, once reported (as text: the error was taken).
    failed: Option<String>,
}

impl Writer {
    /// Starts the writer thread for `store`.
    pub(crate) fn spawn(store: Arc<FeedStore>) -> Result<Self, StoreError> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Prepared>>(WRITER_QUEUE);
        let (done_tx, done) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("store writer".into())
            .spawn(move || {
                for batch in rx {
                    let r = store.append_prepared(&batch).map(|()| batch.len() as u64);
                    let failed = r.is_err();
                    if done_tx.send(r).is_err() || failed {
                        return;
                    }
                }
            })
            .map_err(|e| StoreError::Writer(e.to_string()))?;
        Ok(Self {
            tx: Some(tx),
            done,
            thread: Some(thread),
            in_flight: 0,
            stored: 0,
            failed: None,
        })
    }

    fn take_report(&mut self, r: Result<Result<u64, StoreError>, ()>) -> Result<(), StoreError> {
        self.in_flight = self.in_flight.saturating_sub(1);
        match r {
            Ok(Ok(n)) => {
                self.stored += n;
                Ok(())
            }
            Ok(Err(e)) => {
                self.failed = Some(e.to_string());
                self.tx = None;
                Err(e)
            }
            Err(()) => Err(self.stopped()),
        }
    }

    fn stopped(&mut self) -> StoreError {
        let why = self
            .failed
            .get_or_insert_with(|| "it stopped".to_owned())
            .clone();
        self.tx = None;
        StoreError::Writer(why)
    }

    /// Takes the reports of finished batches without waiting.
    fn collect(&mut self) -> Result<(), StoreError> {
        while self.in_flight > 0 {
            match self.done.try_recv() {
                Ok(r) => self.take_report(Ok(r))?,
                Err(TryRecvError::Empty) => return Ok(()),
                Err(TryRecvError::Disconnected) => return self.take_report(Err(())),
            }
        }
        Ok(())
    }

    /// Hands `batch` over (waiting while [`WRITER_QUEUE`] batches already wait).
    pub(crate) fn submit(&mut self, batch: Vec<Prepared>) -> Result<(), StoreError> {
        self.collect()?;
        if batch.is_empty() {
            return Ok(());
        }
        let Some(tx) = &self.tx else {
            return Err(self.stopped());
        };
        if tx.send(batch).is_err() {
            // The thread stopped: its report says why.
            let r = self.done.recv().map_err(|_| ());
            self.in_flight += 1;
            self.take_report(r)?;
            return Err(self.stopped());
        }
        self.in_flight += 1;
        Ok(())
    }

    /// Hands `batch` over and waits until it and every batch before it is stored; the
    /// count stored so far.
    pub(crate) fn sync(&mut self, batch: Vec<Prepared>) -> Result<u64, StoreError> {
        self.submit(batch)?;
        while self.in_flight > 0 {
            let r = self.done.recv().map_err(|_| ());
            self.take_report(r)?;
        }
        if let Some(why) = &self.failed {
            return Err(StoreError::Writer(why.clone()));
        }
        Ok(self.stored)
    }
}

impl Drop for Writer {
    /// Lets the thread finish what it was handed (a batch is never cut short).
    fn drop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One stored message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredMessage {
    /// Its id.
    pub(crate) id: MsgId,
    /// Its author.
    pub(crate) author: FeedId,
    /// Its sequence.
    pub(crate) sequence: u64,
    /// When it was received (ms since the epoch).
    pub(crate) received: f64,
    /// Whether `bytes` are exactly `JSON.stringify(value)`.
    pub(crate) canonical: bool,
    /// The value exactly as received.
    pub(crate) bytes: Vec<u8>,
}

impl StoredMessage {
    /// `JSON.stringify(value)`: what a JS peer sends (the stored bytes when canonical).
    pub(crate) fn value_json(&self) -> String {
        if self.canonical
            && let Ok(s) = std::str::from_utf8(&self.bytes)
        {
            return s.to_owned();
        }
        // Checked when stored: the bytes parse (a corrupt record gives `null`, never a panic).
        ssb_legacy_json::parse(&self.bytes)
            .map_or_else(|_| "null".to_owned(), |v| v.to_compact_string())
    }

    /// `JSON.stringify({key, value, timestamp})`, as ssb-db sends a KVT.
    pub(crate) fn kvt_json(&self) -> String {
        kvt_json(&self.id, &self.value_json(), self.received)
    }
}

/// `{"key":…,"value":…,"timestamp":…}` from the key, the value's JSON and the timestamp.
pub(crate) fn kvt_json(id: &MsgId, value_json: &str, received: f64) -> String {
    let (head, tail) = (kvt_head(id), kvt_tail(received));
    let mut s = String::with_capacity(head.len() + value_json.len() + tail.len());
    s.push_str(&head);
    s.push_str(value_json);
    s.push_str(&tail);
    s
}

/// What comes before the value in a KVT: `{"key":"%….sha256","value":`.
pub(crate) fn kvt_head(id: &MsgId) -> String {
    format!("{{\"key\":\"{id}\",\"value\":")
}

/// What comes after the value in a KVT: `,"timestamp":N}` (N as JS writes the number).
pub(crate) fn kvt_tail(received: f64) -> String {
    format!(
        ",\"timestamp\":{}}}",
        Value::Number(received).to_compact_string()
    )
}

/// The database, opened for writing or for reading only.
enum Db {
    Write(Database),
    Read(ReadOnlyDatabase),
}

/// A feed store (see the [module docs](self)).
pub(crate) struct FeedStore {
    db: Db,
    path: PathBuf,
}

/// `~/.ssb/ssb-rs`, or `None` without `HOME`.
pub(crate) fn default_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".ssb").join("ssb-rs"))
}

fn message_key(author: &FeedId, sequence: u64) -> [u8; 40] {
    let mut k = [0u8; 40];
    let (a, s) = k.split_at_mut(32);
    a.copy_from_slice(&author.to_bytes());
    s.copy_from_slice(&sequence.to_be_bytes());
    k
}

fn split_key(k: &[u8; 40]) -> (FeedId, u64) {
    let (a, s) = k.split_at(32);
    let mut author = [0u8; 32];
    author.copy_from_slice(a);
    let mut seq = [0u8; 8];
    seq.copy_from_slice(s);
    (FeedId::from(PublicKey(author)), u64::from_be_bytes(seq))
}

fn encode_state(s: &FeedState) -> [u8; 48] {
    let mut out = [0u8; 48];
    let (seq, rest) = out.split_at_mut(8);
    let (id, ts) = rest.split_at_mut(32);
    seq.copy_from_slice(&u64::try_from(s.sequence).unwrap_or(0).to_be_bytes());
    id.copy_from_slice(&s.id.to_bytes());
    ts.copy_from_slice(&s.timestamp.to_bits().to_be_bytes());
    out
}

fn decode_state(b: &[u8; 48]) -> Option<FeedState> {
    let seq = u64::from_be_bytes(b.get(..8)?.try_into().ok()?);
    let id: [u8; 32] = b.get(8..40)?.try_into().ok()?;
    let ts = u64::from_be_bytes(b.get(40..48)?.try_into().ok()?);
    Some(FeedState {
        id: MsgId(id),
        sequence: i64::try_from(seq).ok()?,
        timestamp: f64::from_bits(ts),
    })
}

fn encode_record(id: &MsgId, received: f64, canonical: bool, bytes: &[u8]) -> Vec<u8> {
    let mut r = Vec::with_capacity(RECORD_HEAD + bytes.len());
    r.push(FORMAT);
    r.push(if canonical { FLAG_CANONICAL } else { 0 });
    r.extend_from_slice(&id.to_bytes());
    r.extend_from_slice(&received.to_bits().to_be_bytes());
    r.extend_from_slice(bytes);
    r
}

fn decode_record(author: FeedId, sequence: u64, r: &[u8]) -> Option<StoredMessage> {
    let (&format, rest) = r.split_first()?;
    let (&flags, rest) = rest.split_first()?;
    if format != FORMAT {
        return None;
    }
    let (id, rest) = rest.split_at_checked(32)?;
    let (ts, bytes) = rest.split_at_checked(8)?;
    Some(StoredMessage {
        id: MsgId(id.try_into().ok()?),
        author,
        sequence,
        received: f64::from_bits(u64::from_be_bytes(ts.try_into().ok()?)),
        canonical: flags & FLAG_CANONICAL != 0,
        bytes: bytes.to_vec(),
    })
}

/// How `meta` names a network.
fn cap_bytes(cap: &SignCap) -> Result<Vec<u8>, StoreError> {
    match cap {
        SignCap::None => Ok(Vec::new()),
        SignCap::Hmac(k) => Ok(k.as_bytes().to_vec()),
        SignCap::InvalidKey => Err(StoreError::InvalidCap),
    }
}

fn cap_name(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "the main network (no HMAC key)".into()
    } else {
        format!(
            "the network with HMAC key {}",
            ssb_crypto::base64::encode(bytes)
        )
    }
}

/// Whether `bytes` parse to the value whose `JSON.stringify` is `compact`.
pub(crate) fn bytes_match(bytes: &[u8], compact: &str) -> bool {
    bytes == compact.as_bytes()
        || ssb_legacy_json::parse(bytes).is_ok_and(|v| v.to_compact_string() == compact)
}

impl FeedStore {
    /// Opens (creating it if needed) the store in `dir` for writing, for messages of the
    /// network `cap`. Fails with [`StoreError::InUse`] while any other process has it open.
    pub(crate) fn open(dir: &Path, cap: &SignCap) -> Result<Self, StoreError> {
        let want = cap_bytes(cap)?;
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Create {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join(DB_FILE);
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(&path)
            .map_err(|e| match e {
                redb::DatabaseError::DatabaseAlreadyOpen => StoreError::InUse(dir.to_owned()),
                e => db_error(&path, e),
            })?;
        let store = Self {
            db: Db::Write(db),
            path,
        };
        store.init(&want)?;
        Ok(store)
    }

    /// Opens the store in `dir` for reading only (shared with other readers). Fails with
    /// [`StoreError::Missing`] if there is none, [`StoreError::InUse`] while a writer has it.
    /// A store left by a crashed writer is repaired first (a short exclusive open).
    pub(crate) fn open_read(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(DB_FILE);
        if !path.is_file() {
            return Err(StoreError::Missing(dir.to_owned()));
        }
        let builder = {
            let mut b = redb::Builder::new();
            b.set_cache_size(CACHE_BYTES);
            b
        };
        let in_use = |e: redb::DatabaseError| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::InUse(dir.to_owned()),
            e => db_error(&path, e),
        };
        let db = match builder.open_read_only(&path) {
            Err(redb::DatabaseError::RepairAborted) => {
                // Not closed cleanly: a writable open repairs it; then read-only again.
                drop(builder.open(&path).map_err(in_use)?);
                builder.open_read_only(&path).map_err(in_use)?
            }
            r => r.map_err(in_use)?,
        };
        let store = Self {
            db: Db::Read(db),
            path,
        };
        store.check_format()?;
        Ok(store)
    }

    fn err(&self, e: impl Into<redb::Error>) -> StoreError {
        db_error(&self.path, e)
    }

    fn corrupt(&self, what: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            what: what.into(),
        }
    }

    /// Creates the tables and records the format and network, or checks them.
    fn init(&self, cap: &[u8]) -> Result<(), StoreError> {
        let Db::Write(db) = &self.db else {
            return Ok(());
        };
        let mut txn = db.begin_write().map_err(|e| self.err(e))?;
        txn.set_quick_repair(true);
        {
            let mut meta = txn.open_table(META).map_err(|e| self.err(e))?;
            let format = meta
                .get("format")
                .map_err(|e| self.err(e))?
                .map(|g| g.value().to_vec());
            match format.as_deref() {
                None => {
                    meta.insert("format", &[FORMAT][..])
                        .map_err(|e| self.err(e))?;
                    meta.insert("sign_cap", cap).map_err(|e| self.err(e))?;
                }
                Some([FORMAT]) => {
                    let stored = meta
                        .get("sign_cap")
                        .map_err(|e| self.err(e))?
                        .map(|g| g.value().to_vec())
                        .ok_or_else(|| self.corrupt("no sign_cap in meta"))?;
                    if stored != cap {
                        return Err(StoreError::OtherNetwork {
                            stored: cap_name(&stored),
                            given: cap_name(cap),
                        });
                    }
                }
                Some(other) => {
                    return Err(StoreError::Format {
                        path: self.path.clone(),
                        found: format!("{other:?}"),
                    });
                }
            }
            txn.open_table(MESSAGES).map_err(|e| self.err(e))?;
            txn.open_table(IDS).map_err(|e| self.err(e))?;
            txn.open_table(FEEDS).map_err(|e| self.err(e))?;
            txn.open_table(PEER_CLOCKS).map_err(|e| self.err(e))?;
            txn.open_table(ID_RUNS).map_err(|e| self.err(e))?;
        }
        txn.commit().map_err(|e| self.err(e))
    }

    fn check_format(&self) -> Result<(), StoreError> {
        let meta = self.table(META)?;
        let format = meta
            .get("format")
            .map_err(|e| self.err(e))?
            .map(|g| g.value().to_vec());
        match format.as_deref() {
            Some([FORMAT]) => Ok(()),
            other => Err(StoreError::Format {
                path: self.path.clone(),
                found: format!("{other:?}"),
            }),
        }
    }

    fn table<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<ReadOnlyTable<K, V>, StoreError> {
        let txn = match &self.db {
            Db::Write(db) => db.begin_read(),
            Db::Read(db) => db.begin_read(),
        }
        .map_err(|e| self.err(e))?;
        txn.open_table(def).map_err(|e| self.err(e))
    }

    /// The latest stored message of `feed` as a validation state (`None`: no message).
    pub(crate) fn latest(&self, feed: &FeedId) -> Result<Option<FeedState>, StoreError> {
        let feeds = self.table(FEEDS)?;
        let Some(g) = feeds.get(&feed.to_bytes()).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        decode_state(g.value())
            .map(Some)
            .ok_or_else(|| self.corrupt(format!("feed entry of {feed}")))
    }

    /// Every stored feed with its latest state, in key order (memory grows with feeds): the
    /// clock a replication session starts from.
    pub(crate) fn feeds(&self) -> Result<Vec<(FeedId, FeedState)>, StoreError> {
        let feeds = self.table(FEEDS)?;
        let mut out = Vec::new();
        for entry in feeds.iter().map_err(|e| self.err(e))? {
            let (k, v) = entry.map_err(|e| self.err(e))?;
            let author = FeedId::from(PublicKey(*k.value()));
            let state = decode_state(v.value())
                .ok_or_else(|| self.corrupt(format!("feed entry of {author}")))?;
            out.push((author, state));
        }
        Ok(out)
    }

    /// The stored EBT clock of `peer` (its JSON: feed id → sequence), if any. A store
    /// without the `peer_clocks` table (made before it existed) has none.
    pub(crate) fn peer_clock(
        &self,
        peer: &FeedId,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let txn = match &self.db {
            Db::Write(db) => db.begin_read(),
            Db::Read(db) => db.begin_read(),
        }
        .map_err(|e| self.err(e))?;
        let table = match txn.open_table(PEER_CLOCKS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.err(e)),
        };
        let Some(g) = table.get(&peer.to_bytes()).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let bytes = g.value();
        if bytes.len() > MAX_PEER_CLOCK_BYTES {
            return Err(self.corrupt(format!("the clock of {peer} is too long")));
        }
        serde_json::from_slice(bytes)
            .map(Some)
            .map_err(|e| self.corrupt(format!("the clock of {peer}: {e}")))
    }

    /// Stores `clock` (JSON) as the EBT clock of `peer`, replacing the one stored.
    pub(crate) fn set_peer_clock(
        &self,
        peer: &FeedId,
        clock: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let Db::Write(db) = &self.db else {
            return Err(self.read_only());
        };
        let bytes = serde_json::to_vec(clock)
            .map_err(|e| self.corrupt(format!("the clock of {peer}: {e}")))?;
        if bytes.len() > MAX_PEER_CLOCK_BYTES {
            return Err(self.corrupt(format!("the clock of {peer} is too long")));
        }
        let mut txn = db.begin_write().map_err(|e| self.err(e))?;
        txn.set_quick_repair(true);
        {
            let mut table = txn.open_table(PEER_CLOCKS).map_err(|e| self.err(e))?;
            table
                .insert(&peer.to_bytes(), bytes.as_slice())
                .map_err(|e| self.err(e))?;
        }
        txn.commit().map_err(|e| self.err(e))
    }

    fn read_only(&self) -> StoreError {
        self.err(redb::Error::Io(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "opened read-only",
        )))
    }

    /// How many feeds and messages the store holds.
    pub(crate) fn counts(&self) -> Result<(u64, u64), StoreError> {
        let feeds = self.table(FEEDS)?.len().map_err(|e| self.err(e))?;
        let messages = self.table(MESSAGES)?.len().map_err(|e| self.err(e))?;
        Ok((feeds, messages))
    }

    /// Message `sequence` of `feed`.
    pub(crate) fn get(
        &self,
        feed: &FeedId,
        sequence: u64,
    ) -> Result<Option<StoredMessage>, StoreError> {
        let messages = self.table(MESSAGES)?;
        let Some(g) = messages
            .get(&message_key(feed, sequence))
            .map_err(|e| self.err(e))?
        else {
            return Ok(None);
        };
        decode_record(*feed, sequence, g.value())
            .map(Some)
            .ok_or_else(|| self.corrupt(format!("record {feed} {sequence}")))
    }

    /// The message with id `id`: looked up in `ids`, then in each id run waiting.
    #[allow(
        dead_code,
        reason = "no command looks messages up by id yet; the unit tests do"
    )]
    pub(crate) fn get_by_id(&self, id: &MsgId) -> Result<Option<StoredMessage>, StoreError> {
        let hash = id.to_bytes();
        let txn = match &self.db {
            Db::Write(db) => db.begin_read(),
            Db::Read(db) => db.begin_read(),
        }
        .map_err(|e| self.err(e))?;
        let ids = txn.open_table(IDS).map_err(|e| self.err(e))?;
        if let Some(g) = ids.get(&hash).map_err(|e| self.err(e))? {
            let (author, sequence) = split_key(g.value());
            return self.get(&author, sequence);
        }
        let runs = match txn.open_table(ID_RUNS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.err(e)),
        };
        for entry in runs.iter().map_err(|e| self.err(e))?.rev() {
            let (_, v) = entry.map_err(|e| self.err(e))?;
            let run = v.value();
            let n = run.len() / ID_ENTRY;
            let at = |i: usize| run.get(i * ID_ENTRY..i * ID_ENTRY + ID_ENTRY);
            // Binary search of the run's sorted entries.
            let (mut lo, mut hi) = (0, n);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                let Some(e) = at(mid) else { break };
                match e.get(..32).map(|h| h.cmp(&hash[..])) {
                    Some(std::cmp::Ordering::Less) => lo = mid + 1,
                    Some(std::cmp::Ordering::Greater) => hi = mid,
                    Some(std::cmp::Ordering::Equal) => {
                        let key = e
                            .get(32..)
                            .and_then(|k| <&[u8; 40]>::try_from(k).ok())
                            .ok_or_else(|| self.corrupt("an id run entry"))?;
                        let (author, sequence) = split_key(key);
                        return self.get(&author, sequence);
                    }
                    None => break,
                }
            }
        }
        Ok(None)
    }

    /// The messages of `feed` from sequence `from` up to (not including) `to`, read from the
    /// database as the cursor advances (one message in memory at a time). The cursor reads
    /// a snapshot: appends made after it was opened are not in it.
    pub(crate) fn read_feed(
        &self,
        feed: &FeedId,
        from: u64,
        to: u64,
    ) -> Result<FeedCursor, StoreError> {
        let messages = self.table(MESSAGES)?;
        let (lo, hi) = (message_key(feed, from), message_key(feed, to.max(from)));
        let range = messages
            .range::<&[u8; 40]>(&lo..&hi)
            .map_err(|e| self.err(e))?;
        Ok(FeedCursor {
            range,
            path: self.path.clone(),
        })
    }

    /// Appends `batch` in one transaction: all of it or, on any error, none of it. Each
    /// message must have been validated by `ssb-feed` as the next of its feed, resumed from
    /// [`latest`](Self::latest) (the state after the messages before it in the batch); the
    /// store checks that its sequence is the latest plus one (1 for a new feed) and that
    /// its bytes parse to it.
    pub(crate) fn append(&self, batch: &[NewMessage<'_>]) -> Result<(), StoreError> {
        let prepared = batch
            .iter()
            .map(Prepared::new)
            .collect::<Result<Vec<_>, _>>()?;
        self.append_prepared(&prepared)
    }

    /// [`append`](Self::append) of messages whose records were made beforehand (on any
    /// thread: [`Prepared::new`] needs no store).
    pub(crate) fn append_prepared(&self, batch: &[Prepared]) -> Result<(), StoreError> {
        let Db::Write(db) = &self.db else {
            return Err(self.read_only());
        };
        if batch.is_empty() {
            return Ok(());
        }
        let mut txn = db.begin_write().map_err(|e| self.err(e))?;
        // Recovery after a crash then needs no walk of the whole file.
        txn.set_quick_repair(true);
        {
            let mut messages = txn.open_table(MESSAGES).map_err(|e| self.err(e))?;
            let mut ids = txn.open_table(IDS).map_err(|e| self.err(e))?;
            let mut feeds = txn.open_table(FEEDS).map_err(|e| self.err(e))?;
            // Each feed's latest state, read once per batch and written once at its end.
            let mut latest: HashMap<[u8; 32], (Option<FeedState>, bool)> = HashMap::new();
            let mut id_entries: Vec<([u8; 32], [u8; 40])> = Vec::with_capacity(batch.len());
            for m in batch {
                let author = m.author;
                let author_key = author.to_bytes();
                let entry = match latest.entry(author_key) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        let stored =
                            match feeds.get(&author_key).map_err(|e| self.err(e))? {
                                Some(g) => Some(decode_state(g.value()).ok_or_else(|| {
                                    self.corrupt(format!("feed entry of {author}"))
                                })?),
                                None => None,
                            };
                        e.insert((stored, false))
                    }
                };
                // `previous` is ssb-feed's to check against the stored state (with JS's
                // loose comparison, which lets an array holding the id through); the
                // store keeps the sequence gapless.
                let next = entry.0.map_or(Some(1), |s| s.sequence.checked_add(1));
                let sequence = u64::try_from(m.state.sequence)
                    .ok()
                    .filter(|_| Some(m.state.sequence) == next);
                let Some(sequence) = sequence else {
                    return Err(StoreError::NotNext {
                        author,
                        sequence: m.state.sequence,
                        latest: entry
                            .0
                            .map_or(0, |s| u64::try_from(s.sequence).unwrap_or(0)),
                    });
                };
                let key = message_key(&author, sequence);
                messages
                    .insert(&key, m.record.as_slice())
                    .map_err(|e| self.err(e))?;
                id_entries.push((m.state.id.to_bytes(), key));
                *entry = (Some(m.state), true);
            }
            for (author, (state, changed)) in &latest {
                if let (Some(state), true) = (state, changed) {
                    feeds
                        .insert(author, &encode_state(state))
                        .map_err(|e| self.err(e))?;
                }
            }
            let mut runs = txn.open_table(ID_RUNS).map_err(|e| self.err(e))?;
            self.index_ids(&mut ids, &mut runs, id_entries)?;
        }
        txn.commit().map_err(|e| self.err(e))
    }

    /// Writes a batch's ids: into `ids` if it is small, else as a new sorted run, or, when
    /// [`MAX_ID_RUNS`] wait, merged with them into `ids` (see [`MIN_ID_RUN`]).
    fn index_ids(
        &self,
        ids: &mut redb::Table<'_, &'static [u8; 32], &'static [u8; 40]>,
        runs: &mut redb::Table<'_, u64, &'static [u8]>,
        mut entries: Vec<([u8; 32], [u8; 40])>,
    ) -> Result<(), StoreError> {
        entries.sort_unstable_by_key(|a| a.0);
        let waiting = runs.len().map_err(|e| self.err(e))?;
        if entries.len() >= MIN_ID_RUN && waiting < MAX_ID_RUNS {
            let next = runs
                .last()
                .map_err(|e| self.err(e))?
                .map_or(0, |(k, _)| k.value().saturating_add(1));
            let mut run = Vec::with_capacity(entries.len() * ID_ENTRY);
            for (id, key) in &entries {
                run.extend_from_slice(id);
                run.extend_from_slice(key);
            }
            runs.insert(next, run.as_slice()).map_err(|e| self.err(e))?;
            return Ok(());
        }
        if entries.len() >= MIN_ID_RUN {
            // Merge every run waiting with this batch: `ids` in key order, one pass.
            while let Some((_, v)) = runs.pop_first().map_err(|e| self.err(e))? {
                let run = v.value();
                if run.len() % ID_ENTRY != 0 {
                    return Err(self.corrupt("an id run of a partial entry"));
                }
                for e in run.chunks_exact(ID_ENTRY) {
                    let (id, key) = e.split_at(32);
                    let (Ok(id), Ok(key)) = (<[u8; 32]>::try_from(id), <[u8; 40]>::try_from(key))
                    else {
                        return Err(self.corrupt("an id run entry"));
                    };
                    entries.push((id, key));
                }
            }
            entries.sort_unstable_by_key(|a| a.0);
        }
        for (id, key) in &entries {
            ids.insert(id, key).map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}

/// A message checked and encoded for [`FeedStore::append_prepared`]: its bytes parse to
/// it, they are within [`MAX_VALUE_BYTES`], and its record is made.
pub(crate) struct Prepared {
    author: FeedId,
    /// The feed's state after it (its id, sequence, timestamp).
    state: FeedState,
    record: Vec<u8>,
}

impl Prepared {
    /// Checks and encodes `m` (the costly part of an append: `JSON.stringify` of the
    /// value, to compare with the bytes).
    pub(crate) fn new(m: &NewMessage<'_>) -> Result<Self, StoreError> {
        let msg = m.message;
        let id = msg.id();
        if m.bytes.len() > MAX_VALUE_BYTES {
            return Err(StoreError::TooLarge(id));
        }
        let compact = msg.value().to_compact_string();
        let canonical = m.bytes == compact.as_bytes();
        if !canonical && !bytes_match(m.bytes, &compact) {
            return Err(StoreError::BytesMismatch(id));
        }
        Ok(Self {
            author: msg.author(),
            state: msg.state(),
            record: encode_record(&id, m.received, canonical, m.bytes),
        })
    }
}

fn db_error(path: &Path, e: impl Into<redb::Error>) -> StoreError {
    StoreError::Db {
        path: path.to_owned(),
        source: Box::new(e.into()),
    }
}

/// A stream of one feed's stored messages (see [`FeedStore::read_feed`]).
pub(crate) struct FeedCursor {
    range: redb::Range<'static, &'static [u8; 40], &'static [u8]>,
    path: PathBuf,
}

impl Iterator for FeedCursor {
    type Item = Result<StoredMessage, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let entry = self.range.next()?;
        Some(match entry {
            Ok((k, v)) => {
                let (author, sequence) = split_key(k.value());
                decode_record(author, sequence, v.value()).ok_or_else(|| StoreError::Corrupt {
                    path: self.path.clone(),
                    what: format!("record {author} {sequence}"),
                })
            }
            Err(e) => Err(db_error(&self.path, e)),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use ssb_crypto::Keypair;
    use ssb_feed::create_message;

    fn tmp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ssb-store-unit-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// `n` signed messages of the author of `seed` (also the `serve::ebt` tests' feeds).
    pub(crate) fn feed(seed: u8, n: usize) -> Vec<Message> {
        let keys = Keypair::from_seed(&[seed; 32]);
        let mut out: Vec<Message> = Vec::new();
        for i in 0..n {
            let text = format!(r#"{{"type":"post","text":"message {i}"}}"#);
            let content = ssb_legacy_json::parse(text.as_bytes()).unwrap();
            let prev = out.last().map(Message::state);
            let m = create_message(
                &keys,
                prev.as_ref(),
                content,
                1e12 + i as f64,
                &SignCap::None,
            )
            .unwrap();
            out.push(m);
        }
        out
    }

    fn new(m: &Message, bytes: &'static [u8]) -> NewMessage<'static> {
        let m: &'static Message = Box::leak(Box::new(m.clone()));
        NewMessage {
            message: m,
            bytes,
            received: 5.0,
        }
    }

    fn compact(m: &Message) -> &'static [u8] {
        Box::leak(
            m.value()
                .to_compact_string()
                .into_bytes()
                .into_boxed_slice(),
        )
    }

    /// Batches large enough to write their ids as runs: after runs were merged into `ids`
    /// (more than MAX_ID_RUNS batches), with runs still waiting, and after a reopen, every
    /// message is found by its id; an id never stored is not; a failed batch leaves no run.
    #[test]
    fn ids_in_runs_and_merged_are_all_found() {
        let dir = tmp("id-runs");
        let batches = usize::try_from(MAX_ID_RUNS).unwrap() + 3;
        let a = feed(3, MIN_ID_RUN * batches + 5);
        let store = FeedStore::open(&dir, &SignCap::None).unwrap();
        let mut at = 0;
        for _ in 0..batches {
            let batch: Vec<NewMessage> = a[at..at + MIN_ID_RUN]
                .iter()
                .map(|m| new(m, compact(m)))
                .collect();
            store.append(&batch).unwrap();
            at += MIN_ID_RUN;
        }
        // A small batch goes to `ids` directly; a failing large one leaves nothing.
        store.append(&[new(&a[at], compact(&a[at]))]).unwrap();
        at += 1;
        let gap: Vec<NewMessage> = a[at + 1..].iter().map(|m| new(m, compact(m))).collect();
        assert!(store.append(&gap).is_err());
        let check = |store: &FeedStore| {
            for (i, m) in a[..at].iter().enumerate() {
                let got = store.get_by_id(&m.id()).unwrap();
                assert_eq!(got.map(|g| g.sequence), Some(i as u64 + 1), "message {i}");
            }
            for m in &a[at..] {
                assert_eq!(store.get_by_id(&m.id()).unwrap(), None);
            }
        };
        check(&store);
        let txn = match &store.db {
            Db::Write(db) => db.begin_read().unwrap(),
            Db::Read(_) => unreachable!(),
        };
        let runs = txn.open_table(ID_RUNS).unwrap().len().unwrap();
        let merged = txn.open_table(IDS).unwrap().len().unwrap();
        assert!(runs > 0 && runs <= MAX_ID_RUNS, "{runs} runs waiting");
        assert!(
            merged > MAX_ID_RUNS * MIN_ID_RUN as u64,
            "{merged} ids merged"
        );
        drop(txn);
        drop(store);
        check(&FeedStore::open_read(&dir).unwrap());
    }

    #[test]
    fn appends_whole_batches_and_reads_them_back() {
        let dir = tmp("batches");
        let store = FeedStore::open(&dir, &SignCap::None).unwrap();
        let a = feed(1, 5);
        let b = feed(2, 2);
        let batch: Vec<NewMessage> = [&a[0], &b[0], &a[1], &a[2], &b[1]]
            .iter()
            .map(|m| new(m, compact(m)))
            .collect();
        store.append(&batch).unwrap();
        assert_eq!(store.latest(&a[0].author()).unwrap(), Some(a[2].state()));
        assert_eq!(store.latest(&b[0].author()).unwrap(), Some(b[1].state()));
        assert_eq!(store.counts().unwrap(), (2, 5));
        // A gap (a[4] right after a[2]) and a duplicate are refused, and a batch that fails
        // stores none of itself (a[3] is not kept from the second try).
        let err = store.append(&[new(&a[4], compact(&a[4]))]).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotNext {
                    sequence: 5,
                    latest: 3,
                    ..
                }
            ),
            "{err}"
        );
        let twice = [new(&a[3], compact(&a[3])), new(&a[3], compact(&a[3]))];
        let err = store.append(&twice).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotNext {
                    sequence: 4,
                    latest: 4,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(store.latest(&a[0].author()).unwrap(), Some(a[2].state()));
        assert_eq!(store.get(&a[0].author(), 4).unwrap(), None);
        assert_eq!(store.get_by_id(&a[3].id()).unwrap(), None);
        let gap = [new(&a[3], compact(&a[3])), new(&a[4], compact(&a[4]))];
        store.append(&gap).unwrap();
        // Streams in sequence order, from any start, and by id.
        let all: Vec<StoredMessage> = store
            .read_feed(&a[0].author(), 1, u64::MAX)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(all.len(), 5);
        for (s, m) in all.iter().zip(&a) {
            assert_eq!(s.id, m.id());
            assert_eq!(s.bytes, compact(m));
            assert!(s.canonical);
            assert_eq!(s.value_json().as_bytes(), compact(m));
            assert_eq!(store.get_by_id(&m.id()).unwrap().as_ref(), Some(s));
        }
        let mid: Vec<u64> = store
            .read_feed(&a[0].author(), 2, 4)
            .unwrap()
            .map(|m| m.unwrap().sequence)
            .collect();
        assert_eq!(mid, [2, 3]);
        assert_eq!(store.read_feed(&a[0].author(), 4, 2).unwrap().count(), 0);
        assert_eq!(
            store.feeds().unwrap().len(),
            2,
            "every feed with its latest state"
        );
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn keeps_the_bytes_as_received_and_refuses_other_bytes() {
        let dir = tmp("bytes");
        let store = FeedStore::open(&dir, &SignCap::None).unwrap();
        let a = feed(3, 2);
        let pretty: &'static [u8] =
            Box::leak(a[0].to_signing_string().into_bytes().into_boxed_slice());
        store.append(&[new(&a[0], pretty)]).unwrap();
        let s = store.get(&a[0].author(), 1).unwrap().unwrap();
        assert_eq!(s.bytes, pretty);
        assert!(!s.canonical);
        assert_eq!(s.value_json().as_bytes(), compact(&a[0]));
        assert_eq!(
            s.kvt_json(),
            format!(
                "{{\"key\":\"{}\",\"value\":{},\"timestamp\":5}}",
                a[0].id(),
                s.value_json()
            )
        );
        // Bytes of another message are refused.
        let err = store.append(&[new(&a[1], pretty)]).unwrap_err();
        assert!(matches!(err, StoreError::BytesMismatch(_)), "{err}");
        drop(store);
        // Reopened read-only: the same; a second writer or reader is refused while one writes.
        let w = FeedStore::open(&dir, &SignCap::None).unwrap();
        assert!(matches!(
            FeedStore::open_read(&dir),
            Err(StoreError::InUse(_))
        ));
        drop(w);
        let r = FeedStore::open_read(&dir).unwrap();
        let r2 = FeedStore::open_read(&dir).unwrap();
        assert_eq!(r.get(&a[0].author(), 1).unwrap().unwrap().bytes, pretty);
        assert_eq!(r2.counts().unwrap(), (1, 1));
        assert!(matches!(
            FeedStore::open(&dir, &SignCap::None),
            Err(StoreError::InUse(_))
        ));
        drop((r, r2));
        // Another network's key is refused.
        let other = SignCap::Hmac(ssb_feed::HmacKey([7; 32]));
        assert!(matches!(
            FeedStore::open(&dir, &other),
            Err(StoreError::OtherNetwork { .. })
        ));
        assert!(matches!(
            FeedStore::open_read(&tmp("none")),
            Err(StoreError::Missing(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn peer_clocks_are_stored_replaced_and_read_back() {
        let dir = tmp("clocks");
        let peer = Keypair::from_seed(&[8; 32]).feed_id();
        let other = Keypair::from_seed(&[9; 32]).feed_id();
        let store = FeedStore::open(&dir, &SignCap::None).unwrap();
        assert_eq!(store.peer_clock(&peer).unwrap(), None);
        let clock = serde_json::json!({ other.to_string(): 4, peer.to_string(): -1 });
        store.set_peer_clock(&peer, &clock).unwrap();
        assert_eq!(store.peer_clock(&peer).unwrap(), Some(clock));
        let later = serde_json::json!({ other.to_string(): 7 });
        store.set_peer_clock(&peer, &later).unwrap();
        assert_eq!(store.peer_clock(&peer).unwrap().as_ref(), Some(&later));
        assert_eq!(store.peer_clock(&other).unwrap(), None);
        drop(store);
        // Kept across opens, readable read-only (which cannot write one).
        let r = FeedStore::open_read(&dir).unwrap();
        assert_eq!(r.peer_clock(&peer).unwrap().as_ref(), Some(&later));
        assert!(r.set_peer_clock(&peer, &later).is_err());
        drop(r);
        // A store made before the table existed: no clock when read; a writable open adds
        // the table (same format).
        let db = redb::Database::open(dir.join(DB_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        assert!(txn.delete_table(PEER_CLOCKS).unwrap());
        txn.commit().unwrap();
        drop(db);
        let r = FeedStore::open_read(&dir).unwrap();
        assert_eq!(r.peer_clock(&peer).unwrap(), None);
        drop(r);
        let w = FeedStore::open(&dir, &SignCap::None).unwrap();
        w.set_peer_clock(&peer, &later).unwrap();
        assert_eq!(w.peer_clock(&peer).unwrap(), Some(later));
        drop(w);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn records_and_states_round_trip_and_bad_ones_are_refused() {
        let a = feed(4, 1);
        let st = a[0].state();
        assert_eq!(decode_state(&encode_state(&st)), Some(st));
        let r = encode_record(&a[0].id(), 1.5, true, b"{}");
        let back = decode_record(a[0].author(), 1, &r).unwrap();
        assert_eq!(
            (back.id, back.received, back.canonical),
            (a[0].id(), 1.5, true)
        );
        assert_eq!(back.bytes, b"{}");
        for short in 0..RECORD_HEAD {
            assert_eq!(
                decode_record(a[0].author(), 1, r.get(..short).unwrap()),
                None
            );
        }
        let mut other = r.clone();
        other[0] = FORMAT + 1;
        assert_eq!(decode_record(a[0].author(), 1, &other), None);
        let k = message_key(&a[0].author(), 258);
        assert_eq!(split_key(&k), (a[0].author(), 258));
        assert!(message_key(&a[0].author(), 255) < message_key(&a[0].author(), 256));
    }
}
