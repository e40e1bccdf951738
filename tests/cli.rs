//! The command line as a user meets it: exit codes, every finding kind,
//! bad inputs in a batch, output formats, pipes, `explain`'s contract.

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::{ccsig, ccsig_on, sample, scratch, stderr, stdout, with_xmp};

fn jsonl(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

fn kinds(out: &str) -> Vec<String> {
    jsonl(out)
        .iter()
        .map(|v| v["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn check_of_untagged_files_reports_missing_and_exits_1() {
    let (_d, paths) = scratch(&["jpeg/plain.jpg", "png/alpha.png"]);
    let o = ccsig_on(&["check", "--format", "jsonl"], &paths);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(kinds(&stdout(&o)), ["missing", "missing"]);
    assert!(stderr(&o).is_empty(), "stderr: {}", stderr(&o));
}

#[test]
fn apply_then_check_is_clean_and_exits_0() {
    let (d, _) = scratch(&["jpeg/xmp-rich.jpg", "png/plain.png", "webp/animated.webp"]);
    let dir = d.path().to_path_buf();
    let o = ccsig_on(
        &[
            "apply",
            "--signal",
            "cc-cr-op",
            "--credit-name",
            "Ada Example",
        ],
        std::slice::from_ref(&dir),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("3 written"), "{}", stdout(&o));
    let o = ccsig_on(
        &["check", "--expect", "train-ai=n;exceptions=cc-cr-op"],
        std::slice::from_ref(&dir),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("3 files checked: 0 to fix"),
        "{}",
        stdout(&o)
    );
    // A different expectation is reported as unexpected.
    let o = ccsig_on(
        &[
            "check",
            "--format",
            "jsonl",
            "--expect",
            "train-ai=n;exceptions=cc-cr",
        ],
        std::slice::from_ref(&dir),
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(kinds(&stdout(&o)), ["unexpected"; 3]);
}

#[test]
fn second_apply_rewrites_nothing() {
    let (d, paths) = scratch(&["jpeg/exif.jpg", "webp/lossy.webp"]);
    let args = [
        "apply",
        "--signal",
        "cc-cr",
        "--credit-url",
        "https://example.org/ada",
    ];
    assert_eq!(ccsig_on(&args, &paths).status.code(), Some(0));
    let stamps: Vec<_> = paths
        .iter()
        .map(|p| {
            (
                fs::read(p).unwrap(),
                fs::metadata(p).unwrap().modified().unwrap(),
            )
        })
        .collect();
    let o = ccsig_on(&args, &[d.path().to_path_buf()]);
    assert!(
        stdout(&o).contains("0 written, 2 unchanged"),
        "{}",
        stdout(&o)
    );
    for (p, (bytes, mtime)) in paths.iter().zip(stamps) {
        assert_eq!(fs::read(p).unwrap(), bytes);
        assert_eq!(fs::metadata(p).unwrap().modified().unwrap(), mtime);
    }
}

#[test]
fn credit_falls_back_to_creator_then_artist_and_says_so() {
    let (_d, paths) = scratch(&["jpeg/xmp-rich.jpg", "jpeg/exif.jpg", "png/plain.png"]);
    let o = ccsig_on(&["apply", "--signal", "cc-cr", "--format", "jsonl"], &paths);
    let records = jsonl(&stdout(&o));
    let notes = |i: usize| records[i]["notes"].to_string();
    assert!(notes(0).contains("XMP dc:creator"), "{}", notes(0));
    assert!(notes(1).contains("EXIF Artist"), "{}", notes(1));
    assert!(notes(2).contains("credit has no name"), "{}", notes(2));
    let read = ccsig_on(&["read", "--format", "jsonl"], &paths[1..2]);
    let r = &jsonl(&stdout(&read))[0];
    assert_eq!(r["credit"]["name"], "Ada Example");
}

#[test]
fn every_finding_kind_is_reported_where_it_belongs() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let cases: Vec<(PathBuf, &str)> = vec![
        (sample("tagged/conflict.jpg"), "conflict"),
        (sample("tagged/legacy-label.png"), "legacy"),
        (sample("tagged/malformed.webp"), "malformed"),
        (sample("jpeg/plain.jpg"), "missing"),
        (sample("bad/garbage.png"), "unreadable"),
        (
            with_xmp(dir, "jpeg/plain.jpg", "unknown-exception.jpg", "<ccsig:expression>train-ai=n;exceptions=cc-zz</ccsig:expression>"),
            "unknown_exception",
        ),
        (
            with_xmp(dir, "png/plain.png", "ignored.png", "<ccsig:expression>train-ai=n, made-up=y</ccsig:expression>"),
            "ignored",
        ),
        (
            with_xmp(
                dir,
                "webp/lossless.webp",
                "mirror-conflict.webp",
                "<ccsig:expression>train-ai=y</ccsig:expression><plus:DataMining>http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED</plus:DataMining>",
            ),
            "conflict",
        ),
        (
            with_xmp(dir, "jpeg/plain.jpg", "bad-dmi.jpg", "<plus:DataMining>maybe</plus:DataMining>"),
            "malformed",
        ),
    ];
    for (path, kind) in &cases {
        let o = ccsig_on(&["check", "--format", "jsonl"], std::slice::from_ref(path));
        let found = kinds(&stdout(&o));
        assert!(
            found.iter().any(|k| k == kind),
            "{}: expected {kind}, got {found:?}",
            path.display()
        );
        let expect_code = if *kind == "ignored" { 0 } else { 1 };
        assert_eq!(
            o.status.code(),
            Some(expect_code),
            "{}: {}",
            path.display(),
            stdout(&o)
        );
    }
    // A conflict names both fields and both values.
    let o = ccsig_on(
        &["check", "--format", "jsonl"],
        &[sample("tagged/conflict.jpg")],
    );
    let finding = &jsonl(&stdout(&o))[0];
    let fields = finding["fields"].to_string();
    assert!(
        fields.contains("plus:DataMining") && fields.contains("plus:OtherConstraints"),
        "{fields}"
    );
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains("train-ai=y") && message.contains("cc-cr-ec"),
        "{message}"
    );
    // Legacy names the closest current label.
    let o = ccsig_on(
        &["check", "--format", "jsonl"],
        &[sample("tagged/legacy-label.png")],
    );
    assert!(stdout(&o).contains("train-ai"), "{}", stdout(&o));
}

#[test]
fn consistent_tagged_files_have_no_findings() {
    let o = ccsig_on(
        &["check"],
        &[
            sample("tagged/datamining-constraint.jpg"),
            sample("tagged/datamining-only.jpg"),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn bad_inputs_fail_alone_and_the_batch_goes_on() {
    let (d, paths) = scratch(&[
        "bad/truncated.jpg",
        "bad/truncated.png",
        "bad/zero.webp",
        "bad/garbage.png",
        "jpeg/plain.jpg",
        "misc/jpeg-named.png",
    ]);
    let before: Vec<Vec<u8>> = paths.iter().map(|p| fs::read(p).unwrap()).collect();
    let o = ccsig_on(
        &["apply", "--signal", "cc-cr", "--format", "jsonl"],
        &[d.path().to_path_buf()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let records = jsonl(&stdout(&o));
    assert_eq!(records.len(), 6);
    for (r, (p, old)) in records.iter().zip(paths.iter().zip(&before)) {
        let name = p.file_name().unwrap().to_string_lossy();
        if name.starts_with("bad__") {
            assert_eq!(r["status"], "error", "{name}");
            assert!(!r["error"].as_str().unwrap().is_empty());
            assert_eq!(&fs::read(p).unwrap(), old, "{name} changed");
        } else {
            assert_eq!(
                r["status"], "written",
                "{name}: a JPEG named .png is still a JPEG"
            );
        }
    }
}

#[test]
fn non_images_in_folders_are_passed_over_but_named_ones_are_errors() {
    let (d, paths) = scratch(&["bad/unsupported.gif", "jpeg/plain.jpg"]);
    fs::write(d.path().join("notes.txt"), "not an image").unwrap();
    let o = ccsig_on(&["check", "--format", "jsonl"], &[d.path().to_path_buf()]);
    // The GIF is checked through its (missing) sidecar; the text is passed over.
    assert_eq!(kinds(&stdout(&o)), ["missing", "missing"], "{}", stdout(&o));
    let named = d.path().join("notes.txt");
    let o = ccsig_on(&["check", "--format", "jsonl"], &[named]);
    assert_eq!(kinds(&stdout(&o)), ["unreadable"]);
    assert_eq!(o.status.code(), Some(1));
    let o = ccsig_on(&["check", "--format", "jsonl"], &paths[..1]);
    let records = jsonl(&stdout(&o));
    assert_eq!(kinds(&stdout(&o)), ["missing"]);
    let message = records[0]["message"].as_str().unwrap();
    assert!(
        message.contains("tags GIF files through their sidecars"),
        "{message}"
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn missing_paths_and_bad_usage_exit_2() {
    let o = ccsig(&["check", "/nonexistent/ccsig-test-path"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/ccsig-test-path"),
        "{}",
        stderr(&o)
    );
    let o = ccsig(&["apply", "x.jpg"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "neither --signal nor --expression"
    );
    let o = ccsig(&["apply", "--signal", "cc-cr", "--use", "ai-use", "x.jpg"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "legacy label is not written from --use"
    );
    assert!(stderr(&o).contains("train-ai"), "{}", stderr(&o));
    let o = ccsig(&["apply", "--expression", "Train-AI=n", "x.jpg"]);
    assert_eq!(o.status.code(), Some(2));
    let o = ccsig(&[
        "apply",
        "--expression",
        "train-ai=n;exceptions=cc-zz",
        "x.jpg",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn dry_run_prints_and_changes_nothing() {
    let (_d, paths) = scratch(&["png/alpha.png"]);
    let before = fs::read(&paths[0]).unwrap();
    let o = ccsig_on(&["apply", "--dry-run", "--signal", "cc-cr-dc"], &paths);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("would write train-ai=n;exceptions=cc-cr-dc"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("would write"), "{}", stdout(&o));
    assert_eq!(fs::read(&paths[0]).unwrap(), before);
}

#[test]
fn remove_takes_back_only_what_ccsig_wrote() {
    let (_d, paths) = scratch(&["tagged/datamining-only.jpg", "jpeg/plain.jpg"]);
    let foreign = fs::read(&paths[0]).unwrap();
    let o = ccsig_on(&["remove"], &paths[..1]);
    assert!(
        stdout(&o).contains("unchanged"),
        "nothing of ccsig's: {}",
        stdout(&o)
    );
    assert_eq!(fs::read(&paths[0]).unwrap(), foreign);
    let original = fs::read(&paths[1]).unwrap();
    ccsig_on(&["apply", "--signal", "cc-cr"], &paths[1..]);
    assert_ne!(fs::read(&paths[1]).unwrap(), original);
    let o = ccsig_on(&["remove"], &paths[1..]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(fs::read(&paths[1]).unwrap(), original);
}

#[test]
fn read_formats_follow_the_schema() {
    let files = [
        sample("tagged/datamining-constraint.jpg"),
        sample("bad/zero.webp"),
    ];
    let o = ccsig_on(&["read", "--format", "json"], &files);
    assert_eq!(
        o.status.code(),
        Some(1),
        "an unreadable file makes read exit 1"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    assert_eq!(arr[0]["schema"], "ccsig/3");
    assert_eq!(
        arr[0]["decisions"]["train-ai"]["decision"],
        "allowed-with-terms"
    );
    assert_eq!(arr[0]["decisions"]["train-ai"]["signals"][0], "cc-cr");
    assert_eq!(arr[1]["status"], "error");
    let o = ccsig_on(&["read", "--format", "csv"], &files);
    let mut rows = csv::Reader::from_reader(o.stdout.as_slice());
    let headers = rows.headers().unwrap().clone();
    for col in [
        "schema",
        "path",
        "format",
        "status",
        "train-ai",
        "search",
        "credit_name",
    ] {
        assert!(
            headers.iter().any(|h| h == col),
            "no column {col}: {headers:?}"
        );
    }
    assert_eq!(rows.records().count(), 2);
}

#[test]
fn explain_json_follows_the_vocabulary_edge_cases() {
    let explain = |e: &str| -> serde_json::Value {
        let o = ccsig(&["explain", "--format", "json", e]);
        serde_json::from_slice(&o.stdout).unwrap_or_else(|err| panic!("{e}: {err}: {}", stdout(&o)))
    };
    let v = explain("Train-AI=n");
    assert_eq!(v["parsed"], false);
    assert_eq!(v["members"].as_array().unwrap().len(), 0);

    let v = explain("train-ai=n;exceptions=cc-cr, train-ai=y");
    assert_eq!(v["parsed"], true);
    let m = &v["members"][0];
    assert_eq!(
        (m["label"].as_str(), m["value"].as_str()),
        (Some("train-ai"), Some("y"))
    );
    assert_eq!(
        m["exceptions"].as_array().unwrap().len(),
        0,
        "parameters of the dropped value do not apply"
    );
    assert_eq!(v["members"].as_array().unwrap().len(), 1);

    assert_eq!(explain("train-ai=?1")["members"][0]["value"], "unknown");
    assert_eq!(explain("train-ai=\"n\"")["members"][0]["value"], "unknown");

    let v = explain("made-up=n, train-ai=y");
    assert_eq!(v["members"][0]["label"], "made-up");
    assert_eq!(v["members"][0]["known"], false);
    assert_eq!(v["members"][1]["known"], true);

    let v = explain("train-ai=n;exceptions=cc-zz");
    assert_eq!(v["members"][0]["value"], "n");
    assert_eq!(v["members"][0]["exceptions"].as_array().unwrap().len(), 0);

    let v = explain("ai-use=n, train-genai=y");
    assert_eq!(v["members"][0]["legacy"], true);
    assert_eq!(v["members"][1]["closest_current_label"], "train-ai");

    let v = explain("train-ai=n;exceptions=cc-cr-ec");
    assert_eq!(v["members"][0]["exceptions"][0], "cc-cr-ec");
    let o = ccsig(&["explain", "train-ai=n;exceptions=cc-cr-ec"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).to_lowercase().contains("ecosystem"),
        "{}",
        stdout(&o)
    );
    assert_eq!(ccsig(&["explain", "Train-AI=n"]).status.code(), Some(1));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ccsig"))
        .args(["read", "--format", "jsonl", "--jobs", "1"])
        // Far more output than a pipe buffers, all from good files.
        .args(std::iter::repeat_n(sample("jpeg"), 400))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // stdout is dropped here: the reader went away like `| head -1`.
    let out = child.wait_with_output().unwrap();
    assert!(!first.is_empty());
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `ccsig decide -` with `input` written to its standard input by another
/// thread: the records, the exit code, and how many bytes it took before
/// it closed the pipe.
fn decide_stdin(args: &[&str], input: Vec<u8>) -> (Vec<serde_json::Value>, Option<i32>, usize) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ccsig"))
        .args(["decide", "--use", "train-ai"])
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let mut written = 0;
        for piece in input.chunks(64 * 1024) {
            if pipe.write_all(piece).is_err() {
                break; // the reader closed the pipe
            }
            written += piece.len();
        }
        written
    });
    let out = child.wait_with_output().unwrap();
    let written = writer.join().unwrap();
    (
        jsonl(&String::from_utf8_lossy(&out.stdout)),
        out.status.code(),
        written,
    )
}

#[test]
fn decide_reads_standard_input_and_stops_at_a_settled_no() {
    // A JPEG whose metadata says no, with 64 MiB of image data behind it.
    let mut big = fs::read(sample("tagged/ccsig-cr-op.jpg")).unwrap();
    let eoi = big.split_off(big.len() - 2);
    big.extend(vec![0x55u8; 64 << 20]);
    big.extend(eoi);
    let (records, code, written) = decide_stdin(&[], big.clone());
    assert_eq!(code, Some(0));
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["path"], "-");
    assert_eq!(records[0]["decision"], "disallowed");
    // It stopped reading long before the end (the pipe holds a little).
    assert!(written < 8 << 20, "{written} of {} bytes taken", big.len());

    // A usable image is read to its end: the same record as by its path.
    let png = sample("tagged/ccsig-cr.png");
    let (records, code, _) = decide_stdin(&["--we-give", "credit"], fs::read(&png).unwrap());
    let o = ccsig_on(
        &["decide", "--use", "train-ai", "--we-give", "credit"],
        std::slice::from_ref(&png),
    );
    let mut by_path = jsonl(&stdout(&o));
    by_path[0]["path"] = "-".into();
    assert_eq!((records, code), (by_path, Some(0)));

    // Cut short: unreadable, exit 1; and a usable JPEG cut after its
    // metadata is caught at the end.
    let cut = fs::read(&png).unwrap()[..3000].to_vec();
    let (records, code, _) = decide_stdin(&[], cut);
    assert_eq!(
        (records[0]["state"].as_str(), code),
        (Some("unreadable"), Some(1))
    );
    let tagged = ccsig::apply_bytes(
        &big,
        &ccsig::ApplyRequest::from_expression("train-ai=y").unwrap(),
        &Default::default(),
    )
    .unwrap()
    .0
    .unwrap();
    let (records, code, _) = decide_stdin(&[], tagged[..tagged.len() / 2].to_vec());
    assert_eq!(
        (records[0]["state"].as_str(), code),
        (Some("unreadable"), Some(1))
    );

    // A tar shard on standard input: a record per member.
    let mut builder = tar::Builder::new(Vec::new());
    builder.append_path_with_name(&png, "0001.png").unwrap();
    builder
        .append_path_with_name(sample("tagged/ccsig-cr-op.jpg"), "0002.jpg")
        .unwrap();
    let (records, code, _) = decide_stdin(&[], builder.into_inner().unwrap());
    let paths: Vec<_> = records
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        (paths, code),
        (vec!["-:0001.png".to_string(), "-:0002.jpg".into()], Some(0))
    );
}
