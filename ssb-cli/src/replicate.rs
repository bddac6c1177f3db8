//! `ssb replicate ADDRESS --feed @ID [--feed @ID]... [--store DIR] [--secret FILE]
//! [--caps B64] [--hmac-key B64] [--legacy] [--timeout SECONDS]`: a one-shot replication
//! client.
//!
//! Connects to ADDRESS, replicates the named feeds into the feed store and exits once the
//! peer has nothing newer. The session is EBT (`ebt.replicate`, a duplex, with
//! `{version: 3, format: "classic"}`), driven by `ssb-replication`'s engine: its reads are
//! served from the store, each received message is validated with `ssb-feed` against the
//! store's latest state of its feed and stored (in transactions of at most [`BATCH`]
//! messages). If the peer has no EBT (`legacy::ebt_unsupported` recognises its error) or
//! with `--legacy`, each feed is pulled with `createHistoryStream` from the stored sequence
//! plus one instead.
//!
//! EBT has no "done": a feed is finished when we hold the sequence the peer claims for it,
//! or the peer says it does not replicate it (`-1`), or it sent an invalid message for it.
//!
//! Output: one line `{"feed":"@…","sequence":N}` per `--feed` (N: the latest stored, 0 for
//! none). Exit status: 0 success; 1 the peer sent an invalid message (named on stderr: feed,
//! sequence, error code; the feed is blocked from that peer, the others keep replicating);
//! 2 usage, store, connection or timeout errors.

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ssb_crypto::{FeedId, NetShs, NetworkKey};
use ssb_feed::{FeedError, HmacKey, Message, SignCap, Validator};
use ssb_muxrpc::{Body, CallError, CallType, Event as Rpc, RequestId, StreamItem};
use ssb_replication::{
    Config, Engine, Incoming, NotReceiving, PeerClock, Receiving, Role, Transmit, classify, legacy,
};

use crate::error::CliError;
use crate::net::{Client, NetError, Next};
use crate::store::{FeedStore, NewMessage};

/// The default `--timeout` in seconds: the whole run, connecting to goodbye.
pub(crate) const DEFAULT_TIMEOUT_SECS: &str = "600";
/// Received messages stored in one transaction (at most; fewer when the peer pauses).
pub(crate) const BATCH: usize = 1000;
/// The longest one wait for input lasts before the engine's timer runs again.
const STEP: Duration = Duration::from_millis(100);
/// The longest the goodbye may take once replication is done.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Replicate feeds from a peer into the feed store
///
/// Connects to ADDRESS with the secret handshake as --secret and replicates each --feed over
/// EBT (ebt.replicate, as ssb-ebt 9 does): every message is validated with ssb-feed against
/// the store's latest state of its feed and stored. A peer without EBT (or --legacy) is
/// asked with createHistoryStream per feed instead, from the stored sequence plus one.
///
/// A feed is finished when the store holds the sequence the peer claims for it (or the peer
/// does not replicate it); then {"feed":"@…","sequence":N} is printed for every --feed (N
/// the latest stored sequence, 0 for none) and the command exits.
///
/// Exit status: 0 success, 1 the peer sent an invalid message (named on stderr: feed,
/// sequence, error code; that feed is no longer taken from the peer, the others go on), 2
/// usage, store, connection or timeout errors.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The peer's multiserver address, net:HOST:PORT~shs:KEY (of a ;-separated list, the
    /// first net+shs one)
    #[arg(value_name = "ADDRESS", value_parser = crate::values::multiserver_address)]
    address: NetShs,
    /// A feed to replicate (repeat for more)
    #[arg(long = "feed", value_name = "@ID", required = true, value_parser = crate::values::feed_id)]
    feeds: Vec<FeedId>,
    /// The store directory [default: ~/.ssb/ssb-rs]
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// Our secret file [default: ~/.ssb/secret]
    #[arg(long, value_name = "FILE")]
    secret: Option<PathBuf>,
    /// The network key (caps.shs), base64 or 64 hex digits [default: the main network]
    #[arg(long, value_name = "B64", value_parser = crate::values::network_key)]
    caps: Option<NetworkKey>,
    /// The network's HMAC signing key (caps.sign; absent on the main network)
    #[arg(long, value_name = "B64", value_parser = crate::values::hmac_key)]
    hmac_key: Option<HmacKey>,
    /// Use createHistoryStream per feed, not EBT
    #[arg(long)]
    legacy: bool,
    /// Give up after this many seconds (exit 2; what was stored is kept)
    #[arg(long, value_name = "SECONDS", value_parser = crate::values::seconds, default_value = DEFAULT_TIMEOUT_SECS)]
    timeout: Duration,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn net_error(e: &NetError) -> CliError {
    CliError::input(e.to_string())
}

/// The store, the validator resumed from it, and the validated messages not stored yet.
struct Sink {
    store: FeedStore,
    validator: Validator,
    /// Validated messages with their bytes and receive time, stored at the next flush.
    batch: Vec<(Message, Vec<u8>, f64)>,
    /// Invalid messages: `feed sequence N: code (error)`.
    failures: Vec<String>,
    /// Messages stored in this run.
    stored: u64,
    /// The last receive time given (kept increasing).
    last_received: f64,
}

/// What [`Sink::take`] did with a message.
enum Taken {
    /// Valid: stored at the next flush.
    Valid,
    /// Refused with a fatal error (fork, bad signature, …): the peer sent an invalid message.
    Invalid,
    /// Refused for another reason (not the next message, a duplicate): ignored.
    Ignored,
}

impl Sink {
    fn new(store: FeedStore, cap: SignCap, feeds: &[FeedId]) -> Result<Self, CliError> {
        let mut validator = Validator::new(cap);
        for f in feeds {
            if let Some(state) = store
                .latest(f)
                .map_err(|e| CliError::input(e.to_string()))?
            {
                validator.set_state(*f, state);
            }
        }
        Ok(Self {
            store,
            validator,
            batch: Vec::new(),
            failures: Vec::new(),
            stored: 0,
            last_received: 0.0,
        })
    }

    /// Our latest sequence of `feed`, counting messages not stored yet.
    fn latest(&self, feed: &FeedId) -> u64 {
        self.validator
            .state(feed)
            .and_then(|s| u64::try_from(s.sequence).ok())
            .unwrap_or(0)
    }

    /// Validates `text`, a message `feed` should have, as the next one of its author.
    fn take(&mut self, feed: &FeedId, sequence: u64, text: &[u8]) -> Result<Taken, CliError> {
        let value = match ssb_legacy_json::parse(text) {
            Ok(v) => v,
            Err(e) => {
                self.failures
                    .push(format!("{feed} sequence {sequence}: invalid_json ({e})"));
                return Ok(Taken::Invalid);
            }
        };
        match self.validator.append_value(value) {
            Ok(m) if m.author() != *feed => {
                self.failures.push(format!(
                    "{feed} sequence {sequence}: wrong_author (a message of {})",
                    m.author()
                ));
                Ok(Taken::Invalid)
            }
            Ok(m) => {
                let received = (now_ms() as f64).max(self.last_received + 1.0);
                self.last_received = received;
                self.batch.push((m, text.to_vec(), received));
                if self.batch.len() >= BATCH {
                    self.flush()?;
                }
                Ok(Taken::Valid)
            }
            Err(e) if e.is_fatal() || matches!(e, FeedError::Json(_)) => {
                self.failures
                    .push(format!("{feed} sequence {sequence}: {} ({e})", e.code()));
                Ok(Taken::Invalid)
            }
            Err(_) => Ok(Taken::Ignored),
        }
    }

    /// Stores the validated messages (one transaction).
    fn flush(&mut self) -> Result<(), CliError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch: Vec<NewMessage<'_>> = self
            .batch
            .iter()
            .map(|(m, b, r)| NewMessage {
                message: m,
                bytes: b,
                received: *r,
            })
            .collect();
        self.store
            .append(&batch)
            .map_err(|e| CliError::input(e.to_string()))?;
        self.stored += batch.len() as u64;
        self.batch.clear();
        Ok(())
    }
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let deadline = Instant::now() + args.timeout;
    let path = crate::secret::path(args.secret.as_deref())?;
    let keys = crate::secret::load(&path)?;
    let cap = args.hmac_key.map_or(SignCap::None, SignCap::Hmac);
    let dir = crate::import::store_dir(args.store)?;
    let store = FeedStore::open(&dir, &cap).map_err(|e| CliError::input(e.to_string()))?;
    let mut feeds = args.feeds;
    feeds.dedup();
    let mut sink = Sink::new(store, cap, &feeds)?;
    let net = args.caps.unwrap_or(NetworkKey::MAIN_NET);
    let mut client =
        Client::connect(&args.address, &keys, &net, true, deadline).map_err(|e| net_error(&e))?;
    let me = FeedId::from(keys.public()).to_string();
    let progress = std::io::stderr().is_terminal();

    let outcome = if args.legacy {
        legacy_pull(&mut client, &mut sink, &feeds, deadline, progress)
    } else {
        match ebt(&mut client, &mut sink, &me, &feeds, deadline, progress) {
            Ok(Ebt::Done) => Ok(()),
            Ok(Ebt::Unsupported(why)) => {
                if progress {
                    eprintln!("ssb replicate: the peer has no EBT ({why}): createHistoryStream");
                }
                legacy_pull(&mut client, &mut sink, &feeds, deadline, progress)
            }
            Err(e) => Err(e),
        }
    };
    // What was validated is kept, whatever happened after.
    sink.flush()?;
    outcome?;
    let _ = client.close(Instant::now() + CLOSE_TIMEOUT);

    let mut out = std::io::stdout().lock();
    for f in &feeds {
        let line = serde_json::json!({"feed": f.to_string(), "sequence": sink.latest(f)});
        writeln!(out, "{line}").map_err(|e| CliError::input(format!("stdout: {e}")))?;
    }
    out.flush()
        .map_err(|e| CliError::input(format!("stdout: {e}")))?;
    if sink.failures.is_empty() {
        if progress {
            eprintln!("ssb replicate: {} messages stored", sink.stored);
        }
        Ok(ExitCode::SUCCESS)
    } else {
        for f in &sink.failures {
            eprintln!("ssb replicate: invalid message: {f}");
        }
        Ok(ExitCode::from(1))
    }
}

/// How an EBT session ended.
enum Ebt {
    /// Every feed is finished.
    Done,
    /// The peer has no `ebt.replicate` (its error message).
    Unsupported(String),
}

fn body_bytes(body: Body) -> Vec<u8> {
    match body {
        Body::RawJson(t) | Body::Text(t) => t.into_bytes(),
        Body::Json(v) => v.to_string().into_bytes(),
        Body::Binary(b) => b,
    }
}

/// Runs one EBT session as the client until every feed is finished.
fn ebt(
    client: &mut Client,
    sink: &mut Sink,
    me: &str,
    feeds: &[FeedId],
    deadline: Instant,
    progress: bool,
) -> Result<Ebt, CliError> {
    let peer = FeedId::from(client.peer()).to_string();
    let names: Vec<String> = feeds.iter().map(FeedId::to_string).collect();
    let by_name: BTreeMap<&str, FeedId> = names
        .iter()
        .map(String::as_str)
        .zip(feeds.iter().copied())
        .collect();
    let mut engine: Engine<String> = Engine::new(me, Config::default());
    engine.set_local_clock(
        feeds
            .iter()
            .zip(&names)
            .filter_map(|(f, n)| Some((n.as_str(), Some(sink.latest(f)).filter(|s| *s > 0)?))),
    );
    for n in &names {
        engine.follow(n, true);
    }
    engine.connect(&peer, Role::Client);
    engine
        .load_peer_clock(&peer, &PeerClock::new())
        .map_err(|e| CliError::input(e.to_string()))?;
    let id = client
        .endpoint()
        .and_then(|e| {
            e.call(
                CallType::Duplex,
                &legacy::REPLICATE_METHOD,
                vec![legacy::replicate_args()],
            )
            .map_err(NetError::from)
        })
        .map_err(|e| net_error(&e))?;
    let mut got_notes = false;
    let mut last_report = Instant::now();
    loop {
        let now = now_ms();
        engine.tick(now);
        drain(client, &mut engine, sink, &peer, &by_name, id)?;
        if got_notes && finished(&engine, &names, now) {
            sink.flush()?;
            if let Ok(e) = client.endpoint() {
                let _ = e.end(id);
            }
            return Ok(Ebt::Done);
        }
        if progress && last_report.elapsed() > Duration::from_secs(1) {
            last_report = Instant::now();
            let have: u64 = feeds.iter().map(|f| sink.latest(f)).sum();
            eprint!("\rssb replicate: {have} messages held");
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(CliError::input("timed out replicating"));
        }
        match client.step(left.min(STEP)).map_err(|e| net_error(&e))? {
            Next::Idle => sink.flush()?,
            Next::Ended => return Err(CliError::input("the peer closed the connection")),
            Next::Event(ssb_connection::Event::Rpc(Rpc::Readable(r))) if r == id => {}
            Next::Event(_) => continue,
        }
        // Read what the stream holds (validating first whenever the engine's queue is full,
        // so that nothing is dropped).
        loop {
            if engine.validation_queue_full() {
                drain(client, &mut engine, sink, &peer, &by_name, id)?;
            }
            let Some(item) = client.endpoint().ok().and_then(|e| e.read(id)) else {
                break;
            };
            match item {
                StreamItem::Data(body) => {
                    let text = body_bytes(body);
                    let Ok(value) = ssb_legacy_json::parse(&text) else {
                        sink.failures
                            .push(format!("from {peer}: a stream item that is not JSON"));
                        continue;
                    };
                    match classify(&value) {
                        Ok(Incoming::Notes(notes)) => {
                            got_notes = true;
                            engine
                                .handle_notes(&peer, &notes, now)
                                .map_err(|e| CliError::input(e.to_string()))?;
                        }
                        Ok(Incoming::Message { author, sequence }) => {
                            let text = String::from_utf8_lossy(&text).into_owned();
                            engine
                                .handle_message(&peer, author, sequence, text, now)
                                .map_err(|e| CliError::input(e.to_string()))?;
                        }
                        Ok(_) => {}
                        Err(e) => sink.failures.push(format!("from {peer}: notes: {e}")),
                    }
                }
                StreamItem::End(Ok(())) => {
                    return if got_notes && finished(&engine, &names, now) {
                        Ok(Ebt::Done)
                    } else {
                        Err(CliError::input("the peer ended the EBT stream"))
                    };
                }
                StreamItem::End(Err(CallError::Remote(e))) => {
                    if !got_notes && legacy::ebt_unsupported(&e.message).is_some() {
                        return Ok(Ebt::Unsupported(e.message));
                    }
                    return Err(CliError::input(format!(
                        "the peer ended the EBT stream: {}",
                        e.message
                    )));
                }
                StreamItem::End(Err(e)) => {
                    return Err(CliError::input(format!("the EBT stream failed: {e}")));
                }
            }
        }
    }
}

/// Drains the engine: reads from the store, validations, writes to the peer.
fn drain(
    client: &mut Client,
    engine: &mut Engine<String>,
    sink: &mut Sink,
    peer: &str,
    by_name: &BTreeMap<&str, FeedId>,
    id: RequestId,
) -> Result<(), CliError> {
    loop {
        let mut busy = false;
        while let Some(read) = engine.poll_read() {
            busy = true;
            let (Some(seq), Some(feed)) = (read.sequence_u64(), by_name.get(&*read.feed)) else {
                continue;
            };
            if let Some(m) = sink
                .store
                .get(feed, seq)
                .map_err(|e| CliError::input(e.to_string()))?
            {
                engine.on_read(&read.feed, seq, m.value_json());
            }
        }
        if let Some(v) = engine.poll_validate() {
            busy = true;
            if let Some(feed) = by_name.get(&*v.author) {
                match sink.take(feed, v.sequence, v.msg.as_bytes())? {
                    Taken::Valid => {
                        engine.on_append(&v.author, v.sequence, v.msg);
                    }
                    Taken::Invalid => engine.on_invalid(&v.peer, &v.author),
                    Taken::Ignored => {}
                }
            }
        }
        while let Some(out) = engine.poll_transmit(peer) {
            busy = true;
            let ep = client.endpoint().map_err(|e| net_error(&e))?;
            let sent = match out {
                Transmit::Message(m) => ep.send(id, Body::RawJson(m)),
                Transmit::Notes(n) => ep.send(id, Body::RawJson(n.to_json_string())),
                Transmit::End(_) => ep.end(id),
            };
            sent.map_err(|e| CliError::input(e.to_string()))?;
        }
        if !busy {
            return Ok(());
        }
    }
}

/// Whether every feed is finished: we hold what the peer claims, or it does not replicate
/// the feed, or it is blocked from it (an invalid message).
fn finished(engine: &Engine<String>, names: &[String], now: u64) -> bool {
    names.iter().all(|n| {
        let status = engine.feed_status(n, now);
        let ours = status.our_sequence.unwrap_or(0);
        status.peers.iter().all(|p| match &p.receiving {
            Receiving::No(NotReceiving::AuthorBlocksPeer | NotReceiving::PeerDoesNotReplicate) => {
                true
            }
            _ => match p.claimed.as_u64() {
                Some(c) => c <= ours,
                None => p.claimed.to_number() < 0.0,
            },
        })
    })
}

/// Pulls each feed with `createHistoryStream` from the stored sequence plus one.
fn legacy_pull(
    client: &mut Client,
    sink: &mut Sink,
    feeds: &[FeedId],
    deadline: Instant,
    progress: bool,
) -> Result<(), CliError> {
    for feed in feeds {
        let from = sink.latest(feed).saturating_add(1);
        let args = legacy::history_stream_args(&feed.to_string(), from, false, false);
        let id = client
            .open(CallType::Source, &legacy::HISTORY_STREAM_METHOD, vec![args])
            .map_err(|e| net_error(&e))?;
        let mut expect = from;
        loop {
            match client.next_item(id, deadline).map_err(|e| net_error(&e))? {
                StreamItem::Data(body) => {
                    match sink.take(feed, expect, &body_bytes(body))? {
                        Taken::Valid => expect = expect.saturating_add(1),
                        Taken::Invalid => {
                            // The rest of this feed from this peer is not taken.
                            let _ = client.endpoint().map(|e| e.abandon(id));
                            break;
                        }
                        Taken::Ignored => {}
                    }
                }
                StreamItem::End(Ok(())) => break,
                StreamItem::End(Err(e)) => {
                    return Err(CliError::input(format!(
                        "createHistoryStream of {feed}: {e}"
                    )));
                }
            }
        }
        sink.flush()?;
        if progress {
            eprintln!("ssb replicate: {feed}: {}", sink.latest(feed));
        }
    }
    Ok(())
}
