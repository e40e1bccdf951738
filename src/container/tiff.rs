//! TIFF and DNG (and the TIFF inside camera RAW such as NEF or CR2, read
//! but never written): the XMP packet is the value of IFD0's tag 700
//! (XMLPacket).
//!
//! A TIFF is a web of absolute offsets (IFDs, sub-IFDs, maker notes,
//! strips), so a write never moves a byte: the layout is the file cut at
//! the places ccsig reads (the header, IFD0's directory, the values of the
//! tags it reads, the image strips or tiles), with the bytes in between as
//! `Other` blocks. A new packet that is as long as the old one takes its
//! place; a longer one is appended at the end of the file and IFD0's entry
//! pointed at it (the old packet's bytes are blanked with spaces, so no
//! stale preference lingers for a tool that scans for packets); a file
//! without a packet gets a copy of IFD0, with the entry added, appended
//! and the header pointed at it (the old directory stays where it was,
//! unreferenced). Every other byte stays at its offset, which is what
//! `verify_preserved` checks. BigTIFF is read, not written.

use std::io::{Read, Seek, Write};
use std::ops::Range;

use super::walk::{check_layout, splice, BlockEdit, BlockReader, LayoutBuilder};
use super::{
    blocks_match, Block, BlockKind, ContainerError, Format, Layout, PacketBytes, XmpEdit,
    XmpPackets,
};

/// IFD0's XMLPacket: the XMP packet.
const TAG_XMP: u16 = 700;
/// IPTC-NAA: bare IIM datasets.
const TAG_IPTC: u16 = 33723;
/// Photoshop image resources (which may hold IIM too).
const TAG_PHOTOSHOP: u16 = 34377;
/// The C2PA manifest store.
const TAG_C2PA: u16 = 52545;
const TAG_ICC: u16 = 34675;
/// Artist: whom the image is by (a fallback source of the credit).
const TAG_ARTIST: u16 = 315;
const TAG_WIDTH: u16 = 256;
const TAG_LENGTH: u16 = 257;
const TAG_STRIP_OFFSETS: u16 = 273;
const TAG_STRIP_BYTE_COUNTS: u16 = 279;
const TAG_TILE_OFFSETS: u16 = 324;
const TAG_TILE_BYTE_COUNTS: u16 = 325;

/// A payload larger than this (an XMP packet, image resources, IIM) is
/// not loaded.
const MAX_PAYLOAD: u64 = 16 * 1024 * 1024;
/// More strips or tiles than this in IFD0 is not a file ccsig reads.
const MAX_STRIPS: u64 = 1 << 20;

/// TIFF's byte order and offset size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Order {
    little: bool,
    big_tiff: bool,
}

impl Order {
    fn of(head: &[u8]) -> Option<Order> {
        match head.get(..4)? {
            b"II*\0" => Some(Order {
                little: true,
                big_tiff: false,
            }),
            b"MM\0*" => Some(Order {
                little: false,
                big_tiff: false,
            }),
            b"II+\0" => Some(Order {
                little: true,
                big_tiff: true,
            }),
            b"MM\0+" => Some(Order {
                little: false,
                big_tiff: true,
            }),
            _ => None,
        }
    }

    fn u16(self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        if self.little {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        }
    }

    fn u32(self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    }

    fn u64(self, b: &[u8]) -> u64 {
        let a: [u8; 8] = b[..8].try_into().expect("eight bytes");
        if self.little {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        }
    }

    fn put_u16(self, v: u16) -> [u8; 2] {
        if self.little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    }

    fn put_u32(self, v: u32) -> [u8; 4] {
        if self.little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    }

    fn header_len(self) -> u64 {
        if self.big_tiff {
            16
        } else {
            8
        }
    }

    fn entry_len(self) -> u64 {
        if self.big_tiff {
            20
        } else {
            12
        }
    }

    /// The size of the directory's entry count and of its next-IFD offset.
    fn count_len(self) -> u64 {
        if self.big_tiff {
            8
        } else {
            2
        }
    }

    fn offset_len(self) -> u64 {
        if self.big_tiff {
            8
        } else {
            4
        }
    }
}

/// One entry of IFD0, as it sits in the file.
#[derive(Debug, Clone)]
struct Entry {
    tag: u16,
    kind: u16,
    count: u64,
    /// The entry's bytes (12, or 20 in BigTIFF).
    raw: Vec<u8>,
    /// Where its value is: inside the entry, or at an offset.
    value: Range<u64>,
}

/// IFD0 of a file.
#[derive(Debug)]
struct Directory {
    order: Order,
    entries: Vec<Entry>,
    /// The whole directory: count, entries, next-IFD offset.
    range: Range<u64>,
    next: Vec<u8>,
}

impl Directory {
    fn get(&self, tag: u16) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tag == tag)
    }
}

fn type_size(kind: u16) -> u64 {
    match kind {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 | 16 | 17 | 18 => 8,
        _ => 1,
    }
}

/// Reads the header and IFD0.
fn directory<R: Read + Seek>(reader: &mut BlockReader<R>) -> Result<Directory, ContainerError> {
    let fail = |d: String| Format::Tiff.malformed(d);
    let len = reader.len();
    let mut head = [0u8; 16];
    let got = reader.read_up_to_at(0, &mut head)?;
    let order = Order::of(&head[..got]).ok_or_else(|| fail("no TIFF header".into()))?;
    if (got as u64) < order.header_len() {
        return Err(ContainerError::Truncated("TIFF header".into()));
    }
    let at = if order.big_tiff {
        if order.u16(&head[4..]) != 8 {
            return Err(fail("BigTIFF offsets are not 8 bytes".into()));
        }
        order.u64(&head[8..])
    } else {
        u64::from(order.u32(&head[4..]))
    };
    if at < order.header_len() || at >= len {
        return Err(ContainerError::Truncated(format!(
            "IFD0 at offset {at} is outside the file ({len} bytes)"
        )));
    }
    let count_bytes = reader.read_vec(at, order.count_len() as usize)?;
    let count = if order.big_tiff {
        order.u64(&count_bytes)
    } else {
        u64::from(order.u16(&count_bytes))
    };
    if count == 0 || count > 4096 {
        return Err(fail(format!("IFD0 has {count} entries")));
    }
    let dir_len = order.count_len() + count * order.entry_len() + order.offset_len();
    let end = at
        .checked_add(dir_len)
        .filter(|end| *end <= len)
        .ok_or_else(|| ContainerError::Truncated("IFD0 runs past the end of the file".into()))?;
    let dir = reader.read_vec(at, dir_len as usize)?;
    let mut entries = Vec::with_capacity(count as usize);
    for i in 0..count {
        let start = (order.count_len() + i * order.entry_len()) as usize;
        let raw = dir[start..start + order.entry_len() as usize].to_vec();
        let (tag, kind) = (order.u16(&raw), order.u16(&raw[2..]));
        let (count, field_at, inline) = if order.big_tiff {
            (order.u64(&raw[4..]), 12u64, 8u64)
        } else {
            (u64::from(order.u32(&raw[4..])), 8, 4)
        };
        let size = count.saturating_mul(type_size(kind));
        let value = if size <= inline {
            let start = at + start as u64 + field_at;
            start..start + size
        } else {
            let offset = if order.big_tiff {
                order.u64(&raw[12..])
            } else {
                u64::from(order.u32(&raw[8..]))
            };
            offset..offset.saturating_add(size)
        };
        entries.push(Entry {
            tag,
            kind,
            count,
            raw,
            value,
        });
    }
    let next = dir[dir.len() - order.offset_len() as usize..].to_vec();
    Ok(Directory {
        order,
        entries,
        range: at..end,
        next,
    })
}

/// Reads an array of offsets or counts (SHORT, LONG or LONG8).
fn numbers<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    order: Order,
    e: &Entry,
) -> Result<Vec<u64>, ContainerError> {
    if e.count > MAX_STRIPS {
        return Err(Format::Tiff.malformed(format!("IFD0 has {} strips or tiles", e.count)));
    }
    let width = type_size(e.kind) as usize;
    if !matches!(e.kind, 3 | 4 | 16) {
        return Err(Format::Tiff.malformed(format!("strip offsets of type {}", e.kind)));
    }
    let bytes = reader.read_vec(e.value.start, (e.value.end - e.value.start) as usize)?;
    Ok(bytes
        .chunks_exact(width)
        .map(|c| match width {
            2 => u64::from(order.u16(c)),
            4 => u64::from(order.u32(c)),
            _ => order.u64(c),
        })
        .collect())
}

/// The value of a SHORT or LONG entry holding one number.
fn number(order: Order, e: &Entry) -> Option<u32> {
    let field = if order.big_tiff {
        &e.raw[12..]
    } else {
        &e.raw[8..]
    };
    match (e.kind, e.count) {
        (3, 1) => Some(u32::from(order.u16(field))),
        (4, 1) => Some(order.u32(field)),
        _ => None,
    }
}

/// Lists the blocks of a TIFF: the header, IFD0, the values of the tags
/// ccsig reads, the strips or tiles, and the bytes between them. See the
/// module docs and [`super::scan`].
pub fn scan<R: Read + Seek>(r: &mut R) -> Result<Layout, ContainerError> {
    super::scan_as(r, Format::Tiff)
}

/// [`scan`] through the shared block reader, loading the payloads a reader
/// needs.
pub(crate) fn scan_blocks<R: Read + Seek>(
    reader: &mut BlockReader<R>,
) -> Result<Layout, ContainerError> {
    let len = reader.len();
    let dir = directory(reader)?;
    let order = dir.order;
    // (range, kind, payload wanted): the places ccsig reads or keeps apart.
    let mut places: Vec<(Range<u64>, BlockKind, bool)> = vec![
        (0..order.header_len(), BlockKind::Header, false),
        (dir.range.clone(), BlockKind::Header, false),
    ];
    let out_of_line =
        |e: &Entry| !dir.range.contains(&e.value.start) && e.value.start < e.value.end;
    let mut packets = XmpPackets::default();
    for e in &dir.entries {
        let kind = match e.tag {
            TAG_XMP => packets.next().0,
            TAG_PHOTOSHOP => BlockKind::PhotoshopIrb,
            TAG_IPTC => BlockKind::Iim,
            TAG_C2PA => BlockKind::C2pa,
            TAG_ICC => BlockKind::Icc,
            TAG_ARTIST => BlockKind::Exif,
            _ => continue,
        };
        if !out_of_line(e) {
            continue; // a few bytes inside the directory: no packet
        }
        if e.value.end > len {
            return Err(ContainerError::Truncated(format!(
                "the value of tag {} runs past the end of the file",
                e.tag
            )));
        }
        let wanted = matches!(
            kind,
            BlockKind::Xmp | BlockKind::PhotoshopIrb | BlockKind::Iim | BlockKind::Exif
        );
        places.push((e.value.clone(), kind, wanted));
    }
    for (offsets, counts) in [
        (TAG_STRIP_OFFSETS, TAG_STRIP_BYTE_COUNTS),
        (TAG_TILE_OFFSETS, TAG_TILE_BYTE_COUNTS),
    ] {
        let (Some(o), Some(c)) = (dir.get(offsets), dir.get(counts)) else {
            continue;
        };
        for e in [o, c] {
            if e.value.end > len {
                return Err(ContainerError::Truncated(format!(
                    "the value of tag {} runs past the end of the file",
                    e.tag
                )));
            }
        }
        let (o, c) = (numbers(reader, order, o)?, numbers(reader, order, c)?);
        for (start, size) in o.into_iter().zip(c) {
            let end = start
                .checked_add(size)
                .filter(|end| *end <= len)
                .ok_or_else(|| {
                    ContainerError::Truncated(format!(
                        "image data at offset {start} runs past the end of the file"
                    ))
                })?;
            if size > 0 {
                places.push((start..end, BlockKind::ImageData, false));
            }
        }
    }
    places.sort_by_key(|(r, _, _)| (r.start, r.end));
    let mut builder = LayoutBuilder::default();
    let mut at = 0;
    let mut last = BlockKind::Header;
    for (range, kind, wanted) in places {
        if range.start < at {
            // Strips may share bytes (a blank strip stored once); any other
            // overlap (a strip inside IFD0, a packet inside a strip) means
            // offsets that cannot be trusted to rewrite by.
            if kind == BlockKind::ImageData && last == BlockKind::ImageData {
                if range.end > at {
                    builder.push_run(kind, at..range.end, *b"strp");
                    at = range.end;
                }
                continue;
            }
            return Err(Format::Tiff.malformed(format!(
                "{kind:?} at offset {} overlaps what comes before it",
                range.start
            )));
        }
        last = kind;
        if range.start > at {
            builder.push_run(BlockKind::Other, at..range.start, *b"gap ");
        }
        let payload = if wanted {
            let size = range.end - range.start;
            if size > MAX_PAYLOAD {
                return Err(ContainerError::Unsupported(format!(
                    "a TIFF metadata value of {size} bytes is larger than ccsig loads"
                )));
            }
            let mut bytes = reader.read_vec(range.start, size as usize)?;
            // Some writers count a closing NUL (or pad IIM to a LONG).
            while bytes.last() == Some(&0) {
                bytes.pop();
            }
            Some(bytes)
        } else {
            None
        };
        // The file is a TIFF stream itself, too large to load as EXIF: its
        // EXIF is a stream of IFD0's Artist alone (all ccsig reads of it).
        let payload = match kind {
            BlockKind::Exif => payload.map(|artist| artist_stream(&artist)),
            _ => payload,
        };
        if kind == BlockKind::ImageData {
            builder.push_run(kind, range.clone(), *b"strp");
        } else {
            builder.push(kind, range.clone(), payload);
        }
        at = range.end;
    }
    if at < len {
        builder.push_run(BlockKind::Other, at..len, *b"gap ");
    }
    let dimensions = match (dir.get(TAG_WIDTH), dir.get(TAG_LENGTH)) {
        (Some(w), Some(h)) => number(order, w).zip(number(order, h)),
        _ => None,
    };
    Ok(builder.finish(Format::Tiff, len, dimensions))
}

/// A little-endian TIFF stream whose IFD0 holds one ASCII Artist entry.
fn artist_stream(artist: &[u8]) -> Vec<u8> {
    let mut t = b"II*\0\x08\0\0\0".to_vec();
    t.extend_from_slice(&1u16.to_le_bytes());
    t.extend_from_slice(&TAG_ARTIST.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes()); // ASCII
    t.extend_from_slice(&(artist.len() as u32 + 1).to_le_bytes());
    t.extend_from_slice(&26u32.to_le_bytes()); // the value, after this IFD
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(artist);
    t.push(0);
    t
}

/// Writes the file anew with `xmp` done to IFD0's packet: same-length
/// packets in place, others appended (see the module's documentation).
pub(crate) fn rewrite<R: Read + Seek, W: Write>(
    src: &mut R,
    layout: &Layout,
    xmp: &XmpEdit,
    dst: &mut W,
) -> Result<(), ContainerError> {
    let mut src = BlockReader::new(src)?.for_format(Format::Tiff);
    check_layout(layout, Format::Tiff, src.len())?;
    let dir = directory(&mut src)?;
    let order = dir.order;
    if order.big_tiff {
        return Err(ContainerError::Unsupported(
            "ccsig reads BigTIFF files but does not write them (use --sidecar)".into(),
        ));
    }
    let index_of = |range: &Range<u64>| {
        layout
            .blocks
            .iter()
            .position(|b| b.range == *range)
            .ok_or_else(|| Format::Tiff.malformed("the layout does not match the file"))
    };
    let old = dir
        .get(TAG_XMP)
        .filter(|e| !dir.range.contains(&e.value.start));
    let end = layout.blocks.len();
    let mut edits = Vec::new();
    // What is appended: (padding to an even offset, then) the packet, and
    // for a new entry a new IFD0.
    let mut tail = Vec::new();
    let even = |at: u64, tail: &mut Vec<u8>| {
        if at % 2 == 1 {
            tail.push(0);
        }
    };
    let blank = |e: &Entry| -> Result<(usize, BlockEdit), ContainerError> {
        let size = (e.value.end - e.value.start) as usize;
        Ok((index_of(&e.value)?, BlockEdit::Replace(vec![b' '; size])))
    };
    match (xmp, old) {
        (XmpEdit::Replace(packet), Some(e))
            if packet.len() as u64 == e.value.end - e.value.start =>
        {
            edits.push((index_of(&e.value)?, BlockEdit::Replace(packet.clone())));
        }
        (XmpEdit::Replace(packet), Some(e)) => {
            even(layout.len, &mut tail);
            let at = layout.len + tail.len() as u64;
            tail.extend_from_slice(packet);
            let new_entry = entry_bytes(order, TAG_XMP, e.kind, packet.len(), at)?;
            edits.push(blank(e)?);
            edits.push((
                index_of(&dir.range)?,
                BlockEdit::Replace(directory_bytes(&dir, Some(new_entry), None)),
            ));
        }
        (XmpEdit::Replace(packet), None) => {
            even(layout.len, &mut tail);
            let packet_at = layout.len + tail.len() as u64;
            tail.extend_from_slice(packet);
            even(packet_at + packet.len() as u64, &mut tail);
            let dir_at = layout.len + tail.len() as u64;
            let new_entry = entry_bytes(order, TAG_XMP, 1, packet.len(), packet_at)?;
            tail.extend(directory_bytes(&dir, Some(new_entry), None));
            edits.push((0, BlockEdit::Replace(header_bytes(order, dir_at)?)));
        }
        (XmpEdit::Remove, Some(e)) => {
            even(layout.len, &mut tail);
            let dir_at = layout.len + tail.len() as u64;
            tail.extend(directory_bytes(&dir, None, Some(TAG_XMP)));
            edits.push(blank(e)?);
            edits.push((0, BlockEdit::Replace(header_bytes(order, dir_at)?)));
        }
        (XmpEdit::Remove, None) => {}
    }
    if !tail.is_empty() {
        edits.push((end, BlockEdit::InsertBefore(tail)));
    }
    edits.sort_by_key(|(i, _)| *i);
    splice(src.inner(), layout, &edits, dst)
}

/// An entry (classic TIFF) whose value of `len` bytes is at `at`.
fn entry_bytes(
    order: Order,
    tag: u16,
    kind: u16,
    len: usize,
    at: u64,
) -> Result<Vec<u8>, ContainerError> {
    let len = offset32(len as u64)?;
    let at = offset32(at)?;
    let mut e = Vec::with_capacity(12);
    e.extend(order.put_u16(tag));
    e.extend(order.put_u16(kind));
    e.extend(order.put_u32(len));
    e.extend(order.put_u32(at));
    Ok(e)
}

/// A classic TIFF's offsets and counts are 32 bits.
fn offset32(v: u64) -> Result<u32, ContainerError> {
    u32::try_from(v).map_err(|_| ContainerError::Unsupported("the TIFF would pass 4 GiB".into()))
}

fn header_bytes(order: Order, ifd0: u64) -> Result<Vec<u8>, ContainerError> {
    let ifd0 = offset32(ifd0)?;
    let mut h = if order.little {
        b"II*\0".to_vec()
    } else {
        b"MM\0*".to_vec()
    };
    h.extend(order.put_u32(ifd0));
    Ok(h)
}

/// IFD0 again (classic TIFF), with `set` put in place of the entry of its
/// tag (or added, in tag order), and without the entry of `drop`.
fn directory_bytes(dir: &Directory, set: Option<Vec<u8>>, drop: Option<u16>) -> Vec<u8> {
    let order = dir.order;
    let mut entries: Vec<Vec<u8>> = dir
        .entries
        .iter()
        .filter(|e| Some(e.tag) != drop)
        .map(|e| e.raw.clone())
        .collect();
    if let Some(new) = set {
        let tag = order.u16(&new);
        match entries.iter().position(|e| order.u16(e) >= tag) {
            Some(i) if order.u16(&entries[i]) == tag => entries[i] = new,
            Some(i) => entries.insert(i, new),
            None => entries.push(new),
        }
    }
    let mut out = Vec::with_capacity(2 + entries.len() * 12 + 4);
    out.extend(order.put_u16(entries.len() as u16));
    for e in entries {
        out.extend(e);
    }
    out.extend(&dir.next);
    out
}

/// Checks that `new` (a rewrite of `old`) kept every byte ccsig does not
/// own at its offset, and IFD0's entries but the XMP packet's: nothing in
/// a TIFF may move, since anything may point at it.
pub(crate) fn verify_preserved<A: Read + Seek, B: Read + Seek>(
    old: &mut A,
    old_layout: &Layout,
    new: &mut B,
    new_layout: &Layout,
) -> Result<(), ContainerError> {
    let fail = |d: String| Format::Tiff.malformed(d);
    if new_layout.format != Format::Tiff || new_layout.len < old_layout.len {
        return Err(fail(
            "the rewrite is not a TIFF as long as the original".into(),
        ));
    }
    if old_layout.dimensions != new_layout.dimensions {
        return Err(fail("image size changed".into()));
    }
    for b in &old_layout.blocks {
        if matches!(b.kind, BlockKind::Header | BlockKind::Xmp) {
            continue;
        }
        if !blocks_match(old, b.range.clone(), new, b.range.clone())? {
            return Err(fail(format!(
                "{:?} bytes at offset {} changed",
                b.kind, b.range.start
            )));
        }
    }
    let a = directory(&mut BlockReader::new(old)?)?;
    let b = directory(&mut BlockReader::new(new)?)?;
    let others = |d: &Directory| -> Vec<Vec<u8>> {
        d.entries
            .iter()
            .filter(|e| e.tag != TAG_XMP)
            .map(|e| e.raw.clone())
            .collect()
    };
    if a.order != b.order || a.next != b.next || others(&a) != others(&b) {
        return Err(fail("IFD0 changed beyond its XMP entry".into()));
    }
    Ok(())
}

/// TIFF's [`Container`](super::Container).
pub(crate) struct Tiff;

impl super::Container for Tiff {
    fn scan_blocks<R: Read + Seek>(
        reader: &mut BlockReader<R>,
        _: Format,
    ) -> Result<Layout, ContainerError> {
        scan_blocks(reader)
    }

    fn rewrite_xmp<R: Read + Seek, W: Write>(
        src: &mut R,
        layout: &Layout,
        edit: &XmpEdit,
        dst: &mut W,
    ) -> Result<(), ContainerError> {
        rewrite(src, layout, edit, dst)
    }

    /// The value of IFD0's tag 700, when it is exactly the packet read.
    fn packet_bytes<R: Read + Seek>(
        _: &mut BlockReader<R>,
        _: &Layout,
        block: &Block,
    ) -> Result<Option<PacketBytes>, ContainerError> {
        Ok(Some(PacketBytes {
            packet: block.range.clone(),
            crc_prefix: None,
        }))
    }

    /// Nothing moves: every byte at the same offset.
    fn verify<A: Read + Seek, B: Read + Seek>(
        old: &mut A,
        old_layout: &Layout,
        new: &mut B,
        new_layout: &Layout,
        _: &[BlockKind],
        _: bool,
    ) -> Result<(), ContainerError> {
        verify_preserved(old, old_layout, new, new_layout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::scan;
    use std::io::Cursor;

    /// A little TIFF: IFD0 with width, height, one strip, and an XMP packet
    /// when given.
    pub(crate) fn tiff(little: bool, xmp: Option<&[u8]>) -> Vec<u8> {
        let order = Order {
            little,
            big_tiff: false,
        };
        let mut out = if little {
            b"II*\0".to_vec()
        } else {
            b"MM\0*".to_vec()
        };
        out.extend(order.put_u32(8));
        let n: u16 = if xmp.is_some() { 5 } else { 4 };
        let dir_len = 2 + 12 * n as u32 + 4;
        let strip_at = 8 + dir_len;
        let xmp_at = strip_at + 4;
        out.extend(order.put_u16(n));
        let mut entry = |tag: u16, kind: u16, count: u32, value: u32| {
            out.extend(order.put_u16(tag));
            out.extend(order.put_u16(kind));
            out.extend(order.put_u32(count));
            if kind == 3 && count == 1 {
                out.extend(order.put_u16(value as u16));
                out.extend([0, 0]);
            } else {
                out.extend(order.put_u32(value));
            }
        };
        entry(TAG_WIDTH, 3, 1, 2);
        entry(TAG_LENGTH, 3, 1, 2);
        entry(TAG_STRIP_OFFSETS, 4, 1, strip_at);
        entry(TAG_STRIP_BYTE_COUNTS, 4, 1, 4);
        if let Some(x) = xmp {
            entry(TAG_XMP, 1, x.len() as u32, xmp_at);
        }
        out.extend([0; 4]);
        out.extend([1, 2, 3, 4]);
        if let Some(x) = xmp {
            out.extend(x);
        }
        out
    }

    #[test]
    fn the_packet_of_ifd0_is_found_in_both_byte_orders() {
        for little in [true, false] {
            let bytes = tiff(little, Some(b"<x:xmpmeta/>"));
            let layout = scan(&mut Cursor::new(&bytes)).unwrap();
            assert_eq!(layout.format, Format::Tiff);
            assert_eq!(layout.xmp(), Some(&b"<x:xmpmeta/>"[..]));
            assert_eq!(layout.dimensions, Some((2, 2)));
            assert!(layout.has(BlockKind::ImageData));
            let covered: u64 = layout
                .blocks
                .iter()
                .map(|b| b.range.end - b.range.start)
                .sum();
            assert_eq!(covered, bytes.len() as u64);
        }
    }

    #[test]
    fn every_write_keeps_every_other_byte_where_it_was() {
        for little in [true, false] {
            for (old, new) in [
                (None, &b"<x:xmpmeta>added</x:xmpmeta>"[..]),
                (
                    Some(&b"<x:xmpmeta>12</x:xmpmeta>"[..]),
                    b"<x:xmpmeta>34</x:xmpmeta>",
                ),
                (
                    Some(b"<x:xmpmeta/>"),
                    b"<x:xmpmeta>longer than before</x:xmpmeta>",
                ),
            ] {
                let bytes = tiff(little, old);
                let mut src = Cursor::new(&bytes);
                let layout = scan(&mut src).unwrap();
                let mut out = Vec::new();
                rewrite(&mut src, &layout, &XmpEdit::Replace(new.to_vec()), &mut out).unwrap();
                let new_layout = scan(&mut Cursor::new(&out)).unwrap();
                assert_eq!(new_layout.xmp(), Some(new));
                verify_preserved(&mut src, &layout, &mut Cursor::new(&out), &new_layout).unwrap();
                // The strip is where it was.
                let strip = new_layout.blocks_of(BlockKind::ImageData).next().unwrap();
                assert_eq!(&out[strip.range.start as usize..][..4], &[1, 2, 3, 4]);
                // And removing leaves no packet.
                let mut removed = Vec::new();
                rewrite(
                    &mut Cursor::new(&out),
                    &new_layout,
                    &XmpEdit::Remove,
                    &mut removed,
                )
                .unwrap();
                let gone = scan(&mut Cursor::new(&removed)).unwrap();
                assert_eq!(gone.xmp(), None);
                verify_preserved(
                    &mut Cursor::new(&out),
                    &new_layout,
                    &mut Cursor::new(&removed),
                    &gone,
                )
                .unwrap();
            }
        }
    }

    #[test]
    fn a_changed_byte_outside_the_packet_is_caught() {
        let bytes = tiff(true, Some(b"<x:xmpmeta/>"));
        let layout = scan(&mut Cursor::new(&bytes)).unwrap();
        let mut tampered = bytes.clone();
        let strip = layout
            .blocks_of(BlockKind::ImageData)
            .next()
            .unwrap()
            .range
            .start as usize;
        tampered[strip] ^= 1;
        let new_layout = scan(&mut Cursor::new(&tampered)).unwrap();
        assert!(verify_preserved(
            &mut Cursor::new(&bytes),
            &layout,
            &mut Cursor::new(&tampered),
            &new_layout
        )
        .is_err());
    }

    #[test]
    fn hostile_offsets_are_errors() {
        let mut bytes = tiff(true, Some(b"<x:xmpmeta/>"));
        // IFD0 past the end.
        let mut far = bytes.clone();
        far[4..8].copy_from_slice(&1_000_000u32.to_le_bytes());
        assert!(scan(&mut Cursor::new(&far)).is_err());
        // The packet's count past the end.
        let xmp_entry = 8 + 2 + 12 * 4;
        bytes[xmp_entry + 4..xmp_entry + 8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(scan(&mut Cursor::new(&bytes)).is_err());
        // Every truncation.
        let whole = tiff(false, Some(b"<x:xmpmeta/>"));
        for cut in 0..whole.len() {
            let _ = scan(&mut Cursor::new(&whole[..cut]));
        }
    }
}
