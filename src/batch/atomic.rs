//! Atomic replacement of a file: the new content goes to a temporary file in
//! the same directory, is validated and fsynced, and only then renamed over
//! the original. A crash, Ctrl-C or full disk at any point leaves either the
//! old file or the new one, never a mix.
//!
//! A temporary file is locked (`flock`) by the process writing it for as
//! long as it lives. A process killed outright (SIGKILL, power loss) leaves
//! its temporary file behind, unlocked; the next ccsig that writes into the
//! same folder removes every such stale temporary before its first write
//! there ([`clean_stale_temps`]), and `check` reports any it sees.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use tempfile::NamedTempFile;

use super::folder;
pub(crate) use super::folder::folder_of;
pub use super::folder::{sync_dir, TEMP_PREFIX, TEMP_SUFFIX};

/// Why a replacement did not happen. The original is untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum AtomicError<E: std::error::Error + 'static> {
    /// The temporary file could not be created, written, synced or renamed
    /// (a read-only folder, a full disk).
    #[error("cannot write next to the original: {0}")]
    Io(#[from] io::Error),
    /// `produce` failed (its own error, e.g. a failed validation).
    #[error("{0}")]
    Produce(#[source] E),
    /// Another writer changed or replaced the file since it was read, so
    /// writing ours would lose theirs.
    #[error("the file changed while ccsig was working on it; left as it was")]
    ChangedMeanwhile,
    /// Replacing the file would do something its owner did not ask for
    /// (split hard links, override permissions).
    #[error(transparent)]
    Unsafe(#[from] Unsafe),
}

/// Why rewriting a file would do something its owner did not ask for;
/// nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsafe {
    /// Renaming a new file over one name of a hard-linked file leaves the
    /// other names on the old content.
    #[error("has {0} hard links; rewriting would split them; --break-hardlinks to proceed")]
    HardLinks(u64),
    /// Like `sed -i`, ccsig does not override a file's permissions.
    #[error(
        "is read-only (mode {0:o}); ccsig does not override permissions: make it writable first"
    )]
    ReadOnly(u32),
    /// The file has write bits, but none that apply to this user.
    #[error("is not writable by this user; ccsig does not override permissions")]
    NotWritable,
}

/// What a replacement keeps of the original beyond its permissions, owner
/// and extended attributes (always kept), and what it lets through.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keep {
    /// Give the new file the original's modification and access times.
    pub times: bool,
    /// Replace a file that has other hard links (they keep the old content).
    pub break_hardlinks: bool,
}

/// Refuses to replace a file whose replacement would split its hard links
/// (unless `keep.break_hardlinks`) or which this user may not write: no
/// write permission bit at all (refused even for root, who the kernel
/// would let through), or none for this user.
pub fn check_replaceable(path: &Path, meta: &fs::Metadata, keep: Keep) -> Result<(), Unsafe> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 && !keep.break_hardlinks {
            return Err(Unsafe::HardLinks(meta.nlink()));
        }
        if meta.mode() & 0o222 == 0 {
            return Err(Unsafe::ReadOnly(meta.mode() & 0o7777));
        }
        let access = rustix::fs::accessat(
            rustix::fs::CWD,
            path,
            rustix::fs::Access::WRITE_OK,
            rustix::fs::AtFlags::EACCESS,
        );
        if access.is_err() {
            return Err(Unsafe::NotWritable);
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, keep);
        if meta.permissions().readonly() {
            return Err(Unsafe::ReadOnly(0o444));
        }
    }
    Ok(())
}

/// What identifies the version of a file we read, to detect a concurrent
/// writer before we rename over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    len: u64,
    modified: Option<SystemTime>,
}

impl Fingerprint {
    /// The fingerprint of an open file, now: its length and modification
    /// time.
    ///
    /// ```
    /// use ccsig::batch::atomic::Fingerprint;
    /// let file = std::fs::File::open("sample-images/jpeg/plain.jpg").unwrap();
    /// let again = std::fs::File::open("sample-images/jpeg/plain.jpg").unwrap();
    /// assert_eq!(Fingerprint::of(&file).unwrap(), Fingerprint::of(&again).unwrap());
    /// ```
    pub fn of(file: &File) -> io::Result<Fingerprint> {
        let m = file.metadata()?;
        Ok(Fingerprint {
            len: m.len(),
            modified: m.modified().ok(),
        })
    }
}

/// Replaces `path` with what `produce` writes. `produce` gets the temporary
/// file to write and must leave it complete; it is expected to validate the
/// result itself (it can seek and re-read the temporary file). Permissions
/// (and, where allowed, ownership) of the original are kept.
///
/// The new content is fsynced before the rename, so the file is old or new
/// after any crash. Returns the directory, which the caller must
/// [`sync_dir`] to make the rename itself durable: a batch syncs each
/// directory once, not once per file.
///
/// ```
/// use std::io::Write;
/// use ccsig::batch::atomic::{replace, sync_dir, AtomicError, Fingerprint};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("notes.txt");
/// std::fs::write(&path, "old").unwrap();
/// let original = std::fs::File::open(&path).unwrap();
/// let seen = Fingerprint::of(&original).unwrap();
///
/// let synced = replace(&path, &original, &seen, |temp| temp.write_all(b"new"));
/// sync_dir(&synced.unwrap()).unwrap();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
///
/// // A failing `produce` leaves the file as it was.
/// let original = std::fs::File::open(&path).unwrap();
/// let seen = Fingerprint::of(&original).unwrap();
/// let failed = replace(&path, &original, &seen, |_| Err(std::io::Error::other("no")));
/// assert!(matches!(failed, Err(AtomicError::Produce(_))));
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
/// ```
pub fn replace<E, F>(
    path: &Path,
    original: &File,
    seen: &Fingerprint,
    produce: F,
) -> Result<std::path::PathBuf, AtomicError<E>>
where
    E: std::error::Error + 'static,
    F: FnOnce(&mut File) -> Result<(), E>,
{
    replace_keeping(path, original, seen, Keep::default(), produce)
}

/// [`replace`], after [`check_replaceable`], keeping what `keep` asks for
/// too.
pub fn replace_keeping<E, F>(
    path: &Path,
    original: &File,
    seen: &Fingerprint,
    keep: Keep,
    produce: F,
) -> Result<std::path::PathBuf, AtomicError<E>>
where
    E: std::error::Error + 'static,
    F: FnOnce(&mut File) -> Result<(), E>,
{
    let dir = folder_of(path);
    check_replaceable(path, &original.metadata()?, keep)?;
    let mut temp = temp_in(dir)?;
    produce(temp.as_file_mut()).map_err(AtomicError::Produce)?;
    let meta = original.metadata()?;
    fs::set_permissions(temp.path(), meta.permissions())?;
    let file = temp.as_file_mut();
    file.seek(SeekFrom::Start(0))?;
    keep_owner(file, &meta);
    // After the owner and mode: an ACL is kept whole, mask included.
    copy_xattrs(original, file)?;
    if keep.times {
        file.set_times(
            fs::FileTimes::new()
                .set_accessed(meta.accessed()?)
                .set_modified(meta.modified()?),
        )?;
    }
    file.sync_all()?;
    if Fingerprint::of(original)? != *seen || !same_file(path, original)? {
        return Err(AtomicError::ChangedMeanwhile);
    }
    temp.persist(path).map_err(|e| AtomicError::Io(e.error))?;
    Ok(dir.to_path_buf())
}

/// Whether `path` is named like one of ccsig's temporary files (an undo
/// journal of an in-place write is one too).
///
/// ```
/// use ccsig::batch::atomic::is_temp_name;
/// assert!(is_temp_name("photos/.ccsig-x7Yq2.tmp".as_ref()));
/// assert!(is_temp_name("photos/.ccsig-x7Yq2.journal".as_ref()));
/// assert!(!is_temp_name("photos/.ccsig-notes.txt".as_ref()));
/// ```
pub fn is_temp_name(path: &Path) -> bool {
    let named = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(TEMP_PREFIX) && n.ends_with(TEMP_SUFFIX));
    named || is_journal(path)
}

/// Whether `path` is named like an undo journal of an in-place write.
///
/// ```
/// use ccsig::batch::atomic::is_journal_name;
/// assert!(is_journal_name("photos/.ccsig-x7Yq2.journal".as_ref()));
/// assert!(!is_journal_name("photos/.ccsig-x7Yq2.tmp".as_ref()));
/// ```
pub fn is_journal_name(path: &Path) -> bool {
    is_journal(path)
}

#[cfg(unix)]
fn is_journal(path: &Path) -> bool {
    super::journal::is_journal_name(path)
}

#[cfg(not(unix))]
fn is_journal(_: &Path) -> bool {
    false
}

/// A new temporary file in `dir`, locked by this process until dropped or
/// persisted. The first time this process writes into `dir`, stale
/// temporaries left there by a killed ccsig are removed first.
///
/// ```
/// use ccsig::batch::atomic::{is_stale_temp, is_temp_name, temp_in};
/// let dir = tempfile::tempdir().unwrap();
/// let temp = temp_in(dir.path()).unwrap();
/// assert!(is_temp_name(temp.path()));
/// assert!(!is_stale_temp(temp.path())); // this process holds it
/// let path = temp.path().to_path_buf();
/// drop(temp);
/// assert!(!path.exists()); // removed when dropped
/// ```
pub fn temp_in(dir: &Path) -> io::Result<NamedTempFile> {
    locked_new_in(dir, TEMP_SUFFIX)
}

/// A new `.ccsig-<random><suffix>` file in `dir`, locked by this process,
/// after the first-write cleaning of `dir`.
fn locked_new_in(dir: &Path, suffix: &str) -> io::Result<NamedTempFile> {
    clean_dir_once(dir);
    folder::locked_new_in(dir, suffix)
}

/// Removes the temporaries in `dir` that no live process holds (left by a
/// ccsig that was killed), and replays the stale undo journals of in-place
/// writes (their files get their old bytes back). Returns what was removed.
///
/// ```
/// use ccsig::batch::atomic::{clean_stale_temps, temp_in};
/// let dir = tempfile::tempdir().unwrap();
/// // What a killed ccsig leaves behind: a temporary nobody holds.
/// let stale = dir.path().join(".ccsig-killed.tmp");
/// std::fs::write(&stale, b"half a file").unwrap();
/// assert_eq!(clean_stale_temps(dir.path()).unwrap(), [stale.clone()]);
/// assert!(!stale.exists());
///
/// // A temporary held by a live writer is left alone.
/// let live = temp_in(dir.path()).unwrap();
/// assert!(clean_stale_temps(dir.path()).unwrap().is_empty());
/// assert!(live.path().exists());
/// ```
pub fn clean_stale_temps(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if is_temp_name(&path) && is_stale_temp(&path) {
            #[cfg(unix)]
            if super::journal::is_journal_name(&path) {
                // One journal that cannot be replayed (its image made
                // read-only meanwhile, say) stays for a later run; it
                // stops neither the others nor the write.
                match super::journal::replay(&path) {
                    Ok(super::journal::Replay::Busy) | Err(_) => {}
                    Ok(_) => removed.push(path),
                }
                continue;
            }
            match fs::remove_file(&path) {
                Ok(()) => removed.push(path),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

/// A ccsig temporary that no live process holds. (The lock taken here is
/// released when the file is closed, after the caller removed it.)
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let stale = dir.path().join(".ccsig-killed.tmp");
/// std::fs::write(&stale, b"half a file").unwrap();
/// assert!(ccsig::batch::atomic::is_stale_temp(&stale));
/// assert!(!ccsig::batch::atomic::is_stale_temp(&dir.path().join("absent")));
/// ```
pub fn is_stale_temp(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    file.metadata().is_ok_and(|m| m.is_file()) && file.try_lock().is_ok()
}

/// Once per process and folder, before the first write into `dir` (and
/// before its files are even read for writing, as a stale undo journal
/// means a file there may hold a half-written packet): removes stale
/// temporaries and replays stale journals ([`clean_stale_temps`]). Other
/// threads wait meanwhile.
pub fn clean_dir_once(dir: &Path) {
    static CLEANED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    // The lock is held while the first thread cleans, so that no other
    // thread writes into the folder before its stale temporaries are gone.
    let Ok(mut cleaned) = CLEANED.lock() else {
        return;
    };
    let cleaned = cleaned.get_or_insert_with(HashSet::new);
    // The folder as named is looked up first: called before every file is
    // read, this spares resolving its path each time.
    if cleaned.contains(dir) {
        return;
    }
    let key = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let first = !cleaned.contains(&key);
    cleaned.insert(dir.to_path_buf());
    cleaned.insert(key);
    if first {
        // Best effort: a folder we cannot clean is no reason not to write.
        let _ = clean_stale_temps(dir);
    }
}

/// Whether `path` still names the file we opened (not replaced by another).
fn same_file(path: &Path, original: &File) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let (a, b) = (fs::metadata(path)?, original.metadata()?);
        Ok(a.dev() == b.dev() && a.ino() == b.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = (path, original);
        Ok(true)
    }
}

#[cfg(unix)]
fn keep_owner(file: &File, meta: &fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    let Ok(now) = file.metadata() else { return };
    if now.uid() != meta.uid() || now.gid() != meta.gid() {
        // Only root may give a file away; for anyone else the file simply
        // becomes theirs, as with every editor that saves by renaming.
        let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
    }
}

#[cfg(not(unix))]
fn keep_owner(_: &File, _: &fs::Metadata) {}

/// Copies every extended attribute the original has (user.*, ACLs as
/// system.posix_acl_*, security labels) to the new file. A file system
/// without extended attributes has none to copy. One that cannot be set,
/// unless the new file already has it as it was, stops the replacement:
/// an ACL silently lost is a permission changed.
#[cfg(unix)]
fn copy_xattrs(original: &File, new: &File) -> io::Result<()> {
    use xattr::FileExt;
    let names = match original.list_xattr() {
        Ok(names) => names,
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::NOTSUP.raw_os_error()) => {
            return Ok(())
        }
        Err(e) => return Err(e),
    };
    for name in names {
        let Some(value) = original.get_xattr(&name)? else {
            continue;
        };
        if let Err(e) = new.set_xattr(&name, &value) {
            if new.get_xattr(&name).ok().flatten().as_ref() != Some(&value) {
                let shown = name.to_string_lossy();
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot keep extended attribute {shown}: {e}"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn copy_xattrs(_: &File, _: &File) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[derive(Debug, thiserror::Error)]
    #[error("refused")]
    struct Refused;

    fn setup(content: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jpg");
        fs::write(&path, content).unwrap();
        (dir, path)
    }

    fn leftovers(dir: &Path) -> usize {
        fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(TEMP_PREFIX)
            })
            .count()
    }

    #[test]
    fn replaces_content_and_keeps_permissions() {
        let (dir, path) = setup(b"old");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        }
        let f = File::open(&path).unwrap();
        let seen = Fingerprint::of(&f).unwrap();
        replace::<Refused, _>(&path, &f, &seen, |t| {
            t.write_all(b"new").unwrap();
            Ok(())
        })
        .unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o640);
        }
        assert_eq!(leftovers(dir.path()), 0);
    }

    #[test]
    fn a_failed_producer_leaves_the_original_and_no_temp_file() {
        let (dir, path) = setup(b"old");
        let f = File::open(&path).unwrap();
        let seen = Fingerprint::of(&f).unwrap();
        let r = replace(&path, &f, &seen, |t| {
            t.write_all(b"half").unwrap();
            Err(Refused)
        });
        assert!(matches!(r, Err(AtomicError::Produce(Refused))));
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(leftovers(dir.path()), 0);
    }

    #[test]
    fn stale_temps_are_removed_and_live_ones_kept() {
        let (dir, _path) = setup(b"old");
        let stale = |name: &str| {
            let p = dir.path().join(format!("{TEMP_PREFIX}{name}{TEMP_SUFFIX}"));
            fs::write(&p, b"left by a killed run").unwrap();
            p
        };
        let first = stale("dead1");
        assert!(is_stale_temp(&first));
        // The first temporary this process makes in a folder cleans it.
        let live = temp_in(dir.path()).unwrap();
        assert!(!first.exists());
        assert!(!is_stale_temp(live.path()), "a locked temp is live");
        let second = stale("dead2");
        let other = dir.path().join(".ccsig-note.txt");
        fs::write(&other, b"not ours").unwrap();
        let removed = clean_stale_temps(dir.path()).unwrap();
        assert_eq!(removed, std::slice::from_ref(&second));
        assert!(live.path().exists() && other.exists());
        drop(live);
        assert_eq!(leftovers(dir.path()), 1, "only the non-temp file is left");
    }

    #[test]
    fn a_concurrent_change_is_detected() {
        let (_dir, path) = setup(b"old");
        let f = File::open(&path).unwrap();
        let seen = Fingerprint::of(&f).unwrap();
        let r = replace::<Refused, _>(&path, &f, &seen, |t| {
            fs::write(&path, b"someone else wrote this").unwrap();
            t.write_all(b"new").unwrap();
            Ok(())
        });
        assert!(matches!(r, Err(AtomicError::ChangedMeanwhile)));
        assert_eq!(fs::read(&path).unwrap(), b"someone else wrote this");
    }
}
