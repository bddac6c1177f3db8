//! End-to-end tests of `ssb private-box seal|open`: round trips between secret files made by
//! `ssb keygen`, exit codes (1: not for this key, 2: malformed or usage), `--max`, and
//! opening boxes made by JS `ssb-keys` (from the committed vectors).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn ssb(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ssb"))
        .args(args)
        .env("HOME", "/nonexistent-home-for-ssb-tests")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ssb runs");
    let mut input = child.stdin.take().expect("stdin");
    // A command that fails on its arguments exits without reading: a broken pipe is fine.
    if let Err(e) = input.write_all(stdin) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    drop(input);
    child.wait_with_output().expect("ssb exits")
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ssb-cli-pb-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A secret file for `seed` (made by `ssb keygen` the first time) and its feed id.
fn identity(dir: &Path, seed: &str) -> (String, String) {
    let file = dir.join(format!("secret-{seed}"));
    let file = file.to_str().expect("UTF-8 temp path").to_owned();
    let cmd = if Path::new(&file).exists() {
        "id"
    } else {
        "keygen"
    };
    let mut args = vec![cmd, "--secret", file.as_str()];
    if cmd == "keygen" {
        args.extend(["--seed", seed]);
    }
    let out = ssb(&args, b"");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned();
    (file, id)
}

fn seed(i: u8) -> String {
    format!("{i:02x}").repeat(32)
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

#[test]
fn seal_then_open_by_each_recipient_only() {
    let dir = tmp("roundtrip");
    let ids: Vec<_> = (1..=3).map(|i| identity(&dir, &seed(i))).collect();
    let to = format!("{},{}", ids[0].1, ids[1].1);
    let plaintext = b"binary \x00\xff private message";
    let sealed = ssb(&["private-box", "seal", "--to", &to], plaintext);
    assert_eq!(
        code(&sealed),
        Some(0),
        "{}",
        String::from_utf8_lossy(&sealed.stderr)
    );
    let text = String::from_utf8(sealed.stdout).unwrap();
    assert!(text.ends_with(".box\n"), "{text}");
    for (secret, _) in &ids[..2] {
        let out = ssb(
            &["private-box", "open", "--secret", secret],
            text.as_bytes(),
        );
        assert_eq!(
            code(&out),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, plaintext);
        // Without the suffix and the newline too.
        let bare = text.trim_end().strip_suffix(".box").unwrap();
        let out = ssb(
            &["private-box", "open", "--secret", secret],
            bare.as_bytes(),
        );
        assert_eq!(out.stdout, plaintext);
    }
    let out = ssb(
        &["private-box", "open", "--secret", &ids[2].0],
        text.as_bytes(),
    );
    assert_eq!(code(&out), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not for"));
}

#[test]
fn malformed_input_and_usage_exit_2() {
    let dir = tmp("errors");
    let (secret, id) = identity(&dir, &seed(7));
    let sealed = ssb(&["private-box", "seal", "--to", &id], b"x");
    let text = String::from_utf8(sealed.stdout).unwrap();
    let bytes =
        ssb_crypto::base64::decode_vec(text.trim_end().strip_suffix(".box").unwrap()).unwrap();
    let short = ssb_crypto::base64::encode(&bytes[..100]) + ".box";
    let mut tampered = bytes.clone();
    *tampered.last_mut().unwrap() ^= 1;
    let tampered = ssb_crypto::base64::encode(&tampered) + ".box";
    for (input, why) in [
        ("not base64!.box", "not a box"),
        ("", "too_short"),
        (short.as_str(), "too_short"),
        (tampered.as_str(), "body_unauthentic"),
    ] {
        let out = ssb(
            &["private-box", "open", "--secret", &secret],
            input.as_bytes(),
        );
        assert_eq!(code(&out), Some(2), "{input}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(why),
            "{input}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let eight: Vec<_> = (10..18).map(|i| identity(&dir, &seed(i)).1).collect();
    let bad_args: [&[&str]; 6] = [
        &["private-box", "seal"],
        &["private-box", "seal", "--to", "@nope.ed25519"],
        &["private-box", "seal", "--to", &id, "--max", "0"],
        &["private-box", "seal", "--to", &id, "--max", "256"],
        &["private-box", "seal", "--to", &eight.join(",")],
        &["private-box", "frobnicate"],
    ];
    for args in bad_args {
        let out = ssb(args, b"x");
        assert_eq!(code(&out), Some(2), "{args:?}");
    }
    // No --secret and no usable HOME: exit 2 naming the problem.
    let out = ssb(&["private-box", "open"], text.as_bytes());
    assert_eq!(code(&out), Some(2));
}

#[test]
fn max_lets_more_recipients_in() {
    let dir = tmp("max");
    let people: Vec<_> = (20..29).map(|i| identity(&dir, &seed(i))).collect();
    let to: Vec<_> = people.iter().map(|p| p.1.as_str()).collect();
    let sealed = ssb(
        &["private-box", "seal", "--to", &to.join(","), "--max", "9"],
        b"nine",
    );
    assert_eq!(
        code(&sealed),
        Some(0),
        "{}",
        String::from_utf8_lossy(&sealed.stderr)
    );
    // A default reader tries 8 slots, as JS: the 8th recipient reads it, the 9th does not
    // unless it reads with the agreed max.
    let open = |who: usize, extra: &[&str]| {
        let mut args = vec!["private-box", "open", "--secret", people[who].0.as_str()];
        args.extend_from_slice(extra);
        ssb(&args, &sealed.stdout)
    };
    assert_eq!(open(7, &[]).stdout, b"nine");
    assert_eq!(code(&open(8, &[])), Some(1));
    assert_eq!(open(8, &["--max", "9"]).stdout, b"nine");
}

/// Boxed content made by JS `ssb-keys.box` (test-vectors, `unbox-content/*`): the CLI opens it
/// for each JS-recorded reader to exactly the JSON text JS recorded, and refuses the others.
#[test]
fn opens_what_js_sealed() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../test-vectors/vectors/private-box.json");
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("private-box vectors")).unwrap();
    let dir = tmp("js");
    let mut checked = 0;
    for case in file["cases"].as_array().unwrap() {
        if !case["id"]
            .as_str()
            .unwrap()
            .starts_with("unbox-content/content-")
        {
            continue;
        }
        let boxed = case["input"]["boxed"].as_str().unwrap();
        let seeds = case["input"]["seeds"].as_array().unwrap();
        let results = case["expect"]["ok"]["results"].as_array().unwrap();
        for (s, r) in seeds.iter().zip(results) {
            let (secret, _) = identity(&dir, s.as_str().unwrap());
            let out = ssb(
                &["private-box", "open", "--secret", &secret],
                boxed.as_bytes(),
            );
            match r["content"].as_str() {
                Some(json) => {
                    assert_eq!(code(&out), Some(0), "{}", case["id"]);
                    // ssb-keys' plaintext is JSON.stringify(content); JS re-stringified what it
                    // parsed, which for these contents is the same text.
                    assert_eq!(
                        String::from_utf8(out.stdout).unwrap(),
                        json,
                        "{}",
                        case["id"]
                    );
                }
                None => assert_eq!(code(&out), Some(1), "{}", case["id"]),
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} JS boxes opened");
}
