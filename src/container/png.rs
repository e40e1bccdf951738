//! PNG: the signature, then chunks (length, type, data, CRC) up to IEND.
//!
//! Scanning reads every chunk header, the keyword of text chunks, and the
//! whole of the few chunks a reader needs (IHDR, the XMP `iTXt`, `eXIf`,
//! "Raw profile type iptc" text), whose CRCs it verifies. It seeks past
//! every other chunk, IDAT included, whose CRCs it therefore does not check.
//! Rewriting copies every chunk byte for byte except the XMP `iTXt`.

use std::io::{Read, Seek, Write};

use super::walk::{check_layout, splice, BlockEdit, BlockReader, LayoutBuilder};
use super::{Block, BlockKind, ContainerError, Edit, Format, Layout, PacketBytes, XmpEdit};

const FORMAT: Format = Format::Png;

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
/// iTXt keyword of the XMP packet.
const XMP_KEYWORD: &[u8] = b"XML:com.adobe.xmp";
/// Text keyword ImageMagick uses for IPTC-IIM.
const IPTC_KEYWORD: &[u8] = b"Raw profile type iptc";
/// ImageMagick's Photoshop-resources profile, which holds a second copy
/// of the IIM (8BIM 0x0404, with its digest 0x0425).
const IRB_KEYWORD: &[u8] = b"Raw profile type 8bim";
/// Largest chunk data length the PNG specification allows (2^31 - 1).
const MAX_CHUNK_LEN: u64 = 0x7FFF_FFFF;
/// Bytes of text-chunk data read to find the keyword: keywords are 1 to 79
/// bytes, followed by a NUL.
const KEYWORD_PROBE: u64 = 80;
/// Largest text ccsig inflates from a compressed chunk; beyond this the
/// chunk is refused rather than risk a decompression bomb.
const MAX_INFLATED: u64 = 16 << 20;
/// Bytes of the iTXt header ccsig writes before the packet: keyword, NUL,
/// compression flag, compression method, empty language tag and empty
/// translated keyword (each NUL-terminated).
const ITXT_HEADER_LEN: usize = XMP_KEYWORD.len() + 5;

/// Reads the data of the chunk at `pos` (whose data length, already checked
/// against the file, is `len`) and verifies its CRC.
fn read_chunk_data<R: Read + Seek>(
    r: &mut BlockReader<R>,
    pos: u64,
    len: u64,
) -> Result<Vec<u8>, ContainerError> {
    // Type, data and CRC; `len` <= 2^31 - 1 and fits in the file.
    let mut buf = r.read_vec(pos + 4, len as usize + 8)?;
    let crc_at = buf.len() - 4;
    let stored = u32::from_be_bytes([
        buf[crc_at],
        buf[crc_at + 1],
        buf[crc_at + 2],
        buf[crc_at + 3],
    ]);
    if crc32fast::hash(&buf[..crc_at]) != stored {
        let ty = String::from_utf8_lossy(&buf[..4]).into_owned();
        return Err(FORMAT.malformed(format!("bad CRC in {ty} chunk at offset {pos}")));
    }
    buf.truncate(crc_at);
    buf.drain(..4);
    Ok(buf)
}

fn inflate(data: &[u8], what: &str) -> Result<Vec<u8>, ContainerError> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(data)
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut out)
        .map_err(|e| FORMAT.malformed(format!("cannot inflate {what}: {e}")))?;
    if out.len() as u64 > MAX_INFLATED {
        return Err(ContainerError::Unsupported(format!(
            "{what} inflates to more than {MAX_INFLATED} bytes"
        )));
    }
    Ok(out)
}

/// Splits `data` at its first NUL: (before, after).
fn split_nul(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = data.iter().position(|&b| b == 0)?;
    Some((&data[..i], &data[i + 1..]))
}

/// The text of a text chunk's data (keyword included), inflated if needed.
fn text_of(ty: &[u8; 4], data: &[u8]) -> Result<Vec<u8>, ContainerError> {
    let what = String::from_utf8_lossy(ty).into_owned();
    let (_, rest) =
        split_nul(data).ok_or_else(|| FORMAT.malformed(format!("{what} without keyword")))?;
    match ty {
        b"tEXt" => Ok(rest.to_vec()),
        b"zTXt" => match rest.split_first() {
            Some((0, compressed)) => inflate(compressed, "zTXt text"),
            _ => Err(FORMAT.malformed("zTXt with unknown compression method")),
        },
        _ => {
            let bad = || FORMAT.malformed("truncated iTXt header");
            let (&flag, rest) = rest.split_first().ok_or_else(bad)?;
            let (&method, rest) = rest.split_first().ok_or_else(bad)?;
            let (_language, rest) = split_nul(rest).ok_or_else(bad)?;
            let (_translated, text) = split_nul(rest).ok_or_else(bad)?;
            match (flag, method) {
                (0, _) => Ok(text.to_vec()),
                (1, 0) => inflate(text, "iTXt text"),
                _ => Err(FORMAT.malformed(format!(
                    "iTXt with compression flag {flag}, method {method}"
                ))),
            }
        }
    }
}

/// Lists the chunks of a PNG file. See the module docs and
/// [`super::scan`].
pub fn scan<R: Read + Seek>(r: &mut R) -> Result<Layout, ContainerError> {
    super::scan_as(r, FORMAT)
}

/// [`scan`] through the shared block reader, over a file that is not empty.
pub(crate) fn scan_blocks<R: Read + Seek>(
    r: &mut BlockReader<R>,
) -> Result<Layout, ContainerError> {
    let len = r.len();
    let mut sig = [0u8; 8];
    let got = r.read_up_to_at(0, &mut sig)?;
    if sig[..got] != SIGNATURE[..got] {
        return Err(FORMAT.malformed("bad PNG signature"));
    }
    if got < SIGNATURE.len() {
        return Err(ContainerError::Truncated(
            "PNG ends inside its signature".into(),
        ));
    }

    let mut blocks = LayoutBuilder::default();
    blocks.push(BlockKind::Other, 0..8, None);
    let mut dimensions = None;
    let mut xmp_packets = super::XmpPackets::default();
    let mut first = true;
    let mut pos = 8u64;
    loop {
        if len - pos < 8 {
            return Err(ContainerError::Truncated(if pos == len {
                "PNG ends without an IEND chunk".into()
            } else {
                format!("PNG ends inside the chunk header at offset {pos}")
            }));
        }
        let mut header = [0u8; 8];
        r.read_at(pos, &mut header)?;
        let data_len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as u64;
        let ty: [u8; 4] = [header[4], header[5], header[6], header[7]];
        if data_len > MAX_CHUNK_LEN {
            return Err(FORMAT.malformed(format!("chunk at offset {pos} claims {data_len} bytes")));
        }
        if !ty.iter().all(u8::is_ascii_alphabetic) {
            return Err(FORMAT.malformed(format!("invalid chunk type at offset {pos}")));
        }
        let end = pos + 12 + data_len;
        if end > len {
            return Err(ContainerError::Truncated(format!(
                "PNG ends inside the {} chunk at offset {pos}",
                String::from_utf8_lossy(&ty)
            )));
        }
        if first != (&ty == b"IHDR") {
            return Err(FORMAT.malformed(if first {
                "first chunk is not IHDR"
            } else {
                "more than one IHDR chunk"
            }));
        }

        let mut kind = BlockKind::Other;
        let mut payload = None;
        match &ty {
            b"IHDR" => {
                if data_len != 13 {
                    return Err(FORMAT.malformed("IHDR chunk is not 13 bytes long"));
                }
                let d = read_chunk_data(r, pos, data_len)?;
                let width = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
                let height = u32::from_be_bytes([d[4], d[5], d[6], d[7]]);
                if width == 0 || height == 0 {
                    return Err(FORMAT.malformed("IHDR with zero width or height"));
                }
                dimensions = Some((width, height));
            }
            b"IDAT" => kind = BlockKind::ImageData,
            b"eXIf" => {
                kind = BlockKind::Exif;
                payload = Some(read_chunk_data(r, pos, data_len)?);
            }
            b"iCCP" => kind = BlockKind::Icc,
            b"caBX" => kind = BlockKind::C2pa,
            b"tEXt" | b"zTXt" | b"iTXt" => {
                let mut probe = [0u8; KEYWORD_PROBE as usize];
                let probe = &mut probe[..data_len.min(KEYWORD_PROBE) as usize];
                r.read_at(pos + 8, probe)?;
                // A text chunk without a valid keyword is not ours to
                // judge: it stays an opaque Other block.
                let keyword = split_nul(probe).map(|(k, _)| k);
                // The first XMP iTXt is the main packet. The PNG and XMP
                // specifications allow only one; readers take the first,
                // so that is the one to replace. Later copies are read but
                // kept as they are rather than dropped.
                let mut load = true;
                if &ty == b"iTXt" && keyword == Some(XMP_KEYWORD) {
                    (kind, load) = xmp_packets.next();
                } else if keyword == Some(IPTC_KEYWORD) || keyword == Some(IRB_KEYWORD) {
                    kind = BlockKind::RawIptcProfile;
                }
                if kind != BlockKind::Other && load {
                    let data = read_chunk_data(r, pos, data_len)?;
                    payload = Some(text_of(&ty, &data)?);
                }
            }
            _ => {}
        }
        match payload {
            Some(_) => blocks.push(kind, pos..end, payload),
            None => blocks.push_run(kind, pos..end, ty),
        }
        first = false;
        pos = end;
        if &ty == b"IEND" {
            break;
        }
    }
    if pos < len {
        // Bytes after IEND: not PNG, but kept byte for byte.
        blocks.push(BlockKind::Other, pos..len, None);
    }
    Ok(blocks.finish(FORMAT, len, dimensions))
}

/// A complete chunk: length, type, data, CRC.
fn chunk(ty: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = Vec::with_capacity(data.len() + 12);
    chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
    chunk.extend_from_slice(ty);
    chunk.extend_from_slice(data);
    let crc = crc32fast::hash(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    chunk
}

/// Builds a complete uncompressed XMP iTXt chunk (length, type, data, CRC).
fn xmp_chunk(packet: &[u8]) -> Result<Vec<u8>, ContainerError> {
    let limit = MAX_CHUNK_LEN as usize - ITXT_HEADER_LEN;
    if packet.len() > limit {
        return Err(ContainerError::XmpTooLarge {
            format: Format::Png.name(),
            size: packet.len(),
            limit,
        });
    }
    let mut data = Vec::with_capacity(ITXT_HEADER_LEN + packet.len());
    data.extend_from_slice(XMP_KEYWORD);
    // NUL after keyword, compression flag 0, method 0, empty language tag,
    // empty translated keyword.
    data.extend_from_slice(&[0, 0, 0, 0, 0]);
    data.extend_from_slice(packet);
    Ok(chunk(b"iTXt", &data))
}

/// Index of the block before which a new XMP chunk goes when the file has
/// none: the first IDAT, or IEND if there is no IDAT.
fn insertion_index<R: Read + Seek>(
    src: &mut BlockReader<R>,
    layout: &Layout,
) -> Result<usize, ContainerError> {
    if let Some(i) = layout
        .blocks
        .iter()
        .position(|b| b.kind == BlockKind::ImageData)
    {
        return Ok(i);
    }
    for (i, b) in layout.blocks.iter().enumerate().skip(1) {
        if b.range.end - b.range.start >= 12 {
            let mut ty = [0u8; 4];
            src.read_at(b.range.start + 4, &mut ty)?;
            if &ty == b"IEND" {
                return Ok(i);
            }
        }
    }
    Err(FORMAT.malformed("no IDAT or IEND chunk to put the XMP chunk before"))
}

/// The chunk `block` (a text chunk) with its text replaced by `text`: same
/// type, keyword and iTXt header, compressed if it was, new length and CRC.
fn text_chunk_with<R: Read + Seek>(
    src: &mut BlockReader<R>,
    block: &Block,
    text: &[u8],
) -> Result<Vec<u8>, ContainerError> {
    let mut ty = [0u8; 4];
    src.read_at(block.range.start + 4, &mut ty)?;
    let old = read_chunk_data(
        src,
        block.range.start,
        block.range.end - block.range.start - 12,
    )?;
    let (keyword, rest) =
        split_nul(&old).ok_or_else(|| FORMAT.malformed("text chunk without keyword"))?;
    let deflate = |data: &[u8]| -> Result<Vec<u8>, ContainerError> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(data)?;
        Ok(z.finish()?)
    };
    let mut data = keyword.to_vec();
    data.push(0);
    match &ty {
        b"tEXt" => data.extend_from_slice(text),
        b"zTXt" => {
            data.push(0);
            data.extend(deflate(text)?);
        }
        _ => {
            let bad = || FORMAT.malformed("truncated iTXt header");
            let (&flag, after) = rest.split_first().ok_or_else(bad)?;
            let (_, after) = after.split_first().ok_or_else(bad)?;
            let (language, after) = split_nul(after).ok_or_else(bad)?;
            let (translated, _) = split_nul(after).ok_or_else(bad)?;
            data.extend_from_slice(&[flag, 0]);
            data.extend_from_slice(language);
            data.push(0);
            data.extend_from_slice(translated);
            data.push(0);
            if flag == 1 {
                data.extend(deflate(text)?);
            } else {
                data.extend_from_slice(text);
            }
        }
    }
    if data.len() as u64 > MAX_CHUNK_LEN {
        return Err(FORMAT.malformed("rewritten text chunk too large"));
    }
    Ok(chunk(&ty, &data))
}

/// Writes `src` to `dst` with its XMP `iTXt` chunk replaced, inserted or
/// removed (when `edit` says so) and the raw profile chunks that start at
/// the given offsets holding new text; every other byte is copied unchanged.
pub fn rewrite<R: Read + Seek, W: Write>(
    src: &mut R,
    layout: &Layout,
    edit: Option<&XmpEdit>,
    raw_profiles: &[(u64, Vec<u8>)],
    dst: &mut W,
) -> Result<(), ContainerError> {
    let mut src = BlockReader::new(src)?.for_format(FORMAT);
    check_layout(layout, FORMAT, src.len())?;
    let new_chunk = match edit {
        Some(XmpEdit::Replace(packet)) => Some(xmp_chunk(packet)?),
        Some(XmpEdit::Remove) | None => None,
    };
    let xmp_at = match edit {
        Some(_) => layout.blocks.iter().position(|b| b.kind == BlockKind::Xmp),
        None => None,
    };
    let mut edits = Vec::new();
    match (new_chunk, xmp_at) {
        (Some(chunk), Some(i)) => edits.push((i, BlockEdit::Replace(chunk))),
        (None, Some(i)) => edits.push((i, BlockEdit::Drop)),
        (Some(chunk), None) => edits.push((
            insertion_index(&mut src, layout)?,
            BlockEdit::InsertBefore(chunk),
        )),
        (None, None) => {}
    }
    for (i, block) in layout.blocks.iter().enumerate() {
        if block.kind != BlockKind::RawIptcProfile {
            continue;
        }
        if let Some((_, text)) = raw_profiles.iter().find(|(at, _)| *at == block.range.start) {
            let chunk = text_chunk_with(&mut src, block, text)?;
            edits.push((i, BlockEdit::Replace(chunk)));
        }
    }
    splice(src.inner(), layout, &edits, dst)
}

/// PNG's [`Container`](super::Container).
pub(crate) struct Png;

impl super::Container for Png {
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
        rewrite(src, layout, edit.xmp.as_ref(), &edit.png_raw_profiles, dst)
    }

    /// The text of an uncompressed `iTXt` `XML:com.adobe.xmp`: after the
    /// length, type, keyword and its NUL, compression flag and method,
    /// language tag and translated keyword; the CRC follows it.
    fn packet_bytes<R: Read + Seek>(
        reader: &mut BlockReader<R>,
        _: &Layout,
        block: &Block,
    ) -> Result<Option<PacketBytes>, ContainerError> {
        let range = &block.range;
        let probe_len = (range.end - range.start).min(8 + 1024) as usize;
        let head = reader.read_vec(range.start, probe_len)?;
        if head.get(4..8) != Some(b"iTXt") || !head[8..].starts_with(XMP_KEYWORD) {
            return Ok(None);
        }
        let mut at = 8 + XMP_KEYWORD.len();
        if head.get(at) != Some(&0) || head.get(at + 1) != Some(&0) {
            return Ok(None); // compressed, or not a keyword end
        }
        at += 3;
        for _ in 0..2 {
            let Some(nul) = head[at.min(head.len())..].iter().position(|b| *b == 0) else {
                return Ok(None);
            };
            at += nul + 1;
        }
        let start = range.start + at as u64;
        let Some(end) = range.end.checked_sub(4).filter(|end| *end >= start) else {
            return Ok(None);
        };
        Ok(Some(PacketBytes {
            packet: start..end,
            crc_prefix: Some(head[4..at].to_vec()),
        }))
    }

    /// The data of the `caBX` chunks: after length and type, before the CRC.
    fn manifest_store(blocks: &[Vec<u8>]) -> Vec<u8> {
        super::chunk_data(blocks, 8, 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::testing::{
        assert_covers, exercise, exercise_corruptions, kinds, noise, rewrite_bytes, xorshift,
        Counting,
    };
    use crate::container::verify_preserved;
    use std::io::Cursor;

    fn scan_bytes(b: &[u8]) -> Result<Layout, ContainerError> {
        scan(&mut Cursor::new(b))
    }

    fn chunk(ty: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = (data.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(ty);
        v.extend_from_slice(data);
        let crc = crc32fast::hash(&v[4..]);
        v.extend_from_slice(&crc.to_be_bytes());
        v
    }

    fn ihdr(w: u32, h: u32) -> Vec<u8> {
        let mut d = w.to_be_bytes().to_vec();
        d.extend_from_slice(&h.to_be_bytes());
        d.extend_from_slice(&[8, 2, 0, 0, 0]);
        chunk(b"IHDR", &d)
    }

    fn idat(len: usize, seed: u32) -> Vec<u8> {
        chunk(b"IDAT", &noise(len, seed))
    }

    fn iend() -> Vec<u8> {
        chunk(b"IEND", b"")
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn itxt(keyword: &[u8], compressed: bool, text: &[u8]) -> Vec<u8> {
        let mut d = keyword.to_vec();
        d.extend_from_slice(&[0, compressed as u8, 0]);
        d.extend_from_slice(b"en\0Translated\0");
        if compressed {
            d.extend(zlib(text));
        } else {
            d.extend_from_slice(text);
        }
        chunk(b"iTXt", &d)
    }

    fn text(keyword: &[u8], t: &[u8]) -> Vec<u8> {
        let mut d = keyword.to_vec();
        d.push(0);
        d.extend_from_slice(t);
        chunk(b"tEXt", &d)
    }

    fn ztxt(keyword: &[u8], t: &[u8]) -> Vec<u8> {
        let mut d = keyword.to_vec();
        d.extend_from_slice(&[0, 0]);
        d.extend(zlib(t));
        chunk(b"zTXt", &d)
    }

    fn png(chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut v = SIGNATURE.to_vec();
        for c in chunks {
            v.extend_from_slice(c);
        }
        v
    }

    fn is_xmp_chunk(c: &img_parts::png::PngChunk) -> bool {
        &c.kind() == b"iTXt" && c.contents().starts_with(b"XML:com.adobe.xmp\0")
    }

    /// Checks a rewrite with verify_preserved and with img-parts (every
    /// non-XMP chunk identical and in the same order); returns the layout.
    fn check_preserved(old: &[u8], new: &[u8]) -> Layout {
        let lo = scan_bytes(old).unwrap();
        let ln = scan_bytes(new).unwrap();
        verify_preserved(&mut Cursor::new(old), &lo, &mut Cursor::new(new), &ln).unwrap();
        let parse = |b: &[u8]| {
            let p = img_parts::png::Png::from_bytes(b.to_vec().into()).expect("img-parts parses");
            p.chunks()
                .iter()
                .filter(|c| !is_xmp_chunk(c))
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(parse(old), parse(new));
        ln
    }

    fn packet_of_new(new: &[u8]) -> Vec<u8> {
        let p = img_parts::png::Png::from_bytes(new.to_vec().into()).unwrap();
        let xmp: Vec<_> = p.chunks().iter().filter(|c| is_xmp_chunk(c)).collect();
        assert_eq!(xmp.len(), 1);
        let c = xmp[0].contents();
        assert_eq!(&c[..ITXT_HEADER_LEN], b"XML:com.adobe.xmp\0\0\0\0\0");
        c[ITXT_HEADER_LEN..].to_vec()
    }

    #[test]
    fn scan_classifies_chunks() {
        let iptc = b"\nIPTC\n      10\n1c0205000448656c6c6f\n";
        let file = png(&[
            ihdr(640, 480),
            chunk(b"iCCP", b"sRGB\0\0\x78\x9c"),
            chunk(b"eXIf", b"MM\0\x2a\0\0\0\x08\0\0"),
            itxt(XMP_KEYWORD, false, b"<x:xmpmeta/>"),
            text(b"Comment", b"hello"),
            ztxt(IPTC_KEYWORD, iptc),
            chunk(b"caBX", b"jumb"),
            idat(100, 1),
            idat(50, 2),
            chunk(b"tIME", &[7, 0xE9, 1, 1, 0, 0, 0]),
            iend(),
        ]);
        let l = scan_bytes(&file).unwrap();
        use BlockKind::*;
        assert_eq!(
            kinds(&l),
            [
                Other,
                Other,
                Icc,
                Exif,
                Xmp,
                Other,
                RawIptcProfile,
                C2pa,
                ImageData,
                Other,
                Other
            ]
        );
        assert_eq!(l.dimensions, Some((640, 480)));
        assert_eq!(l.xmp(), Some(&b"<x:xmpmeta/>"[..]));
        assert_eq!(
            l.blocks_of(RawIptcProfile)
                .next()
                .unwrap()
                .payload
                .as_deref(),
            Some(&iptc[..])
        );
        assert_eq!(
            l.blocks_of(Exif).next().unwrap().payload.as_deref(),
            Some(&b"MM\0\x2a\0\0\0\x08\0\0"[..])
        );
        for b in &l.blocks {
            let loaded = matches!(b.kind, Xmp | Exif | RawIptcProfile);
            assert_eq!(b.payload.is_some(), loaded, "{:?}", b.kind);
        }
        assert_covers(&l, file.len());
    }

    #[test]
    fn text_variants_are_decoded() {
        let packet = b"<x:xmpmeta>compressed</x:xmpmeta>";
        let file = png(&[
            ihdr(1, 1),
            itxt(XMP_KEYWORD, true, packet),
            text(IPTC_KEYWORD, b"plain iptc"),
            itxt(IPTC_KEYWORD, true, b"itxt iptc"),
            itxt(XMP_KEYWORD, false, b"second"),
            text(XMP_KEYWORD, b"not iTXt"),
            idat(10, 3),
            iend(),
        ]);
        let l = scan_bytes(&file).unwrap();
        use BlockKind::*;
        assert_eq!(
            kinds(&l),
            [
                Other,
                Other,
                Xmp,
                RawIptcProfile,
                RawIptcProfile,
                LaterXmp,
                Other,
                ImageData,
                Other
            ]
        );
        assert_eq!(l.xmp(), Some(&packet[..]));
        assert_eq!(l.blocks[5].payload.as_deref(), Some(&b"second"[..]));
        let iptc: Vec<_> = l
            .blocks_of(RawIptcProfile)
            .map(|b| b.payload.clone().unwrap())
            .collect();
        assert_eq!(iptc, [b"plain iptc".to_vec(), b"itxt iptc".to_vec()]);
        // Replacing a compressed packet writes an uncompressed one in place.
        let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<new/>".to_vec())).unwrap();
        let ln = check_preserved(&file, &out);
        assert_eq!(ln.blocks[2].kind, Xmp);
        assert_eq!(ln.xmp(), Some(&b"<new/>"[..]));
    }

    #[test]
    fn replace_inserts_before_first_idat() {
        let file = png(&[
            ihdr(3, 2),
            chunk(b"gAMA", &[0, 0, 0xB1, 0x8F]),
            idat(30, 1),
            idat(30, 2),
            iend(),
        ]);
        let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<ins/>".to_vec())).unwrap();
        let l = check_preserved(&file, &out);
        use BlockKind::*;
        assert_eq!(kinds(&l), [Other, Other, Other, Xmp, ImageData, Other]);
        assert_eq!(packet_of_new(&out), b"<ins/>");
        assert_eq!(l.xmp(), Some(&b"<ins/>"[..]));

        // No IDAT at all: before IEND.
        let file = png(&[ihdr(3, 2), iend()]);
        let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<p/>".to_vec())).unwrap();
        let l = check_preserved(&file, &out);
        assert_eq!(kinds(&l), [Other, Other, Xmp, Other]);
    }

    #[test]
    fn replace_keeps_position_before_and_after_idat() {
        for before in [true, false] {
            let mut chunks = vec![ihdr(5, 5), idat(40, 9), iend()];
            let at = if before { 1 } else { 2 };
            chunks.insert(at, itxt(XMP_KEYWORD, false, b"old"));
            let file = png(&chunks);
            let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<replaced/>".to_vec())).unwrap();
            let l = check_preserved(&file, &out);
            assert_eq!(l.blocks[at + 1].kind, BlockKind::Xmp);
            assert_eq!(l.xmp(), Some(&b"<replaced/>"[..]));
            assert_eq!(packet_of_new(&out), b"<replaced/>");
        }
    }

    #[test]
    fn remove_and_trailing_bytes() {
        let mut file = png(&[
            ihdr(5, 5),
            idat(40, 9),
            itxt(XMP_KEYWORD, false, b"old"),
            iend(),
        ]);
        file.extend_from_slice(b"trailing junk");
        let l = scan_bytes(&file).unwrap();
        assert_eq!(l.blocks.last().unwrap().kind, BlockKind::Other);
        assert_eq!(
            l.blocks.last().unwrap().range.end - l.blocks.last().unwrap().range.start,
            13
        );
        let out = rewrite_bytes(&file, &XmpEdit::Remove).unwrap();
        let ln = scan_bytes(&out).unwrap();
        verify_preserved(&mut Cursor::new(&file), &l, &mut Cursor::new(&out), &ln).unwrap();
        assert!(!ln.has(BlockKind::Xmp));
        assert!(out.ends_with(b"trailing junk"));
        assert_eq!(rewrite_bytes(&out, &XmpEdit::Remove).unwrap(), out);
    }

    #[test]
    fn errors() {
        let good = png(&[ihdr(2, 2), idat(10, 1), iend()]);
        assert!(matches!(scan_bytes(b""), Err(ContainerError::Empty)));
        assert!(matches!(
            scan_bytes(b"\x89PN"),
            Err(ContainerError::Truncated(_))
        ));
        assert!(matches!(
            scan_bytes(b"\x89PNx\r\n\x1a\n"),
            Err(ContainerError::Malformed { .. })
        ));
        // Missing IEND.
        let no_iend = &good[..good.len() - 12];
        assert!(matches!(
            scan_bytes(no_iend),
            Err(ContainerError::Truncated(_))
        ));
        // Length over 2^31 - 1.
        let mut huge = good.clone();
        huge[33..37].copy_from_slice(&0x8000_0000u32.to_be_bytes());
        assert!(matches!(
            scan_bytes(&huge),
            Err(ContainerError::Malformed { .. })
        ));
        // Length past end of file.
        let mut long = good.clone();
        long[33..37].copy_from_slice(&0x1000_0000u32.to_be_bytes());
        assert!(matches!(
            scan_bytes(&long),
            Err(ContainerError::Truncated(_))
        ));
        // IHDR not first; IHDR with zero width.
        let bad_order = png(&[idat(10, 1), ihdr(2, 2), iend()]);
        assert!(matches!(
            scan_bytes(&bad_order),
            Err(ContainerError::Malformed { .. })
        ));
        let zero = png(&[ihdr(0, 2), iend()]);
        assert!(matches!(
            scan_bytes(&zero),
            Err(ContainerError::Malformed { .. })
        ));
        // Bad CRC on the XMP chunk is Malformed; on IDAT it is not checked.
        let mut x = itxt(XMP_KEYWORD, false, b"<x/>");
        let n = x.len();
        x[n - 1] ^= 1;
        let bad_crc = png(&[ihdr(2, 2), x, idat(10, 1), iend()]);
        assert!(matches!(
            scan_bytes(&bad_crc),
            Err(ContainerError::Malformed { .. })
        ));
        let mut d = idat(10, 1);
        let n = d.len();
        d[n - 1] ^= 1;
        assert!(scan_bytes(&png(&[ihdr(2, 2), d, iend()])).is_ok());
        // Compressed XMP that does not inflate.
        let mut bad_z = XMP_KEYWORD.to_vec();
        bad_z.extend_from_slice(b"\0\x01\0\0\0not zlib");
        let f = png(&[ihdr(2, 2), chunk(b"iTXt", &bad_z), iend()]);
        assert!(matches!(
            scan_bytes(&f),
            Err(ContainerError::Malformed { .. })
        ));
    }

    #[test]
    fn inflation_is_bounded() {
        let bomb = vec![0u8; MAX_INFLATED as usize + 1];
        let f = png(&[ihdr(2, 2), itxt(XMP_KEYWORD, true, &bomb), iend()]);
        assert!(f.len() < 200_000);
        assert!(matches!(
            scan_bytes(&f),
            Err(ContainerError::Unsupported(_))
        ));
    }

    #[test]
    fn scan_skips_image_data_and_reads_packed_chunks_in_windows() {
        let mut chunks = vec![ihdr(1000, 1000), itxt(XMP_KEYWORD, false, b"<x/>")];
        chunks.push(idat(4 << 20, 5));
        for i in 0..64 {
            chunks.push(idat(8 * 1024, i));
        }
        for i in 0..2_000 {
            chunks.push(idat(100, i));
        }
        chunks.push(iend());
        let file = png(&chunks);
        let mut r = Counting::new(Cursor::new(&file));
        let l = scan(&mut r).unwrap();
        assert_eq!(l.xmp(), Some(&b"<x/>"[..]));
        // The 4 MiB chunk and the data of the 8 KiB ones are passed over;
        // the 2,000 headers 112 bytes apart are read in a few windows.
        assert!(r.read < 512 * 1024, "read {} bytes", r.read);
        assert!(r.calls < 64 + 16, "{} reads", r.calls);
    }

    #[test]
    fn adjacent_idats_fold_into_one_block() {
        let mut chunks = vec![ihdr(100, 100), chunk(b"gAMA", &[0, 0, 0xB1, 0x8F])];
        for i in 0..10_000 {
            chunks.push(idat(3, i));
        }
        chunks.push(text(b"Comment", b"between"));
        chunks.push(idat(3, 1));
        chunks.push(iend());
        let file = png(&chunks);
        let l = scan_bytes(&file).unwrap();
        use BlockKind::*;
        assert_eq!(
            kinds(&l),
            [Other, Other, Other, ImageData, Other, ImageData, Other]
        );
        let idats = &l.blocks[3];
        assert_eq!(idats.range.end - idats.range.start, 10_000 * 15);
        let out = rewrite_bytes(&file, &XmpEdit::Replace(b"<x/>".to_vec())).unwrap();
        let ln = check_preserved(&file, &out);
        assert_eq!(ln.blocks.len(), l.blocks.len() + 1);
    }

    #[test]
    fn a_packet_between_idats_is_removed_though_the_runs_merge() {
        let file = png(&[
            ihdr(4, 4),
            idat(20, 1),
            itxt(XMP_KEYWORD, false, b"<x/>"),
            idat(20, 2),
            iend(),
        ]);
        let out = rewrite_bytes(&file, &XmpEdit::Remove).unwrap();
        let l = check_preserved(&file, &out);
        use BlockKind::*;
        assert_eq!(kinds(&l), [Other, Other, ImageData, Other]);
        // A byte changed inside the merged run is still caught.
        let mut bad = out.clone();
        let n = bad.len();
        bad[n - 20] ^= 1;
        let lo = scan_bytes(&file).unwrap();
        let lb = scan_bytes(&bad).unwrap();
        assert!(
            verify_preserved(&mut Cursor::new(&file), &lo, &mut Cursor::new(&bad), &lb).is_err()
        );
    }

    #[test]
    fn truncations_and_corruptions_never_panic() {
        let file = png(&[
            ihdr(16, 16),
            chunk(b"eXIf", b"MM\0\x2a\0\0\0\x08\0\0"),
            itxt(XMP_KEYWORD, true, b"<x:xmpmeta>packet</x:xmpmeta>"),
            ztxt(IPTC_KEYWORD, b"\nIPTC\n 2\nabcd\n"),
            text(b"Title", b"t"),
            idat(64, 4),
            iend(),
        ]);
        for n in 0..file.len() {
            assert!(!exercise(&file[..n]), "prefix of {n} bytes accepted");
        }
        assert!(exercise(&file));
        assert!(exercise_corruptions(&file, 0x2545_F491_4F6C_DD1D, 400, file.len()) > 0);
        let mut state = 11u64;
        for len in [1usize, 8, 9, 33, 1000] {
            let garbage: Vec<u8> = (0..len).map(|_| xorshift(&mut state) as u8).collect();
            assert!(scan_bytes(&garbage).is_err());
        }
        // A valid signature followed by garbage.
        let mut g = SIGNATURE.to_vec();
        g.extend((0..500).map(|_| xorshift(&mut state) as u8));
        assert!(scan_bytes(&g).is_err());
    }
}
