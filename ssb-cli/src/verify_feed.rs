//! `ssb verify-feed [--hmac-key B64] [--json] [--partial] [--format auto|array|jsonl] [FILE|-]`
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

use std::fs::File;
use std::io::{self, BufWriter, ErrorKind, Read, Write};
use std::process::ExitCode;

use ssb_feed::{FeedError, FeedReader, Framing, Item, SignCap, Validator, validate_feeds};
use ssb_legacy_json::Value;

use crate::args::{Args, CliError};

/// Items validated together (in parallel); with [`CHUNK_BYTES`], bounds memory.
const CHUNK: usize = 4096;
/// Item text per chunk (a chunk ends once it holds this much, so it holds less than this
/// plus one item of at most [`ssb_feed::MAX_ITEM_BYTES`]). About 1500 typical messages
/// (~700 bytes each): enough to keep both cores busy, while a chunk of hostile items stays
/// in the tens of MiB. Measured with `/usr/bin/time -v`: 10 000 typical messages peak at
/// 8 MiB of RSS, 40 copies of a 900 KB message nesting 250 arrays at 60 MiB (100 MiB with
/// 4 MiB chunks; the speed of the typical run is the same).
const CHUNK_BYTES: usize = 1024 * 1024;
/// Bytes read from the input at a time.
const READ_BYTES: usize = 64 * 1024;

/// Items of the input in order, read through a [`FeedReader`].
struct Items<R> {
    input: R,
    reader: FeedReader,
    buf: Box<[u8]>,
    /// Unconsumed bytes of `buf`.
    start: usize,
    end: usize,
    eof: bool,
}

impl<R: Read> Items<R> {
    fn new(input: R, framing: Framing) -> Self {
        Self {
            input,
            reader: FeedReader::new(framing),
            buf: vec![0; READ_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// The next item, `None` at the end of the input.
    fn next_item(&mut self) -> io::Result<Option<Item>> {
        loop {
            if let Some(item) = self.reader.poll_item() {
                return Ok(Some(match item {
                    Ok(bytes) => Item::Bytes(bytes),
                    Err(e) => Item::Error(FeedError::Framing(e)),
                }));
            }
            if self.eof {
                return Ok(None);
            }
            if self.start == self.end {
                let n = match self.input.read(&mut self.buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                if n == 0 {
                    self.reader.finish();
                    self.eof = true;
                    continue;
                }
                (self.start, self.end) = (0, n);
            }
            let used = self
                .reader
                .push(self.buf.get(self.start..self.end).unwrap_or_default());
            self.start += used;
        }
    }
}

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

fn json_string(s: &str) -> String {
    Value::from(s).to_compact_string()
}

pub(crate) fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let hmac = args.option("hmac-key")?;
    let json = args.switch("json");
    let partial = args.switch("partial");
    let format = args.option("format")?;
    let files = args.positionals()?;
    if files.len() > 1 {
        return Err(CliError::usage(
            "verify-feed takes one FILE (or - for stdin)",
        ));
    }
    let cap = match hmac {
        None => SignCap::None,
        Some(k) => SignCap::Hmac(k.parse().map_err(|e| {
            CliError::input(format!("--hmac-key: not canonical base64 of 32 bytes: {e}"))
        })?),
    };
    let framing = match format.as_deref() {
        None | Some("auto") => Framing::Auto,
        Some("array") => Framing::Array,
        Some("jsonl") => Framing::Lines,
        Some(other) => {
            return Err(CliError::usage(format!(
                "unknown --format `{other}` (auto, array, jsonl)"
            )));
        }
    };
    let path = files.first().map(String::as_str).unwrap_or("-");
    let input: Box<dyn Read> = if path == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(path).map_err(|e| CliError::input(format!("cannot read {path}: {e}")))?)
    };
    let io_err = |e: io::Error| CliError::input(format!("cannot read {path}: {e}"));
    let mut items = Items::new(input, framing);

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
        let results = validate_feeds(&mut validator, chunk, partial);
        for (j, r) in results.iter().enumerate() {
            let index = total + j;
            match r {
                Ok(m) => {
                    valid += 1;
                    if json {
                        writeln!(
                            out,
                            "{{\"index\":{index},\"key\":{},\"author\":{},\"sequence\":{},\"valid\":true}}",
                            json_string(&m.id().to_string()),
                            json_string(&m.author().to_string()),
                            m.sequence()
                        )
                        .map_err(write_err)?;
                    }
                }
                Err(e) => {
                    failed += 1;
                    if json {
                        let s = seen(copies.get(j));
                        let mut line = format!("{{\"index\":{index}");
                        if let Some(k) = &s.key {
                            line.push_str(&format!(",\"key\":{}", json_string(k)));
                        }
                        if let Some(a) = &s.author {
                            line.push_str(&format!(",\"author\":{}", json_string(a)));
                        }
                        if let Some(q) = s.sequence {
                            line.push_str(&format!(
                                ",\"sequence\":{}",
                                Value::Number(q).to_compact_string()
                            ));
                        }
                        line.push_str(&format!(
                            ",\"valid\":false,\"error\":{},\"message\":{}}}",
                            json_string(e.code()),
                            json_string(&e.to_string())
                        ));
                        writeln!(out, "{line}").map_err(write_err)?;
                    } else if failures.len() < 10 {
                        failures.push(format!("  item {index}: {} ({})", e.code(), e));
                    }
                }
            }
        }
        total += results.len();
    }
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
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn write_err(e: io::Error) -> CliError {
    CliError::input(format!("cannot write output: {e}"))
}
