//! `JSON.parse` over UTF-8 bytes, with JavaScript's semantics or the stricter SSB data
//! model (docs/PROTOCOL.md §5.6, §5.8).
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use alloc::string::String;
use alloc::vec::Vec;

use crate::value::{JsString, Object, Value, array_index, push_surrogate};

/// Maximum nesting of arrays and objects the parser accepts. A signed classic message
/// cannot come close (its signing encoding indents every level by two more spaces and is
/// capped at 8192 UTF-16 units), and Node's `JSON.stringify` itself overflows its stack a
/// few thousand levels deep. Bounding the depth bounds the parser's and the serializer's
/// recursion.
pub const MAX_DEPTH: usize = 256;

/// Maximum input length in bytes (8 MiB). Classic messages are capped at 8192 UTF-16
/// units of signing encoding; this leaves room for whitespace-heavy transport text and
/// other JSON the stack exchanges, while bounding the work an untrusted peer can cause.
pub const MAX_INPUT_LEN: usize = 8 * 1024 * 1024;

/// Objects up to this many entries look for duplicate keys by a linear scan while parsing;
/// larger ones sort once at the end (so a hostile object costs `O(n log n)`, not `O(n²)`).
const SMALL_OBJECT: usize = 16;

/// Which inputs to accept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// Exactly what Node's `JSON.parse(buffer.toString())` accepts: invalid UTF-8 becomes
    /// U+FFFD, duplicate keys keep the last value at the first key's position, escaped
    /// lone surrogates are kept, `-0` stays `-0.0`, numbers too large become `±∞`.
    #[default]
    Js,
    /// The SSB data model (the Sunrise Choir "legacy data" rules): additionally rejects
    /// invalid UTF-8, duplicate keys, lone surrogates, numbers that are or round to `-0`,
    /// and numbers that round to infinity. Use it for data you produce or re-publish.
    Strict,
}

/// Parser options: a [`Mode`] and limits that may be lowered below [`MAX_DEPTH`] and
/// [`MAX_INPUT_LEN`] (never raised).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParseOptions {
    mode: Mode,
    max_depth: usize,
    max_input_len: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self::new(Mode::Js)
    }
}

impl ParseOptions {
    /// Options for `mode` with the default limits.
    pub const fn new(mode: Mode) -> Self {
        Self {
            mode,
            max_depth: MAX_DEPTH,
            max_input_len: MAX_INPUT_LEN,
        }
    }
    /// Lowers the depth limit (values above [`MAX_DEPTH`] are clamped to it).
    pub const fn max_depth(self, depth: usize) -> Self {
        Self {
            max_depth: if depth < MAX_DEPTH { depth } else { MAX_DEPTH },
            ..self
        }
    }
    /// Lowers the input size limit (values above [`MAX_INPUT_LEN`] are clamped to it).
    pub const fn max_input_len(self, len: usize) -> Self {
        Self {
            max_input_len: if len < MAX_INPUT_LEN {
                len
            } else {
                MAX_INPUT_LEN
            },
            ..self
        }
    }
    /// The mode.
    pub const fn mode(&self) -> Mode {
        self.mode
    }
}

/// Why input was rejected. Every variant carries the byte offset into the input where the
/// problem was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The input is longer than the limit; nothing was parsed.
    #[error("input is {len} bytes, more than the limit of {limit}")]
    InputTooLarge {
        /// Input length.
        len: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The input ended inside a value.
    #[error("unexpected end of JSON input at byte {offset}")]
    UnexpectedEnd {
        /// The input length.
        offset: usize,
    },
    /// A byte that cannot start or continue the expected token.
    #[error("unexpected byte {byte:#04x} at byte {offset}")]
    UnexpectedByte {
        /// Where.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A malformed number (`01`, `1.`, `.5`, `1e`, `-`, ...).
    #[error("invalid number at byte {offset}")]
    InvalidNumber {
        /// Where the number went wrong.
        offset: usize,
    },
    /// A backslash not followed by a valid escape.
    #[error("invalid escape sequence at byte {offset}")]
    InvalidEscape {
        /// The backslash.
        offset: usize,
    },
    /// A raw U+0000..U+001F inside a string.
    #[error("unescaped control character {byte:#04x} in string at byte {offset}")]
    ControlCharacter {
        /// Where.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// Something after the top-level value.
    #[error("unexpected data after the JSON value at byte {offset}")]
    TrailingCharacters {
        /// The first such byte.
        offset: usize,
    },
    /// Nesting deeper than the limit.
    #[error("nesting deeper than {limit} at byte {offset}")]
    TooDeep {
        /// The bracket that went too deep.
        offset: usize,
        /// The limit in force.
        limit: usize,
    },
    /// Strict mode: the string contains bytes that are not UTF-8.
    #[error("invalid UTF-8 at byte {offset}")]
    InvalidUtf8 {
        /// The first invalid byte.
        offset: usize,
    },
    /// Strict mode: an object has the same key twice.
    #[error("duplicate object key at byte {offset}")]
    DuplicateKey {
        /// The second occurrence of the key.
        offset: usize,
    },
    /// Strict mode: a `\uXXXX` escape denotes an unpaired surrogate.
    #[error("unpaired surrogate escape at byte {offset}")]
    LoneSurrogate {
        /// The backslash of the escape.
        offset: usize,
    },
    /// Strict mode: a number is `-0` or rounds to it.
    #[error("number is negative zero at byte {offset}")]
    NegativeZero {
        /// Start of the number.
        offset: usize,
    },
    /// Strict mode: a number rounds to infinity.
    #[error("number out of the range of a double at byte {offset}")]
    NumberOutOfRange {
        /// Start of the number.
        offset: usize,
    },
}

impl ParseError {
    /// The byte offset into the input (for [`InputTooLarge`](Self::InputTooLarge): 0).
    pub fn offset(&self) -> usize {
        match *self {
            ParseError::InputTooLarge { .. } => 0,
            ParseError::UnexpectedEnd { offset }
            | ParseError::UnexpectedByte { offset, .. }
            | ParseError::InvalidNumber { offset }
            | ParseError::InvalidEscape { offset }
            | ParseError::ControlCharacter { offset, .. }
            | ParseError::TrailingCharacters { offset }
            | ParseError::TooDeep { offset, .. }
            | ParseError::InvalidUtf8 { offset }
            | ParseError::DuplicateKey { offset }
            | ParseError::LoneSurrogate { offset }
            | ParseError::NegativeZero { offset }
            | ParseError::NumberOutOfRange { offset } => offset,
        }
    }

    /// A stable, coarse error class. The strict-mode classes match the directory names of
    /// the Sunrise Choir `legacy-value-testdata` negative cases.
    ///
    /// | code | variants |
    /// |---|---|
    /// | `syntax` | not JSON: `UnexpectedEnd`, `UnexpectedByte`, `InvalidNumber`, `InvalidEscape`, `ControlCharacter`, `TrailingCharacters` |
    /// | `limit` | `InputTooLarge`, `TooDeep` |
    /// | `utf8` | `InvalidUtf8` |
    /// | `duplicate` | `DuplicateKey` |
    /// | `surrogate` | `LoneSurrogate` |
    /// | `number` | `NegativeZero`, `NumberOutOfRange` |
    pub fn code(&self) -> &'static str {
        match self {
            ParseError::InputTooLarge { .. } | ParseError::TooDeep { .. } => "limit",
            ParseError::InvalidUtf8 { .. } => "utf8",
            ParseError::DuplicateKey { .. } => "duplicate",
            ParseError::LoneSurrogate { .. } => "surrogate",
            ParseError::NegativeZero { .. } | ParseError::NumberOutOfRange { .. } => "number",
            _ => "syntax",
        }
    }
}

/// Parses with JavaScript semantics ([`Mode::Js`]): accepts exactly what
/// `JSON.parse(buffer.toString('utf8'))` accepts (up to the limits) and produces the same
/// value.
pub fn parse(input: &[u8]) -> Result<Value, ParseError> {
    parse_with(input, ParseOptions::new(Mode::Js))
}

/// Parses with the stricter SSB data model ([`Mode::Strict`]).
pub fn parse_strict(input: &[u8]) -> Result<Value, ParseError> {
    parse_with(input, ParseOptions::new(Mode::Strict))
}

/// Parses with explicit options.
pub fn parse_with(input: &[u8], options: ParseOptions) -> Result<Value, ParseError> {
    if input.len() > options.max_input_len {
        return Err(ParseError::InputTooLarge {
            len: input.len(),
            limit: options.max_input_len,
        });
    }
    let mut p = Parser {
        input,
        rest: input,
        strict: options.mode == Mode::Strict,
        max_depth: options.max_depth,
        lone: Vec::new(),
        key_offsets: Vec::with_capacity(16),
        entry_stack: Vec::with_capacity(16),
        value_stack: Vec::with_capacity(8),
    };
    p.skip_ws();
    let v = p.value(options.max_depth)?;
    p.skip_ws();
    if !p.rest.is_empty() {
        return Err(ParseError::TrailingCharacters { offset: p.pos() });
    }
    Ok(v)
}

/// What is left of `s` from its first `"`, `\` or control byte on (empty if it has
/// none). Eight bytes at a time: the bit tricks flag every such byte and may also flag
/// bytes after one (a borrow only moves to higher bytes of the little-endian word), so
/// the lowest flagged byte is the first special one.
#[inline]
fn skip_plain(mut s: &[u8]) -> &[u8] {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some((chunk, rest)) = s.split_first_chunk::<8>() {
        let w = u64::from_le_bytes(*chunk);
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let found =
            (w.wrapping_sub(ONES * 0x20) | quote.wrapping_sub(ONES) | backslash.wrapping_sub(ONES))
                & !w
                & HIGH;
        if found != 0 {
            let first = usize::try_from(found.trailing_zeros() / 8).unwrap_or(0);
            return s.get(first..).unwrap_or_default();
        }
        s = rest;
    }
    while let [b, rest @ ..] = s {
        if *b < 0x20 || *b == b'"' || *b == b'\\' {
            break;
        }
        s = rest;
    }
    s
}

/// The part of `from` that precedes `rest`, a suffix of it.
#[inline]
fn before<'a>(from: &'a [u8], rest: &[u8]) -> &'a [u8] {
    from.get(..from.len().saturating_sub(rest.len()))
        .unwrap_or_default()
}

/// The value of at most 15 ASCII digits, exact in a double (`None` for more digits).
#[inline]
fn small_int(digits: &[u8]) -> Option<u64> {
    if digits.len() > 15 {
        return None;
    }
    // `d & 0x0f` is the digit's value for b'0'..=b'9'.
    digits.iter().try_fold(0u64, |v, &d| {
        v.checked_mul(10)?.checked_add(u64::from(d & 0x0f))
    })
}

/// The value of four hex digits (`None` if there are fewer or one is not a hex digit).
#[inline]
fn hex4(s: &[u8]) -> Option<u16> {
    let digits = s.first_chunk::<4>()?;
    let mut v: u16 = 0;
    for &d in digits {
        // Each arm's subtraction stays within the arm's range.
        let x = match d {
            b'0'..=b'9' => d.wrapping_sub(b'0'),
            b'a'..=b'f' => d.wrapping_sub(b'a' - 10),
            b'A'..=b'F' => d.wrapping_sub(b'A' - 10),
            _ => return None,
        };
        v = (v << 4) | u16::from(x);
    }
    Some(v)
}

struct Parser<'i> {
    input: &'i [u8],
    /// The input not parsed yet (always a suffix of `input`).
    rest: &'i [u8],
    strict: bool,
    max_depth: usize,
    /// Lone surrogates of the string being parsed: (byte position in its UTF-8, unit).
    lone: Vec<(usize, u16)>,
    /// Key offsets of the objects being parsed (a stack shared by all nesting levels).
    key_offsets: Vec<usize>,
    /// Entries of the objects being parsed (shared stack: each object is split off it in
    /// one exact-size allocation when it closes).
    entry_stack: Vec<(JsString, Value)>,
    /// Elements of the arrays being parsed (same scheme).
    value_stack: Vec<Value>,
}

type R<T> = Result<T, ParseError>;

impl Parser<'_> {
    /// The byte offset of `rest`, a suffix of the input.
    #[inline]
    fn offset_of(&self, rest: &[u8]) -> usize {
        self.input.len().saturating_sub(rest.len())
    }

    /// The byte offset of the next unparsed byte.
    #[inline]
    fn pos(&self) -> usize {
        self.offset_of(self.rest)
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Steps over the byte just peeked.
    #[inline]
    fn bump(&mut self) {
        if let [_, rest @ ..] = self.rest {
            self.rest = rest;
        }
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let [b' ' | b'\t' | b'\n' | b'\r', rest @ ..] = self.rest {
            self.rest = rest;
        }
    }

    fn unexpected(&self) -> ParseError {
        match self.peek() {
            Some(byte) => ParseError::UnexpectedByte {
                offset: self.pos(),
                byte,
            },
            None => ParseError::UnexpectedEnd { offset: self.pos() },
        }
    }

    fn literal(&mut self, word: &[u8], v: Value) -> R<Value> {
        if let Some(rest) = self.rest.strip_prefix(word) {
            self.rest = rest;
            return Ok(v);
        }
        // Report the first byte that differs (or the end), as a byte-wise match would.
        let matched = word
            .iter()
            .zip(self.rest)
            .take_while(|(w, b)| w == b)
            .count();
        self.rest = self.rest.get(matched..).unwrap_or_default();
        Err(self.unexpected())
    }

    /// Parses a value that may nest `depth` more levels of arrays and objects.
    fn value(&mut self, depth: usize) -> R<Value> {
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            _ => Err(self.unexpected()),
        }
    }

    /// Steps over an opening bracket; returns the depth left inside it.
    fn enter(&mut self, depth: usize) -> R<usize> {
        let Some(inner) = depth.checked_sub(1) else {
            return Err(ParseError::TooDeep {
                offset: self.pos(),
                limit: self.max_depth,
            });
        };
        self.bump();
        Ok(inner)
    }

    fn array(&mut self, depth: usize) -> R<Value> {
        let inner = self.enter(depth)?;
        self.skip_ws();
        if let [b']', rest @ ..] = self.rest {
            self.rest = rest;
            return Ok(Value::Array(Vec::new()));
        }
        let base = self.value_stack.len();
        loop {
            self.skip_ws();
            let v = self.value(inner)?;
            self.value_stack.push(v);
            self.skip_ws();
            match self.rest {
                [b',', rest @ ..] => self.rest = rest,
                [b']', rest @ ..] => {
                    self.rest = rest;
                    break;
                }
                _ => return Err(self.unexpected()),
            }
        }
        Ok(Value::Array(self.value_stack.split_off(base)))
    }

    fn object(&mut self, depth: usize) -> R<Value> {
        let inner = self.enter(depth)?;
        let base = self.key_offsets.len();
        let entry_base = self.entry_stack.len();
        self.skip_ws();
        if let [b'}', rest @ ..] = self.rest {
            self.rest = rest;
            return Ok(Value::Object(Object::new()));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected());
            }
            let key_offset = self.pos();
            let key = self.string()?;
            self.skip_ws();
            let [b':', rest @ ..] = self.rest else {
                return Err(self.unexpected());
            };
            self.rest = rest;
            self.skip_ws();
            let value = self.value(inner)?;
            self.add_entry(entry_base, key, value, key_offset)?;
            self.skip_ws();
            match self.rest {
                [b',', rest @ ..] => self.rest = rest,
                [b'}', rest @ ..] => {
                    self.rest = rest;
                    break;
                }
                _ => return Err(self.unexpected()),
            }
        }
        let entries = self.entry_stack.split_off(entry_base);
        let result = self.finish_object(entries, base);
        self.key_offsets.truncate(base);
        result.map(Value::Object)
    }

    fn add_entry(
        &mut self,
        entry_base: usize,
        key: JsString,
        value: Value,
        key_offset: usize,
    ) -> R<()> {
        let entries = self.entry_stack.get_mut(entry_base..).unwrap_or_default();
        if entries.len() < SMALL_OBJECT
            && let Some((_, slot)) = entries.iter_mut().find(|(k, _)| *k == key)
        {
            if self.strict {
                return Err(ParseError::DuplicateKey { offset: key_offset });
            }
            // JS: the last value wins, at the first key's position.
            *slot = value;
            return Ok(());
        }
        self.entry_stack.push((key, value));
        self.key_offsets.push(key_offset);
        Ok(())
    }

    /// Removes duplicates of large objects and moves array-index keys first.
    fn finish_object(&self, mut entries: Vec<(JsString, Value)>, base: usize) -> R<Object> {
        if entries.len() > SMALL_OBJECT {
            let mut order: Vec<usize> = (0..entries.len()).collect();
            // Stable: equal keys stay in input order.
            order.sort_by(|&a, &b| key_of(&entries, a).cmp(key_of(&entries, b)));
            let mut remove = alloc::vec![false; entries.len()];
            let mut first_dup: Option<usize> = None;
            // (first, last) occurrence of each duplicated key: the last value moves to the
            // first position.
            let mut moves: Vec<(usize, usize)> = Vec::new();
            for group in order.chunk_by(|&a, &b| key_of(&entries, a) == key_of(&entries, b)) {
                let [head, ref dups @ ..] = *group else {
                    continue;
                };
                let (Some(&second), Some(&last)) = (dups.first(), dups.last()) else {
                    continue;
                };
                first_dup = Some(first_dup.map_or(second, |f| f.min(second)));
                moves.push((head, last));
                for &dup in dups {
                    if let Some(r) = remove.get_mut(dup) {
                        *r = true;
                    }
                }
            }
            if let Some(dup) = first_dup {
                if self.strict {
                    let offset = self
                        .key_offsets
                        .get(base..)
                        .and_then(|offsets| offsets.get(dup))
                        .copied()
                        .unwrap_or(0);
                    return Err(ParseError::DuplicateKey { offset });
                }
                for (head, last) in moves {
                    let v = entries
                        .get_mut(last)
                        .map(|e| core::mem::take(&mut e.1))
                        .unwrap_or_default();
                    if let Some(e) = entries.get_mut(head) {
                        e.1 = v;
                    }
                }
                let mut removed = remove.iter();
                entries.retain(|_| !removed.next().copied().unwrap_or(false));
            }
        }
        if entries
            .iter()
            .any(|(k, _)| array_index(k.as_wtf8()).is_some())
        {
            // Stable: non-index keys keep insertion order.
            entries.sort_by_key(|(k, _)| match array_index(k.as_wtf8()) {
                Some(i) => (0u8, i),
                None => (1, 0),
            });
        }
        Ok(Object::from_ordered(entries))
    }

    fn number(&mut self) -> R<Value> {
        let from = self.rest;
        let neg = self.peek() == Some(b'-');
        if neg {
            self.bump();
        }
        let int_start = self.rest;
        match self.peek() {
            Some(b'0') => self.bump(),
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.bad_number()),
        }
        let int_digits = before(int_start, self.rest);
        let mut simple = true;
        if self.peek() == Some(b'.') {
            simple = false;
            self.bump();
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.bad_number());
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            simple = false;
            self.bump();
            if let Some(b'+' | b'-') = self.peek() {
                self.bump();
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.bad_number());
            }
            self.digits();
        }
        let text = before(from, self.rest);
        // Exact: at most 15 digits fit a double's 53-bit significand.
        let exact = if simple { small_int(int_digits) } else { None };
        let n = match exact {
            Some(v) => {
                let m = v as f64;
                if neg { -m } else { m }
            }
            // Correctly rounded; overflow gives ±inf, underflow ±0 (like JS).
            None => core::str::from_utf8(text)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .ok_or(ParseError::InvalidNumber {
                    offset: self.offset_of(from),
                })?,
        };
        if self.strict {
            let offset = self.offset_of(from);
            if n.is_infinite() {
                return Err(ParseError::NumberOutOfRange { offset });
            }
            if n == 0.0 && neg {
                return Err(ParseError::NegativeZero { offset });
            }
        }
        Ok(Value::Number(n))
    }

    #[inline]
    fn digits(&mut self) {
        let n = self
            .rest
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(self.rest.len());
        self.rest = self.rest.get(n..).unwrap_or_default();
    }

    fn bad_number(&self) -> ParseError {
        match self.peek() {
            None => ParseError::UnexpectedEnd { offset: self.pos() },
            Some(_) => ParseError::InvalidNumber { offset: self.pos() },
        }
    }

    /// Parses a string starting at its opening quote.
    fn string(&mut self) -> R<JsString> {
        self.bump();
        let mut out = String::new();
        self.lone.clear();
        loop {
            let run_start = self.rest;
            self.rest = skip_plain(run_start);
            let run = before(run_start, self.rest);
            if !run.is_empty() {
                self.push_run(&mut out, run, run_start)?;
            }
            match self.peek() {
                Some(b'"') => {
                    self.bump();
                    break;
                }
                Some(b'\\') => self.escape(&mut out)?,
                Some(byte) => {
                    return Err(ParseError::ControlCharacter {
                        offset: self.pos(),
                        byte,
                    });
                }
                None => return Err(ParseError::UnexpectedEnd { offset: self.pos() }),
            }
        }
        if self.lone.is_empty() {
            return Ok(JsString::from(out));
        }
        // Splice the lone surrogates in as WTF-8.
        let bytes = out.as_bytes();
        let mut w = Vec::with_capacity(
            bytes
                .len()
                .saturating_add(self.lone.len().saturating_mul(3)),
        );
        let mut prev = 0;
        for &(at, unit) in &self.lone {
            w.extend_from_slice(bytes.get(prev..at).unwrap_or(&[]));
            push_surrogate(&mut w, unit);
            prev = at;
        }
        w.extend_from_slice(bytes.get(prev..).unwrap_or(&[]));
        Ok(JsString::from_wtf8_parts(w, true))
    }

    /// Appends a run of string bytes without `"`, `\` or controls; `run` is the start of
    /// `from`, a suffix of the input.
    fn push_run(&self, out: &mut String, run: &[u8], from: &[u8]) -> R<()> {
        match core::str::from_utf8(run) {
            Ok(s) => {
                out.push_str(s);
                Ok(())
            }
            Err(e) if self.strict => Err(ParseError::InvalidUtf8 {
                offset: self.offset_of(from.get(e.valid_up_to()..).unwrap_or_default()),
            }),
            Err(_) => {
                // Node decodes the buffer first: each maximal invalid subpart becomes
                // U+FFFD (WHATWG UTF-8 decoding, which `utf8_chunks` implements).
                for chunk in run.utf8_chunks() {
                    out.push_str(chunk.valid());
                    if !chunk.invalid().is_empty() {
                        out.push(char::REPLACEMENT_CHARACTER);
                    }
                }
                Ok(())
            }
        }
    }

    /// Handles one escape; `self.rest` starts at the backslash.
    fn escape(&mut self, out: &mut String) -> R<()> {
        let at = self.pos();
        self.bump();
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let hex = self.rest.get(1..).unwrap_or_default();
                let Some(unit) = hex4(hex) else {
                    // Report the end of input if that is what cut the escape short.
                    return Err(if hex.iter().take(4).all(u8::is_ascii_hexdigit) {
                        ParseError::UnexpectedEnd {
                            offset: self.input.len(),
                        }
                    } else {
                        ParseError::InvalidEscape { offset: at }
                    });
                };
                self.rest = hex.get(4..).unwrap_or_default();
                return self.unit(out, unit, at);
            }
            None => return Err(ParseError::UnexpectedEnd { offset: self.pos() }),
            Some(_) => return Err(ParseError::InvalidEscape { offset: at }),
        };
        self.bump();
        out.push(c);
        Ok(())
    }

    fn unit(&mut self, out: &mut String, unit: u16, at: usize) -> R<()> {
        if let Some(c) = char::from_u32(u32::from(unit)) {
            out.push(c);
            return Ok(());
        }
        if (0xD800..0xDC00).contains(&unit)
            && let [b'\\', b'u', hex @ ..] = self.rest
            && let Some(low @ 0xDC00..=0xDFFF) = hex4(hex)
        {
            // U+10000 plus the ten low bits of each unit.
            let bits = (u32::from(unit & 0x3ff) << 10) | u32::from(low & 0x3ff);
            let c = 0x1_0000u32.checked_add(bits).and_then(char::from_u32);
            out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
            self.rest = hex.get(4..).unwrap_or_default();
            return Ok(());
        }
        if self.strict {
            return Err(ParseError::LoneSurrogate { offset: at });
        }
        self.lone.push((out.len(), unit));
        Ok(())
    }
}

fn key_of(entries: &[(JsString, Value)], i: usize) -> &[u8] {
    entries.get(i).map_or(&[], |(k, _)| k.as_wtf8())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn special(b: u8) -> bool {
        b < 0x20 || b == b'"' || b == b'\\'
    }

    /// `skip_plain` stops at exactly the first special byte, wherever it falls in or
    /// across the eight-byte words and whatever follows it.
    #[test]
    fn skip_plain_finds_the_first_special_byte() {
        // Bytes around the thresholds of the bit tricks, and ones whose high bit is set.
        let fill = [
            b'a', b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xa0, 0xa2, 0xdc, 0xff,
        ];
        for len in 0..24usize {
            for at in 0..=len {
                for first in 0..=255u8 {
                    for &f in &fill {
                        let mut buf = alloc::vec![f; len];
                        if let Some(slot) = buf.get_mut(at) {
                            *slot = first;
                        }
                        // A second special byte later must not matter.
                        if let Some(slot) = buf.get_mut(at.saturating_add(3)) {
                            *slot = b'"';
                        }
                        let want = buf.iter().position(|&b| special(b)).unwrap_or(len);
                        let got = len.saturating_sub(skip_plain(&buf).len());
                        assert_eq!(got, want, "{buf:02x?}");
                    }
                }
            }
        }
    }
}
