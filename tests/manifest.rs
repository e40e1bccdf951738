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
        &[
            "check",
            "--findings-only",
            "--manifest",
            "catalog.csv",
            "--format",
            "jsonl",
        ],
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
        &[
            "check",
            "--findings-only",
            "--manifest",
            "catalog.csv",
            "--format",
            "jsonl",
        ],
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
        &[
            "check",
            "--findings-only",
            "--manifest",
            "bad.csv",
            "--format",
            "jsonl",
        ],
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
            "--findings-only",
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
            "ccsig/3,images/a.jpg,would_write,,\"credit name \"\"Ada Example\"\" taken from IIM 2:80 By-line\"",
            "ccsig/3,images/b.png,would_write,,\"credit has no name: none was given (--credit-name, or a catalog's credit_name column) and the file names nobody in XMP ccsig:creditName, cc:attributionName, dc:creator, EXIF Artist or IIM By-line\""
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
        &[
            "check",
            "--findings-only",
            "--manifest",
            "catalog.csv",
            "--format",
            "jsonl",
        ],
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

/// The complete audit of a catalog: every file and bad row, a header, and
/// totals that add up, in JSON, JSON Lines, CSV and the table alike.
#[test]
fn the_complete_audit_accounts_for_every_file_with_a_header_and_totals() {
    let (dir, _) = catalog_dir(&[
        ("tagged/ccsig-cr-op.jpg", "ok.jpg"),
        ("jpeg/plain.jpg", "untagged.jpg"),
        ("png/plain.png", "bad-row.png"),
    ]);
    write_manifest(
        dir.path(),
        "catalog.csv",
        &[
            "images/ok.jpg,cc-cr-op,train-ai,,,",
            "images/untagged.jpg,cc-cr,train-ai,,Phil H,",
            "images/bad-row.png,cc-cr-opp,train-ai,,Phil H,",
            "images/gone.jpg,cc-cr,train-ai,,Phil H,",
        ],
    );
    let run = |format: &str| {
        let o = ccsig_in(
            dir.path(),
            &["check", "--manifest", "catalog.csv", "--format", format],
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        o
    };
    let o = run("json");
    let audit: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(audit["schema"], "ccsig/3");
    let header = &audit["header"];
    assert_eq!(header["catalog"], "catalog.csv");
    assert_eq!(header["ccsig_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(header["vocabulary"], "draft-ietf-aipref-vocab-07");
    assert!(header["checked_at"].as_str().unwrap().ends_with('Z'));
    assert!(header["command"]
        .as_str()
        .unwrap()
        .starts_with("ccsig check --manifest catalog.csv"));
    let files = audit["files"].as_array().unwrap();
    let status_of = |path: &str| {
        let e = files.iter().find(|e| e["path"] == path).unwrap();
        (e["record"].as_str().unwrap(), e["status"].as_str().unwrap())
    };
    // Every file appears, the clean one too, with what it states.
    assert_eq!(status_of("images/ok.jpg"), ("file", "ok"));
    assert_eq!(status_of("images/untagged.jpg"), ("file", "error"));
    assert_eq!(status_of("images/gone.jpg"), ("file", "error"));
    assert_eq!(status_of("catalog.csv:4"), ("bad_row", "error"));
    assert_eq!(files.len(), 4);
    let ok = files.iter().find(|e| e["path"] == "images/ok.jpg").unwrap();
    assert_eq!(ok["signal"], "cc-cr-op");
    assert_eq!(ok["findings"].as_array().unwrap().len(), 0);
    let untagged = files
        .iter()
        .find(|e| e["path"] == "images/untagged.jpg")
        .unwrap();
    assert_eq!(untagged["contributor"], "Phil H");
    assert_eq!(untagged["signal"], "none");
    // The totals add up to what was listed.
    let summary = &audit["summary"];
    assert_eq!(summary["files"], 3);
    assert_eq!(summary["bad_rows"], 1);
    assert_eq!(summary["to_fix"], 2);
    let by_status = summary["by_status"].as_object().unwrap();
    assert_eq!(
        by_status.keys().collect::<Vec<_>>(),
        ["ok", "note", "warning", "error"]
    );
    assert_eq!(
        by_status.values().map(|v| v.as_u64().unwrap()).sum::<u64>(),
        3
    );
    assert_eq!(summary["by_contributor"]["Phil H"]["error"], 2);
    assert_eq!(summary["by_contributor"]["(no contributor)"]["ok"], 1);
    assert_eq!(summary["by_kind"]["bad_row"], 1);
    assert_eq!(summary["by_kind"]["missing_file"], 1);
    assert_eq!(summary["by_signal"]["cc-cr-op"], 1);
    let findings: usize = files
        .iter()
        .map(|e| e["findings"].as_array().unwrap().len())
        .sum();
    let counted = ["errors", "warnings", "notes"]
        .iter()
        .map(|k| summary[k].as_u64().unwrap() as usize)
        .sum::<usize>();
    assert_eq!(findings, counted);
    // Machine formats say the closing line on stderr.
    assert!(
        stderr(&o).contains("3 files checked: 2 to fix"),
        "{}",
        stderr(&o)
    );

    // JSON Lines: header first, summary last, the same entries between.
    let lines = jsonl(&run("jsonl"));
    assert_eq!(lines[0]["record"], "header");
    assert_eq!(lines.last().unwrap()["record"], "summary");
    assert_eq!(lines.last().unwrap()["by_status"], summary["by_status"]);
    assert_eq!(lines.len(), files.len() + 2);

    // CSV: one row per entry, the run's columns on every one.
    let csv_out = stdout(&run("csv"));
    let mut reader = csv::Reader::from_reader(csv_out.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), files.len());
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert!(rows.iter().all(|r| &r[col("catalog")] == "catalog.csv"));
    assert!(rows
        .iter()
        .all(|r| r[col("checked_at")] == header["checked_at"]));
    let ok_row = rows
        .iter()
        .find(|r| &r[col("path")] == "images/ok.jpg")
        .unwrap();
    assert_eq!(
        (&ok_row[col("status")], &ok_row[col("train-ai")]),
        ("ok", "allowed-with-terms cc-cr-op")
    );

    // The table: a line per clean file, and a closing count that agrees.
    let table = stdout(&run("table"));
    assert!(table.contains("images/ok.jpg: ok (cc-cr-op)\n"), "{table}");
    assert!(table.contains("by contributor\n"), "{table}");
    assert!(
        table.ends_with(
            "3 files checked: 2 to fix (4 errors, 0 warnings, 0 notes); 1 bad catalog row\n"
        ) || table.contains("3 files checked: 2 to fix ("),
        "{table}"
    );
    let printed_errors = table.lines().filter(|l| l.contains(": error[")).count();
    assert!(
        table.contains(&format!("({printed_errors} error")),
        "the closing count must agree with the lines printed: {table}"
    );

    // --findings-only gives the list of findings, without the clean file.
    let o = ccsig_in(
        dir.path(),
        &[
            "check",
            "--findings-only",
            "--manifest",
            "catalog.csv",
            "--format",
            "jsonl",
        ],
    );
    assert!(jsonl(&o)
        .iter()
        .all(|r| r["path"] != "images/ok.jpg" && r.get("record").is_none()));
    // HTML is the complete audit only, and for check only.
    for args in [
        &[
            "check",
            "--findings-only",
            "--manifest",
            "catalog.csv",
            "--format",
            "html",
        ][..],
        &["read", "--format", "html", "images"],
    ] {
        let o = ccsig_in(dir.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains("html"), "{}", stderr(&o));
    }
    // --all with paths lists every file too.
    let o = ccsig_in(
        dir.path(),
        &["check", "--all", "--format", "jsonl", "images"],
    );
    let lines = jsonl(&o);
    assert_eq!(lines.iter().filter(|l| l["record"] == "file").count(), 3);
    assert_eq!(lines[0]["paths"][0], "images");
}

/// A file renamed behind the catalog's back: an earlier audit recorded its
/// InstanceID (or image data), so the next one reports it once, as moved,
/// checks it against its row, and prints the sed line that repairs the row.
#[test]
fn a_moved_file_is_reported_once_with_a_sed_line_to_repair_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let images = dir.path().join("images");
    fs::create_dir(&images).unwrap();
    common::with_xmp(
        &images,
        "jpeg/plain.jpg",
        "by-id.jpg",
        r#"<xmpMM:InstanceID>xmp.iid:4f1c</xmpMM:InstanceID><plus:OtherConstraints><rdf:Alt><rdf:li xml:lang="x-default">train-ai=n;exceptions=cc-cr</rdf:li></rdf:Alt></plus:OtherConstraints>"#,
    );
    fs::copy(sample("png/plain.png"), images.join("by-content.png")).unwrap();
    let catalog = write_manifest(
        dir.path(),
        "catalog.csv",
        &[
            "images/by-id.jpg,cc-cr,train-ai,,,",
            "images/by-content.png,cc-cr,train-ai,,,",
        ],
    );
    // The agency's audit of last month, with image digests.
    let o = ccsig_in(
        dir.path(),
        &[
            "check",
            "--manifest",
            "catalog.csv",
            "--copies-by-content",
            "--format",
            "jsonl",
        ],
    );
    fs::write(dir.path().join("last.jsonl"), stdout(&o)).unwrap();
    // Both files are renamed.
    fs::create_dir(images.join("2026")).unwrap();
    fs::rename(images.join("by-id.jpg"), images.join("2026/renamed.jpg")).unwrap();
    fs::rename(images.join("by-content.png"), images.join("moved.png")).unwrap();

    let audit_now = |previous: bool| {
        let mut args = vec![
            "check",
            "--manifest",
            "catalog.csv",
            "--tree",
            "images",
            "--format",
            "jsonl",
        ];
        if previous {
            args.extend(["--previous", "last.jsonl"]);
        }
        ccsig_in(dir.path(), &args)
    };
    // Without the earlier audit: gone, and unknown images.
    let kinds = |o: &Output| -> Vec<(String, Vec<String>)> {
        jsonl(o)
            .iter()
            .filter(|l| l["record"] == "file")
            .map(|l| {
                let kinds = l["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["kind"].as_str().unwrap().to_string())
                    .collect();
                (l["path"].as_str().unwrap().to_string(), kinds)
            })
            .collect()
    };
    let before = kinds(&audit_now(false));
    assert_eq!(
        before
            .iter()
            .filter(|(_, k)| k.contains(&"missing_file".to_string()))
            .count(),
        2,
        "{before:?}"
    );
    // With it: each once, as moved, under its new path.
    let o = audit_now(true);
    let after = kinds(&o);
    assert_eq!(after.len(), 2, "{after:?}");
    for (path, kinds) in &after {
        assert_eq!(
            kinds.iter().filter(|k| *k == "moved").count(),
            1,
            "{path}: {kinds:?}"
        );
        assert!(!kinds.contains(&"missing_file".to_string()));
        assert!(!kinds.contains(&"not_in_manifest".to_string()));
    }
    let lines = jsonl(&o);
    let renamed = lines
        .iter()
        .find(|l| l["path"] == "images/2026/renamed.jpg")
        .unwrap();
    let moved_by = |entry: &serde_json::Value| {
        let findings = entry["findings"].as_array().unwrap();
        let moved = findings.iter().find(|f| f["kind"] == "moved").unwrap();
        moved["fields"][0].as_str().unwrap().to_string()
    };
    assert_eq!(renamed["catalog_path"], "images/by-id.jpg");
    assert_eq!(moved_by(renamed), "XMP xmpMM:InstanceID");
    let moved_png = lines
        .iter()
        .find(|l| l["path"] == "images/moved.png")
        .unwrap();
    assert_eq!(moved_by(moved_png), "image data MD5");
    // It is checked against its row: the PNG has no signal, unlike its row.
    assert!(moved_png["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["kind"] == "manifest_mismatch"));

    // The sed lines repair the catalog; then nothing is missing or moved.
    let err = stderr(&o);
    let seds: Vec<&str> = err
        .lines()
        .filter_map(|l| l.trim().strip_prefix("sed "))
        .collect();
    assert_eq!(seds.len(), 2, "{err}");
    for sed in &seds {
        let status = std::process::Command::new("sh")
            .current_dir(dir.path())
            .arg("-c")
            .arg(format!("sed {sed}"))
            .status()
            .unwrap();
        assert!(status.success());
    }
    let repaired = fs::read_to_string(&catalog).unwrap();
    assert!(
        repaired.contains("\nimages/2026/renamed.jpg,cc-cr,train-ai,,,\n"),
        "{repaired}"
    );
    assert!(
        repaired.contains("\nimages/moved.png,cc-cr,train-ai,,,\n"),
        "{repaired}"
    );
    let again = kinds(&audit_now(true));
    assert!(
        again.iter().all(|(_, k)| !k
            .iter()
            .any(|k| ["moved", "missing_file", "not_in_manifest"].contains(&k.as_str()))),
        "{again:?}"
    );
    // An earlier audit that is not one is a usage error.
    fs::write(dir.path().join("not-audit.json"), "{\"a\": 1}").unwrap();
    let o = ccsig_in(
        dir.path(),
        &[
            "check",
            "--manifest",
            "catalog.csv",
            "--tree",
            "images",
            "--previous",
            "not-audit.json",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
