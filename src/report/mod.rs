//! Reports: the records ccsig prints for `read`, `check`, `apply` and
//! `remove`, in a table for people and in JSON, JSON Lines and CSV for
//! programs. The machine formats follow `docs/schema.md`; every record
//! carries `schema`, and fields are only ever added, never renamed or
//! removed, within a schema version.

pub mod audit_writer;
pub mod csv;
#[cfg(feature = "html")]
mod html;
pub mod json;
pub mod ledger;
pub mod table;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::audit::Finding;
use crate::inspect::{Credit, FileSignals};
use crate::signal::{Decision, Severity};
use crate::tagging::{Change, Note};

/// The schema identifier written into every machine-readable record.
pub const SCHEMA: &str = "ccsig/3";

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: an indented block per file, compiler-style lines for
    /// findings, and a closing summary line.
    Table,
    /// One JSON array of records, written as records come (the closing
    /// bracket comes with [`Reporter::finish`]).
    Json,
    /// JSON Lines: one record per line, so a consumer can stream them.
    Jsonl,
    /// A header row, then one row per record; columns are only appended.
    Csv,
    /// One self-contained page for people (`check` only, through
    /// [`audit_writer::AuditWriter`]; needs the `html` feature).
    Html,
}

/// A decision for one category, as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionRecord {
    /// `allowed`, `disallowed`, `allowed-with-terms` or `unknown`.
    pub decision: &'static str,
    /// For `allowed-with-terms`: the CC signals whose terms make the use allowed.
    pub signals: Vec<String>,
}

impl From<&Decision> for DecisionRecord {
    fn from(d: &Decision) -> Self {
        let (decision, signals) = match d {
            Decision::Allowed => ("allowed", vec![]),
            Decision::Disallowed => ("disallowed", vec![]),
            Decision::AllowedIf(s) => (
                "allowed-with-terms",
                s.iter().map(|c| c.code().to_string()).collect(),
            ),
            Decision::Unknown => ("unknown", vec![]),
        };
        DecisionRecord { decision, signals }
    }
}

impl DecisionRecord {
    /// The decision on one line, as `read`'s CSV and table show it:
    /// `allowed`, or `allowed-with-terms cc-cr|cc-cr-op`.
    ///
    /// ```
    /// use ccsig::report::DecisionRecord;
    /// use ccsig::signal::Decision;
    /// assert_eq!(DecisionRecord::from(&Decision::Disallowed).short(), "disallowed");
    /// let record = DecisionRecord {
    ///     decision: "allowed-with-terms",
    ///     signals: vec!["cc-cr".into(), "cc-cr-op".into()],
    /// };
    /// assert_eq!(record.short(), "allowed-with-terms cc-cr|cc-cr-op");
    /// ```
    pub fn short(&self) -> String {
        if self.signals.is_empty() {
            self.decision.to_string()
        } else {
            format!("{} {}", self.decision, self.signals.join("|"))
        }
    }
}

/// The combined decision per current category, as printed.
fn decision_records(signals: &FileSignals) -> BTreeMap<String, DecisionRecord> {
    signals
        .decisions
        .iter()
        .map(|(k, v)| (k.clone(), DecisionRecord::from(v)))
        .collect()
}

/// Every expression a file states, `field: expression`, joined by ` | `
/// (fields that defer to another state none).
fn joined_expressions<'a>(stated: impl Iterator<Item = (String, &'a str)>) -> String {
    stated
        .map(|(field, expression)| format!("{field}: {expression}"))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// One signal-bearing field as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRecord {
    /// The field's name as people and ExifTool know it, e.g.
    /// `XMP plus:DataMining`.
    pub field: String,
    /// The value exactly as stored in the file.
    pub stored: String,
    /// The expression the field stands for; `null` for a field that defers
    /// to another one (see `note`).
    pub expression: Option<String>,
    /// Whether the expression parsed; a field that does not parse still
    /// counts (it makes nothing known) and `check` reports it.
    pub parsed: bool,
    /// Why the field makes no statement of its own (it defers to another
    /// one); `None` for a field that states its terms.
    pub note: Option<String>,
}

/// What `read` prints for one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileRecord {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The path as found by the walk (`shard.tar:member` for a member of a
    /// tar shard).
    pub path: String,
    /// `jpeg`, `png` or `webp`; `None` when the file could not be read.
    pub format: Option<&'static str>,
    /// `ok`, or `error` when the file could not be read.
    pub status: &'static str,
    /// Why the file could not be read; `None` when it was.
    pub error: Option<String>,
    /// The combined decision per current category.
    pub decisions: BTreeMap<String, DecisionRecord>,
    /// Every signal-bearing field of the file and its sidecars, including
    /// those that defer to another field.
    pub sources: Vec<SourceRecord>,
    /// Who to credit and where that came from; `None` when the file could
    /// not be read (a readable file without a credit has one with every
    /// part `None`).
    pub credit: Option<Credit>,
    /// The file carries C2PA Content Credentials (a signed manifest that a
    /// metadata write would invalidate).
    pub c2pa: bool,
    /// How far the Content Credentials hold: `valid`, `trusted`,
    /// `invalid`, or `unreadable` (added in `ccsig/2`); `None` without
    /// credentials, or when ccsig was built without its `c2pa` feature.
    pub c2pa_state: Option<&'static str>,
    /// What `check` finds in the file (empty when the caller did not audit
    /// it or it is clean).
    pub findings: Vec<Finding>,
    /// Rights context read from XMP (added in ccsig/1: consumers ignore it
    /// if they do not know it).
    pub rights: Option<Rights>,
}

/// Rights statements that give a signal its context.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
///
/// Each is `None` when the file's XMP does not have the property.
pub struct Rights {
    /// `xmpRights:UsageTerms` (the `x-default` alternative, else the first).
    pub usage_terms: Option<String>,
    /// `xmpRights:WebStatement`: a URL where the rights are stated.
    pub web_statement: Option<String>,
    /// `xmpRights:Marked`: `True` (rights-managed) or `False` (public
    /// domain), as stored.
    pub marked: Option<String>,
    /// `cc:license`: the URL of a Creative Commons licence.
    pub license: Option<String>,
    /// W3C TDMRep `tdm:reservation` as stored (`1`: text and data mining
    /// rights reserved).
    pub tdm_reservation: Option<String>,
    /// W3C TDMRep `tdm:policy`: a URL to the licensing policy.
    pub tdm_policy: Option<String>,
    /// `xmpMM:DocumentID`, to tell copies of a document apart.
    pub document_id: Option<String>,
}

impl FileRecord {
    /// The record of a file that was read: its signals, and the findings
    /// of auditing them (pass none to print signals only).
    ///
    /// ```
    /// use ccsig::report::{FileRecord, Format, Reporter};
    /// let path = "sample-images/tagged/ccsig-cr.png";
    /// let signals = ccsig::read_path(path.as_ref()).unwrap();
    /// let record = FileRecord::ok(path.to_string(), &signals, vec![]);
    /// assert_eq!(record.format, Some("png"));
    /// assert_eq!(record.decisions["train-ai"].short(), "allowed-with-terms cc-cr");
    ///
    /// let mut out = Vec::new();
    /// let mut reporter = Reporter::new(Format::Jsonl, &mut out, false);
    /// reporter.file(&record).unwrap();
    /// reporter.finish(None).unwrap();
    /// let line: serde_json::Value = serde_json::from_slice(&out).unwrap();
    /// assert_eq!(line["status"], "ok");
    /// ```
    pub fn ok(path: String, signals: &FileSignals, findings: Vec<Finding>) -> Self {
        FileRecord {
            schema: SCHEMA,
            path,
            format: Some(signals.format.label()),
            status: "ok",
            error: None,
            decisions: decision_records(signals),
            sources: signals
                .sources
                .iter()
                .map(|s| SourceRecord {
                    field: s.field(),
                    stored: s.stored.clone(),
                    expression: Some(s.expression.clone()),
                    parsed: s.statement.parsed,
                    note: None,
                })
                .chain(signals.deferring.iter().map(|d| SourceRecord {
                    field: d.field.clone(),
                    stored: d.stored.clone(),
                    expression: None,
                    parsed: true,
                    note: Some(d.note.clone()),
                }))
                .collect(),
            credit: Some(signals.credit.clone()),
            c2pa: signals.has_c2pa,
            c2pa_state: signals.c2pa_state(),
            findings,
            rights: signals.xmp.as_ref().map(|f| Rights {
                usage_terms: f.usage_terms.clone(),
                web_statement: f.web_statement.clone(),
                marked: f.marked.clone(),
                license: f.license.clone(),
                tdm_reservation: f.tdm_reservation.clone(),
                tdm_policy: f.tdm_policy.clone(),
                document_id: f.document_id.clone(),
            }),
        }
    }

    /// The record of a file that could not be read: `status` `error`, no
    /// decisions, and usually the one `unreadable` finding.
    ///
    /// ```
    /// let path = "sample-images/bad/truncated.jpg";
    /// let error = ccsig::read_path(path.as_ref()).unwrap_err();
    /// let findings = vec![ccsig::audit::unreadable(&error.to_string())];
    /// let record = ccsig::report::FileRecord::error(path.into(), error.to_string(), findings);
    /// assert_eq!(record.status, "error");
    /// assert!(record.format.is_none() && record.decisions.is_empty());
    /// ```
    pub fn error(path: String, error: String, findings: Vec<Finding>) -> Self {
        FileRecord {
            schema: SCHEMA,
            path,
            format: None,
            status: "error",
            error: Some(error),
            decisions: BTreeMap::new(),
            sources: vec![],
            credit: None,
            c2pa: false,
            c2pa_state: None,
            findings,
            rights: None,
        }
    }
}

/// One finding of `check`, flattened with its file.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRecord<'a> {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The file the finding is about, as found by the walk.
    pub path: &'a str,
    /// The finding; its fields are written at the record's top level.
    #[serde(flatten)]
    pub finding: &'a Finding,
}

/// What `apply` / `remove` print for one file.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRecord {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The file written (or not), as found by the walk.
    pub path: String,
    /// `written`, `would_write`, `removed`, `would_remove`, `unchanged`, or `error`.
    pub status: String,
    /// Why the file was left untouched; `None` unless `status` is `error`.
    pub error: Option<String>,
    /// What the user should know about the write (e.g. which field the
    /// credit name came from).
    pub notes: Vec<Note>,
}

impl ChangeRecord {
    /// The record of a file that was handled: what happened to it (written,
    /// unchanged, ...) and the notes of the write.
    ///
    /// ```
    /// use ccsig::report::ChangeRecord;
    /// use ccsig::tagging::Change;
    /// let record = ChangeRecord::changed("a.jpg".into(), Change::WouldWrite, vec![]);
    /// assert_eq!(record.status, "would_write");
    /// assert!(record.error.is_none());
    /// ```
    pub fn changed(path: String, change: Change, notes: Vec<Note>) -> Self {
        ChangeRecord {
            schema: SCHEMA,
            path,
            status: change.as_str().to_string(),
            error: None,
            notes,
        }
    }

    /// The record of a file left untouched because of `error`.
    ///
    /// ```
    /// let record = ccsig::report::ChangeRecord::failed("a.jpg".into(), "cannot open".into());
    /// assert_eq!((record.status.as_str(), record.error.as_deref()), ("error", Some("cannot open")));
    /// ```
    pub fn failed(path: String, error: String) -> Self {
        ChangeRecord {
            schema: SCHEMA,
            path,
            status: "error".into(),
            error: Some(error),
            notes: vec![],
        }
    }
}

/// Counts for the closing summary line and the exit code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Files handled (read, checked or written), whatever the outcome.
    pub files: usize,
    /// Files with at least one finding that needs fixing (an error or a
    /// warning).
    pub files_with_findings: usize,
    /// Findings of severity error, over all files.
    pub errors: usize,
    /// Findings of severity warning, over all files.
    pub warnings: usize,
    /// Findings of severity note, over all files.
    pub notes: usize,
    /// `apply` / `remove`: files written or removed from (or that would
    /// be, in a dry run).
    pub written: usize,
    /// `apply` / `remove`: files left as they were because they already
    /// were as asked (or kept with `--keep-existing`).
    pub unchanged: usize,
    /// `apply` / `remove`: files that could not be handled.
    pub failed: usize,
    /// `check --manifest`: catalog rows that could not be used, reported
    /// as `bad_row` findings (counted among the errors, not the files).
    pub bad_rows: usize,
}

impl Tally {
    /// Counts one audited file and its findings.
    ///
    /// ```
    /// let mut tally = ccsig::report::Tally::default();
    /// let signals = ccsig::read_path("sample-images/jpeg/plain.jpg".as_ref()).unwrap();
    /// tally.count_findings(&ccsig::audit::check(&signals, None));
    /// tally.count_findings(&[]);
    /// assert_eq!(tally.files, 2);
    /// ```
    pub fn count_findings(&mut self, findings: &[Finding]) {
        self.files += 1;
        if findings.iter().any(|f| f.needs_fixing()) {
            self.files_with_findings += 1;
        }
        self.count_severities(findings);
    }

    /// Counts one bad row of a catalog and its findings.
    ///
    /// ```
    /// let mut tally = ccsig::report::Tally::default();
    /// let csv = "path,signal,use,credit_name,credit_url\n/x/a.jpg,cc-zz,train-ai,,\n";
    /// let (_, bad) = ccsig::manifest::parse_partly(csv.as_bytes(), "/".as_ref(),
    ///     ccsig::manifest::Files::MayBeMissing).unwrap();
    /// tally.count_bad_row(&[ccsig::manifest::bad_row(&bad[0])]);
    /// assert_eq!((tally.files, tally.bad_rows, tally.errors), (0, 1, 1));
    /// ```
    pub fn count_bad_row(&mut self, findings: &[Finding]) {
        self.bad_rows += 1;
        self.count_severities(findings);
    }

    /// `check`'s closing line: `53 files checked: 11 to fix (9 errors,
    /// 2 warnings, 1 note)`, and the bad catalog rows when there are any.
    ///
    /// ```
    /// let tally = ccsig::report::Tally { files: 1, notes: 1, ..Default::default() };
    /// assert_eq!(tally.checked_line(), "1 file checked: 0 to fix (0 errors, 0 warnings, 1 note)");
    /// ```
    pub fn checked_line(&self) -> String {
        let bad_rows = match self.bad_rows {
            0 => String::new(),
            n => format!("; {n} bad catalog row{}", plural(n)),
        };
        format!(
            "{} file{} checked: {} to fix ({} error{}, {} warning{}, {} note{}){bad_rows}",
            self.files,
            plural(self.files),
            self.files_with_findings,
            self.errors,
            plural(self.errors),
            self.warnings,
            plural(self.warnings),
            self.notes,
            plural(self.notes)
        )
    }

    fn count_severities(&mut self, findings: &[Finding]) {
        for f in findings {
            match f.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Note => self.notes += 1,
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Writes the records of one command in one format to one output.
///
/// Hand it each record as it comes, then call [`Reporter::finish`] once.
/// The complete audit (`check --all`) has its own writer,
/// [`audit_writer::AuditWriter`], the only one that writes [`Format::Html`]; a
/// `Reporter` given it writes JSON Lines.
///
/// ```
/// use ccsig::report::{Format, Reporter};
/// let path = "sample-images/tagged/conflict.jpg";
/// let signals = ccsig::read_path(path.as_ref()).unwrap();
/// let findings = ccsig::audit::check(&signals, None);
///
/// let mut out = Vec::new();
/// let mut reporter = Reporter::new(Format::Csv, &mut out, false);
/// reporter.findings(path, &findings).unwrap();
/// reporter.finish(None).unwrap();
/// let csv = String::from_utf8(out).unwrap();
/// assert!(csv.starts_with("schema,path,kind,severity"));
/// assert_eq!(csv.lines().count(), 1 + findings.len());
/// ```
pub struct Reporter<W: std::io::Write> {
    format: Format,
    out: W,
    records: usize,
    color: bool,
}

impl<W: std::io::Write> Reporter<W> {
    /// A reporter writing `format` to `out`; `color` adds ANSI colours to
    /// the table (other formats ignore it).
    ///
    /// ```
    /// use ccsig::report::{Format, Reporter};
    /// let mut out = Vec::new();
    /// Reporter::new(Format::Json, &mut out, false).finish(None).unwrap();
    /// assert_eq!(out, b"[]\n"); // no record: still a JSON array
    /// ```
    pub fn new(format: Format, out: W, color: bool) -> Self {
        Reporter {
            format,
            out,
            records: 0,
            color,
        }
    }

    fn json_record<T: Serialize>(&mut self, record: &T) -> std::io::Result<()> {
        match self.format {
            Format::Json => json::array_item(&mut self.out, record, self.records == 0)?,
            _ => json::line(&mut self.out, record)?,
        }
        self.records += 1;
        Ok(())
    }

    /// `read`: one file's signals.
    ///
    /// ```
    /// use ccsig::report::{FileRecord, Format, Reporter};
    /// let mut out = Vec::new();
    /// let mut reporter = Reporter::new(Format::Json, &mut out, false);
    /// for path in ["sample-images/tagged/ccsig-cr.png", "sample-images/jpeg/plain.jpg"] {
    ///     let signals = ccsig::read_path(path.as_ref()).unwrap();
    ///     reporter.file(&FileRecord::ok(path.into(), &signals, vec![])).unwrap();
    /// }
    /// reporter.finish(None).unwrap();
    /// let records: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    /// assert_eq!(records[0]["decisions"]["train-ai"]["signals"][0], "cc-cr");
    /// assert_eq!(records[1]["decisions"]["train-ai"]["decision"], "unknown");
    /// ```
    pub fn file(&mut self, record: &FileRecord) -> std::io::Result<()> {
        match self.format {
            Format::Table => table::file(&mut self.out, record, self.color)?,
            Format::Csv => {
                csv::file(&mut self.out, record, self.records == 0)?;
                self.records += 1;
            }
            _ => self.json_record(record)?,
        }
        Ok(())
    }

    /// `check`: one file's findings (none for a clean file).
    ///
    /// ```
    /// use ccsig::report::{Format, Reporter};
    /// let path = "sample-images/jpeg/plain.jpg";
    /// let findings = ccsig::check_path(path.as_ref(), None);
    /// let mut out = Vec::new();
    /// let mut reporter = Reporter::new(Format::Table, &mut out, false);
    /// reporter.findings(path, &findings).unwrap();
    /// reporter.finish(Some("1 file checked")).unwrap();
    /// let text = String::from_utf8(out).unwrap();
    /// assert!(text.starts_with("sample-images/jpeg/plain.jpg: "), "{text}");
    /// assert!(text.contains("[missing]: ") && text.ends_with("1 file checked\n"), "{text}");
    /// ```
    pub fn findings(&mut self, path: &str, findings: &[Finding]) -> std::io::Result<()> {
        for finding in findings {
            let record = FindingRecord {
                schema: SCHEMA,
                path,
                finding,
            };
            match self.format {
                Format::Table => table::finding(&mut self.out, &record, self.color)?,
                Format::Csv => {
                    csv::finding(&mut self.out, &record, self.records == 0)?;
                    self.records += 1;
                }
                _ => self.json_record(&record)?,
            }
        }
        Ok(())
    }

    /// `apply` / `remove`: what happened to one file.
    ///
    /// ```
    /// use ccsig::report::{ChangeRecord, Format, Reporter};
    /// let bytes = std::fs::read("sample-images/png/plain.png").unwrap();
    /// let request = ccsig::ApplyRequest::from_expression("train-ai=n").unwrap();
    /// let (_, outcome) = ccsig::apply_bytes(&bytes, &request, &Default::default()).unwrap();
    /// let record = ChangeRecord::changed("plain.png".into(), outcome.change, outcome.notes);
    ///
    /// let mut out = Vec::new();
    /// let mut reporter = Reporter::new(Format::Jsonl, &mut out, false);
    /// reporter.change(&record).unwrap();
    /// reporter.finish(None).unwrap();
    /// let line: serde_json::Value = serde_json::from_slice(&out).unwrap();
    /// assert_eq!(line["status"], "written");
    /// assert_eq!(line["schema"], ccsig::report::SCHEMA);
    /// ```
    pub fn change(&mut self, record: &ChangeRecord) -> std::io::Result<()> {
        match self.format {
            Format::Table => table::change(&mut self.out, record, self.color)?,
            Format::Csv => {
                csv::change(&mut self.out, record, self.records == 0)?;
                self.records += 1;
            }
            _ => self.json_record(record)?,
        }
        Ok(())
    }

    /// Closes the output: the JSON array's bracket, the table's summary.
    /// Other formats ignore `summary`.
    ///
    /// ```
    /// use ccsig::report::{Format, Reporter};
    /// let mut out = Vec::new();
    /// Reporter::new(Format::Csv, &mut out, false).finish(Some("ignored")).unwrap();
    /// assert!(out.is_empty());
    /// ```
    pub fn finish(&mut self, summary: Option<&str>) -> std::io::Result<()> {
        match self.format {
            Format::Json => json::close_array(&mut self.out, self.records == 0)?,
            Format::Table => {
                if let Some(s) = summary {
                    writeln!(self.out, "{s}")?;
                }
            }
            _ => {}
        }
        self.out.flush()
    }
}
