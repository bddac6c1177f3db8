//! Replays fraction's `ssb-validation-dataset` (npm, AGPL-3.0; installed at test time by
//! `test-vectors/external/validation-dataset.sh`, never committed): every case must get the
//! dataset's verdict, and valid ones its id.
//!
//! `data.json` is read with `ssb-legacy-json`'s JS-semantics parser, so each message is
//! exactly the object `JSON.parse` gives the JS validator (key order, numbers, escapes).

use std::path::PathBuf;

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

#[test]
fn every_case_gets_the_datasets_verdict() {
    let path = data_path();
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\nrun test-vectors/external/validation-dataset.sh first (./test.sh does)",
            path.display()
        )
    });
    let data = ssb_legacy_json::parse(&bytes).expect("data.json is JSON");
    let cases = data.as_array().expect("data.json is an array");
    assert_eq!(
        cases.len(),
        126,
        "ssb-validation-dataset 1.2.1 has 126 cases"
    );
    let (mut valid, mut invalid) = (0, 0);
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
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
        let cap = SignCap::from_js(case.get("hmacKey").and_then(Value::as_str));
        let msg = case.get("message").cloned().unwrap_or_default();
        let expect_valid = case.get("valid").and_then(Value::as_bool).expect("valid");
        let got = validate_value(state.as_ref(), msg, &cap);
        match (&got, expect_valid) {
            (Ok(m), true) => {
                let want = case.get("id").and_then(Value::as_str);
                if want != Some(m.id().to_string().as_str()) {
                    failures.push(format!("case {i}: id {} != {want:?}", m.id()));
                }
                valid += 1;
            }
            (Err(_), false) => invalid += 1,
            (Ok(m), false) => failures.push(format!(
                "case {i}: accepted ({}) but the dataset says invalid: {:?}",
                m.id(),
                case.get("error")
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
