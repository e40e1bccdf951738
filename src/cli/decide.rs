//! `ccsig decide`: one line per image saying whether a pipeline doing a use
//! and giving some elements in return may use it, streamed as the tree is
//! read (see `docs/schema.md`, "decide").

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;

use ccsig::signal::Vocabulary;
use ccsig::{Commitments, TreeItem, TreeSink, UnknownPolicy, UseDecision};

use super::walking::{Account, WalkArgs};
use super::EXIT_ERROR;

#[derive(Debug, Args)]
pub struct DecideArgs {
    /// Files, folders (walked recursively) and tar shards (.tar, .tar.gz, .tgz).
    #[arg(required_unless_present = "files_from", value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The use the pipeline makes of the images, e.g. train-ai.
    #[arg(long = "use", value_name = "LABEL")]
    use_label: String,
    /// What the pipeline gives in return, comma-separated: credit,
    /// direct-contribution, ecosystem-contribution, open (default: nothing).
    #[arg(long, value_name = "ELEMENTS", default_value = "")]
    we_give: String,
    /// Whether images that state nothing for the use (or cannot be read)
    /// are usable; their decision stays `unknown`.
    #[arg(long, value_enum, default_value_t = UnknownArg::Deny)]
    unknown: UnknownArg,
    /// Print only the paths of usable images, one per line (for xargs).
    #[arg(long, value_enum, value_name = "WHICH")]
    only: Option<OnlyArg>,
    /// Worker threads (default: four per core, at least 8: reading waits on
    /// the disk).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// The AIPREF vocabulary draft --use and the files are read against:
    /// draft-07 or draft-08.
    #[arg(long, value_name = "DRAFT", default_value_t = Vocabulary::default())]
    vocabulary: Vocabulary,
    #[command(flatten)]
    walk: WalkArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum UnknownArg {
    Allow,
    Deny,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OnlyArg {
    /// Usable images: allowed, allowed with terms, and unknown under `--unknown allow`.
    Allowed,
}

/// The use label must be one of the chosen vocabulary's own labels.
pub fn check_use_label(label: &str, vocabulary: Vocabulary) -> Result<(), String> {
    match vocabulary.lookup(label) {
        Some(info) if vocabulary.defines(info) => Ok(()),
        _ => Err(format!(
            "--use {label:?} is not a usage label of {} (expected one of: {})",
            vocabulary.name(),
            vocabulary.labels().collect::<Vec<_>>().join(", ")
        )),
    }
}

/// One output line: the path, then the decision.
#[derive(Serialize)]
struct Line<'a> {
    path: &'a str,
    #[serde(flatten)]
    decision: &'a UseDecision,
}

struct Decider<W: Write> {
    out: W,
    use_label: String,
    we_give: Commitments,
    unknown: UnknownPolicy,
    only_usable: bool,
    account: Account,
    unreadable: bool,
    /// Inputs that could not even be opened.
    unopened: usize,
    result: io::Result<()>,
}

impl<W: Write> Decider<W> {
    fn write(&mut self, path: &str, decision: &UseDecision) -> io::Result<()> {
        if self.only_usable {
            if decision.usable {
                writeln!(self.out, "{path}")?;
            }
            return Ok(());
        }
        serde_json::to_writer(&mut self.out, &Line { path, decision })?;
        writeln!(self.out)
    }
}

impl<W: Write> TreeSink for Decider<W> {
    fn item(&mut self, item: TreeItem) {
        let (path, decision) = match item {
            TreeItem::Skipped { path, reason } => {
                self.account.skipped(&path, &reason);
                return;
            }
            TreeItem::Read {
                path,
                signals: Ok(signals),
                ..
            } => {
                let d = ccsig::decide(&signals, &self.use_label, &self.we_give, self.unknown);
                (path, d)
            }
            TreeItem::Read {
                path,
                signals: Err(e),
                ..
            } => {
                self.unreadable = true;
                if matches!(e, ccsig::ReadError::Io(_)) {
                    self.unopened += 1;
                    eprintln!("ccsig: {path}: {e}");
                }
                (path, ccsig::decide_unreadable(&e.to_string(), self.unknown))
            }
        };
        self.account.taken += 1;
        if self.result.is_ok() {
            self.result = self.write(&path, &decision);
        }
    }

    fn flush_point(&mut self) {
        if self.result.is_ok() {
            self.result = self.out.flush();
        }
    }
}

pub fn decide(args: DecideArgs) -> io::Result<i32> {
    if let Err(message) = check_use_label(&args.use_label, args.vocabulary) {
        eprintln!("ccsig: {message}");
        return Ok(EXIT_ERROR);
    }
    let we_give = match Commitments::parse(&args.we_give) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ccsig: --we-give: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    let roots = args.walk.roots(&args.paths)?;
    let list_error = roots.error_slot();
    let batch = super::commands::batch_options_with_jobs(args.jobs);
    let mut options = args.walk.tree_options(&batch);
    options.vocabulary = args.vocabulary;
    let mut decider = Decider {
        out: BufWriter::new(io::stdout().lock()),
        use_label: args.use_label.clone(),
        we_give,
        unknown: match args.unknown {
            UnknownArg::Allow => UnknownPolicy::Allow,
            UnknownArg::Deny => UnknownPolicy::Deny,
        },
        only_usable: args.only.is_some(),
        account: Account::new(args.walk.verbose),
        unreadable: false,
        unopened: 0,
        result: Ok(()),
    };
    let cancelled =
        ccsig::read_tree_from(roots, &options, &mut decider).map_err(io::Error::other)?;
    decider.result?;
    decider.out.flush()?;
    decider.account.report(
        "decided",
        decider.account.skipped_count() == 0 && args.only.is_none(),
    );
    let list_failed = super::commands::list_failed(&list_error);
    Ok(super::commands::finish_code(
        cancelled,
        decider.account.taken - decider.unopened,
        decider.unreadable || list_failed,
        false,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_current_labels_are_uses() {
        assert!(check_use_label("train-ai", Vocabulary::Draft07).is_ok());
        assert!(check_use_label("search", Vocabulary::Draft07).is_ok());
        let e = check_use_label("ai-use", Vocabulary::Draft07).unwrap_err();
        assert!(e.contains("train-ai"), "{e}");
        assert!(check_use_label("Train-AI", Vocabulary::Draft07).is_err());
        assert!(check_use_label("", Vocabulary::Draft07).is_err());
        // draft-08's AI Use category is a use there, not in draft-07.
        assert!(check_use_label("ai-use", Vocabulary::Draft08).is_ok());
        assert!(check_use_label("train-ai", Vocabulary::Draft08).is_ok());
    }
}
