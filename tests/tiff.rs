//! TIFF: the XMP packet in IFD0's tag 700, written without moving a byte
//! of anything else (`sample-images/tiff`, made by its `make.sh`). The
//! image data is located by libtiff's `tiffdump` (a parser independent of
//! ccsig's) and compared byte for byte, and the pixels by `tiffcmp`;
//! ExifTool and exiv2 read what ccsig wrote, and ccsig what they wrote.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const SAMPLES: &[&str] = &[
    "tiff/plain.tif",
    "tiff/big-endian.tif",
    "tiff/tiled.tif",
    "tiff/exiftool-xmp.tif",
    "tiff/pidng.dng",
];

/// (offset, length) of every strip or tile of IFD0, as libtiff's tiffdump
/// lists them.
fn image_data_by_libtiff(path: &Path) -> Vec<(u64, u64)> {
    let out = run_tool(Path::new("tiffdump"), &[path.to_str().unwrap()]);
    let values = |tag: &str| -> Vec<u64> {
        let line = out
            .lines()
            .take_while(|l| !l.starts_with("Directory 1"))
            .find(|l| l.starts_with(tag))
            .unwrap_or_else(|| panic!("tiffdump lists no {tag}:\n{out}"));
        let inner = &line[line.find('<').unwrap() + 1..line.rfind('>').unwrap()];
        inner
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect()
    };
    let (offsets, counts) = if out.contains("TileOffsets") {
        (values("TileOffsets"), values("TileByteCounts"))
    } else {
        (values("StripOffsets"), values("StripByteCounts"))
    };
    assert_eq!(offsets.len(), counts.len());
    offsets.into_iter().zip(counts).collect()
}

fn assert_image_data_identical(old: &[u8], old_path: &Path, new: &[u8], new_path: &Path) {
    let (a, b) = (
        image_data_by_libtiff(old_path),
        image_data_by_libtiff(new_path),
    );
    assert_eq!(a, b, "image data moved: {}", new_path.display());
    for (at, len) in a {
        let r = at as usize..(at + len) as usize;
        assert_eq!(old[r.clone()], new[r], "image data at {at} differs");
    }
}

fn xmp_by_exiftool(et: &Path, file: &Path) -> serde_json::Value {
    let out = run_tool(
        et,
        &[
            "-j",
            "-n",
            "-XMP:all",
            "-IPTC:all",
            "-EXIF:Artist",
            file.to_str().unwrap(),
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v[0].clone()
}

#[test]
#[cfg_attr(
    not(all(ccsig_has_exiftool, ccsig_has_exiv2, ccsig_has_tiffinfo)),
    ignore = "needs exiftool, exiv2 and libtiff-tools (bash .ci/run installs them)"
)]
fn ccsig_writes_tiff_that_libtiff_exiftool_and_exiv2_read_with_nothing_else_changed() {
    let et = tool("exiftool");
    let exiv2 = tool("exiv2");
    tool("tiffinfo");
    let (_dir, files) = scratch(SAMPLES);
    let originals: Vec<(PathBuf, Vec<u8>)> = SAMPLES
        .iter()
        .map(|s| (sample(s), fs::read(sample(s)).unwrap()))
        .collect();
    let before_tags: Vec<serde_json::Value> =
        files.iter().map(|f| xmp_by_exiftool(&et, f)).collect();
    let before_warnings: Vec<Vec<String>> =
        files.iter().map(|f| exiftool_warnings(&et, f)).collect();

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
    assert!(stdout(&o).contains("5 files: 5 written"), "{}", stdout(&o));

    for (i, file) in files.iter().enumerate() {
        let (old_path, old) = &originals[i];
        let new = fs::read(file).unwrap();
        // Nothing moved: every byte of the original is where it was, but
        // the header, IFD0 and the old packet (blanked).
        assert!(new.len() >= old.len());
        assert_image_data_identical(old, old_path, &new, file);
        // The pixels, decoded by libtiff (strips only: tiffcmp reads no tiles).
        if !SAMPLES[i].contains("tiled") && !SAMPLES[i].ends_with(".dng") {
            let o = Command::new("tiffcmp")
                .arg(old_path)
                .arg(file)
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "tiffcmp: {}",
                String::from_utf8_lossy(&o.stdout)
            );
        }
        // ExifTool sees the signal and every foreign field as it was, and
        // no new warning.
        let tags = xmp_by_exiftool(&et, file);
        assert_eq!(
            tags["DataMining"], "DMI-PROHIBITED-SEECONSTRAINT",
            "{tags:#}"
        );
        assert_eq!(tags["AttributionName"], "Ada Example");
        for (key, value) in before_tags[i].as_object().unwrap() {
            if key != "SourceFile" && key != "XMPToolkit" {
                assert_eq!(&tags[key], value, "{}: {key}", SAMPLES[i]);
            }
        }
        assert_eq!(
            exiftool_warnings(&et, file),
            before_warnings[i],
            "{}",
            SAMPLES[i]
        );
        // exiv2 reads the packet too.
        let out = run_tool(&exiv2, &["-px", file.to_str().unwrap()]);
        assert!(
            out.contains("Xmp.ccsig.expression") && out.contains("train-ai=n;exceptions=cc-cr-op"),
            "{out}"
        );
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
        5,
        "{}",
        stdout(&o)
    );
    for (file, len) in files.iter().zip(lengths) {
        assert_eq!(fs::metadata(file).unwrap().len(), len);
        let signals = ccsig::read_path(file).unwrap();
        assert_eq!(signals.format, ccsig::Format::Tiff);
        assert_eq!(
            signals.combined_expression().as_deref(),
            Some("train-ai=n;exceptions=cc-cr")
        );
    }

    // remove leaves ExifTool's own packet with its fields and no signal.
    let o = ccsig_on(&["remove"], &files);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let tags = xmp_by_exiftool(&et, &files[3]);
    assert_eq!(tags["Title"], "Harbour at dusk", "{tags:#}");
    assert!(tags.get("DataMining").is_none(), "{tags:#}");
    for (i, file) in files.iter().enumerate() {
        let (old_path, old) = &originals[i];
        assert_image_data_identical(old, old_path, &fs::read(file).unwrap(), file);
        assert!(ccsig::read_path(file).unwrap().sources.is_empty());
    }
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn ccsig_reads_what_exiftool_writes_into_a_tiff() {
    let et = tool("exiftool");
    let (_dir, files) = scratch(&["tiff/plain.tif", "tiff/big-endian.tif"]);
    for file in &files {
        run_tool(
            &et,
            &[
                "-q",
                "-overwrite_original",
                "-n",
                "-XMP-plus:DataMining=DMI-PROHIBITED-AIMLTRAINING",
                "-IPTC:SpecialInstructions=Content-Usage: train-ai=n",
                file.to_str().unwrap(),
            ],
        );
        let signals = ccsig::read_path(file).unwrap();
        let fields: Vec<String> = signals.sources.iter().map(|s| s.field()).collect();
        assert_eq!(
            fields,
            ["XMP plus:DataMining", "IIM 2:40 Special Instructions"],
            "{}",
            file.display()
        );
        assert_eq!(
            signals.decisions["train-ai"],
            ccsig::signal::Decision::Disallowed
        );
    }
    // IIM ccsig does not write into TIFF that says otherwise: apply
    // refuses rather than leave two preferences.
    let o = ccsig_on(&["apply", "--signal", "cc-cr"], &files[..1]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("ccsig does not write IIM into TIFF"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_raw_that_is_tiff_inside_is_read_but_written_through_its_sidecar() {
    let dir = tempfile::tempdir().unwrap();
    let nef = dir.path().join("DSC_0100.NEF");
    // A TIFF that carries a packet, named as a Nikon RAW.
    let request = ccsig::ApplyRequest::from_expression("train-ai=n").unwrap();
    let tagged = ccsig::apply_bytes(
        &fs::read(sample("tiff/plain.tif")).unwrap(),
        &request,
        &Default::default(),
    )
    .unwrap()
    .0
    .unwrap();
    fs::write(&nef, &tagged).unwrap();
    let signals = ccsig::read_path(&nef).unwrap();
    assert_eq!(signals.format, ccsig::Format::Other("Nikon NEF"));
    assert_eq!(signals.sources[0].field(), "XMP ccsig:expression");

    // The same signal: the sidecar agrees with the RAW's own packet.
    let same = ccsig::apply_path(&nef, &request, &Default::default()).unwrap();
    assert!(same
        .notes
        .iter()
        .any(|n| n.message == "sidecar DSC_0100.xmp created"));
    fs::remove_file(dir.path().join("DSC_0100.xmp")).unwrap();
    // Another: the sidecar would contradict the packet ccsig cannot rewrite.
    let other = ccsig::ApplyRequest::from_expression("train-ai=n;exceptions=cc-cr").unwrap();
    let refused = ccsig::apply_path(&nef, &other, &Default::default()).unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("does not write Nikon NEF files"),
        "{refused}"
    );
    assert!(!dir.path().join("DSC_0100.xmp").exists());
    let insist = ccsig::WriteOptions {
        sidecar_only: true,
        ..Default::default()
    };
    let outcome = ccsig::apply_path(&nef, &other, &insist).unwrap();
    assert!(
        outcome
            .notes
            .iter()
            .any(|n| n.message == "sidecar DSC_0100.xmp created"),
        "{:?}",
        outcome.notes
    );
    assert_eq!(fs::read(&nef).unwrap(), tagged, "the RAW was written");
}

#[test]
fn bigtiff_is_read_and_refused_for_writing_in_words() {
    let (_dir, files) = scratch(&["tiff/bigtiff.tif"]);
    let signals = ccsig::read_path(&files[0]).unwrap();
    assert_eq!(signals.format, ccsig::Format::Tiff);
    assert_eq!(signals.dimensions, Some((96, 64)));
    let before = fs::read(&files[0]).unwrap();
    let o = ccsig_on(&["apply", "--signal", "cc-cr"], &files);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("ccsig reads BigTIFF files but does not write them (use --sidecar)"),
        "{}",
        stdout(&o)
    );
    assert_eq!(fs::read(&files[0]).unwrap(), before);
    let o = ccsig_on(&["apply", "--signal", "cc-cr", "--sidecar"], &files);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn hostile_tiffs_are_errors_and_stay_untouched() {
    let plain = fs::read(sample("tiff/plain.tif")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Cut at every IFD entry boundary and in the header; IFD0 pointing
    // outside the file, at itself, at the header.
    let ifd0 = u32::from_le_bytes(plain[4..8].try_into().unwrap()) as usize;
    let mut cases: Vec<(String, Vec<u8>)> = (0..8)
        .chain((ifd0..plain.len()).step_by(12))
        .map(|cut| (format!("cut-{cut}.tif"), plain[..cut].to_vec()))
        .collect();
    for (name, at) in [("outside", u32::MAX), ("header", 0), ("odd", 3)] {
        let mut bytes = plain.clone();
        bytes[4..8].copy_from_slice(&at.to_le_bytes());
        cases.push((format!("ifd0-{name}.tif"), bytes));
    }
    for (name, bytes) in cases {
        let path = dir.path().join(&name);
        fs::write(&path, &bytes).unwrap();
        let request = ccsig::ApplyRequest::from_expression("train-ai=n").unwrap();
        let result = ccsig::apply_path(&path, &request, &Default::default());
        if let Ok(outcome) = &result {
            // A cut that left a whole directory and all it points at is a
            // TIFF still; anything written must read back.
            assert_eq!(outcome.change, ccsig::tagging::Change::Written, "{name}");
            assert!(ccsig::read_path(&path).is_ok(), "{name}");
        } else {
            assert_eq!(fs::read(&path).unwrap(), bytes, "{name} changed");
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
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn exif_artist_of_a_tiff_or_a_raw_is_the_credit_fallback() {
    let et = tool("exiftool");
    let (dir, files) = scratch(&["tiff/plain.tif"]);
    run_tool(
        &et,
        &[
            "-q",
            "-overwrite_original",
            "-EXIF:Artist=Grace Hopper",
            files[0].to_str().unwrap(),
        ],
    );
    let raw = dir.path().join("DSC_0009.NEF");
    fs::copy(&files[0], &raw).unwrap();
    for file in [&files[0], &raw] {
        let signals = ccsig::read_path(file).unwrap();
        assert_eq!(signals.credit.name.as_deref(), Some("Grace Hopper"));
        assert_eq!(signals.credit.name_from.as_deref(), Some("EXIF Artist"));
    }
    // Tagged with a credit-asking signal, nothing is missing, and the
    // Artist is kept where it was.
    let o = ccsig_on(&["apply", "--signal", "cc-cr"], &files);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(!stdout(&o).contains("credit has no name"), "{}", stdout(&o));
    let out = run_tool(&et, &["-s3", "-EXIF:Artist", files[0].to_str().unwrap()]);
    assert_eq!(out.trim(), "Grace Hopper");
}
