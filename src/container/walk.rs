//! The walker the three formats share: a block reader that serves header
//! reads from large windows, a layout builder that folds runs of chunks
//! nobody reads into one block, the check that a layout still describes a
//! file, and the rewrite driver that turns "replace, drop or insert before
//! block i" into one streaming copy.
//!
//! Each format module keeps only its own syntax: how a segment or chunk
//! header reads, which blocks hold what, where a new packet goes and what
//! its wrapper looks like. A guard or a fix for what they share lands here.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;

use super::{read_up_to, Block, BlockKind, ContainerError, Format, Layout, Splicer};

/// The first window read from a file: a typical file's metadata fits in it.
const FIRST_WINDOW: usize = 16 * 1024;
/// While headers keep falling just past the window, it grows by doubling on
/// each refill up to this size: thousands of small chunks (text chunks, a
/// PNG in tiny IDATs) are walked in a few dozen reads.
pub(crate) const MAX_WINDOW: usize = 256 * 1024;
/// A read that misses the window and starts within this distance of where
/// the previous read ended (headers packed close together) refills a large
/// window, and so reads the bytes in between. Copying 2 KiB from the page
/// cache costs about what one more read call costs; beyond that, reading
/// what lies between headers costs more than it saves. Measured on a
/// 4 GiB PNG in 8 KiB IDATs: windows that read everything took 1.5 s, a
/// small read per header 0.7 s (`docs/benchmarks.md`).
const DENSE_GAP: u64 = 2 * 1024;
/// What a read farther from the window fetches: a header and the start of
/// its payload (a keyword, a prefix, a bitstream header).
const SPARSE_READ: usize = 512;

/// Reads a container's headers and small payloads at absolute offsets,
/// through a window of the file that is refilled only when a read falls
/// outside it. Headers packed close together are served from large windows;
/// a header far past the window (after an IDAT of 8 KiB or of a gigabyte, a
/// JPEG's image data) gets a small read of its own, so the bytes in between
/// are never read. Reads larger than half the largest window bypass it.
#[derive(Debug)]
pub(crate) struct BlockReader<'r, R> {
    inner: &'r mut R,
    format: Option<Format>,
    len: u64,
    window: Vec<u8>,
    /// Offset in the file of `window[0]`.
    window_at: u64,
    next_window: usize,
    /// Where the previous read ended: how far apart reads are tells packed
    /// headers from headers with data between them.
    last_end: u64,
    scope: ScanScope,
}

/// How much of a file a scan checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanScope {
    /// Everything a read of the file checks, to its end.
    WholeFile,
    /// Up to where the format allows no more metadata (a JPEG's first
    /// scan), for a stream whose rest has not arrived: what follows is
    /// not checked, so a file cut short there passes.
    UntilMetadataEnds,
}

impl<'r, R: Read + Seek> BlockReader<'r, R> {
    /// A reader over `inner`, whose length it takes once, now: every
    /// length a scan reads from the file is checked against it.
    pub(crate) fn new(inner: &'r mut R) -> io::Result<Self> {
        let len = inner.seek(SeekFrom::End(0))?;
        Ok(BlockReader {
            inner,
            format: None,
            len,
            window: Vec::new(),
            window_at: 0,
            next_window: FIRST_WINDOW,
            last_end: 0,
            scope: ScanScope::WholeFile,
        })
    }

    /// Scans only `scope` of the file.
    pub(crate) fn within(mut self, scope: ScanScope) -> Self {
        self.scope = scope;
        self
    }

    /// How much of the file the scan checks.
    pub(crate) fn scope(&self) -> ScanScope {
        self.scope
    }

    /// Names the format in the errors this reader reports.
    pub(crate) fn for_format(mut self, format: Format) -> Self {
        self.format = Some(format);
        self
    }

    /// The file's length when the reader was made.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The underlying reader, for streaming copies.
    pub(crate) fn inner(&mut self) -> &mut R {
        self.inner
    }

    /// Reads up to `buf.len()` bytes at `pos`; fewer only where the file
    /// ends. Returns the count read.
    pub(crate) fn read_up_to_at(&mut self, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf.len();
        let previous_end = std::mem::replace(&mut self.last_end, pos + want as u64);
        let window_end = self.window_at + self.window.len() as u64;
        if pos >= self.window_at && pos <= window_end {
            let from = (pos - self.window_at) as usize;
            let held = &self.window[from..];
            // A window that stops short of the request is only an answer
            // when it stops where the file ends.
            if held.len() >= want || window_end >= self.len {
                let n = held.len().min(want);
                buf[..n].copy_from_slice(&held[..n]);
                return Ok(n);
            }
        }
        if want > MAX_WINDOW / 2 {
            self.inner.seek(SeekFrom::Start(pos))?;
            return read_up_to(self.inner, buf);
        }
        let dense = pos >= previous_end && pos - previous_end <= DENSE_GAP;
        let size = if dense {
            let size = self.next_window;
            self.next_window = (size * 2).min(MAX_WINDOW);
            size
        } else {
            SPARSE_READ
        };
        let size = want.max(size.min(self.len.saturating_sub(pos) as usize));
        self.window.resize(size, 0);
        self.inner.seek(SeekFrom::Start(pos))?;
        let got = match read_up_to(self.inner, &mut self.window) {
            Ok(got) => got,
            // A window that cannot be filled may still hold the bytes
            // asked for: a file held in part (a stream that has not
            // arrived) fails for the window's far end, not for them.
            Err(_) if size > want => {
                self.window.truncate(want);
                self.inner.seek(SeekFrom::Start(pos))?;
                read_up_to(self.inner, &mut self.window)?
            }
            Err(e) => return Err(e),
        };
        self.window.truncate(got);
        self.window_at = pos;
        let n = got.min(want);
        buf[..n].copy_from_slice(&self.window[..n]);
        Ok(n)
    }

    /// Reads exactly `buf.len()` bytes at `pos`; running out is `Truncated`.
    pub(crate) fn read_at(&mut self, pos: u64, buf: &mut [u8]) -> Result<(), ContainerError> {
        if self.read_up_to_at(pos, buf)? != buf.len() {
            let (name, unit) = match self.format {
                Some(f) => (f.name(), f.block_noun()),
                None => ("file", "block"),
            };
            return Err(ContainerError::Truncated(format!(
                "{name} ends inside the {unit} at offset {pos}"
            )));
        }
        Ok(())
    }

    /// Reads `len` bytes at `pos` into a new buffer; the caller has checked
    /// `len` against the file's length.
    pub(crate) fn read_vec(&mut self, pos: u64, len: usize) -> Result<Vec<u8>, ContainerError> {
        let mut buf = vec![0u8; len];
        self.read_at(pos, &mut buf)?;
        Ok(buf)
    }
}

/// Collects a file's blocks in order. Chunks whose payload nobody reads and
/// that follow a chunk of the same type (a PNG's IDATs, an animation's
/// frames) are folded into one block, so the bookkeeping of a 4 GiB PNG
/// in 8 KiB IDATs is a handful of blocks, not half a million. Every
/// consumer of a layout sees ranges of bytes, which a run keeps exact.
#[derive(Debug, Default)]
pub(crate) struct LayoutBuilder {
    blocks: Vec<Block>,
    /// The type of the last block, when that block may grow into a run.
    run: Option<[u8; 4]>,
}

impl LayoutBuilder {
    /// Appends a block that stands alone (it has a payload, or something
    /// reads it by its position).
    pub(crate) fn push(&mut self, kind: BlockKind, range: Range<u64>, payload: Option<Vec<u8>>) {
        self.run = None;
        self.blocks.push(Block {
            kind,
            range,
            payload,
        });
    }

    /// Appends a payload-less block of type `ty` (a chunk type, a marker),
    /// extending the last block when it is a run of the same type and kind
    /// that ends where this one starts.
    pub(crate) fn push_run(&mut self, kind: BlockKind, range: Range<u64>, ty: [u8; 4]) {
        if self.run == Some(ty) {
            if let Some(last) = self.blocks.last_mut() {
                if last.kind == kind && last.range.end == range.start {
                    last.range.end = range.end;
                    return;
                }
            }
        }
        self.push(kind, range, None);
        self.run = Some(ty);
    }

    pub(crate) fn has(&self, kind: BlockKind) -> bool {
        self.blocks.iter().any(|b| b.kind == kind)
    }

    pub(crate) fn finish(self, format: Format, len: u64, dimensions: Option<(u32, u32)>) -> Layout {
        Layout {
            format,
            blocks: self.blocks,
            len,
            dimensions,
            fixed_xmp_len: None,
        }
    }
}

/// Checks that `layout` describes a file of `format` that is `len` bytes
/// long now: blocks contiguous from 0 to the end.
pub(crate) fn check_layout(
    layout: &Layout,
    format: Format,
    len: u64,
) -> Result<(), ContainerError> {
    if layout.format != format {
        return Err(format.malformed(format!("layout is not a {} layout", format.name())));
    }
    if len != layout.len {
        return Err(format.malformed("file changed since it was scanned"));
    }
    let mut at = 0;
    for b in &layout.blocks {
        if b.range.start != at || b.range.end < b.range.start {
            return Err(format.malformed("layout blocks are not contiguous"));
        }
        at = b.range.end;
    }
    if at != len || layout.blocks.is_empty() {
        return Err(format.malformed("layout does not cover the file"));
    }
    Ok(())
}

/// What a rewrite does at one block of the old layout.
#[derive(Debug)]
pub(crate) enum BlockEdit {
    /// Write these bytes before the block (at index `blocks.len()`: at the
    /// end of the file).
    InsertBefore(Vec<u8>),
    /// Write these bytes instead of the block.
    Replace(Vec<u8>),
    /// Leave the block out.
    Drop,
    /// Write these bytes over the start of the block, then copy the rest.
    Overwrite(Vec<u8>),
}

/// Writes `layout`'s file anew to `dst`: every block copied from `src`
/// unless `edits` (block index, edit) says otherwise. Insertions at one
/// index are written in the order given, before that block's own edit.
/// Adjacent copies run as one kernel-side copy.
pub(crate) fn splice<R: Read + Seek, W: Write>(
    src: &mut R,
    layout: &Layout,
    edits: &[(usize, BlockEdit)],
    dst: &mut W,
) -> Result<(), ContainerError> {
    let mut out = Splicer::default();
    let inserts_at = |i: usize| {
        edits.iter().filter_map(move |(at, e)| match e {
            BlockEdit::InsertBefore(bytes) if *at == i => Some(bytes),
            _ => None,
        })
    };
    for (i, block) in layout.blocks.iter().enumerate() {
        for bytes in inserts_at(i) {
            out.write(bytes, src, dst)?;
        }
        let own = edits
            .iter()
            .find(|(at, e)| *at == i && !matches!(e, BlockEdit::InsertBefore(_)));
        match own.map(|(_, e)| e) {
            None | Some(BlockEdit::InsertBefore(_)) => out.copy(block.range.clone(), src, dst)?,
            Some(BlockEdit::Replace(bytes)) => out.write(bytes, src, dst)?,
            Some(BlockEdit::Drop) => {}
            Some(BlockEdit::Overwrite(head)) => {
                let rest = block.range.start + head.len() as u64;
                if rest > block.range.end {
                    return Err(layout.format.malformed(format!(
                        "block at offset {} is too short",
                        block.range.start
                    )));
                }
                out.write(head, src, dst)?;
                out.copy(rest..block.range.end, src, dst)?;
            }
        }
    }
    for bytes in inserts_at(layout.blocks.len()) {
        out.write(bytes, src, dst)?;
    }
    out.flush(src, dst)?;
    dst.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::testing::Counting;
    use std::io::Cursor;

    fn counting(data: &[u8]) -> Counting<Cursor<&[u8]>> {
        Counting::new(Cursor::new(data))
    }

    #[test]
    fn dense_headers_are_read_in_few_windows() {
        let data: Vec<u8> = (0..4 << 20).map(|i| (i % 251) as u8).collect();
        let mut c = counting(&data);
        let mut r = BlockReader::new(&mut c).unwrap();
        let mut header = [0u8; 8];
        // A header every 1 KiB across 4 MiB: 4,096 headers.
        for at in (0..data.len() as u64).step_by(1024) {
            r.read_at(at, &mut header).unwrap();
            assert_eq!(header[..], data[at as usize..at as usize + 8]);
        }
        drop(r);
        assert!(c.calls < 32, "{} reads", c.calls);
    }

    #[test]
    fn sparse_headers_get_small_reads() {
        let data: Vec<u8> = (0..4 << 20).map(|i| (i % 251) as u8).collect();
        let mut c = counting(&data);
        let mut r = BlockReader::new(&mut c).unwrap();
        let mut header = [0u8; 8];
        // A header every 8 KiB: the 8 KiB in between are not read.
        for at in (0..data.len() as u64).step_by(8 * 1024) {
            r.read_at(at, &mut header).unwrap();
            assert_eq!(header[..], data[at as usize..at as usize + 8]);
        }
        drop(r);
        let headers = data.len() as u64 / (8 * 1024);
        assert!(
            c.read <= FIRST_WINDOW as u64 + headers * SPARSE_READ as u64,
            "read {} bytes",
            c.read
        );
    }

    #[test]
    fn far_headers_skip_what_lies_between() {
        let data = vec![7u8; 8 << 20];
        let mut c = counting(&data);
        let mut r = BlockReader::new(&mut c).unwrap().for_format(Format::Png);
        let mut header = [0u8; 8];
        r.read_at(0, &mut header).unwrap();
        r.read_at(5 << 20, &mut header).unwrap();
        r.read_at((8 << 20) - 8, &mut header).unwrap();
        // Past the end: truncated, named after the format.
        let err = r.read_at((8 << 20) - 4, &mut header).unwrap_err();
        assert!(
            err.to_string().contains("PNG ends inside the chunk"),
            "{err}"
        );
        // A short read at the very end is served from the window.
        assert_eq!(r.read_up_to_at((8 << 20) - 4, &mut header).unwrap(), 4);
        drop(r);
        assert!(c.read < 2 * MAX_WINDOW as u64, "read {} bytes", c.read);
    }

    #[test]
    fn runs_fold_only_payload_less_blocks_of_one_type() {
        let mut b = LayoutBuilder::default();
        b.push(BlockKind::Other, 0..8, None);
        for i in 0..1000u64 {
            b.push_run(BlockKind::ImageData, 8 + i * 10..18 + i * 10, *b"IDAT");
        }
        b.push_run(BlockKind::Other, 10_008..10_020, *b"IEND");
        let l = b.finish(Format::Png, 10_020, None);
        let ranges: Vec<_> = l.blocks.iter().map(|b| b.range.clone()).collect();
        assert_eq!(ranges, [0..8, 8..10_008, 10_008..10_020]);

        // A block with a payload breaks a run; so does another type.
        let mut b = LayoutBuilder::default();
        b.push_run(BlockKind::ImageData, 0..10, *b"ANMF");
        b.push(BlockKind::Exif, 10..20, Some(vec![1]));
        b.push_run(BlockKind::ImageData, 20..30, *b"ANMF");
        b.push_run(BlockKind::ImageData, 30..40, *b"VP8 ");
        b.push_run(BlockKind::ImageData, 40..50, *b"VP8 ");
        let l = b.finish(Format::WebP, 50, None);
        let ranges: Vec<_> = l.blocks.iter().map(|b| b.range.clone()).collect();
        assert_eq!(ranges, [0..10, 10..20, 20..30, 30..50]);
    }

    #[test]
    fn splice_applies_each_edit_at_its_block() {
        let src = b"AAAABBBBCCCCDDDD".to_vec();
        let mut b = LayoutBuilder::default();
        for at in (0..16).step_by(4) {
            b.push(BlockKind::Other, at..at + 4, None);
        }
        let layout = b.finish(Format::Png, 16, None);
        let edits = [
            (1, BlockEdit::InsertBefore(b"i".to_vec())),
            (1, BlockEdit::Replace(b"r".to_vec())),
            (2, BlockEdit::Drop),
            (3, BlockEdit::Overwrite(b"oo".to_vec())),
            (4, BlockEdit::InsertBefore(b"end".to_vec())),
        ];
        let mut out = Vec::new();
        splice(&mut Cursor::new(&src), &layout, &edits, &mut out).unwrap();
        assert_eq!(out, b"AAAAirooDDend");
        let too_long = [(0, BlockEdit::Overwrite(b"12345".to_vec()))];
        assert!(splice(&mut Cursor::new(&src), &layout, &too_long, &mut Vec::new()).is_err());
    }
}
