//! Reading a file's signals from ranges of its bytes, with no I/O of its
//! own: the caller asks [`RangedRead::step`] what to fetch, fetches it
//! however it fetches (an HTTP Range request, an object store's ranged
//! GET, a file's `pread`), and hands the bytes to [`RangedRead::feed`],
//! until the step is [`Step::Done`] with the same answer a read of the
//! whole file gives.
//!
//! How: each step runs the ordinary reader over the bytes fetched so far;
//! a read of a byte not fetched yet stops it, and that byte's range
//! (widened: the walkers ask for headers one by one, and round trips cost
//! more than bytes) is what to fetch next. The answer is the full read's,
//! since it *is* the full read, over the bytes it needed; a file with
//! Content Credentials needs all of them (the manifest binds every byte).

use std::io;
use std::ops::Range;

mod shard;
pub use shard::{RangedShardRead, ShardStep};

use crate::container::ScanScope;
use crate::inspect::{FileSignals, ReadError, ReadOptions};
use crate::partial::Held;

/// What the first step fetches: a typical file's metadata fits in it.
pub const FIRST_FETCH: u64 = 64 * 1024;
/// What the first step fetches of the file's end, beside its head.
pub const TAIL_FETCH: u64 = 4 * 1024;
/// How large a later fetch grows at most (it doubles from the first).
pub const MAX_FETCH: u64 = 8 * 1024 * 1024;
/// Fetches that bring nothing new, in a row, before the read gives up.
pub(crate) const MAX_BARREN: u32 = 3;

/// What to do next.
#[derive(Debug)]
pub enum Step {
    /// Fetch these ranges and [`RangedRead::feed`] each.
    Fetch(Vec<Range<u64>>),
    /// The answer: what a read of the whole file gives.
    Done(Box<Result<FileSignals, ReadError>>),
}

/// A read of one file's signals from ranges of its bytes (see the module
/// docs).
///
/// ```
/// use ccsig::ranged::{RangedRead, Step};
/// // A JPEG with a megabyte more of image data before its end (EOI).
/// let mut file = std::fs::read("sample-images/tagged/ccsig-cr-op.jpg").unwrap();
/// let eoi = file.split_off(file.len() - 2);
/// file.extend(vec![0u8; 1 << 20]);
/// file.extend(eoi);
/// let mut read = RangedRead::new(Some(file.len() as u64), ccsig::ReadOptions::default());
/// let (mut fetched, mut fetches, mut round_trips) = (0, 0, 0);
/// let signals = loop {
///     match read.step() {
///         Step::Fetch(ranges) => {
///             round_trips += 1; // a step's ranges can be fetched at once
///             for r in ranges {
///                 fetches += 1;
///                 let bytes = &file[r.start as usize..r.end as usize];
///                 fetched += bytes.len();
///                 read.feed(r.start, bytes);
///             }
///         }
///         Step::Done(answer) => break answer.unwrap(),
///     }
/// };
/// assert_eq!(signals.decisions, ccsig::read_bytes(&file).unwrap().decisions);
/// // The head and the tail, in one step: the image data is not fetched.
/// assert_eq!((round_trips, fetches, fetched), (1, 2, 64 * 1024 + 4 * 1024));
/// ```
#[derive(Debug)]
pub struct RangedRead {
    size: Option<u64>,
    have: Held,
    options: ReadOptions,
    /// How much the next fetch past what is held asks for.
    window: u64,
    barren: u32,
    held_before: u64,
    steps: u64,
    name: Option<std::path::PathBuf>,
}

impl RangedRead {
    /// A read of a file of `size` bytes (`None` when unknown: it is learnt
    /// from a fetch that comes back short, the file's end).
    pub fn new(size: Option<u64>, options: impl Into<ReadOptions>) -> Self {
        RangedRead {
            size,
            have: Held::default(),
            options: options.into(),
            window: FIRST_FETCH,
            barren: 0,
            held_before: 0,
            steps: 0,
            name: None,
        }
    }

    /// The file's name (a path, or a URL's path), which a read of the
    /// bytes alone cannot know: a camera RAW that is TIFF inside (`.nef`,
    /// `.cr2`) is then named the RAW it is, as a read of its path names it
    /// (ccsig reads such a file through its sidecars, which a ranged read
    /// does not see: its decision is `unsupported`).
    ///
    /// ```
    /// use ccsig::ranged::{RangedRead, Step};
    /// let tiff = std::fs::read("sample-images/tiff/exiftool-xmp.tif").unwrap();
    /// let mut read = RangedRead::new(Some(tiff.len() as u64), ccsig::ReadOptions::default())
    ///     .with_name("https://example.org/DSC_0001.NEF");
    /// let signals = loop {
    ///     match read.step() {
    ///         Step::Fetch(ranges) => for r in ranges {
    ///             read.feed(r.start, &tiff[r.start as usize..r.end as usize]);
    ///         },
    ///         Step::Done(answer) => break answer.unwrap(),
    ///     }
    /// };
    /// assert_eq!(signals.format.name(), "Nikon NEF");
    /// ```
    pub fn with_name(mut self, name: impl AsRef<std::path::Path>) -> Self {
        self.name = Some(name.as_ref().to_path_buf());
        self
    }

    /// Hands over the bytes a fetch of `[at, at + asked)` brought. Fewer
    /// bytes than asked, for a file whose size is unknown, end it there.
    pub fn feed_asked(&mut self, at: u64, asked: u64, bytes: &[u8]) {
        if self.size.is_none() && (bytes.len() as u64) < asked {
            self.size = Some(at + bytes.len() as u64);
        }
        self.feed(at, bytes);
    }

    /// Hands over bytes of the file at offset `at` (any part of a range
    /// asked for, or more).
    pub fn feed(&mut self, at: u64, bytes: &[u8]) {
        self.have.add(at, bytes);
    }

    /// How many bytes are held.
    pub fn held(&self) -> u64 {
        self.have.total()
    }

    /// What to do next: fetch ranges, or the answer.
    pub fn step(&mut self) -> Step {
        let Some(size) = self.size else {
            // Without a size, the file is fetched from its start until a
            // fetch comes back short.
            let from = self.have.prefix_len();
            return self.fetch(from..from + self.window);
        };
        if let Some(done) = self.barren_check() {
            return done;
        }
        if self.have.total() == 0 && size > FIRST_FETCH + TAIL_FETCH {
            // The head and the tail in one step: a JPEG's end marker, a
            // PNG's IEND and the text chunks before it, a WebP's `XMP `
            // chunk sit at the end, and a caller that fetches a step's
            // ranges at once (a multi-range request) pays one round trip.
            self.window = (self.window * 2).min(MAX_FETCH);
            return Step::Fetch(vec![0..FIRST_FETCH, size - TAIL_FETCH..size]);
        }
        match self.have.attempt(size, ScanScope::WholeFile, &self.options) {
            Ok(answer) => Step::Done(Box::new(match &self.name {
                Some(name) => answer
                    .map(|s| crate::inspect::named_signals(s, name))
                    .map_err(|e| e.named_by(name)),
                None => answer,
            })),
            Err(missing) => {
                let end = missing
                    .start
                    .saturating_add(missing.end.saturating_sub(missing.start).max(self.window))
                    .min(size);
                let step = self.fetch(missing.start..end);
                self.window = (self.window * 2).min(MAX_FETCH);
                step
            }
        }
    }

    /// Gives up when fetches stop bringing bytes (a fetch that keeps
    /// failing or coming back empty).
    fn barren_check(&mut self) -> Option<Step> {
        let held = self.held();
        self.steps += 1;
        if self.steps > 1 && held == self.held_before {
            self.barren += 1;
        } else {
            self.barren = 0;
        }
        self.held_before = held;
        (self.barren >= MAX_BARREN).then(|| {
            Step::Done(Box::new(Err(ReadError::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the fetches brought no more of the file",
            )))))
        })
    }

    fn fetch(&mut self, range: Range<u64>) -> Step {
        let range = match self.size {
            Some(size) => range.start.min(size)..range.end.min(size),
            None => range,
        };
        Step::Fetch(vec![range])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(file: &[u8], size: Option<u64>) -> (Result<FileSignals, ReadError>, u64, usize) {
        let mut read = RangedRead::new(size, ReadOptions::default());
        let (mut fetched, mut steps) = (0, 0);
        loop {
            steps += 1;
            match read.step() {
                Step::Fetch(ranges) => {
                    for r in ranges {
                        let end = (r.end as usize).min(file.len());
                        let start = (r.start as usize).min(end);
                        fetched += (end - start) as u64;
                        read.feed_asked(r.start, r.end - r.start, &file[start..end]);
                    }
                }
                Step::Done(answer) => return (*answer, fetched, steps),
            }
            assert!(steps < 1000, "no end");
        }
    }

    #[test]
    fn a_size_unknown_is_learnt_from_the_short_fetch() {
        let file = crate::test_support::sample("jpeg/xmp-rich.jpg");
        let (answer, _, _) = run(&file, None);
        assert_eq!(
            answer.unwrap().decisions,
            crate::read_bytes(&file).unwrap().decisions
        );
    }

    #[test]
    fn fetches_that_bring_nothing_end_the_read() {
        let mut read = RangedRead::new(Some(1000), ReadOptions::default());
        let mut steps = 0;
        let answer = loop {
            steps += 1;
            match read.step() {
                Step::Fetch(_) => {} // the fetch failed: nothing fed
                Step::Done(answer) => break *answer,
            }
            assert!(steps < 100);
        };
        // The first fetch is retried a few times, then the read gives up.
        assert!(answer.unwrap_err().to_string().contains("brought no more"));
    }
}
