//! JPEG XL: the XMP packet in the container's `xml ` box, every other box
//! copied byte for byte (`sample-images/jxl`, made by its `make.sh` with
//! libjxl's cjxl). The boxes are split here by a parser of the test's own
//! (not ccsig's), the pixels decoded before and after by libjxl's djxl,
//! and a lossless JPEG transcode rebuilt into its JPEG, whose every
//! segment but the XMP is compared with img-parts; ExifTool and exiv2 read
//! what ccsig wrote, and ccsig what ExifTool wrote.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const SAMPLES: &[&str] = &[
    "jxl/plain.jxl",
    "jxl/container.jxl",
    "jxl/from-jpeg.jxl",
    "jxl/exiftool-xmp.jxl",
];

/// The picture, decoded by djxl to a portable pixmap (no metadata).
fn pixels(djxl: &Path, file: &Path, dir: &Path) -> Vec<u8> {
    let out = dir.join(format!(
        "{}.ppm",
        file.file_name().unwrap().to_string_lossy()
    ));
    let o = Command::new(djxl).arg(file).arg(&out).output().unwrap();
    assert!(
        o.status.success(),
        "djxl: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    fs::read(out).unwrap()
}

fn exiftool_json(et: &Path, file: &Path) -> serde_json::Value {
    let out = run_tool(
        et,
        &[
            "-j",
            "-n",
            "-XMP:all",
            "-EXIF:Artist",
            file.to_str().unwrap(),
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v[0].clone()
}

#[test]
#[cfg_attr(
    not(all(ccsig_has_exiftool, ccsig_has_exiv2, ccsig_has_djxl)),
    ignore = "needs exiftool, exiv2 and libjxl-tools (bash .ci/run installs them)"
)]
fn ccsig_writes_jpeg_xl_that_libjxl_exiftool_and_exiv2_read_with_every_box_kept() {
    let et = tool("exiftool");
    let exiv2 = tool("exiv2");
    let djxl = tool("djxl");
    let (dir, files) = scratch(SAMPLES);
    let originals: Vec<Vec<u8>> = SAMPLES
        .iter()
        .map(|s| fs::read(sample(s)).unwrap())
        .collect();
    let before_pixels: Vec<Vec<u8>> = files.iter().map(|f| pixels(&djxl, f, dir.path())).collect();
    let before_tags: Vec<serde_json::Value> = files.iter().map(|f| exiftool_json(&et, f)).collect();

    let o = ccsig_on(
        &[
            "apply",
            "--signal",
            "cc-cr-op",
            "--credit-name",
            "Ada Example",
        ],
        &files,
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("4 files: 4 written"), "{}", stdout(&o));

    for (i, file) in files.iter().enumerate() {
        let new = fs::read(file).unwrap();
        assert_eq!(
            foreign_boxes(&new),
            foreign_boxes(&originals[i]),
            "{}: a box other than the XMP changed",
            SAMPLES[i]
        );
        // A bare codestream is now a container: signature, ftyp, xml, jxlc.
        let types: Vec<String> = boxes(&new).into_iter().map(|(t, _)| t).collect();
        assert_eq!(types[..2], ["JXL ", "ftyp"], "{}", SAMPLES[i]);
        assert_eq!(
            types.iter().filter(|t| *t == "xml ").count(),
            1,
            "{types:?}"
        );
        assert_eq!(
            pixels(&djxl, file, dir.path()),
            before_pixels[i],
            "{}",
            SAMPLES[i]
        );

        let tags = exiftool_json(&et, file);
        assert_eq!(
            tags["DataMining"], "DMI-PROHIBITED-SEECONSTRAINT",
            "{tags:#}"
        );
        assert_eq!(tags["AttributionName"], "Ada Example");
        for (key, value) in before_tags[i].as_object().unwrap() {
            // DataMining is ccsig's mirror of the signal, rewritten.
            if !matches!(key.as_str(), "SourceFile" | "XMPToolkit" | "DataMining") {
                assert_eq!(&tags[key], value, "{}: {key}", SAMPLES[i]);
            }
        }
        let out = run_tool(&exiv2, &["-px", file.to_str().unwrap()]);
        assert!(
            out.contains("Xmp.ccsig.expression") && out.contains("train-ai=n;exceptions=cc-cr-op"),
            "{}: {out}",
            SAMPLES[i]
        );
    }

    // The lossless transcode still rebuilds its JPEG, now with the signal:
    // every segment of the original but the XMP, byte for byte.
    let rebuilt = dir.path().join("rebuilt.jpg");
    let o = Command::new(&djxl)
        .arg(&files[2])
        .arg(&rebuilt)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(log.contains("Reconstructed to JPEG"), "{log}");
    let original_jpeg = fs::read(sample("jpeg/xmp-rich.jpg")).unwrap();
    let rebuilt_bytes = fs::read(&rebuilt).unwrap();
    assert_eq!(
        foreign_blocks(&rebuilt_bytes),
        foreign_blocks(&original_jpeg)
    );
    assert_eq!(
        exiftool_json(&et, &rebuilt)["DataMining"],
        "DMI-PROHIBITED-SEECONSTRAINT"
    );

    // A re-tag takes the packet's room: same length, in place.
    let lengths: Vec<u64> = files
        .iter()
        .map(|f| fs::metadata(f).unwrap().len())
        .collect();
    let o = ccsig_on(&["apply", "--signal", "cc-cr"], &files);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(
        stdout(&o).matches("written in place").count(),
        4,
        "{}",
        stdout(&o)
    );
    for (file, len) in files.iter().zip(lengths) {
        assert_eq!(fs::metadata(file).unwrap().len(), len);
        let signals = ccsig::read_path(file).unwrap();
        assert_eq!(signals.format, ccsig::Format::Jxl);
        let size = match file.to_string_lossy().ends_with("from-jpeg.jxl") {
            true => (160, 120),
            false => (96, 64),
        };
        assert_eq!(signals.dimensions, Some(size), "{}", file.display());
        assert_eq!(
            signals.combined_expression().as_deref(),
            Some("train-ai=n;exceptions=cc-cr")
        );
    }

    // remove: the packet ccsig added goes; the transcode keeps its own
    // (at its length) and ExifTool's keeps its fields.
    let o = ccsig_on(&["remove"], &files);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    for (i, file) in files.iter().enumerate() {
        let new = fs::read(file).unwrap();
        assert_eq!(
            foreign_boxes(&new),
            foreign_boxes(&originals[i]),
            "{}",
            SAMPLES[i]
        );
        // ExifTool's own plus:DataMining, which ccsig's mirror replaced,
        // is back; the others state nothing again.
        let fields: Vec<String> = ccsig::read_path(file)
            .unwrap()
            .sources
            .iter()
            .map(|s| s.field())
            .collect();
        match i {
            3 => assert_eq!(fields, ["XMP plus:DataMining"]),
            _ => assert!(fields.is_empty(), "{}: {fields:?}", SAMPLES[i]),
        }
        assert_eq!(pixels(&djxl, file, dir.path()), before_pixels[i]);
    }
    assert_eq!(exiftool_json(&et, &files[3])["Title"], "Harbour at dusk");
    // The transcode's packet, at its old length, still rebuilds the JPEG.
    let o = Command::new(&djxl)
        .arg(&files[2])
        .arg(dir.path().join("rebuilt-after-remove.jpg"))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(log.contains("Reconstructed to JPEG"), "{log}");
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn ccsig_reads_what_exiftool_writes_into_jpeg_xl() {
    let et = tool("exiftool");
    let signals = ccsig::read_path(&sample("jxl/exiftool-xmp.jxl")).unwrap();
    assert_eq!(signals.format, ccsig::Format::Jxl);
    assert_eq!(signals.dimensions, Some((96, 64)));
    assert_eq!(
        signals.decisions["train-ai"],
        ccsig::signal::Decision::Disallowed
    );
    // ExifTool into a bare codestream (it wraps it too), then over what
    // ccsig wrote.
    let (_dir, files) = scratch(&["jxl/plain.jxl"]);
    run_tool(
        &et,
        &[
            "-q",
            "-m", // "Will wrap JXL codestream in ISO BMFF container"
            "-overwrite_original",
            "-n",
            "-XMP-plus:DataMining=DMI-PROHIBITED-AIMLTRAINING",
            files[0].to_str().unwrap(),
        ],
    );
    let signals = ccsig::read_path(&files[0]).unwrap();
    assert_eq!(
        signals.decisions["train-ai"],
        ccsig::signal::Decision::Disallowed
    );
    let o = ccsig_on(&["apply", "--signal", "cc-cr", "--force"], &files);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    run_tool(
        &et,
        &[
            "-q",
            "-overwrite_original",
            "-XMP-dc:Title=Harbour",
            files[0].to_str().unwrap(),
        ],
    );
    let signals = ccsig::read_path(&files[0]).unwrap();
    assert_eq!(
        signals.combined_expression().as_deref(),
        Some("train-ai=n;exceptions=cc-cr")
    );
}

#[test]
fn a_transcode_whose_packet_has_no_room_is_refused_untouched() {
    let (_dir, files) = scratch(&["jxl/from-jpeg-unpadded.jxl"]);
    let before = fs::read(&files[0]).unwrap();
    let o = ccsig_on(&["apply", "--signal", "cc-cr"], &files);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("rebuilds its original JPEG (jbrd)")
            && stdout(&o).contains("--sidecar writes a sidecar instead"),
        "{}",
        stdout(&o)
    );
    assert_eq!(fs::read(&files[0]).unwrap(), before);
    let o = ccsig_on(&["apply", "--signal", "cc-cr", "--sidecar"], &files);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(fs::read(&files[0]).unwrap(), before);
}

#[test]
fn hostile_jpeg_xl_files_are_errors_and_stay_untouched() {
    let whole = fs::read(sample("jxl/from-jpeg.jxl")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Cut at every box boundary, inside every header and mid-box; a size
    // that runs past the end, one below its header, a 64-bit one near 2^64.
    let mut cuts = Vec::new();
    let mut at = 0usize;
    for (_, b) in boxes(&whole) {
        cuts.extend([at, at + 4, at + 9, at + b.len() / 2]);
        at += b.len();
    }
    let mut cases: Vec<(String, Vec<u8>)> = cuts
        .into_iter()
        .filter(|c| *c < whole.len())
        .map(|c| (format!("cut-{c}.jxl"), whole[..c].to_vec()))
        .collect();
    for (name, size) in [
        ("past-end", &[0u8, 0x10, 0, 0][..]),
        ("below-header", &[0, 0, 0, 3]),
    ] {
        let mut bytes = whole.clone();
        bytes[32..36].copy_from_slice(size);
        cases.push((format!("{name}.jxl"), bytes));
    }
    let mut huge = whole[..32].to_vec();
    huge.extend_from_slice(b"\0\0\0\x01jxlc\xff\xff\xff\xff\xff\xff\xff\xf0");
    huge.extend_from_slice(&whole[32..]);
    cases.push(("huge.jxl".into(), huge));
    // A brob box whose stream is not Brotli.
    let mut bad_brob = whole.clone();
    let brob = bad_brob.windows(4).position(|w| w == b"brob").unwrap();
    for b in &mut bad_brob[brob + 8..brob + 20] {
        *b = 0xFF;
    }
    cases.push(("bad-brob.jxl".into(), bad_brob));
    let request = ccsig::ApplyRequest::from_expression("train-ai=n").unwrap();
    for (name, bytes) in cases {
        let path = dir.path().join(&name);
        fs::write(&path, &bytes).unwrap();
        match ccsig::apply_path(&path, &request, &Default::default()) {
            Ok(outcome) => {
                assert_eq!(outcome.change, ccsig::tagging::Change::Written, "{name}");
                assert!(ccsig::read_path(&path).is_ok(), "{name}");
            }
            Err(_) => assert_eq!(fs::read(&path).unwrap(), bytes, "{name} changed"),
        }
    }
    let leftovers: Vec<PathBuf> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains(".ccsig"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn content_credentials_are_detected_and_not_broken() {
    // A jumb box whose description (jumd) is labelled c2pa.
    let mut jumd = b"jumdc2pa\0\x11\0\x10\x80\0\0\xaa\0\x38\x9b\x71\x03c2pa\0".to_vec();
    let len = (jumd.len() + 4) as u32;
    jumd.splice(0..0, len.to_be_bytes());
    let mut bytes = fs::read(sample("jxl/container.jxl")).unwrap();
    bytes.extend_from_slice(&((jumd.len() + 8) as u32).to_be_bytes());
    bytes.extend_from_slice(b"jumb");
    bytes.extend_from_slice(&jumd);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signed.jxl");
    fs::write(&path, &bytes).unwrap();
    assert!(ccsig::read_path(&path).unwrap().has_c2pa);
    let o = ccsig_on(&["apply", "--signal", "cc-cr"], std::slice::from_ref(&path));
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("would break their signature"),
        "{}",
        stdout(&o)
    );
    assert_eq!(fs::read(&path).unwrap(), bytes);
}
