//! `ssb conformance [--vectors DIR]`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::error::CliError;

/// Run the test vectors through the Rust stack
///
/// Replays every vector file in DIR (by default the committed `test-vectors/vectors`),
/// prints one table row per layer and the failures, and exits 1 if any case failed.
/// Another implementation's vectors in the same format can be checked with --vectors.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Directory of vector files
    #[arg(long, value_name = "DIR")]
    vectors: Option<PathBuf>,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let dir = args
        .vectors
        .unwrap_or_else(ssb_test_vectors::default_vectors_dir);
    let report = ssb_test_vectors::run_dir(&dir).map_err(|e| CliError::input(e.to_string()))?;
    print!("{}", report.render_table());
    if report.all_passed() {
        println!(
            "all {} cases passed ({})",
            report.total_run(),
            dir.display()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "{} of {} cases failed ({})",
            report.total_failed(),
            report.total_run(),
            dir.display()
        );
        Ok(ExitCode::from(1))
    }
}
