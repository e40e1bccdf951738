//! Reading a file's signals from a stream that cannot seek (a download in
//! progress, a member of a tar shard): the caller feeds chunks in order
//! with [`StreamRead::feed`], and gets an answer as soon as the file's
//! metadata is complete, or [`StreamRead::finish`]'s at the end.
//!
//! When the answer comes:
//! - **JPEG**: at its first scan (SOS), whether the stream's length is
//!   known or not: no metadata follows it.
//! - **TIFF, DNG, HEIF, AVIF, JPEG XL**, when the stream's length is known
//!   (an HTTP `Content-Length`, a tar member's size): as soon as what the
//!   full read looks at has arrived (a HEIF's `meta` and the XMP item's
//!   bytes, a TIFF's first directory and its packet).
//! - **PNG, WebP**, a file with Content Credentials, a stream of unknown
//!   length in any format but JPEG: at the end of the stream. A PNG's text
//!   chunks and a WebP's `XMP ` chunk may follow the image data, and a
//!   manifest binds every byte.
//!
//! An early answer is the full read's answer for a stream that goes on to
//! deliver the rest of the file whole; it cannot know that the rest will
//! be cut short. [`StreamRead::finish`] can: it gives the full read's
//! answer for the bytes that arrived (for a JPEG it checks the end marker;
//! a stream shorter or longer than its stated length is unreadable).
//!
//! Memory: until the answer, every byte is held; after a JPEG's answer,
//! only the bytes before it and the last 64 KiB (where the end marker is
//! looked for); after another format's, nothing. The image data of a JPEG
//! is never held whole.

use std::io;

use crate::container::{self, Format, ScanScope};
use crate::inspect::{FileSignals, ReadError, ReadOptions};
use crate::partial::Held;

/// The length a stream of unknown length is read as until it ends: no
/// check against the end can pass or fail before then.
const UNKNOWN_LENGTH: u64 = u64::MAX / 4;
/// Tries of the reader before the answer, at most; then it waits for the
/// end. Each try reads the held bytes again, and a file whose reads
/// wander through its length should not cost one pass per chunk.
const MAX_TRIES: u32 = 64;
/// The most held bytes reserved ahead for a stated length.
const RESERVE_AT_MOST: u64 = 64 << 20;
/// Bytes needed to tell the format.
const HEAD: u64 = 16;

/// What a stream read waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waiting {
    /// The bytes up to this offset (exclusive) before the next try.
    Bytes(u64),
    /// The end of the stream, and why.
    End(&'static str),
}

/// A read of one file's signals from its bytes in order (see the module
/// docs).
///
/// ```
/// use ccsig::stream::StreamRead;
/// // A JPEG with two megabytes of image data, fed in 64 KiB chunks.
/// let mut file = std::fs::read("sample-images/tagged/ccsig-cr-op.jpg").unwrap();
/// let eoi = file.split_off(file.len() - 2);
/// file.extend(vec![0u8; 2 << 20]);
/// file.extend(eoi);
/// let mut read = StreamRead::new(None, ccsig::ReadOptions::default());
/// let mut fed = 0;
/// for chunk in file.chunks(64 * 1024) {
///     fed += chunk.len();
///     if read.feed(chunk).is_some() {
///         break;
///     }
/// }
/// // Decided on the first chunk, at the first scan (SOS).
/// assert_eq!(fed, 64 * 1024);
/// let early = read.answer().unwrap().as_ref().unwrap().decisions.clone();
/// assert_eq!(early, ccsig::read_bytes(&file).unwrap().decisions);
/// // The rest of the stream, then the full read's answer, end marker checked.
/// for chunk in file[fed..].chunks(64 * 1024) {
///     read.feed(chunk);
/// }
/// assert_eq!(read.finish().unwrap().decisions, early);
/// ```
#[derive(Debug)]
pub struct StreamRead {
    /// The stream's stated length, when known.
    size: Option<u64>,
    options: ReadOptions,
    /// Before the answer, every byte from 0; after a JPEG's, its head.
    held: Held,
    received: u64,
    format: Option<Format>,
    answer: Option<Result<FileSignals, ReadError>>,
    /// The last bytes of the stream, kept after a JPEG's early answer.
    tail: Vec<u8>,
    waiting: Waiting,
    tries: u32,
}

impl StreamRead {
    /// A read of a stream of `size` bytes (`None` when unknown).
    pub fn new(size: Option<u64>, options: impl Into<ReadOptions>) -> Self {
        // A stated length saves the regrowing of what is held, up to a
        // bound: a length is only a claim until the bytes arrive.
        let reserve = size.unwrap_or(0).min(RESERVE_AT_MOST) as usize;
        StreamRead {
            size,
            options: options.into(),
            held: Held::with_capacity(reserve),
            received: 0,
            format: None,
            answer: None,
            tail: Vec::new(),
            waiting: Waiting::Bytes(HEAD),
            tries: 0,
        }
    }

    /// Hands over the stream's next bytes; returns the answer once it is
    /// known (on this call and every later one).
    pub fn feed(&mut self, chunk: &[u8]) -> Option<&Result<FileSignals, ReadError>> {
        self.received += chunk.len() as u64;
        if self.answer.is_some() {
            self.keep_tail(chunk);
            return self.answer.as_ref();
        }
        self.held.extend_prefix(chunk);
        if self.size.is_some_and(|size| self.received > size) {
            self.waiting = Waiting::End("the stream is longer than its stated length");
        }
        if let Waiting::Bytes(until) = self.waiting {
            if self.received >= until {
                self.try_early();
            }
        }
        self.answer.as_ref()
    }

    /// The answer, once the metadata is complete; `None` before.
    pub fn answer(&self) -> Option<&Result<FileSignals, ReadError>> {
        self.answer.as_ref()
    }

    /// What the read waits for before it can answer; `None` once it has.
    pub fn waiting(&self) -> Option<&Waiting> {
        self.answer.is_none().then_some(&self.waiting)
    }

    /// The early answer by value, giving up the rest of the stream: an
    /// early error is final (it lies in bytes already read), and a caller
    /// that stops the download there needs no [`StreamRead::finish`].
    pub fn into_answer(self) -> Option<Result<FileSignals, ReadError>> {
        self.answer
    }

    /// How many of the stream's next bytes the read does not need: after
    /// an answer, in a stream of known length, all but the last bytes a
    /// JPEG's end is looked for in (none of another format's). A caller
    /// that can pass over bytes (a file, a tar member) calls
    /// [`StreamRead::skip`] for them instead of [`StreamRead::feed`].
    pub fn skippable(&self) -> u64 {
        match (&self.answer, self.size) {
            (Some(_), Some(size)) => {
                let kept = match self.format {
                    Some(Format::Jpeg) => Self::TAIL as u64,
                    _ => 0,
                };
                size.saturating_sub(kept).saturating_sub(self.received)
            }
            _ => 0,
        }
    }

    /// Passes over `n` bytes of the stream unread; at most
    /// [`StreamRead::skippable`] (more counts as that many).
    pub fn skip(&mut self, n: u64) {
        self.received += n.min(self.skippable());
    }

    /// How many bytes have been fed.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The full read's answer for the whole stream, now that it has ended.
    pub fn finish(mut self) -> Result<FileSignals, ReadError> {
        if let Some(size) = self.size.filter(|size| *size != self.received) {
            let (kind, how) = match self.received < size {
                true => (io::ErrorKind::UnexpectedEof, "ended after"),
                false => (io::ErrorKind::InvalidData, "brought"),
            };
            return Err(ReadError::Io(io::Error::new(
                kind,
                format!(
                    "the stream {how} {} bytes of the {size} stated",
                    self.received
                ),
            )));
        }
        match self.answer.take() {
            // The end marker, which the early answer could not see.
            Some(Ok(_)) if self.format == Some(Format::Jpeg) => {
                let tail_at = self.received - self.tail.len() as u64;
                self.held.add(tail_at, &self.tail);
                self.read_whole()
            }
            Some(answer) => answer,
            None => self.read_whole(),
        }
    }

    fn read_whole(&self) -> Result<FileSignals, ReadError> {
        self.held
            .attempt(self.received, ScanScope::WholeFile, &self.options)
            .unwrap_or_else(|lacking| {
                Err(ReadError::Io(io::Error::other(format!(
                    "the stream read did not keep bytes {}..{} the read needs",
                    lacking.start, lacking.end
                ))))
            })
    }

    /// Reads what has arrived, as if the rest were to come.
    fn try_early(&mut self) {
        if self.format.is_none() {
            self.format = self.detect();
        }
        if let Some(why) = self.answers_at_end() {
            self.waiting = Waiting::End(why);
            return;
        }
        self.tries += 1;
        if self.tries > MAX_TRIES {
            self.waiting = Waiting::End("the read looks at bytes all through the stream");
            return;
        }
        let size = self.size.unwrap_or(UNKNOWN_LENGTH);
        match self
            .held
            .attempt(size, ScanScope::UntilMetadataEnds, &self.options)
        {
            Ok(answer) => {
                self.answer = Some(answer);
                if self.format != Some(Format::Jpeg) {
                    // Nothing more is read at the end: the stream's length
                    // is all that is checked.
                    self.held = Held::default();
                }
            }
            Err(lacking) if lacking.end >= size => {
                self.waiting = Waiting::End("the read needs the stream's last bytes");
            }
            Err(lacking) => self.waiting = Waiting::Bytes(lacking.end),
        }
    }

    /// The format, once the head has arrived.
    fn detect(&self) -> Option<Format> {
        let head = self.held.prefix(HEAD as usize);
        Format::detect(head)
    }

    /// Why this stream's answer can only come at its end, if it can.
    fn answers_at_end(&self) -> Option<&'static str> {
        match (self.format, self.size) {
            (None, _) => Some("not a format whose metadata ends before its end"),
            (Some(Format::Png), _) => Some("a PNG's text chunks may follow its image data"),
            (Some(Format::WebP), _) => Some("a WebP's metadata chunks follow its image data"),
            (Some(Format::Jpeg), _) => None,
            (Some(_), None) => Some("its length is unknown, and only a JPEG's metadata ends before its image data is checked"),
            (Some(_), Some(_)) => None,
        }
    }

    /// Keeps the stream's last bytes, where a JPEG's end marker is looked
    /// for; a few times the span, so that trimming is rare.
    fn keep_tail(&mut self, chunk: &[u8]) {
        if self.format != Some(Format::Jpeg) {
            return;
        }
        let span = Self::TAIL;
        if chunk.len() >= span {
            self.tail.clear();
            self.tail.extend_from_slice(&chunk[chunk.len() - span..]);
            return;
        }
        self.tail.extend_from_slice(chunk);
        if self.tail.len() > 4 * span {
            self.tail.drain(..self.tail.len() - span);
        }
    }

    /// The bytes at a JPEG's end its full read looks at.
    const TAIL: usize = container::jpeg::EOI_SEARCH_TAIL as usize + 2;
}
