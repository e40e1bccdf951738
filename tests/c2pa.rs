//! C2PA Content Credentials as a source of AI-use preferences (issue 18,
//! reading): the CAWG training-and-data-mining assertion of a signed
//! manifest is read, validated and combined with every other field.
//!
//! Signed files are made here, at test time, with the `c2pa` crate and a
//! certificate chain the `openssl` command makes in a temporary folder (a
//! root CA and a signer with the extensions C2PA requires); no key is
//! committed.
#![cfg(feature = "c2pa")]

mod common;

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use ccsig::internals::mapping::c2pa::Credentials;
use ccsig::signal::{Decision, Vocabulary};
use ccsig::{Commitments, FileSignals, FindingKind, Pipeline, Verdict};
use common::{c2pa_certificates, ccsig, sample, stderr, stdout};
use serde_json::{json, Value};

/// `source` (an image's bytes, of media type `mime`) with a new manifest
/// whose `cawg.training-mining` assertion holds `entries` (none: no such
/// assertion), signed with a chain made in `dir`. A source that carries a
/// manifest becomes the new one's parent ingredient.
fn signed(dir: &Path, source: &[u8], mime: &str, entries: Option<Value>) -> Vec<u8> {
    signed_with(dir, source, mime, entries, None)
}

/// [`signed`], with one more assertion of `padding` bytes of text (a
/// manifest store of many megabytes, in many JPEG segments).
fn signed_with(
    dir: &Path,
    source: &[u8],
    mime: &str,
    entries: Option<Value>,
    padding: Option<usize>,
) -> Vec<u8> {
    let (chain, key) = c2pa_certificates(dir);
    let signer =
        c2pa::create_signer::from_keys(&chain, &key, c2pa::SigningAlg::Es256, None).unwrap();
    let mut assertions = vec![json!({"label": "c2pa.actions", "data": {"actions": [{
        "action": "c2pa.created",
        "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"}]}})];
    if let Some(entries) = entries {
        assertions.push(json!({"label": "cawg.training-mining", "data": {"entries": entries}}));
    }
    if let Some(size) = padding {
        assertions
            .push(json!({"label": "com.example.padding", "data": {"text": "x".repeat(size)}}));
    }
    let definition = json!({"claim_generator_info": [{"name": "ccsig tests", "version": "0"}],
                            "assertions": assertions});
    let context = || {
        c2pa::Context::new()
            .with_settings(r#"{"verify": {"remote_manifest_fetch": false, "ocsp_fetch": false}}"#)
            .unwrap()
    };
    let mut builder = c2pa::Builder::from_context(context())
        .with_definition(definition.to_string())
        .unwrap();
    let has_manifest = c2pa::Reader::from_context(context())
        .with_stream(mime, Cursor::new(source))
        .is_ok();
    if has_manifest {
        let parent = json!({"title": "earlier version", "relationship": "parentOf"});
        builder
            .add_ingredient_from_stream(parent.to_string(), mime, &mut Cursor::new(source))
            .unwrap();
    }
    let mut out = Cursor::new(Vec::new());
    builder
        .sign(signer.as_ref(), mime, &mut Cursor::new(source), &mut out)
        .unwrap();
    out.into_inner()
}

fn signed_sample(dir: &Path, rel: &str, entries: Value) -> PathBuf {
    let mime = match Path::new(rel).extension().unwrap().to_str().unwrap() {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        _ => "image/webp",
    };
    let bytes = signed(dir, &fs::read(sample(rel)).unwrap(), mime, Some(entries));
    let path = dir.join(Path::new(rel).file_name().unwrap());
    fs::write(&path, bytes).unwrap();
    path
}

/// The JPEG's bytes with one byte of its image data (just before EOI)
/// changed: what the manifest's hard binding covers no longer matches.
fn tampered(path: &Path) {
    let mut bytes = fs::read(path).unwrap();
    let at = bytes.len() - 3;
    bytes[at] ^= 0x55;
    fs::write(path, bytes).unwrap();
}

/// What the file's Content Credentials say; they must have been read.
fn credentials(signals: &FileSignals) -> &Credentials {
    match &signals.c2pa {
        Some(Ok(creds)) => creds,
        other => panic!("no credentials read: {other:?}"),
    }
}

/// `check` finds a conflict between the Content Credentials and a field
/// `other` accepts.
fn assert_conflict(path: &Path, other: impl Fn(&String) -> bool) {
    let findings = ccsig::check_path(path, None);
    let conflict = findings
        .iter()
        .find(|f| f.kind == FindingKind::Conflict)
        .unwrap_or_else(|| panic!("no conflict in {findings:?}"));
    assert!(
        conflict.fields.iter().any(|f| f.starts_with("C2PA ")),
        "{conflict:?}"
    );
    assert!(conflict.fields.iter().any(other), "{conflict:?}");
}

fn kinds(path: &Path) -> Vec<FindingKind> {
    ccsig::check_path(path, None)
        .into_iter()
        .map(|f| f.kind)
        .collect()
}

fn train(we_give: &str) -> Pipeline {
    Pipeline::new(
        "train-ai".parse().unwrap(),
        Commitments::parse(we_give).unwrap(),
    )
}

#[test]
fn the_cawg_fixture_says_no_to_generative_training_and_to_inference() {
    let path = sample("c2pa/C_with_CAWG_data.jpg");
    let signals = ccsig::read_path(&path).unwrap();
    let creds = credentials(&signals);
    assert_eq!(creds.state.as_str(), "valid");
    assert_eq!(signals.decisions["train-ai"], Decision::Disallowed);
    let fields: Vec<String> = signals.sources.iter().map(|s| s.field()).collect();
    assert_eq!(
        fields,
        ["C2PA cawg.training-mining cawg.ai_generative_training"]
    );
    // Under draft-07 no category speaks for inference: listed, stating nothing.
    assert!(signals
        .deferring
        .iter()
        .any(|d| d.field.ends_with("cawg.ai_inference")));
    let with_draft_08 = ccsig::read_path_in(&path, Vocabulary::Draft08).unwrap();
    assert_eq!(with_draft_08.decisions["ai-use"], Decision::Disallowed);

    // A pipeline that takes silence as consent still may not train on it.
    let mut pipeline = train("credit");
    pipeline.unknown = ccsig::UnknownPolicy::Allow;
    let d = pipeline.decide(&signals);
    assert_eq!((d.verdict, d.usable), (Verdict::Disallowed, false));
    // The record names the credentials as what decided it.
    assert_eq!(
        d.sources,
        ["C2PA cawg.training-mining cawg.ai_generative_training"]
    );
    // check no longer calls it missing.
    let found = kinds(&path);
    assert!(!found.contains(&FindingKind::Missing), "{found:?}");
    assert!(found.contains(&FindingKind::Signed));

    let o = ccsig(&["read", path.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(
        out.contains("C2PA cawg.training-mining cawg.ai_generative_training"),
        "{out}"
    );
    assert!(out.contains("C2PA Content Credentials (valid)"), "{out}");
    let o = ccsig(&["read", "--format", "json", path.to_str().unwrap()]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v[0]["c2pa_state"], "valid");
}

#[test]
fn an_allowed_counts_only_from_credentials_that_validate() {
    let d = tempfile::tempdir().unwrap();
    let path = signed_sample(
        d.path(),
        "jpeg/plain.jpg",
        json!({"cawg.ai_training": {"use": "allowed"}}),
    );
    let signals = ccsig::read_path(&path).unwrap();
    assert_eq!(signals.decisions["train-ai"], Decision::Allowed);
    assert_eq!(train("").decide(&signals).verdict, Verdict::Allowed);
    assert!(!kinds(&path).contains(&FindingKind::C2paInvalid));

    tampered(&path);
    let signals = ccsig::read_path(&path).unwrap();
    let creds = credentials(&signals);
    assert_eq!(creds.state.as_str(), "invalid");
    assert!(!creds.failures.is_empty());
    assert_eq!(signals.decisions["train-ai"], Decision::Unknown);
    let found = kinds(&path);
    assert!(found.contains(&FindingKind::C2paInvalid), "{found:?}");
    assert!(found.contains(&FindingKind::Unverified), "{found:?}");
    let o = ccsig(&["decide", "--use", "train-ai", path.to_str().unwrap()]);
    let r: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(
        (r["decision"].as_str(), r["usable"].as_bool()),
        (Some("unknown"), Some(false))
    );
}

#[test]
fn a_no_counts_whatever_the_validation_state() {
    let d = tempfile::tempdir().unwrap();
    let entries = json!({"cawg.ai_generative_training": {"use": "notAllowed"},
                         "cawg.ai_inference": {"use": "notAllowed"}});
    let path = signed_sample(d.path(), "jpeg/plain.jpg", entries);
    tampered(&path);
    let signals = ccsig::read_path(&path).unwrap();
    assert_eq!(signals.decisions["train-ai"], Decision::Disallowed);
    let found = kinds(&path);
    assert!(found.contains(&FindingKind::C2paInvalid), "{found:?}");
    assert!(!found.contains(&FindingKind::Unverified), "{found:?}");
}

#[test]
fn constrained_with_a_cc_signal_reads_as_that_expression() {
    let d = tempfile::tempdir().unwrap();
    let entries = json!({"cawg.ai_training": {"use": "constrained",
        "constraint_info": "Credit the photographer. Content-Usage: train-ai=n;exceptions=cc-cr"}});
    let path = signed_sample(d.path(), "jpeg/plain.jpg", entries);
    let signals = ccsig::read_path(&path).unwrap();
    assert_eq!(
        signals.decisions["train-ai"],
        Decision::AllowedIf(vec![ccsig::SignalCode::Cr])
    );
    assert_eq!(
        train("credit").decide(&signals).verdict,
        Verdict::AllowedWithTerms
    );
    assert_eq!(train("").decide(&signals).verdict, Verdict::Disallowed);
    // Without a signal in its text, constrained is a plain no.
    let entries = json!({"c2pa.ai_training": {"use": "constrained", "constraints_info": "ask us"}});
    let path = signed_sample(d.path(), "png/plain.png", entries);
    assert_eq!(
        ccsig::read_path(&path).unwrap().decisions["train-ai"],
        Decision::Disallowed
    );
}

#[test]
fn the_manifest_and_xmp_disagreeing_is_a_conflict_and_the_no_wins() {
    let d = tempfile::tempdir().unwrap();
    let tagged = d.path().join("tagged.jpg");
    fs::copy(sample("jpeg/plain.jpg"), &tagged).unwrap();
    let o = ccsig(&[
        "apply",
        "--expression",
        "train-ai=y",
        tagged.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bytes = signed(
        d.path(),
        &fs::read(&tagged).unwrap(),
        "image/jpeg",
        Some(json!({"cawg.ai_training": {"use": "notAllowed"}})),
    );
    fs::write(&tagged, bytes).unwrap();
    let signals = ccsig::read_path(&tagged).unwrap();
    assert_eq!(signals.decisions["train-ai"], Decision::Disallowed);
    assert_conflict(&tagged, |f| f == "XMP ccsig:expression");
}

#[test]
fn png_and_webp_credentials_are_read_too() {
    let d = tempfile::tempdir().unwrap();
    for rel in ["png/plain.png", "webp/lossy.webp"] {
        let path = signed_sample(
            d.path(),
            rel,
            json!({"cawg.ai_training": {"use": "notAllowed"}}),
        );
        let signals = ccsig::read_path(&path).unwrap();
        let creds = credentials(&signals);
        assert_eq!(creds.state.as_str(), "valid", "{rel}: {:?}", creds.failures);
        assert_eq!(signals.decisions["train-ai"], Decision::Disallowed, "{rel}");
        // And from bytes, as a pipeline holds them.
        let from_bytes = ccsig::read_bytes(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            from_bytes.decisions["train-ai"],
            Decision::Disallowed,
            "{rel}"
        );
    }
}

#[test]
fn a_preference_only_in_the_history_is_a_note() {
    let d = tempfile::tempdir().unwrap();
    let first = signed_sample(
        d.path(),
        "jpeg/plain.jpg",
        json!({"cawg.ai_training": {"use": "notAllowed"}}),
    );
    // Signed again without the assertion: the earlier manifest is its parent.
    let again = signed(d.path(), &fs::read(&first).unwrap(), "image/jpeg", None);
    fs::write(&first, again).unwrap();
    let signals = ccsig::read_path(&first).unwrap();
    let creds = credentials(&signals);
    assert!(creds.entries.is_empty());
    assert_eq!(creds.history.len(), 1, "{creds:?}");
    assert_eq!(signals.decisions["train-ai"], Decision::Unknown);
    let findings = ccsig::check_path(&first, None);
    let note = findings.iter().find(|f| f.kind == FindingKind::C2paHistory);
    assert!(note.is_some(), "{findings:?}");
}

#[test]
fn damaged_credentials_are_a_finding_never_a_crash() {
    let d = tempfile::tempdir().unwrap();
    let original = fs::read(sample("c2pa/C_with_CAWG_data.jpg")).unwrap();
    // Bytes inside the APP11 JUMBF segments, flipped or zeroed.
    let app11: Vec<usize> = original
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w == &[0xFF, 0xEB])
        .map(|(i, _)| i)
        .collect();
    assert!(!app11.is_empty());
    let mut cases: Vec<Vec<u8>> = vec![];
    for (n, at) in [40usize, 200, 1000, 4000].into_iter().enumerate() {
        let mut bytes = original.clone();
        let i = app11[0] + at;
        bytes[i] ^= 0xFF;
        if n % 2 == 1 {
            bytes[i + 1..i + 64].fill(0);
        }
        cases.push(bytes);
    }
    for (n, bytes) in cases.into_iter().enumerate() {
        let path = d.path().join(format!("damaged-{n}.jpg"));
        fs::write(&path, &bytes).unwrap();
        let signals = ccsig::read_path(&path).unwrap();
        match signals.c2pa.as_ref().unwrap() {
            Ok(creds) => assert_eq!(creds.state.as_str(), "invalid", "case {n}"),
            Err(e) => assert!(!e.is_empty()),
        }
        let found = kinds(&path);
        assert!(
            found.contains(&FindingKind::C2paInvalid),
            "case {n}: {found:?}"
        );
        let o = ccsig(&["decide", "--use", "train-ai", path.to_str().unwrap()]);
        assert!(
            o.status.code().is_some(),
            "case {n} crashed: {}",
            stderr(&o)
        );
    }
}

/// The offsets and lengths (marker included) of a JPEG's APP11 segments.
fn app11_segments(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = vec![];
    let mut i = 2;
    while i + 4 <= bytes.len() && bytes[i] == 0xFF && bytes[i + 1] != 0xDA {
        let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
        if bytes[i + 1] == 0xEB {
            out.push((i, len + 2));
        }
        i += len + 2;
    }
    out
}

#[test]
fn a_store_of_megabytes_is_read_and_one_out_of_order_is_a_finding() {
    let d = tempfile::tempdir().unwrap();
    let bytes = signed_with(
        d.path(),
        &fs::read(sample("jpeg/plain.jpg")).unwrap(),
        "image/jpeg",
        Some(json!({"cawg.ai_training": {"use": "notAllowed"}})),
        Some(3 << 20),
    );
    let segments = app11_segments(&bytes);
    assert!(segments.len() > 40, "{} APP11 segments", segments.len());
    let path = d.path().join("big.jpg");
    fs::write(&path, &bytes).unwrap();
    let signals = ccsig::read_path(&path).unwrap();
    let creds = credentials(&signals);
    assert_eq!(creds.state.as_str(), "valid");
    assert_eq!(signals.decisions["train-ai"], Decision::Disallowed);

    // The second and third segments swapped: the store no longer reads.
    let ((a, a_len), (b, b_len)) = (segments[1], segments[2]);
    assert_eq!(a + a_len, b);
    let mut swapped = bytes[..a].to_vec();
    swapped.extend_from_slice(&bytes[b..b + b_len]);
    swapped.extend_from_slice(&bytes[a..a + a_len]);
    swapped.extend_from_slice(&bytes[b + b_len..]);
    fs::write(&path, &swapped).unwrap();
    let signals = ccsig::read_path(&path).unwrap();
    match signals.c2pa.as_ref().unwrap() {
        Ok(creds) => assert_eq!(creds.state.as_str(), "invalid"),
        Err(e) => assert!(!e.is_empty()),
    }
    assert!(kinds(&path).contains(&FindingKind::C2paInvalid));
}

#[test]
fn trust_anchors_make_an_allowed_need_a_trusted_signer() {
    let signer_dir = tempfile::tempdir().unwrap();
    let path = signed_sample(
        signer_dir.path(),
        "jpeg/plain.jpg",
        json!({"cawg.ai_training": {"use": "allowed"}}),
    );
    let ours = fs::read_to_string(signer_dir.path().join("root.pem")).unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    c2pa_certificates(other_dir.path());
    let theirs = fs::read_to_string(other_dir.path().join("root.pem")).unwrap();

    let read = |pem: &str| {
        let options = ccsig::ReadOptions::default().with_c2pa_trust(pem).unwrap();
        ccsig::read_path_in(&path, options).unwrap()
    };
    // Our root: trusted, and the allowed counts.
    let signals = read(&ours);
    assert_eq!(signals.c2pa_state(), Some("trusted"));
    assert_eq!(signals.decisions["train-ai"], Decision::Allowed);
    // Another root: valid but untrusted, and the allowed is ignored.
    let signals = read(&theirs);
    assert_eq!(signals.c2pa_state(), Some("valid"));
    assert_eq!(signals.decisions["train-ai"], Decision::Unknown);
    let findings = ccsig::audit::check(&signals, None);
    assert!(
        findings.iter().any(|f| f.kind == FindingKind::Unverified),
        "{findings:?}"
    );

    // The same through the command line.
    let root = other_dir.path().join("root.pem");
    let o = ccsig(&[
        "decide",
        "--use",
        "train-ai",
        "--c2pa-trust",
        root.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    let r: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(
        (r["decision"].as_str(), r["usable"].as_bool()),
        (Some("unknown"), Some(false))
    );
    let ours_file = signer_dir.path().join("root.pem");
    let o = ccsig(&[
        "read",
        "--c2pa-trust",
        ours_file.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert!(
        stdout(&o).contains("C2PA Content Credentials (trusted)"),
        "{}",
        stdout(&o)
    );
    // Something that is no certificate is a usage error, before any file is read.
    let not_pem = other_dir.path().join("notes.txt");
    fs::write(&not_pem, "root certificates: ask Ada").unwrap();
    let o = ccsig(&[
        "check",
        "--c2pa-trust",
        not_pem.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not a PEM bundle of certificates"),
        "{}",
        stderr(&o)
    );
}

/// The signed JPEG's bytes with the padding assertion's CBOR (a one-entry
/// map holding `padding` bytes of text) replaced, in place and at the same
/// length, by `bomb` and then zeros.
fn with_cbor(signed: &[u8], padding: usize, bomb: &[u8]) -> Vec<u8> {
    let mut head = vec![0xa1, 0x64];
    head.extend_from_slice(b"text");
    head.extend_from_slice(&[0x79, (padding >> 8) as u8, padding as u8]);
    head.extend(std::iter::repeat_n(b'x', 16));
    let at = signed
        .windows(head.len())
        .position(|w| w == head)
        .expect("the padding assertion's CBOR");
    let len = head.len() - 16 + padding;
    let mut out = signed.to_vec();
    let mut filler = bomb.to_vec();
    filler.resize(len, 0);
    out[at..at + len].copy_from_slice(&filler);
    out
}

#[test]
fn cbor_bombs_in_an_assertion_are_a_finding_never_a_crash() {
    let d = tempfile::tempdir().unwrap();
    let padding = 8000;
    let source = fs::read(sample("jpeg/plain.jpg")).unwrap();
    let entries = json!({"cawg.ai_training": {"use": "notAllowed"}});
    let signed = signed_with(
        d.path(),
        &source,
        "image/jpeg",
        Some(entries),
        Some(padding),
    );
    let bombs: [(&str, Vec<u8>); 6] = [
        // Arrays nested thousands deep: a recursive decoder's stack.
        ("nested arrays", vec![0x81; padding]),
        ("nested maps", [0xa1, 0x00].repeat(padding / 2)),
        ("indefinite arrays", vec![0x9f; padding]),
        // Lengths that claim more than the file holds: an allocator's limit.
        (
            "a 2^64-item array",
            vec![0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ),
        (
            "a 2^64-byte string",
            vec![0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ),
        ("a 2^32-entry map", vec![0xba, 0xff, 0xff, 0xff, 0xff]),
    ];
    for (what, bomb) in bombs {
        let path = d.path().join("bomb.jpg");
        fs::write(&path, with_cbor(&signed, padding, &bomb)).unwrap();
        let signals = ccsig::read_path(&path).unwrap();
        match signals.c2pa.as_ref().unwrap() {
            Ok(creds) => assert_eq!(creds.state.as_str(), "invalid", "{what}"),
            Err(e) => assert!(!e.is_empty(), "{what}"),
        }
        assert!(kinds(&path).contains(&FindingKind::C2paInvalid), "{what}");
        // And the command reports it, file by file, with exit 1.
        let o = ccsig(&["check", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", stderr(&o));
    }
}

#[test]
fn a_cbor_length_past_its_box_keeps_the_store_from_the_crate_and_the_file_unusable() {
    let d = tempfile::tempdir().unwrap();
    let path = signed_sample(
        d.path(),
        "jpeg/plain.jpg",
        json!({"cawg.ai_training": {"use": "allowed"}}),
    );
    let mut bytes = fs::read(&path).unwrap();
    // The entry's "allowed" (a 7-byte text, 0x67) now claims 4 GiB.
    let at = bytes
        .windows(8)
        .position(|w| w == b"\x67allowed")
        .expect("the entry's use value");
    bytes[at..at + 5].copy_from_slice(&[0x7a, 0xff, 0xff, 0xff, 0xf0]);
    fs::write(&path, &bytes).unwrap();

    let signals = ccsig::read_path(&path).unwrap();
    let why = signals.c2pa.as_ref().unwrap().as_ref().unwrap_err();
    assert!(why.contains("claims more than the box holds"), "{why}");
    assert!(kinds(&path).contains(&FindingKind::C2paInvalid));
    // Credentials that cannot be read may say no: the file is not usable,
    // whatever else it says, unless unreadable files are.
    let mut pipeline = train("credit");
    pipeline.unknown = ccsig::UnknownPolicy::Allow;
    let d = pipeline.decide(&signals);
    assert_eq!(
        (d.state, d.usable),
        (ccsig::State::Unreadable, false),
        "{d:?}"
    );
    assert!(
        d.reason.contains("Content Credentials cannot be read"),
        "{}",
        d.reason
    );
    pipeline.unreadable = ccsig::UnreadablePolicy::Allow;
    assert!(pipeline.decide(&signals).usable);
}

#[test]
fn the_manifest_disagreeing_with_iim_or_a_sidecar_is_a_conflict_too() {
    let d = tempfile::tempdir().unwrap();
    let no = json!({"cawg.ai_training": {"use": "notAllowed"}});
    // A JPEG with IIM: ccsig writes the "yes" into XMP and 2:40 alike;
    // img-parts then takes the XMP out, so that only 2:40 says yes.
    let iim_only = d.path().join("iim.jpg");
    fs::copy(sample("jpeg/iim.jpg"), &iim_only).unwrap();
    let o = ccsig(&[
        "apply",
        "--expression",
        "train-ai=y",
        iim_only.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut jpeg = img_parts::jpeg::Jpeg::from_bytes(fs::read(&iim_only).unwrap().into()).unwrap();
    jpeg.segments_mut().retain(|s| {
        !(s.marker() == 0xE1 && s.contents().starts_with(b"http://ns.adobe.com/xap/1.0/\0"))
    });
    let iim_yes = jpeg.encoder().bytes().to_vec();
    let bytes = signed(d.path(), &iim_yes, "image/jpeg", Some(no.clone()));
    fs::write(&iim_only, bytes).unwrap();
    assert_conflict(&iim_only, |f| f.starts_with("IIM 2:40"));

    // A sidecar: the image itself states nothing but its manifest's "no".
    let photo = signed_sample(d.path(), "png/plain.png", no);
    let sidecar = d.path().join("plain.png.xmp");
    fs::write(
        &sidecar,
        common::packet("<ccsig:expression>train-ai=y</ccsig:expression>"),
    )
    .unwrap();
    let signals = ccsig::read_path(&photo).unwrap();
    assert_eq!(signals.decisions["train-ai"], Decision::Disallowed);
    assert_conflict(&photo, |f| f.contains("plain.png.xmp"));
}

#[test]
fn a_catalog_check_reads_with_the_trust_anchors_given() {
    let signer_dir = tempfile::tempdir().unwrap();
    let path = signed_sample(
        signer_dir.path(),
        "jpeg/plain.jpg",
        json!({"cawg.ai_training": {"use": "allowed"}}),
    );
    let other_dir = tempfile::tempdir().unwrap();
    c2pa_certificates(other_dir.path());
    let catalog = signer_dir.path().join("catalog.csv");
    fs::write(
        &catalog,
        format!(
            "path,expression,credit_name,credit_url\n{},train-ai=y,,\n",
            path.display()
        ),
    )
    .unwrap();
    let check = |extra: &[&str]| {
        let mut args = vec!["check", "--format", "jsonl", "--manifest"];
        args.push(catalog.to_str().unwrap());
        args.extend_from_slice(extra);
        let o = ccsig(&args);
        stdout(&o)
    };
    // Without anchors the signed "allowed" counts; with another root's it
    // is unverified, in a catalog check as in a check of paths.
    assert!(!check(&[]).contains("\"unverified\""));
    let root = other_dir.path().join("root.pem");
    let out = check(&["--c2pa-trust", root.to_str().unwrap()]);
    assert!(out.contains("\"unverified\""), "{out}");
}
