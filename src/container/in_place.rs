//! Where the main XMP packet's bytes sit in a file, so that a new packet of
//! exactly the same length can be written over them without rewriting the
//! file (XMP's padding exists for this: updates in place).
//!
//! This layer knows bytes: which range of the file the packet occupies,
//! what else an overwrite must change (a PNG chunk's CRC), and whether the
//! container lets the packet be overwritten on its own (stored
//! uncompressed, nothing else in the file depending on it).

use std::io::{Read, Seek};
use std::ops::Range;

use super::{BlockKind, ContainerError, Layout};

/// Where the main XMP packet of a file can be overwritten in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketSite {
    /// The packet's bytes in the file (exactly the block's payload).
    pub packet: Range<u64>,
    /// The whole block holding it (segment or chunk, headers included):
    /// an overwrite never leaves it.
    pub block: Range<u64>,
    /// PNG: the chunk type and the data before the packet (the iTXt
    /// header), over which, with the packet, the chunk's CRC is computed;
    /// the CRC follows the packet.
    png_crc_prefix: Option<Vec<u8>>,
}

/// What an in-place overwrite writes: `bytes` at `offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overwrite {
    /// Where the bytes go in the file.
    pub offset: u64,
    /// The new packet (followed, for PNG, by the chunk's new CRC).
    pub bytes: Vec<u8>,
}

impl Overwrite {
    /// The file range the overwrite covers.
    pub fn range(&self) -> Range<u64> {
        self.offset..self.offset + self.bytes.len() as u64
    }
}

impl PacketSite {
    /// The overwrite that puts `packet` in place of the old one, or `None`
    /// when its length differs (an in-place write must not move a byte of
    /// anything else).
    pub fn overwrite(&self, packet: &[u8]) -> Option<Overwrite> {
        if packet.len() as u64 != self.packet.end - self.packet.start {
            return None;
        }
        let mut bytes = packet.to_vec();
        if let Some(prefix) = &self.png_crc_prefix {
            bytes.extend_from_slice(&crc_of(prefix, packet));
        }
        let overwrite = Overwrite {
            offset: self.packet.start,
            bytes,
        };
        let range = overwrite.range();
        // The one invariant everything else rests on: the write stays
        // inside the packet's own block.
        assert!(
            self.block.start <= range.start && range.end <= self.block.end,
            "in-place overwrite {range:?} leaves its block {:?}",
            self.block
        );
        Some(overwrite)
    }
}

/// A PNG chunk's CRC over its type and data (`prefix`, then `packet`).
fn crc_of(prefix: &[u8], packet: &[u8]) -> [u8; 4] {
    let mut crc = crc32fast::Hasher::new();
    crc.update(prefix);
    crc.update(packet);
    crc.finalize().to_be_bytes()
}

/// Finds where the main XMP packet of a file (described by `layout`, from a
/// scan of the same bytes) may be overwritten in place: a JPEG's main XMP
/// APP1, an uncompressed PNG `iTXt`, a WebP `XMP ` chunk whose VP8X already
/// says the file has XMP. `None` when the file has no packet or stores it
/// in a way only a rewrite can change (compressed, a flag to set). The
/// bytes found are checked against the packet the scan read (and a PNG
/// chunk's CRC against them): an overwrite of the site changes nothing a
/// scan of the file would see but the packet.
pub fn locate<R: Read + Seek>(
    reader: &mut R,
    layout: &Layout,
) -> Result<Option<PacketSite>, ContainerError> {
    let Some(block) = layout.blocks_of(BlockKind::Xmp).next() else {
        return Ok(None);
    };
    let Some(payload) = block.payload.as_deref() else {
        return Ok(None);
    };
    let range = block.range.clone();
    let mut blocks = super::walk::BlockReader::new(reader)?.for_format(layout.format);
    let site =
        super::packet_bytes(&mut blocks, layout, block)?.map(|site| (site.packet, site.crc_prefix));
    let Some((packet, png_crc_prefix)) = site else {
        return Ok(None);
    };
    if packet.end > range.end || packet.end - packet.start != payload.len() as u64 {
        return Ok(None);
    }
    let stored = blocks.read_vec(packet.start, payload.len())?;
    if stored != payload {
        return Ok(None);
    }
    // PNG: the chunk's stored CRC is that of the prefix found and the
    // packet, so the CRC an overwrite computes over the same prefix is
    // right too.
    if let Some(prefix) = &png_crc_prefix {
        let stored_crc = blocks.read_vec(packet.end, 4)?;
        if stored_crc != crc_of(prefix, payload) {
            return Ok(None);
        }
    }
    Ok(Some(PacketSite {
        packet,
        block: range,
        png_crc_prefix,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    /// WebP: the VP8X flag that says the file has an `XMP ` chunk.
    const WEBP_FLAG_XMP: u8 = 0x04;
    /// PNG: the main XMP `iTXt` keyword.
    const PNG_XMP_KEYWORD: &[u8] = b"XML:com.adobe.xmp";
    use crate::container::scan;
    use std::io::Cursor;

    use crate::test_support::sample;

    fn site_of(bytes: &[u8]) -> Option<PacketSite> {
        let mut r = Cursor::new(bytes);
        let layout = scan(&mut r).unwrap();
        locate(&mut r, &layout).unwrap()
    }

    #[test]
    fn the_site_holds_exactly_the_packet_the_scan_read() {
        for rel in [
            "tagged/ccsig-cr-op.jpg",
            "tagged/ccsig-cr.png",
            "tagged/ccsig-ec.webp",
        ] {
            let bytes = sample(rel);
            let layout = scan(&mut Cursor::new(&bytes)).unwrap();
            let site = site_of(&bytes).unwrap_or_else(|| panic!("{rel}: no site"));
            let r = site.packet.start as usize..site.packet.end as usize;
            assert_eq!(Some(&bytes[r]), layout.xmp(), "{rel}");
        }
    }

    #[test]
    fn a_webp_whose_header_does_not_announce_its_packet_has_no_site() {
        let mut bytes = sample("tagged/ccsig-ec.webp");
        let vp8x = bytes.windows(4).position(|w| w == b"VP8X").unwrap();
        assert_ne!(bytes[vp8x + 8] & WEBP_FLAG_XMP, 0);
        bytes[vp8x + 8] &= !WEBP_FLAG_XMP;
        // The packet is still read (readers may ignore the flag), but a
        // write must set the flag, which only a rewrite does.
        assert!(scan(&mut Cursor::new(&bytes)).unwrap().xmp().is_some());
        assert!(site_of(&bytes).is_none());
    }

    #[test]
    fn an_overwrite_of_another_length_is_refused() {
        let bytes = sample("tagged/ccsig-cr-op.jpg");
        let site = site_of(&bytes).unwrap();
        let len = (site.packet.end - site.packet.start) as usize;
        assert!(site.overwrite(&vec![b' '; len + 1]).is_none());
        assert!(site.overwrite(&vec![b' '; len - 1]).is_none());
        let o = site.overwrite(&vec![b' '; len]).unwrap();
        assert_eq!(o.range(), site.packet);
    }

    #[test]
    fn a_png_overwrite_carries_the_chunk_crc() {
        let bytes = sample("tagged/ccsig-cr.png");
        let site = site_of(&bytes).unwrap();
        let packet = &bytes[site.packet.start as usize..site.packet.end as usize];
        // The same packet again: the CRC written is the one stored.
        let o = site.overwrite(packet).unwrap();
        assert_eq!(o.range().end, site.block.end);
        assert_eq!(
            &o.bytes[..],
            &bytes[site.packet.start as usize..site.block.end as usize]
        );
    }

    #[test]
    fn a_compressed_png_packet_has_no_site() {
        // Turn the stored packet into a compressed iTXt (flag 1).
        use img_parts::png::{Png, PngChunk};
        use std::io::Write;
        let bytes = sample("tagged/ccsig-cr.png");
        let mut png = Png::from_bytes(bytes.into()).unwrap();
        for c in png.chunks_mut() {
            if &c.kind() == b"iTXt" && c.contents().starts_with(PNG_XMP_KEYWORD) {
                let text = c.contents()[PNG_XMP_KEYWORD.len() + 5..].to_vec();
                let mut z = flate2::write::ZlibEncoder::new(Vec::new(), Default::default());
                z.write_all(&text).unwrap();
                let mut data = PNG_XMP_KEYWORD.to_vec();
                data.extend_from_slice(&[0, 1, 0, 0, 0]);
                data.extend(z.finish().unwrap());
                *c = PngChunk::new(*b"iTXt", data.into());
            }
        }
        let compressed = png.encoder().bytes().to_vec();
        assert!(scan(&mut Cursor::new(&compressed)).unwrap().xmp().is_some());
        assert!(site_of(&compressed).is_none());
    }
}
