//! The folder ccsig writes into, at its lowest level: how its temporary
//! files are named, how a new one is made and locked, where a file's
//! folder is, and how a folder's entries are made durable. Both the
//! atomic replacement (`atomic`) and the undo journal (`journal`) stand
//! on it; settling a folder (removing stale temporaries, replaying stale
//! journals) needs both, and lives in `atomic` above the journal.

use std::fs::File;
use std::io;
use std::path::Path;

use tempfile::NamedTempFile;

/// Prefix of ccsig's temporary files; the walker skips them.
pub const TEMP_PREFIX: &str = ".ccsig-";
/// Suffix of ccsig's temporary files (between it and [`TEMP_PREFIX`], a
/// random part).
pub const TEMP_SUFFIX: &str = ".tmp";

/// The folder a file is in (`.` for a bare name): where its temporaries
/// and undo journals go, and whose entry a write must sync.
pub(crate) fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A new `.ccsig-<random><suffix>` file in `dir`, locked by this process
/// until dropped or persisted. The folder is not settled here: callers
/// settle it first (`atomic::clean_dir_once`).
pub(crate) fn locked_new_in(dir: &Path, suffix: &str) -> io::Result<NamedTempFile> {
    loop {
        let temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(suffix)
            .tempfile_in(dir)?;
        // Blocking: another ccsig may hold it for an instant while deciding
        // whether it is stale; if it removed it meanwhile, start again.
        temp.as_file().lock()?;
        if still_linked(temp.as_file())? {
            return Ok(temp);
        }
    }
}

#[cfg(unix)]
fn still_linked(file: &File) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    Ok(file.metadata()?.nlink() > 0)
}

#[cfg(not(unix))]
fn still_linked(_: &File) -> io::Result<bool> {
    Ok(true)
}

/// Makes renames in `dir` durable (the directory entry reaches the disk).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("a"), b"a").unwrap();
/// ccsig::batch::atomic::sync_dir(dir.path()).unwrap();
/// ```
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
