//! `ssb replicate ADDRESS --feed @ID [--feed @ID]... [--store DIR] [--secret FILE]
//! [--caps B64] [--hmac-key B64] [--legacy] [--timeout SECONDS] [--verbose]`: a one-shot
//! replication client.
//!
//! Connects to ADDRESS, replicates the named feeds into the feed store and exits once the
//! peer has nothing newer. The session is EBT (`ebt.replicate`, a duplex, with
//! `{version: 3, format: "classic"}`), driven by `ssb-replication`'s engine: its reads are
//! served from the store; received messages are validated with `ssb-feed` against the
//! store's latest state of their feed, in batches on a validation thread (signatures on
//! every core), and stored by a writer thread (transactions of at most [`BATCH`]
//! messages), while the network thread goes on reading. If the peer has no EBT
//! (`legacy::ebt_unsupported` recognises its error, or it neither answers nor refuses the
//! call within [`EBT_ANSWER_TIMEOUT`]) or with `--legacy`, each feed is pulled with
//! `createHistoryStream` from the stored sequence plus one instead.
//!
//! The peer's clock (what it has of each feed, as the session learned it) is kept in the
//! store when the session ends and loaded when the next starts, so feeds that did not
//! change since are not mentioned again (request skipping, as `ssb-ebt` does).
//!
//! EBT has no "done": a feed is finished when we hold the sequence the peer claims for it,
//! or the peer says it does not replicate it (`-1`), or it sent an invalid message for it,
//! or it has not mentioned the feed [`UNANSWERED_GRACE`] after its first notes (a JS peer
//! answers every feed at once; this is for peers that never do).
//!
//! Output: one line `{"feed":"@…","sequence":N}` per `--feed` (N: the latest stored, 0 for
//! none). Exit status: 0 success; 1 the peer sent an invalid message (named on stderr: feed,
//! sequence, error code; the feed is blocked from that peer, the others keep replicating);
//! 2 usage, store, connection or timeout errors.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ssb_crypto::{FeedId, NetShs, NetworkKey};
use ssb_feed::{FeedError, HmacKey, Item, Message, SignCap, Validator, validate_feeds};
use ssb_legacy_json::Value;
use ssb_muxrpc::{Body, CallError, CallType, Event as Rpc, RequestId, StreamItem};
use ssb_replication::{
    Config, Engine, Incoming, NotReceiving, PeerClock, Receiving, Role, Transmit, Validate,
    classify, legacy,
};

use crate::error::CliError;
use crate::net::{Client, NetError, Next};
use crate::received::{ReceiveClock, now_ms, refusal_code};
use crate::store::{FeedStore, NewMessage, Prepared, StoredMessage, Writer};
use rayon::iter::{IntoParallelIterator as _, ParallelIterator as _};

/// The default `--timeout` in seconds: the whole run, connecting to goodbye.
pub(crate) const DEFAULT_TIMEOUT_SECS: &str = "600";
/// Received messages stored in one transaction (at most; fewer when the peer pauses).
pub(crate) const BATCH: usize = 8000;
/// Received EBT messages validated at once once this many wait (fewer when input pauses):
/// enough for both cores to verify signatures in parallel.
const VALIDATE_BATCH: usize = 256;
/// History-stream items validated at once (at most).
const LEGACY_RUN: usize = 256;
/// A peer that neither answers `ebt.replicate` with notes nor refuses it this long after the
/// call is taken to have no EBT: the session is abandoned and the feeds are pulled with
/// `createHistoryStream` (a server writes its notes first, at once: JS does within
/// milliseconds).
pub(crate) const EBT_ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// A feed the peer has not mentioned this long after its first notes is finished as one it
/// does not replicate (a JS peer answers every feed asked for at once: this is for peers
/// that never answer).
pub(crate) const UNANSWERED_GRACE: Duration = Duration::from_secs(10);
/// The longest one wait for input lasts before the engine's timer runs again.
const STEP: Duration = Duration::from_millis(100);
/// The longest the goodbye may take once replication is done.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Replicate feeds from a peer into the feed store
///
/// Connects to ADDRESS with the secret handshake as --secret and replicates each --feed over
/// EBT (ebt.replicate, as ssb-ebt 9 does): every message is validated with ssb-feed against
/// the store's latest state of its feed and stored. A peer without EBT (its unknown-method
/// error, or no answer to ebt.replicate within 10 s), or --legacy, is
/// asked with createHistoryStream per feed instead, from the stored sequence plus one.
///
/// A feed is finished when the store holds the sequence the peer claims for it (or the peer
/// does not replicate it, or has not mentioned it 10 s after its first notes); then {"feed":"@…","sequence":N} is printed for every --feed (N
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
    /// Say on stderr how the feeds were replicated (EBT or createHistoryStream) and why a
    /// feed ended
    #[arg(long, short)]
    verbose: bool,
    /// Give up after this many seconds (exit 2; what was stored is kept)
    #[arg(long, value_name = "SECONDS", value_parser = crate::values::seconds, default_value = DEFAULT_TIMEOUT_SECS)]
    timeout: Duration,
}

fn net_error(e: &NetError) -> CliError {
    CliError::input(e.to_string())
}

/// A message as the engine holds it: its JSON text and, for one received and not validated
/// yet, the value it parsed to (so that validation does not parse it again).
#[derive(Debug, Clone, PartialEq)]
struct Msg {
    text: String,
    value: Option<Value>,
}

impl Msg {
    fn text(text: String) -> Self {
        Self { text, value: None }
    }
}

/// A message to validate: feed, sequence, bytes as received, the value they parse to.
type ToValidate = (FeedId, u64, Vec<u8>, Option<Value>);

/// What the validation thread is asked to do.
enum Job {
    /// Validate these messages (feed, sequence, bytes as received), in order, as successive
    /// appends would; answered with one [`Taken`] each.
    Validate(Vec<ToValidate>),
    /// Store everything validated so far and wait for it; answered with the count stored.
    Sync,
}

/// The validation thread's answers, in the order of the jobs.
enum Answer {
    /// The verdicts of a `Validate` job, and a line per invalid message.
    Verdicts(Vec<Taken>, Vec<String>),
    /// `Sync` is done: messages stored in this run.
    Synced(u64),
}

/// Validation and storing, off the network thread: received messages are validated in
/// batches on a thread of their own (its signatures checked in parallel by
/// `ssb_feed::validate_feeds`, the verdicts the sequential ones) and handed to the store's
/// [`Writer`] in transactions of at most [`BATCH`]; meanwhile the network thread goes on
/// reading. At most [`JOBS_IN_FLIGHT`] batches are out at once.
struct Sink {
    /// The store (read here; written by the validation thread's writer).
    store: Arc<FeedStore>,
    /// Our latest sequence of each feed, counting messages validated and not stored yet.
    latest: HashMap<FeedId, u64>,
    jobs: Option<SyncSender<Job>>,
    answers: Receiver<Result<Answer, String>>,
    thread: Option<JoinHandle<()>>,
    /// The engine's messages of each `Validate` job not answered yet.
    in_flight: VecDeque<Vec<Validate<Msg>>>,
    /// Invalid messages: `feed sequence N: code (error)`.
    failures: Vec<String>,
}

/// Validation batches handed to the validation thread and not answered yet (at most).
const JOBS_IN_FLIGHT: usize = 4;

/// What the validation thread did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Taken {
    /// Valid: stored with its batch.
    Valid,
    /// Refused with a fatal error (fork, bad signature, …): the peer sent an invalid message.
    Invalid,
    /// Refused for another reason (not the next message, a duplicate): ignored.
    Ignored,
}

fn store_error(e: &crate::store::StoreError) -> CliError {
    CliError::input(e.to_string())
}

/// The validation thread: owns the validator (resumed from the store) and the writer.
fn validation_thread(
    mut validator: Validator,
    mut writer: Writer,
    jobs: Receiver<Job>,
    answers: Sender<Result<Answer, String>>,
) {
    let mut batch: Vec<Prepared> = Vec::new();
    let mut clock = ReceiveClock::default();
    for job in jobs {
        let answer = match job {
            Job::Validate(msgs) => {
                let (taken, failures, valid) = validate_run(&mut validator, &mut clock, msgs);
                // The records are made in parallel too (`JSON.stringify` of each value).
                let prepared = valid
                    .into_par_iter()
                    .map(|(message, bytes, received)| {
                        Prepared::new(&NewMessage {
                            message: &message,
                            bytes: &bytes,
                            received,
                        })
                    })
                    .collect::<Result<Vec<_>, _>>();
                let prepared = match prepared {
                    Ok(p) => p,
                    Err(e) => {
                        let _ = answers.send(Err(e.to_string()));
                        return;
                    }
                };
                batch.extend(prepared);
                if batch.len() >= BATCH {
                    writer
                        .submit(std::mem::take(&mut batch))
                        .map(|()| Answer::Verdicts(taken, failures))
                } else {
                    Ok(Answer::Verdicts(taken, failures))
                }
            }
            Job::Sync => writer.sync(std::mem::take(&mut batch)).map(Answer::Synced),
        };
        let failed = answer.is_err();
        if answers.send(answer.map_err(|e| e.to_string())).is_err() || failed {
            return;
        }
    }
    // The network thread is gone: what was validated is still stored.
    let _ = writer.sync(batch);
}

/// A valid message, its bytes as received and its receive time.
type Valid = (Message, Vec<u8>, f64);

/// Validates `msgs` in order: the verdicts, a line per invalid message, the valid ones.
fn validate_run(
    validator: &mut Validator,
    clock: &mut ReceiveClock,
    mut msgs: Vec<ToValidate>,
) -> (Vec<Taken>, Vec<String>, Vec<Valid>) {
    let mut valid = Vec::with_capacity(msgs.len());
    // Each author's messages side by side (in their order): an author's state depends on
    // its own messages only, so the verdicts are those of the input order, and a run of one
    // author decodes its key once.
    let mut order: Vec<usize> = (0..msgs.len()).collect();
    order.sort_by_key(|&i| msgs.get(i).map(|m| m.0.to_bytes()));
    let mut items = Vec::with_capacity(order.len());
    for &i in &order {
        if let Some((_, _, text, value)) = msgs.get_mut(i) {
            items.push(match value.take() {
                Some(v) => Item::Value(v),
                None => Item::Bytes(text.clone()),
            });
        }
    }
    let mut results: Vec<Option<Result<Message, FeedError>>> =
        std::iter::repeat_with(|| None).take(msgs.len()).collect();
    for (i, r) in order
        .into_iter()
        .zip(validate_feeds(validator, items, false))
    {
        if let Some(slot) = results.get_mut(i) {
            *slot = Some(r);
        }
    }
    let results = results
        .into_iter()
        .map(|r| r.unwrap_or(Err(FeedError::NotAnObject)));
    let mut taken = Vec::with_capacity(results.len());
    let mut failures = Vec::new();
    for (r, (feed, sequence, text, _)) in results.zip(msgs) {
        taken.push(match r {
            Ok(m) if m.author() != feed => {
                failures.push(format!(
                    "{feed} sequence {sequence}: wrong_author (a message of {})",
                    m.author()
                ));
                Taken::Invalid
            }
            Ok(m) => {
                valid.push((m, text, clock.next()));
                Taken::Valid
            }
            Err(e) => match refusal_code(&e) {
                Some(code) => {
                    failures.push(format!("{feed} sequence {sequence}: {code} ({e})"));
                    Taken::Invalid
                }
                None => Taken::Ignored,
            },
        });
    }
    (taken, failures, valid)
}

impl Sink {
    fn new(store: FeedStore, cap: SignCap, feeds: &[FeedId]) -> Result<Self, CliError> {
        let mut validator = Validator::new(cap);
        let mut latest = HashMap::new();
        for f in feeds {
            if let Some(state) = store.latest(f).map_err(|e| store_error(&e))? {
                latest.insert(*f, u64::try_from(state.sequence).unwrap_or(0));
                validator.set_state(*f, state);
            }
        }
        let store = Arc::new(store);
        let writer = Writer::spawn(Arc::clone(&store)).map_err(|e| store_error(&e))?;
        let (jobs, job_rx) = std::sync::mpsc::sync_channel(JOBS_IN_FLIGHT);
        let (answer_tx, answers) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("validation".into())
            .spawn(move || validation_thread(validator, writer, job_rx, answer_tx))
            .map_err(|e| CliError::input(format!("cannot start the validation thread: {e}")))?;
        Ok(Self {
            store,
            latest,
            jobs: Some(jobs),
            answers,
            thread: Some(thread),
            in_flight: VecDeque::new(),
            failures: Vec::new(),
        })
    }

    /// Our latest sequence of `feed`, counting messages validated and not stored yet.
    fn latest(&self, feed: &FeedId) -> u64 {
        self.latest.get(feed).copied().unwrap_or(0)
    }

    fn send(&mut self, job: Job) -> Result<(), CliError> {
        let sent = self.jobs.as_ref().is_some_and(|j| j.send(job).is_ok());
        if sent {
            return Ok(());
        }
        // The thread stopped after a failure: its last answer says which.
        self.jobs = None;
        let why = self
            .answers
            .try_iter()
            .find_map(Result::err)
            .unwrap_or_else(|| "the validation thread stopped".to_owned());
        Err(CliError::input(why))
    }

    fn recv(&mut self, wait: Option<Duration>) -> Result<Option<Answer>, CliError> {
        let r = match wait {
            None => self.answers.recv().map_err(|_| true),
            Some(d) => self
                .answers
                .recv_timeout(d)
                .map_err(|e| matches!(e, std::sync::mpsc::RecvTimeoutError::Disconnected)),
        };
        match r {
            Ok(Ok(a)) => Ok(Some(a)),
            Ok(Err(why)) => Err(CliError::input(why)),
            Err(false) => Ok(None),
            Err(true) => Err(CliError::input("the validation thread stopped")),
        }
    }

    /// Whether another batch may be handed over now.
    fn has_room(&self) -> bool {
        self.in_flight.len() < JOBS_IN_FLIGHT
    }

    /// Whether batches are out.
    fn busy(&self) -> bool {
        !self.in_flight.is_empty()
    }

    /// Hands the engine's messages over for validation (those of feeds not asked for are
    /// left out: nothing is done with them).
    fn validate(
        &mut self,
        msgs: Vec<Validate<Msg>>,
        by_name: &BTreeMap<&str, FeedId>,
    ) -> Result<(), CliError> {
        let (msgs, job): (Vec<_>, Vec<_>) = msgs
            .into_iter()
            .filter_map(|v| {
                let feed = *by_name.get(&*v.author)?;
                let mut v = v;
                let job = (
                    feed,
                    v.sequence,
                    v.msg.text.as_bytes().to_vec(),
                    v.msg.value.take(),
                );
                Some((v, job))
            })
            .unzip();
        if msgs.is_empty() {
            return Ok(());
        }
        self.send(Job::Validate(job))?;
        self.in_flight.push_back(msgs);
        Ok(())
    }

    /// Applies the verdicts that came back (waiting up to `wait` for the first, `None`:
    /// for all); true if any came.
    fn collect(
        &mut self,
        engine: &mut Engine<Msg>,
        by_name: &BTreeMap<&str, FeedId>,
        wait: Option<Duration>,
    ) -> Result<bool, CliError> {
        let mut any = false;
        let mut wait = wait;
        while !self.in_flight.is_empty() {
            let Some(answer) = self.recv(wait)? else {
                break;
            };
            if let Some(w) = &mut wait {
                *w = Duration::ZERO;
            }
            let Answer::Verdicts(taken, failures) = answer else {
                return Err(CliError::input(
                    "the validation thread answered out of turn",
                ));
            };
            let msgs = self.in_flight.pop_front().unwrap_or_default();
            self.failures.extend(failures);
            for (v, t) in msgs.into_iter().zip(taken) {
                match t {
                    Taken::Valid => {
                        if let Some(feed) = by_name.get(&*v.author) {
                            self.latest.insert(*feed, v.sequence);
                        }
                        engine.on_append(&v.author, v.sequence, v.msg);
                    }
                    Taken::Invalid => engine.on_invalid(&v.peer, &v.author),
                    Taken::Ignored => {}
                }
            }
            any = true;
        }
        Ok(any)
    }

    /// Validates `msgs` (each a message the feed named should have, as received) and
    /// waits for the verdicts (the history-stream path, with no engine).
    fn validate_now(&mut self, msgs: Vec<ToValidate>) -> Result<Vec<Taken>, CliError> {
        if msgs.is_empty() {
            return Ok(Vec::new());
        }
        let feeds: Vec<(FeedId, u64)> = msgs.iter().map(|(f, q, _, _)| (*f, *q)).collect();
        self.send(Job::Validate(msgs))?;
        let Some(Answer::Verdicts(taken, failures)) = self.recv(None)? else {
            return Err(CliError::input(
                "the validation thread answered out of turn",
            ));
        };
        self.failures.extend(failures);
        for ((f, q), t) in feeds.iter().zip(&taken) {
            if *t == Taken::Valid {
                self.latest.insert(*f, *q);
            }
        }
        Ok(taken)
    }

    /// Stores everything validated so far and waits for it; the messages stored in this
    /// run. Batches still out are waited for (their verdicts reach no engine: call
    /// [`collect`](Self::collect) first where one runs).
    fn sync(&mut self) -> Result<u64, CliError> {
        while let Some(msgs) = self.in_flight.pop_front() {
            let Some(Answer::Verdicts(taken, failures)) = self.recv(None)? else {
                return Err(CliError::input(
                    "the validation thread answered out of turn",
                ));
            };
            self.failures.extend(failures);
            for (v, t) in msgs.iter().zip(taken) {
                if let (Taken::Valid, Ok(feed)) = (t, v.author.parse::<FeedId>()) {
                    self.latest.insert(feed, v.sequence);
                }
            }
        }
        self.send(Job::Sync)?;
        match self.recv(None)? {
            Some(Answer::Synced(n)) => Ok(n),
            _ => Err(CliError::input(
                "the validation thread answered out of turn",
            )),
        }
    }

    /// Stored message `sequence` of `feed`; when it is one validated but not stored yet,
    /// first waits for the batches out and the store.
    fn get(
        &mut self,
        engine: &mut Engine<Msg>,
        by_name: &BTreeMap<&str, FeedId>,
        feed: &FeedId,
        sequence: u64,
    ) -> Result<Option<StoredMessage>, CliError> {
        let m = self
            .store
            .get(feed, sequence)
            .map_err(|e| store_error(&e))?;
        if m.is_some() || sequence > self.latest(feed) {
            return Ok(m);
        }
        self.collect(engine, by_name, None)?;
        self.sync()?;
        self.store.get(feed, sequence).map_err(|e| store_error(&e))
    }
}

impl Drop for Sink {
    /// Lets the validation thread store what it validated.
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
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
    let verbose = args.verbose;

    let outcome = if args.legacy {
        if verbose {
            eprintln!("ssb replicate: createHistoryStream (--legacy)");
        }
        legacy_pull(&mut client, &mut sink, &feeds, deadline, progress)
    } else {
        match ebt(
            &mut client,
            &mut sink,
            &me,
            &feeds,
            deadline,
            progress,
            verbose,
        ) {
            Ok(Ebt::Done(unanswered)) => {
                if verbose {
                    eprintln!("ssb replicate: EBT (ebt.replicate)");
                    for f in unanswered {
                        eprintln!(
                            "ssb replicate: {f}: the peer did not mention it within {} s",
                            UNANSWERED_GRACE.as_secs()
                        );
                    }
                }
                Ok(())
            }
            Ok(Ebt::Unsupported(why)) => {
                if progress || verbose {
                    eprintln!("ssb replicate: the peer has no EBT ({why}): createHistoryStream");
                }
                legacy_pull(&mut client, &mut sink, &feeds, deadline, progress)
            }
            Err(e) => Err(e),
        }
    };
    // What was validated is kept, whatever happened after.
    let stored = sink.sync()?;
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
            eprintln!("ssb replicate: {stored} messages stored");
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
    /// Every feed is finished (these ones because the peer never mentioned them).
    Done(Vec<String>),
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
    verbose: bool,
) -> Result<Ebt, CliError> {
    let peer = FeedId::from(client.peer()).to_string();
    let names: Vec<String> = feeds.iter().map(FeedId::to_string).collect();
    let by_name: BTreeMap<&str, FeedId> = names
        .iter()
        .map(String::as_str)
        .zip(feeds.iter().copied())
        .collect();
    let mut engine: Engine<Msg> = Engine::new(me, Config::default());
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
    // The peer's clock as the last session left it: feeds that did not change since are
    // not mentioned again (request skipping, as ssb-ebt does).
    let peer_id = FeedId::from(client.peer());
    let stored = match sink.store.peer_clock(&peer_id) {
        Ok(Some(json)) => PeerClock::from_json(&json),
        Ok(None) => PeerClock::new(),
        Err(e) => {
            eprintln!("ssb replicate: the stored clock of {peer}: {e}; starting from none");
            PeerClock::new()
        }
    };
    if verbose {
        eprintln!(
            "ssb replicate: loaded a stored clock of {} feeds of {peer}",
            stored.len()
        );
    }
    engine
        .load_peer_clock(&peer, &stored)
        .map_err(|e| CliError::input(e.to_string()))?;
    let outcome = ebt_session(
        client,
        sink,
        &mut engine,
        &peer,
        &names,
        &by_name,
        feeds,
        deadline,
        progress,
    );
    // Whatever happened, what we learned of the peer's clock is kept for the next session.
    if let Some(c) = engine.disconnect(&peer).and_then(|c| c.clock)
        && let Err(e) = sink.store.set_peer_clock(&peer_id, &c.to_json())
    {
        eprintln!("ssb replicate: storing the clock of {peer}: {e}");
    }
    outcome
}

/// The EBT session itself, until every feed is finished.
#[allow(
    clippy::too_many_arguments,
    reason = "the session's parts, set up by `ebt`"
)]
fn ebt_session(
    client: &mut Client,
    sink: &mut Sink,
    engine: &mut Engine<Msg>,
    peer: &str,
    names: &[String],
    by_name: &BTreeMap<&str, FeedId>,
    feeds: &[FeedId],
    deadline: Instant,
    progress: bool,
) -> Result<Ebt, CliError> {
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
    let called = Instant::now();
    // When the peer's first notes came: feeds it has not mentioned UNANSWERED_GRACE later
    // are finished.
    let mut notes_at: Option<Instant> = None;
    let mut last_report = Instant::now();
    // Whether the last step found no input waiting: then what was received is validated
    // even if fewer than VALIDATE_BATCH wait.
    let mut paused = true;
    loop {
        let now = now_ms();
        engine.tick(now);
        sink.collect(engine, by_name, Some(Duration::ZERO))?;
        let validate =
            sink.has_room() && (paused || engine.pending_validations() >= VALIDATE_BATCH);
        drain(client, engine, sink, peer, by_name, id, validate)?;
        let grace_over = notes_at.is_some_and(|t| t.elapsed() >= UNANSWERED_GRACE);
        if got_notes && !sink.busy() && finished(engine, names, now, grace_over) {
            if let Ok(e) = client.endpoint() {
                let _ = e.end(id);
            }
            return Ok(Ebt::Done(unanswered(engine, names, now)));
        }
        if progress && last_report.elapsed() > Duration::from_secs(1) {
            last_report = Instant::now();
            let have: u64 = feeds.iter().map(|f| sink.latest(f)).sum();
            eprint!("\rssb replicate: {have} messages held");
        }
        if !got_notes && called.elapsed() >= EBT_ANSWER_TIMEOUT {
            // Neither notes nor an error: this peer does not do EBT with us.
            if let Ok(e) = client.endpoint() {
                let _ = e.abandon(id);
            }
            return Ok(Ebt::Unsupported(format!(
                "no answer to ebt.replicate within {} s",
                EBT_ANSWER_TIMEOUT.as_secs()
            )));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(CliError::input("timed out replicating"));
        }
        // Messages waiting for validation: only look for more input, do not wait for it.
        let wait = if engine.pending_validations() > 0 || sink.busy() {
            Duration::ZERO
        } else {
            left.min(STEP)
        };
        paused = false;
        match client.step(wait).map_err(|e| net_error(&e))? {
            Next::Idle => {
                paused = true;
                // Nothing to read: wait for the validation thread instead.
                if sink.busy() && !sink.has_room() || engine.pending_validations() == 0 {
                    sink.collect(engine, by_name, Some(STEP))?;
                }
            }
            Next::Ended => return Err(CliError::input("the peer closed the connection")),
            Next::Event(ssb_connection::Event::Rpc(Rpc::Readable(r))) if r == id => {}
            Next::Event(_) => continue,
        }
        // Read what the stream holds (validating first whenever the engine's queue is full,
        // so that nothing is dropped).
        loop {
            if engine.validation_queue_full() {
                if !sink.has_room() {
                    sink.collect(engine, by_name, None)?;
                }
                drain(client, engine, sink, peer, by_name, id, true)?;
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
                            notes_at.get_or_insert_with(Instant::now);
                            engine
                                .handle_notes(peer, &notes, now)
                                .map_err(|e| CliError::input(e.to_string()))?;
                        }
                        Ok(Incoming::Message { author, sequence }) => {
                            let author = author.to_owned();
                            let text = String::from_utf8(text).unwrap_or_else(|e| {
                                String::from_utf8_lossy(e.as_bytes()).into_owned()
                            });
                            engine
                                .handle_message(
                                    peer,
                                    &author,
                                    sequence,
                                    Msg {
                                        text,
                                        value: Some(value),
                                    },
                                    now,
                                )
                                .map_err(|e| CliError::input(e.to_string()))?;
                        }
                        Ok(_) => {}
                        Err(e) => sink.failures.push(format!("from {peer}: notes: {e}")),
                    }
                }
                StreamItem::End(Ok(())) => {
                    sink.collect(engine, by_name, None)?;
                    return if got_notes && finished(engine, names, now, true) {
                        Ok(Ebt::Done(unanswered(engine, names, now)))
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
    engine: &mut Engine<Msg>,
    sink: &mut Sink,
    peer: &str,
    by_name: &BTreeMap<&str, FeedId>,
    id: RequestId,
    validate: bool,
) -> Result<(), CliError> {
    loop {
        let mut busy = false;
        while let Some(read) = engine.poll_read() {
            busy = true;
            let (Some(seq), Some(feed)) = (read.sequence_u64(), by_name.get(&*read.feed)) else {
                continue;
            };
            if let Some(m) = sink.get(engine, by_name, feed, seq)? {
                engine.on_read(&read.feed, seq, Msg::text(m.value_json()));
            }
        }
        // Every message waiting goes to the validation thread as one batch.
        if validate && sink.has_room() && engine.pending_validations() > 0 {
            let mut pending = Vec::with_capacity(engine.pending_validations());
            while let Some(v) = engine.poll_validate() {
                pending.push(v);
            }
            busy = true;
            sink.validate(pending, by_name)?;
        }
        while let Some(out) = engine.poll_transmit(peer) {
            busy = true;
            let ep = client.endpoint().map_err(|e| net_error(&e))?;
            let sent = match out {
                Transmit::Message(m) => ep.send(id, Body::RawJson(m.text)),
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
/// the feed, or it is blocked from it (an invalid message), or (once `grace_over`) it never
/// mentioned the feed.
fn finished(engine: &Engine<Msg>, names: &[String], now: u64, grace_over: bool) -> bool {
    names.iter().all(|n| {
        let status = engine.feed_status(n, now);
        let ours = status.our_sequence.unwrap_or(0);
        status.peers.iter().all(|p| match &p.receiving {
            Receiving::No(NotReceiving::AuthorBlocksPeer | NotReceiving::PeerDoesNotReplicate) => {
                true
            }
            _ => match p.claimed.as_u64() {
                Some(c) => c <= ours,
                None if p.claimed.is_nullish() => grace_over,
                None => p.claimed.to_number() < 0.0,
            },
        })
    })
}

/// The feeds the peer never mentioned (no claim).
fn unanswered(engine: &Engine<Msg>, names: &[String], now: u64) -> Vec<String> {
    names
        .iter()
        .filter(|n| {
            let status = engine.feed_status(n, now);
            status.peers.iter().any(|p| p.claimed.is_nullish())
        })
        .cloned()
        .collect()
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
        let mut run: Vec<Vec<u8>> = Vec::new();
        let mut ended = false;
        while !ended {
            // Take what arrived, up to a batch, then validate it at once.
            match client.next_item(id, deadline).map_err(|e| net_error(&e))? {
                StreamItem::Data(body) => run.push(body_bytes(body)),
                StreamItem::End(Ok(())) => ended = true,
                StreamItem::End(Err(e)) => {
                    return Err(CliError::input(format!(
                        "createHistoryStream of {feed}: {e}"
                    )));
                }
            }
            let buffered = client.endpoint().map_or(0, |e| e.queued_items(id));
            if !ended && run.len() < LEGACY_RUN && buffered > 0 {
                continue;
            }
            let first = sink.latest(feed).saturating_add(1);
            let msgs: Vec<ToValidate> = std::mem::take(&mut run)
                .into_iter()
                .zip(first..)
                .map(|(t, q)| (*feed, q, t, None))
                .collect();
            let verdicts = sink.validate_now(msgs)?;
            if verdicts.contains(&Taken::Invalid) {
                // The rest of this feed from this peer is not taken.
                let _ = client.endpoint().map(|e| e.abandon(id));
                break;
            }
        }
        if progress {
            eprintln!("ssb replicate: {feed}: {}", sink.latest(feed));
        }
    }
    Ok(())
}
