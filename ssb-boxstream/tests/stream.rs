//! Box-stream round trips, the docs/PROTOCOL.md §9.2 known answers, every split point, truncation,
//! tampering, limits and stickiness.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

#[path = "../../ssb-sansio/tests/contract/mod.rs"]
mod contract;

use ssb_boxstream::{
    BufferTooSmall, Decoded, Decryptor, Encryptor, Frame, GOODBYE_LEN, HEADER_LEN, MAX_BODY_LEN,
    OpenError, Progress, SealError, increment_be, sealed_len,
};

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    ssb_crypto::hex::decode_vec(&s).unwrap()
}

const KEY: [u8; 32] = [7; 32];
const NONCE: [u8; 24] = [0; 24];

fn seal_all(chunks: &[&[u8]], goodbye: bool, key: [u8; 32], nonce: [u8; 24]) -> Vec<u8> {
    let mut enc = Encryptor::new(key, nonce);
    let mut wire = Vec::new();
    for c in chunks {
        let start = wire.len();
        wire.resize(start + sealed_len(c.len()), 0);
        assert_eq!(
            enc.seal(c, &mut wire[start..]).unwrap(),
            sealed_len(c.len())
        );
    }
    if goodbye {
        let start = wire.len();
        wire.resize(start + GOODBYE_LEN, 0);
        enc.seal_goodbye(&mut wire[start..]).unwrap();
    }
    wire
}

#[derive(Debug, PartialEq)]
struct Received {
    frames: Vec<Vec<u8>>,
    end: Result<(), OpenError>,
}

/// Opens `wire` delivered in pieces cut at `cuts` (sorted offsets).
fn open_pieces(wire: &[u8], cuts: &[usize], key: [u8; 32], nonce: [u8; 24]) -> Received {
    let mut dec = Decryptor::new(key, nonce);
    let mut frames = Vec::new();
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(wire.len());
    for w in bounds.windows(2) {
        let mut piece = &wire[w[0]..w[1]];
        loop {
            match dec.open(piece) {
                Err(e) => {
                    assert_eq!(dec.open(b"more"), Err(e), "sticky");
                    assert_eq!(dec.finish(), Err(e));
                    return Received {
                        frames,
                        end: Err(e),
                    };
                }
                Ok(o) => {
                    let consumed = o.consumed;
                    assert!(consumed <= piece.len());
                    let done = consumed == piece.len();
                    match o.progress {
                        Progress::Frame(Frame::Data(d)) => frames.push(d.to_vec()),
                        Progress::Frame(Frame::Goodbye) => frames.push(b"<goodbye>".to_vec()),
                        Progress::NeedMore(n) => {
                            assert!(done, "no frame means the input was used up");
                            assert!(n > 0);
                            assert_eq!(n, dec.bytes_needed());
                        }
                        Progress::Ended => assert!(done, "after the goodbye all is consumed"),
                    }
                    piece = &piece[consumed..];
                    if piece.is_empty() {
                        break;
                    }
                }
            }
        }
    }
    let end = dec.finish();
    Received { frames, end }
}

/// Opens with the zero-copy API, the caller accumulating `step` bytes at a time.
fn open_in_place_steps(wire: &[u8], step: usize) -> Received {
    let mut dec = Decryptor::new(KEY, NONCE);
    let mut frames = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0;
    loop {
        match dec.open_in_place(&mut buf) {
            Err(e) => {
                return Received {
                    frames,
                    end: Err(e),
                };
            }
            Ok(Decoded {
                progress: Progress::Ended,
                consumed,
            }) => {
                assert_eq!(consumed, buf.len());
                break;
            }
            Ok(Decoded {
                consumed,
                progress: Progress::Frame(frame),
            }) => {
                match frame {
                    Frame::Data(d) => frames.push(d.to_vec()),
                    Frame::Goodbye => frames.push(b"<goodbye>".to_vec()),
                }
                buf.drain(..consumed);
            }
            Ok(Decoded {
                consumed,
                progress: Progress::NeedMore(n),
            }) => {
                assert!(n > 0 && consumed == 0);
                if fed == wire.len() {
                    break;
                }
                let m = step.min(wire.len() - fed);
                buf.extend_from_slice(&wire[fed..fed + m]);
                fed += m;
            }
        }
    }
    let end = dec.finish();
    Received { frames, end }
}

fn ok(frames: &[&[u8]]) -> Received {
    let mut f: Vec<Vec<u8>> = frames.iter().map(|c| c.to_vec()).collect();
    f.push(b"<goodbye>".to_vec());
    Received {
        frames: f,
        end: Ok(()),
    }
}

#[test]
fn spec_9_2_known_answers() {
    let key: [u8; 32] = unhex("1b09decc219671538c81bddc7761450c6f75a083ba2a9febb65212c2068c7f83")
        .try_into()
        .unwrap();
    let nonce: [u8; 24] = unhex("c1bea72b1b06c117aba5ab1ab0cf41f6af08b4426fe0c1ae")
        .try_into()
        .unwrap();
    let wire = seal_all(&[b"hello"], true, key, nonce);
    assert_eq!(
        wire,
        unhex(
            "e091ad18fbe44bc361076f22820864d037e8351ae456806d656aa25ab39f8e19b05c
             6dcca4d399
             860197083c1b0e0216758b93edc5a3d20a8392d4a5e78d753a8cf68330ba9258701e"
        )
    );
    assert_eq!(open_pieces(&wire, &[], key, nonce), ok(&[b"hello"]));
}

#[test]
fn sizes_split_into_4096_byte_frames() {
    let big: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + 3) as u8).collect();
    for len in [
        0usize, 1, 2, 33, 34, 35, 4095, 4096, 4097, 8192, 8193, 100_000,
    ] {
        let data = &big[..len];
        let wire = seal_all(&[data], true, KEY, NONCE);
        assert_eq!(wire.len(), sealed_len(len) + GOODBYE_LEN);
        let expected: Vec<&[u8]> = data.chunks(MAX_BODY_LEN).collect();
        assert_eq!(
            open_pieces(&wire, &[], KEY, NONCE),
            ok(&expected),
            "len {len}"
        );
        assert_eq!(open_in_place_steps(&wire, 1000), ok(&expected), "len {len}");
    }
}

#[test]
fn every_split_point_and_every_byte_alone() {
    let chunks: [&[u8]; 3] = [b"a", b"hello world", &[9u8; 100]];
    let wire = seal_all(&chunks, true, KEY, NONCE);
    let want = ok(&chunks);
    for cut in 0..=wire.len() {
        assert_eq!(open_pieces(&wire, &[cut], KEY, NONCE), want, "cut at {cut}");
        for cut2 in (cut..=wire.len()).step_by(7) {
            assert_eq!(open_pieces(&wire, &[cut, cut2], KEY, NONCE), want);
        }
    }
    let all: Vec<usize> = (1..wire.len()).collect();
    assert_eq!(open_pieces(&wire, &all, KEY, NONCE), want);
    for step in 1..40 {
        assert_eq!(open_in_place_steps(&wire, step), want, "step {step}");
    }
}

/// A decrypt step with owned output: `Frame(Some(body))`, `Frame(None)` for the goodbye.
fn owned(d: Decoded<Frame<'_>>) -> contract::Step<Option<Vec<u8>>> {
    let frame = |f| match f {
        Frame::Data(b) => Some(b.to_vec()),
        Frame::Goodbye => None,
    };
    (d.consumed, d.progress.map(frame))
}

/// `NeedMore(n)` is the number of bytes still to come, beyond those given, through both
/// decrypt APIs and at every position in every frame (the check all codecs share): exactly
/// `n` more complete what was missing (the frame, or a header that then asks for its whole
/// body), `n - 1` more do not.
#[test]
fn need_more_counts_the_bytes_beyond_those_given() {
    let chunks: [&[u8]; 3] = [b"a", b"hello world", &[9u8; 100]];
    let wire = seal_all(&chunks, true, KEY, NONCE);
    let mut frames: Vec<_> = chunks.iter().map(|c| (c.len(), Some(c.to_vec()))).collect();
    frames.push((0, None)); // the goodbye: a header alone
    contract::check_need_more(
        &wire,
        HEADER_LEN,
        &frames,
        || Decryptor::new(KEY, NONCE),
        |dec, input| owned(dec.open(input).unwrap()),
        |dec, buf| owned(dec.open_in_place(buf).unwrap()),
    );
}

#[test]
fn every_truncation_is_an_error_and_never_leaks_partial_plaintext() {
    let chunks: [&[u8]; 2] = [b"first", b"second frame"];
    let wire = seal_all(&chunks, true, KEY, NONCE);
    let frame1 = HEADER_LEN + 5;
    let frame2 = frame1 + HEADER_LEN + 12;
    for len in 0..wire.len() {
        let r = open_pieces(&wire[..len], &[], KEY, NONCE);
        assert_eq!(r.end, Err(OpenError::Truncated), "prefix {len}");
        let complete = [0, frame1, frame2]
            .iter()
            .filter(|&&b| b > 0 && len >= b)
            .count();
        assert_eq!(r.frames.len(), complete, "prefix {len}");
    }
    // Also without a goodbye at all: exactly at a frame boundary.
    let no_bye = seal_all(&chunks, false, KEY, NONCE);
    assert_eq!(
        open_pieces(&no_bye, &[], KEY, NONCE).end,
        Err(OpenError::Truncated)
    );
}

#[test]
fn every_tampered_byte_is_fatal_at_its_frame() {
    let chunks: [&[u8]; 2] = [b"first", b"second frame"];
    let wire = seal_all(&chunks, true, KEY, NONCE);
    let frame1 = HEADER_LEN + 5;
    for i in 0..wire.len() {
        let mut bad = wire.clone();
        bad[i] ^= 0x80;
        let r = open_pieces(&bad, &[], KEY, NONCE);
        let in_frame1 = i < frame1;
        let offset = if in_frame1 { i } else { i - frame1 };
        let want_err = if offset < HEADER_LEN || i >= frame1 + HEADER_LEN + 12 {
            OpenError::HeaderUnauthentic
        } else {
            OpenError::BodyUnauthentic
        };
        assert_eq!(r.end, Err(want_err), "byte {i}");
        let frame2 = frame1 + HEADER_LEN + 12;
        let delivered = [frame1, frame2].iter().filter(|&&end| i >= end).count();
        assert_eq!(r.frames.len(), delivered, "byte {i}");
        // The zero-copy path agrees.
        assert_eq!(open_in_place_steps(&bad, 13), r, "byte {i}");
    }
}

#[test]
fn wrong_key_or_nonce_fails_on_the_first_header() {
    let wire = seal_all(&[b"x"], true, KEY, NONCE);
    let mut n1 = NONCE;
    increment_be(&mut n1);
    assert_eq!(
        open_pieces(&wire, &[], KEY, n1).end,
        Err(OpenError::HeaderUnauthentic)
    );
    assert_eq!(
        open_pieces(&wire, &[], [8; 32], NONCE).end,
        Err(OpenError::HeaderUnauthentic)
    );
}

/// Builds a frame by hand with ssb-crypto (for lengths a correct sender never produces).
fn raw_frame(body: &[u8], announced: u16, mac_override: Option<[u8; 16]>) -> Vec<u8> {
    let mut n1 = NONCE;
    increment_be(&mut n1);
    let boxed = ssb_crypto::secretbox::seal(&KEY, &n1, body);
    let mut head = announced.to_be_bytes().to_vec();
    head.extend_from_slice(&mac_override.unwrap_or(boxed[..16].try_into().unwrap()));
    let mut frame = ssb_crypto::secretbox::seal(&KEY, &NONCE, &head);
    frame.extend_from_slice(&boxed[16..]);
    frame
}

#[test]
fn body_longer_than_4096_is_refused() {
    let frame = raw_frame(&[1; 4097], 4097, None);
    let r = open_pieces(&frame, &[], KEY, NONCE);
    assert_eq!(r.end, Err(OpenError::BodyTooLong { len: 4097 }));
    assert_eq!(r.end.unwrap_err().code(), "boxstream_body_too_long");
    let mut buf = frame.clone();
    let mut dec = Decryptor::new(KEY, NONCE);
    assert_eq!(
        dec.open_in_place(&mut buf),
        Err(OpenError::BodyTooLong { len: 4097 })
    );
}

#[test]
fn authentic_empty_body_is_an_empty_frame_forged_one_is_fatal() {
    let frame = raw_frame(&[], 0, None);
    let mut dec = Decryptor::new(KEY, NONCE);
    assert_eq!(
        dec.open(&frame),
        Ok(Decoded {
            consumed: HEADER_LEN,
            progress: Progress::Frame(Frame::Data(&[]))
        })
    );
    // Length 0 with a MAC that is not the empty box's: JS says "invalid packet".
    let forged = raw_frame(&[], 0, Some([1; 16]));
    let r = open_pieces(&forged, &[], KEY, NONCE);
    assert_eq!(r.end, Err(OpenError::BodyUnauthentic));
}

#[test]
fn bytes_after_goodbye_are_ignored() {
    let mut wire = seal_all(&[b"x"], true, KEY, NONCE);
    wire.extend_from_slice(b"trailing junk that is never read");
    assert_eq!(open_pieces(&wire, &[], KEY, NONCE), ok(&[b"x"]));
    let mut dec = Decryptor::new(KEY, NONCE);
    let o = dec.open(&wire).unwrap();
    assert_eq!(o.progress, Progress::Frame(Frame::Data(b"x")));
    let rest = &wire[HEADER_LEN + 1..];
    assert_eq!(
        dec.open(rest),
        Ok(Decoded {
            consumed: GOODBYE_LEN,
            progress: Progress::Frame(Frame::Goodbye)
        })
    );
    assert!(dec.is_finished());
    assert_eq!(
        dec.open(&rest[GOODBYE_LEN..]),
        Ok(Decoded {
            consumed: rest.len() - GOODBYE_LEN,
            progress: Progress::Ended
        })
    );
    assert_eq!(
        dec.open_in_place(&mut [0u8; 3]),
        Ok(Decoded {
            consumed: 3,
            progress: Progress::Ended
        })
    );
}

#[test]
fn encryptor_limits() {
    let mut enc = Encryptor::new(KEY, NONCE);
    let mut small = [0u8; 40];
    assert_eq!(
        enc.seal(&[0; 7], &mut small),
        Err(SealError::BufferTooSmall(BufferTooSmall { required: 41 }))
    );
    assert_eq!(enc.nonce(), &NONCE, "a refused seal changes nothing");
    assert_eq!(enc.seal(&[], &mut []), Ok(0), "empty input, no frame");
    assert_eq!(
        enc.seal_goodbye(&mut small[..33]),
        Err(SealError::BufferTooSmall(BufferTooSmall { required: 34 }))
    );
    assert_eq!(
        enc.seal_goodbye(&mut small[..33]).unwrap_err().code(),
        "buffer_too_small"
    );
    assert_eq!(enc.seal_goodbye(&mut small), Ok(34));
    assert!(enc.is_finished());
    assert_eq!(enc.seal(b"x", &mut [0; 100]), Err(SealError::Finished));
    assert_eq!(enc.seal_goodbye(&mut small), Err(SealError::Finished));
}

#[test]
fn mixing_the_two_decrypt_apis_mid_frame_is_refused() {
    let wire = seal_all(&[b"hello"], true, KEY, NONCE);
    let mut dec = Decryptor::new(KEY, NONCE);
    assert_eq!(
        dec.open(&wire[..10]),
        Ok(Decoded {
            consumed: 10,
            progress: Progress::NeedMore(HEADER_LEN - 10)
        })
    );
    assert_eq!(dec.bytes_needed(), HEADER_LEN - 10);
    let mut buf = wire[10..].to_vec();
    assert_eq!(
        dec.open_in_place(&mut buf),
        Err(OpenError::NotAtFrameBoundary)
    );
    assert!(!OpenError::NotAtFrameBoundary.is_remote());
    // Not sticky: the buffered path continues.
    let o = dec.open(&wire[10..]).unwrap();
    assert_eq!(o.progress, Progress::Frame(Frame::Data(&b"hello"[..])));
}

#[test]
fn nonces_carry_across_bytes_and_wrap() {
    // Known answers from pull-box-stream (test-vectors/vectors/boxstream.json, the
    // `seal/nonce-carry/*` cases): three 10-byte frames from nonces ending `00fe` (the
    // increment carries into the next byte), `00fffffffd` (carries across three bytes) and
    // all `ff` (wraps to zero). Each frame takes two nonces, so every carry is crossed; our
    // sealed bytes must be JS's byte for byte, and JS's bytes must open to the chunks.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../test-vectors/vectors/boxstream.json");
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("boxstream vectors")).unwrap();
    let mut checked = Vec::new();
    for case in file["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        if !id.starts_with("seal/nonce-carry/") {
            continue;
        }
        let input = &case["input"];
        let key: [u8; 32] = unhex(input["key"].as_str().unwrap()).try_into().unwrap();
        let nonce: [u8; 24] = unhex(input["nonce"].as_str().unwrap()).try_into().unwrap();
        let chunks: Vec<Vec<u8>> = input["chunks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| unhex(c.as_str().unwrap()))
            .collect();
        assert_eq!(input["goodbye"], true, "{id}");
        let js_wire = unhex(case["expect"]["ok"]["wire"].as_str().unwrap());
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        assert_eq!(
            seal_all(&refs, true, key, nonce),
            js_wire,
            "{id}: sealed bytes"
        );
        assert_eq!(
            open_pieces(&js_wire, &[], key, nonce),
            ok(&refs),
            "{id}: opened"
        );
        checked.push(id.to_owned());
    }
    assert_eq!(
        checked,
        [
            "seal/nonce-carry/1-byte",
            "seal/nonce-carry/3-bytes",
            "seal/nonce-carry/wrap"
        ]
    );
}
