//! The table people read in a terminal: compiler-style lines for findings,
//! an indented block per file for `read`.

use std::io::{self, Write};

use super::ledger::{AuditEntry, RunHeader, StatusCounts, Totals};
use super::{ChangeRecord, FileRecord, FindingRecord, SCHEMA};
use crate::signal::Severity;

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// A finding's severity as the table prints it: the words the closing
/// count and the machine formats use (`2 errors, 1 warning, 1 note`).
fn severity_label(s: Severity, color: bool) -> String {
    match s {
        Severity::Error => paint("error", "1;31", color),
        Severity::Warning => paint("warning", "1;33", color),
        Severity::Note => paint("note", "1;36", color),
    }
}

/// Text from a file on one line of the table: line breaks and other
/// control characters are shown escaped (`\n`), never sent to the terminal.
fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    text.chars()
        .map(|c| match c {
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect::<String>()
        .into()
}

/// Writes one finding as a compiler-style line: `path: severity[kind]:
/// message`; `color` adds ANSI colours.
///
/// ```
/// use ccsig::report::{table, FindingRecord, SCHEMA};
/// let finding = ccsig::audit::unreadable("file is truncated");
/// let record = FindingRecord { schema: SCHEMA, path: "a.jpg", finding: &finding };
/// let mut out = Vec::new();
/// table::finding(&mut out, &record, false).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), "a.jpg: error[unreadable]: file is truncated\n");
/// ```
pub fn finding<W: Write>(out: &mut W, r: &FindingRecord, color: bool) -> io::Result<()> {
    writeln!(
        out,
        "{}: {}[{}]: {}",
        r.path,
        severity_label(r.finding.severity, color),
        r.finding.kind.name(),
        one_line(&r.finding.message)
    )
}

/// Writes what `read` found in one file: the path and format, then an
/// indented line per decision, source, credit, rights statement and
/// finding, and a blank line.
///
/// ```
/// use ccsig::report::{table, FileRecord};
/// let path = "sample-images/jpeg/exif.jpg";
/// let signals = ccsig::read_path(path.as_ref()).unwrap();
/// let mut out = Vec::new();
/// table::file(&mut out, &FileRecord::ok(path.into(), &signals, vec![]), false).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with("sample-images/jpeg/exif.jpg  JPEG\n"), "{text}");
/// assert!(text.contains("  credit     Ada Example (from EXIF Artist)\n"), "{text}");
/// ```
pub fn file<W: Write>(out: &mut W, r: &FileRecord, color: bool) -> io::Result<()> {
    let format = r.format.map(shown_format).unwrap_or_default();
    writeln!(out, "{}  {}", paint(&r.path, "1", color), format)?;
    if let Some(e) = &r.error {
        writeln!(out, "  {}: {e}", severity_label(Severity::Error, color))?;
        writeln!(out)?;
        return Ok(());
    }
    for (label, d) in &r.decisions {
        writeln!(out, "  {label:<10} {}", d.short())?;
    }
    if r.sources.is_empty() {
        writeln!(out, "  no signal in any field")?;
    }
    let width = r.sources.iter().map(|s| s.field.len()).max().unwrap_or(0);
    for s in &r.sources {
        let stored = one_line(&s.stored);
        let shown = match (&s.expression, &s.note) {
            (Some(e), _) if *e == s.stored => e.clone(),
            (Some(e), _) => format!("{e}  (stored: {stored})"),
            (None, note) => format!("{stored}  ({})", note.as_deref().unwrap_or("")),
        };
        writeln!(out, "    {:<width$}  {shown}", s.field)?;
    }
    if let Some(c) = &r.credit {
        match (&c.name, &c.name_from) {
            (Some(n), Some(from)) => writeln!(out, "  credit     {n} (from {from})")?,
            _ => writeln!(out, "  credit     no name")?,
        }
        if let Some(u) = &c.url {
            writeln!(out, "  credit url {u}")?;
        }
    }
    if let Some(rights) = &r.rights {
        let shown = [
            ("licence", &rights.license),
            ("usage", &rights.usage_terms),
            ("web", &rights.web_statement),
            ("tdm policy", &rights.tdm_policy),
        ];
        for (name, value) in shown {
            if let Some(v) = value {
                writeln!(out, "  {name:<10} {v}")?;
            }
        }
    }
    match (r.c2pa, r.c2pa_state) {
        (true, Some(state)) => writeln!(out, "  signed     C2PA Content Credentials ({state})")?,
        (true, None) => writeln!(out, "  signed     C2PA Content Credentials present")?,
        (false, _) => {}
    }
    for f in &r.findings {
        writeln!(
            out,
            "  {}[{}]: {}",
            severity_label(f.severity, color),
            f.kind.name(),
            one_line(&f.message)
        )?;
    }
    writeln!(out)
}

/// Writes what `apply` or `remove` did to one file, then its notes
/// indented.
///
/// ```
/// use ccsig::report::{table, ChangeRecord};
/// use ccsig::tagging::Change;
/// let mut out = Vec::new();
/// table::change(&mut out, &ChangeRecord::changed("a.jpg".into(), Change::WouldWrite, vec![]), false).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), "a.jpg: would write\n");
/// ```
pub fn change<W: Write>(out: &mut W, r: &ChangeRecord, color: bool) -> io::Result<()> {
    let status = match r.status.as_str() {
        "written" => paint("written", "32", color),
        "would_write" => paint("would write", "33", color),
        "removed" => paint("removed", "32", color),
        "would_remove" => paint("would remove", "33", color),
        "unchanged" => "unchanged".to_string(),
        _ => paint("error", "1;31", color),
    };
    match &r.error {
        Some(e) => writeln!(out, "{}: {status}: {e}", r.path)?,
        None => writeln!(out, "{}: {status}", r.path)?,
    }
    for n in &r.notes {
        writeln!(
            out,
            "  {}: {}",
            severity_label(n.severity, color),
            one_line(&n.message)
        )?;
    }
    Ok(())
}

/// `JPEG` for `jpeg`; a format named for people (`Nikon NEF`) as it is.
fn shown_format(label: &str) -> String {
    if label.bytes().all(|b| b.is_ascii_lowercase()) {
        label.to_uppercase()
    } else {
        label.to_string()
    }
}

/// Writes one entry of the complete audit: `path: ok (cc-cr)` for a file
/// without findings, else one compiler-style line per finding.
///
/// ```
/// use ccsig::report::{ledger::AuditEntry, table};
/// let path = "sample-images/tagged/ccsig-cr.png";
/// let signals = ccsig::read_path(path.as_ref()).unwrap();
/// let entry = AuditEntry::file(path.into(), Some(&signals), vec![], None);
/// let mut out = Vec::new();
/// table::audit_entry(&mut out, &entry, false).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), format!("{path}: ok (cc-cr)\n"));
/// ```
pub fn audit_entry<W: Write>(out: &mut W, e: &AuditEntry, color: bool) -> io::Result<()> {
    if e.findings.is_empty() {
        let signal = e.signal.as_deref().unwrap_or("none");
        return writeln!(
            out,
            "{}: {} ({})",
            e.path,
            paint("ok", "32", color),
            one_line(signal)
        );
    }
    for finding in &e.findings {
        let record = FindingRecord {
            schema: SCHEMA,
            path: &e.path,
            finding,
        };
        self::finding(out, &record, color)?;
    }
    Ok(())
}

/// `40 ok, 1 note, 2 warnings, 8 errors`.
fn by_status(counts: &StatusCounts) -> String {
    counts
        .iter()
        .map(|(status, n)| match (status.as_str(), n) {
            ("ok", n) => format!("{n} ok"),
            (s, 1) => format!("1 {s}"),
            (s, n) => format!("{n} {s}s"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the close of the complete audit: who checked what and when, the
/// totals by status, kind, signal and contributor, and the closing line.
///
/// ```
/// use ccsig::report::{ledger::{RunHeader, Totals}, table};
/// let header = RunHeader::now(Default::default(), ["ccsig", "check", "--all", "."]);
/// let mut out = Vec::new();
/// table::audit_summary(&mut out, &header, &Totals::default(), false).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.contains("by status   0 ok, 0 notes, 0 warnings, 0 errors\n"), "{text}");
/// assert!(text.ends_with("0 files checked: 0 to fix (0 errors, 0 warnings, 0 notes)\n"), "{text}");
/// ```
pub fn audit_summary<W: Write>(
    out: &mut W,
    run: &RunHeader,
    totals: &Totals,
    color: bool,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        paint(
            &format!(
                "audit by ccsig {} ({}), {}",
                run.ccsig_version, run.vocabulary, run.checked_at
            ),
            "1",
            color
        )
    )?;
    writeln!(out, "command     {}", run.command)?;
    if let Some(catalog) = &run.catalog {
        writeln!(out, "catalog     {catalog}")?;
    }
    if let Some(tree) = &run.tree {
        writeln!(out, "tree        {tree}")?;
    }
    writeln!(out, "by status   {}", by_status(&totals.by_status))?;
    if !totals.by_kind.is_empty() {
        let mut kinds: Vec<_> = totals.by_kind.iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(a.1));
        let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
        writeln!(out, "by kind     {}", kinds.join(", "))?;
    }
    // Expressions hold commas and semicolons: one per line.
    let mut signals: Vec<_> = totals.by_signal.iter().collect();
    signals.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    if !signals.is_empty() {
        writeln!(out, "by signal")?;
    }
    for (signal, n) in signals {
        writeln!(out, "  {n:>6}  {}", one_line(signal))?;
    }
    if run.catalog.is_some() {
        writeln!(out, "by contributor")?;
        for (name, counts) in &totals.by_contributor {
            writeln!(out, "  {}: {}", one_line(name), by_status(counts))?;
        }
    }
    writeln!(out, "{}", totals.tally().checked_line())
}
