//! How ccsig treats the files around the images it writes: new sidecars
//! get the image's permissions; an absurd --jobs is capped;
//! exit codes follow one rule.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

#[test]
fn a_new_sidecar_gets_the_image_permissions() {
    for mode in [0o644, 0o640, 0o600] {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("a.jpg");
        fs::copy(common::sample("jpeg/plain.jpg"), &image).unwrap();
        fs::set_permissions(&image, fs::Permissions::from_mode(mode)).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_ccsig"))
            .args(["apply", "--signal", "cc-cr", "--sidecar"])
            .arg(&image)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let sidecar = dir.path().join("a.jpg.xmp");
        let got = fs::metadata(&sidecar).unwrap().permissions().mode() & 0o777;
        assert_eq!(got, mode, "sidecar mode {got:o}, image {mode:o}");
    }
}

#[test]
fn jobs_beyond_the_limit_are_capped_with_a_note() {
    let out = Command::new(env!("CARGO_BIN_EXE_ccsig"))
        .args(["check", "--jobs", "1000"])
        .arg(common::sample("tagged/ccsig-cr.png"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--jobs capped at"), "{stderr}");
    let out = Command::new(env!("CARGO_BIN_EXE_ccsig"))
        .args(["check", "--jobs", "2"])
        .arg(common::sample("tagged/ccsig-cr.png"))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("capped"));
}

#[test]
fn a_missing_path_beside_a_good_file_is_1_and_alone_is_2() {
    for command in [
        &["check"][..],
        &["read"],
        &["apply", "--signal", "cc-cr", "-n"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_ccsig"))
            .args(command)
            .arg("/nonexistent/ccsig-missing.jpg")
            .arg(common::sample("tagged/ccsig-cr.png"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{command:?}: {out:?}");
        let out = Command::new(env!("CARGO_BIN_EXE_ccsig"))
            .args(command)
            .arg("/nonexistent/ccsig-missing.jpg")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{command:?}: {out:?}");
    }
}
