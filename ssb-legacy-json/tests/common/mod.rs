//! Proptest strategies that build nasty JSON *text* (as bytes): awkward numbers, escapes,
//! surrogates, index-like and duplicate keys, deep nesting, random whitespace, invalid
//! UTF-8 and random mutations. Shared by the differential test and the round-trip tests.
#![allow(dead_code, unreachable_pub)]

use proptest::prelude::*;
use proptest::sample::select;

pub const SPECIAL_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "0.0",
    "-0.0",
    "0e0",
    "-0e-0",
    "1e400",
    "-1e400",
    "6e-486",
    "-6e-486",
    "-1e-400",
    "5e-324",
    "-5e-324",
    "2e-324",
    "3e-324",
    "2.4703282292062328e-324",
    "2.4703282292062327e-324",
    "1.7976931348623157e308",
    "1.7976931348623158e308",
    "1.7976931348623159e308",
    "2.2250738585072014e-308",
    "2.2250738585072011e-308",
    "9007199254740991",
    "9007199254740992",
    "9007199254740993",
    "-9007199254740993",
    "18446744073709551616",
    "12345678901234567890",
    "1e21",
    "1e20",
    "999999999999999999999",
    "1e-7",
    "1e-6",
    "0.000001",
    "0.0000001",
    "123.456e5",
    "1.0",
    "1E3",
    "0.10",
    "1e+0",
    "100",
    "1.5",
    "12345678.9",
    "1514517078157.5",
    "0.1",
    "0.2",
    "0.30000000000000004",
    "1.23e-18",
    "4.35",
    "0.1e1",
    "10E-1",
    "1e-0",
    "0.0000012345",
    "1E+21",
    "1e0021",
    "123456789012345678901234567890e-30",
    "0.00000000000000000000000000000000000000000000000000001",
    "100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
    "2.225073858507201136057409796709131975934819546351645648e-308",
    "1.00000000000000011102230246251565404236316680908203125",
    "1.000000000000000111022302462515654042363166809082031251",
    "1.00000000000000011102230246251565404236316680908203124",
    "-",
    "+1",
    "01",
    "-01",
    ".5",
    "5.",
    "1e",
    "1e+",
    "0x10",
    "NaN",
    "Infinity",
    "-Infinity",
    "1.e5",
    "00",
    "1_000",
    "١",
];

pub const INDEX_KEYS: &[&str] = &[
    "0",
    "1",
    "2",
    "10",
    "01",
    "00",
    "-1",
    "-0",
    "1.5",
    " 1",
    "1 ",
    "4294967294",
    "4294967295",
    "4294967296",
    "42949672940",
    "9007199254740993",
    "99",
    "100",
    "3",
    "1e3",
    "+1",
    "007",
];

pub const KEY_POOL: &[&str] = &[
    "a",
    "b",
    "type",
    "__proto__",
    "constructor",
    "",
    "é",
    "😀",
    "\\u0061",
];

const BAD_UTF8: &[&[u8]] = &[
    b"\xed\xa0\x80",
    b"\xed\xbf\xbf",
    b"\xf0\x9f\x98",
    b"\xe2\x82",
    b"\xc3",
    b"\xc0\xaf",
    b"\xf4\x90\x80\x80",
    b"\xf8\x88\x80\x80\x80",
    b"\xe0\x80\xaf",
];

fn ws() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        10 => Just(""),
        3 => Just(" "),
        1 => Just("\n"),
        1 => Just("\t"),
        1 => Just("\r\n  "),
        1 => Just("   "),
    ]
}

fn hex4(u: u16, upper: bool) -> String {
    if upper {
        format!("\\u{u:04X}")
    } else {
        format!("\\u{u:04x}")
    }
}

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        any::<f64>(),
        (-1e6f64..1e6),
        (0u32..2000).prop_map(|k| 2f64.powi(53) + f64::from(k) - 1000.0),
        (0i32..=40).prop_map(|e| 10f64.powi(e - 20)),
    ]
    .prop_filter("finite", |f| f.is_finite())
}

pub fn number_text() -> BoxedStrategy<String> {
    let grammar = (
        any::<bool>(),
        prop_oneof![Just("0".to_string()), "[1-9][0-9]{0,25}"],
        proptest::option::of("[0-9]{1,25}"),
        proptest::option::of((
            select(&["e", "E"][..]),
            select(&["", "+", "-"][..]),
            "[0-9]{1,4}",
        )),
    )
        .prop_map(|(neg, int, frac, exp)| {
            let mut s = String::new();
            if neg {
                s.push('-');
            }
            s.push_str(&int);
            if let Some(f) = frac {
                s.push('.');
                s.push_str(&f);
            }
            if let Some((e, sign, d)) = exp {
                s.push_str(e);
                s.push_str(sign);
                s.push_str(&d);
            }
            s
        });
    prop_oneof![
        3 => select(SPECIAL_NUMBERS).prop_map(String::from),
        3 => finite_f64().prop_map(|f| format!("{f:e}")),
        2 => finite_f64().prop_map(|f| format!("{f:?}")),
        1 => finite_f64().prop_map(|f| format!("{f:.17e}")),
        2 => any::<i64>().prop_map(|i| i.to_string()),
        1 => (0u64..200).prop_map(|k| (9_007_199_254_740_992u64 - 100 + k).to_string()),
        4 => grammar,
    ]
    .boxed()
}

/// One piece of string content as JSON text (escaped or raw bytes).
fn string_piece() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        8 => "[a-zA-Z0-9 /._,:{}\\[\\]-]{1,8}".prop_map(String::into_bytes),
        2 => select(&["\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"][..]).prop_map(|s| s.as_bytes().to_vec()),
        1 => (any::<u16>(), any::<bool>()).prop_map(|(u, up)| hex4(u, up).into_bytes()),
        1 => (0u16..0x20, any::<bool>()).prop_map(|(u, up)| hex4(u, up).into_bytes()),
        1 => (0xD800u16..0xDC00, 0xDC00u16..0xE000, any::<bool>())
            .prop_map(|(h, l, up)| format!("{}{}", hex4(h, up), hex4(l, !up)).into_bytes()),
        1 => (0xD800u16..0xE000, any::<bool>()).prop_map(|(u, up)| hex4(u, up).into_bytes()),
        2 => select(&["\u{7f}", "\u{80}", "\u{ff}", "é", "ß", "€", "😀", "\u{2028}", "\u{2029}",
            "\u{feff}", "\u{fffd}", "\u{10ffff}", "\u{ffff}", "\u{d7ff}", "\u{e000}", "\u{100}", "\u{1ff}"][..])
            .prop_map(|s| s.as_bytes().to_vec()),
        1 => any::<char>().prop_map(|c| c.to_string().into_bytes()),
        1 => prop::collection::vec(0x80u8..=0xFF, 1..4),
        1 => select(BAD_UTF8).prop_map(<[u8]>::to_vec),
        1 => (0u8..0x20).prop_map(|b| vec![b]),
        1 => Just(b"\\u12".to_vec()),
        1 => Just(b"\\x".to_vec()),
    ]
    .boxed()
}

pub fn string_text() -> BoxedStrategy<Vec<u8>> {
    prop::collection::vec(string_piece(), 0..6)
        .prop_map(|pieces| {
            let mut s = vec![b'"'];
            for p in pieces {
                s.extend_from_slice(&p);
            }
            s.push(b'"');
            s
        })
        .boxed()
}

fn quoted(s: &str) -> Vec<u8> {
    format!("\"{s}\"").into_bytes()
}

pub fn key_text() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        3 => select(INDEX_KEYS).prop_map(quoted),
        3 => select(KEY_POOL).prop_map(quoted),
        1 => (0u32..5000).prop_map(|n| quoted(&n.to_string())),
        2 => string_text(),
    ]
    .boxed()
}

fn join(open: u8, close: u8, items: Vec<Vec<u8>>, ws_in: &str) -> Vec<u8> {
    let mut out = vec![open];
    for (i, it) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&it);
    }
    out.extend_from_slice(ws_in.as_bytes());
    out.push(close);
    out
}

pub fn value_text() -> BoxedStrategy<Vec<u8>> {
    let leaf = prop_oneof![
        1 => Just(b"null".to_vec()),
        1 => Just(b"true".to_vec()),
        1 => Just(b"false".to_vec()),
        4 => number_text().prop_map(String::into_bytes),
        4 => string_text(),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec((ws(), inner.clone(), ws()), 0..6).prop_flat_map(|items| {
                ws().prop_map(move |w| {
                    let items = items
                        .iter()
                        .map(|(a, v, b)| [a.as_bytes(), v, b.as_bytes()].concat())
                        .collect();
                    join(b'[', b']', items, w)
                })
            }),
            prop::collection::vec((ws(), key_text(), ws(), ws(), inner, ws()), 0..7).prop_flat_map(
                |items| {
                    ws().prop_map(move |w| {
                        let items = items
                            .iter()
                            .map(|(a, k, b, c, v, d)| {
                                [
                                    a.as_bytes(),
                                    k,
                                    b.as_bytes(),
                                    b":",
                                    c.as_bytes(),
                                    v,
                                    d.as_bytes(),
                                ]
                                .concat()
                            })
                            .collect();
                        join(b'{', b'}', items, w)
                    })
                }
            ),
        ]
    })
    .boxed()
}

/// Nesting from 1 to `max` levels of mixed arrays and objects around a leaf.
pub fn deep_text(max: usize) -> BoxedStrategy<Vec<u8>> {
    (prop::collection::vec(any::<bool>(), 1..=max), value_text())
        .prop_map(|(levels, leaf)| {
            let mut out = Vec::new();
            for &obj in &levels {
                out.extend_from_slice(if obj { b"{\"a\":" } else { b"[" });
            }
            out.extend_from_slice(&leaf);
            for &obj in levels.iter().rev() {
                out.push(if obj { b'}' } else { b']' });
            }
            out
        })
        .boxed()
}

const MUTATION_BYTES: &[u8] =
    b"\"\\,:{}[] \t\n0123456789eE+-.u/tfn\x00\x1f\x7f\x80\xc3\xed\xef\xf0\xff";

/// A random edit: delete, insert, replace or truncate.
fn mutate(mut text: Vec<u8>, op: u8, at: usize, byte: u8) -> Vec<u8> {
    let pos = if text.is_empty() {
        0
    } else {
        at % (text.len() + 1)
    };
    match op % 4 {
        0 if pos < text.len() => {
            text.remove(pos);
        }
        1 => text.insert(pos, byte),
        2 if pos < text.len() => text[pos] = byte,
        _ => text.truncate(pos),
    }
    text
}

/// A whole input: a value between whitespace, sometimes deeply nested, sometimes mutated.
pub fn json_text(max_depth: usize) -> BoxedStrategy<Vec<u8>> {
    let base = prop_oneof![
        12 => value_text(),
        1 => deep_text(max_depth),
    ];
    (
        ws(),
        base,
        ws(),
        0u8..10,
        any::<u8>(),
        any::<usize>(),
        select(MUTATION_BYTES),
    )
        .prop_map(|(a, v, b, m, op, at, byte)| {
            let text = [a.as_bytes(), &v, b.as_bytes()].concat();
            if m == 0 {
                mutate(text, op, at, byte)
            } else {
                text
            }
        })
        .boxed()
}
