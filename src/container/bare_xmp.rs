//! A file that is an XMP packet and nothing else: a sidecar named directly
//! (`ccsig read IMG_0001.xmp`). It is one block, the packet, which is
//! also its payload.

use super::walk::BlockReader;
use super::{BlockKind, ContainerError, Format, Layout};
use std::io::{Read, Seek};

/// Sidecars larger than this are not XMP packets ccsig will load.
pub const MAX_SIDECAR_BYTES: u64 = 16 * 1024 * 1024;

/// How far into the file the `x:xmpmeta` or `rdf:RDF` element must begin.
const PROBE: usize = 4096;

/// Whether `head` (the first bytes of a file) may begin an XMP packet: after
/// a byte order mark and white space, `<?xpacket`, `<x:xmpmeta`, or an XML
/// declaration (then the probe of [`scan_blocks`] decides).
pub(crate) fn may_begin(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace());
    let text = &text[start.unwrap_or(text.len())..];
    [
        b"<?xpacket".as_slice(),
        b"<x:xmpmeta",
        b"<x:xapmeta",
        b"<?xml",
    ]
    .iter()
    .any(|p| text.starts_with(&p[..p.len().min(text.len())]) && text.len() >= 5)
}

/// The layout of an XMP file: the whole file is the packet. An XML file
/// with no `x:xmpmeta` or `rdf:RDF` element near its start (an SVG, a
/// feed) is not XMP.
pub(crate) fn scan_blocks<R: Read + Seek>(
    reader: &mut BlockReader<R>,
) -> Result<Layout, ContainerError> {
    let len = reader.len();
    let mut probe = vec![0u8; PROBE.min(len as usize)];
    let got = reader.read_up_to_at(0, &mut probe)?;
    let probe = &probe[..got];
    let holds = |needle: &[u8]| probe.windows(needle.len()).any(|w| w == needle);
    if !(holds(b"xmpmeta") || holds(b"xapmeta") || holds(b"<rdf:RDF")) {
        return Err(ContainerError::UnknownFormat);
    }
    if len > MAX_SIDECAR_BYTES {
        return Err(ContainerError::Unsupported(format!(
            "an XMP file of {len} bytes is larger than the {MAX_SIDECAR_BYTES} bytes ccsig \
             loads: not a sidecar"
        )));
    }
    let packet = reader.read_vec(0, len as usize)?;
    Ok(Layout {
        format: Format::Xmp,
        blocks: vec![super::Block {
            kind: BlockKind::Xmp,
            range: 0..len,
            payload: Some(packet),
        }],
        len,
        dimensions: None,
        fixed_xmp_len: None,
    })
}

/// A sidecar's [`Container`](super::Container): read, never rewritten as
/// an image (sidecars are written whole, by `sidecar`).
pub(crate) struct BareXmp;

impl super::Container for BareXmp {
    fn scan_blocks<R: Read + Seek>(
        reader: &mut BlockReader<R>,
        _: Format,
    ) -> Result<Layout, ContainerError> {
        scan_blocks(reader)
    }

    fn manifest_store(_: &[Vec<u8>]) -> Vec<u8> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_are_recognised_and_other_xml_is_not() {
        assert!(may_begin(b"<?xpacket begin="));
        assert!(may_begin(b"\xEF\xBB\xBF\n <x:xmpmeta xmlns"));
        assert!(may_begin(b"<?xml version="));
        assert!(!may_begin(b"<html><body>"));
        assert!(!may_begin(b"\xFF\xD8\xFF"));
        let svg = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>";
        let mut cursor = std::io::Cursor::new(svg.to_vec());
        let mut reader = BlockReader::new(&mut cursor).unwrap();
        assert!(matches!(
            scan_blocks(&mut reader),
            Err(ContainerError::UnknownFormat)
        ));
    }
}
