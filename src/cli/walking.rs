//! What every walking command shares: which inputs to take (paths,
//! `--files-from`, `--hidden`, `--follow`, `--exclude`) and the account of
//! what was read and what was skipped, by reason, on stderr.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::rc::Rc;

use clap::Args;

use ccsig::batch::WalkOptions;
use ccsig::{SkipReason, TreeOptions};

#[derive(Debug, Args)]
pub struct WalkArgs {
    /// Read the paths to work on from FILE, one per line (`-` for stdin;
    /// blank lines ignored), after any PATH given.
    #[arg(long, value_name = "FILE")]
    pub files_from: Option<PathBuf>,
    /// Also walk hidden files and folders (names starting with `.`).
    #[arg(long)]
    pub hidden: bool,
    /// Follow symbolic links found in folders.
    #[arg(long = "follow", short = 'L')]
    pub follow: bool,
    /// Pass over paths matching GLOB, by name or whole path (repeatable),
    /// e.g. `--exclude '*.raw' --exclude cache`.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// List each skipped path with its reason on stderr.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

impl WalkArgs {
    pub fn walk_options(&self) -> WalkOptions {
        WalkOptions {
            hidden: self.hidden,
            follow_links: self.follow,
            exclude: self.exclude.clone(),
        }
    }

    /// Tree options for these walk arguments (jobs, cancel and progress
    /// from the batch options).
    pub fn tree_options(&self, batch: &ccsig::batch::BatchOptions) -> TreeOptions {
        TreeOptions {
            jobs: batch.jobs,
            hidden: self.hidden,
            follow_links: self.follow,
            exclude: self.exclude.clone(),
            cancel: batch.cancel.clone(),
            progress: batch.progress.clone(),
            image_digests: false,
            read: ccsig::ReadOptions::default(),
        }
    }

    /// The roots: `paths`, then the lines of `--files-from`, read lazily
    /// so that a list still being written is worked on as it comes.
    pub fn roots(&self, paths: &[PathBuf]) -> io::Result<Roots> {
        let list: Option<Box<dyn BufRead>> = match &self.files_from {
            None => None,
            Some(p) if p.as_os_str() == "-" => Some(Box::new(io::stdin().lock())),
            Some(p) => Some(Box::new(BufReader::new(File::open(p).map_err(|e| {
                io::Error::new(e.kind(), format!("--files-from {}: {e}", p.display()))
            })?))),
        };
        Ok(Roots {
            given: paths.iter().cloned().collect(),
            list,
            error: Rc::new(Cell::new(None)),
        })
    }
}

/// The roots of a walk; an error reading the list ends it and is kept for
/// [`Roots::error`].
pub struct Roots {
    given: std::collections::VecDeque<PathBuf>,
    list: Option<Box<dyn BufRead>>,
    error: Rc<Cell<Option<io::Error>>>,
}

impl Roots {
    /// Where an error reading `--files-from` will be left.
    pub fn error_slot(&self) -> Rc<Cell<Option<io::Error>>> {
        self.error.clone()
    }
}

impl Iterator for Roots {
    type Item = PathBuf;

    fn next(&mut self) -> Option<PathBuf> {
        if let Some(p) = self.given.pop_front() {
            return Some(p);
        }
        let list = self.list.as_mut()?;
        loop {
            let mut line = Vec::new();
            match list.read_until(b'\n', &mut line) {
                Ok(0) => return None,
                Ok(_) => {
                    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        line.pop();
                    }
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some(path_from_bytes(line));
                }
                Err(e) => {
                    self.error.set(Some(e));
                    self.list = None;
                    return None;
                }
            }
        }
    }
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

/// What a command did with its inputs: how many it took, how many it
/// passed over and why.
#[derive(Debug, Default)]
pub struct Account {
    pub taken: usize,
    skipped: BTreeMap<&'static str, usize>,
    unsupported: BTreeMap<String, usize>,
    /// Images in formats ccsig does not write (camera RAW, read through
    /// their sidecars; a shard's member not read at all) that got an
    /// answer of their own rather than being passed over, by format.
    answered_unsupported: BTreeMap<String, usize>,
    verbose: bool,
}

impl Account {
    pub fn new(verbose: bool) -> Self {
        Account {
            verbose,
            ..Account::default()
        }
    }

    pub fn skipped(&mut self, path: &str, reason: &SkipReason) {
        if self.verbose {
            eprintln!("ccsig: skipped {path}: {reason}");
        }
        *self.skipped.entry(reason.kind()).or_default() += 1;
        if let SkipReason::Unsupported(format) = reason {
            *self.unsupported.entry(format.clone()).or_default() += 1;
        }
    }

    /// An input the walk passed over that still got an answer of its own
    /// (`decide` answers every image, even one it cannot read).
    pub fn answered_skip(&mut self, path: &str, reason: &SkipReason) {
        if self.verbose {
            eprintln!("ccsig: not read {path}: {reason}");
        }
        if let SkipReason::Unsupported(format) = reason {
            *self.answered_unsupported.entry(format.clone()).or_default() += 1;
        }
    }

    /// An input read and reported: an image, or a file that failed.
    pub fn took(&mut self, path: &str, signals: Option<&ccsig::FileSignals>) {
        self.taken += 1;
        if let Some(ccsig::Format::Other(format)) = signals.map(|s| s.format) {
            if self.verbose {
                eprintln!("ccsig: {path}: {format}, a format ccsig does not write (its XMP sidecars are read)");
            }
            *self
                .answered_unsupported
                .entry(format.to_string())
                .or_default() += 1;
        }
    }

    pub fn skipped_count(&self) -> usize {
        self.skipped.values().sum()
    }

    /// One line: `12 read, 5 skipped: 3 not an image, 1 unsupported format (1 GIF), 1 hidden`.
    pub fn summary(&self, verb: &str) -> String {
        let mut line = format!("{} {verb}", self.taken);
        if !self.answered_unsupported.is_empty() {
            let n: usize = self.answered_unsupported.values().sum();
            line.push_str(&format!(
                " ({n} in a format ccsig does not write: {})",
                counts(&self.answered_unsupported)
            ));
        }
        if self.skipped_count() == 0 {
            line.push_str(", none skipped");
            return line;
        }
        line.push_str(&format!(", {} skipped: ", self.skipped_count()));
        let parts: Vec<String> = KINDS
            .iter()
            .filter_map(|(kind, words)| {
                let n = *self.skipped.get(kind)?;
                Some(if *kind == "unsupported" {
                    format!("{n} {words} ({})", counts(&self.unsupported))
                } else {
                    format!("{n} {words}")
                })
            })
            .collect();
        line.push_str(&parts.join(", "));
        line
    }

    /// Prints the summary on stderr when something was skipped, when asked
    /// to (`--verbose`), or when the output does not list every input.
    pub fn report(&self, verb: &str, output_lists_every_input: bool) {
        if self.verbose || self.skipped_count() > 0 || !output_lists_every_input {
            eprintln!("ccsig: {}", self.summary(verb));
        }
    }
}

/// `2 HEIF, 1 TIFF`.
fn counts(by_format: &BTreeMap<String, usize>) -> String {
    by_format
        .iter()
        .map(|(f, n)| format!("{n} {f}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Skip kinds in the order the summary lists them, with their words.
const KINDS: &[(&str, &str)] = &[
    ("not-an-image", "not an image"),
    ("unsupported", "unsupported format"),
    ("symlink", "symlink not followed"),
    ("hidden", "hidden"),
    ("excluded", "excluded"),
];

/// Reads all of a small list into memory (only used by tests of this module).
#[cfg(test)]
fn roots_of(text: &str) -> Vec<PathBuf> {
    Roots {
        given: [PathBuf::from("given")].into(),
        list: Some(Box::new(BufReader::new(io::Cursor::new(
            text.as_bytes().to_vec(),
        )))),
        error: Rc::new(Cell::new(None)),
    }
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_lines_blank_lines_and_crlf() {
        assert_eq!(
            roots_of("a.jpg\n\n  \nb c.png\r\nlast"),
            ["given", "a.jpg", "b c.png", "last"].map(PathBuf::from)
        );
    }

    #[test]
    fn summary_counts_by_reason() {
        let mut a = Account::new(false);
        a.taken = 3;
        assert_eq!(a.summary("read"), "3 read, none skipped");
        a.skipped("x.gif", &SkipReason::Unsupported("GIF".into()));
        a.skipped("y.gif", &SkipReason::Unsupported("GIF".into()));
        a.skipped("n.txt", &SkipReason::NotAnImage);
        a.skipped(".h", &SkipReason::Hidden);
        assert_eq!(
            a.summary("read"),
            "3 read, 4 skipped: 1 not an image, 2 unsupported format (2 GIF), 1 hidden"
        );
    }
}
