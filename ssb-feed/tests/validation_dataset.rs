//! Replays fraction's `ssb-validation-dataset` (npm, AGPL-3.0; installed at test time by
//! `test-vectors/external/validation-dataset.sh`, never committed): every case must get the
//! dataset's verdict, valid ones its id, and invalid ones the error class the JS reference
//! reports for the same case.
//!
//! The dataset's `error` texts describe one fault per case in its author's words, and several
//! cases hold more than one fault (case 122 has a string `sequence` *and* a `.big.ed25519`
//! signature), so they cannot say which failure a validator that checks in `ssb-validate`'s
//! order reports first. The expected class therefore comes from `ssb-validate` itself:
//! `test-vectors/js/validation-dataset-oracle.js` runs every case through it (one `node`
//! process) and maps its error messages to the `FeedError::code()` names as the `feed` vector
//! layer does (`test-vectors/README.md`). The dataset's text is shown beside any mismatch.
//!
//! `data.json` is read with `ssb-legacy-json`'s JS-semantics parser, so each message is
//! exactly the object `JSON.parse` gives the JS validator (key order, numbers, escapes).
//!
//! Needs the dataset (`test-vectors/external/validation-dataset.sh`; `$SSB_VALIDATION_DATASET`
//! overrides its path), node and `test-vectors/js/node_modules` (`npm ci` there). Without them
//! the test fails and says how to install them; `SSB_SKIP_EXTERNAL=1` skips it explicitly.

use std::path::PathBuf;
use std::process::Command;

use ssb_crypto::MsgId;
use ssb_feed::{FeedState, SignCap, validate_value};
use ssb_legacy_json::Value;

fn data_path() -> PathBuf {
    if let Some(p) = std::env::var_os("SSB_VALIDATION_DATASET") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../test-vectors/external/.npm-validation-dataset/node_modules/ssb-validation-dataset/data.json")
}

/// Fails saying what is missing and how to install it, unless `SSB_SKIP_EXTERNAL=1` asks to
/// skip the external suites (then the skip is printed).
fn missing(what: &str, how: &str) {
    assert!(
        std::env::var("SSB_SKIP_EXTERNAL").is_ok_and(|v| v == "1"),
        "{what}\n{how}\n(set SSB_SKIP_EXTERNAL=1 to skip the external suites explicitly)"
    );
    eprintln!("SKIPPED (SSB_SKIP_EXTERNAL=1): {what}");
}

/// ssb-validate's verdict on every case, from the JS oracle.
fn js_verdicts(data: &std::path::Path) -> Result<Vec<serde_json::Value>, String> {
    let js = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../test-vectors/js");
    if !js.join("node_modules/ssb-validate").is_dir() {
        return Err(format!("{} has no node_modules/ssb-validate", js.display()));
    }
    let out = Command::new("node")
        .arg(js.join("validation-dataset-oracle.js"))
        .arg(data)
        .output()
        .map_err(|e| format!("cannot start node ({e}): node >= 20 is required"))?;
    if !out.status.success() {
        panic!(
            "validation-dataset-oracle.js failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(serde_json::from_slice(&out.stdout).expect("the oracle writes a JSON array"))
}

#[test]
fn every_case_gets_the_datasets_verdict_and_ssb_validates_class() {
    let path = data_path();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            missing(
                &format!("ssb-validation-dataset: {}: {e}", path.display()),
                "install it with test-vectors/external/validation-dataset.sh (./test.sh does), \
                 or point SSB_VALIDATION_DATASET at its data.json",
            );
            return;
        }
    };
    let js = match js_verdicts(&path) {
        Ok(v) => v,
        Err(e) => {
            missing(
                &format!("the JS oracle for the dataset's error classes: {e}"),
                "install node >= 20 and run `npm ci` in test-vectors/js (./test.sh does)",
            );
            return;
        }
    };
    let data = ssb_legacy_json::parse(&bytes).expect("data.json is JSON");
    let cases = data.as_array().expect("data.json is an array");
    assert_eq!(
        cases.len(),
        126,
        "ssb-validation-dataset 1.2.1 has 126 cases"
    );
    assert_eq!(js.len(), cases.len(), "one JS verdict per case");
    let (mut valid, mut invalid) = (0, 0);
    let mut failures = Vec::new();
    for (i, (case, js)) in cases.iter().zip(&js).enumerate() {
        let state = match case.get("state") {
            Some(Value::Object(s)) => Some(FeedState {
                id: s
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|t| t.parse::<MsgId>().ok())
                    .expect("state.id"),
                sequence: s
                    .get("sequence")
                    .and_then(Value::as_f64)
                    .expect("state.sequence") as i64,
                timestamp: f64::NAN,
            }),
            _ => None,
        };
        // A key that is not a string (case 115: `true`) makes ssb-validate throw while
        // converting it (`Buffer.from`): nothing validates under it, as under an invalid key.
        let cap = match case.get("hmacKey") {
            None | Some(Value::Null) => SignCap::None,
            Some(k) => k
                .as_str()
                .map_or(SignCap::InvalidKey, |k| SignCap::from_js(Some(k))),
        };
        let msg = case.get("message").cloned().unwrap_or_default();
        let expect_valid = case.get("valid").and_then(Value::as_bool).expect("valid");
        let said = case
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("(no error text)");
        if js["valid"].as_bool() != Some(expect_valid) {
            failures.push(format!(
                "case {i}: ssb-validate's verdict {js} differs from the dataset's ({said})"
            ));
        }
        match (validate_value(state.as_ref(), msg, &cap), expect_valid) {
            (Ok(m), true) => {
                let want = case.get("id").and_then(Value::as_str);
                if want != Some(m.id().to_string().as_str()) {
                    failures.push(format!("case {i}: id {} != {want:?}", m.id()));
                }
                valid += 1;
            }
            (Err(e), false) => {
                let want = js["error"].as_str().unwrap_or("(none)");
                if e.code() != want {
                    failures.push(format!(
                        "case {i}: refused as `{}` ({e}) but ssb-validate says `{want}` \
                         (the dataset: {said})",
                        e.code()
                    ));
                }
                invalid += 1;
            }
            (Ok(m), false) => failures.push(format!(
                "case {i}: accepted ({}) but the dataset says invalid: {said}",
                m.id()
            )),
            (Err(e), true) => failures.push(format!("case {i}: refused ({e}) but valid")),
        }
    }
    println!(
        "ssb-validation-dataset: {valid} valid, {invalid} invalid, {} disagreements",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!((valid, invalid), (27, 99));
}
