//! The ranged reader gives the answer a read of the whole file gives, or
//! an error where the file is damaged, never another preference: over every
//! sample, every damaged one, files cut at every block boundary, with
//! whole, short and failing fetches.

mod common;

use std::fs;
use std::path::PathBuf;

use ccsig::ranged::{RangedRead, Step};
use ccsig::{FileSignals, ReadOptions};
use common::*;

/// How a fetch behaves.
#[derive(Clone, Copy, Debug)]
enum Fetch {
    Whole,
    /// Brings half of what was asked (at least one byte).
    Short,
    /// Fails (brings nothing) every third time.
    Flaky,
}

fn ranged(
    file: &[u8],
    size: Option<u64>,
    how: Fetch,
) -> (Result<FileSignals, ccsig::ReadError>, usize) {
    let mut read = RangedRead::new(size, ReadOptions::default());
    let mut fetches = 0usize;
    loop {
        match read.step() {
            Step::Fetch(ranges) => {
                for r in ranges {
                    fetches += 1;
                    let end = (r.end as usize).min(file.len());
                    let start = (r.start as usize).min(end);
                    let bytes = &file[start..end];
                    match how {
                        Fetch::Whole => read.feed_asked(r.start, r.end - r.start, bytes),
                        Fetch::Short => {
                            let half = bytes.len().div_ceil(2);
                            read.feed(r.start, &bytes[..half]);
                        }
                        Fetch::Flaky if fetches.is_multiple_of(3) => {}
                        Fetch::Flaky => read.feed_asked(r.start, r.end - r.start, bytes),
                    }
                }
            }
            Step::Done(answer) => return (*answer, fetches),
        }
        assert!(fetches < 10_000, "no end");
    }
}

fn same_answer(name: &str, file: &[u8], how: Fetch, size_known: bool) -> usize {
    let full = ccsig::read_bytes(file);
    let size = size_known.then_some(file.len() as u64);
    let (answer, fetches) = ranged(file, size, how);
    match (&full, &answer) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.format, b.format, "{name} {how:?}");
            assert_eq!(a.decisions, b.decisions, "{name} {how:?}");
            let fields = |s: &FileSignals| s.sources.iter().map(|s| s.field()).collect::<Vec<_>>();
            assert_eq!(fields(a), fields(b), "{name} {how:?}");
            assert_eq!(a.credit, b.credit, "{name} {how:?}");
            assert_eq!(a.has_c2pa, b.has_c2pa, "{name} {how:?}");
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "{name} {how:?}: full read {:?}, ranged {:?}",
            a.is_ok(),
            b.is_ok()
        ),
    }
    fetches
}

fn every_sample() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![samples()];
    while let Some(dir) = dirs.pop() {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.extend(
        fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile"))
            .unwrap()
            .map(|e| e.unwrap().path()),
    );
    out.sort();
    out
}

#[test]
fn every_sample_reads_the_same_ranged_with_whole_short_and_flaky_fetches() {
    let mut jpegs = (0, 0);
    let paths = every_sample();
    assert!(paths.len() > 60, "{} files", paths.len());
    for path in paths {
        let file = fs::read(&path).unwrap();
        let name = path.display().to_string();
        for how in [Fetch::Whole, Fetch::Short, Fetch::Flaky] {
            let fetches = same_answer(&name, &file, how, true);
            if matches!(how, Fetch::Whole) && file.starts_with(&[0xFF, 0xD8]) {
                jpegs = (jpegs.0 + 1, jpegs.1 + fetches);
            }
        }
        same_answer(&name, &file, Fetch::Whole, false);
    }
    // A JPEG: its head, then its end marker.
    assert!(
        jpegs.1 <= 2 * jpegs.0,
        "{} fetches for {} JPEGs",
        jpegs.1,
        jpegs.0
    );
}

#[test]
fn files_cut_anywhere_read_the_same_or_fail_both_ways() {
    for rel in [
        "jpeg/xmp-rich.jpg",
        "png/xmp-after-idat.png",
        "webp/exif.webp",
        "tiff/exiftool-xmp.tif",
        "jxl/from-jpeg.jxl",
        "heif/exiftool-xmp.heic",
        "c2pa/C_with_CAWG_data.jpg",
    ] {
        let file = fs::read(sample(rel)).unwrap();
        let step = (file.len() / 60).max(1);
        for cut in (0..file.len()).step_by(step) {
            same_answer(
                &format!("{rel} cut at {cut}"),
                &file[..cut],
                Fetch::Whole,
                true,
            );
        }
    }
}
