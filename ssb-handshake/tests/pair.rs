//! A client and a server driven against each other in memory: the docs/PROTOCOL.md §9.1 known answers,
//! input split at every possible boundary, leftovers, every failure step, stickiness.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use ssb_crypto::{CurveSecretKey, Keypair, NetworkKey, PublicKey};
use ssb_handshake::{
    AuthFailure, BoxKeys, BufferTooSmall, Event, Handshake, HandshakeError, HandshakeOutcome,
    LocalError, MAX_MESSAGE_LEN, RemoteError, Step,
};

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    ssb_crypto::hex::decode_vec(&s).unwrap()
}

fn arr<const N: usize>(s: &str) -> [u8; N] {
    unhex(s).try_into().unwrap()
}

/// Ephemeral keys as JS makes them: an Ed25519 key pair from a seed, converted.
fn js_ephemeral(seed: u8) -> CurveSecretKey {
    Keypair::from_seed(&[seed; 32]).to_curve_secret()
}

struct Pair {
    client: Handshake,
    server: Handshake,
    client_pk: PublicKey,
}

fn pair() -> (Pair, Keypair, Keypair) {
    let alice = Keypair::from_seed(&[1; 32]);
    let bob = Keypair::from_seed(&[2; 32]);
    let client = Handshake::client(NetworkKey::MAIN_NET, &alice, bob.public(), js_ephemeral(3));
    let server = Handshake::server(NetworkKey::MAIN_NET, &bob, js_ephemeral(4));
    let client_pk = alice.public();
    (
        Pair {
            client,
            server,
            client_pk,
        },
        alice,
        bob,
    )
}

fn take(h: &mut Handshake) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; MAX_MESSAGE_LEN];
    while let Some(n) = h.poll_transmit(&mut buf).unwrap() {
        out.extend_from_slice(&buf[..n]);
    }
    out
}

/// Feeds `bytes` in the given piece sizes (the last piece takes the rest); all must be consumed.
fn feed(h: &mut Handshake, bytes: &[u8], cuts: &[usize]) -> Result<(), HandshakeError> {
    let mut rest = bytes;
    for &c in cuts {
        let (now, later) = rest.split_at(c.min(rest.len()));
        assert_eq!(h.handle_input(now)?, now.len());
        rest = later;
    }
    assert_eq!(h.handle_input(rest)?, rest.len());
    Ok(())
}

/// Runs a whole handshake; `cuts[i]` splits message i+1 on its way.
fn run(mut p: Pair, cuts: [&[usize]; 4]) -> (HandshakeOutcome, HandshakeOutcome, Vec<Vec<u8>>) {
    let msg1 = take(&mut p.client);
    assert!(take(&mut p.server).is_empty(), "the server speaks second");
    feed(&mut p.server, &msg1, cuts[0]).unwrap();
    let msg2 = take(&mut p.server);
    feed(&mut p.client, &msg2, cuts[1]).unwrap();
    let msg3 = take(&mut p.client);
    feed(&mut p.server, &msg3, cuts[2]).unwrap();
    assert_eq!(
        p.server.poll_event(),
        Some(Event::ClientAuthenticated(p.client_pk))
    );
    assert!(!p.server.is_complete());
    p.server.accept().unwrap();
    assert!(!p.server.is_complete(), "msg4 still queued");
    let msg4 = take(&mut p.server);
    assert!(p.server.is_complete());
    feed(&mut p.client, &msg4, cuts[3]).unwrap();
    assert!(p.client.is_complete());
    assert!(take(&mut p.client).is_empty());
    let c = p.client.into_outcome().unwrap();
    let s = p.server.into_outcome().unwrap();
    (c, s, vec![msg1, msg2, msg3, msg4])
}

#[test]
fn spec_9_1_known_answers() {
    let (p, alice, bob) = pair();
    let (c, s, msgs) = run(p, [&[], &[], &[], &[]]);
    assert_eq!(
        msgs[0],
        unhex(
            "28c218018fb494285b3c31cee451d460d8d73f843a99baceb564dd5f46f3278e
             75e270df2952c57ba8367ba8618c178f9fe50db2799d304e74e918d985686146"
        )
    );
    assert_eq!(
        msgs[1],
        unhex(
            "c1bea72b1b06c117aba5ab1ab0cf41f6af08b4426fe0c1ae9db73f39d8f28855
             edd03cade80d29de6ea313a74ab369f4732ecb36649066b78b5b2dd664cb0417"
        )
    );
    assert_eq!(
        msgs[2],
        unhex(
            "12e62a78b59fa4dec4cbd8d0935ac65bce246bc3078792d9aac6c60aa233d2b4
             6a0d432173da44343196baa17541ed5d55d67ef3c10addc8a30c9760b5f95fab
             f92ee384747c8bbd00e89d6c5304d23fb295dc136df45559c88964f0b987ff05
             b04b73820145fb31d2c957c3c35d6e4e"
        )
    );
    assert_eq!(
        msgs[3],
        unhex(
            "23857ffb1ffe8b56bb10f971a0876327a11b93f913d8010f43fe8929f9965502
             c9ca7ba1b7c798b1f7527016d1a3c4c16c91068595a49743db7a20e6f1f2b36b
             30e213db669c77b48438c6b66ba17f5d"
        )
    );
    let c2s_key = arr("1b09decc219671538c81bddc7761450c6f75a083ba2a9febb65212c2068c7f83");
    let c2s_nonce = arr("c1bea72b1b06c117aba5ab1ab0cf41f6af08b4426fe0c1ae");
    let s2c_key = arr("6bc54c9e93faee942fc509d606506bcda45c1d7984a6e8890e19b68bcd9cbd40");
    let s2c_nonce = arr("28c218018fb494285b3c31cee451d460d8d73f843a99bace");
    assert_eq!((c.send.key, c.send.nonce), (c2s_key, c2s_nonce));
    assert_eq!((c.recv.key, c.recv.nonce), (s2c_key, s2c_nonce));
    assert_eq!(c.send, s.recv);
    assert_eq!(c.recv, s.send);
    assert_eq!(c.peer, bob.public());
    assert_eq!(s.peer, alice.public());
    // The shs1-test outcome encoding.
    let bytes = c.to_shs1_test_bytes();
    assert_eq!(&bytes[..32], &c2s_key);
    assert_eq!(&bytes[88..], &s2c_nonce);
}

#[test]
fn every_split_point_of_every_message() {
    let (p, ..) = pair();
    let (c0, s0, _) = run(p, [&[], &[], &[], &[]]);
    let lens = [64usize, 64, 112, 80];
    for (m, &len) in lens.iter().enumerate() {
        for cut in 0..=len {
            let (p, ..) = pair();
            let mut cuts: [&[usize]; 4] = [&[], &[], &[], &[]];
            let one = [cut];
            cuts[m] = &one;
            let (c, s, _) = run(p, cuts);
            assert_eq!((&c, &s), (&c0, &s0), "message {} cut at {cut}", m + 1);
        }
    }
    // And one byte at a time, everywhere.
    let (p, ..) = pair();
    let ones = [1usize; 112];
    let (c, s, _) = run(p, [&ones[..63], &ones[..63], &ones[..111], &ones[..79]]);
    assert_eq!((c, s), (c0, s0));
}

#[test]
fn bytes_needed_counts_down_and_leftovers_are_not_consumed() {
    let (mut p, ..) = pair();
    let msg1 = take(&mut p.client);
    assert_eq!(p.server.bytes_needed(), 64);
    assert_eq!(p.server.handle_input(&msg1[..10]).unwrap(), 10);
    assert_eq!(p.server.bytes_needed(), 54);
    assert_eq!(p.server.handle_input(&msg1[10..]).unwrap(), 54);
    assert_eq!(p.server.bytes_needed(), 112);
    let msg2 = take(&mut p.server);
    assert_eq!(p.client.handle_input(&msg2).unwrap(), 64);
    let mut msg3 = take(&mut p.client);
    // The client pipelines early box-stream bytes after msg3: the server leaves them.
    msg3.extend_from_slice(b"early data");
    assert_eq!(p.server.handle_input(&msg3).unwrap(), 112);
    assert_eq!(p.server.bytes_needed(), 0);
    assert_eq!(p.server.handle_input(b"more").unwrap(), 0);
    assert_eq!(p.server.pending_authorization(), Some(p.client_pk));
    p.server.accept().unwrap();
    let mut msg4 = take(&mut p.server);
    msg4.extend_from_slice(b"box stream bytes");
    assert_eq!(p.client.handle_input(&msg4[..50]).unwrap(), 50);
    assert_eq!(p.client.handle_input(&msg4[50..]).unwrap(), 30);
    assert!(p.client.is_complete());
    assert_eq!(p.client.handle_input(b"x").unwrap(), 0);
}

#[test]
fn handle_message_takes_exactly_one_message() {
    let (mut p, ..) = pair();
    let msg1 = take(&mut p.client);
    assert_eq!(
        p.server.handle_message(&msg1[..63]),
        Err(HandshakeError::Local(LocalError::WrongInputSize {
            expected: 64,
            found: 63
        }))
    );
    assert_eq!(
        p.server.bytes_needed(),
        64,
        "a refused message changes nothing"
    );
    p.server.handle_message(&msg1).unwrap();
    assert_eq!(
        p.server.handle_message(&[0; 64]),
        Err(HandshakeError::Local(LocalError::WrongInputSize {
            expected: 112,
            found: 64
        }))
    );
}

fn remote(step: Step, error: RemoteError) -> HandshakeError {
    HandshakeError::Remote { step, error }
}

/// Runs until the first error; returns it with what the failing side transmitted afterwards.
fn corrupt_run(msg: usize, byte: usize) -> (HandshakeError, Vec<u8>) {
    let (mut p, ..) = pair();
    let flip = |m: usize, mut v: Vec<u8>| {
        if m == msg {
            v[byte] ^= 0x01;
        }
        v
    };
    let msg1 = flip(1, take(&mut p.client));
    if let Err(e) = feed(&mut p.server, &msg1, &[]) {
        return (e, take_after_failure(&mut p.server));
    }
    let msg2 = flip(2, take(&mut p.server));
    if let Err(e) = feed(&mut p.client, &msg2, &[]) {
        return (e, take_after_failure(&mut p.client));
    }
    let msg3 = flip(3, take(&mut p.client));
    if let Err(e) = feed(&mut p.server, &msg3, &[]) {
        assert_eq!(p.server.poll_event(), None);
        return (e, take_after_failure(&mut p.server));
    }
    p.server.accept().unwrap();
    let msg4 = flip(4, take(&mut p.server));
    match feed(&mut p.client, &msg4, &[]) {
        Err(e) => (e, take_after_failure(&mut p.client)),
        Ok(()) => panic!("corrupt msg{msg} byte {byte} accepted"),
    }
}

/// After a failure nothing is transmitted: poll_transmit keeps returning the error.
fn take_after_failure(h: &mut Handshake) -> Vec<u8> {
    let mut buf = [0u8; MAX_MESSAGE_LEN];
    let e = h.error().expect("failed");
    assert_eq!(h.poll_transmit(&mut buf), Err(e));
    assert_eq!(h.handle_input(&[0; 200]), Err(e), "sticky");
    assert_eq!(h.bytes_needed(), 0);
    assert!(!h.is_complete());
    Vec::new()
}

#[test]
fn any_flipped_bit_fails_at_its_step_and_silences_the_receiver() {
    for (msg, len) in [(1, 64), (2, 64), (3, 112), (4, 80)] {
        for byte in 0..len {
            let (e, sent) = corrupt_run(msg, byte);
            assert!(sent.is_empty());
            let step = [
                Step::ClientHello,
                Step::ServerHello,
                Step::ClientAuth,
                Step::ServerAccept,
            ][msg - 1];
            assert_eq!(e.step(), Some(step), "msg{msg} byte {byte}: {e}");
            assert!(e.is_remote());
            let want = match msg {
                1 => remote(step, RemoteError::BadClientHello),
                2 => remote(step, RemoteError::BadServerHello),
                3 => remote(
                    step,
                    RemoteError::ClientAuthRejected(AuthFailure::Unauthentic),
                ),
                _ => remote(
                    step,
                    RemoteError::ServerAcceptRejected(AuthFailure::Unauthentic),
                ),
            };
            assert_eq!(e, want, "msg{msg} byte {byte}");
        }
    }
}

#[test]
fn wrong_network_key_gets_no_reply() {
    let alice = Keypair::from_seed(&[1; 32]);
    let bob = Keypair::from_seed(&[2; 32]);
    let mut client = Handshake::client(NetworkKey([9; 32]), &alice, bob.public(), js_ephemeral(3));
    let mut server = Handshake::server(NetworkKey::MAIN_NET, &bob, js_ephemeral(4));
    let msg1 = take(&mut client);
    let e = server.handle_input(&msg1).unwrap_err();
    assert_eq!(e, remote(Step::ClientHello, RemoteError::BadClientHello));
    assert_eq!(e.code(), "shs_bad_client_hello");
    let mut buf = [0u8; MAX_MESSAGE_LEN];
    assert_eq!(server.poll_transmit(&mut buf), Err(e));
}

#[test]
fn wrong_server_key_fails_at_client_auth() {
    let alice = Keypair::from_seed(&[1; 32]);
    let bob = Keypair::from_seed(&[2; 32]);
    let mallory = Keypair::from_seed(&[5; 32]);
    let mut client = Handshake::client(
        NetworkKey::MAIN_NET,
        &alice,
        mallory.public(),
        js_ephemeral(3),
    );
    let mut server = Handshake::server(NetworkKey::MAIN_NET, &bob, js_ephemeral(4));
    server.handle_input(&take(&mut client)).unwrap();
    client.handle_input(&take(&mut server)).unwrap();
    let e = server.handle_input(&take(&mut client)).unwrap_err();
    assert_eq!(
        e,
        remote(
            Step::ClientAuth,
            RemoteError::ClientAuthRejected(AuthFailure::Unauthentic)
        )
    );
}

#[test]
fn authorization_hook_reject_sends_nothing() {
    let (mut p, ..) = pair();
    assert_eq!(
        p.server.accept(),
        Err(HandshakeError::Local(LocalError::NotAwaitingAuthorization))
    );
    p.server.handle_input(&take(&mut p.client)).unwrap();
    p.client.handle_input(&take(&mut p.server)).unwrap();
    p.server.handle_input(&take(&mut p.client)).unwrap();
    assert!(matches!(
        p.server.poll_event(),
        Some(Event::ClientAuthenticated(_))
    ));
    p.server.reject().unwrap();
    let mut buf = [0u8; MAX_MESSAGE_LEN];
    let e = HandshakeError::Local(LocalError::Rejected);
    assert_eq!(p.server.poll_transmit(&mut buf), Err(e));
    assert_eq!(p.server.accept(), Err(e));
    assert_eq!(p.server.into_outcome(), Err(e));
}

#[test]
fn low_order_ephemeral_with_a_valid_mac_is_refused_silently() {
    let bob = Keypair::from_seed(&[2; 32]);
    // The identity (u = 0) and u = 1 are low-order X25519 points.
    for point in [[0u8; 32], {
        let mut p = [0u8; 32];
        p[0] = 1;
        p
    }] {
        let mut server = Handshake::server(NetworkKey::MAIN_NET, &bob, js_ephemeral(4));
        let mac = ssb_crypto::hash::auth(NetworkKey::MAIN_NET.as_bytes(), &point);
        let mut msg1 = mac.to_vec();
        msg1.extend_from_slice(&point);
        let e = server.handle_input(&msg1).unwrap_err();
        assert_eq!(
            e,
            remote(Step::ClientHello, RemoteError::LowOrderSharedSecret)
        );
        assert!(take_after_failure(&mut server).is_empty());
    }
}

#[test]
fn unusable_server_key_fails_at_msg2_like_js() {
    let alice = Keypair::from_seed(&[1; 32]);
    let bob = Keypair::from_seed(&[2; 32]);
    let mut y = [0u8; 32];
    y[0] = 1; // the identity point: small order, not convertible
    let mut client = Handshake::client(NetworkKey::MAIN_NET, &alice, PublicKey(y), js_ephemeral(3));
    let mut server = Handshake::server(NetworkKey::MAIN_NET, &bob, js_ephemeral(4));
    server.handle_input(&take(&mut client)).unwrap();
    let e = client.handle_input(&take(&mut server)).unwrap_err();
    assert_eq!(e, HandshakeError::Local(LocalError::InvalidServerKey));
    assert_eq!(e.step(), Some(Step::ServerHello));
}

#[test]
fn small_output_buffer_keeps_the_message_queued() {
    let (mut p, ..) = pair();
    let mut small = [0u8; 10];
    assert_eq!(
        p.client.poll_transmit(&mut small),
        Err(HandshakeError::Local(LocalError::BufferTooSmall(
            BufferTooSmall { required: 64 }
        )))
    );
    assert_eq!(
        p.client.poll_transmit(&mut small).unwrap_err().code(),
        "buffer_too_small"
    );
    assert_eq!(take(&mut p.client).len(), 64);
    assert_eq!(
        Handshake::server(
            NetworkKey::MAIN_NET,
            &Keypair::from_seed(&[2; 32]),
            js_ephemeral(4)
        )
        .into_outcome(),
        Err(HandshakeError::Local(LocalError::NotComplete))
    );
}

#[test]
fn random_keys_agree_and_debug_hides_secrets() {
    let mut rng = rand_core::OsRng;
    let alice = Keypair::generate(&mut rng);
    let bob = Keypair::generate(&mut rng);
    let client = Handshake::client_with_rng(NetworkKey::MAIN_NET, &alice, bob.public(), &mut rng);
    let server = Handshake::server_with_rng(NetworkKey::MAIN_NET, &bob, &mut rng);
    let (c, s, _) = run(
        Pair {
            client,
            server,
            client_pk: alice.public(),
        },
        [&[], &[], &[], &[]],
    );
    assert_eq!(c.send, s.recv);
    assert_eq!(c.recv, s.send);
    // The box keys' bytes must not appear in any form a leaking Debug would print them (the
    // nonces are not secret: they are HMACs sent in the clear in msg1 and msg2). Whitespace
    // is ignored so `{:#?}`'s one element per line is searched too.
    for dbg in [
        format!("{c:?}"),
        format!("{c:#?}"),
        format!("{s:?} {:?}", c.send),
    ] {
        let squeezed: String = dbg.chars().filter(|ch| !ch.is_whitespace()).collect();
        for key in [&c.send.key, &c.recv.key] {
            for piece in [&key[..], &key[..8], &key[8..16], &key[16..24], &key[24..]] {
                let hex = ssb_crypto::hex::encode(piece);
                let b64 = ssb_crypto::base64::encode(piece);
                let dec: Vec<String> = piece.iter().map(u8::to_string).collect();
                let hexlist: Vec<String> = piece.iter().map(|b| format!("{b:x}")).collect();
                for form in [
                    hex.clone(),
                    hex.to_uppercase(),
                    b64.trim_end_matches('=').to_owned(),
                    b64.trim_end_matches('=')
                        .replace('+', "-")
                        .replace('/', "_"),
                    dec.join(","),
                    hexlist.join(","),
                ] {
                    assert!(!squeezed.contains(&form), "{dbg} contains {form:?}");
                }
            }
        }
    }
}

#[test]
fn garbage_never_panics() {
    // Deterministic pseudo-random garbage at every step, in odd piece sizes.
    let mut x: u64 = 0x1234_5678_9abc_def0;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u8
    };
    for round in 0..200 {
        let (mut p, ..) = pair();
        let garbage: Vec<u8> = (0..300).map(|_| next()).collect();
        let target = if round % 2 == 0 {
            &mut p.server
        } else {
            &mut p.client
        };
        let mut rest = &garbage[..];
        while !rest.is_empty() {
            let n = (rest.len()).min(1 + usize::from(rest[0]) % 70);
            match target.handle_input(&rest[..n]) {
                Ok(0) => break,
                Ok(_) => {}
                Err(_) => break,
            }
            rest = &rest[n..];
        }
        assert!(!target.is_complete());
    }
}

#[test]
fn box_keys_compare_by_value_and_debug_hides_them() {
    let keys = || BoxKeys {
        key: core::array::from_fn(|i| 0x20 + u8::try_from(i).unwrap_or(0)),
        nonce: core::array::from_fn(|i| 0xa0 + u8::try_from(i).unwrap_or(0)),
    };
    assert_eq!(keys(), keys());
    for i in 0..32 {
        let mut k = keys();
        k.key[i] ^= 1;
        assert_ne!(k, keys(), "key byte {i}");
    }
    for i in 0..24 {
        let mut k = keys();
        k.nonce[i] ^= 1;
        assert_ne!(k, keys(), "nonce byte {i}");
    }
    let dbg = format!("{:?}", keys());
    assert_eq!(dbg, "BoxKeys(..)");
}
