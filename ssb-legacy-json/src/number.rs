//! ECMAScript `Number::toString` (radix 10), the number form `JSON.stringify` writes
//! (docs/PROTOCOL.md §5.7.2).

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
            self.len += 1;
        }
    }
    fn extend(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.push(b);
        }
    }
    fn zeros(&mut self, n: usize) {
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
    let (digits, k, exp) = sci.split();
    let digits = digits.get(..k).unwrap_or(&[]);
    // The decimal point position `n` of ECMAScript's algorithm: value = 0.d1d2.. × 10^n.
    let point = exp + 1;
    let k_i = k as i32;
    if k_i <= point && point <= 21 {
        out.extend(digits);
        out.zeros((point - k_i) as usize);
    } else if 0 < point && point <= 21 {
        let (int, frac) = digits.split_at((point as usize).min(digits.len()));
        out.extend(int);
        out.push(b'.');
        out.extend(frac);
    } else if -6 < point && point <= 0 {
        out.extend(b"0.");
        out.zeros((-point) as usize);
        out.extend(digits);
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.extend(first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend(rest);
        }
        out.push(b'e');
        let e = point - 1;
        out.push(if e < 0 { b'-' } else { b'+' });
        write_u64(&mut out, u64::from(e.unsigned_abs()));
    }
    out.len
}

fn write_u64(out: &mut Out<'_>, mut i: u64) {
    let mut tmp = [0u8; 20];
    let mut pos = tmp.len();
    loop {
        pos -= 1;
        if let Some(slot) = tmp.get_mut(pos) {
            *slot = b'0' + (i % 10) as u8;
        }
        i /= 10;
        if i == 0 || pos == 0 {
            break;
        }
    }
    out.extend(tmp.get(pos..).unwrap_or(&[]));
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
        let mut seen_point = false;
        // Digits before the point (after leading zeros) and zeros after it before the first
        // significant digit.
        let mut int_digits: i32 = 0;
        let mut lead_frac_zeros: i32 = 0;
        let mut exp: i32 = 0;
        let mut exp_neg = false;
        let mut in_exp = false;
        for &b in text {
            if in_exp {
                match b {
                    b'-' => exp_neg = true,
                    b'0'..=b'9' => {
                        exp = exp.saturating_mul(10).saturating_add(i32::from(b - b'0'));
                    }
                    _ => {}
                }
                continue;
            }
            match b {
                b'.' => seen_point = true,
                b'e' | b'E' => in_exp = true,
                b'0'..=b'9' => {
                    if d.len == 0 && b == b'0' {
                        if seen_point {
                            lead_frac_zeros += 1;
                        }
                        continue;
                    }
                    if let Some(slot) = d.buf.get_mut(d.len) {
                        *slot = b;
                        d.len += 1;
                    }
                    if !seen_point {
                        int_digits += 1;
                    }
                }
                _ => {}
            }
        }
        let exp = if exp_neg { -exp } else { exp };
        d.exp = if int_digits > 0 {
            int_digits - 1 + exp
        } else {
            -(lead_frac_zeros + 1) + exp
        };
        d
    }

    /// Returns the digit buffer, the number of significant digits (trailing zeros dropped)
    /// and the decimal exponent of the first digit.
    fn split(&mut self) -> (&[u8], usize, i32) {
        let mut k = self.len;
        while k > 1 && self.buf.get(k - 1) == Some(&b'0') {
            k -= 1;
        }
        (&self.buf, k, self.exp)
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
