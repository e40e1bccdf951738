//! The undo journal of an in-place write: before ccsig overwrites a byte
//! range of a file (a new XMP packet into the old one's padding), it
//! records the range's old bytes in a journal beside the file and makes
//! the journal durable. A crash during the overwrite leaves the journal;
//! the next ccsig that writes into the folder replays it (puts the old
//! bytes back), so the file is old or new after a crash at any moment.
//!
//! A journal is named like ccsig's temporary files (`.ccsig-<random>`,
//! with the suffix [`JOURNAL_SUFFIX`]), which the walker skips and `check`
//! reports; it is locked (`flock`) by its writer while it lives, so a
//! concurrent run never replays a live one.
//!
//! One journal may record the overwrites of several files of its folder
//! (a group commit of the in-place writes under way): each is replayed on
//! its own.
//!
//! Layout (little-endian): magic `CCSIGJNL`, version (u32), the number of
//! records (u32), then per record: the target's device and inode (u64
//! each), its length (u64), its modification time (flag byte, then seconds
//! u64 and nanoseconds u32), the offset (u64), the target's file name, the
//! old bytes, the new bytes (each a u32 length and the bytes); then the
//! CRC-32 of everything before it. A journal whose checksum does not match
//! was torn while being written: the overwrites, which only start once the
//! journal is durable, never began. (Version 1, one record, no count and an
//! MD5 instead of the CRC, is still read.)

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use md5::{Digest, Md5};

use super::folder::{self, folder_of, TEMP_PREFIX};

/// Suffix of ccsig's undo journals (after [`TEMP_PREFIX`] and a random part).
pub const JOURNAL_SUFFIX: &str = ".journal";

const MAGIC: &[u8; 8] = b"CCSIGJNL";
const VERSION: u32 = 2;
/// Journals are small (a packet's old and new bytes); anything larger is
/// not one of ours.
const MAX_JOURNAL_LEN: u64 = 256 * 1024 * 1024;

/// Whether `path` is named like one of ccsig's undo journals.
///
/// ```
/// use ccsig::batch::journal::is_journal_name;
/// assert!(is_journal_name("photos/.ccsig-x7Yq2.journal".as_ref()));
/// assert!(!is_journal_name("photos/.ccsig-x7Yq2.tmp".as_ref()));
/// ```
pub fn is_journal_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(TEMP_PREFIX) && n.ends_with(JOURNAL_SUFFIX))
}

/// What a journal records about one overwrite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<SystemTime>,
    offset: u64,
    name: OsString,
    old: Vec<u8>,
    new: Vec<u8>,
}

impl Record {
    /// The record of `new` overwriting `old` at `offset` of `target` (the
    /// file at `target_path`, open), as it is now.
    pub(crate) fn of(
        target_path: &Path,
        target: &File,
        offset: u64,
        old: &[u8],
        new: &[u8],
    ) -> io::Result<Record> {
        let name = target_path
            .file_name()
            .ok_or_else(|| io::Error::other("the file to overwrite has no name"))?;
        let meta = target.metadata()?;
        Ok(Record {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            modified: meta.modified().ok(),
            offset,
            name: name.to_os_string(),
            old: old.to_vec(),
            new: new.to_vec(),
        })
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        for n in [self.dev, self.ino, self.len] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        let since = self
            .modified
            .and_then(|m| m.duration_since(UNIX_EPOCH).ok());
        out.push(u8::from(since.is_some()));
        let since = since.unwrap_or_default();
        out.extend_from_slice(&since.as_secs().to_le_bytes());
        out.extend_from_slice(&since.subsec_nanos().to_le_bytes());
        out.extend_from_slice(&self.offset.to_le_bytes());
        for bytes in [self.name.as_bytes(), &self.old, &self.new] {
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            out.extend_from_slice(bytes);
        }
    }

    fn decode_from(r: &mut Reader) -> Option<Record> {
        let (dev, ino, len) = (r.u64()?, r.u64()?, r.u64()?);
        let has_time = r.take(1)?[0] == 1;
        let (secs, nanos) = (r.u64()?, r.u32()?);
        let modified = has_time.then(|| UNIX_EPOCH + Duration::new(secs, nanos));
        let offset = r.u64()?;
        let name = OsString::from_vec(r.sized()?.to_vec());
        let old = r.sized()?.to_vec();
        let new = r.sized()?.to_vec();
        (old.len() == new.len()).then_some(Record {
            dev,
            ino,
            len,
            modified,
            offset,
            name,
            old,
            new,
        })
    }
}

/// A journal's bytes: its records, then their digest.
fn encode(records: &[Record]) -> Vec<u8> {
    let size: usize = records.iter().map(|r| 64 + r.old.len() * 2).sum();
    let mut out = Vec::with_capacity(32 + size);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(records.len() as u32).to_le_bytes());
    for record in records {
        record.encode_into(&mut out);
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// A journal's records, or `None` for a journal that is torn (or not ours).
fn decode(bytes: &[u8]) -> Option<Vec<Record>> {
    let version = u32::from_le_bytes(bytes.get(8..12)?.try_into().ok()?);
    let body = match version {
        1 => {
            let (body, digest) = bytes.split_at_checked(bytes.len().checked_sub(16)?)?;
            (Md5::digest(body).as_slice() == digest).then_some(body)?
        }
        _ => {
            let (body, crc) = bytes.split_at_checked(bytes.len().checked_sub(4)?)?;
            (crc32fast::hash(body).to_le_bytes() == crc).then_some(body)?
        }
    };
    let mut r = Reader(body);
    if r.take(8)? != MAGIC {
        return None;
    }
    let count = match r.u32()? {
        1 => 1,
        VERSION => r.u32()?,
        _ => return None,
    };
    let records = (0..count)
        .map(|_| Record::decode_from(&mut r))
        .collect::<Option<Vec<_>>>()?;
    r.0.is_empty().then_some(records)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn sized(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

/// A live journal: on disk and locked by this process until it is
/// [finished](Journal::finish) (or, if this process dies, replayed by the
/// next run).
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    /// Holds the lock that tells other runs this journal is live.
    file: File,
}

impl Journal {
    /// Records that `new` is about to overwrite `old` at `offset` of
    /// `target` (the file at `target_path`, open), and makes the record
    /// durable: the journal is fsynced, then its directory.
    pub fn begin(
        target_path: &Path,
        target: &File,
        offset: u64,
        old: &[u8],
        new: &[u8],
    ) -> io::Result<Journal> {
        let record = Record::of(target_path, target, offset, old, new)?;
        let dir = folder_of(target_path);
        let journal = Journal::write(dir, &[record])?;
        let synced = journal.file.sync_all().and_then(|()| folder::sync_dir(dir));
        if let Err(e) = synced {
            // Nothing was overwritten yet: the journal is worthless.
            let _ = fs::remove_file(&journal.path);
            return Err(e);
        }
        Ok(journal)
    }

    /// Writes a journal of `records` (files in `dir`), not yet durable:
    /// the caller makes it so before any overwrite starts.
    pub(crate) fn write(dir: &Path, records: &[Record]) -> io::Result<Journal> {
        // The folder was settled before the image was read for writing
        // (`tagging::open_image`), so no stale journal lingers beside it.
        let (file, path) = folder::locked_new_in(dir, JOURNAL_SUFFIX)?
            .keep()
            .map_err(|e| e.error)?;
        if let Err(e) = file.write_all_at(&encode(records), 0) {
            let _ = fs::remove_file(&path);
            return Err(e);
        }
        Ok(Journal { path, file })
    }

    /// The journal file, open.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// The overwrites are complete and durable: the journal goes. The
    /// caller syncs the directory (a batch does it once per folder); until
    /// then a crash may bring the journal back, and its replay the old
    /// bytes.
    pub fn finish(self) -> io::Result<()> {
        fs::remove_file(&self.path)
    }

    /// Where the journal is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The files a journal is about (beside it); none when the journal is
/// torn or not one of ccsig's. Reads the journal and nothing else.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let torn = dir.path().join(".ccsig-abc.journal");
/// std::fs::write(&torn, b"CCSIGJNL").unwrap();
/// assert!(ccsig::batch::journal::targets_of(&torn).unwrap().is_empty());
/// ```
pub fn targets_of(path: &Path) -> io::Result<Vec<PathBuf>> {
    let file = File::open(path)?;
    if file.metadata()?.len() > MAX_JOURNAL_LEN {
        return Ok(Vec::new());
    }
    let mut bytes = Vec::new();
    (&file).read_to_end(&mut bytes)?;
    let dir = folder_of(path);
    Ok(decode(&bytes)
        .unwrap_or_default()
        .into_iter()
        .map(|r| dir.join(r.name))
        .collect())
}

/// What replaying a stale journal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// A file had (part of) the new bytes: the old ones are back.
    Restored,
    /// The overwrite never started: the file was as recorded.
    Untouched,
    /// The journal was torn while being written (so the overwrite never
    /// started): discarded.
    Torn,
    /// The file is gone, or its name now names another file: nothing to
    /// restore.
    TargetGone,
    /// The range holds bytes that are neither old nor new (someone wrote
    /// the file since): left as it is.
    TargetChanged,
    /// Another process holds the journal or the file: left for later.
    Busy,
}

/// Replays a journal no live process holds: for each file it records,
/// restores the old bytes if the file (same name, device, inode and
/// length) holds the new bytes or a mix of old and new, makes them
/// durable and gives the file back its modification time; then removes
/// the journal (and syncs the folder). For a journal of several files the
/// outcome is the first of `Busy`, `Restored`, `TargetChanged`,
/// `TargetGone`, `Untouched` that one of them had.
///
/// ```
/// use ccsig::batch::journal::{replay, Replay};
/// let dir = tempfile::tempdir().unwrap();
/// // A torn journal (the writer died while writing it) is discarded.
/// let torn = dir.path().join(".ccsig-abc.journal");
/// std::fs::write(&torn, b"CCSIGJNL\x01").unwrap();
/// assert_eq!(replay(&torn).unwrap(), Replay::Torn);
/// assert!(!torn.exists());
/// ```
pub fn replay(path: &Path) -> io::Result<Replay> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Replay::Busy),
        Err(e) => return Err(e),
    };
    if file.try_lock().is_err() || file.metadata()?.nlink() == 0 {
        return Ok(Replay::Busy);
    }
    let dir = folder_of(path);
    let meta = file.metadata()?;
    if meta.len() > MAX_JOURNAL_LEN {
        return Err(io::Error::other("not a ccsig journal: too large"));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    (&file).read_to_end(&mut bytes)?;
    let outcome = match decode(&bytes) {
        None => Replay::Torn,
        Some(records) => {
            let mut outcomes = Vec::with_capacity(records.len());
            for record in &records {
                outcomes.push(restore(dir, record)?.unwrap_or(Replay::Busy));
            }
            let rank = [
                Replay::Busy,
                Replay::Restored,
                Replay::TargetChanged,
                Replay::TargetGone,
                Replay::Untouched,
            ];
            let first = rank.into_iter().find(|r| outcomes.contains(r));
            match first {
                // Restored files stay restored; the journal waits for the
                // busy one.
                Some(Replay::Busy) => return Ok(Replay::Busy),
                Some(outcome) => outcome,
                None => Replay::Untouched,
            }
        }
    };
    fs::remove_file(path)?;
    folder::sync_dir(dir)?;
    Ok(outcome)
}

/// Restores the record's old bytes into its file, if they belong there.
/// `None`: the file is locked by a live writer.
fn restore(dir: &Path, record: &Record) -> io::Result<Option<Replay>> {
    let target_path = dir.join(&record.name);
    let target = match OpenOptions::new().read(true).write(true).open(&target_path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Some(Replay::TargetGone)),
        Err(e) => return Err(e),
    };
    let meta = target.metadata()?;
    if (meta.dev(), meta.ino(), meta.len()) != (record.dev, record.ino, record.len) {
        return Ok(Some(Replay::TargetGone));
    }
    if target.try_lock().is_err() {
        return Ok(None);
    }
    let mut now = vec![0u8; record.old.len()];
    target.read_exact_at(&mut now, record.offset)?;
    if now == record.old {
        return Ok(Some(Replay::Untouched));
    }
    let torn_or_new = now
        .iter()
        .zip(record.old.iter().zip(&record.new))
        .all(|(b, (old, new))| b == old || b == new);
    if !torn_or_new {
        return Ok(Some(Replay::TargetChanged));
    }
    target.write_all_at(&record.old, record.offset)?;
    if let Some(modified) = record.modified {
        target.set_modified(modified)?;
    }
    target.sync_all()?;
    Ok(Some(Replay::Restored))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photo.jpg");
        fs::write(&path, b"0123456789abcdef").unwrap();
        (dir, path)
    }

    /// The undo journals in `dir`.
    pub(crate) fn journals(dir: &Path) -> Vec<PathBuf> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| is_journal_name(p))
            .collect()
    }

    /// A journal as a killed writer leaves it: durable, then unlocked.
    fn begin_and_die(path: &Path, offset: u64, new: &[u8]) -> PathBuf {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        let mut old = vec![0u8; new.len()];
        file.read_exact_at(&mut old, offset).unwrap();
        let journal = Journal::begin(path, &file, offset, &old, new).unwrap();
        let at = journal.path().to_path_buf();
        drop(journal); // the lock goes with the process
        at
    }

    #[test]
    fn records_round_trip_and_torn_ones_are_refused() {
        let one = Record {
            dev: 1,
            ino: 2,
            len: 3,
            modified: Some(UNIX_EPOCH + Duration::new(5, 6)),
            offset: 7,
            name: "a.png".into(),
            old: b"old".to_vec(),
            new: b"new".to_vec(),
        };
        let two = Record {
            name: "b.webp".into(),
            modified: None,
            ..one.clone()
        };
        let records = vec![one, two];
        let bytes = encode(&records);
        assert_eq!(decode(&bytes), Some(records.clone()));
        for cut in [0, 1, 8, bytes.len() / 2, bytes.len() - 1] {
            assert_eq!(decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[40] ^= 1;
        assert_eq!(decode(&flipped), None);
        // Version 1: one record, no count.
        let mut v1 = MAGIC.to_vec();
        v1.extend_from_slice(&1u32.to_le_bytes());
        records[0].encode_into(&mut v1);
        let digest = Md5::digest(&v1);
        v1.extend_from_slice(&digest);
        assert_eq!(decode(&v1), Some(records[..1].to_vec()));
    }

    #[test]
    fn a_crash_before_the_overwrite_replays_to_the_same_file() {
        let (dir, path) = setup();
        let journal = begin_and_die(&path, 4, b"WXYZ");
        assert_eq!(targets_of(&journal).unwrap(), std::slice::from_ref(&path));
        assert!(crate::batch::atomic::is_stale_temp(&journal));
        assert_eq!(replay(&journal).unwrap(), Replay::Untouched);
        assert_eq!(fs::read(&path).unwrap(), b"0123456789abcdef");
        assert!(journals(dir.path()).is_empty());
    }

    #[test]
    fn a_crash_after_a_partial_or_whole_overwrite_restores_the_old_bytes() {
        for written in [&b"WX"[..], b"WXYZ"] {
            let (dir, path) = setup();
            let before = fs::metadata(&path).unwrap().modified().unwrap();
            let journal = begin_and_die(&path, 4, b"WXYZ");
            let file = OpenOptions::new().write(true).open(&path).unwrap();
            file.write_all_at(written, 4).unwrap();
            file.set_modified(before + Duration::from_secs(60)).unwrap();
            assert_eq!(replay(&journal).unwrap(), Replay::Restored);
            assert_eq!(fs::read(&path).unwrap(), b"0123456789abcdef");
            assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), before);
            assert!(journals(dir.path()).is_empty());
        }
    }

    #[test]
    fn a_file_changed_or_replaced_since_is_left_alone() {
        let (_dir, path) = setup();
        let journal = begin_and_die(&path, 4, b"WXYZ");
        fs::write(&path, b"0123____89abcdef").unwrap();
        assert_eq!(replay(&journal).unwrap(), Replay::TargetChanged);
        assert_eq!(fs::read(&path).unwrap(), b"0123____89abcdef");

        let journal = begin_and_die(&path, 0, b"AB");
        let other = path.with_extension("new");
        fs::write(&other, b"AB23____89abcdef").unwrap();
        fs::rename(&other, &path).unwrap();
        assert_eq!(replay(&journal).unwrap(), Replay::TargetGone);
        assert_eq!(fs::read(&path).unwrap(), b"AB23____89abcdef");
    }

    #[test]
    fn a_live_journal_is_not_replayed() {
        let (_dir, path) = setup();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let journal = Journal::begin(&path, &file, 0, b"01", b"AB").unwrap();
        file.write_all_at(b"AB", 0).unwrap();
        assert!(!crate::batch::atomic::is_stale_temp(journal.path()));
        assert_eq!(replay(journal.path()).unwrap(), Replay::Busy);
        assert_eq!(&fs::read(&path).unwrap()[..2], b"AB");
        let at = journal.path().to_path_buf();
        journal.finish().unwrap();
        assert!(!at.exists());
    }
}
