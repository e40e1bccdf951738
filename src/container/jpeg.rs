//! JPEG: segments from SOI to the first SOS, then one image-data block that
//! runs to the end of the file.
//!
//! Scanning reads marker headers and the payloads of the metadata segments a
//! reader needs; it never reads past the SOS header, so the cost does not
//! depend on the size of the entropy-coded data. Rewriting copies every
//! segment byte for byte except the main XMP APP1, which it replaces, drops
//! or inserts.

use std::io::{Read, Seek, Write};

use super::walk::{check_layout, splice, BlockEdit, BlockReader, LayoutBuilder, ScanScope};
use super::{Block, BlockKind, ContainerError, Edit, Format, Layout, PacketBytes, XmpEdit};

const FORMAT: Format = Format::Jpeg;

/// Namespace prefix of the APP1 segment that holds the main XMP packet.
const XMP_PREFIX: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
/// Namespace prefix of an APP1 segment that holds a slice of Extended XMP.
const EXTENDED_XMP_PREFIX: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
const EXIF_PREFIX: &[u8] = b"Exif\0\0";
const IRB_PREFIX: &[u8] = b"Photoshop 3.0\0";
const ICC_PREFIX: &[u8] = b"ICC_PROFILE\0";

/// Largest main XMP packet ccsig writes into one APP1 segment.
///
/// The segment length field is a u16 that counts itself (2 bytes), the
/// 29-byte namespace prefix and the packet, so a packet could in theory be
/// 65535 - 2 - 29 = 65504 bytes long. Adobe's XMP specification (part 3,
/// "JPEG") states the limit as 65502 bytes, having also subtracted the two
/// marker bytes (0xFF 0xE1), which the length field does not count. We use
/// the published figure: it is 2 bytes conservative and it is what every
/// other XMP writer enforces, so no reader can choke on what we write.
pub const MAX_XMP_PACKET: usize = 65502;

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP11: u8 = 0xEB;
const APP13: u8 = 0xED;
const TEM: u8 = 0x01;

/// How many bytes of an APPn payload are read to recognise it: the longest
/// prefix we look for.
const PREFIX_PROBE: usize = 35;

/// Finds the marker that starts at `pos`: one 0xFF, any number of 0xFF fill
/// bytes, then the marker code. Returns the code and the offset just after
/// it. Only reads below `end`.
fn next_marker<R: Read + Seek>(
    r: &mut BlockReader<R>,
    pos: u64,
    end: u64,
) -> Result<(u8, u64), ContainerError> {
    let mut at = pos;
    let mut buf = [0u8; 64];
    loop {
        if at >= end {
            return Err(ContainerError::Truncated(
                "JPEG ends before its first scan (SOS)".into(),
            ));
        }
        let want = (end - at).min(buf.len() as u64) as usize;
        let got = r.read_up_to_at(at, &mut buf[..want])?;
        if got == 0 {
            return Err(ContainerError::Truncated(
                "JPEG ends before its first scan (SOS)".into(),
            ));
        }
        for (i, &b) in buf[..got].iter().enumerate() {
            let offset = at + i as u64;
            if offset == pos {
                if b != 0xFF {
                    return Err(FORMAT.malformed(format!(
                        "expected a marker at offset {pos}, found byte 0x{b:02X}"
                    )));
                }
            } else if b != 0xFF {
                return Ok((b, offset + 1));
            }
        }
        at += got as u64;
    }
}

/// SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
/// How far from the end an EOI may sit: room for the trailers some cameras
/// and phones append after the image (MPF previews are separate images
/// before EOI; trailers after it are small).
pub(crate) const EOI_SEARCH_TAIL: u64 = 64 * 1024;

/// Whether the file ends with EOI, or holds one in its last bytes followed
/// by a trailer. Reads two bytes in the common case.
fn ends_with_eoi<R: Read + Seek>(
    r: &mut BlockReader<R>,
    scan_start: u64,
    len: u64,
) -> Result<bool, ContainerError> {
    if len < scan_start + 2 {
        return Ok(false);
    }
    let mut last = [0u8; 2];
    r.read_at(len - 2, &mut last)?;
    if last == [0xFF, EOI] {
        return Ok(true);
    }
    let from = len.saturating_sub(EOI_SEARCH_TAIL).max(scan_start);
    let tail = r.read_vec(from, (len - from) as usize)?;
    Ok(tail.windows(2).any(|w| w == [0xFF, EOI]))
}

fn is_sof(marker: u8) -> bool {
    (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// Lists the segments of a JPEG file. See the module docs and
/// [`super::scan`].
pub fn scan<R: Read + Seek>(r: &mut R) -> Result<Layout, ContainerError> {
    super::scan_as(r, FORMAT)
}

/// [`scan`] through the shared block reader, over a file that is not empty.
pub(crate) fn scan_blocks<R: Read + Seek>(
    r: &mut BlockReader<R>,
) -> Result<Layout, ContainerError> {
    let len = r.len();
    let mut soi = [0u8; 2];
    let got = r.read_up_to_at(0, &mut soi)?;
    if soi[..got] != [0xFF, SOI][..got] {
        return Err(FORMAT.malformed("missing SOI marker"));
    }
    if got < 2 {
        return Err(ContainerError::Truncated("JPEG ends inside SOI".into()));
    }

    let mut blocks = LayoutBuilder::default();
    blocks.push(BlockKind::Other, 0..2, None);
    let mut dimensions = None;
    let mut seen_sof = false;
    let mut xmp_packets = super::XmpPackets::default();
    let mut pos = 2u64;

    loop {
        // A segment's block starts at its first 0xFF, fill bytes included,
        // so that copying the block reproduces them.
        let start = pos;
        let (marker, after_marker) = next_marker(r, pos, len)?;
        match marker {
            SOI => return Err(FORMAT.malformed(format!("second SOI marker at offset {start}"))),
            EOI => return Err(FORMAT.malformed("EOI marker before any scan (SOS)")),
            0x00 => {
                return Err(FORMAT.malformed(format!(
                    "stuffed 0xFF00 outside entropy-coded data at offset {start}"
                )))
            }
            // Standalone markers: no length, no payload.
            TEM | 0xD0..=0xD7 => {
                blocks.push_run(BlockKind::Other, start..after_marker, [0xFF, marker, 0, 0]);
                pos = after_marker;
                continue;
            }
            0x02..=0xBF => {
                return Err(FORMAT.malformed(format!(
                    "reserved marker 0xFF{marker:02X} at offset {start}"
                )))
            }
            _ => {}
        }

        let mut len_bytes = [0u8; 2];
        r.read_at(after_marker, &mut len_bytes)?;
        let seg_len = u16::from_be_bytes(len_bytes) as u64;
        if seg_len < 2 {
            return Err(FORMAT.malformed(format!(
                "segment 0xFF{marker:02X} at offset {start} has length {seg_len}"
            )));
        }
        let data_start = after_marker + 2;
        let data_len = seg_len - 2;
        let end = after_marker + seg_len;
        if end > len {
            return Err(ContainerError::Truncated(format!(
                "JPEG ends inside segment 0xFF{marker:02X} at offset {start}"
            )));
        }

        if marker == SOS {
            // Entropy-coded data, further scans, EOI and anything after it:
            // one opaque block, never read, except for its end: a file cut
            // short in its image data must not pass as a good one.
            if r.scope() == ScanScope::WholeFile && !ends_with_eoi(r, end, len)? {
                return Err(ContainerError::Truncated(
                    "JPEG has no end-of-image marker (EOI): the image data is cut short".into(),
                ));
            }
            blocks.push(BlockKind::ImageData, start..len, None);
            break;
        }

        let mut kind = BlockKind::Other;
        let mut payload = None;
        if is_sof(marker) {
            if data_len < 5 {
                return Err(FORMAT.malformed(format!("SOF segment at offset {start} is too short")));
            }
            if !seen_sof {
                seen_sof = true;
                let mut sof = [0u8; 5];
                r.read_at(data_start, &mut sof)?;
                let height = u16::from_be_bytes([sof[1], sof[2]]) as u32;
                let width = u16::from_be_bytes([sof[3], sof[4]]) as u32;
                // A height of 0 means "defined later by a DNL segment":
                // not cheaply known.
                if width > 0 && height > 0 {
                    dimensions = Some((width, height));
                }
            }
        } else if matches!(marker, APP1 | APP2 | APP11 | APP13) {
            let probe_len = data_len.min(PREFIX_PROBE as u64) as usize;
            let mut probe = [0u8; PREFIX_PROBE];
            r.read_at(data_start, &mut probe[..probe_len])?;
            let probe = &probe[..probe_len];
            // (kind, bytes of prefix to strip, load payload?)
            let class = match marker {
                // Only the first main XMP APP1 is the main packet. The XMP
                // specification allows exactly one; readers (ExifTool, the
                // Adobe XMP Toolkit) take the first one they meet, so that is
                // the one we must replace. A later copy is read but kept as
                // it is: dropping it would lose data, and editing it too
                // would mean guessing which one a reader prefers.
                APP1 if probe.starts_with(XMP_PREFIX) => {
                    let (kind, load) = xmp_packets.next();
                    Some((kind, XMP_PREFIX.len(), load))
                }
                APP1 if probe.starts_with(EXTENDED_XMP_PREFIX) => {
                    Some((BlockKind::ExtendedXmp, EXTENDED_XMP_PREFIX.len(), true))
                }
                APP1 if probe.starts_with(EXIF_PREFIX) => {
                    Some((BlockKind::Exif, EXIF_PREFIX.len(), true))
                }
                APP13 if probe.starts_with(IRB_PREFIX) => {
                    Some((BlockKind::PhotoshopIrb, IRB_PREFIX.len(), true))
                }
                APP2 if probe.starts_with(ICC_PREFIX) => Some((BlockKind::Icc, 0, false)),
                APP11 => Some((BlockKind::C2pa, 0, false)),
                _ => None,
            };
            if let Some((k, skip, load)) = class {
                kind = k;
                if load {
                    // data_len <= 65533: checked against the file above.
                    let data = r.read_vec(data_start + skip as u64, data_len as usize - skip)?;
                    payload = Some(data);
                }
            }
        }
        match payload {
            Some(_) => blocks.push(kind, start..end, payload),
            None => blocks.push_run(kind, start..end, [0xFF, marker, 0, 0]),
        }
        pos = end;
    }
    Ok(blocks.finish(FORMAT, len, dimensions))
}

/// The C2PA manifest store carried in APP11 segments (`runs`: the bytes of
/// each run of them, markers included), as JPEG XT boxes (ISO/IEC 19566-5):
/// each segment holds `JP`, the box instance, a sequence number, then a
/// piece of the box; every piece after the first repeats the box's header,
/// which is dropped. Pieces go in instance and sequence order.
pub(crate) fn manifest_store(runs: &[Vec<u8>]) -> Vec<u8> {
    let mut pieces: Vec<(u16, u32, &[u8])> = Vec::new();
    for run in runs {
        let mut at = 0;
        while run.len() >= at + 4 {
            let len = u16::from_be_bytes([run[at + 2], run[at + 3]]) as usize;
            let end = (at + 2 + len).min(run.len());
            let data = &run[(at + 4).min(end)..end];
            if data.len() >= 8 && data.starts_with(b"JP") {
                let instance = u16::from_be_bytes([data[2], data[3]]);
                let sequence = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
                pieces.push((instance, sequence, &data[8..]));
            }
            at = end.max(at + 4);
        }
    }
    pieces.sort_by_key(|&(instance, sequence, _)| (instance, sequence));
    let mut store = Vec::new();
    let mut current = None;
    for (instance, _, piece) in pieces {
        if current == Some(instance) {
            let header = if piece.starts_with(&[0, 0, 0, 1]) {
                16
            } else {
                8
            };
            store.extend_from_slice(piece.get(header..).unwrap_or_default());
        } else {
            store.extend_from_slice(piece);
            current = Some(instance);
        }
    }
    store
}

/// Builds a complete main-XMP APP1 segment (marker included).
fn xmp_segment(packet: &[u8]) -> Result<Vec<u8>, ContainerError> {
    if packet.len() > MAX_XMP_PACKET {
        return Err(ContainerError::XmpTooLarge {
            format: Format::Jpeg.name(),
            size: packet.len(),
            limit: MAX_XMP_PACKET,
        });
    }
    // Fits: 2 + 29 + 65502 <= 65535.
    let seg_len = (2 + XMP_PREFIX.len() + packet.len()) as u16;
    let mut seg = Vec::with_capacity(2 + seg_len as usize);
    seg.extend_from_slice(&[0xFF, APP1]);
    seg.extend_from_slice(&seg_len.to_be_bytes());
    seg.extend_from_slice(XMP_PREFIX);
    seg.extend_from_slice(packet);
    Ok(seg)
}

/// Index of the block after which a new main XMP segment goes when the file
/// has none: after SOI and the initial run of APP0 (JFIF, JFXX) and APP1
/// Exif segments, which is where ExifTool puts it.
fn insertion_index<R: Read + Seek>(
    src: &mut BlockReader<R>,
    layout: &Layout,
) -> Result<usize, ContainerError> {
    let mut at = 0;
    for (i, b) in layout.blocks.iter().enumerate().skip(1) {
        let leading = b.kind == BlockKind::Exif
            || (b.kind == BlockKind::Other
                && b.range.end - b.range.start >= 2
                && next_marker(src, b.range.start, b.range.end)?.0 == APP0);
        if !leading {
            break;
        }
        at = i;
    }
    Ok(at)
}

/// Writes `src` to `dst` with its main XMP segment replaced, inserted or
/// removed; every other byte is copied unchanged.
pub fn rewrite<R: Read + Seek, W: Write>(
    src: &mut R,
    layout: &Layout,
    edit: &XmpEdit,
    dst: &mut W,
) -> Result<(), ContainerError> {
    rewrite_blocks(src, layout, Some(edit), None, dst)
}

/// Rewrites a JPEG with its main XMP packet and/or its Photoshop IRB
/// (APP13, which holds IPTC-IIM) replaced; `irb` is the new payload after
/// `Photoshop 3.0\0`. A new segment goes where the old one was, or after
/// the leading APP0/EXIF segments when the file had none.
pub fn rewrite_blocks<R: Read + Seek, W: Write>(
    src: &mut R,
    layout: &Layout,
    xmp: Option<&XmpEdit>,
    irb: Option<&[u8]>,
    dst: &mut W,
) -> Result<(), ContainerError> {
    let mut src = BlockReader::new(src)?.for_format(FORMAT);
    check_layout(layout, FORMAT, src.len())?;
    let mut segments: Vec<(BlockKind, Option<Vec<u8>>)> = Vec::new();
    if let Some(x) = xmp {
        segments.push((
            BlockKind::Xmp,
            match x {
                XmpEdit::Replace(packet) => Some(xmp_segment(packet)?),
                XmpEdit::Remove => None,
            },
        ));
    }
    if let Some(irb) = irb {
        segments.push((BlockKind::PhotoshopIrb, Some(irb_segment(irb)?)));
    }
    let mut edits = Vec::new();
    let mut insert_after = None;
    for (kind, segment) in segments {
        match (layout.blocks.iter().position(|b| b.kind == kind), segment) {
            (Some(i), Some(seg)) => edits.push((i, BlockEdit::Replace(seg))),
            (Some(i), None) => edits.push((i, BlockEdit::Drop)),
            (None, Some(seg)) => {
                let at = match insert_after {
                    Some(at) => at,
                    None => *insert_after.insert(insertion_index(&mut src, layout)?),
                };
                edits.push((at + 1, BlockEdit::InsertBefore(seg)));
            }
            (None, None) => {}
        }
    }
    splice(src.inner(), layout, &edits, dst)
}

fn irb_segment(irb: &[u8]) -> Result<Vec<u8>, ContainerError> {
    let len = 2 + IRB_PREFIX.len() + irb.len();
    if len > u16::MAX as usize {
        return Err(ContainerError::Unsupported(format!(
            "Photoshop IRB of {} bytes does not fit in one APP13 segment",
            irb.len()
        )));
    }
    let mut seg = vec![0xFF, APP13];
    seg.extend_from_slice(&(len as u16).to_be_bytes());
    seg.extend_from_slice(IRB_PREFIX);
    seg.extend_from_slice(irb);
    Ok(seg)
}

/// JPEG's [`Container`](super::Container).
pub(crate) struct Jpeg;

impl super::Container for Jpeg {
    fn scan_blocks<R: Read + Seek>(
        reader: &mut BlockReader<R>,
        _: Format,
    ) -> Result<Layout, ContainerError> {
        scan_blocks(reader)
    }

    fn rewrite<R: Read + Seek, W: Write>(
        src: &mut R,
        layout: &Layout,
        edit: &Edit,
        dst: &mut W,
    ) -> Result<(), ContainerError> {
        rewrite_blocks(
            src,
            layout,
            edit.xmp.as_ref(),
            edit.photoshop_irb.as_deref(),
            dst,
        )
    }

    /// The main XMP APP1 after its marker, length and namespace string.
    fn packet_bytes<R: Read + Seek>(
        reader: &mut BlockReader<R>,
        _: &Layout,
        block: &Block,
    ) -> Result<Option<PacketBytes>, ContainerError> {
        let range = &block.range;
        let header_len = 4 + XMP_PREFIX.len() as u64;
        let head = reader.read_vec(
            range.start,
            header_len.min(range.end - range.start) as usize,
        )?;
        if !head.get(4..).is_some_and(|h| h.starts_with(XMP_PREFIX)) {
            return Ok(None);
        }
        Ok(Some(PacketBytes {
            packet: range.start + header_len..range.end,
            crc_prefix: None,
        }))
    }

    fn manifest_store(blocks: &[Vec<u8>]) -> Vec<u8> {
        manifest_store(blocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::testing::{
        assert_covers, exercise, exercise_corruptions, kinds, rewrite_bytes, xorshift, Counting,
    };
    use crate::container::verify_preserved;
    use std::io::Cursor;

    fn scan_bytes(b: &[u8]) -> Result<Layout, ContainerError> {
        scan(&mut Cursor::new(b))
    }

    fn seg(marker: u8, data: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, marker];
        v.extend_from_slice(&((data.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(data);
        v
    }

    fn app0() -> Vec<u8> {
        seg(APP0, b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    }

    fn app1(prefix: &[u8], body: &[u8]) -> Vec<u8> {
        let mut d = prefix.to_vec();
        d.extend_from_slice(body);
        seg(APP1, &d)
    }

    fn exif() -> Vec<u8> {
        app1(EXIF_PREFIX, b"MM\0\x2a\0\0\0\x08\0\0\0\0\0\0")
    }

    fn xmp(packet: &[u8]) -> Vec<u8> {
        app1(XMP_PREFIX, packet)
    }

    fn extended_xmp() -> Vec<u8> {
        let mut body = b"0123456789ABCDEF0123456789ABCDEF".to_vec();
        body.extend_from_slice(&10u32.to_be_bytes());
        body.extend_from_slice(&0u32.to_be_bytes());
        body.extend_from_slice(b"<x:ext/>  ");
        app1(EXTENDED_XMP_PREFIX, &body)
    }

    fn icc() -> Vec<u8> {
        let mut d = ICC_PREFIX.to_vec();
        d.extend_from_slice(&[1, 1, 0, 0, 0, 0]);
        seg(APP2, &d)
    }

    fn irb() -> Vec<u8> {
        let mut d = IRB_PREFIX.to_vec();
        d.extend_from_slice(b"8BIM\x04\x04\0\0\0\0\0\0");
        seg(APP13, &d)
    }

    fn c2pa() -> Vec<u8> {
        seg(APP11, b"JP\0\0\0\0\0\x01\0\0\0\x10jumbjumd")
    }

    fn dqt() -> Vec<u8> {
        let mut d = vec![0u8];
        d.extend((1..=64).map(|i| i as u8));
        seg(0xDB, &d)
    }

    fn sof0(w: u16, h: u16) -> Vec<u8> {
        let mut d = vec![8];
        d.extend_from_slice(&h.to_be_bytes());
        d.extend_from_slice(&w.to_be_bytes());
        d.extend_from_slice(&[1, 1, 0x11, 0]);
        seg(0xC0, &d)
    }

    fn dht() -> Vec<u8> {
        let mut d = vec![0x00];
        let mut counts = [0u8; 16];
        counts[0] = 1;
        d.extend_from_slice(&counts);
        d.push(0);
        seg(0xC4, &d)
    }

    fn sos_and_entropy(entropy_len: usize) -> Vec<u8> {
        let mut v = seg(0xDA, &[1, 1, 0x00, 0, 63, 0]);
        let mut x = 0x1234_5678u32;
        for _ in 0..entropy_len {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            // Entropy-coded data: an 0xFF is always followed by a stuffed 0.
            let b = x as u8;
            v.push(b);
            if b == 0xFF {
                v.push(0);
            }
        }
        v.extend_from_slice(&[0xFF, EOI]);
        v
    }

    fn jpeg(segments: &[Vec<u8>], entropy_len: usize) -> Vec<u8> {
        let mut v = vec![0xFF, SOI];
        for s in segments {
            v.extend_from_slice(s);
        }
        v.extend(sos_and_entropy(entropy_len));
        v
    }

    fn tail() -> Vec<Vec<u8>> {
        vec![dqt(), sof0(32, 16), dht()]
    }

    /// Segments as img-parts sees them, without main XMP APP1s.
    fn foreign_segments(b: &[u8]) -> Vec<img_parts::jpeg::JpegSegment> {
        let j = img_parts::jpeg::Jpeg::from_bytes(b.to_vec().into()).expect("img-parts parses");
        j.segments()
            .iter()
            .filter(|s| !(s.marker() == APP1 && s.contents().starts_with(XMP_PREFIX)))
            .cloned()
            .collect()
    }

    /// Checks a rewrite against the original with both verify_preserved and
    /// img-parts; returns the new layout.
    fn check_preserved(old: &[u8], new: &[u8]) -> Layout {
        let lo = scan_bytes(old).unwrap();
        let ln = scan_bytes(new).unwrap();
        verify_preserved(&mut Cursor::new(old), &lo, &mut Cursor::new(new), &ln).unwrap();
        assert_eq!(foreign_segments(old), foreign_segments(new));
        let (io, inew) = (
            lo.blocks_of(BlockKind::ImageData).next().unwrap(),
            ln.blocks_of(BlockKind::ImageData).next().unwrap(),
        );
        assert_eq!(
            old[io.range.start as usize..],
            new[inew.range.start as usize..]
        );
        ln
    }

    #[test]
    fn scan_classifies_every_segment() {
        let mut segs = vec![app0(), exif(), xmp(b"<x:xmpmeta/>"), extended_xmp()];
        segs.extend([icc(), irb(), c2pa(), seg(0xFE, b"comment")]);
        segs.extend(tail());
        let file = jpeg(&segs, 100);
        let l = scan_bytes(&file).unwrap();
        use BlockKind::*;
        assert_eq!(
            kinds(&l),
            [
                Other,
                Other,
                Exif,
                Xmp,
                ExtendedXmp,
                Icc,
                PhotoshopIrb,
                C2pa,
                Other,
                Other,
                Other,
                Other,
                ImageData
            ]
        );
        assert_eq!(l.len, file.len() as u64);
        assert_eq!(l.dimensions, Some((32, 16)));
        assert_eq!(l.xmp(), Some(&b"<x:xmpmeta/>"[..]));
        let ex = l.blocks_of(Exif).next().unwrap();
        assert_eq!(
            ex.payload.as_deref(),
            Some(&b"MM\0\x2a\0\0\0\x08\0\0\0\0\0\0"[..])
        );
        let ext = l.blocks_of(ExtendedXmp).next().unwrap();
        assert!(ext
            .payload
            .as_ref()
            .unwrap()
            .starts_with(b"0123456789ABCDEF"));
        let irb_b = l.blocks_of(PhotoshopIrb).next().unwrap();
        assert!(irb_b.payload.as_ref().unwrap().starts_with(b"8BIM"));
        for b in &l.blocks {
            let loaded = matches!(b.kind, Xmp | ExtendedXmp | Exif | PhotoshopIrb);
            assert_eq!(b.payload.is_some(), loaded, "{:?}", b.kind);
        }
        assert_covers(&l, file.len());
    }

    #[test]
    fn fill_bytes_and_standalone_markers() {
        let mut file = vec![0xFF, SOI];
        file.extend(app0());
        file.extend_from_slice(&[0xFF, 0xFF, 0xFF]); // fill before DQT
        file.extend(dqt());
        file.extend_from_slice(&[0xFF, TEM, 0xFF, 0xD3]);
        file.extend(sof0(7, 9));
        file.extend(dht());
        file.extend_from_slice(&[0xFF, 0xFF]); // fill before SOS
        file.extend(sos_and_entropy(20));
        let l = scan_bytes(&file).unwrap();
        assert_eq!(l.blocks.len(), 8);
        assert_eq!(
            l.blocks[2].range.end - l.blocks[2].range.start,
            3 + dqt().len() as u64
        );
        assert_eq!(l.blocks[3].range.end - l.blocks[3].range.start, 2);
        assert_eq!(l.blocks[4].range.end - l.blocks[4].range.start, 2);
        assert_eq!(l.dimensions, Some((7, 9)));
        let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<p/>".to_vec())).unwrap();
        let ln = scan_bytes(&out).unwrap();
        verify_preserved(&mut Cursor::new(&file), &l, &mut Cursor::new(&out), &ln).unwrap();
        assert_eq!(ln.blocks[2].kind, BlockKind::Xmp);
    }

    #[test]
    fn replace_keeps_position_of_existing_packet() {
        let mut segs = vec![app0(), seg(0xE5, b"app5 data"), xmp(b"old"), icc()];
        segs.extend(tail());
        let file = jpeg(&segs, 500);
        let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<new packet/>".to_vec())).unwrap();
        let l = check_preserved(&file, &out);
        assert_eq!(l.xmp(), Some(&b"<new packet/>"[..]));
        assert_eq!(l.blocks[3].kind, BlockKind::Xmp);
        assert_eq!(l.blocks.len(), scan_bytes(&file).unwrap().blocks.len());
    }

    #[test]
    fn replace_inserts_after_leading_app0_and_exif() {
        // APP0, APP1 Exif, APP0 (JFXX-like), then an APP2: goes before APP2.
        let mut segs = vec![app0(), exif(), app0(), icc()];
        segs.extend(tail());
        let file = jpeg(&segs, 300);
        let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<ins/>".to_vec())).unwrap();
        let l = check_preserved(&file, &out);
        use BlockKind::*;
        assert_eq!(kinds(&l)[..6], [Other, Other, Exif, Other, Xmp, Icc]);
        assert_eq!(l.xmp(), Some(&b"<ins/>"[..]));

        // Nothing but SOI before DQT: right after SOI.
        let file = jpeg(&tail(), 10);
        let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<a/>".to_vec())).unwrap();
        let l = check_preserved(&file, &out);
        assert_eq!(l.blocks[1].kind, Xmp);
        assert_eq!(l.blocks[1].range, 2..2 + 2 + 2 + 29 + 4);
    }

    #[test]
    fn remove_drops_only_the_main_packet() {
        let mut segs = vec![app0(), xmp(b"main"), extended_xmp(), xmp(b"second")];
        segs.extend(tail());
        let file = jpeg(&segs, 64);
        let l = scan_bytes(&file).unwrap();
        assert_eq!(l.blocks_of(BlockKind::Xmp).count(), 1);
        assert_eq!(l.xmp(), Some(&b"main"[..]));
        // The second copy is read, as a later packet.
        assert_eq!(l.blocks[4].kind, BlockKind::LaterXmp);
        assert_eq!(l.blocks[4].payload.as_deref(), Some(&b"second"[..]));
        let out = rewrite_bytes(&file, &XmpEdit::Remove).unwrap();
        let ln = scan_bytes(&out).unwrap();
        // The second packet is now the first one a reader meets, so it has
        // become the main packet, kept byte for byte.
        assert_eq!(ln.xmp(), Some(&b"second"[..]));
        let (mut a, mut b) = (Cursor::new(&file), Cursor::new(&out));
        crate::container::verify_preserved_except(&mut a, &l, &mut b, &ln, &[], true).unwrap();
        // Taken for a replacement, the promoted packet is a block missing.
        assert!(verify_preserved(&mut a, &l, &mut b, &ln).is_err());
        assert!(ln.has(BlockKind::ExtendedXmp));
        assert_eq!(out.len(), file.len() - xmp(b"main").len());

        let file = jpeg(&tail(), 64);
        assert_eq!(rewrite_bytes(&file, &XmpEdit::Remove).unwrap(), file);
    }

    #[test]
    fn packet_size_limit() {
        let file = jpeg(&tail(), 10);
        let max = vec![b' '; MAX_XMP_PACKET];
        let out = rewrite_bytes(&file, &XmpEdit::Replace(max.clone())).unwrap();
        assert_eq!(scan_bytes(&out).unwrap().xmp(), Some(&max[..]));
        let too_big = vec![b' '; MAX_XMP_PACKET + 1];
        match rewrite_bytes(&file, &XmpEdit::Replace(too_big)) {
            Err(ContainerError::XmpTooLarge { size, limit, .. }) => {
                assert_eq!((size, limit), (MAX_XMP_PACKET + 1, MAX_XMP_PACKET))
            }
            other => panic!("expected XmpTooLarge, got {other:?}"),
        }
    }

    #[test]
    fn errors() {
        assert!(matches!(scan_bytes(b""), Err(ContainerError::Empty)));
        assert!(matches!(
            scan_bytes(b"\xFF"),
            Err(ContainerError::Truncated(_))
        ));
        assert!(matches!(
            scan_bytes(b"GIF89a"),
            Err(ContainerError::Malformed { .. })
        ));
        // Ends before SOS.
        let mut f = vec![0xFF, SOI];
        f.extend(app0());
        assert!(matches!(scan_bytes(&f), Err(ContainerError::Truncated(_))));
        // Garbage between segments.
        let mut g = f.clone();
        g.extend_from_slice(b"garbage");
        assert!(matches!(
            scan_bytes(&g),
            Err(ContainerError::Malformed { .. })
        ));
        // EOI before SOS, bad length, reserved marker, second SOI.
        for bad in [
            vec![0xFF, EOI],
            vec![0xFF, 0xE3, 0x00, 0x01],
            vec![0xFF, 0x40, 0x00, 0x02],
            vec![0xFF, SOI],
            vec![0xFF, 0x00],
        ] {
            let mut h = f.clone();
            h.extend(bad);
            h.extend(sos_and_entropy(4));
            assert!(matches!(
                scan_bytes(&h),
                Err(ContainerError::Malformed { .. })
            ));
        }
        // Segment length past end of file.
        let mut t = f.clone();
        t.extend_from_slice(&[0xFF, 0xE4, 0x10, 0x00, 1, 2, 3]);
        assert!(matches!(scan_bytes(&t), Err(ContainerError::Truncated(_))));
        // Endless fill bytes.
        let mut e = f;
        e.extend(std::iter::repeat_n(0xFF, 1000));
        assert!(matches!(scan_bytes(&e), Err(ContainerError::Truncated(_))));
    }

    #[test]
    fn rewrite_rejects_stale_layout() {
        let file = jpeg(&tail(), 10);
        let mut layout = scan_bytes(&file).unwrap();
        layout.len += 1;
        let mut out = Vec::new();
        assert!(rewrite(&mut Cursor::new(&file), &layout, &XmpEdit::Remove, &mut out).is_err());
    }

    #[test]
    fn scan_does_not_read_image_data() {
        let mut segs = vec![app0(), exif(), xmp(b"<x/>")];
        segs.extend(tail());
        let file = jpeg(&segs, 1 << 20);
        assert!(file.len() > 1 << 20);
        let mut r = Counting::new(Cursor::new(&file));
        let l = scan(&mut r).unwrap();
        assert_eq!(l.xmp(), Some(&b"<x/>"[..]));
        assert!(r.read < 64 * 1024, "read {} bytes", r.read);
    }

    #[test]
    fn truncations_and_corruptions_never_panic() {
        let mut segs = vec![app0(), exif(), xmp(b"<x:xmpmeta>packet</x:xmpmeta>")];
        segs.extend([extended_xmp(), icc(), irb(), c2pa()]);
        segs.extend(tail());
        let file = jpeg(&segs, 200);
        let sos_end = {
            let l = scan_bytes(&file).unwrap();
            l.blocks.last().unwrap().range.start as usize + 2 + 2 + 6
        };
        for n in 0..file.len() {
            let ok = exercise(&file[..n]);
            let has_eoi = n >= sos_end && file[sos_end..n].windows(2).any(|w| w == [0xFF, EOI]);
            assert_eq!(ok, has_eoi, "prefix of {n} bytes");
        }
        assert!(exercise_corruptions(&file, 0x9E37_79B9_7F4A_7C15, 400, sos_end) > 0);
        let mut state = 7u64;
        for len in [1usize, 2, 3, 17, 1000] {
            let garbage: Vec<u8> = (0..len).map(|_| xorshift(&mut state) as u8).collect();
            assert!(scan_bytes(&garbage).is_err());
        }
    }
}
