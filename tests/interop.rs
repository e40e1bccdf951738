//! Interoperability: what ccsig writes must read the same in ExifTool and
//! exiv2, what those tools write must read right in ccsig, and a file that
//! went through either of them must stay a well-formed image whose pixels
//! ccsig never touched. See docs/mapping.md (the contract).
//!
//! Every test works on copies of the committed samples in a scratch folder.
//! Without ExifTool / exiv2 a test prints a loud warning and checks nothing;
//! with CCSIG_REQUIRE_TOOLS set it fails (see tests/common).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use serde_json::{Map, Value};

const PLUS_VOCAB: &str = "http://ns.useplus.org/ldf/vocab/";
const EXPRESSION: &str = "train-ai=n;exceptions=cc-cr-op";
const CREDIT_NAME: &str = "Ada Example";
const CREDIT_URL: &str = "https://example.org/ada";

/// The tag the tests apply: CC signal Credit + Open for AI training.
const APPLY_CR_OP: &[&str] = &[
    "apply",
    "--signal",
    "cc-cr-op",
    "--use",
    "train-ai",
    "--credit-name",
    CREDIT_NAME,
    "--credit-url",
    CREDIT_URL,
];

/// Simple-format WebP samples: ccsig turns them into extended files.
const SIMPLE_WEBP: &[&str] = &["webp/lossy.webp", "webp/lossless.webp"];

// ---------------------------------------------------------------------------
// helpers

fn show(what: &str, o: &Output) -> String {
    format!(
        "{what}: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn run(program: &Path, args: &[String]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

fn args_with(args: &[&str], files: &[PathBuf]) -> Vec<String> {
    args.iter()
        .map(|s| s.to_string())
        .chain(files.iter().map(|p| p.display().to_string()))
        .collect()
}

/// Runs ccsig and insists on exit 0.
fn ccsig_ok(args: &[&str], files: &[PathBuf]) -> Output {
    let o = ccsig_on(args, files);
    assert!(
        o.status.success(),
        "{}",
        show(&format!("ccsig {args:?} {files:?}"), &o)
    );
    o
}

/// `ccsig read --format json` of one file: the file's report object.
fn ccsig_read(file: &Path) -> Value {
    let o = ccsig_ok(&["read", "--format", "json"], &[file.to_path_buf()]);
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("ccsig read JSON: {e}\n{}", show("ccsig read", &o)));
    match v {
        Value::Array(mut a) if a.len() == 1 => a.remove(0),
        other => panic!("ccsig read: expected one report, got {other:#}"),
    }
}

fn decision(report: &Value, label: &str) -> (String, Vec<String>) {
    let d = &report["decisions"][label];
    let kind = d["decision"]
        .as_str()
        .unwrap_or_else(|| panic!("no decision for {label} in {report:#}"))
        .to_string();
    let signals = d["signals"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    (kind, signals)
}

fn source_fields(report: &Value) -> Vec<String> {
    report["sources"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs ExifTool with `-j` over the files and returns one tag map per file,
/// keyed by the file's path. Panics with ExifTool's output when the answer
/// is not the JSON expected.
fn exiftool_json(
    et: &Path,
    args: &[&str],
    files: &[PathBuf],
) -> BTreeMap<PathBuf, Map<String, Value>> {
    let mut all = vec!["-j", "-q"];
    all.extend_from_slice(args);
    let o = run(et, &args_with(&all, files));
    let parsed: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("ExifTool JSON: {e}\n{}", show("exiftool", &o)));
    let mut out = BTreeMap::new();
    for entry in parsed.as_array().expect("ExifTool -j prints an array") {
        let obj = entry.as_object().expect("one object per file").clone();
        let source = PathBuf::from(obj["SourceFile"].as_str().expect("SourceFile"));
        out.insert(source, obj);
    }
    for f in files {
        assert!(
            out.contains_key(f),
            "ExifTool said nothing about {}\n{}",
            f.display(),
            show("exiftool", &o)
        );
    }
    out
}

/// ExifTool writes to the files in place.
fn exiftool_write(et: &Path, args: &[&str], files: &[PathBuf]) {
    let mut all = vec!["-q", "-overwrite_original"];
    all.extend_from_slice(args);
    let o = run(et, &args_with(&all, files));
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "{}",
        show(&format!("exiftool {all:?}"), &o)
    );
}

fn s<'a>(tags: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    tags.get(key).and_then(Value::as_str)
}

/// ExifTool's `-validate` verdict: the summary and every warning / error,
/// as a sorted list (with `-G4` duplicates come as `CopyN:Warning`).
fn validation(et: &Path, files: &[PathBuf]) -> BTreeMap<PathBuf, Vec<String>> {
    exiftool_json(et, &["-G4", "-a", "-validate", "-warning", "-error"], files)
        .into_iter()
        .map(|(path, tags)| {
            let mut found: Vec<String> = tags
                .iter()
                .filter(|(k, _)| {
                    k.ends_with(":Warning") || k.ends_with(":Error") || k.ends_with(":Validate")
                })
                .map(|(k, v)| {
                    let name = k.rsplit(':').next().unwrap_or(k);
                    format!("{name}: {}", v.as_str().unwrap_or(&v.to_string()))
                })
                .collect();
            found.sort();
            (path, found)
        })
        .collect()
}

/// The ExifTool tags ccsig owns (docs/mapping.md); everything else in the
/// XMP must survive an apply or remove untouched.
fn owned_by_ccsig(key: &str) -> bool {
    key.starts_with("XMP-ccsig:")
        || key.starts_with("XMP-cc:")
        || key == "XMP-plus:DataMining"
        || key == "XMP-plus:OtherConstraints"
}

fn not_owned(tags: &Map<String, Value>) -> BTreeMap<String, Value> {
    tags.iter()
        .filter(|(k, _)| !owned_by_ccsig(k) && k.as_str() != "SourceFile")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn keys_with_prefix(tags: &Map<String, Value>, prefix: &str) -> Vec<String> {
    tags.keys()
        .filter(|k| k.starts_with(prefix))
        .cloned()
        .collect()
}

/// `exiv2 -PXkv`: XMP key → value, plus the raw output for messages.
fn exiv2_xmp(exiv2: &Path, file: &Path) -> (BTreeMap<String, String>, Output) {
    let o = run(exiv2, &args_with(&["-PXkv"], &[file.to_path_buf()]));
    let map = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(char::is_whitespace)?;
            Some((k.to_string(), v.trim_start().to_string()))
        })
        .collect();
    (map, o)
}

fn read_bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

// ---------------------------------------------------------------------------
// 1. ExifTool reads what ccsig wrote

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn exiftool_reads_what_ccsig_wrote_in_every_format() {
    let et = tool("exiftool");
    let (_dir, files) = scratch(IMAGE_SAMPLES);
    let before = validation(&et, &files);
    ccsig_ok(APPLY_CR_OP, &files);

    let tags = exiftool_json(&et, &["-G1", "-a"], &files);
    let numeric = exiftool_json(&et, &["-n", "-G1", "-XMP-plus:DataMining"], &files);
    let raw = exiftool_json(&et, &["-b", "-XMP"], &files);
    let after = validation(&et, &files);
    let mut failures = Vec::new();
    for file in &files {
        let t = &tags[file];
        let n = name(file);
        let mut check = |ok: bool, what: String| {
            if !ok {
                failures.push(format!("{n}: {what}"));
            }
        };
        check(
            s(t, "XMP-plus:DataMining") == Some("Prohibited, see plus:OtherConstraints"),
            format!("XMP-plus:DataMining = {:?}", t.get("XMP-plus:DataMining")),
        );
        check(
            s(t, "XMP-plus:OtherConstraints")
                .is_some_and(|v| v.ends_with(&format!("Content-Usage: {EXPRESSION}"))),
            format!(
                "XMP-plus:OtherConstraints = {:?}",
                t.get("XMP-plus:OtherConstraints")
            ),
        );
        check(
            s(t, "XMP-cc:AttributionName") == Some(CREDIT_NAME),
            format!(
                "XMP-cc:AttributionName = {:?}",
                t.get("XMP-cc:AttributionName")
            ),
        );
        check(
            s(t, "XMP-cc:AttributionURL") == Some(CREDIT_URL),
            format!(
                "XMP-cc:AttributionURL = {:?}",
                t.get("XMP-cc:AttributionURL")
            ),
        );
        check(
            s(t, "XMP-ccsig:Expression") == Some(EXPRESSION),
            format!("XMP-ccsig:Expression = {:?}", t.get("XMP-ccsig:Expression")),
        );
        check(
            s(t, "XMP-ccsig:Signal") == Some("cc-cr-op"),
            format!("XMP-ccsig:Signal = {:?}", t.get("XMP-ccsig:Signal")),
        );
        check(
            t.get("XMP-ccsig:MappingVersion")
                .is_some_and(|v| v.to_string().trim_matches('"') == "1.0"),
            format!(
                "XMP-ccsig:MappingVersion = {:?}",
                t.get("XMP-ccsig:MappingVersion")
            ),
        );
        check(
            s(t, "XMP-ccsig:CreditName") == Some(CREDIT_NAME)
                && s(t, "XMP-ccsig:CreditURL") == Some(CREDIT_URL),
            "XMP-ccsig:CreditName / CreditURL missing or wrong".into(),
        );
        // ExifTool strips exactly the PLUS vocabulary prefix with -n: the
        // stored value is the full URI, prefixed once.
        check(
            s(&numeric[file], "XMP-plus:DataMining") == Some("DMI-PROHIBITED-SEECONSTRAINT"),
            format!(
                "-n DataMining = {:?}",
                numeric[file].get("XMP-plus:DataMining")
            ),
        );
        let packet = s(&raw[file], "XMP").unwrap_or_default();
        let uri = format!("{PLUS_VOCAB}DMI-PROHIBITED-SEECONSTRAINT");
        check(
            packet.matches(&uri).count() == 1 && !packet.contains("vocab/http"),
            format!("raw XMP does not hold the DataMining URI {uri} once:\n{packet}"),
        );
        // ExifTool and an independent parser (img-parts) find the same packet.
        let ours = xmp_packet(&read_bytes(file)).unwrap_or_default();
        check(
            ours.trim_end_matches(['\0', ' ', '\n']) == packet.trim_end_matches(['\0', ' ', '\n']),
            "ExifTool's XMP packet differs from the one img-parts finds".into(),
        );
        // -validate: nothing new compared with the original.
        check(
            before[file] == after[file],
            format!(
                "ExifTool -validate changed:\n  before: {:?}\n  after:  {:?}",
                before[file], after[file]
            ),
        );
        // The image did not change size or type in ExifTool's eyes.
        check(
            s(t, "Composite:ImageSize").is_some(),
            "ExifTool sees no image size".into(),
        );
    }
    assert!(
        failures.is_empty(),
        "ExifTool disagrees with what ccsig wrote:\n{}",
        failures.join("\n")
    );
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn exiftool_sees_the_same_image_size_and_type_after_apply() {
    let et = tool("exiftool");
    let (_dir, files) = scratch(IMAGE_SAMPLES);
    let keys = [
        "-ImageSize",
        "-MIMEType",
        "-BitsPerSample",
        "-ColorComponents",
        "-YCbCrSubSampling",
        "-EncodingProcess",
        "-ColorType",
        "-Interlace",
        "-AlphaIsUsed",
        "-AnimationLoopCount",
        "-FrameCount",
    ];
    let mut args = vec!["-n", "-G0"];
    args.extend(keys);
    let before = exiftool_json(&et, &args, &files);
    ccsig_ok(APPLY_CR_OP, &files);
    let after = exiftool_json(&et, &args, &files);
    for f in &files {
        assert_eq!(
            before[f],
            after[f],
            "{}: ExifTool sees another image after apply",
            name(f)
        );
    }
}

// ---------------------------------------------------------------------------
// 2. plus:DataMining per expression, as ExifTool prints it

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn datamining_mirror_per_expression_read_by_exiftool() {
    let et = tool("exiftool");
    // (expression, ExifTool's print string, bare code) per the table in
    // docs/mapping.md; None: nothing written.
    let rows: &[(&str, Option<(&str, &str)>)] = &[
        (
            "train-ai=n",
            Some((
                "Prohibited for AI/ML training",
                "DMI-PROHIBITED-AIMLTRAINING",
            )),
        ),
        (
            "train-ai=n, search=n",
            Some(("Prohibited", "DMI-PROHIBITED")),
        ),
        (
            "train-ai=n, search=y",
            Some((
                "Prohibited except for search engine indexing",
                "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
            )),
        ),
        ("train-ai=y", Some(("Allowed", "DMI-ALLOWED"))),
        ("train-ai=y, search=y", Some(("Allowed", "DMI-ALLOWED"))),
        (
            "train-ai=y, search=n",
            Some((
                "Prohibited, see plus:OtherConstraints",
                "DMI-PROHIBITED-SEECONSTRAINT",
            )),
        ),
        (
            "search=n",
            Some((
                "Prohibited, see plus:OtherConstraints",
                "DMI-PROHIBITED-SEECONSTRAINT",
            )),
        ),
        (
            "train-ai=n;exceptions=cc-cr, search=y",
            Some((
                "Prohibited, see plus:OtherConstraints",
                "DMI-PROHIBITED-SEECONSTRAINT",
            )),
        ),
        ("search=y", None),
    ];
    // One copy per row, taking turns among the three formats.
    let bases = ["jpeg/plain.jpg", "png/plain.png", "webp/lossy.webp"];
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = (0..rows.len())
        .map(|i| {
            let rel = bases[i % bases.len()];
            let ext = rel.rsplit('.').next().unwrap();
            let to = dir.path().join(format!("row{i}.{ext}"));
            std::fs::copy(sample(rel), &to).unwrap();
            to
        })
        .collect();
    for ((expression, _), file) in rows.iter().zip(&files) {
        ccsig_ok(
            &["apply", "--expression", expression],
            std::slice::from_ref(file),
        );
    }
    let printed = exiftool_json(&et, &["-G1", "-XMP-plus:DataMining"], &files);
    let numeric = exiftool_json(&et, &["-n", "-G1", "-XMP-plus:DataMining"], &files);
    let raw = exiftool_json(&et, &["-b", "-XMP"], &files);
    let mut failures = Vec::new();
    for ((expression, want), file) in rows.iter().zip(&files) {
        let got_print = s(&printed[file], "XMP-plus:DataMining");
        let got_code = s(&numeric[file], "XMP-plus:DataMining");
        let packet = s(&raw[file], "XMP").unwrap_or_default();
        match want {
            Some((print, code)) => {
                if got_print != Some(print) || got_code != Some(code) {
                    failures.push(format!(
                        "{expression:?}: ExifTool prints {got_print:?} ({got_code:?}), want {print:?} ({code:?})"
                    ));
                }
                if !packet.contains(&format!("{PLUS_VOCAB}{code}")) {
                    failures.push(format!(
                        "{expression:?}: raw XMP lacks the full URI {PLUS_VOCAB}{code}:\n{packet}"
                    ));
                }
            }
            None => {
                if got_print.is_some() {
                    failures.push(format!(
                        "{expression:?}: DataMining must not be written, ExifTool reads {got_print:?}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------
// 3. exiv2 reads what ccsig wrote

#[test]
#[cfg_attr(
    not(ccsig_has_exiv2),
    ignore = "needs exiv2 (bash .ci/run installs it)"
)]
fn exiv2_reads_what_ccsig_wrote_in_every_format() {
    let exiv2 = tool("exiv2");
    let (_dir, files) = scratch(IMAGE_SAMPLES);
    ccsig_ok(APPLY_CR_OP, &files);
    let want: &[(&str, String)] = &[
        ("Xmp.ccsig.expression", EXPRESSION.to_string()),
        ("Xmp.ccsig.signal", "cc-cr-op".to_string()),
        ("Xmp.ccsig.mappingVersion", "1.0".to_string()),
        ("Xmp.ccsig.creditName", CREDIT_NAME.to_string()),
        ("Xmp.ccsig.creditURL", CREDIT_URL.to_string()),
        ("Xmp.cc.attributionName", CREDIT_NAME.to_string()),
        ("Xmp.cc.attributionURL", CREDIT_URL.to_string()),
        (
            "Xmp.plus.DataMining",
            format!("{PLUS_VOCAB}DMI-PROHIBITED-SEECONSTRAINT"),
        ),
    ];
    let mut failures = Vec::new();
    for file in &files {
        let n = name(file);
        let (xmp, o) = exiv2_xmp(&exiv2, file);
        if !o.status.success() || !o.stderr.is_empty() {
            failures.push(format!("{n}: {}", show("exiv2 -PXkv", &o)));
            continue;
        }
        for (key, value) in want {
            if xmp.get(*key) != Some(value) {
                failures.push(format!(
                    "{n}: {key} = {:?}, want {value:?}\n{}",
                    xmp.get(*key),
                    show("exiv2 -PXkv", &o)
                ));
            }
        }
        let oc = xmp.get("Xmp.plus.OtherConstraints");
        let oc_ok = oc.is_some_and(|v| {
            v.starts_with("lang=\"x-default\" ")
                && v.ends_with(&format!("Content-Usage: {EXPRESSION}"))
        });
        if !oc_ok {
            failures.push(format!("{n}: Xmp.plus.OtherConstraints = {oc:?}"));
        }
        // Whole file as exiv2 sees it: every group, and the block structure.
        for args in [&["-pa"][..], &["-pS"][..]] {
            let o = run(&exiv2, &args_with(args, std::slice::from_ref(file)));
            let err = String::from_utf8_lossy(&o.stderr);
            if !o.status.success() || err.contains("Error") || err.contains("Warning") {
                failures.push(format!("{n}: {}", show(&format!("exiv2 {args:?}"), &o)));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "exiv2 disagrees with what ccsig wrote:\n{}",
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------
// 4. ccsig reads what ExifTool wrote

const FOREIGN_TARGETS: &[&str] = &["jpeg/plain.jpg", "png/plain.png", "webp/exif.webp"];

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn ccsig_reads_datamining_written_by_exiftool() {
    let et = tool("exiftool");
    let (_dir, files) = scratch(FOREIGN_TARGETS);
    exiftool_write(
        &et,
        &["-n", "-XMP-plus:DataMining=DMI-PROHIBITED-AIMLTRAINING"],
        &files,
    );
    for file in &files {
        let report = ccsig_read(file);
        assert_eq!(
            decision(&report, "train-ai"),
            ("disallowed".to_string(), vec![]),
            "{}: {report:#}",
            name(file)
        );
        assert_eq!(
            decision(&report, "search").0,
            "unknown",
            "{}: DMI-PROHIBITED-AIMLTRAINING does not address search: {report:#}",
            name(file)
        );
        assert_eq!(
            source_fields(&report),
            vec!["XMP plus:DataMining".to_string()],
            "{}: {report:#}",
            name(file)
        );
        let stored = report["sources"][0]["stored"].as_str().unwrap_or_default();
        assert_eq!(
            stored,
            format!("{PLUS_VOCAB}DMI-PROHIBITED-AIMLTRAINING"),
            "{}: ExifTool adds the vocabulary prefix to the bare code",
            name(file)
        );
    }
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn ccsig_reads_other_constraints_written_by_exiftool() {
    let et = tool("exiftool");
    let (_dir, files) = scratch(FOREIGN_TARGETS);
    exiftool_write(
        &et,
        &[
            "-n",
            "-XMP-plus:DataMining=DMI-PROHIBITED-SEECONSTRAINT",
            "-XMP-plus:OtherConstraints=Content-Usage: train-ai=n;exceptions=cc-cr",
            // cc-cr asks for credit: without a name check warns.
            "-XMP-dc:Creator=Ada Example",
        ],
        &files,
    );
    for file in &files {
        let report = ccsig_read(file);
        assert_eq!(
            decision(&report, "train-ai"),
            ("allowed-with-terms".to_string(), vec!["cc-cr".to_string()]),
            "{}: {report:#}",
            name(file)
        );
        let fields = source_fields(&report);
        assert!(
            fields.contains(&"XMP plus:OtherConstraints".to_string()),
            "{}: {fields:?}",
            name(file)
        );
        let o = ccsig_on(&["check", "--format", "jsonl"], std::slice::from_ref(file));
        assert_eq!(o.status.code(), Some(0), "{}", show("ccsig check", &o));
        assert!(
            !stdout(&o).contains("\"severity\":\"error\""),
            "{}",
            show("ccsig check", &o)
        );
    }
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn ccsig_reports_a_conflict_written_by_exiftool() {
    let et = tool("exiftool");
    let (_dir, files) = scratch(FOREIGN_TARGETS);
    exiftool_write(
        &et,
        &[
            "-n",
            "-XMP-plus:DataMining=DMI-ALLOWED",
            "-XMP-plus:OtherConstraints=train-ai=n",
        ],
        &files,
    );
    for file in &files {
        let o = ccsig_on(&["check", "--format", "jsonl"], std::slice::from_ref(file));
        assert_eq!(o.status.code(), Some(1), "{}", show("ccsig check", &o));
        let findings: Vec<Value> = stdout(&o)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("JSONL {l:?}: {e}")))
            .collect();
        let conflict = findings.iter().find(|f| f["kind"] == "conflict");
        let conflict = conflict.unwrap_or_else(|| panic!("no conflict: {}", show("check", &o)));
        let fields = conflict["fields"].to_string();
        assert!(
            fields.contains("XMP plus:DataMining") && fields.contains("XMP plus:OtherConstraints"),
            "the conflict names both fields: {conflict:#}"
        );
        // Most restrictive first: the combined decision is still "no".
        assert_eq!(decision(&ccsig_read(file), "train-ai").0, "disallowed");
    }
}

/// Foreign XMP that ExifTool wrote, ccsig's tag on top, and every foreign
/// property (language alternatives included) still there afterwards.
const FOREIGN_XMP: &[&str] = &[
    "-XMP-dc:Title=Harbour",
    "-XMP-dc:Title-de=Hafen",
    "-XMP-dc:Subject=harbour",
    "-XMP-dc:Subject=dusk",
    "-XMP-dc:Creator=Bo Photographer",
    "-XMP-xmp:Rating=3",
    "-XMP-xmpRights:UsageTerms=Editorial use only.",
    "-XMP-plus:OtherConstraints=No use in advertising.",
    "-XMP-plus:OtherConstraints-de=Keine Nutzung in der Werbung.",
];

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn foreign_xmp_and_language_alternatives_survive_apply_and_remove() {
    let et = tool("exiftool");
    let (_dir, files) = scratch(FOREIGN_TARGETS);
    exiftool_write(&et, FOREIGN_XMP, &files);
    let xmp_args = ["-G1", "-a", "-XMP:all"];
    let before = exiftool_json(&et, &xmp_args, &files);
    for f in &files {
        assert_eq!(
            s(&before[f], "XMP-plus:OtherConstraints-de"),
            Some("Keine Nutzung in der Werbung."),
            "setup: {:#?}",
            before[f]
        );
    }

    ccsig_ok(APPLY_CR_OP, &files);
    let applied = exiftool_json(&et, &xmp_args, &files);
    for f in &files {
        let n = name(f);
        assert_eq!(
            not_owned(&before[f]),
            not_owned(&applied[f]),
            "{n}: apply changed XMP that ccsig does not own"
        );
        assert_eq!(
            s(&applied[f], "XMP-plus:OtherConstraints-de"),
            Some("Keine Nutzung in der Werbung."),
            "{n}: the de alternative of plus:OtherConstraints must stay: {:#?}",
            applied[f]
        );
        let default = s(&applied[f], "XMP-plus:OtherConstraints").unwrap_or_default();
        assert!(
            default.ends_with(&format!("Content-Usage: {EXPRESSION}")),
            "{n}: x-default = {default:?}"
        );
        assert!(
            default.contains("No use in advertising."),
            "{n}: the prose someone else wrote in x-default is kept: {default:?}"
        );
        assert_eq!(s(&applied[f], "XMP-ccsig:Expression"), Some(EXPRESSION));
        // ccsig read sees ExifTool's packet with ccsig's tag in it.
        let report = ccsig_read(f);
        assert_eq!(
            decision(&report, "train-ai"),
            (
                "allowed-with-terms".to_string(),
                vec!["cc-cr-op".to_string()]
            ),
            "{n}: {report:#}"
        );
    }

    ccsig_ok(&["remove"], &files);
    let removed = exiftool_json(&et, &xmp_args, &files);
    for f in &files {
        let n = name(f);
        assert!(
            keys_with_prefix(&removed[f], "XMP-ccsig:").is_empty()
                && keys_with_prefix(&removed[f], "XMP-cc:").is_empty()
                && !removed[f].contains_key("XMP-plus:DataMining"),
            "{n}: ccsig's fields are gone after remove: {:#?}",
            removed[f]
        );
        // Everything ExifTool wrote reads exactly as before, the x-default
        // prose of plus:OtherConstraints included.
        assert_eq!(
            before[f], removed[f],
            "{n}: apply + remove must give back ExifTool's XMP unchanged"
        );
    }
}

/// A `plus:OtherConstraints` with only a `de` alternative (no x-default),
/// as ExifTool writes it for `-XMP-plus:OtherConstraints-de=...`.
#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn other_constraints_without_x_default_round_trips() {
    let et = tool("exiftool");
    let (_dir, files) = scratch(FOREIGN_TARGETS);
    exiftool_write(
        &et,
        &["-XMP-plus:OtherConstraints-de=Nur mit Namensnennung."],
        &files,
    );
    let args = ["-G1", "-a", "-XMP-plus:all"];
    let before = exiftool_json(&et, &args, &files);
    ccsig_ok(APPLY_CR_OP, &files);
    let applied = exiftool_json(&et, &args, &files);
    ccsig_ok(&["remove"], &files);
    let removed = exiftool_json(&et, &args, &files);
    for f in &files {
        assert_eq!(
            s(&applied[f], "XMP-plus:OtherConstraints-de"),
            Some("Nur mit Namensnennung."),
            "{}",
            name(f)
        );
        assert_eq!(
            before[f],
            removed[f],
            "{}: remove must take out what ccsig wrote and nothing else; after apply x-default was {:?}",
            name(f),
            s(&applied[f], "XMP-plus:OtherConstraints")
        );
    }
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn exiftool_rewriting_a_ccsig_file_keeps_the_signal() {
    let et = tool("exiftool");
    let rels = ["jpeg/xmp-rich.jpg", "png/alpha.png", "webp/lossless.webp"];
    let (_dir, files) = scratch(&rels);
    ccsig_ok(APPLY_CR_OP, &files);
    let reports: Vec<Value> = files.iter().map(|f| ccsig_read(f)).collect();
    // ExifTool re-serialises the whole packet in its own layout.
    exiftool_write(&et, &["-XMP-dc:Title=Hello", "-XMP-xmp:Rating=2"], &files);
    for (f, was) in files.iter().zip(&reports) {
        let now = ccsig_read(f);
        assert_eq!(now["decisions"], was["decisions"], "{}", name(f));
        assert_eq!(now["credit"], was["credit"], "{}", name(f));
        let o = ccsig_on(&["check", "--format", "jsonl"], std::slice::from_ref(f));
        assert_eq!(o.status.code(), Some(0), "{}", show("ccsig check", &o));
        // ccsig recognises its tag as unchanged in ExifTool's layout.
        let o = ccsig_ok(APPLY_CR_OP, std::slice::from_ref(f));
        assert!(stdout(&o).contains("unchanged"), "{}", show("apply", &o));
    }
    ccsig_ok(&["remove"], &files);
    let tags = exiftool_json(&et, &["-G1", "-a", "-XMP:all"], &files);
    for f in &files {
        let t = &tags[f];
        assert!(
            keys_with_prefix(t, "XMP-ccsig:").is_empty()
                && keys_with_prefix(t, "XMP-cc:").is_empty()
                && keys_with_prefix(t, "XMP-plus:").is_empty(),
            "{}: {t:#?}",
            name(f)
        );
        assert_eq!(s(t, "XMP-dc:Title"), Some("Hello"), "{}", name(f));
        assert_eq!(
            t.get("XMP-xmp:Rating"),
            Some(&Value::from(2)),
            "{}",
            name(f)
        );
    }
}

#[test]
#[cfg_attr(
    not(all(ccsig_has_exiftool, ccsig_has_exiv2)),
    ignore = "needs exiftool and exiv2 (bash .ci/run installs them)"
)]
fn ccsig_follows_the_rdf_about_of_a_foreign_packet() {
    let et = tool("exiftool");
    let about = "uuid:faf5bdd5-ba3d-11da-ad31-d33d75182f1b";
    let (_dir, files) = scratch(&["jpeg/plain.jpg", "png/plain.png"]);
    let about_arg = format!("-XMP:About={about}");
    exiftool_write(&et, &["-XMP-dc:Title=Hi", &about_arg], &files);
    ccsig_ok(APPLY_CR_OP, &files);
    let raw = exiftool_json(&et, &["-b", "-XMP"], &files);
    let valid = validation(&et, &files);
    for f in &files {
        let packet = s(&raw[f], "XMP").unwrap_or_default();
        // XMP requires one rdf:about for every top-level rdf:Description.
        let abouts: BTreeSet<&str> = packet
            .split("rdf:about=")
            .skip(1)
            .map(|rest| {
                let quote = &rest[..1];
                rest[1..].split(quote).next().unwrap_or_default()
            })
            .collect();
        assert_eq!(
            abouts,
            BTreeSet::from([about]),
            "{}: mixed rdf:about values:\n{packet}",
            name(f)
        );
        assert_eq!(valid[f], vec!["Validate: OK".to_string()], "{}", name(f));
    }
    {
        let exiv2 = tool("exiv2");
        for f in &files {
            let (xmp, o) = exiv2_xmp(&exiv2, f);
            assert!(
                o.status.success() && o.stderr.is_empty(),
                "{}",
                show("exiv2", &o)
            );
            assert_eq!(
                xmp.get("Xmp.ccsig.expression").map(String::as_str),
                Some(EXPRESSION)
            );
        }
    }
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn jpeg_extended_xmp_written_by_exiftool_stays_valid() {
    let et = tool("exiftool");
    let (dir, files) = scratch(&["jpeg/xmp-rich.jpg"]);
    // A description too big for one APP1: ExifTool splits the packet into
    // a main packet and Extended XMP, tied by xmpNote:HasExtendedXMP.
    let big = dir.path().join("big.txt");
    std::fs::write(&big, "lorem ipsum ".repeat(7000)).unwrap();
    let from_file = format!("-XMP-dc:Description<={}", big.display());
    exiftool_write(&et, &[&from_file], &files);
    let args = ["-G1", "-a", "-XMP:all"];
    let before = exiftool_json(&et, &args, &files);
    let f = &files[0];
    assert!(
        s(&before[f], "XMP-xmpNote:HasExtendedXMP").is_some(),
        "setup: ExifTool wrote no Extended XMP: {:#?}",
        before[f]
    );
    let valid_before = validation(&et, &files);
    let blocks_before = foreign_blocks(&read_bytes(f));

    ccsig_ok(APPLY_CR_OP, &files);
    let after = exiftool_json(&et, &args, &files);
    let description = s(&after[f], "XMP-dc:Description").unwrap_or_default();
    assert!(
        description.len() > 65_502 && Some(description) == s(&before[f], "XMP-dc:Description"),
        "ExifTool still reads the Extended XMP (description of {} bytes)",
        description.len()
    );
    assert_eq!(not_owned(&before[f]), not_owned(&after[f]));
    assert_eq!(s(&after[f], "XMP-ccsig:Expression"), Some(EXPRESSION));
    assert_eq!(validation(&et, &files), valid_before);
    assert_eq!(
        foreign_blocks(&read_bytes(f)),
        blocks_before,
        "Extended XMP segments are kept byte for byte"
    );
}

#[test]
#[cfg_attr(
    not(all(ccsig_has_exiftool, ccsig_has_exiv2)),
    ignore = "needs exiftool and exiv2 (bash .ci/run installs them)"
)]
fn markup_and_unicode_in_credit_read_back_exactly() {
    let et = tool("exiftool");
    let credit = "Smith & Sons <Zoë 日本> \"q\" 'a'";
    let url = "https://example.org/a?x=1&y=<2>";
    let (_dir, files) = scratch(&["png/plain.png", "webp/alpha.webp", "jpeg/exif.jpg"]);
    ccsig_ok(
        &[
            "apply",
            "--signal",
            "cc-cr",
            "--credit-name",
            credit,
            "--credit-url",
            url,
        ],
        &files,
    );
    let tags = exiftool_json(&et, &["-G1", "-XMP-cc:all", "-XMP-ccsig:all"], &files);
    let valid = validation(&et, &files);
    for f in &files {
        let t = &tags[f];
        assert_eq!(s(t, "XMP-cc:AttributionName"), Some(credit), "{t:#?}");
        assert_eq!(s(t, "XMP-ccsig:CreditName"), Some(credit), "{t:#?}");
        assert_eq!(s(t, "XMP-cc:AttributionURL"), Some(url), "{t:#?}");
        assert!(
            !valid[f].iter().any(|v| v.contains("XMP")),
            "{}: {:?}",
            name(f),
            valid[f]
        );
        let report = ccsig_read(f);
        assert_eq!(report["credit"]["name"], credit);
        assert_eq!(report["credit"]["url"], url);
    }
    {
        let exiv2 = tool("exiv2");
        for f in &files {
            let (xmp, o) = exiv2_xmp(&exiv2, f);
            assert!(o.stderr.is_empty(), "{}", show("exiv2", &o));
            assert_eq!(
                xmp.get("Xmp.cc.attributionName").map(String::as_str),
                Some(credit)
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 5. exiv2 writes, ccsig reads

#[test]
#[cfg_attr(
    not(ccsig_has_exiv2),
    ignore = "needs exiv2 (bash .ci/run installs it)"
)]
fn ccsig_reads_datamining_written_by_exiv2() {
    let exiv2 = tool("exiv2");
    let (_dir, files) = scratch(&[
        "jpeg/plain.jpg",
        "png/plain.png",
        "webp/exif.webp",
        "webp/lossy.webp",
    ]);
    for f in &files {
        let o = run(
            &exiv2,
            &args_with(
                &[
                    "-M",
                    "reg plus http://ns.useplus.org/ldf/xmp/1.0/",
                    "-M",
                    "set Xmp.plus.DataMining XmpText http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED",
                ],
                std::slice::from_ref(f),
            ),
        );
        assert!(
            o.status.success() && o.stderr.is_empty(),
            "{}",
            show("exiv2 -M", &o)
        );
        let report = ccsig_read(f);
        assert_eq!(
            decision(&report, "train-ai").0,
            "disallowed",
            "{}: {report:#}",
            name(f)
        );
        assert_eq!(
            decision(&report, "search").0,
            "disallowed",
            "{}: {report:#}",
            name(f)
        );
        assert_eq!(source_fields(&report), vec!["XMP plus:DataMining"]);

        // ccsig writes over exiv2's packet (attribute-form properties).
        ccsig_ok(APPLY_CR_OP, std::slice::from_ref(f));
        let (xmp, o) = exiv2_xmp(&exiv2, f);
        assert!(
            o.status.success() && o.stderr.is_empty(),
            "{}",
            show("exiv2", &o)
        );
        assert_eq!(
            xmp.get("Xmp.plus.DataMining").cloned(),
            Some(format!("{PLUS_VOCAB}DMI-PROHIBITED-SEECONSTRAINT")),
            "{}: exactly one DataMining, ccsig's: {}",
            name(f),
            show("exiv2", &o)
        );
        let o = ccsig_on(&["check", "--format", "jsonl"], std::slice::from_ref(f));
        assert_eq!(o.status.code(), Some(0), "{}", show("ccsig check", &o));
    }
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiv2),
    ignore = "needs exiv2 (bash .ci/run installs it)"
)]
fn exiv2_editing_a_ccsig_file_keeps_the_signal() {
    let exiv2 = tool("exiv2");
    let rels = [
        "jpeg/xmp-rich.jpg",
        "png/alpha.png",
        "png/xmp-after-idat.png",
        "webp/lossy.webp",
        "webp/animated.webp",
    ];
    let (_dir, files) = scratch(&rels);
    ccsig_ok(APPLY_CR_OP, &files);
    for f in &files {
        let was = ccsig_read(f);
        // exiv2 (the Adobe XMP SDK) re-serialises the packet, moving simple
        // properties into attributes of rdf:Description.
        let o = run(
            &exiv2,
            &args_with(
                &["-M", "set Xmp.dc.title lang=x-default Hello"],
                std::slice::from_ref(f),
            ),
        );
        assert!(
            o.status.success() && o.stderr.is_empty(),
            "{}",
            show("exiv2 -M", &o)
        );
        let now = ccsig_read(f);
        assert_eq!(now["decisions"], was["decisions"], "{}", name(f));
        assert_eq!(now["credit"], was["credit"], "{}", name(f));
        let o = ccsig_on(&["check", "--format", "jsonl"], std::slice::from_ref(f));
        assert_eq!(o.status.code(), Some(0), "{}", show("ccsig check", &o));

        // And ccsig can still take its tag out of exiv2's layout.
        ccsig_ok(&["remove"], std::slice::from_ref(f));
        let (xmp, o) = exiv2_xmp(&exiv2, f);
        let ours: Vec<&String> = xmp
            .keys()
            .filter(|k| {
                k.starts_with("Xmp.ccsig.")
                    || k.starts_with("Xmp.cc.")
                    || k.starts_with("Xmp.plus.")
            })
            .collect();
        assert!(
            ours.is_empty(),
            "{}: left after remove: {ours:?}\n{}",
            name(f),
            show("exiv2", &o)
        );
        assert_eq!(
            xmp.get("Xmp.dc.title").map(String::as_str),
            Some("lang=\"x-default\" Hello"),
            "{}",
            name(f)
        );
    }
}

// ---------------------------------------------------------------------------
// 6. apply + remove gives the original back

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn remove_gives_back_the_original_bytes() {
    let rels: Vec<&str> = IMAGE_SAMPLES
        .iter()
        .copied()
        .filter(|r| !SIMPLE_WEBP.contains(r))
        .collect();
    let (_dir, files) = scratch(&rels);
    let originals: Vec<Vec<u8>> = files.iter().map(|f| read_bytes(f)).collect();
    ccsig_ok(APPLY_CR_OP, &files);
    for (f, orig) in files.iter().zip(&originals) {
        assert_ne!(&read_bytes(f), orig, "{}: apply changed nothing", name(f));
    }
    ccsig_ok(&["remove"], &files);
    let differ: Vec<String> = files
        .iter()
        .zip(&originals)
        .filter(|(f, orig)| read_bytes(f) != **orig)
        .map(|(f, _)| name(f))
        .collect();
    assert!(
        differ.is_empty(),
        "apply + remove must be byte-identical to the original: {differ:?}"
    );
    {
        let et = tool("exiftool");
        let tags = exiftool_json(&et, &["-G1", "-a", "-XMP:all"], &files);
        for f in &files {
            assert!(
                keys_with_prefix(&tags[f], "XMP-ccsig:").is_empty(),
                "{}",
                name(f)
            );
        }
    }
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn remove_from_a_converted_simple_webp_keeps_the_image_chunks() {
    let (_dir, files) = scratch(SIMPLE_WEBP);
    let originals: Vec<Vec<u8>> = files.iter().map(|f| read_bytes(f)).collect();
    ccsig_ok(APPLY_CR_OP, &files);
    ccsig_ok(&["remove"], &files);
    for (f, orig) in files.iter().zip(&originals) {
        let now = read_bytes(f);
        assert_eq!(
            foreign_blocks(&now),
            foreign_blocks(orig),
            "{}: image chunks changed",
            name(f)
        );
        assert!(xmp_packet(&now).is_none(), "{}: XMP chunk left", name(f));
    }
    {
        let et = tool("exiftool");
        let tags = exiftool_json(&et, &["-G1", "-a"], &files);
        let before_tags = exiftool_json(
            &et,
            &["-G1", "-a", "-ImageSize"],
            &SIMPLE_WEBP.iter().map(|r| sample(r)).collect::<Vec<_>>(),
        );
        for (f, rel) in files.iter().zip(SIMPLE_WEBP) {
            let t = &tags[f];
            assert!(
                keys_with_prefix(t, "XMP").is_empty(),
                "{}: ExifTool still finds XMP: {t:#?}",
                name(f)
            );
            assert_eq!(
                s(t, "Composite:ImageSize"),
                s(&before_tags[&sample(rel)], "Composite:ImageSize"),
                "{}",
                name(f)
            );
            let flags = s(t, "RIFF:WebP_Flags").unwrap_or_default();
            assert!(
                !flags.contains("XMP"),
                "{}: VP8X still flags XMP: {flags:?}",
                name(f)
            );
        }
        assert!(validation(&et, &files)
            .values()
            .all(|v| v == &vec!["Validate: OK".to_string()]));
    }
}

// ---------------------------------------------------------------------------
// 7. The image data ExifTool hashes is untouched

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn exiftool_image_data_hash_is_unchanged() {
    let et = tool("exiftool");
    let (_dir, files) = scratch(IMAGE_SAMPLES);
    let hash_args = ["-api", "ImageHashType=MD5", "-ImageDataHash"];
    let hashes = |label: &str| -> BTreeMap<PathBuf, String> {
        exiftool_json(&et, &hash_args, &files)
            .into_iter()
            .map(|(p, t)| {
                let h = s(&t, "ImageDataHash")
                    .unwrap_or_else(|| {
                        panic!("{label}: no ImageDataHash for {}: {t:#?}", p.display())
                    })
                    .to_string();
                assert_eq!(h.len(), 32, "{label}: MD5 hex expected, got {h:?}");
                (p, h)
            })
            .collect()
    };
    let before = hashes("original");
    ccsig_ok(APPLY_CR_OP, &files);
    let applied = hashes("after apply");
    ccsig_ok(&["remove"], &files);
    let removed = hashes("after remove");
    for f in &files {
        assert_eq!(
            before[f],
            applied[f],
            "{}: image data changed by apply",
            name(f)
        );
        assert_eq!(
            before[f],
            removed[f],
            "{}: image data changed by remove",
            name(f)
        );
    }
}

// ---------------------------------------------------------------------------
// WebP as libwebp sees it

#[test]
#[cfg_attr(
    not(ccsig_has_webpmux),
    ignore = "needs webpmux (bash .ci/run installs it)"
)]
fn libwebp_accepts_every_webp_ccsig_writes() {
    let webpmux = tool("webpmux");
    let rels: Vec<&str> = IMAGE_SAMPLES
        .iter()
        .copied()
        .filter(|r| r.starts_with("webp/"))
        .collect();
    let (_dir, files) = scratch(&rels);
    let info = |f: &Path| {
        let o = run(&webpmux, &args_with(&["-info"], &[f.to_path_buf()]));
        assert!(
            o.status.success(),
            "{}",
            show(&format!("webpmux -info {}", f.display()), &o)
        );
        stdout(&o)
    };
    let canvas = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("Canvas size"))
            .map(String::from)
    };
    let before: Vec<String> = files.iter().map(|f| info(f)).collect();
    ccsig_ok(APPLY_CR_OP, &files);
    for (f, was) in files.iter().zip(&before) {
        let now = info(f);
        assert_eq!(canvas(&now), canvas(was), "{}:\n{now}", name(f));
        let features = now
            .lines()
            .find(|l| l.starts_with("Features present"))
            .unwrap_or_default();
        assert!(features.contains("XMP metadata"), "{}:\n{now}", name(f));
        for kept in ["EXIF metadata", "animation", "transparency"] {
            assert_eq!(
                was.contains(kept),
                features.contains(kept),
                "{}: feature {kept:?} changed:\nbefore:\n{was}\nafter:\n{now}",
                name(f)
            );
        }
    }
    ccsig_ok(&["remove"], &files);
    for f in &files {
        let now = info(f);
        assert!(!now.contains("XMP metadata"), "{}:\n{now}", name(f));
    }
}

/// A simple lossless WebP whose VP8L header says alpha is used: the VP8X
/// ccsig builds must carry the alpha flag, or readers drop transparency.
#[test]
#[cfg_attr(
    not(all(ccsig_has_exiftool, ccsig_has_webpmux)),
    ignore = "needs exiftool and webpmux (bash .ci/run installs them)"
)]
fn simple_lossless_webp_with_alpha_keeps_its_transparency_flag() {
    let et = tool("exiftool");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("lossless-alpha.webp");
    let mut bytes = read_bytes(&sample("webp/lossless.webp"));
    assert_eq!(&bytes[12..16], b"VP8L", "setup: a simple lossless file");
    assert_eq!(bytes[20], 0x2f, "setup: VP8L signature");
    bytes[24] |= 0x10; // alpha_is_used: bit 28 of the 32 bits after the signature
    std::fs::write(&f, &bytes).unwrap();
    let files = vec![f.clone()];
    let before = exiftool_json(&et, &["-G1", "-RIFF:AlphaIsUsed"], &files);
    assert_eq!(s(&before[&f], "RIFF:AlphaIsUsed"), Some("Yes"), "setup");
    ccsig_ok(APPLY_CR_OP, &files);
    let after = exiftool_json(&et, &["-G1", "-a", "-RIFF:all"], &files);
    let flags = s(&after[&f], "RIFF:WebP_Flags").unwrap_or_default();
    assert!(
        flags.contains("Alpha") && flags.contains("XMP"),
        "VP8X flags: {flags:?}; {:#?}",
        after[&f]
    );
    {
        let webpmux = tool("webpmux");
        let o = run(&webpmux, &args_with(&["-info"], &files));
        assert!(
            o.status.success() && stdout(&o).contains("transparency"),
            "{}",
            show("webpmux -info", &o)
        );
    }
}
