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

thread_local! {
    /// Fetch steps (round trips for a caller that fetches a step's ranges
    /// at once) of the last ranged read.
    static STEPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

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
                STEPS.with(|s| s.set(s.get() + 1));
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
            STEPS.with(|s| s.set(0));
            let fetches = same_answer(&name, &file, how, true);
            let good_jpeg = file.starts_with(&[0xFF, 0xD8]) && ccsig::read_bytes(&file).is_ok();
            if matches!(how, Fetch::Whole) && good_jpeg {
                jpegs = (jpegs.0 + 1, jpegs.1 + fetches);
                // The head and the tail in one step: one round trip.
                let has_c2pa = ccsig::read_bytes(&file).unwrap().has_c2pa;
                if !has_c2pa {
                    assert_eq!(STEPS.with(|s| s.get()), 1, "{name}");
                }
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

mod shards {
    use super::*;
    use ccsig::ranged::{RangedShardRead, ShardStep};
    use ccsig::shard::{self, MemberContent, MemberRead};
    use std::ops::ControlFlow;

    /// A member as both readers report it: its name and what it is.
    fn outline(name: &str, content: MemberContent<'_>) -> String {
        match content {
            MemberContent::Signals(read) => match *read {
                Ok(s) => format!("{name}: {:?} {:?} {:?}", s.format, s.decisions, s.credit),
                Err(_) => format!("{name}: unreadable"),
            },
            MemberContent::Unreadable(_) => format!("{name}: unreadable"),
            MemberContent::Skipped(reason) => format!("{name}: skipped {reason}"),
            MemberContent::Image(_) => unreachable!("read as signals"),
        }
    }

    fn streamed(archive: &[u8]) -> (Vec<String>, bool) {
        let how = MemberRead::Signals(ReadOptions::default());
        let mut out = vec![];
        let r = shard::read_members_as(
            archive,
            &how,
            |_| None,
            |m| {
                out.push(outline(&m.name, m.content));
                ControlFlow::Continue(())
            },
        );
        (out, r.is_ok())
    }

    fn ranged(archive: &[u8]) -> (Vec<String>, bool, usize, u64) {
        let mut read = RangedShardRead::new(archive.len() as u64, ReadOptions::default());
        let (mut fetches, mut fetched) = (0, 0);
        let mut out = vec![];
        let ok = loop {
            match read.step() {
                ShardStep::Fetch(ranges) => {
                    for r in ranges {
                        fetches += 1;
                        fetched += r.end - r.start;
                        read.feed(r.start, &archive[r.start as usize..r.end as usize]);
                    }
                }
                ShardStep::Done(done) => break done.is_ok(),
            }
            out.extend(
                read.take_members()
                    .into_iter()
                    .map(|m| outline(&m.name, m.content)),
            );
            assert!(fetches < 100_000, "no end");
        };
        out.extend(
            read.take_members()
                .into_iter()
                .map(|m| outline(&m.name, m.content)),
        );
        (out, ok, fetches, fetched)
    }

    fn archive(members: &[(String, Vec<u8>)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut dir = tar::Header::new_gnu();
        dir.set_entry_type(tar::EntryType::Directory);
        dir.set_size(0);
        dir.set_cksum();
        builder.append_data(&mut dir, "images/", &[][..]).unwrap();
        for (name, bytes) in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, &bytes[..]).unwrap();
        }
        let mut link = tar::Header::new_gnu();
        link.set_entry_type(tar::EntryType::Symlink);
        link.set_size(0);
        link.set_cksum();
        builder
            .append_link(&mut link, "latest.jpg", "images/0.jpg")
            .unwrap();
        builder.into_inner().unwrap()
    }

    #[test]
    fn a_shard_of_every_sample_reads_the_same_in_ranges_as_streamed_whole_or_cut() {
        let mut members = vec![];
        for (i, path) in every_sample().into_iter().enumerate() {
            let bytes = fs::read(&path).unwrap();
            let ext = path
                .extension()
                .map_or("bin".into(), |e| e.to_string_lossy().into_owned());
            // Long names take GNU long-name entries of their own.
            let name = match i % 7 {
                0 => format!("images/{}/{i}.{ext}", "long-folder-name".repeat(8)),
                _ => format!("images/{i}.{ext}"),
            };
            members.push((name, bytes));
            members.push((format!("images/{i}.txt"), b"a caption".to_vec()));
        }
        let whole = archive(&members);
        let (expected, ok) = streamed(&whole);
        assert!(ok);
        assert!(expected.len() > 120, "{}", expected.len());
        let (got, ok, fetches, _) = ranged(&whole);
        assert!(ok);
        assert_eq!(got, expected);
        // A round trip per member or so: the end of one and the next header
        // come in one fetch.
        assert!(
            fetches <= 2 * expected.len(),
            "{fetches} fetches for {} members",
            expected.len()
        );

        // Cut anywhere: the members before the damage, then an error, both
        // ways.
        let step = whole.len() / 97;
        for cut in (0..whole.len()).step_by(step) {
            let part = &whole[..cut];
            let (expected, expected_ok) = streamed(part);
            let (got, ok, _, _) = ranged(part);
            assert_eq!((got, ok), (expected, expected_ok), "cut at {cut}");
        }
    }

    #[test]
    fn a_shard_of_large_jpegs_costs_a_fetch_a_member_and_a_sliver_of_its_bytes() {
        let mut jpeg = fs::read(sample("tagged/ccsig-cr-op.jpg")).unwrap();
        let eoi = jpeg.split_off(jpeg.len() - 2);
        jpeg.extend(vec![0x55u8; 4 << 20]);
        jpeg.extend(eoi);
        let members: Vec<_> = (0..20)
            .map(|i| (format!("{i:04}.jpg"), jpeg.clone()))
            .collect();
        let whole = archive(&members);
        let (got, ok, fetches, fetched) = ranged(&whole);
        assert!(ok);
        assert_eq!(got, streamed(&whole).0);
        assert!(fetches <= 22, "{fetches} fetches");
        assert!(
            fetched * 50 < whole.len() as u64,
            "{fetched} of {} bytes",
            whole.len()
        );
    }
}
