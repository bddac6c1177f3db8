//! The SSB conformance runner.
//!
//! Loads language-neutral JSON vector files (format: `test-vectors/README.md`), replays every
//! case through the Rust stack and reports, per layer, how many cases ran, passed and failed,
//! with the case id and the difference for each failure. The same runner backs the test
//! suite (`tests/conformance.rs`) and `ssb conformance [--vectors DIR]`, so vectors that other
//! implementations publish can be run too.
//!
//! An expected error is a coarse class (`{"error": "invalid"}`): each layer maps our typed
//! error to the class of the README's table, and the runner fails a case whose class differs
//! (an error is never enough by itself). Cases with a `policy` field are this project's rules
//! beyond the JS reference; they are run like the others and counted apart
//! ([`LayerReport::policy_run`]).
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
    /// The operation failed.
    Error {
        /// The vector error class our error maps to (`test-vectors/README.md`), compared with
        /// the case's `{"error": class}`; [`UNCLASSIFIED`] when the layer has no class for it.
        class: &'static str,
        /// Our own error (code and message), shown when the case fails.
        detail: String,
    },
}

/// The class of an error that a layer cannot map to any vector class: it matches no case.
pub const UNCLASSIFIED: &str = "unclassified";

impl Outcome {
    /// An error outcome of class `class`.
    pub fn error(class: &'static str, detail: impl core::fmt::Display) -> Self {
        Outcome::Error {
            class,
            detail: detail.to_string(),
        }
    }
}

/// One case that did not give the expected outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFailure {
    /// The case id from the vector file.
    pub id: String,
    /// What differed.
    pub detail: String,
    /// True for a case of the `policy` group (a rule of ours beyond the JS reference).
    pub policy: bool,
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
    /// Of the cases run, those labelled `policy` (our rule where it differs from JS; the
    /// others are the JS reference's own verdicts).
    pub policy_run: usize,
    /// Of the policy cases, those that passed.
    pub policy_passed: usize,
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
    /// Total policy cases run (included in [`Report::total_run`]).
    pub fn total_policy_run(&self) -> usize {
        self.layers.iter().map(|l| l.policy_run).sum()
    }
    /// True when at least one case ran and none failed.
    pub fn all_passed(&self) -> bool {
        self.total_run() > 0 && self.total_failed() == 0
    }
    /// A table (one row per layer: cases run, passed and failed, and how many of those run
    /// are JS-proven and how many policy) followed by up to 20 failures per layer.
    pub fn render_table(&self) -> String {
        let mut s = String::new();
        let row = |s: &mut String,
                   name: &str,
                   run: usize,
                   passed: usize,
                   failed: usize,
                   policy: usize| {
            let _ = writeln!(
                s,
                "{name:<14} {run:>8} {passed:>8} {failed:>8} {:>10} {policy:>8}",
                run.saturating_sub(policy)
            );
        };
        let _ = writeln!(
            s,
            "{:<14} {:>8} {:>8} {:>8} {:>10} {:>8}",
            "layer", "run", "passed", "failed", "js-proven", "policy"
        );
        for l in &self.layers {
            row(
                &mut s,
                &l.layer,
                l.run,
                l.passed,
                l.failures.len(),
                l.policy_run,
            );
        }
        row(
            &mut s,
            "total",
            self.total_run(),
            self.total_passed(),
            self.total_failed(),
            self.total_policy_run(),
        );
        for l in &self.layers {
            for f in l.failures.iter().take(20) {
                let tag = if f.policy { " (policy)" } else { "" };
                let _ = writeln!(s, "FAIL {} {}{tag}: {}", l.layer, f.id, f.detail);
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

/// The EBT event-log vectors (`test-vectors/vectors/ebt`, one file per group); [`run_dir`]
/// on [`default_vectors_dir`] reads them too.
pub fn ebt_vectors_dir() -> PathBuf {
    default_vectors_dir().join("ebt")
}

/// Runs every `*.json` file of `dir` (in file-name order), then those of its immediate
/// subdirectories.
pub fn run_dir(dir: &Path) -> Result<Report, RunError> {
    let mut files = json_files(dir)?;
    files.sort();
    // Then one level of subdirectories (`ebt/` holds one file per scenario group), after the
    // top-level files so their layers keep their places.
    let mut subs = subdirs(dir)?;
    subs.sort();
    for sub in subs {
        let mut more = json_files(&sub)?;
        more.sort();
        files.extend(more);
    }
    if files.is_empty() {
        return Err(RunError::Empty(dir.to_path_buf()));
    }
    let mut report = Report::default();
    for f in files {
        let mut layer = run_file(&f)?;
        // A group file of a subdirectory is named by it: `ebt/two-peers`.
        if f.parent() != Some(dir)
            && let Some(stem) = f.file_stem().and_then(|s| s.to_str())
        {
            layer.layer = format!("{}/{stem}", layer.layer);
        }
        report.layers.push(layer);
    }
    Ok(report)
}

fn dir_entries(dir: &Path) -> Result<Vec<std::path::PathBuf>, RunError> {
    let io = |source| RunError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io)? {
        out.push(e.map_err(io)?.path());
    }
    Ok(out)
}

fn json_files(dir: &Path) -> Result<Vec<std::path::PathBuf>, RunError> {
    Ok(dir_entries(dir)?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect())
}

fn subdirs(dir: &Path) -> Result<Vec<std::path::PathBuf>, RunError> {
    Ok(dir_entries(dir)?
        .into_iter()
        .filter(|p| p.is_dir())
        .collect())
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
    let policies = file.get("policies");
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
        let policy = case.get("policy").is_some();
        if policy {
            report.policy_run += 1;
        }
        match check_policy(case, policies).and_then(|()| check_case(layer, case)) {
            Ok(()) => {
                report.passed += 1;
                if policy {
                    report.policy_passed += 1;
                }
            }
            Err(detail) => report.failures.push(CaseFailure { id, detail, policy }),
        }
    }
    Ok(report)
}

/// A `policy` case must name a rule that the file documents and record the JS verdict.
fn check_policy(case: &Value, policies: Option<&Value>) -> Result<(), String> {
    let Some(p) = case.get("policy") else {
        return Ok(());
    };
    let rule = p
        .get("rule")
        .and_then(Value::as_str)
        .ok_or("`policy` has no string `rule`")?;
    if p.get("js").is_none() {
        return Err(format!(
            "policy `{rule}` does not record the JS verdict (`js`)"
        ));
    }
    match policies.and_then(|ps| ps.get(rule)) {
        Some(Value::Object(_)) => Ok(()),
        _ => Err(format!(
            "policy rule `{rule}` is not documented in the file's `policies`"
        )),
    }
}

fn check_case(layer: &str, case: &Value) -> Result<(), String> {
    let op = case
        .get("op")
        .and_then(Value::as_str)
        .ok_or("case has no string `op`")?;
    let input = case.get("input").ok_or("case has no `input`")?;
    let expect = case.get("expect").ok_or("case has no `expect`")?;
    if layer == "ebt" {
        // Event logs: every step is compared as it happens (outputs and the whole state),
        // so that a failure names the first step and field that differ.
        return layers::ebt::check(op, input, expect);
    }
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
        (Some(Value::Object(_)), None, Outcome::Error { class, detail }) => Err(format!(
            "expected success, got error of class `{class}`: {detail}"
        )),
        (None, Some(Value::String(class)), Outcome::Ok(have)) => Err(format!(
            "expected error of class `{class}`, got success: {}",
            Value::Object(have.clone())
        )),
        (None, Some(Value::String(want)), Outcome::Error { class, detail }) => {
            if want == class {
                Ok(())
            } else {
                Err(format!(
                    "expected error of class `{want}`, got class `{class}`: {detail}"
                ))
            }
        }
        _ => {
            Err("`expect` must hold exactly one of `ok` (object) or `error` (class string)".into())
        }
    }
}
