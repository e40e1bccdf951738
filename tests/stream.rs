//! The stream reader gives, at the end of a stream, the answer a read of
//! the whole file gives, and an early answer only where that answer is
//! already settled: over every sample, every damaged one, and files cut at
//! every point, in chunks of every size, with the stream's length known or
//! not.

mod common;

use std::fs;
use std::path::PathBuf;

use ccsig::stream::{StreamRead, Waiting};
use ccsig::{FileSignals, ReadError, ReadOptions};
use common::*;

/// What a stream read gave: the early answer (and how many bytes had been
/// fed when it came), and the answer at the end.
struct Streamed {
    early: Option<(Result<FileSignals, String>, usize)>,
    last: Result<FileSignals, ReadError>,
}

fn stream(file: &[u8], size_known: bool, chunk: usize) -> Streamed {
    let size = size_known.then_some(file.len() as u64);
    let mut read = StreamRead::new(size, ReadOptions::default());
    let mut early = None;
    let mut fed = 0;
    for piece in file.chunks(chunk) {
        fed += piece.len();
        if let (None, Some(answer)) = (&early, read.feed(piece)) {
            let answer = match answer {
                Ok(signals) => Ok(signals.clone()),
                Err(e) => Err(e.to_string()),
            };
            early = Some((answer, fed));
        }
    }
    Streamed {
        early,
        last: read.finish(),
    }
}

fn assert_same(name: &str, a: &FileSignals, b: &FileSignals) {
    assert_eq!(a.format, b.format, "{name}");
    assert_eq!(a.decisions, b.decisions, "{name}");
    let fields = |s: &FileSignals| s.sources.iter().map(|s| s.field()).collect::<Vec<_>>();
    assert_eq!(fields(a), fields(b), "{name}");
    assert_eq!(a.credit, b.credit, "{name}");
    assert_eq!(a.has_c2pa, b.has_c2pa, "{name}");
}

/// Checks one stream of `file`; `whole` is the file it was cut from, if it
/// was. Returns the bytes fed before an early answer, if one came.
fn check(name: &str, file: &[u8], whole: &[u8], size_known: bool, chunk: usize) -> Option<usize> {
    let name = format!("{name} (length known: {size_known}, chunks of {chunk})");
    let full = ccsig::read_bytes(file);
    let streamed = stream(file, size_known, chunk);
    // At the end: the full read's answer.
    match (&full, &streamed.last) {
        (Ok(a), Ok(b)) => assert_same(&name, a, b),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("{name}: full read {a:?}\nstream's end {b:?}"),
    }
    let (early, fed) = streamed.early?;
    match (&full, &early) {
        (Ok(a), Ok(b)) => assert_same(&name, a, b),
        // An early "unreadable" is the full read's: the damage was read.
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) => panic!("{name}: early error {e} for a good file"),
        // Damage after the metadata: the early answer is that of the file
        // the stream began as, and the end says unreadable.
        (Err(_), Ok(b)) => match ccsig::read_bytes(whole) {
            Ok(a) if whole.len() > file.len() => assert_same(&name, &a, b),
            _ => assert!(
                file.starts_with(&[0xFF, 0xD8]),
                "{name}: early answer for a damaged file that is not a JPEG cut short"
            ),
        },
    }
    Some(fed)
}

fn every_sample() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![
        samples(),
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile"),
    ];
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
    out.sort();
    out
}

#[test]
fn every_sample_streams_to_the_full_reads_answer_in_chunks_of_every_size() {
    let paths = every_sample();
    assert!(paths.len() > 60, "{} files", paths.len());
    let mut early_jpegs = 0;
    for path in paths {
        let file = fs::read(&path).unwrap();
        let name = path.display().to_string();
        for chunk in [1, 7, 4096, 65536] {
            for size_known in [true, false] {
                if chunk == 1 && file.len() > 200_000 {
                    continue;
                }
                let early = check(&name, &file, &file, size_known, chunk);
                // A good JPEG is decided at the chunk its first scan's
                // header ends in, not at its end (one without Content
                // Credentials, which bind every byte).
                let jpeg = file.starts_with(&[0xFF, 0xD8]) && !name.contains("c2pa");
                if jpeg && chunk == 4096 && ccsig::read_bytes(&file).is_ok() {
                    let sos = sos_header_end(&file);
                    let expected = sos.next_multiple_of(chunk).min(file.len());
                    // In the last chunk, the end may come first.
                    if expected < file.len() {
                        assert_eq!(early, Some(expected), "{name} (length known: {size_known})");
                        early_jpegs += 1;
                    }
                }
            }
        }
    }
    assert!(
        early_jpegs >= 5,
        "{early_jpegs} JPEGs decided before their end"
    );
}

/// Where a JPEG's first SOS segment header ends, walked with the tests'
/// own reading of segment lengths.
fn sos_header_end(file: &[u8]) -> usize {
    let mut at = 2;
    loop {
        while file[at + 1] == 0xFF {
            at += 1; // fill bytes
        }
        let marker = file[at + 1];
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            at += 2;
            continue;
        }
        let len = u16::from_be_bytes([file[at + 2], file[at + 3]]) as usize;
        at += 2 + len;
        if marker == 0xDA {
            return at;
        }
    }
}

#[test]
fn files_cut_anywhere_stream_to_the_full_reads_answer() {
    for rel in [
        "jpeg/xmp-rich.jpg",
        "png/xmp-after-idat.png",
        "webp/exif.webp",
        "tiff/exiftool-xmp.tif",
        "jxl/from-jpeg.jxl",
        "heif/exiftool-xmp.heic",
        "c2pa/C_with_CAWG_data.jpg",
    ] {
        let whole = fs::read(sample(rel)).unwrap();
        let step = (whole.len() / 60).max(1);
        for cut in (0..whole.len()).step_by(step) {
            for size_known in [true, false] {
                check(
                    &format!("{rel} cut at {cut}"),
                    &whole[..cut],
                    &whole,
                    size_known,
                    1000,
                );
            }
        }
    }
}

/// A JPEG of 4 MiB whose metadata ends in its first kilobytes.
fn big_jpeg() -> Vec<u8> {
    let mut file = fs::read(sample("tagged/ccsig-cr-op.jpg")).unwrap();
    let eoi = file.split_off(file.len() - 2);
    file.extend(vec![0x55u8; 4 << 20]);
    file.extend(eoi);
    file
}

#[test]
fn a_jpeg_is_decided_at_its_first_scan_and_its_image_data_is_not_held() {
    let file = big_jpeg();
    let sos = file.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    let mut read = StreamRead::new(None, ReadOptions::default());
    let mut fed = 0;
    for piece in file.chunks(1024) {
        fed += piece.len();
        if read.feed(piece).is_some() {
            break;
        }
        assert!(matches!(read.waiting(), Some(Waiting::Bytes(_))));
    }
    // The SOS header (12 bytes here) in the chunk that completed it.
    assert!(
        fed <= (sos + 14).next_multiple_of(1024),
        "{fed} fed, SOS at {sos}"
    );
    assert!(read.answer().unwrap().is_ok());
    assert_eq!(read.waiting(), None);
}

#[test]
fn a_jpeg_decided_early_but_cut_short_is_unreadable_at_the_end() {
    let file = big_jpeg();
    let cut = &file[..file.len() / 2];
    for size in [None, Some(file.len() as u64), Some(cut.len() as u64)] {
        let mut read = StreamRead::new(size, ReadOptions::default());
        let mut early = false;
        for piece in cut.chunks(65536) {
            early |= read.feed(piece).is_some_and(|a| a.is_ok());
        }
        assert!(early, "{size:?}");
        let end = read.finish().unwrap_err().to_string();
        assert!(
            end.contains("end-of-image") || end.contains("ended after"),
            "{size:?}: {end}"
        );
    }
}

#[test]
fn a_png_says_it_needs_the_end_of_the_stream() {
    let file = fs::read(sample("png/xmp-after-idat.png")).unwrap();
    let mut read = StreamRead::new(Some(file.len() as u64), ReadOptions::default());
    assert!(read.feed(&file[..file.len() - 1]).is_none());
    match read.waiting() {
        Some(Waiting::End(why)) => assert!(why.contains("PNG"), "{why}"),
        other => panic!("{other:?}"),
    }
    read.feed(&file[file.len() - 1..]);
    assert_same(
        "png",
        &ccsig::read_bytes(&file).unwrap(),
        &read.finish().unwrap(),
    );
}

#[test]
fn a_stream_longer_than_stated_is_unreadable() {
    let file = fs::read(sample("jpeg/xmp-rich.jpg")).unwrap();
    let mut read = StreamRead::new(Some(file.len() as u64 - 10), ReadOptions::default());
    read.feed(&file);
    let e = read.finish().unwrap_err().to_string();
    assert!(e.contains("brought"), "{e}");
}

#[test]
fn a_jpegs_image_data_can_be_passed_over_unread_once_decided() {
    let file = big_jpeg();
    let mut read = StreamRead::new(Some(file.len() as u64), ReadOptions::default());
    assert_eq!(read.skippable(), 0);
    let mut at = 0;
    while read.answer().is_none() {
        read.feed(&file[at..at + 4096]);
        at += 4096;
    }
    // All but the end, where the end marker is looked for.
    let skippable = read.skippable();
    assert_eq!(skippable, file.len() as u64 - at as u64 - (64 * 1024 + 2));
    read.skip(skippable);
    assert_eq!(read.skippable(), 0);
    let rest = at + skippable as usize;
    read.feed(&file[rest..]);
    assert_same(
        "skipped",
        &ccsig::read_bytes(&file).unwrap(),
        &read.finish().unwrap(),
    );
    // The end marker's absence is still seen.
    let mut broken = file.clone();
    let n = broken.len();
    broken[n - 2..].copy_from_slice(b"\0\0");
    let mut read = StreamRead::new(Some(n as u64), ReadOptions::default());
    read.feed(&broken[..at]);
    read.skip(read.skippable());
    read.feed(&broken[rest..]);
    assert!(read.finish().is_err());
}
