//! Replays every committed vector file through the Rust stack.

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
