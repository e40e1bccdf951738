//! The commands: each wires a library operation to the batch runner and a
//! reporter, and turns the tally into an exit code.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ccsig::batch::{self, BatchOptions, Entry};
use ccsig::report::{ChangeRecord, FileRecord, Tally};
use ccsig::signal::{self, SignalCode};
use ccsig::tagging::{FileError, WriteOptions};
use ccsig::tree::{triage, Triage};
use ccsig::{audit, ApplyRequest, ReadError, RequestOptions, SkipReason, TreeItem};

use super::check_output::{CheckOutput, Checked};
use super::output::reporter;
use super::walking::{Account, Roots, WalkArgs};
use super::{
    ApplyArgs, Batch, CheckArgs, ExplainArgs, ExplainFormat, OutputFormat, ReadArgs, RemoveArgs,
    SignalArg, EXIT_ERROR, EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK,
};

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

pub(super) fn batch_options(b: &Batch) -> BatchOptions {
    batch_options_with_jobs(b.jobs)
}

pub(super) fn batch_options_with_jobs(jobs: Option<usize>) -> BatchOptions {
    let limit = batch::max_jobs();
    if jobs.is_some_and(|j| j > limit) {
        eprintln!("ccsig: --jobs capped at {limit}: more threads only contend on this machine");
    }
    BatchOptions {
        jobs: jobs.unwrap_or(0),
        progress: Arc::new(super::progress::Bar::new(io::stderr().is_terminal())),
        cancel: cancel_flag(),
    }
}

/// Whether reading `--files-from` failed (said on stderr).
pub(super) fn list_failed(roots_error: &std::cell::Cell<Option<io::Error>>) -> bool {
    match roots_error.take() {
        Some(e) => {
            eprintln!("ccsig: --files-from: {e}");
            true
        }
        None => false,
    }
}

pub(super) fn walk_error(path: &Path, message: &str) {
    eprintln!("ccsig: {}: {message}", path.display());
}

/// One rule for every command: interrupted 130; a path that could not be
/// walked or a file that could not be processed (whatever the cause) or a
/// finding is 1; 2 only when nothing could run at all (usage errors return
/// 2 before a batch starts).
pub(super) fn finish_code(
    cancelled: bool,
    processed: usize,
    failures: bool,
    findings: bool,
) -> i32 {
    if cancelled {
        EXIT_INTERRUPTED
    } else if failures && processed == 0 {
        EXIT_ERROR
    } else if failures || findings {
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

/// The image-data digest by which `check --copies-by-content` recognises
/// copies of a file that has no `xmpMM:DocumentID`, and tells the copies
/// of a file that has one from other pictures given the same ID; a digest
/// that could not be computed is a finding.
pub(super) fn copy_digest(
    image_digest: impl FnOnce() -> Option<Result<[u8; 16], ReadError>>,
    findings: &mut Vec<audit::Finding>,
) -> Option<[u8; 16]> {
    match image_digest()? {
        Ok(d) => Some(d),
        Err(e) => {
            findings.push(audit::unreadable(&e.to_string()));
            None
        }
    }
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
            let digest = copy_digest(|| image_digest, &mut record.findings);
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
    let mut options = args.walk.tree_options(&batch_options(&args.batch));
    options.read = args.reading.options();
    let mut out = reporter(args.batch.format);
    let mut account = Account::new(args.walk.verbose);
    let mut unreadable = false;
    let mut walk_errors = false;
    // Files that could be opened at all: with none, nothing could run.
    let mut ran = 0;
    let mut result = Ok(());
    let cancelled = ccsig::read_tree_from(roots, &options, &mut |item| match inspect_item(
        item, None,
    ) {
        Inspected::Skipped(path, reason) => account.skipped(&path, &reason),
        Inspected::Read(record, signals, _, system) => {
            account.took(&record.path, signals.as_deref());
            ran += usize::from(!system);
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
    Ok(finish_code(
        cancelled,
        ran,
        walk_errors || unreadable,
        false,
    ))
}

pub fn check(args: CheckArgs) -> io::Result<i32> {
    let expect = match &args.expect {
        Some(raw) if args.force => Some(signal::parse_in(raw, args.reading.vocabulary)),
        Some(raw) => match signal::validate_for_writing_in(raw, args.reading.vocabulary) {
            Ok(statement) => Some(statement),
            Err(e) => {
                eprintln!("ccsig: --expect: {e}{FORCE_HINT}");
                return Ok(EXIT_ERROR);
            }
        },
        None => None,
    };
    let roots = args.walk.roots(&args.paths)?;
    let list_error = roots.error_slot();
    let mut options = args.walk.tree_options(&batch_options(&args.batch));
    options.image_digests = args.copies_by_content;
    options.read = args.reading.options();
    let mut out = match CheckOutput::new(&args) {
        Ok(out) => out,
        Err(e) => {
            eprintln!("ccsig: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    let mut account = Account::new(args.walk.verbose);
    let mut copies = audit::CopyTracker::default();
    let mut walk_errors = false;
    // Files that could be opened at all: with none, nothing could run.
    let mut ran = 0;
    let mut result = Ok(());
    let cancelled = ccsig::read_tree_from(roots, &options, &mut |item| match inspect_item(
        item,
        expect.as_ref(),
    ) {
        Inspected::Skipped(path, reason) => {
            let left = (matches!(reason, SkipReason::CcsigTemporary) && result.is_ok())
                .then(|| audit::left_behind(Path::new(&path)))
                .flatten();
            if let Some(finding) = left {
                result = out.file(Checked {
                    path: &path,
                    signals: None,
                    findings: vec![finding],
                    contributor: None,
                    digest: None,
                    catalog_path: None,
                });
            }
            account.skipped(&path, &reason)
        }
        Inspected::Read(mut record, signals, digest, system) => {
            account.took(&record.path, signals.as_deref());
            ran += usize::from(!system);
            walk_errors |= system;
            if result.is_err() {
                return;
            }
            if let Some(signals) = &signals {
                record
                    .findings
                    .extend(copies.observe(&record.path, signals, digest));
            }
            result = out.file(Checked {
                path: &record.path,
                signals: signals.as_deref(),
                findings: std::mem::take(&mut record.findings),
                contributor: None,
                digest,
                catalog_path: None,
            });
        }
    })
    .map_err(io::Error::other)?;
    result?;
    walk_errors |= list_failed(&list_error);
    let tally = out.finish(args.batch.format)?;
    account.report("checked", true);
    Ok(finish_code(
        cancelled,
        ran,
        walk_errors,
        tally.files_with_findings + tally.bad_rows > 0,
    ))
}

pub(super) fn plural(n: usize) -> &'static str {
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
    /// The record, and the directories whose renames still need a sync.
    Done(ChangeRecord, Vec<std::path::PathBuf>),
}

/// Shards are read in place and never written: their members would have
/// to be extracted, changed and packed again, which is the pipeline's call.
const SHARD_REFUSAL: &str =
    "is a tar shard: ccsig reads shards but never writes into them (extract, apply, pack again)";

/// Runs a write operation over every file of the walk and reports each.
fn write_batch(
    paths: &[std::path::PathBuf],
    walk: &WalkArgs,
    batch_args: &Batch,
    verb: &str,
    op: impl Fn(&Path) -> Result<ccsig::tagging::Outcome, FileError> + Sync,
) -> io::Result<i32> {
    let roots: Roots = walk.roots(paths)?;
    let list_error = roots.error_slot();
    let entries = batch::walk::walk_with(roots, &walk.walk_options())
        .map_err(io::Error::other)?
        .map(|entry| (entry, ()));
    write_items(
        entries,
        walk.verbose,
        &|| list_failed(&list_error),
        batch_args,
        verb,
        |path, ()| op(path),
    )
}

/// [`write_batch`] over entries that each carry what to write (`R`), e.g.
/// the rows of a manifest. `list_failed` says whether reading the list of
/// paths failed (checked once the batch is over).
pub(super) fn write_items<R: Sync>(
    entries: impl Iterator<Item = (Entry, R)>,
    verbose: bool,
    list_failed: &dyn Fn() -> bool,
    batch_args: &Batch,
    verb: &str,
    op: impl Fn(&Path, &R) -> Result<ccsig::tagging::Outcome, FileError> + Sync,
) -> io::Result<i32> {
    let mut account = Account::new(verbose);
    let mut out = reporter(batch_args.format);
    let mut tally = Tally::default();
    // Failures beyond the files' own (those are counted in `tally.failed`):
    // a path that could not be walked, the list, a directory sync.
    let mut other_failures = false;
    let mut unsynced = std::collections::BTreeSet::new();
    let mut result = Ok(());
    let job = |(entry, what): &(Entry, R)| {
        let Entry::File { path, explicit } = entry else {
            return None;
        };
        let shown = path.display().to_string();
        let refused =
            |shown| Written::Done(ChangeRecord::failed(shown, SHARD_REFUSAL.into()), vec![]);
        if ccsig::shard::compression_from_name(path).is_some() {
            return Some(refused(shown));
        }
        Some(match op(path, what) {
            Ok(outcome) => Written::Done(
                ChangeRecord::changed(shown, outcome.change, outcome.notes),
                outcome.unsynced_dirs,
            ),
            Err(FileError::Read(e)) => match triage(path, *explicit, &e) {
                Triage::Skip(reason) => Written::Skipped(shown, reason),
                Triage::Shard(_) => refused(shown),
                Triage::Report => Written::Done(ChangeRecord::failed(shown, e.to_string()), vec![]),
            },
            Err(e) => Written::Done(ChangeRecord::failed(shown, e.to_string()), vec![]),
        })
    };
    let cancelled =
        batch::run_items(
            entries,
            &batch_options(batch_args),
            job,
            |(entry, _), r| match (entry, r) {
                (Entry::Error { path, message }, _) => {
                    other_failures = true;
                    walk_error(&path, &message);
                }
                (Entry::Skipped { path, reason }, _) => {
                    account.skipped(&path.display().to_string(), &reason)
                }
                (_, Some(Written::Skipped(path, reason))) => account.skipped(&path, &reason),
                (_, Some(Written::Done(record, dirs))) => {
                    unsynced.extend(dirs);
                    if result.is_err() {
                        return;
                    }
                    tally.files += 1;
                    match record.status.as_str() {
                        "written" | "would_write" | "removed" | "would_remove" => {
                            tally.written += 1
                        }
                        "unchanged" | "kept" => tally.unchanged += 1,
                        _ => tally.failed += 1,
                    }
                    account.taken += 1;
                    result = out.change(&record);
                }
                _ => {}
            },
        )
        .map_err(io::Error::other)?;
    other_failures |= list_failed();
    // Renames become durable here, each directory once for the batch.
    for dir in &unsynced {
        if let Err(e) = ccsig::batch::atomic::sync_dir(dir) {
            eprintln!("ccsig: {}: {e}", dir.display());
            other_failures = true;
        }
    }
    result?;
    // An interrupted run says so where its counts are read: the files it
    // did not reach are untouched and not counted.
    let interrupted = match cancelled {
        true => "; interrupted before the end: files not reached were not touched (run it again to finish)",
        false => "",
    };
    let summary = format!(
        "{} file{}: {} {verb}, {} unchanged, {} failed{interrupted}",
        tally.files,
        plural(tally.files),
        tally.written,
        tally.unchanged,
        tally.failed
    );
    out.finish(Some(&summary))?;
    account.report("processed", true);
    if cancelled {
        // Machine formats carry no summary: say it where a person looks.
        eprintln!(
            "ccsig: interrupted after {} file{}; files not reached were not touched",
            tally.files,
            plural(tally.files)
        );
    }
    Ok(finish_code(
        cancelled,
        tally.files,
        other_failures || tally.failed > 0,
        false,
    ))
}

/// How `apply` writes, whatever names the files (an unusable signing key
/// is an error in words, before any file is touched).
pub(super) fn write_options(args: &ApplyArgs) -> Result<WriteOptions, String> {
    #[cfg_attr(not(feature = "c2pa"), allow(unused_variables))]
    let signing = args.signing.key()?;
    Ok(WriteOptions {
        dry_run: args.dry_run,
        allow_breaking_c2pa: args.allow_breaking_c2pa,
        sidecar_only: args.sidecar,
        sidecar_style: args.sidecar_style.map(Into::into),
        add_iim: args.iim,
        keep_existing: args.keep_existing,
        defer_dir_sync: true,
        break_hardlinks: args.files.break_hardlinks,
        preserve_mtime: args.files.preserve_mtime,
        no_in_place: args.files.no_in_place,
        #[cfg(feature = "c2pa")]
        c2pa_sign: signing,
    })
}

pub(super) fn apply_verb(args: &ApplyArgs) -> &'static str {
    if args.dry_run {
        "would be written"
    } else {
        "written"
    }
}

/// What a user can do about an expression `check` would flag.
const FORCE_HINT: &str = " (--force to use it as given)";

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
            let hint = match e {
                ccsig::RequestError::Flagged(_) => FORCE_HINT,
                _ => "",
            };
            eprintln!("ccsig: {e}{hint}");
            return Ok(EXIT_ERROR);
        }
    };
    let opts = match write_options(&args) {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("ccsig: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    if args.dry_run && args.batch.format == OutputFormat::Table {
        println!("dry run: would write {}", request.expression);
    }
    let verb = apply_verb(&args);
    write_batch(&args.paths, &args.walk, &args.batch, verb, |p| {
        ccsig::apply_path(p, &request, &opts)
    })
}

pub fn remove(args: RemoveArgs) -> io::Result<i32> {
    #[cfg_attr(not(feature = "c2pa"), allow(unused_variables))]
    let signing = match args.signing.key() {
        Ok(signing) => signing,
        Err(e) => {
            eprintln!("ccsig: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    let opts = WriteOptions {
        dry_run: args.dry_run,
        allow_breaking_c2pa: args.allow_breaking_c2pa,
        sidecar_only: args.sidecar,
        sidecar_style: None,
        add_iim: false,
        keep_existing: false,
        defer_dir_sync: true,
        break_hardlinks: args.files.break_hardlinks,
        preserve_mtime: args.files.preserve_mtime,
        no_in_place: args.files.no_in_place,
        #[cfg(feature = "c2pa")]
        c2pa_sign: signing,
    };
    let verb = if args.dry_run {
        "would be removed from"
    } else {
        "removed from"
    };
    write_batch(&args.paths, &args.walk, &args.batch, verb, |p| {
        ccsig::remove_path(p, &opts)
    })
}

pub fn explain(args: ExplainArgs) -> io::Result<i32> {
    // What to explain: the expression given, or each statement of the
    // response's fields and robots.txt rules, named by its field.
    let mut items: Vec<(Option<String>, String)> = Vec::new();
    if let Some(expression) = &args.expression {
        items.push((None, expression.clone()));
    }
    if !args.header.is_empty() || args.robots.is_some() {
        let robots = match &args.robots {
            Some(path) => match std::fs::read_to_string(path) {
                Ok(text) => Some(text),
                Err(e) => {
                    eprintln!("ccsig: {}: {e}", path.display());
                    return Ok(EXIT_ERROR);
                }
            },
            None => None,
        };
        let mut headers = Vec::new();
        for field in &args.header {
            let Some((name, value)) = field.split_once(':') else {
                eprintln!("ccsig: --header {field:?}: expected 'Name: value'");
                return Ok(EXIT_ERROR);
            };
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
        let web = ccsig::WebContext {
            headers,
            robots,
            url: args.url.clone(),
            user_agent: args.user_agent.clone(),
        };
        for source in web.sources() {
            items.push((Some(source.field()), source.expression));
        }
        if items.is_empty() {
            println!("nothing stated: no Content-Usage, no read X-Robots-Tag directive, no robots.txt rule that applies");
            return Ok(EXIT_OK);
        }
    }
    let mut out = BufWriter::new(io::stdout().lock());
    let mut has_errors = false;
    for (field, expression) in &items {
        let statement = signal::parse_in(expression, args.vocabulary);
        let explanation = signal::explain::explain(&statement);
        match args.format {
            ExplainFormat::Text => {
                if let Some(field) = field {
                    writeln!(out, "{field}: {expression}")?;
                }
                write!(out, "{}", signal::explain::explain_text(&statement))?;
            }
            ExplainFormat::Json | ExplainFormat::Jsonl => {
                let value = match field {
                    Some(field) => serde_json::json!({"field": field, "explanation": explanation}),
                    None => serde_json::to_value(&explanation).map_err(io::Error::from)?,
                };
                match args.format {
                    ExplainFormat::Json => serde_json::to_writer_pretty(&mut out, &value),
                    _ => serde_json::to_writer(&mut out, &value),
                }
                .map_err(io::Error::from)?;
                writeln!(out)?;
            }
        }
        has_errors |= statement
            .diagnostics()
            .iter()
            .any(|d| d.severity() == signal::Severity::Error);
    }
    out.flush()?;
    Ok(if has_errors { EXIT_FINDINGS } else { EXIT_OK })
}
