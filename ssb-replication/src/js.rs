//! The few JavaScript number semantics `epidemic-broadcast-trees` relies on.
//!
//! Its state holds sequences as JS values: numbers (`NaN` included), `null` (a Rep's `sent`
//! before anything is known) and `undefined` (a missing clock entry read into a Rep's
//! `requested`). Comparisons and `Math.max` convert with `ToNumber`; note arithmetic uses
//! the 32-bit integer operators (`ToInt32`). [`JsSeq`] models exactly those values so that
//! the engine takes every branch JS takes.
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

/// A sequence number as the JavaScript state holds it.
///
/// Every value the engine produces from sane input is a [`JsSeq::Number`] holding a
/// non-negative integer (or `-1`, "does not replicate"); the other forms arise from what
/// peers send, exactly as in JS (see the crate's `quirks` module).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum JsSeq {
    /// `undefined`: a key that holds no value (e.g. a Rep's `requested` taken from a missing
    /// entry of our clock).
    Undefined,
    /// `null`: unknown (a Rep's `sent` before the peer said anything; a stored clock entry
    /// that was `NaN` when it was written as JSON).
    Null,
    /// A number, possibly `NaN` (a peer clock entry raised by `Math.max(undefined, n)`).
    Number(f64),
}

impl JsSeq {
    /// ECMAScript `ToNumber`: `undefined` is `NaN`, `null` is 0.
    pub fn to_number(self) -> f64 {
        match self {
            Self::Undefined => f64::NAN,
            Self::Null => 0.0,
            Self::Number(n) => n,
        }
    }

    /// `x == null`: `null` or `undefined`.
    pub fn is_nullish(self) -> bool {
        matches!(self, Self::Undefined | Self::Null)
    }

    /// JS `x || 0`: the number, or 0 for every falsy value (`undefined`, `null`, 0, `NaN`).
    pub fn or_zero(self) -> f64 {
        match self {
            Self::Number(n) if !n.is_nan() => n,
            _ => 0.0,
        }
    }

    /// JS `x === n` for a number `n`.
    pub fn strict_eq(self, n: f64) -> bool {
        matches!(self, Self::Number(x) if x == n)
    }

    /// The value as a sequence number, if it is a non-negative integer JS holds exactly
    /// (at most `Number.MAX_SAFE_INTEGER`).
    pub fn as_u64(self) -> Option<u64> {
        match self {
            Self::Number(n) if n >= 0.0 && n <= crate::MAX_SEQUENCE as f64 && n.fract() == 0.0 => {
                Some(n as u64)
            }
            _ => None,
        }
    }
}

impl From<u64> for JsSeq {
    fn from(n: u64) -> Self {
        Self::Number(n as f64)
    }
}

/// ECMAScript `ToInt32`: truncate, then wrap modulo 2^32 into the signed range; `NaN` and
/// the infinities are 0.
pub fn to_int32(n: f64) -> i32 {
    if !n.is_finite() {
        return 0;
    }
    // Exact: `rem_euclid` of two doubles is computed without rounding.
    let m = n.trunc().rem_euclid(4_294_967_296.0);
    // 0 <= m < 2^32, an integer: it fits a u32, whose bits are the i32.
    (m as u32) as i32
}

/// `Math.max(a, b)` of two numbers: `NaN` if either is, and `+0` over `-0`.
pub(crate) fn js_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        if a.is_sign_positive() { a } else { b }
    } else if a > b {
        a
    } else {
        b
    }
}

/// JS `Number.isInteger`.
pub(crate) fn is_integer(n: f64) -> bool {
    n.is_finite() && n.trunc() == n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_int32_wraps_like_js() {
        assert_eq!(to_int32(5.9), 5);
        assert_eq!(to_int32(-5.9), -5);
        assert_eq!(to_int32(2_147_483_648.0), -2_147_483_648);
        assert_eq!(to_int32(4_294_967_300.0), 4);
        assert_eq!(to_int32(-4_294_967_297.0), -1);
        assert_eq!(to_int32(9_007_199_254_740_992.0), 0);
        assert_eq!(to_int32(f64::NAN), 0);
        assert_eq!(to_int32(f64::NEG_INFINITY), 0);
        assert_eq!(to_int32(1e300), 0);
    }

    #[test]
    fn falsy_and_nullish() {
        assert_eq!(JsSeq::Number(f64::NAN).or_zero(), 0.0);
        assert_eq!(JsSeq::Null.or_zero(), 0.0);
        assert_eq!(JsSeq::Number(-1.0).or_zero(), -1.0);
        assert!(JsSeq::Undefined.to_number().is_nan());
        assert_eq!(JsSeq::Null.to_number(), 0.0);
        assert!(!JsSeq::Number(f64::NAN).strict_eq(f64::NAN));
        assert!(!JsSeq::Null.strict_eq(0.0));
        assert!(js_max(f64::NAN, 3.0).is_nan());
        assert!(js_max(-0.0, 0.0).is_sign_positive());
        assert_eq!(JsSeq::Number(3.0).as_u64(), Some(3));
        assert_eq!(JsSeq::Number(-1.0).as_u64(), None);
    }
}
