//! The `ebt` layer: `ssb-replication`'s engine against `epidemic-broadcast-trees` 9.0.4 as
//! `ssb-ebt` 9.1.2 drives it (`js/ebt-oracle.js`; format in `docs/EBT-NOTES.md` §13).
//!
//! One op, `ebt_replay`: a node's event log. Each event is applied to an [`Engine`] the
//! way the oracle applies it to the JS state (the same adapter steps: id filters, "ignored"
//! and error classes), and produces a step. The vectors store each step's outputs and the
//! `changes` that turn the previous JS state dump into this step's; the runner rebuilds the
//! JS dump from those changes and compares it, after every step, with the same dump of the
//! engine's [`Snapshot`], together with every output field.

use serde_json::{Map, Value, json};
use ssb_replication::{
    Append, Config, Engine, EngineError, Incoming, JsSeq, NotesError, PeerClock, Role, Snapshot,
    StoredClock, Transmit, classify,
};

use super::str_field;

/// The oracle's dump of a node before its first event.
fn initial_dump() -> Value {
    json!({"blocks": {}, "clock": {}, "follows": {}, "peers": {},
           "progress": {"current": 0, "start": 0, "target": 0}, "receive": []})
}

/// A JS number as the oracle's `canonical` writes it: integers as integers, `NaN` and the
/// infinities tagged.
fn num(n: f64) -> Value {
    if n.is_nan() {
        json!({"$js": "NaN"})
    } else if n.is_infinite() {
        json!({"$js": if n > 0.0 { "Infinity" } else { "-Infinity" }})
    } else if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        json!(n)
    }
}

fn seq(v: JsSeq) -> Value {
    match v {
        JsSeq::Undefined => json!({"$js": "undefined"}),
        JsSeq::Null => Value::Null,
        JsSeq::Number(n) => num(n),
    }
}

fn object<K: AsRef<str>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v))
            .collect::<Map<_, _>>(),
    )
}

fn msg_ref(author: &str, sequence: f64) -> Value {
    json!({"author": author, "sequence": num(sequence)})
}

/// The oracle's `dump(state)`, from the engine's snapshot.
fn dump(s: &Snapshot) -> Value {
    let peers = s.peers.iter().map(|p| {
        let mut o = Map::new();
        o.insert("blocked".into(), Value::Bool(p.blocked));
        o.insert("client".into(), Value::Bool(p.client));
        o.insert(
            "clock".into(),
            p.clock.as_ref().map_or(Value::Null, |c| {
                object(c.iter().map(|(k, v)| (k.as_ref(), seq(*v))))
            }),
        );
        o.insert(
            "msgs".into(),
            Value::Array(p.msgs.iter().map(|(a, n)| msg_ref(a, *n)).collect()),
        );
        o.insert(
            "notes".into(),
            p.notes.as_ref().map_or(Value::Null, |n| {
                object(n.iter().map(|(k, v)| (k.as_ref(), Value::from(*v))))
            }),
        );
        o.insert(
            "replicating".into(),
            p.replicating.as_ref().map_or(Value::Null, |r| {
                object(r.iter().map(|(k, rep)| {
                    (
                        k.as_ref(),
                        json!({"requested": seq(rep.requested), "rx": rep.rx,
                               "sent": seq(rep.sent), "tx": rep.tx}),
                    )
                }))
            }),
        );
        o.insert(
            "retrive".into(),
            Value::Array(p.retrive.iter().map(|f| Value::from(f.as_ref())).collect()),
        );
        if let Some(ts) = p.ts {
            o.insert("ts".into(), Value::from(ts));
        }
        (p.id.as_ref(), Value::Object(o))
    });
    json!({
        "blocks": object(s.blocks.iter().map(|(from, tos)| {
            (from.as_ref(), object(tos.iter().map(|t| (t.as_ref(), Value::Bool(true)))))
        })),
        "clock": object(s.clock.iter().map(|(k, v)| (k.as_ref(), num(*v)))),
        "follows": object(s.follows.iter().map(|(k, v)| (k.as_ref(), Value::Bool(*v)))),
        "peers": object(peers),
        "progress": {"current": num(s.progress.current), "start": num(s.progress.start),
                     "target": num(s.progress.target)},
        "receive": s.receive.iter().map(|(peer, author, n, ts)| {
            json!({"msg": msg_ref(author, *n as f64), "peer": peer.as_ref(), "ts": ts})
        }).collect::<Vec<_>>(),
    })
}

fn persist(stored: &StoredClock) -> Value {
    json!({
        "peer": stored.peer.as_ref(),
        "clock": stored.clock.as_ref().map_or(Value::Null, |c| {
            object(c.iter().map(|(k, v)| (k, seq(v))))
        }),
    })
}

/// The oracle's `patch`: applies `[path]` (delete) and `[path, value]` (set) changes.
fn patch(dump: &mut Value, changes: &Value) -> Result<(), String> {
    let changes = changes.as_array().ok_or("`changes` is not an array")?;
    for change in changes {
        let parts = change.as_array().ok_or("a change is not an array")?;
        let path = parts
            .first()
            .and_then(Value::as_array)
            .ok_or("a change has no path")?;
        let keys: Vec<&str> = path
            .iter()
            .map(|k| k.as_str().ok_or("a path key is not a string"))
            .collect::<Result<_, _>>()?;
        let (last, parents) = keys.split_last().ok_or("an empty change path")?;
        let mut at = &mut *dump;
        for k in parents {
            at = at
                .get_mut(*k)
                .ok_or_else(|| format!("change path {path:?} leaves the dump"))?;
        }
        let obj = at
            .as_object_mut()
            .ok_or_else(|| format!("change path {path:?} does not end in an object"))?;
        match parts.get(1) {
            Some(v) => {
                obj.insert((*last).to_owned(), v.clone());
            }
            None => {
                obj.remove(*last);
            }
        }
    }
    Ok(())
}

/// The first place where `want` and `got` differ, as a path and both values.
fn first_difference(want: &Value, got: &Value, at: &str) -> Option<String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) if !w.contains_key("$js") => {
            let mut keys: Vec<&String> = w.keys().chain(g.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| match (w.get(k), g.get(k)) {
                (Some(a), Some(b)) => first_difference(a, b, &format!("{at}.{k}")),
                (a, b) => Some(format!(
                    "{at}.{k}: JS {}, ours {}",
                    a.map_or("absent".into(), Value::to_string),
                    b.map_or("absent".into(), Value::to_string)
                )),
            })
        }
        _ if want == got => None,
        _ => Some(format!("{at}: JS {want}, ours {got}")),
    }
}

fn field<'a>(ev: &'a Value, name: &str) -> Result<&'a Value, String> {
    ev.get(name)
        .ok_or_else(|| format!("event has no field `{name}`"))
}

fn u64_field(ev: &Value, name: &str) -> Result<u64, String> {
    field(ev, name)?
        .as_u64()
        .ok_or_else(|| format!("event field `{name}` is not a non-negative integer"))
}

/// A message's author and sequence, as `events.js` reads them (`msg.author`,
/// `msg.sequence`); `None` author when it is not a string.
fn author_seq(msg: &Value) -> Result<(Option<&str>, u64), String> {
    let seq = msg
        .get("sequence")
        .and_then(Value::as_u64)
        .ok_or("a message's sequence is not a non-negative integer")?;
    Ok((msg.get("author").and_then(Value::as_str), seq))
}

fn error_class(e: &EngineError) -> &'static str {
    match e {
        EngineError::MessageBeforeNotes(_) => "type_error",
        other => other.code(),
    }
}

/// One event, applied as the oracle applies it; returns the step's output fields (without
/// `t` and `changes`).
fn apply(ebt: &mut Engine<Value>, ev: &Value) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    let t = str_field(ev, "t")?;
    match t {
        "clock" => {
            let clock = field(ev, "clock")?
                .as_object()
                .ok_or("`clock` is not an object")?;
            let entries = clock
                .iter()
                .map(|(k, v)| {
                    v.as_u64()
                        .map(|n| (k.as_str(), n))
                        .ok_or_else(|| format!("clock value {v} is not a sequence"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            ebt.set_local_clock(entries);
        }
        "follow" => {
            let feed = str_field(ev, "feed")?;
            let value = ev.get("value") != Some(&Value::Bool(false));
            if !ebt.follow(feed, value) {
                out.insert("ignored".into(), Value::Bool(true));
            }
        }
        "block" => {
            let value = field(ev, "value")?
                .as_bool()
                .ok_or("`value` is not a bool")?;
            if !ebt.block(str_field(ev, "from")?, str_field(ev, "to")?, value) {
                out.insert("ignored".into(), Value::Bool(true));
            }
        }
        "connect" => {
            let peer = str_field(ev, "peer")?;
            let role = match field(ev, "client")?.as_bool() {
                Some(true) => Role::Client,
                Some(false) => Role::Server,
                None => return Err("`client` is not a bool".into()),
            };
            if let Some(stored) = ebt.connect(peer, role) {
                out.insert("persist".into(), persist(&stored));
                out.insert("replaced".into(), Value::Bool(true));
            }
        }
        "peer_clock" => {
            let peer = str_field(ev, "peer")?;
            let clock = PeerClock::from_json(field(ev, "clock")?);
            if ebt.load_peer_clock(peer, &clock).is_err() {
                out.insert("ignored".into(), Value::Bool(true));
            }
        }
        "disconnect" => match ebt.disconnect(str_field(ev, "peer")?) {
            Some(stored) => {
                out.insert("persist".into(), persist(&stored));
            }
            None => {
                out.insert("ignored".into(), Value::Bool(true));
            }
        },
        "recv" => {
            let peer = str_field(ev, "peer")?;
            let data = field(ev, "data")?;
            let ts = u64_field(ev, "ts")?;
            if !ebt.is_connected(peer) {
                out.insert("error".into(), "not_connected".into());
                return Ok(out);
            }
            // The muxrpc layer hands JSON text over; parse it as JS does.
            let value = ssb_replication::ssb_legacy_json::parse(data.to_string().as_bytes())
                .map_err(|e| format!("recv data: {e}"))?;
            let result = match classify(&value) {
                Ok(Incoming::Message { author, sequence }) => {
                    out.insert("kind".into(), "msg".into());
                    ebt.handle_message(peer, author, sequence, data.clone(), ts)
                        .map(drop)
                }
                Ok(Incoming::OutOfRange { .. }) => {
                    out.insert("kind".into(), "msg".into());
                    Ok(())
                }
                Ok(Incoming::Notes(notes)) => {
                    out.insert("kind".into(), "notes".into());
                    ebt.handle_notes(peer, &notes, ts)
                }
                Err(NotesError::Null) => {
                    out.insert("kind".into(), "notes".into());
                    out.insert("error".into(), "type_error".into());
                    return Ok(out);
                }
                Err(e) => return Err(format!("recv data: {e}")),
                Ok(_) => return Err("recv data: unknown classification".into()),
            };
            if let Err(e) = result {
                out.insert("error".into(), error_class(&e).into());
            }
        }
        "append" => {
            let msg = field(ev, "msg")?;
            let (author, seq) = author_seq(msg)?;
            let done = author.map(|a| ebt.on_append(a, seq, msg.clone()));
            if matches!(done, None | Some(Append::NotAFeed)) {
                out.insert("ignored".into(), Value::Bool(true));
            }
        }
        "retrieved" => {
            let msg = field(ev, "msg")?;
            if msg.is_null() {
                out.insert("ignored".into(), Value::Bool(true));
            } else {
                let (author, seq) = author_seq(msg)?;
                let author = author.ok_or("a read message has no string author")?;
                ebt.on_read(author, seq, msg.clone());
            }
        }
        "timeout" => ebt.tick(u64_field(ev, "ts")?),
        "get" => {
            let mut reads = Vec::new();
            while let Some(r) = ebt.poll_read() {
                reads.push(json!({"peer": r.peer.as_ref(), "feed": r.feed.as_ref(),
                                  "seq": num(r.sequence)}));
            }
            out.insert("get".into(), Value::Array(reads));
        }
        "validate" => {
            let v = ebt.poll_validate().map_or(
                Value::Null,
                |v| json!({"peer": v.peer.as_ref(), "msg": v.msg}),
            );
            out.insert("validate".into(), v);
        }
        "send" => {
            let peer = str_field(ev, "peer")?;
            let mut sent = Vec::new();
            if !ebt.is_connected(peer) {
                out.insert("sent".into(), Value::Array(sent));
                out.insert("ignored".into(), Value::Bool(true));
                return Ok(out);
            }
            while let Some(x) = ebt.poll_transmit(peer) {
                match x {
                    Transmit::Message(m) => sent.push(json!({"msg": m})),
                    Transmit::Notes(n) => sent.push(json!({"notes": n.to_json()})),
                    Transmit::End(stored) => {
                        out.insert("ended".into(), Value::Bool(true));
                        out.insert("persist".into(), persist(&stored));
                        break;
                    }
                }
            }
            out.insert("sent".into(), Value::Array(sent));
        }
        other => return Err(format!("unknown event type `{other}`")),
    }
    Ok(out)
}

/// Replays one `ebt_replay` case and compares every step: its outputs, and the engine's
/// state dump with the JS dump rebuilt from the step's `changes`.
pub(crate) fn check(op: &str, input: &Value, expect: &Value) -> Result<(), String> {
    if op != "ebt_replay" {
        return Err(format!("unsupported op `{op}`"));
    }
    let id = str_field(input, "id")?;
    let timeout_ms = input
        .get("timeout")
        .map_or(Some(ssb_replication::DEFAULT_TIMEOUT_MS), Value::as_u64)
        .ok_or("`timeout` is not an integer")?;
    let events = input
        .get("events")
        .and_then(Value::as_array)
        .ok_or("input has no array `events`")?;
    let steps = expect
        .get("ok")
        .and_then(|o| o.get("steps"))
        .and_then(Value::as_array)
        .ok_or("expect has no `ok.steps` array")?;
    if steps.len() != events.len() {
        return Err(format!(
            "{} events but {} expected steps",
            events.len(),
            steps.len()
        ));
    }
    let mut ebt: Engine<Value> = Engine::new(
        id,
        Config {
            timeout_ms,
            ..Config::default()
        },
    );
    let mut js = initial_dump();
    for (i, (ev, want)) in events.iter().zip(steps).enumerate() {
        let t = str_field(ev, "t")?;
        let mut got = apply(&mut ebt, ev).map_err(|e| format!("step {i} ({t}): {e}"))?;
        got.insert("t".into(), Value::from(t));
        let mut want_fields = want.as_object().ok_or("a step is not an object")?.clone();
        let changes = want_fields
            .remove("changes")
            .ok_or_else(|| format!("step {i} has no `changes`"))?;
        if let Some(d) = first_difference(&Value::Object(want_fields), &Value::Object(got), "") {
            return Err(format!("step {i} ({t}) output{d}"));
        }
        patch(&mut js, &changes).map_err(|e| format!("step {i} ({t}): {e}"))?;
        let ours = dump(&ebt.snapshot());
        if let Some(d) = first_difference(&js, &ours, "") {
            return Err(format!("step {i} ({t}) state{d}"));
        }
    }
    Ok(())
}
