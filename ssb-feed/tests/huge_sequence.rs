//! Caller-supplied feed states with sequences anywhere in the `i64` range: `state.sequence +
//! 1` must neither overflow nor differ from JS, where it is a double (from 2^53 on it rounds:
//! 2^53 + 1 is 2^53). Each verdict is compared with `ssb-validate`'s `checkInvalid` and
//! `create` on the same state, run by node (needs `test-vectors/js/node_modules`).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use ssb_crypto::{Keypair, MsgId};
use ssb_feed::{FeedState, SignCap, Validator, create_message, validate_batch, validate_message};

/// Reads one JSON request per line: `{state, message}` validates `message` (text) against
/// `state` with `checkInvalid`; `{state, create: true}` runs `create`. Prints one code per
/// line: `ok`, `create_error`, or the code of the error (the mapping of the vectors' feed
/// layer, for the errors these cases can produce).
const JS: &str = r#"
const validate = require('ssb-validate')
const ssbKeys = require('ssb-keys')
const keys = ssbKeys.generate('ed25519', Buffer.alloc(32, 3))
const codes = [[/expected sequence/, 'sequence_mismatch'], [/expected different previous/, 'fork'],
  [/keys in allowed order/, 'key_order'], [/invalid properties/, 'invalid_shape'],
  [/must not be larger/, 'too_large'], [/type must be a string/, 'content_type'],
  [/invalid signature/, 'signature_invalid']]
const code = (e) => { for (const [rx, c] of codes) if (rx.test(e.message)) return c; return 'unmapped: ' + e.message }
const out = []
for (const line of require('fs').readFileSync(0, 'utf8').split('\n')) {
  if (!line) continue
  const req = JSON.parse(line)
  if (req.create) {
    try { validate.create({ ...req.state, queue: [] }, keys, null, { type: 'post' }, 1); out.push('ok') } catch (e) { out.push('create_error') }
    continue
  }
  let err
  try { err = validate.checkInvalid(req.state, null, JSON.parse(req.message)) } catch (e) { err = new Error('invalid signature') }
  out.push(err ? code(err) : 'ok')
}
console.log(out.join('\n'))
"#;

const SIG: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==.sig.ed25519";

const STATES: [i64; 14] = [
    -1,
    0,
    1,
    2_147_483_646,
    2_147_483_647,
    2_147_483_648,
    (1 << 53) - 1,
    1 << 53,
    (1 << 53) + 1,
    (1 << 53) + 2,
    (1 << 62) + 1,
    i64::MAX - 1,
    i64::MAX,
    i64::MIN,
];

/// Sequence spellings to try against a state: the exact successor, the JS (double)
/// successor, the state itself, and a small number.
fn sequences(s: i64) -> Vec<String> {
    let js_next = ssb_legacy_json::Value::Number(s as f64 + 1.0).to_compact_string();
    vec![
        (i128::from(s) + 1).to_string(),
        js_next,
        s.to_string(),
        "2".to_owned(),
    ]
}

#[test]
fn huge_states_get_the_js_verdicts() {
    let keys = Keypair::from_seed(&[3; 32]);
    let author = keys.feed_id().to_string();
    let prev = MsgId([9; 32]);
    let mut requests = Vec::new();
    let mut ours = Vec::new();
    for s in STATES {
        let state = FeedState {
            id: prev,
            sequence: s,
            timestamp: 0.0,
        };
        // JSON numbers in the request are read by JS as the nearest double, which is what
        // the i64 sequence is to JS.
        let js_state = format!(r#"{{"id":"{prev}","sequence":{s},"timestamp":0}}"#);
        for seq in sequences(s) {
            let msg = format!(
                r#"{{"previous":"{prev}","author":"{author}","sequence":{seq},"timestamp":1,"hash":"sha256","content":{{"type":"post"}},"signature":"{SIG}"}}"#
            );
            requests.push(format!(
                r#"{{"state":{js_state},"message":{}}}"#,
                serde_json::Value::from(msg.as_str())
            ));
            let single = validate_message(Some(&state), msg.as_bytes(), &SignCap::None);
            let mut v = Validator::new(SignCap::None);
            v.set_state(keys.feed_id(), state);
            let appended = v.append(msg.as_bytes());
            let batch = validate_batch(Some(&state), &[msg.as_bytes()], &SignCap::None);
            let code = |r: Result<_, ssb_feed::FeedError>| r.map_or_else(|e| e.code(), |_| "ok");
            let single = code(single.map(drop));
            assert_eq!(
                single,
                code(appended.map(drop)),
                "state {s}, sequence {seq}"
            );
            let batch = batch.error.as_ref().map_or("ok", |(_, e)| e.code());
            assert_eq!(single, batch, "state {s}, sequence {seq}");
            ours.push((format!("state {s}, sequence {seq}"), single.to_owned()));
        }
        requests.push(format!(r#"{{"state":{js_state},"create":true}}"#));
        let created = create_message(
            &keys,
            Some(&state),
            ssb_legacy_json::parse(br#"{"type":"post"}"#).expect("JSON"),
            1.0,
            &SignCap::None,
        );
        ours.push((
            format!("create after {s}"),
            match created {
                Ok(m) => {
                    assert_eq!(m.sequence() as f64, s as f64 + 1.0);
                    "ok".to_owned()
                }
                Err(e) => {
                    assert_eq!(e.code(), "invalid_shape", "create after {s}: {e}");
                    "create_error".to_owned()
                }
            },
        ));
    }

    let js_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../test-vectors/js");
    assert!(
        js_dir.join("node_modules/ssb-validate").is_dir(),
        "run `npm ci` in {} first (./test.sh does)",
        js_dir.display()
    );
    let mut child = Command::new("node")
        .args(["-e", JS])
        .current_dir(&js_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node must be installed for this test");
    let mut stdin = child.stdin.take().expect("stdin");
    for r in &requests {
        writeln!(stdin, "{r}").expect("write to node");
    }
    drop(stdin);
    let out = child.wait_with_output().expect("node exits");
    assert!(out.status.success());
    let js: Vec<String> = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        js.len(),
        ours.len(),
        "node answered {} of {}",
        js.len(),
        ours.len()
    );
    let differ: Vec<String> = ours
        .iter()
        .zip(&js)
        .filter(|((_, o), j)| o != *j)
        .map(|((what, o), j)| format!("{what}: ours {o}, JS {j}"))
        .collect();
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    // The cases reach every branch: some pass the sequence test, some do not.
    for want in ["sequence_mismatch", "invalid_shape", "signature_invalid"] {
        assert!(js.iter().any(|j| j == want), "no case gives {want}");
    }
}
