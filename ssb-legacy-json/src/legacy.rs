//! UTF-16 lengths and the "latin1" message-id hash (docs/PROTOCOL.md §5.3, §5.4).
//!
//! Both are defined on the UTF-16 code units of a JavaScript string; both are computed here
//! in one pass over UTF-8 text, without materialising a `Vec<u16>`.

use sha2::{Digest, Sha256};

/// The length of `s` in UTF-16 code units: JavaScript's `s.length`, the unit of the 8192
/// size limit of classic messages.
///
/// ```
/// use ssb_legacy_json::utf16_len;
/// assert_eq!(utf16_len("abc"), 3);
/// assert_eq!(utf16_len("ß€"), 2); // 5 UTF-8 bytes
/// assert_eq!(utf16_len("😀"), 2); // one code point, a surrogate pair
/// ```
pub fn utf16_len(s: &str) -> usize {
    utf16_len_bytes(s.as_bytes())
}

/// UTF-16 length of UTF-8 (or WTF-8) bytes: one unit per non-continuation byte, plus one
/// more for each four-byte lead (a surrogate pair).
pub(crate) fn utf16_len_bytes(b: &[u8]) -> usize {
    b.iter()
        .map(|&x| usize::from((x & 0xC0) != 0x80) + usize::from(x >= 0xF0))
        .sum()
}

/// The bytes SSB hashes for a message id: the low byte of every UTF-16 code unit of `s`
/// (Node's `Buffer.from(s, 'binary')`).
///
/// ```
/// use ssb_legacy_json::legacy_hash_bytes;
/// let bytes: Vec<u8> = legacy_hash_bytes("aß€😀").collect();
/// assert_eq!(bytes, [b'a', 0xdf, 0xac, 0x3d, 0x00]);
/// ```
pub fn legacy_hash_bytes(s: &str) -> LegacyBytes<'_> {
    LegacyBytes {
        chars: s.chars(),
        pending: None,
    }
}

/// Iterator returned by [`legacy_hash_bytes`].
#[derive(Clone, Debug)]
pub struct LegacyBytes<'a> {
    chars: core::str::Chars<'a>,
    pending: Option<u8>,
}

impl Iterator for LegacyBytes<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        if let Some(b) = self.pending.take() {
            return Some(b);
        }
        let c = u32::from(self.chars.next()?);
        if c < 0x1_0000 {
            Some(c as u8)
        } else {
            // High surrogate 0xD800 + (c' >> 10), low 0xDC00 + (c' & 0x3FF): their low
            // bytes are (c' >> 10) and (c' & 0xFF).
            let c = c - 0x1_0000;
            self.pending = Some(c as u8);
            Some((c >> 10) as u8)
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (lo, hi) = self.chars.size_hint();
        let p = usize::from(self.pending.is_some());
        (
            lo.saturating_add(p),
            hi.and_then(|h| h.checked_mul(2)?.checked_add(p)),
        )
    }
}

/// SHA-256 over [`legacy_hash_bytes`]`(s)`: the 32 bytes inside a classic message id
/// `%<base64>.sha256` when `s` is the message's signing encoding.
pub fn legacy_sha256(s: &str) -> [u8; 32] {
    let mut h = LegacyHasher::new();
    h.update(s);
    h.finalize()
}

/// Streaming form of [`legacy_sha256`] that also counts UTF-16 units.
///
/// Text may be fed in any number of pieces; a piece may even end in the middle of a
/// UTF-8 sequence when fed through the crate's own serializer.
#[derive(Clone, Debug)]
pub struct LegacyHasher {
    sha: Sha256,
    buf: [u8; 64],
    buf_len: usize,
    cp: u32,
    need: u8,
    utf16_len: usize,
}

impl Default for LegacyHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl LegacyHasher {
    /// A hasher that has seen nothing.
    pub fn new() -> Self {
        Self {
            sha: Sha256::new(),
            buf: [0; 64],
            buf_len: 0,
            cp: 0,
            need: 0,
            utf16_len: 0,
        }
    }

    /// Feeds more text.
    pub fn update(&mut self, s: &str) {
        self.update_utf8(s.as_bytes());
    }

    /// UTF-16 units fed so far.
    pub fn utf16_len(&self) -> usize {
        self.utf16_len
    }

    /// The SHA-256 of the low bytes of all UTF-16 units fed.
    pub fn finalize(mut self) -> [u8; 32] {
        self.flush();
        self.sha.finalize().into()
    }

    pub(crate) fn update_utf8(&mut self, bytes: &[u8]) {
        if self.need == 0 && bytes.is_ascii() {
            self.flush();
            self.sha.update(bytes);
            self.utf16_len += bytes.len();
            return;
        }
        let mut rest = bytes;
        while let Some((&b, tail)) = rest.split_first() {
            if b < 0x80 {
                // An ASCII run: its bytes are their own UTF-16 low bytes; copy it whole.
                let n = rest.iter().position(|&c| c >= 0x80).unwrap_or(rest.len());
                let (run, after) = rest.split_at(n);
                self.need = 0;
                self.push_slice(run);
                self.utf16_len += n;
                rest = after;
                continue;
            }
            rest = tail;
            if b < 0xC0 {
                self.cp = (self.cp << 6) | u32::from(b & 0x3F);
                if self.need > 0 {
                    self.need -= 1;
                    if self.need == 0 {
                        self.emit(self.cp);
                    }
                }
            } else if b < 0xE0 {
                self.cp = u32::from(b & 0x1F);
                self.need = 1;
            } else if b < 0xF0 {
                self.cp = u32::from(b & 0x0F);
                self.need = 2;
            } else {
                self.cp = u32::from(b & 0x07);
                self.need = 3;
            }
        }
    }

    fn push_slice(&mut self, bytes: &[u8]) {
        let room = self.buf.len() - self.buf_len;
        if bytes.len() <= room {
            if let Some(dst) = self.buf.get_mut(self.buf_len..self.buf_len + bytes.len()) {
                dst.copy_from_slice(bytes);
                self.buf_len += bytes.len();
            }
        } else {
            self.flush();
            self.sha.update(bytes);
        }
    }

    fn emit(&mut self, cp: u32) {
        if cp < 0x1_0000 {
            self.push(cp as u8);
            self.utf16_len += 1;
        } else {
            let c = cp.wrapping_sub(0x1_0000);
            self.push((c >> 10) as u8);
            self.push(c as u8);
            self.utf16_len += 2;
        }
    }

    fn push(&mut self, b: u8) {
        if self.buf_len == self.buf.len() {
            self.flush();
        }
        if let Some(slot) = self.buf.get_mut(self.buf_len) {
            *slot = b;
            self.buf_len += 1;
        }
    }

    fn flush(&mut self) {
        if let Some(b) = self.buf.get(..self.buf_len) {
            self.sha.update(b);
        }
        self.buf_len = 0;
    }
}
