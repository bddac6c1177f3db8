//! `ssb publish --feed FILE --content JSON [--secret FILE] [--timestamp MS] [--hmac-key B64]
//! [--repair]`: appends the next signed message to a JSON-lines feed file.
//!
//! # The feed file and crash safety
//!
//! The file holds one message value per line (`JSON.stringify(msg)`, which `verify-feed`
//! reads and which parses back to the same signing form), each line ending in `\n`. A
//! publish:
//!
//! 1. opens the file (creating it) and takes an exclusive lock on it (`flock`), so two
//!    publishers never both append sequence N + 1 (a fork); the lock dies with the process;
//! 2. reads only the file's tail (at most [`MAX_LINE_BYTES`] plus one) to find the last
//!    line. A file that does not end in `\n` ends in a line a crash cut short (a torn
//!    write): that is an error naming the byte count, and nothing is written, unless
//!    `--repair`, which truncates the file to its last complete line (and syncs) first;
//! 3. checks the last message as `ssb-validate`'s `appendOOO` would (signature, shape, size,
//!    under the same HMAC key) and that it is by the same author: it is the state the new
//!    message follows (`previous`, `sequence`);
//! 4. creates the message with `ssb_feed::create_message` (byte for byte what JS
//!    `ssb-validate.create` + `ssb-keys` sign, refusing what JS refuses), writes its line
//!    with one `write` in append mode, and `fsync`s the file (and, for a new file, its
//!    directory) before printing the new id.
//!
//! A process killed at any moment therefore leaves the file as it was, with the new line
//! whole, or with a prefix of it: a torn last line, which the next publish reports and never
//! builds on. (Linux stops a write to a regular file between pages when the writer gets
//! SIGKILL, and a machine crash can keep any prefix of unsynced data.)

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ssb_feed::{FeedState, HmacKey, MAX_ITEM_BYTES, SignCap, create_message, verify_message};
use ssb_legacy_json::MAX_INPUT_LEN;

use crate::error::CliError;
use crate::input::read_bounded;

/// The longest line the last-line search reads (the longest item `verify-feed` reads).
pub(crate) const MAX_LINE_BYTES: usize = MAX_ITEM_BYTES;

/// Append the next signed message to a JSON-lines feed file
///
/// Signs the --content JSON as the next message of the secret's feed, exactly as JS
/// ssb-validate.create with ssb-keys would, appends it as one line to the --feed file
/// (creating it) and prints its id. The previous message is the file's last line: it must
/// be a valid message by the same author.
/// Content JS would refuse (not an object or encrypted string, a type outside 3..52
/// characters, a message over 8192 UTF-16 units) is refused (exit 2), and nothing is
/// written.
///
/// The line is written whole and synced. A last line cut short by an earlier crash is
/// reported (exit 2) and left alone; --repair drops it first.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The feed file (JSON lines of message values)
    #[arg(long, value_name = "FILE")]
    feed: PathBuf,
    /// The message content, as JSON (parsed as node's JSON.parse does); `-` reads it from
    /// stdin
    #[arg(long, value_name = "JSON", allow_hyphen_values = true)]
    content: String,
    /// The secret file of the author [default: ~/.ssb/secret]
    #[arg(long, value_name = "FILE")]
    secret: Option<PathBuf>,
    /// The message timestamp in milliseconds since 1970 [default: now]
    #[arg(long, value_name = "MS", value_parser = crate::values::timestamp, allow_hyphen_values = true)]
    timestamp: Option<f64>,
    /// The network's HMAC signing key (caps.sign; absent on the main network)
    #[arg(long, value_name = "B64", value_parser = crate::values::hmac_key)]
    hmac_key: Option<HmacKey>,
    /// Drop an incomplete last line (left by a crash during an earlier write) before
    /// appending
    #[arg(long)]
    repair: bool,
}

/// The end of a feed file.
#[derive(Debug, PartialEq, Eq)]
enum Tail {
    /// Empty, or only blank lines.
    Empty,
    /// The last non-blank line.
    Line(Vec<u8>),
    /// The file does not end in `\n`: `torn` bytes after the last newline, which is at
    /// `complete` bytes (0 when there is none).
    Torn { complete: u64, torn: u64 },
}

/// Reads the end of `file` (of length `len`): at most [`MAX_LINE_BYTES`] + 1 bytes.
fn read_tail(file: &mut File, len: u64) -> Result<Tail, io::Error> {
    if len == 0 {
        return Ok(Tail::Empty);
    }
    let window = len.min(MAX_LINE_BYTES as u64 + 1);
    let start = len - window;
    file.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::new();
    Read::by_ref(file).take(window).read_to_end(&mut buf)?;
    if buf.len() as u64 != window {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the file shrank while being read",
        ));
    }
    if buf.last() != Some(&b'\n') {
        let after = buf.iter().rposition(|&b| b == b'\n');
        return Ok(match after {
            Some(i) => Tail::Torn {
                complete: start + i as u64 + 1,
                torn: (buf.len() - i - 1) as u64,
            },
            None if start == 0 => Tail::Torn {
                complete: 0,
                torn: len,
            },
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "it does not end in a newline and its last line is longer than \
                         {MAX_LINE_BYTES} bytes"
                    ),
                ));
            }
        });
    }
    // Skip trailing blank lines, then take the last line.
    let end = buf
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map(|i| i + 1);
    let Some(end) = end else {
        return if start == 0 {
            Ok(Tail::Empty)
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("it ends in more than {MAX_LINE_BYTES} bytes of blank lines"),
            ))
        };
    };
    let line_start = match buf[..end].iter().rposition(|&b| b == b'\n') {
        Some(i) => i + 1,
        None if start == 0 => 0,
        None => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("its last line is longer than {MAX_LINE_BYTES} bytes"),
            ));
        }
    };
    buf.truncate(end);
    buf.drain(..line_start);
    Ok(Tail::Line(buf))
}

/// The current time in milliseconds since 1970, as JS `Date.now()`.
fn now_ms() -> Result<f64, CliError> {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| CliError::input("the system clock is before 1970; pass --timestamp"))?;
    Ok(d.as_millis() as f64)
}

/// Syncs the directory holding `path` (so a newly created file's entry is durable).
fn sync_parent(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let feed = args.feed.display().to_string();
    let content_text = if args.content == "-" {
        read_bounded(io::stdin().lock(), MAX_INPUT_LEN).map_err(|e| match e {
            crate::input::ReadError::TooLarge => CliError::input(format!(
                "--content from stdin: larger than the limit of {MAX_INPUT_LEN} bytes"
            )),
            crate::input::ReadError::Io(e) => CliError::input(format!("cannot read stdin: {e}")),
        })?
    } else {
        args.content.into_bytes()
    };
    let content = ssb_legacy_json::parse(&content_text)
        .map_err(|e| CliError::input(format!("--content is not JSON: {e}")))?;
    let keys = crate::secret::load(&crate::secret::path(args.secret.as_deref())?)?;
    let cap = args.hmac_key.map_or(SignCap::None, SignCap::Hmac);

    let existed = args.feed.exists();
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(&args.feed)
        .map_err(|e| CliError::input(format!("cannot open {feed}: {e}")))?;
    // Held until the process exits (or dies): one publisher at a time.
    file.lock()
        .map_err(|e| CliError::input(format!("cannot lock {feed}: {e}")))?;
    let io_err = |e: io::Error| CliError::input(format!("{feed}: {e}"));
    let len = file.metadata().map_err(io_err)?.len();
    let mut tail = read_tail(&mut file, len).map_err(io_err)?;
    if let Tail::Torn { complete, torn } = tail {
        if !args.repair {
            return Err(CliError::input(format!(
                "{feed} ends in an incomplete line ({torn} bytes after the last newline, at \
                 byte {complete}), left by an interrupted write; nothing was written. Run \
                 again with --repair to drop it"
            )));
        }
        file.set_len(complete)
            .and_then(|()| file.sync_all())
            .map_err(io_err)?;
        eprintln!("ssb publish: {feed}: dropped an incomplete last line of {torn} bytes");
        tail = read_tail(&mut file, complete).map_err(io_err)?;
    }
    let state: Option<FeedState> = match tail {
        Tail::Empty => None,
        Tail::Line(line) => {
            let last = verify_message(&line, &cap).map_err(|e| {
                CliError::input(format!(
                    "{feed}: the last message is not valid ({}: {e}){}",
                    e.code(),
                    if e.code() == "signature_invalid" {
                        "; is --hmac-key the network's?"
                    } else {
                        ""
                    }
                ))
            })?;
            if last.author() != keys.feed_id() {
                return Err(CliError::input(format!(
                    "{feed}: the last message is by {}, not by this secret's {}",
                    last.author(),
                    keys.feed_id()
                )));
            }
            Some(last.state())
        }
        Tail::Torn { .. } => {
            // Only if something that ignores the lock wrote to the file meanwhile.
            return Err(CliError::input(format!(
                "{feed} still ends in an incomplete line after --repair; is another program \
                 writing to it?"
            )));
        }
    };
    let timestamp = match args.timestamp {
        Some(t) => t,
        None => now_ms()?,
    };
    let msg = create_message(&keys, state.as_ref(), content, timestamp, &cap).map_err(|e| {
        CliError::input(format!(
            "refused, as JS would refuse it: {e} [{}]; nothing was written",
            e.code()
        ))
    })?;
    let mut line = msg.value().to_compact_string();
    line.push('\n');
    file.write_all(line.as_bytes())
        .and_then(|()| file.sync_data())
        .map_err(|e| CliError::input(format!("cannot write {feed}: {e}")))?;
    if !existed {
        sync_parent(&args.feed).map_err(|e| CliError::input(format!("cannot sync {feed}: {e}")))?;
    }
    println!("{}", msg.id());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail_of(bytes: &[u8]) -> Tail {
        let path = std::env::temp_dir().join(format!(
            "ssb-publish-tail-{}-{}",
            std::process::id(),
            bytes.len()
        ));
        std::fs::write(&path, bytes).expect("write");
        let mut f = File::open(&path).expect("open");
        let t = read_tail(&mut f, bytes.len() as u64).expect("tail");
        let _ = std::fs::remove_file(&path);
        t
    }

    #[test]
    fn the_last_line_torn_lines_and_blank_lines() {
        assert_eq!(tail_of(b""), Tail::Empty);
        assert_eq!(tail_of(b"\n \n"), Tail::Empty);
        assert_eq!(tail_of(b"{}\n"), Tail::Line(b"{}".to_vec()));
        assert_eq!(tail_of(b"{\"a\":1}\n[2]\n\n"), Tail::Line(b"[2]".to_vec()));
        assert_eq!(
            tail_of(b"{}\n{\"a\""),
            Tail::Torn {
                complete: 3,
                torn: 4
            }
        );
        assert_eq!(
            tail_of(b"{\"a\""),
            Tail::Torn {
                complete: 0,
                torn: 4
            }
        );
    }
}
