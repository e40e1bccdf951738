//! `apply --manifest` and `check --manifest`: the library reads and
//! validates the catalog and compares files with it; here its rows are
//! handed to the same batch runner, per-file operations and reporters as
//! `apply PATH...` and `check PATH...`.

use std::io;
use std::path::Path;

use ccsig::audit;
use ccsig::batch::{self, Entry};
use ccsig::manifest::{self, Files, Manifest, ManifestError, Row};
use ccsig::moves::{self, EarlierAudit, Identity};

use super::check_output::{CheckOutput, Checked};
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

/// A file `check --manifest` looked at.
struct Seen {
    shown: String,
    findings: Vec<audit::Finding>,
    signals: Option<Box<ccsig::FileSignals>>,
    digest: Option<[u8; 16]>,
    /// The row's `credit_name`.
    contributor: Option<String>,
}

/// What a target turned out to be.
enum Outcome<'a> {
    /// A file a row names, compared with its row.
    Listed(Seen),
    /// A row whose file does not exist.
    Missing(&'a Row),
    /// An image under `--tree` that no row names.
    Unlisted(Seen),
}

/// A file read: its own findings, those of its comparison with `row` when
/// it has one, and (for the copy tracker and moved files) its signals and
/// image-data digest.
fn inspect(path: &Path, row: Option<&Row>, reading: &ccsig::ReadOptions, digest: bool) -> Seen {
    let shown = path.display().to_string();
    let contributor = row.and_then(|r| r.request.credit_name.clone());
    match ccsig::read_path_in(path, reading.clone()) {
        Ok(signals) => {
            let mut findings = audit::check(&signals, None);
            if let Some(row) = row {
                findings.extend(manifest::compare(row, &signals));
            }
            let image_digest = || digest.then(|| ccsig::image_digest_path(path));
            let digest = commands::copy_digest(image_digest, &mut findings);
            Seen {
                shown,
                findings,
                signals: Some(Box::new(signals)),
                digest,
                contributor,
            }
        }
        Err(e) => Seen {
            shown,
            findings: vec![audit::unreadable(&e.to_string())],
            signals: None,
            digest: None,
            contributor,
        },
    }
}

/// Reads the catalog partly (bad rows become findings); `None` (said on
/// stderr) when it cannot be opened or its header cannot be used.
fn read_for_check(path: &Path) -> Option<(Manifest, Vec<manifest::RowError>)> {
    match manifest::read_partly(path, Files::MayBeMissing) {
        Ok(read) => Some(read),
        Err(ManifestError::Invalid { manifest, problems }) => {
            for p in &problems {
                eprintln!("{}:{p}", manifest.display());
            }
            eprintln!(
                "ccsig: {}: the header cannot be used; nothing checked",
                manifest.display()
            );
            None
        }
        Err(e) => {
            eprintln!("ccsig: {e}");
            None
        }
    }
}

pub fn check(args: CheckArgs) -> io::Result<i32> {
    let Some(path) = &args.manifest else {
        return Ok(EXIT_ERROR);
    };
    // An audit reports bad rows as findings and checks the others; only a
    // catalog that cannot be opened, or whose header is unusable, stops it.
    let Some((catalog, bad_rows)) = read_for_check(path) else {
        return Ok(EXIT_ERROR);
    };
    let earlier = match args.previous.as_deref().map(EarlierAudit::read) {
        Some(Ok(earlier)) => Some(earlier),
        Some(Err(e)) => {
            eprintln!("ccsig: --previous: {e}");
            return Ok(EXIT_ERROR);
        }
        None => None,
    };
    let mut out = match CheckOutput::new(&args) {
        Ok(out) => out,
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
    let every_file = args.lists_every_file();
    // Missing rows and unlisted images wait for the end when an earlier
    // audit may show some to be one file, moved.
    let matching = earlier.is_some();
    let tree_digests = args.copies_by_content || earlier.as_ref().is_some_and(|e| e.has_digests());
    let tree = args.tree.iter().cloned().collect::<Vec<_>>();
    let targets = catalog
        .rows
        .iter()
        .map(Target::Row)
        .chain(batch::walk::walk(&tree).map(Target::Tree));
    let job = |target: &Target<'_>| -> Option<Outcome<'_>> {
        match target {
            Target::Row(row) if is_not_found(&row.path) => None,
            Target::Row(row) => Some(Outcome::Listed(inspect(
                &row.path,
                Some(row),
                &reading,
                args.copies_by_content,
            ))),
            Target::Tree(Entry::File { path, .. }) => {
                let finding = match named.unlisted(path) {
                    Ok(finding) => finding?,
                    Err(e) => audit::unreadable(&e.to_string()),
                };
                let mut seen = if every_file || matching {
                    inspect(path, None, &reading, tree_digests)
                } else {
                    Seen {
                        shown: path.display().to_string(),
                        findings: Vec::new(),
                        signals: None,
                        digest: None,
                        contributor: None,
                    }
                };
                seen.findings.insert(0, finding);
                Some(Outcome::Unlisted(seen))
            }
            Target::Tree(Entry::Error { .. } | Entry::Skipped { .. }) => None,
        }
    };
    let mut copies = audit::CopyTracker::default();
    let mut emit = |out: &mut CheckOutput, mut seen: Seen, catalog_path: Option<String>| {
        if let Some(signals) = &seen.signals {
            seen.findings
                .extend(copies.observe(&seen.shown, signals, seen.digest));
        }
        out.file(Checked {
            path: &seen.shown,
            signals: seen.signals.as_deref(),
            findings: seen.findings,
            contributor: seen.contributor,
            digest: seen.digest,
            catalog_path,
        })
    };
    let missing_seen = |row: &Row| Seen {
        shown: row.path.display().to_string(),
        findings: vec![manifest::missing_file(row)],
        signals: None,
        digest: None,
        contributor: row.request.credit_name.clone(),
    };
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
        out.bad_row(&format!("{}:{}", path.display(), first.line), findings)?;
    }
    let mut missing: Vec<&Row> = Vec::new();
    let mut unlisted: Vec<Seen> = Vec::new();
    let options = commands::batch_options(&args.batch);
    let cancelled = batch::run_items(targets, &options, job, |target, outcome| {
        if let Target::Tree(Entry::Error { path, message }) = &target {
            walk_errors = true;
            commands::walk_error(path, message);
        }
        if result.is_err() {
            return;
        }
        let outcome = match (target, outcome) {
            (Target::Row(row), None) => Outcome::Missing(row),
            (_, Some(outcome)) => outcome,
            (_, None) => return,
        };
        result = match outcome {
            Outcome::Listed(seen) => emit(&mut out, seen, None),
            Outcome::Missing(row) if matching => {
                missing.push(row);
                Ok(())
            }
            Outcome::Missing(row) => emit(&mut out, missing_seen(row), None),
            Outcome::Unlisted(seen) if matching => {
                unlisted.push(seen);
                Ok(())
            }
            Outcome::Unlisted(seen) => emit(&mut out, seen, None),
        };
    })
    .map_err(io::Error::other)?;
    result?;
    let mut repairs = Vec::new();
    if let Some(earlier) = &earlier {
        let mut identities: Vec<Identity> = unlisted
            .iter()
            .map(|seen| Identity::of(seen.signals.as_deref(), seen.digest))
            .collect();
        for row in std::mem::take(&mut missing) {
            let was = earlier.identity(&row.path.display().to_string());
            let Some((at, by)) = was.and_then(|was| moves::find_move(was, identities.iter()))
            else {
                missing.push(row);
                continue;
            };
            let mut seen = unlisted.remove(at);
            identities.remove(at);
            repairs.push(moves::sed_line(row, Path::new(&seen.shown), path));
            seen.findings
                .retain(|f| f.kind != audit::FindingKind::NotInManifest);
            seen.findings.insert(0, moves::moved(row, by));
            if let Some(signals) = &seen.signals {
                seen.findings.extend(manifest::compare(row, signals));
            }
            seen.contributor = row.request.credit_name.clone();
            emit(&mut out, seen, Some(row.path.display().to_string()))?;
        }
    }
    for row in missing {
        emit(&mut out, missing_seen(row), None)?;
    }
    for seen in unlisted {
        emit(&mut out, seen, None)?;
    }
    let tally = out.finish(args.batch.format)?;
    if !repairs.is_empty() {
        eprintln!(
            "ccsig: {} moved file{}; to point the catalog's rows at them:",
            repairs.len(),
            commands::plural(repairs.len())
        );
        for line in &repairs {
            eprintln!("  {line}");
        }
    }
    Ok(commands::finish_code(
        cancelled,
        tally.files,
        walk_errors,
        tally.files_with_findings + tally.bad_rows > 0,
    ))
}
