//! The batch runner: walks the paths, runs one job per file on a rayon pool,
//! shows progress, and stops starting new files after Ctrl-C (files being
//! written finish atomically, so every file is old or new).

pub mod atomic;
pub mod walk;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

pub use walk::Entry;

/// How a batch runs.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Worker threads; 0 means one per core.
    pub jobs: usize,
    /// Show a progress bar on stderr (the caller decides: only for a terminal).
    pub progress: bool,
    /// Set by a signal handler to stop starting new files.
    pub cancel: Arc<AtomicBool>,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            jobs: 0,
            progress: false,
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Files are taken from the walk in chunks: results are reported chunk by
/// chunk in walk order, so memory stays flat however many files there are.
const CHUNK: usize = 512;

/// Why a batch stopped early.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("cannot start worker threads: {0}")]
    Pool(#[from] rayon::ThreadPoolBuildError),
}

/// Runs `job` on every entry of the walk, in parallel, and hands each result
/// to `sink` in walk order. Returns whether the batch was cancelled.
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
    run_items(walk::walk(roots), options, job, sink)
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
        .num_threads(options.jobs)
        .build()?;
    let bar = progress_bar();
    let start = Instant::now();
    let shown = AtomicBool::new(false);
    let mut entries = items;
    loop {
        if options.cancel.load(Ordering::SeqCst) {
            bar.finish_and_clear();
            return Ok(true);
        }
        let chunk: Vec<I> = entries.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        bar.inc_length(chunk.len() as u64);
        let results: Vec<Option<T>> = pool.install(|| {
            chunk
                .par_iter()
                .map(|entry| {
                    if options.cancel.load(Ordering::SeqCst) {
                        return None;
                    }
                    let r = job(entry);
                    bar.inc(1);
                    if options.progress
                        && start.elapsed() > SHOW_PROGRESS_AFTER
                        && !shown.swap(true, Ordering::Relaxed)
                    {
                        bar.set_draw_target(ProgressDrawTarget::stderr());
                    }
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
            bar.finish_and_clear();
            return Ok(true);
        }
    }
    bar.finish_and_clear();
    // Every file was processed: a Ctrl-C that came after the last one
    // interrupted nothing.
    Ok(false)
}

/// Short runs finish before a bar would be any use; it appears only after this.
const SHOW_PROGRESS_AFTER: Duration = Duration::from_millis(800);

/// A bar that draws nowhere until the run has proven long.
fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {pos}/{len} files [{elapsed}] {wide_bar} {per_sec}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}
