//! The `crypto` layer: ssb-crypto against ssb-keys, ssb-ref, libsodium and multiserver-address.
//!
//! Error classes (`test-vectors/README.md`): our typed errors map to them here, by variant
//! (`code()` where the type has one); an error with no class here is [`UNCLASSIFIED`].

use serde_json::{Value, json};
use ssb_crypto::backend::Backend;
use ssb_crypto::{
    AddressError, BlobId, FeedId, Keypair, MsgId, Multiaddress, NetworkKey, PublicKey,
    SecretFileError, Signature, hash, parse_secret_file, secretbox, write_secret_file,
};

use super::{hex, hex_array, hex_field, ok, str_field};
use crate::{Outcome, UNCLASSIFIED};

/// A sigil id that ssb-ref refuses: JS (a regex) gives no class finer than `invalid`.
fn id_class(_: &ssb_crypto::IdError) -> &'static str {
    "invalid"
}

/// `invalid`: what ssb-keys cannot load at all (the JSON does not parse or is no object);
/// `inconsistent`: what ssb-keys loads but our rule refuses (the policy `secret-file-consistent`);
/// `limit`: our size limit (no JS counterpart, in no vector).
fn secret_file_class(e: &SecretFileError) -> &'static str {
    match e.code() {
        "secret_not_json" | "secret_not_object" => "invalid",
        "secret_too_large" => "limit",
        "secret_missing_field"
        | "secret_not_string"
        | "secret_unsupported_curve"
        | "secret_missing_suffix"
        | "secret_base64"
        | "secret_key_mismatch"
        | "secret_public_mismatch"
        | "secret_id_mismatch" => "inconsistent",
        _ => UNCLASSIFIED,
    }
}

/// `syntax`: multiserver-address's grammar refuses the text; `limit`: our length limit; the
/// rest are the per-address classes of the `multiserver-net-shs` policy. (`AddressError` has
/// no `code()`, so this matches its variants.)
fn address_class(e: &AddressError) -> &'static str {
    match e {
        AddressError::Syntax { .. } => "syntax",
        AddressError::TooLong => "limit",
        AddressError::NotNetShs => "not_net_shs",
        AddressError::InvalidPort(_) => "port",
        AddressError::Key { .. } => "key",
        _ => UNCLASSIFIED,
    }
}

/// Parses a sigil id and reports its bytes and canonical text.
fn sigil<T>(input: &Value) -> Result<Outcome, String>
where
    T: core::str::FromStr<Err = ssb_crypto::IdError> + core::fmt::Display,
    T: SigilBytes,
{
    Ok(match str_field(input, "text")?.parse::<T>() {
        Ok(id) => ok([
            ("bytes", json!(hex(&id.bytes()))),
            ("canonical", json!(id.to_string())),
        ]),
        Err(e) => Outcome::error(id_class(&e), format!("{}: {e}", e.code())),
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
            let msg = hex_field(input, "message")?;
            // Both backends, every case: the graviola path and the dalek fallback must give
            // libsodium's verdict alike.
            let on = |b: Backend| {
                pk.prepare_with(b)
                    .and_then(|k| k.verify(&msg, &sig))
                    .is_ok()
            };
            let valid = on(Backend::Dalek);
            if on(Backend::Graviola) != valid {
                return Err(format!("backends disagree: dalek says {valid}"));
            }
            ok([("valid", json!(valid))])
        }
        "salsa20_xor_ic" => {
            let mut buf = hex_field(input, "message")?;
            let ic = input
                .get("ic")
                .and_then(Value::as_u64)
                .ok_or("ic: not a number")?;
            ssb_crypto::stream::salsa20_xor_ic(
                &hex_array(input, "key")?,
                &hex_array(input, "nonce")?,
                ic,
                &mut buf,
            );
            ok([("ciphertext", json!(hex(&buf)))])
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
            // chloride's crypto_secretbox_open_easy returns undefined: `unauthentic`. A box
            // shorter than its tag makes chloride throw a RangeError instead: no class.
            Err(e @ secretbox::OpenError::Unauthentic) => Outcome::error("unauthentic", e),
            Err(e) => Outcome::error(UNCLASSIFIED, e),
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
            // chloride returns null for every key libsodium refuses: one class, `invalid_key`.
            Err(e) => Outcome::error("invalid_key", e),
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
            Err(e) => Outcome::error(secret_file_class(&e), format!("{}: {e}", e.code())),
        },
        "network_key" => match str_field(input, "text")?.parse::<NetworkKey>() {
            Ok(k) => ok([("key", json!(hex(k.as_bytes())))]),
            // JS: sodium-native refuses a key that is not 32 bytes; nothing finer.
            Err(e) => Outcome::error("invalid", e),
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
                        json!({ "protocols": protocols })
                    })
                    .collect();
                ok([("addresses", Value::Array(addresses))])
            }
            Err(e) => Outcome::error(address_class(&e), e),
        },
        "multiserver_net_shs" => match str_field(input, "text")?.parse::<Multiaddress>() {
            Ok(m) => {
                let views: Vec<Value> = m
                    .addresses
                    .iter()
                    .map(|a| match a.net_shs() {
                        Ok(ns) => {
                            let mut v = json!({
                                "host": ns.host.to_string(),
                                "port": ns.port,
                                "key": hex(ns.key.as_bytes()),
                            });
                            if let Some(seed) = ns.seed {
                                v["seed"] = json!(hex(seed.as_bytes()));
                            }
                            v
                        }
                        Err(e) => json!({ "error": address_class(&e) }),
                    })
                    .collect();
                ok([("net_shs", Value::Array(views))])
            }
            Err(e) => Outcome::error(address_class(&e), e),
        },
        _ => return Err(format!("unknown op `{op}`")),
    })
}
