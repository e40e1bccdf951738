//! The complete audit (`check --all`): every file accounted for with its
//! status and what it states, a header saying who checked what and when,
//! and totals by status, finding kind, signal, contributor and folder.
//! [`super::audit_writer::AuditWriter`] writes it as a table, JSON, JSON
//! Lines, CSV or (with the `html` feature) one self-contained HTML page;
//! `docs/schema.md` gives the machine formats.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{DecisionRecord, Tally, SCHEMA};
use crate::audit::Finding;
use crate::inspect::FileSignals;
use crate::moves::Identity;
use crate::signal::{Decision, Severity, Vocabulary};

/// Who checked what, when: the first record of a complete audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunHeader {
    /// ccsig's version, e.g. `0.1.0`.
    pub ccsig_version: &'static str,
    /// The vocabulary draft labels were checked against, e.g.
    /// `draft-ietf-aipref-vocab-07`.
    pub vocabulary: String,
    /// When the audit started, RFC 3339 in UTC (`2026-12-04T22:50:01Z`).
    pub checked_at: String,
    /// The command line, as typed (arguments joined by spaces, quoted
    /// where they hold spaces).
    pub command: String,
    /// The catalog (`--manifest`), as named; `None` without one.
    pub catalog: Option<String>,
    /// The folder searched for images no row names (`--tree`).
    pub tree: Option<String>,
    /// The paths checked (without a catalog).
    pub paths: Vec<String>,
}

impl RunHeader {
    /// A header for an audit starting now with `vocabulary`, run by
    /// `command` (the program's arguments).
    ///
    /// ```
    /// use ccsig::report::ledger::RunHeader;
    /// use ccsig::signal::Vocabulary;
    /// let header = RunHeader::now(Vocabulary::Draft07, ["ccsig", "check", "my photos"]);
    /// assert_eq!(header.command, "ccsig check 'my photos'");
    /// assert_eq!(header.vocabulary, "draft-ietf-aipref-vocab-07");
    /// assert!(header.checked_at.ends_with('Z'));
    /// ```
    pub fn now<I, S>(vocabulary: Vocabulary, command: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        RunHeader {
            ccsig_version: env!("CARGO_PKG_VERSION"),
            vocabulary: format!("draft-ietf-aipref-vocab-{:02}", vocabulary.draft()),
            checked_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            command: command
                .into_iter()
                .map(|a| shell_word(a.as_ref()))
                .collect::<Vec<_>>()
                .join(" "),
            catalog: None,
            tree: None,
            paths: Vec::new(),
        }
    }
}

/// An argument as a shell would need it: quoted when it holds anything
/// but plain characters.
pub(crate) fn shell_word(arg: &str) -> String {
    let plain = |c: char| c.is_alphanumeric() || "-_./=:,+@%".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// A file's standing: its worst finding, or `ok` without any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// No finding.
    Ok,
    /// Notes only: nothing to fix.
    Note,
    /// At least one warning, no error.
    Warning,
    /// At least one error.
    Error,
}

impl Status {
    /// Every status, best first.
    pub const ALL: [Status; 4] = [Status::Ok, Status::Note, Status::Warning, Status::Error];

    /// The status of a file with `findings`.
    ///
    /// ```
    /// use ccsig::report::ledger::Status;
    /// assert_eq!(Status::of(&[]), Status::Ok);
    /// assert_eq!(Status::of(&[ccsig::audit::unreadable("truncated")]), Status::Error);
    /// ```
    pub fn of(findings: &[Finding]) -> Status {
        match findings.iter().map(|f| f.severity).max() {
            None => Status::Ok,
            Some(Severity::Note) => Status::Note,
            Some(Severity::Warning) => Status::Warning,
            Some(Severity::Error) => Status::Error,
        }
    }

    /// The lower-case name reports use.
    ///
    /// ```
    /// assert_eq!(ccsig::report::ledger::Status::Warning.as_str(), "warning");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Note => "note",
            Status::Warning => "warning",
            Status::Error => "error",
        }
    }

    /// Whether the file needs fixing (an error or a warning).
    pub fn needs_fixing(self) -> bool {
        self >= Status::Warning
    }
}

/// One line of a complete audit: a file (or a bad catalog row) with its
/// status, what it states, and its findings.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// `file`, or `bad_row` for a catalog row that could not be used.
    pub record: &'static str,
    /// The file as found by the walk or named by the catalog
    /// (`catalog.csv:LINE` for a bad row).
    pub path: String,
    /// The file's worst finding, or `ok`.
    pub status: Status,
    /// `jpeg`, `png`, ...; `None` when the file could not be read.
    pub format: Option<&'static str>,
    /// What the file states: the CC signals its terms name (`cc-cr`,
    /// `cc-cr+cc-cr-op`), else its expression (`train-ai=n`), else `none`;
    /// `None` when it could not be read.
    pub signal: Option<String>,
    /// Every expression the file holds, `field: expression`, joined by ` | `.
    pub states: String,
    /// The combined decision per current category.
    pub decisions: BTreeMap<String, DecisionRecord>,
    /// The catalog's `credit_name` for the file's row; `None` outside a
    /// catalog or where the cell is empty.
    pub contributor: Option<String>,
    /// Who the file itself credits.
    pub credit_name: Option<String>,
    /// `instance_id` and `image_digest`, which match moved files across
    /// audits (`--previous`).
    #[serde(flatten)]
    pub identity: Identity,
    /// For a `moved` file: the path its catalog row names.
    pub catalog_path: Option<String>,
    /// Every finding, worst first.
    pub findings: Vec<Finding>,
}

impl AuditEntry {
    /// The entry of a file: read (`signals`) or not, with its findings and
    /// the catalog's contributor for it.
    ///
    /// ```
    /// use ccsig::report::ledger::{AuditEntry, Status};
    /// let path = "sample-images/tagged/ccsig-cr-op.jpg";
    /// let signals = ccsig::read_path(path.as_ref()).unwrap();
    /// let findings = ccsig::audit::check(&signals, None);
    /// let entry = AuditEntry::file(path.into(), Some(&signals), findings, None);
    /// assert_eq!(entry.signal.as_deref(), Some("cc-cr-op"));
    /// assert_eq!(entry.status, Status::Ok);
    /// ```
    pub fn file(
        path: String,
        signals: Option<&FileSignals>,
        mut findings: Vec<Finding>,
        contributor: Option<String>,
    ) -> Self {
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let states = signals
            .map(|s| {
                let stated = s.sources.iter().map(|s| (s.field(), s.expression.as_str()));
                super::joined_expressions(stated)
            })
            .unwrap_or_default();
        AuditEntry {
            schema: SCHEMA,
            record: "file",
            path,
            status: Status::of(&findings),
            format: signals.map(|s| s.format.label()),
            signal: signals.map(signal_of),
            states,
            decisions: signals.map(super::decision_records).unwrap_or_default(),
            contributor,
            credit_name: signals.and_then(|s| s.credit.name.clone()),
            identity: Identity::of(signals, None),
            catalog_path: None,
            findings,
        }
    }

    /// The entry of a catalog row that could not be used, shown as
    /// `catalog.csv:LINE`.
    ///
    /// ```
    /// let finding = ccsig::audit::unreadable("x");
    /// let entry = ccsig::report::ledger::AuditEntry::bad_row("cat.csv:3".into(), vec![finding]);
    /// assert_eq!(entry.record, "bad_row");
    /// ```
    pub fn bad_row(shown: String, findings: Vec<Finding>) -> Self {
        let mut entry = AuditEntry::file(shown, None, findings, None);
        entry.record = "bad_row";
        entry
    }

    /// The entry with the image-data digest it was matched by.
    pub fn with_digest(mut self, digest: Option<[u8; 16]>) -> Self {
        self.identity.image_digest = digest.as_ref().map(crate::inspect::digest_hex);
        self
    }

    /// The folder the file is in, for totals by folder (`.` for none).
    pub fn folder(&self) -> String {
        match std::path::Path::new(&self.path).parent() {
            Some(p) if !p.as_os_str().is_empty() => p.display().to_string(),
            _ => ".".to_string(),
        }
    }

    /// How many findings of `severity` the entry has.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// The CC signals a file's terms name, else its expression, else `none`.
fn signal_of(signals: &FileSignals) -> String {
    let mut codes: Vec<&str> = signals
        .decisions
        .values()
        .flat_map(|d| match d {
            Decision::AllowedIf(codes) => codes.iter().map(|c| c.code()).collect(),
            _ => Vec::new(),
        })
        .collect();
    codes.sort_unstable();
    codes.dedup();
    if !codes.is_empty() {
        return codes.join("+");
    }
    match signals.sources.first() {
        Some(source) => source.expression.clone(),
        None => "none".to_string(),
    }
}

/// Counts per status, best first (every status present).
pub type StatusCounts = BTreeMap<Status, usize>;

fn status_counts() -> StatusCounts {
    Status::ALL.iter().map(|s| (*s, 0)).collect()
}

/// The totals of a complete audit: the last record.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// Files accounted for (bad rows are not files).
    pub files: usize,
    /// Files with an error or a warning.
    pub to_fix: usize,
    /// Findings by severity over all files and bad rows.
    pub errors: usize,
    /// See `errors`.
    pub warnings: usize,
    /// See `errors`.
    pub notes: usize,
    /// Catalog rows that could not be used.
    pub bad_rows: usize,
    /// Files by status (`ok`, `note`, `warning`, `error`; all four always
    /// present).
    pub by_status: StatusCounts,
    /// Findings by kind (only kinds found).
    pub by_kind: BTreeMap<&'static str, usize>,
    /// Files by what they state (see [`AuditEntry::signal`]; `(not read)`
    /// for files that could not be read or are missing).
    pub by_signal: BTreeMap<String, usize>,
    /// For a catalog: files by contributor (`credit_name`; `(no
    /// contributor)` for rows without one and files no row names), each
    /// by status.
    pub by_contributor: BTreeMap<String, StatusCounts>,
    /// Files by folder, each by status.
    pub by_folder: BTreeMap<String, StatusCounts>,
}

impl Default for Totals {
    fn default() -> Self {
        Totals {
            files: 0,
            to_fix: 0,
            errors: 0,
            warnings: 0,
            notes: 0,
            bad_rows: 0,
            by_status: status_counts(),
            by_kind: BTreeMap::new(),
            by_signal: BTreeMap::new(),
            by_contributor: BTreeMap::new(),
            by_folder: BTreeMap::new(),
        }
    }
}

impl Totals {
    /// Counts one entry (a file or a bad row).
    ///
    /// ```
    /// use ccsig::report::ledger::{AuditEntry, Status, Totals};
    /// let path = "sample-images/jpeg/plain.jpg";
    /// let signals = ccsig::read_path(path.as_ref()).unwrap();
    /// let entry = AuditEntry::file(path.into(), Some(&signals), ccsig::audit::check(&signals, None), None);
    /// let mut totals = Totals::default();
    /// totals.add(&entry);
    /// assert_eq!((totals.files, totals.to_fix, totals.by_status[&Status::Error]), (1, 1, 1));
    /// assert_eq!(totals.by_kind["missing"], 1);
    /// ```
    pub fn add(&mut self, entry: &AuditEntry) {
        self.errors += entry.count(Severity::Error);
        self.warnings += entry.count(Severity::Warning);
        self.notes += entry.count(Severity::Note);
        for f in &entry.findings {
            *self.by_kind.entry(f.kind.name()).or_default() += 1;
        }
        if entry.record == "bad_row" {
            self.bad_rows += 1;
            return;
        }
        self.files += 1;
        self.to_fix += usize::from(entry.status.needs_fixing());
        let status = entry.status;
        *self.by_status.entry(status).or_default() += 1;
        let signal = entry.signal.as_deref().unwrap_or("(not read)");
        *self.by_signal.entry(signal.to_string()).or_default() += 1;
        let contributor = entry.contributor.as_deref().unwrap_or("(no contributor)");
        *self
            .by_contributor
            .entry(contributor.to_string())
            .or_insert_with(status_counts)
            .entry(status)
            .or_default() += 1;
        *self
            .by_folder
            .entry(entry.folder())
            .or_insert_with(status_counts)
            .entry(status)
            .or_default() += 1;
    }

    /// The counts for the exit code and the closing line.
    pub fn tally(&self) -> Tally {
        Tally {
            files: self.files,
            files_with_findings: self.to_fix,
            errors: self.errors,
            warnings: self.warnings,
            notes: self.notes,
            bad_rows: self.bad_rows,
            ..Tally::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("--format=json"), "--format=json");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn totals_count_bad_rows_apart_from_files() {
        let mut totals = Totals::default();
        let bad = crate::audit::unreadable("x");
        totals.add(&AuditEntry::bad_row("c.csv:2".into(), vec![bad]));
        assert_eq!((totals.files, totals.bad_rows, totals.errors), (0, 1, 1));
        assert_eq!(totals.by_status[&Status::Error], 0);
    }
}
