//! Catalog manifests: a CSV file that names, per image, the signal and
//! credit it must carry, as agencies keep them in a spreadsheet.
//!
//! A manifest is read and validated whole before anything is written
//! ([`read`]): every bad row is reported with its line number, so a run
//! either starts with a sound catalog or does not start. Each row becomes
//! an [`ApplyRequest`] for [`crate::apply_path`], and [`compare`] audits a
//! file against its row. `docs/manifest.md` is the user's description of
//! the format.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::copy("sample-images/jpeg/plain.jpg", dir.path().join("a.jpg")).unwrap();
//! let csv = "path,signal,use,credit_name,credit_url\n\
//!            a.jpg,cc-cr-op,train-ai,Ada Example,https://example.org/ada\n";
//! let catalog = dir.path().join("catalog.csv");
//! std::fs::write(&catalog, csv).unwrap();
//!
//! let manifest = ccsig::manifest::read(&catalog, ccsig::manifest::Files::MustExist).unwrap();
//! let row = &manifest.rows[0];
//! assert_eq!(row.line, 2);
//! assert_eq!(row.path, dir.path().join("a.jpg"));
//! assert_eq!(row.request.expression, "train-ai=n;exceptions=cc-cr-op");
//! ccsig::apply_path(&row.path, &row.request, &Default::default()).unwrap();
//!
//! let signals = ccsig::read_path(&row.path).unwrap();
//! assert!(ccsig::manifest::compare(row, &signals).is_empty());
//! ```

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::audit::{Finding, FindingKind};
use crate::inspect::FileSignals;
use crate::signal::{self, InvalidValue, Severity, SignalCode, Use};
use crate::tagging::{ApplyRequest, RequestError};

/// The columns a manifest may have. `path`, `credit_name` and `credit_url`
/// are required; so is `signal` (with `use`) or `expression`, or both.
pub const COLUMNS: &[&str] = &[
    "path",
    "signal",
    "use",
    "expression",
    "credit_name",
    "credit_url",
];

/// The usage category a `signal` row applies to when its `use` cell is
/// empty (the same default as `apply --use`).
pub const DEFAULT_USE: &str = "train-ai";

/// Whether rows may name files that do not exist: `apply` needs every file,
/// `check` reports missing ones as findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Files {
    /// A row whose file does not exist is a bad row.
    MustExist,
    /// A row whose file does not exist is kept (see [`missing_file`]).
    MayBeMissing,
}

/// A validated manifest: one row per file, in manifest order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// One row per file. A file named twice with the same values appears
    /// once, at its first line.
    pub rows: Vec<Row>,
}

/// One file of a manifest and what it must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The line of the manifest the row starts on (1 is the header).
    pub line: u64,
    /// The file: the `path` cell, resolved against the manifest's folder
    /// when relative.
    pub path: PathBuf,
    /// The `path` cell exactly as written (for a repair of the catalog
    /// that changes nothing else).
    pub path_cell: String,
    /// What to write into it: the signal or expression and the credit
    /// (`None` where the cell is empty: the usual fallback applies).
    pub request: ApplyRequest,
}

/// Why a manifest cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The manifest file itself cannot be opened.
    #[error("{}: {source}", .path.display())]
    Open {
        /// The manifest as it was named.
        path: PathBuf,
        /// Why it could not be opened.
        source: std::io::Error,
    },
    /// Some rows (or the header) are bad; every one is listed.
    #[error("{}", .problems.iter().map(|p| format!("{}:{p}", .manifest.display())).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The manifest as it was named, for `manifest.csv:LINE:` prefixes.
        manifest: PathBuf,
        /// In line order.
        problems: Vec<RowError>,
    },
}

/// One problem on one line of a manifest.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{line}: {problem}")]
pub struct RowError {
    /// The manifest line the problem is on (1 is the header).
    pub line: u64,
    /// What is wrong there.
    pub problem: Problem,
}

/// What is wrong with a line of a manifest.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The manifest has no header row.
    #[error("the manifest is empty: it needs a header row ({})", COLUMNS.join(","))]
    Empty,
    /// The header lacks a required column.
    #[error("missing column {0:?} (the header needs path, credit_name, credit_url, and signal and use or expression)")]
    MissingColumn(&'static str),
    /// The header names a column ccsig does not know (see [`COLUMNS`]).
    #[error("unknown column {0:?} (known: {known})", known = COLUMNS.join(", "))]
    UnknownColumn(String),
    /// The header names a column twice.
    #[error("column {0:?} appears twice")]
    RepeatedColumn(String),
    /// The row has more or fewer cells than the header has columns.
    #[error("has {found} cells but the header has {expected}")]
    CellCount {
        /// Cells in the row.
        found: u64,
        /// Columns in the header.
        expected: u64,
    },
    /// The line cannot be read as CSV (e.g. it is not UTF-8).
    #[error("not valid CSV: {0}")]
    Csv(String),
    /// The `path` cell is empty.
    #[error("the path is empty")]
    NoPath,
    /// Neither the `signal` nor the `expression` cell is filled.
    #[error("neither a signal nor an expression")]
    NoSignal,
    /// Both the `signal` and the `expression` cell are filled.
    #[error("both a signal and an expression: give one")]
    SignalAndExpression,
    /// The `use` cell is filled but the `signal` cell is not.
    #[error("a use ({0:?}) without a signal: an expression names its own categories")]
    UseWithoutSignal(String),
    /// The `signal` cell is not a CC signal code, or the `use` cell not a
    /// usage label.
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    /// The row's expression, use or credit is unfit to write.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The file does not exist (only with [`Files::MustExist`]).
    #[error("{} does not exist", .0.display())]
    FileNotFound(PathBuf),
    /// The path names a folder.
    #[error("{} is not a file", .0.display())]
    NotAFile(PathBuf),
    /// Whether the file exists cannot be told (e.g. no permission to look
    /// in its folder).
    #[error("{}: {reason}", .path.display())]
    Unreachable {
        /// The file as resolved.
        path: PathBuf,
        /// The system's reason.
        reason: String,
    },
    /// The same file is on an earlier line with other values.
    #[error("{} is also on line {first_line} with different values", .path.display())]
    ConflictingDuplicate {
        /// The file as resolved.
        path: PathBuf,
        /// The line that named it first.
        first_line: u64,
    },
}

/// A row as the CSV has it; empty cells are `None`.
#[derive(Debug, Deserialize)]
struct Cells {
    path: Option<String>,
    signal: Option<String>,
    #[serde(rename = "use")]
    use_label: Option<String>,
    expression: Option<String>,
    credit_name: Option<String>,
    credit_url: Option<String>,
}

/// Reads and validates the manifest at `path`; relative paths in it
/// resolve against its folder.
///
/// # Errors
/// [`ManifestError::Invalid`] listing every bad row when any row is bad;
/// nothing should be written then.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let catalog = dir.path().join("catalog.csv");
/// std::fs::write(&catalog, "path,signal,use,credit_name,credit_url\n\
///                           gone.jpg,cc-cr,train-ai,,\n\
///                           gone.jpg,cc-zz,train-ai,,ftp://x\n").unwrap();
/// let err = ccsig::manifest::read(&catalog, ccsig::manifest::Files::MustExist).unwrap_err();
/// let text = err.to_string();
/// assert!(text.contains("catalog.csv:2: "), "{text}");
/// assert!(text.contains("catalog.csv:3: \"cc-zz\" is not a CC signal code"), "{text}");
/// assert!(text.contains("catalog.csv:3: credit URL \"ftp://x\""), "{text}");
/// ```
pub fn read(path: &Path, files: Files) -> Result<Manifest, ManifestError> {
    let (manifest, problems) = read_partly(path, files)?;
    match problems.is_empty() {
        true => Ok(manifest),
        false => Err(ManifestError::Invalid {
            manifest: path.to_path_buf(),
            problems,
        }),
    }
}

/// Reads a manifest for an audit: its good rows, and the problems of its
/// bad ones (which [`bad_row`] turns into findings). Only a manifest that
/// cannot be opened, or whose header cannot be used, is an error.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let catalog = dir.path().join("catalog.csv");
/// std::fs::write(&catalog, "path,signal,use,credit_name,credit_url\n\
///                           a.jpg,cc-cr,train-ai,,\n\
///                           b.jpg,cc-cr-opp,train-ai,,\n").unwrap();
/// let (good, bad) = ccsig::manifest::read_partly(&catalog, ccsig::manifest::Files::MayBeMissing).unwrap();
/// assert_eq!(good.rows.len(), 1);
/// assert_eq!((bad.len(), bad[0].line), (1, 3));
/// ```
pub fn read_partly(path: &Path, files: Files) -> Result<(Manifest, Vec<RowError>), ManifestError> {
    let file = std::fs::File::open(path).map_err(|source| ManifestError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let base = path.parent().unwrap_or(Path::new(""));
    parse_partly(file, base, files).map_err(|problems| ManifestError::Invalid {
        manifest: path.to_path_buf(),
        problems,
    })
}

/// The finding for a bad row of a manifest (`check --manifest`).
///
/// ```
/// let csv = "path,signal,use,credit_name,credit_url\n/x/a.jpg,cc-zz,train-ai,,\n";
/// let (_, bad) = ccsig::manifest::parse_partly(csv.as_bytes(), "/".as_ref(),
///     ccsig::manifest::Files::MayBeMissing).unwrap();
/// let finding = ccsig::manifest::bad_row(&bad[0]);
/// assert_eq!(finding.kind.name(), "bad_row");
/// assert!(finding.message.contains("line 2"), "{}", finding.message);
/// ```
pub fn bad_row(problem: &RowError) -> Finding {
    Finding::new(
        FindingKind::BadRow,
        Severity::Error,
        vec![],
        format!(
            "manifest line {}: {}; its file is not checked against it",
            problem.line, problem.problem
        ),
    )
}

/// Parses and validates a manifest from any reader; relative paths resolve
/// against `base`. Returns every problem, in line order, when any row is bad.
///
/// ```
/// let csv = "path,expression,credit_name,credit_url\n\
///            /nowhere/a.jpg,\"train-ai=n, search=y\",Ada,\n";
/// let m = ccsig::manifest::parse(csv.as_bytes(), "/".as_ref(),
///                                ccsig::manifest::Files::MayBeMissing).unwrap();
/// assert_eq!(m.rows[0].request.expression, "train-ai=n, search=y");
/// assert_eq!(m.rows[0].request.credit_name.as_deref(), Some("Ada"));
/// assert_eq!(m.rows[0].request.credit_url, None);
/// ```
pub fn parse(input: impl Read, base: &Path, files: Files) -> Result<Manifest, Vec<RowError>> {
    let (manifest, problems) = parse_partly(input, base, files)?;
    match problems.is_empty() {
        true => Ok(manifest),
        false => Err(problems),
    }
}

/// [`parse`] for an audit: the good rows, and every problem of the bad
/// ones, in line order; an error only for a header that cannot be used.
pub fn parse_partly(
    input: impl Read,
    base: &Path,
    files: Files,
) -> Result<(Manifest, Vec<RowError>), Vec<RowError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![csv_problem(&e, 1)]),
    };
    let header_line = headers.position().map_or(1, |p| p.line());
    if headers.iter().all(str::is_empty) {
        return Err(vec![RowError {
            line: header_line,
            problem: Problem::Empty,
        }]);
    }
    let header_problems = check_header(&headers);
    if !header_problems.is_empty() {
        return Err(header_problems
            .into_iter()
            .map(|problem| RowError {
                line: header_line,
                problem,
            })
            .collect());
    }
    let mut problems = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    // Each file once: its key (canonical path when it exists) -> index in `rows`.
    let mut seen: HashMap<PathBuf, usize> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut line = header_line;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                line = e.position().map_or(line + 1, |p| p.line());
                problems.push(csv_problem(&e, line));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        line = record.position().map_or(line + 1, |p| p.line());
        let cells: Cells = match record.deserialize(Some(&headers)) {
            Ok(c) => c,
            Err(e) => {
                problems.push(csv_problem(&e, line));
                continue;
            }
        };
        let mut row_problems = Vec::new();
        let row = validate_row(cells, base, files, line, &mut row_problems);
        if let Some(row) = row {
            let key = identity(&row.path);
            match seen.get(&key) {
                Some(&i) if rows[i].request == row.request => {}
                Some(&i) => row_problems.push(Problem::ConflictingDuplicate {
                    path: row.path.clone(),
                    first_line: rows[i].line,
                }),
                None => {
                    seen.insert(key, rows.len());
                    rows.push(row);
                }
            }
        }
        problems.extend(
            row_problems
                .into_iter()
                .map(|problem| RowError { line, problem }),
        );
    }
    Ok((Manifest { rows }, problems))
}

fn check_header(headers: &csv::StringRecord) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (i, name) in headers.iter().enumerate() {
        if !COLUMNS.contains(&name) {
            problems.push(Problem::UnknownColumn(name.to_string()));
        } else if headers.iter().take(i).any(|earlier| earlier == name) {
            problems.push(Problem::RepeatedColumn(name.to_string()));
        }
    }
    let has = |column: &str| headers.iter().any(|h| h == column);
    for required in ["path", "credit_name", "credit_url"] {
        if !has(required) {
            problems.push(Problem::MissingColumn(required));
        }
    }
    match (has("signal"), has("use"), has("expression")) {
        (true, true, _) | (false, false, true) => {}
        (true, false, _) => problems.push(Problem::MissingColumn("use")),
        (false, true, _) | (false, false, false) => problems.push(Problem::MissingColumn("signal")),
    }
    problems
}

fn csv_problem(e: &csv::Error, line: u64) -> RowError {
    let problem = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Problem::CellCount {
            found: *len,
            expected: *expected_len,
        },
        csv::ErrorKind::Utf8 { .. } => Problem::Csv("not valid UTF-8".into()),
        csv::ErrorKind::Io(io) => Problem::Csv(io.to_string()),
        csv::ErrorKind::Deserialize { err, .. } => Problem::Csv(err.to_string()),
        _ => Problem::Csv(e.to_string()),
    };
    RowError { line, problem }
}

/// The checks of one row; `None` (with `problems` filled) when it is bad.
fn validate_row(
    cells: Cells,
    base: &Path,
    files: Files,
    line: u64,
    problems: &mut Vec<Problem>,
) -> Option<Row> {
    let path_cell = cells.path.clone().unwrap_or_default();
    let path = match cells.path {
        Some(p) => Some(base.join(p)),
        None => {
            problems.push(Problem::NoPath);
            None
        }
    };
    if let Some(path) = &path {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => problems.push(Problem::NotAFile(path.clone())),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if files == Files::MustExist {
                    problems.push(Problem::FileNotFound(path.clone()));
                }
            }
            Err(e) => problems.push(Problem::Unreachable {
                path: path.clone(),
                reason: e.to_string(),
            }),
        }
    }
    let credit_name = cells.credit_name.as_deref().map(str::trim);
    let credit_url = cells.credit_url.as_deref().map(str::trim);
    if let Err(e) = crate::tagging::validate_credit(credit_name, credit_url) {
        problems.push(e.into());
    }
    let request = match request_of(cells.signal, cells.use_label, cells.expression) {
        Ok(r) => Some(r.with_credit(
            credit_name.map(str::to_string),
            credit_url.map(str::to_string),
        )),
        Err(p) => {
            problems.push(p);
            None
        }
    };
    if !problems.is_empty() {
        return None;
    }
    Some(Row {
        line,
        path: path?,
        path_cell,
        request: request?,
    })
}

fn request_of(
    signal: Option<String>,
    use_label: Option<String>,
    expression: Option<String>,
) -> Result<ApplyRequest, Problem> {
    match (signal, expression) {
        (Some(_), Some(_)) => Err(Problem::SignalAndExpression),
        (None, None) => Err(Problem::NoSignal),
        (Some(code), None) => {
            let code: SignalCode = code.parse()?;
            let use_label = use_label.as_deref().unwrap_or(DEFAULT_USE);
            let use_ = Use::parse(use_label, signal::Vocabulary::default())?;
            Ok(ApplyRequest::for_use(code, use_))
        }
        (None, Some(expression)) => match use_label {
            Some(label) => Err(Problem::UseWithoutSignal(label)),
            None => Ok(ApplyRequest::from_expression(&expression)?),
        },
    }
}

/// The key that makes two rows name the same file: its canonical path
/// (through symlinks and `..`) when it exists, else the path as resolved.
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.components().collect())
}

/// Every file a manifest names, to find the images of a folder that no
/// row names ([`Named::unlisted`]).
#[derive(Debug, Clone, Default)]
pub struct Named(HashSet<PathBuf>);

impl Manifest {
    /// The files the rows name, by identity (the same file under any path).
    ///
    /// ```
    /// let csv = "path,signal,use,credit_name,credit_url\n\
    ///            sample-images/jpeg/plain.jpg,cc-cr,train-ai,,\n";
    /// let m = ccsig::manifest::parse(csv.as_bytes(), "".as_ref(),
    ///                                ccsig::manifest::Files::MustExist).unwrap();
    /// let named = m.named();
    /// // The same file under another path is still named.
    /// let other_path = std::path::Path::new("sample-images/jpeg/../jpeg/plain.jpg");
    /// assert!(named.unlisted(other_path).unwrap().is_none());
    /// ```
    pub fn named(&self) -> Named {
        Named(self.rows.iter().map(|r| identity(&r.path)).collect())
    }
}

impl Named {
    /// For a file found in a folder: the `not_in_manifest` finding when it
    /// is an image (by its first bytes or its extension) that no row names.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// for name in ["a.jpg", "b.jpg"] {
    ///     std::fs::copy("sample-images/jpeg/plain.jpg", dir.path().join(name)).unwrap();
    /// }
    /// std::fs::write(dir.path().join("notes.txt"), "not an image").unwrap();
    /// let csv = "path,signal,use,credit_name,credit_url\na.jpg,cc-cr,train-ai,,\n";
    /// let m = ccsig::manifest::parse(csv.as_bytes(), dir.path(),
    ///                                ccsig::manifest::Files::MustExist).unwrap();
    /// let named = m.named();
    /// assert!(named.unlisted(&dir.path().join("a.jpg")).unwrap().is_none());
    /// assert!(named.unlisted(&dir.path().join("b.jpg")).unwrap().is_some());
    /// assert!(named.unlisted(&dir.path().join("notes.txt")).unwrap().is_none());
    /// ```
    ///
    /// # Errors
    /// When the file cannot be read to tell whether it is an image.
    pub fn unlisted(&self, path: &Path) -> std::io::Result<Option<Finding>> {
        if self.0.contains(&identity(path)) {
            return Ok(None);
        }
        let is_image = crate::batch::walk::has_image_extension(path) || {
            let mut head = Vec::with_capacity(12);
            std::fs::File::open(path)?.take(12).read_to_end(&mut head)?;
            crate::container::Format::detect(&head).is_some()
        };
        Ok(is_image.then(not_in_manifest))
    }
}

/// How a file differs from its row: one `manifest_mismatch` finding per
/// category whose decision differs (every current category, so a file that
/// says more than its row differs too), and per credit name or URL the row
/// gives that the file does not carry. Empty when the file matches.
///
/// ```
/// use ccsig::manifest::{parse, compare, Files};
/// // This sample says train-ai=n;exceptions=cc-cr-op.
/// let path = std::path::Path::new("sample-images/tagged/ccsig-cr-op.jpg");
/// let csv = format!("path,signal,use,credit_name,credit_url\n{},cc-cr,train-ai,,\n", path.display());
/// let m = parse(csv.as_bytes(), "".as_ref(), Files::MustExist).unwrap();
/// let findings = compare(&m.rows[0], &ccsig::read_path(path).unwrap());
/// assert_eq!(findings.len(), 1);
/// assert_eq!(findings[0].kind.name(), "manifest_mismatch");
/// assert_eq!(findings[0].expected.as_deref(), Some("allowed-with-terms cc-cr"));
/// assert_eq!(findings[0].found.as_deref(), Some("allowed-with-terms cc-cr-op"));
/// ```
pub fn compare(row: &Row, signals: &FileSignals) -> Vec<Finding> {
    let mut findings = Vec::new();
    let expected = signal::parse(&row.request.expression);
    let sources: Vec<&signal::Statement> = signals.sources.iter().map(|s| &s.statement).collect();
    let fields: Vec<String> = signals.sources.iter().map(|s| s.field()).collect();
    for label in signal::current_labels() {
        let want = signal::combine(&[&expected], label);
        let have = signal::combine(&sources, label);
        if want != have {
            findings.push(
                mismatch(row, fields.clone(), label, &want, &have)
                    .with_values(decision_value(&want), decision_value(&have)),
            );
        }
    }
    let credit = &signals.credit;
    if let Some(want) = &row.request.credit_name {
        if credit.name.as_ref() != Some(want) {
            let field = credit
                .name_from
                .clone()
                .unwrap_or_else(|| "XMP ccsig:creditName".into());
            findings.push(
                mismatch(
                    row,
                    vec![field],
                    "credit name",
                    &Quoted(Some(want)),
                    &Quoted(credit.name.as_ref()),
                )
                .with_values(want.clone(), credit.name.clone().unwrap_or_default()),
            );
        }
    }
    if let Some(want) = &row.request.credit_url {
        if credit.url.as_ref() != Some(want) {
            findings.push(
                mismatch(
                    row,
                    vec!["XMP ccsig:creditURL".into()],
                    "credit URL",
                    &Quoted(Some(want)),
                    &Quoted(credit.url.as_ref()),
                )
                .with_values(want.clone(), credit.url.clone().unwrap_or_default()),
            );
        }
    }
    findings
}

fn mismatch(
    row: &Row,
    fields: Vec<String>,
    what: &str,
    expected: &dyn std::fmt::Display,
    found: &dyn std::fmt::Display,
) -> Finding {
    Finding::new(
        FindingKind::ManifestMismatch,
        Severity::Error,
        fields,
        format!(
            "{what}: manifest line {} expects {expected} but the file says {found}",
            row.line
        ),
    )
}

/// A decision as the machine formats give it elsewhere (`read`'s CSV):
/// `allowed`, `disallowed`, `unknown`, `allowed-with-terms cc-cr|cc-cr-op`.
fn decision_value(decision: &signal::Decision) -> String {
    let codes: Vec<&str> = decision.signals().iter().map(|s| s.code()).collect();
    if codes.is_empty() {
        decision.as_str().to_string()
    } else {
        format!("{} {}", decision.as_str(), codes.join("|"))
    }
}

/// Shows a credit value quoted, or `none`.
struct Quoted<'a>(Option<&'a String>);

impl std::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(value) => write!(f, "{value:?}"),
            None => f.write_str("none"),
        }
    }
}

/// The finding for a row whose file does not exist (for `check`, which
/// reads manifests with [`Files::MayBeMissing`]).
///
/// ```
/// use ccsig::manifest::{parse, missing_file, Files};
/// let csv = "path,signal,use,credit_name,credit_url\n/gone/a.jpg,cc-cr,train-ai,,\n";
/// let m = parse(csv.as_bytes(), "/".as_ref(), Files::MayBeMissing).unwrap();
/// let finding = missing_file(&m.rows[0]);
/// assert_eq!(finding.kind.name(), "missing_file");
/// assert!(finding.message.contains("manifest line 2"));
/// ```
pub fn missing_file(row: &Row) -> Finding {
    Finding::new(
        FindingKind::MissingFile,
        Severity::Error,
        vec![],
        format!(
            "manifest line {} names this file but it does not exist",
            row.line
        ),
    )
}

/// The finding for an image found under a folder that no row names.
fn not_in_manifest() -> Finding {
    Finding::new(
        FindingKind::NotInManifest,
        Severity::Warning,
        vec![],
        "no row of the manifest names this image".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Manifest, Vec<RowError>> {
        parse(text.as_bytes(), Path::new("/base"), Files::MayBeMissing)
    }

    #[test]
    fn rows_resolve_and_map_to_requests() {
        let m = parse_text(
            "path,signal,use,credit_name,credit_url\n\
             a.jpg,cc-cr,,Ada,\n\
             /abs/b.png,cc-cr-ec,search,,https://example.org\n",
        )
        .unwrap();
        assert_eq!(m.rows.len(), 2);
        assert_eq!(m.rows[0].path, Path::new("/base/a.jpg"));
        assert_eq!(m.rows[0].request.expression, "train-ai=n;exceptions=cc-cr");
        assert_eq!(m.rows[0].request.credit_name.as_deref(), Some("Ada"));
        assert_eq!(m.rows[0].request.credit_url, None);
        assert_eq!(m.rows[1].path, Path::new("/abs/b.png"));
        assert_eq!(m.rows[1].request.expression, "search=n;exceptions=cc-cr-ec");
        assert_eq!(m.rows[1].line, 3);
    }

    #[test]
    fn header_problems_are_all_reported() {
        let e = parse_text("path,signal,colour,path\n").unwrap_err();
        let problems: Vec<_> = e.into_iter().map(|r| (r.line, r.problem)).collect();
        assert!(problems.contains(&(1, Problem::UnknownColumn("colour".into()))));
        assert!(problems.contains(&(1, Problem::RepeatedColumn("path".into()))));
        assert!(problems.contains(&(1, Problem::MissingColumn("use"))));
        assert!(problems.contains(&(1, Problem::MissingColumn("credit_name"))));
        assert!(problems.contains(&(1, Problem::MissingColumn("credit_url"))));
        assert_eq!(parse_text("").unwrap_err()[0].problem, Problem::Empty);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let e = parse_text(
            "path,signal,use,expression,credit_name,credit_url\n\
             a.jpg,cc-cr,train-ai,,,\n\
             b.jpg,cc-xx,train-ai,,,\n\
             c.jpg,cc-cr,train-genai,,,\n\
             d.jpg,,,train-ai=n;;,,\n\
             e.jpg,cc-cr,,train-ai=n,,\n\
             f.jpg,,,,,\n\
             ,cc-cr,,,,\n\
             g.jpg,cc-cr,,,,example.org\n\
             a.jpg,cc-cr-op,train-ai,,,\n\
             h.jpg,,search,train-ai=n,,\n\
             i.jpg,cc-cr\n",
        )
        .unwrap_err();
        let lines: Vec<u64> = e.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        assert!(matches!(e[0].problem, Problem::Invalid(_)));
        assert!(matches!(e[1].problem, Problem::Invalid(_)));
        assert!(matches!(
            e[2].problem,
            Problem::Request(RequestError::BadExpression { .. } | RequestError::Flagged(_))
        ));
        assert_eq!(e[3].problem, Problem::SignalAndExpression);
        assert_eq!(e[4].problem, Problem::NoSignal);
        assert_eq!(e[5].problem, Problem::NoPath);
        assert!(
            matches!(&e[6].problem, Problem::Request(RequestError::BadCreditUrl { url, .. }) if url == "example.org"),
            "{:?}",
            e[6].problem
        );
        assert_eq!(
            e[7].problem,
            Problem::ConflictingDuplicate {
                path: "/base/a.jpg".into(),
                first_line: 2
            }
        );
        assert_eq!(e[8].problem, Problem::UseWithoutSignal("search".into()));
        assert_eq!(
            e[9].problem,
            Problem::CellCount {
                found: 2,
                expected: 6
            }
        );
    }

    #[test]
    fn identical_repeats_are_one_row_whichever_way_they_are_written() {
        let m = parse_text(
            "path,signal,use,expression,credit_name,credit_url\n\
             a.jpg,cc-cr,train-ai,,Ada,\n\
             ./a.jpg,,,train-ai=n;exceptions=cc-cr,Ada,\n",
        )
        .unwrap();
        assert_eq!(m.rows.len(), 1);
        assert_eq!(m.rows[0].line, 2);
    }

    #[test]
    fn spreadsheet_exports_read_as_written() {
        // A byte-order mark, spaces around cells, CRLF line ends, quoted commas.
        let m = parse_text(
            "\u{feff}path , signal,use,credit_name,credit_url\r\n\
             \" a.jpg \", cc-cr ,train-ai,\"Studio Bo, Ltd.\", \r\n",
        )
        .unwrap();
        assert_eq!(m.rows[0].path, Path::new("/base/a.jpg"));
        assert_eq!(
            m.rows[0].request.credit_name.as_deref(),
            Some("Studio Bo, Ltd.")
        );
        assert_eq!(m.rows[0].request.credit_url, None);
    }

    #[test]
    fn a_row_that_is_not_utf8_is_a_bad_row_and_reading_goes_on() {
        let mut text = b"path,signal,use,credit_name,credit_url\na.jpg,cc-cr,,".to_vec();
        text.extend_from_slice(b"Ad\xff,\nb.jpg,cc-xx,,,\n");
        let e = parse(&text[..], Path::new("/base"), Files::MayBeMissing).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(
            (e[0].line, &e[0].problem),
            (2, &Problem::Csv("not valid UTF-8".into()))
        );
        assert_eq!(e[1].line, 3);
    }

    #[test]
    fn urls_are_absolute_http() {
        let is_absolute_http_url = |url: &str| {
            ApplyRequest::from_signal(SignalCode::Cr, "train-ai")
                .unwrap()
                .credited(Some("Ada"), Some(url))
                .is_ok()
        };
        for good in [
            "http://example.org",
            "https://example.org:8443/a?b#c",
            "https://user@example.org/",
            "https://[::1]:80/",
        ] {
            assert!(is_absolute_http_url(good), "{good}");
        }
        for bad in [
            "",
            "https://",
            "https://:80/",
            "mailto:ada@example.org",
            "//example.org",
            "https://example.org/a b",
            "javascript://example.org",
        ] {
            assert!(!is_absolute_http_url(bad), "{bad}");
        }
    }
}
