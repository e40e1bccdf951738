//! SIGKILL (`kill -9`) at a random moment of a batch, round after round.
//!
//! Each round starts `ccsig apply --signal S DIR` over a batch of large
//! JPEG, PNG, WebP, JPEG XL, HEIC and TIFF files, kills it outright after a random delay, and
//! checks that every file is either byte-identical to its state before the
//! round or completely rewritten: it parses (img-parts, or the tests' own
//! parsers for JPEG XL, HEIC and TIFF), reads back with
//! exactly `S`, and its image data and every foreign block are the
//! original's. Temporary files left by the kill are expected; `ccsig check`
//! must report each as `stale_temporary`, and the next `apply` run to
//! completion must remove them all and tag every file.
//!
//! After the first timed runs every file carries ccsig's packet, so the
//! rounds are re-tags: those that touch only the packet are written in
//! place (same inode) under an undo journal, the others (IIM kept in sync,
//! a read-only `end="r"` packet) are rewritten whole. A kill may leave a
//! journal and, while its file is being overwritten, a half-written packet:
//! a file is then accepted as old, new or torn only if a journal names it,
//! and it counts as old (its replay restores the old bytes). Rounds that go
//! on to a completion run first replay the journals as the next run would
//! (`ccsig::batch::journal::replay`) and check that every file is then
//! exactly old or new.
//!
//! The delays come from a seeded generator: the seed is printed, and
//! `CCSIG_KILL_SEED=<seed>` replays a run. `kill_9_long` (ignored; run by
//! `benches/kill.sh`) does the same with bigger files and 120 rounds.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ccsig::signal::{Decision, SignalCode};

/// The signals rounds cycle through. With a completion run at least every
/// `SIGNALS.len() - 1` rounds, a round's signal is never one a file already
/// carries, so every round has work on every file.
const SIGNALS: [(&str, SignalCode); 4] = [
    ("cc-cr", SignalCode::Cr),
    ("cc-cr-dc", SignalCode::CrDc),
    ("cc-cr-ec", SignalCode::CrEc),
    ("cc-cr-op", SignalCode::CrOp),
];

const MIB: usize = 1024 * 1024;

struct Config {
    files: usize,
    min_len: usize,
    max_len: usize,
    rounds: usize,
    /// A run to completion after this many rounds at most (and after every
    /// round whose kill left temporary files).
    complete_every: usize,
}

/// SplitMix64: a few lines, reproducible from its seed, good enough to
/// spread delays and fill image data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let word = self.next().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

#[test]
fn kill_9_leaves_every_file_old_or_new() {
    run(Config {
        files: 18,
        min_len: 4 * MIB,
        max_len: 8 * MIB,
        rounds: env_usize("CCSIG_KILL_ROUNDS").unwrap_or(40),
        complete_every: 3,
    });
}

#[test]
#[ignore = "long: 120 rounds over 18 files of 4-16 MiB; run by benches/kill.sh"]
fn kill_9_long() {
    run(Config {
        files: 18,
        min_len: 4 * MIB,
        max_len: 16 * MIB,
        rounds: env_usize("CCSIG_KILL_ROUNDS").unwrap_or(120),
        complete_every: 3,
    });
}

#[test]
fn the_big_heic_holds_its_sample_items_at_their_moved_offsets() {
    let sample = fs::read(common::sample("heif/heif-enc-alpha-thumb.heic")).unwrap();
    let big = big_heic(MIB, &mut Rng(7));
    assert_eq!(common::image_items(&big), common::image_items(&sample));
    assert_eq!(big.len(), sample.len() + MIB + 8);
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn seed() -> u64 {
    std::env::var("CCSIG_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

/// A JPEG of about `len` bytes: the head of a real JPEG up to and including
/// its SOS header, `len` bytes of entropy-coded data (random, without 0xFF,
/// so no marker), then EOI.
fn big_jpeg(rel: &str, len: usize, rng: &mut Rng) -> Vec<u8> {
    let sample = fs::read(common::sample(rel)).unwrap();
    let mut at = 2;
    loop {
        assert_eq!(sample[at], 0xFF, "{rel}: segment expected at {at}");
        let marker = sample[at + 1];
        let seg_len = u16::from_be_bytes([sample[at + 2], sample[at + 3]]) as usize;
        at += 2 + seg_len;
        if marker == 0xDA {
            break;
        }
    }
    let mut out = sample[..at].to_vec();
    let start = out.len();
    out.resize(start + len, 0);
    rng.fill(&mut out[start..]);
    for b in &mut out[start..] {
        if *b == 0xFF {
            *b = 0x00;
        }
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// A valid PNG of about `len` bytes: the ancillary chunks of a sample
/// (before and after its image data, as they were), a new header, and
/// random 8-bit RGB pixels, stored uncompressed, in many 64 KiB IDAT chunks.
fn big_png(rel: &str, len: usize, rng: &mut Rng) -> Vec<u8> {
    use img_parts::png::{Png, PngChunk};
    use img_parts::Bytes;
    use std::io::Write;

    let sample = Png::from_bytes(fs::read(common::sample(rel)).unwrap().into()).unwrap();
    let width = 1024usize;
    let row = 1 + 3 * width;
    let height = len / row;
    let mut raw = vec![0u8; row * height];
    rng.fill(&mut raw);
    for line in raw.chunks_mut(row) {
        line[0] = 0; // filter type None
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::none());
    z.write_all(&raw).unwrap();
    let data = z.finish().unwrap();

    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&(width as u32).to_be_bytes());
    ihdr.extend_from_slice(&(height as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut chunks = vec![PngChunk::new(*b"IHDR", Bytes::from(ihdr))];
    let mut data_written = false;
    for c in sample.chunks() {
        match &c.kind() {
            b"IHDR" | b"IEND" => {}
            b"IDAT" => {
                if !data_written {
                    for piece in data.chunks(64 * 1024) {
                        chunks.push(PngChunk::new(*b"IDAT", Bytes::copy_from_slice(piece)));
                    }
                    data_written = true;
                }
            }
            _ => chunks.push(c.clone()),
        }
    }
    chunks.push(PngChunk::new(*b"IEND", Bytes::new()));
    let mut png = sample;
    *png.chunks_mut() = chunks;
    png.encoder().bytes().to_vec()
}

/// An animated WebP of about `len` bytes: the frames of the animated
/// sample, repeated.
fn big_webp(len: usize) -> Vec<u8> {
    use img_parts::webp::WebP;

    let sample = fs::read(common::sample("webp/animated.webp")).unwrap();
    let mut webp = WebP::from_bytes(sample.into()).unwrap();
    let frames: Vec<_> = webp.chunks_by_id(*b"ANMF").cloned().collect();
    let frame_len: usize = frames.iter().map(|f| f.len() as usize).sum();
    for _ in 0..len / frame_len {
        webp.chunks_mut().extend(frames.iter().cloned());
    }
    webp.encoder().bytes().to_vec()
}

/// A JPEG XL container of about `len` bytes: the sample's boxes with a
/// `free` box of `len` random bytes before the codestream (readers skip
/// boxes they do not know; ccsig copies it).
fn big_jxl(len: usize, rng: &mut Rng) -> Vec<u8> {
    let sample = fs::read(common::sample("jxl/container.jxl")).unwrap();
    let codestream = 32; // after the signature and ftyp boxes
    let mut out = sample[..codestream].to_vec();
    out.extend_from_slice(&((len + 8) as u32).to_be_bytes());
    out.extend_from_slice(b"free");
    let start = out.len();
    out.resize(start + len, 0);
    rng.fill(&mut out[start..]);
    out.extend_from_slice(&sample[codestream..]);
    out
}

/// A HEIC of about `len` bytes: the sample with a `free` box of `len`
/// random bytes between `meta` and `mdat`, so that every item offset moves
/// when `meta` grows.
fn big_heic(len: usize, rng: &mut Rng) -> Vec<u8> {
    let sample = fs::read(common::sample("heif/heif-enc-alpha-thumb.heic")).unwrap();
    let (_, _, meta_end) = common::box_list(&sample, 0, sample.len())
        .into_iter()
        .find(|(t, _, _)| t == b"meta")
        .unwrap();
    let mut out = sample[..meta_end].to_vec();
    out.extend_from_slice(&((len + 8) as u32).to_be_bytes());
    out.extend_from_slice(b"free");
    let start = out.len();
    out.resize(start + len, 0);
    rng.fill(&mut out[start..]);
    out.extend_from_slice(&sample[meta_end..]);
    // iloc's file offsets past meta move by the box's length.
    shift_iloc(&mut out, meta_end as u64, (len + 8) as u64);
    out
}

/// Adds `by` to every iloc file offset (construction method 0) at or past
/// `from`, in place (the sample's iloc: version 1, 4-byte offsets, lengths
/// and base offsets, no index).
fn shift_iloc(file: &mut [u8], from: u64, by: u64) {
    let top = common::box_list(file, 0, file.len());
    let &(_, meta, meta_end) = top.iter().find(|(t, _, _)| t == b"meta").unwrap();
    let &(_, s, _) = common::box_list(file, meta + 4, meta_end)
        .iter()
        .find(|(t, _, _)| t == b"iloc")
        .unwrap();
    let sizes = common::be(&file[s + 4..s + 6]);
    assert_eq!((file[s], sizes), (1, 0x4440), "the sample's iloc layout");
    let count = common::be(&file[s + 6..s + 8]) as usize;
    let mut at = s + 8;
    let shift = |at: usize, file: &mut [u8]| {
        let value = common::be(&file[at..at + 4]);
        if value >= from {
            file[at..at + 4].copy_from_slice(&((value + by) as u32).to_be_bytes());
        }
    };
    for _ in 0..count {
        // id, method, data reference, base, extent count
        let method = common::be(&file[at + 2..at + 4]) & 15;
        let base = at + 6;
        let extents = common::be(&file[at + 10..at + 12]) as usize;
        at += 12;
        if method != 0 {
            at += extents * 8;
            continue;
        }
        if common::be(&file[base..base + 4]) > 0 {
            shift(base, file);
            at += extents * 8;
            continue;
        }
        for _ in 0..extents {
            shift(at, file);
            at += 8;
        }
    }
}

/// A little-endian TIFF of about `len` bytes: one strip of 8-bit grey
/// pixels, `len` random bytes, 1,024 pixels wide; no XMP.
fn big_tiff(len: usize, rng: &mut Rng) -> Vec<u8> {
    let (width, height) = (1024u32, (len / 1024) as u32);
    let strip = 8 + 2 + 8 * 12 + 4; // header, IFD0 of 8 entries
    let entries: [(u16, u16, u32); 8] = [
        (256, 4, width),
        (257, 4, height),
        (258, 3, 8),
        (259, 3, 1),
        (262, 3, 1),
        (273, 4, strip as u32),
        (278, 4, height),
        (279, 4, width * height),
    ];
    let mut out = b"II*\0\x08\0\0\0".to_vec();
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, ty, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    let start = out.len();
    out.resize(start + (width * height) as usize, 0);
    rng.fill(&mut out[start..]);
    out
}

/// Writes the batch into `dir`; returns each file's path and bytes.
fn build_batch(dir: &Path, cfg: &Config, rng: &mut Rng) -> Vec<(PathBuf, Vec<u8>)> {
    const JPEGS: [&str; 4] = [
        "jpeg/exif.jpg",
        "jpeg/xmp-rich.jpg",
        "jpeg/iim.jpg",
        "jpeg/plain.jpg",
    ];
    const PNGS: [&str; 4] = [
        "png/text-before-idat.png",
        "png/xmp-after-idat.png",
        "png/iim-raw-profile.png",
        "png/multi-idat.png",
    ];
    (0..cfg.files)
        .map(|i| {
            let len = cfg.min_len + rng.below((cfg.max_len - cfg.min_len) as u64) as usize;
            let (name, bytes) = match i % 6 {
                0 => (
                    format!("big{i:02}.jpg"),
                    big_jpeg(JPEGS[i / 6 % 4], len, rng),
                ),
                1 => (format!("big{i:02}.png"), big_png(PNGS[i / 6 % 4], len, rng)),
                2 => (format!("big{i:02}.webp"), big_webp(len)),
                3 => (format!("big{i:02}.jxl"), big_jxl(len, rng)),
                4 => (format!("big{i:02}.heic"), big_heic(len, rng)),
                _ => (format!("big{i:02}.tif"), big_tiff(len, rng)),
            };
            let path = dir.join(name);
            fs::write(&path, &bytes).unwrap();
            (path, bytes)
        })
        .collect()
}

/// The names of ccsig's temporary files in `dir`.
fn temporaries(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".ccsig-") && (n.ends_with(".tmp") || n.ends_with(".journal")))
        .collect()
}

/// The files that the (untorn) journals among `temps` name.
fn journaled(dir: &Path, temps: &BTreeSet<String>) -> BTreeSet<PathBuf> {
    temps
        .iter()
        .filter(|n| n.ends_with(".journal"))
        .flat_map(|n| ccsig::batch::journal::targets_of(&dir.join(n)).unwrap())
        .collect()
}

/// Whether `bytes` is a complete, faithful result of tagging the original
/// with `code` (no panic: a torn file is simply not new).
fn is_new(path: &Path, bytes: &[u8], original: &[u8], code: SignalCode) -> bool {
    let blocks = std::panic::catch_unwind(|| common::foreign_blocks(bytes));
    blocks.is_ok_and(|b| b == common::foreign_blocks(original))
        && ccsig::read_path(path)
            .is_ok_and(|s| s.decisions.get("train-ai") == Some(&Decision::AllowedIf(vec![code])))
}

#[cfg(unix)]
fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).unwrap().ino()
}

/// Whether `bytes` (the file at `path`) is the complete result of tagging
/// the original with `code`; panics with `ctx` when it is not.
fn assert_new(path: &Path, bytes: &[u8], original: &[u8], code: SignalCode, ctx: &str) {
    // img-parts panics (with the file named here) on a torn container.
    assert_eq!(
        common::foreign_blocks(bytes),
        common::foreign_blocks(original),
        "{ctx}: {} is neither old nor a faithful rewrite",
        path.display()
    );
    let signals = ccsig::read_path(path)
        .unwrap_or_else(|e| panic!("{ctx}: {} does not read: {e}", path.display()));
    assert_eq!(
        signals.decisions.get("train-ai"),
        Some(&Decision::AllowedIf(vec![code])),
        "{ctx}: {} does not carry the round's signal",
        path.display()
    );
}

fn inode_before(inodes: &[(PathBuf, u64)], path: &Path) -> u64 {
    inodes
        .iter()
        .find(|(p, _)| p == path)
        .map_or(0, |(_, i)| *i)
}

fn apply(signal: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ccsig"));
    cmd.args(["apply", "--signal", signal])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `apply` to completion and checks its outcome: exit 0, no temporary
/// left, every file tagged with `code`. Updates `current`. Returns how long
/// the run took.
fn complete(
    dir: &Path,
    signal: &str,
    code: SignalCode,
    originals: &[(PathBuf, Vec<u8>)],
    current: &mut [Vec<u8>],
    ctx: &str,
) -> Duration {
    let timing = Instant::now();
    let out = apply(signal, dir).output().unwrap();
    let took = timing.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{ctx}: completion run failed: {}",
        common::stderr(&out)
    );
    let left = temporaries(dir);
    assert!(left.is_empty(), "{ctx}: completion run left {left:?}");
    for ((path, original), now) in originals.iter().zip(current.iter_mut()) {
        let bytes = fs::read(path).unwrap();
        assert_new(path, &bytes, original, code, ctx);
        *now = bytes;
    }
    took
}

/// `ccsig check DIR --format jsonl` reports every one of `temps` (and
/// nothing else) as a stale temporary.
fn assert_check_reports(dir: &Path, temps: &BTreeSet<String>, ctx: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_ccsig"))
        .args(["check", "--format", "jsonl"])
        .arg(dir)
        .output()
        .unwrap();
    let stdout = common::stdout(&out);
    let reported: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("\"stale_temporary\""))
        .collect();
    assert_eq!(reported.len(), temps.len(), "{ctx}: check said {stdout}");
    for name in temps {
        assert!(
            reported.iter().any(|l| l.contains(name.as_str())),
            "{ctx}: check does not report {name}: {stdout}"
        );
    }
}

#[derive(Default)]
struct Tally {
    rounds: usize,
    killed_running: usize,
    killed_mid_batch: usize,
    killed_before_any_write: usize,
    finished_before_kill: usize,
    files_old: usize,
    files_new: usize,
    temps_left: usize,
    kills_leaving_temps: usize,
    temps_cleaned: usize,
    /// Stale temporaries a later (killed) round removed before any
    /// completion run did.
    temps_removed_by_rounds: usize,
    /// Rounds that began with stale temporaries from an earlier kill.
    rounds_with_stale_temps: usize,
    /// Rounds that replaced a file yet left an older stale temporary: the
    /// cleaning runs on the first thread to write into the folder while
    /// the others go on (docs/reliability.md, "Kill -9").
    replaced_before_cleaned: usize,
    check_runs: usize,
    completion_runs: usize,
    /// Files found new after a kill that kept their inode: re-tagged in
    /// place.
    new_in_place: usize,
    /// Journals a kill left, and of these, ones whose file had the new
    /// packet (wholly or in part) when the journal was replayed.
    journals_left: usize,
    journals_replayed: usize,
    files_restored: usize,
    /// Files found neither old nor new after a kill (a journal named each).
    files_torn: usize,
}

fn run(cfg: Config) {
    let started = Instant::now();
    let seed = seed();
    eprintln!("kill -9 harness: seed {seed} (replay with CCSIG_KILL_SEED={seed})");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let originals = build_batch(dir.path(), &cfg, &mut rng);
    let total: usize = originals.iter().map(|(_, b)| b.len()).sum();
    let mut current: Vec<Vec<u8>> = originals.iter().map(|(_, b)| b.clone()).collect();

    // Whole runs, timed: the spread of the kill delays. The first is a
    // first tagging (every file rewritten); the rounds are re-tags, mostly
    // in place and several times faster, so the fastest of the three sets
    // the spread (with the median, most rounds ended before their kill).
    // The last run leaves every file with SIGNALS[0], which round 0
    // differs from.
    let mut timings = Vec::new();
    for (signal, code) in [SIGNALS[3], SIGNALS[2], SIGNALS[0]] {
        timings.push(complete(
            dir.path(),
            signal,
            code,
            &originals,
            &mut current,
            &format!("seed {seed}, timed run with {signal}"),
        ));
    }
    timings.sort();
    let batch = timings[0];
    eprintln!(
        "batch: {} files, {:.1} MiB, a full run takes {batch:.2?} (fastest of {timings:.2?})",
        originals.len(),
        total as f64 / MIB as f64
    );
    let spread_us = (batch.as_micros() as u64) * 11 / 10;

    let mut tally = Tally::default();
    let mut since_completion = 0;
    // Temporaries a kill left and no run has removed yet.
    let mut stale: BTreeSet<String> = BTreeSet::new();
    for round in 0..cfg.rounds {
        let (signal, code) = SIGNALS[(round + 1) % SIGNALS.len()];
        let delay = Duration::from_micros(rng.below(spread_us + 1));
        let ctx = format!("seed {seed}, round {round} ({signal}, kill after {delay:?})");
        let inodes: Vec<(PathBuf, u64)> = originals
            .iter()
            .map(|(p, _)| (p.clone(), inode(p)))
            .collect();
        let mut child = apply(signal, dir.path())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        // SIGKILL: no handler runs, nothing is cleaned up.
        let _ = child.kill();
        let status = child.wait().unwrap();
        let killed = status.signal() == Some(9);
        if !killed {
            assert_eq!(status.code(), Some(0), "{ctx}: apply failed on its own");
        }

        let temps = temporaries(dir.path());
        let pending = journaled(dir.path(), &temps);
        tally.journals_left += temps
            .iter()
            .filter(|n| n.ends_with(".journal") && !stale.contains(*n))
            .count();
        let (mut old, mut new) = (0, 0);
        for ((path, original), now) in originals.iter().zip(current.iter_mut()) {
            let bytes = fs::read(path).unwrap();
            if bytes == *now || pending.contains(path) {
                // A journaled file is old once the journal is replayed.
                if bytes != *now && !is_new(path, &bytes, original, code) {
                    tally.files_torn += 1;
                }
                old += 1;
            } else {
                assert_new(path, &bytes, original, code, &ctx);
                tally.new_in_place += usize::from(inode(path) == inode_before(&inodes, path));
                *now = bytes;
                new += 1;
            }
        }
        tally.rounds += 1;
        tally.files_old += old;
        tally.files_new += new;
        tally.temps_left += temps.difference(&stale).count();
        if !stale.is_empty() {
            tally.rounds_with_stale_temps += 1;
            tally.temps_removed_by_rounds += stale.difference(&temps).count();
            if new > 0 && stale.intersection(&temps).next().is_some() {
                tally.replaced_before_cleaned += 1;
            }
        }
        if killed {
            tally.killed_running += 1;
            if new == 0 {
                tally.killed_before_any_write += 1;
            } else if old > 0 {
                tally.killed_mid_batch += 1;
            }
            if !temps.is_empty() {
                tally.kills_leaving_temps += 1;
            }
        } else {
            tally.finished_before_kill += 1;
            assert_eq!(old, 0, "{ctx}: exit 0 yet {old} files untouched");
            assert!(temps.is_empty(), "{ctx}: exit 0 yet {temps:?} left");
        }

        since_completion += 1;
        let last = round + 1 == cfg.rounds;
        // Half the kills that leave temporaries are followed by another
        // killed round (which meets them stale), half by check and a run to
        // completion.
        let defer = !temps.is_empty() && rng.below(2) == 0;
        if (!temps.is_empty() && !defer) || since_completion >= cfg.complete_every || last {
            if !temps.is_empty() {
                assert_check_reports(dir.path(), &temps, &ctx);
                tally.check_runs += 1;
            }
            // What the next run does first: replay the journals. Then
            // every file is exactly old or new.
            for name in temps.iter().filter(|n| n.ends_with(".journal")) {
                use ccsig::batch::journal::{replay, Replay};
                let replayed = replay(&dir.path().join(name)).unwrap();
                assert_ne!(replayed, Replay::Busy, "{ctx}: {name} is held");
                tally.journals_replayed += 1;
                tally.files_restored += usize::from(replayed == Replay::Restored);
            }
            for ((path, original), now) in originals.iter().zip(&current) {
                let bytes = fs::read(path).unwrap();
                if bytes != *now {
                    assert_new(path, &bytes, original, code, &format!("{ctx}, replayed"));
                }
            }
            complete(dir.path(), signal, code, &originals, &mut current, &ctx);
            tally.temps_cleaned += temps.len();
            tally.completion_runs += 1;
            since_completion = 0;
            stale.clear();
        } else {
            stale = temps;
        }
    }

    eprintln!(
        "kill -9 harness (seed {seed}): {} rounds in {:.1?}; {} kills landed while ccsig ran \
         ({} mid-batch with files both old and new, {} before any file was replaced), \
         {} runs finished before the kill; after the kills {} files were found old and {} new; \
         {} temporaries left by {} kills; {} rounds began with stale temporaries and removed \
         {} of them ({} of these rounds replaced a file before removing them all); \
         every temporary reported by check ({} check runs) and {} removed \
         by {} completion runs; {} files found new were written in place; {} journals left \
         by kills, {} replayed before a completion run ({} files restored to old), {} files \
         found torn (each named by a journal)",
        tally.rounds,
        started.elapsed(),
        tally.killed_running,
        tally.killed_mid_batch,
        tally.killed_before_any_write,
        tally.finished_before_kill,
        tally.files_old,
        tally.files_new,
        tally.temps_left,
        tally.kills_leaving_temps,
        tally.rounds_with_stale_temps,
        tally.temps_removed_by_rounds,
        tally.replaced_before_cleaned,
        tally.check_runs,
        tally.temps_cleaned,
        tally.completion_runs,
        tally.new_in_place,
        tally.journals_left,
        tally.journals_replayed,
        tally.files_restored,
        tally.files_torn,
    );
    assert!(
        tally.new_in_place > 0 || cfg.rounds < 10,
        "seed {seed}: no file was re-tagged in place in {} rounds",
        cfg.rounds
    );
    assert!(
        tally.killed_mid_batch > 0 || cfg.rounds < 10,
        "seed {seed}: no kill landed mid-batch in {} rounds; the delays miss the batch",
        cfg.rounds
    );
}
