//! Replays every committed vector file through the Rust stack.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

#[test]
fn every_committed_vector_passes() {
    let report = ssb_test_vectors::run_dir(&ssb_test_vectors::default_vectors_dir())
        .expect("vectors directory is readable");
    println!("{}", report.render_table());
    assert!(report.total_run() > 0, "no vectors ran");
    assert_eq!(report.total_failed(), 0, "\n{}", report.render_table());
}

#[test]
fn the_runner_reports_a_wrong_expectation() {
    // A vector that disagrees with the stack must be reported, not silently passed.
    let file = serde_json::json!({
        "layer": "crypto",
        "cases": [
            {"id": "good", "op": "sha256", "input": {"message": ""},
             "expect": {"ok": {"hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}},
            {"id": "bad", "op": "sha256", "input": {"message": ""},
             "expect": {"ok": {"hash": "00"}}},
            {"id": "should-fail", "op": "feed_id", "input": {"text": "@x.ed25519"},
             "expect": {"ok": {}}},
            {"id": "unknown-op", "op": "frobnicate", "input": {}, "expect": {"ok": {}}}
        ]
    });
    let r = ssb_test_vectors::run_vectors(&file).unwrap();
    assert_eq!(r.run, 4);
    assert_eq!(r.passed, 1);
    let ids: Vec<_> = r.failures.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["bad", "should-fail", "unknown-op"]);
}

/// The vector files of `dir` (top level), parsed: (file name, file).
fn files_in(dir: &std::path::Path) -> Vec<(String, serde_json::Value)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("vectors directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("vector file");
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                serde_json::from_str(&text).expect("JSON"),
            )
        })
        .collect()
}

/// The committed vector files (`vectors/*.json`), parsed.
fn committed() -> Vec<(String, serde_json::Value)> {
    files_in(&ssb_test_vectors::default_vectors_dir())
}

/// Every expected error class in a file: (case index, class).
fn error_cases(file: &serde_json::Value) -> Vec<(usize, String)> {
    file["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some((i, c["expect"]["error"].as_str()?.to_owned())))
        .collect()
}

#[test]
fn an_error_of_another_class_fails_the_case() {
    // Every committed case that expects an error, with its class replaced by another class
    // (one the same file uses for other cases where there is one, else a made-up class),
    // must now fail, naming both classes; every other case still passes.
    let mut changed_total = 0;
    for (name, mut file) in committed() {
        let errors = error_cases(&file);
        if errors.is_empty() {
            continue;
        }
        let mut classes: Vec<&str> = errors.iter().map(|(_, c)| c.as_str()).collect();
        classes.sort_unstable();
        classes.dedup();
        let classes: Vec<String> = classes.into_iter().map(str::to_owned).collect();
        for (i, class) in &errors {
            let other = classes
                .iter()
                .find(|c| *c != class)
                .cloned()
                .unwrap_or_else(|| format!("not-{class}"));
            file["cases"][*i]["expect"]["error"] = serde_json::Value::String(other);
        }
        let r = ssb_test_vectors::run_vectors(&file).expect("runs");
        let want: Vec<String> = errors
            .iter()
            .map(|(i, _)| file["cases"][*i]["id"].as_str().unwrap().to_owned())
            .collect();
        let got: Vec<String> = r.failures.iter().map(|f| f.id.clone()).collect();
        assert_eq!(got, want, "{name}: exactly the changed cases fail");
        for f in &r.failures {
            assert!(
                f.detail.contains("expected error of class") && f.detail.contains("got class"),
                "{name} {}: {}",
                f.id,
                f.detail
            );
        }
        assert_eq!(r.passed + r.failures.len(), r.run);
        changed_total += errors.len();
    }
    // crypto and legacy-json hold hundreds of error cases; feed a few.
    assert!(changed_total > 500, "only {changed_total} error cases");
}

#[test]
fn a_real_vector_with_a_changed_class_fails_through_run_dir() {
    // The path `ssb conformance --vectors DIR` takes: a directory holding one real crypto
    // vector whose class was changed from `invalid` (ssb-keys cannot load the file) to
    // `inconsistent` (the class of the policy refusals) is reported as failed.
    let (_, crypto) = committed()
        .into_iter()
        .find(|(n, _)| n == "crypto.json")
        .expect("crypto.json");
    let case = crypto["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "secret-file-parse/broken-json/000")
        .expect("the broken-json secret file case")
        .clone();
    assert_eq!(case["expect"]["error"], "invalid");
    let mut changed = case.clone();
    changed["expect"]["error"] = "inconsistent".into();
    let dir = std::env::temp_dir().join(format!("ssb-vectors-class-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |cases: Vec<serde_json::Value>| {
        let file = serde_json::json!({ "layer": "crypto", "cases": cases });
        std::fs::write(dir.join("crypto.json"), file.to_string()).unwrap();
        ssb_test_vectors::run_dir(&dir).unwrap()
    };
    let original = write(vec![case]);
    assert!(original.all_passed(), "{}", original.render_table());
    let report = write(vec![changed]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!report.all_passed());
    assert_eq!(report.total_failed(), 1);
    let table = report.render_table();
    assert!(
        table.contains(
            "FAIL crypto secret-file-parse/broken-json/000: expected error of class `inconsistent`, got class `invalid`"
        ),
        "{table}"
    );
}

#[test]
fn policy_cases_are_counted_apart_and_need_a_documented_rule() {
    let case = |id: &str, rule: &str| {
        serde_json::json!({
            "id": id, "op": "feed_id",
            "input": {"text": "@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.sha256"},
            "expect": {"error": "invalid"},
            "policy": {"rule": rule, "js": {"ok": {}}}
        })
    };
    let file = serde_json::json!({
        "layer": "crypto",
        "policies": {"feed-id-ed25519": {"js": "…", "ours": "…", "why": "…"}},
        "cases": [
            case("documented", "feed-id-ed25519"),
            case("undocumented", "no-such-rule"),
            {"id": "js", "op": "sha256", "input": {"message": ""},
             "expect": {"ok": {"hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}}
        ]
    });
    let r = ssb_test_vectors::run_vectors(&file).unwrap();
    assert_eq!(
        (r.run, r.passed, r.policy_run, r.policy_passed),
        (3, 2, 2, 1)
    );
    assert_eq!(r.failures.len(), 1);
    assert_eq!(r.failures[0].id, "undocumented");
    assert!(r.failures[0].policy);
    assert!(
        r.failures[0].detail.contains("not documented"),
        "{}",
        r.failures[0].detail
    );
}

#[test]
fn committed_policy_cases_are_labelled_and_counted() {
    // Every case in the `policy/` group carries its rule and the JS verdict, and no case
    // outside it does: the runner's count is the file's.
    let report = ssb_test_vectors::run_dir(&ssb_test_vectors::default_vectors_dir()).unwrap();
    for ((name, file), layer) in committed().iter().zip(&report.layers) {
        let cases = file["cases"].as_array().unwrap();
        let mut policy = 0;
        for c in cases {
            let in_group = c["id"].as_str().unwrap().starts_with("policy/");
            assert_eq!(in_group, c.get("policy").is_some(), "{name} {}", c["id"]);
            if in_group {
                policy += 1;
                let rule = c["policy"]["rule"].as_str().unwrap();
                assert!(file["policies"][rule].is_object(), "{name}: rule {rule}");
                assert_ne!(c["policy"]["js"], c["expect"], "{name} {}", c["id"]);
            }
        }
        assert_eq!(layer.policy_run, policy, "{name}");
        assert_eq!(layer.policy_passed, policy, "{name}");
    }
}

/// The EBT event logs (`vectors/ebt/*.json`), parsed.
fn ebt_files() -> Vec<(String, serde_json::Value)> {
    files_in(&ssb_test_vectors::ebt_vectors_dir())
}

#[test]
fn every_ebt_event_log_passes() {
    // vectors/ebt/ on its own (run_dir on vectors/ reads it as well).
    let report = ssb_test_vectors::run_dir(&ssb_test_vectors::ebt_vectors_dir())
        .expect("vectors/ebt is readable");
    println!("{}", report.render_table());
    assert_eq!(report.layers.len(), 7, "seven ebt files");
    assert!(report.layers.iter().all(|l| l.layer == "ebt"));
    assert_eq!(report.total_run(), 162, "every committed ebt case runs");
    assert_eq!(report.total_failed(), 0, "\n{}", report.render_table());
}

/// Every place in a step where an expected value can be changed without making the step
/// malformed: (kind, pointer into the step).
fn flippable(step: &serde_json::Value) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(changes) = step["changes"].as_array() {
        for (i, c) in changes.iter().enumerate() {
            if c.as_array().is_some_and(|c| c.len() == 2) {
                out.push(("state", format!("/changes/{i}/1")));
            }
        }
    }
    for (j, s) in step["sent"].as_array().into_iter().flatten().enumerate() {
        if let Some(n) = s["notes"].as_object() {
            for k in n.keys() {
                let k = k.replace('~', "~0").replace('/', "~1");
                out.push(("sent notes", format!("/sent/{j}/notes/{k}")));
            }
        }
        if s.get("msg").is_some() {
            out.push(("sent msg", format!("/sent/{j}/msg/sequence")));
        }
    }
    for (j, _) in step["get"].as_array().into_iter().flatten().enumerate() {
        out.push(("get", format!("/get/{j}/seq")));
    }
    if step["validate"].is_object() {
        out.push(("validate", "/validate/msg/sequence".into()));
    }
    if step.get("persist").is_some() {
        out.push(("persist", "/persist/peer".into()));
    }
    for k in ["kind", "error", "ignored", "ended", "replaced"] {
        if step.get(k).is_some() {
            out.push(("flag", format!("/{k}")));
        }
    }
    out
}

/// A different value of the same kind.
fn flipped(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Bool(b) => Value::Bool(!b),
        Value::Number(n) => (n.as_f64().unwrap_or(0.0) + 1.0).into(),
        Value::String(s) => format!("{s}x").into(),
        Value::Null => Value::Bool(false),
        Value::Array(a) if a.is_empty() => Value::Array(vec![Value::Null]),
        Value::Array(a) => Value::Array(a[1..].to_vec()),
        Value::Object(_) => Value::Null,
    }
}

#[test]
fn a_flipped_ebt_expectation_fails_its_case() {
    // For every file, and for each kind of expected value (a state change, a sent note or
    // message, a read, a validation, a stored clock, a flag), change one such value in one
    // case (a different case and step each time): exactly that case must fail, at that
    // step, and every other case still passes.
    let mut kinds_seen = std::collections::BTreeSet::new();
    let mut flips = 0;
    for (name, file) in ebt_files() {
        let cases = file["cases"].as_array().unwrap().len();
        let mut done_kinds = std::collections::BTreeSet::new();
        for ci in 0..cases {
            let steps = file["cases"][ci]["expect"]["ok"]["steps"]
                .as_array()
                .unwrap()
                .clone();
            // A step in the middle of the log, for variety, then the others.
            let order = (0..steps.len()).map(|k| (k + steps.len() / 2) % steps.len());
            for si in order {
                for (kind, pointer) in flippable(&steps[si]) {
                    if done_kinds.contains(kind) {
                        continue;
                    }
                    let mut changed = file.clone();
                    let step = &mut changed["cases"][ci]["expect"]["ok"]["steps"][si];
                    let target = step.pointer_mut(&pointer).unwrap();
                    *target = flipped(target);
                    let r = ssb_test_vectors::run_vectors(&changed).expect("runs");
                    let id = file["cases"][ci]["id"].as_str().unwrap();
                    let failed: Vec<_> = r.failures.iter().map(|f| f.id.as_str()).collect();
                    assert_eq!(
                        failed,
                        [id],
                        "{name}: flipping {kind} {pointer} at step {si}"
                    );
                    let detail = &r.failures[0].detail;
                    assert!(
                        detail.starts_with(&format!("step {si} ")),
                        "{name} {id}: {kind} {pointer}: {detail}"
                    );
                    assert_eq!(r.passed, r.run - 1);
                    done_kinds.insert(kind);
                    kinds_seen.insert(kind);
                    flips += 1;
                }
            }
        }
    }
    for kind in [
        "state",
        "sent notes",
        "sent msg",
        "get",
        "validate",
        "persist",
        "flag",
    ] {
        assert!(kinds_seen.contains(kind), "no {kind} value was flipped");
    }
    assert!(flips >= 20, "only {flips} flips");
}
