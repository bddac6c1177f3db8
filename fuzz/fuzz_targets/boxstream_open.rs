//! Box-stream decryption of arbitrary bytes at arbitrary split points: never a panic, and
//! never plaintext without authentication (with a key no one used, nothing can authenticate,
//! so any frame is a bug). The first byte picks the split points.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssb_boxstream::Decryptor;

fuzz_target!(|data: &[u8]| {
    let Some((&step, input)) = data.split_first() else {
        return;
    };
    let step = usize::from(step).max(1);
    let mut d = Decryptor::new([0x42; 32], [0x24; 24]);
    let mut rest = input;
    while !rest.is_empty() {
        let piece = &rest[..rest.len().min(step)];
        match d.open(piece) {
            Ok(o) => {
                assert!(o.frame.is_none(), "a frame authenticated under an unused key");
                if o.consumed == 0 {
                    break;
                }
                rest = &rest[o.consumed..];
            }
            Err(_) => break,
        }
    }
    let _ = d.finish();
});
