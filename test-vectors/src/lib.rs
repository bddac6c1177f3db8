//! The SSB conformance runner.
//!
//! Loads language-neutral JSON vector files (format: `test-vectors/README.md`), replays every
//! case through the Rust stack and reports, per layer, how many cases ran, passed and failed,
//! with the case id and the difference for each failure. The same runner backs the test
//! suite (`tests/conformance.rs`) and `ssb conformance [--vectors DIR]`, so vectors that other
//! implementations publish can be run too.
//!
//! ```
//! let report = ssb_test_vectors::run_dir(&ssb_test_vectors::default_vectors_dir()).unwrap();
//! assert!(report.total_run() > 0);
//! assert!(report.all_passed(), "{}", report.render_table());
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod layers;

/// What running one case through the Rust stack produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The operation succeeded with these output fields.
    Ok(serde_json::Map<String, Value>),
    /// The operation failed; the string is our own error (code and message).
    Error(String),
}

/// One case that did not give the expected outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFailure {
    /// The case id from the vector file.
    pub id: String,
    /// What differed.
    pub detail: String,
}

/// The result of one vector file (one layer).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayerReport {
    /// The layer name from the file.
    pub layer: String,
    /// The file it came from.
    pub file: PathBuf,
    /// Cases run.
    pub run: usize,
    /// Cases that gave the expected outcome.
    pub passed: usize,
    /// The others, in file order.
    pub failures: Vec<CaseFailure>,
}

/// The result of a whole directory of vector files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// One entry per vector file, in file-name order.
    pub layers: Vec<LayerReport>,
}

/// Why a vector file or directory could not be run at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The directory or a file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not valid JSON or not in the vector format.
    #[error("{path} is not a vector file: {reason}")]
    Format {
        /// The offending file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The directory holds no `.json` vector file.
    #[error("no .json vector files in {0}")]
    Empty(PathBuf),
}

impl Report {
    /// Total cases run.
    pub fn total_run(&self) -> usize {
        self.layers.iter().map(|l| l.run).sum()
    }
    /// Total cases passed.
    pub fn total_passed(&self) -> usize {
        self.layers.iter().map(|l| l.passed).sum()
    }
    /// Total cases failed.
    pub fn total_failed(&self) -> usize {
        self.layers.iter().map(|l| l.failures.len()).sum()
    }
    /// True when at least one case ran and none failed.
    pub fn all_passed(&self) -> bool {
        self.total_run() > 0 && self.total_failed() == 0
    }
    /// A table (one row per layer) followed by up to 20 failures per layer.
    pub fn render_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<14} {:>8} {:>8} {:>8}",
            "layer", "run", "passed", "failed"
        );
        for l in &self.layers {
            let _ = writeln!(
                s,
                "{:<14} {:>8} {:>8} {:>8}",
                l.layer,
                l.run,
                l.passed,
                l.failures.len()
            );
        }
        let _ = writeln!(
            s,
            "{:<14} {:>8} {:>8} {:>8}",
            "total",
            self.total_run(),
            self.total_passed(),
            self.total_failed()
        );
        for l in &self.layers {
            for f in l.failures.iter().take(20) {
                let _ = writeln!(s, "FAIL {} {}: {}", l.layer, f.id, f.detail);
            }
            if l.failures.len() > 20 {
                let _ = writeln!(s, "... and {} more in {}", l.failures.len() - 20, l.layer);
            }
        }
        s
    }
}

/// The vectors committed in this repository (`test-vectors/vectors`).
pub fn default_vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

/// Runs every `*.json` file of `dir` (in file-name order).
pub fn run_dir(dir: &Path) -> Result<Report, RunError> {
    let entries = std::fs::read_dir(dir).map_err(|source| RunError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    for e in entries {
        let e = e.map_err(|source| RunError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let p = e.path();
        if p.extension().is_some_and(|x| x == "json") && p.is_file() {
            files.push(p);
        }
    }
    if files.is_empty() {
        return Err(RunError::Empty(dir.to_path_buf()));
    }
    files.sort();
    let mut report = Report::default();
    for f in files {
        report.layers.push(run_file(&f)?);
    }
    Ok(report)
}

/// Runs one vector file.
pub fn run_file(path: &Path) -> Result<LayerReport, RunError> {
    let text = std::fs::read_to_string(path).map_err(|source| RunError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let v: Value = serde_json::from_str(&text).map_err(|e| RunError::Format {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut r = run_vectors(&v).map_err(|reason| RunError::Format {
        path: path.to_path_buf(),
        reason,
    })?;
    r.file = path.to_path_buf();
    Ok(r)
}

/// Runs an already parsed vector file.
pub fn run_vectors(file: &Value) -> Result<LayerReport, String> {
    let layer = file
        .get("layer")
        .and_then(Value::as_str)
        .ok_or("missing string field `layer`")?;
    let cases = file
        .get("cases")
        .and_then(Value::as_array)
        .ok_or("missing array field `cases`")?;
    let mut report = LayerReport {
        layer: layer.to_owned(),
        ..LayerReport::default()
    };
    for (i, case) in cases.iter().enumerate() {
        report.run += 1;
        let id = case
            .get("id")
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{i}"), str::to_owned);
        match check_case(layer, case) {
            Ok(()) => report.passed += 1,
            Err(detail) => report.failures.push(CaseFailure { id, detail }),
        }
    }
    Ok(report)
}

fn check_case(layer: &str, case: &Value) -> Result<(), String> {
    let op = case
        .get("op")
        .and_then(Value::as_str)
        .ok_or("case has no string `op`")?;
    let input = case.get("input").ok_or("case has no `input`")?;
    let expect = case.get("expect").ok_or("case has no `expect`")?;
    let got = layers::run(layer, op, input)?;
    compare(expect, &got)
}

/// Compares an `expect` object with what we produced.
fn compare(expect: &Value, got: &Outcome) -> Result<(), String> {
    match (expect.get("ok"), expect.get("error"), got) {
        (Some(Value::Object(want)), None, Outcome::Ok(have)) => {
            for (k, w) in want {
                match have.get(k) {
                    Some(h) if h == w => {}
                    Some(h) => return Err(format!("field `{k}`: expected {w}, got {h}")),
                    None => return Err(format!("field `{k}`: expected {w}, not produced")),
                }
            }
            Ok(())
        }
        (Some(Value::Object(_)), None, Outcome::Error(e)) => {
            Err(format!("expected success, got error: {e}"))
        }
        (None, Some(class), Outcome::Ok(have)) => Err(format!(
            "expected error {class}, got success: {}",
            Value::Object(have.clone())
        )),
        (None, Some(_), Outcome::Error(_)) => Ok(()),
        _ => Err("`expect` must hold exactly one of `ok` (object) or `error`".into()),
    }
}
