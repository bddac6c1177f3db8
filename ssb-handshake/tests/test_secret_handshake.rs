//! Replays `test-secret-handshake`'s `data.json` (npm `test-secret-handshake@1.0.2`, MIT): 159
//! recorded calls into the reference `secret-handshake/crypto.js`. Every record is re-run
//! through our state machines and every byte it shows is matched: hellos, msg3, msg4, which
//! calls refused their input, the derived box keys and nonces, and (where the record shows JS's
//! intermediate secrets) that our messages open under JS's keys to JS's plaintexts.
//!
//! The file is not vendored: `test-vectors/external/shs1.sh` installs it into an ignored
//! directory. The test reads `$SSB_TEST_SECRET_HANDSHAKE_DATA` or that install location; if the
//! file is missing the test fails and says how to install it, unless `SSB_SKIP_EXTERNAL=1`
//! asks to skip the external suites (then it says that it skipped).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::Value;
use ssb_crypto::{CurveSecretKey, Keypair, NetworkKey, PublicKey, hash, secretbox};
use ssb_handshake::{Event, Handshake, HandshakeOutcome, MAX_MESSAGE_LEN};

fn data_path() -> PathBuf {
    match std::env::var_os("SSB_TEST_SECRET_HANDSHAKE_DATA") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../test-vectors/external/.npm/node_modules/test-secret-handshake/data.json"),
    }
}

fn unhex(v: &Value) -> Vec<u8> {
    let s = v.as_str().expect("hex string");
    ssb_crypto::hex::decode_vec(s).expect("hex")
}

fn arr<const N: usize>(v: &Value) -> [u8; N] {
    unhex(v).try_into().expect("length")
}

/// The parts of a crypto.js state object a replay needs.
struct St<'a>(&'a Value);

impl St<'_> {
    fn get(&self, path: &str) -> &Value {
        let mut v = self.0;
        for p in path.split('.') {
            v = &v[p];
        }
        assert!(!v.is_null(), "state has no {path}");
        v
    }
    fn net(&self) -> NetworkKey {
        NetworkKey(arr(self.get("app_key")))
    }
    fn keypair(&self) -> Keypair {
        Keypair::from_libsodium_secret(&arr(self.get("local.secretKey"))).unwrap()
    }
    fn eph(&self) -> CurveSecretKey {
        CurveSecretKey::from_bytes(arr(self.get("local.kx_sk")))
    }
    fn kx_pk(&self) -> [u8; 32] {
        arr(self.get("local.kx_pk"))
    }
    /// The peer's hello as it was received: `remote.app_mac || remote.kx_pk`.
    fn remote_hello(&self) -> Vec<u8> {
        let mut m = unhex(self.get("remote.app_mac"));
        m.extend(unhex(self.get("remote.kx_pk")));
        m
    }
    fn client(&self) -> Handshake {
        let server = PublicKey(arr(self.get("remote.publicKey")));
        Handshake::client(self.net(), &self.keypair(), server, self.eph())
    }
    fn server(&self) -> Handshake {
        Handshake::server(self.net(), &self.keypair(), self.eph())
    }
}

fn take(h: &mut Handshake) -> Vec<u8> {
    let mut buf = [0u8; MAX_MESSAGE_LEN];
    let n = h
        .poll_transmit(&mut buf)
        .unwrap()
        .expect("a message is queued");
    buf[..n].to_vec()
}

fn feed(h: &mut Handshake, msg: &[u8]) -> bool {
    match h.handle_input(msg) {
        Ok(n) => {
            assert_eq!(n, msg.len());
            true
        }
        Err(e) => {
            assert!(e.is_remote(), "{e}");
            false
        }
    }
}

#[test]
fn replay_test_secret_handshake_data_json() {
    let path = data_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            let msg = format!(
                "test-secret-handshake: {}: {e}\ninstall it with test-vectors/external/shs1.sh \
                 (./test.sh does), or point SSB_TEST_SECRET_HANDSHAKE_DATA at its data.json",
                path.display()
            );
            assert!(
                std::env::var("SSB_SKIP_EXTERNAL").is_ok_and(|v| v == "1"),
                "{msg}\n(set SSB_SKIP_EXTERNAL=1 to skip the external suites explicitly)"
            );
            eprintln!("SKIPPED (SSB_SKIP_EXTERNAL=1): {msg}");
            return;
        }
    };
    let records: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(
        records.len(),
        159,
        "the data.json of test-secret-handshake@1.0.2"
    );
    // Outcomes of completed handshakes, by the local ephemeral key, for the `clean` records.
    let mut outcomes: HashMap<[u8; 32], HandshakeOutcome> = HashMap::new();
    let mut replayed: HashMap<String, usize> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        let name = r["name"].as_str().unwrap();
        let args = r["args"].as_array().unwrap();
        let result = &r["result"];
        let ctx = format!("record {i} ({name})");
        match name {
            "initialize" => {
                let st = St(result);
                let eph = Keypair::from_seed(&arr(&args[0]["random"])).to_curve_secret();
                assert_eq!(*eph.to_bytes(), arr(st.get("local.kx_sk")), "{ctx}");
                assert_eq!(eph.public_key().0, st.kx_pk(), "{ctx}");
                assert_eq!(
                    st.keypair().public().0,
                    arr(st.get("local.publicKey")),
                    "{ctx}"
                );
                // Our hello starts with JS's app_mac.
                let server = PublicKey([0; 32]);
                let mut h = Handshake::client(st.net(), &st.keypair(), server, eph);
                let msg1 = take(&mut h);
                assert_eq!(msg1[..32], unhex(st.get("local.app_mac")), "{ctx}");
            }
            "createChallenge" => {
                let st = St(&args[0]);
                // Either role's hello; a client queues it at once.
                let server = PublicKey([0; 32]);
                let mut c = Handshake::client(st.net(), &st.keypair(), server, st.eph());
                let hello = take(&mut c);
                assert_eq!(hello, unhex(result), "{ctx}");
            }
            "verifyChallenge" => {
                let st = St(&args[0]);
                let mut h = st.server();
                let ok = feed(&mut h, &unhex(&args[1]));
                assert_eq!(ok, !result.is_null(), "{ctx}");
                if ok {
                    let msg2 = take(&mut h);
                    assert_eq!(msg2[32..], st.kx_pk(), "{ctx}");
                    // JS's ab and H(ab), from the same keys.
                    let res = St(result);
                    let challenge = unhex(&args[1]);
                    let peer: [u8; 32] = challenge[32..64].try_into().unwrap();
                    let ab = st
                        .eph()
                        .diffie_hellman(&ssb_crypto::CurvePublicKey(peer))
                        .unwrap();
                    assert_eq!(ab.as_bytes()[..], unhex(res.get("secret")), "{ctx}");
                    assert_eq!(
                        hash::sha256(ab.as_bytes())[..],
                        unhex(res.get("shash")),
                        "{ctx}"
                    );
                }
            }
            "clientVerifyChallenge" => {
                let st = St(&args[0]);
                let mut h = st.client();
                let _msg1 = take(&mut h);
                let ok = feed(&mut h, &unhex(&args[1]));
                assert_eq!(ok, !result.is_null(), "{ctx}");
                if ok {
                    // Our msg3 opens under JS's key3 (secret2) to JS's sig_A || A_pk.
                    let res = St(result);
                    let msg3 = take(&mut h);
                    let plain = secretbox::open(&arr(res.get("secret2")), &[0; 24], &msg3).unwrap();
                    assert_eq!(plain, unhex(res.get("local.hello")), "{ctx}");
                }
            }
            "clientCreateAuth" => {
                let st = St(&args[0]);
                let mut h = st.client();
                let _msg1 = take(&mut h);
                assert!(feed(&mut h, &st.remote_hello()), "{ctx}");
                assert_eq!(take(&mut h), unhex(result), "{ctx}");
            }
            "serverVerifyAuth" => {
                let st = St(&args[0]);
                let mut h = st.server();
                assert!(feed(&mut h, &st.remote_hello()), "{ctx}");
                let _msg2 = take(&mut h);
                let ok = feed(&mut h, &unhex(&args[1]));
                assert_eq!(ok, !result.is_null(), "{ctx}");
                if ok {
                    let pk = PublicKey(arr(St(result).get("remote.publicKey")));
                    assert_eq!(
                        h.poll_event(),
                        Some(Event::ClientAuthenticated(pk)),
                        "{ctx}"
                    );
                } else {
                    assert_eq!(h.poll_event(), None, "{ctx}");
                }
            }
            "serverCreateAccept" => {
                let st = St(&args[0]);
                let mut h = st.server();
                assert!(feed(&mut h, &st.remote_hello()), "{ctx}");
                let _msg2 = take(&mut h);
                // msg3 as the client sent it: JS's hello boxed under JS's key3.
                let msg3 = secretbox::seal(
                    &arr(st.get("secret2")),
                    &[0; 24],
                    &unhex(st.get("remote.hello")),
                );
                assert!(feed(&mut h, &msg3), "{ctx}");
                assert!(h.poll_event().is_some(), "{ctx}");
                h.accept().unwrap();
                assert_eq!(take(&mut h), unhex(result), "{ctx}");
                outcomes.insert(st.kx_pk(), h.into_outcome().unwrap());
            }
            "clientVerifyAccept" => {
                let st = St(&args[0]);
                let mut h = st.client();
                let _msg1 = take(&mut h);
                assert!(feed(&mut h, &st.remote_hello()), "{ctx}");
                let _msg3 = take(&mut h);
                let ok = feed(&mut h, &unhex(&args[1]));
                assert_eq!(ok, !result.is_null(), "{ctx}");
                if ok {
                    outcomes.insert(st.kx_pk(), h.into_outcome().unwrap());
                }
            }
            "clean" => {
                let res = St(result);
                let o = outcomes
                    .get(&res.kx_pk())
                    .unwrap_or_else(|| panic!("{ctx}: no completed handshake for this key"));
                assert_eq!(o.send.key[..], unhex(res.get("encryptKey")), "{ctx}");
                assert_eq!(o.recv.key[..], unhex(res.get("decryptKey")), "{ctx}");
                assert_eq!(
                    o.send.nonce[..],
                    unhex(res.get("remote.app_mac"))[..24],
                    "{ctx}"
                );
                assert_eq!(
                    o.recv.nonce[..],
                    unhex(res.get("local.app_mac"))[..24],
                    "{ctx}"
                );
                assert_eq!(o.peer.0[..], unhex(res.get("remote.publicKey")), "{ctx}");
            }
            "toKeys" => {
                if args[0].is_string() {
                    let kp = Keypair::from_seed(&arr(&args[0]));
                    assert_eq!(kp.public().0, arr(&result["publicKey"]), "{ctx}");
                    assert_eq!(
                        kp.to_libsodium_secret()[..],
                        unhex(&result["secretKey"]),
                        "{ctx}"
                    );
                } else {
                    assert_eq!(args[0], *result, "{ctx}: key objects pass through");
                }
            }
            other => panic!("{ctx}: unknown record `{other}`"),
        }
        *replayed.entry(name.to_owned()).or_default() += 1;
    }
    let total: usize = replayed.values().sum();
    assert_eq!(total, 159);
    eprintln!("replayed all {total} records: {replayed:?}");
}
