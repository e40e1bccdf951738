//! `apply --manifest` and `check --manifest`: the library reads and
//! validates the catalog and compares files with it; here its rows are
//! handed to the same batch runner, per-file operations and reporters as
//! `apply PATH...` and `check PATH...`.

use std::io;
use std::path::Path;

use ccsig::audit;
use ccsig::batch::{self, Entry};
use ccsig::manifest::{self, Files, Manifest, ManifestError, Row};
use ccsig::report::Tally;

use super::commands;
use super::{ApplyArgs, CheckArgs, OutputFormat, EXIT_ERROR};

/// Reads the catalog; when it is bad, says why on every bad line
/// (`catalog.csv:LINE: reason`) and gives `None`.
fn read(path: &Path, files: Files, consequence: &str) -> Option<Manifest> {
    match manifest::read(path, files) {
        Ok(m) => Some(m),
        Err(ManifestError::Invalid { manifest, problems }) => {
            for p in &problems {
                eprintln!("{}:{p}", manifest.display());
            }
            let mut lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
            lines.dedup();
            eprintln!(
                "ccsig: {}: {} bad line{}; {consequence}",
                manifest.display(),
                lines.len(),
                commands::plural(lines.len())
            );
            None
        }
        Err(e) => {
            eprintln!("ccsig: {e}");
            None
        }
    }
}

/// Only a file that is not there is `missing_file`; one that cannot be
/// reached (permissions) is `unreadable`, like any file `check` cannot read.
fn is_not_found(path: &Path) -> bool {
    matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == io::ErrorKind::NotFound)
}

fn entry(row: &Row) -> Entry {
    Entry::File {
        path: row.path.clone(),
        explicit: true,
    }
}

pub fn apply(args: ApplyArgs) -> io::Result<i32> {
    let Some(path) = &args.manifest else {
        return Ok(EXIT_ERROR);
    };
    let Some(catalog) = read(path, Files::MustExist, "nothing written") else {
        return Ok(EXIT_ERROR);
    };
    if args.dry_run && args.batch.format == OutputFormat::Table {
        println!(
            "dry run: would write the signals {} gives {} file{}",
            path.display(),
            catalog.rows.len(),
            commands::plural(catalog.rows.len())
        );
    }
    let opts = match commands::write_options(&args) {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("ccsig: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    let rows = catalog.rows.iter().map(|row| (entry(row), row));
    commands::write_items(
        rows,
        args.walk.verbose,
        &|| false,
        &args.batch,
        commands::apply_verb(&args),
        |p, row| ccsig::apply_path(p, &row.request, &opts),
    )
}

/// What `check --manifest` looks at: the files the rows name, then the
/// files under `--tree`.
enum Target<'a> {
    Row(&'a Row),
    Tree(Entry),
}

/// A file's findings, with its signals and image digest for the copy
/// tracker when it could be read.
type Checked = Option<FileChecked>;

/// The path shown, the findings, and the signals and image digest.
type FileChecked = (
    String,
    Vec<audit::Finding>,
    Option<Box<ccsig::FileSignals>>,
    Option<[u8; 16]>,
);

/// A row's file: its findings, those of its comparison with the row, and
/// (for the copy tracker) its signals and image-data digest.
fn inspect_row(row: &Row, reading: &ccsig::ReadOptions, copies_by_content: bool) -> FileChecked {
    let shown = row.path.display().to_string();
    match ccsig::read_path_in(&row.path, reading.clone()) {
        Ok(signals) => {
            let mut findings = audit::check(&signals, None);
            findings.extend(manifest::compare(row, &signals));
            let image_digest = || copies_by_content.then(|| ccsig::image_digest_path(&row.path));
            let digest = commands::copy_digest(image_digest, &mut findings);
            (shown, findings, Some(Box::new(signals)), digest)
        }
        Err(e) => (shown, vec![audit::unreadable(&e.to_string())], None, None),
    }
}

pub fn check(args: CheckArgs) -> io::Result<i32> {
    let Some(path) = &args.manifest else {
        return Ok(EXIT_ERROR);
    };
    // An audit reports bad rows as findings and checks the others; only a
    // catalog that cannot be opened, or whose header is unusable, stops it.
    let (catalog, bad_rows) = match manifest::read_partly(path, Files::MayBeMissing) {
        Ok(read) => read,
        Err(ManifestError::Invalid { manifest, problems }) => {
            for p in &problems {
                eprintln!("{}:{p}", manifest.display());
            }
            eprintln!(
                "ccsig: {}: the header cannot be used; nothing checked",
                manifest.display()
            );
            return Ok(EXIT_ERROR);
        }
        Err(e) => {
            eprintln!("ccsig: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    if !bad_rows.is_empty() {
        let mut lines: Vec<u64> = bad_rows.iter().map(|p| p.line).collect();
        lines.dedup();
        eprintln!(
            "ccsig: {}: {} bad line{}, reported as bad_row findings; the other rows are checked",
            path.display(),
            lines.len(),
            commands::plural(lines.len())
        );
    }
    let named = catalog.named();
    // --vocabulary and --c2pa-trust hold for catalog checks as for paths.
    let reading = args.reading.options();
    let tree = args.tree.iter().cloned().collect::<Vec<_>>();
    let targets = catalog
        .rows
        .iter()
        .map(Target::Row)
        .chain(batch::walk::walk(&tree).map(Target::Tree));
    let job = |target: &Target| -> Checked {
        match target {
            Target::Row(row) if is_not_found(&row.path) => Some((
                row.path.display().to_string(),
                vec![manifest::missing_file(row)],
                None,
                None,
            )),
            Target::Row(row) => Some(inspect_row(row, &reading, args.copies_by_content)),
            Target::Tree(Entry::File { path, .. }) => {
                let finding = match named.unlisted(path) {
                    Ok(finding) => finding?,
                    Err(e) => audit::unreadable(&e.to_string()),
                };
                Some((path.display().to_string(), vec![finding], None, None))
            }
            Target::Tree(Entry::Error { .. } | Entry::Skipped { .. }) => None,
        }
    };
    let mut out = commands::reporter(args.batch.format);
    let mut tally = Tally::default();
    let mut copies = audit::CopyTracker::default();
    let mut walk_errors = false;
    let mut result = Ok(());
    // Each bad line once, named by the catalog and its line, before the
    // files.
    let mut lines = bad_rows.iter().peekable();
    while let Some(first) = lines.next() {
        let mut findings = vec![manifest::bad_row(first)];
        while let Some(more) = lines.next_if(|p| p.line == first.line) {
            findings.push(manifest::bad_row(more));
        }
        tally.count_bad_row(&findings);
        out.findings(&format!("{}:{}", path.display(), first.line), &findings)?;
    }
    let options = commands::batch_options(&args.batch);
    let cancelled = batch::run_items(targets, &options, job, |target, checked| {
        match (target, checked) {
            (Target::Tree(Entry::Error { path, message }), _) => {
                walk_errors = true;
                commands::walk_error(&path, &message);
            }
            (_, Some((shown, mut findings, signals, digest))) if result.is_ok() => {
                if let Some(signals) = signals {
                    findings.extend(copies.observe(&shown, &signals, digest));
                }
                tally.count_findings(&findings);
                result = out.findings(&shown, &findings);
            }
            _ => {}
        }
    })
    .map_err(io::Error::other)?;
    result?;
    out.finish(Some(&commands::check_summary(&tally)))?;
    Ok(commands::finish_code(
        cancelled,
        tally.files,
        walk_errors,
        tally.files_with_findings + tally.bad_rows > 0,
    ))
}
