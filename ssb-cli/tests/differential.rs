//! `ssb canonical` and `ssb msg-id` against node: on the JS-generated vectors
//! (`legacy-json.json`, `feed.json`, whose expected values node produced) and on a few
//! hundred generated cases per run, each answered by node itself (`legacy-json-oracle.js`
//! for JSON.parse / JSON.stringify, `cli-oracle.js ids` for ssb-validate's `id`).
//! `SSB_CLI_SEED` replays a run (the seed is printed); `SSB_CLI_CASES` sets the number of
//! generated cases (default 300).

mod common;

use common::{Rng, node_lines, par_map, ssb, stdout, vector_file};

/// What node made of one JSON text.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// JSON.parse threw.
    Invalid,
    /// The four outputs.
    Ok {
        signing: Vec<u8>,
        compact: Vec<u8>,
        utf16_len: String,
        legacy_sha256: String,
    },
}

/// Runs the four forms of `ssb canonical` on `input`; returns a description of any
/// difference from `expect`.
fn check_canonical(input: &[u8], expect: &Node) -> Result<(), String> {
    let runs = [
        ssb(&["canonical"], Some(input)),
        ssb(&["canonical", "--compact", "-"], Some(input)),
        ssb(&["canonical", "--utf16-len"], Some(input)),
        ssb(&["canonical", "--legacy-sha256"], Some(input)),
    ];
    match expect {
        Node::Invalid => {
            for r in &runs {
                if r.status.code() != Some(1) || !r.stdout.is_empty() {
                    return Err(format!(
                        "node's JSON.parse throws; ssb exited {:?} with {:?}",
                        r.status.code(),
                        String::from_utf8_lossy(&r.stdout)
                    ));
                }
                let err = String::from_utf8_lossy(&r.stderr);
                if err.lines().count() != 1 || !err.contains(" at byte ") {
                    return Err(format!("not one line naming the offset: {err:?}"));
                }
            }
            Ok(())
        }
        Node::Ok {
            signing,
            compact,
            utf16_len,
            legacy_sha256,
        } => {
            let want: [Vec<u8>; 4] = [
                [signing.as_slice(), b"\n"].concat(),
                [compact.as_slice(), b"\n"].concat(),
                format!("{utf16_len}\n").into_bytes(),
                format!("{legacy_sha256}\n").into_bytes(),
            ];
            for (r, w) in runs.iter().zip(&want) {
                if r.status.code() != Some(0) || &r.stdout != w {
                    return Err(format!(
                        "exit {:?}, stdout {:?}, node {:?} (stderr {:?})",
                        r.status.code(),
                        String::from_utf8_lossy(&r.stdout),
                        String::from_utf8_lossy(w),
                        String::from_utf8_lossy(&r.stderr)
                    ));
                }
            }
            Ok(())
        }
    }
}

/// `ssb msg-id` on `input` against node's answer line (`cli-oracle.js ids`).
fn check_msg_id(input: &[u8], node: &str) -> Result<(), String> {
    let r = ssb(&["msg-id"], Some(input));
    let ok = match node {
        "0" => r.status.code() == Some(1) && r.stdout.is_empty(),
        id => r.status.code() == Some(0) && stdout(&r) == format!("{id}\n"),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "node {node:?}; ssb exited {:?} with {:?} ({:?})",
            r.status.code(),
            stdout(&r),
            String::from_utf8_lossy(&r.stderr)
        ))
    }
}

fn report(what: &str, inputs: &[Vec<u8>], results: &[Result<(), String>]) {
    let failures: Vec<String> = inputs
        .iter()
        .zip(results)
        .filter_map(|(i, r)| {
            r.as_ref().err().map(|why| {
                format!(
                    "input {:?} (hex {}): {why}",
                    String::from_utf8_lossy(i),
                    ssb_crypto::hex::encode(i)
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{what}: {} of {} differ from node:\n{}",
        failures.len(),
        inputs.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!("{what}: {} cases equal node's", inputs.len());
}

#[test]
fn canonical_matches_every_legacy_json_vector() {
    let file = vector_file("legacy-json.json");
    let mut inputs = Vec::new();
    let mut expects = Vec::new();
    for case in file["cases"].as_array().expect("cases") {
        let input = &case["input"];
        let bytes = match (input["json"].as_str(), input["json_hex"].as_str()) {
            (Some(text), _) => text.as_bytes().to_vec(),
            (None, Some(h)) => {
                let mut v = vec![0; h.len() / 2];
                ssb_crypto::hex::decode_into(h, &mut v).expect("hex");
                v
            }
            _ => panic!("case {} has no input", case["id"]),
        };
        let expect = match &case["expect"]["ok"] {
            serde_json::Value::Null => {
                assert_eq!(case["expect"]["error"], "syntax", "{}", case["id"]);
                Node::Invalid
            }
            ok => Node::Ok {
                signing: ok["signing"].as_str().expect("signing").as_bytes().to_vec(),
                compact: ok["compact"].as_str().expect("compact").as_bytes().to_vec(),
                utf16_len: ok["utf16_len"].as_u64().expect("len").to_string(),
                legacy_sha256: ok["legacy_sha256"].as_str().expect("sha").to_owned(),
            },
        };
        inputs.push(bytes);
        expects.push(expect);
    }
    assert!(inputs.len() > 3000, "only {} vectors", inputs.len());
    let pairs: Vec<(Vec<u8>, Node)> = inputs.iter().cloned().zip(expects).collect();
    let results = par_map(&pairs, |(i, e)| check_canonical(i, e));
    report("legacy-json.json vectors", &inputs, &results);
}

#[test]
fn msg_id_matches_every_feed_vector_id() {
    let file = vector_file("feed.json");
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    let mut js_ids: Vec<Option<String>> = Vec::new();
    for case in file["cases"].as_array().expect("cases") {
        match case["op"].as_str() {
            Some("validate") => {
                let results = case["expect"]["ok"]["results"].as_array();
                for (j, m) in case["input"]["messages"]
                    .as_array()
                    .expect("messages")
                    .iter()
                    .enumerate()
                {
                    inputs.push(m.as_str().expect("text").as_bytes().to_vec());
                    let r = results.and_then(|r| r.get(j));
                    js_ids.push(r.and_then(|r| r["id"].as_str()).map(str::to_owned));
                }
            }
            Some("create") => {
                if let Some(ok) = case["expect"]["ok"].as_object() {
                    inputs.push(ok["message"].as_str().expect("message").as_bytes().to_vec());
                    js_ids.push(Some(ok["id"].as_str().expect("id").to_owned()));
                }
            }
            _ => {}
        }
    }
    // Node's id for every message (valid or not); for the valid ones it must be the id the
    // vectors recorded from ssb-validate's append.
    let node = node_lines("cli-oracle.js", &["ids"], &inputs);
    let mut recorded = 0;
    for (n, id) in node.iter().zip(&js_ids) {
        if let Some(id) = id {
            assert_eq!(n, id, "cli-oracle.js disagrees with the vectors");
            recorded += 1;
        }
    }
    assert!(recorded > 3000, "only {recorded} recorded ids");
    let pairs: Vec<(Vec<u8>, String)> = inputs.iter().cloned().zip(node).collect();
    let results = par_map(&pairs, |(i, n)| check_msg_id(i, n));
    report("feed.json messages", &inputs, &results);
}

// ---- generated cases ----

fn ws(rng: &mut Rng, out: &mut Vec<u8>) {
    for _ in 0..rng.below(3).saturating_sub(1) {
        out.push(*rng.pick(b" \t\n\r"));
    }
}

fn number(rng: &mut Rng, out: &mut Vec<u8>) {
    const SPECIAL: &[&str] = &[
        "0",
        "-0",
        "1e21",
        "1e20",
        "1E400",
        "-1e400",
        "1e-7",
        "0.000001",
        "5e-324",
        "2e-324",
        "1.7976931348623157e308",
        "9007199254740993",
        "123456789012345678901234567890",
        "0.1",
        "100",
        "1.5",
        "123.456e5",
        "4294967295",
        "-2147483649",
    ];
    if rng.below(3) == 0 {
        out.extend_from_slice(rng.pick(SPECIAL).as_bytes());
        return;
    }
    if rng.below(3) == 0 {
        out.push(b'-');
    }
    let int = rng.next() % 10u64.pow(rng.below(19) as u32 + 1);
    out.extend_from_slice(int.to_string().as_bytes());
    if rng.below(2) == 0 {
        out.push(b'.');
        out.extend_from_slice((rng.next() % 1_000_000).to_string().as_bytes());
    }
    if rng.below(3) == 0 {
        out.push(*rng.pick(b"eE"));
        if rng.below(2) == 0 {
            out.push(*rng.pick(b"+-"));
        }
        out.extend_from_slice(rng.below(330).to_string().as_bytes());
    }
}

fn string(rng: &mut Rng, out: &mut Vec<u8>) {
    const RAW: &[&str] = &[
        "a", "hello", " ", "é", "ß", "€", "😀", "❤️", "\u{2028}", "\u{7f}", "\u{80}", "\u{ff}",
        "\u{100}", "\u{ffff}", "\u{fffd}", "中文", "/", "'",
    ];
    const ESC: &[&str] = &[
        "\\n",
        "\\t",
        "\\\"",
        "\\\\",
        "\\/",
        "\\b",
        "\\f",
        "\\r",
        "\\u0000",
        "\\u001f",
        "\\u00e9",
        "\\u2028",
        "\\ud83d\\ude00",
        "\\ud800",
        "\\udfff",
        "\\udc00\\ud800",
        "\\uDBFF\\uDFFF",
        "\\uFEFF",
    ];
    // Bytes node's buffer.toString() turns into U+FFFD.
    const BAD_UTF8: &[&[u8]] = &[
        b"\xff",
        b"\xc3",
        b"\xc0\xaf",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
        b"\xe2\x82",
        b"\x80",
    ];
    out.push(b'"');
    for _ in 0..rng.below(6) {
        match rng.below(10) {
            0..=4 => out.extend_from_slice(rng.pick(RAW).as_bytes()),
            5..=7 => out.extend_from_slice(rng.pick(ESC).as_bytes()),
            8 => {
                let bad: &&[u8] = rng.pick(BAD_UTF8);
                out.extend_from_slice(bad);
            }
            _ => {
                let u = rng.below(0x10000);
                out.extend_from_slice(format!("\\u{u:04x}").as_bytes());
            }
        }
    }
    out.push(b'"');
}

fn key(rng: &mut Rng, out: &mut Vec<u8>) {
    const KEYS: &[&str] = &[
        "\"a\"",
        "\"b\"",
        "\"type\"",
        "\"0\"",
        "\"1\"",
        "\"2\"",
        "\"10\"",
        "\"01\"",
        "\"-1\"",
        "\"1.0\"",
        "\"4294967294\"",
        "\"4294967295\"",
        "\"9007199254740993\"",
        "\"\"",
        "\"\\u0061\"",
        "\"é\"",
        "\"__proto__\"",
    ];
    if rng.below(3) == 0 {
        string(rng, out);
    } else {
        out.extend_from_slice(rng.pick(KEYS).as_bytes());
    }
}

fn value(rng: &mut Rng, depth: usize, out: &mut Vec<u8>) {
    ws(rng, out);
    let kinds = if depth >= 5 { 6 } else { 9 };
    match rng.below(kinds) {
        0 => out.extend_from_slice(b"null"),
        1 => out.extend_from_slice(rng.pick(&["true", "false"]).as_bytes()),
        2 | 3 => number(rng, out),
        4 | 5 => string(rng, out),
        6 | 7 => {
            out.push(b'{');
            for i in 0..rng.below(5) {
                if i > 0 {
                    out.push(b',');
                }
                ws(rng, out);
                key(rng, out);
                ws(rng, out);
                out.push(b':');
                value(rng, depth + 1, out);
            }
            ws(rng, out);
            out.push(b'}');
        }
        _ => {
            out.push(b'[');
            for i in 0..rng.below(5) {
                if i > 0 {
                    out.push(b',');
                }
                value(rng, depth + 1, out);
            }
            ws(rng, out);
            out.push(b']');
        }
    }
    ws(rng, out);
}

/// A JSON text, valid most of the time; otherwise damaged as real input is.
fn json_case(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    value(rng, 0, &mut out);
    match rng.below(8) {
        0 => out.truncate(rng.below(out.len().max(1))),
        1 => {
            let at = rng.below(out.len() + 1);
            out.insert(at, *rng.pick(b"x,]}:\"\\\x00\x01\xff"));
        }
        2 if rng.below(4) == 0 => out.splice(0..0, "\u{feff}".bytes()).for_each(drop),
        _ => {}
    }
    out
}

/// A message-shaped value (valid or not) with generated content.
fn message_case(rng: &mut Rng) -> Vec<u8> {
    let mut text = Vec::new();
    string(rng, &mut text);
    let mut extra = Vec::new();
    value(rng, 2, &mut extra);
    let mut n = Vec::new();
    number(rng, &mut n);
    let mut out = format!(
        "{{\"previous\":null,\"author\":\"@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.ed25519\",\
         \"sequence\":{},\"timestamp\":",
        rng.below(5) + 1
    )
    .into_bytes();
    out.extend_from_slice(&n);
    out.extend_from_slice(b",\"hash\":\"sha256\",\"content\":{\"type\":\"post\",\"text\":");
    out.extend_from_slice(&text);
    out.extend_from_slice(b",\"x\":");
    out.extend_from_slice(&extra);
    out.extend_from_slice(b"},\"signature\":\"AAAA.sig.ed25519\"}");
    out
}

fn generated_cases() -> usize {
    std::env::var("SSB_CLI_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300)
}

#[test]
fn canonical_matches_node_on_generated_json() {
    let mut rng = Rng::from_env("canonical_matches_node_on_generated_json");
    let inputs: Vec<Vec<u8>> = (0..generated_cases())
        .map(|_| json_case(&mut rng))
        .collect();
    let node = node_lines("legacy-json-oracle.js", &[], &inputs);
    let unhex = |h: &str| {
        let mut v = vec![0; h.len() / 2];
        ssb_crypto::hex::decode_into(h, &mut v).expect("oracle hex");
        v
    };
    let expects: Vec<Node> = node
        .iter()
        .map(|line| {
            let f: Vec<&str> = line.split(' ').collect();
            match f.as_slice() {
                ["0"] => Node::Invalid,
                ["1", s, c, l, h] => Node::Ok {
                    signing: unhex(s),
                    compact: unhex(c),
                    utf16_len: (*l).to_owned(),
                    legacy_sha256: (*h).to_owned(),
                },
                _ => panic!("unexpected oracle line {line:?}"),
            }
        })
        .collect();
    let valid = expects.iter().filter(|e| **e != Node::Invalid).count();
    assert!(
        valid * 2 > inputs.len() && valid < inputs.len(),
        "{valid} of {} generated cases valid: the mix is off",
        inputs.len()
    );
    let pairs: Vec<(Vec<u8>, Node)> = inputs.iter().cloned().zip(expects).collect();
    let results = par_map(&pairs, |(i, e)| check_canonical(i, e));
    report("generated JSON (canonical)", &inputs, &results);
}

#[test]
fn msg_id_matches_node_on_generated_values_and_messages() {
    let mut rng = Rng::from_env("msg_id_matches_node_on_generated_values_and_messages");
    let n = generated_cases();
    let mut inputs: Vec<Vec<u8>> = (0..n / 2).map(|_| json_case(&mut rng)).collect();
    inputs.extend((0..n - n / 2).map(|_| message_case(&mut rng)));
    let node = node_lines("cli-oracle.js", &["ids"], &inputs);
    assert!(node.iter().filter(|l| l.starts_with('%')).count() * 2 > n);
    let pairs: Vec<(Vec<u8>, String)> = inputs.iter().cloned().zip(node).collect();
    let results = par_map(&pairs, |(i, n)| check_msg_id(i, n));
    report("generated values (msg-id)", &inputs, &results);
}
