//! `ssb msg-id [FILE|-]`.

use std::path::PathBuf;
use std::process::ExitCode;

use ssb_crypto::MsgId;

use crate::error::CliError;
use crate::input::Source;

/// Print the id (%….sha256) of a message value, as JS computes it
///
/// The id is what ssb-validate's `id(msg)` returns: the SHA-256 of the "latin1" bytes of
/// JSON.stringify(msg, null, 2) (the low byte of each UTF-16 unit), in base64. The input
/// is parsed as node's JSON.parse does and is not validated: any JSON value has an id.
/// For a KVT ({key, value, timestamp}) pass its value. Input that is not JSON prints one
/// line naming the byte offset and exits 1.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The message value's JSON (at most 8 MiB); stdin when absent or `-`
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let source = Source::from_arg(args.file.as_deref());
    let Some(value) = crate::canonical::parse_input(&source, "msg-id")? else {
        return Ok(ExitCode::from(1));
    };
    let signing = value.signing();
    if let Err(why) = crate::canonical::check_node_length(&signing) {
        eprintln!("ssb msg-id: {}: {why}", source.name());
        return Ok(ExitCode::from(1));
    }
    println!("{}", MsgId(signing.legacy_sha256()));
    Ok(ExitCode::SUCCESS)
}
