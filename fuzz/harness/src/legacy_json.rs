/// `ssb-legacy-json` on arbitrary bytes: parsing never panics, and what parses round-trips
/// through both encodings to an equal value.
pub fn legacy_json(data: &[u8]) {
    if let Ok(v) = ssb_legacy_json::parse(data) {
        let signing = v.to_signing_string();
        let again = ssb_legacy_json::parse(signing.as_bytes()).expect("signing form parses");
        assert_eq!(again.to_signing_string(), signing);
        let compact = v.to_compact_string();
        let again = ssb_legacy_json::parse(compact.as_bytes()).expect("compact form parses");
        assert_eq!(again.to_signing_string(), signing);
        let summary = v.signing().legacy_summary();
        assert_eq!(summary.utf16_len, ssb_legacy_json::utf16_len(&signing));
    }
    let _ = ssb_legacy_json::parse_strict(data);
}
