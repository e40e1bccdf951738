//! HEIF/HEIC and AVIF (ISO BMFF, ISO/IEC 23008-12): the XMP packet is an
//! item of type `mime` and content type `application/rdf+xml` (listed in
//! `meta`'s `iinf`), its bytes located by `iloc` extents (in the file, or
//! in `idat`), linked to the primary item by a `cdsc` reference (`iref`).
//!
//! The layout is the top-level boxes (`ftyp`, `meta` as `Header`, `mdat`
//! as `ImageData`), with the packet's extent cut out of the box holding
//! it. A write changes `meta` and nothing else that holds data:
//!
//! - a packet of the old length takes the old one's place (and re-tags
//!   go in place); nothing else changes;
//! - otherwise the packet goes into a new `mdat` appended at the end of
//!   the file, the item's `iloc` entry points at it, the old bytes are
//!   blanked with spaces (no stale preference for tools that scan for
//!   packets), and a new item gets its `infe` and a `cdsc` reference to
//!   the primary item. `meta` changes length, so every `iloc` offset into
//!   the file after it moves by that much; everything else is copied byte
//!   for byte, bursts, grids, thumbnails, depth and gain maps included.
//!
//! What ccsig cannot keep consistent it refuses: image sequences (`moov`
//! tracks hold offsets of their own), an XMP item in several extents or
//! compressed (`content_encoding`), offsets that would not fit their
//! fields, a last box that runs to the end of the file. A file whose boxes
//! ccsig cannot follow is read through its sidecars only
//! (`ContainerError::OtherFormat`).

use std::io::{Read, Seek, Write};
use std::ops::Range;

use super::boxes::{self, BoxHeader, BoxRead};
use super::walk::{check_layout, splice, BlockEdit, BlockReader, LayoutBuilder};
use super::{blocks_match, Block, BlockKind, ContainerError, Format, Layout, PacketBytes, XmpEdit};

/// `meta` larger than this is not read (item tables of bursts and grids
/// run to kilobytes, not megabytes).
const MAX_META: u64 = 4 * 1024 * 1024;
/// An XMP item larger than this is not loaded.
const MAX_XMP: u64 = 16 * 1024 * 1024;
const XMP_MIME: &[u8] = b"application/rdf+xml";
/// Why an item cannot be read: its extents run past the file's end.
const OUTSIDE: &str = "an item lies outside the file";
/// C2PA's manifest store in BMFF: a top-level `uuid` box of this type.
const C2PA_UUID: [u8; 16] = [
    0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e, 0x48, 0x3c, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7e, 0xc4, 0x81,
];

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

/// Appends `value` as a big-endian unsigned integer of `size` bytes, or
/// `None` when it does not fit.
fn put(out: &mut Vec<u8>, value: u64, size: u8) -> Option<()> {
    if size < 8 && value >> (u32::from(size) * 8) != 0 {
        return None;
    }
    out.extend_from_slice(&value.to_be_bytes()[8 - usize::from(size)..]);
    Some(())
}

/// An XMP item: its id and its bytes' ranges in the file.
type XmpItem = (u32, Vec<Range<u64>>);

/// A child box: its type, its whole range in its parent's payload, and its
/// header's length.
type Child = ([u8; 4], Range<usize>, usize);

/// The child boxes of `b` (read by [`boxes::children`]).
fn children(b: &[u8]) -> Option<Vec<Child>> {
    let boxes = boxes::children(b)?;
    Some(
        boxes
            .into_iter()
            .map(|c| {
                let range = c.range.start as usize..c.range.end as usize;
                (c.ty, range, c.header_len as usize)
            })
            .collect(),
    )
}

/// One extent of an item: `length` bytes at `base + offset` (0 length: to
/// the end of the resource).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Extent {
    index: u64,
    offset: u64,
    length: u64,
}

/// One `iloc` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Location {
    id: u32,
    /// 0: file offsets; 1: offsets into `idat`; 2: into another item.
    method: u8,
    data_reference: u16,
    base: u64,
    extents: Vec<Extent>,
}

/// The item location box, with its field sizes kept so it is written back
/// as it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Iloc {
    version: u8,
    flags: [u8; 3],
    offset_size: u8,
    length_size: u8,
    base_size: u8,
    index_size: u8,
    items: Vec<Location>,
}

impl Iloc {
    fn parse(b: &[u8]) -> Option<Iloc> {
        let mut r = Bytes { b, at: 0 };
        let version = r.uint(1)? as u8;
        if version > 2 {
            return None;
        }
        let flags: [u8; 3] = r.take(3)?.try_into().ok()?;
        let sizes = r.uint(2)?;
        let nibble = |shift: u32| (sizes >> shift & 0xF) as u8;
        let (offset_size, length_size, base_size) = (nibble(12), nibble(8), nibble(4));
        let index_size = if version == 0 { 0 } else { nibble(0) };
        if [offset_size, length_size, base_size, index_size]
            .iter()
            .any(|s| ![0, 4, 8].contains(s))
        {
            return None;
        }
        let id_size = if version < 2 { 2 } else { 4 };
        let count = r.uint(id_size)?;
        let mut items = Vec::new();
        for _ in 0..count {
            let id = r.uint(id_size)? as u32;
            let method = match version {
                0 => 0,
                _ => (r.uint(2)? & 0xF) as u8,
            };
            let data_reference = r.uint(2)? as u16;
            let base = r.uint(base_size.into())?;
            let extent_count = r.uint(2)?;
            let mut extents = Vec::new();
            for _ in 0..extent_count {
                extents.push(Extent {
                    index: r.uint(index_size.into())?,
                    offset: r.uint(offset_size.into())?,
                    length: r.uint(length_size.into())?,
                });
            }
            items.push(Location {
                id,
                method,
                data_reference,
                base,
                extents,
            });
        }
        Some(Iloc {
            version,
            flags,
            offset_size,
            length_size,
            base_size,
            index_size,
            items,
        })
    }

    /// The box's payload, or `None` when a value no longer fits its field.
    fn payload(&self) -> Option<Vec<u8>> {
        let mut out = vec![self.version];
        out.extend_from_slice(&self.flags);
        let index = if self.version == 0 {
            0
        } else {
            self.index_size
        };
        let sizes = u16::from(self.offset_size) << 12
            | u16::from(self.length_size) << 8
            | u16::from(self.base_size) << 4
            | u16::from(index);
        out.extend_from_slice(&sizes.to_be_bytes());
        let id_size = if self.version < 2 { 2 } else { 4 };
        put(&mut out, self.items.len() as u64, id_size)?;
        for item in &self.items {
            put(&mut out, item.id.into(), id_size)?;
            if self.version > 0 {
                put(&mut out, item.method.into(), 2)?;
            } else if item.method != 0 {
                return None;
            }
            put(&mut out, item.data_reference.into(), 2)?;
            put(&mut out, item.base, self.base_size)?;
            put(&mut out, item.extents.len() as u64, 2)?;
            for e in &item.extents {
                put(&mut out, e.index, index)?;
                put(&mut out, e.offset, self.offset_size)?;
                put(&mut out, e.length, self.length_size)?;
            }
        }
        Some(out)
    }

    fn item(&self, id: u32) -> Option<&Location> {
        self.items.iter().find(|i| i.id == id)
    }
}

/// One `infe`: an item's id and type, and the entry's bytes as they were.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ItemInfo {
    id: u32,
    is_xmp: bool,
    /// The XMP is stored compressed (`content_encoding` not empty).
    encoded: bool,
    bytes: Vec<u8>,
}

/// The item information box.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Iinf {
    version: u8,
    flags: [u8; 3],
    entries: Vec<ItemInfo>,
}

impl Iinf {
    fn parse(b: &[u8]) -> Option<Iinf> {
        let mut r = Bytes { b, at: 0 };
        let version = r.uint(1)? as u8;
        let flags: [u8; 3] = r.take(3)?.try_into().ok()?;
        r.uint(if version == 0 { 2 } else { 4 })?;
        let mut entries = Vec::new();
        for (ty, range, header_len) in children(&b[r.at..])? {
            let whole = &b[r.at + range.start..r.at + range.end];
            if &ty != b"infe" {
                return None;
            }
            let mut e = Bytes {
                b: &whole[header_len..],
                at: 0,
            };
            let v = e.uint(1)?;
            e.take(3)?;
            if v < 2 {
                // Version 0 and 1 entries (no item type) name no XMP item.
                let id = e.uint(2)? as u32;
                entries.push(ItemInfo {
                    id,
                    is_xmp: false,
                    encoded: false,
                    bytes: whole.to_vec(),
                });
                continue;
            }
            let id = e.uint(if v == 2 { 2 } else { 4 })? as u32;
            e.uint(2)?; // protection index
            let item_type = e.take(4)?;
            e.cstr()?; // name
            let (is_xmp, encoded) = match item_type {
                b"mime" => {
                    let content_type = e.cstr()?;
                    let encoding = e.cstr().unwrap_or_default();
                    (content_type == XMP_MIME, !encoding.is_empty())
                }
                _ => (false, false),
            };
            entries.push(ItemInfo {
                id,
                is_xmp,
                encoded,
                bytes: whole.to_vec(),
            });
        }
        Some(Iinf {
            version,
            flags,
            entries,
        })
    }

    fn payload(&self) -> Option<Vec<u8>> {
        let mut out = vec![self.version];
        out.extend_from_slice(&self.flags);
        put(
            &mut out,
            self.entries.len() as u64,
            if self.version == 0 { 2 } else { 4 },
        )?;
        for e in &self.entries {
            out.extend_from_slice(&e.bytes);
        }
        Some(out)
    }

    fn xmp(&self) -> Option<&ItemInfo> {
        self.entries.iter().find(|e| e.is_xmp)
    }
}

/// A new XMP item's `infe`: version 2 (or 3 for a 32-bit id), type `mime`,
/// no name, content type `application/rdf+xml`, as ExifTool writes it.
fn xmp_infe(id: u32) -> Vec<u8> {
    let mut payload = Vec::new();
    match u16::try_from(id) {
        Ok(id) => {
            payload.extend_from_slice(&[2, 0, 0, 0]);
            payload.extend_from_slice(&id.to_be_bytes());
        }
        Err(_) => {
            payload.extend_from_slice(&[3, 0, 0, 0]);
            payload.extend_from_slice(&id.to_be_bytes());
        }
    }
    payload.extend_from_slice(&[0, 0]);
    payload.extend_from_slice(b"mime\0");
    payload.extend_from_slice(XMP_MIME);
    payload.push(0);
    let mut b = boxes::header(b"infe", payload.len() as u64);
    b.extend(payload);
    b
}

/// One reference of `iref`: `ty` from one item to others.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reference {
    ty: [u8; 4],
    from: u32,
    to: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Iref {
    version: u8,
    flags: [u8; 3],
    refs: Vec<Reference>,
}

impl Iref {
    fn parse(b: &[u8]) -> Option<Iref> {
        let mut r = Bytes { b, at: 0 };
        let version = r.uint(1)? as u8;
        if version > 1 {
            return None;
        }
        let flags: [u8; 3] = r.take(3)?.try_into().ok()?;
        let id_size = if version == 0 { 2 } else { 4 };
        let mut refs = Vec::new();
        for (ty, range, header_len) in children(&b[r.at..])? {
            let mut e = Bytes {
                b: &b[r.at + range.start + header_len..r.at + range.end],
                at: 0,
            };
            let from = e.uint(id_size)? as u32;
            let count = e.uint(2)?;
            let to = (0..count)
                .map(|_| e.uint(id_size).map(|v| v as u32))
                .collect::<Option<Vec<_>>>()?;
            if e.at != e.b.len() {
                return None;
            }
            refs.push(Reference { ty, from, to });
        }
        Some(Iref {
            version,
            flags,
            refs,
        })
    }

    fn payload(&self) -> Option<Vec<u8>> {
        let mut out = vec![self.version];
        out.extend_from_slice(&self.flags);
        let id_size = if self.version == 0 { 2 } else { 4 };
        for r in &self.refs {
            let mut body = Vec::new();
            put(&mut body, r.from.into(), id_size)?;
            put(&mut body, r.to.len() as u64, 2)?;
            for to in &r.to {
                put(&mut body, (*to).into(), id_size)?;
            }
            out.extend(boxes::header(&r.ty, body.len() as u64));
            out.extend(body);
        }
        Some(out)
    }
}

/// A HEIF file's structure as far as its XMP item goes.
#[derive(Debug, Clone)]
struct Heif {
    /// Top-level boxes, in file order.
    boxes: Vec<BoxHeader>,
    /// Whether the last box's size field is 0 (to the end of the file).
    last_runs_to_end: bool,
    /// Index of `meta` in `boxes`.
    meta_at: usize,
    /// `meta`'s payload (version and flags first).
    meta: Vec<u8>,
    /// `meta`'s children: (type, whole box range in `meta`, header length).
    children: Vec<Child>,
    iloc: Iloc,
    iinf: Iinf,
    iref: Option<Iref>,
    primary: Option<u32>,
}

impl Heif {
    /// Reads the top-level boxes and `meta`'s item tables. `None` when they
    /// cannot be followed (no `meta`, two of a table, a version ccsig does
    /// not know); a box cut off by the file's end, or smaller than its
    /// header, is an error of `format`, as in any other format.
    fn read<R: Read + Seek>(
        r: &mut BlockReader<R>,
        format: Format,
    ) -> Result<Option<Heif>, ContainerError> {
        let len = r.len();
        let mut all = Vec::new();
        let mut at = 0;
        let mut last_runs_to_end = false;
        while at < len {
            let b = match boxes::read_box(r, at)? {
                BoxRead::Box(b) => b,
                BoxRead::Truncated(why) => return Err(ContainerError::Truncated(why)),
                BoxRead::Malformed(why) => return Err(format.malformed(why)),
            };
            last_runs_to_end = b.runs_to_end;
            at = b.range.end;
            all.push(b);
        }
        let mut metas = all.iter().enumerate().filter(|(_, b)| &b.ty == b"meta");
        let Some((meta_at, meta_box)) = metas.next() else {
            return Ok(None);
        };
        if metas.next().is_some() || meta_box.payload_len() > MAX_META || meta_box.payload_len() < 4
        {
            return Ok(None);
        }
        let meta = r.read_vec(meta_box.payload_start(), meta_box.payload_len() as usize)?;
        let Some(children) = children(&meta[4..]).map(|c| {
            c.into_iter()
                .map(|(ty, range, h)| (ty, range.start + 4..range.end + 4, h))
                .collect::<Vec<_>>()
        }) else {
            return Ok(None);
        };
        let payload_of = |ty: &[u8; 4]| -> Option<Option<&[u8]>> {
            let mut found = children.iter().filter(|(t, _, _)| t == ty);
            let first = found
                .next()
                .map(|(_, range, h)| &meta[range.start + h..range.end]);
            // Two of one table: not a file whose items ccsig can follow.
            match found.next() {
                Some(_) => None,
                None => Some(first),
            }
        };
        let (Some(iloc), Some(iinf), Some(iref), Some(pitm)) = (
            payload_of(b"iloc"),
            payload_of(b"iinf"),
            payload_of(b"iref"),
            payload_of(b"pitm"),
        ) else {
            return Ok(None);
        };
        let iloc = match iloc {
            Some(b) => Iloc::parse(b),
            None => Some(Iloc {
                version: 0,
                flags: [0; 3],
                offset_size: 4,
                length_size: 4,
                base_size: 0,
                index_size: 0,
                items: Vec::new(),
            }),
        };
        let iinf = match iinf {
            Some(b) => Iinf::parse(b),
            None => Some(Iinf {
                version: 0,
                flags: [0; 3],
                entries: Vec::new(),
            }),
        };
        let iref = match iref {
            Some(b) => Iref::parse(b).map(Some),
            None => Some(None),
        };
        let primary = pitm.and_then(|p| {
            let mut r = Bytes { b: p, at: 0 };
            let v = r.uint(1)?;
            r.take(3)?;
            r.uint(if v == 0 { 2 } else { 4 }).map(|id| id as u32)
        });
        let (Some(iloc), Some(iinf), Some(iref)) = (iloc, iinf, iref) else {
            return Ok(None);
        };
        Ok(Some(Heif {
            boxes: all,
            last_runs_to_end,
            meta_at,
            meta,
            children,
            iloc,
            iinf,
            iref,
            primary,
        }))
    }

    fn meta_box(&self) -> &BoxHeader {
        &self.boxes[self.meta_at]
    }

    /// The top-level boxes but a last `mdat` that holds nothing but the
    /// packet at `packet` (the one ccsig appends).
    fn boxes_but_packet_mdat(&self, packet: Option<&Range<u64>>) -> &[BoxHeader] {
        match (self.boxes.split_last(), packet) {
            (Some((last, rest)), Some(p))
                if &last.ty == b"mdat"
                    && last.payload_start() == p.start
                    && last.range.end == p.end =>
            {
                rest
            }
            _ => &self.boxes,
        }
    }

    /// Where `idat`'s payload starts in the file.
    fn idat_origin(&self) -> Option<u64> {
        let (_, range, h) = self.children.iter().find(|(t, _, _)| t == b"idat")?;
        Some(self.meta_box().payload_start() + (range.start + h) as u64)
    }

    /// The XMP item's id and its byte ranges in the file. `Ok(None)`: no
    /// XMP item. `Err`: one ccsig cannot read (compressed, in another
    /// item, located outside the file).
    fn xmp_ranges(&self, len: u64) -> Result<Option<XmpItem>, &'static str> {
        let Some(info) = self.iinf.xmp() else {
            return Ok(None);
        };
        if info.encoded {
            return Err("its XMP item is compressed");
        }
        let item = self
            .iloc
            .item(info.id)
            .ok_or("its XMP item has no location")?;
        Ok(Some((info.id, self.ranges_of(item, len)?)))
    }

    /// An item's extents as file ranges.
    fn ranges_of(&self, item: &Location, len: u64) -> Result<Vec<Range<u64>>, &'static str> {
        let origin = match (item.method, item.data_reference) {
            (0, 0) => 0,
            (1, 0) => self
                .idat_origin()
                .ok_or("an item is in an idat that is not there")?,
            _ => return Err("an item is located in another item or another file"),
        };
        item.extents
            .iter()
            .map(|e| {
                let start = origin
                    .checked_add(item.base)
                    .and_then(|s| s.checked_add(e.offset))
                    .ok_or("an item's offset overflows")?;
                let end = match e.length {
                    0 => len,
                    l => start.checked_add(l).ok_or("an item's length overflows")?,
                };
                if end > len || start > end {
                    return Err(OUTSIDE);
                }
                Ok(start..end)
            })
            .collect()
    }
}

/// Lists the boxes of a HEIF or AVIF file (named by its `ftyp` brand). See
/// the module docs and [`super::scan`].
pub fn scan<R: Read + Seek>(r: &mut R) -> Result<Layout, ContainerError> {
    let mut reader = BlockReader::new(r)?;
    let mut head = [0u8; 16];
    let got = reader.read_up_to_at(0, &mut head)?;
    let format = match Format::detect(&head[..got]) {
        Some(format @ (Format::Heif | Format::Avif)) => format,
        _ => Format::Heif,
    };
    let mut reader = reader.for_format(format);
    scan_blocks(&mut reader, format)
}

/// The layout of a HEIF or AVIF file: its top-level boxes, with the XMP
/// item's bytes cut out of the box holding them. `Err(OtherFormat)` when
/// its boxes cannot be followed: it is read through its sidecars only.
pub(crate) fn scan_blocks<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    format: Format,
) -> Result<Layout, ContainerError> {
    let unread = || ContainerError::OtherFormat(format.name());
    let len = reader.len();
    let heif = match Heif::read(reader, format)? {
        Some(h) => h,
        None => return Err(unread()),
    };
    let xmp = heif.xmp_ranges(len).map_err(|why| match why {
        // Its packet cut off by the file's end: a truncated file, as in
        // any other format.
        OUTSIDE => ContainerError::Truncated(format!(
            "the {} file ends inside its XMP item",
            format.name()
        )),
        _ => unread(),
    })?;
    let mut packet = None;
    if let Some((_, ranges)) = &xmp {
        let total: u64 = ranges.iter().map(|r| r.end - r.start).sum();
        if total > MAX_XMP || ranges.is_empty() {
            return Err(unread());
        }
        let mut bytes = Vec::with_capacity(total as usize);
        for r in ranges {
            bytes.extend(reader.read_vec(r.start, (r.end - r.start) as usize)?);
        }
        while bytes.last() == Some(&0) {
            bytes.pop();
        }
        packet = Some(bytes);
    }
    let first_extent = xmp.as_ref().map(|(_, r)| r[0].clone());
    let mut blocks = LayoutBuilder::default();
    for b in &heif.boxes {
        let kind = match &b.ty {
            b"ftyp" | b"meta" => BlockKind::Header,
            b"mdat" => BlockKind::ImageData,
            b"uuid" if is_c2pa(reader, b)? => BlockKind::C2pa,
            _ => BlockKind::Other,
        };
        match &first_extent {
            Some(x) if b.range.start <= x.start && x.end <= b.range.end => {
                if x.start > b.range.start {
                    blocks.push(kind, b.range.start..x.start, None);
                }
                blocks.push(BlockKind::Xmp, x.clone(), packet.take());
                if b.range.end > x.end {
                    blocks.push(kind, x.end..b.range.end, None);
                }
            }
            _ => blocks.push(kind, b.range.clone(), None),
        }
    }
    if packet.is_some() {
        // The packet straddles two boxes: not a file ccsig can follow.
        return Err(unread());
    }
    Ok(blocks.finish(format, len, None))
}

fn is_c2pa<R: Read + Seek>(r: &mut BlockReader<R>, b: &BoxHeader) -> Result<bool, ContainerError> {
    if b.payload_len() < 16 {
        return Ok(false);
    }
    let mut uuid = [0u8; 16];
    r.read_at(b.payload_start(), &mut uuid)?;
    Ok(uuid == C2PA_UUID)
}

/// Writes `src` to `dst` with its XMP item replaced, added or removed (see
/// the module docs); every other item and box keeps its bytes.
pub(crate) fn rewrite<R: Read + Seek, W: Write>(
    src: &mut R,
    layout: &Layout,
    edit: &XmpEdit,
    dst: &mut W,
) -> Result<(), ContainerError> {
    let format = layout.format;
    let mut r = BlockReader::new(src)?.for_format(format);
    let len = r.len();
    check_layout(layout, format, len)?;
    let refuse = |why: &str| {
        ContainerError::Unsupported(format!(
            "ccsig does not write this {} file: {why}",
            format.name()
        ))
    };
    let heif = Heif::read(&mut r, format)?
        .ok_or_else(|| format.malformed("its boxes cannot be followed"))?;
    if heif
        .boxes
        .iter()
        .any(|b| matches!(&b.ty, b"moov" | b"moof"))
    {
        return Err(refuse(
            "it is an image sequence, whose tracks hold offsets ccsig does not update",
        ));
    }
    let xmp = heif.xmp_ranges(len).map_err(refuse)?;
    if xmp.as_ref().is_some_and(|(_, ranges)| ranges.len() != 1) {
        return Err(refuse("its XMP item is stored in several extents"));
    }
    let xmp_block = layout.blocks.iter().position(|b| b.kind == BlockKind::Xmp);
    // The same length: the old packet's place, nothing else changes.
    if let (XmpEdit::Replace(packet), Some(i), Some((_, ranges))) = (edit, xmp_block, &xmp) {
        if ranges[0] == layout.blocks[i].range
            && ranges[0].end - ranges[0].start == packet.len() as u64
        {
            return splice(
                r.inner(),
                layout,
                &[(i, BlockEdit::Replace(packet.clone()))],
                dst,
            );
        }
    }
    if heif.last_runs_to_end && matches!(edit, XmpEdit::Replace(_)) {
        return Err(refuse(
            "its last box runs to the end of the file, so nothing can follow it",
        ));
    }
    let old_xmp = xmp.as_ref().map(|(id, ranges)| (*id, ranges[0].clone()));
    // The old bytes are blanked, and must belong to the XMP item alone.
    if let Some((id, old)) = &old_xmp {
        for item in heif.iloc.items.iter().filter(|i| i.id != *id) {
            let ranges = heif.ranges_of(item, len);
            if ranges.is_ok_and(|rs| rs.iter().any(|r| r.start < old.end && old.start < r.end)) {
                return Err(refuse("its XMP item's bytes are shared with another item"));
            }
        }
    }
    let packet = match edit {
        XmpEdit::Replace(p) => Some(p.as_slice()),
        XmpEdit::Remove => None,
    };
    if packet.is_none() && old_xmp.is_none() {
        return splice(r.inner(), layout, &[], dst);
    }
    // A last mdat holding the packet alone (ccsig's own) goes with it,
    // rather than staying as blanks.
    let kept = heif.boxes_but_packet_mdat(old_xmp.as_ref().map(|(_, r)| r));
    let end = kept.last().map_or(0, |b| b.range.end);
    let new_meta = new_meta(&heif, old_xmp.as_ref(), packet, len, end).map_err(refuse)?;
    let mut edits = Vec::new();
    let meta_range = heif.meta_box().range.clone();
    let mut meta_written = false;
    for (i, b) in layout.blocks.iter().enumerate() {
        let in_meta = meta_range.start <= b.range.start && b.range.end <= meta_range.end;
        if b.range.start >= end {
            edits.push((i, BlockEdit::Drop));
        } else if in_meta && !meta_written {
            edits.push((i, BlockEdit::Replace(new_meta.meta.clone())));
            meta_written = true;
        } else if in_meta {
            edits.push((i, BlockEdit::Drop));
        } else if b.kind == BlockKind::Xmp {
            // Blanked: no stale packet for tools that scan for one.
            edits.push((
                i,
                BlockEdit::Replace(vec![b' '; (b.range.end - b.range.start) as usize]),
            ));
        }
    }
    if let Some(mdat) = new_meta.appended_mdat {
        edits.push((layout.blocks.len(), BlockEdit::InsertBefore(mdat)));
    }
    splice(r.inner(), layout, &edits, dst)
}

/// A new `meta` box and the `mdat` to append after the file.
struct NewMeta {
    meta: Vec<u8>,
    appended_mdat: Option<Vec<u8>>,
}

/// `meta` with the XMP item pointed at `packet` in an `mdat` appended to
/// the file (a new item added and referenced when there was none), or
/// removed; every file offset after `meta` moved by its change in length.
/// `end` is where the boxes kept end (the old file's length, less a last
/// `mdat` that held only the old packet): the new `mdat` goes there.
fn new_meta(
    heif: &Heif,
    old_xmp: Option<&(u32, Range<u64>)>,
    packet: Option<&[u8]>,
    len: u64,
    end: u64,
) -> Result<NewMeta, &'static str> {
    let old_meta = heif.meta_box();
    let mut iloc = heif.iloc.clone();
    let mut iinf = heif.iinf.clone();
    let mut iref = heif.iref.clone();
    let old_id = old_xmp.map(|(id, _)| *id);
    // Data inside meta (method 0) or straddling its end cannot be moved.
    for item in iloc.items.iter().filter(|i| Some(i.id) != old_id) {
        if item.method == 0 {
            for r in heif.ranges_of(item, len)? {
                if r.start < old_meta.range.end && old_meta.range.start < r.end {
                    return Err("an item's data lies inside or across its meta box");
                }
            }
        }
    }
    let xmp_id = match (old_id, packet) {
        (Some(id), _) => id,
        (None, None) => return Err("there is no XMP item to remove"),
        (None, Some(_)) => {
            let max = iinf
                .entries
                .iter()
                .map(|e| e.id)
                .chain(iloc.items.iter().map(|i| i.id))
                .max()
                .unwrap_or(0);
            let id = max.checked_add(1).ok_or("its item ids are exhausted")?;
            let primary = heif
                .primary
                .ok_or("it names no primary item to link the XMP to")?;
            iinf.entries.push(ItemInfo {
                id,
                is_xmp: true,
                encoded: false,
                bytes: xmp_infe(id),
            });
            let iref = iref.get_or_insert(Iref {
                version: u8::from(id > 0xFFFF || primary > 0xFFFF),
                flags: [0; 3],
                refs: Vec::new(),
            });
            iref.refs.push(Reference {
                ty: *b"cdsc",
                from: id,
                to: vec![primary],
            });
            id
        }
    };
    match packet {
        Some(p) => {
            let location = Location {
                id: xmp_id,
                method: 0,
                data_reference: 0,
                base: 0,
                extents: vec![Extent {
                    index: 0,
                    offset: 0, // set below, once meta's length is known
                    length: p.len() as u64,
                }],
            };
            match iloc.items.iter_mut().find(|i| i.id == xmp_id) {
                Some(item) => *item = location,
                None => iloc.items.push(location),
            }
        }
        None => {
            iloc.items.retain(|i| i.id != xmp_id);
            iinf.entries.retain(|e| e.id != xmp_id);
            if let Some(iref) = &mut iref {
                iref.refs.retain(|r| r.from != xmp_id);
                for r in &mut iref.refs {
                    r.to.retain(|to| *to != xmp_id);
                }
                iref.refs.retain(|r| !r.to.is_empty());
            }
        }
    }
    if iloc.version < 2 && xmp_id > 0xFFFF {
        return Err("its iloc holds 16-bit item ids");
    }
    // An XMP item that was in idat leaves its bytes there, blanked.
    let idat_blank = match (old_xmp, heif.idat_origin()) {
        (Some((_, r)), Some(origin)) if r.start >= origin && r.end <= old_meta.range.end => {
            let at = old_meta.payload_start();
            Some(((r.start - at) as usize, (r.end - at) as usize))
        }
        _ => None,
    };
    let build = |iloc: &Iloc| -> Result<Vec<u8>, &'static str> {
        let mut payload = heif.meta[..4].to_vec();
        let mut tables = [
            (
                *b"iloc",
                iloc.payload()
                    .ok_or("an iloc offset does not fit its field")?,
            ),
            (
                *b"iinf",
                iinf.payload().ok_or("its iinf cannot hold another item")?,
            ),
        ]
        .to_vec();
        // An iref left with no reference (the XMP's was its only one) goes.
        let iref = iref.as_ref().filter(|i| !i.refs.is_empty());
        if let Some(iref) = iref {
            tables.push((
                *b"iref",
                iref.payload().ok_or("an iref id does not fit its field")?,
            ));
        }
        let mut written = Vec::new();
        for (ty, range, _) in &heif.children {
            if ty == b"iref" && iref.is_none() {
                continue;
            }
            match tables.iter().find(|(t, _)| t == ty) {
                Some((t, body)) => {
                    payload.extend(boxes::header(t, body.len() as u64));
                    payload.extend_from_slice(body);
                    written.push(*t);
                }
                None => {
                    let start = payload.len();
                    payload.extend_from_slice(&heif.meta[range.clone()]);
                    if let Some((a, b)) = idat_blank.filter(|_| ty == b"idat") {
                        let shift = |x: usize| x - range.start + start;
                        payload[shift(a)..shift(b)].fill(b' ');
                    }
                }
            }
        }
        for (t, body) in tables.iter().filter(|(t, _)| !written.contains(t)) {
            payload.extend(boxes::header(t, body.len() as u64));
            payload.extend_from_slice(body);
        }
        let mut meta = boxes::header(b"meta", payload.len() as u64);
        meta.extend(payload);
        Ok(meta)
    };
    // meta's length does not depend on the offsets in it (their field
    // sizes are fixed): build once for the length, shift, build again.
    let delta = build(&iloc)?.len() as i64 - (old_meta.range.end - old_meta.range.start) as i64;
    let moved = |at: u64| -> Result<u64, &'static str> {
        at.checked_add_signed(delta)
            .ok_or("an offset would fall before the file's start")
    };
    for item in iloc
        .items
        .iter_mut()
        .filter(|i| i.id != xmp_id && i.method == 0)
    {
        // A base past meta is where the item's data starts: it moves once.
        if item.base >= old_meta.range.end {
            item.base = moved(item.base)?;
            continue;
        }
        let base = item.base;
        for e in &mut item.extents {
            if base.saturating_add(e.offset) >= old_meta.range.end {
                e.offset = moved(e.offset)?;
            }
        }
    }
    let mut appended_mdat = None;
    if let Some(p) = packet {
        let header = boxes::header(b"mdat", p.len() as u64);
        let at = moved(end)? + header.len() as u64;
        let item = iloc
            .items
            .iter_mut()
            .find(|i| i.id == xmp_id)
            .expect("added above");
        item.extents[0].offset = at;
        let mut mdat = header;
        mdat.extend_from_slice(p);
        appended_mdat = Some(mdat);
    }
    let meta = build(&iloc)?;
    if meta.len() as i64 - (old_meta.range.end - old_meta.range.start) as i64 != delta {
        return Err("its meta box changed length twice");
    }
    Ok(NewMeta {
        meta,
        appended_mdat,
    })
}

/// Checks that `new` (a rewrite of `old`) kept every item but the XMP and
/// every box: the same top-level boxes in the same order, byte for byte
/// but for `meta`, the old packet's bytes (blanked or overwritten) and the
/// `mdat` a longer packet was appended in; every child of `meta` but the
/// item tables byte for byte; every other item's entry, references and
/// location, at its moved offset.
pub(crate) fn verify_preserved<A: Read + Seek, B: Read + Seek>(
    old: &mut A,
    old_layout: &Layout,
    new: &mut B,
    new_layout: &Layout,
) -> Result<(), ContainerError> {
    let format = new_layout.format;
    let fail = |detail: String| format.malformed(detail);
    let (mut ra, mut rb) = (
        BlockReader::new(old)?.for_format(format),
        BlockReader::new(new)?.for_format(format),
    );
    let (old_len, new_len) = (ra.len(), rb.len());
    let a = Heif::read(&mut ra, format)?
        .ok_or_else(|| fail("the original cannot be followed".into()))?;
    let b = Heif::read(&mut rb, format)?
        .ok_or_else(|| fail("the rewrite cannot be followed".into()))?;
    let old_xmp = a.xmp_ranges(old_len).map_err(|e| fail(e.into()))?;
    let new_xmp = b.xmp_ranges(new_len).map_err(|e| fail(e.into()))?;
    let old_id = old_xmp.as_ref().map(|(id, _)| *id);
    let new_id = new_xmp.as_ref().map(|(id, _)| *id);
    if old_id.is_some() && new_id.is_some() && old_id != new_id {
        return Err(fail("the XMP item changed its id".into()));
    }
    let old_packet = old_layout
        .blocks_of(BlockKind::Xmp)
        .next()
        .map(|b| b.range.clone());
    let delta = (b.meta_box().range.end - b.meta_box().range.start) as i64
        - (a.meta_box().range.end - a.meta_box().range.start) as i64;
    let moved = |at: u64| at.checked_add_signed(delta).unwrap_or(u64::MAX);

    // Top-level boxes: the same, in order, but for a last mdat holding
    // nothing but the packet, in either file.
    let (boxes_a, boxes_b) = (
        a.boxes_but_packet_mdat(old_packet.as_ref()),
        b.boxes_but_packet_mdat(new_xmp.as_ref().and_then(|(_, r)| r.first())),
    );
    if boxes_a.len() != boxes_b.len() {
        return Err(fail("the rewrite has other top-level boxes".into()));
    }
    for (x, y) in boxes_a.iter().zip(boxes_b) {
        if x.ty != y.ty {
            return Err(fail(format!(
                "a {} box became {}",
                name(&x.ty),
                name(&y.ty)
            )));
        }
        if &x.ty == b"meta" {
            continue;
        }
        let expected = if x.range.start >= a.meta_box().range.end {
            moved(x.range.start)
        } else {
            x.range.start
        };
        if y.range.start != expected || y.range.end - y.range.start != x.range.end - x.range.start {
            return Err(fail(format!(
                "the {} box at offset {} moved or changed length",
                name(&x.ty),
                x.range.start
            )));
        }
        // Compared around the old packet, whose bytes may change.
        let pieces = match &old_packet {
            Some(p) if x.range.start <= p.start && p.end <= x.range.end => {
                vec![x.range.start..p.start, p.end..x.range.end]
            }
            _ => vec![x.range.clone()],
        };
        for piece in pieces.into_iter().filter(|p| !p.is_empty()) {
            let there = y.range.start + (piece.start - x.range.start);
            let there = there..there + (piece.end - piece.start);
            if !blocks_match(ra.inner(), piece.clone(), rb.inner(), there)? {
                return Err(fail(format!(
                    "bytes of the {} box at offset {} differ",
                    name(&x.ty),
                    piece.start
                )));
            }
        }
    }

    // meta: every child but the item tables, byte for byte (idat around
    // the old packet); iref may be new, at the end.
    let tables = [*b"iloc", *b"iinf", *b"iref"];
    let kept = |h: &Heif| -> Vec<[u8; 4]> {
        h.children
            .iter()
            .map(|(t, _, _)| *t)
            .filter(|t| t != b"iref")
            .collect()
    };
    if kept(&a) != kept(&b) {
        return Err(fail("meta's boxes changed".into()));
    }
    let idat_packet = old_packet.clone().filter(|p| {
        let m = &a.meta_box().range;
        m.start <= p.start && p.end <= m.end
    });
    let not_iref = |c: &&Child| &c.0 != b"iref";
    let pairs = a
        .children
        .iter()
        .filter(not_iref)
        .zip(b.children.iter().filter(not_iref));
    for ((ty, ra_, _), (_, rb_, _)) in pairs {
        if tables.contains(ty) {
            continue;
        }
        let (x, y) = (&a.meta[ra_.clone()], &b.meta[rb_.clone()]);
        let same = match (&idat_packet, ty) {
            (Some(p), b"idat") if x.len() == y.len() => {
                let at = (p.start - a.meta_box().payload_start()) as usize - ra_.start;
                let end = at + (p.end - p.start) as usize;
                x[..at] == y[..at] && x[end..] == y[end..]
            }
            _ => x == y,
        };
        if !same {
            return Err(fail(format!("meta's {} box changed", name(ty))));
        }
    }
    // The item tables: every item but the XMP as it was.
    let others = |h: &Heif, xmp: Option<u32>| -> Vec<Vec<u8>> {
        h.iinf
            .entries
            .iter()
            .filter(|e| Some(e.id) != xmp)
            .map(|e| e.bytes.clone())
            .collect()
    };
    if others(&a, old_id) != others(&b, new_id) {
        return Err(fail("another item's infe changed".into()));
    }
    let refs = |h: &Heif, xmp: Option<u32>| -> Vec<Reference> {
        let mut refs: Vec<Reference> = h.iref.iter().flat_map(|i| i.refs.clone()).collect();
        refs.retain(|r| Some(r.from) != xmp);
        for r in &mut refs {
            r.to.retain(|to| Some(*to) != xmp);
        }
        refs.retain(|r| !r.to.is_empty());
        refs
    };
    if refs(&a, old_id) != refs(&b, new_id) {
        return Err(fail("another item's references changed".into()));
    }
    let (ia, ib) = (&a.iloc, &b.iloc);
    if (
        ia.version,
        ia.offset_size,
        ia.length_size,
        ia.base_size,
        ia.index_size,
    ) != (
        ib.version,
        ib.offset_size,
        ib.length_size,
        ib.base_size,
        ib.index_size,
    ) {
        return Err(fail("iloc's field sizes changed".into()));
    }
    let old_items: Vec<&Location> = ia.items.iter().filter(|i| Some(i.id) != old_id).collect();
    let new_items: Vec<&Location> = ib.items.iter().filter(|i| Some(i.id) != new_id).collect();
    if old_items.len() != new_items.len() {
        return Err(fail("items were added or lost".into()));
    }
    for (x, y) in old_items.into_iter().zip(new_items) {
        let same_kind = (x.id, x.method, x.data_reference, x.extents.len())
            == (y.id, y.method, y.data_reference, y.extents.len());
        let (rx, ry) = (
            a.ranges_of(x, old_len).map_err(|e| fail(e.into()))?,
            b.ranges_of(y, new_len).map_err(|e| fail(e.into()))?,
        );
        let expected: Vec<Range<u64>> = rx
            .iter()
            .map(
                |r| match x.method == 0 && r.start >= a.meta_box().range.end {
                    true => moved(r.start)..moved(r.end),
                    false => r.clone(),
                },
            )
            .collect();
        // Offsets into idat are relative to it: its bytes are compared.
        let in_idat = x.method == 1;
        if !same_kind || (!in_idat && expected != ry) {
            return Err(fail(format!("item {} moved", x.id)));
        }
        for (p, q) in rx.iter().zip(&ry) {
            if !blocks_match(ra.inner(), p.clone(), rb.inner(), q.clone())? {
                return Err(fail(format!("item {}'s data changed", x.id)));
            }
        }
    }
    Ok(())
}

/// The JUMBF manifest store in C2PA's `uuid` box (its whole bytes):
/// after the UUID, version and flags, the purpose `manifest` and a
/// 64-bit offset to a Merkle map, the store itself.
pub(crate) fn manifest_store(uuid_box: &[u8]) -> Vec<u8> {
    let store = || -> Option<Vec<u8>> {
        let mut r = Bytes { b: uuid_box, at: 0 };
        let size = r.uint(4)?;
        r.take(if size == 1 { 12 } else { 4 })?;
        r.take(16 + 4)?;
        if r.cstr()? != b"manifest" {
            return None;
        }
        r.take(8)?;
        Some(uuid_box[r.at..].to_vec())
    };
    store().unwrap_or_default()
}

fn name(ty: &[u8; 4]) -> String {
    String::from_utf8_lossy(ty).into_owned()
}

/// HEIF's and AVIF's [`Container`](super::Container).
pub(crate) struct Bmff;

impl super::Container for Bmff {
    fn scan_blocks<R: Read + Seek>(
        reader: &mut BlockReader<R>,
        format: Format,
    ) -> Result<Layout, ContainerError> {
        scan_blocks(reader, format)
    }

    fn rewrite_xmp<R: Read + Seek, W: Write>(
        src: &mut R,
        layout: &Layout,
        edit: &XmpEdit,
        dst: &mut W,
    ) -> Result<(), ContainerError> {
        rewrite(src, layout, edit, dst)
    }

    /// The XMP item's one extent, when it is exactly the packet read.
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

    /// Nothing before `meta` moves, everything after it by as much as it
    /// grew: item by item.
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

    /// The store in C2PA's `uuid` box.
    fn manifest_store(blocks: &[Vec<u8>]) -> Vec<u8> {
        manifest_store(&blocks.concat())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn scan(bytes: &[u8]) -> Result<Layout, ContainerError> {
        let mut c = Cursor::new(bytes.to_vec());
        let mut r = BlockReader::new(&mut c).unwrap();
        scan_blocks(&mut r, Format::Heif)
    }

    #[test]
    fn hostile_boxes_are_not_followed() {
        // iloc claiming extents past the end, a box size past the end.
        for bytes in [
            &b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\x01\0meta"[..],
            b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\x0cmeta\0\0\0\0",
        ] {
            match scan(bytes) {
                Ok(layout) => assert!(layout.xmp().is_none()),
                Err(ContainerError::OtherFormat("HEIF") | ContainerError::Truncated(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
        let whole = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
        for cut in 0..whole.len() {
            let _ = scan(&whole[..cut]);
        }
    }

    #[test]
    fn tables_round_trip() {
        let iloc = Iloc {
            version: 1,
            flags: [0; 3],
            offset_size: 4,
            length_size: 4,
            base_size: 4,
            index_size: 0,
            items: vec![Location {
                id: 7,
                method: 1,
                data_reference: 0,
                base: 9,
                extents: vec![Extent {
                    index: 0,
                    offset: 3,
                    length: 5,
                }],
            }],
        };
        assert_eq!(Iloc::parse(&iloc.payload().unwrap()), Some(iloc.clone()));
        let mut too_far = iloc;
        too_far.items[0].extents[0].offset = 1 << 32;
        assert_eq!(too_far.payload(), None);
        let iref = Iref {
            version: 0,
            flags: [0; 3],
            refs: vec![Reference {
                ty: *b"cdsc",
                from: 2,
                to: vec![1, 3],
            }],
        };
        assert_eq!(Iref::parse(&iref.payload().unwrap()), Some(iref));
        let infe = xmp_infe(5);
        let mut iinf = vec![0, 0, 0, 0, 0, 1];
        iinf.extend(&infe);
        let parsed = Iinf::parse(&iinf).unwrap();
        assert_eq!(parsed.xmp().map(|e| e.id), Some(5));
    }
}
