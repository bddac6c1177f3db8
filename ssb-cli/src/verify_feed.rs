//! `ssb verify-feed [--hmac-key B64] [--json] [--partial] [--format auto|array|jsonl] [--quiet]
//! [FILE|-]`
//!
//! Streams a JSON array or JSON lines of message values and/or KVTs, validates them exactly
//! as JS `ssb-validate` would (many interleaved authors; each author's first message must
//! be sequence 1 unless `--partial`), and reports every item in input order.
//!
//! Input is cut into items by [`ssb_feed::FeedReader`] (each item at most
//! [`MAX_ITEM_BYTES`](ssb_feed::MAX_ITEM_BYTES); larger ones are reported invalid without
//! being buffered) and validated in chunks of at most [`CHUNK`] items and [`CHUNK_BYTES`]
//! of item text (plus the item that crosses it). Memory is therefore bounded by the chunk,
//! not by the input: the chunk's text, its parsed values (parsing is linear in the text:
//! `ssb-feed`'s `tests/memory.rs` measures a peak of 31 MB for the worst item it tries, a
//! 900 KB array of zeros nested 250 deep), one signing buffer of at most
//! [`MAX_SIGNED_BYTES`](ssb_feed::MAX_SIGNED_BYTES) per thread (validation never writes a
//! hostile message's whole signing encoding), and one feed state per author.

use std::io::{self, BufWriter, IsTerminal as _, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Map, Value as Json};
use ssb_feed::{FeedError, HmacKey, Item, SignCap, Validator, validate_feeds};
use ssb_legacy_json::Value;

use crate::error::CliError;
use crate::feed_input::{Format, Items};
use crate::input::Source;

/// Validate messages / KVTs exactly as JS ssb-validate
///
/// Reads a JSON array or JSON lines (auto-detected) of message values and/or KVTs
/// ({key, value, timestamp?}; a key that is not the computed id is invalid), any number of
/// interleaved authors, streaming (memory grows with authors, not messages). Each author's
/// first message must be sequence 1 unless --partial. Prints a summary and the first
/// failures on stdout (or, with --json, one line per item); exits 1 if any item is invalid.
/// Malformed items are reported as invalid (`json`), never abort the run.
///
/// On a terminal, progress (messages, rate) is shown on stderr while it runs; the run ends
/// with one summary line on stderr (time and rate), unless --quiet.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The network's HMAC signing key (caps.sign; absent on the main network)
    #[arg(long, value_name = "B64", value_parser = crate::values::hmac_key)]
    hmac_key: Option<HmacKey>,
    /// Print one JSON object per item, in input order: {"index":0,"key":"%…","author":"@…",
    /// "sequence":1,"valid":true} or {"index":1,…,"valid":false,"error":CODE,"message":TEXT}
    #[arg(long)]
    json: bool,
    /// Accept feeds that start after sequence 1: an author's first message is checked on
    /// its own and becomes that author's state
    #[arg(long)]
    partial: bool,
    /// How the input is framed
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = Format::Auto)]
    format: Format,
    /// Nothing on stderr but errors (no progress, no summary line)
    #[arg(long, short)]
    quiet: bool,
    /// The feed; stdin when absent or `-`
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
}

/// Items validated together (in parallel); with [`CHUNK_BYTES`], bounds memory.
const CHUNK: usize = 4096;
/// Item text per chunk (a chunk ends once it holds this much, so it holds less than this
/// plus one item of at most [`ssb_feed::MAX_ITEM_BYTES`]). About 1500 typical messages
/// (~700 bytes each): enough to keep both cores busy, while a chunk of hostile items stays
/// in the tens of MiB. Measured with `/usr/bin/time -v`: 10 000 typical messages peak at
/// 8 MiB of RSS, 40 copies of a 900 KB message nesting 250 arrays at 60 MiB (100 MiB with
/// 4 MiB chunks; the speed of the typical run is the same).
const CHUNK_BYTES: usize = 1024 * 1024;
fn field_str(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_owned)
}

/// What `--json` can still say about an invalid item: its key, author and sequence fields.
struct Seen {
    key: Option<String>,
    author: Option<String>,
    sequence: Option<f64>,
}

fn seen(item: Option<&Item>) -> Seen {
    let parsed = match item {
        Some(Item::Bytes(b)) => ssb_legacy_json::parse(b).ok(),
        Some(Item::Value(v)) => Some(v.clone()),
        _ => None,
    };
    let Some(v) = parsed.as_ref() else {
        return Seen {
            key: None,
            author: None,
            sequence: None,
        };
    };
    let msg = match v.get("value") {
        Some(inner @ Value::Object(_)) if v.get("author").is_none() => inner,
        _ => v,
    };
    Seen {
        key: field_str(v, "key"),
        author: field_str(msg, "author"),
        sequence: msg.get("sequence").and_then(Value::as_f64),
    }
}

/// A message's number field as JSON: an integer when it is one (as JS prints it), else the
/// double (`null` for the infinities, as `JSON.stringify`).
fn json_number(q: f64) -> Json {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if q.fract() == 0.0 && q.abs() < EXACT {
        // In range and integral: the conversion is exact (and -0 prints as 0, as in JS).
        Json::from(q as i64)
    } else {
        serde_json::Number::from_f64(q).map_or(Json::Null, Json::Number)
    }
}

/// The `--json` line of a valid item.
fn valid_line(index: usize, m: &ssb_feed::Message) -> Map<String, Json> {
    let mut o = Map::new();
    o.insert("index".into(), Json::from(index));
    o.insert("key".into(), Json::from(m.id().to_string()));
    o.insert("author".into(), Json::from(m.author().to_string()));
    o.insert("sequence".into(), Json::from(m.sequence()));
    o.insert("valid".into(), Json::Bool(true));
    o
}

/// The `--json` line of an invalid item: what can still be read of it, and why.
fn invalid_line(index: usize, item: Option<&Item>, e: &FeedError) -> Map<String, Json> {
    let s = seen(item);
    let mut o = Map::new();
    o.insert("index".into(), Json::from(index));
    if let Some(k) = s.key {
        o.insert("key".into(), Json::from(k));
    }
    if let Some(a) = s.author {
        o.insert("author".into(), Json::from(a));
    }
    if let Some(q) = s.sequence {
        o.insert("sequence".into(), json_number(q));
    }
    o.insert("valid".into(), Json::Bool(false));
    o.insert("error".into(), Json::from(e.code()));
    o.insert("message".into(), Json::from(e.to_string()));
    o
}

/// Progress on stderr: drawn only on a terminal, and only once a run has lasted
/// [`PROGRESS_AFTER`] (small inputs finish without a flash of progress).
struct Progress {
    bar: ProgressBar,
    enabled: bool,
    shown: bool,
    start: Instant,
}

/// How long a run goes before progress is drawn.
const PROGRESS_AFTER: Duration = Duration::from_millis(300);

impl Progress {
    fn new(total_bytes: Option<u64>, enabled: bool) -> Self {
        let bar = match total_bytes {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::hidden())
                .with_style(
                    ProgressStyle::with_template(
                        "{spinner} [{bar:30}] {bytes}/{total_bytes} {msg} (eta {eta})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                ),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()).with_style(
                ProgressStyle::with_template("{spinner} {bytes} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        Self {
            bar,
            enabled,
            shown: false,
            start: Instant::now(),
        }
    }

    fn update(&mut self, bytes: u64, items: usize) {
        if !self.enabled {
            return;
        }
        let elapsed = self.start.elapsed();
        if !self.shown && elapsed >= PROGRESS_AFTER {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(100));
            self.shown = true;
        }
        self.bar.set_position(bytes);
        self.bar.set_message(format!(
            "{items} items, {:.0} items/s",
            rate(items, elapsed)
        ));
    }

    fn finish(&self) {
        if self.shown {
            self.bar.finish_and_clear();
        }
    }
}

fn rate(items: usize, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 { items as f64 / secs } else { 0.0 }
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let cap = args.hmac_key.map_or(SignCap::None, SignCap::Hmac);
    let framing = args.format.framing();
    let json = args.json;
    let source = Source::from_arg(args.file.as_deref());
    let (input, total_bytes) = source.open()?;
    let name = source.name();
    let io_err = |e: io::Error| CliError::input(format!("cannot read {name}: {e}"));
    let mut items = Items::new(input, framing);
    let mut progress = Progress::new(total_bytes, !args.quiet && io::stderr().is_terminal());

    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut validator = Validator::new(cap);
    let (mut total, mut valid) = (0usize, 0usize);
    let mut failures: Vec<String> = Vec::new();
    let mut failed = 0usize;
    loop {
        let mut chunk: Vec<Item> = Vec::with_capacity(CHUNK);
        let mut chunk_bytes = 0usize;
        while chunk.len() < CHUNK && chunk_bytes < CHUNK_BYTES {
            let Some(item) = items.next_item().map_err(io_err)? else {
                break;
            };
            if let Item::Bytes(b) = &item {
                chunk_bytes += b.len();
            }
            chunk.push(item);
        }
        if chunk.is_empty() {
            break;
        }
        // Kept only to describe invalid items in --json output.
        let copies: Vec<Item> = if json { chunk.clone() } else { Vec::new() };
        let results = validate_feeds(&mut validator, chunk, args.partial);
        for (j, r) in results.iter().enumerate() {
            let index = total + j;
            match r {
                Ok(m) => {
                    valid += 1;
                    if json {
                        write_json(&mut out, valid_line(index, m))?;
                    }
                }
                Err(e) => {
                    failed += 1;
                    if json {
                        write_json(&mut out, invalid_line(index, copies.get(j), e))?;
                    } else if failures.len() < 10 {
                        failures.push(format!("  item {index}: {} ({})", e.code(), e));
                    }
                }
            }
        }
        total += results.len();
        progress.update(items.consumed, total);
    }
    progress.finish();
    if !json {
        writeln!(
            out,
            "{total} items: {valid} valid, {failed} invalid, {} authors",
            validator.authors()
        )
        .map_err(write_err)?;
        if !failures.is_empty() {
            writeln!(out, "first failures:").map_err(write_err)?;
            for f in &failures {
                writeln!(out, "{f}").map_err(write_err)?;
            }
        }
    }
    out.flush().map_err(write_err)?;
    if !args.quiet {
        let elapsed = progress.start.elapsed();
        eprintln!(
            "ssb verify-feed: {total} items ({valid} valid, {failed} invalid, {} authors) in \
             {:.2} s, {:.0} items/s",
            validator.authors(),
            elapsed.as_secs_f64(),
            rate(total, elapsed)
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn write_json(out: &mut impl Write, line: Map<String, Json>) -> Result<(), CliError> {
    serde_json::to_writer(&mut *out, &Json::Object(line))
        .map_err(io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(write_err)
}

fn write_err(e: io::Error) -> CliError {
    CliError::input(format!("cannot write output: {e}"))
}
