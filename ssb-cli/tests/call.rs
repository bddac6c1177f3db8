//! `ssb call` against a scripted server (our `net.rs` driver on the server side, answering
//! every source call with given items): `--verify` on JS-made messages, intact and tampered,
//! as values and as KVTs; usage, connection and timeout errors and their exit codes. The live
//! JS interop is in `interop.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[allow(dead_code, unreachable_pub)]
#[path = "../src/net.rs"]
mod net;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ssb_connection::{Connection, Event};
use ssb_crypto::{Keypair, NetworkKey};
use ssb_muxrpc::{Body, CallType, Event as Rpc};

const SERVER_SEED: [u8; 32] = [0x11; 32];

fn ssb(args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_ssb"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ssb runs");
    // Every call below is bounded by its own --timeout (at most 20 s).
    child.wait_with_output().expect("ssb exits")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ssb-call-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A secret file for the client.
fn client_secret(dir: &std::path::Path) -> String {
    let p = dir.join("secret").to_str().expect("UTF-8").to_owned();
    let out = ssb(&["keygen", "--seed", &"22".repeat(32), "--secret", &p]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    p
}

/// The messages of one author of the committed JS-generated feed vectors, in order, as
/// compact JSON (what JS `JSON.stringify` makes of them).
fn js_messages() -> Vec<String> {
    let all = common::interleaved_feed_compact();
    let author = |m: &str| {
        ssb_legacy_json::parse(m.as_bytes())
            .expect("JSON")
            .get("author")
            .and_then(|a| a.as_str().map(str::to_owned))
            .expect("author")
    };
    let first = author(&all[0]);
    all.into_iter()
        .filter(|m| author(m) == first)
        .take(30)
        .collect()
}

fn id_of(msg: &str) -> String {
    ssb_feed::verify_message(msg.as_bytes(), &ssb_feed::SignCap::None)
        .expect("valid")
        .id()
        .to_string()
}

fn author_of(msg: &str) -> String {
    ssb_legacy_json::parse(msg.as_bytes())
        .expect("JSON")
        .get("author")
        .and_then(|a| a.as_str().map(str::to_owned))
        .expect("author")
}

/// Serves one connection on 127.0.0.1: every source call gets `items` (raw JSON), then END;
/// every async call its own argument list back. Returns the address.
fn scripted_server(items: Vec<String>) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let keys = Keypair::from_seed(&SERVER_SEED);
    let address = net::address_of(listener.local_addr().expect("addr"), keys.public());
    let t = std::thread::spawn(move || {
        let (sock, _) = listener.accept().expect("accept");
        let conn = Connection::server_with_rng(
            NetworkKey::MAIN_NET,
            &keys,
            &mut rand_core::OsRng,
            Default::default(),
        );
        let mut link = net::Link::new(conn, sock).expect("link");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            match link.next_event(Duration::from_millis(100)) {
                Ok(net::Next::Event(Event::Authenticate(_))) => {
                    link.conn().accept().expect("accept")
                }
                Ok(net::Next::Event(Event::Rpc(Rpc::Request { id, request }))) => {
                    let rpc = link.conn().endpoint().expect("open");
                    if request.kind == CallType::Source {
                        for i in &items {
                            let _ = rpc.send(id, Body::RawJson(i.clone()));
                        }
                        let _ = rpc.end(id);
                    } else {
                        let args = serde_json::Value::Array(request.args);
                        let _ = rpc.respond(id, Ok(Body::json(args)));
                    }
                }
                Ok(net::Next::Event(_)) | Ok(net::Next::Idle) => {}
                Ok(net::Next::Ended) | Err(_) => return,
            }
        }
    });
    (address, t)
}

fn call_verify(address: &str, secret: &str, author: &str) -> Output {
    let q = format!("{{\"id\":\"{author}\"}}");
    ssb(&[
        "call",
        address,
        "createHistoryStream",
        &q,
        "--source",
        "--verify",
        "--secret",
        secret,
        "--timeout",
        "20",
    ])
}

#[test]
fn verify_accepts_js_messages_as_values_and_kvts() {
    let dir = tmp("ok");
    let secret = client_secret(&dir);
    let msgs = js_messages();
    let author = author_of(&msgs[0]);
    // From sequence 1, and starting later (a stream may begin past 1).
    for items in [msgs.clone(), msgs[5..].to_vec()] {
        let (addr, t) = scripted_server(items.clone());
        let out = call_verify(&addr, &secret, &author);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let want: String = items.iter().map(|m| format!("{m}\n")).collect();
        assert_eq!(text(&out.stdout), want);
        t.join().expect("server");
    }
    let kvts: Vec<String> = msgs
        .iter()
        .map(|m| format!("{{\"key\":\"{}\",\"value\":{m},\"timestamp\":1}}", id_of(m)))
        .collect();
    let (addr, t) = scripted_server(kvts.clone());
    let out = call_verify(&addr, &secret, &author);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().collect::<Vec<_>>(), kvts);
    t.join().expect("server");
}

#[test]
fn verify_stops_at_the_first_invalid_message_and_names_it() {
    let dir = tmp("bad");
    let secret = client_secret(&dir);
    let msgs = js_messages();
    let author = author_of(&msgs[0]);
    let kvt = |m: &str, key: &str| format!("{{\"key\":\"{key}\",\"value\":{m},\"timestamp\":1}}");
    let cases: Vec<(Vec<String>, &str, &str)> = vec![
        // A changed signed field: the signature no longer verifies.
        (
            {
                let mut v = msgs[..6].to_vec();
                v[3] = v[3].replacen("\"timestamp\":", "\"timestamp\":1", 1);
                v
            },
            "item 3",
            "signature_invalid",
        ),
        // A message missing from the middle: the next one does not follow.
        (
            {
                let mut v = msgs[..6].to_vec();
                v.remove(2);
                v
            },
            "item 2",
            "sequence",
        ),
        // A KVT whose key is not the message's id.
        (
            vec![
                kvt(&msgs[0], &id_of(&msgs[0])),
                kvt(&msgs[1], &id_of(&msgs[0])),
            ],
            "item 1",
            "key_mismatch",
        ),
        // Not JSON at all.
        (vec![msgs[0].clone(), "{\"a\":".into()], "item 1", "json"),
    ];
    for (items, at, code) in cases {
        let (addr, t) = scripted_server(items.clone());
        let out = call_verify(&addr, &secret, &author);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{at} {code}: {err}");
        assert!(err.contains(at) && err.contains(code), "{at} {code}: {err}");
        // What came before the bad item was printed.
        let n: usize = at.trim_start_matches("item ").parse().expect("index");
        assert_eq!(text(&out.stdout).lines().count(), n, "{err}");
        t.join().expect("server");
    }
    // A message of another author in a createHistoryStream of `author`.
    let others = js_messages_of_another_author();
    let (addr, t) = scripted_server(vec![msgs[0].clone(), others[0].clone()]);
    let out = call_verify(&addr, &secret, &author);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("item 1") && err.contains("author_mismatch"),
        "{err}"
    );
    t.join().expect("server");
}

fn js_messages_of_another_author() -> Vec<String> {
    let first = author_of(&js_messages()[0]);
    common::interleaved_feed_compact()
        .into_iter()
        .filter(|m| author_of(m) != first)
        .take(1)
        .collect()
}

#[test]
fn a_json_array_is_the_argument_list_and_any_other_value_the_one_argument() {
    let dir = tmp("args");
    let secret = client_secret(&dir);
    for (args, got) in [
        ("{\"id\":1}", "[{\"id\":1}]"),
        ("[{\"id\":1}]", "[{\"id\":1}]"),
        ("[1,\"a\"]", "[1,\"a\"]"),
        ("5", "[5]"),
        ("\"text\"", "[\"text\"]"),
        ("[]", "[]"),
    ] {
        let (addr, t) = scripted_server(vec![]);
        let out = ssb(&[
            "call",
            &addr,
            "any.method",
            args,
            "--secret",
            &secret,
            "--timeout",
            "20",
        ]);
        assert_eq!(out.status.code(), Some(0), "{args}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), format!("{got}\n"), "{args}");
        t.join().expect("server");
    }
}

#[test]
fn usage_connection_and_timeout_errors_exit_2() {
    let dir = tmp("errors");
    let secret = client_secret(&dir);
    let key = ssb_crypto::base64::encode(Keypair::from_seed(&SERVER_SEED).public().as_bytes());
    // Nothing listens on this port.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let refused = format!("net:127.0.0.1:{closed}~shs:{key}");
    for (args, what) in [
        (
            vec!["call", "not-an-address", "whoami"],
            "invalid value 'not-an-address' for '<ADDRESS>'",
        ),
        (vec!["call", &refused], "<METHOD>"),
        (
            vec!["call", &refused, "whoami", "{"],
            "ARGS_JSON is not JSON",
        ),
        (vec!["call", &refused, "a..b"], "no empty parts"),
        (vec!["call", &refused, "whoami", "--verify"], "--source"),
        (
            vec!["call", &refused, "whoami", "--caps", "nope"],
            "'--caps <B64>'",
        ),
        (
            vec!["call", &refused, "whoami", "--timeout", "0"],
            "'--timeout <SECONDS>'",
        ),
        (vec!["call", &refused, "whoami"], "cannot connect"),
    ] {
        let mut a = args.clone();
        a.extend_from_slice(&["--secret", &secret]);
        let out = ssb(&a);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(what),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    // A server that accepts and never answers: the call gives up at its --timeout.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = format!(
        "net:127.0.0.1:{}~shs:{key}",
        silent.local_addr().expect("addr").port()
    );
    let start = Instant::now();
    let out = ssb(&[
        "call",
        &addr,
        "whoami",
        "--secret",
        &secret,
        "--timeout",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("timed out during the handshake"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    drop(silent);
}
