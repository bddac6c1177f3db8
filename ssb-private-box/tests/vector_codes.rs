//! Finer than the conformance runner (which checks outcomes, and only that an error case
//! fails): every error class in the JS-generated `private-box.json` is the `code()` of the
//! error we return, and every `malformed` reader verdict is the error JS's facts imply: a
//! slot opened (JS found a msg key) → a body error; none did → a header error.

use serde_json::Value;
use ssb_crypto::{CurvePublicKey, CurveSecretKey, FeedId};
use ssb_private_box::{
    BoxSecrets, MaxRecipients, OpenError, UnboxError, box_content, open_key_with_max,
    open_with_max, seal,
};

fn unhex(s: &str) -> Vec<u8> {
    ssb_crypto::hex::decode_vec(s).expect("hex")
}

fn arr<const N: usize>(v: &Value) -> [u8; N] {
    unhex(v.as_str().expect("a hex string"))
        .try_into()
        .expect("the right length")
}

fn secrets(input: &Value) -> BoxSecrets {
    BoxSecrets::new(
        CurveSecretKey::from_bytes(arr(&input["onetime"])),
        arr(&input["key"]),
        arr(&input["nonce"]),
    )
}

fn max(input: &Value) -> Option<MaxRecipients> {
    match input.get("max") {
        None => Some(MaxRecipients::DEFAULT),
        Some(m) => u8::try_from(m.as_u64().expect("a number"))
            .ok()
            .and_then(MaxRecipients::new),
    }
}

#[test]
fn error_classes_are_our_codes() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../test-vectors/vectors/private-box.json"
    );
    let file: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let (mut errors, mut malformed) = (0, 0);
    for case in file["cases"].as_array().unwrap() {
        let (id, input, expect) = (&case["id"], &case["input"], &case["expect"]);
        match (case["op"].as_str().unwrap(), expect.get("error")) {
            ("seal", Some(class)) => {
                errors += 1;
                let recipients: Vec<_> = input["recipients"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| CurvePublicKey(arr(r)))
                    .collect();
                let Some(max) = max(input) else {
                    assert_eq!(class, "invalid_max", "{id}");
                    continue;
                };
                let plaintext = unhex(input["plaintext"].as_str().unwrap());
                let e = seal(&plaintext, &recipients, max, &secrets(input)).unwrap_err();
                assert_eq!(e.code(), class, "{id}");
            }
            ("box_content", Some(class)) => {
                errors += 1;
                let content =
                    ssb_legacy_json::parse(input["content_json"].as_str().unwrap().as_bytes())
                        .unwrap();
                let ids: Vec<FeedId> = input["recipients"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().parse().unwrap())
                    .collect();
                let e = box_content(&content, &ids, &secrets(input)).unwrap_err();
                assert_eq!(e.code(), class, "{id}");
            }
            ("open", None) => {
                let boxed = unhex(input["box"].as_str().unwrap());
                let max = max(input).unwrap();
                let results = expect["ok"]["results"].as_array().unwrap();
                for (sk, r) in input["secrets"].as_array().unwrap().iter().zip(results) {
                    if r["verdict"] != "malformed" {
                        continue;
                    }
                    malformed += 1;
                    let sk = CurveSecretKey::from_bytes(arr(sk));
                    let e = open_with_max(&boxed, &sk, max).unwrap_err();
                    if r["msg_key"].is_null() {
                        assert!(
                            matches!(
                                e,
                                OpenError::TooShort { .. } | OpenError::LowOrderOneTimeKey
                            ),
                            "{id}: {e:?}"
                        );
                    } else {
                        assert!(open_key_with_max(&boxed, &sk, max).unwrap().is_some());
                        assert!(
                            matches!(
                                e,
                                OpenError::CountPastEnd { .. } | OpenError::BodyUnauthentic
                            ),
                            "{id}: {e:?}"
                        );
                    }
                }
            }
            ("seal" | "box_content" | "unbox_content" | "feed_unbox" | "open", _) => {}
            (op, _) => panic!("{id}: unknown op {op}"),
        }
    }
    assert!(errors >= 15, "{errors} error cases");
    assert!(malformed >= 300, "{malformed} malformed readers");
    // Guard the mapping itself: the unbox errors keep the box's code.
    assert_eq!(
        UnboxError::Open(OpenError::BodyUnauthentic).code(),
        "body_unauthentic"
    );
}
