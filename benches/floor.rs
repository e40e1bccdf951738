//! The physical floor of a metadata read (issue 12): open every file of a
//! list and read its first 64 KiB, with as many threads as ccsig's
//! read-only commands start. `benches/run.sh` times it beside `ccsig read`,
//! `check` and `decide` on the same files.
//!
//!     cargo build --release --bench floor
//!     target/release/deps/floor-*  [--jobs N] PATH...
//!
//! Folders are walked in name order, hidden names passed over (as ccsig
//! does); the walk is part of the timed work, as it is for ccsig. Prints
//! the in-process seconds, the number of files and the threads used.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const HEAD: usize = 64 * 1024;

fn walk(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let Ok(dir) = std::fs::read_dir(path) else {
            return;
        };
        let mut entries: Vec<_> = dir
            .filter_map(Result::ok)
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            match e.file_type() {
                Ok(t) if t.is_dir() => walk(&e.path(), out),
                Ok(t) if t.is_file() => out.push(e.path()),
                _ => {}
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
}

/// Reads up to `HEAD` bytes (a short read is not the end of the file).
fn read_head(path: &Path, buffer: &mut [u8]) -> usize {
    let Ok(mut file) = std::fs::File::open(path) else {
        return 0;
    };
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    filled
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; it means nothing here.
    args.retain(|a| a != "--bench");
    let mut jobs = ccsig::batch::default_jobs();
    if let Some(i) = args.iter().position(|a| a == "--jobs" || a == "-j") {
        let value = args.get(i + 1).and_then(|v| v.parse().ok());
        let Some(n) = value else {
            eprintln!("floor: --jobs needs a number");
            std::process::exit(2);
        };
        jobs = n;
        args.drain(i..i + 2);
    }
    if args.is_empty() {
        eprintln!("usage: floor [--jobs N] PATH...");
        std::process::exit(2);
    }
    let jobs = jobs.max(1);
    let started = Instant::now();
    let mut files = Vec::new();
    for a in &args {
        walk(Path::new(a), &mut files);
    }
    let next = AtomicUsize::new(0);
    let bytes = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                let mut buffer = vec![0u8; HEAD];
                let mut read = 0;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    read += read_head(path, &mut buffer);
                }
                bytes.fetch_add(read, Ordering::Relaxed);
            });
        }
    });
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{secs:.6} {} {jobs} {}",
        files.len(),
        bytes.load(Ordering::Relaxed)
    );
}
