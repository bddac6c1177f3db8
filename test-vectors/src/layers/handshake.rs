//! The `handshake` layer: ssb-handshake's client and server against transcripts that
//! `secret-handshake/crypto.js` produced, every byte and the failing step included.

use serde_json::{Map, Value, json};
use ssb_crypto::{CurveSecretKey, Keypair, NetworkKey, PublicKey};
use ssb_handshake::{Event, Handshake, HandshakeError, HandshakeOutcome, MAX_MESSAGE_LEN};

use super::{hex, hex_array, hex_field};
use crate::Outcome;

pub(crate) fn run(op: &str, input: &Value) -> Result<Outcome, String> {
    match op {
        "handshake" => transcript(input),
        _ => Err(format!("unknown op `{op}`")),
    }
}

/// The in-transit fault of a case: message `msg` (1..=4) replaced or one byte xored.
struct Fault {
    msg: u64,
    replace: Option<Vec<u8>>,
    offset: usize,
    xor: u8,
}

impl Fault {
    fn parse(input: &Value) -> Result<Option<Self>, String> {
        let Some(f) = input.get("fault") else {
            return Ok(None);
        };
        let num = |name: &str| f.get(name).and_then(Value::as_u64);
        Ok(Some(Self {
            msg: num("msg").ok_or("fault has no `msg`")?,
            replace: match f.get("replace") {
                Some(_) => Some(hex_field(f, "replace")?),
                None => None,
            },
            offset: usize::try_from(num("offset").unwrap_or(0)).map_err(|e| e.to_string())?,
            xor: u8::try_from(num("xor").unwrap_or(0)).map_err(|e| e.to_string())?,
        }))
    }

    fn apply(fault: &Option<Self>, n: u64, msg: &[u8]) -> Vec<u8> {
        match fault {
            Some(f) if f.msg == n => match &f.replace {
                Some(r) => r.clone(),
                None => {
                    let mut m = msg.to_vec();
                    if let Some(b) = m.get_mut(f.offset) {
                        *b ^= f.xor;
                    }
                    m
                }
            },
            _ => msg.to_vec(),
        }
    }
}

/// Everything `h` has queued.
fn take(h: &mut Handshake) -> Result<Vec<u8>, HandshakeError> {
    let mut out = Vec::new();
    let mut buf = [0u8; MAX_MESSAGE_LEN];
    while let Some(n) = h.poll_transmit(&mut buf)? {
        out.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
    Ok(out)
}

/// Delivers `msg` to `h`; on failure checks the machine went silent and returns the step.
fn deliver(h: &mut Handshake, msg: &[u8]) -> Result<Option<&'static str>, String> {
    match h.handle_input(msg) {
        Ok(n) if n == msg.len() => Ok(None),
        Ok(n) => Err(format!("consumed {n} of a {}-byte message", msg.len())),
        Err(e) => {
            if take(h).is_ok() {
                return Err(format!("failed with {e} but would still transmit"));
            }
            Ok(Some(e.step().map_or("local", |s| s.code())))
        }
    }
}

pub(crate) fn outcome_json(o: &HandshakeOutcome) -> Value {
    json!({
        "peer": hex(o.peer.as_bytes()),
        "send_key": hex(&o.send.key),
        "send_nonce": hex(&o.send.nonce),
        "recv_key": hex(&o.recv.key),
        "recv_nonce": hex(&o.recv.nonce),
    })
}

fn transcript(input: &Value) -> Result<Outcome, String> {
    let net_key = NetworkKey(hex_array(input, "net_key")?);
    let client_net_key = match input.get("client_net_key") {
        Some(_) => NetworkKey(hex_array(input, "client_net_key")?),
        None => net_key.clone(),
    };
    let client_kp = Keypair::from_seed(&hex_array(input, "client_seed")?);
    let server_kp = Keypair::from_seed(&hex_array(input, "server_seed")?);
    let dialled = match input.get("server_pk") {
        Some(_) => PublicKey(hex_array(input, "server_pk")?),
        None => server_kp.public(),
    };
    let fault = Fault::parse(input)?;
    let mut client = Handshake::client(
        client_net_key,
        &client_kp,
        dialled,
        CurveSecretKey::from_bytes(hex_array(input, "client_ephemeral")?),
    );
    let mut server = Handshake::server(
        net_key,
        &server_kp,
        CurveSecretKey::from_bytes(hex_array(input, "server_ephemeral")?),
    );

    let mut out = Map::new();
    for k in ["msg1", "msg2", "msg3", "msg4", "fails", "client", "server"] {
        out.insert(k.to_owned(), Value::Null);
    }
    let e = |e: HandshakeError| format!("unexpected local error: {e}");
    let finish = |mut out: Map<String, Value>, fails: &str| {
        out.insert("fails".into(), json!(fails));
        Ok(Outcome::Ok(out))
    };

    if !take(&mut server).map_err(e)?.is_empty() {
        return Err("the server spoke first".into());
    }
    let msg1 = take(&mut client).map_err(e)?;
    out.insert("msg1".into(), json!(hex(&msg1)));
    if let Some(step) = deliver(&mut server, &Fault::apply(&fault, 1, &msg1))? {
        return finish(out, step);
    }
    let msg2 = take(&mut server).map_err(e)?;
    out.insert("msg2".into(), json!(hex(&msg2)));
    if let Some(step) = deliver(&mut client, &Fault::apply(&fault, 2, &msg2))? {
        return finish(out, step);
    }
    let msg3 = take(&mut client).map_err(e)?;
    out.insert("msg3".into(), json!(hex(&msg3)));
    if let Some(step) = deliver(&mut server, &Fault::apply(&fault, 3, &msg3))? {
        return finish(out, step);
    }
    match server.poll_event() {
        Some(Event::ClientAuthenticated(pk)) if server.pending_authorization() == Some(pk) => {}
        other => return Err(format!("expected ClientAuthenticated, got {other:?}")),
    }
    server.accept().map_err(e)?;
    let msg4 = take(&mut server).map_err(e)?;
    out.insert("msg4".into(), json!(hex(&msg4)));
    out.insert(
        "server".into(),
        outcome_json(&server.into_outcome().map_err(e)?),
    );
    if let Some(step) = deliver(&mut client, &Fault::apply(&fault, 4, &msg4))? {
        return finish(out, step);
    }
    out.insert(
        "client".into(),
        outcome_json(&client.into_outcome().map_err(e)?),
    );
    Ok(Outcome::Ok(out))
}
