//! The worked messages of the protocol notes (docs/PROTOCOL.md §9.3; the `spec-9.3/*` vectors,
//! which the JS generator checks against libsodium and node).

use ssb_crypto::Keypair;
use ssb_feed::{SignCap, Validator, create_message};

const MSG1: &str = r#"{
  "previous": null,
  "author": "@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.ed25519",
  "sequence": 1,
  "timestamp": 1514517067954,
  "hash": "sha256",
  "content": {
    "type": "post",
    "text": "hello"
  },
  "signature": "5WbjMArOht8EvV87s3mkZ9yLLqA7NVTx+DD6iQ7jCIJ6q6rEZ7y2fi7MyKenImnuY5HCWUug93KHcwQWeuJlCQ==.sig.ed25519"
}"#;

const MSG2: &str = r#"{
  "previous": "%mFeoIDeddAIGwvGNuchZtlNbyVbkc5stlbHtOPfu0d0=.sha256",
  "author": "@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.ed25519",
  "sequence": 2,
  "timestamp": 1514517078157.5,
  "hash": "sha256",
  "content": {
    "2": "two",
    "10": "ten",
    "type": "test",
    "b": [],
    "a": {},
    "x": [
      1,
      {
        "y": null
      }
    ],
    "s": "ß€😀\n\t\"\\\u0001",
    "n": [
      1e+21,
      100000000000000000000,
      1e-7,
      0.000001,
      100,
      1.5,
      12345600
    ]
  },
  "signature": "KVB0VbFMupirNmBqDCXBQK2Nie0nxMBU6mG/mnH8QEAlirLzLBehEYKHazkPObGQeDTU8nAmTqPYrZV8cfOSDg==.sig.ed25519"
}"#;

#[test]
fn spec_messages_validate_with_their_ids() {
    let mut v = Validator::new(SignCap::None);
    let m1 = v.append(MSG1.as_bytes()).unwrap();
    assert_eq!(
        m1.id().to_string(),
        "%mFeoIDeddAIGwvGNuchZtlNbyVbkc5stlbHtOPfu0d0=.sha256"
    );
    let m2 = v.append(MSG2.as_bytes()).unwrap();
    assert_eq!(
        m2.id().to_string(),
        "%Yw3JqwuZ1zcxcbxJyZo7uHvtnZVGyveRoft37ckm8I0=.sha256"
    );
    assert_eq!(m2.to_signing_string(), MSG2);
}

#[test]
fn re_signing_spec_message_1_gives_its_signature_byte_for_byte() {
    // The digest's author is the key of seed 01 x 32 (`ssb-keys.generate('ed25519',
    // Buffer.alloc(32, 1))` gives this id). Signing the message without its `signature`, in
    // its own field order (order A: author before sequence), must give the protocol notes'
    // signature exactly (Ed25519 is deterministic), and the whole text must come back.
    let keys = Keypair::from_seed(&[1; 32]);
    let mut msg = ssb_legacy_json::parse(MSG1.as_bytes()).unwrap();
    let obj = msg.as_object_mut().unwrap();
    assert_eq!(
        obj.get("author").and_then(|a| a.as_str()),
        Some(keys.feed_id().to_string().as_str())
    );
    let spec_sig = obj.remove("signature").unwrap();
    let sig = keys.sign(msg.to_signing_string().as_bytes());
    assert_eq!(spec_sig.as_str(), Some(sig.to_string().as_str()));
    msg.as_object_mut()
        .unwrap()
        .insert("signature", sig.to_string().as_str());
    assert_eq!(msg.to_signing_string(), MSG1);
}

#[test]
fn creating_spec_message_1s_content_gives_what_ssb_validate_create_gives() {
    // `create` writes order B (sequence before author), as JS `ssb-validate.create` does, so
    // re-creating the protocol notes' message 1 gives another text (and signature) than the protocol notes'
    // order-A one. What it must give is JS's: the `create/spec-9.3-message-1` vector, made by
    // ssb-validate.create with the same key, content and timestamp.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-vectors/vectors/feed.json");
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("feed vectors")).expect("JSON");
    let case = file["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == "create/spec-9.3-message-1")
        .expect("the create/spec-9.3-message-1 vector");
    assert_eq!(case["input"]["seed"], "01".repeat(32));
    assert_eq!(case["input"]["timestamp"], 1514517067954u64);
    let js = &case["expect"]["ok"];
    let keys = Keypair::from_seed(&[1; 32]);
    let content = ssb_legacy_json::parse(br#"{"type":"post","text":"hello"}"#).unwrap();
    assert_eq!(
        case["input"]["content_json"].as_str(),
        Some(content.to_compact_string().as_str())
    );
    let m = create_message(&keys, None, content, 1514517067954.0, &SignCap::None).unwrap();
    assert_eq!(js["message"].as_str(), Some(m.to_signing_string().as_str()));
    assert_eq!(js["id"].as_str(), Some(m.id().to_string().as_str()));
    assert_ne!(
        m.to_signing_string(),
        MSG1,
        "order B is not the protocol notes' order A"
    );
    let mut v = Validator::new(SignCap::None);
    assert_eq!(
        v.append(m.to_signing_string().as_bytes()).unwrap().id(),
        m.id()
    );
}
