//! The `crypto` layer: ssb-crypto against ssb-keys, ssb-ref, libsodium and multiserver-address.

use serde_json::{Value, json};
use ssb_crypto::{
    BlobId, FeedId, Keypair, MsgId, Multiaddress, NetworkKey, PublicKey, Signature, hash,
    parse_secret_file, secretbox, write_secret_file,
};

use super::{hex, hex_array, hex_field, ok, str_field};
use crate::Outcome;

/// Parses a sigil id and reports its bytes and canonical text.
fn sigil<T>(input: &Value) -> Result<Outcome, String>
where
    T: core::str::FromStr + core::fmt::Display,
    T::Err: core::fmt::Display,
    T: SigilBytes,
{
    Ok(match str_field(input, "text")?.parse::<T>() {
        Ok(id) => ok([
            ("bytes", json!(hex(&id.bytes()))),
            ("canonical", json!(id.to_string())),
        ]),
        Err(e) => err(e),
    })
}

/// The 32 bytes behind a sigil id.
trait SigilBytes {
    fn bytes(&self) -> [u8; 32];
}
impl SigilBytes for FeedId {
    fn bytes(&self) -> [u8; 32] {
        self.to_bytes()
    }
}
impl SigilBytes for MsgId {
    fn bytes(&self) -> [u8; 32] {
        self.to_bytes()
    }
}
impl SigilBytes for BlobId {
    fn bytes(&self) -> [u8; 32] {
        self.to_bytes()
    }
}

fn err(e: impl core::fmt::Display) -> Outcome {
    Outcome::Error(e.to_string())
}

pub(crate) fn run(op: &str, input: &Value) -> Result<Outcome, String> {
    Ok(match op {
        "keypair_from_seed" => {
            let kp = Keypair::from_seed(&hex_array(input, "seed")?);
            let secret = kp.to_libsodium_secret();
            ok([
                ("public", json!(hex(kp.public().as_bytes()))),
                ("feed_id", json!(kp.feed_id().to_string())),
                (
                    "secret_public",
                    json!(format!(
                        "{}.ed25519",
                        ssb_crypto::base64::encode(kp.public().as_bytes())
                    )),
                ),
                (
                    "secret_private",
                    json!(format!(
                        "{}.ed25519",
                        ssb_crypto::base64::encode(secret.as_ref())
                    )),
                ),
            ])
        }
        "feed_id" => sigil::<FeedId>(input)?,
        "msg_id" => sigil::<MsgId>(input)?,
        "blob_id" => sigil::<BlobId>(input)?,
        "sign" => {
            let kp = Keypair::from_seed(&hex_array(input, "seed")?);
            let sig = kp.sign(&hex_field(input, "message")?);
            ok([("signature", json!(hex(sig.as_bytes())))])
        }
        "verify" => {
            let pk = PublicKey(hex_array(input, "public")?);
            let sig = Signature(hex_array(input, "signature")?);
            let valid = pk.verify(&hex_field(input, "message")?, &sig).is_ok();
            ok([("valid", json!(valid))])
        }
        "secretbox" => {
            let boxed = secretbox::seal(
                &hex_array(input, "key")?,
                &hex_array(input, "nonce")?,
                &hex_field(input, "plaintext")?,
            );
            ok([("boxed", json!(hex(&boxed)))])
        }
        "secretbox_open" => match secretbox::open(
            &hex_array(input, "key")?,
            &hex_array(input, "nonce")?,
            &hex_field(input, "boxed")?,
        ) {
            Ok(pt) => ok([("plaintext", json!(hex(&pt)))]),
            Err(e) => err(e),
        },
        "auth" => {
            let tag = hash::auth(&hex_array(input, "key")?, &hex_field(input, "message")?);
            ok([("tag", json!(hex(&tag)))])
        }
        "sha256" => ok([(
            "hash",
            json!(hex(&hash::sha256(&hex_field(input, "message")?))),
        )]),
        "pk_to_curve" => match PublicKey(hex_array(input, "public")?).to_curve() {
            Ok(c) => ok([("curve", json!(hex(c.as_bytes())))]),
            Err(e) => err(e),
        },
        "sk_to_curve" => {
            let kp = Keypair::from_seed(&hex_array(input, "seed")?);
            ok([(
                "curve",
                json!(hex(kp.to_curve_secret().to_bytes().as_ref())),
            )])
        }
        "secret_file_write" => {
            let kp = Keypair::from_seed(&hex_array(input, "seed")?);
            ok([("text", json!(write_secret_file(&kp).as_str()))])
        }
        "secret_file_parse" => match parse_secret_file(str_field(input, "text")?) {
            Ok(kp) => ok([
                ("public", json!(hex(kp.public().as_bytes()))),
                ("feed_id", json!(kp.feed_id().to_string())),
            ]),
            Err(e) => err(e),
        },
        "network_key" => match str_field(input, "text")?.parse::<NetworkKey>() {
            Ok(k) => ok([("key", json!(hex(k.as_bytes())))]),
            Err(e) => err(e),
        },
        "multiserver" => match str_field(input, "text")?.parse::<Multiaddress>() {
            Ok(m) => {
                let addresses: Vec<Value> = m
                    .addresses
                    .iter()
                    .map(|a| {
                        let protocols: Vec<Value> = a
                            .protocols
                            .iter()
                            .map(|p| json!({ "name": p.name, "data": p.data }))
                            .collect();
                        let mut out = json!({ "protocols": protocols });
                        if let Ok(ns) = a.net_shs() {
                            let mut v = json!({
                                "host": ns.host.to_string(),
                                "port": ns.port,
                                "key": hex(ns.key.as_bytes()),
                            });
                            if let Some(seed) = ns.seed {
                                v["seed"] = json!(hex(seed.as_bytes()));
                            }
                            out["net_shs"] = v;
                        }
                        out
                    })
                    .collect();
                ok([("addresses", Value::Array(addresses))])
            }
            Err(e) => err(e),
        },
        _ => return Err(format!("unknown op `{op}`")),
    })
}
