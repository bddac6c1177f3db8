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

use ssb_crypto::{FeedId, Keypair, NetShs, NetworkKey};
use ssb_feed::{Kvt, SignCap, Validator};
use ssb_legacy_json::Value;
use ssb_muxrpc::{Body, CallError, CallType, RemoteError, StreamItem};

use crate::error::CliError;
use crate::net::{Client, NetError};

/// The default `--timeout` in seconds: the whole call, connecting to goodbye.
pub(crate) const DEFAULT_TIMEOUT_SECS: &str = "60";
/// The longest the goodbye may take once the answer is in.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Call one muxrpc method on any SSB peer
///
/// Connects to ADDRESS with the secret handshake as --secret, calls METHOD (async, or a
/// source with --source), prints the result and says goodbye. The async result is one line
/// of JSON; a source gives one line per item; each is written as JS
/// JSON.stringify(JSON.parse(body)) would (lone surrogates and number spellings kept). A
/// remote error prints {"error":{"name":…,"message":…}} (after any items) and exits 1.
///
/// --verify validates a source's items with ssb-feed as they arrive: message values or
/// KVTs (a KVT's key must be the computed id), in order per author (the first of each
/// author on its own, as a stream may start past sequence 1), and for createHistoryStream
/// all by the id asked for. The first invalid item is named on stderr, exit 1.
///
/// Exit status: 0 success, 1 a remote error or an invalid message, 2 usage, connection or
/// timeout errors.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The peer's multiserver address, net:HOST:PORT~shs:KEY (of a ;-separated list, the
    /// first net+shs one)
    #[arg(value_name = "ADDRESS", value_parser = crate::values::multiserver_address)]
    address: NetShs,
    /// The method, dotted for a nested one (blobs.has)
    #[arg(value_name = "METHOD", value_parser = method_name)]
    method: String,
    /// The arguments: a JSON array is the argument list, any other JSON value the only
    /// argument ('{"id":"@…"}' is the list holding that one object) [default: none]
    #[arg(value_name = "ARGS_JSON", value_parser = json_args, allow_hyphen_values = true)]
    args: Option<JsonArgs>,
    /// Call METHOD as a source stream (default: async)
    #[arg(long)]
    source: bool,
    /// Validate the source's items as messages with ssb-feed (exit 1 at the first invalid)
    #[arg(long, requires = "source")]
    verify: bool,
    /// Our secret file [default: ~/.ssb/secret]
    #[arg(long, value_name = "FILE")]
    secret: Option<PathBuf>,
    /// The network key (caps.shs), base64 or 64 hex digits [default: the main network]
    #[arg(long, value_name = "B64", value_parser = crate::values::network_key)]
    caps: Option<NetworkKey>,
    /// Give up after this many seconds (connecting, the call and the goodbye)
    #[arg(long, value_name = "SECONDS", value_parser = crate::values::seconds, default_value = DEFAULT_TIMEOUT_SECS)]
    timeout: Duration,
}

/// `ARGS_JSON`, parsed.
#[derive(Debug, Clone)]
pub(crate) struct JsonArgs(Vec<serde_json::Value>);

fn json_args(text: &str) -> Result<JsonArgs, String> {
    parse_args(Some(text)).map(JsonArgs)
}

fn method_name(text: &str) -> Result<String, String> {
    if text.split('.').any(str::is_empty) {
        return Err("a method name has no empty parts (a, a.b)".into());
    }
    Ok(text.to_owned())
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let path = crate::secret::path(args.secret.as_deref())?;
    let keys = crate::secret::load(&path)?;
    execute(&CallOptions {
        address: args.address,
        method: args.method.split('.').map(str::to_owned).collect(),
        args: args.args.map(|a| a.0).unwrap_or_default(),
        source: args.source,
        verify: args.verify,
        keys,
        net: args.caps.unwrap_or(NetworkKey::MAIN_NET),
        timeout: args.timeout,
    })
}

/// What `ssb call` does, as typed values.
pub(crate) struct CallOptions {
    /// The peer.
    pub(crate) address: NetShs,
    /// The method's path (`["blobs", "has"]`).
    pub(crate) method: Vec<String>,
    /// The argument list.
    pub(crate) args: Vec<serde_json::Value>,
    /// Call as a source.
    pub(crate) source: bool,
    /// Validate the items as messages.
    pub(crate) verify: bool,
    /// Our identity.
    pub(crate) keys: Keypair,
    /// The network key.
    pub(crate) net: NetworkKey,
    /// The deadline of the whole call.
    pub(crate) timeout: Duration,
}

/// How the call failed, with its exit status.
enum Failure {
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
        if let Some(a) = self.author
            && m.author() != a
        {
            return Err(format!(
                "{}: author_mismatch (by {}, the stream is {a}'s)",
                name(),
                m.author()
            ));
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

/// Runs the call; prints the result, or the remote error and why an item is invalid
/// (exit 1). Connection failures are errors (exit 2).
pub(crate) fn execute(opts: &CallOptions) -> Result<ExitCode, CliError> {
    match call(opts) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(Failure::Net(e)) => Err(CliError::input(e.to_string())),
        Err(Failure::Output(e)) => Err(CliError::input(format!("cannot write output: {e}"))),
        Err(Failure::Remote(e)) => {
            println!("{}", error_line(&e));
            eprintln!("ssb call: remote error: {e}");
            Ok(ExitCode::from(1))
        }
        Err(Failure::Invalid(e)) => {
            eprintln!("ssb call: invalid: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn call(opts: &CallOptions) -> Result<(), Failure> {
    let deadline = Instant::now() + opts.timeout;
    let name: Vec<&str> = opts.method.iter().map(String::as_str).collect();
    let author = (name == ["createHistoryStream"])
        .then(|| {
            opts.args
                .first()
                .and_then(|a| a.get("id"))
                .and_then(serde_json::Value::as_str)
                .and_then(|s| s.parse::<FeedId>().ok())
        })
        .flatten();
    let mut client = Client::connect(&opts.address, &opts.keys, &opts.net, true, deadline)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = if opts.source {
        let id = client.open(CallType::Source, &name, opts.args.clone())?;
        let mut verifier = opts.verify.then(|| Verifier::new(author));
        loop {
            match client.next_item(id, deadline)? {
                StreamItem::Data(body) => {
                    if let Some(v) = verifier.as_mut()
                        && let Err(e) = v.check(&body)
                    {
                        let _ = client.endpoint().map(|rpc| rpc.abandon(id));
                        break Err(Failure::Invalid(e));
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
        match client.call_async(&name, opts.args.clone(), deadline)? {
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
