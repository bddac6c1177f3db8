//! `ssb private-box seal|open`: private-box from stdin to stdout.
//!
//! `seal --to @ID[,@ID…] [--max N]` seals stdin (any bytes) to the recipients with fresh
//! random secrets and prints `<base64>.box` and a newline. `open [--secret FILE] [--max N]`
//! reads a box as text (`<base64>.box` or bare base64, surrounding whitespace ignored) and
//! writes the plaintext; exit 1 when the box is not for this key, 2 for malformed input.
//! `--max` is the recipient limit agreed with the other side (default 7, as the network
//! uses); a reader tries `max + 1` slots, as JS readers do.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use ssb_crypto::{FeedId, Keypair, parse_secret_file};
use ssb_private_box::{BOX_SUFFIX, MaxRecipients};

use crate::args::{Args, CliError};

/// The most stdin `seal` and `open` read (a feed message is at most 8192 UTF-16 units;
/// this leaves room for any other use of boxes while bounding memory).
const MAX_INPUT_LEN: usize = 16 * 1024 * 1024;

pub(crate) fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let mode = args
        .next_positional()
        .ok_or_else(|| CliError::usage("private-box: expected `seal` or `open`"))?;
    match mode.as_str() {
        "seal" => seal(args),
        "open" => open(args),
        other => Err(CliError::usage(format!(
            "private-box: expected `seal` or `open`, got `{other}`"
        ))),
    }
}

fn max_option(args: &mut Args) -> Result<MaxRecipients, CliError> {
    match args.option("max")? {
        None => Ok(MaxRecipients::DEFAULT),
        Some(text) => text
            .parse::<u8>()
            .ok()
            .and_then(MaxRecipients::new)
            .ok_or_else(|| {
                CliError::usage(format!("--max: `{text}` is not a number from 1 to 255"))
            }),
    }
}

fn read_stdin() -> Result<Vec<u8>, CliError> {
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT_LEN as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| CliError::input(format!("private-box: reading stdin: {e}")))?;
    if buf.len() > MAX_INPUT_LEN {
        return Err(CliError::input(format!(
            "private-box: stdin is longer than {MAX_INPUT_LEN} bytes"
        )));
    }
    Ok(buf)
}

fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| CliError::input(format!("private-box: writing stdout: {e}")))
}

fn seal(mut args: Args) -> Result<ExitCode, CliError> {
    let to = args
        .option("to")?
        .ok_or_else(|| CliError::usage("private-box seal: --to @ID[,@ID...] is required"))?;
    let max = max_option(&mut args)?;
    args.finish()?;
    let recipients = to
        .split(',')
        .map(|id| {
            let id = id.trim();
            let feed: FeedId = id
                .parse()
                .map_err(|e| CliError::usage(format!("--to: `{id}`: {e}")))?;
            feed.public_key().to_curve().map_err(|e| {
                CliError::input(format!("--to: `{id}` cannot receive private boxes: {e}"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let plaintext = read_stdin()?;
    let boxed = ssb_private_box::seal_with_rng(&plaintext, &recipients, max, &mut rand_core::OsRng)
        .map_err(|e| CliError::input(format!("private-box seal: {e}")))?;
    let mut text = ssb_private_box::encode_box_text(&boxed);
    text.push('\n');
    write_stdout(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// `~/.ssb/secret` unless `--secret FILE` (as `ssb id`).
fn secret_path(args: &mut Args) -> Result<PathBuf, CliError> {
    if let Some(p) = args.option("secret")? {
        return Ok(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| CliError::input("HOME is not set; pass --secret FILE"))?;
    Ok(PathBuf::from(home).join(".ssb").join("secret"))
}

fn read_keypair(path: &PathBuf) -> Result<Keypair, CliError> {
    let cannot =
        |e: std::io::Error| CliError::input(format!("cannot read {}: {e}", path.display()));
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if meta.len() > ssb_crypto::secret_file::MAX_SECRET_FILE_LEN as u64 {
        return Err(CliError::input(format!(
            "{}: not a secret file ({} bytes)",
            path.display(),
            meta.len()
        )));
    }
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(cannot)?);
    parse_secret_file(&text).map_err(|e| CliError::input(format!("{}: {e}", path.display())))
}

fn open(mut args: Args) -> Result<ExitCode, CliError> {
    let path = secret_path(&mut args)?;
    let max = max_option(&mut args)?;
    args.finish()?;
    let keys = read_keypair(&path)?;
    let input = read_stdin()?;
    let text = std::str::from_utf8(&input)
        .map_err(|_| CliError::input("private-box open: the box text is not UTF-8"))?
        .trim();
    let b64 = text.strip_suffix(BOX_SUFFIX).unwrap_or(text);
    let boxed = ssb_crypto::base64::decode_vec(b64)
        .map_err(|e| CliError::input(format!("private-box open: not a box: {e}")))?;
    match ssb_private_box::open_with_max(&boxed, &keys.to_curve_secret(), max) {
        Ok(Some(plaintext)) => {
            write_stdout(&plaintext)?;
            Ok(ExitCode::SUCCESS)
        }
        Ok(None) => {
            eprintln!("ssb private-box open: not for {}", keys.feed_id());
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(CliError::input(format!(
            "private-box open: malformed box: {e} [{}]",
            e.code()
        ))),
    }
}
