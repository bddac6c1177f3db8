//! `JSON.parse` over UTF-8 bytes, with JavaScript's semantics or the stricter SSB data
//! model (docs/PROTOCOL.md §5.6, §5.8).

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
        pos: 0,
        strict: options.mode == Mode::Strict,
        depth: 0,
        max_depth: options.max_depth,
        lone: Vec::new(),
        key_offsets: Vec::with_capacity(16),
        entry_stack: Vec::with_capacity(16),
        value_stack: Vec::with_capacity(8),
    };
    p.skip_ws();
    let v = p.value()?;
    p.skip_ws();
    if p.pos < input.len() {
        return Err(ParseError::TrailingCharacters { offset: p.pos });
    }
    Ok(v)
}

/// The position of the first `"`, `\` or control byte at or after `i` (or the input
/// length). Eight bytes at a time: the bit tricks may report a false positive (then the
/// byte loop decides), never a false negative.
#[inline]
fn find_string_special(input: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = input.get(i..i + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(bytes);
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let found =
            (w.wrapping_sub(ONES * 0x20) | quote.wrapping_sub(ONES) | backslash.wrapping_sub(ONES))
                & !w
                & HIGH;
        if found != 0 {
            break;
        }
        i += 8;
    }
    while let Some(&b) = input.get(i) {
        if b < 0x20 || b == b'"' || b == b'\\' {
            break;
        }
        i += 1;
    }
    i
}

struct Parser<'i> {
    input: &'i [u8],
    pos: usize,
    strict: bool,
    depth: usize,
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
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn unexpected(&self) -> ParseError {
        match self.peek() {
            Some(byte) => ParseError::UnexpectedByte {
                offset: self.pos,
                byte,
            },
            None => ParseError::UnexpectedEnd { offset: self.pos },
        }
    }

    fn literal(&mut self, word: &[u8], v: Value) -> R<Value> {
        for &w in word {
            if self.peek() != Some(w) {
                return Err(self.unexpected());
            }
            self.pos += 1;
        }
        Ok(v)
    }

    fn value(&mut self) -> R<Value> {
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            _ => Err(self.unexpected()),
        }
    }

    fn enter(&mut self) -> R<()> {
        if self.depth >= self.max_depth {
            return Err(ParseError::TooDeep {
                offset: self.pos,
                limit: self.max_depth,
            });
        }
        self.depth += 1;
        self.pos += 1;
        Ok(())
    }

    fn array(&mut self) -> R<Value> {
        self.enter()?;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Array(Vec::new()));
        }
        let base = self.value_stack.len();
        loop {
            self.skip_ws();
            let v = self.value()?;
            self.value_stack.push(v);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.unexpected()),
            }
        }
        self.depth -= 1;
        Ok(Value::Array(self.value_stack.split_off(base)))
    }

    fn object(&mut self) -> R<Value> {
        self.enter()?;
        let base = self.key_offsets.len();
        let entry_base = self.entry_stack.len();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Object(Object::new()));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected());
            }
            let key_offset = self.pos;
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.unexpected());
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value()?;
            self.add_entry(entry_base, key, value, key_offset)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.unexpected()),
            }
        }
        let entries = self.entry_stack.split_off(entry_base);
        let result = self.finish_object(entries, base);
        self.key_offsets.truncate(base);
        self.depth -= 1;
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
        if entries.len() < SMALL_OBJECT {
            if let Some((_, slot)) = entries.iter_mut().find(|(k, _)| *k == key) {
                if self.strict {
                    return Err(ParseError::DuplicateKey { offset: key_offset });
                }
                // JS: the last value wins, at the first key's position.
                *slot = value;
                return Ok(());
            }
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
            let mut i = 0;
            while i < order.len() {
                let head = order.get(i).copied().unwrap_or(0);
                let mut j = i + 1;
                while let Some(&next) = order.get(j) {
                    if key_of(&entries, next) != key_of(&entries, head) {
                        break;
                    }
                    j += 1;
                }
                if j > i + 1 {
                    // order[i] is the first occurrence, order[j-1] the last.
                    let second = order.get(i + 1).copied().unwrap_or(head);
                    first_dup = Some(first_dup.map_or(second, |f| f.min(second)));
                    let last = order.get(j - 1).copied().unwrap_or(head);
                    let v = entries
                        .get_mut(last)
                        .map(|e| core::mem::take(&mut e.1))
                        .unwrap_or_default();
                    if let Some(e) = entries.get_mut(head) {
                        e.1 = v;
                    }
                    for &dup in order.get(i + 1..j).unwrap_or(&[]) {
                        if let Some(r) = remove.get_mut(dup) {
                            *r = true;
                        }
                    }
                }
                i = j;
            }
            if let Some(dup) = first_dup {
                if self.strict {
                    let offset = self.key_offsets.get(base + dup).copied().unwrap_or(0);
                    return Err(ParseError::DuplicateKey { offset });
                }
                let mut idx = 0;
                entries.retain(|_| {
                    let keep = !remove.get(idx).copied().unwrap_or(false);
                    idx += 1;
                    keep
                });
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
        let start = self.pos;
        let neg = self.peek() == Some(b'-');
        if neg {
            self.pos += 1;
        }
        let int_start = self.pos;
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.bad_number()),
        }
        let int_digits = self.pos - int_start;
        let mut simple = true;
        if self.peek() == Some(b'.') {
            simple = false;
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.bad_number());
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            simple = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.bad_number());
            }
            self.digits();
        }
        let text = self.input.get(start..self.pos).unwrap_or(&[]);
        let n = if simple && int_digits <= 15 {
            // Exact: at most 15 digits fit a double's 53-bit significand.
            let mut v: u64 = 0;
            for &d in text.get(usize::from(neg)..).unwrap_or(&[]) {
                v = v * 10 + u64::from(d - b'0');
            }
            let m = v as f64;
            if neg { -m } else { m }
        } else {
            // Correctly rounded; overflow gives ±inf, underflow ±0 (like JS).
            core::str::from_utf8(text)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .ok_or(ParseError::InvalidNumber { offset: start })?
        };
        if self.strict {
            if n.is_infinite() {
                return Err(ParseError::NumberOutOfRange { offset: start });
            }
            if n == 0.0 && neg {
                return Err(ParseError::NegativeZero { offset: start });
            }
        }
        Ok(Value::Number(n))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn bad_number(&self) -> ParseError {
        match self.peek() {
            None => ParseError::UnexpectedEnd { offset: self.pos },
            Some(_) => ParseError::InvalidNumber { offset: self.pos },
        }
    }

    /// Parses a string starting at its opening quote.
    fn string(&mut self) -> R<JsString> {
        self.pos += 1;
        let mut out = String::new();
        self.lone.clear();
        loop {
            let run_start = self.pos;
            self.pos = find_string_special(self.input, self.pos);
            let run = self.input.get(run_start..self.pos).unwrap_or(&[]);
            if !run.is_empty() {
                self.push_run(&mut out, run, run_start)?;
            }
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => self.escape(&mut out)?,
                Some(byte) => {
                    return Err(ParseError::ControlCharacter {
                        offset: self.pos,
                        byte,
                    });
                }
                None => return Err(ParseError::UnexpectedEnd { offset: self.pos }),
            }
        }
        if self.lone.is_empty() {
            return Ok(JsString::from(out));
        }
        // Splice the lone surrogates in as WTF-8.
        let bytes = out.as_bytes();
        let mut w = Vec::with_capacity(bytes.len() + 3 * self.lone.len());
        let mut prev = 0;
        for &(at, unit) in &self.lone {
            w.extend_from_slice(bytes.get(prev..at).unwrap_or(&[]));
            push_surrogate(&mut w, unit);
            prev = at;
        }
        w.extend_from_slice(bytes.get(prev..).unwrap_or(&[]));
        Ok(JsString::from_wtf8_parts(w, true))
    }

    /// Appends a run of string bytes without `"`, `\` or controls.
    fn push_run(&self, out: &mut String, run: &[u8], at: usize) -> R<()> {
        match core::str::from_utf8(run) {
            Ok(s) => {
                out.push_str(s);
                Ok(())
            }
            Err(e) if self.strict => Err(ParseError::InvalidUtf8 {
                offset: at + e.valid_up_to(),
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

    fn hex4(&self, at: usize) -> Option<u16> {
        let mut v: u16 = 0;
        for i in 0..4 {
            let d = match self.input.get(at + i)? {
                b @ b'0'..=b'9' => b - b'0',
                b @ b'a'..=b'f' => b - b'a' + 10,
                b @ b'A'..=b'F' => b - b'A' + 10,
                _ => return None,
            };
            v = (v << 4) | u16::from(d);
        }
        Some(v)
    }

    /// Handles one escape; `self.pos` is at the backslash.
    fn escape(&mut self, out: &mut String) -> R<()> {
        let at = self.pos;
        let bad = |p: &Self| match p.input.get(p.pos) {
            None => ParseError::UnexpectedEnd { offset: p.pos },
            Some(_) => ParseError::InvalidEscape { offset: at },
        };
        self.pos += 1;
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
                let Some(unit) = self.hex4(self.pos + 1) else {
                    // Report the end of input if that is what cut the escape short.
                    let mut p = self.pos + 1;
                    while p < self.pos + 5 && self.input.get(p).is_some_and(u8::is_ascii_hexdigit) {
                        p += 1;
                    }
                    return Err(if p >= self.input.len() {
                        ParseError::UnexpectedEnd {
                            offset: self.input.len(),
                        }
                    } else {
                        ParseError::InvalidEscape { offset: at }
                    });
                };
                self.pos += 5;
                return self.unit(out, unit, at);
            }
            _ => return Err(bad(self)),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn unit(&mut self, out: &mut String, unit: u16, at: usize) -> R<()> {
        if let Some(c) = char::from_u32(u32::from(unit)) {
            out.push(c);
            return Ok(());
        }
        if (0xD800..0xDC00).contains(&unit)
            && self.input.get(self.pos) == Some(&b'\\')
            && self.input.get(self.pos + 1) == Some(&b'u')
        {
            if let Some(low @ 0xDC00..=0xDFFF) = self.hex4(self.pos + 2) {
                let cp = 0x1_0000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                out.push(char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER));
                self.pos += 6;
                return Ok(());
            }
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
