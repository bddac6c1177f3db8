//! `ssb serve --listen HOST:PORT [--secret FILE] [--caps B64] [--feed FILE]... [--store DIR
//! [--hmac-key B64] [--follow @ID]...]`: a small SSB peer that serves feeds read from files
//! or from a feed store (`ssb import`), for interop tests and for pulling feeds with any SSB
//! client; with a store it is also a full EBT peer that takes the feeds it follows.
//!
//! # What it answers
//!
//! Every client that completes the handshake on the network key is let in, and may call
//! everything (only public data is served):
//!
//! | call | answer |
//! |---|---|
//! | `manifest` (async) | the methods below, in JS manifest form |
//! | `whoami` (async) | `{"id":"@….ed25519"}` |
//! | `createHistoryStream` (source) | the feed of `id` (see below) |
//! | `gossip.ping` (duplex) | answers every number the peer sends with this server's clock (ms) |
//! | `blobs.createWants` (source) | `{}` (this server wants no blobs), then stays open |
//! | `blobs.changes` (source) | stays open: this server never gets blobs |
//! | `ebt.replicate` (duplex, `--store` only) | an EBT session as `ssb-ebt` 9 serves one (ssb-replication's engine, server role: our clock first), offering every stored feed and taking the feeds followed (see below) |
//! | anything else | JS's error text `no <type>:<name>` (name joined by commas) |
//!
//! `createHistoryStream([opts])` answers as ssb-db 20.4.1 does (`indexes/clock.js`,
//! `util.js`, its muxrpc-validation signatures; each case below was seen from the JS server):
//!
//! * no argument or `null`: error `UsageError` `Param 0 is required`; a feed id string: an
//!   empty stream (it passes the positional signature, then reads nothing); any other
//!   non-object, an object whose `id` is not a feed id, or whose `seq` or `limit` is truthy
//!   and not a number, or `live`, `keys` or `values` truthy and neither boolean nor number:
//!   error `TypeError` `Param 0 must by of type feedId` (JS's text, typo included);
//! * the stream starts at `opts.sequence || opts.seq || 0`, inclusive, compared as ssb-db's
//!   index compares: a fractional start rounds up, a `sequence` of `true` is the start, a
//!   string or array `sequence` sorts after every number (an empty stream). An object there
//!   crashes the JS server (charwise cannot encode it); here it is refused with an error;
//! * `limit` is read as leveldown reads it, as an int32 (`ToInt32`): negative (or not a
//!   number) means no limit, 0 nothing, 1.5 one message;
//! * `keys` and `values` count as true unless exactly `false`: `{key, value, timestamp}`,
//!   the key alone (a string), or the value (also when both are `false`);
//! * a feed this server does not have gives an empty stream;
//! * policy: `live: true` ends the stream at the current end of the feed, and `old: false`
//!   gives an empty stream that ends; JS keeps both open for messages to come (messages
//!   this server receives over EBT are not streamed to history streams already open).
//!
//! Every message goes out byte-exact as `JSON.stringify(value)` (JS's own stringify, lone
//! surrogates and number spellings included), sent as a raw JSON body. The `timestamp` of a
//! KVT is the stored one (the one in the feed file, or for files of bare values, the time
//! the server read the message, ms, strictly increasing), as ssb-db records its receive
//! time.
//!
//! # Feeds, limits, shutdown
//!
//! Feed files (`--feed`) are JSON lines or a JSON array of message values or KVTs, validated
//! at startup with `ssb-feed` exactly as `ssb verify-feed` does (each author's messages in
//! order from sequence 1; a KVT's key must be its computed id); any invalid message stops
//! the server before it listens (exit 2, naming the file and item). Their messages are held
//! in memory, stringified once at startup with `ssb-legacy-json`.
//!
//! A store (`--store DIR`, see `store.rs`) is opened for writing: it is locked exclusively
//! while the server runs (no `ssb import`, `export` or other reader may open it meanwhile).
//! Every history stream reads its feed from the database as it is sent: one cursor per
//! stream, one message in memory at a time, the value bytes as stored (or JS's form of
//! them, for values that did not arrive in it). A stream covers the feed as it was when the
//! stream was opened.
//!
//! # EBT (`--store`)
//!
//! One replication engine serves every connection (see `serve/ebt.rs`). It follows every
//! stored feed and each `--follow` feed (for feeds the store has none of yet); messages of
//! other feeds are dropped, as JS does. Each message a peer sends for a followed feed is
//! validated with `ssb-feed` (`--hmac-key`: the network's signing key) against the store's
//! latest state of its feed, in batches of what waits, and stored (one transaction per
//! batch); then every other peer replicating that feed from us gets it at once (live
//! forwarding). A message that fails fatally (a fork, a bad signature) blocks its feed from
//! that peer. Each peer's clock is stored in the store when its session ends (and at
//! shutdown) and loaded when the next starts, so that unchanged feeds are not mentioned
//! again (request skipping, as `ssb-ebt` 9 does).
//!
//! Once listening the server prints its address (`net:HOST:PORT~shs:KEY`), one line on
//! stdout, and logs failures to stderr.
//!
//! Each connection runs on its own thread ([`CONNECTION_STACK`] of stack), at most
//! [`MAX_CONNECTIONS`] at once (more are closed as soon as they are accepted). A connection
//! holds at most [`PRODUCE_WATERMARK`] of queued output plus the connection's own bounded
//! buffers (see `net.rs`), whatever the peer asks for; it fails after
//! [`HANDSHAKE_TIMEOUT`] without a completed handshake and is closed (goodbye) after
//! [`IDLE_TIMEOUT`] without traffic. SIGTERM or SIGINT stops accepting, says goodbye on every
//! connection, waits at most [`SHUTDOWN_GRACE`] for them and exits 0.

use std::collections::HashMap;
use std::io::{ErrorKind, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use ssb_connection::{Connection, Event};
use ssb_crypto::{FeedId, Keypair, NetworkKey};
use ssb_feed::{FeedReader, Framing, HmacKey, Kvt, SignCap, Validator};
use ssb_legacy_json::Value;
use ssb_muxrpc::{
    Body, CallType, Event as Rpc, LocalError, RemoteError, Request, RequestId, StreamItem,
};

use crate::error::CliError;
use crate::net::{self, Link, NetError, Next};
use crate::received::{ReceiveClock, now_ms};
use crate::store::{FeedCursor, FeedStore, StoreError, StoredMessage};

mod ebt;
use ebt::{EBT_POLL, EbtPeer, Session};

/// Connections served at once; more are closed as soon as they are accepted.
pub(crate) const MAX_CONNECTIONS: usize = 512;
/// Stack of each connection thread (nothing recursive runs there: requests are parsed by
/// serde_json, whose nesting limit is 128, and messages were stringified at startup).
pub(crate) const CONNECTION_STACK: usize = 256 * 1024;
/// A connection whose handshake has not completed by then fails (JS: `timers.handshake`).
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// A connection with no traffic either way for this long is closed with a goodbye.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// After our goodbye (shutdown or idle), the longest we wait for the peer's.
pub(crate) const CLOSE_GRACE: Duration = Duration::from_secs(3);
/// How long a shutdown waits for connections to end.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// History streams are fed until this many bytes wait to be sent, then paused until the
/// socket took them.
pub(crate) const PRODUCE_WATERMARK: usize = 64 * 1024;
/// How often the accept loop looks for new connections and signals.
const ACCEPT_POLL: Duration = Duration::from_millis(10);
/// How long a connection thread waits for input before looking at its timers.
const IDLE_POLL: Duration = Duration::from_millis(250);

/// Serve feeds to SSB peers until SIGTERM
///
/// Listens on HOST:PORT (port 0: any free port), prints its multiserver address
/// (net:HOST:PORT~shs:KEY) as one line on stdout, and answers every peer on the network key:
/// manifest, whoami, createHistoryStream (as ssb-db 20 answers it: id, seq/sequence
/// inclusive, limit, keys, values; live: true ends at the current end), gossip.ping,
/// blobs.createWants and blobs.changes; other methods get JS's `no <type>:<name>` error.
/// Messages go out byte for byte as JS JSON.stringify writes them.
///
/// Each --feed is JSON lines or a JSON array of message values or KVTs, validated at
/// startup with ssb-feed (every author from sequence 1, a KVT's key its computed id); an
/// invalid message stops the server before it listens (exit 2). Or --store DIR serves the
/// feeds of a store (ssb import), streamed from its database (locked exclusively while the
/// server runs: no import or export meanwhile); with --store it is also an EBT peer
/// (ebt.replicate, as ssb-ebt 9): it offers every stored feed, takes new messages of every
/// stored feed and of each --follow feed (validated with ssb-feed, stored, forwarded live to
/// the other peers), and keeps each peer's clock in the store between sessions. SIGTERM or
/// SIGINT says goodbye to every peer and exits 0.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Where to listen, HOST:PORT
    #[arg(long, value_name = "HOST:PORT")]
    listen: String,
    /// The server's secret file [default: ~/.ssb/secret]
    #[arg(long, value_name = "FILE")]
    secret: Option<PathBuf>,
    /// The network key (caps.shs), base64 or 64 hex digits [default: the main network]
    #[arg(long, value_name = "B64", value_parser = crate::values::network_key)]
    caps: Option<NetworkKey>,
    /// A feed file to serve (repeatable)
    #[arg(long = "feed", value_name = "FILE")]
    feeds: Vec<PathBuf>,
    /// Serve the feeds of this store (ssb import) instead of feed files, and replicate
    /// over EBT into it
    #[arg(long, value_name = "DIR", conflicts_with = "feeds")]
    store: Option<PathBuf>,
    /// The network's HMAC signing key (caps.sign; absent on the main network), for the
    /// messages received over EBT
    #[arg(long, value_name = "B64", value_parser = crate::values::hmac_key, requires = "store")]
    hmac_key: Option<HmacKey>,
    /// Also take this feed over EBT, though the store has none of it yet (repeatable)
    #[arg(long = "follow", value_name = "@ID", value_parser = crate::values::feed_id, requires = "store")]
    follow: Vec<FeedId>,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let path = crate::secret::path(args.secret.as_deref())?;
    let keys = crate::secret::load(&path)?;
    serve(&ServeOptions {
        listen: args.listen,
        keys,
        net: args.caps.unwrap_or(NetworkKey::MAIN_NET),
        feeds: match args.store {
            Some(dir) => FeedSource::Store {
                dir,
                cap: args.hmac_key.map_or(SignCap::None, SignCap::Hmac),
                follow: args.follow,
            },
            None => FeedSource::Files(args.feeds),
        },
    })
    .map_err(CliError::input)?;
    Ok(ExitCode::SUCCESS)
}

/// What `ssb serve` does, as typed values.
pub(crate) struct ServeOptions {
    /// `HOST:PORT` to listen on.
    pub(crate) listen: String,
    /// The server's identity.
    pub(crate) keys: Keypair,
    /// The network key.
    pub(crate) net: NetworkKey,
    /// What to serve.
    pub(crate) feeds: FeedSource,
}

/// Where the served feeds come from.
pub(crate) enum FeedSource {
    /// Feed files, validated and loaded at startup.
    Files(Vec<PathBuf>),
    /// A feed store directory, opened for writing, with the network's signing key and the
    /// feeds to take over EBT beyond the stored ones.
    Store {
        /// The store directory.
        dir: PathBuf,
        /// The network's signing key.
        cap: SignCap,
        /// Feeds followed though not stored.
        follow: Vec<FeedId>,
    },
}

/// One stored message: the texts that go out.
struct Stored {
    /// `JSON.stringify(key)`.
    key_json: String,
    /// The key itself (sent as a string when only keys are asked for).
    key: String,
    /// `JSON.stringify(value)`.
    value_json: String,
    /// `JSON.stringify(timestamp)`.
    timestamp_json: String,
}

impl Stored {
    fn kvt_json(&self) -> String {
        let mut s = String::with_capacity(
            self.key_json.len() + self.value_json.len() + self.timestamp_json.len() + 32,
        );
        s.push_str("{\"key\":");
        s.push_str(&self.key_json);
        s.push_str(",\"value\":");
        s.push_str(&self.value_json);
        s.push_str(",\"timestamp\":");
        s.push_str(&self.timestamp_json);
        s.push('}');
        s
    }

    /// The stream item for `keys` and `values`.
    fn body(&self, keys: bool, values: bool) -> Body {
        match (keys, values) {
            (true, true) => Body::RawJson(self.kvt_json()),
            (true, false) => Body::Text(self.key.clone()),
            _ => Body::RawJson(self.value_json.clone()),
        }
    }
}

/// The stream item of a stored message for `keys` and `values`.
fn store_body(m: &StoredMessage, keys: bool, values: bool) -> Body {
    match (keys, values) {
        (true, true) => Body::RawJson(m.kvt_json()),
        (true, false) => Body::Text(m.id.to_string()),
        _ => Body::RawJson(m.value_json()),
    }
}

/// The feeds a server answers from.
enum Feeds {
    /// Feed files, in memory.
    Files(Store),
    /// A store, read as the streams go.
    Db(FeedStore),
}

impl Feeds {
    fn open(source: &FeedSource) -> Result<Self, String> {
        Ok(match source {
            FeedSource::Files(paths) => Feeds::Files(Store::load(paths)?),
            FeedSource::Store { dir, cap, .. } => {
                Feeds::Db(FeedStore::open(dir, cap).map_err(|e| e.to_string())?)
            }
        })
    }

    /// How many feeds and messages there are.
    fn counts(&self) -> Result<(u64, u64), String> {
        match self {
            Feeds::Files(s) => Ok((s.feeds.len() as u64, s.messages as u64)),
            Feeds::Db(db) => db.counts().map_err(|e| e.to_string()),
        }
    }

    /// The latest sequence of `feed` (0: none).
    fn latest(&self, feed: &FeedId) -> Result<u64, StoreError> {
        match self {
            Feeds::Files(s) => Ok(s.feeds.get(feed).map_or(0, |v| v.len() as u64)),
            Feeds::Db(db) => Ok(db
                .latest(feed)?
                .map_or(0, |s| u64::try_from(s.sequence).unwrap_or(0))),
        }
    }

    /// The next item of history stream `h` (which then still has to be sent), if any.
    fn next_body(&self, h: &mut History) -> Result<Option<Body>, StoreError> {
        if h.next >= h.end {
            return Ok(None);
        }
        match self {
            Feeds::Files(s) => {
                // A file feed holds sequence n at index n - 1.
                let at = usize::try_from(h.next.saturating_sub(1)).unwrap_or(usize::MAX);
                Ok(s.feeds
                    .get(&h.feed)
                    .and_then(|v| v.get(at))
                    .map(|m| m.body(h.keys, h.values)))
            }
            Feeds::Db(db) => {
                if h.cursor.is_none() {
                    h.cursor = Some(Box::new(db.read_feed(&h.feed, h.next, h.end)?));
                }
                match h.cursor.as_mut().and_then(Iterator::next) {
                    Some(m) => Ok(Some(store_body(&m?, h.keys, h.values))),
                    None => Ok(None),
                }
            }
        }
    }
}

/// Every feed, each in sequence order from 1.
#[derive(Default)]
pub(crate) struct Store {
    feeds: HashMap<FeedId, Vec<Stored>>,
    messages: usize,
}

impl Store {
    /// Reads and validates feed files.
    pub(crate) fn load(paths: &[PathBuf]) -> Result<Self, String> {
        let mut store = Store::default();
        let mut validator = Validator::new(SignCap::None);
        let mut received = ReceiveClock::default();
        for path in paths {
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            for (i, item) in FeedReader::split_all(Framing::Auto, &bytes)
                .into_iter()
                .enumerate()
            {
                let at = || format!("{} item {i}", path.display());
                let item = item.map_err(|e| format!("{}: {e}", at()))?;
                let parsed = ssb_legacy_json::parse(&item).map_err(|e| format!("{}: {e}", at()))?;
                let (msg, timestamp) = match Kvt::from_value(parsed) {
                    Ok(kvt) => {
                        let ts = kvt.timestamp;
                        let m = validator.append_kvt(kvt, false);
                        (m, ts)
                    }
                    Err(value) => (validator.append_value(value), None),
                };
                let msg = msg.map_err(|e| format!("{}: {} ({e})", at(), e.code()))?;
                let timestamp = timestamp.unwrap_or_else(|| received.next());
                let key = msg.id().to_string();
                let stored = Stored {
                    key_json: Value::from(key.as_str()).to_compact_string(),
                    key,
                    value_json: msg.value().to_compact_string(),
                    timestamp_json: Value::Number(timestamp).to_compact_string(),
                };
                store.feeds.entry(msg.author()).or_default().push(stored);
                store.messages += 1;
            }
        }
        Ok(store)
    }
}

/// What the server knows, shared by every connection.
struct Shared {
    keys: Keypair,
    net: NetworkKey,
    feeds: Feeds,
    /// The EBT peer (with a store).
    ebt: Option<EbtPeer>,
    shutdown: Arc<AtomicBool>,
    active: AtomicUsize,
}

/// Loads the feeds, listens, prints the address and serves until SIGTERM/SIGINT.
pub(crate) fn serve(opts: &ServeOptions) -> Result<(), String> {
    let feeds = Feeds::open(&opts.feeds)?;
    let (feed_count, message_count) = feeds.counts()?;
    let ebt = match (&feeds, &opts.feeds) {
        (Feeds::Db(db), FeedSource::Store { cap, follow, .. }) => Some(
            EbtPeer::new(&opts.keys.feed_id().to_string(), db, *cap, follow)
                .map_err(|e| e.to_string())?,
        ),
        _ => None,
    };
    let shutdown = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, Arc::clone(&shutdown))
            .map_err(|e| format!("cannot handle signal {sig}: {e}"))?;
    }
    let listener = TcpListener::bind(&opts.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("listener: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("listener: {e}"))?;
    let shared = Arc::new(Shared {
        net: opts.net.clone(),
        feeds,
        ebt,
        shutdown,
        active: AtomicUsize::new(0),
        keys: opts.keys.clone(),
    });
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", net::address_of(local, shared.keys.public()))
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write the address: {e}"))?;
    }
    eprintln!("ssb serve: {feed_count} feeds, {message_count} messages, listening on {local}");
    while !shared.shutdown.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((sock, from)) => {
                if shared.active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
                    eprintln!("ssb serve: {from}: refused, {MAX_CONNECTIONS} connections open");
                    drop(sock);
                    continue;
                }
                shared.active.fetch_add(1, Ordering::SeqCst);
                let s = Arc::clone(&shared);
                let spawned = std::thread::Builder::new()
                    .name(format!("conn {from}"))
                    .stack_size(CONNECTION_STACK)
                    .spawn(move || {
                        if let Err(e) = serve_connection(sock, &s) {
                            eprintln!("ssb serve: {from}: {e}");
                        }
                        s.active.fetch_sub(1, Ordering::SeqCst);
                    });
                if let Err(e) = spawned {
                    shared.active.fetch_sub(1, Ordering::SeqCst);
                    eprintln!("ssb serve: {from}: no thread: {e}");
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(ACCEPT_POLL),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                eprintln!("ssb serve: accept: {e}");
                std::thread::sleep(ACCEPT_POLL);
            }
        }
    }
    drop(listener);
    let stop = Instant::now() + SHUTDOWN_GRACE;
    while shared.active.load(Ordering::SeqCst) > 0 && Instant::now() < stop {
        std::thread::sleep(ACCEPT_POLL);
    }
    if let (Some(ebt), Feeds::Db(db)) = (&shared.ebt, &shared.feeds) {
        ebt.shutdown(db);
    }
    let left = shared.active.load(Ordering::SeqCst);
    if left > 0 {
        eprintln!("ssb serve: stopping with {left} connections still open");
    } else {
        eprintln!("ssb serve: stopped");
    }
    Ok(())
}

/// A history stream being sent.
struct History {
    feed: FeedId,
    /// Sequence of the next message to send, and one past the last.
    next: u64,
    end: u64,
    keys: bool,
    values: bool,
    /// For a store: the stream's cursor, opened with its first message.
    cursor: Option<Box<FeedCursor>>,
}

impl History {
    fn empty(feed: FeedId) -> Self {
        Self {
            feed,
            next: 1,
            end: 1,
            keys: true,
            values: true,
            cursor: None,
        }
    }
}

/// What a stream the peer opened needs from us.
enum Open {
    History(History),
    /// `gossip.ping`: answer every value.
    Ping,
    /// Stays open and silent (`blobs.createWants` after its first item, `blobs.changes`).
    Quiet,
}

/// One peer's requests.
struct Peer<'a> {
    shared: &'a Shared,
    me: Json,
    streams: HashMap<RequestId, Open>,
    /// Round-robin position among history streams.
    turn: usize,
    /// The client's feed id, once authenticated.
    peer_key: Option<FeedId>,
    /// The EBT session (`ebt.replicate`), if one is open.
    ebt: Option<(RequestId, Session)>,
    /// The EBT engine may have output for this session: drain it.
    ebt_busy: bool,
    /// The EBT peer's epoch at the last drain.
    ebt_epoch: u64,
}

/// The JS manifest of what this server answers (`ebt.replicate` with a store).
fn manifest(ebt: bool) -> Json {
    let mut m = json!({
        "manifest": "sync",
        "whoami": "sync",
        "createHistoryStream": "source",
        "gossip": { "ping": "duplex" },
        "blobs": { "createWants": "source", "changes": "source" }
    });
    if ebt && let Some(o) = m.as_object_mut() {
        o.insert("ebt".into(), json!({ "replicate": "duplex" }));
    }
    m
}

/// JavaScript truthiness of an option (absent is `undefined`, falsy).
fn truthy(v: Option<&Json>) -> bool {
    match v {
        None | Some(Json::Null | Json::Bool(false)) => false,
        Some(Json::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0 && !n.is_nan()),
        Some(Json::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// muxrpc-validation's type check of an option: absent or falsy, or of the type.
fn falsy_or(v: Option<&Json>, number: bool, boolean: bool) -> bool {
    !truthy(v)
        || (number && matches!(v, Some(Json::Number(_))))
        || (boolean && matches!(v, Some(Json::Bool(_))))
}

/// JS `ToInt32`, as leveldown reads `limit`.
fn to_int32(n: f64) -> i64 {
    if !n.is_finite() {
        return 0;
    }
    let m = n.trunc().rem_euclid(4_294_967_296.0);
    let m = if m >= 2_147_483_648.0 {
        m - 4_294_967_296.0
    } else {
        m
    };
    m as i64
}

/// ssb-db's (muxrpc-validation's) error for arguments it refuses, with its very text.
fn feed_id_error() -> RemoteError {
    RemoteError {
        name: "TypeError".into(),
        message: "Param 0 must by of type feedId".into(),
        stack: None,
    }
}

impl<'a> Peer<'a> {
    fn new(shared: &'a Shared) -> Self {
        Self {
            me: json!({ "id": shared.keys.feed_id().to_string() }),
            shared,
            streams: HashMap::new(),
            turn: 0,
            peer_key: None,
            ebt: None,
            ebt_busy: false,
            ebt_epoch: 0,
        }
    }

    fn has_work(&self) -> bool {
        self.ebt_busy || self.streams.values().any(|s| matches!(s, Open::History(_)))
    }

    /// How long to wait for input: not at all with work to do; [`EBT_POLL`] with an EBT
    /// session open (other connections may queue output for it); else [`IDLE_POLL`].
    fn wait(&self) -> Duration {
        if self.has_work() {
            Duration::ZERO
        } else if self.ebt.is_some() {
            EBT_POLL
        } else {
            IDLE_POLL
        }
    }

    /// Runs the EBT timer and notices output other connections queued for this session.
    fn ebt_poll(&mut self) {
        let Some(ebt) = &self.shared.ebt else {
            return;
        };
        if self.ebt.is_none() {
            return;
        }
        ebt.maybe_tick();
        let epoch = ebt.epoch();
        if epoch != self.ebt_epoch {
            self.ebt_epoch = epoch;
            self.ebt_busy = true;
        }
    }

    /// Takes what the peer wrote on the EBT stream.
    fn ebt_input(&mut self, body: Body) {
        let (Some((_, session)), Some(ebt), Feeds::Db(db)) =
            (self.ebt.as_ref(), &self.shared.ebt, &self.shared.feeds)
        else {
            return;
        };
        let text = match body {
            Body::RawJson(t) | Body::Text(t) => t,
            Body::Json(v) => v.to_string(),
            Body::Binary(_) => return,
        };
        ebt.input(session, db, text);
    }

    /// The EBT session is over: the peer's clock is stored.
    fn ebt_close(&mut self) {
        if let (Some((_, session)), Some(ebt), Feeds::Db(db)) =
            (self.ebt.take(), &self.shared.ebt, &self.shared.feeds)
        {
            ebt.close(&session, db);
        }
        self.ebt_busy = false;
    }

    /// Drains the EBT engine for this session (store reads, validation, writes to the
    /// peer) until [`PRODUCE_WATERMARK`] bytes are queued. True if it sent anything.
    fn ebt_produce(&mut self, conn: &mut Connection) -> Result<bool, NetError> {
        let (Some((id, session)), Some(ebt), Some(rpc), Feeds::Db(db)) = (
            self.ebt.as_ref(),
            &self.shared.ebt,
            conn.endpoint(),
            &self.shared.feeds,
        ) else {
            return Ok(false);
        };
        if !self.ebt_busy {
            return Ok(false);
        }
        self.ebt_epoch = ebt.epoch();
        let d = ebt.drain(session, db, rpc, *id, PRODUCE_WATERMARK)?;
        if d.ended {
            // Ours to end (a block, a newer session of the peer); the stream may be gone.
            soft(rpc.end(*id));
            self.ebt = None;
        }
        // More may wait behind the watermark.
        self.ebt_busy = self.ebt.is_some() && d.sent;
        Ok(d.sent)
    }

    /// Reads `createHistoryStream`'s options as ssb-db 20 does (see the module docs).
    fn history(&self, args: &[Json]) -> Result<History, RemoteError> {
        let opts = match args.first() {
            None | Some(Json::Null) => {
                return Err(RemoteError {
                    name: "UsageError".into(),
                    message: "Param 0 is required".into(),
                    stack: None,
                });
            }
            Some(Json::Object(o)) => o,
            // A feed id passes ssb-db's second signature, and then reads nothing.
            Some(Json::String(id)) => {
                return id.parse().map(History::empty).map_err(|_| feed_id_error());
            }
            Some(_) => return Err(feed_id_error()),
        };
        let feed: FeedId = opts
            .get("id")
            .and_then(Json::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or_else(feed_id_error)?;
        let typed = falsy_or(opts.get("seq"), true, false)
            && falsy_or(opts.get("limit"), true, false)
            && ["live", "keys", "values"]
                .iter()
                .all(|k| falsy_or(opts.get(*k), true, true));
        if !typed {
            return Err(feed_id_error());
        }
        // `opts.sequence || opts.seq || 0`, compared with the index's numbers: `true` sorts
        // before every number, strings and arrays after.
        let sequence = opts.get("sequence");
        let from = if truthy(sequence) {
            match sequence {
                Some(Json::Number(n)) => Some(n.as_f64().unwrap_or(0.0)),
                Some(Json::Bool(true)) => Some(f64::NEG_INFINITY),
                Some(Json::String(_) | Json::Array(_)) => None,
                // An object crashes ssb-db 20.4.1 (charwise cannot encode it): refused here.
                _ => {
                    return Err(RemoteError::new(
                        "createHistoryStream: sequence must be a number",
                    ));
                }
            }
        } else if truthy(opts.get("seq")) {
            opts.get("seq").and_then(Json::as_f64)
        } else {
            Some(0.0)
        };
        let Some(from) = from else {
            return Ok(History::empty(feed));
        };
        // leveldown reads `limit` as an int32 (default -1: no limit; 0: nothing).
        let limit = match opts.get("limit") {
            Some(Json::Number(n)) => Some(to_int32(n.as_f64().unwrap_or(0.0))),
            _ => None,
        }
        .filter(|l| *l >= 0);
        let keys = opts.get("keys") != Some(&Json::Bool(false));
        let values = opts.get("values") != Some(&Json::Bool(false));
        let old = opts.get("old") != Some(&Json::Bool(false));
        let latest = self.shared.feeds.latest(&feed).map_err(|e| {
            eprintln!("ssb serve: {e}");
            RemoteError::new("createHistoryStream: the store failed")
        })?;
        // The first sequence at or after `from` (sequences are whole numbers from 1).
        let next = if from <= 1.0 {
            1
        } else if from < 9.0e15 {
            from.ceil() as u64
        } else {
            u64::MAX
        };
        let mut end = if old { latest.saturating_add(1) } else { next };
        if let Some(l) = limit {
            end = end.min(next.saturating_add(u64::try_from(l).unwrap_or(u64::MAX)));
        }
        Ok(History {
            feed,
            next,
            end: end.max(next),
            keys,
            values,
            cursor: None,
        })
    }

    fn on_request(
        &mut self,
        conn: &mut Connection,
        id: RequestId,
        r: Request,
    ) -> Result<(), NetError> {
        let Some(rpc) = conn.endpoint() else {
            return Ok(());
        };
        let name: Vec<&str> = r.name.iter().map(String::as_str).collect();
        match (r.kind, name.as_slice()) {
            (CallType::Async, ["manifest"]) => {
                soft(rpc.respond(id, Ok(Body::Json(manifest(self.shared.ebt.is_some())))))
            }
            (CallType::Async, ["whoami"]) => soft(rpc.respond(id, Ok(Body::Json(self.me.clone())))),
            (CallType::Source, ["createHistoryStream"]) => match self.history(&r.args) {
                Ok(h) => {
                    self.streams.insert(id, Open::History(h));
                }
                Err(e) => soft(rpc.reject(id, e)),
            },
            (CallType::Duplex, ["gossip", "ping"]) => {
                self.streams.insert(id, Open::Ping);
            }
            (CallType::Source, ["blobs", "createWants"]) => {
                soft(rpc.send(id, Body::Json(json!({}))));
                self.streams.insert(id, Open::Quiet);
            }
            (CallType::Source, ["blobs", "changes"]) => {
                self.streams.insert(id, Open::Quiet);
            }
            (CallType::Duplex, ["ebt", "replicate"]) if self.ebt.is_none() => {
                match (&self.shared.ebt, &self.shared.feeds, self.peer_key) {
                    (Some(ebt), Feeds::Db(db), Some(peer)) => {
                        self.ebt = Some((id, ebt.open(db, peer)));
                        self.ebt_busy = true;
                    }
                    _ => soft(rpc.reject(id, RemoteError::no_such_method(r.kind, &r.name))),
                }
            }
            (kind, _) => soft(rpc.reject(id, RemoteError::no_such_method(kind, &r.name))),
        }
        Ok(())
    }

    fn on_event(&mut self, conn: &mut Connection, ev: Event) -> Result<(), NetError> {
        match ev {
            // Everyone on the network key may connect: only public data is served.
            Event::Authenticate(pk) => {
                self.peer_key = Some(FeedId::from(pk));
                conn.accept()?;
            }
            Event::Rpc(Rpc::Request { id, request }) => self.on_request(conn, id, request)?,
            Event::Rpc(Rpc::Readable(id)) => {
                let Some(rpc) = conn.endpoint() else {
                    return Ok(());
                };
                let ebt = self.ebt.as_ref().is_some_and(|(e, _)| *e == id);
                while let Some(item) = rpc.read(id) {
                    match item {
                        StreamItem::Data(body) if ebt => {
                            self.ebt_input(body);
                            self.ebt_busy = true;
                        }
                        StreamItem::End(_) if ebt => self.ebt_close(),
                        StreamItem::Data(_) => {
                            if matches!(self.streams.get(&id), Some(Open::Ping)) {
                                soft(rpc.send(id, Body::Json(json!(now_ms() as f64))));
                            }
                        }
                        // The peer ended (or aborted) it; the endpoint has answered.
                        StreamItem::End(_) => {
                            self.streams.remove(&id);
                        }
                    }
                }
            }
            Event::Rpc(Rpc::Goodbye) => {
                self.streams.clear();
                self.ebt_close();
            }
            Event::Rpc(Rpc::Response { .. }) | Event::Connected { .. } | Event::Closed => {}
        }
        Ok(())
    }

    /// Sends history items until [`PRODUCE_WATERMARK`] bytes are queued. True if it sent any.
    fn produce(&mut self, conn: &mut Connection) -> Result<bool, NetError> {
        let ebt_sent = self.ebt_produce(conn)?;
        let Some(rpc) = conn.endpoint() else {
            return Ok(false);
        };
        let mut ids: Vec<RequestId> = self
            .streams
            .iter()
            .filter(|(_, s)| matches!(s, Open::History(_)))
            .map(|(id, _)| *id)
            .collect();
        if ids.is_empty() {
            return Ok(ebt_sent);
        }
        ids.sort_unstable();
        self.turn = self.turn.wrapping_add(1);
        let start = self.turn % ids.len();
        ids.rotate_left(start);
        let mut sent = false;
        for id in ids {
            let Some(Open::History(h)) = self.streams.get_mut(&id) else {
                continue;
            };
            let mut failed = false;
            while h.next < h.end && rpc.transmit_len() < PRODUCE_WATERMARK {
                let body = match self.shared.feeds.next_body(h) {
                    Ok(Some(body)) => body,
                    Ok(None) => {
                        h.end = h.next;
                        break;
                    }
                    Err(e) => {
                        eprintln!("ssb serve: {e}");
                        failed = true;
                        break;
                    }
                };
                if let Err(e) = rpc.send(id, body) {
                    // The peer ended the stream (its end is still unread), or said goodbye.
                    if is_gone(&e) {
                        h.end = h.next;
                        break;
                    }
                    return Err(e.into());
                }
                h.next += 1;
                sent = true;
            }
            if failed || h.next >= h.end {
                let r = if failed {
                    let e = RemoteError::new("createHistoryStream: the store failed");
                    rpc.end_with_error(id, e)
                } else {
                    rpc.end(id)
                };
                if let Err(e) = r
                    && !is_gone(&e)
                {
                    return Err(e.into());
                }
                self.streams.remove(&id);
                sent = true;
            }
            if rpc.transmit_len() >= PRODUCE_WATERMARK {
                break;
            }
        }
        Ok(sent || ebt_sent)
    }
}

/// The stream (or the whole connection) is gone: the peer ended it or said goodbye.
fn is_gone(e: &LocalError) -> bool {
    matches!(
        e,
        LocalError::AlreadyEnded(_) | LocalError::UnknownRequest(_) | LocalError::Closed
    )
}

/// An answer that cannot be sent because the peer is gone (its end or goodbye came first)
/// is dropped: there is no one to send it to. (The endpoint stops input while its transmit
/// queue is full, so a full queue cannot be the reason.)
fn soft(r: Result<(), LocalError>) {
    let _ = r;
}

/// Serves one connection until it ends, fails or times out.
fn serve_connection(sock: TcpStream, shared: &Shared) -> Result<(), NetError> {
    sock.set_nodelay(true)?;
    let conn = Connection::server_with_rng(
        shared.net.clone(),
        &shared.keys,
        &mut rand_core::OsRng,
        ssb_connection::Config::default(),
    );
    let mut link = Link::new(conn, sock)?;
    let mut peer = Peer::new(shared);
    let r = run_connection(&mut link, &mut peer, shared);
    // However it ended, the EBT session ends with it (its clock is stored).
    peer.ebt_close();
    r
}

fn run_connection(link: &mut Link, peer: &mut Peer<'_>, shared: &Shared) -> Result<(), NetError> {
    let started = Instant::now();
    let mut last_output = started;
    let mut closing: Option<Instant> = None;
    loop {
        match link.next_event(peer.wait())? {
            Next::Event(ev) => peer.on_event(link.conn(), ev)?,
            Next::Idle => {}
            Next::Ended => return Ok(()),
        }
        peer.ebt_poll();
        if link.conn().is_open() && peer.produce(link.conn())? {
            last_output = Instant::now();
        }
        let now = Instant::now();
        if !link.conn().is_open() && now.duration_since(started) > HANDSHAKE_TIMEOUT {
            return Err(NetError::Timeout("during the handshake"));
        }
        let idle = now.duration_since(link.last_input().max(last_output)) > IDLE_TIMEOUT;
        if closing.is_none() && (idle || shared.shutdown.load(Ordering::Relaxed)) {
            if !link.conn().is_open() {
                return Err(NetError::Timeout(
                    "before the handshake completed (shutdown)",
                ));
            }
            link.conn().close();
            closing = Some(now);
        }
        if closing.is_some_and(|t| now.duration_since(t) > CLOSE_GRACE) {
            return Err(NetError::Timeout("waiting for the peer's goodbye"));
        }
    }
}
