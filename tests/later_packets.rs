//! Files with more than one XMP packet. The specifications allow one per
//! file and readers take the first, but tools write more (stegoeggo adds
//! its `plus:DataMining` in a second APP1 of a JPEG that already has a
//! packet), and ExifTool reads them all. ccsig reads the later ones too:
//! a preference stated only there is read, one that disagrees with the
//! main packet is a conflict, `apply` refuses to write a file whose later
//! packet would then disagree, and it never rewrites a later packet.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use img_parts::jpeg::{Jpeg, JpegSegment};
use img_parts::png::{Png, PngChunk};
use img_parts::riff::{RiffChunk, RiffContent};
use img_parts::webp::WebP;
use img_parts::Bytes;

const JPEG_XMP: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const PNG_XMP: &[u8] = b"XML:com.adobe.xmp\0\0\0\0\0";

/// Samples whose main packet holds ccsig's tag, one per format.
const TAGGED: [&str; 3] = [
    "tagged/ccsig-cr-op.jpg",
    "tagged/ccsig-cr.png",
    "tagged/ccsig-ec.webp",
];

const PROHIBITED: &str =
    "<plus:DataMining>http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED</plus:DataMining>";

/// A copy of sample `rel` in `dir` with `bodies.len()` more XMP packets
/// after its own (each [`common::packet`] of a body), stored as the format
/// stores a packet; written by img-parts, not by ccsig.
fn with_later_packets(dir: &Path, rel: &str, bodies: &[&str]) -> PathBuf {
    let name = Path::new(rel).file_name().unwrap();
    let path = dir.join(name);
    fs::write(
        &path,
        add_packets(&fs::read(common::sample(rel)).unwrap(), bodies),
    )
    .unwrap();
    path
}

/// `bytes` with more XMP packets after its own, written by img-parts.
fn add_packets(bytes: &[u8], bodies: &[&str]) -> Vec<u8> {
    let format = ccsig::Format::detect(bytes).unwrap();
    let bytes = Bytes::copy_from_slice(bytes);
    let packets = bodies.iter().map(|b| common::packet(b).into_bytes());
    if format == ccsig::Format::Jpeg {
        let mut jpeg = Jpeg::from_bytes(bytes).unwrap();
        let sos = jpeg
            .segments()
            .iter()
            .position(|s| s.marker() == 0xDA)
            .unwrap();
        for (i, packet) in packets.enumerate() {
            let contents = [JPEG_XMP, &packet].concat();
            let segment = JpegSegment::new_with_contents(0xE1, Bytes::from(contents));
            jpeg.segments_mut().insert(sos + i, segment);
        }
        jpeg.encoder().bytes().to_vec()
    } else if format == ccsig::Format::Png {
        let mut png = Png::from_bytes(bytes).unwrap();
        for packet in packets {
            let at = png.chunks().len() - 1; // before IEND
            let chunk = PngChunk::new(*b"iTXt", Bytes::from([PNG_XMP, &packet].concat()));
            png.chunks_mut().insert(at, chunk);
        }
        png.encoder().bytes().to_vec()
    } else {
        let mut webp = WebP::from_bytes(bytes).unwrap();
        for packet in packets {
            let chunk = RiffChunk::new(*b"XMP ", RiffContent::Data(Bytes::from(packet)));
            webp.chunks_mut().push(chunk);
        }
        webp.encoder().bytes().to_vec()
    }
}

/// Every XMP packet of a file after the first, exact bytes, as img-parts
/// sees them.
fn later_packets(bytes: &[u8]) -> Vec<Vec<u8>> {
    let b = Bytes::copy_from_slice(bytes);
    let all: Vec<Vec<u8>> = if bytes.starts_with(&[0xFF, 0xD8]) {
        Jpeg::from_bytes(b)
            .unwrap()
            .segments()
            .iter()
            .filter(|s| s.marker() == 0xE1 && s.contents().starts_with(JPEG_XMP))
            .map(|s| s.contents().to_vec())
            .collect()
    } else if bytes.starts_with(b"\x89PNG") {
        Png::from_bytes(b)
            .unwrap()
            .chunks()
            .iter()
            .filter(|c| &c.kind() == b"iTXt" && c.contents().starts_with(b"XML:com.adobe.xmp\0"))
            .map(|c| c.contents().to_vec())
            .collect()
    } else {
        WebP::from_bytes(b)
            .unwrap()
            .chunks()
            .iter()
            .filter(|c| &c.id() == b"XMP ")
            .map(|c| c.content().data().unwrap().to_vec())
            .collect()
    };
    all.into_iter().skip(1).collect()
}

fn shown(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn a_later_packet_that_disagrees_is_a_conflict_and_the_decision_follows_it() {
    let dir = tempfile::tempdir().unwrap();
    for rel in TAGGED {
        let path = with_later_packets(dir.path(), rel, &[PROHIBITED]);
        let check = common::ccsig(&["check", "--format", "jsonl", shown(&path)]);
        assert_eq!(check.status.code(), Some(1), "{rel}");
        let out = common::stdout(&check);
        assert!(
            out.contains("\"conflict\"") && out.contains("XMP packet 2: XMP plus:DataMining"),
            "{rel}: {out}"
        );
        let decide = common::ccsig(&["decide", "--use", "train-ai", shown(&path)]);
        assert!(
            common::stdout(&decide).contains("\"decision\":\"disallowed\""),
            "{rel}: {}",
            common::stdout(&decide)
        );
    }
}

#[test]
fn a_preference_stated_only_in_a_later_packet_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // The main packet states nothing (ExifTool's fields only).
    let path = with_later_packets(dir.path(), "jpeg/xmp-rich.jpg", &[PROHIBITED]);
    let signals = ccsig::read_path(&path).unwrap();
    let fields: Vec<String> = signals.sources.iter().map(|s| s.field()).collect();
    assert_eq!(fields, ["XMP packet 2: XMP plus:DataMining"]);
    assert_eq!(signals.sources[0].later_packet, Some(2));
    assert_eq!(
        signals.decisions["train-ai"],
        ccsig::signal::Decision::Disallowed
    );
}

#[test]
fn apply_refuses_while_a_later_packet_would_disagree_and_never_rewrites_one() {
    let dir = tempfile::tempdir().unwrap();
    for rel in TAGGED {
        let sub = dir.path().join(rel.replace('/', "-"));
        fs::create_dir(&sub).unwrap();
        // Disagreeing: refused, the file untouched.
        let path = with_later_packets(&sub, rel, &[PROHIBITED]);
        let before = fs::read(&path).unwrap();
        let out = common::ccsig(&["apply", "--signal", "cc-cr-dc", shown(&path)]);
        assert_eq!(out.status.code(), Some(1), "{rel}");
        let text = common::stdout(&out) + &common::stderr(&out);
        assert!(
            text.contains("XMP packet 2: XMP plus:DataMining")
                && text.contains("writes only the first XMP packet"),
            "{rel}: {text}"
        );
        assert_eq!(fs::read(&path).unwrap(), before, "{rel}");

        // Agreeing with what is written: written, the later packet kept
        // byte for byte and the rest of the file too.
        fs::remove_file(&path).unwrap();
        let same = "<ccsig:expression>train-ai=n;exceptions=cc-cr-dc</ccsig:expression>";
        let path = with_later_packets(&sub, rel, &[same]);
        let before = fs::read(&path).unwrap();
        let out = common::ccsig(&["apply", "--signal", "cc-cr-dc", shown(&path)]);
        assert!(out.status.success(), "{rel}: {}", common::stderr(&out));
        let after = fs::read(&path).unwrap();
        assert_ne!(after, before, "{rel}");
        assert_eq!(later_packets(&after), later_packets(&before), "{rel}");
        assert_eq!(later_packets(&after).len(), 1, "{rel}");
        assert_eq!(
            common::foreign_blocks(&after),
            common::foreign_blocks(&before),
            "{rel}"
        );
        let check = common::ccsig(&["check", "--format", "jsonl", shown(&path)]);
        assert!(
            !common::stdout(&check).contains("\"conflict\""),
            "{rel}: {}",
            common::stdout(&check)
        );
    }
}

#[test]
fn packets_past_the_fifth_are_reported_as_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let bodies = [PROHIBITED; 7];
    let path = with_later_packets(dir.path(), "tagged/ccsig-cr-op.jpg", &bodies);
    let check = common::ccsig(&["check", shown(&path)]);
    let out = common::stdout(&check);
    assert!(
        out.contains("XMP packets from 6 on") && out.contains("not read"),
        "{out}"
    );
    // The four read still count.
    assert!(out.contains("XMP packet 5: XMP plus:DataMining"), "{out}");
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn exiftool_reads_both_packets_that_ccsig_reports() {
    let et = common::tool("exiftool");
    let dir = tempfile::tempdir().unwrap();
    let path = with_later_packets(dir.path(), "tagged/ccsig-cr-op.jpg", &[PROHIBITED]);
    let out = common::run_tool(&et, &["-a", "-s3", "-XMP-plus:DataMining#", shown(&path)]);
    let values: Vec<&str> = out.lines().collect();
    // ExifTool gives the PLUS vocabulary's codes: ccsig's mirror in the
    // main packet, then the later packet's prohibition ccsig reports.
    assert_eq!(
        values,
        ["DMI-PROHIBITED-SEECONSTRAINT", "DMI-PROHIBITED"],
        "{out}"
    );
}

#[test]
fn remove_leaves_a_later_packet_as_the_files_only_one() {
    let dir = tempfile::tempdir().unwrap();
    for rel in ["jpeg/plain.jpg", "png/plain.png", "webp/lossy.webp"] {
        // ccsig makes the main packet; another tool then adds one.
        let path = dir.path().join(Path::new(rel).file_name().unwrap());
        fs::copy(common::sample(rel), &path).unwrap();
        let out = common::ccsig(&["apply", "--signal", "cc-cr", shown(&path)]);
        assert!(out.status.success(), "{rel}: {}", common::stderr(&out));
        let theirs = "<dc:creator><rdf:Seq><rdf:li>Zed</rdf:li></rdf:Seq></dc:creator>";
        fs::write(&path, add_packets(&fs::read(&path).unwrap(), &[theirs])).unwrap();
        let before = fs::read(&path).unwrap();

        let out = common::ccsig(&["remove", shown(&path)]);
        assert!(out.status.success(), "{rel}: {}", common::stderr(&out));
        let after = fs::read(&path).unwrap();
        // Their packet is now the first (and only) one, byte for byte.
        assert_eq!(later_packets(&before).len(), 1, "{rel}");
        assert!(later_packets(&after).is_empty(), "{rel}");
        let theirs_now = common::xmp_packet(&after).unwrap();
        assert_eq!(theirs_now, common::packet(theirs), "{rel}");
        assert_eq!(
            common::foreign_blocks(&after),
            common::foreign_blocks(&before),
            "{rel}"
        );
        assert!(ccsig::read_path(&path).unwrap().sources.is_empty(), "{rel}");
    }
}
