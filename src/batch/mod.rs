//! The batch runner: walks the paths, runs one job per file on a rayon pool,
//! reports progress to whoever listens, and stops starting new files when
//! asked to (files being written finish atomically, so every file is old or
//! new).

pub mod atomic;
#[cfg(unix)]
pub(crate) mod commit;
mod folder;
#[cfg(unix)]
pub mod journal;
pub mod walk;

use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use walk::{Entry, WalkOptions};

/// Whoever shows a batch's progress (the CLI draws a bar; a library user
/// may log or ignore it). Called from worker threads.
pub trait Progress: Sync {
    /// `n` more entries were taken from the walk.
    fn found(&self, n: u64);
    /// One more entry was processed.
    fn done_one(&self);
    /// The walk is over: no more entries will be found, so the total is known.
    fn walk_finished(&self) {}
    /// The batch ended (finished or cancelled).
    fn finish(&self);
}

/// The most worker threads worth starting: beyond a few per core, threads
/// only contend (1,000 threads made a read-only batch 30x slower), while
/// I/O-bound reads still gain from a few more than one per core.
///
/// ```
/// assert!(ccsig::batch::max_jobs() >= 8);
/// ```
pub fn max_jobs() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (4 * cores).max(8)
}

/// The worker threads a batch (`read`, `check`, `decide`, `apply`,
/// `remove`, [`crate::read_tree`]) starts when not told: [`max_jobs`], four
/// per core and at least 8. Both kinds of batch wait on the disk more than
/// they compute. Reads: with a cold page cache, 8 threads read 3,000 small
/// files 3.7x faster than 1 and 1.8x faster than one per core on 2 cores,
/// and the 440-file library 3.5x and 2.7x faster, while with a warm cache
/// they cost about 10% more CPU time than 2. Writes: each file ends in an
/// fsync, and concurrent fsyncs share the file system's journal commits, so
/// 8 threads tag the library's 200 JPEGs, 40 PNGs and 200 WebPs 1.5-2x
/// faster than 2 (docs/benchmarks.md, "Thread count").
///
/// ```
/// assert_eq!(ccsig::batch::default_jobs(), ccsig::batch::max_jobs());
/// ```
pub fn default_jobs() -> usize {
    max_jobs()
}

/// The threads a batch asked for `requested` workers starts: 0 means
/// [`default_jobs`], and more than [`max_jobs`] only contend, so they are
/// capped there.
pub(crate) fn worker_threads(requested: usize) -> usize {
    match requested {
        0 => default_jobs(),
        n => n.min(max_jobs()),
    }
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn found(&self, _: u64) {}
    fn done_one(&self) {}
    fn finish(&self) {}
}

/// How a batch runs.
#[derive(Clone)]
pub struct BatchOptions {
    /// Worker threads; 0 means [`default_jobs`], and more than [`max_jobs`]
    /// are capped there.
    pub jobs: usize,
    /// Told of every entry found and processed.
    pub progress: Arc<dyn Progress + Send>,
    /// Set (e.g. by a signal handler) to stop starting new files.
    pub cancel: Arc<AtomicBool>,
}

impl std::fmt::Debug for BatchOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchOptions")
            .field("jobs", &self.jobs)
            .field("cancel", &self.cancel)
            .finish_non_exhaustive()
    }
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            jobs: 0,
            progress: Arc::new(NoProgress),
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Files are taken from the walk in chunks: results are reported chunk by
/// chunk in walk order, so memory stays flat however many files there are.
pub(crate) const CHUNK: usize = 512;

/// Why a batch stopped early.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The thread pool could not be started.
    #[error("cannot start worker threads: {0}")]
    Pool(#[from] rayon::ThreadPoolBuildError),
    /// An exclude pattern is not a valid glob.
    #[error("bad --exclude glob: {0}")]
    Exclude(#[from] globset::Error),
}

/// Runs `job` on every entry of the walk, in parallel, and hands each result
/// to `sink` in walk order. Returns whether the batch was cancelled.
///
/// ```
/// use ccsig::batch::{run, walk::Entry, BatchOptions};
/// let mut formats = Vec::new();
/// let cancelled = run(
///     &["sample-images/tagged".into()],
///     &BatchOptions::default(),
///     |entry| match entry {
///         Entry::File { path, .. } => ccsig::read_path(path).ok().map(|s| s.format),
///         _ => None,
///     },
///     |entry, format| {
///         if let (Entry::File { path, .. }, Some(format)) = (entry, format) {
///             formats.push((path, format));
///         }
///     },
/// )
/// .unwrap();
/// assert!(!cancelled);
/// // Walk order: sorted by name, whatever thread finished first.
/// assert!(formats.windows(2).all(|w| w[0].0 < w[1].0));
/// assert!(formats.iter().any(|(_, f)| *f == ccsig::Format::WebP));
/// ```
pub fn run<T, J, S>(
    roots: &[PathBuf],
    options: &BatchOptions,
    job: J,
    sink: S,
) -> Result<bool, BatchError>
where
    T: Send,
    J: Fn(&Entry) -> T + Sync,
    S: FnMut(Entry, T),
{
    run_walk(
        roots.iter().cloned(),
        &WalkOptions::default(),
        options,
        job,
        sink,
    )
}

/// [`run`], walking `roots` (taken lazily, e.g. from a list being read)
/// with `walk` options. Entries the walk passes over reach `sink` too.
///
/// ```
/// use ccsig::batch::{run_walk, BatchOptions, Entry, WalkOptions};
/// let walk = WalkOptions { exclude: vec!["*.webp".into()], ..Default::default() };
/// let mut excluded = 0;
/// run_walk(["sample-images/tagged".into()], &walk, &BatchOptions::default(), |_| (), |entry, ()| {
///     if let Entry::Skipped { reason, .. } = entry {
///         assert_eq!(reason.kind(), "excluded");
///         excluded += 1;
///     }
/// })
/// .unwrap();
/// assert_eq!(excluded, 2); // ccsig-ec.webp, malformed.webp
/// ```
pub fn run_walk<T, J, S>(
    roots: impl IntoIterator<Item = PathBuf>,
    walk: &WalkOptions,
    options: &BatchOptions,
    job: J,
    sink: S,
) -> Result<bool, BatchError>
where
    T: Send,
    J: Fn(&Entry) -> T + Sync,
    S: FnMut(Entry, T),
{
    run_items(walk::walk_with(roots, walk)?, options, job, sink)
}

/// [`run`] over any sequence of work items rather than a walk (e.g. the
/// rows of a manifest, each a file with its own request).
///
/// ```
/// let options = ccsig::batch::BatchOptions { jobs: 2, ..Default::default() };
/// let mut lengths = Vec::new();
/// let cancelled = ccsig::batch::run_items(
///     ["a", "bb", "ccc"].into_iter(),
///     &options,
///     |item| item.len(),
///     |item, len| lengths.push((item, len)),
/// )
/// .unwrap();
/// assert!(!cancelled);
/// assert_eq!(lengths, [("a", 1), ("bb", 2), ("ccc", 3)]);
/// ```
pub fn run_items<I, T, J, S>(
    items: impl Iterator<Item = I>,
    options: &BatchOptions,
    job: J,
    mut sink: S,
) -> Result<bool, BatchError>
where
    I: Sync,
    T: Send,
    J: Fn(&I) -> T + Sync,
    S: FnMut(I, T),
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(worker_threads(options.jobs))
        .build()?;
    let bar = &*options.progress;
    let mut entries = items;
    loop {
        if options.cancel.load(Ordering::SeqCst) {
            bar.finish();
            return Ok(true);
        }
        let chunk: Vec<I> = entries.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        bar.found(chunk.len() as u64);
        if chunk.len() < CHUNK {
            bar.walk_finished();
        }
        let results: Vec<Option<T>> = pool.install(|| {
            chunk
                .par_iter()
                .map(|entry| {
                    if options.cancel.load(Ordering::SeqCst) {
                        return None;
                    }
                    let r = job(entry);
                    bar.done_one();
                    Some(r)
                })
                .collect()
        });
        let mut cancelled = false;
        for (entry, result) in chunk.into_iter().zip(results) {
            match result {
                Some(r) => sink(entry, r),
                None => cancelled = true,
            }
        }
        if cancelled {
            bar.finish();
            return Ok(true);
        }
    }
    bar.finish();
    // Every file was processed: a Ctrl-C that came after the last one
    // interrupted nothing.
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requested_threads_default_and_are_capped() {
        assert_eq!(worker_threads(0), default_jobs());
        assert_eq!(worker_threads(3), 3);
        assert_eq!(worker_threads(10_000), max_jobs());
    }
}
