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

    /// The first range of `[0, size)` not held.
    pub(crate) fn first_gap(&self, size: u64) -> Option<Range<u64>> {
        let mut at = 0;
        for (s, d) in &self.runs {
            if *s > at {
                return Some(at..*s);
            }
            at = at.max(s + d.len() as u64);
        }
        (at < size).then_some(at..size)
    }

    /// One run of the reader over the bytes held, for a file of `size`
    /// bytes: its answer, or the first range it lacked.
    pub(crate) fn attempt(
        &self,
        size: u64,
        scope: ScanScope,
        options: &ReadOptions,
    ) -> Result<Result<FileSignals, ReadError>, Range<u64>> {
        let mut file = Sparse {
            have: &self.runs,
            size,
            pos: 0,
        };
        let read = container::scan_within(&mut file, scope)
            .map_err(ReadError::Container)
            .and_then(|layout| {
                // Content Credentials bind every byte: with a manifest, the
                // whole file is held before the reader checks it.
                if layout.has(BlockKind::C2pa) && cfg!(feature = "c2pa") {
                    if let Some(gap) = self.first_gap(size) {
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
    let io = match e {
        ReadError::Io(io) => io,
        ReadError::Container(container::ContainerError::Io(io)) => io,
        _ => return None,
    };
    io.get_ref()?.downcast_ref::<Missing>().map(|m| m.0.clone())
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

/// The file as far as it is held: reads of bytes not held fail with
/// [`Missing`].
struct Sparse<'a> {
    have: &'a [(u64, Vec<u8>)],
    size: u64,
    pos: u64,
}

impl Read for Sparse<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(self.size - self.pos);
        for (s, d) in self.have {
            let e = s + d.len() as u64;
            if *s <= self.pos && self.pos < e {
                let n = want.min(e - self.pos) as usize;
                let from = (self.pos - s) as usize;
                buf[..n].copy_from_slice(&d[from..from + n]);
                self.pos += n as u64;
                return Ok(n);
            }
        }
        Err(io::Error::other(Missing(self.pos..self.pos + want)))
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
        assert_eq!(held.first_gap(10), Some(6..8));
        held.add(5, b"5678");
        assert_eq!(held.runs(), [(0, b"0123456789".to_vec())]);
        held.extend_prefix(b"ab");
        assert_eq!((held.prefix_len(), held.total()), (12, 12));
        assert_eq!(held.prefix(3), b"012");
    }
}
