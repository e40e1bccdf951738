//! IPTC-IIM kept in sync: 2:40 Special Instructions carries the expression
//! in JPEGs that have IIM (or with --iim), every other dataset and
//! Photoshop resource stays byte-identical, the MWG digest is updated —
//! checked with ExifTool and exiv2 — and files written by them are read.

mod common;

use std::fs;
use std::path::Path;

use ccsig::internals::mapping::{iim, irb};
use common::{ccsig_on, run_tool, sample, scratch, stdout, tool};

fn irb_of(path: &Path) -> Option<Vec<u8>> {
    let bytes = fs::read(path).unwrap();
    let layout = ccsig::internals::container::scan(&mut std::io::Cursor::new(&bytes)).unwrap();
    let irb = layout
        .blocks_of(ccsig::internals::container::BlockKind::PhotoshopIrb)
        .find_map(|b| b.payload.clone());
    irb
}

/// Every resource but IIM/digest, and every dataset but 2:40.
fn others(irb_bytes: &[u8]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let resources = irb::parse(irb_bytes)
        .unwrap()
        .into_iter()
        .filter(|r| r.id != irb::IPTC_ID && r.id != irb::DIGEST_ID)
        .map(|r| irb_bytes[r.range].to_vec())
        .collect();
    let iim_bytes = irb::iptc(irb_bytes).unwrap().unwrap();
    let datasets = iim::parse(iim_bytes)
        .unwrap()
        .into_iter()
        .filter(|d| (d.record, d.number) != (2, 40))
        .map(|d| iim_bytes[d.range].to_vec())
        .collect();
    (resources, datasets)
}

fn exiftool_json(et: &Path, file: &Path) -> serde_json::Value {
    let out = run_tool(
        et,
        &[
            "-j",
            "-G1",
            "-a",
            "-IPTC:all",
            "-IPTCDigest",
            "-CurrentIPTCDigest",
            &file.display().to_string(),
        ],
    );
    serde_json::from_str::<serde_json::Value>(&out).unwrap()[0].clone()
}

#[test]
#[cfg_attr(
    not(all(ccsig_has_exiftool, ccsig_has_exiv2)),
    ignore = "needs exiftool and exiv2 (bash .ci/run installs them)"
)]
fn apply_keeps_existing_iim_in_sync_and_the_digest_right() {
    let (_d, paths) = scratch(&["jpeg/iim.jpg"]);
    let before = irb_of(&paths[0]).unwrap();
    let o = ccsig_on(&["apply", "--signal", "cc-cr-ec"], &paths);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let after = irb_of(&paths[0]).unwrap();
    assert_eq!(
        others(&before),
        others(&after),
        "foreign IIM or resources changed"
    );
    let iim_bytes = irb::iptc(&after).unwrap().unwrap();
    assert_eq!(
        irb::digest(&after).unwrap(),
        Some(irb::iim_digest(iim_bytes))
    );
    let text = iim::read_text(iim_bytes).unwrap();
    assert_eq!(
        text.special_instructions.as_deref(),
        Some("Content-Usage: train-ai=n;exceptions=cc-cr-ec")
    );
    let o = ccsig_on(&["check"], &paths);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    {
        let et = tool("exiftool");
        let v = exiftool_json(&et, &paths[0]);
        assert_eq!(
            v["IPTC:SpecialInstructions"], "Content-Usage: train-ai=n;exceptions=cc-cr-ec",
            "{v}"
        );
        assert!(v["Photoshop:IPTCDigest"].is_string(), "no digest: {v}");
        assert_eq!(
            v["Photoshop:IPTCDigest"], v["File:CurrentIPTCDigest"],
            "{v}"
        );
        assert_eq!(v["IPTC:By-line"], "Ada Example", "{v}");
    }
    {
        let exiv2 = tool("exiv2");
        let out = run_tool(&exiv2, &["-pi", &paths[0].display().to_string()]);
        assert!(
            out.lines()
                .any(|l| l.starts_with("Iptc.Application2.SpecialInstructions")
                    && l.ends_with("Content-Usage: train-ai=n;exceptions=cc-cr-ec")),
            "{out}"
        );
    }

    // Remove gives the original IIM back exactly.
    ccsig_on(&["remove"], &paths);
    assert_eq!(irb_of(&paths[0]).unwrap(), before);
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn no_iim_appears_unless_asked() {
    let (_d, paths) = scratch(&["jpeg/plain.jpg", "jpeg/exif.jpg"]);
    ccsig_on(&["apply", "--signal", "cc-cr"], &paths[..1]);
    assert!(irb_of(&paths[0]).is_none(), "IIM added without --iim");
    let o = ccsig_on(&["apply", "--iim", "--signal", "cc-cr"], &paths[1..]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let created = irb_of(&paths[1]).expect("--iim adds IIM");
    let iim_bytes = irb::iptc(&created).unwrap().unwrap();
    assert_eq!(
        irb::digest(&created).unwrap(),
        Some(irb::iim_digest(iim_bytes))
    );
    {
        let et = tool("exiftool");
        let v = exiftool_json(&et, &paths[1]);
        assert_eq!(
            v["IPTC:SpecialInstructions"], "Content-Usage: train-ai=n;exceptions=cc-cr",
            "{v}"
        );
        assert!(v["Photoshop:IPTCDigest"].is_string(), "no digest: {v}");
        assert_eq!(
            v["Photoshop:IPTCDigest"], v["File:CurrentIPTCDigest"],
            "{v}"
        );
    }
    // --iim on a PNG writes no IIM (PNG IIM is read-only).
    let (_e, png) = scratch(&["png/plain.png"]);
    let o = ccsig_on(&["apply", "--iim", "--signal", "cc-cr"], &png);
    assert_eq!(o.status.code(), Some(0));
    assert!(!fs::read(&png[0]).unwrap().windows(4).any(|w| w == b"iptc"));
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn text_someone_put_in_2_40_is_kept_and_restored() {
    let et = tool("exiftool");
    let (_d, paths) = scratch(&["jpeg/iim.jpg"]);
    let file = paths[0].display().to_string();
    run_tool(
        &et,
        &[
            "-q",
            "-overwrite_original",
            "-IPTC:SpecialInstructions=Do not crop.",
            &file,
        ],
    );
    ccsig_on(&["apply", "--signal", "cc-cr"], &paths);
    let v = exiftool_json(&et, &paths[0]);
    assert_eq!(
        v["IPTC:SpecialInstructions"],
        "Do not crop. Content-Usage: train-ai=n;exceptions=cc-cr"
    );
    ccsig_on(&["remove"], &paths);
    let v = exiftool_json(&et, &paths[0]);
    assert_eq!(v["IPTC:SpecialInstructions"], "Do not crop.");
    assert!(v["Photoshop:IPTCDigest"].is_string(), "no digest: {v}");
    assert_eq!(
        v["Photoshop:IPTCDigest"], v["File:CurrentIPTCDigest"],
        "{v}"
    );
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn an_expression_that_does_not_fit_2_40_is_refused_not_truncated() {
    let et = tool("exiftool");
    let (_d, paths) = scratch(&["jpeg/iim.jpg"]);
    let file = paths[0].display().to_string();
    let long = "x".repeat(240);
    run_tool(
        &et,
        &[
            "-q",
            "-overwrite_original",
            &format!("-IPTC:SpecialInstructions={long}"),
            &file,
        ],
    );
    let before = fs::read(&paths[0]).unwrap();
    let o = ccsig_on(&["apply", "--signal", "cc-cr-op"], &paths);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("256"), "{}", stdout(&o));
    assert_eq!(
        fs::read(&paths[0]).unwrap(),
        before,
        "refused file untouched"
    );
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn iim_written_by_others_is_read_and_audited() {
    // ExifTool wrote 2:40 into this PNG's raw profile (via ImageMagick).
    let o = ccsig_on(
        &["read", "--format", "jsonl"],
        &[sample("png/iim-raw-profile.png")],
    );
    let r: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(
        r["decisions"]["train-ai"]["decision"], "allowed-with-terms",
        "{r}"
    );
    assert_eq!(r["sources"][0]["field"], "IIM 2:40 Special Instructions");
    assert_eq!(r["credit"]["name_from"], "IIM 2:80 By-line");

    let et = tool("exiftool");
    let (_d, paths) = scratch(&["jpeg/iim.jpg"]);
    let file = paths[0].display().to_string();
    // XMP says one thing, IIM another: a conflict.
    ccsig_on(&["apply", "--signal", "cc-cr"], &paths);
    run_tool(
        &et,
        &[
            "-q",
            "-overwrite_original",
            "-IPTC:SpecialInstructions=Content-Usage: train-ai=y",
            &file,
        ],
    );
    let o = ccsig_on(&["check", "--format", "jsonl"], &paths);
    assert!(
        stdout(&o).contains("IIM 2:40 Special Instructions"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("\"conflict\""), "{}", stdout(&o));
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiv2),
    ignore = "needs exiv2 (bash .ci/run installs it)"
)]
fn a_stale_digest_left_by_exiv2_is_reported() {
    let exiv2 = tool("exiv2");
    let (_d, paths) = scratch(&["jpeg/iim.jpg"]);
    let file = paths[0].display().to_string();
    run_tool(
        &exiv2,
        &[
            "-M",
            "set Iptc.Application2.Caption Changed by exiv2",
            &file,
        ],
    );
    let o = ccsig_on(&["check", "--format", "jsonl"], &paths);
    assert!(stdout(&o).contains("stale_digest"), "{}", stdout(&o));
    // apply brings the digest back in line
    ccsig_on(&["apply", "--signal", "cc-cr"], &paths);
    let o = ccsig_on(&["check", "--format", "jsonl"], &paths);
    assert!(!stdout(&o).contains("stale_digest"), "{}", stdout(&o));
}
