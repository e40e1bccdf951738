//! A large file (not timed): `apply` and `read` on a 512 MiB JPEG stream
//! the image data in bounded memory and leave it intact. The file is sparse
//! where the file system allows, so the test costs little disk.

mod common;

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};

use ccsig::signal::{Decision, SignalCode};
use ccsig::tagging::{Change, WriteOptions};
use ccsig::ApplyRequest;

const SCAN_LEN: u64 = 512 * 1024 * 1024;

/// Peak resident memory of this test process so far (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_512_mib_jpeg_is_tagged_and_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.jpg");
    // The head of a real JPEG up to and including its SOS header, then
    // 512 MiB of entropy-coded bytes (zeros: valid, no 0xFF), then EOI.
    let sample = fs::read(common::sample("jpeg/exif.jpg")).unwrap();
    let layout = ccsig::internals::container::scan(&mut std::io::Cursor::new(&sample)).unwrap();
    let sos = layout.blocks.last().unwrap().range.start as usize;
    let sos_len = u16::from_be_bytes([sample[sos + 2], sample[sos + 3]]) as usize;
    let head = &sample[..sos + 2 + sos_len];
    let mut f = File::create(&path).unwrap();
    f.write_all(head).unwrap();
    f.seek(SeekFrom::Current(SCAN_LEN as i64)).unwrap();
    f.write_all(&[0xFF, 0xD9]).unwrap();
    drop(f);
    let before_len = fs::metadata(&path).unwrap().len();

    let request = ApplyRequest::from_signal(SignalCode::CrEc, "train-ai").unwrap();
    let outcome = ccsig::apply_path(&path, &request, &WriteOptions::default()).unwrap();
    assert_eq!(outcome.change, Change::Written);
    let signals = ccsig::read_path(&path).unwrap();
    assert_eq!(
        signals.decisions["train-ai"],
        Decision::AllowedIf(vec![SignalCode::CrEc])
    );

    // The image data is all there: same length, zeros throughout (checked
    // in full here, independently of ccsig's own sampled validation), EOI.
    let after_len = fs::metadata(&path).unwrap().len();
    assert!(after_len > before_len && after_len < before_len + 64 * 1024);
    let mut f = File::open(&path).unwrap();
    let start = after_len - 2 - SCAN_LEN;
    f.seek(SeekFrom::Start(start)).unwrap();
    let mut buf = vec![0u8; 8 * 1024 * 1024];
    let mut left = SCAN_LEN;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        f.read_exact(&mut buf[..n]).unwrap();
        assert!(buf[..n].iter().all(|&b| b == 0), "image data changed");
        left -= n as u64;
    }
    let mut eoi = [0u8; 2];
    f.read_exact(&mut eoi).unwrap();
    assert_eq!(eoi, [0xFF, 0xD9]);

    if let Some(peak) = peak_rss_kib() {
        assert!(peak < 64 * 1024, "peak RSS {peak} KiB for a 512 MiB file");
    }
}
