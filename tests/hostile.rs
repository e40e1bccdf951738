//! The hostile-file corpus (issue 11): files made to break a metadata tool,
//! run through the CLI's `read`, `check` and `apply`, as one batch and one
//! by one. Each must end in a clear error for that file (or a correct read
//! where the file is valid after all), with no panic, in bounded time and
//! memory, and an erroneous file must stay untouched (bytes and mtime).
//!
//! The files are made here from the samples (the large ones cannot be
//! committed); the small inputs in `tests/hostile/` (fuzzer findings among
//! them) are added to the batch as they are.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use ccsig::internals::container::{self, BlockKind};

/// How long one run of the CLI may take before it counts as a hang: a
/// generous guard, not a measure of speed.
const HANG_GUARD: Duration = Duration::from_secs(60);
/// The most memory any one run may hold (peak resident set). `apply` on a
/// 60 MB packet holds about four copies of it (the packet read, the text
/// merged, the file written, the re-read that validates it: ~250 MB), and
/// a batch may work on two such files at once.
const PEAK_RSS_LIMIT_KIB: i64 = 512 * 1024;
/// Files are dated far back, so a rewrite could not keep the same mtime.
const OLD_MTIME: Duration = Duration::from_secs(1_000_000_000);

/// What the CLI must make of a file.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Unreadable: `read`, `check` and `apply` each report an error for
    /// this file whose message contains one of these words, and it stays
    /// untouched.
    Error(&'static [&'static str]),
    /// Valid after all: `read` succeeds, `apply` writes it, and the result
    /// reads back with the signal and keeps every foreign block.
    Reads,
    /// Readable, but `apply` refuses it with an error containing one of
    /// these words, and it stays untouched.
    Refused(&'static [&'static str]),
}

/// A file cut inside its signature is no longer recognised at all.
const CUT: &[&str] = &[
    "truncated",
    "malformed",
    "empty file",
    "not a JPEG, PNG, WebP, TIFF, JPEG XL, HEIF or AVIF file",
];
const MALFORMED: &[&str] = &["malformed", "truncated"];

struct Case {
    name: String,
    bytes: Vec<u8>,
    expect: Expect,
    /// Named cases are also run one file at a time; the many truncations
    /// only in the batch.
    alone: bool,
}

fn case(name: &str, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        name: name.into(),
        bytes,
        expect,
        alone: true,
    }
}

fn sample_bytes(rel: &str) -> Vec<u8> {
    fs::read(common::sample(rel)).unwrap()
}

// --- Builders: just enough of each format to say something wrong in it ---

fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len() + 2).expect("segment fits");
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// plain.jpg with `extra` right after its first segment (APP0).
fn jpeg_with(extra: &[u8]) -> Vec<u8> {
    let plain = sample_bytes("jpeg/plain.jpg");
    let first_end = 4 + u16::from_be_bytes([plain[4], plain[5]]) as usize;
    [&plain[..first_end], extra, &plain[first_end..]].concat()
}

fn xmp_app1(packet: &[u8]) -> Vec<u8> {
    jpeg_segment(
        0xE1,
        &[b"http://ns.adobe.com/xap/1.0/\0".as_slice(), packet].concat(),
    )
}

fn extended_xmp_app1(guid: &str, full_len: u32, offset: u32, data: &[u8]) -> Vec<u8> {
    let mut payload = b"http://ns.adobe.com/xmp/extension/\0".to_vec();
    payload.extend_from_slice(guid.as_bytes());
    payload.extend_from_slice(&full_len.to_be_bytes());
    payload.extend_from_slice(&offset.to_be_bytes());
    payload.extend_from_slice(data);
    jpeg_segment(0xE1, &payload)
}

/// An APP13 Photoshop segment holding one IPTC resource (0x0404).
fn iim_app13(iim: &[u8], declared_len: u32) -> Vec<u8> {
    let mut payload = b"Photoshop 3.0\08BIM\x04\x04\0\0".to_vec();
    payload.extend_from_slice(&declared_len.to_be_bytes());
    payload.extend_from_slice(iim);
    if iim.len() % 2 == 1 {
        payload.push(0);
    }
    jpeg_segment(0xED, &payload)
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out
}

fn png_xmp_itxt(packet: &[u8], compressed: bool) -> Vec<u8> {
    let mut data = b"XML:com.adobe.xmp\0".to_vec();
    data.extend_from_slice(&[u8::from(compressed), 0, 0, 0]);
    if compressed {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(packet).unwrap();
        data.extend_from_slice(&z.finish().unwrap());
    } else {
        data.extend_from_slice(packet);
    }
    png_chunk(b"iTXt", &data)
}

/// Where plain.png's first chunk after IHDR starts.
const PNG_AFTER_IHDR: usize = 8 + 8 + 13 + 4;

/// plain.png with `extra` right after its IHDR chunk.
fn png_with(extra: &[u8]) -> Vec<u8> {
    let plain = sample_bytes("png/plain.png");
    [&plain[..PNG_AFTER_IHDR], extra, &plain[PNG_AFTER_IHDR..]].concat()
}

fn riff_chunk(id: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = id.to_vec();
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// exif.webp (VP8X, VP8, EXIF) with `extra` appended and the RIFF size
/// made right.
fn webp_with(extra: &[u8]) -> Vec<u8> {
    let mut bytes = sample_bytes("webp/exif.webp");
    bytes.extend_from_slice(extra);
    let riff = (bytes.len() - 8) as u32;
    bytes[4..8].copy_from_slice(&riff.to_le_bytes());
    bytes
}

/// Byte 20 of an extended WebP: the VP8X flags.
const VP8X_FLAGS: usize = 20;
const VP8X_XMP: u8 = 0x04;

fn packet_with(body: &str) -> Vec<u8> {
    common::packet(body).into_bytes()
}

/// A packet of about `len` bytes: a ccsig signal and a long description.
fn long_packet(len: usize) -> Vec<u8> {
    let filler = "x".repeat(len);
    packet_with(&format!(
        "<ccsig:expression>train-ai=n;exceptions=cc-cr</ccsig:expression>\
         <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{filler}</rdf:li></rdf:Alt></dc:description>"
    ))
}

// --- The corpus ---

/// Every sample cut at every block boundary and one byte either side.
fn truncations() -> Vec<Case> {
    let mut rels: Vec<&str> = common::IMAGE_SAMPLES.to_vec();
    rels.extend([
        "png/iim-raw-profile.png",
        "tagged/ccsig-cr-op.jpg",
        "tagged/ccsig-cr.png",
        "tagged/ccsig-ec.webp",
    ]);
    let mut cases = vec![];
    for rel in rels {
        let bytes = sample_bytes(rel);
        let mut cuts = BTreeSet::new();
        for edge in block_boundaries(&bytes) {
            for cut in [edge.saturating_sub(1), edge, edge + 1] {
                if cut < bytes.len() {
                    cuts.insert(cut);
                }
            }
        }
        let ext = Path::new(rel).extension().unwrap().to_str().unwrap();
        let stem = rel.replace('/', "-").replace(&format!(".{ext}"), "");
        for cut in cuts {
            cases.push(Case {
                name: format!("cut-{stem}-at-{cut}.{ext}"),
                bytes: bytes[..cut].to_vec(),
                expect: Expect::Error(CUT),
                alone: false,
            });
        }
    }
    cases
}

/// Where every segment or chunk of a file starts and ends: as img-parts
/// (an independent parser) splits the file, and as ccsig's walker does.
fn block_boundaries(bytes: &[u8]) -> BTreeSet<usize> {
    let mut edges = BTreeSet::from([0, bytes.len()]);
    let shared = img_parts::Bytes::copy_from_slice(bytes);
    if bytes.starts_with(&[0xFF, 0xD8]) {
        let jpeg = img_parts::jpeg::Jpeg::from_bytes(shared).unwrap();
        let mut at = 2;
        edges.insert(at);
        for segment in jpeg.segments() {
            edges.insert(at + segment.len()); // SOS: its header, before the scan
            at += segment.len_with_entropy();
            edges.insert(at);
        }
        edges.insert(bytes.len() - 2); // EOI
    } else if bytes.starts_with(b"\x89PNG") {
        let mut at = 8;
        for chunk in img_parts::png::Png::from_bytes(shared).unwrap().chunks() {
            edges.insert(at);
            at += chunk.len();
        }
    } else {
        let mut at = 12;
        for chunk in img_parts::webp::WebP::from_bytes(shared).unwrap().chunks() {
            edges.insert(at);
            at += chunk.len() as usize;
        }
    }
    let layout = container::scan(&mut Cursor::new(bytes)).unwrap();
    for block in &layout.blocks {
        edges.insert(block.range.start as usize);
        edges.insert(block.range.end as usize);
    }
    edges
}

fn near_4_gib() -> Vec<Case> {
    let mut png_text = png_chunk(b"tEXt", b"Comment\0hello");
    png_text[..4].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
    let mut png_xmp = png_xmp_itxt(&packet_with(""), false);
    png_xmp[..4].copy_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
    let mut webp_xmp = riff_chunk(b"XMP ", &packet_with(""));
    webp_xmp[4..8].copy_from_slice(&0xFFFF_FFF8u32.to_le_bytes());
    let mut riff_4g = sample_bytes("webp/lossy.webp");
    riff_4g[4..8].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    let iim = b"\x1c\x02\x28\x00\x08train-ai";
    vec![
        case(
            "png-chunk-length-4gib.png",
            png_with(&png_text),
            Expect::Error(CUT),
        ),
        case(
            "png-xmp-length-2gib.png",
            png_with(&png_xmp),
            Expect::Error(CUT),
        ),
        case(
            "webp-chunk-size-4gib.webp",
            webp_with(&webp_xmp),
            Expect::Error(CUT),
        ),
        case("webp-riff-size-4gib.webp", riff_4g, Expect::Error(CUT)),
        case(
            "jpeg-irb-resource-4gib.jpg",
            jpeg_with(&iim_app13(iim, 0xFFFF_FFF0)),
            Expect::Refused(&["IIM", "IPTC", "Photoshop"]),
        ),
        case(
            "jpeg-iim-dataset-4gib.jpg",
            jpeg_with(&iim_app13(
                b"\x1c\x02\x28\x80\x04\xff\xff\xff\xf0train-ai",
                13 + 8,
            )),
            Expect::Refused(&["IIM", "IPTC"]),
        ),
        case(
            "jpeg-extended-xmp-4gib.jpg",
            jpeg_with(
                &[
                    xmp_app1(&packet_with(
                        "<xmpNote:HasExtendedXMP xmlns:xmpNote=\"http://ns.adobe.com/xmp/note/\">\
                         0123456789ABCDEF0123456789ABCDEF</xmpNote:HasExtendedXMP>",
                    )),
                    extended_xmp_app1(
                        "0123456789ABCDEF0123456789ABCDEF",
                        0xFFFF_FFFF,
                        0xFFFF_FF00,
                        b"<x:xmpmeta/>",
                    ),
                ]
                .concat(),
            ),
            Expect::Reads,
        ),
    ]
}

fn jpeg_structure() -> Vec<Case> {
    let plain = sample_bytes("jpeg/plain.jpg");
    let layout = container::scan(&mut Cursor::new(&plain)).unwrap();
    let image = layout.blocks_of(BlockKind::ImageData).next().unwrap();
    let no_sos = [&plain[..image.range.start as usize], &[0xFF, 0xD9]].concat();
    vec![
        case("jpeg-without-sos.jpg", no_sos, Expect::Error(MALFORMED)),
        case(
            "jpeg-stray-zero-byte.jpg",
            jpeg_with(&[0x00]),
            Expect::Error(MALFORMED),
        ),
        // A standalone marker between segments: kept as it is.
        case(
            "jpeg-stray-rst-marker.jpg",
            jpeg_with(&[0xFF, 0xD0]),
            Expect::Reads,
        ),
        case(
            "jpeg-second-soi.jpg",
            jpeg_with(&[0xFF, 0xD8]),
            Expect::Error(MALFORMED),
        ),
        case(
            "jpeg-fill-bytes.jpg",
            jpeg_with(&[0xFF, 0xFF, 0xFF, 0xFE, 0x00, 0x04, b'h', b'i']),
            Expect::Reads,
        ),
        case(
            "jpeg-segment-length-1.jpg",
            jpeg_with(&[0xFF, 0xE5, 0x00, 0x01]),
            Expect::Error(MALFORMED),
        ),
    ]
}

fn png_structure() -> Vec<Case> {
    let mut bad_text_crc = png_chunk(b"tEXt", b"Comment\0hello");
    let at = bad_text_crc.len() - 1;
    bad_text_crc[at] ^= 0xFF;
    let mut bad_xmp_crc = png_xmp_itxt(&packet_with(""), false);
    let at = bad_xmp_crc.len() - 1;
    bad_xmp_crc[at] ^= 0xFF;
    let plain = sample_bytes("png/plain.png");
    let mut bad_idat_crc = plain.clone();
    let layout = container::scan(&mut Cursor::new(&plain)).unwrap();
    let idat = layout.blocks_of(BlockKind::ImageData).next().unwrap();
    bad_idat_crc[idat.range.end as usize - 1] ^= 0xFF;
    let no_iend = plain[..plain.len() - 12].to_vec();
    vec![
        case(
            "png-bad-crc-text.png",
            png_with(&bad_text_crc),
            Expect::Reads,
        ),
        // ccsig would read and replace this chunk: it refuses to trust it.
        case(
            "png-bad-crc-xmp.png",
            png_with(&bad_xmp_crc),
            Expect::Error(&["bad CRC"]),
        ),
        case("png-bad-crc-idat.png", bad_idat_crc, Expect::Reads),
        case("png-without-iend.png", no_iend, Expect::Error(CUT)),
        case(
            "png-data-after-iend.png",
            [plain.as_slice(), &png_chunk(b"tEXt", b"Comment\0late")].concat(),
            Expect::Reads,
        ),
    ]
}

fn riff_structure() -> Vec<Case> {
    let lossy = sample_bytes("webp/lossy.webp");
    let mut too_long = lossy.clone();
    too_long[4..8].copy_from_slice(&((lossy.len() - 8 + 100) as u32).to_le_bytes());
    let mut too_short = lossy.clone();
    too_short[4..8].copy_from_slice(&((lossy.len() - 8 - 100) as u32).to_le_bytes());
    let mut odd = lossy.clone();
    odd[4..8].copy_from_slice(&((lossy.len() - 8 - 1) as u32).to_le_bytes());
    let trailing = [lossy.as_slice(), b"trailing bytes after the RIFF"].concat();
    let mut chunk_past_end = webp_with(&riff_chunk(b"JUNK", b"0123456789"));
    let at = chunk_past_end.len() - 14;
    chunk_past_end[at..at + 4].copy_from_slice(&1000u32.to_le_bytes());
    vec![
        case("riff-size-too-long.webp", too_long, Expect::Error(CUT)),
        case(
            "riff-size-too-short.webp",
            too_short,
            Expect::Error(MALFORMED),
        ),
        case("riff-size-odd.webp", odd, Expect::Error(MALFORMED)),
        case("riff-trailing-bytes.webp", trailing, Expect::Reads),
        case(
            "riff-chunk-past-end.webp",
            chunk_past_end,
            Expect::Error(CUT),
        ),
    ]
}

fn vp8x_flags() -> Vec<Case> {
    let mut xmp_flag_no_chunk = sample_bytes("webp/exif.webp");
    xmp_flag_no_chunk[VP8X_FLAGS] |= VP8X_XMP;
    let mut chunk_no_flag = webp_with(&riff_chunk(
        b"XMP ",
        &packet_with("<ccsig:expression>train-ai=y</ccsig:expression>"),
    ));
    chunk_no_flag[VP8X_FLAGS] &= !VP8X_XMP;
    let mut anim_flag_still = sample_bytes("webp/exif.webp");
    anim_flag_still[VP8X_FLAGS] |= 0x02;
    let mut exif_flag_cleared = sample_bytes("webp/exif.webp");
    exif_flag_cleared[VP8X_FLAGS] &= !0x08;
    vec![
        case(
            "vp8x-xmp-flag-without-chunk.webp",
            xmp_flag_no_chunk,
            Expect::Reads,
        ),
        case(
            "vp8x-xmp-chunk-without-flag.webp",
            chunk_no_flag,
            Expect::Reads,
        ),
        case(
            "vp8x-animation-flag-on-still.webp",
            anim_flag_still,
            Expect::Reads,
        ),
        case(
            "vp8x-exif-flag-cleared.webp",
            exif_flag_cleared,
            Expect::Reads,
        ),
    ]
}

fn xml_bombs() -> Vec<Case> {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>"#;
    let bomb = format!(
        "{laughs}{}",
        common::packet("<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">&lol9;</rdf:li></rdf:Alt></dc:description>")
    );
    let depth = 200_000;
    let deep = format!("{}{}", "<dc:x>".repeat(depth), "</dc:x>".repeat(depth));
    vec![
        case(
            "xmp-entity-expansion.jpg",
            jpeg_with(&xmp_app1(bomb.as_bytes())),
            Expect::Refused(&["XMP"]),
        ),
        case(
            "xmp-200000-deep.png",
            png_with(&png_xmp_itxt(&packet_with(&deep), false)),
            Expect::Reads,
        ),
        case(
            "xmp-60mb-packet.png",
            png_with(&png_xmp_itxt(&long_packet(60 << 20), false)),
            Expect::Reads,
        ),
        case(
            "xmp-60mb-packet.webp",
            webp_with(&riff_chunk(b"XMP ", &long_packet(60 << 20))),
            Expect::Reads,
        ),
        case(
            "xmp-inflates-to-64mib.png",
            png_with(&png_xmp_itxt(&long_packet(64 << 20), true)),
            Expect::Error(&["inflates to more than"]),
        ),
    ]
}

fn many_blocks() -> Vec<Case> {
    let count = 100_000;
    let comments: Vec<u8> = (0..count).flat_map(|_| jpeg_segment(0xFE, b"")).collect();
    let texts: Vec<u8> = (0..count)
        .flat_map(|_| png_chunk(b"tEXt", b"k\0v"))
        .collect();
    let junk: Vec<u8> = (0..count).flat_map(|_| riff_chunk(b"JUNK", b"")).collect();
    let xmps: Vec<u8> = (0..count)
        .flat_map(|_| png_xmp_itxt(&packet_with(""), false))
        .collect();
    vec![
        case(
            "jpeg-100000-segments.jpg",
            jpeg_with(&comments),
            Expect::Reads,
        ),
        case("png-100000-chunks.png", png_with(&texts), Expect::Reads),
        case("webp-100000-chunks.webp", webp_with(&junk), Expect::Reads),
        case(
            // The first packet is the one replaced; the next four are read
            // and kept, the rest kept and reported as not read.
            "png-100000-xmp-chunks.png",
            png_with(&xmps),
            Expect::Reads,
        ),
    ]
}

fn extended_xmp() -> Vec<Case> {
    let guid = "0123456789ABCDEF0123456789ABCDEF";
    let other = "FEDCBA9876543210FEDCBA9876543210";
    let main = xmp_app1(&packet_with(&format!(
        "<xmpNote:HasExtendedXMP xmlns:xmpNote=\"http://ns.adobe.com/xmp/note/\">{guid}</xmpNote:HasExtendedXMP>"
    )));
    let extension = common::packet("<dc:title>from the extension</dc:title>").into_bytes();
    let full = extension.len() as u32;
    let half = extension.len() / 2;
    vec![
        case(
            "extended-xmp-wrong-guid.jpg",
            jpeg_with(&[main.clone(), extended_xmp_app1(other, full, 0, &extension)].concat()),
            Expect::Reads,
        ),
        case(
            "extended-xmp-overlapping.jpg",
            jpeg_with(
                &[
                    main.clone(),
                    extended_xmp_app1(guid, full, 0, &extension[..half + 10]),
                    extended_xmp_app1(guid, full, half as u32, &extension[half..]),
                ]
                .concat(),
            ),
            Expect::Reads,
        ),
        case(
            "extended-xmp-past-full-length.jpg",
            jpeg_with(&[main, extended_xmp_app1(guid, 10, 5, &extension)].concat()),
            Expect::Reads,
        ),
    ]
}

fn iim_lengths() -> Vec<Case> {
    vec![
        case(
            "iim-dataset-past-block.jpg",
            jpeg_with(&iim_app13(b"\x1c\x02\x28\x7f\xfftrain-ai", 13)),
            Expect::Refused(&["IIM", "IPTC"]),
        ),
        case(
            "iim-extended-length-of-length.jpg",
            jpeg_with(&iim_app13(b"\x1c\x02\x28\xff\xfftrain-ai", 13)),
            Expect::Refused(&["IIM", "IPTC"]),
        ),
        case(
            "iim-resource-past-segment.jpg",
            jpeg_with(&iim_app13(b"\x1c\x02\x28\x00\x08train-ai", 4000)),
            Expect::Refused(&["IIM", "IPTC", "Photoshop"]),
        ),
    ]
}

/// The committed inputs (fuzzer findings, minimised; tests/hostile/README.md
/// says what each one found) and what the CLI must make of each.
const COMMITTED: &[(&str, Expect)] = &[
    (
        "fuzz-apply-other-language-expression.jpg",
        Expect::Refused(&["states another preference"]),
    ),
    // 23 KB that made the c2pa crate hold 1.8 GB: now never handed to it.
    (
        "fuzz-c2pa-read-cbor-length.jpg",
        Expect::Refused(&["C2PA Content Credentials"]),
    ),
    // A strip whose offset points inside IFD0: moving IFD0 changed it.
    (
        "fuzz-tiff-strip-inside-ifd0.tif",
        Expect::Error(&["overlaps"]),
    ),
];

fn committed() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
    let mut on_disk: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "README.md")
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = COMMITTED.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "every file in tests/hostile/ has an expectation"
    );
    COMMITTED
        .iter()
        .map(|(name, expect)| case(name, fs::read(dir.join(name)).unwrap(), *expect))
        .collect()
}

/// An expression in another language's item of plus:OtherConstraints,
/// which ccsig does not rewrite (found by the apply fuzz target).
fn other_languages() -> Vec<Case> {
    let alt = |de: &str| {
        packet_with(&format!(
            "<plus:OtherConstraints><rdf:Alt>\
             <rdf:li xml:lang=\"x-default\">Editorial use only.</rdf:li>\
             <rdf:li xml:lang=\"de\">Nur redaktionell. Content-Usage: {de}</rdf:li>\
             </rdf:Alt></plus:OtherConstraints>"
        ))
    };
    vec![
        case(
            "xmp-german-item-states-another-preference.jpg",
            jpeg_with(&xmp_app1(&alt("train-ai=y"))),
            Expect::Refused(&["plus:OtherConstraints[de] states another preference"]),
        ),
        case(
            "xmp-german-item-states-the-same.jpg",
            jpeg_with(&xmp_app1(&alt("train-ai=n;exceptions=cc-cr"))),
            Expect::Reads,
        ),
    ]
}

/// Later XMP packets (a second APP1 some tools add): one that states
/// another preference makes `apply` refuse, one that agrees is kept.
fn later_packets() -> Vec<Case> {
    let dm = |uri: &str| packet_with(&format!("<plus:DataMining>{uri}</plus:DataMining>"));
    let prohibited = dm("http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED");
    let unspecified = dm("http://ns.useplus.org/ldf/vocab/DMI-UNSPECIFIED");
    let main = packet_with("");
    let seven: Vec<u8> = std::iter::once(&main)
        .chain(std::iter::repeat_n(&unspecified, 6))
        .flat_map(|p| xmp_app1(p))
        .collect();
    vec![
        case(
            "xmp-second-packet-states-another-preference.jpg",
            jpeg_with(&[xmp_app1(&main), xmp_app1(&prohibited)].concat()),
            Expect::Refused(&["writes only the first XMP packet"]),
        ),
        case("xmp-seven-packets.jpg", jpeg_with(&seven), Expect::Reads),
    ]
}

/// The formats of issue 19: HEIF and JPEG XL boxes and TIFF directories
/// cut off, sized past the file or near 4 GiB (and with 64-bit sizes),
/// HEIF items located outside the file or over another item's bytes, an
/// image sequence, a TIFF whose directories loop.
fn boxes_and_directories() -> Vec<Case> {
    let heic = sample_bytes("heif/exiftool-xmp.heic");
    let top = common::box_list(&heic, 0, heic.len());
    let mdat = top.iter().find(|(t, _, _)| t == b"mdat").unwrap().1;
    let &(_, meta, meta_end) = top.iter().find(|(t, _, _)| t == b"meta").unwrap();
    let iloc = common::box_list(&heic, meta + 4, meta_end)
        .into_iter()
        .find(|(t, _, _)| t == b"iloc")
        .unwrap();
    // The XMP item's extent is the last entry's: its offset and length
    // close the box (version 1, 4-byte fields).
    let xmp_offset = iloc.2 - 8;
    let with_xmp_at = |offset: u32| {
        let mut b = heic.clone();
        b[xmp_offset..xmp_offset + 4].copy_from_slice(&offset.to_be_bytes());
        b
    };
    // ExifTool put the packet first in mdat, the image's tiles after it:
    // 100 bytes on, the item runs over the first tile.
    let first_item = mdat as u32 + 100;
    let mut heic_mdat_4g = heic.clone();
    heic_mdat_4g[mdat - 8..mdat - 4].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
    let mut heic_mdat_64 = heic[..mdat - 8].to_vec();
    heic_mdat_64.extend_from_slice(b"\0\0\0\x01mdat\xff\xff\xff\xff\xff\xff\xff\xf0");
    heic_mdat_64.extend_from_slice(&heic[mdat..]);
    let mut sequence = sample_bytes("heif/plain.avif");
    sequence.extend_from_slice(b"\0\0\0\x08moov");

    let jxl = sample_bytes("jxl/from-jpeg.jxl");
    let jxl_boxes = common::box_list(&jxl, 0, jxl.len());
    let brob = jxl_boxes.iter().find(|(t, _, _)| t == b"brob").unwrap().1;
    let mut bad_brob = jxl.clone();
    bad_brob[brob + 4..brob + 16].fill(0xFF);
    let mut jxl_4g = jxl.clone();
    jxl_4g[32..36].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
    let mut jxl_64 = jxl[..32].to_vec();
    jxl_64.extend_from_slice(b"\0\0\0\x01free\xff\xff\xff\xff\xff\xff\xff\xf0");
    jxl_64.extend_from_slice(&jxl[32..]);

    let tiff = sample_bytes("tiff/plain.tif");
    let ifd0 = u32::from_le_bytes(tiff[4..8].try_into().unwrap()) as usize;
    let entries = u16::from_le_bytes(tiff[ifd0..ifd0 + 2].try_into().unwrap()) as usize;
    let next = ifd0 + 2 + 12 * entries;
    let mut tiff_loop = tiff.clone();
    tiff_loop[next..next + 4].copy_from_slice(&(ifd0 as u32).to_le_bytes());
    let mut tiff_outside = tiff.clone();
    tiff_outside[4..8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    vec![
        case(
            "heif-cut-in-mdat.heic",
            heic[..mdat + 10].to_vec(),
            Expect::Error(CUT),
        ),
        case("heif-mdat-size-4gib.heic", heic_mdat_4g, Expect::Error(CUT)),
        case(
            "heif-mdat-64-bit-size.heic",
            heic_mdat_64,
            Expect::Error(CUT),
        ),
        case(
            "heif-xmp-item-past-the-end.heic",
            with_xmp_at(0x7FFF_0000),
            Expect::Error(CUT),
        ),
        case(
            "heif-xmp-item-over-the-image.heic",
            with_xmp_at(first_item),
            Expect::Refused(&["XMP packet cannot be read", "shared with another item"]),
        ),
        case(
            "heif-image-sequence.avif",
            sequence,
            Expect::Refused(&["image sequence"]),
        ),
        case(
            "jxl-cut-in-a-box.jxl",
            jxl[..brob + 20].to_vec(),
            Expect::Error(CUT),
        ),
        case(
            "jxl-brob-not-brotli.jxl",
            bad_brob,
            Expect::Error(&["does not decompress"]),
        ),
        case("jxl-box-size-4gib.jxl", jxl_4g, Expect::Error(CUT)),
        case("jxl-box-64-bit-size.jxl", jxl_64, Expect::Error(CUT)),
        case("tiff-ifd0-outside.tif", tiff_outside, Expect::Error(CUT)),
        case("tiff-ifd-loop.tif", tiff_loop, Expect::Reads),
    ]
}

fn corpus() -> Vec<Case> {
    let mut all = truncations();
    for group in [
        near_4_gib(),
        jpeg_structure(),
        png_structure(),
        riff_structure(),
        vp8x_flags(),
        xml_bombs(),
        many_blocks(),
        extended_xmp(),
        iim_lengths(),
        other_languages(),
        later_packets(),
        boxes_and_directories(),
        committed(),
    ] {
        all.extend(group);
    }
    all
}

// --- Writing the corpus (in a child process) ---

/// Where the corpus is written when this test binary runs as the
/// corpus-writing child; see [`write_corpus_in_a_child`].
const CORPUS_OUT: &str = "CCSIG_HOSTILE_CORPUS_OUT";

/// The child's half of [`write_corpus_in_a_child`]: writes every case to
/// `files/` (dated [`OLD_MTIME`]), a copy of each valid one to
/// `originals/`, and `manifest.tsv` (name, expectation, words, alone).
#[test]
#[ignore = "run as a child process by hostile_files_get_a_clear_error_each_and_stay_untouched"]
fn write_hostile_corpus() {
    let Some(out) = std::env::var_os(CORPUS_OUT) else {
        return;
    };
    let out = PathBuf::from(out);
    fs::create_dir_all(out.join("files")).unwrap();
    fs::create_dir_all(out.join("originals")).unwrap();
    let mut manifest = String::new();
    for c in corpus() {
        let (kind, words) = match c.expect {
            Expect::Error(words) => ("error", words),
            Expect::Refused(words) => ("refused", words),
            Expect::Reads => ("reads", &[][..]),
        };
        let path = out.join("files").join(&c.name);
        fs::write(&path, &c.bytes).unwrap();
        set_old_mtime(&path);
        if c.expect == Expect::Reads {
            fs::write(out.join("originals").join(&c.name), &c.bytes).unwrap();
        }
        manifest += &format!("{}\t{kind}\t{}\t{}\n", c.name, words.join("|"), c.alone);
    }
    fs::write(out.join("manifest.tsv"), manifest).unwrap();
}

/// One line of the manifest: a file and what the CLI must make of it.
struct Entry {
    name: String,
    expect: String,
    words: Vec<String>,
    alone: bool,
    digest: [u8; 16],
}

/// Writes the corpus in a child process and returns its manifest. The
/// corpus takes hundreds of megabytes to make, and a process started from
/// this one inherits its peak memory in the kernel's count, which would
/// drown the peak of the CLI runs measured here.
fn write_corpus_in_a_child(out: &Path) -> Vec<Entry> {
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "write_hostile_corpus", "--ignored", "--quiet"])
        .env(CORPUS_OUT, out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "writing the corpus failed");
    let manifest = fs::read_to_string(out.join("manifest.tsv")).unwrap();
    manifest
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            Entry {
                name: fields[0].into(),
                expect: fields[1].into(),
                words: fields[2]
                    .split('|')
                    .filter(|w| !w.is_empty())
                    .map(String::from)
                    .collect(),
                alone: fields[3] == "true",
                digest: digest(&out.join("files").join(fields[0])),
            }
        })
        .collect()
}

fn set_old_mtime(path: &Path) {
    let f = fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + OLD_MTIME).unwrap();
}

/// MD5 of a file, read in pieces so that this process stays small.
fn digest(path: &Path) -> [u8; 16] {
    use md5::Digest;
    let mut hasher = md5::Md5::new();
    let mut file = fs::File::open(path).unwrap();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut file, &mut buf).unwrap();
        if n == 0 {
            break hasher.finalize().into();
        }
        hasher.update(&buf[..n]);
    }
}

// --- Running the CLI under watch ---

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the CLI with a hang guard, waits for it with `wait4` to learn its
/// own peak memory, and checks that it did not panic and stayed under the
/// memory limit.
#[allow(clippy::zombie_processes)] // reaped by wait4, not by Child::wait
fn run(args: &[&str], paths: &[PathBuf], what: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (dir.path().join("out"), dir.path().join("err"));
    let started = Instant::now();
    let mut command = Command::new(env!("CARGO_BIN_EXE_ccsig"));
    command
        .args(args)
        .args(paths)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).unwrap())
        .stderr(fs::File::create(&err_path).unwrap());
    // A child started by vfork (posix_spawn, std's default) shares this
    // test process's memory until it execs, and Linux carries that
    // memory's high-water mark into the child's ru_maxrss: the child
    // would be charged for the peak of every other test in this process.
    // A pre_exec hook makes std fork instead, and a forked child starts
    // from this process's current size, which the corpus lock keeps small.
    // SAFETY: the hook does nothing, so it is async-signal-safe.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || Ok(()));
    }
    let child = command.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    loop {
        // SAFETY: pid is our unreaped child; status and usage are valid
        // for writes.
        let rc = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, usage.as_mut_ptr()) };
        assert!(rc >= 0, "wait4: {}", std::io::Error::last_os_error());
        if rc == pid {
            break;
        }
        if started.elapsed() > HANG_GUARD {
            // SAFETY: signalling our own child, not yet reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            // SAFETY: reaping our own child; a null status pointer is allowed.
            unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
            panic!("{what}: still running after {HANG_GUARD:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: wait4 returned the child, so it filled `usage`.
    let peak_kib = unsafe { usage.assume_init() }.ru_maxrss;
    let run = Run {
        code: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
        stdout: fs::read_to_string(&out_path).unwrap(),
        stderr: fs::read_to_string(&err_path).unwrap(),
    };
    assert!(
        libc::WIFEXITED(status),
        "{what}: killed by signal {}: {}",
        libc::WTERMSIG(status),
        run.stderr
    );
    assert!(
        run.code != 101 && !run.stderr.contains("panicked"),
        "{what}: panicked: {}",
        run.stderr
    );
    assert!(
        peak_kib < PEAK_RSS_LIMIT_KIB,
        "{what}: the run held {peak_kib} KiB (limit {PEAK_RSS_LIMIT_KIB} KiB)"
    );
    run
}

fn jsonl(run: &Run) -> Vec<serde_json::Value> {
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// A breach of the corpus's rules, kept to be reported with all the others.
macro_rules! expect {
    ($failures:ident, $cond:expr, $($arg:tt)+) => {
        if !$cond {
            $failures.push(format!($($arg)+));
        }
    };
}

fn untouched(path: &Path, entry: &Entry) -> bool {
    digest(path) == entry.digest
        && fs::metadata(path).unwrap().modified().unwrap() == SystemTime::UNIX_EPOCH + OLD_MTIME
}

fn mentions_one_of(message: &str, words: &[String]) -> bool {
    words.iter().any(|w| message.contains(w.as_str()))
}

/// What is wrong with a file `apply` wrote, if anything: it must read back
/// with the signal and keep every foreign block (img-parts' view).
fn written_wrong(path: &Path, original: &Path) -> Option<String> {
    let written = fs::read(path).unwrap();
    let signals = match ccsig::read_bytes(&written) {
        Ok(signals) => signals,
        Err(e) => return Some(format!("the written file does not read: {e}")),
    };
    let wanted = ccsig::signal::Decision::AllowedIf(vec![ccsig::SignalCode::Cr]);
    if signals.decisions.get("train-ai") != Some(&wanted) {
        return Some(format!(
            "the signal does not read back: {:?}",
            signals.decisions
        ));
    }
    let original = fs::read(original).unwrap();
    if foreign_blocks(&original) != foreign_blocks(&written) {
        return Some("a foreign block or the image data changed".into());
    }
    let extended_webp = written.starts_with(b"RIFF") && written.get(12..16) == Some(b"VP8X");
    if extended_webp && written[VP8X_FLAGS] & VP8X_XMP == 0 {
        return Some("the VP8X XMP flag is not set".into());
    }
    if !written.ends_with(after_the_container(&original)) {
        return Some("the bytes after the container's end were not kept".into());
    }
    None
}

/// What follows a WebP's RIFF or a PNG's IEND chunk: not the container's,
/// so not ccsig's to drop.
fn after_the_container(bytes: &[u8]) -> &[u8] {
    if bytes.starts_with(b"RIFF") {
        let riff = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        return bytes.get(8 + riff..).unwrap_or_default();
    }
    if bytes.starts_with(b"\x89PNG") {
        if let Some(at) = bytes.windows(4).position(|w| w == b"IEND") {
            return &bytes[at + 8..];
        }
    }
    &[]
}

/// Every block not ccsig's to change, by img-parts; for a PNG that
/// img-parts refuses (a bad CRC, which ccsig copies as it is), by a plain
/// walk of its chunks that checks no CRC.
fn foreign_blocks(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let is_png = bytes.starts_with(b"\x89PNG");
    if !is_png || img_parts::png::Png::from_bytes(bytes.to_vec().into()).is_ok() {
        return common::foreign_blocks(bytes);
    }
    let mut chunks = vec![];
    let mut at = 8;
    while at + 12 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let end = (at + 12 + len).min(bytes.len());
        let kind = String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned();
        let data = &bytes[at + 8..end.saturating_sub(4).max(at + 8)];
        let ours = (kind == "iTXt" && data.starts_with(b"XML:com.adobe.xmp\0"))
            || data.starts_with(b"Raw profile type iptc\0")
            || data.starts_with(b"Raw profile type 8bim\0");
        if !ours {
            chunks.push((kind, bytes[at..end].to_vec()));
        }
        at = end;
    }
    chunks
}

/// The named cases one at a time (the table a person reads: exit code and
/// the line naming the file), then the whole corpus as one batch per
/// command (JSON lines: one record per file). Files `apply` wrote are
/// checked last, when this process's memory no longer matters.
#[test]
fn hostile_files_get_a_clear_error_each_and_stay_untouched() {
    let _alone = HOLDS_THE_CORPUS.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let entries = write_corpus_in_a_child(dir.path());
    assert!(entries.len() > 300, "{} cases", entries.len());
    let files = dir.path().join("files");
    let paths: Vec<PathBuf> = entries.iter().map(|e| files.join(&e.name)).collect();
    let mut failures: Vec<String> = vec![];
    let mut to_verify: Vec<(PathBuf, String)> = vec![];

    let single = dir.path().join("single");
    fs::create_dir(&single).unwrap();
    for (e, source) in entries.iter().zip(&paths).filter(|(e, _)| e.alone) {
        let path = single.join(&e.name);
        fs::copy(source, &path).unwrap();
        set_old_mtime(&path);
        let shown = path.display().to_string();
        let one = std::slice::from_ref(&path);
        let read = run(&["read"], one, &e.name);
        let check = run(&["check"], one, &e.name);
        let apply = run(&["apply", "--signal", "cc-cr"], one, &e.name);
        let read_error = read.stdout.find(&shown).is_some_and(|at| {
            read.stdout[at..]
                .lines()
                .nth(1)
                .is_some_and(|l| l.trim_start().starts_with("error: "))
        });
        let apply_error = apply.stdout.contains(&format!("{shown}: error: "));
        match e.expect.as_str() {
            "error" => {
                expect!(
                    failures,
                    read.code == 1 && read_error,
                    "read {} alone: {} {}",
                    e.name,
                    read.code,
                    read.stdout
                );
                expect!(
                    failures,
                    check.code == 1
                        && check
                            .stdout
                            .contains(&format!("{shown}: error[unreadable]: ")),
                    "check {} alone: {} {}",
                    e.name,
                    check.code,
                    check.stdout
                );
            }
            "refused" => {
                expect!(
                    failures,
                    read.code == 0,
                    "read {} alone: {}",
                    e.name,
                    read.stdout
                );
            }
            _ => {
                expect!(
                    failures,
                    read.code == 0,
                    "read {} alone: {}",
                    e.name,
                    read.stdout
                );
                expect!(
                    failures,
                    !check.stdout.contains("error[unreadable]"),
                    "check {} alone: {}",
                    e.name,
                    check.stdout
                );
                expect!(
                    failures,
                    apply.code == 0 && apply.stdout.contains(&format!("{shown}: written")),
                    "apply {} alone: {} {}",
                    e.name,
                    apply.code,
                    apply.stdout
                );
                to_verify.push((path, format!("apply {} alone", e.name)));
                continue;
            }
        }
        // An error or a refusal: apply says so and leaves the file.
        expect!(
            failures,
            apply.code == 1 && apply_error,
            "apply {} alone: {} {}",
            e.name,
            apply.code,
            apply.stdout
        );
        expect!(
            failures,
            untouched(&path, e),
            "{} alone was changed",
            e.name
        );
    }

    let started = Instant::now();
    let read = run(&["read", "--format", "jsonl"], &paths, "batch read");
    assert_eq!(read.code, 1, "batch read: {}", read.stderr);
    let records = jsonl(&read);
    assert_eq!(records.len(), entries.len(), "one read record per file");
    for (e, record) in entries.iter().zip(&records) {
        assert!(record["path"].as_str().unwrap().ends_with(&e.name));
        let error = record["error"].as_str().unwrap_or("");
        if e.expect == "error" {
            expect!(
                failures,
                record["status"] == "error" && mentions_one_of(error, &e.words),
                "read {}: expected an error with one of {:?}: {error}",
                e.name,
                e.words
            );
        } else {
            expect!(
                failures,
                record["status"] == "ok",
                "read {}: expected a read: {error}",
                e.name
            );
        }
    }

    let check = run(&["check", "--format", "jsonl"], &paths, "batch check");
    assert_eq!(check.code, 1, "batch check: {}", check.stderr);
    let findings = jsonl(&check);
    for (e, path) in entries.iter().zip(&paths) {
        let path = path.display().to_string();
        let unreadable: Vec<&str> = findings
            .iter()
            .filter(|f| f["path"] == path.as_str() && f["kind"] == "unreadable")
            .map(|f| f["message"].as_str().unwrap())
            .collect();
        if e.expect == "error" {
            expect!(
                failures,
                unreadable.len() == 1 && mentions_one_of(unreadable[0], &e.words),
                "check {}: expected one unreadable finding with one of {:?}: {unreadable:?}",
                e.name,
                e.words
            );
        } else {
            expect!(
                failures,
                unreadable.is_empty(),
                "check {}: {unreadable:?}",
                e.name
            );
        }
    }
    for (e, path) in entries.iter().zip(&paths) {
        expect!(
            failures,
            untouched(path, e),
            "read or check changed {}",
            e.name
        );
    }

    let apply = run(
        &["apply", "--signal", "cc-cr", "--format", "jsonl"],
        &paths,
        "batch apply",
    );
    assert_eq!(apply.code, 1, "batch apply: {}", apply.stderr);
    let outcomes = jsonl(&apply);
    assert_eq!(outcomes.len(), entries.len(), "one apply record per file");
    for ((e, path), outcome) in entries.iter().zip(&paths).zip(&outcomes) {
        assert!(outcome["path"].as_str().unwrap().ends_with(&e.name));
        let error = outcome["error"].as_str().unwrap_or("");
        if e.expect == "reads" {
            expect!(
                failures,
                outcome["status"] == "written",
                "apply {}: expected a write: {} {error}",
                e.name,
                outcome["status"]
            );
            to_verify.push((path.clone(), format!("apply {}", e.name)));
        } else {
            expect!(
                failures,
                outcome["status"] == "error" && mentions_one_of(error, &e.words),
                "apply {}: expected an error with one of {:?}: {} {error}",
                e.name,
                e.words,
                outcome["status"]
            );
            expect!(failures, untouched(path, e), "apply changed {}", e.name);
        }
    }
    let batch_time = started.elapsed();
    assert!(batch_time < HANG_GUARD, "the batch took {batch_time:?}");

    let originals = dir.path().join("originals");
    for (path, what) in &to_verify {
        if let Some(wrong) = written_wrong(path, &originals.join(path.file_name().unwrap())) {
            failures.push(format!("{what}: {wrong}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} expectations failed over {} files:\n{}",
        failures.len(),
        entries.len(),
        failures.join("\n")
    );
}

// --- Reads from parts of the file (issue 20) ---

/// Held by a test that holds the whole corpus in this process, and by the
/// one that measures the CLI's peak memory: a child forked while this
/// process holds hundreds of megabytes counts them in its own peak, so the
/// two never overlap.
static HOLDS_THE_CORPUS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The ranged reader (whole fetches, the size known) and the stream reader
/// (64 KiB chunks, the length known or not) give every hostile file the
/// answer a read of the whole file gives: the same signals, or an error
/// where it has one. Neither holds more than the file.
#[test]
fn ranged_and_streamed_reads_of_hostile_files_agree_with_the_full_read() {
    let _alone = HOLDS_THE_CORPUS.lock().unwrap_or_else(|e| e.into_inner());
    use ccsig::ranged::{RangedRead, Step};
    use ccsig::stream::StreamRead;
    use ccsig::{FileSignals, ReadError, ReadOptions};

    fn agree(
        name: &str,
        how: &str,
        full: &Result<FileSignals, ReadError>,
        got: &Result<FileSignals, ReadError>,
    ) {
        match (full, got) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.decisions, b.decisions, "{name} {how}");
                assert_eq!(a.credit, b.credit, "{name} {how}");
                let fields =
                    |s: &FileSignals| s.sources.iter().map(|s| s.field()).collect::<Vec<_>>();
                assert_eq!(fields(a), fields(b), "{name} {how}");
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!("{name} {how}: full read {a:?}\n{how} {b:?}"),
        }
    }

    let cases = corpus();
    assert!(cases.len() > 100, "{} cases", cases.len());
    for c in cases {
        let file = &c.bytes;
        let full = ccsig::read_bytes(file);

        let mut ranged = RangedRead::new(Some(file.len() as u64), ReadOptions::default());
        let (mut fetched, mut steps) = (0u64, 0);
        let answer = loop {
            steps += 1;
            assert!(steps < 10_000, "{}: the ranged read does not end", c.name);
            match ranged.step() {
                Step::Fetch(ranges) => {
                    for r in ranges {
                        let bytes = &file[r.start as usize..r.end as usize];
                        fetched += bytes.len() as u64;
                        ranged.feed(r.start, bytes);
                    }
                }
                Step::Done(answer) => break *answer,
            }
        };
        agree(&c.name, "ranged", &full, &answer);
        assert!(
            fetched <= 2 * file.len() as u64 + (1 << 20),
            "{}: {fetched} fetched",
            c.name
        );

        for size in [Some(file.len() as u64), None] {
            let mut read = StreamRead::new(size, ReadOptions::default());
            for chunk in file.chunks(64 * 1024) {
                read.feed(chunk);
            }
            agree(
                &c.name,
                &format!("streamed (length {size:?})"),
                &full,
                &read.finish(),
            );
        }
    }
}
