//! `ssb conformance --peer ADDRESS [--feed @ID] [--secret FILE] [--caps B64]`: a live
//! conformance suite against any SSB server.
//!
//! One line per check, `PASS name: what was seen` or `FAIL name: …`, then
//! `N passed, N failed`. Exit 0 when every check passed, 1 when one failed, 2 when the
//! handshake itself failed (nothing else can be checked) or the options are wrong.
//!
//! The checks, over one connection as the `--secret` identity (the server must allow it
//! `whoami`: a JS server grants that to its own id and masters only):
//!
//! * `handshake`: the server proves the key in the address;
//! * `manifest`: an object; `whoami`: `{"id": <the address's key>}`;
//! * `unknown async method` / `unknown source method`: an error with JS's text
//!   `no async:conformance,nosuch` (or, for a peer that checks permissions first, JS's
//!   `method:conformance,nosuch is not in list of allowed methods`);
//! * on `--feed` (default: the server's own feed) with `createHistoryStream`: the whole feed
//!   as KVTs, every message valid (`ssb-feed`), in order from sequence 1, each key the
//!   computed id, ending with `END`; `keys: false` gives the same values byte for byte;
//!   `seq` and `sequence` are inclusive; `limit` counts messages (also after `seq`); an
//!   unknown feed gives an empty stream that ends without error; checks that need a feed of
//!   at least 2 messages say `SKIP` (not counted) when it is shorter;
//! * `stream end from our side`: a source we end before reading is ended by the server too;
//! * `goodbye`: our goodbye is answered and the connection closes cleanly;
//!
//! and over three more connections, each of which the server must refuse by staying silent
//! and closing: `wrong network key` (a hello on another network), `wrong server key` (after
//! its hello the server must not accept an authentication meant for another key), and
//! `garbage hello` (64 random bytes).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rand_core::RngCore;
use ssb_connection::Connection;
use ssb_crypto::{FeedId, Keypair, NetShs, NetworkKey, PublicKey};
use ssb_legacy_json::Value;
use ssb_muxrpc::{Body, CallError, CallType, RemoteError, StreamItem};

use crate::call::Verifier;
use crate::net::{self, Client, NetError};

/// The longest one check may take.
pub(crate) const CHECK_TIMEOUT: Duration = Duration::from_secs(15);
/// The most messages read from one history stream.
pub(crate) const MAX_FEED_ITEMS: usize = 1_000_000;
/// How long a refused connection may stay open before the server is said not to close it.
pub(crate) const REFUSAL_TIMEOUT: Duration = Duration::from_secs(10);

/// What `ssb conformance --peer` checks, as typed values.
pub(crate) struct PeerOptions {
    /// The server.
    pub(crate) address: NetShs,
    /// The feed to check `createHistoryStream` with (the server's own if `None`).
    pub(crate) feed: Option<FeedId>,
    /// Our identity.
    pub(crate) keys: Keypair,
    /// The network key.
    pub(crate) net: NetworkKey,
}

/// The checks' lines and counts.
#[derive(Default)]
struct Report {
    passed: usize,
    failed: usize,
}

impl Report {
    fn check(&mut self, name: &str, r: Result<String, String>) {
        match r {
            Ok(seen) => {
                self.passed += 1;
                println!("PASS {name}: {seen}");
            }
            Err(seen) => {
                self.failed += 1;
                println!("FAIL {name}: {seen}");
            }
        }
    }
    fn skip(&mut self, name: &str, why: &str) {
        println!("SKIP {name}: {why}");
    }
}

/// Runs the suite and prints it; exit 0 when all passed, 1 when a check failed, 2 when
/// the handshake failed.
pub(crate) fn run(opts: &PeerOptions) -> ExitCode {
    let (addr, keys, net_key, feed) = (&opts.address, &opts.keys, &opts.net, opts.feed);
    let mut report = Report::default();
    let deadline = Instant::now() + CHECK_TIMEOUT;
    let mut client = match Client::connect(addr, keys, net_key, true, deadline) {
        Ok(c) => c,
        Err(e) => {
            report.check("handshake", Err(e.to_string()));
            println!("0 passed, 1 failed");
            return ExitCode::from(2);
        }
    };
    let server = FeedId::from(addr.key);
    report.check(
        "handshake",
        if client.peer() == addr.key {
            Ok(format!("connected to {server}"))
        } else {
            Err(format!("connected to {}", FeedId::from(client.peer())))
        },
    );
    let feed = feed.unwrap_or(server);
    rpc_checks(&mut client, &mut report, &server, &feed);
    report.check(
        "goodbye",
        client
            .close(Instant::now() + CHECK_TIMEOUT)
            .map(|()| "both goodbyes, the connection closed cleanly".into())
            .map_err(|e| e.to_string()),
    );
    refusal_checks(addr, keys, net_key, &mut report);
    println!("{} passed, {} failed", report.passed, report.failed);
    if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn soon() -> Instant {
    Instant::now() + CHECK_TIMEOUT
}

/// A JSON result as `ssb-legacy-json` reads it.
fn parsed(body: &Body) -> Result<Value, String> {
    let text = match body {
        Body::RawJson(t) => t.as_str(),
        other => return Err(format!("not a JSON body: {other:?}")),
    };
    ssb_legacy_json::parse(text.as_bytes()).map_err(|e| format!("invalid JSON: {e}"))
}

fn remote(r: Result<Result<Body, CallError>, NetError>) -> Result<Body, String> {
    match r {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(CallError::Remote(e))) => Err(format!("error: {e}")),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// Is this one of JS's texts for a method the peer does not have (or does not allow)?
fn is_unknown_method_error(e: &RemoteError, kind: CallType, name: &[String]) -> bool {
    e.message == RemoteError::no_such_method(kind, name).message
        || e.message == RemoteError::not_allowed(name).message
}

/// A history stream: its items parsed, and how it ended.
fn history(
    client: &mut Client,
    opts: serde_json::Value,
) -> Result<(Vec<Value>, Result<(), CallError>), String> {
    let id = client
        .open(CallType::Source, &["createHistoryStream"], vec![opts])
        .map_err(|e| e.to_string())?;
    let (items, end) = client
        .collect(id, MAX_FEED_ITEMS, soon())
        .map_err(|e| e.to_string())?;
    let values = items.iter().map(parsed).collect::<Result<Vec<_>, _>>()?;
    Ok((values, end))
}

fn ended_ok(end: &Result<(), CallError>) -> Result<(), String> {
    end.as_ref()
        .map_err(|e| format!("the stream ended with {e}"))
        .copied()
}

/// The `value` of a KVT, or the item itself.
fn value_of(v: &Value) -> &Value {
    v.get("value").unwrap_or(v)
}

fn seq_of(v: &Value) -> Option<f64> {
    value_of(v).get("sequence").and_then(Value::as_f64)
}

fn seqs(items: &[Value]) -> Vec<f64> {
    items.iter().filter_map(seq_of).collect()
}

/// The checks over the main connection.
fn rpc_checks(client: &mut Client, report: &mut Report, server: &FeedId, feed: &FeedId) {
    report.check(
        "manifest",
        remote(client.call_async(&["manifest"], vec![], soon())).and_then(|b| match parsed(&b)? {
            Value::Object(o) => Ok(format!("an object of {} entries", o.len())),
            v => Err(format!("not an object: {}", v.to_compact_string())),
        }),
    );
    report.check(
        "whoami",
        remote(client.call_async(&["whoami"], vec![], soon())).and_then(|b| {
            let v = parsed(&b)?;
            match v.get("id").and_then(Value::as_str) {
                Some(id) if id == server.to_string() => Ok(format!("{{\"id\":\"{id}\"}}")),
                _ => Err(format!("{} (expected id {server})", v.to_compact_string())),
            }
        }),
    );
    let nosuch: Vec<String> = vec!["conformance".into(), "nosuch".into()];
    report.check(
        "unknown async method",
        match client.call_async(&["conformance", "nosuch"], vec![], soon()) {
            Ok(Err(CallError::Remote(e)))
                if is_unknown_method_error(&e, CallType::Async, &nosuch) =>
            {
                Ok(format!("error {:?}", e.message))
            }
            Ok(Err(CallError::Remote(e))) => Err(format!("an error with another text: {e}")),
            Ok(Ok(b)) => Err(format!("an answer: {b:?}")),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        },
    );
    report.check(
        "unknown source method",
        (|| {
            let id = client
                .open(CallType::Source, &["conformance", "nosuch"], vec![])
                .map_err(|e| e.to_string())?;
            let (items, end) = client.collect(id, 16, soon()).map_err(|e| e.to_string())?;
            match end {
                Err(CallError::Remote(e))
                    if items.is_empty()
                        && is_unknown_method_error(&e, CallType::Source, &nosuch) =>
                {
                    Ok(format!("error end {:?}", e.message))
                }
                Err(e) => Err(format!("{} items, then {e}", items.len())),
                Ok(()) => Err(format!("{} items, then a normal end", items.len())),
            }
        })(),
    );
    history_checks(client, report, feed);
    report.check(
        "stream end from our side",
        (|| {
            let id = client
                .open(
                    CallType::Source,
                    &["createHistoryStream"],
                    vec![serde_json::json!({"id": feed.to_string()})],
                )
                .map_err(|e| e.to_string())?;
            client
                .endpoint()
                .and_then(|e| Ok(e.end(id)?))
                .map_err(|e| e.to_string())?;
            let mut n = 0usize;
            loop {
                match client.next_item(id, soon()).map_err(|e| e.to_string())? {
                    StreamItem::Data(_) => n += 1,
                    StreamItem::End(r) => {
                        let open = client.endpoint().map(|e| e.is_open(id)).unwrap_or(false);
                        if open {
                            return Err("the server's end came but the stream is still open".into());
                        }
                        return Ok(format!(
                            "we ended first; the server ended too ({}) after {n} items in flight",
                            match r {
                                Ok(()) => "true".to_string(),
                                Err(e) => e.to_string(),
                            }
                        ));
                    }
                }
            }
        })(),
    );
}

fn history_checks(client: &mut Client, report: &mut Report, feed: &FeedId) {
    let fid = feed.to_string();
    // The whole feed as KVTs.
    let all = history(client, serde_json::json!({ "id": fid }));
    let all = match all {
        Ok((items, end)) => {
            let r = (|| {
                ended_ok(&end)?;
                let mut verifier = Verifier::new(Some(*feed));
                for (i, item) in items.iter().enumerate() {
                    let key = item.get("key").and_then(Value::as_str);
                    if key.is_none() || item.get("value").is_none() {
                        return Err(format!(
                            "item {i} is not a KVT: {}",
                            item.to_compact_string()
                        ));
                    }
                    if !matches!(item.get("timestamp"), Some(Value::Number(_))) {
                        return Err(format!("item {i} has no numeric timestamp"));
                    }
                    verifier.check(&Body::RawJson(item.to_compact_string()))?;
                }
                let s = seqs(&items);
                let want: Vec<f64> = (1..=items.len()).map(|n| n as f64).collect();
                if s != want {
                    return Err(format!("sequences {s:?}, expected 1..={}", items.len()));
                }
                Ok(format!(
                    "{} messages, all valid, sequences 1..={} in order, keys = computed ids, END true",
                    items.len(),
                    items.len()
                ))
            })();
            report.check("history: whole feed", r);
            items
        }
        Err(e) => {
            report.check("history: whole feed", Err(e));
            return;
        }
    };
    let n = all.len();
    let values: Vec<String> = all
        .iter()
        .map(|v| value_of(v).to_compact_string())
        .collect();
    report.check(
        "history: keys false",
        history(client, serde_json::json!({ "id": fid, "keys": false })).and_then(
            |(items, end)| {
                ended_ok(&end)?;
                let got: Vec<String> = items.iter().map(Value::to_compact_string).collect();
                if got == values {
                    Ok(format!("the same {n} values, byte for byte"))
                } else {
                    Err(format!(
                        "{} items differing from the values of the whole feed",
                        got.len()
                    ))
                }
            },
        ),
    );
    let expect_range = |items: &[Value], from: usize, count: usize| -> Result<(), String> {
        let want: Vec<String> = values.iter().skip(from - 1).take(count).cloned().collect();
        let got: Vec<String> = items
            .iter()
            .map(|v| value_of(v).to_compact_string())
            .collect();
        if got == want {
            Ok(())
        } else {
            Err(format!(
                "sequences {:?}, expected {from}..={}",
                seqs(items),
                from + want.len() - 1
            ))
        }
    };
    report.check(
        "history: limit",
        history(client, serde_json::json!({ "id": fid, "limit": 1 })).and_then(|(items, end)| {
            ended_ok(&end)?;
            expect_range(&items, 1, 1.min(n))?;
            Ok(format!(
                "limit 1: {} message(s), sequence {:?}",
                items.len(),
                seqs(&items)
            ))
        }),
    );
    if n >= 2 {
        for field in ["seq", "sequence"] {
            report.check(
                &format!("history: {field} inclusive"),
                history(client, serde_json::json!({ "id": fid, field: 2 })).and_then(
                    |(items, end)| {
                        ended_ok(&end)?;
                        expect_range(&items, 2, n - 1)?;
                        Ok(format!("{field} 2: sequences 2..={n}"))
                    },
                ),
            );
        }
        let count = 2.min(n - 1);
        report.check(
            "history: seq and limit",
            history(
                client,
                serde_json::json!({ "id": fid, "seq": 2, "limit": 2 }),
            )
            .and_then(|(items, end)| {
                ended_ok(&end)?;
                expect_range(&items, 2, count)?;
                Ok(format!("seq 2, limit 2: sequences {:?}", seqs(&items)))
            }),
        );
    } else {
        for name in [
            "history: seq inclusive",
            "history: sequence inclusive",
            "history: seq and limit",
        ] {
            report.skip(
                name,
                &format!("the feed has {n} message(s); give --feed with at least 2"),
            );
        }
    }
    let mut unknown = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut unknown);
    let unknown = FeedId::from(PublicKey(unknown));
    report.check(
        "history: unknown feed",
        history(client, serde_json::json!({ "id": unknown.to_string() })).and_then(
            |(items, end)| {
                ended_ok(&end)?;
                if items.is_empty() {
                    Ok(format!("{unknown}: an empty stream, END true"))
                } else {
                    Err(format!("{} items", items.len()))
                }
            },
        ),
    );
}

/// Reads until the peer closes; returns the bytes it sent. Fails if it stays open.
fn until_closed(sock: &mut TcpStream, limit: Instant) -> Result<usize, String> {
    let mut buf = [0u8; 1024];
    let mut total = 0usize;
    loop {
        let left = limit.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!(
                "still open after {} s ({total} bytes sent)",
                REFUSAL_TIMEOUT.as_secs()
            ));
        }
        sock.set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        match sock.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n,
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => {
                return Ok(total);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Reads exactly `buf.len()` bytes before `limit`.
fn read_exact_by(sock: &mut TcpStream, buf: &mut [u8], limit: Instant) -> Result<(), String> {
    let mut got = 0usize;
    while got < buf.len() {
        let left = limit.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("only {got} of {} bytes came", buf.len()));
        }
        sock.set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        match sock.read(buf.get_mut(got..).unwrap_or_default()) {
            Ok(0) => return Err(format!("closed after {got} of {} bytes", buf.len())),
            Ok(n) => got += n,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(format!("after {got} bytes: {e}")),
        }
    }
    Ok(())
}

/// The next handshake message a connection wants to send.
fn transmit(conn: &mut Connection) -> Result<Vec<u8>, String> {
    let mut out = [0u8; ssb_handshake::MAX_MESSAGE_LEN];
    let n = conn.poll_transmit(&mut out).map_err(|e| e.to_string())?;
    Ok(out.get(..n).unwrap_or_default().to_vec())
}

fn refusal_checks(
    addr: &ssb_crypto::NetShs,
    keys: &Keypair,
    net_key: &NetworkKey,
    report: &mut Report,
) {
    let mut rng = rand_core::OsRng;
    let dial = |limit: Instant| net::dial(addr, limit).map_err(|e| e.to_string());

    report.check(
        "wrong network key",
        (|| {
            let limit = Instant::now() + REFUSAL_TIMEOUT;
            let mut sock = dial(limit)?;
            let mut other = [0u8; 32];
            rng.fill_bytes(&mut other);
            let mut conn = Connection::client_with_rng(
                NetworkKey(other),
                keys,
                addr.key,
                &mut rng,
                Default::default(),
            );
            sock.write_all(&transmit(&mut conn)?)
                .map_err(|e| e.to_string())?;
            match until_closed(&mut sock, limit)? {
                0 => Ok("silent, then closed".into()),
                n => Err(format!("the server sent {n} bytes")),
            }
        })(),
    );

    report.check(
        "wrong server key",
        (|| {
            let limit = Instant::now() + REFUSAL_TIMEOUT;
            let mut sock = dial(limit)?;
            let mut other = [0u8; 32];
            rng.fill_bytes(&mut other);
            // A real key pair's public key, so that the client can make its authentication.
            let wrong = Keypair::from_seed(&other).public();
            let mut conn = Connection::client_with_rng(
                net_key.clone(),
                keys,
                wrong,
                &mut rng,
                Default::default(),
            );
            sock.write_all(&transmit(&mut conn)?)
                .map_err(|e| e.to_string())?;
            let mut hello = [0u8; ssb_handshake::HELLO_LEN];
            read_exact_by(&mut sock, &mut hello, limit)
                .map_err(|e| format!("no server hello: {e}"))?;
            conn.handle_input(&hello)
                .map_err(|e| format!("server hello: {e}"))?;
            sock.write_all(&transmit(&mut conn)?)
                .map_err(|e| e.to_string())?;
            match until_closed(&mut sock, limit)? {
                0 => Ok(
                    "its hello, then silent on our authentication for another key, then closed"
                        .into(),
                ),
                n => Err(format!(
                    "the server sent {n} bytes after our authentication"
                )),
            }
        })(),
    );

    report.check(
        "garbage hello",
        (|| {
            let limit = Instant::now() + REFUSAL_TIMEOUT;
            let mut sock = dial(limit)?;
            let mut junk = [0u8; ssb_handshake::HELLO_LEN];
            rng.fill_bytes(&mut junk);
            sock.write_all(&junk).map_err(|e| e.to_string())?;
            match until_closed(&mut sock, limit)? {
                0 => Ok("silent, then closed".into()),
                n => Err(format!("the server sent {n} bytes")),
            }
        })(),
    );
}
