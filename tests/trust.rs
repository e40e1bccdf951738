//! Trust in what ccsig writes: it never writes what `check` would flag
//! (unless forced), refuses unusable credit up front, keeps credit name and
//! URL together, names and restores the preferences it replaces, and reads
//! labels against a chosen draft of the vocabulary.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use ccsig::internals::mapping::xmp::{self, XmpFields};
use ccsig::signal::Vocabulary;
use ccsig::{ApplyRequest, RequestError, RequestOptions};
use common::*;

/// The XMP fields of a file, from the packet img-parts finds.
fn fields(path: &Path) -> XmpFields {
    let packet = xmp_packet(&fs::read(path).unwrap()).expect("an XMP packet");
    xmp::read_fields(packet.as_bytes()).unwrap()
}

fn findings(path: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["check", "--format", "jsonl"];
    args.extend_from_slice(extra);
    let o = ccsig_on(&args, &[path.to_path_buf()]);
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v.get("kind").is_some())
        .collect()
}

/// Expressions users type, good and bad: what `check` flags and what it
/// does not.
const EXPRESSIONS: &[&str] = &[
    "train-ai=n;exceptions=cc-cr",
    "train-ai=n, search=y",
    "train-ai=y",
    "search=n",
    "train-ai=n;exceptions=cc-cr-op, search=y",
    "train-ai=maybe",
    "train-genai=n",
    "ai-use=n",
    "tdm=n",
    "made-up=y",
    "train-ai=n;foo=1",
    "train-ai=y;exceptions=cc-cr",
    "train-ai=n;exceptions=cc-zz",
    "train-ai=n;exceptions=\"cc-cr\"",
    "train-ai=n, train-ai=y",
    "train-ai=?1",
    "Train-AI=n",
];

#[test]
fn apply_refuses_exactly_what_check_would_flag() {
    let dir = tempfile::tempdir().unwrap();
    let mut refused_count = 0;
    for (i, expression) in EXPRESSIONS.iter().enumerate() {
        let credit = ["--credit-name", "Ada Example"];
        // Forced: written as given, then checked.
        let forced = dir.path().join(format!("forced-{i}.jpg"));
        fs::copy(sample("jpeg/plain.jpg"), &forced).unwrap();
        let o = ccsig_on(
            &[
                "apply",
                "--force",
                "--expression",
                expression,
                credit[0],
                credit[1],
            ],
            std::slice::from_ref(&forced),
        );
        assert_eq!(o.status.code(), Some(0), "{expression}: {}", stderr(&o));
        assert_eq!(
            fields(&forced).expression.as_deref(),
            Some(*expression),
            "--force writes exactly as given"
        );
        let flagged = !findings(&forced, &[]).is_empty();

        // Unforced: refused up front (exit 2, nothing written) iff flagged.
        let plain = dir.path().join(format!("plain-{i}.jpg"));
        fs::copy(sample("jpeg/plain.jpg"), &plain).unwrap();
        let before = fs::read(&plain).unwrap();
        let o = ccsig_on(
            &["apply", "--expression", expression, credit[0], credit[1]],
            std::slice::from_ref(&plain),
        );
        let refused = o.status.code() == Some(2);
        assert_eq!(refused, flagged, "{expression}: {}", stderr(&o));
        if refused {
            refused_count += 1;
            assert_eq!(fs::read(&plain).unwrap(), before, "{expression}");
            assert!(stdout(&o).is_empty(), "no per-file report: {}", stdout(&o));
            assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
        } else {
            assert_eq!(o.status.code(), Some(0), "{expression}: {}", stderr(&o));
        }

        // check --expect: the same rule.
        let o = ccsig_on(
            &["check", "--expect", expression],
            std::slice::from_ref(&forced),
        );
        assert_eq!(o.status.code() == Some(2), flagged, "--expect {expression}");
        let o = ccsig_on(
            &["check", "--force", "--expect", expression],
            std::slice::from_ref(&forced),
        );
        assert_ne!(o.status.code(), Some(2), "--force --expect {expression}");
    }
    assert!(
        refused_count >= 10 && refused_count < EXPRESSIONS.len(),
        "the table holds both kinds ({refused_count} refused)"
    );
}

#[test]
fn the_library_refuses_what_check_would_flag_with_a_typed_error() {
    for expression in ["train-ai=maybe", "train-genai=n"] {
        let err = ApplyRequest::from_expression(expression).unwrap_err();
        assert!(matches!(err, RequestError::Flagged(_)), "{err:?}");
        let forced = ApplyRequest::from_expression_with(
            expression,
            RequestOptions {
                force: true,
                ..RequestOptions::default()
            },
        )
        .unwrap();
        assert_eq!(forced.expression, expression);
    }
}

#[test]
fn unusable_credit_is_one_usage_error_before_any_file() {
    let (_d, paths) = scratch(&["jpeg/plain.jpg", "png/plain.png", "webp/lossy.webp"]);
    let before: Vec<Vec<u8>> = paths.iter().map(|p| fs::read(p).unwrap()).collect();
    let cases: &[&[&str]] = &[
        &["--credit-name", ""],
        &["--credit-name", "   "],
        &["--credit-name", "Ada\nExample"],
        &["--credit-name", "Ada\u{7}"],
        &["--credit-url", "example.org/ada"],
        &["--credit-url", "/ada"],
        &["--credit-url", "ftp://example.org/ada"],
        &["--credit-url", "mailto:ada@example.org"],
        &["--credit-url", "https://example.org/a\tda"],
    ];
    for case in cases {
        let mut args = vec!["apply", "--signal", "cc-cr"];
        args.extend_from_slice(case);
        let o = ccsig_on(&args, &paths);
        assert_eq!(o.status.code(), Some(2), "{case:?}: {}", stdout(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "{case:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{case:?}: {}", stdout(&o));
    }
    let o = ccsig_on(&["apply", "--expression", "train-ai=n\n, search=y"], &paths);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    for (p, b) in paths.iter().zip(&before) {
        assert_eq!(&fs::read(p).unwrap(), b, "{}", p.display());
    }
    // Typed errors in the library.
    let request = || ApplyRequest::from_signal(ccsig::signal::SignalCode::Cr, "train-ai").unwrap();
    assert_eq!(
        request().credited(Some(" "), None),
        Err(RequestError::BlankCreditName)
    );
    assert!(matches!(
        request().credited(None, Some("example.org")),
        Err(RequestError::BadCreditUrl { .. })
    ));
    assert!(matches!(
        request().credited(Some("A\r\nB"), None),
        Err(RequestError::ControlCharacter { .. })
    ));
    let ok = request()
        .credited(Some(" Ada "), Some("https://example.org/ada"))
        .unwrap();
    assert_eq!(ok.credit_name.as_deref(), Some("Ada"));
    // A valid request writes.
    let o = ccsig_on(
        &[
            "apply",
            "--signal",
            "cc-cr",
            "--credit-url",
            "https://example.org/ada",
        ],
        &paths,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A JPEG whose XMP names Dora as creator.
fn by_dora(dir: &Path) -> PathBuf {
    with_xmp(
        dir,
        "jpeg/plain.jpg",
        "dora.jpg",
        "<dc:creator><rdf:Seq><rdf:li>Dora Photographer</rdf:li></rdf:Seq></dc:creator>",
    )
}

#[test]
fn credit_name_and_url_always_come_from_one_source() {
    let dir = tempfile::tempdir().unwrap();
    let file = by_dora(dir.path());
    let path = std::slice::from_ref(&file);
    let ada_url = "https://example.org/ada";
    ccsig_on(
        &[
            "apply",
            "--signal",
            "cc-cr",
            "--credit-name",
            "Ada",
            "--credit-url",
            ada_url,
        ],
        path,
    );
    // Again without credit flags: Ada's credit stays whole.
    let o = ccsig_on(&["apply", "--signal", "cc-cr-op"], path);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let f = fields(&file);
    assert_eq!(
        f.expression.as_deref(),
        Some("train-ai=n;exceptions=cc-cr-op")
    );
    assert_eq!(
        (f.credit_name.as_deref(), f.credit_url.as_deref()),
        (Some("Ada"), Some(ada_url))
    );
    assert_eq!(
        (f.attribution_name.as_deref(), f.attribution_url.as_deref()),
        (Some("Ada"), Some(ada_url))
    );
    // A new name without a URL: Ada's URL does not stay next to it.
    ccsig_on(
        &[
            "apply",
            "--signal",
            "cc-cr",
            "--credit-name",
            "Dora Photographer",
        ],
        path,
    );
    let f = fields(&file);
    assert_eq!(f.credit_name.as_deref(), Some("Dora Photographer"));
    assert_eq!(f.credit_url, None);
    assert_eq!(f.attribution_url, None);
    // The same name again: its own URL is kept with it.
    ccsig_on(
        &[
            "apply",
            "--signal",
            "cc-cr",
            "--credit-name",
            "Ada",
            "--credit-url",
            ada_url,
        ],
        path,
    );
    ccsig_on(
        &["apply", "--signal", "cc-cr-ec", "--credit-name", "Ada"],
        path,
    );
    assert_eq!(fields(&file).credit_url.as_deref(), Some(ada_url));
    // `read` shows the pair as stored.
    let o = ccsig_on(&["read", "--format", "json"], path);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let credit = &v[0]["credit"];
    assert_eq!(credit["name"], "Ada", "{v}");
    assert_eq!(credit["url"], ada_url, "{v}");
}

#[test]
fn read_never_shows_a_url_next_to_another_sources_name() {
    let dir = tempfile::tempdir().unwrap();
    // A URL with no name beside it, and a creator elsewhere.
    let file = with_xmp(
        dir.path(),
        "jpeg/plain.jpg",
        "url-only.jpg",
        "<cc:attributionURL>https://example.org/someone</cc:attributionURL>\n\
         <dc:creator><rdf:Seq><rdf:li>Dora Photographer</rdf:li></rdf:Seq></dc:creator>",
    );
    let signals = ccsig::read_path(&file).unwrap();
    assert_eq!(signals.credit.name.as_deref(), Some("Dora Photographer"));
    assert_eq!(signals.credit.url, None);
}

#[test]
fn a_sidecar_creator_is_credited_and_missing_credit_is_a_warning() {
    let (d, paths) = scratch(&["png/plain.png"]);
    fs::write(
        d.path().join("png__plain.png.xmp"),
        packet("<dc:creator><rdf:Seq><rdf:li>Sid Sidecar</rdf:li></rdf:Seq></dc:creator>"),
    )
    .unwrap();
    let o = ccsig_on(&["apply", "--signal", "cc-cr"], &paths);
    assert!(stdout(&o).contains("Sid Sidecar"), "{}", stdout(&o));
    assert_eq!(
        fields(&paths[0]).credit_name.as_deref(),
        Some("Sid Sidecar")
    );
    assert!(findings(&paths[0], &[]).is_empty());

    // A CC signal with nobody to credit: a warning; a plain "no": none.
    let dir = tempfile::tempdir().unwrap();
    let granting = with_xmp(
        dir.path(),
        "jpeg/plain.jpg",
        "granting.jpg",
        "<plus:OtherConstraints><rdf:Alt><rdf:li xml:lang=\"x-default\">Content-Usage: train-ai=n;exceptions=cc-cr-ec</rdf:li></rdf:Alt></plus:OtherConstraints>",
    );
    let found = findings(&granting, &[]);
    let credit: Vec<_> = found.iter().filter(|f| f["kind"] == "credit").collect();
    assert_eq!(credit.len(), 1, "{found:?}");
    assert_eq!(credit[0]["severity"], "warning");
    assert!(credit[0]["message"].as_str().unwrap().contains("cc-cr-ec"));
    let refusing = with_xmp(
        dir.path(),
        "jpeg/plain.jpg",
        "refusing.jpg",
        "<plus:OtherConstraints><rdf:Alt><rdf:li xml:lang=\"x-default\">Content-Usage: train-ai=n</rdf:li></rdf:Alt></plus:OtherConstraints>",
    );
    assert!(findings(&refusing, &[]).is_empty());
}

const DMI_AIML: &str = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING";
const THEIR_CONSTRAINTS: &str = "Ask the agency first.\nContent-Usage: train-ai=y";

/// A JPEG that states other preferences in DataMining and OtherConstraints.
fn with_their_preferences(dir: &Path, name: &str) -> PathBuf {
    with_xmp(
        dir,
        "jpeg/plain.jpg",
        name,
        &format!(
            "<plus:DataMining>{DMI_AIML}</plus:DataMining>\n\
             <plus:OtherConstraints><rdf:Alt><rdf:li xml:lang=\"x-default\">{THEIR_CONSTRAINTS}</rdf:li><rdf:li xml:lang=\"fr\">Demandez.</rdf:li></rdf:Alt></plus:OtherConstraints>"
        ),
    )
}

#[test]
fn apply_names_what_it_replaces_and_remove_restores_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = with_their_preferences(dir.path(), "theirs.jpg");
    let path = std::slice::from_ref(&file);
    let original = fields(&file);
    let apply = ["apply", "--signal", "cc-cr", "--credit-name", "Ada"];

    let mut dry = apply.to_vec();
    dry.push("--dry-run");
    let before = fs::read(&file).unwrap();
    let o = ccsig_on(&dry, path);
    let out = stdout(&o);
    assert!(out.contains("replaces XMP plus:DataMining"), "{out}");
    assert!(out.contains("DMI-PROHIBITED-AIMLTRAINING"), "{out}");
    assert!(out.contains("replaces XMP plus:OtherConstraints"), "{out}");
    assert!(out.contains("train-ai=y"), "{out}");
    assert_eq!(fs::read(&file).unwrap(), before, "dry run writes nothing");

    let o = ccsig_on(&apply, path);
    assert!(stdout(&o).contains("replaces XMP plus:DataMining"));
    let applied = fields(&file);
    assert_eq!(applied.replaced.data_mining.as_deref(), Some(DMI_AIML));
    assert_eq!(
        applied.replaced.other_constraints.as_deref(),
        Some(THEIR_CONSTRAINTS)
    );
    assert!(
        findings(&file, &[]).is_empty(),
        "{:?}",
        findings(&file, &[])
    );

    let o = ccsig_on(&["remove"], path);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let restored = fields(&file);
    assert_eq!(restored.data_mining.as_deref(), Some(DMI_AIML));
    assert_eq!(
        restored.other_constraints_default(),
        Some(THEIR_CONSTRAINTS),
        "byte for byte"
    );
    assert_eq!(restored, original);
    // Every block but the XMP packet is as it was.
    assert_eq!(
        foreign_blocks(&fs::read(&file).unwrap()),
        foreign_blocks(&before)
    );
}

#[test]
fn keep_existing_leaves_files_that_state_a_preference_alone() {
    let dir = tempfile::tempdir().unwrap();
    let theirs = with_their_preferences(dir.path(), "theirs.jpg");
    let plain = dir.path().join("plain.jpg");
    fs::copy(sample("jpeg/plain.jpg"), &plain).unwrap();
    let before = fs::read(&theirs).unwrap();
    let o = ccsig_on(
        &[
            "apply",
            "--keep-existing",
            "--signal",
            "cc-cr",
            "--credit-name",
            "Ada",
            "--format",
            "jsonl",
        ],
        &[theirs.clone(), plain.clone()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let records: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let status = |p: &Path| {
        records
            .iter()
            .find(|r| r["path"] == p.display().to_string())
            .map(|r| (r["status"].clone(), r["notes"].to_string()))
            .unwrap()
    };
    let (s, notes) = status(&theirs);
    assert_eq!(s, "kept");
    assert!(notes.contains("already states a preference"), "{notes}");
    assert_eq!(fs::read(&theirs).unwrap(), before);
    assert_eq!(status(&plain).0, "written");
    assert!(fields(&plain).expression.is_some());
}

#[test]
fn ai_use_is_ambiguous_by_default_and_current_with_draft_08() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jpg");
    fs::copy(sample("jpeg/plain.jpg"), &file).unwrap();
    let path = std::slice::from_ref(&file);
    let o = ccsig_on(&["apply", "--expression", "ai-use=n"], path);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ambiguous"), "{}", stderr(&o));
    let o = ccsig_on(
        &[
            "apply",
            "--vocabulary",
            "draft-08",
            "--expression",
            "ai-use=n",
        ],
        path,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(findings(&file, &["--vocabulary", "draft-08"]).is_empty());
    let found = findings(&file, &[]);
    assert!(
        found
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("ambiguous")),
        "{found:?}"
    );
    let o = ccsig(&["explain", "--format", "json", "ai-use=n"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["diagnostics"][0]["kind"], "ambiguous_label", "{v}");
    let o = ccsig(&[
        "explain",
        "--vocabulary",
        "draft-08",
        "--format",
        "json",
        "ai-use=n",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["diagnostics"], serde_json::json!([]), "{v}");
    // read decides the -08 category only when asked to.
    let signals = ccsig::read_path_in(&file, Vocabulary::Draft08).unwrap();
    assert!(signals.decisions.contains_key("ai-use"));
    assert!(!ccsig::read_path(&file)
        .unwrap()
        .decisions
        .contains_key("ai-use"));
    let o = ccsig_on(
        &["apply", "--vocabulary", "draft-09", "--signal", "cc-cr"],
        path,
    );
    assert_eq!(o.status.code(), Some(2));
}

/// The raw profile chunks of a PNG, as (keyword, decoded profile bytes),
/// read with img-parts and inflated here.
fn raw_profiles(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let png = img_parts::png::Png::from_bytes(img_parts::Bytes::copy_from_slice(bytes)).unwrap();
    png.chunks()
        .iter()
        .filter(|c| &c.kind() == b"zTXt")
        .filter_map(|c| {
            let data = c.contents();
            let nul = data.iter().position(|b| *b == 0)?;
            let keyword = String::from_utf8_lossy(&data[..nul]).into_owned();
            let keyword = keyword.strip_prefix("Raw profile type ")?.to_string();
            let mut text = Vec::new();
            flate2::read::ZlibDecoder::new(&data[nul + 2..])
                .read_to_end(&mut text)
                .unwrap();
            let (_, bytes) = ccsig::internals::mapping::iptc::decode_raw_profile(&text).unwrap();
            Some((keyword, bytes))
        })
        .collect()
}

/// Every IIM dataset of a profile's bytes (bare IIM, or the 0x0404 resource
/// of an IRB) as raw bytes, with 2:40's value apart.
fn datasets(bytes: &[u8]) -> (Vec<Vec<u8>>, Option<String>) {
    let iim = if bytes.starts_with(b"8BIM") {
        ccsig::internals::mapping::irb::iptc(bytes)
            .unwrap()
            .unwrap()
            .to_vec()
    } else {
        bytes.to_vec()
    };
    let mut others = Vec::new();
    let mut special = None;
    for d in ccsig::internals::mapping::iim::parse(&iim).unwrap() {
        if (d.record, d.number) == (2, 40) {
            special = Some(String::from_utf8_lossy(&iim[d.value]).into_owned());
        } else {
            others.push(iim[d.range].to_vec());
        }
    }
    (others, special)
}

#[test]
fn png_raw_iim_profiles_are_kept_in_sync_and_restored() {
    let (_d, paths) = scratch(&["png/iim-raw-profile.png"]);
    let file = &paths[0];
    let before = fs::read(file).unwrap();
    let original = raw_profiles(&before);
    assert_eq!(original.len(), 2, "iptc and 8bim");

    let o = ccsig_on(
        &[
            "apply",
            "--signal",
            "cc-cr-op",
            "--credit-name",
            "Ada Example",
        ],
        std::slice::from_ref(file),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains("will report"), "{}", stdout(&o));
    let found = findings(file, &[]);
    assert!(found.is_empty(), "nothing ccsig caused: {found:?}");
    let after = fs::read(file).unwrap();
    assert_eq!(foreign_blocks(&after), foreign_blocks(&before));
    let written = raw_profiles(&after);
    for ((kind, old), (kind2, new)) in original.iter().zip(&written) {
        assert_eq!(kind, kind2);
        let (old_others, old_special) = datasets(old);
        let (new_others, new_special) = datasets(new);
        assert_eq!(
            old_others, new_others,
            "{kind}: other datasets byte-identical"
        );
        assert_eq!(
            old_special.as_deref(),
            Some("Content-Usage: train-ai=n;exceptions=cc-cr")
        );
        assert_eq!(
            new_special.as_deref(),
            Some("Content-Usage: train-ai=n;exceptions=cc-cr-op"),
            "{kind}"
        );
    }
    // remove puts the other tool's 2:40 back in both copies.
    let o = ccsig_on(&["remove"], std::slice::from_ref(file));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let restored = raw_profiles(&fs::read(file).unwrap());
    let iptc = |p: &[(String, Vec<u8>)]| p.iter().find(|(k, _)| k == "iptc").unwrap().1.clone();
    assert_eq!(
        iptc(&restored),
        iptc(&original),
        "bare IIM profile byte for byte"
    );
    for ((_, old), (_, new)) in original.iter().zip(&restored) {
        assert_eq!(datasets(old), datasets(new));
    }
}

/// ExifTool reads ccsig's 2:40 from both PNG raw profiles.
#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn exiftool_reads_both_png_raw_iim_profiles_ccsig_kept_in_sync() {
    let et = tool("exiftool");
    let (_d, paths) = scratch(&["png/iim-raw-profile.png"]);
    let file = &paths[0];
    let o = ccsig_on(
        &[
            "apply",
            "--signal",
            "cc-cr-op",
            "--credit-name",
            "Ada Example",
        ],
        std::slice::from_ref(file),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = run_tool(
        &et,
        &[
            "-a",
            "-G1",
            "-SpecialInstructions",
            &file.display().to_string(),
        ],
    );
    assert_eq!(
        out.matches("train-ai=n;exceptions=cc-cr-op").count(),
        2,
        "{out}"
    );
}

/// The Photoshop APP13 segment of a JPEG, as img-parts sees it.
fn app13(bytes: &[u8]) -> Vec<u8> {
    let jpeg = img_parts::jpeg::Jpeg::from_bytes(img_parts::Bytes::copy_from_slice(bytes)).unwrap();
    jpeg.segments()
        .iter()
        .find(|s| s.marker() == 0xED)
        .map(|s| s.contents().to_vec())
        .expect("an APP13 segment")
}

#[test]
fn jpeg_iim_segment_another_tool_wrote_is_restored_by_remove() {
    use ccsig::internals::container::{self, BlockKind, Edit};
    let theirs = "Do not crop. Content-Usage: train-ai=y";
    let bytes = fs::read(sample("jpeg/iim.jpg")).unwrap();
    let mut src = std::io::Cursor::new(&bytes);
    let layout = container::scan(&mut src).unwrap();
    let irb = layout
        .blocks_of(BlockKind::PhotoshopIrb)
        .find_map(|b| b.payload.clone())
        .unwrap();
    let edit = Edit {
        photoshop_irb: Some(
            ccsig::internals::mapping::iptc::irb_with_special_instructions(Some(&irb), theirs)
                .unwrap(),
        ),
        ..Edit::default()
    };
    let mut out = Vec::new();
    container::rewrite(&mut src, &layout, &edit, &mut out).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("theirs.jpg");
    fs::write(&file, &out).unwrap();
    let path = std::slice::from_ref(&file);
    let special = |p: &Path| {
        ccsig::read_path(p)
            .unwrap()
            .iim
            .unwrap()
            .special_instructions
    };

    let o = ccsig_on(
        &["apply", "--signal", "cc-cr", "--credit-name", "Ada"],
        path,
    );
    assert!(
        stdout(&o).contains("replaces IIM 2:40 Special Instructions"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        special(&file).as_deref(),
        Some("Do not crop. Content-Usage: train-ai=n;exceptions=cc-cr")
    );
    assert_eq!(
        fields(&file).replaced.special_instructions.as_deref(),
        Some(theirs)
    );
    ccsig_on(&["remove"], path);
    assert_eq!(special(&file).as_deref(), Some(theirs));
    assert_eq!(
        app13(&fs::read(&file).unwrap()),
        app13(&out),
        "byte for byte"
    );
}
