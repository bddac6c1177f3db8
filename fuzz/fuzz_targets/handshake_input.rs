//! Both handshake roles fed arbitrary bytes at arbitrary split points: never a panic, never
//! an outcome (no one holds the keys these bytes would need), and nothing is transmitted
//! after a failure. The first byte picks the role and the split points.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssb_crypto::{CurveSecretKey, Keypair, NetworkKey};
use ssb_handshake::Handshake;

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, input)) = data.split_first() else {
        return;
    };
    let me = Keypair::from_seed(&[1; 32]);
    let server = Keypair::from_seed(&[2; 32]);
    let eph = CurveSecretKey::from_bytes([3; 32]);
    let mut hs = if ctl & 1 == 0 {
        Handshake::client(NetworkKey::MAIN_NET, &me, server.public(), eph)
    } else {
        Handshake::server(NetworkKey::MAIN_NET, &server, eph)
    };
    let step = usize::from(ctl >> 1).max(1);
    let mut out = [0u8; 256];
    let mut rest = input;
    let mut failed = false;
    while !rest.is_empty() {
        while let Ok(Some(_)) = hs.poll_transmit(&mut out) {
            assert!(!failed, "transmitted after a failure");
        }
        let piece = &rest[..rest.len().min(step)];
        match hs.handle_input(piece) {
            Ok(0) => break,
            Ok(n) => rest = &rest[n..],
            Err(_) => {
                failed = true;
                break;
            }
        }
        if hs.pending_authorization().is_some() {
            let _ = hs.accept();
        }
    }
    if failed {
        assert!(matches!(hs.poll_transmit(&mut out), Ok(None) | Err(_)));
    }
    assert!(!hs.is_complete(), "a handshake completed with a peer nobody is");
});
