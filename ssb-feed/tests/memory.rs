//! Memory that validation allocates on hostile messages, measured with a counting global
//! allocator (peak live bytes), with the verdicts checked against JS `ssb-validate`.
//!
//! A message of about 1 MB whose `JSON.stringify(msg, null, 2)` is hundreds of times larger
//! (deep nesting multiplies indentation by the number of elements) must cost what parsing it
//! costs plus a constant: the signing encoder has to stop as soon as the encoding passes the
//! size limit, and a long-lived [`Validator`] must not keep a grown buffer.
//!
//! Needs node and `test-vectors/js/node_modules` for the JS verdicts (as the differential
//! test does).

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use peak_alloc::PeakAlloc;
use ssb_crypto::Keypair;
use ssb_feed::{SignCap, Validator, validate_message, verify_message};

/// Counts live heap bytes and their high-water mark (`peak_alloc`: the system allocator with
/// two counters; a reallocation counts as a new block plus the old one, so peaks are never
/// under-counted).
#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// Live heap bytes now.
fn live() -> usize {
    ALLOC.current_usage()
}

/// Measurements must not overlap (the test harness runs tests on several threads).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `f` and returns its result and the peak of live bytes during it, above the live
/// bytes before it.
fn peak_of<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = live();
    ALLOC.reset_peak_usage();
    let r = f();
    (r, ALLOC.peak_usage().saturating_sub(base))
}

/// What validation may allocate beyond what parsing the message allocates: the bounded
/// signing buffer (at most 3 × 8192 bytes, in a `Vec` that grows by doubling) and small
/// change.
const VALIDATION_OVERHEAD: usize = 64 * 1024;

/// What a [`Validator`] may keep after refusing a hostile message.
const RETAINED_MAX: usize = 64 * 1024;

/// Parsing is linear in the input: every parsed node takes at most a few dozen bytes per
/// byte of its text (an element `0,` is 2 bytes of text and a 32-byte `Value`, and the
/// parser's element stack grows by doubling before its exact-size copy).
const PARSE_BYTES_PER_INPUT_BYTE: usize = 64;
const PARSE_CONSTANT: usize = 64 * 1024;

const SIG: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==.sig.ed25519";

/// A first message (sequence 1) with `content`, a well-formed but wrong signature.
fn message(content: &str) -> Vec<u8> {
    let author = Keypair::from_seed(&[7; 32]).feed_id().to_string();
    format!(
        r#"{{"previous":null,"author":"{author}","sequence":1,"timestamp":1,"hash":"sha256","content":{content},"signature":"{SIG}"}}"#
    )
    .into_bytes()
}

/// The hostile messages: about 1 MB each, signing encodings of hundreds of MB (the first
/// two) or about their own size (the third, whose old cost was a second copy of itself).
fn hostile() -> Vec<(&'static str, Vec<u8>)> {
    // 250 nested arrays (the message is one more level: 251 of the parser's 256), with
    // 450 000 zeros at the bottom: each zero is indented by 502 spaces when signed.
    let deep_arrays = format!(
        "{}{}0{}",
        "[".repeat(250),
        "0,".repeat(449_999),
        "]".repeat(250)
    );
    // 250 nested objects, with 100 000 distinct keys at the bottom.
    let mut bottom = String::new();
    for i in 0..100_000 {
        if i > 0 {
            bottom.push(',');
        }
        bottom.push_str(&format!("\"k{i}\":0"));
    }
    let deep_objects = format!("{}{{{bottom}}}{}", "{\"a\":".repeat(249), "}".repeat(249));
    // One string of escapes: newline, control, quote, backslash and a lone surrogate.
    let escapes = format!(
        r#"{{"type":"post","text":"{}"}}"#,
        r#"\n\u0001\"\\\ud800"#.repeat(1024 * 1024 / 18)
    );
    vec![
        ("deep arrays", message(&deep_arrays)),
        ("deep objects", message(&deep_objects)),
        ("long string of escapes", message(&escapes)),
    ]
}

/// JS `ssb-validate`'s error codes for each message, validated in order (`append`) and out
/// of order (`appendOOO`), each on a fresh state.
fn js_verdicts(msgs: &[(&str, Vec<u8>)]) -> Vec<[String; 2]> {
    let js = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../test-vectors/js");
    assert!(
        js.join("node_modules/ssb-validate").is_dir(),
        "run `npm ci` in {} first (./test.sh does)",
        js.display()
    );
    let mut child = Command::new("node")
        .arg(js.join("feed-oracle.js"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node must be installed for this test");
    let mut stdin = child.stdin.take().expect("stdin");
    let requests: Vec<String> = msgs
        .iter()
        .flat_map(|(_, m)| {
            let text = String::from_utf8(m.clone()).expect("ASCII");
            ["append", "ooo"].map(|mode| {
                serde_json::json!({"messages": [text], "mode": mode, "hmac_key": null}).to_string()
            })
        })
        .collect();
    let n = requests.len();
    let writer = std::thread::spawn(move || {
        for r in requests {
            writeln!(stdin, "{r}").expect("write to node");
        }
    });
    let codes: Vec<String> = BufReader::new(child.stdout.take().expect("stdout"))
        .lines()
        .map(|line| {
            let v: serde_json::Value =
                serde_json::from_str(&line.expect("read from node")).expect("node answers JSON");
            let r = &v["results"][0];
            assert_eq!(r["valid"], false, "JS accepted a hostile message: {v}");
            r["error"].as_str().expect("an error code").to_owned()
        })
        .collect();
    writer.join().expect("writer");
    assert!(child.wait().expect("node exits").success());
    assert_eq!(codes.len(), n, "node answered {} of {n}", codes.len());
    codes
        .chunks(2)
        .map(|c| [c[0].clone(), c[1].clone()])
        .collect()
}

#[test]
fn hostile_messages_cost_their_parse_plus_a_constant() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let msgs = hostile();
    let js = js_verdicts(&msgs);
    let mut failures = Vec::new();
    for ((name, raw), [js_append, js_ooo]) in msgs.iter().zip(&js) {
        assert!(
            (800_000..1_200_000).contains(&raw.len()),
            "{name}: {} bytes",
            raw.len()
        );
        let (parsed, parse_peak) = peak_of(|| ssb_legacy_json::parse(raw).map(drop));
        parsed.expect("the hostile messages are JSON");

        let (r, append_peak) = peak_of(|| validate_message(None, raw, &SignCap::None).map(drop));
        let code = r.expect_err("too large").code();
        assert_eq!(code, js_append, "{name}: in order");

        let (r, ooo_peak) = peak_of(|| verify_message(raw, &SignCap::None).map(drop));
        assert_eq!(
            r.expect_err("too large").code(),
            js_ooo,
            "{name}: out of order"
        );

        let mut v = Validator::new(SignCap::None);
        let before = live();
        let (r, validator_peak) = peak_of(|| v.append(raw).map(drop));
        assert_eq!(
            r.expect_err("too large").code(),
            js_append,
            "{name}: Validator"
        );
        let retained = live().saturating_sub(before);
        drop(v);

        println!(
            "{name}: {} input bytes; peak bytes: parse {parse_peak}, validate_message \
             {append_peak}, verify_message {ooo_peak}, Validator::append {validator_peak} \
             (keeps {retained})",
            raw.len()
        );
        let limit = parse_peak + VALIDATION_OVERHEAD;
        for (what, peak) in [
            ("validate_message", append_peak),
            ("verify_message", ooo_peak),
            ("Validator::append", validator_peak),
        ] {
            if peak > limit {
                failures.push(format!(
                    "{name}: {what} peaked at {peak} bytes, more than parsing ({parse_peak}) \
                     + {VALIDATION_OVERHEAD}"
                ));
            }
        }
        if retained > RETAINED_MAX {
            failures.push(format!("{name}: the Validator keeps {retained} bytes"));
        }
        if parse_peak > PARSE_BYTES_PER_INPUT_BYTE * raw.len() + PARSE_CONSTANT {
            failures.push(format!(
                "{name}: parsing {} bytes peaked at {parse_peak}",
                raw.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
