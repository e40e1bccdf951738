//! Re-tagging in place (issue 12): a file whose XMP packet (ccsig's, with
//! its 2 KB of padding) has room for the new one gets only the packet's
//! bytes rewritten, under an undo journal; everything else is the same
//! inode, the same bytes. And the journal: replayed after a crash, torn
//! ones discarded, reported by `check`, never touched by read-only runs.

mod common;

use std::fs;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use ccsig::batch::journal::{self, Journal};
use ccsig::signal::{Decision, SignalCode};
use ccsig::{apply_path, ApplyRequest, WriteOptions};
use common::{foreign_blocks, scratch, tool};

/// Samples without an XMP packet: ccsig creates theirs, padded.
const UNPACKETED: [&str; 3] = ["jpeg/plain.jpg", "png/plain.png", "webp/lossy.webp"];

fn request(signal: SignalCode) -> ApplyRequest {
    ApplyRequest::from_signal(signal, "train-ai").unwrap()
}

fn tag(path: &Path, signal: SignalCode, opts: &WriteOptions) -> ccsig::tagging::Outcome {
    apply_path(path, &request(signal), opts).unwrap()
}

fn decision(path: &Path) -> Option<Decision> {
    ccsig::read_path(path)
        .unwrap()
        .decisions
        .get("train-ai")
        .cloned()
}

fn journals(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| journal::is_journal_name(p))
        .collect()
}

/// Each chunk's CRC, checked independently of ccsig and img-parts.
fn png_crcs_valid(bytes: &[u8]) -> bool {
    let mut at = 8;
    while at + 12 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let end = at + 8 + len;
        let stored = u32::from_be_bytes(bytes[end..end + 4].try_into().unwrap());
        if crc32fast::hash(&bytes[at + 4..end]) != stored {
            return false;
        }
        at = end + 4;
    }
    at == bytes.len()
}

#[test]
fn a_retag_rewrites_only_the_packet_in_the_same_inode() {
    let (dir, paths) = scratch(&UNPACKETED);
    for path in &paths {
        tag(path, SignalCode::Cr, &WriteOptions::default());
        let before = fs::read(path).unwrap();
        let packet = common::xmp_packet(&before).unwrap();
        assert!(packet.contains(&" ".repeat(99)), "ccsig's packet is padded");
        let inode = fs::metadata(path).unwrap().ino();

        let outcome = tag(path, SignalCode::CrOp, &WriteOptions::default());
        assert!(
            outcome.notes.iter().any(|n| n.message.contains("in place")),
            "{}: {:?}",
            path.display(),
            outcome.notes
        );
        let after = fs::read(path).unwrap();
        assert_eq!(fs::metadata(path).unwrap().ino(), inode);
        assert_eq!(after.len(), before.len());
        assert_eq!(foreign_blocks(&after), foreign_blocks(&before));
        assert_eq!(
            decision(path),
            Some(Decision::AllowedIf(vec![SignalCode::CrOp]))
        );
        // Outside the packet (and a PNG chunk's CRC) not a byte moved.
        let first = before.iter().zip(&after).position(|(a, b)| a != b).unwrap();
        let last = before.len()
            - before
                .iter()
                .rev()
                .zip(after.iter().rev())
                .position(|(a, b)| a != b)
                .unwrap();
        let start = before.windows(9).position(|w| w == b"<?xpacket").unwrap();
        assert!(
            first >= start && last - first < packet.len() + 4,
            "{}",
            path.display()
        );
        if path.extension().unwrap() == "png" {
            assert!(
                png_crcs_valid(&after),
                "{}: a chunk CRC is wrong",
                path.display()
            );
        }
        // The library's in-memory write gives the same bytes.
        let (from_buffer, _) = ccsig::apply_bytes(
            &before,
            &request(SignalCode::CrOp),
            &WriteOptions::default(),
        )
        .unwrap();
        assert_eq!(from_buffer.as_deref(), Some(after.as_slice()));
    }
    assert!(journals(dir.path()).is_empty());
}

#[test]
fn no_in_place_and_hard_links_get_a_fresh_copy() {
    let (dir, paths) = scratch(&["jpeg/plain.jpg"]);
    let path = &paths[0];
    tag(path, SignalCode::Cr, &WriteOptions::default());
    let inode = fs::metadata(path).unwrap().ino();
    let fresh = WriteOptions {
        no_in_place: true,
        ..Default::default()
    };
    tag(path, SignalCode::CrOp, &fresh);
    assert_ne!(fs::metadata(path).unwrap().ino(), inode);

    // Hard-linked: refused as ever; with --break-hardlinks, copied (the
    // other name keeps the old content, which an overwrite would change).
    let other = dir.path().join("other.jpg");
    fs::hard_link(path, &other).unwrap();
    let old = fs::read(&other).unwrap();
    let refused = apply_path(path, &request(SignalCode::CrDc), &WriteOptions::default());
    assert_eq!(refused.unwrap_err().kind(), "refused");
    let breaking = WriteOptions {
        break_hardlinks: true,
        ..Default::default()
    };
    tag(path, SignalCode::CrDc, &breaking);
    assert_eq!(fs::read(&other).unwrap(), old);
    assert_eq!(
        decision(path),
        Some(Decision::AllowedIf(vec![SignalCode::CrDc]))
    );
}

#[test]
fn preserve_mtime_and_dry_run_hold_in_place() {
    let (_dir, paths) = scratch(&["webp/lossy.webp"]);
    let path = &paths[0];
    tag(path, SignalCode::Cr, &WriteOptions::default());
    let old_time =
        fs::metadata(path).unwrap().modified().unwrap() - std::time::Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(old_time)
        .unwrap();
    let before = fs::read(path).unwrap();
    let dry = WriteOptions {
        dry_run: true,
        ..Default::default()
    };
    tag(path, SignalCode::CrOp, &dry);
    assert_eq!(fs::read(path).unwrap(), before);
    let keep = WriteOptions {
        preserve_mtime: true,
        ..Default::default()
    };
    let outcome = tag(path, SignalCode::CrOp, &keep);
    assert!(outcome.notes.iter().any(|n| n.message.contains("in place")));
    assert_eq!(fs::metadata(path).unwrap().modified().unwrap(), old_time);
}

/// A tagged file and what a re-tag would write over it: (offset, old, new).
fn pending_retag(path: &Path) -> (u64, Vec<u8>, Vec<u8>) {
    let old = fs::read(path).unwrap();
    let (new, _) =
        ccsig::apply_bytes(&old, &request(SignalCode::CrOp), &WriteOptions::default()).unwrap();
    let new = new.unwrap();
    assert_eq!(new.len(), old.len(), "an in-place re-tag");
    let first = old.iter().zip(&new).position(|(a, b)| a != b).unwrap();
    let last = old.len()
        - old
            .iter()
            .rev()
            .zip(new.iter().rev())
            .position(|(a, b)| a != b)
            .unwrap();
    (
        first as u64,
        old[first..last].to_vec(),
        new[first..last].to_vec(),
    )
}

/// A crash after the journal was made durable: `written` bytes of the new
/// packet reached the file, then the process died (its lock went with it).
fn crash_mid_overwrite(path: &Path, written: usize) -> PathBuf {
    let (offset, old, new) = pending_retag(path);
    let file = fs::File::options().write(true).open(path).unwrap();
    let journal = Journal::begin(path, &file, offset, &old, &new).unwrap();
    file.write_all_at(&new[..written.min(new.len())], offset)
        .unwrap();
    let at = journal.path().to_path_buf();
    drop(journal);
    at
}

#[test]
fn a_journal_left_by_a_crash_is_replayed_to_the_old_file() {
    for part in [0usize, 7, usize::MAX] {
        let (dir, paths) = scratch(&UNPACKETED);
        for path in &paths {
            tag(path, SignalCode::Cr, &WriteOptions::default());
        }
        let olds: Vec<Vec<u8>> = paths.iter().map(|p| fs::read(p).unwrap()).collect();
        let left: Vec<PathBuf> = paths.iter().map(|p| crash_mid_overwrite(p, part)).collect();

        // Read-only runs report the journals and touch nothing.
        let check = common::ccsig(&["check", "--format", "jsonl", dir.path().to_str().unwrap()]);
        let out = common::stdout(&check);
        for (journal, path) in left.iter().zip(&paths) {
            let line = out
                .lines()
                .find(|l| l.contains(journal.file_name().unwrap().to_str().unwrap()))
                .unwrap_or_else(|| panic!("check does not report {}: {out}", journal.display()));
            assert!(
                line.contains("stale_temporary") && line.contains(path.to_str().unwrap()),
                "{line}"
            );
        }
        // A dry run replays nothing (a half-written packet is reported as
        // the error it is until a write replays the journal).
        let torn: Vec<Vec<u8>> = paths.iter().map(|p| fs::read(p).unwrap()).collect();
        let dir_arg = dir.path().to_str().unwrap();
        common::ccsig(&["apply", "--dry-run", "--signal", "cc-cr-dc", dir_arg]);
        for (path, bytes) in paths.iter().zip(&torn) {
            assert_eq!(&fs::read(path).unwrap(), bytes);
        }
        assert_eq!(journals(dir.path()).len(), left.len());

        // What the next write does first: replay. Every file is old again.
        ccsig::batch::atomic::clean_stale_temps(dir.path()).unwrap();
        for (path, old) in paths.iter().zip(&olds) {
            assert_eq!(
                &fs::read(path).unwrap(),
                old,
                "part {part}: {}",
                path.display()
            );
        }
        assert!(journals(dir.path()).is_empty());
    }
}

#[test]
fn the_next_apply_replays_then_writes_and_a_torn_journal_is_discarded() {
    let (dir, paths) = scratch(&UNPACKETED);
    for path in &paths {
        tag(path, SignalCode::Cr, &WriteOptions::default());
    }
    crash_mid_overwrite(&paths[0], 5);
    let untouched = fs::read(&paths[1]).unwrap();
    // Torn: the writer died while writing the journal, before any overwrite.
    let torn = dir.path().join(".ccsig-torn01.journal");
    let (offset, old, new) = pending_retag(&paths[1]);
    let file = fs::File::open(&paths[1]).unwrap();
    let whole = Journal::begin(&paths[1], &file, offset, &old, &new).unwrap();
    let bytes = fs::read(whole.path()).unwrap();
    whole.finish().unwrap();
    fs::write(&torn, &bytes[..bytes.len() - 3]).unwrap();
    assert!(journal::targets_of(&torn).unwrap().is_empty());
    assert_eq!(fs::read(&paths[1]).unwrap(), untouched);

    let out = common::ccsig(&[
        "apply",
        "--signal",
        "cc-cr-ec",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(journals(dir.path()).is_empty());
    for path in &paths {
        assert_eq!(
            decision(path),
            Some(Decision::AllowedIf(vec![SignalCode::CrEc])),
            "{}",
            path.display()
        );
    }
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiftool),
    ignore = "needs exiftool (bash .ci/run installs it)"
)]
fn exiftool_reads_a_signal_written_in_place() {
    let et = tool("exiftool");
    let (_dir, paths) = scratch(&UNPACKETED);
    for path in &paths {
        tag(path, SignalCode::Cr, &WriteOptions::default());
        let outcome = tag(path, SignalCode::CrOp, &WriteOptions::default());
        assert!(outcome.notes.iter().any(|n| n.message.contains("in place")));
        let out = common::run_tool(
            &et,
            &[
                "-s3",
                "-XMP-ccsig:all",
                "-validate",
                "-warning",
                path.to_str().unwrap(),
            ],
        );
        assert!(
            out.contains("train-ai=n;exceptions=cc-cr-op"),
            "{}: {out}",
            path.display()
        );
        assert!(
            !out.to_lowercase().contains("crc"),
            "{}: {out}",
            path.display()
        );
    }
}

#[test]
#[cfg_attr(
    not(ccsig_has_exiv2),
    ignore = "needs exiv2 (bash .ci/run installs it)"
)]
fn exiv2_reads_a_signal_written_in_place() {
    let exiv2 = tool("exiv2");
    let (_dir, paths) = scratch(&UNPACKETED);
    for path in &paths {
        tag(path, SignalCode::Cr, &WriteOptions::default());
        tag(path, SignalCode::CrOp, &WriteOptions::default());
        let o = std::process::Command::new(&exiv2)
            .args(["-px"])
            .arg(path)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            out.contains("train-ai=n;exceptions=cc-cr-op"),
            "{}: {out}",
            path.display()
        );
        assert!(
            !err.to_lowercase().contains("error"),
            "{}: {err}",
            path.display()
        );
    }
}
