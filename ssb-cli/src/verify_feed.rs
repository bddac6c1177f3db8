//! `ssb verify-feed [--hmac-key B64] [--json] [--partial] [--format auto|array|jsonl] [FILE|-]`
//!
//! Streams a JSON array or JSON lines of message values and/or KVTs, validates them exactly
//! as JS `ssb-validate` would (many interleaved authors; each author's first message must
//! be sequence 1 unless `--partial`), and reports every item in input order. Memory is
//! bounded by the chunk size and the number of authors, whatever the input size.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::process::ExitCode;

use ssb_feed::{FeedError, Item, SignCap, Validator, validate_feeds};
use ssb_legacy_json::Value;

use crate::args::{Args, CliError};

/// Items validated together (in parallel); with [`CHUNK_BYTES`], bounds memory.
const CHUNK: usize = 4096;
/// Input bytes buffered per chunk at most (a chunk ends early when it holds this much).
const CHUNK_BYTES: usize = 32 * 1024 * 1024;
/// Largest single item accepted (a valid message is at most 8192 UTF-16 units, ~24 KiB of
/// UTF-8, plus whitespace); larger items are reported invalid without being buffered.
const MAX_ITEM_BYTES: usize = 1024 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Array,
    Lines,
}

/// One raw item: its bytes, or why it could not be cut out of the input.
enum Raw {
    Bytes(Vec<u8>),
    Broken(String),
}

/// Splits a top-level JSON array into its elements without parsing them: tracks strings,
/// escapes and nesting only. Anything malformed becomes a `Broken` item and ends the array.
struct ArraySplitter<R> {
    r: R,
    started: bool,
    done: bool,
}

impl<R: BufRead> ArraySplitter<R> {
    fn next_byte(&mut self) -> io::Result<Option<u8>> {
        let buf = self.r.fill_buf()?;
        let Some(&b) = buf.first() else {
            return Ok(None);
        };
        self.r.consume(1);
        Ok(Some(b))
    }

    fn skip_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            match self.next_byte()? {
                Some(b' ' | b'\t' | b'\n' | b'\r') => {}
                other => return Ok(other),
            }
        }
    }

    fn next_item(&mut self) -> io::Result<Option<Raw>> {
        if self.done {
            return Ok(None);
        }
        if !self.started {
            self.started = true;
            // A UTF-8 byte order mark is not JSON; JSON.parse would refuse it too.
            match self.skip_ws()? {
                Some(b'[') => {}
                None => {
                    self.done = true;
                    return Ok(Some(Raw::Broken(
                        "empty input, expected a JSON array".into(),
                    )));
                }
                Some(_) => {
                    self.done = true;
                    return Ok(Some(Raw::Broken("input is not a JSON array".into())));
                }
            }
            // An empty array?
            let b = self.skip_ws()?;
            match b {
                Some(b']') => {
                    self.done = true;
                    return Ok(None);
                }
                Some(b) => return self.element(b).map(Some),
                None => {
                    self.done = true;
                    return Ok(Some(Raw::Broken("unterminated array".into())));
                }
            }
        }
        match self.skip_ws()? {
            Some(b) => self.element(b).map(Some),
            None => {
                self.done = true;
                Ok(Some(Raw::Broken("unterminated array".into())))
            }
        }
    }

    /// Reads one element starting with `first`, up to and including the `,` or `]` after it.
    fn element(&mut self, first: u8) -> io::Result<Raw> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        let mut in_str = false;
        let mut esc = false;
        let mut b = first;
        let mut too_big = false;
        loop {
            if in_str {
                if esc {
                    esc = false;
                } else if b == b'\\' {
                    esc = true;
                } else if b == b'"' {
                    in_str = false;
                }
            } else {
                match b {
                    b'"' => in_str = true,
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' if depth > 0 => depth -= 1,
                    b']' => {
                        self.done = true;
                        return Ok(finish(out, too_big));
                    }
                    b',' if depth == 0 => return Ok(finish(out, too_big)),
                    _ => {}
                }
            }
            if out.len() < MAX_ITEM_BYTES {
                out.push(b);
            } else {
                too_big = true;
            }
            match self.next_byte()? {
                Some(n) => b = n,
                None => {
                    self.done = true;
                    return Ok(Raw::Broken("unterminated array".into()));
                }
            }
        }
    }
}

fn finish(mut out: Vec<u8>, too_big: bool) -> Raw {
    if too_big {
        return Raw::Broken(format!("item larger than {MAX_ITEM_BYTES} bytes"));
    }
    while out
        .last()
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        out.pop();
    }
    if out.is_empty() {
        Raw::Broken("empty array element".into())
    } else {
        Raw::Bytes(out)
    }
}

/// Reads JSON lines (blank lines are skipped), bounding each line's buffer.
fn next_line<R: BufRead>(r: &mut R) -> io::Result<Option<Raw>> {
    loop {
        let mut line = Vec::new();
        let n = r
            .by_ref()
            .take(MAX_ITEM_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(None);
        }
        if line.len() > MAX_ITEM_BYTES && line.last() != Some(&b'\n') {
            // Skip the rest of the overlong line.
            let mut sink = Vec::new();
            loop {
                sink.clear();
                let m = r.by_ref().take(64 * 1024).read_until(b'\n', &mut sink)?;
                if m == 0 || sink.last() == Some(&b'\n') {
                    break;
                }
            }
            return Ok(Some(Raw::Broken(format!(
                "line longer than {MAX_ITEM_BYTES} bytes"
            ))));
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        return Ok(Some(Raw::Bytes(line)));
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
    let format = match format.as_deref() {
        None | Some("auto") => None,
        Some("array") => Some(Format::Array),
        Some("jsonl") => Some(Format::Lines),
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
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let io_err = |e: io::Error| CliError::input(format!("cannot read {path}: {e}"));
    let format = match format {
        Some(f) => f,
        None => {
            let buf = reader.fill_buf().map_err(io_err)?;
            let first = buf.iter().find(|b| !b.is_ascii_whitespace());
            if first == Some(&b'[') {
                Format::Array
            } else {
                Format::Lines
            }
        }
    };

    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut validator = Validator::new(cap);
    let mut splitter = ArraySplitter {
        r: &mut reader,
        started: false,
        done: false,
    };
    let (mut total, mut valid) = (0usize, 0usize);
    let mut failures: Vec<String> = Vec::new();
    let mut failed = 0usize;
    loop {
        let mut chunk: Vec<Item> = Vec::with_capacity(CHUNK);
        let mut chunk_bytes = 0usize;
        while chunk.len() < CHUNK && chunk_bytes < CHUNK_BYTES {
            let raw = match format {
                Format::Array => splitter.next_item(),
                Format::Lines => next_line(&mut splitter.r),
            }
            .map_err(io_err)?;
            match raw {
                None => break,
                Some(Raw::Bytes(b)) => {
                    chunk_bytes += b.len();
                    chunk.push(Item::Bytes(b));
                }
                Some(Raw::Broken(why)) => chunk.push(Item::Error(FeedError::Unreadable(why))),
            }
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
