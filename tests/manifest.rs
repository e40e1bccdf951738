//! Catalog manifests (`apply --manifest`, `check --manifest`): a good
//! catalog tags each file with its own row, a bad one is refused whole
//! before anything is written, a second run resumes where the first
//! stopped, and `check` reports every file that differs from its row.

mod common;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, SystemTime};

use ccsig::signal::{Decision, SignalCode};
use common::{foreign_blocks, sample, stderr, stdout};

const HEADER: &str = "path,signal,use,expression,credit_name,credit_url";

/// Runs ccsig from `cwd` (so relative paths on the command line resolve there).
fn ccsig_in(cwd: &Path, args: &[&str]) -> Output {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_ccsig"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run ccsig")
}

fn jsonl(out: &Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// A folder with `images/` holding copies of samples under the given names.
fn catalog_dir(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("images")).unwrap();
    let paths = files
        .iter()
        .map(|(rel, name)| {
            let to = dir.path().join("images").join(name);
            fs::copy(sample(rel), &to).unwrap();
            to
        })
        .collect();
    (dir, paths)
}

fn write_manifest(dir: &Path, name: &str, rows: &[&str]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
    path
}

/// What proves a file was not rewritten: its bytes, mtime and inode (an
/// atomic rewrite makes a new inode).
#[derive(Debug, PartialEq, Eq)]
struct Stamp {
    bytes: Vec<u8>,
    mtime: SystemTime,
    inode: u64,
}

fn stamp(path: &Path) -> Stamp {
    let meta = fs::metadata(path).unwrap();
    Stamp {
        bytes: fs::read(path).unwrap(),
        mtime: meta.modified().unwrap(),
        inode: meta.ino(),
    }
}

fn stamps(paths: &[PathBuf]) -> Vec<Stamp> {
    paths.iter().map(|p| stamp(p)).collect()
}

fn statuses(out: &Output) -> Vec<(String, String)> {
    jsonl(out)
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn allowed_if(signal: SignalCode) -> Decision {
    Decision::AllowedIf(vec![signal])
}

#[test]
fn a_good_manifest_tags_each_file_with_its_own_row() {
    let (dir, paths) = catalog_dir(&[
        ("jpeg/xmp-rich.jpg", "rich.jpg"),
        ("png/plain.png", "plain.png"),
        ("webp/lossy.webp", "lossy.webp"),
        ("jpeg/iim.jpg", "iim.jpg"),
    ]);
    let originals: Vec<Vec<u8>> = paths.iter().map(|p| fs::read(p).unwrap()).collect();
    write_manifest(
        dir.path(),
        "catalog.csv",
        &[
            "images/rich.jpg,cc-cr,train-ai,,Ada Example,https://example.org/ada",
            "images/plain.png,cc-cr-ec,search,,\"Agency, Inc.\",",
            "images/lossy.webp,,,\"train-ai=n;exceptions=cc-cr-op, search=y\",Zoë Ö,https://example.org/z?a=1&b=2",
            "images/iim.jpg,cc-cr-dc,,,,",
        ],
    );
    let o = ccsig_in(
        dir.path(),
        &["apply", "--manifest", "catalog.csv", "--format", "jsonl"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let expected_paths: Vec<(String, String)> = ["rich.jpg", "plain.png", "lossy.webp", "iim.jpg"]
        .iter()
        .map(|n| (format!("images/{n}"), "written".to_string()))
        .collect();
    assert_eq!(statuses(&o), expected_paths);

    let read = |i: usize| ccsig::read_path(&paths[i]).unwrap();
    let s = read(0);
    assert_eq!(s.decisions["train-ai"], allowed_if(SignalCode::Cr));
    assert_eq!(s.decisions["search"], Decision::Unknown);
    assert_eq!(s.credit.name.as_deref(), Some("Ada Example"));
    assert_eq!(s.credit.url.as_deref(), Some("https://example.org/ada"));
    let s = read(1);
    assert_eq!(s.decisions["train-ai"], Decision::Unknown);
    assert_eq!(s.decisions["search"], allowed_if(SignalCode::CrEc));
    assert_eq!(s.credit.name.as_deref(), Some("Agency, Inc."));
    assert_eq!(s.credit.url, None);
    let s = read(2);
    assert_eq!(s.decisions["train-ai"], allowed_if(SignalCode::CrOp));
    assert_eq!(s.decisions["search"], Decision::Allowed);
    assert_eq!(s.credit.name.as_deref(), Some("Zoë Ö"));
    assert_eq!(
        s.credit.url.as_deref(),
        Some("https://example.org/z?a=1&b=2")
    );
    // An empty use cell means train-ai, as `apply --use` defaults to.
    let s = read(3);
    assert_eq!(s.decisions["train-ai"], allowed_if(SignalCode::CrDc));
    assert_eq!(
        s.xmp.unwrap().expression.as_deref(),
        Some("train-ai=n;exceptions=cc-cr-dc")
    );

    for (path, before) in paths.iter().zip(&originals) {
        let after = fs::read(path).unwrap();
        assert_eq!(
            foreign_blocks(&after),
            foreign_blocks(before),
            "{} lost bytes",
            path.display()
        );
    }
    // The catalog and the files now agree.
    let o = ccsig_in(
        dir.path(),
        &["check", "--manifest", "catalog.csv", "--format", "jsonl"],
    );
    let kinds: Vec<String> = jsonl(&o)
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !kinds.iter().any(|k| k == "manifest_mismatch"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn every_bad_row_is_reported_and_nothing_is_written() {
    let (dir, paths) = catalog_dir(&[
        ("jpeg/exif.jpg", "a.jpg"),
        ("png/alpha.png", "b.png"),
        ("webp/lossless.webp", "c.webp"),
    ]);
    let before = stamps(&paths);
    write_manifest(
        dir.path(),
        "catalog.csv",
        &[
            "images/a.jpg,cc-cr,train-ai,,,",
            "images/b.png,cc-cr,train-ai,,Ada,",
            "images/c.webp,cc-cr-xx,train-ai,,,",
            "images/c.webp,cc-cr,train-genai,,,",
            "images/c.webp,cc-cr,colour,,,",
            "images/c.webp,,,train-ai=,,",
            "images/nope.jpg,cc-cr,train-ai,,,",
            "images/c.webp,cc-cr,train-ai,,,www.example.org/ada",
            "images/c.webp,cc-cr,train-ai,,,ftp://example.org/ada",
            "images/b.png,cc-cr,train-ai,,Bob,",
            "images/a.jpg,cc-cr,train-ai,,,",
            "images/c.webp,cc-cr,train-ai,train-ai=n,,",
            "images,cc-cr,train-ai,,,",
        ],
    );
    let o = ccsig_in(dir.path(), &["apply", "--manifest", "catalog.csv"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    let err = stderr(&o);
    let expected = [
        (4, "\"cc-cr-xx\" is not a CC signal code"),
        (5, "\"train-genai\" is not a usage label of draft-07"),
        (6, "\"colour\" is not a usage label of draft-07"),
        (
            7,
            "refusing `train-ai=`: the expression is not a valid structured-field dictionary",
        ),
        (8, "images/nope.jpg does not exist"),
        (
            9,
            "credit URL \"www.example.org/ada\" is not an absolute URL",
        ),
        (
            10,
            "credit URL \"ftp://example.org/ada\" is not an http(s) URL",
        ),
        (11, "images/b.png is also on line 3 with different values"),
        (13, "both a signal and an expression"),
        (14, "images is not a file"),
    ];
    for (line, reason) in expected {
        let prefix = format!("catalog.csv:{line}: ");
        let found = err
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no {prefix} in:\n{err}"));
        assert!(found.contains(reason), "{found:?} lacks {reason:?}");
    }
    // Only the bad lines are named: 2, 3 and 12 are fine (12 repeats 2).
    let named: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("catalog.csv:"))
        .collect();
    assert_eq!(named.len(), expected.len(), "{err}");
    assert!(err.contains("10 bad lines; nothing written"), "{err}");
    assert_eq!(stamps(&paths), before, "a file was written");
}

#[test]
fn a_bad_header_is_refused() {
    let (dir, paths) = catalog_dir(&[("jpeg/plain.jpg", "a.jpg")]);
    let before = stamps(&paths);
    let cases = [
        (
            "path,signal,use,credit_name\nimages/a.jpg,cc-cr,train-ai,Ada\n",
            "missing column \"credit_url\"",
        ),
        (
            "path,signal,credit_name,credit_url\nimages/a.jpg,cc-cr,Ada,\n",
            "missing column \"use\"",
        ),
        (
            "path,credit_name,credit_url\nimages/a.jpg,Ada,\n",
            "missing column \"signal\"",
        ),
        (
            "path,signal,use,credit_name,credit_url,rating\nimages/a.jpg,cc-cr,train-ai,Ada,,5\n",
            "unknown column \"rating\"",
        ),
        ("", "the manifest is empty"),
    ];
    for (text, reason) in cases {
        fs::write(dir.path().join("catalog.csv"), text).unwrap();
        let o = ccsig_in(dir.path(), &["apply", "--manifest", "catalog.csv"]);
        assert_eq!(o.status.code(), Some(2), "{text}");
        assert!(
            stderr(&o).contains(&format!("catalog.csv:1: {reason}")),
            "{text}: {}",
            stderr(&o)
        );
    }
    // A row with too few cells is a bad row, not a crash.
    fs::write(
        dir.path().join("catalog.csv"),
        format!("{HEADER}\nimages/a.jpg,cc-cr\n"),
    )
    .unwrap();
    let o = ccsig_in(dir.path(), &["apply", "--manifest", "catalog.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("catalog.csv:2: has 2 cells but the header has 6"),
        "{}",
        stderr(&o)
    );
    let o = ccsig_in(dir.path(), &["apply", "--manifest", "absent.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("absent.csv"), "{}", stderr(&o));
    assert_eq!(stamps(&paths), before);
}

#[test]
fn a_file_named_twice_is_written_once_or_refused() {
    let (dir, paths) = catalog_dir(&[("jpeg/plain.jpg", "a.jpg"), ("png/plain.png", "b.png")]);
    // The same values, once as a signal and once as its expression, and
    // through another spelling of the path.
    write_manifest(
        dir.path(),
        "same.csv",
        &[
            "images/a.jpg,cc-cr-op,train-ai,,Ada,",
            "images/b.png,cc-cr,train-ai,,,",
            "./images/../images/a.jpg,,,train-ai=n;exceptions=cc-cr-op,Ada,",
        ],
    );
    let o = ccsig_in(
        dir.path(),
        &["apply", "--manifest", "same.csv", "--format", "jsonl"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        statuses(&o),
        [
            ("images/a.jpg".to_string(), "written".to_string()),
            ("images/b.png".to_string(), "written".to_string())
        ]
    );
    let s = ccsig::read_path(&paths[0]).unwrap();
    assert_eq!(s.decisions["train-ai"], allowed_if(SignalCode::CrOp));

    let before = stamps(&paths);
    write_manifest(
        dir.path(),
        "different.csv",
        &[
            "images/a.jpg,cc-cr-op,train-ai,,Ada,",
            "images/b.png,cc-cr,train-ai,,,",
            "images/a.jpg,cc-cr-op,train-ai,,Ada,https://example.org/ada",
        ],
    );
    let o = ccsig_in(dir.path(), &["apply", "--manifest", "different.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o)
            .contains("different.csv:4: images/a.jpg is also on line 2 with different values"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stamps(&paths), before);
}

#[test]
fn relative_paths_resolve_against_the_manifest_folder() {
    let root = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    for sub in ["lists", "photos"] {
        fs::create_dir(root.path().join(sub)).unwrap();
    }
    let photo = root.path().join("photos/a.jpg");
    let beside = root.path().join("lists/b.png");
    let absolute = elsewhere.path().join("c.webp");
    fs::copy(sample("jpeg/exif.jpg"), &photo).unwrap();
    fs::copy(sample("png/plain.png"), &beside).unwrap();
    fs::copy(sample("webp/lossy.webp"), &absolute).unwrap();
    let abs_row = format!("{},cc-cr-op,train-ai,,,", absolute.display());
    write_manifest(
        &root.path().join("lists"),
        "catalog.csv",
        &[
            "../photos/a.jpg,cc-cr,train-ai,,,",
            "b.png,cc-cr-ec,train-ai,,,",
            &abs_row,
        ],
    );
    // Run from a third folder, naming the manifest relative to it.
    let o = ccsig_in(
        root.path(),
        &[
            "apply",
            "--manifest",
            "lists/catalog.csv",
            "--format",
            "jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        statuses(&o),
        [
            ("lists/../photos/a.jpg".to_string(), "written".to_string()),
            ("lists/b.png".to_string(), "written".to_string()),
            (absolute.display().to_string(), "written".to_string()),
        ]
    );
    for (path, signal) in [
        (&photo, SignalCode::Cr),
        (&beside, SignalCode::CrEc),
        (&absolute, SignalCode::CrOp),
    ] {
        let s = ccsig::read_path(path).unwrap();
        assert_eq!(s.decisions["train-ai"], allowed_if(signal), "{path:?}");
    }
    // The folder the command runs in does not matter.
    let o = ccsig_in(
        elsewhere.path(),
        &[
            "apply",
            "--manifest",
            &root.path().join("lists/catalog.csv").display().to_string(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("0 written, 3 unchanged"),
        "{}",
        stdout(&o)
    );
}

const SIGNALS: [&str; 4] = ["cc-cr", "cc-cr-dc", "cc-cr-ec", "cc-cr-op"];

/// `count` copies of a sample in `images/`, and manifest rows giving each
/// file its own signal and credit.
fn many(dir: &Path, rel: &str, count: usize) -> (Vec<PathBuf>, Vec<String>) {
    fs::create_dir_all(dir.join("images")).unwrap();
    let original = fs::read(sample(rel)).unwrap();
    let ext = Path::new(rel).extension().unwrap().to_str().unwrap();
    (0..count)
        .map(|i| {
            let name = format!("img{i:04}.{ext}");
            let path = dir.join("images").join(&name);
            fs::write(&path, &original).unwrap();
            let row = format!(
                "images/{name},{},train-ai,,Contributor {},https://example.org/c/{}",
                SIGNALS[i % 4],
                i % 7,
                i % 7
            );
            (path, row)
        })
        .unzip()
}

#[test]
fn a_second_run_does_only_what_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, rows) = many(dir.path(), "jpeg/xmp-rich.jpg", 6);
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    // A first run that covered only half of the catalog...
    write_manifest(dir.path(), "half.csv", &rows[..3]);
    let o = ccsig_in(dir.path(), &["apply", "--manifest", "half.csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let done_before = stamps(&paths[..3]);
    let untouched = stamps(&paths[3..]);
    // ...then the whole catalog: only the other half is written.
    write_manifest(dir.path(), "catalog.csv", &rows);
    let o = ccsig_in(
        dir.path(),
        &["apply", "--manifest", "catalog.csv", "--format", "jsonl"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got: Vec<String> = statuses(&o).into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        got,
        [
            "unchanged",
            "unchanged",
            "unchanged",
            "written",
            "written",
            "written"
        ]
    );
    assert_eq!(
        stamps(&paths[..3]),
        done_before,
        "a done file was rewritten"
    );
    assert_ne!(stamps(&paths[3..]), untouched);
    // A third run writes nothing at all and touches no file.
    let all = stamps(&paths);
    let o = ccsig_in(dir.path(), &["apply", "--manifest", "catalog.csv"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("6 files: 0 written, 6 unchanged, 0 failed"),
        "{}",
        stdout(&o)
    );
    assert_eq!(stamps(&paths), all);
    for (i, path) in paths.iter().enumerate() {
        let s = ccsig::read_path(path).unwrap();
        let signal: SignalCode = SIGNALS[i % 4].parse().unwrap();
        assert_eq!(s.decisions["train-ai"], allowed_if(signal));
        assert_eq!(
            s.credit.name,
            Some(format!("Contributor {}", i % 7)),
            "{path:?}"
        );
    }
}

#[test]
fn an_interrupted_run_resumes_with_the_files_it_did_not_reach() {
    const FILES: usize = 2000;
    let dir = tempfile::tempdir().unwrap();
    let (paths, rows) = many(dir.path(), "png/multi-idat.png", FILES);
    let original = fs::read(&paths[0]).unwrap();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let manifest = write_manifest(dir.path(), "catalog.csv", &rows);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ccsig"))
        .args(["apply", "--jobs", "2", "--format", "jsonl", "--manifest"])
        .arg(&manifest)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the first file is written (the handler is installed by then).
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if paths
            .iter()
            .any(|p| fs::metadata(p).is_ok_and(|m| m.len() != original.len() as u64))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let first = child.wait_with_output().unwrap();
    assert!(
        matches!(first.status.code(), Some(130) | Some(0)),
        "{}",
        stderr(&first)
    );
    let left: Vec<bool> = paths
        .iter()
        .map(|p| fs::read(p).unwrap() == original)
        .collect();
    let left_count = left.iter().filter(|l| **l).count();
    let done = stamps(
        &paths
            .iter()
            .zip(&left)
            .filter(|(_, l)| !**l)
            .map(|(p, _)| p.clone())
            .collect::<Vec<_>>(),
    );
    eprintln!("first run wrote {} of {FILES}", FILES - left_count);

    let second = ccsig_in(
        dir.path(),
        &["apply", "--manifest", "catalog.csv", "--format", "jsonl"],
    );
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let got = statuses(&second);
    assert_eq!(got.len(), FILES);
    for ((path, status), was_left) in got.iter().zip(&left) {
        let want = if *was_left { "written" } else { "unchanged" };
        assert_eq!(status, want, "{path}");
    }
    let done_after = stamps(
        &paths
            .iter()
            .zip(&left)
            .filter(|(_, l)| !**l)
            .map(|(p, _)| p.clone())
            .collect::<Vec<_>>(),
    );
    assert!(
        done == done_after,
        "a file done by the first run was rewritten"
    );
    for (i, path) in paths.iter().enumerate() {
        let s = ccsig::read_path(path).unwrap();
        let signal: SignalCode = SIGNALS[i % 4].parse().unwrap();
        assert_eq!(s.decisions["train-ai"], allowed_if(signal), "{path:?}");
    }
}

#[test]
fn check_reports_files_that_differ_from_their_rows_and_missing_ones() {
    let (dir, paths) = catalog_dir(&[
        ("jpeg/plain.jpg", "same.jpg"),
        ("png/plain.png", "other-signal.png"),
        ("webp/lossy.webp", "says-more.webp"),
        ("jpeg/exif.jpg", "gone.jpg"),
        ("png/alpha.png", "untagged.png"),
    ]);
    let rows = [
        "images/same.jpg,cc-cr,train-ai,,Ada,https://example.org/ada",
        "images/other-signal.png,cc-cr,train-ai,,Ada,https://example.org/ada",
        "images/says-more.webp,cc-cr-op,train-ai,,,",
        "images/gone.jpg,cc-cr,train-ai,,,",
        "images/untagged.png,cc-cr,train-ai,,,",
    ];
    write_manifest(dir.path(), "catalog.csv", &rows[..4]);
    let o = ccsig_in(dir.path(), &["apply", "--manifest", "catalog.csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Someone changes two files behind the catalog's back and deletes one.
    let o = common::ccsig_on(
        &[
            "apply",
            "--signal",
            "cc-cr-dc",
            "--credit-name",
            "Bob",
            "--credit-url",
            "https://example.org/bob",
        ],
        &paths[1..2],
    );
    assert_eq!(o.status.code(), Some(0));
    let o = common::ccsig_on(
        &[
            "apply",
            "--expression",
            "train-ai=n;exceptions=cc-cr-op, search=y",
        ],
        &paths[2..3],
    );
    assert_eq!(o.status.code(), Some(0));
    fs::remove_file(&paths[3]).unwrap();
    write_manifest(dir.path(), "catalog.csv", &rows);

    let o = ccsig_in(
        dir.path(),
        &["check", "--manifest", "catalog.csv", "--format", "jsonl"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let jsonl_of_catalog = jsonl(&o);
    let ours: Vec<serde_json::Value> = jsonl(&o)
        .into_iter()
        .filter(|f| ["manifest_mismatch", "missing_file"].contains(&f["kind"].as_str().unwrap()))
        .collect();
    let summary: Vec<(String, String, String, String)> = ours
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("-").to_string();
            (s("path"), s("kind"), s("expected"), s("found"))
        })
        .collect();
    let row = |p: &str, k: &str, e: &str, f: &str| {
        (
            format!("images/{p}"),
            k.to_string(),
            e.to_string(),
            f.to_string(),
        )
    };
    assert_eq!(
        summary,
        [
            row(
                "other-signal.png",
                "manifest_mismatch",
                "allowed-with-terms cc-cr",
                "allowed-with-terms cc-cr-dc"
            ),
            row("other-signal.png", "manifest_mismatch", "Ada", "Bob"),
            row(
                "other-signal.png",
                "manifest_mismatch",
                "https://example.org/ada",
                "https://example.org/bob"
            ),
            row("says-more.webp", "manifest_mismatch", "unknown", "allowed"),
            row("gone.jpg", "missing_file", "-", "-"),
            row(
                "untagged.png",
                "manifest_mismatch",
                "allowed-with-terms cc-cr",
                "unknown"
            ),
        ]
    );
    assert!(
        ours.iter().all(|f| f["severity"] == "error"),
        "{}",
        stdout(&o)
    );
    assert!(ours[0]["message"]
        .as_str()
        .unwrap()
        .contains("manifest line 3"));
    // The usual findings come too: the untagged file has no signal at all.
    assert!(jsonl(&o)
        .iter()
        .any(|f| f["kind"] == "missing" && f["path"] == "images/untagged.png"));
    // A bad row is a finding of its own; the others are checked as before.
    let mut bad: Vec<&str> = rows.to_vec();
    bad.push("images/same.jpg,cc-zz,train-ai,,,");
    write_manifest(dir.path(), "bad.csv", &bad);
    let o = ccsig_in(
        dir.path(),
        &["check", "--manifest", "bad.csv", "--format", "jsonl"],
    );
    assert_eq!(o.status.code(), Some(1));
    let with_bad = jsonl(&o);
    assert!(with_bad
        .iter()
        .any(|f| f["kind"] == "bad_row" && f["path"] == "bad.csv:7"));
    assert_eq!(with_bad.len(), jsonl_of_catalog.len() + 1);
}

#[test]
fn check_tree_reports_images_no_row_names() {
    let (dir, _) = catalog_dir(&[
        ("jpeg/plain.jpg", "named.jpg"),
        ("png/plain.png", "named.png"),
        ("webp/lossy.webp", "unnamed.webp"),
    ]);
    let images = dir.path().join("images");
    fs::create_dir(images.join("sub")).unwrap();
    fs::copy(sample("jpeg/exif.jpg"), images.join("sub/deep.jpg")).unwrap();
    // An image by its bytes under another name, and a file that is none.
    fs::copy(sample("misc/jpeg-named.png"), images.join("sub/scan.bin")).unwrap();
    fs::write(images.join("notes.txt"), "not an image").unwrap();
    write_manifest(
        dir.path(),
        "catalog.csv",
        &[
            "images/named.jpg,cc-cr,train-ai,,Ada,",
            "./images/sub/../named.png,cc-cr,train-ai,,Ada,",
        ],
    );
    assert_eq!(
        ccsig_in(dir.path(), &["apply", "--manifest", "catalog.csv"])
            .status
            .code(),
        Some(0)
    );
    let o = ccsig_in(
        dir.path(),
        &[
            "check",
            "--manifest",
            "catalog.csv",
            "--tree",
            "images",
            "--format",
            "jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let unnamed: Vec<String> = jsonl(&o)
        .iter()
        .filter(|f| f["kind"] == "not_in_manifest")
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        unnamed,
        [
            "images/sub/deep.jpg",
            "images/sub/scan.bin",
            "images/unnamed.webp"
        ]
    );
    // Without --tree the catalog's own files are clean.
    let o = ccsig_in(dir.path(), &["check", "--manifest", "catalog.csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("2 files checked: 0 to fix"));
    // --tree needs a manifest.
    for args in [
        &["check", "--tree", "images"][..],
        &["check", "--tree", "images", "images"],
    ] {
        assert_eq!(
            ccsig_in(dir.path(), args).status.code(),
            Some(2),
            "{args:?}"
        );
    }
}

#[test]
fn manifest_options_work_as_with_paths_and_conflicts_are_refused() {
    let (dir, paths) = catalog_dir(&[("jpeg/iim.jpg", "a.jpg"), ("png/plain.png", "b.png")]);
    write_manifest(
        dir.path(),
        "catalog.csv",
        &[
            "images/a.jpg,cc-cr,train-ai,,,",
            "images/b.png,cc-cr,train-ai,,,",
        ],
    );
    let before = stamps(&paths);
    let o = ccsig_in(
        dir.path(),
        &[
            "apply",
            "--manifest",
            "catalog.csv",
            "--dry-run",
            "--format",
            "csv",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).lines().collect::<Vec<_>>(),
        [
            "schema,path,status,error,notes",
            "ccsig/2,images/a.jpg,would_write,,\"credit name \"\"Ada Example\"\" taken from IIM 2:80 By-line\"",
            "ccsig/2,images/b.png,would_write,,\"credit has no name: none was given (--credit-name, or a catalog's credit_name column) and the file names nobody in XMP ccsig:creditName, cc:attributionName, dc:creator, EXIF Artist or IIM By-line\""
        ]
    );
    assert_eq!(stamps(&paths), before);
    // --sidecar writes the signal next to the image and leaves it alone.
    let o = ccsig_in(
        dir.path(),
        &["apply", "--manifest", "catalog.csv", "--sidecar", "-j", "1"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stamps(&paths), before);
    assert!(dir.path().join("images/a.jpg.xmp").exists());
    for conflicting in [
        vec!["images/a.jpg"],
        vec!["--signal", "cc-cr"],
        vec!["--expression", "train-ai=n"],
        vec!["--credit-name", "Ada"],
        vec!["--credit-url", "https://example.org"],
        vec!["--use", "search"],
    ] {
        let mut args = vec!["apply", "--manifest", "catalog.csv"];
        args.extend(conflicting.iter().copied());
        let o = ccsig_in(dir.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
    let o = ccsig_in(
        dir.path(),
        &["check", "--manifest", "catalog.csv", "images"],
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn check_reports_bad_rows_as_findings_and_checks_every_good_row() {
    let (dir, paths) = catalog_dir(&[
        ("tagged/ccsig-cr.png", "a.png"),
        ("jpeg/plain.jpg", "b.jpg"),
        ("jpeg/plain.jpg", "c.jpg"),
    ]);
    let before = stamps(&paths);
    write_manifest(
        dir.path(),
        "catalog.csv",
        &[
            "images/a.png,cc-cr,train-ai,,,",
            "images/b.jpg,cc-cr-opp,train-ai,,,",
            "images/c.jpg,cc-cr,train-genai,,,",
            "images/c.jpg,cc-cr,train-ai,,,ftp://example.org/ada",
            "images/gone.jpg,cc-cr,train-ai,,,",
        ],
    );
    let o = ccsig_in(
        dir.path(),
        &["check", "--manifest", "catalog.csv", "--format", "jsonl"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let records = jsonl(&o);
    let of = |kind: &str| -> Vec<String> {
        records
            .iter()
            .filter(|r| r["kind"] == kind)
            .map(|r| {
                format!(
                    "{} {}",
                    r["path"].as_str().unwrap(),
                    r["message"].as_str().unwrap()
                )
            })
            .collect()
    };
    let bad = of("bad_row");
    assert_eq!(bad.len(), 3, "{bad:?}");
    assert!(
        bad[0].starts_with("catalog.csv:3 manifest line 3: \"cc-cr-opp\""),
        "{bad:?}"
    );
    assert!(bad[0].contains("did you mean \"cc-cr-op\""), "{bad:?}");
    assert!(bad[1].starts_with("catalog.csv:4 "), "{bad:?}");
    assert!(
        bad[2].starts_with("catalog.csv:5 ") && bad[2].contains("ftp://"),
        "{bad:?}"
    );
    // The good rows are checked: a.png matches its row, gone.jpg is missing.
    assert_eq!(of("missing_file").len(), 1);
    assert!(records
        .iter()
        .all(|r| r["path"] != "images/a.png" || r["kind"] == "credit"));
    // Neither the bad rows' files nor anything else was written.
    assert_eq!(stamps(&paths), before);
    let err = stderr(&o);
    assert!(
        err.contains("3 bad lines, reported as bad_row findings"),
        "{err}"
    );
    // The summary counts files and bad rows apart.
    let o = ccsig_in(dir.path(), &["check", "--manifest", "catalog.csv"]);
    let out = stdout(&o);
    assert!(
        out.contains("2 files checked") && out.contains("; 3 bad catalog rows"),
        "{out}"
    );
    // apply still refuses the whole catalog.
    let o = ccsig_in(dir.path(), &["apply", "--manifest", "catalog.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nothing written"));
    assert_eq!(stamps(&paths), before);
}
