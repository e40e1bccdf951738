//! Group commit of in-place overwrites. Each overwrite needs an undo
//! journal that is durable before its first byte is written, and the
//! overwrite itself must be durable before the journal goes: two syncs per
//! file, each a disk cache flush, which is most of what a re-tag costs.
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
use std::fs::{self, File, FileTimes};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use super::journal::{folder_of, Journal, Record};

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
    journal: Mutex<Option<Journal>>,
    /// Set when an overwrite could not be rolled back: the journal must
    /// stay for the next run.
    keep: AtomicBool,
}

impl SharedJournal {
    fn release(self: Arc<Self>) -> io::Result<()> {
        let Some(last) = Arc::into_inner(self) else {
            return Ok(());
        };
        let journal = last
            .journal
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        match journal {
            Some(journal) if !last.keep.load(Ordering::SeqCst) => journal.finish(),
            _ => Ok(()),
        }
    }
}

/// Most overwrites one round takes (bounds a journal's size and how long
/// the first caller waits).
const MAX_ROUND: usize = 256;

struct Queue {
    waiting: Vec<Arc<Slot>>,
    leading: bool,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    waiting: Vec::new(),
    leading: false,
});
static ROUND_DONE: Condvar = Condvar::new();

/// One caller's overwrite, waiting for its round.
struct Slot(Mutex<SlotState>);

enum SlotState {
    Waiting(Request),
    Taken,
    Done(io::Result<Committed>),
}

impl Slot {
    fn take_request(&self) -> Option<Request> {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match std::mem::replace(&mut *state, SlotState::Taken) {
            SlotState::Waiting(request) => Some(request),
            other => {
                *state = other;
                None
            }
        }
    }

    fn finish(&self, outcome: io::Result<Committed>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = SlotState::Done(outcome);
    }

    fn take_outcome(&self) -> Option<io::Result<Committed>> {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match std::mem::replace(&mut *state, SlotState::Taken) {
            SlotState::Done(outcome) => Some(outcome),
            other => {
                *state = other;
                None
            }
        }
    }
}

/// Commits one overwrite with whatever others are waiting: returns once
/// its journal and then its new bytes are durable (or it failed, and the
/// file holds its old bytes unless the error says otherwise).
pub(crate) fn commit(request: Request) -> io::Result<Committed> {
    let slot = Arc::new(Slot(Mutex::new(SlotState::Waiting(request))));
    let mut queue = QUEUE.lock().unwrap_or_else(PoisonError::into_inner);
    queue.waiting.push(Arc::clone(&slot));
    loop {
        if let Some(outcome) = slot.take_outcome() {
            return outcome;
        }
        if !queue.leading {
            queue.leading = true;
            let take = queue.waiting.len().min(MAX_ROUND);
            let round: Vec<Arc<Slot>> = queue.waiting.drain(..take).collect();
            drop(queue);
            run_round(&round);
            queue = QUEUE.lock().unwrap_or_else(PoisonError::into_inner);
            queue.leading = false;
            // Wakes this round's callers, and someone to lead the next.
            ROUND_DONE.notify_all();
            continue;
        }
        queue = ROUND_DONE
            .wait(queue)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

/// One round: journals, sync, overwrites, sync. Every slot ends `Done`.
fn run_round(slots: &[Arc<Slot>]) {
    let mut by_folder: BTreeMap<PathBuf, Vec<(Arc<Slot>, Request)>> = BTreeMap::new();
    for slot in slots {
        if let Some(request) = slot.take_request() {
            let folder = folder_of(&request.path).to_path_buf();
            by_folder
                .entry(folder)
                .or_default()
                .push((Arc::clone(slot), request));
        }
    }

    // The journals, durable before any overwrite starts.
    let mut journaled = Vec::new();
    for (folder, members) in by_folder {
        let records: io::Result<Vec<Record>> = members
            .iter()
            .map(|(_, r)| Record::of(&r.path, &r.target, r.offset, &r.old, &r.new))
            .collect();
        match records.and_then(|records| Journal::write(&folder, &records)) {
            Ok(journal) => journaled.push((folder, journal, members)),
            Err(e) => fail_all(members, &e, "cannot write the undo journal"),
        }
    }
    let synced = make_durable(
        journaled.iter().map(|(_, journal, _)| journal.file()),
        journaled.iter().map(|(folder, _, _)| folder.as_path()),
    );
    if let Err(e) = synced {
        for (_, journal, members) in journaled {
            // Nothing was overwritten yet: the journal is worthless.
            let _ = fs::remove_file(journal.path());
            fail_all(members, &e, "cannot make the undo journal durable");
        }
        return;
    }

    // The overwrites, then durable.
    let mut written = Vec::new();
    for (_, journal, members) in journaled {
        let shared = Arc::new(SharedJournal {
            journal: Mutex::new(Some(journal)),
            keep: AtomicBool::new(false),
        });
        for (slot, request) in members {
            match overwrite(&request) {
                Ok(()) => written.push((slot, request, Arc::clone(&shared))),
                Err(e) => {
                    if roll_back(&request).is_err() {
                        shared.keep.store(true, Ordering::SeqCst);
                    }
                    slot.finish(Err(e));
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
    for (slot, request, journal) in written {
        let committed = Committed { journal, request };
        match &synced {
            Ok(()) => slot.finish(Ok(committed)),
            Err(e) => {
                let e = io::Error::new(e.kind(), format!("cannot make the overwrite durable: {e}"));
                let _ = committed.roll_back();
                slot.finish(Err(e));
            }
        }
    }
}

fn fail_all(members: Vec<(Arc<Slot>, Request)>, e: &io::Error, what: &str) {
    for (slot, _) in members {
        slot.finish(Err(io::Error::new(e.kind(), format!("{what}: {e}"))));
    }
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
