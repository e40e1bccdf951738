//! The commands: each wires a library operation to the batch runner and a
//! reporter, and turns the tally into an exit code.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ccsig::batch::{self, BatchOptions, Entry};
use ccsig::report::{self, ChangeRecord, FileRecord, Reporter, Tally};
use ccsig::signal::{self, SignalCode};
use ccsig::tagging::{FileError, WriteOptions};
use ccsig::tree::{triage, Triage};
use ccsig::{audit, ApplyRequest, ReadError, SkipReason, TreeItem};

use super::walking::{Account, Roots, WalkArgs};
use super::{
    ApplyArgs, Batch, CheckArgs, ExplainArgs, OutputFormat, ReadArgs, RemoveArgs, SignalArg,
    EXIT_ERROR, EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK,
};

fn report_format(f: OutputFormat) -> report::Format {
    match f {
        OutputFormat::Table => report::Format::Table,
        OutputFormat::Json => report::Format::Json,
        OutputFormat::Jsonl => report::Format::Jsonl,
        OutputFormat::Csv => report::Format::Csv,
    }
}

fn reporter(format: OutputFormat) -> Reporter<BufWriter<io::StdoutLock<'static>>> {
    let stdout = io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    Reporter::new(report_format(format), BufWriter::new(stdout.lock()), color)
}

/// Ctrl-C stops new files from being started; a second one quits at once
/// (files are replaced by rename, so even then each is old or new).
fn cancel_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let handler_flag = flag.clone();
    let _ = ctrlc::set_handler(move || {
        if handler_flag.swap(true, Ordering::SeqCst) {
            std::process::exit(EXIT_INTERRUPTED);
        }
        eprintln!("ccsig: interrupted; finishing the files in progress");
    });
    flag
}

fn batch_options(b: &Batch) -> BatchOptions {
    batch_options_with_jobs(b.jobs)
}

pub(super) fn batch_options_with_jobs(jobs: Option<usize>) -> BatchOptions {
    BatchOptions {
        jobs: jobs.unwrap_or(0),
        progress: Arc::new(super::progress::Bar::new(io::stderr().is_terminal())),
        cancel: cancel_flag(),
    }
}

/// Whether reading `--files-from` failed (said on stderr).
fn list_failed(roots_error: &std::cell::Cell<Option<io::Error>>) -> bool {
    match roots_error.take() {
        Some(e) => {
            eprintln!("ccsig: --files-from: {e}");
            true
        }
        None => false,
    }
}

fn walk_error(path: &Path, message: &str) {
    eprintln!("ccsig: {}: {message}", path.display());
}

fn finish_code(cancelled: bool, io_errors: bool, findings: bool) -> i32 {
    if cancelled {
        EXIT_INTERRUPTED
    } else if io_errors {
        EXIT_ERROR
    } else if findings {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

enum Inspected {
    Skipped(String, SkipReason),
    /// The record, the signals, the image-data digest if computed, and
    /// whether the failure (if any) was the system's (I/O) rather than the file's.
    Read(
        Box<FileRecord>,
        Option<Box<ccsig::FileSignals>>,
        Option<[u8; 16]>,
        bool,
    ),
}

fn inspect_item(item: TreeItem, expect: Option<&signal::Statement>) -> Inspected {
    match item {
        TreeItem::Skipped { path, reason } => Inspected::Skipped(path, reason),
        TreeItem::Read {
            path,
            signals: Ok(signals),
            image_digest,
        } => {
            let findings = audit::check(&signals, expect);
            let mut record = FileRecord::ok(path, &signals, findings);
            let has_id = signals
                .xmp
                .as_ref()
                .is_some_and(|x| x.document_id.is_some());
            let digest = match image_digest {
                Some(Ok(d)) if !has_id => Some(d),
                Some(Err(e)) if !has_id => {
                    record.findings.push(audit::unreadable(&e.to_string()));
                    None
                }
                _ => None,
            };
            Inspected::Read(Box::new(record), Some(Box::new(signals)), digest, false)
        }
        TreeItem::Read {
            path,
            signals: Err(e),
            ..
        } => {
            let system = matches!(e, ReadError::Io(_));
            if system {
                walk_error(Path::new(&path), &e.to_string());
            }
            let findings = vec![audit::unreadable(&e.to_string())];
            Inspected::Read(
                Box::new(FileRecord::error(path, e.to_string(), findings)),
                None,
                None,
                system,
            )
        }
    }
}

pub fn read(args: ReadArgs) -> io::Result<i32> {
    let roots = args.walk.roots(&args.paths)?;
    let list_error = roots.error_slot();
    let options = args.walk.tree_options(&batch_options(&args.batch));
    let mut out = reporter(args.batch.format);
    let mut account = Account::new(args.walk.verbose);
    let mut unreadable = false;
    let mut walk_errors = false;
    let mut result = Ok(());
    let cancelled = ccsig::read_tree_from(roots, &options, &mut |item| match inspect_item(
        item, None,
    ) {
        Inspected::Skipped(path, reason) => account.skipped(&path, &reason),
        Inspected::Read(record, _, _, system) => {
            account.taken += 1;
            walk_errors |= system;
            unreadable |= record.error.is_some();
            if result.is_ok() {
                result = out.file(&record);
            }
        }
    })
    .map_err(io::Error::other)?;
    result?;
    out.finish(None)?;
    account.report("read", true);
    walk_errors |= list_failed(&list_error);
    Ok(finish_code(cancelled, walk_errors, unreadable))
}

pub fn check(args: CheckArgs) -> io::Result<i32> {
    let expect = match &args.expect {
        Some(raw) => {
            let statement = signal::parse(raw);
            if !statement.parsed {
                eprintln!(
                    "ccsig: --expect {raw:?} does not parse: {}",
                    statement.parse_error.clone().unwrap_or_default()
                );
                return Ok(EXIT_ERROR);
            }
            Some(statement)
        }
        None => None,
    };
    let roots = args.walk.roots(&args.paths)?;
    let list_error = roots.error_slot();
    let mut options = args.walk.tree_options(&batch_options(&args.batch));
    options.image_digests = args.copies_by_content;
    let mut out = reporter(args.batch.format);
    let mut account = Account::new(args.walk.verbose);
    let mut tally = Tally::default();
    let mut copies = audit::CopyTracker::default();
    let mut walk_errors = false;
    let mut result = Ok(());
    let cancelled = ccsig::read_tree_from(roots, &options, &mut |item| match inspect_item(
        item,
        expect.as_ref(),
    ) {
        Inspected::Skipped(path, reason) => account.skipped(&path, &reason),
        Inspected::Read(mut record, signals, digest, system) => {
            account.taken += 1;
            walk_errors |= system;
            if result.is_err() {
                return;
            }
            if let Some(signals) = signals {
                record
                    .findings
                    .extend(copies.observe(&record.path, &signals, digest));
            }
            tally.count_findings(&record.findings);
            result = out.findings(&record.path, &record.findings);
        }
    })
    .map_err(io::Error::other)?;
    result?;
    walk_errors |= list_failed(&list_error);
    let summary = format!(
        "{} file{} checked: {} with findings ({} error{}, {} warning{}, {} note{})",
        tally.files,
        plural(tally.files),
        tally.files_with_findings,
        tally.errors,
        plural(tally.errors),
        tally.warnings,
        plural(tally.warnings),
        tally.infos,
        plural(tally.infos)
    );
    out.finish(Some(&summary))?;
    account.report("checked", true);
    Ok(finish_code(
        cancelled,
        walk_errors,
        tally.files_with_findings > 0,
    ))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn signal_code(s: SignalArg) -> SignalCode {
    match s {
        SignalArg::Cr => SignalCode::Cr,
        SignalArg::CrDc => SignalCode::CrDc,
        SignalArg::CrEc => SignalCode::CrEc,
        SignalArg::CrOp => SignalCode::CrOp,
    }
}

enum Written {
    Skipped(String, SkipReason),
    Done(ChangeRecord, Option<bool>, Vec<std::path::PathBuf>),
}

/// Shards are read in place and never written: their members would have
/// to be extracted, changed and packed again, which is the pipeline's call.
const SHARD_REFUSAL: &str =
    "is a tar shard: ccsig reads shards but never writes into them (extract, apply, pack again)";

/// Runs a write operation over the batch; `Some(true)` in a result marks
/// a bad-input failure, `Some(false)` a system (I/O) failure.
fn write_batch(
    paths: &[std::path::PathBuf],
    walk: &WalkArgs,
    batch_args: &Batch,
    verb: &str,
    op: impl Fn(&Path) -> Result<ccsig::tagging::Outcome, FileError> + Sync,
) -> io::Result<i32> {
    let roots: Roots = walk.roots(paths)?;
    let list_error = roots.error_slot();
    let mut account = Account::new(walk.verbose);
    let mut out = reporter(batch_args.format);
    let mut tally = Tally::default();
    let (mut bad_input, mut io_errors) = (false, false);
    let mut unsynced = std::collections::BTreeSet::new();
    let mut result = Ok(());
    let job = |entry: &Entry| {
        let Entry::File { path, explicit } = entry else {
            return None;
        };
        let shown = path.display().to_string();
        let refused = |shown| {
            Written::Done(
                ChangeRecord::failed(shown, SHARD_REFUSAL.into()),
                Some(true),
                vec![],
            )
        };
        if ccsig::shard::compression_from_name(path).is_some() {
            return Some(refused(shown));
        }
        Some(match op(path) {
            Ok(outcome) => Written::Done(
                ChangeRecord::changed(shown, outcome.change, outcome.notes),
                None,
                outcome.unsynced_dirs,
            ),
            Err(FileError::Read(e)) => match triage(path, *explicit, &e) {
                Triage::Skip(reason) => Written::Skipped(shown, reason),
                Triage::Shard(_) => refused(shown),
                Triage::Report => Written::Done(
                    ChangeRecord::failed(shown, e.to_string()),
                    Some(FileError::Read(e).is_bad_input()),
                    vec![],
                ),
            },
            Err(e) => Written::Done(
                ChangeRecord::failed(shown, e.to_string()),
                Some(e.is_bad_input()),
                vec![],
            ),
        })
    };
    let cancelled = batch::run_walk(
        roots,
        &walk.walk_options(),
        &batch_options(batch_args),
        job,
        |entry, r| match (entry, r) {
            (Entry::Error { path, message }, _) => {
                io_errors = true;
                walk_error(&path, &message);
            }
            (Entry::Skipped { path, reason }, _) => {
                account.skipped(&path.display().to_string(), &reason)
            }
            (_, Some(Written::Skipped(path, reason))) => account.skipped(&path, &reason),
            (_, Some(Written::Done(record, failure, dirs))) => {
                unsynced.extend(dirs);
                if result.is_err() {
                    return;
                }
                tally.files += 1;
                match failure {
                    Some(true) => bad_input = true,
                    Some(false) => io_errors = true,
                    None => {}
                }
                match record.status.as_str() {
                    "written" | "would_write" => tally.written += 1,
                    "unchanged" => tally.unchanged += 1,
                    _ => tally.failed += 1,
                }
                account.taken += 1;
                result = out.change(&record);
            }
            _ => {}
        },
    )
    .map_err(io::Error::other)?;
    io_errors |= list_failed(&list_error);
    // Renames become durable here, each directory once for the batch.
    for dir in &unsynced {
        if let Err(e) = ccsig::batch::atomic::sync_dir(dir) {
            eprintln!("ccsig: {}: {e}", dir.display());
            io_errors = true;
        }
    }
    result?;
    let summary = format!(
        "{} file{}: {} {verb}, {} unchanged, {} failed",
        tally.files,
        plural(tally.files),
        tally.written,
        tally.unchanged,
        tally.failed
    );
    out.finish(Some(&summary))?;
    account.report("processed", true);
    Ok(finish_code(cancelled, io_errors, bad_input))
}

pub fn apply(args: ApplyArgs) -> io::Result<i32> {
    let request = match (&args.expression, args.signal) {
        (Some(raw), _) => ApplyRequest::from_expression(raw),
        (None, Some(s)) => ApplyRequest::from_signal(signal_code(s), &args.use_label),
        (None, None) => unreachable!("clap requires --signal or --expression"),
    };
    let request = match request {
        Ok(r) => r.with_credit(args.credit_name.clone(), args.credit_url.clone()),
        Err(e) => {
            eprintln!("ccsig: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    let opts = WriteOptions {
        dry_run: args.dry_run,
        allow_breaking_c2pa: args.allow_breaking_c2pa,
        sidecar_only: args.sidecar,
        add_iim: args.iim,
        defer_dir_sync: true,
    };
    if args.dry_run && args.batch.format == OutputFormat::Table {
        println!("dry run: would write {}", request.expression);
    }
    let verb = if args.dry_run {
        "would be written"
    } else {
        "written"
    };
    write_batch(&args.paths, &args.walk, &args.batch, verb, |p| {
        ccsig::apply_path(p, &request, &opts)
    })
}

pub fn remove(args: RemoveArgs) -> io::Result<i32> {
    let opts = WriteOptions {
        dry_run: args.dry_run,
        allow_breaking_c2pa: args.allow_breaking_c2pa,
        sidecar_only: args.sidecar,
        add_iim: false,
        defer_dir_sync: true,
    };
    let verb = if args.dry_run {
        "would be cleaned"
    } else {
        "cleaned"
    };
    write_batch(&args.paths, &args.walk, &args.batch, verb, |p| {
        ccsig::remove_path(p, &opts)
    })
}

pub fn explain(args: ExplainArgs) -> io::Result<i32> {
    let statement = signal::parse(&args.expression);
    let explanation = signal::explain::explain(&statement);
    let mut out = BufWriter::new(io::stdout().lock());
    match args.format {
        OutputFormat::Table => write!(out, "{}", signal::explain::explain_text(&statement))?,
        OutputFormat::Csv => {
            eprintln!("ccsig: explain prints table or json");
            return Ok(EXIT_ERROR);
        }
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &explanation).map_err(io::Error::from)?;
            writeln!(out)?;
        }
        OutputFormat::Jsonl => {
            serde_json::to_writer(&mut out, &explanation).map_err(io::Error::from)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    let has_errors = statement
        .diagnostics()
        .iter()
        .any(|d| d.severity() == signal::Severity::Error);
    Ok(if has_errors { EXIT_FINDINGS } else { EXIT_OK })
}
