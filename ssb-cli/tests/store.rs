//! The feed store through the `ssb` binary: `import` (idempotent, stopping at a gap, a fork
//! or an invalid message and keeping what came before), `export` (byte for byte, what
//! `verify-feed` reads), `serve --store` (the stored feeds, streamed), and an import killed
//! with SIGKILL mid-way and run again. The messages are the committed JS-generated feed
//! vectors, and feeds made here with `ssb-feed` where a test needs a fork or a large feed.
//! The live JS peers are in `interop.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[allow(dead_code, unreachable_pub)]
#[path = "../src/net.rs"]
mod net;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Serve, ssb, stderr, stdout, tmp};
use ssb_crypto::{Keypair, NetworkKey};
use ssb_feed::{FeedState, Message, SignCap, create_message};
use ssb_muxrpc::{Body, CallType};

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `ssb import --store DIR FILE...`.
fn import(store: &Path, files: &[&Path]) -> Output {
    let mut args = vec!["import", "--store", path(store)];
    args.extend(files.iter().map(|f| path(f)));
    ssb(&args, None)
}

/// `ssb export --store DIR --feed ID [extra]`, which must succeed.
fn export(store: &Path, feed: &str, extra: &[&str]) -> String {
    let mut args = vec!["export", "--store", path(store), "--feed", feed];
    args.extend_from_slice(extra);
    let out = ssb(&args, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

/// The `{"feed":…,"sequence":N}` lines `import` prints.
fn feed_line(feed: &str, sequence: u64) -> String {
    format!("{{\"feed\":\"{feed}\",\"sequence\":{sequence}}}\n")
}

fn author_of(value_text: &str) -> String {
    ssb_legacy_json::parse(value_text.as_bytes())
        .expect("JSON")
        .get("author")
        .and_then(|a| a.as_str().map(str::to_owned))
        .expect("author")
}

/// A feed of `n` messages by the key of `seed`, made with `ssb-feed` (as ssb-validate.create
/// makes them), each with content `text` + its index.
fn make_feed(seed: u8, n: usize, from: Option<&Message>, text: &str) -> Vec<Message> {
    let keys = Keypair::from_seed(&[seed; 32]);
    let mut out: Vec<Message> = Vec::with_capacity(n);
    for i in 0..n {
        let c = format!(r#"{{"type":"post","text":"{text} {i}","n":[1e21,0.1,-0]}}"#);
        let content = ssb_legacy_json::parse(c.as_bytes()).expect("content");
        let prev: Option<FeedState> = out.last().or(from).map(Message::state);
        let m = create_message(
            &keys,
            prev.as_ref(),
            content,
            1.7e12 + i as f64,
            &SignCap::None,
        )
        .expect("create");
        out.push(m);
    }
    out
}

fn lines_of(msgs: &[Message]) -> String {
    msgs.iter()
        .map(|m| m.value().to_compact_string() + "\n")
        .collect()
}

/// A vector case: its id, and its messages' texts with their ids.
type VectorFeed = (String, Vec<(String, String)>);

/// The all-valid main-network feeds among the committed vectors, each as its messages'
/// texts (as JS wrote them: compact or indented, odd spellings included) with the ids JS
/// computed.
fn valid_vector_feeds() -> Vec<VectorFeed> {
    let v = common::vector_file("feed.json");
    v["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["op"] == "validate" && c["input"]["mode"] == "append")
        .filter(|c| c["input"]["hmac_key"].is_null())
        .filter_map(|c| {
            let msgs = c["input"]["messages"].as_array()?;
            let results = c["expect"]["ok"]["results"].as_array()?;
            if msgs.len() != results.len() || results.iter().any(|r| r["valid"] != true) {
                return None;
            }
            let pairs = msgs
                .iter()
                .zip(results)
                .map(|(m, r)| {
                    // JSON whitespace around a value is not part of it.
                    let text = m
                        .as_str()
                        .expect("text")
                        .trim_matches([' ', '\t', '\n', '\r']);
                    let text = text.to_owned();
                    (text, r["id"].as_str().expect("JS id").to_owned())
                })
                .collect();
            Some((c["id"].as_str().expect("id").to_owned(), pairs))
        })
        .collect()
}

#[test]
fn every_valid_vector_feed_is_stored_byte_for_byte() {
    let feeds = valid_vector_feeds();
    assert!(feeds.len() > 80, "{} feeds", feeds.len());
    let dir = tmp("vectors");
    let indexed: Vec<(usize, &VectorFeed)> = feeds.iter().enumerate().collect();
    let checked: Vec<usize> = common::par_map(&indexed, |(index, (case, msgs))| {
        let name = case.replace('/', "_");
        let store = dir.join(format!("{name}.store"));
        // Half of the cases as KVTs with fixed timestamps (so the export is known to the
        // byte), half as bare values; both in a JSON array (indented values span lines).
        let kvts = index % 2 == 0;
        let item = |i: usize, (text, id): &(String, String)| {
            if kvts {
                format!("{{\"key\":\"{id}\",\"value\":{text},\"timestamp\":{i}}}")
            } else {
                text.clone()
            }
        };
        let items: Vec<String> = msgs.iter().enumerate().map(|(i, m)| item(i, m)).collect();
        let file = dir.join(format!("{name}.json"));
        common::write(&file, format!("[\n{}\n]\n", items.join(",\n")).as_bytes());
        let out = import(&store, &[&file]);
        assert_eq!(out.status.code(), Some(0), "{case}: {}", stderr(&out));
        let texts: Vec<String> = msgs.iter().map(|(t, _)| t.clone()).collect();
        let authors = authors_of(&texts);
        let mut all = String::new();
        for a in &authors {
            let mine: Vec<(usize, &(String, String))> = msgs
                .iter()
                .enumerate()
                .filter(|(_, (t, _))| author_of(t) == *a)
                .collect();
            // JSON lines of KVTs: the JS ids, the values in JS's compact form.
            let lines = export(&store, a, &[]);
            assert_eq!(lines.lines().count(), mine.len(), "{case}");
            for (line, (i, (text, id))) in lines.lines().zip(&mine) {
                let compact = ssb_legacy_json::parse(text.as_bytes())
                    .expect("JSON")
                    .to_compact_string();
                let head = format!("{{\"key\":\"{id}\",\"value\":{compact},\"timestamp\":");
                assert!(line.starts_with(&head), "{case}:\n{line}\n{head}");
                if kvts {
                    assert_eq!(&line[head.len()..], format!("{i}}}"), "{case}");
                }
            }
            all.push_str(&lines);
            // As received: every value exactly as the vector has it.
            let raw = export(&store, a, &["--as-received"]);
            if kvts {
                let want: Vec<String> = mine.iter().map(|(i, m)| item(*i, m)).collect();
                assert_eq!(raw, format!("[\n{}\n]\n", want.join(",\n")), "{case}");
            } else {
                let mut rest = raw.as_str();
                for (_, (text, _)) in &mine {
                    let at = rest.find(text.as_str()).expect("the value as received");
                    rest = &rest[at + text.len()..];
                }
            }
            let out = ssb(&["verify-feed", "-q"], Some(raw.as_bytes()));
            assert_eq!(out.status.code(), Some(0), "{case}: {}", stdout(&out));
        }
        // What export writes is what verify-feed reads: every author, from sequence 1,
        // whenever JS's form of each value is that value. (`1e400` is Infinity, which
        // JSON.stringify writes as null: a relayed first message then has no numeric
        // timestamp, as it has when a JS peer relays it. The bytes as received, checked
        // above, still validate.)
        let same_value = msgs.iter().all(|(text, _)| {
            let v = ssb_legacy_json::parse(text.as_bytes()).expect("JSON");
            ssb_legacy_json::parse(v.to_compact_string().as_bytes()).ok() == Some(v)
        });
        if same_value {
            let out = ssb(&["verify-feed", "-q"], Some(all.as_bytes()));
            assert_eq!(out.status.code(), Some(0), "{case}: {}", stdout(&out));
        }
        let want: String = authors
            .iter()
            .map(|a| {
                let n = msgs.iter().filter(|(t, _)| author_of(t) == *a).count();
                feed_line(a, n as u64)
            })
            .collect();
        assert_eq!(stdout(&import(&store, &[&file])), want, "{case}");
        msgs.len()
    });
    eprintln!(
        "{} vector feeds, {} messages stored and exported byte for byte",
        checked.len(),
        checked.iter().sum::<usize>()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn importing_again_skips_what_is_stored_and_resumes() {
    let dir = tmp("resume");
    let store = dir.join("store");
    let feed = common::interleaved_feed_compact();
    let half = dir.join("half.jsonl");
    let whole = dir.join("whole.jsonl");
    let twice = dir.join("twice.jsonl");
    let join = |ls: &[String]| ls.iter().map(|l| format!("{l}\n")).collect::<String>();
    common::write(&half, join(&feed[..1000]).as_bytes());
    common::write(&whole, join(&feed).as_bytes());
    // The same messages twice in one file (the second copy refers to a pending chunk).
    common::write(&twice, (join(&feed[..30]) + &join(&feed[..30])).as_bytes());
    let authors = authors_of(&feed);
    let out = import(&store, &[&half]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1000 messages stored, 0 already stored, 5 feeds"),
        "{}",
        stderr(&out)
    );
    let out = import(&store, &[&whole]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1000 messages stored, 1000 already stored"),
        "{}",
        stderr(&out)
    );
    let want: String = authors.iter().map(|a| feed_line(a, 400)).collect();
    assert_eq!(stdout(&out), want);
    let out = import(&store, &[&whole, &half]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("0 messages stored, 3000 already stored"));
    assert_eq!(stdout(&out), want);
    // Each export is that author's messages in order.
    for a in &authors {
        let values: Vec<&String> = feed.iter().filter(|l| author_of(l) == *a).collect();
        let lines = export(&store, a, &[]);
        assert_eq!(lines.lines().count(), 400);
        for (line, v) in lines.lines().zip(values) {
            assert!(
                line.contains(&format!(",\"value\":{v},\"timestamp\":")),
                "{line}"
            );
        }
    }
    // From stdin (`-`), as a JSON array: all stored already.
    let array = format!("[{}]", feed.join(","));
    let out = ssb(
        &["import", "--store", path(&store), "-"],
        Some(array.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("0 messages stored, 2000 already stored"));
    let fresh = dir.join("fresh");
    let out = import(&fresh, &[&twice]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("30 messages stored, 30 already stored"),
        "{}",
        stderr(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_gap_a_fork_or_an_invalid_message_stops_the_import_and_keeps_what_came_before() {
    let dir = tmp("stops");
    let store = dir.join("store");
    let m = make_feed(0x41, 10, None, "main");
    let a = m[0].author().to_string();
    let file = |name: &str, text: String| {
        let p = dir.join(name);
        common::write(&p, text.as_bytes());
        p
    };
    let stopped = |out: &Output, at: &str, what: &str, sequence: u64| {
        assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
        let err = stderr(out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(at) && err.contains(what), "{at} {what}: {err}");
        // The feed's line, unless the item named no author.
        if !what.contains("json") {
            assert_eq!(stdout(out), feed_line(&a, sequence));
        } else {
            assert_eq!(stdout(out), "");
        }
        assert_eq!(export(&store, &a, &[]).lines().count() as u64, sequence);
    };

    // A gap: 1..5 are kept, 7 stops it.
    let gap = file("gap", lines_of(&m[..5]) + &lines_of(&m[6..7]));
    stopped(
        &import(&store, &[&gap]),
        "gap item 5",
        &format!("{a} sequence 7: gap: the store ends at sequence 5"),
        5,
    );
    // A fork at a stored sequence: a valid message 3 that is not the stored one.
    let alt = make_feed(0x41, 4, Some(&m[1]), "fork");
    assert_eq!(alt[0].sequence(), 3);
    let fork = file("fork", lines_of(&alt[..1]));
    let out = import(&store, &[&fork]);
    stopped(
        &out,
        "fork item 0",
        &format!(
            "sequence 3: fork: {} is not the stored {}",
            alt[0].id(),
            m[2].id()
        ),
        5,
    );
    // A fork at the next sequence: message 6 of the other branch.
    assert_eq!(alt[3].sequence(), 6);
    let next_fork = file("next-fork", lines_of(&alt[3..4]));
    stopped(
        &import(&store, &[&next_fork]),
        "next-fork item 0",
        "sequence 6: fork: its previous is not the id of the stored message before it",
        5,
    );
    // Invalid: a changed text (signature), not JSON, a KVT whose key is not the id. The
    // valid messages of the same file before it are kept.
    let forged = lines_of(&m[7..8]).replace("main 7", "main 8");
    let bad = file("bad", lines_of(&m[5..7]) + &forged + &lines_of(&m[8..]));
    stopped(
        &import(&store, &[&bad]),
        "bad item 2",
        "sequence 8: invalid: signature_invalid",
        7,
    );
    let json = file("json", "{\"previous\":\n".to_owned());
    stopped(&import(&store, &[&json]), "json item 0", "invalid: json", 7);
    let kvt = format!(
        "{{\"key\":\"{}\",\"value\":{},\"timestamp\":1}}\n",
        m[6].id(),
        m[7].value().to_compact_string()
    );
    let kvt = file("kvt", kvt);
    stopped(
        &import(&store, &[&kvt]),
        "kvt item 0",
        "invalid: key_mismatch",
        7,
    );
    // A new feed must start at 1.
    let other = make_feed(0x42, 3, None, "other");
    let late = file("late", lines_of(&other[1..]));
    let out = import(&store, &[&late]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("sequence 2: gap: the store has none of this feed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
    // The rest, and the import completes.
    let rest = file("rest", lines_of(&m));
    let out = import(&store, &[&rest]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), feed_line(&a, 10));
    assert_eq!(export(&store, &a, &[]).lines().count(), 10);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn store_and_input_errors_exit_2() {
    let dir = tmp("errors");
    let store = dir.join("store");
    let m = make_feed(0x43, 2, None, "e");
    let a = m[0].author().to_string();
    let feed = dir.join("feed.jsonl");
    common::write(&feed, lines_of(&m).as_bytes());
    let one_line = |out: &Output, what: &str| {
        assert_eq!(out.status.code(), Some(2), "{}", stderr(out));
        let err = stderr(out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(what), "{what}: {err}");
    };
    // No store yet: export says so.
    one_line(
        &ssb(&["export", "--store", path(&store), "--feed", &a], None),
        "no store at",
    );
    one_line(&import(&store, &[&dir.join("missing")]), "cannot read");
    assert_eq!(import(&store, &[&feed]).status.code(), Some(0));
    // A feed the store does not hold: nothing (an empty array as received).
    let none = Keypair::from_seed(&[0x44; 32]).feed_id().to_string();
    assert_eq!(export(&store, &none, &[]), "");
    assert_eq!(export(&store, &none, &["--as-received"]), "[]\n");
    // Another network's store.
    let out = ssb(
        &[
            "import",
            "--store",
            path(&store),
            "--hmac-key",
            &ssb_crypto::base64::encode(&[7u8; 32]),
            path(&feed),
        ],
        None,
    );
    one_line(&out, "the store holds messages of the main network");
    // A store one process writes is not opened by another: `ssb serve --store` writes
    // (what it receives over EBT), so neither an import nor an export runs meanwhile.
    let server = serve_store(&keygen(&dir, 0x45), &store);
    one_line(&import(&store, &[&feed]), "in use by another process");
    one_line(
        &ssb(&["export", "--store", path(&store), "--feed", &a], None),
        "in use by another process",
    );
    drop(server);
    assert_eq!(export(&store, &a, &[]).lines().count(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A secret file of `seed` (a byte, repeated) in `dir`.
fn keygen(dir: &Path, seed: u8) -> PathBuf {
    let secret = dir.join("secret");
    let seed = format!("{seed:02x}").repeat(32);
    let k = ssb(
        &["keygen", "--seed", &seed, "--secret", path(&secret)],
        None,
    );
    assert_eq!(k.status.code(), Some(0));
    secret
}

/// `ssb serve --store`.
fn serve_store(secret: &Path, store: &Path) -> Serve {
    Serve::start(&["--secret", path(secret), "--store", path(store)])
}

/// The authors of a feed's value texts, in order of first appearance.
fn authors_of(values: &[String]) -> Vec<String> {
    let mut authors: Vec<String> = Vec::new();
    for v in values {
        let a = author_of(v);
        if !authors.contains(&a) {
            authors.push(a);
        }
    }
    authors
}

/// The items of a whole `createHistoryStream`, which must end cleanly.
fn history(c: &mut net::Client, opts: serde_json::Value) -> Vec<Body> {
    let soon = Instant::now() + Duration::from_secs(10);
    let id = c
        .open(
            CallType::Source,
            &["createHistoryStream"],
            vec![opts.clone()],
        )
        .expect("open");
    let (items, end) = c.collect(id, 1000, soon).expect("stream");
    assert_eq!(end, Ok(()), "{opts}");
    items
}

#[test]
fn serve_store_streams_exactly_the_stored_feeds() {
    let dir = tmp("serve");
    let store = dir.join("store");
    let feed = common::interleaved_feed_compact();
    let file = dir.join("feed.jsonl");
    common::write(
        &file,
        feed.iter()
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            .as_bytes(),
    );
    assert_eq!(import(&store, &[&file]).status.code(), Some(0));
    let authors = authors_of(&feed);
    // The exports first: the server then holds the store.
    let exports: Vec<Vec<Body>> = authors
        .iter()
        .map(|a| {
            export(&store, a, &[])
                .lines()
                .map(|l| Body::RawJson(l.to_owned()))
                .collect()
        })
        .collect();
    let server = serve_store(&keygen(&dir, 0x46), &store);
    let soon = || Instant::now() + Duration::from_secs(10);
    let addr = net::parse_address(&server.address).expect("address");
    let me = Keypair::from_seed(&[0x47; 32]);
    let mut c =
        net::Client::connect(&addr, &me, &NetworkKey::MAIN_NET, true, soon()).expect("connect");
    // With a store the manifest has EBT.
    let manifest = c
        .call_async(&["manifest"], vec![], soon())
        .expect("manifest")
        .expect("an answer");
    let manifest: serde_json::Value = match manifest {
        Body::Json(v) => v,
        Body::RawJson(t) => serde_json::from_str(&t).expect("manifest JSON"),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        manifest["ebt"],
        serde_json::json!({ "replicate": "duplex" })
    );
    assert_eq!(manifest["createHistoryStream"], "source");
    // Five streams at once (five cursors), then each whole feed: the export's lines.
    let ids: Vec<_> = authors
        .iter()
        .map(|a| {
            c.open(
                CallType::Source,
                &["createHistoryStream"],
                vec![serde_json::json!({ "id": a, "limit": 20 })],
            )
            .expect("open")
        })
        .collect();
    for (want, id) in exports.iter().zip(ids) {
        let (items, end) = c.collect(id, 1000, soon()).expect("stream");
        assert_eq!(end, Ok(()));
        assert_eq!(items, want[..20]);
    }
    for (a, want) in authors.iter().zip(&exports) {
        let items = history(&mut c, serde_json::json!({ "id": a }));
        assert_eq!(items.len(), 400);
        assert_eq!(&items, want, "{a}");
    }
    // Values, keys, seq and limit read from the database as from a file.
    let a = &authors[1];
    let values: Vec<&String> = feed.iter().filter(|l| author_of(l) == *a).collect();
    for (opts, from, count) in [
        (serde_json::json!({ "id": a, "keys": false }), 0, 400),
        (
            serde_json::json!({ "id": a, "keys": false, "seq": 398 }),
            397,
            3,
        ),
        (
            serde_json::json!({ "id": a, "keys": false, "seq": 2.5, "limit": 2 }),
            2,
            2,
        ),
        (
            serde_json::json!({ "id": a, "keys": false, "seq": 401 }),
            400,
            0,
        ),
        (
            serde_json::json!({ "id": a, "keys": false, "limit": 0 }),
            0,
            0,
        ),
    ] {
        let items = history(&mut c, opts.clone());
        let want: Vec<Body> = values
            .iter()
            .skip(from)
            .take(count)
            .map(|v| Body::RawJson((*v).clone()))
            .collect();
        assert_eq!(items, want, "{opts}");
    }
    let items = history(
        &mut c,
        serde_json::json!({ "id": a, "values": false, "limit": 2 }),
    );
    let keys: Vec<Body> = exports[1]
        .iter()
        .take(2)
        .map(|l| match l {
            Body::RawJson(l) => Body::Text(l[8..60].to_owned()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(items, keys);
    c.close(soon()).expect("goodbye");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An import killed with SIGKILL at some point of its run (of its 20 000 messages, in about
/// ten transactions) leaves a prefix of the feed (no gap, no duplicate, no torn message),
/// and the same import run again completes it.
#[test]
fn an_import_killed_mid_way_leaves_a_prefix_and_a_second_import_completes_it() {
    const N: usize = 20_000;
    let dir = tmp("crash");
    let msgs = make_feed(0x48, N, None, "crash test message with some text");
    let a = msgs[0].author().to_string();
    // KVTs with fixed timestamps: the export of the store is then known to the byte.
    let kvts: Vec<String> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| {
            format!(
                "{{\"key\":\"{}\",\"value\":{},\"timestamp\":{}}}",
                m.id(),
                m.value().to_compact_string(),
                1_800_000_000_000u64 + i as u64
            )
        })
        .collect();
    let file = dir.join("feed.jsonl");
    common::write(
        &file,
        kvts.iter()
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            .as_bytes(),
    );
    // How long a whole import takes here.
    let start = Instant::now();
    let reference = dir.join("reference");
    assert_eq!(import(&reference, &[&file]).status.code(), Some(0));
    let whole = start.elapsed();
    let all: Vec<String> = export(&reference, &a, &[])
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(all, kvts);
    eprintln!("a whole import of {N} messages: {whole:?}");

    // Kill times move toward the middle of the run: later after a kill that came before
    // the first commit, earlier after one that came after the last. Stops after 3 kills
    // mid-way (or 8 attempts).
    let (mut mid_way, mut fraction) = (0, 0.5f64);
    for attempt in 0..8 {
        if mid_way == 3 {
            break;
        }
        let store = dir.join(format!("store-{attempt}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_ssb"))
            .args(["import", "--store", path(&store), path(&file)])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("import starts");
        std::thread::sleep(whole.mul_f64(fraction));
        child.kill().expect("SIGKILL"); // Child::kill is SIGKILL on Unix
        let status = child.wait().expect("wait");
        let kept: Vec<String> = if store.join("feeds.redb").is_file() {
            export(&store, &a, &[]).lines().map(str::to_owned).collect()
        } else {
            Vec::new()
        };
        // A prefix: every message whole, in order, none twice, none missing before it.
        assert!(kept.len() <= N);
        assert_eq!(kept, kvts[..kept.len()], "attempt {attempt}");
        eprintln!(
            "attempt {attempt}: killed after {:?} ({status:?}): {} of {N} stored",
            whole.mul_f64(fraction),
            kept.len()
        );
        if status.code().is_some() || kept.len() == N {
            fraction *= 0.5;
        } else if kept.is_empty() {
            fraction = (fraction * 1.5).min(0.95);
        } else {
            mid_way += 1;
            // Elsewhere in the run next time.
            fraction = if fraction > 0.5 {
                fraction - 0.3
            } else {
                fraction + 0.2
            };
        }
        let out = import(&store, &[&file]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!(
                "{} messages stored, {} already stored",
                N - kept.len(),
                kept.len()
            )),
            "{}",
            stderr(&out)
        );
        assert_eq!(stdout(&out), feed_line(&a, N as u64));
        let again: Vec<String> = export(&store, &a, &[]).lines().map(str::to_owned).collect();
        assert_eq!(again, all, "attempt {attempt}");
        let _ = std::fs::remove_dir_all(&store);
    }
    assert!(mid_way > 0, "no attempt killed the import mid-way");
    let _ = std::fs::remove_dir_all(&dir);
}
