//! `ssb`: the command-line tool of this workspace, and the blocking `std` executor that drives
//! its Sans-IO crates.
//!
//! Exit status: 0 on success, 1 when a check found a failure (conformance, verification, an
//! import stopped by a gap, fork or invalid message, invalid JSON), 2 for usage, input and
//! I/O errors (always one line on stderr naming the problem; usage errors add a pointer to
//! `--help`).
//!
//! # Adding a command
//!
//! One module per command. The module has a `#[derive(clap::Args)] pub(crate) struct Args`
//! whose doc comment is the command's help (first line: the summary in `ssb --help`; the
//! rest: `ssb COMMAND --help`), and `pub(crate) fn run(args: Args) -> Result<ExitCode,
//! CliError>`. Then add one variant to [`Command`] (its name, in kebab case, is the
//! command's name) and one arm to [`Command::run`]. Completions, `ssb help COMMAND` and
//! usage errors follow from the clap definitions. Parse arguments with value parsers
//! (`values.rs`) so that a bad value is a usage error before the command runs; read input
//! through `input::Source` so that `FILE` and `-` (stdin) behave the same everywhere.

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

mod boxstream;
mod call;
mod canonical;
mod completions;
mod conformance;
mod error;
mod export;
mod feed_input;
mod id;
mod import;
mod input;
mod keygen;
mod msg_id;
mod net;
mod peer_conformance;
mod private_box;
mod publish;
mod received;
mod replicate;
mod secret;
mod serve;
mod shs1;
mod store;
mod values;
mod verify_feed;

use error::CliError;

/// What `ssb --help` says after the list of commands.
const AFTER_HELP: &str = "\
The default secret file is ~/.ssb/secret, as in JS; the default feed store (import, export) \
is ~/.ssb/ssb-rs. Commands that read input read FILE, or stdin when FILE is absent or `-`.

Exit status:
  0  success
  1  a check failed (conformance, verify-feed, shs1, boxstream open, input that is not JSON),
     a call got a remote error or an invalid message, a replication got an invalid message,
     or an import met a gap, a fork or an invalid message
  2  usage, input or I/O error (one line on stderr naming the problem)";

/// The Secure Scuttlebutt tools of ssb-rs: conformance vectors, keys, canonical JSON,
/// message ids, feeds and a feed store, secret handshake and box-stream, calling and serving
/// peers.
#[derive(Parser)]
#[command(
    name = "ssb",
    version,
    after_help = AFTER_HELP,
    arg_required_else_help = true,
    propagate_version = true,
    subcommand_required = true,
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The commands. Each variant's help is the doc comment of its module's `Args`.
#[derive(Subcommand)]
enum Command {
    Conformance(conformance::Args),
    Keygen(keygen::Args),
    Id(id::Args),
    Canonical(canonical::Args),
    MsgId(msg_id::Args),
    Publish(publish::Args),
    VerifyFeed(verify_feed::Args),
    Import(import::Args),
    Export(export::Args),
    Shs1(shs1::Args),
    Boxstream(boxstream::Args),
    PrivateBox(private_box::Args),
    Call(call::Args),
    Replicate(replicate::Args),
    Serve(serve::Args),
    Completions(completions::Args),
}

impl Command {
    fn run(self) -> Result<ExitCode, CliError> {
        match self {
            Self::Conformance(a) => conformance::run(a),
            Self::Keygen(a) => keygen::run(a),
            Self::Id(a) => id::run(a),
            Self::Canonical(a) => canonical::run(a),
            Self::MsgId(a) => msg_id::run(a),
            Self::Publish(a) => publish::run(a),
            Self::VerifyFeed(a) => verify_feed::run(a),
            Self::Import(a) => import::run(a),
            Self::Export(a) => export::run(a),
            Self::Shs1(a) => shs1::run(a),
            Self::Boxstream(a) => boxstream::run(a),
            Self::PrivateBox(a) => private_box::run(a),
            Self::Call(a) => call::run(a),
            Self::Replicate(a) => replicate::run(a),
            Self::Serve(a) => serve::run(a),
            Self::Completions(a) => completions::run(a),
        }
    }
}

/// The whole command-line definition (for completions).
pub(crate) fn cli_definition() -> clap::Command {
    Cli::command()
}

fn main() -> ExitCode {
    // clap prints help and version on stdout (exit 0) and usage errors on stderr (exit 2).
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let name = matches.subcommand_name().unwrap_or_default().to_owned();
    match cli.command.run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ssb {name}: {e}");
            if e.is_usage() {
                eprintln!("For more information, try 'ssb {name} --help'.");
            }
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_definition_is_consistent() {
        super::cli_definition().debug_assert();
    }
}
