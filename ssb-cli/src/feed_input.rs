//! Reading a feed file as items, for the commands that read feeds (`verify-feed`, `import`):
//! `--format` and a streaming reader over [`ssb_feed::FeedReader`].

use std::io::{self, ErrorKind, Read};

use ssb_feed::{FeedError, FeedReader, Framing, Item};

/// `--format`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// A JSON array if the input starts with `[`, JSON lines otherwise
    Auto,
    /// One JSON array of items
    Array,
    /// One item per line
    Jsonl,
}

impl Format {
    /// The reader's framing.
    pub(crate) fn framing(self) -> Framing {
        match self {
            Format::Auto => Framing::Auto,
            Format::Array => Framing::Array,
            Format::Jsonl => Framing::Lines,
        }
    }
}

/// Bytes read from the input at a time.
const READ_BYTES: usize = 64 * 1024;

/// Items of the input in order, read through a [`FeedReader`].
pub(crate) struct Items<R> {
    input: R,
    reader: FeedReader,
    buf: Box<[u8]>,
    /// Unconsumed bytes of `buf`.
    start: usize,
    end: usize,
    eof: bool,
    /// Bytes of the input handed to the reader so far.
    pub(crate) consumed: u64,
}

impl<R: Read> Items<R> {
    pub(crate) fn new(input: R, framing: Framing) -> Self {
        Self {
            input,
            reader: FeedReader::new(framing),
            buf: vec![0; READ_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            consumed: 0,
        }
    }

    /// The next item, `None` at the end of the input.
    pub(crate) fn next_item(&mut self) -> io::Result<Option<Item>> {
        loop {
            if let Some(item) = self.reader.poll_item() {
                return Ok(Some(match item {
                    Ok(bytes) => Item::Bytes(bytes),
                    Err(e) => Item::Error(FeedError::Framing(e)),
                }));
            }
            if self.eof {
                return Ok(None);
            }
            if self.start == self.end {
                let n = match self.input.read(&mut self.buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                if n == 0 {
                    self.reader.finish();
                    self.eof = true;
                    continue;
                }
                (self.start, self.end) = (0, n);
            }
            let used = self
                .reader
                .push(self.buf.get(self.start..self.end).unwrap_or_default());
            self.start += used;
            self.consumed = self.consumed.saturating_add(used as u64);
        }
    }
}
