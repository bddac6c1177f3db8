//! ECMAScript `Number::toString` (radix 10), the number form `JSON.stringify` writes
//! (docs/PROTOCOL.md §5.7.2).
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

/// The longest text [`NumberBuffer::format`] can produce for a finite number
/// (`-0.0000012345678901234567` is 25 bytes).
pub const MAX_NUMBER_LEN: usize = 25;

/// A stack buffer that formats an `f64` exactly like JavaScript does.
///
/// ```
/// let mut buf = ssb_legacy_json::NumberBuffer::new();
/// assert_eq!(buf.format(1e21), "1e+21");
/// assert_eq!(buf.format(1e-7), "1e-7");
/// assert_eq!(buf.format(123.456e5), "12345600");
/// assert_eq!(buf.format(-0.0), "0");
/// assert_eq!(buf.format(f64::NAN), "NaN");
/// assert_eq!(buf.format_json(f64::INFINITY), "null");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct NumberBuffer {
    buf: [u8; 32],
    len: usize,
}

impl Default for NumberBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl NumberBuffer {
    /// An empty buffer.
    pub const fn new() -> Self {
        Self {
            buf: [0; 32],
            len: 0,
        }
    }

    /// `String(n)` in JavaScript: `NaN`, `Infinity` and `-Infinity` for the non-finite
    /// values, otherwise the shortest round-trip decimal in ECMAScript's layout.
    pub fn format(&mut self, n: f64) -> &str {
        let text: &[u8] = if n.is_nan() {
            b"NaN"
        } else if n == f64::INFINITY {
            b"Infinity"
        } else if n == f64::NEG_INFINITY {
            b"-Infinity"
        } else {
            return self.format_json(n);
        };
        self.set(text);
        self.as_str()
    }

    /// The number as `JSON.stringify` writes it: like [`format`](Self::format) but `null`
    /// for NaN and ±Infinity.
    pub fn format_json(&mut self, n: f64) -> &str {
        let len = format_json_bytes(n, &mut self.buf);
        self.len = len;
        self.as_str()
    }

    fn set(&mut self, text: &[u8]) {
        let mut w = Out {
            buf: &mut self.buf,
            len: 0,
        };
        w.extend(text);
        self.len = w.len;
    }

    fn as_str(&self) -> &str {
        // Always ASCII by construction; the fallback is unreachable.
        self.buf
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

/// A bounds-checked cursor into a 32-byte buffer. Writes past the end are dropped (they
/// cannot happen: every output is at most [`MAX_NUMBER_LEN`] bytes).
struct Out<'a> {
    buf: &'a mut [u8; 32],
    len: usize,
}

impl Out<'_> {
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            // Below the buffer's length here, so this never saturates.
            self.len = self.len.saturating_add(1);
        }
    }
    fn extend(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.push(b);
        }
    }
    fn zeros(&mut self, n: u32) {
        for _ in 0..n {
            self.push(b'0');
        }
    }
}

/// Writes the `JSON.stringify` form of `n` into `buf`, returning its length.
pub(crate) fn format_json_bytes(n: f64, buf: &mut [u8; 32]) -> usize {
    let mut out = Out { buf, len: 0 };
    if !n.is_finite() {
        out.extend(b"null");
        return out.len;
    }
    if n == 0.0 {
        // Both +0 and -0: `String(-0) === "0"`.
        out.push(b'0');
        return out.len;
    }
    let mut v = n;
    if v < 0.0 {
        out.push(b'-');
        v = -v;
    }
    // Integers below 2^53 are their own shortest round-trip representation.
    if v < 9_007_199_254_740_992.0 {
        let i = v as u64;
        if i as f64 == v {
            write_u64(&mut out, i);
            return out.len;
        }
    }
    // Shortest round-trip digits with ties to even (ECMAScript's rule; core's `{:e}`
    // rounds decimal ties up, e.g. 748923331465116.25 → "…116.3" where JS says "…116.2").
    let mut ryu_buf = ryu::Buffer::new();
    let mut sci = Digits::parse(ryu_buf.format_finite(v).as_bytes());
    let (digits, exp) = sci.split();
    // The decimal point position `n` of ECMAScript's algorithm: value = 0.d1d2.. × 10^n.
    // (ryu's exponents are within ±324 and there are at most 32 digits: nothing saturates.)
    let point = exp.saturating_add(1);
    let k = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    if k <= point && point <= 21 {
        out.extend(digits);
        out.zeros(point.abs_diff(k));
    } else if 0 < point && point <= 21 {
        let int_len = usize::try_from(point).unwrap_or(0).min(digits.len());
        let (int, frac) = digits.split_at(int_len);
        out.extend(int);
        out.push(b'.');
        out.extend(frac);
    } else if -6 < point && point <= 0 {
        out.extend(b"0.");
        out.zeros(point.unsigned_abs());
        out.extend(digits);
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.extend(first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend(rest);
        }
        out.push(b'e');
        // `point - 1`: the exponent of the first digit.
        let e = exp;
        out.push(if e < 0 { b'-' } else { b'+' });
        write_u64(&mut out, u64::from(e.unsigned_abs()));
    }
    out.len
}

fn write_u64(out: &mut Out<'_>, mut i: u64) {
    const DIGITS: &[u8; 10] = b"0123456789";
    // u64::MAX has 20 digits. They are written from the right; `start` is the leftmost.
    let mut tmp = [0u8; 20];
    let mut start = tmp.len();
    for (at, slot) in tmp.iter_mut().enumerate().rev() {
        let digit = usize::try_from(i % 10).unwrap_or(0);
        *slot = DIGITS.get(digit).copied().unwrap_or(b'0');
        start = at;
        i /= 10;
        if i == 0 {
            break;
        }
    }
    out.extend(tmp.get(start..).unwrap_or(&[]));
}

/// The value of an ASCII decimal digit.
fn digit_value(b: u8) -> Option<u8> {
    b.checked_sub(b'0').filter(|d| *d < 10)
}

/// `s` without its leading `'0'` bytes.
fn trim_leading_zeros(s: &[u8]) -> &[u8] {
    let zeros = s.iter().take_while(|&&b| b == b'0').count();
    s.get(zeros..).unwrap_or_default()
}

/// A length as an `i32` (saturating; the lengths here are at most a few dozen).
fn len_i32(s: &[u8]) -> i32 {
    i32::try_from(s.len()).unwrap_or(i32::MAX)
}

/// Significant digits and decimal exponent parsed from ryu's output (`123.45`,
/// `0.00012`, `1.5e-7`, `1e21`).
struct Digits {
    buf: [u8; 32],
    len: usize,
    /// Decimal exponent of the first significant digit.
    exp: i32,
}

impl Digits {
    fn parse(text: &[u8]) -> Self {
        let mut d = Digits {
            buf: [0; 32],
            len: 0,
            exp: 0,
        };
        let mut parts = text.splitn(2, |&b| b == b'e' || b == b'E');
        let mantissa = parts.next().unwrap_or_default();
        let exp_text = parts.next().unwrap_or_default();
        let mut exp: i32 = 0;
        for &b in exp_text {
            if let Some(v) = digit_value(b) {
                exp = exp.saturating_mul(10).saturating_add(i32::from(v));
            }
        }
        if exp_text.contains(&b'-') {
            exp = exp.saturating_neg();
        }
        let mut parts = mantissa.splitn(2, |&b| b == b'.');
        let int = parts.next().unwrap_or_default();
        let frac = parts.next().unwrap_or_default();
        // Significant digits start after the leading zeros (of the integer part, then, if
        // that is all zeros, of the fraction).
        let int_sig = trim_leading_zeros(int);
        let mut w = Out {
            buf: &mut d.buf,
            len: 0,
        };
        if int_sig.is_empty() {
            let frac_sig = trim_leading_zeros(frac);
            let lead_frac_zeros = len_i32(frac).saturating_sub(len_i32(frac_sig));
            w.extend(frac_sig);
            d.exp = exp.saturating_sub(lead_frac_zeros).saturating_sub(1);
        } else {
            w.extend(int_sig);
            w.extend(frac);
            d.exp = len_i32(int_sig).saturating_sub(1).saturating_add(exp);
        }
        d.len = w.len;
        d
    }

    /// Returns the significant digits (trailing zeros dropped, but at least one digit is
    /// kept) and the decimal exponent of the first digit.
    fn split(&mut self) -> (&[u8], i32) {
        let mut digits = self.buf.get(..self.len).unwrap_or_default();
        while let [rest @ .., b'0'] = digits {
            if rest.is_empty() {
                break;
            }
            digits = rest;
        }
        (digits, self.exp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(n: f64) -> alloc::string::String {
        let mut b = NumberBuffer::new();
        alloc::string::String::from(b.format_json(n))
    }

    #[test]
    // The exact tie values are the point of two rows.
    #[allow(clippy::excessive_precision)]
    fn table_rows() {
        // docs/PROTOCOL.md §5.7.2, every example.
        let rows: &[(f64, &str)] = &[
            (100.0, "100"),
            (1e20, "100000000000000000000"),
            (18446744073709551616.0, "18446744073709552000"),
            (1.5, "1.5"),
            (12345678.9, "12345678.9"),
            (1514517078157.5, "1514517078157.5"),
            (0.1, "0.1"),
            (0.000001, "0.000001"),
            (0.0000012345, "0.0000012345"),
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (5e-324, "5e-324"),
            (1.5e-7, "1.5e-7"),
            (1.23e-18, "1.23e-18"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (12345678901234567890.0, "12345678901234567000"),
            (-0.0, "0"),
            (0.0, "0"),
            (-1.5, "-1.5"),
            (9007199254740993.0, "9007199254740992"),
            (123.456e5, "12345600"),
            // A decimal tie: ECMAScript picks the even digit.
            (748923331465116.25, "748923331465116.2"),
            (-217386602750241.125, "-217386602750241.12"),
            (f64::INFINITY, "null"),
            (f64::NEG_INFINITY, "null"),
            (f64::NAN, "null"),
            (-2.2250738585072014e-308, "-2.2250738585072014e-308"),
            (-1.2345678901234567e-7, "-1.2345678901234566e-7"),
        ];
        for (n, want) in rows {
            assert_eq!(f(*n), *want, "{n:e}");
            assert!(want.len() <= MAX_NUMBER_LEN);
        }
    }
}
