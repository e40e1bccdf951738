//! Photoshop Image Resource Blocks (IRB): the payload of a JPEG APP13
//! segment after its `Photoshop 3.0\0` prefix.
//!
//! An IRB is a sequence of resources, each:
//!
//! | bytes | content |
//! |-------|---------|
//! | 4     | signature: `8BIM` (also `MeSa`, `PHUT`, `AgHg`, `DCSR`, written by older tools) |
//! | 2     | resource id, big-endian |
//! | 1 + n | Pascal-string name (length byte, then n bytes), padded to an even total |
//! | 4     | data size, big-endian |
//! | size  | data, padded with one byte to an even length |
//!
//! Only `8BIM` resources carry the ids this module cares about, as ExifTool
//! reads them: 0x0404 is the IPTC-IIM block (see [`super::iim`]) and 0x0425
//! is the MD5 digest of that block's data (without its padding byte), which
//! MWG readers compare with the IIM to tell whether IIM and XMP are in sync.
//! Resources with another signature are kept, never interpreted.
//!
//! Tolerances, each preserved byte for byte by the writers here:
//! - zero bytes after the last resource (padding written by some tools);
//! - an odd-sized data block that ends exactly at the end of the IRB without
//!   its padding byte; the padding byte itself is skipped whatever its value
//!   (as ExifTool does).
//!
//! Writing ([`with_iptc`]) replaces the data of the first `8BIM` 0x0404 and
//! of every `8BIM` 0x0425 in place, keeping their signature and name; a
//! resource that is missing is appended after the last resource, 0x0404
//! before 0x0425. That mirrors ExifTool (`-IPTCDigest=new`, or MWG mode),
//! which appends every resource it creates after the existing ones in
//! numerical order, rather than next to 0x0404. Every other resource and any
//! trailing bytes are copied byte for byte and in order.

use std::ops::Range;

use md5::{Digest, Md5};

/// Resource id of the IPTC-IIM block.
pub const IPTC_ID: u16 = 0x0404;
/// Resource id of the MD5 digest of the IPTC-IIM block.
pub const DIGEST_ID: u16 = 0x0425;
/// The signature of standard Photoshop resources.
pub const SIGNATURE_8BIM: [u8; 4] = *b"8BIM";
/// Every signature accepted when parsing.
pub const SIGNATURES: [[u8; 4]; 5] = [*b"8BIM", *b"MeSa", *b"PHUT", *b"AgHg", *b"DCSR"];

/// One image resource, located in the IRB it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub signature: [u8; 4],
    pub id: u16,
    /// The whole resource, from its signature to the end of its padding
    /// byte (if it has one).
    pub range: Range<usize>,
    /// The data only, without the padding byte.
    pub data: Range<usize>,
}

impl Resource {
    /// Whether this is an `8BIM` resource with the given id.
    pub fn is_8bim(&self, id: u16) -> bool {
        self.signature == SIGNATURE_8BIM && self.id == id
    }

    /// Signature, id and padded name: the bytes before the size field.
    fn head(&self) -> Range<usize> {
        self.range.start..self.data.start - 4
    }
}

/// Why an IRB could not be parsed or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IrbError {
    #[error("Photoshop IRB: unknown resource signature {found:02x?} at offset {offset}")]
    BadSignature { offset: usize, found: Vec<u8> },
    #[error("Photoshop IRB: resource at offset {offset} is truncated")]
    Truncated { offset: usize },
    #[error("Photoshop IRB: IPTC digest (0x0425) is {len} bytes, not 16")]
    DigestLength { len: usize },
    #[error("Photoshop IRB: resource data of {len} bytes does not fit a 32-bit size")]
    TooLarge { len: usize },
}

/// Parses every resource of an IRB. Zero bytes after the last resource are
/// accepted as padding (they are not a resource); any other byte that does
/// not start a complete resource is an error.
pub fn parse(irb: &[u8]) -> Result<Vec<Resource>, IrbError> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < irb.len() {
        let rest = &irb[pos..];
        if rest.iter().all(|&b| b == 0) {
            break;
        }
        let truncated = IrbError::Truncated { offset: pos };
        let sig: [u8; 4] = rest
            .get(..4)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| bad_signature(pos, rest))?;
        if !SIGNATURES.contains(&sig) {
            return Err(bad_signature(pos, rest));
        }
        let id = match rest.get(4..6) {
            Some(b) => u16::from_be_bytes([b[0], b[1]]),
            None => return Err(truncated),
        };
        let name_len = *rest.get(6).ok_or(truncated.clone())? as usize;
        // Length byte + name, rounded up to an even count.
        let name_total = (1 + name_len + 1) & !1;
        let size_at = 6 + name_total;
        let size = match rest.get(size_at..size_at + 4) {
            Some(b) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            None => return Err(truncated),
        };
        let size = usize::try_from(size).map_err(|_| truncated.clone())?;
        let data_start = size_at + 4;
        let data_end = data_start.checked_add(size).ok_or(truncated.clone())?;
        if data_end > rest.len() {
            return Err(truncated);
        }
        // One padding byte after odd data, unless the IRB ends right there.
        let end = if size % 2 == 1 && data_end < rest.len() {
            data_end + 1
        } else {
            data_end
        };
        out.push(Resource {
            signature: sig,
            id,
            range: pos..pos + end,
            data: pos + data_start..pos + data_end,
        });
        pos += end;
    }
    Ok(out)
}

fn bad_signature(offset: usize, rest: &[u8]) -> IrbError {
    IrbError::BadSignature {
        offset,
        found: rest[..rest.len().min(4)].to_vec(),
    }
}

/// The data of the first `8BIM` 0x0404 resource (the IPTC-IIM block).
pub fn iptc(irb: &[u8]) -> Result<Option<&[u8]>, IrbError> {
    Ok(parse(irb)?
        .into_iter()
        .find(|r| r.is_8bim(IPTC_ID))
        .map(|r| &irb[r.data]))
}

/// The stored IPTC digest (first `8BIM` 0x0425 resource), which must be
/// exactly 16 bytes.
pub fn digest(irb: &[u8]) -> Result<Option<[u8; 16]>, IrbError> {
    match parse(irb)?.into_iter().find(|r| r.is_8bim(DIGEST_ID)) {
        None => Ok(None),
        Some(r) => {
            let d = &irb[r.data];
            d.try_into()
                .map(Some)
                .map_err(|_| IrbError::DigestLength { len: d.len() })
        }
    }
}

/// MD5 of an IIM block, as stored in resource 0x0425.
pub fn iim_digest(iim: &[u8]) -> [u8; 16] {
    Md5::digest(iim).into()
}

/// A new IRB in which the IPTC-IIM block (0x0404) is `new_iim` and the
/// digest (0x0425) is its MD5. Both are replaced in place (same signature,
/// same name) when present and appended after the last resource otherwise
/// (0x0404 first). Every other resource and any trailing padding are kept
/// byte for byte and in order.
pub fn with_iptc(irb: &[u8], new_iim: &[u8]) -> Result<Vec<u8>, IrbError> {
    let resources = parse(irb)?;
    let digest = iim_digest(new_iim);
    let mut out = Vec::with_capacity(irb.len() + new_iim.len() + 64);
    let mut wrote_iptc = false;
    let mut wrote_digest = false;
    let mut end = 0;
    for r in &resources {
        if r.is_8bim(IPTC_ID) && !wrote_iptc {
            push_resource(&mut out, &irb[r.head()], new_iim)?;
            wrote_iptc = true;
        } else if r.is_8bim(DIGEST_ID) {
            push_resource(&mut out, &irb[r.head()], &digest)?;
            wrote_digest = true;
        } else {
            out.extend_from_slice(&irb[r.range.clone()]);
        }
        end = r.range.end;
    }
    if !wrote_iptc {
        push_resource(&mut out, &new_head(IPTC_ID), new_iim)?;
    }
    if !wrote_digest {
        push_resource(&mut out, &new_head(DIGEST_ID), &digest)?;
    }
    out.extend_from_slice(&irb[end..]);
    Ok(out)
}

/// An IRB holding only the IPTC-IIM block and its digest, for a JPEG that
/// had no APP13 segment.
///
/// # Panics
/// If `iim` is 4 GiB or larger (a resource size is 32 bits).
pub fn new_irb(iim: &[u8]) -> Vec<u8> {
    with_iptc(&[], iim).expect("IIM block of 4 GiB or more")
}

/// `8BIM`, the id and an empty name (length byte 0 plus its padding byte).
fn new_head(id: u16) -> [u8; 8] {
    let id = id.to_be_bytes();
    [b'8', b'B', b'I', b'M', id[0], id[1], 0, 0]
}

fn push_resource(out: &mut Vec<u8>, head: &[u8], data: &[u8]) -> Result<(), IrbError> {
    let size = u32::try_from(data.len()).map_err(|_| IrbError::TooLarge { len: data.len() })?;
    out.extend_from_slice(head);
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const SAMPLE: &[u8] = include_bytes!("../../sample-images/jpeg/iim.jpg");

    /// The payload (after `Photoshop 3.0\0`) of the first Photoshop APP13
    /// segment of a JPEG, found with a minimal segment walk.
    pub(crate) fn app13_payload(jpeg: &[u8]) -> Option<Vec<u8>> {
        let (start, end) = app13_span(jpeg)?;
        Some(jpeg[start + 4 + 14..end].to_vec())
    }

    /// Start (marker) and end of the first Photoshop APP13 segment.
    fn app13_span(jpeg: &[u8]) -> Option<(usize, usize)> {
        let mut pos = 2;
        while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF {
            let marker = jpeg[pos + 1];
            if marker == 0xDA || marker == 0xD9 {
                return None;
            }
            let len = u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]) as usize;
            let end = pos + 2 + len;
            if marker == 0xED && jpeg[pos + 4..end].starts_with(b"Photoshop 3.0\0") {
                return Some((pos, end));
            }
            pos = end;
        }
        None
    }

    /// A copy of `jpeg` whose Photoshop APP13 segment holds `irb` instead;
    /// every other byte is kept.
    pub(crate) fn splice_app13(jpeg: &[u8], irb: &[u8]) -> Vec<u8> {
        let (start, end) = app13_span(jpeg).expect("sample has an APP13 segment");
        let mut out = jpeg[..start].to_vec();
        let len = u16::try_from(2 + 14 + irb.len()).expect("APP13 fits one segment");
        out.extend_from_slice(&[0xFF, 0xED]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(b"Photoshop 3.0\0");
        out.extend_from_slice(irb);
        out.extend_from_slice(&jpeg[end..]);
        out
    }

    pub(crate) fn sample_irb() -> Vec<u8> {
        app13_payload(SAMPLE).expect("sample has APP13")
    }

    fn resource(sig: &[u8; 4], id: u16, name: &[u8], data: &[u8]) -> Vec<u8> {
        let mut v = sig.to_vec();
        v.extend_from_slice(&id.to_be_bytes());
        v.push(name.len() as u8);
        v.extend_from_slice(name);
        if (1 + name.len()) % 2 == 1 {
            v.push(0);
        }
        v.extend_from_slice(&(data.len() as u32).to_be_bytes());
        v.extend_from_slice(data);
        if data.len() % 2 == 1 {
            v.push(0);
        }
        v
    }

    #[test]
    fn sample_irb_parses_and_digest_matches() {
        let irb = sample_irb();
        let res = parse(&irb).unwrap();
        let ids: Vec<u16> = res.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![IPTC_ID, DIGEST_ID]);
        assert_eq!(res.last().unwrap().range.end, irb.len());
        let iim = iptc(&irb).unwrap().unwrap();
        assert_eq!(iim.len(), 100);
        assert_eq!(iim[0], 0x1C);
        let d = digest(&irb).unwrap().unwrap();
        assert_eq!(d, iim_digest(iim));
        // As ExifTool printed it for the sample.
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "3453230cc86f59ef81d29bc8a31b3f39");
    }

    #[test]
    fn names_signatures_padding_and_trailing_zeros() {
        let mut irb = resource(b"8BIM", 0x03ED, b"res", &[1, 2, 3]);
        irb.extend(resource(b"MeSa", 0x0404, b"", b"not iptc"));
        irb.extend(resource(
            b"8BIM",
            IPTC_ID,
            b"IPTC",
            &[0x1C, 2, 0, 0, 2, 0, 4],
        ));
        irb.extend([0, 0, 0, 0]);
        let res = parse(&irb).unwrap();
        assert_eq!(res.len(), 3);
        assert_eq!(res[0].signature, *b"8BIM");
        assert_eq!(&irb[res[0].data.clone()], &[1, 2, 3]);
        // Name "res": 1 + 3 = 4 bytes, no pad; odd data padded.
        assert_eq!(res[0].range, 0..4 + 2 + 4 + 4 + 3 + 1);
        assert_eq!(res[1].signature, *b"MeSa");
        // Only the 8BIM 0x0404 is the IPTC block.
        assert_eq!(iptc(&irb).unwrap().unwrap(), &[0x1C, 2, 0, 0, 2, 0, 4]);
        assert_eq!(digest(&irb).unwrap(), None);
        assert_eq!(res[2].range.end, irb.len() - 4);
    }

    #[test]
    fn odd_data_without_final_pad_is_tolerated() {
        let mut irb = resource(b"8BIM", IPTC_ID, b"", &[0x1C, 2, 0, 0, 1, 7]);
        irb.extend(resource(b"8BIM", 0x0400, b"", &[9]));
        irb.pop(); // drop the last padding byte
        let res = parse(&irb).unwrap();
        assert_eq!(res[1].range.end, irb.len());
        assert_eq!(&irb[res[1].data.clone()], &[9]);
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        assert!(matches!(
            parse(b"XXXX\x04\x04\0\0\0\0\0\0"),
            Err(IrbError::BadSignature { offset: 0, .. })
        ));
        // Size larger than what follows.
        let mut irb = resource(b"8BIM", IPTC_ID, b"", &[1, 2]);
        irb[11] = 200;
        assert_eq!(parse(&irb), Err(IrbError::Truncated { offset: 0 }));
        // Short garbage after a resource.
        let mut irb = resource(b"8BIM", IPTC_ID, b"", &[1, 2]);
        irb.extend(b"8B");
        assert!(matches!(
            parse(&irb),
            Err(IrbError::BadSignature { offset: 14, .. })
        ));
        // Digest of the wrong length.
        let irb = resource(b"8BIM", DIGEST_ID, b"", &[0; 15]);
        assert_eq!(digest(&irb), Err(IrbError::DigestLength { len: 15 }));
        // Huge size field on a 64-bit host: no overflow, no allocation.
        let mut irb = resource(b"8BIM", IPTC_ID, b"", &[]);
        irb[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(parse(&irb), Err(IrbError::Truncated { offset: 0 }));
        assert_eq!(parse(&[]), Ok(vec![]));
        assert_eq!(parse(&[0, 0, 0]), Ok(vec![]));
    }

    #[test]
    fn with_iptc_replaces_in_place_and_keeps_everything_else() {
        let before = resource(b"8BIM", 0x03ED, b"", &[0xAA; 16]);
        let iptc_res = resource(b"8BIM", IPTC_ID, b"Caption", &[0x1C, 2, 0, 0, 2, 0, 4]);
        let middle = resource(b"PHUT", 0x0425, b"x", &[1, 2, 3]);
        let digest_res = resource(b"8BIM", DIGEST_ID, b"", &[0; 16]);
        let after = resource(b"8BIM", 0x040C, b"thumb", &[5; 33]);
        let irb = [
            before.clone(),
            iptc_res,
            middle.clone(),
            digest_res,
            after.clone(),
            vec![0, 0],
        ]
        .concat();
        let new_iim = [0x1C, 2, 40, 0, 3, b'a', b'b', b'c'];
        let out = with_iptc(&irb, &new_iim).unwrap();
        let old = parse(&irb).unwrap();
        let new = parse(&out).unwrap();
        assert_eq!(
            old.iter().map(|r| (r.signature, r.id)).collect::<Vec<_>>(),
            new.iter().map(|r| (r.signature, r.id)).collect::<Vec<_>>()
        );
        for (o, n) in old.iter().zip(&new) {
            if o.is_8bim(IPTC_ID) || o.is_8bim(DIGEST_ID) {
                // Same head (signature, id, name).
                assert_eq!(irb[o.head()], out[n.head()]);
            } else {
                assert_eq!(irb[o.range.clone()], out[n.range.clone()]);
            }
        }
        assert_eq!(iptc(&out).unwrap().unwrap(), &new_iim);
        assert_eq!(digest(&out).unwrap().unwrap(), iim_digest(&new_iim));
        assert!(out.ends_with(&[0, 0]));
        assert!(out.starts_with(&before));
    }

    #[test]
    fn missing_digest_is_appended_after_the_last_resource() {
        let iptc_res = resource(b"8BIM", IPTC_ID, b"", &[0x1C, 2, 0, 0, 2, 0, 4]);
        let other = resource(b"8BIM", 0x03ED, b"", &[7; 16]);
        let irb = [iptc_res, other.clone(), vec![0; 3]].concat();
        let new_iim = [0x1C, 2, 0, 0, 2, 0, 4, 0x1C, 2, 40, 0, 1, b'z'];
        let out = with_iptc(&irb, &new_iim).unwrap();
        let ids: Vec<u16> = parse(&out).unwrap().iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![IPTC_ID, 0x03ED, DIGEST_ID]);
        assert_eq!(digest(&out).unwrap().unwrap(), iim_digest(&new_iim));
        assert!(out.ends_with(&[0; 3]));
        // Odd IIM gets its padding byte.
        let r = &parse(&out).unwrap()[0];
        assert_eq!(r.range.end - r.data.end, 1);

        // Neither present: 0x0404 then 0x0425 after the existing resources.
        let out = with_iptc(&other, &new_iim).unwrap();
        let ids: Vec<u16> = parse(&out).unwrap().iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![0x03ED, IPTC_ID, DIGEST_ID]);
        assert!(out.starts_with(&other));
    }

    #[test]
    fn new_irb_holds_iptc_and_digest() {
        let iim = [0x1C, 2, 0, 0, 2, 0, 4];
        let irb = new_irb(&iim);
        let res = parse(&irb).unwrap();
        assert_eq!(
            res.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![IPTC_ID, DIGEST_ID]
        );
        assert!(res.iter().all(|r| r.signature == SIGNATURE_8BIM));
        assert_eq!(iptc(&irb).unwrap().unwrap(), &iim);
        assert_eq!(digest(&irb).unwrap().unwrap(), iim_digest(&iim));
        assert_eq!(irb.len() % 2, 0);
    }

    /// A tiny deterministic PRNG for corruption tests.
    pub(crate) struct XorShift(pub u64);
    impl XorShift {
        pub(crate) fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    fn exercise(irb: &[u8]) {
        if let Ok(res) = parse(irb) {
            for r in &res {
                assert!(r.range.start <= r.data.start && r.data.end <= r.range.end);
                assert!(r.range.end <= irb.len());
            }
        }
        let _ = iptc(irb);
        let _ = digest(irb);
        if let Ok(out) = with_iptc(irb, b"\x1C\x02\x28\x00\x01x") {
            assert_eq!(iptc(&out).unwrap().unwrap(), b"\x1C\x02\x28\x00\x01x");
            assert_eq!(
                digest(&out).unwrap().unwrap(),
                iim_digest(b"\x1C\x02\x28\x00\x01x")
            );
        }
    }

    #[test]
    fn hostile_inputs_never_panic() {
        let irb = sample_irb();
        for n in 0..=irb.len() {
            exercise(&irb[..n]);
        }
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..3000 {
            let mut v = irb.clone();
            let flips = 1 + rng.next() % 4;
            for _ in 0..flips {
                let i = (rng.next() % v.len() as u64) as usize;
                v[i] = rng.next() as u8;
            }
            exercise(&v);
        }
    }
}
