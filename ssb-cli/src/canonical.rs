//! `ssb canonical [--compact | --utf16-len | --legacy-sha256] [FILE|-]`: what node makes of
//! a JSON text, through `ssb-legacy-json` in its JavaScript mode.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use ssb_legacy_json::{MAX_INPUT_LEN, Stringify, Value};

use crate::error::CliError;
use crate::input::Source;

/// Node's maximum string length in UTF-16 units (`require('buffer').constants
/// .MAX_STRING_LENGTH` on 64-bit node 20, V8's `String::kMaxLength`): `JSON.stringify`
/// throws `RangeError: Invalid string length` on a result longer than this.
pub(crate) const NODE_MAX_STRING_LENGTH: usize = (1 << 29) - 24;

/// Print JSON as node signs it: JSON.stringify(JSON.parse(input), null, 2)
///
/// Parses the input exactly as node's JSON.parse(buffer.toString()) does (bytes that are
/// not UTF-8 become U+FFFD, duplicate keys keep the last value at the first position,
/// integer-like keys come first, numbers are doubles) and prints the result followed by a
/// newline. The signing form is what classic SSB messages are signed, hashed and measured
/// in. Input that is not JSON prints one line naming the byte offset and exits 1.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Print JSON.stringify(value) instead (no whitespace)
    #[arg(long, group = "output")]
    compact: bool,
    /// Print the signing form's length in UTF-16 code units (the unit of the 8192 limit
    /// on a message)
    #[arg(long, group = "output")]
    utf16_len: bool,
    /// Print the hex SHA-256 of the signing form's "latin1" bytes (the low byte of each
    /// UTF-16 unit: the hash in a message id)
    #[arg(long, group = "output")]
    legacy_sha256: bool,
    /// The JSON text (at most 8 MiB); stdin when absent or `-`
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
}

/// Parses `source` as node would; `Ok(None)` after printing why it is not JSON.
pub(crate) fn parse_input(source: &Source, command: &str) -> Result<Option<Value>, CliError> {
    let text = source.read_to_end(MAX_INPUT_LEN)?;
    match ssb_legacy_json::parse(&text) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            eprintln!("ssb {command}: {}: not JSON: {e}", source.name());
            Ok(None)
        }
    }
}

/// `Err` with node's error when `JSON.stringify` would throw for this encoding in node.
pub(crate) fn check_node_length(s: &Stringify<'_>) -> Result<(), String> {
    let len = s.utf16_len();
    if len > NODE_MAX_STRING_LENGTH {
        return Err(format!(
            "JSON.stringify throws in node (RangeError: Invalid string length): the result \
             would be {len} UTF-16 units, more than {NODE_MAX_STRING_LENGTH}"
        ));
    }
    Ok(())
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let source = Source::from_arg(args.file.as_deref());
    let Some(value) = parse_input(&source, "canonical")? else {
        return Ok(ExitCode::from(1));
    };
    let form = if args.compact {
        value.compact()
    } else {
        value.signing()
    };
    if let Err(why) = check_node_length(&form) {
        eprintln!("ssb canonical: {}: {why}", source.name());
        return Ok(ExitCode::from(1));
    }
    let mut out = BufWriter::new(io::stdout().lock());
    let written = if args.utf16_len {
        writeln!(out, "{}", form.utf16_len())
    } else if args.legacy_sha256 {
        writeln!(out, "{}", ssb_crypto::hex::encode(&form.legacy_sha256()))
    } else {
        // Streamed: a deeply nested value's encoding can be far longer than its text.
        writeln!(out, "{form}")
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| CliError::input(format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
