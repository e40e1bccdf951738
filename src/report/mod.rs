//! Reports: the records ccsig prints for `read`, `check`, `apply` and
//! `remove`, in a table for people and in JSON, JSON Lines and CSV for
//! programs. The machine formats follow `docs/schema.md`; every record
//! carries `schema`, and fields are only ever added, never renamed or
//! removed, within a schema version.

pub mod csv;
pub mod json;
pub mod table;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::audit::Finding;
use crate::inspect::{Credit, FileSignals};
use crate::signal::{Decision, Severity};
use crate::tagging::{Change, Note};

/// The schema identifier written into every machine-readable record.
pub const SCHEMA: &str = "ccsig/1";

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Jsonl,
    Csv,
}

/// A decision for one category, as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionRecord {
    /// `allowed`, `disallowed`, `allowed_if` or `unknown`.
    pub decision: &'static str,
    /// For `allowed_if`: the CC signals whose terms make the use allowed.
    pub signals: Vec<String>,
}

impl From<&Decision> for DecisionRecord {
    fn from(d: &Decision) -> Self {
        let (decision, signals) = match d {
            Decision::Allowed => ("allowed", vec![]),
            Decision::Disallowed => ("disallowed", vec![]),
            Decision::AllowedIf(s) => (
                "allowed_if",
                s.iter().map(|c| c.code().to_string()).collect(),
            ),
            Decision::Unknown => ("unknown", vec![]),
        };
        DecisionRecord { decision, signals }
    }
}

impl DecisionRecord {
    pub fn short(&self) -> String {
        if self.signals.is_empty() {
            self.decision.to_string()
        } else {
            format!("{} {}", self.decision, self.signals.join("|"))
        }
    }
}

/// One signal-bearing field as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRecord {
    pub field: String,
    pub stored: String,
    /// The expression the field stands for; `null` for a field that defers
    /// to another one (see `note`).
    pub expression: Option<String>,
    pub parsed: bool,
    pub note: Option<String>,
}

/// What `read` prints for one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileRecord {
    pub schema: &'static str,
    pub path: String,
    pub format: Option<&'static str>,
    /// `ok`, or `error` when the file could not be read.
    pub status: &'static str,
    pub error: Option<String>,
    /// The combined decision per current category.
    pub decisions: BTreeMap<String, DecisionRecord>,
    pub sources: Vec<SourceRecord>,
    pub credit: Option<Credit>,
    pub c2pa: bool,
    pub findings: Vec<Finding>,
    /// Rights context read from XMP (added in ccsig/1: consumers ignore it
    /// if they do not know it).
    pub rights: Option<Rights>,
}

/// Rights statements that give a signal its context.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rights {
    pub usage_terms: Option<String>,
    pub web_statement: Option<String>,
    pub marked: Option<String>,
    pub license: Option<String>,
    pub tdm_reservation: Option<String>,
    pub tdm_policy: Option<String>,
    pub document_id: Option<String>,
}

impl FileRecord {
    pub fn ok(path: String, signals: &FileSignals, findings: Vec<Finding>) -> Self {
        FileRecord {
            schema: SCHEMA,
            path,
            format: Some(match signals.format {
                crate::container::Format::Jpeg => "jpeg",
                crate::container::Format::Png => "png",
                crate::container::Format::WebP => "webp",
            }),
            status: "ok",
            error: None,
            decisions: signals
                .decisions
                .iter()
                .map(|(k, v)| (k.clone(), DecisionRecord::from(v)))
                .collect(),
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
            findings,
            rights: None,
        }
    }
}

/// One finding of `check`, flattened with its file.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRecord<'a> {
    pub schema: &'static str,
    pub path: &'a str,
    #[serde(flatten)]
    pub finding: &'a Finding,
}

/// What `apply` / `remove` print for one file.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRecord {
    pub schema: &'static str,
    pub path: String,
    /// `written`, `would_write`, `removed`, `would_remove`, `unchanged`, or `error`.
    pub status: String,
    pub error: Option<String>,
    pub notes: Vec<Note>,
}

impl ChangeRecord {
    pub fn changed(path: String, change: Change, notes: Vec<Note>) -> Self {
        ChangeRecord {
            schema: SCHEMA,
            path,
            status: change.as_str().to_string(),
            error: None,
            notes,
        }
    }

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
    pub files: usize,
    pub files_with_findings: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub written: usize,
    pub unchanged: usize,
    pub failed: usize,
}

impl Tally {
    pub fn count_findings(&mut self, findings: &[Finding]) {
        self.files += 1;
        if findings.iter().any(|f| f.needs_fixing()) {
            self.files_with_findings += 1;
        }
        for f in findings {
            match f.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Info => self.infos += 1,
            }
        }
    }
}

/// Writes the records of one command in one format to one output.
pub struct Reporter<W: std::io::Write> {
    format: Format,
    out: W,
    records: usize,
    color: bool,
}

impl<W: std::io::Write> Reporter<W> {
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
