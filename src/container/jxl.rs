//! JPEG XL (ISO/IEC 18181-2): a bare codestream (`FF 0A`), or a container of
//! ISO BMFF boxes: the signature box `JXL `, `ftyp`, then metadata boxes
//! (`xml ` for XMP, `Exif`, `jumb` for C2PA, any of them Brotli-compressed
//! in a `brob` box) around the codestream (`jxlc`, or `jxlp` parts) and,
//! for a JPEG transcoded losslessly, its reconstruction data (`jbrd`).
//!
//! Boxes hold no offsets to one another, so a rewrite replaces, inserts or
//! drops the `xml ` box and copies every other box byte for byte. A bare
//! codestream gaining a packet is wrapped in the container (as a simple
//! WebP becomes an extended one): signature, `ftyp`, `xml `, and the
//! codestream, untouched, in a `jxlc` box. A compressed (`brob`) packet is
//! read, and replaced by a plain `xml ` box.
//!
//! A file with `jbrd` rebuilds the original JPEG with its XMP APP1 taken
//! from the `xml ` box, at the length `jbrd` recorded: another length makes
//! the reconstruction fail (libjxl then falls back to re-encoding pixels).
//! There a packet is replaced only by one of exactly the old length
//! ([`Layout::fixed_xmp_len`]), and never removed; a file without one may
//! gain one (the rebuilt JPEG is then the original, without it).

use std::io::{Read, Seek, Write};

use super::boxes::{self, BoxRead};
use super::walk::{check_layout, splice, BlockEdit, BlockReader, LayoutBuilder};
use super::{Block, BlockKind, ContainerError, Format, Layout, PacketBytes, XmpEdit, XmpPackets};

const FORMAT: Format = Format::Jxl;
const BARE_SIGNATURE: [u8; 2] = [0xFF, 0x0A];
/// The signature box, whole.
const SIGNATURE_BOX: &[u8; 12] = b"\0\0\0\x0cJXL \r\n\x87\n";
/// `ftyp`: brand `jxl `, minor version 0, compatible with `jxl `.
const FTYP_BOX: &[u8; 20] = b"\0\0\0\x14ftypjxl \0\0\0\0jxl ";
/// A metadata box larger than this (compressed or not) is not loaded.
const MAX_METADATA: u64 = 16 * 1024 * 1024;

/// Lists the boxes of a JPEG XL file. See the module docs and
/// [`super::scan`].
pub fn scan<R: Read + Seek>(r: &mut R) -> Result<Layout, ContainerError> {
    super::scan_as(r, FORMAT)
}

/// [`scan`] through the shared block reader, over a file that is not empty.
pub(crate) fn scan_blocks<R: Read + Seek>(
    r: &mut BlockReader<R>,
) -> Result<Layout, ContainerError> {
    let len = r.len();
    let mut head = [0u8; 12];
    let got = r.read_up_to_at(0, &mut head)?;
    if head[..got.min(2)] == BARE_SIGNATURE[..got.min(2)] && got >= 2 {
        let mut blocks = LayoutBuilder::default();
        blocks.push(BlockKind::ImageData, 0..len, None);
        let dimensions = codestream_dimensions(r, 0)?;
        return Ok(blocks.finish(FORMAT, len, dimensions));
    }
    if head[..got] != SIGNATURE_BOX[..got] {
        return Err(FORMAT.malformed("neither a JPEG XL codestream nor a JPEG XL container"));
    }
    if got < SIGNATURE_BOX.len() {
        return Err(ContainerError::Truncated(
            "JPEG XL ends inside its signature box".into(),
        ));
    }
    let mut blocks = LayoutBuilder::default();
    blocks.push(BlockKind::Header, 0..12, None);
    let mut xmp_packets = XmpPackets::default();
    let mut dimensions = None;
    let mut codestream_seen = false;
    let mut jbrd_seen = false;
    let mut at = 12;
    while at < len {
        let b = match boxes::read_box(r, at)? {
            BoxRead::Box(b) => b,
            BoxRead::Truncated(why) => return Err(ContainerError::Truncated(why)),
            BoxRead::Malformed(why) => return Err(FORMAT.malformed(why)),
        };
        let payload_at = b.payload_start();
        match &b.ty {
            b"ftyp" if at == 12 => blocks.push(BlockKind::Header, b.range.clone(), None),
            b"ftyp" | b"JXL " => {
                return Err(FORMAT.malformed(format!(
                    "a second {} box at offset {at}",
                    String::from_utf8_lossy(&b.ty)
                )))
            }
            _ if at == 12 => {
                return Err(FORMAT.malformed("the ftyp box does not follow the signature"))
            }
            b"jxlc" | b"jxlp" => {
                // The box header may change with a rewrite (a wrapped bare
                // codestream gains one); the codestream itself may not.
                blocks.push(BlockKind::Header, at..payload_at, None);
                blocks.push(BlockKind::ImageData, payload_at..b.range.end, None);
                let skip = if &b.ty == b"jxlp" { 4 } else { 0 };
                if !codestream_seen && b.payload_len() > skip {
                    dimensions = codestream_dimensions(r, payload_at + skip)?;
                }
                codestream_seen = true;
            }
            b"xml " => {
                let (kind, load) = xmp_packets.next();
                let payload = match load {
                    true => Some(read_limited(r, &b)?),
                    false => None,
                };
                blocks.push(kind, b.range.clone(), payload);
            }
            b"Exif" => {
                let payload = exif_payload(&read_limited(r, &b)?);
                blocks.push(BlockKind::Exif, b.range.clone(), payload);
            }
            b"jumb" => {
                let kind = match is_c2pa_store(r, payload_at, b.payload_len())? {
                    true => BlockKind::C2pa,
                    false => BlockKind::Other,
                };
                blocks.push(kind, b.range.clone(), None);
            }
            b"brob" => {
                let mut inner = [0u8; 4];
                if b.payload_len() < 4 {
                    return Err(FORMAT.malformed(format!("the brob box at offset {at} is empty")));
                }
                r.read_at(payload_at, &mut inner)?;
                match &inner {
                    b"xml " => {
                        let (kind, load) = xmp_packets.next();
                        let payload = match load {
                            true => Some(decompress(&read_limited(r, &b)?[4..], at)?),
                            false => None,
                        };
                        blocks.push(kind, b.range.clone(), payload);
                    }
                    b"Exif" => {
                        let exif = decompress(&read_limited(r, &b)?[4..], at)?;
                        blocks.push(BlockKind::Exif, b.range.clone(), exif_payload(&exif));
                    }
                    _ => blocks.push(BlockKind::Other, b.range.clone(), None),
                }
            }
            ty => {
                jbrd_seen |= ty == b"jbrd";
                blocks.push(BlockKind::Other, b.range.clone(), None)
            }
        }
        at = b.range.end;
    }
    if !codestream_seen {
        return Err(FORMAT.malformed("no codestream box (jxlc or jxlp)"));
    }
    let mut layout = blocks.finish(FORMAT, len, dimensions);
    if jbrd_seen {
        layout.fixed_xmp_len = layout.xmp().map(<[u8]>::len);
    }
    Ok(layout)
}

/// A metadata box's payload, refused past [`MAX_METADATA`].
fn read_limited<R: Read + Seek>(
    r: &mut BlockReader<R>,
    b: &boxes::BoxHeader,
) -> Result<Vec<u8>, ContainerError> {
    if b.payload_len() > MAX_METADATA {
        return Err(ContainerError::Unsupported(format!(
            "the {} box at offset {} is {} bytes long; ccsig reads metadata boxes up to {} bytes",
            String::from_utf8_lossy(&b.ty),
            b.range.start,
            b.payload_len(),
            MAX_METADATA
        )));
    }
    r.read_vec(b.payload_start(), b.payload_len() as usize)
}

/// A `brob` box's content, decompressed, at most [`MAX_METADATA`] bytes.
fn decompress(compressed: &[u8], at: u64) -> Result<Vec<u8>, ContainerError> {
    let mut out = Vec::new();
    brotli_decompressor::Decompressor::new(compressed, 4096)
        .take(MAX_METADATA + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            FORMAT.malformed(format!(
                "the brob box at offset {at} does not decompress: {e}"
            ))
        })?;
    if out.len() as u64 > MAX_METADATA {
        return Err(ContainerError::Unsupported(format!(
            "the brob box at offset {at} decompresses to more than {MAX_METADATA} bytes"
        )));
    }
    Ok(out)
}

/// The TIFF stream of an `Exif` box's content: a 32-bit offset to the TIFF
/// header, which follows it. `None` when the offset points nowhere.
fn exif_payload(content: &[u8]) -> Option<Vec<u8>> {
    let offset = u32::from_be_bytes(content.get(..4)?.try_into().ok()?) as usize;
    Some(content.get(4usize.checked_add(offset)?..)?.to_vec())
}

/// Whether a `jumb` box is a C2PA manifest store: its description box
/// (`jumd`: UUID, toggles, label) is labelled `c2pa`.
fn is_c2pa_store<R: Read + Seek>(
    r: &mut BlockReader<R>,
    at: u64,
    len: u64,
) -> Result<bool, ContainerError> {
    // jumd header (8), UUID (16), toggles (1), "c2pa\0".
    let mut head = [0u8; 30];
    if len < head.len() as u64 {
        return Ok(false);
    }
    r.read_at(at, &mut head)?;
    Ok(&head[4..8] == b"jumd" && &head[25..30] == b"c2pa\0")
}

/// The image size from a codestream's SizeHeader (ISO/IEC 18181-1 §D.2),
/// which follows its `FF 0A` signature: bits read least significant first.
fn codestream_dimensions<R: Read + Seek>(
    r: &mut BlockReader<R>,
    at: u64,
) -> Result<Option<(u32, u32)>, ContainerError> {
    let mut head = [0u8; 12];
    let got = r.read_up_to_at(at, &mut head)?;
    if got < 2 || head[..2] != BARE_SIGNATURE {
        return Ok(None);
    }
    Ok(size_header(&head[2..got]))
}

fn size_header(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut bits = Bits { bytes, at: 0 };
    let small = bits.take(1)? == 1;
    let dimension = |bits: &mut Bits| -> Option<u64> {
        if small {
            return Some((bits.take(5)? + 1) * 8);
        }
        let width = [9, 13, 18, 30][bits.take(2)? as usize];
        Some(bits.take(width)? + 1)
    };
    let height = dimension(&mut bits)?;
    let ratio = bits.take(3)?;
    let width = match ratio {
        0 => dimension(&mut bits)?,
        _ => {
            let (num, den) =
                [(1, 1), (12, 10), (4, 3), (3, 2), (16, 9), (5, 4), (2, 1)][ratio as usize - 1];
            height * num / den
        }
    };
    Some((u32::try_from(width).ok()?, u32::try_from(height).ok()?))
}

/// Reads bits least significant first.
struct Bits<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    fn take(&mut self, n: usize) -> Option<u64> {
        let mut value = 0u64;
        for i in 0..n {
            let byte = *self.bytes.get(self.at / 8)?;
            value |= u64::from((byte >> (self.at % 8)) & 1) << i;
            self.at += 1;
        }
        Some(value)
    }
}

/// Whether the layout is of a bare codestream (one block, the codestream).
fn is_bare(layout: &Layout) -> bool {
    layout.blocks.len() == 1 && layout.blocks[0].kind == BlockKind::ImageData
}

/// The type of the box at the start of `range`.
fn box_type<R: Read + Seek>(r: &mut BlockReader<R>, start: u64) -> Result<[u8; 4], ContainerError> {
    let mut head = [0u8; 8];
    r.read_at(start, &mut head)?;
    Ok(head[4..8].try_into().expect("4 bytes"))
}

/// Writes `src` to `dst` with its `xml ` box replaced, inserted or
/// removed (a bare codestream wrapped in the container to hold one); every
/// other box is copied byte for byte.
pub(crate) fn rewrite<R: Read + Seek, W: Write>(
    src: &mut R,
    layout: &Layout,
    edit: &XmpEdit,
    dst: &mut W,
) -> Result<(), ContainerError> {
    let mut src = BlockReader::new(src)?.for_format(FORMAT);
    check_layout(layout, FORMAT, src.len())?;
    let packet = match edit {
        XmpEdit::Replace(packet) => Some(packet),
        XmpEdit::Remove => None,
    };
    if is_bare(layout) {
        let Some(packet) = packet else {
            return splice(src.inner(), layout, &[], dst);
        };
        let mut head = Vec::with_capacity(packet.len() + 64);
        head.extend_from_slice(SIGNATURE_BOX);
        head.extend_from_slice(FTYP_BOX);
        head.extend(xml_box(packet));
        head.extend(boxes::header(b"jxlc", layout.len));
        return splice(
            src.inner(),
            layout,
            &[(0, BlockEdit::InsertBefore(head))],
            dst,
        );
    }
    let xmp_at = layout.blocks.iter().position(|b| b.kind == BlockKind::Xmp);
    match (packet, layout.fixed_xmp_len) {
        (Some(p), Some(old)) if p.len() != old => {
            return Err(ContainerError::Unsupported(format!(
                "this JPEG XL holds the data that rebuilds its original JPEG (jbrd), which \
                 takes the XMP from the file at its old length ({old} bytes); a {}-byte \
                 packet would break that reconstruction",
                p.len()
            )))
        }
        (None, Some(_)) => {
            return Err(ContainerError::Unsupported(
                "this JPEG XL holds the data that rebuilds its original JPEG (jbrd), which \
                 needs its XMP: the packet cannot be removed"
                    .into(),
            ))
        }
        _ => {}
    }
    let edits = match (packet, xmp_at) {
        (Some(p), Some(i)) => vec![(i, BlockEdit::Replace(xml_box(p)))],
        (None, Some(i)) => vec![(i, BlockEdit::Drop)],
        (None, None) => Vec::new(),
        (Some(p), None) => {
            // After the last Exif box, else before the codestream: where
            // libjxl puts metadata, ahead of the pixels a streaming reader
            // waits for.
            let at = match layout
                .blocks
                .iter()
                .rposition(|b| b.kind == BlockKind::Exif)
            {
                Some(exif) => exif + 1,
                None => first_codestream(&mut src, layout)?,
            };
            vec![(at, BlockEdit::InsertBefore(xml_box(p)))]
        }
    };
    splice(src.inner(), layout, &edits, dst)
}

/// The index of the block that starts the first codestream box.
fn first_codestream<R: Read + Seek>(
    r: &mut BlockReader<R>,
    layout: &Layout,
) -> Result<usize, ContainerError> {
    for (i, b) in layout.blocks.iter().enumerate().skip(2) {
        if b.kind == BlockKind::Header && matches!(&box_type(r, b.range.start)?, b"jxlc" | b"jxlp")
        {
            return Ok(i);
        }
    }
    Err(FORMAT.malformed("no codestream box (jxlc or jxlp)"))
}

/// A whole `xml ` box holding `packet`.
fn xml_box(packet: &[u8]) -> Vec<u8> {
    let mut b = boxes::header(b"xml ", packet.len() as u64);
    b.extend_from_slice(packet);
    b
}

/// JPEG XL's [`Container`](super::Container).
pub(crate) struct Jxl;

impl super::Container for Jxl {
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

    /// A plain `xml ` box's payload (a `brob` box's bytes are not the
    /// packet read, and are found so by the caller's check).
    fn packet_bytes<R: Read + Seek>(
        reader: &mut BlockReader<R>,
        _: &Layout,
        block: &Block,
    ) -> Result<Option<PacketBytes>, ContainerError> {
        let range = &block.range;
        let head = reader.read_vec(range.start, 16.min(range.end - range.start) as usize)?;
        let header_len = match head.get(..4) {
            Some([0, 0, 0, 1]) => 16,
            _ => 8,
        };
        Ok((head.get(4..8) == Some(&b"xml "[..])).then(|| PacketBytes {
            packet: range.start + header_len..range.end,
            crc_prefix: None,
        }))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Cursor;

    /// A small bare codestream: 64x48 by its SizeHeader (the rest is not
    /// a decodable image; only the header is read).
    pub(crate) const CODESTREAM: &[u8] = b"\xff\x0a\xcb\xf0\x93\x50\xb9\xb7\x8a\x20\x00\x12";

    fn boxed(ty: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut b = boxes::header(ty, payload.len() as u64);
        b.extend_from_slice(payload);
        b
    }

    /// A container: signature, ftyp, then `boxes`.
    pub(crate) fn container(parts: &[Vec<u8>]) -> Vec<u8> {
        let mut f = SIGNATURE_BOX.to_vec();
        f.extend_from_slice(FTYP_BOX);
        for p in parts {
            f.extend_from_slice(p);
        }
        f
    }

    fn scan_bytes(bytes: &[u8]) -> Result<Layout, ContainerError> {
        scan(&mut Cursor::new(bytes))
    }

    fn rewritten(bytes: &[u8], edit: XmpEdit) -> Result<Vec<u8>, ContainerError> {
        let layout = scan_bytes(bytes)?;
        let mut out = Vec::new();
        rewrite(&mut Cursor::new(bytes), &layout, &edit, &mut out)?;
        Ok(out)
    }

    #[test]
    fn dimensions_come_from_the_size_header() {
        let layout = scan_bytes(CODESTREAM).unwrap();
        assert_eq!(layout.dimensions, Some((64, 48)));
        // Not small: height 1000 (selector 1, 13 bits of 999), ratio 0,
        // width 2000 (selector 1, 13 bits of 1999).
        let mut v: u64 = 0;
        let mut n = 0;
        for (value, width) in [(0, 1), (1, 2), (999, 13), (0, 3), (1, 2), (1999, 13)] {
            v |= value << n;
            n += width;
        }
        assert_eq!(size_header(&v.to_le_bytes()), Some((2000, 1000)));
    }

    #[test]
    fn a_bare_codestream_is_wrapped_to_hold_a_packet() {
        let out = rewritten(CODESTREAM, XmpEdit::Replace(b"<x/>".to_vec())).unwrap();
        let layout = scan_bytes(&out).unwrap();
        assert_eq!(layout.xmp(), Some(&b"<x/>"[..]));
        assert_eq!(layout.dimensions, Some((64, 48)));
        assert!(out.ends_with(CODESTREAM));
        let data = layout.blocks_of(BlockKind::ImageData).next().unwrap();
        assert_eq!(&out[data.range.start as usize..], CODESTREAM);
        // Removing from a bare codestream changes nothing.
        assert_eq!(rewritten(CODESTREAM, XmpEdit::Remove).unwrap(), CODESTREAM);
    }

    #[test]
    fn the_xml_box_is_replaced_inserted_and_removed_alone() {
        let exif = boxed(b"Exif", b"\0\0\0\0MM\0*\0\0\0\x08\0\0");
        let jxlc = boxed(b"jxlc", CODESTREAM);
        let plain = container(&[exif.clone(), jxlc.clone()]);
        let added = rewritten(&plain, XmpEdit::Replace(b"<a/>".to_vec())).unwrap();
        assert_eq!(
            added,
            container(&[exif.clone(), boxed(b"xml ", b"<a/>"), jxlc.clone()])
        );
        let replaced = rewritten(&added, XmpEdit::Replace(b"<bb/>".to_vec())).unwrap();
        assert_eq!(
            replaced,
            container(&[exif.clone(), boxed(b"xml ", b"<bb/>"), jxlc.clone()])
        );
        assert_eq!(rewritten(&replaced, XmpEdit::Remove).unwrap(), plain);
        let layout = scan_bytes(&plain).unwrap();
        assert_eq!(
            layout
                .blocks_of(BlockKind::Exif)
                .next()
                .unwrap()
                .payload
                .as_deref(),
            Some(&b"MM\0*\0\0\0\x08\0\0"[..])
        );
        // Without Exif: before the codestream.
        let bare = container(std::slice::from_ref(&jxlc));
        let added = rewritten(&bare, XmpEdit::Replace(b"<a/>".to_vec())).unwrap();
        assert_eq!(added, container(&[boxed(b"xml ", b"<a/>"), jxlc]));
    }

    #[test]
    fn brotli_compressed_packets_are_read() {
        // "<x/>" compressed by brotli (quality 0, window 10).
        let mut compressed = Vec::new();
        {
            let mut w = brotli_compressed(b"<x:xmpmeta/>");
            compressed.append(&mut w);
        }
        let mut brob = b"xml ".to_vec();
        brob.extend(compressed);
        let file = container(&[boxed(b"brob", &brob), boxed(b"jxlc", CODESTREAM)]);
        let layout = scan_bytes(&file).unwrap();
        assert_eq!(layout.xmp(), Some(&b"<x:xmpmeta/>"[..]));
        // Replaced by a plain xml box.
        let out = rewritten(&file, XmpEdit::Replace(b"<y/>".to_vec())).unwrap();
        assert_eq!(
            out,
            container(&[boxed(b"xml ", b"<y/>"), boxed(b"jxlc", CODESTREAM)])
        );
        // Garbage that does not decompress is a clear error.
        let bad = container(&[
            boxed(b"brob", b"xml \xff\xff\xff"),
            boxed(b"jxlc", CODESTREAM),
        ]);
        assert!(scan_bytes(&bad)
            .unwrap_err()
            .to_string()
            .contains("does not decompress"));
    }

    /// An uncompressed brotli stream (a meta-block of stored bytes), so the
    /// test needs no compressor: WBITS=16, then ISLAST=0, MNIBBLES=4,
    /// MLEN-1, ISUNCOMPRESSED=1, the bytes, and an empty last meta-block.
    fn brotli_compressed(data: &[u8]) -> Vec<u8> {
        let mut bits: Vec<bool> = Vec::new();
        let push = |v: u64, n: usize, bits: &mut Vec<bool>| {
            for i in 0..n {
                bits.push((v >> i) & 1 == 1);
            }
        };
        push(0, 1, &mut bits); // WBITS = 16
        push(0, 1, &mut bits); // ISLAST = 0
        push(0, 2, &mut bits); // MNIBBLES = 4
        push(data.len() as u64 - 1, 16, &mut bits); // MLEN - 1
        push(1, 1, &mut bits); // ISUNCOMPRESSED
        while !bits.len().is_multiple_of(8) {
            bits.push(false);
        }
        let mut out: Vec<u8> = bits
            .chunks(8)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u8, |b, (i, bit)| b | (u8::from(*bit) << i))
            })
            .collect();
        out.extend_from_slice(data);
        out.push(0b11); // ISLAST = 1, ISLASTEMPTY = 1
        out
    }

    #[test]
    fn jbrd_fixes_the_packet_length() {
        let file = container(&[
            boxed(b"jxlp", &[&[0, 0, 0, 0][..], CODESTREAM].concat()),
            boxed(b"jbrd", b"reconstruction"),
            boxed(b"xml ", b"<abc/>"),
            boxed(b"jxlp", b"\x80\0\0\x01rest"),
        ]);
        let layout = scan_bytes(&file).unwrap();
        assert_eq!(layout.dimensions, Some((64, 48)));
        assert_eq!(layout.fixed_xmp_len, Some(6));
        let e = rewritten(&file, XmpEdit::Replace(b"<a/>".to_vec())).unwrap_err();
        assert!(e.to_string().contains("jbrd"), "{e}");
        assert!(rewritten(&file, XmpEdit::Remove).is_err());
        let out = rewritten(&file, XmpEdit::Replace(b"<xyz>".to_vec()));
        assert!(out.is_err());
        let out = rewritten(&file, XmpEdit::Replace(b"<xyz/>".to_vec())).unwrap();
        assert_eq!(out.len(), file.len());
    }

    #[test]
    fn hostile_files_are_errors_not_panics() {
        let good = container(&[boxed(b"xml ", b"<a/>"), boxed(b"jxlc", CODESTREAM)]);
        for cut in 0..good.len() {
            let _ = scan_bytes(&good[..cut]);
        }
        for bad in [
            container(&[]),                           // no codestream
            container(&[b"\0\0\0\x04jxlc".to_vec()]), // size below header
            container(&[b"\0\0\0\x01jxlc\xff\xff\xff\xff\xff\xff\xff\xf0".to_vec()]),
            container(&[boxed(b"ftyp", b"jxl \0\0\0\0"), boxed(b"jxlc", CODESTREAM)]),
            [&SIGNATURE_BOX[..], &boxed(b"jxlc", CODESTREAM)].concat(), // no ftyp
            container(&[
                boxed(b"Exif", b"\xff\xff\xff\xffMM"),
                boxed(b"jxlc", CODESTREAM),
            ]),
        ] {
            match scan_bytes(&bad) {
                Err(_) => {}
                Ok(l) => assert!(l.blocks_of(BlockKind::Exif).all(|b| b.payload.is_none())),
            }
        }
    }
}
