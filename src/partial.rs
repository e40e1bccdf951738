//! A file as far as its bytes are held, and one read over it: what the
//! ranged reader ([`crate::ranged`]) and the stream reader
//! ([`crate::stream`]) share. The read is the ordinary full read; a read
//! of a byte not held stops it, and names the range it lacked.

use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;

use crate::container::{self, BlockKind, ScanScope};
use crate::inspect::{self, FileSignals, ReadError, ReadOptions};

/// Bytes of a file held, as sorted, disjoint, non-adjacent runs.
#[derive(Debug, Default)]
pub(crate) struct Held {
    runs: Vec<(u64, Vec<u8>)>,
}

impl Held {
    /// Nothing held, with room for `bytes` from offset 0 on.
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Held {
            runs: vec![(0, Vec::with_capacity(bytes))],
        }
    }

    /// Adds bytes of the file at offset `at`, merged with every run they
    /// overlap or touch.
    pub(crate) fn add(&mut self, at: u64, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut start = at;
        let mut data = bytes.to_vec();
        let mut kept = Vec::with_capacity(self.runs.len() + 1);
        for (s, d) in std::mem::take(&mut self.runs) {
            let e = s + d.len() as u64;
            if e < start || s > start + data.len() as u64 {
                kept.push((s, d));
                continue;
            }
            let new_start = s.min(start);
            let new_end = e.max(start + data.len() as u64);
            let mut merged = vec![0u8; (new_end - new_start) as usize];
            merged[(s - new_start) as usize..(e - new_start) as usize].copy_from_slice(&d);
            let from = (start - new_start) as usize;
            merged[from..from + data.len()].copy_from_slice(&data);
            start = new_start;
            data = merged;
        }
        kept.push((start, data));
        kept.sort_by_key(|(s, _)| *s);
        self.runs = kept;
    }

    /// Appends bytes right after the run that starts at 0 (a stream's next
    /// chunk), without copying what is held.
    pub(crate) fn extend_prefix(&mut self, bytes: &[u8]) {
        match self.runs.first_mut() {
            Some((0, prefix)) => prefix.extend_from_slice(bytes),
            _ => self.add(0, bytes),
        }
    }

    /// Up to `len` bytes held from offset 0 on.
    pub(crate) fn prefix(&self, len: usize) -> &[u8] {
        match self.runs.first() {
            Some((0, d)) => &d[..len.min(d.len())],
            _ => &[],
        }
    }

    /// The bytes of `range`, when all are held.
    pub(crate) fn bytes(&self, range: Range<u64>) -> Option<Vec<u8>> {
        if range.is_empty() {
            return Some(Vec::new());
        }
        self.runs.iter().find_map(|(s, d)| {
            let e = s + d.len() as u64;
            (*s <= range.start && range.end <= e)
                .then(|| d[(range.start - s) as usize..(range.end - s) as usize].to_vec())
        })
    }

    /// How many bytes are held from offset 0 on without a gap.
    pub(crate) fn prefix_len(&self) -> u64 {
        match self.runs.first() {
            Some((0, d)) => d.len() as u64,
            _ => 0,
        }
    }

    /// How many bytes are held.
    pub(crate) fn total(&self) -> u64 {
        self.runs.iter().map(|(_, d)| d.len() as u64).sum()
    }

    /// The first range of `span` not held.
    fn first_gap_in(&self, span: Range<u64>) -> Option<Range<u64>> {
        let mut at = span.start;
        for (s, d) in &self.runs {
            let e = s + d.len() as u64;
            if at >= span.end {
                return None;
            }
            if e <= at {
                continue;
            }
            if *s > at {
                return Some(at..(*s).min(span.end));
            }
            at = e;
        }
        (at < span.end).then_some(at..span.end)
    }

    /// The bytes of `span` as a file of their own, as far as they are held.
    pub(crate) fn view(&self, span: Range<u64>) -> Sparse<'_> {
        Sparse {
            have: &self.runs,
            base: span.start,
            size: span.end - span.start,
            pos: 0,
        }
    }

    /// One run of the reader over the bytes held, for a file of `size`
    /// bytes: its answer, or the first range it lacked.
    pub(crate) fn attempt(
        &self,
        size: u64,
        scope: ScanScope,
        options: &ReadOptions,
    ) -> Result<Result<FileSignals, ReadError>, Range<u64>> {
        self.attempt_in(0..size, scope, options)
    }

    /// [`Held::attempt`] for the file that `span` of the bytes is (a member
    /// of an archive); the range lacked is in the outer bytes' offsets.
    pub(crate) fn attempt_in(
        &self,
        span: Range<u64>,
        scope: ScanScope,
        options: &ReadOptions,
    ) -> Result<Result<FileSignals, ReadError>, Range<u64>> {
        let mut file = self.view(span.clone());
        let read = container::scan_within(&mut file, scope)
            .map_err(ReadError::Container)
            .and_then(|layout| {
                // Content Credentials bind every byte: with a manifest, the
                // whole file is held before the reader checks it.
                if layout.has(BlockKind::C2pa) && cfg!(feature = "c2pa") {
                    if let Some(gap) = self.first_gap_in(span.clone()) {
                        return Ok(Err(gap));
                    }
                }
                inspect::signals_of(&mut file, &layout, options).map(Ok)
            });
        match read {
            Ok(Ok(signals)) => Ok(Ok(signals)),
            Ok(Err(gap)) => Err(gap),
            Err(e) => match missing(&e) {
                Some(range) => Err(range),
                None => Ok(Err(e)),
            },
        }
    }

    #[cfg(test)]
    pub(crate) fn runs(&self) -> &[(u64, Vec<u8>)] {
        &self.runs
    }
}

/// The range a read stopped at for want of bytes, if that is why it
/// stopped.
fn missing(e: &ReadError) -> Option<Range<u64>> {
    match e {
        ReadError::Io(io) => missing_io(io),
        ReadError::Container(container::ContainerError::Io(io)) => missing_io(io),
        _ => None,
    }
}

/// [`missing`], for an I/O error.
pub(crate) fn missing_io(e: &io::Error) -> Option<Range<u64>> {
    e.get_ref()?.downcast_ref::<Missing>().map(|m| m.0.clone())
}

/// The error a read of bytes not held stops with: their range.
#[derive(Debug)]
struct Missing(Range<u64>);

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bytes {}..{} not fetched yet", self.0.start, self.0.end)
    }
}

impl std::error::Error for Missing {}

/// A file (or a span of one) as far as it is held: reads of bytes not
/// held fail with [`Missing`], which names them in the outer offsets.
pub(crate) struct Sparse<'a> {
    have: &'a [(u64, Vec<u8>)],
    /// Where the view starts in the held bytes.
    base: u64,
    size: u64,
    pos: u64,
}

impl Read for Sparse<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(self.size - self.pos);
        let at = self.base + self.pos;
        for (s, d) in self.have {
            let e = s + d.len() as u64;
            if *s <= at && at < e {
                let n = want.min(e - at) as usize;
                let from = (at - s) as usize;
                buf[..n].copy_from_slice(&d[from..from + n]);
                self.pos += n as u64;
                return Ok(n);
            }
        }
        Err(io::Error::other(Missing(at..at + want)))
    }
}

impl Seek for Sparse<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = container::seek_target(self.pos, to, || Ok(self.size))?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_merge_in_any_order() {
        let mut held = Held::default();
        held.add(4, b"45");
        held.add(0, b"01");
        held.add(2, b"23");
        held.add(8, b"89");
        assert_eq!(held.runs().len(), 2);
        assert_eq!(held.runs()[0], (0, b"012345".to_vec()));
        assert_eq!(held.first_gap_in(0..10), Some(6..8));
        assert_eq!(held.first_gap_in(3..7), Some(6..7));
        assert_eq!(held.first_gap_in(0..6), None);
        assert_eq!(held.first_gap_in(8..12), Some(10..12));
        held.add(5, b"5678");
        assert_eq!(held.runs(), [(0, b"0123456789".to_vec())]);
        held.extend_prefix(b"ab");
        assert_eq!((held.prefix_len(), held.total()), (12, 12));
        assert_eq!(held.prefix(3), b"012");
    }
}
