//! `ssb import [--store DIR] [--hmac-key B64] [--format auto|array|jsonl] FILE...`: verifies
//! feed files with `ssb-feed` and stores their messages (see `store.rs`).
//!
//! Each FILE (`-`: stdin) is read as `ssb verify-feed` reads it, streaming: JSON lines or a
//! JSON array of message values and/or KVTs, any number of interleaved authors. Every
//! author's messages must follow what the store already holds of that feed:
//!
//! * a message the store already holds (same author, sequence and id) is skipped, so an
//!   import can be repeated or resumed;
//! * the next message of its feed (or sequence 1 of a new feed) is validated exactly as
//!   `ssb-validate`'s `append` would, resuming from the stored state, and stored;
//! * anything else stops the import: a gap (a sequence past the next), a fork (a valid
//!   message at a stored sequence with another id, or a next message whose `previous` is
//!   not the stored latest), or an invalid message (its `ssb-feed` error code). The valid
//!   messages before it are kept; stderr names the file, item, author, sequence and what
//!   was wrong; exit status 1.
//!
//! Items are validated in chunks ([`CHUNK`] items, [`CHUNK_BYTES`] of text), in parallel,
//! and each chunk's valid messages are stored in one transaction, so an import killed at
//! any moment leaves each feed a prefix of its input, with no gap and no duplicate, and the
//! same import run again completes it. Each value is stored as the exact bytes it arrived
//! in (a KVT's `value` member as it stands in the KVT's text). The receive `timestamp` is
//! the KVT's, or for a bare value the time it was imported (ms, strictly increasing).
//!
//! At the end (also after a failure) it prints one line per feed of the input that the
//! store holds messages of, in order of first appearance: `{"feed":"@…","sequence":N}`,
//! N the store's latest sequence of that feed.

use std::collections::HashMap;
use std::io::{self, BufWriter, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use ssb_crypto::{FeedId, MsgId};
use ssb_feed::{FeedError, HmacKey, Item, Message, SignCap, Validator, validate_feeds};
use ssb_legacy_json::Value;

use crate::error::CliError;
use crate::feed_input::{Format, Items};
use crate::input::Source;
use crate::received::ReceiveClock;
use crate::store::{self, FeedStore, NewMessage};

/// Verify feed files and add their messages to the store
///
/// Reads each FILE (`-`: stdin) as verify-feed does (JSON lines or a JSON array of message
/// values and/or KVTs, any number of authors, streaming), validates every message exactly
/// as JS ssb-validate would, resuming each feed from what the store holds, and stores it
/// with its bytes exactly as received. Messages already stored are skipped. A gap, a fork
/// or an invalid message stops the import (exit 1, naming it on stderr); the valid messages
/// before it are kept. Prints {"feed":"@…","sequence":N} for every feed of the input the
/// store holds, N its latest stored sequence.
///
/// Messages are stored in transactions of a few thousand: an import killed at any moment
/// leaves a prefix of each feed, with no gap, and running it again completes it.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The store directory [default: ~/.ssb/ssb-rs]
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// The network's HMAC signing key (caps.sign; absent on the main network). A store holds
    /// one network's messages
    #[arg(long, value_name = "B64", value_parser = crate::values::hmac_key)]
    hmac_key: Option<HmacKey>,
    /// How the input is framed
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = Format::Auto)]
    format: Format,
    /// Feed files; `-` is stdin
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
}

/// Items validated and stored together (one transaction); with [`CHUNK_BYTES`], bounds
/// memory.
pub(crate) const CHUNK: usize = 4096;
/// Item text per chunk (a chunk ends once it holds this much).
pub(crate) const CHUNK_BYTES: usize = 1024 * 1024;

/// `--store DIR`, or `~/.ssb/ssb-rs`.
pub(crate) fn store_dir(arg: Option<PathBuf>) -> Result<PathBuf, CliError> {
    arg.or_else(store::default_dir)
        .ok_or_else(|| CliError::input("HOME is not set; pass --store DIR"))
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let cap = args.hmac_key.map_or(SignCap::None, SignCap::Hmac);
    let dir = store_dir(args.store)?;
    let store = FeedStore::open(&dir, &cap).map_err(|e| CliError::input(e.to_string()))?;
    let mut import = Import::new(store, cap);
    let mut failure = None;
    for file in &args.files {
        let source = Source::from_arg(Some(file));
        failure = import.file(&source, args.format)?;
        if failure.is_some() {
            break;
        }
    }
    if failure.is_none() {
        failure = import.flush()?;
    }
    import.print_feeds()?;
    match failure {
        Some(f) => {
            eprintln!("ssb import: {f}");
            Ok(ExitCode::from(1))
        }
        None => {
            eprintln!(
                "ssb import: {} messages stored, {} already stored, {} feeds",
                import.stored,
                import.skipped,
                import.order.len()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What stopped an import: where, and why.
struct Failure {
    at: String,
    what: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.what)
    }
}

/// What the import knows of a feed it has seen.
struct Seen {
    /// The store's latest sequence (0: none).
    stored: u64,
    /// The latest sequence once the pending chunk is stored, if all of it is valid.
    pending: u64,
}

/// An item waiting in the chunk, besides its parsed value (which goes to the validator).
struct Pending {
    at: String,
    author: Option<FeedId>,
    sequence: Option<f64>,
    /// The value's bytes as received.
    bytes: Vec<u8>,
    /// The item's length (what the chunk limit counts).
    size: usize,
    /// The KVT's timestamp, if it had one.
    received: Option<f64>,
}

/// What to do with one item.
enum Next {
    /// Validate it with the chunk.
    Queue(Pending, Value),
    /// The store has it.
    Skip,
    /// It refers to a message of the pending chunk: store the chunk, then look again.
    Flush(Item),
    /// It stops the import (once the chunk before it is stored).
    Stop(Failure),
}

struct Import {
    store: FeedStore,
    cap: SignCap,
    validator: Validator,
    feeds: HashMap<FeedId, Seen>,
    /// Feeds in order of first appearance.
    order: Vec<FeedId>,
    chunk: Vec<(Pending, Value)>,
    chunk_bytes: usize,
    /// Receive times for values that came without one (strictly increasing).
    received: ReceiveClock,
    stored: u64,
    skipped: u64,
}

/// A KVT as `ssb_feed::Kvt::from_value` recognizes one: an object with `key` and an object
/// `value`, and no `author`.
fn is_kvt(v: &Value) -> bool {
    v.get("key").is_some()
        && matches!(v.get("value"), Some(Value::Object(_)))
        && v.get("author").is_none()
}

/// The bytes between the first and last that are not JSON whitespace.
fn trim_json_ws(b: &[u8]) -> &[u8] {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let start = b.iter().position(|c| !ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !ws(c)).map_or(start, |e| e + 1);
    b.get(start..end).unwrap_or_default()
}

/// A cursor over JSON text that has already parsed (so no error needs a message).
struct Scan<'t> {
    b: &'t [u8],
    i: usize,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i = self.i.saturating_add(1);
        Some(c)
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i = self.i.saturating_add(1);
        }
    }
    fn string(&mut self) -> Option<()> {
        (self.bump()? == b'"').then_some(())?;
        loop {
            match self.bump()? {
                b'\\' => {
                    self.bump()?;
                }
                b'"' => return Some(()),
                _ => {}
            }
        }
    }
    /// Any value: nesting is counted, not recursed into.
    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string(),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => self.string()?,
                        b'{' | b'[' => {
                            self.bump();
                            depth = depth.saturating_add(1);
                        }
                        b'}' | b']' => {
                            self.bump();
                            depth = depth.checked_sub(1)?;
                            if depth == 0 {
                                return Some(());
                            }
                        }
                        _ => {
                            self.bump();
                        }
                    }
                }
            }
            _ => {
                // A number or literal: up to the next delimiter.
                let start = self.i;
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.bump();
                }
                (self.i > start).then_some(())
            }
        }
    }
}

/// The text of member `name` of the JSON object `text`: its last occurrence, the one
/// `JSON.parse` keeps (keys compared after unescaping). `None` if there is none.
fn member_text<'t>(text: &'t [u8], name: &str) -> Option<&'t [u8]> {
    let mut s = Scan { b: text, i: 0 };
    s.ws();
    (s.bump()? == b'{').then_some(())?;
    s.ws();
    if s.peek()? == b'}' {
        return None;
    }
    let mut found = None;
    loop {
        s.ws();
        let k0 = s.i;
        s.string()?;
        let key = text.get(k0..s.i)?;
        s.ws();
        (s.bump()? == b':').then_some(())?;
        s.ws();
        let v0 = s.i;
        s.value()?;
        let value = text.get(v0..s.i)?;
        if ssb_legacy_json::parse(key)
            .ok()
            .is_some_and(|k| k.as_str() == Some(name))
        {
            found = Some(value);
        }
        s.ws();
        match s.bump()? {
            b',' => {}
            b'}' => return found,
            _ => return None,
        }
    }
}

/// The id of a message value, as `ssb-feed` computes it (the hash of its signing form).
fn id_of(value: &Value) -> MsgId {
    MsgId(value.signing().legacy_summary().legacy_sha256)
}

/// `@… sequence N: ` when the item says so much.
fn who(author: Option<&FeedId>, sequence: Option<f64>) -> String {
    match (author, sequence) {
        (Some(a), Some(q)) => format!("{a} sequence {}: ", Value::Number(q).to_compact_string()),
        (Some(a), None) => format!("{a}: "),
        _ => String::new(),
    }
}

fn store_error(e: store::StoreError) -> CliError {
    CliError::input(e.to_string())
}

impl Import {
    fn new(store: FeedStore, cap: SignCap) -> Self {
        Self {
            store,
            cap,
            validator: Validator::new(cap),
            feeds: HashMap::new(),
            order: Vec::new(),
            chunk: Vec::new(),
            chunk_bytes: 0,
            received: ReceiveClock::default(),
            stored: 0,
            skipped: 0,
        }
    }

    /// Reads one file to its end or to the first failure.
    fn file(&mut self, source: &Source, format: Format) -> Result<Option<Failure>, CliError> {
        let (input, _) = source.open()?;
        let name = source.name();
        let mut items = Items::new(input, format.framing());
        let mut index = 0usize;
        while let Some(item) = items
            .next_item()
            .map_err(|e| CliError::input(format!("cannot read {name}: {e}")))?
        {
            let at = format!("{name} item {index}");
            index += 1;
            let mut next = self.classify(&at, item)?;
            if let Next::Flush(item) = next {
                if let Some(f) = self.flush()? {
                    return Ok(Some(f));
                }
                next = self.classify(&at, item)?;
            }
            match next {
                Next::Queue(p, v) => {
                    self.chunk_bytes = self.chunk_bytes.saturating_add(p.size);
                    self.chunk.push((p, v));
                    if (self.chunk.len() >= CHUNK || self.chunk_bytes >= CHUNK_BYTES)
                        && let Some(f) = self.flush()?
                    {
                        return Ok(Some(f));
                    }
                }
                Next::Skip => self.skipped += 1,
                // After a flush nothing is pending: an item is new or stored.
                Next::Flush(_) => {
                    return Err(CliError::input("import: a flush left messages pending"));
                }
                Next::Stop(f) => return Ok(Some(self.flush()?.unwrap_or(f))),
            }
        }
        Ok(None)
    }

    /// What the import knows of `author`, read from the store the first time.
    fn seen(&mut self, author: FeedId) -> Result<&mut Seen, CliError> {
        if !self.feeds.contains_key(&author) {
            let state = self.store.latest(&author).map_err(store_error)?;
            let stored = state.map_or(0, |s| u64::try_from(s.sequence).unwrap_or(0));
            if let Some(s) = state {
                self.validator.set_state(author, s);
            }
            self.order.push(author);
            self.feeds.insert(
                author,
                Seen {
                    stored,
                    pending: stored,
                },
            );
        }
        self.feeds
            .get_mut(&author)
            .ok_or_else(|| CliError::input("feed state lost"))
    }

    fn classify(&mut self, at: &str, item: Item) -> Result<Next, CliError> {
        let stop = |what: String| {
            Ok(Next::Stop(Failure {
                at: at.to_owned(),
                what,
            }))
        };
        let text = match item {
            Item::Bytes(b) => b,
            // (The reader gives bytes; kept total for any item.)
            Item::Value(v) => v.to_compact_string().into_bytes(),
            Item::Error(e) => return stop(format!("invalid: {} ({e})", e.code())),
        };
        let parsed = match ssb_legacy_json::parse(&text) {
            Ok(v) => v,
            Err(e) => {
                let e = FeedError::from(e);
                return stop(format!("invalid: {} ({e})", e.code()));
            }
        };
        let kvt = is_kvt(&parsed);
        let value = if kvt {
            parsed.get("value").unwrap_or(&Value::Null)
        } else {
            &parsed
        };
        let author: Option<FeedId> = value
            .get("author")
            .and_then(Value::as_str)
            .and_then(|a| a.parse().ok());
        let sequence = value.get("sequence").and_then(Value::as_f64);
        let whole = sequence.filter(|q| q.fract() == 0.0 && *q >= 1.0 && *q < 9.0e15);
        if let Some(a) = author {
            let seen = self.seen(a)?;
            let (stored, pending) = (seen.stored, seen.pending);
            match whole {
                Some(q) if q as u64 <= stored => {
                    return self.known(at, &parsed, value, a, q as u64);
                }
                Some(q) if q as u64 <= pending => return Ok(Next::Flush(Item::Bytes(text))),
                Some(q) => {
                    if let Some(s) = self.feeds.get_mut(&a) {
                        s.pending = q as u64;
                    }
                }
                None => {}
            }
        }
        let bytes = if kvt {
            member_text(&text, "value").unwrap_or_default().to_vec()
        } else {
            trim_json_ws(&text).to_vec()
        };
        let received = if kvt {
            parsed.get("timestamp").and_then(Value::as_f64)
        } else {
            None
        };
        let pending = Pending {
            at: at.to_owned(),
            author,
            sequence,
            bytes,
            size: text.len(),
            received,
        };
        Ok(Next::Queue(pending, parsed))
    }

    /// An item at a sequence the store holds: the same message (skipped), or a fork or an
    /// invalid message.
    fn known(
        &self,
        at: &str,
        item: &Value,
        value: &Value,
        author: FeedId,
        sequence: u64,
    ) -> Result<Next, CliError> {
        let stored = self
            .store
            .get(&author, sequence)
            .map_err(store_error)?
            .ok_or_else(|| CliError::input(format!("{author} {sequence} missing from store")))?;
        let id = id_of(value);
        let q = Some(sequence as f64);
        let failure = |what: String| Failure {
            at: at.to_owned(),
            what: format!("{}{what}", who(Some(&author), q)),
        };
        if id == stored.id {
            if is_kvt(item) {
                let key = item.get("key");
                if key.and_then(Value::as_str) != Some(&*id.to_string()) {
                    let e = FeedError::KeyMismatch {
                        claimed: key.map_or_else(String::new, |k| {
                            k.as_str()
                                .map_or_else(|| k.to_compact_string(), str::to_owned)
                        }),
                        computed: id.to_string(),
                    };
                    return Ok(Next::Stop(failure(format!("invalid: {} ({e})", e.code()))));
                }
            }
            return Ok(Next::Skip);
        }
        let mut check = Validator::new(self.cap);
        Ok(Next::Stop(match check.append_ooo_value(value.clone()) {
            Err(e) => failure(format!("invalid: {} ({e})", e.code())),
            Ok(_) => failure(format!("fork: {id} is not the stored {}", stored.id)),
        }))
    }

    /// Validates the chunk, stores its messages up to the first invalid one (one
    /// transaction), and returns that one's failure.
    fn flush(&mut self) -> Result<Option<Failure>, CliError> {
        let chunk = std::mem::take(&mut self.chunk);
        self.chunk_bytes = 0;
        if chunk.is_empty() {
            return Ok(None);
        }
        let (pending, values): (Vec<Pending>, Vec<Value>) = chunk.into_iter().unzip();
        let results = validate_feeds(
            &mut self.validator,
            values.into_iter().map(Item::Value).collect(),
            false,
        );
        let mut valid: Vec<(Message, &Pending)> = Vec::with_capacity(results.len());
        let mut failure = None;
        for (r, p) in results.into_iter().zip(&pending) {
            match r {
                Ok(m) => valid.push((m, p)),
                Err(e) => {
                    failure = Some(describe(p, &e));
                    break;
                }
            }
        }
        let compact: Vec<Option<Vec<u8>>> = valid
            .iter()
            .map(|(m, p)| {
                let c = m.value().to_compact_string();
                (!store::bytes_match(&p.bytes, &c)).then(|| c.into_bytes())
            })
            .collect();
        let mut batch = Vec::with_capacity(valid.len());
        for ((m, p), c) in valid.iter().zip(&compact) {
            let received = p.received.unwrap_or_else(|| self.received.next());
            batch.push(NewMessage {
                message: m,
                // A KVT's value text that could not be cut out as it stands: JS's form.
                bytes: c.as_deref().unwrap_or(&p.bytes),
                received,
            });
        }
        self.store.append(&batch).map_err(store_error)?;
        self.stored += batch.len() as u64;
        for (m, _) in &valid {
            if let Some(s) = self.feeds.get_mut(&m.author()) {
                s.stored = u64::try_from(m.sequence()).unwrap_or(s.stored);
            }
        }
        for s in self.feeds.values_mut() {
            s.pending = s.stored;
        }
        Ok(failure)
    }

    fn print_feeds(&self) -> Result<(), CliError> {
        let mut out = BufWriter::new(io::stdout().lock());
        for feed in &self.order {
            let Some(seen) = self.feeds.get(feed).filter(|s| s.stored > 0) else {
                continue;
            };
            writeln!(out, "{{\"feed\":\"{feed}\",\"sequence\":{}}}", seen.stored)
                .map_err(write_err)?;
        }
        out.flush().map_err(write_err)
    }
}

/// Names a validation failure: a gap, a fork or an invalid message.
fn describe(p: &Pending, e: &FeedError) -> Failure {
    let head = who(p.author.as_ref(), p.sequence);
    let what = match e {
        FeedError::SequenceMismatch { expected } if p.sequence > Some(*expected as f64) => {
            format!(
                "gap: the store ends at sequence {}",
                expected.saturating_sub(1)
            )
        }
        // Any message but sequence 1 of a feed the store does not have.
        FeedError::FirstSequenceNotOne | FeedError::FirstPreviousNotNull
            if p.sequence.is_some_and(|q| q > 1.0) =>
        {
            "gap: the store has none of this feed (a feed starts at sequence 1)".to_owned()
        }
        FeedError::Fork => {
            "fork: its previous is not the id of the stored message before it".to_owned()
        }
        e => format!("invalid: {} ({e})", e.code()),
    };
    Failure {
        at: p.at.clone(),
        what: format!("{head}{what}"),
    }
}

fn write_err(e: io::Error) -> CliError {
    CliError::input(format!("cannot write output: {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn member_text_is_the_last_member_as_it_stands() {
        let cases: &[(&[u8], Option<&[u8]>)] = &[
            (
                br#"{"key":"%x","value":{"a":[1,{"b":"}"}]},"timestamp":1}"#,
                Some(br#"{"a":[1,{"b":"}"}]}"#),
            ),
            (
                b"{ \"value\" :\n {\n  \"a\": 1e3\n }\n}",
                Some(b"{\n  \"a\": 1e3\n }"),
            ),
            (
                br#"{"value":{"x":1},"v\u0061lue":{"y":"\"{"}}"#,
                Some(br#"{"y":"\"{"}"#),
            ),
            (br#"{"value":{},"value2":{"z":2}}"#, Some(b"{}")),
            (br#"{"values":{}}"#, None),
            (br#"{}"#, None),
            (br#"[{"value":{}}]"#, None),
            (br#"{"value":{"#, None),
        ];
        for (text, want) in cases {
            assert_eq!(
                member_text(text, "value"),
                *want,
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn is_kvt_agrees_with_ssb_feed() {
        for text in [
            r#"{"key":"%x","value":{}}"#,
            r#"{"key":null,"value":{"author":1}}"#,
            r#"{"key":"%x","value":[]}"#,
            r#"{"key":"%x","value":{},"author":"@x"}"#,
            r#"{"value":{}}"#,
            r#"[1]"#,
            r#""key""#,
        ] {
            let v = ssb_legacy_json::parse(text.as_bytes()).unwrap();
            assert_eq!(
                is_kvt(&v),
                ssb_feed::Kvt::from_value(v.clone()).is_ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn the_id_of_a_value_is_the_one_ssb_feed_validates() {
        let keys = ssb_crypto::Keypair::from_seed(&[9; 32]);
        let content = ssb_legacy_json::parse(br#"{"type":"post","text":"\ud800"}"#).unwrap();
        let m = ssb_feed::create_message(&keys, None, content, 1.0, &SignCap::None).unwrap();
        assert_eq!(id_of(m.value()), m.id());
    }

    #[test]
    fn trims_json_whitespace_only() {
        assert_eq!(trim_json_ws(b" \t{}\r\n"), b"{}");
        assert_eq!(trim_json_ws(b"\x0c{}"), b"\x0c{}");
        assert_eq!(trim_json_ws(b"  "), b"");
    }
}
