//! `ssb completions SHELL`.

use std::process::ExitCode;

use clap_complete::Shell;

use crate::error::CliError;

/// Print a shell completion script
///
/// Generated from the same definitions as the command line itself. For example:
///
///   ssb completions bash > ~/.local/share/bash-completion/completions/ssb
///   ssb completions zsh > ~/.zfunc/_ssb      (with ~/.zfunc in $fpath)
///   ssb completions fish > ~/.config/fish/completions/ssb.fish
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct Args {
    /// The shell
    #[arg(value_name = "SHELL")]
    shell: Shell,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let mut cmd = crate::cli_definition();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "ssb", &mut out);
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&out)
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::input(format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
