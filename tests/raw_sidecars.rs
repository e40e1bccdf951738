//! Camera RAW (and every other image ccsig recognises but does not write)
//! is tagged, read, checked and decided through XMP sidecars, following
//! the tools photographers use: `IMG_0001.xmp` (Lightroom, Bridge, Capture
//! One) or `IMG_0001.CR2.xmp` (darktable, digiKam). The RAW file is never
//! written. The samples are `sample-images/raw/` (made by its `make.sh`).

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// A copy of `sample-images/raw` (without its script) in a scratch folder.
fn raw_archive() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("raw");
    fs::create_dir(&root).unwrap();
    for entry in fs::read_dir(sample("raw")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sh") {
            continue;
        }
        fs::copy(&path, root.join(path.file_name().unwrap())).unwrap();
    }
    (dir, root)
}

fn lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn by_name<'a>(records: &'a [Value], name: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("no record for {name}: {records:#?}"))
}

/// The original sidecar up to where ccsig adds its description: what comes
/// before must be byte for byte what was there.
fn head_of(original: &str) -> &str {
    let end = original.rfind(" </rdf:RDF>").unwrap();
    &original[..end]
}

#[test]
fn a_raw_archive_is_tagged_through_its_sidecars_and_no_raw_is_written() {
    let (_d, root) = raw_archive();
    let raws = ["IMG_0001.CR2", "DSC_0002.NEF", "DSCF0003.RAF"];
    let before: Vec<Vec<u8>> = raws
        .iter()
        .map(|r| fs::read(root.join(r)).unwrap())
        .collect();
    let lightroom = fs::read_to_string(root.join("IMG_0001.xmp")).unwrap();
    let darktable = fs::read_to_string(root.join("DSCF0003.RAF.xmp")).unwrap();

    let o = ccsig_on(
        &["apply", "--signal", "cc-cr", "--credit-name", "Ada Example"],
        std::slice::from_ref(&root),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("4 files: 4 written"), "{out}");
    assert!(out.contains("sidecar IMG_0001.xmp updated"), "{out}");
    assert!(out.contains("sidecar DSC_0002.xmp created"), "{out}");
    assert!(out.contains("sidecar DSCF0003.RAF.xmp updated"), "{out}");

    // No RAW byte changed; the sidecar that existed is the one updated, in
    // its own style; a RAW without one gets IMG_0001.xmp's style.
    for (raw, old) in raws.iter().zip(&before) {
        assert_eq!(&fs::read(root.join(raw)).unwrap(), old, "{raw} was written");
    }
    assert!(root.join("DSC_0002.xmp").is_file());
    assert!(!root.join("DSC_0002.NEF.xmp").exists());
    assert!(!root.join("DSCF0003.xmp").exists());
    // The pair's JPEG was written itself, and got no sidecar.
    assert!(!root.join("IMG_0001.JPG.xmp").exists());

    // Every property Lightroom and darktable wrote is still there, byte
    // for byte: ccsig adds a description after them.
    let updated = fs::read_to_string(root.join("IMG_0001.xmp")).unwrap();
    assert!(updated.starts_with(head_of(&lightroom)), "{updated}");
    // darktable's: every line but the plus:DataMining ccsig replaced (and
    // the closing tags it writes after its own description).
    let updated = fs::read_to_string(root.join("DSCF0003.RAF.xmp")).unwrap();
    for line in darktable.lines() {
        if !line.contains("plus:DataMining") && !line.contains("</rdf:RDF>") {
            assert!(updated.contains(line), "{line:?} lost: {updated}");
        }
    }

    // read and decide see each RAW's signal in its sidecar, and the JPEG's
    // in the JPEG: IMG_0001.xmp is the RAW's, not the JPEG's.
    let o = ccsig_on(&["read", "--format", "jsonl"], std::slice::from_ref(&root));
    let records = lines(&stdout(&o));
    assert_eq!(records.len(), 4, "{records:#?}");
    for raw in raws {
        let r = by_name(&records, raw);
        assert_eq!(r["decisions"]["train-ai"]["signals"][0], "cc-cr", "{r:#}");
        let field = r["sources"][0]["field"].as_str().unwrap();
        assert!(field.starts_with("sidecar "), "{raw}: {field}");
    }
    assert_eq!(by_name(&records, "IMG_0001.CR2")["format"], "Canon CR2");
    let jpeg = by_name(&records, "IMG_0001.JPG");
    assert_eq!(jpeg["format"], "jpeg");
    let fields: Vec<&str> = jpeg["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.iter().all(|f| !f.starts_with("sidecar")),
        "{fields:?}"
    );

    let o = ccsig_on(
        &["decide", "--use", "train-ai", "--we-give", "credit"],
        std::slice::from_ref(&root),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for r in lines(&stdout(&o)) {
        assert_eq!(r["state"], "stated", "{r}");
        assert_eq!(r["usable"], true, "{r}");
    }

    // Asked again: nothing to do.
    let o = ccsig_on(&["apply", "--signal", "cc-cr"], std::slice::from_ref(&root));
    assert!(
        stdout(&o).contains("4 files: 0 written, 4 unchanged"),
        "{}",
        stdout(&o)
    );

    // remove cleans the sidecars; one ccsig created, with nothing else in
    // it, goes away; the RAWs are still untouched.
    let o = ccsig_on(&["remove"], std::slice::from_ref(&root));
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(!root.join("DSC_0002.xmp").exists());
    let cleaned = fs::read_to_string(root.join("IMG_0001.xmp")).unwrap();
    assert!(cleaned.starts_with(head_of(&lightroom)), "{cleaned}");
    assert!(!cleaned.contains("ccsig"), "{cleaned}");
    for (raw, old) in raws.iter().zip(&before) {
        assert_eq!(&fs::read(root.join(raw)).unwrap(), old, "{raw} was written");
    }
}

#[test]
fn a_raw_without_a_sidecar_is_not_called_silent() {
    let (_d, root) = raw_archive();
    let nef = root.join("DSC_0002.NEF");
    let o = ccsig_on(
        &["decide", "--use", "train-ai", "--unknown", "allow"],
        std::slice::from_ref(&nef),
    );
    let r = &lines(&stdout(&o))[0];
    // Its own bytes were not read: not "no-signal", and --unknown allow
    // does not take it (fail closed).
    assert_eq!(r["state"], "unsupported", "{r}");
    assert_eq!(r["usable"], false, "{r}");
    assert_eq!(o.status.code(), Some(1));
    let o = ccsig_on(
        &["decide", "--use", "train-ai", "--unreadable", "allow"],
        std::slice::from_ref(&nef),
    );
    assert_eq!(lines(&stdout(&o))[0]["usable"], true);

    let o = ccsig_on(&["check", "--format", "jsonl"], std::slice::from_ref(&nef));
    let r = &lines(&stdout(&o))[0];
    assert_eq!(r["kind"], "missing");
    assert!(r["message"].as_str().unwrap().contains("Nikon NEF"), "{r}");
    assert_eq!(o.status.code(), Some(1));

    // --verbose names the real format.
    let o = ccsig_on(&["check", "--verbose"], std::slice::from_ref(&root));
    let err = stderr(&o);
    assert!(
        err.contains(
            "3 in a format ccsig does not write: 1 Canon CR2, 1 Fujifilm RAF, 1 Nikon NEF"
        ),
        "{err}"
    );
    assert!(
        err.contains("DSC_0002.NEF: Nikon NEF, a format ccsig does not write"),
        "{err}"
    );
}

#[test]
fn the_sidecar_style_is_chosen_and_a_pair_never_shares_one() {
    let (_d, root) = raw_archive();
    let nef = root.join("DSC_0002.NEF");
    let o = ccsig_on(
        &[
            "apply",
            "--signal",
            "cc-cr-op",
            "--sidecar-style",
            "darktable",
        ],
        std::slice::from_ref(&nef),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(root.join("DSC_0002.NEF.xmp").is_file());
    assert!(!root.join("DSC_0002.xmp").exists());

    // The JPEG of a RAW+JPEG pair: IMG_0001.xmp is the RAW's.
    let jpeg = root.join("IMG_0001.JPG");
    let before = fs::read(&jpeg).unwrap();
    let o = ccsig_on(
        &[
            "apply",
            "--signal",
            "cc-cr",
            "--sidecar",
            "--sidecar-style",
            "lightroom",
        ],
        std::slice::from_ref(&jpeg),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("IMG_0001.xmp would be IMG_0001.CR2's sidecar too"),
        "{}",
        stdout(&o)
    );
    let o = ccsig_on(
        &["apply", "--signal", "cc-cr", "--sidecar"],
        std::slice::from_ref(&jpeg),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(root.join("IMG_0001.JPG.xmp").is_file());
    assert_eq!(fs::read(&jpeg).unwrap(), before);

    // Signing a RAW is refused in words: a sidecar carries no credentials.
    let o = ccsig_on(
        &[
            "apply",
            "--signal",
            "cc-cr",
            "--c2pa-sign",
            "/nonexistent/cert.pem",
            "--c2pa-key",
            "/nonexistent/key.pem",
        ],
        std::slice::from_ref(&nef),
    );
    assert_ne!(o.status.code(), Some(0));
}

#[test]
fn a_sidecar_named_directly_is_read_and_written() {
    let (_d, root) = raw_archive();
    let sidecar = root.join("DSCF0003.RAF.xmp");
    let o = ccsig_on(
        &["read", "--format", "jsonl"],
        std::slice::from_ref(&sidecar),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = &lines(&stdout(&o))[0];
    assert_eq!(r["format"], "xmp");
    assert_eq!(
        r["decisions"]["train-ai"]["decision"], "disallowed",
        "{r:#}"
    );
    assert_eq!(r["sources"][0]["field"], "XMP plus:DataMining");

    let lightroom = root.join("IMG_0001.xmp");
    let original = fs::read_to_string(&lightroom).unwrap();
    let o = ccsig_on(
        &["apply", "--signal", "cc-cr-op"],
        std::slice::from_ref(&lightroom),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let updated = fs::read_to_string(&lightroom).unwrap();
    assert!(updated.starts_with(head_of(&original)), "{updated}");
    // No sidecar of the sidecar.
    assert!(!root.join("IMG_0001.xmp.xmp").exists());
    let r = ccsig::read_path(&lightroom).unwrap();
    assert_eq!(r.format, ccsig::Format::Xmp);
    assert_eq!(
        r.combined_expression().as_deref(),
        Some("train-ai=n;exceptions=cc-cr-op")
    );
    // The RAW reads the same through it.
    let raw = ccsig::read_path(&root.join("IMG_0001.CR2")).unwrap();
    assert_eq!(raw.format, ccsig::Format::Other("Canon CR2"));
    assert_eq!(raw.combined_expression(), r.combined_expression());
}

#[test]
fn the_library_tags_a_raw_through_its_sidecar() {
    let (_d, root) = raw_archive();
    let raw = root.join("DSC_0002.NEF");
    let before = fs::read(&raw).unwrap();
    let request = ccsig::ApplyRequest::from_expression("train-ai=n").unwrap();
    let options = ccsig::WriteOptions {
        sidecar_style: Some(ccsig::SidecarStyle::Darktable),
        ..Default::default()
    };
    let outcome = ccsig::apply_path(&raw, &request, &options).unwrap();
    assert_eq!(outcome.change, ccsig::tagging::Change::Written);
    assert_eq!(fs::read(&raw).unwrap(), before);
    let signals = ccsig::read_path(&raw).unwrap();
    assert_eq!(signals.sidecars[0].name, "DSC_0002.NEF.xmp");
    assert_eq!(signals.combined_expression().as_deref(), Some("train-ai=n"));
    // Bytes have no sidecar: a RAW held in memory is not something ccsig
    // can tag, and says so. (A NEF's bytes are a TIFF's: without its name
    // they are one.)
    let raf = fs::read(root.join("DSCF0003.RAF")).unwrap();
    let error = ccsig::apply_bytes(&raf, &request, &Default::default()).unwrap_err();
    assert!(error.to_string().contains("unsupported format"), "{error}");
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn exiftool_reads_the_sidecars_ccsig_writes_and_ccsig_reads_exiftools() {
    let et = tool("exiftool");
    let (_d, root) = raw_archive();
    let o = ccsig_on(
        &["apply", "--signal", "cc-cr", "--credit-name", "Ada Example"],
        std::slice::from_ref(&root),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    for sidecar in ["IMG_0001.xmp", "DSC_0002.xmp", "DSCF0003.RAF.xmp"] {
        let path = root.join(sidecar);
        let json = run_tool(&et, &["-j", "-n", "-XMP:all", path.to_str().unwrap()]);
        let tags: Value = serde_json::from_str(&json).unwrap();
        let tags = &tags[0];
        // -n: ExifTool prints the code without its vocabulary prefix.
        assert_eq!(
            tags["DataMining"], "DMI-PROHIBITED-SEECONSTRAINT",
            "{sidecar}: {tags:#}"
        );
        assert_eq!(tags["AttributionName"], "Ada Example", "{sidecar}");
        assert!(
            tags["OtherConstraints"]
                .as_str()
                .unwrap()
                .ends_with("Content-Usage: train-ai=n;exceptions=cc-cr"),
            "{sidecar}: {tags:#}"
        );
    }
    // Lightroom's develop settings are still there for ExifTool.
    let json = run_tool(
        &et,
        &[
            "-j",
            "-XMP-crs:all",
            root.join("IMG_0001.xmp").to_str().unwrap(),
        ],
    );
    assert!(json.contains("\"Exposure2012\": \"+0.35\""), "{json}");

    // ExifTool creates a sidecar from nothing; ccsig reads it for its RAW.
    let fresh = root.join("DSC_0002.xmp");
    fs::remove_file(&fresh).unwrap();
    run_tool(
        &et,
        &[
            "-q",
            "-n",
            "-XMP-plus:DataMining=DMI-PROHIBITED-AIMLTRAINING",
            fresh.to_str().unwrap(),
        ],
    );
    let signals = ccsig::read_path(Path::new(&root.join("DSC_0002.NEF"))).unwrap();
    assert_eq!(
        signals.sources[0].field(),
        "sidecar DSC_0002.xmp: XMP plus:DataMining"
    );
    assert_eq!(
        signals.decisions["train-ai"],
        ccsig::signal::Decision::Disallowed
    );
}
