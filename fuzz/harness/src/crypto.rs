use ssb_crypto::{BlobId, FeedId, MsgId, Multiaddress, NetworkKey, base64, parse_secret_file};

/// Every ssb-crypto parser on arbitrary input: never a panic; whatever parses re-prints to the
/// same text (canonical forms are unique).
pub fn crypto_parsers(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = text.parse::<FeedId>() {
        assert_eq!(id.to_string(), text);
    }
    if let Ok(id) = text.parse::<MsgId>() {
        assert_eq!(id.to_string(), text);
    }
    if let Ok(id) = text.parse::<BlobId>() {
        assert_eq!(id.to_string(), text);
    }
    if let Ok(bytes) = base64::decode_vec(text) {
        assert_eq!(base64::encode(&bytes), text);
    }
    let _ = text.parse::<NetworkKey>();
    if let Ok(m) = text.parse::<Multiaddress>() {
        assert_eq!(m.to_string().parse::<Multiaddress>().as_ref(), Ok(&m));
        for a in &m.addresses {
            let _ = a.net_shs();
        }
    }
    if let Ok(k) = parse_secret_file(text) {
        // A file that parses names one key consistently.
        let again = ssb_crypto::write_secret_file(&k);
        assert_eq!(
            parse_secret_file(&again).map(|k2| k2.public()),
            Ok(k.public())
        );
    }
}
