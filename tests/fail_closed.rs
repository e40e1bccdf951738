//! Pipelines fail closed (issue 17): every argument is checked before any
//! file is read, at every entry point; every image gets an answer, even one
//! ccsig cannot read; a file that could not be read is never taken for one
//! that states nothing; and a record spells out what is owed.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use ccsig::manifest::{self, Files};
use ccsig::signal::{self, Use, Vocabulary};
use ccsig::{
    ApplyRequest, Commitments, Element, Pipeline, SignalCode, State, TreeItem, TreeOptions,
    UnknownPolicy, UnreadablePolicy, Verdict,
};
use common::{ccsig, sample, stderr, stdout, with_xmp};
use serde_json::Value;

/// Each bad value, the option it is given to, and the valid value a user
/// most likely meant (when one is near enough to suggest).
const BAD_VALUES: &[(&str, &str, Option<&str>)] = &[
    ("--use", "train_ai", Some("train-ai")),
    ("--use", "trian-ai", Some("train-ai")),
    ("--use", "Train-AI", Some("train-ai")),
    ("--use", "ai-use", None),
    ("--use", "", None),
    ("--we-give", "credt", Some("credit")),
    ("--we-give", "credit,opne", Some("open")),
    ("--unknown", "alow", Some("allow")),
    ("--unknown", "yes", None),
    ("--unreadable", "alow", Some("allow")),
    ("--vocabulary", "draft07", Some("draft-07")),
];

/// The commands that take each option, with the arguments they need besides.
fn commands_taking(option: &str) -> Vec<Vec<&'static str>> {
    match option {
        "--use" => vec![
            vec!["decide"],
            vec!["apply", "--signal", "cc-cr"],
            vec!["apply", "--signal", "cc-cr", "--dry-run"],
        ],
        "--we-give" | "--unknown" | "--unreadable" => vec![vec!["decide", "--use", "train-ai"]],
        "--vocabulary" => vec![
            vec!["decide", "--use", "train-ai"],
            vec!["read"],
            vec!["check"],
            vec!["apply", "--signal", "cc-cr"],
        ],
        other => panic!("no commands for {other}"),
    }
}

/// A tagged copy of a sample, to prove that a refused command leaves it alone.
fn victim(dir: &Path) -> PathBuf {
    let path = dir.join("victim.jpg");
    fs::copy(sample("tagged/ccsig-cr-op.jpg"), &path).unwrap();
    path
}

#[test]
fn every_bad_argument_is_a_usage_error_before_any_file_is_read() {
    let d = tempfile::tempdir().unwrap();
    let file = victim(d.path());
    let before = fs::read(&file).unwrap();
    let mtime = fs::metadata(&file).unwrap().modified().unwrap();
    // A path that does not exist: were it read first, the error would be
    // about the file (exit 1), not about the argument (exit 2).
    let missing = d.path().join("no-such-file.jpg");
    let mut cases = 0;
    for (option, value, suggestion) in BAD_VALUES {
        for command in commands_taking(option) {
            for target in [&file, &missing] {
                let mut args = command.clone();
                args.extend([*option, value, target.to_str().unwrap()]);
                let o = ccsig(&args);
                let err = stderr(&o);
                assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
                assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
                let named = value.rsplit(',').next().unwrap();
                assert!(
                    err.contains(named),
                    "{args:?} does not name {named:?}: {err}"
                );
                if let Some(s) = suggestion {
                    assert!(err.contains(s), "{args:?} does not suggest {s}: {err}");
                }
                assert!(
                    !err.contains("no-such-file"),
                    "{args:?} read the file: {err}"
                );
                cases += 1;
            }
        }
    }
    // Expectations and signals are checked the same way.
    for args in [
        vec!["check", "--expect", "train_ai=n"],
        vec!["check", "--expect", "tdm=n"],
        vec!["apply", "--signal", "cc-cr-opp"],
        vec!["apply", "--expression", "train_ai=n"],
    ] {
        for target in [&file, &missing] {
            let mut args = args.clone();
            args.push(target.to_str().unwrap());
            let o = ccsig(&args);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
            assert!(stdout(&o).is_empty(), "{args:?}");
            cases += 1;
        }
    }
    assert!(cases >= 40, "{cases}");
    assert_eq!(fs::read(&file).unwrap(), before);
    assert_eq!(fs::metadata(&file).unwrap().modified().unwrap(), mtime);
}

#[test]
fn the_library_parses_every_value_once_into_a_type_that_cannot_hold_a_bad_one() {
    let v07 = Vocabulary::Draft07;
    for (label, near) in [
        ("train_ai", Some("train-ai")),
        ("trian-ai", Some("train-ai")),
        ("Train-AI", Some("train-ai")),
        ("ai-use", None),
        ("train-genai", Some("train-ai")),
        ("", None),
    ] {
        let e = Use::parse(label, v07).unwrap_err();
        assert_eq!(e.suggestion, near, "{label}");
        assert_eq!(e.valid, ["train-ai", "search"]);
        // The request apply writes goes through the same parse.
        let refused = ApplyRequest::from_signal_in(SignalCode::Cr, label, v07).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("is not a usage label of draft-07"),
            "{refused}"
        );
    }
    assert_eq!(
        Use::parse("ai-use", Vocabulary::Draft08).unwrap().label(),
        "ai-use"
    );
    assert_eq!(
        Commitments::parse("credt").unwrap_err().suggestion,
        Some("credit")
    );
    assert!(Commitments::parse_all(["credit", "open", "money"]).is_err());
    assert_eq!(
        "alow".parse::<UnknownPolicy>().unwrap_err().suggestion,
        Some("allow")
    );
    assert!("Allow ".parse::<UnreadablePolicy>().is_err());
    assert_eq!(
        "draft07".parse::<Vocabulary>().unwrap_err().suggestion,
        Some("draft-07")
    );
    assert_eq!(
        "cc-cr-opp".parse::<SignalCode>().unwrap_err().suggestion,
        Some("cc-cr-op")
    );
    // An expectation is held to the rule expressions to write are held to.
    assert!(signal::validate_for_writing_in("train_ai=n", v07).is_err());
    assert!(signal::validate_for_writing_in("train-ai=n", v07).is_ok());
}

#[test]
fn a_catalog_row_with_a_mistyped_use_is_refused_with_a_suggestion() {
    let d = tempfile::tempdir().unwrap();
    victim(d.path());
    let csv = "path,signal,use,credit_name,credit_url\nvictim.jpg,cc-cr,train_ai,,\n";
    let errors = manifest::parse(csv.as_bytes(), d.path(), Files::MustExist).unwrap_err();
    assert_eq!(errors.len(), 1);
    let message = errors[0].to_string();
    assert!(message.contains("did you mean \"train-ai\""), "{message}");
    let catalog = d.path().join("catalog.csv");
    fs::write(&catalog, csv).unwrap();
    let o = ccsig(&["apply", "--manifest", catalog.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("train-ai"), "{}", stderr(&o));
}

/// The bytes of a HEIF file's head, of a TIFF (IFD0: ImageWidth 1), of a
/// Fujifilm RAF.
const HEIC: &[u8] = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\x08free";
const TIFF: &[u8] = b"II*\0\x08\0\0\0\x01\0\x00\x01\x03\0\x01\0\0\0\x01\0\0\0\0\0\0\0";
const RAF: &[u8] = b"FUJIFILMCCD-RAW 0201FF383501";

/// What a folder or a shard holds: images ccsig reads, images it cannot,
/// and captions.
fn mixed_members() -> Vec<(&'static str, Vec<u8>)> {
    let png = fs::read(sample("png/plain.png")).unwrap();
    vec![
        (
            "0001.jpg",
            fs::read(sample("tagged/ccsig-cr-op.jpg")).unwrap(),
        ),
        ("0001.txt", b"a caption".to_vec()),
        ("0002.heic", HEIC.to_vec()),
        ("0002.json", b"{\"caption\": 1}".to_vec()),
        ("0003.tif", TIFF.to_vec()),
        ("0004.nef", TIFF.to_vec()),
        ("0005.raf", RAF.to_vec()),
        ("0006.png", png[..60].to_vec()),
        ("0007.png", png),
        ("0008.cls", b"3".to_vec()),
    ]
}

/// Per image: (state, reason) as the walk should answer it.
fn expected_answers() -> BTreeMap<&'static str, (&'static str, &'static str)> {
    BTreeMap::from([
        ("0001.jpg", ("stated", "train-ai=n except under cc-cr-op")),
        ("0002.heic", ("unsupported", "unsupported format: HEIF")),
        ("0003.tif", ("no-signal", "no signal in the file")),
        ("0004.nef", ("unsupported", "unsupported format: Nikon NEF")),
        (
            "0005.raf",
            ("unsupported", "unsupported format: Fujifilm RAF"),
        ),
        ("0006.png", ("unreadable", "unreadable: ")),
        ("0007.png", ("no-signal", "no signal in the file")),
    ])
}

fn mixed_folder_and_shard() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let folder = d.path().join("folder");
    fs::create_dir(&folder).unwrap();
    let mut shard = tar::Builder::new(fs::File::create(d.path().join("shard.tar")).unwrap());
    for (name, bytes) in mixed_members() {
        fs::write(folder.join(name), &bytes).unwrap();
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        shard.append_data(&mut header, name, &bytes[..]).unwrap();
    }
    shard.finish().unwrap();
    d
}

/// The member or file name of a record's path (`shard.tar:0001.jpg`, `folder/0001.jpg`).
fn name_of(path: &str) -> String {
    let tail = path.rsplit(':').next().unwrap();
    Path::new(tail)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn check_answers(records: &[(String, String, String, bool)], where_: &str) {
    let expected = expected_answers();
    let got: BTreeMap<String, (String, String)> = records
        .iter()
        .map(|(name, state, reason, _)| (name.clone(), (state.clone(), reason.clone())))
        .collect();
    assert_eq!(
        records.len(),
        expected.len(),
        "{where_}: one record per image: {records:?}"
    );
    for (name, (state, reason)) in expected {
        let (got_state, got_reason) = &got[name];
        assert_eq!(got_state, state, "{where_} {name}");
        assert!(
            got_reason.starts_with(reason),
            "{where_} {name}: {got_reason}"
        );
    }
}

#[test]
fn every_image_in_a_folder_and_a_shard_gets_one_record_and_no_caption_does() {
    let d = mixed_folder_and_shard();
    for root in ["folder", "shard.tar"] {
        let o = ccsig(&[
            "decide",
            "--use",
            "train-ai",
            d.path().join(root).to_str().unwrap(),
        ]);
        // Images that could not be read: exit 1, and each still has its line.
        assert_eq!(o.status.code(), Some(1), "{root}: {}", stderr(&o));
        let records: Vec<(String, String, String, bool)> = stdout(&o)
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                assert_eq!(v["schema"], "ccsig/3");
                (
                    name_of(v["path"].as_str().unwrap()),
                    v["state"].as_str().unwrap().to_string(),
                    v["reason"].as_str().unwrap().to_string(),
                    v["usable"].as_bool().unwrap(),
                )
            })
            .collect();
        check_answers(&records, root);
        assert!(records.iter().all(|r| !r.3), "nothing is usable by default");
        // The captions are still counted on stderr.
        let err = stderr(&o);
        assert!(err.contains("3 not an image"), "{root}: {err}");
        // HEIF, NEF and RAF: in a folder read through their (absent)
        // sidecars, in a shard (no sidecar can be there) not at all.
        let not_read = "3 in a format ccsig does not write";
        assert!(err.contains(not_read), "{root}: {err}");
    }

    // The library gives the same answers, item by item.
    let pipeline = Pipeline::new("train-ai".parse().unwrap(), Commitments::none());
    for root in ["folder", "shard.tar"] {
        let mut records = vec![];
        let mut skipped = 0;
        ccsig::read_tree(
            &[d.path().join(root)],
            &TreeOptions::default(),
            |item| match pipeline.decide_item(&item) {
                Some(dec) => records.push((
                    name_of(item.path()),
                    dec.state.as_str().to_string(),
                    dec.reason,
                    dec.usable,
                )),
                None => skipped += 1,
            },
        )
        .unwrap();
        check_answers(&records, root);
        assert_eq!(skipped, 3, "{root}: the captions");
    }

    // A shard listed elsewhere (a Spark task's bytes) too.
    let bytes = fs::read(d.path().join("shard.tar")).unwrap();
    let mut records = vec![];
    ccsig::tree::read_listed(
        "s3://b/shard.tar",
        &bytes,
        &TreeOptions::default(),
        |item: TreeItem| {
            if let Some(dec) = pipeline.decide_item(&item) {
                records.push((
                    name_of(item.path()),
                    dec.state.as_str().to_string(),
                    dec.reason,
                    dec.usable,
                ));
            }
        },
    )
    .unwrap();
    check_answers(&records, "read_listed");
}

#[test]
fn unknown_allow_takes_only_files_that_were_read_and_say_nothing() {
    let d = mixed_folder_and_shard();
    let folder = d.path().join("folder");
    let usable = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["decide", "--use", "train-ai", "--only", "allowed"];
        args.extend(extra);
        args.push(folder.to_str().unwrap());
        let o = ccsig(&args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        stdout(&o).lines().map(name_of).collect()
    };
    assert!(usable(&[]).is_empty());
    assert_eq!(usable(&["--unknown", "allow"]), ["0003.tif", "0007.png"]);
    assert_eq!(
        usable(&["--unreadable", "allow"]),
        ["0002.heic", "0004.nef", "0005.raf", "0006.png"]
    );
    assert_eq!(
        usable(&["--unknown", "allow", "--unreadable", "allow"]).len(),
        6
    );
    // The cc-cr-op file is usable only to a pipeline that gives both.
    let both = usable(&["--we-give", "credit,open"]);
    assert_eq!(both, ["0001.jpg"]);
}

fn decide_one(path: &Path, we_give: &str) -> Value {
    let o = ccsig(&[
        "decide",
        "--use",
        "train-ai",
        "--we-give",
        we_give,
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str(stdout(&o).trim()).unwrap()
}

#[test]
fn a_record_spells_out_what_is_owed() {
    let d = tempfile::tempdir().unwrap();
    // cc-cr, naming nobody: credit is owed to nobody the record names.
    let nameless = with_xmp(
        d.path(),
        "jpeg/plain.jpg",
        "nameless.jpg",
        "<ccsig:expression>train-ai=n;exceptions=cc-cr</ccsig:expression>",
    );
    let r = decide_one(&nameless, "credit");
    assert_eq!(r["decision"], "allowed-with-terms");
    assert_eq!(r["credit_name"], Value::Null);
    assert_eq!(r["credit_missing"], true);
    let looked: Vec<&str> = r["credit_looked_at"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        looked.contains(&"XMP dc:creator") && looked.contains(&"EXIF Artist"),
        "{looked:?}"
    );
    assert_eq!(r["owed"].as_array().unwrap().len(), 1);
    assert_eq!(r["owed"][0]["element"], "credit");
    assert!(r["owed"][0]["definition"]
        .as_str()
        .unwrap()
        .ends_with("/signals/cr/0.1/README.md"));

    // cc-cr with a name: the credit, and nothing missing.
    let named = with_xmp(d.path(), "jpeg/plain.jpg", "named.jpg", "<ccsig:expression>train-ai=n;exceptions=cc-cr</ccsig:expression><ccsig:creditName>Ada</ccsig:creditName><ccsig:creditURL>https://example.org/ada</ccsig:creditURL>");
    let r = decide_one(&named, "credit");
    assert_eq!(
        (r["credit_name"].clone(), r["credit_missing"].clone()),
        ("Ada".into(), false.into())
    );
    assert_eq!(r["credit_url"], "https://example.org/ada");
    assert_eq!(r["sources"], serde_json::json!(["XMP ccsig:expression"]));
    assert_eq!(r["credit_looked_at"], serde_json::json!([]));

    // cc-cr-op: credit and open, each with its requirement and definition.
    let op = sample("tagged/ccsig-cr-op.jpg");
    let r = decide_one(&op, "credit,open");
    let owed: Vec<(&str, &str)> = r["owed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["element"].as_str().unwrap(),
                o["definition"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(owed.len(), 2);
    assert_eq!(owed[0].0, "credit");
    assert_eq!(owed[1], ("open", SignalCode::CrOp.definition()));
    assert!(r["owed"][1]["requirement"]
        .as_str()
        .unwrap()
        .contains("open"));
    // Giving credit only: not met, and the record says which signal it missed.
    let r = decide_one(&op, "credit");
    assert_eq!(r["decision"], "disallowed");
    assert_eq!(r["unmet_signals"], serde_json::json!(["cc-cr-op"]));
    assert_eq!(r["owed"], serde_json::json!([]));
}

#[test]
fn decide_writes_csv_for_spreadsheets() {
    let d = mixed_folder_and_shard();
    let o = ccsig(&[
        "decide",
        "--use",
        "train-ai",
        "--we-give",
        "credit,open",
        "--format",
        "csv",
        d.path().join("folder").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header[..5],
        ["schema", "path", "decision", "usable", "state"]
    );
    let rows: Vec<BTreeMap<String, String>> = reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), expected_answers().len());
    let jpeg = rows
        .iter()
        .find(|r| r["path"].ends_with("0001.jpg"))
        .unwrap();
    assert_eq!(jpeg["decision"], "allowed-with-terms");
    assert_eq!(jpeg["owed"], "credit;open");
    assert_eq!(jpeg["met_signals"], "cc-cr-op");
    let heic = rows
        .iter()
        .find(|r| r["path"].ends_with("0002.heic"))
        .unwrap();
    assert_eq!(
        (heic["state"].as_str(), heic["usable"].as_str()),
        ("unsupported", "false")
    );
}

#[test]
fn read_and_decide_use_one_word_for_allowed_with_terms() {
    let op = sample("tagged/ccsig-cr-op.jpg");
    let o = ccsig(&["read", "--format", "json", op.to_str().unwrap()]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v[0]["decisions"]["train-ai"]["decision"],
        "allowed-with-terms"
    );
    let r = decide_one(&op, "credit,open");
    assert_eq!(r["decision"], "allowed-with-terms");
    assert_eq!(
        Verdict::AllowedWithTerms.as_str(),
        signal::Decision::AllowedIf(vec![SignalCode::Cr]).as_str()
    );
    let e = ccsig(&["explain", "--format", "json", "train-ai=n;exceptions=cc-cr"]);
    assert!(!stdout(&e).contains("allowed_if"), "{}", stdout(&e));
    assert_eq!(State::Unsupported.as_str(), "unsupported");
    assert_eq!(Element::ALL.len(), 4);
}
