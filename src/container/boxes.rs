//! ISO BMFF box headers (ISO/IEC 14496-12 §4.2), the syntax HEIF, AVIF and
//! the JPEG XL container share: a 32-bit big-endian size and a four-byte
//! type; a size of 1 means a 64-bit size follows, 0 that the box runs to
//! the end of the file.

use std::io::{Read, Seek};
use std::ops::Range;

use super::walk::BlockReader;
use super::ContainerError;

/// One box's header, as read at a file offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BoxHeader {
    pub(crate) ty: [u8; 4],
    /// The whole box, header included.
    pub(crate) range: Range<u64>,
    /// 8, or 16 with a 64-bit size.
    pub(crate) header_len: u64,
    /// Its size field is 0: it runs to the end of the file.
    pub(crate) runs_to_end: bool,
}

impl BoxHeader {
    /// Where the box's payload starts.
    pub(crate) fn payload_start(&self) -> u64 {
        self.range.start + self.header_len
    }

    pub(crate) fn payload_len(&self) -> u64 {
        self.range.end - self.payload_start()
    }
}

/// What a box header at some offset turned out to be.
#[derive(Debug)]
pub(crate) enum BoxRead {
    Box(BoxHeader),
    /// Fewer than 8 bytes (or 16 for a 64-bit size) before the end, or a
    /// size that runs past it.
    Truncated(String),
    /// A size smaller than its own header.
    Malformed(String),
}

/// Reads the header of the box at `at` (before the file's end, which the
/// reader knows).
pub(crate) fn read_box<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    at: u64,
) -> Result<BoxRead, ContainerError> {
    let len = reader.len();
    let mut head = [0u8; 16];
    let got = reader.read_up_to_at(at, &mut head[..(len - at).min(16) as usize])?;
    Ok(parse_header(&head[..got], at, len))
}

/// The child boxes of an in-memory payload (a `meta`, an `iinf`), each
/// as its header with ranges relative to `bytes`; `None` when one is cut
/// off or smaller than its header.
pub(crate) fn children(bytes: &[u8]) -> Option<Vec<BoxHeader>> {
    let len = bytes.len() as u64;
    let mut out = Vec::new();
    let mut at = 0;
    while at < len {
        let head = &bytes[at as usize..bytes.len().min(at as usize + 16)];
        match parse_header(head, at, len) {
            BoxRead::Box(b) => {
                at = b.range.end;
                out.push(b);
            }
            BoxRead::Truncated(_) | BoxRead::Malformed(_) => return None,
        }
    }
    Some(out)
}

/// The header of the box whose first bytes (up to 16) are `head`, at
/// offset `at` of something `len` bytes long.
fn parse_header(head: &[u8], at: u64, len: u64) -> BoxRead {
    let got = head.len();
    if got < 8 {
        return BoxRead::Truncated(format!(
            "a box header at offset {at} is cut off by the end of the file"
        ));
    }
    let ty: [u8; 4] = head[4..8].try_into().expect("4 bytes");
    let name = String::from_utf8_lossy(&ty).into_owned();
    let size_field = u32::from_be_bytes(head[..4].try_into().expect("4 bytes"));
    let (size, header_len) = match size_field {
        1 if got < 16 => {
            return BoxRead::Truncated(format!(
                "the {name} box at offset {at} is cut off in its 64-bit size"
            ))
        }
        1 => (u64::from_be_bytes(head[8..16].try_into().expect("8")), 16),
        0 => (len - at, 8),
        s => (u64::from(s), 8),
    };
    if size < header_len {
        return BoxRead::Malformed(format!(
            "the {name} box at offset {at} says it is {size} bytes long, less than its header"
        ));
    }
    match at.checked_add(size).filter(|end| *end <= len) {
        Some(end) => BoxRead::Box(BoxHeader {
            ty,
            range: at..end,
            header_len,
            runs_to_end: size_field == 0,
        }),
        None => BoxRead::Truncated(format!(
            "the {name} box at offset {at} says it is {size} bytes long; the file ends first"
        )),
    }
}

/// The header of a box of type `ty` whose payload is `payload_len` bytes:
/// a 32-bit size when it fits, else a 64-bit one.
pub(crate) fn header(ty: &[u8; 4], payload_len: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    match u32::try_from(payload_len + 8) {
        Ok(size) => {
            out.extend_from_slice(&size.to_be_bytes());
            out.extend_from_slice(ty);
        }
        Err(_) => {
            out.extend_from_slice(&1u32.to_be_bytes());
            out.extend_from_slice(ty);
            out.extend_from_slice(&(payload_len + 16).to_be_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn first(bytes: &[u8]) -> BoxRead {
        let mut c = Cursor::new(bytes.to_vec());
        let mut r = BlockReader::new(&mut c).unwrap();
        read_box(&mut r, 0).unwrap()
    }

    #[test]
    fn sizes_32_64_and_to_the_end() {
        let BoxRead::Box(b) = first(b"\0\0\0\x0aabcdXY") else {
            panic!()
        };
        assert_eq!((b.ty, b.range, b.header_len), (*b"abcd", 0..10, 8));
        let mut big = b"\0\0\0\x01abcd\0\0\0\0\0\0\0\x11".to_vec();
        big.push(7);
        let BoxRead::Box(b) = first(&big) else {
            panic!()
        };
        assert_eq!((b.range.clone(), b.payload_start()), (0..17, 16));
        let BoxRead::Box(b) = first(b"\0\0\0\0abcdXYZ") else {
            panic!()
        };
        assert_eq!(b.range, 0..11);
    }

    #[test]
    fn hostile_sizes_are_named() {
        for bytes in [
            &b"\0\0\0\x09abcd"[..],                            // past the end
            b"\0\0\0\x01abcd\0\0",                             // 64-bit size cut off
            b"\0\0\0",                                         // header cut off
            b"\0\0\0\x01abcd\xff\xff\xff\xff\xff\xff\xff\xff", // near 2^64
        ] {
            assert!(matches!(first(bytes), BoxRead::Truncated(_)), "{bytes:?}");
        }
        assert!(matches!(first(b"\0\0\0\x04abcd"), BoxRead::Malformed(_)));
        assert!(matches!(
            first(b"\0\0\0\x01abcd\0\0\0\0\0\0\0\x08"),
            BoxRead::Malformed(_)
        ));
    }

    #[test]
    fn headers_round_trip() {
        assert_eq!(header(b"xml ", 4), b"\0\0\0\x0cxml ");
        let h = header(b"jxlc", u64::from(u32::MAX));
        assert_eq!(h.len(), 16);
        assert_eq!(&h[8..], &(u64::from(u32::MAX) + 16).to_be_bytes());
    }
}
