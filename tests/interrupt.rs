//! Ctrl-C, SIGTERM or SIGHUP (a closed terminal) in the middle of a batch:
//! ccsig finishes the files in progress and stops; every file is either
//! untouched or completely tagged, and no temporary file is left behind.
//! After SIGKILL, the next run removes the temporary file the killed one
//! left.

mod common;

use std::fs;
use std::process::{Command, Stdio};
use std::time::Duration;

const FILES: usize = 2000;

#[test]
fn sigint_leaves_every_file_old_or_new() {
    signal_leaves_every_file_old_or_new("INT");
}

#[test]
fn sigterm_leaves_every_file_old_or_new() {
    signal_leaves_every_file_old_or_new("TERM");
}

#[test]
fn sighup_leaves_every_file_old_or_new() {
    signal_leaves_every_file_old_or_new("HUP");
}

#[test]
fn a_stale_temporary_is_reported_by_check_and_removed_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(common::sample("jpeg/plain.jpg"), dir.path().join("a.jpg")).unwrap();
    // What a SIGKILLed ccsig leaves: an unlocked temporary file.
    let stale = dir.path().join(".ccsig-AbC123.tmp");
    fs::write(&stale, b"half a JPEG").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ccsig"))
        .args(["check", "--format", "jsonl"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let reported: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("\"stale_temporary\""))
        .collect();
    assert_eq!(reported.len(), 1, "{stdout}");
    assert!(reported[0].contains(".ccsig-AbC123.tmp"), "{stdout}");
    assert!(stale.exists(), "check must not delete anything");
    let out = Command::new(env!("CARGO_BIN_EXE_ccsig"))
        .args(["apply", "--signal", "cc-cr"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(!stale.exists(), "stale temporary left behind");
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["a.jpg"]);
}

fn signal_leaves_every_file_old_or_new(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let original = fs::read(common::sample("png/multi-idat.png")).unwrap();
    for i in 0..FILES {
        fs::write(dir.path().join(format!("img{i:04}.png")), &original).unwrap();
    }
    let child = Command::new(env!("CARGO_BIN_EXE_ccsig"))
        .args([
            "apply", "--signal", "cc-cr", "--jobs", "2", "--format", "jsonl",
        ])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the batch is under way (the handler is installed by
    // then), however slow the machine: wait for the first rewritten file.
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        // Entries may vanish meanwhile (temporary files being renamed).
        let any_written = fs::read_dir(dir.path()).unwrap().any(|e| {
            e.ok()
                .and_then(|e| e.metadata().ok())
                .is_some_and(|m| m.len() != original.len() as u64)
        });
        if any_written {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let (mut old, mut new) = (0, 0);
    for entry in fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.starts_with(".ccsig-"), "temporary file left: {name}");
        let bytes = fs::read(&path).unwrap();
        if bytes == original {
            old += 1;
        } else {
            assert_eq!(
                common::foreign_blocks(&bytes),
                common::foreign_blocks(&original),
                "{name}"
            );
            let signals = ccsig::read_bytes(&bytes).unwrap();
            assert!(
                signals.xmp.unwrap().expression.is_some(),
                "{name} half-written"
            );
            new += 1;
        }
    }
    assert_eq!(old + new, FILES);
    if out.status.code() == Some(130) {
        assert!(old > 0, "interrupted yet every file was written");
        // The run says it was interrupted, not only by its exit code.
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("ccsig: interrupted after"), "{said}");
        eprintln!("interrupted after {new} of {FILES} files");
    } else {
        // The machine finished them all before the signal arrived.
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(new, FILES);
    }
}
