//! HEIF/HEIC and AVIF, read only: the XMP item ExifTool writes is read
//! (ccsig's own BMFF reader: `iinf`, `iloc`), and `apply` tags the file
//! through its sidecar, never writing it (`sample-images/heif`, made by
//! its `make.sh` with ImageMagick and ExifTool).

mod common;

use std::fs;

use ccsig::signal::Decision;
use common::*;

#[test]
fn the_xmp_item_exiftool_wrote_is_read() {
    for (rel, name) in [
        ("heif/exiftool-xmp.heic", "HEIF"),
        ("heif/exiftool-xmp.avif", "AVIF"),
    ] {
        let signals = ccsig::read_path(&sample(rel)).unwrap();
        assert_eq!(signals.format, ccsig::Format::Other(name), "{rel}");
        assert_eq!(signals.sources[0].field(), "XMP plus:DataMining", "{rel}");
        assert_eq!(signals.decisions["train-ai"], Decision::Disallowed, "{rel}");
        assert_eq!(signals.credit.name.as_deref(), Some("Ada Example"));
        // The same from its bytes alone.
        let bytes = fs::read(sample(rel)).unwrap();
        let from_bytes = ccsig::read_bytes(&bytes).unwrap();
        assert_eq!(from_bytes.decisions, signals.decisions);
    }
}

#[test]
fn apply_tags_a_heic_through_its_sidecar_and_never_writes_it() {
    let (dir, files) = scratch(&["heif/exiftool-xmp.heic", "heif/plain.avif"]);
    let before: Vec<Vec<u8>> = files.iter().map(|f| fs::read(f).unwrap()).collect();
    // A plain AVIF says nothing, and is not taken for silent.
    let o = ccsig_on(
        &["decide", "--use", "train-ai", "--unknown", "allow"],
        &files[1..],
    );
    assert!(
        stdout(&o).contains("\"state\":\"unsupported\""),
        "{}",
        stdout(&o)
    );
    // The HEIC's packet says no, which ccsig cannot rewrite: a sidecar
    // saying cc-cr would contradict it, so apply refuses...
    let o = ccsig_on(
        &["apply", "--signal", "cc-cr", "--credit-name", "Ada"],
        &files,
    );
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o)
            .contains("XMP plus:DataMining says \"train-ai=n\"; ccsig does not write HEIF files"),
        "{}",
        stdout(&o)
    );
    assert!(!dir.path().join("heif__exiftool-xmp.xmp").exists());
    // ...unless told to write the sidecar anyway.
    let o = ccsig_on(
        &[
            "apply",
            "--signal",
            "cc-cr",
            "--credit-name",
            "Ada",
            "--sidecar",
        ],
        &files,
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    for (file, old) in files.iter().zip(&before) {
        assert_eq!(
            &fs::read(file).unwrap(),
            old,
            "{} was written",
            file.display()
        );
    }
    assert!(dir.path().join("heif__plain.xmp").is_file());
    assert!(dir.path().join("heif__exiftool-xmp.xmp").is_file());
    // The AVIF reads its sidecar's signal now; the HEIC reads both, and
    // the packet's "no" and the sidecar's cc-cr disagree: check says so.
    let avif = ccsig::read_path(&files[1]).unwrap();
    assert_eq!(
        avif.combined_expression().as_deref(),
        Some("train-ai=n;exceptions=cc-cr")
    );
    let o = ccsig_on(&["check", "--format", "jsonl"], &files[..1]);
    assert!(
        stdout(&o).contains("\"kind\":\"conflict\""),
        "{}",
        stdout(&o)
    );
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn ccsig_reads_what_exiftool_writes_into_heif_and_avif() {
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
}

#[test]
fn damaged_heif_boxes_are_read_through_sidecars_and_never_panic() {
    let whole = fs::read(sample("heif/exiftool-xmp.heic")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.heic");
    for cut in (0..whole.len()).step_by(7) {
        fs::write(&path, &whole[..cut]).unwrap();
        // A damaged HEIF is still a HEIF: never an error that says it is
        // some other thing, never a panic.
        match ccsig::read_path(&path) {
            Ok(s) => assert_eq!(s.format, ccsig::Format::Other("HEIF"), "cut {cut}"),
            Err(e) => assert!(e.is_bad_input(), "cut {cut}: {e}"),
        }
        let _ = ccsig::read_bytes(&whole[..cut]);
    }
}
