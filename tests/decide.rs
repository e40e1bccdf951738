//! `ccsig decide` as a pipeline meets it: every decision case, `--unknown`,
//! `--only allowed`, `--files-from`, usage errors, and output that streams.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{ccsig, ccsig_on, sample, stderr, stdout, with_xmp};
use serde_json::Value;

fn lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

fn by_name(out: &str) -> std::collections::BTreeMap<String, Value> {
    lines(out)
        .into_iter()
        .map(|v| {
            let name = Path::new(v["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, v)
        })
        .collect()
}

const ELEMENTS: [&str; 4] = [
    "credit",
    "direct-contribution",
    "ecosystem-contribution",
    "open",
];

/// The elements each CC signal asks for, written out here independently of
/// the library's table.
const SIGNALS: [(&str, &[&str]); 4] = [
    ("cc-cr", &["credit"]),
    ("cc-cr-dc", &["credit", "direct-contribution"]),
    ("cc-cr-ec", &["credit", "ecosystem-contribution"]),
    ("cc-cr-op", &["credit", "open"]),
];

fn credited(dir: &Path, name: &str, expression: &str) -> PathBuf {
    with_xmp(
        dir,
        "jpeg/plain.jpg",
        name,
        &format!(
            "<ccsig:expression>{expression}</ccsig:expression><ccsig:creditName>Ada</ccsig:creditName><ccsig:creditURL>https://example.org/ada</ccsig:creditURL>"
        ),
    )
}

#[test]
fn each_signal_against_every_combination_of_elements() {
    let d = tempfile::tempdir().unwrap();
    for (code, _) in SIGNALS {
        credited(
            d.path(),
            &format!("{code}.jpg"),
            &format!("train-ai=n;exceptions={code}"),
        );
    }
    for bits in 0..16 {
        let given: Vec<&str> = (0..4)
            .filter(|i| bits & (1 << i) != 0)
            .map(|i| ELEMENTS[i])
            .collect();
        let we_give = given.join(",");
        let o = ccsig_on(
            &["decide", "--use", "train-ai", "--we-give", &we_give],
            &[d.path().to_path_buf()],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let got = by_name(&stdout(&o));
        assert_eq!(got.len(), 4);
        for (code, wants) in SIGNALS {
            let line = &got[&format!("{code}.jpg")];
            let met = wants.iter().all(|w| given.contains(w));
            let what = format!("{code} with {we_give:?}: {line}");
            if met {
                assert_eq!(line["decision"], "allowed-with-terms", "{what}");
                assert_eq!(line["usable"], true, "{what}");
                assert_eq!(line["met_signals"], serde_json::json!([code]), "{what}");
                assert_eq!(line["credit_name"], "Ada", "{what}");
                assert_eq!(line["credit_url"], "https://example.org/ada", "{what}");
            } else {
                assert_eq!(line["decision"], "disallowed", "{what}");
                assert_eq!(line["usable"], false, "{what}");
                assert_eq!(line["met_signals"], serde_json::json!([]), "{what}");
                assert_eq!(line["credit_name"], Value::Null, "{what}");
                let missing: Vec<&&str> = wants.iter().filter(|w| !given.contains(w)).collect();
                for m in missing {
                    assert!(line["reason"].as_str().unwrap().contains(m), "{what}");
                }
            }
        }
    }
}

/// A folder with one file per case: y, n, another use only, nothing, and
/// a broken image.
fn cases() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    credited(d.path(), "yes.jpg", "train-ai=y");
    credited(d.path(), "no.jpg", "train-ai=n");
    credited(d.path(), "terms.jpg", "train-ai=n;exceptions=cc-cr");
    credited(d.path(), "other-use.jpg", "search=n");
    fs::copy(sample("png/plain.png"), d.path().join("untagged.png")).unwrap();
    fs::copy(sample("bad/truncated.jpg"), d.path().join("broken.jpg")).unwrap();
    d
}

#[test]
fn yes_no_unknown_and_unreadable() {
    let d = cases();
    let o = ccsig_on(
        &[
            "decide",
            "--use",
            "train-ai",
            "--we-give",
            "credit,direct-contribution,ecosystem-contribution,open",
        ],
        &[d.path().to_path_buf()],
    );
    // A broken image still gets its line; the exit code says one was unreadable.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let got = by_name(&stdout(&o));
    let decision = |n: &str| (got[n]["decision"].clone(), got[n]["usable"].clone());
    assert_eq!(decision("yes.jpg"), ("allowed".into(), true.into()));
    assert_eq!(got["yes.jpg"]["credit_name"], Value::Null, "y owes nothing");
    assert_eq!(decision("no.jpg"), ("disallowed".into(), false.into()));
    assert!(got["no.jpg"]["reason"]
        .as_str()
        .unwrap()
        .contains("no exception"));
    assert_eq!(
        decision("terms.jpg"),
        ("allowed-with-terms".into(), true.into())
    );
    assert_eq!(decision("other-use.jpg"), ("unknown".into(), false.into()));
    assert_eq!(decision("untagged.png"), ("unknown".into(), false.into()));
    assert_eq!(got["untagged.png"]["reason"], "no signal in the file");
    assert_eq!(decision("broken.jpg"), ("unknown".into(), false.into()));
    let reason = got["broken.jpg"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("unreadable: ") && reason.contains("truncated"),
        "{reason}"
    );

    assert_eq!(got["broken.jpg"]["state"], "unreadable");
    assert_eq!(got["untagged.png"]["state"], "no-signal");

    // Under --unknown allow, files that say nothing are usable but stay
    // unknown; a file that could not be read is not one of them.
    let o = ccsig_on(
        &["decide", "--use", "train-ai", "--unknown", "allow"],
        &[d.path().to_path_buf()],
    );
    let got = by_name(&stdout(&o));
    for n in ["other-use.jpg", "untagged.png"] {
        assert_eq!(decision_of(&got, n), ("unknown".into(), true.into()), "{n}");
    }
    assert_eq!(
        decision_of(&got, "broken.jpg"),
        ("unknown".into(), false.into())
    );
    // No commitment: the file with terms is not usable.
    assert_eq!(
        decision_of(&got, "terms.jpg"),
        ("disallowed".into(), false.into())
    );
    assert_eq!(
        got["terms.jpg"]["unmet_signals"],
        serde_json::json!(["cc-cr"])
    );
}

fn decision_of(got: &std::collections::BTreeMap<String, Value>, n: &str) -> (Value, Value) {
    (got[n]["decision"].clone(), got[n]["usable"].clone())
}

fn names(out: &str) -> Vec<String> {
    out.lines()
        .map(|l| {
            Path::new(l)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn only_allowed_prints_usable_paths_for_xargs() {
    let d = cases();
    let base = [
        "decide",
        "--use",
        "train-ai",
        "--we-give",
        "credit",
        "--only",
        "allowed",
    ];
    let o = ccsig_on(&base, &[d.path().to_path_buf()]);
    assert_eq!(names(&stdout(&o)), ["terms.jpg", "yes.jpg"]);
    // The output does not list every input, so the account is on stderr.
    assert!(stderr(&o).contains("6 decided"), "{}", stderr(&o));
    let mut with_unknown = base.to_vec();
    with_unknown.extend(["--unknown", "allow"]);
    let o = ccsig_on(&with_unknown, &[d.path().to_path_buf()]);
    assert_eq!(
        names(&stdout(&o)),
        ["other-use.jpg", "terms.jpg", "untagged.png", "yes.jpg"]
    );
    // Each printed line is a path that exists, as xargs will need.
    for line in stdout(&o).lines() {
        assert!(Path::new(line).is_file(), "{line}");
    }
}

#[test]
fn bad_use_labels_and_elements_are_usage_errors() {
    let d = cases();
    let dir = d.path().display().to_string();
    for args in [
        vec!["decide", "--use", "ai-use", &dir],
        vec!["decide", "--use", "Train-AI", &dir],
        vec!["decide", "--use", "train-ai", "--we-give", "money", &dir],
        vec!["decide", "--use", "train-ai", "--unknown", "maybe", &dir],
        vec!["decide", "--use", "train-ai"],
        vec!["decide", &dir],
    ] {
        let o = ccsig(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?}");
    }
    let o = ccsig(&["decide", "--use", "ai-use", &dir]);
    assert!(stderr(&o).contains("train-ai"), "{}", stderr(&o));
}

#[test]
fn draft_08_makes_ai_use_a_use() {
    let legacy = sample("tagged/legacy-label.png").display().to_string();
    let o = ccsig(&[
        "decide",
        "--use",
        "ai-use",
        "--vocabulary",
        "draft-08",
        &legacy,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got = lines(&stdout(&o));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["decision"], "disallowed", "{}", stdout(&o));
}

#[test]
fn files_from_a_file_and_from_stdin() {
    let d = cases();
    let list = d.path().join("list.txt");
    fs::write(
        &list,
        format!(
            "{}\n\n{}\n",
            d.path().join("yes.jpg").display(),
            d.path().join("no.jpg").display()
        ),
    )
    .unwrap();
    let o = ccsig(&[
        "decide",
        "--use",
        "train-ai",
        "--files-from",
        list.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        lines(&stdout(&o))
            .iter()
            .map(|v| v["decision"].as_str().unwrap().to_string())
            .collect::<Vec<_>>(),
        ["allowed", "disallowed"]
    );
    // Paths given before the list come first.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ccsig"))
        .args(["read", "--format", "jsonl", "--files-from", "-"])
        .arg(d.path().join("terms.jpg"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(fs::read(&list).unwrap().as_slice())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let read: Vec<String> = lines(&String::from_utf8_lossy(&out.stdout))
        .iter()
        .map(|v| v["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(read.len(), 3);
    assert!(
        read[0].ends_with("terms.jpg")
            && read[1].ends_with("yes.jpg")
            && read[2].ends_with("no.jpg")
    );
    // check and apply take lists too.
    let o = ccsig(&[
        "check",
        "--format",
        "jsonl",
        "--files-from",
        list.to_str().unwrap(),
    ]);
    assert_eq!(
        lines(&stdout(&o)).len(),
        0,
        "both files are tagged: {}",
        stdout(&o)
    );
    let o = ccsig(&[
        "apply",
        "--signal",
        "cc-cr",
        "--dry-run",
        "--files-from",
        list.to_str().unwrap(),
    ]);
    assert!(stdout(&o).contains("2 files"), "{}", stdout(&o));
    // A list that does not exist is an error.
    let o = ccsig(&[
        "decide",
        "--use",
        "train-ai",
        "--files-from",
        "/nonexistent/list",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// Output streams: what is decided comes out while the input list is
/// still open, so the process cannot have read everything yet. The one
/// usable file makes one short line, which only an explicit flush at the
/// end of a chunk gets out of the output buffer.
#[test]
fn the_first_lines_arrive_before_the_input_ends() {
    let d = tempfile::tempdir().unwrap();
    let src = sample("jpeg/plain.jpg");
    let usable = credited(d.path(), "0000.jpg", "train-ai=y");
    // More than one chunk's worth (512) of paths, so a chunk fills.
    let mut paths = vec![usable];
    for i in 1..600 {
        let p = d.path().join(format!("{i:04}.jpg"));
        fs::copy(&src, &p).unwrap();
        paths.push(p);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_ccsig"))
        .args([
            "decide",
            "--use",
            "train-ai",
            "--only",
            "allowed",
            "--files-from",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for p in &paths {
        writeln!(stdin, "{}", p.display()).unwrap();
    }
    stdin.flush().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok);
        let _ = tx.send(first);
        lines.count() + 1
    });
    // stdin is still open: the walk cannot have ended.
    let first = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("no output while the input was still open")
        .expect("a line");
    assert!(child.try_wait().unwrap().is_none(), "still running");
    assert!(first.ends_with("0000.jpg"), "{first}");
    drop(stdin);
    assert!(child.wait().unwrap().success());
    assert_eq!(reader.join().unwrap(), 1);
}
