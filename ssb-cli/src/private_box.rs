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

use ssb_crypto::FeedId;
use ssb_private_box::{BOX_SUFFIX, MaxRecipients};

use crate::error::CliError;

/// The most stdin `seal` and `open` read (a feed message is at most 8192 UTF-16 units;
/// this leaves room for any other use of boxes while bounding memory).
const MAX_INPUT_LEN: usize = 16 * 1024 * 1024;

/// Private boxes (private-box, as `ssb-keys` box/unbox uses it) from stdin to stdout
///
/// `seal` encrypts stdin (any bytes) to the recipients with fresh random secrets and prints
/// `<base64>.box` and a newline. `open` reads a box as text (`<base64>.box` or bare base64)
/// and writes the plaintext; exit 1 when the box is not for this key, 2 for malformed input.
#[derive(clap::Args)]
#[command(subcommand_required = true, arg_required_else_help = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(clap::Subcommand)]
enum Mode {
    Seal(SealArgs),
    Open(OpenArgs),
}

/// Seal stdin to 1..=max recipients
#[derive(clap::Args)]
struct SealArgs {
    /// The recipients' feed ids, comma-separated
    #[arg(long, value_name = "@ID[,@ID...]", required = true)]
    to: String,
    /// The recipient limit agreed with the readers (1 to 255)
    #[arg(long, value_name = "N", default_value_t = 7, value_parser = clap::value_parser!(u8).range(1..))]
    max: u8,
}

/// Open a box from stdin with the secret key
#[derive(clap::Args)]
struct OpenArgs {
    /// The secret file [default: ~/.ssb/secret]
    #[arg(long, value_name = "FILE")]
    secret: Option<PathBuf>,
    /// The recipient limit agreed with the sender; a reader tries max + 1 slots, as JS does
    #[arg(long, value_name = "N", default_value_t = 7, value_parser = clap::value_parser!(u8).range(1..))]
    max: u8,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    match args.mode {
        Mode::Seal(a) => seal(a),
        Mode::Open(a) => open(a),
    }
}

fn max_recipients(n: u8) -> Result<MaxRecipients, CliError> {
    MaxRecipients::new(n)
        .ok_or_else(|| CliError::usage(format!("--max: `{n}` is not a number from 1 to 255")))
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

fn seal(args: SealArgs) -> Result<ExitCode, CliError> {
    let SealArgs { to, max } = args;
    let max = max_recipients(max)?;
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

fn open(args: OpenArgs) -> Result<ExitCode, CliError> {
    let max = max_recipients(args.max)?;
    let keys = crate::secret::load(&crate::secret::path(args.secret.as_deref())?)?;
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
