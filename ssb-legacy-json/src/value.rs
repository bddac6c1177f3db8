//! The value model: everything `JSON.parse` can produce (docs/PROTOCOL.md §5.6).

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::ser::Stringify;

/// A JSON value exactly as JavaScript's `JSON.parse` produces it.
///
/// Numbers are `f64` and keep what `JSON.parse` made of the text (`-0` is `-0.0`, `1e400`
/// is `+∞`, `6e-486` is `0.0`); strings are [`JsString`]s, which can hold lone surrogates;
/// objects are [`Object`]s, which keep V8's property order.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A double. Parsing in [`Mode::Strict`](crate::Mode::Strict) never yields `-0.0` or an
    /// infinity; JS mode can (both serialize as JavaScript does: `0` and `null`).
    Number(f64),
    /// A string.
    String(JsString),
    /// An array.
    Array(Vec<Value>),
    /// An object in V8 property order.
    Object(Object),
}

impl Value {
    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }
    /// The object, mutably, if this is one.
    pub fn as_object_mut(&mut self) -> Option<&mut Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }
    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    /// The string, if this is a string.
    pub fn as_js_string(&self) -> Option<&JsString> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    /// The string as `&str`, if this is a string without lone surrogates.
    pub fn as_str(&self) -> Option<&str> {
        self.as_js_string().and_then(JsString::as_str)
    }
    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }
    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    /// The field `key` if this is an object that has it (`v[key]` in JavaScript).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }

    /// The `JSON.stringify(v, null, 2)` encoding (what SSB signs and hashes), ready to be
    /// written, measured or hashed. See [`Stringify`].
    pub fn signing(&self) -> Stringify<'_> {
        Stringify::signing_value(self)
    }
    /// The compact `JSON.stringify(v)` encoding. See [`Stringify`].
    pub fn compact(&self) -> Stringify<'_> {
        Stringify::compact_value(self)
    }
    /// `JSON.stringify(v, null, 2)`.
    pub fn to_signing_string(&self) -> String {
        self.signing().into_string()
    }
    /// `JSON.stringify(v)`.
    pub fn to_compact_string(&self) -> String {
        self.compact().into_string()
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}
impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::Number(f64::from(n))
    }
}
impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::Number(f64::from(n))
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.into())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s.into())
    }
}
impl From<JsString> for Value {
    fn from(s: JsString) -> Self {
        Value::String(s)
    }
}
impl From<Object> for Value {
    fn from(o: Object) -> Self {
        Value::Object(o)
    }
}
impl From<Vec<Value>> for Value {
    fn from(a: Vec<Value>) -> Self {
        Value::Array(a)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map_or(Value::Null, Into::into)
    }
}

/// A JavaScript string: a sequence of UTF-16 code units that need not be valid Unicode.
///
/// # Representation
///
/// `JSON.parse('"\ud800"')` yields a string with a lone surrogate, which no Rust `String`
/// can hold. A `JsString` stores its text as **WTF-8** (the generalisation of UTF-8 that
/// also encodes unpaired surrogates as three-byte sequences; surrogate *pairs* are always
/// stored as the four-byte UTF-8 of their code point, so the encoding is unique). WTF-8
/// rather than UTF-16 because
///
/// * every string of valid data (all strings of a valid SSB message) is plain UTF-8:
///   [`as_str`](Self::as_str) is free, and the signing encoding (which is UTF-8) copies
///   the bytes without transcoding;
/// * equality of WTF-8 bytes is equality of UTF-16 code units, so duplicate keys are found
///   by comparing bytes;
/// * UTF-16 lengths and the latin1 hash bytes are computed from it in one pass.
///
/// Well-formed strings are kept as a `String`; only strings that contain a lone surrogate
/// are kept as raw WTF-8 bytes.
#[derive(Clone, Default)]
pub struct JsString {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Utf8(String),
    /// WTF-8 holding at least one lone surrogate.
    Wtf8(Vec<u8>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Utf8(String::new())
    }
}

impl JsString {
    /// The empty string.
    pub const fn new() -> Self {
        Self {
            repr: Repr::Utf8(String::new()),
        }
    }

    /// Builds a string from UTF-16 code units (any sequence, like a JavaScript string).
    ///
    /// ```
    /// use ssb_legacy_json::JsString;
    /// let s = JsString::from_utf16(&[0x61, 0xd800]);
    /// assert!(s.as_str().is_none());
    /// assert_eq!(s.encode_utf16().collect::<Vec<_>>(), [0x61, 0xd800]);
    /// assert_eq!(JsString::from_utf16(&[0xd83d, 0xde00]), "😀");
    /// ```
    pub fn from_utf16(units: &[u16]) -> Self {
        let mut out = Vec::with_capacity(units.len());
        let mut lone = false;
        for r in char::decode_utf16(units.iter().copied()) {
            match r {
                Ok(c) => {
                    let mut b = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                }
                Err(e) => {
                    lone = true;
                    push_surrogate(&mut out, e.unpaired_surrogate());
                }
            }
        }
        Self::from_wtf8_parts(out, lone)
    }

    /// Wraps parser output: WTF-8 bytes, `lone` if they contain a lone surrogate.
    pub(crate) fn from_wtf8_parts(bytes: Vec<u8>, lone: bool) -> Self {
        if lone {
            return Self {
                repr: Repr::Wtf8(bytes),
            };
        }
        match String::from_utf8(bytes) {
            Ok(s) => Self {
                repr: Repr::Utf8(s),
            },
            Err(e) => Self {
                repr: Repr::Wtf8(e.into_bytes()),
            },
        }
    }

    /// The text, if it holds no lone surrogate (always the case for valid SSB data).
    pub fn as_str(&self) -> Option<&str> {
        match &self.repr {
            Repr::Utf8(s) => Some(s),
            Repr::Wtf8(_) => None,
        }
    }

    /// True if the string contains an unpaired surrogate code unit.
    pub fn has_lone_surrogates(&self) -> bool {
        matches!(self.repr, Repr::Wtf8(_))
    }

    /// The WTF-8 bytes (UTF-8 when [`has_lone_surrogates`](Self::has_lone_surrogates) is
    /// false).
    pub fn as_wtf8(&self) -> &[u8] {
        match &self.repr {
            Repr::Utf8(s) => s.as_bytes(),
            Repr::Wtf8(b) => b,
        }
    }

    /// The text with every lone surrogate replaced by U+FFFD (what Node's
    /// `Buffer.from(s)` encodes).
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        match &self.repr {
            Repr::Utf8(s) => Cow::Borrowed(s),
            Repr::Wtf8(b) => Cow::Owned(
                wtf8_code_points(b)
                    .map(|c| char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect(),
            ),
        }
    }

    /// The length in UTF-16 code units (JavaScript's `s.length`).
    pub fn utf16_len(&self) -> usize {
        crate::legacy::utf16_len_bytes(self.as_wtf8())
    }

    /// The UTF-16 code units.
    pub fn encode_utf16(&self) -> impl Iterator<Item = u16> + '_ {
        let mut pending = None;
        let mut cps = wtf8_code_points(self.as_wtf8());
        core::iter::from_fn(move || {
            if let Some(u) = pending.take() {
                return Some(u);
            }
            let c = cps.next()?;
            if c < 0x1_0000 {
                Some(c as u16)
            } else {
                let c = c - 0x1_0000;
                pending = Some(0xDC00 | (c & 0x3FF) as u16);
                Some(0xD800 | (c >> 10) as u16)
            }
        })
    }
}

/// Appends the three-byte WTF-8 form of a surrogate code unit.
pub(crate) fn push_surrogate(out: &mut Vec<u8>, u: u16) {
    out.extend_from_slice(&[
        0xE0 | (u >> 12) as u8,
        0x80 | ((u >> 6) & 0x3F) as u8,
        0x80 | (u & 0x3F) as u8,
    ]);
}

/// Decodes generalized UTF-8 into code points (surrogates included). Total on any input.
fn wtf8_code_points(b: &[u8]) -> impl Iterator<Item = u32> + '_ {
    let mut i = 0;
    core::iter::from_fn(move || {
        let lead = *b.get(i)?;
        let (mut cp, n) = match lead {
            0x00..=0x7F => (u32::from(lead), 0),
            0xC0..=0xDF => (u32::from(lead & 0x1F), 1),
            0xE0..=0xEF => (u32::from(lead & 0x0F), 2),
            _ => (u32::from(lead & 0x07), 3),
        };
        i += 1;
        for _ in 0..n {
            match b.get(i) {
                Some(&c) if c & 0xC0 == 0x80 => {
                    cp = (cp << 6) | u32::from(c & 0x3F);
                    i += 1;
                }
                _ => return Some(0xFFFD),
            }
        }
        Some(cp)
    })
}

impl PartialEq for JsString {
    fn eq(&self, other: &Self) -> bool {
        self.as_wtf8() == other.as_wtf8()
    }
}
impl Eq for JsString {}
impl core::hash::Hash for JsString {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_wtf8().hash(state);
    }
}
impl PartialEq<str> for JsString {
    fn eq(&self, other: &str) -> bool {
        self.as_wtf8() == other.as_bytes()
    }
}
impl PartialEq<&str> for JsString {
    fn eq(&self, other: &&str) -> bool {
        self.as_wtf8() == other.as_bytes()
    }
}
impl From<&str> for JsString {
    fn from(s: &str) -> Self {
        Self {
            repr: Repr::Utf8(s.into()),
        }
    }
}
impl From<String> for JsString {
    fn from(s: String) -> Self {
        Self {
            repr: Repr::Utf8(s),
        }
    }
}
impl fmt::Debug for JsString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Utf8(s) => fmt::Debug::fmt(s, f),
            Repr::Wtf8(_) => {
                f.write_str("\"")?;
                for u in char::decode_utf16(self.encode_utf16()) {
                    match u {
                        Ok(c) => {
                            for e in c.escape_debug() {
                                fmt::Write::write_char(f, e)?;
                            }
                        }
                        Err(e) => write!(f, "\\u{{{:x}}}", e.unpaired_surrogate())?,
                    }
                }
                f.write_str("\"")
            }
        }
    }
}
impl fmt::Display for JsString {
    /// Lone surrogates are shown as U+FFFD.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

/// The numeric value of an *array-index* key, if `key` is one.
///
/// An array index is `"0"` or a digit string without leading zero whose value is at most
/// `2^32 − 2` (ECMAScript's `CanonicalNumericIndexString` restricted to array indices).
/// V8 lists these keys first, in ascending numeric order.
///
/// ```
/// use ssb_legacy_json::array_index;
/// assert_eq!(array_index(b"0"), Some(0));
/// assert_eq!(array_index(b"4294967294"), Some(4294967294));
/// assert_eq!(array_index(b"4294967295"), None);
/// assert_eq!(array_index(b"01"), None);
/// assert_eq!(array_index(b"-1"), None);
/// ```
pub fn array_index(key: &[u8]) -> Option<u32> {
    let (&first, _) = key.split_first()?;
    if key.len() > 10 || !first.is_ascii_digit() || (first == b'0' && key.len() > 1) {
        return None;
    }
    let mut v: u64 = 0;
    for &b in key {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(b - b'0');
    }
    if v <= 4_294_967_294 {
        u32::try_from(v).ok()
    } else {
        None
    }
}

/// A JSON object whose entries are kept in V8's property order.
///
/// The invariant, maintained by every method: keys are unique; array-index keys (see
/// [`array_index`]) come first in ascending numeric order; all other keys follow in
/// insertion order. This is the order `JSON.stringify` uses, so serializing an `Object`
/// reproduces JavaScript byte for byte. [`insert`](Self::insert) behaves like the
/// JavaScript assignment `o[key] = value`: an existing key keeps its position.
#[derive(Clone, Default, PartialEq)]
pub struct Object {
    entries: Vec<(JsString, Value)>,
}

impl Object {
    /// An empty object.
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Wraps entries that already satisfy the invariant (the parser's output).
    pub(crate) fn from_ordered(entries: Vec<(JsString, Value)>) -> Self {
        Self { entries }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// True if there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Position of `key` in iteration order.
    pub fn position(&self, key: &str) -> Option<usize> {
        self.position_bytes(key.as_bytes())
    }

    pub(crate) fn position_bytes(&self, key: &[u8]) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k.as_wtf8() == key)
    }

    /// The value of `key`. A linear scan: objects in SSB are small.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of a key that may contain lone surrogates.
    pub fn get_js(&self, key: &JsString) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// True if `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// The entry at `index` in iteration order.
    pub fn get_index(&self, index: usize) -> Option<(&JsString, &Value)> {
        self.entries.get(index).map(|(k, v)| (k, v))
    }

    /// `o[key] = value`: replaces the value of an existing key in place (returning the old
    /// value), otherwise adds the key where V8 would put it.
    pub fn insert(&mut self, key: impl Into<JsString>, value: impl Into<Value>) -> Option<Value> {
        let key = key.into();
        let value = value.into();
        if let Some((_, v)) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            return Some(core::mem::replace(v, value));
        }
        match array_index(key.as_wtf8()) {
            Some(idx) => {
                let at = self
                    .entries
                    .iter()
                    .position(|(k, _)| array_index(k.as_wtf8()).is_none_or(|i| i > idx))
                    .unwrap_or(self.entries.len());
                self.entries.insert(at, (key, value));
            }
            None => self.entries.push((key, value)),
        }
        None
    }

    /// `delete o[key]`: removes the entry, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let at = self.position(key)?;
        Some(self.entries.remove(at).1)
    }

    /// Entries in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self.entries.iter(),
        }
    }
    /// Keys in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &JsString> + '_ {
        self.entries.iter().map(|(k, _)| k)
    }
    /// Values in order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> + '_ {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The `JSON.stringify(o, null, 2)` encoding. Use
    /// [`without_key`](Stringify::without_key) to leave out the signature.
    pub fn signing(&self) -> Stringify<'_> {
        Stringify::signing_object(self)
    }
    /// The compact `JSON.stringify(o)` encoding.
    pub fn compact(&self) -> Stringify<'_> {
        Stringify::compact_object(self)
    }

    pub(crate) fn entries(&self) -> &[(JsString, Value)] {
        &self.entries
    }
}

/// Iterator over an [`Object`]'s entries in order.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    inner: core::slice::Iter<'a, (JsString, Value)>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a JsString, &'a Value);
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|(k, v)| (k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}
impl ExactSizeIterator for Iter<'_> {}
impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.inner.next_back().map(|(k, v)| (k, v))
    }
}

impl<'a> IntoIterator for &'a Object {
    type Item = (&'a JsString, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for Object {
    type Item = (JsString, Value);
    type IntoIter = alloc::vec::IntoIter<(JsString, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<K: Into<JsString>, V: Into<Value>> FromIterator<(K, V)> for Object {
    /// Inserts in order, like `Object.fromEntries`.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut o = Object::new();
        for (k, v) in iter {
            o.insert(k, v);
        }
        o
    }
}

impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}
