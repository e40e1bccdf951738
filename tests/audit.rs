//! The audit across places: sidecars, TDMRep, credit, licence, signed
//! files, copies of one image in a library. Each finding kind is made to
//! happen, and shown absent on a consistent file.

mod common;

use std::fs;
use std::path::PathBuf;

use common::{ccsig_on, packet, sample, scratch, stdout, with_xmp};

fn findings(paths: &[PathBuf]) -> Vec<serde_json::Value> {
    let o = ccsig_on(&["check", "--format", "jsonl"], paths);
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn kinds_of(paths: &[PathBuf]) -> Vec<String> {
    findings(paths)
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_sidecar_that_disagrees_is_a_conflict_naming_both_files() {
    let (d, paths) = scratch(&["jpeg/plain.jpg"]);
    let image = &paths[0];
    ccsig_on(
        &["apply", "--signal", "cc-cr", "--credit-name", "Ada Example"],
        std::slice::from_ref(image),
    );
    assert!(
        kinds_of(std::slice::from_ref(image)).is_empty(),
        "clean after apply"
    );
    let sidecar = d.path().join("jpeg__plain.xmp");
    fs::write(
        &sidecar,
        packet("<ccsig:expression>train-ai=y</ccsig:expression>"),
    )
    .unwrap();
    let found = findings(std::slice::from_ref(image));
    let conflict = found
        .iter()
        .find(|f| f["kind"] == "conflict")
        .expect("conflict");
    let fields = conflict["fields"].to_string();
    assert!(fields.contains("sidecar jpeg__plain.xmp"), "{fields}");
    assert!(fields.contains("XMP ccsig:expression"), "{fields}");
}

#[test]
fn apply_updates_an_existing_sidecar_so_no_conflict_is_left_behind() {
    let (d, paths) = scratch(&["png/plain.png"]);
    let sidecar = d.path().join("png__plain.png.xmp");
    let foreign = "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">Kept</rdf:li></rdf:Alt></dc:title>\n<ccsig:expression>train-ai=y</ccsig:expression>";
    fs::write(&sidecar, packet(foreign)).unwrap();
    let o = ccsig_on(
        &[
            "apply",
            "--signal",
            "cc-cr-dc",
            "--credit-name",
            "Ada Example",
        ],
        &paths,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("sidecar png__plain.png.xmp updated"),
        "{}",
        stdout(&o)
    );
    let text = fs::read_to_string(&sidecar).unwrap();
    assert!(text.contains("train-ai=n;exceptions=cc-cr-dc"));
    assert!(text.contains("<rdf:li xml:lang=\"x-default\">Kept</rdf:li>"));
    assert!(kinds_of(&paths).is_empty(), "{:?}", findings(&paths));
    // remove cleans the sidecar too and keeps the foreign title
    ccsig_on(&["remove"], &paths);
    let text = fs::read_to_string(&sidecar).unwrap();
    assert!(!text.contains("ccsig:expression"));
    assert!(text.contains("Kept"));
}

#[test]
fn sidecar_mode_leaves_the_image_untouched() {
    let (d, paths) = scratch(&["webp/lossy.webp"]);
    let before = fs::read(&paths[0]).unwrap();
    let o = ccsig_on(&["apply", "--sidecar", "--signal", "cc-cr-op"], &paths);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(fs::read(&paths[0]).unwrap(), before);
    let sidecar = d.path().join("webp__lossy.webp.xmp");
    assert!(sidecar.exists(), "default convention: photo.ext.xmp");
    let o = ccsig_on(&["read", "--format", "jsonl"], &paths);
    let r: serde_json::Value = serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    assert_eq!(r["decisions"]["train-ai"]["decision"], "allowed-with-terms");
    // A second run changes nothing; remove --sidecar deletes a sidecar
    // that held nothing else.
    let o = ccsig_on(&["apply", "--sidecar", "--signal", "cc-cr-op"], &paths);
    assert!(stdout(&o).contains("unchanged"), "{}", stdout(&o));
    ccsig_on(&["remove", "--sidecar"], &paths);
    assert!(!sidecar.exists());
    assert_eq!(fs::read(&paths[0]).unwrap(), before);
}

#[test]
fn tdm_reservation_is_read_and_checked_against_the_expression() {
    let d = tempfile::tempdir().unwrap();
    let alone = with_xmp(
        d.path(),
        "jpeg/plain.jpg",
        "reserved.jpg",
        "<tdm:reservation>1</tdm:reservation>",
    );
    let o = ccsig_on(&["read", "--format", "jsonl"], std::slice::from_ref(&alone));
    let r: serde_json::Value = serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    assert_eq!(r["decisions"]["train-ai"]["decision"], "disallowed");
    let against = with_xmp(
        d.path(),
        "jpeg/plain.jpg",
        "reserved-but-allowed.jpg",
        "<tdm:reservation>1</tdm:reservation><ccsig:expression>train-ai=y</ccsig:expression>",
    );
    assert!(kinds_of(std::slice::from_ref(&against)).contains(&"conflict".into()));
    let framed = with_xmp(
        d.path(),
        "jpeg/plain.jpg",
        "reserved-with-terms.jpg",
        "<tdm:reservation>1</tdm:reservation><ccsig:expression>train-ai=n;exceptions=cc-cr</ccsig:expression>",
    );
    assert!(!kinds_of(std::slice::from_ref(&framed)).contains(&"conflict".into()));
    let bad = with_xmp(
        d.path(),
        "jpeg/plain.jpg",
        "bad-tdm.jpg",
        "<tdm:reservation>yes</tdm:reservation>",
    );
    assert!(kinds_of(std::slice::from_ref(&bad)).contains(&"malformed".into()));
}

#[test]
fn credit_and_licence_notes_are_informational() {
    let d = tempfile::tempdir().unwrap();
    let agency = with_xmp(
        d.path(),
        "jpeg/plain.jpg",
        "agency.jpg",
        "<ccsig:expression>train-ai=n;exceptions=cc-cr</ccsig:expression><ccsig:signal>cc-cr</ccsig:signal>\
         <ccsig:creditName>Big Agency</ccsig:creditName><dc:creator><rdf:Seq><rdf:li>Ada Example</rdf:li></rdf:Seq></dc:creator>\
         <cc:license>http://creativecommons.org/publicdomain/zero/1.0/</cc:license>",
    );
    let found = findings(std::slice::from_ref(&agency));
    let kinds: Vec<&str> = found.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"credit"), "{kinds:?}");
    assert!(kinds.contains(&"licence"), "{kinds:?}");
    assert!(found.iter().all(|f| f["severity"] == "note"), "{found:?}");
    let o = ccsig_on(&["check"], std::slice::from_ref(&agency));
    assert_eq!(o.status.code(), Some(0), "info findings keep exit 0");
    // The table names them as its closing count does: notes.
    let table = stdout(&o);
    let noted = table.lines().filter(|l| l.contains(": note[")).count();
    assert_eq!(noted, found.len(), "{table}");
    let count = format!("0 to fix (0 errors, 0 warnings, {noted} notes)");
    assert!(table.contains(&count), "{table}");
    let own = with_xmp(
        d.path(),
        "jpeg/plain.jpg",
        "own.jpg",
        "<ccsig:expression>train-ai=n</ccsig:expression><ccsig:creditName>Ada Example</ccsig:creditName>\
         <dc:creator><rdf:Seq><rdf:li>Ada Example</rdf:li></rdf:Seq></dc:creator>",
    );
    assert!(kinds_of(std::slice::from_ref(&own)).is_empty());
}

#[test]
fn signed_files_are_reported_and_refused() {
    let d = tempfile::tempdir().unwrap();
    let mut bytes = fs::read(sample("jpeg/plain.jpg")).unwrap();
    let jumbf = b"JP\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10jumbjumd";
    let mut seg = vec![0xFF, 0xEB];
    seg.extend_from_slice(&((jumbf.len() + 2) as u16).to_be_bytes());
    seg.extend_from_slice(jumbf);
    bytes.splice(2..2, seg);
    let signed = d.path().join("signed.jpg");
    fs::write(&signed, &bytes).unwrap();
    assert!(kinds_of(std::slice::from_ref(&signed)).contains(&"signed".into()));
    let o = ccsig_on(
        &["apply", "--signal", "cc-cr"],
        std::slice::from_ref(&signed),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("C2PA"), "{}", stdout(&o));
    assert_eq!(fs::read(&signed).unwrap(), bytes, "refused file untouched");
    let o = ccsig_on(
        &["apply", "--sidecar", "--signal", "cc-cr"],
        std::slice::from_ref(&signed),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(fs::read(&signed).unwrap(), bytes);
    // Tagged through its sidecar: check no longer advises one.
    let o = ccsig_on(&["check"], std::slice::from_ref(&signed));
    let out = stdout(&o);
    assert!(
        out.contains("its sidecar signed.jpg.xmp is tagged instead"),
        "{out}"
    );
    assert!(!out.contains("use --sidecar"), "{out}");
    let o = ccsig_on(
        &["apply", "--allow-breaking-c2pa", "--signal", "cc-cr"],
        std::slice::from_ref(&signed),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn copies_of_one_image_that_disagree_are_conflicts() {
    let d = tempfile::tempdir().unwrap();
    let id = "<xmpMM:DocumentID>xmp.did:1234</xmpMM:DocumentID>";
    fs::create_dir(d.path().join("a")).unwrap();
    fs::create_dir(d.path().join("b")).unwrap();
    with_xmp(
        &d.path().join("a"),
        "jpeg/plain.jpg",
        "one.jpg",
        &format!("{id}<ccsig:expression>train-ai=n</ccsig:expression>"),
    );
    with_xmp(
        &d.path().join("b"),
        "jpeg/plain.jpg",
        "one.jpg",
        &format!("{id}<ccsig:expression>train-ai=y</ccsig:expression>"),
    );
    let found = findings(&[d.path().to_path_buf()]);
    let copy = found
        .iter()
        .find(|f| {
            f["kind"] == "conflict"
                && f["message"]
                    .as_str()
                    .unwrap()
                    .contains("shares xmpMM:DocumentID xmp.did:1234 with")
        })
        .expect("copy conflict");
    assert!(copy["path"].as_str().unwrap().ends_with("b/one.jpg"));
    assert_eq!(copy["severity"], "error");
    // Compared by content, the same picture is a copy.
    let o = ccsig_on(
        &["check", "--copies-by-content", "--format", "jsonl"],
        &[d.path().to_path_buf()],
    );
    assert!(
        stdout(&o).contains("another copy of this image"),
        "{}",
        stdout(&o)
    );
    // Another picture under the same DocumentID is said to be one: a
    // warning, not a copy's conflict.
    with_xmp(
        &d.path().join("b"),
        "jpeg/progressive.jpg",
        "one.jpg",
        &format!("{id}<ccsig:expression>train-ai=y</ccsig:expression>"),
    );
    let o = ccsig_on(
        &["check", "--copies-by-content", "--format", "jsonl"],
        &[d.path().to_path_buf()],
    );
    let other: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|f: &serde_json::Value| f["kind"] == "conflict")
        .collect();
    assert_eq!(other.len(), 1, "{other:?}");
    assert_eq!(other[0]["severity"], "warning");
    assert!(other[0]["message"]
        .as_str()
        .unwrap()
        .contains("a different picture"));
    with_xmp(
        &d.path().join("b"),
        "jpeg/plain.jpg",
        "one.jpg",
        &format!("{id}<ccsig:expression>train-ai=y</ccsig:expression>"),
    );
    // Same signal in both copies: nothing to report.
    with_xmp(
        &d.path().join("b"),
        "jpeg/plain.jpg",
        "one.jpg",
        &format!("{id}<ccsig:expression>train-ai=n</ccsig:expression>"),
    );
    assert!(kinds_of(&[d.path().to_path_buf()]).is_empty());
}

#[test]
#[cfg_attr(
    not(all(ccsig_has_exiftool, ccsig_has_exiv2)),
    ignore = "needs exiftool and exiv2 (bash .ci/run installs them)"
)]
fn sidecars_interoperate_with_exiftool_and_exiv2() {
    use common::{run_tool, tool};
    let (d, paths) = scratch(&["jpeg/plain.jpg", "png/plain.png"]);
    let o = ccsig_on(&["apply", "--sidecar", "--signal", "cc-cr-op"], &paths[..1]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let written = d.path().join("jpeg__plain.jpg.xmp");
    {
        let et = tool("exiftool");
        let out = run_tool(&et, &["-j", "-G1", &written.display().to_string()]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v[0]["XMP-plus:DataMining"], "Prohibited, see plus:OtherConstraints",
            "{out}"
        );
        assert_eq!(
            v[0]["XMP-ccsig:Expression"], "train-ai=n;exceptions=cc-cr-op",
            "{out}"
        );
        // ExifTool writes a sidecar (photo.xmp convention); ccsig reads it.
        let theirs = d.path().join("png__plain.xmp");
        run_tool(
            &et,
            &[
                "-q",
                "-n",
                "-o",
                &theirs.display().to_string(),
                "-XMP-plus:DataMining=DMI-PROHIBITED",
                &paths[1].display().to_string(),
            ],
        );
        let o = ccsig_on(&["read", "--format", "jsonl"], &paths[1..]);
        let r: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
        assert_eq!(r["decisions"]["train-ai"]["decision"], "disallowed", "{r}");
        assert_eq!(r["decisions"]["search"]["decision"], "disallowed", "{r}");
        assert!(r["sources"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("sidecar png__plain.xmp"));
    }
    {
        let exiv2 = tool("exiv2");
        let out = run_tool(&exiv2, &["-PXkv", &written.display().to_string()]);
        assert!(
            out.contains("Xmp.ccsig.expression") && out.contains("train-ai=n;exceptions=cc-cr-op"),
            "{out}"
        );
        assert!(out.contains("DMI-PROHIBITED-SEECONSTRAINT"), "{out}");
    }
}

#[test]
fn copies_without_an_id_are_found_by_image_content_when_asked() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("a")).unwrap();
    fs::create_dir(d.path().join("b")).unwrap();
    let n = "<ccsig:expression>train-ai=n</ccsig:expression>";
    let y = "<ccsig:expression>train-ai=y</ccsig:expression>";
    with_xmp(&d.path().join("a"), "png/plain.png", "one.png", n);
    with_xmp(&d.path().join("b"), "png/plain.png", "copy.png", y);
    // A different picture saying something else is no copy.
    with_xmp(&d.path().join("b"), "png/alpha.png", "other.png", y);
    let root = [d.path().to_path_buf()];
    assert!(kinds_of(&root).is_empty(), "off by default");
    let o = ccsig_on(
        &["check", "--copies-by-content", "--format", "jsonl"],
        &root,
    );
    let found: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["kind"], "conflict");
    assert!(found[0]["path"].as_str().unwrap().ends_with("b/copy.png"));
    assert!(found[0]["message"]
        .as_str()
        .unwrap()
        .contains("image data MD5"));
}
