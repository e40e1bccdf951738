//! The table people read in a terminal: compiler-style lines for findings,
//! an indented block per file for `read`.

use std::io::{self, Write};

use super::{ChangeRecord, FileRecord, FindingRecord};
use crate::signal::Severity;

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// A finding's severity as the table prints it: the words the closing
/// count uses (`2 errors, 1 warning, 1 note`). The machine formats keep
/// `info` within schema `ccsig/2`.
fn severity_label(s: Severity, color: bool) -> String {
    match s {
        Severity::Error => paint("error", "1;31", color),
        Severity::Warning => paint("warning", "1;33", color),
        Severity::Info => paint("note", "1;36", color),
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
