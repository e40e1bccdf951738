//! HEIF/HEIC and AVIF (ISO BMFF), read only: the XMP packet is an item of
//! type `mime` and content type `application/rdf+xml`, listed in `meta`'s
//! `iinf` and located by its `iloc` extents (in the file, or in `idat`).
//! ccsig does not write these files yet: they are tagged through their
//! sidecars (`Format::Other`), and a packet found here is read with them.
//! A file whose boxes ccsig cannot follow is still that image, read through
//! its sidecars only, as before this reader existed.

use std::io::{Read, Seek};
use std::ops::Range;

use super::walk::BlockReader;
use super::{Block, BlockKind, ContainerError, Format, Layout};

/// `meta` larger than this is not read (item tables of bursts and grids
/// run to kilobytes, not megabytes).
const MAX_META: u64 = 4 * 1024 * 1024;
/// An XMP item larger than this is not loaded.
const MAX_XMP: u64 = 16 * 1024 * 1024;
const XMP_MIME: &[u8] = b"application/rdf+xml";

/// A cursor over a box's bytes; every read is checked.
struct Bytes<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(out)
    }
    fn uint(&mut self, n: usize) -> Option<u64> {
        Some(
            self.take(n)?
                .iter()
                .fold(0u64, |v, b| (v << 8) | u64::from(*b)),
        )
    }
    fn cstr(&mut self) -> Option<&'a [u8]> {
        let rest = self.b.get(self.at..)?;
        let end = rest.iter().position(|b| *b == 0)?;
        self.at += end + 1;
        Some(&rest[..end])
    }
}

/// The child boxes of `b` (type, payload) from `at` on.
fn children(b: &[u8]) -> Option<Vec<([u8; 4], &[u8])>> {
    let mut out = Vec::new();
    let mut r = Bytes { b, at: 0 };
    while r.at < b.len() {
        let start = r.at;
        let size = r.uint(4)?;
        let ty: [u8; 4] = r.take(4)?.try_into().ok()?;
        let size = match size {
            1 => r.uint(8)?,
            0 => (b.len() - start) as u64,
            s => s,
        };
        let end = start.checked_add(usize::try_from(size).ok()?)?;
        if end < r.at || end > b.len() {
            return None;
        }
        out.push((ty, &b[r.at..end]));
        r.at = end;
    }
    Some(out)
}

/// Finds the XMP item's byte ranges: the extents of the first `mime` item
/// whose content type is `application/rdf+xml`, as file offsets.
fn xmp_extents(meta: &[u8], meta_at: u64) -> Option<Option<Vec<Range<u64>>>> {
    // meta is a full box: version and flags first.
    let boxes = children(meta.get(4..)?)?;
    let find = |ty: &[u8; 4]| boxes.iter().find(|(t, _)| t == ty).map(|(_, p)| *p);
    let Some(iinf) = find(b"iinf") else {
        return Some(None);
    };
    let mut r = Bytes { b: iinf, at: 0 };
    let version = r.uint(1)?;
    r.take(3)?;
    r.uint(if version == 0 { 2 } else { 4 })?;
    let mut xmp_id = None;
    for (ty, infe) in children(&iinf[r.at..])? {
        if &ty != b"infe" {
            continue;
        }
        let mut e = Bytes { b: infe, at: 0 };
        let v = e.uint(1)?;
        e.take(3)?;
        if v < 2 {
            continue;
        }
        let id = e.uint(if v == 2 { 2 } else { 4 })?;
        e.uint(2)?; // protection index
        let item_type = e.take(4)?;
        e.cstr()?; // name
        if item_type == b"mime" && e.cstr()? == XMP_MIME {
            xmp_id = Some(id);
            break;
        }
    }
    let Some(xmp_id) = xmp_id else {
        return Some(None);
    };
    let iloc = find(b"iloc")?;
    let mut r = Bytes { b: iloc, at: 0 };
    let version = r.uint(1)?;
    r.take(3)?;
    let sizes = r.uint(2)?;
    let (offset_size, length_size) = ((sizes >> 12) as usize, ((sizes >> 8) & 0xF) as usize);
    let (base_size, index_size) = (((sizes >> 4) & 0xF) as usize, (sizes & 0xF) as usize);
    let index_size = if version == 1 || version == 2 {
        index_size
    } else {
        0
    };
    let count = r.uint(if version < 2 { 2 } else { 4 })?;
    for _ in 0..count {
        let id = r.uint(if version < 2 { 2 } else { 4 })?;
        let method = if version == 1 || version == 2 {
            r.uint(2)? & 0xF
        } else {
            0
        };
        r.uint(2)?; // data reference index
        let base = r.uint(base_size)?;
        let extents = r.uint(2)?;
        let mut ranges = Vec::new();
        for _ in 0..extents {
            r.uint(index_size)?;
            let offset = r.uint(offset_size)?;
            let length = r.uint(length_size)?;
            ranges.push((base.checked_add(offset)?, length));
        }
        if id != xmp_id {
            continue;
        }
        let origin = match method {
            0 => 0,
            // Offsets into idat's payload.
            1 => {
                let idat = find(b"idat")?;
                let idat_at = idat.as_ptr() as usize - meta.as_ptr() as usize;
                meta_at + idat_at as u64
            }
            _ => return None,
        };
        return Some(Some(
            ranges
                .into_iter()
                .map(|(o, l)| Some(origin.checked_add(o)?..origin.checked_add(o)?.checked_add(l)?))
                .collect::<Option<Vec<_>>>()?,
        ));
    }
    None
}

/// The layout of a HEIF or AVIF file (`name`, as its brand says): its XMP
/// item, when it has one. `Err(OtherFormat)` when its boxes cannot be
/// followed: it is read through its sidecars only.
pub(crate) fn scan_blocks<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    name: &'static str,
) -> Result<Layout, ContainerError> {
    let unread = || ContainerError::OtherFormat(name);
    let len = reader.len();
    let mut at = 0u64;
    let mut meta = None;
    while at + 8 <= len {
        let head = reader.read_vec(at, 16.min((len - at) as usize))?;
        let size = u64::from(u32::from_be_bytes(head[..4].try_into().expect("4 bytes")));
        let (size, header) = match size {
            1 if head.len() == 16 => (u64::from_be_bytes(head[8..16].try_into().expect("8")), 16),
            0 => (len - at, 8),
            s => (s, 8),
        };
        if size < header || at.checked_add(size).is_none_or(|end| end > len) {
            return Err(unread());
        }
        if &head[4..8] == b"meta" {
            if size > MAX_META {
                return Err(unread());
            }
            let payload = reader.read_vec(at + header, (size - header) as usize)?;
            meta = Some((payload, at + header));
            break;
        }
        at += size;
    }
    let mut blocks = Vec::new();
    if let Some((payload, meta_at)) = meta {
        let extents = xmp_extents(&payload, meta_at).ok_or_else(unread)?;
        if let Some(extents) = extents {
            let total: u64 = extents.iter().map(|r| r.end - r.start).sum();
            if total > MAX_XMP || extents.iter().any(|r| r.end > len) || extents.is_empty() {
                return Err(unread());
            }
            let mut packet = Vec::with_capacity(total as usize);
            for r in &extents {
                packet.extend(reader.read_vec(r.start, (r.end - r.start) as usize)?);
            }
            while packet.last() == Some(&0) {
                packet.pop();
            }
            blocks.push(Block {
                kind: BlockKind::Xmp,
                range: extents[0].clone(),
                payload: Some(packet),
            });
        }
    }
    Ok(Layout {
        format: Format::Other(name),
        blocks,
        len,
        dimensions: None,
        fixed_xmp_len: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_boxes_are_not_followed() {
        // iloc claiming extents past the end, a box size past the end.
        for bytes in [
            &b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\x01\0meta"[..],
            b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\x0cmeta\0\0\0\0",
        ] {
            let mut c = std::io::Cursor::new(bytes.to_vec());
            let mut r = BlockReader::new(&mut c).unwrap();
            match scan_blocks(&mut r, "HEIF") {
                Ok(layout) => assert!(layout.blocks.is_empty()),
                Err(ContainerError::OtherFormat("HEIF")) => {}
                Err(e) => panic!("{e}"),
            }
        }
        let whole = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
        for cut in 0..whole.len() {
            let mut c = std::io::Cursor::new(whole[..cut].to_vec());
            if let Ok(mut r) = BlockReader::new(&mut c) {
                let _ = scan_blocks(&mut r, "HEIF");
            }
        }
    }
}
