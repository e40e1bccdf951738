//! Helpers the container tests share.

use std::io::{self, Cursor, Read, Seek, SeekFrom};

use super::{rewrite, scan, verify_preserved, BlockKind, ContainerError, Format, Layout, XmpEdit};

/// Whatever scan accepts, rewrite must handle (or, for a simple WebP
/// whose canvas size is unreadable, refuse cleanly) and its output must
/// scan and keep every foreign block. Returns whether scan accepted.
pub(crate) fn exercise(bytes: &[u8]) -> bool {
    let Ok(layout) = scan(&mut Cursor::new(bytes)) else {
        return false;
    };
    for edit in [XmpEdit::Replace(b"<fuzz/>".to_vec()), XmpEdit::Remove] {
        let mut out = Vec::new();
        match rewrite(&mut Cursor::new(bytes), &layout, &edit.into(), &mut out) {
            Ok(()) => {}
            Err(ContainerError::Unsupported(_))
                if layout.format == Format::WebP && layout.dimensions.is_none() =>
            {
                continue
            }
            Err(e) => panic!("rewrite failed: {e}"),
        }
        let new_layout = scan(&mut Cursor::new(&out)).unwrap();
        verify_preserved(
            &mut Cursor::new(bytes),
            &layout,
            &mut Cursor::new(&out),
            &new_layout,
        )
        .unwrap();
    }
    true
}

/// A reader that counts what reaches it: bytes read and read calls.
pub(crate) struct Counting<R> {
    pub(crate) inner: R,
    pub(crate) read: u64,
    pub(crate) calls: usize,
}

impl<R> Counting<R> {
    pub(crate) fn new(inner: R) -> Self {
        Counting {
            inner,
            read: 0,
            calls: 0,
        }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.calls += 1;
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// The next number of a 64-bit xorshift sequence.
pub(crate) fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// `len` bytes of incompressible noise from a 32-bit xorshift seeded by
/// `seed`: stands in for image data.
pub(crate) fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// The kinds of a layout's blocks, in order.
pub(crate) fn kinds(l: &Layout) -> Vec<BlockKind> {
    l.blocks.iter().map(|b| b.kind).collect()
}

/// `b` rewritten with `edit` to its main XMP packet.
pub(crate) fn rewrite_bytes(b: &[u8], edit: &XmpEdit) -> Result<Vec<u8>, ContainerError> {
    let layout = scan(&mut Cursor::new(b))?;
    let mut out = Vec::new();
    rewrite(&mut Cursor::new(b), &layout, &edit.clone().into(), &mut out)?;
    Ok(out)
}

/// Asserts that the layout's blocks follow one another from 0 to `len`.
pub(crate) fn assert_covers(l: &Layout, len: usize) {
    let mut at = 0;
    for b in &l.blocks {
        assert_eq!(b.range.start, at);
        at = b.range.end;
    }
    assert_eq!(at, len as u64);
}

/// Runs [`exercise`] on `rounds` copies of `file`, each with one to four
/// bytes replaced at random (three in four of them in its first `focus`
/// bytes, where the structure is). Returns how many copies scan accepted.
pub(crate) fn exercise_corruptions(file: &[u8], seed: u64, rounds: usize, focus: usize) -> usize {
    let mut state = seed;
    let mut accepted = 0;
    for _ in 0..rounds {
        let mut f = file.to_vec();
        let flips = 1 + xorshift(&mut state) % 4;
        for _ in 0..flips {
            let limit = if xorshift(&mut state).is_multiple_of(4) {
                f.len()
            } else {
                focus.min(f.len())
            };
            let at = (xorshift(&mut state) % limit as u64) as usize;
            f[at] = xorshift(&mut state) as u8;
        }
        accepted += exercise(&f) as usize;
    }
    accepted
}
