//! `ccsig decide`: one line per image saying whether a pipeline doing a use
//! and giving some elements in return may use it, streamed as the tree is
//! read (see `docs/schema.md`, "decide").

use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;

use ccsig::report::SCHEMA;
use ccsig::signal::Use;
use ccsig::{
    Commitments, Pipeline, State, TreeItem, TreeSink, UnknownPolicy, UnreadablePolicy, UseDecision,
};

use super::walking::{Account, WalkArgs};
use super::EXIT_ERROR;

#[derive(Debug, Args)]
pub struct DecideArgs {
    /// Files, folders (walked recursively) and tar shards (.tar, .tar.gz,
    /// .tgz); `-` alone: an image or tar shard on standard input, decided
    /// as it streams in (reading stops at a settled "no").
    #[arg(required_unless_present = "files_from", value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The use the pipeline makes of the images, e.g. train-ai.
    #[arg(long = "use", value_name = "LABEL")]
    use_label: String,
    /// What the pipeline gives in return, comma-separated: credit,
    /// direct-contribution, ecosystem-contribution, open (default: nothing).
    #[arg(long, value_name = "ELEMENTS", default_value = "")]
    we_give: String,
    /// Whether images that were read and state nothing for the use are
    /// usable (deny or allow); their decision stays `unknown`.
    #[arg(long, value_name = "POLICY", default_value = "deny")]
    unknown: UnknownPolicy,
    /// Whether images that could not be read, or whose format ccsig does
    /// not read (HEIF, TIFF, RAW ...), are usable (deny or allow). Riskier
    /// than --unknown allow: such an image may say "no" where ccsig cannot see.
    #[arg(long, value_name = "POLICY", default_value = "deny")]
    unreadable: UnreadablePolicy,
    /// Output: jsonl (one JSON record per image) or csv (a header row, then
    /// one row per image, for spreadsheets).
    #[arg(long, value_enum, default_value_t = DecideFormat::Jsonl)]
    format: DecideFormat,
    /// Print only the paths of usable images, one per line (for xargs).
    #[arg(long, value_enum, value_name = "WHICH")]
    only: Option<OnlyArg>,
    /// Worker threads (default: four per core, at least 8: reading waits on
    /// the disk).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// The vocabulary draft (`--use` is checked against it too) and the
    /// C2PA trust anchors.
    #[command(flatten)]
    reading: super::ReadingArgs,
    #[command(flatten)]
    walk: WalkArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DecideFormat {
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OnlyArg {
    /// Usable images: allowed, allowed with terms, and unknown where
    /// `--unknown allow` or `--unreadable allow` says so.
    Allowed,
}

/// The pipeline the arguments describe, or the usage error (naming the
/// option) that stops the command before any file is read.
fn pipeline_of(args: &DecideArgs) -> Result<Pipeline, String> {
    let usage =
        Use::parse(&args.use_label, args.reading.vocabulary).map_err(|e| format!("--use: {e}"))?;
    let we_give = Commitments::parse(&args.we_give).map_err(|e| format!("--we-give: {e}"))?;
    Ok(Pipeline {
        unknown: args.unknown,
        unreadable: args.unreadable,
        ..Pipeline::new(usage, we_give)
    })
}

/// One JSON Lines record: the schema, the path, then the decision.
#[derive(Serialize)]
struct Line<'a> {
    schema: &'static str,
    path: &'a str,
    #[serde(flatten)]
    decision: &'a UseDecision,
}

/// The CSV columns, the record's fields after `schema` and `path`; lists
/// are joined with `;`.
fn csv_header() -> Vec<&'static str> {
    let mut header = vec!["schema", "path"];
    header.extend(UseDecision::FIELDS);
    header
}

fn csv_row(path: &str, d: &UseDecision) -> [String; 14] {
    let join = |items: Vec<&str>| items.join(";");
    [
        SCHEMA.to_string(),
        path.to_string(),
        d.verdict.to_string(),
        d.usable.to_string(),
        d.state.to_string(),
        join(d.met_signals.iter().map(|s| s.code()).collect()),
        join(d.unmet_signals.iter().map(|s| s.code()).collect()),
        join(d.owed.iter().map(|o| o.element.as_str()).collect()),
        d.credit_name.clone().unwrap_or_default(),
        d.credit_url.clone().unwrap_or_default(),
        d.credit_missing.to_string(),
        join(d.credit_looked_at.iter().map(String::as_str).collect()),
        d.reason.clone(),
        join(d.sources.iter().map(String::as_str).collect()),
    ]
}

/// Where records go: JSON Lines or bare paths, or CSV rows.
// One per run: the size of the CSV writer costs nothing.
#[allow(clippy::large_enum_variant)]
enum Output<W: Write> {
    Lines(W),
    Csv(csv::Writer<W>),
}

struct Decider<W: Write> {
    out: Output<W>,
    pipeline: Pipeline,
    only_usable: bool,
    account: Account,
    /// Some image could not be read, or is in a format ccsig does not read.
    not_read: bool,
    /// Inputs that could not even be opened.
    unopened: usize,
    result: io::Result<()>,
}

impl<W: Write> Decider<W> {
    fn write(&mut self, path: &str, decision: &UseDecision) -> io::Result<()> {
        match &mut self.out {
            Output::Csv(csv) => csv
                .write_record(csv_row(path, decision))
                .map_err(io::Error::from),
            Output::Lines(out) if self.only_usable => match decision.usable {
                true => writeln!(out, "{path}"),
                false => Ok(()),
            },
            Output::Lines(out) => {
                let line = Line {
                    schema: SCHEMA,
                    path,
                    decision,
                };
                serde_json::to_writer(&mut *out, &line)?;
                writeln!(out)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            Output::Csv(csv) => csv.flush(),
            Output::Lines(out) => out.flush(),
        }
    }
}

impl<W: Write> TreeSink for Decider<W> {
    fn item(&mut self, item: TreeItem) {
        let Some(decision) = self.pipeline.decide_item(&item) else {
            if let TreeItem::Skipped { path, reason } = &item {
                self.account.skipped(path, reason);
            }
            return;
        };
        match &item {
            TreeItem::Skipped { path, reason } => self.account.answered_skip(path, reason),
            TreeItem::Read {
                path,
                signals: Err(e @ ccsig::ReadError::Io(_)),
                ..
            } => {
                self.unopened += 1;
                eprintln!("ccsig: {path}: {e}");
            }
            TreeItem::Read { .. } => {}
        }
        self.not_read |= matches!(decision.state, State::Unreadable | State::Unsupported);
        let signals = match &item {
            TreeItem::Read {
                signals: Ok(signals),
                ..
            } => Some(signals),
            _ => None,
        };
        self.account.took(item.path(), signals);
        if self.result.is_ok() {
            self.result = self.write(item.path(), &decision);
        }
    }

    fn flush_point(&mut self) {
        if self.result.is_ok() {
            self.result = self.flush();
        }
    }
}

pub fn decide(args: DecideArgs) -> io::Result<i32> {
    let pipeline = match pipeline_of(&args) {
        Ok(pipeline) => pipeline,
        Err(message) => {
            eprintln!("ccsig: {message}");
            return Ok(EXIT_ERROR);
        }
    };
    let roots = args.walk.roots(&args.paths)?;
    let list_error = roots.error_slot();
    let batch = super::commands::batch_options_with_jobs(args.jobs);
    let mut options = args.walk.tree_options(&batch);
    options.read = args.reading.options();
    let only_usable = args.only.is_some();
    let stdout = BufWriter::new(io::stdout().lock());
    let (out, header) = if args.format == DecideFormat::Csv && !only_usable {
        let mut csv = csv::Writer::from_writer(stdout);
        let header = csv.write_record(csv_header()).map_err(io::Error::from);
        (Output::Csv(csv), header)
    } else {
        (Output::Lines(stdout), Ok(()))
    };
    let mut decider = Decider {
        out,
        pipeline,
        only_usable,
        account: Account::new(args.walk.verbose),
        not_read: false,
        unopened: 0,
        result: header,
    };
    let from_stdin =
        args.paths.len() == 1 && args.paths[0].as_os_str() == "-" && args.walk.files_from.is_none();
    let cancelled = match from_stdin {
        true => {
            decide_stdin(&mut decider, &options)?;
            false
        }
        false => ccsig::read_tree_from(roots, &options, &mut decider).map_err(io::Error::other)?,
    };
    std::mem::replace(&mut decider.result, Ok(()))?;
    decider.flush()?;
    decider.account.report(
        "decided",
        decider.account.skipped_count() == 0 && args.only.is_none(),
    );
    let list_failed = super::commands::list_failed(&list_error);
    Ok(super::commands::finish_code(
        cancelled,
        decider.account.taken - decider.unopened,
        decider.not_read || list_failed,
        false,
    ))
}

/// `ccsig decide -`: the image (or tar shard) on standard input, decided
/// as it streams in (`curl URL | ccsig decide --use train-ai -`). A
/// decision that is settled and not usable (a JPEG whose metadata says no,
/// at its first scan) ends the read there, so the download behind the pipe
/// stops; any other is the whole stream's (its end checked).
fn decide_stdin<W: Write>(
    decider: &mut Decider<W>,
    options: &ccsig::TreeOptions,
) -> io::Result<()> {
    let mut stdin = io::stdin().lock();
    let mut head = Vec::with_capacity(512);
    (&mut stdin).take(512).read_to_end(&mut head)?;
    if ccsig::shard::is_tar_header(&head) {
        let whole = io::Cursor::new(head).chain(stdin);
        ccsig::tree::read_listed_from("-", whole, options, |item| decider.item(item))
            .map_err(io::Error::other)?;
        return Ok(());
    }
    let mut read = ccsig::stream::StreamRead::new(None, options.read.clone());
    read.feed(&head);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        if let Some(answer) = read.answer() {
            let settled = match answer {
                Ok(signals) => decider.pipeline.decide(signals),
                Err(e) => decider.pipeline.decide_error(e),
            };
            if !settled.usable {
                break;
            }
        }
        let got = stdin.read(&mut chunk)?;
        if got == 0 {
            let item = TreeItem::Read {
                path: "-".into(),
                signals: read.finish(),
                image_digest: None,
            };
            decider.item(item);
            return Ok(());
        }
        read.feed(&chunk[..got]);
    }
    let signals = read.into_answer().expect("an answer was settled");
    decider.item(TreeItem::Read {
        path: "-".into(),
        signals,
        image_digest: None,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(extra: &[&str]) -> Result<DecideArgs, clap::Error> {
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            decide: DecideArgs,
        }
        let argv = ["ccsig", "x.jpg"].iter().chain(extra);
        Cli::try_parse_from(argv).map(|c| c.decide)
    }

    #[test]
    fn only_the_vocabularys_own_labels_are_uses() {
        assert!(pipeline_of(&args(&["--use", "train-ai"]).unwrap()).is_ok());
        assert!(pipeline_of(&args(&["--use", "search"]).unwrap()).is_ok());
        let e = pipeline_of(&args(&["--use", "ai-use"]).unwrap()).unwrap_err();
        assert!(e.starts_with("--use: ") && e.contains("train-ai"), "{e}");
        let e = pipeline_of(&args(&["--use", "train_ai"]).unwrap()).unwrap_err();
        assert!(e.ends_with("did you mean \"train-ai\"?"), "{e}");
        assert!(pipeline_of(&args(&["--use", "Train-AI"]).unwrap()).is_err());
        assert!(pipeline_of(&args(&["--use", ""]).unwrap()).is_err());
        // draft-08's AI Use category is a use there, not in draft-07.
        let draft08 = ["--use", "ai-use", "--vocabulary", "draft-08"];
        assert!(pipeline_of(&args(&draft08).unwrap()).is_ok());
    }

    #[test]
    fn bad_elements_and_policies_are_usage_errors() {
        let e = pipeline_of(&args(&["--use", "train-ai", "--we-give", "credit,opne"]).unwrap())
            .unwrap_err();
        assert!(
            e.starts_with("--we-give: ") && e.contains("\"open\""),
            "{e}"
        );
        for bad in [
            ["--unknown", "alow"],
            ["--unreadable", "yes"],
            ["--vocabulary", "draft07"],
        ] {
            let e = args(&[&["--use", "train-ai"][..], &bad[..]].concat()).err();
            assert!(e.is_some(), "{bad:?}");
        }
    }
}
