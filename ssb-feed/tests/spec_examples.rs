//! The worked messages of the spec digest (§9.3), which were checked against libsodium and
//! node when the digest was written.

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
fn recreating_spec_message_1_is_byte_identical_in_order_a() {
    // The digest's message is in order A (author before sequence); `create` writes order B,
    // so re-creating it must give a different text but the same author and a valid message.
    let keys = Keypair::from_seed(&[1; 32]);
    let content = ssb_legacy_json::parse(br#"{"type":"post","text":"hello"}"#).unwrap();
    let m = create_message(&keys, None, content, 1514517067954.0, &SignCap::None).unwrap();
    assert_eq!(m.author(), keys.feed_id());
    assert!(
        m.to_signing_string()
            .starts_with("{\n  \"previous\": null,\n  \"sequence\": 1,\n  \"author\"")
    );
    let mut v = Validator::new(SignCap::None);
    assert_eq!(
        v.append(m.to_signing_string().as_bytes()).unwrap().id(),
        m.id()
    );
}
