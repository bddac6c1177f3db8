//! `JSON.stringify(v, null, 2)` and `JSON.stringify(v)`, byte for byte
//! (docs/PROTOCOL.md §5.7).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::legacy::{LegacyHasher, utf16_len_bytes};
use crate::number::format_json_bytes;
use crate::value::{Object, Value};

/// Writing into a caller's buffer failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The buffer is too small; `required` is the full encoded length in bytes.
    #[error("output buffer too small: {required} bytes required")]
    BufferTooSmall {
        /// Bytes the whole encoding needs.
        required: usize,
    },
    /// The encoding is longer than the limit given to [`Stringify::append_bounded`]; it
    /// was abandoned as soon as it passed the limit, so its full length is not known (ask
    /// [`Stringify::utf8_len`], which does not allocate).
    #[error("encoding longer than {limit} bytes")]
    LimitExceeded {
        /// The limit, in bytes.
        limit: usize,
    },
}

/// Which `JSON.stringify` form to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Style {
    /// `JSON.stringify(v, null, 2)`: the form SSB signs, hashes and measures.
    Signing,
    /// `JSON.stringify(v)`: no whitespace at all.
    Compact,
}

/// The outcome of one pass over a signing encoding: its size in the units SSB uses and
/// its message-id hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LegacySummary {
    /// Length in UTF-16 code units (`JSON.stringify(v, null, 2).length`).
    pub utf16_len: usize,
    /// Length of the UTF-8 encoding in bytes.
    pub utf8_len: usize,
    /// SHA-256 of the low byte of each UTF-16 unit (the message id hash).
    pub legacy_sha256: [u8; 32],
}

#[derive(Clone, Copy, Debug)]
enum Root<'a> {
    Value(&'a Value),
    Object(&'a Object),
}

/// A value viewed as one of its `JSON.stringify` encodings. Cheap to create and copy; all
/// methods stream the encoding and allocate at most their own output.
///
/// # Cost
///
/// The signing encoding can be far longer than the JSON it came from: every element is
/// indented by two spaces per nesting level, so 1 MB of `[[[…[0,0,0,…]…]]]` nested 250
/// deep encodes to about 450 MB. The methods that produce bytes ([`to_vec`](Self::to_vec),
/// [`append_to`](Self::append_to), [`legacy_summary`](Self::legacy_summary), `Display`)
/// take time (and, when they allocate, memory) in proportion to the encoding. The others
/// do not: [`utf8_len`](Self::utf8_len) and [`utf16_len`](Self::utf16_len) count
/// indentation arithmetically, in time proportional to the value and without allocating;
/// [`append_bounded`](Self::append_bounded) and [`write_to_slice`](Self::write_to_slice)
/// stop writing as soon as the output passes their limit. Code that must measure or encode
/// untrusted values under a size limit uses those.
///
/// ```
/// let msg = ssb_legacy_json::parse(br#"{"a":[1,{}],"signature":"x"}"#).unwrap();
/// let obj = msg.as_object().unwrap();
/// let unsigned = obj.signing().without_key("signature");
/// assert_eq!(unsigned.into_string(), "{\n  \"a\": [\n    1,\n    {}\n  ]\n}");
///
/// let mut buf = [0u8; 8];
/// assert_eq!(
///     unsigned.write_to_slice(&mut buf),
///     Err(ssb_legacy_json::EncodeError::BufferTooSmall { required: 30 })
/// );
/// assert_eq!(msg.compact().into_string(), r#"{"a":[1,{}],"signature":"x"}"#);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Stringify<'a> {
    root: Root<'a>,
    style: Style,
    omit: Option<&'a str>,
}

impl<'a> Stringify<'a> {
    pub(crate) fn signing_value(v: &'a Value) -> Self {
        Self::new(Root::Value(v), Style::Signing)
    }
    pub(crate) fn compact_value(v: &'a Value) -> Self {
        Self::new(Root::Value(v), Style::Compact)
    }
    pub(crate) fn signing_object(o: &'a Object) -> Self {
        Self::new(Root::Object(o), Style::Signing)
    }
    pub(crate) fn compact_object(o: &'a Object) -> Self {
        Self::new(Root::Object(o), Style::Compact)
    }
    fn new(root: Root<'a>, style: Style) -> Self {
        Self {
            root,
            style,
            omit: None,
        }
    }

    /// The same value in another style.
    pub fn with_style(self, style: Style) -> Self {
        Self { style, ..self }
    }

    /// The style of this encoding.
    pub fn style(&self) -> Style {
        self.style
    }

    /// Leaves the top-level entry `key` out, as if it had been deleted (how the signed
    /// bytes of a message are formed: everything but `signature`). No effect if the value
    /// is not an object or has no such key. Nothing is cloned.
    pub fn without_key(self, key: &'a str) -> Self {
        Self {
            omit: Some(key),
            ..self
        }
    }

    /// Writes the encoding (UTF-8) into `out` and returns the number of bytes written, or
    /// [`EncodeError::BufferTooSmall`] with the exact size needed (then the content of
    /// `out` is unspecified). Writing stops as soon as `out` is full; the size needed is
    /// then counted as [`utf8_len`](Self::utf8_len) counts it.
    pub fn write_to_slice(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let mut sink = SliceSink { out, pos: 0 };
        self.run(&mut sink);
        if sink.pos > sink.out.len() {
            Err(EncodeError::BufferTooSmall {
                required: self.utf8_len(),
            })
        } else {
            Ok(sink.pos)
        }
    }

    /// Appends the encoding (UTF-8) to `out`.
    pub fn append_to(&self, out: &mut Vec<u8>) {
        self.run(out);
    }

    /// Appends the encoding (UTF-8) to `out` if it is at most `limit` bytes long, and
    /// returns its length. If it is longer, stops as soon as it passes `limit`, truncates
    /// `out` back to its length before the call and returns
    /// [`EncodeError::LimitExceeded`]. Either way `out` grows by at most `limit` bytes
    /// and the work done is proportional to `limit`, whatever the size of the value: this
    /// is how to encode an untrusted value under a size rule.
    ///
    /// ```
    /// use ssb_legacy_json::EncodeError;
    ///
    /// // 2 KB of JSON whose signing encoding is 628 KB (Node agrees on the length).
    /// let json = format!("{}{}0{}", "[".repeat(250), "0,".repeat(999), "]".repeat(250));
    /// let v = ssb_legacy_json::parse(json.as_bytes()).unwrap();
    /// assert_eq!(v.signing().utf8_len(), 628_498);
    ///
    /// let mut out = Vec::new();
    /// assert_eq!(
    ///     v.signing().append_bounded(&mut out, 24_576),
    ///     Err(EncodeError::LimitExceeded { limit: 24_576 })
    /// );
    /// assert!(out.is_empty() && out.capacity() <= 32_768);
    ///
    /// let small = ssb_legacy_json::parse(b"[1,[2]]").unwrap();
    /// assert_eq!(small.signing().append_bounded(&mut out, 24_576), Ok(22));
    /// assert_eq!(out, b"[\n  1,\n  [\n    2\n  ]\n]");
    /// ```
    pub fn append_bounded(&self, out: &mut Vec<u8>, limit: usize) -> Result<usize, EncodeError> {
        let start = out.len();
        let mut sink = BoundedSink {
            out,
            left: limit,
            over: false,
        };
        self.run(&mut sink);
        if sink.over {
            sink.out.truncate(start);
            Err(EncodeError::LimitExceeded { limit })
        } else {
            Ok(sink.out.len() - start)
        }
    }

    /// The encoding as UTF-8 bytes (the bytes SSB signs, for [`Style::Signing`]).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(256);
        self.run(&mut v);
        v
    }

    /// The encoding as a `String`. Always valid UTF-8: lone surrogates are escaped.
    pub fn into_string(self) -> String {
        match String::from_utf8(self.to_vec()) {
            Ok(s) => s,
            // Unreachable: the encoder only writes UTF-8.
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    }

    /// The length of the UTF-8 encoding in bytes. Indentation is counted, not written: the
    /// time taken is proportional to the value, not to its encoding, and nothing is
    /// allocated.
    pub fn utf8_len(&self) -> usize {
        let mut c = Counter(0);
        self.run(&mut c);
        c.0
    }

    /// The length in UTF-16 code units (`JSON.stringify(...).length`). Like
    /// [`utf8_len`](Self::utf8_len), in time proportional to the value, without allocating.
    pub fn utf16_len(&self) -> usize {
        let mut c = Utf16Counter(0);
        self.run(&mut c);
        c.0
    }

    /// The message-id hash: SHA-256 of the low byte of each UTF-16 unit.
    pub fn legacy_sha256(&self) -> [u8; 32] {
        self.legacy_summary().legacy_sha256
    }

    /// UTF-16 length, UTF-8 length and message-id hash in one pass, without allocating.
    pub fn legacy_summary(&self) -> LegacySummary {
        let mut s = SummarySink {
            hasher: LegacyHasher::new(),
            utf8_len: 0,
        };
        self.run(&mut s);
        LegacySummary {
            utf16_len: s.hasher.utf16_len(),
            utf8_len: s.utf8_len,
            legacy_sha256: s.hasher.finalize(),
        }
    }

    fn run<S: Sink>(&self, sink: &mut S) {
        let mut w = Writer {
            sink,
            pretty: self.style == Style::Signing,
        };
        let omit = self.omit.map(str::as_bytes);
        match self.root {
            Root::Value(Value::Object(o)) | Root::Object(o) => w.object(o, 0, omit),
            Root::Value(v) => w.value(v, 0),
        }
    }
}

impl fmt::Display for Stringify<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sink = FmtSink { f, result: Ok(()) };
        self.run(&mut sink);
        sink.result
    }
}

/// Receives the encoding in pieces. Pieces never split a UTF-8 sequence.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);

    /// A newline and `indent` spaces.
    fn newline(&mut self, indent: usize) {
        let mut left = indent;
        let mut first = true;
        loop {
            let take = left.min(NL_SPACES.len() - 1);
            let piece = if first {
                NL_SPACES.get(..=take)
            } else {
                NL_SPACES.get(1..=take)
            };
            self.put(piece.unwrap_or(b"\n"));
            first = false;
            left -= take;
            if left == 0 || self.is_full() {
                break;
            }
        }
    }

    /// True when the sink wants no more output: the writer then stops at the next piece.
    fn is_full(&self) -> bool {
        false
    }
}

impl Sink for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

struct SliceSink<'o> {
    out: &'o mut [u8],
    /// Bytes the encoding has produced so far (may exceed `out.len()`).
    pos: usize,
}

impl Sink for SliceSink<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.pos.saturating_add(bytes.len());
        if let Some(dst) = self.out.get_mut(self.pos..end) {
            dst.copy_from_slice(bytes);
        }
        self.pos = end;
    }
    fn is_full(&self) -> bool {
        self.pos > self.out.len()
    }
}

/// Appends to a `Vec` until a piece would take it past `left` more bytes.
struct BoundedSink<'o> {
    out: &'o mut Vec<u8>,
    /// Bytes that may still be appended.
    left: usize,
    /// A piece did not fit: nothing more is written.
    over: bool,
}

impl Sink for BoundedSink<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        if self.over {
            return;
        }
        match self.left.checked_sub(bytes.len()) {
            Some(left) => {
                self.out.extend_from_slice(bytes);
                self.left = left;
            }
            None => self.over = true,
        }
    }
    fn is_full(&self) -> bool {
        self.over
    }
}

struct Counter(usize);
impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) {
        self.0 = self.0.saturating_add(bytes.len());
    }
    fn newline(&mut self, indent: usize) {
        self.0 = self.0.saturating_add(indent).saturating_add(1);
    }
}

struct Utf16Counter(usize);
impl Sink for Utf16Counter {
    fn put(&mut self, bytes: &[u8]) {
        self.0 = self.0.saturating_add(utf16_len_bytes(bytes));
    }
    fn newline(&mut self, indent: usize) {
        self.0 = self.0.saturating_add(indent).saturating_add(1);
    }
}

struct SummarySink {
    hasher: LegacyHasher,
    utf8_len: usize,
}
impl Sink for SummarySink {
    fn put(&mut self, bytes: &[u8]) {
        self.utf8_len += bytes.len();
        self.hasher.update_utf8(bytes);
    }
}

struct FmtSink<'f, 'g> {
    f: &'f mut fmt::Formatter<'g>,
    result: fmt::Result,
}
impl Sink for FmtSink<'_, '_> {
    fn put(&mut self, bytes: &[u8]) {
        if self.result.is_ok() {
            self.result = core::str::from_utf8(bytes)
                .map_err(|_| fmt::Error)
                .and_then(|s| self.f.write_str(s));
        }
    }
    fn is_full(&self) -> bool {
        self.result.is_err()
    }
}

/// `"\n"` followed by spaces, sliced for indentation.
const NL_SPACES: &[u8; 129] = b"\n                                                                                                                                ";

/// Escape class of each byte inside a string: 0 = copy; otherwise the escape letter,
/// `u` for `\u00XX`, or `S` for `0xED` (may start a WTF-8 lone surrogate).
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0A] = b'n';
    t[0x0C] = b'f';
    t[0x0D] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[0xED] = b'S';
    t
};

const HEX: &[u8; 16] = b"0123456789abcdef";

struct Writer<'s, S: Sink> {
    sink: &'s mut S,
    pretty: bool,
}

impl<S: Sink> Writer<'_, S> {
    fn newline(&mut self, indent: usize) {
        if self.pretty {
            self.sink.newline(indent);
        }
    }

    fn value(&mut self, v: &Value, indent: usize) {
        match v {
            Value::Null => self.sink.put(b"null"),
            Value::Bool(true) => self.sink.put(b"true"),
            Value::Bool(false) => self.sink.put(b"false"),
            Value::Number(n) => {
                let mut buf = [0u8; 32];
                let len = format_json_bytes(*n, &mut buf);
                self.sink.put(buf.get(..len).unwrap_or(b"null"));
            }
            Value::String(s) => self.string(s.as_wtf8()),
            Value::Array(a) => self.array(a, indent),
            Value::Object(o) => self.object(o, indent, None),
        }
    }

    fn array(&mut self, a: &[Value], indent: usize) {
        if a.is_empty() {
            self.sink.put(b"[]");
            return;
        }
        let inner = indent + 2;
        self.sink.put(b"[");
        for (i, v) in a.iter().enumerate() {
            if self.sink.is_full() {
                return;
            }
            if i > 0 {
                self.sink.put(b",");
            }
            self.newline(inner);
            self.value(v, inner);
        }
        self.newline(indent);
        self.sink.put(b"]");
    }

    fn object(&mut self, o: &Object, indent: usize, omit: Option<&[u8]>) {
        let inner = indent + 2;
        let mut any = false;
        for (k, v) in o.entries() {
            if self.sink.is_full() {
                return;
            }
            if omit == Some(k.as_wtf8()) {
                continue;
            }
            self.sink.put(if any { b"," } else { b"{" });
            any = true;
            self.newline(inner);
            self.string(k.as_wtf8());
            self.sink.put(if self.pretty { b": " } else { b":" });
            self.value(v, inner);
        }
        if any {
            self.newline(indent);
            self.sink.put(b"}");
        } else {
            self.sink.put(b"{}");
        }
    }

    /// QuoteJSONString over WTF-8 bytes.
    fn string(&mut self, s: &[u8]) {
        self.sink.put(b"\"");
        let mut start = 0;
        let mut i = 0;
        while let Some(&b) = s.get(i) {
            let class = ESCAPE[usize::from(b)];
            if class == 0 {
                i += 1;
                continue;
            }
            let mut esc = [b'\\', class, 0, 0, 0, 0];
            let (len, skip) = match class {
                b'u' => {
                    esc[2] = b'0';
                    esc[3] = b'0';
                    esc[4] = HEX[usize::from(b >> 4)];
                    esc[5] = HEX[usize::from(b & 15)];
                    (6, 1)
                }
                b'S' => match (s.get(i + 1), s.get(i + 2)) {
                    // ED A0..BF xx: a lone surrogate D800..DFFF.
                    (Some(&b1), Some(&b2)) if b1 >= 0xA0 => {
                        let u = 0xD000 | (u16::from(b1 & 0x3F) << 6) | u16::from(b2 & 0x3F);
                        esc[1] = b'u';
                        esc[2] = HEX[usize::from(u >> 12)];
                        esc[3] = HEX[usize::from((u >> 8) & 15)];
                        esc[4] = HEX[usize::from((u >> 4) & 15)];
                        esc[5] = HEX[usize::from(u & 15)];
                        (6, 3)
                    }
                    _ => {
                        i += 1;
                        continue;
                    }
                },
                _ => (2, 1),
            };
            if let Some(run) = s.get(start..i)
                && !run.is_empty()
            {
                self.sink.put(run);
            }
            self.sink.put(esc.get(..len).unwrap_or(&[]));
            if self.sink.is_full() {
                return;
            }
            i += skip;
            start = i;
        }
        if let Some(run) = s.get(start..)
            && !run.is_empty()
        {
            self.sink.put(run);
        }
        self.sink.put(b"\"");
    }
}
