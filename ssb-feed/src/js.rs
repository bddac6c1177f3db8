//! The few JavaScript semantics `ssb-validate` relies on, reproduced exactly: loose equality
//! (`!=`) against a number or a string, `ToString` of arrays, `StringToNumber`, and the
//! `ssb-ref` / `is-canonical-base64` regexes it tests fields with.
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use ssb_legacy_json::{JsString, NumberBuffer, Value};

/// JS `WhiteSpace` and `LineTerminator` (what `String.prototype.trim` and `\s` remove).
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// JS line terminators: what a regex `.` does not match.
fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// ECMAScript `StringToNumber` (as `Number(s)` or `s == n` compute it).
pub(crate) fn string_to_number(s: &JsString) -> f64 {
    let Some(s) = s.as_str() else {
        return f64::NAN; // a lone surrogate is never numeric
    };
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    let radix = |prefixes: [&str; 2], radix: u32| -> Option<f64> {
        let digits = prefixes.iter().find_map(|p| t.strip_prefix(p))?;
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return Some(f64::NAN);
        }
        // Exact for every value below 2^53; beyond that, JS rounds the same way as this
        // accumulation does not, but such strings never compare equal to a sequence.
        Some(digits.chars().fold(0.0, |acc, c| {
            acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
        }))
    };
    if let Some(v) = radix(["0x", "0X"], 16)
        .or_else(|| radix(["0o", "0O"], 8))
        .or_else(|| radix(["0b", "0B"], 2))
    {
        return v;
    }
    let (sign, body) = if let Some(body) = t.strip_prefix('+') {
        (1.0, body)
    } else if let Some(body) = t.strip_prefix('-') {
        (-1.0, body)
    } else {
        (1.0, t)
    };
    if body == "Infinity" {
        return sign * f64::INFINITY;
    }
    if !is_decimal_literal(body) {
        return f64::NAN;
    }
    body.parse::<f64>().map_or(f64::NAN, |v| sign * v)
}

/// `StrUnsignedDecimalLiteral` without `Infinity`: digits [. digits] | . digits, then an
/// optional exponent. (Rust's `f64::from_str` accepts more, such as `inf` and `nan`.)
fn is_decimal_literal(s: &str) -> bool {
    /// How many ASCII digits `b` starts with, and what follows them.
    fn digits(b: &[u8]) -> (usize, &[u8]) {
        let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
        (n, b.get(n..).unwrap_or_default())
    }
    let (int_digits, rest) = digits(s.as_bytes());
    let (frac_digits, rest) = match rest {
        [b'.', frac @ ..] => digits(frac),
        _ => (0, rest),
    };
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    let rest = match rest {
        [b'e' | b'E', exp @ ..] => {
            let exp = match exp {
                [b'+' | b'-', exp @ ..] => exp,
                _ => exp,
            };
            let (exp_digits, rest) = digits(exp);
            if exp_digits == 0 {
                return false;
            }
            rest
        }
        _ => rest,
    };
    rest.is_empty()
}

/// Appends JS `ToString(v)` for an array element (`Array.prototype.join` semantics:
/// `null` and `undefined` become empty). Arrays nested deeper than `levels` add nothing.
fn push_to_string(v: &Value, out: &mut String, levels: usize) {
    match v {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(NumberBuffer::default().format(*n)),
        Value::String(s) => out.push_str(&s.to_string_lossy()),
        Value::Array(a) => {
            // JS guards against cycles, which JSON cannot form; bound the recursion anyway.
            let Some(inner) = levels.checked_sub(1) else {
                return;
            };
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_to_string(e, out, inner);
            }
        }
        Value::Object(_) => out.push_str("[object Object]"),
    }
}

/// `ToPrimitive` of a value compared with `==` to a primitive: the string form of arrays
/// and objects, or `None` for primitives (handled by the callers).
fn object_to_string(v: &Value) -> Option<String> {
    match v {
        Value::Array(_) | Value::Object(_) => {
            let mut s = String::new();
            // Arrays at depths 0 to MAX_DEPTH are written out.
            push_to_string(v, &mut s, ssb_legacy_json::MAX_DEPTH + 1);
            Some(s)
        }
        _ => None,
    }
}

/// JS `v == n` for a number `n` (`v` absent is `undefined`).
pub(crate) fn loose_eq_number(v: Option<&Value>, n: f64) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Number(x)) => *x == n,
        Some(Value::Bool(b)) => f64::from(u8::from(*b)) == n,
        Some(Value::String(s)) => string_to_number(s) == n,
        Some(other) => to_number(other) == n,
    }
}

/// JS `v == s` for a string `s` that is not numeric (a message id).
pub(crate) fn loose_eq_id(v: Option<&Value>, s: &str) -> bool {
    match v {
        Some(Value::String(x)) => x == s,
        Some(other @ (Value::Array(_) | Value::Object(_))) => {
            object_to_string(other).is_some_and(|o| o == s)
        }
        // Numbers and booleans compare with ToNumber(s), which is NaN for an id; null and
        // undefined equal only each other.
        _ => false,
    }
}

/// `state.sequence + 1` as JS computes it: in doubles, so it cannot overflow; from 2^53 on
/// it rounds (2^53 + 1 is 2^53) exactly as JS does. No such sequence can be valid (they are
/// int32), but a caller-supplied state can hold one, and the verdict must still be JS's.
pub(crate) fn next_sequence(sequence: i64) -> f64 {
    sequence as f64 + 1.0
}

/// JS `~~n === n`: a number that is an int32 (`-0` counts).
pub(crate) fn is_int32(v: Option<&Value>) -> Option<i32> {
    match v {
        Some(Value::Number(n))
            if n.fract() == 0.0 && *n >= -2_147_483_648.0 && *n <= 2_147_483_647.0 =>
        {
            Some(*n as i32)
        }
        _ => None,
    }
}

/// JS truthy-and-`typeof 'string'` (`s && typeof s === 'string'`).
pub(crate) fn non_empty_string(v: Option<&Value>) -> Option<&JsString> {
    match v {
        Some(Value::String(s)) if !s.as_wtf8().is_empty() => Some(s),
        _ => None,
    }
}

const fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}

/// Length of the canonical-base64 prefix `is-canonical-base64` (no length argument) would
/// match at the start of `s`, given that it must be followed by `stop` (`.`); `None` if the
/// text before the first `stop` is not canonical base64.
pub(crate) fn canonical_b64_before_dot(s: &[u8]) -> Option<usize> {
    let end = s.iter().position(|&c| c == b'.')?;
    let b = s.get(..end)?;
    if b.len() % 4 != 0 {
        return None;
    }
    // At most two `=`: a third one is left in `body`, which then fails the alphabet.
    let (body, pad) = match b {
        [body @ .., b'=', b'='] => (body, 2),
        [body @ .., b'='] => (body, 1),
        body => (body, 0),
    };
    if !body.iter().all(|&c| is_b64(c)) {
        return None;
    }
    match pad {
        // char [AQgw]==
        2 => matches!(body.last(), Some(b'A' | b'Q' | b'g' | b'w')).then_some(end),
        // char char [AEIMQUYcgkosw048]=
        1 => matches!(
            body.last(),
            Some(
                b'A' | b'E'
                    | b'I'
                    | b'M'
                    | b'Q'
                    | b'U'
                    | b'Y'
                    | b'c'
                    | b'g'
                    | b'k'
                    | b'o'
                    | b's'
                    | b'w'
                    | b'0'
                    | b'4'
                    | b'8'
            )
        )
        .then_some(end),
        _ => Some(end),
    }
}

/// `ssb-ref`'s `isFeedId` on a JSON value: the string, if it is a feed id by
/// [`is_ref_feed_id`].
pub(crate) fn is_feed_id_js(v: Option<&Value>) -> Option<&str> {
    let s = match v {
        Some(Value::String(s)) => s.as_str()?,
        _ => return None,
    };
    is_ref_feed_id(s).then_some(s)
}

/// `ssb-ref`'s `isFeedId` (2.16): `^@` + canonical base64 of 32 bytes +
/// `.(?:sha256|ed25519)$`, where that first `.` is a regex wildcard (any character but a
/// line terminator). So `@….sha256` and `@…=!ed25519` are feed ids to JS, while
/// [`ssb_crypto::FeedId`] parses only `@….ed25519`. `ssb-validate` tests authors with it,
/// `ssb-ebt` every id it replicates.
///
/// ```
/// let id = "@FCX/tsDLpubCPKKfIrw4gc+SQkHcaD17s7GI6i/ziWY=.ed25519";
/// assert!(ssb_feed::is_ref_feed_id(id));
/// assert!(ssb_feed::is_ref_feed_id(&id.replace(".ed25519", ".sha256")));
/// assert!(ssb_feed::is_ref_feed_id(&id.replace(".ed25519", "!ed25519")));
/// assert!(!ssb_feed::is_ref_feed_id(&id.replace(".ed25519", "\ned25519")));
/// assert!(!ssb_feed::is_ref_feed_id("@alice"));
/// ```
pub fn is_ref_feed_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('@') else {
        return false;
    };
    let (Some(b64), Some(tail)) = (rest.get(..44), rest.get(44..)) else {
        return false;
    };
    if ssb_crypto::base64::decode_array::<32>(b64).is_err() {
        return false;
    }
    let mut tail = tail.chars();
    let Some(dot) = tail.next() else {
        return false;
    };
    // A regex `.` (no `u` flag) matches one UTF-16 unit that is not a line terminator.
    if is_line_terminator(dot) || dot.len_utf16() != 1 {
        return false;
    }
    matches!(tail.as_str(), "sha256" | "ed25519")
}

/// ECMAScript `ToNumber` of a JSON value (what `+v`, `v & 1` or `v < n` start from):
/// `null` is 0, booleans 0 or 1, strings by `StringToNumber`, arrays by the string that
/// `Array.prototype.join` makes of them, and other objects by `"[object Object]"` (NaN).
///
/// One difference, unreachable from `JSON.parse` output in practice: an object whose own
/// `toString` and `valueOf` are both non-functions makes JS throw a `TypeError`; here it is
/// NaN like every other object.
///
/// ```
/// use ssb_legacy_json::parse;
/// let n = |s: &str| ssb_feed::to_number(&parse(s.as_bytes()).unwrap());
/// assert_eq!(n("null"), 0.0);
/// assert_eq!(n("true"), 1.0);
/// assert_eq!(n("\" 0x1f \""), 31.0);
/// assert_eq!(n("[[\"7\"]]"), 7.0);
/// assert_eq!(n("[]"), 0.0);
/// assert!(n("[1,2]").is_nan());
/// assert!(n("{}").is_nan());
/// ```
pub fn to_number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => *n,
        Value::String(s) => string_to_number(s),
        other => object_to_string(other)
            .map_or(f64::NAN, |s| string_to_number(&JsString::from(s.as_str()))),
    }
}

/// `ssb-validate`'s `isEncrypted`: a non-empty string matching
/// `^<canonical base64>\.box.*$` (`.` does not match line terminators).
pub(crate) fn is_encrypted(v: Option<&Value>) -> bool {
    let Some(s) = non_empty_string(v) else {
        return false;
    };
    let Some(s) = s.as_str() else {
        // A lone surrogate can sit in the `.*` tail; judge the rest by the lossy form,
        // where it became U+FFFD (not a line terminator, so it matches `.` the same way).
        return is_encrypted_str(&s.to_string_lossy());
    };
    is_encrypted_str(s)
}

fn is_encrypted_str(s: &str) -> bool {
    let Some(end) = canonical_b64_before_dot(s.as_bytes()) else {
        return false;
    };
    let Some(tail) = s.get(end..).and_then(|t| t.strip_prefix(".box")) else {
        return false;
    };
    !tail.chars().any(is_line_terminator)
}

/// `ssb-validate`'s `isSigMatchesCurve`: the signature is canonical base64 (88 characters)
/// followed by `.sig.` and the author's curve, where the curve is the first run of word
/// characters after the first `.` of the author. Returns the curve.
pub(crate) fn signature_curve<'a>(
    signature: Option<&'a Value>,
    author: &'a str,
) -> Option<(&'a str, usize)> {
    let sig = match signature {
        Some(Value::String(s)) => s.as_str()?,
        _ => return None,
    };
    // The regex `^<canonical base64>\.sig.\w+$`.
    let end = canonical_b64_before_dot(sig.as_bytes())?;
    let after = sig.get(end..)?;
    let word = after.strip_prefix(".sig")?;
    let mut chars = word.chars();
    let wildcard = chars.next()?;
    if is_line_terminator(wildcard) || wildcard.len_utf16() != 1 {
        return None;
    }
    let w = chars.as_str();
    if w.is_empty() || !w.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
        return None;
    }
    // /\.(\w+)/.exec(author)
    let (_, after_dot) = author.split_once('.')?;
    let curve_len = after_dot
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
        .count();
    if curve_len == 0 {
        return None;
    }
    let curve = after_dot.get(..curve_len)?;
    // signature.length - (curve.length + 5) === 88, and the tail is exactly ".sig." + curve.
    // (`length` counts UTF-16 units, but everything here is ASCII once the regex matched.)
    if sig.len().checked_sub(curve.len()) != Some(88 + 5) || end != 88 {
        return None;
    }
    let tail = sig.get(88..)?;
    if tail.strip_prefix(".sig.") != Some(curve) {
        return None;
    }
    Some((curve, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> f64 {
        string_to_number(&JsString::from(s))
    }

    #[test]
    fn string_to_number_matches_js() {
        assert_eq!(n(""), 0.0);
        assert_eq!(n("  2 "), 2.0);
        assert_eq!(n("0x10"), 16.0);
        assert_eq!(n("2e0"), 2.0);
        assert_eq!(n(".5"), 0.5);
        assert_eq!(n("5."), 5.0);
        assert_eq!(n("-Infinity"), f64::NEG_INFINITY);
        assert!(n("inf").is_nan());
        assert!(n("1_000").is_nan());
        assert!(n("-0x10").is_nan());
        assert!(n("e5").is_nan());
    }

    #[test]
    fn loose_equality() {
        let arr = Value::Array(vec![Value::from("%abc")]);
        assert!(loose_eq_id(Some(&arr), "%abc"));
        assert!(!loose_eq_id(Some(&Value::Null), "%abc"));
        assert!(loose_eq_number(Some(&Value::from("2")), 2.0));
        assert!(loose_eq_number(
            Some(&Value::Array(vec![Value::from(2.0)])),
            2.0
        ));
        assert!(loose_eq_number(Some(&Value::Bool(true)), 1.0));
        assert!(!loose_eq_number(None, 2.0));
    }
}
