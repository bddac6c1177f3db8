//! `ssb call ADDRESS METHOD [ARGS_JSON] [--source] [--verify] [--secret FILE] [--caps B64]
//! [--timeout SECONDS]`: one muxrpc call to any SSB peer.
//!
//! `ADDRESS` is a multiserver address (`net:HOST:PORT~shs:KEY`; of a `;`-separated list the
//! first `net`+`shs` one is used). `METHOD` is dotted for nested methods (`blobs.has`).
//! `ARGS_JSON` is the argument list as a JSON array; any other JSON value is taken as the
//! single argument (`'{"id":"@…"}'` is the same as `'[{"id":"@…"}]'`); none means `[]`. The
//! call is async unless `--source`.
//!
//! Output (stdout): the async result as one line of JSON, or one line per source item, each
//! written as JS `JSON.stringify(JSON.parse(body))` would (results are received as raw JSON
//! text and read with `ssb-legacy-json`, so nothing JS can send is lost: lone surrogates, any
//! number); text bodies as JSON strings, binary ones as Node prints a `Buffer`
//! (`{"type":"Buffer","data":[…]}`). A remote error prints `{"error":{"name":…,"message":…}}`
//! (what the JS peer client prints) after any items, and a line on stderr.
//!
//! `--verify` (sources): every item must be a message value or a KVT that `ssb-feed`
//! validates as it arrives, in order per author (the first one of each author on its own, as
//! a stream may start past sequence 1); a KVT's key must equal the computed id; for
//! `createHistoryStream` every author must be the `id` asked for. The first invalid item stops
//! the call: it is named on stderr (index, key, sequence, error code) and the exit status is 1.
//!
//! Exit status: 0 success; 1 the peer answered with an error, or sent an invalid message or
//! invalid JSON; 2 usage, input, connection or timeout errors.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ssb_crypto::FeedId;
use ssb_feed::{Kvt, SignCap, Validator};
use ssb_legacy_json::Value;
use ssb_muxrpc::{Body, CallError, CallType, RemoteError, StreamItem};

use crate::net::{self, Client, NetError};

/// The default `--timeout`: the whole call, connecting to goodbye.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest the goodbye may take once the answer is in.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The options of `ssb call`.
#[derive(Debug, Clone)]
pub(crate) struct CallOptions {
    /// The peer's multiserver address.
    pub(crate) address: String,
    /// The method, dotted.
    pub(crate) method: String,
    /// `ARGS_JSON`, if given.
    pub(crate) args: Option<String>,
    /// Call as a source.
    pub(crate) source: bool,
    /// Validate the items as messages.
    pub(crate) verify: bool,
    /// Our secret file.
    pub(crate) secret: PathBuf,
    /// `--caps`, main net if `None`.
    pub(crate) caps: Option<String>,
    /// The deadline of the whole call.
    pub(crate) timeout: Duration,
}

/// How the call failed, with its exit status.
enum Failure {
    /// Exit 2.
    Usage(String),
    /// Exit 2.
    Net(NetError),
    /// Exit 1: the peer's error (printed as JSON too).
    Remote(RemoteError),
    /// Exit 1: a bad item.
    Invalid(String),
    /// Exit 2: stdout is gone.
    Output(io::Error),
}

impl From<NetError> for Failure {
    fn from(e: NetError) -> Self {
        Self::Net(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Self::Output(e)
    }
}

/// `ARGS_JSON` as an argument list (see the module docs).
pub(crate) fn parse_args(text: Option<&str>) -> Result<Vec<serde_json::Value>, String> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Array(a)) => Ok(a),
        Ok(v) => Ok(vec![v]),
        Err(e) => Err(format!("ARGS_JSON is not JSON: {e}")),
    }
}

/// A body as one line of JSON, as the JS client prints it.
pub(crate) fn body_line(body: &Body) -> Result<String, String> {
    Ok(match body {
        Body::RawJson(t) => ssb_legacy_json::parse(t.as_bytes())
            .map_err(|e| format!("the peer sent invalid JSON: {e}"))?
            .to_compact_string(),
        Body::Json(v) => v.to_string(),
        Body::Text(t) => Value::from(t.as_str()).to_compact_string(),
        Body::Binary(b) => {
            let data: Vec<String> = b.iter().map(u8::to_string).collect();
            format!("{{\"type\":\"Buffer\",\"data\":[{}]}}", data.join(","))
        }
    })
}

fn error_line(e: &RemoteError) -> String {
    format!(
        "{{\"error\":{{\"name\":{},\"message\":{}}}}}",
        Value::from(e.name.as_str()).to_compact_string(),
        Value::from(e.message.as_str()).to_compact_string()
    )
}

/// Validates stream items as messages, in order per author.
pub(crate) struct Verifier {
    validator: Validator,
    author: Option<FeedId>,
    index: usize,
}

impl Verifier {
    /// `author`: the feed every message must belong to, if known.
    pub(crate) fn new(author: Option<FeedId>) -> Self {
        Self {
            validator: Validator::new(SignCap::None),
            author,
            index: 0,
        }
    }

    /// Checks the next item; `Err` names it and says what is wrong.
    pub(crate) fn check(&mut self, body: &Body) -> Result<ssb_feed::Message, String> {
        let index = self.index;
        self.index += 1;
        let text = match body {
            Body::RawJson(t) => t.clone(),
            Body::Json(v) => v.to_string(),
            Body::Text(t) => {
                return Err(format!(
                    "item {index}: a string ({t:?}), not a message (keys without values?)"
                ));
            }
            Body::Binary(_) => return Err(format!("item {index}: binary, not a message")),
        };
        let parsed = ssb_legacy_json::parse(text.as_bytes())
            .map_err(|e| format!("item {index}: json (invalid JSON: {e})"))?;
        let (key, seq) = describe(&parsed);
        let name = || {
            let mut s = format!("item {index}");
            if let Some(k) = &key {
                s.push_str(&format!(" (key {k}"));
                if let Some(q) = &seq {
                    s.push_str(&format!(", sequence {q}"));
                }
                s.push(')');
            } else if let Some(q) = &seq {
                s.push_str(&format!(" (sequence {q})"));
            }
            s
        };
        let m = match Kvt::from_value(parsed) {
            Ok(kvt) => self.validator.append_kvt(kvt, true),
            Err(value) => self.validator.append_partial_value(value),
        }
        .map_err(|e| format!("{}: {} ({e})", name(), e.code()))?;
        if let Some(a) = self.author {
            if m.author() != a {
                return Err(format!(
                    "{}: author_mismatch (by {}, the stream is {a}'s)",
                    name(),
                    m.author()
                ));
            }
        }
        Ok(m)
    }
}

/// The key and sequence an item claims, to name it.
fn describe(v: &Value) -> (Option<String>, Option<String>) {
    let key = v.get("key").and_then(Value::as_str).map(str::to_owned);
    let msg = match v.get("value") {
        Some(inner @ Value::Object(_)) if v.get("author").is_none() => inner,
        _ => v,
    };
    let seq = msg.get("sequence").map(Value::to_compact_string);
    (key, seq)
}

/// `ssb call`.
pub(crate) fn run(opts: &CallOptions) -> ExitCode {
    match call(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(e)) => {
            eprintln!("ssb call: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Net(e)) => {
            eprintln!("ssb call: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Output(e)) => {
            eprintln!("ssb call: cannot write output: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Remote(e)) => {
            println!("{}", error_line(&e));
            eprintln!("ssb call: remote error: {e}");
            ExitCode::from(1)
        }
        Err(Failure::Invalid(e)) => {
            eprintln!("ssb call: invalid: {e}");
            ExitCode::from(1)
        }
    }
}

fn call(opts: &CallOptions) -> Result<(), Failure> {
    let deadline = Instant::now() + opts.timeout;
    let addr = net::parse_address(&opts.address).map_err(|e| Failure::Usage(e.to_string()))?;
    let name: Vec<&str> = opts.method.split('.').collect();
    if name.iter().any(|p| p.is_empty()) {
        return Err(Failure::Usage(format!("bad METHOD {:?}", opts.method)));
    }
    let args = parse_args(opts.args.as_deref()).map_err(Failure::Usage)?;
    if opts.verify && !opts.source {
        return Err(Failure::Usage("--verify needs --source".into()));
    }
    let author = (opts.method == "createHistoryStream")
        .then(|| {
            args.first()
                .and_then(|a| a.get("id"))
                .and_then(serde_json::Value::as_str)
                .and_then(|s| s.parse::<FeedId>().ok())
        })
        .flatten();
    let keys = net::load_keypair(&opts.secret).map_err(Failure::Usage)?;
    let net_key = net::network_key(opts.caps.as_deref()).map_err(Failure::Usage)?;
    let mut client = Client::connect(&addr, &keys, &net_key, true, deadline)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = if opts.source {
        let id = client.open(CallType::Source, &name, args)?;
        let mut verifier = opts.verify.then(|| Verifier::new(author));
        loop {
            match client.next_item(id, deadline)? {
                StreamItem::Data(body) => {
                    if let Some(v) = verifier.as_mut() {
                        if let Err(e) = v.check(&body) {
                            let _ = client.endpoint().map(|rpc| rpc.abandon(id));
                            break Err(Failure::Invalid(e));
                        }
                    }
                    let line = body_line(&body).map_err(Failure::Invalid)?;
                    writeln!(out, "{line}")?;
                    if client.endpoint()?.queued_items(id) == 0 {
                        out.flush()?;
                    }
                }
                StreamItem::End(Ok(())) => break Ok(()),
                StreamItem::End(Err(e)) => break Err(call_failure(e)),
            }
        }
    } else {
        match client.call_async(&name, args, deadline)? {
            Ok(body) => {
                let line = body_line(&body).map_err(Failure::Invalid)?;
                writeln!(out, "{line}")?;
                Ok(())
            }
            Err(e) => Err(call_failure(e)),
        }
    };
    out.flush()?;
    drop(out);
    // The answer is in: a goodbye that fails changes nothing about it, but is reported.
    if let Err(e) = client.close(Instant::now() + CLOSE_TIMEOUT) {
        eprintln!("ssb call: closing: {e}");
    }
    result
}

fn call_failure(e: CallError) -> Failure {
    match e {
        CallError::Remote(r) => Failure::Remote(r),
        CallError::InvalidJson(e) => Failure::Invalid(format!("the peer sent invalid JSON: {e}")),
        CallError::ConnectionClosed => Failure::Net(NetError::Closed),
        other => Failure::Net(NetError::Connect(other.to_string())),
    }
}
