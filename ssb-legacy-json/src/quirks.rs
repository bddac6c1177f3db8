//! The JavaScript behaviours SSB's classic format depends on, each with the expression
//! that defines it. Everything here is implemented by this crate and checked against
//! Node (`tests/node_differential.rs`, `test-vectors/vectors/legacy-json.json`).
//! Section numbers refer to `docs/PROTOCOL.md`.
//!
//! # What is signed, hashed and measured (docs/PROTOCOL.md §5.2–§5.4)
//!
//! * **Signed bytes**: `Buffer.from(JSON.stringify(msgWithoutSignature, null, 2), 'utf8')`.
//!   The text is re-serialized from the *parsed value*, never taken from the wire, so
//!   transport spelling (`1.0`, `1E3`, whitespace, escapes such as `\u00e9`) does not
//!   matter, but everything `JSON.parse` + `JSON.stringify` do to a value does.
//! * **Message id**: `sha256(Buffer.from(JSON.stringify(msg, null, 2), 'binary'))`.
//!   `'binary'` is latin1: *the low byte of every UTF-16 code unit*, so `"é"` (U+00E9)
//!   hashes as `e9`, `"€"` (U+20AC) as `ac`, `"😀"` (`\ud83d\ude00`) as `3d 00`. Hashing
//!   UTF-8 gives the wrong id for any non-ASCII message; distinct texts can collide.
//!   See [`legacy_sha256`](crate::legacy_sha256), [`Stringify::legacy_summary`](crate::Stringify::legacy_summary).
//! * **Size limit**: `JSON.stringify(msg, null, 2).length <= 8192`: UTF-16 code units of
//!   the signing form *with* the signature, not bytes and not code points.
//!   See [`utf16_len`](crate::utf16_len).
//!
//! # Object key order (docs/PROTOCOL.md §5.6)
//!
//! V8 keeps object properties in insertion order, **except** that keys which are array
//! indices come first, in ascending numeric order:
//! `JSON.stringify(JSON.parse('{"b":1,"a":2,"10":3,"2":4}'))` is
//! `'{"2":4,"10":3,"b":1,"a":2}'`. An array index is the canonical decimal text of an
//! integer in `0 ..= 2^32 − 2`: `"4294967294"` moves, `"4294967295"`, `"01"`, `"-1"`,
//! `"1.5"` and `" 1"` do not. See [`array_index`](crate::array_index). The top-level
//! message keys are never indices; keys inside `content` can be.
//!
//! # Duplicate keys (docs/PROTOCOL.md §5.8)
//!
//! `JSON.parse('{"a":1,"b":2,"a":3}')` is `{a: 3, b: 2}`: the last value wins and it keeps
//! the *first* key's position (the property is created once, then assigned).
//! [`Mode::Strict`](crate::Mode::Strict) rejects duplicates instead.
//!
//! # Numbers (docs/PROTOCOL.md §5.7.2, §5.8)
//!
//! * `JSON.parse` rounds decimal text to the nearest double: `12345678901234567890` →
//!   `12345678901234567000`, `6e-486` → `0`, `1e400` → `Infinity`, `-1e-400` → `-0`.
//! * `JSON.stringify` writes `Number::toString`: the shortest digits that round-trip, in
//!   plain notation for decimal exponents from −6 to 20 and exponent notation otherwise,
//!   with an explicit exponent sign: `JSON.stringify([1e21, 1e20, 1e-7, 1e-6, 123.456e5])`
//!   is `'[1e+21,100000000000000000000,1e-7,0.000001,12345600]'`.
//! * `JSON.stringify(-0)` is `'0'`; `JSON.stringify(Infinity)` is `'null'`. So
//!   `{"n":1e400}` is *signed* as `"n": null`.
//!   See [`NumberBuffer`](crate::NumberBuffer).
//!
//! # Strings (docs/PROTOCOL.md §5.7.1, §10.2)
//!
//! * `JSON.stringify` escapes only `"`, `\` and U+0000–U+001F: `\b \t \n \f \r` by name,
//!   the others as `\u00XX` with **lowercase** hex (`JSON.stringify('\x1f')` is
//!   `'"\\u001f"'`). `/`, U+007F, U+2028, U+2029 and all other non-ASCII are written raw.
//! * Lone surrogates: `JSON.parse('"\\ud800"')` yields a one-unit string that is not valid
//!   Unicode; since Node 12 (V8 7.2, "well-formed JSON.stringify")
//!   `JSON.stringify('\ud800')` is `'"\\ud800"'` (escaped, lowercase). Node < 12 wrote it
//!   raw and then signed U+FFFD. A surrogate *pair* written as two escapes is one
//!   character and is written raw: `JSON.stringify(JSON.parse('"\\ud83d\\ude00"'))` is
//!   `'"😀"'`. [`JsString`](crate::JsString) stores such strings as WTF-8.
//!
//! # Bytes to text (docs/PROTOCOL.md §5.8)
//!
//! JS peers parse `JSON.parse(buffer.toString('utf8'))`. Node's UTF-8 decoder replaces
//! each *maximal invalid subpart* with U+FFFD (the WHATWG decoder): `Buffer.from('e0a0',
//! 'hex').toString()` is one `'\ufffd'`, `Buffer.from('eda080', 'hex').toString()` (an
//! encoded surrogate) is three. A byte-order mark is not stripped and is not JSON
//! whitespace, so `JSON.parse('\ufeff{}')` throws. Only space, tab, LF and CR are
//! whitespace.
//!
//! # Limits
//!
//! `JSON.parse` itself has no depth limit (V8's parser is iterative), but
//! `JSON.stringify` of a value nested a few thousand levels deep throws `RangeError`, so
//! no such message can be signed or verified by JavaScript. This crate refuses more than
//! [`MAX_DEPTH`](crate::MAX_DEPTH) levels and more than
//! [`MAX_INPUT_LEN`](crate::MAX_INPUT_LEN) bytes; those are the only inputs on which
//! [`parse`](crate::parse) and `JSON.parse` disagree.
