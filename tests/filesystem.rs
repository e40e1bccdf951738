//! What ccsig guarantees about the files it rewrites (docs/reliability.md):
//! hard links are not split silently, times are kept on request, extended
//! attributes and ACLs are kept, read-only files and full or read-only
//! file systems leave the original as it was, and a concurrent writer
//! (another program or another ccsig) never ends in a mix.
//!
//! Test files live under the crate's `target/` directory (a real disk:
//! tmpfs does not take user extended attributes on every kernel). The
//! tests that need root (mounts, `chattr`) are ignored by default; CI runs
//! them as root with `cargo test --release --test filesystem -- --ignored`.

mod common;

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime};

use ccsig::signal::{Decision, SignalCode};
use ccsig::tagging::{Change, WriteOptions};
use ccsig::ApplyRequest;

/// A fresh folder on the disk `target/` is on.
fn scratch_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("fs-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

fn copy_in(dir: &Path, rel: &str, name: &str) -> PathBuf {
    let path = dir.join(name);
    fs::copy(common::sample(rel), &path).unwrap();
    path
}

fn ccsig(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ccsig"))
        .args(args)
        .args(paths)
        .output()
        .unwrap()
}

fn all_output(out: &Output) -> String {
    format!("{}{}", common::stdout(out), common::stderr(out))
}

/// ccsig's temporary files left in `dir`.
fn temporaries(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".ccsig-"))
        .collect()
}

/// The train-ai decision the file states.
fn decision(path: &Path) -> Decision {
    ccsig::read_path(path).unwrap().decisions["train-ai"].clone()
}

/// A JPEG of about `len` bytes: the head of a sample up to its SOS header,
/// `len` bytes of entropy-coded zeros (written, not sparse), then EOI.
fn big_jpeg(path: &Path, len: usize) {
    let sample = fs::read(common::sample("jpeg/exif.jpg")).unwrap();
    let layout = ccsig::internals::container::scan(&mut std::io::Cursor::new(&sample)).unwrap();
    let sos = layout.blocks.last().unwrap().range.start as usize;
    let sos_len = u16::from_be_bytes([sample[sos + 2], sample[sos + 3]]) as usize;
    let mut f = File::create(path).unwrap();
    f.write_all(&sample[..sos + 2 + sos_len]).unwrap();
    f.write_all(&vec![0u8; len]).unwrap();
    f.write_all(&[0xFF, 0xD9]).unwrap();
}

// 1. Hard links

#[test]
fn a_hard_linked_file_is_refused_by_apply_and_remove_and_left_as_it_was() {
    let dir = scratch_dir();
    let plain = copy_in(dir.path(), "jpeg/plain.jpg", "plain.jpg");
    let tagged = copy_in(dir.path(), "tagged/ccsig-cr.png", "tagged.png");
    fs::hard_link(&plain, dir.path().join("plain-link.jpg")).unwrap();
    fs::hard_link(&tagged, dir.path().join("tagged-link.png")).unwrap();
    for (command, path) in [
        (&["apply", "--signal", "cc-cr-ec"][..], &plain),
        (&["apply", "--signal", "cc-cr-ec", "--dry-run"], &plain),
        (&["remove"], &tagged),
    ] {
        let before = fs::read(path).unwrap();
        let inode = fs::metadata(path).unwrap().ino();
        let out = ccsig(command, &[path]);
        assert_eq!(out.status.code(), Some(1), "{command:?}: {out:?}");
        let expected = "has 2 hard links; rewriting would split them; --break-hardlinks to proceed";
        assert!(all_output(&out).contains(expected), "{command:?}: {out:?}");
        assert_eq!(fs::read(path).unwrap(), before, "{command:?}");
        let meta = fs::metadata(path).unwrap();
        assert_eq!((meta.ino(), meta.nlink()), (inode, 2), "{command:?}");
    }
    assert!(temporaries(dir.path()).is_empty());
}

#[test]
fn break_hardlinks_rewrites_the_name_given_and_the_other_link_keeps_the_old_content() {
    let dir = scratch_dir();
    let path = copy_in(dir.path(), "jpeg/xmp-rich.jpg", "a.jpg");
    let other = dir.path().join("b.jpg");
    fs::hard_link(&path, &other).unwrap();
    let before = fs::read(&path).unwrap();
    let out = ccsig(
        &["apply", "--signal", "cc-cr", "--break-hardlinks"],
        &[&path],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(decision(&path), Decision::AllowedIf(vec![SignalCode::Cr]));
    assert_eq!(
        common::foreign_blocks(&fs::read(&path).unwrap()),
        common::foreign_blocks(&before)
    );
    assert_eq!(
        fs::read(&other).unwrap(),
        before,
        "the other link is as it was"
    );
    assert_eq!(fs::metadata(&path).unwrap().nlink(), 1);
    assert_eq!(fs::metadata(&other).unwrap().nlink(), 1);
}

// 2. Times

#[test]
fn preserve_mtime_keeps_the_modification_time_and_without_it_the_time_moves() {
    let dir = scratch_dir();
    let kept = copy_in(dir.path(), "jpeg/plain.jpg", "kept.jpg");
    let moved = copy_in(dir.path(), "jpeg/plain.jpg", "moved.jpg");
    let then = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for path in [&kept, &moved] {
        let times = fs::FileTimes::new().set_modified(then).set_accessed(then);
        File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_times(times)
            .unwrap();
    }
    let out = ccsig(
        &["apply", "--signal", "cc-cr", "--preserve-mtime"],
        &[&kept],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = ccsig(&["apply", "--signal", "cc-cr"], &[&moved]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    for path in [&kept, &moved] {
        assert_eq!(decision(path), Decision::AllowedIf(vec![SignalCode::Cr]));
    }
    assert_eq!(fs::metadata(&kept).unwrap().modified().unwrap(), then);
    assert_ne!(fs::metadata(&moved).unwrap().modified().unwrap(), then);
}

// 3. Extended attributes and ACLs

#[test]
fn extended_attributes_are_kept() {
    let dir = scratch_dir();
    let path = copy_in(dir.path(), "png/plain.png", "a.png");
    let sidecar = dir.path().join("a.png.xmp");
    let out = ccsig(&["apply", "--signal", "cc-cr", "--sidecar"], &[&path]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    for file in [&path, &sidecar] {
        xattr::set(file, "user.ccsig-test", b"keep me\0and my bytes").unwrap();
        xattr::set(file, "user.ccsig-empty", b"").unwrap();
    }
    let inode = fs::metadata(&path).unwrap().ino();
    // Rewrites the image and updates its sidecar.
    let out = ccsig(&["apply", "--signal", "cc-cr-op"], &[&path]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_ne!(fs::metadata(&path).unwrap().ino(), inode, "rewritten");
    assert_eq!(decision(&path), Decision::AllowedIf(vec![SignalCode::CrOp]));
    for file in [&path, &sidecar] {
        assert_eq!(
            xattr::get(file, "user.ccsig-test").unwrap().as_deref(),
            Some(&b"keep me\0and my bytes"[..]),
            "{}",
            file.display()
        );
        assert_eq!(
            xattr::get(file, "user.ccsig-empty").unwrap().as_deref(),
            Some(&b""[..])
        );
    }
}

#[test]
#[cfg_attr(
    not(ccsig_has_setfacl),
    ignore = "setfacl not found (apt-get install acl)"
)]
fn an_acl_is_kept() {
    let setfacl = common::tool("setfacl");
    let dir = scratch_dir();
    let path = copy_in(dir.path(), "webp/lossy.webp", "a.webp");
    let out = Command::new(&setfacl)
        .args(["-m", "u:nobody:rw,g:nogroup:r"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let acl = |p: &Path| {
        let out = Command::new("getfacl")
            .args(["--omit-header", "--numeric"])
            .arg(p)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let before = acl(&path);
    assert!(before.contains("user:65534:rw-"), "{before}");
    let stored = xattr::get(&path, "system.posix_acl_access").unwrap();
    assert!(stored.is_some());
    let mode = fs::metadata(&path).unwrap().mode();
    let inode = fs::metadata(&path).unwrap().ino();
    let out = ccsig(&["apply", "--signal", "cc-cr"], &[&path]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_ne!(fs::metadata(&path).unwrap().ino(), inode, "rewritten");
    assert_eq!(acl(&path), before);
    assert_eq!(
        xattr::get(&path, "system.posix_acl_access").unwrap(),
        stored
    );
    assert_eq!(fs::metadata(&path).unwrap().mode(), mode);
}

// 4. Read-only file, read-only folder, full disk

#[test]
fn a_read_only_file_is_refused_and_left_as_it_was() {
    let dir = scratch_dir();
    let path = copy_in(dir.path(), "jpeg/iim.jpg", "a.jpg");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    let before = fs::read(&path).unwrap();
    let inode = fs::metadata(&path).unwrap().ino();
    // As root the kernel would allow it: this is ccsig's own check.
    let out = ccsig(&["apply", "--signal", "cc-cr"], &[&path]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        all_output(&out).contains("is read-only (mode 444)"),
        "{out:?}"
    );
    assert_eq!(fs::read(&path).unwrap(), before);
    let meta = fs::metadata(&path).unwrap();
    assert_eq!((meta.ino(), meta.mode() & 0o7777), (inode, 0o444));
    assert!(temporaries(dir.path()).is_empty());
}

/// Runs a command that must succeed (a root-only test's setup).
fn run(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(out.status.success(), "{program} {args:?}: {out:?}");
}

/// Undoes a root-only test's setup even when the test fails.
struct Undo(Vec<(&'static str, Vec<String>)>);

impl Drop for Undo {
    fn drop(&mut self) {
        for (program, args) in self.0.iter().rev() {
            let _ = Command::new(program).args(args).output();
        }
    }
}

/// Makes `folder` immutable (`chattr +i`: root may write into a mode-0555
/// folder, not into an immutable one) until the guard is dropped.
fn freeze(folder: &Path) -> Undo {
    let shown = folder.to_str().unwrap();
    run("chattr", &["+i", shown]);
    Undo(vec![("chattr", vec!["-i".into(), shown.into()])])
}

/// Runs `apply` with `signal` on `path` in a frozen folder and checks that
/// it fails naming the file and `reason`, leaving the file and no
/// temporary.
fn refused_in_frozen_folder(path: &Path, signal: &str, reason: &str) {
    let folder = path.parent().unwrap();
    let before = fs::read(path).unwrap();
    let _undo = freeze(folder);
    let out = ccsig(&["apply", "--signal", signal], &[path]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = all_output(&out);
    assert!(text.contains(reason) && text.contains("a.jpg"), "{text}");
    assert_eq!(fs::read(path).unwrap(), before);
    assert!(temporaries(folder).is_empty());
}

#[test]
#[cfg_attr(
    not(ccsig_is_root),
    ignore = "needs root (mount, chattr): run the tests as root"
)]
fn a_read_only_folder_gives_a_clear_error_and_the_original_stays() {
    let dir = scratch_dir();
    let folder = dir.path().join("frozen");
    fs::create_dir(&folder).unwrap();
    let path = copy_in(&folder, "jpeg/exif.jpg", "a.jpg");
    refused_in_frozen_folder(&path, "cc-cr", "cannot write next to the original");
}

#[test]
#[cfg_attr(
    not(ccsig_is_root),
    ignore = "needs root (mount, chattr): run the tests as root"
)]
fn a_re_tag_in_a_read_only_folder_is_refused_for_want_of_its_journal() {
    let dir = scratch_dir();
    let folder = dir.path().join("frozen");
    fs::create_dir(&folder).unwrap();
    let path = copy_in(&folder, "jpeg/exif.jpg", "a.jpg");
    let tagged = ccsig(&["apply", "--signal", "cc-cr"], &[&path]);
    assert!(tagged.status.success(), "{tagged:?}");
    // The file itself stays writable: only its folder is immutable, so the
    // overwrite could be done, but not crash-safely.
    refused_in_frozen_folder(&path, "cc-cr-op", "cannot write the undo journal");
}

#[test]
#[cfg_attr(
    not(ccsig_is_root),
    ignore = "needs root (mount, chattr): run the tests as root"
)]
fn a_full_disk_gives_a_clear_error_and_leaves_the_original_and_no_temporary() {
    let dir = scratch_dir();
    let mount = dir.path().join("small");
    fs::create_dir(&mount).unwrap();
    let shown = mount.to_str().unwrap();
    run("mount", &["-t", "tmpfs", "-o", "size=1m", "tmpfs", shown]);
    let _undo = Undo(vec![("umount", vec![shown.into()])]);
    let path = mount.join("big.jpg");
    big_jpeg(&path, 600 * 1024);
    let before = fs::read(&path).unwrap();
    let out = ccsig(&["apply", "--signal", "cc-cr"], &[&path]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = all_output(&out);
    assert!(
        text.contains("big.jpg") && text.contains("No space left on device"),
        "{text}"
    );
    assert_eq!(fs::read(&path).unwrap(), before);
    assert!(temporaries(&mount).is_empty(), "{:?}", temporaries(&mount));
}

// 5. A change by someone else while ccsig works

/// How the other program saves its version.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Save {
    /// Truncates and writes the file in place.
    InPlace,
    /// Writes a new file and renames it over (as ccsig itself does).
    Rename,
}

#[test]
fn a_file_changed_during_apply_is_never_a_mix() {
    let dir = scratch_dir();
    let theirs = fs::read(common::sample("jpeg/xmp-rich.jpg")).unwrap();
    let request = ApplyRequest::from_signal(SignalCode::CrEc, "train-ai").unwrap();
    let mut tally = std::collections::BTreeMap::<String, usize>::new();
    // After a delay from ccsig's start, or (None) once its temporary exists.
    let timings = [Some(0), Some(5), Some(20), Some(80), None, None];
    for (i, (save, delay_ms)) in [Save::InPlace, Save::Rename]
        .into_iter()
        .flat_map(|save| timings.map(|t| (save, t)))
        .enumerate()
    {
        let case = format!("{save:?} after {delay_ms:?} ms");
        let path = dir.path().join(format!("big-{i}.jpg"));
        big_jpeg(&path, 48 * 1024 * 1024);
        let outcome = std::thread::scope(|s| {
            let ours = s.spawn(|| ccsig::apply_path(&path, &request, &WriteOptions::default()));
            match delay_ms {
                Some(ms) => std::thread::sleep(Duration::from_millis(ms)),
                None => {
                    let start = Instant::now();
                    while temporaries(dir.path()).is_empty()
                        && start.elapsed() < Duration::from_secs(10)
                    {
                        std::hint::spin_loop();
                    }
                }
            }
            match save {
                Save::InPlace => fs::write(&path, &theirs).unwrap(),
                Save::Rename => {
                    let new = dir.path().join(format!("their-save-{i}"));
                    fs::write(&new, &theirs).unwrap();
                    fs::rename(&new, &path).unwrap();
                }
            }
            ours.join().unwrap()
        });
        let after = fs::read(&path).unwrap();
        let what = match outcome {
            Err(e) => {
                // Changed meanwhile (or read while half-written): theirs
                // is kept exactly.
                assert_eq!(after, theirs, "{case}: {e}");
                let e = e.to_string();
                if save == Save::Rename && delay_ms.is_none() {
                    assert!(
                        e.contains("changed while ccsig was working on it"),
                        "{case}: {e}"
                    );
                }
                e
            }
            Ok(outcome) if after == theirs => {
                // Their save landed after ccsig's rename, over it.
                assert_eq!(outcome.change, Change::Written, "{case}");
                "written, then theirs over it".to_string()
            }
            Ok(outcome) => {
                // Their save landed before ccsig read: written on top of it.
                assert_eq!(outcome.change, Change::Written, "{case}");
                assert_eq!(
                    common::foreign_blocks(&after),
                    common::foreign_blocks(&theirs),
                    "{case}"
                );
                assert_eq!(decision(&path), Decision::AllowedIf(vec![SignalCode::CrEc]));
                "written on top of theirs".to_string()
            }
        };
        *tally.entry(what).or_default() += 1;
        assert!(temporaries(dir.path()).is_empty(), "{case}");
    }
    eprintln!("outcomes: {tally:#?}");
}

// 6. Two ccsig runs on one tree

#[test]
fn two_runs_on_one_tree_leave_each_file_with_one_of_the_two_signals() {
    let dir = scratch_dir();
    let samples = [
        "jpeg/plain.jpg",
        "jpeg/iim.jpg",
        "jpeg/xmp-rich.jpg",
        "png/plain.png",
        "png/iim-raw-profile.png",
        "webp/lossy.webp",
        "webp/exif.webp",
        "tagged/ccsig-cr.png",
    ];
    let mut files = Vec::new();
    for i in 0..200 {
        let rel = samples[i % samples.len()];
        let ext = Path::new(rel).extension().unwrap().to_str().unwrap();
        let sub = dir.path().join(format!("d{}", i % 4));
        fs::create_dir_all(&sub).unwrap();
        let path = copy_in(&sub, rel, &format!("{i:03}.{ext}"));
        files.push((path, fs::read(common::sample(rel)).unwrap()));
    }
    let spawn = |signal: &str| {
        Command::new(env!("CARGO_BIN_EXE_ccsig"))
            .args([
                "apply", "--signal", signal, "--format", "jsonl", "--jobs", "2",
            ])
            .arg(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let runs = [spawn("cc-cr"), spawn("cc-cr-dc")];
    let outputs: Vec<Output> = runs
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for out in &outputs {
        assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
        let mut failed = 0;
        for line in common::stdout(out).lines() {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            match row["status"].as_str().unwrap() {
                "written" | "unchanged" => {}
                "error" => {
                    failed += 1;
                    let error = row["error"].as_str().unwrap();
                    assert!(
                        error.contains("changed while ccsig was working on it"),
                        "{row}"
                    );
                }
                other => panic!("unexpected status {other}: {row}"),
            }
        }
        assert_eq!(out.status.code() == Some(1), failed > 0, "{out:?}");
    }
    let signals = [
        Decision::AllowedIf(vec![SignalCode::Cr]),
        Decision::AllowedIf(vec![SignalCode::CrDc]),
    ];
    for (path, original) in &files {
        let read = ccsig::read_path(path).unwrap();
        assert!(
            signals.contains(&read.decisions["train-ai"]),
            "{}: {:?}",
            path.display(),
            read.decisions
        );
        let first = &read.sources[0].expression;
        assert!(
            read.sources.iter().all(|s| &s.expression == first),
            "{}: fields disagree",
            path.display()
        );
        assert_eq!(
            common::foreign_blocks(&fs::read(path).unwrap()),
            common::foreign_blocks(original),
            "{}",
            path.display()
        );
    }
    for d in 0..4 {
        assert!(temporaries(&dir.path().join(format!("d{d}"))).is_empty());
    }
}
