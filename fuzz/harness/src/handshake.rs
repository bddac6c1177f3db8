use ssb_crypto::{CurveSecretKey, Keypair, NetworkKey};
use ssb_handshake::{Handshake, MAX_MESSAGE_LEN};

/// Both handshake roles fed arbitrary bytes at arbitrary split points: never a panic, never
/// an outcome (no one holds the keys these bytes would need), and nothing is transmitted
/// after a failure. The first byte picks the role and the split points.
pub fn handshake_input(data: &[u8]) {
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
    assert!(
        !hs.is_complete(),
        "a handshake completed with a peer nobody is"
    );
}

/// How the input bends a real handshake between two honest machines.
struct Plan {
    wrong_net_key: bool,
    wrong_server_key: bool,
    reject: bool,
    step: usize,
    /// Per message (msg1..msg4): `(position, xor)` flips, and a truncation length.
    flips: [Vec<(usize, u8)>; 4],
    cut: [Option<usize>; 4],
    /// Bytes the client's peer sends right after msg4 (the start of its box stream).
    trailer: Vec<u8>,
}

impl Plan {
    fn parse(data: &[u8]) -> Option<Plan> {
        let (&flags, mut rest) = data.split_first()?;
        let mut plan = Plan {
            wrong_net_key: flags & 1 != 0 && flags & 0x80 != 0,
            wrong_server_key: flags & 2 != 0 && flags & 0x80 != 0,
            reject: flags & 4 != 0 && flags & 0x40 != 0,
            step: usize::from((flags >> 3) & 7) * 13 + 1,
            flips: Default::default(),
            cut: [None; 4],
            trailer: Vec::new(),
        };
        // Then four-byte edits: message (2 bits) and kind (1 bit) | position (2 bytes) | value.
        while let [op, hi, lo, val, ref tail @ ..] = *rest {
            rest = tail;
            let msg = usize::from(op & 3);
            let pos = usize::from(u16::from_be_bytes([hi, lo]));
            if op & 4 == 0 {
                if val != 0 {
                    plan.flips[msg].push((pos, val));
                }
            } else {
                plan.cut[msg] = Some(pos);
            }
            if op & 8 != 0 {
                plan.trailer.push(val);
            }
        }
        Some(plan)
    }
}

/// A real client and server handshake, with the input choosing wrong keys, a rejection, byte
/// flips and truncations of any of the four messages in flight, the split points, and box-
/// stream bytes that follow msg4. Checks: with no interference both sides complete, agree on
/// every key, name each other and leave the trailing bytes unconsumed; any change to a
/// message makes its receiver fail (every byte of every message is authenticated); a failed
/// or rejected side never transmits again; the client completes only after an intact msg4.
pub fn handshake_pair(data: &[u8]) {
    let Some(plan) = Plan::parse(data) else {
        return;
    };
    let alice = Keypair::from_seed(&[0xa1; 32]);
    let bob = Keypair::from_seed(&[0xb0; 32]);
    let mallory = Keypair::from_seed(&[0x3e; 32]);
    let client_net = if plan.wrong_net_key {
        NetworkKey([7; 32])
    } else {
        NetworkKey::MAIN_NET
    };
    let dialled = if plan.wrong_server_key {
        mallory.public()
    } else {
        bob.public()
    };
    let mut client = Handshake::client(
        client_net,
        &alice,
        dialled,
        CurveSecretKey::from_bytes([0x11; 32]),
    );
    let mut server = Handshake::server(
        NetworkKey::MAIN_NET,
        &bob,
        CurveSecretKey::from_bytes([0x22; 32]),
    );

    let mut out = [0u8; MAX_MESSAGE_LEN];
    let mut tampered = [false; 4];
    let mut server_failed = false;
    let mut client_failed = false;
    let mut client_leftover = 0usize;
    // Messages alternate: msg1 client→server, msg2 server→client, and so on.
    #[allow(
        clippy::needless_range_loop,
        reason = "`msg` numbers the message; several per-message arrays are indexed by it"
    )]
    for msg in 0..4 {
        let from_client = msg % 2 == 0;
        let sender = if from_client {
            &mut client
        } else {
            &mut server
        };
        let Ok(Some(n)) = sender.poll_transmit(&mut out) else {
            break;
        };
        let original = out[..n].to_vec();
        let mut wire = original.clone();
        for &(pos, x) in &plan.flips[msg] {
            let len = wire.len();
            wire[pos % len] ^= x;
        }
        let cut = plan.cut[msg].map(|c| c % wire.len());
        if let Some(c) = cut {
            wire.truncate(c);
        }
        tampered[msg] = wire != original[..wire.len()];
        if msg == 3 {
            wire.extend_from_slice(&plan.trailer);
        }
        let receiver = if from_client {
            &mut server
        } else {
            &mut client
        };
        let mut consumed = 0;
        let mut failed = false;
        for piece in wire.chunks(plan.step) {
            match receiver.handle_input(piece) {
                Ok(k) => consumed += k,
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        if failed {
            assert!(
                !matches!(receiver.poll_transmit(&mut out), Ok(Some(_))),
                "msg{}: transmitted after a failure",
                msg + 1
            );
            if from_client {
                server_failed = true;
            } else {
                client_failed = true;
            }
            break;
        }
        if cut.is_some() {
            // The receiver waits for the rest, which never comes (an altered prefix cannot be
            // detected before the whole message is in).
            assert_eq!(consumed, wire.len());
            assert!(!receiver.is_complete());
            break;
        }
        assert!(
            !tampered[msg],
            "msg{}: altered in flight and accepted",
            msg + 1
        );
        if msg == 3 {
            client_leftover = wire.len() - consumed;
        }
        if msg == 2 {
            // msg3 authenticated the client: the server decides.
            assert_eq!(server.pending_authorization(), Some(alice.public()));
            if plan.reject {
                let _ = server.reject();
                assert!(!matches!(server.poll_transmit(&mut out), Ok(Some(_))));
                assert!(!server.is_complete());
                break;
            }
            server.accept().expect("accept after msg3");
        }
    }

    let keys_right = !plan.wrong_net_key && !plan.wrong_server_key;
    if plan.wrong_net_key && plan.cut[0].is_none() {
        assert!(server_failed, "msg1 under another network key was accepted");
    }
    if plan.wrong_server_key && !plan.wrong_net_key && !tampered[0] && !tampered[1] {
        assert!(
            server_failed || plan.cut[..3].iter().any(Option::is_some),
            "msg3 for another server key was accepted"
        );
    }
    let untouched = tampered.iter().all(|t| !t) && plan.cut.iter().all(Option::is_none);
    if keys_right && untouched && !plan.reject {
        assert!(!server_failed && !client_failed);
        assert!(client.is_complete() && server.is_complete());
        assert_eq!(
            client_leftover,
            plan.trailer.len(),
            "msg4's trailer was consumed"
        );
        let c = client.into_outcome().expect("client outcome");
        let s = server.into_outcome().expect("server outcome");
        assert_eq!(c.peer, bob.public());
        assert_eq!(s.peer, alice.public());
        assert!(
            c.send == s.recv && c.recv == s.send,
            "the two sides derived different keys"
        );
        assert!(c.send != c.recv, "both directions share a key");
    } else {
        assert!(
            !client.is_complete(),
            "the client completed an interfered handshake"
        );
        assert!(client.into_outcome().is_err());
    }
}
