//! Signing Content Credentials instead of refusing (issue 18): `apply
//! --c2pa-sign` writes the signal and then a new manifest, signed with the
//! user's key, that states it and keeps the file's earlier manifest as its
//! parent ingredient; `remove --c2pa-sign` signs a withdrawal.
//!
//! The signed files are checked with parsers other than the one that wrote
//! them: img-parts for every block but the manifest store and the XMP, the
//! `c2pa` crate's own reader for the manifest (its structure, not ccsig's
//! reading of it), and ExifTool for the JUMBF. The certificate chain is
//! made by `openssl` at test time; no key is committed.
#![cfg(feature = "c2pa")]

mod common;

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ccsig::signal::Decision;
use ccsig::tagging::{Change, FileError};
use ccsig::{ApplyRequest, FindingKind, SignalCode, SigningAlgorithm, SigningKey, WriteOptions};
use common::{c2pa_certificates, ccsig, foreign_blocks, run_tool, sample, stderr, stdout, tool};
use serde_json::Value;

/// A scratch folder with a signing chain (`chain.pem`, `signer.key`) and
/// the options that sign with it.
struct Signer {
    dir: tempfile::TempDir,
    options: WriteOptions,
}

impl Signer {
    fn new() -> Signer {
        let dir = tempfile::tempdir().unwrap();
        let (chain, key) = c2pa_certificates(dir.path());
        let key = SigningKey::from_pem(&chain, &key, SigningAlgorithm::Es256).unwrap();
        Signer {
            dir,
            options: WriteOptions {
                c2pa_sign: Some(Arc::new(key)),
                ..Default::default()
            },
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }

    /// A copy of the sample `rel` in the scratch folder.
    fn copy(&self, rel: &str) -> PathBuf {
        let path = self.dir.path().join(Path::new(rel).file_name().unwrap());
        fs::copy(sample(rel), &path).unwrap();
        path
    }
}

fn mime(path: &Path) -> &'static str {
    match path.extension().unwrap().to_str().unwrap() {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        _ => "image/webp",
    }
}

fn cr() -> ApplyRequest {
    ApplyRequest::from_signal(SignalCode::Cr, "train-ai").unwrap()
}

/// Every block img-parts sees that is neither the manifest store nor
/// ccsig's to change (XMP, IIM): these must come through signing as they were.
fn kept_blocks(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    foreign_blocks(bytes)
        .into_iter()
        .filter(|(name, _)| !matches!(name.as_str(), "JPEG marker EB" | "caBX" | "C2PA"))
        .collect()
}

/// The manifest store as the `c2pa` crate's reader gives it, as JSON.
fn store(path: &Path) -> Value {
    let reader = c2pa::Reader::from_context(
        c2pa::Context::new()
            .with_settings(r#"{"verify": {"remote_manifest_fetch": false, "ocsp_fetch": false}}"#)
            .unwrap(),
    )
    .with_stream(mime(path), Cursor::new(fs::read(path).unwrap()))
    .unwrap();
    serde_json::from_str(&reader.json()).unwrap()
}

fn active(store: &Value) -> &Value {
    &store["manifests"][store["active_manifest"].as_str().unwrap()]
}

fn assertion<'a>(manifest: &'a Value, label: &str) -> Option<&'a Value> {
    manifest["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["label"].as_str().unwrap().starts_with(label))
        .map(|a| &a["data"])
}

/// The signed store is valid, records a metadata edit, has the file as it
/// was as its parent ingredient, and states `use_value` for AI training.
fn assert_signed(path: &Path, use_value: &str) -> Value {
    let store = store(path);
    assert_ne!(store["validation_state"], "Invalid", "{store:#}");
    let manifest = active(&store);
    let actions = assertion(manifest, "c2pa.actions").expect("c2pa.actions");
    assert!(
        actions.to_string().contains("c2pa.edited.metadata"),
        "{actions}"
    );
    let parents: Vec<&Value> = manifest["ingredients"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["relationship"] == "parentOf")
        .collect();
    assert_eq!(parents.len(), 1, "{manifest:#}");
    let training = assertion(manifest, "cawg.training-mining");
    match use_value {
        "none" => assert!(training.is_none(), "{manifest:#}"),
        _ => {
            let entry = &training.expect("cawg.training-mining")["entries"]["cawg.ai_training"];
            assert_eq!(entry["use"], use_value, "{manifest:#}");
        }
    }
    store
}

#[test]
fn files_without_credentials_get_them_in_all_three_formats() {
    let signer = Signer::new();
    for rel in [
        "jpeg/plain.jpg",
        "jpeg/iim.jpg",
        "png/alpha.png",
        "png/xmp-after-idat.png",
        "webp/lossy.webp",
        "webp/animated.webp",
    ] {
        let path = signer.copy(rel);
        let before = fs::read(&path).unwrap();
        let outcome = ccsig::apply_path(&path, &cr(), &signer.options).unwrap();
        assert_eq!(outcome.change, Change::Written, "{rel}");
        let after = fs::read(&path).unwrap();
        assert_eq!(kept_blocks(&before), kept_blocks(&after), "{rel}");

        let store = assert_signed(&path, "constrained");
        let entry = &active(&store)["assertions"];
        assert!(
            entry
                .to_string()
                .contains("Content-Usage: train-ai=n;exceptions=cc-cr"),
            "{rel}: {entry}"
        );
        let signals = ccsig::read_path(&path).unwrap();
        assert_eq!(signals.c2pa_state(), Some("valid"), "{rel}");
        assert_eq!(
            signals.decisions["train-ai"],
            Decision::AllowedIf(vec![SignalCode::Cr]),
            "{rel}"
        );
        // XMP and credentials agree: nothing to report but the missing credit name.
        let found: Vec<FindingKind> = ccsig::check_path(&path, None)
            .into_iter()
            .map(|f| f.kind)
            .filter(|k| !matches!(k, FindingKind::Signed | FindingKind::Credit))
            .collect();
        assert!(found.is_empty(), "{rel}: {found:?}");
    }
}

#[test]
fn a_signed_file_keeps_its_manifest_as_the_new_ones_parent() {
    let signer = Signer::new();
    let path = signer.copy("c2pa/C_with_CAWG_data.jpg");
    let before = fs::read(&path).unwrap();
    let old = store(&path);
    let old_active = old["active_manifest"].as_str().unwrap().to_string();

    let outcome = ccsig::apply_path(&path, &cr(), &signer.options).unwrap();
    assert_eq!(outcome.change, Change::Written);
    // The signed "no" it supersedes is named.
    assert!(
        outcome
            .notes
            .iter()
            .any(|n| n.message.contains("parent ingredient")),
        "{:?}",
        outcome.notes
    );
    assert_eq!(kept_blocks(&before), kept_blocks(&fs::read(&path).unwrap()));
    let new = assert_signed(&path, "constrained");
    let parent = active(&new)["ingredients"][0].clone();
    assert_eq!(parent["active_manifest"], old_active.as_str(), "{parent:#}");
    // Every manifest of the old store is still there, and one more.
    let count = |s: &Value| s["manifests"].as_object().unwrap().len();
    assert_eq!(count(&new), count(&old) + 1);
    assert!(new["manifests"][&old_active].is_object());

    let signals = ccsig::read_path(&path).unwrap();
    assert_eq!(
        signals.decisions["train-ai"],
        Decision::AllowedIf(vec![SignalCode::Cr])
    );
}

#[test]
fn without_the_flags_a_signed_file_is_refused_and_untouched() {
    let signer = Signer::new();
    let path = signer.copy("c2pa/C_with_CAWG_data.jpg");
    let before = fs::read(&path).unwrap();
    let error = ccsig::apply_path(&path, &cr(), &WriteOptions::default()).unwrap_err();
    assert!(matches!(error, FileError::Refused(_)), "{error}");
    assert!(error.to_string().contains("--c2pa-sign"), "{error}");
    assert_eq!(fs::read(&path).unwrap(), before);

    let o = ccsig(&["apply", "--signal", "cc-cr", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("--c2pa-sign"), "{}", stdout(&o));
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn signing_again_changes_nothing_and_a_new_signal_signs_a_new_manifest() {
    let signer = Signer::new();
    let path = signer.copy("png/plain.png");
    ccsig::apply_path(&path, &cr(), &signer.options).unwrap();
    let signed = fs::read(&path).unwrap();
    let again = ccsig::apply_path(&path, &cr(), &signer.options).unwrap();
    assert_eq!(again.change, Change::Unchanged);
    assert_eq!(fs::read(&path).unwrap(), signed);

    // The XMP already holds it but the file is not signed: signing is a change.
    let unsigned = signer.copy("tagged/ccsig-cr.png");
    let outcome = ccsig::apply_path(&unsigned, &cr(), &signer.options).unwrap();
    assert_eq!(outcome.change, Change::Written);
    assert_signed(&unsigned, "constrained");

    let open = ApplyRequest::from_signal(SignalCode::CrOp, "train-ai").unwrap();
    let outcome = ccsig::apply_path(&path, &open, &signer.options).unwrap();
    assert_eq!(outcome.change, Change::Written);
    let store = assert_signed(&path, "constrained");
    assert_eq!(store["manifests"].as_object().unwrap().len(), 2);
    assert!(active(&store)["assertions"]
        .to_string()
        .contains("exceptions=cc-cr-op"));
    let yes = ApplyRequest::from_expression("train-ai=y").unwrap();
    ccsig::apply_path(&path, &yes, &signer.options).unwrap();
    assert_signed(&path, "allowed");
    assert_eq!(
        ccsig::read_path(&path).unwrap().decisions["train-ai"],
        Decision::Allowed
    );
}

#[test]
fn remove_signs_a_manifest_that_withdraws_the_preference() {
    let signer = Signer::new();
    let path = signer.copy("webp/lossless.webp");
    ccsig::apply_path(&path, &cr(), &signer.options).unwrap();
    let tagged = fs::read(&path).unwrap();

    // Without signing, remove refuses: the file is signed now.
    let error = ccsig::remove_path(&path, &WriteOptions::default()).unwrap_err();
    assert!(error.to_string().contains("--c2pa-sign"), "{error}");
    assert_eq!(fs::read(&path).unwrap(), tagged);

    let outcome = ccsig::remove_path(&path, &signer.options).unwrap();
    assert_eq!(outcome.change, Change::Removed);
    assert_eq!(kept_blocks(&tagged), kept_blocks(&fs::read(&path).unwrap()));
    assert_signed(&path, "none");
    let signals = ccsig::read_path(&path).unwrap();
    assert!(signals.sources.is_empty(), "{:?}", signals.sources);
    assert_eq!(signals.decisions["train-ai"], Decision::Unknown);
    let kinds: Vec<FindingKind> = ccsig::check_path(&path, None)
        .into_iter()
        .map(|f| f.kind)
        .collect();
    assert!(kinds.contains(&FindingKind::C2paHistory), "{kinds:?}");
    // Nothing of ccsig's is left to remove.
    let again = ccsig::remove_path(&path, &signer.options).unwrap();
    assert_eq!(again.change, Change::Unchanged);
}

#[test]
fn in_memory_writes_and_dry_runs_sign_like_files() {
    let signer = Signer::new();
    let original = fs::read(sample("jpeg/exif.jpg")).unwrap();
    let (new, outcome) = ccsig::apply_bytes(&original, &cr(), &signer.options).unwrap();
    assert_eq!(outcome.change, Change::Written);
    let new = new.unwrap();
    assert_eq!(kept_blocks(&original), kept_blocks(&new));
    let signals = ccsig::read_bytes(&new).unwrap();
    assert_eq!(signals.c2pa_state(), Some("valid"));

    let path = signer.copy("jpeg/exif.jpg");
    let dry = WriteOptions {
        dry_run: true,
        ..signer.options.clone()
    };
    let outcome = ccsig::apply_path(&path, &cr(), &dry).unwrap();
    assert_eq!(outcome.change, Change::WouldWrite);
    assert_eq!(fs::read(&path).unwrap(), original);
}

#[test]
fn the_cli_signs_and_refuses_a_key_that_cannot_sign_before_touching_a_file() {
    let signer = Signer::new();
    let path = signer.copy("jpeg/xmp-rich.jpg");
    let before = fs::read(&path).unwrap();
    let file = path.to_str().unwrap();
    let (chain, key, root_key) = (
        signer.path("chain.pem"),
        signer.path("signer.key"),
        signer.path("root.key"),
    );
    let refused = [
        // The root's key does not match the signer's certificate.
        (
            vec!["--c2pa-sign", &chain, "--c2pa-key", &root_key],
            "--c2pa-sign",
        ),
        // A P-256 key is not an ES384 key.
        (
            vec![
                "--c2pa-sign",
                &chain,
                "--c2pa-key",
                &key,
                "--c2pa-alg",
                "es384",
            ],
            "--c2pa-sign",
        ),
        (
            vec![
                "--c2pa-sign",
                &chain,
                "--c2pa-key",
                &key,
                "--c2pa-alg",
                "rs256",
            ],
            "not a signing algorithm",
        ),
        (vec!["--c2pa-key", &key], "--c2pa-sign"),
        (
            vec!["--c2pa-sign", &chain, "--c2pa-key", &key, "--sidecar"],
            "cannot be used with",
        ),
        (
            vec!["--c2pa-sign", "no/such.pem", "--c2pa-key", &key],
            "cannot read",
        ),
    ];
    for (flags, says) in refused {
        let mut args = vec!["apply", "--signal", "cc-cr"];
        args.extend(flags.iter().copied());
        args.push(file);
        let o = ccsig(&args);
        assert_eq!(o.status.code(), Some(2), "{flags:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{flags:?}: {}", stderr(&o));
        assert_eq!(fs::read(&path).unwrap(), before, "{flags:?}");
    }

    let o = ccsig(&[
        "apply",
        "--signal",
        "cc-cr-ec",
        "--c2pa-sign",
        &chain,
        "--c2pa-key",
        &key,
        "--format",
        "json",
        file,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_signed(&path, "constrained");
    let o = ccsig(&["read", "--format", "json", file]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v[0]["c2pa_state"], "valid");
    // With the test root as a trust anchor the new signer is trusted.
    let root = signer.path("root.pem");
    let o = ccsig(&["read", "--format", "json", "--c2pa-trust", &root, file]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v[0]["c2pa_state"], "trusted", "{v:#}");
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn exiftool_shows_the_new_manifests_training_and_mining_assertion() {
    let exiftool = tool("exiftool");
    let signer = Signer::new();
    for rel in ["jpeg/plain.jpg", "png/plain.png", "webp/lossy.webp"] {
        let path = signer.copy(rel);
        ccsig::apply_path(&path, &cr(), &signer.options).unwrap();
        let file = path.to_str().unwrap();
        // Its JUMBF boxes, as ExifTool lists them.
        let listing = run_tool(&exiftool, &["-a", "-G1", "-JUMBF:JUMDLabel", file]);
        assert!(
            listing
                .lines()
                .any(|l| l.contains("JUMD Label") && l.ends_with(": cawg.training-mining")),
            "{rel}: {listing}"
        );
        // And the assertion's CBOR, decoded.
        let out = run_tool(&exiftool, &["-G1", "-j", "-CBOR:all", file]);
        let v: Value = serde_json::from_str(&out).unwrap();
        let tags = v[0].as_object().unwrap();
        assert_eq!(
            tags.get("CBOR:EntriesCawgAi_TrainingUse"),
            Some(&Value::from("constrained")),
            "{rel}: {out}"
        );
        let info = tags["CBOR:EntriesCawgAi_TrainingConstraint_Info"]
            .as_str()
            .unwrap();
        assert!(
            info.contains("Content-Usage: train-ai=n;exceptions=cc-cr"),
            "{rel}: {info}"
        );
    }
}

#[test]
fn the_signed_sample_and_the_script_that_makes_it_agree() {
    let committed = sample("c2pa/ccsig-signed-cr.jpg");
    let out = tempfile::tempdir().unwrap();
    let script = sample("c2pa/make-signed.sh");
    let o = std::process::Command::new("bash")
        .arg(&script)
        .arg(out.path())
        .env("CCSIG", env!("CARGO_BIN_EXE_ccsig"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let remade = out.path().join("ccsig-signed-cr.jpg");
    for path in [&committed, &remade] {
        assert_signed(path, "constrained");
        let signals = ccsig::read_path(path).unwrap();
        assert_eq!(signals.c2pa_state(), Some("valid"));
        assert_eq!(
            signals.decisions["train-ai"],
            Decision::AllowedIf(vec![SignalCode::Cr])
        );
        assert_eq!(signals.credit.name.as_deref(), Some("Ada Example"));
        let kinds: Vec<FindingKind> = ccsig::check_path(path, None)
            .into_iter()
            .map(|f| f.kind)
            .collect();
        assert_eq!(kinds, [FindingKind::Signed], "{}", path.display());
    }
    // The same image data and foreign metadata as the file it was made from.
    let source = fs::read(sample("jpeg/xmp-rich.jpg")).unwrap();
    assert_eq!(
        kept_blocks(&source),
        kept_blocks(&fs::read(&committed).unwrap())
    );
}
