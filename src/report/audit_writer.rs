//! Writes the complete audit ([`super::ledger`]) in one format: the
//! header, every entry as it comes, then the totals.

use std::io::{self, Write};

use serde::Serialize;

use super::ledger::{AuditEntry, RunHeader, Totals};
use super::{json, Format, SCHEMA};

#[cfg(not(feature = "html"))]
fn no_html() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "this build of ccsig has no HTML reports (feature `html`)",
    )
}

/// The summary record closing a complete audit in JSON Lines.
#[derive(Serialize)]
struct SummaryRecord<'a> {
    schema: &'static str,
    record: &'static str,
    #[serde(flatten)]
    totals: &'a Totals,
}

/// The header record opening a complete audit in JSON Lines.
#[derive(Serialize)]
struct HeaderRecord<'a> {
    schema: &'static str,
    record: &'static str,
    #[serde(flatten)]
    header: &'a RunHeader,
}

/// Writes a complete audit: the header, every entry as it comes, then the
/// totals with [`AuditWriter::finish`].
///
/// ```
/// use ccsig::report::audit_writer::AuditWriter;
/// use ccsig::report::ledger::{AuditEntry, RunHeader};
/// use ccsig::report::Format;
/// let header = RunHeader::now(Default::default(), ["ccsig", "check", "--all", "a.jpg"]);
/// let mut out = Vec::new();
/// let mut audit = AuditWriter::new(Format::Json, &mut out, false, header).unwrap();
/// let signals = ccsig::read_path("sample-images/jpeg/plain.jpg".as_ref()).unwrap();
/// let findings = ccsig::audit::check(&signals, None);
/// audit.entry(AuditEntry::file("a.jpg".into(), Some(&signals), findings, None)).unwrap();
/// let totals = audit.finish().unwrap();
/// let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(report["files"][0]["status"], "error");
/// assert_eq!(report["summary"]["by_status"]["error"], 1);
/// assert_eq!(totals.files, 1);
/// ```
pub struct AuditWriter<W: Write> {
    format: Format,
    out: W,
    color: bool,
    header: RunHeader,
    totals: Totals,
    entries: usize,
    /// The HTML page is written whole at the end (its totals come first);
    /// until then its rows are rendered as they come.
    #[cfg(feature = "html")]
    page: super::html::PageBuilder,
}

impl<W: Write> AuditWriter<W> {
    /// Starts the audit: writes what comes before the entries.
    ///
    /// # Errors
    /// `Unsupported` for [`Format::Html`] in a build without the `html`
    /// feature; else those of writing to `out`.
    pub fn new(format: Format, mut out: W, color: bool, header: RunHeader) -> io::Result<Self> {
        match format {
            #[cfg(not(feature = "html"))]
            Format::Html => return Err(no_html()),
            Format::Json => {
                out.write_all(format!("{{\n\"schema\": {SCHEMA:?},\n\"header\": ").as_bytes())?;
                serde_json::to_writer_pretty(&mut out, &header).map_err(io::Error::from)?;
                out.write_all(b",\n\"files\": [")?;
            }
            Format::Jsonl => json::line(
                &mut out,
                &HeaderRecord {
                    schema: SCHEMA,
                    record: "header",
                    header: &header,
                },
            )?,
            Format::Csv => super::csv::audit_header(&mut out)?,
            _ => {}
        }
        Ok(AuditWriter {
            format,
            out,
            color,
            header,
            totals: Totals::default(),
            entries: 0,
            #[cfg(feature = "html")]
            page: Default::default(),
        })
    }

    /// Writes (or, for HTML, keeps) one entry and counts it.
    pub fn entry(&mut self, entry: AuditEntry) -> io::Result<()> {
        self.totals.add(&entry);
        match self.format {
            Format::Json => {
                self.out
                    .write_all(if self.entries == 0 { b"\n" } else { b",\n" })?;
                serde_json::to_writer_pretty(&mut self.out, &entry).map_err(io::Error::from)?;
            }
            Format::Jsonl => json::line(&mut self.out, &entry)?,
            Format::Csv => super::csv::audit_entry(&mut self.out, &entry, &self.header)?,
            Format::Table => super::table::audit_entry(&mut self.out, &entry, self.color)?,
            #[cfg(feature = "html")]
            Format::Html => self.page.add(&entry)?,
            #[cfg(not(feature = "html"))]
            Format::Html => return Err(no_html()),
        }
        self.entries += 1;
        Ok(())
    }

    /// Writes the totals (and, for HTML, the whole page); returns them.
    pub fn finish(mut self) -> io::Result<Totals> {
        match self.format {
            Format::Json => {
                self.out.write_all(if self.entries == 0 {
                    b"],\n\"summary\": "
                } else {
                    b"\n],\n\"summary\": "
                })?;
                serde_json::to_writer_pretty(&mut self.out, &self.totals)
                    .map_err(io::Error::from)?;
                self.out.write_all(b"\n}\n")?;
            }
            Format::Jsonl => json::line(
                &mut self.out,
                &SummaryRecord {
                    schema: SCHEMA,
                    record: "summary",
                    totals: &self.totals,
                },
            )?,
            Format::Csv => {}
            Format::Table => {
                super::table::audit_summary(&mut self.out, &self.header, &self.totals, self.color)?
            }
            #[cfg(feature = "html")]
            Format::Html => self.page.write(&mut self.out, &self.header, &self.totals)?,
            #[cfg(not(feature = "html"))]
            Format::Html => return Err(no_html()),
        }
        self.out.flush()?;
        Ok(self.totals)
    }
}
