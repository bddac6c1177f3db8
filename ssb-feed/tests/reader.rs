//! Properties of the streaming reader: the items do not depend on how the input is cut into
//! pieces, and a JSON array or JSON lines built from known elements gives back exactly
//! those elements.

use proptest::prelude::*;
use ssb_feed::{FeedReader, Framing, MAX_ITEM_BYTES, ReadItem};

/// Feeds `input` in pieces cut at `cuts` (sorted, deduplicated), checking the buffer bound
/// after every push.
fn read_in_pieces(framing: Framing, input: &[u8], cuts: &[usize]) -> Vec<ReadItem> {
    let mut reader = FeedReader::new(framing);
    let mut items = Vec::new();
    let mut start = 0;
    for end in cuts.iter().copied().chain([input.len()]) {
        let mut piece = &input[start..end.max(start)];
        start = end.max(start);
        loop {
            let n = reader.push(piece);
            assert!(reader.buffered_len() <= MAX_ITEM_BYTES);
            piece = &piece[n..];
            while let Some(item) = reader.poll_item() {
                items.push(item);
            }
            if piece.is_empty() {
                break;
            }
            assert!(n > 0, "push made no progress with no item waiting");
        }
    }
    reader.finish();
    while let Some(item) = reader.poll_item() {
        items.push(item);
    }
    assert_eq!(reader.poll_item(), None);
    assert_eq!(reader.offset(), input.len() as u64);
    items
}

fn framing() -> impl Strategy<Value = Framing> {
    prop_oneof![
        Just(Framing::Auto),
        Just(Framing::Array),
        Just(Framing::Lines)
    ]
}

/// Bytes rich in what the reader looks at, usually starting as an array does.
fn framing_bytes() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(&["[", "[", " [", "", "\x0c"][..]),
        prop::collection::vec(
            prop::sample::select(&b"[[]]{}\"\"\"\\\\\\,, \n\r\t\x0cab01\xc3\xa9"[..]),
            0..160,
        ),
    )
        .prop_map(|(start, rest)| [start.as_bytes(), &rest].concat())
}

/// A JSON value's text, with whitespace inside, possibly containing every character the
/// reader treats specially (inside strings).
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        (-1000i32..1000).prop_map(|n| n.to_string()),
        prop::collection::vec(
            prop::sample::select(
                &[
                    "a", "]", "[", "{", "}", ",", "\\\"", "\\\\", "é", " ", "\\n"
                ][..]
            ),
            0..6
        )
        .prop_map(|parts| format!("\"{}\"", parts.concat())),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|v| format!("[ {} ]", v.join(" , "))),
            prop::collection::vec(inner, 0..4).prop_map(|v| {
                let entries: Vec<String> = v
                    .iter()
                    .enumerate()
                    .map(|(i, x)| format!("\"k{i}\" : {x}"))
                    .collect();
                format!("{{ {} }}", entries.join(","))
            }),
        ]
    })
}

fn ws() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(&[" ", "\n", "\t", "\r"][..]), 0..3)
        .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Splitting the input at any one position, or at many, or byte by byte, gives the
    /// same items as reading it whole.
    #[test]
    fn items_do_not_depend_on_how_input_is_cut(
        framing in framing(),
        input in framing_bytes(),
        cuts in prop::collection::vec(0usize..200, 0..8),
    ) {
        let whole = FeedReader::split_all(framing, &input);
        for k in 0..=input.len() {
            prop_assert_eq!(&read_in_pieces(framing, &input, &[k]), &whole, "cut at {}", k);
        }
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(input.len())).collect();
        cuts.sort_unstable();
        prop_assert_eq!(&read_in_pieces(framing, &input, &cuts), &whole);
        let every: Vec<usize> = (0..input.len()).collect();
        prop_assert_eq!(&read_in_pieces(framing, &input, &every), &whole);
    }

    /// An array of known elements gives back each element's text, which parses to the
    /// same value as that element of the whole array.
    #[test]
    fn an_array_gives_back_its_elements(
        elements in prop::collection::vec((ws(), json_value(), ws()), 0..6),
        before in ws(),
        after in ws(),
        cut in any::<prop::sample::Index>(),
        auto in any::<bool>(),
    ) {
        let texts: Vec<String> =
            elements.iter().map(|(a, v, b)| format!("{a}{v}{b}")).collect();
        let input = format!("{before}[{}]{after}", texts.join(","));
        let framing = if auto { Framing::Auto } else { Framing::Array };
        let items = read_in_pieces(framing, input.as_bytes(), &[cut.index(input.len() + 1)]);
        let want: Vec<ReadItem> = if texts.is_empty() {
            Vec::new()
        } else {
            elements.iter().map(|(_, v, _)| Ok(v.trim().as_bytes().to_vec())).collect()
        };
        prop_assert_eq!(&items, &want);
        let whole = ssb_legacy_json::parse(input.as_bytes()).expect("valid JSON");
        for (item, value) in items.iter().zip(whole.as_array().expect("array")) {
            let item = item.as_ref().expect("item");
            prop_assert_eq!(&ssb_legacy_json::parse(item).expect("element parses"), value);
        }
    }

    /// JSON lines of known items give back each line (blank lines skipped).
    #[test]
    fn lines_give_back_their_items(
        values in prop::collection::vec((json_value(), any::<bool>()), 0..6),
        cut in any::<prop::sample::Index>(),
        auto in any::<bool>(),
        crlf in any::<bool>(),
    ) {
        let lines: Vec<String> = values
            .iter()
            .map(|(v, _)| ssb_legacy_json::parse(v.as_bytes()).expect("JSON").to_compact_string())
            .collect();
        let mut input = String::new();
        for (line, (_, blank)) in lines.iter().zip(&values) {
            if *blank {
                input.push_str("  \n");
            }
            input.push_str(line);
            input.push_str(if crlf { "\r\n" } else { "\n" });
        }
        // Auto framing reads a first line that starts with `[` as an array.
        let framing = if auto && !lines.first().is_some_and(|l| l.starts_with('[')) {
            Framing::Auto
        } else {
            Framing::Lines
        };
        let items = read_in_pieces(framing, input.as_bytes(), &[cut.index(input.len() + 1)]);
        let want: Vec<ReadItem> = lines
            .iter()
            .map(|l| Ok(format!("{l}{}", if crlf { "\r" } else { "" }).into_bytes()))
            .collect();
        prop_assert_eq!(items, want);
    }
}

#[test]
fn trailing_data_after_an_array_is_reported_where_it_starts() {
    for cut in 0..12 {
        let items = read_in_pieces(Framing::Auto, b"[1, 2]\n  {}", &[cut]);
        assert_eq!(
            items,
            [
                Ok(b"1".to_vec()),
                Ok(b"2".to_vec()),
                Err(ssb_feed::FramingError::TrailingData { offset: 9 })
            ]
        );
    }
}
