//! Differential test against the JS reference: generated feeds with mutated messages are
//! validated by `ssb-feed` and by `ssb-validate` (one node process running
//! `test-vectors/js/feed-oracle.js`), and every verdict, error code and id must agree.
//!
//! Cases: `SSB_FEED_DIFF_CASES` (default 1500 feeds of 3 messages); seed: `SSB_FEED_DIFF_SEED`.
//! Needs node and `test-vectors/js/node_modules` (`npm ci` there; `./test.sh` does it); fails
//! if they are missing.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use ssb_crypto::Keypair;
use ssb_feed::{SignCap, Validator, create_message};
use ssb_legacy_json::{Object, Value};

/// xorshift64*: deterministic, seedable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

const HMAC: &str = "8W/Dw1Zbo+D1W2qDEJ6ZL7MeiEbmPlq8mJSpEvyLbEs=";

fn json(text: &str) -> Value {
    ssb_legacy_json::parse(text.as_bytes()).expect("test JSON")
}

/// A value to put somewhere it may not belong.
fn odd_value(rng: &mut Rng, prev: &str) -> Value {
    let pool = [
        "null",
        "true",
        "false",
        "0",
        "1",
        "2",
        "3",
        "1.5",
        "-1",
        "2147483647",
        "2147483648",
        "\"2\"",
        "\" 2 \"",
        "\"0x2\"",
        "[2]",
        "[[2]]",
        "\"sha256\"",
        "\"sha512\"",
        "[]",
        "{}",
        "\"\"",
        "\"abc.box\"",
        "\"AAAA.box2\"",
        "\".box\"",
        "\"AB==.box\"",
        "\"AAAA.box\\nx\"",
        "{\"type\":\"ab\"}",
        "{\"type\":\"abc\"}",
        "{\"type\":\"😀😀\"}",
        "[\"post\"]",
        "1e21",
        "\"@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.ed25519\"",
        "\"@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.sha256\"",
    ];
    match rng.below(pool.len() + 3) {
        i if i < pool.len() => json(pool[i]),
        i if i == pool.len() => Value::from(prev),
        i if i == pool.len() + 1 => Value::Array(vec![Value::from(prev)]),
        _ => Value::from(format!("{}x", prev)),
    }
}

fn sign(keys: &Keypair, obj: &mut Object, cap: &SignCap) {
    let unsigned = obj.signing().without_key("signature").to_vec();
    let to_sign = match cap {
        SignCap::Hmac(k) => ssb_crypto::hash::auth(k.as_bytes(), &unsigned).to_vec(),
        _ => unsigned,
    };
    obj.insert("signature", Value::from(keys.sign(&to_sign).to_string()));
}

fn mutate(rng: &mut Rng, keys: &Keypair, msg: &Value, prev: &str, cap: &SignCap) -> String {
    let Value::Object(mut o) = msg.clone() else {
        unreachable!()
    };
    let fields = [
        "previous",
        "author",
        "sequence",
        "timestamp",
        "hash",
        "content",
        "signature",
    ];
    let resign = rng.below(3) != 0;
    match rng.below(7) {
        0 => {
            let f = *rng.pick(&fields);
            let v = odd_value(rng, prev);
            o.insert(f, v);
        }
        1 => {
            let f = *rng.pick(&fields);
            o.remove(f);
        }
        2 => {
            o.insert(*rng.pick(&["extra", "0", "type", "hash"]), Value::from(1.0));
        }
        3 => {
            // Reorder: rebuild with two keys swapped.
            let keys_now: Vec<String> = o.keys().map(|k| k.to_string()).collect();
            let (a, b) = (rng.below(keys_now.len()), rng.below(keys_now.len()));
            let mut order = keys_now.clone();
            order.swap(a, b);
            let mut n = Object::new();
            for k in &order {
                n.insert(k.as_str(), o.get(k).cloned().unwrap_or_default());
            }
            o = n;
        }
        4 => {
            let ty = [
                "ab",
                "abc",
                &"x".repeat(52),
                &"x".repeat(53),
                &"é".repeat(52),
                &"😀".repeat(26),
                &"😀".repeat(27),
            ];
            let mut c = Object::new();
            c.insert("type", *rng.pick(&ty));
            o.insert("content", Value::Object(c));
        }
        5 => {
            let sig = o
                .get("signature")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let variants = [
                sig.replace(".sig.ed25519", ".sig.sha256"),
                sig.replace("==.sig", "=A.sig"),
                format!(
                    "{}A{}",
                    &sig[..sig.len().min(86)],
                    &sig[sig.len().min(87)..]
                ),
                sig.replace(".sig.", ".sigX"),
                String::new(),
            ];
            o.insert("signature", Value::from(rng.pick(&variants).as_str()));
            return Value::Object(o).to_signing_string();
        }
        _ => {
            let mut wire = msg.to_signing_string().into_bytes();
            let i = rng.below(wire.len());
            wire[i] = (rng.next() & 0x7f) as u8;
            return String::from_utf8_lossy(&wire).into_owned();
        }
    }
    if resign && o.contains_key("signature") {
        o.remove("signature");
        sign(keys, &mut o, cap);
    }
    if rng.below(2) == 0 {
        Value::Object(o).to_compact_string()
    } else {
        Value::Object(o).to_signing_string()
    }
}

#[test]
fn feed_validation_agrees_with_ssb_validate() {
    let cases: usize = std::env::var("SSB_FEED_DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1500);
    let seed: u64 = std::env::var("SSB_FEED_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_f00d);
    println!("feed differential: {cases} cases, SSB_FEED_DIFF_SEED={seed}");
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
        .expect("node must be installed for the differential test");
    let mut rng = Rng(seed | 1);
    let mut requests = Vec::with_capacity(cases);
    let mut expected = Vec::with_capacity(cases);
    for _ in 0..cases {
        let keys = Keypair::from_seed(&[rng.below(4) as u8; 32]);
        let (cap, hmac_key) = match rng.below(6) {
            0 => (
                SignCap::Hmac(HMAC.parse().expect("key")),
                Some(HMAC.to_owned()),
            ),
            1 => (SignCap::InvalidKey, Some("AAAA".to_owned())),
            _ => (SignCap::None, None),
        };
        let sign_cap = if matches!(cap, SignCap::InvalidKey) {
            SignCap::None
        } else {
            cap
        };
        let mut state = None;
        let mut texts = Vec::new();
        let bad = rng.below(3);
        for i in 0..3 {
            let mut content = Object::new();
            content.insert("type", "post");
            content.insert("text", format!("message {i} {}", rng.next()).as_str());
            let m = create_message(
                &keys,
                state.as_ref(),
                Value::Object(content),
                1.5e12 + i as f64,
                &sign_cap,
            )
            .expect("create");
            let prev = state.map(|s| s.id.to_string()).unwrap_or_default();
            state = Some(m.state());
            texts.push(if i == bad {
                mutate(&mut rng, &keys, m.value(), &prev, &sign_cap)
            } else {
                m.to_signing_string()
            });
        }
        let ooo = rng.below(4) == 0;
        let mut v = Validator::new(cap);
        let ours: Vec<serde_json::Value> = texts
            .iter()
            .map(|t| {
                let r = if ooo {
                    v.append_ooo(t.as_bytes())
                } else {
                    v.append(t.as_bytes())
                };
                match r {
                    Ok(m) => serde_json::json!({"valid": true, "id": m.id().to_string()}),
                    Err(e) => serde_json::json!({"valid": false, "error": e.code()}),
                }
            })
            .collect();
        requests.push(serde_json::json!({
            "messages": texts,
            "mode": if ooo { "ooo" } else { "append" },
            "hmac_key": hmac_key,
        }));
        expected.push(ours);
    }
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        for r in requests {
            writeln!(stdin, "{r}").expect("write to node");
        }
    });
    let reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut disagreements = Vec::new();
    let mut n = 0;
    for (i, line) in reader.lines().enumerate() {
        let line = line.expect("read from node");
        let js: serde_json::Value = serde_json::from_str(&line).expect("node answers JSON");
        assert!(
            js.get("crash").is_none(),
            "the JS runner crashed on case {i}: {js}"
        );
        let ours = serde_json::Value::Array(expected[i].clone());
        if js["results"] != ours && disagreements.len() < 10 {
            disagreements.push(format!("case {i}: JS {} / ours {ours}", js["results"]));
        }
        n += 1;
    }
    writer.join().expect("writer");
    assert!(child.wait().expect("node exits").success());
    assert_eq!(n, cases, "node answered {n} of {cases} cases");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
