//! HEIF/HEIC and AVIF: the XMP item, written into `meta` with every other
//! item and box kept (`sample-images/heif`, made by its `make.sh` with
//! ImageMagick, libheif's heif-enc, libavif's avifenc and ExifTool). The
//! items are read here by a parser of the test's own (not ccsig's), the
//! pixels decoded before and after by libheif's heif-convert and
//! libavif's avifdec; ExifTool reads what ccsig wrote (exiv2 0.27 is built
//! without BMFF support on Debian 12, so it is not asked), and ccsig what
//! ExifTool and avifenc wrote.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use ccsig::signal::Decision;
use common::*;

const SAMPLES: &[&str] = &[
    "heif/plain.heic",
    "heif/plain.avif",
    "heif/exiftool-xmp.heic",
    "heif/exiftool-xmp.avif",
    "heif/heif-enc-alpha-thumb.heic",
    "heif/avifenc-xmp.avif",
];

/// The picture as decoded by libheif (HEIC) or libavif (AVIF): the raw
/// samples of the PNG the decoder writes.
fn pixels(file: &Path, dir: &Path) -> Vec<u8> {
    let png = dir.join(format!(
        "{}.png",
        file.file_name().unwrap().to_string_lossy()
    ));
    let decoder = match file.extension().unwrap().to_str().unwrap() {
        "avif" => "avifdec",
        _ => "heif-convert",
    };
    let o = Command::new(decoder).arg(file).arg(&png).output().unwrap();
    assert!(
        o.status.success(),
        "{decoder}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    pixels.truncate(frame.buffer_size());
    pixels
}

#[test]
fn the_xmp_item_exiftool_and_avifenc_wrote_is_read() {
    for (rel, format) in [
        ("heif/exiftool-xmp.heic", ccsig::Format::Heif),
        ("heif/exiftool-xmp.avif", ccsig::Format::Avif),
        ("heif/avifenc-xmp.avif", ccsig::Format::Avif),
    ] {
        let signals = ccsig::read_path(&sample(rel)).unwrap();
        assert_eq!(signals.format, format, "{rel}");
        assert_eq!(signals.sources[0].field(), "XMP plus:DataMining", "{rel}");
        assert_eq!(signals.decisions["train-ai"], Decision::Disallowed, "{rel}");
        assert_eq!(signals.credit.name.as_deref(), Some("Ada Example"));
        let bytes = fs::read(sample(rel)).unwrap();
        assert_eq!(
            ccsig::read_bytes(&bytes).unwrap().decisions,
            signals.decisions
        );
    }
}

#[test]
#[cfg_attr(
    not(all(ccsig_has_exiftool, ccsig_has_heif_convert)),
    ignore = "needs exiftool, libheif-examples and libavif-bin (bash .ci/run installs them)"
)]
fn ccsig_writes_heif_and_avif_that_libheif_libavif_and_exiftool_read_with_every_item_kept() {
    let et = tool("exiftool");
    tool("heif-convert");
    let (dir, files) = scratch(SAMPLES);
    let originals: Vec<Vec<u8>> = files.iter().map(|f| fs::read(f).unwrap()).collect();
    let before_pixels: Vec<Vec<u8>> = files.iter().map(|f| pixels(f, dir.path())).collect();
    let before_warnings: Vec<Vec<String>> =
        files.iter().map(|f| exiftool_warnings(&et, f)).collect();

    let o = ccsig_on(
        &[
            "apply",
            "--signal",
            "cc-cr-op",
            "--credit-name",
            "Ada Example",
            "--force",
        ],
        &files,
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("6 files: 6 written"), "{}", stdout(&o));
    for (i, file) in files.iter().enumerate() {
        let new = fs::read(file).unwrap();
        assert_eq!(
            image_items(&new),
            image_items(&originals[i]),
            "{}",
            SAMPLES[i]
        );
        assert_eq!(items(&new).values().filter(|(t, _)| t == "mime").count(), 1);
        assert_eq!(pixels(file, dir.path()), before_pixels[i], "{}", SAMPLES[i]);
        assert_eq!(
            exiftool_warnings(&et, file),
            before_warnings[i],
            "{}",
            SAMPLES[i]
        );
        let out = run_tool(&et, &["-j", "-n", "-XMP:all", file.to_str().unwrap()]);
        let tags: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            tags[0]["DataMining"], "DMI-PROHIBITED-SEECONSTRAINT",
            "{tags:#}"
        );
        assert_eq!(tags[0]["AttributionName"], "Ada Example");
        // ExifTool finds one packet: none left over, none duplicated.
        let warnings = run_tool(&et, &["-a", "-warning", file.to_str().unwrap()]);
        assert!(!warnings.contains("Duplicate"), "{warnings}");
    }

    // A re-tag takes the packet's room: same length, in place.
    let lengths: Vec<u64> = files
        .iter()
        .map(|f| fs::metadata(f).unwrap().len())
        .collect();
    let o = ccsig_on(&["apply", "--signal", "cc-cr"], &files);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(
        stdout(&o).matches("written in place").count(),
        6,
        "{}",
        stdout(&o)
    );
    for (file, len) in files.iter().zip(lengths) {
        assert_eq!(fs::metadata(file).unwrap().len(), len);
        assert_eq!(
            ccsig::read_path(file)
                .unwrap()
                .combined_expression()
                .as_deref(),
            Some("train-ai=n;exceptions=cc-cr")
        );
    }

    // remove: a file that had no XMP item is its old self again, byte for
    // byte; the others keep their own packet, without ccsig's fields.
    let o = ccsig_on(&["remove"], &files);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    for (i, file) in files.iter().enumerate() {
        let new = fs::read(file).unwrap();
        assert_eq!(
            image_items(&new),
            image_items(&originals[i]),
            "{}",
            SAMPLES[i]
        );
        assert_eq!(pixels(file, dir.path()), before_pixels[i]);
        if matches!(i, 0 | 1 | 4) {
            assert_eq!(new, originals[i], "{} is not restored", SAMPLES[i]);
        }
    }
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn ccsig_reads_what_exiftool_writes_into_heif_and_avif_and_exiftool_over_ccsig() {
    let et = tool("exiftool");
    let (_dir, files) = scratch(&["heif/plain.heic", "heif/plain.avif"]);
    for file in &files {
        run_tool(
            &et,
            &[
                "-q",
                "-overwrite_original",
                "-XMP-plus:OtherConstraints=Content-Usage: train-ai=n;exceptions=cc-cr-op",
                file.to_str().unwrap(),
            ],
        );
        let signals = ccsig::read_path(file).unwrap();
        assert_eq!(
            signals.combined_expression().as_deref(),
            Some("train-ai=n;exceptions=cc-cr-op"),
            "{}",
            file.display()
        );
    }
    let o = ccsig_on(&["apply", "--signal", "cc-cr-op"], &files);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    for file in &files {
        run_tool(
            &et,
            &[
                "-q",
                "-overwrite_original",
                "-XMP-dc:Title=Harbour",
                file.to_str().unwrap(),
            ],
        );
        let signals = ccsig::read_path(file).unwrap();
        assert_eq!(
            signals.combined_expression().as_deref(),
            Some("train-ai=n;exceptions=cc-cr-op")
        );
    }
}

#[test]
fn what_ccsig_cannot_keep_consistent_is_refused_untouched() {
    let plain = fs::read(sample("heif/plain.avif")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // An image sequence: a moov box, whose tracks hold offsets of their own.
    let mut sequence = plain.clone();
    sequence.extend_from_slice(b"\0\0\0\x08moov");
    // A last box that runs to the end of the file (size 0).
    let mut open_ended = plain.clone();
    open_ended.extend_from_slice(b"\0\0\0\0free....");
    let request = ccsig::ApplyRequest::from_expression("train-ai=n").unwrap();
    for (name, bytes, why) in [
        ("sequence.avif", sequence, "image sequence"),
        ("open-ended.avif", open_ended, "runs to the end of the file"),
    ] {
        let path = dir.path().join(name);
        fs::write(&path, &bytes).unwrap();
        let e = ccsig::apply_path(&path, &request, &Default::default()).unwrap_err();
        assert!(e.to_string().contains(why), "{name}: {e}");
        assert_eq!(fs::read(&path).unwrap(), bytes);
        // Still read, and tagged through a sidecar on request.
        assert_eq!(ccsig::read_path(&path).unwrap().format, ccsig::Format::Avif);
    }
}

#[test]
fn damaged_heif_boxes_are_errors_or_sidecar_reads_and_stay_untouched() {
    let whole = fs::read(sample("heif/exiftool-xmp.heic")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cases: Vec<(String, Vec<u8>)> = (0..whole.len())
        .step_by(7)
        .map(|cut| (format!("cut-{cut}.heic"), whole[..cut].to_vec()))
        .collect();
    // The XMP item's extent pointed at the image item's bytes (overlap),
    // past the end, near 2^32; a box size near 4 GiB and a 64-bit one.
    let top = box_list(&whole, 0, whole.len());
    let &(_, meta_at, meta_end) = top.iter().find(|(t, _, _)| t == b"meta").unwrap();
    let iloc = box_list(&whole, meta_at + 4, meta_end)
        .into_iter()
        .find(|(t, _, _)| t == b"iloc")
        .unwrap();
    for (name, value) in [
        ("overlap", 0u32),
        ("past-end", 1 << 20),
        ("near-4g", u32::MAX - 8),
    ] {
        let mut bytes = whole.clone();
        // The last extent's offset of the last entry (v1, 4-byte fields):
        // offset then length close the box.
        let at = iloc.2 - 8;
        let mdat = top.iter().find(|(t, _, _)| t == b"mdat").unwrap().1 as u32;
        let v = if name == "overlap" { mdat } else { value };
        bytes[at..at + 4].copy_from_slice(&v.to_be_bytes());
        cases.push((format!("{name}.heic"), bytes));
    }
    let mut huge = whole.clone();
    let mdat_at = top.iter().find(|(t, _, _)| t == b"mdat").unwrap().1 - 8;
    huge[mdat_at..mdat_at + 4].copy_from_slice(&(u32::MAX - 1).to_be_bytes());
    cases.push(("huge-box.heic".into(), huge));
    let mut wide = whole[..mdat_at].to_vec();
    wide.extend_from_slice(b"\0\0\0\x01mdat\xff\xff\xff\xff\xff\xff\xff\xf0");
    wide.extend_from_slice(&whole[mdat_at + 8..]);
    cases.push(("wide-box.heic".into(), wide));
    let request = ccsig::ApplyRequest::from_expression("train-ai=n;exceptions=cc-cr").unwrap();
    for (name, bytes) in cases {
        let path = dir.path().join(&name);
        fs::write(&path, &bytes).unwrap();
        // A damaged HEIF is still a HEIF (read through its sidecars when
        // its boxes cannot be followed), never a panic.
        match ccsig::read_path(&path) {
            Ok(s) => assert!(
                matches!(s.format, ccsig::Format::Heif | ccsig::Format::Other("HEIF")),
                "{name}: {:?}",
                s.format
            ),
            Err(e) => assert!(e.is_bad_input(), "{name}: {e}"),
        }
        let _ = ccsig::read_bytes(&bytes);
        match ccsig::apply_path(&path, &request, &Default::default()) {
            Ok(o) if o.change == ccsig::tagging::Change::Written => {
                // Written means written whole: what it holds reads back.
                let fresh = fs::read(&path).unwrap();
                if fresh != bytes {
                    assert_eq!(image_items(&fresh), image_items(&bytes), "{name}");
                }
            }
            _ => assert_eq!(fs::read(&path).unwrap(), bytes, "{name} changed"),
        }
    }
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".ccsig"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn content_credentials_are_detected_and_not_broken() {
    // C2PA's uuid box at the end of a HEIC (its store need not validate:
    // a file that carries one is not rewritten unless the user insists).
    let mut uuid = vec![
        0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e, 0x48, 0x3c, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7e, 0xc4,
        0x81,
    ];
    uuid.extend_from_slice(b"\0\0\0\0manifest\0\0\0\0\0\0\0\0\0");
    let mut bytes = fs::read(sample("heif/plain.heic")).unwrap();
    bytes.extend_from_slice(&((uuid.len() + 8) as u32).to_be_bytes());
    bytes.extend_from_slice(b"uuid");
    bytes.extend_from_slice(&uuid);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signed.heic");
    fs::write(&path, &bytes).unwrap();
    assert!(ccsig::read_path(&path).unwrap().has_c2pa);
    let o = ccsig_on(&["apply", "--signal", "cc-cr"], std::slice::from_ref(&path));
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("would break their signature (--sidecar"),
        "{}",
        stdout(&o)
    );
    assert_eq!(fs::read(&path).unwrap(), bytes);
    // Told to, ccsig writes it, the box kept as it was.
    let o = ccsig_on(
        &["apply", "--signal", "cc-cr", "--allow-breaking-c2pa"],
        std::slice::from_ref(&path),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let new = fs::read(&path).unwrap();
    assert!(new.windows(uuid.len()).any(|w| w == uuid));
}
