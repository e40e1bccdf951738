//! Group commit of in-place overwrites. Each overwrite needs an undo
//! journal that is durable (with its folder entry) before its first byte
//! is written, and the overwrite itself must be durable before the journal
//! goes: three syncs per file, each a disk cache flush, which was most of
//! what a re-tag cost.
//! Overwrites that arrive together (a batch's workers) share them: the
//! first to arrive leads a round for everyone waiting, as databases commit
//! their logs. A round writes one journal per folder, makes them durable
//! with one sync per file system, writes every overwrite, and makes those
//! durable with one more. Each caller then verifies its own file and
//! either releases its overwrite or rolls it back; a folder's journal goes
//! when the last overwrite it records is released, so a crash at any
//! moment still leaves every file old or new once the journal is replayed.
//!
//! On Linux one sync is `syncfs` (every file of that file system, so also
//! whatever else is being written there); elsewhere each journal, its
//! folder and each file are synced one by one.

use std::collections::BTreeMap;
use std::fs::{File, FileTimes};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use super::atomic::folder_of;
use super::journal::{Journal, Record};

/// An overwrite to commit: `new` over `old` at `offset` of `target` (the
/// file at `path`), which the caller has locked and checked still holds
/// `old`.
pub(crate) struct Request {
    pub path: PathBuf,
    /// Open for writing; a duplicate of the caller's handle, so it shares
    /// the caller's lock.
    pub target: File,
    pub offset: u64,
    pub old: Vec<u8>,
    pub new: Vec<u8>,
    /// Times to give the file back after the write (`--preserve-mtime`).
    pub times: Option<FileTimes>,
}

/// An overwrite written and durable, under a journal that stays until it
/// is [released](Committed::release) or [rolled back](Committed::roll_back).
pub(crate) struct Committed {
    journal: Arc<SharedJournal>,
    request: Request,
}

impl Committed {
    /// The caller verified the file: its part of the journal is done. The
    /// last overwrite of a journal to be released removes the journal (the
    /// caller syncs the folder later); an error then means the journal
    /// stays, and the next run would put the old bytes back.
    pub(crate) fn release(self) -> io::Result<()> {
        self.journal.release()
    }

    /// Puts the old bytes back, durably. If that fails, the journal stays
    /// for the next run to replay.
    pub(crate) fn roll_back(self) -> io::Result<()> {
        let restored = roll_back(&self.request);
        if restored.is_err() {
            self.journal.keep.store(true, Ordering::SeqCst);
        }
        // Release this overwrite's share whatever happened: with `keep`
        // set the journal stays.
        let _ = self.journal.release();
        restored
    }
}

/// A folder's journal, shared by the overwrites of one round.
struct SharedJournal {
    journal: Journal,
    /// Set when an overwrite could not be rolled back: the journal must
    /// stay for the next run.
    keep: AtomicBool,
}

impl SharedJournal {
    fn release(self: Arc<Self>) -> io::Result<()> {
        match Arc::into_inner(self) {
            Some(last) if !last.keep.load(Ordering::SeqCst) => last.journal.finish(),
            _ => Ok(()),
        }
    }
}

/// Most requests one round takes (bounds a journal's size and how long the
/// first caller waits).
const MAX_ROUND: usize = 256;

/// A group commit: callers that arrive while a round runs wait, and go
/// together in the next round, which one of them leads.
struct Rounds<R, O> {
    queue: Mutex<Queue<R, O>>,
    done: Condvar,
}

struct Queue<R, O> {
    /// Each request with the slot its outcome goes into.
    waiting: Vec<(R, Arc<Slot<O>>)>,
    leading: bool,
}

/// Where a caller's outcome goes when its round is done.
struct Slot<O>(Mutex<Option<O>>);

impl<O> Slot<O> {
    fn finish(&self, outcome: O) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
    }

    fn take(&self) -> Option<O> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

impl<R, O> Rounds<R, O> {
    const fn new() -> Self {
        Rounds {
            queue: Mutex::new(Queue {
                waiting: Vec::new(),
                leading: false,
            }),
            done: Condvar::new(),
        }
    }

    /// Runs `request` in a round with whatever others are waiting: `run`
    /// takes a round's requests and gives each its outcome, in order.
    fn join(&self, request: R, run: impl Fn(Vec<R>) -> Vec<O>) -> O {
        let slot = Arc::new(Slot(Mutex::new(None)));
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue.waiting.push((request, Arc::clone(&slot)));
        loop {
            if let Some(outcome) = slot.take() {
                return outcome;
            }
            if !queue.leading {
                queue.leading = true;
                let take = queue.waiting.len().min(MAX_ROUND);
                let (requests, slots): (Vec<R>, Vec<Arc<Slot<O>>>) =
                    queue.waiting.drain(..take).unzip();
                drop(queue);
                let outcomes = run(requests);
                assert_eq!(outcomes.len(), slots.len(), "one outcome per request");
                for (slot, outcome) in slots.iter().zip(outcomes) {
                    slot.finish(outcome);
                }
                queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
                queue.leading = false;
                // Wakes this round's callers, and someone to lead the next.
                self.done.notify_all();
                continue;
            }
            queue = self
                .done
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

static OVERWRITES: Rounds<Request, io::Result<Committed>> = Rounds::new();

/// Commits one overwrite with whatever others are waiting: returns once
/// its journal and then its new bytes are durable (or it failed, and the
/// file holds its old bytes unless the error says otherwise).
pub(crate) fn commit(request: Request) -> io::Result<Committed> {
    OVERWRITES.join(request, run_overwrites)
}

/// One round of overwrites: journals, sync, overwrites, sync.
fn run_overwrites(requests: Vec<Request>) -> Vec<io::Result<Committed>> {
    let mut outcomes: Vec<Option<io::Result<Committed>>> = Vec::new();
    outcomes.resize_with(requests.len(), || None);
    let mut by_folder: BTreeMap<PathBuf, Vec<(usize, Request)>> = BTreeMap::new();
    for (at, request) in requests.into_iter().enumerate() {
        let folder = folder_of(&request.path).to_path_buf();
        by_folder.entry(folder).or_default().push((at, request));
    }
    let failed =
        |e: &io::Error, what: &str| Some(Err(io::Error::new(e.kind(), format!("{what}: {e}"))));

    // The journals, durable before any overwrite starts.
    let mut journaled = Vec::new();
    for (folder, members) in by_folder {
        let records: io::Result<Vec<Record>> = members
            .iter()
            .map(|(_, r)| Record::of(&r.path, &r.target, r.offset, &r.old, &r.new))
            .collect();
        match records.and_then(|records| Journal::write(&folder, &records)) {
            Ok(journal) => journaled.push((folder, journal, members)),
            Err(e) => {
                for (at, _) in members {
                    outcomes[at] = failed(&e, "cannot write the undo journal");
                }
            }
        }
    }
    let synced = make_durable(
        journaled.iter().map(|(_, journal, _)| journal.file()),
        journaled.iter().map(|(folder, _, _)| folder.as_path()),
    );
    if let Err(e) = synced {
        for (_, journal, members) in journaled.drain(..) {
            // Nothing was overwritten yet: the journal is worthless.
            let _ = journal.finish();
            for (at, _) in members {
                outcomes[at] = failed(&e, "cannot make the undo journal durable");
            }
        }
    }

    // The overwrites, then durable.
    let mut written = Vec::new();
    for (_, journal, members) in journaled {
        let shared = Arc::new(SharedJournal {
            journal,
            keep: AtomicBool::new(false),
        });
        for (at, request) in members {
            match overwrite(&request) {
                Ok(()) => written.push((at, request, Arc::clone(&shared))),
                Err(e) => {
                    if roll_back(&request).is_err() {
                        shared.keep.store(true, Ordering::SeqCst);
                    }
                    outcomes[at] = Some(Err(e));
                }
            }
        }
        // Each overwrite now holds its share; with none, the journal goes.
        let _ = shared.release();
    }
    let synced = make_durable(
        written.iter().map(|(_, r, _)| &r.target),
        std::iter::empty(),
    );
    for (at, request, journal) in written {
        let committed = Committed { journal, request };
        outcomes[at] = match &synced {
            Ok(()) => Some(Ok(committed)),
            Err(e) => {
                let _ = committed.roll_back();
                failed(e, "cannot make the overwrite durable")
            }
        };
    }
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(io::Error::other("not committed"))))
        .collect()
}

fn overwrite(request: &Request) -> io::Result<()> {
    request.target.write_all_at(&request.new, request.offset)?;
    if let Some(times) = request.times {
        request.target.set_times(times)?;
    }
    Ok(())
}

fn roll_back(request: &Request) -> io::Result<()> {
    request.target.write_all_at(&request.old, request.offset)?;
    request.target.sync_data()
}

/// Makes `files` (their data and metadata) and `folders` (their entries)
/// durable: on Linux one `syncfs` per file system they are on.
#[cfg(target_os = "linux")]
fn make_durable<'a>(
    files: impl Iterator<Item = &'a File>,
    _folders: impl Iterator<Item = &'a Path>,
) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    // A folder is on the file system of the files in it.
    let mut devices = BTreeMap::new();
    for file in files {
        devices.entry(file.metadata()?.dev()).or_insert(file);
    }
    for file in devices.into_values() {
        rustix::fs::syncfs(file)?;
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn make_durable<'a>(
    files: impl Iterator<Item = &'a File>,
    folders: impl Iterator<Item = &'a Path>,
) -> io::Result<()> {
    for file in files {
        file.sync_all()?;
    }
    for folder in folders {
        super::atomic::sync_dir(folder)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::journal::tests::journals;
    use crate::batch::journal::{replay, Replay};
    use std::fs;
    use std::sync::Barrier;

    fn request(path: &Path, new: &[u8]) -> Request {
        let target = fs::File::options()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        let mut old = vec![0u8; new.len()];
        target.read_exact_at(&mut old, 2).unwrap();
        Request {
            path: path.to_path_buf(),
            target,
            offset: 2,
            old,
            new: new.to_vec(),
            times: None,
        }
    }

    #[test]
    fn overwrites_that_arrive_together_are_committed_and_leave_no_journal() {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = (0..8)
            .map(|i| {
                let p = dir.path().join(format!("{i}.jpg"));
                fs::write(&p, b"0123456789").unwrap();
                p
            })
            .collect();
        let start = Barrier::new(paths.len());
        std::thread::scope(|scope| {
            for (i, path) in paths.iter().enumerate() {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    let committed = commit(request(path, b"AB")).unwrap();
                    // Until released, the journal is there for a crash.
                    assert!(!journals(path.parent().unwrap()).is_empty());
                    if i == 0 {
                        committed.roll_back().unwrap();
                    } else {
                        committed.release().unwrap();
                    }
                });
            }
        });
        for (i, path) in paths.iter().enumerate() {
            let want: &[u8] = if i == 0 { b"0123456789" } else { b"01AB456789" };
            assert_eq!(fs::read(path).unwrap(), want, "{i}");
        }
        assert!(journals(dir.path()).is_empty());
    }

    #[test]
    fn a_round_writes_one_journal_per_folder_naming_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for folder in ["a", "b"] {
            fs::create_dir(dir.path().join(folder)).unwrap();
            for i in 0..2 {
                let p = dir.path().join(folder).join(format!("{i}.png"));
                fs::write(&p, b"0123456789").unwrap();
                paths.push(p);
            }
        }
        let requests: Vec<Request> = paths.iter().map(|p| request(p, b"XYZ")).collect();
        let committed: Vec<Committed> = run_overwrites(requests)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        for (folder, files) in ["a", "b"].iter().zip(paths.chunks(2)) {
            let left = journals(&dir.path().join(folder));
            assert_eq!(left.len(), 1, "{folder}");
            assert_eq!(crate::batch::journal::targets_of(&left[0]).unwrap(), files);
        }
        for c in committed {
            c.release().unwrap();
        }
        for (folder, path) in ["a", "b"].iter().zip(&paths) {
            assert!(journals(&dir.path().join(folder)).is_empty());
            assert_eq!(fs::read(path).unwrap(), b"01XYZ56789");
        }
    }

    #[test]
    fn a_journal_of_several_files_restores_each() {
        let dir = tempfile::tempdir().unwrap();
        let mut records = Vec::new();
        let paths: Vec<PathBuf> = (0..3)
            .map(|i| {
                let p = dir.path().join(format!("{i}.webp"));
                fs::write(&p, b"0123456789").unwrap();
                p
            })
            .collect();
        for path in &paths {
            let file = fs::File::open(path).unwrap();
            records.push(Record::of(path, &file, 2, b"234", b"XYZ").unwrap());
        }
        let journal = Journal::write(dir.path(), &records).unwrap();
        let at = journal.path().to_path_buf();
        drop(journal); // the writer died: the lock goes with it
        fs::write(&paths[0], b"01XYZ56789").unwrap(); // whole
        fs::write(&paths[1], b"01XY456789").unwrap(); // torn
                                                      // paths[2]: the overwrite never reached it.
        assert_eq!(replay(&at).unwrap(), Replay::Restored);
        for path in &paths {
            assert_eq!(fs::read(path).unwrap(), b"0123456789");
        }
        assert!(journals(dir.path()).is_empty());
    }
}
