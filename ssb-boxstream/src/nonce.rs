//! The nonce schedule (docs/PROTOCOL.md §3.2): a 24-byte big-endian counter; a data frame uses `N` for its
//! header and `N + 1` for its body, the next frame starts at `N + 2`.
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

/// Adds one to a big-endian counter, carrying towards byte 0; all-`0xff` wraps to all-zero
/// (as JS `increment-buffer`). Not libsodium's `sodium_increment`, which is little-endian.
pub fn increment_be(nonce: &mut [u8; 24]) {
    for b in nonce.iter_mut().rev() {
        let (v, carry) = b.overflowing_add(1);
        *b = v;
        if !carry {
            return;
        }
    }
}

/// `nonce + 1` without changing `nonce`.
pub(crate) fn next(nonce: &[u8; 24]) -> [u8; 24] {
    let mut n = *nonce;
    increment_be(&mut n);
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_endian_with_carry_and_wrap() {
        let mut n = [0u8; 24];
        n[22] = 0xff;
        n[23] = 0xff;
        increment_be(&mut n);
        let mut want = [0u8; 24];
        want[21] = 1;
        assert_eq!(n, want);
        let mut all = [0xffu8; 24];
        increment_be(&mut all);
        assert_eq!(all, [0; 24]);
        assert_eq!(next(&[0; 24])[23], 1);
    }
}
