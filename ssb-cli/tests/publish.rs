//! `ssb publish`: what it writes is what JS `ssb-validate.create` + `ssb-keys` create (the
//! feed vectors), every feed it writes passes JS `ssb-validate.append` (run by node over
//! the file), and neither a torn write nor a process killed mid-append corrupts the file.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Rng, node_script, ssb, stderr, stdout, tmp, vector_file};

const SEED_A: &str = "0101010101010101010101010101010101010101010101010101010101010101";
const SEED_B: &str = "0202020202020202020202020202020202020202020202020202020202020202";

fn keygen(dir: &Path, name: &str, seed: &str) -> PathBuf {
    let secret = dir.join(name);
    let out = ssb(
        &[
            "keygen",
            "--seed",
            seed,
            "--secret",
            secret.to_str().expect("UTF-8"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    secret
}

/// `ssb publish` with these extra arguments; returns (exit code, stdout, stderr).
fn publish(feed: &Path, secret: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let mut args = vec![
        "publish",
        "--feed",
        feed.to_str().expect("UTF-8"),
        "--secret",
        secret.to_str().expect("UTF-8"),
    ];
    args.extend_from_slice(extra);
    let out = ssb(&args, None);
    (out.status.code(), stdout(&out), stderr(&out))
}

/// JS `ssb-validate.append` over the file: one (valid, id or error) per message.
fn js_validate(feed: &Path, hmac: Option<&str>) -> Vec<serde_json::Value> {
    let mut args = vec![feed.to_str().expect("UTF-8")];
    args.extend(hmac);
    let mut all = vec!["validate"];
    all.extend(args);
    node_script("cli-oracle.js", &all, b"")
        .lines()
        .map(|l| serde_json::from_str(l).expect("oracle JSON"))
        .collect()
}

/// Asserts that JS accepts every message of `feed` and that their ids are `ids`.
fn assert_js_accepts(feed: &Path, hmac: Option<&str>, ids: &[String]) {
    let js = js_validate(feed, hmac);
    assert_eq!(js.len(), ids.len(), "messages in {}", feed.display());
    for (i, (r, id)) in js.iter().zip(ids).enumerate() {
        assert_eq!(r["valid"], true, "JS refuses message {i}: {}", r["error"]);
        assert_eq!(r["id"], id.as_str(), "message {i}");
    }
}

fn json_text(v: &serde_json::Value) -> String {
    serde_json::to_string(v).expect("JSON")
}

/// Every `create` vector is replayed through `ssb publish`: the vectors' states chain into
/// feeds (several cases branch from one message); each case appends to a copy of the feed
/// ending in its state's message. The written line must be JS's message, byte for byte in
/// signing form, with JS's id; refused content must be refused with nothing written.
#[test]
fn publish_writes_exactly_what_js_creates_and_refuses_what_js_refuses() {
    let dir = tmp("publish-vectors");
    let file = vector_file("feed.json");
    // The id of each feed's last message -> (the feed file, its HMAC key).
    let mut feeds: HashMap<String, (PathBuf, Option<String>)> = HashMap::new();
    let mut secrets: HashMap<String, PathBuf> = HashMap::new();
    let (mut replayed, mut refused, mut skipped) = (0, 0, Vec::new());
    for (n, case) in file["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["op"] == "create")
        .enumerate()
    {
        let id = case["id"].as_str().expect("id");
        let input = &case["input"];
        let seed = input["seed"].as_str().expect("seed");
        let secret = secrets
            .entry(seed.to_owned())
            .or_insert_with(|| keygen(&dir, &format!("secret-{seed}"), seed))
            .clone();
        let hmac = input["hmac_key"].as_str().map(str::to_owned);
        let feed = dir.join(format!("feed-{n}.jsonl"));
        if let Some(state) = input["state"].as_object() {
            let prev = state["id"].as_str().expect("state id");
            let Some((prev_feed, prev_hmac)) = feeds.get(prev) else {
                skipped.push(format!("{id}: no feed ends in {prev}"));
                continue;
            };
            if *prev_hmac != hmac {
                // A real feed is on one network: publish checks the last message under the
                // same HMAC key, so a case that switches networks mid-feed cannot be replayed.
                skipped.push(format!("{id}: switches HMAC key mid-feed"));
                continue;
            }
            std::fs::copy(prev_feed, &feed).expect("copy feed");
        }
        let ts = json_text(&input["timestamp"]);
        let content = input["content_json"].as_str().expect("content");
        let mut extra = vec!["--content", content, "--timestamp", &ts];
        if let Some(k) = &hmac {
            extra.extend(["--hmac-key", k.as_str()]);
        }
        let before = std::fs::read(&feed).unwrap_or_default();
        let (code, out, err) = publish(&feed, &secret, &extra);
        match case["expect"]["ok"].as_object() {
            Some(ok) => {
                assert_eq!(code, Some(0), "{id}: {err}");
                let js_id = ok["id"].as_str().expect("id");
                assert_eq!(out.trim(), js_id, "{id}");
                let text = std::fs::read(&feed).expect("feed");
                assert!(text.starts_with(&before) && text.ends_with(b"\n"), "{id}");
                let line = &text[before.len()..text.len() - 1];
                assert!(!line.contains(&b'\n'), "{id}: one line");
                let value = ssb_legacy_json::parse(line).expect("the line is JSON");
                assert_eq!(
                    value.to_signing_string(),
                    ok["message"].as_str().expect("message"),
                    "{id}"
                );
                feeds.insert(js_id.to_owned(), (feed, hmac));
                replayed += 1;
            }
            None => {
                let code_name = case["expect"]["error"].as_str().expect("error");
                assert_eq!(code, Some(2), "{id}: JS refuses ({code_name})");
                assert!(err.contains(&format!("[{code_name}]")), "{id}: {err}");
                assert_eq!(err.lines().count(), 1, "{id}: {err}");
                assert_eq!(std::fs::read(&feed).unwrap_or_default(), before, "{id}");
                refused += 1;
            }
        }
    }
    eprintln!(
        "create vectors: {replayed} replayed, {refused} refused as JS refuses, {} skipped:\n  {}",
        skipped.len(),
        skipped.join("\n  ")
    );
    assert!(
        replayed >= 30 && refused >= 4,
        "{replayed} replayed, {refused} refused"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Generated content: post texts in many scripts, escapes, emoji, lone surrogates written as
/// escapes, numbers, nesting, integer-like keys, encrypted-string content.
fn content(rng: &mut Rng, i: usize) -> String {
    const TEXTS: &[&str] = &[
        "hello",
        "héllo wörld",
        "ß€😀❤️",
        "中文字符",
        "русский текст",
        "עברית",
        "العربية",
        "e\u{301} combining",
        "tab\there \"quoted\" back\\slash",
        "line\nbreak",
        "\u{2028}\u{2029}",
        "\u{0}\u{1f}",
        "🏳️‍🌈 zwj",
        "",
    ];
    let text = serde_json::to_string(
        &(0..1 + rng.below(3))
            .map(|_| *rng.pick(TEXTS))
            .collect::<Vec<_>>()
            .join(" "),
    )
    .expect("JSON");
    match rng.below(6) {
        0 => format!(
            r#"{{"type":"vote","vote":{{"link":"%ENBXTBfe8xM57TY24jzF9/CGskuKi4UacIeu5gZH1/o=.sha256","value":{},"expression":{text}}}}}"#,
            rng.below(3) as i64 - 1
        ),
        1 => format!(
            r#"{{"type":"about","about":"@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.ed25519","name":{text},"10":"ten","2":"two"}}"#
        ),
        2 => format!(
            r#"{{"type":"post","text":{text},"mentions":[{{"link":"&AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=.sha256","size":{}}}],"n":[1e21,1e-7,0.1,-0,{}.5]}}"#,
            rng.below(100_000),
            rng.below(1000)
        ),
        3 => format!(r#"{{"type":"test\u00e9","lone":"\ud800","t":{text},"nested":[[[{{}}]]]}}"#),
        4 => {
            // An encrypted message is content in the form "<base64>.box".
            let bytes: Vec<u8> = (0..48).map(|_| rng.next() as u8).collect();
            format!("\"{}.box\"", ssb_crypto::base64::encode(&bytes))
        }
        _ => format!(r#"{{"type":"post","text":{text},"i":{i}}}"#),
    }
}

#[test]
fn a_published_feed_of_120_messages_passes_js_ssb_validate() {
    let dir = tmp("publish-js");
    let secret = keygen(&dir, "secret", SEED_A);
    let mut rng = Rng::from_env("a_published_feed_of_120_messages_passes_js_ssb_validate");
    let feed = dir.join("feed.jsonl");
    let mut ids = Vec::new();
    for i in 0..120 {
        let c = content(&mut rng, i);
        let ts = (1_514_517_067_954u64 + 1000 * i as u64).to_string();
        let mut extra = vec!["--content", c.as_str()];
        if i % 3 != 0 {
            extra.extend(["--timestamp", ts.as_str()]); // else: now
        }
        let (code, out, err) = publish(&feed, &secret, &extra);
        assert_eq!(code, Some(0), "message {i} ({c}): {err}");
        assert!(err.is_empty(), "{err}");
        ids.push(out.trim().to_owned());
    }
    let text = std::fs::read_to_string(&feed).expect("feed");
    assert!(
        text.contains("中文字符") && text.contains("😀"),
        "non-ASCII kept as is"
    );
    assert_js_accepts(&feed, None, &ids);
    // verify-feed agrees, id for id.
    let out = ssb(
        &["verify-feed", "--json", feed.to_str().expect("UTF-8")],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let ours: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON");
            v["key"].as_str().expect("key").to_owned()
        })
        .collect();
    assert_eq!(ours, ids);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_feed_on_an_hmac_network_passes_js_with_the_same_key_only() {
    let dir = tmp("publish-hmac");
    let secret = keygen(&dir, "secret", SEED_A);
    let key = "q6qyXjTX+QDJNe629Ih6bDVPn0v4EcpzNnwP3nIeBqs=";
    let mut rng = Rng::from_env("a_feed_on_an_hmac_network_passes_js_with_the_same_key_only");
    let feed = dir.join("feed.jsonl");
    let mut ids = Vec::new();
    for i in 0..20 {
        let c = content(&mut rng, i);
        let (code, out, err) = publish(&feed, &secret, &["--content", &c, "--hmac-key", key]);
        assert_eq!(code, Some(0), "{err}");
        ids.push(out.trim().to_owned());
    }
    assert_js_accepts(&feed, Some(key), &ids);
    let main_net = js_validate(&feed, None);
    assert_eq!(
        main_net[0]["valid"], false,
        "JS refuses it on the main network"
    );
    // Publishing without the key: the last message does not verify; nothing is written.
    let before = std::fs::read(&feed).expect("feed");
    let (code, _, err) = publish(&feed, &secret, &["--content", r#"{"type":"post"}"#]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("signature_invalid") && err.contains("--hmac-key"),
        "{err}"
    );
    assert_eq!(std::fs::read(&feed).expect("feed"), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn publish_refuses_another_author_a_bad_last_message_and_bad_arguments() {
    let dir = tmp("publish-refusals");
    let a = keygen(&dir, "a", SEED_A);
    let b = keygen(&dir, "b", SEED_B);
    let feed = dir.join("feed.jsonl");
    let post = r#"{"type":"post","text":"hi"}"#;
    assert_eq!(publish(&feed, &a, &["--content", post]).0, Some(0));
    let before = std::fs::read(&feed).expect("feed");
    let (code, _, err) = publish(&feed, &b, &["--content", post]);
    assert_eq!(code, Some(2));
    assert!(err.contains("the last message is by @"), "{err}");
    assert_eq!(std::fs::read(&feed).expect("feed"), before);
    // Content that is not JSON, a bad timestamp, a bad key: exit 2, nothing written.
    for extra in [
        &["--content", "{"][..],
        &["--content", post, "--timestamp", "NaN"],
        &["--content", post, "--timestamp", "soon"],
        &["--content", post, "--hmac-key", "nope"],
        &["--content", "{\"type\":\"post\",\"text\":\""],
    ] {
        let (code, _, err) = publish(&feed, &a, extra);
        assert_eq!(code, Some(2), "{extra:?}: {err}");
        assert_eq!(std::fs::read(&feed).expect("feed"), before, "{extra:?}");
    }
    // A tampered last message is not a state to build on.
    let tampered = String::from_utf8(before.clone())
        .expect("UTF-8")
        .replace("\"hi\"", "\"ho\"");
    std::fs::write(&feed, &tampered).expect("write");
    let (code, _, err) = publish(&feed, &a, &["--content", post]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("the last message is not valid (signature_invalid"),
        "{err}"
    );
    // Not a feed at all.
    std::fs::write(&feed, "[1,2,3]\n").expect("write");
    let (code, _, err) = publish(&feed, &a, &["--content", post]);
    assert_eq!(code, Some(2), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A crash mid-write leaves a prefix of the new line (a torn write). For cuts at random
/// points of the last line: publish reports it (exit 2) and changes nothing; `--repair`
/// drops the torn line and appends; the result passes JS.
#[test]
fn a_torn_last_line_is_reported_and_repair_drops_it() {
    let dir = tmp("publish-torn");
    let secret = keygen(&dir, "secret", SEED_A);
    let feed = dir.join("feed.jsonl");
    let mut ids = Vec::new();
    for i in 0..5 {
        let c = format!(r#"{{"type":"post","text":"message {i} é😀"}}"#);
        let (code, out, err) = publish(&feed, &secret, &["--content", &c]);
        assert_eq!(code, Some(0), "{err}");
        ids.push(out.trim().to_owned());
    }
    let whole = std::fs::read(&feed).expect("feed");
    let last_start = whole[..whole.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .expect("lines")
        + 1;
    let mut rng = Rng::from_env("a_torn_last_line_is_reported_and_repair_drops_it");
    let last_len = whole.len() - last_start;
    let mut cuts: Vec<usize> = (0..12).map(|_| 1 + rng.below(last_len - 1)).collect();
    cuts.extend([1, last_len - 1]); // one byte of the line; all but its newline
    for (n, keep) in cuts.into_iter().enumerate() {
        let torn = &whole[..last_start + keep];
        std::fs::write(&feed, torn).expect("write");
        let c = format!(r#"{{"type":"post","text":"after the crash {n}"}}"#);
        let (code, _, err) = publish(&feed, &secret, &["--content", &c]);
        assert_eq!(code, Some(2), "cut at {keep}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("incomplete line") && err.contains("--repair"),
            "{err}"
        );
        assert_eq!(std::fs::read(&feed).expect("feed"), torn, "unchanged");
        let (code, out, err) = publish(&feed, &secret, &["--content", &c, "--repair"]);
        assert_eq!(code, Some(0), "{err}");
        assert!(
            err.contains(&format!("dropped an incomplete last line of {keep} bytes")),
            "{err}"
        );
        let mut want = ids[..4].to_vec();
        want.push(out.trim().to_owned());
        assert_js_accepts(&feed, None, &want);
    }
    // A torn first line (no newline at all) is dropped too.
    std::fs::write(&feed, &whole[..10]).expect("write");
    let (code, _, _) = publish(&feed, &secret, &["--content", r#"{"type":"post"}"#]);
    assert_eq!(code, Some(2));
    let (code, out, err) = publish(
        &feed,
        &secret,
        &["--content", r#"{"type":"post"}"#, "--repair"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_js_accepts(&feed, None, &[out.trim().to_owned()]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Publishers killed (SIGKILL) at random moments, over and over: after each kill the file is
/// a valid feed, or ends in a torn line that the next publish reports and `--repair` fixes.
/// At the end JS accepts the whole feed.
#[cfg(unix)]
#[test]
fn publishers_killed_at_random_moments_never_corrupt_the_feed() {
    let dir = tmp("publish-kill");
    let secret = keygen(&dir, "secret", SEED_A);
    let feed = dir.join("feed.jsonl");
    let mut rng = Rng::from_env("publishers_killed_at_random_moments_never_corrupt_the_feed");
    let (mut killed, mut finished, mut torn) = (0, 0, 0);
    for i in 0..80 {
        let c = format!(
            r#"{{"type":"post","text":"kill test {i} — ünïcödé 😀","pad":"{}"}}"#,
            "x".repeat(rng.below(4000))
        );
        let mut child = Command::new(env!("CARGO_BIN_EXE_ssb"))
            .args(["publish", "--feed", feed.to_str().expect("UTF-8")])
            .args(["--secret", secret.to_str().expect("UTF-8"), "--content", &c])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_micros(rng.below(6000) as u64));
        let _ = child.kill();
        let status = child.wait().expect("wait");
        if status.success() {
            finished += 1;
        } else {
            killed += 1;
        }
        let text = std::fs::read(&feed).unwrap_or_default();
        if !text.is_empty() && !text.ends_with(b"\n") {
            torn += 1;
            let (code, _, err) = publish(&feed, &secret, &["--content", r#"{"type":"post"}"#]);
            assert_eq!(code, Some(2), "{err}");
            assert!(err.contains("--repair"), "{err}");
            let (code, _, err) = publish(
                &feed,
                &secret,
                &["--content", r#"{"type":"post"}"#, "--repair"],
            );
            assert_eq!(code, Some(0), "{err}");
        }
    }
    // One more, undisturbed: the chain continues from whatever survived.
    let (code, _, err) = publish(
        &feed,
        &secret,
        &["--content", r#"{"type":"post","text":"end"}"#],
    );
    assert_eq!(code, Some(0), "{err}");
    let js = js_validate(&feed, None);
    assert!(js.iter().all(|r| r["valid"] == true), "{js:?}");
    eprintln!(
        "kill test: {killed} killed, {finished} finished, {torn} torn lines repaired, {} messages, all valid in JS",
        js.len()
    );
    assert!(
        killed > 0,
        "no publisher was killed: the test proves nothing"
    );
    assert!(js.len() > 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Concurrent publishers take turns (the file lock): no two messages claim one sequence.
#[test]
fn concurrent_publishers_never_fork_the_feed() {
    let dir = tmp("publish-concurrent");
    let secret = keygen(&dir, "secret", SEED_A);
    let feed = dir.join("feed.jsonl");
    let children: Vec<_> = (0..8)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_ssb"))
                .args(["publish", "--feed", feed.to_str().expect("UTF-8")])
                .args(["--secret", secret.to_str().expect("UTF-8")])
                .args(["--content", &format!(r#"{{"type":"post","text":"{i}"}}"#)])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let js = js_validate(&feed, None);
    assert_eq!(js.len(), 8);
    assert!(js.iter().all(|r| r["valid"] == true), "{js:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
