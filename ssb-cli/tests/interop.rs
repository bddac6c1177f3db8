//! Live interop with the JS reference over TCP on 127.0.0.1, both ways: our `ssb call` and
//! `ssb conformance --peer` against the JS server (`test-vectors/js/peer/server.js`:
//! secret-stack 7.1.1 + ssb-db 20.4.1), and the JS client (`peer/client.js`: multiserver +
//! muxrpc 8) against our `ssb serve`. The feeds are made by JS (`peer/make-feed.js`,
//! ssb-validate + ssb-keys); what each side receives is compared with the file JS wrote.
//!
//! Every server is started and stopped by its test, every process is bounded in time (killed
//! on timeout) and the JS server also has `--max-seconds`. Needs node (>= 20) and
//! `test-vectors/js/node_modules` (`npm ci` in `test-vectors/js`): without them the tests
//! fail saying so, unless `SSB_SKIP_EXTERNAL=1` skips them explicitly.
//!
//! `many_clients_pull_a_feed_from_ssb_serve` runs 200 clients at once (about 2 s here;
//! `SSB_INTEROP_CLIENTS=N` changes the number); it prints the server's peak RSS and the total
//! time (run with `--nocapture` to see them).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code, unreachable_pub)]
#[path = "../src/net.rs"]
mod net;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ssb_muxrpc::{Body, CallType};

/// One command's limit.
const RUN_LIMIT: Duration = Duration::from_secs(60);
/// A server's start (listening, feeds loaded).
const READY_LIMIT: Duration = Duration::from_secs(60);

const OUR_SEED: &str = "0303030303030303030303030303030303030303030303030303030303030303";
const SERVE_SEED: &str = "0505050505050505050505050505050505050505050505050505050505050505";
const OTHER_NET: &str = "q83vq83vq83vq83vq83vq83vq83vq83vq83vq83vq80=";

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../test-vectors/js")
}

/// Fails saying how to install node and the JS packages, unless `SSB_SKIP_EXTERNAL=1`
/// (then says what was skipped). Returns false when the test must stop.
fn have_node() -> bool {
    let modules = js_dir().join("node_modules/secret-stack");
    let node = Command::new("node")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if node && modules.is_dir() {
        return true;
    }
    let what = if node {
        format!("{} is missing", modules.display())
    } else {
        "node is not installed".to_string()
    };
    assert!(
        std::env::var("SSB_SKIP_EXTERNAL").is_ok_and(|v| v == "1"),
        "{what}\ninstall node >= 20 and run `npm ci` in test-vectors/js\n\
         (set SSB_SKIP_EXTERNAL=1 to skip the external suites explicitly)"
    );
    eprintln!("SKIPPED (SSB_SKIP_EXTERNAL=1): live JS interop: {what}");
    false
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ssb-interop-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A finished process.
struct Ran {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }
    fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.status.code(),
            self.stdout,
            self.stderr
        )
    }
}

fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    })
}

/// Runs a command to its end within `limit` (killed past it, and the test fails).
fn run_limited(cmd: &mut Command, limit: Duration) -> Ran {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("command starts");
    let out = drain(child.stdout.take().expect("stdout"));
    let err = drain(child.stderr.take().expect("stderr"));
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ran {
        status,
        stdout: out.join().expect("stdout"),
        stderr: err.join().expect("stderr"),
    }
}

fn ssb(args: &[&str]) -> Ran {
    run_limited(
        Command::new(env!("CARGO_BIN_EXE_ssb")).args(args),
        RUN_LIMIT,
    )
}

fn node(args: &[&str]) -> Ran {
    run_limited(
        Command::new("node").current_dir(js_dir()).args(args),
        RUN_LIMIT,
    )
}

/// One call of the JS client (`peer/client.js`, as OUR_SEED): `kind` is `--async` or
/// `--source`, `args` the argument list as JSON.
fn js_client(address: &str, kind: &str, method: &str, args: &str) -> Ran {
    node(&[
        "peer/client.js",
        "--address",
        address,
        kind,
        method,
        args,
        "--seed",
        OUR_SEED,
    ])
}

/// A secret file from a seed; returns its path and feed id.
fn secret(dir: &Path, name: &str, seed: &str) -> (String, String) {
    let path = dir.join(name);
    let p = path.to_str().expect("UTF-8 path").to_owned();
    let r = ssb(&["keygen", "--seed", seed, "--secret", &p]);
    assert_eq!(r.code(), Some(0), "{r:?}");
    (p, r.stdout.trim().to_owned())
}

/// A JS-made feed file (`make-feed.js`, its default author) and its lines.
fn js_feed(dir: &Path, count: usize) -> (String, Vec<String>) {
    js_feed_by(dir, None, count)
}

/// A JS-made feed whose messages JSON cannot hold in most libraries: lone surrogates in
/// strings, and numbers whose JS spelling differs from the shortest round trip elsewhere.
fn js_odd_feed(dir: &Path) -> (String, Vec<String>) {
    let path = dir.join("odd.jsonl");
    let p = path.to_str().expect("UTF-8").to_owned();
    let script = r#"
const ssbKeys = require('ssb-keys'); const validate = require('ssb-validate');
const keys = ssbKeys.generate('ed25519', Buffer.from('07'.repeat(32), 'hex'));
const contents = [
  { type: 'post', text: 'lone high \ud83d and low \ude00 surrogates' },
  { type: 'test', n: [1e21, 1.25e-7, -0, 5e-324, 0.1, 123456789012345680000], s: '\u2028\u2029\u0000' },
  { type: 'post', text: '\udbff\udfff ok, \ud800 lone', 'k\ud834': 1 },
];
let state = null; const out = [];
contents.forEach((c, i) => {
  const m = validate.create(state, keys, null, c, 1700000000000 + i);
  out.push(JSON.stringify(m));
  state = { id: validate.id(m), sequence: m.sequence, timestamp: m.timestamp, queue: [] };
});
require('fs').writeFileSync(process.argv[1], out.join('\n') + '\n');
"#;
    let r = node(&["-e", script, &p]);
    assert_eq!(r.code(), Some(0), "{r:?}");
    let lines: Vec<String> = std::fs::read_to_string(&path)
        .expect("feed")
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(lines[0].contains("\\ud83d"), "{}", lines[0]);
    (p, lines)
}

/// A JS-made feed whose contents have an own `__proto__` key (JSON.parse makes one, where an
/// object literal would set the prototype) and other `Object.prototype` names: its file of
/// values, and the values and KVTs (`JSON.stringify({key: validate.id(msg), value: msg,
/// timestamp})`) as lines.
fn js_proto_feed(dir: &Path) -> (String, Vec<String>, Vec<String>) {
    let path = dir.join("proto.jsonl");
    let kvt_path = dir.join("proto-kvt.jsonl");
    let p = path.to_str().expect("UTF-8").to_owned();
    let script = r#"
const ssbKeys = require('ssb-keys'); const validate = require('ssb-validate');
const keys = ssbKeys.generate('ed25519', Buffer.from('08'.repeat(32), 'hex'));
const contents = [
  '{"type":"post","__proto__":{"polluted":true},"text":"an own __proto__ key"}',
  '{"type":"post","constructor":{"prototype":{"x":1}},"toString":"s","n":[1e-7,1e21,-0]}',
  '{"type":"post","__proto__":[1,"\\ud800"],"valueOf":null,"hasOwnProperty":2}',
].map((t) => JSON.parse(t));
let state = null; const out = []; const kvts = [];
contents.forEach((c, i) => {
  const m = validate.create(state, keys, null, c, 1700000000000 + i);
  out.push(JSON.stringify(m));
  kvts.push(JSON.stringify({ key: validate.id(m), value: m, timestamp: 1700000000100.25 + i }));
  state = { id: validate.id(m), sequence: m.sequence, timestamp: m.timestamp, queue: [] };
});
require('fs').writeFileSync(process.argv[1], out.join('\n') + '\n');
require('fs').writeFileSync(process.argv[2], kvts.join('\n') + '\n');
"#;
    let r = node(&["-e", script, &p, kvt_path.to_str().expect("UTF-8")]);
    assert_eq!(r.code(), Some(0), "{r:?}");
    let read = |p: &Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .expect("feed")
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let (lines, kvts) = (read(&path), read(&kvt_path));
    assert!(
        lines[0].contains("\"__proto__\":{\"polluted\":true}"),
        "{}",
        lines[0]
    );
    assert!(
        lines[2].contains("\"__proto__\":[1,\"\\ud800\"]"),
        "{}",
        lines[2]
    );
    (p, lines, kvts)
}

fn author_of(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|_| {
        // Lone surrogates: the author is ASCII, cut it out by hand.
        let at = line.find("\"author\":\"").expect("author");
        let rest = &line[at + 10..];
        serde_json::Value::String(rest[..rest.find('"').expect("end")].to_owned())
    });
    match v {
        serde_json::Value::String(s) => s,
        v => v["author"].as_str().expect("author").to_owned(),
    }
}

/// A server process, killed when dropped.
struct Server {
    child: Child,
    address: String,
    stderr: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(mut cmd: Command, stderr: PathBuf, js: bool) -> Server {
        let err = std::fs::File::create(&stderr).expect("stderr file");
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .expect("server starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut server = Server {
            child,
            address: String::new(),
            stderr,
        };
        let line = rx.recv_timeout(READY_LIMIT).unwrap_or_default();
        assert!(
            !line.trim().is_empty(),
            "the server printed no address within {READY_LIMIT:?}; its stderr:\n{}",
            server.log()
        );
        server.address = if js {
            let v: serde_json::Value = serde_json::from_str(&line).expect("server.js ready line");
            v["address"].as_str().expect("address").to_owned()
        } else {
            line.trim().to_owned()
        };
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The JS server with these feeds, granting `master` every method.
    fn js(dir: &Path, feeds: &[&str], master: &str) -> Server {
        let mut cmd = Command::new("node");
        cmd.current_dir(js_dir()).args([
            "peer/server.js",
            "--seed",
            &"06".repeat(32),
            "--master",
            master,
            "--max-seconds",
            "300",
        ]);
        for f in feeds {
            cmd.args(["--feed", f]);
        }
        Server::start(cmd, dir.join("js-server.err"), true)
    }

    /// `ssb serve` with these feeds.
    fn ours(dir: &Path, secret: &str, feeds: &[&str]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ssb"));
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--secret", secret]);
        for f in feeds {
            cmd.args(["--feed", f]);
        }
        Server::start(cmd, dir.join("ssb-serve.err"), false)
    }

    /// `ssb serve --store DIR`.
    fn ours_store(dir: &Path, secret: &str, store: &str) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ssb"));
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--secret", secret]);
        cmd.args(["--store", store]);
        Server::start(cmd, dir.join("ssb-serve-store.err"), false)
    }

    /// SIGTERM; the server must exit 0 within 15 s.
    fn terminate(mut self) {
        let pid = self.pid().to_string();
        let k = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(k.success());
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                assert!(
                    s.success(),
                    "exit {s:?} after SIGTERM; stderr:\n{}",
                    self.log()
                );
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "still running 15 s after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Peak resident memory so far (`VmHWM`), in KiB.
    fn peak_rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }
}

/// `{"key":…,"value":<line>,"timestamp":<number>}` with the key `ssb-feed` computes.
fn assert_kvt(kvt: &str, line: &str, timestamp: Option<&str>) {
    let id = ssb_feed::verify_message(line.as_bytes(), &ssb_feed::SignCap::None)
        .expect("the JS message is valid")
        .id()
        .to_string();
    let head = format!("{{\"key\":\"{id}\",\"value\":{line},\"timestamp\":");
    let rest = kvt
        .strip_prefix(&head)
        .unwrap_or_else(|| panic!("not the KVT of\n{line}\n(key {id}):\n{kvt}"));
    let ts = rest.strip_suffix('}').expect("ends with }");
    assert!(ts.parse::<f64>().is_ok(), "timestamp {ts}");
    if let Some(want) = timestamp {
        assert_eq!(ts, want);
    }
}

fn lines_of(v: &[String], from: usize, count: usize) -> Vec<&str> {
    v.iter()
        .skip(from)
        .take(count)
        .map(String::as_str)
        .collect()
}

#[test]
fn our_call_gets_exactly_the_js_servers_feed() {
    if !have_node() {
        return;
    }
    let dir = tmp("call-js");
    let (me_secret, me) = secret(&dir, "me", OUR_SEED);
    let (feed_path, feed) = js_feed(&dir, 20);
    let (odd_path, odd) = js_odd_feed(&dir);
    let author = author_of(&feed[0]);
    let odd_author = author_of(&odd[0]);
    let server = Server::js(&dir, &[&feed_path, &odd_path], &me);
    let addr = server.address.clone();
    let call = |args: &[&str]| {
        let mut a = vec!["call", addr.as_str()];
        a.extend_from_slice(args);
        a.extend_from_slice(&["--secret", &me_secret]);
        ssb(&a)
    };

    let r = call(&["whoami"]);
    assert_eq!(r.code(), Some(0), "{r:?}");
    let server_id = format!(
        "@{}.ed25519",
        addr.rsplit("shs:").next().expect("key in address")
    );
    assert_eq!(r.stdout, format!("{{\"id\":\"{server_id}\"}}\n"));

    let r = call(&["manifest"]);
    assert_eq!(r.code(), Some(0), "{r:?}");
    let m: serde_json::Value = serde_json::from_str(&r.stdout).expect("manifest JSON");
    assert_eq!(m["createHistoryStream"], "source");
    assert_eq!(m["whoami"], "sync");

    // keys: false gives the values, byte for byte what make-feed.js wrote.
    for (who, lines) in [(&author, &feed), (&odd_author, &odd)] {
        let q = format!("{{\"id\":\"{who}\",\"keys\":false}}");
        let r = call(&["createHistoryStream", &q, "--source", "--verify"]);
        assert_eq!(r.code(), Some(0), "{r:?}");
        assert_eq!(r.lines(), lines_of(lines, 0, lines.len()));
    }
    // keys: true (the default) gives KVTs: the computed key, the value, a timestamp.
    for (who, lines) in [(&author, &feed), (&odd_author, &odd)] {
        let q = format!("{{\"id\":\"{who}\"}}");
        let r = call(&["createHistoryStream", &q, "--source", "--verify"]);
        assert_eq!(r.code(), Some(0), "{r:?}");
        assert_eq!(r.lines().len(), lines.len());
        for (kvt, line) in r.lines().iter().zip(lines) {
            assert_kvt(kvt, line, None);
        }
    }
    // seq (inclusive), limit, both.
    for (opts, from, count) in [
        ("\"seq\":5", 4, 16),
        ("\"sequence\":5", 4, 16),
        ("\"limit\":3", 0, 3),
        ("\"seq\":5,\"limit\":2", 4, 2),
        ("\"seq\":20", 19, 1),
        ("\"seq\":21", 20, 0),
    ] {
        let q = format!("{{\"id\":\"{author}\",\"keys\":false,{opts}}}");
        let r = call(&["createHistoryStream", &q, "--source", "--verify"]);
        assert_eq!(r.code(), Some(0), "{opts}: {r:?}");
        assert_eq!(r.lines(), lines_of(&feed, from, count), "{opts}");
    }
    // An unknown method: JS's error, exit 1.
    let r = call(&["nope.x"]);
    assert_eq!(r.code(), Some(1), "{r:?}");
    assert_eq!(
        r.stdout,
        "{\"error\":{\"name\":\"Error\",\"message\":\"no async:nope,x\"}}\n"
    );
    let r = call(&["nope", "[]", "--source"]);
    assert_eq!(r.code(), Some(1), "{r:?}");
    assert!(r.stdout.contains("no source:nope"), "{r:?}");
    drop(server);
}

#[test]
fn the_js_client_gets_exactly_our_feed_from_ssb_serve() {
    if !have_node() {
        return;
    }
    let dir = tmp("js-serve");
    let (serve_secret, serve_id) = secret(&dir, "serve", SERVE_SEED);
    let (feed_path, feed) = js_feed(&dir, 20);
    let (odd_path, odd) = js_odd_feed(&dir);
    let author = author_of(&feed[0]);
    let odd_author = author_of(&odd[0]);
    let server = Server::ours(&dir, &serve_secret, &[&feed_path, &odd_path]);
    let client =
        |kind: &str, method: &str, args: &str| js_client(&server.address, kind, method, args);

    let r = client("--async", "whoami", "[]");
    assert_eq!(r.code(), Some(0), "{r:?}");
    assert_eq!(r.stdout, format!("{{\"id\":\"{serve_id}\"}}\n"));

    for (who, lines) in [(&author, &feed), (&odd_author, &odd)] {
        let q = format!("[{{\"id\":\"{who}\",\"keys\":false}}]");
        let r = client("--source", "createHistoryStream", &q);
        assert_eq!(r.code(), Some(0), "{r:?}");
        assert_eq!(r.lines(), lines_of(lines, 0, lines.len()));

        let q = format!("[{{\"id\":\"{who}\"}}]");
        let r = client("--source", "createHistoryStream", &q);
        assert_eq!(r.code(), Some(0), "{r:?}");
        assert_eq!(r.lines().len(), lines.len());
        for (kvt, line) in r.lines().iter().zip(lines.iter()) {
            assert_kvt(kvt, line, None);
        }
    }
    for (opts, from, count) in [
        ("\"seq\":5", 4, 16),
        ("\"limit\":3", 0, 3),
        ("\"seq\":5,\"limit\":2", 4, 2),
        ("\"seq\":30", 20, 0),
    ] {
        let q = format!("[{{\"id\":\"{author}\",\"keys\":false,{opts}}}]");
        let r = client("--source", "createHistoryStream", &q);
        assert_eq!(r.code(), Some(0), "{opts}: {r:?}");
        assert_eq!(r.lines(), lines_of(&feed, from, count), "{opts}");
    }
    let r = client("--async", "nope.x", "[]");
    assert_eq!(r.code(), Some(1), "{r:?}");
    assert_eq!(
        r.stdout,
        "{\"error\":{\"name\":\"Error\",\"message\":\"no async:nope,x\"}}\n"
    );
    let r = client("--source", "whoami", "[]");
    assert_eq!(r.code(), Some(1), "{r:?}");
    assert!(r.stdout.contains("no source:whoami"), "{r:?}");
    let r = client("--async", "blobs.createWants", "[]");
    assert_eq!(r.code(), Some(1), "{r:?}");
    assert!(r.stdout.contains("no async:blobs,createWants"), "{r:?}");
    server.terminate();
}

#[test]
fn ssb_serve_serves_kvt_files_with_their_timestamps() {
    if !have_node() {
        return;
    }
    let dir = tmp("kvt-serve");
    let (serve_secret, _) = secret(&dir, "serve", SERVE_SEED);
    let (_, odd) = js_odd_feed(&dir);
    let author = author_of(&odd[0]);
    // KVTs as a JS server stores them: key (computed by ssb-feed here, and checked again at
    // startup), value, timestamp.
    let kvts: Vec<String> = odd
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let id = ssb_feed::verify_message(line.as_bytes(), &ssb_feed::SignCap::None)
                .expect("valid")
                .id();
            format!(
                "{{\"key\":\"{id}\",\"value\":{line},\"timestamp\":{}.5}}",
                1_700_000_100_000u64 + i as u64
            )
        })
        .collect();
    let path = dir.join("odd-kvt.jsonl");
    std::fs::write(&path, kvts.join("\n") + "\n").expect("write");
    let server = Server::ours(&dir, &serve_secret, &[path.to_str().expect("UTF-8")]);
    let q = format!("[{{\"id\":\"{author}\"}}]");
    let r = js_client(&server.address, "--source", "createHistoryStream", &q);
    assert_eq!(r.code(), Some(0), "{r:?}");
    assert_eq!(
        r.lines(),
        kvts.iter().map(String::as_str).collect::<Vec<_>>()
    );
    // A KVT whose key is not the computed id is refused at startup, naming it.
    let bad = kvts[1].replacen("\"key\":\"%", "\"key\":\"%A", 1);
    let bad_path = dir.join("bad-kvt.jsonl");
    std::fs::write(&bad_path, format!("{}\n{bad}\n", kvts[0])).expect("write");
    let r = ssb(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--secret",
        &serve_secret,
        "--feed",
        bad_path.to_str().expect("UTF-8"),
    ]);
    assert_eq!(r.code(), Some(2), "{r:?}");
    assert!(
        r.stderr.contains("item 1") && r.stderr.contains("key_mismatch"),
        "{r:?}"
    );
    assert!(r.stdout.is_empty(), "{r:?}");
    server.terminate();
}

/// A JS feed as the JS server sends it (KVTs: JSON.stringify of ssb-db's records), imported
/// into a store: `ssb export` writes exactly those KVTs, and `ssb serve --store` sends the
/// JS client exactly those KVTs and values. The feeds hold lone surrogates, JS number
/// spellings and `Object.prototype` names; one has own `__proto__` keys, which the JS server
/// does not relay (it sends those messages without them, so their signatures fail, as
/// checked here): its KVTs are the ones ssb-validate and JSON.stringify make.
#[test]
fn a_js_servers_feed_imported_is_exported_and_served_byte_for_byte() {
    if !have_node() {
        return;
    }
    let dir = tmp("store-js");
    let (me_secret, me) = secret(&dir, "me", OUR_SEED);
    let (serve_secret, _) = secret(&dir, "serve", SERVE_SEED);
    let feeds = [js_feed(&dir, 20), js_odd_feed(&dir)];
    let (proto_path, proto, proto_kvts) = js_proto_feed(&dir);
    let mut paths: Vec<&str> = feeds.iter().map(|(p, _)| p.as_str()).collect();
    paths.push(&proto_path);
    let js = Server::js(&dir, &paths, &me);
    let call = |author: &str| {
        let q = format!("{{\"id\":\"{author}\"}}");
        ssb(&[
            "call",
            &js.address,
            "createHistoryStream",
            &q,
            "--source",
            "--verify",
            "--secret",
            &me_secret,
        ])
    };
    // What the JS server sends, through our `ssb call` (which writes each item as JS
    // JSON.stringify would), with the values JS wrote.
    let mut kvts: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
    for (_, lines) in &feeds {
        let author = author_of(&lines[0]);
        let r = call(&author);
        assert_eq!(r.code(), Some(0), "{r:?}");
        let got: Vec<String> = r.lines().iter().map(|l| (*l).to_owned()).collect();
        assert_eq!(got.len(), lines.len());
        for (kvt, line) in got.iter().zip(lines) {
            assert_kvt(kvt, line, None);
        }
        kvts.push((author, got, lines.clone()));
    }
    let proto_author = author_of(&proto[0]);
    let r = call(&proto_author);
    assert_eq!(r.code(), Some(1), "{r:?}");
    assert!(
        r.stderr.contains("item 0") && r.stderr.contains("signature_invalid"),
        "{r:?}"
    );
    kvts.push((proto_author, proto_kvts, proto));
    drop(js);

    let file = dir.join("js-kvts.jsonl");
    let all: String = kvts
        .iter()
        .flat_map(|(_, ls, _)| ls.iter().map(|l| format!("{l}\n")))
        .collect();
    std::fs::write(&file, &all).expect("write");
    let store = dir.join("store");
    let store = store.to_str().expect("UTF-8");
    let r = ssb(&["import", "--store", store, file.to_str().expect("UTF-8")]);
    assert_eq!(r.code(), Some(0), "{r:?}");
    let want: String = kvts
        .iter()
        .map(|(a, ls, _)| format!("{{\"feed\":\"{a}\",\"sequence\":{}}}\n", ls.len()))
        .collect();
    assert_eq!(r.stdout, want);
    for (author, lines, _) in &kvts {
        let r = ssb(&["export", "--store", store, "--feed", author]);
        assert_eq!(r.code(), Some(0), "{r:?}");
        assert_eq!(r.stdout, lines.join("\n") + "\n", "{author}");
        let r = ssb(&[
            "export",
            "--store",
            store,
            "--feed",
            author,
            "--as-received",
        ]);
        assert_eq!(r.code(), Some(0), "{r:?}");
        assert_eq!(
            r.stdout,
            format!("[\n{}\n]\n", lines.join(",\n")),
            "{author}"
        );
    }
    // Served from the store to the JS client: those KVTs, timestamps included, and the
    // values as make-feed.js and ssb-validate.create wrote them.
    let ours = Server::ours_store(&dir, &serve_secret, store);
    for (author, lines, values) in &kvts {
        for (q, want) in [
            (format!("[{{\"id\":\"{author}\"}}]"), lines),
            (format!("[{{\"id\":\"{author}\",\"keys\":false}}]"), values),
        ] {
            let r = js_client(&ours.address, "--source", "createHistoryStream", &q);
            assert_eq!(r.code(), Some(0), "{r:?}");
            assert_eq!(r.lines(), lines_of(want, 0, want.len()), "{q}");
        }
    }
    ours.terminate();
}

/// `createHistoryStream` options, answered by `ssb serve` exactly as by the JS server (the
/// same items, the same end or error), seen through our `ssb call`.
#[test]
fn history_options_are_answered_as_the_js_server_answers() {
    if !have_node() {
        return;
    }
    let dir = tmp("history-options");
    let (me_secret, me) = secret(&dir, "me", OUR_SEED);
    let (serve_secret, _) = secret(&dir, "serve", SERVE_SEED);
    let (feed_path, feed) = js_feed(&dir, 20);
    let author = author_of(&feed[0]);
    let js = Server::js(&dir, &[&feed_path], &me);
    let ours = Server::ours(&dir, &serve_secret, &[&feed_path]);
    let store = dir.join("store");
    let store = store.to_str().expect("UTF-8");
    let r = ssb(&["import", "--store", store, &feed_path]);
    assert_eq!(r.code(), Some(0), "{r:?}");
    let stored = Server::ours_store(&dir, &serve_secret, store);
    let a = format!("\"id\":\"{author}\"");
    let cases: Vec<String> = [
        "{A}",
        "{A,\"keys\":false}",
        "{A,\"values\":false}",
        "{A,\"keys\":false,\"values\":false}",
        "{A,\"keys\":0,\"seq\":18}",
        "{A,\"keys\":null,\"seq\":18}",
        "{A,\"seq\":2.5,\"keys\":false}",
        "{A,\"seq\":-3,\"limit\":2}",
        "{A,\"seq\":1e300}",
        "{A,\"seq\":\"\"}",
        "{A,\"seq\":\"3\"}",
        "{A,\"seq\":true}",
        "{A,\"sequence\":4,\"seq\":9,\"limit\":2}",
        "{A,\"sequence\":0,\"seq\":19}",
        "{A,\"sequence\":false,\"seq\":19}",
        "{A,\"sequence\":true,\"limit\":2}",
        "{A,\"sequence\":\"3\"}",
        "{A,\"sequence\":[5]}",
        "{A,\"limit\":0}",
        "{A,\"limit\":-1,\"seq\":19}",
        "{A,\"limit\":1.5}",
        "{A,\"limit\":-0.5}",
        "{A,\"limit\":1e10,\"seq\":19}",
        "{A,\"limit\":3e9,\"seq\":19}",
        "{A,\"limit\":null,\"seq\":19}",
        "{A,\"limit\":false,\"seq\":19}",
        "{A,\"limit\":true}",
        "{A,\"limit\":\"2\"}",
        "{A,\"keys\":\"x\"}",
        "{A,\"values\":\"x\"}",
        "{A,\"live\":\"x\"}",
        "{A,\"reverse\":true,\"seq\":19}",
        "{A,\"live\":false,\"seq\":19}",
        "{\"id\":\"@x\"}",
        "{}",
    ]
    .iter()
    .map(|c| format!("[{}]", c.replace("{A", &format!("{{{a}"))))
    .chain([
        "[]".to_string(),
        "[null]".to_string(),
        "[\"x\"]".to_string(),
        "[5]".to_string(),
        "[[1]]".to_string(),
        format!("[\"{author}\"]"),
        format!("[\"{author}\",19]"),
        format!("[{{{a},\"seq\":19}},5]"),
        format!("[{{\"id\":\"{me}\"}}]"),
    ])
    .collect();
    let call = |addr: &str, args: &str| {
        ssb(&[
            "call",
            addr,
            "createHistoryStream",
            args,
            "--source",
            "--secret",
            &me_secret,
            "--timeout",
            "20",
        ])
    };
    for args in &cases {
        let j = call(&js.address, args);
        let o = call(&ours.address, args);
        // Timestamps are each server's receive times: compare everything but them.
        let strip = |s: &str| -> String {
            s.lines()
                .map(|l| match l.rfind(",\"timestamp\":") {
                    Some(i) if l.starts_with("{\"key\":") => format!("{}}}", &l[..i]),
                    _ => l.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(j.code(), o.code(), "{args}\nJS: {j:?}\nours: {o:?}");
        assert_eq!(
            strip(&j.stdout),
            strip(&o.stdout),
            "{args}\nJS: {j:?}\nours: {o:?}"
        );
        // The same feed served from a store.
        let s = call(&stored.address, args);
        assert_eq!(j.code(), s.code(), "{args}\nJS: {j:?}\nstore: {s:?}");
        assert_eq!(
            strip(&j.stdout),
            strip(&s.stdout),
            "{args}\nJS: {j:?}\nstore: {s:?}"
        );
    }
    eprintln!(
        "{} createHistoryStream argument lists answered alike by the JS server, ssb serve \
         --feed and ssb serve --store",
        cases.len()
    );
    drop(js);
    ours.terminate();
    stored.terminate();
}

#[test]
fn wrong_network_key_and_wrong_server_key_fail_cleanly_both_ways() {
    if !have_node() {
        return;
    }
    let dir = tmp("wrong-keys");
    let (me_secret, me) = secret(&dir, "me", OUR_SEED);
    let (serve_secret, _) = secret(&dir, "serve", SERVE_SEED);
    let js = Server::js(&dir, &[], &me);
    let ours = Server::ours(&dir, &serve_secret, &[]);
    let wrong_key = |addr: &str| {
        let key = addr.rsplit("shs:").next().expect("key");
        // Another real key (a point that converts to X25519): the server's hello is
        // accepted, the client's authentication is for the wrong key.
        let other = ssb_crypto::Keypair::from_seed(&[9; 32]).public();
        addr.replace(key, &ssb_crypto::base64::encode(other.as_bytes()))
    };

    // Our client, the JS server.
    let start = Instant::now();
    let r = ssb(&[
        "call",
        &js.address,
        "whoami",
        "--secret",
        &me_secret,
        "--caps",
        OTHER_NET,
    ]);
    assert_eq!(r.code(), Some(2), "{r:?}");
    assert!(r.stderr.contains("without a goodbye"), "{r:?}");
    let r = ssb(&[
        "call",
        &wrong_key(&js.address),
        "whoami",
        "--secret",
        &me_secret,
    ]);
    assert_eq!(r.code(), Some(2), "{r:?}");
    assert!(r.stderr.contains("without a goodbye"), "{r:?}");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );

    // The JS client, our server.
    let client = |addr: &str, extra: &[&str]| {
        let mut a = vec![
            "peer/client.js",
            "--address",
            addr,
            "--async",
            "whoami",
            "--seed",
            OUR_SEED,
            "--timeout-seconds",
            "15",
        ];
        a.extend_from_slice(extra);
        node(&a)
    };
    let r = client(&ours.address, &["--caps", OTHER_NET]);
    assert_eq!(r.code(), Some(1), "{r:?}");
    assert!(r.stdout.contains("shs.client"), "{r:?}");
    let r = client(&wrong_key(&ours.address), &[]);
    assert_eq!(r.code(), Some(1), "{r:?}");
    assert!(r.stdout.contains("shs.client"), "{r:?}");
    assert!(
        start.elapsed() < Duration::from_secs(40),
        "{:?}",
        start.elapsed()
    );

    // Both servers are still fine, and ours logged the two refusals.
    let r = ssb(&["call", &js.address, "whoami", "--secret", &me_secret]);
    assert_eq!(r.code(), Some(0), "{r:?}");
    let r = client(&ours.address, &[]);
    assert_eq!(r.code(), Some(0), "{r:?}");
    let log = ours.log();
    assert!(log.contains("bad client hello"), "{log}");
    assert!(log.contains("client authentication rejected"), "{log}");
    drop(js);
    ours.terminate();
}

#[test]
fn conformance_peer_passes_against_the_js_server_and_ssb_serve() {
    if !have_node() {
        return;
    }
    let dir = tmp("conformance");
    let (me_secret, me) = secret(&dir, "me", OUR_SEED);
    let (serve_secret, _) = secret(&dir, "serve", SERVE_SEED);
    let (feed_path, feed) = js_feed(&dir, 12);
    let author = author_of(&feed[0]);
    let js = Server::js(&dir, &[&feed_path], &me);
    let ours = Server::ours(&dir, &serve_secret, &[&feed_path]);
    for (who, addr) in [("JS", &js.address), ("ours", &ours.address)] {
        let r = ssb(&[
            "conformance",
            "--peer",
            addr,
            "--feed",
            &author,
            "--secret",
            &me_secret,
        ]);
        assert_eq!(r.code(), Some(0), "{who}: {r:?}");
        assert!(r.stdout.contains("\n17 passed, 0 failed\n"), "{who}: {r:?}");
        assert!(!r.stdout.contains("FAIL"), "{who}: {r:?}");
        assert!(
            r.stdout.contains("PASS history: whole feed: 12 messages"),
            "{who}: {r:?}"
        );
    }
    // A wrong network key: the handshake itself fails, exit 2.
    let r = ssb(&[
        "conformance",
        "--peer",
        &js.address,
        "--secret",
        &me_secret,
        "--caps",
        OTHER_NET,
    ]);
    assert_eq!(r.code(), Some(2), "{r:?}");
    assert!(r.stdout.starts_with("FAIL handshake"), "{r:?}");
    drop(js);
    ours.terminate();
}

#[test]
fn many_clients_pull_a_feed_from_ssb_serve() {
    if !have_node() {
        return;
    }
    let clients: usize = std::env::var("SSB_INTEROP_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let dir = tmp("many");
    let (me_secret, _) = secret(&dir, "me", OUR_SEED);
    let (serve_secret, _) = secret(&dir, "serve", SERVE_SEED);
    let (feed_path, feed) = js_feed(&dir, 2000);
    let author = author_of(&feed[0]);
    let feed_bytes: usize = feed.iter().map(|l| l.len() + 1).sum();
    let server = Server::ours(&dir, &serve_secret, &[&feed_path]);
    let idle_rss = server.peak_rss_kib();
    let addr = net::parse_address(&server.address).expect("address");
    let keys = ssb_crypto::parse_secret_file(&std::fs::read_to_string(&me_secret).expect("secret"))
        .expect("keys");
    let feed = std::sync::Arc::new(feed);
    // Every client connects first; the pulls start once all are connected, so the server
    // holds them all at once.
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(clients));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(240);
    let threads: Vec<_> = (0..clients)
        .map(|i| {
            let (addr, keys, feed, author) =
                (addr.clone(), keys.clone(), feed.clone(), author.clone());
            let barrier = barrier.clone();
            std::thread::spawn(move || -> Result<(), String> {
                let c = net::Client::connect(
                    &addr,
                    &keys,
                    &ssb_crypto::NetworkKey::MAIN_NET,
                    true,
                    deadline,
                );
                barrier.wait();
                let mut c = c.map_err(|e| format!("client {i}: {e}"))?;
                let id = c
                    .open(
                        CallType::Source,
                        &["createHistoryStream"],
                        vec![serde_json::json!({ "id": author, "keys": false })],
                    )
                    .map_err(|e| format!("client {i}: {e}"))?;
                let (items, end) = c
                    .collect(id, 10_000, deadline)
                    .map_err(|e| format!("client {i}: {e}"))?;
                end.map_err(|e| format!("client {i}: stream ended with {e}"))?;
                if items.len() != feed.len() {
                    return Err(format!("client {i}: {} items", items.len()));
                }
                for (n, (item, line)) in items.iter().zip(feed.iter()).enumerate() {
                    if *item != Body::RawJson(line.clone()) {
                        return Err(format!("client {i}: item {n} differs: {item:?}"));
                    }
                }
                c.close(deadline)
                    .map_err(|e| format!("client {i}: close: {e}"))
            })
        })
        .collect();
    let results: Vec<Result<(), String>> = threads
        .into_iter()
        .map(|t| {
            t.join()
                .unwrap_or_else(|_| Err("client thread panicked".into()))
        })
        .collect();
    let elapsed = start.elapsed();
    let peak = server.peak_rss_kib();
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    eprintln!(
        "{clients} clients x {} messages ({feed_bytes} bytes of JSON each): {:.2} s total, \
         server peak RSS {:.1} MiB (before the clients: {:.1} MiB)",
        feed.len(),
        elapsed.as_secs_f64(),
        peak as f64 / 1024.0,
        idle_rss as f64 / 1024.0
    );
    assert!(
        failures.is_empty(),
        "{} failed: {failures:?}",
        failures.len()
    );
    // Generous: the feed itself, plus well under 1 MiB per connection.
    let bound_kib = 64 * 1024 + clients as u64 * 1024;
    assert!(
        peak < bound_kib,
        "peak RSS {peak} KiB over the bound of {bound_kib} KiB"
    );
    server.terminate();
}

/// A JS-made feed of `count` messages by the author with seed `seed` (one byte, repeated).
fn js_feed_of(dir: &Path, seed: u8, count: usize) -> (String, Vec<String>) {
    js_feed_by(dir, Some(seed), count)
}

/// A JS-made feed file (`make-feed.js`, by the author of `seed` or the default one) and its
/// lines.
fn js_feed_by(dir: &Path, seed: Option<u8>, count: usize) -> (String, Vec<String>) {
    let name = seed.map_or_else(
        || format!("feed-{count}.jsonl"),
        |s| format!("feed-{s:02x}-{count}.jsonl"),
    );
    let path = dir.join(name);
    let p = path.to_str().expect("UTF-8").to_owned();
    let count = count.to_string();
    let mut args = vec!["peer/make-feed.js", "--count", &count, "--out", &p];
    let hex = seed.map(|s| format!("{s:02x}").repeat(32));
    if let Some(h) = &hex {
        args.extend(["--seed", h.as_str()]);
    }
    let r = node(&args);
    assert_eq!(r.code(), Some(0), "{r:?}");
    let lines = std::fs::read_to_string(&path)
        .expect("feed")
        .lines()
        .map(str::to_owned)
        .collect();
    (p, lines)
}

/// The JS server (server.js) with these feeds, with or without `--ebt`; no master.
fn js_replication_server(dir: &Path, feeds: &[&str], ebt: bool) -> Server {
    let mut cmd = Command::new("node");
    cmd.current_dir(js_dir()).args([
        "peer/server.js",
        "--seed",
        &"06".repeat(32),
        "--max-seconds",
        "300",
    ]);
    if ebt {
        cmd.arg("--ebt");
    }
    for f in feeds {
        cmd.args(["--feed", f]);
    }
    Server::start(cmd, dir.join(format!("js-server-{ebt}.err")), true)
}

/// `ssb replicate ADDRESS --feed …` into `store` as our secret, plus `extra` flags.
fn replicate(address: &str, secret: &str, store: &str, feeds: &[&str], extra: &[&str]) -> Ran {
    let mut args = vec!["replicate", address, "--secret", secret, "--store", store];
    for f in feeds {
        args.extend(["--feed", f]);
    }
    args.extend(extra);
    ssb(&args)
}

/// The values `ssb export` gives for `feed` (each KVT's value, as JS writes it).
fn exported_values(store: &str, feed: &str) -> Vec<String> {
    let r = ssb(&["export", "--store", store, "--feed", feed]);
    assert_eq!(r.code(), Some(0), "{r:?}");
    r.lines()
        .iter()
        .map(|kvt| {
            let at = kvt.find(",\"value\":").expect("value") + 9;
            let end = kvt.rfind(",\"timestamp\":").expect("timestamp");
            kvt[at..end].to_owned()
        })
        .collect()
}

/// Three JS authors × 200 messages, replicated by `ssb replicate --verbose` from the JS
/// server (EBT, fallback to createHistoryStream, or --legacy), twice: the store holds
/// exactly the JS feeds, the second run is a no-op, and stderr says `how` (the way the
/// feeds came) both times; over EBT the second run starts from the server's clock the
/// first one stored.
fn replicate_three_js_feeds(name: &str, ebt: bool, extra: &[&str], how: &str) {
    if !have_node() {
        return;
    }
    let dir = tmp(name);
    let (secret, _) = secret(&dir, "secret", OUR_SEED);
    let feeds: Vec<(String, Vec<String>)> =
        (0x11..0x14).map(|s| js_feed_of(&dir, s, 200)).collect();
    let files: Vec<&str> = feeds.iter().map(|(p, _)| p.as_str()).collect();
    let authors: Vec<String> = feeds.iter().map(|(_, l)| author_of(&l[0])).collect();
    let ids: Vec<&str> = authors.iter().map(String::as_str).collect();
    let server = js_replication_server(&dir, &files, ebt);
    let store = dir.join("store");
    let store = store.to_str().expect("UTF-8");
    let want: Vec<String> = ids
        .iter()
        .map(|a| format!("{{\"feed\":\"{a}\",\"sequence\":200}}"))
        .collect();
    let mut extra = extra.to_vec();
    extra.push("--verbose");
    for round in 0..2 {
        let r = replicate(&server.address, &secret, store, &ids, &extra);
        assert_eq!(
            r.code(),
            Some(0),
            "round {round}: {r:?}\nserver:\n{}",
            server.log()
        );
        assert_eq!(r.lines(), want, "round {round}: {r:?}");
        assert!(r.stderr.contains(how), "round {round}: not {how:?}: {r:?}");
        if how.starts_with("ssb replicate: EBT") {
            assert!(!r.stderr.contains("createHistoryStream"), "{r:?}");
            // The server's clock is kept between runs: the second starts from it.
            let loaded = format!("loaded a stored clock of {} feeds", [0, 3][round]);
            assert!(
                r.stderr.contains(&loaded),
                "round {round}: {loaded:?}: {r:?}"
            );
        }
        for ((_, lines), a) in feeds.iter().zip(&ids) {
            assert_eq!(&exported_values(store, a), lines, "round {round}: {a}");
        }
    }
    server.terminate();
}

#[test]
fn replicate_gets_the_js_servers_feeds_over_ebt() {
    replicate_three_js_feeds(
        "replicate-ebt",
        true,
        &[],
        "ssb replicate: EBT (ebt.replicate)",
    );
}

#[test]
fn replicate_falls_back_to_create_history_stream_without_ebt() {
    replicate_three_js_feeds(
        "replicate-fallback",
        false,
        &[],
        "the peer has no EBT (method:ebt,replicate is not in list of allowed methods): createHistoryStream",
    );
}

#[test]
fn replicate_legacy_against_an_ebt_server() {
    replicate_three_js_feeds(
        "replicate-legacy",
        true,
        &["--legacy"],
        "ssb replicate: createHistoryStream (--legacy)",
    );
}

/// `ssb replicate` of a 20 000-message feed from our `ssb serve --store`, killed (SIGKILL)
/// mid-way twice, then run to the end: it resumes from the stored sequence and the store
/// holds the feed exactly, with no loss and no duplicate (over EBT: `ssb serve --store`
/// answers `ebt.replicate`).
#[test]
fn replicate_killed_mid_way_resumes_without_loss_or_duplicate() {
    if !have_node() {
        return;
    }
    const N: usize = 20_000;
    let dir = tmp("replicate-crash");
    let (server_secret, _) = secret(&dir, "server.secret", SERVE_SEED);
    let (our_secret, _) = secret(&dir, "secret", OUR_SEED);
    let (file, lines) = js_feed_of(&dir, 0x31, N);
    let author = author_of(&lines[0]);
    let src = dir.join("src");
    let src = src.to_str().expect("UTF-8");
    let r = ssb(&["import", "--store", src, &file]);
    assert_eq!(r.code(), Some(0), "{r:?}");
    let server = Server::ours_store(&dir, &server_secret, src);
    let dst = dir.join("dst");
    let dst = dst.to_str().expect("UTF-8");
    for kill_after in [Duration::from_millis(150), Duration::from_millis(300)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ssb"))
            .args(["replicate", &server.address, "--feed", &author])
            .args(["--secret", &our_secret, "--store", dst])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssb replicate starts");
        std::thread::sleep(kill_after);
        let _ = child.kill();
        let _ = child.wait();
    }
    let partial = exported_values(dst, &author);
    assert!(
        partial.len() < N,
        "the kills came too late to test a resume"
    );
    assert_eq!(partial, lines[..partial.len()], "a prefix of the feed");
    let r = replicate(&server.address, &our_secret, dst, &[&author], &[]);
    assert_eq!(r.code(), Some(0), "{r:?}");
    assert_eq!(
        r.lines(),
        [format!("{{\"feed\":\"{author}\",\"sequence\":{N}}}")]
    );
    assert_eq!(exported_values(dst, &author), lines);
    eprintln!(
        "killed with {} of {N} stored; resumed to {N}",
        partial.len()
    );
    server.terminate();
}

/// A peer of this test's own (on ssb-connection, key from `seed`, raw JSON bodies) that
/// accepts one connection and hands every event after the handshake to `on_event`, until
/// the connection ends or `RUN_LIMIT`. Returns its address.
fn scripted_peer(
    seed: u8,
    mut on_event: impl FnMut(&mut ssb_connection::Connection, ssb_connection::Event) + Send + 'static,
) -> String {
    use ssb_connection::{Connection, Event};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let keys = ssb_crypto::Keypair::from_seed(&[seed; 32]);
    let address = net::address_of(listener.local_addr().expect("addr"), keys.public());
    std::thread::spawn(move || {
        let (sock, _) = listener.accept().expect("accept");
        let mut config = ssb_connection::Config::default();
        config.rpc.raw_json = true;
        let conn = Connection::server_with_rng(
            ssb_crypto::NetworkKey::MAIN_NET,
            &keys,
            &mut rand_core::OsRng,
            config,
        );
        let mut link = net::Link::new(conn, sock).expect("link");
        let start = Instant::now();
        while start.elapsed() < RUN_LIMIT {
            let ev = match link.next_event(Duration::from_millis(50)) {
                Ok(net::Next::Event(ev)) => ev,
                Ok(net::Next::Idle) => continue,
                Ok(net::Next::Ended) | Err(_) => return,
            };
            match ev {
                Event::Authenticate(_) => link.conn().accept().expect("accept"),
                ev => on_event(link.conn(), ev),
            }
        }
    });
    address
}

/// A forging EBT server (a `scripted_peer`): it claims `feeds` in full and, once the
/// client's notes arrive, sends each feed's lines as given (one of them forged).
fn forging_ebt_server(feeds: Vec<(String, Vec<String>)>) -> String {
    use ssb_connection::Event;
    use ssb_muxrpc::Event as Rpc;
    let mut stream = None;
    let mut sent = false;
    scripted_peer(0x44, move |conn, ev| match ev {
        Event::Rpc(Rpc::Request { id, request }) if request.name == ["ebt", "replicate"] => {
            let notes: serde_json::Map<String, serde_json::Value> = feeds
                .iter()
                .map(|(f, l)| {
                    let n = ssb_replication::note::encode(l.len() as i64, true);
                    (f.clone(), n.into())
                })
                .collect();
            let ep = conn.endpoint().expect("open");
            ep.send(
                id,
                Body::RawJson(serde_json::Value::Object(notes).to_string()),
            )
            .expect("send notes");
            stream = Some(id);
        }
        Event::Rpc(Rpc::Readable(r)) if Some(r) == stream => {
            let ep = conn.endpoint().expect("open");
            while ep.read(r).is_some() {}
            if !sent {
                sent = true;
                for (_, lines) in &feeds {
                    for l in lines {
                        ep.send(r, Body::RawJson(l.clone())).expect("send");
                    }
                }
            }
        }
        _ => {}
    })
}

/// A peer that sends a forged message (a changed timestamp: the signature no longer holds)
/// as message 3 of one feed: that feed is no longer taken from it (the engine's on_invalid),
/// the other feed replicates in full, and `ssb replicate` exits 1 naming the feed, the
/// sequence and the error code.
#[test]
fn replicate_blocks_a_feed_a_peer_forged_and_takes_the_rest() {
    if !have_node() {
        return;
    }
    let dir = tmp("replicate-forged");
    let (our_secret, _) = secret(&dir, "secret", OUR_SEED);
    let (_, good) = js_feed_of(&dir, 0x51, 5);
    let (_, mut bad) = js_feed_of(&dir, 0x52, 5);
    let (ga, ba) = (author_of(&good[0]), author_of(&bad[0]));
    let forged = bad[2].replacen("\"timestamp\":17", "\"timestamp\":27", 1);
    assert_ne!(forged, bad[2]);
    bad[2] = forged;
    let address = forging_ebt_server(vec![(ga.clone(), good.clone()), (ba.clone(), bad.clone())]);
    let store = dir.join("store");
    let store = store.to_str().expect("UTF-8");
    let r = replicate(
        &address,
        &our_secret,
        store,
        &[&ga, &ba],
        &["--timeout", "30"],
    );
    assert_eq!(r.code(), Some(1), "{r:?}");
    assert_eq!(
        r.lines(),
        [
            format!("{{\"feed\":\"{ga}\",\"sequence\":5}}"),
            format!("{{\"feed\":\"{ba}\",\"sequence\":2}}"),
        ],
        "{r:?}"
    );
    assert!(
        r.stderr.contains(&format!("{ba} sequence 3: ")) && r.stderr.contains("signature"),
        "{r:?}"
    );
    assert_eq!(exported_values(store, &ga), good);
    assert_eq!(exported_values(store, &ba), bad[..2]);
}

/// A `scripted_peer` that takes `ebt.replicate` and never answers it, and answers
/// `createHistoryStream` of its one feed with `lines` from the sequence asked for.
fn silent_ebt_server(author: String, lines: Vec<String>) -> String {
    use ssb_connection::Event;
    use ssb_muxrpc::Event as Rpc;
    scripted_peer(0x45, move |conn, ev| match ev {
        Event::Rpc(Rpc::Request { id, request }) if request.name == ["createHistoryStream"] => {
            let opts = request.args.first().cloned().unwrap_or_default();
            let from = opts
                .get("sequence")
                .or_else(|| opts.get("seq"))
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(1)
                .max(1);
            let ep = conn.endpoint().expect("open");
            if opts.get("id").and_then(serde_json::Value::as_str) == Some(&*author) {
                for l in lines.iter().skip(usize::try_from(from - 1).expect("from")) {
                    ep.send(id, Body::RawJson(l.clone())).expect("send");
                }
            }
            ep.end(id).expect("end");
        }
        // ebt.replicate (and anything else): taken, never answered.
        _ => {}
    })
}

/// A peer that takes `ebt.replicate` but neither answers nor refuses it: after
/// `EBT_ANSWER_TIMEOUT` (10 s) `ssb replicate` falls back to createHistoryStream and gets
/// the feed whole (exit 0; `--verbose` says why).
#[test]
fn replicate_falls_back_when_ebt_is_never_answered() {
    if !have_node() {
        return;
    }
    let dir = tmp("replicate-silent");
    let (our_secret, _) = secret(&dir, "secret", OUR_SEED);
    let (_, lines) = js_feed_of(&dir, 0x55, 7);
    let author = author_of(&lines[0]);
    let address = silent_ebt_server(author.clone(), lines.clone());
    let store = dir.join("store");
    let store = store.to_str().expect("UTF-8");
    let started = Instant::now();
    let r = replicate(
        &address,
        &our_secret,
        store,
        &[&author],
        &["--timeout", "60", "--verbose"],
    );
    let took = started.elapsed();
    assert_eq!(r.code(), Some(0), "{r:?}");
    assert_eq!(
        r.lines(),
        [format!("{{\"feed\":\"{author}\",\"sequence\":7}}")],
        "{r:?}"
    );
    assert!(
        r.stderr.contains(
            "the peer has no EBT (no answer to ebt.replicate within 10 s): createHistoryStream"
        ),
        "{r:?}"
    );
    assert!(
        (Duration::from_secs(10)..Duration::from_secs(40)).contains(&took),
        "took {took:?}"
    );
    assert_eq!(exported_values(store, &author), lines);
}

/// A peer that never mentions a feed we ask for (the forging server, honest here, claims
/// only its own feed): the feed it claims arrives whole, the other is finished after
/// `UNANSWERED_GRACE` (10 s) with what we hold (nothing), exit 0, and `--verbose` says why.
#[test]
fn replicate_finishes_a_feed_the_peer_never_mentions() {
    if !have_node() {
        return;
    }
    let dir = tmp("replicate-unanswered");
    let (our_secret, _) = secret(&dir, "secret", OUR_SEED);
    let (_, good) = js_feed_of(&dir, 0x53, 5);
    let (_, other) = js_feed_of(&dir, 0x54, 1);
    let (ga, oa) = (author_of(&good[0]), author_of(&other[0]));
    let address = forging_ebt_server(vec![(ga.clone(), good.clone())]);
    let store = dir.join("store");
    let store = store.to_str().expect("UTF-8");
    let started = Instant::now();
    let r = replicate(
        &address,
        &our_secret,
        store,
        &[&ga, &oa],
        &["--timeout", "60", "--verbose"],
    );
    let took = started.elapsed();
    assert_eq!(r.code(), Some(0), "{r:?}");
    assert_eq!(
        r.lines(),
        [
            format!("{{\"feed\":\"{ga}\",\"sequence\":5}}"),
            format!("{{\"feed\":\"{oa}\",\"sequence\":0}}"),
        ],
        "{r:?}"
    );
    assert!(
        r.stderr
            .contains(&format!("{oa}: the peer did not mention it within 10 s")),
        "{r:?}"
    );
    assert!(
        (Duration::from_secs(10)..Duration::from_secs(40)).contains(&took),
        "took {took:?}"
    );
    assert_eq!(exported_values(store, &ga), good);
}

/// The JS peer (ssb-ebt 9) dials our `ssb serve --store` and replicates two imported feeds
/// from it over EBT (we are the server: our clock first); then its db holds exactly them
/// (read back with createHistoryStream from the JS server).
#[test]
fn the_js_peer_replicates_from_ssb_serve_store_over_ebt() {
    if !have_node() {
        return;
    }
    let dir = tmp("serve-ebt");
    let (server_secret, _) = secret(&dir, "server.secret", SERVE_SEED);
    let (our_secret, _) = secret(&dir, "secret", OUR_SEED);
    let feeds: Vec<(String, Vec<String>)> = [0x61, 0x62]
        .iter()
        .map(|s| js_feed_of(&dir, *s, 300))
        .collect();
    let src = dir.join("src");
    let src = src.to_str().expect("UTF-8");
    for (f, _) in &feeds {
        let r = ssb(&["import", "--store", src, f]);
        assert_eq!(r.code(), Some(0), "{r:?}");
    }
    let ours = Server::ours_store(&dir, &server_secret, src);
    let authors: Vec<String> = feeds.iter().map(|(_, l)| author_of(&l[0])).collect();
    let mut cmd = Command::new("node");
    cmd.current_dir(js_dir()).args([
        "peer/server.js",
        "--seed",
        &"06".repeat(32),
        "--max-seconds",
        "120",
        "--ebt",
        "--connect",
        &ours.address,
    ]);
    for a in &authors {
        cmd.args(["--replicate", a, "--want", &format!("{a}:300")]);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("js.err")).expect("js.err"))
        .spawn()
        .expect("node starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let start = Instant::now();
    let mut address = None;
    let mut have = Vec::new();
    while have.len() < authors.len() {
        let left = RUN_LIMIT.saturating_sub(start.elapsed());
        let line = rx.recv_timeout(left).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!(
                "the JS peer did not report both feeds; got {have:?}\njs:\n{}\nours:\n{}",
                std::fs::read_to_string(dir.join("js.err")).unwrap_or_default(),
                ours.log()
            )
        });
        let v: serde_json::Value = serde_json::from_str(&line).expect("JSON line");
        if let Some(a) = v["address"].as_str() {
            address = Some(a.to_owned());
        } else {
            assert_eq!(v["sequence"], 300, "{line}");
            have.push(v["have"].as_str().expect("have").to_owned());
        }
    }
    have.sort();
    let mut want = authors.clone();
    want.sort();
    assert_eq!(have, want);
    let address = address.expect("the JS server's address");
    for ((_, lines), a) in feeds.iter().zip(&authors) {
        let args = format!("{{\"id\":\"{a}\",\"keys\":false}}");
        let r = ssb(&[
            "call",
            &address,
            "createHistoryStream",
            &args,
            "--source",
            "--secret",
            &our_secret,
        ]);
        assert_eq!(r.code(), Some(0), "{r:?}");
        assert_eq!(r.lines(), lines_of(lines, 0, lines.len()), "{a}");
    }
    let _ = child.kill();
    let _ = child.wait();
    ours.terminate();
}

/// A JS EBT peer (server.js `--ebt`) as `seed`, with these extra arguments (`--feed`,
/// `--connect`, `--replicate`, `--want`), and the lines it prints.
fn js_ebt_peer(
    dir: &Path,
    name: &str,
    seed: &str,
    args: &[&str],
) -> (Child, mpsc::Receiver<String>) {
    let mut cmd = Command::new("node");
    cmd.current_dir(js_dir()).args([
        "peer/server.js",
        "--seed",
        &seed.repeat(32),
        "--max-seconds",
        "120",
        "--ebt",
    ]);
    cmd.args(args);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join(format!("{name}.err"))).expect("js stderr"))
        .spawn()
        .expect("node starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

/// The next line `rx` gets within [`RUN_LIMIT`], as JSON; `what` and `log` for the failure.
fn next_json(
    rx: &mpsc::Receiver<String>,
    what: &str,
    log: &dyn Fn() -> String,
) -> serde_json::Value {
    let line = rx
        .recv_timeout(RUN_LIMIT)
        .unwrap_or_else(|_| panic!("no line from {what} within {RUN_LIMIT:?}\n{}", log()));
    serde_json::from_str(&line).expect("JSON line")
}

/// Waits (at most [`RUN_LIMIT`]) until the server's stderr holds `needle`.
fn wait_for_log(server: &Server, needle: &str) {
    let start = Instant::now();
    while !server.log().contains(needle) {
        assert!(
            start.elapsed() < RUN_LIMIT,
            "the server never logged {needle:?}; its stderr:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `ssb serve --store DIR` with these extra flags (`--follow`).
fn ours_store_with(dir: &Path, secret: &str, store: &str, extra: &[&str], log: &str) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ssb"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--secret", secret]);
    cmd.args(["--store", store]);
    cmd.args(extra);
    Server::start(cmd, dir.join(log), false)
}

/// Our `ssb serve --store` as a full EBT peer: a JS peer (ssb-ebt 9) dials it and pushes its
/// feed, which we follow (`--follow`) but hold none of; meanwhile a second JS peer, connected
/// before, gets every message from us as it arrives (live forwarding), and so does our own
/// `ssb replicate`. Then our store's export is the JS feed byte for byte, the pushing peer's
/// clock was stored when its session ended, and its next session loads it.
#[test]
fn the_js_peer_pushes_its_feed_to_ssb_serve_store_and_it_is_forwarded_live() {
    if !have_node() {
        return;
    }
    let dir = tmp("serve-ebt-push");
    let (server_secret, _) = secret(&dir, "server.secret", SERVE_SEED);
    let (our_secret, _) = secret(&dir, "secret", OUR_SEED);
    let (file, lines) = js_feed_of(&dir, 0x63, 300);
    let author = author_of(&lines[0]);
    let store = dir.join("store");
    let store = store.to_str().expect("UTF-8");
    let ours = ours_store_with(
        &dir,
        &server_secret,
        store,
        &["--follow", &author],
        "serve-1.err",
    );

    // The receiver first: it wants the feed and has none of it; so do we.
    let want = format!("{author}:300");
    let (mut receiver, rx) = js_ebt_peer(
        &dir,
        "receiver",
        "07",
        &[
            "--replicate",
            &author,
            "--want",
            &want,
            "--connect",
            &ours.address,
        ],
    );
    let js_log =
        |name: &str| std::fs::read_to_string(dir.join(format!("{name}.err"))).unwrap_or_default();
    let ready = next_json(&rx, "the receiver", &|| js_log("receiver"));
    let receiver_id = ready["id"].as_str().expect("id").to_owned();
    let receiver_address = ready["address"].as_str().expect("address").to_owned();
    wait_for_log(&ours, &format!("EBT session with {receiver_id}: loaded"));

    // Then the JS author's peer dials us and pushes its feed.
    let (mut pusher, prx) = js_ebt_peer(
        &dir,
        "pusher",
        "06",
        &["--feed", &file, "--connect", &ours.address],
    );
    let ready = next_json(&prx, "the pusher", &|| js_log("pusher"));
    let pusher_id = ready["id"].as_str().expect("id").to_owned();

    // Forwarded live: the receiver's db gets the whole feed through us, exactly.
    let have = next_json(&rx, "the receiver's --want", &|| {
        format!(
            "receiver:\n{}\npusher:\n{}\nours:\n{}",
            js_log("receiver"),
            js_log("pusher"),
            ours.log()
        )
    });
    assert_eq!(have["have"], author.as_str(), "{have}");
    assert_eq!(have["sequence"], 300, "{have}");
    let args = format!("{{\"id\":\"{author}\",\"keys\":false}}");
    let r = ssb(&[
        "call",
        &receiver_address,
        "createHistoryStream",
        &args,
        "--source",
        "--secret",
        &our_secret,
    ]);
    assert_eq!(r.code(), Some(0), "{r:?}");
    assert_eq!(r.lines(), lines_of(&lines, 0, lines.len()));
    let _ = receiver.kill();
    let _ = receiver.wait();

    // Our own client gets it from our serve too, while it runs.
    let copy = dir.join("copy");
    let copy = copy.to_str().expect("UTF-8");
    let r = replicate(&ours.address, &our_secret, copy, &[&author], &[]);
    assert_eq!(r.code(), Some(0), "{r:?}\nours:\n{}", ours.log());
    assert_eq!(
        r.lines(),
        [format!("{{\"feed\":\"{author}\",\"sequence\":300}}")]
    );
    assert_eq!(exported_values(copy, &author), lines);

    // The pusher's session ends with its connection: its clock is stored.
    let _ = pusher.kill();
    let _ = pusher.wait();
    wait_for_log(
        &ours,
        &format!("EBT session with {pusher_id} ended; its clock of 1 feeds stored"),
    );
    ours.terminate();
    assert_eq!(
        exported_values(store, &author),
        lines,
        "our store holds the JS feed exactly"
    );

    // The next session of the pusher loads that clock.
    let ours = ours_store_with(&dir, &server_secret, store, &[], "serve-2.err");
    let (mut pusher, prx) = js_ebt_peer(
        &dir,
        "pusher-2",
        "06",
        &["--feed", &file, "--connect", &ours.address],
    );
    let _ = next_json(&prx, "the pusher", &|| js_log("pusher-2"));
    wait_for_log(
        &ours,
        &format!("EBT session with {pusher_id}: loaded a stored clock of 1 feeds"),
    );
    let _ = pusher.kill();
    let _ = pusher.wait();
    ours.terminate();
    assert_eq!(exported_values(store, &author), lines);
}
