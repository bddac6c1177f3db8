//! JS peers read what we seal: boxes, boxed content and signed private feed messages made
//! here (with fresh random secrets every run) are opened by JS `private-box` 0.3.1,
//! `ssb-keys` `unbox` and validated by `ssb-validate`, by running `node` on
//! `test-vectors/js/private-box-read.js`. Needs node 20 and the pinned packages
//! (`npm ci` in `test-vectors/js`); fails, saying so, when they are missing.

use std::path::PathBuf;
use std::process::Command;

use rand_core::OsRng;
use serde_json::{Value, json};
use ssb_crypto::Keypair;
use ssb_feed::{SignCap, create_message};
use ssb_legacy_json::parse;
use ssb_private_box::{MaxRecipients, box_content_with_rng, seal_with_rng};

fn hex(b: &[u8]) -> String {
    ssb_crypto::hex::encode(b)
}

fn keys(i: u32) -> Keypair {
    let mut seed = [0u8; 32];
    seed[..4].copy_from_slice(&i.to_le_bytes());
    seed[31] = 0x5b;
    Keypair::from_seed(&seed)
}

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../test-vectors/js")
}

/// Runs the JS reader on `input` and returns its report.
fn js_read(input: &Value) -> Value {
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => panic!(
            "`node` is not on PATH: this test proves that JS peers read our private boxes by \
             running the JS reference (node 20, test-vectors/js); install node to run it"
        ),
    }
    let file = std::env::temp_dir().join(format!(
        "ssb-private-box-js-reads-ours-{}.json",
        std::process::id()
    ));
    std::fs::write(&file, serde_json::to_vec(input).expect("JSON")).expect("temp file written");
    let out = Command::new("node")
        .arg(js_dir().join("private-box-read.js"))
        .arg(&file)
        .current_dir(js_dir())
        .output()
        .expect("node runs");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "the JS reader failed (are the pinned packages installed? `npm ci` in test-vectors/js):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the JS reader prints JSON")
}

#[test]
fn js_opens_our_boxes_content_and_feeds() {
    let non_recipients = [keys(1000), keys(1001)];
    let mut boxes = Vec::new();
    let mut box_expect: Vec<Vec<Value>> = Vec::new();
    // 1..=7 recipients (default max), and larger max values up to 255.
    let shapes: Vec<(usize, u8, Option<u8>)> = (1..=7)
        .map(|n| (n, 7, None))
        .chain([
            (8, 8, None),
            (9, 9, None),
            (9, 9, Some(9)),
            (255, 255, Some(255)),
        ])
        .collect();
    for (k, &(n, max, reader_max)) in shapes.iter().enumerate() {
        let recipients: Vec<Keypair> = (0..n as u32).map(keys).collect();
        let pks: Vec<_> = recipients
            .iter()
            .map(|r| r.public().to_curve().unwrap())
            .collect();
        let plaintext: Vec<u8> = (0..[0, 1, 100, 5000][k % 4]).map(|i| i as u8).collect();
        let boxed = seal_with_rng(
            &plaintext,
            &pks,
            MaxRecipients::new(max).unwrap(),
            &mut OsRng,
        )
        .unwrap();
        let readers: Vec<&Keypair> = recipients.iter().chain(&non_recipients).collect();
        // JS reads slots 0..=max of its reader (max 7 unless given).
        let js_slots = usize::from(reader_max.unwrap_or(7)) + 1;
        box_expect.push(
            (0..readers.len())
                .map(|i| {
                    if i < n && i < js_slots {
                        json!(hex(&plaintext))
                    } else {
                        Value::Null
                    }
                })
                .collect(),
        );
        let mut case = json!({
            "box": hex(&boxed),
            "secrets": readers.iter().map(|r| hex(r.to_curve_secret().to_bytes().as_ref())).collect::<Vec<_>>(),
        });
        if let Some(m) = reader_max {
            case["max"] = json!(m);
        }
        boxes.push(case);
    }

    // Boxed content (ssb-keys.unbox) to 1..=7 recipients.
    let texts = [
        r#"{"type":"post","text":"hello from rust"}"#,
        r#"{"type":"post","text":"ünïcödé 😀 \u2028 \"q\" \\","n":[0,-0,1.5,1e21,1e-7,5e-324]}"#,
        r#"{"b":1,"a":2,"10":"ten","1":"one","01":"x"}"#,
        r#""just a string""#,
        r#"[1,"two",{"three":3}]"#,
        r#"{"type":"lone","s":"\ud800 \udfff"}"#,
        r#"null"#,
    ];
    let mut contents = Vec::new();
    let mut content_expect: Vec<Vec<Value>> = Vec::new();
    for (k, t) in texts.iter().enumerate() {
        let n = k + 1;
        let recipients: Vec<Keypair> = (0..n as u32).map(|i| keys(100 + i)).collect();
        let value = parse(t.as_bytes()).unwrap();
        let ids: Vec<_> = recipients.iter().map(Keypair::feed_id).collect();
        let boxed = box_content_with_rng(&value, &ids, &mut OsRng).unwrap();
        let seeds: Vec<String> = recipients
            .iter()
            .chain(&non_recipients)
            .map(|r| hex(r.seed().as_ref()))
            .collect();
        content_expect.push(
            (0..seeds.len())
                .map(|i| {
                    if i < n {
                        json!(value.to_compact_string())
                    } else {
                        Value::Null
                    }
                })
                .collect(),
        );
        contents.push(json!({ "boxed": boxed, "seeds": seeds }));
    }

    // A private feed signed by ssb-feed: ssb-validate must accept it and agree on the ids.
    let author = keys(500);
    let friends = [author.feed_id(), keys(501).feed_id(), keys(502).feed_id()];
    let seeds: Vec<String> = [&author, &keys(501), &keys(502), &non_recipients[0]]
        .iter()
        .map(|r| hex(r.seed().as_ref()))
        .collect();
    let mut state = None;
    let mut messages = Vec::new();
    let mut feed_expect = Vec::new();
    for i in 0..3usize {
        let n = 1 + i; // recipients: the author, then friends
        let content = parse(
            format!(
                r#"{{"type":"post","text":"private {i}","recps":["{}"]}}"#,
                friends[0]
            )
            .as_bytes(),
        )
        .unwrap();
        let boxed = box_content_with_rng(&content, &friends[..n], &mut OsRng).unwrap();
        let msg = create_message(
            &author,
            state.as_ref(),
            ssb_legacy_json::Value::from(boxed),
            1_600_000_000_000.0 + i as f64,
            &SignCap::None,
        )
        .unwrap();
        state = Some(msg.state());
        messages.push(msg.value().to_signing_string());
        let readable: Vec<Value> = (0..seeds.len())
            .map(|r| {
                if r < n {
                    json!(content.to_compact_string())
                } else {
                    Value::Null
                }
            })
            .collect();
        feed_expect
            .push(json!({ "valid": true, "id": msg.id().to_string(), "contents": readable }));
    }

    let report = js_read(&json!({
        "boxes": boxes,
        "contents": contents,
        "feeds": [{ "messages": messages, "seeds": seeds }],
    }));
    for (i, (got, want)) in report["boxes"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&box_expect)
        .enumerate()
    {
        assert_eq!(
            got,
            &Value::Array(want.clone()),
            "box {i} ({:?} recipients, max, reader max): {}",
            shapes[i],
            boxes[i]
        );
    }
    assert_eq!(report["boxes"].as_array().unwrap().len(), box_expect.len());
    for (i, (got, want)) in report["contents"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&content_expect)
        .enumerate()
    {
        assert_eq!(
            got,
            &Value::Array(want.clone()),
            "content {i}: {}",
            contents[i]
        );
    }
    assert_eq!(
        report["contents"].as_array().unwrap().len(),
        content_expect.len()
    );
    assert_eq!(report["feeds"], json!([feed_expect]));
}
