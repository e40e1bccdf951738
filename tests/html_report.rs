//! The HTML audit in a real browser: headless Chromium loads the page
//! `check --format html` writes for the sample catalog, with no console
//! message; its totals equal those of the JSON report of the same audit;
//! the table filters and sorts (the view is read from the address, as a
//! bookmarked link would give it); and a screenshot of the first screen is
//! kept in `target/ci-artifacts/` (CI keeps it as an artifact).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// What an audit that finds something prints (exit code 1).
fn audit(args: &[&str]) -> Vec<u8> {
    let out = common::ccsig(args);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    out.stdout
}

const AUDIT: [&str; 5] = [
    "check",
    "--manifest",
    "sample-images/catalog.csv",
    "--tree",
    "sample-images/tagged",
];

/// Headless Chromium (`CHROMIUM` names another binary), ready for a URL.
fn chromium() -> Command {
    let binary = std::env::var_os("CHROMIUM").map_or_else(|| "chromium".into(), PathBuf::from);
    let mut command = Command::new(binary);
    command.args(["--headless", "--no-sandbox", "--disable-gpu"]);
    command
}

/// The DOM after the page's script ran, and what the browser logged.
fn load(page: &Path, view: &str) -> (String, String) {
    let url = format!("file://{}{view}", page.display());
    let out = chromium()
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom"])
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The page's console messages and uncaught errors (Chromium logs both
/// as `CONSOLE` lines).
fn console(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

/// `data-count` of the element with `data-total="name"`.
fn total(dom: &str, name: &str) -> Option<u64> {
    let at = dom.find(&format!("data-total=\"{name}\""))?;
    let rest = &dom[at..];
    let count = rest.find("data-count=\"")? + "data-count=\"".len();
    rest[count..].split('"').next()?.parse().ok()
}

/// The table's rows as (shown, first cell's text).
fn rows(dom: &str) -> Vec<(bool, String)> {
    dom.split("<tr data-status=")
        .skip(1)
        .map(|row| {
            let tag_end = row.find('>').unwrap();
            let shown = !row[..tag_end].contains(" hidden");
            let cell = row.find("<td class=\"path\">").unwrap() + "<td class=\"path\">".len();
            let path = row[cell..].split(['<']).next().unwrap().to_string();
            (shown, path)
        })
        .collect()
}

fn shown(dom: &str) -> usize {
    rows(dom).iter().filter(|(shown, _)| *shown).count()
}

#[test]
#[cfg_attr(
    not(ccsig_has_chromium),
    ignore = "needs chromium (bash .ci/run installs it)"
)]
fn the_html_audit_loads_cleanly_agrees_with_the_json_and_filters_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("audit.html");
    std::fs::write(&page, audit(&[&AUDIT[..], &["--format", "html"]].concat())).unwrap();
    let json: Value =
        serde_json::from_slice(&audit(&[&AUDIT[..], &["--format", "json"]].concat())).unwrap();
    let summary = &json["summary"];
    let entries = json["files"].as_array().unwrap();

    let (dom, log) = load(&page, "");
    assert!(console(&log).is_empty(), "console: {:?}", console(&log));
    for name in ["files", "to_fix", "bad_rows"] {
        assert_eq!(total(&dom, name), summary[name].as_u64(), "{name}");
    }
    for status in ["ok", "note", "warning", "error"] {
        assert_eq!(
            total(&dom, status),
            summary["by_status"][status].as_u64(),
            "{status}"
        );
    }
    // Every file and bad row is a row of the table, all shown at first.
    assert_eq!(rows(&dom).len(), entries.len());
    assert_eq!(shown(&dom), entries.len());
    let mut paths: Vec<&str> = entries
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();

    // Filters, as a bookmarked view would set them.
    let count = |pred: &dyn Fn(&Value) -> bool| entries.iter().filter(|e| pred(e)).count();
    let (dom, log) = load(&page, "#status=error");
    assert!(console(&log).is_empty(), "console: {:?}", console(&log));
    assert_eq!(shown(&dom), count(&|e| e["status"] == "error"));
    let (dom, _) = load(&page, "#kind=missing");
    let has_kind = |e: &Value, kind: &str| {
        e["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == kind)
    };
    assert_eq!(shown(&dom), count(&|e| has_kind(e, "missing")));
    assert!(shown(&dom) > 0);
    let (dom, _) = load(&page, "#q=renamed-away");
    assert_eq!(shown(&dom), 1);
    let (dom, _) = load(&page, "#status=warning&kind=not_in_manifest");
    assert_eq!(
        shown(&dom),
        count(&|e| e["status"] == "warning" && has_kind(e, "not_in_manifest"))
    );

    // Sorting: by path, descending.
    let (dom, log) = load(&page, "#sort=-path");
    assert!(console(&log).is_empty(), "console: {:?}", console(&log));
    paths.sort_by_key(|p| std::cmp::Reverse(p.to_lowercase()));
    let sorted: Vec<String> = rows(&dom).into_iter().map(|(_, p)| p).collect();
    assert_eq!(sorted, paths);

    // The first screen, for people to look at.
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("ci-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("audit-report.png");
    let _ = std::fs::remove_file(&shot);
    let out = chromium()
        .args(["--hide-scrollbars", "--window-size=1280,1000"])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000);
}

#[test]
fn the_html_audit_is_one_self_contained_file() {
    let html = String::from_utf8(audit(&[&AUDIT[..], &["--format", "html"]].concat())).unwrap();
    for external in ["src=", "href=", "@import", "url("] {
        assert!(
            !html.contains(external),
            "the page refers to something outside it: {external}"
        );
    }
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Text from files is escaped, never markup.
    assert!(!html.contains("<?xpacket"));
}

/// A large audit shows its first 1,000 files (worst first) and offers the
/// rest: a browser lays out a table of 100,000 rows in minutes.
#[test]
#[cfg_attr(
    not(ccsig_has_chromium),
    ignore = "needs chromium (bash .ci/run installs it)"
)]
fn a_large_audit_shows_its_first_thousand_files_and_counts_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let images = dir.path().join("images");
    std::fs::create_dir(&images).unwrap();
    for i in 0..1200 {
        let sample = if i % 3 == 0 {
            "tagged/ccsig-cr-op.jpg"
        } else {
            "jpeg/plain.jpg"
        };
        std::fs::hard_link(
            Path::new("sample-images").join(sample),
            images.join(format!("{i:04}.jpg")),
        )
        .unwrap();
    }
    let page = dir.path().join("audit.html");
    let images_arg = images.to_str().unwrap();
    std::fs::write(&page, audit(&["check", "--format", "html", images_arg])).unwrap();
    let (dom, log) = load(&page, "");
    assert!(console(&log).is_empty(), "console: {:?}", console(&log));
    assert_eq!(total(&dom, "files"), Some(1200));
    assert_eq!(total(&dom, "error"), Some(800));
    let at = dom.find("id=\"shown\" data-count=\"").unwrap();
    assert!(dom[at..].starts_with("id=\"shown\" data-count=\"1200\""));
    let rows = rows(&dom);
    assert_eq!(rows.len(), 1000);
    // Worst first: the 800 untagged files, then the clean ones.
    assert!(dom.contains("<p id=\"more\">"), "the rest are offered");
    let (dom, _) = load(&page, "#status=ok");
    assert_eq!(self::rows(&dom).len(), 400);
    assert!(dom.contains("<p id=\"more\" hidden=\"\">"));
}
