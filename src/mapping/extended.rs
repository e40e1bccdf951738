//! JPEG Extended XMP: the part of a packet too large for one APP1 segment,
//! split over segments that each carry the extension's GUID, its full
//! length and the chunk's offset (XMP Specification Part 3, 1.1.3.1). The
//! GUID is the MD5 digest of the whole extension, in upper-case hex, and
//! the main packet names it in `xmpNote:HasExtendedXMP`.
//!
//! ccsig reads the extension but never rewrites it: its segments stay
//! byte-identical, and so the GUID stays valid.

use md5::{Digest, Md5};

/// GUID (32 hex digits), full length and offset (two big-endian u32).
const HEADER_LEN: usize = 32 + 4 + 4;

/// Why an extension was ignored.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExtensionError {
    #[error("the main packet names no extension (no xmpNote:HasExtendedXMP)")]
    NotNamed,
    #[error("no Extended XMP segment carries the GUID {0} that the main packet names")]
    Missing(String),
    #[error("an Extended XMP segment is too short for its header")]
    ShortSegment,
    #[error("the segments of extension {0} disagree on its length")]
    Length(String),
    #[error("the segments of extension {0} overlap or leave a gap")]
    Chunks(String),
    #[error("extension {guid}: its MD5 digest is {digest}, not its GUID")]
    Digest { guid: String, digest: String },
}

/// One segment's slice of an extension.
struct Chunk<'a> {
    guid: &'a [u8],
    full_len: u32,
    offset: u32,
    data: &'a [u8],
}

fn chunk(payload: &[u8]) -> Result<Chunk<'_>, ExtensionError> {
    if payload.len() < HEADER_LEN {
        return Err(ExtensionError::ShortSegment);
    }
    let be = |at: usize| {
        u32::from_be_bytes([
            payload[at],
            payload[at + 1],
            payload[at + 2],
            payload[at + 3],
        ])
    };
    Ok(Chunk {
        guid: &payload[..32],
        full_len: be(32),
        offset: be(36),
        data: &payload[HEADER_LEN..],
    })
}

/// Reassembles the extension named `guid` (from `xmpNote:HasExtendedXMP`)
/// out of the Extended XMP segment payloads (after the namespace prefix),
/// in any order. Segments of other GUIDs are left out. The chunks must
/// tile the extension exactly, and its MD5 digest must be the GUID.
pub fn assemble(guid: Option<&str>, payloads: &[&[u8]]) -> Result<Vec<u8>, ExtensionError> {
    let guid = guid.ok_or(ExtensionError::NotNamed)?.trim();
    let mut chunks = Vec::new();
    for payload in payloads {
        let c = chunk(payload)?;
        if c.guid.eq_ignore_ascii_case(guid.as_bytes()) {
            chunks.push(c);
        }
    }
    let Some(first) = chunks.first() else {
        return Err(ExtensionError::Missing(guid.to_string()));
    };
    let full_len = first.full_len;
    if chunks.iter().any(|c| c.full_len != full_len) {
        return Err(ExtensionError::Length(guid.to_string()));
    }
    chunks.sort_by_key(|c| c.offset);
    // Each chunk must start where the one before ended; widen to u64 so no
    // length in a hostile file can overflow.
    let mut next: u64 = 0;
    for c in &chunks {
        if u64::from(c.offset) != next {
            return Err(ExtensionError::Chunks(guid.to_string()));
        }
        next += c.data.len() as u64;
    }
    if next != u64::from(full_len) {
        return Err(ExtensionError::Chunks(guid.to_string()));
    }
    let whole: Vec<u8> = chunks.iter().flat_map(|c| c.data.iter().copied()).collect();
    let digest: String = Md5::digest(&whole)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    if !digest.eq_ignore_ascii_case(guid) {
        return Err(ExtensionError::Digest {
            guid: guid.to_string(),
            digest,
        });
    }
    Ok(whole)
}

/// The payloads of the Extended XMP segments that carry `extension`, split
/// into chunks of at most `chunk_len` bytes: how a writer stores it (used
/// by the tests to build files).
pub fn split(extension: &[u8], chunk_len: usize) -> (String, Vec<Vec<u8>>) {
    let guid: String = Md5::digest(extension)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let full_len = extension.len() as u32;
    let payloads = extension
        .chunks(chunk_len.max(1))
        .enumerate()
        .map(|(i, data)| {
            let mut p = guid.as_bytes().to_vec();
            p.extend_from_slice(&full_len.to_be_bytes());
            p.extend_from_slice(&((i * chunk_len) as u32).to_be_bytes());
            p.extend_from_slice(data);
            p
        })
        .collect();
    (guid, payloads)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXTENSION: &[u8] = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>the extension</x:xmpmeta>";

    fn refs(p: &[Vec<u8>]) -> Vec<&[u8]> {
        p.iter().map(Vec::as_slice).collect()
    }

    #[test]
    fn chunks_in_any_order_reassemble() {
        let (guid, mut payloads) = split(EXTENSION, 10);
        payloads.reverse();
        let (_, other) = split(b"another extension", 5);
        payloads.extend(other);
        assert_eq!(assemble(Some(&guid), &refs(&payloads)).unwrap(), EXTENSION);
    }

    #[test]
    fn wrong_guid_overlap_gap_and_short_segments_are_errors() {
        let (guid, payloads) = split(EXTENSION, 10);
        assert_eq!(
            assemble(None, &refs(&payloads)),
            Err(ExtensionError::NotNamed)
        );
        let wrong = "0".repeat(32);
        assert!(matches!(
            assemble(Some(&wrong), &refs(&payloads)),
            Err(ExtensionError::Missing(_))
        ));
        // A chunk whose bytes were changed: the digest no longer matches.
        let mut tampered = payloads.clone();
        *tampered[1].last_mut().unwrap() ^= 1;
        assert!(matches!(
            assemble(Some(&guid), &refs(&tampered)),
            Err(ExtensionError::Digest { .. })
        ));
        // Overlap: the second chunk claims to start inside the first.
        let mut overlapping = payloads.clone();
        overlapping[1][36..40].copy_from_slice(&5u32.to_be_bytes());
        assert!(matches!(
            assemble(Some(&guid), &refs(&overlapping)),
            Err(ExtensionError::Chunks(_))
        ));
        let gap: Vec<Vec<u8>> = payloads.iter().skip(1).cloned().collect();
        assert!(matches!(
            assemble(Some(&guid), &refs(&gap)),
            Err(ExtensionError::Chunks(_))
        ));
        let mut huge = payloads.clone();
        huge[0][32..36].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(assemble(Some(&guid), &refs(&huge)).is_err());
        assert_eq!(
            assemble(Some(&guid), &[&b"short"[..]]),
            Err(ExtensionError::ShortSegment)
        );
    }
}
