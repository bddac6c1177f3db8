use ssb_feed::{FeedReader, Framing, MAX_ITEM_BYTES, ReadItem};

fn read(framing: Framing, pieces: &[&[u8]]) -> (Vec<ReadItem>, Option<Framing>) {
    let mut reader = FeedReader::new(framing);
    let mut items = Vec::new();
    for piece in pieces {
        let mut rest = *piece;
        while !rest.is_empty() {
            let n = reader.push(rest);
            assert!(reader.buffered_len() <= MAX_ITEM_BYTES);
            rest = &rest[n..];
            let before = items.len();
            while let Some(item) = reader.poll_item() {
                items.push(item);
            }
            assert!(n > 0 || items.len() > before, "no progress");
        }
    }
    reader.finish();
    while let Some(item) = reader.poll_item() {
        items.push(item);
    }
    assert_eq!(reader.poll_item(), None);
    (items, reader.framing())
}

/// `ssb-feed`'s streaming `FeedReader` on arbitrary bytes: never a panic; pushing the input
/// in two pieces cut at an input-chosen point, or one byte at a time, gives the same items
/// as reading it whole; the buffer stays within `MAX_ITEM_BYTES`; items have the shape the
/// framing promises.
pub fn feed_reader(data: &[u8]) {
    let [f, c0, c1, input @ ..] = data else {
        return;
    };
    let framing = match f % 3 {
        0 => Framing::Auto,
        1 => Framing::Array,
        _ => Framing::Lines,
    };
    let whole = FeedReader::split_all(framing, input);
    let cut = usize::from(u16::from_le_bytes([*c0, *c1])) % (input.len() + 1);
    let (head, tail) = input.split_at(cut);
    let (split, detected) = read(framing, &[head, tail]);
    assert_eq!(split, whole, "cut at {cut}");
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(read(framing, &bytes).0, whole, "byte by byte");
    let array = match framing {
        Framing::Auto => detected == Some(Framing::Array),
        f => f == Framing::Array,
    };
    for item in whole.iter().flatten() {
        assert!(!item.is_empty() && item.len() <= MAX_ITEM_BYTES);
        if array {
            let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
            assert!(!item.first().is_some_and(ws) && !item.last().is_some_and(ws));
        } else {
            assert!(!item.contains(&b'\n') && !item.iter().all(u8::is_ascii_whitespace));
        }
    }
}
