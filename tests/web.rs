//! Preferences around a file (draft-ietf-aipref-attach): an HTTP
//! response's `Content-Usage` and `X-Robots-Tag`, a site's robots.txt,
//! combined with the file's own signals in one decision.

mod common;

use ccsig::signal::Decision;
use ccsig::{Commitments, Pipeline, Verdict, WebContext};
use common::*;

fn web(headers: &[(&str, &str)], robots: Option<&str>, url: &str, agent: &str) -> WebContext {
    WebContext {
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        robots: robots.map(str::to_string),
        url: Some(url.into()),
        user_agent: Some(agent.into()),
    }
}

fn train_ai() -> Pipeline {
    Pipeline::new("train-ai".parse().unwrap(), Commitments::none())
}

#[test]
fn the_most_restrictive_of_file_and_surroundings_wins() {
    // The file allows under cc-cr; the response says no.
    let mut signals = ccsig::read_path(&sample("tagged/ccsig-cr.png")).unwrap();
    let around = web(
        &[("X-Robots-Tag", "noimageai")],
        None,
        "https://example.org/a.png",
        "img2dataset",
    );
    signals.add_web(&around);
    assert_eq!(signals.decisions["train-ai"], Decision::Disallowed);
    let decision = train_ai().decide(&signals);
    assert_eq!(decision.verdict, Verdict::Disallowed);
    assert!(
        decision
            .sources
            .contains(&"HTTP X-Robots-Tag noimageai".to_string()),
        "{:?}",
        decision.sources
    );

    // The response allows; the file's "no, unless cc-cr" stands.
    let mut signals = ccsig::read_path(&sample("tagged/ccsig-cr.png")).unwrap();
    signals.add_web(&web(
        &[("Content-Usage", "train-ai=y")],
        None,
        "https://example.org/a.png",
        "ccsig",
    ));
    assert_eq!(
        signals.decisions["train-ai"],
        Decision::AllowedIf(vec![ccsig::SignalCode::Cr])
    );
}

#[test]
fn robots_rules_apply_by_agent_and_path_and_name_their_line() {
    let robots = "User-agent: *\n\
                  Content-Usage: train-ai=y\n\
                  Content-Usage: /archive/ train-ai=n\n\
                  \n\
                  User-agent: img2dataset\n\
                  Content-Usage: search=n\n";
    let plain = || ccsig::read_path(&sample("jpeg/plain.jpg")).unwrap();
    let decide = |url: &str, agent: &str| {
        let mut signals = plain();
        signals.add_web(&web(&[], Some(robots), url, agent));
        train_ai().decide(&signals)
    };
    let archive = decide("https://example.org/archive/1.jpg", "ccsig/0.1");
    assert_eq!(archive.verdict, Verdict::Disallowed);
    assert_eq!(archive.sources, ["robots.txt line 3"]);
    let open = decide("https://example.org/new/1.jpg", "ccsig/0.1");
    assert_eq!(open.verdict, Verdict::Allowed);
    // img2dataset's own group says nothing of train-ai: the file's silence
    // decides (no-signal), not the * group.
    let own = decide("https://example.org/archive/1.jpg", "img2dataset/1.4");
    assert_eq!(own.verdict, Verdict::Unknown);
}

#[test]
fn a_no_around_an_unreadable_file_stands() {
    let error = ccsig::read_bytes(b"\xFF\xD8\xFF\xE0 cut").unwrap_err();
    let pipeline = train_ai();
    let noai = web(
        &[("X-Robots-Tag", "noai")],
        None,
        "https://e.org/x.jpg",
        "c",
    );
    let decision = pipeline.decide_error_with(&error, &noai);
    assert_eq!(decision.verdict, Verdict::Disallowed);
    assert!(
        decision.reason.contains("could not be read"),
        "{}",
        decision.reason
    );
    // A "yes" around it does not make an unreadable file usable.
    let yes = web(
        &[("Content-Usage", "train-ai=y")],
        None,
        "https://e.org/x.jpg",
        "c",
    );
    let decision = pipeline.decide_error_with(&error, &yes);
    assert_eq!(decision.verdict, Verdict::Unknown);
    assert!(!decision.usable);
}

#[test]
fn malformed_headers_and_robots_files_are_reported_never_a_crash() {
    let mut signals = ccsig::read_path(&sample("jpeg/plain.jpg")).unwrap();
    signals.add_web(&web(
        &[("Content-Usage", "train-ai=maybe, ((")],
        Some("User-agent\n:::\nContent-Usage: /\nUser-agent: *\nContent-Usage: /*$ ("),
        "not a url",
        "",
    ));
    let findings = ccsig::audit::check(&signals, None);
    assert!(
        findings
            .iter()
            .any(|f| f.fields.iter().any(|x| x == "HTTP Content-Usage")),
        "{findings:?}"
    );
    // Nothing it said decides anything.
    assert_eq!(signals.decisions["train-ai"], Decision::Unknown);
}

#[test]
fn explain_shows_what_headers_and_robots_state() {
    let dir = tempfile::tempdir().unwrap();
    let robots = dir.path().join("robots.txt");
    std::fs::write(
        &robots,
        "User-agent: *\nContent-Usage: /archive/ train-ai=n\n",
    )
    .unwrap();
    let o = ccsig(&[
        "explain",
        "--header",
        "X-Robots-Tag: noimageai",
        "--robots",
        robots.to_str().unwrap(),
        "--url",
        "https://example.org/archive/a.jpg",
        "--format",
        "jsonl",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let fields: Vec<String> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["field"].to_string())
        .collect();
    assert_eq!(
        fields,
        ["\"HTTP X-Robots-Tag noimageai\"", "\"robots.txt line 2\""]
    );
    // A malformed field is explained, and the exit code says so.
    let o = ccsig(&["explain", "--header", "Content-Usage: (("]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("HTTP Content-Usage: (("),
        "{}",
        stdout(&o)
    );
    let o = ccsig(&["explain", "--header", "no colon"]);
    assert_eq!(o.status.code(), Some(2));
}
