//! Helpers shared by the `ssb` binary's end-to-end tests.
#![allow(dead_code)] // each test file uses a different subset

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// Runs `ssb` with `args`, feeding `stdin` (or nothing), and waits for it.
pub(crate) fn ssb(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ssb"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ssb runs");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(bytes) = stdin {
        // The command may exit without reading its input (usage errors): a broken pipe is fine.
        let _ = input.write_all(bytes);
    }
    drop(input);
    child.wait_with_output().expect("ssb exits")
}

/// stdout as text.
pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// stderr as text.
pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A fresh temporary directory for one test.
pub(crate) fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ssb-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The workspace's `test-vectors` directory.
pub(crate) fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../test-vectors")
}

/// One committed vector file, parsed.
pub(crate) fn vector_file(name: &str) -> serde_json::Value {
    let path = vectors_dir().join("vectors").join(name);
    serde_json::from_slice(&std::fs::read(&path).expect("vector file")).expect("JSON")
}

/// The interleaved 5-author feed case of the committed feed vectors (JS-generated, all valid).
pub(crate) fn interleaved_feed_case() -> serde_json::Value {
    vector_file("feed.json")["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == "feeds/main-net/interleaved")
        .cloned()
        .expect("the interleaved feed case")
}

/// That case's messages as compact JSON (what JS `JSON.stringify` makes of them), in order.
pub(crate) fn interleaved_feed_compact() -> Vec<String> {
    interleaved_feed_case()["input"]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            ssb_legacy_json::parse(m.as_str().expect("text").as_bytes())
                .expect("JSON")
                .to_compact_string()
        })
        .collect()
}

/// The node binary (`NODE` overrides). These tests FAIL, never skip, without node.
pub(crate) fn node() -> String {
    std::env::var("NODE").unwrap_or_else(|_| "node".into())
}

/// Runs a script of `test-vectors/js` with `args` and `stdin`; panics unless it exits 0.
pub(crate) fn node_script(script: &str, args: &[&str], stdin: &[u8]) -> String {
    let js = vectors_dir().join("js");
    let mut child = Command::new(node())
        .arg(js.join(script))
        .args(args)
        .current_dir(&js)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start `{}` ({e}): node >= 20 and test-vectors/js/node_modules (npm ci) \
                 are required for this test",
                node()
            )
        });
    let mut input = child.stdin.take().expect("stdin");
    std::thread::scope(|s| {
        s.spawn(move || {
            // If node fails early, its exit status says so below.
            let _ = input.write_all(stdin);
        });
        let out = child.wait_with_output().expect("node exits");
        assert!(out.status.success(), "node {script} failed: {}", out.status);
        String::from_utf8(out.stdout).expect("node output is UTF-8")
    })
}

/// Node's answers for many inputs: each case is hex-encoded on its own line.
pub(crate) fn node_lines(script: &str, args: &[&str], cases: &[Vec<u8>]) -> Vec<String> {
    let mut input = Vec::new();
    for c in cases {
        input.extend_from_slice(ssb_crypto::hex::encode(c).as_bytes());
        input.push(b'\n');
    }
    let out = node_script(script, args, &input);
    let lines: Vec<String> = BufReader::new(out.as_bytes())
        .lines()
        .map(|l| l.expect("line"))
        .collect();
    assert_eq!(lines.len(), cases.len(), "node answered every case");
    lines
}

/// Runs `f` over `items` on a few threads (each item spawns processes), in order.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    })
}

/// A small deterministic PRNG (xorshift64*) for generated cases; the seed is printed.
pub(crate) struct Rng(u64);

impl Rng {
    /// From `SSB_CLI_SEED`, or the clock (printed, to replay a failure).
    pub(crate) fn from_env(test: &str) -> Self {
        let seed = std::env::var("SSB_CLI_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        eprintln!("{test}: SSB_CLI_SEED={seed}");
        Rng(seed | 1)
    }
    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// One of `items`.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Writes `bytes` to `path`.
pub(crate) fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("write file");
}

/// `ssb serve --listen 127.0.0.1:0 ARGS…` running (its address read from its first line),
/// killed when dropped.
pub(crate) struct Serve {
    pub(crate) child: Child,
    pub(crate) address: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    pub(crate) fn start(args: &[&str]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ssb"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        assert!(line.starts_with("net:127.0.0.1:"), "address line {line:?}");
        Serve {
            child,
            address: line.trim().to_owned(),
        }
    }
}
