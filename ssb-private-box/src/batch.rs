//! Opening many boxes with one key, e.g. every private message of a feed being scanned.

use alloc::vec::Vec;

use ssb_crypto::CurveSecretKey;

use crate::{MaxRecipients, OpenError};

/// What [`open_batch`] found for one box: `Ok(Some(plaintext))`, `Ok(None)` when it is not
/// for us, or why it is malformed.
pub type Opened = Result<Option<Vec<u8>>, OpenError>;

/// Opens every box of `boxes` with `secret` ([`open_with_max`](crate::open_with_max) each),
/// returning one result per box, in order. With the `rayon` feature the boxes are opened in
/// parallel on rayon's pool; the results are identical to the sequential ones.
pub fn open_batch<B: AsRef<[u8]> + Sync>(
    boxes: &[B],
    secret: &CurveSecretKey,
    max: MaxRecipients,
) -> Vec<Opened> {
    let one = |b: &B| crate::open_with_max(b.as_ref(), secret, max);
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        // A box costs one X25519 (~40 µs): small pieces keep both cores busy.
        boxes.par_iter().with_min_len(8).map(one).collect()
    }
    #[cfg(not(feature = "rayon"))]
    {
        boxes.iter().map(one).collect()
    }
}
