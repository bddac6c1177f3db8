//! The shared `NeedMore` contract check (`contract/mod.rs`, which the box-stream and muxrpc
//! tests include too) on the toy codec of the crate docs: records of one length byte and that
//! many bytes.

mod contract;

use ssb_sansio::{Decoded, Progress};

/// The zero-copy decoder of the crate docs.
fn decode(buf: &[u8]) -> Decoded<&[u8]> {
    let Some((&len, rest)) = buf.split_first() else {
        return Decoded {
            consumed: 0,
            progress: Progress::NeedMore(1),
        };
    };
    let len = usize::from(len);
    match rest.get(..len) {
        Some(record) => Decoded {
            consumed: 1 + len,
            progress: Progress::Frame(record),
        },
        None => Decoded {
            consumed: 0,
            progress: Progress::NeedMore(len - rest.len()),
        },
    }
}

/// A streaming decoder: keeps the partial record itself and takes all it is given.
#[derive(Default)]
struct Streaming {
    partial: Vec<u8>,
}

impl Streaming {
    fn decode(&mut self, input: &[u8]) -> Decoded<Vec<u8>> {
        let mut consumed = 0;
        loop {
            let want = self.partial.first().map_or(1, |&len| 1 + usize::from(len));
            let missing = want - self.partial.len();
            if missing == 0 {
                let record = self.partial.split_off(1);
                self.partial.clear();
                return Decoded {
                    consumed,
                    progress: Progress::Frame(record),
                };
            }
            let take = missing.min(input.len() - consumed);
            if take == 0 {
                return Decoded {
                    consumed,
                    progress: Progress::NeedMore(missing),
                };
            }
            self.partial
                .extend_from_slice(&input[consumed..consumed + take]);
            consumed += take;
        }
    }
}

#[test]
fn the_toy_codec_keeps_the_contract() {
    let records: [&[u8]; 4] = [b"a", b"", b"hello", &[9; 200]];
    let wire: Vec<u8> = records
        .iter()
        .flat_map(|r| [r.len() as u8].into_iter().chain(r.iter().copied()))
        .collect();
    let frames: Vec<(usize, Vec<u8>)> = records.iter().map(|r| (r.len(), r.to_vec())).collect();
    contract::check_need_more(
        &wire,
        1,
        &frames,
        Streaming::default,
        |d, input| {
            let step = d.decode(input);
            (step.consumed, step.progress)
        },
        |_, buf| {
            let step = decode(buf);
            (step.consumed, step.progress.map(<[u8]>::to_vec))
        },
    );
}
