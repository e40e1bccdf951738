//! CSV: one row per file (`read`), per finding (`check`) or per write
//! (`apply`, `remove`), with a header row. Columns are only ever appended.

use std::io::{self, Write};

use super::ledger::{AuditEntry, RunHeader};
use super::{ChangeRecord, FileRecord, FindingRecord, SCHEMA};
use crate::signal::Severity;

fn row<W: Write>(out: &mut W, fields: &[String]) -> io::Result<()> {
    let mut w = ::csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(&mut *out);
    w.write_record(fields).map_err(io::Error::from)?;
    w.flush()
}

fn strings(fields: &[&str]) -> Vec<String> {
    fields.iter().map(|s| s.to_string()).collect()
}

/// Writes `read`'s row for one file (after the header row when `header`):
/// one column per current category, then the expressions, credit, C2PA
/// and the number of findings.
///
/// ```
/// use ccsig::report::{csv, FileRecord};
/// let path = "sample-images/tagged/ccsig-cr-op.jpg";
/// let signals = ccsig::read_path(path.as_ref()).unwrap();
/// let mut out = Vec::new();
/// csv::file(&mut out, &FileRecord::ok(path.into(), &signals, vec![]), true).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// let mut lines = text.lines();
/// assert!(lines.next().unwrap().starts_with("schema,path,format,status,error,"));
/// assert!(lines.next().unwrap().contains(",allowed-with-terms cc-cr-op,"));
/// ```
pub fn file<W: Write>(out: &mut W, r: &FileRecord, header: bool) -> io::Result<()> {
    let labels: Vec<String> = crate::signal::vocabulary::current_labels()
        .map(String::from)
        .collect();
    if header {
        let mut h = strings(&["schema", "path", "format", "status", "error"]);
        h.extend(labels.iter().cloned());
        h.extend(strings(&[
            "expressions",
            "credit_name",
            "credit_name_from",
            "credit_url",
            "c2pa",
            "findings",
            "c2pa_state",
        ]));
        row(out, &h)?;
    }
    let mut f = vec![
        SCHEMA.to_string(),
        r.path.clone(),
        r.format.unwrap_or("").to_string(),
        r.status.to_string(),
        r.error.clone().unwrap_or_default(),
    ];
    for label in &labels {
        f.push(
            r.decisions
                .get(label)
                .map(|d| d.short())
                .unwrap_or_default(),
        );
    }
    let credit = r.credit.clone().unwrap_or(crate::inspect::Credit {
        name: None,
        name_from: None,
        url: None,
    });
    f.push(super::joined_expressions(r.sources.iter().filter_map(
        |s| s.expression.as_deref().map(|e| (s.field.clone(), e)),
    )));
    f.push(credit.name.unwrap_or_default());
    f.push(credit.name_from.unwrap_or_default());
    f.push(credit.url.unwrap_or_default());
    f.push(r.c2pa.to_string());
    f.push(r.findings.len().to_string());
    f.push(r.c2pa_state.unwrap_or("").to_string());
    row(out, &f)
}

/// Writes `check`'s row for one finding (after the header row when
/// `header`); `fields` are joined with `; `.
///
/// ```
/// use ccsig::report::{csv, FindingRecord, SCHEMA};
/// let finding = ccsig::audit::unreadable("file is truncated");
/// let record = FindingRecord { schema: SCHEMA, path: "a.jpg", finding: &finding };
/// let mut out = Vec::new();
/// csv::finding(&mut out, &record, false).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), "ccsig/3,a.jpg,unreadable,error,,file is truncated,,\n");
/// ```
pub fn finding<W: Write>(out: &mut W, r: &FindingRecord, header: bool) -> io::Result<()> {
    if header {
        row(
            out,
            &strings(&[
                "schema", "path", "kind", "severity", "fields", "message", "expected", "found",
            ]),
        )?;
    }
    row(
        out,
        &[
            SCHEMA.to_string(),
            r.path.to_string(),
            r.finding.kind.name().to_string(),
            r.finding.severity.as_str().to_string(),
            r.finding.fields.join("; "),
            r.finding.message.clone(),
            r.finding.expected.clone().unwrap_or_default(),
            r.finding.found.clone().unwrap_or_default(),
        ],
    )
}

/// Writes the row of `apply` or `remove` for one file (after the header
/// row when `header`); notes are joined with `; `.
///
/// ```
/// use ccsig::report::{csv, ChangeRecord};
/// let mut out = Vec::new();
/// csv::change(&mut out, &ChangeRecord::failed("a.jpg".into(), "cannot open".into()), true).unwrap();
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "schema,path,status,error,notes\nccsig/3,a.jpg,error,cannot open,\n",
/// );
/// ```
pub fn change<W: Write>(out: &mut W, r: &ChangeRecord, header: bool) -> io::Result<()> {
    if header {
        row(
            out,
            &strings(&["schema", "path", "status", "error", "notes"]),
        )?;
    }
    row(
        out,
        &[
            SCHEMA.to_string(),
            r.path.clone(),
            r.status.clone(),
            r.error.clone().unwrap_or_default(),
            r.notes
                .iter()
                .map(|n| n.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        ],
    )
}

/// The columns of the complete audit's CSV, before one per current
/// category label and the run's columns.
const AUDIT_COLUMNS: [&str; 15] = [
    "schema",
    "record",
    "path",
    "status",
    "format",
    "signal",
    "states",
    "contributor",
    "credit_name",
    "errors",
    "warnings",
    "notes",
    "kinds",
    "messages",
    "catalog_path",
];

/// The columns that say which run a row comes from, the same on every
/// row, so that a row pasted elsewhere still says when and by what it was
/// checked.
const RUN_COLUMNS: [&str; 5] = [
    "checked_at",
    "ccsig_version",
    "vocabulary",
    "catalog",
    "tree",
];

/// Writes the complete audit's header row.
///
/// ```
/// let mut out = Vec::new();
/// ccsig::report::csv::audit_header(&mut out).unwrap();
/// assert!(String::from_utf8(out).unwrap().starts_with("schema,record,path,status,"));
/// ```
pub fn audit_header<W: Write>(out: &mut W) -> io::Result<()> {
    let mut h = strings(&AUDIT_COLUMNS);
    h.extend(crate::signal::vocabulary::current_labels().map(String::from));
    h.extend(strings(&["instance_id", "image_digest"]));
    h.extend(strings(&RUN_COLUMNS));
    row(out, &h)
}

/// Writes the complete audit's row for one file or bad catalog row: its
/// status, what it states, its findings counted and joined (`kinds` and
/// `messages` with `; `), the decisions, and the run it comes from.
///
/// ```
/// use ccsig::report::ledger::{AuditEntry, RunHeader};
/// let header = RunHeader::now(Default::default(), ["ccsig", "check"]);
/// let entry = AuditEntry::bad_row("cat.csv:3".into(), vec![ccsig::audit::unreadable("x")]);
/// let mut out = Vec::new();
/// ccsig::report::csv::audit_entry(&mut out, &entry, &header).unwrap();
/// assert!(String::from_utf8(out).unwrap().starts_with("ccsig/3,bad_row,cat.csv:3,error,,,,,,1,0,0,unreadable,"));
/// ```
pub fn audit_entry<W: Write>(out: &mut W, e: &AuditEntry, run: &RunHeader) -> io::Result<()> {
    let joined = |f: &dyn Fn(&crate::audit::Finding) -> String| {
        e.findings.iter().map(f).collect::<Vec<_>>().join("; ")
    };
    let mut f = vec![
        SCHEMA.to_string(),
        e.record.to_string(),
        e.path.clone(),
        e.status.as_str().to_string(),
        e.format.unwrap_or("").to_string(),
        e.signal.clone().unwrap_or_default(),
        e.states.clone(),
        e.contributor.clone().unwrap_or_default(),
        e.credit_name.clone().unwrap_or_default(),
        e.count(Severity::Error).to_string(),
        e.count(Severity::Warning).to_string(),
        e.count(Severity::Note).to_string(),
        joined(&|f| f.kind.name().to_string()),
        joined(&|f| f.message.clone()),
        e.catalog_path.clone().unwrap_or_default(),
    ];
    for label in crate::signal::vocabulary::current_labels() {
        f.push(
            e.decisions
                .get(label)
                .map(|d| d.short())
                .unwrap_or_default(),
        );
    }
    f.push(e.identity.instance_id.clone().unwrap_or_default());
    f.push(e.identity.image_digest.clone().unwrap_or_default());
    f.push(run.checked_at.clone());
    f.push(run.ccsig_version.to_string());
    f.push(run.vocabulary.clone());
    f.push(run.catalog.clone().unwrap_or_default());
    f.push(run.tree.clone().unwrap_or_default());
    row(out, &f)
}
