//! `ssb conformance [--vectors DIR]`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::args::{Args, CliError};

pub(crate) fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let dir = args
        .option("vectors")?
        .map(PathBuf::from)
        .unwrap_or_else(ssb_test_vectors::default_vectors_dir);
    args.finish()?;
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
