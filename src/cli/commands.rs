//! The commands: each wires a library operation to the batch runner and a
//! reporter, and turns the tally into an exit code.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ccsig::batch::{self, BatchOptions, Entry};
use ccsig::container::ContainerError;
use ccsig::report::{self, ChangeRecord, FileRecord, Reporter, Tally};
use ccsig::signal::{self, SignalCode};
use ccsig::tagging::{FileError, WriteOptions};
use ccsig::{audit, ApplyRequest, ReadError, RequestOptions};

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
    BatchOptions {
        jobs: b.jobs.unwrap_or(0),
        progress: io::stderr().is_terminal(),
        cancel: cancel_flag(),
    }
}

/// A file found in a folder that is not an image of ours is passed over;
/// one named explicitly, or with an image extension, is reported.
fn is_passed_over(path: &Path, explicit: bool, e: &ReadError) -> bool {
    let not_an_image = matches!(
        e,
        ReadError::Container(ContainerError::UnknownFormat | ContainerError::Empty)
    );
    not_an_image && !explicit && !batch::walk::has_image_extension(path)
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
    PassedOver,
    /// The record, the signals, and the image-data digest if computed.
    Read(
        Box<FileRecord>,
        Option<Box<ccsig::FileSignals>>,
        Option<[u8; 16]>,
    ),
}

fn inspect_entry(
    entry: &Entry,
    expect: Option<&signal::Statement>,
    with_findings: bool,
    digest_copies: bool,
    vocabulary: signal::Vocabulary,
) -> Option<Inspected> {
    let Entry::File { path, explicit } = entry else {
        return None;
    };
    let shown = path.display().to_string();
    Some(match ccsig::read_path_in(path, vocabulary) {
        Ok(signals) => {
            let findings = if with_findings {
                audit::check(&signals, expect)
            } else {
                vec![]
            };
            let mut record = FileRecord::ok(shown, &signals, findings);
            let has_id = signals
                .xmp
                .as_ref()
                .is_some_and(|x| x.document_id.is_some());
            let digest = if digest_copies && !has_id {
                match ccsig::image_digest_path(path) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        record.findings.push(audit::unreadable(&e.to_string()));
                        None
                    }
                }
            } else {
                None
            };
            Inspected::Read(Box::new(record), Some(Box::new(signals)), digest)
        }
        Err(e) if is_passed_over(path, *explicit, &e) => Inspected::PassedOver,
        Err(e) => {
            let findings = vec![audit::unreadable(&e.to_string())];
            Inspected::Read(
                Box::new(FileRecord::error(shown, e.to_string(), findings)),
                None,
                None,
            )
        }
    })
}

pub fn read(args: ReadArgs) -> io::Result<i32> {
    let mut out = reporter(args.batch.format);
    let mut unreadable = false;
    let mut walk_errors = false;
    let mut result = Ok(());
    let cancelled = batch::run(
        &args.paths,
        &batch_options(&args.batch),
        |e| inspect_entry(e, None, true, false, args.vocabulary),
        |entry, r| match (entry, r) {
            (Entry::Error { path, message }, _) => {
                walk_errors = true;
                walk_error(&path, &message);
            }
            (_, Some(Inspected::Read(record, _, _))) if result.is_ok() => {
                unreadable |= record.error.is_some();
                result = out.file(&record);
            }
            _ => {}
        },
    )
    .map_err(io::Error::other)?;
    result?;
    out.finish(None)?;
    Ok(finish_code(cancelled, walk_errors, unreadable))
}

pub fn check(args: CheckArgs) -> io::Result<i32> {
    let expect = match &args.expect {
        Some(raw) if args.force => Some(signal::parse_in(raw, args.vocabulary)),
        Some(raw) => match signal::validate_for_writing_in(raw, args.vocabulary) {
            Ok(statement) => Some(statement),
            Err(e) => {
                eprintln!("ccsig: --expect: {e}");
                return Ok(EXIT_ERROR);
            }
        },
        None => None,
    };
    let mut out = reporter(args.batch.format);
    let mut tally = Tally::default();
    let mut copies = audit::CopyTracker::default();
    let mut walk_errors = false;
    let mut result = Ok(());
    let cancelled = batch::run(
        &args.paths,
        &batch_options(&args.batch),
        |e| {
            inspect_entry(
                e,
                expect.as_ref(),
                true,
                args.copies_by_content,
                args.vocabulary,
            )
        },
        |entry, r| match (entry, r) {
            (Entry::Error { path, message }, _) => {
                walk_errors = true;
                walk_error(&path, &message);
            }
            (_, Some(Inspected::Read(mut record, signals, digest))) if result.is_ok() => {
                if let Some(signals) = signals {
                    record
                        .findings
                        .extend(copies.observe(&record.path, &signals, digest));
                }
                tally.count_findings(&record.findings);
                result = out.findings(&record.path, &record.findings);
            }
            _ => {}
        },
    )
    .map_err(io::Error::other)?;
    result?;
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
    PassedOver,
    Done(ChangeRecord, Option<bool>, Vec<std::path::PathBuf>),
}

/// Runs a write operation over the batch; `Some(true)` in a result marks
/// a bad-input failure, `Some(false)` a system (I/O) failure.
fn write_batch(
    paths: &[std::path::PathBuf],
    batch_args: &Batch,
    verb: &str,
    op: impl Fn(&Path) -> Result<ccsig::tagging::Outcome, FileError> + Sync,
) -> io::Result<i32> {
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
        Some(match op(path) {
            Ok(outcome) => Written::Done(
                ChangeRecord::changed(shown, outcome.change, outcome.notes),
                None,
                outcome.unsynced_dirs,
            ),
            Err(FileError::Read(e)) if is_passed_over(path, *explicit, &e) => Written::PassedOver,
            Err(e) => Written::Done(
                ChangeRecord::failed(shown, e.to_string()),
                Some(e.is_bad_input()),
                vec![],
            ),
        })
    };
    let cancelled = batch::run(paths, &batch_options(batch_args), job, |entry, r| {
        match (entry, r) {
            (Entry::Error { path, message }, _) => {
                io_errors = true;
                walk_error(&path, &message);
            }
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
                    "unchanged" | "kept" => tally.unchanged += 1,
                    _ => tally.failed += 1,
                }
                result = out.change(&record);
            }
            _ => {}
        }
    })
    .map_err(io::Error::other)?;
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
    Ok(finish_code(cancelled, io_errors, bad_input))
}

pub fn apply(args: ApplyArgs) -> io::Result<i32> {
    let request = match (&args.expression, args.signal) {
        (Some(raw), _) => ApplyRequest::from_expression_with(
            raw,
            RequestOptions {
                vocabulary: args.vocabulary,
                force: args.force,
            },
        ),
        (None, Some(s)) => {
            ApplyRequest::from_signal_in(signal_code(s), &args.use_label, args.vocabulary)
        }
        (None, None) => unreachable!("clap requires --signal or --expression"),
    };
    let request =
        request.and_then(|r| r.credited(args.credit_name.as_deref(), args.credit_url.as_deref()));
    let request = match request {
        Ok(r) => r,
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
        keep_existing: args.keep_existing,
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
    write_batch(&args.paths, &args.batch, verb, |p| {
        ccsig::apply_path(p, &request, &opts)
    })
}

pub fn remove(args: RemoveArgs) -> io::Result<i32> {
    let opts = WriteOptions {
        dry_run: args.dry_run,
        allow_breaking_c2pa: args.allow_breaking_c2pa,
        sidecar_only: args.sidecar,
        add_iim: false,
        keep_existing: false,
        defer_dir_sync: true,
    };
    let verb = if args.dry_run {
        "would be cleaned"
    } else {
        "cleaned"
    };
    write_batch(&args.paths, &args.batch, verb, |p| {
        ccsig::remove_path(p, &opts)
    })
}

pub fn explain(args: ExplainArgs) -> io::Result<i32> {
    let statement = signal::parse_in(&args.expression, args.vocabulary);
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
