//! Private-box opening: arbitrary bytes as a box (`private_box_open`), and real boxes to a
//! real recipient, mutated by the input, against an independent model of JS's reader
//! (`private_box_recipient`), so that the slot that opens, the count byte and the body are
//! all reached.

use std::sync::OnceLock;

use ssb_crypto::secretbox;
use ssb_crypto::{CurvePublicKey, CurveSecretKey, Keypair};
use ssb_private_box::{
    BoxSecrets, MIN_BOX_LEN, MaxRecipients, OpenError, UnboxKey, open_batch, open_body,
    open_key_with_max, open_with_max, seal, unbox_content,
};

/// The recipients the harness seals to (and reads as): fixed keys.
const PEOPLE: usize = 10;

fn people() -> &'static [(Keypair, CurveSecretKey, CurvePublicKey)] {
    static P: OnceLock<Vec<(Keypair, CurveSecretKey, CurvePublicKey)>> = OnceLock::new();
    P.get_or_init(|| {
        (0..PEOPLE as u8)
            .map(|i| {
                let k = Keypair::from_seed(&[i.wrapping_mul(37).wrapping_add(1); 32]);
                let sk = k.to_curve_secret();
                let pk = k.public().to_curve().expect("a real key converts");
                (k, sk, pk)
            })
            .collect()
    })
}

/// Low-order X25519 u-coordinates (all-zero X25519 result for every scalar).
const LOW_ORDER: [[u8; 32]; 3] = [
    [0; 32],
    {
        let mut b = [0u8; 32];
        b[0] = 1;
        b
    },
    [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
        0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
        0xb8, 0x00,
    ],
];

/// JS `multibox_open(boxed, sk, max)` written out plainly, with this crate's error for each
/// way JS fails on a box the reader's slot opened (or that is no box at all).
fn model(boxed: &[u8], sk: &CurveSecretKey, max: usize) -> Result<Option<Vec<u8>>, OpenError> {
    let len = boxed.len();
    if len < MIN_BOX_LEN {
        return Err(OpenError::TooShort { len });
    }
    let nonce: [u8; 24] = boxed[..24].try_into().expect("24 bytes");
    let epk: [u8; 32] = boxed[24..56].try_into().expect("32 bytes");
    let shared = sk
        .diffie_hellman(&CurvePublicKey(epk))
        .map_err(|_| OpenError::LowOrderOneTimeKey)?;
    for i in 0..=max {
        let s = 56 + 49 * i;
        if s + 49 > len - 16 {
            return Ok(None);
        }
        if let Ok(ck) = secretbox::open(shared.as_bytes(), &nonce, &boxed[s..s + 49]) {
            let count = ck[0];
            let key: [u8; 32] = ck[1..].try_into().expect("32 bytes");
            let start = 56 + 49 * usize::from(count);
            if start + 16 > len {
                return Err(OpenError::CountPastEnd { count, len });
            }
            return secretbox::open(&key, &nonce, &boxed[start..])
                .map(Some)
                .map_err(|_| OpenError::BodyUnauthentic);
        }
    }
    Ok(None)
}

/// Arbitrary bytes as a box: never a panic; every reader and every `max` agree with the
/// model; `open_key` finds a key exactly when `open` gets past the slots; batch = single;
/// the same bytes as `.box` content never panic either.
pub fn private_box_open(data: &[u8]) {
    let p = people();
    let maxes = [
        MaxRecipients::DEFAULT,
        MaxRecipients::new(1).expect("1"),
        MaxRecipients::LIMIT,
    ];
    for (i, (keys, sk, _)) in p.iter().enumerate().take(3) {
        let max = maxes[i % maxes.len()];
        let got = open_with_max(data, sk, max);
        assert_eq!(got, model(data, sk, usize::from(max.get())));
        let key = open_key_with_max(data, sk, max);
        match (&got, &key) {
            (Ok(None), Ok(None)) => {}
            (Ok(Some(_)), Ok(Some(_))) => {}
            (Err(OpenError::TooShort { .. } | OpenError::LowOrderOneTimeKey), Err(e)) => {
                assert_eq!(got.as_ref().err(), Some(e));
            }
            (Err(OpenError::CountPastEnd { .. } | OpenError::BodyUnauthentic), Ok(Some(_))) => {}
            other => panic!("open and open_key disagree: {other:?}"),
        }
        if i == 0 {
            let batch = open_batch(&[data, data], sk, max);
            assert_eq!(batch, [got.clone(), got.clone()]);
            if let Ok(text) = core::str::from_utf8(data) {
                let _ = unbox_content(text, keys);
            }
            let _ = unbox_content(&ssb_private_box::encode_box_text(data), keys);
        }
    }
    // Any 33 bytes as a revealed key (JS unboxBody): never a panic, body bounds checked.
    if let Some(k) = data.get(..33) {
        let key = UnboxKey::from_bytes(k.try_into().expect("33 bytes"));
        if let Ok(pt) = open_body(data, &key) {
            assert!(pt.len() + 16 + 56 + 49 * usize::from(key.count()) == data.len());
        }
    }
}

/// Reads bytes from the input, zero-filled when it runs out.
struct Program<'a>(&'a [u8]);

impl Program<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for b in &mut out {
            *b = self.byte();
        }
        out
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a.to_vec()
    }
    fn u16(&mut self) -> usize {
        usize::from(u16::from_le_bytes(self.array()))
    }
}

/// A real box from the input's recipients, secrets and plaintext, then the input's
/// mutations (bit flips, cuts, appended bytes, re-forged slots with any count byte, a
/// low-order one-time key), opened by each recipient and two outsiders, with any `max`:
/// exactly the model's answer. Untouched boxes open for every recipient the reader's
/// `max` covers.
pub fn private_box_recipient(data: &[u8]) {
    let p = people();
    let mut prog = Program(data);
    let n = 1 + usize::from(prog.byte()) % 8;
    let reader_max = MaxRecipients::new(1 + prog.byte() % 12).expect("1..=12");
    let seal_max = MaxRecipients::new(n.max(7) as u8).expect("1..=8");
    let onetime: [u8; 32] = prog.array();
    let msg_key: [u8; 32] = prog.array();
    let nonce: [u8; 24] = prog.array();
    let pt_len = prog.u16() % 2048;
    let plaintext = prog.bytes(pt_len);
    let recipients: Vec<CurvePublicKey> = (0..n).map(|i| p[i].2).collect();
    let secrets = BoxSecrets::new(CurveSecretKey::from_bytes(onetime), msg_key, nonce);
    // A clamped scalar times a prime-order point is never the identity: this cannot fail.
    let mut boxed = seal(&plaintext, &recipients, seal_max, &secrets).expect("sealed");
    let mut mutated = false;
    for _ in 0..usize::from(prog.byte() % 6) {
        mutated = true;
        let (op, a, b) = (prog.byte(), prog.u16(), prog.byte());
        match op % 5 {
            0 => {
                let at = a % boxed.len().max(1);
                if let Some(x) = boxed.get_mut(at) {
                    *x ^= 1 << (b % 8);
                }
            }
            1 => boxed.truncate(a % (boxed.len() + 1)),
            2 => boxed.extend(std::iter::repeat_n(b, 1 + a % 64)),
            3 => {
                // Re-forge slot i (if present) for recipient i with count byte `b`.
                let i = a % n;
                let s = 56 + 49 * i;
                if boxed.len() >= s + 49 {
                    let shared = CurveSecretKey::from_bytes(onetime).diffie_hellman(&p[i].2);
                    if let Ok(shared) = shared {
                        let mut ck = [0u8; 33];
                        ck[0] = b;
                        ck[1..].copy_from_slice(&msg_key);
                        let slot = secretbox::seal(shared.as_bytes(), &nonce, &ck);
                        boxed[s..s + 49].copy_from_slice(&slot);
                    }
                }
            }
            _ => {
                if boxed.len() >= 56 {
                    boxed[24..56].copy_from_slice(&LOW_ORDER[usize::from(b) % LOW_ORDER.len()]);
                }
            }
        }
    }
    for (i, (_, sk, _)) in p.iter().enumerate().take(n + 2) {
        let got = open_with_max(&boxed, sk, reader_max);
        assert_eq!(
            got,
            model(&boxed, sk, usize::from(reader_max.get())),
            "reader {i}"
        );
        if !mutated && i < n && i <= usize::from(reader_max.get()) {
            assert_eq!(got, Ok(Some(plaintext.clone())), "recipient {i}");
        }
        if !mutated && i >= n {
            assert_eq!(got, Ok(None), "outsider {i}");
        }
    }
}
