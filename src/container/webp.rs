//! WebP: a RIFF header, then chunks (FourCC, little-endian size, data, a pad
//! byte when the size is odd).
//!
//! Scanning reads every chunk header, the VP8X chunk, the first few bytes
//! of the bitstream of a simple file (for its canvas size) and the EXIF and
//! XMP payloads; it seeks past everything else. Rewriting copies every chunk
//! byte for byte except the `XMP ` chunk, rewrites the RIFF size, updates the
//! XMP flag of VP8X, and turns a simple file into an extended one (adding
//! VP8X) when a packet is added to it.

use std::io::{Read, Seek, Write};

use super::walk::{check_layout, splice, BlockEdit, BlockReader, LayoutBuilder};
use super::{Block, BlockKind, ContainerError, Format, Layout, PacketBytes, XmpEdit};

const FORMAT: Format = Format::WebP;

/// VP8X flag bits (byte 0 of the chunk data): two reserved bits, then
/// ICC, alpha, EXIF, XMP, animation and one reserved bit.
const FLAG_ICC: u8 = 0x20;
const FLAG_ALPHA: u8 = 0x10;
const FLAG_EXIF: u8 = 0x08;
const FLAG_XMP: u8 = 0x04;
const FLAG_ANIMATION: u8 = 0x02;

/// RIFF header: "RIFF", u32 size, "WEBP".
const RIFF_HEADER_LEN: u64 = 12;
/// Chunk header: FourCC and u32 size.
const CHUNK_HEADER_LEN: u64 = 8;
/// Length of the VP8X chunk data: flags, 3 reserved bytes, canvas width - 1
/// and height - 1 (24 bits each).
const VP8X_DATA_LEN: u64 = 10;

fn u24_le(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], 0])
}

/// Canvas size from the start of a lossy (`VP8 `) bitstream: a 3-byte frame
/// tag, the start code 9d 01 2a, then 14-bit width and height.
fn vp8_dimensions(d: &[u8]) -> Option<(u32, u32)> {
    if d.len() < 10 || d[3..6] != [0x9D, 0x01, 0x2A] {
        return None;
    }
    let w = u16::from_le_bytes([d[6], d[7]]) & 0x3FFF;
    let h = u16::from_le_bytes([d[8], d[9]]) & 0x3FFF;
    (w > 0 && h > 0).then_some((w as u32, h as u32))
}

/// Canvas size and alpha_is_used from the start of a lossless (`VP8L`)
/// bitstream: signature 0x2f, then width - 1 (14 bits), height - 1 (14
/// bits), alpha_is_used (1 bit) and version (3 bits), little-endian.
fn vp8l_header(d: &[u8]) -> Option<((u32, u32), bool)> {
    if d.len() < 5 || d[0] != 0x2F {
        return None;
    }
    let bits = u32::from_le_bytes([d[1], d[2], d[3], d[4]]);
    let w = (bits & 0x3FFF) + 1;
    let h = ((bits >> 14) & 0x3FFF) + 1;
    Some(((w, h), bits & (1 << 28) != 0))
}

/// Lists the chunks of a WebP file. See the module docs and
/// [`super::scan`].
pub fn scan<R: Read + Seek>(r: &mut R) -> Result<Layout, ContainerError> {
    super::scan_as(r, FORMAT)
}

/// [`scan`] through the shared block reader, over a file that is not empty.
pub(crate) fn scan_blocks<R: Read + Seek>(
    r: &mut BlockReader<R>,
) -> Result<Layout, ContainerError> {
    let len = r.len();
    let mut head = [0u8; RIFF_HEADER_LEN as usize];
    let got = r.read_up_to_at(0, &mut head)?;
    let riff_ok = head[..got.min(4)] == b"RIFF"[..got.min(4)];
    let webp_ok = got <= 8 || head[8..got] == b"WEBP"[..got - 8];
    if !riff_ok || !webp_ok {
        return Err(FORMAT.malformed("not a RIFF WEBP file"));
    }
    if got < head.len() {
        return Err(ContainerError::Truncated(
            "WebP ends inside its RIFF header".into(),
        ));
    }
    let riff_size = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as u64;
    let riff_end = 8 + riff_size;
    if riff_end > len {
        return Err(ContainerError::Truncated(format!(
            "RIFF header announces {riff_end} bytes, file has {len}"
        )));
    }
    if riff_end < RIFF_HEADER_LEN {
        return Err(FORMAT.malformed(format!("RIFF size {riff_size} is too small")));
    }

    // The RIFF header describes the file as a whole (its size changes on
    // rewrite): a Header block, like VP8X.
    let mut blocks = LayoutBuilder::default();
    blocks.push(BlockKind::Header, 0..RIFF_HEADER_LEN, None);
    let mut dimensions = None;
    let mut has_vp8x = false;
    let mut xmp_packets = super::XmpPackets::default();
    let mut load_xmp = false;
    let mut seen_bitstream = false;
    let mut first = true;
    let mut pos = RIFF_HEADER_LEN;
    while pos < riff_end {
        if riff_end - pos < CHUNK_HEADER_LEN {
            return Err(FORMAT.malformed(format!(
                "partial chunk header at offset {pos} at the end of the RIFF payload"
            )));
        }
        let mut header = [0u8; CHUNK_HEADER_LEN as usize];
        r.read_at(pos, &mut header)?;
        let fourcc = [header[0], header[1], header[2], header[3]];
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as u64;
        let data_at = pos + CHUNK_HEADER_LEN;
        let end = data_at + size + (size & 1);
        if end > riff_end {
            let name = String::from_utf8_lossy(&fourcc).into_owned();
            return Err(if end > len {
                ContainerError::Truncated(format!(
                    "WebP ends inside the {name} chunk at offset {pos}"
                ))
            } else {
                FORMAT.malformed(format!(
                    "{name} chunk at offset {pos} runs past the RIFF payload"
                ))
            });
        }

        let mut kind = BlockKind::Other;
        let mut payload = None;
        match &fourcc {
            b"VP8X" => {
                if !first {
                    return Err(FORMAT.malformed("VP8X is not the first chunk"));
                }
                if size < VP8X_DATA_LEN {
                    return Err(FORMAT.malformed("VP8X chunk is too short"));
                }
                let mut d = [0u8; VP8X_DATA_LEN as usize];
                r.read_at(data_at, &mut d)?;
                dimensions = Some((u24_le(&d[4..7]) + 1, u24_le(&d[7..10]) + 1));
                has_vp8x = true;
                kind = BlockKind::Header;
            }
            b"ICCP" => kind = BlockKind::Icc,
            b"EXIF" => kind = BlockKind::Exif,
            // The first `XMP ` chunk is the main packet. The container
            // specification allows one; readers take the first, so that is
            // the one to replace. Later copies are read but kept as they are.
            b"XMP " => (kind, load_xmp) = xmp_packets.next(),
            b"C2PA" => kind = BlockKind::C2pa,
            b"VP8 " | b"VP8L" => {
                kind = BlockKind::ImageData;
                // A simple file's canvas is its bitstream's frame size.
                if !has_vp8x && !seen_bitstream {
                    let mut d = [0u8; 10];
                    let n = size.min(10) as usize;
                    r.read_at(data_at, &mut d[..n])?;
                    dimensions = if &fourcc == b"VP8 " {
                        vp8_dimensions(&d[..n])
                    } else {
                        vp8l_header(&d[..n]).map(|(dims, _)| dims)
                    };
                }
                seen_bitstream = true;
            }
            b"ALPH" | b"ANIM" | b"ANMF" => kind = BlockKind::ImageData,
            _ => {}
        }
        let loaded_xmp = matches!(kind, BlockKind::Xmp | BlockKind::LaterXmp) && load_xmp;
        if kind == BlockKind::Exif || loaded_xmp {
            // `size` fits in the file: checked above.
            payload = Some(r.read_vec(data_at, size as usize)?);
        }
        // The header and the bitstreams, which a rewrite reads by position
        // (VP8X flags, a VP8L alpha bit), stand alone; runs of any other
        // chunk (an animation's frames) fold into one block.
        if payload.is_some() || matches!(&fourcc, b"VP8X" | b"VP8 " | b"VP8L") {
            blocks.push(kind, pos..end, payload);
        } else {
            blocks.push_run(kind, pos..end, fourcc);
        }
        first = false;
        pos = end;
    }
    if !blocks.has(BlockKind::ImageData) {
        return Err(FORMAT.malformed("no image data chunk"));
    }
    if riff_end < len {
        // Bytes after the RIFF payload: not WebP, but kept byte for byte.
        blocks.push(BlockKind::Other, riff_end..len, None);
    }
    Ok(blocks.finish(FORMAT, len, dimensions))
}

/// Builds a complete `XMP ` chunk, padded to even length.
fn xmp_chunk(packet: &[u8]) -> Result<Vec<u8>, ContainerError> {
    // The chunk must fit in a RIFF payload, whose size is a u32 that also
    // counts "WEBP", this chunk's header and its pad byte.
    let limit = (u32::MAX as u64 - 4 - CHUNK_HEADER_LEN - 1) as usize;
    if packet.len() > limit {
        return Err(ContainerError::XmpTooLarge {
            format: Format::WebP.name(),
            size: packet.len(),
            limit,
        });
    }
    let mut chunk = Vec::with_capacity(packet.len() + 9);
    chunk.extend_from_slice(b"XMP ");
    chunk.extend_from_slice(&(packet.len() as u32).to_le_bytes());
    chunk.extend_from_slice(packet);
    if packet.len() % 2 == 1 {
        chunk.push(0);
    }
    Ok(chunk)
}

/// Builds the VP8X chunk that turns a simple file into an extended one:
/// XMP flag set, ICC / EXIF / alpha / animation flags from the chunks
/// present, canvas size from the bitstream.
fn new_vp8x<R: Read + Seek>(
    src: &mut BlockReader<R>,
    layout: &Layout,
) -> Result<Vec<u8>, ContainerError> {
    let (w, h) = layout.dimensions.ok_or_else(|| {
        ContainerError::Unsupported(
            "cannot add XMP to this simple WebP: its canvas size is unreadable".into(),
        )
    })?;
    if w == 0 || h == 0 || w > 1 << 24 || h > 1 << 24 {
        return Err(FORMAT.malformed(format!("canvas size {w}x{h} does not fit VP8X")));
    }
    let mut flags = FLAG_XMP;
    for b in &layout.blocks[1..] {
        match b.kind {
            BlockKind::Icc => flags |= FLAG_ICC,
            BlockKind::Exif => flags |= FLAG_EXIF,
            BlockKind::ImageData if b.range.end - b.range.start >= CHUNK_HEADER_LEN => {
                let mut fourcc = [0u8; 4];
                src.read_at(b.range.start, &mut fourcc)?;
                match &fourcc {
                    b"ALPH" => flags |= FLAG_ALPHA,
                    b"ANIM" | b"ANMF" => flags |= FLAG_ANIMATION,
                    b"VP8L" => {
                        let mut d = [0u8; 5];
                        let n = (b.range.end - b.range.start - CHUNK_HEADER_LEN).min(5) as usize;
                        src.read_at(b.range.start + CHUNK_HEADER_LEN, &mut d[..n])?;
                        if matches!(vp8l_header(&d[..n]), Some((_, true))) {
                            flags |= FLAG_ALPHA;
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let mut chunk = Vec::with_capacity(18);
    chunk.extend_from_slice(b"VP8X");
    chunk.extend_from_slice(&(VP8X_DATA_LEN as u32).to_le_bytes());
    chunk.extend_from_slice(&[flags, 0, 0, 0]);
    chunk.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
    chunk.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
    Ok(chunk)
}

/// Writes `src` to `dst` with its `XMP ` chunk replaced, inserted or
/// removed, the RIFF size and the VP8X XMP flag updated, and a VP8X chunk
/// added if a packet goes into a simple file; every other chunk, and any
/// bytes after the RIFF payload, are copied unchanged.
pub fn rewrite<R: Read + Seek, W: Write>(
    src: &mut R,
    layout: &Layout,
    edit: &XmpEdit,
    dst: &mut W,
) -> Result<(), ContainerError> {
    let mut src = BlockReader::new(src)?.for_format(FORMAT);
    check_layout(layout, FORMAT, src.len())?;
    if layout.blocks[0].range != (0..RIFF_HEADER_LEN) {
        return Err(FORMAT.malformed("layout does not cover the file"));
    }
    let mut head = [0u8; RIFF_HEADER_LEN as usize];
    src.read_at(0, &mut head)?;
    let riff_end = 8 + u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as u64;
    // Chunks are blocks 1..chunks_end; the rest (if any) is trailing data.
    let chunks_end = layout
        .blocks
        .iter()
        .position(|b| b.range.start >= riff_end)
        .unwrap_or(layout.blocks.len())
        .max(1);
    if layout.blocks[chunks_end - 1].range.end != riff_end {
        return Err(FORMAT.malformed("layout does not match the RIFF size"));
    }
    let chunks = &layout.blocks[1..chunks_end];
    let vp8x_at = chunks.iter().position(|b| b.kind == BlockKind::Header);
    if let Some(i) = vp8x_at {
        let b = &chunks[i];
        if b.range.end - b.range.start < CHUNK_HEADER_LEN + VP8X_DATA_LEN {
            return Err(FORMAT.malformed("VP8X block is too short"));
        }
    }
    let xmp_at = chunks.iter().position(|b| b.kind == BlockKind::Xmp);

    let new_xmp = match edit {
        XmpEdit::Replace(packet) => Some(xmp_chunk(packet)?),
        XmpEdit::Remove => None,
    };
    let added_vp8x = match (&new_xmp, vp8x_at) {
        (Some(_), None) => Some(new_vp8x(&mut src, layout)?),
        _ => None,
    };
    // Where a new chunk goes when there was none: after the (last) EXIF
    // chunk, else after the last image-data chunk, else after the last chunk.
    let insert_after = match (&new_xmp, xmp_at) {
        (Some(_), None) => chunks
            .iter()
            .rposition(|b| b.kind == BlockKind::Exif)
            .or_else(|| chunks.iter().rposition(|b| b.kind == BlockKind::ImageData))
            .or(chunks.len().checked_sub(1)),
        _ => None,
    };

    let mut payload_len = 4u64; // "WEBP"
    for (i, b) in chunks.iter().enumerate() {
        if Some(i) != xmp_at {
            payload_len += b.range.end - b.range.start;
        }
    }
    payload_len += new_xmp.as_ref().map_or(0, |c| c.len() as u64);
    payload_len += added_vp8x.as_ref().map_or(0, |c| c.len() as u64);
    let riff_size = u32::try_from(payload_len).map_err(|_| {
        ContainerError::Unsupported(format!(
            "rewritten WebP would need a RIFF size of {payload_len} bytes, over the 4 GiB limit"
        ))
    })?;

    // Block i of the layout is chunk i - 1.
    let mut header = b"RIFF".to_vec();
    header.extend_from_slice(&riff_size.to_le_bytes());
    header.extend_from_slice(b"WEBP");
    header.extend(added_vp8x.unwrap_or_default());
    let mut edits = vec![(0, BlockEdit::Replace(header))];
    if let Some(i) = vp8x_at {
        // Header and flags, then the rest of the chunk as it was.
        let mut d = [0u8; CHUNK_HEADER_LEN as usize + 1];
        src.read_at(chunks[i].range.start, &mut d)?;
        if new_xmp.is_some() {
            d[8] |= FLAG_XMP;
        } else {
            d[8] &= !FLAG_XMP;
        }
        edits.push((i + 1, BlockEdit::Overwrite(d.to_vec())));
    }
    match (new_xmp, xmp_at) {
        (Some(chunk), Some(i)) => edits.push((i + 1, BlockEdit::Replace(chunk))),
        (None, Some(i)) => edits.push((i + 1, BlockEdit::Drop)),
        // With no chunk to follow, right after the header.
        (Some(chunk), None) => edits.push((
            insert_after.map_or(1, |i| i + 2),
            BlockEdit::InsertBefore(chunk),
        )),
        (None, None) => {}
    }
    splice(src.inner(), layout, &edits, dst)
}

/// WebP's [`Container`](super::Container).
pub(crate) struct WebP;

impl super::Container for WebP {
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

    /// The `XMP ` chunk's data, when VP8X already says the file has XMP
    /// (else the flag must be set: a rewrite).
    fn packet_bytes<R: Read + Seek>(
        reader: &mut BlockReader<R>,
        layout: &Layout,
        block: &Block,
    ) -> Result<Option<PacketBytes>, ContainerError> {
        // The RIFF header is a Header block too: the flags are the first
        // byte of the VP8X chunk's data.
        let mut flags = 0;
        for header in layout.blocks_of(BlockKind::Header) {
            if header.range.end - header.range.start > CHUNK_HEADER_LEN {
                let head = reader.read_vec(header.range.start, 9)?;
                if &head[..4] == b"VP8X" {
                    flags = head[8];
                }
            }
        }
        let Some(payload) = block.payload.as_ref().filter(|_| flags & FLAG_XMP != 0) else {
            return Ok(None);
        };
        let start = block.range.start + CHUNK_HEADER_LEN;
        Ok(Some(PacketBytes {
            packet: start..start + payload.len() as u64,
            crc_prefix: None,
        }))
    }

    /// The data of the `C2PA` chunks: after FourCC and size.
    fn manifest_store(blocks: &[Vec<u8>]) -> Vec<u8> {
        super::chunk_data(blocks, CHUNK_HEADER_LEN as usize, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::testing::{
        exercise, exercise_corruptions, kinds, noise, rewrite_bytes, xorshift, Counting,
    };
    use crate::container::verify_preserved;
    use std::io::Cursor;

    fn scan_bytes(b: &[u8]) -> Result<Layout, ContainerError> {
        scan(&mut Cursor::new(b))
    }

    fn chunk(fourcc: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = fourcc.to_vec();
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
        if data.len() % 2 == 1 {
            v.push(0);
        }
        v
    }

    /// A lossy bitstream: key-frame tag, start code, 14-bit sizes, noise.
    fn vp8(w: u16, h: u16, body: usize) -> Vec<u8> {
        let mut d = vec![0x50, 0x02, 0x00, 0x9D, 0x01, 0x2A];
        d.extend_from_slice(&w.to_le_bytes());
        d.extend_from_slice(&h.to_le_bytes());
        d.extend(noise(body, 7));
        chunk(b"VP8 ", &d)
    }

    /// A lossless bitstream header with the given alpha_is_used bit.
    fn vp8l(w: u32, h: u32, alpha: bool, body: usize) -> Vec<u8> {
        let bits = (w - 1) | ((h - 1) << 14) | ((alpha as u32) << 28);
        let mut d = vec![0x2F];
        d.extend_from_slice(&bits.to_le_bytes());
        d.extend(noise(body, 3));
        chunk(b"VP8L", &d)
    }

    fn vp8x(flags: u8, w: u32, h: u32) -> Vec<u8> {
        let mut d = vec![flags, 0, 0, 0];
        d.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
        d.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
        chunk(b"VP8X", &d)
    }

    fn webp(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut v = b"RIFF".to_vec();
        v.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
        v.extend_from_slice(b"WEBP");
        v.extend(body);
        v
    }

    fn animated() -> Vec<u8> {
        let frame = |body: usize| {
            let mut d = vec![0; 16];
            d.extend(vp8l(4, 4, true, body));
            chunk(b"ANMF", &d)
        };
        webp(&[
            vp8x(FLAG_ANIMATION | FLAG_ALPHA, 4, 4),
            chunk(b"ANIM", &[0, 0, 0, 0, 0, 0]),
            frame(21),
            frame(22),
            frame(23),
        ])
    }

    /// Chunks as img-parts sees them: (FourCC, data), VP8X and XMP left out.
    fn foreign_chunks(b: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
        let w = img_parts::webp::WebP::from_bytes(b.to_vec().into()).expect("img-parts parses");
        w.chunks()
            .iter()
            .filter(|c| !matches!(&c.id(), b"VP8X" | b"XMP "))
            .map(|c| (c.id(), c.content().data().expect("data chunk").to_vec()))
            .collect()
    }

    /// Checks a rewrite with verify_preserved, img-parts, RIFF size and
    /// padding; returns the new layout.
    fn check_preserved(old: &[u8], new: &[u8]) -> Layout {
        let lo = scan_bytes(old).unwrap();
        let ln = scan_bytes(new).unwrap();
        verify_preserved(&mut Cursor::new(old), &lo, &mut Cursor::new(new), &ln).unwrap();
        assert_eq!(foreign_chunks(old), foreign_chunks(new));
        let riff_old = u32::from_le_bytes(old[4..8].try_into().unwrap()) as usize;
        let riff = u32::from_le_bytes(new[4..8].try_into().unwrap()) as usize;
        let trailing = old.len() - 8 - riff_old;
        assert_eq!(riff + 8 + trailing, new.len());
        assert_eq!(riff % 2, 0);
        for b in ln.blocks.iter().filter(|b| b.range.end <= 8 + riff as u64) {
            assert_eq!((b.range.end - b.range.start) % 2, 0, "{:?}", b.kind);
        }
        ln
    }

    fn vp8x_of(b: &[u8]) -> (u8, u32, u32) {
        assert_eq!(&b[12..16], b"VP8X");
        assert_eq!(u32::from_le_bytes(b[16..20].try_into().unwrap()), 10);
        (b[20], u24_le(&b[24..27]) + 1, u24_le(&b[27..30]) + 1)
    }

    #[test]
    fn scan_classifies_chunks() {
        let file = webp(&[
            vp8x(FLAG_ICC | FLAG_ALPHA | FLAG_EXIF | FLAG_XMP, 300, 200),
            chunk(b"ICCP", &noise(31, 1)),
            chunk(b"ALPH", &noise(40, 2)),
            vp8(300, 200, 101),
            chunk(b"EXIF", b"MM\0\x2a\0\0\0\x08\0"),
            chunk(b"XMP ", b"<x:xmpmeta/>"),
            chunk(b"C2PA", b"jumb"),
            chunk(b"UNKN", b"x"),
        ]);
        let l = scan_bytes(&file).unwrap();
        use BlockKind::*;
        assert_eq!(
            kinds(&l),
            [Header, Header, Icc, ImageData, ImageData, Exif, Xmp, C2pa, Other]
        );
        assert_eq!(l.dimensions, Some((300, 200)));
        assert_eq!(l.xmp(), Some(&b"<x:xmpmeta/>"[..]));
        assert_eq!(
            l.blocks_of(Exif).next().unwrap().payload.as_deref(),
            Some(&b"MM\0\x2a\0\0\0\x08\0"[..])
        );
        // The pad byte belongs to its chunk.
        assert_eq!(l.blocks[5].range.end - l.blocks[5].range.start, 8 + 10);
        for b in &l.blocks {
            assert_eq!(
                b.payload.is_some(),
                matches!(b.kind, Xmp | Exif),
                "{:?}",
                b.kind
            );
        }
        assert_eq!(l.blocks.last().unwrap().range.end, file.len() as u64);
    }

    #[test]
    fn simple_dimensions() {
        let l = scan_bytes(&webp(&[vp8(641, 479, 20)])).unwrap();
        assert_eq!(l.dimensions, Some((641, 479)));
        assert_eq!(kinds(&l), [BlockKind::Header, BlockKind::ImageData]);
        let l = scan_bytes(&webp(&[vp8l(16384, 3, false, 20)])).unwrap();
        assert_eq!(l.dimensions, Some((16384, 3)));
        // An unreadable bitstream header leaves the size unknown, and a
        // packet cannot then be added (VP8X needs the canvas size).
        let broken = webp(&[chunk(b"VP8 ", &noise(30, 1))]);
        assert_eq!(scan_bytes(&broken).unwrap().dimensions, None);
        assert!(matches!(
            rewrite_bytes(&broken, &XmpEdit::Replace(b"<x/>".to_vec())),
            Err(ContainerError::Unsupported(_))
        ));
    }

    #[test]
    fn simple_lossy_becomes_extended() {
        let file = webp(&[vp8(123, 45, 77)]);
        // An odd-sized packet gets a pad byte.
        let packet = b"<x:xmpmeta>odd</x:xmpmeta>!".to_vec();
        assert_eq!(packet.len() % 2, 1);
        let out = rewrite_bytes(&file, &XmpEdit::Replace(packet.clone())).unwrap();
        let l = check_preserved(&file, &out);
        use BlockKind::*;
        assert_eq!(kinds(&l), [Header, Header, ImageData, Xmp]);
        assert_eq!(vp8x_of(&out), (FLAG_XMP, 123, 45));
        assert_eq!(l.xmp(), Some(&packet[..]));
        assert_eq!(out.len(), file.len() + 18 + 8 + packet.len() + 1);
        assert_eq!(*out.last().unwrap(), 0);
        let parsed = img_parts::webp::WebP::from_bytes(out.clone().into()).unwrap();
        assert_eq!(parsed.dimensions(), Some((123, 45)));
        let x = parsed.chunk_by_id(*b"XMP ").unwrap();
        assert_eq!(x.content().data().unwrap().as_ref(), &packet[..]);
    }

    #[test]
    fn simple_lossless_alpha_becomes_extended() {
        for alpha in [false, true] {
            let file = webp(&[vp8l(17, 9, alpha, 33)]);
            let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<even/>!".to_vec())).unwrap();
            check_preserved(&file, &out);
            let want = FLAG_XMP | if alpha { FLAG_ALPHA } else { 0 };
            assert_eq!(vp8x_of(&out), (want, 17, 9));
        }
        // A simple file that (against the spec) carries EXIF and ICC chunks:
        // their flags are set too.
        let file = webp(&[
            chunk(b"ICCP", b"icc!"),
            vp8l(2, 2, false, 5),
            chunk(b"EXIF", b"II*\0"),
        ]);
        let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<x/>".to_vec())).unwrap();
        let l = check_preserved(&file, &out);
        assert_eq!(vp8x_of(&out).0, FLAG_XMP | FLAG_ICC | FLAG_EXIF);
        use BlockKind::*;
        assert_eq!(kinds(&l), [Header, Header, Icc, ImageData, Exif, Xmp]);
    }

    #[test]
    fn extended_insert_replace_remove() {
        let base = [
            vp8x(FLAG_ALPHA | FLAG_EXIF | 0x01, 50, 60),
            chunk(b"ALPH", &noise(21, 2)),
            vp8(50, 60, 40),
            chunk(b"EXIF", b"II*\0\x08\0\0\0"),
            chunk(b"ZZZZ", b"unknown"),
        ];
        let file = webp(&base);
        // Insert: after EXIF, before the unknown chunk; other VP8X bits kept.
        let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<ins/>".to_vec())).unwrap();
        let l = check_preserved(&file, &out);
        use BlockKind::*;
        assert_eq!(
            kinds(&l),
            [Header, Header, ImageData, ImageData, Exif, Xmp, Other]
        );
        assert_eq!(
            vp8x_of(&out),
            (FLAG_ALPHA | FLAG_EXIF | 0x01 | FLAG_XMP, 50, 60)
        );
        // Writing the same packet again changes nothing.
        assert_eq!(
            rewrite_bytes(&out, &XmpEdit::Replace(b"<ins/>".to_vec())).unwrap(),
            out
        );

        // Replace: same position, new size.
        let out2 = rewrite_bytes(&out, &XmpEdit::Replace(b"<a longer packet/>".to_vec())).unwrap();
        let l2 = check_preserved(&out, &out2);
        assert_eq!(kinds(&l2), kinds(&l));
        assert_eq!(l2.xmp(), Some(&b"<a longer packet/>"[..]));

        // Remove: chunk gone, flag cleared, back to the original bytes.
        let out3 = rewrite_bytes(&out2, &XmpEdit::Remove).unwrap();
        check_preserved(&out2, &out3);
        assert_eq!(out3, file);

        // No EXIF: after the last image-data chunk.
        let file = webp(&[
            vp8x(0, 50, 60),
            chunk(b"ICCP", b"ic"),
            vp8(50, 60, 40),
            chunk(b"ZZZZ", b"u"),
        ]);
        let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<p/>".to_vec())).unwrap();
        let l = check_preserved(&file, &out);
        assert_eq!(kinds(&l), [Header, Header, Icc, ImageData, Xmp, Other]);
        assert_eq!(vp8x_of(&out).0, FLAG_XMP);
    }

    #[test]
    fn existing_packet_keeps_position() {
        // XMP placed (unusually) before the image data stays there.
        let file = webp(&[
            vp8x(FLAG_XMP, 8, 8),
            chunk(b"XMP ", b"old"),
            vp8l(8, 8, false, 9),
        ]);
        let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<new/>".to_vec())).unwrap();
        let l = check_preserved(&file, &out);
        use BlockKind::*;
        assert_eq!(kinds(&l), [Header, Header, Xmp, ImageData]);
        assert_eq!(l.xmp(), Some(&b"<new/>"[..]));
        let out = rewrite_bytes(&file, &XmpEdit::Remove).unwrap();
        let l = check_preserved(&file, &out);
        assert_eq!(kinds(&l), [Header, Header, ImageData]);
        assert_eq!(vp8x_of(&out).0, 0);
    }

    #[test]
    fn animated_keeps_every_frame() {
        let file = animated();
        let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<anim/>".to_vec())).unwrap();
        let l = check_preserved(&file, &out);
        use BlockKind::*;
        // ANIM, then the three frames as one run.
        assert_eq!(kinds(&l), [Header, Header, ImageData, ImageData, Xmp]);
        assert_eq!(
            vp8x_of(&out),
            (FLAG_ANIMATION | FLAG_ALPHA | FLAG_XMP, 4, 4)
        );
        let back = rewrite_bytes(&out, &XmpEdit::Remove).unwrap();
        assert_eq!(back, file);
    }

    #[test]
    fn trailing_bytes_after_riff() {
        let mut file = webp(&[vp8(10, 10, 12)]);
        file.extend_from_slice(b"trailer");
        let l = scan_bytes(&file).unwrap();
        assert_eq!(l.blocks.last().unwrap().kind, BlockKind::Other);
        assert_eq!(l.blocks.last().unwrap().range.start, file.len() as u64 - 7);
        let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<t/>".to_vec())).unwrap();
        check_preserved(&file, &out);
        assert!(out.ends_with(b"trailer"));
        let riff = u32::from_le_bytes(out[4..8].try_into().unwrap()) as usize;
        assert_eq!(riff + 8 + 7, out.len());
        assert_eq!(
            rewrite_bytes(&out, &XmpEdit::Remove).unwrap()[12 + 18..],
            file[12..]
        );
    }

    #[test]
    fn errors() {
        let good = webp(&[vp8(10, 10, 12)]);
        assert!(matches!(scan_bytes(b""), Err(ContainerError::Empty)));
        assert!(matches!(
            scan_bytes(b"RIFF\0\0"),
            Err(ContainerError::Truncated(_))
        ));
        assert!(matches!(
            scan_bytes(b"RIFX\0\0\0\0WEBP"),
            Err(ContainerError::Malformed { .. })
        ));
        assert!(matches!(
            scan_bytes(b"RIFF\0\0\0\0WAVE"),
            Err(ContainerError::Malformed { .. })
        ));
        // RIFF size larger than the file.
        let mut big = good.clone();
        big[4..8].copy_from_slice(&(good.len() as u32).to_le_bytes());
        assert!(matches!(
            scan_bytes(&big),
            Err(ContainerError::Truncated(_))
        ));
        // RIFF size too small to hold WEBP, or cutting a chunk in two.
        for size in [0u32, 3, 10, 14] {
            let mut s = good.clone();
            s[4..8].copy_from_slice(&size.to_le_bytes());
            assert!(scan_bytes(&s).is_err(), "riff size {size}");
        }
        // Chunk size past the end of the file.
        let mut c = good.clone();
        c[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(scan_bytes(&c), Err(ContainerError::Truncated(_))));
        // VP8X not first, VP8X too short, no image data.
        for chunks in [
            vec![vp8(1, 1, 2), vp8x(0, 1, 1)],
            vec![chunk(b"VP8X", &[0; 6]), vp8(1, 1, 2)],
            vec![vp8x(0, 1, 1), chunk(b"EXIF", b"II")],
            vec![],
        ] {
            assert!(
                matches!(
                    scan_bytes(&webp(&chunks)),
                    Err(ContainerError::Malformed { .. })
                ),
                "{chunks:?}"
            );
        }
    }

    #[test]
    fn scan_does_not_read_image_data() {
        for file in [
            webp(&[vp8(1000, 1000, 1 << 20), chunk(b"XMP ", b"<x/>")]),
            webp(&[
                vp8x(FLAG_XMP | FLAG_ALPHA, 1000, 1000),
                chunk(b"ALPH", &noise(300_000, 1)),
                vp8l(1000, 1000, true, 1 << 20),
                chunk(b"XMP ", b"<x/>"),
            ]),
        ] {
            let mut r = Counting::new(Cursor::new(&file));
            let l = scan(&mut r).unwrap();
            assert_eq!(l.xmp(), Some(&b"<x/>"[..]));
            assert_eq!(l.dimensions, Some((1000, 1000)));
            assert!(r.read < 64 * 1024, "read {} bytes", r.read);
        }
    }

    #[test]
    fn truncations_and_corruptions_never_panic() {
        for file in [
            webp(&[
                vp8x(FLAG_ICC | FLAG_EXIF | FLAG_XMP | FLAG_ALPHA, 20, 20),
                chunk(b"ICCP", b"icc"),
                chunk(b"ALPH", &noise(9, 4)),
                vp8(20, 20, 30),
                chunk(b"EXIF", b"II*\0\x08\0\0\0"),
                chunk(b"XMP ", b"<x:xmpmeta>packet</x:xmpmeta>"),
            ]),
            webp(&[vp8l(5, 5, true, 25)]),
            animated(),
        ] {
            for n in 0..file.len() {
                assert!(!exercise(&file[..n]), "prefix of {n} bytes accepted");
            }
            assert!(exercise(&file));
            assert!(exercise_corruptions(&file, 0xD1B5_4A32_D192_ED03, 300, file.len()) > 0);
        }
        let mut state = 5u64;
        for len in [1usize, 11, 12, 13, 1000] {
            let garbage: Vec<u8> = (0..len).map(|_| xorshift(&mut state) as u8).collect();
            assert!(scan_bytes(&garbage).is_err());
        }
        let mut g = b"RIFF\xF0\x03\0\0WEBP".to_vec();
        g.extend((0..1000).map(|_| xorshift(&mut state) as u8));
        assert!(scan_bytes(&g).is_err());
    }
}
