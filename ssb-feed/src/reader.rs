//! Cutting a stream of messages into items, Sans-IO: a JSON array of message values or
//! KVTs (what JS tools export) or JSON lines (one per line, as `createHistoryStream`
//! output is usually saved), pushed in pieces of any size.
//!
//! [`FeedReader`] does not parse the items: it tracks strings, escapes and nesting only, so
//! that an array's elements can be handed on (for example to
//! [`validate_feeds`](crate::validate_feeds)) one at a time while the rest of the input is
//! still arriving. Each item is at most [`MAX_ITEM_BYTES`]; the reader holds at most that
//! much input, whatever the size of the pieces pushed into it. Bad framing is a
//! [`FramingError`] in the place of the item it spoiled, never a panic.
//!
//! # The run loop
//!
//! [`push`](FeedReader::push) consumes input until one item is complete (or the input runs
//! out) and says how many bytes it took; then drain [`poll_item`](FeedReader::poll_item)
//! and push the rest. At the end of the input call [`finish`](FeedReader::finish) and drain
//! again.
//!
//! ```
//! use std::io::Read;
//! use ssb_feed::{FeedReader, Framing, FramingError};
//!
//! let mut input: &[u8] = br#" [ {"a": "],"}, [1, 2] , "x" ] "#;
//! let mut reader = FeedReader::new(Framing::Auto);
//! let mut items = Vec::new();
//! let mut buf = [0u8; 7]; // any size
//! loop {
//!     let n = input.read(&mut buf)?;
//!     if n == 0 {
//!         reader.finish();
//!     }
//!     let mut rest = &buf[..n];
//!     loop {
//!         let used = reader.push(rest);
//!         rest = &rest[used..];
//!         while let Some(item) = reader.poll_item() {
//!             items.push(item);
//!         }
//!         if rest.is_empty() {
//!             break;
//!         }
//!     }
//!     if n == 0 {
//!         break;
//!     }
//! }
//! assert_eq!(reader.framing(), Some(Framing::Array));
//! let want: Vec<Result<Vec<u8>, FramingError>> =
//!     vec![Ok(br#"{"a": "],"}"#.to_vec()), Ok(b"[1, 2]".to_vec()), Ok(b"\"x\"".to_vec())];
//! assert_eq!(items, want);
//!
//! // Or, for input that is all in memory:
//! assert_eq!(
//!     FeedReader::split_all(Framing::Auto, b"{\"a\":1}\n\n[2]\n"),
//!     [Ok(b"{\"a\":1}".to_vec()), Ok(b"[2]".to_vec())]
//! );
//! assert_eq!(
//!     FeedReader::split_all(Framing::Array, b"[1] [2]"),
//!     [Ok(b"1".to_vec()), Err(FramingError::TrailingData { offset: 4 })]
//! );
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Framing rules
//!
//! * **Array**: optional JSON whitespace, `[`, elements separated by `,`, `]`, optional
//!   whitespace. Each element is its text without the whitespace around it. An empty
//!   element (`[1,,2]`, `[1,]`) is [`FramingError::EmptyElement`] and reading goes on;
//!   input that does not start with `[` is [`FramingError::NotAnArray`], input that ends
//!   inside the array [`FramingError::Unterminated`], anything but whitespace after the
//!   closing `]` [`FramingError::TrailingData`]; after those three nothing more is read.
//!   Brackets inside strings do not count; elements are not otherwise checked (a
//!   malformed one is handed on and fails to parse).
//! * **Lines**: each line (ended by `\n` or the end of the input) is an item, without its
//!   `\n`; lines of ASCII whitespace only are skipped.
//! * **Auto**: array if the first byte that is not ASCII whitespace is `[`, else lines.
//! * An item longer than [`MAX_ITEM_BYTES`] is [`FramingError::ElementTooLarge`] or
//!   [`FramingError::LineTooLong`]; the rest of it is skipped without being buffered, and
//!   reading goes on after it.
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

/// The largest item (array element or line, without its `\n`) the reader hands on, in
/// bytes. A valid message is at most 8192 UTF-16 units when re-encoded (at most 24 KiB of
/// UTF-8); this leaves room for any whitespace and number spelling a real export has, and
/// bounds what one item can cost.
pub const MAX_ITEM_BYTES: usize = 1024 * 1024;

/// How the input is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Framing {
    /// Decide from the first byte that is not ASCII whitespace: `[` is an array, anything
    /// else JSON lines.
    Auto,
    /// One JSON array of items.
    Array,
    /// JSON lines: one item per line.
    Lines,
}

/// Why an item could not be cut out of the input. Reported in the item's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FramingError {
    /// Array framing, and the input is empty or only whitespace.
    #[error("empty input, expected a JSON array")]
    Empty,
    /// Array framing, and the input does not start with `[`.
    #[error("input is not a JSON array")]
    NotAnArray,
    /// The input ended inside the array.
    #[error("unterminated array")]
    Unterminated,
    /// An array element is empty (`[1,,2]` or `[1,]`).
    #[error("empty array element")]
    EmptyElement,
    /// An array element is longer than the limit.
    #[error("item larger than {limit} bytes")]
    ElementTooLarge {
        /// [`MAX_ITEM_BYTES`].
        limit: usize,
    },
    /// A line is longer than the limit.
    #[error("line longer than {limit} bytes")]
    LineTooLong {
        /// [`MAX_ITEM_BYTES`].
        limit: usize,
    },
    /// Something other than whitespace follows the array's closing `]`.
    #[error("data after the end of the array at byte {offset}")]
    TrailingData {
        /// Offset in the whole input of the first such byte.
        offset: u64,
    },
}

/// What the reader expects next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Auto framing, before the first byte that is not ASCII whitespace.
    Detect,
    /// Array framing, before the `[`.
    Open,
    /// Just after the `[`: an element or `]`.
    First,
    /// After a `,`: an element.
    Next,
    /// Inside an element.
    Element,
    /// After the closing `]`: only whitespace may follow.
    Closed,
    /// Inside a line (lines framing).
    Line,
    /// After a framing error that ends the input: everything is ignored.
    Discard,
}

/// One item, or why it could not be cut out.
pub type ReadItem = Result<Vec<u8>, FramingError>;

/// Splits pushed bytes into items (see the [module docs](self) for the run loop and rules).
#[derive(Debug, Clone)]
pub struct FeedReader {
    framing: Framing,
    state: State,
    /// The item being read (at most [`MAX_ITEM_BYTES`]).
    item: Vec<u8>,
    /// The item being read passed the limit; its bytes are skipped.
    overlong: bool,
    /// Nesting depth inside the element, and string/escape state.
    depth: u64,
    in_str: bool,
    esc: bool,
    /// Auto framing: a form feed was skipped (whitespace for lines, not for JSON).
    skipped_ff: bool,
    /// The completed item waiting for `poll_item`.
    ready: Option<ReadItem>,
    /// `finish` was called; `ended` once its item (if any) was produced.
    finished: bool,
    ended: bool,
    /// Bytes consumed so far.
    offset: u64,
}

const fn is_json_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// How many bytes of `input` precede `rest`, a suffix of it.
fn used(input: &[u8], rest: &[u8]) -> usize {
    input.len().saturating_sub(rest.len())
}

/// A byte count as a `u64` (lossless on every supported target).
fn as_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl FeedReader {
    /// A reader for input framed as `framing`.
    pub fn new(framing: Framing) -> Self {
        Self {
            framing,
            state: match framing {
                Framing::Auto => State::Detect,
                Framing::Array => State::Open,
                Framing::Lines => State::Line,
            },
            item: Vec::new(),
            overlong: false,
            depth: 0,
            in_str: false,
            esc: false,
            skipped_ff: false,
            ready: None,
            finished: false,
            ended: false,
            offset: 0,
        }
    }

    /// The framing in use: the one asked for, or with [`Framing::Auto`] the one detected
    /// (`None` until the first byte that is not whitespace).
    pub fn framing(&self) -> Option<Framing> {
        match (self.framing, self.state) {
            (Framing::Auto, State::Detect) => None,
            (Framing::Auto, State::Line) => Some(Framing::Lines),
            (Framing::Auto, _) => Some(Framing::Array),
            (f, _) => Some(f),
        }
    }

    /// Bytes of input held (the item being read). Never more than [`MAX_ITEM_BYTES`].
    pub fn buffered_len(&self) -> usize {
        self.item.len()
    }

    /// Total bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Consumes bytes from the start of `input` until an item is complete or `input` is
    /// used up, and returns how many it consumed. Consumes nothing while an item waits
    /// for [`poll_item`](Self::poll_item), or after [`finish`](Self::finish).
    #[must_use = "the bytes not consumed must be pushed again"]
    pub fn push(&mut self, input: &[u8]) -> usize {
        if self.ready.is_some() || self.finished {
            return 0;
        }
        let mut rest = input;
        while self.ready.is_none() && !rest.is_empty() {
            match self.state {
                State::Line => {
                    let mut parts = rest.splitn(2, |&b| b == b'\n');
                    self.take(parts.next().unwrap_or_default());
                    match parts.next() {
                        Some(after_newline) => {
                            rest = after_newline;
                            self.end_line();
                        }
                        None => rest = &[],
                    }
                }
                State::Element => {
                    let (n, next) = self.scan_element(rest);
                    // `n` bytes belong to the element; the terminator (if any) is not kept.
                    let (element, after) = rest.split_at_checked(n).unwrap_or((rest, &[]));
                    self.take(element);
                    rest = after;
                    if let Some(next) = next {
                        rest = after.get(1..).unwrap_or_default();
                        self.end_element();
                        self.state = next;
                    }
                }
                State::Discard => rest = &[],
                _ => {
                    let [b, after @ ..] = rest else { break };
                    let at = self.offset.saturating_add(as_u64(used(input, rest)));
                    if self.byte(*b, at) {
                        rest = after;
                    }
                }
            }
        }
        let n = used(input, rest);
        self.offset = self.offset.saturating_add(as_u64(n));
        n
    }

    /// Marks the end of the input: a pending line becomes an item, an open array an error.
    /// Drain [`poll_item`](Self::poll_item) afterwards.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// The next item, in input order: its bytes, or why it could not be cut out. `None`
    /// when more input is needed (or, after [`finish`](Self::finish), when all items were
    /// returned). Call after every [`push`](Self::push) until it returns `None`.
    #[must_use]
    pub fn poll_item(&mut self) -> Option<ReadItem> {
        if let Some(item) = self.ready.take() {
            return Some(item);
        }
        if self.finished && !self.ended {
            self.ended = true;
            match self.state {
                State::Detect | State::Closed | State::Discard => {}
                State::Open => self.fail(FramingError::Empty),
                State::First | State::Next | State::Element => {
                    self.fail(FramingError::Unterminated);
                }
                State::Line => {
                    if !self.item.is_empty() || self.overlong {
                        self.end_line();
                    }
                }
            }
            return self.ready.take();
        }
        None
    }

    /// Every item of a complete input (a convenience over [`push`](Self::push),
    /// [`finish`](Self::finish) and [`poll_item`](Self::poll_item)).
    pub fn split_all(framing: Framing, input: &[u8]) -> Vec<ReadItem> {
        let mut reader = Self::new(framing);
        let mut items = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            let n = reader.push(rest);
            rest = rest.get(n..).unwrap_or_default();
            while let Some(item) = reader.poll_item() {
                items.push(item);
            }
        }
        reader.finish();
        while let Some(item) = reader.poll_item() {
            items.push(item);
        }
        items
    }

    /// One byte in a state that looks at bytes one at a time; returns whether it was
    /// consumed (an element's first byte is left for [`Self::scan_element`]).
    fn byte(&mut self, b: u8, at: u64) -> bool {
        match self.state {
            State::Detect => {
                if b.is_ascii_whitespace() {
                    // Lines framing keeps the whitespace that starts the first item's line.
                    if b == b'\n' {
                        self.item.clear();
                        self.overlong = false;
                    } else {
                        self.skipped_ff |= b == 0x0c;
                        self.take(&[b]);
                    }
                } else if b == b'[' {
                    self.item.clear();
                    self.overlong = false;
                    if self.skipped_ff {
                        // A form feed is not JSON whitespace.
                        self.fail(FramingError::NotAnArray);
                    } else {
                        self.state = State::First;
                    }
                } else {
                    self.state = State::Line;
                    return false;
                }
            }
            State::Open => {
                if b == b'[' {
                    self.state = State::First;
                } else if !is_json_ws(b) {
                    self.fail(FramingError::NotAnArray);
                }
            }
            State::First | State::Next => match b {
                _ if is_json_ws(b) => {}
                b']' => {
                    if self.state == State::Next {
                        self.ready = Some(Err(FramingError::EmptyElement));
                    }
                    self.state = State::Closed;
                }
                b',' => {
                    self.ready = Some(Err(FramingError::EmptyElement));
                    self.state = State::Next;
                }
                _ => {
                    self.state = State::Element;
                    self.depth = 0;
                    self.in_str = false;
                    self.esc = false;
                    return false;
                }
            },
            State::Closed => {
                if !is_json_ws(b) {
                    self.fail(FramingError::TrailingData { offset: at });
                }
            }
            State::Element | State::Line | State::Discard => {}
        }
        true
    }

    /// Scans element bytes: returns how many belong to the element, and the next state if
    /// its terminator (`,` or `]` outside strings and nesting) follows them.
    fn scan_element(&mut self, bytes: &[u8]) -> (usize, Option<State>) {
        for (n, &b) in bytes.iter().enumerate() {
            if self.in_str {
                if self.esc {
                    self.esc = false;
                } else if b == b'\\' {
                    self.esc = true;
                } else if b == b'"' {
                    self.in_str = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_str = true,
                b'[' | b'{' => self.depth = self.depth.saturating_add(1),
                b']' | b'}' => match self.depth.checked_sub(1) {
                    Some(depth) => self.depth = depth,
                    None if b == b']' => return (n, Some(State::Closed)),
                    // A stray `}` at depth 0 is part of the element.
                    None => {}
                },
                b',' if self.depth == 0 => return (n, Some(State::Next)),
                _ => {}
            }
        }
        (bytes.len(), None)
    }

    /// Adds bytes to the item being read, unless that takes it past the limit (then it is
    /// dropped and the rest of it skipped).
    fn take(&mut self, bytes: &[u8]) {
        if self.overlong || bytes.is_empty() {
            return;
        }
        if self.item.len().saturating_add(bytes.len()) > MAX_ITEM_BYTES {
            self.overlong = true;
            self.item = Vec::new();
        } else {
            self.item.extend_from_slice(bytes);
        }
    }

    fn end_element(&mut self) {
        let mut item = core::mem::take(&mut self.item);
        if core::mem::take(&mut self.overlong) {
            self.ready = Some(Err(FramingError::ElementTooLarge {
                limit: MAX_ITEM_BYTES,
            }));
            return;
        }
        while item.last().copied().is_some_and(is_json_ws) {
            item.pop();
        }
        self.ready = Some(if item.is_empty() {
            Err(FramingError::EmptyElement)
        } else {
            Ok(item)
        });
    }

    fn end_line(&mut self) {
        let item = core::mem::take(&mut self.item);
        if core::mem::take(&mut self.overlong) {
            self.ready = Some(Err(FramingError::LineTooLong {
                limit: MAX_ITEM_BYTES,
            }));
        } else if !item.iter().all(u8::is_ascii_whitespace) {
            self.ready = Some(Ok(item));
        }
    }

    /// Reports `e` and ignores the rest of the input.
    fn fail(&mut self, e: FramingError) {
        self.ready = Some(Err(e));
        self.state = State::Discard;
        self.item = Vec::new();
        self.overlong = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(framing: Framing, input: &[u8]) -> Vec<ReadItem> {
        FeedReader::split_all(framing, input)
    }

    fn ok(s: &str) -> ReadItem {
        Ok(s.as_bytes().to_vec())
    }

    #[test]
    fn arrays() {
        assert_eq!(all(Framing::Array, b" [ ] "), []);
        assert_eq!(
            all(Framing::Array, br#"[{"a":"]\"}"} ,[1,[2]]]"#),
            [ok(r#"{"a":"]\"}"}"#), ok("[1,[2]]")]
        );
        assert_eq!(
            all(Framing::Array, b"[1,,2,]"),
            [
                ok("1"),
                Err(FramingError::EmptyElement),
                ok("2"),
                Err(FramingError::EmptyElement)
            ]
        );
        assert_eq!(
            all(Framing::Array, b"[,]"),
            [
                Err(FramingError::EmptyElement),
                Err(FramingError::EmptyElement)
            ]
        );
        assert_eq!(all(Framing::Array, b""), [Err(FramingError::Empty)]);
        assert_eq!(all(Framing::Array, b" \n"), [Err(FramingError::Empty)]);
        assert_eq!(all(Framing::Array, b"{}"), [Err(FramingError::NotAnArray)]);
        assert_eq!(
            all(Framing::Array, b"[1,"),
            [ok("1"), Err(FramingError::Unterminated)]
        );
        assert_eq!(
            all(Framing::Array, b"[\"]"),
            [Err(FramingError::Unterminated)]
        );
        // A stray closing brace at depth 0 is part of the element (which will not parse).
        assert_eq!(all(Framing::Array, b"[1}]"), [ok("1}")]);
    }

    #[test]
    fn trailing_data_is_an_error_once() {
        assert_eq!(all(Framing::Array, b"[1]\n \t\r"), [ok("1")]);
        assert_eq!(
            all(Framing::Array, b"[1] x [2] y"),
            [ok("1"), Err(FramingError::TrailingData { offset: 4 })]
        );
        assert_eq!(
            all(Framing::Auto, b"[][]"),
            [Err(FramingError::TrailingData { offset: 2 })]
        );
    }

    #[test]
    fn lines() {
        assert_eq!(all(Framing::Lines, b""), []);
        assert_eq!(
            all(Framing::Lines, b"a\n\n \r\nb\r\nc"),
            [ok("a"), ok("b\r"), ok("c")]
        );
        assert_eq!(all(Framing::Lines, b"[1]\n[2]"), [ok("[1]"), ok("[2]")]);
    }

    #[test]
    fn auto_detects_at_the_first_non_whitespace_byte() {
        let mut r = FeedReader::new(Framing::Auto);
        assert_eq!(r.push(b"  \n "), 4);
        assert_eq!(r.framing(), None);
        assert_eq!(r.push(b"{"), 1);
        assert_eq!(r.framing(), Some(Framing::Lines));
        // The whitespace that starts the line is part of it.
        assert_eq!(all(Framing::Auto, b"\n\n  {}\n"), [ok("  {}")]);
        assert_eq!(all(Framing::Auto, b"\x0c{}\n"), [ok("\x0c{}")]);
        assert_eq!(all(Framing::Auto, b"\n [1]"), [ok("1")]);
        assert_eq!(
            all(Framing::Auto, b"\x0c[1]"),
            [Err(FramingError::NotAnArray)]
        );
        assert_eq!(all(Framing::Auto, b" \n\t"), []);
    }

    #[test]
    fn items_are_bounded() {
        let big = "7".repeat(MAX_ITEM_BYTES);
        let input = format!("[{big},{big}8,1]");
        assert_eq!(
            all(Framing::Array, input.as_bytes()),
            [
                ok(&big),
                Err(FramingError::ElementTooLarge {
                    limit: MAX_ITEM_BYTES
                }),
                ok("1")
            ]
        );
        let input = format!("{big}\n{big}8\n1");
        assert_eq!(
            all(Framing::Lines, input.as_bytes()),
            [
                ok(&big),
                Err(FramingError::LineTooLong {
                    limit: MAX_ITEM_BYTES
                }),
                ok("1")
            ]
        );
        // Pushed one large piece at a time, the reader never holds more than the limit.
        let mut r = FeedReader::new(Framing::Lines);
        let mut rest = input.as_bytes();
        let mut n = 0;
        while !rest.is_empty() {
            let used = r.push(rest);
            assert!(r.buffered_len() <= MAX_ITEM_BYTES);
            rest = rest.get(used..).unwrap_or_default();
            while r.poll_item().is_some() {
                n += 1;
            }
        }
        r.finish();
        while r.poll_item().is_some() {
            n += 1;
        }
        assert_eq!(n, 3);
    }

    #[test]
    fn push_waits_for_poll_and_stops_after_finish() {
        let mut r = FeedReader::new(Framing::Lines);
        assert_eq!(r.push(b"a\nb\n"), 2);
        assert_eq!(r.push(b"b\n"), 0);
        assert_eq!(r.poll_item(), Some(ok("a")));
        assert_eq!(r.poll_item(), None);
        assert_eq!(r.push(b"b"), 1);
        r.finish();
        assert_eq!(r.push(b"c"), 0);
        assert_eq!(r.poll_item(), Some(ok("b")));
        assert_eq!(r.poll_item(), None);
        assert_eq!(r.offset(), 3);
    }
}
