//! `ssb id [--secret FILE]`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::error::CliError;

/// Print the feed id of a secret file
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The secret file to read [default: ~/.ssb/secret]
    #[arg(long, value_name = "FILE")]
    secret: Option<PathBuf>,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let path = crate::secret::path(args.secret.as_deref())?;
    let keypair = crate::secret::load(&path)?;
    println!("{}", keypair.feed_id());
    Ok(ExitCode::SUCCESS)
}
